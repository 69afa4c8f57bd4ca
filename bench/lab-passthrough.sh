#!/bin/bash
# Lab benchmark of passthrough (not a test; see bench/README.md, "Lab: passthrough"). Runs inside
# the lab VM:  tests/lab/run bench/lab-passthrough.sh [REPS]   (default 5 repetitions)
#
# Side by side, for the same NVMe VF and the same running guest:
#   passd:  passctl attach vm1 VF  +  passctl detach vm1 VF  (detach returns once the guest let go
#           and the VF is back on its host driver)
#   virsh:  virsh nodedev-detach + attach-device --live --config + detach-device --live --config,
#           then polling until the hostdev has left the live XML (virsh returns before the guest
#           lets go) + nodedev-reattach
# and 2 attaches to 2 guests in parallel (a VF of each PF) against one. Medians of REPS runs.
set -uo pipefail
if [ -z "${LAB_OUT:-}" ]; then # on the host: boot the lab and run this same file inside it
  exec "$(dirname "$0")/../tests/lab/run" "$(realpath "$0")" "$@"
fi
. "$LAB_DIR/lib.sh"
reps=${1:-5}

# shellcheck source=bench/lab-lib.sh
. "$(dirname "$0")/lab-lib.sh"
hostdev_gone() { ! virsh dumpxml "$1" | grep -q "bus='0x$2' slot='0x$3' function='0x$4'"; }

[ "$LAB_PASSD_READY" = 1 ] || die "passd is not ready"
echo 0 >"/sys/bus/pci/devices/$LAB_PF0/sriov_drivers_autoprobe"
echo 0 >"/sys/bus/pci/devices/$LAB_PF1/sriov_drivers_autoprobe"
lab_numvfs "$LAB_PF0" 2 && lab_numvfs "$LAB_PF1" 2 || die "cannot create VFs"
udevadm settle
va=$(lab_vfs "$LAB_PF0" | head -n 1)
vb=$(lab_vfs "$LAB_PF1" | head -n 1)
lab_wait 20 passctl show "$vb" >/dev/null 2>&1 || die "passd does not know $vb"
lab_guests_standard || die "guests did not come up"

IFS=':.' read -r d b s f <<<"$va"
cat >/run/lab/va.xml <<EOF
<hostdev mode='subsystem' type='pci' managed='no'>
  <source><address domain='0x$d' bus='0x$b' slot='0x$s' function='0x$f'/></source>
</hostdev>
EOF
node=pci_$(echo "$va" | tr ':.' '__')

: >/run/lab/passd.t
: >/run/lab/virsh.t
: >/run/lab/one.t
: >/run/lab/two.t
for i in $(seq 1 "$reps"); do
  # passd: one command each way
  t=$(now)
  passctl attach vm1 "$va" >/dev/null || die "passctl attach failed"
  ta=$(since "$t")
  t=$(now)
  passctl detach vm1 "$va" >/dev/null || die "passctl detach failed"
  td=$(since "$t")
  echo "$ta $td" >>/run/lab/passd.t

  # virsh: the same by hand (managed='no', as passd writes it: the host side is explicit)
  t=$(now)
  virsh -q nodedev-detach "$node" --driver vfio >/dev/null || die "nodedev-detach failed"
  virsh -q attach-device vm1 /run/lab/va.xml --live --config >/dev/null || die "attach-device failed"
  ta=$(since "$t")
  t=$(now)
  virsh -q detach-device vm1 /run/lab/va.xml --live --config >/dev/null || die "detach-device failed"
  lab_wait 60 hostdev_gone vm1 "$b" "$s" "$f" || die "hostdev still in vm1's live XML"
  virsh -q nodedev-reattach "$node" >/dev/null || die "nodedev-reattach failed"
  td=$(since "$t")
  echo "$ta $td" >>/run/lab/virsh.t
  [ -z "$(lab_drv "$va")" ] || die "$va is on $(lab_drv "$va") after virsh"

  # one attach, then two to two guests at once (detaches not timed here)
  t=$(now)
  passctl attach vm1 "$va" >/dev/null || die "attach (one) failed"
  since "$t" >>/run/lab/one.t
  passctl detach vm1 "$va" >/dev/null || die "detach (one) failed"
  t=$(now)
  passctl attach vm1 "$va" >/dev/null &
  p1=$!
  passctl attach vm2 "$vb" >/dev/null &
  p2=$!
  wait $p1 && wait $p2 || die "parallel attach failed"
  since "$t" >>/run/lab/two.t
  passctl detach vm1 "$va" >/dev/null &
  p1=$!
  passctl detach vm2 "$vb" >/dev/null &
  p2=$!
  wait $p1 && wait $p2 || die "parallel detach failed"
  echo "# run $i of $reps: passd $(tail -n 1 /run/lab/passd.t), virsh $(tail -n 1 /run/lab/virsh.t), one $(tail -n 1 /run/lab/one.t), two $(tail -n 1 /run/lab/two.t)"
done

col() { awk "{print \$$1}" "$2" | median; }
pa=$(col 1 /run/lab/passd.t) pd=$(col 2 /run/lab/passd.t)
va_=$(col 1 /run/lab/virsh.t) vd=$(col 2 /run/lab/virsh.t)
one=$(median </run/lab/one.t) two=$(median </run/lab/two.t)
echo
echo "Lab passthrough bench, $(date -u +%Y-%m-%d), TCG, 2 vCPUs, L2 type $(virsh dumpxml vm1 | grep -o "^<domain type='[a-z]*'" | cut -d"'" -f2), median of $reps"
echo "| measurement | passd | virsh by hand |"
echo "|---|---:|---:|"
echo "| attach (host detach + hot-plug) | $(fmt "$pa") s | $(fmt "$va_") s |"
echo "| detach (unplug, guest released, back on the host driver) | $(fmt "$pd") s | $(fmt "$vd") s |"
echo "| attach + detach | $(fmt "$(echo "$pa + $pd" | bc)") s | $(fmt "$(echo "$va_ + $vd" | bc)") s |"
echo "| one attach | $(fmt "$one") s | |"
echo "| two attaches to two guests in parallel (wall) | $(fmt "$two") s | |"
