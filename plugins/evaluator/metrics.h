// Voxel- and sample-level metrics of anomaly maps against ground-truth masks
// (SPEC §7), accumulated study by study so that an archive never has to be in
// memory at once. Plain C++: no ITK, no Torch, no JSON.
//
//   MetricsAccumulator acc({.max_fpr = 0.3});
//   acc.add_study("case-1", scores, mask, {512, 512, 300});   // thread-safe
//   ...                                                        // volumes may be freed now
//   MetricsResult r = acc.result();
//
// Two protocols:
//  * every voxel (subsample == 0): each score is turned into an
//    order-preserving 32-bit key and counted in a histogram over the key's top
//    24 bits (sign, exponent and the 15 leading mantissa bits), with, per bin,
//    the negatives, the positives and the PRO mass Σ 1/|region| of the
//    positives. Scores in one bin count as tied (as sklearn treats equal
//    scores), so two scores are told apart when they differ by more than one
//    part in 2^15 (relative; between 2^-16 and 2^-15 of the value). The
//    histogram is allocated in pages of 4096 bins as scores reach them, about
//    0.75 MB per power of two the scores span (per sign): 30-40 MB for maps
//    of normal noise, 384 MB at the very most, whatever the number of studies.
//  * subsampled (subsample == N > 0), the official Screener protocol: per
//    study at most N positive and N negative voxels drawn uniformly without
//    replacement; the metrics are exact (no binning) on the drawn voxels.
#pragma once
#include <array>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

namespace screener::eval {

using Shape3 = std::array<int64_t, 3>;  // axis 2 fastest in memory

// ---------------------------------------------------------------- score keys
// Order-preserving: a < b  <=>  score_key(a) < score_key(b) for non-NaN
// floats; -0 and +0 get the same key. NaN must not be passed.
uint32_t score_key(float score);
float key_score(uint32_t key);
inline constexpr int kBinShift = 8;  // bin = key >> 8: 2^24 bins
// The smallest score that falls in `bin`.
float bin_floor(uint32_t bin);

// ------------------------------------------------------ connected components
enum class Connectivity { faces6 = 6, full26 = 26 };

// The positive voxels of a mask as runs along axis 2, in memory order, each
// with the connected region it belongs to. Memory is proportional to the
// number of runs, not to the volume.
struct Components {
  struct Run {
    int64_t start;    // linear index of the run's first voxel
    int64_t length;
    uint32_t region;  // 0 .. region_sizes.size()-1, numbered in order of first voxel
  };
  std::vector<Run> runs;
  std::vector<int64_t> region_sizes;  // voxels per region
  int64_t positives = 0;
  std::size_t regions() const { return region_sizes.size(); }
};

// mask: nonzero = positive. 26-connectivity: voxels touching by a face, an
// edge or a corner are neighbours (scipy.ndimage.label with a 3×3×3 block of
// ones); 6: by a face only.
Components connected_components(const uint8_t* mask, const Shape3& shape, Connectivity connectivity);
// Region number + 1 per voxel, 0 outside (for tests and tools).
std::vector<int32_t> label_volume(const Components& components, const Shape3& shape);

// ------------------------------------------------------------------ results
struct CurvePoint {
  double fpr, y;     // y: TPR for the ROC, PRO for the PRO curve
  double threshold;  // voxels with score >= threshold count as detected
};

struct StudyNumbers {
  std::string id;
  int64_t voxels = 0, positives = 0, regions = 0;
  double score = 0;  // the map's maximum: the study's sample-level score
  // Subsampled protocol: the voxels drawn, and the regions they touch.
  int64_t sampled_positives = 0, sampled_negatives = 0, sampled_regions = 0;
};

struct MetricsResult {
  // Voxel level; empty when undefined (no positive or no negative voxel,
  // no region), with the reason in `voxel_undefined`.
  std::optional<double> auroc;
  std::optional<double> auroc_max_fpr;          // ∫0^max_fpr TPR dFPR / max_fpr
  std::optional<double> auroc_max_fpr_mcclish;  // sklearn roc_auc_score(max_fpr=...)
  std::optional<double> aupro_max_fpr;          // ∫0^max_fpr PRO dFPR / max_fpr
  std::optional<double> average_precision;      // sklearn average_precision_score
  std::string voxel_undefined;
  // Sample level: study score = map maximum, label = mask has a positive.
  std::optional<double> sample_auroc, sample_average_precision;
  std::string sample_undefined;

  // What the voxel metrics were computed on (the drawn voxels when subsampled).
  uint64_t positives = 0, negatives = 0;
  uint64_t regions = 0;     // regions entering the PRO mean
  uint64_t thresholds = 0;  // distinct score levels (non-empty bins when binned)
  std::vector<CurvePoint> roc, pro;  // at most 1000 points each, (0,0) to (1,1)
  std::vector<StudyNumbers> studies;  // sorted by id
  // What the metrics ran with.
  double max_fpr = 0.3;
  int64_t subsample = 0;
  uint64_t seed = 0;
  Connectivity connectivity = Connectivity::full26;
  std::size_t histogram_bytes = 0;  // memory of the binned histogram
};

struct MetricsOptions {
  double max_fpr = 0.3;  // (0, 1]
  int64_t subsample = 0;  // 0: every voxel
  uint64_t seed = 0;
  Connectivity connectivity = Connectivity::full26;
  std::size_t max_curve_points = 1000;
};

// The pure curve arithmetic, on score levels in descending order; the
// accumulator feeds it from its histogram or its sorted sample.
class CurveIntegrator {
 public:
  CurveIntegrator(double positives, double negatives, double regions, double max_fpr, std::size_t max_points);
  // One threshold: the voxels whose score is this level.
  void level(double threshold, double positives, double negatives, double pro_mass);
  void finish(MetricsResult& out) const;

 private:
  double P_, N_, R_, max_fpr_;
  double delta_;
  double tp_ = 0, fp_ = 0, pro_ = 0;
  double fpr_ = 0, tpr_ = 0, pro_y_ = 0;
  double auc_ = 0, pauc_ = 0, apro_ = 0, ap_ = 0;
  uint64_t levels_ = 0;
  double last_threshold_ = 0;
  std::vector<CurvePoint> roc_, pro_curve_;
  void keep(std::vector<CurvePoint>& curve, const CurvePoint& p, bool force);
};

// Exact AUROC / AP of a few labelled scores (sample level); empty when all
// labels are the same.
std::optional<double> exact_auroc(const std::vector<double>& scores, const std::vector<bool>& labels);
std::optional<double> exact_average_precision(const std::vector<double>& scores, const std::vector<bool>& labels);

// The voxels the subsampled protocol draws from one study: linear indices,
// ascending. Depends only on (seed, study id, mask), not on arrival order.
struct Draw {
  std::vector<int64_t> positives, negatives;
};
Draw draw_voxels(const std::string& study_id, const uint8_t* mask, int64_t voxels, const Components& components,
                 int64_t per_class, uint64_t seed);
uint64_t study_seed(uint64_t seed, const std::string& study_id);

class MetricsAccumulator {
 public:
  explicit MetricsAccumulator(MetricsOptions options);
  ~MetricsAccumulator();
  MetricsAccumulator(const MetricsAccumulator&) = delete;
  MetricsAccumulator& operator=(const MetricsAccumulator&) = delete;

  // Adds one study; scores and mask share `shape`. Thread-safe: the parts that
  // need only this study (NaN check, components, the draw) run unlocked. A
  // NaN score throws (naming the study) and adds nothing; so does a second
  // study with the same id.
  StudyNumbers add_study(const std::string& id, const float* scores, const uint8_t* mask, const Shape3& shape);

  std::size_t studies() const;
  // Throws when no study was added.
  MetricsResult result() const;
  const MetricsOptions& options() const { return options_; }

 private:
  struct Histogram;
  struct Sample {
    float score;
    bool positive;
    double weight;  // PRO mass of a drawn positive: 1 / drawn voxels of its region
  };
  MetricsOptions options_;
  mutable std::mutex mutex_;
  std::unique_ptr<Histogram> histogram_;
  std::vector<Sample> samples_;
  std::vector<StudyNumbers> studies_;
  uint64_t positives_ = 0, negatives_ = 0, regions_ = 0;
};

}  // namespace screener::eval
