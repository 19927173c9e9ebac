// Studies listed one id per line in the --input file; each becomes a small
// volume whose voxels hold the study's position in the list. Lines starting
// with '#' are comments, with '!' studies left out (an "excluded: " note).
#include <fstream>

#include "common.h"

using namespace screener;

class TestSource final : public SourceStage {
 public:
  static void setup(StageSpec& spec) {
    spec.output("volume", payload_type::volume, "One volume per listed study");
    spec.param("fail_load", ParamType::string_list, Json::array(), "Study ids whose load throws");
    spec.integer("sleep_ms", 0, "Time each load takes").range(0, 10000);
    spec.concurrency(Concurrency::limited(2));
  }
  explicit TestSource(const StageContext& ctx) : params_(ctx.params) {}

  std::vector<StudyEntry> discover(const std::string& input,
                                   const std::function<void(const std::string&)>& note) override {
    std::ifstream in(input);
    if (!in) throw Error("cannot open the study list '" + input + "'");
    std::vector<StudyEntry> out;
    std::string line;
    while (std::getline(in, line)) {
      if (line.empty()) continue;
      if (line[0] == '#') {
        note("skipped comment line '" + line + "'");
        continue;
      }
      if (line[0] == '!') {  // a candidate the source leaves out, as a reader excludes a series
        note("excluded: study " + line.substr(1) + ": marked '!' (remove the mark to read it)");
        continue;
      }
      out.push_back({line, input + ":" + std::to_string(out.size()), Json::object(), Json(out.size())});
    }
    return out;
  }

  void load(const StudyEntry& entry, Emitter& out) override {
    testplug::nap(params_.get<int64_t>("sleep_ms"));
    if (testplug::listed(params_, "fail_load", entry.id)) throw InputError("study " + entry.id + ": corrupt file");
    auto v = std::make_shared<Volume>();
    v->geometry.size = {4, 4, 4};
    v->voxels = Tensor::zeros({4, 4, 4}, DType::float32);
    std::fill_n(v->voxels.data<float>(), 64, float(entry.locator.get<int>()));
    v->history.push_back({"", "read", v->geometry});
    out.emit("volume", v);
  }

 private:
  Params params_;
};

SCREENER_PLUGIN(TestSource, "test_source", "1.0.0", "Test: studies from a list file")
