#include "authors_glow.h"

#include <algorithm>

#include "screener/error.h"

namespace screener::density {

using torch_support::StateDict;

namespace {

// (the authors' part after glow_blocks.{k}., ours after flows.{k}.); a
// trailing '.' matches every key under it.
struct Rename {
  const char* authors;
  const char* ours;
};
constexpr Rename kRenames[] = {{"actnorm.loc", "actnorm.loc"},
                               {"actnorm.log_scale", "actnorm.log_scale"},
                               {"actnorm.initialized", "actnorm.initialized"},
                               {"inv_linear.weight", "invconv.weight"},
                               {"affine_coupling.mlp.", "coupling.net."}};

bool matches(const std::string& rest, const std::string& pattern) {
  return pattern.back() == '.' ? rest.rfind(pattern, 0) == 0 : rest == pattern;
}

// "prefix{k}.rest" → (k, rest); nothing for another shape of key.
std::optional<std::pair<std::string, std::string>> split_block(const std::string& key, const std::string& prefix) {
  if (key.rfind(prefix, 0) != 0) return std::nullopt;
  const auto dot = key.find('.', prefix.size());
  if (dot == std::string::npos || dot == prefix.size()) return std::nullopt;
  return std::make_pair(key.substr(prefix.size(), dot - prefix.size()), key.substr(dot + 1));
}

at::Tensor to_our_shape(const std::string& ours, const at::Tensor& t) {
  if ((ours == "actnorm.loc" || ours == "actnorm.log_scale") && t.dim() == 1) return t.reshape({1, t.size(0), 1, 1, 1});
  // conv3d(x, W) with W (D, D, 1, 1, 1) is x ↦ W x per voxel: our invconv (D, D), same orientation.
  if (ours == "invconv.weight" && t.dim() == 5 && t.size(0) == t.size(1) && t.size(2) == 1 && t.size(3) == 1 &&
      t.size(4) == 1)
    return t.reshape({t.size(0), t.size(1)});
  return t;
}

}  // namespace

StateDict authors_glow_to_ours(const StateDict& weights) {
  StateDict out;
  for (const auto& [key, t] : weights) {
    const auto block = split_block(key, kAuthorsGlowPrefix);
    if (!block) continue;
    const auto& [k, rest] = *block;
    bool renamed = false;
    for (const auto& r : kRenames)
      if (matches(rest, r.authors)) {
        const std::string ours = std::string(r.ours) + rest.substr(std::string(r.authors).size());
        out["flows." + k + "." + ours] = to_our_shape(ours, t);
        renamed = true;
        break;
      }
    if (!renamed) out[key] = t;  // left as it is: reported as unexpected under its own name
  }
  return out;
}

std::string authors_glow_key(const std::string& ours) {
  const auto block = split_block(ours, "flows.");
  if (!block) return ours;
  const auto& [k, rest] = *block;
  for (const auto& r : kRenames)
    if (matches(rest, r.ours))
      return kAuthorsGlowPrefix + k + "." + r.authors + rest.substr(std::string(r.ours).size());
  return ours;
}

std::optional<std::vector<int64_t>> authors_pooling(const Json& hp, const std::string& file) {
  if (!hp.is_object() || !hp.contains("avg_pool")) return std::nullopt;
  const Json& on = hp["avg_pool"];
  if (!on.is_boolean()) throw Error(file + ": hyper_parameters.avg_pool is " + on.dump() + ", expected true or false");
  if (!on.get<bool>()) return std::vector<int64_t>{1, 1, 1};
  auto triple = [&](const char* key, std::optional<std::vector<int64_t>> absent) -> std::vector<int64_t> {
    const Json v = hp.contains(key) ? hp[key] : Json();
    if (v.is_null() && absent) return *absent;
    if (v.is_number_integer()) return std::vector<int64_t>(3, v.get<int64_t>());
    if (v.is_array() && v.size() == 3 && std::all_of(v.begin(), v.end(), [](const Json& x) { return x.is_number_integer(); }))
      return v.get<std::vector<int64_t>>();
    throw Error(file + ": hyper_parameters." + key + " is " + v.dump() + ", expected an integer or three");
  };
  const auto kernel = triple("avg_pool_kernel_size", std::nullopt);
  const auto stride = triple("avg_pool_stride", kernel);
  const auto padding = triple("avg_pool_padding", std::vector<int64_t>{0, 0, 0});
  for (int64_t k : kernel)
    if (k < 1 || k > 64) throw Error(file + ": hyper_parameters.avg_pool_kernel_size " + Json(kernel).dump() + " out of 1…64");
  if (stride != kernel || padding != std::vector<int64_t>{0, 0, 0})
    throw Error(file + ": hyper_parameters pool with kernel " + Json(kernel).dump() + ", stride " + Json(stride).dump() +
                ", padding " + Json(padding).dump() + ": only kernel = stride without padding is supported");
  return kernel;
}

}  // namespace screener::density
