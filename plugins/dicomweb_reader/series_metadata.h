// WADO-RS series metadata (one DICOM JSON dataset per instance) turned into
// the headers dicom_reader makes from files, so that its grouping, selection
// and study attributes (those the DICOM result writers read) apply unchanged.
#pragma once
#include <string>

#include "dicom_header.h"
#include "screener/spec.h"

namespace screener::dicomweb {

// More frames than any CT series has; a larger NumberOfFrames is refused.
inline constexpr int kMaxFramesPerInstance = 100000;

// `instance_url` stands where a local header has its file: notes about the
// instance name it. Throws InputError naming it for an absurd declared size
// (NumberOfFrames over kMaxFramesPerInstance, Rows or Columns over 65535).
dicom::DicomHeader header_from_metadata(const Json& instance, const std::string& instance_url);

}  // namespace screener::dicomweb
