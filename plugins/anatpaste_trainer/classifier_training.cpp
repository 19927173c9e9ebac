#include "classifier_training.h"

#include "screener/error.h"

namespace screener::anatpaste {

TrainingBatch draw_batch(const std::vector<const StudyForTraining*>& pool, const BatchOptions& o, at::Generator& gen) {
  if (pool.empty()) throw Error("anatpaste_trainer: no study to draw crops from");
  const auto& roi = o.roi;
  const int64_t n = roi[0] * roi[1] * roi[2];
  std::vector<at::Tensor> originals, pasted, masks;
  for (int64_t k = 0; k < o.crops; ++k) {
    const auto& study = *pool[std::size_t(at::randint(int64_t(pool.size()), {1}, gen).item<int64_t>())];
    const at::Tensor image = study.image.contiguous();
    const float* src = image.data_ptr<float>();
    const Index3 size{image.size(0), image.size(1), image.size(2)};
    Index3 corner{};
    for (std::size_t a = 0; a < 3; ++a)
      corner[a] = size[a] > roi[a] ? at::randint(size[a] - roi[a] + 1, {1}, gen).item<int64_t>() : 0;
    const auto seed = uint64_t(at::randint(int64_t(1) << 62, {1}, gen).item<int64_t>());
    std::vector<float> crop(std::size_t(n), 0.0f);
    std::vector<uint8_t> body(std::size_t(n), 0);
    for (int64_t x = 0; x < std::min(roi[0], size[0]); ++x)
      for (int64_t y = 0; y < std::min(roi[1], size[1]); ++y)
        for (int64_t z = 0; z < std::min(roi[2], size[2]); ++z) {
          const auto from = std::size_t(((corner[0] + x) * size[1] + corner[1] + y) * size[2] + corner[2] + z);
          const auto to = std::size_t((x * roi[1] + y) * roi[2] + z);
          crop[to] = src[from];
          body[to] = study.body[from];
        }
    auto result = synthesise(crop, body, {roi[0], roi[1], roi[2]}, study.spacing, o.paste, seed);
    originals.push_back(at::tensor(crop).view({1, roi[0], roi[1], roi[2]}));
    pasted.push_back(at::tensor(result.volume).view({1, roi[0], roi[1], roi[2]}));
    masks.push_back(at::tensor(std::vector<float>(result.mask.begin(), result.mask.end())).view({1, roi[0], roi[1], roi[2]}));
  }
  TrainingBatch b;
  std::vector<at::Tensor> inputs = originals;
  inputs.insert(inputs.end(), pasted.begin(), pasted.end());
  b.inputs = at::stack(inputs);
  std::vector<at::Tensor> targets(originals.size(), at::zeros({1, roi[0], roi[1], roi[2]}));
  targets.insert(targets.end(), masks.begin(), masks.end());
  b.targets = at::stack(targets);
  return b;
}

at::Tensor classifier_loss(const at::Tensor& logits, const at::Tensor& targets) {
  return at::binary_cross_entropy_with_logits(logits, targets.to(logits.dtype()));
}

}  // namespace screener::anatpaste
