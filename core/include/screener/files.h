// Output helpers every writer needs: names that cannot escape the output
// directory, and files that appear whole or not at all.
#pragma once
#include <filesystem>
#include <functional>
#include <string>
#include <string_view>

namespace screener {

// Letters, digits, '.', '-', '_' kept; everything else becomes '_'; never
// empty, never "." or "..", at most 128 characters.
std::string sanitize_filename(std::string_view name);

// Writes to a temporary file beside `path`, flushes it to disk, then renames
// it over `path`. On failure nothing is left at `path` (an old file stays).
void write_file_atomic(const std::filesystem::path& path, std::string_view bytes);

// Calls write(temporary) with a fresh path beside `path` whose name ends with
// path's file name (so libraries that pick a format by extension, like ITK,
// still do), then renames it over `path`. If write throws, the temporary is
// removed and the exception goes on; nothing is left at `path`.
void write_atomically(const std::filesystem::path& path,
                      const std::function<void(const std::filesystem::path& temporary)>& write);

// Prefix of the temporary files these make; never a final name. A run
// removes leftovers (from a killed process) from its output directory.
inline constexpr std::string_view kTempPrefix = ".screener-tmp-";

// Whether `file` is a temporary file whose writer is gone. Temporary names
// carry the writer's pid and host: on this host it is gone when the pid is
// not alive; another host's writer cannot be asked, so its file counts as
// gone after a day without writes (shards of one archive on several nodes
// share the output directory). Names without a writer are stale.
bool is_stale_temp_file(const std::filesystem::path& file);

}  // namespace screener
