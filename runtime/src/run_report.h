// What a run did, study by study; written as run_summary.json.
#pragma once
#include <map>
#include <string>
#include <vector>

#include "screener/spec.h"

namespace screener::runtime {

struct StageTiming {
  double seconds = 0;       // busy time in this stage
  int64_t calls = 0;
  double first_start = -1;  // seconds since the run started
  double last_end = -1;
};

// Items (patches) of one study through one stage: `done` of `total`, counted
// by the runtime from the packets' index/count, so every stage after an
// expanding one reports progress without doing anything for it.
struct StageItems {
  std::string stage;
  int64_t done = 0, total = 0;
};

struct StudyRecord {
  std::string id, source;
  // done | skipped (done by an earlier run) | failed | incomplete |
  // abandoned (interrupted) | not_started
  std::string status = "not_started";
  std::string failed_stage, error;
  std::vector<std::string> warnings, outputs;
  std::map<std::string, StageTiming> timings;
  std::vector<StageItems> items;  // stages that saw items, in pipeline order
  double admitted = -1, finished = -1;
  Json to_json() const;
};

// A study inside the graph, as progress reports show it.
struct StudyProgress {
  std::string id;
  std::string stage;            // the whole-study stage it last entered (a reader, a crop, ...)
  double seconds = 0;           // since it was admitted
  double seconds_in_items = 0;  // since its first item was made
  std::vector<StageItems> items;
  // The slowest stage's share done, 0..1 (the study is as far as its last item stage).
  double fraction() const;
  // Seconds until that stage is through, or -1 before any item passed it.
  double eta_seconds() const;
};

struct RunReport {
  std::string pipeline;
  std::string shard;  // "I/N"
  std::vector<std::string> notes;  // discovery notes (skipped files, ...)
  std::vector<StudyRecord> studies;
  int archive_studies = 0;  // in the whole input, all shards together
  double wall_seconds = 0;
  bool interrupted = false;
  int max_studies_in_flight = 0, peak_studies_in_flight = 0;
  int max_items_per_study = 0, peak_items_per_study = 0;
  std::map<std::string, double> stage_busy_seconds;
  // What stages did once at the end of the run (Stage::finish), by stage id.
  std::map<std::string, std::vector<std::string>> finish_outputs;
  std::map<std::string, std::string> finish_errors;
  // The studies in flight at a periodic progress call (not in run_summary.json).
  std::vector<StudyProgress> active;

  bool allow_empty = false;  // --allow-empty: no study to process is not a failure

  int count(const std::string& status) const;
  // 0 every study done (or, with studies in the input, none in this shard);
  // 1 any other outcome: a failed finish, or no study found at all (every
  // candidate skipped as unusable at discovery, or an empty input) unless
  // allow_empty; 130 interrupted.
  int exit_code() const;
  Json to_json() const;
};

}  // namespace screener::runtime
