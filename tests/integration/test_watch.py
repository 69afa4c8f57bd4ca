#!/usr/bin/python3
"""Watch: the subscription handshake, and subscribers coming and going."""

import time

import passd

SERVICE = "org.varlink.service."
MANAGER = "io.passd.Manager."


class Watch(passd.PassdCase):
    def subscribe(self):
        c = self.passd.connect()
        self.addCleanup(c.close)
        reply = c.call_raw(MANAGER + "Watch", {}, more=True)
        self.assertLessEqual(set(reply), {"parameters", "continues"}, reply)
        self.assertIs(reply.get("continues"), True, reply)
        event = reply["parameters"]["event"]
        self.assertEqual(event["type"], "subscribed")
        return c

    def test_without_more(self):
        self.assertVarlinkError(SERVICE + "ExpectedMore", MANAGER + "Watch", {})

    def test_subscribed_first(self):
        self.subscribe()

    def test_subscribed_event_fields(self):
        c = self.passd.connect()
        self.addCleanup(c.close)
        before = time.time_ns() // 1000
        event = c.call_raw(MANAGER + "Watch", None, more=True)["parameters"]["event"]
        after = time.time_ns() // 1000
        self.assertEqual(event["type"], "subscribed")
        # passd's clock, in µs since the epoch, when the stream began
        self.assertIsInstance(event["timestamp"], int)
        self.assertTrue(before <= event["timestamp"] <= after, (before, event, after))
        # a subscribed event is about no device
        self.assertIsNone(event.get("address"), event)
        self.assertIsNone(event.get("device"), event)
        self.assertIn(event.get("connected"), (None, True), event)
        self.assertLessEqual(set(event), {"type", "timestamp", "address", "device", "connected", "message"})

    def test_watch_keeps_connection_for_the_stream(self):
        c = self.subscribe()
        # nothing changes on a test-driver host: no further message, connection stays open
        self.assertIsNone(c.quiet_for(0.5))

    def test_one_subscriber_leaving_disturbs_nobody(self):
        stay = self.subscribe()
        leave = [self.subscribe() for _ in range(5)]
        for c in leave:
            c.close()
        late = self.subscribe()
        self.assertIn("connected", self.call(MANAGER + "GetStatus"))
        self.assertIsNone(stay.quiet_for(0.3))
        self.assertIsNone(late.quiet_for(0.1))
        self.assertTrue(self.passd.alive())

    def test_watch_then_hangup_mid_write(self):
        # subscribe and vanish before reading the first reply
        for _ in range(20):
            c = self.passd.connect()
            c.send({"method": MANAGER + "Watch", "more": True})
            c.close()
        self.assertEqual(len(self.call(MANAGER + "ListDevices")["devices"]),
                         len(self.topo.devices))


if __name__ == "__main__":
    passd.run_tests()
