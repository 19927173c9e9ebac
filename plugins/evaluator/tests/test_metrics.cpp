#include <gtest/gtest.h>

#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <limits>
#include <map>
#include <random>
#include <set>
#include <thread>

#include "eval_test_data.h"
#include "metrics.h"
#include "npy.h"
#include "temp_dir.h"
#include "screener/spec.h"

using namespace screener;
using namespace screener::eval;
using eval_test::Scores;
using eval_test::StudyData;
namespace fs = std::filesystem;

namespace {

using screener::test::TempDir;

std::vector<int64_t> dims(const Shape3& s) { return {s[0], s[1], s[2]}; }

// Writes the studies (and, when sampled, the drawn voxels) for metrics_oracle.py
// and returns its answer.
Json run_oracle(const fs::path& dir, const std::vector<StudyData>& studies, const MetricsOptions& o) {
  Json ids = Json::array();
  for (std::size_t i = 0; i < studies.size(); ++i) {
    const auto& s = studies[i];
    ids.push_back(s.id);
    test::save_npy(dir / ("map_" + std::to_string(i) + ".npy"), s.map.data(), dims(s.shape));
    test::save_npy(dir / ("mask_" + std::to_string(i) + ".npy"), s.mask.data(), dims(s.shape));
    if (o.subsample > 0) {
      const auto comp = connected_components(s.mask.data(), s.shape, o.connectivity);
      const Draw d = draw_voxels(s.id, s.mask.data(), int64_t(s.map.size()), comp, o.subsample, o.seed);
      test::save_npy(dir / ("pos_" + std::to_string(i) + ".npy"), d.positives.data(), {int64_t(d.positives.size())});
      test::save_npy(dir / ("neg_" + std::to_string(i) + ".npy"), d.negatives.data(), {int64_t(d.negatives.size())});
    }
  }
  const Json cfg = {{"studies", ids},
                    {"max_fpr", o.max_fpr},
                    {"connectivity", int(o.connectivity)},
                    {"sampled", o.subsample > 0}};
  std::ofstream(dir / "config.json") << cfg.dump();
  test::run_python(fs::path(PLUGIN_TEST_DIR) / "metrics_oracle.py", {dir.string()});
  return Json::parse(std::ifstream(dir / "oracle.json"));
}

MetricsResult accumulate(const std::vector<StudyData>& studies, const MetricsOptions& o) {
  MetricsAccumulator acc(o);
  for (const auto& s : studies) acc.add_study(s.id, s.map.data(), s.mask.data(), s.shape);
  return acc.result();
}

void expect_matches_oracle(const MetricsResult& r, const Json& oracle, double tolerance) {
  ASSERT_TRUE(r.auroc && r.auroc_max_fpr && r.auroc_max_fpr_mcclish && r.aupro_max_fpr && r.average_precision)
      << r.voxel_undefined;
  EXPECT_EQ(r.positives, oracle["positives"].get<uint64_t>());
  EXPECT_EQ(r.negatives, oracle["negatives"].get<uint64_t>());
  EXPECT_EQ(r.regions, oracle["regions"].get<uint64_t>());
  EXPECT_NEAR(*r.auroc, oracle["auroc"].get<double>(), tolerance);
  EXPECT_NEAR(*r.auroc, oracle["auroc_numpy"].get<double>(), tolerance);
  EXPECT_NEAR(*r.auroc_max_fpr, oracle["auroc_max_fpr"].get<double>(), tolerance);
  EXPECT_NEAR(*r.auroc_max_fpr_mcclish, oracle["auroc_max_fpr_mcclish"].get<double>(), tolerance);
  EXPECT_NEAR(*r.aupro_max_fpr, oracle["aupro_max_fpr"].get<double>(), tolerance);
  EXPECT_NEAR(*r.average_precision, oracle["average_precision"].get<double>(), tolerance);
  if (oracle["sample_auroc"].is_null()) {
    EXPECT_FALSE(r.sample_auroc);
  } else {
    ASSERT_TRUE(r.sample_auroc && r.sample_average_precision);
    EXPECT_NEAR(*r.sample_auroc, oracle["sample_auroc"].get<double>(), 1e-12);
    EXPECT_NEAR(*r.sample_average_precision, oracle["sample_average_precision"].get<double>(), 1e-12);
  }
  // Not a trivial case: the metrics are away from 0 and 1.
  EXPECT_GT(*r.auroc, 0.6);
  EXPECT_LT(*r.auroc, 0.99);
}

std::vector<StudyData> studies_of(Scores scores, uint32_t seed) {
  std::vector<StudyData> s;
  s.push_back(eval_test::random_study("case-b", {40, 36, 24}, 9, scores, seed + 1));
  s.push_back(eval_test::random_study("case-a", {32, 30, 28}, 6, scores, seed + 2));
  s.push_back(eval_test::random_study("case-c", {24, 40, 20}, 0, scores, seed + 3));  // all negative
  s.push_back(eval_test::random_study("case-d", {30, 26, 33}, 13, scores, seed + 4));
  return s;
}

}  // namespace

TEST(Metrics, ScoreKeysPreserveOrderAndInvert) {
  std::mt19937 rng(5);
  std::vector<float> v = {0.0f, -0.0f, 1.0f, -1.0f, std::numeric_limits<float>::infinity(),
                          -std::numeric_limits<float>::infinity(), std::numeric_limits<float>::denorm_min(),
                          -std::numeric_limits<float>::denorm_min(), std::numeric_limits<float>::max(),
                          std::numeric_limits<float>::lowest(), 1e-30f, -1e-30f};
  std::normal_distribution<float> normal(0.0f, 100.0f);
  for (int i = 0; i < 2000; ++i) v.push_back(normal(rng));
  for (float a : v) {
    const float back = key_score(score_key(a));
    EXPECT_TRUE(back == a);  // -0 comes back as +0, which compares equal
    EXPECT_LE(bin_floor(score_key(a) >> kBinShift), a);
    for (float b : {v[0], v[3], v[7], v[20], v[500]}) EXPECT_EQ(a < b, score_key(a) < score_key(b)) << a << " " << b;
  }
  EXPECT_EQ(score_key(0.0f), score_key(-0.0f));
}

TEST(Metrics, BinsTellScoresApartAtTwoToTheMinus15) {
  // One positive voxel above one negative: AUROC 1 when they land in
  // different bins, 0.5 (a tie) when in the same one.
  const auto auroc_of = [](float neg, float pos) {
    MetricsAccumulator acc({});
    const std::vector<float> map = {neg, pos};
    const std::vector<uint8_t> mask = {0, 1};
    acc.add_study("s", map.data(), mask.data(), {1, 1, 2});
    return *acc.result().auroc;
  };
  for (float base : {1.0f, 3.7f, -3.7f, -250.3f, 1e-6f}) {
    EXPECT_EQ(auroc_of(base, base + std::abs(base) * 0x1.0p-14f), 1.0) << base;
    const float next = std::nextafter(base, 1e30f);  // one float up: closer than the resolution, tied
    ASSERT_EQ(score_key(base) >> kBinShift, score_key(next) >> kBinShift) << base << " is at a bin's edge";
    EXPECT_EQ(auroc_of(base, next), 0.5) << base;
  }
  EXPECT_EQ(auroc_of(-0.0f, 0.0f), 0.5);
}

TEST(Metrics, HandComputedSmallCase) {
  // Scores 0.9 (pos) 0.8 (neg) 0.7 (pos) 0.1 (neg): ROC (0,0) (0,.5) (.5,.5) (.5,1) (1,1).
  MetricsOptions o;
  o.max_fpr = 0.5;
  MetricsAccumulator acc(o);
  const std::vector<float> map = {0.9f, 0.8f, 0.7f, 0.1f};
  const std::vector<uint8_t> mask = {1, 0, 1, 0};
  acc.add_study("s", map.data(), mask.data(), {1, 1, 4});
  const auto r = acc.result();
  EXPECT_DOUBLE_EQ(*r.auroc, 0.75);
  EXPECT_DOUBLE_EQ(*r.auroc_max_fpr, 0.5);  // ∫0^.5 TPR = .25, / .5
  EXPECT_DOUBLE_EQ(*r.average_precision, 0.5 * 1.0 + 0.5 * (2.0 / 3.0));
  // Two single-voxel regions (not touching along axis 2: a negative between).
  EXPECT_EQ(r.regions, 2u);
  EXPECT_DOUBLE_EQ(*r.aupro_max_fpr, 0.5);
  // McClish: 0.5 * (1 + (A - m²/2) / (m - m²/2)), A = .25, m = .5.
  EXPECT_DOUBLE_EQ(*r.auroc_max_fpr_mcclish, 0.5 * (1 + (0.25 - 0.125) / (0.5 - 0.125)));
}

TEST(Metrics, ComponentsFacesVersusCorners) {
  const Shape3 shape{4, 4, 4};
  std::vector<uint8_t> m(64, 0);
  const auto at = [](int a, int b, int c) { return std::size_t((a * 4 + b) * 4 + c); };
  m[at(0, 0, 0)] = m[at(1, 1, 1)] = 1;  // corner
  m[at(3, 0, 0)] = m[at(3, 1, 1)] = 1;  // edge (same a)
  m[at(0, 3, 2)] = m[at(0, 3, 3)] = 1;  // face, one run
  m[at(2, 3, 3)] = m[at(3, 3, 3)] = 1;  // face across rows
  const auto c26 = connected_components(m.data(), shape, Connectivity::full26);
  const auto c6 = connected_components(m.data(), shape, Connectivity::faces6);
  EXPECT_EQ(c26.positives, 8);
  EXPECT_EQ(c26.regions(), 4u);
  EXPECT_EQ(c6.regions(), 6u);
  for (int64_t size : c26.region_sizes) EXPECT_EQ(size, 2);
  // The labelling: the corner pair shares a label in 26, not in 6.
  const auto l26 = label_volume(c26, shape), l6 = label_volume(c6, shape);
  EXPECT_EQ(l26[at(0, 0, 0)], l26[at(1, 1, 1)]);
  EXPECT_NE(l6[at(0, 0, 0)], l6[at(1, 1, 1)]);
  EXPECT_EQ(l6[at(0, 3, 2)], l6[at(0, 3, 3)]);
  EXPECT_EQ(l6[at(2, 3, 3)], l6[at(3, 3, 3)]);
  EXPECT_EQ(l26[at(2, 2, 2)], 0);
  // Runs that only touch diagonally along axis 2 in neighbouring rows.
  std::vector<uint8_t> d(64, 0);
  d[at(1, 1, 0)] = d[at(1, 1, 1)] = 1;  // run c = 0..1
  d[at(1, 2, 2)] = d[at(1, 2, 3)] = 1;  // next row, c = 2..3: touches (1,1,1) by an edge
  EXPECT_EQ(connected_components(d.data(), shape, Connectivity::full26).regions(), 1u);
  EXPECT_EQ(connected_components(d.data(), shape, Connectivity::faces6).regions(), 2u);
}

TEST(Metrics, ComponentsMatchScipyLabel) {
  // Random masks (dense enough for long chains and many merges) against
  // scipy.ndimage.label; the partitions must be the same.
  for (auto conn : {Connectivity::full26, Connectivity::faces6}) {
    TempDir dir;
    std::vector<StudyData> studies;
    std::mt19937 rng(11);
    for (int i = 0; i < 3; ++i) {
      StudyData s;
      s.id = "m" + std::to_string(i);
      const Shape3 shapes[] = {{17, 23, 29}, {8, 40, 9}, {30, 5, 31}};
      s.shape = shapes[i];
      const std::size_t n = std::size_t(s.shape[0] * s.shape[1] * s.shape[2]);
      const double density[] = {0.05, 0.09, 0.25};  // below and above 26-connected percolation (~0.1)
      std::bernoulli_distribution on(density[i]);
      s.mask.resize(n);
      for (auto& v : s.mask) v = on(rng) ? uint8_t(1 + i) : 0;  // nonzero, not only 1
      s.map.assign(n, 0.0f);
      for (std::size_t k = 0; k < n; ++k) s.map[k] = float(k % 7);
      studies.push_back(s);
    }
    MetricsOptions o;
    o.connectivity = conn;
    const Json oracle = run_oracle(dir.path(), studies, o);
    std::size_t total_regions = 0;
    for (std::size_t i = 0; i < studies.size(); ++i) {
      const auto& s = studies[i];
      const auto comp = connected_components(s.mask.data(), s.shape, conn);
      EXPECT_EQ(int64_t(comp.regions()), oracle["studies"][i]["regions"].get<int64_t>());
      EXPECT_EQ(comp.positives, oracle["studies"][i]["positives"].get<int64_t>());
      const auto ours = label_volume(comp, s.shape);
      const auto theirs = test::load_npy(dir.path() / ("labels_" + std::to_string(i) + ".npy")).as_double();
      std::map<int32_t, int32_t> forward, backward;
      int64_t conflicts = 0;
      for (std::size_t k = 0; k < ours.size(); ++k) {
        const int32_t a = ours[k], b = int32_t(theirs[k]);
        if ((a == 0) != (b == 0)) ++conflicts;
        if (a == 0) continue;
        auto f = forward.emplace(a, b).first;
        auto g = backward.emplace(b, a).first;
        conflicts += f->second != b || g->second != a;
      }
      EXPECT_EQ(conflicts, 0) << "connectivity " << int(conn) << ", study " << i;
      EXPECT_GT(comp.regions(), 1u);
      total_regions += comp.regions();
    }
    EXPECT_GT(total_regions, 100u);
  }
}

TEST(Metrics, AllVoxelsMatchSklearnWithoutTies) {
  TempDir dir;
  const auto studies = studies_of(Scores::continuous, 100);
  MetricsOptions o;
  const Json oracle = run_oracle(dir.path(), studies, o);
  const auto r = accumulate(studies, o);
  // Binning: only scores within 2^-15 of each other are tied.
  expect_matches_oracle(r, oracle, 1e-4);
  EXPECT_EQ(r.studies.size(), 4u);
  EXPECT_EQ(r.studies[0].id, "case-a");  // sorted
  for (std::size_t i = 0; i < r.studies.size(); ++i) {
    const auto& s = r.studies[i];
    const auto it = std::find_if(studies.begin(), studies.end(), [&](const StudyData& d) { return d.id == s.id; });
    const std::size_t k = std::size_t(it - studies.begin());
    EXPECT_EQ(s.positives, oracle["studies"][k]["positives"].get<int64_t>());
    EXPECT_EQ(s.regions, oracle["studies"][k]["regions"].get<int64_t>());
    EXPECT_DOUBLE_EQ(s.score, oracle["studies"][k]["max"].get<double>());
    EXPECT_EQ(s.voxels, int64_t(it->map.size()));
  }
}

TEST(Metrics, AllVoxelsMatchSklearnWithTiesExactly) {
  // Multiples of 1/16 fall in distinct bins: the binned metrics are exact.
  TempDir dir;
  const auto studies = studies_of(Scores::ties, 200);
  MetricsOptions o;
  const Json oracle = run_oracle(dir.path(), studies, o);
  EXPECT_LT(oracle["distinct_scores"].get<int>(), 100);  // heavily tied
  const auto r = accumulate(studies, o);
  expect_matches_oracle(r, oracle, 1e-10);
  EXPECT_EQ(r.thresholds, oracle["distinct_scores"].get<uint64_t>());
}

TEST(Metrics, AllVoxelsMatchSklearnOnSignedWideScoresAndOtherMaxFpr) {
  TempDir dir;
  const auto studies = studies_of(Scores::wide, 300);
  MetricsOptions o;
  o.max_fpr = 0.1;
  const Json oracle = run_oracle(dir.path(), studies, o);
  const auto r = accumulate(studies, o);
  expect_matches_oracle(r, oracle, 1e-4);
}

TEST(Metrics, SixConnectivityChangesOnlyAupro) {
  TempDir dir;
  const auto studies = studies_of(Scores::ties, 400);
  MetricsOptions o;
  o.connectivity = Connectivity::faces6;
  const Json oracle = run_oracle(dir.path(), studies, o);
  const auto r6 = accumulate(studies, o);
  expect_matches_oracle(r6, oracle, 1e-10);
  const auto r26 = accumulate(studies, {});
  EXPECT_GT(r6.regions, r26.regions);
  EXPECT_EQ(*r6.auroc, *r26.auroc);
  EXPECT_NE(*r6.aupro_max_fpr, *r26.aupro_max_fpr);
}

TEST(Metrics, SubsampledProtocolIsExactOnTheDrawnVoxels) {
  for (auto scores : {Scores::continuous, Scores::ties}) {
    TempDir dir;
    const auto studies = studies_of(scores, 500);
    MetricsOptions o;
    o.subsample = 60;  // fewer than the positives of most studies
    o.seed = 42;
    const Json oracle = run_oracle(dir.path(), studies, o);
    const auto r = accumulate(studies, o);
    expect_matches_oracle(r, oracle, 1e-10);
    for (const auto& s : r.studies) {
      EXPECT_EQ(s.sampled_positives, std::min<int64_t>(60, s.positives));
      EXPECT_EQ(s.sampled_negatives, std::min<int64_t>(60, s.voxels - s.positives));
      EXPECT_LE(s.sampled_regions, s.regions);
    }
  }
}

TEST(Metrics, SubsampleIsDeterministicAndIndependentOfArrivalOrder) {
  const auto studies = studies_of(Scores::continuous, 600);
  MetricsOptions o;
  o.subsample = 50;
  o.seed = 7;
  const auto a = accumulate(studies, o);
  auto reversed = studies;
  std::reverse(reversed.begin(), reversed.end());
  const auto b = accumulate(reversed, o);
  EXPECT_EQ(*a.auroc, *b.auroc);
  EXPECT_EQ(*a.aupro_max_fpr, *b.aupro_max_fpr);
  EXPECT_EQ(*a.average_precision, *b.average_precision);
  o.seed = 8;
  const auto c = accumulate(studies, o);
  EXPECT_NE(*a.auroc, *c.auroc);
  // The draw itself: same seed and id, same voxels; another id or seed, others.
  const auto& s = studies[0];
  const auto comp = connected_components(s.mask.data(), s.shape, Connectivity::full26);
  const int64_t n = int64_t(s.map.size());
  const Draw d1 = draw_voxels(s.id, s.mask.data(), n, comp, 50, 7);
  const Draw d2 = draw_voxels(s.id, s.mask.data(), n, comp, 50, 7);
  const Draw d3 = draw_voxels(s.id + "x", s.mask.data(), n, comp, 50, 7);
  const Draw d4 = draw_voxels(s.id, s.mask.data(), n, comp, 50, 8);
  EXPECT_EQ(d1.positives, d2.positives);
  EXPECT_EQ(d1.negatives, d2.negatives);
  EXPECT_NE(d1.negatives, d3.negatives);
  EXPECT_NE(d1.negatives, d4.negatives);
  EXPECT_NE(d1.positives, d4.positives);
  EXPECT_TRUE(std::is_sorted(d1.positives.begin(), d1.positives.end()));
  EXPECT_EQ(std::set<int64_t>(d1.negatives.begin(), d1.negatives.end()).size(), 50u);  // no repeats
  for (int64_t i : d1.positives) EXPECT_TRUE(s.mask[std::size_t(i)]);
  for (int64_t i : d1.negatives) EXPECT_FALSE(s.mask[std::size_t(i)]);
  // Fewer voxels than asked for: all of them.
  const Draw all = draw_voxels(s.id, s.mask.data(), n, comp, 1 << 30, 7);
  EXPECT_EQ(int64_t(all.positives.size()), comp.positives);
  EXPECT_EQ(int64_t(all.negatives.size()), n - comp.positives);
}

TEST(Metrics, DrawIsUniform) {
  // Each of 20 negatives is drawn with probability 5/20 over many seeds
  // (standard error 0.0024 over 30000 draws; the bound is 8 of those).
  std::vector<uint8_t> mask(20, 0);
  const Components none;
  std::vector<int> hits(20, 0);
  const int draws = 30000;
  for (int seed = 0; seed < draws; ++seed) {
    const Draw d = draw_voxels("s", mask.data(), 20, none, 5, uint64_t(seed));
    ASSERT_EQ(d.negatives.size(), 5u);
    for (int64_t i : d.negatives) ++hits[std::size_t(i)];
  }
  for (int h : hits) EXPECT_NEAR(double(h) / draws, 0.25, 0.02);
}

TEST(Metrics, CurvesAreBoundedMonotoneAndClosed) {
  // Many distinct scores: the curves are thinned to at most 1000 points.
  MetricsAccumulator acc({});
  const auto s = eval_test::random_study("big", {64, 64, 48}, 40, Scores::continuous, 9);
  acc.add_study(s.id, s.map.data(), s.mask.data(), s.shape);
  const auto r = acc.result();
  EXPECT_GT(r.thresholds, 10000u);
  for (const auto* curve : {&r.roc, &r.pro}) {
    ASSERT_GE(curve->size(), 100u);
    EXPECT_LE(curve->size(), 1000u);
    EXPECT_EQ(curve->front().fpr, 0.0);
    EXPECT_EQ(curve->front().y, 0.0);
    EXPECT_NEAR(curve->back().fpr, 1.0, 1e-12);
    EXPECT_NEAR(curve->back().y, 1.0, 1e-9);
    for (std::size_t i = 1; i < curve->size(); ++i) {
      EXPECT_GE((*curve)[i].fpr, (*curve)[i - 1].fpr);
      EXPECT_GE((*curve)[i].y, (*curve)[i - 1].y);
      EXPECT_LE((*curve)[i].threshold, (*curve)[i - 1].threshold);
    }
    EXPECT_TRUE(std::any_of(curve->begin(), curve->end(), [&](const CurvePoint& p) { return p.fpr == r.max_fpr; }));
  }
  // The thinned ROC's area is close to the exact one.
  double area = 0;
  for (std::size_t i = 1; i < r.roc.size(); ++i)
    area += (r.roc[i].fpr - r.roc[i - 1].fpr) * (r.roc[i].y + r.roc[i - 1].y) / 2;
  EXPECT_NEAR(area, *r.auroc, 2e-3);
}

TEST(Metrics, NanFailsTheStudyByNameAndAddsNothing) {
  MetricsAccumulator acc({});
  auto s = eval_test::random_study("ok", {6, 6, 6}, 2, Scores::continuous, 1);
  acc.add_study(s.id, s.map.data(), s.mask.data(), s.shape);
  auto bad = s;
  bad.id = "bad-one";
  bad.map[(2 * 6 + 3) * 6 + 4] = std::nanf("");
  try {
    acc.add_study(bad.id, bad.map.data(), bad.mask.data(), bad.shape);
    FAIL() << "no error";
  } catch (const std::exception& e) {
    EXPECT_NE(std::string(e.what()).find("'bad-one'"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("NaN at voxel (2, 3, 4)"), std::string::npos) << e.what();
  }
  EXPECT_EQ(acc.studies(), 1u);
  EXPECT_THROW(acc.add_study(s.id, s.map.data(), s.mask.data(), s.shape), std::runtime_error);  // same id again
  EXPECT_EQ(acc.result().positives, uint64_t(std::count(s.mask.begin(), s.mask.end(), 1)));
}

TEST(Metrics, UndefinedCasesAreSaidSo) {
  MetricsAccumulator empty({});
  EXPECT_THROW(empty.result(), std::runtime_error);
  // No positive voxel anywhere: voxel metrics and the sample level undefined.
  MetricsAccumulator acc({});
  const auto s = eval_test::random_study("neg", {5, 5, 5}, 0, Scores::continuous, 2);
  acc.add_study(s.id, s.map.data(), s.mask.data(), s.shape);
  const auto r = acc.result();
  EXPECT_FALSE(r.auroc);
  EXPECT_FALSE(r.aupro_max_fpr);
  EXPECT_EQ(r.voxel_undefined, "no positive voxel in any mask");
  EXPECT_FALSE(r.sample_auroc);
  EXPECT_EQ(r.sample_undefined, "no study has positive voxels");
  // Every study positive: voxel metrics defined, the sample level not.
  MetricsAccumulator both({});
  const auto p1 = eval_test::random_study("p1", {8, 8, 8}, 3, Scores::continuous, 3);
  const auto p2 = eval_test::random_study("p2", {8, 8, 8}, 3, Scores::continuous, 4);
  both.add_study(p1.id, p1.map.data(), p1.mask.data(), p1.shape);
  both.add_study(p2.id, p2.map.data(), p2.mask.data(), p2.shape);
  const auto rb = both.result();
  EXPECT_TRUE(rb.auroc);
  EXPECT_FALSE(rb.sample_auroc);
  EXPECT_EQ(rb.sample_undefined, "every study has positive voxels");
}

TEST(Metrics, ConcurrentStudiesGiveTheSerialResult) {
  const auto studies = studies_of(Scores::ties, 700);
  const auto serial = accumulate(studies, {});
  MetricsAccumulator acc({});
  std::vector<std::thread> threads;
  for (const auto& s : studies)
    threads.emplace_back([&acc, &s] { acc.add_study(s.id, s.map.data(), s.mask.data(), s.shape); });
  for (auto& t : threads) t.join();
  const auto parallel = acc.result();
  EXPECT_EQ(*parallel.auroc, *serial.auroc);
  EXPECT_EQ(*parallel.average_precision, *serial.average_precision);
  // PRO mass is summed in fixed point: the same bits in any arrival order.
  EXPECT_EQ(*parallel.aupro_max_fpr, *serial.aupro_max_fpr);
  auto reversed = studies;
  std::reverse(reversed.begin(), reversed.end());
  const auto backwards = accumulate(reversed, {});
  EXPECT_EQ(*backwards.auroc, *serial.auroc);
  EXPECT_EQ(*backwards.aupro_max_fpr, *serial.aupro_max_fpr);
  EXPECT_EQ(*backwards.average_precision, *serial.average_precision);
}
