#!/bin/bash
# Soak test of the lab (by hand, not part of the meson suite): N boots in a row, each starting
# two L2 guests (lab_guests_standard) and waiting for both to be up; prints one line a boot with
# its fault, if any (L1 kernel panic, qemu exited 0 without a result, timeout, other), and a tally.
#
#   tests/lab/soak-guests.sh [N]     (default 30; SOAK_STOP=1 stops at the first fault)
#
# Every LAB_* variable is passed on to tests/lab/run (e.g. LAB_WORK, LAB_CPU, LAB_L2_TYPE).
set -uo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
n=${1:-30}
log=$(mktemp)
trap 'rm -f "$log"' EXIT
ok=0
bad=0
streak=0
best=0
faults=
t_all=$(date +%s)
echo "soak: $(date -u '+%F %H:%M') UTC, L1 on $("${LAB_QEMU:-qemu-system-x86_64}" --version | head -n 1)," \
  "$(compgen -e | grep '^LAB_' | while read -r v; do printf '%s=%s ' "$v" "${!v}"; done)"
for i in $(seq 1 "$n"); do
  t0=$(date +%s)
  # shellcheck disable=SC2016 # $LAB_DIR expands inside L1
  "$here/run" -c '. $LAB_DIR/lib.sh; lab_guests_standard && virsh list --all && echo SOAK: guests up' \
    >/dev/null 2>"$log"
  rc=$?
  dt=$(($(date +%s) - t0))
  run=$(sed -n 's/^lab: run directory //p' "$log" | head -n 1)
  if [ "$rc" = 0 ] && grep -q '^SOAK: guests up' "$run/output.log" 2>/dev/null; then
    what=ok
    ok=$((ok + 1))
    streak=$((streak + 1))
    [ $streak -gt $best ] && best=$streak
  else
    what=$(grep -m 1 -E '^lab: (L1|timed out|qemu failed|L1 setup failed)' "$log" | sed 's/^lab: //')
    if [ -z "$what" ]; then # L1 lived, the script failed: which guest did not come up
      what=$(grep -m 1 -o 'guest [^ ]* not up after [0-9]*s' "$run/output.log" 2>/dev/null)
      what="script failed (rc $rc)${what:+: L2 $what, L1 alive}"
    fi
    bad=$((bad + 1))
    streak=0
    faults+="  boot $i: $what ($run)"$'\n'
  fi
  echo "soak: boot $i/$n: ${dt}s: $what${run:+ ($(basename "$run"))}"
  [ "$what" = ok ] || [ "${SOAK_STOP:-0}" != 1 ] || break
done
echo "soak: $ok of $((ok + bad)) clean, longest run of clean boots $best, $(($(date +%s) - t_all))s in all"
[ -z "$faults" ] || printf 'soak: faults:\n%s' "$faults"
[ $bad = 0 ]
