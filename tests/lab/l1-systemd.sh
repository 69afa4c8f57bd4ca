# shellcheck shell=bash
# LAB_SYSTEMD=1: L1 with the real systemd as PID 1 (test-systemd.sh). Sourced by l1-init.sh:
# stage 1 (PID 1, after the mounts) calls lab_systemd_prepare and execs /lib/systemd/systemd
# --unit=lab.target; lab.service runs l1-init.sh --under-systemd (stage 2: devices, network,
# libvirtd as a unit, the script), which calls lab_systemd_finish before powering off.
# passd is installed as README.md's "Installing" says (its package tree, made by run with
# meson install --destdir), not started: passd.socket starts it.

LAB_UNITS=/etc/systemd/system

lab_systemd_prepare() {
  local log=/lab-out/install.log u
  # README.md's steps (prefix /usr/local: the build's default) on L1's overlay root; the
  # socket is enabled offline, systemd starts it at boot
  {
    cp -a /lab-out/destdir/. / &&
      systemd-sysusers passd.conf && systemd-tmpfiles --create passd.conf &&
      systemctl enable passd.socket
  } >>"$log" 2>&1 || return 1
  # this machine's root is a container's: systemd would take L1 for one (/.dockerenv)
  rm -f /.dockerenv

  # What cannot work or only costs time in L1: timers (apt, man-db: a first boot runs them
  # all), D-Bus (libvirt falls back to plain cgroups without machined), time sync, first-boot
  # and TPM units, binfmt, the host image's own sockets.
  for u in timers.target dbus.socket dbus.service systemd-timesyncd.service \
    systemd-firstboot.service systemd-repart.service systemd-pcrphase.service \
    systemd-pcrphase-sysinit.service systemd-machine-id-commit.service systemd-binfmt.service \
    proc-sys-fs-binfmt_misc.automount systemd-pstore.service uuidd.socket \
    systemd-ask-password-console.path getty.target; do
    ln -sf /dev/null "$LAB_UNITS/$u"
  done

  # /tmp is this machine's (build trees, $LAB_WORK): the boot's tmpfiles must not empty it
  # (tmp.conf's "D /tmp", minutes over 9p)
  mkdir -p /etc/tmpfiles.d
  echo 'd /tmp 1777 root root -' >/etc/tmpfiles.d/tmp.conf

  # libvirt-daemon-system (its units) is not installed on this machine: the same daemons as
  # units of the names passd.service is ordered after. KillMode=process as Debian's: guests
  # outlive a libvirtd restart.
  cat >"$LAB_UNITS/virtlogd.service" <<'EOF'
[Unit]
Description=lab: libvirt's log daemon
[Service]
ExecStart=/usr/sbin/virtlogd
EOF
  cat >"$LAB_UNITS/libvirtd.service" <<'EOF'
[Unit]
Description=lab: libvirt's monolithic daemon (configured by lib.sh's lab_libvirtd_config)
Wants=virtlogd.service
After=virtlogd.service network.target
[Service]
Type=notify
ExecStart=/usr/sbin/libvirtd
KillMode=process
TimeoutStartSec=300
EOF
  cat >"$LAB_UNITS/lab.service" <<EOF
[Unit]
Description=lab: devices, network, libvirtd, then the script (l1-init.sh, stage 2)
After=basic.target systemd-udevd.service systemd-udev-trigger.service
[Service]
ExecStart=$LAB_DIR/l1-init.sh --under-systemd
StandardInput=null
StandardOutput=journal
TimeoutStartSec=infinity
EOF
  cat >"$LAB_UNITS/lab.target" <<'EOF'
[Unit]
Description=lab: L1 under systemd
Wants=basic.target lab.service
After=basic.target
AllowIsolate=yes
EOF
}

# passd stopped by its unit; its journal (and how it ended) in passd.log, all of it in
# journal.txt
lab_systemd_finish() {
  systemctl stop passd.socket passd.service
  {
    echo "=== journalctl -u passd.service -u passd.socket"
    journalctl -b --no-pager -o short-monotonic -u passd.service -u passd.socket
    echo "=== passd stopped: $(systemctl show passd.service -p Result,ExecMainStatus,NRestarts | tr '\n' ' ')"
  } >>/lab-out/passd.log 2>&1
  journalctl -b --no-pager -o short-monotonic >/lab-out/journal.txt 2>&1
  systemctl --no-pager --failed >/lab-out/failed-units.txt 2>&1
}
