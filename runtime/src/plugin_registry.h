// Finds plugin libraries on the search path, checks their ABI and compiler
// identity, and keeps the accepted ones loaded for the life of the registry.
#pragma once
#include <filesystem>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "screener/stage.h"

namespace screener::runtime {

struct Plugin {
  std::filesystem::path file;
  std::string name, version, description;
  uint32_t abi_major = 0, abi_minor = 0;
  std::string compiler_identity;
  const PluginFactory* factory = nullptr;
  StageSpec spec;
  std::shared_ptr<void> library;  // dlclose()s when the last user lets go
};

struct RefusedPlugin {
  std::filesystem::path file;
  std::string reason;
};

// Loads one library. Throws Error naming the file and the reason it is refused.
Plugin load_plugin(const std::filesystem::path& file);

// The identity check on its own, for tests: empty when compatible.
std::string identity_mismatch(const std::string& plugin_identity, const std::string& host_identity);

class PluginRegistry {
 public:
  // --plugins directories first, then SCREENER_PLUGIN_PATH, then the directory
  // installed next to the executable. Never the current directory.
  static std::vector<std::filesystem::path> search_path(const std::vector<std::filesystem::path>& explicit_dirs);

  // Loads every *.so in `dirs`; for a name found twice the earlier directory wins.
  void scan(const std::vector<std::filesystem::path>& dirs);

  // Loads, for each of `names`, the plugin scan() would find, and as few other
  // libraries as it can: in each directory the file screener_<name>.so (the
  // name screener_add_plugin gives) first, and every library of that directory
  // only when that does not provide the name. A pipeline that needs no model
  // then never pays for LibTorch's start-up.
  void scan_for(const std::vector<std::filesystem::path>& dirs, const std::vector<std::string>& names);

  // A plugin compiled into the calling program (fuzz targets, tests): what
  // load_plugin() checks of a library's descriptor, without a library.
  void add_in_process(const ScreenerPluginInfo& info);

  const Plugin* find(const std::string& name) const;
  const std::vector<Plugin>& plugins() const { return plugins_; }
  const std::vector<RefusedPlugin>& refused() const { return refused_; }

 private:
  void add(const std::filesystem::path& file);
  // With skip_tried, libraries add()ed before are not loaded again (scan_for
  // may reach a directory twice); scan() reports a directory listed twice as
  // shadowing itself.
  void scan_directory(const std::filesystem::path& dir, bool skip_tried);

  std::vector<Plugin> plugins_;
  std::vector<RefusedPlugin> refused_;
  std::set<std::filesystem::path> tried_;  // every file add()ed
};

}  // namespace screener::runtime
