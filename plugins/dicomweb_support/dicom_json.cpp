#include "dicom_json.h"

#include <climits>
#include <cmath>
#include <cstdio>

#include "screener/json_input.h"

namespace screener::dicomweb {

namespace {

std::string number_text(const Json& value) {
  if (value.is_number_integer()) return std::to_string(value.get<int64_t>());
  const double v = value.get<double>();
  if (std::isfinite(v) && v == std::nearbyint(v) && std::fabs(v) < 1e15) return std::to_string(int64_t(v));
  char text[32];
  std::snprintf(text, sizeof text, "%.16g", v);
  return text;
}

std::string person_name(const Json& value) {
  std::string groups[3];
  const char* keys[3] = {"Alphabetic", "Ideographic", "Phonetic"};
  for (int i = 0; i < 3; ++i)
    if (auto it = value.find(keys[i]); it != value.end() && it->is_string()) groups[i] = it->get<std::string>();
  if (groups[2].empty() && groups[1].empty()) return groups[0];
  if (groups[2].empty()) return groups[0] + "=" + groups[1];
  return groups[0] + "=" + groups[1] + "=" + groups[2];
}

std::string value_text(const Json& value) {
  if (value.is_string()) return value.get<std::string>();
  if (value.is_number()) return number_text(value);
  if (value.is_object()) return person_name(value);
  return {};  // null: an empty value among several
}

}  // namespace

Json parse_dicom_json(std::string_view body, const std::string& what) {
  return parse_json_limited(body, JsonLimits{kMaxDicomJsonBytes, kMaxDicomJsonDepth}, what);
}

const Json* dicom_values(const Json& dataset, const char* tag) {
  if (!dataset.is_object()) return nullptr;
  const auto attribute = dataset.find(tag);
  if (attribute == dataset.end() || !attribute->is_object()) return nullptr;
  const auto values = attribute->find("Value");
  if (values == attribute->end() || !values->is_array() || values->empty()) return nullptr;
  return &*values;
}

std::vector<std::string> dicom_strings(const Json& dataset, const char* tag) {
  std::vector<std::string> out;
  if (const Json* values = dicom_values(dataset, tag))
    for (const auto& v : *values) out.push_back(value_text(v));
  return out;
}

std::string dicom_string(const Json& dataset, const char* tag) {
  std::string out;
  const auto values = dicom_strings(dataset, tag);
  for (std::size_t i = 0; i < values.size(); ++i) out += (i ? "\\" : "") + values[i];
  return out;
}

std::vector<double> dicom_numbers(const Json& dataset, const char* tag) {
  std::vector<double> out;
  const Json* values = dicom_values(dataset, tag);
  if (!values) return out;
  for (const auto& v : *values) {
    if (v.is_number()) {
      out.push_back(v.get<double>());
    } else if (v.is_string()) {
      try {
        out.push_back(std::stod(v.get<std::string>()));
      } catch (const std::exception&) {
        return {};
      }
    } else {
      return {};
    }
  }
  return out;
}

std::optional<double> dicom_number(const Json& dataset, const char* tag) {
  const auto values = dicom_numbers(dataset, tag);
  if (values.empty()) return std::nullopt;
  return values.front();
}

int dicom_integer(const Json& dataset, const char* tag, int fallback) {
  const auto v = dicom_number(dataset, tag);
  return v && std::isfinite(*v) && std::fabs(*v) <= double(INT_MAX) ? int(std::lround(*v)) : fallback;
}

const Json* dicom_item(const Json& dataset, const char* tag, std::size_t index) {
  const Json* values = dicom_values(dataset, tag);
  if (values) {  // a person name is an object too
    const Json& vr = dataset.at(tag).contains("vr") ? dataset.at(tag).at("vr") : Json("SQ");
    if (!vr.is_string() || vr.get<std::string>() != "SQ") return nullptr;
  }
  if (!values || index >= values->size() || !(*values)[index].is_object()) return nullptr;
  return &(*values)[index];
}

}  // namespace screener::dicomweb
