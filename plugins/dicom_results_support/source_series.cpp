#include "source_series.h"

#include <dcmtk/config/osconfig.h>
#include <dcmtk/dcmdata/dcdeftag.h>
#include <dcmtk/dcmdata/dcitem.h>
#include <dcmtk/dcmiod/iodreferences.h>

#include <algorithm>
#include <cmath>

#include "screener/error.h"

namespace screener::dicom_results {

namespace {
// Patient, study and frame-of-reference level only: a result starts a series of its own.
constexpr const char* kIdentity[] = {"PatientName",     "PatientID",        "PatientBirthDate",       "PatientSex",
                                     "StudyInstanceUID", "StudyDate",        "StudyTime",              "StudyID",
                                     "AccessionNumber",  "ReferringPhysicianName", "StudyDescription", "FrameOfReferenceUID"};
}  // namespace

SourceSeries::SourceSeries(const Study& study) : attributes_(study.attributes) {
  study_uid_ = value("StudyInstanceUID");
  series_uid_ = value("SeriesInstanceUID");
  if (study_uid_.empty() || series_uid_.empty())
    throw InputError("study " + study.id + " was not read from a DICOM series (no StudyInstanceUID/SeriesInstanceUID): " +
                     "a DICOM result needs a DICOM source");
  if (value("FrameOfReferenceUID").empty())
    throw InputError("study " + study.id + ": the source series has no FrameOfReferenceUID, so a result could not be " +
                     "placed in its patient space");
  for (const auto& item : attributes_.value("ReferencedInstances", Json::array())) {
    SourceInstance instance;
    instance.sop_class_uid = item.value("SOPClassUID", "");
    instance.sop_instance_uid = item.value("SOPInstanceUID", "");
    if (instance.sop_class_uid.empty() || instance.sop_instance_uid.empty()) continue;
    for (const auto& p : item.value("FramePositions", Json::array()))
      instance.frame_positions.push_back(p.is_array() && p.size() == 3 ? std::optional<Vec3>(p.get<Vec3>()) : std::nullopt);
    instances_.push_back(std::move(instance));
  }
  if (instances_.empty())
    throw InputError("study " + study.id + ": the source series lists no instances (ReferencedInstances) to reference");
}

std::string SourceSeries::value(const std::string& keyword) const {
  const auto it = attributes_.find(keyword);
  return it != attributes_.end() && it->is_string() ? it->get<std::string>() : std::string();
}

void SourceSeries::fill_identity(DcmItem& dataset, bool single_valued) const {
  dataset.putAndInsertString(DCM_SpecificCharacterSet, "ISO_IR 192");  // the attributes are UTF-8
  for (const char* keyword : kIdentity) {
    DcmTag tag;
    if (DcmTag::findTagFromName(keyword, tag).bad()) continue;
    std::string v = value(keyword);
    if (single_valued) std::replace(v.begin(), v.end(), '\\', '_');
    dataset.putAndInsertString(tag, v.c_str());
  }
}

IODReferences SourceSeries::references() const {
  IODReferences refs;
  for (const auto& instance : instances_) {
    auto* ref = new IODImageReference(value("PatientID").c_str(), study_uid_.c_str(), series_uid_.c_str(),
                                      instance.sop_instance_uid.c_str(), instance.sop_class_uid.c_str());
    refs.add(ref);
  }
  return refs;
}

std::vector<SourceFrame> SourceSeries::frames_near(const Vec3& point, const Vec3& normal,
                                                   double half_thickness) const {
  std::vector<SourceFrame> within;
  std::optional<SourceFrame> nearest;
  double nearest_distance = INFINITY;
  for (const auto& instance : instances_) {
    const bool multi_frame = instance.frame_positions.size() > 1;
    for (std::size_t f = 0; f < instance.frame_positions.size(); ++f) {
      const auto& p = instance.frame_positions[f];
      if (!p) continue;
      double d = 0;
      for (int k = 0; k < 3; ++k) d += ((*p)[k] - point[k]) * normal[k];
      const SourceFrame frame{&instance, multi_frame ? int(f) + 1 : 0};
      if (std::abs(d) <= half_thickness * (1 + 1e-6)) within.push_back(frame);
      if (std::abs(d) < nearest_distance) nearest_distance = std::abs(d), nearest = frame;
    }
  }
  if (within.empty() && nearest) within.push_back(*nearest);
  return within;
}

}  // namespace screener::dicom_results
