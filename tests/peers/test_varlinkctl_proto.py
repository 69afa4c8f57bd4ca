#!/usr/bin/python3
"""systemd's varlinkctl against the protocol library alone (tests/peers/proto-service).

Catches wire-format mistakes (extra reply keys, framing, error shape) and checks that the
built-in org.varlink.service description parses with systemd's IDL parser, independently of
passd's own methods. Usage: test_varlinkctl_proto.py PROTO-SERVICE. Skips (77) when varlinkctl
cannot be had (no network on first use)."""

import json
import os
import subprocess
import sys
import tempfile
import unittest

SKIP = 77
SERVICE = None
VARLINKCTL = None


def find_varlinkctl():
    if os.environ.get("VARLINKCTL"):
        return os.environ["VARLINKCTL"]
    script = os.path.join(os.path.dirname(os.path.abspath(__file__)), "get-varlinkctl.sh")
    p = subprocess.run([script], capture_output=True, text=True)
    if p.returncode != 0:
        sys.stderr.write("get-varlinkctl.sh failed:\n%s" % p.stderr)
        return None
    return p.stdout.strip()


class ProtoService(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.TemporaryDirectory(prefix="passd-peer-")
        cls.socket = os.path.join(cls.tmp.name, "sub", "socket")
        cls.proc = subprocess.Popen([SERVICE, cls.socket], stdout=subprocess.PIPE, text=True)
        line = cls.proc.stdout.readline()
        if line.strip() != "READY":
            cls.proc.kill()
            raise RuntimeError("proto-service did not start: %r" % line)
        cls.address = "unix:" + cls.socket

    @classmethod
    def tearDownClass(cls):
        cls.proc.terminate()
        cls.proc.wait(timeout=10)
        cls.tmp.cleanup()

    def run_v(self, *args, input=None):
        return subprocess.run([VARLINKCTL] + list(args), capture_output=True, text=True,
                              input=input, timeout=30)

    def ok(self, *args):
        p = self.run_v(*args)
        self.assertEqual(p.returncode, 0, "varlinkctl %s\nstdout: %s\nstderr: %s" %
                         (" ".join(args), p.stdout, p.stderr))
        return p.stdout

    def call(self, method, params=None, *flags):
        out = self.ok("call", "--json=short", *flags, self.address, method,
                      json.dumps(params or {}))
        return [json.loads(line) for line in out.splitlines() if line.strip()]

    def test_info(self):
        out = self.ok("info", self.address)
        self.assertIn("proto-service", out)
        self.assertIn("org.example.peer", out)

    def test_list_interfaces(self):
        out = self.ok("list-interfaces", self.address).split()
        self.assertEqual(sorted(out), ["org.example.peer", "org.varlink.service"])

    def test_introspect_service_interface(self):
        # varlinkctl parses the description with systemd's IDL parser before printing it.
        out = self.ok("introspect", self.address, "org.varlink.service")
        for name in ("GetInfo", "GetInterfaceDescription", "InterfaceNotFound",
                     "MethodNotFound", "MethodNotImplemented", "InvalidParameter",
                     "PermissionDenied", "ExpectedMore"):
            self.assertIn(name, out)

    def test_service_idl_validates(self):
        text = subprocess.run([SERVICE, "--print-service-idl"], capture_output=True, text=True,
                              check=True).stdout
        p = self.run_v("validate-idl", input=text)
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)

    def test_introspect_peer_interface(self):
        out = self.ok("introspect", self.address, "org.example.peer")
        self.assertIn("method Stream", out)

    def test_echo(self):
        self.assertEqual(self.call("org.example.peer.Echo", {"value": "hi", "number": 7}),
                         [{"value": "hi", "number": 7}])

    def test_more(self):
        replies = self.call("org.example.peer.Stream", {}, "--more")
        self.assertEqual([r["n"] for r in replies], [0, 1, 2, 3])

    def test_expected_more(self):
        p = self.run_v("call", self.address, "org.example.peer.Stream", "{}")
        self.assertNotEqual(p.returncode, 0)
        self.assertIn("org.varlink.service.ExpectedMore", p.stdout + p.stderr)

    def test_oneway(self):
        self.ok("call", "--oneway", self.address, "org.example.peer.Echo", "{}")

    def test_error(self):
        p = self.run_v("call", self.address, "org.example.peer.Fail", "{}")
        self.assertNotEqual(p.returncode, 0)
        self.assertIn("org.example.peer.NotHere", p.stdout + p.stderr)
        self.assertIn("0000:00:1f.0", p.stdout + p.stderr)

    def test_unknown_method(self):
        p = self.run_v("call", self.address, "org.example.peer.Nope", "{}")
        self.assertNotEqual(p.returncode, 0)
        self.assertIn("org.varlink.service.MethodNotFound", p.stdout + p.stderr)

    def test_unknown_interface(self):
        p = self.run_v("call", self.address, "org.example.nope.Nope", "{}")
        self.assertNotEqual(p.returncode, 0)
        self.assertIn("org.varlink.service.InterfaceNotFound", p.stdout + p.stderr)


if __name__ == "__main__":
    SERVICE = sys.argv.pop(1)
    VARLINKCTL = find_varlinkctl()
    if not VARLINKCTL:
        print("1..0 # SKIP varlinkctl unavailable")
        sys.exit(SKIP)
    unittest.main(verbosity=2)
