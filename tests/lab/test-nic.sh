#!/bin/bash
# shellcheck disable=SC2064,SC2015 # cleanup traps expand their addresses when set, on purpose
# Lab test: NIC VFs as <interface type='hostdev'> (issue 9, "NIC VFs"), on the emulated igb NIC
# (82576, SR-IOV; needs LAB_IGB=1, which meson's registration sets):
#   tests/lab/run tests/lab/test-nic.sh     (with LAB_IGB=1 in the environment)
# vm1 runs throughout. passctl attach --interface --mac --vlan: the PF shows the VF's MAC and
# VLAN (ip link), the guest's igbvf the MAC (its serial log); detach gives the VF back to
# igbvf and libvirt resets the VF's MAC and VLAN on the PF; without --mac passd's generated MAC
# (the derivation of xml-hostdev.h, recomputed here), the same after detach and attach; with two
# interfaces in one guest libvirt needs the MAC to find the one to detach, and passd gives it;
# pools that name the PF by its netdev (--pf IF, --pf IF#1) hold its VFs.
. "$LAB_DIR/lib.sh"

PF=${LAB_IGB_PF:-}
IF=${LAB_IGB_IF:-}
MAC=52:54:00:aa:bb:01

# --- helpers
nic_run() { # CMD...: as a user would, output shown
  echo "# \$ $*"
  "$@" 2>&1 | sed 's/^/#   /'
  return "${PIPESTATUS[0]}"
}
vf_addr() { basename "$(readlink "/sys/bus/pci/devices/$PF/virtfn$1")"; }
vf_line() { ip link show "$IF" | grep -E "^ +vf $1 " | sed 's/ brd ff:ff:ff:ff:ff:ff//'; }
vf_has() { vf_line "$1" | grep -qiE -- "$2"; }
# the VF as the PF programs it: its MAC (and VLAN) or not
vf_is() { # N MAC [VLAN]
  local want="link/ether $2"
  [ -n "${3:-}" ] && want="$want, vlan $3,"
  vf_has "$1" "$want" || lab_fail "PF $IF: vf $1 is '$(vf_line "$1")', want '$want'"
}
drv_becomes() { # ADDR DRIVER
  lab_wait 20 drv_now "$1" "$2" || lab_fail "$1 is on '$(lab_drv "$1")', want '$2'"
}
drv_now() { [ "$(lab_drv "$1")" = "$2" ]; }
vf_netdev_mac_is() { [ "$(cat "/sys/bus/pci/devices/$1"/net/*/address 2>/dev/null)" = "$2" ]; }
# passd's MAC for an interface without --mac (xml-hostdev.h: pass_xml_generate_mac)
generated_mac() { # DOMAIN ADDR
  python3 -c 'import hashlib, sys
h = bytearray(hashlib.sha256(b"passd-mac-v1\0" + sys.argv[1].encode() + b"\0" +
                             sys.argv[2].encode() + b"\0").digest()[:6])
h[0] = h[0] & 0xfc | 2
print(":".join("%02x" % b for b in h))' "$1" "$2"
}
iface_in() { # DOMAIN MAC live|config: an interface with that MAC in the domain's XML
  local flag=
  [ "$3" = config ] && flag=--inactive
  virsh dumpxml $flag "$1" | grep -q "<mac address='$2'/>"
}
cleanup() { # ADDR...: give back what a failed scenario left
  local a
  for a in "$@"; do passctl detach vm1 "$a" >/dev/null 2>&1; done
}

# --- setup: the PF up (no IPv6: it sends nothing), 2 VFs on igbvf in L1, vm1 running
setup() {
  [ -n "$PF" ] && [ -n "$IF" ] || lab_fail "no igb PF: run with LAB_IGB=1"
  sysctl -qw "net.ipv6.conf.$IF.disable_ipv6=1"
  ip link set "$IF" up || lab_fail "cannot set $IF up"
  lab_numvfs "$PF" 2 || lab_fail "cannot create VFs on $PF"
  udevadm settle
  VF0=$(vf_addr 0)
  VF1=$(vf_addr 1)
  [ -n "$VF0" ] && [ -n "$VF1" ] || lab_fail "no VFs on $PF"
  echo "$VF0 $VF1" >/run/lab/nic-vfs
  drv_becomes "$VF0" igbvf
  drv_becomes "$VF1" igbvf
  lab_note "PF $PF ($IF), VFs $VF0 $VF1 on igbvf"
  lab_wait 20 passctl show "$VF1" >/dev/null 2>&1 || lab_fail "passd does not know the VFs"
  lab_guest_define vm1 --start || lab_fail "cannot define/start vm1"
  lab_guest_wait_up vm1 300 || lab_fail "vm1 did not come up"
}

# --- 1: the emulator first (../shared/lab-recipe, igb-mbx-debug): L1 below 2816 MiB keeps the
# VF BARs below 4 GiB, and igbvf in L1 takes the MAC the PF gives the VF through the mailbox
emulator() {
  local mem bar vf=$VF1 mac
  mem=$(awk '/^MemTotal/ {print int($2 / 1024)}' /proc/meminfo)
  bar=$(head -n 1 "/sys/bus/pci/devices/$vf/resource" | cut -d' ' -f1)
  lab_note "L1 MemTotal ${mem} MiB; $vf BAR0 at $bar"
  [ "$mem" -lt 2816 ] || lab_fail "L1 has ${mem} MiB: VF BARs may land above 4 GiB (QEMU 10.0.2)"
  [ $((bar)) -lt $((0x100000000)) ] || lab_fail "$vf BAR0 $bar is above 4 GiB: VF MMIO is broken"
  nic_run ip link set "$IF" vf 1 mac 52:54:00:aa:bb:99 || lab_fail "cannot set vf 1's MAC"
  echo "$vf" >/sys/bus/pci/drivers/igbvf/unbind
  echo "$vf" >/sys/bus/pci/drivers/igbvf/bind
  # udev renames the netdev (eth0 -> enp4s0v1) right after the probe: read it once settled
  udevadm settle
  lab_wait 10 vf_netdev_mac_is "$vf" 52:54:00:aa:bb:99 ||
    lab_fail "igbvf did not get the PF's MAC (got '$(cat "/sys/bus/pci/devices/$vf"/net/*/address 2>/dev/null)')"
  lab_note "igbvf in L1: $vf has $(cat "/sys/bus/pci/devices/$vf"/net/*/address)"
  dmesg | grep -i "igbvf $vf" | tail -n 3 | sed 's/^/#   /'
  # as before: no admin MAC; igbvf makes up its own again
  ip link set "$IF" vf 1 mac 00:00:00:00:00:00
  echo "$vf" >/sys/bus/pci/drivers/igbvf/unbind
  echo "$vf" >/sys/bus/pci/drivers/igbvf/bind
  drv_becomes "$vf" igbvf
}

# --- 2: a MAC and a VLAN into the running guest
attach_mac_vlan() {
  trap "cleanup $VF0" EXIT
  nic_run vf_line 0
  nic_run passctl attach --dry-run vm1 "$VF0" --interface --mac "${MAC^^}" --vlan 42 \
    >/run/lab/dry.out || lab_fail "dry run failed"
  grep -q "<mac address=\"$MAC\"/>" /run/lab/dry.out && grep -q '<tag id="42"/>' /run/lab/dry.out ||
    lab_fail "the dry run does not show the MAC and the VLAN"
  drv_now "$VF0" igbvf || lab_fail "the dry run changed $VF0"
  nic_run passctl attach vm1 "$VF0" --interface --mac "$MAC" --vlan 42 || lab_fail "attach failed"
  drv_now "$VF0" vfio-pci || lab_fail "$VF0 is on '$(lab_drv "$VF0")', not vfio-pci"
  nic_run vf_line 0
  vf_is 0 "$MAC" 42
  iface_in vm1 "$MAC" live && iface_in vm1 "$MAC" config ||
    lab_fail "vm1's live and persistent XML do not both have the interface"
  virsh dumpxml vm1 | sed -n '/<interface/,/<\/interface>/p' | sed 's/^/#   /'
  # GetDomain and passctl vm show the interface's MAC and VLAN
  nic_run passctl vm vm1
  passctl vm vm1 --json | python3 -c '
import json, sys
(a,) = [a for a in json.load(sys.stdin)["devices"] if a["address"] == "'"$VF0"'"]
assert a["interface"] and (a["mac"], a["vlan"]) == ("'"$MAC"'", 42), a' ||
    lab_fail "passctl vm does not show $VF0 with $MAC and VLAN 42"
  passctl vm vm1 | grep -E "^$VF0 .* interface +$MAC +42 " >/dev/null ||
    lab_fail "passctl vm's MAC and VLAN columns"
  # what libvirt saved to restore on detach (the VF's admin MAC and VLAN before)
  local f
  for f in /run/libvirt/hostdevmgr/*; do
    [ -f "$f" ] && lab_note "libvirt saved $(basename "$f"): $(tr -s ' \n' ' ' <"$f")"
  done
  lab_guest_wait_mac vm1 "$MAC" present 90 || lab_fail "the guest's igbvf does not show $MAC"
  lab_note "the guest sees: $(lab_guest_macs vm1 | tr '\n' ' ')"
  trap - EXIT
}

# --- 3: detach: the VF back on igbvf, libvirt resets its MAC and VLAN on the PF
detach_resets() {
  trap "cleanup $VF0" EXIT
  nic_run passctl detach vm1 "$VF0" || lab_fail "detach failed"
  drv_becomes "$VF0" igbvf
  nic_run vf_line 0
  vf_has 0 "$MAC" && lab_fail "the PF still gives vf 0 $MAC"
  vf_has 0 "vlan 42" && lab_fail "the PF still tags vf 0's traffic with VLAN 42"
  iface_in vm1 "$MAC" live || iface_in vm1 "$MAC" config && lab_fail "vm1 still has the interface"
  lab_guest_wait_mac vm1 "$MAC" absent 60 || lab_fail "the guest still shows $MAC"
  trap - EXIT
}

# --- 4: generated MACs: the documented ones, the same after detach and attach; with two
# interfaces libvirt needs the MAC to tell them apart (passd's detach XML names it)
generated() {
  local g0 g1 d b s f
  trap "cleanup $VF0 $VF1" EXIT
  g0=$(generated_mac vm1 "$VF0")
  g1=$(generated_mac vm1 "$VF1")
  lab_note "expected: $VF0 -> $g0, $VF1 -> $g1"
  nic_run passctl attach vm1 "$VF0" --interface || lab_fail "attach $VF0 failed"
  nic_run passctl attach vm1 "$VF1" --interface --vlan 43 || lab_fail "attach $VF1 failed"
  nic_run vf_line 0
  nic_run vf_line 1
  vf_is 0 "$g0"
  vf_is 1 "$g1" 43
  lab_guest_wait_mac vm1 "$g0" present 90 || lab_fail "the guest does not show $g0"
  lab_guest_wait_mac vm1 "$g1" present 30 || lab_fail "the guest does not show $g1"
  # libvirt itself: an interface XML without a MAC does not say which of the two to remove
  IFS=':.' read -r d b s f <<<"$VF0"
  cat >/run/lab/nomac.xml <<EOF
<interface type='hostdev' managed='no'><source><address type='pci' domain='0x$d' bus='0x$b' slot='0x$s' function='0x$f'/></source></interface>
EOF
  if nic_run virsh detach-device vm1 /run/lab/nomac.xml --config; then
    lab_fail "libvirt removed an interface named without a MAC from two"
  fi
  iface_in vm1 "$g0" config && iface_in vm1 "$g1" config || lab_fail "the failed detach changed vm1"
  nic_run passctl detach vm1 "$VF0" || lab_fail "detach of $VF0 failed"
  drv_becomes "$VF0" igbvf
  iface_in vm1 "$g0" config && lab_fail "$g0 is still in vm1's definition"
  iface_in vm1 "$g1" live && iface_in vm1 "$g1" config || lab_fail "$VF1 went too"
  lab_guest_wait_mac vm1 "$g0" absent 60 || lab_fail "the guest still shows $g0"
  # again: the same MAC
  nic_run passctl attach vm1 "$VF0" --interface || lab_fail "second attach of $VF0 failed"
  vf_is 0 "$g0"
  lab_guest_wait_mac vm1 "$g0" present 90 || lab_fail "the guest does not show $g0 again"
  nic_run passctl detach vm1 "$VF0" || lab_fail "detach of $VF0 failed"
  nic_run passctl detach vm1 "$VF1" || lab_fail "detach of $VF1 failed"
  drv_becomes "$VF0" igbvf
  drv_becomes "$VF1" igbvf
  vf_has 1 "vlan 43" && lab_fail "the PF still tags vf 1's traffic with VLAN 43"
  lab_guest_wait_mac vm1 "$g1" absent 60 || lab_fail "the guest still shows $g1"
  trap - EXIT
}

# --- 5: a pool by the PF's netdev name: passd knows the PF's interface (libvirt's net_* node
# device below it), and --pf NETDEV[#RANGES] finds its VFs
pool_by_netdev() {
  passctl show "$PF" --json | python3 -c '
import json, sys
d = json.load(sys.stdin)["device"]
assert d["netdevs"] == ["'"$IF"'"], d["netdevs"]' || lab_fail "passctl show $PF does not name $IF"
  passctl show "$PF" | grep -E "^Interfaces: +$IF\$" >/dev/null || lab_fail "no Interfaces line"
  nic_run passctl pool define igbnet --kind net --driver igbvf --pf "$IF" || lab_fail "pool define"
  nic_run passctl pool define igbnet1 --kind net --driver igbvf --pf "$IF#1" || lab_fail "pool define #1"
  nic_run passctl pools
  passctl pools --json | python3 -c '
import json, sys
pools = {p["name"]: p for p in json.load(sys.stdin)["pools"]}
p = pools["igbnet"]
assert (p["total"], p["free"], p["in_use"]) == (2, 2, 0), p
assert [u["address"] for u in p["pf_usage"]] == ["'"$PF"'"], p["pf_usage"]
assert pools["igbnet1"]["total"] == 1, pools["igbnet1"]' || lab_fail "the pools by $IF do not hold its VFs"
  nic_run passctl attach vm1 --pool igbnet1 --dry-run >/run/lab/pool-dry.out || lab_fail "dry run"
  grep -q "$VF1" /run/lab/pool-dry.out || lab_fail "the #1 pool does not pick $VF1"
  drv_now "$VF1" igbvf || lab_fail "the dry run changed $VF1"
  passctl pool undefine igbnet && passctl pool undefine igbnet1 || lab_fail "pool undefine"
}

lab_scenario "setup: igb PF up, 2 VFs on igbvf, vm1 running" setup
read -r VF0 VF1 </run/lab/nic-vfs 2>/dev/null
if [ -n "${VF0:-}" ]; then
  lab_scenario "emulator: VF BARs below 4 GiB, igbvf in L1 gets the PF's MAC" emulator
  lab_scenario "attach --interface --mac --vlan: the PF and the guest show them" attach_mac_vlan
  lab_scenario "detach: the VF back on igbvf, its MAC and VLAN reset on the PF" detach_resets
  lab_scenario "generated MACs: as documented, stable, named by detach" generated
  lab_scenario "pools by the PF's netdev name (--pf $IF, --pf $IF#1) hold its VFs" pool_by_netdev
fi
cp /run/libvirt/hostdevmgr/* "$LAB_OUT/" 2>/dev/null
lab_finish
