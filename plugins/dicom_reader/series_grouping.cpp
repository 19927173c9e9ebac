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
  double extent = 0;       // mm along the slice normal
  bool original = true;    // its images are ORIGINAL\PRIMARY (else DERIVED, SECONDARY, ...)
  std::vector<std::string> warnings;  // for the study's run-summary record
  std::string error;       // refused: load() fails the study with this

  const DicomHeader& first() const { return files.front(); }
  std::string label() const {
    const auto& h = first();
    return "series " + printable(series_uid) + " (" + (h.modality.empty() ? "no Modality" : printable(h.modality, 16)) +
           ", " + (h.series_number.empty() ? "no SeriesNumber" : "series number " + printable(h.series_number, 16)) +
           ", in '" + h.file.parent_path().string() + "')";
  }
  std::string image_type() const {
    std::string joined;
    for (const auto& v : first().image_type) joined += (joined.empty() ? "" : "\\") + v;
    return joined.empty() ? "no ImageType" : "ImageType " + printable(joined);
  }
};

void exclude(const Series& s, const std::string& why, const Note& note) { note(kExcludedPrefix + s.label() + ": " + why); }

double extent_along_normal(const Series& s) {
  std::vector<double> along;
  for (const auto& h : s.files)
    for (const auto& f : h.frame_info) {
      if (!f.position || !f.orientation) continue;
      const auto& o = *f.orientation;
      const Vec3 n{o[1] * o[5] - o[2] * o[4], o[2] * o[3] - o[0] * o[5], o[0] * o[4] - o[1] * o[3]};
      const double d = (*f.position)[0] * n[0] + (*f.position)[1] * n[1] + (*f.position)[2] * n[2];
      if (std::isfinite(d)) along.push_back(d);
    }
  if (along.empty()) return 0;
  const auto [lo, hi] = std::minmax_element(along.begin(), along.end());
  return *hi - *lo;
}

// The modality the series is read as: the wanted one, or with "any" the most
// common one. Files of another modality under the same SeriesInstanceUID
// (a PT slice in a CT series) are left out by name and reported with the
// study. False when no file has the modality.
bool keep_one_modality(Series& s, const std::string& wanted, const Note& note) {
  std::string modality = wanted;
  if (modality.empty() || modality == "any") {
    std::map<std::string, int> counts;
    for (const auto& h : s.files) ++counts[h.modality];
    modality = std::max_element(counts.begin(), counts.end(), [](const auto& a, const auto& b) { return a.second < b.second; })->first;
  }
  std::vector<DicomHeader> kept;
  std::vector<std::string> strays;
  for (auto& h : s.files) {
    if (h.modality == modality) kept.push_back(std::move(h));
    else strays.push_back("'" + h.file.string() + "' (" + (h.modality.empty() ? "no Modality" : printable(h.modality, 16)) + ")");
  }
  if (kept.empty()) {
    exclude(s, "Modality " + (s.first().modality.empty() ? "missing" : printable(s.first().modality, 16)) +
                   " is not " + wanted + " (set modality to \"" + printable(s.first().modality, 16) +
                   "\" or \"any\" to read it)",
            note);
    return false;
  }
  s.files = std::move(kept);
  if (!strays.empty()) {
    std::string list;
    for (std::size_t i = 0; i < strays.size() && i < 5; ++i) list += (i ? ", " : "") + strays[i];
    if (strays.size() > 5) list += ", ... (" + std::to_string(strays.size()) + " files)";
    const std::string message = s.label() + ": left out " + std::to_string(strays.size()) +
                                " file(s) of another modality than " + modality + ": " + list;
    note(message);
    s.warnings.push_back(message);
  }
  return true;
}

// Leaves out the images of a series that the rules exclude; false when
// nothing is left of it.
bool filter_images(Series& s, const SelectionRules& rules, const Note& note) {
  const auto is_original = [](const DicomHeader& h) { return h.has_image_type("ORIGINAL") && h.has_image_type("PRIMARY"); };
  const std::size_t total = s.files.size();
  const bool has_original =
      std::any_of(s.files.begin(), s.files.end(), [&](const DicomHeader& h) { return is_original(h) && !h.has_image_type("LOCALIZER"); });
  // A series mixing both keeps its ORIGINAL\PRIMARY images; one without any
  // is a DERIVED series, which the study-level rule decides about.
  const bool only_original = rules.require_original_primary || has_original;
  std::size_t localizers = 0, not_original = 0, not_axial = 0, duplicates = 0;
  std::set<std::string> seen;
  std::vector<DicomHeader> kept;
  std::string type_left_out;
  for (auto& h : s.files) {
    if (h.has_image_type("LOCALIZER")) {
      ++localizers;
    } else if (only_original && !is_original(h)) {
      ++not_original;
    } else if (rules.require_axial && !h.has_image_type("AXIAL")) {
      ++not_axial;
    } else if (!h.sop_instance_uid.empty() && !seen.insert(h.sop_instance_uid).second) {
      // The same instance stored twice: one copy is enough.
      ++duplicates;
      note("skipped '" + h.file.string() + "': another copy of SOP instance " + printable(h.sop_instance_uid));
    } else {
      kept.push_back(std::move(h));
    }
  }
  if (kept.empty()) {
    // Say what would admit the series, for the run that finds nothing.
    if (localizers == total) exclude(s, "all " + std::to_string(total) + " image(s) are LOCALIZER (never read)", note);
    else if (not_axial && !not_original) exclude(s, "no image of ImageType AXIAL (set require_axial false to read it)", note);
    else exclude(s, "no image of ImageType ORIGINAL\\PRIMARY (" + s.image_type() +
                        "; set require_original_primary false to read it)", note);
    return false;
  }
  s.files = std::move(kept);  // before naming the series: the others were moved from
  s.original = has_original;
  const auto say = [&](std::size_t count, const std::string& why) {
    if (count) note(s.label() + ": left out " + std::to_string(count) + " image(s) " + why);
  };
  say(localizers, "of type LOCALIZER");
  say(not_original, "not of type ORIGINAL\\PRIMARY");
  say(not_axial, "not of type AXIAL");
  return true;
}

// A study's DERIVED series (anonymised, converted, phantom data) are read
// when it has no ORIGINAL\PRIMARY one, with a warning on the study.
std::vector<Series> prefer_original(std::vector<Series> candidates, const SelectionRules& rules, const Note& note) {
  if (!rules.prefer_original_primary) return candidates;
  std::map<std::string, std::string> original_of_study;  // study -> one of its ORIGINAL series
  for (const auto& s : candidates)
    if (s.original) original_of_study.emplace(s.study_uid, s.label());
  std::vector<Series> kept;
  for (auto& s : candidates) {
    if (s.original) {
      kept.push_back(std::move(s));
    } else if (auto found = original_of_study.find(s.study_uid); found != original_of_study.end()) {
      exclude(s, s.image_type() + ", and the study has ORIGINAL\\PRIMARY " + found->second +
                     " (set prefer_original_primary false to read it too)",
              note);
    } else {
      const std::string message = s.label() + ": read although of " + s.image_type() +
                                  ": the study has no ORIGINAL\\PRIMARY series";
      note(message);
      s.warnings.push_back(message);
      kept.push_back(std::move(s));
    }
  }
  return kept;
}

int64_t series_number(const Series& s) {
  try {
    return std::stoll(s.first().series_number);
  } catch (const std::exception&) {
    return -1;
  }
}

// The end of a UID, readable and stable, for a series without SeriesNumber.
std::string uid_tail(const std::string& uid) {
  const std::string last = uid.substr(uid.find_last_of('.') == std::string::npos ? 0 : uid.find_last_of('.') + 1);
  return last.size() > 12 ? last.substr(last.size() - 12) : last;
}

std::string entry_id(const Series& s, std::set<std::string>& used) {
  const auto& h = s.first();
  const std::string series = h.series_number.empty() ? "_uid" + (s.series_uid.empty() ? "x" : uid_tail(s.series_uid))
                                                     : "_S" + h.series_number;
  const std::string base = sanitize_filename((h.patient_id.empty() ? "anonymous" : h.patient_id) + "_" +
                                             (h.study_date.empty() ? "nodate" : h.study_date) + series);
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
  Json files = Json::array();
  for (const auto& f : s.files) files.push_back(f.file.string());
  e.locator = {{"format", "dicom"}, {"files", files}};
  if (!s.warnings.empty()) e.locator["warnings"] = s.warnings;
  if (!s.error.empty()) {
    // Refused: none of its values go further than the error.
    e.locator["error"] = s.error;
    e.attributes = {{"format", "dicom"}, {"slices", s.slices}};
    return e;
  }
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
  return e;
}

// Refusals decided from the headers, before anything is read or allocated:
// identity values that break their VR, a volume over max_voxels.
std::string refusal(const Series& s, const SelectionRules& rules) {
  for (const auto& h : s.files)
    if (std::string problem = identity_problem(h); !problem.empty())
      return "'" + h.file.string() + "': " + problem;
  const auto& h = s.first();
  const int64_t voxels = voxel_count(h.rows, h.columns, s.slices);
  if (voxels > rules.max_voxels)
    return std::to_string(h.columns) + " x " + std::to_string(h.rows) + " x " + std::to_string(s.slices) +
           " voxels exceed max_voxels " + std::to_string(rules.max_voxels) + " (raise it to read the series)";
  return {};
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
      note("skipped '" + h.file.string() + "': not an image (" + (h.modality.empty() ? "?" : printable(h.modality, 16)) + ")");
    } else {
      auto& s = by_uid[{h.study_uid, h.series_uid}];
      s.study_uid = h.study_uid;
      s.series_uid = h.series_uid;
      s.files.push_back(std::move(h));
    }
  }

  std::vector<Series> candidates;
  for (auto& [key, s] : by_uid) {
    if (!keep_one_modality(s, rules.modality, note)) continue;
    if (!filter_images(s, rules, note)) continue;
    for (const auto& h : s.files) s.slices += h.frames;
    if (s.slices < rules.min_slices) {
      exclude(s, std::to_string(s.slices) + " slice(s), fewer than min_slices " + std::to_string(rules.min_slices) +
                     " (set min_slices to " + std::to_string(std::max<int64_t>(s.slices, 1)) + " to read it)",
              note);
      continue;
    }
    s.extent = extent_along_normal(s);
    candidates.push_back(std::move(s));
  }
  candidates = prefer_original(std::move(candidates), rules, note);

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
        exclude(s, "not the largest series of study " + printable(s.study_uid) + " (set series to \"all\" to read it)", note);
    }
    candidates = std::move(kept);
  }

  for (auto& s : candidates) s.error = refusal(s, rules);
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
