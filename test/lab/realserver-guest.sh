#!/bin/sh
# Lab guest script for test/lab/realserver.test.ts: `tsvs realserver-init` in a pod's network
# namespace, then direct-routing HTTP through an IPVS director to that pod, whose server
# listens on the target port only. Results (LAB_RESULT):
#   first     - the init run that waited for its VIP: exit code, lo addresses, sysctls, nft table
#   again     - a second run with the same config: exit code and the same observations
#   http      - responses through the DR service, and the director's IPVS counters
#   bad       - exit code and stderr of a run with an invalid config file
#   noadmin   - exit code and stderr of a run without CAP_NET_ADMIN
. "$LAB_REPO/test/lab/guest/lib.sh"

cd "$LAB_REPO" || exit 1
if [ -f src/cli.js ]; then CLI="node --enable-source-maps src/cli.js"; else CLI="node --import tsx src/cli.ts"; fi

# On the client's subnet, so that the client reaches it by ARP as it would a VRRP master's VIP.
VIP=10.9.0.100
VIP6=fd00:96::10
lab_host client 10.9.0.10 || exit 1
lab_host node 10.9.0.2 || exit 1
lab_pod pod node 10.244.0.2 || exit 1
ip netns exec node sysctl -qw net.ipv4.conf.all.accept_local=1 || exit 1
ip -n node addr add $VIP/32 dev e0 || exit 1
ip netns exec node ipvsadm -A -t $VIP:80 -s rr || exit 1
ip netns exec node ipvsadm -a -t $VIP:80 -r 10.244.0.2:80 -g -w 1 || exit 1
# The pod's server listens on the target port only: port 80 reaches it through the redirect.
lab_http pod 8080 || exit 1

mkdir -p /tmp/rs
: >/tmp/rs/config.json
# Empty, as the downward-API file is while the VIP is not allocated yet: the init waits on it.
ip netns exec pod $CLI realserver-init --config-file /tmp/rs/config.json --wait --poll-seconds 0.1 >/tmp/rs/first.log 2>&1 &
init=$!
lab_wait "the init container waiting for its VIP" 240 grep -q realserver.waiting /tmp/rs/first.log || { cat /tmp/rs/first.log; exit 1; }
printf '{"vips":["%s","%s"],"redirects":[{"vip":"%s","protocol":"tcp","port":80,"targetPort":8080}]}' $VIP $VIP6 $VIP >/tmp/rs/config.json
wait $init
first=$?

observe() { # NAME EXITCODE
  jq -cn --arg name "$1" --argjson exitCode "$2" \
    --argjson lo "$(ip -n pod -j addr show dev lo)" \
    --argjson nft "$(ip netns exec pod nft -j list table inet tsvs_realserver 2>/dev/null || echo null)" \
    --arg sysctls "$(ip netns exec pod sysctl -n net.ipv4.conf.all.arp_ignore net.ipv4.conf.all.arp_announce net.ipv4.conf.eth0.arp_ignore net.ipv4.conf.eth0.arp_announce | tr '\n' ' ')" \
    '{name: $name, exitCode: $exitCode, lo: [$lo[0].addr_info[] | {local, prefixlen, nodad: (.nodad // false)}], sysctls: ($sysctls | split(" ") | map(select(. != ""))), nftRules: (if $nft == null then null else [$nft.nftables[] | select(.rule) | .rule.expr | tostring] end)}'
}
lab_result "$(observe first $first)"

ip netns exec pod $CLI realserver-init --config-file /tmp/rs/config.json >/tmp/rs/again.log 2>&1
lab_result "$(observe again $?)"

lab_wait "the pod serving on its target port" 20 ip netns exec node curl -sf -m 2 http://10.244.0.2:8080/
responses=
for i in 1 2 3 4; do
  responses="$responses$(ip netns exec client curl -s -m 5 http://$VIP/ || echo FAIL)
"
done
# The kernel refreshes the IPVS counters every 2 s.
counted() { [ "$(lab_ipvs_stats node | jq '.[0].conns')" = 4 ]; }
lab_wait "IPVS to count 4 connections" 20 counted
lab_result "$(jq -cn --arg responses "$responses" --argjson stats "$(lab_ipvs_stats node)" \
  '{name: "http", responses: ($responses | split("\n") | map(select(. != ""))), stats: $stats}')"

echo '{"vips":["not-an-ip"]}' >/tmp/rs/bad.json
ip netns exec pod $CLI realserver-init --config-file /tmp/rs/bad.json >/tmp/rs/bad.log 2>&1
lab_result "$(jq -cn --argjson exitCode $? --arg stderr "$(cat /tmp/rs/bad.log)" '{name: "bad", exitCode: $exitCode, stderr: $stderr}')"

ip netns add bare && ip -n bare link set lo up
ip netns exec bare setpriv --inh-caps=-net_admin --bounding-set=-net_admin $CLI realserver-init --vips 10.96.5.11 >/tmp/rs/noadmin.log 2>&1
lab_result "$(jq -cn --argjson exitCode $? --arg stderr "$(cat /tmp/rs/noadmin.log)" '{name: "noadmin", exitCode: $exitCode, stderr: $stderr}')"
