#!/bin/bash
# bash completion of passctl, as bash would call it: COMP_LINE/COMP_POINT (and COMP_WORDS split
# at ':' and '=' the way bash splits them), then the words in COMPREPLY.
#   test-completion.sh COMPLETION PASSCTL PASSD_PY
# First with no passd (commands and options; devices silently none), then again under
# PASSD_PY's default scenario for addresses and domain names. $PASSD names the passd to run.
set -uo pipefail
completion=$1 passctl=$2 passd_py=$3
failures=0

PATH=$(dirname "$passctl"):$PATH
# shellcheck source=/dev/null
source "$completion"

# complete LINE: COMPREPLY for the cursor at the end of LINE, one word per line, sorted.
complete_line() {
  local line=$1
  COMP_LINE=$line
  COMP_POINT=${#line}
  COMP_WORDBREAKS=$' \t\n"\'><=;|&(:'
  # bash's own split: at blanks and at each of ':' and '=' (a word of their own)
  local spaced=${line//:/ : }
  read -ra COMP_WORDS <<<"${spaced//=/ = }"
  [[ $line =~ [[:space:]]$ ]] && COMP_WORDS+=("")
  COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
  COMPREPLY=()
  _passctl 2>"$err"
  [[ -s $err ]] && { echo "FAIL [$line]: stderr: $(cat "$err")"; failures=$((failures + 1)); }
  printf '%s\n' "${COMPREPLY[@]}" | sort
}

# expect LINE WORD...: COMPREPLY holds exactly these words.
expect() {
  local line=$1 got want
  shift
  got=$(complete_line "$line")
  want=$(printf '%s\n' "$@" | sort)
  if [[ $got == "$want" ]]; then
    echo "ok   [$line]"
  else
    echo "FAIL [$line]: expected {$(tr '\n' ' ' <<<"$want")} got {$(tr '\n' ' ' <<<"$got")}"
    failures=$((failures + 1))
  fi
}

# expect_has LINE WORD...: COMPREPLY holds at least these words.
expect_has() {
  local line=$1 got w missing=()
  shift
  got=$(complete_line "$line")
  for w in "$@"; do
    grep -qxF -- "$w" <<<"$got" || missing+=("$w")
  done
  if [[ ${#missing[@]} -eq 0 ]]; then
    echo "ok   [$line]"
  else
    echo "FAIL [$line]: missing ${missing[*]} in {$(tr '\n' ' ' <<<"$got")}"
    failures=$((failures + 1))
  fi
}

err=$(mktemp)
trap 'rm -f "$err"' EXIT

if [[ ${4:-} != --with-passd ]]; then
  export PASSD_SOCKET=/nonexistent/passd.sock
  expect "passctl " list show status monitor attach detach reattach vm check pools pool balance \
    sriov mdev help
  expect "passctl li" list
  expect "passctl re" reattach
  expect "passctl --" --socket= --version --help
  expect "passctl list --" --json --tree --kind= --vendor= --product= --class= --driver= --owner= \
    --pfs --vfs --help
  expect "passctl list --v" --vendor= --vfs
  expect "passctl attach --" --live --config --whole-group --force --interface --mac= --vlan= \
    --dry-run --json --pool= --count= --numa= --policy= --mdev-type= --parent= --persistent --help
  # pools: the words an option takes, the subcommands and their options
  expect "passctl attach vm1 --numa " required preferred ignore
  expect "passctl attach vm1 --policy=p" pack
  expect "passctl pool " define undefine
  expect "passctl pool define --k" --kind=
  expect "passctl pool define p --kind " pci net
  expect "passctl list --kind " pci usb mdev
  expect "passctl list --kind=m" mdev
  expect "passctl pool define p --numa "
  expect "passctl balance --" --plan --apply --json --help
  expect "passctl attach vm1 0000:02:00.0 --w" --whole-group
  expect "passctl detach --t" --timeout=
  expect "passctl detach --" --live --config --timeout= --dry-run --json --help
  expect "passctl reattach --" --dry-run --json --help
  expect "passctl monitor --" --json --help
  expect "passctl sriov " show set
  expect "passctl sriov s" show set
  expect "passctl sriov set --" --no-autoprobe --autoprobe --force --dry-run --json --help
  expect "passctl sriov show --" --json --help
  expect "passctl sriov --"
  expect "passctl mdev " types create remove
  expect "passctl mdev create --" --uuid= --persistent --autostart --json --help
  expect "passctl mdev types --" --json --help
  expect "passctl --socket /tmp/x li" list
  expect "passctl help " list show status monitor attach detach reattach vm check pools pool \
    balance sriov mdev help
  expect "passctl help de" detach
  # values nobody can guess: nothing (and no error)
  expect "passctl detach --timeout "
  expect "passctl list --vendor "
  # no passd: no devices, no domains, and not a word on stderr
  expect "passctl show "
  expect "passctl show 0000:0"
  expect "passctl attach "
  expect "passctl list --owner "

  # the words alone (no COMP_LINE), as a caller that only sets COMP_WORDS/COMP_CWORD would
  COMP_WORDS=(passctl att)
  COMP_CWORD=1
  unset COMP_LINE COMP_POINT
  COMPREPLY=()
  _passctl
  if [[ ${COMPREPLY[*]} == attach ]]; then echo "ok   COMP_WORDS=(passctl att)"; else
    echo "FAIL COMP_WORDS=(passctl att): got {${COMPREPLY[*]}}"; failures=$((failures + 1)); fi

  echo "--- under passd (default scenario)"
  python3 "$passd_py" --scenario default -- bash "$0" "$completion" "$passctl" "$passd_py" \
    --with-passd || failures=$((failures + 1))
  echo "$failures failed"
  exit $((failures > 0))
fi

# With a passd (PASSD_SOCKET set by passd.py) serving topology.default().
all=(0000:00:01.0 0000:00:03.0 0000:02:00.0 0000:02:10.0 0000:02:10.2 0000:02:10.4 0000:03:00.0
     0000:03:00.1 0000:05:00.0 0000:80:01.0 0000:8a:00.0 0000:8a:00.1 0000:8a:00.2 0000:8a:00.3)
expect "passctl show " "${all[@]}"
expect "passctl reattach 0000:8" 80:01.0 8a:00.0 8a:00.1 8a:00.2 8a:00.3
# after a ':' bash replaces only what follows it
expect "passctl show 0000:02:1" 10.0 10.2 10.4
# sriov: only the physical functions
expect "passctl sriov set " 0000:02:00.0 0000:8a:00.0 0000:8a:00.1
expect "passctl sriov show 0000:8a:00." 00.0 00.1
expect "passctl sriov set 0000:02:00.0 "
expect "passctl show 0000:8a:00." 00.0 00.1 00.2 00.3
expect "passctl check 0000:8a:00." 00.0 00.1 00.2 00.3
expect "passctl attach vm-stopped 0000:03:00.1" 00.1
expect "passctl detach " vm-running vm-stopped vm-vanished
expect "passctl detach vm-running " 0000:02:10.0 0000:03:00.0 0000:03:00.1
expect "passctl detach vm-running --live 0000:03:00." 00.0 00.1
expect "passctl detach --dry-run vm-stopped 0000:" 02:10.2 8a:00.2
expect "passctl list --owner vm-s" vm-stopped
expect "passctl list --owner=vm-r" vm-running
# the domains libvirt defines, not only those holding devices (when virsh is there)
if type -P virsh >/dev/null; then
  expect_has "passctl attach " vm-running vm-stopped
  expect_has "passctl vm vm-" vm-running vm-stopped
fi
# --socket on the line wins over $PASSD_SOCKET
expect "passctl --socket /nonexistent/x show "
expect "passctl --socket=$PASSD_SOCKET show 0000:05" 05:00.0
exit $((failures > 0))
