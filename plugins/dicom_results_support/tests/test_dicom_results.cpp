#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>

#include "dicom_results.h"
#include "npy.h"
#include "temp_dir.h"
#include "screener/files.h"

using namespace screener;
namespace fs = std::filesystem;

namespace {

// An oblique grid (rotated in plane and tilted) with a score pattern that
// differs in every voxel, and a study that says it came from a DICOM series
// whose slices lie on that grid.
Volume oblique_map() {
  Volume v;
  auto& g = v.geometry;
  g.size = {9, 7, 5};
  g.spacing = {0.75, 0.8, 2.5};
  g.origin = {-120.5, 33.25, 410};
  const double c = std::cos(0.3), s = std::sin(0.3);
  g.direction = {{{c, -s, 0}, {s, c, 0}, {0, 0, 1}}};
  v.voxels = Tensor::zeros({9, 7, 5}, DType::float32);
  float* p = v.voxels.data<float>();
  for (int i = 0; i < 9 * 7 * 5; ++i) p[i] = float(i % 17) * 0.25f - 1.5f;
  return v;
}

Study dicom_study(const Volume& v, int slices = 5) {
  Study study;
  study.id = "PAT-1_20240102_S3";
  study.attributes = {{"format", "dicom"},
                      {"PatientName", "Doe^Jöhn"},
                      {"PatientID", "PAT-1"},
                      {"PatientBirthDate", "19700101"},
                      {"PatientSex", "O"},
                      {"StudyInstanceUID", "1.2.826.0.1.3680043.8.498.1"},
                      {"StudyDate", "20240102"},
                      {"StudyTime", "101500"},
                      {"StudyID", "77"},
                      {"AccessionNumber", "ACC9"},
                      {"ReferringPhysicianName", "Ref^Doc"},
                      {"StudyDescription", "CT chest"},
                      {"SeriesInstanceUID", "1.2.826.0.1.3680043.8.498.2"},
                      {"SeriesNumber", "3"},
                      {"Modality", "CT"},
                      {"FrameOfReferenceUID", "1.2.826.0.1.3680043.8.498.3"}};
  Json instances = Json::array();
  for (int k = 0; k < slices; ++k) {
    const Vec3 p = v.geometry.index_to_physical({0, 0, double(k)});
    instances.push_back({{"SOPClassUID", "1.2.840.10008.5.1.4.1.1.2"},
                         {"SOPInstanceUID", "1.2.826.0.1.3680043.8.498.10." + std::to_string(k)},
                         {"FramePositions", Json::array({Json(p)})}});
  }
  study.attributes["ReferencedInstances"] = instances;
  return study;
}

using screener::test::TempDir;

// dciodvfy (dicom3tools) prints "Error - ..." for every violation of the IOD.
std::string dciodvfy_errors(const fs::path& file) {
  const std::string command = "dciodvfy '" + file.string() + "' 2>&1";
  std::string out, errors;
  FILE* pipe = ::popen(command.c_str(), "r");
  if (!pipe) throw std::runtime_error("cannot run dciodvfy");
  char line[4096];
  while (std::fgets(line, sizeof line, pipe)) {
    out += line;
    if (std::string(line).rfind("Error", 0) == 0) errors += line;
  }
  if (::pclose(pipe) == -1 || out.empty()) throw std::runtime_error("dciodvfy did not run: " + out);
  return errors;
}

constexpr const char* explicit_little_endian = "1.2.840.10008.1.2.1";
constexpr const char* deflated_explicit_little_endian = "1.2.840.10008.1.2.1.99";

// dciodvfy's errors for an encoded object. Debian's dciodvfy cannot read
// Deflate, so a deflated object is inflated first (Python's zlib, not DCMTK).
std::string validate(const fs::path& dir, const dicom_results::EncodedObject& object) {
  const fs::path file = dir / "validated.dcm";
  write_file_atomic(file, object.bytes);
  if (object.transfer_syntax_uid != deflated_explicit_little_endian) return dciodvfy_errors(file);
  test::run_python(PLUGIN_TEST_DIR "/inflate.py", {file.string(), (dir / "inflated.dcm").string()});
  return dciodvfy_errors(dir / "inflated.dcm");
}

struct PmapEncoding {
  dicom_results::MapPixels pixels;
  bool deflate;
};

std::string pixels_name(dicom_results::MapPixels pixels) {
  return pixels == dicom_results::MapPixels::float32 ? "float32" : "uint16";
}

// Writes what the oracle needs: the object, the expected map and geometry.
// `pixels` and `precision`: how a Parametric Map stores its values, and how
// far its real-world values may be from the map.
void check_with_pydicom(const fs::path& dir, const dicom_results::EncodedObject& object, const Volume& map,
                        const Study& study, const std::string& kind, double threshold,
                        const std::string& transfer_syntax = explicit_little_endian,
                        const std::string& pixels = "float32", double precision = 0) {
  write_file_atomic(dir / "object.dcm", object.bytes);
  test::save_npy(dir / "map.npy", map.voxels.data<float>(), {9, 7, 5});
  const auto& g = map.geometry;
  Json expected = {{"kind", kind},
                   {"threshold", threshold},
                   {"transfer_syntax", transfer_syntax},
                   {"pixels", pixels},
                   {"precision", precision},
                   {"spacing", g.spacing},
                   {"origin", g.origin},
                   {"direction", g.direction},
                   {"study", study.attributes},
                   {"sop_instance_uid", object.sop_instance_uid},
                   {"series_instance_uid", object.series_instance_uid}};
  std::ofstream(dir / "expected.json") << expected.dump();
  test::run_python(PLUGIN_TEST_DIR "/pydicom_oracle.py",
                   {(dir / "object.dcm").string(), (dir / "map.npy").string(), (dir / "expected.json").string()});
}

}  // namespace

class ParametricMapEncoding : public ::testing::TestWithParam<PmapEncoding> {};

TEST_P(ParametricMapEncoding, ValidIodWhoseValuesAndGeometryPydicomReadsBack) {
  TempDir dir;
  const Volume map = oblique_map();
  const Study study = dicom_study(map);
  dicom_results::ParametricMapOptions options;
  options.series.series_description = "Screener anomaly score";
  options.pixels = GetParam().pixels;
  options.deflate = GetParam().deflate;
  const auto pm = dicom_results::encode_parametric_map(map, study, options);
  EXPECT_EQ(pm.sop_class_uid, "1.2.840.10008.5.1.4.1.1.30");
  const std::string syntax = GetParam().deflate ? deflated_explicit_little_endian : explicit_little_endian;
  EXPECT_EQ(pm.transfer_syntax_uid, syntax);
  EXPECT_EQ(validate(dir.path(), pm), "");
  // Float pixels are the map's values exactly; 16-bit ones within half a
  // step of 65535 over the map's range (-1.5 to 2.5 here).
  const float* v = map.voxels.data<float>();
  const auto [low, high] = std::minmax_element(v, v + map.voxels.numel());
  const double precision =
      options.pixels == dicom_results::MapPixels::float32 ? 0.0 : (double(*high) - *low) / 65535 / 2 * (1 + 1e-9);
  check_with_pydicom(dir.path(), pm, map, study, "pmap", 0, syntax, pixels_name(options.pixels), precision);
}

INSTANTIATE_TEST_SUITE_P(DicomResults, ParametricMapEncoding,
                         ::testing::Values(PmapEncoding{dicom_results::MapPixels::float32, false},
                                           PmapEncoding{dicom_results::MapPixels::float32, true},
                                           PmapEncoding{dicom_results::MapPixels::uint16, false},
                                           PmapEncoding{dicom_results::MapPixels::uint16, true}),
                         [](const auto& info) {
                           return pixels_name(info.param.pixels) + (info.param.deflate ? "_deflated" : "_explicit");
                         });

TEST(ParametricMap, AFlatMapIsStoredWithoutDividingByZero) {
  TempDir dir;
  Volume map = oblique_map();
  std::fill(map.voxels.data<float>(), map.voxels.data<float>() + map.voxels.numel(), 3.25f);
  const Study study = dicom_study(map);
  dicom_results::ParametricMapOptions options;
  options.pixels = dicom_results::MapPixels::uint16;
  options.deflate = true;
  const auto pm = dicom_results::encode_parametric_map(map, study, options);
  EXPECT_EQ(validate(dir.path(), pm), "");
  check_with_pydicom(dir.path(), pm, map, study, "pmap", 0, deflated_explicit_little_endian, "uint16", 0);
}

TEST(ParametricMap, ANonFiniteValueIsRefusedNamingTheStudy) {
  Volume map = oblique_map();
  map.voxels.data<float>()[40] = std::nanf("");
  const Study study = dicom_study(map);
  try {
    dicom_results::encode_parametric_map(map, study, {});
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("PAT-1_20240102_S3"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("non-finite"), std::string::npos) << e.what();
  }
}

TEST(Segmentation, ValidIodWithTheThresholdedVoxelsAndOnlyNonEmptyFrames) {
  TempDir dir;
  Volume map = oblique_map();
  float* p = map.voxels.data<float>();
  for (int i = 0; i < 9 * 7 * 5; ++i)
    if (i % 5 == 2) p[i] = -1.5f;  // slice 2 below the threshold everywhere: its frame is left out
  const Study study = dicom_study(map);
  dicom_results::SegmentationOptions options;
  options.threshold = 1.75;
  options.series.series_description = "Screener anomalies";
  const auto seg = dicom_results::encode_segmentation(map, study, options);
  EXPECT_EQ(seg.sop_class_uid, "1.2.840.10008.5.1.4.1.1.66.4");
  write_file_atomic(dir.path() / "seg.dcm", seg.bytes);
  EXPECT_EQ(dciodvfy_errors(dir.path() / "seg.dcm"), "");
  check_with_pydicom(dir.path(), seg, map, study, "seg", options.threshold);
}

TEST(Segmentation, AnEmptyResultStillHasOneFrame) {
  TempDir dir;
  const Volume map = oblique_map();
  const Study study = dicom_study(map);
  dicom_results::SegmentationOptions options;
  options.threshold = 1e9;
  const auto seg = dicom_results::encode_segmentation(map, study, options);
  write_file_atomic(dir.path() / "seg.dcm", seg.bytes);
  EXPECT_EQ(dciodvfy_errors(dir.path() / "seg.dcm"), "");
  check_with_pydicom(dir.path(), seg, map, study, "seg", options.threshold);
}

TEST(DicomResults, ANonDicomStudyIsRefusedByName) {
  const Volume map = oblique_map();
  Study phantom;
  phantom.id = "phantom-0003";
  try {
    dicom_results::encode_parametric_map(map, phantom, {});
    FAIL() << "expected an error";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("phantom-0003"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("not read from a DICOM series"), std::string::npos) << e.what();
  }
}

TEST(DicomResults, FramesBetweenTheSourceSlicesDeriveFromTheSlicesTheyCover) {
  TempDir dir;
  Volume map = oblique_map();
  const Study study = dicom_study(map);
  // Frames 1 mm off the source slices and 5 mm apart (the source's are 2.5):
  // each covers its neighbours within 2.5 mm, the last only its nearest.
  map.geometry.origin[2] += 1.0;
  map.geometry.spacing[2] = 5.0;
  const auto pm = dicom_results::encode_parametric_map(map, study, {});
  write_file_atomic(dir.path() / "pm.dcm", pm.bytes);
  EXPECT_EQ(dciodvfy_errors(dir.path() / "pm.dcm"), "");
  check_with_pydicom(dir.path(), pm, map, study, "pmap", 0);
}

TEST(DicomResults, PercentileAboveTheMinimumIsNumpys) {
  TempDir dir;
  Volume map = oblique_map();
  float* p = map.voxels.data<float>();
  uint32_t state = 12345;
  for (int i = 0; i < 9 * 7 * 5; ++i) {
    state = state * 1664525u + 1013904223u;
    p[i] = i % 4 == 0 ? -7.0f : float(state >> 8) / float(1 << 24);  // a quarter "outside the body"
  }
  test::save_npy(dir.path() / "map.npy", p, {9, 7, 5});
  for (double q : {0.0, 12.5, 50.0, 99.5, 100.0}) {
    char ours[64];
    std::snprintf(ours, sizeof ours, "%.9g", dicom_results::percentile_above_minimum(map, q));
    test::run_python(PLUGIN_TEST_DIR "/percentile_oracle.py", {(dir.path() / "map.npy").string(), std::to_string(q), ours});
  }
  Volume flat = oblique_map();
  std::fill(flat.voxels.data<float>(), flat.voxels.data<float>() + flat.voxels.numel(), 2.0f);
  EXPECT_GT(dicom_results::percentile_above_minimum(flat, 50), 2.0);
}
