#include "screener/files.h"

#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <cctype>
#include <cerrno>
#include <charconv>
#include <chrono>
#include <cstring>
#include <random>

#include "screener/error.h"

namespace screener {

std::string sanitize_filename(std::string_view name) {
  std::string out;
  for (char c : name) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
                    c == '-' || c == '_';
    out += ok ? c : '_';
    if (out.size() == 128) break;
  }
  // Leading dots would hide the file or form "."/".."; our temp files start with one too.
  for (auto& c : out) {
    if (c != '.') break;
    c = '_';
  }
  return out.empty() ? std::string("_") : out;
}

namespace {
const std::string& this_host() {
  static const std::string host = [] {
    char buf[256] = {};
    std::string h = ::gethostname(buf, sizeof buf - 1) == 0 ? buf : "";
    for (auto& c : h)
      if (!std::isalnum(static_cast<unsigned char>(c)) && c != '.' && c != '-' && c != '_') c = '_';
    return h.empty() ? std::string("unknown") : h;
  }();
  return host;
}

// "<pid>@<host>@<counter>-<random>": the writer, then what makes the name unique.
std::string temp_suffix() {
  static std::atomic<unsigned> counter{0};
  thread_local std::mt19937_64 rng{std::random_device{}()};
  return std::to_string(::getpid()) + "@" + this_host() + "@" + std::to_string(counter++) + "-" +
         std::to_string(rng() % 1000000);
}

[[noreturn]] void fail(const std::filesystem::path& path, const char* what) {
  throw Error("cannot write '" + path.string() + "': " + what + ": " + std::strerror(errno));
}

std::filesystem::path temporary_beside(const std::filesystem::path& path) {
  const auto dir = path.has_parent_path() ? path.parent_path() : std::filesystem::path(".");
  return dir / (std::string(kTempPrefix) + temp_suffix() + "-" + path.filename().string());
}
}  // namespace

bool is_stale_temp_file(const std::filesystem::path& file) {
  const std::string name = file.filename().string();
  if (name.rfind(kTempPrefix, 0) != 0) return false;
  const std::string_view rest = std::string_view(name).substr(kTempPrefix.size());
  const auto pid_end = rest.find('@');
  const auto host_end = pid_end == std::string_view::npos ? pid_end : rest.find('@', pid_end + 1);
  long pid = 0;
  if (host_end == std::string_view::npos ||
      std::from_chars(rest.data(), rest.data() + pid_end, pid).ptr != rest.data() + pid_end || pid <= 0)
    return true;
  if (rest.substr(pid_end + 1, host_end - pid_end - 1) == this_host())
    return ::kill(pid_t(pid), 0) != 0 && errno == ESRCH;
  std::error_code ec;
  const auto written = std::filesystem::last_write_time(file, ec);
  return !ec && std::filesystem::file_time_type::clock::now() - written > std::chrono::hours(24);
}

void write_atomically(const std::filesystem::path& path,
                      const std::function<void(const std::filesystem::path& temporary)>& write) {
  const auto tmp = temporary_beside(path);
  try {
    write(tmp);
  } catch (...) {
    std::error_code ec;
    std::filesystem::remove(tmp, ec);
    throw;
  }
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    ::unlink(tmp.c_str());
    fail(path, "rename");
  }
}

void write_file_atomic(const std::filesystem::path& path, std::string_view bytes) {
  const auto tmp = temporary_beside(path);
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  if (fd < 0) fail(path, "open");
  std::size_t done = 0;
  while (done < bytes.size()) {
    const ssize_t n = ::write(fd, bytes.data() + done, bytes.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      ::close(fd);
      ::unlink(tmp.c_str());
      fail(path, "write");
    }
    done += static_cast<std::size_t>(n);
  }
  if (::fsync(fd) != 0 || ::close(fd) != 0) {
    ::unlink(tmp.c_str());
    fail(path, "fsync");
  }
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    ::unlink(tmp.c_str());
    fail(path, "rename");
  }
}

}  // namespace screener
