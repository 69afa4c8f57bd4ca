#!/bin/bash
# Lab benchmark of mediated devices (not a test; see bench/README.md, "Lab: mdev"). Runs inside
# the lab VM:  tests/lab/run bench/lab-mdev.sh [REPS]   (default 5 repetitions)
#
# Side by side, medians of REPS runs, an mtty-1 instance into running vm1 and out again:
#   passd:   passctl mdev create mtty mtty-1; passctl attach vm1 mdev:UUID --live;
#            passctl detach vm1 mdev:UUID (returns on DEVICE_REMOVED); passctl mdev remove
#   by hand: uuidgen; echo UUID > .../mtty-1/create; write the hostdev XML; virsh attach-device
#            --live; virsh detach-device --live; poll virsh dumpxml until the UUID is gone;
#            echo 1 > .../UUID/remove
#   by type: passctl attach vm1 --mdev-type mtty-1 --live; passctl detach vm1 mdev:UUID (the
#            transient instance is removed after DEVICE_REMOVED; timed until it left sysfs)
set -uo pipefail
if [ -z "${LAB_OUT:-}" ]; then # on the host: boot the lab and run this same file inside it
  exec "$(dirname "$0")/../tests/lab/run" "$(realpath "$0")" "$@"
fi
. "$LAB_DIR/lib.sh"
reps=${1:-5}

# shellcheck source=bench/lab-lib.sh
. "$(dirname "$0")/lab-lib.sh"
types=/sys/class/mdev_bus/mtty/mdev_supported_types

[ "$LAB_PASSD_READY" = 1 ] || die "passd is not ready"
lab_mtty_load || die "no mtty"
lab_guest_define vm1 --start && lab_guest_wait_up vm1 || die "vm1 did not boot"
: >/run/lab/passd.t
: >/run/lab/hand.t
: >/run/lab/type.t
for i in $(seq 1 "$reps"); do
  t=$(now)
  a=$(passctl mdev create mtty mtty-1) || die "create failed"
  passctl attach vm1 "$a" --live >/dev/null || die "attach failed"
  passctl detach vm1 "$a" >/dev/null || die "detach failed"
  passctl mdev remove "$a" >/dev/null || die "remove failed"
  since "$t" >>/run/lab/passd.t

  t=$(now)
  a=$(passctl attach vm1 --mdev-type mtty-1 --live | grep -o '^mdev:[0-9a-f-]*' | head -1)
  [ -n "$a" ] || die "attach --mdev-type failed"
  passctl detach vm1 "$a" >/dev/null || die "detach failed"
  lab_wait 30 sh -c "[ ! -e /sys/bus/mdev/devices/${a#mdev:} ]" || die "not removed after detach"
  since "$t" >>/run/lab/type.t

  t=$(now)
  u=$(uuidgen)
  echo "$u" >"$types/mtty-1/create" || die "sysfs create failed"
  cat >/run/lab/mdev.xml <<X
<hostdev mode='subsystem' type='mdev' model='vfio-pci'>
  <source><address uuid='$u'/></source>
</hostdev>
X
  virsh -q attach-device vm1 /run/lab/mdev.xml --live >/dev/null || die "virsh attach failed"
  virsh -q detach-device vm1 /run/lab/mdev.xml --live >/dev/null || die "virsh detach failed"
  lab_wait 30 sh -c "! virsh dumpxml vm1 | grep -q $u" || die "guest did not let go"
  echo 1 >"/sys/bus/mdev/devices/$u/remove" || die "sysfs remove failed"
  since "$t" >>/run/lab/hand.t
done
echo "mtty-1 into running vm1 and out, medians of $reps:"
echo "  passd (create, attach, detach, remove): $(fmt "$(median </run/lab/passd.t)") s"
echo "  passd --mdev-type (attach --mdev-type, detach): $(fmt "$(median </run/lab/type.t)") s"
echo "  by hand (uuidgen, sysfs, XML, virsh attach/detach, poll, sysfs): $(fmt "$(median </run/lab/hand.t)") s"
