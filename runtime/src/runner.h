// Turns a validated Pipeline into a oneTBB flow graph and pushes the studies
// of one input through it.
//
//   input_node(studies) -> limiter_node(max in flight) -> source.load
//     -> [out port: broadcast_node] -> [in port(s): key join] -> stage.process -> ...
//
// An expanding stage (a patcher) hands its items to a serial pump that emits
// them lazily, at most max_items_per_study of one study in flight; an item's
// ticket returns the credit when the last packet derived from it is gone.
// A study is finished when its last packet is gone.
#pragma once
#include <atomic>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>

#include "manifest.h"
#include "pipeline.h"
#include "run_report.h"

namespace screener::runtime {

struct RunOptions {
  std::string input;
  std::filesystem::path output_dir;
  int threads = 0;  // 0: all cores
  int max_studies_in_flight = 2;
  int max_items_per_study = 8;
  // This process's part of the archive (--shard, or the Slurm array task).
  Shard shard;
  // Studies the output directory's manifests record as done with the same
  // input and pipeline are skipped; failed ones are retried only with this.
  bool retry_failed = false;
  // Without a manifest every study runs, every time (training, evaluation:
  // their last stage needs all of them).
  bool use_manifest = true;
  // Polled while running; when it becomes true the run stops admitting
  // studies and abandons those in progress.
  const std::atomic<bool>* stop = nullptr;
  // Called from worker threads as studies finish, and periodically (study ==
  // nullptr); `total` counts the studies skipped as already done too.
  // The periodic calls carry the studies in flight with their items in
  // so_far.active.
  std::function<void(const RunReport& so_far, const StudyRecord* finished, std::size_t total)> on_progress;
  // A run that finds no study to process exits 0 instead of 1 (--allow-empty).
  bool allow_empty = false;
  // For the caller's progress display (screener run --progress-interval).
  double progress_interval_s = 30;
};

class Runner {
 public:
  Runner(const Pipeline& pipeline, RunOptions options);
  ~Runner();
  Runner(const Runner&) = delete;
  Runner& operator=(const Runner&) = delete;

  // Constructs the stages (throws Error naming the stage that failed), finds
  // the studies, runs them all; writes run_summary.json into the output dir.
  RunReport run();

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace screener::runtime
