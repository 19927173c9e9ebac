#include "state_dict.h"

#include <sstream>

#include "screener/error.h"
#include "state_dict_unpickler.h"
#include "zip_archive.h"

namespace screener::torch_support {

namespace fs = std::filesystem;

namespace {

std::string shape_str(at::IntArrayRef s) {
  std::ostringstream o;
  o << "(";
  for (std::size_t i = 0; i < s.size(); ++i) o << (i ? ", " : "") << s[i];
  o << ")";
  return o.str();
}

}  // namespace

Checkpoint load_checkpoint(const fs::path& file) {
  if (!fs::is_regular_file(file)) throw Error(file.string() + ": no such checkpoint file");
  CheckpointContents contents;
  try {
    // Storages land on the CPU whatever device they were saved from (GPU
    // training): the model moves its weights where it runs.
    contents = read_checkpoint_archive(ZipArchive::open(file));
  } catch (const Error& e) {
    throw Error(file.string() + ": cannot read as a torch.save checkpoint: " + e.what());
  } catch (const std::bad_alloc&) {
    throw Error(file.string() + ": out of memory reading the checkpoint");
  } catch (const std::exception& e) {
    std::string what = e.what();
    what = what.substr(0, what.find('\n'));
    throw Error(file.string() + ": cannot read as a torch.save checkpoint: " + what);
  }
  if (contents.tensors.empty())
    throw Error(file.string() + ": the checkpoint holds no tensors" +
                (contents.weights_from == "state_dict" ? " (is it a state_dict?)" : " in its '" + contents.weights_from + "'"));
  Checkpoint out{std::move(contents.tensors), std::move(contents.hyper_parameters)};
  for (auto& [key, t] : out.weights) t = t.to(at::kFloat).contiguous();
  return out;
}

StateDict load_state_dict(const fs::path& file) { return load_checkpoint(file).weights; }

bool is_torchscript(const fs::path& file) {
  if (!fs::is_regular_file(file)) throw Error(file.string() + ": no such checkpoint file");
  try {
    return ZipArchive::open(file).has("constants.pkl");  // TorchScript keeps its constants apart
  } catch (const std::exception& e) {
    throw Error(file.string() + ": not a PyTorch file: " + std::string(e.what()).substr(0, 300));
  }
}

StateDict select_prefix(const StateDict& weights, const std::string& prefix) {
  StateDict out;
  for (const auto& [key, t] : weights)
    if (key.rfind(prefix, 0) == 0) out[key.substr(prefix.size())] = t;
  return out;
}

bool has_prefix(const StateDict& weights, const std::string& prefix) {
  auto it = weights.lower_bound(prefix);
  return it != weights.end() && it->first.rfind(prefix, 0) == 0;
}

StateDict strip_prefix(StateDict weights, const std::string& prefix) {
  StateDict out;
  for (auto& [key, t] : weights)
    out[key.rfind(prefix, 0) == 0 ? key.substr(prefix.size()) : key] = std::move(t);
  return out;
}

WeightReader::WeightReader(StateDict weights, fs::path file, std::function<bool(const std::string&)> ignore)
    : weights_(std::move(weights)), file_(std::move(file)), ignore_(std::move(ignore)) {}

std::string WeightReader::named(const std::string& key) const {
  if (!in_file_) return key;
  const std::string original = in_file_(key);
  return original == key ? key : original + " (read as " + key + ")";
}

at::Tensor WeightReader::take(const std::string& key, at::IntArrayRef shape) {
  taken_[key] = true;
  auto it = weights_.find(key);
  if (it == weights_.end() && maker_) it = weights_.emplace(key, maker_(key, shape)).first;
  if (it == weights_.end()) {
    missing_.push_back(named(key) + " " + shape_str(shape));
    return at::zeros(shape);
  }
  if (it->second.sizes() != shape) {
    misshaped_.push_back(named(key) + ": " + shape_str(it->second.sizes()) + ", expected " + shape_str(shape));
    return at::zeros(shape);
  }
  return it->second;
}

std::vector<int64_t> WeightReader::shape_of(const std::string& key) const {
  auto it = weights_.find(key);
  return it == weights_.end() ? std::vector<int64_t>{} : it->second.sizes().vec();
}

std::vector<std::string> WeightReader::keys_with_prefix(const std::string& prefix) const {
  std::vector<std::string> out;
  for (const auto& [key, t] : weights_)
    if (key.rfind(prefix, 0) == 0) out.push_back(key);
  return out;
}

void WeightReader::finish(const std::string& what) {
  std::vector<std::string> unexpected;
  for (const auto& [key, t] : weights_)
    if (!taken_.count(key) && !ignore_(key)) unexpected.push_back(named(key) + " " + shape_str(t.sizes()));
  if (missing_.empty() && misshaped_.empty() && unexpected.empty()) return;
  std::ostringstream o;
  o << file_.string() << ": not a checkpoint of " << what << ":";
  auto list = [&](const char* title, const std::vector<std::string>& keys) {
    if (keys.empty()) return;
    o << "\n  " << title << " (" << keys.size() << "):";
    const std::size_t shown = std::min<std::size_t>(keys.size(), 20);
    for (std::size_t i = 0; i < shown; ++i) o << "\n    " << keys[i];
    if (keys.size() > shown) o << "\n    ... and " << keys.size() - shown << " more";
  };
  list("missing keys", missing_);
  list("mis-shaped keys", misshaped_);
  list("unexpected keys", unexpected);
  throw Error(o.str());
}

}  // namespace screener::torch_support
