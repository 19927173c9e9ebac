// load() of the stage: WADO-RS retrieve of one series, its instances streamed
// part by part into a private temporary folder, read by dicom_reader's
// loader, folder removed. Only this one series is ever on disk.
#pragma once
#include <filesystem>
#include <memory>
#include <string>

#include "http_client.h"
#include "screener/payload.h"
#include "screener/spec.h"
#include "series_loading.h"

namespace screener::dicomweb {

struct RetrievalOptions {
  // Asked for in the Accept header; "*" is the instances as stored (no
  // transcoding on the server), "" leaves the server's default
  // (Explicit VR Little Endian).
  std::string transfer_syntax = "*";
  std::filesystem::path temp_dir;  // where the private folder goes; empty: the system's
  dicom::LoadOptions load;
};

// `locator` as discover_series writes it. Throws InputError naming the URL
// and what went wrong (HTTP status, a part that is not DICOM, an instance
// missing, an irregular series).
std::shared_ptr<Volume> retrieve_series(HttpClient& client, const Json& locator, const RetrievalOptions& options);

}  // namespace screener::dicomweb
