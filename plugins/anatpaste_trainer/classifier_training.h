// What one training step of the AnatPaste voxel classifier draws and
// minimises: crops of normal studies, each also with pasted anomalies
// (anatpaste_support), labelled 0 everywhere in the original and 1 exactly on
// the changed voxels of the pasted copy (the paper's eq. 2, per voxel).
#pragma once
#include <array>
#include <cstdint>
#include <vector>

#include <ATen/ATen.h>

#include "synthesis.h"

namespace screener::anatpaste {

struct StudyForTraining {
  at::Tensor image;           // (H, W, S) float32 on the CPU, intensities in [0, 1]
  std::vector<uint8_t> body;  // same grid, 1 inside the body
  Vec3 spacing{1, 1, 1};
};

struct BatchOptions {
  std::array<int64_t, 3> roi{32, 32, 32};
  int64_t crops = 4;  // per step; the batch holds each crop and its pasted copy
  SynthesisOptions paste;
};

struct TrainingBatch {
  at::Tensor inputs;   // (2·crops, 1, roi): the crops, then their pasted copies
  at::Tensor targets;  // same shape: 0, then the exact masks of changed voxels
};

// Every draw (study, crop corner, synthesis seed) comes from `gen`. A volume
// smaller than the roi along an axis is padded with 0 (air, outside the body).
TrainingBatch draw_batch(const std::vector<const StudyForTraining*>& pool, const BatchOptions& options,
                         at::Generator& gen);

// Mean binary cross-entropy of the logits against the targets.
at::Tensor classifier_loss(const at::Tensor& logits, const at::Tensor& targets);

}  // namespace screener::anatpaste
