#!/usr/bin/python3
"""CheckHost and passctl check end to end: the real passd against libvirt's test driver with
--host-root at fake hosts (an Intel host ready for passthrough, one without an IOMMU), and
against this very machine (--host-root /, read-only) compared with virt-host-validate.
"""

import json
import os
import shutil
import subprocess
import unittest

import passd
import topology as T
import vhv

MANAGER = "io.passd.Manager."
SERVICE = "org.varlink.service."
RELEASE = "6.1.0-doctor"
HOST_IDS = ["cpu-virtualization", "kvm-device", "iommu-firmware", "iommu-enabled",
            "interrupt-remapping", "kernel-cmdline-iommu", "kernel-cmdline-passthrough",
            "module-vfio", "module-vfio-pci", "module-vfio-iommu-type1", "libvirt"]
DEVICE_IDS = ["device-iommu-group", "device-sysfs", "device-acs", "device-reset",
              "device-sriov", "device-host-critical"]


def put(root, path, contents=""):
    full = os.path.join(root, path)
    os.makedirs(os.path.dirname(full), exist_ok=True)
    mode = "wb" if isinstance(contents, bytes) else "w"
    with open(full, mode) as f:
        f.write(contents)


def acs_config():
    """4 KiB of config space: AER at 0x100, then ACS at 0x148."""
    config = bytearray(4096)
    config[0x100:0x104] = (0x0001 | 1 << 16 | 0x148 << 20).to_bytes(4, "little")
    config[0x148:0x14c] = (0x000d | 1 << 16).to_bytes(4, "little")
    return bytes(config)


def intel_host():
    """An Intel host with VT-d on, the vfio modules loaded, and the GPU below RP1."""
    root = passd.scratch_dir("passd-doctor-intel-")
    put(root, "proc/cpuinfo", "vendor_id\t: GenuineIntel\nflags\t\t: fpu vmx ept\n")
    put(root, "proc/cmdline", "BOOT_IMAGE=/vmlinuz root=/dev/sda1 intel_iommu=on iommu=pt\n")
    put(root, "proc/sys/kernel/osrelease", RELEASE + "\n")
    put(root, "dev/kvm")
    put(root, "sys/firmware/acpi/tables/DMAR")
    for group in (1, 2, 15):
        os.makedirs(os.path.join(root, "sys/kernel/iommu_groups/%d/devices" % group))
    put(root, "sys/class/iommu/dmar0/intel-iommu/ecap", "f050da\n")
    put(root, "etc/default/grub", 'GRUB_CMDLINE_LINUX="intel_iommu=on iommu=pt"\n')
    for module in ("vfio", "vfio_pci", "vfio_iommu_type1"):
        os.makedirs(os.path.join(root, "sys/module", module))
    port = "sys/devices/pci0000:00/" + T.RP1
    put(root, port + "/class", "0x060400\n")
    put(root, port + "/config", acs_config())
    put(root, port + "/" + T.GPU + "/class", "0x030000\n")
    put(root, port + "/" + T.GPU + "/reset_method", "bus\n")
    os.makedirs(os.path.join(root, "sys/bus/pci/devices"))
    for address, path in ((T.RP1, port), (T.GPU, port + "/" + T.GPU)):
        os.symlink("../../../" + path[len("sys/"):],
                   os.path.join(root, "sys/bus/pci/devices", address))
    return root


def bare_host():
    """No IOMMU in the firmware, no vfio modules: what a plain VM looks like."""
    root = passd.scratch_dir("passd-doctor-bare-")
    put(root, "proc/cpuinfo", "vendor_id\t: GenuineIntel\nflags\t\t: fpu hypervisor\n")
    put(root, "proc/cmdline", "console=ttyS0 root=/dev/vda\n")
    put(root, "proc/sys/kernel/osrelease", RELEASE + "\n")
    return root


class DoctorCase(passd.PassdCase):
    ROOT = None

    @classmethod
    def tearDownClass(cls):
        super().tearDownClass()
        shutil.rmtree(cls.ROOT, ignore_errors=True)

    def checks(self, parameters=None):
        checks = self.call(MANAGER + "CheckHost", parameters)["checks"]
        for check in checks:
            self.assertEqual(set(check), {"id", "title", "status", "evidence", "fix"}, check)
            self.assertIn(check["status"], ("pass", "warn", "fail"))
            self.assertTrue(check["title"] and check["evidence"], check)
            # a fix exactly when there is something to fix
            self.assertEqual(check["fix"] is None, check["status"] == "pass", check)
        return {c["id"]: c for c in checks}, [c["id"] for c in checks]

    def passctl(self, *args):
        p = subprocess.run([passd.binary("PASSCTL"), "--socket", self.passd.socket] + list(args),
                           capture_output=True, text=True, timeout=20 * passd.SCALE)
        self.assertEqual(p.stderr, "")
        return p


class IntelHost(DoctorCase):
    ROOT = intel_host()
    EXTRA_ARGS = ("--host-root", ROOT)

    def test_host(self):
        by_id, order = self.checks()
        self.assertEqual(order, HOST_IDS)
        for check in by_id.values():
            self.assertEqual(check["status"], "pass", check)
        self.assertIn("/sys/kernel/iommu_groups: 3 groups", by_id["iommu-enabled"]["evidence"])
        self.assertIn(self.passd.uri, by_id["libvirt"]["evidence"])
        # null is the same as leaving it out
        self.assertEqual(self.checks({"address": None})[1], HOST_IDS)

    def test_device(self):
        by_id, order = self.checks({"address": "03:00.0"})
        self.assertEqual(order, HOST_IDS + DEVICE_IDS)
        self.assertIn("IOMMU group 15: %s" % T.GPU, by_id["device-iommu-group"]["evidence"])
        self.assertEqual(by_id["device-acs"]["status"], "pass")
        self.assertIn("/sys/bus/pci/devices/%s/config: ACS capability at 0x148" % T.RP1,
                      by_id["device-acs"]["evidence"])
        self.assertEqual(by_id["device-reset"]["evidence"],
                         "/sys/bus/pci/devices/%s/reset_method: bus" % T.GPU)
        self.assertEqual(by_id["device-host-critical"]["status"], "pass")

    def test_bridge_is_critical(self):
        by_id, _ = self.checks({"address": T.RP1})
        self.assertEqual(by_id["device-host-critical"]["status"], "fail")
        self.assertIn("bridge", by_id["device-host-critical"]["evidence"])

    def test_errors(self):
        err = self.assertVarlinkError(MANAGER + "NoSuchDevice", MANAGER + "CheckHost",
                                      {"address": T.MISSING})
        self.assertEqual(err["address"], T.MISSING)
        for bad in ("zz", "", 3):
            self.assertVarlinkError(SERVICE + "InvalidParameter", MANAGER + "CheckHost",
                                    {"address": bad})

    def test_passctl(self):
        p = self.passctl("check", "--json")
        self.assertEqual(p.returncode, 0, p.stdout)
        self.assertEqual(json.loads(p.stdout), self.call(MANAGER + "CheckHost"))
        p = self.passctl("check", "--json", "03:00.0")
        self.assertEqual(p.returncode, 0, p.stdout)
        self.assertEqual(json.loads(p.stdout),
                         self.call(MANAGER + "CheckHost", {"address": T.GPU}))
        p = self.passctl("check")
        self.assertEqual(p.returncode, 0, p.stdout)
        lines = p.stdout.splitlines()
        self.assertEqual(lines[0], "PASS  CPU virtualisation (VT-x/AMD-V)")
        self.assertEqual(lines[-1], "11 checks: 0 failed, 0 warned")
        # a bridge fails: exit status 1
        p = self.passctl("check", T.RP1)
        self.assertEqual(p.returncode, 1, p.stdout)
        self.assertIn("FAIL  Not needed by the host\n      found: ", p.stdout)
        p = subprocess.run([passd.binary("PASSCTL"), "check", "nope"], capture_output=True,
                           text=True)
        self.assertEqual(p.returncode, 2)


class BareHost(DoctorCase):
    ROOT = bare_host()
    EXTRA_ARGS = ("--host-root", ROOT)

    def test_no_iommu(self):
        by_id, order = self.checks()
        self.assertEqual(order, HOST_IDS)
        expected = {"cpu-virtualization": "fail", "kvm-device": "fail", "iommu-firmware": "fail",
                    "iommu-enabled": "fail", "interrupt-remapping": "warn",
                    "kernel-cmdline-iommu": "fail", "kernel-cmdline-passthrough": "warn",
                    "module-vfio": "fail", "module-vfio-pci": "fail",
                    "module-vfio-iommu-type1": "fail", "libvirt": "pass"}
        self.assertEqual({i: c["status"] for i, c in by_id.items()}, expected)
        self.assertIn("firmware setup", by_id["iommu-enabled"]["fix"])
        self.assertIn("intel_iommu=on", by_id["kernel-cmdline-iommu"]["fix"])

    def test_passctl_fails(self):
        p = self.passctl("check")
        self.assertEqual(p.returncode, 1, p.stdout)
        self.assertIn("FAIL  IOMMU enabled in the kernel\n      found: /sys/kernel/iommu_groups: "
                      "missing", p.stdout)
        self.assertRegex(p.stdout, r"\n11 checks: 8 failed, 2 warned\n$")
        p = self.passctl("check", "--json")
        self.assertEqual(p.returncode, 1)
        self.assertEqual(json.loads(p.stdout), self.call(MANAGER + "CheckHost"))


@unittest.skipUnless(shutil.which("virt-host-validate"), "virt-host-validate is not installed")
class ThisMachine(unittest.TestCase):
    """On the real root: what virt-host-validate flags about device assignment, the doctor
    flags too (warn or fail). Both only read."""

    def test_agrees_with_virt_host_validate(self):
        found = vhv.verdicts()
        daemon = passd.Passd(uri="test:///default", extra_args=("--host-root", "/")).start()
        try:
            checks = daemon.call(MANAGER + "CheckHost")["checks"]
        finally:
            problems = daemon.stop()
        self.assertEqual(problems, [], daemon.log())
        status = {c["id"]: c["status"] for c in checks}
        print("virt-host-validate flags about device assignment: %s" %
              ([line for line, verdict, _ in found if verdict != "PASS"] or "none"))
        self.assertEqual(vhv.disagreements(found, status), [])
        # and whatever it says of the IOMMU, it says plainly when there is none
        groups = "/sys/kernel/iommu_groups"
        if not (os.path.isdir(groups) and os.listdir(groups)):
            self.assertEqual(status["iommu-enabled"], "fail")


if __name__ == "__main__":
    passd.run_tests()
