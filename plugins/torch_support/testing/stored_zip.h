// Writes zip archives the way torch.save lays them out (stored entries under
// one top folder), for tests and fuzz seeds that need archives torch.save
// would never write: sizes that lie, truncations, hand-made pickles.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace stored_zip {

struct Entry {
  std::string name;  // inside the top folder: "data.pkl", "data/0"
  std::string data;
  std::optional<uint64_t> claimed_size;  // what the central directory says, if not the truth
};

inline void put(std::string& out, uint64_t v, int bytes) {
  for (int i = 0; i < bytes; ++i) out += char((v >> (8 * i)) & 0xff);
}

inline std::string archive(const std::vector<Entry>& entries, const std::string& top = "archive/") {
  std::string out, dir;
  for (const auto& e : entries) {
    const std::string name = top + e.name;
    const uint64_t offset = out.size(), claimed = e.claimed_size.value_or(e.data.size());
    const bool big = claimed >= 0xffffffff;
    put(out, 0x04034b50, 4), put(out, 20, 2), put(out, 0, 2), put(out, 0, 2), put(out, 0, 4), put(out, 0, 4);
    put(out, big ? 0xffffffff : claimed, 4), put(out, big ? 0xffffffff : claimed, 4);
    put(out, name.size(), 2), put(out, 0, 2);
    out += name + e.data;
    put(dir, 0x02014b50, 4), put(dir, 45, 2), put(dir, 45, 2), put(dir, 0, 2), put(dir, 0, 2), put(dir, 0, 4);
    put(dir, 0, 4), put(dir, big ? 0xffffffff : claimed, 4), put(dir, big ? 0xffffffff : claimed, 4);
    put(dir, name.size(), 2), put(dir, big ? 20 : 0, 2), put(dir, 0, 2), put(dir, 0, 2), put(dir, 0, 2), put(dir, 0, 4);
    put(dir, offset, 4);
    dir += name;
    if (big) put(dir, 1, 2), put(dir, 16, 2), put(dir, claimed, 8), put(dir, claimed, 8);  // ZIP64 sizes
  }
  const uint64_t dir_offset = out.size();
  out += dir;
  put(out, 0x06054b50, 4), put(out, 0, 2), put(out, 0, 2), put(out, entries.size(), 2), put(out, entries.size(), 2);
  put(out, dir.size(), 4), put(out, dir_offset, 4), put(out, 0, 2);
  return out;
}

// A pickle (protocol 2) built opcode by opcode.
class Pickle {
 public:
  Pickle() { bytes_ = "\x80\x02"; }
  Pickle& op(char c) { bytes_ += c; return *this; }
  Pickle& raw(const std::string& s) { bytes_ += s; return *this; }
  Pickle& str(const std::string& s) { bytes_ += 'X'; put(bytes_, s.size(), 4); bytes_ += s; return *this; }
  Pickle& integer(int32_t v) { bytes_ += 'J'; put(bytes_, uint32_t(v), 4); return *this; }
  Pickle& long1(int64_t v) { bytes_ += '\x8a'; bytes_ += char(8); put(bytes_, uint64_t(v), 8); return *this; }
  Pickle& global(const std::string& module, const std::string& name) { bytes_ += 'c' + module + '\n' + name + '\n'; return *this; }
  // ('storage', torch.FloatStorage, key, 'cpu', numel) as a persistent id.
  Pickle& storage(const std::string& key, int64_t numel) {
    op('(').str("storage").global("torch", "FloatStorage").str(key).str("cpu").long1(numel).op('t').op('Q');
    return *this;
  }
  // _rebuild_tensor_v2(storage, offset, sizes, strides, False, OrderedDict())
  Pickle& tensor(const std::string& key, int64_t numel, const std::vector<int64_t>& sizes,
                 const std::vector<int64_t>& strides, int64_t offset = 0) {
    global("torch._utils", "_rebuild_tensor_v2").op('(').storage(key, numel).long1(offset);
    op('(');
    for (auto s : sizes) long1(s);
    op('t').op('(');
    for (auto s : strides) long1(s);
    op('t').op('\x89').global("collections", "OrderedDict").op(')').op('R').op('t').op('R');
    return *this;
  }
  std::string done() const { return bytes_ + "."; }
  const std::string& bytes() const { return bytes_; }

 private:
  std::string bytes_;
};

}  // namespace stored_zip
