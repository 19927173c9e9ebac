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

cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DSCREENER_SANITIZE=address,undefined -DSCREENER_BUILD_BENCH=OFF >/dev/null
cmake --build "$build" -j "$(nproc)"

excluded=$(sed 's/#.*//' "$root/tests/sanitizers/excluded_tests.txt" | tr -s ' \t' '\n' | sed '/^$/d' | paste -sd'|')
export ASAN_OPTIONS="detect_leaks=1:halt_on_error=1:abort_on_error=0:detect_stack_use_after_return=1:strict_string_checks=1:check_initialization_order=1:suppressions=$root/tests/sanitizers/asan.supp"
export LSAN_OPTIONS="suppressions=$root/tests/sanitizers/lsan.supp:print_suppressions=0"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1:suppressions=$root/tests/sanitizers/ubsan.supp"
start=$(date +%s)
set +e
ctest --test-dir "$build" --output-on-failure -j "$(nproc)" ${excluded:+-E "^($excluded)\$"} "$@"
rc=$?
set -e
echo "test_sanitized: ctest exit $rc after $(( $(date +%s) - start )) s"
exit $rc
