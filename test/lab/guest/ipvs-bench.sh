#!/bin/sh
# Guest script of bench/ipvs.bench.ts: namespace "theirs" for ipvsadm, "ours" for the client.
# Rate estimation is off in both: its timer walks every counter every 2 s, and under TCG
# that noise would swamp the difference being measured (it costs both tools the same).
. "$LAB_REPO/test/lab/guest/lib.sh"
lab_modules ip_vs ip_vs_wlc || exit 1
for ns in theirs ours; do
  # lo up creates the namespace's local routing table; without it every IPv4 real server
  # is "not unicast" to the kernel (EINVAL).
  ip netns add $ns && ip -n $ns link set lo up && ip netns exec $ns sysctl -qw net.ipv4.vs.run_estimation=0 || exit 1
done
ip netns exec ours sh -c ". '$LAB_REPO/test/lab/guest/lib.sh'; lab_node test/lab/guest/ipvsBench.ts"
