#!/usr/bin/python3
"""A device a domain still names is gone from the host (passd restarted on the new picture)."""

import passd
import topology as T

MANAGER = "io.passd.Manager."


class Vanished(passd.PassdCase):
    TOPOLOGY = staticmethod(T.vanished)

    def test_gone_device(self):
        err = self.assertVarlinkError(MANAGER + "NoSuchDevice", MANAGER + "GetDevice",
                                      {"address": T.IGB_VFS[0]})
        self.assertEqual(err.get("address"), T.IGB_VFS[0])

    def test_relations_follow(self):
        pf = self.call(MANAGER + "GetDevice", {"address": T.IGB_PF})["device"]
        self.assertEqual(pf["vfs"], T.IGB_VFS[1:])
        self.assertEqual(pf, self.topo.expected_device(T.IGB_PF))

    def test_domain_unaffected(self):
        owned = self.call(MANAGER + "ListDevices", {"owner": T.VM_RUNNING})["devices"]
        self.assertEqual(sorted(d["address"] for d in owned), [T.GPU, T.GPU_AUDIO])
        for d in owned:
            self.assertEqual(d["owners"], [T.VM_RUNNING])

    def test_everything_else_listed(self):
        devs = self.call(MANAGER + "ListDevices")["devices"]
        self.assertEqual(sorted(d["address"] for d in devs), sorted(self.topo.devices))
        self.assertEqual(self.call(MANAGER + "GetStatus")["devices"], len(self.topo.devices))


if __name__ == "__main__":
    passd.run_tests()
