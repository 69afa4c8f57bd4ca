#!/usr/bin/python3
"""Mediated devices end to end against libvirt's test driver.

The test driver has no mdev parents and cannot create mdevs, so creating, attaching and removing
them is unit-tested (tests/daemon/test-tx-mdev.c) and proven in the lab (tests/lab/test-mdev.sh).
What runs here through the real passd and passctl: ListMdevTypes on a host without parents,
CreateMdev's, RemoveMdev's and Attach-by-type's refusals with their error parameters, the kind
filter, and access
(both write methods need the write permission).
"""

import os
import subprocess

import passd
import topology as T

MANAGER = "io.passd.Manager."
SERVICE = "org.varlink.service."
UUID = "0b5e9a7e-1d4c-4a8e-9f3e-2c4d5e6f7a80"


class MdevTest(passd.PassdCase):
    def passctl(self, *args):
        env = dict(os.environ)
        env.pop("PASSD_SOCKET", None)
        return subprocess.run([passd.binary("PASSCTL"), "--socket", self.passd.socket] +
                              list(args), capture_output=True, text=True, env=env,
                              timeout=20 * passd.SCALE)

    def test_types_none(self):
        self.assertEqual(self.call(MANAGER + "ListMdevTypes"), {"types": []})
        p = self.passctl("mdev", "types")
        self.assertEqual((p.returncode, p.stdout), (0, "No mediated device types on this host.\n"))
        p = self.passctl("mdev", "types", "--json")
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertIn('"types" : [', p.stdout)

    def test_list_kind(self):
        self.assertEqual(self.call(MANAGER + "ListDevices", {"kind": "mdev"}), {"devices": []})
        # other kinds carry no mdev member
        devices = self.call(MANAGER + "ListDevices", {"kind": "pci"})["devices"]
        self.assertTrue(devices)
        self.assertTrue(all("mdev" not in d for d in devices))

    def test_create_refused(self):
        e = self.assertVarlinkError(MANAGER + "NoSuchDevice", MANAGER + "CreateMdev",
                                    {"parent": "mtty", "type": "mtty-1"})
        self.assertEqual(e["address"], "mtty")
        self.assertEqual(e["message"], "mtty is no mdev parent")
        e = self.assertVarlinkError(SERVICE + "InvalidParameter", MANAGER + "CreateMdev",
                                    {"parent": "mtty", "type": "mtty-1", "uuid": "nope"})
        self.assertEqual(e, {"parameter": "uuid"})
        e = self.assertVarlinkError(SERVICE + "InvalidParameter", MANAGER + "CreateMdev",
                                    {"parent": "mtty"})
        self.assertEqual(e, {"parameter": "type"})
        p = self.passctl("mdev", "create", "mtty", "mtty-1")
        self.assertEqual(p.returncode, 1)
        self.assertEqual(p.stderr, "passctl: no such device: mtty is no mdev parent\n")

    def test_attach_type_refused(self):
        # no parent offers the type, or the parent asked for is none: NoSuchDevice naming which
        e = self.assertVarlinkError(MANAGER + "NoSuchDevice", MANAGER + "Attach",
                                    {"domain": T.VM_STOPPED, "mdev_type": "mtty-1"})
        self.assertEqual(e, {"address": "mtty-1",
                             "message": "No mdev parent offers type mtty-1"})
        e = self.assertVarlinkError(MANAGER + "NoSuchDevice", MANAGER + "Attach",
                                    {"domain": T.VM_STOPPED, "mdev_type": "mtty-1",
                                     "parent": "mtty"})
        self.assertEqual(e, {"address": "mtty", "message": "mtty is no mdev parent"})
        p = self.passctl("attach", T.VM_STOPPED, "--mdev-type", "mtty-1", "--parent", "mtty")
        self.assertEqual(p.returncode, 1)
        self.assertEqual(p.stderr, "passctl: no such device: mtty is no mdev parent\n")

    def test_remove_refused(self):
        e = self.assertVarlinkError(MANAGER + "NoSuchDevice", MANAGER + "RemoveMdev",
                                    {"address": "mdev:" + UUID.upper()})
        self.assertEqual(e["address"], "mdev:" + UUID)
        e = self.assertVarlinkError(MANAGER + "NoSuchDevice", MANAGER + "RemoveMdev",
                                    {"address": "0000:02:00.0"})
        self.assertEqual(e["address"], "0000:02:00.0")
        p = self.passctl("mdev", "remove", "mdev:" + UUID)
        self.assertEqual(p.returncode, 1)
        self.assertEqual(p.stderr,
                         "passctl: no mediated device mdev:%s on this host\n" % UUID)
        p = self.passctl("mdev", "remove", "0000:02:00.0")
        self.assertEqual(p.returncode, 2)
        self.assertIn("is no mediated device", p.stderr)


if __name__ == "__main__":
    passd.run_tests()
