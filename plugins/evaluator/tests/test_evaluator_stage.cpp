// The evaluator stage as the runtime drives it: joined (map, truth) inputs per
// study, then finish() once.
#include <gtest/gtest.h>

#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "eval_test_data.h"
#include "metrics.h"
#include "screener/screener.h"

extern "C" const ScreenerPluginInfo* screener_plugin_entry();

using namespace screener;
namespace fs = std::filesystem;

namespace {

class NullEmitter final : public Emitter {
 public:
  void emit(const std::string&, PayloadPtr) override { FAIL() << "a sink emits nothing"; }
  void emit_item(const std::string&, PayloadPtr, int64_t, int64_t) override { FAIL() << "a sink emits nothing"; }
  void expand(const std::string&, std::shared_ptr<Expansion>) override {}
  void record_output(const fs::path&) override {}
  void warn(const std::string&) override {}
};

int next() {
  static int counter = 0;
  return counter++;
}

struct StageUnderTest {
  StageSpec spec;
  std::unique_ptr<Stage> stage;
  fs::path out = fs::temp_directory_path() / ("evaluator-stage-" + std::to_string(::getpid()) + "-" + std::to_string(next()));
  std::vector<std::string> log;

  explicit StageUnderTest(const Json& params = Json::object()) {
    fs::remove_all(out);
    const auto* factory = screener_plugin_entry()->factory;
    factory->setup(spec);
    StageContext ctx;
    ctx.stage_id = "metrics";
    ctx.params = Params(spec.with_defaults(params));
    ctx.output_dir = out;
    ctx.log = [this](const std::string& line) { log.push_back(line); };
    stage = factory->create(ctx);
  }
  ~StageUnderTest() { fs::remove_all(out); }

  void process(const std::string& id, std::shared_ptr<const Volume> map, std::shared_ptr<const Volume> truth) {
    auto study = std::make_shared<Study>();
    study->id = id;
    std::vector<Packet> packets(2);
    packets[0].study = packets[1].study = study;
    packets[0].payload = std::move(map);
    packets[1].payload = std::move(truth);
    Inputs in(spec.inputs(), std::move(packets));
    NullEmitter emitter;
    stage->process(in, emitter);
  }
};

Geometry grid_of(const eval::Shape3& s) {
  Geometry g;
  g.size = {s[0], s[1], s[2]};
  g.spacing = {0.8, 0.8, 2.5};
  g.origin = {-100, 20, 300};
  return g;
}

template <class T> std::shared_ptr<Volume> volume(const Geometry& g, const std::vector<T>& values, DType dtype) {
  auto v = std::make_shared<Volume>();
  v->geometry = g;
  v->voxels = Tensor::zeros({g.size[0], g.size[1], g.size[2]}, dtype);
  std::copy(values.begin(), values.end(), v->voxels.data<T>());
  v->history = {{"", "read", g}};
  return v;
}

std::vector<eval_test::StudyData> three_studies() {
  return {eval_test::random_study("p1", {20, 18, 16}, 5, eval_test::Scores::ties, 1),
          eval_test::random_study("p2", {16, 16, 16}, 7, eval_test::Scores::ties, 2),
          eval_test::random_study("n1", {12, 18, 10}, 0, eval_test::Scores::ties, 3)};
}

}  // namespace

TEST(EvaluatorStage, FinishWritesTheReportOfEveryStudy) {
  StageUnderTest t(Json{{"max_fpr", 0.2}});
  eval::MetricsOptions o;
  o.max_fpr = 0.2;
  eval::MetricsAccumulator direct(o);
  for (const auto& s : three_studies()) {
    const Geometry g = grid_of(s.shape);
    t.process(s.id, volume(g, s.map, DType::float32), volume(g, s.mask, DType::uint8));
    direct.add_study(s.id, s.map.data(), s.mask.data(), s.shape);
  }
  const auto files = t.stage->finish({{"p1", "p2", "n1"}, {"gone"}});
  ASSERT_EQ(files.size(), 2u);
  EXPECT_EQ(files[0], t.out / "eval.json");
  EXPECT_EQ(files[1], t.out / "eval_curves.png");
  ASSERT_TRUE(fs::is_regular_file(files[1]));
  EXPECT_GT(fs::file_size(files[1]), 1000u);
  const Json j = Json::parse(std::ifstream(files[0]));
  const auto r = direct.result();
  EXPECT_EQ(j["voxel"]["auroc"].get<double>(), *r.auroc);
  EXPECT_EQ(j["voxel"]["aupro_max_fpr"].get<double>(), *r.aupro_max_fpr);
  EXPECT_EQ(j["settings"]["max_fpr"].get<double>(), 0.2);
  EXPECT_EQ(j["counts"]["studies"], 3);
  EXPECT_EQ(j["failed"], Json::array({"gone"}));
  ASSERT_EQ(t.log.size(), 1u);
  EXPECT_NE(t.log[0].find("evaluated 3 studies"), std::string::npos) << t.log[0];
  // No temporary file left beside them.
  for (const auto& e : fs::directory_iterator(t.out)) EXPECT_EQ(e.path().filename().string().find(".screener-tmp"), std::string::npos);
}

TEST(EvaluatorStage, OtherVoxelTypesAreConverted) {
  // A float64 map and an int16 mask with values 0 and 7 give the same numbers.
  StageUnderTest a, b;
  for (const auto& s : three_studies()) {
    const Geometry g = grid_of(s.shape);
    a.process(s.id, volume(g, s.map, DType::float32), volume(g, s.mask, DType::uint8));
    std::vector<double> map64(s.map.begin(), s.map.end());
    std::vector<int16_t> mask16(s.mask.size());
    for (std::size_t i = 0; i < mask16.size(); ++i) mask16[i] = s.mask[i] ? 7 : 0;
    b.process(s.id, volume(g, map64, DType::float64), volume(g, mask16, DType::int16));
  }
  a.stage->finish({});
  const Json ja = Json::parse(std::ifstream(a.out / "eval.json"));
  b.stage->finish({});
  const Json jb = Json::parse(std::ifstream(b.out / "eval.json"));
  EXPECT_EQ(ja["voxel"], jb["voxel"]);
  EXPECT_EQ(ja["studies"], jb["studies"]);
}

TEST(EvaluatorStage, MismatchedGridsFailTheStudyByName) {
  StageUnderTest t;
  const auto s = three_studies()[0];
  const Geometry g = grid_of(s.shape);
  Geometry moved = g;
  moved.origin[1] += 0.5;
  try {
    t.process("shifted-study", volume(g, s.map, DType::float32), volume(moved, s.mask, DType::uint8));
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("'shifted-study'"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("origins differ"), std::string::npos) << e.what();
  }
  Geometry other = g;
  other.size = {s.shape[0], s.shape[1], s.shape[2] - 1};
  std::vector<uint8_t> smaller(std::size_t(other.voxel_count()), 0);
  EXPECT_THROW(t.process("small", volume(g, s.map, DType::float32), volume(other, smaller, DType::uint8)), Error);
  // A NaN fails the study too.
  auto nan_map = s.map;
  nan_map[5] = std::nanf("");
  EXPECT_THROW(t.process("nan-study", volume(g, nan_map, DType::float32), volume(g, s.mask, DType::uint8)), Error);
  // Nothing was evaluated: finish says so.
  try {
    t.stage->finish({{}, {"shifted-study", "small", "nan-study"}});
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("no study was evaluated"), std::string::npos) << e.what();
  }
  EXPECT_FALSE(fs::exists(t.out / "eval.json"));
}

TEST(EvaluatorStage, SubsampleParametersReachTheMetrics) {
  StageUnderTest t(Json{{"subsample", 25}, {"seed", 3}, {"connectivity", "6"}});
  for (const auto& s : three_studies()) {
    const Geometry g = grid_of(s.shape);
    t.process(s.id, volume(g, s.map, DType::float32), volume(g, s.mask, DType::uint8));
  }
  t.stage->finish({});
  const Json j = Json::parse(std::ifstream(t.out / "eval.json"));
  EXPECT_EQ(j["protocol"]["name"], "subsampled");
  EXPECT_EQ(j["protocol"]["connectivity"], 6);
  EXPECT_EQ(j["settings"]["seed"], 3);
  EXPECT_EQ(j["voxel"]["negatives"], 75);
  for (const auto& s : j["studies"]) EXPECT_LE(s["sampled"]["positives"].get<int>(), 25);
}
