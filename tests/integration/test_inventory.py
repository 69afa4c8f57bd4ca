#!/usr/bin/python3
"""Inventory as io.passd.Manager reports it: GetStatus, ListDevices (+ filters), GetDevice."""

import os

import passd
import topology as T

SERVICE = "org.varlink.service."
MANAGER = "io.passd.Manager."
DEVICE_FIELDS = {"address", "kind", "name", "vendor_id", "product_id", "vendor", "product", "class",
                 "driver", "iommu_group", "iommu_group_members", "numa_node", "parent", "physfn",
                 "vfs", "totalvfs", "netdevs", "owners"}


def addresses(devices):
    return sorted(d["address"] for d in devices)


class Inventory(passd.PassdCase):
    def list(self, **filters):
        reply = self.call(MANAGER + "ListDevices", filters)
        self.assertEqual(set(reply), {"devices"})
        return reply["devices"]

    def test_status(self):
        status = self.call(MANAGER + "GetStatus")
        self.assertEqual(set(status), {"version", "uri", "connected", "devices", "journal",
                                       "open_operations", "recovering", "held", "recovered"})
        self.assertEqual(status["journal"], os.path.join(self.passd.state_dir, "journal"))
        self.assertEqual((status["open_operations"], status["recovering"], status["held"],
                          status["recovered"]), (0, False, [], []))
        self.assertIs(status["connected"], True)
        self.assertEqual(status["uri"], self.passd.uri)
        self.assertEqual(status["devices"], len(self.topo.devices))
        if os.environ.get("PASSD_VERSION"):
            self.assertEqual(status["version"], os.environ["PASSD_VERSION"])

    def test_list_every_device_exactly(self):
        got = {d["address"]: d for d in self.list()}
        self.assertEqual(sorted(got), sorted(self.topo.devices))
        for address in sorted(self.topo.devices):
            with self.subTest(address=address):
                self.assertEqual(set(got[address]), DEVICE_FIELDS)
                self.assertEqual(got[address], self.topo.expected_device(address))

    def test_list_without_parameters_or_with_nulls(self):
        with self.passd.connect() as c:
            bare = c.call_raw(MANAGER + "ListDevices")
            self.assertNotIn("error", bare, bare)
            nulls = c.call(MANAGER + "ListDevices",
                           {k: None for k in ("vendor_id", "product_id", "class", "driver",
                                              "owner", "sriov")})
        self.assertEqual(addresses(bare["parameters"]["devices"]), addresses(nulls["devices"]))
        self.assertEqual(len(nulls["devices"]), len(self.topo.devices))

    # Literal expectations for two devices, independent of topology.py's derivations.
    def test_igb_pf_literal(self):
        dev = self.call(MANAGER + "GetDevice", {"address": "0000:02:00.0"})["device"]
        self.assertEqual(dev, {
            "address": "0000:02:00.0", "kind": "pci", "name": "pci_0000_02_00_0",
            "vendor_id": "0x8086", "product_id": "0x10c9",
            "vendor": "Intel Corporation", "product": "82576 Gigabit Network Connection",
            "class": "0x020000", "driver": None, "iommu_group": 12,
            "iommu_group_members": ["0000:02:00.0"], "numa_node": 0, "parent": "0000:00:01.0",
            "physfn": None, "vfs": ["0000:02:10.0", "0000:02:10.2", "0000:02:10.4"],
            "totalvfs": 7, "netdevs": ["enp2s0"], "owners": []})

    def test_gpu_literal(self):
        dev = self.call(MANAGER + "GetDevice", {"address": "03:00.1"})["device"]
        self.assertEqual(dev["iommu_group"], 15)
        self.assertEqual(dev["iommu_group_members"], ["0000:03:00.0", "0000:03:00.1"])
        self.assertIsNone(dev["numa_node"])
        self.assertEqual(dev["class"], "0x040300")
        self.assertEqual(dev["owners"], ["vm-running"])
        self.assertIsNone(dev["totalvfs"])
        self.assertEqual(dev["vfs"], [])

    def test_unknown_names_are_null(self):
        dev = self.call(MANAGER + "GetDevice", {"address": T.NODRV})["device"]
        self.assertIsNone(dev["vendor"])
        self.assertIsNone(dev["product"])
        self.assertEqual(dev["vendor_id"], "0x1d0f")
        self.assertIsNone(dev["parent"])
        self.assertIsNone(dev["driver"])

    def test_owners_live_persistent_and_interface(self):
        get = lambda a: self.call(MANAGER + "GetDevice", {"address": a})["device"]["owners"]
        self.assertEqual(get(T.IGB_VFS[0]), [T.VM_RUNNING])            # running, <hostdev>
        self.assertEqual(get(T.IGB_VFS[1]), [T.VM_STOPPED])            # shut off, <interface>
        self.assertEqual(get(T.MLX_VFS[0]), [T.VM_STOPPED, T.VM_VANISHED])
        self.assertEqual(get(T.IGB_VFS[2]), [])

    def test_sriov_relations(self):
        pf1 = self.call(MANAGER + "GetDevice", {"address": T.MLX_PF1})["device"]
        self.assertEqual((pf1["totalvfs"], pf1["vfs"], pf1["physfn"]), (8, [], None))
        vf = self.call(MANAGER + "GetDevice", {"address": T.MLX_VFS[1]})["device"]
        self.assertEqual((vf["physfn"], vf["vfs"], vf["totalvfs"]), (T.MLX_PF, [], None))
        self.assertEqual(vf["numa_node"], 1)

    # ---- filters ----

    def expect(self, pred):
        return sorted(a for a in self.topo.devices if pred(self.topo.expected_device(a)))

    def test_filter_vendor_product(self):
        self.assertEqual(addresses(self.list(vendor_id="0x8086")),
                         self.expect(lambda d: d["vendor_id"] == "0x8086"))
        self.assertEqual(addresses(self.list(product_id="0x10ca")), sorted(T.IGB_VFS))
        self.assertEqual(self.list(vendor_id="0xdead"), [])

    def test_filter_class_prefix(self):
        self.assertEqual(addresses(self.list(**{"class": "0x02"})),
                         self.expect(lambda d: d["class"].startswith("0x02")))
        self.assertEqual(addresses(self.list(**{"class": "0x0403"})), [T.GPU_AUDIO])
        self.assertEqual(addresses(self.list(**{"class": "0x060400"})), [T.RP0, T.RP1, T.RP2])

    def test_filter_driver(self):
        # the test driver reports no drivers, so "" (unbound) matches all and a name none
        self.assertEqual(addresses(self.list(driver="")),
                         self.expect(lambda d: d["driver"] is None))
        self.assertEqual(addresses(self.list(driver="igb")),
                         self.expect(lambda d: d["driver"] == "igb"))

    def test_filter_owner(self):
        self.assertEqual(addresses(self.list(owner=T.VM_RUNNING)),
                         sorted([T.IGB_VFS[0], T.GPU, T.GPU_AUDIO]))
        self.assertEqual(addresses(self.list(owner=T.VM_VANISHED)), [T.MLX_VFS[0]])
        self.assertEqual(self.list(owner="no-such-vm"), [])

    def test_filter_sriov(self):
        self.assertEqual(addresses(self.list(sriov="pf")), sorted([T.IGB_PF, T.MLX_PF, T.MLX_PF1]))
        self.assertEqual(addresses(self.list(sriov="vf")), sorted(T.IGB_VFS + T.MLX_VFS))

    def test_filter_kind(self):
        # the test driver's host has PCI functions only
        self.assertEqual(addresses(self.list(kind="pci")), sorted(self.topo.devices))
        self.assertEqual(self.list(kind="usb"), [])
        self.assertEqual(self.list(kind="mdev"), [])
        self.assertEqual(self.list(kind="usb", vendor_id="0x8086"), [])

    def test_filters_combine(self):
        self.assertEqual(addresses(self.list(vendor_id="0x15b3", sriov="vf")), sorted(T.MLX_VFS))
        self.assertEqual(addresses(self.list(vendor_id="0x15b3", owner=T.VM_RUNNING)), [])

    def test_filter_bad_values(self):
        for params, field in (({"kind": "net"}, "kind"), ({"kind": 1}, "kind"),
                              ({"kind": "PCI"}, "kind"), ({"sriov": "both"}, "sriov"), ({"vendor_id": 32902}, "vendor_id"),
                              ({"class": True}, "class"), ({"owner": ["x"]}, "owner"),
                              ({"driver": {}}, "driver"), ({"product_id": 1.5}, "product_id")):
            with self.subTest(params=params):
                err = self.assertVarlinkError(SERVICE + "InvalidParameter",
                                              MANAGER + "ListDevices", params)
                self.assertEqual(err, {"parameter": field})

    # ---- GetDevice ----

    def test_get_device_spellings(self):
        want = self.topo.expected_device(T.IGB_PF)
        for spelling in ("0000:02:00.0", "02:00.0", "pci_0000_02_00_0"):
            with self.subTest(spelling=spelling):
                self.assertEqual(self.call(MANAGER + "GetDevice", {"address": spelling}),
                                 {"device": want})
        want = self.topo.expected_device(T.MLX_PF)
        for spelling in ("0000:8A:00.0", "8A:00.0", "0000:8a:00.0", "pci_0000_8A_00_0"):
            with self.subTest(spelling=spelling):
                self.assertEqual(self.call(MANAGER + "GetDevice", {"address": spelling}),
                                 {"device": want})

    def test_get_device_malformed(self):
        for params in ({"address": "02:00.8"}, {"address": "0000:02:20.0"}, {"address": "zz"},
                       {"address": 7}, {}, {"address": None}, {"address": ""},
                       {"address": " 02:00.0"}, {"address": "10000:02:00.0"},
                       {"address": "0000:100:00.0"}, {"address": "usb:0-1"},
                       {"address": "usb:3-1."}, {"address": "usb:0930:65"},
                       {"address": "mdev:not-a-uuid"}, {"address": "usb:"}):
            with self.subTest(params=params):
                err = self.assertVarlinkError(SERVICE + "InvalidParameter", MANAGER + "GetDevice",
                                              params)
                self.assertEqual(err, {"parameter": "address"})

    def test_get_device_unknown(self):
        for spelling in (T.MISSING, "09:00.0", "pci_0000_09_00_0"):
            with self.subTest(spelling=spelling):
                err = self.assertVarlinkError(MANAGER + "NoSuchDevice", MANAGER + "GetDevice",
                                              {"address": spelling})
                self.assertEqual(err.get("address"), T.MISSING)
        # other kinds' spellings are looked up in their canonical form
        for spelling, canonical in (("USB:003-01.2", "usb:3-1.2"),
                                    ("mdev:8D1D4A4C-2B5E-4A0B-9C2E-0123456789AB",
                                     "mdev:8d1d4a4c-2b5e-4a0b-9c2e-0123456789ab")):
            with self.subTest(spelling=spelling):
                err = self.assertVarlinkError(MANAGER + "NoSuchDevice", MANAGER + "GetDevice",
                                              {"address": spelling})
                self.assertEqual(err.get("address"), canonical)


if __name__ == "__main__":
    passd.run_tests()
