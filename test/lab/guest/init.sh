#!/bin/sh
# Stage 2 of the lab guest: PID 1 in the guest's writable view of the host root.
# Runs the guest script named in /run/lab/env.sh (written by lab.ts), stores its
# output and exit code in the shared directory /run/lab, and powers the VM off.
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin HOME=/root
export TMPDIR=/tmp XDG_CACHE_HOME=/tmp/.cache
mkdir -p /dev/pts /dev/shm /run/netns
mount -t devpts devpts /dev/pts
mount -t tmpfs shm /dev/shm
hostname lab
ip link set lo up
. /run/lab/env.sh
if [ "${LAB_USER_NETWORK:-0}" = 1 ]; then
  # qemu's user network: fixed addresses, host loopback reachable at 10.0.2.2.
  modprobe virtio_net
  ip link set eth0 up
  ip addr add 10.0.2.15/24 dev eth0
  ip route add default via 10.0.2.2
fi
echo "LAB_STAGE2 $(cut -d' ' -f1 /proc/uptime)" >/dev/console
cd "$LAB_REPO"
/bin/sh "$LAB_SCRIPT" </dev/null >/run/lab/output.log 2>&1
echo $? >/run/lab/exit-code
sync
busybox poweroff -f
