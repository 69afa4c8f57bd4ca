#!/usr/bin/python3
"""passd's life: READY=1, socket files, socket activation, shutdown with clients attached."""

import json
import os
import shutil
import signal
import socket
import subprocess
import unittest

import passd
import topology as T

MANAGER = "io.passd.Manager."


class Lifecycle(unittest.TestCase):
    def start(self, **kw):
        p = passd.Passd(T.default(), **kw)
        self.addCleanup(lambda: p.alive() and p.stop())
        return p

    def assertCleanStop(self, p):
        problems = p.stop()
        self.assertEqual(problems, [], "\n" + p.log())

    def test_ready_notification(self):
        d = passd.scratch_dir("passd-notify-")
        self.addCleanup(shutil.rmtree, d, True)
        path = os.path.join(d, "notify")
        notify = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.addCleanup(notify.close)
        notify.bind(path)
        notify.settimeout(10 * passd.SCALE)
        p = self.start(env={"NOTIFY_SOCKET": path}).start()
        messages = []
        while not any("READY=1" in m.split("\n") for m in messages):
            messages.append(notify.recv(4096).decode())
        # READY means serving: the inventory is there
        self.assertIs(p.call(MANAGER + "GetStatus")["connected"], True)
        self.assertCleanStop(p)

    def test_stale_socket_file_replaced(self):
        p = self.start()
        stale = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        stale.bind(p.socket)  # a socket file nobody listens on, as after a crash
        stale.close()
        self.assertTrue(os.path.exists(p.socket))
        p.start()
        self.assertIn("connected", p.call(MANAGER + "GetStatus"))
        self.assertCleanStop(p)

    def test_second_instance_refused(self):
        first = self.start().start()
        second = subprocess.run(
            [passd.binary("PASSD"), "--connect", first.uri, "--socket", first.socket,
             "--state-dir", os.path.join(first.dir, "state2")],
            capture_output=True, text=True, timeout=30 * passd.SCALE)
        self.assertNotEqual(second.returncode, 0, second)
        self.assertNotEqual(second.stderr.strip(), "")
        self.assertIn("connected", first.call(MANAGER + "GetStatus"))
        self.assertCleanStop(first)

    def test_socket_activation(self):
        p = self.start(activate=True).start()
        self.assertEqual(len(p.call(MANAGER + "ListDevices")["devices"]), len(T.default().devices))
        self.assertCleanStop(p)

    def test_socket_activation_first_client_gets_the_inventory(self):
        # The connection that makes the service manager start passd is queued before passd
        # runs; passd accepts once ready, so it gets the devices, not "not connected yet".
        p = self.start(activate=True)
        first = passd.Conn(p.socket)
        self.addCleanup(first.close)
        first.send({"method": MANAGER + "ListDevices"})
        p.start()
        reply = first.recv()
        self.assertNotIn("error", reply)
        self.assertEqual(len(reply["parameters"]["devices"]), len(T.default().devices))
        self.assertCleanStop(p)

    def test_sigterm_with_clients_attached(self):
        p = self.start().start()
        watchers = [p.connect() for _ in range(3)]
        for w in watchers:
            self.assertEqual(w.call_raw(MANAGER + "Watch", {}, more=True)["parameters"]["event"]
                             ["type"], "subscribed")
        half = p.connect()
        half.send_raw(b'{"method": "io.passd.Manager.GetSt')
        idle = p.connect()
        unread = p.connect()
        unread.send_raw(b"".join(json.dumps({"method": MANAGER + "ListDevices"}).encode() + b"\0"
                                 for _ in range(50)))
        self.assertCleanStop(p)
        for c in watchers + [half, idle, unread]:
            c.close()

    def test_sigint_also_stops_cleanly(self):
        p = self.start().start()
        self.assertEqual(p.stop(sig=signal.SIGINT), [], p.log())


if __name__ == "__main__":
    passd.run_tests()
