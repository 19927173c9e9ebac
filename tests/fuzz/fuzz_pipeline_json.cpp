// A pipeline document and --set values, as `screener run/validate` takes
// them: parsed under the limits, overridden, validated against plugins.
//
// Input: the pipeline JSON, then optionally a NUL byte and --set values
// separated by NUL bytes (at most 8).
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "pipeline.h"
#include "plugin_registry.h"

using namespace screener;
using namespace screener::runtime;

namespace {

// Stand-ins with the kinds of declarations real plugins make: every
// parameter type, ranges, choices, list lengths, several ports, expansion.
class FuzzSource final : public SourceStage {
 public:
  static void setup(StageSpec& spec) {
    spec.output("volume", payload_type::volume, "v");
    spec.integer("count", 1, "n").range(0, 100);
    spec.param("ids", ParamType::string_list, Json::array(), "ids");
    spec.param("size", ParamType::integer_list, Json::array({1, 2, 3}), "size").length(3);
  }
  explicit FuzzSource(const StageContext&) {}
  std::vector<StudyEntry> discover(const std::string&, const std::function<void(const std::string&)>&) override {
    return {};
  }
  void load(const StudyEntry&, Emitter&) override {}
};

class FuzzPatcher final : public Stage {
 public:
  static void setup(StageSpec& spec) {
    spec.input("volume", payload_type::volume, "v");
    spec.output("patches", payload_type::patch, "p");
    spec.param("roi", ParamType::integer_list, Json::array({8, 8, 8}), "roi").length(3).range(1, 512);
    spec.number("overlap", 0.5, "o").range(0, 0.99);
    spec.expands();
  }
  explicit FuzzPatcher(const StageContext&) {}
  void process(const Inputs&, Emitter&) override {}
};

class FuzzMap final : public Stage {
 public:
  static void setup(StageSpec& spec) {
    spec.input("in", payload_type::patch, "p");
    spec.output("out", payload_type::patch, "p");
    spec.choice("mode", {"a", "b"}, "a", "m");
    spec.flag("on", false, "f");
    spec.text("name", "x", "t");
    spec.param("spacing", ParamType::number_list, Json::array({1.0, 1.0, 1.0}), "s").length(3).at_least(0);
    spec.batches();
  }
  explicit FuzzMap(const StageContext&) {}
  void process(const Inputs&, Emitter&) override {}
};

class FuzzPair final : public Stage {
 public:
  static void setup(StageSpec& spec) {
    spec.input("a", payload_type::patch, "a");
    spec.input("b", payload_type::patch, "b");
    spec.output("volume", payload_type::volume, "v");
  }
  explicit FuzzPair(const StageContext&) {}
  void process(const Inputs&, Emitter&) override {}
};

class FuzzSink final : public Stage {
 public:
  static void setup(StageSpec& spec) { spec.input("any", payload_type::any, "x"); }
  explicit FuzzSink(const StageContext&) {}
  void process(const Inputs&, Emitter&) override {}
};

template <class S> ScreenerPluginInfo info_of(const char* name) {
  static const StageFactory<S> factory;
  return {SCREENER_ABI_MAJOR, SCREENER_ABI_MINOR, name, "1.0.0", "fuzz", SCREENER_COMPILER_IDENTITY, &factory};
}

const PluginRegistry& registry() {
  static const PluginRegistry* reg = [] {
    auto* r = new PluginRegistry();
    r->add_in_process(info_of<FuzzSource>("source"));
    r->add_in_process(info_of<FuzzPatcher>("patcher"));
    r->add_in_process(info_of<FuzzMap>("map"));
    r->add_in_process(info_of<FuzzPair>("pair"));
    r->add_in_process(info_of<FuzzSink>("sink"));
    return r;
  }();
  return *reg;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  const auto nul = input.find('\0');
  const std::string_view text = input.substr(0, nul);
  std::vector<std::string> sets;
  for (auto at = nul; at != std::string_view::npos && sets.size() < 8;) {
    const auto next = input.find('\0', at + 1);
    sets.emplace_back(input.substr(at + 1, next == std::string_view::npos ? std::string_view::npos : next - at - 1));
    at = next;
  }
  Json doc;
  try {
    doc = parse_pipeline_text(text, "pipeline 'fuzz.json'");
  } catch (const Error&) {
    return 0;  // refused: a clear error
  }
  try {
    apply_overrides(doc, sets);
    const Pipeline pipeline = validate_pipeline(doc, registry());
    (void)pipeline_fingerprint(pipeline);
    (void)pipeline.source();
  } catch (const PipelineError& e) {
    for (const auto& p : e.problems()) (void)p.str();
  }
  return 0;
}
