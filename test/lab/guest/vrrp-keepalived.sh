#!/bin/sh
# Guest script of vrrp-keepalived.test.ts: tsvs's VRRP speaker (node ts, 10.9.0.2) against
# keepalived (node ka, 10.9.0.3), VRRPv3, VRID 51 for IPv4 and for IPv6, in both directions: each elects
# the higher priority, takes over when the other is SIGKILLed, yields when it comes back,
# and takes over at Skew_Time when the other stops cleanly (priority 0). A client captures
# every VRRP and ARP packet with timestamps. Reports LAB_RESULT lines per phase.
. "$LAB_REPO/test/lab/guest/lib.sh"
set -u
B=$LAB_REPO/.cache/lab/bundle
ADV=${VRRP_ADVERT_MS:-2000}
VIP=10.9.0.100
VIP6=2001:db8::100
lab_modules dummy veth bridge || exit 1
lab_host client 10.9.0.10
lab_host ts 10.9.0.2
lab_host ka 10.9.0.3
ip netns exec client tcpdump -i e0 -nn -e -v -l --time-stamp-precision=micro -tt 'ip proto 112 or ip6 proto 112 or arp' >/tmp/capture.txt 2>/tmp/tcpdump.err &
tcpdump_pid=$!
lab_wait "tcpdump to listen" 20 grep -q listening /tmp/tcpdump.err
node -e 0

ts_start() { # PRIORITY
  ip netns exec ts node "$B/vrrpNode.mjs" "{\"interface\":\"e0\",\"stateDir\":\"/run/tsvs-ts\",\"instances\":[{\"vrid\":51,\"priority\":$1,\"advertIntervalMs\":$ADV,\"addresses\":[\"$VIP\"]},{\"vrid\":51,\"priority\":$1,\"advertIntervalMs\":$ADV,\"addresses\":[\"$VIP6\"]}]}" >>/tmp/ts.log 2>&1 &
  echo $! >/tmp/ts.pid
}
ka_start() { # PRIORITY
  cat >/tmp/ka.conf <<CONF
global_defs {
  router_id ka
  vrrp_version 3
}
vrrp_instance VI_51 {
  state BACKUP
  interface e0
  virtual_router_id 51
  priority $1
  advert_int $(awk "BEGIN { print $ADV / 1000 }")
  virtual_ipaddress {
    $VIP/32 dev e0
  }
}
vrrp_instance VI_51_6 {
  state BACKUP
  interface e0
  virtual_router_id 51
  priority $1
  advert_int $(awk "BEGIN { print $ADV / 1000 }")
  virtual_ipaddress {
    $VIP6/128 dev e0
  }
}
CONF
  ip netns exec ka keepalived -n -l -D -P -f /tmp/ka.conf -p /run/ka.pid -r /run/ka-vrrp.pid >>/tmp/ka.log 2>&1 &
  echo $! >/tmp/ka.pid
}
# A crash: keepalived's parent would restart a killed VRRP child, so freeze both, then kill both.
ka_kill() {
  kill -STOP "$(cat /tmp/ka.pid)" "$(cat /run/ka-vrrp.pid)"
  kill -KILL "$(cat /tmp/ka.pid)" "$(cat /run/ka-vrrp.pid)"
  wait "$(cat /tmp/ka.pid)" 2>/dev/null
}
ka_stop() { kill -TERM "$(cat /tmp/ka.pid)"; wait "$(cat /tmp/ka.pid)"; }
ts_stop() { kill -TERM "$(cat /tmp/ts.pid)"; wait "$(cat /tmp/ts.pid)"; }
has() { ip -n "$1" addr show dev "$2" 2>/dev/null | grep -q " $3/"; }
holds() { has "$1" e0 $VIP && has "$1" e0 $VIP6; }
holds_none() { ! has "$1" e0 $VIP && ! has "$1" e0 $VIP6; }
only() { holds "$1" && holds_none "$2"; }
ts_backup() { holds_none ts && has ts tsvs0 $VIP && has ts tsvs0 $VIP6; }
mac() { ip -n "$1" link show e0 | awk '/link\/ether/ { print $2 }'; }
neigh() { ip -n client neigh show $VIP | awk '{ for (i = 1; i <= NF; i++) if ($i == "lladdr") print $(i + 1) }'; }
client_sees() { [ "$(neigh)" = "$(mac "$1")" ]; }
mark() { lab_result "$(jq -cn --arg phase "$1" --arg at "$(date +%s.%N)" '{name: "mark", phase: $phase, at: ($at | tonumber)}')"; }
state() { lab_result "$(jq -cn --arg phase "$1" --argjson ts "$(holds ts && echo true || echo false)" --argjson ka "$(holds ka && echo true || echo false)" \
  --argjson tsNone "$(holds_none ts && echo true || echo false)" --argjson kaNone "$(holds_none ka && echo true || echo false)" \
  --argjson tsBackup "$(ts_backup && echo true || echo false)" --arg client "$(neigh)" --arg tsMac "$(mac ts)" --arg kaMac "$(mac ka)" \
  '{name: "state", phase: $phase, tsHolds: $ts, kaHolds: $ka, tsNone: $tsNone, kaNone: $kaNone, tsBackup: $tsBackup, clientMac: $client, tsMac: $tsMac, kaMac: $kaMac}')"; }

# Direction 1: tsvs 150 over keepalived 100.
ka_start 100
ts_start 150
lab_wait "tsvs (150) to win over keepalived (100)" 90 only ts ka
ip netns exec client busybox ping -c1 -W3 $VIP >/dev/null
state ours-elected
mark ts-killed
kill -KILL "$(cat /tmp/ts.pid)"
lab_wait "keepalived to take over from a SIGKILLed tsvs" 60 holds ka
lab_wait "the client to follow keepalived's GARP" 20 client_sees ka
state keepalived-took-over
ts_start 150
lab_wait "tsvs to clear its stale VIP and preempt keepalived" 90 only ts ka
lab_wait "the client to follow tsvs's GARP" 20 client_sees ts
state ours-preempted
mark ts-stopping
ts_stop
lab_wait "keepalived to take over from a stopped tsvs" 30 only ka ts
state keepalived-after-clean-stop

# Direction 2: keepalived 200 over tsvs 150.
ka_stop
ka_start 200
lab_wait "keepalived (200) to become master alone" 60 holds ka
ts_start 150
lab_wait "tsvs (150) to settle as backup under keepalived (200)" 60 ts_backup
state keepalived-elected
# One keepalived advertisement as bytes, for the codec's unit tests.
lab_result "$(jq -cn --arg dump "$(ip netns exec client timeout 20 tcpdump -i e0 -nn -x -c 1 'src host 10.9.0.3 and ip proto 112' 2>/dev/null)" '{name: "keepalived-packet", dump: $dump}')"
mark ka-killed
ka_kill
lab_wait "tsvs to take over from a SIGKILLed keepalived" 60 holds ts
lab_wait "the client to follow tsvs's GARP" 20 client_sees ts
state ours-took-over
ip -n ka addr del $VIP/32 dev e0; ip -n ka addr del $VIP6/128 dev e0
ka_start 200
lab_wait "keepalived to preempt tsvs" 60 only ka ts
lab_wait "tsvs to hold the VIP on tsvs0 again" 30 ts_backup
state keepalived-preempted
mark ka-stopping
ka_stop
lab_wait "tsvs to take over from a stopped keepalived" 30 only ts ka
state ours-after-clean-stop
ts_stop

kill "$tcpdump_pid"; wait "$tcpdump_pid" 2>/dev/null
lab_result "$(jq -cn --rawfile capture /tmp/capture.txt '{name: "capture", capture: $capture}')"
echo "--- ts log"; cat /tmp/ts.log
echo "--- keepalived log"; cat /tmp/ka.log
