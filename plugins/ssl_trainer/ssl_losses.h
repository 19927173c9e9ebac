// The dense SSL objectives of SPEC §3 on matched voxel embeddings: VICReg
// (Bardes et al., with its expander) and InfoNCE.
#pragma once
#include <string>
#include <utility>
#include <vector>

#include <ATen/ATen.h>

#include "state_dict.h"

namespace screener::ssl {

struct Loss {
  at::Tensor total;
  std::vector<std::pair<std::string, double>> terms;  // for the log
};

struct VICRegWeights {
  double invariance = 25, variance = 25, covariance = 1;
};
// z1, z2: (n, D), row i of each is the same point seen in the two views.
Loss vicreg(const at::Tensor& z1, const at::Tensor& z2, const VICRegWeights& w);

// Symmetric cross-entropy of cosine similarities / temperature: every other
// row (other points of the same and of other crops) is a negative.
Loss infonce(const at::Tensor& y1, const at::Tensor& y2, double temperature);

// VICReg's expander: [Linear → GroupNorm → SiLU] × 2 → Linear, keyed like
// torch.nn.Sequential ("0.weight", "1.weight", "3.weight", ...). GroupNorm
// has `groups` groups (32) but at least 16 channels per group.
class Expander {
 public:
  Expander(torch_support::WeightReader& w, int64_t in, int64_t width, int64_t groups = 32);
  at::Tensor operator()(const at::Tensor& x) const;

 private:
  at::Tensor l0w_, l0b_, n1w_, n1b_, l3w_, l3b_, n4w_, n4b_, l6w_, l6b_;
  int64_t groups_;
};

}  // namespace screener::ssl
