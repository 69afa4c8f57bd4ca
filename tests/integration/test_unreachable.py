#!/usr/bin/python3
"""passd without libvirt: it starts, says so, refuses inventory calls, and keeps running, retrying
with growing delays that its log names."""

import re
import time

import passd

MANAGER = "io.passd.Manager."
URI = "test+unix:///default?socket=/nonexistent/libvirt-sock"


class Unreachable(passd.PassdCase):
    @classmethod
    def setUpClass(cls):
        cls.passd = passd.Passd(uri=URI).start(wait_connected=False)

    def test_status_disconnected(self):
        status = self.call(MANAGER + "GetStatus")
        self.assertIs(status["connected"], False)
        self.assertEqual(status["uri"], URI)

    def test_list_unavailable(self):
        err = self.assertVarlinkError(MANAGER + "HypervisorUnavailable", MANAGER + "ListDevices")
        self.assertIsInstance(err.get("message"), str)

    def test_get_device_unavailable(self):
        self.assertVarlinkError(MANAGER + "HypervisorUnavailable", MANAGER + "GetDevice",
                                {"address": "0000:02:00.0"})

    def test_get_device_malformed_still_invalid(self):
        self.assertVarlinkError("org.varlink.service.InvalidParameter", MANAGER + "GetDevice",
                                {"address": "zz"})

    def test_attach_unavailable(self):
        err = self.assertVarlinkError(MANAGER + "HypervisorUnavailable", MANAGER + "Attach",
                                      {"domain": "vm1", "address": "0000:02:00.0"})
        self.assertIn("Not connected to libvirt", err.get("message"))

    def test_backoff_logged(self):
        # "libvirt at URI gone: WHY; retrying in N s", the delays doubling from 0.5 s: the first
        # four take 3.5 s of retries to appear. Only their order is checked, not when they came.
        pattern = re.compile(r"libvirt at (\S+) gone: (.*); retrying in ([0-9.]+) s")
        deadline = time.monotonic() + 30 * passd.SCALE
        while True:
            found = [m for m in map(pattern.search, self.passd.log().splitlines()) if m]
            if len(found) >= 4 or time.monotonic() > deadline:
                break
            time.sleep(0.2)
        self.assertGreaterEqual(len(found), 4, self.passd.log())
        self.assertEqual([m.group(3) for m in found[:4]], ["0.5", "1", "2", "4"])
        for m in found:
            self.assertEqual(m.group(1), URI)
            self.assertIn("cannot connect", m.group(2))

    def test_keeps_running_while_retrying(self):
        time.sleep(2.0)
        self.assertTrue(self.passd.alive())
        self.assertIs(self.call(MANAGER + "GetStatus")["connected"], False)


if __name__ == "__main__":
    passd.run_tests()
