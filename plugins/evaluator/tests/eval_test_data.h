// Random studies for the metric tests: masks made of several regions (balls,
// single voxels, pairs touching only by an edge or a corner) and maps that
// score the regions higher on average, with or without ties.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "metrics.h"

namespace eval_test {

struct StudyData {
  std::string id;
  screener::eval::Shape3 shape;
  std::vector<float> map;
  std::vector<uint8_t> mask;
};

enum class Scores {
  continuous,  // no ties (almost surely), in [-3, 5]
  ties,        // multiples of 1/16 in [-2, 4]: exact in 24-bit bins, many ties
  wide,        // signed, spanning several orders of magnitude
};

// `regions` regions (0: an all-negative study).
StudyData random_study(const std::string& id, const screener::eval::Shape3& shape, int regions, Scores scores,
                       uint32_t seed);

}  // namespace eval_test
