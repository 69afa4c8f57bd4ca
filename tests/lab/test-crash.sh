#!/bin/bash
# Lab test: crash safety (issue 8). passd is killed in the middle of attaches and detaches of a
# VF to and from a running guest — aborted at every step by fault injection (PASSD_FAULT, a
# build configured with -Dfault_injection=true) and SIGKILLed at random moments — then started
# again. After its recovery the VF must be whole: fully assigned (live and config, on vfio-pci,
# passd's owner, passd holding its original driver) or fully free (in no XML, no owner, not on
# vfio-pci); an interrupted detach must end free, an attach interrupted before its guest side
# free, after it assigned; a detach killed during the guest's unplug countdown (PCIe native
# hotplug) is waited for, not asked again. `passctl status` must say what recovery did. A VF
# count change (passctl sriov set) aborted at each of its steps must end with the count asked
# for, on the PF and in passd's record.
. "$LAB_DIR/lib.sh"
check() { /usr/bin/python3 "$LAB_DIR/check.py" "$@"; }

VF= # PF0's first VF (autoprobe off: no host driver, so "free" means unbound)

# after a restart: recovery has run and the VF is whole; WHOLE is then assigned|free
WHOLE=
crash_whole() { # [DOMAIN=vm1]
  lab_passd_wait_settled 60
  WHOLE=$(check whole "$VF" "${1:-vm1}" --timeout 20) || {
    echo "$WHOLE" | sed 's/^/# /'
    lab_fail "$VF is not whole"
  }
}
crash_free_again() { # give the VF back if the last check found it assigned
  [ "$WHOLE" = assigned ] || return 0
  passctl detach vm1 "$VF" --timeout 60 >/dev/null || lab_fail "cannot detach $VF again"
  WHOLE=$(check whole "$VF" vm1 --timeout 20)
  [ "$WHOLE" = free ] || lab_fail "$VF not free after detach"
}

setup() {
  echo 0 >"/sys/bus/pci/devices/$LAB_PF0/sriov_drivers_autoprobe" || lab_fail "autoprobe"
  lab_numvfs "$LAB_PF0" 2 || lab_fail "cannot create VFs on PF0"
  udevadm settle
  lab_guest_define vm1 --start || lab_fail "cannot start vm1"
  lab_guest_wait_up vm1 300 || lab_fail "vm1 did not come up"
  lab_passd_has_faults
}

# ATTACH fault points: before the guest side, the attach is undone; after, it stands.
attach_at() { # POINT EXPECTED
  lab_passd_stop
  lab_passd_fault_start "$1"
  passctl attach vm1 "$VF" >/dev/null 2>&1 && lab_fail "attach succeeded despite '$1'"
  lab_passd_expect_abort "$1"
  lab_passd_fault_start ""
  crash_whole
  lab_note "attach killed at $1: $VF ended $WHOLE"
  [ "$WHOLE" = "$2" ] || lab_fail "after '$1' $VF is $WHOLE, want $2"
  passctl status | grep -q "^Recovered: .* attach $VF / vm1" ||
    lab_fail "passctl status does not show the recovery"
  crash_free_again
}

# DETACH fault points: an interrupted detach is finished.
detach_at() { # POINT
  passctl attach vm1 "$VF" >/dev/null || lab_fail "cannot attach $VF"
  lab_passd_stop
  lab_passd_fault_start "$1"
  passctl detach vm1 "$VF" --timeout 60 >/dev/null 2>&1 && lab_fail "detach succeeded despite '$1'"
  lab_passd_expect_abort "$1"
  lab_passd_fault_start ""
  crash_whole
  lab_note "detach killed at $1: $VF ended $WHOLE"
  [ "$WHOLE" = free ] || lab_fail "after '$1' $VF is $WHOLE, want free"
}

# A detach killed while the guest counts down its unplug: with PCIe native hotplug the guest
# lets go 5 s after the slot's attention button, and a second press meanwhile cancels the
# unplug. The restarted passd must wait for that countdown, not ask again. vm2's QEMU is
# stopped (SIGSTOP) mid-countdown so that passd's restart cannot race the guest.
journal_unplugs() { grep -c '"type":"unplug"' /var/lib/passd/journal 2>/dev/null; }
journal_unplugs_above() { [ "$(journal_unplugs)" -gt "$1" ]; }
log_since_kill() {
  sed -n '/^=== passd SIGKILLed in vm2.s unplug countdown/,$p' "$LAB_OUT/passd.log"
}
log_says_waiting() {
  log_since_kill | grep -q "$VF from vm2: the unplug asked before the restart may be under way"
}
countdown_cleanup() { # a failed case must not leave the VF to the next ones
  [ "${COUNTDOWN_DONE:-0}" = 1 ] && return 0
  [ -n "${QEMU_PID:-}" ] && kill -CONT "$QEMU_PID" 2>/dev/null
  lab_passd_running || lab_passd_fault_start ""
  lab_guest_stop vm2
  virsh -q undefine vm2 >/dev/null 2>&1
  lab_passd_wait_settled 60
  passctl reattach "$VF" >/dev/null 2>&1
}
countdown_kill() {
  local n
  trap countdown_cleanup EXIT
  lab_guest_define vm2 --start --native-hotplug || lab_fail "cannot start vm2"
  lab_guest_wait_up vm2 300 || lab_fail "vm2 did not come up"
  passctl attach vm2 "$VF" >/dev/null || lab_fail "cannot attach $VF to vm2"
  # Till the guest has brought the slot up (power indicator on), QEMU refuses an unplug.
  lab_guest_wait_pci vm2 1b36:0010 present 60 || lab_fail "vm2 does not see $VF"
  QEMU_PID=$(cat /run/libvirt/qemu/vm2.pid) || lab_fail "no pid file for vm2's QEMU"
  n=$(journal_unplugs)
  passctl detach vm2 "$VF" --timeout 60 >/dev/null 2>&1 &
  lab_wait 30 journal_unplugs_above "$n" || lab_fail "the detach did not record its unplug"
  sleep 0.5 # the request reaches QEMU, which presses the button: the countdown runs
  kill -STOP "$QEMU_PID"
  kill -9 "$(cat /run/lab/passd.pid)"
  rm -f /run/lab/passd.pid
  echo "=== passd SIGKILLed in vm2's unplug countdown" >>"$LAB_OUT/passd.log"
  wait
  ! grep "/ vm2: Cannot detach" "$LAB_OUT/passd.log" ||
    lab_fail "QEMU refused the unplug: the case could not set up its countdown"
  virsh dumpxml vm2 | grep -q "<hostdev" ||
    lab_fail "vm2 let go within 0.5 s: no countdown (is native hotplug on?)"
  lab_passd_fault_start ""
  lab_wait 30 log_says_waiting || {
    log_since_kill | grep -v "Varlink connection" | tail -n 15 | sed 's/^/# /'
    lab_fail "the restarted passd did not wait for vm2's unplug"
  }
  kill -CONT "$QEMU_PID"
  crash_whole vm2
  lab_note "detach killed in vm2's countdown: $VF ended $WHOLE"
  [ "$WHOLE" = free ] || lab_fail "$VF is $WHOLE after vm2's countdown, want free"
  ! log_since_kill | grep -q "$VF from vm2: the guest has not let go since" ||
    lab_fail "the restarted passd asked vm2 again, which would cancel a countdown"
  lab_guest_stop vm2 && virsh -q undefine vm2 >/dev/null || lab_fail "cannot remove vm2"
  COUNTDOWN_DONE=1
}

# VF COUNT fault points: an interrupted change is finished, to the count asked for.
sriov_at() { # POINT COUNT
  local got
  lab_passd_stop
  lab_passd_fault_start "$1"
  passctl sriov set "$LAB_PF1" "$2" >/dev/null 2>&1 && lab_fail "sriov set succeeded despite '$1'"
  lab_passd_expect_abort "$1"
  lab_passd_fault_start ""
  lab_passd_wait_settled 60
  lab_wait 30 sriov_count_is "$2" || lab_fail "$LAB_PF1 has $(sriov_numvfs) VFs after '$1', want $2"
  got=$(passctl sriov show "$LAB_PF1" --json | python3 -c '
import json, sys
pf = json.load(sys.stdin)["pfs"][0]
print(pf["desired"], pf["numvfs"], pf["state"])')
  lab_note "VF count change killed at $1: $LAB_PF1 desired/numvfs/state: $got"
  [ "$got" = "$2 $2 settled" ] || lab_fail "passd says $got, want '$2 $2 settled'"
}
sriov_numvfs() { cat "/sys/bus/pci/devices/$LAB_PF1/sriov_numvfs"; }
sriov_count_is() { [ "$(sriov_numvfs)" = "$1" ]; }

# SIGKILL at a random moment of an attach, then of a detach. The moments are drawn over how
# long each takes here and now (a loaded lab is several times slower than an idle one), so
# that most kills land inside the operation rather than after it.
span() { # COMMAND...: run it, print its wall time in seconds
  local t0
  t0=$(date +%s.%N)
  "$@" >/dev/null || return 1
  printf "%.2f" "$(echo "$(date +%s.%N) - $t0" | bc)"
}
random_kill() { # N
  local i delay op t span_attach span_detach
  span_attach=$(span passctl attach vm1 "$VF") || lab_fail "cannot attach $VF"
  span_detach=$(span passctl detach vm1 "$VF" --timeout 60) || lab_fail "cannot detach $VF"
  lab_note "an attach takes ${span_attach}s here, a detach ${span_detach}s"
  WHOLE=free
  for i in $(seq 1 "$1"); do
    for op in attach detach; do
      if [ $op = detach ]; then
        [ "$WHOLE" = assigned ] || passctl attach vm1 "$VF" >/dev/null ||
          lab_fail "cannot attach $VF"
        passctl detach vm1 "$VF" --timeout 60 >/dev/null 2>&1 &
      else
        crash_free_again
        passctl attach vm1 "$VF" >/dev/null 2>&1 &
      fi
      [ $op = attach ] && t=$span_attach || t=$span_detach
      delay=$(awk -v s="$RANDOM" -v t="$t" 'BEGIN { srand(s); printf "%.2f", rand() * t * 1.2 }')
      sleep "$delay"
      kill -9 "$(cat /run/lab/passd.pid)"
      rm -f /run/lab/passd.pid
      echo "=== passd SIGKILLed ${delay}s into a $op" >>"$LAB_OUT/passd.log"
      wait
      lab_passd_fault_start ""
      crash_whole
      lab_note "$op killed after ${delay}s: $VF ended $WHOLE"
    done
  done
  crash_free_again
}

lab_scenario "setup: 2 VFs on PF0, vm1 running, a fault-injection build" setup
VF=$(lab_vfs "$LAB_PF0" | head -1)
for point in begin detach-host detach-host-done attach; do
  lab_scenario "attach aborted at attach:$point ends free" attach_at "attach:$point" free
done
for point in attach-done end; do
  lab_scenario "attach aborted at attach:$point ends assigned" attach_at "attach:$point" assigned
done
lab_passd_stop
lab_passd_fault_start ""
for point in begin unplug unplug-done detach detach-done reattach-host reattach-host-done end; do
  lab_scenario "detach aborted at detach:$point ends free" detach_at "detach:$point"
done
lab_scenario "detach killed in the guest's unplug countdown is waited for, not asked again" \
  countdown_kill
n=3
for point in begin set-num-vfs set-num-vfs-done end; do
  n=$((5 - n)) # 2, 3, 2, 3: every scenario changes the count
  lab_scenario "VF count change aborted at set_num_vfs:$point is finished ($n VFs)" \
    sriov_at "set_num_vfs:$point" "$n"
done
lab_passd_stop
lab_passd_fault_start ""
lab_scenario "SIGKILL at random moments of attach and detach (${LAB_CRASH_KILLS:-3} rounds)" \
  random_kill "${LAB_CRASH_KILLS:-3}"
lab_finish
