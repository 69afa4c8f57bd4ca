#!/bin/bash
# `meson install` into a DESTDIR puts every file a package needs where systemd, man and bash
# look for them.
#   check-install.sh BUILDDIR PREFIX PASSD PATH...   (absolute, as installed without DESTDIR)
set -euo pipefail
build=$1 prefix=$2 passd=$3
shift 2
dest=$(mktemp -d)
trap 'rm -rf "$dest"' EXIT

# Already built by meson test: no rebuild from inside a test.
meson install -C "$build" --no-rebuild --quiet --destdir "$dest" >/dev/null
failures=0
for path in "$@"; do
  if [ -f "$dest$path" ]; then
    echo "ok   $path"
  else
    echo "FAIL $path: not installed"
    failures=$((failures + 1))
  fi
done

unitdir=$dest$prefix/lib/systemd/system
if ! grep -qx "ExecStart=$passd --group passd" "$unitdir/passd.service"; then
  echo "FAIL passd.service: $(grep ExecStart= "$unitdir/passd.service")"
  failures=$((failures + 1))
fi
# What the test of each file checked in the build tree is what got installed.
for pair in "passd.socket:systemd/passd.socket" "passd.service:systemd/passd.service"; do
  cmp -s "$unitdir/${pair%%:*}" "$build/${pair#*:}" || {
    echo "FAIL ${pair%%:*} differs from $build/${pair#*:}"; failures=$((failures + 1)); }
done
echo "$failures failed"
exit $((failures > 0))
