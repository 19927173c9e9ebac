#!/usr/bin/env bash
# Fuzzes Screener's parsers of outside bytes with libFuzzer (clang, ASan + UBSan).
#
#   scripts/fuzz.sh [--time SECONDS] [TARGET ...]   # default: every target, 600 s each
#   scripts/fuzz.sh --list
#
# Builds build-fuzz/ with clang (-DSCREENER_FUZZ=ON -DSCREENER_SANITIZE=address,undefined),
# then runs each <target>_fuzz on a working corpus seeded from tests/fuzz/corpus/<target>/
# (new inputs stay in build-fuzz/corpus/<target>/; the committed corpus is not touched).
# Crashes, leaks, over-large allocations (-malloc_limit_mb, 1024 unless
# SCREENER_FUZZ_MALLOC_LIMIT_MB says otherwise) and time-outs land in
# build-fuzz/artifacts/<target>/. One summary line per target goes to
# build-fuzz/fuzz_summary.tsv: what docs/reliability.md records.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build=${SCREENER_FUZZ_BUILD_DIR:-$root/build-fuzz}
seconds=600
list=0
targets=()
while (($#)); do
  case $1 in
    --time) seconds=$2; shift 2 ;;
    --list) list=1; shift ;;
    -h|--help) sed -n '2,13p' "$0"; exit 0 ;;
    *) targets+=("$1"); shift ;;
  esac
done

need=(clang libclang-rt-14-dev llvm)
missing=()
for pkg in "${need[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
if ((${#missing[@]})); then
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update -qq
  $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
"$root/scripts/setup.sh" --packages-only

CC=clang CXX=clang++ cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DSCREENER_FUZZ=ON -DSCREENER_SANITIZE=address,undefined \
  -DSCREENER_BUILD_TESTS=OFF -DSCREENER_BUILD_BENCH=OFF >/dev/null
available=$(cd "$root/tests/fuzz/corpus" && ls)
if ((list)); then echo "$available"; exit 0; fi
((${#targets[@]})) || read -r -a targets <<<"$(echo $available)"
cmake --build "$build" -j "$(nproc)" --target $(printf '%s_fuzz ' "${targets[@]}")

export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:allocator_may_return_null=0}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
# Leaks inside third-party libraries (each with its reason) are not findings.
export LSAN_OPTIONS=${LSAN_OPTIONS:-suppressions=$root/tests/sanitizers/lsan.supp:print_suppressions=0}
summary=$build/fuzz_summary.tsv
[ -f "$summary" ] || printf 'date\ttarget\tseconds\texecutions\texec_per_s\tcov\tft\tcorpus\tcrashes\n' >"$summary"
status=0
for t in "${targets[@]}"; do
  work=$build/corpus/$t
  artifacts=$build/artifacts/$t
  mkdir -p "$work" "$artifacts"
  log=$build/fuzz-$t.log
  echo "fuzz: $t for $seconds s (log: $log)"
  set +e
  (cd "$artifacts" && "$build/bin/${t}_fuzz" "$work" "$root/tests/fuzz/corpus/$t" \
    -max_total_time="$seconds" -print_final_stats=1 -rss_limit_mb=2048 -malloc_limit_mb="${SCREENER_FUZZ_MALLOC_LIMIT_MB:-1024}" \
    -timeout=25 -artifact_prefix="$artifacts/" >"$log" 2>&1)
  rc=$?
  set -e
  execs=$(awk '/stat::number_of_executed_units/ {print $2}' "$log" | tail -1)
  rate=$(awk '/stat::average_exec_per_sec/ {print $2}' "$log" | tail -1)
  last=$(grep -hE '^#[0-9]+' "$log" | tail -1)
  cov=$(sed -n 's/.*cov: \([0-9]*\).*/\1/p' <<<"$last")
  ft=$(sed -n 's/.*ft: \([0-9]*\).*/\1/p' <<<"$last")
  crashes=$(find "$artifacts" -type f \( -name 'crash-*' -o -name 'leak-*' -o -name 'oom-*' -o -name 'timeout-*' \) | wc -l)
  corpus=$(find "$work" -type f | wc -l)
  printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$(date -u +%F)" "$t" "$seconds" "${execs:-?}" "${rate:-?}" "${cov:-?}" \
    "${ft:-?}" "$corpus" "$crashes" >>"$summary"
  echo "fuzz: $t: ${execs:-?} executions, ${rate:-?}/s, cov ${cov:-?}, ft ${ft:-?}, $crashes finding(s), exit $rc"
  ((rc == 0 && crashes == 0)) || status=1
done
echo "fuzz: summary in $summary"
exit $status
