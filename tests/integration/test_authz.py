#!/usr/bin/python3
"""Who may do what: reads for anyone who can open the socket, writes for root and --group.

The suite runs as root; the unprivileged peer is `nobody` (uid 65534) in a child process made
by subprocess's user=/group=/extra_groups=, so passd sees real SO_PEERCRED/SO_PEERGROUPS
credentials. The configured group is an existing system group nobody is not a member of.
"""

import grp
import json
import os
import stat
import subprocess
import unittest

import passd
import topology as T

MANAGER = "io.passd.Manager."
SERVICE = "org.varlink.service."
NOBODY = 65534
EMPTY_ROOT = passd.scratch_dir("passd-empty-root-")
# the system's, as meson runs these tests with: one under root's home would be out of reach
PYTHON = "/usr/bin/python3"


def pick_group():
    """A group other than root's and nogroup that nobody is not in; None if there is none."""
    for name in ("kvm", "adm", "daemon"):
        try:
            g = grp.getgrnam(name)
        except KeyError:
            continue
        if g.gr_gid not in (0, NOBODY) and "nobody" not in g.gr_mem:
            return g
    return None


GROUP = pick_group()

# Run in the child: connects, makes each call in turn, prints the replies as a JSON list (or
# {"connect": errno} when it cannot connect).
CLIENT = r"""
import json, socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
try:
    s.connect(sys.argv[1])
except OSError as e:
    print(json.dumps({"connect": e.errno}))
    sys.exit(0)
s.settimeout(30)
buf, out = b"", []
for call in json.loads(sys.argv[2]):
    s.sendall(json.dumps(call).encode() + b"\0")
    while b"\0" not in buf:
        chunk = s.recv(1 << 16)
        if not chunk:
            out.append("closed")
            print(json.dumps(out))
            sys.exit(0)
        buf += chunk
    raw, buf = buf.split(b"\0", 1)
    out.append(json.loads(raw))
print(json.dumps(out))
"""


def as_user(argv, uid=NOBODY, gid=NOBODY, extra_groups=(), **kw):
    # extra_groups always given: else the child keeps root's supplementary groups
    return subprocess.run(argv, user=uid, group=gid, extra_groups=list(extra_groups), cwd="/",
                          capture_output=True, text=True, timeout=30 * passd.SCALE, **kw)


def needs_root_and_group(cls):
    if os.geteuid() != 0:
        return unittest.skip("needs root (to run clients as nobody)")(cls)
    if GROUP is None:
        return unittest.skip("no system group to configure")(cls)
    return cls


class AuthzCase(passd.PassdCase):
    """passd with --group, its socket open to everyone."""

    EXTRA_ARGS = ("--host-root", EMPTY_ROOT, "--group", GROUP.gr_name if GROUP else "",
                  "--socket-mode", "0666")

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        os.chmod(cls.passd.dir, 0o711)  # mkdtemp's 0700 would keep nobody out

    def calls_as(self, calls, **kw):
        """Each (method, parameters) called as nobody on one connection: the replies."""
        msgs = [{"method": MANAGER + m if "." not in m else m, "parameters": p} for m, p in calls]
        p = as_user([PYTHON, "-c", CLIENT, self.passd.socket, json.dumps(msgs)], **kw)
        self.assertEqual(p.returncode, 0, p.stderr)
        return json.loads(p.stdout)

    def state(self):
        return (self.call(MANAGER + "ListDevices"),
                [self.call(MANAGER + "GetDomain", {"domain": d})
                 for d in (T.VM_RUNNING, T.VM_STOPPED)])


@needs_root_and_group
class Authz(AuthzCase):
    def test_socket_file(self):
        st = os.stat(self.passd.socket)
        self.assertEqual((stat.S_IMODE(st.st_mode), st.st_uid, st.st_gid), (0o666, 0, GROUP.gr_gid))

    def test_reads_for_anyone(self):
        replies = self.calls_as([("GetStatus", {}), ("ListDevices", {}),
                                 ("GetDevice", {"address": T.GPU}),
                                 ("GetDomain", {"domain": T.VM_RUNNING}),
                                 (SERVICE + "GetInfo", {})])
        for r in replies:
            self.assertNotIn("error", r, r)
        self.assertIs(replies[0]["parameters"]["connected"], True)
        self.assertEqual(replies[1]["parameters"], self.call(MANAGER + "ListDevices"))
        self.assertEqual(replies[3]["parameters"]["name"], T.VM_RUNNING)

    def test_watch_for_anyone(self):
        msg = {"method": MANAGER + "Watch", "parameters": {}, "more": True}
        p = as_user([PYTHON, "-c", CLIENT, self.passd.socket, json.dumps([msg])])
        reply = json.loads(p.stdout)[0]
        self.assertIs(reply.get("continues"), True, reply)
        self.assertEqual(reply["parameters"]["event"]["type"], "subscribed")

    WRITES = [
        ("Attach", {"domain": T.VM_STOPPED, "address": T.NODRV}),
        ("Attach", {"domain": T.VM_STOPPED, "address": T.NODRV, "dry_run": True}),
        ("Detach", {"domain": T.VM_RUNNING, "address": T.GPU}),
        ("Detach", {"domain": T.VM_RUNNING, "address": T.GPU, "dry_run": True}),
        ("Reattach", {"address": T.NODRV}),
        ("SetNumVFs", {"pf": T.IGB_PF, "count": 2}),
        ("SetNumVFs", {"pf": T.IGB_PF, "count": 2, "dry_run": True}),
        # refused before the parameters are looked at: nothing about them leaks
        ("Attach", {"bogus": 1}),
        ("Reattach", {}),
    ]

    def test_writes_denied(self):
        before = self.state()
        replies = self.calls_as(self.WRITES)
        for (method, params), reply in zip(self.WRITES, replies):
            with self.subTest(method=method, params=params):
                self.assertEqual(reply, {"error": MANAGER + "PermissionDenied",
                                         "parameters": {"method": MANAGER + method}})
        self.assertEqual(self.state(), before)

    def test_primary_group_not_enough_without_config(self):
        # nogroup is nobody's primary group; it is not the configured one
        replies = self.calls_as(self.WRITES[:1], gid=NOBODY, extra_groups=[NOBODY])
        self.assertEqual(replies[0]["error"], MANAGER + "PermissionDenied")

    def check_member_allowed(self, **kw):
        replies = self.calls_as([
            ("Attach", {"domain": T.VM_STOPPED, "address": T.IGB_VFS[2], "dry_run": True}),
            ("Detach", {"domain": T.VM_RUNNING, "address": T.GPU, "dry_run": True}),
            ("Reattach", {"address": T.NODRV}),
            ("Attach", {"bogus": 1}),
        ], **kw)
        self.assertEqual(replies[0]["parameters"]["devices"], [T.IGB_VFS[2]], replies[0])
        self.assertEqual(replies[1]["parameters"]["actions"][0]["action"], "detach", replies[1])
        self.assertEqual(replies[2], {"parameters": {"actions": []}})
        self.assertEqual(replies[3], {"error": SERVICE + "InvalidParameter",
                                      "parameters": {"parameter": "bogus"}})

    def test_supplementary_member_allowed(self):
        self.check_member_allowed(extra_groups=[GROUP.gr_gid])

    def test_primary_member_allowed(self):
        self.check_member_allowed(gid=GROUP.gr_gid)

    def passctl(self, *args, **kw):
        env = {"PATH": "/usr/bin:/bin", "LANG": "C.UTF-8"}
        return as_user([passd.binary("PASSCTL"), "--socket", self.passd.socket] + list(args),
                       env=env, **kw)

    def test_passctl_denied_exits_4(self):
        p = self.passctl("list")
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertIn(T.GPU, p.stdout)
        for args in (("attach", T.VM_STOPPED, T.NODRV, "--dry-run"),
                     ("detach", T.VM_RUNNING, T.GPU),
                     ("reattach", T.NODRV)):
            with self.subTest(args=args):
                p = self.passctl(*args)
                self.assertEqual(p.returncode, 4, (p.stdout, p.stderr))
                method = MANAGER + args[0].capitalize()
                self.assertEqual(p.stderr, "passctl: permission denied: not allowed to call %s\n"
                                 % method)
        p = self.passctl("attach", T.VM_STOPPED, T.NODRV, "--dry-run",
                         extra_groups=[GROUP.gr_gid])
        self.assertEqual(p.returncode, 0, p.stderr)


@needs_root_and_group
class ConnectionsPerUid(AuthzCase):
    """Each uid has its own cap: root at its cap does not lock nobody out."""

    CAP = 6
    EXTRA_ARGS = AuthzCase.EXTRA_ARGS + ("--max-connections-per-uid", str(CAP))

    def test_cap_per_uid(self):
        held = [self.passd.connect() for _ in range(self.CAP)]
        try:
            for c in held:
                self.assertIn("connected", c.call(MANAGER + "GetStatus"))
            with self.passd.connect() as over:
                self.assertTrue(over.wait_closed(10), "a connection over the cap stayed open")
            # another uid is still served
            self.assertIs(self.calls_as([("GetStatus", {})])[0]["parameters"]["connected"], True)
        finally:
            for c in held:
                c.close()
        self.assertIn("uid 0 has the limit of %d per uid" % self.CAP, self.passd.log())
        # the slots come back
        self.assertIn("connected", self.call(MANAGER + "GetStatus"))


@unittest.skipUnless(os.geteuid() == 0, "needs root (to run clients as nobody)")
class RootOnlyByDefault(passd.PassdCase):
    """Without --group the socket stays as before: root's alone."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        os.chmod(cls.passd.dir, 0o711)

    def test_socket_mode(self):
        st = os.stat(self.passd.socket)
        self.assertEqual((stat.S_IMODE(st.st_mode), st.st_uid, st.st_gid), (0o600, 0, 0))

    def test_nobody_cannot_connect(self):
        p = as_user([PYTHON, "-c", CLIENT, self.passd.socket, "[]"])
        self.assertEqual(json.loads(p.stdout), {"connect": 13})  # EACCES
        p = as_user([passd.binary("PASSCTL"), "--socket", self.passd.socket, "status"])
        self.assertEqual(p.returncode, 4, p.stderr)
        self.assertIn("not allowed to use its socket", p.stderr)


class Options(unittest.TestCase):
    """Bad values of the new options: a clear message, exit 2, before anything starts."""

    def run_passd(self, *args):
        d = passd.scratch_dir("passd-opts-")
        p = subprocess.run([passd.binary("PASSD"), "--connect", "test:///default", "--socket",
                            os.path.join(d, "sock")] + list(args),
                           capture_output=True, text=True, timeout=30 * passd.SCALE)
        self.assertFalse(os.path.exists(os.path.join(d, "sock")))
        os.rmdir(d)
        return p

    def test_bad_values(self):
        for args, text in ((("--group", "no-such-group-here"), "--group"),
                           (("--max-connections", "0"), "--max-connections"),
                           (("--max-connections", "4097"), "--max-connections"),
                           (("--max-connections", "ten"), "--max-connections"),
                           (("--max-connections", "-1"), "--max-connections"),
                           (("--max-connections-per-uid", "0"), "--max-connections-per-uid"),
                           (("--max-connections-per-uid", "99999999999"),
                            "--max-connections-per-uid"),
                           (("--socket-mode", "0999"), "--socket-mode"),
                           (("--socket-mode", "01777"), "--socket-mode"),
                           (("--socket-mode", "rw"), "--socket-mode")):
            with self.subTest(args=args):
                p = self.run_passd(*args)
                self.assertEqual(p.returncode, 2, p.stderr)
                self.assertTrue(p.stderr.startswith("passd: " + text), p.stderr)
                self.assertEqual(p.stderr.count("\n"), 1, p.stderr)


if __name__ == "__main__":
    passd.run_tests()
