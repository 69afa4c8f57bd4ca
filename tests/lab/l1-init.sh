#!/bin/bash
# PID 1 of L1 (root: the host's / read-only over 9p under a tmpfs overlay; the run directory is
# /lab-out). Brings up udev, the lab's network address, libvirtd and passd, finds the lab's
# devices, runs the script (or a shell) with LAB_* variables naming them, then powers off.
# With LAB_SYSTEMD=1 it runs in two stages (l1-systemd.sh): as PID 1 it mounts, installs passd
# and execs systemd; systemd's lab.service then runs it again with --under-systemd for the rest.
# Never run this on a real machine: it is meant to be PID 1 of the lab VM only.
stage=pid1
if [ "${1:-}" = --under-systemd ]; then
  # only where stage 1 ran: the lab's kernel command line, systemd as PID 1, the run directory
  if ! grep -q ' lab_init=' /proc/cmdline || [ "$(cat /proc/1/comm)" != systemd ] ||
    [ ! -s /lab-out/lab.env ]; then
    echo "l1-init.sh: not under systemd in the lab VM; refusing to run" >&2
    exit 1
  fi
  stage=systemd
elif [ $$ != 1 ]; then
  echo "l1-init.sh: not PID 1 of the lab VM; refusing to run" >&2
  exit 1
fi
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin HOME=/root TERM=dumb
export LANG=C.UTF-8 LIBVIRT_DEFAULT_URI=qemu:///system LAB_OUT=/lab-out

if [ $stage = pid1 ]; then
  mount -t proc proc /proc
  mount -t sysfs sysfs /sys
  mount -t devtmpfs devtmpfs /dev
  mkdir -p /dev/pts /dev/shm
  ln -sf /proc/self/fd /dev/fd
  ln -sf /proc/self/fd/0 /dev/stdin
  ln -sf /proc/self/fd/1 /dev/stdout
  ln -sf /proc/self/fd/2 /dev/stderr
  mount -t devpts -o gid=5,mode=620,ptmxmode=666 devpts /dev/pts
  mount -t tmpfs tmpfs /dev/shm
  mount -t tmpfs -o mode=755 tmpfs /run
  mount -t cgroup2 cgroup2 /sys/fs/cgroup 2>/dev/null
  mkdir -p /lab-out /run/lab
  mount -t 9p -o trans=virtio,version=9p2000.L,msize=512000,cache=none labout /lab-out
  ln -sf /proc/self/mounts /etc/mtab
  echo 0123456789abcdef0123456789abcdef >/etc/machine-id
  hostname lab-l1
  ip link set lo up
fi

# shellcheck source=/dev/null
. /lab-out/lab.env
export LAB_DIR=$lab_dir LAB_REPO=$repo PASSD_BUILDDIR=$builddir LAB_L2_INITRD=$l2_initrd
export LAB_MTTY_KO=${mtty_ko:-} # the sample mdev driver, built by run; lib.sh: lab_mtty_load
# shellcheck source=tests/lab/lib.sh
. "$LAB_DIR/lib.sh"

lab_error() {
  echo "$*" >/lab-out/lab-error
  lab_log "setup failed: $*"
  poweroff_now
}
poweroff_now() {
  sync
  echo 1 >/proc/sys/kernel/sysrq
  echo o >/proc/sysrq-trigger
  # no external commands from here on: the 9p root may already be gone
  while :; do :; done
}
if [ $stage = pid1 ] && [ "${LAB_SYSTEMD:-0}" = 1 ]; then
  lab_log "userspace up; systemd next"
  # shellcheck source=tests/lab/l1-systemd.sh
  . "$LAB_DIR/l1-systemd.sh"
  lab_systemd_prepare || lab_error "installing passd for systemd failed: $(tail -n 5 /lab-out/install.log)"
  exec /lib/systemd/systemd --unit=lab.target --show-status=1
  lab_error "exec /lib/systemd/systemd failed"
fi
if [ $stage = systemd ]; then
  # shellcheck source=tests/lab/l1-systemd.sh
  . "$LAB_DIR/l1-systemd.sh"
  lab_log "userspace up under systemd"
else
  lab_log "userspace up"
fi

# udev loads the drivers and feeds libvirt's node-device driver (under systemd: its own units)
[ -x /lib/systemd/systemd-udevd ] || lab_error "no /lib/systemd/systemd-udevd (apt-get install udev)"
if [ $stage = pid1 ]; then
  /lib/systemd/systemd-udevd --daemon --resolve-names=never >/dev/null 2>&1
  udevadm trigger --type=subsystems --action=add
  udevadm trigger --type=devices --action=add
fi
udevadm settle --timeout=120
modprobe vfio-pci || lab_error "modprobe vfio-pci failed"
lab_log "udev settled"

# --- find the lab's devices from what the kernel shows (qemu's device ids are not visible)
by_mac() {
  local n
  for n in /sys/class/net/*; do
    [ "$(cat "$n/address")" = "$1" ] && basename "$(readlink -f "$n/device")"
  done
}
nvme_pf() { # serial, else NUMA node
  local d s
  for d in /sys/bus/pci/devices/*; do
    [ "$(cat "$d/class")" = 0x010802 ] && [ -e "$d/sriov_totalvfs" ] || continue
    s=$(cat "$d"/nvme/nvme*/serial 2>/dev/null | tr -d ' ')
    if [ "$s" = "labnvme$1" ] || { [ -z "$s" ] && [ "$(cat "$d/numa_node")" = "$1" ]; }; then
      basename "$d"
    fi
  done
}
{
  echo "LAB_PF0=$(nvme_pf 0)"
  echo "LAB_PF1=$(nvme_pf 1)"
  echo "LAB_NIC_FREE=$(by_mac 52:54:00:1a:b0:01)"
  echo "LAB_NIC_ROUTE=$(by_mac 52:54:00:1a:b0:02)"
  echo "LAB_MF0=$(by_mac 52:54:00:1a:b0:03)"
  echo "LAB_MF1=$(by_mac 52:54:00:1a:b0:04)"
  [ "${LAB_IGB:-0}" = 1 ] && echo "LAB_IGB_PF=$(by_mac 52:54:00:1a:b0:10)"
} >/run/lab/hw.env
while IFS='=' read -r k v; do
  [ -n "$v" ] || lab_error "device $k not found; lspci: $(lspci -D -n | tr '\n' ';')"
  export "$k=$v"
done </run/lab/hw.env
LAB_NIC_ROUTE_IF=$(ls "/sys/bus/pci/devices/$LAB_NIC_ROUTE/net")
export LAB_NIC_ROUTE_IF
echo "LAB_NIC_ROUTE_IF=$LAB_NIC_ROUTE_IF" >>/run/lab/hw.env
if [ -n "${LAB_IGB_PF:-}" ]; then
  LAB_IGB_IF=$(ls "/sys/bus/pci/devices/$LAB_IGB_PF/net")
  export LAB_IGB_IF
  echo "LAB_IGB_IF=$LAB_IGB_IF" >>/run/lab/hw.env
fi
cp /run/lab/hw.env /lab-out/hw.env

# The host-critical NIC: an address and the default route. restrict=on keeps qemu's user
# network from reaching anything, and without IPv6 the kernel sends nothing by itself.
sysctl -qw "net.ipv6.conf.$LAB_NIC_ROUTE_IF.disable_ipv6=1"
ip link set "$LAB_NIC_ROUTE_IF" up
ip addr add 10.0.2.15/24 dev "$LAB_NIC_ROUTE_IF"
ip route add default via 10.0.2.2 dev "$LAB_NIC_ROUTE_IF" ||
  ip route add default via 10.0.2.2 dev "$LAB_NIC_ROUTE_IF" onlink ||
  lab_error "cannot set the default route"

# A crash of passd, libvirtd (started next) or anything else leaves a core in the run
# directory; backtraces at the end.
echo '/lab-out/core.%e.%p' >/proc/sys/kernel/core_pattern
ulimit -c unlimited
# The whole kernel log, for what the console's loglevel=4 leaves out (a process's segfault,
# a WARN before a panic): dmesg.log in the run directory.
dmesg --follow >/lab-out/dmesg.log 2>&1 &

caps=/var/cache/libvirt/qemu/capabilities
if [ -d "$caps_cache" ]; then
  mkdir -p $caps && cp "$caps_cache"/*.xml $caps/
fi
lab_libvirtd_start || lab_error "libvirtd did not start: $(tail -n 5 /lab-out/libvirtd.log 2>/dev/null)"
lab_log "libvirtd up"
if [ ! -d "$caps_cache" ] && ls $caps/*.xml >/dev/null 2>&1; then
  mkdir -p /lab-out/libvirt-caps && cp $caps/*.xml /lab-out/libvirt-caps/ # the host caches it
fi

export LAB_PASSD_READY=0
if [ $stage = pid1 ]; then
  mkdir -p /usr/local/bin
  ln -sf "$PASSD_BUILDDIR/daemon/passd" /usr/local/bin/passd
  ln -sf "$PASSD_BUILDDIR/client/passctl" /usr/local/bin/passctl
fi
# under systemd passd.socket starts passd when the script first connects
if [ $stage = pid1 ] && [ "${LAB_NO_PASSD:-0}" != 1 ]; then
  lab_passd_start
  if lab_passd_wait_ready 60; then
    LAB_PASSD_READY=1
    lab_log "passd ready"
  else
    lab_log "WARNING: passd not ready after 60 s (see passd.log); running the script anyway"
  fi
fi

cd /lab-out || lab_error "no /lab-out"
if [ "$mode" = shell ]; then
  export TERM=$host_term PS1='lab-l1 \w# '
  [ -n "${host_rows:-}" ] && stty -F /dev/ttyS0 rows "$host_rows" cols "$host_cols"
  cat >/dev/ttyS0 <<EOF

L1 is ready: passd, passctl, virsh (qemu:///system) and python3 are on PATH.
Devices: $(tr '\n' ' ' </run/lab/hw.env)
Logs: /lab-out here is $run on the host.
Guest helpers: . \$LAB_DIR/lib.sh; lab_guests_standard. Leave with "exit" (powers off).
EOF
  setsid -c bash --norc --noprofile -i <>/dev/ttyS0 >&0 2>&0
  rc=$?
else
  lab_log "running $script"
  # A heartbeat for tests/lab/run: it stops when L1 stops (its timers, or every exec when its
  # root, this machine's / over 9p, stalls), which no hang of passd's or the script's does.
  (while /bin/true; do
    echo "$(</proc/uptime)" >/lab-out/l1-alive
    sleep 15
  done) &
  heartbeat=$!
  # A hung script leaves evidence: shortly before the host kills L1 (LAB_TIMEOUT counts from
  # qemu's start, the boot took about a minute), dump every thread of passd and libvirtd.
  watchdog=
  if [ -n "${LAB_TIMEOUT:-}" ] && [ "$LAB_TIMEOUT" -gt 180 ] && command -v gdb >/dev/null; then
    (
      sleep $((LAB_TIMEOUT - 120))
      for p in passd libvirtd; do
        pid=$(pidof "$p") || continue
        gdb -batch -ex 'thread apply all bt' -p "$pid" >"/lab-out/hang.$p.bt.txt" 2>&1
      done
      lab_log "watchdog: the script still runs; thread dumps in hang.passd.bt.txt, hang.libvirtd.bt.txt"
    ) &
    watchdog=$!
  fi
  if [ -x "$script" ]; then
    "$script" "${args[@]}" </dev/null 2>&1 | tee /lab-out/output.log >/dev/console
  else
    bash "$script" "${args[@]}" </dev/null 2>&1 | tee /lab-out/output.log >/dev/console
  fi
  rc=${PIPESTATUS[0]}
  [ -n "$watchdog" ] && kill "$watchdog" 2>/dev/null
  kill "$heartbeat" 2>/dev/null
fi
lab_log "script exited rc=$rc"

# keep the guests' qemu logs, stop passd to see it exit cleanly
mkdir -p /lab-out/qemu-logs
cp /var/log/libvirt/qemu/*.log /lab-out/qemu-logs/ 2>/dev/null
if [ $stage = systemd ]; then
  lab_systemd_finish
else
  lab_passd_stop
fi
for core in /lab-out/core.*; do
  [ -f "$core" ] && command -v gdb >/dev/null || continue
  exe=$(gdb -batch -c "$core" 2>/dev/null | sed -n "s/^Core was generated by \`\([^ ']*\).*/\1/p")
  exe=$(command -v "$exe" || echo "$exe")
  gdb -batch -ex 'thread apply all bt' "$exe" "$core" >"$core.bt.txt" 2>&1
  lab_log "core dump $core (backtrace in $core.bt.txt)"
done
echo "$rc" >/lab-out/rc
poweroff_now
