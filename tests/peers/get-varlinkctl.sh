#!/bin/sh
# Fetch systemd's varlinkctl for the peer tests without installing anything.
#
# varlinkctl first shipped in a Debian stable release with trixie (systemd 257); passd targets
# bookworm. This script downloads the trixie packages that varlinkctl needs (systemd,
# libsystemd-shared, libc6 and the libraries named by their NEEDED entries) with a private apt
# configuration, so the system's sources, lists and package cache stay untouched, unpacks them
# with dpkg-deb into a cache directory, and writes a wrapper that runs varlinkctl through
# trixie's own dynamic loader.
#
# Usage:   VARLINKCTL=$(tests/peers/get-varlinkctl.sh) && "$VARLINKCTL" --version
# Output:  the wrapper's path on stdout (progress goes to stderr).
# Env:     VARLINKCTL_CACHE  cache directory (default /var/cache/passd-tests/varlinkctl)
#          VARLINKCTL_MIRROR Debian mirror (default: the first URIs in
#                            /etc/apt/sources.list.d/debian.sources, else deb.debian.org)
# Idempotent: when the wrapper exists and "varlinkctl --version" runs, nothing is done.
# Needs network access the first time, plus apt-get, dpkg-deb, readelf (binutils) and flock.
set -eu

cache=${VARLINKCTL_CACHE:-/var/cache/passd-tests/varlinkctl}
wrapper=$cache/varlinkctl

if [ -x "$wrapper" ] && "$wrapper" --version >/dev/null 2>&1; then
  echo "$wrapper"
  exit 0
fi

# Peer tests run in parallel and may all get here on first use: one fetch at a time, and the
# later ones find the finished wrapper.
mkdir -p "$cache"
exec 9>"$cache/.lock"
flock 9
if [ -x "$wrapper" ] && "$wrapper" --version >/dev/null 2>&1; then
  echo "$wrapper"
  exit 0
fi

mirror=${VARLINKCTL_MIRROR:-}
if [ -z "$mirror" ] && [ -r /etc/apt/sources.list.d/debian.sources ]; then
  mirror=$(sed -n 's/^URIs:[[:space:]]*\([^[:space:]]*\).*/\1/p' \
    /etc/apt/sources.list.d/debian.sources | head -n 1)
fi
mirror=${mirror:-http://deb.debian.org/debian}

keyring=/usr/share/keyrings/debian-archive-keyring.gpg
root=$cache/root
apt=$cache/apt
mkdir -p "$root" "$cache/debs" "$apt/lists/partial" "$apt/cache/archives/partial"
echo "deb [signed-by=$keyring] $mirror trixie main" >"$apt/sources.list"

# Private sources, lists and caches: the system's apt state is neither read for sources nor
# written to (the dpkg status is only read).
apt_private() {
  apt-get -q \
    -o Dir::Etc::SourceList="$apt/sources.list" \
    -o Dir::Etc::SourceParts=/dev/null \
    -o Dir::State::Lists="$apt/lists" \
    -o Dir::Cache="$apt/cache" \
    -o Dir::Cache::pkgcache="$apt/cache/pkgcache.bin" \
    -o Dir::Cache::srcpkgcache="$apt/cache/srcpkgcache.bin" \
    -o APT::Get::List-Cleanup=false \
    -o APT::Sandbox::User=root \
    "$@"
}

echo "get-varlinkctl: updating private trixie package lists from $mirror" >&2
apt_private update >&2

# Shared object name -> trixie package. Only sonames that varlinkctl, libsystemd-shared or
# the libraries unpacked for them actually name in NEEDED are looked up.
package_of() {
  case $1 in
    libc.so.6 | libm.so.6 | ld-linux-x86-64.so.2 | libpthread.so.0 | libdl.so.2 | librt.so.1)
      echo libc6 ;;
    libsystemd-shared-*.so) echo libsystemd-shared ;;
    libacl.so.1) echo libacl1 ;;
    libattr.so.1) echo libattr1 ;;
    libblkid.so.1) echo libblkid1 ;;
    libmount.so.1) echo libmount1 ;;
    libcap.so.2) echo libcap2 ;;
    libcap-ng.so.0) echo libcap-ng0 ;;
    libcrypt.so.1) echo libcrypt1 ;;
    libseccomp.so.2) echo libseccomp2 ;;
    libselinux.so.1) echo libselinux1 ;;
    libpcre2-8.so.0) echo libpcre2-8-0 ;;
    libssl.so.3 | libcrypto.so.3) echo libssl3t64 ;;
    libzstd.so.1) echo libzstd1 ;;
    liblz4.so.1) echo liblz4-1 ;;
    liblzma.so.5) echo liblzma5 ;;
    libz.so.1) echo zlib1g ;;
    libgcrypt.so.20) echo libgcrypt20 ;;
    libgpg-error.so.0) echo libgpg-error0 ;;
    libkmod.so.2) echo libkmod2 ;;
    libaudit.so.1) echo libaudit1 ;;
    libpam.so.0) echo libpam0g ;;
    libapparmor.so.1) echo libapparmor1 ;;
    libgcc_s.so.1) echo libgcc-s1 ;;
    libidn2.so.0) echo libidn2-0 ;;
    libunistring.so.5) echo libunistring5 ;;
    *) return 1 ;;
  esac
}

libdirs="$root/usr/lib/x86_64-linux-gnu $root/usr/lib/x86_64-linux-gnu/systemd $root/lib/x86_64-linux-gnu $root/usr/lib64 $root/lib64"

have_soname() {
  for d in $libdirs; do
    [ -e "$d/$1" ] && return 0
  done
  return 1
}

fetch() {
  for pkg in "$@"; do
    [ -e "$cache/debs/.done-$pkg" ] && continue
    echo "get-varlinkctl: downloading $pkg" >&2
    (cd "$cache/debs" && rm -f "${pkg}"_*.deb && apt_private download "$pkg" >&2)
    dpkg-deb -x "$cache/debs/${pkg}"_*.deb "$root"
    touch "$cache/debs/.done-$pkg"
  done
}

fetch systemd libsystemd-shared libc6

# Follow NEEDED entries until every soname is either unpacked or unknown to the table (those
# fall back to the system's copy through the loader's default search path).
while :; do
  elves="$root/usr/bin/varlinkctl $(find "$root" -name '*.so*' -type f 2>/dev/null | tr '\n' ' ')"
  missing=""
  for soname in $(readelf -d $elves 2>/dev/null | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p' | sort -u); do
    have_soname "$soname" && continue
    if pkg=$(package_of "$soname"); then
      [ -e "$cache/debs/.done-$pkg" ] || missing="$missing $pkg"
    fi
  done
  missing=$(echo $missing | tr ' ' '\n' | sort -u | tr '\n' ' ')
  [ -n "${missing# }" ] || break
  fetch $missing
done

loader=""
for l in "$root/lib64/ld-linux-x86-64.so.2" "$root/usr/lib64/ld-linux-x86-64.so.2" \
  "$root/usr/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2"; do
  if [ -e "$l" ]; then
    loader=$l
    break
  fi
done
[ -n "$loader" ] || { echo "get-varlinkctl: no dynamic loader in $root" >&2; exit 1; }

cat >"$wrapper.tmp" <<WRAP
#!/bin/sh
# Generated by get-varlinkctl.sh: trixie's varlinkctl run by trixie's loader and libraries.
exec "$loader" --library-path "$root/usr/lib/x86_64-linux-gnu:$root/usr/lib/x86_64-linux-gnu/systemd:$root/lib/x86_64-linux-gnu" "$root/usr/bin/varlinkctl" "\$@"
WRAP
chmod 0755 "$wrapper.tmp"
mv "$wrapper.tmp" "$wrapper"

if ! "$wrapper" --version >&2; then
  echo "get-varlinkctl: $wrapper does not run" >&2
  exit 1
fi
echo "$wrapper"
