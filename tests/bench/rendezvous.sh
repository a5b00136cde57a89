#!/bin/sh
# rendezvous.sh: the capacity of natt-rendezvous on one core, medians of
# RUNS runs (the machine may be shared and noisy), beside the goals of
# issue 5: 100000 registrations held, 50000 lookups per second.
#
#   tests/bench/rendezvous.sh [RUNS] [SECONDS] [REGISTRATIONS]
#                                          (defaults: 3 runs, 5 s, 100000)
#
# Each run starts a fresh daemon on 127.0.0.1 (any free port; rate limits
# raised out of the way, since one address sends everything) pinned to one
# CPU, and tests/bench/bench_rdv on another: N registrations, then SECONDS of
# lookups of random registered names.  Memory per registration is the
# daemon's resident memory growth over the registrations divided by their
# number (it includes the replay guard pages their salts touch), beside the
# core's own account (status file memory_bytes).  The generator reads the
# daemon's CPU time too: "per CPU second" is what one whole core does, for
# when the generator (sealing every request, as clients do) cannot keep it
# busy.
#
# Uses natt-rendezvous and bench_rdv from $BUILD (default: the current
# directory, a build tree).  Talks to 127.0.0.1 only.
set -eu

RUNS=${1:-3}
SECS=${2:-5}
NREGS=${3:-100000}
BUILD=${BUILD:-.}
RDV=$BUILD/tools/natt-rendezvous
GEN=$BUILD/tests/bench/bench_rdv
[ -x "$RDV" ] && [ -x "$GEN" ] || {
	echo "rendezvous.sh: build first: make && make tests/bench/bench_rdv (in $BUILD)" >&2
	exit 1
}
tmp=$(mktemp -d)
pid=
cleanup() {
	[ -z "$pid" ] || kill "$pid" 2>/dev/null || true
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# Pin the daemon and the generator to different CPUs when there are two.
pin_rdv= pin_gen=
if command -v taskset >/dev/null && [ "$(nproc)" -ge 2 ]; then
	pin_rdv="taskset -c 0" pin_gen="taskset -c 1"
fi

"$RDV" --genkey "$tmp/net.key" >/dev/null
cat >"$tmp/rdv.conf" <<EOF
listen 127.0.0.1:0
network bench $tmp/net.key
max-registrations $((NREGS + NREGS / 5))
rate-limit 1000000 100000000
global-rate-limit 1000000 100000000
status $tmp/status 1
verb 1
foreground
EOF

stat_of() { awk -v k="$1" '$1 == k { print $2 }' "$tmp/status"; }

for run in $(seq "$RUNS"); do
	rm -f "$tmp/status"
	$pin_rdv "$RDV" --config "$tmp/rdv.conf" 2>"$tmp/rdv.log" &
	pid=$!
	for _ in $(seq 50); do
		[ -s "$tmp/status" ] || kill -0 "$pid" 2>/dev/null || break
		[ -s "$tmp/status" ] && break
		sleep 0.1
	done
	port=$(sed -n 's/^listen 127\.0\.0\.1:\([0-9]*\)$/\1/p' "$tmp/status" 2>/dev/null)
	[ -n "$port" ] || { echo "rendezvous.sh: the daemon did not start:" >&2; cat "$tmp/rdv.log" >&2; exit 1; }
	mem0=$(stat_of memory_bytes)
	$pin_gen "$GEN" "$tmp/net.key" "127.0.0.1:$port" --pid "$pid" \
		--registrations "$NREGS" --seconds "$SECS" >"$tmp/run$run" ||
		echo "run $run: not every registration was acknowledged" >&2
	kill -USR1 "$pid"
	sleep 0.3
	{
		echo "registrations_held $(stat_of registrations_held)"
		echo "core_bytes_per_registration $((($(stat_of memory_bytes) - mem0) / NREGS))"
		echo "drops $(stat_of drops)"
		echo "core_memory_bytes $(stat_of memory_bytes)"
	} >>"$tmp/run$run"
	kill -TERM "$pid"
	wait "$pid" || true
	pid=
	sed "s/^/run $run: /" "$tmp/run$run" | tr '\n' ' ' | sed 's/ run [0-9]*://g'
	echo
done

# med KEY: the median of KEY over the runs.
med() {
	cat "$tmp"/run* | awk -v k="$1" '$1 == k { print $2 }' | sort -g |
		awk '{ v[NR] = $1 } END { if (NR == 0) print "nan";
			else if (NR % 2) print v[(NR + 1) / 2];
			else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

echo
echo "natt-rendezvous capacity, median of $RUNS runs (daemon on one CPU${pin_rdv:+, pinned}):"
printf '  registrations held      %9s   (goal 100000; %s sent)\n' "$(med registrations_held)" "$NREGS"
printf '  registrations/s         %9s\n' "$(med registrations_per_s)"
printf '  lookups/s               %9s   (goal 50000; each also sends an introduction)\n' "$(med lookups_per_s)"
printf '  daemon CPU share        %9s   during lookups (1.00: the generator kept its core busy)\n' \
	"$(med daemon_cpu_share_lookups)"
printf '  per CPU second          %9s registrations, %s lookups\n' "$(med registrations_per_cpu_s)" \
	"$(med lookups_per_cpu_s)"
printf '  memory per registration %9s B (resident memory growth / registrations)\n' \
	"$(med rss_per_registration_b)"
printf '  core account            %9s B per registration; %s B in all\n' \
	"$(med core_bytes_per_registration)" "$(med core_memory_bytes)"
printf '  lost requests           %9s\n' "$(med lost)"
