#!/usr/bin/python3
"""Run the real passd against libvirt's test driver, and talk varlink to it byte by byte.

Passd starts passd (path from $PASSD) on a private socket, waits until GetStatus says it is
connected to libvirt, keeps its stderr in a log, and stops it with SIGTERM checking a clean exit.
Conn is a deliberately small varlink client on a raw socket, so tests can also send what a
well-behaved client never would.

As a program: passd.py [--scenario NAME] -- COMMAND... runs COMMAND with PASSD_SOCKET set to a
passd serving that scenario, then stops passd; the exit status is COMMAND's (or 99 when passd
misbehaved).
"""

import json
import os
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import unittest

import topology

# Multiplies every timeout (e.g. under valgrind: PASSD_TIMEOUT_SCALE=10).
SCALE = float(os.environ.get("PASSD_TIMEOUT_SCALE", "1"))
# Things sanitizers and GLib print when something went wrong inside passd.
BAD_LOG_MARKERS = ("AddressSanitizer", "LeakSanitizer", "runtime error:", "GLib-CRITICAL",
                   "GLib-GObject-CRITICAL", "Json-CRITICAL", "GLib-GIO-CRITICAL")

_started = []
_scratch = []  # directories of scratch_dir()


def scratch_dir(prefix):
    """A new temporary directory, removed by run_tests() when every test passed."""
    path = tempfile.mkdtemp(prefix=prefix)
    _scratch.append(path)
    return path


def binary(var):
    path = os.environ.get(var)
    if not path:
        raise RuntimeError("$%s is not set (meson sets it; or export it by hand)" % var)
    return path


class VarlinkError(Exception):
    def __init__(self, reply):
        super().__init__("%s %s" % (reply.get("error"), json.dumps(reply.get("parameters"))))
        self.name = reply.get("error")
        self.parameters = reply.get("parameters") or {}
        self.reply = reply


class Closed(Exception):
    """The peer closed the connection."""


class Conn:
    def __init__(self, path, timeout=10.0):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        # a blocking connect waits while the listen backlog is full, like most clients; with a
        # timeout set, Python would fail at once with EAGAIN instead
        try:
            self.sock.connect(path)
        except OSError:
            self.sock.close()
            raise
        self.sock.settimeout(timeout * SCALE)
        self.buf = b""

    def close(self):
        self.sock.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def send_raw(self, data):
        self.sock.sendall(data)

    def send(self, message):
        self.send_raw(json.dumps(message).encode() + b"\0")

    def recv(self):
        """The next message as a dict; Closed on EOF (or reset)."""
        while b"\0" not in self.buf:
            try:
                chunk = self.sock.recv(1 << 16)
            except ConnectionResetError as e:
                raise Closed() from e
            if not chunk:
                raise Closed()
            self.buf += chunk
        raw, self.buf = self.buf.split(b"\0", 1)
        return json.loads(raw)

    def call_raw(self, method, parameters=None, **flags):
        """Send one call and return the whole first reply message."""
        msg = {"method": method}
        if parameters is not None:
            msg["parameters"] = parameters
        msg.update(flags)
        self.send(msg)
        return self.recv()

    def call(self, method, parameters=None):
        """The reply's parameters; VarlinkError for an error reply."""
        reply = self.call_raw(method, parameters)
        if "error" in reply:
            raise VarlinkError(reply)
        return reply.get("parameters", {})

    def wait_closed(self, timeout=5.0):
        """True when the peer closes within @timeout (whatever it sends first is dropped)."""
        deadline = time.monotonic() + timeout * SCALE
        while time.monotonic() < deadline:
            self.sock.settimeout(max(0.01, deadline - time.monotonic()))
            try:
                chunk = self.sock.recv(1 << 16)
            except socket.timeout:
                return False
            except (ConnectionResetError, BrokenPipeError):
                return True
            if not chunk:
                return True
        return False

    def quiet_for(self, seconds):
        """None when nothing arrives for @seconds and the connection stays open; else what came
        (b"" for EOF), for the assertion message."""
        if self.buf:
            return self.buf
        self.sock.settimeout(seconds)
        try:
            chunk = self.sock.recv(1 << 16)
        except socket.timeout:
            return None
        finally:
            self.sock.settimeout(10.0 * SCALE)
        self.buf += chunk
        return chunk


class Passd:
    """One passd process. uri: a libvirt URI; or topo: a topology.Topology written to a file."""

    def __init__(self, topo=None, uri=None, extra_args=(), env=None, activate=False):
        self.dir = tempfile.mkdtemp(prefix="passd-test-")
        if topo is not None:
            path = os.path.join(self.dir, "host.xml")
            topo.write(path)
            uri = "test://" + path
        self.uri = uri
        self.socket = os.path.join(self.dir, "sock")
        self.log_path = os.path.join(self.dir, "passd.log")
        # e.g. PASSD_WRAPPER="valgrind --error-exitcode=99 --leak-check=full" (and a larger
        # PASSD_TIMEOUT_SCALE) to run every integration test's passd under valgrind
        self.args = shlex.split(os.environ.get("PASSD_WRAPPER", ""))
        self.args += [binary("PASSD"), "--connect", uri, "--socket", self.socket]
        if "--config" not in extra_args:
            # an empty file, so that this machine's /etc/passd/passd.conf cannot interfere
            config = os.path.join(self.dir, "passd.conf")
            open(config, "w").close()
            self.args += ["--config", config]
        # passd's journal and other state: never this machine's /var/lib/passd
        self.state_dir = os.path.join(self.dir, "state")
        if "--state-dir" not in extra_args:
            self.args += ["--state-dir", self.state_dir]
        self.args += list(extra_args)
        self.env = dict(os.environ)
        self.env.update(env or {})
        self.proc = None
        self.log_file = None
        self.listener = None
        if activate:
            # socket activation: passd gets a listening fd 3, LISTEN_PID set to its own pid by
            # a shell that then execs it, and no --socket
            self.listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            self.listener.bind(self.socket)
            self.listener.listen(64)
            fd = self.listener.fileno()
            i = self.args.index("--socket")
            del self.args[i:i + 2]
            self.args = ["/bin/sh", "-c", 'exec 3>&%d; LISTEN_PID=$$ LISTEN_FDS=1 exec "$@"' % fd,
                         "sh"] + self.args

    def start(self, wait_connected=True, timeout=10.0):
        self.log_file = open(self.log_path, "wb")
        fds = (self.listener.fileno(),) if self.listener else ()
        self.proc = subprocess.Popen(self.args, stdin=subprocess.DEVNULL, stdout=self.log_file,
                                     stderr=subprocess.STDOUT, env=self.env, pass_fds=fds)
        if self.listener:
            self.listener.close()  # passd has its own copy
        _started.append(self)
        deadline = time.monotonic() + timeout * SCALE
        while True:
            if self.proc.poll() is not None:
                raise RuntimeError("passd exited with %d during start-up\n%s" %
                                   (self.proc.returncode, self.log()))
            try:
                with self.connect(timeout=2.0) as c:
                    status = c.call("io.passd.Manager.GetStatus")
                    if status.get("connected") or not wait_connected:
                        return self
            except (OSError, Closed, VarlinkError):
                pass
            if time.monotonic() > deadline:
                raise RuntimeError("passd not ready after %.0fs\n%s" %
                                   (timeout * SCALE, self.log()))
            time.sleep(0.02)

    def connect(self, timeout=10.0):
        return Conn(self.socket, timeout)

    def call(self, method, parameters=None):
        with self.connect() as c:
            return c.call(method, parameters)

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def log(self):
        try:
            with open(self.log_path, "rb") as f:
                return f.read().decode(errors="replace")
        except OSError:
            return ""

    def stop(self, sig=signal.SIGTERM, timeout=15.0):
        """Send @sig; a list of what was wrong (empty when passd exited 0 with a clean log)."""
        problems = []
        if self.proc is None:
            return problems
        if self.proc.poll() is not None:
            problems.append("passd had already exited with %d" % self.proc.returncode)
        else:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(timeout * SCALE)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
                problems.append("passd did not exit within %.0fs of signal %d" %
                                (timeout * SCALE, sig))
            if self.proc.returncode != 0:
                problems.append("passd exited with %d after signal %d" %
                                (self.proc.returncode, sig))
        self.log_file.close()
        log = self.log()
        problems += ["passd log contains %r" % m for m in BAD_LOG_MARKERS if m in log]
        return problems


class PassdCase(unittest.TestCase):
    """One passd per test class on TOPOLOGY; tearDownClass fails unless it stopped cleanly."""

    TOPOLOGY = staticmethod(topology.default)
    EXTRA_ARGS = ()
    topo = None
    passd = None

    @classmethod
    def setUpClass(cls):
        cls.topo = cls.TOPOLOGY()
        cls.passd = Passd(cls.topo, extra_args=cls.EXTRA_ARGS).start()

    @classmethod
    def tearDownClass(cls):
        problems = cls.passd.stop()
        if problems:
            raise AssertionError("; ".join(problems) + "\n--- passd log ---\n" + cls.passd.log())

    def call(self, method, parameters=None):
        return self.passd.call(method, parameters)

    def assertVarlinkError(self, name, method, parameters=None, conn=None):
        """Call @method and check it fails with error @name; returns the error's parameters."""
        own = conn is None
        conn = conn or self.passd.connect()
        try:
            reply = conn.call_raw(method, parameters)
        finally:
            if own:
                conn.close()
        self.assertEqual(reply.get("error"), name,
                         "%s(%s): expected error %s, got %s" %
                         (method, json.dumps(parameters), name, json.dumps(reply)))
        self.assertLessEqual(set(reply), {"error", "parameters"}, reply)
        return reply.get("parameters") or {}


def run_tests():
    """unittest.main() that prints the logs of every passd it started when something failed."""
    prog = unittest.main(exit=False, verbosity=2)
    ok = prog.result.wasSuccessful()
    if not ok:
        for p in _started:
            sys.stderr.write("\n--- log of passd %s ---\n%s" % (" ".join(p.args), p.log()))
    for p in _started:
        if p.alive():
            p.stop()
        if ok:
            shutil.rmtree(p.dir, ignore_errors=True)
    for path in _scratch if ok else ():
        shutil.rmtree(path, ignore_errors=True)
    sys.exit(0 if ok else 1)


def main(argv):
    if "--" not in argv:
        sys.stderr.write("usage: passd.py [--scenario NAME] -- COMMAND...\n")
        return 2
    split_at = argv.index("--")
    opts, cmd = argv[:split_at], argv[split_at + 1:]
    scenario = opts[opts.index("--scenario") + 1] if "--scenario" in opts else "default"
    daemon = Passd(topology.SCENARIOS[scenario]()).start()
    env = dict(os.environ, PASSD_SOCKET=daemon.socket, PASSD_URI=daemon.uri)
    rc = subprocess.call(cmd, env=env)
    problems = daemon.stop()
    if problems:
        sys.stderr.write("passd: %s\n--- passd log ---\n%s" % ("; ".join(problems), daemon.log()))
        return 99
    shutil.rmtree(daemon.dir, ignore_errors=True)
    return rc


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
