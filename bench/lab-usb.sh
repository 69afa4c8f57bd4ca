#!/bin/bash
# Lab benchmark of USB passthrough (not a test; see bench/README.md, "Lab: USB"). Runs inside the
# lab VM with its USB devices: bench/lab-usb.sh [REPS], or LAB_USB=1 tests/lab/run
# bench/lab-usb.sh [REPS] (default 5 repetitions)
#
# Side by side, for L1's FTDI serial adapter (0403:6001) and the same running guest (vmu, with
# a qemu-xhci controller):
#   passd:  passctl attach vmu usb:0403:6001 + passctl detach vmu usb:PORT (detach returns once
#           the guest let go: DEVICE_REMOVED)
#   virsh:  virsh attach-device --live --config with hand-written <hostdev type='usb'> XML, then
#           detach-device --live --config and polling until the hostdev has left the live XML
#           (virsh returns before the guest lets go)
# Medians of REPS runs.
set -uo pipefail
if [ -z "${LAB_OUT:-}" ]; then # on the host: boot the lab and run this same file inside it
  LAB_USB=1 exec "$(dirname "$0")/../tests/lab/run" "$(realpath "$0")" "$@"
fi
. "$LAB_DIR/lib.sh"
reps=${1:-5}

# shellcheck source=bench/lab-lib.sh
. "$(dirname "$0")/lab-lib.sh"
usb_gone() { ! virsh dumpxml "$1" | grep -q "<vendor id='0x0403'/>"; }

[ "$LAB_PASSD_READY" = 1 ] || die "passd is not ready"
port=$(for u in /sys/bus/usb/devices/*; do
  [ "$(cat "$u/idVendor" 2>/dev/null):$(cat "$u/idProduct" 2>/dev/null)" = 0403:6001 ] && echo "${u##*/}"
done)
[ -n "$port" ] || die "L1 has no FTDI serial adapter"
if [ "$(virsh domstate vmu 2>/dev/null)" != running ]; then # test-usb.sh may have it running
  lab_guest_define vmu --usb --start && lab_guest_wait_up vmu || die "vmu did not come up"
fi

cat >/run/lab/serial.xml <<XML
<hostdev mode='subsystem' type='usb' managed='yes'>
  <source><vendor id='0x0403'/><product id='0x6001'/></source>
</hostdev>
XML

: >/run/lab/passd.t
: >/run/lab/virsh.t
# passd's runs first, then virsh's: after a virsh detach passd may still show the device in the
# persistent definition (libvirt's DEVICE_REMOVED comes before it saves the definition, and no
# event follows the save), which would refuse passd's next attach.
for i in $(seq 1 "$reps"); do
  t=$(now)
  passctl attach vmu usb:0403:6001 >/dev/null || die "passctl attach failed"
  ta=$(since "$t")
  t=$(now)
  passctl detach vmu "usb:$port" >/dev/null || die "passctl detach failed"
  td=$(since "$t")
  echo "$ta $td" >>/run/lab/passd.t
  echo "# passd rep $i: $(tail -n 1 /run/lab/passd.t)"
done
for i in $(seq 1 "$reps"); do
  t=$(now)
  virsh -q attach-device vmu /run/lab/serial.xml --live --config >/dev/null || die "attach-device failed"
  ta=$(since "$t")
  t=$(now)
  virsh -q detach-device vmu /run/lab/serial.xml --live --config >/dev/null || die "detach-device failed"
  lab_wait 60 usb_gone vmu || die "hostdev still in vmu's live XML"
  td=$(since "$t")
  echo "$ta $td" >>/run/lab/virsh.t
  echo "# virsh rep $i: $(tail -n 1 /run/lab/virsh.t)"
done

pa=$(cut -d' ' -f1 /run/lab/passd.t | median)
pd=$(cut -d' ' -f2 /run/lab/passd.t | median)
va=$(cut -d' ' -f1 /run/lab/virsh.t | median)
vd=$(cut -d' ' -f2 /run/lab/virsh.t | median)
echo "USB attach+detach of usb:$port into the running vmu, median of $reps (seconds):"
echo "| | attach | detach (until the guest let go) | total |"
echo "|---|---:|---:|---:|"
echo "| passctl | $(fmt "$pa") | $(fmt "$pd") | $(fmt "$(echo "$pa + $pd" | bc)") |"
echo "| virsh + hand-written XML | $(fmt "$va") | $(fmt "$vd") | $(fmt "$(echo "$va + $vd" | bc)") |"
