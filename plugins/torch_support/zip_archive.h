// The records of a torch.save / Lightning checkpoint: a zip archive of
// stored (uncompressed) entries under one top folder ("archive/data.pkl",
// "archive/data/0", …). Read here rather than by LibTorch's
// PyTorchStreamReader, which allocates whatever size an entry claims before
// reading it: every size and offset is checked against the file first.
#pragma once
#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <string>

namespace screener::torch_support {

// Limits on what an archive may claim (docs/reliability.md).
struct ZipLimits {
  static constexpr uint64_t max_entries = uint64_t(1) << 20;
  static constexpr uint64_t max_central_directory = uint64_t(64) << 20;  // bytes
};

class ZipArchive {
 public:
  // Reads the central directory; errors name `display_name` (the file).
  static ZipArchive open(const std::filesystem::path& file);
  static ZipArchive from_memory(std::string bytes, std::string display_name);

  // Record names without the archive's top folder ("data.pkl", "data/0").
  bool has(const std::string& record) const { return entries_.count(record) != 0; }
  uint64_t size(const std::string& record) const;
  // The first `n` bytes of `record` (n ≤ size(record)) into `dst`.
  void read(const std::string& record, void* dst, uint64_t n) const;
  // The whole record, refused if larger than `limit` bytes.
  std::string read_all(const std::string& record, uint64_t limit) const;
  const std::string& name() const { return name_; }
  std::size_t record_count() const { return entries_.size(); }
  uint64_t total_size() const { return total_; }

 private:
  using ReadAt = std::function<void(uint64_t offset, uint64_t n, char* dst)>;
  ZipArchive(std::string name, uint64_t total, ReadAt read_at);
  struct Entry {
    uint64_t local_header = 0, size = 0;
    bool stored = true;  // not compressed: the only kind read
    mutable uint64_t data = 0;  // found from the local header when first read
  };
  const Entry& entry(const std::string& record) const;
  uint64_t data_offset(const std::string& record, const Entry& e) const;
  [[noreturn]] void fail(const std::string& what) const;

  std::string name_;
  uint64_t total_ = 0;
  ReadAt read_at_;
  std::map<std::string, Entry> entries_;
};

}  // namespace screener::torch_support
