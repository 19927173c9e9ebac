// A pipeline document checked against the plugins' declarations. Nothing is
// constructed here: a valid Pipeline is a plan the runner turns into a graph.
#pragma once
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "plugin_registry.h"

namespace screener::runtime {

struct PipelineStage {
  std::string id;
  const Plugin* plugin = nullptr;
  Json params;  // declared defaults overlaid with the document's values
  std::size_t json_index = 0;
};

struct PipelineEdge {
  std::size_t from_stage = 0, from_port = 0;
  std::size_t to_stage = 0, to_port = 0;
};

struct Pipeline {
  std::string name;
  std::vector<PipelineStage> stages;
  std::vector<PipelineEdge> edges;
  std::size_t source() const;  // index of the one source stage
};

struct Problem {
  std::string path;  // JSON path, e.g. "stages[3].params.clip_limit"
  std::string message;
  std::string str() const { return path + ": " + message; }
};

class PipelineError : public Error {
 public:
  explicit PipelineError(std::vector<Problem> problems);
  const std::vector<Problem>& problems() const { return problems_; }

 private:
  std::vector<Problem> problems_;
};

// Plugins (name, version), parameters with defaults and edges, hashed: two
// runs with the same fingerprint compute the same thing.
std::string pipeline_fingerprint(const Pipeline& pipeline);

// Limits on pipeline documents (README "Limits"): a real pipeline is a few KB.
inline constexpr std::size_t kMaxPipelineBytes = std::size_t(1) << 20;  // 1 MiB
inline constexpr int kMaxPipelineDepth = 64;                             // nested arrays/objects
inline constexpr std::size_t kMaxSetValueBytes = std::size_t(64) << 10;  // one --set, 64 KiB
inline constexpr std::size_t kMaxStageIdBytes = 128;

// Parses a file; a syntax error names the file, line and column. Throws
// Error for a file over kMaxPipelineBytes or nested deeper than
// kMaxPipelineDepth, before parsing.
Json read_pipeline_file(const std::filesystem::path& file);
// The same for a document in memory, named `what` in messages.
Json parse_pipeline_text(std::string_view text, const std::string& what);

// Applies `--set stage.param=value` overrides (value parsed as JSON, else a
// string); one over kMaxSetValueBytes or nested deeper than kMaxPipelineDepth
// is a problem.
void apply_overrides(Json& doc, const std::vector<std::string>& sets);

// Throws PipelineError listing every problem found.
Pipeline validate_pipeline(const Json& doc, const PluginRegistry& plugins);

}  // namespace screener::runtime
