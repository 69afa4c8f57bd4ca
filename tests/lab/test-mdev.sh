#!/bin/bash
# Lab test: mediated devices through passd (issue 10, mdev half) against L1's real kernel and
# libvirt 9.0, with the kernel's sample mdev driver mtty (built by run: tests/lab/mkmtty.sh).
# mtty's instances are PCI serial devices 4348:3253 in the guest. One L1 boot, one L2 guest.
# tests/lab/run tests/lab/test-mdev.sh [FUNC...] runs only those scenarios.
. "$LAB_DIR/lib.sh"

MTTY_ID=4348:3253

ready() {
  [ "$LAB_PASSD_READY" = 1 ] || lab_fail "passd did not become ready at boot"
  lab_mtty_load || lab_fail "cannot load mtty.ko"
  lab_guest_define vm1 --start && lab_guest_wait_up vm1 || lab_fail "vm1 did not boot"
}

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
available() { # TYPE: what passctl mdev types says mtty can still create
  passctl mdev types --json | python3 -c "import json,sys; print([t['available'] for t in json.load(sys.stdin)['types'] if t['parent']=='mtty' and t['id']=='$1'][0])"
}
mdev_field() { # ADDRESS FIELD: a member of Device.mdev as passctl show --json prints it
  passctl show --json "$1" | python3 -c "import json,sys; print(json.dumps(json.load(sys.stdin)['device']['mdev']['$2']))"
}
is_listed() { passctl list --kind mdev --json | grep -q "\"$1\""; }

# ListMdevTypes: mtty's two types with sysfs's counts.
types() {
  passctl mdev types | sed 's/^/#   /'
  local t
  for t in mtty-1 mtty-2; do
    [ "$(available $t)" = "$(cat /sys/class/mdev_bus/mtty/mdev_supported_types/$t/available_instances)" ] ||
      lab_fail "$t: passd and sysfs disagree"
  done
  passctl mdev types | grep -q '^mtty *mtty-1 .*vfio-pci *Single port serial$' || lab_fail "no mtty-1 line"
}

# create -> in list and monitor -> attach to running vm1 -> the guest sees a serial device ->
# remove refused -> detach (DEVICE_REMOVED) -> remove -> gone from list, sysfs and the monitor.
lifecycle() {
  local addr uuid before
  before=$(available mtty-1)
  timeout 60 passctl monitor >"$LAB_OUT/mdev-monitor.log" 2>&1 &
  sleep 1
  addr=$(passctl mdev create mtty mtty-1) || lab_fail "create failed"
  lab_note "created $addr"
  [[ $addr =~ ^mdev:[0-9a-f-]{36}$ ]] || lab_fail "create printed '$addr'"
  uuid=${addr#mdev:}
  [ -e "/sys/bus/mdev/devices/$uuid" ] || lab_fail "no $uuid in sysfs"
  is_listed "$addr" || lab_fail "$addr not in passctl list --kind mdev"
  [ "$(mdev_field "$addr" type)" = '"mtty-1"' ] || lab_fail "wrong type"
  [ "$(mdev_field "$addr" parent)" = '"mtty"' ] || lab_fail "wrong parent"
  [ "$(mdev_field "$addr" active)" = true ] && [ "$(mdev_field "$addr" persistent)" = false ] ||
    lab_fail "state: $(passctl show --json "$addr")"
  [ "$(available mtty-1)" = $((before - 1)) ] || lab_fail "available did not drop"
  passctl show "$addr" | sed 's/^/#   /'
  passctl attach vm1 "$addr" --live || lab_fail "attach failed"
  lab_guest_wait_pci vm1 $MTTY_ID present 60 || lab_fail "vm1 does not see the mtty device"
  virsh dumpxml vm1 | grep -q "uuid='$uuid'" || lab_fail "not in vm1's live XML"
  passctl show --json "$addr" | grep -q '"vm1"' || lab_fail "vm1 not an owner"
  expect_fail 1 "in use|assigned to vm1" passctl mdev remove "$addr"
  [ -e "/sys/bus/mdev/devices/$uuid" ] || lab_fail "removed while owned"
  passctl detach vm1 "$addr" || lab_fail "detach failed"
  lab_guest_wait_pci vm1 $MTTY_ID absent 60 || lab_fail "vm1 still sees it"
  passctl mdev remove "$addr" || lab_fail "remove failed"
  [ ! -e "/sys/bus/mdev/devices/$uuid" ] || lab_fail "still in sysfs"
  ! is_listed "$addr" || lab_fail "still listed"
  sleep 2
  kill %1 2>/dev/null
  grep "$addr" "$LAB_OUT/mdev-monitor.log" | sed 's/^/#   /'
  grep -q "added.*$addr\|$addr.*added" "$LAB_OUT/mdev-monitor.log" || lab_fail "monitor: no added"
  grep -q "removed.*$addr\|$addr.*removed" "$LAB_OUT/mdev-monitor.log" || lab_fail "monitor: no removed"
}

# An mdev made behind passd's back (sysfs) appears by libvirt's events alone, and goes again.
behind() {
  local uuid=6c2a0c30-3c1b-4f55-9c64-0a8f2c1d0001
  echo $uuid >/sys/class/mdev_bus/mtty/mdev_supported_types/mtty-2/create || lab_fail "sysfs create"
  lab_wait 10 is_listed "mdev:$uuid" || lab_fail "not listed within 10 s"
  [ "$(mdev_field mdev:$uuid type)" = '"mtty-2"' ] || lab_fail "wrong type"
  echo 1 >/sys/bus/mdev/devices/$uuid/remove || lab_fail "sysfs remove"
  lab_wait 10 sh -c "! passctl list --kind mdev --json | grep -q $uuid" || lab_fail "still listed"
}

# --uuid, persistent + autostart: mdevctl has it; it survives a passd restart and a libvirtd
# restart; remove undefines it.
persistent() {
  local uuid=0b5e9a7e-1d4c-4a8e-9f3e-2c4d5e6f7a80 addr
  addr=$(passctl mdev create mtty mtty-2 --uuid ${uuid^^} --autostart) || lab_fail "create failed"
  [ "$addr" = "mdev:$uuid" ] || lab_fail "create printed '$addr'"
  mdevctl list --defined | sed 's/^/#   /'
  mdevctl list --defined | grep -q "^$uuid mtty mtty-2 auto" || lab_fail "mdevctl does not have it"
  [ "$(mdev_field "$addr" persistent)" = true ] && [ "$(mdev_field "$addr" autostart)" = true ] ||
    lab_fail "state: $(passctl show --json "$addr")"
  expect_fail 2 "uuid" passctl mdev create mtty mtty-2 --uuid $uuid
  lab_passd_stop && lab_passd_start && lab_passd_wait_ready || lab_fail "passd restart"
  is_listed "$addr" || lab_fail "gone after the passd restart"
  lab_libvirtd_stop && lab_libvirtd_start || lab_fail "libvirtd restart"
  lab_wait 60 lab_passd_connected || lab_fail "passd did not reconnect"
  lab_wait 10 is_listed "$addr" || lab_fail "gone after the libvirtd restart"
  [ "$(mdev_field "$addr" active)" = true ] || lab_fail "not active after the libvirtd restart"
  [ -e "/sys/bus/mdev/devices/$uuid" ] || lab_fail "gone from sysfs"
  passctl mdev remove "$addr" || lab_fail "remove failed"
  ! mdevctl list --defined | grep -q "$uuid" || lab_fail "still defined in mdevctl"
  ! is_listed "$addr" || lab_fail "still listed"
}

# attach --mdev-type with passd aborted by fault injection (lib.sh) at POINT, then started
# again: before the guest side, recovery removes the instance passd created; after it, the
# instance stays assigned and, still passd's to remove across the restart, goes on its detach.
type_crash() { # POINT free|assigned
  local before uuid addr
  lab_passd_has_faults
  before=$(available mtty-1)
  ls /sys/bus/mdev/devices >/run/lab/mdevs.before
  lab_passd_stop
  lab_passd_fault_start "$1"
  passctl attach vm1 --mdev-type mtty-1 --live >/dev/null 2>&1 && lab_fail "attach succeeded despite '$1'"
  lab_passd_expect_abort "$1"
  uuid=$(ls /sys/bus/mdev/devices | grep -vxFf /run/lab/mdevs.before)
  [ -n "$uuid" ] || lab_fail "no instance was created before '$1'"
  addr=mdev:$uuid
  lab_note "passd aborted at $1 with $addr created"
  lab_passd_fault_start ""
  lab_passd_wait_settled 60
  passctl status | grep -q "^Recovered: .* attach $addr / vm1" || lab_fail "passctl status shows no recovery"
  if [ "$2" = assigned ]; then
    virsh dumpxml vm1 | grep -q "$uuid" || lab_fail "$addr is not in vm1 after the recovery"
    [ "$(passctl show --json "$addr" | python3 -c 'import json,sys; print(json.load(sys.stdin)["device"]["owners"])')" = "['vm1']" ] ||
      lab_fail "passd does not have vm1 as $addr's owner"
    lab_guest_wait_pci vm1 $MTTY_ID present 60 || lab_fail "vm1 does not see it"
    passctl detach vm1 "$addr" || lab_fail "detach failed"
    lab_guest_wait_pci vm1 $MTTY_ID absent 60 || lab_fail "vm1 still sees it"
  fi
  lab_wait 20 test ! -e "/sys/bus/mdev/devices/$uuid" || lab_fail "$addr was left in sysfs"
  virsh dumpxml vm1 | grep -q "$uuid" && lab_fail "$addr is still in vm1's XML"
  [ "$(available mtty-1)" = "$before" ] || lab_fail "capacity not given back"
}

# clear errors: unknown parent and type, a full parent, not an mdev
refusals() {
  local addrs=() a n
  expect_fail 1 "no such device.*nope is no mdev parent" passctl mdev create nope mtty-1
  expect_fail 1 "mtty offers no mdev type mtty-9" passctl mdev create mtty mtty-9
  expect_fail 2 "no mediated device" passctl mdev remove "$LAB_NIC_FREE"
  expect_fail 1 "no mediated device mdev:11111111-2222-3333-4444-555555555555 on this host" \
    passctl mdev remove mdev:11111111-2222-3333-4444-555555555555
  n=$(available mtty-2)
  for _ in $(seq "$n"); do addrs+=("$(passctl mdev create mtty mtty-2)") || lab_fail "create"; done
  expect_fail 1 "no mdev instance left to create: mtty has no instance of mtty-2 left" \
    passctl mdev create mtty mtty-2
  for a in "${addrs[@]}"; do passctl mdev remove "$a" >/dev/null || lab_fail "remove $a"; done
}

# attach --mdev-type: created on mtty and attached to running vm1 in one call, the guest sees it,
# the detach removes it; with --persistent it stays (defined) and is removed by hand.
by_type() {
  local out addr uuid before
  before=$(available mtty-1)
  out=$(passctl attach vm1 --mdev-type mtty-1 --live) || lab_fail "attach --mdev-type failed"
  printf '%s\n' "$out" | sed 's/^/#   /'
  addr=$(printf '%s\n' "$out" | grep -o '^mdev:[0-9a-f-]\{36\}' | head -1)
  [ -n "$addr" ] || lab_fail "no mdev:UUID printed"
  printf '%s\n' "$out" | grep -q 'parent mtty: the most instances of mtty-1 left' || lab_fail "no reason"
  uuid=${addr#mdev:}
  [ -e "/sys/bus/mdev/devices/$uuid" ] || lab_fail "no $uuid in sysfs"
  lab_guest_wait_pci vm1 $MTTY_ID present 60 || lab_fail "vm1 does not see the mtty device"
  passctl detach vm1 "$addr" || lab_fail "detach failed"
  lab_guest_wait_pci vm1 $MTTY_ID absent 60 || lab_fail "vm1 still sees it"
  for _ in $(seq 50); do [ -e "/sys/bus/mdev/devices/$uuid" ] || break; sleep 0.2; done
  [ ! -e "/sys/bus/mdev/devices/$uuid" ] || lab_fail "$uuid not removed after the detach"
  [ "$(available mtty-1)" = "$before" ] || lab_fail "capacity not given back"
  # --persistent: kept after the detach
  out=$(passctl attach vm1 --mdev-type mtty-1 --parent mtty --persistent --live) ||
    lab_fail "attach --persistent failed"
  addr=$(printf '%s\n' "$out" | grep -o '^mdev:[0-9a-f-]\{36\}' | head -1)
  uuid=${addr#mdev:}
  lab_guest_wait_pci vm1 $MTTY_ID present 60 || lab_fail "vm1 does not see the persistent one"
  passctl detach vm1 "$addr" || lab_fail "detach failed"
  lab_guest_wait_pci vm1 $MTTY_ID absent 60 || lab_fail "vm1 still sees it"
  sleep 2
  [ -e "/sys/bus/mdev/devices/$uuid" ] || lab_fail "--persistent instance removed on detach"
  passctl mdev remove "$addr" || lab_fail "remove failed"
  expect_fail 1 "no such device: nope is no mdev parent" \
    passctl attach vm1 --mdev-type mtty-2 --parent nope
}

only=("$@")
scenario() { # NAME FUNC [ARGS...]
  [ ${#only[@]} = 0 ] || [ "$2" = ready ] || [[ " ${only[*]} " == *" $2 "* ]] || return 0
  lab_scenario "$@"
}

scenario "passd is ready, mtty loaded, vm1 running" ready
scenario "ListMdevTypes: mtty's types with sysfs's counts" types
scenario "create, attach to running vm1 (the guest sees it), remove refused, detach, remove; monitor" lifecycle
scenario "an mdev made and removed in sysfs behind passd's back" behind
scenario "--uuid --autostart: in mdevctl, survives passd and libvirtd restarts, remove undefines" persistent
scenario "attach --mdev-type into running vm1, removed on detach; --persistent kept" by_type
scenario "attach --mdev-type aborted at attach:attach: recovery removes the instance" \
  type_crash attach:attach free
scenario "attach --mdev-type aborted at attach:end: assigned, removed on its detach" \
  type_crash attach:end assigned
scenario "clear errors: unknown parent or type, no capacity, not an mdev" refusals
lab_finish
