#include "progress.h"

#include <sys/ioctl.h>
#include <unistd.h>

#include <algorithm>
#include <string>

namespace screener::runtime {

namespace {
std::string duration(double s) {
  if (s < 0 || s > 1e7) return "--";
  const long t = long(s + 0.5);
  char buf[32];
  if (t >= 3600) std::snprintf(buf, sizeof buf, "%ldh%02ldm", t / 3600, (t / 60) % 60);
  else if (t >= 60) std::snprintf(buf, sizeof buf, "%ldm%02lds", t / 60, t % 60);
  else std::snprintf(buf, sizeof buf, "%lds", t);
  return buf;
}

// The items of the stage furthest behind: how far the study is.
StageItems slowest(const std::vector<StageItems>& items) {
  StageItems worst;
  double f = 2;
  for (const auto& i : items)
    if (i.total > 0 && double(i.done) / double(i.total) < f) {
      f = double(i.done) / double(i.total);
      worst = i;
    }
  return worst;
}

// 0 when unknown.
std::size_t terminal_width(std::FILE* out) {
  winsize w{};
  if (::ioctl(::fileno(out), TIOCGWINSZ, &w) == 0 && w.ws_col > 20) return w.ws_col;
  return 0;
}
}  // namespace

Progress::Progress(std::FILE* out, double interval_s) : Progress(out, interval_s, ::isatty(::fileno(out)) != 0) {}

Progress::Progress(std::FILE* out, double interval_s, bool terminal)
    : out_(out), interval_s_(interval_s), tty_(terminal) {}

std::string Progress::describe(const StudyProgress& study) {
  if (study.items.empty())
    return study.id + ": in " + (study.stage.empty() ? std::string("?") : study.stage) + ", " +
           duration(study.seconds) + " since it started";
  const StageItems worst = slowest(study.items);
  std::string line = study.id + ": " + std::to_string(worst.done) + "/" + std::to_string(worst.total) + " items (";
  for (std::size_t i = 0; i < study.items.size(); ++i)
    line += (i ? ", " : "") + study.items[i].stage + " " + std::to_string(study.items[i].done) + "/" +
            std::to_string(study.items[i].total);
  return line + "), " + duration(study.seconds_in_items) + ", ETA " + duration(study.eta_seconds());
}

void Progress::update(const RunReport& so_far, const StudyRecord* finished, std::size_t total) {
  const int done = so_far.count("done"), failed = so_far.count("failed") + so_far.count("incomplete");
  const int finished_n = int(so_far.studies.size());
  const auto now = Clock::now();
  const double elapsed = std::chrono::duration<double>(now - start_).count();
  // Studies skipped as done by an earlier run count as finished, not as speed.
  const int processed = finished_n - so_far.count("skipped");
  const double rate = elapsed > 0 ? processed / elapsed : 0;
  const double eta = rate > 0 ? (double(total) - finished_n) / rate : -1;
  if (!tty_) {
    if (finished) {
      std::string line = "[" + std::to_string(finished_n) + "/" + std::to_string(total) + "] " + finished->id + ": " +
                         finished->status;
      std::string items;
      if (!finished->items.empty()) {
        const StageItems worst = slowest(finished->items);
        items = std::to_string(worst.done) + "/" + std::to_string(worst.total) + " items";
      }
      if (!finished->error.empty())
        line += " in stage '" + finished->failed_stage + "': " + finished->error + (items.empty() ? "" : " (" + items + ")");
      else if (!items.empty())
        line += ", " + items;
      std::fprintf(out_, "%s\n", line.c_str());
    } else if (interval_s_ > 0 && std::chrono::duration<double>(now - last_lines_).count() >= interval_s_) {
      last_lines_ = now;
      for (const auto& study : so_far.active)
        std::fprintf(out_, "[%d/%zu] %s\n", finished_n, total, describe(study).c_str());
    }
    std::fflush(out_);
    return;
  }
  const int width = 30;
  const int fill = total ? int(width * double(finished_n) / double(total)) : 0;
  std::string bar(std::size_t(std::min(fill, width)), '#');
  bar.resize(width, '.');
  char head[256];
  std::snprintf(head, sizeof head, "[%s] %d/%zu  done %d  skipped %d  failed %d  %.2f studies/min  ETA %s", bar.c_str(),
                finished_n, total, done, so_far.count("skipped"), failed, rate * 60, duration(eta).c_str());
  std::string line = head;
  for (const auto& study : so_far.active) {
    if (study.items.empty()) continue;
    const StageItems worst = slowest(study.items);
    line += "  | " + study.id + " " + std::to_string(worst.done) + "/" + std::to_string(worst.total) + " " +
            worst.stage + " ETA " + duration(study.eta_seconds());
  }
  // A wrapped line could not be redrawn in place.
  const std::size_t columns = terminal_width(out_);
  if (columns && line.size() >= columns) line.resize(columns - 1);
  std::fprintf(out_, "\r\033[K%s", line.c_str());
  std::fflush(out_);
  drawn_ = true;
}

void Progress::close() {
  if (tty_ && drawn_) std::fprintf(out_, "\n");
}

}  // namespace screener::runtime
