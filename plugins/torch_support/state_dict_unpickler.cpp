#include "state_dict_unpickler.h"

#include <cmath>
#include <cstring>
#include <deque>
#include <unordered_map>
#include <variant>
#include <vector>

#include "screener/error.h"

namespace screener::torch_support {

namespace {

struct Value;

struct Global {
  std::string name;  // "module.qualname"
};
// ('storage', type, key, location, numel): the bytes are record data/<key>.
struct StorageRef {
  std::string key;
  at::ScalarType dtype;
  int64_t numel;
};
struct TensorRef {
  const StorageRef* storage;
  int64_t offset;
  std::vector<int64_t> sizes, strides;
  int64_t numel = 0;
};
// Tuples, lists, dicts, sets, and instances of other classes (opaque: what
// the pickle adds to them is kept but never interpreted).
struct Container {
  enum Kind { tuple, list, dict, set, object } kind;
  std::string type;  // the class, for objects and dict subclasses
  std::vector<Value*> items;
  std::vector<std::pair<Value*, Value*>> pairs;
};

struct Value {
  std::variant<std::monostate, bool, int64_t, double, std::string, Global, StorageRef, TensorRef, Container> v;
  template <class T> const T* as() const { return std::get_if<T>(&v); }
  template <class T> T* as() { return std::get_if<T>(&v); }
};

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

std::string describe(const Value& v) {
  if (v.as<std::monostate>()) return "None";
  if (v.as<bool>()) return "a bool";
  if (v.as<int64_t>()) return "an int";
  if (v.as<double>()) return "a float";
  if (v.as<std::string>()) return "a string";
  if (v.as<Global>()) return "a class or function";
  if (v.as<StorageRef>()) return "a storage";
  if (v.as<TensorRef>()) return "a tensor";
  const auto& c = *v.as<Container>();
  switch (c.kind) {
    case Container::tuple: return "a tuple";
    case Container::list: return "a list";
    case Container::set: return "a set";
    case Container::dict: return c.type.empty() ? "a dict" : "a " + c.type;
    default: return "an object of type " + c.type;
  }
}

// The pickle virtual machine, for the opcodes of protocols 2–5 that carry
// data. Values live in one arena: containers point at them, so cycles made
// through the memo cost nothing and nothing is freed recursively.
class Machine {
 public:
  Machine(const ZipArchive& archive, std::string pickle) : archive_(archive), data_(std::move(pickle)) {}

  const Value* run() {
    for (;;) {
      const uint8_t op = byte();
      switch (op) {
        case 0x80: byte(); break;                                  // PROTO
        case 0x95: skip(8); break;                                 // FRAME
        case '.': {                                                // STOP
          const Value* result = pop();
          return result;
        }
        case '(':                                                  // MARK
          if (marks_.size() >= PickleLimits::max_objects)
            throw Error("more than " + std::to_string(PickleLimits::max_objects) + " open MARKs (limit)");
          marks_.push_back(stack_.size());
          break;
        case '0': pop(); break;                                    // POP
        case '1': take_to_mark(); break;                           // POP_MARK
        case '2': push(top()); break;                              // DUP
        case 'N': push(make(std::monostate{})); break;
        case 0x88: push(make(true)); break;
        case 0x89: push(make(false)); break;
        case 'K': push(make(int64_t(byte()))); break;              // BININT1
        case 'M': push(make(int64_t(le(2)))); break;               // BININT2
        case 'J': push(make(int64_t(int32_t(le(4))))); break;      // BININT
        case 0x8a: push(long_int(byte())); break;                  // LONG1
        case 0x8b: push(long_int(le(4))); break;                   // LONG4
        case 'G': push(make(be_double())); break;                  // BINFLOAT
        case 'X': case 'T': case 'B': push(make(text(le(4)))); break;        // BINUNICODE, BINSTRING, BINBYTES
        case 0x8c: case 'U': case 'C': push(make(text(byte()))); break;      // SHORT_BINUNICODE, _BINSTRING, _BINBYTES
        case 0x8d: case 0x8e: case 0x96: push(make(text(le(8)))); break;     // BINUNICODE8, BINBYTES8, BYTEARRAY8
        case 'c': {                                                // GLOBAL
          std::string module = python3_module(line());
          push(make(Global{module + "." + line()}));
          break;
        }
        case 0x93: {                                               // STACK_GLOBAL
          const Value* name = pop();
          const Value* module = pop();
          push(make(Global{python3_module(string_of(module)) + "." + string_of(name)}));
          break;
        }
        case ')': push(container(Container::tuple)); break;
        case 0x85: case 0x86: case 0x87: {                         // TUPLE1..3
          Value* t = container(Container::tuple);
          std::vector<Value*> items(op - 0x84);
          for (std::size_t i = items.size(); i-- > 0;) items[i] = pop();
          add_items(t, items);
          push(t);
          break;
        }
        case 't': { Value* t = container(Container::tuple); add_items(t, take_to_mark()); push(t); break; }
        case ']': push(container(Container::list)); break;
        case 'l': { Value* l = container(Container::list); add_items(l, take_to_mark()); push(l); break; }
        case 0x8f: push(container(Container::set)); break;        // EMPTY_SET
        case 0x91: { Value* s = container(Container::set); add_items(s, take_to_mark()); push(s); break; }  // FROZENSET
        case 'a': { Value* v = pop(); add_items(top(), {v}, "APPEND"); break; }
        case 'e': case 0x90: { auto vs = take_to_mark(); add_items(top(), vs, "APPENDS"); break; }  // APPENDS, ADDITEMS
        case '}': push(container(Container::dict)); break;
        case 'd': { Value* d = container(Container::dict); add_pairs(d, take_to_mark()); push(d); break; }
        case 's': { Value* v = pop(); Value* k = pop(); add_pairs(top(), {k, v}); break; }
        case 'u': { auto vs = take_to_mark(); add_pairs(top(), vs); break; }
        case 'q': put(byte()); break;                              // BINPUT
        case 'r': put(le(4)); break;                               // LONG_BINPUT
        case 0x94: put(memo_.size()); break;                       // MEMOIZE
        case 'h': push(get(byte())); break;                        // BINGET
        case 'j': push(get(le(4))); break;                         // LONG_BINGET
        case 'Q': push(persistent(pop())); break;                  // BINPERSID
        case 'R': { Value* args = pop(); Value* callable = pop(); push(reduce(callable, args)); break; }
        case 0x81: { Value* args = pop(); Value* cls = pop(); push(reduce(cls, args)); break; }   // NEWOBJ
        case 0x92: { pop(); Value* args = pop(); Value* cls = pop(); push(reduce(cls, args)); break; }  // NEWOBJ_EX
        case 'b': {                                                // BUILD: __setstate__
          pop();  // an OrderedDict's _metadata, an object's __dict__: not needed
          const Value* target = top();
          const auto* c = target->as<Container>();
          if (!c || (c->kind != Container::dict && c->kind != Container::object))
            throw Error("BUILD on " + describe(*target) + " at byte " + std::to_string(pos_ - 1));
          break;
        }
        default:
          throw Error("unsupported pickle opcode 0x" + hex(op) + " at byte " + std::to_string(pos_ - 1) +
                      " (not one torch.save writes)");
      }
    }
  }

  // The tensor a TensorRef describes, its storage read from the archive.
  at::Tensor materialize(const TensorRef& t) {
    auto it = storages_.find(t.storage->key);
    if (it == storages_.end()) {
      const StorageRef& s = *t.storage;
      at::Tensor flat = at::empty({s.numel}, at::TensorOptions().dtype(s.dtype));
      archive_.read("data/" + s.key, flat.data_ptr(), uint64_t(s.numel) * c10::elementSize(s.dtype));
      it = storages_.emplace(s.key, flat).first;
    }
    return it->second.as_strided(t.sizes, t.strides, t.offset).contiguous();
  }

 private:
  uint8_t byte() {
    if (pos_ >= data_.size()) throw Error("the pickle ends early (truncated?)");
    return uint8_t(data_[pos_++]);
  }
  void skip(std::size_t n) { for (std::size_t i = 0; i < n; ++i) byte(); }
  uint64_t le(int bytes) {
    uint64_t v = 0;
    for (int i = 0; i < bytes; ++i) v |= uint64_t(byte()) << (8 * i);
    return v;
  }
  Value* long_int(uint64_t n) {
    if (n > data_.size() - pos_) throw Error("the pickle ends inside an integer (truncated?)");
    if (n > 8) {  // Python ints beyond 64 bits: kept opaque, never a weight
      pos_ += n;
      Value* v = container(Container::object);
      v->as<Container>()->type = "int (more than 64 bits)";
      return v;
    }
    uint64_t v = le(int(n));
    if (n && n < 8 && (v >> (8 * n - 1)) & 1) v |= ~uint64_t(0) << (8 * n);  // sign-extend
    return make(int64_t(v));
  }
  double be_double() {
    uint64_t v = 0;
    for (int i = 0; i < 8; ++i) v = (v << 8) | byte();
    double d;
    std::memcpy(&d, &v, 8);
    return d;
  }
  std::string text(uint64_t n) {
    if (n > data_.size() - pos_) throw Error("the pickle ends inside a string of " + std::to_string(n) + " bytes (truncated?)");
    std::string s(data_.data() + pos_, n);
    pos_ += n;
    return s;
  }
  std::string line() {
    std::string s;
    for (char c; (c = char(byte())) != '\n';) {
      if (s.size() > 1024) throw Error("a class name longer than 1024 bytes");
      s += c;
    }
    return s;
  }
  // Protocol 2 names builtins the Python 2 way (as pickle's fix_imports undoes).
  static std::string python3_module(const std::string& module) {
    if (module == "__builtin__") return "builtins";
    if (module == "copy_reg") return "copyreg";
    return module;
  }
  static std::string hex(uint8_t v) {
    const char* d = "0123456789abcdef";
    return {d[v >> 4], d[v & 15]};
  }

  void count(uint64_t n) {
    objects_ += n;
    if (objects_ > PickleLimits::max_objects)
      throw Error("the pickle builds more than " + std::to_string(PickleLimits::max_objects) + " objects (limit)");
  }
  template <class T> Value* make(T x) {
    count(1);
    arena_.emplace_back();
    arena_.back().v = std::move(x);
    return &arena_.back();
  }
  Value* container(Container::Kind kind) { return make(Container{kind, {}, {}, {}}); }

  void push(Value* v) {
    if (stack_.size() >= PickleLimits::max_objects)  // DUP and GET push without building anything
      throw Error("the pickle's stack grows past " + std::to_string(PickleLimits::max_objects) + " entries (limit)");
    stack_.push_back(v);
  }
  Value* pop() {
    if (stack_.empty() || (!marks_.empty() && stack_.size() == marks_.back()))
      throw Error("malformed pickle (stack underflow at byte " + std::to_string(pos_ - 1) + ")");
    Value* v = stack_.back();
    stack_.pop_back();
    return v;
  }
  Value* top() {
    if (stack_.empty() || (!marks_.empty() && stack_.size() == marks_.back()))
      throw Error("malformed pickle (empty stack at byte " + std::to_string(pos_ - 1) + ")");
    return stack_.back();
  }
  std::vector<Value*> take_to_mark() {
    if (marks_.empty()) throw Error("malformed pickle (no MARK at byte " + std::to_string(pos_ - 1) + ")");
    const std::size_t mark = marks_.back();
    marks_.pop_back();
    std::vector<Value*> out(stack_.begin() + std::ptrdiff_t(mark), stack_.end());
    stack_.resize(mark);
    return out;
  }

  void put(uint64_t index) {
    if (index > PickleLimits::max_objects)
      throw Error("memo index " + std::to_string(index) + " beyond the limit of " +
                  std::to_string(PickleLimits::max_objects));
    memo_[index] = top();
  }
  Value* get(uint64_t index) {
    auto it = memo_.find(index);
    if (it == memo_.end()) throw Error("malformed pickle (memo entry " + std::to_string(index) + " was never stored)");
    return it->second;
  }

  Container& container_of(Value* v, const char* op) {
    auto* c = v->as<Container>();
    if (!c) throw Error(std::string(op) + " on " + describe(*v) + " at byte " + std::to_string(pos_ - 1));
    return *c;
  }
  void add_items(Value* target, const std::vector<Value*>& items, const char* op = "APPEND") {
    Container& c = container_of(target, op);
    if (c.kind == Container::dict) throw Error(std::string(op) + " on a dict at byte " + std::to_string(pos_ - 1));
    count(items.size());
    c.items.insert(c.items.end(), items.begin(), items.end());
  }
  void add_pairs(Value* target, const std::vector<Value*>& flat) {
    Container& c = container_of(target, "SETITEM");
    if (c.kind != Container::dict && c.kind != Container::object)
      throw Error("SETITEM on " + describe(*target) + " at byte " + std::to_string(pos_ - 1));
    if (flat.size() % 2) throw Error("malformed pickle (SETITEMS with an odd number of values)");
    count(flat.size());
    for (std::size_t i = 0; i + 1 < flat.size(); i += 2) c.pairs.push_back({flat[i], flat[i + 1]});
  }

  static const std::string& string_of(const Value* v) {
    if (const auto* s = v->as<std::string>()) return *s;
    throw Error("expected a string in the pickle, found " + describe(*v));
  }
  static int64_t int_of(const Value* v) {
    if (const auto* i = v->as<int64_t>()) return *i;
    throw Error("expected an integer in the pickle, found " + describe(*v));
  }
  static const std::vector<Value*>& tuple_of(const Value* v) {
    const auto* c = v->as<Container>();
    if (!c || c->kind != Container::tuple) throw Error("expected a tuple in the pickle, found " + describe(*v));
    return c->items;
  }

  Value* persistent(const Value* id) {
    const auto& t = tuple_of(id);
    if (t.size() < 5 || string_of(t[0]) != "storage") throw Error("unsupported persistent object (not a storage)");
    const auto* type = t[1]->as<Global>();
    if (!type) throw Error("storage without a type");
    const std::string key = string_of(t[2]);
    if (auto found = storage_values_.find(key); found != storage_values_.end()) return found->second;
    const auto dtype = storage_dtype(type->name);
    const int64_t numel = int_of(t[4]);
    const std::string record = "data/" + key;
    if (!archive_.has(record)) throw Error("storage '" + key + "' has no record " + record + " in the archive");
    const uint64_t have = archive_.size(record), element = c10::elementSize(dtype);
    if (numel < 0 || uint64_t(numel) > have / element)
      throw Error("storage '" + key + "' claims " + std::to_string(numel) + " elements of " + std::string(c10::toString(dtype)) +
                  " but its record holds " + std::to_string(have) + " bytes");
    Value* v = make(StorageRef{key, dtype, numel});
    storage_values_[key] = v;
    return v;
  }

  Value* tensor(const std::vector<Value*>& args) {
    if (args.size() < 4) throw Error("malformed tensor in the pickle");
    const auto* storage = args[0]->as<StorageRef>();
    if (!storage) throw Error("a tensor without a storage");
    TensorRef t{storage, int_of(args[1]), {}, {}, 0};
    for (const Value* s : tuple_of(args[2])) t.sizes.push_back(int_of(s));
    for (const Value* s : tuple_of(args[3])) t.strides.push_back(int_of(s));
    if (t.sizes.size() != t.strides.size() || t.sizes.size() > PickleLimits::max_dims)
      throw Error("a tensor with " + std::to_string(t.sizes.size()) + " sizes and " + std::to_string(t.strides.size()) +
                  " strides (at most " + std::to_string(PickleLimits::max_dims) + ")");
    // In bounds of its storage, and no more elements than it: a view cannot
    // claim terabytes over a few bytes (state_dicts hold no expanded views).
    if (t.offset < 0 || t.offset > storage->numel) throw Error("a tensor's offset lies outside its storage");
    int64_t numel = 1, last = t.offset;
    bool empty = false;
    for (std::size_t i = 0; i < t.sizes.size(); ++i) {
      if (t.sizes[i] < 0 || t.strides[i] < 0) throw Error("a tensor with a negative size or stride");
      if (t.sizes[i] == 0) empty = true;
    }
    if (!empty) {
      for (std::size_t i = 0; i < t.sizes.size(); ++i) {
        int64_t reach = 0;
        if (__builtin_mul_overflow(t.sizes[i] - 1, t.strides[i], &reach) || __builtin_add_overflow(last, reach, &last) ||
            __builtin_mul_overflow(numel, t.sizes[i], &numel))
          throw Error("a tensor's sizes and strides overflow");
      }
      if (last >= storage->numel || numel > storage->numel)
        throw Error("a tensor of " + std::to_string(numel) + " elements reaches element " + std::to_string(last) +
                    " of storage '" + storage->key + "', which has " + std::to_string(storage->numel));
    }
    t.numel = empty ? 0 : numel;
    return make(std::move(t));
  }

  Value* reduce(Value* callable, Value* args_value) {
    const auto* g = callable->as<Global>();
    if (!g) throw Error("REDUCE on " + describe(*callable) + ", not a class or function");
    const auto& args = tuple_of(args_value);
    const std::string& name = g->name;
    if (name == "collections.OrderedDict" || name == "builtins.dict") return container(Container::dict);
    if (name == "builtins.set" || name == "builtins.frozenset") {
      Value* s = container(Container::set);
      if (!args.empty())
        if (const auto* items = args[0]->as<Container>()) add_items(s, items->items);
      return s;
    }
    if (name == "torch._utils._rebuild_tensor_v2" || name == "torch._utils._rebuild_tensor") return tensor(args);
    if (name == "torch._utils._rebuild_parameter" || name == "torch._utils._rebuild_parameter_with_state") {
      if (args.empty() || !args[0]->as<TensorRef>()) throw Error("malformed parameter in the pickle");
      return args[0];
    }
    // torch::pickle_save (our trainers' checkpoints) tags a typed Dict with its type: the dict itself.
    if (name == "torch.jit._pickle.restore_type_tag" && !args.empty()) return args[0];
    if (name == "_codecs.encode" && !args.empty() && args[0]->as<std::string>()) return make(*args[0]->as<std::string>());
    // Any other class (a Lightning callback's state, an optimizer's, a pickled
    // module): an opaque object, an error only where weights are expected.
    Value* obj = container(Container::object);
    auto& c = *obj->as<Container>();
    c.type = name;
    if (name == "copyreg._reconstructor" && !args.empty()) {  // protocol < 2: (class, base, state)
      if (const auto* cls = args[0]->as<Global>()) c.type = cls->name;
      if (const auto* state = args.size() > 2 ? args[2]->as<Container>() : nullptr; state && state->kind == Container::dict)
        count(2 * state->pairs.size()), c.pairs = state->pairs;  // a dict subclass's items
    }
    return obj;
  }

  const ZipArchive& archive_;
  std::string data_;
  std::size_t pos_ = 0;
  uint64_t objects_ = 0;
  std::deque<Value> arena_;
  std::vector<Value*> stack_;
  std::vector<std::size_t> marks_;
  std::unordered_map<uint64_t, Value*> memo_;
  std::map<std::string, Value*> storage_values_;
  std::map<std::string, at::Tensor> storages_;
};

const Container* dict_of(const Value* v) {
  const auto* c = v ? v->as<Container>() : nullptr;
  return c && c->kind == Container::dict ? c : nullptr;
}

const Value* entry(const Container& dict, const std::string& key) {
  for (const auto& [k, v] : dict.pairs)
    if (const auto* s = k->as<std::string>(); s && *s == key) return v;
  return nullptr;
}

Json to_json(const Value& v, int depth) {
  if (depth > PickleLimits::max_depth)
    throw Error("hyper_parameters nested deeper than " + std::to_string(PickleLimits::max_depth) + " levels");
  if (v.as<std::monostate>()) return nullptr;
  if (const auto* b = v.as<bool>()) return *b;
  if (const auto* i = v.as<int64_t>()) return *i;
  if (const auto* d = v.as<double>()) return std::isfinite(*d) ? Json(*d) : Json(std::to_string(*d));
  if (const auto* s = v.as<std::string>()) return *s;
  if (v.as<TensorRef>()) return "<tensor>";
  if (const auto* g = v.as<Global>()) return "<" + g->name + ">";
  const auto* c = v.as<Container>();
  if (!c) return "<" + describe(v) + ">";
  if (c->kind == Container::dict || (c->kind == Container::object && !c->pairs.empty())) {  // dict subclasses too
    Json out = Json::object();
    for (const auto& [k, x] : c->pairs) {
      std::string key;
      if (const auto* s = k->as<std::string>()) key = *s;
      else if (const auto* i = k->as<int64_t>()) key = std::to_string(*i);
      else key = "<" + describe(*k) + ">";
      out[key] = to_json(*x, depth + 1);
    }
    return out;
  }
  if (c->kind == Container::object) return "<object " + c->type + ">";
  Json out = Json::array();
  for (const Value* x : c->items) out.push_back(to_json(*x, depth + 1));
  return out;
}

}  // namespace

CheckpointContents read_checkpoint_archive(const ZipArchive& archive) {
  if (archive.has("byteorder")) {
    const std::string order = archive.read_all("byteorder", 16);
    if (order != "little") throw Error("saved on a '" + order + "'-endian machine; only little-endian checkpoints are read");
  }
  if (!archive.has("data.pkl"))
    throw Error(archive.has("constants.pkl") ? "a TorchScript module, not a state_dict (use format: torchscript)"
                                             : "the archive has no data.pkl (not a torch.save file)");
  Machine machine(archive, archive.read_all("data.pkl", PickleLimits::max_pickle_bytes));
  const Value* root = machine.run();
  const Container* dict = dict_of(root);
  if (!dict)
    throw Error("the saved object is " + describe(*root) +
                ", not a dict (save module.state_dict() rather than the module)");
  CheckpointContents out;
  const Container* weights = dict;
  for (const char* nested : {"state_dict", "model"})
    if (const Container* d = dict_of(entry(*dict, nested))) {
      weights = d;
      out.weights_from = nested;
      break;
    }
  if (const Value* h = entry(*dict, "hyper_parameters")) out.hyper_parameters = to_json(*h, 0);
  // Views of one storage are copied apart: many views of a large storage
  // could otherwise claim far more memory than the file holds.
  const uint64_t budget = archive.total_size() + PickleLimits::extra_elements;
  uint64_t elements = 0;
  for (const auto& [k, v] : weights->pairs) {
    const auto* key = k->as<std::string>();
    if (!key) continue;
    if (const auto* t = v->as<TensorRef>()) {
      elements += uint64_t(t->numel);
      if (elements > budget)
        throw Error("the state_dict's tensors hold more than " + std::to_string(budget) +
                    " elements in all, more than the file's bytes (views of shared storages?)");
      out.tensors[*key] = machine.materialize(*t);
    } else if (const auto* c = v->as<Container>(); c && c->kind == Container::object) {
      throw Error("'" + *key + "' holds " + describe(*v) + ", which a state_dict reader cannot build");
    }
  }
  return out;
}

}  // namespace screener::torch_support
