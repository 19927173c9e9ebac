// A scratch folder for the DICOM fuzz targets: DCMTK and GDCM read files, so
// each input is written to disk first. Made for one input and removed after
// it: libFuzzer leaves through _Exit, which runs no exit handler.
#pragma once
#include <unistd.h>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <string>

namespace dicom_fuzz {

// Fuzzing allocates at most 1 GiB (-malloc_limit_mb): the targets read with
// max_voxels lowered to this, as a site with small machines would.
inline constexpr int64_t kMaxVoxels = int64_t(1) << 22;

class ScratchDir {
 public:
  ScratchDir()
      : path_(std::filesystem::temp_directory_path() / ("screener_fuzz_dicom_" + std::to_string(::getpid()))) {
    std::filesystem::remove_all(path_);
    std::filesystem::create_directories(path_);
  }
  ~ScratchDir() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
  ScratchDir(const ScratchDir&) = delete;
  ScratchDir& operator=(const ScratchDir&) = delete;
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

inline void write_bytes(const std::filesystem::path& file, const uint8_t* data, std::size_t size) {
  std::ofstream(file, std::ios::binary | std::ios::trunc).write(reinterpret_cast<const char*>(data), std::streamsize(size));
}

}  // namespace dicom_fuzz
