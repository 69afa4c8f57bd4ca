"""virt-host-validate's verdicts about device assignment, and the host doctor's checks that must
flag the same: shared by test_doctor.py (this machine) and the lab's check.py (L1)."""

import re
import subprocess

# Its checks by the words of its line, and the doctor's check ids that cover each.
VHV_MAP = [
    (re.compile(r"hardware virtuali[sz]ation", re.I), ["cpu-virtualization"]),
    (re.compile(r"/dev/kvm", re.I), ["kvm-device"]),
    (re.compile(r"IOMMU support", re.I), ["iommu-firmware", "iommu-enabled"]),
    (re.compile(r"IOMMU is enabled", re.I), ["iommu-enabled"]),
]
VHV_LINE = re.compile(r"^\s*QEMU: Checking (?:for |if )?(.*?)\s*: (PASS|WARN|FAIL)\b(.*)$")


def verdicts():
    """[(line, PASS|WARN|FAIL, doctor ids)] for virt-host-validate's device-assignment lines."""
    p = subprocess.run(["virt-host-validate", "qemu"], capture_output=True, text=True,
                       timeout=60)
    found = []
    for line in p.stdout.splitlines():
        m = VHV_LINE.match(line)
        if m is None:
            continue
        for pattern, ids in VHV_MAP:
            if pattern.search(m.group(1)):
                found.append((line.strip(), m.group(2), ids))
    return found


def disagreements(found, status):
    """What virt-host-validate flags (WARN/FAIL) and the doctor passes: a list of sentences."""
    problems = []
    for line, verdict, ids in found:
        if verdict != "PASS" and not any(status.get(i) in ("warn", "fail") for i in ids):
            problems.append("%s, but the doctor says %s" %
                            (line, {i: status.get(i) for i in ids}))
    return problems
