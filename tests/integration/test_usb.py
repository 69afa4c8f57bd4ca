#!/usr/bin/python3
"""USB host devices against libvirt's test driver: the inventory from usb_device node devices,
owners from <hostdev type='usb'> (by vendor/product, and by bus/device), usb:VVVV:PPPP and its
ambiguity error, and the attach/detach plans (dry runs: the test driver attaches nothing). The
sysfs facts (class, speed, interface drivers) need a host tree: here an empty --host-root, so
they are unknown; tests/daemon/test-usb.c and the lab cover them.
"""

import os
import subprocess

import passd
import topology as T

MANAGER = "io.passd.Manager."
EMPTY_ROOT = passd.scratch_dir("passd-empty-root-")
CTRL = "0000:00:14.0"

# (node-device name, sysfs path below the controller, bus, device, vendor, product, names)
USB = [
    ("usb_usb1", "usb1", 1, 1, 0x1d6b, 0x0002, "Linux Foundation", "2.0 root hub"),
    ("usb_1_1", "usb1/1-1", 1, 2, 0x0930, 0x6545, "Toshiba Corp.", "Kingston DataTraveler"),
    ("usb_1_2", "usb1/1-2", 1, 3, 0x0930, 0x6545, "Toshiba Corp.", "Kingston DataTraveler"),
    ("usb_2_1_4", "usb2/2-1/2-1.4", 2, 5, 0x046d, 0xc52b, "Logitech, Inc.", "Unifying Receiver"),
]
STICK_A, STICK_B, RECEIVER = "usb:1-1", "usb:1-2", "usb:2-1.4"
VM_USB = "vm-usb"      # shut off; its config names the receiver by vendor/product only
VM_USB_BUS = "vm-usb-bus"  # running; names stick B by bus and device (as libvirt's live XML)


class UsbTopology(T.Topology):
    def render(self):
        text = super().render()
        devs = []
        for name, path, bus, dev, vendor, product, vname, pname in USB:
            parent = "usb_usb%d" % bus if "-" in path else "pci_0000_00_14_0"
            devs.append(
                "  <device>\n    <name>%s</name>\n"
                "    <path>/sys/devices/pci0000:00/%s/%s</path>\n"
                "    <parent>%s</parent>\n"
                "    <capability type='usb_device'>\n      <bus>%d</bus>\n      <device>%d</device>\n"
                "      <product id='0x%04x'>%s</product>\n      <vendor id='0x%04x'>%s</vendor>\n"
                "    </capability>\n  </device>\n" % (name, CTRL, path, parent, bus, dev, product,
                                                      pname, vendor, vname))
        doms = [
            self.usb_domain(VM_USB, "7c9b3f0e-1c52-4f54-9a53-6e0c1b1d0a11", False,
                            "<vendor id='0x046d'/><product id='0xc52b'/>"),
            self.usb_domain(VM_USB_BUS, "7c9b3f0e-1c52-4f54-9a53-6e0c1b1d0a12", True,
                            "<vendor id='0x0930'/><product id='0x6545'/>"
                            "<address bus='1' device='3'/>"),
        ]
        return text.replace("</node>\n", "".join(devs) + "".join(doms) + "</node>\n")

    @staticmethod
    def usb_domain(name, uuid, running, source):
        state = "" if running else "    <test:runstate>%d</test:runstate>\n" % T.VIR_DOMAIN_SHUTOFF
        return ("  <domain type='test' xmlns:test='%s'>\n    <name>%s</name>\n"
                "    <uuid>%s</uuid>\n    <memory>1048576</memory>\n    <vcpu>1</vcpu>\n"
                "    <os>\n      <type arch='x86_64'>hvm</type>\n    </os>\n    <devices>\n"
                "      <hostdev mode='subsystem' type='usb' managed='yes'>\n"
                "        <source>%s</source>\n      </hostdev>\n    </devices>\n%s  </domain>\n"
                % (T.TEST_NS, name, uuid, source, state))


def usb_topology():
    return UsbTopology(T.default_devices(), T.default_domains())


class UsbTest(passd.PassdCase):
    TOPOLOGY = staticmethod(usb_topology)
    EXTRA_ARGS = ("--host-root", EMPTY_ROOT)

    def device(self, address):
        return self.call(MANAGER + "GetDevice", {"address": address})["device"]

    def test_inventory(self):
        devices = self.call(MANAGER + "ListDevices", {"kind": "usb"})["devices"]
        self.assertEqual([d["address"] for d in devices], [STICK_A, STICK_B, RECEIVER])
        receiver = devices[2]
        self.assertEqual(receiver["kind"], "usb")
        self.assertEqual(receiver["name"], "usb_2_1_4")
        self.assertEqual((receiver["vendor_id"], receiver["product_id"]), ("0x046d", "0xc52b"))
        self.assertEqual((receiver["vendor"], receiver["product"]),
                         ("Logitech, Inc.", "Unifying Receiver"))
        self.assertEqual(receiver["usb"], {"port": "2-1.4", "bus": 2, "device": 5, "class": None,
                                           "speed": None, "drivers": [], "controller": CTRL})
        for d in devices:
            self.assertIsNone(d["iommu_group"])
            self.assertEqual(d["iommu_group_members"], [])
            self.assertIsNone(d["parent"])
        # PCI devices are what they were: no usb member, and the kind filter tells them apart
        pci = self.call(MANAGER + "ListDevices", {"kind": "pci"})["devices"]
        self.assertEqual(len(pci), len(self.topo.devices))
        self.assertTrue(all("usb" not in d for d in pci))
        every = self.call(MANAGER + "ListDevices")["devices"]
        self.assertEqual(len(every), len(pci) + 3)
        self.assertEqual(self.call(MANAGER + "GetStatus")["devices"], len(pci) + 3)

    def test_owners(self):
        self.assertEqual(self.device(RECEIVER)["owners"], [VM_USB])
        self.assertEqual(self.device(STICK_B)["owners"], [VM_USB_BUS])
        self.assertEqual(self.device(STICK_A)["owners"], [])
        dom = self.call(MANAGER + "GetDomain", {"domain": VM_USB_BUS})
        self.assertEqual([h["address"] for h in dom["devices"]], [STICK_B])

    def test_vendor_product_form(self):
        self.assertEqual(self.device("usb:046D:C52B")["address"], RECEIVER)
        params = self.assertVarlinkError(MANAGER + "NoSuchDevice", MANAGER + "GetDevice",
                                         {"address": "usb:0930:6545"})
        self.assertEqual(params["address"], "usb:0930:6545")
        self.assertIn("2 USB devices", params["message"])
        self.assertIn("%s, %s" % (STICK_A, STICK_B), params["message"])
        params = self.assertVarlinkError(MANAGER + "NoSuchDevice", MANAGER + "Attach",
                                         {"domain": T.VM_STOPPED, "address": "usb:0930:6545"})
        self.assertIn(STICK_A, params["message"])
        params = self.assertVarlinkError(MANAGER + "NoSuchDevice", MANAGER + "GetDevice",
                                         {"address": "usb:dead:beef"})
        self.assertIn("No USB device", params["message"])
        self.assertVarlinkError(MANAGER + "NoSuchDevice", MANAGER + "GetDevice",
                                {"address": "usb:7-1"})
        self.assertVarlinkError("org.varlink.service.InvalidParameter", MANAGER + "GetDevice",
                                {"address": "usb:1-0"})

    def test_attach_plan(self):
        # two identical sticks: libvirt is told bus and device too; no host-driver step
        reply = self.call(MANAGER + "Attach",
                          {"domain": T.VM_STOPPED, "address": STICK_A, "dry_run": True})
        self.assertEqual(reply["devices"], [STICK_A])
        self.assertEqual([a["action"] for a in reply["actions"]], ["attach"])
        xml = reply["actions"][0]["xml"]
        self.assertIn('<hostdev mode="subsystem" type="usb" managed="yes">', xml)
        self.assertIn('<vendor id="0x0930"/>', xml)
        self.assertIn('<product id="0x6545"/>', xml)
        self.assertIn('<address bus="1" device="2"/>', xml)
        self.assertEqual(self.device(STICK_A)["owners"], [])

    def test_double_assignment(self):
        for address in (RECEIVER, "usb:046d:c52b"):
            params = self.assertVarlinkError(MANAGER + "DeviceInUse", MANAGER + "Attach",
                                             {"domain": T.VM_STOPPED, "address": address,
                                              "dry_run": True})
            self.assertEqual(params["address"], RECEIVER)
            self.assertEqual(params["owners"], [VM_USB])

    def test_detach_plan(self):
        reply = self.call(MANAGER + "Detach",
                          {"domain": VM_USB, "address": RECEIVER, "dry_run": True})
        self.assertEqual([a["action"] for a in reply["actions"]], ["detach"])
        xml = reply["actions"][0]["xml"]
        # named as the domain names it: by ids only
        self.assertIn('<vendor id="0x046d"/>', xml)
        self.assertNotIn("<address", xml)
        self.assertVarlinkError(MANAGER + "DeviceNotAssigned", MANAGER + "Detach",
                                {"domain": VM_USB, "address": STICK_A, "dry_run": True})

    def run_passctl(self, *args):
        env = dict(os.environ)
        env.pop("PASSD_SOCKET", None)
        return subprocess.run([passd.binary("PASSCTL"), "--socket", self.passd.socket] +
                              list(args), capture_output=True, text=True, env=env, timeout=20)

    def test_passctl(self):
        p = self.run_passctl("list", "--kind", "usb")
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertIn(RECEIVER, p.stdout)
        self.assertNotIn("0000:", p.stdout.replace(CTRL, ""))
        p = self.run_passctl("show", "usb:046d:c52b")
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertIn("USB bus/device:     002/005", p.stdout)
        self.assertIn("Host controller:    " + CTRL, p.stdout)
        p = self.run_passctl("show", "usb:0930:6545")
        self.assertNotEqual(p.returncode, 0)
        self.assertIn("no single device usb:0930:6545", p.stderr)
        self.assertIn("%s, %s" % (STICK_A, STICK_B), p.stderr)


if __name__ == "__main__":
    passd.run_tests()
