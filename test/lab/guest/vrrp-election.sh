#!/bin/sh
# Guest script of vrrp.test.ts: tsvs's VRRP speakers on a real kernel. Three nodes n1 (priority
# 100), n2 (150), n3 (120) on one segment, each holding, per instance, VRID 51 (IPv4, one VIP),
# VRID 52 (IPv4, two VIPs) and VRID 51 (IPv6). A client watches with tcpdump and its neighbour
# cache; a rogue namespace injects bad advertisements. Reports LAB_RESULT lines named after
# each phase; vrrp.test.ts asserts on them.
. "$LAB_REPO/test/lab/guest/lib.sh"
set -u
B=$LAB_REPO/.cache/lab/bundle
ADV=${VRRP_ADVERT_MS:-3000}
VIP=10.9.0.100
VIP6=2001:db8::100
lab_modules dummy veth bridge || exit 1
lab_host client 10.9.0.10 2001:db8::10
for n in 1 2 3; do lab_host n$n 10.9.0.$n 2001:db8::$n; done
lab_host rogue 10.9.0.66

ip netns exec client tcpdump -i e0 -nn -e -v -l 'ip proto 112 or ip6 proto 112 or arp or icmp6' >/tmp/capture.txt 2>/tmp/tcpdump.err &
tcpdump_pid=$!
lab_wait "tcpdump to listen" 20 grep -q listening /tmp/tcpdump.err

config() { # PRIORITY NODE
  cat <<JSON
{"interface":"e0","stateDir":"/run/tsvs-$2","instances":[
 {"vrid":51,"priority":$1,"advertIntervalMs":$ADV,"addresses":["$VIP"]},
 {"vrid":52,"priority":$1,"advertIntervalMs":$ADV,"addresses":["10.9.0.101","10.9.0.102"]},
 {"vrid":51,"priority":$1,"advertIntervalMs":$ADV,"addresses":["$VIP6"]}]}
JSON
}
speaker() { # NODE PRIORITY: start the VRRP node program in NODE
  ip netns exec "$1" node "$B/vrrpNode.mjs" "$(config "$2" "$1")" >>"/tmp/$1.log" 2>&1 &
  echo $! >"/tmp/$1.pid"
}
has() { ip -n "$1" addr show dev "$2" 2>/dev/null | grep -q " $3/"; }
holds_all() { has "$1" e0 $VIP && has "$1" e0 10.9.0.101 && has "$1" e0 10.9.0.102 && has "$1" e0 $VIP6; }
backup_of_all() { has "$1" tsvs0 $VIP && has "$1" tsvs0 10.9.0.102 && has "$1" tsvs0 $VIP6 && ! has "$1" e0 $VIP && ! has "$1" e0 $VIP6; }
mac() { ip -n "$1" link show e0 | awk '/link\/ether/ { print $2 }'; }
neigh() { ip -n client neigh show "$1" | awk '{ for (i = 1; i <= NF; i++) if ($i == "lladdr") print $(i + 1) }'; }
client_sees() { [ "$(neigh $VIP)" = "$(mac "$1")" ] && [ "$(neigh $VIP6)" = "$(mac "$1")" ]; }
masters() { for n in n1 n2 n3; do has $n e0 $VIP && printf '%s ' $n; done; }
only_master() { [ "$(masters)" = "$1 " ]; }
not_master() { ! has "$1" e0 $VIP; }
backups_settled() { backup_of_all n1 && backup_of_all n3; }
result() { lab_result "$(jq -cn "$@")"; }
T0=$(_lab_now_ms)
phase() { echo "phase $1 at $(($(_lab_now_ms) - T0)) ms"; }

# Node's first start reads its 100 MB binary over 9p; do that once, before anything is timed.
node -e 0

# Node rp_filter as a distribution ships it (strict), and a pod's veth without an address on
# the node side (Calico, Cilium): the speakers turn it off on all, default and that veth, not on
# e0, and restore it on stop.
for n in n1 n2; do
  ip netns exec $n sysctl -qw net.ipv4.conf.all.rp_filter=1 net.ipv4.conf.default.rp_filter=1 net.ipv4.conf.e0.rp_filter=1 &&
    ip -n $n link add pod0 type veth peer name pod0p || exit 1
done
rp() { ip netns exec "$1" sysctl -n "net.ipv4.conf.$2.rp_filter"; }
rp_filters() { # NODE: rp_filter on all, default, the veth and e0
  jq -cn --arg all "$(rp "$1" all)" --arg default "$(rp "$1" default)" --arg veth "$(rp "$1" pod0)" --arg e0 "$(rp "$1" e0)" '{all: $all, default: $default, veth: $veth, e0: $e0}'
}

# 1. Election: the highest priority holds every VIP on its NIC, the others on tsvs0.
phase 1
speaker n1 100; speaker n2 150; speaker n3 120
lab_wait "n2 to become master of every instance" 90 holds_all n2
lab_wait "n1 and n3 to hold the VIPs on tsvs0" 30 backups_settled
result --arg masters "$(masters)" --argjson n1 "$(backup_of_all n1 && echo true || echo false)" --argjson n3 "$(backup_of_all n3 && echo true || echo false)" \
  --arg arpIgnore "$(ip netns exec n1 sysctl -n net.ipv4.conf.all.arp_ignore)" --arg arpAnnounce "$(ip netns exec n1 sysctl -n net.ipv4.conf.all.arp_announce)" \
  --argjson rpFilter "$(rp_filters n1)" --arg acceptLocal "$(ip netns exec n1 sysctl -n net.ipv4.conf.all.accept_local)" \
  '{name: "election", masters: $masters, n1Backup: $n1, n3Backup: $n3, sysctls: {arpIgnore: $arpIgnore, arpAnnounce: $arpAnnounce, rpFilter: $rpFilter, acceptLocal: $acceptLocal}}'

# 2. The client resolves the VIPs to the master's MAC.
phase 2
ip netns exec client busybox ping -c1 -W3 $VIP >/dev/null
ip netns exec client busybox ping6 -c1 -W3 $VIP6 >/dev/null
result --arg v4 "$(neigh $VIP)" --arg v6 "$(neigh $VIP6)" --arg n2 "$(mac n2)" '{name: "arp-before", v4: $v4, v6: $v6, masterMac: $n2}'

# 3. SIGKILL the master: n3 takes over, and its gratuitous ARP / NA move the client's cache.
phase 3
kill -KILL "$(cat /tmp/n2.pid)"
lab_wait "n3 to take over after SIGKILL" 60 holds_all n3
lab_wait "the client's neighbour cache to follow n3" 20 client_sees n3
result --arg v4 "$(neigh $VIP)" --arg v6 "$(neigh $VIP6)" --arg n3 "$(mac n3)" --argjson n1Backup "$(backup_of_all n1 && echo true || echo false)" \
  '{name: "sigkill", v4: $v4, v6: $v6, newMasterMac: $n3, n1Backup: $n1Backup}'

# 4. n2 restarts: it finds its stale VIPs on e0 (tagged), starts as backup, then preempts.
phase 4
speaker n2 150
lab_wait "n2 to preempt after its restart" 90 only_master n2
lab_wait "the client's neighbour cache to follow n2" 20 client_sees n2
result --arg masters "$(masters)" '{name: "restart", masters: $masters}'

# 5. Clean stop of the master: priority 0, so n3 takes over after Skew_Time, not Master_Down_Interval.
phase 5
t0=$(_lab_now_ms)
kill -TERM "$(cat /tmp/n2.pid)"
lab_wait "n3 to take over after the clean stop" 60 holds_all n3
took=$(($(_lab_now_ms) - t0))
wait "$(cat /tmp/n2.pid)"
code=$?
# From the logs (one clock): n2 sending priority 0 to n3 becoming master, without signal and polling latency.
stopped_at=$(grep '"to":"init"' /tmp/n2.log | jq -s 'map(select(.vrid == 51 and .family == 4)) | last | .time')
took_over_at=$(grep '"to":"master"' /tmp/n3.log | jq -s --argjson after "$stopped_at" 'map(select(.vrid == 51 and .family == 4 and .time >= $after)) | first | .time')
result --argjson took "$took" --argjson adv "$ADV" --argjson code "$code" --argjson logged "$((took_over_at - stopped_at))" \
  --argjson tsvs0 "$(ip -n n2 link show tsvs0 >/dev/null 2>&1 && echo true || echo false)" \
  --argjson vipOnE0 "$(ip -n n2 addr show dev e0 | grep -q " $VIP/" && echo true || echo false)" \
  --arg arpIgnore "$(ip netns exec n2 sysctl -n net.ipv4.conf.all.arp_ignore)" --argjson rpFilter "$(rp_filters n2)" \
  '{name: "clean-stop", takeoverMs: $took, loggedTakeoverMs: $logged, advertMs: $adv, exitCode: $code, tsvs0Left: $tsvs0, vipLeftOnE0: $vipOnE0, arpIgnore: $arpIgnore, rpFilter: $rpFilter}'

# 6. Hostile advertisements (priority 254 > n3's 120) with TTL 254, a bad checksum, version 2: ignored.
phase 6
inject() { ip netns exec rogue node "$B/vrrpInject.mjs" "{\"interface\":\"e0\",\"source\":\"10.9.0.66\",\"vrid\":51,\"priority\":254,\"addresses\":[\"$VIP\"],\"count\":3,\"gapMs\":300,$1}"; }
inject '"ttl":254'
inject '"corruptChecksum":true'
inject '"version":2'
for reason in hop-limit checksum version; do
  lab_wait "n3 to log a dropped $reason packet" 20 grep -q "\"vrrp-packet-dropped\",\"reason\":\"$reason\",\"source\":\"10.9.0.66\"" /tmp/n3.log
done
result --arg masters "$(masters)" --argjson n1Backup "$(backup_of_all n1 && echo true || echo false)" \
  --argjson drops "$(grep '"vrrp-packet-dropped"' /tmp/n3.log | jq -cs 'map({reason, source})')" \
  '{name: "hostile", masters: $masters, n1Backup: $n1Backup, n3Drops: $drops}'
# Control: the same advertisement, well formed, does make n3 step down.
inject '"count":1'
lab_wait "n3 to yield to a valid priority-254 advertisement" 20 not_master n3
result '{name: "hostile-control", yielded: true}'
lab_wait "n3 to take VRID 51 back once the rogue is silent" 60 holds_all n3

# 7. Unicast peers (VRID 60, its own VIP): n1 (100) and n3 (120) send only to each other.
# One speaker per interface (tagged VIPs on the NIC are its own), so the multicast ones stop first.
for n in n1 n3; do kill -TERM "$(cat /tmp/$n.pid)"; done
for n in n1 n3; do wait "$(cat /tmp/$n.pid)"; done
unicast() { # NODE PRIORITY PEER
  ip netns exec "$1" node "$B/vrrpNode.mjs" "{\"interface\":\"e0\",\"stateDir\":\"/run/tsvs-$1\",\"peers\":[\"$3\"],\"instances\":[{\"vrid\":60,\"priority\":$2,\"advertIntervalMs\":1000,\"addresses\":[\"10.9.0.150\"]}]}" >>"/tmp/$1-unicast.log" 2>&1 &
  echo $! >"/tmp/$1-unicast.pid"
}
unicast_backup() { has "$1" tsvs0 10.9.0.150 && ! has "$1" e0 10.9.0.150; }
phase 7
# Unicast frames between n1 and n3 do not reach the client's bridge port: capture on n1.
ip netns exec n1 tcpdump -i e0 -nn -v -l 'ip proto 112' >/tmp/unicast.txt 2>/tmp/tcpdump-unicast.err &
unicast_tcpdump=$!
lab_wait "tcpdump on n1 to listen" 20 grep -q listening /tmp/tcpdump-unicast.err
unicast n1 100 10.9.0.3
unicast n3 120 10.9.0.1
lab_wait "n3 to win VRID 60 over unicast" 60 has n3 e0 10.9.0.150
lab_wait "n1 to be VRID 60's backup" 30 unicast_backup n1
kill -KILL "$(cat /tmp/n3-unicast.pid)"
lab_wait "n1 to take VRID 60 over unicast" 30 has n1 e0 10.9.0.150
kill "$unicast_tcpdump"; wait "$unicast_tcpdump" 2>/dev/null
result --rawfile capture /tmp/unicast.txt '{name: "unicast", n3Elected: true, n1TookOver: true, capture: $capture}'
kill -TERM "$(cat /tmp/n1-unicast.pid)"; wait "$(cat /tmp/n1-unicast.pid)"

# 8. What tcpdump made of our packets.
phase 8
kill "$tcpdump_pid"; wait "$tcpdump_pid" 2>/dev/null
result --rawfile capture /tmp/capture.txt --arg n2 "$(mac n2)" --arg n3 "$(mac n3)" '{name: "capture", capture: $capture, n2Mac: $n2, n3Mac: $n3}'

for n in n1 n2 n3; do echo "--- $n log"; cat /tmp/$n.log; done
for n in n1 n3; do echo "--- $n unicast log"; cat /tmp/$n-unicast.log; done
