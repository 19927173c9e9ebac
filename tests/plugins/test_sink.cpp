// Writes <output>/<study>.json with what it received.
#include <mutex>

#include "common.h"

using namespace screener;

class TestSink final : public Stage {
 public:
  static void setup(StageSpec& spec) {
    spec.input("in", payload_type::any, "Anything");
    spec.integer("sleep_ms", 0, "Time each call takes").range(0, 10000);
    spec.flag("summary", false, "At the end of the run, write summary.json listing the studies seen");
    spec.flag("fail_finish", false, "Throw from finish()");
    spec.concurrency(Concurrency::serial());
  }
  explicit TestSink(const StageContext& ctx) : params_(ctx.params), dir_(ctx.output_dir) {}

  void process(const Inputs& in, Emitter& out) override {
    testplug::nap(params_.get<int64_t>("sleep_ms"));
    Json j = {{"study", in.study().id}, {"payload", std::string(in.first().payload->type())},
              {"index", in.first().index}};
    if (auto* v = dynamic_cast<const Volume*>(in.first().payload.get()); v && v->voxels.dtype() == DType::float64)
      j["values"] = std::vector<double>(v->voxels.data<double>(), v->voxels.data<double>() + v->voxels.numel());
    const auto path = dir_ / (sanitize_filename(in.study().id) + ".json");
    write_file_atomic(path, j.dump());
    out.record_output(path);
    std::lock_guard lock(mu_);
    seen_.push_back(in.study().id);
  }

  std::vector<std::filesystem::path> finish(const RunCompletion& run) override {
    if (params_.get<bool>("fail_finish")) throw Error("configured to fail at the end");
    if (!params_.get<bool>("summary")) return {};
    std::sort(seen_.begin(), seen_.end());
    const auto path = dir_ / "summary.json";
    write_file_atomic(path, Json({{"seen", seen_}, {"done", run.done}, {"failed", run.failed}}).dump());
    return {path};
  }

 private:
  Params params_;
  std::filesystem::path dir_;
  std::mutex mu_;
  std::vector<std::string> seen_;
};

SCREENER_PLUGIN(TestSink, "test_sink", "1.0.0", "Test: writes one JSON file per study")
