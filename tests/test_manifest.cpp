#include <gtest/gtest.h>

#include <fstream>
#include <set>

#include "manifest.h"
#include "runner.h"
#include "test_support.h"

using namespace screener;
using namespace screener::runtime;
using namespace testing_support;

namespace {
RunReport run_in(const TempDir& dir, const Json& doc, int studies, RunOptions opt = {}) {
  Pipeline p = validate_pipeline(doc, test_plugins());
  opt.input = write_study_list(dir.path(), studies).string();
  opt.output_dir = dir / "out";
  return Runner(p, opt).run();
}

int done_lines(const fs::path& dir, const std::string& study) {
  int n = 0;
  for (auto& e : fs::directory_iterator(dir)) {
    if (e.path().extension() != ".jsonl") continue;
    std::ifstream in(e.path());
    std::string line;
    while (std::getline(in, line)) {
      Json j = Json::parse(line, nullptr, false);
      n += !j.is_discarded() && j["study"] == study && j["status"] == "done";
    }
  }
  return n;
}
}  // namespace

TEST(Shard, PartsCoverEveryStudyExactlyOnce) {
  const Shard parts[3] = {Shard::parse("0/3"), Shard::parse("1/3"), Shard::parse("2/3")};
  for (int i = 0; i < 200; ++i) {
    const std::string id = "1.2.840." + std::to_string(i * 7919);
    int owners = 0;
    for (const auto& s : parts) owners += s.contains(id);
    EXPECT_EQ(owners, 1) << id;
  }
  EXPECT_EQ(parts[1].suffix(), ".shard-1-of-3");
  EXPECT_EQ(Shard{}.suffix(), "");
  for (const char* bad : {"3/3", "-1/2", "1", "a/b", "1/0", "1/2x"}) EXPECT_THROW(Shard::parse(bad), Error) << bad;
}

TEST(Shard, FollowsTheSlurmArrayTask) {
  setenv("SLURM_ARRAY_TASK_ID", "5", 1);
  setenv("SLURM_ARRAY_TASK_MIN", "4", 1);
  setenv("SLURM_ARRAY_TASK_COUNT", "3", 1);
  const Shard s = Shard::from_environment();
  unsetenv("SLURM_ARRAY_TASK_ID");
  unsetenv("SLURM_ARRAY_TASK_MIN");
  unsetenv("SLURM_ARRAY_TASK_COUNT");
  EXPECT_EQ(s.index, 1);
  EXPECT_EQ(s.count, 3);
  EXPECT_EQ(Shard::from_environment().count, 1);
}

TEST(Manifest, LatestLineWinsAndATornLineIsIgnored) {
  TempDir dir;
  {
    ManifestWriter w(dir / "manifest.jsonl");
    w.append({"a", "f1", "p", "failed", "boom", {}, 1.0});
    w.append({"a", "f1", "p", "done", "", {"a.json"}, 2.0});
    w.append({"b", "f2", "p", "done", "", {}, 3.0});
  }
  { std::ofstream(dir / "manifest.jsonl", std::ios::app) << R"({"study": "b", "status": "fai)"; }
  ManifestWriter(dir / "manifest.jsonl").append({"c", "f3", "p", "done", "", {}, 4.0});
  const auto m = read_manifests({dir.path()});
  ASSERT_EQ(m.size(), 3u);
  EXPECT_EQ(m.at("a").status, "done");
  EXPECT_EQ(m.at("b").status, "done");
  EXPECT_EQ(m.at("c").fingerprint, "f3");  // written on a fresh line after the torn one
}

TEST(Resume, ASecondRunSkipsWhatIsDoneAndRedoesMissingOutputs) {
  TempDir dir;
  RunReport first = run_in(dir, fan_pipeline(), 4);
  EXPECT_EQ(first.count("done"), 4);
  fs::remove(dir / "out" / "s2.json");
  RunOptions watch;
  std::size_t most_finished = 0, total_seen = 0;
  watch.on_progress = [&](const RunReport& so_far, const StudyRecord*, std::size_t total) {
    most_finished = std::max(most_finished, so_far.studies.size());
    total_seen = total;
  };
  RunReport second = run_in(dir, fan_pipeline(), 4, watch);
  EXPECT_EQ(total_seen, 4u);  // the progress total counts the skipped studies too
  EXPECT_LE(most_finished, 4u);
  EXPECT_EQ(second.count("skipped"), 3);
  EXPECT_EQ(second.count("done"), 1);
  EXPECT_EQ(second.exit_code(), 0);
  EXPECT_TRUE(fs::exists(dir / "out" / "s2.json"));
  EXPECT_EQ(done_lines(dir / "out", "s0"), 1);
  EXPECT_EQ(done_lines(dir / "out", "s2"), 2);
}

TEST(Resume, ChangedParametersRunEverythingAgain) {
  TempDir dir;
  run_in(dir, fan_pipeline(), 3);
  Json changed = fan_pipeline();
  changed["stages"][2]["params"]["offset"] = 0.25;
  RunReport r = run_in(dir, changed, 3);
  EXPECT_EQ(r.count("done"), 3);
  EXPECT_EQ(r.count("skipped"), 0);
}

TEST(Resume, FailedStudiesAreRetriedOnlyWhenAsked) {
  TempDir dir;
  Json doc = fan_pipeline();
  doc["stages"][3]["params"]["fail_on"] = {"s1"};
  doc["stages"][3]["params"]["fail_while_exists"] = (dir / "fault").string();
  { std::ofstream(dir / "fault") << "x"; }
  run_in(dir, doc, 3);
  fs::remove(dir / "fault");
  RunReport again = run_in(dir, doc, 3);  // the cause is gone, but not asked to retry
  EXPECT_EQ(again.count("skipped"), 2);
  EXPECT_EQ(again.count("failed"), 1);
  EXPECT_EQ(again.exit_code(), 1);
  RunOptions retry;
  retry.retry_failed = true;
  RunReport retried = run_in(dir, doc, 3, retry);
  EXPECT_EQ(retried.count("done"), 1);
  EXPECT_EQ(retried.count("skipped"), 2);
  EXPECT_EQ(retried.exit_code(), 0);
}

TEST(Shards, AShardWithNoneOfTheStudiesSucceedsButAnEmptyInputDoesNot) {
  TempDir dir;
  int empty_shards = 0;
  for (int i = 0; i < 8; ++i) {  // 2 studies over 8 shards: most shards get none
    RunOptions opt;
    opt.shard = Shard::parse(std::to_string(i) + "/8");
    RunReport r = run_in(dir, fan_pipeline(), 2, opt);
    EXPECT_EQ(r.archive_studies, 2);
    EXPECT_EQ(r.exit_code(), 0) << "shard " << i;
    empty_shards += r.studies.empty();
  }
  EXPECT_GE(empty_shards, 6);
  RunReport nothing = run_in(dir, fan_pipeline(), 0);
  EXPECT_EQ(nothing.archive_studies, 0);
  EXPECT_EQ(nothing.exit_code(), 1);
}

TEST(Shards, ThreeShardsIntoOneDirectoryProcessEveryStudyOnce) {
  TempDir dir;
  std::set<std::string> seen;
  for (int i = 0; i < 3; ++i) {
    RunOptions opt;
    opt.shard = Shard::parse(std::to_string(i) + "/3");
    RunReport r = run_in(dir, fan_pipeline(), 12, opt);
    EXPECT_EQ(r.exit_code(), 0);
    for (const auto& s : r.studies) EXPECT_TRUE(seen.insert(s.id).second) << s.id << " in two shards";
    EXPECT_TRUE(fs::exists(dir / "out" / ("run_summary.shard-" + std::to_string(i) + "-of-3.json")));
  }
  EXPECT_EQ(seen.size(), 12u);
  const auto merged = read_manifests({dir / "out"});
  EXPECT_EQ(merged.size(), 12u);
  for (const auto& [id, r] : merged) EXPECT_EQ(done_lines(dir / "out", id), 1) << id;
}
