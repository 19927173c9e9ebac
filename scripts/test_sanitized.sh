#!/usr/bin/env bash
# The whole test suite built and run under AddressSanitizer + UndefinedBehaviorSanitizer.
#
#   scripts/test_sanitized.sh [extra ctest arguments]
#
# Builds build-sanitize/ (gcc, -DSCREENER_SANITIZE=address,undefined; our code
# only: LibTorch, ITK and DCMTK are Debian's uninstrumented libraries) and runs
# CTest there. Any sanitizer report fails its test (halt_on_error). Tests left
# out are listed, each with its reason, in tests/sanitizers/excluded_tests.txt;
# leak reports from inside third-party libraries are suppressed by
# tests/sanitizers/lsan.supp (each entry with its reason). Not part of CI's
# run: it takes about as long again as the normal suite (docs/reliability.md).
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build=${SCREENER_SANITIZE_BUILD_DIR:-$root/build-sanitize}
"$root/scripts/setup.sh" --packages-only

launcher=()
command -v ccache >/dev/null && launcher=(-DCMAKE_C_COMPILER_LAUNCHER=ccache -DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DSCREENER_SANITIZE=address,undefined -DSCREENER_BUILD_BENCH=OFF "${launcher[@]}" >/dev/null
cmake --build "$build" -j "$(nproc)"

excluded=$(sed 's/#.*//' "$root/tests/sanitizers/excluded_tests.txt" | tr -s ' \t' '\n' | sed '/^$/d' | paste -sd'|')
# intercept_tls_get_addr=0: gcc 12's runtime (as LLVM's up to 16) takes a
# dynamic TLS block that happens to start 16 bytes into a page for a
# pre-2.25 glibc header and reads its "size" from the two words before it;
# LeakSanitizer's tracer then dies on that address ("Tracer caught signal
# 11") at the exit of LibTorch processes, whose OpenMP threads hold such
# blocks. Fixed upstream in LLVM 17 (https://reviews.llvm.org/D147459).
export ASAN_OPTIONS="intercept_tls_get_addr=0:detect_leaks=1:halt_on_error=1:abort_on_error=0:detect_stack_use_after_return=1:strict_string_checks=1:check_initialization_order=1:suppressions=$root/tests/sanitizers/asan.supp"
export LSAN_OPTIONS="suppressions=$root/tests/sanitizers/lsan.supp:print_suppressions=0"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1:suppressions=$root/tests/sanitizers/ubsan.supp"
start=$(date +%s)
set +e
ctest --test-dir "$build" --output-on-failure -j "$(nproc)" ${excluded:+-E "^($excluded)\$"} "$@"
rc=$?
set -e
echo "test_sanitized: ctest exit $rc after $(( $(date +%s) - start )) s"
exit $rc
