#!/bin/bash
# Lab benchmark of SR-IOV fleets (not a test; see bench/README.md, "Lab: SR-IOV"). Runs inside
# the lab VM:  tests/lab/run bench/lab-sriov.sh [REPS]   (default 5 repetitions)
#
# Side by side, medians of REPS runs:
#   VF count 0 -> 4 on PF1:
#     passd:  passctl sriov set PF 4 (returns once libvirt's inventory has the VFs)
#     by hand: echo 0 > sriov_numvfs; echo 4 > sriov_numvfs, then polling virsh nodedev-list
#              until it lists all 4 VFs
#   one VF into a defined (shut-off) guest's definition:
#     passd:  passctl attach vmp --pool nvme (passd picks) + passctl detach
#     passd:  passctl attach vmp VF (named) + passctl detach
set -uo pipefail
if [ -z "${LAB_OUT:-}" ]; then # on the host: boot the lab and run this same file inside it
  exec "$(dirname "$0")/../tests/lab/run" "$(realpath "$0")" "$@"
fi
. "$LAB_DIR/lib.sh"
reps=${1:-5}

# shellcheck source=bench/lab-lib.sh
. "$(dirname "$0")/lab-lib.sh"
sysfs=/sys/bus/pci/devices/$LAB_PF1
# How many of PF1's VFs one `virsh nodedev-list` shows (what a script would poll)
virsh_vfs() {
  local list a n=0
  list=$(virsh nodedev-list --cap pci 2>/dev/null)
  for a in $(lab_vfs "$LAB_PF1"); do
    grep -qx "pci_$(echo "$a" | tr ':.' '__')" <<<"$list" && n=$((n + 1))
  done
  echo $n
}

[ "$LAB_PASSD_READY" = 1 ] || die "passd is not ready"
echo 0 >"$sysfs/sriov_drivers_autoprobe"
: >/run/lab/passd.t
: >/run/lab/hand.t
for i in $(seq 1 "$reps"); do
  passctl sriov set "$LAB_PF1" 0 >/dev/null || die "sriov set 0 failed"
  t=$(now)
  passctl sriov set "$LAB_PF1" 4 >/dev/null || die "sriov set 4 failed"
  since "$t" >>/run/lab/passd.t
  passctl sriov set "$LAB_PF1" 0 >/dev/null || die "sriov set 0 failed"
  lab_wait 30 test "$(virsh_vfs)" = 0 || die "VFs did not go"
  t=$(now)
  echo 0 >"$sysfs/sriov_numvfs" && echo 4 >"$sysfs/sriov_numvfs" || die "echo 4 failed"
  until [ "$(virsh_vfs)" = 4 ]; do sleep 0.05; done
  since "$t" >>/run/lab/hand.t
  echo 0 >"$sysfs/sriov_numvfs"
  lab_wait 30 test "$(virsh_vfs)" = 0 || die "VFs did not go"
done
sc_passd=$(median </run/lab/passd.t)
sc_hand=$(median </run/lab/hand.t)

# pool attach against a named attach, into a shut-off guest's definition (no L2 boot)
passctl sriov set "$LAB_PF1" 2 --no-autoprobe >/dev/null || die "sriov set 2 failed"
passctl sriov set "$LAB_PF0" 2 --no-autoprobe >/dev/null || die "sriov set 2 on PF0 failed"
passctl pool define nvme --pf "$LAB_PF0" --pf "$LAB_PF1" >/dev/null || die "pool define failed"
lab_guest_define vmp || die "cannot define vmp"
va=$(lab_vfs "$LAB_PF0" | head -n 1)
: >/run/lab/pool.t
: >/run/lab/named.t
for i in $(seq 1 "$reps"); do
  t=$(now)
  out=$(passctl attach vmp --pool nvme --json) || die "pool attach failed"
  since "$t" >>/run/lab/pool.t
  got=$(echo "$out" | python3 -c 'import json,sys; print(json.load(sys.stdin)["devices"][0])')
  passctl detach vmp "$got" >/dev/null || die "detach $got failed"
  t=$(now)
  passctl attach vmp "$va" >/dev/null || die "named attach failed"
  since "$t" >>/run/lab/named.t
  passctl detach vmp "$va" >/dev/null || die "detach $va failed"
done
echo "# L1 under TCG; medians of $reps runs (seconds)"
echo "| measurement | passd | by hand / named |"
echo "| --- | ---: | ---: |"
echo "| PF1 0 -> 4 VFs, until libvirt lists them | $(fmt "$sc_passd") (passctl sriov set) | $(fmt "$sc_hand") (echo 0; echo 4; poll virsh nodedev-list) |"
echo "| one VF into vmp's definition | $(fmt "$(median </run/lab/pool.t)") (passctl attach --pool) | $(fmt "$(median </run/lab/named.t)") (passctl attach VF) |"
