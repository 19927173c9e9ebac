// `screener train` and `screener eval`: runs of a pipeline whose last stage
// acts once at the end of the run (Stage::finish), composed here from the
// command line. The runtime knows nothing of training or metrics: it finds
// the stage that declares what it trains, or names the evaluation plugins.
#pragma once
#include <string>

#include "plugin_registry.h"
#include "screener/spec.h"

namespace screener::runtime {

// `doc` (a pipeline file) with its trainer set up: the one stage whose
// plugin declares a choice parameter `trains` offering `what`. Sets that
// parameter, and `resume` when asked. Throws Error when no stage or several
// stages can train `what`.
Json training_pipeline(Json doc, const PluginRegistry& registry, const std::string& what, bool resume);

struct EvaluationOptions {
  std::string truth;            // directory of ground-truth masks
  std::string map = "score";    // the map's file name stem in each study's folder
  double max_fpr = 0.3;
  int subsample = 0;            // 0: every voxel; N: up to N positive and N negative voxels per study
  int seed = 0;
};
// The two-stage pipeline eval_pairs → evaluator.
Json evaluation_pipeline(const EvaluationOptions& options);

}  // namespace screener::runtime
