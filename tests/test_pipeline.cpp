#include <gtest/gtest.h>

#include <fstream>

#include "pipeline.h"
#include "test_support.h"

using namespace screener;
using namespace screener::runtime;
using testing_support::fan_pipeline;

namespace {
// The problems validation reports for `doc`, as "path: message" lines.
std::vector<Problem> problems_of(const Json& doc) {
  try {
    validate_pipeline(doc, testing_support::test_plugins());
  } catch (const PipelineError& e) {
    return e.problems();
  }
  return {};
}

::testing::AssertionResult has_problem(const Json& doc, const std::string& path, const std::string& words) {
  auto problems = problems_of(doc);
  std::string all;
  for (const auto& p : problems) {
    if (p.path == path && p.message.find(words) != std::string::npos) return ::testing::AssertionSuccess();
    all += "\n  " + p.str();
  }
  return ::testing::AssertionFailure() << "no problem at " << path << " mentioning '" << words << "'; got:" << all;
}
}  // namespace

TEST(Validate, AcceptsTheFanPipelineAndFillsDefaults) {
  Pipeline p = validate_pipeline(fan_pipeline(), testing_support::test_plugins());
  ASSERT_EQ(p.stages.size(), 7u);
  EXPECT_EQ(p.edges.size(), 7u);
  EXPECT_EQ(p.stages[2].params["offset"], 0.5);
  EXPECT_EQ(p.stages[2].params["scale"], 1.0);
  EXPECT_EQ(p.stages[p.source()].id, "src");
}

TEST(Validate, UnknownPlugin) {
  Json doc = fan_pipeline();
  doc["stages"][3]["plugin"] = "no_such_plugin";
  EXPECT_TRUE(has_problem(doc, "stages[3].plugin", "unknown plugin 'no_such_plugin'"));
}

TEST(Validate, UnknownParameter) {
  Json doc = fan_pipeline();
  doc["stages"][2]["params"]["ofset"] = 1;
  EXPECT_TRUE(has_problem(doc, "stages[2].params.ofset", "unknown parameter"));
}

TEST(Validate, MistypedParameter) {
  Json doc = fan_pipeline();
  doc["stages"][2]["params"]["scale"] = "two";
  EXPECT_TRUE(has_problem(doc, "stages[2].params.scale", "expected a number"));
}

TEST(Validate, OutOfRangeParameter) {
  Json doc = fan_pipeline();
  doc["stages"][1]["params"]["patches"] = 0;
  EXPECT_TRUE(has_problem(doc, "stages[1].params.patches", "in [1, 100000]"));
}

TEST(Validate, MissingEdge) {
  Json doc = fan_pipeline();
  doc["edges"].erase(4);  // b -> pair.b
  EXPECT_TRUE(has_problem(doc, "stages[4]", "input port 'pair.b' (patch) is not connected"));
}

TEST(Validate, TypeMismatchBetweenPorts) {
  Json doc = fan_pipeline();
  doc["edges"][1]["from"] = "src.volume";  // volume into a patch input
  EXPECT_TRUE(has_problem(doc, "edges[1]", "type mismatch: 'src.volume' carries volume but 'a' expects patch"));
}

TEST(Validate, Cycle) {
  Json doc = Json::parse(R"({"stages": [
      {"id": "src", "plugin": "test_source"}, {"id": "patch", "plugin": "test_patcher"},
      {"id": "m1", "plugin": "test_map"}, {"id": "m2", "plugin": "test_map"}],
    "edges": [{"from": "src", "to": "patch"}, {"from": "m1", "to": "m2"}, {"from": "m2", "to": "m1"}]})");
  EXPECT_TRUE(has_problem(doc, "edges", "cycle: m1 -> m2 -> m1"));
}

TEST(Validate, UnknownPortAndStageInEdges) {
  Json doc = fan_pipeline();
  doc["edges"][3]["to"] = "pair.c";
  doc["edges"][6]["from"] = "colect";
  EXPECT_TRUE(has_problem(doc, "edges[3].to", "no input port 'c'"));
  EXPECT_TRUE(has_problem(doc, "edges[6].from", "unknown stage 'colect'"));
}

TEST(Validate, AmbiguousPortNeedsAName) {
  Json doc = fan_pipeline();
  doc["edges"][3]["to"] = "pair";
  EXPECT_TRUE(has_problem(doc, "edges[3].to", "has 2 input ports; name one (a, b)"));
}

TEST(Validate, DuplicateIdsAndStructure) {
  Json doc = fan_pipeline();
  doc["stages"][3]["id"] = "a";
  EXPECT_TRUE(has_problem(doc, "stages[3].id", "duplicate stage id 'a'"));
  EXPECT_TRUE(has_problem(Json::parse(R"({"stages": []})"), "stages", "non-empty array"));
  EXPECT_TRUE(has_problem(Json::parse(R"({"stages": [{"id": "x", "plugin": "test_source", "parms": {}}]})"),
                          "stages[0].parms", "unknown key"));
}

TEST(Validate, ExactlyOneSource) {
  Json doc = fan_pipeline();
  doc["stages"].push_back({{"id", "src2"}, {"plugin", "test_source"}});
  EXPECT_TRUE(has_problem(doc, "stages[7]", "a second source stage 'src2'"));
}

TEST(Validate, SeveralProblemsAreReportedTogether) {
  Json doc = fan_pipeline();
  doc["stages"][2]["params"]["scale"] = "x";
  doc["stages"][3]["params"]["sleep_ms"] = -1;
  EXPECT_EQ(problems_of(doc).size(), 2u);
}

TEST(Overrides, SetParametersByStageIdWithJsonValues) {
  Json doc = fan_pipeline();
  apply_overrides(doc, {"a.scale=3", "b.fail_on=[\"s1\"]", "a.tag=plain text"});
  EXPECT_EQ(doc["stages"][2]["params"]["scale"], 3);
  EXPECT_EQ(doc["stages"][3]["params"]["fail_on"], Json::array({"s1"}));
  EXPECT_EQ(doc["stages"][2]["params"]["tag"], "plain text");
  EXPECT_THROW(apply_overrides(doc, {"nosuch.x=1"}), PipelineError);
  EXPECT_THROW(apply_overrides(doc, {"a=1"}), PipelineError);
}

TEST(Validate, StagesOfTheWrongTypeAreATypeErrorNotUnknownStages) {
  const Json doc = Json::parse(R"({"stages": 5, "edges": [{"from": "source", "to": "patch"}]})");
  EXPECT_TRUE(has_problem(doc, "stages", "expected a non-empty array of stages, got number"));
  for (const auto& p : problems_of(doc)) EXPECT_EQ(p.message.find("unknown stage"), std::string::npos) << p.str();
  EXPECT_TRUE(has_problem(Json::parse(R"({"edges": []})"), "stages", "missing"));
}

TEST(Validate, FieldsOfTheWrongTypeAreProblemsNotExceptions) {
  Json doc = fan_pipeline();
  doc["name"] = 7;
  EXPECT_TRUE(has_problem(doc, "name", "expected a string"));
  doc = fan_pipeline();
  doc["stages"][2]["id"] = std::string(1 << 20, 'a');  // std::regex would recurse per character
  EXPECT_TRUE(has_problem(doc, "stages[2].id", "at most 128 characters"));
}

// patch -> m0 -> m1 -> ... -> m19999: a deep search, iterative.
TEST(Validate, ALongChainOfStagesIsCheckedWithoutDeepRecursion) {
  Json doc = fan_pipeline();
  const int n = 20000;
  for (int i = 0; i < n; ++i) {
    doc["stages"].push_back({{"id", "m" + std::to_string(i)}, {"plugin", "test_map"}});
    doc["edges"].push_back(
        {{"from", i ? "m" + std::to_string(i - 1) : std::string("patch")}, {"to", "m" + std::to_string(i)}});
  }
  EXPECT_TRUE(problems_of(doc).empty());
  doc["edges"][doc["edges"].size() - n]["from"] = "m" + std::to_string(n - 1);  // m0 fed by the last: a loop
  EXPECT_TRUE(has_problem(doc, "edges", "cycle: m0 -> m1 -> "));
}

TEST(PipelineLimits, DeepNestingIsRefusedBeforeParsing) {
  const std::string deep(1000000, '[');
  try {
    parse_pipeline_text(deep, "pipeline 'deep.json'");
    FAIL() << "accepted";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("pipeline 'deep.json': arrays/objects nested more than 64 deep"),
              std::string::npos)
        << e.what();
  }
  // Brackets inside strings are not nesting.
  const Json ok = parse_pipeline_text(R"({"name": ")" + std::string(500, '[') + R"(", "stages": []})", "p");
  EXPECT_EQ(ok["name"].get<std::string>().size(), 500u);
}

TEST(PipelineLimits, AFileOverTheSizeLimitIsRefusedBeforeReading) {
  testing_support::TempDir dir;
  const auto file = dir / "huge.json";
  {
    std::ofstream out(file);
    out << R"({"name": ")" << std::string(kMaxPipelineBytes, 'x') << R"("})";
  }
  try {
    read_pipeline_file(file);
    FAIL() << "accepted";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("more than the limit of 1048576"), std::string::npos) << e.what();
  }
  EXPECT_THROW(read_pipeline_file(dir.path()), Error);  // a directory
}

TEST(Overrides, HugeDeepOrMisplacedValuesAreProblems) {
  auto problem = [](std::vector<std::string> sets, Json doc = fan_pipeline()) -> std::string {
    try {
      apply_overrides(doc, sets);
    } catch (const PipelineError& e) {
      return e.problems().at(0).str();
    }
    return "";
  };
  EXPECT_NE(problem({"a.scale=" + std::string(kMaxSetValueBytes, '1')}).find("more than the limit of 65536"),
            std::string::npos);
  EXPECT_NE(problem({"a.scale=" + std::string(5000, '[')}).find("more than 64 deep"), std::string::npos);
  Json doc = fan_pipeline();
  doc["stages"][2]["params"] = 5;
  EXPECT_NE(problem({"a.scale=2"}, doc).find("stages[2].params: expected an object"), std::string::npos);
  doc = fan_pipeline();
  doc["stages"][2]["id"] = 12;  // not a string: not the stage named, and no exception
  EXPECT_NE(problem({"a.scale=2"}, doc).find("no stage with id 'a'"), std::string::npos);
}

// Found by fuzz_pipeline_json: a --set value that is not JSON is taken as a
// string, and one that is not UTF-8 made the validator's message throw.
TEST(Overrides, AValueThatIsNotUtf8IsAProblem) {
  Json doc = fan_pipeline();
  try {
    apply_overrides(doc, {"a.tag=\xd6\x01x"});
    FAIL() << "accepted";
  } catch (const PipelineError& e) {
    EXPECT_NE(e.problems().at(0).message.find("not valid UTF-8"), std::string::npos) << e.what();
  }
  // Through a parameter's check the message shows it replaced, without throwing.
  doc = fan_pipeline();
  doc["stages"][2]["params"]["scale"] = std::string("\xd6\x01", 2);
  auto problems = [&] {
    try {
      validate_pipeline(doc, testing_support::test_plugins());
    } catch (const PipelineError& e) {
      return e.problems();
    }
    return std::vector<Problem>{};
  }();
  ASSERT_EQ(problems.size(), 1u);
  EXPECT_NE(problems[0].message.find("expected a number"), std::string::npos) << problems[0].message;
}
