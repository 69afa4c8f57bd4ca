#!/usr/bin/python3
"""Hostile and malformed requests, one table: each row says exactly what passd must answer.

Outcomes: a varlink error by name (InvalidParameter with the parameter it names), a reply,
no reply at all (oneway), or the connection closed (a protocol violation: not JSON, not strict
JSON, nested too deep, a NUL in a string, no method string...). Every row runs on a connection
of its own, followed by a marker call so that "no reply" and "the next call still works" are
seen too. After the table passd is still up and nothing changed: devices, domains, status.
"""

import hashlib
import json

import passd
import topology as T

MANAGER = "io.passd.Manager."
SERVICE = "org.varlink.service."
INVALID = SERVICE + "InvalidParameter"
MIB = 1 << 20
EMPTY_ROOT = passd.scratch_dir("passd-empty-root-")

# The marker: a call whose answer is unmistakable (InvalidParameter naming "marker").
MARKER = {"method": MANAGER + "GetStatus", "parameters": {"marker": True}}


class Outcome:
    def __init__(self, kind, error=None, parameters=None, check=None):
        self.kind, self.error, self.parameters, self.check = kind, error, parameters, check


def error(name, parameters=None):
    """The error @name; its parameters exactly @parameters when given."""
    return Outcome("error", name, parameters)


def invalid(parameter):
    return error(INVALID, {"parameter": parameter})


def no_domain(name):
    return error(MANAGER + "NoSuchDomain", {"message": "No domain named " + name, "domain": name})


def reply(check=None):
    """A reply (no error, no "continues"); @check(parameters) must hold."""
    return Outcome("reply", check=check)


CLOSED = Outcome("closed")
NO_REPLY = Outcome("no-reply")


def call(method, parameters=None, **flags):
    msg = {"method": method}
    if parameters is not None:
        msg["parameters"] = parameters
    msg.update(flags)
    return json.dumps(msg).encode() + b"\0"


def raw_params(method, parameters_text):
    """A call whose parameters are given as raw JSON text (for what json.dumps cannot write)."""
    return b'{"method":"' + method.encode() + b'","parameters":' + parameters_text + b"}\0"


# A valid call of each method that takes parameters, changing nothing (dry runs), and each of
# its parameters' type.
BASES = {
    "ListDevices": ({}, {"vendor_id": "s", "product_id": "s", "class": "s", "driver": "s",
                         "owner": "s", "sriov": "s"}),
    "GetDevice": ({"address": T.GPU}, {"address": "s"}),
    "GetDomain": ({"domain": T.VM_RUNNING}, {"domain": "s"}),
    "Attach": ({"domain": T.VM_STOPPED, "address": T.IGB_VFS[2], "dry_run": True},
               {"domain": "s", "address": "s", "live": "b", "config": "b", "whole_group": "b",
                "force": "b", "interface": "b", "dry_run": "b"}),
    "Detach": ({"domain": T.VM_RUNNING, "address": T.GPU, "dry_run": True},
               {"domain": "s", "address": "s", "live": "b", "config": "b", "dry_run": "b",
                "timeout": "i"}),
    "Reattach": ({"address": T.NODRV, "dry_run": True}, {"address": "s", "dry_run": "b"}),
}
# Two wrong JSON types for each parameter type.
WRONG = {"s": (7, ["x"]), "b": ("true", 1), "i": ("20", 2.5)}


def wrong_type_rows():
    rows = []
    for method, (base, params) in BASES.items():
        for name, kind in params.items():
            for value in WRONG[kind]:
                p = dict(base, **{name: value})
                rows.append(("%s %s=%s" % (method, name, json.dumps(value)),
                             call(MANAGER + method, p), invalid(name)))
    return rows


def detach(**kw):
    return dict({"domain": T.VM_RUNNING, "address": T.GPU, "dry_run": True}, **kw)


def detach_timeout_text(text):
    return raw_params(MANAGER + "Detach", b'{"domain":"vm-running","address":"03:00.0",'
                      b'"dry_run":true,"timeout":' + text + b"}")


def is_dry_detach(p):
    return p["actions"][0]["action"] == "detach" and p["actions"][0]["domain"] == T.VM_RUNNING


def is_status(p):
    return p.get("connected") is True


HUGE = "x" * MIB
DEEP_ARRAYS = b"[" * 10000 + b"]" * 10000
DEEP_OBJECTS = b'{"a":' * 10000 + b"1" + b"}" * 10000
META = ["<", "&", "'", '"', "]]>", "<domain type='kvm'/>", "&amp;", "<![CDATA[x]]>",
        "\u202evm-running", "vm\u200f-running", "\ufeffvm-running", "vm-running\n",
        "a\u0001b", "\U0001F600", "..", "/etc/passwd", "vm-running' or '1'='1"]

ROWS = wrong_type_rows() + [
    # missing, null and empty required fields
    ("GetDomain no domain", call(MANAGER + "GetDomain", {}), invalid("domain")),
    ("GetDomain domain null", call(MANAGER + "GetDomain", {"domain": None}), invalid("domain")),
    ("GetDomain domain empty", call(MANAGER + "GetDomain", {"domain": ""}), invalid("domain")),
    ("Attach no address", call(MANAGER + "Attach", {"domain": T.VM_STOPPED}), invalid("address")),
    ("Reattach address empty", call(MANAGER + "Reattach", {"address": ""}), invalid("address")),
    # huge strings
    ("GetDomain 1 MiB domain", call(MANAGER + "GetDomain", {"domain": HUGE}), no_domain(HUGE)),
    ("Attach 1 MiB domain", call(MANAGER + "Attach", {"domain": HUGE, "address": T.NODRV}),
     no_domain(HUGE)),
    ("Detach 1 MiB domain", call(MANAGER + "Detach", {"domain": HUGE, "address": T.GPU}),
     no_domain(HUGE)),
    ("GetDevice 1 MiB address", call(MANAGER + "GetDevice", {"address": HUGE}),
     invalid("address")),
    ("Reattach 1 MiB address", call(MANAGER + "Reattach", {"address": "0" * MIB}),
     invalid("address")),
    ("ListDevices 1 MiB owner", call(MANAGER + "ListDevices", {"owner": HUGE}),
     reply(lambda p: p == {"devices": []})),
    ("ListDevices 1 MiB vendor", call(MANAGER + "ListDevices", {"vendor_id": HUGE}),
     invalid("vendor_id")),
    ("GetInterfaceDescription 1 MiB",
     call(SERVICE + "GetInterfaceDescription", {"interface": HUGE}),
     error(SERVICE + "InterfaceNotFound", {"interface": HUGE})),
] + [
    # XML metacharacters, bidi marks, control characters, path-like names: just names
    ("GetDomain %r" % name, call(MANAGER + "GetDomain", {"domain": name}), no_domain(name))
    for name in META
] + [
    ("Attach domain %r" % name,
     call(MANAGER + "Attach", {"domain": name, "address": T.NODRV, "dry_run": True}),
     no_domain(name))
    for name in META[:6]
] + [
    ("Attach address with XML", call(MANAGER + "Attach", {"domain": T.VM_STOPPED,
                                                          "address": T.NODRV + "'/><x a='"}),
     invalid("address")),
    ("Attach usb address with XML", call(MANAGER + "Attach", {"domain": T.VM_STOPPED,
                                                              "address": "usb:1-1'/><x a='"}),
     invalid("address")),
    ("Attach mdev address with XML",
     call(MANAGER + "Attach", {"domain": T.VM_STOPPED,
                               "address": "mdev:00000000-0000-0000-0000-00000000000'"}),
     invalid("address")),
    ("GetDevice 1 MiB usb port path", call(MANAGER + "GetDevice",
                                           {"address": "usb:1-" + ".1" * (MIB // 2)}),
     invalid("address")),
    ("GetDevice usb bus overflow", call(MANAGER + "GetDevice",
                                        {"address": "usb:" + "9" * 40 + "-1"}),
     invalid("address")),
    ("GetDevice unicode in usb id", call(MANAGER + "GetDevice", {"address": "usb:\u0e51-1"}),
     invalid("address")),
    ("ListDevices kind with XML", call(MANAGER + "ListDevices", {"kind": "<pci/>"}),
     invalid("kind")),
    ("ListDevices class with XML", call(MANAGER + "ListDevices", {"class": "0x02<x/>"}),
     invalid("class")),
    ("ListDevices driver with XML", call(MANAGER + "ListDevices", {"driver": "<&>"}),
     reply(lambda p: p == {"devices": []})),
    # what a varlink string cannot carry
    ("GetDomain NUL in domain", call(MANAGER + "GetDomain", {"domain": "vm\u0000running"}),
     CLOSED),
    ("GetDevice NUL in address", call(MANAGER + "GetDevice", {"address": T.GPU + "\u0000"}),
     CLOSED),
    ("GetDomain raw NUL in domain", raw_params(MANAGER + "GetDomain", b'{"domain":"vm\0r"}'),
     CLOSED),
    ("GetDomain raw tab in domain", raw_params(MANAGER + "GetDomain", b'{"domain":"vm\tr"}'),
     CLOSED),
    ("GetDomain invalid UTF-8", raw_params(MANAGER + "GetDomain", b'{"domain":"\xc3\x28"}'),
     CLOSED),
    ("GetDomain overlong UTF-8", raw_params(MANAGER + "GetDomain", b'{"domain":"\xc0\xaf"}'),
     CLOSED),
    ("GetDomain lone surrogate", raw_params(MANAGER + "GetDomain", b'{"domain":"\\ud800"}'),
     CLOSED),
    # timeouts
    ("Detach timeout -1", call(MANAGER + "Detach", detach(timeout=-1)), invalid("timeout")),
    ("Detach timeout 86401", call(MANAGER + "Detach", detach(timeout=86401)), invalid("timeout")),
    ("Detach timeout 86400.0", call(MANAGER + "Detach", detach(timeout=86400.0)),
     invalid("timeout")),
    ("Detach timeout 1e3", detach_timeout_text(b"1e3"), invalid("timeout")),
    ("Detach timeout 1e400", detach_timeout_text(b"1e400"), invalid("timeout")),
    ("Detach timeout 2^63", detach_timeout_text(b"9223372036854775808"), invalid("timeout")),
    ("Detach timeout -2^63-1", detach_timeout_text(b"-9223372036854775809"),
     invalid("timeout")),
    ("Detach timeout 2^64+1", detach_timeout_text(b"18446744073709551617"), invalid("timeout")),
    # json-glib would wrap these to 5 and 1: accepted as a few seconds before the fix
    ("Detach timeout -(2^64-5)", detach_timeout_text(b"-18446744073709551611"),
     invalid("timeout")),
    ("Detach timeout -(10^100-1)", detach_timeout_text(b"-" + b"9" * 100), invalid("timeout")),
    ("Detach timeout 10^100", detach_timeout_text(b"1" + b"0" * 100), invalid("timeout")),
    ("Detach timeout 05", detach_timeout_text(b"05"), CLOSED),  # not JSON
    ("Detach timeout NaN", detach_timeout_text(b"NaN"), CLOSED),
    ("Detach timeout -0", detach_timeout_text(b"-0"), reply(is_dry_detach)),
    ("Detach timeout 86400", call(MANAGER + "Detach", detach(timeout=86400)),
     reply(is_dry_detach)),
    # unknown fields
    ("Attach unknown field", call(MANAGER + "Attach", dict(BASES["Attach"][0], bogus=1)),
     invalid("bogus")),
    ("Attach unknown field named like a flag", call(MANAGER + "Attach",
                                                    dict(BASES["Attach"][0], Dry_Run=True)),
     invalid("Dry_Run")),
    ("GetStatus unknown field", call(MANAGER + "GetStatus", {"verbose": True}),
     invalid("verbose")),
    ("Watch unknown field", call(MANAGER + "Watch", {"address": T.GPU}, more=True),
     invalid("address")),
    ("unknown message member", call(MANAGER + "GetStatus", {}, bogus=1), reply(is_status)),
    ("escaped key", raw_params(MANAGER + "GetDomain", b'{"dom\\u0061in":"vm-running"}'),
     reply(lambda p: p["name"] == T.VM_RUNNING)),
    # oneway: no reply, whatever the method returns (the dry runs change nothing either way)
    ("GetStatus oneway", call(MANAGER + "GetStatus", {}, oneway=True), NO_REPLY),
    ("GetDomain oneway unknown", call(MANAGER + "GetDomain", {"domain": "nope"}, oneway=True),
     NO_REPLY),
    ("Attach oneway dry run", call(MANAGER + "Attach", BASES["Attach"][0], oneway=True),
     NO_REPLY),
    ("Attach oneway bad parameter", call(MANAGER + "Attach", {"bogus": 1}, oneway=True),
     NO_REPLY),
    ("Watch oneway", call(MANAGER + "Watch", {}, oneway=True), NO_REPLY),
    ("Watch more and oneway", call(MANAGER + "Watch", {}, more=True, oneway=True), NO_REPLY),
    # more on methods that do not stream: one final reply
    ("GetStatus more", call(MANAGER + "GetStatus", {}, more=True), reply(is_status)),
    ("GetDomain more", call(MANAGER + "GetDomain", {"domain": T.VM_RUNNING}, more=True),
     reply(lambda p: p["name"] == T.VM_RUNNING)),
    ("Detach more", call(MANAGER + "Detach", detach(), more=True), reply(is_dry_detach)),
    ("Watch without more", call(MANAGER + "Watch", {}), error(SERVICE + "ExpectedMore")),
    ("more not a bool", call(MANAGER + "GetStatus", {}, more="yes"), CLOSED),
    ("oneway not a bool", call(MANAGER + "GetStatus", {}, oneway=1), CLOSED),
    ("upgrade", call(MANAGER + "GetStatus", {}, upgrade=True),
     error(SERVICE + "MethodNotImplemented", {"method": MANAGER + "GetStatus"})),
    # deep nesting
    ("10000 nested arrays", raw_params(MANAGER + "Attach", b'{"domain":' + DEEP_ARRAYS + b"}"),
     CLOSED),
    ("10000 nested objects", raw_params(MANAGER + "Attach", b'{"domain":' + DEEP_OBJECTS + b"}"),
     CLOSED),
    ("10000 nested arrays, unknown field",
     raw_params(MANAGER + "GetStatus", b'{"x":' + DEEP_ARRAYS + b"}"), CLOSED),
    ("126 nested arrays", raw_params(MANAGER + "Attach",
                                     b'{"domain":' + b"[" * 126 + b"]" * 126 + b"}"),
     invalid("domain")),
    # methods and interfaces
    ("empty method", call(""), error(SERVICE + "InterfaceNotFound", {"interface": ""})),
    ("interface only", call("io.passd.Manager"),
     error(SERVICE + "InterfaceNotFound", {"interface": "io.passd"})),
    ("empty method name", call(MANAGER),
     error(SERVICE + "MethodNotFound", {"method": MANAGER})),
    ("wrong interface", call("io.passd.Manage.GetStatus"),
     error(SERVICE + "InterfaceNotFound", {"interface": "io.passd.Manage"})),
    ("wrong case", call(MANAGER + "getstatus"),
     error(SERVICE + "MethodNotFound", {"method": MANAGER + "getstatus"})),
    ("method of another interface", call(SERVICE + "GetStatus"),
     error(SERVICE + "MethodNotFound", {"method": SERVICE + "GetStatus"})),
    ("method with a NUL", call(MANAGER + "GetSt\u0000atus"), CLOSED),
    ("method null", b'{"method":null}\0', CLOSED),
    ("method a number", b'{"method":5}\0', CLOSED),
    ("method an object", b'{"method":{}}\0', CLOSED),
    ("no method", b'{"parameters":{}}\0', CLOSED),
    ("parameters an array", b'{"method":"io.passd.Manager.GetStatus","parameters":[]}\0', CLOSED),
    ("parameters a string", b'{"method":"io.passd.Manager.GetStatus","parameters":"x"}\0',
     CLOSED),
    ("message an array", b'["io.passd.Manager.GetStatus"]\0', CLOSED),
    ("empty message", b"\0", CLOSED),
    ("trailing garbage", b'{"method":"io.passd.Manager.GetStatus"} x\0', CLOSED),
    ("GetInterfaceDescription number", call(SERVICE + "GetInterfaceDescription",
                                            {"interface": 1}), invalid("interface")),
    # duplicated keys: the last one counts, in the message and in its parameters alike
    ("duplicated domain, last real", raw_params(MANAGER + "GetDomain",
                                                b'{"domain":"nope","domain":"vm-running"}'),
     reply(lambda p: p["name"] == T.VM_RUNNING)),
    ("duplicated domain, last unknown", raw_params(MANAGER + "GetDomain",
                                                   b'{"domain":"vm-running","domain":"nope"}'),
     no_domain("nope")),
    ("duplicated dry_run, last true",
     raw_params(MANAGER + "Reattach", b'{"address":"' + T.GPU.encode() +
                b'","dry_run":false,"dry_run":true}'),
     error(MANAGER + "DeviceInUse")),
    ("duplicated method", b'{"method":"io.passd.Manager.Attach",'
     b'"method":"io.passd.Manager.GetStatus"}\0', reply(is_status)),
    ("duplicated parameters", b'{"method":"io.passd.Manager.GetDomain",'
     b'"parameters":{"domain":"vm-running"},"parameters":{"domain":"nope"}}\0', no_domain("nope")),
]


class Hostile(passd.PassdCase):
    EXTRA_ARGS = ("--host-root", EMPTY_ROOT)

    def state(self):
        return (self.call(MANAGER + "GetStatus"), self.call(MANAGER + "ListDevices"),
                [self.call(MANAGER + "GetDomain", {"domain": d})
                 for d in (T.VM_RUNNING, T.VM_STOPPED, T.VM_VANISHED)],
                [self.call(MANAGER + "GetDevice", {"address": a})
                 for a in sorted(self.topo.devices)])

    def host_file(self):
        with open(self.passd.uri[len("test://"):], "rb") as f:
            return hashlib.sha256(f.read()).hexdigest()

    def outcome(self, message):
        """What passd did with @message: ("reply", msg), ("no-reply",) or ("closed",)."""
        with self.passd.connect(timeout=20) as c:
            try:
                c.send_raw(message + json.dumps(MARKER).encode() + b"\0")
            except (BrokenPipeError, ConnectionResetError):
                return ("closed",)
            try:
                first = c.recv()
            except passd.Closed:
                return ("closed",)
            if first.get("parameters") == {"parameter": "marker"}:
                self.assertIsNone(c.quiet_for(0.05), "something after the marker")
                return ("no-reply",)
            try:
                marker = c.recv()
            except passd.Closed:
                return ("reply-then-closed", first)
            self.assertEqual(marker.get("parameters"), {"parameter": "marker"}, marker)
            return ("reply", first)

    def check_row(self, expect, got):
        if expect.kind in ("closed", "no-reply"):
            self.assertEqual(got[0], expect.kind, got)
            return
        self.assertEqual(got[0], "reply", got)
        msg = got[1]
        self.assertLessEqual(set(msg), {"error", "parameters"}, msg)  # never "continues"
        if expect.kind == "error":
            self.assertEqual(msg.get("error"), expect.error, msg)
            if expect.parameters is not None:
                self.assertEqual(msg.get("parameters"), expect.parameters)
        else:
            self.assertNotIn("error", msg, msg)
            if expect.check:
                self.assertTrue(expect.check(msg["parameters"]), msg)

    def test_table(self):
        self.assertGreaterEqual(len(ROWS), 60)
        names = [r[0] for r in ROWS]
        self.assertEqual(len(names), len(set(names)), "row names repeat")
        before, host = self.state(), self.host_file()
        for name, message, expect in ROWS:
            with self.subTest(row=name):
                self.check_row(expect, self.outcome(message))
                self.assertTrue(self.passd.alive(), "passd died")
        self.assertTrue(self.passd.alive())
        self.assertEqual(self.state(), before)
        self.assertEqual(self.host_file(), host)


if __name__ == "__main__":
    passd.run_tests()
