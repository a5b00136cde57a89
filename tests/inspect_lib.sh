# inspect_lib.sh: the header fields of every NATT packet of a capture, as
# natt-inspect and as the Wireshark dissector see them, one tab-separated
# line per packet, so the two can be diffed (sourced by tests/inspect.sh and
# tests/e2e/test_capture.sh).  Needs: $inspect, $tshark, $lua, $tmp, jq.

# Header fields, one tab-separated line per NATT packet, from natt-inspect...
inspect_fields() {
	"$inspect" --json -v -r "$1" 2>/dev/null | jq -r '
		def hex2: . as $n | "0123456789abcdef" as $d
			| $d[($n / 16 | floor):($n / 16 | floor) + 1] + $d[($n % 16):($n % 16) + 1];
		def opt: if . == null then "" else tostring end;
		.packets[] | select(.type_code != null)
		| [.n, (.type_code | hex2), (.version | opt), (.dcid | opt), (.scid | opt),
		   (.pn | opt), (.epoch | opt), (.counter | opt), (.network_id | opt),
		   .payload_len, (if .keepalive == null then "" elif .keepalive then 1 else 0 end)]
		| map(tostring) | join("\t")'
}

# ... and from tshark with the Lua dissector.
tshark_fields() {
	"$tshark" -n -X lua_script:"$lua" -o udp.try_heuristic_first:TRUE -r "$1" -Y natt \
		-T fields -E separator=/t -E occurrence=f -e frame.number -e natt.type \
		-e natt.version -e natt.dcid -e natt.scid -e natt.pn -e natt.epoch \
		-e natt.counter -e natt.network_id -e natt.payload_len -e natt.keepalive \
		2>"$tmp/tshark.err" | sed 's/0x//g'
}

