#!/bin/bash
# Build the L2 guests' initrd: busybox, and the igbvf and USB modules of kernel KVER (the guests
# boot L1's kernel, which is this machine's) when it has them, each loaded only where its hardware
# is. The guest prints "L2: up" once, then every
# 2 s an "alive" line naming every PCI device its kernel sees as ADDR=VENDOR:DEVICE and the MAC
# of every network interface as mac=IFACE@MAC, ending in "end" so readers can skip a line still
# being written; lab scripts tell from the serial log what the guest itself sees (lib.sh:
# lab_guest_pci, lab_guest_macs), and every USB device as usb=VVVV:PPPP@PORT (lab_guest_usb).
# usage: mkl2initrd.sh OUT.cpio.gz [KVER]
set -euo pipefail
out=${1:?usage: mkl2initrd.sh OUT.cpio.gz [KVER]}
kver=${2:-}
w=$(mktemp -d)
trap 'rm -rf "$w"' EXIT
mkdir -p "$w"/{bin,proc,sys,dev,mods}
cp /bin/busybox "$w/bin/busybox"
# igbvf: the guest's driver for the igb NIC's VFs (LAB_IGB=1), so it shows the MAC the PF gave.
# Only read here (modinfo names the file); it is loaded in L2's own kernel.
if [ -n "$kver" ] && ko=$(modinfo -k "$kver" -n igbvf 2>/dev/null); then
  case $ko in
  *.ko) cp "$ko" "$w/mods/igbvf.ko" ;;
  *.ko.xz) xz -dc "$ko" >"$w/mods/igbvf.ko" ;;
  *.ko.zst) zstd -qdc "$ko" >"$w/mods/igbvf.ko" ;;
  esac
fi
# USB (issue 10): the guests' xhci host controller and the USB core, loaded in this order when
# the guest has a USB controller, so a USB device hot-plugged into a guest with a qemu-xhci
# controller shows up in its sysfs.
n=0
for m in usb-common usbcore xhci-hcd xhci-pci; do
  n=$((n + 1))
  [ -n "$kver" ] && ko=$(modinfo -k "$kver" -n "$m" 2>/dev/null) || continue
  case $ko in
  *.ko) cp "$ko" "$w/mods/$n-$m.ko" ;;
  *.ko.xz) xz -dc "$ko" >"$w/mods/$n-$m.ko" ;;
  *.ko.zst) zstd -qdc "$ko" >"$w/mods/$n-$m.ko" ;;
  esac
done
cat >"$w/init" <<'EOF2'
#!/bin/busybox sh
/bin/busybox --install -s /bin
mount -t proc proc /proc; mount -t sysfs sys /sys; mount -t devtmpfs dev /dev
# Drivers only for hardware the guest has: the USB stack when a USB controller (class 0c03) is
# there at boot, igbvf once an igb VF (8086:10ca) shows up. Loading modules is heavy work for
# L1's emulated nested SVM, and L1 died mostly while guests booted (tests/lab/README.md).
for d in /sys/bus/pci/devices/*; do
  read -r c <"$d/class"
  case $c in 0x0c03*)
    for m in /mods/[0-9]-*.ko; do [ -f "$m" ] && insmod "$m"; done
    break
    ;;
  esac
done
igbvf=/mods/igbvf.ko
[ -f $igbvf ] || igbvf=
# The loop appends to $line with shell builtins only: every fork and exec in L2 is a storm of
# nested page faults for L1's emulated SVM, and four guests ran about 25 of them each 2 s.
pci() {
  for d in /sys/bus/pci/devices/*; do
    [ -e "$d/vendor" ] || continue
    read -r v <"$d/vendor"
    read -r p <"$d/device"
    line="$line${d##*/}=${v#0x}:${p#0x} "
  done
}
usbs() { # usb=VVVV:PPPP@PORT for each USB device (root hubs are buses: left out)
  for u in /sys/bus/usb/devices/*; do
    case ${u##*/} in usb* | *:*) continue ;; esac
    [ -e "$u/idVendor" ] || continue
    read -r v <"$u/idVendor"
    read -r p <"$u/idProduct"
    line="${line}usb=$v:$p@${u##*/} "
  done
}
macs() {
  for i in /sys/class/net/*; do
    [ -e "$i/device" ] || continue
    read -r a <"$i/address"
    line="${line}mac=${i##*/}@$a "
  done
}
read -r up _ </proc/uptime
echo "L2: up at ${up}s"
n=0
while true; do
  n=$((n + 1))
  read -r up _ </proc/uptime
  line="L2: alive $n $up pci="
  pci
  case $line in *"=8086:10ca "*) [ -n "$igbvf" ] && { insmod "$igbvf"; igbvf=; } ;; esac
  macs
  usbs
  echo "${line}end"
  sleep 2
done
EOF2
chmod +x "$w/init"
(cd "$w" && find . | cpio -o -H newc --quiet | gzip -1) >"$out.tmp.$$"
mv "$out.tmp.$$" "$out"
