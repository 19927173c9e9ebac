// JSON from outside (pipeline files, --set values, DICOM JSON from a PACS):
// sizes a hostile text could claim are refused before anything is built.
#pragma once
#include <cstddef>
#include <string>
#include <string_view>

#include "screener/spec.h"

namespace screener {

struct JsonLimits {
  std::size_t max_bytes = std::size_t(64) << 20;
  int max_depth = 64;  // arrays and objects inside each other
};

// Deepest nesting of arrays and objects in `text` (brackets inside strings do
// not count); stops counting past `stop_after`. Linear, allocates nothing.
int json_nesting_depth(std::string_view text, int stop_after);

// Parses `text`; throws InputError naming `what` when it is longer than
// limits.max_bytes, nested deeper than limits.max_depth (both checked before
// parsing) or not JSON (with the parser's position).
Json parse_json_limited(std::string_view text, const JsonLimits& limits, const std::string& what);

}  // namespace screener
