// Speed and memory of the metric accumulation on full-size maps:
//   eval_bench [STUDIES=3] [H=512 W=512 S=300] [SUBSAMPLE=0] [body|noise]
// "body" (default): the map's minimum outside a body ellipse, N(2, 1) inside;
// "noise": N(0, 1) everywhere (scores over many powers of two: the largest
// histogram, the most cache misses).
// Prints per study the seconds and voxels/s of add_study, then the peak
// resident memory of the process (VmHWM) and the histogram's size.
#include <array>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <random>
#include <string>
#include <vector>

#include "metrics.h"

using namespace screener::eval;

namespace {

long peak_rss_kb() {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line))
    if (line.rfind("VmHWM:", 0) == 0) return std::atol(line.c_str() + 6);
  return -1;
}

}  // namespace

int main(int argc, char** argv) {
  const int studies = argc > 1 ? std::atoi(argv[1]) : 3;
  const Shape3 shape{argc > 2 ? std::atoll(argv[2]) : 512, argc > 3 ? std::atoll(argv[3]) : 512,
                     argc > 4 ? std::atoll(argv[4]) : 300};
  MetricsOptions o;
  o.subsample = argc > 5 ? std::atoll(argv[5]) : 0;
  const bool noise_only = argc > 6 && std::string(argv[6]) == "noise";
  const int64_t n = shape[0] * shape[1] * shape[2];
  std::vector<float> map(std::size_t(n), 0.0f);
  std::vector<uint8_t> mask(std::size_t(n), 0);
  MetricsAccumulator acc(o);
  std::mt19937 rng(1);
  std::normal_distribution<float> noise(0.0f, 1.0f);
  std::uniform_real_distribution<double> unit(0.0, 1.0);
  std::printf("%d studies of %lldx%lldx%lld (%.1f M voxels), subsample %lld; before: peak RSS %.0f MB\n", studies,
              (long long)shape[0], (long long)shape[1], (long long)shape[2], n / 1e6, (long long)o.subsample,
              peak_rss_kb() / 1024.0);
  for (int s = 0; s < studies; ++s) {
    // A map like a real one: the minimum outside a body ellipse, noise inside,
    // raised in a few lesions (the mask's regions).
    std::fill(mask.begin(), mask.end(), 0);
    std::vector<std::array<double, 4>> balls;
    for (int b = 0; b < 12; ++b)
      balls.push_back({shape[0] * (0.3 + 0.4 * unit(rng)), shape[1] * (0.3 + 0.4 * unit(rng)),
                       shape[2] * (0.1 + 0.8 * unit(rng)), 2 + 14 * unit(rng)});
    for (int64_t a = 0; a < shape[0]; ++a)
      for (int64_t b = 0; b < shape[1]; ++b) {
        const double x = (a - shape[0] / 2.0) / (0.45 * shape[0]), y = (b - shape[1] / 2.0) / (0.35 * shape[1]);
        const bool body = noise_only || x * x + y * y <= 1;
        for (int64_t c = 0; c < shape[2]; ++c) {
          const std::size_t i = std::size_t((a * shape[1] + b) * shape[2] + c);
          bool lesion = false;
          for (const auto& ball : balls) {
            const double da = a - ball[0], db = b - ball[1], dc = (c - ball[2]) * 2;
            lesion |= da * da + db * db + dc * dc <= ball[3] * ball[3];
          }
          mask[i] = lesion;
          map[i] = body ? (noise_only ? 0.0f : 2.0f) + noise(rng) + (lesion ? 1.5f : 0.0f) : -1.0f;
        }
      }
    const auto t0 = std::chrono::steady_clock::now();
    const StudyNumbers numbers = acc.add_study("study-" + std::to_string(s), map.data(), mask.data(), shape);
    const double sec = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    std::printf("study %d: %lld positives in %lld regions; add_study %.3f s = %.1f M voxels/s\n", s,
                (long long)numbers.positives, (long long)numbers.regions, sec, n / sec / 1e6);
  }
  const auto t0 = std::chrono::steady_clock::now();
  const MetricsResult r = acc.result();
  const double sec = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  std::printf("result %.3f s: AUROC %.4f AUROC@0.3 %.4f AUPRO@0.3 %.4f AP %.4f, %llu thresholds\n", sec, *r.auroc,
              *r.auroc_max_fpr, *r.aupro_max_fpr, *r.average_precision, (unsigned long long)r.thresholds);
  std::printf("histogram %.1f MB; peak RSS %.0f MB (the test volumes alone: %.0f MB)\n", r.histogram_bytes / 1048576.0,
              peak_rss_kb() / 1024.0, n * 5.0 / 1048576.0);
  return 0;
}
