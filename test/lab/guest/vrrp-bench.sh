#!/bin/sh
# Guest script of bench/vrrp.bench.ts: client-visible failover gap, tsvs against keepalived.
# For each repetition, advert interval (VRRP_BENCH_INTERVALS, ms) and implementation: node a
# (priority 150, master) and node b (100) hold VIP 10.9.0.100; every node answers UDP on port
# 9000; the client sends a request every 20 ms to the VIP. Node a then dies (its link goes down
# and its VRRP process is SIGKILLed); the client's longest gap between answers is reported as
# LAB_RESULT {name: "gap", impl, intervalMs, rep, longestGapMs, ...}.
. "$LAB_REPO/test/lab/guest/lib.sh"
set -u
B=$LAB_REPO/.cache/lab/bundle
VIP=10.9.0.100
REPS=${VRRP_BENCH_REPS:-3}
INTERVALS=${VRRP_BENCH_INTERVALS:-"1000 100"}
lab_modules dummy veth bridge || exit 1
node -e 0

start_tsvs() { # NODE PRIORITY INTERVAL_MS
  ip netns exec "$1" node "$B/vrrpNode.mjs" "{\"interface\":\"e0\",\"stateDir\":\"/run/tsvs-$1\",\"instances\":[{\"vrid\":51,\"priority\":$2,\"advertIntervalMs\":$3,\"addresses\":[\"$VIP\"]}]}" >>"/tmp/$1.log" 2>&1 &
  echo $! >"/tmp/$1.pid"
}
start_keepalived() { # NODE PRIORITY INTERVAL_MS
  cat >"/tmp/$1.conf" <<CONF
global_defs {
  router_id $1
  vrrp_version 3
}
vrrp_instance VI_51 {
  state BACKUP
  interface e0
  virtual_router_id 51
  priority $2
  advert_int $(awk "BEGIN { print $3 / 1000 }")
  virtual_ipaddress {
    $VIP/32 dev e0
  }
}
CONF
  ip netns exec "$1" keepalived -n -l -D -P -f "/tmp/$1.conf" -p "/run/$1.pid" -r "/run/$1-vrrp.pid" >>"/tmp/$1.log" 2>&1 &
  echo $! >"/tmp/$1.pid"
}
holds() { ip -n "$1" addr show dev e0 2>/dev/null | grep -q " $VIP/"; }
answered_by() { grep -q "\"answered-by\",\"from\":\"$1\"" /tmp/probe.out; }
client_answers() { [ "$(ip netns exec client awk '/^Udp: [0-9]/ { print $2 }' /proc/net/snmp)" -ge "$1" ]; }
vrrp_pids() { ip netns pids "$1" 2>/dev/null; }

for rep in $(seq 1 "$REPS"); do
  for interval in $INTERVALS; do
    for impl in tsvs keepalived; do
      lab_host a 10.9.0.2 && lab_host b 10.9.0.3 && lab_host client 10.9.0.10 || exit 1
      for n in a b; do ip netns exec $n node "$B/vrrpProbe.mjs" serve $n 9000 & done
      "start_$impl" a 150 "$interval"
      lab_wait "$impl on a to become master" 90 holds a || exit 1
      "start_$impl" b 100 "$interval"
      if [ $impl = tsvs ]; then
        lab_wait "b to start" 60 grep -q '"lab-node-started"' /tmp/b.log || exit 1
      else
        lab_wait "b to start" 60 grep -q 'Entering BACKUP STATE' /tmp/b.log || exit 1
      fi
      ip netns exec client node "$B/vrrpProbe.mjs" client $VIP 9000 20 >/tmp/probe.out 2>&1 &
      probe=$!
      lab_wait "a to answer the probe" 30 answered_by a || exit 1
      # 100 answers (2 s): b has heard a's advertisements, at either interval, before a dies.
      lab_wait "probe warm-up" 30 client_answers 100 || exit 1
      # Node a dies: off the segment first, then its processes.
      ip link set va down
      kill -KILL $(vrrp_pids a)
      lab_wait "b to answer after a died" 60 answered_by b || exit 1
      kill -TERM $probe
      wait $probe
      summary=$(tail -n 1 /tmp/probe.out)
      lab_result "$(jq -cn --arg impl $impl --argjson interval "$interval" --argjson rep "$rep" --argjson s "$summary" \
        '{name: "gap", impl: $impl, intervalMs: $interval, rep: $rep} + $s')"
      for pid in $(vrrp_pids b) $(vrrp_pids client); do kill -KILL "$pid"; done
      ip netns del a; ip netns del b; ip netns del client
      rm -f /tmp/a.log /tmp/b.log /tmp/probe.out /run/a*.pid /run/b*.pid
      rm -rf /run/tsvs-a /run/tsvs-b
    done
  done
done
