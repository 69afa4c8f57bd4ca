#!/usr/bin/python3
"""The man pages cover the code, and render cleanly.

check-man.py SRCDIR: every command in passctl's table (client/passctl.c) has a section in
man/passctl.1 that names every long option of its cmd-*.c; passctl's global options are there
too; every option of passd (daemon/main.c) but the hidden ones is in man/passd.8; and
`man --warnings -l` renders both without a word on stderr.
"""

import os
import re
import subprocess
import sys

ENTRY = re.compile(r'\{"([a-z][a-z0-9-]*)",\s*(?:0|\'.\'),\s*([A-Z_|0-9]+),')
COMMAND = re.compile(r'\{"([a-z][a-z0-9-]*)",\s*(passctl_cmd_[a-z_]+),')


def read(*parts):
    with open(os.path.join(*parts), encoding="utf-8") as f:
        return f.read()


def options(source):
    """Long options of the GOptionEntry tables in @source, hidden ones left out."""
    return [name for name, flags in ENTRY.findall(source) if "HIDDEN" not in flags]


def roff_text(text):
    """The man page's words: roff's \\- is a plain hyphen for this purpose."""
    return text.replace("\\-", "-")


def mentions(text, option):
    return re.search(r"--%s(?![a-z0-9-])" % re.escape(option), text) is not None


def sections(text):
    """{command: its .SS section's text} of passctl.1."""
    found = {}
    for m in re.finditer(r'^\.SS "([a-z]+)[^"]*"\n(.*?)(?=^\.S[SH] |\Z)', text, re.M | re.S):
        found[m.group(1)] = m.group(2)
    return found


def render(path):
    env = dict(os.environ, MANWIDTH="80", LC_ALL="C.UTF-8")
    r = subprocess.run(["man", "--warnings", "-l", path], env=env, capture_output=True,
                       text=True)
    problems = []
    if r.returncode != 0 or r.stderr.strip():
        problems.append("man --warnings -l %s: exit %d\n%s" % (path, r.returncode, r.stderr))
    elif len(r.stdout.splitlines()) < 20:
        problems.append("man -l %s rendered only %d lines" % (path, len(r.stdout.splitlines())))
    return problems


def main(srcdir):
    problems = []
    client = os.path.join(srcdir, "client")
    passctl_c = read(client, "passctl.c")
    passctl_1 = roff_text(read(srcdir, "man", "passctl.1"))
    passd_8 = roff_text(read(srcdir, "man", "passd.8"))
    by_function = {}
    for name in sorted(os.listdir(client)):
        if name.startswith("cmd-") and name.endswith(".c"):
            source = read(client, name)
            for function in re.findall(r"^(passctl_cmd_[a-z_]+)\(", source, re.M):
                by_function[function] = (name, source)

    man_sections = sections(read(srcdir, "man", "passctl.1").replace("\\-", "-"))
    commands = COMMAND.findall(passctl_c)
    if not commands:
        problems.append("no command table found in client/passctl.c")
    for command, function in commands:
        if command not in man_sections:
            problems.append("passctl.1: no section for command '%s'" % command)
            continue
        if function not in by_function:
            problems.append("%s: defined in no client/cmd-*.c" % function)
            continue
        file, source = by_function[function]
        for option in options(source):
            if not mentions(man_sections[command], option):
                problems.append("passctl.1: section '%s' lacks --%s (%s)" % (command, option, file))
    if "help" not in man_sections:
        problems.append("passctl.1: no section for 'help'")
    for option in options(passctl_c):
        if not mentions(passctl_1, option):
            problems.append("passctl.1: lacks the global option --%s" % option)
    if "PASSD_SOCKET" not in passctl_1:
        problems.append("passctl.1: lacks PASSD_SOCKET")
    for code in range(5):
        if not re.search(r"^\.B %d$" % code, passctl_1, re.M):
            problems.append("passctl.1: lacks exit status %d" % code)

    daemon_options = options(read(srcdir, "daemon", "main.c"))
    if len(daemon_options) < 5:
        problems.append("found only %d options in daemon/main.c" % len(daemon_options))
    for option in daemon_options:
        if not mentions(passd_8, option):
            problems.append("passd.8: lacks --%s (daemon/main.c)" % option)

    for page in ("passd.8", "passctl.1"):
        problems += render(os.path.join(srcdir, "man", page))

    for p in problems:
        print(p, file=sys.stderr)
    print("%d commands, %d daemon options checked; %d problems" %
          (len(commands), len(daemon_options), len(problems)))
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
