#!/usr/bin/env bash
# test_rendezvous.sh BUILDDIR: natt-rendezvous in the NAT lab.
#
#   rdv 203.0.113.2 (the rendezvous)    p1 203.0.113.20 (a public host)
#   ra eim 203.0.113.11 -- a1 10.1.0.2 (registers "office"), a2 10.1.0.3
#   rb edm 203.0.113.12 -- b1 10.2.0.2 (looks "office" up)
#
# Checks, in order: a1 registering while the rendezvous is down reports a
# clear error and retries with backoff, then registers once it starts, and
# is told its router's WAN address; b1's lookup is answered with a1's host
# and server-reflexive candidates; the introduction reaches a1 through its
# NAT (the mapping its registration made) with b1's observed address; a
# wrong key gets no answer at all; STUN from behind a NAT and from a public
# host is answered with the mapped address; SIGHUP keeps it running; the
# status file counts all of it (SIGUSR1); SIGTERM ends it with status 0
# and removes its pid file.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
build=${1:?usage: test_rendezvous.sh BUILDDIR}
RDV="$build/tools/natt-rendezvous"
CLIENT="$build/tests/e2e/rdvclient"
. "$here/lab.sh"

[ -x "$RDV" ] || lab_die "$RDV not built (make)"
[ -x "$CLIENT" ] || lab_die "$CLIENT not built (make check)"

# wait_for FILE REGEX SECONDS: until a line of FILE matches.
wait_for() {
	local i
	for ((i = 0; i < $3 * 10; i++)); do
		grep -Eq "$2" "$1" 2>/dev/null && return 0
		sleep 0.1
	done
	return 1
}

# stat_of NAME: a counter of the status file.
stat_of() { awk -v k="$1" '$1 == k { print $2 }' "$LAB_DIR/status"; }

lab_init
lab_public_host rdv 203.0.113.2
lab_public_host p1 203.0.113.20
lab_router ra eim 203.0.113.11 10.1.0
lab_router rb edm 203.0.113.12 10.2.0
lab_host a1 ra
a1=$LAB_ADDR
lab_host a2 ra
lab_host b1 rb

"$RDV" --genkey "$LAB_DIR/net.key" >/dev/null
"$RDV" --genkey "$LAB_DIR/wrong.key" >/dev/null
cat >"$LAB_DIR/rdv.conf" <<EOF
# natt-rendezvous in the lab
listen 203.0.113.2:3478
network lab "$LAB_DIR/net.key"
status "$LAB_DIR/status" 1
writepid "$LAB_DIR/rdv.pid"
verb 4
EOF

# ---- the rendezvous is down: a clear error, retries with backoff ----
lab_bg a1 register "$CLIENT" register "$LAB_DIR/net.key" 203.0.113.2 office \
	--lport 5000 --seconds 90 --until-intro >/dev/null
reg_pid=${LAB_PIDS[-1]}
reglog="$LAB_DIR/register.log"
if wait_for "$reglog" '^reg-failed result=no-answer .*reason=no answer from the rendezvous' 12; then
	ok "rendezvous down: $(grep -m1 '^reg-failed' "$reglog")"
else bad "no clear error while the rendezvous is down: $(cat "$reglog")"; fi
gaps=$(awk '/^sent / { sub("t=", "", $4); if (n++) printf "%.1f ", $4 - last; last = $4 }' "$reglog")
if awk -v g="$gaps" 'BEGIN { n = split(g, a, " "); ok = n >= 3;
	for (i = 2; i <= n; i++) if (a[i] < 1.8 * a[i - 1]) ok = 0; exit !ok }'; then
	ok "retries back off: gaps ${gaps% } s"
else bad "retries do not back off: gaps $gaps"; fi

lab_bg rdv rdv "$RDV" --config "$LAB_DIR/rdv.conf" --foreground >/dev/null
rdv_pid=${LAB_PIDS[-1]}
started=$(date +%s)
if wait_for "$reglog" '^registered observed=203\.0\.113\.11:[0-9]+ ' 35; then
	ok "registered $(($(date +%s) - started)) s after the rendezvous started: $(grep -m1 '^registered' "$reglog")"
else bad "no registration once the rendezvous is up: $(tail -n 5 "$reglog")"; fi
[ "$(cat "$LAB_DIR/rdv.pid" 2>/dev/null)" = "$rdv_pid" ] && ok "pid file written" ||
	bad "pid file: $(cat "$LAB_DIR/rdv.pid" 2>/dev/null) (want $rdv_pid)"

# ---- lookup from behind another NAT, and the introduction ----
lab_exec b1 "$CLIENT" lookup "$LAB_DIR/net.key" 203.0.113.2 office --name laptop --lport 6000 \
	--seconds 10 >"$LAB_DIR/lookup.log" 2>&1 || true
found=$(grep -m1 '^lookup found' "$LAB_DIR/lookup.log" || true)
if [[ $found =~ observed=203\.0\.113\.12:([0-9]+)\ cands=(.*)$ ]]; then
	b1_port=${BASH_REMATCH[1]} cands=${BASH_REMATCH[2]}
	if [[ ,$cands, == *",$a1:5000,"* && ,$cands, == *",203.0.113.11:"* ]]; then
		ok "lookup answered: $found"
	else bad "lookup candidates lack a1's host or srflx address: $found"; fi
else
	b1_port=none
	bad "lookup: $(cat "$LAB_DIR/lookup.log")"
fi
if wait_for "$reglog" '^introduced ' 5; then
	intro=$(grep -m1 '^introduced' "$reglog")
	if [[ $intro == *"name=laptop observed=203.0.113.12:$b1_port "* ]]; then
		ok "introduction reached a1 through its NAT: $intro"
	else bad "introduction with the wrong client: $intro"; fi
else bad "no introduction at a1: $(tail -n 5 "$reglog")"; fi
if wait "$reg_pid"; then ok "registering client done"; else bad "registering client failed"; fi

# ---- a wrong key: no answer at all ----
lab_exec a2 "$CLIENT" register "$LAB_DIR/wrong.key" 203.0.113.2 intruder --seconds 3 \
	>"$LAB_DIR/wrong.log" 2>&1 && bad "wrong key registered" || true
if grep -q '^sent ' "$LAB_DIR/wrong.log" && ! grep -q '^rx ' "$LAB_DIR/wrong.log"; then
	ok "wrong key: $(grep -c '^sent ' "$LAB_DIR/wrong.log") requests, no answer in 3 s"
else bad "wrong key: $(cat "$LAB_DIR/wrong.log")"; fi

# ---- STUN on the same port ----
out=$(lab_exec a2 "$CLIENT" stun 203.0.113.2 --lport 7000 --seconds 3 || true)
if grep -q '^stun mapped=203\.0\.113\.11:[0-9]' <<<"$out"; then
	ok "STUN behind a NAT: $(grep '^stun' <<<"$out")"
else bad "STUN from a2: $out"; fi
out=$(lab_exec p1 "$CLIENT" stun 203.0.113.2:3478 --lport 7001 --seconds 3 || true)
if grep -q '^stun mapped=203\.0\.113\.20:7001$' <<<"$out"; then
	ok "STUN from a public host: $(grep '^stun' <<<"$out")"
else bad "STUN from p1: $out"; fi

# ---- signals, the status file ----
kill -HUP "$rdv_pid"
if wait_for "$LAB_DIR/rdv.log" 'key file unchanged' 3 && kill -0 "$rdv_pid"; then
	ok "SIGHUP: still running, key files checked"
else bad "SIGHUP: $(tail -n 3 "$LAB_DIR/rdv.log")"; fi
sleep 0.2
kill -USR1 "$rdv_pid"
sleep 0.5
want="registrations_held=1 registrations_new=1 lookups=1 lookups_found=1 introductions=1 stun_answers=2"
got=""
for kv in $want; do got="$got ${kv%%=*}=$(stat_of "${kv%%=*}")"; done
if [ "${got# }" = "$want" ] && [ "$(stat_of drop_unknown_network)" -ge 1 ]; then
	ok "status file:$got drop_unknown_network=$(stat_of drop_unknown_network)"
else bad "status file:$got drop_unknown_network=$(stat_of drop_unknown_network)"; fi
if grep -q 'office registered from 203.0.113.11:' "$LAB_DIR/rdv.log" &&
	grep -q 'lookup of office by laptop at 203.0.113.12:.*found, introduced' "$LAB_DIR/rdv.log"; then
	ok "verb 4 logs the registration and the lookup"
else bad "log: $(cat "$LAB_DIR/rdv.log")"; fi
if grep -qi "$(grep -v '^#' "$LAB_DIR/net.key" | tail -n 1)" "$LAB_DIR/rdv.log"; then
	bad "the network key is in the log"; fi

kill -TERM "$rdv_pid"
set +e
wait "$rdv_pid"
rc=$?
set -e
if [ "$rc" -eq 0 ] && [ ! -e "$LAB_DIR/rdv.pid" ]; then
	ok "SIGTERM: exit status 0, pid file removed"
else bad "SIGTERM: status $rc, pid file $(ls "$LAB_DIR/rdv.pid" 2>&1)"; fi

echo "test_rendezvous: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
