#!/usr/bin/python3
"""The intent journal end to end against libvirt's test driver: passd aborted by fault injection
in the middle of an attach leaves its plan in the journal, the next passd on the same state
directory recovers it before clients' writes and says so in GetStatus and `passctl status`;
one passd a state directory; a damaged journal stops passd with the line named.

The test driver keeps its state in the process, so after the restart the host is as the
topology file says (the device never left its driver): what is checked is the wiring (journal
read at start, recovery run on the first picture, its report), not libvirt's side, which the
lab proves (tests/lab/test-crash.sh).
"""

import json
import os
import subprocess
import unittest

import passd
import topology as T

MANAGER = "io.passd.Manager."
EMPTY_ROOT = passd.scratch_dir("passd-empty-root-")


def fault_injection_built():
    out = subprocess.run([passd.binary("PASSD"), "--version"], capture_output=True, text=True)
    return "fault injection" in out.stdout


def records(state_dir):
    with open(os.path.join(state_dir, "journal")) as f:
        return [json.loads(line) for line in f]


class JournalTest(unittest.TestCase):
    def start(self, state_dir, env=None, **kw):
        p = passd.Passd(T.default(), extra_args=("--host-root", EMPTY_ROOT, "--state-dir",
                                                 state_dir), env=env)
        return p.start(**kw)

    @unittest.skipUnless(fault_injection_built(), "passd built without -Dfault_injection=true")
    def test_abort_then_recover(self):
        state = passd.scratch_dir("passd-state-")
        first = self.start(state, env={"PASSD_FAULT": "attach:begin"})
        with first.connect() as c:
            with self.assertRaises(Exception):
                c.call(MANAGER + "Attach", {"domain": T.VM_STOPPED, "address": T.IGB_VFS[2]})
        first.proc.wait(timeout=30 * passd.SCALE)
        self.assertNotEqual(first.proc.returncode, 0)
        first.log_file.close()
        self.assertIn("fault injection: aborting at attach:begin", first.log())
        # The plan is on disk, with who asked, and nothing ended it.
        begin, = records(state)
        self.assertEqual((begin["type"], begin["operation"], begin["address"], begin["domain"]),
                         ("begin", "attach", T.IGB_VFS[2], T.VM_STOPPED))
        self.assertEqual(begin["where"], ["config"])
        self.assertEqual([s["action"] for s in begin["steps"]], ["detach-host", "attach"])
        self.assertEqual(begin["uid"], os.getuid())

        second = self.start(state)
        try:
            status = second.call(MANAGER + "GetStatus")
            self.assertEqual(status["journal"], os.path.join(state, "journal"))
            self.assertFalse(status["recovering"])
            self.assertEqual(status["open_operations"], 0)
            rec, = status["recovered"]
            self.assertEqual((rec["operation"], rec["address"], rec["domain"], rec["resolved"]),
                             ("attach", T.IGB_VFS[2], T.VM_STOPPED, True))
            self.assertIn("it had not completed, so it is undone", rec["outcome"])
            text = subprocess.run([passd.binary("PASSCTL"), "--socket", second.socket, "status"],
                                  capture_output=True, text=True, check=True).stdout
            self.assertRegex(text, r"Recovered: +\S+ attach %s / %s: it had not completed" %
                             (T.IGB_VFS[2], T.VM_STOPPED))
            self.assertIn("Journal:     %s" % os.path.join(state, "journal"), text)
            # Compacted after recovery: nothing open, nothing held.
            self.assertEqual(records(state), [])
        finally:
            problems = second.stop()
            self.assertEqual(problems, [], second.log())

    def test_one_passd_a_state_directory(self):
        state = passd.scratch_dir("passd-state-")
        first = self.start(state)
        try:
            sock = os.path.join(first.dir, "second.sock")
            r = subprocess.run([passd.binary("PASSD"), "--connect", first.uri, "--socket", sock,
                                "--state-dir", state], capture_output=True, text=True,
                               timeout=30 * passd.SCALE)
            self.assertNotEqual(r.returncode, 0)
            self.assertIn("is in use by another passd", r.stderr)
            self.assertFalse(os.path.exists(sock))
        finally:
            self.assertEqual(first.stop(), [], first.log())

    def test_damaged_journal_refused(self):
        state = passd.scratch_dir("passd-state-")
        with open(os.path.join(state, "journal"), "w") as f:
            f.write('{"seq":1,"type":"original","address":"0000:02:10.0","driver":"igbvf"}\n'
                    'garbage\n{"seq":3,"type":"end","begin":1}\n')
        sock = os.path.join(state, "sock")
        r = subprocess.run([passd.binary("PASSD"), "--connect", "test:///default", "--socket",
                            sock, "--state-dir", state], capture_output=True, text=True,
                           timeout=30 * passd.SCALE)
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("journal:2: not a journal record", r.stderr)
        self.assertFalse(os.path.exists(sock))

    def test_held_survives_restart(self):
        # A journal that says passd took a device (a crash after the attach): the next passd
        # holds it for that driver, and says so.
        state = passd.scratch_dir("passd-state-")
        with open(os.path.join(state, "journal"), "w") as f:
            f.write('{"seq":1,"type":"original","address":"%s","driver":"igbvf"}\n' % T.NODRV)
        p = self.start(state)
        try:
            status = p.call(MANAGER + "GetStatus")
            self.assertEqual(status["held"], [{"address": T.NODRV, "driver": "igbvf"}])
            self.assertEqual(status["recovered"], [])
            text = subprocess.run([passd.binary("PASSCTL"), "--socket", p.socket, "status"],
                                  capture_output=True, text=True, check=True).stdout
            self.assertIn("Held:        %s (from igbvf)" % T.NODRV, text)
        finally:
            self.assertEqual(p.stop(), [], p.log())


if __name__ == "__main__":
    passd.run_tests()
