#!/usr/bin/python3
"""passctl against a live passd: output, JSON equal to the API's, exit codes."""

import json
import os
import select
import subprocess
import time

import passd
import topology as T

MANAGER = "io.passd.Manager."


class Passctl(passd.PassdCase):
    def run_passctl(self, *args, socket=True, env=None, timeout=20):
        cmd = [passd.binary("PASSCTL")]
        if socket:
            cmd += ["--socket", self.passd.socket]
        cmd += list(args)
        full_env = dict(os.environ)
        full_env.pop("PASSD_SOCKET", None)
        full_env.update(env or {})
        p = subprocess.run(cmd, capture_output=True, text=True, env=full_env,
                           timeout=timeout * passd.SCALE)
        return p

    def ok(self, *args, **kw):
        p = self.run_passctl(*args, **kw)
        self.assertEqual(p.returncode, 0, "passctl %s: rc %d\nstdout: %s\nstderr: %s" %
                         (" ".join(args), p.returncode, p.stdout, p.stderr))
        return p.stdout

    def test_list(self):
        out = self.ok("list")
        for address in self.topo.devices:
            self.assertIn(address, out)

    def test_list_json_equals_api(self):
        got = json.loads(self.ok("list", "--json"))
        self.assertEqual(got, self.call(MANAGER + "ListDevices"))

    def test_tree(self):
        lines = self.ok("list", "--tree").splitlines()
        for address in self.topo.devices:
            self.assertEqual(sum(address in l for l in lines), 1, "%s in %s" % (address, lines))

        def indent(address):
            line = next(l for l in lines if address in l)
            return len(line) - len(line.lstrip(" \u2502\u251c\u2514\u2500|`-+"))

        for parent, child in ((T.RP0, T.IGB_PF), (T.RP2, T.MLX_PF), (T.RP1, T.GPU)):
            with self.subTest(parent=parent, child=child):
                self.assertGreater(indent(child), indent(parent))
                row = lambda a: next(i for i, l in enumerate(lines) if a in l)
                self.assertLess(row(parent), row(child))

    def test_show(self):
        out = self.ok("show", "02:00.0")
        self.assertIn("0000:02:00.0", out)
        self.assertIn("82576 Gigabit Network Connection", out)
        for vf in T.IGB_VFS:
            self.assertIn(vf, out)

    def test_show_json(self):
        got = json.loads(self.ok("show", "pci_0000_03_00_0", "--json"))
        api = self.call(MANAGER + "GetDevice", {"address": T.GPU})
        # either the reply's parameters or the bare device
        self.assertIn(got, (api, api["device"]))

    def test_status(self):
        out = self.ok("status")
        self.assertIn(self.passd.uri, out)

    def test_socket_from_env(self):
        got = json.loads(self.ok("list", "--json", socket=False,
                                 env={"PASSD_SOCKET": self.passd.socket}))
        self.assertEqual(len(got["devices"]), len(self.topo.devices))

    def test_unknown_device_exit_1(self):
        p = self.run_passctl("show", T.MISSING)
        self.assertEqual(p.returncode, 1, p)
        self.assertEqual(len(p.stderr.strip().splitlines()), 1, p.stderr)
        self.assertEqual(p.stdout, "")

    def test_bad_address_exit_2(self):
        for bad in ("02:00.8", "0000:02:20.0", "zz"):
            with self.subTest(address=bad):
                p = self.run_passctl("show", bad)
                self.assertEqual(p.returncode, 2, p)
                self.assertNotEqual(p.stderr.strip(), "")

    def test_no_daemon_exit_3(self):
        p = self.run_passctl("status", socket=False,
                             env={"PASSD_SOCKET": os.path.join(self.passd.dir, "nothing-here")})
        self.assertEqual(p.returncode, 3, p)
        p = self.run_passctl("--socket", "/nonexistent/passd.sock", "list", socket=False)
        self.assertEqual(p.returncode, 3, p)

    def test_monitor_json_prints_subscribed(self):
        cmd = [passd.binary("PASSCTL"), "--socket", self.passd.socket, "monitor", "--json"]
        proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        try:
            ready, _, _ = select.select([proc.stdout], [], [], 10 * passd.SCALE)
            self.assertTrue(ready, "passctl monitor printed nothing in time")
            event = json.loads(proc.stdout.readline())
            event = event.get("event", event)
            self.assertEqual(event["type"], "subscribed")
            time.sleep(0.1)
            self.assertIsNone(proc.poll(), "monitor should keep running")
        finally:
            proc.terminate()
            proc.wait(10)
            proc.stdout.close()
            proc.stderr.close()


if __name__ == "__main__":
    passd.run_tests()
