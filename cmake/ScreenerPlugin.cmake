# screener_add_plugin(<name> SOURCES ... [LIBRARIES ...] [OUTPUT_DIR dir] [NO_INSTALL])
# Builds screener_<name>.so, a module loaded by the runtime at run time.
# Used in this tree and, through find_package(Screener), outside it.
if(NOT DEFINED SCREENER_PLUGIN_OUTPUT_DIR)
  set(SCREENER_PLUGIN_OUTPUT_DIR ${CMAKE_BINARY_DIR}/plugins)
endif()
if(NOT DEFINED SCREENER_PLUGIN_INSTALL_DIR)
  set(SCREENER_PLUGIN_INSTALL_DIR lib/screener/plugins)
endif()

function(screener_add_plugin name)
  cmake_parse_arguments(ARG "NO_INSTALL" "OUTPUT_DIR" "SOURCES;LIBRARIES" ${ARGN})
  set(target screener_${name})
  add_library(${target} MODULE ${ARG_SOURCES})
  target_link_libraries(${target} PRIVATE screener::core ${ARG_LIBRARIES})
  if(NOT ARG_OUTPUT_DIR)
    set(ARG_OUTPUT_DIR ${SCREENER_PLUGIN_OUTPUT_DIR})
  endif()
  set_target_properties(${target} PROPERTIES PREFIX "" OUTPUT_NAME ${target}
    LIBRARY_OUTPUT_DIRECTORY ${ARG_OUTPUT_DIR}
    INSTALL_RPATH "$ORIGIN/../..")
  if(NOT ARG_NO_INSTALL)
    install(TARGETS ${target} LIBRARY DESTINATION ${SCREENER_PLUGIN_INSTALL_DIR})
  endif()
endfunction()

# screener_add_plugin_test(<name> SOURCES ... [LIBRARIES ...] [PROPERTIES ...])
# A GoogleTest executable for a plugin's own tests/ folder. PLUGIN_TEST_DIR
# points at that folder (oracle scripts live there). PROPERTIES are added to
# every discovered test (e.g. FIXTURES_REQUIRED).
function(screener_add_plugin_test name)
  if(NOT SCREENER_BUILD_TESTS)
    return()
  endif()
  cmake_parse_arguments(ARG "" "" "SOURCES;LIBRARIES;PROPERTIES" ${ARGN})
  add_executable(${name} ${ARG_SOURCES})
  target_link_libraries(${name} PRIVATE screener::core screener_test_support GTest::gtest_main ${ARG_LIBRARIES})
  target_compile_definitions(${name} PRIVATE PLUGIN_TEST_DIR="${CMAKE_CURRENT_SOURCE_DIR}/tests")
  gtest_discover_tests(${name} DISCOVERY_TIMEOUT 60 PROPERTIES TIMEOUT 300 ${ARG_PROPERTIES})
endfunction()
