#include "tasks.h"

#include <algorithm>

#include "screener/error.h"

namespace screener::runtime {

Json training_pipeline(Json doc, const PluginRegistry& registry, const std::string& what, bool resume) {
  if (!doc.contains("stages") || !doc["stages"].is_array()) throw Error("the training configuration has no stages");
  std::vector<Json*> trainers;
  std::vector<std::string> offered;
  for (auto& stage : doc["stages"]) {
    const Plugin* plugin = stage.contains("plugin") && stage["plugin"].is_string()
                               ? registry.find(stage["plugin"].get<std::string>())
                               : nullptr;
    const ParamSpec* trains = plugin ? plugin->spec.find_param("trains") : nullptr;
    if (!trains || trains->type != ParamType::choice) continue;
    const auto& c = trains->choices;
    for (const auto& t : c) offered.push_back(t + " (stage '" + stage.value("id", std::string()) + "')");
    if (std::find(c.begin(), c.end(), what) != c.end()) trainers.push_back(&stage);
  }
  if (trainers.empty()) {
    std::string list;
    for (const auto& o : offered) list += (list.empty() ? "" : ", ") + o;
    throw Error("no stage of this configuration trains '" + what + "'" +
                (offered.empty() ? std::string(" (it has no trainer stage)") : "; it can train: " + list));
  }
  if (trainers.size() > 1) throw Error("several stages of this configuration can train '" + what + "'");
  Json& params = (*trainers[0])["params"];
  if (!params.is_object()) params = Json::object();
  params["trains"] = what;
  if (resume) params["resume"] = true;
  return doc;
}

Json evaluation_pipeline(const EvaluationOptions& o) {
  Json evaluator_params = {{"max_fpr", o.max_fpr}, {"subsample", o.subsample}, {"seed", o.seed}};
  return {
      {"name", "evaluation"},
      {"description", "Voxel- and sample-level metrics of anomaly maps against ground-truth masks"},
      {"stages",
       Json::array({{{"id", "pairs"}, {"plugin", "eval_pairs"}, {"params", {{"truth", o.truth}, {"map", o.map}}}},
                    {{"id", "metrics"}, {"plugin", "evaluator"}, {"params", evaluator_params}}})},
      {"edges", Json::array({{{"from", "pairs.map"}, {"to", "metrics.map"}},
                             {{"from", "pairs.truth"}, {"to", "metrics.truth"}}})}};
}

}  // namespace screener::runtime
