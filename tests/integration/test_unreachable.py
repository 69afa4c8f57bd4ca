#!/usr/bin/python3
"""passd without libvirt: it starts, says so, refuses inventory calls, and keeps running."""

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

    def test_keeps_running_while_retrying(self):
        time.sleep(2.0)
        self.assertTrue(self.passd.alive())
        self.assertIs(self.call(MANAGER + "GetStatus")["connected"], False)


if __name__ == "__main__":
    passd.run_tests()
