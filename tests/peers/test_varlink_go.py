#!/usr/bin/python3
"""varlink-go (github.com/varlink/go, Debian's golang-github-varlink-go-dev) against passd.

The Go peer (varlink-go/main.go, built by meson) makes the calls and prints what it got; this
script starts passd, runs it, and judges the output. Usage: test_varlink_go.py PEER_BINARY"""

import json
import os
import subprocess
import sys

from peer import passd, topology as T

MANAGER = "io.passd.Manager."
IDL = os.environ.get("PASSD_IDL") or os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                                  "..", "..", "proto", "io.passd.Manager.varlink")
PEER = None


class VarlinkGo(passd.PassdCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        p = subprocess.run([PEER, "unix:" + cls.passd.socket, "02:10.2"], capture_output=True,
                           text=True, timeout=60 * passd.SCALE)
        cls.peer_rc, cls.peer_err = p.returncode, p.stderr
        cls.out = json.loads(p.stdout) if p.stdout.strip() else {}

    def setUp(self):
        self.assertEqual(self.peer_rc, 0, self.peer_err)

    def test_no_transport_errors(self):
        self.assertEqual(self.out["errors"], None, self.out["errors"])

    def test_get_info(self):
        info = self.out["Info"]
        self.assertIn("io.passd.Manager", info["Interfaces"])
        self.assertIn("org.varlink.service", info["Interfaces"])
        self.assertNotEqual(info["Version"], "")

    def test_interface_description(self):
        with open(IDL, encoding="utf-8") as f:
            self.assertEqual(self.out["description"], f.read())

    def test_list_devices(self):
        got = {d["address"]: d for d in self.out["devices"]}
        self.assertEqual(sorted(got), sorted(self.topo.devices))
        self.assertEqual(got[T.GPU], self.topo.expected_device(T.GPU))

    def test_get_device(self):
        self.assertEqual(self.out["device"], self.topo.expected_device(T.IGB_VFS[1]))

    def test_no_such_device(self):
        err = self.out["no_such_device"]
        self.assertEqual(err["error"], MANAGER + "NoSuchDevice")
        self.assertEqual(err["parameters"].get("address"), T.MISSING)

    def test_watch_without_more(self):
        self.assertEqual(self.out["expected_more"], "org.varlink.service.ExpectedMore")

    def test_watch_with_more(self):
        self.assertEqual(self.out["watch_first"]["type"], "subscribed")
        self.assertIs(self.out["watch_continues"], True)


if __name__ == "__main__":
    PEER = sys.argv.pop(1)
    passd.run_tests()
