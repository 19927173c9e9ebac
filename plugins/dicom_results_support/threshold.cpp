#include <algorithm>
#include <cmath>
#include <iterator>
#include <vector>

#include "dicom_results.h"
#include "encoding.h"

namespace screener::dicom_results {

double percentile_above_minimum(const Volume& map, double percentile) {
  if (percentile < 0 || percentile > 100) throw Error("a percentile is from 0 to 100");
  const float* v = map_values(map);
  const auto n = std::size_t(map.voxels.numel());
  if (n == 0) throw Error("the map is empty");
  const float lowest = *std::min_element(v, v + n);
  std::vector<float> above;
  std::copy_if(v, v + n, std::back_inserter(above), [&](float x) { return x > lowest; });
  if (above.empty()) return std::nextafter(double(lowest), INFINITY);
  const double rank = percentile / 100.0 * double(above.size() - 1);
  const auto below = std::size_t(rank);
  // Only the two values around the rank are needed, not a full sort.
  std::nth_element(above.begin(), above.begin() + std::ptrdiff_t(below), above.end());
  const double low = above[below];
  if (below + 1 >= above.size()) return low;
  const double high = *std::min_element(above.begin() + std::ptrdiff_t(below) + 1, above.end());
  return low + (rank - double(below)) * (high - low);
}

}  // namespace screener::dicom_results
