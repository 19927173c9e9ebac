// A sink that scores anomaly maps against ground-truth masks (SPEC §7): it
// accumulates each study as it arrives (the volumes are released right after)
// and, once every study has left the graph, writes <output>/eval.json and
// <output>/eval_curves.png (Stage::finish).
#include <chrono>
#include <cstdio>
#include <memory>

#include "grid_match.h"
#include "metrics.h"
#include "png_file.h"
#include "report.h"
#include "screener/files.h"
#include "screener/screener.h"

using namespace screener;

namespace {

// The volume's one channel: shape {H, W, S}, or {1, H, W, S}.
eval::Shape3 spatial_shape(const Volume& v, const std::string& what, const std::string& study) {
  const auto& t = v.voxels;
  if (!t.device().is_cpu()) throw Error("study '" + study + "': the " + what + " is not in host memory");
  if (t.ndim() == 3) return {t.dim(0), t.dim(1), t.dim(2)};
  if (t.ndim() == 4 && t.dim(0) == 1) return {t.dim(1), t.dim(2), t.dim(3)};
  throw Error("study '" + study + "': the " + what + " must be a one-channel 3-D volume");
}

template <class T, class Out, class F> void convert(const Tensor& t, std::vector<Out>& out, F f) {
  const T* p = static_cast<const T*>(t.raw());
  out.resize(std::size_t(t.numel()));
  for (std::size_t i = 0; i < out.size(); ++i) out[i] = f(p[i]);
}

// float32 voxels in place, or a converted copy in `storage`.
const float* as_float(const Tensor& t, std::vector<float>& storage) {
  const auto cast = [](auto v) { return float(v); };
  switch (t.dtype()) {
    case DType::float32: return static_cast<const float*>(t.raw());
    case DType::float64: convert<double>(t, storage, cast); break;
    case DType::int16: convert<int16_t>(t, storage, cast); break;
    case DType::uint16: convert<uint16_t>(t, storage, cast); break;
    case DType::int32: convert<int32_t>(t, storage, cast); break;
    case DType::int64: convert<int64_t>(t, storage, cast); break;
    case DType::uint8: convert<uint8_t>(t, storage, cast); break;
    default: throw Error(std::string("maps of type ") + dtype_name(t.dtype()) + " are not supported");
  }
  return storage.data();
}

// uint8 0/1 (nonzero = positive) in place when already uint8.
const uint8_t* as_mask(const Tensor& t, std::vector<uint8_t>& storage) {
  const auto nonzero = [](auto v) { return uint8_t(v != 0); };
  switch (t.dtype()) {
    case DType::uint8: return static_cast<const uint8_t*>(t.raw());
    case DType::float32: convert<float>(t, storage, nonzero); break;
    case DType::float64: convert<double>(t, storage, nonzero); break;
    case DType::int16: convert<int16_t>(t, storage, nonzero); break;
    case DType::uint16: convert<uint16_t>(t, storage, nonzero); break;
    case DType::int32: convert<int32_t>(t, storage, nonzero); break;
    case DType::int64: convert<int64_t>(t, storage, nonzero); break;
    default: throw Error(std::string("masks of type ") + dtype_name(t.dtype()) + " are not supported");
  }
  return storage.data();
}

}  // namespace

class Evaluator final : public Stage {
 public:
  static void setup(StageSpec& spec) {
    spec.input("map", payload_type::volume, "Anomaly map, one channel (float32; other types are converted)");
    spec.input("truth", payload_type::volume, "Ground-truth mask on the map's grid, nonzero = positive");
    spec.number("max_fpr", 0.3, "Upper FPR of the partial AUROC and of AUPRO").range(1e-6, 1.0);
    spec.integer("subsample", 0,
                 "0: every voxel (binned, relative resolution 2^-15); N: the official protocol, at most N positive "
                 "and N negative voxels per study drawn at random, metrics exact on those")
        .at_least(0);
    spec.integer("seed", 0, "Seed of the subsampling (combined with a hash of each study id)");
    spec.choice("connectivity", {"26", "6"}, "26",
                "Connectivity of the ground truth's regions for AUPRO (26: faces, edges and corners)");
    // Accumulation is locked inside the metrics; components and draws of
    // different studies run in parallel.
    spec.concurrency(Concurrency::unlimited());
  }

  explicit Evaluator(const StageContext& ctx)
      : output_dir_(ctx.output_dir), log_(ctx.log), metrics_(options(ctx.params)) {}

  void process(const Inputs& in, Emitter&) override {
    const std::string& id = in.study().id;
    const auto& map = in.payload<Volume>("map");
    const auto& truth = in.payload<Volume>("truth");
    const auto shape = spatial_shape(map, "map", id);
    const auto truth_shape = spatial_shape(truth, "ground-truth mask", id);
    if (shape != truth_shape)
      throw Error("study '" + id + "': the map (" + eval::grid_text(map.geometry) + ") and the ground-truth mask (" +
                  eval::grid_text(truth.geometry) + ") have different shapes");
    const std::string mismatch = eval::grid_mismatch(map.geometry, truth.geometry);
    if (!mismatch.empty())
      throw Error("study '" + id + "': " + mismatch + " between the map (" + eval::grid_text(map.geometry) +
                  ") and the ground-truth mask (" + eval::grid_text(truth.geometry) + ")");
    std::vector<float> map_storage;
    std::vector<uint8_t> mask_storage;
    const float* scores = as_float(map.voxels, map_storage);
    const uint8_t* mask = as_mask(truth.voxels, mask_storage);
    try {
      metrics_.add_study(id, scores, mask, shape);
    } catch (const std::runtime_error& e) {
      throw Error(e.what());
    }
  }

  std::vector<std::filesystem::path> finish(const RunCompletion& completion) override {
    if (metrics_.studies() == 0)
      throw Error("no study was evaluated (" + std::to_string(completion.done.size()) + " done, " +
                  std::to_string(completion.failed.size()) +
                  " failed): nothing to report; see run_summary.json for the studies' errors");
    const auto start = std::chrono::steady_clock::now();
    const eval::MetricsResult result = metrics_.result();
    eval::RunInfo run{completion.done, completion.failed};
    const Json report = eval::report_json(result, run);
    std::filesystem::create_directories(output_dir_);
    const auto json_path = output_dir_ / "eval.json";
    const auto png_path = output_dir_ / "eval_curves.png";
    write_file_atomic(json_path, report.dump(2) + "\n");
    preview::write_png(eval::plot_curves(result), png_path);
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    char line[300];
    const auto show = [](const std::optional<double>& v) { return v ? *v : std::nan(""); };
    std::snprintf(line, sizeof line, "evaluated %zu studies: AUROC %.4f, AUROC@%.2f %.4f, AUPRO@%.2f %.4f, AP %.4f (%.2f s)",
                  result.studies.size(), show(result.auroc), result.max_fpr, show(result.auroc_max_fpr),
                  result.max_fpr, show(result.aupro_max_fpr), show(result.average_precision), seconds);
    log_(line);
    return {json_path, png_path};
  }

 private:
  static eval::MetricsOptions options(const Params& p) {
    eval::MetricsOptions o;
    o.max_fpr = p.get<double>("max_fpr");
    o.subsample = p.get<int64_t>("subsample");
    o.seed = uint64_t(p.get<int64_t>("seed"));
    o.connectivity = p.get<std::string>("connectivity") == "6" ? eval::Connectivity::faces6 : eval::Connectivity::full26;
    return o;
  }

  std::filesystem::path output_dir_;
  std::function<void(const std::string&)> log_;
  eval::MetricsAccumulator metrics_;
};

SCREENER_PLUGIN(Evaluator, "evaluator", "1.0.0",
                "Voxel AUROC, AUROC and AUPRO up to an FPR, average precision and sample-level AUROC of anomaly maps "
                "against ground-truth masks; writes eval.json and eval_curves.png")
