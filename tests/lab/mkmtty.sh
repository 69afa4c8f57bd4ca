#!/bin/bash
# Build mtty.ko, the kernel's sample mdev driver (a virtual parent "mtty" with serial-port types
# mtty-1 and mtty-2), from linux-source-6.1 against the headers of kernel KVER. Debian ships the
# mdev core but not its samples. Only built here: L1 loads it (tests/lab/lib.sh, lab_mtty_load);
# never load it on this machine.
# usage: mkmtty.sh KVER OUT.ko
set -euo pipefail
kver=${1:?usage: mkmtty.sh KVER OUT.ko}
out=${2:?usage: mkmtty.sh KVER OUT.ko}
src=$(ls /usr/src/linux-source-*.tar.* 2>/dev/null | sort -V | tail -n 1)
[ -n "$src" ] || { echo "mkmtty.sh: no /usr/src/linux-source-*.tar.* (apt-get install linux-source-6.1)" >&2; exit 1; }
[ -d "/lib/modules/$kver/build" ] || { echo "mkmtty.sh: no /lib/modules/$kver/build (apt-get install linux-headers-$kver)" >&2; exit 1; }
w=$(mktemp -d)
trap 'rm -rf "$w"' EXIT
top=$(basename "$src" | sed 's/\.tar\..*//')
tar -xf "$src" -C "$w" "$top/samples/vfio-mdev/mtty.c"
mkdir "$w/m"
mv "$w/$top/samples/vfio-mdev/mtty.c" "$w/m/"
echo 'obj-m := mtty.o' >"$w/m/Kbuild"
make -s -C "/lib/modules/$kver/build" M="$w/m" modules >&2
cp "$w/m/mtty.ko" "$out.tmp.$$" && mv "$out.tmp.$$" "$out"
