#include "encoding.h"

#include <dcmtk/dcmdata/dcfilefo.h>
#include <dcmtk/dcmdata/dcostrmb.h>
#include <dcmtk/dcmdata/dcwcache.h>
#include <dcmtk/oflog/oflog.h>

#include <mutex>
#include <vector>

#include "screener/error.h"
#include "screener/files.h"

namespace screener::dicom_results {

void quiet_dcmtk_log() {
  // DCMTK's IOD classes log intermediate states ("NumberOfFrames absent"
  // before the frames are in) to stderr; real failures come back as
  // conditions, and check() puts them in the exception.
  static std::once_flag once;
  std::call_once(once, [] {
    for (const char* name : {"dcmtk.dcmiod", "dcmtk.dcmfg", "dcmtk.dcmpmap", "dcmtk.dcmseg", "dcmtk.dcmdata"})
      OFLog::getLogger(name).setLogLevel(OFLogger::FATAL_LOG_LEVEL);
  });
}

void check(const OFCondition& status, const std::string& what) {
  if (status.bad()) throw Error(what + ": " + status.text());
}

const float* map_values(const Volume& map) {
  if (map.voxels.ndim() != 3 || map.voxels.dtype() != DType::float32 || !map.voxels.device().is_cpu())
    throw Error("a DICOM result is made from a one-channel float32 map in host memory");
  return map.voxels.data<float>();
}

IODEnhGeneralEquipmentModule::EquipmentInfo equipment() {
  return IODEnhGeneralEquipmentModule::EquipmentInfo("Screener", "Screener", "0", "1.0.0");
}

ContentIdentificationMacro content_identification(const std::string& label, const std::string& description) {
  return ContentIdentificationMacro("1", label.c_str(), description.c_str(), "Screener^");
}

std::string transfer_syntax_uid(E_TransferSyntax xfer) { return DcmXfer(xfer).getXferID(); }

std::string part10_bytes(DcmFileFormat& file, E_TransferSyntax xfer) {
  check(file.validateMetaInfo(xfer), "DICOM meta header");
  // DCMTK streams into a fixed buffer and asks to have it emptied when full.
  std::vector<char> chunk(std::size_t(1) << 20);
  DcmOutputBufferStream out(chunk.data(), offile_off_t(chunk.size()));
  DcmWriteCache cache;
  std::string bytes;
  // Uncompressed, the size is known (+ preamble and "DICM"); deflated, it is what zlib makes of it.
  if (DcmXfer(xfer).getStreamCompression() == ESC_none)
    bytes.reserve(std::size_t(file.calcElementLength(xfer, EET_ExplicitLength)) + 132);
  file.transferInit();
  OFCondition status = EC_StreamNotifyClient;
  while (status == EC_StreamNotifyClient) {
    status = file.write(out, xfer, EET_ExplicitLength, &cache);
    void* filled = nullptr;
    offile_off_t length = 0;
    out.flushBuffer(filled, length);
    bytes.append(static_cast<const char*>(filled), std::size_t(length));
  }
  // A deflated stream ends with what zlib still holds: flushing finishes it,
  // a buffer at a time.
  while (status.good() && !out.isFlushed()) {
    out.flush();
    void* filled = nullptr;
    offile_off_t length = 0;
    out.flushBuffer(filled, length);
    bytes.append(static_cast<const char*>(filled), std::size_t(length));
  }
  file.transferEnd();
  check(status, "encoding the DICOM object");
  return bytes;
}

std::filesystem::path write_object(const EncodedObject& object, const std::filesystem::path& output_dir,
                                   const Study& study, const std::string& name) {
  const auto folder = output_dir / sanitize_filename(study.id);
  std::filesystem::create_directories(folder);
  const auto file = folder / (sanitize_filename(name) + ".dcm");
  write_file_atomic(file, object.bytes);
  return file;
}

}  // namespace screener::dicom_results
