// What an output directory already holds, study by study, so that re-running
// the same command over an archive does only what is missing.
//
// One append-only JSON Lines file per shard (manifest[.shard-I-of-N].jsonl),
// one line per finished study, flushed to disk before the study counts as
// done. A line torn by a crash is ignored; the latest line of a study wins.
#pragma once
#include <cstdint>
#include <filesystem>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "screener/spec.h"

namespace screener::runtime {

struct ManifestRecord {
  std::string study, fingerprint, pipeline, status, error;
  std::vector<std::string> outputs;
  double finished_unix = 0;
  Json to_json() const;
  static ManifestRecord from_json(const Json& j);
};

struct Shard {
  int index = 0, count = 1;
  bool contains(const std::string& study_id) const;
  std::string suffix() const;  // "" or ".shard-I-of-N"
  // "I/N"; throws Error when malformed.
  static Shard parse(const std::string& text);
  // From SLURM_ARRAY_TASK_ID/_MIN/_COUNT when set, else the whole archive.
  static Shard from_environment();
};

// FNV-1a, 64 bit, as 16 hex digits: a stable name for inputs and pipelines.
std::string fingerprint(const std::string& text);

// One manifest line; nothing for a line torn by a crash or otherwise not a
// record (not JSON, not an object, fields of the wrong type).
std::optional<ManifestRecord> parse_manifest_line(const std::string& line);

// Latest record per study from every manifest*.jsonl in `dirs`.
std::map<std::string, ManifestRecord> read_manifests(const std::vector<std::filesystem::path>& dirs);

class ManifestWriter {
 public:
  explicit ManifestWriter(std::filesystem::path file);
  ~ManifestWriter();
  ManifestWriter(const ManifestWriter&) = delete;
  ManifestWriter& operator=(const ManifestWriter&) = delete;
  // Appends one line and fsyncs it.
  void append(const ManifestRecord& record);

 private:
  std::filesystem::path file_;
  int fd_ = -1;
  std::mutex mu_;
};

}  // namespace screener::runtime
