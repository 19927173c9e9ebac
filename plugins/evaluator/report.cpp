#include "report.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdio>

namespace screener::eval {

namespace {

Json number_or_null(const std::optional<double>& v) { return v && std::isfinite(*v) ? Json(*v) : Json(nullptr); }
Json finite_or_null(double v) { return std::isfinite(v) ? Json(v) : Json(nullptr); }

Json curve_json(const std::vector<CurvePoint>& curve, const char* y_name) {
  Json fpr = Json::array(), y = Json::array(), t = Json::array();
  for (const auto& p : curve) {
    fpr.push_back(p.fpr);
    y.push_back(p.y);
    t.push_back(finite_or_null(p.threshold));
  }
  return {{"fpr", fpr}, {y_name, y}, {"threshold", t}};
}

std::string fixed(double v, int digits) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", digits, v);
  return buf;
}

}  // namespace

Json report_json(const MetricsResult& r, const RunInfo& run) {
  const bool sampled = r.subsample > 0;
  Json protocol = {
      {"name", sampled ? "subsampled" : "all_voxels"},
      {"description",
       sampled ? "per study at most " + std::to_string(r.subsample) +
                     " positive and as many negative voxels, drawn uniformly without replacement (seed " +
                     std::to_string(r.seed) + " combined with a hash of the study id); metrics exact on the drawn voxels"
               : std::string("every voxel of every study; scores binned on the top 24 bits of an order-preserving "
                             "32-bit key, scores in one bin count as tied")},
      {"resolution", sampled ? "exact" : "relative 2^-15 (scores closer than one part in 32768 count as tied)"},
      {"connectivity", int(r.connectivity)},
      {"pro_regions", sampled ? "connected regions of each study's mask with at least one drawn voxel; a region's "
                                "overlap is the fraction of its drawn voxels at or above the threshold"
                              : "connected regions of each study's mask; overlap = fraction of the region's voxels at "
                                "or above the threshold"}};
  Json voxel = {{"auroc", number_or_null(r.auroc)},
                {"auroc_max_fpr", number_or_null(r.auroc_max_fpr)},
                {"auroc_max_fpr_mcclish", number_or_null(r.auroc_max_fpr_mcclish)},
                {"aupro_max_fpr", number_or_null(r.aupro_max_fpr)},
                {"average_precision", number_or_null(r.average_precision)},
                {"positives", r.positives},
                {"negatives", r.negatives},
                {"regions", r.regions},
                {"thresholds", r.thresholds}};
  if (!r.voxel_undefined.empty()) voxel["undefined"] = r.voxel_undefined;
  int labelled = 0;
  for (const auto& s : r.studies) labelled += s.positives > 0;
  Json sample = {{"auroc", number_or_null(r.sample_auroc)},
                 {"average_precision", number_or_null(r.sample_average_precision)},
                 {"score", "the map's maximum"},
                 {"label", "the mask has a positive voxel"},
                 {"positive_studies", labelled},
                 {"negative_studies", int(r.studies.size()) - labelled}};
  if (!r.sample_undefined.empty()) sample["undefined"] = r.sample_undefined;
  Json studies = Json::array();
  int64_t voxels = 0, positives = 0, regions = 0;
  for (const auto& s : r.studies) {
    Json j = {{"id", s.id}, {"voxels", s.voxels}, {"positives", s.positives}, {"regions", s.regions},
              {"score", finite_or_null(s.score)}, {"label", s.positives > 0}};
    if (sampled)
      j["sampled"] = {{"positives", s.sampled_positives}, {"negatives", s.sampled_negatives}, {"regions", s.sampled_regions}};
    studies.push_back(j);
    voxels += s.voxels, positives += s.positives, regions += s.regions;
  }
  Json failed = Json::array();
  for (const auto& id : run.failed) failed.push_back(id);
  // The MOOD challenge's two tasks (Zimmerer et al. 2022; the thesis, ch. 4; the
  // challenge's scripts/evalresults.py): sklearn's average precision over every
  // study's sample score at once, and over every voxel of every study.
  const std::optional<double> mood_voxel_ap = sampled ? std::nullopt : r.average_precision;
  Json mood = {
      {"protocol", "MOOD 2020 (Medical Out-of-Distribution Analysis Challenge)"},
      {"sample_average_precision", number_or_null(r.sample_average_precision)},
      {"voxel_average_precision", number_or_null(mood_voxel_ap)},
      {"sample_score", "the map's maximum"},
      {"sample_label", "the mask has a positive voxel"},
      {"voxel_label", "mask voxel rounded to 0 or 1"},
      {"metric", "sklearn average_precision_score: sum over thresholds of (R_n - R_n-1) P_n"},
      {"differences",
       "MOOD clamps scores to [0, 1] and reads voxel scores as float16: the AP is invariant under the increasing "
       "map into [0, 1] a submission applies, so raw scores are ranked here (resolution 2^-15, finer than float16); "
       "the challenge averaged the voxel AP over fixed random batches of 20 studies for compute time, here it is "
       "over all studies at once, like its sample level; a failed study counts as all zeros there and is left out "
       "here (listed under failed)"}};
  if (sampled) mood["voxel_undefined"] = "the voxel-level AP needs every voxel: run with subsample 0";

  // The headline numbers in one flat object (for tables and scripts).
  Json headline = {{"max_fpr", r.max_fpr},
                   {"voxel_auroc", number_or_null(r.auroc)},
                   {"auroc_at_max_fpr", number_or_null(r.auroc_max_fpr)},
                   {"auroc_at_max_fpr_mcclish", number_or_null(r.auroc_max_fpr_mcclish)},
                   {"aupro", number_or_null(r.aupro_max_fpr)},
                   {"average_precision", number_or_null(r.average_precision)},
                   {"sample_auroc", number_or_null(r.sample_auroc)},
                   {"sample_average_precision", number_or_null(r.sample_average_precision)},
                   {"mood_sample_ap", number_or_null(r.sample_average_precision)},
                   {"mood_voxel_ap", number_or_null(mood_voxel_ap)}};
  return {{"metrics", headline},
          {"protocol", protocol},
          {"settings", {{"max_fpr", r.max_fpr}, {"subsample", r.subsample}, {"seed", r.seed}}},
          {"definitions",
           {{"auroc", "area under the ROC curve over all thresholds (trapezoids, ties as one step)"},
            {"auroc_max_fpr", "integral of TPR over FPR in [0, max_fpr] (ROC interpolated linearly at max_fpr), divided "
                              "by max_fpr: 1 is perfect, max_fpr/2 is chance"},
            {"auroc_max_fpr_mcclish", "the same area standardised as sklearn roc_auc_score(max_fpr=...): "
                                      "0.5 * (1 + (A - max_fpr^2/2) / (max_fpr - max_fpr^2/2))"},
            {"aupro_max_fpr", "MVTec AD: PRO(t) = mean over the ground truth's connected regions (all studies) of "
                              "the fraction of the region at or above t; trapezoid integral of PRO over FPR in "
                              "[0, max_fpr], interpolated at max_fpr, divided by max_fpr"},
            {"average_precision", "sklearn average_precision_score: sum over thresholds of (R_n - R_n-1) P_n"}}},
          {"counts",
           {{"studies", r.studies.size()},
            {"failed_studies", run.failed.size()},
            {"voxels", voxels},
            {"positives", positives},
            {"negatives", voxels - positives},
            {"regions", regions}}},
          {"voxel", voxel},
          {"sample", sample},
          {"mood", mood},
          {"curves", {{"roc", curve_json(r.roc, "tpr")}, {"pro", curve_json(r.pro, "pro")}}},
          {"studies", studies},
          {"failed", failed},
          {"memory", {{"histogram_bytes", r.histogram_bytes}}}};
}

// ----------------------------------------------------------------- plotting
namespace {

constexpr int kWidth = 1000, kHeight = 500;
constexpr int kPanelWidth = 500, kLeft = 70, kTop = 60, kSize = 380;

struct Glyph {
  char c;
  uint8_t rows[7];
};

// A 5×7 font; bit 4 is the leftmost column.
constexpr Glyph kFont[] = {
    {'0', {0b01110, 0b10001, 0b10011, 0b10101, 0b11001, 0b10001, 0b01110}},
    {'1', {0b00100, 0b01100, 0b00100, 0b00100, 0b00100, 0b00100, 0b01110}},
    {'2', {0b01110, 0b10001, 0b00001, 0b00010, 0b00100, 0b01000, 0b11111}},
    {'3', {0b11111, 0b00010, 0b00100, 0b00010, 0b00001, 0b10001, 0b01110}},
    {'4', {0b00010, 0b00110, 0b01010, 0b10010, 0b11111, 0b00010, 0b00010}},
    {'5', {0b11111, 0b10000, 0b11110, 0b00001, 0b00001, 0b10001, 0b01110}},
    {'6', {0b00110, 0b01000, 0b10000, 0b11110, 0b10001, 0b10001, 0b01110}},
    {'7', {0b11111, 0b00001, 0b00010, 0b00100, 0b01000, 0b01000, 0b01000}},
    {'8', {0b01110, 0b10001, 0b10001, 0b01110, 0b10001, 0b10001, 0b01110}},
    {'9', {0b01110, 0b10001, 0b10001, 0b01111, 0b00001, 0b00010, 0b01100}},
    {'A', {0b01110, 0b10001, 0b10001, 0b11111, 0b10001, 0b10001, 0b10001}},
    {'B', {0b11110, 0b10001, 0b10001, 0b11110, 0b10001, 0b10001, 0b11110}},
    {'C', {0b01110, 0b10001, 0b10000, 0b10000, 0b10000, 0b10001, 0b01110}},
    {'D', {0b11100, 0b10010, 0b10001, 0b10001, 0b10001, 0b10010, 0b11100}},
    {'E', {0b11111, 0b10000, 0b10000, 0b11110, 0b10000, 0b10000, 0b11111}},
    {'F', {0b11111, 0b10000, 0b10000, 0b11110, 0b10000, 0b10000, 0b10000}},
    {'G', {0b01110, 0b10001, 0b10000, 0b10111, 0b10001, 0b10001, 0b01111}},
    {'H', {0b10001, 0b10001, 0b10001, 0b11111, 0b10001, 0b10001, 0b10001}},
    {'I', {0b01110, 0b00100, 0b00100, 0b00100, 0b00100, 0b00100, 0b01110}},
    {'J', {0b00111, 0b00010, 0b00010, 0b00010, 0b00010, 0b10010, 0b01100}},
    {'K', {0b10001, 0b10010, 0b10100, 0b11000, 0b10100, 0b10010, 0b10001}},
    {'L', {0b10000, 0b10000, 0b10000, 0b10000, 0b10000, 0b10000, 0b11111}},
    {'M', {0b10001, 0b11011, 0b10101, 0b10101, 0b10001, 0b10001, 0b10001}},
    {'N', {0b10001, 0b10001, 0b11001, 0b10101, 0b10011, 0b10001, 0b10001}},
    {'O', {0b01110, 0b10001, 0b10001, 0b10001, 0b10001, 0b10001, 0b01110}},
    {'P', {0b11110, 0b10001, 0b10001, 0b11110, 0b10000, 0b10000, 0b10000}},
    {'Q', {0b01110, 0b10001, 0b10001, 0b10001, 0b10101, 0b10010, 0b01101}},
    {'R', {0b11110, 0b10001, 0b10001, 0b11110, 0b10100, 0b10010, 0b10001}},
    {'S', {0b01111, 0b10000, 0b10000, 0b01110, 0b00001, 0b00001, 0b11110}},
    {'T', {0b11111, 0b00100, 0b00100, 0b00100, 0b00100, 0b00100, 0b00100}},
    {'U', {0b10001, 0b10001, 0b10001, 0b10001, 0b10001, 0b10001, 0b01110}},
    {'V', {0b10001, 0b10001, 0b10001, 0b10001, 0b10001, 0b01010, 0b00100}},
    {'W', {0b10001, 0b10001, 0b10001, 0b10101, 0b10101, 0b10101, 0b01010}},
    {'X', {0b10001, 0b10001, 0b01010, 0b00100, 0b01010, 0b10001, 0b10001}},
    {'Y', {0b10001, 0b10001, 0b10001, 0b01010, 0b00100, 0b00100, 0b00100}},
    {'Z', {0b11111, 0b00001, 0b00010, 0b00100, 0b01000, 0b10000, 0b11111}},
    {'.', {0b00000, 0b00000, 0b00000, 0b00000, 0b00000, 0b01100, 0b01100}},
    {'=', {0b00000, 0b00000, 0b11111, 0b00000, 0b11111, 0b00000, 0b00000}},
    {'-', {0b00000, 0b00000, 0b00000, 0b11111, 0b00000, 0b00000, 0b00000}},
    {'(', {0b00010, 0b00100, 0b01000, 0b01000, 0b01000, 0b00100, 0b00010}},
    {')', {0b01000, 0b00100, 0b00010, 0b00010, 0b00010, 0b00100, 0b01000}},
    {':', {0b00000, 0b01100, 0b01100, 0b00000, 0b01100, 0b01100, 0b00000}},
    {'/', {0b00000, 0b00001, 0b00010, 0b00100, 0b01000, 0b10000, 0b00000}},
    {',', {0b00000, 0b00000, 0b00000, 0b00000, 0b01100, 0b00100, 0b01000}},
    {'@', {0b01110, 0b10001, 0b00001, 0b01101, 0b10101, 0b10101, 0b01110}},
    {' ', {0, 0, 0, 0, 0, 0, 0}},
    {'?', {0b01110, 0b10001, 0b00001, 0b00010, 0b00100, 0b00000, 0b00100}},
};

const Glyph& glyph(char c) {
  c = char(std::toupper(static_cast<unsigned char>(c)));
  for (const auto& g : kFont)
    if (g.c == c) return g;
  return kFont[sizeof kFont / sizeof kFont[0] - 1];
}

constexpr unsigned char kBlack[3] = {0, 0, 0};
constexpr unsigned char kGrid[3] = {225, 225, 225};
constexpr unsigned char kChance[3] = {150, 150, 150};

void put(preview::RgbImage& im, int x, int y, const unsigned char c[3]) {
  if (x < 0 || y < 0 || x >= im.width || y >= im.height) return;
  auto* p = &im.rgb[(std::size_t(y) * std::size_t(im.width) + std::size_t(x)) * 3];
  p[0] = c[0], p[1] = c[1], p[2] = c[2];
}

// A line `thickness` pixels wide; dashed: `dash` pixels on, `dash` off.
void line(preview::RgbImage& im, double x0, double y0, double x1, double y1, const unsigned char c[3],
          int thickness = 1, int dash = 0) {
  const int steps = std::max(1, int(std::ceil(std::max(std::abs(x1 - x0), std::abs(y1 - y0)))));
  for (int s = 0; s <= steps; ++s) {
    if (dash > 0 && (s / dash) % 2 == 1) continue;
    const double t = double(s) / steps;
    const int x = int(std::lround(x0 + t * (x1 - x0))), y = int(std::lround(y0 + t * (y1 - y0)));
    for (int dx = 0; dx < thickness; ++dx)
      for (int dy = 0; dy < thickness; ++dy) put(im, x + dx - thickness / 2, y + dy - thickness / 2, c);
  }
}

void panel(preview::RgbImage& im, int index, const std::vector<CurvePoint>& curve, const unsigned char colour[3],
           const std::string& y_label, const std::vector<std::string>& title, double max_fpr, bool chance) {
  const auto at = [&](double fpr, double y) { return plot_position(index, fpr, y); };
  // Grid and ticks every 0.1, labels every 0.2.
  for (int k = 0; k <= 10; ++k) {
    const double v = k / 10.0;
    const auto a = at(v, 0), b = at(v, 1), c = at(0, v), d = at(1, v);
    line(im, a.x, a.y, b.x, b.y, kGrid);
    line(im, c.x, c.y, d.x, d.y, kGrid);
    line(im, a.x, a.y, a.x, a.y + 4, kBlack);
    line(im, c.x - 4, c.y, c.x, c.y, kBlack);
    if (k % 2 == 0) {
      const std::string label = k == 0 ? "0" : k == 10 ? "1" : fixed(v, 1);
      const int w = int(label.size()) * 6 - 1;
      draw_text(im, a.x - w / 2, a.y + 8, label, 1, kBlack);
      draw_text(im, c.x - 8 - w, c.y - 3, label, 1, kBlack);
    }
  }
  if (chance) {
    const auto a = at(0, 0), b = at(1, 1);
    line(im, a.x, a.y, b.x, b.y, kChance, 1, 4);
  }
  // The frame.
  const auto o = at(0, 0), e = at(1, 1);
  line(im, o.x, o.y, e.x, o.y, kBlack);
  line(im, o.x, e.y, e.x, e.y, kBlack);
  line(im, o.x, o.y, o.x, e.y, kBlack);
  line(im, e.x, o.y, e.x, e.y, kBlack);
  // FPR = max_fpr.
  const auto m0 = at(max_fpr, 0), m1 = at(max_fpr, 1);
  line(im, m0.x, m0.y, m1.x, m1.y, kMaxFprColour, 1, 5);
  draw_text(im, m1.x + 4, m1.y + 4, "FPR=" + fixed(max_fpr, 2), 1, kMaxFprColour);
  // The curve.
  for (std::size_t i = 1; i < curve.size(); ++i) {
    const auto a = at(curve[i - 1].fpr, curve[i - 1].y), b = at(curve[i].fpr, curve[i].y);
    line(im, a.x, a.y, b.x, b.y, colour, 2);
  }
  // Labels.
  const int x0 = index * kPanelWidth;
  draw_text(im, o.x + kSize / 2 - 8, o.y + 24, "FPR", 2, kBlack);
  draw_text(im, x0 + 8, e.y - 22, y_label, 2, kBlack);
  int y = 8;
  for (const auto& t : title) {
    const int scale = int(t.size()) * 12 <= kPanelWidth - kLeft - 10 ? 2 : 1;
    draw_text(im, x0 + kLeft, y, t, scale, t.rfind("UNDEFINED", 0) == 0 ? kMaxFprColour : colour);
    y += 9 * scale;
  }
}

}  // namespace

int draw_text(preview::RgbImage& image, int x, int y, const std::string& text, int scale, const unsigned char colour[3]) {
  int cx = x;
  for (char ch : text) {
    const Glyph& g = glyph(ch);
    for (int r = 0; r < 7; ++r)
      for (int c = 0; c < 5; ++c)
        if (g.rows[r] & (1u << (4 - c)))
          for (int dy = 0; dy < scale; ++dy)
            for (int dx = 0; dx < scale; ++dx) put(image, cx + c * scale + dx, y + r * scale + dy, colour);
    cx += 6 * scale;
  }
  return cx - x;
}

PixelPos plot_position(int panel, double fpr, double y) {
  fpr = std::clamp(fpr, 0.0, 1.0), y = std::clamp(y, 0.0, 1.0);
  return {panel * kPanelWidth + kLeft + int(std::lround(fpr * kSize)), kTop + int(std::lround((1 - y) * kSize))};
}

preview::RgbImage plot_curves(const MetricsResult& r) {
  preview::RgbImage im;
  im.width = kWidth, im.height = kHeight;
  im.rgb.assign(std::size_t(kWidth) * kHeight * 3, 255);
  const std::string m = fixed(r.max_fpr, 2);
  const auto value = [](const std::optional<double>& v) { return v ? fixed(*v, 4) : std::string("UNDEFINED"); };
  std::vector<std::string> roc_title, pro_title;
  if (!r.voxel_undefined.empty()) {
    roc_title = {"ROC", "UNDEFINED: " + r.voxel_undefined};
    pro_title = {"PRO", "UNDEFINED: " + r.voxel_undefined};
  } else {
    roc_title = {"ROC  AUROC " + value(r.auroc), "AUROC@" + m + " " + value(r.auroc_max_fpr)};
    pro_title = {"PRO  AUPRO@" + m + " " + value(r.aupro_max_fpr), "AP " + value(r.average_precision)};
  }
  panel(im, 0, r.roc, kRocColour, "TPR", roc_title, r.max_fpr, true);
  panel(im, 1, r.pro, kProColour, "PRO", pro_title, r.max_fpr, false);
  return im;
}

}  // namespace screener::eval
