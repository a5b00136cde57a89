#!/usr/bin/env bash
# test_migrate.sh BUILDDIR: plain OpenVPN deployments migrated with
# natt-migrate, then run with real OpenVPN 2.6 and the plugin in the NAT lab
# (tests/e2e/lab.sh, plugin_lib.sh):
#
#   rdv 203.0.113.2 (natt-rendezvous)
#   ra eim 203.0.113.11 -- s1 10.1.0.2 the server; ra forwards UDP 1194 to it
#                                      (the deployment's old port forward)
#   rb eim 203.0.113.12 -- c1 10.2.0.2 a client migrated with natt-migrate
#   rc eim 203.0.113.13 -- c0 10.3.0.2 a client left as it was: plain
#                                      OpenVPN, UDP, no plugin
#
# 1. A TCP server (its public address as the client's remote): --keep-legacy
#    is refused (nothing written); migrated without it, server and client
#    pass `natt-migrate check`, the tunnel comes up through the plugin, a
#    ping crosses it, rollback gives back the original bytes.
# 2. A UDP server behind the port forward, its files named relative to its
#    directory, with c0 connected to it.  natt-migrate server --keep-legacy
#    --out writes it into another directory (as /etc/openvpn/server), under
#    a copy of Debian's openvpn-server@.service; OpenVPN is started there as
#    the unit would (WorkingDirectory, LimitNPROC, CapabilityBoundingSet of
#    the real unit file).  c0, untouched, reconnects through the port
#    forward and c1 comes in through the transport: both ping the server at
#    the same time, and no file is missing.  Then natt-migrate server
#    without --keep-legacy ends the pass-through: after a restart c1 still
#    pings, c0 gets no tunnel.  Rollback empties the new directory.
# Needs root.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
build=$(cd "${1:?usage: test_migrate.sh BUILDDIR}" && pwd)
. "$here/lab.sh"
. "$here/plugin_lib.sh"
mig=$build/tools/natt-migrate
[ -x "$mig" ] || lab_die "$mig not built (make)"
unit=/lib/systemd/system/openvpn-server@.service

lab_init
pl_init "$build"
lab_router ra eim 203.0.113.11 10.1.0
lab_router rb eim 203.0.113.12 10.2.0
lab_router rc eim 203.0.113.13 10.3.0
lab_host s1 ra
lab_host c1 rb
lab_host c0 rc
# the old port forward: UDP 1194 on ra's public address to the server
lab_exec ra nft add chain inet lab nat_pre '{ type nat hook prerouting priority -100; }'
lab_exec ra nft add rule inet lab nat_pre iifname wan udp dport 1194 dnat ip to 10.1.0.2:1194
lab_exec ra nft add rule inet lab forward_f ct status dnat accept

# client_conf FILE PROTO: a client of 203.0.113.11:1194 with inline certificates
client_conf() {
	{
		printf 'client\ndev tun\nproto %s\nremote 203.0.113.11 1194\nnobind\n' "$2"
		printf 'remote-cert-tls server\nkeepalive 2 20\nverb 3\n'
		printf '<ca>\n'; cat "$LAB_DIR/pki/ca.crt"; printf '</ca>\n'
		printf '<cert>\n'; cat "$LAB_DIR/pki/client.crt"; printf '</cert>\n'
		printf '<key>\n'; cat "$LAB_DIR/pki/client.key"; printf '</key>\n'
	} >"$1"
}

# up_count LOG: how many times that OpenVPN completed its start
up_count() {
	local n
	n=$(grep -c 'Initialization Sequence Completed' "$1" 2>/dev/null || true)
	echo "${n:-0}"
}

# wait_up LOG N SECONDS: until LOG shows the Nth completed start
wait_up() {
	local i
	for ((i = 0; i < $3 * 10; i++)); do
		[ "$(up_count "$1")" -ge "$2" ] && return 0
		sleep 0.1
	done
	return 1
}

stop() { kill "$1" 2>/dev/null || true; wait "$1" 2>/dev/null || true; }

# ---- 1. a TCP server ----
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
client_conf "$LAB_DIR/client.ovpn" tcp-client
cp "$LAB_DIR/server.conf" "$LAB_DIR/server.orig"
cp "$LAB_DIR/client.ovpn" "$LAB_DIR/client.orig"

if ! "$mig" server "$LAB_DIR/server.conf" --name office --rendezvous "$PL_RDV:3478" \
	--network-key "$LAB_DIR/net.key" --plugin "$PL_PLUGIN" --keep-legacy >"$LAB_DIR/mig.out" 2>&1 &&
	grep -q "server.conf:3: proto: .*over TCP" "$LAB_DIR/mig.out" &&
	cmp -s "$LAB_DIR/server.conf" "$LAB_DIR/server.orig" && [ ! -e "$LAB_DIR/natt-server.conf" ]; then
	ok "--keep-legacy refused for a TCP server, nothing written"
else bad "--keep-legacy on TCP: $(cat "$LAB_DIR/mig.out")"; fi
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
srv=${LAB_PIDS[-1]}
if pl_wait "$LAB_DIR/server.log" 'Initialization Sequence Completed' 15; then ok "server up"
else bad "server did not start: $(tail -n 5 "$LAB_DIR/server.log")"; fi
pl_wait "$LAB_DIR/server.log" 'registered with rendezvous' 10 || true
lab_bg c1 c1 "${PL_OPENVPN[@]}" --config "$LAB_DIR/client.ovpn" >/dev/null
cli=${LAB_PIDS[-1]}
if pl_wait "$LAB_DIR/c1.log" 'Initialization Sequence Completed' 40; then
	ok "c1: Initialization Sequence Completed through the migrated pair"
else bad "c1: no tunnel: $(grep -i 'natt\|error' "$LAB_DIR/c1.log" | tail -n 5)"; fi
if grep -q 'link remote: \[AF_INET\]127\.0\.0\.1:11194' "$LAB_DIR/c1.log"; then
	ok "c1 went through the plugin (127.0.0.1:11194), not a fallback remote"
else bad "c1 did not use the NAT-traversal remote: $(grep 'link remote' "$LAB_DIR/c1.log")"; fi
if pl_ping c1 10.8.0.1; then ok "c1 -> server ping through the tunnel"
else bad "c1 -> server ping failed"; fi

stop "$cli"
stop "$srv"
for f in server.conf:server client.ovpn:client; do
	cfg=${f%%:*} orig=${f##*:}.orig
	if "$mig" rollback "$LAB_DIR/$cfg.natt-backup" >/dev/null && cmp -s "$LAB_DIR/$cfg" "$LAB_DIR/$orig"
	then ok "rollback $cfg: original bytes back"
	else bad "rollback $cfg"; fi
done
mv "$LAB_DIR/server.log" "$LAB_DIR/server-tcp.log"
mv "$LAB_DIR/c1.log" "$LAB_DIR/c1-tcp.log"

# ---- 2. a UDP server behind its port forward, moved with --keep-legacy ----
old=$LAB_DIR/old etc=$LAB_DIR/etc-server units=$LAB_DIR/units
mkdir -p "$old" "$etc" "$units"
cp "$LAB_DIR/pki/ca.crt" "$LAB_DIR/pki/server.crt" "$LAB_DIR/pki/server.key" "$old/"
cat >"$old/office.conf" <<'EOC'
# office VPN (before natt-migrate): clients reach UDP 1194 through the
# router's port forward; every file is named relative to this directory
port 1194
proto udp
dev tun
server 10.8.0.0 255.255.255.0
topology subnet
ca ca.crt
cert server.crt
key server.key
dh none
ifconfig-pool-persist ipp.txt
status openvpn-status.log
keepalive 2 20
explicit-exit-notify 1
# c0 and c1 share the test PKI's one client certificate
duplicate-cn
verb 3
EOC
cp "$old/office.conf" "$LAB_DIR/office.orig"
client_conf "$LAB_DIR/c0.conf" udp
client_conf "$LAB_DIR/c1.ovpn" udp

lab_bg s1 server-old env -C "$old" "${PL_OPENVPN[@]}" --config office.conf >/dev/null
srv=${LAB_PIDS[-1]}
pl_wait "$LAB_DIR/server-old.log" 'Initialization Sequence Completed' 15 || bad "old server did not start"
lab_bg c0 c0 "${PL_OPENVPN[@]}" --config "$LAB_DIR/c0.conf" >/dev/null
if wait_up "$LAB_DIR/c0.log" 1 20 && pl_ping c0 10.8.0.1; then
	ok "before: c0 reaches the old server through the port forward"
else bad "before: c0 has no tunnel: $(tail -n 3 "$LAB_DIR/c0.log")"; fi

# Debian's unit, its directory moved into the lab (PrivateTmp off: the lab is in /tmp)
if [ -f "$unit" ]; then
	sed -e "s|^WorkingDirectory=.*|WorkingDirectory=$etc|" -e 's|^PrivateTmp=.*|PrivateTmp=false|' \
		"$unit" >"$units/openvpn-server@.service"
	export SYSTEMD_UNIT_PATH=$units
fi
if "$mig" server "$old/office.conf" --name office --rendezvous "$PL_RDV:3478" \
	--network-key "$LAB_DIR/net.key" --plugin "$PL_PLUGIN" --keep-legacy --out "$etc" \
	>"$LAB_DIR/mig-legacy.out" 2>&1 &&
	"$mig" client "$LAB_DIR/c1.ovpn" --name c1 --server-name office --rendezvous "$PL_RDV:3478" \
		--network-key "$LAB_DIR/net.key" --plugin "$PL_PLUGIN" >"$LAB_DIR/mig-c1.out" 2>&1 &&
	cmp -s "$old/office.conf" "$LAB_DIR/office.orig"; then
	ok "server migrated with --keep-legacy --out $etc, the original untouched; c1 migrated"
else bad "migration: $(cat "$LAB_DIR/mig-legacy.out" "$LAB_DIR/mig-c1.out")"; fi
grep -qx 'public-port 1194' "$etc/natt-office.conf" && grep -qx 'legacy-passthrough yes' "$etc/natt-office.conf" &&
	grep -qx "ca $old/ca.crt" "$etc/office.conf" && ok "plugin on the old port; relative names made absolute" ||
	bad "the migrated pair: $(cat "$etc/natt-office.conf")"
if [ -f "$unit" ]; then
	grep -q "systemd: openvpn-server@office.service runs $etc/office.conf" "$LAB_DIR/mig-legacy.out" &&
		grep -q 'LimitNPROC=10: does not stop them' "$LAB_DIR/mig-legacy.out" &&
		ok "natt-migrate reports the unit (openvpn-server@office.service)" ||
		bad "no unit report: $(grep systemd "$LAB_DIR/mig-legacy.out")"
fi
if "$mig" check "$etc/office.conf" >"$LAB_DIR/check.out" 2>&1; then ok "check office.conf (with the unit)"
else bad "check office.conf: $(cat "$LAB_DIR/check.out")"; fi

# as the unit starts it: in its WorkingDirectory, with its LimitNPROC and bounding set
run_as_unit=(env -C "$etc")
nproc=
if [ -f "$unit" ]; then
	nproc=$(sed -n 's/^LimitNPROC=//p' "$unit")
	caps=$(sed -n 's/^CapabilityBoundingSet=//p' "$unit" | tr ' ' '\n' | sed 's/^CAP_/+/' |
		tr 'A-Z' 'a-z' | paste -sd, -)
	run_as_unit+=(prlimit --nproc="$nproc" setpriv --bounding-set=-all,"$caps")
fi
stop "$srv" # c0 is told (explicit-exit-notify) and keeps trying
lab_bg s1 server "${run_as_unit[@]}" "${PL_OPENVPN[@]}" --suppress-timestamps \
	--config office.conf >/dev/null
srv=${LAB_PIDS[-1]}
if pl_wait "$LAB_DIR/server.log" 'Initialization Sequence Completed' 15; then
	ok "migrated server up in $etc as the unit runs it (LimitNPROC=${nproc:-unset}, its bounding set)"
else bad "migrated server did not start: $(tail -n 5 "$LAB_DIR/server.log")"; fi
pl_wait "$LAB_DIR/server.log" 'registered with rendezvous' 10 || true
lab_bg c1 c1 "${PL_OPENVPN[@]}" --config "$LAB_DIR/c1.ovpn" >/dev/null
if wait_up "$LAB_DIR/c0.log" 2 40; then ok "c0 (unmigrated) reconnected through the port forward"
else bad "c0 did not reconnect: $(tail -n 3 "$LAB_DIR/c0.log")"; fi
if wait_up "$LAB_DIR/c1.log" 1 40; then ok "c1 (migrated) tunnel up through the transport"
else bad "c1: no tunnel: $(grep -i 'natt\|error' "$LAB_DIR/c1.log" | tail -n 3)"; fi
pl_ping c0 10.8.0.1 5 10 && ok "c0 pings the server (plain OpenVPN, passed through)" || bad "c0: ping failed"
pl_ping c1 10.8.0.1 5 10 && ok "c1 pings the server at the same time (transport)" || bad "c1: ping failed"
grep -Eq 'legacy client 203\.0\.113\.13:[0-9]+: raw OpenVPN passed through' "$LAB_DIR/server.log" &&
	grep -q 'peer c1 up' "$LAB_DIR/server.log" && ok "server log: c0 passed through, c1 a transport peer" ||
	bad "server log: $(grep -i 'legacy\|peer' "$LAB_DIR/server.log" | head -n 4)"
if grep -qi 'No such file\|cannot open\|fails with' "$LAB_DIR/server.log"; then
	bad "a file OpenVPN or the plugin could not open: $(grep -i 'No such file\|cannot open\|fails with' "$LAB_DIR/server.log")"
else ok "every file opened from $etc (no missing file)"; fi

# the clients moved: end the pass-through, restart, c1 stays, c0 is out
"$mig" server "$etc/office.conf" --name office --rendezvous "$PL_RDV:3478" \
	--network-key "$LAB_DIR/net.key" --plugin "$PL_PLUGIN" >"$LAB_DIR/mig-end.out" 2>&1 &&
	grep -q 'legacy pass-through ended' "$LAB_DIR/mig-end.out" && "$mig" check "$etc/office.conf" >/dev/null &&
	ok "natt-migrate server without --keep-legacy ended the pass-through" ||
	bad "ending the pass-through: $(cat "$LAB_DIR/mig-end.out")"
c0_ups=$(up_count "$LAB_DIR/c0.log")
stop "$srv"
mv "$LAB_DIR/server.log" "$LAB_DIR/server-legacy.log"
lab_bg s1 server "${run_as_unit[@]}" "${PL_OPENVPN[@]}" --suppress-timestamps \
	--config office.conf >/dev/null
pl_wait "$LAB_DIR/server.log" 'Initialization Sequence Completed' 15 || bad "server did not restart"
if wait_up "$LAB_DIR/c1.log" 2 40 && pl_ping c1 10.8.0.1 3 10; then ok "c1 pings after the restart"
else bad "c1 lost its tunnel after the pass-through ended"; fi
if wait_up "$LAB_DIR/c0.log" $((c0_ups + 1)) 8; then bad "c0 still got a tunnel without the pass-through"
else ok "without the pass-through c0 gets no tunnel"; fi

for pid in "${LAB_PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
for pid in "${LAB_PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
rm -f "$old/ipp.txt" "$old/openvpn-status.log" # written by OpenVPN (through the absolute names)
if "$mig" rollback "$etc/office.conf.natt-backup" >/dev/null && [ -z "$(ls -A "$etc")" ] &&
	"$mig" rollback "$LAB_DIR/c1.ovpn.natt-backup" >/dev/null; then
	ok "rollback: $etc empty again, c1's config restored"
else bad "rollback: $(ls -A "$etc")"; fi

echo "test_migrate: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
