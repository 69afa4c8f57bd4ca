#!/usr/bin/python3
"""Checks of passd's view against L1's kernel, for lab scripts (runs inside L1 only).

  check.py inventory [--timeout S]        passctl list --json == lspci -D + sysfs, field by field
  check.py status CONNECTED [--timeout S] passctl status --json says connected true|false
  check.py owners ADDR [DOMAIN...] [--timeout S]   the device's owners are exactly DOMAIN...
  check.py vf-cycle PF N [--limit S]      create N VFs with sriov_numvfs, then remove them: each
                                          step must show in passctl list and passctl monitor
                                          within S seconds (default 1); a new VF shown from
                                          sysfs first must then be replaced by libvirt's reading
  check.py hostdev DOMAIN ADDR [--live present|absent] [--inactive present|absent] [--timeout S]
                                          virsh dumpxml (live / --inactive) names ADDR as a
                                          <hostdev> source, or does not
  check.py held ADDR DOMAIN [--live true|false] [--config true|false] [--timeout S]
                                          all of passd's and libvirt's views at once: the live
                                          XML (when running) and the inactive XML, passctl vm,
                                          owners exactly [DOMAIN]; prints the guest address
  check.py gone ADDR DOMAIN... [--timeout S]   in no XML and no passctl vm of DOMAIN..., no owners
  check.py whole ADDR DOMAIN... [--timeout S]  fully assigned (live and config of one running
                                          domain, owner, vfio-pci, held by passd) or fully free
                                          (no XML, no owner, not vfio-pci); prints which
  check.py doctor                         what virt-host-validate flags about device
                                          assignment, passctl check flags too; with an IOMMU
                                          on, the doctor says so
  check.py varlink METHOD JSON --error NAME   a raw varlink call to passd fails with exactly
                                          io.passd.Manager.NAME (exact error names, not sentences)
  check.py sriov-set PF N [--with=OPTION]... [--limit S]   passctl sriov set PF N: when it
                                          returns, sysfs has N VFs and passctl list has exactly
                                          them (no waiting), and passctl monitor reported every
                                          VF that came or went, at most S s (default 1) after the
                                          reply
  check.py sriov PF [--desired N] [--state S] [--autoprobe 0|1] [--timeout S]
                                          passctl sriov show --json PF against sysfs: numvfs,
                                          totalvfs, autoprobe and the VFs by index; and what it
                                          says passd keeps

Prints what differs ("# " lines) and exits 1 when the check fails. Retries until --timeout
because passd follows the kernel through libvirt's events, asynchronously.
"""

import argparse
import json
import os
import queue
import re
import socket
import subprocess
import sys
import threading
import time
import xml.etree.ElementTree as ET

SYS = "/sys/bus/pci/devices"
PCI_ADDR = re.compile(r"^[0-9a-f]{4}:[0-9a-f]{2}:[0-9a-f]{2}\.[0-7]$")


def note(msg):
    print("# " + msg, flush=True)


def passctl(*args):
    res = subprocess.run(["passctl", *args], capture_output=True, text=True, timeout=30)
    if res.returncode != 0:
        raise RuntimeError("passctl %s: exit %d: %s" % (" ".join(args), res.returncode,
                                                        res.stderr.strip()))
    return json.loads(res.stdout)


def passd_devices():
    # PCI functions only: what lspci and sysfs's PCI tree are compared with (test-usb.sh and
    # test-mdev.sh check the other kinds)
    reply = passctl("list", "--kind", "pci", "--json")
    devices = reply["devices"] if isinstance(reply, dict) else reply
    return {d["address"]: d for d in devices}


def link_name(path):
    try:
        return os.path.basename(os.readlink(path))
    except OSError:
        return None


def read(path):
    with open(path) as f:
        return f.read().strip()


def kernel_device(addr):
    """One device as the IDL's Device type, from L1's sysfs."""
    d = os.path.join(SYS, addr)
    group = link_name(d + "/iommu_group")
    members = []
    if group is not None:
        members = sorted(os.listdir("/sys/kernel/iommu_groups/%s/devices" % group))
    parent = os.path.basename(os.path.dirname(os.path.realpath(d)))
    numa = int(read(d + "/numa_node"))
    total = read(d + "/sriov_totalvfs") if os.path.exists(d + "/sriov_totalvfs") else None
    vfs = sorted(link_name(os.path.join(d, v)) for v in os.listdir(d) if v.startswith("virtfn"))
    return {
        "address": addr,
        "name": "pci_" + re.sub(r"[:.]", "_", addr),
        "vendor_id": "0x%04x" % int(read(d + "/vendor"), 16),
        "product_id": "0x%04x" % int(read(d + "/device"), 16),
        "class": "0x%06x" % int(read(d + "/class"), 16),
        "driver": link_name(d + "/driver"),
        "iommu_group": int(group) if group is not None else None,
        "iommu_group_members": members,
        "numa_node": numa if numa >= 0 else None,
        "parent": parent if PCI_ADDR.match(parent) else None,
        "physfn": link_name(d + "/physfn"),
        "vfs": vfs,
        "totalvfs": int(total) if total is not None else None,
    }


def lspci_addresses():
    out = subprocess.run(["lspci", "-D", "-n"], capture_output=True, text=True, check=True)
    return sorted(line.split()[0] for line in out.stdout.splitlines() if line.strip())


def inventory_diff():
    addrs = lspci_addresses()
    problems = []
    try:
        have = passd_devices()
    except Exception as e:  # noqa: BLE001 - report any failure of passctl as a difference
        return ["cannot list devices: %s" % e], 0
    for addr in addrs:
        try:
            want = kernel_device(addr)
        except OSError:
            continue  # vanished while reading
        got = have.get(addr)
        if got is None:
            problems.append("%s: missing from passctl list" % addr)
            continue
        for field, value in want.items():
            if got.get(field, "<absent>") != value:
                problems.append("%s %s: passd says %s, the kernel %s" %
                                (addr, field, json.dumps(got.get(field, "<absent>")),
                                 json.dumps(value)))
    for addr in sorted(set(have) - set(addrs)):
        problems.append("%s: in passctl list but not in lspci -D" % addr)
    return problems, len(addrs)


def retry(timeout, attempt):
    """Call attempt() until it returns no problems or timeout passes; returns the last ones."""
    end = time.monotonic() + timeout
    while True:
        problems = attempt()
        if not problems or time.monotonic() >= end:
            return problems
        time.sleep(0.3)


def retry_report(timeout, check):
    """retry() over check() -> (problems, value); notes the last problems and exits 1 with them,
    else prints the value (when there is one) and exits 0."""
    value = [None]

    def attempt():
        try:
            problems, value[0] = check()
        except Exception as e:  # noqa: BLE001
            return [str(e)]
        return problems

    problems = retry(timeout, attempt)
    for p in problems:
        note(p)
    if problems:
        return 1
    if value[0]:
        print(value[0])
    return 0


def cmd_inventory(args):
    count = [0]

    def attempt():
        problems, count[0] = inventory_diff()
        return problems

    problems = retry(args.timeout, attempt)
    for p in problems:
        note(p)
    if not problems:
        note("%d devices match the kernel" % count[0])
    return 1 if problems else 0


def cmd_status(args):
    want = args.connected == "true"
    seen = [None]

    def attempt():
        try:
            seen[0] = passctl("status", "--json")
        except Exception as e:  # noqa: BLE001
            seen[0] = str(e)
            return ["status failed"]
        return [] if isinstance(seen[0], dict) and seen[0].get("connected") is want else ["no"]

    if retry(args.timeout, attempt):
        note("passctl status: want connected=%s, got %s" % (args.connected, seen[0]))
        return 1
    return 0


def cmd_owners(args):
    want = sorted(args.domains)
    seen = [None]

    def attempt():
        try:
            seen[0] = passd_devices().get(args.address, {}).get("owners")
        except Exception as e:  # noqa: BLE001
            seen[0] = str(e)
        return [] if seen[0] == want else ["differs"]

    if retry(args.timeout, attempt):
        note("%s owners: want %s, passd says %s" % (args.address, want, seen[0]))
        return 1
    note("%s owners %s" % (args.address, want))
    return 0


class Monitor:
    """passctl monitor --json in the background; each event with the time it was read."""

    def __init__(self):
        self.proc = subprocess.Popen(["passctl", "monitor", "--json"], stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE, text=True, bufsize=1)
        self.events = queue.Queue()
        self.seen = []
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self):
        for line in self.proc.stdout:
            try:
                obj = json.loads(line)
            except ValueError:
                continue
            self.events.put((time.monotonic(), obj.get("event", obj)))
        self.events.put((time.monotonic(), None))

    def wait(self, pred, deadline):
        """First event matching pred that arrived before deadline (monotonic), else None.
        Events that arrived in time count even when this is called late."""
        while True:
            left = deadline - time.monotonic()
            try:
                t, ev = self.events.get(timeout=left) if left > 0 else self.events.get_nowait()
            except queue.Empty:
                return None, None
            if ev is None or t > deadline:
                return None, None
            self.seen.append(ev)
            if pred(ev):
                return t, ev

    # passd stamps each event with its own clock. Under CI's load L1's scheduler can hold passctl
    # monitor and this script back for seconds, so a limit on passd's latency is checked on the
    # stamp; the arrival only bounds how long to wait.
    ARRIVAL_GRACE = 10

    def wait_stamped(self, pred, wall_deadline):
        """First event matching pred that arrived by ARRIVAL_GRACE seconds past wall_deadline
        (time.time()), with passd's stamp of it in seconds since the epoch; else (None, None).
        self.arrived is when it arrived (monotonic)."""
        left = wall_deadline - time.time() + self.ARRIVAL_GRACE
        self.arrived, ev = self.wait(pred, time.monotonic() + left)
        if ev is None:
            return None, None
        return ev["timestamp"] / 1e6, ev

    def stop(self):
        self.proc.terminate()
        try:
            self.proc.wait(5)
        except subprocess.TimeoutExpired:
            self.proc.kill()


def set_numvfs(pf, n):
    with open(os.path.join(SYS, pf, "sriov_numvfs"), "w") as f:
        f.write(str(n))


def vf_step(mon, pf, n, limit):
    """Set numvfs to n; the VFs that appear (or vanish) must show in list and monitor in time."""
    before = kernel_device(pf)["vfs"]
    t0, t0_wall = time.monotonic(), time.time()
    set_numvfs(pf, n)
    t_kernel, t_kernel_wall = time.monotonic(), time.time()
    after = kernel_device(pf)["vfs"]
    kind = "added" if n > 0 else "removed"
    changed = sorted(set(after) ^ set(before))
    note("sriov_numvfs=%d on %s took %.2fs in the kernel; %s: %s" %
         (n, pf, t_kernel - t0, kind, " ".join(changed)))
    if not changed:
        return ["no VFs changed in the kernel"]
    problems = []
    deadline = t_kernel + limit

    # the list: every VF present (with physfn) or gone, and the PF's vfs up to date
    def listed():
        devs = passd_devices()
        ok = all((a in devs and devs[a].get("physfn") == pf) if n else a not in devs
                 for a in changed)
        return ok and devs.get(pf, {}).get("vfs") == after

    # A list call that starts within the limit must show it (passctl's own start-up under
    # TCG is not passd's latency).
    t_list = None
    while True:
        start = time.monotonic()
        if start > deadline:
            break
        try:
            if listed():
                t_list = start
                break
        except Exception as e:  # noqa: BLE001
            note("list failed: %s" % e)
        time.sleep(0.05)
    if t_list is None:
        problems.append("passctl list did not show the %s VFs within %.1fs" % (kind, limit))
    else:
        note("passctl list called %.2fs after the kernel shows it (took %.2fs)" %
             (t_list - t_kernel, time.monotonic() - t_list))

    # the monitor: one event per VF, stamped by passd within the limit
    pending = set(changed)
    worst, arrived = 0.0, 0.0
    events = {}
    late = []
    while pending:
        stamp, ev = mon.wait_stamped(lambda e: e.get("type") == kind and
                                     e.get("address") in pending, t_kernel_wall + limit)
        if ev is None:
            break
        pending.discard(ev["address"])
        events[ev["address"]] = ev.get("device") or {}
        worst = max(worst, stamp - t0_wall)
        arrived = max(arrived, mon.arrived - t_kernel)
        if stamp > t_kernel_wall + limit:
            late.append("%s (%.2fs)" % (ev["address"], stamp - t_kernel_wall))
        if kind == "added" and (ev.get("device") or {}).get("physfn") != pf:
            problems.append("added event for %s has physfn %s" %
                            (ev["address"], (ev.get("device") or {}).get("physfn")))
    if pending:
        problems.append("passctl monitor: no %s event for %s (waited %.1fs past the limit)" %
                        (kind, " ".join(sorted(pending)), Monitor.ARRIVAL_GRACE))
    if late:
        problems.append("passd's %s events came more than %.1fs after the kernel: %s" %
                        (kind, limit, " ".join(late)))
    if not pending:
        note("passd stamped every VF's %s event by %.2fs after the write began; the last reached "
             "passctl monitor %.2fs after the kernel" % (kind, worst, arrived))
    if kind == "added":
        problems += vf_replaced(mon, changed, events)
    return problems


# What sysfs says of a PCI function that libvirt reports the same way (the driver may change
# meanwhile: a host driver probes the new VF).
SYSFS_FIELDS = ("vendor_id", "product_id", "class", "iommu_group", "numa_node", "parent",
                "physfn", "totalvfs")


def vf_replaced(mon, vfs, events, timeout=30):
    """A VF shown before libvirt lists it (provisional, read from sysfs) must have sysfs's facts,
    and libvirt's reading must replace it ("changed", no longer provisional) with the same."""
    problems = []
    early = sorted(a for a, d in events.items() if d.get("provisional"))
    note("%d of %d VFs were shown from sysfs before libvirt listed them" % (len(early), len(vfs)))
    for a in vfs:
        k = kernel_device(a)
        for f in SYSFS_FIELDS:
            if a in events and events[a].get(f) != k[f]:
                problems.append("%s: the added event has %s %r, sysfs %r" % (a, f, events[a].get(f), k[f]))
    end = time.monotonic() + timeout
    # (an earlier wait may have passed over the replacement already: it is in mon.seen)
    left = set(early) - {e.get("address") for e in mon.seen if e.get("type") == "changed" and
                         not (e.get("device") or {}).get("provisional")}
    while left:
        t, ev = mon.wait(lambda e: e.get("type") == "changed" and e.get("address") in left and
                         not (e.get("device") or {}).get("provisional"), end)
        if ev is None:
            break
        left.discard(ev["address"])
    if left:
        problems.append("libvirt's reading did not replace %s within %ds" % (" ".join(sorted(left)), timeout))
    devs = passd_devices()
    for a in vfs:
        d, k = devs.get(a, {}), kernel_device(a)
        if d.get("provisional"):
            problems.append("%s is still as sysfs showed it: %s" % (a, json.dumps(d)[:300]))
        for f in SYSFS_FIELDS:
            if d.get(f) != k[f]:
                problems.append("%s: passd has %s %r, sysfs %r" % (a, f, d.get(f), k[f]))
    return problems


def cmd_vf_cycle(args):
    if kernel_device(args.pf)["vfs"]:
        set_numvfs(args.pf, 0)
    mon = Monitor()
    try:
        t, ev = mon.wait(lambda e: e.get("type") == "subscribed", time.monotonic() + 15)
        if ev is None:
            note("passctl monitor --json: no subscribed event (stderr: %s)" %
                 (mon.proc.stderr.read() if mon.proc.poll() is not None else "still running"))
            return 1
        problems = vf_step(mon, args.pf, args.count, args.limit)
        problems += vf_step(mon, args.pf, 0, args.limit)
    finally:
        mon.stop()
    for p in problems:
        note(p)
    if problems:
        note("events seen: %s" % json.dumps(mon.seen)[:2000])
    return 1 if problems else 0


# --- passthrough (issue 4): the domain's XML, passd's GetDomain, exact varlink error names

def hostdev_sources(domain, inactive):
    """Host PCI addresses of the domain's <hostdev> (and <interface type='hostdev'>) sources."""
    cmd = ["virsh", "dumpxml", domain] + (["--inactive"] if inactive else [])
    res = subprocess.run(cmd, capture_output=True, text=True, timeout=30)
    if res.returncode != 0:
        raise RuntimeError("virsh dumpxml %s: %s" % (domain, res.stderr.strip()))
    found = set()
    for dev in ET.fromstring(res.stdout).find("devices"):
        if dev.tag not in ("hostdev", "interface"):
            continue
        a = dev.find("source/address")
        if a is None or dev.get("type") not in ("pci", "hostdev"):
            continue
        found.add("%04x:%02x:%02x.%x" % tuple(int(a.get(k, "0"), 16)
                                              for k in ("domain", "bus", "slot", "function")))
    return found


def cmd_hostdev(args):
    want = {k: v for k, v in (("live", args.live), ("inactive", args.inactive)) if v}
    seen = {}

    def attempt():
        problems = []
        for which, state in want.items():
            try:
                have = args.address in hostdev_sources(args.domain, which == "inactive")
            except Exception as e:  # noqa: BLE001
                problems.append(str(e))
                continue
            seen[which] = "present" if have else "absent"
            if seen[which] != state:
                problems.append("%s XML of %s: %s is %s, want %s" %
                                (which, args.domain, args.address, seen[which], state))
        return problems

    problems = retry(args.timeout, attempt)
    for p in problems:
        note(p)
    return 1 if problems else 0


def domain_running(domain):
    res = subprocess.run(["virsh", "domstate", domain], capture_output=True, text=True, timeout=30)
    return res.stdout.strip() in ("running", "paused")


def device_owners(address):
    return passctl("show", address, "--json")["device"].get("owners")


def held_problems(args):
    """Everything that disagrees with "ADDR is assigned to DOMAIN so"; the guest address."""
    problems = []
    live = args.live != "false"
    config = args.config != "false"
    xml = {"inactive": config}
    if domain_running(args.domain):
        xml["live"] = live
    for which, want in xml.items():
        have = args.address in hostdev_sources(args.domain, which == "inactive")
        if have != want:
            problems.append("%s XML of %s: %s is %s" % (which, args.domain, args.address,
                                                       "present" if have else "absent"))
    reply = passctl("vm", args.domain, "--json")
    match = [a for a in reply.get("devices", []) if a.get("address") == args.address]
    guest = None
    if not match:
        problems.append("passctl vm %s does not list %s" % (args.domain, args.address))
    else:
        guest = match[0].get("guest_address")
        for field, want in (("live", args.live), ("config", args.config)):
            if want is not None and match[0].get(field) is not (want == "true"):
                problems.append("passctl vm %s: %s %s is %s, want %s" %
                                (args.domain, args.address, field, match[0].get(field), want))
        if args.live == "true" and not guest:
            problems.append("passctl vm %s: %s has no guest_address" % (args.domain, args.address))
    owners = device_owners(args.address)
    if owners != [args.domain]:
        problems.append("%s owners: %s, want [%s]" % (args.address, owners, args.domain))
    return problems, guest


def cmd_held(args):
    return retry_report(args.timeout, lambda: held_problems(args))


def cmd_gone(args):
    def attempt():
        problems = []
        try:
            for d in args.domains:
                for inactive in (False, True):
                    if args.address in hostdev_sources(d, inactive):
                        problems.append("%s still in the %s XML of %s" %
                                        (args.address, "inactive" if inactive else "live", d))
                reply = passctl("vm", d, "--json")
                if any(a.get("address") == args.address for a in reply.get("devices", [])):
                    problems.append("passctl vm %s still lists %s" % (d, args.address))
            owners = device_owners(args.address)
            if owners:
                problems.append("%s still owned by %s" % (args.address, owners))
        except Exception as e:  # noqa: BLE001
            problems.append(str(e))
        return problems

    problems = retry(args.timeout, attempt)
    for p in problems:
        note(p)
    return 1 if problems else 0


def whole_problems(address, domains):
    """Is ADDR whole: fully assigned (live and config of one running domain, passd's owner,
    on vfio-pci) or fully free (in no domain's XML, no owner, not on vfio-pci)? Returns the
    problems and "assigned"/"free"."""
    where = {}
    for d in domains:
        live = address in hostdev_sources(d, False) if domain_running(d) else None
        config = address in hostdev_sources(d, True)
        if live or config:
            where[d] = (live, config)
    driver = kernel_device(address).get("driver")
    owners = device_owners(address) or []
    status = passctl("status", "--json")
    held = [h["address"] for h in status.get("held", [])]
    problems = []
    if status.get("recovering") or status.get("open_operations"):
        problems.append("passd: recovering %s, %s open operations" %
                        (status.get("recovering"), status.get("open_operations")))
    if not where:
        state = "free"
        if driver == "vfio-pci":
            problems.append("%s is on vfio-pci without an owner (a leak)" % address)
        if owners:
            problems.append("%s: passd says owned by %s, but no domain's XML has it" %
                            (address, owners))
        if address in held:
            problems.append("%s: passd still holds it for its original driver" % address)
        return problems, state
    state = "assigned"
    if len(where) > 1:
        problems.append("%s in several domains: %s" % (address, sorted(where)))
    for d, (live, config) in where.items():
        if live is not None and live != config:
            problems.append("%s half-assigned to %s: live %s, config %s" %
                            (address, d, live, config))
    if driver != "vfio-pci":
        problems.append("%s is assigned but on %s, not vfio-pci" % (address, driver))
    if sorted(owners) != sorted(where):
        problems.append("%s: passd owners %s, the XML says %s" % (address, owners, sorted(where)))
    if address not in held:
        problems.append("%s: passd does not hold it (its original driver is lost)" % address)
    return problems, state


def cmd_whole(args):
    return retry_report(args.timeout, lambda: whole_problems(args.address, args.domains))


def cmd_doctor(args):
    sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..",
                                    "integration"))
    import vhv  # noqa: E402 (shared with tests/integration/test_doctor.py)

    found = vhv.verdicts()
    res = subprocess.run(["passctl", "check", "--json"], capture_output=True, text=True,
                         timeout=60)
    status = {c["id"]: c["status"] for c in json.loads(res.stdout)["checks"]}
    for line, verdict, _ in found:
        note("virt-host-validate: %s" % line)
    note("doctor: %s" % ", ".join("%s=%s" % kv for kv in sorted(status.items())))
    problems = vhv.disagreements(found, status)
    if not found:
        problems.append("virt-host-validate said nothing about device assignment")
    if os.listdir("/sys/kernel/iommu_groups") and status.get("iommu-enabled") != "pass":
        problems.append("L1 has IOMMU groups, but the doctor's iommu-enabled is %s" %
                        status.get("iommu-enabled"))
    for p in problems:
        note(p)
    return 1 if problems else 0


def varlink_call(method, parameters):
    """One call on passd's socket, without passctl: (error name or None, parameters)."""
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(120)
    try:
        s.connect("/run/passd/io.passd.Manager")
        s.sendall(json.dumps({"method": method, "parameters": parameters}).encode() + b"\0")
        buf = b""
        while not buf.endswith(b"\0"):
            chunk = s.recv(65536)
            if not chunk:
                raise RuntimeError("passd closed the connection")
            buf += chunk
    finally:
        s.close()
    reply = json.loads(buf[:-1])
    return reply.get("error"), reply.get("parameters", {})


def cmd_varlink(args):
    method = args.method if "." in args.method else "io.passd.Manager." + args.method
    error, params = varlink_call(method, json.loads(args.parameters))
    want = "io.passd.Manager." + args.error
    note("%s -> %s %s" % (method, error or "reply", json.dumps(params)[:600]))
    return 0 if error == want else 1


# --- SR-IOV (issue 9): SetNumVFs and GetSriov against L1's sysfs

def sysfs_vfs(pf):
    """The PF's VFs by index (virtfnN)."""
    d = os.path.join(SYS, pf)
    vfs = {int(v[6:]): link_name(os.path.join(d, v)) for v in os.listdir(d)
           if v.startswith("virtfn")}
    return [vfs[i] for i in sorted(vfs)]


def cmd_sriov_set(args):
    before = sysfs_vfs(args.pf)
    mon = Monitor()
    try:
        t, ev = mon.wait(lambda e: e.get("type") == "subscribed", time.monotonic() + 15)
        if ev is None:
            note("passctl monitor --json: no subscribed event")
            return 1
        t0 = time.monotonic()
        res = subprocess.run(["passctl", "sriov", "set", args.pf, str(args.count), *args.options],
                             capture_output=True, text=True, timeout=60)
        t_reply, t_reply_wall = time.monotonic(), time.time()
        for line in (res.stdout + res.stderr).splitlines():
            note("  " + line)
        if res.returncode != 0:
            note("passctl sriov set exited %d" % res.returncode)
            return 1
        problems = []
        after = sysfs_vfs(args.pf)
        numvfs = int(read(os.path.join(SYS, args.pf, "sriov_numvfs")))
        note("passctl sriov set %s %d took %.2fs; VFs %s -> %s" %
             (args.pf, args.count, t_reply - t0, " ".join(before) or "none",
              " ".join(after) or "none"))
        if numvfs != args.count or len(after) != args.count:
            problems.append("sysfs has sriov_numvfs %d and %d virtfn links, not %d" %
                            (numvfs, len(after), args.count))
        # the reply came once the inventory had them: one look, no retry
        devs = passd_devices()
        listed = sorted(a for a, d in devs.items() if d.get("physfn") == args.pf)
        if listed != sorted(after) or devs.get(args.pf, {}).get("vfs") != sorted(after):
            problems.append("right after the reply passctl list has VFs %s (PF's vfs %s), sysfs %s"
                            % (listed, devs.get(args.pf, {}).get("vfs"), sorted(after)))
        # the monitor: every VF destroyed was removed and every VF made added, in time
        recreated = len(before) != args.count
        want = set()
        if recreated:
            want = {("removed", a) for a in before} | {("added", a) for a in after}
        worst = None
        late = []
        while want:
            stamp, ev = mon.wait_stamped(lambda e: (e.get("type"), e.get("address")) in want,
                                         t_reply_wall + args.limit)
            if ev is None:
                break
            want.discard((ev["type"], ev["address"]))
            worst = stamp - t_reply_wall if worst is None else max(worst, stamp - t_reply_wall)
            if stamp > t_reply_wall + args.limit:
                late.append("%s %s" % (ev["type"], ev["address"]))
        if want:
            problems.append("passctl monitor: no event for %s (waited %.1fs past the limit)" %
                            (" ".join("%s %s" % w for w in sorted(want)), Monitor.ARRIVAL_GRACE))
        if late:
            problems.append("passd stamped events more than %.1fs after the reply: %s" %
                            (args.limit, " ".join(late)))
        elif recreated and worst is not None:
            note("passd stamped the last VF event %+.2fs from the reply (negative: before it)"
                 % worst)
    finally:
        mon.stop()
    for p in problems:
        note(p)
    return 1 if problems else 0


def cmd_sriov(args):
    def attempt():
        problems = []
        try:
            reply = passctl("sriov", "show", "--json", args.pf)
        except Exception as e:  # noqa: BLE001
            return [str(e)]
        pf = reply["pfs"][0]
        d = os.path.join(SYS, args.pf)
        want = {"address": args.pf, "present": True,
                "totalvfs": int(read(d + "/sriov_totalvfs")),
                "numvfs": int(read(d + "/sriov_numvfs")),
                "autoprobe": read(d + "/sriov_drivers_autoprobe") == "1"}
        for key, value in want.items():
            if pf.get(key) != value:
                problems.append("%s: passd says %s, sysfs %s" % (key, json.dumps(pf.get(key)),
                                                                  json.dumps(value)))
        vfs = [(v["index"], v["address"]) for v in pf["vfs"]]
        if vfs != list(enumerate(sysfs_vfs(args.pf))):
            problems.append("vfs: passd says %s, sysfs %s" %
                            (vfs, list(enumerate(sysfs_vfs(args.pf)))))
        if args.desired is not None and pf.get("desired") != args.desired:
            problems.append("desired: %s, not %d" % (pf.get("desired"), args.desired))
        if args.state is not None and pf.get("state") != args.state:
            problems.append("state: %s (%s), not %s" % (pf.get("state"), pf.get("message"),
                                                        args.state))
        if args.autoprobe is not None and want["autoprobe"] != (args.autoprobe == "1"):
            problems.append("sysfs autoprobe is %s, not %s" % (want["autoprobe"], args.autoprobe))
        return problems

    problems = retry(args.timeout, attempt)
    for p in problems:
        note(p)
    return 1 if problems else 0


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    p = sub.add_parser("inventory")
    p.add_argument("--timeout", type=float, default=10)
    p.set_defaults(func=cmd_inventory)
    p = sub.add_parser("status")
    p.add_argument("connected", choices=["true", "false"])
    p.add_argument("--timeout", type=float, default=10)
    p.set_defaults(func=cmd_status)
    p = sub.add_parser("owners")
    p.add_argument("address")
    p.add_argument("domains", nargs="*")
    p.add_argument("--timeout", type=float, default=10)
    p.set_defaults(func=cmd_owners)
    p = sub.add_parser("vf-cycle")
    p.add_argument("pf")
    p.add_argument("count", type=int)
    p.add_argument("--limit", type=float, default=1.0)
    p.set_defaults(func=cmd_vf_cycle)
    p = sub.add_parser("hostdev")
    p.add_argument("domain")
    p.add_argument("address")
    p.add_argument("--live", choices=["present", "absent"])
    p.add_argument("--inactive", choices=["present", "absent"])
    p.add_argument("--timeout", type=float, default=0)
    p.set_defaults(func=cmd_hostdev)
    p = sub.add_parser("held")
    p.add_argument("address")
    p.add_argument("domain")
    p.add_argument("--live", choices=["true", "false"])
    p.add_argument("--config", choices=["true", "false"])
    p.add_argument("--timeout", type=float, default=10)
    p.set_defaults(func=cmd_held)
    p = sub.add_parser("gone")
    p.add_argument("address")
    p.add_argument("domains", nargs="+")
    p.add_argument("--timeout", type=float, default=10)
    p.set_defaults(func=cmd_gone)
    p = sub.add_parser("whole")
    p.add_argument("address")
    p.add_argument("domains", nargs="+")
    p.add_argument("--timeout", type=float, default=10)
    p.set_defaults(func=cmd_whole)
    p = sub.add_parser("doctor")
    p.set_defaults(func=cmd_doctor)
    p = sub.add_parser("varlink")
    p.add_argument("method")
    p.add_argument("parameters")
    p.add_argument("--error", required=True)
    p.set_defaults(func=cmd_varlink)
    p = sub.add_parser("sriov-set")
    p.add_argument("pf")
    p.add_argument("count", type=int)
    p.add_argument("--with", dest="options", action="append", default=[],
                   help="an option for passctl sriov set, e.g. --with=--force")
    p.add_argument("--limit", type=float, default=1.0)
    p.set_defaults(func=cmd_sriov_set)
    p = sub.add_parser("sriov")
    p.add_argument("pf")
    p.add_argument("--desired", type=int)
    p.add_argument("--state")
    p.add_argument("--autoprobe", choices=["0", "1"])
    p.add_argument("--timeout", type=float, default=0)
    p.set_defaults(func=cmd_sriov)
    args = ap.parse_args()
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
