#!/bin/bash
# Lab test: VF counts through passd (SetNumVFs, GetSriov; issue 9) against L1's real kernel
# (tests/lab/run tests/lab/test-sriov.sh [FUNC...]). One L1 boot, no L2 guest: a defined guest
# is enough to own a VF. Scenarios in sequence; each prints "ok N - name" or "not ok N - name".
. "$LAB_DIR/lib.sh"
check() { /usr/bin/python3 "$LAB_DIR/check.py" "$@"; }

STATE=/var/lib/passd/sriov.conf
PF0=$LAB_PF0
PF1=$LAB_PF1

ready() {
  [ "$LAB_PASSD_READY" = 1 ] && return 0
  lab_note "passd did not become ready at boot; passd.log ends with:"
  tail -n 15 "$LAB_OUT/passd.log" | sed 's/^/#   /'
  exit 1
}

numvfs() { cat "/sys/bus/pci/devices/$1/sriov_numvfs"; }
autoprobe() { cat "/sys/bus/pci/devices/$1/sriov_drivers_autoprobe"; }

# passctl's exit status and its one line on stderr: expect_fail CODE PATTERN passctl ARGS...
expect_fail() {
  local code=$1 pattern=$2 rc err
  shift 2
  err=$("$@" 2>&1 >/dev/null)
  rc=$?
  lab_note "$* -> $rc: $err"
  [ "$rc" = "$code" ] || lab_fail "$* exited $rc, not $code"
  [[ $err =~ $pattern ]] || lab_fail "$* said '$err', not /$pattern/"
}

# Both PFs as GetSriov shows them at boot: no count kept, settled, sysfs's numbers.
show() {
  local pf
  passctl sriov show | sed 's/^/#   /'
  for pf in "$PF0" "$PF1"; do
    check sriov "$pf" --state settled --timeout 10 || exit 1
  done
}

# 0 -> 3 -> 2 on both PFs: each reply comes with sysfs, passctl list and passctl monitor agreeing,
# and the count recorded in the state file.
counts() {
  local pf n
  for pf in "$PF0" "$PF1"; do
    if [ "$(numvfs "$pf")" != 0 ]; then
      check sriov-set "$pf" 0 || lab_fail "$pf: cannot go to 0"
    fi
    for n in 3 2; do
      check sriov-set "$pf" "$n" || lab_fail "$pf: $n VFs"
      check sriov "$pf" --desired "$n" --state settled || exit 1
      grep -A1 "^\[$pf\]" "$STATE" | grep -qx "NumVFs=$n" || lab_fail "$STATE lacks $pf = $n"
    done
  done
  sed 's/^/#   /' "$STATE"
}

# VFs written behind passd's back reach the inventory and the monitor within
# LAB_SRIOV_EVENT_LIMIT (default 1 s, the target) of the write: passd shows each from sysfs on the
# kernel's uevent (provisional), since libvirt's "created" event comes 0.5-3 s later under TCG
# (bench/README.md), and libvirt's reading then replaces it with the same facts (check.py). Then
# passd shows the PF as differing from its count, and a SetNumVFs puts it back. The note prints
# the times measured.
events() {
  check vf-cycle "$PF1" 3 --limit "${LAB_SRIOV_EVENT_LIMIT:-1}" || exit 1
  check sriov "$PF1" --desired 2 --state differs --timeout 5 || exit 1
  check sriov-set "$PF1" 2 || lab_fail "$PF1 back to 2"
}

# A VF a defined guest holds: refused, force or not, and nothing is destroyed.
owned() {
  local vf before after
  vf=$(lab_vfs "$PF0" | head -n 1)
  before=$(lab_vfs "$PF0" | tr '\n' ' ')
  lab_guest_define owner1 --hostdev "$vf" || lab_fail "virsh define failed"
  check owners "$vf" owner1 --timeout 10 || exit 1
  expect_fail 1 "would destroy VFs in use: $vf: assigned to owner1 \(detach them from their domains first\)" \
    passctl sriov set "$PF0" 3
  expect_fail 1 "$vf: assigned to owner1" passctl sriov set "$PF0" 0 --force
  check varlink SetNumVFs "{\"pf\": \"$PF0\", \"count\": 3, \"force\": true}" --error VfsInUse ||
    lab_fail "not VfsInUse"
  after=$(lab_vfs "$PF0" | tr '\n' ' ')
  [ "$after" = "$before" ] && [ "$(numvfs "$PF0")" = 2 ] ||
    lab_fail "VFs changed: '$before' -> '$after', numvfs $(numvfs "$PF0")"
  virsh -q undefine owner1 >/dev/null || lab_fail "virsh undefine failed"
  check owners "$vf" --timeout 10 || exit 1
}

# A VF on vfio-pci: refused without --force; --force destroys it and makes 3 new VFs.
vfio() {
  local vf
  vf=$(lab_vfs "$PF0" | tail -n 1)
  virsh -q nodedev-detach "pci_${vf//[:.]/_}" --driver vfio >/dev/null || lab_fail "nodedev-detach failed"
  [ "$(lab_drv "$vf")" = vfio-pci ] || lab_fail "$vf is on '$(lab_drv "$vf")'"
  lab_wait 10 sh -c "passctl show --json $vf | grep -q '\"driver\" *: *\"vfio-pci\"'" ||
    lab_fail "passd does not show $vf on vfio-pci"
  expect_fail 1 "$vf: bound to vfio-pci \(--force destroys VFs that are only bound to vfio-pci\)" \
    passctl sriov set "$PF0" 3
  [ "$(numvfs "$PF0")" = 2 ] || lab_fail "the refusal changed the count"
  check sriov-set "$PF0" 3 --with=--force || lab_fail "--force did not go ahead"
  [ "$(lab_drv "$vf")" != vfio-pci ] || lab_fail "$vf still on vfio-pci"
}

# --no-autoprobe: sriov_drivers_autoprobe 0 before the VFs are made, so no host driver ever
# takes one (with autoprobe on, nvme probes each and lets go a second later).
no_autoprobe() {
  local end vf d
  check sriov-set "$PF1" 0 || exit 1
  [ "$(autoprobe "$PF1")" = 1 ] || lab_fail "autoprobe of $PF1 is off already"
  check sriov-set "$PF1" 3 --with=--no-autoprobe || exit 1
  [ "$(autoprobe "$PF1")" = 0 ] || lab_fail "sriov_drivers_autoprobe is $(autoprobe "$PF1")"
  end=$(($(date +%s) + 4))
  while [ "$(date +%s)" -lt $end ]; do
    for vf in $(lab_vfs "$PF1"); do
      d=$(lab_drv "$vf")
      [ -z "$d" ] || lab_fail "$vf was bound to $d"
    done
    sleep 0.1
  done
  check sriov "$PF1" --desired 3 --state settled --autoprobe 0 || exit 1
  grep -A2 "^\[$PF1\]" "$STATE" | grep -qx "Autoprobe=false" || lab_fail "$STATE lacks Autoprobe"
}

# A reboot leaves the PFs without VFs: passd stopped, numvfs 0 and autoprobe on behind its back,
# a recorded PF the host does not have; the new passd sets both counts (and autoprobe) again,
# shows them as settled, and the missing PF as vanished without failing.
restart() {
  lab_passd_stop
  echo 0 >"/sys/bus/pci/devices/$PF0/sriov_numvfs" && echo 0 >"/sys/bus/pci/devices/$PF1/sriov_numvfs" &&
    echo 1 >"/sys/bus/pci/devices/$PF1/sriov_drivers_autoprobe" || lab_fail "cannot reset the PFs"
  printf '\n[0000:66:00.0]\nNumVFs=1\n' >>"$STATE"
  lab_passd_start
  lab_passd_wait_ready 60 || lab_fail "passd not ready after the restart"
  check sriov "$PF0" --desired 3 --state settled --timeout 30 || exit 1
  check sriov "$PF1" --desired 3 --state settled --autoprobe 0 --timeout 30 || exit 1
  [ "$(numvfs "$PF0")" = 3 ] && [ "$(numvfs "$PF1")" = 3 ] || lab_fail "numvfs not re-applied"
  check inventory --timeout 15 || exit 1
  passctl sriov show 0000:66:00.0 | sed 's/^/#   /'
  passctl sriov show --json 0000:66:00.0 | grep -q '"state" *: *"vanished"' || lab_fail "not vanished"
  grep -q "0000:66:00.0 has 1 VFs recorded in $STATE, but the host has no such device" \
    "$LAB_OUT/passd.log" || lab_fail "the vanished PF is not in the log"
  grep "re-applying\|set_num_vfs" "$LAB_OUT/passd.log" | tail -n 6 | sed 's/^/#   /'
  lab_passd_running || lab_fail "passd died"
}

# Clear errors: a device without SR-IOV, a count above totalvfs, a PF whose driver is gone
# (the kernel's ENOENT).
refusals() {
  expect_fail 1 "SR-IOV is not available on $LAB_NIC_FREE: $LAB_NIC_FREE is not an SR-IOV physical function" \
    passctl sriov set "$LAB_NIC_FREE" 1
  check varlink SetNumVFs "{\"pf\": \"$LAB_NIC_FREE\", \"count\": 1}" --error SriovNotSupported ||
    lab_fail "not SriovNotSupported"
  expect_fail 1 "SR-IOV is not available on $LAB_NIC_FREE" passctl sriov show "$LAB_NIC_FREE"
  expect_fail 2 "passd rejected the value of 'count': $PF0 supports at most $(cat "/sys/bus/pci/devices/$PF0/sriov_totalvfs") VFs" \
    passctl sriov set "$PF0" 5
  # without its driver the PF cannot make VFs: the kernel refuses, passd says why
  check sriov-set "$PF1" 0 || exit 1
  echo "$PF1" >/sys/bus/pci/drivers/nvme/unbind || lab_fail "cannot unbind $PF1"
  lab_wait 10 sh -c "! passctl show --json $PF1 | grep -q '\"driver\" *: *\"nvme\"'"
  expect_fail 1 "SR-IOV is not available on $PF1: $PF1 has no driver bound, and only the PF's driver can create VFs" \
    passctl sriov set "$PF1" 1
  [ "$(numvfs "$PF1")" = 0 ] || lab_fail "numvfs changed"
  echo "$PF1" >/sys/bus/pci/drivers/nvme/bind || lab_fail "cannot bind $PF1 to nvme again"
  check sriov-set "$PF1" 2 || exit 1
}

only=("$@")
scenario() { # NAME FUNC [ARGS...]
  [ ${#only[@]} = 0 ] || [ "$2" = ready ] || [[ " ${only[*]} " == *" $2 "* ]] || return 0
  lab_scenario "$@"
}

scenario "passd is ready" ready
scenario "GetSriov: both PFs as sysfs has them" show
scenario "SetNumVFs 0 -> 3 -> 2 on both PFs: reply with the inventory updated, monitor, recorded" counts
scenario "VFs written behind passd's back: list and monitor within ${LAB_SRIOV_EVENT_LIMIT:-1} s, then put back" events
scenario "refused while a defined guest owns a VF, even with --force; nothing destroyed" owned
scenario "refused while a VF is on vfio-pci; --force goes ahead" vfio
scenario "--no-autoprobe: the new VFs never get a host driver" no_autoprobe
scenario "passd restart after numvfs reset to 0: counts re-applied, a vanished PF reported" restart
scenario "clear errors: no SR-IOV, count above totalvfs, PF without its driver" refusals
lab_finish
