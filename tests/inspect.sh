#!/bin/bash
# "test && ok || bad" is safe here (ok always succeeds):
# shellcheck disable=SC2015,SC2181
# inspect.sh: natt-inspect and the Wireshark dissector against the test
# captures of tests/inspect/ (written by tests/inspect/gen_captures).
#
#   1. every NAME.expect.json: run natt-inspect --json on its capture with its
#      options; the exit status, the error message and every value of its
#      "expect" subset must match;
#   2. the captures in $dissector_captures (every packet type, both IP
#      versions, and the malformed headers the heuristic must refuse): tshark
#      with tools/wireshark/natt.lua must show, packet by packet, the header
#      fields natt-inspect --json -v shows (type, version, CIDs, packet
#      number, epoch, counter, network ID, payload length, keepalive);
#      tshark takes about half a second per capture, hence a list, not all;
#   3. as root: a live capture on a veth pair between two network namespaces
#      made (and removed) here, with -i, -f, -c and -d;
#   4. usage errors exit 2 with a message; --list-checks lists every check.
#
# Needs jq and tshark: missing either is a failure, never a skip.
# Environment: NATT_INSPECT (default ./tools/natt-inspect/natt-inspect),
# srcdir (set by make check), TSHARK (default tshark).
set -u

top=${srcdir:-.}
dir=$top/tests/inspect
inspect=${NATT_INSPECT:-./tools/natt-inspect/natt-inspect}
tshark=${TSHARK:-tshark}
lua=$top/tools/wireshark/natt.lua
tmp=$(mktemp -d)
ns_a='' ns_b='' live_pid=''
passed=0 failed=0 compared=0
dissector_captures="vectors.pcap session.pcapng fragments-v6.pcap link-sll2-v6.pcapng
	link-ethernet-qinq-v6.pcap bad-version.pcap bad-type.pcap bad-lengths.pcap
	bad-framing.pcap bad-leak-raw-openvpn.pcap bad-leak-clear-body.pcap lone-version2.pcap"

cleanup() {
	[ -n "$live_pid" ] && kill "$live_pid" 2>/dev/null
	[ -n "$ns_a" ] && ip netns del "$ns_a" 2>/dev/null
	[ -n "$ns_b" ] && ip netns del "$ns_b" 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

ok() { passed=$((passed + 1)); }
bad() { failed=$((failed + 1)); echo "FAIL: $*"; }

command -v jq >/dev/null || { echo "FAIL: jq not found: apt-get install jq"; exit 1; }
command -v "$tshark" >/dev/null ||
	{ echo "FAIL: tshark not found: apt-get install tshark"; exit 1; }
[ -x "$inspect" ] || { echo "FAIL: $inspect not built"; exit 1; }
[ -d "$dir" ] || { echo "FAIL: $dir missing"; exit 1; }

# The network key is a public test key, but natt-inspect warns on mode 0644
# (as it should); a 0600 copy keeps the expected stderr clean.
cp "$top/tests/vectors/network.key" "$tmp/network.key" && chmod 600 "$tmp/network.key"

# Turns the expectation's "args" into natt-inspect arguments ("@x": tests/x).
expect_args() {
	jq -r '.args[]' "$1" | while IFS= read -r a; do
		case $a in
		@vectors/network.key) printf '%s\n' "$tmp/network.key" ;;
		@*) printf '%s\n' "$top/tests/${a#@}" ;;
		*) printf '%s\n' "$a" ;;
		esac
	done
}

# Paths of the expectation whose value differs in the output ("checks" made
# an object keyed by id first).
mismatches() {
	jq -n --slurpfile out "$1" --slurpfile exp "$2" -r '
		($out[0] | if has("checks") then .checks |= (map({(.id): .}) | add) else . end)
			as $got
		| $exp[0].expect as $want
		| $want | paths(type != "object" and type != "array") as $p
		| ($want | getpath($p)) as $w
		| (try ($got | getpath($p)) catch "<missing>") as $g
		| select($w != $g)
		| "\($p | map(tostring) | join(".")): want \($w | tojson), got \($g | tojson)"'
}

run_expectation() {
	local e=$1 name capture want_exit want_err rc args=()
	name=$(basename "$e" .expect.json)
	capture=$dir/$(jq -r .capture "$e")
	want_exit=$(jq -r .exit "$e")
	want_err=$(jq -r '.stderr // ""' "$e")
	mapfile -t args < <(expect_args "$e")
	"$inspect" --json "${args[@]}" -r "$capture" >"$tmp/out.json" 2>"$tmp/err"
	rc=$?
	if [ "$rc" != "$want_exit" ]; then
		bad "$name: exit $rc, want $want_exit: $(head -c 300 "$tmp/err")"
		return
	fi
	if [ -n "$want_err" ] && ! grep -qF "$want_err" "$tmp/err"; then
		bad "$name: stderr lacks \"$want_err\": $(head -c 300 "$tmp/err")"
		return
	fi
	if [ "$want_exit" = 2 ] && [ ! -s "$tmp/err" ]; then
		bad "$name: exit 2 without a message"
		return
	fi
	if [ "$(jq '.expect | length' "$e")" -gt 0 ]; then
		if ! jq -e . "$tmp/out.json" >/dev/null 2>&1; then
			bad "$name: output is not one JSON document"
			return
		fi
		mismatches "$tmp/out.json" "$e" >"$tmp/diff"
		if [ -s "$tmp/diff" ]; then
			bad "$name: $(head -n 5 "$tmp/diff" | tr '\n' ';')"
			return
		fi
	fi
	ok
}

. "$top/tests/inspect_lib.sh"

compare_dissector() {
	local c=$1 name
	name=$(basename "$c")
	inspect_fields "$c" >"$tmp/a.tsv"
	tshark_fields "$c" >"$tmp/b.tsv"
	if grep -qi 'lua.*error\|error.*lua' "$tmp/tshark.err"; then
		bad "dissector on $name: $(head -c 300 "$tmp/tshark.err")"
	elif ! diff -u "$tmp/a.tsv" "$tmp/b.tsv" >"$tmp/d"; then
		bad "dissector disagrees with natt-inspect on $name:" \
			"$(head -n 12 "$tmp/d" | tr '\n' ';')"
	else
		compared=$((compared + $(wc -l <"$tmp/a.tsv")))
		ok
	fi
}

usage_tests() {
	"$inspect" >/dev/null 2>"$tmp/err"
	[ $? = 2 ] && [ -s "$tmp/err" ] && ok || bad "no arguments: want exit 2 and a message"
	"$inspect" -r "$tmp/does-not-exist.pcap" >/dev/null 2>"$tmp/err"
	[ $? = 2 ] && grep -q 'does-not-exist' "$tmp/err" && ok || bad "missing file: want exit 2"
	"$inspect" --mtu 12 -r x >/dev/null 2>"$tmp/err"
	[ $? = 2 ] && ok || bad "bad --mtu: want exit 2"
	"$inspect" --keylog "$dir/vectors.pcap" -r "$dir/vectors.pcap" >/dev/null 2>"$tmp/err"
	[ $? = 2 ] && grep -q 'vectors.pcap:1:' "$tmp/err" && ok ||
		bad "garbage key log: want exit 2 with file:line"
	"$inspect" -f 'not a filter (' -r "$dir/vectors.pcap" >/dev/null 2>"$tmp/err"
	[ $? = 2 ] && grep -q 'filter' "$tmp/err" && ok || bad "bad BPF filter: want exit 2"
	"$inspect" --list-checks >"$tmp/list"
	for id in framing lengths auth nonce-reuse ack-unsent amplification plaintext-leak \
		unknown-version unknown-type mtu; do
		grep -q "^$id " "$tmp/list" || { bad "--list-checks lacks $id"; return; }
	done
	ok
	# stdin, text output, and the -f/-c options offline
	"$inspect" -r - <"$dir/vectors.pcap" >"$tmp/text" 2>&1
	[ $? = 0 ] && grep -q '^result: PASS' "$tmp/text" && ok ||
		bad "stdin: $(tail -n 3 "$tmp/text")"
	n=$("$inspect" --json -c 4 -f 'udp port 3478' -r "$dir/vectors.pcap" | jq .input.records)
	[ "$n" = 4 ] && ok || bad "-c 4 -f 'udp port 3478': $n records, want 4"
}

# A live capture between two namespaces linked by a veth pair (never a real
# interface).  Needs root and ip(8); otherwise reported as a failure unless
# NATT_INSPECT_NO_LIVE=1 says the caller knows it cannot (make check as a user).
live_test() {
	local p=natti$$ sent=0
	if [ "$(id -u)" != 0 ] || ! command -v ip >/dev/null; then
		if [ "${NATT_INSPECT_NO_LIVE:-0}" = 1 ]; then
			echo "note: live capture test not run (NATT_INSPECT_NO_LIVE=1, not root)"
			return
		fi
		bad "live capture needs root and ip(8) (set NATT_INSPECT_NO_LIVE=1 to run without)"
		return
	fi
	ns_a=${p}a ns_b=${p}b
	ip netns add "$ns_a" && ip netns add "$ns_b" &&
		ip link add "${p}x" netns "$ns_a" type veth peer name "${p}y" netns "$ns_b" &&
		ip -n "$ns_a" addr add 10.254.7.1/24 dev "${p}x" &&
		ip -n "$ns_b" addr add 10.254.7.2/24 dev "${p}y" &&
		ip -n "$ns_a" link set "${p}x" up && ip -n "$ns_b" link set "${p}y" up ||
		{ bad "live: cannot build the namespaces"; return; }
	ip netns exec "$ns_b" "$inspect" --json -i "${p}y" -f 'udp port 1194' -c 3 -d 20 \
		>"$tmp/live.json" 2>"$tmp/live.err" &
	live_pid=$!
	sleep 1
	# One socket (one source port), so one flow.  The datagrams go to an
	# address nobody holds behind a static neighbour entry: they cross the
	# veth (and the capture) and are dropped without an ICMP error that
	# would fail the next send on the connected socket.
	ip -n "$ns_a" neigh add 10.254.7.9 dev "${p}x" \
		lladdr "$(ip netns exec "$ns_b" cat "/sys/class/net/${p}y/address")" ||
		{ bad "live: cannot add the neighbour entry"; return; }
	ip netns exec "$ns_a" bash -c "exec 3>/dev/udp/10.254.7.9/1194 &&
		for v in probe probe_reply data; do
			cat '$top/tests/fuzz/corpus_wire/'\$v.packet >&3 || exit 1; sleep 0.2
		done" && sent=3
	wait "$live_pid"
	local rc=$?
	live_pid=
	if [ "$sent" != 3 ] || [ "$rc" != 0 ]; then
		bad "live: sent $sent, exit $rc: $(head -c 300 "$tmp/live.err")"
	elif [ "$(jq -c '[.input.claimed, .source, .flows[0].a_to_b.types.DATA.packets]' \
		"$tmp/live.json")" != "[3,\"live:${p}y\",1]" ]; then
		bad "live: unexpected summary $(jq -c .input "$tmp/live.json")"
	else
		ok
	fi
}

for e in "$dir"/*.expect.json; do
	run_expectation "$e"
done
for c in $dissector_captures; do
	compare_dissector "$dir/$c"
done
[ "$compared" -gt 100 ] && ok || bad "the dissector test compared only $compared packets"

usage_tests
live_test
echo "inspect: $passed passed, $failed failed"
[ "$failed" = 0 ]
