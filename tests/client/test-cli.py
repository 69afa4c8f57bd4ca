#!/usr/bin/python3
"""passctl's command line, run as a subprocess against a fake passd.

The fake speaks varlink (NUL-terminated JSON over a unix socket) and answers from canned
replies shaped like io.passd.Manager's types, so this needs no daemon, no libvirt and no root.
Usage: test-cli.py PATH-TO-PASSCTL. Prints TAP. $PASSCTL_WRAPPER (e.g. "valgrind
--error-exitcode=99 --leak-check=full") runs every passctl under it.
"""

import copy
import json
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time

PASSCTL = os.environ.get("PASSCTL_WRAPPER", "").split() + [sys.argv[1]]
DATA = os.path.join(os.path.dirname(os.path.abspath(__file__)), "data")
with open(os.path.join(DATA, "devices.json")) as f:
    DEVICES = json.load(f)["devices"]
STATUS = {"version": "0.1.0", "uri": "test:///default", "connected": True, "devices": 7}
ERROR_PREFIX = "io.passd.Manager."


def reply(parameters, continues=False):
    message = {"parameters": parameters}
    if continues:
        message["continues"] = True
    return message


def error(name, parameters):
    return {"error": name, "parameters": parameters}


class FakePassd:
    """Serves each call with self.handler(method, parameters) -> list of messages to send;
    the string "close" in the list closes the connection, "hold" keeps it open silently."""

    def __init__(self, path, handler):
        self.path = path
        self.handler = handler
        self.calls = []
        self.connections = 0
        self.listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.listener.bind(path)
        self.listener.listen(8)
        self.stopping = False
        self.held = []
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while not self.stopping:
            try:
                conn, _ = self.listener.accept()
            except OSError:
                return
            self.connections += 1
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def _serve(self, conn):
        buffer = b""
        while True:
            while b"\0" not in buffer:
                chunk = conn.recv(65536)
                if not chunk:
                    conn.close()
                    return
                buffer += chunk
            raw, buffer = buffer.split(b"\0", 1)
            call = json.loads(raw)
            self.calls.append(call)
            for message in self.handler(call["method"], call.get("parameters") or {}):
                if message == "close":
                    conn.close()
                    return
                if message == "hold":
                    self.held.append(conn)
                    return
                if isinstance(message, bytes):
                    conn.sendall(message)
                else:
                    conn.sendall(json.dumps(message).encode() + b"\0")

    def stop(self):
        self.stopping = True
        self.listener.close()
        for conn in self.held:
            conn.close()


def passd_handler(method, parameters):
    """A well-behaved passd over the canned inventory."""
    if method == "io.passd.Manager.GetStatus":
        return [reply(STATUS)]
    if method == "io.passd.Manager.ListDevices":
        return [reply({"devices": DEVICES})]
    if method == "io.passd.Manager.GetDevice":
        for device in DEVICES:
            if device["address"] == parameters.get("address"):
                return [reply({"device": device})]
        return [error(ERROR_PREFIX + "NoSuchDevice",
                      {"address": parameters.get("address"), "message": "not here"})]
    if method in PASSTHROUGH:
        return PASSTHROUGH[method](parameters)
    return [error("org.varlink.service.MethodNotFound", {"method": method})]


# ---- passthrough: Attach, Detach, Reattach, GetDomain ----

HOSTDEV_XML = ("<hostdev mode='subsystem' type='pci' managed='no'>\n"
               "  <source>\n"
               "    <address domain='0x0000' bus='0x02' slot='0x00' function='0x1'/>\n"
               "  </source>\n"
               "</hostdev>\n")


def action(kind, address, **fields):
    base = {"action": kind, "address": address, "driver_from": None, "driver_to": None,
            "domain": None, "live": None, "config": None, "xml": None}
    base.update(fields)
    return base


def no_such_domain(domain):
    return [error(ERROR_PREFIX + "NoSuchDomain",
                  {"domain": domain, "message": f"Domain not found: {domain}"})]


def fake_attach(p):
    if p["domain"] != "vm1":
        return no_such_domain(p["domain"])
    if "pool" in p:
        return [reply({"devices": ["0000:02:10.0"], "pool": p["pool"], "picks": [
            {"address": "0000:02:10.0", "pf": "0000:02:00.0", "numa_node": 0, "local": False,
             "reason": "lowest free VF of PF 0000:02:00.0"}],
            "numa_note": "placement unknown", "actions": [
            action("attach", "0000:02:10.0", domain="vm1", live=False, config=True,
                   xml=HOSTDEV_XML)]})]
    if p["address"] == "0000:02:00.0":
        return [error(ERROR_PREFIX + "IommuGroupNotViable", {
            "address": "0000:02:00.0", "group": 12,
            "blocking": [{"address": "0000:02:00.1", "driver": "igb"},
                         {"address": "0000:02:00.2", "driver": None}],
            "message": "IOMMU group 12 is not viable"})]
    # Like passd for a running persistent domain: both unless the caller chose.
    chose = "live" in p or "config" in p
    live = p.get("live", not chose)
    config = p.get("config", not chose)
    return [reply({"devices": [p["address"]], "actions": [
        action("detach_host", p["address"], driver_from="igb", driver_to="vfio-pci"),
        action("attach", p["address"], domain="vm1", live=live, config=config,
               xml=HOSTDEV_XML)]})]


def fake_detach(p):
    if p["domain"] != "vm1":
        return no_such_domain(p["domain"])
    if p["address"] == "0000:02:10.2":
        return [error(ERROR_PREFIX + "RemovalPending",
                      {"address": p["address"], "domain": "vm1", "message": "timed out"})]
    if p["address"] != "0000:02:00.1":
        return [error(ERROR_PREFIX + "DeviceNotAssigned",
                      {"address": p["address"], "domain": "vm1", "message": "not there"})]
    return [reply({"actions": [
        action("detach", p["address"], domain="vm1", live=True, config=False,
               xml=HOSTDEV_XML),
        action("reattach_host", p["address"], driver_from="vfio-pci", driver_to="igb")]})]


def fake_reattach(p):
    return [reply({"actions": [
        action("reattach_host", p["address"], driver_from="vfio-pci", driver_to="igb")]})]


VM1 = {"name": "vm1", "state": "running", "persistent": True, "devices": [
    {"address": "0000:02:00.1", "guest_address": "0000:07:00.0", "vendor_id": "0x8086",
     "product_id": "0x10c9", "vendor": "Intel Corporation",
     "product": "82576 Gigabit Network Connection", "live": True, "config": True,
     "interface": False, "mac": None, "vlan": None, "removal_pending": False},
    {"address": "0000:02:10.2", "guest_address": None, "vendor_id": "0x8086",
     "product_id": "0x10ca", "vendor": "Intel Corporation", "product": None, "live": False,
     "config": True, "interface": True, "mac": "52:54:00:aa:bb:01", "vlan": 42,
     "removal_pending": True}]}


def fake_get_domain(p):
    if p["domain"] == "vm1":
        return [reply(VM1)]
    if p["domain"] == "empty":
        return [reply({"name": "empty", "state": "shutoff", "persistent": False, "devices": []})]
    return no_such_domain(p["domain"])


BALANCE = {"in_use": 2, "skew": 2, "pfs": [], "nodes": [], "skew_after": 0, "moves": [
    {"guest": "vm1", "from": "0000:02:10.0", "from_pf": "0000:02:00.0", "to": "0000:03:10.0",
     "to_pf": "0000:03:00.0", "numa_node": 0, "reason": "evens"},
    {"guest": "vm2", "from": "0000:02:10.2", "from_pf": "0000:02:00.0", "to": "0000:03:10.2",
     "to_pf": "0000:03:00.0", "numa_node": 0, "reason": "evens"}]}


def balance_handler(pending):
    """A passd whose plan has two moves; with @pending, vm1 keeps its VF (RemovalPending)."""
    def handler(method, p):
        if method == "io.passd.Manager.GetBalance":
            return [reply(BALANCE)]
        if method == "io.passd.Manager.GetDomain":
            return [reply({"name": p["domain"], "state": "running", "persistent": True,
                           "devices": [{"address": "0000:02:10.0", "interface": True},
                                       {"address": "0000:02:10.2", "interface": False}]})]
        if method == "io.passd.Manager.Detach":
            if pending:
                return [error(ERROR_PREFIX + "RemovalPending",
                              {"address": p["address"], "domain": p["domain"],
                               "message": "timed out"})]
            return [reply({"actions": []})]
        if method == "io.passd.Manager.Attach":
            return [reply({"devices": [p["address"]], "actions": []})]
        return [error("org.varlink.service.MethodNotFound", {"method": method})]
    return handler
SRIOV_PF = {"address": "0000:41:00.0", "present": True, "totalvfs": 4, "numvfs": 1,
            "desired": None, "autoprobe": True, "driver": "nvme", "numa_node": 0,
            "state": "settled", "message": None,
            "vfs": [{"address": "0000:41:00.1", "index": 0, "driver": None, "owners": [],
                     "numa_node": 0}]}


def fake_get_sriov(p):
    if p.get("pf") not in (None, SRIOV_PF["address"]):
        return [error(ERROR_PREFIX + "SriovNotSupported",
                      {"address": p["pf"], "message": f"{p['pf']} is not an SR-IOV physical "
                                                      "function"})]
    return [reply({"pfs": [SRIOV_PF]})]


def fake_set_num_vfs(p):
    if p["count"] > 4:
        return [error("org.varlink.service.InvalidParameter",
                      {"parameter": "count", "message": "at most 4"})]
    if p["count"] == 1 and "autoprobe" not in p:
        return [reply({"actions": []})]
    return [reply({"actions": [action("set_num_vfs", p["pf"], numvfs_from=1,
                                      numvfs_to=p["count"], autoprobe=p.get("autoprobe"))]})]


PASSTHROUGH = {
    "io.passd.Manager.GetSriov": fake_get_sriov,
    "io.passd.Manager.SetNumVFs": fake_set_num_vfs,
    "io.passd.Manager.Attach": fake_attach,
    "io.passd.Manager.Detach": fake_detach,
    "io.passd.Manager.Reattach": fake_reattach,
    "io.passd.Manager.GetDomain": fake_get_domain,
}


WATCH_EVENTS = [
    {"type": "subscribed"},
    {"type": "added", "address": "0000:02:10.0", "device": DEVICES[5]},
    {"type": "changed", "address": "0000:02:10.2", "device": DEVICES[4]},
    {"type": "removed", "address": "0000:02:10.0", "device": None},
    {"type": "hypervisor", "connected": True},
]


def watch_then(ending):
    def handler(method, parameters):
        if method != "io.passd.Manager.Watch":
            return passd_handler(method, parameters)
        return [reply({"event": e}, continues=True) for e in WATCH_EVENTS] + [ending]
    return handler


class Tap:
    def __init__(self):
        self.n = 0
        self.failed = 0

    def run(self, func):
        self.n += 1
        name = func.__name__[5:].replace("_", "-")
        try:
            func()
        except Exception as e:  # any failure is one "not ok" line, the rest still run
            self.failed += 1
            print(f"not ok {self.n} - {name}")
            for line in repr(e).splitlines() or [""]:
                print(f"# {line}")
        else:
            print(f"ok {self.n} - {name}")
        sys.stdout.flush()


def check(condition, what):
    if not condition:
        raise AssertionError(what)


def run(args, env=None, timeout=20):
    full_env = {k: v for k, v in os.environ.items() if k != "PASSD_SOCKET"}
    full_env.setdefault("LC_ALL", "C")
    full_env.update(env or {})
    return subprocess.run(PASSCTL + args, capture_output=True, text=True, env=full_env,
                          timeout=timeout)


def check_one_error_line(result, code, pattern):
    check(result.returncode == code, f"exit {result.returncode}, wanted {code}: {result.stderr!r}")
    lines = result.stderr.splitlines()
    check(len(lines) == 1, f"one line on stderr, got {result.stderr!r}")
    check(re.fullmatch("passctl: " + pattern, lines[0]), f"stderr {lines[0]!r} !~ {pattern!r}")


TMP = tempfile.mkdtemp(prefix="passctl-test-")


def socket_path(name):
    return os.path.join(TMP, name)


def with_passd(handler, name="passd.sock"):
    path = socket_path(name)
    if os.path.exists(path):
        os.unlink(path)
    return FakePassd(path, handler), ["--socket", path]


# ---- option parsing, no daemon ----

def test_help_lists_commands_and_exit_codes():
    r = run(["--help"])
    check(r.returncode == 0, r.returncode)
    for word in ["list", "show", "status", "monitor", "--socket", "PASSD_SOCKET"]:
        check(word in r.stdout, word)
    for code in range(5):
        check(re.search(rf"^  {code}  \S", r.stdout, re.M), f"exit code {code} documented")


def test_subcommand_help():
    for command in ["list", "show", "status", "monitor"]:
        r = run([command, "--help"])
        check(r.returncode == 0, (command, r.returncode))
        check(r.stdout.startswith("Usage:\n  passctl " + command), r.stdout[:60])
        check("--json" in r.stdout, command)
    r = run(["list", "--help"])
    check("--tree" in r.stdout and "--vendor" in r.stdout, "list options")
    r = run(["help", "show"])
    check(r.returncode == 0 and "ADDRESS" in r.stdout, r.stdout)


def test_unknown_command():
    r = run(["frobnicate"])
    check_one_error_line(r, 2, r"unknown command 'frobnicate' \(see 'passctl --help'\)")
    r = run(["help", "frobnicate"])
    check(r.returncode == 2, r.returncode)


def test_unknown_option():
    r = run(["list", "--frob"])
    check_one_error_line(r, 2, r".*--frob.*\(see 'passctl list --help'\)")
    r = run(["--frob", "list"])
    check(r.returncode == 2, r.returncode)


def test_no_command():
    r = run([])
    check(r.returncode == 2, r.returncode)
    check("Usage:" in r.stderr and r.stdout == "", "usage on stderr")


def test_version():
    r = run(["--version"])
    check(r.returncode == 0 and re.fullmatch(r"passctl \d+\.\d+\.\d+\n", r.stdout), r.stdout)


def test_extra_arguments():
    check(run(["list", "extra"]).returncode == 2, "list extra")
    check(run(["status", "extra"]).returncode == 2, "status extra")
    check(run(["show"]).returncode == 2, "show without address")
    check(run(["show", "02:00.0", "03:00.0"]).returncode == 2, "show two addresses")


# ---- reaching passd ----

def test_passd_socket_env():
    missing = socket_path("missing-env.sock")
    r = run(["status"], env={"PASSD_SOCKET": missing})
    check_one_error_line(r, 3, re.escape(f"cannot reach passd at {missing}: No such file or "
                                         "directory (is passd running?)"))


def test_socket_option_beats_env():
    env_path = socket_path("env.sock")
    option_path = socket_path("option.sock")
    r = run(["--socket", option_path, "list"], env={"PASSD_SOCKET": env_path})
    check_one_error_line(r, 3, f"cannot reach passd at {re.escape(option_path)}: .*")


def test_default_socket():
    r = run(["--help"])
    default = re.search(r"else \$PASSD_SOCKET, else (\S+)\.\n", r.stdout).group(1)
    if os.path.exists(default):
        return  # a real passd here: nothing to learn without touching it
    r = run(["status"], env={"PASSD_SOCKET": ""})
    check_one_error_line(r, 3, f"cannot reach passd at {re.escape(default)}: .*")


def test_connection_refused():
    path = socket_path("refused.sock")
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.bind(path)  # bound, never listening: connect() is refused
    try:
        r = run(["--socket", path, "status"])
        check_one_error_line(r, 3, re.escape(f"cannot reach passd at {path}: Connection refused "
                                             "(is passd running?)"))
    finally:
        s.close()


def test_bad_address_is_local():
    passd, socket_args = with_passd(passd_handler)
    try:
        r = run(socket_args + ["show", "00:1g.0"])
        check_one_error_line(r, 2, re.escape("'00:1g.0' is not a PCI address "
                                             "(expected DDDD:BB:SS.F) (see 'passctl show "
                                             "--help')"))
        r = run(socket_args + ["show", "usb:0-1"])
        check_one_error_line(r, 2, re.escape("'usb:0-1' is not a device: expected "
                                             "usb:BUS-PORT[.PORT...] (bus 1-999) (see 'passctl "
                                             "show --help')"))
        check(passd.connections == 0, "no round trip for a typo")
    finally:
        passd.stop()


def test_bad_filters_are_local():
    passd, socket_args = with_passd(passd_handler)
    try:
        for args in (["--vendor", "80861"], ["--product", "xyz"], ["--class", "0x1234567"],
                     ["--pfs", "--vfs"]):
            r = run(socket_args + ["list"] + args)
            check(r.returncode == 2, (args, r.returncode, r.stderr))
            check(r.stderr.startswith("passctl: "), r.stderr)
        check(passd.connections == 0, "no round trip for bad filters")
    finally:
        passd.stop()


# ---- commands against the fake passd ----

def test_status():
    passd, socket_args = with_passd(passd_handler)
    try:
        r = run(socket_args + ["status"])
        check(r.returncode == 0, r.stderr)
        check("Hypervisor:  connected\n" in r.stdout, r.stdout)
        check("URI:         test:///default\n" in r.stdout, r.stdout)
        r = run(socket_args + ["status", "--json"])
        check(r.returncode == 0 and json.loads(r.stdout) == STATUS, r.stdout)
        check(r.stdout.startswith("{\n  \"") and r.stdout.endswith("}\n"), "pretty, indent 2")
    finally:
        passd.stop()


def test_list_table():
    passd, socket_args = with_passd(passd_handler)
    try:
        r = run(socket_args + ["list"], env={"COLUMNS": "40"})
        check(r.returncode == 0, r.stderr)
        lines = r.stdout.splitlines()
        check(re.match(r"ADDRESS +VENDOR:PRODUCT +CLASS +DRIVER +IOMMU +NUMA +SR-IOV +OWNERS "
                       r"+NAME$", lines[0]), lines[0])
        check(len(lines) == 1 + len(DEVICES), len(lines))
        # Not a terminal: names are never cut, whatever COLUMNS says.
        check(any(l.endswith("82G33/G31/P35/P31 Express DRAM Controller") for l in lines),
              "long name intact")
        vf = next(l for l in lines if l.startswith("0000:02:10.2"))
        check(re.search(r"  vfio-pci +20 +0 +VF of 0000:02:00.0  vm1,web-2  Intel Corporation$",
                        vf), vf)
        check(passd.calls[-1] == {"method": "io.passd.Manager.ListDevices", "parameters": {}},
              passd.calls[-1])
    finally:
        passd.stop()


def read_pty(master):
    """Everything written to the pty so far (the writer has exited)."""
    import select
    out = b""
    while select.select([master], [], [], 0.5)[0]:
        chunk = os.read(master, 65536)
        if not chunk:
            break
        out += chunk
    return out.decode()


def test_list_cut_to_terminal():
    import fcntl
    import pty
    import struct
    import termios
    passd, socket_args = with_passd(passd_handler)
    master, slave = pty.openpty()
    try:
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 100, 0, 0))
        for extra in ([], ["--tree"]):
            proc = subprocess.Popen(PASSCTL + socket_args + ["list"] + extra, stdout=slave,
                                    stderr=subprocess.PIPE, env={"LC_ALL": "C"})
            code = proc.wait(timeout=20)
            proc.stderr.close()
            check(code == 0, code)
            lines = read_pty(master).splitlines()
            check(len(lines) == len(DEVICES) + (0 if extra else 1), lines)
            # The widest lines are cut to the terminal's 100 columns, the name giving way.
            check(max(len(l) for l in lines) == 100, [len(l) for l in lines])
            host = next(l for l in lines if "0000:00:00.0" in l)
            name = re.search(r"  (Intel.*)$", host).group(1)
            check(len(host) == 100, host)
            check("Intel Corporation 82G33/G31/P35/P31 Express DRAM Controller".startswith(name),
                  host)
    finally:
        os.close(master)
        os.close(slave)
        passd.stop()


def test_list_json():
    passd, socket_args = with_passd(passd_handler)
    try:
        r = run(socket_args + ["list", "--json"])
        check(r.returncode == 0, r.stderr)
        check(json.loads(r.stdout) == {"devices": DEVICES}, "reply parameters verbatim")
        check(r.stdout.startswith("{\n  \"devices\""), r.stdout[:30])
    finally:
        passd.stop()


def test_list_filters():
    passd, socket_args = with_passd(passd_handler)
    try:
        r = run(socket_args + ["list", "--vendor", "8086", "--product", "0x10CA", "--class",
                               "02", "--driver", "", "--owner", "vm1", "--vfs"])
        check(r.returncode == 0, r.stderr)
        sent = passd.calls[-1]["parameters"]
        check(sent == {"vendor_id": "0x8086", "product_id": "0x10ca", "class": "0x02",
                       "driver": "", "owner": "vm1", "sriov": "vf"}, sent)
        run(socket_args + ["list", "--pfs"])
        check(passd.calls[-1]["parameters"] == {"sriov": "pf"}, passd.calls[-1])
    finally:
        passd.stop()


def test_list_tree():
    passd, socket_args = with_passd(passd_handler)
    try:
        r = run(socket_args + ["list", "--tree"], env={"LC_ALL": "C"})
        check(r.returncode == 0, r.stderr)
        lines = r.stdout.splitlines()
        check([l.split()[0:2] for l in lines[1:6]] ==
              [["0000:00:1c.0", "8086:2940"], ["+-", "0000:02:00.0"], ["|", "+-"],
               ["|", "`-"], ["`-", "0000:02:00.1"]], lines)
        r = run(socket_args + ["list", "--tree"], env={"LC_ALL": "C.UTF-8"})
        check(r.returncode == 0, r.stderr)
        check("│  └─ 0000:02:10.2" in r.stdout, r.stdout)
    finally:
        passd.stop()


def test_show():
    passd, socket_args = with_passd(passd_handler)
    try:
        r = run(socket_args + ["show", "02:00.0"])
        check(r.returncode == 0, r.stderr)
        check(passd.calls[0] == {"method": "io.passd.Manager.GetDevice",
                                 "parameters": {"address": "0000:02:00.0"}}, passd.calls[0])
        out = r.stdout
        check(out.startswith("Address:            0000:02:00.0\n"), out)
        check("IOMMU group:        12 (3 devices)\n" in out, out)
        # Mates' drivers come from their own GetDevice; 0000:02:00.2 is unknown to the fake.
        check("                    0000:02:00.1  igb\n" in out, out)
        check("                    0000:02:00.2  ?\n" in out, out)
        check("Virtual functions:  2 of 7\n" in out, out)
        r = run(socket_args + ["show", "pci_0000_02_10_2", "--json"])
        check(r.returncode == 0 and json.loads(r.stdout) == {"device": DEVICES[4]}, r.stdout)
    finally:
        passd.stop()


def test_show_unknown_device():
    passd, socket_args = with_passd(passd_handler)
    try:
        r = run(socket_args + ["show", "0000:99:00.0"])
        check_one_error_line(r, 1, re.escape("no PCI device 0000:99:00.0 on this host"))
        check(r.stdout == "", r.stdout)
    finally:
        passd.stop()


def test_error_replies():
    cases = [
        (error(ERROR_PREFIX + "PermissionDenied",
               {"method": "io.passd.Manager.ListDevices", "message": "no"}), 4,
         r"permission denied: not allowed to call io\.passd\.Manager\.ListDevices"),
        (error(ERROR_PREFIX + "HypervisorUnavailable", {"message": "libvirtd is down"}), 1,
         r"passd is not connected to libvirt: libvirtd is down"),
        (error("org.varlink.service.InvalidParameter", {"parameter": "class"}), 2,
         r"passd rejected the value of 'class'"),
        (error("org.varlink.service.MethodNotFound",
               {"method": "io.passd.Manager.ListDevices"}), 1,
         r"this passd does not support io\.passd\.Manager\.ListDevices .*"),
        (error("com.example.Weird", {}), 1, r".+"),
        ("close", 3, r"passd closed the connection"),
    ]
    for answer, code, pattern in cases:
        passd, socket_args = with_passd(lambda m, p, a=answer: [a])
        try:
            r = run(socket_args + ["list"])
            check_one_error_line(r, code, pattern)
        finally:
            passd.stop()


def test_garbage_reply():
    passd, socket_args = with_passd(lambda m, p: [b"this is not json\0"])
    try:
        r = run(socket_args + ["status"])
        check_one_error_line(r, 1, r".+")
    finally:
        passd.stop()


def test_monitor_json():
    passd, socket_args = with_passd(watch_then("close"))
    try:
        r = run(socket_args + ["monitor", "--json"])
        check_one_error_line(r, 3, r"passd closed the connection")
        lines = r.stdout.splitlines()
        check([json.loads(l) for l in lines] == [{"event": e} for e in WATCH_EVENTS], lines)
        check(all(": " not in l for l in lines), "compact, one line each")
        check(passd.calls[0] == {"method": "io.passd.Manager.Watch", "parameters": {},
                                 "more": True}, passd.calls[0])
    finally:
        passd.stop()


def test_monitor_human():
    passd, socket_args = with_passd(watch_then("close"))
    try:
        r = run(socket_args + ["monitor"])
        check(r.returncode == 3, r.returncode)
        lines = r.stdout.splitlines()
        t = r"\d\d:\d\d:\d\d  "
        expected = [
            t + r"added    0000:02:10\.0  8086:10ca igbvf  VF of 0000:02:00\.0",
            t + r"changed  0000:02:10\.2  driver vfio-pci owners vm1,web-2",
            t + r"removed  0000:02:10\.0",
            t + r"hypervisor connected",
        ]
        check(len(lines) == len(expected), lines)  # "subscribed" prints nothing
        for line, pattern in zip(lines, expected):
            check(re.fullmatch(pattern, line), (line, pattern))
    finally:
        passd.stop()


def test_monitor_stops_cleanly_on_signals():
    for signo in (signal.SIGTERM, signal.SIGINT):
        passd, socket_args = with_passd(watch_then("hold"))
        try:
            env = {k: v for k, v in os.environ.items() if k != "PASSD_SOCKET"}
            proc = subprocess.Popen(PASSCTL + socket_args + ["monitor", "--json"],
                                    stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                    env=env)
            # Lines arrive through the pipe as they happen: passctl flushes each one.
            first = proc.stdout.readline()
            check(json.loads(first) == {"event": {"type": "subscribed"}}, first)
            for _ in WATCH_EVENTS[1:]:
                proc.stdout.readline()
            proc.send_signal(signo)
            code = proc.wait(timeout=10)
            check(code == 0, (signo, code, proc.stderr.read()))
            proc.stdout.close()
            proc.stderr.close()
        finally:
            passd.stop()


def test_monitor_watch_refused():
    passd, socket_args = with_passd(
        lambda m, p: [error(ERROR_PREFIX + "PermissionDenied", {"method": m})])
    try:
        r = run(socket_args + ["monitor"])
        check_one_error_line(r, 4, r"permission denied: not allowed to call .*Watch")
    finally:
        passd.stop()


# ---- attach, detach, reattach, vm ----

def last_call(passd, method):
    calls = [c for c in passd.calls if c["method"] == "io.passd.Manager." + method]
    check(calls, f"no {method} call")
    return calls[-1]["parameters"]


def test_passthrough_help():
    r = run(["--help"])
    for word in ["attach", "detach", "reattach", "vm"]:
        check(re.search(rf"^  {word} +\S", r.stdout, re.M), word)
    for command, options in [
            ("attach", ["--live", "--config", "--whole-group", "--force", "--interface",
                        "--mac=MAC", "--vlan=ID", "--dry-run", "--json",
                        "DOMAIN {ADDRESS | --pool NAME | --mdev-type TYPE}", "--pool=NAME",
                        "--count=N", "--numa=MODE", "--policy=POLICY", "--mdev-type=TYPE",
                        "--parent=PARENT", "--persistent"]),
            ("pools", ["--json"]),
            ("balance", ["--plan", "--apply", "--json"]),
            ("detach", ["--live", "--config", "--timeout=SECONDS", "--dry-run", "--json",
                        "DOMAIN ADDRESS"]),
            ("reattach", ["--dry-run", "--json", "ADDRESS"]),
            ("vm", ["--json", "DOMAIN"])]:
        r = run([command, "--help"])
        check(r.returncode == 0, (command, r.returncode))
        check(r.stdout.startswith("Usage:\n  passctl " + command), r.stdout[:60])
        for option in options:
            check(option in r.stdout, (command, option))


def test_passthrough_usage_errors_are_local():
    passd, socket_args = with_passd(passd_handler)
    try:
        for args in (["attach"], ["attach", "vm1"], ["attach", "vm1", "02:00.1", "x"],
                     ["detach", "vm1"], ["reattach"], ["reattach", "02:00.1", "x"], ["vm"],
                     ["vm", "vm1", "x"], ["detach", "vm1", "02:00.1", "--timeout", "-1"],
                     ["detach", "vm1", "02:00.1", "--timeout", "soon"], ["vm", ""],
                     ["attach", "", "02:00.1"], ["detach", "", "02:00.1"],
                     ["attach", "vm1", "02:00.1", "--mac", "52:54:00:aa:bb:01"],
                     ["attach", "vm1", "02:00.1", "--vlan", "42"],
                     ["attach", "vm1", "02:00.1", "--interface", "--mac", "52:54:00:aa:bb"],
                     ["attach", "vm1", "02:00.1", "--interface", "--mac", "ff:ff:ff:ff:ff:ff"],
                     ["attach", "vm1", "02:00.1", "--interface", "--vlan", "0"],
                     ["attach", "vm1", "02:00.1", "--interface", "--vlan", "4095"],
                     ["attach", "vm1", "02:00.1", "--interface", "--vlan", "x"]):
            r = run(socket_args + args)
            check(r.returncode == 2, (args, r.returncode, r.stderr))
            check(re.fullmatch(rf"passctl: .*\(see 'passctl {args[0]} --help'\)\n", r.stderr),
                  (args, r.stderr))
        for command in (["attach", "vm1"], ["detach", "vm1"], ["reattach"]):
            r = run(socket_args + command + ["00:1g.0"])
            check_one_error_line(r, 2, re.escape("'00:1g.0' is not a PCI address (expected "
                                                 f"DDDD:BB:SS.F) (see 'passctl {command[0]} "
                                                 "--help')"))
        check(passd.connections == 0, "no round trip for a usage error")
    finally:
        passd.stop()


def test_attach_default_sends_no_flags():
    passd, socket_args = with_passd(passd_handler)
    try:
        r = run(socket_args + ["attach", "vm1", "pci_0000_02_00_1"])
        check(r.returncode == 0, r.stderr)
        # Neither live nor config: passd decides from the domain's state.
        check(last_call(passd, "Attach") == {"domain": "vm1", "address": "0000:02:00.1"},
              passd.calls)
        check(r.stdout == "0000:02:00.1: igb -> vfio-pci\n"
                          "0000:02:00.1: attached to vm1 (live, config)\n", r.stdout)
        check(r.stderr == "", r.stderr)
    finally:
        passd.stop()


def test_attach_flags():
    passd, socket_args = with_passd(passd_handler)
    try:
        r = run(socket_args + ["attach", "--live", "vm1", "02:00.1", "--whole-group", "--force",
                               "--interface"])
        check(r.returncode == 0, r.stderr)
        check(last_call(passd, "Attach") == {"domain": "vm1", "address": "0000:02:00.1",
                                             "live": True, "whole_group": True, "force": True,
                                             "interface": True}, passd.calls[-1])
        check("attached to vm1 (live)\n" in r.stdout, r.stdout)
        run(socket_args + ["attach", "vm1", "02:00.1", "--config"])
        check(last_call(passd, "Attach") == {"domain": "vm1", "address": "0000:02:00.1",
                                             "config": True}, passd.calls[-1])
    finally:
        passd.stop()


def test_attach_interface_mac_vlan():
    passd, socket_args = with_passd(passd_handler)
    try:
        r = run(socket_args + ["attach", "vm1", "02:00.1", "--interface", "--mac",
                               "52:54:00:AA:BB:01", "--vlan", "42"])
        check(r.returncode == 0, r.stderr)
        # The MAC as passd spells it; the VLAN a number.
        check(last_call(passd, "Attach") == {"domain": "vm1", "address": "0000:02:00.1",
                                             "interface": True, "mac": "52:54:00:aa:bb:01",
                                             "vlan": 42}, passd.calls[-1])
        r = run(socket_args + ["attach", "vm1", "02:00.1", "--interface"])
        check(r.returncode == 0, r.stderr)
        # No MAC: passd derives one.
        check(last_call(passd, "Attach") == {"domain": "vm1", "address": "0000:02:00.1",
                                             "interface": True}, passd.calls[-1])
        r = run(socket_args + ["attach", "vm1", "02:00.1", "--mac", "52:54:00:aa:bb:01"])
        check_one_error_line(r, 2, re.escape("--mac needs --interface (see 'passctl attach "
                                             "--help')"))
        r = run(socket_args + ["attach", "vm1", "02:00.1", "--interface", "--mac",
                               "01:00:5e:00:00:01"])
        check_one_error_line(r, 2, re.escape("'01:00:5e:00:00:01' is a multicast address; a NIC "
                                             "needs a unicast one (see 'passctl attach --help')"))
    finally:
        passd.stop()


def test_attach_pool():
    passd, socket_args = with_passd(passd_handler)
    try:
        r = run(socket_args + ["attach", "vm1", "--pool", "nvme", "--count", "2", "--numa",
                               "required", "--policy", "pack", "--config"])
        check(r.returncode == 0, r.stderr)
        check(last_call(passd, "Attach") == {"domain": "vm1", "pool": "nvme", "count": 2,
                                             "numa": "required", "policy": "pack",
                                             "config": True}, passd.calls[-1])
        check(r.stdout == "Took from pool nvme:\n"
                          "  0000:02:10.0: lowest free VF of PF 0000:02:00.0\n"
                          "  NUMA: placement unknown\n"
                          "0000:02:10.0: attached to vm1 (config)\n", r.stdout)
        n = len(passd.calls)
        # checked locally, never sent
        for args in (["--pool", "nvme", "--numa", "maybe"], ["--pool", "nvme", "--policy", "x"],
                     ["--pool", "nvme", "--count", "65"], ["--pool", "nvme", "02:10.0"],
                     ["02:10.0", "--count", "2"]):
            r = run(socket_args + ["attach", "vm1"] + args)
            check(r.returncode == 2, (args, r.returncode, r.stderr))
        check(len(passd.calls) == n, passd.calls[n:])
    finally:
        passd.stop()


def test_balance_apply():
    passd, socket_args = with_passd(balance_handler(False))
    try:
        r = run(socket_args + ["balance", "--apply"])
        check(r.returncode == 0, r.stderr)
        calls = [(c["method"].split(".")[-1], c["parameters"]) for c in passd.calls]
        moves = [c for c in calls if c[0] in ("Detach", "Attach")]
        # each move: the detach, then the attach of the other VF, the same way it was held
        check(moves == [
            ("Detach", {"domain": "vm1", "address": "0000:02:10.0"}),
            ("Attach", {"domain": "vm1", "address": "0000:03:10.0", "interface": True}),
            ("Detach", {"domain": "vm2", "address": "0000:02:10.2"}),
            ("Attach", {"domain": "vm2", "address": "0000:03:10.2"})], moves)
        check(calls[0] == ("GetBalance", {"plan": True}), calls[0])
        check("1. vm1: 0000:02:10.0 -> 0000:03:10.0 done\n" in r.stdout, r.stdout)
    finally:
        passd.stop()
    passd, socket_args = with_passd(balance_handler(True))
    try:
        r = run(socket_args + ["balance", "--apply"])
        check(r.returncode == 1, (r.returncode, r.stderr))
        check("move 1 stopped" in r.stderr and "were not tried" in r.stderr, r.stderr)
        methods = [c["method"].split(".")[-1] for c in passd.calls]
        check("Attach" not in methods and methods.count("Detach") == 1, methods)
    finally:
        passd.stop()


def test_attach_dry_run():
    passd, socket_args = with_passd(passd_handler)
    try:
        r = run(socket_args + ["attach", "vm1", "02:00.1", "--dry-run"])
        check(r.returncode == 0, r.stderr)
        check(last_call(passd, "Attach") == {"domain": "vm1", "address": "0000:02:00.1",
                                             "dry_run": True}, passd.calls[-1])
        check(r.stdout ==
              "Would:\n"
              "  1. 0000:02:00.1: igb -> vfio-pci\n"
              "  2. 0000:02:00.1: attach to vm1 (live, config)\n"
              "       <hostdev mode='subsystem' type='pci' managed='no'>\n"
              "         <source>\n"
              "           <address domain='0x0000' bus='0x02' slot='0x00' function='0x1'/>\n"
              "         </source>\n"
              "       </hostdev>\n", r.stdout)
    finally:
        passd.stop()


def test_attach_json():
    passd, socket_args = with_passd(passd_handler)
    try:
        r = run(socket_args + ["attach", "vm1", "02:00.1", "--json", "--dry-run"])
        check(r.returncode == 0, r.stderr)
        check(json.loads(r.stdout) == fake_attach({"domain": "vm1",
                                                   "address": "0000:02:00.1"})[0]["parameters"],
              r.stdout)
    finally:
        passd.stop()


def test_attach_errors():
    passd, socket_args = with_passd(passd_handler)
    try:
        r = run(socket_args + ["attach", "vm1", "02:00.0"])
        check_one_error_line(r, 1, re.escape(
            "0000:02:00.0 cannot be passed through alone: IOMMU group 12 also holds "
            "0000:02:00.1 (igb) and 0000:02:00.2 (no driver), still used by the host "
            "(--whole-group takes the group along)"))
        check(r.stdout == "", r.stdout)
        r = run(socket_args + ["attach", "vm9", "02:00.1"])
        check_one_error_line(r, 1, re.escape("no domain named 'vm9'"))
    finally:
        passd.stop()


def test_detach():
    passd, socket_args = with_passd(passd_handler)
    try:
        r = run(socket_args + ["detach", "vm1", "02:00.1"])
        check(r.returncode == 0, r.stderr)
        check(last_call(passd, "Detach") == {"domain": "vm1", "address": "0000:02:00.1"},
              passd.calls[-1])
        check(r.stdout == "0000:02:00.1: detached from vm1 (live)\n"
                          "0000:02:00.1: vfio-pci -> igb\n", r.stdout)
        r = run(socket_args + ["detach", "vm1", "02:00.1", "--live", "--config", "--timeout",
                               "0", "--dry-run"])
        check(r.returncode == 0, r.stderr)
        check(last_call(passd, "Detach") == {"domain": "vm1", "address": "0000:02:00.1",
                                             "live": True, "config": True, "timeout": 0,
                                             "dry_run": True}, passd.calls[-1])
        check(r.stdout.startswith("Would:\n  1. 0000:02:00.1: detach from vm1 (live)\n"
                                  "       <hostdev mode='subsystem'"), r.stdout)
        check(r.stdout.endswith("       </hostdev>\n  2. 0000:02:00.1: vfio-pci -> igb\n"),
              r.stdout)
        r = run(socket_args + ["detach", "vm1", "02:00.1", "--timeout", "45", "--json"])
        check(last_call(passd, "Detach")["timeout"] == 45, passd.calls[-1])
        check(json.loads(r.stdout)["actions"][1]["driver_to"] == "igb", r.stdout)
    finally:
        passd.stop()


def test_detach_removal_pending():
    passd, socket_args = with_passd(passd_handler)
    try:
        r = run(socket_args + ["detach", "vm1", "02:10.2", "--timeout", "1"])
        check_one_error_line(r, 1, re.escape(
            "vm1 has not released 0000:02:10.2 yet; it stays assigned to vm1, and passd will "
            "give it back to its host driver by itself once the guest lets go"))
        check(r.stdout == "", r.stdout)
        r = run(socket_args + ["detach", "vm1", "05:00.0"])
        check_one_error_line(r, 1, re.escape("0000:05:00.0 is not assigned to vm1"))
    finally:
        passd.stop()


def test_reattach():
    passd, socket_args = with_passd(passd_handler)
    try:
        r = run(socket_args + ["reattach", "0000:02:10.0"])
        check(r.returncode == 0, r.stderr)
        check(last_call(passd, "Reattach") == {"address": "0000:02:10.0"}, passd.calls[-1])
        check(r.stdout == "0000:02:10.0: vfio-pci -> igb\n", r.stdout)
        r = run(socket_args + ["reattach", "02:10.0", "--dry-run"])
        check(last_call(passd, "Reattach") == {"address": "0000:02:10.0", "dry_run": True},
              passd.calls[-1])
        check(r.stdout == "Would:\n  1. 0000:02:10.0: vfio-pci -> igb\n", r.stdout)
    finally:
        passd.stop()


def test_vm():
    passd, socket_args = with_passd(passd_handler)
    try:
        r = run(socket_args + ["vm", "vm1"])
        check(r.returncode == 0, r.stderr)
        check(last_call(passd, "GetDomain") == {"domain": "vm1"}, passd.calls[-1])
        check(r.stdout ==
              "vm1 (running, persistent)\n"
              "HOST ADDRESS  GUEST ADDRESS  VENDOR:PRODUCT  WHERE        KIND       MAC"
              "                VLAN  NAME\n"
              "0000:02:00.1  0000:07:00.0   8086:10c9       live+config  hostdev    -"
              "                  -     Intel Corporation 82576 Gigabit Network Connection\n"
              "0000:02:10.2  -              8086:10ca       config       interface  52:54:00:aa:bb:01"
              "  42    Intel Corporation (removal pending)\n", r.stdout)
        r = run(socket_args + ["vm", "vm1", "--json"])
        check(r.returncode == 0 and json.loads(r.stdout) == VM1, r.stdout)
        r = run(socket_args + ["vm", "empty"])
        check(r.stdout == "empty (shutoff, transient)\nno host devices\n", r.stdout)
        r = run(socket_args + ["vm", "vm9"])
        check_one_error_line(r, 1, re.escape("no domain named 'vm9'"))
    finally:
        passd.stop()


def test_passthrough_on_old_passd():
    passd, socket_args = with_passd(
        lambda m, p: [error("org.varlink.service.MethodNotFound", {"method": m})])
    try:
        r = run(socket_args + ["attach", "vm1", "02:00.1"])
        check_one_error_line(r, 1, re.escape("this passd does not support "
                                             "io.passd.Manager.Attach (is passd older than "
                                             "passctl?)"))
    finally:
        passd.stop()


# ---- sriov ----

def test_sriov():
    passd, socket_args = with_passd(passd_handler)
    try:
        r = run(socket_args + ["sriov", "show"])
        check(r.returncode == 0, r.stderr)
        check(r.stdout == "0000:41:00.0 (nvme, NUMA node 0): 1 of 4 VFs, no count kept, settled; "
                          "autoprobe on\n"
                          "  INDEX  VF            DRIVER  OWNERS  NUMA\n"
                          "  0      0000:41:00.1  -       -       0\n", r.stdout)
        check(last_call(passd, "GetSriov") == {}, passd.calls[-1])
        r = run(socket_args + ["sriov", "show", "pci_0000_41_00_0", "--json"])
        check(json.loads(r.stdout) == {"pfs": [SRIOV_PF]}, r.stdout)
        check(last_call(passd, "GetSriov") == {"pf": "0000:41:00.0"}, passd.calls[-1])
        r = run(socket_args + ["sriov", "show", "01:00.0"])
        check_one_error_line(r, 1, re.escape("SR-IOV is not available on 0000:01:00.0: "
                                             "0000:01:00.0 is not an SR-IOV physical function"))

        r = run(socket_args + ["sriov", "set", "41:00.0", "3", "--no-autoprobe", "--force"])
        check(r.returncode == 0, r.stderr)
        check(last_call(passd, "SetNumVFs") == {"pf": "0000:41:00.0", "count": 3,
                                                "autoprobe": False, "force": True},
              passd.calls[-1])
        check(r.stdout == "0000:41:00.0: 1 -> 3 VFs (autoprobe off)\n", r.stdout)
        r = run(socket_args + ["sriov", "set", "41:00.0", "2", "--autoprobe", "--dry-run"])
        check(last_call(passd, "SetNumVFs") == {"pf": "0000:41:00.0", "count": 2,
                                                "autoprobe": True, "dry_run": True},
              passd.calls[-1])
        check(r.stdout == "Would:\n  1. 0000:41:00.0: 1 -> 2 VFs (autoprobe on)\n", r.stdout)
        r = run(socket_args + ["sriov", "set", "41:00.0", "1"])
        check(last_call(passd, "SetNumVFs") == {"pf": "0000:41:00.0", "count": 1},
              passd.calls[-1])
        check(r.stdout == "nothing to do\n", r.stdout)
        r = run(socket_args + ["sriov", "set", "41:00.0", "9"])
        check_one_error_line(r, 2, re.escape("passd rejected the value of 'count': at most 4"))
    finally:
        passd.stop()


def test_sriov_usage_errors_are_local():
    passd, socket_args = with_passd(passd_handler)
    try:
        for args in (["sriov"], ["sriov", "frob"], ["sriov", "set"], ["sriov", "set", "41:00.0"],
                     ["sriov", "set", "41:00.0", "-1"], ["sriov", "set", "41:00.0", "many"],
                     ["sriov", "set", "41:00.0", "4097"], ["sriov", "set", "41:00.0", "2", "x"],
                     ["sriov", "set", "41:00.0", "2", "--autoprobe", "--no-autoprobe"],
                     ["sriov", "set", "41:0g.0", "2"], ["sriov", "show", "41:00.0", "x"],
                     ["sriov", "show", "nonsense"]):
            r = run(socket_args + args)
            check(r.returncode == 2, (args, r.returncode, r.stderr))
            check(re.fullmatch(r"passctl: .*\(see 'passctl sriov --help'\)\n", r.stderr),
                  (args, r.stderr))
        check(passd.connections == 0, "no round trip for a usage error")
        for args in (["sriov", "--help"], ["sriov", "set", "--help"], ["sriov", "show", "--help"]):
            r = run(args)
            check(r.returncode == 0 and r.stdout.startswith("Usage:\n  passctl sriov"),
                  (args, r.stdout[:60]))
        r = run(["sriov", "set", "--help"])
        for option in ("--no-autoprobe", "--autoprobe", "--force", "--dry-run", "--json",
                       "PF COUNT"):
            check(option in r.stdout, option)
    finally:
        passd.stop()


def main():
    tests = [v for k, v in globals().items() if k.startswith("test_") and callable(v)]
    print(f"1..{len(tests)}")
    tap = Tap()
    for test in tests:
        tap.run(test)
    sys.exit(1 if tap.failed else 0)


if __name__ == "__main__":
    main()
