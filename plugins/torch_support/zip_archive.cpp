#include "zip_archive.h"

#include <algorithm>
#include <fstream>
#include <memory>
#include <vector>

#include "screener/error.h"

namespace screener::torch_support {

namespace {

constexpr uint32_t kEndOfDirectory = 0x06054b50, kZip64End = 0x06064b50, kZip64Locator = 0x07064b50;
constexpr uint32_t kDirectoryEntry = 0x02014b50, kLocalHeader = 0x04034b50;
constexpr uint64_t kEndSize = 22, kLocatorSize = 20, kZip64EndSize = 56, kEntrySize = 46, kLocalSize = 30;

uint64_t le(const char* p, int bytes) {
  uint64_t v = 0;
  for (int i = bytes; i-- > 0;) v = (v << 8) | uint8_t(p[i]);
  return v;
}

std::string human(uint64_t bytes) { return std::to_string(bytes) + " bytes"; }

}  // namespace

ZipArchive::ZipArchive(std::string name, uint64_t total, ReadAt read_at)
    : name_(std::move(name)), total_(total), read_at_(std::move(read_at)) {
  if (total_ < kEndSize) fail("too short to be a zip archive (" + human(total_) + ")");
  // The end-of-directory record: the last 22 bytes, or earlier behind a comment.
  const uint64_t tail_size = std::min<uint64_t>(total_, kEndSize + 0xffff);
  std::string tail(tail_size, '\0');
  read_at_(total_ - tail_size, tail_size, tail.data());
  int64_t end = -1;
  for (int64_t i = int64_t(tail_size - kEndSize); i >= 0; --i)
    if (le(&tail[i], 4) == kEndOfDirectory) {
      end = i;
      break;
    }
  if (end < 0) fail("not a zip archive (no end-of-central-directory record; a truncated file?)");
  const uint64_t end_offset = total_ - tail_size + uint64_t(end);
  uint64_t count = le(&tail[end + 10], 2), dir_size = le(&tail[end + 12], 4), dir_offset = le(&tail[end + 16], 4);
  if (count == 0xffff || dir_size == 0xffffffff || dir_offset == 0xffffffff) {  // ZIP64
    if (end_offset < kLocatorSize) fail("ZIP64 archive without its locator");
    char locator[kLocatorSize];
    read_at_(end_offset - kLocatorSize, kLocatorSize, locator);
    if (le(locator, 4) != kZip64Locator) fail("ZIP64 archive without its locator");
    const uint64_t z64 = le(locator + 8, 8);
    if (z64 > total_ || total_ - z64 < kZip64EndSize) fail("ZIP64 end record outside the file");
    char record[kZip64EndSize];
    read_at_(z64, kZip64EndSize, record);
    if (le(record, 4) != kZip64End) fail("bad ZIP64 end record");
    count = le(record + 32, 8), dir_size = le(record + 40, 8), dir_offset = le(record + 48, 8);
  }
  if (count > ZipLimits::max_entries)
    fail("claims " + std::to_string(count) + " entries (limit " + std::to_string(ZipLimits::max_entries) + ")");
  if (dir_size > ZipLimits::max_central_directory)
    fail("claims a central directory of " + human(dir_size) + " (limit " + human(ZipLimits::max_central_directory) + ")");
  if (dir_offset > total_ || dir_size > total_ - dir_offset)
    fail("the central directory (" + human(dir_size) + " at " + std::to_string(dir_offset) + ") lies outside the " +
         human(total_) + " file (truncated?)");
  std::string dir(dir_size, '\0');
  read_at_(dir_offset, dir_size, dir.data());
  std::string top;  // the archive's top folder, stripped from record names
  uint64_t pos = 0;
  for (uint64_t i = 0; i < count; ++i) {
    if (dir_size - pos < kEntrySize || le(&dir[pos], 4) != kDirectoryEntry)
      fail("central directory entry " + std::to_string(i) + " is malformed");
    const char* h = &dir[pos];
    const uint64_t method = le(h + 10, 2), name_len = le(h + 28, 2), extra_len = le(h + 30, 2),
                   comment_len = le(h + 32, 2);
    uint64_t compressed = le(h + 20, 4), size = le(h + 24, 4), local = le(h + 42, 4);
    if (dir_size - pos - kEntrySize < name_len + extra_len + comment_len)
      fail("central directory entry " + std::to_string(i) + " runs past the directory");
    std::string name(h + kEntrySize, name_len);
    // ZIP64 extended information: 8-byte values for the fields saturated above.
    for (uint64_t x = 0; x + 4 <= extra_len;) {
      const char* e = h + kEntrySize + name_len + x;
      const uint64_t id = le(e, 2), len = le(e + 2, 2);
      if (x + 4 + len > extra_len) break;
      if (id == 1) {
        uint64_t at = 4;
        for (uint64_t* field : {&size, &compressed, &local})
          if (*field == 0xffffffff) {
            if (at + 8 > 4 + len) fail("entry '" + name + "': short ZIP64 extra field");
            *field = le(e + at, 8), at += 8;
          }
      }
      x += 4 + len;
    }
    pos += kEntrySize + name_len + extra_len + comment_len;
    if (name.empty() || name.back() == '/') continue;  // a folder
    // TorchScript archives deflate their code: listed, but never read here.
    const bool stored = method == 0;
    if (stored && compressed != size) fail("entry '" + name + "' is stored with two different sizes");
    if (local > total_ || total_ - local < kLocalSize || total_ - local - kLocalSize < compressed)
      fail("entry '" + name + "' claims " + human(compressed) + " at offset " + std::to_string(local) +
           ", past the end of the " + human(total_) + " file (truncated?)");
    const auto slash = name.find('/');
    if (slash == std::string::npos) fail("entry '" + name + "' is outside the archive's top folder");
    if (top.empty()) top = name.substr(0, slash + 1);
    if (name.compare(0, top.size(), top) != 0) fail("entry '" + name + "' is outside the top folder '" + top + "'");
    if (!entries_.emplace(name.substr(top.size()), Entry{local, size, stored}).second)
      fail("entry '" + name + "' appears twice");
  }
}

ZipArchive ZipArchive::open(const std::filesystem::path& file) {
  auto in = std::make_shared<std::ifstream>(file, std::ios::binary);
  if (!*in) throw Error(file.string() + ": cannot open");
  in->seekg(0, std::ios::end);
  const auto total = uint64_t(in->tellg());
  return ZipArchive(file.string(), total, [in, total](uint64_t offset, uint64_t n, char* dst) {
    if (offset > total || n > total - offset) throw Error("read past the end of the file");
    in->clear();
    in->seekg(std::streamoff(offset));
    in->read(dst, std::streamsize(n));
    if (uint64_t(in->gcount()) != n) throw Error("the file ended early (changed while being read?)");
  });
}

ZipArchive ZipArchive::from_memory(std::string bytes, std::string display_name) {
  auto data = std::make_shared<std::string>(std::move(bytes));
  return ZipArchive(std::move(display_name), data->size(), [data](uint64_t offset, uint64_t n, char* dst) {
    if (offset > data->size() || n > data->size() - offset) throw Error("read past the end of the data");
    std::copy_n(data->data() + offset, n, dst);
  });
}

const ZipArchive::Entry& ZipArchive::entry(const std::string& record) const {
  auto it = entries_.find(record);
  if (it == entries_.end()) fail("no record '" + record + "'");
  return it->second;
}

uint64_t ZipArchive::size(const std::string& record) const { return entry(record).size; }

uint64_t ZipArchive::data_offset(const std::string& record, const Entry& e) const {
  if (e.data) return e.data;
  char h[kLocalSize];
  read_at_(e.local_header, kLocalSize, h);
  if (le(h, 4) != kLocalHeader) fail("record '" + record + "': bad local header");
  const uint64_t start = e.local_header + kLocalSize + le(h + 26, 2) + le(h + 28, 2);
  if (start > total_ || total_ - start < e.size)
    fail("record '" + record + "' (" + human(e.size) + ") runs past the end of the file (truncated?)");
  return e.data = start;
}

void ZipArchive::read(const std::string& record, void* dst, uint64_t n) const {
  const Entry& e = entry(record);
  if (!e.stored) fail("record '" + record + "' is compressed; torch.save writes stored entries only");
  if (n > e.size) fail("record '" + record + "' holds " + human(e.size) + ", " + human(n) + " wanted");
  if (n) read_at_(data_offset(record, e), n, static_cast<char*>(dst));
}

std::string ZipArchive::read_all(const std::string& record, uint64_t limit) const {
  const uint64_t n = size(record);
  if (n > limit) fail("record '" + record + "' is " + human(n) + " (limit " + human(limit) + ")");
  std::string out(n, '\0');
  read(record, out.data(), n);
  return out;
}

void ZipArchive::fail(const std::string& what) const { throw Error("zip archive: " + what); }

}  // namespace screener::torch_support
