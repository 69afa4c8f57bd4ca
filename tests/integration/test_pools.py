#!/usr/bin/python3
"""Pools end to end against libvirt's test driver: pools.d files (a bad pool logged with its
file and line, the others served), ListPools' counts per PF, DefinePool/UndefinePool with their
refusals and persistence across a restart on the same state directory, pool attaches as dry
runs with the reasons for each VF (the test driver cannot detach node devices, so real attaches
are the lab's), their parameter errors, GetBalance, and passctl's pools, pool, attach --pool and
balance.

In the default topology every device looks unbound; the igb PF 02:00.0 (NUMA 0) has VFs
02:10.0 (vm-running's), 02:10.2 (vm-stopped's) and 02:10.4 (free); the Mellanox PF 8a:00.0
(NUMA 1) has 8a:00.2 (vm-stopped's and vm-vanished's) and 8a:00.3 (free).
"""

import json
import os
import subprocess

import passd
import topology as T

MANAGER = "io.passd.Manager."
SERVICE = "org.varlink.service."
EMPTY_ROOT = passd.scratch_dir("passd-empty-root-")
POOLS_DIR = passd.scratch_dir("passd-pools-")

GOOD = """# the igb VFs
[Pool igb]
Kind=pci
Vendor=0x8086
PF=0000:02:00.0
"""
BAD = """[Pool broken]
Vendor=0x8086
Colour=blue
"""
with open(os.path.join(POOLS_DIR, "a-igb.conf"), "w") as f:
    f.write(GOOD)
with open(os.path.join(POOLS_DIR, "b-broken.conf"), "w") as f:
    f.write(BAD)


def by_name(pools, name):
    return next((p for p in pools if p["name"] == name), None)


class PoolsTest(passd.PassdCase):
    EXTRA_ARGS = ("--host-root", EMPTY_ROOT, "--pools-dir", POOLS_DIR)

    def pools(self):
        return self.call(MANAGER + "ListPools")["pools"]

    def define(self, **params):
        return self.call(MANAGER + "DefinePool", params)

    def passctl(self, *args):
        cmd = [passd.binary("PASSCTL"), "--socket", self.passd.socket] + list(args)
        env = dict(os.environ)
        env.pop("PASSD_SOCKET", None)
        return subprocess.run(cmd, capture_output=True, text=True, env=env,
                              timeout=20 * passd.SCALE)

    def test_file_pools(self):
        pools = self.pools()
        igb = by_name(pools, "igb")
        self.assertIsNotNone(igb)
        self.assertIsNone(by_name(pools, "broken"))
        self.assertEqual(igb["origin"], "file")
        self.assertEqual(igb["file"], os.path.join(POOLS_DIR, "a-igb.conf"))
        self.assertEqual(igb["line"], 2)
        self.assertEqual(igb["vendor_id"], "0x8086")
        self.assertEqual(igb["pfs"], [T.IGB_PF])
        self.assertEqual((igb["total"], igb["free"], igb["in_use"]), (3, 1, 2))
        self.assertEqual(igb["pf_usage"], [{
            "address": T.IGB_PF, "numa_node": 0, "total": 3, "free": 1, "in_use": 2,
            "guests": sorted([T.VM_RUNNING, T.VM_STOPPED])}])
        # the bad pool: its file, line and key in the log
        self.assertIn("pool left out: %s:3: Colour" % os.path.join(POOLS_DIR, "b-broken.conf"),
                      self.passd.log())

    def test_pf_by_netdev(self):
        # the PFs' interfaces as libvirt shows them (net_* node devices below the PF)
        self.define(name="by-netdev", pfs=["enp2s0"])
        self.define(name="by-second-netdev", pfs=["mlx-rep0#1"])
        self.define(name="no-such-netdev", pfs=["eth9"])
        pools = self.pools()
        p = by_name(pools, "by-netdev")
        self.assertEqual((p["total"], p["free"], p["in_use"]), (3, 1, 2))
        self.assertEqual([u["address"] for u in p["pf_usage"]], [T.IGB_PF])
        p = by_name(pools, "by-second-netdev")
        self.assertEqual(p["total"], 1)
        self.assertEqual(p["pf_usage"][0]["address"], T.MLX_PF)
        self.assertEqual(by_name(pools, "no-such-netdev")["total"], 0)
        dev = self.call(MANAGER + "GetDevice", {"address": T.MLX_PF})["device"]
        self.assertEqual(dev["netdevs"], ["enp138s0f0np0", "mlx-rep0"])
        for name in ("by-netdev", "by-second-netdev", "no-such-netdev"):
            self.call(MANAGER + "UndefinePool", {"name": name})

    def test_define_refusals(self):
        e = self.assertVarlinkError(MANAGER + "PoolFromFile", MANAGER + "DefinePool",
                                    {"name": "igb", "vendor_id": "8086"})
        self.assertEqual(e["file"], os.path.join(POOLS_DIR, "a-igb.conf"))
        self.assertIn("a-igb.conf:2", e["message"])
        e = self.assertVarlinkError(MANAGER + "PoolFromFile", MANAGER + "UndefinePool",
                                    {"name": "igb"})
        self.assertEqual(e["pool"], "igb")
        e = self.assertVarlinkError(MANAGER + "NoSuchPool", MANAGER + "UndefinePool",
                                    {"name": "nope"})
        self.assertEqual(e["pool"], "nope")
        self.define(name="twice", driver="vfio-pci")
        try:
            self.assertVarlinkError(MANAGER + "PoolExists", MANAGER + "DefinePool",
                                    {"name": "twice", "vendor_id": "8086"})
        finally:
            self.call(MANAGER + "UndefinePool", {"name": "twice"})
        self.assertIsNone(by_name(self.pools(), "twice"))

    def test_bad_selectors_name_the_field(self):
        cases = [
            ({"name": "-x", "vendor_id": "8086"}, "name"),
            ({"name": "p", "vendor_id": "zz"}, "vendor_id"),
            ({"name": "p", "product_id": "12345"}, "product_id"),
            ({"name": "p", "kind": "usb", "vendor_id": "8086"}, "kind"),
            ({"name": "p", "driver": "a/b"}, "driver"),
            ({"name": "p", "pfs": ["0000:02:00.0#9999"]}, "pfs"),
            ({"name": "p", "pfs": [T.IGB_PF, "02:00.0#1"]}, "pfs"),
            ({"name": "p", "pfs": [7]}, "pfs"),
            ({"name": "p", "numa_node": 5000}, "numa_node"),
            ({"name": "p"}, "name"),  # no selector at all
        ]
        for params, field in cases:
            with self.subTest(params=params):
                e = self.assertVarlinkError(SERVICE + "InvalidParameter", MANAGER + "DefinePool",
                                            params)
                self.assertEqual(e["parameter"], field)
        self.assertIsNone(by_name(self.pools(), "p"))

    def test_pool_attach_dry_run(self):
        self.define(name="both", pfs=[T.IGB_PF, T.MLX_PF])
        try:
            one = self.call(MANAGER + "Attach", {"domain": T.VM_STOPPED, "pool": "igb",
                                                 "dry_run": True})
            self.assertEqual(one["devices"], [T.IGB_VFS[2]])
            self.assertEqual(one["pool"], "igb")
            (pick,) = one["picks"]
            self.assertEqual(pick["address"], T.IGB_VFS[2])
            self.assertEqual(pick["pf"], T.IGB_PF)
            self.assertEqual(pick["numa_node"], 0)
            self.assertIn(T.IGB_PF, pick["reason"])
            # the test driver's domains say nothing of their NUMA placement
            self.assertIsNotNone(one["numa_note"])
            self.assertEqual([a["action"] for a in one["actions"]], ["detach_host", "attach"])

            two = self.call(MANAGER + "Attach", {"domain": T.VM_STOPPED, "pool": "both",
                                                 "count": 2, "dry_run": True})
            self.assertEqual(two["devices"], sorted([T.IGB_VFS[2], T.MLX_VFS[1]]))
            self.assertEqual(len({p["pf"] for p in two["picks"]}), 2)  # distinct PFs

            # pack: the PF with more in use first
            packed = self.call(MANAGER + "Attach", {"domain": T.VM_STOPPED, "pool": "both",
                                                    "policy": "pack", "dry_run": True})
            self.assertEqual(packed["devices"], [T.IGB_VFS[2]])

            e = self.assertVarlinkError(MANAGER + "NoEligibleDevice", MANAGER + "Attach",
                                        {"domain": T.VM_STOPPED, "pool": "both", "count": 3,
                                         "dry_run": True})
            self.assertEqual(e["pool"], "both")
            self.assertIn("3 needed", e["message"])
            e = self.assertVarlinkError(MANAGER + "NoEligibleDevice", MANAGER + "Attach",
                                        {"domain": T.VM_STOPPED, "pool": "both",
                                         "numa": "required", "dry_run": True})
            self.assertIn("NUMA", e["message"])
        finally:
            self.call(MANAGER + "UndefinePool", {"name": "both"})
        # nothing was reserved by the dry runs
        self.assertEqual(by_name(self.pools(), "igb")["free"], 1)

    def test_pool_attach_parameters(self):
        base = {"domain": T.VM_STOPPED, "dry_run": True}
        cases = [
            (dict(pool="igb", address=T.IGB_VFS[2]), "pool"),
            (dict(pool="igb", policy="round-robin"), "policy"),
            (dict(pool="igb", numa="sometimes"), "numa"),
            (dict(pool="igb", count=0), "count"),
            (dict(pool="igb", count=65), "count"),
            (dict(pool="igb", whole_group=True), "whole_group"),
            (dict(address=T.IGB_VFS[2], count=2), "count"),
            (dict(), "address"),
        ]
        for extra, field in cases:
            with self.subTest(extra=extra):
                e = self.assertVarlinkError(SERVICE + "InvalidParameter", MANAGER + "Attach",
                                            dict(base, **extra))
                self.assertEqual(e["parameter"], field)
        e = self.assertVarlinkError(MANAGER + "NoSuchPool", MANAGER + "Attach",
                                    dict(base, pool="nope"))
        self.assertEqual(e["pool"], "nope")
        e = self.assertVarlinkError(MANAGER + "NoSuchDomain", MANAGER + "Attach",
                                    {"domain": "nope", "pool": "igb", "dry_run": True})

    def test_balance(self):
        reply = self.call(MANAGER + "GetBalance")
        pfs = {p["address"]: p for p in reply["pfs"]}
        self.assertEqual(pfs[T.IGB_PF]["in_use"], 2)
        self.assertEqual(pfs[T.MLX_PF]["in_use"], 1)
        # 8a:00.2 is in two definitions; a VF counts once, for its first owner
        self.assertEqual(pfs[T.MLX_PF]["guests"], [T.VM_STOPPED])
        self.assertEqual(reply["in_use"], 3)
        self.assertEqual(reply["skew"], 1)
        self.assertEqual({n["numa_node"]: n["in_use"] for n in reply["nodes"]}, {0: 2, 1: 1})
        self.assertIsNone(reply["moves"])
        plan = self.call(MANAGER + "GetBalance", {"plan": True})
        # a move needs a PF with 2 fewer in use: 2 against 1 is as even as it gets
        self.assertEqual(plan["moves"], [])
        self.assertEqual(plan["skew_after"], 1)

    def test_passctl(self):
        p = self.passctl("pools")
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertIn("igb (pci): 3 VFs, 1 free, 2 in use", p.stdout)
        self.assertIn("a-igb.conf:2", p.stdout)
        p = self.passctl("pools", "--json")
        self.assertEqual(json.loads(p.stdout), self.call(MANAGER + "ListPools"))
        p = self.passctl("attach", T.VM_STOPPED, "--pool", "igb", "--dry-run")
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertIn("Would take from pool igb:", p.stdout)
        self.assertIn(T.IGB_VFS[2] + ": ", p.stdout)
        p = self.passctl("attach", T.VM_STOPPED, "--pool", "igb", "--policy", "zigzag")
        self.assertEqual(p.returncode, 2)
        p = self.passctl("pool", "define", "cli", "--vendor", "zz")
        self.assertEqual(p.returncode, 2)
        self.assertIn("vendor_id", p.stderr)
        p = self.passctl("pool", "define", "cli", "--pf", T.IGB_PF, "--pf", T.MLX_PF + "#1",
                         "--kind", "net")
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertIn("cli (net)", p.stdout)
        cli = by_name(self.pools(), "cli")
        self.assertEqual(cli["pfs"], [T.IGB_PF, T.MLX_PF + "#1"])
        self.assertEqual((cli["total"], cli["free"]), (4, 2))
        p = self.passctl("pool", "undefine", "cli")
        self.assertEqual(p.returncode, 0, p.stderr)
        p = self.passctl("pool", "undefine", "cli")
        self.assertEqual(p.returncode, 1)
        p = self.passctl("balance", "--plan")
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertIn("3 VFs in use, skew 1", p.stdout)
        self.assertIn("Plan (skew 1 -> 1)", p.stdout)
        p = self.passctl("balance", "--apply")
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertIn("nothing to move", p.stdout)


class PersistenceTest(passd.PassdCase):
    """Run-time pools survive a restart of passd on the same state directory."""

    EXTRA_ARGS = ("--host-root", EMPTY_ROOT, "--pools-dir", POOLS_DIR)

    def test_restart_keeps_run_time_pools(self):
        self.call(MANAGER + "DefinePool", {"name": "kept", "vendor_id": "0x15b3",
                                           "pfs": [T.MLX_PF + "#0"], "numa_node": 1})
        state = self.passd.state_dir
        with open(os.path.join(state, "pools.conf")) as f:
            self.assertIn("[Pool kept]", f.read())
        self.assertEqual(self.passd.stop(), [])
        again = passd.Passd(self.topo, extra_args=("--host-root", EMPTY_ROOT, "--pools-dir",
                                                   POOLS_DIR, "--state-dir", state)).start()
        try:
            pools = again.call(MANAGER + "ListPools")["pools"]
            kept = by_name(pools, "kept")
            self.assertIsNotNone(kept, pools)
            self.assertEqual(kept["origin"], "run_time")
            self.assertEqual(kept["file"], os.path.join(state, "pools.conf"))
            self.assertEqual((kept["vendor_id"], kept["pfs"], kept["numa_node"]),
                             ("0x15b3", [T.MLX_PF + "#0"], 1))
            self.assertEqual((kept["total"], kept["in_use"]), (1, 1))
            self.assertIsNotNone(by_name(pools, "igb"))
            again.call(MANAGER + "UndefinePool", {"name": "kept"})
        finally:
            self.assertEqual(again.stop(), [])
        # the class's own passd is stopped: start one for tearDownClass
        self.passd = type(self).passd = passd.Passd(
            self.topo, extra_args=("--host-root", EMPTY_ROOT, "--pools-dir", EMPTY_ROOT,
                                   "--state-dir", state)).start()
        self.assertEqual(self.passd.call(MANAGER + "ListPools")["pools"], [])


if __name__ == "__main__":
    passd.run_tests()
