#include "window.h"

#include <algorithm>
#include <cmath>
#include <vector>

namespace screener::preview {

double Window::gray(double hu) const { return std::clamp((hu - (center - width / 2)) / width, 0.0, 1.0); }

Window lung_window() { return {"lung", -600, 1500}; }
Window soft_tissue_window() { return {"soft tissue", 40, 400}; }
Window bone_window() { return {"bone", 400, 1800}; }

Window window_for_median(double median_hu) {
  return median_hu < lung_median_hu ? lung_window() : soft_tissue_window();
}

double neighbourhood_median_hu(const VoxelReader& image, const float* map, float map_minimum, const Geometry& g,
                               const HotRegion& region, double margin_mm) {
  Index3 lo{}, hi{};
  int64_t count = 1;
  for (std::size_t a = 0; a < 3; ++a) {
    const auto grow = int64_t(std::ceil(margin_mm / g.spacing[a]));
    lo[a] = std::max<int64_t>(0, region.lo[a] - grow);
    hi[a] = std::min<int64_t>(g.size[a] - 1, region.hi[a] + grow);
    count *= hi[a] - lo[a] + 1;
  }
  // The same stride along every axis keeps the sample spread evenly.
  const auto stride = std::max<int64_t>(1, int64_t(std::ceil(std::cbrt(double(count) / 1e6))));
  std::vector<float> body, outside_body;
  for (int64_t i = lo[0]; i <= hi[0]; i += stride)
    for (int64_t j = lo[1]; j <= hi[1]; j += stride)
      for (int64_t k = lo[2]; k <= hi[2]; k += stride) {
        const int64_t at = (i * g.size[1] + j) * g.size[2] + k;
        (map[at] > map_minimum ? body : outside_body).push_back(image(at));
      }
  std::vector<float>& sample = body.empty() ? outside_body : body;
  if (sample.empty()) return 0;
  const auto middle = sample.begin() + std::ptrdiff_t(sample.size() / 2);
  std::nth_element(sample.begin(), middle, sample.end());
  return *middle;
}

}  // namespace screener::preview
