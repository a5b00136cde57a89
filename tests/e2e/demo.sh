#!/usr/bin/env bash
# demo.sh BUILDDIR: what ./quickstart demo shows.  An OpenVPN server behind
# one NAT and a client behind another, with no port forwarding anywhere,
# meet through natt-rendezvous on the public segment; the demo waits for the
# tunnel, pings through it, runs a short iperf3, prints a report and tears
# the lab down, keeping the logs.
#
#   rdv  203.0.113.2   natt-rendezvous
#   ra   203.0.113.11  NAT (masquerade)  -- office 10.1.0.2: OpenVPN server
#   rb   203.0.113.12  NAT (masquerade)  -- laptop 10.2.0.2: OpenVPN client
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
build=${1:?usage: demo.sh BUILDDIR}
. "$here/lab.sh"
. "$here/plugin_lib.sh"

logs=/tmp/natt-demo-logs
step() { printf '  %-44s' "$1"; }
done_() { printf '%s\n' "$1"; }
fail() {
	printf 'FAILED\n\n%s\n' "$*" >&2
	keep_logs
	echo "logs: $logs" >&2
	exit 1
}
keep_logs() {
	rm -rf "$logs" && mkdir -p "$logs"
	cp "$LAB_DIR"/*.log "$LAB_DIR"/*.conf "$LAB_DIR"/*.status "$logs/" 2>/dev/null || true
}
since() { awk -v a="$1" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }'; }

echo "openvpn-natt demo: OpenVPN through two NATs, no port forwarding"
step "building the lab (namespaces, two NATs)"
lab_init
pl_init "$build"
lab_router ra eim 203.0.113.11 10.1.0
lab_router rb eim 203.0.113.12 10.2.0
lab_host office ra
lab_host laptop rb
done_ "ok"

step "OpenVPN server behind NAT A"
pl_server office
pl_wait "$LAB_DIR/server.log" 'Initialization Sequence Completed' 15 ||
	fail "the server did not start: $(tail -n 3 "$LAB_DIR/server.log")"
pl_wait "$LAB_DIR/server.log" 'registered with rendezvous' 10 ||
	fail "the server did not register: $(tail -n 3 "$LAB_DIR/server.log")"
done_ "registered as \"office\""

step "OpenVPN client behind NAT B"
t0=$(date +%s.%N)
pl_client laptop laptop
pl_wait "$LAB_DIR/laptop.log" 'Initialization Sequence Completed' 40 ||
	fail "no tunnel: $(grep -i 'natt\|error' "$LAB_DIR/laptop.log" | tail -n 5)"
ttt=$(since "$t0")
done_ "tunnel up in $ttt s"

step "ping through the tunnel (10 packets)"
ping_out=$(lab_exec laptop ping -c 10 -i 0.2 -W 2 10.8.0.1 2>&1) || fail "ping failed: $ping_out"
rtt=$(echo "$ping_out" | awk -F/ '/^rtt|^round-trip/ { print $5 }')
loss=$(echo "$ping_out" | grep -o '[0-9.]*% packet loss')
done_ "rtt $rtt ms, $loss"

step "iperf3 through the tunnel (3 s)"
lab_bg office iperf3s iperf3 -s -1 -B 10.8.0.1 >/dev/null
sleep 0.5
lab_exec laptop iperf3 -c 10.8.0.1 -t 3 -J >"$LAB_DIR/iperf.json" 2>&1 ||
	fail "iperf3 failed: $(tail -n 3 "$LAB_DIR/iperf.json")"
mbps=$(grep -A8 '"sum_received"' "$LAB_DIR/iperf.json" | awk -F: '/bits_per_second/ { printf "%d", $2 / 1e6; exit }')
done_ "$mbps Mbit/s"

peer=$(grep -m1 '^PEER' "$LAB_DIR/server.status" 2>/dev/null || true)
path=$(echo "$peer" | cut -d, -f5)
real=$(echo "$peer" | cut -d, -f4)
keep_logs
lab_cleanup
trap - EXIT

cat <<REPORT

  path type        ${path:-unknown} (hole-punched UDP, no port forwarding)
  client seen at   ${real:-unknown} (its NAT's public address) by the server's plugin
  time to tunnel   $ttt s (client start to "Initialization Sequence Completed")
  RTT              $rtt ms through the tunnel
  throughput       $mbps Mbit/s (iperf3, client to server, 3 s)
  logs             $logs (server.log, laptop.log, rdv.log, status files)

The lab is torn down.  Run ./quickstart test to run every test.
REPORT
