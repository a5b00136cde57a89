#!/usr/bin/env bash
# test_capture.sh BUILDDIR: natt-inspect and the Wireshark dissector on a
# capture of a real run.  Real OpenVPN over the plugin through two NATs; the
# capture is taken on the client's router WAN (what an operator would
# capture on the path): rendezvous lookup, STUN, probes, handshake, data.
# natt-inspect must pass every check on it (with the network key, so sealed
# packets are opened and acknowledgements checked), see each phase, and
# the Lua dissector must agree with natt-inspect field by field.
# NATT_SAVE_CAPTURE=DIR keeps the capture and the run's network key there
# (how tests/inspect/real-plugin.* were made).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
build=$(cd "${1:?usage: test_capture.sh BUILDDIR}" && pwd)
top=$(cd "$here/../.." && pwd)
. "$here/lab.sh"
. "$here/plugin_lib.sh"

inspect=$build/tools/natt-inspect/natt-inspect
tshark=${TSHARK:-tshark}
lua=$top/tools/wireshark/natt.lua
command -v "$tshark" >/dev/null || { echo "FAIL: tshark not found: apt-get install tshark"; exit 1; }
command -v jq >/dev/null || { echo "FAIL: jq not found: apt-get install jq"; exit 1; }

lab_init
tmp=$LAB_DIR
. "$top/tests/inspect_lib.sh"
pl_init "$build"
lab_router ra eim 203.0.113.11 10.1.0
lab_router rb eim 203.0.113.12 10.2.0
lab_host s1 ra
lab_host c1 rb
pl_wire_segments s1 c1 # the capture shows what a wire would carry

pl_server s1
pl_wait "$LAB_DIR/server.log" 'registered with rendezvous' 15 || bad "server did not register"
cap=$LAB_DIR/wan.pcapng
pl_captured_client "$cap" 20

if [ -n "${NATT_SAVE_CAPTURE:-}" ]; then
	cp "$cap" "$NATT_SAVE_CAPTURE/real-plugin.pcapng"
	cp "$LAB_DIR/net.key" "$NATT_SAVE_CAPTURE/real-plugin.key"
fi
set +e
"$inspect" --json -r "$cap" --network-key "$LAB_DIR/net.key" >"$LAB_DIR/inspect.json" \
	2>"$LAB_DIR/inspect.err"
rc=$?
set -e
if [ "$rc" = 0 ]; then
	ok "natt-inspect: every check passes on the real capture"
else
	bad "natt-inspect exit $rc: $(jq -c '[.checks[] | select(.status != "pass" and .status != "not-run")]' \
		"$LAB_DIR/inspect.json" 2>/dev/null) $(head -c 300 "$LAB_DIR/inspect.err")"
fi
count() { jq "[.flows[] | (.a_to_b.types, .b_to_a.types) | .[\"$1\"].packets // 0] | add // 0" \
	"$LAB_DIR/inspect.json"; }
rdv() { jq "[.flows[].rendezvous[\"$1\"] // 0] | add // 0" "$LAB_DIR/inspect.json"; }
for t in PROBE PROBE_REPLY HANDSHAKE DATA; do
	n=$(count "$t")
	[ "$n" -gt 0 ] && ok "$t packets seen: $n" || bad "no $t packet in the capture"
done
for t in RDV_LOOKUP RDV_LOOKUP_REPLY; do
	n=$(rdv "$t")
	[ "$n" -gt 0 ] && ok "$t seen: $n" || bad "no $t in the capture"
done
for id in framing lengths auth nonce-reuse ack-unsent amplification plaintext-leak; do
	st=$(jq -r ".checks[] | select(.id == \"$id\") | \"\(.status) \(.examined)\"" "$LAB_DIR/inspect.json")
	case $st in
	"pass "[1-9]*) ok "check $id: pass (${st#pass } examined)" ;;
	*) bad "check $id: $st" ;;
	esac
done

inspect_fields "$cap" >"$LAB_DIR/a.tsv"
tshark_fields "$cap" >"$LAB_DIR/b.tsv"
if grep -qi 'lua.*error\|error.*lua' "$LAB_DIR/tshark.err"; then
	bad "dissector error: $(head -c 300 "$LAB_DIR/tshark.err")"
elif diff -u "$LAB_DIR/a.tsv" "$LAB_DIR/b.tsv" >"$LAB_DIR/d"; then
	ok "dissector agrees with natt-inspect on all $(wc -l <"$LAB_DIR/a.tsv") NATT packets"
else
	bad "dissector disagrees: $(head -n 12 "$LAB_DIR/d" | tr '\n' ';')"
fi

echo "test_capture: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
