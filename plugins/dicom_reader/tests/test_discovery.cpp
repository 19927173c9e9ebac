// What --input can name, and which series are picked.
#include <gtest/gtest.h>

#include <algorithm>
#include <cctype>
#include <fstream>
#include <set>

#include "dicom_test_data.h"

using namespace dicom_test;
using namespace screener;

namespace {
std::size_t file_count(const StudyEntry& e) { return e.locator.at("files").size(); }
}  // namespace

TEST(Discovery, NonDicomFileIsSkippedWithANoteNamingIt) {
  TempDir tmp;
  make_series(tmp / "in", {});
  std::ofstream(tmp / "in" / "scan_notes.csv") << "patient,comment\n1,no contrast\n";
  const auto found = Reader().discover(tmp / "in");
  ASSERT_EQ(found.entries.size(), 1u);
  EXPECT_EQ(file_count(found.entries.front()), 12u);
  EXPECT_TRUE(found.noted((tmp / "in" / "scan_notes.csv").string())) << ::testing::PrintToString(found.notes);
}

TEST(Discovery, EntryCarriesIdentifiersAndFiles) {
  TempDir tmp;
  make_series(tmp / "in", {"--series-number", "7"});
  const auto found = Reader().discover(tmp / "in");
  ASSERT_EQ(found.entries.size(), 1u);
  const auto& e = found.entries.front();
  EXPECT_EQ(e.attributes.at("Modality"), "CT");
  EXPECT_EQ(e.attributes.at("SeriesNumber"), "7");
  EXPECT_FALSE(e.attributes.at("StudyInstanceUID").get<std::string>().empty());
  EXPECT_EQ(e.id, sanitize_filename(e.attributes.at("PatientID").get<std::string>() + "_" +
                                    e.attributes.at("StudyDate").get<std::string>() + "_S7"));
}

// What DICOM results derived from the series need (see dicom_results.h).
TEST(Discovery, EntryCarriesIdentityInUtf8AndEveryInstanceWithItsPosition) {
  TempDir tmp;
  make_series(tmp / "in", {"--latin1-name", "M\u00fcller^J\u00fcrgen"});
  const auto found = Reader().discover(tmp / "in");
  ASSERT_EQ(found.entries.size(), 1u);
  const auto& a = found.entries.front().attributes;
  EXPECT_EQ(a.at("PatientName"), "M\u00fcller^J\u00fcrgen");  // read as Latin-1, carried as UTF-8
  EXPECT_FALSE(a.at("FrameOfReferenceUID").get<std::string>().empty());
  EXPECT_FALSE(a.at("StudyTime").get<std::string>().empty());
  const auto& instances = a.at("ReferencedInstances");
  ASSERT_EQ(instances.size(), 12u);
  std::set<std::string> uids;
  for (const auto& i : instances) {
    EXPECT_EQ(i.at("SOPClassUID"), "1.2.840.10008.5.1.4.1.1.2");
    uids.insert(i.at("SOPInstanceUID").get<std::string>());
    ASSERT_EQ(i.at("FramePositions").size(), 1u);
    EXPECT_EQ(i.at("FramePositions")[0].size(), 3u);
  }
  EXPECT_EQ(uids.size(), 12u);
}

TEST(Discovery, SeriesWithTheSameNumberGetDistinctIds) {
  TempDir tmp;
  make_series(tmp / "in", {"--tag", "one"});
  make_series(tmp / "in", {"--tag", "two"});
  const auto found = Reader().discover(tmp / "in");
  ASSERT_EQ(found.entries.size(), 2u);
  EXPECT_NE(found.entries[0].id, found.entries[1].id);
}

TEST(Discovery, SingleFileInput) {
  const auto found = Reader(Json{{"min_slices", 1}}).discover(pydicom_files() / "CT_small.dcm");
  ASSERT_EQ(found.entries.size(), 1u);
  EXPECT_EQ(file_count(found.entries.front()), 1u);
}

TEST(Discovery, TextFileListsFilesRelativeToItsFolder) {
  TempDir tmp;
  make_series(tmp / "in", {"--names", "ordered", "--tag", "l"});
  {
    std::ofstream list(tmp / "series.txt");
    list << "# the first five slices\n";
    for (int i = 0; i < 5; ++i) list << "in/l00" << i << ".dcm\n";
    list << "\nin/not_there.dcm\n";
  }
  const auto found = Reader(Json{{"min_slices", 1}}).discover(tmp / "series.txt");
  ASSERT_EQ(found.entries.size(), 1u);
  EXPECT_EQ(file_count(found.entries.front()), 5u);
  EXPECT_TRUE(found.noted("not_there.dcm"));
}

TEST(Discovery, DicomdirListsTheCtSeriesItReferences) {
  const fs::path dicomdir = pydicom_files() / "dicomdirtests/DICOMDIR";
  const auto ct = Reader(Json{{"min_slices", 1}}).discover(dicomdir);
  // CT5N (5 axial slices) and CT2 (4); CT2N holds only localizers.
  ASSERT_EQ(ct.entries.size(), 2u) << ::testing::PrintToString(ct.notes);
  std::multiset<std::size_t> counts;
  for (const auto& e : ct.entries) counts.insert(file_count(e));
  EXPECT_EQ(counts, (std::multiset<std::size_t>{4, 5}));
  EXPECT_TRUE(ct.noted("LOCALIZER"));

  const auto any = Reader(Json{{"min_slices", 1}, {"modality", "any"}, {"require_original_primary", false}}).discover(dicomdir);
  EXPECT_GT(any.entries.size(), ct.entries.size());
}

TEST(Discovery, DicomdirFindsItsFilesAfterACopyLowerCasedTheirNames) {
  // CD media hold upper-case file IDs; some copy tools write them lower case.
  TempDir tmp;
  const fs::path source = pydicom_files() / "dicomdirtests";
  for (const auto& entry : fs::recursive_directory_iterator(source)) {
    if (!entry.is_regular_file()) continue;
    std::string relative = fs::relative(entry.path(), source).string();
    if (entry.path().filename() != "DICOMDIR")
      std::transform(relative.begin(), relative.end(), relative.begin(), [](unsigned char c) { return char(std::tolower(c)); });
    fs::create_directories((tmp / relative).parent_path());
    fs::copy_file(entry.path(), tmp / relative);
  }
  ASSERT_TRUE(fs::exists(tmp / "77654033/ct2"));
  const auto ct = Reader(Json{{"min_slices", 1}}).discover(tmp / "DICOMDIR");
  ASSERT_EQ(ct.entries.size(), 2u) << ::testing::PrintToString(ct.notes);
  EXPECT_FALSE(ct.noted("no such file")) << ::testing::PrintToString(ct.notes);
}

TEST(Discovery, DirectoryHoldingADicomdirIsScannedNotTheDicomdir) {
  const auto found = Reader(Json{{"min_slices", 1}}).discover(pydicom_files() / "dicomdirtests");
  EXPECT_EQ(found.entries.size(), 2u);
  EXPECT_TRUE(found.noted("skipped DICOMDIR"));
}

TEST(Discovery, SelectionByModalityImageTypeAndSliceCount) {
  TempDir tmp;
  make_series(tmp / "in", {"--tag", "ct", "--series-number", "1"});
  make_series(tmp / "in", {"--tag", "mr", "--series-number", "2", "--modality", "MR"});
  make_series(tmp / "in", {"--tag", "derived", "--series-number", "3", "--image-type", "DERIVED\\SECONDARY\\AXIAL"});
  make_series(tmp / "in", {"--tag", "short", "--series-number", "4", "--slices", "5"});
  // Each series is a study of its own: the DERIVED one is its study's only series.
  const auto found = Reader().discover(tmp / "in");
  ASSERT_EQ(found.entries.size(), 2u);
  EXPECT_EQ(found.entries[0].attributes.at("SeriesNumber"), "1");
  EXPECT_EQ(found.entries[1].attributes.at("SeriesNumber"), "3");
  EXPECT_TRUE(found.noted("Modality MR is not CT"));
  EXPECT_TRUE(found.noted("fewer than min_slices"));

  const auto original = Reader(Json{{"require_original_primary", true}}).discover(tmp / "in");
  ASSERT_EQ(original.entries.size(), 1u);
  EXPECT_EQ(original.entries.front().attributes.at("SeriesNumber"), "1");
  EXPECT_TRUE(original.noted("no image of ImageType ORIGINAL\\PRIMARY"));

  const auto all = Reader(Json{{"modality", "any"}, {"require_original_primary", false}, {"min_slices", 5}}).discover(tmp / "in");
  EXPECT_EQ(all.entries.size(), 4u);
}

TEST(Discovery, LargestSeriesPerStudy) {
  TempDir tmp;
  make_series(tmp / "in", {"--tag", "thick", "--study-tag", "s", "--series-number", "1", "--slices", "12"});
  make_series(tmp / "in", {"--tag", "thin", "--study-tag", "s", "--series-number", "2", "--slices", "20"});
  make_series(tmp / "in", {"--tag", "other", "--study-tag", "t", "--series-number", "3", "--slices", "11"});
  const auto all = Reader().discover(tmp / "in");
  EXPECT_EQ(all.entries.size(), 3u);
  const auto largest = Reader(Json{{"series", "largest"}}).discover(tmp / "in");
  ASSERT_EQ(largest.entries.size(), 2u);
  std::set<std::string> numbers;
  for (const auto& e : largest.entries) numbers.insert(e.attributes.at("SeriesNumber").get<std::string>());
  EXPECT_EQ(numbers, (std::set<std::string>{"2", "3"}));
}
