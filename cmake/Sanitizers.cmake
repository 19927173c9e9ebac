# -DSCREENER_SANITIZE=address,undefined builds everything (libraries, plugins,
# tests) with those sanitizers; scripts/test_sanitized.sh uses it. Third-party
# libraries (LibTorch, ITK, DCMTK) stay uninstrumented.
set(SCREENER_SANITIZE "" CACHE STRING "Sanitizers to build with, e.g. address,undefined (empty: none)")
if(SCREENER_SANITIZE)
  message(STATUS "Sanitizers: ${SCREENER_SANITIZE}")
  add_compile_options(-fsanitize=${SCREENER_SANITIZE} -fno-omit-frame-pointer -fno-sanitize-recover=all)
  add_link_options(-fsanitize=${SCREENER_SANITIZE})
endif()
