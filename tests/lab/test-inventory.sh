#!/bin/bash
# Lab test: passd's inventory proven against L1's real kernel (tests/lab/run tests/lab/test-inventory.sh).
# One L1 boot, scenarios in sequence; each prints "ok N - name" or "not ok N - name".
. "$LAB_DIR/lib.sh"
check() { /usr/bin/python3 "$LAB_DIR/check.py" "$@"; }

passd_pid=$(cat /run/lab/passd.pid 2>/dev/null)

ready() {
  [ "$LAB_PASSD_READY" = 1 ] && return 0
  lab_note "passd did not become ready at boot; passd.log ends with:"
  tail -n 15 "$LAB_OUT/passd.log" | sed 's/^/#   /'
  passctl status
  exit 1
}

inventory() {
  check inventory --timeout 10
}

# The PFs are on the NUMA nodes the lab put them on, and the two functions share a group: if
# the lab's hardware is not what the other scenarios assume, say so here.
lab_hardware() {
  [ "$(cat /sys/bus/pci/devices/$LAB_PF0/numa_node)" = 0 ] || lab_fail "PF0 not on NUMA node 0"
  [ "$(cat /sys/bus/pci/devices/$LAB_PF1/numa_node)" = 1 ] || lab_fail "PF1 not on NUMA node 1"
  [ "$(readlink /sys/bus/pci/devices/$LAB_MF0/iommu_group)" = \
    "$(readlink /sys/bus/pci/devices/$LAB_MF1/iommu_group)" ] || lab_fail "MF0/MF1 groups differ"
  ip route show default | grep -q "dev $LAB_NIC_ROUTE_IF" || lab_fail "no default route"
}

vf_cycle() { # PF
  check vf-cycle "$1" 3 --limit "${LAB_VF_LIMIT:-2}" || exit 1
  [ "$(cat /run/lab/passd.pid)" = "$passd_pid" ] && kill -0 "$passd_pid" ||
    lab_fail "passd was restarted or died"
}

# VFs that stay: the inventory with VFs present (physfn/vfs, groups of VFs, their drivers)
inventory_with_vfs() {
  lab_numvfs "$LAB_PF0" 2 && lab_numvfs "$LAB_PF1" 4 || lab_fail "cannot create VFs"
  udevadm settle
  check inventory --timeout 15
}

owners() {
  local vf
  vf=$(lab_vfs "$LAB_PF1" | head -n 1)
  [ -n "$vf" ] || lab_fail "no VF on $LAB_PF1"
  lab_guest_define owner1 --hostdev "$vf" || lab_fail "virsh define failed"
  check owners "$vf" owner1 --timeout 5 || exit 1
  check owners "$LAB_PF1" --timeout 1 || exit 1
  virsh -q undefine owner1 >/dev/null || lab_fail "virsh undefine failed"
  check owners "$vf" --timeout 5
}

passd_driver_is() { # ADDR DRIVER: passd's view of the device's driver
  [ "$(passctl show --json "$1" | /usr/bin/python3 -c 'import json, sys; print(json.load(sys.stdin)["device"]["driver"])')" = "$2" ]
}

# A device someone else put on vfio-pci (passd never took it): Reattach gives it to the kernel's
# driver; --dry-run first, which changes nothing.
reattach() {
  local nic=$LAB_NIC_FREE rc
  virsh -q nodedev-detach "pci_${nic//[:.]/_}" --driver vfio >/dev/null || lab_fail "virsh nodedev-detach failed"
  lab_wait 10 passd_driver_is "$nic" vfio-pci || lab_fail "passd does not show $nic on vfio-pci"
  passctl reattach --dry-run "$nic" | sed 's/^/#   /'
  [ "$(lab_drv "$nic")" = vfio-pci ] || lab_fail "--dry-run changed the driver"
  passctl reattach "$nic" | sed 's/^/#   /'
  rc=${PIPESTATUS[0]}
  [ "$rc" = 0 ] || lab_fail "passctl reattach exited $rc"
  [ "$(lab_drv "$nic")" = e1000e ] || lab_fail "$nic is on '$(lab_drv "$nic")', not e1000e"
  lab_wait 10 passd_driver_is "$nic" e1000e || lab_fail "passd does not show $nic back on e1000e"
}

libvirtd_restart() {
  lab_libvirtd_stop
  check status false --timeout 15 || exit 1
  passctl status | sed 's/^/#   /'
  lab_libvirtd_start || lab_fail "libvirtd did not come back"
  check status true --timeout 60 || exit 1
  kill -0 "$passd_pid" || lab_fail "passd died"
  check inventory --timeout 15
}

lab_scenario "passd is ready (socket, connected to qemu:///system)" ready
lab_scenario "lab hardware as documented" lab_hardware
lab_scenario "inventory matches lspci -D and sysfs" inventory
lab_scenario "VFs of $LAB_PF0 appear and vanish within 2 s (list + monitor)" vf_cycle "$LAB_PF0"
lab_scenario "VFs of $LAB_PF1 appear and vanish within 2 s (list + monitor)" vf_cycle "$LAB_PF1"
lab_scenario "inventory with VFs present" inventory_with_vfs
lab_scenario "a defined domain with a <hostdev> owns the VF" owners
lab_scenario "Reattach: a device on vfio-pci goes back to its kernel driver (dry run first)" reattach
lab_scenario "passd survives a libvirtd restart" libvirtd_restart
lab_finish
