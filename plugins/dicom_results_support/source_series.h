// The source series of a result, as the DICOM sources describe it in the
// study's attributes (keywords listed in dicom_results.h).
#pragma once
#include <optional>
#include <string>
#include <vector>

#include "screener/geometry.h"
#include "screener/stage.h"

class DcmItem;
class IODReferences;

namespace screener::dicom_results {

struct SourceInstance {
  std::string sop_class_uid;
  std::string sop_instance_uid;
  std::vector<std::optional<Vec3>> frame_positions;  // one per frame, when known
};

// A source frame: the instance and, for multi-frame instances, the frame (1-based).
struct SourceFrame {
  const SourceInstance* instance = nullptr;
  int frame_number = 0;  // 0: single-frame instance
};

class SourceSeries {
 public:
  // Throws InputError (naming the study) when the study is not a DICOM series.
  explicit SourceSeries(const Study& study);

  // The patient, study and frame-of-reference attributes, as a dataset that
  // DCMTK's importHierarchy() can take them from. `single_valued` turns a
  // backslash (a value separator) into '_', since DCMTK's IOD classes refuse
  // to write a second value where the standard allows one; write the exact
  // values into the finished dataset afterwards, so that a result files
  // under the same patient and study as its source, even one that breaks
  // that rule.
  void fill_identity(DcmItem& dataset, bool single_valued) const;
  // Every source instance, for the Common Instance Reference module.
  IODReferences references() const;
  // The source frames a result frame through `point` derives from: those
  // whose planes lie within `half_thickness` of it along `normal`, or else the
  // nearest one. Empty only when no source frame has a known position.
  std::vector<SourceFrame> frames_near(const Vec3& point, const Vec3& normal, double half_thickness) const;

  const std::string& study_instance_uid() const { return study_uid_; }
  const std::string& series_instance_uid() const { return series_uid_; }
  std::string value(const std::string& keyword) const;

 private:
  Json attributes_;
  std::string study_uid_, series_uid_;
  std::vector<SourceInstance> instances_;
};

}  // namespace screener::dicom_results
