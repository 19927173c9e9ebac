// The screener executable end to end, as a subprocess.
#include <gtest/gtest.h>

#include <sys/wait.h>

#include <cstdio>
#include <cstdlib>
#include <map>

#include "test_support.h"

using namespace testing_support;

namespace {
struct Result {
  int code;
  std::string output;  // stdout and stderr
};

Result cli(const std::string& args) {
  const std::string cmd = std::string(SCREENER_EXE) + " --plugins " TEST_PLUGIN_DIR " " + args + " 2>&1";
  FILE* pipe = ::popen(cmd.c_str(), "r");
  std::string out;
  char buf[4096];
  std::size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, pipe)) > 0) out.append(buf, n);
  const int status = ::pclose(pipe);
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, out};
}

fs::path write_pipeline(const TempDir& dir, const Json& doc) {
  const auto file = dir / "pipeline.json";
  std::ofstream(file) << doc.dump(2);
  return file;
}
}  // namespace

TEST(Cli, VersionAndHelp) {
  auto v = cli("--version");
  EXPECT_EQ(v.code, 0);
  EXPECT_NE(v.output.find("plugin ABI"), std::string::npos) << v.output;
  EXPECT_EQ(cli("inspect --log-level warn").code, 0);  // global options after the subcommand too
  auto h = cli("--help");
  EXPECT_EQ(h.code, 0);
  for (const char* cmd : {"inspect", "validate", "run"}) EXPECT_NE(h.output.find(cmd), std::string::npos);
}

TEST(Cli, InspectListsPluginsAndDescribesOne) {
  auto list = cli("inspect --json");
  ASSERT_EQ(list.code, 0) << list.output;
  Json j = Json::parse(list.output);
  bool found = false;
  for (const auto& p : j["plugins"])
    if (p["name"] == "test_map") {
      found = true;
      EXPECT_EQ(p["kind"], "transform");
      EXPECT_EQ(p["version"], "1.0.0");
      EXPECT_NE(p["file"].get<std::string>().find("screener_test_map.so"), std::string::npos);
    }
  EXPECT_TRUE(found);

  auto one = cli("inspect test_map");
  ASSERT_EQ(one.code, 0);
  for (const char* word : {"scale", "offset", "sleep_ms", "Inputs", "Outputs", "patch", "unlimited"})
    EXPECT_NE(one.output.find(word), std::string::npos) << word << "\n" << one.output;
  Json spec = Json::parse(cli("inspect test_map --json").output);
  EXPECT_EQ(spec["inputs"][0]["payload"], "patch");
  EXPECT_EQ(spec["parameters"][2]["key"], "sleep_ms");
  EXPECT_EQ(spec["parameters"][2]["min"], 0);
  EXPECT_EQ(cli("inspect no_such_plugin").code, 2);
}

TEST(Cli, ValidateReportsJsonPaths) {
  TempDir dir;
  EXPECT_EQ(cli("validate " + write_pipeline(dir, fan_pipeline()).string()).code, 0);
  Json bad = fan_pipeline();
  bad["stages"][2]["params"]["scale"] = "big";
  auto r = cli("validate " + write_pipeline(dir, bad).string());
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.output.find("stages[2].params.scale: expected a number"), std::string::npos) << r.output;
  auto overridden = cli("validate " + write_pipeline(dir, fan_pipeline()).string() + " --set a.scale=oops");
  EXPECT_EQ(overridden.code, 2);
  std::ofstream(dir / "broken.json") << "{ \"stages\": [";
  auto syntax = cli("validate " + (dir / "broken.json").string());
  EXPECT_EQ(syntax.code, 2);
  EXPECT_NE(syntax.output.find("not valid JSON"), std::string::npos) << syntax.output;
}

TEST(Cli, RunSucceedsThenFailsOneStudyWithExitCodeAndSummary) {
  TempDir dir;
  const auto pipeline = write_pipeline(dir, fan_pipeline());
  const auto list = write_study_list(dir.path(), 3);
  auto ok = cli("run " + pipeline.string() + " --input " + list.string() + " --output " + (dir / "ok").string() +
                     " --threads 2 --max-in-flight 2");
  EXPECT_EQ(ok.code, 0) << ok.output;
  EXPECT_NE(ok.output.find("[3/3]"), std::string::npos) << ok.output;  // plain lines: not a terminal
  Json summary = read_json(dir / "ok" / "run_summary.json");
  EXPECT_EQ(summary["counts"]["done"], 3);
  EXPECT_TRUE(fs::exists(dir / "ok" / "s1.json"));

  auto bad = cli("run " + pipeline.string() + " --input " + list.string() + " --output " +
                      (dir / "bad").string() + " --set 'b.fail_on=[\"s1\"]'");
  EXPECT_EQ(bad.code, 1) << bad.output;
  EXPECT_NE(bad.output.find("s1: failed in stage 'b'"), std::string::npos) << bad.output;
  Json s = read_json(dir / "bad" / "run_summary.json");
  EXPECT_EQ(s["counts"]["failed"], 1);
  EXPECT_EQ(s["studies"][1]["status"], "failed");

  auto missing = cli("run " + pipeline.string() + " --input " + (dir / "nothing.txt").string() + " --output " +
                          (dir / "x").string());
  EXPECT_EQ(missing.code, 2);
  EXPECT_NE(missing.output.find("nothing.txt"), std::string::npos) << missing.output;
}

TEST(Cli, RunFindingNoStudySaysWhatTheSourceLeftOutAndWhy) {
  TempDir dir;
  const auto pipeline = write_pipeline(dir, fan_pipeline());
  std::ofstream(dir / "excluded.txt") << "# a comment\n!s1\n!s2\n";
  auto excluded = cli("run " + pipeline.string() + " --input " + (dir / "excluded.txt").string() + " --output " +
                      (dir / "a").string());
  EXPECT_EQ(excluded.code, 1) << excluded.output;
  const auto listed = excluded.output.find("no studies found");
  ASSERT_NE(listed, std::string::npos) << excluded.output;
  EXPECT_NE(excluded.output.find("left out:\n  study s1: marked '!' (remove the mark to read it)\n  study s2:", listed),
            std::string::npos)
      << excluded.output;
  EXPECT_EQ(excluded.output.find("the source noted", listed), std::string::npos) << excluded.output;

  // No exclusions: the source's other notes say what it saw.
  std::ofstream(dir / "comments.txt") << "# only a comment\n";
  auto comments = cli("run " + pipeline.string() + " --input " + (dir / "comments.txt").string() + " --output " +
                      (dir / "b").string());
  EXPECT_EQ(comments.code, 1) << comments.output;
  EXPECT_NE(comments.output.find("the source noted:\n  skipped comment line '# only a comment'"), std::string::npos)
      << comments.output;
}

TEST(Cli, SigtermStopsARunCleanly) {
  TempDir dir;
  Json doc = fan_pipeline();
  doc["stages"][6]["params"]["sleep_ms"] = 200;
  const auto pipeline = write_pipeline(dir, doc);
  const auto list = write_study_list(dir.path(), 50);
  const std::string cmd = std::string(SCREENER_EXE) + " --plugins " TEST_PLUGIN_DIR " run " + pipeline.string() +
                          " --input " + list.string() + " --output " + (dir / "out").string() +
                          " >/dev/null 2>&1 & pid=$!; sleep 1; kill -TERM $pid; wait $pid; echo $?";
  FILE* p = ::popen(cmd.c_str(), "r");
  char buf[64] = {0};
  ASSERT_NE(std::fgets(buf, sizeof buf, p), nullptr);
  ::pclose(p);
  EXPECT_EQ(std::atoi(buf), 130);
  Json s = read_json(dir / "out" / "run_summary.json");
  EXPECT_TRUE(s["interrupted"].get<bool>());
  EXPECT_GT(s["counts"]["not_started"].get<int>(), 0);
  for (auto& e : fs::directory_iterator(dir / "out"))
    EXPECT_NE(e.path().filename().string().rfind(".screener-tmp-", 0), 0u) << e.path();
}

// kill -9 at several points of a run, then the same command again: the
// outputs equal an uninterrupted run's, no temporary file is left, and the
// manifests record every study done exactly once.
TEST(Cli, KilledRunsResumeToTheSameResult) {
  TempDir dir;
  Json doc = fan_pipeline();
  doc["stages"][6]["params"]["sleep_ms"] = 60;
  const auto pipeline = write_pipeline(dir, doc);
  const auto list = write_study_list(dir.path(), 16);
  const std::string run = std::string(SCREENER_EXE) + " --plugins " TEST_PLUGIN_DIR " run " + pipeline.string() +
                          " --input " + list.string() + " --max-in-flight 2 --output ";
  ASSERT_EQ(std::system((run + (dir / "clean").string() + " >/dev/null 2>&1").c_str()), 0);
  for (const char* delay : {"0.15", "0.45", "0.8"})
    std::system((run + (dir / "killed").string() + " >/dev/null 2>&1 & pid=$!; sleep " + delay +
                 "; kill -9 $pid; wait $pid 2>/dev/null").c_str());
  ASSERT_EQ(std::system((run + (dir / "killed").string() + " >/dev/null 2>&1").c_str()), 0);
  for (int k = 0; k < 16; ++k) {
    const std::string name = "s" + std::to_string(k) + ".json";
    EXPECT_EQ(read_json(dir / "killed" / name), read_json(dir / "clean" / name)) << name;
  }
  std::map<std::string, int> done;
  for (auto& e : fs::directory_iterator(dir / "killed")) {
    EXPECT_NE(e.path().filename().string().rfind(".screener-tmp-", 0), 0u) << e.path();
    if (e.path().extension() != ".jsonl") continue;
    std::ifstream in(e.path());
    std::string line;
    while (std::getline(in, line)) {
      Json j = Json::parse(line, nullptr, false);
      if (!j.is_discarded() && j["status"] == "done") ++done[j["study"].get<std::string>()];
    }
  }
  EXPECT_EQ(done.size(), 16u);
  for (const auto& [study, n] : done) EXPECT_EQ(n, 1) << study;
  Json merged = Json::parse(cli("merge-manifests " + (dir / "killed").string()).output);
  EXPECT_EQ(merged["total"], 16);
  EXPECT_EQ(merged["counts"]["done"], 16);
}

// Not a terminal (a pipe): a line per study in flight every --progress-interval
// seconds with its items through each stage, and the finished line with the total.
TEST(Cli, ProgressWithinAStudyAppearsAsLogLines) {
  TempDir dir;
  Json doc = fan_pipeline(16);
  doc["stages"][2]["params"]["sleep_ms"] = 50;
  const auto pipeline = write_pipeline(dir, doc);
  const auto list = write_study_list(dir.path(), 1);
  auto r = cli("run " + pipeline.string() + " --input " + list.string() + " --output " + (dir / "out").string() +
               " --threads 2 --max-patches-in-flight 2 --progress-interval 0.1");
  ASSERT_EQ(r.code, 0) << r.output;
  EXPECT_NE(r.output.find("[0/1] s0: "), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("/16 items (patch "), std::string::npos) << r.output;
  EXPECT_NE(r.output.find(", ETA "), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("[1/1] s0: done, 16/16 items"), std::string::npos) << r.output;
  EXPECT_EQ(r.output.find('\r'), std::string::npos) << r.output;
}

TEST(Cli, ARunThatCannotStartLeavesNoOutputDirectory) {
  TempDir dir;
  const auto pipeline = write_pipeline(dir, fan_pipeline());
  auto missing = cli("run " + pipeline.string() + " --input " + (dir / "nothing.txt").string() + " --output " +
                     (dir / "new" / "out").string());
  EXPECT_EQ(missing.code, 2) << missing.output;
  EXPECT_NE(missing.output.find("nothing.txt"), std::string::npos) << missing.output;
  EXPECT_FALSE(fs::exists(dir / "new")) << "not even the parent it would have made";
  // An output directory that was there stays, untouched.
  fs::create_directories(dir / "kept");
  EXPECT_EQ(cli("run " + pipeline.string() + " --input " + (dir / "nothing.txt").string() + " --output " +
                (dir / "kept").string())
                .code,
            2);
  EXPECT_TRUE(fs::is_directory(dir / "kept"));
  EXPECT_TRUE(fs::is_empty(dir / "kept"));
}

// Every candidate skipped at discovery (here: comment lines; for DICOM,
// unusable series) is a failed run unless --allow-empty says otherwise.
TEST(Cli, ARunWithNoStudyToProcessFailsUnlessAllowed) {
  TempDir dir;
  const auto pipeline = write_pipeline(dir, fan_pipeline());
  const auto list = dir / "skipped.txt";
  std::ofstream(list) << "# not a study\n# nor this\n";
  auto empty = cli("run " + pipeline.string() + " --input " + list.string() + " --output " + (dir / "a").string());
  EXPECT_EQ(empty.code, 1) << empty.output;
  EXPECT_NE(empty.output.find("no studies found"), std::string::npos) << empty.output;
  EXPECT_NE(empty.output.find("--allow-empty"), std::string::npos) << empty.output;
  auto allowed = cli("run " + pipeline.string() + " --input " + list.string() + " --output " + (dir / "b").string() +
                     " --allow-empty");
  EXPECT_EQ(allowed.code, 0) << allowed.output;
}

TEST(Cli, APipelineWithStagesOfTheWrongTypeIsATypeError) {
  TempDir dir;
  const auto file = dir / "p.json";
  std::ofstream(file) << R"({"stages": 5, "edges": [{"from": "source", "to": "x"}]})";
  auto r = cli("validate " + file.string());
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.output.find("stages: expected a non-empty array of stages, got number"), std::string::npos) << r.output;
  EXPECT_EQ(r.output.find("unknown stage"), std::string::npos) << r.output;
  std::ofstream(dir / "deep.json") << std::string(1000000, '[');
  auto deep = cli("validate " + (dir / "deep.json").string());
  EXPECT_EQ(deep.code, 2);
  EXPECT_NE(deep.output.find("nested more than 64 deep"), std::string::npos) << deep.output;
}

// README: 0 success, 1 a study failed, 2 invalid pipeline or setup (usage
// errors included), 130 interrupted.
TEST(Cli, UsageErrorsExitWithTheDocumentedSetupCode) {
  EXPECT_EQ(cli("run").code, 2);
  EXPECT_EQ(cli("run p.json --input x").code, 2);  // no --output
  EXPECT_EQ(cli("run p.json --input x --output y --threads -1").code, 2);
  EXPECT_EQ(cli("no-such-command").code, 2);
  EXPECT_EQ(cli("run --help").code, 0);
  EXPECT_EQ(cli("--version").code, 0);
}
