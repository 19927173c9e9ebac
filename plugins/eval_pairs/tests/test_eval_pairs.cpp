#include <gtest/gtest.h>

#include <itkImage.h>
#include <itkImageFileReader.h>
#include <itkImageFileWriter.h>
#include <itkMetaImageIO.h>
#include <itkNiftiImageIO.h>
#include <unistd.h>

#include <cmath>
#include <fstream>
#include <map>
#include <random>

#include "dicom_results.h"
#include "nifti_io.h"
#include "npy.h"
#include "temp_dir.h"
#include "screener/screener.h"
#include "seg_reading.h"
#include "truth_matching.h"
#include "volume_reading.h"

extern "C" const ScreenerPluginInfo* screener_plugin_entry();

using namespace screener;
using namespace screener::eval_pairs;
namespace fs = std::filesystem;

namespace {

using screener::test::TempDir;

void touch(const fs::path& p) {
  fs::create_directories(p.parent_path());
  std::ofstream(p) << "x";
}

// An oblique grid (rotated in-plane) with 9×7 = 63 pixels per slice: not a
// multiple of 8, so binary SEG frames do not start on byte boundaries.
Geometry oblique_grid(int64_t slices = 12) {
  Geometry g;
  g.size = {9, 7, slices};
  g.spacing = {0.75, 0.8, 2.5};
  g.origin = {-120.5, 33.25, 410};
  const double c = std::cos(0.3), s = std::sin(0.3);
  g.direction = {{{c, -s, 0}, {s, c, 0}, {0, 0, 1}}};
  return g;
}

Volume float_volume(const Geometry& g, const std::vector<float>& values) {
  Volume v;
  v.geometry = g;
  v.voxels = Tensor::zeros({g.size[0], g.size[1], g.size[2]}, DType::float32);
  std::copy(values.begin(), values.end(), v.voxels.data<float>());
  v.history = {{"", "read", g}};
  return v;
}

std::vector<float> random_mask(const Geometry& g, uint32_t seed, const std::vector<int64_t>& empty_slices = {}) {
  std::mt19937 rng(seed);
  std::bernoulli_distribution on(0.3);
  std::vector<float> m(std::size_t(g.voxel_count()));
  for (auto& v : m) v = on(rng) ? 1.0f : 0.0f;
  for (int64_t k : empty_slices)
    for (int64_t i = 0; i < g.size[0] * g.size[1]; ++i) m[std::size_t(i * g.size[2] + k)] = 0;
  return m;
}

Study dicom_study(const Geometry& g) {
  Study study;
  study.id = "PAT-1_20240102_S3";
  study.attributes = {{"PatientName", "Doe^John"},
                      {"PatientID", "PAT-1"},
                      {"StudyInstanceUID", "1.2.826.0.1.3680043.8.498.1"},
                      {"StudyDate", "20240102"},
                      {"StudyTime", "101500"},
                      {"SeriesInstanceUID", "1.2.826.0.1.3680043.8.498.2"},
                      {"Modality", "CT"},
                      {"FrameOfReferenceUID", "1.2.826.0.1.3680043.8.498.3"}};
  Json instances = Json::array();
  for (int64_t k = 0; k < g.size[2]; ++k)
    instances.push_back({{"SOPClassUID", "1.2.840.10008.5.1.4.1.1.2"},
                         {"SOPInstanceUID", "1.2.826.0.1.3680043.8.498.10." + std::to_string(k)},
                         {"FramePositions", Json::array({Json(g.index_to_physical({0, 0, double(k)}))})}});
  study.attributes["ReferencedInstances"] = instances;
  return study;
}

fs::path write_seg(const fs::path& file, const Geometry& g, const std::vector<float>& mask) {
  const Volume v = float_volume(g, mask);
  dicom_results::SegmentationOptions o;
  o.threshold = 0.5;
  const auto object = dicom_results::encode_segmentation(v, dicom_study(g), o);
  fs::create_directories(file.parent_path());
  std::ofstream(file, std::ios::binary) << object.bytes;
  return file;
}

std::string message_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const std::exception& e) {
    return e.what();
  }
  return "(no error)";
}

class CapturingEmitter final : public Emitter {
 public:
  std::map<std::string, PayloadPtr> emitted;
  void emit(const std::string& port, PayloadPtr p) override { emitted[port] = std::move(p); }
  void emit_item(const std::string& port, PayloadPtr p, int64_t, int64_t) override { emitted[port] = std::move(p); }
  void expand(const std::string&, std::shared_ptr<Expansion>) override {}
  void record_output(const fs::path&) override {}
  void warn(const std::string&) override {}
};

std::unique_ptr<SourceStage> make_source(const fs::path& truth, const std::string& map = "score") {
  StageSpec spec;
  const auto* factory = screener_plugin_entry()->factory;
  factory->setup(spec);
  StageContext ctx;
  ctx.stage_id = "pairs";
  ctx.params = Params(spec.with_defaults({{"truth", truth.string()}, {"map", map}}));
  std::unique_ptr<Stage> stage = factory->create(ctx);
  return std::unique_ptr<SourceStage>(dynamic_cast<SourceStage*>(stage.release()));
}

}  // namespace

TEST(TruthMatching, TheThreeRulesAndTheirAmbiguities) {
  TempDir t;
  const fs::path d = t.path();
  touch(d / "A.nii.gz");                        // rule 1
  touch(d / "B" / "mask.nii.gz");               // rule 2, image
  touch(d / "B" / "notes.txt");                 //   (not a mask file: ignored)
  touch(d / "C" / "seg.dcm");                   // rule 2, SEG
  touch(d / "D" / "one.nii.gz");                // rule 2, two candidates
  touch(d / "D" / "two.dcm");
  fs::create_directories(d / "E");              // rule 2, none
  touch(d / "P01.lesions.nii.gz");              // rule 3
  touch(d / "P01_20240101.mask.nii.gz");        // rule 3, a longer prefix
  touch(d / "Q.nii.gz");                        // rule 1, two candidates
  touch(d / "Q.nrrd");
  touch(d / "R.mask.nii.gz");                   // rule 3, two candidates
  touch(d / "R.lesions.nii.gz");
  touch(d / "Z.nii.gz");
  touch(d / "U.NII.GZ");                        // extension in upper case
  touch(d / "S9.seg.dcm");                      // rule 3, SEG
  touch(d / "F" / "ct-001.dcm");                // rule 2: a series beside its SEG
  touch(d / "F" / "ct-002.dcm");
  const Geometry g = oblique_grid(3);
  write_seg(d / "F" / "seg.dcm", g, random_mask(g, 9));
  const TruthIndex index(d);
  std::string why;
  const auto find = [&](const std::string& s) {
    why.clear();
    return index.find(s, why);
  };
  auto m = find("A");
  ASSERT_TRUE(m) << why;
  EXPECT_EQ(m->path, d / "A.nii.gz");
  EXPECT_EQ(m->rule, 1);
  EXPECT_FALSE(m->segmentation);
  m = find("B");
  ASSERT_TRUE(m) << why;
  EXPECT_EQ(m->path, d / "B" / "mask.nii.gz");
  EXPECT_EQ(m->rule, 2);
  m = find("C");
  ASSERT_TRUE(m) << why;
  EXPECT_TRUE(m->segmentation);
  EXPECT_FALSE(find("D"));
  EXPECT_NE(why.find("several mask files (one.nii.gz, two.dcm)"), std::string::npos) << why;
  EXPECT_FALSE(find("E"));
  EXPECT_NE(why.find("holds no"), std::string::npos) << why;
  m = find("P01_20240102_S1");
  ASSERT_TRUE(m) << why;
  EXPECT_EQ(m->path, d / "P01.lesions.nii.gz");
  EXPECT_EQ(m->rule, 3);
  m = find("P01_20240101_S1");  // the longest prefix wins
  ASSERT_TRUE(m) << why;
  EXPECT_EQ(m->path, d / "P01_20240101.mask.nii.gz");
  m = find("P01");
  ASSERT_TRUE(m) << why;
  EXPECT_EQ(m->path, d / "P01.lesions.nii.gz");
  EXPECT_FALSE(find("Q"));
  EXPECT_NE(why.find("Q.nii.gz, Q.nrrd"), std::string::npos) << why;
  EXPECT_FALSE(find("R_20240101_S1"));
  EXPECT_NE(why.find("R.lesions.nii.gz, R.mask.nii.gz"), std::string::npos) << why;
  EXPECT_FALSE(find("ZZ_1"));  // Z is a prefix, but not up to a '_'
  EXPECT_NE(why.find("no ground-truth mask"), std::string::npos) << why;
  m = find("Z_2_S1");
  ASSERT_TRUE(m) << why;
  EXPECT_EQ(m->path, d / "Z.nii.gz");
  m = find("U");
  ASSERT_TRUE(m) << why;
  EXPECT_EQ(m->path, d / "U.NII.GZ");
  m = find("F");
  ASSERT_TRUE(m) << why;
  EXPECT_EQ(m->path, d / "F" / "seg.dcm");
  EXPECT_TRUE(m->segmentation);
  m = find("S9_x");
  ASSERT_TRUE(m) << why;
  EXPECT_TRUE(m->segmentation);
  EXPECT_THROW(TruthIndex(d / "missing"), Error);
}

TEST(EvalPairsSource, DiscoversStudiesWithMapAndMaskAndNotesTheRest) {
  TempDir t;
  const fs::path maps = t.path() / "maps", truth = t.path() / "truth";
  touch(maps / "P1_20240101_S1" / "score.nii.gz");
  touch(maps / "P2_20240101_S1" / "score.nrrd");
  touch(maps / "P3_20240101_S1" / "score.nii.gz");  // no mask
  touch(maps / "P4_20240101_S1" / "other.nii.gz");  // no map
  touch(maps / "run_summary.json");
  touch(truth / "P1.lesions.nii.gz");
  touch(truth / "P2_20240101_S1" / "seg.dcm");
  touch(truth / "P4.lesions.nii.gz");
  auto source = make_source(truth);
  std::vector<std::string> notes;
  const auto entries = source->discover(maps.string(), [&](const std::string& n) { notes.push_back(n); });
  ASSERT_EQ(entries.size(), 2u);
  EXPECT_EQ(entries[0].id, "P1_20240101_S1");
  EXPECT_EQ(entries[0].locator["truth"], (truth / "P1.lesions.nii.gz").string());
  EXPECT_EQ(entries[0].locator["truth_format"], "image");
  EXPECT_EQ(entries[1].id, "P2_20240101_S1");
  EXPECT_EQ(entries[1].locator["map"], (maps / "P2_20240101_S1" / "score.nrrd").string());
  EXPECT_EQ(entries[1].locator["truth_format"], "dicom-seg");
  ASSERT_EQ(notes.size(), 2u);
  EXPECT_NE(notes[0].find("P3_20240101_S1: no ground-truth mask"), std::string::npos) << notes[0];
  EXPECT_NE(notes[0].find("not counted"), std::string::npos) << notes[0];
  EXPECT_NE(notes[1].find("has no score.nii.gz"), std::string::npos) << notes[1];
  EXPECT_THROW(source->discover((t.path() / "nothing").string(), [](const std::string&) {}), Error);
  EXPECT_THROW(make_source(t.path() / "no-truth")->discover(maps.string(), [](const std::string&) {}), Error);
}

TEST(EvalPairsReading, MapsAndMasksKeepValuesAndGeometry) {
  TempDir t;
  const Geometry g = oblique_grid(5);
  std::vector<float> values(std::size_t(g.voxel_count()));
  for (std::size_t i = 0; i < values.size(); ++i) values[i] = float(i) * 0.37f - 20.0f;
  nifti::write_volume(float_volume(g, values), t.path() / "score.nii.gz");
  const auto map = read_map(t.path() / "score.nii.gz");
  ASSERT_EQ(map->voxels.dtype(), DType::float32);
  EXPECT_TRUE(std::equal(values.begin(), values.end(), map->voxels.data<float>()));
  EXPECT_EQ(map->geometry.size, g.size);
  for (int d = 0; d < 3; ++d) {
    EXPECT_NEAR(map->geometry.spacing[d], g.spacing[d], 1e-5);
    EXPECT_NEAR(map->geometry.origin[d], g.origin[d], 1e-4);
    for (int r = 0; r < 3; ++r) EXPECT_NEAR(map->geometry.direction[r][d], g.direction[r][d], 1e-5);
  }
  // A float mask: nonzero (0.5, -2) is positive.
  std::vector<float> fmask(values.size(), 0.0f);
  fmask[3] = 0.5f, fmask[100] = -2.0f, fmask[200] = 1.0f;
  nifti::write_volume(float_volume(g, fmask), t.path() / "m.nii.gz");
  const auto mask = read_mask(t.path() / "m.nii.gz");
  ASSERT_EQ(mask->voxels.dtype(), DType::uint8);
  const uint8_t* m = mask->voxels.data<uint8_t>();
  for (std::size_t i = 0; i < fmask.size(); ++i) EXPECT_EQ(m[i], fmask[i] != 0.0f ? 1 : 0) << i;
  // An int16 MetaImage mask with values 0 and 3.
  using Image = itk::Image<int16_t, 3>;
  auto image = Image::New();
  Image::RegionType region;
  region.SetSize({{itk::SizeValueType(g.size[0]), itk::SizeValueType(g.size[1]), itk::SizeValueType(g.size[2])}});
  image->SetRegions(region);
  image->Allocate();
  image->FillBuffer(0);
  image->SetPixel({{2, 3, 4}}, 3);
  auto writer = itk::ImageFileWriter<Image>::New();
  writer->SetInput(image);
  writer->SetImageIO(itk::MetaImageIO::New());
  writer->SetFileName((t.path() / "m.mha").string());
  writer->Update();
  const auto mha = read_mask(t.path() / "m.mha");
  const uint8_t* h = mha->voxels.data<uint8_t>();
  EXPECT_EQ(h[(2 * g.size[1] + 3) * g.size[2] + 4], 1);
  EXPECT_EQ(std::count(h, h + mha->voxels.numel(), 1), 1);
  EXPECT_THROW(read_map(t.path() / "missing.nii.gz"), InputError);
  touch(t.path() / "bad.nii.gz");
  EXPECT_THROW(read_mask(t.path() / "bad.nii.gz"), InputError);
}

TEST(EvalPairsReading, NiftiOfEveryTypeReadsAsNibabelAndItkRead) {
  // Streamed NIfTI voxels against nibabel (values, axis order, scaling) and
  // the geometry against ITK's reader of the whole image.
  TempDir t;
  test::run_python(fs::path(PLUGIN_TEST_DIR) / "write_nifti_variants.py", {t.path().string()});
  int files = 0;
  for (const char* name : {"u8.nii.gz", "i8.nii", "i16.nii.gz", "i16_be.nii.gz", "u16.nii.gz", "i32.nii.gz",
                           "f32.nii.gz", "f32_be.nii", "f64.nii.gz", "u8_scaled.nii.gz", "i16_scaled.nii.gz",
                           "2d.nii.gz", "mask_u8.nii.gz"}) {
    const fs::path file = t.path() / name;
    const std::string stem = std::string(name).substr(0, std::string(name).find('.'));
    const auto expected = test::load_npy(t.path() / (stem + ".npy"));
    const auto values = expected.as_double();
    const auto map = read_map(file);
    ASSERT_EQ(map->voxels.numel(), expected.numel()) << name;
    EXPECT_EQ(map->geometry.size[0], expected.shape[0]) << name;
    EXPECT_EQ(map->geometry.size[1], expected.shape[1]) << name;
    EXPECT_EQ(map->geometry.size[2], expected.shape.size() > 2 ? expected.shape[2] : 1) << name;
    const float* m = map->voxels.data<float>();
    int64_t wrong = 0, positives = 0;
    for (std::size_t i = 0; i < values.size(); ++i) wrong += m[i] != float(values[i]);
    EXPECT_EQ(wrong, 0) << name;
    const auto mask = read_mask(file);
    const uint8_t* k = mask->voxels.data<uint8_t>();
    wrong = 0;
    for (std::size_t i = 0; i < values.size(); ++i) {
      wrong += k[i] != (values[i] != 0.0 ? 1 : 0);
      positives += k[i];
    }
    EXPECT_EQ(wrong, 0) << name;
    EXPECT_GT(positives, 0) << name;
    // The grid: as ITK reads it.
    using Image = itk::Image<float, 3>;
    auto reader = itk::ImageFileReader<Image>::New();
    reader->SetImageIO(itk::NiftiImageIO::New());
    reader->SetFileName(file.string());
    reader->Update();
    const Image* image = reader->GetOutput();
    for (unsigned d = 0; d < 3; ++d) {
      EXPECT_EQ(map->geometry.spacing[d], image->GetSpacing()[d]) << name;
      EXPECT_EQ(map->geometry.origin[d], image->GetOrigin()[d]) << name;
      for (unsigned r = 0; r < 3; ++r) EXPECT_EQ(map->geometry.direction[r][d], image->GetDirection()[r][d]) << name;
    }
    EXPECT_TRUE(mask->geometry == map->geometry) << name;
    ++files;
  }
  EXPECT_EQ(files, 13);
  // Truncated data: a clear error naming the file.
  std::ifstream in(t.path() / "f32_be.nii", std::ios::binary);
  std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::ofstream(t.path() / "short.nii", std::ios::binary) << bytes.substr(0, bytes.size() - 100);
  const std::string e = message_of([&] { read_map(t.path() / "short.nii"); });
  EXPECT_NE(e.find("short.nii"), std::string::npos) << e;
}

TEST(EvalPairsSeg, BinarySegmentationReadsBackOntoTheGrid) {
  TempDir t;
  const Geometry g = oblique_grid(12);
  const auto mask = random_mask(g, 3, {2, 7});  // two empty slices: their frames are left out
  const fs::path file = write_seg(t.path() / "seg.dcm", g, mask);
  EXPECT_TRUE(is_segmentation_file(file));
  const auto v = read_seg_mask(file, g);
  ASSERT_EQ(v->voxels.dtype(), DType::uint8);
  const uint8_t* m = v->voxels.data<uint8_t>();
  int64_t wrong = 0;
  for (std::size_t i = 0; i < mask.size(); ++i) wrong += (m[i] != 0) != (mask[i] != 0);
  EXPECT_EQ(wrong, 0);
  EXPECT_GT(std::count(m, m + v->voxels.numel(), 1), 100);
  EXPECT_TRUE(v->geometry == g);
}

TEST(EvalPairsSeg, FramesGoToTheNearestSliceOfTheMapsGrid) {
  // The SEG covers slices 0..5 of a grid; the map's grid starts 2 slices
  // later, 0.3 slice further (nearest: SEG slice k -> map slice k - 2), and
  // has 8 slices.
  TempDir t;
  const Geometry seg_grid = oblique_grid(6);
  const auto mask = random_mask(seg_grid, 4);
  const fs::path file = write_seg(t.path() / "seg.dcm", seg_grid, mask);
  Geometry map_grid = oblique_grid(8);
  map_grid.origin = seg_grid.index_to_physical({0, 0, 2.3});
  const std::string outside = message_of([&] { read_seg_mask(file, map_grid); });
  EXPECT_NE(outside.find("outside the map's 0..7"), std::string::npos) << outside;  // SEG slices 0, 1
  // Without its first two slices the SEG fits.
  auto trimmed = mask;
  for (int64_t i = 0; i < 63; ++i) trimmed[std::size_t(i * 6)] = trimmed[std::size_t(i * 6 + 1)] = 0;
  const fs::path file2 = write_seg(t.path() / "seg2.dcm", seg_grid, trimmed);
  const auto v = read_seg_mask(file2, map_grid);
  const uint8_t* m = v->voxels.data<uint8_t>();
  int64_t wrong = 0;
  for (int64_t i = 0; i < 63; ++i)
    for (int64_t k = 0; k < 8; ++k) {
      const int64_t sk = k + 2;  // SEG slice for map slice k
      const bool want = sk < 6 && trimmed[std::size_t(i * 6 + sk)] != 0;
      wrong += (m[i * 8 + k] != 0) != want;
    }
  EXPECT_EQ(wrong, 0);
}

TEST(EvalPairsSeg, ForeignInPlaneGeometryIsRefusedNamingTheFile) {
  TempDir t;
  const Geometry g = oblique_grid(4);
  const fs::path file = write_seg(t.path() / "seg.dcm", g, random_mask(g, 5));
  Geometry other = g;
  other.size = {9, 8, 4};
  std::string e = message_of([&] { read_seg_mask(file, other); });
  EXPECT_NE(e.find("7 rows × 9 columns"), std::string::npos) << e;
  EXPECT_NE(e.find(file.string()), std::string::npos) << e;
  other = g;
  other.spacing[0] = 0.8;
  e = message_of([&] { read_seg_mask(file, other); });
  EXPECT_NE(e.find("PixelSpacing"), std::string::npos) << e;
  other = g;
  other.origin = g.index_to_physical({0.5, 0, 0});
  e = message_of([&] { read_seg_mask(file, other); });
  EXPECT_NE(e.find("off the map's in-plane origin"), std::string::npos) << e;
  other = g;
  other.direction = {{{1, 0, 0}, {0, 1, 0}, {0, 0, 1}}};
  e = message_of([&] { read_seg_mask(file, other); });
  EXPECT_NE(e.find("ImageOrientationPatient"), std::string::npos) << e;
  touch(t.path() / "not-seg.dcm");
  EXPECT_THROW(read_seg_mask(t.path() / "not-seg.dcm", g), InputError);
  EXPECT_FALSE(is_segmentation_file(t.path() / "not-seg.dcm"));
}

TEST(EvalPairsSource, LoadEmitsMapAndMaskOrFailsTheStudyNamingBothFiles) {
  TempDir t;
  const fs::path maps = t.path() / "maps", truth = t.path() / "truth";
  const Geometry g = oblique_grid(6);
  const auto mask = random_mask(g, 6);
  std::vector<float> score(mask.size());
  for (std::size_t i = 0; i < score.size(); ++i) score[i] = float(i % 11) + mask[i];
  for (const char* s : {"good_1", "seg_1", "bad_1"}) {
    fs::create_directories(maps / s);
    nifti::write_volume(float_volume(g, score), maps / s / "score.nii.gz");
  }
  fs::create_directories(truth);
  nifti::write_volume(float_volume(g, mask), truth / "good.lesions.nii.gz");
  write_seg(truth / "seg_1" / "mask.dcm", g, mask);
  Geometry coarse = g;
  coarse.spacing[2] = 3.0;
  nifti::write_volume(float_volume(coarse, mask), truth / "bad_1.nii.gz");
  auto source = make_source(truth);
  const auto entries = source->discover(maps.string(), [](const std::string&) {});
  ASSERT_EQ(entries.size(), 3u);
  for (const auto& e : entries) {
    if (e.id == "bad_1") {
      CapturingEmitter out;
      const std::string error = message_of([&] { source->load(e, out); });
      EXPECT_NE(error.find("study bad_1"), std::string::npos) << error;
      EXPECT_NE(error.find("spacings differ"), std::string::npos) << error;
      EXPECT_NE(error.find((maps / "bad_1" / "score.nii.gz").string()), std::string::npos) << error;
      EXPECT_NE(error.find((truth / "bad_1.nii.gz").string()), std::string::npos) << error;
      EXPECT_TRUE(out.emitted.empty());
      continue;
    }
    CapturingEmitter out;
    source->load(e, out);
    ASSERT_EQ(out.emitted.size(), 2u) << e.id;
    const auto& m = payload_as<Volume>(out.emitted["map"]);
    const auto& k = payload_as<Volume>(out.emitted["truth"]);
    EXPECT_EQ(m.voxels.dtype(), DType::float32);
    EXPECT_TRUE(std::equal(score.begin(), score.end(), m.voxels.data<float>())) << e.id;
    const uint8_t* kv = k.voxels.data<uint8_t>();
    int64_t wrong = 0;
    for (std::size_t i = 0; i < mask.size(); ++i) wrong += (kv[i] != 0) != (mask[i] != 0);
    EXPECT_EQ(wrong, 0) << e.id;
  }
}
