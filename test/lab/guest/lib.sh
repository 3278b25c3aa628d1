# Shell library (dash) for lab guest scripts:  . "$LAB_REPO/test/lab/guest/lib.sh"
# Builds hosts and pods out of network namespaces, waits on conditions with a
# deadline, and reports results to the host as `LAB_RESULT <json>` lines.
# Addresses with ':' are IPv6; a missing prefix length means /24 (IPv4) or /64 (IPv6)
# for hosts, /32 or /128 for pods.

LAB_BRIDGE=br0
# Pods route everything to this gateway, which their node answers for (proxy ARP / link-local).
LAB_POD_GW4=169.254.1.1
LAB_POD_GW6=fe80::1

# lab_modules MODULE...: load kernel modules (modprobe finds the lab's module tree).
lab_modules() {
  local m
  for m in "$@"; do modprobe "$m" || { echo "lab_modules: modprobe $m failed" >&2; return 1; }; done
}

# lab_bridge: the shared node network, a bridge in the root namespace (created once).
lab_bridge() {
  ip link show "$LAB_BRIDGE" >/dev/null 2>&1 && return 0
  ip link add "$LAB_BRIDGE" type bridge && ip link set "$LAB_BRIDGE" up
}

_lab_prefixed() { # ADDR V4PREFIX V6PREFIX
  case $1 in */*) echo "$1" ;; *:*) echo "$1/$3" ;; *) echo "$1/$2" ;; esac
}

# lab_host NAME ADDR...: a namespace NAME whose interface e0 is on the bridge, with
# forwarding on, reverse-path filtering and IPv6 DAD off. Its root-side peer is v<NAME>.
# (Each command costs a fraction of a second under TCG, hence sysctls set before the
# interfaces exist, which inherit them, and `ip -batch`.)
lab_host() {
  local name=$1 addr; shift
  lab_bridge &&
    ip netns add "$name" &&
    ip netns exec "$name" sysctl -qw net.ipv4.ip_forward=1 net.ipv6.conf.all.forwarding=1 \
      net.ipv4.conf.all.rp_filter=0 net.ipv4.conf.default.rp_filter=0 \
      net.ipv6.conf.all.accept_dad=0 net.ipv6.conf.default.accept_dad=0 &&
    ip link add "v$name" type veth peer name e0 netns "$name" &&
    ip link set "v$name" master "$LAB_BRIDGE" up &&
    {
      echo "link set lo up"
      echo "link set e0 up"
      for addr in "$@"; do echo "addr add $(_lab_prefixed "$addr" 24 64) dev e0"; done
    } | ip -n "$name" -batch -
}

# lab_pod NAME NODE ADDR...: a namespace NAME behind namespace NODE on a veth (eth0 in the
# pod, p<NAME> on the node), reached by host routes as most CNIs do: the pod's
# addresses are /32 (/128), its default route points at a gateway its node answers for
# (169.254.1.1 by proxy ARP, fe80::1 on p<NAME>).
lab_pod() {
  local name=$1 node=$2 addr v6=; shift 2
  case "$*" in *:*) v6=1 ;; esac
  ip netns add "$name" &&
    { [ -z "$v6" ] || ip netns exec "$name" sysctl -qw net.ipv6.conf.default.accept_dad=0; } &&
    ip link add "p$name" netns "$node" type veth peer name eth0 netns "$name" &&
    ip netns exec "$node" sysctl -qw "net.ipv4.conf.p$name.proxy_arp=1" "net.ipv6.conf.p$name.accept_dad=0" &&
    {
      echo "link set lo up"
      echo "link set eth0 up"
      for addr in "$@"; do echo "addr add $(_lab_prefixed "$addr" 32 128) dev eth0"; done
      if [ -n "$v6" ]; then echo "route replace default via $LAB_POD_GW6 dev eth0"; fi
      case "$*" in *.*)
        echo "route replace $LAB_POD_GW4 dev eth0"
        echo "route replace default via $LAB_POD_GW4 dev eth0"
        ;;
      esac
    } | ip -n "$name" -batch - &&
    {
      echo "link set p$name up"
      if [ -n "$v6" ]; then echo "addr replace $LAB_POD_GW6/64 dev p$name"; fi
      # Proxy ARP answers only for an address the node routes out of another interface.
      echo "route replace $LAB_POD_GW4/32 dev lo"
      for addr in "$@"; do
        case $addr in
          *:*) echo "route add ${addr%/*}/128 dev p$name" ;;
          *) echo "route add ${addr%/*}/32 dev p$name" ;;
        esac
      done
    } | ip -n "$node" -batch -
}

# lab_realserver NS VIP...: what the real-server init container does in a pod: the VIPs
# on lo (/32, /128), arp_ignore=1 and arp_announce=2 so the pod never answers ARP for them.
lab_realserver() {
  local ns=$1 vip; shift
  ip netns exec "$ns" sysctl -qw net.ipv4.conf.all.arp_ignore=1 net.ipv4.conf.all.arp_announce=2 || return 1
  for vip in "$@"; do
    case $vip in
      *:*) ip -n "$ns" addr add "${vip%/*}/128" dev lo nodad ;;
      *) ip -n "$ns" addr add "${vip%/*}/32" dev lo ;;
    esac || return 1
  done
}

# lab_http NS [PORT]: a busybox web server in NS whose page is "hello from NS".
lab_http() {
  mkdir -p "/tmp/www/$1" && echo "hello from $1" >"/tmp/www/$1/index.html" &&
    ip netns exec "$1" busybox httpd -p "${2:-80}" -h "/tmp/www/$1"
}

# lab_ipvs_stats [NS]: IPVS real-server counters as a JSON array of
# {service, server, conns, inPkts, outPkts, inBytes, outBytes}. The kernel (6.1) refreshes
# these counters every 2 s: wait for the count you expect (lab_wait) before asserting on them.
lab_ipvs_stats() {
  ${1:+ip netns exec "$1"} ipvsadm -Ln --stats --exact | awk '
    $1 ~ /^(TCP|UDP|SCTP|FWM)$/ { service = $1 " " $2 }
    $1 == "->" && $3 ~ /^[0-9]+$/ {
      printf "{\"service\":\"%s\",\"server\":\"%s\",\"conns\":%s,\"inPkts\":%s,\"outPkts\":%s,\"inBytes\":%s,\"outBytes\":%s}\n",
        service, $2, $3, $4, $5, $6, $7
    }' | jq -cs .
}

_lab_now_ms() { echo $(($(date +%s%N) / 1000000)); }

# lab_wait DESCRIPTION TIMEOUT_S COMMAND...: run COMMAND until it succeeds; fail with a
# message naming DESCRIPTION once TIMEOUT_S seconds have passed.
lab_wait() {
  local description=$1 deadline=$(($(_lab_now_ms) + $2 * 1000))
  shift 2
  until "$@" >/dev/null 2>&1; do
    if [ "$(_lab_now_ms)" -ge "$deadline" ]; then
      echo "lab_wait: timed out waiting for $description" >&2
      return 1
    fi
    sleep 0.05
  done
}

# lab_result JSON: report one result to the host (one line of JSON).
lab_result() {
  local json
  json=$(printf '%s' "$1" | jq -c .) && [ -n "$json" ] || { echo "lab_result: not JSON: $1" >&2; return 1; }
  printf 'LAB_RESULT %s\n' "$json"
}

# lab_result_cmd NAME COMMAND...: run COMMAND and report {name, exitCode, output} (stdout and stderr).
lab_result_cmd() {
  local name=$1 out code; shift
  out=$("$@" 2>&1); code=$?
  lab_result "$(jq -cn --arg name "$name" --argjson exitCode "$code" --arg output "$out" '{name: $name, exitCode: $exitCode, output: $output}')"
}

# lab_node FILE.ts [ARGS...]: run a TypeScript file of the repository (path relative to it,
# or absolute) with node, from the repository. Uses the .js that lab.ts transpiled beside
# it when there is one (seconds faster under TCG), else tsx.
lab_node() {
  local file=$1; shift
  (cd "$LAB_REPO" && if [ -f "${file%.ts}.js" ]; then
    node --enable-source-maps "${file%.ts}.js" "$@"
  else
    node --import tsx "$file" "$@"
  fi)
}

# lab_ask NAME [JSON [TIMEOUT_S]]: ask the host side to do NAME with the JSON argument (a
# serveAsks of test/lab/labAsk.ts, started through runInLab's onShare); prints the host's
# answer (JSON) and fails when it reports an error or does not answer in TIMEOUT_S (60) s.
lab_ask() {
  local name=$1 arg=${2:-null} timeout=${3:-60} file
  file=$LAB_SHARE/ask/$(date +%s%N)-$name
  mkdir -p "$LAB_SHARE/ask" && printf '%s\n' "$arg" >"$file.tmp" && mv "$file.tmp" "$file.json" || return 1
  lab_wait "the host to answer $name" "$timeout" test -e "$file.reply" || return 1
  jq -e '.ok' "$file.reply" >/dev/null || { echo "lab_ask $name: $(jq -r .error "$file.reply")" >&2; return 1; }
  jq -c '.value' "$file.reply"
}
