#!/usr/bin/env bash
# bench_plugin.sh BUILDDIR [SECONDS] [LOSS%...]: iperf3 (client -> server,
# SECONDS each) through OpenVPN over the natt transport, OpenVPN over plain
# UDP and, at each LOSS percentage, OpenVPN over TCP, between the same two
# hosts behind routed (no NAT) lab routers, with the same OpenVPN configs
# but for the transport.  Every figure is the median of BENCH_RUNS runs
# (default 3), the configurations interleaved run by run so that a noisy
# moment of this shared machine hits them alike.
#
# Environment:
#   BENCH_RUNS=N     runs per figure (default 3)
#   BENCH_RATE=R     also measure with each WAN link limited to R (tc tbf,
#                    e.g. 100mbit): throughput where the network, not this
#                    machine's two cores, is the bottleneck
#   BENCH_DELAY=MS   one-way delay on each router's WAN link (wanem.sh), so
#                    the path RTT is 4*MS; applies to the loss runs
#   BENCH_LOSS_ONLY=1  only the runs with loss
#   BENCH_CC=NAME    TCP congestion control in the hosts (iperf3's TCP inside
#                    the tunnel, and OpenVPN's own TCP); default: the
#                    machine's (printed: bbr here, cubic on a stock Debian);
#                    only those in net.ipv4.tcp_allowed_congestion_control
#
# Prints Mbit/s and ratios, the time from client start to "Initialization
# Sequence Completed", and CPU seconds per GB moved: OpenVPN's own and the
# natt helper's (its processes are the OpenVPN process's descendants).
# Loss is dropped on the server router's WAN in both directions (lab_loss).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
build=${1:?usage: bench_plugin.sh BUILDDIR [SECONDS] [LOSS%...]}
secs=${2:-5}
shift 2 2>/dev/null || shift $#
losses=("$@")
runs=${BENCH_RUNS:-3}
. "$here/lab.sh"
. "$here/plugin_lib.sh"

lab_init
pl_init "$build"
lab_router ra none 203.0.113.11 10.1.0
lab_router rb none 203.0.113.12 10.2.0
lab_host s1 ra
lab_host c1 rb
# the same two hosts' twins behind NATs (eim), for natt's real case
lab_router rc eim 203.0.113.13 10.3.0
lab_router rd eim 203.0.113.14 10.4.0
lab_host s2 rc
lab_host c2 rd
srv=10.1.0.2
# routed LANs: the public side needs routes to them
lab_exec rdv ip route add 10.1.0.0/24 via 203.0.113.11
lab_exec rdv ip route add 10.2.0.0/24 via 203.0.113.12
lab_exec ra ip route add 10.2.0.0/24 via 203.0.113.12
lab_exec rb ip route add 10.1.0.0/24 via 203.0.113.11
for h in s1 c1 s2 c2; do
	[ -z "${BENCH_CC:-}" ] || lab_exec "$h" sysctl -qw net.ipv4.tcp_congestion_control="$BENCH_CC" ||
		lab_die "BENCH_CC=$BENCH_CC: a namespace may use only net.ipv4.tcp_allowed_congestion_control" \
			"($(sysctl -n net.ipv4.tcp_allowed_congestion_control))"
done
cc=$(lab_exec c1 sysctl -n net.ipv4.tcp_congestion_control)

# ticks PID: CPU clock ticks (user + system) of PID alone; tree_ticks PID:
# of its descendants (the natt helper processes under OpenVPN).
ticks() { awk '{ sub(/^.*\) /, ""); print $12 + $13 }' "/proc/$1/stat" 2>/dev/null || echo 0; }
tree_ticks() {
	local sum=0 kid
	for kid in $(cat /proc/"$1"/task/*/children 2>/dev/null); do
		sum=$((sum + $(ticks "$kid") + $(tree_ticks "$kid")))
	done
	echo "$sum"
}

# run LABEL SERVER_CONF CLIENT_CONF [SERVER_NS CLIENT_NS]: start both, time
# the tunnel, iperf3; leaves "Mbit/s init-seconds openvpn-cpu-s/GB
# helper-cpu-s/GB" in RESULT.
run() {
	local label=$1 sns=${4:-s1} cns=${5:-c1} t0 spid cpid init mbps bytes before after hbefore hafter
	lab_bg "$sns" "srv-$label" "${PL_OPENVPN[@]}" --config "$2" >/dev/null
	spid=${LAB_PIDS[-1]}
	pl_wait "$LAB_DIR/srv-$label.log" 'Initialization Sequence Completed' 15 || lab_die "$label server"
	pl_wait "$LAB_DIR/srv-$label.log" 'registered with rendezvous' 5 || true
	t0=$(date +%s.%N)
	lab_bg "$cns" "cli-$label" "${PL_OPENVPN[@]}" --config "$3" >/dev/null
	cpid=${LAB_PIDS[-1]}
	pl_wait "$LAB_DIR/cli-$label.log" 'Initialization Sequence Completed' 60 || lab_die "$label: no tunnel"
	init=$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.2f", b - a }')
	# each run its own iperf3 server and port: a server whose client was cut
	# off by loss stays "busy running a test"
	IPERF_PORT=$((IPERF_PORT + 1))
	lab_bg "$sns" "iperf-$label" iperf3 -s -1 -B 10.8.0.1 -p "$IPERF_PORT" >/dev/null
	ipid=${LAB_PIDS[-1]}
	sleep 0.5
	before=$(($(ticks "$spid") + $(ticks "$cpid")))
	hbefore=$(($(tree_ticks "$spid") + $(tree_ticks "$cpid")))
	lab_exec "$cns" timeout $((secs + 30)) iperf3 -c 10.8.0.1 -p "$IPERF_PORT" -t "$secs" -J >"$LAB_DIR/iperf-$label.json" || true
	after=$(($(ticks "$spid") + $(ticks "$cpid")))
	hafter=$(($(tree_ticks "$spid") + $(tree_ticks "$cpid")))
	read -r mbps bytes < <(python3 -c 'import json,sys
try:
    r = json.load(open(sys.argv[1]))["end"]["sum_received"]
    print("%.1f %d" % (r["bits_per_second"] / 1e6, r["bytes"]))
except Exception: print("0 0")' "$LAB_DIR/iperf-$label.json")
	if [ "$mbps" = 0 ]; then
		echo "    $label: iperf3 failed: $(grep -m1 '"error"' "$LAB_DIR/iperf-$label.json")" >&2
		grep -E 'natt|Restart|Inactivity' "$LAB_DIR/cli-$label.log" | tail -n 5 >&2
	fi
	kill "$cpid" "$spid" "$ipid" 2>/dev/null || true
	wait "$cpid" "$spid" "$ipid" 2>/dev/null || true
	RESULT="$mbps $init $(awk -v t=$((after - before)) -v h=$((hafter - hbefore)) -v b="$bytes" \
		-v hz="$(getconf CLK_TCK)" 'BEGIN { if (b == 0) b = 1
			printf "%.2f %.2f", t / hz / (b / 1e9), h / hz / (b / 1e9) }')"
}

IPERF_PORT=5300

# median of the arguments
median() { printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
ratio() { awk -v a="$1" -v b="$2" -v f="${3:-%.2f}" 'BEGIN { printf f, (b > 0 ? a / b : 0) }'; }

# measure NAME...: BENCH_RUNS interleaved runs of each configuration NAME
# (natt, udp, tcp; nat: natt between the twins behind NATs); leaves the medians in M_<name> (Mbit/s), I_<name>
# (seconds to tunnel), CO_<name> and CH_<name> (CPU s/GB: OpenVPN, helper).
measure() {
	local r name mb=() in=() co=() ch=()
	declare -A all_m all_i all_o all_h
	for ((r = 0; r < runs; r++)); do
		for name in "$@"; do
			if [ "$name" = nat ]; then
				run "$name$r" "$LAB_DIR/natt-s.conf" "$LAB_DIR/natt-c.conf" s2 c2
			else
				run "$name$r" "$LAB_DIR/$name-s.conf" "$LAB_DIR/$name-c.conf"
			fi
			read -r m i o h <<<"$RESULT"
			all_m[$name]+="$m " all_i[$name]+="$i " all_o[$name]+="$o " all_h[$name]+="$h "
		done
	done
	for name in "$@"; do
		# shellcheck disable=SC2086
		eval "M_$name=$(median ${all_m[$name]}) I_$name=$(median ${all_i[$name]})"
		# shellcheck disable=SC2086
		eval "CO_$name=$(median ${all_o[$name]}) CH_$name=$(median ${all_h[$name]})"
		echo "    $name runs (Mbit/s): ${all_m[$name]}"
	done
}

# rate LIMIT: tbf on both routers' WAN egress (empty: no limit).
rate() {
	local r
	for r in ra rb; do
		lab_exec "$r" tc qdisc del dev wan root 2>/dev/null || true
		[ -n "$1" ] && lab_exec "$r" tc qdisc add dev wan root tbf rate "$1" burst 64kb limit 500000
	done
	return 0
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

echo "bench_plugin: iperf3 ${secs} s client -> server through OpenVPN (tun-mtu 1400, AES-256-GCM)," \
	"TCP congestion control $cc, medians of $runs runs"
[ -n "${BENCH_LOSS_ONLY:-}" ] || measure natt udp nat
[ -n "${BENCH_LOSS_ONLY:-}" ] || echo "  no loss, no limit: natt $M_natt Mbit/s, plain UDP $M_udp Mbit/s," \
	"ratio $(ratio "$M_natt" "$M_udp") (goal >= 0.95)"
[ -n "${BENCH_LOSS_ONLY:-}" ] ||
	echo "    CPU s/GB: natt: OpenVPN $CO_natt + helper $CH_natt; plain UDP: OpenVPN $CO_udp"
[ -n "${BENCH_LOSS_ONLY:-}" ] || echo "  client start to tunnel: natt through two NATs $I_nat s (rendezvous, punching, TLS)," \
	"natt routed $I_natt s, plain UDP routed $I_udp s; natt through two NATs: $M_nat Mbit/s"
if [ -n "${BENCH_RATE:-}" ]; then
	rate "$BENCH_RATE"
	measure natt udp
	echo "  no loss, WAN $BENCH_RATE: natt $M_natt Mbit/s, plain UDP $M_udp Mbit/s," \
		"ratio $(ratio "$M_natt" "$M_udp") (goal >= 0.95)"
	rate ""
fi
if [ -n "${BENCH_DELAY:-}" ] && [ "${#losses[@]}" -gt 0 ]; then
	. "$here/wanem.sh"
	wan_delay ra "$BENCH_DELAY"
	wan_delay rb "$BENCH_DELAY"
	echo "  loss runs with ${BENCH_DELAY} ms one way on each WAN link (RTT $((4 * BENCH_DELAY)) ms)"
fi
for pct in "${losses[@]}"; do
	lab_loss ra "$pct"
	measure natt udp tcp
	echo "  $pct% loss: natt $M_natt, plain UDP $M_udp, OpenVPN over TCP $M_tcp Mbit/s;" \
		"natt/TCP $(ratio "$M_natt" "$M_tcp" %.1f), plain UDP/TCP $(ratio "$M_udp" "$M_tcp" %.1f)"
	lab_exec ra nft flush chain inet lab wan_in
	lab_exec ra nft flush chain inet lab wan_out
done
