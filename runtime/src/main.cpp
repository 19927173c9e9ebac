// screener: inspect plugins, validate pipelines, run them.
#include <CLI/CLI.hpp>
#include <spdlog/spdlog.h>

#include <csignal>
#include <cstdio>
#include <iostream>
#include <optional>
#include <string_view>

#include "pipeline.h"
#include "plugin_registry.h"
#include "process_memory.h"
#include "progress.h"
#include "screener/files.h"
#include "runner.h"
#include "tasks.h"

using namespace screener;
using namespace screener::runtime;
namespace fs = std::filesystem;

namespace {

std::atomic<bool> g_stop{false};

void on_signal(int sig) {
  if (g_stop.exchange(true)) {
    // Second signal: stop now, with the default action.
    std::signal(sig, SIG_DFL);
    std::raise(sig);
  }
}

void print_plugin_list(const PluginRegistry& reg, bool json) {
  if (json) {
    Json list = Json::array(), refused = Json::array();
    for (const auto& p : reg.plugins())
      list.push_back({{"name", p.name}, {"kind", p.spec.kind()}, {"version", p.version},
                      {"abi", std::to_string(p.abi_major) + "." + std::to_string(p.abi_minor)},
                      {"file", p.file.string()}, {"description", p.description}});
    for (const auto& r : reg.refused()) refused.push_back({{"file", r.file.string()}, {"reason", r.reason}});
    std::cout << Json{{"plugins", list}, {"refused", refused}}.dump(2) << "\n";
    return;
  }
  std::printf("%-24s %-10s %-9s %-5s %s\n", "NAME", "KIND", "VERSION", "ABI", "FILE");
  for (const auto& p : reg.plugins())
    std::printf("%-24s %-10s %-9s %u.%-3u %s\n", p.name.c_str(), p.spec.kind().c_str(), p.version.c_str(),
                p.abi_major, p.abi_minor, p.file.c_str());
  if (reg.plugins().empty()) std::printf("(no plugins found)\n");
  for (const auto& r : reg.refused()) std::printf("refused %s: %s\n", r.file.c_str(), r.reason.c_str());
}

void print_plugin(const Plugin& p, bool json) {
  Json j = p.spec.to_json();
  j["name"] = p.name;
  j["version"] = p.version;
  j["description"] = p.description;
  j["abi"] = std::to_string(p.abi_major) + "." + std::to_string(p.abi_minor);
  j["file"] = p.file.string();
  j["compiler_identity"] = p.compiler_identity;
  if (json) {
    std::cout << j.dump(2) << "\n";
    return;
  }
  std::printf("Plugin %s %s\n  %s\n\n", p.name.c_str(), p.version.c_str(), p.description.c_str());
  std::printf("  Kind          %s\n  Concurrency   %s%s\n  ABI           %u.%u\n  File          %s\n  Built by      %s\n",
              p.spec.kind().c_str(), p.spec.concurrency().str().c_str(),
              p.spec.is_expanding() ? " (expands: items are pulled lazily)" : "", p.abi_major, p.abi_minor,
              p.file.c_str(), p.compiler_identity.c_str());
  auto ports = [](const char* title, const std::vector<PortSpec>& v) {
    std::printf("\n%s\n", title);
    if (v.empty()) std::printf("  (none)\n");
    for (const auto& port : v)
      std::printf("  %-18s %-8s %s\n", port.name.c_str(), port.payload.c_str(), port.description.c_str());
  };
  ports("Inputs", p.spec.inputs());
  ports("Outputs", p.spec.outputs());
  std::printf("\nParameters\n");
  if (p.spec.params().empty()) std::printf("  (none)\n");
  for (const auto& param : p.spec.params()) {
    std::printf("  %-22s %-9s default %s\n", param.key.c_str(), param_type_name(param.type),
                param.default_value.dump().c_str());
    std::printf("  %-22s expects %s\n  %-22s %s\n", "", param.expectation().c_str(), "", param.description.c_str());
  }
}

// Every plugin on the search path, or (with `only`) just the plugins named.
PluginRegistry load_registry(const std::vector<std::string>& dirs,
                             const std::optional<std::vector<std::string>>& only = std::nullopt) {
  const auto path = PluginRegistry::search_path(std::vector<fs::path>(dirs.begin(), dirs.end()));
  PluginRegistry reg;
  if (only)
    reg.scan_for(path, *only);
  else
    reg.scan(path);
  return reg;
}

// The plugins a pipeline document names; validation judges the rest of it.
std::vector<std::string> plugin_names(const Json& doc) {
  std::vector<std::string> names;
  if (!doc.is_object() || !doc.contains("stages") || !doc["stages"].is_array()) return names;
  for (const auto& stage : doc["stages"])
    if (stage.is_object() && stage.contains("plugin") && stage["plugin"].is_string())
      names.push_back(stage["plugin"].get<std::string>());
  return names;
}

// Every study's latest record over the manifests of `dirs`: one line per study
// however many shards or re-runs touched it.
int merge_manifests(const std::vector<std::string>& dirs, const std::string& output) {
  std::vector<fs::path> paths(dirs.begin(), dirs.end());
  const auto latest = read_manifests(paths);
  Json studies = Json::array();
  std::map<std::string, int> counts;
  for (const auto& [id, r] : latest) {
    studies.push_back(r.to_json());
    ++counts[r.status];
  }
  const Json report = {{"directories", dirs}, {"studies", studies}, {"counts", counts}, {"total", latest.size()}};
  if (output.empty()) std::cout << report.dump(2) << "\n";
  else write_file_atomic(output, report.dump(2) + "\n");
  return counts.count("failed") ? 1 : 0;
}

// Why a run found nothing: the source's notes on the candidates it left out
// (they start with "excluded: " and name the parameter that would admit
// them), else its first notes. All of them are in run_summary.json.
void report_no_studies(const RunReport& report, const RunOptions& opt) {
  std::fprintf(stderr, "no studies found in '%s'\n", opt.input.c_str());
  constexpr std::string_view kExcluded = "excluded: ";
  constexpr std::size_t kShown = 30;
  std::vector<std::string> excluded;
  for (const auto& n : report.notes)
    if (n.compare(0, kExcluded.size(), kExcluded) == 0) excluded.push_back(n.substr(kExcluded.size()));
  const auto& shown = excluded.empty() ? report.notes : excluded;
  if (shown.empty()) return;
  std::fprintf(stderr, "%s\n", excluded.empty() ? "the source noted:" : "left out:");
  for (std::size_t i = 0; i < shown.size() && i < kShown; ++i) std::fprintf(stderr, "  %s\n", shown[i].c_str());
  if (shown.size() > kShown)
    std::fprintf(stderr, "  ... %zu more in %s\n", shown.size() - kShown,
                 (opt.output_dir / ("run_summary" + opt.shard.suffix() + ".json")).c_str());
}

int report_problems(const std::string& file, const PipelineError& e) {
  std::fprintf(stderr, "%s: invalid pipeline\n", file.c_str());
  for (const auto& p : e.problems()) std::fprintf(stderr, "  %s: %s\n", p.path.c_str(), p.message.c_str());
  return 2;
}

// Validates `doc` (named `label` in messages) and runs it; the exit code.
int run_pipeline(Json doc, const std::string& label, const std::vector<std::string>& sets,
                 const PluginRegistry& registry, RunOptions opt) {
  Pipeline pipeline;
  try {
    apply_overrides(doc, sets);
    pipeline = validate_pipeline(doc, registry);
  } catch (const PipelineError& e) {
    return report_problems(label, e);
  }
  opt.stop = &g_stop;
  Progress progress(stderr, opt.progress_interval_s);
  opt.on_progress = [&](const RunReport& r, const StudyRecord* s, std::size_t total) { progress.update(r, s, total); };
  RunReport report = Runner(pipeline, opt).run();
  progress.close();
  std::fprintf(stderr, "%d of %zu studies done, %d skipped (done before), %d failed%s; %.1f s; summary: %s\n",
               report.count("done"), report.studies.size(), report.count("skipped"),
               report.count("failed") + report.count("incomplete"), report.interrupted ? " (interrupted)" : "",
               report.wall_seconds, (opt.output_dir / ("run_summary" + opt.shard.suffix() + ".json")).c_str());
  for (const auto& [stage, files] : report.finish_outputs)
    for (const auto& f : files) std::fprintf(stderr, "%s wrote %s\n", stage.c_str(), f.c_str());
  for (const auto& [stage, error] : report.finish_errors) std::fprintf(stderr, "%s failed: %s\n", stage.c_str(), error.c_str());
  if (report.studies.empty() && report.archive_studies > 0)
    std::fprintf(stderr, "none of the %d studies in '%s' fall in shard %s\n", report.archive_studies, opt.input.c_str(),
                 report.shard.c_str());
  else if (report.studies.empty())
    report_no_studies(report, opt);
  if (report.studies.empty() && report.archive_studies == 0 && !opt.allow_empty)
    std::fprintf(stderr, "a run with no study to process has failed (exit 1); --allow-empty makes it succeed\n");
  return report.exit_code();
}

void add_run_options(CLI::App* cmd, RunOptions& opt) {
  cmd->add_option("--threads", opt.threads, "CPU threads (0: all cores)")->check(CLI::NonNegativeNumber);
  cmd->add_option("--max-in-flight", opt.max_studies_in_flight, "Studies inside the graph at once")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  cmd->add_option("--max-patches-in-flight", opt.max_items_per_study,
                  "Items (patches) of one study in flight after an expanding stage")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  cmd->add_option("--progress-interval", opt.progress_interval_s,
                  "Seconds between the lines about studies in flight when stderr is not a terminal (0: none)")
      ->check(CLI::NonNegativeNumber)
      ->capture_default_str();
}

}  // namespace

int main(int argc, char** argv) {
  keep_freed_blocks_for_reuse();
  CLI::App app{"Screener: label-free pathology screening of 3D CT, as a pipeline of plugin stages", "screener"};
  app.set_version_flag("--version", std::string("screener ") + SCREENER_VERSION + " (plugin ABI " +
                                        std::to_string(SCREENER_ABI_MAJOR) + "." + std::to_string(SCREENER_ABI_MINOR) +
                                        ")");
  app.require_subcommand(1);
  app.fallthrough();  // global options (--plugins, --log-level) also after the subcommand
  std::vector<std::string> plugin_dirs;
  app.add_option("--plugins", plugin_dirs, "Directory searched for plugins first (repeatable)");
  std::string log_level = "info";
  app.add_option("--log-level", log_level, "trace, debug, info, warn, error or off")->capture_default_str();

  auto* inspect = app.add_subcommand("inspect", "List plugins, or describe one");
  std::string plugin_name;
  bool inspect_json = false;
  inspect->add_option("plugin", plugin_name, "Plugin to describe");
  inspect->add_flag("--json", inspect_json, "Print JSON");

  auto* validate = app.add_subcommand("validate", "Check a pipeline without running it");
  std::string validate_file;
  validate->add_option("pipeline", validate_file, "Pipeline JSON file")->required();
  std::vector<std::string> validate_sets;
  validate->add_option("--set", validate_sets, "Override a parameter: stage.param=value (repeatable)");

  auto* run = app.add_subcommand("run", "Run a pipeline over the studies found in --input");
  std::string run_file;
  RunOptions opt;
  std::vector<std::string> sets;
  std::string output;
  run->add_option("pipeline", run_file, "Pipeline JSON file")->required();
  run->add_option("--input,-i", opt.input, "What the source stage reads (directory, file, URL)")->required();
  run->add_option("--output,-o", output, "Output directory")->required();
  run->add_option("--set", sets, "Override a parameter: stage.param=value (repeatable)");
  add_run_options(run, opt);
  std::string shard;
  run->add_option("--shard", shard,
                  "Process part I of N of the archive (0-based, split by study); default: the Slurm array task "
                  "(SLURM_ARRAY_TASK_ID/_MIN/_COUNT), else all");
  run->add_flag("--retry-failed", opt.retry_failed, "Run again the studies an earlier run recorded as failed");
  run->add_flag("--allow-empty", opt.allow_empty,
                "Exit 0 when no study is found (every candidate skipped as unusable, or none at all)");

  auto* train = app.add_subcommand("train", "Train a model: run a training configuration (a pipeline ending in a trainer)");
  std::string train_what, train_config;
  bool train_resume = false;
  train->add_option("model", train_what, "What to train: descriptor, condition or density")->required();
  train->add_option("--config,-c", train_config, "Training configuration (pipeline JSON)")->required();
  train->add_option("--input,-i", opt.input, "The unlabeled studies to train on")->required();
  train->add_option("--output,-o", output, "Output directory (checkpoints, loss log)")->required();
  train->add_option("--set", sets, "Override a parameter: stage.param=value (repeatable)");
  train->add_flag("--resume", train_resume, "Continue from the last checkpoint in --output");
  add_run_options(train, opt);

  auto* eval = app.add_subcommand("eval", "Score anomaly maps against ground-truth masks (AUROC, AUPRO, AP)");
  EvaluationOptions eval_opt;
  eval->add_option("--maps,-m", opt.input, "Output directory of a run: <study>/<map>.nii.gz")->required();
  eval->add_option("--truth,-t", eval_opt.truth, "Ground-truth masks (NIfTI or DICOM SEG)")->required();
  eval->add_option("--output,-o", output, "Where the report goes (eval.json, eval_curves.png)")->required();
  eval->add_option("--map", eval_opt.map, "The map's file name stem")->capture_default_str();
  eval->add_option("--max-fpr", eval_opt.max_fpr, "Upper FPR of the partial AUROC and AUPRO")
      ->check(CLI::Range(1e-6, 1.0))
      ->capture_default_str();
  eval->add_option("--subsample", eval_opt.subsample,
                   "Official protocol: at most N positive and N negative voxels per study (0: every voxel)")
      ->check(CLI::NonNegativeNumber);
  eval->add_option("--seed", eval_opt.seed, "Seed of the subsampling")->capture_default_str();
  eval->add_option("--set", sets, "Override a parameter: stage.param=value (repeatable)");
  add_run_options(eval, opt);

  auto* merge = app.add_subcommand("merge-manifests", "One report over the manifests of output directories (shards)");
  std::vector<std::string> merge_dirs;
  std::string merge_output;
  merge->add_option("dirs", merge_dirs, "Output directories")->required();
  merge->add_option("--output,-o", merge_output, "Write the report here (default: standard output)");

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    // --help and --version exit 0; a usage error is a setup error, exit 2
    // as documented (CLI11's own codes are 100 and up).
    return app.exit(e) == 0 ? 0 : 2;
  }
  spdlog::set_level(spdlog::level::from_str(log_level));
  spdlog::set_pattern("[%H:%M:%S.%e] [%^%l%$] %v");

  if (*run || *train || *eval) {
    // Before anything slow (loading plugins, then model weights): a stop asked
    // for that early still ends the run cleanly, with its summary.
    std::signal(SIGINT, on_signal);
    std::signal(SIGTERM, on_signal);
  }
  try {
    if (*merge) return merge_manifests(merge_dirs, merge_output);
    // run, train and eval load only the plugins their pipeline names.
    Json doc;
    if (*run) doc = read_pipeline_file(run_file);
    if (*train) doc = read_pipeline_file(train_config);
    if (*eval) doc = evaluation_pipeline(eval_opt);
    const bool whole_search_path = *inspect || *validate;
    PluginRegistry registry =
        load_registry(plugin_dirs, whole_search_path ? std::nullopt : std::make_optional(plugin_names(doc)));
    if (*inspect) {
      if (plugin_name.empty()) {
        print_plugin_list(registry, inspect_json);
        return 0;
      }
      const Plugin* p = registry.find(plugin_name);
      if (!p) {
        std::fprintf(stderr, "no plugin named '%s' on the search path (try 'screener inspect')\n", plugin_name.c_str());
        return 2;
      }
      print_plugin(*p, inspect_json);
      return 0;
    }
    if (*validate) {
      doc = read_pipeline_file(validate_file);
      try {
        apply_overrides(doc, validate_sets);
        Pipeline pipeline = validate_pipeline(doc, registry);
        std::printf("%s: valid (%zu stages, %zu edges)\n", validate_file.c_str(), pipeline.stages.size(),
                    pipeline.edges.size());
        return 0;
      } catch (const PipelineError& e) {
        return report_problems(validate_file, e);
      }
    }
    opt.output_dir = output;
    if (*train) {
      opt.use_manifest = false;
      doc = training_pipeline(std::move(doc), registry, train_what, train_resume);
      return run_pipeline(std::move(doc), train_config, sets, registry, opt);
    }
    if (*eval) {
      opt.use_manifest = false;
      return run_pipeline(std::move(doc), "evaluation", sets, registry, opt);
    }
    opt.shard = shard.empty() ? Shard::from_environment() : Shard::parse(shard);
    return run_pipeline(std::move(doc), run_file, sets, registry, opt);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "error: %s\n", e.what());
    return 2;
  }
}
