#!/bin/bash
# One short fuzzing run, for the 'fuzz' test suite: TARGET over a copy of CORPUS (so that what
# it finds does not grow the repository) for $FUZZ_SECONDS (default 4) seconds. A crash, leak,
# timeout or failed check fails the test (exit 1, not libFuzzer's default 77, which meson reads as
# a skip) and leaves its input in $FUZZ_ARTIFACTS (default .).
#   fuzz/run-short.sh TARGET CORPUS MAX_LEN
set -euo pipefail
target=$1 corpus=$2 max_len=$3
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cp -r "$corpus"/. "$work"/
export G_SLICE=always-malloc ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1}
"$target" -error_exitcode=1 -max_total_time="${FUZZ_SECONDS:-4}" -rss_limit_mb=2048 -timeout=10 \
  -max_len="$max_len" -print_final_stats=1 -artifact_prefix="${FUZZ_ARTIFACTS:-.}/" "$work"
