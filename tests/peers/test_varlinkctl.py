#!/usr/bin/python3
"""systemd's varlinkctl (257, from tests/peers/get-varlinkctl.sh) against a live passd.

A second, independent implementation of varlink and of the IDL grammar: if varlinkctl can
introspect and call passd, other real-world clients can too. Skips (77) when varlinkctl cannot
be had (no network on first use)."""

import json
import os
import select
import subprocess
import sys

from peer import SKIP, passd, topology as T

MANAGER = "io.passd.Manager."


def find_varlinkctl():
    if os.environ.get("VARLINKCTL"):
        return os.environ["VARLINKCTL"]
    script = os.path.join(os.path.dirname(os.path.abspath(__file__)), "get-varlinkctl.sh")
    p = subprocess.run([script], capture_output=True, text=True)
    if p.returncode != 0:
        sys.stderr.write("get-varlinkctl.sh failed:\n%s" % p.stderr)
        return None
    return p.stdout.strip()


VARLINKCTL = None


class Varlinkctl(passd.PassdCase):
    def run_v(self, *args, timeout=30):
        return subprocess.run([VARLINKCTL] + list(args), capture_output=True, text=True,
                              timeout=timeout * passd.SCALE)

    @property
    def address(self):
        return "unix:" + self.passd.socket

    def ok(self, *args):
        p = self.run_v(*args)
        self.assertEqual(p.returncode, 0, "varlinkctl %s\nstdout: %s\nstderr: %s" %
                         (" ".join(args), p.stdout, p.stderr))
        return p.stdout

    def test_info(self):
        out = self.ok("info", self.address)
        self.assertIn("io.passd.Manager", out)
        self.assertIn("org.varlink.service", out)
        info = json.loads(self.ok("--json=short", "info", self.address))
        self.assertIn("io.passd.Manager", info["interfaces"])

    def test_introspect(self):
        out = self.ok("introspect", self.address, "io.passd.Manager")
        self.assertIn("interface io.passd.Manager", out)
        for word in ("type Device", "type Event", "method GetStatus", "method ListDevices",
                     "method GetDevice", "method Watch", "error NoSuchDevice",
                     "error HypervisorUnavailable"):
            self.assertIn(word, out)

    def test_call_list(self):
        got = json.loads(self.ok("call", self.address, MANAGER + "ListDevices", "{}"))
        by_address = {d["address"]: d for d in got["devices"]}
        self.assertEqual(sorted(by_address), sorted(self.topo.devices))
        for address, device in by_address.items():
            self.assertEqual(device, self.topo.expected_device(address))

    def test_call_list_filtered(self):
        got = json.loads(self.ok("call", self.address, MANAGER + "ListDevices",
                                 json.dumps({"sriov": "vf", "vendor_id": "0x8086"})))
        self.assertEqual(sorted(d["address"] for d in got["devices"]), sorted(T.IGB_VFS))

    def test_call_get_device(self):
        got = json.loads(self.ok("call", self.address, MANAGER + "GetDevice",
                                 json.dumps({"address": "pci_0000_8a_00_2"})))
        self.assertEqual(got, {"device": self.topo.expected_device(T.MLX_VFS[0])})

    def test_call_get_device_unknown(self):
        p = self.run_v("call", self.address, MANAGER + "GetDevice",
                       json.dumps({"address": "09:00.0"}))
        self.assertNotEqual(p.returncode, 0)
        self.assertIn(MANAGER + "NoSuchDevice", p.stderr)

    def test_call_get_device_malformed(self):
        p = self.run_v("call", self.address, MANAGER + "GetDevice", json.dumps({"address": 7}))
        self.assertNotEqual(p.returncode, 0)
        self.assertIn("org.varlink.service.InvalidParameter", p.stderr)

    def test_watch_more(self):
        proc = subprocess.Popen([VARLINKCTL, "--json=short", "call", "--more", self.address,
                                 MANAGER + "Watch", "{}"],
                                stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        try:
            ready, _, _ = select.select([proc.stdout], [], [], 10 * passd.SCALE)
            self.assertTrue(ready, "no Watch reply within the timeout")
            # --more output is a JSON sequence (RFC 7464): each record starts with RS
            first = json.loads(proc.stdout.readline().lstrip("\x1e"))
            self.assertEqual(first["event"]["type"], "subscribed")
            self.assertIsNone(proc.poll(), "varlinkctl ended: the call should continue")
        finally:
            proc.terminate()
            proc.wait(10)
            proc.stdout.close()
        self.assertIn("connected", self.call(MANAGER + "GetStatus"))


if __name__ == "__main__":
    VARLINKCTL = find_varlinkctl()
    if not VARLINKCTL:
        sys.exit(SKIP)
    passd.run_tests()
