// The MOOD challenge's sample- and voxel-level AP in the report, against a
// transcription of the challenge's own evaluation (mood_oracle.py: sklearn on
// float16 scores clipped to [0, 1], all studies concatenated).
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "eval_test_data.h"
#include "npy.h"
#include "report.h"
#include "temp_dir.h"

using namespace screener;
using namespace screener::eval;
using eval_test::StudyData;
namespace fs = std::filesystem;

namespace {

// Scores k/128 in [0, 0.75]: exact in float16 and inside [0, 1], so the
// challenge's clipping and float16 reading leave them as they are.
std::vector<StudyData> mood_studies(uint32_t seed) {
  std::vector<StudyData> studies;
  for (int i = 0; i < 9; ++i) {
    auto s = eval_test::random_study("case-" + std::to_string(i), {14, 12, 10}, i % 3 == 2 ? 0 : 1 + i % 3,
                                     eval_test::Scores::ties, seed + uint32_t(i));
    for (float& v : s.map) v = (v + 2.0f) / 8.0f;
    studies.push_back(std::move(s));
  }
  return studies;
}

Json mood_oracle(const fs::path& dir, const std::vector<StudyData>& studies) {
  Json ids = Json::array();
  for (std::size_t i = 0; i < studies.size(); ++i) {
    const auto& s = studies[i];
    ids.push_back(s.id);
    const std::vector<int64_t> shape{s.shape[0], s.shape[1], s.shape[2]};
    test::save_npy(dir / ("map_" + std::to_string(i) + ".npy"), s.map.data(), shape);
    test::save_npy(dir / ("mask_" + std::to_string(i) + ".npy"), s.mask.data(), shape);
  }
  std::ofstream(dir / "config.json") << Json{{"studies", ids}}.dump();
  test::run_python(fs::path(PLUGIN_TEST_DIR) / "mood_oracle.py", {dir.string()});
  return Json::parse(std::ifstream(dir / "mood.json"));
}

Json report_of(const std::vector<StudyData>& studies, int64_t subsample) {
  MetricsOptions o;
  o.subsample = subsample;
  MetricsAccumulator acc(o);
  for (const auto& s : studies) acc.add_study(s.id, s.map.data(), s.mask.data(), s.shape);
  return report_json(acc.result(), {});
}

}  // namespace

TEST(Mood, SampleAndVoxelAveragePrecisionMatchTheChallengesEvaluation) {
  for (uint32_t seed : {1u, 17u, 400u}) {
    test::TempDir dir;
    const auto studies = mood_studies(seed);
    const Json oracle = mood_oracle(dir.path(), studies);
    const Json report = report_of(studies, 0);
    const Json& mood = report["mood"];
    EXPECT_EQ(mood["protocol"], "MOOD 2020 (Medical Out-of-Distribution Analysis Challenge)");
    EXPECT_NEAR(mood["sample_average_precision"].get<double>(), oracle["sample_average_precision"].get<double>(), 1e-12)
        << "seed " << seed;
    EXPECT_NEAR(mood["voxel_average_precision"].get<double>(), oracle["voxel_average_precision"].get<double>(), 1e-12)
        << "seed " << seed;
    EXPECT_EQ(report["metrics"]["mood_sample_ap"], mood["sample_average_precision"]);
    EXPECT_EQ(report["metrics"]["mood_voxel_ap"], mood["voxel_average_precision"]);
    // The existing AP already is the challenge's definition.
    EXPECT_EQ(report["metrics"]["average_precision"], mood["voxel_average_precision"]);
  }
}

TEST(Mood, VoxelLevelNeedsEveryVoxel) {
  const Json report = report_of(mood_studies(3), 20);
  EXPECT_TRUE(report["mood"]["voxel_average_precision"].is_null());
  EXPECT_NE(report["mood"]["voxel_undefined"].get<std::string>().find("subsample 0"), std::string::npos);
  EXPECT_FALSE(report["mood"]["sample_average_precision"].is_null());
}
