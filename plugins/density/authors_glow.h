// The authors' Glow checkpoints (their glow.py, a LightningModule) in our
// layout (docs/model_checkpoints.md). The maths are identical; only names and
// shapes differ:
//   glow_blocks.{k}.actnorm.loc, .log_scale (D)  → flows.{k}.actnorm.loc, .log_scale (1, D, 1, 1, 1)
//   glow_blocks.{k}.actnorm.initialized           → flows.{k}.actnorm.initialized
//   glow_blocks.{k}.inv_linear.weight (D, D, 1, 1, 1) → flows.{k}.invconv.weight (D, D)
//   glow_blocks.{k}.affine_coupling.mlp.{0,2,4}.* → flows.{k}.coupling.net.{0,2,4}.*
// A tensor whose shape is not the authors' keeps it, so the model's loader
// reports it as mis-shaped under the file's name.
#pragma once
#include <optional>
#include <string>
#include <vector>

#include "state_dict.h"

namespace screener::density {

inline constexpr const char* kAuthorsGlowPrefix = "glow_blocks.";

// The glow_blocks.* tensors renamed and reshaped to ours; every other key
// (the descriptor under descriptor_model., …) is left out.
torch_support::StateDict authors_glow_to_ours(const torch_support::StateDict& weights);
// The authors' name of one of our flows.* keys (itself if it has none).
std::string authors_glow_key(const std::string& ours);

// Pooling from the authors' hyper_parameters (avg_pool, avg_pool_kernel_size,
// avg_pool_stride, avg_pool_padding): (1, 1, 1) without pooling; nothing if
// they do not say. Kernel ≠ stride or a padding is refused (`file` names it).
std::optional<std::vector<int64_t>> authors_pooling(const Json& hyper_parameters, const std::string& file);

}  // namespace screener::density
