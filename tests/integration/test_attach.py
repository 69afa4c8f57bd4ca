#!/usr/bin/python3
"""Attach, Detach and Reattach end to end against libvirt's test driver.

libvirt 9.0's test driver implements neither node-device detach nor device attach, and shows
every device unbound, so what can be checked here is everything up to the first change: the
validation errors with their parameters, dry runs (the actions and the XML), and that a real
attempt fails cleanly with nothing left behind. The transactions themselves are unit-tested
(tests/daemon/test-engine-attach.c) and proven in the lab. passd runs with an empty --host-root
so that its protection check sees no host file systems or routes (only the PCI class rules,
e.g. bridges, apply), whatever this machine has at the topology's addresses.
"""

import re
import subprocess

import passd
import topology as T

MANAGER = "io.passd.Manager."
SERVICE = "org.varlink.service."
EMPTY_ROOT = passd.scratch_dir("passd-empty-root-")


class AttachTest(passd.PassdCase):
    EXTRA_ARGS = ("--host-root", EMPTY_ROOT)

    def domain(self, name):
        return self.call(MANAGER + "GetDomain", {"domain": name})

    def owners(self, address):
        return self.call(MANAGER + "GetDevice", {"address": address})["device"]["owners"]

    def test_attach_dry_run(self):
        vf = T.IGB_VFS[2]
        for name in (T.VM_RUNNING, T.VM_STOPPED):
            with self.subTest(domain=name):
                dom = self.domain(name)
                reply = self.call(MANAGER + "Attach",
                                  {"domain": name, "address": "02:10.4", "dry_run": True})
                self.assertEqual(reply["devices"], [vf])
                host, attach = reply["actions"]
                self.assertEqual(host, {"action": "detach_host", "address": vf,
                                        "driver_from": None, "driver_to": "vfio-pci",
                                        "driver_to_default": False, "domain": None, "live": None, "config": None,
                                        "xml": None, "numvfs_from": None, "numvfs_to": None,
                                        "autoprobe": None})
                self.assertEqual(attach["action"], "attach")
                self.assertEqual(attach["domain"], name)
                # default: config when persistent, live when running
                self.assertEqual(attach["config"], dom["persistent"])
                self.assertEqual(attach["live"], dom["state"] == "running")
                xml = attach["xml"]
                self.assertIn("<hostdev mode=\"subsystem\" type=\"pci\" managed=\"no\">", xml)
                self.assertRegex(xml, r'domain="0x0000" bus="0x02" slot="0x10" '
                                      r'function="0x4"')
                self.assertIsNone(attach["driver_from"])
        self.assertEqual(self.owners(vf), [])

    def test_attach_interface_dry_run(self):
        reply = self.call(MANAGER + "Attach", {"domain": T.VM_STOPPED, "address": T.IGB_VFS[2],
                                               "interface": True, "dry_run": True})
        self.assertIn("<interface type=\"hostdev\" managed=\"no\">", reply["actions"][1]["xml"])

    def test_attach_interface_mac_vlan_dry_run(self):
        reply = self.call(MANAGER + "Attach", {"domain": T.VM_STOPPED, "address": T.IGB_VFS[2],
                                               "interface": True, "mac": "52:54:00:AA:BB:01",
                                               "vlan": 42, "dry_run": True})
        xml = reply["actions"][-1]["xml"]
        self.assertIn("<mac address=\"52:54:00:aa:bb:01\"/>", xml)
        self.assertIn("<tag id=\"42\"/>", xml)
        # without a MAC: passd's, the same every time
        again = [self.call(MANAGER + "Attach", {"domain": T.VM_STOPPED, "address": T.IGB_VFS[2],
                                                "interface": True, "dry_run": True})
                 ["actions"][-1]["xml"] for _ in range(2)]
        self.assertEqual(again[0], again[1])
        self.assertRegex(again[0], r'<mac address="[0-9a-f][26ae](:[0-9a-f]{2}){5}"/>')

    def test_attach_interface_bad_mac_vlan(self):
        base = {"domain": T.VM_STOPPED, "address": T.IGB_VFS[2], "dry_run": True}
        for extra, name in (({"interface": True, "mac": "52:54:00:aa:bb"}, "mac"),
                            ({"interface": True, "mac": "01:00:5e:00:00:01"}, "mac"),
                            ({"interface": True, "vlan": 4095}, "vlan"),
                            ({"interface": True, "vlan": 0}, "vlan"),
                            ({"mac": "52:54:00:aa:bb:01"}, "mac"),
                            ({"vlan": 42}, "vlan")):
            with self.subTest(extra=extra):
                err = self.assertVarlinkError(SERVICE + "InvalidParameter", MANAGER + "Attach",
                                              dict(base, **extra))
                self.assertEqual(err, {"parameter": name})

    def test_attach_in_use(self):
        err = self.assertVarlinkError(MANAGER + "DeviceInUse", MANAGER + "Attach",
                                      {"domain": T.VM_STOPPED, "address": T.IGB_VFS[0]})
        self.assertEqual(err["address"], T.IGB_VFS[0])
        self.assertEqual(err["owners"], [T.VM_RUNNING])
        self.assertIn("message", err)
        # held by a domain that is not running: in use all the same
        err = self.assertVarlinkError(MANAGER + "DeviceInUse", MANAGER + "Attach",
                                      {"domain": T.VM_RUNNING, "address": T.IGB_VFS[1],
                                       "dry_run": True})
        self.assertEqual(err["owners"], [T.VM_STOPPED])
        # already in this very domain
        err = self.assertVarlinkError(MANAGER + "DeviceInUse", MANAGER + "Attach",
                                      {"domain": T.VM_RUNNING, "address": T.GPU})
        self.assertIn("already assigned", err["message"])

    def test_attach_pf_of_assigned_vf(self):
        err = self.assertVarlinkError(MANAGER + "DeviceInUse", MANAGER + "Attach",
                                      {"domain": T.VM_STOPPED, "address": T.IGB_PF,
                                       "force": True})
        self.assertEqual(err["address"], T.IGB_PF)
        self.assertIn(T.VM_RUNNING, err["owners"])

    def test_attach_no_such(self):
        err = self.assertVarlinkError(MANAGER + "NoSuchDomain", MANAGER + "Attach",
                                      {"domain": "nope", "address": T.NODRV})
        self.assertEqual(err["domain"], "nope")
        err = self.assertVarlinkError(MANAGER + "NoSuchDevice", MANAGER + "Attach",
                                      {"domain": T.VM_RUNNING, "address": T.MISSING})
        self.assertEqual(err["address"], T.MISSING)

    def test_attach_protected_bridge(self):
        err = self.assertVarlinkError(MANAGER + "DeviceProtected", MANAGER + "Attach",
                                      {"domain": T.VM_STOPPED, "address": T.RP0})
        self.assertEqual(err["address"], T.RP0)
        self.assertIn("bridge", err["reason"])

    def test_attach_live_on_shutoff(self):
        err = self.assertVarlinkError(SERVICE + "InvalidParameter", MANAGER + "Attach",
                                      {"domain": T.VM_STOPPED, "address": T.NODRV, "live": True})
        self.assertEqual(err["parameter"], "live")
        self.assertIn("not running", err["message"])

    def test_attach_bad_parameters(self):
        for params, name in (({"domain": T.VM_STOPPED}, "address"),
                             ({"domain": T.VM_STOPPED, "address": "zz"}, "address"),
                             ({"domain": T.VM_STOPPED, "address": T.NODRV, "force": "yes"},
                              "force"),
                             ({"address": T.NODRV}, "domain"),
                             ({"domain": T.VM_STOPPED, "address": T.NODRV, "x": 1}, "x")):
            with self.subTest(params=params):
                err = self.assertVarlinkError(SERVICE + "InvalidParameter", MANAGER + "Attach",
                                              params)
                self.assertEqual(err, {"parameter": name})

    def test_attach_fails_cleanly(self):
        # the test driver cannot detach node devices: the first step fails, nothing changes
        err = self.assertVarlinkError(MANAGER + "HypervisorError", MANAGER + "Attach",
                                      {"domain": T.VM_STOPPED, "address": T.NODRV})
        self.assertTrue(err["message"].endswith("; nothing was changed"), err["message"])
        self.assertEqual(self.owners(T.NODRV), [])
        self.assertEqual(self.passd.call(MANAGER + "GetDevice",
                                         {"address": T.NODRV})["device"]["driver"], None)

    def test_detach(self):
        reply = self.call(MANAGER + "Detach", {"domain": T.VM_RUNNING, "address": T.GPU,
                                               "dry_run": True})
        detach = reply["actions"][0]
        self.assertEqual(detach["action"], "detach")
        self.assertEqual(detach["domain"], T.VM_RUNNING)
        self.assertTrue(detach["live"])
        self.assertRegex(detach["xml"], r'bus="0x03" slot="0x00" function="0x0"')
        err = self.assertVarlinkError(MANAGER + "DeviceNotAssigned", MANAGER + "Detach",
                                      {"domain": T.VM_RUNNING, "address": T.NODRV})
        self.assertEqual((err["domain"], err["address"]), (T.VM_RUNNING, T.NODRV))
        err = self.assertVarlinkError(MANAGER + "NoSuchDomain", MANAGER + "Detach",
                                      {"domain": "nope", "address": T.GPU})
        err = self.assertVarlinkError(SERVICE + "InvalidParameter", MANAGER + "Detach",
                                      {"domain": T.VM_RUNNING, "address": T.GPU, "timeout": -3})
        self.assertEqual(err, {"parameter": "timeout"})

    def test_detach_fails_cleanly(self):
        # the test driver cannot unplug either: the error passes libvirt's message on, the
        # device stays assigned and nothing is left pending
        err = self.assertVarlinkError(MANAGER + "HypervisorError", MANAGER + "Detach",
                                      {"domain": T.VM_RUNNING, "address": T.GPU_AUDIO,
                                       "timeout": 1})
        self.assertIn(T.VM_RUNNING, err["message"])
        self.assertEqual(self.owners(T.GPU_AUDIO), [T.VM_RUNNING])
        pending = [a["removal_pending"] for a in self.domain(T.VM_RUNNING)["devices"]]
        self.assertEqual(pending, [False] * len(pending))

    def test_reattach(self):
        err = self.assertVarlinkError(MANAGER + "DeviceInUse", MANAGER + "Reattach",
                                      {"address": T.GPU})
        self.assertEqual(err["owners"], [T.VM_RUNNING])
        # unbound here (the test driver shows no drivers): nothing to give back
        self.assertEqual(self.call(MANAGER + "Reattach", {"address": T.NODRV}), {"actions": []})

    def test_get_domain_not_pending(self):
        for assignment in self.domain(T.VM_RUNNING)["devices"]:
            self.assertFalse(assignment["removal_pending"])

    def test_get_domain_mac_vlan(self):
        devices = {a["address"]: a for a in self.domain(T.VM_STOPPED)["devices"]}
        nic, other = devices[T.IGB_VFS[1]], devices[T.MLX_VFS[0]]
        self.assertTrue(nic["interface"])
        self.assertEqual((nic["mac"], nic["vlan"]), ("52:54:00:00:0a:00", 42))
        self.assertFalse(other["interface"])
        self.assertEqual((other["mac"], other["vlan"]), (None, None))
        # passctl vm shows them in its MAC and VLAN columns
        out = subprocess.run([passd.binary("PASSCTL"), "--socket", self.passd.socket, "vm",
                              T.VM_STOPPED], capture_output=True, text=True, check=True,
                             timeout=20 * passd.SCALE).stdout
        header, *rows = out.splitlines()[1:]
        self.assertIn(" MAC ", header)
        self.assertIn(" VLAN ", header)
        row = next(r for r in rows if r.startswith(T.IGB_VFS[1]))
        self.assertRegex(row, r"interface +52:54:00:00:0a:00 +42 ")


if __name__ == "__main__":
    passd.run_tests()
