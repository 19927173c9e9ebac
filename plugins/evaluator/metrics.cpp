#include "metrics.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <numeric>
#include <set>
#include <stdexcept>

namespace screener::eval {

namespace {

[[noreturn]] void fail(const std::string& message) { throw std::runtime_error(message); }

// ----------------------------------------------------------------- hashing
uint64_t splitmix64(uint64_t x) {
  x += 0x9E3779B97F4A7C15ull;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
  return x ^ (x >> 31);
}

uint64_t fnv1a(const std::string& text) {
  uint64_t h = 0xCBF29CE484222325ull;
  for (unsigned char c : text) h = (h ^ c) * 0x100000001B3ull;
  return h;
}

// A small, fully specified generator (std:: distributions differ between
// standard libraries; the draw must not).
class Rng {
 public:
  explicit Rng(uint64_t seed) : state_(seed) {}
  uint64_t next() { return splitmix64(state_++); }
  double unit() { return double(next() >> 11) * 0x1.0p-53; }  // [0, 1)

 private:
  uint64_t state_;
};

// Knuth's selection sampling (Algorithm S): visits `n` candidates in order
// and keeps each with probability (still needed)/(still to come), which draws
// a uniform subset of exactly min(k, n) without replacement.
class Selection {
 public:
  Selection(uint64_t seed, int64_t n, int64_t k) : rng_(seed), remaining_(n), needed_(std::min(n, k)) {}
  bool take() {
    const bool keep = needed_ > 0 && double(remaining_) * rng_.unit() < double(needed_);
    --remaining_;
    needed_ -= keep;
    return keep;
  }

 private:
  Rng rng_;
  int64_t remaining_, needed_;
};

// --------------------------------------------------------------- union-find
class DisjointSets {
 public:
  explicit DisjointSets(std::size_t n) : parent_(n) { std::iota(parent_.begin(), parent_.end(), uint32_t(0)); }
  uint32_t find(uint32_t x) {
    while (parent_[x] != x) {
      parent_[x] = parent_[parent_[x]];
      x = parent_[x];
    }
    return x;
  }
  void unite(uint32_t a, uint32_t b) {
    a = find(a), b = find(b);
    if (a == b) return;
    if (a < b) parent_[b] = a;
    else parent_[a] = b;
  }

 private:
  std::vector<uint32_t> parent_;
};

// First index >= c in [c, end) where mask is nonzero (or end), skipping zero
// words 8 bytes at a time.
inline int64_t next_positive(const uint8_t* row, int64_t c, int64_t end) {
  while (c < end && (c & 7)) {
    if (row[c]) return c;
    ++c;
  }
  while (c + 8 <= end) {
    uint64_t word;
    std::memcpy(&word, row + c, 8);
    if (word) break;
    c += 8;
  }
  while (c < end && !row[c]) ++c;
  return c;
}

}  // namespace

// ---------------------------------------------------------------- score keys
uint32_t score_key(float score) {
  if (score == 0.0f) score = 0.0f;  // -0 -> +0
  uint32_t u;
  std::memcpy(&u, &score, 4);
  return (u & 0x80000000u) ? ~u : (u | 0x80000000u);
}

float key_score(uint32_t key) {
  const uint32_t u = (key & 0x80000000u) ? (key & 0x7FFFFFFFu) : ~key;
  float f;
  std::memcpy(&f, &u, 4);
  return f;
}

float bin_floor(uint32_t bin) {
  // The bin of -inf also spans the keys of negative NaNs (never counted).
  const float f = key_score(bin << kBinShift);
  return std::isnan(f) ? -std::numeric_limits<float>::infinity() : f;
}

// ------------------------------------------------------ connected components
Components connected_components(const uint8_t* mask, const Shape3& shape, Connectivity connectivity) {
  const int64_t n0 = shape[0], n1 = shape[1], n2 = shape[2];
  Components out;
  if (n0 <= 0 || n1 <= 0 || n2 <= 0) return out;
  const int64_t rows = n0 * n1;
  std::vector<int64_t> row_first(std::size_t(rows) + 1);
  for (int64_t r = 0; r < rows; ++r) {
    row_first[std::size_t(r)] = int64_t(out.runs.size());
    const uint8_t* row = mask + r * n2;
    int64_t c = next_positive(row, 0, n2);
    while (c < n2) {
      const int64_t s = c;
      while (c < n2 && row[c]) ++c;
      out.runs.push_back({r * n2 + s, c - s, 0});
      out.positives += c - s;
      c = next_positive(row, c, n2);
    }
  }
  row_first[std::size_t(rows)] = int64_t(out.runs.size());
  if (out.runs.size() >= std::size_t(std::numeric_limits<uint32_t>::max()))
    fail("the mask has too many runs of positive voxels for the component labelling");

  DisjointSets sets(out.runs.size());
  const bool full = connectivity == Connectivity::full26;
  // Rows visited before (a, b) among its in-plane neighbours; each pair of
  // neighbouring rows is looked at once.
  std::vector<std::pair<int, int>> earlier;
  if (full) earlier = {{-1, -1}, {-1, 0}, {-1, 1}, {0, -1}};
  else earlier = {{-1, 0}, {0, -1}};
  const int64_t reach = full ? 1 : 0;  // along axis 2: runs touching by a corner or edge count in 26
  for (int64_t a = 0; a < n0; ++a)
    for (int64_t b = 0; b < n1; ++b) {
      const int64_t r = a * n1 + b;
      const int64_t i0 = row_first[std::size_t(r)], i1 = row_first[std::size_t(r) + 1];
      if (i0 == i1) continue;
      for (const auto& [da, db] : earlier) {
        const int64_t na = a + da, nb = b + db;
        if (na < 0 || nb < 0 || nb >= n1) continue;
        const int64_t nr = na * n1 + nb;
        int64_t i = i0, j = row_first[std::size_t(nr)];
        const int64_t j1 = row_first[std::size_t(nr) + 1];
        while (i < i1 && j < j1) {
          const auto& x = out.runs[std::size_t(i)];
          const auto& y = out.runs[std::size_t(j)];
          const int64_t xs = x.start - r * n2, xe = xs + x.length - 1;
          const int64_t ys = y.start - nr * n2, ye = ys + y.length - 1;
          if (xs <= ye + reach && ys <= xe + reach) sets.unite(uint32_t(i), uint32_t(j));
          if (xe < ye) ++i;
          else ++j;
        }
      }
    }
  // Regions numbered in order of their first voxel.
  std::vector<uint32_t> id_of_root(out.runs.size(), std::numeric_limits<uint32_t>::max());
  for (std::size_t i = 0; i < out.runs.size(); ++i) {
    const uint32_t root = sets.find(uint32_t(i));
    if (id_of_root[root] == std::numeric_limits<uint32_t>::max()) {
      id_of_root[root] = uint32_t(out.region_sizes.size());
      out.region_sizes.push_back(0);
    }
    out.runs[i].region = id_of_root[root];
    out.region_sizes[out.runs[i].region] += out.runs[i].length;
  }
  return out;
}

std::vector<int32_t> label_volume(const Components& components, const Shape3& shape) {
  std::vector<int32_t> labels(std::size_t(shape[0] * shape[1] * shape[2]), 0);
  for (const auto& run : components.runs)
    std::fill_n(labels.begin() + run.start, run.length, int32_t(run.region) + 1);
  return labels;
}

// ----------------------------------------------------------- the curves
CurveIntegrator::CurveIntegrator(double positives, double negatives, double regions, double max_fpr,
                                 std::size_t max_points)
    : P_(positives), N_(negatives), R_(regions), max_fpr_(max_fpr) {
  if (max_points < 8) max_points = 8;
  // Each kept point is at least delta (L1) from the one before; a monotone
  // path from (0,0) to (1,1) is 2 long: at most 2/delta + 1 such points, plus
  // the start, the point at max_fpr and the end.
  delta_ = 2.0 / double(max_points - 4);
  const CurvePoint start{0, 0, std::numeric_limits<double>::infinity()};
  roc_.push_back(start);
  pro_curve_.push_back(start);
}

void CurveIntegrator::keep(std::vector<CurvePoint>& curve, const CurvePoint& p, bool force) {
  const auto& last = curve.back();
  if (force || std::abs(p.fpr - last.fpr) + std::abs(p.y - last.y) >= delta_) curve.push_back(p);
}

void CurveIntegrator::level(double threshold, double positives, double negatives, double pro_mass) {
  ++levels_;
  const double pf = fpr_, pt = tpr_, pp = pro_y_;
  tp_ += positives;
  fp_ += negatives;
  pro_ += pro_mass;
  fpr_ = N_ > 0 ? fp_ / N_ : 0;
  tpr_ = P_ > 0 ? tp_ / P_ : 0;
  pro_y_ = R_ > 0 ? std::min(1.0, pro_ / R_) : 0;  // Σ 1/|region| over a region may round past 1
  auc_ += (fpr_ - pf) * (tpr_ + pt) / 2;
  if (pf < max_fpr_) {
    if (fpr_ <= max_fpr_) {
      pauc_ += (fpr_ - pf) * (tpr_ + pt) / 2;
      apro_ += (fpr_ - pf) * (pro_y_ + pp) / 2;
    } else {
      // The curves cross FPR = max_fpr inside this step: interpolate linearly.
      const double w = (max_fpr_ - pf) / (fpr_ - pf);
      const double t = pt + w * (tpr_ - pt), q = pp + w * (pro_y_ - pp);
      pauc_ += (max_fpr_ - pf) * (pt + t) / 2;
      apro_ += (max_fpr_ - pf) * (pp + q) / 2;
      keep(roc_, {max_fpr_, t, threshold}, true);
      keep(pro_curve_, {max_fpr_, q, threshold}, true);
    }
  }
  if (positives > 0) ap_ += (positives / P_) * (tp_ / (tp_ + fp_));
  const bool lands_on_max_fpr = pf < max_fpr_ && fpr_ == max_fpr_;  // kept: the curves always show FPR = max_fpr
  keep(roc_, {fpr_, tpr_, threshold}, lands_on_max_fpr);
  keep(pro_curve_, {fpr_, pro_y_, threshold}, lands_on_max_fpr);
  last_threshold_ = threshold;
}

void CurveIntegrator::finish(MetricsResult& out) const {
  const double m = max_fpr_;
  out.auroc = auc_;
  out.auroc_max_fpr = pauc_ / m;
  const double min_area = 0.5 * m * m, max_area = m;
  out.auroc_max_fpr_mcclish = 0.5 * (1 + (pauc_ - min_area) / (max_area - min_area));
  out.aupro_max_fpr = apro_ / m;
  out.average_precision = ap_;
  out.thresholds = levels_;
  out.roc = roc_;
  out.pro = pro_curve_;
  // The last level always ends the curves, kept or not.
  const CurvePoint roc_end{fpr_, tpr_, last_threshold_}, pro_end{fpr_, pro_y_, last_threshold_};
  if (out.roc.back().fpr != roc_end.fpr || out.roc.back().y != roc_end.y) out.roc.push_back(roc_end);
  if (out.pro.back().fpr != pro_end.fpr || out.pro.back().y != pro_end.y) out.pro.push_back(pro_end);
}

namespace {

// Sorted descending by score; one level per distinct score.
template <class Item, class Score, class Positive, class Mass>
void integrate_sorted(std::vector<Item>& items, CurveIntegrator& curve, Score score, Positive positive, Mass mass) {
  std::sort(items.begin(), items.end(), [&](const Item& a, const Item& b) {
    if (score(a) != score(b)) return score(a) > score(b);
    if (positive(a) != positive(b)) return positive(a) < positive(b);
    return mass(a) < mass(b);  // a total order: sums below do not depend on arrival order
  });
  std::size_t i = 0;
  while (i < items.size()) {
    const double s = score(items[i]);
    double pos = 0, neg = 0, pro = 0;
    for (; i < items.size() && score(items[i]) == s; ++i) {
      if (positive(items[i])) ++pos, pro += mass(items[i]);
      else ++neg;
    }
    curve.level(s, pos, neg, pro);
  }
}

struct Labelled {
  double score;
  bool positive;
};

std::optional<MetricsResult> exact_curve(const std::vector<double>& scores, const std::vector<bool>& labels) {
  if (scores.size() != labels.size()) fail("scores and labels differ in length");
  std::vector<Labelled> items(scores.size());
  double P = 0;
  for (std::size_t i = 0; i < scores.size(); ++i) {
    items[i] = {scores[i], bool(labels[i])};
    P += labels[i];
  }
  const double N = double(scores.size()) - P;
  if (P == 0 || N == 0) return std::nullopt;
  CurveIntegrator curve(P, N, 1, 1.0, 1000);
  integrate_sorted(
      items, curve, [](const Labelled& x) { return x.score; }, [](const Labelled& x) { return x.positive; },
      [](const Labelled&) { return 0.0; });
  MetricsResult r;
  curve.finish(r);
  return r;
}

}  // namespace

std::optional<double> exact_auroc(const std::vector<double>& scores, const std::vector<bool>& labels) {
  auto r = exact_curve(scores, labels);
  return r ? r->auroc : std::nullopt;
}

std::optional<double> exact_average_precision(const std::vector<double>& scores, const std::vector<bool>& labels) {
  auto r = exact_curve(scores, labels);
  return r ? r->average_precision : std::nullopt;
}

// ------------------------------------------------------------- the draw
uint64_t study_seed(uint64_t seed, const std::string& study_id) { return splitmix64(seed ^ splitmix64(fnv1a(study_id))); }

Draw draw_voxels(const std::string& study_id, const uint8_t* mask, int64_t voxels, const Components& components,
                 int64_t per_class, uint64_t seed) {
  Draw d;
  const uint64_t base = study_seed(seed, study_id);
  Selection pos(splitmix64(base ^ 0x706F73ull), components.positives, per_class);  // "pos"
  Selection neg(splitmix64(base ^ 0x6E6567ull), voxels - components.positives, per_class);  // "neg"
  d.positives.reserve(std::size_t(std::min(per_class, components.positives)));
  d.negatives.reserve(std::size_t(std::min(per_class, voxels - components.positives)));
  for (const auto& run : components.runs)
    for (int64_t i = run.start; i < run.start + run.length; ++i)
      if (pos.take()) d.positives.push_back(i);
  for (int64_t i = 0; i < voxels; ++i)
    if (!mask[i] && neg.take()) d.negatives.push_back(i);
  return d;
}

// ------------------------------------------------------------ accumulator
struct MetricsAccumulator::Histogram {
  // Pages of 4096 bins, allocated when a score first lands in them; counts
  // and PRO mass in separate arrays, so the pass over the negatives (most
  // voxels) touches only their counts.
  static constexpr int kPageBits = 12;
  static constexpr uint32_t kPageSize = 1u << kPageBits;
  static constexpr uint32_t kPages = 1u << (32 - kBinShift - kPageBits);
  // PRO mass (sum of 1/|region| over a bin's positive voxels) in fixed point,
  // units of 2^-64: integer sums do not depend on the order studies arrive
  // in, so neither does the report under any --threads.
  using Mass = unsigned __int128;
  static constexpr double kMassUnit = 0x1p-64;
  struct Page {
    uint64_t negatives[kPageSize] = {};
    uint64_t positives[kPageSize] = {};
    Mass pro[kPageSize] = {};
  };
  std::vector<std::unique_ptr<Page>> pages{kPages};
  std::size_t allocated = 0;

  Page& page(uint32_t bin) {
    auto& p = pages[bin >> kPageBits];
    if (!p) {
      p = std::make_unique<Page>();
      ++allocated;
    }
    return *p;
  }
  void negative(uint32_t bin) { ++page(bin).negatives[bin & (kPageSize - 1)]; }
  // One positive voxel of a region of `region_size` voxels.
  void positive(uint32_t bin, uint64_t region_size) {
    Page& p = page(bin);
    ++p.positives[bin & (kPageSize - 1)];
    p.pro[bin & (kPageSize - 1)] += (Mass(1) << 64) / region_size;
  }
  std::size_t bytes() const { return allocated * sizeof(Page) + kPages * sizeof(void*); }
};

MetricsAccumulator::MetricsAccumulator(MetricsOptions options) : options_(options) {
  if (!(options_.max_fpr > 0 && options_.max_fpr <= 1)) fail("max_fpr must be in (0, 1]");
  if (options_.subsample < 0) fail("subsample must be 0 or positive");
  if (options_.subsample == 0) histogram_ = std::make_unique<Histogram>();
}

MetricsAccumulator::~MetricsAccumulator() = default;

std::size_t MetricsAccumulator::studies() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return studies_.size();
}

StudyNumbers MetricsAccumulator::add_study(const std::string& id, const float* scores, const uint8_t* mask,
                                           const Shape3& shape) {
  const int64_t n = shape[0] * shape[1] * shape[2];
  if (n <= 0) fail("study '" + id + "': the map is empty");
  StudyNumbers numbers;
  numbers.id = id;
  numbers.voxels = n;
  // Unlocked: what needs only this study.
  float top = -std::numeric_limits<float>::infinity();
  for (int64_t i = 0; i < n; ++i) {
    const float s = scores[i];
    if (std::isnan(s)) {
      const int64_t c = i % shape[2], b = (i / shape[2]) % shape[1], a = i / (shape[1] * shape[2]);
      fail("study '" + id + "': the map has NaN at voxel (" + std::to_string(a) + ", " + std::to_string(b) + ", " +
           std::to_string(c) + ")");
    }
    top = std::max(top, s);
  }
  numbers.score = top;
  const Components comp = connected_components(mask, shape, options_.connectivity);
  numbers.positives = comp.positives;
  numbers.regions = int64_t(comp.regions());

  std::vector<Sample> drawn;
  if (options_.subsample > 0) {
    const Draw d = draw_voxels(id, mask, n, comp, options_.subsample, options_.seed);
    // The region of each drawn positive: both lists run in memory order.
    std::vector<uint32_t> region_of(d.positives.size());
    std::vector<int64_t> drawn_in_region(comp.regions(), 0);
    std::size_t r = 0;
    for (std::size_t k = 0; k < d.positives.size(); ++k) {
      while (comp.runs[r].start + comp.runs[r].length <= d.positives[k]) ++r;
      region_of[k] = comp.runs[r].region;
      ++drawn_in_region[region_of[k]];
    }
    drawn.reserve(d.positives.size() + d.negatives.size());
    for (std::size_t k = 0; k < d.positives.size(); ++k)
      drawn.push_back({scores[d.positives[k]], true, 1.0 / double(drawn_in_region[region_of[k]])});
    for (int64_t i : d.negatives) drawn.push_back({scores[i], false, 0.0});
    numbers.sampled_positives = int64_t(d.positives.size());
    numbers.sampled_negatives = int64_t(d.negatives.size());
    numbers.sampled_regions = std::count_if(drawn_in_region.begin(), drawn_in_region.end(), [](int64_t c) { return c > 0; });
  }

  std::lock_guard<std::mutex> lock(mutex_);
  for (const auto& s : studies_)
    if (s.id == id) fail("study '" + id + "' was already evaluated");
  if (options_.subsample > 0) {
    samples_.insert(samples_.end(), drawn.begin(), drawn.end());
    positives_ += uint64_t(numbers.sampled_positives);
    negatives_ += uint64_t(numbers.sampled_negatives);
    regions_ += uint64_t(numbers.sampled_regions);
  } else {
    Histogram& h = *histogram_;
    for (int64_t i = 0; i < n; ++i)
      if (!mask[i]) h.negative(score_key(scores[i]) >> kBinShift);
    for (const auto& run : comp.runs) {
      const uint64_t region_size = uint64_t(comp.region_sizes[run.region]);
      for (int64_t i = run.start; i < run.start + run.length; ++i)
        h.positive(score_key(scores[i]) >> kBinShift, region_size);
    }
    positives_ += uint64_t(comp.positives);
    negatives_ += uint64_t(n - comp.positives);
    regions_ += comp.regions();
  }
  studies_.push_back(numbers);
  return numbers;
}

MetricsResult MetricsAccumulator::result() const {
  std::lock_guard<std::mutex> lock(mutex_);
  if (studies_.empty()) fail("no study was evaluated");
  MetricsResult r;
  r.max_fpr = options_.max_fpr;
  r.subsample = options_.subsample;
  r.seed = options_.seed;
  r.connectivity = options_.connectivity;
  r.positives = positives_;
  r.negatives = negatives_;
  r.regions = regions_;
  r.studies = studies_;
  std::sort(r.studies.begin(), r.studies.end(), [](const StudyNumbers& a, const StudyNumbers& b) { return a.id < b.id; });
  if (histogram_) r.histogram_bytes = histogram_->bytes();

  if (positives_ == 0) r.voxel_undefined = "no positive voxel in any mask";
  else if (negatives_ == 0) r.voxel_undefined = "no negative voxel in any mask";
  if (r.voxel_undefined.empty()) {
    CurveIntegrator curve(double(positives_), double(negatives_), double(regions_), options_.max_fpr,
                          options_.max_curve_points);
    if (histogram_) {
      for (uint32_t p = Histogram::kPages; p-- > 0;) {
        const auto& page = histogram_->pages[p];
        if (!page) continue;
        for (uint32_t b = Histogram::kPageSize; b-- > 0;) {
          if (page->negatives[b] == 0 && page->positives[b] == 0) continue;
          curve.level(bin_floor((p << Histogram::kPageBits) | b), double(page->positives[b]),
                      double(page->negatives[b]), double(page->pro[b]) * Histogram::kMassUnit);
        }
      }
    } else {
      std::vector<Sample> items = samples_;
      integrate_sorted(
          items, curve, [](const Sample& s) { return double(s.score); }, [](const Sample& s) { return s.positive; },
          [](const Sample& s) { return s.weight; });
    }
    curve.finish(r);
  }

  std::vector<double> scores;
  std::vector<bool> labels;
  for (const auto& s : r.studies) {
    scores.push_back(s.score);
    labels.push_back(s.positives > 0);
  }
  r.sample_auroc = exact_auroc(scores, labels);
  r.sample_average_precision = exact_average_precision(scores, labels);
  if (!r.sample_auroc)
    r.sample_undefined = labels.front() ? "every study has positive voxels" : "no study has positive voxels";
  return r;
}

}  // namespace screener::eval
