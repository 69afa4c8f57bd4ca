#!/usr/bin/python3
"""passd.conf end to end: --config FILE read at start, its ProtectedDevices refused by Attach
with the file named, the command line over the file, and a bad or missing file an exit 2 with
the message (file, line, key) before anything starts (and the values passd took, in its debug
log). The keys one by one, and RemovalTimeout's effect on Detach, are unit-tested (tests/daemon/test-config.c, test-service-ops.c)."""

import os
import subprocess

import passd
import topology as T

MANAGER = "io.passd.Manager."
DIR = passd.scratch_dir("passd-config-test-")
EMPTY_ROOT = passd.scratch_dir("passd-empty-root-")


def write_config(name, text):
    path = os.path.join(DIR, name)
    with open(path, "w") as f:
        f.write(text)
    return path


CONFIG = write_config("passd.conf", """# a test's passd.conf
[passd]
# overridden by passd.py's --connect, --socket and --state-dir
Connect=test:///nowhere
Socket=/nonexistent/passd.sock
StateDirectory=/nonexistent/state
ProtectedDevices=05:00.0 ; pci_0000_02_10_4
RemovalTimeout=3
ReaskInterval=7
Verbose=true
""")


class ConfigTest(passd.PassdCase):
    EXTRA_ARGS = ("--config", CONFIG, "--host-root", EMPTY_ROOT)

    def test_protected_devices(self):
        for address in (T.NODRV, T.IGB_VFS[2]):
            with self.subTest(address=address):
                err = self.assertVarlinkError(MANAGER + "DeviceProtected", MANAGER + "Attach",
                                              {"domain": T.VM_STOPPED, "address": address,
                                               "dry_run": True})
                self.assertEqual(err["address"], address)
                self.assertEqual(err["reason"],
                                 "%s is listed in ProtectedDevices in %s" % (address, CONFIG))
        # --force overrides the list as it does the host's own verdicts
        reply = self.call(MANAGER + "Attach", {"domain": T.VM_STOPPED, "address": T.NODRV,
                                               "dry_run": True, "force": True})
        self.assertEqual(reply["devices"], [T.NODRV])

    def test_file_read_and_overridden(self):
        # the options won over Connect=, Socket= and StateDirectory= (else passd would not
        # serve here), and Verbose= turned debug messages on
        status = self.call(MANAGER + "GetStatus")
        self.assertTrue(status["connected"])
        self.assertIn("configuration: %s; Detach waits 3 s by default, asks again every 7 s "
                      "after a reset; 2 devices in ProtectedDevices; state in %s"
                      % (CONFIG, self.passd.state_dir), self.passd.log())


class BadConfigTest(passd.unittest.TestCase):
    def run_passd(self, *args):
        sock = os.path.join(DIR, "never.sock")
        r = subprocess.run([passd.binary("PASSD"), "--connect", "test:///default", "--socket",
                            sock] + list(args),
                           capture_output=True, text=True, timeout=30 * passd.SCALE)
        self.assertFalse(os.path.exists(sock), "passd started serving")
        return r

    def test_bad_value(self):
        path = write_config("bad.conf", "[passd]\n\nMaxConnections=0\n")
        r = self.run_passd("--config", path)
        self.assertEqual(r.returncode, 2, r)
        self.assertEqual(r.stderr, "passd: %s:3: MaxConnections: '0' is not a number from 1 to "
                                   "4096\n" % path)

    def test_bad_even_where_overridden(self):
        path = write_config("overridden.conf", "[passd]\nSocket=relative\n")
        r = self.run_passd("--config", path)
        self.assertEqual(r.returncode, 2, r)
        self.assertEqual(r.stderr, "passd: %s:2: Socket: 'relative' is not an absolute path\n"
                         % path)

    def test_unknown_key_and_group(self):
        for text, message in (("[passd]\nProtectDevices=05:00.0\n",
                               "2: ProtectDevices: unknown key (see passd(8))"),
                              ("[passd]\n[Service]\n",
                               "2: [Service]: unknown group (the only one is [passd])"),
                              ("[passd]\nVerbose=true\nVerbose=false\n",
                               "3: Verbose: set again (first on line 2)")):
            with self.subTest(text=text):
                path = write_config("unknown.conf", text)
                r = self.run_passd("--config", path)
                self.assertEqual(r.returncode, 2, r)
                self.assertEqual(r.stderr, "passd: %s:%s\n" % (path, message))

    def test_missing_explicit_file(self):
        path = os.path.join(DIR, "missing.conf")
        r = self.run_passd("--config", path)
        self.assertEqual(r.returncode, 2, r)
        self.assertIn(path, r.stderr)
        self.assertIn("No such file or directory", r.stderr)


if __name__ == "__main__":
    passd.run_tests()
