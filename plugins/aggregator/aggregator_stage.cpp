// Collects the patches of a study and, when the last one arrives, blends them
// into a map on the grid of the volume they were cut from.
//
// Patches are summed in index order, whatever order they arrive in: float
// sums depend on their order, and arrival order depends on threads and
// timing, so this is what makes the map the same bytes from run to run. A
// patch that arrives early waits (with its payload, which keeps its credit:
// at most --max-patches-in-flight of them) until those before it are added.
#include <algorithm>
#include <map>
#include <mutex>

#include <tbb/blocked_range.h>
#include <tbb/parallel_reduce.h>

#include "blend.h"
#include "regrid.h"
#include "screener/screener.h"

using namespace screener;
using namespace screener::aggregator;

class AggregatorStage final : public Stage {
 public:
  static void setup(StageSpec& spec) {
    spec.input("patches", payload_type::patch, "Per-patch maps {C, h, w, s}, any resolution up to the roi");
    spec.output("map", payload_type::volume, "The blended map on the patches' source grid");
    spec.choice("mode", {"gaussian", "constant"}, "gaussian",
                "gaussian: MONAI importance map (official code); constant: plain averaging (paper text)");
    spec.number("sigma_scale", 0.125, "Gaussian sigma as a fraction of the roi").range(0.001, 10);
    spec.choice("grid", {"original", "source"}, "original",
                "original: the grid the study was read on (cropped-away voxels get the map minimum); "
                "source: the grid of the volume the patches were cut from");
    spec.concurrency(Concurrency::unlimited());
  }

  explicit AggregatorStage(const StageContext& ctx)
      : stage_id_(ctx.stage_id),
        mode_(ctx.params.get<std::string>("mode") == "constant" ? BlendMode::constant : BlendMode::gaussian),
        sigma_scale_(ctx.params.get<double>("sigma_scale")),
        to_original_(ctx.params.get<std::string>("grid") == "original") {}

  void process(const Inputs& in, Emitter& out) override {
    const Packet& packet = in.first();
    const auto& patch = in.payload<Patch>("patches");
    if (!patch.source) throw Error("patch " + std::to_string(packet.index) + " does not know its source volume");
    const auto& d = patch.data;
    if (d.ndim() != 4) throw Error("patch data must be {C, h, w, s}");
    if (packet.index < 0 || packet.index >= packet.count)
      throw Error("patch index " + std::to_string(packet.index) + " is not one of 0.." +
                  std::to_string(packet.count - 1));
    Waiting waiting{packet, weights_for(patch.roi)};

    std::shared_ptr<StudySum> study;
    {
      std::lock_guard lock(mu_);
      auto& s = studies_[in.study().serial];
      if (!s) s = std::make_shared<StudySum>(patch.source->geometry.size, d.dim(0));
      study = s;
    }
    bool complete = false;
    {
      std::lock_guard lock(study->mu);
      if (d.dim(0) != study->sum.channels())
        throw Error("patch " + std::to_string(packet.index) + " has " + std::to_string(d.dim(0)) +
                    " channels, the study's first patch " + std::to_string(study->sum.channels()));
      if (packet.index < study->next || !study->waiting.emplace(packet.index, std::move(waiting)).second)
        throw Error("patch " + std::to_string(packet.index) + " arrived twice");
      // The patches now next in line, added together (in parallel over the
      // volume's rows, each voxel getting them in index order).
      std::vector<Waiting> ready;
      for (auto it = study->waiting.begin(); it != study->waiting.end() && it->first == study->next;
           it = study->waiting.erase(it), ++study->next)
        ready.push_back(std::move(it->second));
      std::vector<Window> windows;
      for (const auto& r : ready) {
        const auto& p = payload_as<Patch>(r.packet.payload);
        windows.push_back({p.data.data<float>(), {p.data.dim(1), p.data.dim(2), p.data.dim(3)}, p.start, p.roi,
                           r.weights.get()});
      }
      study->sum.add(windows);
      complete = study->next == packet.count;
    }
    if (!complete) return;
    {
      std::lock_guard lock(mu_);
      studies_.erase(in.study().serial);
    }
    const Volume& source = *patch.source;
    const auto values = study->sum.result();
    const int64_t channels = study->sum.channels();
    const bool regrid = to_original_ && !(source.original_grid() == source.geometry);
    const Geometry grid = regrid ? source.original_grid() : source.geometry;
    Tensor::Shape shape = channels == 1 ? Tensor::Shape{grid.size[0], grid.size[1], grid.size[2]}
                                        : Tensor::Shape{channels, grid.size[0], grid.size[1], grid.size[2]};
    Tensor map = Tensor::zeros(shape, DType::float32);
    if (regrid)
      to_grid(values, channels, source.geometry, grid, map.data<float>());
    else
      std::copy(values.begin(), values.end(), map.data<float>());
    out.emit_item("map", source.derive(stage_id_, to_original_ ? "to_original_grid" : "aggregate", grid, std::move(map)),
                  -1, 1);
  }

  void abandon(const Study& study) override {
    std::lock_guard lock(mu_);
    studies_.erase(study.serial);
  }

 private:
  // A patch not yet added: its packet (payload and flow-control credit) and
  // its blending weights.
  struct Waiting {
    Packet packet;
    std::shared_ptr<const std::vector<float>> weights;
  };
  struct StudySum {
    StudySum(const Index3& size, int64_t channels) : sum(size, channels) {}
    std::mutex mu;
    Accumulator sum;
    int64_t next = 0;  // the index of the next patch to add
    std::map<int64_t, Waiting> waiting;
  };

  // Each channel through the grids' physical mapping into `out`; outside, the channel's minimum.
  static void to_grid(const std::vector<float>& values, int64_t channels, const Geometry& from, const Geometry& to,
                      float* out) {
    const std::size_t n = std::size_t(from.voxel_count());
    using Range = tbb::blocked_range<std::size_t>;
    for (int64_t c = 0; c < channels; ++c) {
      const float* channel = values.data() + std::size_t(c) * n;
      const float fill = n ? tbb::parallel_reduce(
                                 Range(0, n), channel[0],
                                 [&](const Range& r, float low) {
                                   for (std::size_t i = r.begin(); i < r.end(); ++i) low = std::min(low, channel[i]);
                                   return low;
                                 },
                                 [](float a, float b) { return std::min(a, b); })
                           : 0.0f;
      regrid_linear(channel, from, to, fill, out + c * to.voxel_count());
    }
  }

  std::shared_ptr<const std::vector<float>> weights_for(const Index3& roi) {
    std::lock_guard lock(mu_);
    auto& w = weights_[roi];
    if (!w) w = std::make_shared<const std::vector<float>>(importance_map(roi, mode_, sigma_scale_));
    return w;
  }

  std::string stage_id_;
  BlendMode mode_;
  double sigma_scale_;
  bool to_original_;
  std::mutex mu_;
  std::map<uint64_t, std::shared_ptr<StudySum>> studies_;
  std::map<Index3, std::shared_ptr<const std::vector<float>>> weights_;
};

SCREENER_PLUGIN(AggregatorStage, "aggregator", "1.0.0",
                "Blends per-patch maps into one map per study (MONAI gaussian or constant weighting)")
