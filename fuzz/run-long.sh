#!/bin/bash
# A long fuzzing run of one target, by hand (not in CI): EXECUTIONS inputs (default 10 000 000)
# over a copy of its seed corpus, single process. Needs the fuzz build:
#   CC=clang meson setup build-fuzz -Dfuzz=enabled -Dlab=disabled && ninja -C build-fuzz fuzz
#   fuzz/run-long.sh fuzz-varlink [EXECUTIONS]
# Env: FUZZ_BUILDDIR (default build-fuzz), FUZZ_WORK (default a new temporary directory: the
# grown corpus, the log and any crash-*/leak-*/timeout-* input end up there and are kept).
# Prints the executions, exec/s, coverage and what was found; exits non-zero on a finding.
# Stop it early with SIGINT (to the fuzzer or the script's group): the counts so far are printed.
set -uo pipefail
cd "$(dirname "$0")/.."
target=${1:?usage: fuzz/run-long.sh TARGET [EXECUTIONS]}
runs=${2:-10000000}
exe=${FUZZ_BUILDDIR:-build-fuzz}/fuzz/$target
[ -x "$exe" ] || { echo "no $exe: build the fuzz build first (see the top of $0)" >&2; exit 2; }
case $target in
  fuzz-address) max_len=64 ;;
  # both harnesses cap a message at 4096 bytes: twice that still reaches the over-limit refusal
  # without most inputs being refusals (at 16384 the rate fell below 1000 exec/s)
  fuzz-varlink|fuzz-varlink-server) max_len=8192 ;;
  *) max_len=16384 ;;
esac
work=${FUZZ_WORK:-$(mktemp -d -t "passd-$target-XXXXXX")}
mkdir -p "$work/corpus"
cp -rn "fuzz/corpus/$target"/. "$work/corpus"/
export G_SLICE=always-malloc ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1}
start=$(date +%s)
"$exe" -runs="$runs" -rss_limit_mb=2048 -timeout=10 -max_len="$max_len" -print_final_stats=1 \
  -artifact_prefix="$work/" "$work/corpus" > "$work/log" 2>&1
rc=$?
secs=$(( $(date +%s) - start ))
done_line=$(grep -E '^#[0-9]+[[:space:]]+DONE' "$work/log" | tail -1)
execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$work/log")
rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$work/log")
cov=$(echo "$done_line" | sed -n 's/.* cov: \([0-9]*\) ft: \([0-9]*\) corp: \([^ ]*\).*/cov \1, ft \2, corpus \3/p')
findings=$(cd "$work" && ls crash-* leak-* timeout-* oom-* slow-unit-* 2>/dev/null | tr '\n' ' ')
[ -n "$cov" ] || cov=$(grep -E '^#[0-9]+' "$work/log" | tail -1 |
  sed -n 's/.* cov: \([0-9]*\) ft: \([0-9]*\) corp: \([^ ]*\).*/cov \1, ft \2, corpus \3/p')
how="exit $rc"
# libFuzzer's exit code after SIGINT or SIGTERM (stopped by hand, not a finding)
if [ $rc = 72 ]; then how="interrupted"; rc=0; fi
echo "$target: ${execs:-?} executions in ${secs}s, ${rate:-?} exec/s, ${cov:-coverage ?}," \
  "$how, findings: ${findings:-none} (work: $work)"
[ -z "$findings" ] || rc=1
exit $rc
