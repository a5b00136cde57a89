#!/usr/bin/env bash
# test_legacy.sh BUILDDIR: legacy-passthrough yes.  The server's OpenVPN
# (with the plugin, public-port 1195, legacy-passthrough yes) sits on the
# public segment, so a plain OpenVPN client with no plugin ("remote
# 203.0.113.20 1195", as through an old port forward) reaches the plugin's
# public port directly; a plugin client behind an eim NAT connects to the
# same server over the transport at the same time.  Both must get
# "Initialization Sequence Completed" and ping the server through the
# tunnel; the server's log must tie the legacy client's real address to its
# loopback port.  A second run without legacy-passthrough checks that the
# plain client then gets no tunnel (the pass-through is what makes it work).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
build=$(cd "${1:?usage: test_legacy.sh BUILDDIR}" && pwd)
. "$here/lab.sh"
. "$here/plugin_lib.sh"

lab_init
pl_init "$build"
SRV=203.0.113.20 LEG=203.0.113.30 PUBPORT=1195
# pl_server with a fixed public port and, when LEGACY=yes, the pass-through.
eval "$(declare -f pl_server | sed "s|^\(\s*\)verb 4\$|&\n\1public-port $PUBPORT\n\1legacy-passthrough \$LEGACY|; s/^pl_server /lg_server /")"
lab_public_host s1 "$SRV"
lab_public_host c0 "$LEG"
lab_router rb eim 203.0.113.12 10.2.0
lab_host c1 rb

# A plain OpenVPN 2.6 client: no plugin, straight to the server's public port.
legacy_client() {
	cat >"$LAB_DIR/legacy.conf" <<-EOC
	client
	dev tun
	proto udp
	remote $SRV $PUBPORT
	nobind
	remote-cert-tls server
	ca $LAB_DIR/pki/ca.crt
	cert $LAB_DIR/pki/client.crt
	key $LAB_DIR/pki/client.key
	tun-mtu 1400
	keepalive 2 20
	verb 3
	EOC
	lab_bg c0 legacy "${PL_OPENVPN[@]}" --config "$LAB_DIR/legacy.conf" >/dev/null
	LEGACY_PID=${LAB_PIDS[-1]}
}

LEGACY=yes lg_server s1
grep -q '^legacy-passthrough yes$' "$LAB_DIR/natt-server.conf" || bad "setting not in the config"
pl_wait "$LAB_DIR/server.log" 'registered with rendezvous' 15 || bad "server did not register"
grep -q 'legacy-passthrough: raw OpenVPN on the public port' "$LAB_DIR/server.log" &&
	ok "server accepts legacy-passthrough yes" ||
	bad "no pass-through at start: $(grep -i 'error\|legacy' "$LAB_DIR/server.log" | head -n 3)"
legacy_client
pl_client c1 c1
if pl_wait "$LAB_DIR/legacy.log" 'Initialization Sequence Completed' 40; then
	ok "plain OpenVPN client (no plugin) tunnel up through the public port"
else
	bad "plain client: no tunnel: $(tail -n 3 "$LAB_DIR/legacy.log")"
fi
if pl_wait "$LAB_DIR/c1.log" 'Initialization Sequence Completed' 40; then
	ok "plugin client tunnel up at the same time"
else
	bad "plugin client: no tunnel: $(tail -n 3 "$LAB_DIR/c1.log")"
fi
pl_ping c0 10.8.0.1 5 10 && ok "plain client pings the server through the tunnel" ||
	bad "plain client: ping failed"
pl_ping c1 10.8.0.1 5 10 && ok "plugin client pings the server through the tunnel" ||
	bad "plugin client: ping failed"
if grep -Eq "legacy client $LEG:[0-9]+: raw OpenVPN passed through: OpenVPN sees it as 127\.0\.0\.1:[0-9]+" \
	"$LAB_DIR/server.log"; then
	ok "server log ties the legacy address to its loopback port"
else
	bad "no legacy log line in server.log"
fi
n=$(grep -c 'legacy client .*passed through' "$LAB_DIR/server.log" || true)
[ "$n" = 1 ] && ok "one loopback socket for the legacy source" || bad "$n legacy sockets opened"
grep -q "peer c1 up" "$LAB_DIR/server.log" && ok "plugin client is a transport peer" ||
	bad "no transport peer c1 in server.log"

# 300 more sources (as spoofed ones would be) that OpenVPN never answers:
# beyond 256 they take each other's slots, never the answered client's.
lab_exec c0 python3 -c '
import socket, sys
for i in range(300):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.sendto(b"\x38" + bytes(40), (sys.argv[1], int(sys.argv[2])))
    s.close()
' "$SRV" "$PUBPORT"
sleep 1
n=$(grep -c 'never answered: its slot goes to a new source' "$LAB_DIR/server.log" || true)
[ "$n" -ge 40 ] && ok "unanswered sources beyond 256 recycle slots ($n)" ||
	bad "$n slots recycled for 300 unanswered sources"
pl_ping c0 10.8.0.1 3 10 && ok "plain client still pings after the flood" ||
	bad "plain client lost its tunnel in the flood"

# Without the pass-through the same plain client gets nowhere.
kill "$LEGACY_PID" "$PL_SERVER_PID" 2>/dev/null || true
wait "$LEGACY_PID" "$PL_SERVER_PID" 2>/dev/null || true
mv "$LAB_DIR/server.log" "$LAB_DIR/server-1.log"
mv "$LAB_DIR/legacy.log" "$LAB_DIR/legacy-1.log"
PUBPORT=1196 # the first helper may still hold 1195 while it closes its sessions
eval "$(declare -f lg_server | sed "s/public-port 1195/public-port $PUBPORT/")"
LEGACY=no lg_server s1
pl_wait "$LAB_DIR/server.log" 'registered with rendezvous' 15 || bad "server 2 did not register"
legacy_client
if pl_wait "$LAB_DIR/legacy.log" 'Initialization Sequence Completed' 8; then
	bad "plain client got a tunnel without legacy-passthrough"
else
	ok "without legacy-passthrough the plain client gets no tunnel"
fi

echo "test_legacy: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
