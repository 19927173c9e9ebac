#include "plugin_registry.h"

#include <dlfcn.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <map>
#include <sstream>

namespace screener::runtime {
namespace fs = std::filesystem;

namespace {

std::map<std::string, std::string> parse_identity(const std::string& s) {
  std::map<std::string, std::string> kv;
  std::stringstream in(s);
  std::string item;
  while (std::getline(in, item, ';')) {
    auto eq = item.find('=');
    if (eq != std::string::npos) kv[item.substr(0, eq)] = item.substr(eq + 1);
  }
  return kv;
}

fs::path executable_dir() {
  std::error_code ec;
  auto exe = fs::read_symlink("/proc/self/exe", ec);
  return ec ? fs::path() : exe.parent_path();
}

}  // namespace

std::string identity_mismatch(const std::string& plugin_identity, const std::string& host_identity) {
  auto p = parse_identity(plugin_identity), h = parse_identity(host_identity);
  for (const char* key : {"stdlib", "cxx11abi", "compiler"})
    if (p[key] != h[key])
      return std::string(key) + " differs (plugin '" + plugin_identity + "', host '" + host_identity + "')";
  // A newer compiler's standard library may need symbols the host's lacks.
  if (std::atoi(p["major"].c_str()) > std::atoi(h["major"].c_str()))
    return "built by a newer compiler (plugin '" + plugin_identity + "', host '" + host_identity + "')";
  return {};
}

Plugin load_plugin(const fs::path& file) {
  const std::string where = "plugin '" + file.string() + "'";
  void* handle = ::dlopen(file.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (!handle) throw Error(where + ": cannot be loaded: " + ::dlerror());
  std::shared_ptr<void> library(handle, [](void* h) { ::dlclose(h); });

  auto entry = reinterpret_cast<ScreenerPluginEntry>(::dlsym(handle, SCREENER_PLUGIN_ENTRY_NAME));
  if (!entry) throw Error(where + ": no entry point '" SCREENER_PLUGIN_ENTRY_NAME "' (not a screener plugin)");
  const ScreenerPluginInfo* info = entry();
  if (!info) throw Error(where + ": entry point returned no descriptor");

  const std::string host_abi = std::to_string(SCREENER_ABI_MAJOR) + "." + std::to_string(SCREENER_ABI_MINOR);
  const std::string plugin_abi = std::to_string(info->abi_major) + "." + std::to_string(info->abi_minor);
  if (info->abi_major != SCREENER_ABI_MAJOR)
    throw Error(where + ": ABI " + plugin_abi + " is incompatible with the host's ABI " + host_abi +
                " (major versions differ)");
  if (info->abi_minor > SCREENER_ABI_MINOR)
    throw Error(where + ": ABI " + plugin_abi + " is newer than the host's ABI " + host_abi);
  const std::string identity = info->compiler_identity ? info->compiler_identity : "";
  if (auto why = identity_mismatch(identity, SCREENER_COMPILER_IDENTITY); !why.empty())
    throw Error(where + ": incompatible build: " + why);
  if (!info->name || !*info->name || !info->factory) throw Error(where + ": descriptor has no name or factory");

  Plugin p;
  p.file = file;
  p.name = info->name;
  p.version = info->version ? info->version : "";
  p.description = info->description ? info->description : "";
  p.abi_major = info->abi_major;
  p.abi_minor = info->abi_minor;
  p.compiler_identity = identity;
  p.factory = info->factory;
  try {
    p.factory->setup(p.spec);
  } catch (const std::exception& e) {
    throw Error(where + ": setup() failed: " + e.what());
  }
  p.library = std::move(library);
  return p;
}

std::vector<fs::path> PluginRegistry::search_path(const std::vector<fs::path>& explicit_dirs) {
  std::vector<fs::path> dirs = explicit_dirs;
  if (const char* env = std::getenv("SCREENER_PLUGIN_PATH")) {
    std::stringstream in(env);
    std::string dir;
    while (std::getline(in, dir, ':'))
      if (!dir.empty()) dirs.emplace_back(dir);
  }
  if (auto exe = executable_dir(); !exe.empty()) dirs.push_back(exe.parent_path() / "lib" / "screener" / "plugins");
  return dirs;
}

void PluginRegistry::add(const fs::path& file) {
  tried_.insert(file);
  try {
    Plugin p = load_plugin(file);
    if (find(p.name)) {
      refused_.push_back({file, "plugin '" + p.name + "' is shadowed by " + find(p.name)->file.string()});
      return;
    }
    plugins_.push_back(std::move(p));
  } catch (const std::exception& e) {
    refused_.push_back({file, e.what()});
  }
}

void PluginRegistry::scan_directory(const fs::path& dir, bool skip_tried) {
  std::error_code ec;
  std::vector<fs::path> files;
  for (const auto& e : fs::directory_iterator(dir, ec))
    if (e.path().extension() == ".so" && e.is_regular_file()) files.push_back(e.path());
  std::sort(files.begin(), files.end());
  for (const auto& f : files)
    if (!skip_tried || !tried_.count(f)) add(f);
}

void PluginRegistry::scan(const std::vector<fs::path>& dirs) {
  for (const auto& dir : dirs) {
    std::error_code ec;
    if (fs::is_directory(dir, ec)) scan_directory(dir, false);
  }
}

void PluginRegistry::scan_for(const std::vector<fs::path>& dirs, const std::vector<std::string>& names) {
  for (const auto& dir : dirs) {
    std::error_code ec;
    if (!fs::is_directory(dir, ec)) continue;
    for (const auto& name : names) {
      if (find(name)) continue;
      const fs::path conventional = dir / ("screener_" + name + ".so");
      if (fs::is_regular_file(conventional, ec) && !tried_.count(conventional)) add(conventional);
      if (!find(name)) scan_directory(dir, true);
    }
  }
}

void PluginRegistry::add_in_process(const ScreenerPluginInfo& info) {
  if (!info.name || !*info.name || !info.factory) throw Error("in-process plugin: descriptor has no name or factory");
  Plugin p;
  p.file = "(in process)";
  p.name = info.name;
  p.version = info.version ? info.version : "";
  p.description = info.description ? info.description : "";
  p.abi_major = info.abi_major;
  p.abi_minor = info.abi_minor;
  p.compiler_identity = info.compiler_identity ? info.compiler_identity : "";
  p.factory = info.factory;
  p.factory->setup(p.spec);
  if (find(p.name)) throw Error("in-process plugin '" + p.name + "' is already registered");
  plugins_.push_back(std::move(p));
}

const Plugin* PluginRegistry::find(const std::string& name) const {
  for (const auto& p : plugins_)
    if (p.name == name) return &p;
  return nullptr;
}

}  // namespace screener::runtime
