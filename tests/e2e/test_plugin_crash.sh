#!/usr/bin/env bash
# test_plugin_crash.sh BUILDDIR: the plugin's helper restarts a crashed
# transport worker, and the worker does not keep root.  Same lab as
# test_plugin_lifecycle.sh, one client:
#
#   rdv 203.0.113.2 (natt-rendezvous)
#   ra eim 203.0.113.11 -- s1 (OpenVPN server "office"; its config has
#                               user nobody / group nogroup)
#   rb eim 203.0.113.12 -- c1 (OpenVPN client; no user: its worker keeps root)
#
# The helper is a supervisor (the pid in "transport helper pid N ready")
# whose only child is the worker.  Checks:
#   - the server's worker runs as nobody:nogroup with no capabilities and
#     no way back, the supervisor as root with no socket but its two Unix
#     control channels; the client's worker keeps root and says so once;
#     the status file (in a directory nobody may not write) keeps being
#     rewritten after the drop;
#   - kill -SEGV the server's worker: a new worker (as nobody again), the
#     client's tunnel back within PING_BOUND_SERVER s; the same for the
#     client's worker within PING_BOUND_CLIENT s (times measured, printed);
#   - kill -9 the client's worker 3 times in a row: the log shows the
#     restart delays 1, 2, 4, 8 s; the tunnel works afterwards;
#   - never a zombie, never more than one worker; SIGTERM to each OpenVPN:
#     its supervisor and worker are gone within STOP_BOUND s.
# The transports use "keepalive 2 6" (default 15 60).  After the server's
# worker restarts, the new worker drops the client's DATA unanswered (it
# cannot authenticate it); after 1 s of that silence the client's path check
# sends a PROBE with the old connection ID, which the new worker can open and
# answers with an UNKNOWN_CID (PROTOCOL.md 5.4), and the client reconnects at
# once, so the bound is below that timeout: a client that had to wait for it
# would fail the check.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
build=${1:?usage: test_plugin_crash.sh BUILDDIR}
. "$here/lab.sh"
. "$here/plugin_lib.sh"

PING_BOUND_SERVER=4  # s: 1 s restart delay, path check PROBE, UNKNOWN_CID, lookup, punch, handshake
# (measured 1.3-1.6 s in four runs with UNKNOWN_CID answering only sealed
# PROBE/HANDSHAKE; 1.5-1.6 s when it answered DATA too; 5.8-6.9 s when the
# 6 s keepalive timeout decided)
PING_BOUND_CLIENT=15 # s: 1 s restart delay, lookup, punch, handshake
STOP_BOUND=8         # s: OpenVPN's exit notification (2 s), the worker's close (<= 2 s)

pl_lab "$build"

# The server's OpenVPN config names user/group (the plugin reads that
# file: its worker drops to them), the server has a fixed public port (a
# restarted worker takes it again), and the transports a short keepalive.
PL_NATT_EXTRA="keepalive 2 6"
PL_SERVER_EXTRA=$'user nobody\ngroup nogroup'
crash_server() {
	PL_NATT_EXTRA=$'keepalive 2 6\npublic-port 1195' pl_server s1
}

crash_client() {
	pl_client c1 c1
	PL_CLIENT_PID=${LAB_PIDS[-1]}
}

now() { date +%s.%N; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }'; }
supervisor_of() { sed -n 's/.*transport helper pid \([0-9]*\) ready.*/\1/p' "$1" | head -n 1; }
# children SUP: the supervisor's children (zombies included), one line
children() { cat "/proc/$1/task/$1/children" 2>/dev/null | xargs || true; }
# worker SUP: its only child; empty when it has none or more than one
worker() {
	local c
	c=$(children "$1")
	[ -n "$c" ] && [ "$(wc -w <<<"$c")" = 1 ] && echo "$c" || true
}
# new_worker SUP OLD SECONDS: waits for a single child other than OLD
new_worker() {
	local i w
	for ((i = 0; i < $3 * 20; i++)); do
		w=$(worker "$1")
		[ -n "$w" ] && [ "$w" != "$2" ] && { echo "$w"; return 0; }
		sleep 0.05
	done
	return 1
}
ids() { awk '/^(Uid|Gid|Groups|CapEff|NoNewPrivs):/ { $1 = $1; printf "%s; ", $0 }' "/proc/$1/status"; }
zombies() { ps -eo ppid=,stat= | awk -v p="$1" '$1 == p && $2 ~ /^Z/' | wc -l; }
# ping_back NS BOUND: first ping through the tunnel within BOUND s; prints the time taken
ping_back() {
	local t0
	t0=$(now)
	pl_ping "$1" 10.8.0.1 1 "$2" >/dev/null && since "$t0"
}

nobody_uid=$(id -u nobody)
nogroup_gid=$(getent group nogroup | cut -d: -f3)

crash_server
slog=$LAB_DIR/server.log
clog=$LAB_DIR/c1.log
pl_wait "$slog" 'Initialization Sequence Completed' 15 || lab_die "server: $(tail -n 5 "$slog")"
ssup=$(supervisor_of "$slog")
[ -n "$ssup" ] || lab_die "no helper pid in the server's log"
sw=$(worker "$ssup")
[ -n "$sw" ] || lab_die "the server's supervisor $ssup has no worker"
grep -q "transport helper pid $ssup ready, worker pid $sw, public port 1195" "$slog" &&
	ok "server: $(grep -m1 'transport helper pid' "$slog" | cut -d' ' -f3-)" ||
	bad "the ready line does not name supervisor $ssup and worker $sw"
pl_wait "$slog" 'registered with rendezvous' 10 || true

crash_client
pl_wait "$clog" 'Initialization Sequence Completed' 40 && pl_ping c1 10.8.0.1 &&
	ok "c1: tunnel up, ping" || bad "c1: no tunnel: $(grep natt "$clog" | tail -n 3)"
csup=$(supervisor_of "$clog")
cw=$(worker "$csup")

# ---- who runs as whom ----
want="Uid: $nobody_uid $nobody_uid $nobody_uid $nobody_uid; Gid: $nogroup_gid $nogroup_gid $nogroup_gid $nogroup_gid; Groups: $nogroup_gid; CapEff: 0000000000000000; NoNewPrivs: 1; "
[ "$(ids "$sw")" = "$want" ] && ok "server worker $sw: $(ids "$sw")" ||
	bad "server worker $sw: $(ids "$sw") (want $want)"
[ "$(ps -o user=,group= -p "$sw" | xargs)" = "nobody nogroup" ] &&
	ok "ps: server worker runs as nobody nogroup" || bad "ps: $(ps -o user=,group= -p "$sw")"
grep -q "openvpn-plugin-natt\[$sw\]: transport worker runs as nobody:nogroup (uid $nobody_uid, gid $nogroup_gid)" "$slog" &&
	ok "the worker logs its drop" || bad "no drop line from worker $sw"
[ "$(ps -o comm= -p "$ssup,$sw" | xargs)" = "natt-helper natt-worker" ] &&
	ok "process names: natt-helper (supervisor), natt-worker" ||
	bad "process names: $(ps -o comm= -p "$ssup,$sw" | xargs)"
[ "$(awk '/^Uid:/ { print $2 $3 $4 $5 }' "/proc/$ssup/status")" = 0000 ] &&
	ok "the server's supervisor $ssup keeps root" || bad "supervisor: $(ids "$ssup")"
[ "$(awk '/^Uid:/ { print $2 }' "/proc/$cw/status")" = 0 ] &&
	[ "$(grep -c "the transport worker keeps root: neither 'user' nor 'group' is set" "$clog")" = 1 ] &&
	ok "c1 (no user/group anywhere): the worker keeps root, said once" ||
	bad "c1's worker: $(ids "$cw"); $(grep -c 'keeps root' "$clog") 'keeps root' lines"

# The supervisor's sockets are its two control channels, both Unix sockets
# (checked against the table of its own network namespace), nothing else.
socks=$(find "/proc/$ssup/fd" -lname 'socket:*' -printf '%l\n' | sed 's/socket:\[\(.*\)\]/\1/' | sort)
unix=0
for ino in $socks; do
	awk -v i="$ino" '$7 == i { f = 1 } END { exit !f }' "/proc/$ssup/net/unix" && unix=$((unix + 1))
done
[ "$(wc -w <<<"$socks")" = 2 ] && [ "$unix" = 2 ] &&
	ok "the supervisor holds 2 sockets, both Unix (the control channels): no network socket" ||
	bad "supervisor's sockets: $(ls -l "/proc/$ssup/fd" | grep socket) ($unix unix)"
lab_exec s1 ss -Hulnp 'sport = :1195' | grep -q "pid=$sw," &&
	ok "the worker $sw owns the public socket (port 1195)" ||
	bad "public socket: $(lab_exec s1 ss -Hulnp 'sport = :1195')"

# The status file's directory is root's: nobody could not create a temporary
# file there, yet the file keeps being rewritten (through the descriptor the
# worker opened before the drop).
setpriv --reuid nobody --regid nogroup --clear-groups sh -c 'test -r "$1" && ! test -w "$1"' _ "$LAB_DIR" &&
	ok "$LAB_DIR is readable, not writable, by nobody" ||
	bad "$LAB_DIR is writable by nobody: the check below would prove nothing"
before=$(sed -n 's/^TIME,[^,]*,//p' "$LAB_DIR/server.status")
sleep 2.5
after=$(sed -n 's/^TIME,[^,]*,//p' "$LAB_DIR/server.status")
[ -n "$before" ] && [ "$after" -gt "$before" ] && grep -q '^PEER,c1,.*,up,' "$LAB_DIR/server.status" &&
	tail -n 1 "$LAB_DIR/server.status" | grep -qx END &&
	ok "status file rewritten after the drop ($before -> $after): $(grep '^PEER,c1' "$LAB_DIR/server.status")" ||
	bad "status file not rewritten ($before -> $after)"
grep -q 'status .*Permission denied' "$slog" && bad "status write errors in the log" || true

# ---- SIGSEGV in the server's worker ----
t0=$(now)
kill -SEGV "$sw"
if nsw=$(new_worker "$ssup" "$sw" 5); then
	ok "server: worker $sw killed by SIGSEGV, new worker $nsw after $(since "$t0") s"
else bad "server: no new worker within 5 s: $(grep 'transport worker' "$slog" | tail -n 3)"; fi
grep -q "transport worker pid $sw killed by signal 11 (Segmentation fault), restarting in 1 s" "$slog" &&
	ok "log: $(grep -m1 "pid $sw killed" "$slog" | cut -d' ' -f3-)" || bad "no restart line for $sw"
if ping_back c1 "$PING_BOUND_SERVER" >/dev/null; then
	ok "server worker crash: c1's tunnel back $(since "$t0") s after the SIGSEGV (bound $PING_BOUND_SERVER s)"
else bad "server worker crash: c1's tunnel not back within $PING_BOUND_SERVER s"; fi
grep -q "down (peer-closed): peer has no such session (it restarted?); next attempt in 0.0 s" "$clog" &&
	ok "c1 was told by the new worker: $(grep -m1 'no such session' "$clog" | cut -d' ' -f3-)" ||
	bad "c1's log has no UNKNOWN_CID line: $(grep natt "$clog" | grep -i down | tail -n 2)"
pl_wait "$slog" "openvpn-plugin-natt\[$nsw\]: transport worker runs as nobody:nogroup" 5 &&
	[ "$(ps -o user= -p "$nsw" | xargs)" = nobody ] &&
	ok "the new server worker $nsw dropped root again" || bad "new worker $nsw: $(ids "$nsw")"
# The new worker gathers its addresses while OpenVPN's tun device is up:
# a tunnel address must never become a candidate (a path inside itself).
reg=$(grep "openvpn-plugin-natt\[$nsw\]: .*registering office with" "$slog" | head -n 1)
[ -n "$reg" ] && ! grep -q ' 10\.8\.0\.' <<<"$reg" &&
	ok "the new worker registers no tun address: ${reg#*registering }" ||
	bad "new worker's registration: ${reg:-none logged}"
kill -0 "$PL_SERVER_PID" && [ "$(zombies "$ssup")" = 0 ] && [ "$(worker "$ssup")" = "$nsw" ] &&
	ok "OpenVPN server still running; one worker, no zombie" ||
	bad "after the restart: children of $ssup: $(children "$ssup")"

# ---- SIGSEGV in the client's worker ----
t0=$(now)
kill -SEGV "$cw"
if ncw=$(new_worker "$csup" "$cw" 5); then
	ok "c1: worker $cw killed by SIGSEGV, new worker $ncw after $(since "$t0") s"
else bad "c1: no new worker within 5 s"; fi
if ping_back c1 "$PING_BOUND_CLIENT" >/dev/null; then
	ok "client worker crash: c1's tunnel back $(since "$t0") s after the SIGSEGV (bound $PING_BOUND_CLIENT s)"
else bad "client worker crash: c1's tunnel not back within $PING_BOUND_CLIENT s"; fi

# ---- kill -9 three times in a row: the delay doubles ----
w=$ncw
for i in 1 2 3; do
	pl_wait "$clog" "transport worker pid $w ready" 20 || bad "worker $w never ready"
	kill -9 "$w"
	w=$(new_worker "$csup" "$w" 20) || { bad "kill -9 #$i: no new worker"; break; }
	[ "$(zombies "$csup")" = 0 ] || bad "zombie under $csup"
done
delays=$(sed -n 's/.*transport worker pid [0-9]* killed by .*, restarting in \([0-9]*\) s$/\1/p' "$clog" | xargs)
[ "$delays" = "1 2 4 8" ] && ok "restart delays in c1's log: $delays s" ||
	bad "restart delays: '$delays' (want '1 2 4 8')"
grep -q "pid $ncw killed by signal 9 (Killed), restarting in 2 s" "$clog" &&
	ok "log: $(grep -m1 "pid $ncw killed" "$clog" | cut -d' ' -f3-)" || bad "no SIGKILL line"
t0=$(now)
if pl_wait "$clog" "transport worker pid $w ready" 20 && ping_back c1 "$PING_BOUND_CLIENT" >/dev/null; then
	ok "after three kills: tunnel back $(since "$t0") s after the last restart"
else bad "after three kills: no tunnel"; fi

# ---- SIGTERM: supervisor and worker end with OpenVPN ----
# OpenVPN itself takes a while (the server's explicit-exit-notify); from its
# exit, the worker's orderly close takes at most 2 s, SIGKILL comes at 3 s.
# A process counts as ended once it is a zombie: the orphaned supervisor is
# reaped by whatever PID 1 is, in its own time.
running() {
	local st
	read -r st 2>/dev/null <"/proc/$1/stat" || return 1
	st=${st##*) }
	[ "${st%% *}" != Z ]
}
for side in server client; do
	if [ $side = server ]; then opid=$PL_SERVER_PID sup=$ssup; else opid=$PL_CLIENT_PID sup=$csup; fi
	w=$(worker "$sup")
	t0=$EPOCHREALTIME # builtins only in this loop: its times are the processes'
	kill -TERM "$opid"
	tov= tall=
	for ((i = 0; i < STOP_BOUND * 20; i++)); do
		[ -n "$tov" ] || running "$opid" || tov=$EPOCHREALTIME
		running "$sup" || running "$w" || break
		sleep 0.05
	done
	tall=$(awk -v a="$t0" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.1f", b - a }')
	[ -z "$tov" ] || tov=$(awk -v a="$t0" -v b="$tov" 'BEGIN { printf "%.1f", b - a }')
	if ! running "$sup" && ! running "$w" && [ -n "$tov" ] &&
		awk -v a="$tov" -v b="$tall" 'BEGIN { exit !(b - a <= 3.5) }'; then
		ok "SIGTERM to the $side's OpenVPN: it exited after $tov s, supervisor $sup and worker $w gone after $tall s (bound $STOP_BOUND s, 3.5 s after OpenVPN)"
	else bad "SIGTERM to the $side's OpenVPN (gone after ${tov:-?} s): after $tall s left $(ps -o pid=,stat=,args= -p "$sup,$w")"; fi
done
grep -q 'helper exiting' "$slog" && ok "server: $(grep -m1 'helper exiting' "$slog" | cut -d' ' -f3-)" ||
	bad "server: no 'helper exiting' line"

echo "test_plugin_crash: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
