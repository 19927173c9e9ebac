#include "state_dict_unpickler.h"

#include <caffe2/serialize/inline_container.h>

#include <cstring>
#include <memory>
#include <variant>
#include <vector>

#include "screener/error.h"

namespace screener::torch_support {

namespace {

struct Value;
using ValuePtr = std::shared_ptr<Value>;
using Items = std::vector<ValuePtr>;
using Pairs = std::vector<std::pair<ValuePtr, ValuePtr>>;

struct Global {
  std::string name;  // "module.qualname"
};
struct Storage {
  at::Tensor flat;  // 1-D, the whole storage
};
struct Tuple {
  Items items;
};
struct List {
  Items items;
};
struct Dict {
  Pairs pairs;
};
struct Mark {};

struct Value {
  std::variant<std::monostate, bool, int64_t, double, std::string, Global, Storage, at::Tensor, Tuple, List, Dict, Mark> v;
  template <class T> const T* as() const { return std::get_if<T>(&v); }
  template <class T> T* as() { return std::get_if<T>(&v); }
};

template <class T> ValuePtr make(T x) {
  auto p = std::make_shared<Value>();
  p->v = std::move(x);
  return p;
}

at::ScalarType storage_dtype(const std::string& type) {
  static const std::map<std::string, at::ScalarType> types{
      {"torch.FloatStorage", at::kFloat},   {"torch.DoubleStorage", at::kDouble}, {"torch.HalfStorage", at::kHalf},
      {"torch.BFloat16Storage", at::kBFloat16}, {"torch.LongStorage", at::kLong}, {"torch.IntStorage", at::kInt},
      {"torch.ShortStorage", at::kShort},   {"torch.CharStorage", at::kChar},     {"torch.ByteStorage", at::kByte},
      {"torch.BoolStorage", at::kBool}};
  auto it = types.find(type);
  if (it == types.end()) throw Error("unsupported storage type " + type);
  return it->second;
}

class Reader {
 public:
  Reader(caffe2::serialize::PyTorchStreamReader& archive, const std::vector<char>& pickle)
      : archive_(archive), data_(pickle) {}

  ValuePtr run() {
    for (;;) {
      const uint8_t op = byte();
      switch (op) {
        case 0x80: byte(); break;                 // PROTO
        case 0x95: skip(8); break;                // FRAME
        case '.': return pop();                   // STOP
        case '(': push(make(Mark{})); break;      // MARK
        case 'N': push(make(std::monostate{})); break;
        case 0x88: push(make(true)); break;
        case 0x89: push(make(false)); break;
        case 'K': push(make(int64_t(byte()))); break;
        case 'M': { const int64_t lo = byte(); push(make(lo | int64_t(byte()) << 8)); break; }
        case 'J': push(make(int64_t(int32_t(le32())))); break;
        case 0x8a: push(make(long1())); break;    // LONG1
        case 'G': push(make(be_double())); break; // BINFLOAT
        case 'X': push(make(text(le32()))); break;            // BINUNICODE
        case 0x8c: push(make(text(byte()))); break;           // SHORT_BINUNICODE
        case 'U': push(make(text(byte()))); break;            // SHORT_BINSTRING
        case 'T': push(make(text(le32()))); break;            // BINSTRING
        case 'C': push(make(text(byte()))); break;            // SHORT_BINBYTES
        case 'B': push(make(text(le32()))); break;            // BINBYTES
        case 'c': {                                           // GLOBAL
          const std::string module = line(), name = line();
          push(make(Global{module + "." + name}));
          break;
        }
        case 0x93: {                                          // STACK_GLOBAL
          const auto name = pop(), module = pop();
          push(make(Global{string_of(module) + "." + string_of(name)}));
          break;
        }
        case ')': push(make(Tuple{})); break;
        case 0x85: push(make(Tuple{take_n(1)})); break;
        case 0x86: push(make(Tuple{take_n(2)})); break;
        case 0x87: push(make(Tuple{take_n(3)})); break;
        case 't': push(make(Tuple{take_to_mark()})); break;
        case ']': push(make(List{})); break;
        case 'l': push(make(List{take_to_mark()})); break;
        case 'a': { auto v = pop(); list_of(top()).push_back(v); break; }
        case 'e': { auto vs = take_to_mark(); auto& l = list_of(top()); l.insert(l.end(), vs.begin(), vs.end()); break; }
        case '}': push(make(Dict{})); break;
        case 'd': { auto d = Dict{}; auto vs = take_to_mark(); add_pairs(d.pairs, vs); push(make(std::move(d))); break; }
        case 's': { auto v = pop(), k = pop(); dict_of(top()).push_back({k, v}); break; }
        case 'u': { auto vs = take_to_mark(); add_pairs(dict_of(top()), vs); break; }
        case 'q': memo_[byte()] = top(); break;               // BINPUT
        case 'r': memo_[le32()] = top(); break;               // LONG_BINPUT
        case 0x94: memo_[memo_.size()] = top(); break;        // MEMOIZE
        case 'h': push(memo(byte())); break;                  // BINGET
        case 'j': push(memo(le32())); break;                  // LONG_BINGET
        case 'Q': push(persistent(pop())); break;             // BINPERSID
        case 'R': { auto args = pop(), callable = pop(); push(reduce(callable, args)); break; }
        case 0x81: { auto args = pop(), cls = pop(); push(reduce(cls, args)); break; }  // NEWOBJ
        case 'b': {                                           // BUILD
          pop();  // OrderedDict's _metadata (module versions): not needed
          if (!top()->as<Dict>()) throw Error("BUILD on an object that is not a dict");
          break;
        }
        default: throw Error("unsupported pickle opcode 0x" + hex(op) + " at byte " + std::to_string(pos_ - 1));
      }
    }
  }

 private:
  uint8_t byte() {
    if (pos_ >= data_.size()) throw Error("the pickle ends early");
    return uint8_t(data_[pos_++]);
  }
  void skip(std::size_t n) { for (std::size_t i = 0; i < n; ++i) byte(); }
  uint32_t le32() {
    uint32_t v = 0;
    for (int i = 0; i < 4; ++i) v |= uint32_t(byte()) << (8 * i);
    return v;
  }
  int64_t long1() {
    const int n = byte();
    if (n > 8) throw Error("an integer too large for 64 bits");
    uint64_t v = 0;
    for (int i = 0; i < n; ++i) v |= uint64_t(byte()) << (8 * i);
    if (n && n < 8 && (v >> (8 * n - 1)) & 1) v |= ~uint64_t(0) << (8 * n);  // sign-extend
    return int64_t(v);
  }
  double be_double() {
    uint64_t v = 0;
    for (int i = 0; i < 8; ++i) v = (v << 8) | byte();
    double d;
    std::memcpy(&d, &v, 8);
    return d;
  }
  std::string text(std::size_t n) {
    if (pos_ + n > data_.size()) throw Error("the pickle ends inside a string");
    std::string s(data_.data() + pos_, n);
    pos_ += n;
    return s;
  }
  std::string line() {
    std::string s;
    for (char c; (c = char(byte())) != '\n';) s += c;
    return s;
  }
  static std::string hex(uint8_t v) {
    const char* d = "0123456789abcdef";
    return {d[v >> 4], d[v & 15]};
  }

  void push(ValuePtr v) { stack_.push_back(std::move(v)); }
  ValuePtr pop() {
    if (stack_.empty()) throw Error("malformed pickle (stack underflow)");
    auto v = stack_.back();
    stack_.pop_back();
    return v;
  }
  ValuePtr& top() {
    if (stack_.empty()) throw Error("malformed pickle (empty stack)");
    return stack_.back();
  }
  ValuePtr memo(std::size_t i) {
    auto it = memo_.find(i);
    if (it == memo_.end()) throw Error("malformed pickle (unknown memo entry)");
    return it->second;
  }
  Items take_n(std::size_t n) {
    Items out(n);
    for (std::size_t i = n; i-- > 0;) out[i] = pop();
    return out;
  }
  Items take_to_mark() {
    Items out;
    for (;;) {
      auto v = pop();
      if (v->as<Mark>()) break;
      out.insert(out.begin(), v);
    }
    return out;
  }
  static void add_pairs(Pairs& pairs, const Items& flat) {
    for (std::size_t i = 0; i + 1 < flat.size(); i += 2) pairs.push_back({flat[i], flat[i + 1]});
  }
  static Items& list_of(ValuePtr& v) {
    if (auto* l = v->as<List>()) return l->items;
    throw Error("APPEND to an object that is not a list");
  }
  static Pairs& dict_of(ValuePtr& v) {
    if (auto* d = v->as<Dict>()) return d->pairs;
    throw Error("SETITEM on an object that is not a dict");
  }
  static const std::string& string_of(const ValuePtr& v) {
    if (auto* s = v->as<std::string>()) return *s;
    throw Error("expected a string in the pickle");
  }
  static int64_t int_of(const ValuePtr& v) {
    if (auto* i = v->as<int64_t>()) return *i;
    throw Error("expected an integer in the pickle");
  }
  static std::vector<int64_t> ints_of(const ValuePtr& v) {
    const auto* t = v->as<Tuple>();
    if (!t) throw Error("expected a tuple of integers in the pickle");
    std::vector<int64_t> out;
    for (const auto& x : t->items) out.push_back(int_of(x));
    return out;
  }

  // ('storage', storage type, key, location, numel): the bytes are the
  // archive's record data/<key>.
  ValuePtr persistent(const ValuePtr& id) {
    const auto* t = id->as<Tuple>();
    if (!t || t->items.size() < 5 || string_of(t->items[0]) != "storage") throw Error("unsupported persistent object");
    const auto* type = t->items[1]->as<Global>();
    if (!type) throw Error("storage without a type");
    const std::string key = string_of(t->items[2]);
    auto found = storages_.find(key);
    if (found != storages_.end()) return found->second;
    const auto dtype = storage_dtype(type->name);
    const int64_t numel = int_of(t->items[4]);
    auto [bytes, size] = archive_.getRecord("data/" + key);
    const std::size_t want = std::size_t(numel) * c10::elementSize(dtype);
    if (size < want) throw Error("record data/" + key + " is shorter than its storage");
    at::Tensor flat = at::empty({numel}, at::TensorOptions().dtype(dtype));
    std::memcpy(flat.data_ptr(), bytes.get(), want);
    auto v = make(Storage{flat});
    storages_[key] = v;
    return v;
  }

  ValuePtr reduce(const ValuePtr& callable, const ValuePtr& args_value) {
    const auto* g = callable->as<Global>();
    const auto* args = args_value->as<Tuple>();
    if (!g || !args) throw Error("unsupported object construction in the pickle");
    if (g->name == "collections.OrderedDict" || g->name == "builtins.dict") return make(Dict{});
    if (g->name == "torch._utils._rebuild_tensor_v2" || g->name == "torch._utils._rebuild_tensor") {
      if (args->items.size() < 4) throw Error("malformed tensor in the pickle");
      const auto* storage = args->items[0]->as<Storage>();
      if (!storage) throw Error("tensor without a storage");
      const int64_t offset = int_of(args->items[1]);
      return make(storage->flat.as_strided(ints_of(args->items[2]), ints_of(args->items[3]), offset));
    }
    if (g->name == "torch._utils._rebuild_parameter" || g->name == "torch._utils._rebuild_parameter_with_state") {
      if (args->items.empty() || !args->items[0]->as<at::Tensor>()) throw Error("malformed parameter in the pickle");
      return args->items[0];
    }
    // torch::pickle_save (our trainers' checkpoints) tags a typed Dict with its type: the dict itself.
    if (g->name == "torch.jit._pickle.restore_type_tag" && !args->items.empty()) return args->items[0];
    throw Error("the pickle holds an object of type " + g->name + ", which a state_dict reader cannot build");
  }

  caffe2::serialize::PyTorchStreamReader& archive_;
  const std::vector<char>& data_;
  std::size_t pos_ = 0;
  std::vector<ValuePtr> stack_;
  std::map<std::size_t, ValuePtr> memo_;
  std::map<std::string, ValuePtr> storages_;
};

void collect(const Value& root, std::map<std::string, at::Tensor>& out) {
  const auto* dict = root.as<Dict>();
  if (!dict) throw Error("the saved object is not a dict (is it a state_dict?)");
  for (const char* nested : {"state_dict", "model"})
    for (const auto& [k, v] : dict->pairs)
      if (const auto* s = k->as<std::string>(); s && *s == nested && v->as<Dict>()) return collect(*v, out);
  for (const auto& [k, v] : dict->pairs)
    if (const auto* s = k->as<std::string>())
      if (const auto* t = v->as<at::Tensor>()) out[*s] = t->contiguous();
}

}  // namespace

std::map<std::string, at::Tensor> read_state_dict_archive(const std::filesystem::path& file) {
  caffe2::serialize::PyTorchStreamReader archive(file.string());
  auto [bytes, size] = archive.getRecord("data.pkl");
  const std::vector<char> pickle(static_cast<const char*>(bytes.get()), static_cast<const char*>(bytes.get()) + size);
  Reader reader(archive, pickle);
  std::map<std::string, at::Tensor> out;
  collect(*reader.run(), out);
  return out;
}

}  // namespace screener::torch_support
