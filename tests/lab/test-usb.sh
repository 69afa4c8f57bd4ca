#!/bin/bash
# Lab test: USB host devices (issue 10) against libvirt's real QEMU driver
# (LAB_USB=1 tests/lab/run tests/lab/test-usb.sh [FUNC...]). L1 then has a qemu-xhci controller
# with two identical usb-storage sticks (46f4:0001), a keyboard (0627:0001) and an FTDI serial
# adapter (0403:6001); vmu runs with a qemu-xhci controller of its own, vmoff is defined and
# shut off.
# Each scenario checks passd's view (passctl --json), virsh dumpxml (live and --inactive), the
# guest kernel's USB devices (its serial log) and exact varlink error names, and gives back what
# it took.
. "$LAB_DIR/lib.sh"
check() { /usr/bin/python3 "$LAB_DIR/check.py" "$@"; }

SERIAL=0403:6001
KBD=0627:0001 # QEMU's usb-kbd; L1's AT keyboard (i8042) makes it not the host's only one
STICK=46f4:0001

usb_port_of() { # VVVV:PPPP -> the sysfs names of L1's devices with those ids, one a line
  local u
  for u in /sys/bus/usb/devices/*; do
    case ${u##*/} in usb* | *:*) continue ;; esac
    [ "$(cat "$u/idVendor"):$(cat "$u/idProduct")" = "$1" ] && echo "${u##*/}"
  done | sort
}
u_run() { # LOG CMD...: run as a user would; keep output and status
  local log=$1
  shift
  echo "# \$ $*"
  "$@" >"/run/lab/$log.out" 2>"/run/lab/$log.err"
  echo $? >"/run/lab/$log.rc"
  sed 's/^/#   /' "/run/lab/$log.out" "/run/lab/$log.err"
  return "$(cat "/run/lab/$log.rc")"
}
err_has() { grep -q -- "$2" "/run/lab/$1.err" || lab_fail "passctl did not say '$2'"; }
dev_get() { # ADDR PYTHON-EXPR over the Device d: its value, printed (JSON for lists)
  passctl show "$1" --json 2>/dev/null | python3 -c '
import json, sys
d = json.load(sys.stdin)["device"]
v = eval(sys.argv[1])
print(json.dumps(v) if isinstance(v, (list, dict)) else v)' "$2"
}
owners_are() { # ADDR OWNERS-JSON (e.g. '["vmu"]'), within 10 s (the domain event is async)
  lab_wait 10 owners_now "$1" "$2" || lab_fail "$1: owners $(dev_get "$1" 'd["owners"]'), want $2"
}
owners_now() { [ "$(dev_get "$1" 'd["owners"]')" = "$2" ]; }
xml_usb_count() { # DOMAIN [--inactive] VVVV:PPPP: <hostdev type='usb'> entries with those ids
  local v=${3%%:*} p=${3##*:}
  virsh dumpxml "$1" $2 | python3 -c '
import sys, xml.etree.ElementTree as ET
v, p = sys.argv[1], sys.argv[2]
n = 0
for h in ET.parse(sys.stdin).findall("./devices/hostdev[@type=\"usb\"]"):
    s = h.find("source")
    if s.find("vendor").get("id") == "0x" + v and s.find("product").get("id") == "0x" + p:
        n += 1
print(n)' "$v" "$p"
}

setup() {
  for u in /sys/bus/usb/devices/*; do # lsusb, without usbutils
    [ -e "$u/idVendor" ] && echo "# ${u##*/} $(cat "$u/idVendor"):$(cat "$u/idProduct") bus $(cat "$u/busnum") device $(cat "$u/devnum")"
  done
  passctl list --kind usb | sed 's/^/# /'
  [ "$(usb_port_of $STICK | wc -l)" = 2 ] || lab_fail "L1 lacks its two USB sticks (run with LAB_USB=1)"
  lab_guest_define vmu --usb --start && lab_guest_define vmoff --usb ||
    lab_fail "cannot define/start the guests"
  lab_guest_wait_up vmu || lab_fail "vmu did not come up"
}

# 1. The inventory against L1's sysfs: every USB device but the root hubs, with its numbers,
# ids, speed, class, interface drivers and host controller; usb:VVVV:PPPP while it is unique.
inventory() {
  passctl list --kind usb --json >/run/lab/usb.json || lab_fail "list --kind usb"
  python3 - /run/lab/usb.json <<'PY' || lab_fail "passd's USB inventory disagrees with sysfs"
import json, os, sys
devs = {d["address"]: d for d in json.load(open(sys.argv[1]))["devices"]}
base = "/sys/bus/usb/devices"
want = sorted("usb:" + n for n in os.listdir(base) if ":" not in n and not n.startswith("usb"))
bad = []
if sorted(devs) != want:
    bad.append("addresses %s, sysfs has %s" % (sorted(devs), want))
for addr in want:
    d, n = devs.get(addr), addr[4:]
    if d is None:
        continue
    rd = lambda f: open(os.path.join(base, n, f)).read().strip()
    drivers = sorted({os.path.basename(os.readlink(os.path.join(base, i, "driver")))
                      for i in os.listdir(base) if i.startswith(n + ":")
                      and os.path.exists(os.path.join(base, i, "driver"))})
    ctrl = os.path.realpath(os.path.join(base, n)).split("/usb")[0].rsplit("/", 1)[1]
    expect = {"kind": "usb", "vendor_id": "0x" + rd("idVendor"), "product_id": "0x" + rd("idProduct"),
              "usb": {"port": n, "bus": int(rd("busnum")), "device": int(rd("devnum")),
                      "class": "0x" + rd("bDeviceClass"), "speed": rd("speed"),
                      "drivers": drivers, "controller": ctrl}}
    for k, v in expect.items():
        if d.get(k) != v:
            bad.append("%s: %s is %r, sysfs says %r" % (addr, k, d.get(k), v))
for b in bad:
    print("# " + b)
sys.exit(1 if bad else 0)
PY
  # the keyboard and the serial adapter by their ids; root hubs are no devices
  [ "$(dev_get "usb:$SERIAL" 'd["address"]')" = "usb:$(usb_port_of $SERIAL)" ] ||
    lab_fail "usb:$SERIAL does not resolve to usb:$(usb_port_of $SERIAL)"
  ! u_run bad passctl show usb:1-0 || lab_fail "usb:1-0 (port 0) was accepted"
  err_has bad "usb:1-0"
  ! passctl list --kind usb | grep -q "1d6b" || lab_fail "a root hub is listed"
}

# 2. The usb:VVVV:PPPP form names no device when two match: the error lists both.
ambiguous() {
  local a b
  a=$(usb_port_of $STICK | sed -n 1p) b=$(usb_port_of $STICK | sed -n 2p)
  ! u_run amb passctl show "usb:$STICK" || lab_fail "show usb:$STICK succeeded"
  err_has amb "usb:$a, usb:$b"
  check varlink GetDevice "{\"address\":\"usb:$STICK\"}" --error NoSuchDevice ||
    lab_fail "GetDevice usb:$STICK"
  check varlink Attach "{\"domain\":\"vmoff\",\"address\":\"usb:$STICK\"}" --error NoSuchDevice ||
    lab_fail "Attach usb:$STICK"
  [ "$(xml_usb_count vmoff --inactive $STICK)" = 0 ] || lab_fail "vmoff got a stick"
  # by port: libvirt is given bus and device too, which tell the two apart
  trap "passctl detach vmoff usb:$b >/dev/null 2>&1" EXIT
  u_run ambport passctl attach vmoff "usb:$b" || lab_fail "attach usb:$b"
  virsh dumpxml --inactive vmoff | grep -q "<address bus='$(cat /sys/bus/usb/devices/$b/busnum)' device='$(cat /sys/bus/usb/devices/$b/devnum)'/>" ||
    lab_fail "vmoff's stick has no bus/device address"
  owners_are "usb:$b" '["vmoff"]'
  owners_are "usb:$a" '[]'
  u_run ambdet passctl detach vmoff "usb:$b" || lab_fail "detach usb:$b"
  [ "$(xml_usb_count vmoff --inactive $STICK)" = 0 ] || lab_fail "the stick stayed in vmoff"
  owners_are "usb:$b" '[]'
  trap - EXIT
}

# 3. Hot-plug into the running vmu by vendor:product: the guest kernel sees the device, passd
# the owner; detach waits for DEVICE_REMOVED and the guest no longer sees it.
hotplug() {
  local port
  port=$(usb_port_of $SERIAL)
  trap "passctl detach vmu usb:$port >/dev/null 2>&1" EXIT
  u_run hp passctl attach vmu "usb:$SERIAL" || lab_fail "attach"
  grep -q "usb:$port" /run/lab/hp.out || lab_fail "attach did not name usb:$port"
  [ "$(xml_usb_count vmu "" $SERIAL)" = 1 ] || lab_fail "not in vmu's live XML"
  [ "$(xml_usb_count vmu --inactive $SERIAL)" = 1 ] || lab_fail "not in vmu's persistent XML"
  owners_are "usb:$port" '["vmu"]'
  passctl vm vmu | grep -q "usb:$port" || lab_fail "passctl vm vmu does not show it"
  lab_guest_wait_usb vmu $SERIAL present 60 || lab_fail "the guest does not see $SERIAL"
  u_run hpd passctl detach vmu "usb:$port" || lab_fail "detach"
  grep -q "DEVICE_REMOVED\|removed\|detached" /run/lab/hpd.out /run/lab/hpd.err ||
    lab_note "(detach printed no removal word)"
  [ "$(xml_usb_count vmu "" $SERIAL)" = 0 ] || lab_fail "still in vmu's live XML"
  [ "$(xml_usb_count vmu --inactive $SERIAL)" = 0 ] || lab_fail "still in vmu's persistent XML"
  owners_are "usb:$port" '[]'
  lab_guest_wait_usb vmu $SERIAL absent 60 || lab_fail "the guest still sees $SERIAL"
  grep -q "DEVICE_REMOVED\|device removed\|hostdev.*removed" "$LAB_OUT/passd.log" ||
    lab_note "(passd.log does not name DEVICE_REMOVED)"
  trap - EXIT
}

# 4. Config only, to the shut-off vmoff; double assignment refused while it holds it.
config_only() {
  local port
  port=$(usb_port_of $KBD)
  trap "passctl detach vmoff usb:$port >/dev/null 2>&1" EXIT
  u_run co passctl attach vmoff "usb:$port" || lab_fail "attach to vmoff"
  [ "$(xml_usb_count vmoff --inactive $KBD)" = 1 ] || lab_fail "not in vmoff's XML"
  virsh dumpxml --inactive vmoff | grep -q "<address bus=" &&
    lab_fail "a unique device was written with bus/device (it would break at re-plug)"
  owners_are "usb:$port" '["vmoff"]'
  # double assignment, live or config: DeviceInUse naming the owner
  ! u_run dbl passctl attach vmu "usb:$port" || lab_fail "vmu got vmoff's keyboard"
  err_has dbl vmoff
  check varlink Attach "{\"domain\":\"vmu\",\"address\":\"usb:$port\"}" --error DeviceInUse ||
    lab_fail "Attach to vmu: not DeviceInUse"
  [ "$(xml_usb_count vmu "" $KBD)" = 0 ] || lab_fail "the keyboard is in vmu"
  check varlink Detach "{\"domain\":\"vmu\",\"address\":\"usb:$port\"}" --error DeviceNotAssigned ||
    lab_fail "Detach from vmu: not DeviceNotAssigned"
  u_run cod passctl detach vmoff "usb:$port" || lab_fail "detach from vmoff"
  [ "$(xml_usb_count vmoff --inactive $KBD)" = 0 ] || lab_fail "still in vmoff"
  owners_are "usb:$port" '[]'
  trap - EXIT
}

# usb:PORT (ids VVVV:PPPP) is refused for vmoff with DeviceProtected and WHY said; --force
# takes it (into vmoff's definition), and it is detached again.
protected_forced() { # PORT VVVV:PPPP WHY
  local port=$1 ids=$2
  ! u_run prot passctl attach vmoff "usb:$port" || lab_fail "protected usb:$port was attached"
  err_has prot "$3"
  check varlink Attach "{\"domain\":\"vmoff\",\"address\":\"usb:$port\"}" --error DeviceProtected ||
    lab_fail "not DeviceProtected"
  [ "$(xml_usb_count vmoff --inactive "$ids")" = 0 ] || lab_fail "vmoff got usb:$port"
  u_run force passctl attach vmoff "usb:$port" --force || lab_fail "--force"
  [ "$(xml_usb_count vmoff --inactive "$ids")" = 1 ] || lab_fail "--force did not attach"
  u_run forced passctl detach vmoff "usb:$port" || lab_fail "detach"
}

# 5. A stick holding a mounted file system is refused (DeviceProtected, with the mount point);
# --force takes it anyway.
protected() {
  local port blk
  port=$(usb_port_of $STICK | sed -n 1p)
  blk=$(basename "$(ls -d /sys/bus/usb/devices/$port/$port:*/host*/target*/*/block/* | head -1)")
  [ -b "/dev/$blk" ] || lab_fail "no block device under usb:$port"
  mkfs.ext4 -q -F "/dev/$blk" >/dev/null 2>&1 || lab_fail "mkfs /dev/$blk"
  mkdir -p /run/lab/stick && mount "/dev/$blk" /run/lab/stick || lab_fail "mount /dev/$blk"
  trap "passctl detach vmoff usb:$port >/dev/null 2>&1; umount /run/lab/stick" EXIT
  protected_forced "$port" $STICK "/run/lab/stick"
  umount /run/lab/stick
  trap - EXIT
}

# 6. Unplug and re-plug in L1: the root hub of the keyboard's bus de-authorized (the kernel
# disconnects every device on it) and authorized again (the hub driver finds them connected and
# enumerates them anew, with new device numbers): passd drops the keyboard and lists it again at
# the same address, and monitor reports both as they happen.
replug() {
  local port bus ctl devnum mon
  port=$(usb_port_of $KBD)
  bus=${port%%-*}
  ctl="/sys/bus/usb/devices/usb$bus/authorized"
  devnum=$(cat "/sys/bus/usb/devices/$port/devnum")
  passctl monitor --json >/run/lab/mon.json 2>&1 &
  mon=$!
  trap "kill $mon 2>/dev/null; echo 1 >$ctl" EXIT
  sleep 1
  echo 0 >"$ctl" || lab_fail "cannot de-authorize usb$bus"
  lab_wait 20 eval '! passctl show usb:'"$port"' >/dev/null 2>&1' ||
    lab_fail "usb:$port is still in passd's inventory after the unplug"
  echo 1 >"$ctl" || lab_fail "cannot authorize usb$bus"
  lab_wait 30 eval 'passctl show usb:'"$port"' --json 2>/dev/null | grep -q usbhid' ||
    lab_fail "usb:$port did not come back (with usbhid) after the re-plug"
  [ "$(cat "/sys/bus/usb/devices/$port/devnum")" != "$devnum" ] ||
    lab_note "(the same device number again)"
  [ "$(dev_get "usb:$port" 'd["usb"]["device"]')" = "$(cat "/sys/bus/usb/devices/$port/devnum")" ] ||
    lab_fail "passd has the old device number"
  sleep 1
  kill $mon
  trap - EXIT
  grep -q "\"removed\".*\"usb:$port\"\|\"usb:$port\".*\"removed\"" /run/lab/mon.json ||
    lab_fail "monitor did not report the removal: $(tr '\n' ' ' </run/lab/mon.json | cut -c1-400)"
  grep -q "\"added\".*\"usb:$port\"\|\"usb:$port\".*\"added\"" /run/lab/mon.json ||
    lab_fail "monitor did not report the re-plug"
}

# 7. The host's only keyboard is refused (DeviceProtected, naming its input device) unless
# --force. While L1's AT keyboard (i8042's serio0, atkbd) is there the USB one may go (4.); with
# atkbd unbound from serio0 the USB keyboard is the only one left.
only_keyboard() {
  local port atkbd=/sys/bus/serio/drivers/atkbd
  port=$(usb_port_of $KBD)
  [ -e $atkbd/serio0 ] || lab_fail "L1's AT keyboard is not on serio0 (atkbd)"
  trap "echo -n serio0 >$atkbd/bind 2>/dev/null; passctl detach vmoff usb:$port >/dev/null 2>&1" EXIT
  echo -n serio0 >$atkbd/unbind || lab_fail "cannot unbind atkbd from serio0"
  protected_forced "$port" $KBD "usb:$port is the host's only keyboard (input"
  echo -n serio0 >$atkbd/bind || lab_fail "cannot bind atkbd to serio0 again"
  trap - EXIT
}

if [ $# -gt 0 ]; then
  setup
  for f in "$@"; do lab_scenario "$f" "$f"; done
  lab_finish
  exit
fi
setup
lab_scenario "inventory: every USB device, as sysfs has it" inventory
lab_scenario "usb:VVVV:PPPP names no device when two match" ambiguous
lab_scenario "hot-plug into a running guest and unplug" hotplug
lab_scenario "config only to a shut-off guest; double assignment" config_only
lab_scenario "a mounted stick is protected; --force" protected
lab_scenario "unplug and re-plug in L1: inventory and monitor follow" replug
lab_scenario "the host's only keyboard is protected; --force" only_keyboard
lab_finish
