#!/bin/sh
# Guest script of test/lab/ipvs.test.ts. Namespaces:
#   ours      tsvs's client writes the lab table (ipvsLab.ts write-table), errors, timeouts, daemon
#   theirs    ipvsadm -R writes the same table (ipvs-table.rules); our dump reads it
#   converge  reconcileTable next to a service ipvsadm created
#   client, director, rs1, rs2   real HTTP over a DR service built by the client
. "$LAB_REPO/test/lab/guest/lib.sh"
guest=test/lab/guest
lab_modules ip_vs dummy || exit 1

for ns in ours theirs converge; do
  # lo up creates the local routing table; without it IPv4 real servers are "not unicast" (EINVAL).
  ip netns add $ns && ip -n $ns link set lo up || exit 1
done
ip -n ours link add sync0 type dummy && ip -n ours link set sync0 up && ip -n ours addr add 10.40.0.1/24 dev sync0 || exit 1

ip netns exec ours sh -c ". '$LAB_REPO/$guest/lib.sh'; lab_node $guest/ipvsLab.ts write-table"
ip netns exec theirs ipvsadm -R <"$LAB_REPO/$guest/ipvs-table.rules" || echo "ipvsadm -R failed"
lab_result_cmd sn-ours ip netns exec ours ipvsadm -Sn
lab_result_cmd sn-theirs ip netns exec theirs ipvsadm -Sn
lab_result_cmd thresholds-ours ip netns exec ours ipvsadm -Ln --thresholds
lab_result_cmd thresholds-theirs ip netns exec theirs ipvsadm -Ln --thresholds
ip netns exec theirs sh -c ". '$LAB_REPO/$guest/lib.sh'; lab_node $guest/ipvsLab.ts dump dump-theirs"
ip netns exec converge sh -c ". '$LAB_REPO/$guest/lib.sh'; lab_node $guest/ipvsLab.ts converge"

VIP=10.9.0.100
lab_host client 10.9.0.10 && lab_host director 10.9.0.2 && lab_host rs1 10.9.0.3 && lab_host rs2 10.9.0.4 || exit 1
ip -n director addr add $VIP/32 dev e0 || exit 1
for rs in rs1 rs2; do lab_realserver $rs $VIP && lab_http $rs || exit 1; done
lab_wait "rs1 and rs2 serving" 30 sh -c "ip netns exec client curl -sf -m 2 http://10.9.0.3/ && ip netns exec client curl -sf -m 2 http://10.9.0.4/"
ip netns exec director sh -c ". '$LAB_REPO/$guest/lib.sh'; VIP=$VIP lab_node $guest/ipvsLab.ts dr"
