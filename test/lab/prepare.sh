#!/usr/bin/env bash
# Prepares the real-kernel lab: the host packages it needs, a stock Debian kernel
# (whatever linux-image-amd64 depends on) with its network and filesystem modules,
# and a small initramfs that only knows how to reach the host root over 9p.
# Everything is cached under .cache/lab/<kernel release>-<key>/, where the key
# hashes the kernel package version and this build's inputs, so a rebuild happens
# only when one of them changes. Concurrent runs serialise on a lock.
#
# Prints one JSON line on stdout: {"dir","kernel","initrd","modroot","release"}.
# Progress goes to stderr.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)
cache=${LAB_CACHE_DIR:-$repo/.cache/lab}
log() { echo "lab prepare: $*" >&2; }
mkdir -p "$cache"
exec 9>"$cache/.lock"
flock 9

# Tools used on the host (qemu, initramfs build) and, through the shared root, in the guest.
host_packages=(qemu-system-x86 busybox-static kmod cpio xz-utils ipvsadm curl iproute2 procps tcpdump jq)
installed=$(dpkg-query -W -f='${Package} ${Status}\n' "${host_packages[@]}" 2>/dev/null | sed -n 's/ install ok installed$//p')
missing=()
for p in "${host_packages[@]}"; do
  grep -qx "$p" <<<"$installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  [[ $(id -u) == 0 ]] || { log "missing host packages: ${missing[*]}; install them or run as root"; exit 1; }
  log "installing ${missing[*]}"
  apt-get update -qq >&2
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# The kernel package and version, from the local apt lists. apt-cache takes seconds, so
# the answer is kept until the lists change.
kernel_package() {
  apt-cache depends linux-image-amd64 2>/dev/null | sed -n 's/^ *Depends: \(linux-image-[0-9][^ ]*\)$/\1/p' | head -n1
}
lists_stamp() { stat -c %Y /var/lib/apt/lists 2>/dev/null || echo none; }
resolved=$cache/kernel-package
if ! { [[ -f $resolved ]] && read -r stamp pkg version <"$resolved" && [[ $stamp == "$(lists_stamp)" && -n $version ]]; }; then
  pkg=$(kernel_package)
  if [[ -z $pkg ]]; then
    log "no linux-image-amd64 in the apt lists; updating them"
    apt-get update -qq >&2
    pkg=$(kernel_package)
  fi
  [[ -n $pkg ]] || { log "apt knows no linux-image-amd64"; exit 1; }
  version=$(apt-cache policy "$pkg" | sed -n 's/^ *Candidate: //p')
  echo "$(lists_stamp) $pkg $version" >"$resolved"
fi
release=${pkg#linux-image-}
key=$( { echo "$pkg=$version"; cat "$here/prepare.sh" "$here/initramfs/init"; } | sha256sum | cut -c1-12)
dir=$cache/$release-$key

manifest() {
  touch "$dir/used"
  printf '{"dir":"%s","kernel":"%s","initrd":"%s","modroot":"%s","release":"%s"}\n' \
    "$dir" "$dir/$(cat "$dir/kernel-file")" "$dir/initrd.img" "$dir/modroot" "$release"
}
if [[ -f $dir/ok ]]; then
  manifest
  exit 0
fi

started=$(date +%s)
log "building $dir from $pkg $version"
build=$(mktemp -d "$cache/.build.XXXXXX")
trap 'rm -rf "$build"' EXIT
(cd "$build" && apt-get download -qq "$pkg=$version" 2>/dev/null) || { log "apt-get download $pkg=$version failed"; exit 1; }
dpkg-deb -x "$build"/*.deb "$build/pkg"
src=$build/pkg/lib/modules/$release
out=$build/out
mods=$out/modroot/lib/modules/$release
mkdir -p "$mods/kernel/drivers"
# qemu boots the uncompressed kernel through its PVH entry point (CONFIG_PVH), which skips
# the boot stub's decompression: over 10 s under TCG. If extraction fails, boot the bzImage.
vmlinuz=$build/pkg/boot/vmlinuz-$release
xz_at=$(LC_ALL=C grep -aobUP '\xfd7zXZ\x00' "$vmlinuz" | head -n1 | cut -d: -f1)
if [[ -n $xz_at ]]; then
  tail -c +$((xz_at + 1)) "$vmlinuz" | xz -dcq >"$out/vmlinux" 2>/dev/null || true # data follows the stream
fi
if [[ -f $out/vmlinux && $(head -c4 "$out/vmlinux" | od -An -tx1 | tr -d ' ') == 7f454c46 ]]; then
  kernel=vmlinux
else
  kernel=vmlinuz
  rm -f "$out/vmlinux"
  cp "$vmlinuz" "$out/vmlinuz"
fi
log "booting $kernel"
echo "$kernel" >"$out/kernel-file"

# The module tree the guest's modprobe sees (as /lib/modules): all of net, fs, crypto,
# lib and arch (IPVS and every scheduler, bridge, tunnels, fou, 8021q, conntrack, sctp,
# 9p, overlay), plus the virtual-device drivers. Hardware drivers are left out.
cp -a "$src"/kernel/{arch,block,crypto,fs,lib,mm,net,virt} "$mods/kernel/"
cp -a "$src"/kernel/drivers/{block,char,net,virtio} "$mods/kernel/drivers/"
rm -rf "$mods"/kernel/drivers/net/{ethernet,wireless,usb,can,wwan,ieee802154,wan,hamradio,fddi,arcnet}
cp "$src"/modules.{order,builtin,builtin.modinfo} "$mods/"
depmod -b "$out/modroot" "$release"
for m in ip_vs ip_vs_rr ip_vs_wrr ip_vs_lc ip_vs_wlc ip_vs_sh ip_vs_mh ip_vs_sed ip_vs_nq \
  veth bridge dummy macvlan ipip ip6_tunnel fou fou6 8021q nf_conntrack sctp virtio_net 9p overlay; do
  modprobe -d "$out/modroot" -S "$release" --show-depends "$m" >/dev/null || { log "module $m missing from the module tree"; exit 1; }
done

# The initramfs: busybox, the modules that reach the 9p root and build an overlay on it
# (in load order), and the stage-1 init. Everything else is read from the host at boot.
initrd=$build/initrd
mkdir -p "$initrd"/{bin,dev,proc,sys,modules,newroot}
cp "$(command -v busybox)" "$initrd/bin/busybox"
for applet in sh mount mkdir insmod switch_root ln cat; do ln -s busybox "$initrd/bin/$applet"; done
modprobe -d "$out/modroot" -S "$release" --show-depends -a virtio_pci 9pnet_virtio 9p overlay |
  sed -n 's/^insmod \([^ ]*\).*/\1/p' | awk '!seen[$0]++' |
  while read -r ko; do
    cp "$ko" "$initrd/modules/"
    basename "$ko" >>"$initrd/modules/order"
  done
install -m 755 "$here/initramfs/init" "$initrd/init"
(cd "$initrd" && find . | LC_ALL=C sort | cpio -o -H newc --quiet | gzip -1) >"$out/initrd.img"

touch "$out/ok"
rm -rf "$dir"
mv "$out" "$dir"
log "built in $(($(date +%s) - started)) s"

# Drop builds that no run has used for a day (older kernels, older build inputs).
find "$cache" -mindepth 2 -maxdepth 2 -name used -mtime +1 -printf '%h\n' | while read -r old; do
  [[ $old != "$dir" ]] && rm -rf "$old"
done
manifest
