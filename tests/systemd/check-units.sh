#!/bin/bash
# The built units: `systemd-analyze verify` has nothing to say about them, and passd.service's
# exposure (`systemd-analyze security --offline`) stays at or below MAX_EXPOSURE; the sysusers.d
# and tmpfiles.d files parse and do what they say, applied to an empty root.
#   check-units.sh UNITDIR PASSD SYSUSERS TMPFILES [MAX_EXPOSURE]
# verify insists that ExecStart= exists, so it checks a copy whose ExecStart= names the built
# passd; everything else is verified as built. Any output from verify (an unknown key, a bad
# value, a missing dependency) is a failure: it exits 0 for most of them.
set -euo pipefail
unitdir=$(realpath "$1") passd=$(realpath "$2") max=${5:-5.0}
sysusers=$(realpath "$3") tmpfiles=$(realpath "$4")
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

sed -E "s|^ExecStart=[^ ]+|ExecStart=$passd|" "$unitdir/passd.service" > "$tmp/passd.service"
cp "$unitdir/passd.socket" "$tmp/"
grep -q "^ExecStart=$passd --group passd$" "$tmp/passd.service" || {
  echo "unexpected ExecStart= in $unitdir/passd.service" >&2; exit 1; }
cd "$tmp"
out=$(systemd-analyze verify --man=no --generators=no ./passd.service ./passd.socket 2>&1) || {
  echo "$out" >&2; echo "systemd-analyze verify failed" >&2; exit 1; }
if [ -n "$out" ]; then
  echo "$out" >&2; echo "systemd-analyze verify complained" >&2; exit 1
fi
echo "verify: clean"

# --threshold compares the score times ten: 50 is an exposure of 5.0.
report=$(systemd-analyze security --offline=true --no-pager "$unitdir/passd.service" 2>&1) || true
score=$(sed -n 's/.*Overall exposure level for passd.service: \([0-9.]*\).*/\1/p' <<<"$report")
if [ -z "$score" ]; then
  echo "$report" >&2; echo "no exposure level in systemd-analyze security's report" >&2; exit 1
fi
echo "exposure: $score (at most $max)"
if ! awk -v s="$score" -v m="$max" 'BEGIN { exit !(s <= m) }'; then
  grep '✗' <<<"$report" >&2 || true
  echo "passd.service's exposure $score is above $max" >&2
  exit 1
fi

root=$tmp/root
mkdir -p "$root/etc"
systemd-sysusers --root="$root" "$sysusers"
grep -q '^passd:x:[0-9]*:$' "$root/etc/group" || {
  echo "sysusers.d: no group passd in the root's /etc/group" >&2; exit 1; }
systemd-tmpfiles --root="$root" --create "$tmpfiles"
[ "$(stat -c '%a %U %G' "$root/var/lib/passd")" = "700 root root" ] || {
  echo "tmpfiles.d: /var/lib/passd is $(stat -c '%a %U %G' "$root/var/lib/passd")" >&2; exit 1; }
echo "sysusers.d, tmpfiles.d: group passd, /var/lib/passd 0700 root root"
