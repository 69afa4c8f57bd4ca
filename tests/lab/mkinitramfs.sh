#!/bin/bash
# Build L1's initramfs: busybox plus the 9p and overlay modules. Its /init mounts this machine's
# root read-only over 9p under a tmpfs overlay and switch_roots into the script named by
# "lab_init=" on the kernel command line (tests/lab/l1-init.sh), so the image holds no paths of
# the checkout and can be cached by kernel version alone.
# usage: mkinitramfs.sh KVER OUT.cpio.gz
set -euo pipefail
kver=${1:?usage: mkinitramfs.sh KVER OUT.cpio.gz}
out=${2:?usage: mkinitramfs.sh KVER OUT.cpio.gz}
mods="virtio_ring virtio virtio_pci_legacy_dev virtio_pci_modern_dev virtio_pci netfs fscache
      9pnet 9pnet_virtio 9p overlay"

w=$(mktemp -d)
trap 'rm -rf "$w"' EXIT
mkdir -p "$w"/{bin,dev,proc,sys,lower,rw,newroot,mods}
cp /bin/busybox "$w/bin/busybox"
n=0
for m in $mods; do
  f=$(modinfo -k "$kver" -n "$m" 2>/dev/null) || continue # built in
  n=$((n + 1))
  # a numeric prefix keeps the load order (dependencies first)
  dst=$w/mods/$(printf '%02d' $n)-$m.ko
  case $f in
  *.ko) cp "$f" "$dst" ;;
  *.ko.xz) xz -dc "$f" >"$dst" ;;
  *.ko.zst) zstd -qdc "$f" >"$dst" ;;
  *) ;; # "(builtin)"
  esac
done

cat >"$w/init" <<'EOF'
#!/bin/busybox sh
/bin/busybox --install -s /bin
mount -t proc proc /proc; mount -t sysfs sys /sys; mount -t devtmpfs dev /dev
fail() {
  echo "LAB: initramfs: $*" > /dev/console; dmesg | tail -25
  echo 1 > /proc/sys/kernel/sysrq; echo o > /proc/sysrq-trigger; sleep 30
}
for m in /mods/*.ko; do [ -f "$m" ] && { insmod "$m" || echo "LAB: insmod $m failed"; }; done
init=$(tr ' ' '\n' < /proc/cmdline | sed -n 's/^lab_init=//p')
mount -t 9p -o trans=virtio,version=9p2000.L,ro,msize=262144,cache=loose hostroot /lower \
  || fail "9p mount of the host root failed"
mount -t tmpfs -o size=75% tmpfs /rw
mkdir -p /rw/upper /rw/work
mount -t overlay overlay -o lowerdir=/lower,upperdir=/rw/upper,workdir=/rw/work /newroot \
  || fail "overlay mount failed"
[ -x "/newroot$init" ] || fail "no executable lab_init=$init"
umount /proc /sys /dev 2>/dev/null
exec switch_root /newroot "$init"
EOF
chmod +x "$w/init"
(cd "$w" && find . | cpio -o -H newc --quiet | gzip -1) >"$out.tmp.$$"
mv "$out.tmp.$$" "$out"
