#!/usr/bin/env bash
# rudp_vs_tcp.sh: goodput of the reliable stream (rudp) beside kernel TCP
# on one emulated link, at 0%, 1% and 5% random loss each way, medians of
# RUNS runs, with the simulated-link figures of bench_rudp beside them.
#
#   tests/bench/rudp_vs_tcp.sh [RUNS [MB]]          (defaults: 3 runs, 50 MB)
#
# Environment: BENCH_DIR (where rudp_xfer, tcp_xfer and bench_rudp are;
# default tests/bench of the current directory, else they are built with
# cc -O2 into the lab's scratch directory), LOSSES (default "0 1 5"),
# MB_<loss> (the size at that loss, e.g. MB_5=20, default MB), RATE
# (default 100mbit), QUEUE (tbf limit in bytes, default 250000: one
# bandwidth-delay product of the simulated link, as bench_rudp's queue),
# TCP_CC (the TCP sender's congestion control, e.g. cubic or reno; default:
# the kernel's), RUN_TIMEOUT (seconds per transfer, default 90).
#
# The emulated link (tests/e2e/lab.sh helpers; needs root):
#
#   host a (203.0.113.21) --veth-- [ namespace pub: bridge br0 ] --veth-- host b (.22)
#
#   rate   tc tbf on both of pub's bridge ports (the egress towards each
#          host): RATE each way, a QUEUE-byte drop-tail queue.  The queue is
#          in pub, so neither host's stack sees it (no TCP small-queue or
#          local-drop feedback): a remote bottleneck, as on a real path.
#   loss   nft "numgen random mod 100 < N drop" on each host's ingress from
#          the link, so both directions lose N% after crossing the
#          bottleneck, like loss on the wire.
#   delay  not emulated: tc netem is not available on this machine.  The
#          base RTT is the veths' (tens of microseconds); a full queue adds
#          up to QUEUE / RATE (20 ms at the defaults).  bench_rudp's
#          simulated link has a 20 ms base RTT, so its column and the
#          namespace columns differ in delay as well.
#
# Namespaces are linked only to each other (never to the root namespace or
# a real interface), all names carry the lab's per-run prefix, and the EXIT
# trap removes them and kills only the processes this script started.
set -euo pipefail

RUNS=${1:-3}
MB=${2:-50}
LOSSES=${LOSSES:-0 1 5}
RATE=${RATE:-100mbit}
QUEUE=${QUEUE:-250000}
BURST=32kb
RUN_TIMEOUT=${RUN_TIMEOUT:-90}
PORT=5001
A_ADDR=203.0.113.21
B_ADDR=203.0.113.22
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
BENCH_DIR=${BENCH_DIR:-tests/bench}

. "$top/tests/e2e/lab.sh"

build() {
	if [ -x "$BENCH_DIR/rudp_xfer" ] && [ -x "$BENCH_DIR/tcp_xfer" ] &&
		[ -x "$BENCH_DIR/bench_rudp" ]; then
		RUDP=$(cd "$BENCH_DIR" && pwd)/rudp_xfer
		TCP=$(cd "$BENCH_DIR" && pwd)/tcp_xfer
		SIM=$(cd "$BENCH_DIR" && pwd)/bench_rudp
		return
	fi
	echo "building the programs with ${CC:-cc} -O2 in $LAB_DIR" >&2
	local cc="${CC:-cc} -std=gnu11 -O2 -I$top/transport -I$top/tests/bench -I$top/tests/sim"
	local libs
	libs="$(pkg-config --libs libevent libevent_pthreads) -lssl -lcrypto -lpthread -lm"
	# shellcheck disable=SC2086
	$cc -o "$LAB_DIR/rudp_xfer" "$here/rudp_xfer.c" "$here/xfer_util.c" \
		"$top"/transport/*.c $libs
	# shellcheck disable=SC2086
	$cc -o "$LAB_DIR/tcp_xfer" "$here/tcp_xfer.c" "$here/xfer_util.c" $libs
	# shellcheck disable=SC2086
	$cc -o "$LAB_DIR/bench_rudp" "$here/bench_rudp.c" "$top/tests/sim/sim.c" \
		"$top/tests/sim/pair.c" "$top"/transport/*.c $libs
	RUDP=$LAB_DIR/rudp_xfer TCP=$LAB_DIR/tcp_xfer SIM=$LAB_DIR/bench_rudp
}

# link_rate PORT: RATE with a QUEUE-byte queue on pub's port towards a host.
link_rate() {
	lab_exec pub tc qdisc add dev "$1" root tbf rate "$RATE" burst "$BURST" limit "$QUEUE" ||
		lab_die "tc tbf on $1 failed"
}

# host_loss HOST PERCENT: drop PERCENT% of what HOST receives from the link
# (lab_loss is for routers; hosts get their own table).
host_loss() {
	lab_exec "$1" nft delete table inet bench 2>/dev/null || true
	[ "$2" -gt 0 ] || return 0
	lab_exec "$1" nft -f - <<-EOF || lab_die "nft loss rule on $1 failed"
		table inet bench {
			chain link_in {
				type filter hook prerouting priority -300;
				iifname "eth0" numgen random mod 100 lt $2 drop
			}
		}
	EOF
}

setup() {
	lab_init
	lab_public_host a "$A_ADDR"
	lab_public_host b "$B_ADDR"
	link_rate p20
	link_rate p21
}

# forget PID: drop a reaped process from the cleanup list, so that cleanup
# never signals a recycled pid.
forget() {
	local keep=() p
	for p in "${LAB_PIDS[@]}"; do
		[ "$p" = "$1" ] || keep+=("$p")
	done
	LAB_PIDS=("${keep[@]}")
}

# wait_listening PROTO: until b has a socket on PORT (ss -u or -t).
wait_listening() {
	local _
	for _ in $(seq 100); do
		if lab_exec b ss -Hln"$1" "sport = :$PORT" | grep -q .; then
			return 0
		fi
		sleep 0.05
	done
	lab_die "the receiver did not open port $PORT"
}

# xfer PROTO MB LOSS: one transfer a -> b; appends the sender's line, tagged
# with LOSS and MB, to $LAB_DIR/PROTO.txt.  Returns non-zero if either side
# failed.
xfer() {
	local proto=$1 mb=$2 loss=$3 prog rpid rc=0 line cc=()
	[ "$proto" = rudp ] && prog=$RUDP || prog=$TCP
	[ "$proto" = tcp ] && [ -n "${TCP_CC:-}" ] && cc=("$TCP_CC")
	lab_bg b "recv_$proto" "$prog" recv "$PORT" "$RUN_TIMEOUT" >/dev/null
	rpid=${LAB_PIDS[-1]}
	wait_listening "$([ "$proto" = rudp ] && echo u || echo t)"
	line=$(lab_exec a "$prog" send "$B_ADDR:$PORT" "$mb" "$RUN_TIMEOUT" "${cc[@]}") || rc=1
	wait "$rpid" || rc=1
	forget "$rpid"
	if [ "$rc" -ne 0 ]; then
		echo "  $proto transfer failed; receiver said:" >&2
		sed 's/^/    /' "$LAB_DIR/recv_$proto.log" >&2
		return 1
	fi
	echo "loss=$loss mb=$mb ${line#xfer }" >>"$LAB_DIR/$proto.txt"
	echo "  $line" >&2
}

# field FILE LOSS KEY: the values of KEY on the lines tagged loss=LOSS.
field() {
	grep "^loss=$2 " "$1" | tr ' ' '\n' | sed -n "s/^$3=//p"
}

# med FILE LOSS KEY: their median.
med() {
	field "$@" | sort -g | awk '{ v[NR] = $1 } END { if (NR == 0) print "nan";
		else if (NR % 2) print v[(NR + 1) / 2];
		else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

ratio() {
	awk -v a="$1" -v b="$2" 'BEGIN { if (b + 0 > 0) printf "%.2f", a / b; else print "nan" }'
}

# sim_mbit LOSS: bench_rudp's Mbit/s at LOSS percent.
sim_mbit() {
	awk -v l="$1" '$1 ~ /%$/ && $1 + 0 == l + 0 && $2 != "transfer" { print $3 }' \
		"$LAB_DIR/sim.txt"
}

measure() {
	local loss mb _ proto
	for loss in $LOSSES; do
		host_loss a "$loss"
		host_loss b "$loss"
		eval "mb=\${MB_$loss:-$MB}"
		echo "loss $loss%: $RUNS runs of $mb MB each for rudp and tcp" >&2
		for _ in $(seq "$RUNS"); do
			for proto in rudp tcp; do
				xfer "$proto" "$mb" "$loss" || FAILED=1
			done
		done
	done
}

table() {
	local loss sim r t first=${LOSSES%% *}
	echo
	echo "rudp vs kernel TCP, medians of $RUNS runs; link: $RATE each way, tbf queue $QUEUE B,"
	echo "nft numgen loss on both hosts' ingress (both directions); TCP congestion control:" \
		"$(field "$LAB_DIR/tcp.txt" "$first" cc | head -n 1); rudp: NewReno + pacing."
	echo "Delay is NOT emulated (tc netem is not available here): the namespace link's base"
	echo "RTT is the veths' (~0.05 ms); a full queue adds up to $QUEUE B / $RATE. The simulated"
	echo "column (bench_rudp, $SIM_MB MB, 100 Mbit/s, 20 ms RTT, 250 kB queue) has delay."
	echo
	printf '%-5s %4s | %9s | %9s %7s %6s %7s | %9s %7s %6s %7s | %9s\n' \
		loss MB "sim rudp" "ns rudp" wire/B lost "srtt" "ns tcp" wire/B retx "srtt" \
		"rudp/tcp"
	printf '%-5s %4s | %9s | %9s %7s %6s %7s | %9s %7s %6s %7s | %9s\n' \
		"" "" "Mbit/s" "Mbit/s" "" pkts ms "Mbit/s" "" segs ms "ns"
	for loss in $LOSSES; do
		sim=$(sim_mbit "$loss")
		r=$(med "$LAB_DIR/rudp.txt" "$loss" goodput_mbit)
		t=$(med "$LAB_DIR/tcp.txt" "$loss" goodput_mbit)
		printf '%-5s %4s | %9s | %9s %7s %6s %7s | %9s %7s %6s %7s | %9s\n' \
			"$loss%" "$(field "$LAB_DIR/rudp.txt" "$loss" mb | head -n 1)" "${sim:-nan}" \
			"$r" "$(med "$LAB_DIR/rudp.txt" "$loss" wire_ratio)" \
			"$(med "$LAB_DIR/rudp.txt" "$loss" lost)" \
			"$(med "$LAB_DIR/rudp.txt" "$loss" srtt_ms)" \
			"$t" "$(med "$LAB_DIR/tcp.txt" "$loss" wire_ratio)" \
			"$(med "$LAB_DIR/tcp.txt" "$loss" lost)" \
			"$(med "$LAB_DIR/tcp.txt" "$loss" srtt_ms)" "$(ratio "$r" "$t")"
	done
	echo
	echo "Mbit/s: stream bytes per second from the sender's first packet until it knew"
	echo "every byte was delivered. wire/B: the sender's IP bytes (headers, retransmissions)"
	echo "per stream byte. lost: rudp packets declared lost; retx: TCP segments retransmitted."
	echo "CPU (median sender seconds): rudp $(med "$LAB_DIR/rudp.txt" "$first" cpu_s)," \
		"tcp $(med "$LAB_DIR/tcp.txt" "$first" cpu_s) at $first% loss;" \
		"load average at start: $LOAD."
}

FAILED=0
LOAD=$(cut -d' ' -f1-3 /proc/loadavg)
SIM_MB=${SIM_MB:-$MB}
setup
echo "namespaces ${LAB_PREFIX}a, ${LAB_PREFIX}b and ${LAB_PREFIX}pub" >&2
build
: >"$LAB_DIR/rudp.txt"
: >"$LAB_DIR/tcp.txt"
echo "bench_rudp $SIM_MB (simulated link)..." >&2
"$SIM" "$SIM_MB" >"$LAB_DIR/sim.txt" || FAILED=1
sed 's/^/  /' "$LAB_DIR/sim.txt" >&2
measure
table
[ "$FAILED" -eq 0 ] || { echo "some transfers FAILED (see above)"; exit 1; }
