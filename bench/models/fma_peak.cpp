// The fp32 peak of one core, measured: independent chains of fused
// multiply-adds on the widest vector registers the build targets (AVX-512,
// else AVX2+FMA, else scalar). The fraction of peak in docs/performance.md
// is a model's GFLOP per CPU-second divided by this figure.
//
//   fma_peak [SECONDS]   prints one JSON line: GFLOP/s on one thread
#include <chrono>
#include <cstdio>
#include <cstdlib>

#include <immintrin.h>

namespace {

// More independent accumulators than FMA latency × FMA ports (4 × 2) so the
// pipes never wait on a result.
constexpr int kChains = 12;
constexpr long kStepsPerRound = 1 << 20;

#if defined(__AVX512F__)
constexpr int kLanes = 16;
const char* kIsa = "avx512";
float run_round(float seed) {
  __m512 acc[kChains];
  for (int i = 0; i < kChains; ++i) acc[i] = _mm512_set1_ps(seed + float(i));
  const __m512 a = _mm512_set1_ps(0.999999f), b = _mm512_set1_ps(1e-7f);
  for (long s = 0; s < kStepsPerRound; ++s)
#pragma GCC unroll 16  // the accumulators must live in registers
    for (int i = 0; i < kChains; ++i) acc[i] = _mm512_fmadd_ps(acc[i], a, b);
  __m512 sum = acc[0];
  for (int i = 1; i < kChains; ++i) sum = _mm512_add_ps(sum, acc[i]);
  return _mm512_reduce_add_ps(sum);
}
#elif defined(__AVX2__) && defined(__FMA__)
constexpr int kLanes = 8;
const char* kIsa = "avx2";
float run_round(float seed) {
  __m256 acc[kChains];
  for (int i = 0; i < kChains; ++i) acc[i] = _mm256_set1_ps(seed + float(i));
  const __m256 a = _mm256_set1_ps(0.999999f), b = _mm256_set1_ps(1e-7f);
  for (long s = 0; s < kStepsPerRound; ++s)
#pragma GCC unroll 16  // the accumulators must live in registers
    for (int i = 0; i < kChains; ++i) acc[i] = _mm256_fmadd_ps(acc[i], a, b);
  __m256 sum = acc[0];
  for (int i = 1; i < kChains; ++i) sum = _mm256_add_ps(sum, acc[i]);
  alignas(32) float lanes[8];
  _mm256_store_ps(lanes, sum);
  float total = 0;
  for (float v : lanes) total += v;
  return total;
}
#else
constexpr int kLanes = 1;
const char* kIsa = "scalar";
float run_round(float seed) {
  float acc[kChains];
  for (int i = 0; i < kChains; ++i) acc[i] = seed + float(i);
  for (long s = 0; s < kStepsPerRound; ++s)
#pragma GCC unroll 16  // the accumulators must live in registers
    for (int i = 0; i < kChains; ++i) acc[i] = acc[i] * 0.999999f + 1e-7f;
  float total = 0;
  for (float v : acc) total += v;
  return total;
}
#endif

double cpu_seconds() {
  timespec t{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
  return double(t.tv_sec) + 1e-9 * double(t.tv_nsec);
}

}  // namespace

int main(int argc, char** argv) {
  const double seconds = argc > 1 ? std::atof(argv[1]) : 2.0;
  run_round(1.0f);  // warm-up: clocks and frequency licence settle
  const auto t0 = std::chrono::steady_clock::now();
  const double c0 = cpu_seconds();
  long rounds = 0;
  float sink = 0;
  while (cpu_seconds() - c0 < seconds) sink += run_round(float(rounds++));
  const double cpu = cpu_seconds() - c0;
  const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  const double flops = 2.0 * kLanes * kChains * double(kStepsPerRound) * double(rounds);
  std::printf("{\"isa\": \"%s\", \"gflop_per_cpu_second\": %.1f, \"gflop_per_wall_second\": %.1f, \"cpu_seconds\": %.2f, \"sink\": %g}\n",
              kIsa, flops / cpu / 1e9, flops / wall / 1e9, cpu, double(sink));
  return 0;
}
