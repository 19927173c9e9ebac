// Encoding a full-size score map (512 x 512 x 300, the grid of a typical CT
// series) as a DICOM Parametric Map and as a binary Segmentation: the cost
// the DICOM writers add to every study.
#include <benchmark/benchmark.h>

#include <cmath>

#include "dicom_results.h"

using namespace screener;

namespace {

struct Fixture {
  Volume map;
  Study study;
  Fixture() {
    map.geometry.size = {512, 512, 300};
    map.geometry.spacing = {0.7, 0.7, 1.0};
    map.voxels = Tensor::zeros({512, 512, 300}, DType::float32);
    float* v = map.voxels.data<float>();
    for (int64_t i = 0; i < map.voxels.numel(); ++i) v[i] = float(std::sin(double(i) * 1e-3));
    study.id = "bench";
    study.attributes = {{"StudyInstanceUID", "1.2.3"}, {"SeriesInstanceUID", "1.2.3.4"},
                        {"FrameOfReferenceUID", "1.2.3.5"}, {"PatientID", "P"}, {"Modality", "CT"}};
    Json instances = Json::array();
    for (int k = 0; k < 300; ++k)
      instances.push_back({{"SOPClassUID", "1.2.840.10008.5.1.4.1.1.2"},
                           {"SOPInstanceUID", "1.2.3.4." + std::to_string(k)},
                           {"FramePositions", Json::array({Json::array({0.0, 0.0, double(k)})})}});
    study.attributes["ReferencedInstances"] = instances;
  }
};

const Fixture& fixture() {
  static const Fixture f;
  return f;
}

void ParametricMap(benchmark::State& state) {
  const auto& f = fixture();
  std::size_t bytes = 0;
  for (auto _ : state) bytes = dicom_results::encode_parametric_map(f.map, f.study, {}).bytes.size();
  state.counters["MB"] = double(bytes) / 1e6;
  state.counters["Mvoxel/s"] = benchmark::Counter(double(f.map.voxels.numel()) / 1e6, benchmark::Counter::kIsIterationInvariantRate);
}

void Segmentation(benchmark::State& state) {
  const auto& f = fixture();
  dicom_results::SegmentationOptions options;
  options.threshold = 0.99;  // about 4.5 % of the voxels, in every frame
  std::size_t bytes = 0;
  for (auto _ : state) bytes = dicom_results::encode_segmentation(f.map, f.study, options).bytes.size();
  state.counters["MB"] = double(bytes) / 1e6;
  state.counters["Mvoxel/s"] = benchmark::Counter(double(f.map.voxels.numel()) / 1e6, benchmark::Counter::kIsIterationInvariantRate);
}

}  // namespace

BENCHMARK(ParametricMap)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(Segmentation)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK_MAIN();
