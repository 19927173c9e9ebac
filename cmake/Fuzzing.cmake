# Fuzz targets: a libFuzzer entry point (LLVMFuzzerTestOneInput) over one
# parser of outside bytes, with a seed corpus in tests/fuzz/corpus/<name>/.
#
#   screener_add_fuzz_target(<name> SOURCES ... [LIBRARIES ...])
#
# Every build with tests makes <name>_replay (the entry point driven by
# tests/fuzz/replay_main.cpp) and the CTest fuzz_replay.<name>, which runs every
# corpus file once: regressions are caught on each build without fuzzing.
# With -DSCREENER_FUZZ=ON (clang; scripts/fuzz.sh) it also makes <name>_fuzz,
# linked with libFuzzer, to fuzz for real.
option(SCREENER_FUZZ "Build the libFuzzer targets (clang only; see scripts/fuzz.sh)" OFF)
set(SCREENER_FUZZ_DIR ${PROJECT_SOURCE_DIR}/tests/fuzz)

if(SCREENER_FUZZ)
  if(NOT CMAKE_CXX_COMPILER_ID STREQUAL "Clang")
    message(FATAL_ERROR "SCREENER_FUZZ needs clang (CC=clang CXX=clang++), not ${CMAKE_CXX_COMPILER_ID}")
  endif()
  # Coverage feedback from every library of ours, not only the entry point's file.
  add_compile_options(-fsanitize=fuzzer-no-link)
  add_custom_target(fuzz_targets)
endif()

function(screener_add_fuzz_target name)
  cmake_parse_arguments(ARG "" "" "SOURCES;LIBRARIES" ${ARGN})
  set(corpus ${SCREENER_FUZZ_DIR}/corpus/${name})
  if(NOT IS_DIRECTORY ${corpus})
    message(FATAL_ERROR "fuzz target ${name}: no seed corpus at ${corpus}")
  endif()
  if(SCREENER_BUILD_TESTS)
    add_executable(${name}_replay ${ARG_SOURCES} ${SCREENER_FUZZ_DIR}/replay_main.cpp)
    target_link_libraries(${name}_replay PRIVATE ${ARG_LIBRARIES})
    add_test(NAME fuzz_replay.${name} COMMAND ${name}_replay ${corpus})
    set_tests_properties(fuzz_replay.${name} PROPERTIES TIMEOUT 300 LABELS fuzz_replay)
  endif()
  if(SCREENER_FUZZ)
    add_executable(${name}_fuzz ${ARG_SOURCES})
    target_link_libraries(${name}_fuzz PRIVATE ${ARG_LIBRARIES})
    target_link_options(${name}_fuzz PRIVATE -fsanitize=fuzzer)
    add_dependencies(fuzz_targets ${name}_fuzz)
  endif()
endfunction()
