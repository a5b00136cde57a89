#!/usr/bin/env bash
# test_keylog.sh BUILDDIR: the key log (doc/PROTOCOL.md 12) of a real run.
# Real OpenVPN over the plugin through two NATs, the server's plugin config
# naming a key log; the capture is taken on the client's router WAN.  The
# key log must be mode 0600 with two NATT_DATA_SECRET lines (one per
# direction) for the session, the helper must warn about it at start, and
# natt-inspect --keylog must decrypt the captured DATA packets of both
# directions and show the inner OpenVPN opcodes (P_DATA_V2 for the pings,
# P_CONTROL_* for OpenVPN's own TLS), which it cannot without the key log.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
build=$(cd "${1:?usage: test_keylog.sh BUILDDIR}" && pwd)
. "$here/lab.sh"
. "$here/plugin_lib.sh"

inspect=$build/tools/natt-inspect/natt-inspect
tshark=${TSHARK:-tshark}
command -v "$tshark" >/dev/null || { echo "FAIL: tshark not found: apt-get install tshark"; exit 1; }
command -v jq >/dev/null || { echo "FAIL: jq not found: apt-get install jq"; exit 1; }

lab_init
pl_init "$build"
keylog=$LAB_DIR/natt.keylog
# pl_server with one more line in the plugin config: "keylog FILE".
eval "$(declare -f pl_server | sed "s|^\(\s*\)verb 4\$|&\n\1keylog $keylog|; s/^pl_server /kl_server /")"
lab_router ra eim 203.0.113.11 10.1.0
lab_router rb eim 203.0.113.12 10.2.0
lab_host s1 ra
lab_host c1 rb
pl_wire_segments s1 c1 # the capture shows what a wire would carry
# The transport sends with UDP GSO; over veth a GSO run stays one
# super-packet all the way to the capture, which natt-inspect (rightly)
# cannot open as one DATA packet.  Segment at the hosts, as a real NIC would.
for h in s1 c1; do lab_exec "$h" ip link set dev eth0 gso_max_segs 1; done

kl_server s1
grep -q "^keylog $keylog\$" "$LAB_DIR/natt-server.conf" || bad "keylog line not in the server's config"
pl_wait "$LAB_DIR/server.log" 'registered with rendezvous' 15 || bad "server did not register"
if grep -q "keylog $keylog enabled: this file lets anyone decrypt" "$LAB_DIR/server.log"; then
	ok "the helper warns about the key log at start"
else
	bad "no key log warning in server.log"
fi
cap=$LAB_DIR/wan.pcapng
pl_captured_client "$cap" 10

mode=$(stat -c %a "$keylog" 2>/dev/null || echo missing)
[ "$mode" = 600 ] && ok "key log mode 600" || bad "key log mode $mode"
lines=$(grep -c '^NATT_DATA_SECRET [0-9a-f]\{16\} aes-256-gcm [0-9a-f]\{64\}$' "$keylog" || true)
total=$(wc -l <"$keylog")
if [ "$lines" = 2 ] && [ "$total" = 2 ]; then
	ok "key log: two NATT_DATA_SECRET lines (one per direction)"
else
	bad "key log: $lines well-formed of $total lines: $(head -c 300 "$keylog")"
fi
cids=$(awk '{print $2}' "$keylog" | sort -u | wc -l)
[ "$cids" = 2 ] && ok "two distinct receiver cids" || bad "$cids distinct cids in the key log"

set +e
"$inspect" --json -v -r "$cap" --network-key "$LAB_DIR/net.key" --keylog "$keylog" \
	>"$LAB_DIR/inspect.json" 2>"$LAB_DIR/inspect.err"
rc=$?
"$inspect" --json -v -r "$cap" --network-key "$LAB_DIR/net.key" \
	>"$LAB_DIR/inspect-nokey.json" 2>/dev/null
set -e
[ "$rc" = 0 ] && ok "natt-inspect --keylog: every check passes" ||
	bad "natt-inspect exit $rc: $(head -c 300 "$LAB_DIR/inspect.err")"
jq -e '.options.keylog == true' "$LAB_DIR/inspect.json" >/dev/null &&
	ok "natt-inspect read the key log" || bad "natt-inspect did not take the key log"
data=$(jq '[.packets[] | select(.type == "DATA")] | length' "$LAB_DIR/inspect.json")
opened=$(jq '[.packets[] | select(.type == "DATA" and .inner.epoch != null)] | length' \
	"$LAB_DIR/inspect.json")
failed=$(jq '[.packets[] | select(.inner.error != null)] | length' "$LAB_DIR/inspect.json")
if [ "$data" -gt 0 ] && [ "$opened" = "$data" ] && [ "$failed" = 0 ]; then
	ok "all $data captured DATA packets decrypted"
else
	bad "DATA packets: $data, decrypted $opened, errors $failed"
fi
for op in P_DATA_V2 P_CONTROL_V1 P_ACK_V1; do
	n=$(jq "[.packets[] | select(.inner.opcode_name == \"$op\")] | length" "$LAB_DIR/inspect.json")
	[ "$n" -gt 0 ] && ok "inner $op seen: $n" || bad "no inner $op"
done
dirs=$(jq -r '[.packets[] | select(.inner.opcode != null) | .dcid] | unique | length' \
	"$LAB_DIR/inspect.json")
[ "$dirs" = 2 ] && ok "both directions decrypted" || bad "decrypted DATA to $dirs cids"
n=$(jq '[.packets[] | select(.inner.opcode != null)] | length' "$LAB_DIR/inspect-nokey.json")
[ "$n" = 0 ] && ok "without the key log nothing is decrypted" || bad "$n decrypted without key log"

# A key log that others may read is refused: OpenVPN stops at start, naming
# the setting and the file.
kill "$PL_SERVER_PID" 2>/dev/null || true
wait "$PL_SERVER_PID" 2>/dev/null || true
mv "$LAB_DIR/server.log" "$LAB_DIR/server-1.log"
bad_log=$LAB_DIR/open.keylog
: >"$bad_log"
chmod 644 "$bad_log"
eval "$(declare -f pl_server | sed "s|^\(\s*\)verb 4\$|&\n\1keylog $bad_log|; s/^pl_server /kl_bad /")"
kl_bad s1
if pl_wait "$LAB_DIR/server.log" 'Exiting due to fatal error' 15 &&
	grep -q "natt-server.conf:7: keylog: $bad_log: not a regular file of mode 0600" \
		"$LAB_DIR/server.log"; then
	ok "a key log readable by others stops OpenVPN with file:line"
else
	bad "mode 644 key log not refused: $(grep -i keylog "$LAB_DIR/server.log" | head -n 2)"
fi
[ ! -s "$bad_log" ] && ok "nothing written to the refused key log" || bad "refused key log written"

echo "test_keylog: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
