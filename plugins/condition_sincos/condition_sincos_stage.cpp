// Sin-cos encodings of each voxel's absolute position in the whole CT (the
// paper's positional baseline): the patch's start in its source volume and
// that volume's spacing place every voxel in millimetres from the volume's
// first voxel, whatever window it was cut in.
#include <cmath>

#include "torch_bridge.h"

using namespace screener;
using namespace screener::torch_support;

class ConditionSincosStage final : public Stage {
 public:
  static void setup(StageSpec& spec) {
    spec.input("patches", payload_type::patch, "Image patches {1, roi} with their source volume");
    spec.output("conditions", payload_type::patch, "Encodings {6 * frequencies, roi}, on the chosen device");
    spec.integer("frequencies", 4, "Wavelengths per axis (each gives a sin and a cos channel)").range(1, 256);
    spec.number("min_wavelength_mm", 16.0, "Shortest wavelength").range(1e-3, 1e6);
    spec.number("max_wavelength_mm", 512.0, "Longest wavelength (geometric steps in between)").range(1e-3, 1e6);
    declare_device_params(spec, {"fp32", "fp16", "bf16"});  // no convolutions: TF32 would change nothing
    spec.concurrency(Concurrency::unlimited());
  }

  explicit ConditionSincosStage(const StageContext& ctx)
      : frequencies_(ctx.params.get<int64_t>("frequencies")),
        shortest_(ctx.params.get<double>("min_wavelength_mm")),
        longest_(ctx.params.get<double>("max_wavelength_mm")),
        device_(read_device_params(ctx)) {
    if (longest_ < shortest_) throw Error("condition_sincos: max_wavelength_mm is below min_wavelength_mm");
  }

  void process(const Inputs& in, Emitter& out) override {
    const auto& patch = in.payload<Patch>("patches");
    if (!patch.source) throw Error("condition_sincos: the patch does not know its source volume");
    use_intra_op_threads(device_.threads);  // the element-wise loops' vector/scalar split follows the thread count
    const auto& spacing = patch.source->geometry.spacing;
    const auto opts = at::TensorOptions().dtype(at::kDouble).device(device_.device);
    const auto f = at::arange(frequencies_, opts);
    const auto steps = frequencies_ > 1 ? f / double(frequencies_ - 1) : f;
    const auto wavelengths = shortest_ * at::pow(longest_ / shortest_, steps);
    const auto& roi = patch.roi;
    std::vector<at::Tensor> channels;
    for (int64_t axis = 0; axis < 3; ++axis) {
      const auto mm = (at::arange(roi[axis], opts) + double(patch.start[axis])) * spacing[axis];
      const auto angle = 2 * M_PI * mm.unsqueeze(0) / wavelengths.unsqueeze(1);  // (F, n)
      auto enc = at::cat({at::sin(angle), at::cos(angle)});                      // (2F, n)
      std::vector<int64_t> view{2 * frequencies_, 1, 1, 1};
      view[std::size_t(axis + 1)] = roi[axis];
      channels.push_back(enc.view(view).expand({2 * frequencies_, roi[0], roi[1], roi[2]}));
    }
    out.emit("conditions", patch_like(patch, at::cat(channels).to(device_.dtype)));
  }

 private:
  int64_t frequencies_;
  double shortest_, longest_;
  DeviceOptions device_;
};

SCREENER_PLUGIN(ConditionSincosStage, "condition_sincos", "1.0.0",
                "Sin-cos encodings of every voxel's position in the whole CT (positional condition)")
