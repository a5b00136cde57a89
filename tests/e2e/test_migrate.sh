#!/usr/bin/env bash
# test_migrate.sh BUILDDIR: a plain OpenVPN deployment (a TCP server on its
# public address, a client with inline certificates and the server's public
# address as its remote) migrated with natt-migrate, then run with real
# OpenVPN 2.6 and the plugin in the NAT lab (tests/e2e/lab.sh, plugin_lib.sh):
#
#   rdv 203.0.113.2 (natt-rendezvous)
#   ra eim 203.0.113.11 -- s1 10.1.0.2 (the migrated server "office")
#   rb eim 203.0.113.12 -- c1 10.2.0.2 (the migrated client)
#
# Checks: both configs pass `natt-migrate check`; both OpenVPNs reach
# "Initialization Sequence Completed"; a ping crosses the tunnel; rollback
# gives back the original bytes.  Needs root.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
build=$(cd "${1:?usage: test_migrate.sh BUILDDIR}" && pwd)
. "$here/lab.sh"
. "$here/plugin_lib.sh"
mig=$build/tools/natt-migrate
[ -x "$mig" ] || lab_die "$mig not built (make)"

pass=0 fail=0
ok() { echo "ok: $*"; pass=$((pass + 1)); }
bad() { echo "FAIL: $*"; fail=$((fail + 1)); }

lab_init
pl_init "$build"
lab_router ra eim 203.0.113.11 10.1.0
lab_router rb eim 203.0.113.12 10.2.0
lab_host s1 ra
lab_host c1 rb

# the deployment as it was before: TCP, the server's public address
cat >"$LAB_DIR/server.conf" <<EOC
# office VPN (before natt-migrate)
port 1194
proto tcp-server
dev tun
server 10.8.0.0 255.255.255.0
topology subnet
ca $LAB_DIR/pki/ca.crt
cert $LAB_DIR/pki/server.crt
key $LAB_DIR/pki/server.key
dh none
keepalive 2 20
tun-mtu 1500
verb 3
EOC
{
	printf 'client\ndev tun\nproto tcp-client\nremote 203.0.113.11 1194\n'
	printf 'remote-cert-tls server\nkeepalive 2 20\nverb 3\n'
	printf '<ca>\n'; cat "$LAB_DIR/pki/ca.crt"; printf '</ca>\n'
	printf '<cert>\n'; cat "$LAB_DIR/pki/client.crt"; printf '</cert>\n'
	printf '<key>\n'; cat "$LAB_DIR/pki/client.key"; printf '</key>\n'
} >"$LAB_DIR/client.ovpn"
cp "$LAB_DIR/server.conf" "$LAB_DIR/server.orig"
cp "$LAB_DIR/client.ovpn" "$LAB_DIR/client.orig"

if "$mig" server "$LAB_DIR/server.conf" --name office --rendezvous "$PL_RDV:3478" \
	--network-key "$LAB_DIR/net.key" --plugin "$PL_PLUGIN" >"$LAB_DIR/mig-server.out" 2>&1 &&
	"$mig" client "$LAB_DIR/client.ovpn" --name c1 --server-name office \
		--rendezvous "$PL_RDV:3478" --network-key "$LAB_DIR/net.key" \
		--plugin "$PL_PLUGIN" >"$LAB_DIR/mig-client.out" 2>&1; then
	ok "migrated: $(grep -c '^#natt-migrate#' "$LAB_DIR/server.conf") + $(grep -c '^#natt-migrate#' "$LAB_DIR/client.ovpn") marked lines"
else bad "migration failed: $(cat "$LAB_DIR"/mig-*.out)"; fi
for f in server.conf client.ovpn; do
	if "$mig" check "$LAB_DIR/$f" >"$LAB_DIR/check.out" 2>&1; then ok "check $f"
	else bad "check $f: $(cat "$LAB_DIR/check.out")"; fi
done

lab_bg s1 server "${PL_OPENVPN[@]}" --config "$LAB_DIR/server.conf" >/dev/null
if pl_wait "$LAB_DIR/server.log" 'Initialization Sequence Completed' 15; then ok "server up"
else bad "server did not start: $(tail -n 5 "$LAB_DIR/server.log")"; fi
pl_wait "$LAB_DIR/server.log" 'registered with rendezvous' 10 || true
lab_bg c1 c1 "${PL_OPENVPN[@]}" --config "$LAB_DIR/client.ovpn" >/dev/null
if pl_wait "$LAB_DIR/c1.log" 'Initialization Sequence Completed' 40; then
	ok "c1: Initialization Sequence Completed through the migrated pair"
else bad "c1: no tunnel: $(grep -i 'natt\|error' "$LAB_DIR/c1.log" | tail -n 5)"; fi
if grep -q 'link remote: \[AF_INET\]127\.0\.0\.1:11194' "$LAB_DIR/c1.log"; then
	ok "c1 went through the plugin (127.0.0.1:11194), not a fallback remote"
else bad "c1 did not use the NAT-traversal remote: $(grep 'link remote' "$LAB_DIR/c1.log")"; fi
if pl_ping c1 10.8.0.1; then ok "c1 -> server ping through the tunnel"
else bad "c1 -> server ping failed"; fi

for pid in "${LAB_PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
for f in server.conf:server client.ovpn:client; do
	cfg=${f%%:*} orig=${f##*:}.orig
	if "$mig" rollback "$LAB_DIR/$cfg.natt-backup" >/dev/null && cmp -s "$LAB_DIR/$cfg" "$LAB_DIR/$orig"
	then ok "rollback $cfg: original bytes back"
	else bad "rollback $cfg"; fi
done

echo "test_migrate: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
