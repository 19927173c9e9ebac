#include <gtest/gtest.h>

#include <unistd.h>

#include <filesystem>

#include "eval_test_data.h"
#include "npy.h"
#include "png_file.h"
#include "report.h"

using namespace screener;
using namespace screener::eval;
namespace fs = std::filesystem;

namespace {

bool has_colour(const preview::RgbImage& im, int x, int y, const unsigned char c[3]) {
  const auto* p = &im.rgb[(std::size_t(y) * std::size_t(im.width) + std::size_t(x)) * 3];
  return p[0] == c[0] && p[1] == c[1] && p[2] == c[2];
}

// Any pixel of colour c within `r` pixels of (x, y).
bool colour_near(const preview::RgbImage& im, PixelPos p, const unsigned char c[3], int r = 1) {
  for (int dy = -r; dy <= r; ++dy)
    for (int dx = -r; dx <= r; ++dx)
      if (has_colour(im, p.x + dx, p.y + dy, c)) return true;
  return false;
}

MetricsResult sample_result() {
  MetricsAccumulator acc({});
  for (int i = 0; i < 3; ++i) {
    const auto s = eval_test::random_study("s" + std::to_string(i), {20, 18, 16}, i == 2 ? 0 : 6,
                                           eval_test::Scores::continuous, 70u + unsigned(i));
    acc.add_study(s.id, s.map.data(), s.mask.data(), s.shape);
  }
  return acc.result();
}

}  // namespace

TEST(Report, JsonHoldsMetricsCountsSettingsStudiesAndCurves) {
  const MetricsResult r = sample_result();
  const Json j = report_json(r, {{"s0", "s1", "s2"}, {"broken"}});
  EXPECT_EQ(j["protocol"]["name"], "all_voxels");
  EXPECT_EQ(j["protocol"]["connectivity"], 26);
  EXPECT_EQ(j["settings"]["max_fpr"].get<double>(), 0.3);
  EXPECT_EQ(j["settings"]["subsample"], 0);
  EXPECT_EQ(j["voxel"]["auroc"].get<double>(), *r.auroc);
  EXPECT_EQ(j["voxel"]["auroc_max_fpr"].get<double>(), *r.auroc_max_fpr);
  EXPECT_EQ(j["voxel"]["auroc_max_fpr_mcclish"].get<double>(), *r.auroc_max_fpr_mcclish);
  EXPECT_EQ(j["voxel"]["aupro_max_fpr"].get<double>(), *r.aupro_max_fpr);
  EXPECT_EQ(j["voxel"]["average_precision"].get<double>(), *r.average_precision);
  EXPECT_EQ(j["voxel"]["positives"].get<uint64_t>(), r.positives);
  // The flat summary repeats the headline numbers.
  EXPECT_EQ(j["metrics"]["voxel_auroc"].get<double>(), *r.auroc);
  EXPECT_EQ(j["metrics"]["auroc_at_max_fpr"].get<double>(), *r.auroc_max_fpr);
  EXPECT_EQ(j["metrics"]["auroc_at_max_fpr_mcclish"].get<double>(), *r.auroc_max_fpr_mcclish);
  EXPECT_EQ(j["metrics"]["aupro"].get<double>(), *r.aupro_max_fpr);
  EXPECT_EQ(j["metrics"]["average_precision"].get<double>(), *r.average_precision);
  EXPECT_EQ(j["metrics"]["sample_auroc"].get<double>(), *r.sample_auroc);
  EXPECT_EQ(j["metrics"]["max_fpr"].get<double>(), 0.3);
  EXPECT_EQ(j["sample"]["auroc"].get<double>(), *r.sample_auroc);
  EXPECT_EQ(j["sample"]["positive_studies"], 2);
  EXPECT_EQ(j["counts"]["studies"], 3);
  EXPECT_EQ(j["counts"]["failed_studies"], 1);
  EXPECT_EQ(j["failed"], Json::array({"broken"}));
  EXPECT_EQ(j["counts"]["voxels"], 3 * 20 * 18 * 16);
  ASSERT_EQ(j["studies"].size(), 3u);
  EXPECT_EQ(j["studies"][2]["id"], "s2");
  EXPECT_EQ(j["studies"][2]["label"], false);
  EXPECT_EQ(j["studies"][0]["regions"].get<int64_t>(), r.studies[0].regions);
  EXPECT_EQ(j["studies"][0]["score"].get<double>(), r.studies[0].score);
  const auto& roc = j["curves"]["roc"];
  EXPECT_EQ(roc["fpr"].size(), r.roc.size());
  EXPECT_EQ(roc["tpr"].size(), r.roc.size());
  EXPECT_TRUE(roc["threshold"][0].is_null());  // +inf: above every score
  EXPECT_EQ(j["curves"]["pro"]["pro"].size(), r.pro.size());
  EXPECT_LE(r.roc.size(), 1000u);
  EXPECT_GT(j["memory"]["histogram_bytes"].get<uint64_t>(), 0u);
}

TEST(Report, UndefinedMetricsAreNullWithTheReason) {
  MetricsAccumulator acc({});
  const auto s = eval_test::random_study("n", {5, 5, 5}, 0, eval_test::Scores::continuous, 3);
  acc.add_study(s.id, s.map.data(), s.mask.data(), s.shape);
  const MetricsResult r = acc.result();
  const Json j = report_json(r, {});
  EXPECT_TRUE(j["voxel"]["auroc"].is_null());
  EXPECT_TRUE(j["voxel"]["aupro_max_fpr"].is_null());
  EXPECT_EQ(j["voxel"]["undefined"], "no positive voxel in any mask");
  EXPECT_TRUE(j["sample"]["auroc"].is_null());
  EXPECT_EQ(j["sample"]["undefined"], "no study has positive voxels");
  // The plot still comes out, saying so.
  const auto im = plot_curves(r);
  EXPECT_EQ(im.width, 1000);
  EXPECT_TRUE(colour_near(im, plot_position(0, 0.3, 0.5), kMaxFprColour, 3));
}

TEST(Report, PlotShowsBothCurvesAndTheMaxFprLine) {
  MetricsResult r;
  r.max_fpr = 0.3;
  r.auroc = 0.8, r.auroc_max_fpr = 0.6, r.aupro_max_fpr = 0.4, r.average_precision = 0.5;
  r.roc = {{0, 0, 1}, {0.2, 0.6, 0.5}, {1, 1, 0}};
  r.pro = {{0, 0, 1}, {0.4, 0.2, 0.5}, {1, 1, 0}};
  const auto im = plot_curves(r);
  ASSERT_EQ(im.width, 1000);
  ASSERT_EQ(im.height, 500);
  ASSERT_EQ(im.rgb.size(), 1000u * 500u * 3u);
  // On the segments' midpoints, the curves' colours; off them, not.
  EXPECT_TRUE(colour_near(im, plot_position(0, 0.1, 0.3), kRocColour));
  EXPECT_TRUE(colour_near(im, plot_position(0, 0.6, 0.8), kRocColour));
  EXPECT_FALSE(colour_near(im, plot_position(0, 0.6, 0.3), kRocColour, 3));
  EXPECT_TRUE(colour_near(im, plot_position(1, 0.2, 0.1), kProColour));
  EXPECT_TRUE(colour_near(im, plot_position(1, 0.7, 0.6), kProColour));
  EXPECT_FALSE(colour_near(im, plot_position(1, 0.2, 0.8), kProColour, 3));
  // The dashed line FPR = 0.3 in both panels: on for 5 pixels in every 10.
  for (int panel = 0; panel < 2; ++panel) {
    const auto top = plot_position(panel, 0.3, 0.7), bottom = plot_position(panel, 0.3, 0.4);
    int on = 0;
    for (int y = top.y; y < bottom.y; ++y) on += has_colour(im, top.x, y, kMaxFprColour);
    EXPECT_GT(on, (bottom.y - top.y) / 3) << panel;
    EXPECT_LT(on, bottom.y - top.y) << panel;
  }
  // Axes 0..1: the frame's corners in black, the plot's inside white far from everything.
  const unsigned char black[3] = {0, 0, 0}, white[3] = {255, 255, 255};
  EXPECT_TRUE(has_colour(im, plot_position(0, 1, 0).x, plot_position(0, 1, 0).y, black));
  EXPECT_TRUE(has_colour(im, plot_position(1, 0, 1).x, plot_position(1, 0, 1).y, black));
  EXPECT_TRUE(has_colour(im, plot_position(0, 0.95, 0.15).x + 3, plot_position(0, 0.95, 0.15).y + 3, white));
}

TEST(Report, BitmapFontDrawsGlyphs) {
  preview::RgbImage im;
  im.width = 60, im.height = 20;
  im.rgb.assign(60 * 20 * 3, 255);
  const unsigned char black[3] = {0, 0, 0};
  EXPECT_EQ(draw_text(im, 1, 1, "L1", 1, black), 12);
  // 'L': its left column and bottom row set; '1': the middle column.
  for (int r = 0; r < 7; ++r) EXPECT_TRUE(has_colour(im, 1, 1 + r, black)) << r;
  for (int c = 0; c < 5; ++c) EXPECT_TRUE(has_colour(im, 1 + c, 7, black)) << c;
  EXPECT_FALSE(has_colour(im, 3, 3, black));
  for (int r = 0; r < 7; ++r) EXPECT_TRUE(has_colour(im, 7 + 2, 1 + r, black)) << r;
  EXPECT_EQ(draw_text(im, 0, 10, "A", 2, black), 12);
  EXPECT_TRUE(has_colour(im, 0, 10 + 2 * 3, black));  // 'A' row 3 is 11111
}

TEST(Report, PngReadsBackAsDrawn) {
  const auto im = plot_curves(sample_result());
  const fs::path dir = fs::temp_directory_path() / ("eval-report-" + std::to_string(::getpid()));
  fs::create_directories(dir);
  preview::write_png(im, dir / "curves.png");
  test::run_python(fs::path(PLUGIN_TEST_DIR) / ".." / ".." / "preview_writer" / "tests" / "read_png.py",
                   {(dir / "curves.png").string(), (dir / "curves.npy").string()});
  const auto back = test::load_npy(dir / "curves.npy");
  ASSERT_EQ(back.shape, (std::vector<int64_t>{500, 1000, 3}));
  ASSERT_EQ(back.bytes.size(), im.rgb.size());
  EXPECT_TRUE(std::equal(im.rgb.begin(), im.rgb.end(), reinterpret_cast<const uint8_t*>(back.bytes.data())));
  fs::remove_all(dir);
}
