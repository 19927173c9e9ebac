// A few DICOM files (the input split at "--next-file--") read as dicom_reader
// reads a folder: discovery (headers, grouping, selection, identity checks),
// then every selected series loaded into a volume. Clear refusals
// (screener::Error) are expected; anything else is a finding.
#include <algorithm>
#include <cstring>
#include <string_view>

#include "discovery.h"
#include "fuzz_scratch.h"
#include "screener/error.h"
#include "series_loading.h"

using namespace screener;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  constexpr std::string_view kSeparator = "--next-file--";
  constexpr int kMaxFiles = 8;
  const dicom_fuzz::ScratchDir scratch;
  const auto& dir = scratch.path();
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  std::size_t start = 0;
  for (int n = 0; n < kMaxFiles && start <= bytes.size(); ++n) {
    std::size_t end = bytes.find(kSeparator, start);
    if (end == std::string_view::npos || n == kMaxFiles - 1) end = bytes.size();
    dicom_fuzz::write_bytes(dir / ("file" + std::to_string(n) + ".dcm"), data + start, end - start);
    start = end + kSeparator.size();
  }

  dicom::SelectionRules rules;
  rules.modality = "any";
  rules.min_slices = 1;
  rules.max_voxels = dicom_fuzz::kMaxVoxels;
  dicom::LoadOptions load;
  load.max_voxels = dicom_fuzz::kMaxVoxels;
  try {
    for (const auto& entry : dicom::discover_entries(dir.string(), rules, [](const std::string&) {})) {
      if (entry.locator.contains("error") || entry.locator.value("format", "") != "dicom") continue;
      std::vector<std::filesystem::path> files;
      for (const auto& f : entry.locator.at("files")) files.emplace_back(f.get<std::string>());
      try {
        (void)dicom::load_dicom_series(files, load);
      } catch (const Error&) {
      }
    }
  } catch (const Error&) {
  }
  return 0;
}
