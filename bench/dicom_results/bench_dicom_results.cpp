// Writing a full-size score map as a DICOM Parametric Map in each encoding
// (float32 / uint16 pixels, explicit / deflated transfer syntax) and as a
// binary Segmentation: the cost the DICOM writers add to every study.
//
// The map is what mask_map hands the writers on the grid of a typical CT
// series (512 x 512 x 200 at 0.7 x 0.7 x 1.25 mm): the map's minimum outside
// an elliptic body, inside a smooth field (a few slow waves and Gaussian hot
// spots, as the aggregator's Gaussian blending and regrid make it). With
// SCREENER_BENCH_MAP=score.nii.gz it is that file instead (a run's real map,
// see pmap_encodings.sh). Each iteration encodes and writes the file
// (written atomically, like the stage). The zlib levels 1 and 9 run beside
// 6, DCMTK's default, which is what the writer uses.
#include <benchmark/benchmark.h>
#include <dcmtk/config/osconfig.h>
#include <dcmtk/dcmdata/dcostrmz.h>

#include <cmath>
#include <cstdlib>
#include <filesystem>

#include "dicom_results.h"
#include "itk_images.h"

using namespace screener;

namespace {

constexpr int64_t nx = 512, ny = 512, nz = 200;

Volume read_map(const std::filesystem::path& file) {
  using Image = itk::Image<float, 3>;
  const auto image = itk_support::read_image<Image>(file, itk_support::read_image_information(file));
  Volume map;
  map.geometry = itk_support::geometry_of(*image);
  const auto& n = map.geometry.size;
  map.voxels = Tensor::zeros({n[0], n[1], n[2]}, DType::float32);
  itk_support::from_itk_order(image->GetBufferPointer(), map.voxels.data<float>(), n, [](float v) { return v; });
  return map;
}

struct Fixture {
  Volume map;
  Study study;
  std::filesystem::path dir = std::filesystem::temp_directory_path() / "bench_dicom_results";
  Fixture() {
    if (const char* file = std::getenv("SCREENER_BENCH_MAP")) map = read_map(file);
    else synthetic_map();
    const int64_t frames = map.geometry.size[2];
    study.id = "bench";
    study.attributes = {{"StudyInstanceUID", "1.2.3"}, {"SeriesInstanceUID", "1.2.3.4"},
                        {"FrameOfReferenceUID", "1.2.3.5"}, {"PatientID", "P"}, {"Modality", "CT"}};
    Json instances = Json::array();
    for (int64_t k = 0; k < frames; ++k) {
      const Vec3 p = map.geometry.index_to_physical({0, 0, double(k)});
      instances.push_back({{"SOPClassUID", "1.2.840.10008.5.1.4.1.1.2"},
                           {"SOPInstanceUID", "1.2.3.4." + std::to_string(k)},
                           {"FramePositions", Json::array({Json(p)})}});
    }
    study.attributes["ReferencedInstances"] = instances;
  }
  ~Fixture() { std::filesystem::remove_all(dir); }

  void synthetic_map() {
    map.geometry.size = {nx, ny, nz};
    map.geometry.spacing = {0.7, 0.7, 1.25};
    map.voxels = Tensor::zeros({nx, ny, nz}, DType::float32);
    float* v = map.voxels.data<float>();
    const double spots[3][4] = {{180, 260, 80, 12}, {330, 200, 120, 6}, {260, 330, 40, 20}};  // x, y, z, sigma (voxels)
    for (int64_t i = 0; i < nx; ++i)
      for (int64_t j = 0; j < ny; ++j) {
        const double ex = (double(i) - 256) / 215, ey = (double(j) - 256) / 165;
        const bool body = ex * ex + ey * ey <= 1;
        for (int64_t k = 0; k < nz; ++k) {
          double s = -2.0;  // the map's minimum: outside the body
          if (body) {
            s = 0.4 * std::sin(double(i) / 37.0) * std::cos(double(j) / 53.0) + 0.3 * std::sin(double(k) / 23.0 + 1.0);
            for (const auto& p : spots) {
              const double d2 = (i - p[0]) * (i - p[0]) + (j - p[1]) * (j - p[1]) + (k - p[2]) * (k - p[2]);
              s += 3.0 * std::exp(-d2 / (2 * p[3] * p[3]));
            }
          }
          v[(i * ny + j) * nz + k] = float(s);
        }
      }
  }
};

const Fixture& fixture() {
  static const Fixture f;
  return f;
}

void counters(benchmark::State& state, std::size_t bytes) {
  state.counters["MB"] = double(bytes) / 1e6;
  state.counters["Mvoxel/s"] =
      benchmark::Counter(double(fixture().map.voxels.numel()) / 1e6, benchmark::Counter::kIsIterationInvariantRate);
}

// range(0): 0 float32, 1 uint16; range(1): 0 explicit, 1 deflated; range(2): zlib level.
void ParametricMap(benchmark::State& state) {
  const auto& f = fixture();
  dicom_results::ParametricMapOptions options;
  options.pixels = state.range(0) ? dicom_results::MapPixels::uint16 : dicom_results::MapPixels::float32;
  options.deflate = state.range(1) != 0;
  dcmZlibCompressionLevel.set(int(state.range(2)));
  std::size_t bytes = 0;
  for (auto _ : state) {
    const auto encoded = dicom_results::encode_parametric_map(f.map, f.study, options);
    bytes = std::filesystem::file_size(dicom_results::write_object(encoded, f.dir, f.study, "pmap"));
  }
  dcmZlibCompressionLevel.set(6);
  counters(state, bytes);
}

void Segmentation(benchmark::State& state) {
  const auto& f = fixture();
  dicom_results::SegmentationOptions options;
  options.threshold = dicom_results::percentile_above_minimum(f.map, 99.5);  // what the pipelines segment
  std::size_t bytes = 0;
  for (auto _ : state) {
    const auto encoded = dicom_results::encode_segmentation(f.map, f.study, options);
    bytes = std::filesystem::file_size(dicom_results::write_object(encoded, f.dir, f.study, "seg"));
  }
  counters(state, bytes);
}

}  // namespace

BENCHMARK(ParametricMap)
    ->ArgNames({"uint16", "deflate", "level"})
    ->Args({0, 0, 6})
    ->Args({0, 1, 6})
    ->Args({1, 0, 6})
    ->Args({1, 1, 6})
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();
BENCHMARK(ParametricMap)
    ->Name("ParametricMapDeflateLevels")
    ->ArgNames({"uint16", "deflate", "level"})
    ->Args({0, 1, 1})
    ->Args({0, 1, 9})
    ->Args({1, 1, 1})
    ->Args({1, 1, 9})
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();
BENCHMARK(Segmentation)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK_MAIN();
