// The binary contract between the screener host and a plugin shared library.
// The entry point and the descriptor are plain C so that the host can read the
// versions before it trusts anything C++ inside the library.
#pragma once
#include <cstdint>

#define SCREENER_ABI_MAJOR 1
#define SCREENER_ABI_MINOR 1
#define SCREENER_PLUGIN_ENTRY_NAME "screener_plugin_entry"

// Everything C++ types crossing the boundary depend on: standard library,
// its dual ABI, and the compiler family/major. Parsed by the host as key=value;...
#define SCREENER_STR_(x) #x
#define SCREENER_STR(x) SCREENER_STR_(x)
#if defined(_LIBCPP_VERSION)
#define SCREENER_STDLIB_ID "stdlib=libc++;cxx11abi=1"
#elif defined(__GLIBCXX__)
#define SCREENER_STDLIB_ID "stdlib=libstdc++;cxx11abi=" SCREENER_STR(_GLIBCXX_USE_CXX11_ABI)
#else
#define SCREENER_STDLIB_ID "stdlib=unknown;cxx11abi=0"
#endif
#if defined(__clang__)
#define SCREENER_COMPILER_ID "compiler=clang;major=" SCREENER_STR(__clang_major__)
#elif defined(__GNUC__)
#define SCREENER_COMPILER_ID "compiler=gcc;major=" SCREENER_STR(__GNUC__)
#else
#define SCREENER_COMPILER_ID "compiler=unknown;major=0"
#endif
#define SCREENER_COMPILER_IDENTITY SCREENER_STDLIB_ID ";" SCREENER_COMPILER_ID

#if defined(_WIN32)
#define SCREENER_EXPORT __declspec(dllexport)
#else
#define SCREENER_EXPORT __attribute__((visibility("default")))
#endif

namespace screener {
class PluginFactory;
}

extern "C" {
struct ScreenerPluginInfo {
  uint32_t abi_major;
  uint32_t abi_minor;
  const char* name;
  const char* version;
  const char* description;
  const char* compiler_identity;
  // Only dereferenced after the versions and the identity were accepted.
  const screener::PluginFactory* factory;
};
typedef const ScreenerPluginInfo* (*ScreenerPluginEntry)(void);
}
