#!/usr/bin/python3
"""The generated topologies load in libvirt's test driver and say what the model says.

Every other integration test trusts topology.py's expected_device(); this checks the model
against libvirt itself (python3-libvirt), so a passd bug and a model bug cannot hide each other.
"""

import os
import shutil
import tempfile
import unittest
import xml.etree.ElementTree as ET

import libvirt

import topology as T


def pci_address(el):
    return "%04x:%02x:%02x.%x" % tuple(int(el.get(k), 16)
                                        for k in ("domain", "bus", "slot", "function"))


class TopologyLoads(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.dir = tempfile.mkdtemp(prefix="passd-topo-")
        libvirt.registerErrorHandler(lambda *a: None, None)

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.dir)

    def open(self, topo, name):
        path = os.path.join(self.dir, name + ".xml")
        topo.write(path)
        conn = libvirt.open("test://" + path)
        self.addCleanup(conn.close)
        return conn

    def check_devices(self, topo, conn):
        devs = conn.listAllDevices(libvirt.VIR_CONNECT_LIST_NODE_DEVICES_CAP_PCI_DEV)
        self.assertEqual(sorted(d.name() for d in devs),
                         sorted(d.name for d in topo.devices.values()))
        for dev in devs:
            root = ET.fromstring(dev.XMLDesc())
            cap = root.find("capability[@type='pci']")
            address = "%04x:%02x:%02x.%x" % tuple(int(cap.findtext(k))
                                                  for k in ("domain", "bus", "slot", "function"))
            want = topo.expected_device(address)
            with self.subTest(address=address):
                self.assertEqual(root.findtext("name"), want["name"])
                self.assertEqual(cap.findtext("class"), want["class"])
                self.assertEqual(cap.find("vendor").get("id"), want["vendor_id"])
                self.assertEqual(cap.find("product").get("id"), want["product_id"])
                self.assertEqual(cap.findtext("vendor") or None, want["vendor"])
                self.assertEqual(cap.findtext("product") or None, want["product"])
                self.assertEqual(root.findtext("driver/name"), want["driver"])
                group = cap.find("iommuGroup")
                self.assertEqual(int(group.get("number")) if group is not None else None,
                                 want["iommu_group"])
                self.assertEqual(sorted(pci_address(a) for a in cap.findall("iommuGroup/address")),
                                 want["iommu_group_members"])
                numa = cap.find("numa")
                self.assertEqual(int(numa.get("node")) if numa is not None else None,
                                 want["numa_node"])
                vfcap = cap.find("capability[@type='virt_functions']")
                self.assertEqual(int(vfcap.get("maxCount")) if vfcap is not None else None,
                                 want["totalvfs"])
                self.assertEqual(sorted(pci_address(a) for a in
                                        cap.findall("capability[@type='virt_functions']/address")),
                                 want["vfs"])
                pf = cap.find("capability[@type='phys_function']/address")
                self.assertEqual(pci_address(pf) if pf is not None else None, want["physfn"])
                parent = root.findtext("parent")
                self.assertEqual(parent, T.nodedev_name(want["parent"]) if want["parent"]
                                 else "computer")

    def check_domains(self, topo, conn):
        for dom in topo.domains:
            with self.subTest(domain=dom.name):
                vd = conn.lookupByName(dom.name)
                self.assertEqual(bool(vd.isActive()), dom.running)
                self.assertTrue(vd.isPersistent())
                root = ET.fromstring(vd.XMLDesc())
                held = [pci_address(a) for a in root.findall("devices/hostdev/source/address")]
                held += [pci_address(a) for a in
                         root.findall("devices/interface[@type='hostdev']/source/address")]
                self.assertEqual(sorted(held), sorted(h.address for h in dom.hostdevs))

    def test_default(self):
        topo = T.default()
        conn = self.open(topo, "default")
        self.check_devices(topo, conn)
        self.check_domains(topo, conn)

    def test_vanished(self):
        topo = T.vanished()
        conn = self.open(topo, "vanished")
        self.check_devices(topo, conn)
        self.check_domains(topo, conn)
        self.assertNotIn(T.IGB_VFS[0], topo.devices)

    def test_bench_small(self):
        topo = T.bench(pfs=4, vfs=10, pfs_per_port=2)
        self.assertEqual(len(topo.devices), 4 + 4 * 10 + 2)
        conn = self.open(topo, "bench")
        self.check_devices(topo, conn)

    def test_scenario_covers_the_brief(self):
        topo = T.default()
        devs = [topo.expected_device(a) for a in topo.devices]
        pfs = [d for d in devs if d["vfs"]]
        self.assertEqual({d["numa_node"] for d in pfs}, {0, 1})
        self.assertEqual(topo.group_members(T.GPU), [T.GPU, T.GPU_AUDIO])
        self.assertIsNone(topo.expected_device(T.NODRV)["numa_node"])
        self.assertIsNone(topo.expected_device(T.NODRV)["vendor"])
        self.assertEqual(topo.expected_device(T.MLX_VFS[0])["owners"],
                         [T.VM_STOPPED, T.VM_VANISHED])
        self.assertNotIn(T.MISSING, topo.devices)


if __name__ == "__main__":
    unittest.main(verbosity=2)
