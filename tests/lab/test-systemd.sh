#!/bin/bash
# Lab test (LAB_SYSTEMD=1: the real systemd is PID 1 of L1, l1-systemd.sh): passd installed as
# README.md says and run by systemd in its sandbox (systemd/passd.service.in): socket
# activation, Type=notify, the state directory, libvirt's socket, uevents, the sysfs writes of
# a VF count change and of an attach/detach with a running guest, the socket's group, restarts;
# and `journalctl PASSD_DEVICE=ADDR` as a device's history (issue 8).
#   LAB_SYSTEMD=1 tests/lab/run tests/lab/test-systemd.sh [FUNC...]
. "$LAB_DIR/lib.sh"
check() { /usr/bin/python3 "$LAB_DIR/check.py" "$@"; }

if [ "${LAB_SYSTEMD:-0}" != 1 ] || [ "$(cat /proc/1/comm)" != systemd ]; then
  echo "# test-systemd.sh needs systemd as PID 1 of L1: LAB_SYSTEMD=1 tests/lab/run $0"
  exit 1
fi

MEMBER=4242    # in group passd: may connect and write
OUTSIDER=4243  # in no group: may not even connect (SocketMode=0660)
PASSD_GID=     # set by boot, from the sysusers.d file
as_member() { setpriv --reuid=$MEMBER --regid=$MEMBER --groups="$PASSD_GID" "$@"; }
as_outsider() { setpriv --reuid=$OUTSIDER --regid=$OUTSIDER --clear-groups "$@"; }
prop() { systemctl show passd.service -p "$1" --value; }
passd_pid() { prop MainPID; }
vf() { lab_vfs "$LAB_PF0" | head -n 1; }

# run LOG CMD...: run a command as a user would, keep its output and exit status for checks
run() {
  local log=$1
  shift
  echo "# \$ $*"
  "$@" >"/run/lab/$log.out" 2>"/run/lab/$log.err"
  echo $? >"/run/lab/$log.rc"
  sed 's/^/#   /' "/run/lab/$log.out" "/run/lab/$log.err"
  return "$(cat "/run/lab/$log.rc")"
}

# --- 1. the boot: what the install steps and systemd made, before anyone asked for passd
boot() {
  local st
  st=$(systemctl is-system-running)
  lab_note "system: $st; failed units: $(systemctl --failed --plain --no-legend | cut -d' ' -f1 | tr '\n' ' ')"
  systemctl --failed --plain --no-legend | grep -q '^passd' && lab_fail "a passd unit failed"
  getent group passd >/dev/null || lab_fail "no group passd (sysusers.d)"
  st=$(stat -c '%a %U %G' /var/lib/passd) || lab_fail "no /var/lib/passd"
  [ "$st" = "700 root root" ] || lab_fail "/var/lib/passd is $st"
  [ "$(systemctl is-active passd.socket)" = active ] || lab_fail "passd.socket is not active"
  [ "$(systemctl is-active passd.service)" = inactive ] ||
    lab_fail "passd.service is $(systemctl is-active passd.service) before any client"
  st=$(stat -c '%F %a %U %G' "$LAB_SOCKET") || lab_fail "no $LAB_SOCKET"
  [ "$st" = "socket 660 root passd" ] || lab_fail "$LAB_SOCKET: $st"
  lab_note "$LAB_SOCKET: $st; passd.service: inactive"
}

# --- 2. the first client starts passd; systemd sees it ready (sd_notify), in its sandbox
activation() {
  local pid st
  run list1 passctl list || lab_fail "the first passctl list failed"
  grep -q "$LAB_PF0" /run/lab/list1.out || lab_fail "passctl list does not show $LAB_PF0"
  st="$(prop Type) $(prop ActiveState) $(prop SubState) $(prop NRestarts)"
  lab_note "systemctl show passd -p Type,ActiveState,SubState,NRestarts: $st"
  [ "$st" = "notify active running 0" ] || lab_fail "passd.service: $st"
  lab_note "TriggeredBy: $(prop TriggeredBy); StatusText: $(prop StatusText)"
  [ "$(prop TriggeredBy)" = passd.socket ] || lab_fail "not triggered by passd.socket"
  # passd reaches libvirt's socket through the sandbox
  lab_wait 60 lab_passd_connected || lab_fail "passd is not connected to libvirt"
  lab_wait 20 sh -c 'systemctl show passd.service -p StatusText --value | grep -q .' ||
    lab_fail "no STATUS= from passd"
  pid=$(passd_pid)
  [ "$(readlink "/proc/$pid/exe")" = /usr/local/sbin/passd ] ||
    lab_fail "MainPID $pid is $(readlink "/proc/$pid/exe"), not the installed passd"
  # the sandbox is in force: root without capabilities, seccomp, no new privileges, its own
  # mount namespace with / read-only, the host's network namespace (uevents, routes)
  grep -E '^(Uid|CapEff|CapBnd|NoNewPrivs|Seccomp):' "/proc/$pid/status" | tr -s '\t' ' ' |
    sed 's/^/#   /' | tee /run/lab/status.txt
  grep -q '^#   Uid: 0 ' /run/lab/status.txt || lab_fail "passd is not root"
  grep -q '^#   CapEff: 0000000000000000$' /run/lab/status.txt || lab_fail "passd has capabilities"
  grep -q '^#   CapBnd: 0000000000000000$' /run/lab/status.txt || lab_fail "bounding set not empty"
  grep -q '^#   NoNewPrivs: 1$' /run/lab/status.txt || lab_fail "NoNewPrivs not set"
  grep -q '^#   Seccomp: 2$' /run/lab/status.txt || lab_fail "no seccomp filter"
  [ "$(readlink "/proc/$pid/ns/mnt")" != "$(readlink /proc/1/ns/mnt)" ] ||
    lab_fail "passd shares PID 1's mount namespace"
  [ "$(readlink "/proc/$pid/ns/net")" = "$(readlink /proc/1/ns/net)" ] ||
    lab_fail "passd is not in the host's network namespace"
  awk '$5 == "/" { print $6 }' "/proc/$pid/mountinfo" | grep -q '^ro' ||
    lab_fail "/ is writable for passd (ProtectSystem=strict)"
}

# --- 3. kernel uevents reach passd: its NETLINK_KOBJECT_UEVENT socket (protocol 15, group 1)
# in the host's namespace, and a driver unbound behind its back shows in passctl show
uevents() {
  local pid inodes nic=$LAB_NIC_FREE drv
  pid=$(passd_pid)
  inodes=$(find "/proc/$pid/fd" -lname 'socket:*' -printf '%l\n' | tr -dc '0-9\n' | tr '\n' ' ')
  awk -v list="$inodes" 'BEGIN { n = split(list, a, " "); for (i = 1; i <= n; i++) s[a[i]] = 1 }
    $2 == 15 && $4 == "00000001" && ($10 in s) { found = 1 } END { exit !found }' /proc/net/netlink ||
    lab_fail "passd has no uevent socket in the host's network namespace"
  drv=$(lab_drv "$nic")
  [ -n "$drv" ] || lab_fail "$nic has no driver to begin with"
  shown() { passctl show "$nic" --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["device"].get("driver") or "")'; }
  is_shown() { [ "$(shown)" = "$1" ]; }
  echo "$nic" >"/sys/bus/pci/drivers/$drv/unbind" || lab_fail "cannot unbind $nic"
  lab_wait 20 is_shown "" || lab_fail "passctl show $nic: driver '$(shown)' after the unbind"
  echo "$nic" >"/sys/bus/pci/drivers/$drv/bind" || lab_fail "cannot bind $nic again"
  lab_wait 20 is_shown "$drv" || lab_fail "passctl show $nic: driver '$(shown)' after the bind"
  lab_note "$nic unbound from $drv and bound again behind passd's back: passctl show followed"
}

# --- 4. a VF count change: sriov_numvfs written from inside the sandbox, the count kept in
# the state directory
sriov() {
  local n
  run sriov1 passctl sriov set "$LAB_PF0" 2 || lab_fail "passctl sriov set $LAB_PF0 2 failed"
  n=$(cat "/sys/bus/pci/devices/$LAB_PF0/sriov_numvfs")
  [ "$n" = 2 ] || lab_fail "sriov_numvfs is $n"
  check sriov "$LAB_PF0" --desired 2 --state settled --timeout 20 || exit 1
  grep -A1 "^\[$LAB_PF0\]" /var/lib/passd/sriov.conf | grep -qx "NumVFs=2" ||
    lab_fail "/var/lib/passd/sriov.conf lacks $LAB_PF0 = 2"
  udevadm settle
}

# --- 5. attach to running vm1 (driver_override, unbind, probe by passd; the hot-plug by
# libvirt), then a detach by a member of group passd: the VF back where it was
attach_detach() {
  local vf id gaddr before
  vf=$(vf)
  [ -n "$vf" ] || lab_fail "no VF on $LAB_PF0"
  id=$(lab_pci_id "$vf")
  before=$(lab_drv "$vf")
  lab_guest_wait_up vm1 300 || lab_fail "vm1 did not boot"
  run a1 passctl attach vm1 "$vf" || lab_fail "passctl attach failed"
  [ "$(lab_drv "$vf")" = vfio-pci ] || lab_fail "$vf is on '$(lab_drv "$vf")', not vfio-pci"
  gaddr=$(check held "$vf" vm1 --live true --config true) || lab_fail "not held by vm1"
  lab_guest_wait_addr vm1 "$gaddr" "$id" present 90 || lab_fail "vm1 does not see $id at $gaddr"
  # the intent journal lives in the state directory, root's alone
  ls -l /var/lib/passd | sed 's/^/#   /'
  [ "$(stat -c '%a %U' /var/lib/passd/journal)" = "600 root" ] ||
    lab_fail "/var/lib/passd/journal: $(stat -c '%a %U' /var/lib/passd/journal 2>&1)"
  run d1 as_member passctl detach vm1 "$vf" || lab_fail "passctl detach as uid $MEMBER failed"
  lab_guest_wait_addr vm1 "$gaddr" "$id" absent 90 || lab_fail "vm1 still sees $id"
  check gone "$vf" vm1 || lab_fail "$vf is not gone from vm1"
  lab_wait 20 sh -c "[ \"\$(basename \"\$(readlink /sys/bus/pci/devices/$vf/driver)\" 2>/dev/null)\" != vfio-pci ]" ||
    lab_fail "$vf still on vfio-pci"
  lab_note "$vf: driver before '${before}', after '$(lab_drv "$vf")'"
}

# --- 6. the socket's group: an outsider cannot connect (passctl's exit 4), a member can
permissions() {
  local vf rc drv
  vf=$(vf)
  drv=$(lab_drv "$vf")
  run p1 as_outsider passctl list
  rc=$?
  [ $rc = 4 ] || lab_fail "passctl list as uid $OUTSIDER exited $rc, not 4"
  grep -q 'Permission denied (not allowed to use its socket)' /run/lab/p1.err ||
    lab_fail "passctl did not say permission denied"
  run p2 as_outsider passctl attach vm1 "$vf"
  rc=$?
  [ $rc = 4 ] || lab_fail "passctl attach as uid $OUTSIDER exited $rc, not 4"
  [ "$(lab_drv "$vf")" = "$drv" ] || lab_fail "$vf moved"
  run p3 as_member passctl list >/dev/null || lab_fail "passctl list as member $MEMBER failed"
}

# --- 7. the journal: PASSD_DEVICE= finds the VF's history, each line with its operation,
# domain and caller; the PF's VF count change too
history() {
  local vf
  vf=$(vf)
  journalctl --no-pager -o short-monotonic "PASSD_DEVICE=$vf" | sed 's/^/#   /'
  journalctl --no-pager -o json "PASSD_DEVICE=$vf" >/run/lab/vf.json
  journalctl --no-pager -o json "PASSD_DEVICE=$LAB_PF0" >/run/lab/pf.json
  python3 - "$vf" "$MEMBER" <<'EOF' || lab_fail "the journal lacks the VF's history"
import json, sys
vf, member = sys.argv[1], sys.argv[2]
def entries(path):
    out = []
    for line in open(path):
        e = json.loads(line)
        # a field given more than once (PASSD_DEVICE of a group) comes as a list
        out.append({k: v if isinstance(v, list) else [v] for k, v in e.items()})
    return out
def has(es, **want):
    return [e for e in es if all(str(v) in e.get(k, []) for k, v in want.items())]
vfs, pfs = entries("/run/lab/vf.json"), entries("/run/lab/pf.json")
bad = []
for e in vfs + pfs:
    if e.get("_SYSTEMD_UNIT") != ["passd.service"]:
        bad.append("not from passd.service: %s" % e.get("MESSAGE"))
want = [(vfs, dict(PASSD_OPERATION="attach", PASSD_DOMAIN="vm1", PASSD_UID="0")),
        (vfs, dict(PASSD_OPERATION="detach", PASSD_DOMAIN="vm1", PASSD_UID=member)),
        (pfs, dict(PASSD_OPERATION="set_num_vfs", PASSD_UID="0"))]
for es, w in want:
    if not has(es, **w):
        bad.append("no entry with %s" % w)
for b in bad:
    print("# " + b)
print("# %d entries for %s, %d for the PF" % (len(vfs), vf, len(pfs)))
sys.exit(1 if bad else 0)
EOF
}

# --- 8. systemd-analyze security on the running unit: at most 5.0, as tests/systemd checks
# offline
security() {
  local report score
  report=$(systemd-analyze security --no-pager passd.service 2>&1)
  score=$(sed -n 's/.*Overall exposure level for passd.service: \([0-9.]*\).*/\1/p' <<<"$report")
  lab_note "systemd-analyze security passd.service (running): ${score:-?}"
  [ -n "$score" ] || lab_fail "no score: $report"
  awk -v s="$score" 'BEGIN { exit !(s <= 5.0) }' || {
    grep '✗' <<<"$report" | sed 's/^/#   /'
    lab_fail "exposure $score above 5.0"
  }
}

# --- 9. the host doctor through the sandboxed passd: a vfio module not loaded is still found
# in /lib/modules (a warning with the fix), as passctl check says outside the sandbox
doctor() {
  local verdict
  verdict() { # the status and evidence of check ID
    passctl check --json | python3 -c 'import json,sys
c = [c for c in json.load(sys.stdin)["checks"] if c["id"] == sys.argv[1]][0]
print(c["status"], c["evidence"])' "$1"
  }
  trap 'modprobe vfio-pci' EXIT
  if [ -e /sys/module/vfio_pci ]; then
    modprobe -r vfio-pci || lab_fail "cannot unload vfio-pci (in use?)"
  fi
  verdict=$(verdict module-vfio-pci)
  lab_note "passctl check, module-vfio-pci: $verdict"
  [[ $verdict == "warn not loaded"*"modules.dep lists it" ]] ||
    lab_fail "passd cannot see /lib/modules: '$verdict'"
  modprobe vfio-pci || lab_fail "modprobe vfio-pci failed"
  trap - EXIT
  verdict=$(verdict module-vfio-pci)
  [[ $verdict == "pass "* ]] || lab_fail "vfio-pci loaded again, but: '$verdict'"
}

# --- 10. a crash is restarted (Restart=on-failure); a stopped passd is started again by the
# next client
restarts() {
  local pid
  pid=$(passd_pid)
  systemctl kill -s KILL passd.service || lab_fail "systemctl kill failed"
  restarted() { [ "$(prop NRestarts)" = 1 ] && [ "$(prop ActiveState)" = active ]; }
  lab_wait 30 restarted || lab_fail "not restarted: $(systemctl show passd.service -p NRestarts,ActiveState | tr '\n' ' ')"
  [ "$(passd_pid)" != "$pid" ] || lab_fail "the same MainPID after SIGKILL"
  lab_wait 60 lab_passd_connected || lab_fail "the restarted passd is not connected"
  systemctl stop passd.service || lab_fail "systemctl stop failed"
  [ "$(prop ActiveState)" = inactive ] || lab_fail "passd.service is $(prop ActiveState) after stop"
  [ "$(systemctl is-active passd.socket)" = active ] || lab_fail "passd.socket went with it"
  run s1 passctl status || lab_fail "passctl status after the stop failed"
  [ "$(prop ActiveState)" = active ] || lab_fail "passctl status did not start passd again"
  lab_note "$(systemctl show passd.service -p NRestarts,ExecMainStatus,Result | tr '\n' ' ')"
}

PASSD_GID=$(getent group passd | cut -d: -f3)
# vm1 boots while the first scenarios run
lab_guest_define vm1 --start || lab_fail "cannot define/start vm1"
if [ $# -gt 0 ]; then
  for f in "$@"; do lab_scenario "$f" "$f"; done
else
  lab_scenario "boot: group, state directory, socket 0660 root:passd, passd not started" boot
  lab_scenario "socket activation, Type=notify, libvirt reached, the sandbox in force" activation
  lab_scenario "kernel uevents reach passd" uevents
  lab_scenario "passctl sriov set (sriov_numvfs, /var/lib/passd/sriov.conf)" sriov
  lab_scenario "attach to running vm1, detach by a member of group passd" attach_detach
  lab_scenario "an outsider cannot connect (exit 4), a member can" permissions
  lab_scenario "journalctl PASSD_DEVICE=: operation, domain, caller" history
  lab_scenario "systemd-analyze security passd.service: at most 5.0" security
  lab_scenario "passctl check finds an unloaded vfio module in /lib/modules" doctor
  lab_scenario "restart after SIGKILL, activation after stop" restarts
fi
lab_finish
