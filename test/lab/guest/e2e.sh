#!/bin/sh
# Guest script of e2e.test.ts (and of `npm run demo`): tsvs end to end on a real kernel, with
# every real piece: the API server and the tsvs controller run on the host (e2eCluster.ts,
# reached at 10.0.2.2), three speakers run here, one per node namespace, pods run
# `tsvs realserver-init` and a small HTTP server (e2eApp.ts).
#
# Topology (E2E_TOPOLOGY, from e2eCluster.ts): node1..3 and a client on one segment (bridge
# br0, 10.9.0.0/24); the guest's root namespace is 10.9.0.254 on it and masquerades the nodes'
# traffic to the API server out of eth0. Pods sit behind their node on routed /32s, and every
# node routes the other nodes' pods through them (the pod network). Flat pods sit on the
# segment itself (the layer-2 variant).
#
# The host answers lab_ask requests: cluster (kubeconfig, VIPs), endpoints, node,
# health-check, agree (compares ipvsadm on every live node with the VirtualServer's status),
# api-pause, api-resumed. Results go out as LAB_RESULT lines named after the scenario.
#
# E2E_SPEAKER=manual programs VIPs and IPVS by hand instead of running speakers (to check the
# harness's traffic probes without the speaker); the scenarios that need a speaker say skipped.
. "$LAB_REPO/test/lab/guest/lib.sh"
set -u
T=$E2E_TOPOLOGY
CLI=$E2E_CLI
APP=$E2E_APP
MODE=${E2E_SPEAKER:-real}
PAUSE_S=${E2E_API_PAUSE_S:-30}
STREAM="chunks=${E2E_STREAM_CHUNKS:-100}&ms=${E2E_STREAM_GAP_MS:-100}"
T0=$(_lab_now_ms)
phase() { echo "=== $1 at $(($(_lab_now_ms) - T0)) ms"; }
result() { lab_result "$(jq -cn "$@")"; }
tj() { printf '%s' "$T" | jq -r "$@"; }
NODES=$(tj '.nodes[].name' | tr '\n' ' ')
LIVE=$NODES
node_ip() { tj --arg n "$1" '.nodes[] | select(.name == $n) | .ip'; }
pods_of() { tj --arg s "$1" '.pods[] | select(.service == $s) | .name' | tr '\n' ' '; }
pods_on() { tj --arg n "$1" '.pods[] | select(.node == $n) | .name' | tr '\n' ',' | sed 's/,$//'; }
pod_ip() { tj --arg p "$1" '.pods[] | select(.name == $p) | .ip'; }
without() { # WORD LIST...: the list without WORD
  local w=$1 x out=; shift
  for x in "$@"; do [ "$x" = "$w" ] || out="$out$x "; done
  echo "$out"
}
# count_at_least N COMMAND...: COMMAND prints a number of at least N (lab_wait evaluates its arguments once: count in here).
count_at_least() { local n=$1; shift; [ "$("$@")" -ge "$n" ]; }
json_list() { printf '%s\n' "$@" | jq -R . | jq -cs 'map(select(. != ""))'; }
# json_or DEFAULT TEXT: TEXT if it is one JSON value, else DEFAULT (a program that died prints nothing).
json_or() { if printf '%s' "$2" | jq -e . >/dev/null 2>&1; then printf '%s' "$2"; else printf '%s' "$1"; fi; }

# ---------------------------------------------------------------- topology
phase topology
lab_modules ip_vs ip_vs_mh ip_vs_rr dummy veth bridge || exit 1
lab_bridge || exit 1
ip addr add "$(tj .gateway)/24" dev br0
sysctl -qw net.ipv4.ip_forward=1
nft -f - <<'NFT' || exit 1
table ip lab_nat {
  chain post { type nat hook postrouting priority 100; oifname "eth0" masquerade; }
}
NFT
for n in $NODES; do
  lab_host "$n" "$(node_ip "$n")" || exit 1
  ip -n "$n" route add default via "$(tj .gateway)" || exit 1
  # Loose rp_filter, as systemd ships it, which the pods' veths (created next) inherit: the
  # speakers must turn it off wherever pod replies from the VIP arrive (nodeSysctlRules).
  ip netns exec "$n" sysctl -qw net.ipv4.conf.all.rp_filter=2 net.ipv4.conf.default.rp_filter=2 || exit 1
done
lab_host client "$(tj .client)" || exit 1
tj '.pods[] | "\(.name) \(.node) \(.ip) \(.flat)"' >/tmp/pods.txt
while read -r pod node ip flat; do
  if [ "$flat" = true ]; then lab_host "$pod" "$ip"; else lab_pod "$pod" "$node" "$ip"; fi || exit 1
done </tmp/pods.txt
if [ "${E2E_POD_VETH_ADDRESS:-}" = 1 ]; then
  while read -r pod node ip flat; do
    [ "$flat" = true ] || ip -n "$node" addr add "$LAB_POD_GW4/32" dev "p$pod" || exit 1
  done </tmp/pods.txt
fi
# The pod network: every node routes the other nodes' pods through them.
for n in $NODES; do
  while read -r pod node ip flat; do
    [ "$flat" = true ] || [ "$node" = "$n" ] || echo "route add $ip/32 via $(node_ip "$node")"
  done </tmp/pods.txt | ip -n "$n" -batch - || exit 1
done

# Node's first start reads its binary over 9p; once, before anything is timed.
node -e 0
serve() { # POD: the pod's HTTP server
  ip netns exec "$1" node "$APP" serve "$1" 80 >"/tmp/$1.http.log" 2>&1 &
  echo $! >"/tmp/$1.http.pid"
}
while read -r pod _; do serve "$pod"; done </tmp/pods.txt
# Each pod's real-server init, as the injected init container runs it: it waits for its
# downward-API file to name the VIP (written below, once the controller allocated it).
mkdir -p /tmp/rs
while read -r pod _; do
  : >"/tmp/rs/$pod.json"
  ip netns exec "$pod" node "$CLI" realserver-init --config-file "/tmp/rs/$pod.json" --wait --poll-seconds 0.2 >"/tmp/$pod.init.log" 2>&1 &
  echo $! >"/tmp/$pod.init.pid"
done </tmp/pods.txt

# ---------------------------------------------------------------- the cluster
phase cluster
cluster=$(lab_ask cluster null 600) || exit 1
KUBECONFIG_FILE=$LAB_SHARE/$(printf '%s' "$cluster" | jq -r .kubeconfig)
vip_of() { printf '%s' "$cluster" | jq -r --arg s "$1" '.vips[$s]'; }
VIP=$(vip_of web)
FLAT_VIP=$(vip_of flat)
echo "VIPs: web $VIP, flat $FLAT_VIP"
api=$(sed -n 's/^ *server: //p' "$KUBECONFIG_FILE")
lab_result_cmd api-from-node ip netns exec node1 curl -sk -m 20 -o /dev/null -w '%{http_code}' "$api/readyz"

while read -r pod _; do
  svc=$(tj --arg p "$pod" '.pods[] | select(.name == $p) | .service')
  printf '{"vips":["%s"],"redirects":[]}\n' "$(vip_of "$svc")" >"/tmp/rs/$pod.json.tmp" && mv "/tmp/rs/$pod.json.tmp" "/tmp/rs/$pod.json"
done </tmp/pods.txt
# The speakers start meanwhile (wait_speakers below waits for them).
launch_speakers() { # LOG_SUFFIX NODE...
  local suffix=$1 n; shift
  # In LAB_SHARE, so that the host can follow them while the guest runs.
  mkdir -p "$LAB_SHARE/logs"
  for n in "$@"; do
    ip netns exec "$n" node "$CLI" speaker --node-name "$n" --kubeconfig "$KUBECONFIG_FILE" --interface e0 >"$LAB_SHARE/logs/$n.speaker$suffix.log" 2>&1 &
    echo $! >"/tmp/$n.pid"
    echo "$LAB_SHARE/logs/$n.speaker$suffix.log" >"/tmp/$n.logname"
  done
}
[ "$MODE" = manual ] || launch_speakers "" $NODES
init_codes='{}'
while read -r pod _; do
  wait "$(cat "/tmp/$pod.init.pid")"
  init_codes=$(printf '%s' "$init_codes" | jq -c --arg p "$pod" --argjson c $? '. + {($p): $c}')
done </tmp/pods.txt
serving() { for p in $(tj '.pods[].name'); do grep -q '"serving"' "/tmp/$p.http.log" || return 1; done; }
lab_wait "every pod's HTTP server" 120 serving || { cat /tmp/*.http.log; exit 1; }
lo_vips='{}'
while read -r pod _; do
  lo_vips=$(printf '%s' "$lo_vips" | jq -c --arg p "$pod" --argjson a "$(ip -n "$pod" -j addr show dev lo)" '. + {($p): [$a[0].addr_info[].local]}')
done </tmp/pods.txt
result --argjson codes "$init_codes" --argjson lo "$lo_vips" --arg web "$VIP" --arg flat "$FLAT_VIP" \
  --arg arpIgnore "$(ip netns exec pod-a sysctl -n net.ipv4.conf.all.arp_ignore)" \
  '{name: "realserver-init", exitCodes: $codes, lo: $lo, vips: {web: $web, flat: $flat}, arpIgnore: $arpIgnore}'

# ---------------------------------------------------------------- speakers
has_vip() { ip -n "$1" addr show dev "$2" 2>/dev/null | grep -q " $3/"; }
# The node holding VIP on its NIC, among the live ones (empty if none or several).
master_of() {
  local n found=
  for n in $LIVE; do
    if has_vip "$n" e0 "$1"; then [ -z "$found" ] || return 1; found=$n; fi
  done
  [ -n "$found" ] && echo "$found"
}
# Succeeds once every named speaker logged speaker.started, or one of them exited (checked after).
started_or_dead() {
  local n
  for n in "$@"; do
    grep -q '"event":"speaker.started"' "$(cat "/tmp/$n.logname")" && continue
    kill -0 "$(cat "/tmp/$n.pid")" 2>/dev/null || return 0
    return 1
  done
}
wait_speakers() { # NODE...
  local n
  lab_wait "speakers $* to log speaker.started" 240 started_or_dead "$@"
  for n in "$@"; do
    grep -q '"event":"speaker.started"' "$(cat "/tmp/$n.logname")" && continue
    echo "speaker $n did not start:"
    tail -n 30 "$(cat "/tmp/$n.logname")"
    return 1
  done
}

# Hand-programmed stand-in for the speakers (E2E_SPEAKER=manual): master MASTER, tier 1
# there, tier 2 and the VIPs on tsvs0 elsewhere, for both Services, from READY_web/READY_flat.
READY_web=$(tj '.pods[] | select(.service == "web" and .endpoint) | .name' | tr '\n' ' ')
READY_flat=$(tj '.pods[] | select(.service == "flat" and .endpoint) | .name' | tr '\n' ' ')
manual_program() {
  local master=$1 n svc vip p
  for n in $LIVE; do
    ip netns exec "$n" sysctl -qw net.ipv4.conf.all.arp_ignore=1 net.ipv4.conf.all.arp_announce=2 net.ipv4.conf.all.accept_local=1 net.ipv4.vs.sloppy_tcp=1
    # rp_filter off on all, default and the pods' veths, as the speakers do (for simplicity even with --veth-address).
    ip netns exec "$n" sh -c 'for f in /proc/sys/net/ipv4/conf/all/rp_filter /proc/sys/net/ipv4/conf/default/rp_filter /proc/sys/net/ipv4/conf/p*/rp_filter; do echo 0 >"$f"; done'
    ip -n "$n" link add tsvs0 type dummy 2>/dev/null && ip -n "$n" link set tsvs0 up
    ip netns exec "$n" ipvsadm -C
    for svc in web flat; do
      vip=$(vip_of $svc)
      ip -n "$n" addr del "$vip/32" dev e0 2>/dev/null
      ip -n "$n" addr del "$vip/32" dev tsvs0 2>/dev/null
      if [ "$n" = "$master" ]; then ip -n "$n" addr add "$vip/32" dev e0; else ip -n "$n" addr add "$vip/32" dev tsvs0; fi
      ip netns exec "$n" ipvsadm -A -t "$vip:80" -s mh -b mh-fallback,mh-port
      for p in $(eval echo "\$READY_$svc"); do
        [ "$n" = "$master" ] || [ "$(tj --arg p "$p" '.pods[] | select(.name == $p) | .node')" = "$n" ] || continue
        ip netns exec "$n" ipvsadm -a -t "$vip:80" -r "$(pod_ip "$p"):80" -g -w 1
      done
    done
  done
  for svc in web flat; do ip netns exec "$master" busybox arping -U -c 2 -w 1 -I e0 -s "$(vip_of $svc)" "$(vip_of $svc)" >/dev/null 2>&1; done
}

# E2E_POD_VETH_ADDRESS=1 (a topology variant, off by default): the node side of every pod's
# veth carries an address (the pods' gateway 169.254.1.1/32), as on a bridge CNI, rather than
# none, as with Calico or Cilium. With none, any rp_filter on the veth or on `all` drops the
# pods' replies (their source, the VIP, is local to the node), so the speakers turn it off
# there; an addressed veth keeps its loose value and still passes them.
VETH_ADDRESS=${E2E_POD_VETH_ADDRESS:-}

phase speakers
if [ "$MODE" = manual ]; then
  manual_program node1
  SPEAKERS_OK=1
else
  if wait_speakers $NODES; then SPEAKERS_OK=1; else SPEAKERS_OK=0; fi
fi
elected() { master_of "$VIP" >/dev/null && master_of "$FLAT_VIP" >/dev/null; }
if [ "$SPEAKERS_OK" = 1 ] && ! lab_wait "one master for each VIP" 60 elected; then SPEAKERS_OK=0; fi
result --arg mode "$MODE" --arg vethAddress "$VETH_ADDRESS" --argjson ok "$SPEAKERS_OK" --arg master "$(master_of "$VIP")" --arg flatMaster "$(master_of "$FLAT_VIP")" \
  --argjson startedMs "$(($(_lab_now_ms) - T0))" '{name: "speakers", mode: $mode, podVethAddress: ($vethAddress == "1"), ok: ($ok == 1), master: $master, flatMaster: $flatMaster, atMs: $startedMs}'
skip() { result --arg n "$1" --arg why "$2" '{name: $n, skipped: $why}'; }

# ---------------------------------------------------------------- helpers for the scenarios
ipvs_json() { # NODE: its IPVS table as {"TCP VIP:PORT": [{server, forward, weight}]}
  ip netns exec "$1" ipvsadm -Ln | awk '
    BEGIN { printf "{" }
    $1 ~ /^(TCP|UDP|SCTP)$/ { if (n++) printf "],"; printf "\"%s %s\":[", $1, $2; m = 0 }
    $1 == "->" && $3 ~ /^(Route|Masq|Tunnel|Local)$/ { if (m++) printf ","; printf "{\"server\":\"%s\",\"forward\":\"%s\",\"weight\":%s}", $2, $3, $4 }
    END { if (n) printf "]"; printf "}\n" }'
}
views() { # VIP: {NODE: {ipvs, vipOnNic}} for the live nodes
  local n out=
  for n in $LIVE; do
    out="$out\"$n\":{\"ipvs\":$(ipvs_json "$n"),\"vipOnNic\":$(has_vip "$n" e0 "$1" && echo true || echo false)},"
  done
  printf '{%s}\n' "${out%,}"
}
UNHEALTHY=
agrees() { # SERVICE: ask the host whether kernels, status and endpoints agree (answer in /tmp/agree-SERVICE.json)
  local reply
  reply=$(lab_ask agree "{\"service\":\"$1\",\"nodes\":$(views "$(vip_of "$1")"),\"unhealthy\":$(json_list $UNHEALTHY)}") || return 1
  printf '%s\n' "$reply" >"/tmp/agree-$1.json"
  [ "$(printf '%s' "$reply" | jq .agree)" = true ]
}
tables() { # the live nodes' `ipvsadm -Ln` as {NODE: text}
  local n out='{}'
  for n in $LIVE; do out=$(printf '%s' "$out" | jq -c --arg n "$n" --arg t "$(ip netns exec "$n" ipvsadm -Ln)" '. + {($n): $t}'); done
  printf '%s\n' "$out" # not echo: dash's echo would turn the JSON's \n escapes into newlines
}
# converge NAME SERVICE TIMEOUT_S: wait for agreement, report {name, agree, tookMs, problems, status, tables}.
converge() {
  local t0 ok
  t0=$(_lab_now_ms)
  rm -f "/tmp/agree-$2.json"
  if lab_wait "$1: nodes, status and endpoints of $2 to agree" "$3" agrees "$2"; then ok=true; else ok=false; fi
  [ -s "/tmp/agree-$2.json" ] || echo '{"agree":false,"problems":["no answer from the host"],"status":null}' >"/tmp/agree-$2.json"
  result --arg n "$1" --argjson ok $ok --argjson took $(($(_lab_now_ms) - t0)) --slurpfile a "/tmp/agree-$2.json" --argjson tables "$(tables)" \
    --arg live "$LIVE" --arg unhealthy "$UNHEALTHY" \
    '{name: $n, agree: $ok, tookMs: $took, problems: $a[0].problems, status: $a[0].status, tables: $tables, live: ($live | split(" ") | map(select(. != ""))), unhealthy: ($unhealthy | split(" ") | map(select(. != "")))}'
  [ $ok = true ]
}
mac_of() { ip -n "$1" -j link show e0 | jq -r '.[0].address'; }
tx_packets() { ip -n "$1" -j -s link show e0 | jq '.[0].stats64.tx.packets'; }
# spread NAME VIP COUNT: COUNT requests from the client, with the source MACs of the replies.
spread() {
  local name=$1 vip=$2 count=$3 out macs n nodes_json='{}' pods_json='{}' tx_before='{}' tx_after='{}' stats='{}' cap
  cap=/tmp/$name.cap
  ip netns exec client tcpdump -i e0 -nn -e -l "tcp and src host $vip and src port 80" >"$cap" 2>"$cap.err" &
  local dump=$!
  lab_wait "tcpdump to listen" 30 grep -q listening "$cap.err"
  for n in $NODES; do tx_before=$(printf '%s' "$tx_before" | jq -c --arg n "$n" --argjson v "$(tx_packets "$n")" '. + {($n): $v}'); done
  out=$(json_or '{"answers":{},"clients":{},"failed":-1}' "$(ip netns exec client node "$APP" spread "http://$vip/" "$count")")
  printf '%s\n' "$out" >"/tmp/$name.spread.json"
  for n in $NODES; do tx_after=$(printf '%s' "$tx_after" | jq -c --arg n "$n" --argjson v "$(tx_packets "$n")" '. + {($n): $v}'); done
  # The last replies' frames reach tcpdump after the client has them: wait for the FINs' ACKs.
  lab_wait "tcpdump to see $count replies" 10 count_at_least "$count" grep -c 'Flags \[F' "$cap"
  kill "$dump"; wait "$dump" 2>/dev/null
  macs=$(awk 'length($2) == 17 && $2 ~ /^[0-9a-f:]+$/ { print $2 }' "$cap" | sort | uniq -c | awk '{ printf "%s\"%s\":%s", (NR > 1 ? "," : ""), $2, $1 } END { print "" }')
  for n in $(tj '.nodes[].name, (.pods[] | select(.flat) | .name)'); do
    nodes_json=$(printf '%s' "$nodes_json" | jq -c --arg n "$n" --arg m "$(mac_of "$n")" '. + {($m): $n}')
  done
  for n in $LIVE; do stats=$(printf '%s' "$stats" | jq -c --arg n "$n" --argjson s "$(lab_ipvs_stats "$n")" '. + {($n): $s}'); done
  result --arg n "$name" --arg vip "$vip" --argjson spread "$out" --argjson macs "{$macs}" --argjson owners "$nodes_json" \
    --arg master "$(master_of "$vip")" --argjson txBefore "$tx_before" --argjson txAfter "$tx_after" --argjson stats "$stats" \
    '{name: $n, vip: $vip, master: $master, answers: $spread.answers, clients: $spread.clients, failed: $spread.failed,
      replyMacs: ($macs | to_entries | map({owner: ($owners[.key] // .key), frames: .value})),
      txPackets: ($txAfter | with_entries(.value -= $txBefore[.key])), ipvsStats: $stats}'
}
kill_node() { # NODE: off the segment first, then its speaker
  ip link set "v$1" down
  [ "$MODE" = manual ] || kill -KILL "$(cat "/tmp/$1.pid")"
  LIVE=$(without "$1" $LIVE)
}
# reboot_node NODE: what a node that died comes back with: its addresses, no VIPs, no IPVS services; then its link up.
reboot_node() {
  ip netns exec "$1" ipvsadm -C
  ip -n "$1" link del tsvs0 2>/dev/null
  ip -n "$1" -j addr show dev e0 | jq -r '.[0].addr_info[] | select(.family == "inet" and .prefixlen == 32) | .local' |
    while read -r a; do ip -n "$1" addr del "$a/32" dev e0; done
  ip link set "v$1" up
}
# failover NAME PROBE_LOG: kill the master of VIP while the probe runs; report the takeover.
failover() {
  local name=$1 old new t0 answered_before took
  old=$(master_of "$VIP")
  answered_before=$(grep -c '"event":"answered"' /tmp/probe.out)
  t0=$(_lab_now_ms)
  kill_node "$old"
  [ "$MODE" != manual ] || manual_program "$(echo $LIVE | cut -d' ' -f1)"
  if lab_wait "$name: a live node to take $VIP over from $old" 60 master_of "$VIP"; then
    took=$(($(_lab_now_ms) - t0))
    new=$(master_of "$VIP")
  else
    took=-1 new=
  fi
  lab_wait "$name: 100 answers after the takeover" 60 count_at_least $((answered_before + 2)) grep -c '"event":"answered"' /tmp/probe.out
  echo "$old $new $took $t0" >"/tmp/$name.failover"
}
probe_start() { # VIP
  ip netns exec client node "$APP" probe "http://$1/" 20 900 >/tmp/probe.out 2>&1 &
  echo $! >/tmp/probe.pid
  lab_wait "the probe's first 100 answers" 60 grep -q '"answered":100' /tmp/probe.out
}
probe_stop() { kill -TERM "$(cat /tmp/probe.pid)"; wait "$(cat /tmp/probe.pid)"; json_or '{"error":"the probe died"}' "$(tail -n 1 /tmp/probe.out)"; }

# ---------------------------------------------------------------- 1, 2: every pod answers, replies bypass the master, the pod sees the client
if [ "$SPEAKERS_OK" = 1 ]; then
  phase "1-2 spread"
  lab_wait "the VIP to answer" 60 sh -c "ip netns exec client curl -s -m 2 http://$VIP/ | grep -q hello"
  spread spread "$VIP" 60
  # Without any answer, the failover scenarios cannot measure anything: they say so at once.
  [ "$(jq '.answers | length' /tmp/spread.spread.json)" -gt 0 ] || NO_TRAFFIC="the VIP never answered (see the spread result)"
  if [ "$MODE" = real ]; then converge agree-initial web 90; else skip agree-initial "E2E_SPEAKER=manual"; fi
else
  skip spread "no speakers"
  skip agree-initial "no speakers"
fi

# ---------------------------------------------------------------- 6: flat layer 2
if [ "$SPEAKERS_OK" = 1 ]; then
  phase "6 flat"
  spread flat "$FLAT_VIP" 30
  if [ "$MODE" = real ]; then converge flat-agree flat 90; else skip flat-agree "E2E_SPEAKER=manual"; fi
else
  skip flat "no speakers"
  skip flat-agree "no speakers"
fi

# ---------------------------------------------------------------- 4: endpoints scale; a pod fails its health check
if [ "$SPEAKERS_OK" = 1 ] && [ "$MODE" = real ]; then
  phase "4 scale"
  lab_ask endpoints '{"service":"web","pods":["pod-a","pod-b","pod-c","pod-d","pod-e"]}' >/dev/null && converge scale-up web 90
  lab_ask endpoints '{"service":"web","pods":["pod-b","pod-c","pod-d","pod-e"]}' >/dev/null && converge scale-down web 90
  phase "4 health"
  lab_ask health-check '{"service":"web","healthCheck":{"type":"HTTP","port":80,"path":"/healthz","intervalSeconds":1,"timeoutSeconds":1,"unhealthyThreshold":2,"healthyThreshold":1}}' >/dev/null &&
    converge health-on web 90
  kill "$(cat /tmp/pod-c.http.pid)"
  UNHEALTHY=pod-c
  converge health-fail web 90
  spread spread-unhealthy "$VIP" 40
  serve pod-c
  UNHEALTHY=
  lab_wait "pod-c serving again" 60 grep -q '"serving"' /tmp/pod-c.http.log
  converge health-recover web 90
  lab_ask endpoints '{"service":"web","pods":["pod-a","pod-b","pod-c","pod-d"]}' >/dev/null && converge scale-restored web 90
else
  for n in scale-up scale-down health-on health-fail spread-unhealthy health-recover scale-restored; do skip $n "needs the speaker (mode $MODE, speakers ok $SPEAKERS_OK)"; done
fi

# ---------------------------------------------------------------- 3: the master dies under load and under a streamed response
if [ -n "${NO_TRAFFIC:-}" ]; then
  for n in failover failover-converged; do skip $n "$NO_TRAFFIC"; done
elif [ "$SPEAKERS_OK" = 1 ]; then
  phase "3 failover"
  old=$(master_of "$VIP")
  ip netns exec client node "$APP" stream "http://$VIP/stream?$STREAM" "$(pods_on "$old")" >/tmp/stream.out 2>&1 &
  stream=$!
  probe_start "$VIP"
  lab_wait "the stream to start" 60 grep -q '"streaming"' /tmp/stream.out
  failover failover /tmp/probe.out
  probe=$(probe_stop)
  wait $stream
  read -r old new took killed_at </tmp/failover.failover
  result --arg old "$old" --arg new "$new" --argjson took "$took" --argjson probe "$probe" --argjson stream "$(json_or '{"complete":false,"error":"no stream summary"}' "$(grep -v '"event"' /tmp/stream.out | tail -n 1)")" \
    --argjson streamEvents "$(grep '"event"' /tmp/stream.out | jq -cs .)" --arg podsOnOld "$(pods_on "$old")" \
    '{name: "failover", oldMaster: $old, newMaster: $new, takeoverMs: $took, probe: $probe, stream: $stream, streamEvents: $streamEvents, podsOnOldMaster: ($podsOnOld | split(",") | map(select(. != "")))}'
  if [ "$MODE" = real ]; then
    # What the node lifecycle controller does once the node stops reporting.
    lab_ask node "{\"name\":\"$old\",\"ready\":false}" >/dev/null && converge failover-converged web 90
  else
    skip failover-converged "E2E_SPEAKER=manual"
  fi
else
  skip failover "no speakers"
  skip failover-converged "no speakers"
fi

# ---------------------------------------------------------------- 5: the API server stops; traffic and failover go on; then everything converges
if [ -n "${NO_TRAFFIC:-}" ]; then
  for n in outage outage-converged outage-converged-flat final; do skip $n "$NO_TRAFFIC"; done
elif [ "$SPEAKERS_OK" = 1 ]; then
  phase "5 api outage"
  DEAD=$(without x $NODES)
  for n in $LIVE; do DEAD=$(without "$n" $DEAD); done
  paused_at=$(_lab_now_ms)
  lab_ask api-pause "{\"seconds\":$PAUSE_S}" >/dev/null
  probe_start "$VIP"
  failover outage-failover /tmp/probe.out
  probe=$(probe_stop)
  read -r old new took killed_at </tmp/outage-failover.failover
  during=$(json_or '{"stoppedMs":-1}' "$(lab_ask api-resumed null $((PAUSE_S + 120)))")
  resumed_at=$(_lab_now_ms)
  result --arg old "$old" --arg new "$new" --argjson took "$took" --argjson probe "$probe" --argjson killedAt $((killed_at - paused_at)) \
    --argjson doneAt $(($(_lab_now_ms) - paused_at)) --argjson api "$during" \
    '{name: "outage", oldMaster: $old, newMaster: $new, takeoverMs: $took, probe: $probe, killedMsIntoPause: $killedAt, apiStoppedMs: $api.stoppedMs}'
  # The dead nodes come back as from a reboot: no VIPs, no IPVS table; link up, Ready again, speakers restarted.
  DEAD="$DEAD $old"
  for n in $DEAD; do reboot_node "$n"; LIVE="$LIVE $n"; done
  if [ "$MODE" = real ]; then
    for n in $DEAD; do lab_ask node "{\"name\":\"$n\",\"ready\":true}" >/dev/null; done
    launch_speakers .2 $DEAD
    wait_speakers $DEAD
    converge outage-converged web 180
    converge outage-converged-flat flat 90
  else
    manual_program "$new"
    skip outage-converged "E2E_SPEAKER=manual"
    skip outage-converged-flat "E2E_SPEAKER=manual"
  fi
  result --argjson since $(($(_lab_now_ms) - resumed_at)) '{name: "outage-recovery", msSinceResume: $since}'
  spread final "$VIP" 60
else
  for n in outage outage-converged outage-converged-flat final; do skip $n "no speakers"; done
fi

phase done
for n in $NODES; do
  for log in "$LAB_SHARE"/logs/$n.speaker*.log; do [ -e "$log" ] && { echo "--- $log (tail)"; tail -n 15 "$log"; }; done
done
exit 0
