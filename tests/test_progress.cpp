// Progress within a study: the runtime counts the items (patches) of each
// study through each stage and the display renders them.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <map>
#include <mutex>

#include "progress.h"
#include "runner.h"
#include "test_support.h"

using namespace screener;
using namespace screener::runtime;
using namespace testing_support;

namespace {
std::string read_back(std::FILE* f) {
  std::rewind(f);
  std::string text;
  char buf[4096];
  std::size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, f)) > 0) text.append(buf, n);
  return text;
}

StudyProgress study_at(int64_t done, int64_t total, double seconds) {
  StudyProgress p;
  p.id = "s7";
  p.seconds_in_items = seconds;
  p.items = {{"patch", total, total}, {"descriptor", done + 3, total}, {"aggregator", done, total}};
  return p;
}
}  // namespace

TEST(Progress, TheSlowestStageSetsTheFractionAndTheEta) {
  const StudyProgress p = study_at(25, 100, 10.0);
  EXPECT_DOUBLE_EQ(p.fraction(), 0.25);
  EXPECT_DOUBLE_EQ(p.eta_seconds(), 30.0);
  EXPECT_EQ(Progress::describe(p),
            "s7: 25/100 items (patch 100/100, descriptor 28/100, aggregator 25/100), 10s, ETA 30s");
  EXPECT_DOUBLE_EQ(study_at(0, 100, 3.0).eta_seconds(), -1);
  EXPECT_NE(Progress::describe(study_at(0, 100, 3.0)).find("ETA --"), std::string::npos);
  StudyProgress before_items;
  before_items.id = "s8";
  before_items.stage = "crop";
  before_items.seconds = 75;
  EXPECT_EQ(Progress::describe(before_items), "s8: in crop, 1m15s since it started");
}

TEST(Progress, NotATerminalPrintsStudiesInFlightEveryIntervalAndEachFinishedStudy) {
  std::FILE* f = std::tmpfile();
  ASSERT_NE(f, nullptr);
  Progress progress(f, 1e-9, false);
  RunReport so_far;
  so_far.active = {study_at(40, 100, 20.0)};
  progress.update(so_far, nullptr, 3);
  StudyRecord done;
  done.id = "s7";
  done.status = "done";
  done.items = {{"patch", 100, 100}, {"aggregator", 100, 100}};
  so_far.studies.push_back(done);
  so_far.active.clear();
  progress.update(so_far, &so_far.studies.back(), 3);
  progress.close();
  const std::string text = read_back(f);
  std::fclose(f);
  EXPECT_NE(text.find("[0/3] s7: 40/100 items (patch 100/100, descriptor 43/100, aggregator 40/100), 20s, ETA 30s\n"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("[1/3] s7: done, 100/100 items\n"), std::string::npos) << text;
  EXPECT_EQ(text.find('\r'), std::string::npos) << "no terminal control in logs";
}

TEST(Progress, NoLinesAboutStudiesInFlightBeforeTheInterval) {
  std::FILE* f = std::tmpfile();
  Progress progress(f, 3600, false);
  RunReport so_far;
  so_far.active = {study_at(40, 100, 20.0)};
  progress.update(so_far, nullptr, 3);
  EXPECT_EQ(read_back(f), "");
  std::fclose(f);
}

TEST(Progress, ATerminalGetsOneRedrawnLineWithTheItemsOfEachStudy) {
  std::FILE* f = std::tmpfile();
  Progress progress(f, 30, true);
  RunReport so_far;
  so_far.active = {study_at(40, 100, 20.0)};
  progress.update(so_far, nullptr, 3);
  progress.update(so_far, nullptr, 3);
  progress.close();
  const std::string text = read_back(f);
  std::fclose(f);
  EXPECT_EQ(text.rfind("\r\033[K[", 0), 0u) << text;
  EXPECT_NE(text.find("| s7 40/100 aggregator ETA 30s"), std::string::npos) << text;
  EXPECT_EQ(std::count(text.begin(), text.end(), '\n'), 1) << "one line, redrawn in place";
}

// The runner's periodic calls carry the studies in flight with their items;
// counts only grow, and each finished study records every item through every
// stage after the expanding one.
TEST(Progress, TheRunnerCountsItemsPerStudyAndStage) {
  TempDir dir;
  Json doc = fan_pipeline(20);
  doc["stages"][2]["params"]["sleep_ms"] = 25;
  Pipeline pipeline = validate_pipeline(doc, test_plugins());
  RunOptions opt;
  opt.input = write_study_list(dir.path(), 2).string();
  opt.output_dir = dir / "out";
  opt.threads = 2;
  opt.max_studies_in_flight = 1;
  opt.max_items_per_study = 2;
  std::mutex mu;
  std::map<std::string, std::map<std::string, int64_t>> last;  // study -> stage -> done
  int snapshots_with_items = 0;
  bool decreased = false, over_total = false;
  opt.on_progress = [&](const RunReport& so_far, const StudyRecord* finished, std::size_t) {
    if (finished) return;
    std::lock_guard lock(mu);
    for (const auto& study : so_far.active) {
      if (study.items.empty()) continue;
      ++snapshots_with_items;
      for (const auto& i : study.items) {
        decreased = decreased || i.done < last[study.id][i.stage];
        over_total = over_total || i.done > i.total || i.total != 20;
        last[study.id][i.stage] = i.done;
      }
    }
  };
  RunReport report = Runner(pipeline, opt).run();
  ASSERT_EQ(report.count("done"), 2);
  EXPECT_GT(snapshots_with_items, 2) << "20 items x 25 ms, in pairs: periodic calls see the study in flight";
  EXPECT_FALSE(decreased);
  EXPECT_FALSE(over_total);
  EXPECT_TRUE(report.active.empty());
  for (const auto& s : report.studies) {
    std::vector<std::string> stages;
    for (const auto& i : s.items) {
      stages.push_back(i.stage);
      EXPECT_EQ(i.done, 20) << s.id << " " << i.stage;
      EXPECT_EQ(i.total, 20) << s.id << " " << i.stage;
    }
    // The source and the sink see whole studies, not items.
    EXPECT_EQ(stages, (std::vector<std::string>{"patch", "a", "b", "pair", "collect"})) << s.id;
  }
  const Json summary = read_json(dir / "out" / "run_summary.json");
  EXPECT_EQ(summary["studies"][0]["items"]["collect"]["done"], 20);
  EXPECT_EQ(summary["studies"][0]["items"]["collect"]["total"], 20);
}
