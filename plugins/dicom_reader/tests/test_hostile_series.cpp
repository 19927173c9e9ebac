// Broken and hostile headers: each fails its own series with an error naming
// the file and the problem, before anything is computed or allocated from it;
// nothing reaches an abort() in a library.
#include <gtest/gtest.h>

#include "attribute_checks.h"
#include "dicom_test_data.h"
#include "series_loading.h"

using namespace dicom_test;
using namespace screener;

namespace {
std::string error_of(const std::vector<std::string>& args, Json params = Json::object()) {
  TempDir tmp;
  make_series(tmp / "in", args);
  return load_error(tmp / "in", std::move(params));
}
}  // namespace

TEST(HostileGeometry, NonFiniteOrAbsurdGeometryFailsTheSeriesNamingTheAttribute) {
  EXPECT_CONTAINS(error_of({"--set", "PixelSpacing=nan\\\\nan"}), "PixelSpacing nan\\nan is not positive, finite");
  EXPECT_CONTAINS(error_of({"--set", "PixelSpacing=inf\\\\0.7"}), "PixelSpacing inf\\0.7 is not positive, finite");
  EXPECT_CONTAINS(error_of({"--set", "PixelSpacing=-0.7\\\\0.7"}), "PixelSpacing -0.7\\0.7 is not positive");
  EXPECT_CONTAINS(error_of({"--set", "PixelSpacing=1e300\\\\0.7"}), "at most 1000 mm");
  EXPECT_CONTAINS(error_of({"--set-slice", "3", "ImagePositionPatient=0\\\\0\\\\nan"}),
                  "ImagePositionPatient 0\\0\\nan is not finite");
  EXPECT_CONTAINS(error_of({"--set-slice", "3", "ImagePositionPatient=1e200\\\\0\\\\0"}), "is not finite or beyond");
  EXPECT_CONTAINS(error_of({"--set", "ImageOrientationPatient=1\\\\0\\\\0\\\\0\\\\nan\\\\0"}),
                  "ImageOrientationPatient 1\\0\\0\\0\\nan\\0 is not finite");
  EXPECT_CONTAINS(error_of({"--set-slice", "5", "SliceThickness=nan"}), "SliceThickness is not finite");
  EXPECT_CONTAINS(error_of({"--set", "SpacingBetweenSlices=-inf"}), "SpacingBetweenSlices is not finite");
  EXPECT_CONTAINS(error_of({"--set-slice", "2", "RescaleSlope=nan"}), "RescaleSlope/RescaleIntercept is not finite");
  // Each names the file.
  EXPECT_CONTAINS(error_of({"--set", "PixelSpacing=nan\\\\nan"}), ".dcm'");
}

TEST(HostilePixels, PixelAttributesThatDoNotDescribeThePixelsFailTheSeries) {
  EXPECT_CONTAINS(error_of({"--set", "PixelRepresentation=7"}), "PixelRepresentation 7 is neither 0");
  EXPECT_CONTAINS(error_of({"--pixel-data-factor", "2"}), "pixel data holds 57344 bytes, 28672 expected");
  EXPECT_CONTAINS(error_of({"--set-slice", "4", "BitsStored=17"}), "inconsistent BitsStored 17");
}

TEST(HostilePixels, AStrayOtherModalitySliceIsLeftOutByNameAndReported) {
  TempDir tmp;
  make_series(tmp / "in", {});
  // One PT image filed under the CT series' UIDs.
  make_series(tmp / "in" / "pt", {"--slices", "1", "--modality", "PT"});
  Reader reader;
  const auto found = reader.discover(tmp / "in");
  ASSERT_EQ(found.entries.size(), 1u) << ::testing::PrintToString(found.notes);
  EXPECT_EQ(found.entries.front().locator.at("files").size(), 12u);
  std::vector<std::string> warnings;
  const auto volume = reader.load(found.entries.front(), &warnings);
  EXPECT_EQ(volume->geometry.size[2], 12);
  ASSERT_EQ(warnings.size(), 1u);
  EXPECT_CONTAINS(warnings.front(), "left out 1 file(s) of another modality than CT: '" +
                                        (tmp / "in" / "pt" / "a000.dcm").string() + "' (PT)");
}

TEST(HostileIdentity, ValuesBreakingTheirVrRefuseTheSeriesWithAClearError) {
  struct Case {
    std::string assignment, expected;
  };
  for (const Case& c : {Case{"StudyInstanceUID=../..", "StudyInstanceUID '../..': not a DICOM UID"},
                        Case{"SeriesInstanceUID=1.2/../3", "SeriesInstanceUID '1.2/../3': not a DICOM UID"},
                        Case{"StudyDate=2026/../x", "StudyDate '2026/../x': not a DICOM date (DA: YYYYMMDD)"},
                        Case{"StudyTime=12\\x0a00", "StudyTime '12\\x0A00': not a DICOM time"},
                        Case{"StudyDescription=a\\x01b", "StudyDescription 'a\\x01b': holds control characters (LO)"},
                        Case{"PatientID={10000*A}", "(10000 bytes)': longer than 64 characters (LO)"},
                        Case{"FrameOfReferenceUID={70*1}", "longer than 64 characters (UI)"},
                        Case{"Modality=C/T", "Modality"},
                        Case{"SeriesNumber=2/..", "SeriesNumber '2/..': not a DICOM integer string (IS)"}}) {
    SCOPED_TRACE(c.assignment);
    TempDir tmp;
    make_series(tmp / "in", {"--set", c.assignment});
    // Modality=C/T is not CT; read every modality so that the refusal shows.
    Reader reader(Json{{"modality", "any"}});
    const auto found = reader.discover(tmp / "in");
    ASSERT_EQ(found.entries.size(), 1u) << ::testing::PrintToString(found.notes);
    const auto& e = found.entries.front();
    EXPECT_EQ(e.id.find('/'), std::string::npos);
    EXPECT_LE(e.id.size(), 128u);
    // None of the refused values goes further than the error.
    EXPECT_FALSE(e.attributes.contains("StudyInstanceUID"));
    try {
      reader.load(e);
      ADD_FAILURE() << "loaded";
    } catch (const InputError& error) {
      const std::string message = error.what();
      EXPECT_CONTAINS(message, "series " + e.id + ": refused: '");
      EXPECT_CONTAINS(message, c.expected);
      EXPECT_LT(message.size(), 600u);
    }
  }
}

TEST(HostileIdentity, VrChecksAcceptRealWorldValues) {
  using dicom::vr_problem;
  for (const auto& [vr, value] : std::vector<std::pair<std::string, std::string>>{
           {"UI", "1.2.840.113619.2.55.3.604688119.868.1234567890.123"},
           {"DA", "20260131"},
           {"DA", "2026.01.31"},
           {"TM", "235959.123456"},
           {"TM", "10:15:00"},
           {"CS", "CT"},
           {"CS", "ORIGINAL"},
           {"IS", "-12"},
           {"LO", "Thorax/Abdomen ^ contrast (portal venous)"},
           {"PN", "M\u00fcller^J\u00fcrgen=\u5c71\u7530^\u592a\u90ce"},
           {"SH", "ACC-2026-000000000123"},
           {"LO", ""}})
    EXPECT_EQ(vr_problem(vr, value), "") << vr << " " << value;
  EXPECT_NE(vr_problem("UI", "1..2"), "");
  EXPECT_NE(vr_problem("UI", "1.2."), "");
  EXPECT_NE(vr_problem("DA", "2026013"), "");
  EXPECT_NE(vr_problem("CS", "ct"), "");
  EXPECT_NE(vr_problem("LO", "a\\b"), "");
  EXPECT_NE(vr_problem("PN", "a=b=c=d"), "");
}

TEST(ResourceLimits, AHeaderClaimingHugeImagesIsRefusedBeforeAllocating) {
  TempDir tmp;
  make_series(tmp / "in", {"--set", "Rows=65535", "--set", "Columns=65535"});
  Reader reader;
  const auto found = reader.discover(tmp / "in");
  ASSERT_EQ(found.entries.size(), 1u);
  try {
    reader.load(found.entries.front());
    ADD_FAILURE() << "loaded";
  } catch (const InputError& e) {
    EXPECT_CONTAINS(e.what(), "refused: 65535 x 65535 x 12 voxels exceed max_voxels 2147483648 (raise it to read the series)");
  }
}

TEST(ResourceLimits, MaxVoxelsIsConfigurableAndAlsoHoldsAtLoad) {
  TempDir tmp;
  make_series(tmp / "in", {});  // 112 x 128 x 12 = 172032 voxels
  EXPECT_CONTAINS(load_error(tmp / "in", Json{{"max_voxels", 172031}}), "exceed max_voxels 172031");
  EXPECT_EQ(load_error(tmp / "in", Json{{"max_voxels", 172032}}), "");
  // load() itself checks too (a locator made elsewhere, a series grown since).
  std::vector<std::filesystem::path> files;
  for (const auto& f : std::filesystem::directory_iterator(tmp / "in")) files.push_back(f.path());
  dicom::LoadOptions options;
  options.max_voxels = 100000;
  try {
    dicom::load_dicom_series(files, options);
    ADD_FAILURE() << "loaded";
  } catch (const InputError& e) {
    EXPECT_CONTAINS(e.what(), "more than max_voxels 100000 voxels");
  }
}

TEST(ResourceLimits, AFileClaimingBillionsOfFramesIsSkippedAtItsHeader) {
  TempDir tmp;
  make_series(tmp / "in", {"--set-slice", "0", "NumberOfFrames=2000000000"});
  const auto found = Reader().discover(tmp / "in");
  EXPECT_TRUE(found.noted("NumberOfFrames 2000000000 is more than 65536")) << ::testing::PrintToString(found.notes);
}

TEST(HostilePixels, AJpeg2000CodeStreamOfAnotherSizeThanTheAttributesIsRefusedBeforeDecoding) {
  // GDCM would write the decoded image past a buffer sized from Rows x Columns.
  TempDir tmp;
  make_series(tmp / "plain", {"--slices", "10", "--no-padding"});
  std::filesystem::create_directories(tmp / "j2k");
  for (const auto& f : std::filesystem::directory_iterator(tmp / "plain"))
    run("gdcmconv --j2k '" + f.path().string() + "' '" + (tmp / "j2k" / f.path().filename()).string() + "'");
  // Ysiz of one slice's SIZ marker made 32520 (as fuzzing found it).
  run("/usr/bin/python3 -c \"import sys, struct; p = sys.argv[1]; d = bytearray(open(p, 'rb').read()); "
      "i = d.find(b'\\xff\\x4f\\xff\\x51'); d[i + 12:i + 16] = struct.pack('>I', 32520); open(p, 'wb').write(d)\" '" +
      (tmp / "j2k" / "a005.dcm").string() + "'");
  const std::string error = load_error(tmp / "j2k");
  EXPECT_CONTAINS(error, "a005.dcm': the JPEG 2000 code stream is 112 x 32520 pixels of 1 component(s); Columns x Rows "
                         "is 112 x 128");
}
