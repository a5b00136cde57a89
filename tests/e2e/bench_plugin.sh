#!/usr/bin/env bash
# bench_plugin.sh BUILDDIR [SECONDS] [LOSS%...]: iperf3 through OpenVPN over
# the natt transport vs OpenVPN over plain UDP, then at each LOSS percentage
# (default: none) natt vs OpenVPN over TCP, between the same two hosts
# behind routed (no NAT) lab routers, one run after the other, the same
# OpenVPN configs but for the transport.  Loss is dropped on the server
# router's WAN in both directions (lab_loss).  Prints Mbit/s, the ratios, and
# the time from client start to "Initialization Sequence Completed".
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
build=${1:?usage: bench_plugin.sh BUILDDIR [SECONDS] [LOSS%...]}
secs=${2:-5}
shift 2 2>/dev/null || shift $#
losses=("$@")
. "$here/lab.sh"
. "$here/plugin_lib.sh"

lab_init
pl_init "$build"
lab_router ra none 203.0.113.11 10.1.0
lab_router rb none 203.0.113.12 10.2.0
lab_host s1 ra
lab_host c1 rb
srv=10.1.0.2
# routed LANs: the public side needs routes to them
lab_exec rdv ip route add 10.1.0.0/24 via 203.0.113.11
lab_exec rdv ip route add 10.2.0.0/24 via 203.0.113.12
lab_exec ra ip route add 10.2.0.0/24 via 203.0.113.12
lab_exec rb ip route add 10.1.0.0/24 via 203.0.113.11

# run LABEL SERVER_CONF CLIENT_CONF: start both, time the tunnel, iperf3;
# leaves "Mbit/s seconds" in RESULT and stops both.
run() {
	local label=$1 t0 spid cpid init mbps
	lab_bg s1 "srv-$label" "${PL_OPENVPN[@]}" --config "$2" >/dev/null
	spid=${LAB_PIDS[-1]}
	pl_wait "$LAB_DIR/srv-$label.log" 'Initialization Sequence Completed' 15 || lab_die "$label server"
	pl_wait "$LAB_DIR/srv-$label.log" 'registered with rendezvous' 5 || true
	t0=$(date +%s.%N)
	lab_bg c1 "cli-$label" "${PL_OPENVPN[@]}" --config "$3" >/dev/null
	cpid=${LAB_PIDS[-1]}
	pl_wait "$LAB_DIR/cli-$label.log" 'Initialization Sequence Completed' 60 || lab_die "$label: no tunnel"
	init=$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.2f", b - a }')
	lab_bg s1 "iperf-$label" iperf3 -s -1 -B 10.8.0.1 >/dev/null
	sleep 0.5
	lab_exec c1 iperf3 -c 10.8.0.1 -t "$secs" -J >"$LAB_DIR/iperf-$label.json" || true
	mbps=$(python3 -c 'import json,sys
try: print("%.1f" % (json.load(open(sys.argv[1]))["end"]["sum_received"]["bits_per_second"] / 1e6))
except Exception: print("0")' "$LAB_DIR/iperf-$label.json")
	kill "$cpid" "$spid" 2>/dev/null || true
	wait "$cpid" "$spid" 2>/dev/null || true
	RESULT="$mbps $init"
}

pl_server s1 2>/dev/null # writes the configs; stopped at once
kill "$PL_SERVER_PID"; wait "$PL_SERVER_PID" 2>/dev/null || true
pl_client c1 c1
kill "${LAB_PIDS[-1]}"; wait "${LAB_PIDS[-1]}" 2>/dev/null || true
sleep 1
cp "$LAB_DIR/server.conf" "$LAB_DIR/natt-s.conf"
cp "$LAB_DIR/c1.conf" "$LAB_DIR/natt-c.conf"
sed -e '/^plugin /d' -e "s/^local .*/local $srv/" "$LAB_DIR/server.conf" >"$LAB_DIR/udp-s.conf"
sed -e '/^plugin /d' -e "s/^remote .*/remote $srv 1194/" "$LAB_DIR/c1.conf" >"$LAB_DIR/udp-c.conf"
sed -e 's/^proto udp/proto tcp-server/' -e '/^explicit-exit-notify/d' "$LAB_DIR/udp-s.conf" >"$LAB_DIR/tcp-s.conf"
sed -e 's/^proto udp/proto tcp-client/' "$LAB_DIR/udp-c.conf" >"$LAB_DIR/tcp-c.conf"

echo "bench_plugin: iperf3 ${secs} s client -> server through OpenVPN (tun-mtu 1400, AES-256-GCM)"
run natt "$LAB_DIR/natt-s.conf" "$LAB_DIR/natt-c.conf"
read -r natt natt_init <<<"$RESULT"
run udp "$LAB_DIR/udp-s.conf" "$LAB_DIR/udp-c.conf"
read -r udp udp_init <<<"$RESULT"
echo "  no loss: natt $natt Mbit/s, plain UDP $udp Mbit/s, ratio $(awk -v a="$natt" -v b="$udp" 'BEGIN { printf "%.2f", a / b }') (goal >= 0.95)"
echo "  client start to tunnel: natt $natt_init s, plain UDP $udp_init s"
for pct in "${losses[@]}"; do
	lab_loss ra "$pct"
	run "natt$pct" "$LAB_DIR/natt-s.conf" "$LAB_DIR/natt-c.conf"
	read -r n _ <<<"$RESULT"
	run "tcp$pct" "$LAB_DIR/tcp-s.conf" "$LAB_DIR/tcp-c.conf"
	read -r t _ <<<"$RESULT"
	echo "  $pct% loss: natt $n Mbit/s, OpenVPN over TCP $t Mbit/s, ratio $(awk -v a="$n" -v b="$t" 'BEGIN { printf "%.1f", (b > 0 ? a / b : 0) }')"
	lab_exec ra nft flush chain inet lab wan_in
	lab_exec ra nft flush chain inet lab wan_out
done
