// Orders the slices of a series along the slice normal and checks that they
// form one regular grid; the grid it returns is the volume's geometry.
#pragma once
#include <filesystem>
#include <string>
#include <vector>

#include "attribute_checks.h"
#include "dicom_header.h"
#include "screener/geometry.h"

namespace screener::dicom {

// One 2-D image: a single-frame file, or one frame of a multi-frame file.
struct Slice {
  std::filesystem::path file;
  int frame = 0;
  int rows = 0, columns = 0;
  std::string sop_instance_uid;
  FrameInfo info;
};

struct StackRules {
  // Largest accepted |step - median step| / median step.
  double spacing_tolerance = 0.05;
  // A step larger than this times the median step is a missing slice.
  double gap_factor = 1.5;
  // Accept slices offset sideways (gantry tilt) by giving the slice axis the
  // direction of the actual step; otherwise such a stack is rejected.
  bool allow_tilt = false;
};

// Beyond this angle between the step and the normal a stack counts as tilted.
inline constexpr double kTiltToleranceDegrees = 0.1;

struct SliceStack {
  std::vector<Slice> slices;  // in order along axis 2
  Geometry geometry;
  bool tilted = false;
};

// Throws InputError saying what is irregular (without naming the series).
SliceStack stack_slices(std::vector<Slice> slices, const StackRules& rules);

}  // namespace screener::dicom
