#include "run_components.h"

namespace screener::foreground_crop::detail {

// Unites the runs of `line` with the runs of `other` they share a k with.
void join_lines(const RunComponents& c, int64_t line, int64_t other, std::vector<int32_t>& parent) {
  int64_t a = c.line_start[std::size_t(line)], b = c.line_start[std::size_t(other)];
  const int64_t a_end = c.line_start[std::size_t(line) + 1], b_end = c.line_start[std::size_t(other) + 1];
  while (a < a_end && b < b_end) {
    const auto sa = std::size_t(a), sb = std::size_t(b);
    if (c.begin[sa] < c.end[sb] && c.begin[sb] < c.end[sa]) unite(parent, int32_t(a), int32_t(b));
    // The run that ends first cannot overlap anything after the other.
    if (c.end[sa] < c.end[sb]) ++a;
    else ++b;
  }
}

void finish_components(RunComponents& c, std::vector<int32_t>& parent, int64_t slab) {
  const Index3& size = c.size;
  for (int64_t i = slab; i < size[0]; i += slab)
    for (int64_t j = 0; j < size[1]; ++j) {
      const int64_t line = i * size[1] + j;
      join_lines(c, line, line - size[1], parent);
    }
  // Parents precede their children, so one ascending pass names every run by its root.
  c.component.resize(parent.size());
  for (std::size_t r = 0; r < parent.size(); ++r)
    c.component[r] = parent[r] == int32_t(r) ? int32_t(r) : c.component[std::size_t(parent[r])];
}

}  // namespace screener::foreground_crop::detail
