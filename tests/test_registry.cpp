#include <gtest/gtest.h>

#include "plugin_registry.h"
#include "test_support.h"

using namespace screener;
using namespace screener::runtime;

namespace {
std::string refusal(const std::string& file) {
  try {
    load_plugin(std::filesystem::path(BAD_PLUGIN_DIR) / file);
  } catch (const Error& e) {
    return e.what();
  }
  return "accepted";
}
}  // namespace

TEST(Registry, FindsTestPluginsWithTheirDeclarations) {
  const auto& reg = testing_support::test_plugins();
  const Plugin* map = reg.find("test_map");
  ASSERT_NE(map, nullptr);
  EXPECT_EQ(map->version, "1.0.0");
  EXPECT_EQ(map->abi_major, unsigned(SCREENER_ABI_MAJOR));
  EXPECT_EQ(map->spec.kind(), "transform");
  ASSERT_NE(map->spec.find_param("scale"), nullptr);
  EXPECT_EQ(reg.find("test_source")->spec.kind(), "source");
  EXPECT_EQ(reg.find("test_sink")->spec.kind(), "sink");
  EXPECT_TRUE(reg.find("test_patcher")->spec.is_expanding());
  EXPECT_TRUE(reg.refused().empty());
}

TEST(Registry, RefusesAnIncompatibleAbiMajorNamingFileAndVersions) {
  const std::string why = refusal("abi_major.so");
  EXPECT_NE(why.find("abi_major.so"), std::string::npos) << why;
  EXPECT_NE(why.find("ABI " + std::to_string(SCREENER_ABI_MAJOR + 1) + ".0"), std::string::npos) << why;
  EXPECT_NE(why.find("host's ABI " + std::to_string(SCREENER_ABI_MAJOR) + "."), std::string::npos) << why;
}

TEST(Registry, RefusesANewerAbiMinor) {
  const std::string why = refusal("abi_minor.so");
  EXPECT_NE(why.find("newer than the host"), std::string::npos) << why;
  EXPECT_NE(why.find("abi_minor.so"), std::string::npos) << why;
}

TEST(Registry, RefusesAnotherStandardLibrary) {
  const std::string why = refusal("other_compiler.so");
  EXPECT_NE(why.find("incompatible build"), std::string::npos) << why;
  EXPECT_NE(why.find("libc++"), std::string::npos) << why;
}

TEST(Registry, RefusesALibraryWithoutEntryPoint) {
  const std::string why = refusal("no_entry.so");
  EXPECT_NE(why.find("no entry point 'screener_plugin_entry'"), std::string::npos) << why;
  EXPECT_NE(why.find("no_entry.so"), std::string::npos) << why;
}

TEST(Registry, ScanListsRefusedLibrariesAndKeepsTheFirstOfTwoNames) {
  PluginRegistry reg;
  reg.scan({BAD_PLUGIN_DIR, TEST_PLUGIN_DIR, TEST_PLUGIN_DIR});
  EXPECT_EQ(reg.refused().size(), 4u + reg.plugins().size());  // 4 bad + every test plugin shadowed once
  EXPECT_NE(reg.find("test_map"), nullptr);
}

TEST(Registry, ScanForLoadsOnlyTheNamedPlugins) {
  PluginRegistry reg;
  reg.scan_for({TEST_PLUGIN_DIR}, {"test_map", "test_sink"});
  EXPECT_EQ(reg.plugins().size(), 2u);
  EXPECT_NE(reg.find("test_map"), nullptr);
  EXPECT_NE(reg.find("test_sink"), nullptr);
  EXPECT_EQ(reg.find("test_source"), nullptr);
  EXPECT_TRUE(reg.refused().empty());
}

TEST(Registry, ScanForFindsWhatScanFindsUnderAnyFileName) {
  // A directory earlier on the path, holding the plugin under another file
  // name: scan() would take it from there, and so must scan_for().
  testing_support::TempDir dir;
  const auto original = std::filesystem::path(TEST_PLUGIN_DIR) / "screener_test_map.so";
  std::filesystem::copy_file(original, dir / "renamed.so");
  PluginRegistry reg;
  reg.scan_for({BAD_PLUGIN_DIR, dir.path(), TEST_PLUGIN_DIR}, {"test_map"});
  ASSERT_NE(reg.find("test_map"), nullptr);
  EXPECT_EQ(reg.find("test_map")->file, dir / "renamed.so");
  EXPECT_EQ(reg.plugins().size(), 1u);
  EXPECT_EQ(reg.refused().size(), 4u);  // the bad directory had to be read whole

  PluginRegistry missing;
  missing.scan_for({TEST_PLUGIN_DIR}, {"no_such_plugin"});
  EXPECT_EQ(missing.find("no_such_plugin"), nullptr);
  EXPECT_GT(missing.plugins().size(), 2u);  // every library was tried
}

TEST(Registry, IdentityRules) {
  const std::string host = "stdlib=libstdc++;cxx11abi=1;compiler=gcc;major=12";
  EXPECT_EQ(identity_mismatch(host, host), "");
  EXPECT_EQ(identity_mismatch("stdlib=libstdc++;cxx11abi=1;compiler=gcc;major=11", host), "");
  EXPECT_NE(identity_mismatch("stdlib=libstdc++;cxx11abi=0;compiler=gcc;major=12", host), "");
  EXPECT_NE(identity_mismatch("stdlib=libstdc++;cxx11abi=1;compiler=gcc;major=13", host), "");
}

TEST(Registry, SearchPathPutsExplicitDirectoriesFirstAndNeverTheWorkingDirectory) {
  setenv("SCREENER_PLUGIN_PATH", "/env/a:/env/b", 1);
  auto dirs = PluginRegistry::search_path({"/cli"});
  unsetenv("SCREENER_PLUGIN_PATH");
  ASSERT_GE(dirs.size(), 3u);
  EXPECT_EQ(dirs[0], "/cli");
  EXPECT_EQ(dirs[1], "/env/a");
  EXPECT_EQ(dirs[2], "/env/b");
  for (const auto& d : dirs) {
    EXPECT_NE(d, ".");
    EXPECT_NE(d, "");
  }
}
