#!/bin/sh
# Checks interface files with systemd's varlinkctl validate-idl (a second, independent IDL
# parser). Usage: validate-idl.sh FILE... ; "-" reads stdin. Exits 77 (skip) when varlinkctl
# cannot be fetched (no network on first use), non-zero when a file is invalid.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
if ! varlinkctl=${VARLINKCTL:-$("$here/get-varlinkctl.sh")}; then
  echo "validate-idl: cannot fetch varlinkctl; skipping" >&2
  exit 77
fi

status=0
for idl in "$@"; do
  if [ "$idl" = - ]; then
    out=$("$varlinkctl" validate-idl 2>&1) || { status=1; echo "INVALID: <stdin>: $out" >&2; continue; }
  else
    out=$("$varlinkctl" validate-idl "$idl" 2>&1) || { status=1; echo "INVALID: $idl: $out" >&2; continue; }
  fi
  echo "valid: $idl"
done
exit $status
