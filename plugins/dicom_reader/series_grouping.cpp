#include "series_grouping.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <set>
#include <tuple>

#include "screener/files.h"

namespace screener::dicom {

namespace {

struct Series {
  std::vector<DicomHeader> files;
  std::string study_uid, series_uid;
  int64_t slices = 0;
  double extent = 0;  // mm along the slice normal

  const DicomHeader& first() const { return files.front(); }
  std::string label() const {
    return "series " + series_uid + " (" + first().modality + ", series number " + first().series_number + ")";
  }
};

double extent_along_normal(const Series& s) {
  std::vector<double> along;
  for (const auto& h : s.files)
    for (const auto& f : h.frame_info) {
      if (!f.position || !f.orientation) continue;
      const auto& o = *f.orientation;
      const Vec3 n{o[1] * o[5] - o[2] * o[4], o[2] * o[3] - o[0] * o[5], o[0] * o[4] - o[1] * o[3]};
      along.push_back((*f.position)[0] * n[0] + (*f.position)[1] * n[1] + (*f.position)[2] * n[2]);
    }
  if (along.empty()) return 0;
  const auto [lo, hi] = std::minmax_element(along.begin(), along.end());
  return *hi - *lo;
}

// Leaves out the images of a series that the rules exclude; false when
// nothing is left of it.
bool filter_images(Series& s, const SelectionRules& rules, const Note& note) {
  std::size_t localizers = 0, not_original = 0, not_axial = 0, duplicates = 0;
  std::set<std::string> seen;
  std::vector<DicomHeader> kept;
  for (auto& h : s.files) {
    if (h.has_image_type("LOCALIZER")) {
      ++localizers;
    } else if (rules.require_original_primary && !(h.has_image_type("ORIGINAL") && h.has_image_type("PRIMARY"))) {
      ++not_original;
    } else if (rules.require_axial && !h.has_image_type("AXIAL")) {
      ++not_axial;
    } else if (!h.sop_instance_uid.empty() && !seen.insert(h.sop_instance_uid).second) {
      // The same instance stored twice: one copy is enough.
      ++duplicates;
      note("skipped '" + h.file.string() + "': another copy of SOP instance " + h.sop_instance_uid);
    } else {
      kept.push_back(std::move(h));
    }
  }
  const auto say = [&](std::size_t count, const std::string& why) {
    if (count) note(s.label() + ": left out " + std::to_string(count) + " image(s) " + why);
  };
  say(localizers, "of type LOCALIZER");
  say(not_original, "not of type ORIGINAL\\PRIMARY");
  say(not_axial, "not of type AXIAL");
  s.files = std::move(kept);
  return !s.files.empty();
}

int64_t series_number(const Series& s) {
  try {
    return std::stoll(s.first().series_number);
  } catch (const std::exception&) {
    return -1;
  }
}

std::string entry_id(const Series& s, std::set<std::string>& used) {
  const auto& h = s.first();
  const std::string base = sanitize_filename((h.patient_id.empty() ? "anonymous" : h.patient_id) + "_" +
                                             (h.study_date.empty() ? "nodate" : h.study_date) + "_S" +
                                             (h.series_number.empty() ? "x" : h.series_number));
  std::string id = base;
  for (int n = 2; !used.insert(id).second; ++n) id = base + "_" + std::to_string(n);
  return id;
}

// What results derived from the series reference: every instance, with the
// position of each frame so that a result frame can name its source slice.
Json referenced_instances(const Series& s) {
  Json instances = Json::array();
  for (const auto& f : s.files) {
    Json positions = Json::array();
    for (const auto& frame : f.frame_info)
      positions.push_back(frame.position ? Json(*frame.position) : Json());
    instances.push_back({{"SOPClassUID", f.sop_class_uid.empty() ? f.media_storage_sop_class : f.sop_class_uid},
                         {"SOPInstanceUID", f.sop_instance_uid},
                         {"FramePositions", positions}});
  }
  return instances;
}

StudyEntry to_entry(const Series& s, std::set<std::string>& used) {
  const auto& h = s.first();
  StudyEntry e;
  e.id = entry_id(s, used);
  e.source = h.file.parent_path().string();
  e.attributes = {{"format", "dicom"},
                  {"StudyInstanceUID", s.study_uid},
                  {"SeriesInstanceUID", s.series_uid},
                  {"PatientID", h.patient_id},
                  {"StudyDate", h.study_date},
                  {"StudyDescription", h.study_description},
                  {"SeriesNumber", h.series_number},
                  {"SeriesDescription", h.series_description},
                  {"Modality", h.modality},
                  {"slices", s.slices}};
  for (const auto& [keyword, value] : h.identity) e.attributes[keyword] = value;
  e.attributes["ReferencedInstances"] = referenced_instances(s);
  Json files = Json::array();
  for (const auto& f : s.files) files.push_back(f.file.string());
  e.locator = {{"format", "dicom"}, {"files", files}};
  return e;
}

}  // namespace

std::vector<StudyEntry> select_series(std::vector<DicomHeader> headers, const SelectionRules& rules, const Note& note) {
  std::map<std::pair<std::string, std::string>, Series> by_uid;
  for (auto& h : headers) {
    if (h.is_dicomdir()) {
      note("skipped DICOMDIR '" + h.file.string() + "' (the files it lists are read where they are)");
    } else if (h.study_uid.empty() || h.series_uid.empty()) {
      note("skipped '" + h.file.string() + "': no StudyInstanceUID/SeriesInstanceUID");
    } else if (h.rows <= 0 || h.columns <= 0) {
      note("skipped '" + h.file.string() + "': not an image (" + (h.modality.empty() ? "?" : h.modality) + ")");
    } else {
      auto& s = by_uid[{h.study_uid, h.series_uid}];
      s.study_uid = h.study_uid;
      s.series_uid = h.series_uid;
      s.files.push_back(std::move(h));
    }
  }

  const bool any_modality = rules.modality.empty() || rules.modality == "any";
  std::vector<Series> candidates;
  for (auto& [key, s] : by_uid) {
    if (!any_modality && s.first().modality != rules.modality) {
      note(s.label() + " skipped: modality is not " + rules.modality);
      continue;
    }
    if (!filter_images(s, rules, note)) continue;
    for (const auto& h : s.files) s.slices += h.frames;
    if (s.slices < rules.min_slices) {
      note(s.label() + " skipped: " + std::to_string(s.slices) + " slice(s), fewer than min_slices " +
           std::to_string(rules.min_slices));
      continue;
    }
    s.extent = extent_along_normal(s);
    candidates.push_back(std::move(s));
  }

  if (rules.largest_per_study) {
    std::map<std::string, Series*> largest;
    for (auto& s : candidates) {
      Series*& best = largest[s.study_uid];
      if (!best || std::tie(s.slices, s.extent) > std::tie(best->slices, best->extent)) best = &s;
    }
    std::vector<Series> kept;
    for (auto& s : candidates) {
      if (largest[s.study_uid] == &s)
        kept.push_back(std::move(s));
      else
        note(s.label() + " skipped: not the largest series of study " + s.study_uid);
    }
    candidates = std::move(kept);
  }

  std::sort(candidates.begin(), candidates.end(), [](const Series& a, const Series& b) {
    return std::make_tuple(a.first().patient_id, a.first().study_date, a.study_uid, series_number(a), a.series_uid) <
           std::make_tuple(b.first().patient_id, b.first().study_date, b.study_uid, series_number(b), b.series_uid);
  });
  std::set<std::string> used;
  std::vector<StudyEntry> entries;
  for (const auto& s : candidates) entries.push_back(to_entry(s, used));
  return entries;
}

}  // namespace screener::dicom
