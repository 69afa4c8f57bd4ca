#!/bin/bash
# Build the L2 guests' initrd: busybox only. The guest prints "L2: up" once, then every 2 s an
# "alive" line naming every PCI device its kernel sees as ADDR=VENDOR:DEVICE, ending in "end" so
# readers can skip a line still being written; lab scripts tell from the serial log what the
# guest itself sees (lib.sh: lab_guest_pci).
# usage: mkl2initrd.sh OUT.cpio.gz
set -euo pipefail
out=${1:?usage: mkl2initrd.sh OUT.cpio.gz}
w=$(mktemp -d)
trap 'rm -rf "$w"' EXIT
mkdir -p "$w"/{bin,proc,sys,dev}
cp /bin/busybox "$w/bin/busybox"
cat >"$w/init" <<'EOF'
#!/bin/busybox sh
/bin/busybox --install -s /bin
mount -t proc proc /proc; mount -t sysfs sys /sys; mount -t devtmpfs dev /dev
pci() {
  for d in /sys/bus/pci/devices/*; do
    [ -e "$d/vendor" ] && printf '%s=%s:%s ' "${d##*/}" "$(cut -c3- "$d/vendor")" "$(cut -c3- "$d/device")"
  done
}
echo "L2: up at $(cut -d' ' -f1 /proc/uptime)s"
n=0
while true; do
  n=$((n + 1))
  echo "L2: alive $n $(cut -d' ' -f1 /proc/uptime) pci=$(pci)end"
  sleep 2
done
EOF
chmod +x "$w/init"
(cd "$w" && find . | cpio -o -H newc --quiet | gzip -1) >"$out.tmp.$$"
mv "$out.tmp.$$" "$out"
