// Every transfer syntax decodes to the same HU as the uncompressed series
// (lossless ones voxel-identical). The variants are made at test time with the
// DCMTK and GDCM command line tools from a generated series.
#include <gtest/gtest.h>

#include <cmath>

#include "dicom_header.h"
#include "dicom_test_data.h"

using namespace dicom_test;
using namespace screener;

namespace {

const Json kAnySingleImage = {{"min_slices", 1}, {"modality", "any"}, {"require_original_primary", false}};

struct Variant {
  const char* name;
  const char* command;  // {in} and {out} are replaced by the file paths
  const char* transfer_syntax;
};

// Converts every file of `series` into `out` with `command`.
void convert(const fs::path& series, const fs::path& out, const std::string& command) {
  fs::create_directories(out);
  for (const auto& entry : fs::directory_iterator(series)) {
    std::string c = command;
    c.replace(c.find("{in}"), 4, "'" + entry.path().string() + "'");
    c.replace(c.find("{out}"), 5, "'" + (out / entry.path().filename()).string() + "'");
    run(c);
  }
}

std::string transfer_syntax_of(const fs::path& dir) {
  return dicom::read_dicom_header(fs::directory_iterator(dir)->path()).transfer_syntax;
}

class LosslessTransferSyntax : public ::testing::TestWithParam<Variant> {};

}  // namespace

TEST_P(LosslessTransferSyntax, DecodesVoxelIdenticalToTheUncompressedSeries) {
  const Variant& v = GetParam();
  TempDir tmp;
  make_series(tmp / "plain", {"--slices", "10", "--vary-intercept", "--pad-corner"});
  convert(tmp / "plain", tmp / v.name, v.command);
  ASSERT_EQ(transfer_syntax_of(tmp / v.name), v.transfer_syntax);

  const auto plain = Reader().read_single(tmp / "plain");
  const auto variant = Reader().read_single(tmp / v.name);
  expect_same_geometry(variant->geometry, plain->geometry, 1e-9);
  EXPECT_EQ(variant->voxels.dtype(), plain->voxels.dtype());
  EXPECT_EQ(values_of(*variant), values_of(*plain));
  expect_same_voxels(*plain, pydicom_oracle({tmp / "plain"}));
}

INSTANTIATE_TEST_SUITE_P(
    DcmtkAndGdcm, LosslessTransferSyntax,
    ::testing::Values(Variant{"implicit_le", "dcmconv +ti {in} {out}", "1.2.840.10008.1.2"},
                      Variant{"explicit_be", "dcmconv +tb {in} {out}", "1.2.840.10008.1.2.2"},
                      Variant{"deflated", "dcmconv +td {in} {out}", "1.2.840.10008.1.2.1.99"},
                      Variant{"rle", "dcmcrle {in} {out}", "1.2.840.10008.1.2.5"},
                      Variant{"jpeg_lossless_sv1", "dcmcjpeg +e1 {in} {out}", "1.2.840.10008.1.2.4.70"},
                      Variant{"jpeg_lossless", "dcmcjpeg +el {in} {out}", "1.2.840.10008.1.2.4.57"},
                      Variant{"jpeg_ls_lossless", "dcmcjpls +el {in} {out}", "1.2.840.10008.1.2.4.80"},
                      Variant{"jpeg2000_lossless", "gdcmconv --j2k {in} {out}", "1.2.840.10008.1.2.4.90"}),
    [](const ::testing::TestParamInfo<Variant>& info) { return std::string(info.param.name); });

TEST(LossyTransferSyntax, JpegExtendedOf12BitSeriesIsCloseToTheOriginal) {
  TempDir tmp;
  make_series(tmp / "plain", {"--slices", "10", "--bits-stored", "12", "--no-padding"});
  convert(tmp / "plain", tmp / "extended", "dcmcjpeg +ee {in} {out}");
  ASSERT_EQ(transfer_syntax_of(tmp / "extended"), "1.2.840.10008.1.2.4.51");
  const auto plain = values_of(*Reader().read_single(tmp / "plain"));
  // DCMTK marks lossy compressed images DERIVED: read as the study's only
  // series, with a warning; never with require_original_primary.
  EXPECT_EQ(Reader(Json{{"require_original_primary", true}}).discover(tmp / "extended").entries.size(), 0u);
  const auto found = Reader().discover(tmp / "extended");
  ASSERT_EQ(found.entries.size(), 1u);
  EXPECT_CONTAINS(found.entries.front().locator.at("warnings").dump(), "read although of ImageType DERIVED");
  const auto lossy = values_of(*Reader().load(found.entries.front()));
  ASSERT_EQ(lossy.size(), plain.size());
  double total = 0;
  for (std::size_t i = 0; i < plain.size(); ++i) total += std::abs(lossy[i] - plain[i]);
  EXPECT_LT(total / double(plain.size()), 20.0);  // HU; the image spans about 2000
  EXPECT_NE(lossy, plain);                         // it really went through the lossy codec
}

TEST(LossyTransferSyntax, JpegBaselineOf8BitSeriesIsCloseToTheOriginal) {
  TempDir tmp;
  make_series(tmp / "plain", {"--slices", "10", "--eight-bit", "--no-padding"});
  convert(tmp / "plain", tmp / "baseline", "dcmcjpeg +eb {in} {out}");
  ASSERT_EQ(transfer_syntax_of(tmp / "baseline"), "1.2.840.10008.1.2.4.50");
  const Json any_type{{"require_original_primary", false}};
  const auto plain = values_of(*Reader().read_single(tmp / "plain"));
  const auto lossy = values_of(*Reader(any_type).read_single(tmp / "baseline"));
  ASSERT_EQ(lossy.size(), plain.size());
  double total = 0;
  for (std::size_t i = 0; i < plain.size(); ++i) total += std::abs(lossy[i] - plain[i]);
  EXPECT_LT(total / double(plain.size()), 4.0);  // HU; the 8-bit image spans 255
  EXPECT_NE(lossy, plain);                        // it really went through the lossy codec
}

TEST(LossyTransferSyntax, RealJpeg2000CtSliceMatchesItsGdcmDecompression) {
  // 693_J2KI.dcm: a real 512x512 CT slice, JPEG 2000 irreversible, whose code
  // stream holds more bits than its BitsStored (14) says.
  TempDir tmp;
  run("gdcmconv --raw '" + (pydicom_files() / "693_J2KI.dcm").string() + "' '" + (tmp / "raw.dcm").string() + "'");
  const auto volume = Reader(Json{{"min_slices", 1}, {"require_original_primary", false}})
                          .read_single(pydicom_files() / "693_J2KI.dcm");
  const auto expected = pydicom_oracle({tmp / "raw.dcm"});
  expect_same_geometry(volume->geometry, expected.geometry);
  expect_same_voxels(*volume, expected);
}

TEST(RealTransferSyntaxVariants, MrSmallEncodingsDecodeIdentically) {
  // pydicom ships MR_small.dcm in several encodings made by DCMTK and GDCM.
  const auto reference = Reader(kAnySingleImage).read_single(pydicom_files() / "MR_small.dcm");
  expect_same_voxels(*reference, pydicom_oracle({pydicom_files() / "MR_small.dcm"}));
  for (const char* name : {"MR_small_implicit.dcm", "MR_small_bigendian.dcm", "MR_small_expb.dcm",
                           "MR_small_RLE.dcm", "MR_small_jpeg_ls_lossless.dcm", "MR_small_jp2klossless.dcm"}) {
    SCOPED_TRACE(name);
    const auto variant = Reader(kAnySingleImage).read_single(pydicom_files() / name);
    expect_same_geometry(variant->geometry, reference->geometry, 1e-9);
    EXPECT_EQ(values_of(*variant), values_of(*reference));
  }
}
