#include "manifest.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>

#include "screener/error.h"

namespace screener::runtime {
namespace fs = std::filesystem;

Json ManifestRecord::to_json() const {
  return {{"study", study}, {"fingerprint", fingerprint}, {"pipeline", pipeline}, {"status", status},
          {"error", error}, {"outputs", outputs}, {"finished_unix", finished_unix}};
}

ManifestRecord ManifestRecord::from_json(const Json& j) {
  ManifestRecord r;
  r.study = j.at("study").get<std::string>();
  r.fingerprint = j.value("fingerprint", "");
  r.pipeline = j.value("pipeline", "");
  r.status = j.at("status").get<std::string>();
  r.error = j.value("error", "");
  r.outputs = j.value("outputs", std::vector<std::string>{});
  r.finished_unix = j.value("finished_unix", 0.0);
  return r;
}

std::string fingerprint(const std::string& text) {
  uint64_t h = 1469598103934665603ull;
  for (unsigned char c : text) {
    h ^= c;
    h *= 1099511628211ull;
  }
  char buf[17];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(h));
  return buf;
}

bool Shard::contains(const std::string& study_id) const {
  return count <= 1 || std::strtoull(fingerprint(study_id).c_str(), nullptr, 16) % uint64_t(count) == uint64_t(index);
}

std::string Shard::suffix() const {
  return count <= 1 ? std::string() : ".shard-" + std::to_string(index) + "-of-" + std::to_string(count);
}

Shard Shard::parse(const std::string& text) {
  const auto slash = text.find('/');
  try {
    if (slash != std::string::npos) {
      std::size_t a = 0, b = 0;
      Shard s{std::stoi(text.substr(0, slash), &a), std::stoi(text.substr(slash + 1), &b)};
      if (a == slash && b == text.size() - slash - 1 && s.count >= 1 && s.index >= 0 && s.index < s.count) return s;
    }
  } catch (const std::exception&) {
  }
  throw Error("--shard '" + text + "': expected I/N with 0 <= I < N");
}

Shard Shard::from_environment() {
  const char* id = std::getenv("SLURM_ARRAY_TASK_ID");
  const char* count = std::getenv("SLURM_ARRAY_TASK_COUNT");
  if (!id || !count) return {};
  const char* min = std::getenv("SLURM_ARRAY_TASK_MIN");
  const int first = min ? std::atoi(min) : 0;
  return parse(std::to_string(std::atoi(id) - first) + "/" + count);
}

std::optional<ManifestRecord> parse_manifest_line(const std::string& line) {
  const Json j = Json::parse(line, nullptr, false);
  if (j.is_discarded() || !j.is_object() || !j.contains("study") || !j.contains("status")) return std::nullopt;
  try {
    return ManifestRecord::from_json(j);
  } catch (const Json::exception&) {  // a field of the wrong type: not a line we wrote
    return std::nullopt;
  }
}

std::map<std::string, ManifestRecord> read_manifests(const std::vector<fs::path>& dirs) {
  std::vector<std::pair<double, ManifestRecord>> all;
  for (const auto& dir : dirs) {
    std::error_code ec;
    for (const auto& e : fs::directory_iterator(dir, ec)) {
      const std::string name = e.path().filename().string();
      if (name.rfind("manifest", 0) != 0 || e.path().extension() != ".jsonl") continue;
      std::ifstream in(e.path());
      std::string line;
      while (std::getline(in, line))
        if (auto r = parse_manifest_line(line)) all.emplace_back(r->finished_unix, std::move(*r));
    }
  }
  std::map<std::string, ManifestRecord> latest;
  for (auto& [t, r] : all) {
    auto it = latest.find(r.study);
    if (it == latest.end() || it->second.finished_unix <= t) latest[r.study] = r;
  }
  return latest;
}

ManifestWriter::ManifestWriter(fs::path file) : file_(std::move(file)) {
  fd_ = ::open(file_.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (fd_ < 0) throw Error("cannot open manifest '" + file_.string() + "': " + std::strerror(errno));
  // A crash may have left a torn line; make sure ours starts on a fresh one.
  const off_t end = ::lseek(fd_, 0, SEEK_END);
  if (end > 0) {
    char last = '\n';
    const int rd = ::open(file_.c_str(), O_RDONLY | O_CLOEXEC);
    if (rd >= 0) {
      if (::pread(rd, &last, 1, end - 1) != 1) last = '\n';
      ::close(rd);
    }
    if (last != '\n' && ::write(fd_, "\n", 1) != 1)
      throw Error("cannot write manifest '" + file_.string() + "': " + std::strerror(errno));
  }
}

ManifestWriter::~ManifestWriter() {
  if (fd_ >= 0) ::close(fd_);
}

void ManifestWriter::append(const ManifestRecord& record) {
  const std::string line = record.to_json().dump() + "\n";
  std::lock_guard lock(mu_);
  std::size_t done = 0;
  while (done < line.size()) {
    const ssize_t n = ::write(fd_, line.data() + done, line.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      throw Error("cannot write manifest '" + file_.string() + "': " + std::strerror(errno));
    }
    done += std::size_t(n);
  }
  if (::fsync(fd_) != 0) throw Error("cannot sync manifest '" + file_.string() + "': " + std::strerror(errno));
}

}  // namespace screener::runtime
