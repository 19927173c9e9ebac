#include "attribute_checks.h"

#include <cmath>
#include <cstdio>
#include <limits>

namespace screener::dicom {

namespace {

bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool is_control(unsigned char c) { return c < 0x20 || c == 0x7f; }

bool all_digits(const std::string& s, std::size_t from, std::size_t count) {
  if (from + count > s.size()) return false;
  for (std::size_t i = from; i < from + count; ++i)
    if (!is_digit(s[i])) return false;
  return true;
}

// UTF-8 code points, ESC (ISO 2022 code extension, left when a character set
// could not be converted) not counted.
std::size_t characters(const std::string& s) {
  std::size_t n = 0;
  for (unsigned char c : s) n += (c & 0xC0) != 0x80 && c != 0x1B;
  return n;
}

std::string uid_problem(const std::string& v) {
  if (v.size() > 64) return "longer than 64 characters (UI)";
  if (v.front() == '.' || v.back() == '.' || v.find("..") != std::string::npos)
    return "not a DICOM UID (UI: digits separated by single dots)";
  for (char c : v)
    if (!is_digit(c) && c != '.') return "not a DICOM UID (UI: digits and dots only)";
  return {};
}

std::string date_problem(const std::string& v) {
  // YYYYMMDD; ACR-NEMA's YYYY.MM.DD is still met in old archives.
  const bool dicom = v.size() == 8 && all_digits(v, 0, 8);
  const bool acr_nema = v.size() == 10 && all_digits(v, 0, 4) && v[4] == '.' && all_digits(v, 5, 2) && v[7] == '.' &&
                        all_digits(v, 8, 2);
  return dicom || acr_nema ? std::string() : "not a DICOM date (DA: YYYYMMDD)";
}

std::string time_problem(const std::string& v) {
  // HH[MM[SS[.FFFFFF]]]; ACR-NEMA's HH:MM:SS too.
  if (v.size() > 16 || !all_digits(v, 0, 2)) return "not a DICOM time (TM: HHMMSS.FFFFFF)";
  for (char c : v)
    if (!is_digit(c) && c != '.' && c != ':') return "not a DICOM time (TM: HHMMSS.FFFFFF)";
  return {};
}

std::string code_problem(const std::string& v) {
  if (v.size() > 16) return "longer than 16 characters (CS)";
  for (char c : v)
    if (!((c >= 'A' && c <= 'Z') || is_digit(c) || c == ' ' || c == '_'))
      return "not a DICOM code string (CS: upper-case letters, digits, space, underscore)";
  return {};
}

std::string integer_problem(const std::string& v) {
  std::size_t i = (v.front() == '+' || v.front() == '-') ? 1 : 0;
  if (v.size() > 12 || i == v.size() || !all_digits(v, i, v.size() - i)) return "not a DICOM integer string (IS)";
  return {};
}

// LO, SH, PN: free text without control characters or backslash (the value
// delimiter; these attributes hold one value). Lengths are checked against
// LO's 64 characters (per PN component group): archives often hold SH values
// (AccessionNumber) longer than SH's 16.
std::string text_problem(const std::string& vr, const std::string& v) {
  for (unsigned char c : v) {
    if (c == 0x1B) continue;
    if (is_control(c)) return "holds control characters (" + vr + ")";
    if (c == '\\') return "holds a backslash, i.e. several values (" + vr + ")";
  }
  if (vr == "PN") {
    std::size_t groups = 1, start = 0;
    for (std::size_t end = 0; end <= v.size(); ++end) {
      if (end < v.size() && v[end] != '=') continue;
      if (characters(v.substr(start, end - start)) > 64) return "a name group longer than 64 characters (PN)";
      if (end < v.size()) ++groups;
      start = end + 1;
    }
    return groups > 3 ? "more than 3 name groups (PN)" : std::string();
  }
  return characters(v) > 64 ? "longer than 64 characters (" + vr + ")" : std::string();
}

const char* vr_of(const std::string& keyword) {
  static const std::pair<const char*, const char*> vrs[] = {
      {"PatientName", "PN"},       {"PatientID", "LO"},         {"PatientBirthDate", "DA"},
      {"PatientSex", "CS"},        {"StudyInstanceUID", "UI"},  {"StudyDate", "DA"},
      {"StudyTime", "TM"},         {"StudyID", "SH"},           {"AccessionNumber", "SH"},
      {"ReferringPhysicianName", "PN"}, {"StudyDescription", "LO"}, {"SeriesInstanceUID", "UI"},
      {"SeriesNumber", "IS"},      {"SeriesDescription", "LO"}, {"Modality", "CS"},
      {"FrameOfReferenceUID", "UI"}, {"SOPInstanceUID", "UI"},  {"SOPClassUID", "UI"}};
  for (const auto& [k, vr] : vrs)
    if (keyword == k) return vr;
  return nullptr;
}

}  // namespace

std::string printable(const std::string& value, std::size_t max_chars) {
  std::string out;
  for (std::size_t i = 0; i < value.size() && i < max_chars; ++i) {
    const auto c = static_cast<unsigned char>(value[i]);
    if (is_control(c)) {
      char hex[8];
      std::snprintf(hex, sizeof hex, "\\x%02X", c);
      out += hex;
    } else {
      out += char(c);
    }
  }
  if (value.size() > max_chars) out += "... (" + std::to_string(value.size()) + " bytes)";
  return out;
}

std::string vr_problem(const std::string& vr, const std::string& value) {
  if (value.empty()) return {};
  if (vr == "UI") return uid_problem(value);
  if (vr == "DA") return date_problem(value);
  if (vr == "TM") return time_problem(value);
  if (vr == "CS") return code_problem(value);
  if (vr == "IS") return integer_problem(value);
  return text_problem(vr, value);
}

std::string identity_problem(const DicomHeader& h) {
  std::vector<std::pair<std::string, std::string>> values = {{"StudyInstanceUID", h.study_uid},
                                                             {"SeriesInstanceUID", h.series_uid},
                                                             {"SOPInstanceUID", h.sop_instance_uid},
                                                             {"SOPClassUID", h.sop_class_uid}};
  values.insert(values.end(), h.identity.begin(), h.identity.end());
  for (const auto& [keyword, value] : values) {
    const char* vr = vr_of(keyword);
    if (!vr) continue;
    if (std::string problem = vr_problem(vr, value); !problem.empty())
      return keyword + " '" + printable(value) + "': " + problem;
  }
  return {};
}

int64_t voxel_count(int64_t rows, int64_t columns, int64_t slices) {
  constexpr int64_t kMax = std::numeric_limits<int64_t>::max();
  if (rows <= 0 || columns <= 0 || slices <= 0) return 0;
  if (rows > kMax / columns) return kMax;
  const int64_t plane = rows * columns;
  return plane > kMax / slices ? kMax : plane * slices;
}

std::string geometry_problem(const Geometry& g) {
  for (int a = 0; a < 3; ++a) {
    if (g.size[a] <= 0) return "axis " + std::to_string(a) + " has size " + std::to_string(g.size[a]);
    if (!std::isfinite(g.spacing[a]) || g.spacing[a] <= 0 || g.spacing[a] > kMaxSpacingMm)
      return "spacing along axis " + std::to_string(a) + " is " + std::to_string(g.spacing[a]) + " mm";
    if (!std::isfinite(g.origin[a])) return "origin is not finite";
    for (int b = 0; b < 3; ++b)
      if (!std::isfinite(g.direction[a][b])) return "direction is not finite";
  }
  return {};
}

}  // namespace screener::dicom
