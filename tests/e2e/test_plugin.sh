#!/usr/bin/env bash
# test_plugin.sh BUILDDIR: real OpenVPN 2.6 over openvpn-plugin-natt in the
# NAT lab, with no port forwarding anywhere.
#
#   rdv 203.0.113.2 (natt-rendezvous)
#   ra eim 203.0.113.11 -- s1 10.1.0.2 (OpenVPN server "office")
#   rb eim 203.0.113.12 -- c1 10.2.0.2, c2 10.2.0.3 (OpenVPN clients)
#
# Checks: every client reaches "Initialization Sequence Completed"; pings
# through the tunnel both ways; an iperf3 transfer completes; the status
# file ties each loopback port to a real address; then the server's
# lifecycle: SIGUSR1 (transport sessions kept), SIGHUP (the plugin re-opens
# and re-attaches, clients back within 10 s), SIGTERM (peers told).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
build=${1:?usage: test_plugin.sh BUILDDIR}
. "$here/lab.sh"
. "$here/plugin_lib.sh"

pl_lab "$build"
lab_host c2 rb
clients=(c1 c2)

t0=$(date +%s.%N)
pl_server s1
if pl_wait "$LAB_DIR/server.log" 'Initialization Sequence Completed' 15; then
	ok "server up: $(grep -m1 'transport helper pid' "$LAB_DIR/server.log" | cut -d' ' -f3-)"
else
	bad "server did not start: $(tail -n 5 "$LAB_DIR/server.log")"
fi
# tun-mtu 1400 fits a 1500-byte IPv4 path but not an IPv6 one: IPv4 only, said once
grep -q "IPv6 paths off: tun-mtu 1400 does not fit an IPv6 path of path-mtu 1500 .*'tun-mtu 1394'" \
	"$LAB_DIR/server.log" && ok "server: IPv6 paths off at tun-mtu 1400, with the values to set" ||
	bad "no 'IPv6 paths off' line for tun-mtu 1400"
pl_wait "$LAB_DIR/server.log" 'registered with rendezvous' 10 || true
for c in "${clients[@]}"; do pl_client "$c" "$c"; done
for c in "${clients[@]}"; do
	if pl_wait "$LAB_DIR/$c.log" 'Initialization Sequence Completed' 40; then
		ok "$c: Initialization Sequence Completed after $(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }') s"
	else
		bad "$c: no tunnel: $(grep -i 'natt\|error' "$LAB_DIR/$c.log" | tail -n 5)"
	fi
done

# pings both ways
for c in "${clients[@]}"; do
	ip=$(lab_exec "$c" ip -4 -o addr show dev tun0 2>/dev/null | awk '{print $4}' | cut -d/ -f1)
	if [ -n "$ip" ] && pl_ping "$c" 10.8.0.1; then
		ok "$c -> server ping through the tunnel"
	else bad "$c -> server ping failed"; fi
	if [ -n "$ip" ] && pl_ping s1 "$ip"; then
		ok "server -> $c ($ip) ping through the tunnel"
	else bad "server -> $c ping failed"; fi
done

# iperf3 through the tunnel
lab_bg s1 iperf3s iperf3 -s -1 -B 10.8.0.1 >/dev/null
sleep 0.5
if lab_exec c1 iperf3 -c 10.8.0.1 -t 3 -J >"$LAB_DIR/iperf.json" 2>&1; then
	bps=$(python3 -c 'import json,sys; print(int(json.load(open(sys.argv[1]))["end"]["sum_received"]["bits_per_second"]))' "$LAB_DIR/iperf.json")
	ok "iperf3 c1 -> server: $((bps / 1000000)) Mbit/s"
else bad "iperf3 failed: $(tail -n 3 "$LAB_DIR/iperf.json")"; fi

# the status file and the log tie loopback ports to real addresses
if grep -q '^PEER,c1,127\.0\.0\.1:[0-9]*,203\.0\.113\.12:[0-9]*,direct,up,' "$LAB_DIR/server.status"; then
	ok "status: $(grep '^PEER,c1' "$LAB_DIR/server.status")"
else bad "status file: $(cat "$LAB_DIR/server.status" 2>&1 | head -n 8)"; fi
if grep -q 'peer c1 up: OpenVPN sees it as 127.0.0.1:[0-9]*, real address 203.0.113.12:' "$LAB_DIR/server.log"; then
	ok "log: $(grep -m1 'peer c1 up' "$LAB_DIR/server.log" | cut -d' ' -f3-)"
else bad "no peer-up line tying c1's loopback port to its address"; fi

# server_restarted N SECONDS: OpenVPN has completed its start more than N times.
inits() { grep -c 'Initialization Sequence Completed' "$LAB_DIR/server.log" || true; }
server_restarted() {
	local i
	for ((i = 0; i < $2 * 10; i++)); do
		[ "$(inits)" -gt "$1" ] && return 0
		sleep 0.1
	done
	return 1
}

# SIGUSR1: OpenVPN restarts softly, the plugin is not closed, no transport session lost
downs=$(grep -c 'peer down' "$LAB_DIR/server.log" || true)
n=$(inits)
t1=$(date +%s)
kill -USR1 "$PL_SERVER_PID"
if server_restarted "$n" 15 && pl_ping c1 10.8.0.1 1 20; then
	ok "SIGUSR1: c1 back through the tunnel $(($(date +%s) - t1)) s after the signal"
else bad "SIGUSR1: no tunnel afterwards"; fi
[ "$(grep -c 'peer down' "$LAB_DIR/server.log" || true)" = "$downs" ] &&
	ok "SIGUSR1: no transport session lost" || bad "SIGUSR1: a transport session went down"

# SIGHUP: the plugin is closed and re-opened; the helper re-attaches
n=$(inits)
t1=$(date +%s)
kill -HUP "$PL_SERVER_PID"
if server_restarted "$n" 15 && grep -q 're-attached to the transport helper' "$LAB_DIR/server.log"; then
	ok "SIGHUP: $(grep -m1 're-attached' "$LAB_DIR/server.log" | cut -d' ' -f3-)"
else bad "SIGHUP: no re-attach: $(tail -n 5 "$LAB_DIR/server.log")"; fi
if pl_ping c1 10.8.0.1 1 20 && pl_ping c2 10.8.0.1 1 10; then
	ok "SIGHUP: c1 and c2 back through the tunnel $(($(date +%s) - t1)) s after the signal"
else bad "SIGHUP: clients not back within 20 s"; fi
[ "$(grep -c 'peer down' "$LAB_DIR/server.log" || true)" = "$downs" ] &&
	ok "SIGHUP: no transport session lost" || bad "SIGHUP: a transport session went down"

# SIGTERM: clean close, peers told
kill -TERM "$PL_SERVER_PID"
if pl_wait "$LAB_DIR/c1.log" 'peer down.*(peer-closed|closed)' 10; then
	ok "SIGTERM: c1 told: $(grep -m1 -E 'peer down.*(peer-closed|closed)' "$LAB_DIR/c1.log" | cut -d' ' -f3-)"
else bad "SIGTERM: c1 was not told: $(grep natt "$LAB_DIR/c1.log" | tail -n 3)"; fi
if pl_wait "$LAB_DIR/server.log" 'helper exiting' 5; then ok "SIGTERM: the helper exited"
else bad "SIGTERM: the helper did not exit"; fi

echo "test_plugin: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
