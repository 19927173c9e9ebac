// A scratch folder for the DICOM fuzz targets: DCMTK and GDCM read files, so
// each input is written to disk first. Made once per process, removed at exit.
#pragma once
#include <unistd.h>

#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

namespace dicom_fuzz {

// Fuzzing allocates at most 1 GiB (-malloc_limit_mb): the targets read with
// max_voxels lowered to this, as a site with small machines would.
inline constexpr int64_t kMaxVoxels = int64_t(1) << 22;

inline const std::filesystem::path& scratch_dir() {
  // Never destroyed: the exit handler that removes it runs after static destructors.
  static const std::filesystem::path* dir = [] {
    std::string name = (std::filesystem::temp_directory_path() / "screener_fuzz_dicom_XXXXXX").string();
    if (!::mkdtemp(name.data())) std::abort();
    auto* path = new std::filesystem::path(name);
    std::atexit([] { std::error_code ignored; std::filesystem::remove_all(scratch_dir(), ignored); });
    return path;
  }();
  return *dir;
}

inline void write_bytes(const std::filesystem::path& file, const uint8_t* data, std::size_t size) {
  std::ofstream(file, std::ios::binary | std::ios::trunc).write(reinterpret_cast<const char*>(data), std::streamsize(size));
}

}  // namespace dicom_fuzz
