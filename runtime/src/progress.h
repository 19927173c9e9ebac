// Run progress for people. On a terminal: one redrawn line (studies, then the
// items of each study in flight with its ETA). Otherwise (logs, CI, Slurm
// output files): one line per finished study, and every `interval_s` one line
// per study in flight with its items through each stage and its ETA.
#pragma once
#include <chrono>
#include <cstdio>
#include <string>

#include "run_report.h"

namespace screener::runtime {

class Progress {
 public:
  // `interval_s` paces the lines about studies in flight when `out` is not a
  // terminal (0: none); a terminal's line is redrawn on every update.
  explicit Progress(std::FILE* out, double interval_s = 30);
  Progress(std::FILE* out, double interval_s, bool terminal);
  void update(const RunReport& so_far, const StudyRecord* finished, std::size_t total);
  void close();

  // "s3: 120/400 items (patch 128/400, descriptor 121/400), 1m02s, ETA 3m10s",
  // or before its items "s3: in crop, 40s since it started"
  static std::string describe(const StudyProgress& study);

 private:
  using Clock = std::chrono::steady_clock;
  std::FILE* out_;
  double interval_s_;
  bool tty_;
  bool drawn_ = false;
  Clock::time_point start_ = Clock::now();
  Clock::time_point last_lines_ = Clock::now();
};

}  // namespace screener::runtime
