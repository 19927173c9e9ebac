// A scratch folder for the DICOM fuzz targets: DCMTK and GDCM read files, so
// each input is written to disk first. Made for one input and removed after
// it: libFuzzer leaves through _Exit, which runs no exit handler.
#pragma once
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <string>

#include "../../../tests/support/temp_dir.h"

namespace dicom_fuzz {

// Fuzzing allocates at most 1 GiB (-malloc_limit_mb): the targets read with
// max_voxels lowered to this, as a site with small machines would.
inline constexpr int64_t kMaxVoxels = int64_t(1) << 22;

// Removed after each input; unique per process and object.
using ScratchDir = screener::test::TempDir;

inline void write_bytes(const std::filesystem::path& file, const uint8_t* data, std::size_t size) {
  std::ofstream(file, std::ios::binary | std::ios::trunc).write(reinterpret_cast<const char*>(data), std::streamsize(size));
}

}  // namespace dicom_fuzz
