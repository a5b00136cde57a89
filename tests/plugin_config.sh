#!/bin/sh
# plugin_config.sh: a wrong or incomplete plugin configuration stops the real
# OpenVPN at start, with one line that names the setting and where it is.
# Runs openvpn (--dev null, loopback only) in a fresh network namespace of its
# own, so nothing it does reaches a real network.  Needs root (for the
# namespace) and openvpn; exits 77 (SKIP, with the reason) without them.
#
#   tests/plugin_config.sh [PLUGIN_SO]   (default plugin/.libs/openvpn-plugin-natt.so)
set -eu

srcdir=${srcdir:-.}
plugin=${1:-${PLUGIN:-plugin/.libs/openvpn-plugin-natt.so}}

if [ -z "${NATT_PLUGIN_TEST_NETNS:-}" ]; then
	command -v openvpn >/dev/null || { echo "SKIP: openvpn is not installed"; exit 77; }
	[ "$(id -u)" = 0 ] || { echo "SKIP: needs root for a private network namespace"; exit 77; }
	[ -f "$plugin" ] || { echo "FAIL: no plugin at $plugin"; exit 1; }
	plugin=$(cd "$(dirname "$plugin")" && pwd)/$(basename "$plugin")
	# A plugin built with --enable-sanitizers needs the ASan runtime first.
	if ldd "$plugin" | grep -q libasan; then
		export LD_PRELOAD="$(${CC:-gcc} -print-file-name=libasan.so)"
		export ASAN_OPTIONS="detect_leaks=0${ASAN_OPTIONS:+:$ASAN_OPTIONS}"
	fi
	NATT_PLUGIN_TEST_NETNS=1 exec unshare --net -- "$0" "$plugin"
fi
ip link set lo up

dir=$(mktemp -d /tmp/natt-plugin-config.XXXXXX)
holder=
cleanup() {
	[ -z "$holder" ] || kill "$holder" 2>/dev/null || true
	rm -rf "$dir"
}
trap cleanup EXIT INT TERM
fail() { echo "FAIL: $*"; [ ! -f "$dir/out" ] || sed 's/^/  | /' "$dir/out"; exit 1; }

sh "$srcdir/tests/pki/make-pki.sh" "$dir/pki" >/dev/null 2>&1 || fail "make-pki.sh failed"
printf 'natt-network-key v1\n%s\n' "$(openssl rand -hex 32)" >"$dir/net.key"
chmod 600 "$dir/net.key"
openssl rand -hex 16 >/dev/null

# ovpn_conf TUN_MTU [EXTRA]: an OpenVPN server config using the plugin.
ovpn_conf() {
	cat >"$dir/server.conf" <<-EOC
	dev null
	proto udp
	local 127.0.0.1
	lport 41194
	tls-server
	ca $dir/pki/ca.crt
	cert $dir/pki/server.crt
	key $dir/pki/server.key
	dh none
	tun-mtu $1
	verb 3
	${2:-}
	plugin $plugin $dir/natt.conf
	EOC
}

# natt_conf LINE...: the plugin config, one argument per line.
natt_conf() {
	: >"$dir/natt.conf"
	for l in "$@"; do printf '%s\n' "$l" >>"$dir/natt.conf"; done
}

good() {
	natt_conf "role server" "name office" "rendezvous 127.0.0.1:3478" \
		"network-key $dir/net.key" "$@"
}

# expect NAME MESSAGE [openvpn args]: OpenVPN exits non-zero, never completes
# its start, and logs MESSAGE (a fixed string) once, on an error line of the plugin.
n=0
expect() {
	name=$1 msg=$2
	shift 2
	n=$((n + 1))
	rc=0
	timeout 20 openvpn --config "$dir/server.conf" "$@" >"$dir/out" 2>&1 || rc=$?
	[ "$rc" != 0 ] || fail "$name: OpenVPN started"
	[ "$rc" != 124 ] || fail "$name: OpenVPN still running after 20 s"
	[ -z "${VERBOSE:-}" ] || grep 'openvpn-plugin-natt' "$dir/out"
	! grep -q 'Initialization Sequence Completed' "$dir/out" || fail "$name: tunnel came up"
	c=$(grep -F -c -- "$msg" "$dir/out" || true)
	[ "$c" = 1 ] || fail "$name: want one line with '$msg', found $c"
	grep -F -- "$msg" "$dir/out" | grep -q 'openvpn-plugin-natt' ||
		fail "$name: the message is not the plugin's"
	echo "ok $n - $name"
}

ovpn_conf 1400

good
sed -i "s|plugin .*|plugin $plugin $dir/missing.conf|" "$dir/server.conf"
expect "missing plugin config file" "$dir/missing.conf: No such file or directory"

ovpn_conf 1400
sed -i "s|plugin .*|plugin $plugin|" "$dir/server.conf"
expect "no plugin config file on the plugin line" "the plugin line needs a config file"

ovpn_conf 1400
good "frobnicate 1"
expect "unknown setting" "$dir/natt.conf:5: frobnicate: unknown setting"

natt_conf "role server" "rendezvous 127.0.0.1:3478" "network-key $dir/net.key"
expect "missing name" "$dir/natt.conf: missing required setting 'name'"

natt_conf "name office" "rendezvous 127.0.0.1:3478" "network-key $dir/net.key"
expect "missing role" "$dir/natt.conf: missing required setting 'role'"

natt_conf "role server" "name office" "network-key $dir/net.key"
expect "missing rendezvous" "$dir/natt.conf: missing required setting 'rendezvous'"

natt_conf "role master" "name office"
expect "bad role" "$dir/natt.conf:1: role: must be server or client, not: 'master'"

good "name bad/name"
expect "bad name" "$dir/natt.conf:5: name: must be 1-63 characters"

good "keepalive 10 15"
expect "bad keepalive" "$dir/natt.conf:5: keepalive: timeout must be"

good "rendezvous 127.0.0.1:99999"
expect "bad rendezvous address" "$dir/natt.conf:5: rendezvous: bad address (want HOST[:PORT]): '127.0.0.1:99999'"

good "openvpn-address 10.1.2.3:1194"
expect "openvpn-address not loopback" "$dir/natt.conf:5: openvpn-address: bad address"

natt_conf "role server" "name office" "rendezvous 127.0.0.1:3478" "network-key $dir/nope.key"
expect "unreadable network key" "$dir/natt.conf:4: network-key: "

printf 'natt-network-key v1\nnothex\n' >"$dir/bad.key"
natt_conf "role server" "name office" "rendezvous 127.0.0.1:3478" "network-key $dir/bad.key"
expect "malformed network key" "$dir/natt.conf:4: network-key: $dir/bad.key:2"

good "cert $dir/pki/nonexistent.crt"
expect "unreadable cert" "$dir/natt.conf:5: cert: cannot read '$dir/pki/nonexistent.crt'"

good
sed -i "s|plugin .*|plugin $plugin $dir/natt.conf role=client|" "$dir/server.conf"
expect "key=value override (client needs server-name)" \
	"$dir/natt.conf: missing required setting 'server-name'"

ovpn_conf 1400
good
sed -i "s|plugin .*|plugin $plugin $dir/natt.conf role=boss|" "$dir/server.conf"
expect "bad override" "plugin argument 2: role: must be server or client, not: 'boss'"

# OpenVPN's PEM files inline: the plugin cannot use them, and says which.
ovpn_conf 1400
sed -i "s|^ca .*|<ca>\n$(sed 's/$/\\n/' "$dir/pki/ca.crt" | tr -d '\n')</ca>|" "$dir/server.conf"
good
expect "inline ca in OpenVPN's config" "$dir/natt.conf: missing required setting 'ca' (OpenVPN's is at $dir/server.conf:6 (inline"

ovpn_conf 1500
good
expect "tun-mtu too large for the path" \
	"$dir/server.conf:10: MTU too large for path-mtu 1500: tun-mtu 1500, mssfix 0 (not set): a full packet is 1586 bytes on the wire, path-mtu is 1500; set 'tun-mtu 1414' and 'mssfix 1466'"

ovpn_conf 1414 "mssfix 1480"
good
expect "mssfix too large for the path" "set 'tun-mtu 1414' and 'mssfix 1466'"

ovpn_conf 1400
good "path-mtu 1400"
expect "path-mtu below what tun-mtu needs" "a full packet is 1486 bytes on the wire, path-mtu is 1400; set 'tun-mtu 1314'"

ovpn_conf 1400
good "path-mtu 100"
expect "path-mtu out of range" "$dir/natt.conf:5: path-mtu: want 576-65535, not: '100'"

# The plugin's own settings: a group-readable key is a warning (it still
# loads); the helper's one-line error stops OpenVPN: the public port is taken.
env -u LD_PRELOAD python3 -c 'import socket,time
s=socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("0.0.0.0", 41999)); time.sleep(60)' &
holder=$!
for i in $(seq 50); do ss -Huln 'sport = :41999' | grep -q . && break; sleep 0.1; done
ss -Huln 'sport = :41999' | grep -q . || fail "could not hold UDP port 41999 for the test"
chmod 640 "$dir/net.key"
good "public-port 41999"
expect "helper error: public port taken" "$dir/natt.conf: public-port: "
grep -F "$dir/natt.conf: public-port: " "$dir/out" | grep -q '41999.*Address already in use' ||
	fail "the helper's error does not name the port and the reason"
grep -q 'public port 41999 in use: waiting up to 5 s' "$dir/out" ||
	fail "the helper did not wait for the port (a restart's previous instance may hold it)"
grep -F "$dir/natt.conf:4: network-key: " "$dir/out" | grep -q 'chmod 600' ||
	fail "no warning about the group-readable network key"
n=$((n + 1))
echo "ok $n - group-readable network key warned about"
chmod 600 "$dir/net.key"
kill "$holder"
holder=

# The tun MTU OpenVPN really uses (here from its command line, which the
# config file does not show) is checked again when the device comes up.
good
expect "tun-mtu from the command line, checked at PLUGIN_UP" \
	"device null: tun-mtu 1500, mssfix 0 (not set): a full packet is 1586 bytes" --tun-mtu 1500

# The helper dies (a transport fault): OpenVPN does not run on without its
# transport; at its next restart (PLUGIN_UP) it stops with the reason.
ovpn_conf 1400
good
openvpn --config "$dir/server.conf" >"$dir/out" 2>&1 &
ovpn=$!
for i in $(seq 100); do grep -q 'Initialization Sequence Completed' "$dir/out" && break; sleep 0.1; done
hpid=$(sed -n 's/.*transport helper pid \([0-9]*\) ready.*/\1/p' "$dir/out")
[ -n "$hpid" ] || fail "helper death: no helper pid in the log"
kill -9 "$hpid"
sleep 0.3
kill -USR1 "$ovpn"
rc=0
for i in $(seq 100); do kill -0 "$ovpn" 2>/dev/null || break; sleep 0.1; done
if kill -0 "$ovpn" 2>/dev/null; then
	kill "$ovpn"
	fail "helper death: OpenVPN still running after its restart"
fi
wait "$ovpn" || rc=$?
[ "$rc" != 0 ] || fail "helper death: OpenVPN exited with status 0"
grep -q "openvpn-plugin-natt: the transport helper (pid $hpid) has ended: restart OpenVPN" "$dir/out" ||
	fail "helper death: no message naming the dead helper"
n=$((n + 1))
echo "ok $n - helper died: OpenVPN stops at its next restart"

echo "all $n plugin config checks passed"
