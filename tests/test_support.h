// Shared by the runtime tests: a temporary directory, pipelines of test plugins.
#pragma once
#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <vector>

#include "pipeline.h"
#include "plugin_registry.h"
#include "temp_dir.h"

namespace testing_support {
namespace fs = std::filesystem;
using screener::Json;

using TempDir = screener::test::TempDir;

inline const screener::runtime::PluginRegistry& test_plugins() {
  static const auto* reg = [] {
    auto* r = new screener::runtime::PluginRegistry();
    r->scan({TEST_PLUGIN_DIR});
    return r;
  }();
  return *reg;
}

inline fs::path write_study_list(const fs::path& dir, int n, const std::string& prefix = "s") {
  const fs::path file = dir / "studies.txt";
  std::ofstream out(file);
  for (int i = 0; i < n; ++i) out << prefix << i << "\n";
  return file;
}

// src -> patch -> {a, b} -> pair -> collect -> sink
inline Json fan_pipeline(int patches = 6) {
  return Json::parse(R"({
    "name": "fan",
    "stages": [
      {"id": "src", "plugin": "test_source"},
      {"id": "patch", "plugin": "test_patcher", "params": {"patches": )" + std::to_string(patches) + R"(}},
      {"id": "a", "plugin": "test_map", "params": {"offset": 0.5}},
      {"id": "b", "plugin": "test_map", "params": {"scale": 2.0}},
      {"id": "pair", "plugin": "test_pair"},
      {"id": "collect", "plugin": "test_collect"},
      {"id": "sink", "plugin": "test_sink"}
    ],
    "edges": [
      {"from": "src", "to": "patch"},
      {"from": "patch", "to": "a"},
      {"from": "patch", "to": "b"},
      {"from": "a", "to": "pair.a"},
      {"from": "b", "to": "pair.b"},
      {"from": "pair", "to": "collect"},
      {"from": "collect", "to": "sink"}
    ]})");
}

// What collect emits for the study at list position k: the sum over items i of
// a + b = (v + 0.5) + 2v with v = 1000 k + i.
inline double expected_sum(int k, int n) {
  double s = 0;
  for (int i = 0; i < n; ++i) s += 3.0 * (1000.0 * k + i) + 0.5;
  return s;
}

inline Json read_json(const fs::path& file) {
  std::ifstream in(file);
  return Json::parse(in);
}

}  // namespace testing_support
