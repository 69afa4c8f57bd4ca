#!/usr/bin/python3
"""Topology files for libvirt's test driver (test:///path/to/file.xml).

A topology is a list of PCI devices and domains. render() writes the <node> file the test
driver loads; node-device XML follows what virNodeDeviceGetXMLDesc prints for real hosts, so
passd parses the same shapes it meets in production. expected_device() derives the Device
record io.passd.Manager must report for each address, straight from the IDL's rules, so tests
compare passd against an independent model rather than against itself.

Usage: topology.py {default,vanished,bench} OUT.xml [--pfs N --vfs N]
"""

import argparse
import sys
from xml.sax.saxutils import escape, quoteattr

TEST_NS = "http://libvirt.org/schemas/domain/test/1.0"

# libvirt 9.0's node-device parser ignores <driver> (the real driver reads it from sysfs), so
# under the test driver every device looks unbound. We still write <driver> like a real host's
# XML; test_topology.py checks this assumption against the installed libvirt.
DRIVER_VISIBLE = False
VIR_DOMAIN_SHUTOFF = 5


def canon(domain, bus, slot, function):
    return "%04x:%02x:%02x.%x" % (domain, bus, slot, function)


def split(address):
    dom, bus, rest = address.split(":")
    slot, fn = rest.split(".")
    return int(dom, 16), int(bus, 16), int(slot, 16), int(fn, 16)


def nodedev_name(address):
    return "pci_%04x_%02x_%02x_%x" % split(address)


def address_element(address, indent, with_type=False):
    d, b, s, f = split(address)
    kind = "type='pci' " if with_type else ""
    return "%s<address %sdomain='0x%04x' bus='0x%02x' slot='0x%02x' function='0x%x'/>\n" % (
        indent, kind, d, b, s, f)


class PciDevice:
    """One PCI function. parent: upstream bridge address or None (root bus -> "computer")."""

    def __init__(self, address, vendor_id, product_id, class_code, *, vendor=None, product=None,
                 driver=None, iommu_group=None, numa_node=None, parent=None, physfn=None,
                 totalvfs=None, bridge=False, netdevs=()):
        self.address = address
        self.vendor_id = vendor_id
        self.product_id = product_id
        self.class_code = class_code
        self.vendor = vendor
        self.product = product
        self.driver = driver
        self.iommu_group = iommu_group
        self.numa_node = numa_node
        self.parent = parent
        self.physfn = physfn
        self.totalvfs = totalvfs
        self.bridge = bridge
        self.netdevs = list(netdevs)  # its network interfaces: net_* node devices below it

    @property
    def name(self):
        return nodedev_name(self.address)


class Hostdev:
    """A host PCI device in a domain: <hostdev> or <interface type='hostdev'>."""

    def __init__(self, address, interface=False, vlan=None):
        self.address = address
        self.interface = interface
        self.vlan = vlan  # an interface's VLAN tag


class Domain:
    def __init__(self, name, uuid, running, hostdevs):
        self.name = name
        self.uuid = uuid
        self.running = running
        self.hostdevs = hostdevs


class Topology:
    def __init__(self, devices, domains):
        self.devices = {d.address: d for d in devices}
        self.domains = domains

    # ---- relations, derived the way the IDL defines them ----

    def vfs_of(self, address):
        return sorted(d.address for d in self.devices.values() if d.physfn == address)

    def group_members(self, address):
        group = self.devices[address].iommu_group
        if group is None:
            return []
        return sorted(d.address for d in self.devices.values() if d.iommu_group == group)

    def owners_of(self, address):
        return sorted({dom.name for dom in self.domains
                       for h in dom.hostdevs if h.address == address})

    def expected_device(self, address):
        d = self.devices[address]
        return {
            "address": d.address,
            "kind": "pci",
            "name": d.name,
            "vendor_id": "0x%04x" % d.vendor_id,
            "product_id": "0x%04x" % d.product_id,
            "vendor": d.vendor,
            "product": d.product,
            "class": "0x%06x" % d.class_code,
            "driver": d.driver if DRIVER_VISIBLE else None,
            "iommu_group": d.iommu_group,
            "iommu_group_members": self.group_members(address),
            "numa_node": d.numa_node,
            "parent": d.parent,
            "physfn": d.physfn,
            "vfs": self.vfs_of(address),
            "totalvfs": d.totalvfs,
            "netdevs": sorted(set(d.netdevs)),
            "owners": self.owners_of(address),
        }

    def expected_devices(self):
        return [self.expected_device(a) for a in sorted(self.devices)]

    # ---- rendering ----

    def sysfs_path(self, d):
        chain = []
        cur = d
        while cur is not None:
            chain.append(cur.address)
            cur = self.devices.get(cur.parent) if cur.parent else None
        chain.reverse()
        root = "pci%04x:%02x" % split(chain[0])[:2]
        return "/sys/devices/%s/%s" % (root, "/".join(chain))

    def render_device(self, d):
        dom, bus, slot, fn = split(d.address)
        parent = nodedev_name(d.parent) if d.parent else "computer"
        out = ["  <device>\n",
               "    <name>%s</name>\n" % d.name,
               "    <path>%s</path>\n" % self.sysfs_path(d),
               "    <parent>%s</parent>\n" % parent]
        if d.driver:
            out.append("    <driver>\n      <name>%s</name>\n    </driver>\n" % d.driver)
        out.append("    <capability type='pci'>\n")
        out.append("      <class>0x%06x</class>\n" % d.class_code)
        out.append("      <domain>%d</domain>\n      <bus>%d</bus>\n" % (dom, bus))
        out.append("      <slot>%d</slot>\n      <function>%d</function>\n" % (slot, fn))
        for tag, ident, label in (("product", d.product_id, d.product),
                                  ("vendor", d.vendor_id, d.vendor)):
            if label is None:
                out.append("      <%s id='0x%04x'/>\n" % (tag, ident))
            else:
                out.append("      <%s id='0x%04x'>%s</%s>\n" % (tag, ident, escape(label), tag))
        if d.physfn:
            out.append("      <capability type='phys_function'>\n")
            out.append(address_element(d.physfn, "        "))
            out.append("      </capability>\n")
        if d.totalvfs is not None:
            vfs = self.vfs_of(d.address)
            if vfs:
                out.append("      <capability type='virt_functions' maxCount='%d'>\n" %
                           d.totalvfs)
                out.extend(address_element(v, "        ") for v in vfs)
                out.append("      </capability>\n")
            else:
                out.append("      <capability type='virt_functions' maxCount='%d'/>\n" %
                           d.totalvfs)
        if d.iommu_group is not None:
            out.append("      <iommuGroup number='%d'>\n" % d.iommu_group)
            out.extend(address_element(m, "        ") for m in self.group_members(d.address))
            out.append("      </iommuGroup>\n")
        if d.numa_node is not None:
            out.append("      <numa node='%d'/>\n" % d.numa_node)
        out.append("    </capability>\n  </device>\n")
        for i, netdev in enumerate(d.netdevs):
            mac = "52:54:00:%02x:%02x:%02x" % (bus, slot, i)
            out.append("  <device>\n    <name>net_%s_%s</name>\n" % (netdev, mac.replace(":", "_")))
            out.append("    <parent>%s</parent>\n" % d.name)
            out.append("    <capability type='net'>\n      <interface>%s</interface>\n" % netdev)
            out.append("      <address>%s</address>\n    </capability>\n  </device>\n" % mac)
        return "".join(out)

    @staticmethod
    def render_domain(dom):
        out = ["  <domain type='test' xmlns:test=%s>\n" % quoteattr(TEST_NS),
               "    <name>%s</name>\n" % escape(dom.name),
               "    <uuid>%s</uuid>\n" % dom.uuid,
               "    <memory>1048576</memory>\n    <vcpu>1</vcpu>\n",
               "    <os>\n      <type arch='x86_64'>hvm</type>\n    </os>\n",
               "    <devices>\n"]
        for i, h in enumerate(dom.hostdevs):
            if h.interface:
                out.append("      <interface type='hostdev' managed='yes'>\n")
                out.append("        <mac address='52:54:00:00:%02x:%02x'/>\n" %
                           (len(dom.name) & 0xff, i))
                out.append("        <source>\n")
                out.append(address_element(h.address, "          ", with_type=True))
                out.append("        </source>\n")
                if h.vlan is not None:
                    out.append("        <vlan>\n          <tag id='%d'/>\n        </vlan>\n" % h.vlan)
                out.append("      </interface>\n")
            else:
                out.append("      <hostdev mode='subsystem' type='pci' managed='yes'>\n")
                out.append("        <source>\n")
                out.append(address_element(h.address, "          "))
                out.append("        </source>\n      </hostdev>\n")
        out.append("    </devices>\n")
        if not dom.running:
            out.append("    <test:runstate>%d</test:runstate>\n" % VIR_DOMAIN_SHUTOFF)
        out.append("  </domain>\n")
        return "".join(out)

    def render(self):
        out = ["<?xml version='1.0'?>\n<node>\n",
               "  <cpu>\n    <mhz>2400</mhz>\n    <model>x86_64</model>\n",
               "    <active>16</active>\n    <nodes>2</nodes>\n    <sockets>1</sockets>\n",
               "    <cores>8</cores>\n    <threads>1</threads>\n  </cpu>\n",
               "  <memory>16777216</memory>\n",
               "  <device>\n    <name>computer</name>\n",
               "    <capability type='system'>\n      <hardware>\n",
               "        <vendor>passd</vendor>\n",
               "        <uuid>2a3b55ba-6f6e-4d34-9d0a-5b1a6e2d4b01</uuid>\n",
               "      </hardware>\n    </capability>\n  </device>\n"]
        out.extend(self.render_device(d) for _, d in sorted(self.devices.items()))
        out.extend(self.render_domain(dom) for dom in self.domains)
        out.append("</node>\n")
        return "".join(out)

    def write(self, path):
        with open(path, "w", encoding="utf-8") as f:
            f.write(self.render())


# ---- scenarios ----

INTEL, MELLANOX, NVIDIA = 0x8086, 0x15b3, 0x10de
INTEL_NAME = "Intel Corporation"
MLX_NAME = "Mellanox Technologies"

RP0 = "0000:00:01.0"       # root port above the Intel NIC (NUMA 0)
RP1 = "0000:00:03.0"       # root port above the GPU
RP2 = "0000:80:01.0"       # root port above the Mellanox NIC (NUMA 1)
IGB_PF = "0000:02:00.0"    # SR-IOV PF, three VFs
IGB_VFS = ["0000:02:10.0", "0000:02:10.2", "0000:02:10.4"]
MLX_PF = "0000:8a:00.0"    # SR-IOV PF on NUMA 1, two VFs
MLX_VFS = ["0000:8a:00.2", "0000:8a:00.3"]
MLX_PF1 = "0000:8a:00.1"   # SR-IOV capable, no VFs enabled
GPU = "0000:03:00.0"       # GPU + audio share IOMMU group 15
GPU_AUDIO = "0000:03:00.1"
NODRV = "0000:05:00.0"     # unbound, unknown names, no NUMA node
MISSING = "0000:09:00.0"   # named by a domain, absent from the host
VM_RUNNING, VM_STOPPED, VM_VANISHED = "vm-running", "vm-stopped", "vm-vanished"


def default_devices():
    bridge = dict(vendor_id=INTEL, class_code=0x060400, vendor=INTEL_NAME, driver="pcieport",
                  bridge=True)
    devs = [
        PciDevice(RP0, product_id=0x2030, product="Sky Lake-E PCI Express Root Port A",
                  iommu_group=1, numa_node=0, **bridge),
        PciDevice(RP1, product_id=0x2032, product="Sky Lake-E PCI Express Root Port C",
                  iommu_group=2, numa_node=0, **bridge),
        PciDevice(RP2, product_id=0x2030, product="Sky Lake-E PCI Express Root Port A",
                  iommu_group=30, numa_node=1, **bridge),
        PciDevice(IGB_PF, INTEL, 0x10c9, 0x020000, vendor=INTEL_NAME,
                  product="82576 Gigabit Network Connection", driver="igb", iommu_group=12,
                  numa_node=0, parent=RP0, totalvfs=7, netdevs=["enp2s0"]),
        PciDevice(MLX_PF, MELLANOX, 0x1017, 0x020000, vendor=MLX_NAME,
                  product="MT27800 Family [ConnectX-5]", driver="mlx5_core", iommu_group=40,
                  numa_node=1, parent=RP2, totalvfs=8, netdevs=["enp138s0f0np0", "mlx-rep0"]),
        PciDevice(MLX_PF1, MELLANOX, 0x1017, 0x020000, vendor=MLX_NAME,
                  product="MT27800 Family [ConnectX-5]", driver="mlx5_core", iommu_group=43,
                  numa_node=1, parent=RP2, totalvfs=8),
        PciDevice(GPU, NVIDIA, 0x1e84, 0x030000, vendor="NVIDIA Corporation",
                  product="TU104 [GeForce RTX 2070 SUPER]", driver="vfio-pci", iommu_group=15,
                  parent=RP1),
        PciDevice(GPU_AUDIO, NVIDIA, 0x10f8, 0x040300, vendor="NVIDIA Corporation",
                  product="TU104 HD Audio Controller", driver="snd_hda_intel", iommu_group=15,
                  parent=RP1),
        PciDevice(NODRV, 0x1d0f, 0xcd01, 0x010802, iommu_group=50, parent=None),
    ]
    # igb VFs: the one a running domain holds is on vfio-pci, one is unbound
    for vf, group, drv in zip(IGB_VFS, (20, 21, 22), ("vfio-pci", "igbvf", None)):
        devs.append(PciDevice(vf, INTEL, 0x10ca, 0x020000, vendor=INTEL_NAME,
                              product="82576 Virtual Function", driver=drv, iommu_group=group,
                              numa_node=0, parent=RP0, physfn=IGB_PF))
    for vf, group in zip(MLX_VFS, (41, 42)):
        devs.append(PciDevice(vf, MELLANOX, 0x1018, 0x020000, vendor=MLX_NAME,
                              product="MT27800 Family [ConnectX-5 Virtual Function]",
                              driver="mlx5_core", iommu_group=group, numa_node=1, parent=RP2,
                              physfn=MLX_PF))
    return devs


def default_domains():
    return [
        Domain(VM_RUNNING, "7c9b3f0e-1c52-4f54-9a53-6e0c1b1d0a01", True,
               [Hostdev(IGB_VFS[0]), Hostdev(GPU), Hostdev(GPU_AUDIO)]),
        Domain(VM_STOPPED, "7c9b3f0e-1c52-4f54-9a53-6e0c1b1d0a02", False,
               [Hostdev(IGB_VFS[1], interface=True, vlan=42), Hostdev(MLX_VFS[0])]),
        Domain(VM_VANISHED, "7c9b3f0e-1c52-4f54-9a53-6e0c1b1d0a03", False,
               [Hostdev(MISSING), Hostdev(MLX_VFS[0], interface=True)]),
    ]


def default():
    return Topology(default_devices(), default_domains())


def vanished():
    """The default host after IGB_VFS[0] (held by the running domain) disappeared."""
    devs = [d for d in default_devices() if d.address != IGB_VFS[0]]
    return Topology(devs, default_domains())


def bench(pfs=64, vfs=64, pfs_per_port=16):
    """pfs SR-IOV PFs with vfs VFs each behind root ports; one domain holds a VF per PF."""
    devs, ports = [], []
    for i in range(pfs):
        if i % pfs_per_port == 0:
            port = canon(0, 0, 1 + len(ports), 0)
            ports.append(port)
            devs.append(PciDevice(port, INTEL, 0x2030, 0x060400, vendor=INTEL_NAME,
                                  product="Sky Lake-E PCI Express Root Port A",
                                  driver="pcieport", iommu_group=len(ports), numa_node=0,
                                  parent=None, bridge=True))
        bus = 1 + i
        numa = 0 if i < pfs // 2 else 1
        pf = canon(0, bus, 0, 0)
        devs.append(PciDevice(pf, MELLANOX, 0x1017, 0x020000, vendor=MLX_NAME,
                              product="MT27800 Family [ConnectX-5]", driver="mlx5_core",
                              iommu_group=1000 + i, numa_node=numa, parent=ports[-1],
                              totalvfs=max(vfs, 1)))
        for j in range(vfs):
            vf = canon(0, bus, 0x10 + j // 8, j % 8)
            devs.append(PciDevice(vf, MELLANOX, 0x1018, 0x020000, vendor=MLX_NAME,
                                  product="MT27800 Family [ConnectX-5 Virtual Function]",
                                  driver="mlx5_core", iommu_group=100000 + i * 1000 + j,
                                  numa_node=numa, parent=ports[-1], physfn=pf))
    held = [Hostdev(canon(0, 1 + i, 0x10, 0)) for i in range(pfs)] if vfs else []
    doms = [Domain("bench-vm", "7c9b3f0e-1c52-4f54-9a53-6e0c1b1d0b01", True, held)]
    return Topology(devs, doms)


SCENARIOS = {"default": default, "vanished": vanished}


def main(argv):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("scenario", choices=sorted(SCENARIOS) + ["bench"])
    ap.add_argument("out")
    ap.add_argument("--pfs", type=int, default=64)
    ap.add_argument("--vfs", type=int, default=64)
    args = ap.parse_args(argv)
    topo = bench(args.pfs, args.vfs) if args.scenario == "bench" else SCENARIOS[args.scenario]()
    topo.write(args.out)
    print(len(topo.devices))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
