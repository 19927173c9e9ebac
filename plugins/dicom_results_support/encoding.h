// What the Parametric Map and the Segmentation encoders share.
#pragma once
#include <dcmtk/config/osconfig.h>
#include <dcmtk/dcmdata/dcxfer.h>
#include <dcmtk/dcmiod/iodcommn.h>
#include <dcmtk/dcmiod/iodmacro.h>
#include <dcmtk/dcmiod/modenhequipment.h>

#include <string>

#include "dicom_results.h"

class DcmFileFormat;

namespace screener::dicom_results {

// Keeps DCMTK's own log lines off stderr; call before using its IOD classes.
void quiet_dcmtk_log();

// Throws Error with `what` and DCMTK's reason when `status` is bad.
void check(const OFCondition& status, const std::string& what);

// The one-channel float32 host volume behind a map, or a clear Error.
const float* map_values(const Volume& map);

IODEnhGeneralEquipmentModule::EquipmentInfo equipment();
ContentIdentificationMacro content_identification(const std::string& label, const std::string& description);

// The file as DICOM Part 10 bytes in `xfer` (explicit VR little endian, or
// its deflated form); the meta header is made from the dataset.
std::string part10_bytes(DcmFileFormat& file, E_TransferSyntax xfer = EXS_LittleEndianExplicit);
std::string transfer_syntax_uid(E_TransferSyntax xfer);

}  // namespace screener::dicom_results
