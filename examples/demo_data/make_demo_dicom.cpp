// Writes synthetic CT studies as real DICOM series (CT Image Storage, one file
// per slice, explicit VR little endian) plus their lesion masks as NIfTI:
//
//   make_demo_dicom OUTPUT_DIR [STUDIES=3] [SEED=0] [LESIONS=4] [SIZE=256,256,96] [SPACING=1.5,1.5,2.5] [--couch]
//                   [--anatpaste N]
//
// OUTPUT_DIR/dicom/<PatientID>/slice-NNN.dcm, OUTPUT_DIR/truth/<PatientID>.lesions.nii.gz and
// OUTPUT_DIR/body/<PatientID>.body.nii.gz (apart, so that a reader given OUTPUT_DIR/dicom sees
// only the CT series, and an evaluation given OUTPUT_DIR/truth only the lesion masks).
#include <CLI/CLI.hpp>
#include <dcmtk/config/osconfig.h>
#include <dcmtk/dcmdata/dctk.h>

#include <cstdio>
#include <filesystem>
#include <sstream>
#include <string>

#include "nifti_io.h"
#include "phantom.h"

namespace fs = std::filesystem;
using namespace screener;

namespace {

std::string uid() {
  char buf[100];
  dcmGenerateUniqueIdentifier(buf, SITE_INSTANCE_UID_ROOT);
  return buf;
}

std::string ds(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.10g", v);  // DS holds 16 characters
  return buf;
}

template <class T, std::size_t N> std::array<T, N> parse_list(const std::string& text, const char* what) {
  std::array<T, N> out{};
  std::stringstream in(text);
  std::string item;
  for (std::size_t i = 0; i < N; ++i) {
    if (!std::getline(in, item, ',')) throw std::runtime_error(std::string(what) + ": expected " + std::to_string(N) + " comma-separated numbers");
    out[i] = T(std::stod(item));
  }
  return out;
}

void check(const OFCondition& c, const std::string& what) {
  if (c.bad()) throw std::runtime_error(what + ": " + c.text());
}

void write_series(const phantom::PhantomCT& ct, const std::string& patient, const fs::path& dir, int index) {
  const auto& g = ct.geometry;
  const std::string study = uid(), series = uid(), frame = uid();
  fs::create_directories(dir);
  const long rows = long(g.size[1]), cols = long(g.size[0]);
  std::vector<Sint16> pixels(std::size_t(rows * cols));
  for (int64_t k = 0; k < g.size[2]; ++k) {
    DcmFileFormat file;
    DcmDataset* d = file.getDataset();
    auto put = [&](const DcmTagKey& tag, const std::string& value) { check(d->putAndInsertString(tag, value.c_str()), "DICOM tag"); };
    put(DCM_SOPClassUID, UID_CTImageStorage);
    put(DCM_SOPInstanceUID, uid());
    put(DCM_StudyInstanceUID, study);
    put(DCM_SeriesInstanceUID, series);
    put(DCM_FrameOfReferenceUID, frame);
    put(DCM_PatientID, patient);
    put(DCM_PatientName, "Demo^" + patient);
    put(DCM_StudyDate, "20260101");
    put(DCM_StudyTime, "120000");
    put(DCM_SeriesDate, "20260101");
    put(DCM_SeriesTime, "120000");
    put(DCM_ContentDate, "20260101");
    put(DCM_ContentTime, "120000");
    put(DCM_PatientBirthDate, "");
    put(DCM_PatientSex, "O");
    put(DCM_ReferringPhysicianName, "");
    put(DCM_PatientPosition, "HFS");
    put(DCM_PositionReferenceIndicator, "");
    put(DCM_KVP, "120");
    put(DCM_AcquisitionNumber, "1");
    put(DCM_BodyPartExamined, "CHEST");
    put(DCM_StudyID, std::to_string(index + 1));
    put(DCM_AccessionNumber, "DEMO" + std::to_string(index + 1));
    put(DCM_Modality, "CT");
    put(DCM_Manufacturer, "Screener synthetic phantom");
    put(DCM_ImageType, "ORIGINAL\\PRIMARY\\AXIAL");
    put(DCM_SeriesNumber, "1");
    put(DCM_SeriesDescription, "Synthetic chest/abdomen CT");
    put(DCM_InstanceNumber, std::to_string(k + 1));
    // Array axis 0 runs along the columns (row direction), axis 1 along the rows.
    const Vec3 p = g.index_to_physical({0, 0, double(k)});
    put(DCM_ImagePositionPatient, ds(p[0]) + "\\" + ds(p[1]) + "\\" + ds(p[2]));
    put(DCM_ImageOrientationPatient, ds(g.direction[0][0]) + "\\" + ds(g.direction[1][0]) + "\\" + ds(g.direction[2][0]) +
                                         "\\" + ds(g.direction[0][1]) + "\\" + ds(g.direction[1][1]) + "\\" +
                                         ds(g.direction[2][1]));
    put(DCM_PixelSpacing, ds(g.spacing[1]) + "\\" + ds(g.spacing[0]));
    put(DCM_SliceThickness, ds(g.spacing[2]));
    put(DCM_RescaleIntercept, "-1024");
    put(DCM_RescaleSlope, "1");
    put(DCM_RescaleType, "HU");
    put(DCM_PhotometricInterpretation, "MONOCHROME2");
    check(d->putAndInsertUint16(DCM_SamplesPerPixel, 1), "SamplesPerPixel");
    check(d->putAndInsertUint16(DCM_Rows, Uint16(rows)), "Rows");
    check(d->putAndInsertUint16(DCM_Columns, Uint16(cols)), "Columns");
    check(d->putAndInsertUint16(DCM_BitsAllocated, 16), "BitsAllocated");
    check(d->putAndInsertUint16(DCM_BitsStored, 16), "BitsStored");
    check(d->putAndInsertUint16(DCM_HighBit, 15), "HighBit");
    check(d->putAndInsertUint16(DCM_PixelRepresentation, 1), "PixelRepresentation");
    // Outside the reconstruction circle: -2048 HU, stored as -1024.
    check(d->putAndInsertSint16(DCM_PixelPaddingValue, -1024), "PixelPaddingValue");
    for (long r = 0; r < rows; ++r)
      for (long c = 0; c < cols; ++c)
        pixels[std::size_t(r * cols + c)] = Sint16(ct.hu[std::size_t((c * rows + r) * g.size[2] + k)] + 1024);
    check(d->putAndInsertUint16Array(DCM_PixelData, reinterpret_cast<const Uint16*>(pixels.data()), unsigned(pixels.size())),
          "PixelData");
    char name[32];
    std::snprintf(name, sizeof name, "slice-%03lld.dcm", static_cast<long long>(k));
    check(file.saveFile((dir / name).c_str(), EXS_LittleEndianExplicit), (dir / name).string());
  }
}

void write_mask(const Geometry& g, const std::vector<uint8_t>& voxels, const fs::path& file) {
  Volume mask;
  mask.geometry = g;
  mask.voxels = Tensor::zeros({g.size[0], g.size[1], g.size[2]}, DType::uint8);
  std::copy(voxels.begin(), voxels.end(), mask.voxels.data<uint8_t>());
  fs::create_directories(file.parent_path());
  nifti::write_volume(mask, file);
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"Synthetic CT studies (phantoms) as DICOM series, with their lesion and body masks", "make_demo_dicom"};
  std::string out_dir, size_text, spacing_text;
  int studies = 3, lesions = 4;
  uint64_t seed = 0;
  bool couch = false;
  double noise_hu = 12, air_hu = -1000, fat_mm = -1;
  bool variety = false;
  int anatpaste = 0;
  app.add_option("output", out_dir, "Output directory: dicom/<PatientID>/, truth/<PatientID>.lesions.nii.gz, body/<PatientID>.body.nii.gz")
      ->required();
  app.add_option("studies", studies, "Number of studies")->capture_default_str()->check(CLI::Range(1, 100000));
  app.add_option("seed", seed, "Seed of the first study (study i uses seed + i)")->capture_default_str();
  app.add_option("lesions", lesions, "Lesions per study")->capture_default_str()->check(CLI::Range(0, 50));
  app.add_option("size", size_text, "Voxels, H,W,S (default 256,256,96)");
  app.add_option("spacing", spacing_text, "Nominal spacing in mm, H,W,S (default 1.5,1.5,2.5)");
  app.add_flag("--couch", couch, "A carbon-fibre table under the patient (not part of the body)");
  app.add_option("--noise", noise_hu, "Scanner noise, standard deviation in HU")->capture_default_str()->check(CLI::Range(0.0, 200.0));
  app.add_option("--air", air_hu, "Air around the patient, HU")->capture_default_str()->check(CLI::Range(-1024.0, -500.0));
  app.add_option("--fat-mm", fat_mm, "Subcutaneous fat, mm (default: about 15 mm, a tenth of the body)")
      ->check(CLI::Range(0.0, 60.0));
  app.add_flag("--variety", variety,
               "Patient-to-patient variety of body outline, fat, skin, soft tissue, noise, air and table (training sets)");
  app.add_option("--anatpaste", anatpaste,
                 "AnatPaste-style anomalies pasted per study (plugins/anatpaste_support); the truth masks hold "
                 "exactly the voxels whose HU they changed, with the lesions")
      ->capture_default_str()
      ->check(CLI::Range(0, 50));
  CLI11_PARSE(app, argc, argv);
  try {
    const fs::path out = out_dir;
    phantom::PhantomOptions o;
    o.lesions = lesions;
    o.couch = couch;
    o.noise_hu = noise_hu;
    o.air_hu = air_hu;
    o.fat_mm = fat_mm;
    o.variety = variety;
    if (!size_text.empty()) o.size = parse_list<int64_t, 3>(size_text, "SIZE");
    if (!spacing_text.empty()) o.spacing = parse_list<double, 3>(spacing_text, "SPACING");
    for (int i = 0; i < studies; ++i) {
      o.seed = seed + uint64_t(i);
      auto ct = phantom::make_phantom(o);
      if (anatpaste > 0) phantom::paste_anomalies(ct, anatpaste, o.seed);
      char patient[32];
      std::snprintf(patient, sizeof patient, "DEMO-%04d", i);
      write_series(ct, patient, out / "dicom" / patient, i);
      write_mask(ct.geometry, ct.lesion_mask, out / "truth" / (std::string(patient) + ".lesions.nii.gz"));
      write_mask(ct.geometry, ct.body_mask, out / "body" / (std::string(patient) + ".body.nii.gz"));
      std::printf("%s: %lld slices, %zu lesions, %d pasted anomalies\n", patient,
                  static_cast<long long>(ct.geometry.size[2]), ct.lesions.size(), anatpaste);
    }
    return 0;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "make_demo_dicom: %s\n", e.what());
    return 1;
  }
}
