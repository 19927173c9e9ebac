#include "run_report.h"

#include <algorithm>

namespace screener::runtime {

Json StudyRecord::to_json() const {
  Json t = Json::object();
  for (const auto& [stage, s] : timings)
    t[stage] = {{"seconds", s.seconds}, {"calls", s.calls}, {"first_start", s.first_start}, {"last_end", s.last_end}};
  Json j = {{"id", id}, {"source", source}, {"status", status}, {"timings", t}, {"outputs", outputs},
            {"warnings", warnings}, {"admitted", admitted}, {"finished", finished}};
  if (!error.empty()) j["error"] = {{"stage", failed_stage}, {"message", error}};
  if (!items.empty()) {
    Json by_stage = Json::object();
    for (const auto& i : items) by_stage[i.stage] = {{"done", i.done}, {"total", i.total}};
    j["items"] = by_stage;
  }
  return j;
}

double StudyProgress::fraction() const {
  double f = items.empty() ? 0.0 : 1.0;
  for (const auto& i : items) f = std::min(f, i.total > 0 ? double(i.done) / double(i.total) : 0.0);
  return f;
}

double StudyProgress::eta_seconds() const {
  const double f = fraction();
  if (f <= 0) return -1;
  return seconds_in_items * (1 - f) / f;
}

int RunReport::count(const std::string& status) const {
  int n = 0;
  for (const auto& s : studies) n += s.status == status;
  return n;
}

int RunReport::exit_code() const {
  if (interrupted) return 130;
  if (!finish_errors.empty()) return 1;
  // An array task whose share of a small archive is empty has nothing to do:
  // that is success, or a job array over a few studies would fail.
  if (studies.empty()) return archive_studies > 0 || allow_empty ? 0 : 1;
  return count("done") + count("skipped") == static_cast<int>(studies.size()) ? 0 : 1;
}

Json RunReport::to_json() const {
  Json studies_json = Json::array();
  for (const auto& s : studies) studies_json.push_back(s.to_json());
  Json counts = Json::object();
  for (const char* status : {"done", "skipped", "failed", "incomplete", "abandoned", "not_started"}) counts[status] = count(status);
  return {{"pipeline", pipeline},
          {"shard", shard},
          {"archive_studies", archive_studies},
          {"wall_seconds", wall_seconds},
          {"interrupted", interrupted},
          {"finish_outputs", finish_outputs},
          {"finish_errors", finish_errors},
          {"counts", counts},
          {"flow_control",
           {{"max_studies_in_flight", max_studies_in_flight},
            {"peak_studies_in_flight", peak_studies_in_flight},
            {"max_items_per_study", max_items_per_study},
            {"peak_items_per_study", peak_items_per_study}}},
          {"stage_busy_seconds", stage_busy_seconds},
          {"notes", notes},
          {"studies", studies_json}};
}

}  // namespace screener::runtime
