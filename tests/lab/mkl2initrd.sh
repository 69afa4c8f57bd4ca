#!/bin/bash
# Build the L2 guests' initrd: busybox, and the igbvf module of kernel KVER (the guests boot L1's
# kernel, which is this machine's) when it has one. The guest prints "L2: up" once, then every
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
# USB (issue 10): the guests' xhci host controller and the USB core, loaded in this order, so
# a USB device hot-plugged into a guest with a qemu-xhci controller shows up in its sysfs.
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
for m in /mods/*.ko; do [ -f "$m" ] && insmod "$m"; done
pci() {
  for d in /sys/bus/pci/devices/*; do
    [ -e "$d/vendor" ] && printf '%s=%s:%s ' "${d##*/}" "$(cut -c3- "$d/vendor")" "$(cut -c3- "$d/device")"
  done
}
usbs() { # usb=VVVV:PPPP@PORT for each USB device (root hubs are buses: left out)
  for u in /sys/bus/usb/devices/*; do
    case ${u##*/} in usb* | *:*) continue ;; esac
    [ -e "$u/idVendor" ] && printf 'usb=%s:%s@%s ' "$(cat "$u/idVendor")" "$(cat "$u/idProduct")" "${u##*/}"
  done
}
macs() {
  for n in /sys/class/net/*; do
    [ -e "$n/device" ] && printf 'mac=%s@%s ' "${n##*/}" "$(cat "$n/address")"
  done
}
echo "L2: up at $(cut -d' ' -f1 /proc/uptime)s"
n=0
while true; do
  n=$((n + 1))
  echo "L2: alive $n $(cut -d' ' -f1 /proc/uptime) pci=$(pci)$(macs)$(usbs)end"
  sleep 2
done
EOF2
chmod +x "$w/init"
(cd "$w" && find . | cpio -o -H newc --quiet | gzip -1) >"$out.tmp.$$"
mv "$out.tmp.$$" "$out"
