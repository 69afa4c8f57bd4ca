#!/usr/bin/python3
"""GetSriov and SetNumVFs end to end against libvirt's test driver.

The test driver cannot create VFs, so the count changes themselves are unit-tested
(tests/daemon/test-tx-sriov.c) and proven in the lab (tests/lab/test-sriov.sh). What runs here
through the real passd: GetSriov's shape (the test driver's PFs, their VFs with index, driver and
owners; autoprobe and the indexes read from a fake sysfs under --host-root), every refusal with
its parameters, a dry run, a change of autoprobe alone (written under the fake root, the VFs left
alone), the desired count recorded under --state-dir and shown again by a new passd, and a
recorded PF the host no longer has reported as vanished.
"""

import os

import passd
import topology as T

MANAGER = "io.passd.Manager."
SERVICE = "org.varlink.service."
ROOT = passd.scratch_dir("passd-sriov-root-")
STATE = passd.scratch_dir("passd-sriov-state-")
IGB_SYSFS = os.path.join(ROOT, "sys/bus/pci/devices", T.IGB_PF)


def fake_sysfs():
    """sysfs of the igb PF as a kernel would show it: 7 VFs at most, 3 enabled, autoprobe on;
    the VFs 02:10.0/.2/.4 as virtfn0..2. The other PFs have no files (nothing to read)."""
    os.makedirs(IGB_SYSFS, exist_ok=True)
    for name, value in (("sriov_totalvfs", "7\n"), ("sriov_numvfs", "3\n"),
                        ("sriov_drivers_autoprobe", "1\n")):
        with open(os.path.join(IGB_SYSFS, name), "w") as f:
            f.write(value)
    for i, vf in enumerate(T.IGB_VFS):
        link = os.path.join(IGB_SYSFS, "virtfn%d" % i)
        if not os.path.islink(link):
            os.symlink("../" + vf, link)


fake_sysfs()


class SriovTest(passd.PassdCase):
    EXTRA_ARGS = ("--host-root", ROOT, "--state-dir", STATE)

    def pfs(self, pf=None):
        return self.call(MANAGER + "GetSriov", {"pf": pf} if pf else {})["pfs"]

    def test_get_sriov(self):
        pfs = self.pfs()
        self.assertEqual([p["address"] for p in pfs], [T.IGB_PF, T.MLX_PF, T.MLX_PF1])
        igb = pfs[0]
        vfs = igb.pop("vfs")
        self.assertEqual(igb, {"address": T.IGB_PF, "present": True, "totalvfs": 7, "numvfs": 3,
                               "desired": igb["desired"], "autoprobe": igb["autoprobe"],
                               "driver": igb["driver"], "numa_node": 0, "state": "settled",
                               "message": None})
        self.assertEqual([(v["index"], v["address"], v["owners"], v["numa_node"]) for v in vfs],
                         [(0, T.IGB_VFS[0], [T.VM_RUNNING], 0),
                          (1, T.IGB_VFS[1], [T.VM_STOPPED], 0),
                          (2, T.IGB_VFS[2], [], 0)])
        self.assertEqual(set(vfs[0]), {"address", "index", "driver", "owners", "numa_node"})
        # no sysfs for the Mellanox PFs: autoprobe unknown, the indexes by position
        mlx = pfs[1]
        self.assertIsNone(mlx["autoprobe"])
        self.assertEqual([(v["index"], v["address"]) for v in mlx["vfs"]],
                         [(0, T.MLX_VFS[0]), (1, T.MLX_VFS[1])])
        self.assertEqual((pfs[2]["numvfs"], pfs[2]["vfs"], pfs[2]["desired"]), (0, [], None))
        self.assertEqual(self.pfs("8a:00.1"), [pfs[2]])

    def test_get_sriov_errors(self):
        err = self.assertVarlinkError(MANAGER + "SriovNotSupported", MANAGER + "GetSriov",
                                      {"pf": T.NODRV})
        self.assertEqual(err["address"], T.NODRV)
        err = self.assertVarlinkError(MANAGER + "NoSuchDevice", MANAGER + "GetSriov",
                                      {"pf": "0000:66:00.0"})
        self.assertEqual(err["address"], "0000:66:00.0")
        err = self.assertVarlinkError(SERVICE + "InvalidParameter", MANAGER + "GetSriov",
                                      {"pf": "nonsense"})
        self.assertEqual(err["parameter"], "pf")

    def test_refusals(self):
        cases = [
            # (parameters, error, its parameters)
            ({"pf": T.IGB_PF, "count": 8}, SERVICE + "InvalidParameter", {"parameter": "count"}),
            ({"pf": T.IGB_PF, "count": 4097}, SERVICE + "InvalidParameter",
             {"parameter": "count"}),
            ({"pf": T.IGB_PF}, SERVICE + "InvalidParameter", {"parameter": "count"}),
            ({"pf": T.IGB_PF, "count": 1, "autoprobe": "no"}, SERVICE + "InvalidParameter",
             {"parameter": "autoprobe"}),
            ({"pf": T.NODRV, "count": 1}, MANAGER + "SriovNotSupported", {"address": T.NODRV}),
            ({"pf": T.IGB_VFS[2], "count": 1}, MANAGER + "SriovNotSupported",
             {"address": T.IGB_VFS[2]}),
            ({"pf": "0000:66:00.0", "count": 1}, MANAGER + "NoSuchDevice",
             {"address": "0000:66:00.0"}),
            # no sysfs for it under the root: the kernel shows no SR-IOV
            ({"pf": T.MLX_PF1, "count": 2}, MANAGER + "SriovNotSupported",
             {"address": T.MLX_PF1}),
        ]
        for params, name, expected in cases:
            with self.subTest(params=params):
                err = self.assertVarlinkError(name, MANAGER + "SetNumVFs", params)
                for key, value in expected.items():
                    self.assertEqual(err[key], value)
        err = self.assertVarlinkError(SERVICE + "InvalidParameter", MANAGER + "SetNumVFs",
                                      {"pf": T.IGB_PF, "count": 8})
        self.assertEqual(err["message"], "%s supports at most 7 VFs (sriov_totalvfs), not 8" %
                         T.IGB_PF)

    def test_vfs_in_use(self):
        # two VFs are held by domains: never, not even with force; nothing changes
        for force in (False, True):
            with self.subTest(force=force):
                err = self.assertVarlinkError(MANAGER + "VfsInUse", MANAGER + "SetNumVFs",
                                              {"pf": "02:00.0", "count": 2, "force": force})
                self.assertEqual(err["pf"], T.IGB_PF)
                self.assertEqual(err["vfs"][:2],
                                 ["%s: assigned to %s" % (T.IGB_VFS[0], T.VM_RUNNING),
                                  "%s: assigned to %s" % (T.IGB_VFS[1], T.VM_STOPPED)])
                self.assertIn("passd never destroys a VF a domain holds", err["message"])
        with open(os.path.join(IGB_SYSFS, "sriov_numvfs")) as f:
            self.assertEqual(f.read(), "3\n")
        self.assertEqual(len(self.pfs(T.IGB_PF)[0]["vfs"]), 3)

    def test_autoprobe_alone(self):
        step = {"action": "set_num_vfs", "address": T.IGB_PF, "driver_from": None,
                "driver_to": None, "driver_to_default": None, "domain": None, "live": None,
                "config": None, "xml": None, "numvfs_from": 3, "numvfs_to": 3,
                "autoprobe": False}
        reply = self.call(MANAGER + "SetNumVFs", {"pf": T.IGB_PF, "count": 3, "autoprobe": False,
                                                  "dry_run": True})
        self.assertEqual(reply["actions"], [step])
        self.assertFalse(os.path.exists(os.path.join(STATE, "sriov.conf")))
        # for real: autoprobe only, so VFs held by domains are no obstacle
        reply = self.call(MANAGER + "SetNumVFs", {"pf": T.IGB_PF, "count": 3, "autoprobe": False})
        self.assertEqual(reply["actions"], [step])
        with open(os.path.join(IGB_SYSFS, "sriov_drivers_autoprobe")) as f:
            self.assertEqual(f.read(), "0")
        with open(os.path.join(STATE, "sriov.conf")) as f:
            self.assertIn("[%s]\nNumVFs=3\nAutoprobe=false\n" % T.IGB_PF, f.read())
        pf = self.pfs(T.IGB_PF)[0]
        self.assertEqual((pf["desired"], pf["autoprobe"], pf["state"]), (3, False, "settled"))
        # the same again: nothing to do
        reply = self.call(MANAGER + "SetNumVFs", {"pf": T.IGB_PF, "count": 3, "autoprobe": False})
        self.assertEqual(reply["actions"], [])


class RestartTest(passd.unittest.TestCase):
    """A new passd over the same state directory shows the recorded count, and a recorded PF
    the host does not have as vanished (logged, not fatal)."""

    def test_recorded_counts(self):
        state = passd.scratch_dir("passd-sriov-state-")
        with open(os.path.join(state, "sriov.conf"), "w") as f:
            f.write("[%s]\nNumVFs=3\nAutoprobe=true\n\n[0000:66:00.0]\nNumVFs=2\n" % T.IGB_PF)
        p = passd.Passd(T.default(), extra_args=("--host-root", ROOT, "--state-dir", state))
        p.start()
        try:
            # the re-apply at start (nothing to change here) may still be running
            deadline = passd.time.monotonic() + 10 * passd.SCALE
            while True:
                pfs = {pf["address"]: pf for pf in p.call(MANAGER + "GetSriov")["pfs"]}
                if pfs[T.IGB_PF]["state"] != "applying" or passd.time.monotonic() > deadline:
                    break
                passd.time.sleep(0.05)
            self.assertEqual(pfs[T.IGB_PF]["desired"], 3)
            self.assertEqual(pfs[T.IGB_PF]["state"], "settled")
            gone = pfs["0000:66:00.0"]
            self.assertEqual((gone["present"], gone["desired"], gone["state"], gone["numvfs"]),
                             (False, 2, "vanished", None))
            self.assertEqual(gone["message"],
                             "the host has no device 0000:66:00.0 (recorded with 2 VFs)")
            self.assertIn("0000:66:00.0 has 2 VFs recorded in %s/sriov.conf, but the host has "
                          "no such device" % state, p.log())
        finally:
            problems = p.stop()
        # a warning, not a failure
        self.assertEqual(problems, [], p.log())


if __name__ == "__main__":
    passd.run_tests()
