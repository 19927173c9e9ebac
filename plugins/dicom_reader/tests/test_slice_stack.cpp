// The ordering and grid rules on slices described directly.
#include <gtest/gtest.h>

#include "screener/error.h"
#include "slice_stack.h"

using namespace screener;
using namespace screener::dicom;

namespace {
// Axial slices (normal +z) at the given z, named by their index.
std::vector<Slice> axial(const std::vector<double>& z) {
  std::vector<Slice> slices;
  for (std::size_t i = 0; i < z.size(); ++i) {
    Slice s;
    s.file = "s" + std::to_string(i);
    s.rows = 4;
    s.columns = 6;
    s.info.position = Vec3{-10, 20, z[i]};
    s.info.orientation = std::array<double, 6>{1, 0, 0, 0, 1, 0};
    s.info.pixel_spacing = std::array<double, 2>{0.5, 0.8};  // row spacing, column spacing
    slices.push_back(s);
  }
  return slices;
}

std::string error_of(std::vector<Slice> slices, StackRules rules = {}) {
  try {
    stack_slices(std::move(slices), rules);
  } catch (const InputError& e) {
    return e.what();
  }
  return "";
}
}  // namespace

TEST(SliceStack, SortsAlongTheNormalNotByInputOrder) {
  const auto stack = stack_slices(axial({7.5, 2.5, 12.5, 5, 10}), {});
  std::vector<std::string> order;
  for (const auto& s : stack.slices) order.push_back(s.file.string());
  EXPECT_EQ(order, (std::vector<std::string>{"s1", "s3", "s0", "s4", "s2"}));
  const Geometry& g = stack.geometry;
  EXPECT_EQ(g.size, (Index3{6, 4, 5}));
  EXPECT_EQ(g.spacing, (Vec3{0.8, 0.5, 2.5}));
  EXPECT_EQ(g.origin, (Vec3{-10, 20, 2.5}));
  EXPECT_FALSE(stack.tilted);
}

TEST(SliceStack, SingleSliceTakesSpacingBetweenSlicesThenSliceThicknessThen1mm) {
  auto slice = axial({4});
  EXPECT_EQ(stack_slices(slice, {}).geometry.spacing[2], 1.0);
  slice[0].info.slice_thickness = 3.0;
  EXPECT_EQ(stack_slices(slice, {}).geometry.spacing[2], 3.0);
  slice[0].info.spacing_between_slices = 2.5;
  EXPECT_EQ(stack_slices(slice, {}).geometry.spacing[2], 2.5);
  slice[0].info.spacing_between_slices = 0.0;  // present but meaningless
  EXPECT_EQ(stack_slices(slice, {}).geometry.spacing[2], 3.0);
  // With two slices the positions decide, whatever the tags say.
  auto pair = axial({0, 1.25});
  pair[0].info.slice_thickness = 3.0;
  EXPECT_EQ(stack_slices(pair, {}).geometry.spacing[2], 1.25);
}

TEST(SliceStack, NormalFollowsTheOrientationNotZ) {
  // Sagittal: rows along +y, columns along -z; normal = y x (-z) = -x.
  auto slices = axial({0, 0, 0});
  for (std::size_t i = 0; i < slices.size(); ++i) {
    slices[i].info.orientation = std::array<double, 6>{0, 1, 0, 0, 0, -1};
    slices[i].info.position = Vec3{double(i) * 3.0, 0, 0};
  }
  const auto stack = stack_slices(slices, {});
  EXPECT_EQ(stack.slices.front().file, "s2");  // largest x first: it is furthest along -x
  EXPECT_EQ(stack.geometry.direction[0][2], -1);
  EXPECT_DOUBLE_EQ(stack.geometry.spacing[2], 3.0);
}

TEST(SliceStack, RejectsGapsDuplicatesAndUnevenSteps) {
  EXPECT_NE(error_of(axial({0, 1, 2, 4, 5})).find("missing slice"), std::string::npos);
  EXPECT_NE(error_of(axial({0, 1, 1, 2})).find("duplicate slice position"), std::string::npos);
  EXPECT_NE(error_of(axial({0, 1, 2.2, 3, 4})).find("non-uniform"), std::string::npos);
  StackRules loose;
  loose.spacing_tolerance = 0.3;
  EXPECT_EQ(error_of(axial({0, 1, 2.2, 3, 4}), loose), "");
}

TEST(SliceStack, MissingGeometryNamesTheFile) {
  auto slices = axial({0, 1, 2});
  slices[1].info.pixel_spacing.reset();
  EXPECT_EQ(error_of(slices), "'s1' has no PixelSpacing");
}
