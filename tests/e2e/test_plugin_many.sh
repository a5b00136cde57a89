#!/usr/bin/env bash
# test_plugin_many.sh BUILDDIR [N]: N (default 20) OpenVPN clients at once,
# behind two NATs, against one OpenVPN server behind a third, all through
# openvpn-plugin-natt.  Every client must reach "Initialization Sequence
# Completed" and ping the server through the tunnel; the server's status
# file must list each with its own loopback port.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
build=${1:?usage: test_plugin_many.sh BUILDDIR [N]}
n=${2:-20}
. "$here/lab.sh"
. "$here/plugin_lib.sh"

lab_init
pl_init "$build"
lab_router ra eim 203.0.113.11 10.1.0
lab_router rb eim 203.0.113.12 10.2.0
lab_router rc eim 203.0.113.13 10.3.0
lab_host s1 ra
pl_server s1
pl_wait "$LAB_DIR/server.log" 'registered with rendezvous' 15 || lab_die "server: $(tail -n 5 "$LAB_DIR/server.log")"

t0=$(date +%s)
for ((i = 1; i <= n; i++)); do
	lab_host "c$i" "$([ $((i % 2)) = 0 ] && echo rb || echo rc)"
	pl_client "c$i" "c$i"
done
up=0
for ((i = 1; i <= n; i++)); do
	if pl_wait "$LAB_DIR/c$i.log" 'Initialization Sequence Completed' 90; then
		up=$((up + 1))
	else echo "c$i: $(grep natt "$LAB_DIR/c$i.log" | tail -n 2)"; fi
done
[ "$up" = "$n" ] && ok "$n clients up in $(($(date +%s) - t0)) s" || bad "$up of $n clients up"

pinged=0
for ((i = 1; i <= n; i++)); do
	pl_ping "c$i" 10.8.0.1 1 5 && pinged=$((pinged + 1))
done
[ "$pinged" = "$n" ] && ok "$n clients ping the server through the tunnel" ||
	bad "$pinged of $n clients ping the server"

sleep 1.5 # the status file is rewritten every second
ports=$(grep -c '^PEER,c[0-9]*,127\.0\.0\.1:[0-9]*,203\.0\.113\.1[23]:[0-9]*,direct,up,' "$LAB_DIR/server.status" || true)
distinct=$(grep '^PEER,' "$LAB_DIR/server.status" | cut -d, -f3 | sort -u | wc -l)
if [ "$ports" = "$n" ] && [ "$distinct" = "$n" ]; then
	ok "status file: $n peers up, $distinct distinct loopback ports"
else bad "status file: $ports peers up, $distinct distinct ports"; fi

echo "test_plugin_many: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
