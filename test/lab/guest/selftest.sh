#!/bin/sh
# Guest script of lab.test.ts: proves the lab itself. Reports, as LAB_RESULT lines:
#   ipvsadm   - `ipvsadm -Ln` against the kernel's IPVS family
#   modules   - which of the modules the project needs fail to load
#   autoload  - whether a service using the wlc scheduler makes the kernel load ip_vs_wlc
#   dr        - a two-tier direct-routing scenario (as reference/kernel-lab/two-tier-dr.sh):
#               responses, IPVS stats of both nodes, and which node's MAC carried the replies
#   ipv6      - the same (one tier) over IPv6
#   node      - node in the guest importing the repository's TypeScript (nodeCheck.ts), transpiled
#   node-tsx  - the same through tsx
. "$LAB_REPO/test/lab/guest/lib.sh"

lab_result_cmd ipvsadm ipvsadm -Ln

missing=""
for m in ip_vs ip_vs_rr ip_vs_wrr ip_vs_lc ip_vs_wlc ip_vs_lblc ip_vs_lblcr ip_vs_dh ip_vs_sh ip_vs_mh ip_vs_sed \
  ip_vs_nq ip_vs_fo ip_vs_ovf veth bridge dummy macvlan ipip ip6_tunnel fou fou6 8021q nf_conntrack sctp; do
  modprobe "$m" 2>/dev/null || missing="$missing $m"
done
lab_result "$(jq -cn --arg missing "$missing" '{name: "modules", missing: ($missing | split(" ") | map(select(. != "")))}')"

# Auto-loading, in a namespace of its own: ip_vs_wlc must not be loaded before the service asks for it.
ip netns add autoload
modprobe -r ip_vs_wlc 2>/dev/null
before=$(grep -c '^ip_vs_wlc ' /proc/modules)
ip netns exec autoload ipvsadm -A -t 10.99.0.1:80 -s wlc
after=$(grep -c '^ip_vs_wlc ' /proc/modules)
scheduler=$(ip netns exec autoload ipvsadm -Ln | awk '$1 == "TCP" { print $3 }')
lab_result "$(jq -cn --argjson before "$before" --argjson after "$after" --arg scheduler "$scheduler" \
  '{name: "autoload", loadedBefore: ($before > 0), loadedAfter: ($after > 0), scheduler: $scheduler}')"

# Two-tier DR. client 10.9.0.10; nodeA 10.9.0.2 holds the VIP on its NIC (VRRP master);
# nodeB 10.9.0.3 holds it on a dummy device. podA1 behind nodeA, podB1 and podB2 behind nodeB.
VIP=10.9.0.100
lab_host client 10.9.0.10
lab_host nodeA 10.9.0.2
lab_host nodeB 10.9.0.3
lab_pod podA1 nodeA 10.244.0.2
lab_pod podB1 nodeB 10.244.1.2
lab_pod podB2 nodeB 10.244.1.3
ip -n nodeA route add 10.244.1.0/24 via 10.9.0.3
ip -n nodeB route add 10.244.0.0/24 via 10.9.0.2
for n in nodeA nodeB; do
  ip netns exec "$n" sysctl -qw net.ipv4.conf.all.arp_ignore=1 net.ipv4.conf.all.arp_announce=2 \
    net.ipv4.conf.all.accept_local=1 net.ipv4.vs.sloppy_tcp=1
done
ip -n nodeA addr add $VIP/32 dev e0
ip -n nodeB link add tsvs0 type dummy
ip -n nodeB link set tsvs0 up
ip -n nodeB addr add $VIP/32 dev tsvs0
for pod in podA1 podB1 podB2; do
  lab_realserver $pod $VIP
  lab_http $pod
done
ip netns exec nodeA ipvsadm -A -t $VIP:80 -s mh -b mh-port
for rs in 10.244.0.2 10.244.1.2 10.244.1.3; do ip netns exec nodeA ipvsadm -a -t $VIP:80 -r $rs:80 -g -w 1; done
ip netns exec nodeB ipvsadm -A -t $VIP:80 -s mh -b mh-port
for rs in 10.244.1.2 10.244.1.3; do ip netns exec nodeB ipvsadm -a -t $VIP:80 -r $rs:80 -g -w 1; done

for pod in nodeA:podA1:10.244.0.2 nodeB:podB1:10.244.1.2 nodeB:podB2:10.244.1.3; do
  lab_wait "$pod serving HTTP to its node" 20 ip netns exec "${pod%%:*}" curl -sf -m 2 "http://${pod##*:}/"
done
mac() { ip -n "$1" -j link show e0 | jq -r '.[0].address'; }
ip netns exec client tcpdump -l -n -e -t -i e0 "tcp and src host $VIP and src port 80" >/tmp/replies.txt 2>/tmp/tcpdump.err &
tcpdump=$!
lab_wait "tcpdump listening" 20 grep -q 'listening on' /tmp/tcpdump.err
responses=""
for i in 1 2 3 4 5 6 7 8 9 10 11 12; do
  responses="$responses$(ip netns exec client curl -s -m 3 http://$VIP/ || echo FAIL)
"
done
kill -INT $tcpdump
wait $tcpdump
answered=$(printf '%s' "$responses" | grep -c '^hello from pod')
answered_by_b=$(printf '%s' "$responses" | grep -c '^hello from podB')
conns() { lab_ipvs_stats "$1" | jq 'map(.conns) | add // 0'; }
stats_caught_up() { [ "$(conns nodeA)" -ge "$answered" ] && [ "$(conns nodeB)" -ge "$answered_by_b" ]; }
lab_wait "the IPVS counters to count the answered connections" 10 stats_caught_up
lab_result "$(jq -cn --arg responses "$responses" --argjson nodeA "$(lab_ipvs_stats nodeA)" --argjson nodeB "$(lab_ipvs_stats nodeB)" \
  --argjson repliesViaA "$(grep -ci "^$(mac nodeA) " /tmp/replies.txt)" \
  --argjson repliesViaB "$(grep -ci "^$(mac nodeB) " /tmp/replies.txt)" \
  '{name: "dr", responses: ($responses | split("\n") | map(select(. != ""))), nodeA: $nodeA, nodeB: $nodeB,
    replyPacketsFromNodeAMac: $repliesViaA, replyPacketsFromNodeBMac: $repliesViaB}')"

# IPv6, one tier: node6 holds the VIP on its NIC and sends to pod6, behind it, by DR.
VIP6=fd00:9::100
lab_host client6 fd00:9::10
lab_host node6 fd00:9::2
lab_pod pod6 node6 fd00:244::2
lab_realserver pod6 $VIP6
lab_http pod6
# Probe before node6 holds the VIP, which it would otherwise pick as the probe's source.
lab_wait "pod6 serving HTTP to its node" 20 ip netns exec node6 curl -sf -m 2 "http://[fd00:244::2]/"
ip -n node6 addr add $VIP6/128 dev e0
ip netns exec node6 ipvsadm -A -t "[$VIP6]:80" -s rr
ip netns exec node6 ipvsadm -a -t "[$VIP6]:80" -r "[fd00:244::2]:80" -g
response6=$(ip netns exec client6 curl -s -m 5 "http://[$VIP6]/")
lab_wait "the IPVS counters to count the IPv6 connection" 10 sh -c "ip netns exec node6 ipvsadm -Ln --stats | grep -q '^TCP.* [1-9]'"
lab_result "$(jq -cn --arg response "$response6" --argjson stats "$(lab_ipvs_stats node6)" '{name: "ipv6", response: $response, stats: $stats}')"

lab_node test/lab/guest/nodeCheck.ts node
(cd "$LAB_REPO" && node --import tsx test/lab/guest/nodeCheck.ts node-tsx)
