#include "screener/spec.h"

#include <algorithm>
#include <cmath>
#include <sstream>

namespace screener {

const char* param_type_name(ParamType t) {
  switch (t) {
    case ParamType::boolean: return "bool";
    case ParamType::integer: return "int";
    case ParamType::number: return "number";
    case ParamType::string: return "string";
    case ParamType::choice: return "choice";
    case ParamType::number_list: return "number[]";
    case ParamType::integer_list: return "int[]";
    case ParamType::string_list: return "string[]";
  }
  return "?";
}

namespace {
std::string fmt_num(double v) {
  std::ostringstream s;
  s << v;
  return s.str();
}

bool is_integer(const Json& v) {
  if (v.is_number_integer()) return true;
  return v.is_number_float() && std::floor(v.get<double>()) == v.get<double>() && std::isfinite(v.get<double>());
}

std::string describe(const Json& v) {
  // Messages must not throw: text that is not UTF-8 is shown with U+FFFD.
  const std::string s = v.dump(-1, ' ', false, Json::error_handler_t::replace);
  return s.size() > 60 ? s.substr(0, 57) + "..." : s;
}
}  // namespace

std::string ParamSpec::expectation() const {
  std::string what;
  switch (type) {
    case ParamType::boolean: return "true or false";
    case ParamType::string: return "a string";
    case ParamType::choice: {
      what = "one of ";
      for (std::size_t i = 0; i < choices.size(); ++i) what += (i ? ", \"" : "\"") + choices[i] + "\"";
      return what;
    }
    case ParamType::integer: what = "an integer"; break;
    case ParamType::number: what = "a number"; break;
    case ParamType::integer_list: what = "a list of integers"; break;
    case ParamType::number_list: what = "a list of numbers"; break;
    case ParamType::string_list: what = "a list of strings"; break;
  }
  if (list_length) what += " of length " + std::to_string(*list_length);
  if (min && max) what += " in [" + fmt_num(*min) + ", " + fmt_num(*max) + "]";
  else if (min) what += " >= " + fmt_num(*min);
  else if (max) what += " <= " + fmt_num(*max);
  return what;
}

std::optional<std::string> ParamSpec::check(const Json& value) const {
  auto bad = [&] { return "expected " + expectation() + ", got " + describe(value); };
  auto in_range = [&](double x) { return (!min || x >= *min) && (!max || x <= *max) && std::isfinite(x); };
  switch (type) {
    case ParamType::boolean:
      if (!value.is_boolean()) return bad();
      return std::nullopt;
    case ParamType::string:
      if (!value.is_string()) return bad();
      return std::nullopt;
    case ParamType::choice:
      if (!value.is_string() || std::find(choices.begin(), choices.end(), value.get<std::string>()) == choices.end())
        return bad();
      return std::nullopt;
    case ParamType::integer:
      if (!is_integer(value) || !in_range(value.get<double>())) return bad();
      return std::nullopt;
    case ParamType::number:
      if (!value.is_number() || !in_range(value.get<double>())) return bad();
      return std::nullopt;
    case ParamType::number_list:
    case ParamType::integer_list:
    case ParamType::string_list: {
      if (!value.is_array() || (list_length && value.size() != *list_length)) return bad();
      for (const auto& e : value) {
        if (type == ParamType::string_list ? !e.is_string()
                                           : !(type == ParamType::integer_list ? is_integer(e) : e.is_number()) ||
                                                 !in_range(e.get<double>()))
          return bad();
      }
      return std::nullopt;
    }
  }
  return bad();
}

std::string Concurrency::str() const {
  switch (mode) {
    case Mode::serial: return "serial";
    case Mode::limited: return std::to_string(limit);
    case Mode::unlimited: return "unlimited";
    case Mode::device: return "serial per device";
  }
  return "?";
}

StageSpec& StageSpec::input(std::string name, std::string_view payload, std::string description) {
  inputs_.push_back({std::move(name), std::string(payload), std::move(description)});
  return *this;
}

StageSpec& StageSpec::output(std::string name, std::string_view payload, std::string description) {
  outputs_.push_back({std::move(name), std::string(payload), std::move(description)});
  return *this;
}

ParamSpec& StageSpec::param(std::string key, ParamType type, Json default_value, std::string description) {
  ParamSpec p;
  p.key = std::move(key);
  p.type = type;
  p.default_value = std::move(default_value);
  p.description = std::move(description);
  params_.push_back(std::move(p));
  return params_.back();
}

ParamSpec& StageSpec::flag(std::string key, bool v, std::string d) {
  return param(std::move(key), ParamType::boolean, v, std::move(d));
}
ParamSpec& StageSpec::integer(std::string key, int64_t v, std::string d) {
  return param(std::move(key), ParamType::integer, v, std::move(d));
}
ParamSpec& StageSpec::number(std::string key, double v, std::string d) {
  return param(std::move(key), ParamType::number, v, std::move(d));
}
ParamSpec& StageSpec::text(std::string key, std::string v, std::string d) {
  return param(std::move(key), ParamType::string, std::move(v), std::move(d));
}
ParamSpec& StageSpec::choice(std::string key, std::vector<std::string> choices, std::string v, std::string d) {
  auto& p = param(std::move(key), ParamType::choice, std::move(v), std::move(d));
  p.choices = std::move(choices);
  return p;
}

StageSpec& StageSpec::batches(int64_t default_size, double default_timeout_ms) {
  batches_ = true;
  integer("batch_size", default_size, "Items per call of the stage; a batch may mix studies").range(1, 4096);
  number("batch_timeout_ms", default_timeout_ms, "How long a partial batch waits for more items").range(0, 60000);
  return *this;
}

std::string StageSpec::kind() const {
  if (is_source()) return "source";
  if (is_sink()) return "sink";
  return "transform";
}

const ParamSpec* StageSpec::find_param(const std::string& key) const {
  for (const auto& p : params_)
    if (p.key == key) return &p;
  return nullptr;
}
const PortSpec* StageSpec::find_input(const std::string& name) const {
  for (const auto& p : inputs_)
    if (p.name == name) return &p;
  return nullptr;
}
const PortSpec* StageSpec::find_output(const std::string& name) const {
  for (const auto& p : outputs_)
    if (p.name == name) return &p;
  return nullptr;
}

std::vector<StageSpec::ParamProblem> StageSpec::check_params(const Json& params, const std::string& path) const {
  std::vector<ParamProblem> problems;
  if (!params.is_object()) {
    problems.push_back({path, "expected an object of parameters, got " + describe(params)});
    return problems;
  }
  for (const auto& [key, value] : params.items()) {
    const ParamSpec* p = find_param(key);
    if (!p) {
      std::string known;
      for (const auto& q : params_) known += (known.empty() ? "" : ", ") + q.key;
      problems.push_back({path + "." + key, "unknown parameter (known: " + (known.empty() ? "none" : known) + ")"});
      continue;
    }
    if (auto err = p->check(value)) problems.push_back({path + "." + key, *err});
  }
  return problems;
}

Json StageSpec::with_defaults(const Json& params) const {
  Json out = Json::object();
  for (const auto& p : params_) out[p.key] = p.default_value;
  if (params.is_object())
    for (const auto& [key, value] : params.items()) out[key] = value;
  return out;
}

Json StageSpec::to_json() const {
  auto ports = [](const std::vector<PortSpec>& v) {
    Json a = Json::array();
    for (const auto& p : v) a.push_back({{"name", p.name}, {"payload", p.payload}, {"description", p.description}});
    return a;
  };
  Json params = Json::array();
  for (const auto& p : params_) {
    Json j = {{"key", p.key}, {"type", param_type_name(p.type)}, {"default", p.default_value},
              {"description", p.description}, {"expects", p.expectation()}};
    if (p.min) j["min"] = *p.min;
    if (p.max) j["max"] = *p.max;
    if (!p.choices.empty()) j["choices"] = p.choices;
    if (p.list_length) j["length"] = *p.list_length;
    params.push_back(std::move(j));
  }
  return {{"kind", kind()}, {"inputs", ports(inputs_)}, {"outputs", ports(outputs_)}, {"parameters", params},
          {"concurrency", concurrency_.str()}, {"expands", expands_}, {"batches", batches_}};
}

}  // namespace screener
