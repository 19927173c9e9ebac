#include <gtest/gtest.h>

#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <fstream>
#include <thread>

#include "runner.h"
#include "test_support.h"

using namespace screener;
using namespace screener::runtime;
using namespace testing_support;

namespace {
struct Outcome {
  RunReport report;
  fs::path out;
};

RunReport run_pipeline(const Json& doc, const TempDir& dir, int studies, RunOptions opt = {}) {
  Pipeline p = validate_pipeline(doc, test_plugins());
  opt.input = write_study_list(dir.path(), studies).string();
  opt.output_dir = dir / "out";
  return Runner(p, opt).run();
}

const StudyRecord& record(const RunReport& r, const std::string& id) {
  for (const auto& s : r.studies)
    if (s.id == id) return s;
  throw std::runtime_error("no record for " + id);
}
}  // namespace

TEST(Runner, FanOutFanInPairsTheSameItemUnderConcurrency) {
  TempDir dir;
  Json doc = fan_pipeline(24);
  doc["stages"][2]["params"]["sleep_ms"] = 1;  // one slow branch reorders arrivals
  RunOptions opt;
  opt.threads = 4;
  opt.max_studies_in_flight = 3;
  opt.max_items_per_study = 5;
  RunReport r = run_pipeline(doc, dir, 8, opt);
  ASSERT_EQ(r.studies.size(), 8u);
  EXPECT_EQ(r.exit_code(), 0);
  for (int k = 0; k < 8; ++k) {
    const auto& s = record(r, "s" + std::to_string(k));
    EXPECT_EQ(s.status, "done") << s.error;
    ASSERT_EQ(s.outputs.size(), 1u);
    Json j = read_json(s.outputs[0]);
    EXPECT_EQ(j["study"], s.id);
    EXPECT_EQ(j["index"], -1);
    ASSERT_EQ(j["values"].size(), 2u);
    EXPECT_DOUBLE_EQ(j["values"][0].get<double>(), expected_sum(k, 24)) << s.id;
    EXPECT_EQ(j["values"][1], 24);
    for (const char* stage : {"src", "patch", "a", "b", "pair", "collect", "sink"})
      EXPECT_GT(s.timings.count(stage), 0u) << stage;
    EXPECT_EQ(s.timings.at("a").calls, 24);
  }
}

TEST(Runner, StudiesAndItemsInFlightStayWithinTheBounds) {
  TempDir dir;
  Json doc = fan_pipeline(40);
  doc["stages"][3]["params"]["sleep_ms"] = 1;
  RunOptions opt;
  opt.threads = 4;
  opt.max_studies_in_flight = 2;
  opt.max_items_per_study = 3;
  RunReport r = run_pipeline(doc, dir, 6, opt);
  EXPECT_EQ(r.count("done"), 6);
  EXPECT_GE(r.peak_studies_in_flight, 1);
  EXPECT_LE(r.peak_studies_in_flight, 2);
  EXPECT_GE(r.peak_items_per_study, 1);
  EXPECT_LE(r.peak_items_per_study, 3);
}

// Regression: oneTBB's input_node keeps its last item; when that item owned a
// study, a run with one study in flight stopped after the second study.
TEST(Runner, OneStudyInFlightStillRunsEveryStudy) {
  TempDir dir;
  RunOptions opt;
  opt.max_studies_in_flight = 1;
  opt.max_items_per_study = 2;
  RunReport r = run_pipeline(fan_pipeline(5), dir, 12, opt);
  EXPECT_EQ(r.count("done"), 12);
  EXPECT_EQ(r.peak_studies_in_flight, 1);
  EXPECT_EQ(r.peak_items_per_study, 2);
}

namespace {
// Batch sizes and the number of studies in each batch, from test_batch_map's log.
std::vector<std::pair<int, int>> batches_logged(const fs::path& out) {
  std::vector<std::pair<int, int>> v;
  std::ifstream in(out / "batches.txt");
  int size, studies;
  while (in >> size >> studies) v.emplace_back(size, studies);
  return v;
}

Json batched_fan_pipeline(int patches, int batch_size) {
  Json doc = fan_pipeline(patches);
  doc["stages"][2] = {{"id", "a"}, {"plugin", "test_batch_map"},
                      {"params", {{"offset", 0.5}, {"batch_size", batch_size}, {"batch_timeout_ms", 10}}}};
  return doc;
}
}  // namespace

TEST(Runner, BatchesMixStudiesAndKeepEveryResultRight) {
  TempDir dir;
  RunOptions opt;
  opt.threads = 2;
  opt.max_studies_in_flight = 4;
  opt.max_items_per_study = 2;  // a full batch of 6 needs items of several studies
  RunReport r = run_pipeline(batched_fan_pipeline(7, 6), dir, 6, opt);
  ASSERT_EQ(r.count("done"), 6);
  for (int k = 0; k < 6; ++k) {
    Json j = read_json(dir / "out" / ("s" + std::to_string(k) + ".json"));
    EXPECT_DOUBLE_EQ(j["values"][0].get<double>(), expected_sum(k, 7));
  }
  const auto batches = batches_logged(dir / "out");
  int items = 0, max_size = 0, max_studies = 0;
  for (auto [size, studies] : batches) {
    items += size;
    max_size = std::max(max_size, size);
    max_studies = std::max(max_studies, studies);
  }
  EXPECT_EQ(items, 6 * 7);
  EXPECT_LE(max_size, 6);
  EXPECT_GT(max_size, 1);
  EXPECT_GT(max_studies, 1) << "no batch mixed studies";
}

TEST(Runner, APartialBatchIsSentAfterItsTimeout) {
  TempDir dir;
  RunOptions opt;
  opt.max_studies_in_flight = 1;
  opt.max_items_per_study = 3;  // never enough items for a batch of 64
  RunReport r = run_pipeline(batched_fan_pipeline(5, 64), dir, 2, opt);
  EXPECT_EQ(r.count("done"), 2);
  for (auto [size, studies] : batches_logged(dir / "out")) EXPECT_LE(size, 3);
}

TEST(Runner, AFailingBatchFailsOnlyTheStudyAtFault) {
  TempDir dir;
  Json doc = batched_fan_pipeline(4, 8);
  doc["stages"][2]["params"]["fail_on"] = {"s1"};
  RunOptions opt;
  opt.max_studies_in_flight = 3;
  RunReport r = run_pipeline(doc, dir, 4, opt);
  EXPECT_EQ(record(r, "s1").status, "failed");
  EXPECT_EQ(record(r, "s1").failed_stage, "a");
  EXPECT_EQ(r.count("done"), 3);
  for (int k : {0, 2, 3}) {
    Json j = read_json(dir / "out" / ("s" + std::to_string(k) + ".json"));
    EXPECT_DOUBLE_EQ(j["values"][0].get<double>(), expected_sum(k, 4));  // no item counted twice
  }
}

TEST(Runner, AThrowingStageFailsOnlyItsStudy) {
  TempDir dir;
  Json doc = fan_pipeline();
  doc["stages"][3]["params"]["fail_on"] = {"s2"};
  RunReport r = run_pipeline(doc, dir, 5);
  EXPECT_EQ(r.exit_code(), 1);
  EXPECT_EQ(r.count("done"), 4);
  const auto& failed = record(r, "s2");
  EXPECT_EQ(failed.status, "failed");
  EXPECT_EQ(failed.failed_stage, "b");
  EXPECT_NE(failed.error.find("configured to fail"), std::string::npos);
  EXPECT_FALSE(fs::exists(dir / "out" / "s2.json"));
  for (int k : {0, 1, 3, 4}) {
    Json j = read_json(dir / "out" / ("s" + std::to_string(k) + ".json"));
    EXPECT_DOUBLE_EQ(j["values"][0].get<double>(), expected_sum(k, 6));
  }
  Json summary = read_json(dir / "out" / "run_summary.json");
  EXPECT_EQ(summary["counts"]["failed"], 1);
  EXPECT_EQ(summary["studies"][2]["error"]["stage"], "b");
}

TEST(Runner, FinishRunsOnceAfterTheLastStudyAndItsFailureFailsTheRun) {
  TempDir dir;
  Json doc = fan_pipeline();
  doc["stages"][3]["params"]["fail_on"] = {"s1"};
  doc["stages"][6]["params"]["summary"] = true;
  RunReport r = run_pipeline(doc, dir, 4);
  Json summary = read_json(dir / "out" / "summary.json");
  EXPECT_EQ(summary["seen"], Json({"s0", "s2", "s3"})) << "finish() must see every study that reached the stage";
  EXPECT_EQ(summary["done"], Json({"s0", "s2", "s3"}));
  EXPECT_EQ(summary["failed"], Json({"s1"}));
  EXPECT_EQ(r.finish_outputs.at("sink"), std::vector<std::string>{(dir / "out" / "summary.json").string()});

  TempDir dir2;
  doc["stages"][3]["params"]["fail_on"] = Json::array();
  doc["stages"][6]["params"]["fail_finish"] = true;
  RunReport failed = run_pipeline(doc, dir2, 2);
  EXPECT_EQ(failed.count("done"), 2);
  EXPECT_EQ(failed.exit_code(), 1);
  EXPECT_NE(failed.finish_errors.at("sink").find("configured to fail at the end"), std::string::npos);
  EXPECT_EQ(read_json(dir2 / "out" / "run_summary.json")["finish_errors"]["sink"], failed.finish_errors.at("sink"));
}

TEST(Runner, FailuresInLoadingExpandingAndFinishingNameTheStage) {
  TempDir dir;
  Json doc = fan_pipeline();
  doc["stages"][0]["params"]["fail_load"] = {"s0"};
  doc["stages"][1]["params"]["fail_make"] = {"s1"};
  doc["stages"][5]["params"]["fail_on_finish"] = {"s2"};
  RunOptions opt;
  opt.max_studies_in_flight = 1;  // a failed study must give its slot back
  RunReport r = run_pipeline(doc, dir, 4, opt);
  EXPECT_EQ(record(r, "s0").failed_stage, "src");
  EXPECT_NE(record(r, "s0").error.find("corrupt file"), std::string::npos);
  EXPECT_EQ(record(r, "s1").failed_stage, "patch");
  EXPECT_EQ(record(r, "s2").failed_stage, "collect");
  EXPECT_EQ(record(r, "s3").status, "done");
  EXPECT_EQ(r.count("failed"), 3);
}

TEST(Runner, ConstructionFailureNamesTheStage) {
  TempDir dir;
  Json doc = fan_pipeline();
  doc["stages"].push_back({{"id", "broken"}, {"plugin", "test_fail_construct"}});
  doc["edges"].push_back({{"from", "collect"}, {"to", "broken"}});
  try {
    run_pipeline(doc, dir, 2);
    FAIL() << "expected construction to fail";
  } catch (const Error& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find("stages[7] ('broken'"), std::string::npos) << what;
    EXPECT_NE(what.find("missing.pt"), std::string::npos) << what;
  }
}

TEST(Runner, StopAbandonsStudiesInProgressAndLeavesNoPartialFiles) {
  TempDir dir;
  Json doc = fan_pipeline(4);
  doc["stages"][6]["params"]["sleep_ms"] = 150;
  std::atomic<bool> stop{false};
  RunOptions opt;
  opt.max_studies_in_flight = 1;
  opt.stop = &stop;
  std::thread stopper([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(400));
    stop = true;
  });
  RunReport r = run_pipeline(doc, dir, 30, opt);
  stopper.join();
  EXPECT_TRUE(r.interrupted);
  EXPECT_EQ(r.exit_code(), 130);
  EXPECT_EQ(r.studies.size(), 30u);
  EXPECT_GT(r.count("not_started"), 0);
  EXPECT_LT(r.count("done"), 30);
  for (auto& e : fs::directory_iterator(dir / "out")) {
    EXPECT_NE(e.path().filename().string().rfind(".screener-tmp-", 0), 0u) << e.path();
    if (e.path().extension() == ".jsonl") {
      std::ifstream in(e.path());
      std::string line;
      while (std::getline(in, line)) EXPECT_NO_THROW(Json::parse(line)) << e.path();
    } else {
      EXPECT_NO_THROW(read_json(e.path())) << e.path();
    }
  }
}

TEST(Runner, StaleTemporaryFilesFromAKilledRunAreRemoved) {
  TempDir dir;
  fs::create_directories(dir / "out");
  { std::ofstream(dir / "out" / ".screener-tmp-123-0-4") << "half"; }
  RunReport r = run_pipeline(fan_pipeline(), dir, 1);
  EXPECT_EQ(r.count("done"), 1);
  EXPECT_FALSE(fs::exists(dir / "out" / ".screener-tmp-123-0-4"));
}

// Shards of one archive share the output directory: a shard starting must not
// remove what another, still running, is writing.
TEST(Runner, TemporaryFilesOfLiveWritersAreKept) {
  TempDir dir;
  fs::create_directories(dir / "out");
  char buf[256] = {};
  ASSERT_EQ(::gethostname(buf, sizeof buf - 1), 0);
  const std::string host = buf;
  const auto plain = [](char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '-' || c == '_'; };
  ASSERT_TRUE(std::all_of(host.begin(), host.end(), plain)) << "the test builds names for a plain host name";
  const pid_t dead = ::fork();
  if (dead == 0) ::_exit(0);
  ASSERT_GT(dead, 0);
  ::waitpid(dead, nullptr, 0);
  const auto name = [&](long pid, const std::string& on) {
    return dir / "out" / (".screener-tmp-" + std::to_string(pid) + "@" + on + "@0-1-image.nii.gz");
  };
  const fs::path live = name(::getpid(), host), gone = name(dead, host), other = name(dead, "another-node"),
                 old_other = name(dead, "old-node");
  for (const auto& f : {live, gone, other, old_other}) std::ofstream(f) << "half";
  fs::last_write_time(old_other, fs::file_time_type::clock::now() - std::chrono::hours(25));
  RunReport r = run_pipeline(fan_pipeline(), dir, 1);
  EXPECT_EQ(r.count("done"), 1);
  EXPECT_TRUE(fs::exists(live)) << "a live process on this host is writing it";
  EXPECT_FALSE(fs::exists(gone)) << "its writer on this host has exited";
  EXPECT_TRUE(fs::exists(other)) << "another host's writer, written to recently";
  EXPECT_FALSE(fs::exists(old_other)) << "another host's, a day without writes";
}

TEST(Runner, DiscoveryNotesAndDuplicateIdsAreHandled) {
  TempDir dir;
  const auto list = dir / "list.txt";
  { std::ofstream(list) << "x\n# a comment\nx\n"; }
  Pipeline p = validate_pipeline(fan_pipeline(), test_plugins());
  RunOptions opt;
  opt.input = list.string();
  opt.output_dir = dir / "out";
  RunReport r = Runner(p, opt).run();
  ASSERT_EQ(r.studies.size(), 2u);
  EXPECT_EQ(r.studies[0].id, "x");
  EXPECT_EQ(r.studies[1].id, "x-2");
  ASSERT_EQ(r.notes.size(), 1u);
  EXPECT_NE(r.notes[0].find("comment"), std::string::npos);
}
