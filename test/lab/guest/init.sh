#!/bin/sh
# Stage 2 of the lab guest: PID 1 in the guest's writable view of the host root.
# Runs the guest script named in /run/lab/env.sh (written by lab.ts), stores its
# output and exit code in the shared directory /run/lab, and powers the VM off.
# Every command here costs a fraction of a second under TCG: keep them few.
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin HOME=/root
export TMPDIR=/tmp XDG_CACHE_HOME=/tmp/.cache
. /run/lab/env.sh
mkdir -p /dev/pts /dev/shm /run/netns
mount -t devpts devpts /dev/pts
mount -t tmpfs shm /dev/shm
echo lab >/proc/sys/kernel/hostname
ip link set lo up
if [ "$LAB_USER_NETWORK" = 1 ]; then
  # qemu's user network: fixed addresses, host loopback reachable at 10.0.2.2.
  modprobe virtio_net
  ip link set eth0 up
  ip addr add 10.0.2.15/24 dev eth0
  ip route add default via 10.0.2.2
fi
# The repository's TypeScript, transpiled on the host by lab.ts, as .js files beside the sources.
for dir in $LAB_JS_DIRS; do
  mkdir -p "/run/lab-js/$dir/upper" "/run/lab-js/$dir/work"
  mount -t overlay -o "lowerdir=/run/lab/js/$dir:$LAB_REPO/$dir,upperdir=/run/lab-js/$dir/upper,workdir=/run/lab-js/$dir/work" \
    lab-js "$LAB_REPO/$dir"
done
read -r uptime _ </proc/uptime
echo "LAB_STAGE2 $uptime" >/dev/console
cd "$LAB_REPO"
/bin/sh "$LAB_SCRIPT" </dev/null >/run/lab/output.log 2>&1
echo $? >/run/lab/exit-code
sync
busybox poweroff -f
