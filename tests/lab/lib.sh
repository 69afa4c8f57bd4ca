# shellcheck shell=bash
# Helpers for scripts running inside L1 (tests/lab/run SCRIPT). Source it: . "$LAB_DIR/lib.sh"
# Needs bash. Variables set by the harness: LAB_DIR, LAB_OUT (/lab-out, the run directory),
# LAB_PF0 LAB_PF1 (SR-IOV NVMe PFs, NUMA node 0 and 1), LAB_NIC_FREE, LAB_NIC_ROUTE (+ _IF: it
# has L1's address and default route), LAB_MF0 LAB_MF1 (two functions, one IOMMU group),
# LAB_L2_INITRD, LAB_PASSD_READY, PASSD_BUILDDIR, LIBVIRT_DEFAULT_URI=qemu:///system; with
# LAB_IGB=1 also LAB_IGB_PF (the igb NIC's PF, SR-IOV) and LAB_IGB_IF (its netdev).

LAB_SOCKET=/run/passd/io.passd.Manager
LAB_OUT=${LAB_OUT:-/lab-out}

lab_log() { # to the console, with L1's uptime
  echo "LAB: $* at $(cut -d' ' -f1 /proc/uptime)s" >/dev/console
}
lab_note() { echo "# $*"; }

# --- TAP-ish scenarios: lab_scenario NAME FUNCTION [ARGS...] runs FUNCTION in a subshell (so
# `exit` or lab_fail ends only that scenario) and prints "ok N - NAME" or "not ok N - NAME";
# lab_finish prints the plan and returns non-zero if any scenario failed.
LAB_TAP_N=0
LAB_TAP_FAILED=0
lab_scenario() {
  local name=$1 t0 rc
  shift
  LAB_TAP_N=$((LAB_TAP_N + 1))
  echo "# --- $LAB_TAP_N: $name"
  t0=$(date +%s.%N)
  ("$@")
  rc=$?
  local dt
  dt=$(printf '%.1f' "$(echo "$(date +%s.%N) - $t0" | bc)")
  if [ $rc = 0 ]; then
    echo "ok $LAB_TAP_N - $name (${dt}s)"
  else
    echo "not ok $LAB_TAP_N - $name (${dt}s)"
    LAB_TAP_FAILED=$((LAB_TAP_FAILED + 1))
  fi
}
lab_finish() {
  echo "1..$LAB_TAP_N"
  [ $LAB_TAP_FAILED = 0 ] && return 0
  echo "# $LAB_TAP_FAILED of $LAB_TAP_N failed"
  return 1
}
lab_fail() {
  echo "# FAIL: $*"
  exit 1
}
# lab_wait SECONDS COMMAND...: poll COMMAND every 0.2 s until it succeeds
lab_wait() {
  local end
  end=$(($(date +%s%N) + $1 * 1000000000))
  shift
  while ! "$@"; do
    [ "$(date +%s%N)" -lt $end ] || return 1
    sleep 0.2
  done
}

# --- sysfs of L1 (never of the host: this runs inside the lab VM only)
lab_drv() { # ADDR -> driver name, empty when unbound
  local l
  l=$(readlink "/sys/bus/pci/devices/$1/driver") && basename "$l"
}
lab_vfs() { # PF -> its VFs' addresses, one a line
  local v
  for v in "/sys/bus/pci/devices/$1"/virtfn*; do
    [ -e "$v" ] && basename "$(readlink "$v")"
  done | sort
}
lab_numvfs() { # PF N
  local f=/sys/bus/pci/devices/$1/sriov_numvfs
  [ "$(cat "$f")" = 0 ] || [ "$2" = 0 ] || echo 0 >"$f" || return 1
  echo "$2" >"$f"
}

# --- libvirtd (Debian 12's monolithic daemon)
lab_mtty_load() { # the sample mdev parent "mtty" (types mtty-1, mtty-2); built by run from linux-source
  [ -s "$LAB_MTTY_KO" ] || { echo "no mtty.ko (tools/setup installs linux-source-6.1 and the headers)" >&2; return 1; }
  modprobe mdev && { lsmod | grep -q '^mtty ' || insmod "$LAB_MTTY_KO"; }
}
lab_libvirtd_config() { # users, directories, configuration (l1-systemd.sh: then its unit starts it)
  # the package's postinst never ran on this root: create the users libvirt expects
  grep -q '^libvirt-qemu:' /etc/group || echo 'libvirt-qemu:x:64055:' >>/etc/group
  grep -q '^libvirt:' /etc/group || echo 'libvirt:x:64056:' >>/etc/group
  grep -q '^libvirt-qemu:' /etc/passwd ||
    echo 'libvirt-qemu:x:64055:64055:Libvirt Qemu:/var/lib/libvirt:/usr/sbin/nologin' >>/etc/passwd
  mkdir -p /etc/libvirt /var/lib/libvirt/qemu /var/log/libvirt/qemu /var/cache/libvirt /run/libvirt
  # root, no security driver, no cgroups: L1 is throwaway (and has no machined even when
  # systemd is its PID 1)
  cat >/etc/libvirt/qemu.conf <<'EOF'
user = "root"
group = "root"
security_driver = "none"
cgroup_controllers = [ ]
stdio_handler = "file"
EOF
  cat >/etc/libvirt/libvirtd.conf <<EOF
unix_sock_group = "root"
log_outputs = "3:file:$LAB_OUT/libvirtd.log"
EOF
}
lab_libvirtd_start() {
  lab_libvirtd_config
  if [ "${LAB_SYSTEMD:-0}" = 1 ]; then # l1-systemd.sh's units
    systemctl start virtlogd.service libvirtd.service || return 1
  else
    pidof virtlogd >/dev/null || virtlogd -d
    libvirtd -d || return 1
  fi
  local i
  for i in $(seq 1 240); do
    [ -S /run/libvirt/libvirt-sock ] && virsh -c qemu:///system version >/dev/null 2>&1 && return 0
    pidof libvirtd >/dev/null || return 1
    sleep 0.25
  done
  return 1
}
lab_libvirtd_stop() {
  local p i
  p=$(pidof libvirtd) || return 0
  if [ "${LAB_SYSTEMD:-0}" = 1 ]; then
    systemctl stop libvirtd.service
    return
  fi
  kill $p
  for i in $(seq 1 60); do
    pidof libvirtd >/dev/null || return 0
    sleep 0.25
  done
  kill -9 $p
}

# --- passd (the build's binary, on its default socket, logging to passd.log in the run dir)
lab_passd_start() {
  echo "=== passd started at $(cut -d' ' -f1 /proc/uptime)s" >>"$LAB_OUT/passd.log"
  passd --verbose >>"$LAB_OUT/passd.log" 2>&1 &
  echo $! >/run/lab/passd.pid
}
lab_passd_running() {
  [ -s /run/lab/passd.pid ] && kill -0 "$(cat /run/lab/passd.pid)" 2>/dev/null
}
lab_passd_connected() { # passctl status says connected to libvirt
  passctl status --json 2>/dev/null |
    python3 -c 'import json,sys; sys.exit(0 if json.load(sys.stdin).get("connected") is True else 1)' \
      2>/dev/null
}
lab_passd_wait_ready() { # [TIMEOUT]: socket exists and passd is connected to libvirt
  local end=$(($(date +%s) + ${1:-60}))
  while [ "$(date +%s)" -lt $end ]; do
    lab_passd_running || return 1
    [ -S $LAB_SOCKET ] && lab_passd_connected && return 0
    sleep 0.2
  done
  return 1
}
# --- fault injection: a passd built with -Dfault_injection=true aborts at a named step
# (PASSD_FAULT="attach:begin"); the tests then start it again and check what recovery did.
lab_passd_has_faults() {
  passd --version | grep -q "fault injection" ||
    lab_fail "passd was built without fault injection (meson configure -Dfault_injection=true)"
}
lab_passd_fault_start() { # POINT (empty: none): passd armed to abort there; no core files
  ulimit -c 0
  PASSD_FAULT=$1 lab_passd_start
  lab_passd_wait_ready 60 || lab_fail "passd did not come up (fault '$1')"
}
lab_passd_expect_abort() { # POINT: passd must be gone by itself, aborted at POINT
  local p
  p=$(cat /run/lab/passd.pid)
  lab_wait 30 lab_gone "$p" || lab_fail "passd did not abort at '$1'"
  grep -q "fault injection: aborting at $1" "$LAB_OUT/passd.log" ||
    lab_fail "passd died, but not at '$1'"
  rm -f /run/lab/passd.pid
  echo "=== passd aborted at $1" >>"$LAB_OUT/passd.log"
}
lab_gone() { ! kill -0 "$1" 2>/dev/null; }
lab_passd_settled() { # recovery has run and no operation is open
  passctl status --json 2>/dev/null | python3 -c '
import json, sys
s = json.load(sys.stdin)
sys.exit(0 if not s["recovering"] and s["open_operations"] == 0 else 1)'
}
lab_passd_wait_settled() { # SECONDS: else fail, with what passd says it is still doing
  lab_wait "$1" lab_passd_settled && return 0
  passctl status 2>&1 | sed 's/^/# /'
  lab_fail "passd is still recovering after $1 s"
}
lab_passd_stop() { # SIGTERM, then report how it exited (in passd.log)
  local p i st rc=unknown
  [ -s /run/lab/passd.pid ] || return 0
  p=$(cat /run/lab/passd.pid)
  rm -f /run/lab/passd.pid
  kill -0 "$p" 2>/dev/null || {
    echo "=== passd had already exited" >>"$LAB_OUT/passd.log"
    return 0
  }
  kill -TERM "$p"
  for i in $(seq 1 50); do
    kill -0 "$p" 2>/dev/null || break
    sleep 0.2
  done
  if kill -0 "$p" 2>/dev/null; then
    kill -9 "$p"
    rc="killed (did not exit within 10 s of SIGTERM)"
  else
    wait "$p" 2>/dev/null
    st=$?
    [ $st = 127 ] || rc=$st # 127: not our child, its status is unknown
  fi
  echo "=== passd stopped: exit status $rc" >>"$LAB_OUT/passd.log"
}

# --- L2 guests: q35, 256 MiB, 4 spare pcie-root-ports, the tiny initrd, serial log in the run dir
lab_guest_log() { echo "$LAB_OUT/l2-$1.log"; }
# USB (issue 10): LAB_L2_USB=1 (lab_guest_define --usb) gives the guest a qemu-xhci controller
# for USB hot-plug, on a root port of its own (the 4 spare ones stay spare); else none.
lab_guest_usb_controller() {
  if [ "${LAB_L2_USB:-0}" = 1 ]; then
    echo "    <controller type='pci' model='pcie-root-port'/>"
    echo "    <controller type='usb' model='qemu-xhci'/>"
  else
    echo "    <controller type='usb' model='none'/>"
  fi
}
# LAB_L2_NATIVE_HOTPLUG=1 (lab_guest_define --native-hotplug): the root ports use PCIe native
# hotplug (the attention button, and the guest's 5 s countdown before it lets go) instead of
# q35's default ACPI hotplug, which ejects at once. libvirt 9 has no element for it.
lab_guest_native_hotplug() {
  [ "${LAB_L2_NATIVE_HOTPLUG:-0}" = 1 ] || return 0
  echo "  <qemu:commandline>"
  echo "    <qemu:arg value='-global'/>"
  echo "    <qemu:arg value='ICH9-LPC.acpi-pci-hotplug-with-bridge-support=off'/>"
  echo "  </qemu:commandline>"
}
lab_guest_xml() { # NAME [HOSTDEV-ADDR...]
  local name=$1 type=qemu a d b s f
  shift
  [ -e /dev/kvm ] && type=kvm
  type=${LAB_L2_TYPE:-$type}
  cat <<EOF
<domain type='$type' xmlns:qemu='http://libvirt.org/schemas/domain/qemu/1.0'>
  <name>$name</name>
  <memory unit='MiB'>256</memory>
  <vcpu>1</vcpu>
  <os>
    <type arch='x86_64' machine='q35'>hvm</type>
    <kernel>/boot/vmlinuz-$(uname -r)</kernel>
    <initrd>$LAB_L2_INITRD</initrd>
    <cmdline>console=ttyS0 panic=-1 loglevel=3 mitigations=off tsc=reliable no_timer_check</cmdline>
  </os>
  <features><acpi/><apic/></features>
  <cpu mode='custom'><model>qemu64</model></cpu>
  <on_crash>destroy</on_crash>
  <devices>
    <controller type='pci' model='pcie-root'/>
    <controller type='pci' model='pcie-root-port'/>
    <controller type='pci' model='pcie-root-port'/>
    <controller type='pci' model='pcie-root-port'/>
    <controller type='pci' model='pcie-root-port'/>
$(lab_guest_usb_controller)
    <serial type='file'><source path='$(lab_guest_log "$name")' append='on'/></serial>
    <memballoon model='none'/>
EOF
  for a in "$@"; do
    IFS=':.' read -r d b s f <<<"$a"
    cat <<EOF
    <hostdev mode='subsystem' type='pci' managed='yes'>
      <source><address domain='0x$d' bus='0x$b' slot='0x$s' function='0x$f'/></source>
    </hostdev>
EOF
  done
  echo "  </devices>"
  lab_guest_native_hotplug
  echo "</domain>"
}
lab_guest_define() { # NAME [--start] [--usb] [--native-hotplug] [--hostdev ADDR]...
  local name=$1 start=0 hostdevs=() usb=0 native=0
  shift
  while [ $# -gt 0 ]; do
    case $1 in
    --start) start=1 ;;
    --usb) usb=1 ;;
    --native-hotplug) native=1 ;;
    --hostdev)
      hostdevs+=("$2")
      shift
      ;;
    *)
      echo "lab_guest_define: unknown option $1" >&2
      return 2
      ;;
    esac
    shift
  done
  LAB_L2_USB=$usb LAB_L2_NATIVE_HOTPLUG=$native lab_guest_xml "$name" "${hostdevs[@]}" \
    >"/run/lab/$name.xml"
  virsh -q define "/run/lab/$name.xml" >/dev/null || return 1
  [ $start = 0 ] || lab_guest_start "$name"
}
lab_guest_start() { # NAME; remembers where this boot's serial output begins
  local log
  log=$(lab_guest_log "$1")
  cat "$log" 2>/dev/null | wc -l >"/run/lab/$1.mark"
  virsh -q start "$1" >/dev/null
}
lab_guest_reset() { # NAME; virsh reset, and this boot's serial output begins here
  local log
  log=$(lab_guest_log "$1")
  cat "$log" 2>/dev/null | wc -l >"/run/lab/$1.mark"
  virsh -q reset "$1" >/dev/null
}
lab_guest_lines() { # NAME: serial lines of the current boot
  local log mark
  log=$(lab_guest_log "$1")
  mark=$(cat "/run/lab/$1.mark" 2>/dev/null || echo 0)
  tail -n +$((mark + 1)) "$log" 2>/dev/null | tr -d '\r'
}
lab_guest_alive() { lab_guest_lines "$1" | grep '^L2: alive .* end$'; } # complete lines only
lab_guest_is_up() { lab_guest_alive "$1" | grep -q .; }
lab_guest_wait_up() { # NAME [TIMEOUT=180]
  lab_wait "${2:-180}" lab_guest_is_up "$1" && return 0
  echo "# guest $1 not up after ${2:-180}s; its serial log ends with:" >&2
  lab_guest_lines "$1" | tail -n 5 | sed 's/^/#   /' >&2
  return 1
}
lab_guest_pci() { # NAME: the PCI devices the guest kernel saw in its latest alive line, "ADDR ID"
  lab_guest_alive "$1" | tail -n 1 | sed 's/.* pci=//' | tr ' ' '\n' |
    sed -n 's/^\([0-9a-f:.]*\)=\([0-9a-f]*:[0-9a-f]*\)$/\1 \2/p'
}
lab_guest_wait_line() { # NAME NEEDLE present|absent TIMEOUT WHAT LISTER: a fresh alive line with
  # (present) or without (absent) NEEDLE; on a timeout WHAT and what LISTER NAME prints go to stderr
  local name=$1 needle=$2 want=$3 timeout=$4 what=$5 lister=$6 n0 end line
  n0=$(lab_guest_alive "$name" | wc -l)
  end=$(($(date +%s) + timeout))
  while [ "$(date +%s)" -lt $end ]; do
    line=$(lab_guest_alive "$name" | tail -n +$((n0 + 1)) | tail -n 1)
    line=${line/ pci=/ pci= } # every PCI entry after a space, the first too (lab_guest_wait_addr)
    if [ -n "$line" ]; then
      if [[ $line == *"$needle"* ]]; then
        [ "$want" = present ] && return 0
      else
        [ "$want" = absent ] && return 0
      fi
    fi
    sleep 0.5
  done
  lab_guest_wait_failed "$name" "$n0" "$what not $want within ${timeout}s" "$lister"
}
lab_guest_wait_failed() { # NAME N0 WHAT LISTER: why a wait for a fresh alive line failed (stderr)
  # A guest that printed no line since N0 is silent (stalled or dead), not seeing the wrong thing:
  # say which, with the end of its serial log, so a CI log alone tells the two apart.
  local fresh
  fresh=$(($(lab_guest_alive "$1" | wc -l) - $2))
  if [ "$fresh" -gt 0 ]; then
    echo "# guest $1: $3; $fresh fresh alive lines, the latest sees: $($4 "$1" | tr '\n' ' ')" >&2
  else
    echo "# guest $1: $3, and it printed no alive line meanwhile (every 2 s when running:" \
      "stalled or dead; domstate $(virsh domstate "$1" 2>&1)); its serial log ends with:" >&2
    lab_guest_lines "$1" | tail -n 5 | cut -c 1-300 | sed 's/^/#   /' >&2
  fi
  return 1
}
lab_guest_wait_pci() { # NAME VENDOR:DEVICE present|absent [TIMEOUT=60], judged on fresh lines
  lab_guest_wait_line "$1" "=$2 " "$3" "${4:-60}" "$2" lab_guest_pci
}
lab_guest_macs() { # NAME: "IFACE MAC" of each NIC the guest kernel saw in its latest alive line
  lab_guest_alive "$1" | tail -n 1 | tr ' ' '\n' | sed -n 's/^mac=\([^@]*\)@\(.*\)$/\1 \2/p'
}
lab_guest_wait_mac() { # NAME MAC present|absent [TIMEOUT=60], judged on fresh lines
  lab_guest_wait_line "$1" "@$2 " "$3" "${4:-60}" "MAC $2" lab_guest_macs
}
lab_guest_usb() { # NAME: "VVVV:PPPP PORT" of each USB device the guest saw in its latest alive line
  lab_guest_alive "$1" | tail -n 1 | tr ' ' '\n' | sed -n 's/^usb=\([0-9a-f]*:[0-9a-f]*\)@\(.*\)$/\1 \2/p'
}
lab_guest_wait_usb() { # NAME VVVV:PPPP present|absent [TIMEOUT=60], judged on fresh lines
  lab_guest_wait_line "$1" " usb=$2@" "$3" "${4:-60}" "USB $2" lab_guest_usb
}
lab_guests_standard() { # vm1 and vm2 running, vm3 defined and shut off
  lab_guest_define vm1 --start && lab_guest_define vm2 --start && lab_guest_define vm3 &&
    lab_guest_wait_up vm1 && lab_guest_wait_up vm2
}

# --- passthrough (issue 4): what a guest sees at one guest address, PCI ids, stopping guests
lab_pci_id() { # ADDR -> VVVV:DDDD from L1's sysfs
  echo "$(cut -c3- "/sys/bus/pci/devices/$1/vendor"):$(cut -c3- "/sys/bus/pci/devices/$1/device")"
}
lab_guest_wait_addr() { # NAME GUEST-ADDR VVVV:DDDD present|absent [TIMEOUT=60], on fresh lines
  # Like lab_guest_wait_pci, but for one guest address: tells apart two devices of one kind.
  lab_guest_wait_line "$1" " $2=$3 " "$4" "${5:-60}" "$2=$3" lab_guest_pci
}
lab_guest_stop() { # NAME: destroy if running (no error when it is not)
  [ "$(virsh domstate "$1" 2>/dev/null)" = "shut off" ] || virsh -q destroy "$1" >/dev/null 2>&1
  [ "$(virsh domstate "$1" 2>/dev/null)" = "shut off" ]
}
