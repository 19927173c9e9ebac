// Series that are not one regular grid fail with a message naming the series
// and the problem; other series of the same input are not affected.
#include <gtest/gtest.h>

#include <fstream>

#include "dicom_test_data.h"

using namespace dicom_test;
using namespace screener;


TEST(IrregularSeries, MissingMiddleSliceIsAGap) {
  TempDir tmp;
  make_series(tmp / "s", {"--names", "ordered", "--tag", "g"});
  fs::remove(tmp / "s" / "g005.dcm");
  const auto error = load_error(tmp / "s");
  EXPECT_CONTAINS(error, "missing slice");
}

TEST(IrregularSeries, RealSeriesWithAGapIsRejected) {
  // CT2: real slices at -99.48, 103.02, 104.27, 105.52 mm.
  const auto error = load_error(pydicom_files() / "dicomdirtests/77654033/CT2", Json{{"min_slices", 1}});
  EXPECT_CONTAINS(error, "missing slice");
}

TEST(IrregularSeries, SecondCopyOfAnInstanceIsSkippedWithANote) {
  TempDir tmp;
  make_series(tmp / "s", {"--names", "ordered", "--tag", "d"});
  fs::copy_file(tmp / "s" / "d004.dcm", tmp / "s" / "copy_of_d004.dcm");
  const auto found = Reader().discover(tmp / "s");
  ASSERT_EQ(found.entries.size(), 1u);
  EXPECT_TRUE(found.noted("another copy of SOP instance"));
  EXPECT_EQ(found.entries.front().locator.at("files").size(), 12u);
  EXPECT_EQ(Reader().load(found.entries.front())->geometry.size[2], 12);
}

TEST(IrregularSeries, TwoInstancesAtOnePositionAreRejected) {
  TempDir tmp;
  make_series(tmp / "s", {"--duplicate-position", "4"});
  EXPECT_CONTAINS(load_error(tmp / "s"), "duplicate slice position");
}

TEST(IrregularSeries, NonUniformSpacingBeyondTheToleranceIsRejected) {
  TempDir tmp;
  make_series(tmp / "s", {"--jitter", "6", "0.4"});  // steps of 2.9 and 2.1 mm around 2.5
  EXPECT_CONTAINS(load_error(tmp / "s"), "non-uniform slice spacing");
  EXPECT_EQ(load_error(tmp / "s", Json{{"spacing_tolerance", 0.2}}), "");
}

TEST(IrregularSeries, SliceShiftedInPlaneIsRejected) {
  TempDir tmp;
  make_series(tmp / "s", {"--shift-in-plane", "5", "3.0"});
  EXPECT_CONTAINS(load_error(tmp / "s"), "in-plane");
}

TEST(IrregularSeries, GantryTiltIsRejectedUnlessAllowed) {
  TempDir tmp;
  make_series(tmp / "s", {"--tilt", "15"});
  EXPECT_CONTAINS(load_error(tmp / "s"), "sheared stack");

  const auto volume = Reader(Json{{"allow_tilt", true}}).read_single(tmp / "s");
  const auto expected = pydicom_oracle({tmp / "s"});  // positions sorted along the normal
  const auto& g = volume->geometry;
  // The slice axis follows the slices: 15 degrees off the normal (z), towards the column direction (y).
  const double tilt = 15 * M_PI / 180;
  EXPECT_NEAR(g.direction[2][2], std::cos(tilt), 1e-5);
  EXPECT_NEAR(g.direction[1][2], std::sin(tilt), 1e-5);
  EXPECT_NEAR(g.spacing[2], 2.5 / std::cos(tilt), 1e-4);
  // The last slice of the grid lands on the last slice's ImagePositionPatient.
  const auto last = g.index_to_physical({0, 0, double(g.size[2] - 1)});
  const Vec3 expected_last{expected.geometry.origin[0], expected.geometry.origin[1] + 11 * 2.5 * std::tan(tilt),
                           expected.geometry.origin[2] + 11 * 2.5};
  for (int d = 0; d < 3; ++d) EXPECT_NEAR(last[d], expected_last[d], 1e-4);
  expect_same_voxels(*volume, expected);
}

TEST(IrregularSeries, MixedOrientationsAreRejected) {
  TempDir tmp;
  make_series(tmp / "s", {"--mixed-orientation", "3"});
  EXPECT_CONTAINS(load_error(tmp / "s"), "mixed orientations");
}

TEST(IrregularSeries, MixedSizesAreRejected) {
  TempDir tmp;
  make_series(tmp / "s", {"--mixed-size", "3"});
  EXPECT_CONTAINS(load_error(tmp / "s"), "mixed image sizes");
}

TEST(IrregularSeries, TruncatedFileFailsOnlyItsSeries) {
  TempDir tmp;
  make_series(tmp / "in", {"--tag", "broken", "--names", "ordered", "--series-number", "3"});
  make_series(tmp / "in", {"--tag", "fine", "--series-number", "4"});
  const fs::path victim = tmp / "in" / "broken007.dcm";
  fs::resize_file(victim, fs::file_size(victim) / 2);
  Reader reader;
  const auto found = reader.discover(tmp / "in");
  ASSERT_EQ(found.entries.size(), 2u);
  int failed = 0, loaded = 0;
  for (const auto& entry : found.entries) {
    try {
      const auto v = reader.load(entry);
      EXPECT_EQ(entry.attributes.at("SeriesNumber"), "4");
      EXPECT_EQ(v->geometry.size[2], 12);
      ++loaded;
    } catch (const InputError& e) {
      EXPECT_CONTAINS(e.what(), victim.string());
      ++failed;
    }
  }
  EXPECT_EQ(failed, 1);
  EXPECT_EQ(loaded, 1);
}

TEST(IrregularSeries, RealTruncatedFileFailsWithItsName) {
  TempDir tmp;
  fs::copy_file(pydicom_files() / "MR_truncated.dcm", tmp / "MR_truncated.dcm");
  const auto error = load_error(tmp.path(), Json{{"min_slices", 1}, {"modality", "any"}, {"require_original_primary", false}});
  EXPECT_CONTAINS(error, "MR_truncated.dcm");
}

TEST(IrregularSeries, MissingGeometryTagFailsWithTheFileName) {
  // JPGExtended.dcm is a real NM image without ImagePositionPatient.
  TempDir tmp;
  fs::copy_file(pydicom_files() / "JPGExtended.dcm", tmp / "nm.dcm");
  const auto error = load_error(tmp.path(), Json{{"min_slices", 1}, {"modality", "any"}, {"require_original_primary", false}});
  EXPECT_CONTAINS(error, "nm.dcm");
  EXPECT_CONTAINS(error, "ImagePositionPatient");
}
