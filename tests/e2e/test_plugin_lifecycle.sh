#!/usr/bin/env bash
# test_plugin_lifecycle.sh BUILDDIR: the OpenVPN server's lifecycle with the
# plugin, run as operators run it: --daemon --user nobody --group nogroup
# --log.  Same lab as test_plugin.sh, one client.
#
# Checks: the helper's lines land in OpenVPN's --log file; the tunnel comes
# up; SIGUSR1: the client is back within 10 s, no transport session lost;
# the client's NAT forgets every mapping in the middle of an iperf3
# transfer and the transfer completes without a new OpenVPN session;
# SIGHUP: the plugin re-opened by an OpenVPN that is now "nobody"
# re-attaches, and the client is back within 10 s (or, where OpenVPN itself
# cannot re-open /dev/net/tun as nobody, it exits and the client is told);
# SIGTERM closes the transport session (the client is told) and the helper
# exits with OpenVPN.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
build=${1:?usage: test_plugin_lifecycle.sh BUILDDIR}
. "$here/lab.sh"
. "$here/plugin_lib.sh"

pl_lab "$build"

slog=$LAB_DIR/server.log
# OpenVPN checks --writepid again on SIGHUP, as nobody by then: a directory
# (and file) nobody may write
mkdir "$LAB_DIR/run"
: >"$LAB_DIR/run/server.pid"
chown -R nobody:nogroup "$LAB_DIR/run"
pl_server s1 --daemon --user nobody --group nogroup --log "$slog" --writepid "$LAB_DIR/run/server.pid"
wait "$PL_SERVER_PID" || true # the foreground process exits once daemonized
pl_wait "$LAB_DIR/run/server.pid" '^[0-9]+$' 10 || lab_die "no pid file: $(tail -n 5 "$slog")"
spid=$(cat "$LAB_DIR/run/server.pid")
LAB_PIDS+=("$spid") # the lab's cleanup kills the daemon too
# The pid file can appear before the plugin's "ready" line is logged.
pl_wait "$slog" 'transport helper pid [0-9]+ ready' 10 || true
hpid=$(sed -n 's/.*transport helper pid \([0-9]*\) ready.*/\1/p' "$slog" | head -n 1)
wpid=$(sed -n 's/.*transport helper pid [0-9]* ready, worker pid \([0-9]*\),.*/\1/p' "$slog" | head -n 1)
if pl_wait "$slog" 'Initialization Sequence Completed' 15 && [ -n "$wpid" ] &&
	grep -q "openvpn-plugin-natt\[$wpid\]: node office: server on UDP" "$slog"; then
	ok "daemon as nobody; the helper ($hpid, worker $wpid) logs to OpenVPN's --log"
else bad "server: $(tail -n 5 "$slog")"; fi
if [ "$(stat -c %U "/proc/$spid")" = nobody ] && [ "$(stat -c %U "/proc/$hpid")" = root ] &&
	[ "$(stat -c %U "/proc/$wpid")" = nobody ]; then
	ok "OpenVPN and the transport worker run as nobody; the supervisor keeps root (to restart it)"
else bad "owners: openvpn $(stat -c %U "/proc/$spid"), supervisor $(stat -c %U "/proc/$hpid" 2>&1), worker $(stat -c %U "/proc/$wpid" 2>&1)"; fi

pl_client c1 c1
if pl_wait "$LAB_DIR/c1.log" 'Initialization Sequence Completed' 40 && pl_ping c1 10.8.0.1; then
	ok "c1: tunnel up, ping"
else bad "c1: no tunnel: $(grep natt "$LAB_DIR/c1.log" | tail -n 3)"; fi

# SIGUSR1 (persist-tun, persist-key): OpenVPN restarts as nobody, the plugin stays
downs=$(grep -c 'peer down' "$slog" || true)
t1=$(date +%s)
kill -USR1 "$spid"
if pl_ping c1 10.8.0.1 1 10; then
	ok "SIGUSR1: c1 back $(($(date +%s) - t1)) s after the signal (limit 10 s)"
else bad "SIGUSR1: c1 not back within 10 s"; fi
[ "$(grep -c 'peer down' "$slog" || true)" = "$downs" ] &&
	ok "SIGUSR1: no transport session lost" || bad "SIGUSR1: a transport session went down"

# the client's NAT forgets its mappings mid-transfer
sessions=$(grep -c 'Peer Connection Initiated' "$LAB_DIR/c1.log" || true)
lab_bg s1 iperf3s iperf3 -s -1 -B 10.8.0.1 >/dev/null
sleep 0.5
lab_bg c1 iperf3c iperf3 -c 10.8.0.1 -t 6 >/dev/null
ipid=${LAB_PIDS[-1]}
sleep 2
lab_flush rb
if wait "$ipid" && grep -q 'receiver' "$LAB_DIR/iperf3c.log"; then
	ok "NAT flushed mid-transfer: iperf3 completed: $(grep receiver "$LAB_DIR/iperf3c.log" | awk '{print $7, $8}')"
else bad "NAT flush: iperf3 failed: $(tail -n 3 "$LAB_DIR/iperf3c.log")"; fi
[ "$(grep -c 'Peer Connection Initiated' "$LAB_DIR/c1.log" || true)" = "$sessions" ] &&
	ok "NAT flush: the OpenVPN session survived (no new TLS session)" ||
	bad "NAT flush: OpenVPN had to start a new session"

# SIGHUP: OpenVPN (now nobody) closes and re-opens the plugin.  OpenVPN then
# re-opens its tun device as nobody, which works only where /dev/net/tun is
# open to it (mode 0666; OpenVPN's own limitation, whatever the plugin).
downs=$(grep -c 'peer down' "$slog" || true)
t1=$(date +%s)
kill -HUP "$spid"
if pl_wait "$slog" 're-attached to the transport helper' 15; then
	ok "SIGHUP as nobody: $(grep -m1 're-attached' "$slog" | cut -d' ' -f3-)"
else bad "SIGHUP: no re-attach: $(tail -n 5 "$slog")"; fi
sleep 1
if grep -q 'Cannot open TUN/TAP dev' "$slog"; then
	echo "note: OpenVPN as nobody cannot re-open /dev/net/tun ($(stat -c %a /dev/net/tun)) here: it exits"
	if pl_wait "$LAB_DIR/c1.log" 'peer down.*peer-closed' 10; then
		ok "OpenVPN exited after SIGHUP: c1 told: $(grep -m1 'peer down.*peer-closed' "$LAB_DIR/c1.log" | cut -d' ' -f3-)"
	else bad "OpenVPN exited after SIGHUP: c1 not told"; fi
	for ((i = 0; i < 50; i++)); do [ -d "/proc/$hpid" ] || break; sleep 0.1; done
	[ ! -d "/proc/$hpid" ] && ok "the helper exited with OpenVPN" || bad "the helper $hpid still runs"
	echo "test_plugin_lifecycle: $pass passed, $fail failed"
	[ "$fail" -eq 0 ]
	exit
fi
if pl_ping c1 10.8.0.1 1 10; then
	ok "SIGHUP: c1 back $(($(date +%s) - t1)) s after the signal (limit 10 s)"
else bad "SIGHUP: c1 not back within 10 s"; fi
[ "$(grep -c 'peer down' "$slog" || true)" = "$downs" ] &&
	ok "SIGHUP: no transport session lost" || bad "SIGHUP: a transport session went down"

# SIGTERM: peers told, the helper ends with OpenVPN
kill -TERM "$spid"
if pl_wait "$LAB_DIR/c1.log" 'peer down.*peer-closed' 10; then
	ok "SIGTERM: c1 told: $(grep -m1 'peer down.*peer-closed' "$LAB_DIR/c1.log" | cut -d' ' -f3-)"
else bad "SIGTERM: c1 not told"; fi
for ((i = 0; i < 50; i++)); do [ -d "/proc/$hpid" ] || break; sleep 0.1; done
if [ ! -d "/proc/$hpid" ]; then ok "SIGTERM: the helper exited"
else bad "SIGTERM: the helper $hpid still runs"; fi

echo "test_plugin_lifecycle: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
