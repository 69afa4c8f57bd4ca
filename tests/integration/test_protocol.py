#!/usr/bin/python3
"""The varlink transport as passd serves it: org.varlink.service, errors, framing, limits."""

import json
import os
import socket
import time

import passd

SERVICE = "org.varlink.service."
MANAGER = "io.passd.Manager."
IDL = os.environ.get("PASSD_IDL") or os.path.join(os.path.dirname(__file__), "..", "..", "proto",
                                                  "io.passd.Manager.varlink")
REPLY_KEYS = {"parameters", "continues", "error"}


class Service(passd.PassdCase):
    def test_get_info(self):
        info = self.call(SERVICE + "GetInfo")
        for key in ("vendor", "product", "version", "url", "interfaces"):
            self.assertIn(key, info)
        self.assertIn("io.passd.Manager", info["interfaces"])
        self.assertIn("org.varlink.service", info["interfaces"])

    def test_interface_description_is_the_idl_verbatim(self):
        with open(IDL, encoding="utf-8") as f:
            text = f.read()
        got = self.call(SERVICE + "GetInterfaceDescription", {"interface": "io.passd.Manager"})
        self.assertEqual(got, {"description": text})

    def test_interface_description_unknown(self):
        err = self.assertVarlinkError(SERVICE + "InterfaceNotFound",
                                      SERVICE + "GetInterfaceDescription",
                                      {"interface": "com.example.Nope"})
        self.assertEqual(err.get("interface"), "com.example.Nope")

    def test_unknown_method(self):
        err = self.assertVarlinkError(SERVICE + "MethodNotFound", MANAGER + "Frobnicate", {})
        self.assertEqual(err, {"method": MANAGER + "Frobnicate"})

    def test_unknown_interface(self):
        err = self.assertVarlinkError(SERVICE + "InterfaceNotFound", "com.example.Foo.Bar", {})
        self.assertEqual(err, {"interface": "com.example.Foo"})

    def test_wrong_parameter_type_names_the_field(self):
        err = self.assertVarlinkError(SERVICE + "InvalidParameter", MANAGER + "GetDevice",
                                      {"address": ["0000:02:00.0"]})
        self.assertEqual(err, {"parameter": "address"})

    def test_null_parameters_accepted(self):
        with self.passd.connect() as c:
            reply = c.call_raw(MANAGER + "GetStatus", None)
            self.assertEqual(set(reply), {"parameters"}, reply)
            c.send({"method": MANAGER + "GetStatus", "parameters": None})
            reply = c.recv()
            self.assertEqual(set(reply), {"parameters"}, reply)
            self.assertIs(reply["parameters"]["connected"], True)

    def test_reply_keys(self):
        with self.passd.connect() as c:
            for method, params in ((MANAGER + "GetStatus", {}), (MANAGER + "ListDevices", {}),
                                   (MANAGER + "GetDevice", {"address": "02:00.0"}),
                                   (MANAGER + "GetDevice", {"address": "09:00.0"}),
                                   (MANAGER + "GetDevice", {"address": "zz"}),
                                   (SERVICE + "GetInfo", {}), (MANAGER + "Nope", {})):
                with self.subTest(method=method, params=params):
                    reply = c.call_raw(method, params)
                    self.assertLessEqual(set(reply), REPLY_KEYS, reply)
                    self.assertNotIn("continues", reply)  # none of these asked for more

    def test_pipelined_calls_answered_in_order(self):
        calls = [(MANAGER + "GetDevice", {"address": "02:00.0"}),
                 (MANAGER + "GetDevice", {"address": "09:00.0"}),
                 (MANAGER + "GetStatus", {}),
                 (MANAGER + "Nope", {}),
                 (MANAGER + "GetDevice", {"address": "03:00.1"})]
        with self.passd.connect() as c:
            c.send_raw(b"".join(json.dumps({"method": m, "parameters": p}).encode() + b"\0"
                                for m, p in calls))
            replies = [c.recv() for _ in calls]
        self.assertEqual(replies[0]["parameters"]["device"]["address"], "0000:02:00.0")
        self.assertEqual(replies[1]["error"], MANAGER + "NoSuchDevice")
        self.assertIn("connected", replies[2]["parameters"])
        self.assertEqual(replies[3]["error"], SERVICE + "MethodNotFound")
        self.assertEqual(replies[4]["parameters"]["device"]["address"], "0000:03:00.1")

    def test_pipelined_one_byte_at_a_time(self):
        data = json.dumps({"method": MANAGER + "GetDevice",
                           "parameters": {"address": "8a:00.2"}}).encode() + b"\0"
        with self.passd.connect() as c:
            for i in range(len(data)):
                c.send_raw(data[i:i + 1])
            self.assertEqual(c.recv()["parameters"]["device"]["address"], "0000:8a:00.2")

    def test_more_on_a_single_reply_method(self):
        # "more" allows several replies; a method with one answer gives one final reply
        with self.passd.connect() as c:
            reply = c.call_raw(MANAGER + "GetDevice", {"address": "02:00.0"}, more=True)
            self.assertEqual(reply["parameters"]["device"]["address"], "0000:02:00.0")
            self.assertFalse(reply.get("continues", False), reply)
            self.assertIn("connected", c.call(MANAGER + "GetStatus"))

    def test_oneway_gets_no_reply(self):
        with self.passd.connect() as c:
            c.send({"method": MANAGER + "GetStatus", "oneway": True})
            c.send({"method": MANAGER + "GetDevice", "parameters": {"address": "9999:00:00.0"},
                    "oneway": True})
            reply = c.call_raw(MANAGER + "GetDevice", {"address": "02:10.4"})
            self.assertEqual(reply["parameters"]["device"]["address"], "0000:02:10.4")
            self.assertIsNone(c.quiet_for(0.3))


class BadInput(passd.PassdCase):
    """Each of these must close the offending connection and nothing else."""

    def check_closed_others_fine(self, payload):
        bystander = self.passd.connect()
        self.addCleanup(bystander.close)
        with self.passd.connect() as c:
            try:
                c.send_raw(payload)
            except (BrokenPipeError, ConnectionResetError):
                pass  # closed while we were still writing: fine
            self.assertTrue(c.wait_closed(10), "passd kept the connection open")
        self.assertTrue(self.passd.alive())
        self.assertIn("connected", bystander.call(MANAGER + "GetStatus"))
        self.assertIn("connected", self.call(MANAGER + "GetStatus"))

    def test_invalid_json(self):
        self.check_closed_others_fine(b"{nope\0")

    def test_not_an_object(self):
        self.check_closed_others_fine(b"[1]\0")

    def test_no_method(self):
        self.check_closed_others_fine(b'{"parameters": {}}\0')

    def test_method_not_a_string(self):
        self.check_closed_others_fine(b'{"method": 5}\0')

    def test_oversize(self):
        self.check_closed_others_fine(b"[" * (17 * 1024 * 1024))

    def test_garbage_after_valid_call(self):
        with self.passd.connect() as c:
            c.send_raw(json.dumps({"method": MANAGER + "GetStatus"}).encode() + b"\0\xff\xfe\0")
            first = c.recv()
            self.assertIn("parameters", first)
            self.assertTrue(c.wait_closed(10))
        self.assertIn("connected", self.call(MANAGER + "GetStatus"))

    def test_half_message_then_hangup(self):
        with self.passd.connect() as c:
            c.send_raw(b'{"method": "io.passd.Manager.GetSt')
        time.sleep(0.1)
        self.assertIn("connected", self.call(MANAGER + "GetStatus"))


class ConnectionCap(passd.PassdCase):
    CAP = 256
    # every connection here is root's: the cap per uid must not come first
    EXTRA_ARGS = ("--max-connections-per-uid", str(CAP))

    def test_connection_cap(self):
        total = self.CAP + 44
        conns, refused = [], 0
        for _ in range(total):
            s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            try:
                s.connect(self.passd.socket)  # blocking: waits while the backlog is full
            except OSError:
                s.close()
                refused += 1
                continue
            conns.append(s)
        # ask every open one for its status at once, then see who answers and who hangs up
        call = json.dumps({"method": MANAGER + "GetStatus"}).encode() + b"\0"
        for s in conns:
            try:
                s.sendall(call)
            except OSError:
                pass
        answered = closed = silent = 0
        deadline = time.monotonic() + 10 * passd.SCALE
        for s in conns:
            s.settimeout(max(0.05, deadline - time.monotonic()))
            data = b""
            try:
                while b"\0" not in data:
                    chunk = s.recv(4096)
                    if not chunk:
                        break
                    data += chunk
            except socket.timeout:
                silent += 1
                continue
            except OSError:
                closed += 1
                continue
            if b"\0" in data:
                answered += 1
            else:
                closed += 1
        for s in conns:
            s.close()
        self.assertEqual(silent, 0, "%d connections neither served nor closed" % silent)
        self.assertLessEqual(answered, self.CAP)
        self.assertGreaterEqual(answered, self.CAP - 8)
        self.assertGreaterEqual(closed + refused, total - self.CAP)
        time.sleep(0.2)
        # every slot is free again
        again = [self.passd.connect() for _ in range(self.CAP - 8)]
        try:
            for c in again:
                self.assertIn("connected", c.call(MANAGER + "GetStatus"))
        finally:
            for c in again:
                c.close()
        self.assertTrue(self.passd.alive())

    def test_burst_of_nonblocking_connects(self):
        # Go's net.Dial and other non-blocking connectors fail with EAGAIN, not wait, when the
        # listen backlog is full; a burst well below the connection cap must all get in
        burst = 128
        socks, eagain = [], 0
        try:
            for _ in range(burst):
                s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
                s.setblocking(False)
                try:
                    s.connect(self.passd.socket)
                except BlockingIOError:
                    eagain += 1
                    s.close()
                    continue
                socks.append(s)
        finally:
            for s in socks:
                s.close()
        self.assertEqual(eagain, 0, "%d of %d connects got EAGAIN (listen backlog too small)" %
                         (eagain, burst))


if __name__ == "__main__":
    passd.run_tests()
