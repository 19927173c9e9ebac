#include "pipeline.h"

#include "manifest.h"
#include "screener/json_input.h"

#include <algorithm>
#include <cctype>
#include <fstream>
#include <functional>
#include <map>
#include <sstream>

namespace screener::runtime {

namespace {

std::string join_problems(const std::vector<Problem>& problems) {
  std::string s;
  for (const auto& p : problems) s += (s.empty() ? "" : "\n") + p.str();
  return s;
}

std::string stage_path(std::size_t i) { return "stages[" + std::to_string(i) + "]"; }

// A letter, then letters, digits, '_' or '-' (a loop: std::regex recurses per
// character and a long enough id would overflow the stack).
bool is_identifier(const std::string& id) {
  if (id.empty() || id.size() > kMaxStageIdBytes || !std::isalpha(static_cast<unsigned char>(id[0]))) return false;
  for (unsigned char c : id)
    if (!std::isalnum(c) && c != '_' && c != '-') return false;
  return true;
}

const JsonLimits kPipelineLimits{kMaxPipelineBytes, kMaxPipelineDepth};
const JsonLimits kSetValueLimits{kMaxSetValueBytes, kMaxPipelineDepth};

bool compatible(const std::string& from, const std::string& to) {
  return from == to || from == payload_type::any || to == payload_type::any;
}

std::string port_names(const std::vector<PortSpec>& ports) {
  std::string s;
  for (const auto& p : ports) s += (s.empty() ? "" : ", ") + p.name;
  return s.empty() ? "none" : s;
}

struct Endpoint {
  std::size_t stage = 0, port = 0;
  bool ok = false;
};

class Validator {
 public:
  Validator(const Json& doc, const PluginRegistry& plugins) : doc_(doc), plugins_(plugins) {}

  Pipeline run() {
    if (!doc_.is_object()) {
      add("$", "expected a JSON object with \"stages\" and \"edges\"");
      throw PipelineError(problems_);
    }
    for (const auto& [key, _] : doc_.items())
      if (key != "name" && key != "description" && key != "stages" && key != "edges" && key != "$schema")
        add(key, "unknown key (expected name, description, stages, edges)");
    if (doc_.contains("name") && !doc_["name"].is_string()) add("name", "expected a string");
    pipeline_.name = doc_.contains("name") && doc_["name"].is_string() ? doc_["name"].get<std::string>() : "pipeline";
    stages();
    edges();
    if (!problems_.empty()) throw PipelineError(problems_);
    unconnected_inputs();
    sources();
    cycles();
    if (!problems_.empty()) throw PipelineError(problems_);
    return std::move(pipeline_);
  }

 private:
  void add(std::string path, std::string message) { problems_.push_back({std::move(path), std::move(message)}); }

  void stages() {
    const Json* stages = doc_.contains("stages") ? &doc_["stages"] : nullptr;
    if (!stages || !stages->is_array() || stages->empty()) {
      add("stages", !stages             ? std::string("missing: expected a non-empty array of stages")
                    : stages->is_array() ? std::string("expected a non-empty array of stages (it is empty)")
                                         : "expected a non-empty array of stages, got " +
                                               std::string(stages->type_name()));
      broken_ = true;  // edges naming stages are not judged against none
      return;
    }
    for (std::size_t i = 0; i < stages->size(); ++i) {
      const Json& s = (*stages)[i];
      const std::string path = stage_path(i);
      if (!s.is_object()) {
        add(path, "expected an object with \"id\" and \"plugin\"");
        continue;
      }
      for (const auto& [key, _] : s.items())
        if (key != "id" && key != "plugin" && key != "params" && key != "description")
          add(path + "." + key, "unknown key (expected id, plugin, params, description)");
      bool ok = true;
      if (!s.contains("id") || !s["id"].is_string() || !is_identifier(s["id"].get<std::string>())) {
        add(path + ".id", "expected an identifier (letter, then letters, digits, '_' or '-'; at most " +
                              std::to_string(kMaxStageIdBytes) + " characters)");
        ok = false;
      } else if (ids_.count(s["id"].get<std::string>())) {
        add(path + ".id", "duplicate stage id '" + s["id"].get<std::string>() + "' (also " +
                              stage_path(ids_[s["id"].get<std::string>()]) + ")");
        ok = false;
      }
      const Plugin* plugin = nullptr;
      if (!s.contains("plugin") || !s["plugin"].is_string()) {
        add(path + ".plugin", "expected the name of a plugin");
        ok = false;
      } else if (!(plugin = plugins_.find(s["plugin"].get<std::string>()))) {
        std::string known;
        for (const auto& p : plugins_.plugins()) known += (known.empty() ? "" : ", ") + p.name;
        add(path + ".plugin", "unknown plugin '" + s["plugin"].get<std::string>() + "' (found: " +
                                  (known.empty() ? "none" : known) + ")");
        ok = false;
      }
      const Json params = s.value("params", Json::object());
      if (plugin)
        for (auto& p : plugin->spec.check_params(params, path + ".params")) {
          add(p.path, p.message);
          ok = false;
        }
      if (!ok) {
        broken_ = true;
        continue;
      }
      ids_[s["id"].get<std::string>()] = pipeline_.stages.size();
      pipeline_.stages.push_back({s["id"].get<std::string>(), plugin, plugin->spec.with_defaults(params), i});
    }
  }

  Endpoint endpoint(const Json& value, const std::string& path, bool output) {
    if (!value.is_string()) {
      add(path, "expected \"stage.port\" (or \"stage\" when it has one " + std::string(output ? "output" : "input") +
                    ")");
      return {};
    }
    const std::string text = value.get<std::string>();
    const auto dot = text.find('.');
    const std::string stage = text.substr(0, dot);
    auto it = ids_.find(stage);
    if (it == ids_.end()) {
      // A stage that failed its own checks was already reported.
      if (!broken_) add(path, "unknown stage '" + stage + "'");
      return {};
    }
    const auto& spec = pipeline_.stages[it->second].plugin->spec;
    const auto& ports = output ? spec.outputs() : spec.inputs();
    const std::string kind = output ? "output" : "input";
    if (dot == std::string::npos) {
      if (ports.size() != 1) {
        add(path, "stage '" + stage + "' has " + std::to_string(ports.size()) + " " + kind +
                      " ports; name one (" + port_names(ports) + ")");
        return {};
      }
      return {it->second, 0, true};
    }
    const std::string port = text.substr(dot + 1);
    for (std::size_t p = 0; p < ports.size(); ++p)
      if (ports[p].name == port) return {it->second, p, true};
    add(path, "stage '" + stage + "' has no " + kind + " port '" + port + "' (" + kind + " ports: " +
                  port_names(ports) + ")");
    return {};
  }

  void edges() {
    if (!doc_.contains("edges")) {
      if (pipeline_.stages.size() > 1) add("edges", "missing: expected an array of {\"from\", \"to\"}");
      return;
    }
    const Json& edges = doc_["edges"];
    if (!edges.is_array()) {
      add("edges", "expected an array of {\"from\", \"to\"}");
      return;
    }
    for (std::size_t i = 0; i < edges.size(); ++i) {
      const std::string path = "edges[" + std::to_string(i) + "]";
      const Json& e = edges[i];
      if (!e.is_object() || !e.contains("from") || !e.contains("to")) {
        add(path, "expected an object {\"from\": \"stage.port\", \"to\": \"stage.port\"}");
        continue;
      }
      Endpoint from = endpoint(e["from"], path + ".from", true);
      Endpoint to = endpoint(e["to"], path + ".to", false);
      if (!from.ok || !to.ok) continue;
      const auto& out = pipeline_.stages[from.stage].plugin->spec.outputs()[from.port];
      const auto& in = pipeline_.stages[to.stage].plugin->spec.inputs()[to.port];
      if (!compatible(out.payload, in.payload)) {
        add(path, "type mismatch: '" + e["from"].get<std::string>() + "' carries " + out.payload + " but '" +
                      e["to"].get<std::string>() + "' expects " + in.payload);
        continue;
      }
      const auto key = std::make_pair(to.stage, to.port);
      if (auto prev = feeders_.find(key); prev != feeders_.end()) {
        add(path + ".to", "input '" + e["to"].get<std::string>() + "' is already fed by edges[" +
                              std::to_string(prev->second) + "]; an input port takes one edge");
        continue;
      }
      feeders_[key] = i;
      pipeline_.edges.push_back({from.stage, from.port, to.stage, to.port});
    }
  }

  void unconnected_inputs() {
    for (std::size_t s = 0; s < pipeline_.stages.size(); ++s) {
      const auto& st = pipeline_.stages[s];
      const auto& inputs = st.plugin->spec.inputs();
      for (std::size_t p = 0; p < inputs.size(); ++p)
        if (!feeders_.count({s, p}))
          add(stage_path(st.json_index), "input port '" + st.id + "." + inputs[p].name + "' (" + inputs[p].payload +
                                             ") is not connected: no edge has \"to\": \"" + st.id + "." +
                                             inputs[p].name + "\"");
    }
  }

  void sources() {
    std::vector<std::size_t> found;
    for (std::size_t s = 0; s < pipeline_.stages.size(); ++s)
      if (pipeline_.stages[s].plugin->spec.is_source()) found.push_back(s);
    if (found.empty()) add("stages", "no source stage (a stage without inputs, e.g. a reader)");
    for (std::size_t k = 1; k < found.size(); ++k)
      add(stage_path(pipeline_.stages[found[k]].json_index),
          "a second source stage '" + pipeline_.stages[found[k]].id + "' (the first is '" +
              pipeline_.stages[found[0]].id + "'); a pipeline has exactly one");
  }

  // Iterative depth-first search: a long chain of stages must not be a deep recursion.
  void cycles() {
    const std::size_t n = pipeline_.stages.size();
    std::vector<std::vector<std::size_t>> next(n);
    for (const auto& e : pipeline_.edges) next[e.from_stage].push_back(e.to_stage);
    std::vector<int> state(n, 0);  // 0 new, 1 on the stack, 2 done
    std::vector<std::pair<std::size_t, std::size_t>> stack;  // stage, next successor to look at
    for (std::size_t root = 0; root < n; ++root) {
      if (state[root] != 0) continue;
      stack.push_back({root, 0});
      state[root] = 1;
      while (!stack.empty()) {
        auto& [s, k] = stack.back();
        if (k == next[s].size()) {
          state[s] = 2;
          stack.pop_back();
          continue;
        }
        const std::size_t t = next[s][k++];
        if (state[t] == 1) {
          std::string loop;
          auto it = std::find_if(stack.begin(), stack.end(), [&](const auto& f) { return f.first == t; });
          for (; it != stack.end(); ++it) loop += pipeline_.stages[it->first].id + " -> ";
          add("edges", "cycle: " + loop + pipeline_.stages[t].id);
          return;
        }
        if (state[t] == 0) {
          state[t] = 1;
          stack.push_back({t, 0});
        }
      }
    }
  }

  const Json& doc_;
  const PluginRegistry& plugins_;
  Pipeline pipeline_;
  std::vector<Problem> problems_;
  std::map<std::string, std::size_t> ids_;
  std::map<std::pair<std::size_t, std::size_t>, std::size_t> feeders_;
  bool broken_ = false;
};

}  // namespace

std::size_t Pipeline::source() const {
  for (std::size_t s = 0; s < stages.size(); ++s)
    if (stages[s].plugin->spec.is_source()) return s;
  throw Error("pipeline has no source stage");
}

std::string pipeline_fingerprint(const Pipeline& p) {
  Json j = Json::array();
  for (const auto& s : p.stages) j.push_back({s.id, s.plugin->name, s.plugin->version, s.params});
  for (const auto& e : p.edges) j.push_back({e.from_stage, e.from_port, e.to_stage, e.to_port});
  return fingerprint(j.dump());
}

PipelineError::PipelineError(std::vector<Problem> problems)
    : Error(join_problems(problems)), problems_(std::move(problems)) {}

Json read_pipeline_file(const std::filesystem::path& file) {
  const std::string what = "pipeline '" + file.string() + "'";
  std::error_code ec;
  if (std::filesystem::is_directory(file, ec)) throw Error(what + " is a directory, not a JSON file");
  const auto size = std::filesystem::file_size(file, ec);
  if (!ec && size > kMaxPipelineBytes)
    throw Error(what + ": " + std::to_string(size) + " bytes, more than the limit of " +
                std::to_string(kMaxPipelineBytes));
  std::ifstream in(file, std::ios::binary);
  if (!in) throw Error("cannot open " + what);
  // Read at most one byte past the limit: a file that grows meanwhile is still refused.
  std::string text(kMaxPipelineBytes + 1, '\0');
  in.read(text.data(), std::streamsize(text.size()));
  text.resize(std::size_t(in.gcount()));
  return parse_json_limited(text, kPipelineLimits, what);
}

Json parse_pipeline_text(std::string_view text, const std::string& what) {
  return parse_json_limited(text, kPipelineLimits, what);
}

void apply_overrides(Json& doc, const std::vector<std::string>& sets) {
  std::vector<Problem> problems;
  for (std::size_t i = 0; i < sets.size(); ++i) {
    const std::string& s = sets[i];
    const std::string path = "--set " + s;
    const auto eq = s.find('='), dot = s.find('.');
    if (eq == std::string::npos || dot == std::string::npos || dot > eq || dot == 0 || dot + 1 == eq) {
      problems.push_back({path, "expected stage.param=value"});
      continue;
    }
    if (s.size() > kMaxSetValueBytes) {
      problems.push_back({"--set " + s.substr(0, 40) + "...", std::to_string(s.size()) +
                                                                  " bytes, more than the limit of " +
                                                                  std::to_string(kMaxSetValueBytes)});
      continue;
    }
    const std::string stage = s.substr(0, dot), key = s.substr(dot + 1, eq - dot - 1), text = s.substr(eq + 1);
    if (json_nesting_depth(text, kMaxPipelineDepth) > kMaxPipelineDepth) {
      problems.push_back({path.substr(0, 80), "the value nests arrays/objects more than " +
                                                  std::to_string(kMaxPipelineDepth) + " deep (the limit)"});
      continue;
    }
    Json value = Json::parse(text, nullptr, false);
    if (value.is_discarded()) {
      value = text;
      try {
        (void)value.dump();  // JSON strings are UTF-8: the pipeline's fingerprint and messages dump them
      } catch (const Json::type_error&) {
        problems.push_back({path.substr(0, 80), "the value is not valid UTF-8"});
        continue;
      }
    }
    bool found = false;
    if (doc.is_object() && doc.contains("stages") && doc["stages"].is_array())
      for (std::size_t k = 0; k < doc["stages"].size(); ++k) {
        Json& st = doc["stages"][k];
        if (!st.is_object() || !st.contains("id") || !st["id"].is_string() || st["id"].get<std::string>() != stage)
          continue;
        found = true;
        if (!st.contains("params")) st["params"] = Json::object();
        if (!st["params"].is_object()) {
          problems.push_back({stage_path(k) + ".params", "expected an object (" + path + ")"});
          continue;
        }
        st["params"][key] = value;
      }
    if (!found) problems.push_back({path, "no stage with id '" + stage + "'"});
  }
  if (!problems.empty()) throw PipelineError(problems);
}

Pipeline validate_pipeline(const Json& doc, const PluginRegistry& plugins) { return Validator(doc, plugins).run(); }

}  // namespace screener::runtime
