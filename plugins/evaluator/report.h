// The evaluator's outputs: eval.json (every metric, the counts, the settings,
// the per-study table, the curves) and eval_curves.png (ROC and PRO curves).
#pragma once
#include <filesystem>
#include <string>
#include <vector>

#include "metrics.h"
#include "montage.h"  // preview::RgbImage
#include "screener/spec.h"

namespace screener::eval {

struct RunInfo {
  std::vector<std::string> done, failed;  // study ids, from the run's completion
};

Json report_json(const MetricsResult& result, const RunInfo& run);

// Two panels, 1000×500: the ROC curve (with the chance diagonal) and PRO
// against FPR, both on axes 0..1 with the line FPR = max_fpr marked.
preview::RgbImage plot_curves(const MetricsResult& result);

// Where a data point of panel `panel` (0: ROC, 1: PRO) lands in the picture
// (for tests).
struct PixelPos {
  int x, y;
};
PixelPos plot_position(int panel, double fpr, double y);

// Colours used (RGB), for tests.
inline constexpr unsigned char kRocColour[3] = {31, 119, 180};
inline constexpr unsigned char kProColour[3] = {230, 110, 0};
inline constexpr unsigned char kMaxFprColour[3] = {214, 39, 40};

// Draws `text` (upper case, digits, . = - ( ) : / , @ and space; other
// characters as ?) with a 5×7 bitmap font scaled by `scale`; (x, y) is the
// top-left corner. Returns the width drawn.
int draw_text(preview::RgbImage& image, int x, int y, const std::string& text, int scale,
              const unsigned char colour[3]);

}  // namespace screener::eval
