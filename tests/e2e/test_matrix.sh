#!/usr/bin/env bash
# test_matrix.sh BUILDDIR: the NAT matrix, end to end, with natt-probe (the
# transport node OpenVPN's plugin runs) in the namespace lab of lab.sh.
#
#   rdv  203.0.113.2  natt-rendezvous (rendezvous and STUN)
#   stun 203.0.113.3  a second natt-rendezvous, used as the second STUN
#                     server (two observations of a mapping tell EIM from EDM)
#   p1   203.0.113.20 a public host
#   ra eim 203.0.113.11: a1 10.1.0.2 (server "office-eim"), a2 10.1.0.3
#   rb edm 203.0.113.12: b1 10.2.0.2 (server "office-edm")
#   rc eim 203.0.113.13: c1 10.3.0.2 (client)
#   rd edm 203.0.113.14: d1 10.4.0.2 (client)
#
# Asserted, in order:
#   - the rendezvous down at start: the servers say so clearly and retry
#     with backoff, a client gives up with the reason; once it runs, they
#     register;
#   - eim/eim direct in 20 of 20 runs; the median time to a validated path
#     is printed (and must be under 1 s);
#   - eim/edm and edm/eim direct by the birthday method in at least 19 of
#     20 runs, each within 15 s;
#   - edm/edm: "relay-needed" reported within 10 s;
#   - two hosts behind the same NAT: the LAN path; public/eim: direct;
#   - the rendezvous killed after the session came up: the session goes on;
#   - then every NAT mapping flushed mid-session (conntrack -F on both
#     routers): the same session carries echoes again within 5 s.
# LAB_RUNS=N changes the 20 runs (quick local checks).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
build=${1:?usage: test_matrix.sh BUILDDIR}
PROBE="$build/tools/natt-probe"
RDV="$build/tools/natt-rendezvous"
RUNS=${LAB_RUNS:-20}
. "$here/lab.sh"

[ -x "$PROBE" ] || lab_die "$PROBE not built (make)"
[ -x "$RDV" ] || lab_die "$RDV not built (make)"
command -v conntrack >/dev/null || lab_die "conntrack not found: apt-get install conntrack"

t_start=$(date +%s)

# wait_for FILE REGEX SECONDS: until a line of FILE matches.
wait_for() {
	local i
	for ((i = 0; i < $3 * 10; i++)); do
		grep -Eq "$2" "$1" 2>/dev/null && return 0
		sleep 0.1
	done
	return 1
}

# field NAME LINE: the value of NAME=value in a result line.
field() { tr ' ' '\n' <<<"$2" | sed -n "s/^$1=//p" | head -n 1; }

# median of numbers on stdin
median() { sort -n | awk '{ v[NR] = $1 } END { if (NR == 0) print "none";
	else if (NR % 2) print v[(NR + 1) / 2]; else printf "%.1f\n", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

lab_init
lab_public_host rdv 203.0.113.2
lab_public_host stun 203.0.113.3
lab_public_host p1 203.0.113.20
lab_router ra eim 203.0.113.11 10.1.0
lab_host a1 ra
lab_host a2 ra
lab_router rb edm 203.0.113.12 10.2.0
lab_host b1 rb
lab_router rc eim 203.0.113.13 10.3.0
lab_host c1 rc
lab_router rd edm 203.0.113.14 10.4.0
lab_host d1 rd
# A real NAT router drops unsolicited packets to itself.  Without that, a
# probe that reaches a router before its host's first probe has left makes a
# conntrack entry for the router's own port, and the host's mapping then
# gets another port (Linux NAT avoids the clash): the hole never opens.
# lab.sh's routers may already do it (chain input_f); if not, add it here.
for r in ra rb rc rd; do
	lab_exec "$r" nft list chain inet lab input_f >/dev/null 2>&1 && continue
	lab_exec "$r" nft add chain inet lab input_f '{ type filter hook input priority 0; }'
	lab_exec "$r" nft add rule inet lab input_f iifname wan ct state new drop
done

pki="$LAB_DIR/pki"
sh "$here/../pki/make-pki.sh" "$pki" >/dev/null
"$RDV" --genkey "$LAB_DIR/net.key" >/dev/null
mkdir -p "$LAB_DIR/runs"
common=(--rendezvous 203.0.113.2 --stun 203.0.113.3 --network-key "$LAB_DIR/net.key"
	--ca "$pki/ca.crt")
server_opts=("${common[@]}" --cert "$pki/server.crt" --key "$pki/server.key" --port 5000)
client_opts=("${common[@]}" --cert "$pki/client.crt" --key "$pki/client.key")

start_rdv() {
	lab_bg rdv rdv "$RDV" --network-key "$LAB_DIR/net.key" --listen 203.0.113.2:3478 \
		--foreground >/dev/null
	rdv_pid=${LAB_PIDS[-1]}
	lab_bg stun stun "$RDV" --network-key "$LAB_DIR/net.key" --listen 203.0.113.3:3478 \
		--foreground >/dev/null
}

# probe HOST LOG ARGS...: one client run; its result line on stdout.
probe() {
	local host=$1 log=$2
	shift 2
	lab_exec "$host" "$PROBE" client "${client_opts[@]}" "$@" 2>"$LAB_DIR/runs/$log.err" |
		tee "$LAB_DIR/runs/$log.out" | grep -m1 '^result=' || true
}

# show_run LOG: what a failed run printed, for the person reading the test.
show_run() {
	sed 's/^/    | /' "$LAB_DIR/runs/$1.out"
	grep -E ' [13] |attempt|failed' "$LAB_DIR/runs/$1.err" | tail -n 12 | sed 's/^/    | /'
}

# ---- the rendezvous is down when everything starts ----
lab_bg a1 srv-eim "$PROBE" server --name office-eim "${server_opts[@]}" >/dev/null
lab_bg b1 srv-edm "$PROBE" server --name office-edm "${server_opts[@]}" >/dev/null
res=$(probe c1 rdv-down --server-name office-eim --timeout 11)
eimlog="$LAB_DIR/srv-eim.log"
if grep -q 'cannot register office-eim: no answer from the rendezvous' "$eimlog" &&
	grep -q '^rendezvous-failing rendezvous=203.0.113.2:3478 .*reason=no answer' "$eimlog"; then
	said=$(grep -m1 -o 'cannot register.*rendezvous (down' "$eimlog")
	ok "rendezvous down: the server says $said...)"
else bad "no clear error while the rendezvous is down: $(tail -n 5 "$eimlog")"; fi
gaps=$(awk '/registering office-eim \(attempt/ && match($0, /\[ *[0-9.]+\]/) {
	t = substr($0, RSTART + 1, RLENGTH - 2) + 0; if (n++) printf "%.1f ", t - last; last = t }' \
	"$eimlog")
if awk -v g="$gaps" 'BEGIN { n = split(g, a, " "); ok = n >= 3;
	for (i = 2; i <= n; i++) if (a[i] < 1.8 * a[i - 1]) ok = 0; exit !ok }'; then
	ok "the server retries with backoff: gaps ${gaps% } s"
else bad "no backoff between registration attempts: gaps '$gaps'"; fi
if [[ $res == result=failed* && $res == *rendezvous* ]] &&
	grep -q 'attempt 1 failed: .*no answer from the rendezvous.*; retrying in 1.0 s' \
		"$LAB_DIR/runs/rdv-down.err"; then
	ok "rendezvous down: the client retried, then gave up: $res"
else bad "client with the rendezvous down: $res"; show_run rdv-down; fi

start_rdv
reg='^registered rendezvous=203\.0\.113\.2:3478 observed=203\.0\.113'
if wait_for "$eimlog" "$reg\.11:5000" 20 && wait_for "$LAB_DIR/srv-edm.log" "$reg\.12:" 5
then
	ok "the servers registered once the rendezvous ran: $(grep -m1 '^registered' "$eimlog")"
else bad "no registration: $(tail -n 3 "$eimlog")"; fi
# ... with the second STUN server's observation (a srflx candidate)
if wait_for "$eimlog" 'registering office-eim with .* srflx 203\.0\.113\.11:5000' 15 &&
	wait_for "$LAB_DIR/srv-edm.log" 'registering office-edm with .* srflx 203\.0\.113\.12:' 5; then
	ok "$(grep 'registering office-edm with' "$LAB_DIR/srv-edm.log" | tail -n 1 | cut -c 14-)"
else bad "no STUN candidate registered: $(grep 'registering office' "$eimlog" | tail -n 2)"; fi

# ---- the matrix ----

# cell NAME HOST SERVER EXPECT TIMEOUT MIN_OK: RUNS client runs; a run is
# good when its result is EXPECT within TIMEOUT seconds.
cell() {
	local name=$1 host=$2 server=$3 expect=$4 timeout=$5 min_ok=$6
	local good=0 i res v bday=0 worst=0 times=""
	for ((i = 1; i <= RUNS; i++)); do
		res=$(probe "$host" "$name-$i" --server-name "$server" --count 5 \
			--timeout "$timeout")
		v=$(field validated_ms "$res")
		if [ "$(field result "$res")" = "$expect" ] && [ -n "$v" ] &&
			awk -v v="$v" -v t="$timeout" 'BEGIN { exit !(v <= t * 1000) }'; then
			good=$((good + 1))
			times="$times $v"
			[ "$(field birthday "$res")" = yes ] && bday=$((bday + 1))
			worst=$(awk -v a="$worst" -v b="$v" 'BEGIN { print (b > a ? b : a) }')
		else
			echo "  $name run $i: ${res:-no result line}"
			show_run "$name-$i"
		fi
	done
	cell_median=$(tr ' ' '\n' <<<"$times" | grep . | median)
	cell_bday=$bday
	local what="$good/$RUNS $expect within $timeout s (validated path: median"
	what="$what $cell_median ms, worst $worst ms; birthday method in $bday)"
	if [ "$good" -ge "$min_ok" ]; then ok "$name: $what"; else bad "$name: $what, want >= $min_ok"; fi
}

cell eim-eim c1 office-eim direct 15 "$RUNS"
eim_median=$cell_median
echo "figure: time to a validated path, eim/eim, median of $RUNS runs: $eim_median ms"
if [ "$eim_median" != none ] && awk -v m="$eim_median" 'BEGIN { exit !(m < 1000) }'; then
	ok "eim/eim median time to a validated path $eim_median ms (< 1000 ms)"
else bad "eim/eim median time to a validated path $eim_median ms"; fi

cell eim-edm c1 office-edm direct 15 $((RUNS - RUNS / 20))
[ "$cell_bday" -gt 0 ] || bad "eim/edm: no run used the birthday method"
cell edm-eim d1 office-eim direct 15 $((RUNS - RUNS / 20))
[ "$cell_bday" -gt 0 ] || bad "edm/eim: no run used the birthday method"

res=$(probe d1 edm-edm --server-name office-edm --timeout 15)
after=$(field after_ms "$res")
if [[ $res == result=relay-needed* ]] && awk -v a="$after" 'BEGIN { exit !(a < 10000) }' &&
	grep -q 'both NATs are endpoint-dependent' <<<"$res"; then
	ok "edm/edm: relay needed, reported after $after ms"
else bad "edm/edm: ${res:-no result}"; show_run edm-edm; fi

res=$(probe a2 lan --server-name office-eim --timeout 15)
if [[ $res == result=lan* && $(field remote "$res") == 10.1.0.2:5000 ]]; then
	ok "same NAT: the LAN path to $(field remote "$res"), validated after" \
		"$(field validated_ms "$res") ms"
else bad "same NAT: ${res:-no result}"; show_run lan; fi

res=$(probe p1 public --server-name office-eim --timeout 15)
if [[ $res == result=direct* && $(field remote "$res") == 203.0.113.11:5000 ]]; then
	ok "public/eim: direct to $(field remote "$res") (nat $(field nat "$res"))"
else bad "public/eim: ${res:-no result}"; show_run public; fi

# ---- the rendezvous killed, then every NAT mapping flushed, mid-session ----
# Two sessions to office-eim: K from p1 (4 s of echoes), F from c1 (10 s).
# Once both are up the rendezvous is killed (K must not notice); 3 s later
# (K is over) both NATs on F's path forget every mapping (conntrack -F): F
# must carry echoes again within 5 s, in the same session, without the
# rendezvous.  A client that starts after a flush is not tested: the server
# is unreachable until its registration refresh re-opens its mapping (up to
# 22 s).
probe p1 rdv-kill --server-name office-eim --duration 4 --interval 50 --timeout 15 \
	>"$LAB_DIR/kill.res" &
kpid=$!
probe c1 flush --server-name office-eim --duration 10 --interval 50 --timeout 15 \
	>"$LAB_DIR/flush.res" &
fpid=$!
LAB_PIDS+=($kpid $fpid)
wait_for "$LAB_DIR/runs/rdv-kill.err" 'session 1 up' 15 || true
wait_for "$LAB_DIR/runs/flush.err" 'session 1 up' 15 || true
sleep 2
kill "$rdv_pid"
sleep 3
lab_flush ra
lab_flush rc
wait "$kpid" "$fpid" || true
res=$(cat "$LAB_DIR/kill.res")
gap=$(field max_gap_ms "$res")
if [[ $res == result=direct* ]] && [ "$(field sessions "$res")" = 1 ] &&
	awk -v g="$gap" -v s="$(field sent "$res")" -v r="$(field received "$res")" \
		'BEGIN { exit !(g < 1000 && r >= s - 5) }'; then
	ok "rendezvous killed after connection: the session went on," \
		"$(field received "$res")/$(field sent "$res") echoes, longest gap $gap ms"
else bad "rendezvous killed: ${res:-no result}"; show_run rdv-kill; fi
res=$(cat "$LAB_DIR/flush.res")
gap=$(field max_gap_ms "$res")
if [[ $res == result=direct* ]] && [ "$(field sessions "$res")" = 1 ] &&
	awk -v g="$gap" -v s="$(field sent "$res")" -v r="$(field received "$res")" \
		'BEGIN { exit !(g < 5000 && r >= s - 100) }'; then
	ok "mappings flushed mid-session: the same session carried on, longest echo gap" \
		"$gap ms, $(field received "$res")/$(field sent "$res") echoes"
else bad "after the flush: ${res:-no result}"; show_run flush; fi

echo "test_matrix: $pass passed, $fail failed in $(($(date +%s) - t_start)) s"
[ "$fail" -eq 0 ]
