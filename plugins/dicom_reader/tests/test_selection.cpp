// Which series of a study are read: ORIGINAL\PRIMARY preferred, a study's
// only series read even when DERIVED (with a warning), every series left out
// named with the parameter that would admit it.
#include <gtest/gtest.h>

#include "dicom_test_data.h"

using namespace dicom_test;
using namespace screener;

namespace {
const char* kDerived = "DERIVED\\SECONDARY\\AXIAL";

bool contains(const std::vector<std::string>& lines, const std::string& part) {
  for (const auto& l : lines)
    if (l.find(part) != std::string::npos) return true;
  return false;
}
}  // namespace

TEST(Selection, DerivedSeriesIsReadWhenItIsTheStudysOnlySeriesWithAWarning) {
  TempDir tmp;
  make_series(tmp / "in", {"--image-type", kDerived});
  const auto found = Reader().discover(tmp / "in");
  ASSERT_EQ(found.entries.size(), 1u) << ::testing::PrintToString(found.notes);
  std::vector<std::string> warnings;
  const auto volume = Reader().load(found.entries.front(), &warnings);
  EXPECT_EQ(volume->geometry.size[2], 12);
  ASSERT_EQ(warnings.size(), 1u);
  EXPECT_CONTAINS(warnings.front(), "read although of ImageType DERIVED\\SECONDARY\\AXIAL");
  EXPECT_CONTAINS(warnings.front(), "the study has no ORIGINAL\\PRIMARY series");
}

TEST(Selection, OriginalSeriesIsPreferredOverADerivedOneOfTheSameStudy) {
  TempDir tmp;
  make_series(tmp / "in", {"--tag", "original", "--study-tag", "s", "--series-number", "1"});
  make_series(tmp / "in", {"--tag", "derived", "--study-tag", "s", "--series-number", "2", "--image-type", kDerived});
  const auto found = Reader().discover(tmp / "in");
  ASSERT_EQ(found.entries.size(), 1u);
  EXPECT_EQ(found.entries.front().attributes.at("SeriesNumber"), "1");
  EXPECT_FALSE(found.entries.front().locator.contains("warnings"));
  EXPECT_TRUE(found.noted("excluded: series ")) << ::testing::PrintToString(found.notes);
  EXPECT_TRUE(found.noted("series number 2")) << ::testing::PrintToString(found.notes);
  EXPECT_TRUE(found.noted("set prefer_original_primary false to read it too"));

  const auto both = Reader(Json{{"prefer_original_primary", false}}).discover(tmp / "in");
  EXPECT_EQ(both.entries.size(), 2u);
}

TEST(Selection, RequireOriginalPrimaryLeavesDerivedSeriesOutNamingTheSwitch) {
  TempDir tmp;
  make_series(tmp / "in", {"--image-type", kDerived});
  const auto found = Reader(Json{{"require_original_primary", true}}).discover(tmp / "in");
  EXPECT_TRUE(found.entries.empty());
  EXPECT_TRUE(found.noted("excluded: series ")) << ::testing::PrintToString(found.notes);
  EXPECT_TRUE(found.noted("no image of ImageType ORIGINAL\\PRIMARY (ImageType DERIVED\\SECONDARY\\AXIAL; set "
                          "require_original_primary false to read it)"))
      << ::testing::PrintToString(found.notes);
}

TEST(Selection, EveryExcludedSeriesNamesTheParameterThatWouldAdmitIt) {
  TempDir tmp;
  make_series(tmp / "in", {"--tag", "mr", "--modality", "MR"});
  make_series(tmp / "in", {"--tag", "short", "--slices", "4"});
  make_series(tmp / "in", {"--tag", "scout", "--image-type", "ORIGINAL\\PRIMARY\\LOCALIZER"});
  make_series(tmp / "in", {"--tag", "thick", "--study-tag", "s", "--slices", "11"});
  make_series(tmp / "in", {"--tag", "thin", "--study-tag", "s", "--slices", "12"});
  const auto found = Reader(Json{{"series", "largest"}, {"require_axial", true}}).discover(tmp / "in");
  ASSERT_EQ(found.entries.size(), 1u);
  std::vector<std::string> excluded;
  for (const auto& n : found.notes)
    if (n.rfind("excluded: ", 0) == 0) excluded.push_back(n);
  EXPECT_EQ(excluded.size(), 4u) << ::testing::PrintToString(found.notes);
  EXPECT_TRUE(contains(excluded, "Modality MR is not CT (set modality to \"MR\" or \"any\" to read it)"));
  EXPECT_TRUE(contains(excluded, "4 slice(s), fewer than min_slices 10 (set min_slices to 4 to read it)"));
  EXPECT_TRUE(contains(excluded, "are LOCALIZER (never read)"));
  EXPECT_TRUE(contains(excluded, "not the largest series of study"));
  EXPECT_TRUE(contains(excluded, "(set series to \"all\" to read it)"));
  // Each names the series and where its files are.
  for (const auto& n : excluded) EXPECT_CONTAINS(n, "in '" + (tmp / "in").string() + "'");
}

TEST(Selection, SeriesWithoutSeriesNumberIsNamedByTheEndOfItsUid) {
  TempDir tmp;
  make_series(tmp / "in", {"--delete", "SeriesNumber", "--slices", "4"});
  const auto short_series = Reader().discover(tmp / "in");
  EXPECT_TRUE(short_series.noted("no SeriesNumber")) << ::testing::PrintToString(short_series.notes);
  EXPECT_FALSE(short_series.noted("series number )"));

  const auto found = Reader(Json{{"min_slices", 4}}).discover(tmp / "in");
  ASSERT_EQ(found.entries.size(), 1u);
  const auto& e = found.entries.front();
  const std::string uid = e.attributes.at("SeriesInstanceUID");
  const std::string tail = uid.substr(uid.size() - 12);
  EXPECT_EQ(e.id, sanitize_filename(e.attributes.at("PatientID").get<std::string>() + "_" +
                                    e.attributes.at("StudyDate").get<std::string>() + "_uid" + tail));
  // Stable: the same files give the same name.
  EXPECT_EQ(Reader(Json{{"min_slices", 4}}).discover(tmp / "in").entries.front().id, e.id);
}
