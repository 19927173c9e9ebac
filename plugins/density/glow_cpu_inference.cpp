#include "glow_cpu_inference.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>
#include <utility>

namespace screener::density {

namespace {

const double kHalfLog2Pi = 0.5 * std::log(2.0 * M_PI);

void check_size(const std::vector<float>& v, std::size_t n, const char* what) {
  if (v.size() != n)
    throw std::invalid_argument(std::string("GlowCpuInference: ") + what + " has " + std::to_string(v.size()) +
                                " values, expected " + std::to_string(n));
}

// x2 ← (x2 + t)·σ(s + 2) for one row, returning Σ log σ(s + 2). One exp per
// element and one log per row: the σ multiply in float64 (flushed into the
// sum before the product could underflow; each factor is > e^-40).
double couple(const float* s_logit, const float* shift, float* x2, int64_t half) {
  double sum = 0, product = 1;
  for (int64_t j = 0; j < half; ++j) {
    const float s = s_logit[j] + 2.0f;
    const double e = std::exp(-double(std::abs(s)));
    const double sigma = (s >= 0 ? 1.0 : e) / (1.0 + e);
    x2[j] = (x2[j] + shift[j]) * float(sigma);
    if (s < -40.0f) {  // log σ(s) = s − log1p(e^s) = s in float64; σ itself may underflow
      sum += double(s);
      continue;
    }
    product *= sigma;
    if (product < 1e-280) sum += std::log(product), product = 1;
  }
  return sum + std::log(product);
}

}  // namespace

GlowCpuInference::GlowCpuInference(const std::vector<GlowBlockWeights>& blocks, int64_t D, int64_t Dc, int64_t H,
                                   const packed_gemm::Kernel& kernel)
    : kernel_(kernel), D_(D), Dc_(Dc), H_(H) {
  const int64_t half = D / 2;
  const auto n = [](int64_t a) { return std::size_t(a); };
  for (const GlowBlockWeights& w : blocks) {
    check_size(w.loc, n(D), "loc");
    check_size(w.log_scale, n(D), "log_scale");
    check_size(w.invconv, n(D * D), "invconv");
    check_size(w.net0_weight, n(H * (half + Dc)), "net0 weight");
    check_size(w.net2_weight, n(H * H), "net2 weight");
    check_size(w.net4_weight, n(D * H), "net4 weight");
    Block b;
    logdet_constant_ += w.invconv_logdet;
    if (Dc > 0) {
      check_size(w.cond_weight, n(2 * D * Dc), "actnorm condition weight");
      std::vector<float> bias = w.cond_bias;
      check_size(bias, n(2 * D), "actnorm condition bias");
      for (int64_t j = 0; j < D; ++j) bias[n(j)] += w.loc[n(j)], bias[n(D + j)] += w.log_scale[n(j)];
      b.actnorm_cond = pack(w.cond_weight, bias, 2 * D, Dc);
      b.invconv = pack(w.invconv, std::vector<float>(n(D), 0.0f), D, D);
    } else {
      // W·((x + loc)·e^s) = (W·diag(e^s))·x + W·(e^s ⊙ loc)
      std::vector<float> folded(n(D * D)), bias(n(D));
      for (int64_t r = 0; r < D; ++r) {
        double shift = 0;
        for (int64_t k = 0; k < D; ++k) {
          const double wk = double(w.invconv[n(r * D + k)]) * std::exp(double(w.log_scale[n(k)]));
          folded[n(r * D + k)] = float(wk);
          shift += wk * double(w.loc[n(k)]);
        }
        bias[n(r)] = float(shift);
      }
      b.invconv = pack(folded, bias, D, D);
      for (float s : w.log_scale) logdet_constant_ += double(s);
    }
    b.net0 = pack(w.net0_weight, w.net0_bias, H, half + Dc);
    b.net2 = pack(w.net2_weight, w.net2_bias, H, H);
    b.net4 = pack(w.net4_weight, w.net4_bias, D, H);
    blocks_.push_back(std::move(b));
  }
}

GlowCpuInference::Layer GlowCpuInference::pack(const std::vector<float>& weight, const std::vector<float>& bias,
                                               int64_t N, int64_t K) const {
  check_size(bias, std::size_t(N), "bias");
  Layer l;
  l.K = K, l.N = N, l.padded_N = packed_gemm::padded(N, kernel_);
  l.packed.resize(std::size_t(l.padded_N * K));
  kernel_.pack(weight.data(), N, K, l.packed.data());
  l.bias.assign(std::size_t(l.padded_N), 0.0f);
  std::copy(bias.begin(), bias.end(), l.bias.begin());
  return l;
}

void GlowCpuInference::gemm(const float* A, int64_t lda, int64_t M, const Layer& layer, bool relu, float* C,
                            const Layer* then) const {
  kernel_.gemm(A, lda, M, layer.K, layer.packed.data(), layer.padded_N, layer.bias.data(), relu, C, layer.padded_N,
               then ? then->packed.data() : nullptr, then ? int64_t(then->packed.size()) : 0);
}

void GlowCpuInference::nll(const float* y, const float* c, int64_t rows, float* out) const {
  const int64_t D = D_, half = D / 2, Dc = Dc_;
  const int64_t Dx = packed_gemm::padded(D, kernel_), Hp = packed_gemm::padded(H_, kernel_);
  const int64_t Hc = packed_gemm::padded(2 * D, kernel_), U = half + Dc;
  const int64_t M = std::min(kChunkRows, rows);
  std::vector<float> x(std::size_t(M * Dx)), xa(x.size()), t(x.size()), h1(std::size_t(M * Hp)), h2(h1.size());
  std::vector<float> hc(Dc > 0 ? std::size_t(M * Hc) : 0), u(Dc > 0 ? std::size_t(M * U) : 0);
  std::vector<double> logdet(static_cast<std::size_t>(M));
  for (int64_t r0 = 0; r0 < rows; r0 += M) {
    const int64_t m = std::min(M, rows - r0);
    for (int64_t i = 0; i < m; ++i) {
      std::copy(y + (r0 + i) * D, y + (r0 + i + 1) * D, x.data() + i * Dx);
      if (Dc > 0) std::copy(c + (r0 + i) * Dc, c + (r0 + i + 1) * Dc, u.data() + i * U + half);
    }
    std::fill(logdet.begin(), logdet.end(), 0.0);
    for (std::size_t k = 0; k < blocks_.size(); ++k) {
      const Block& b = blocks_[k];
      const Layer* next_block = k + 1 < blocks_.size() ? (Dc > 0 ? &blocks_[k + 1].actnorm_cond : &blocks_[k + 1].invconv)
                                                       : nullptr;
      if (Dc > 0) {
        gemm(c + r0 * Dc, Dc, m, b.actnorm_cond, false, hc.data(), &b.invconv);
        for (int64_t i = 0; i < m; ++i) {
          const float* h = hc.data() + i * Hc;
          float* xi = x.data() + i * Dx;
          double sum = 0;
          for (int64_t j = 0; j < D; ++j) xi[j] = (xi[j] + h[j]) * std::exp(h[D + j]), sum += h[D + j];
          logdet[std::size_t(i)] += sum;
        }
      }
      gemm(x.data(), Dx, m, b.invconv, false, xa.data(), &b.net0);
      std::swap(x, xa);
      if (Dc > 0) {
        for (int64_t i = 0; i < m; ++i) std::copy(x.data() + i * Dx, x.data() + i * Dx + half, u.data() + i * U);
        gemm(u.data(), U, m, b.net0, true, h1.data(), &b.net2);
      } else {
        gemm(x.data(), Dx, m, b.net0, true, h1.data(), &b.net2);
      }
      gemm(h1.data(), Hp, m, b.net2, true, h2.data(), &b.net4);
      gemm(h2.data(), Hp, m, b.net4, false, t.data(), next_block);
      for (int64_t i = 0; i < m; ++i) {
        const float* ti = t.data() + i * Dx;
        logdet[std::size_t(i)] += couple(ti, ti + half, x.data() + i * Dx + half, half);
      }
    }
    for (int64_t i = 0; i < m; ++i) {
      const float* xi = x.data() + i * Dx;
      double z2 = 0;
      for (int64_t j = 0; j < D; ++j) z2 += double(xi[j]) * xi[j];
      out[r0 + i] = float(0.5 * z2 + double(D) * kHalfLog2Pi - logdet_constant_ - logdet[std::size_t(i)]);
    }
  }
}

}  // namespace screener::density
