// A line of manifest.jsonl: the output directory is the user's, and a crash,
// a full disk or another tool may have left anything in it.
#include <cstddef>
#include <cstdint>
#include <string>

#include "manifest.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string line(reinterpret_cast<const char*>(data), size);
  if (auto record = screener::runtime::parse_manifest_line(line)) {
    // What the runner does with a record: compare, and write it back.
    (void)record->to_json().dump();
  }
  return 0;
}
