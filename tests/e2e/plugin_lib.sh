# plugin_lib.sh: real OpenVPN 2.6 with openvpn-plugin-natt in the NAT lab
# (sourced after lab.sh by tests/e2e/test_plugin*.sh).
#
#   pl_init BUILDDIR     PKI (tests/pki/make-pki.sh), network key, the
#                        rendezvous started on host "rdv" (203.0.113.2:3478)
#   pl_lab BUILDDIR      lab_init, pl_init, and the usual two NATs: s1 behind
#                        ra (eim, 203.0.113.11), c1 behind rb (eim, .12)
#   pl_server NS [ARGS]  OpenVPN server in NS: dev tun, server 10.8.0.0/24,
#                        local 127.0.0.1 lport 1194, the plugin as "office";
#                        ARGS go to openvpn's command line; log $LAB_DIR/server.log
#   pl_client NS NAME    an OpenVPN client in NS reaching "office" through
#                        the plugin (remote 127.0.0.1 11194); log $LAB_DIR/NAME.log
#   pl_wait FILE REGEX SECONDS   until a line of FILE matches
#
# PL_NATT_EXTRA (plugin configs, both roles) and PL_SERVER_EXTRA (the
# server's OpenVPN config): lines appended, for tests that need more.
#
# The plugin is $NATT_PLUGIN if set, else BUILDDIR/plugin/.libs/openvpn-plugin-natt.so.
# OpenVPN's tun-mtu is 1400 (the plugin needs <= 1414 on a 1500-byte path).

PL_RDV=203.0.113.2

# pl_wire_segments HOST...: each HOST's eth0 cuts UDP GSO sends into
# datagrams itself, as a real NIC puts each on the wire.  Without it a GSO
# send stays one packet across veths and bridges, and a capture on a router
# shows merged datagrams that no wire would carry.
pl_wire_segments() {
	local h
	for h in "$@"; do lab_exec "$h" ip link set dev eth0 gso_max_segs 1; done
}

# pl_capture_start NS IFACE FILE: tshark records UDP on IFACE in NS into FILE
# (needs $tshark); fails when the capture does not start.
# pl_capture_stop: lets the last packets land, then ends the capture.
pl_capture_start() {
	lab_bg "$1" capture "$tshark" -n -i "$2" -w "$3" -f udp >/dev/null
	PL_CAPTURE_PID=${LAB_PIDS[-1]}
	pl_wait "$LAB_DIR/capture.log" 'Capturing on' 10 || return 1
	# dumpcap reports the interface open a moment before packets are
	# recorded: without this pause the first packets (the lookup) are missed.
	sleep 1
}

# pl_captured_client FILE PINGS: with rb's WAN recorded into FILE, client c1
# (behind rb) comes up and sends PINGS pings to the server through the
# tunnel; each step is an ok/bad check.
pl_captured_client() {
	pl_capture_start rb wan "$1" || bad "capture did not start"
	pl_client c1 c1
	if pl_wait "$LAB_DIR/c1.log" 'Initialization Sequence Completed' 40; then
		ok "client tunnel up while capturing"
	else
		bad "no tunnel: $(tail -n 3 "$LAB_DIR/c1.log")"
	fi
	pl_ping c1 10.8.0.1 "$2" 10 && ok "$2 pings through the tunnel" || bad "ping failed"
	pl_capture_stop
}

pl_capture_stop() {
	sleep 1
	kill -INT "$PL_CAPTURE_PID"
	wait "$PL_CAPTURE_PID" 2>/dev/null || true
}

pl_wait() {
	local i
	for ((i = 0; i < $3 * 10; i++)); do
		grep -Eq "$2" "$1" 2>/dev/null && return 0
		sleep 0.1
	done
	return 1
}

# pl_ping NS ADDR [COUNT] [TIMEOUT]: ICMP echo from NS (the lab hosts have no
# ping(8)); succeeds when COUNT replies (default 3) arrive within TIMEOUT s.
pl_ping() {
	lab_exec "$1" python3 - "$2" "${3:-3}" "${4:-5}" <<-'EOP'
	import socket, struct, sys, time
	dst, want, limit = sys.argv[1], int(sys.argv[2]), float(sys.argv[3])
	s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP)
	ident, got, seq, end = 0x4e54, 0, 0, time.time() + limit
	def csum(b):
	    t = sum(struct.unpack("!%dH" % (len(b) // 2), b))
	    t = (t >> 16) + (t & 0xffff)
	    return ~(t + (t >> 16)) & 0xffff
	while got < want and time.time() < end:
	    seq += 1
	    body = struct.pack("!HH", ident, seq) + b"natt-e2e" * 4
	    s.sendto(struct.pack("!BBH", 8, 0, csum(b"\x08\x00\x00\x00" + body)) + body, (dst, 0))
	    s.settimeout(0.3)
	    try:
	        while True:
	            pkt, a = s.recvfrom(2048)
	            ihl = (pkt[0] & 15) * 4
	            t, _, _, i, q = struct.unpack("!BBHHH", pkt[ihl:ihl + 8])
	            if a[0] == dst and t == 0 and i == ident and q == seq:
	                got += 1
	                break
	    except socket.timeout:
	        pass
	sys.exit(0 if got >= want else 1)
	EOP
}

pl_init() {
	local build srcdir
	build=$(cd "$1" && pwd) || lab_die "no build directory $1"
	srcdir=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
	PL_PLUGIN=${NATT_PLUGIN:-$build/plugin/.libs/openvpn-plugin-natt.so}
	PL_RDV_BIN=$build/tools/natt-rendezvous
	[ -f "$PL_PLUGIN" ] || lab_die "$PL_PLUGIN not built (make)"
	[ -x "$PL_RDV_BIN" ] || lab_die "$PL_RDV_BIN not built (make)"
	command -v openvpn >/dev/null || lab_die "openvpn not installed"
	PL_OPENVPN=(openvpn)
	if ldd "$PL_PLUGIN" | grep -q libasan; then # built with --enable-sanitizers
		PL_OPENVPN=(env "LD_PRELOAD=$(${CC:-gcc} -print-file-name=libasan.so)"
			"ASAN_OPTIONS=detect_leaks=0" openvpn)
	fi
	sh "$srcdir/tests/pki/make-pki.sh" "$LAB_DIR/pki" >/dev/null 2>&1 || lab_die "make-pki.sh failed"
	chmod 755 "$LAB_DIR" "$LAB_DIR/pki"
	chmod 644 "$LAB_DIR/pki/"*.key # readable by OpenVPN after --user nobody
	"$PL_RDV_BIN" --genkey "$LAB_DIR/net.key" >/dev/null
	cat >"$LAB_DIR/rdv.conf" <<-EOC
	listen $PL_RDV:3478
	network lab "$LAB_DIR/net.key"
	verb 3
	EOC
	lab_public_host rdv "$PL_RDV"
	lab_bg rdv rdv "$PL_RDV_BIN" --config "$LAB_DIR/rdv.conf" --foreground >/dev/null
}

pl_lab() {
	lab_init
	pl_init "$1"
	lab_router ra eim 203.0.113.11 10.1.0
	lab_router rb eim 203.0.113.12 10.2.0
	lab_host s1 ra
	lab_host c1 rb
}

pl_server() {
	local ns=$1
	shift
	cat >"$LAB_DIR/natt-server.conf" <<-EOC
	role server
	name office
	rendezvous $PL_RDV:3478
	network-key $LAB_DIR/net.key
	status $LAB_DIR/server.status 1
	verb 4
	${PL_NATT_EXTRA:-}
	EOC
	cat >"$LAB_DIR/server.conf" <<-EOC
	dev tun
	proto udp
	local 127.0.0.1
	lport 1194
	server 10.8.0.0 255.255.255.0
	topology subnet
	duplicate-cn
	ca $LAB_DIR/pki/ca.crt
	cert $LAB_DIR/pki/server.crt
	key $LAB_DIR/pki/server.key
	dh none
	tun-mtu ${PL_TUN_MTU:-1400}
	keepalive 2 20
	explicit-exit-notify 1
	persist-tun
	persist-key
	verb 3
	plugin $PL_PLUGIN $LAB_DIR/natt-server.conf
	${PL_SERVER_EXTRA:-}
	EOC
	lab_bg "$ns" server "${PL_OPENVPN[@]}" --config "$LAB_DIR/server.conf" "$@" >/dev/null
	PL_SERVER_PID=${LAB_PIDS[-1]}
}

pl_client() {
	local ns=$1 name=$2
	cat >"$LAB_DIR/natt-$name.conf" <<-EOC
	role client
	name $name
	server-name office
	rendezvous $PL_RDV:3478
	network-key $LAB_DIR/net.key
	openvpn-address 127.0.0.1:11194
	status $LAB_DIR/$name.status 1
	verb 4
	${PL_NATT_EXTRA:-}
	EOC
	cat >"$LAB_DIR/$name.conf" <<-EOC
	client
	dev tun
	proto udp
	remote 127.0.0.1 11194
	nobind
	remote-cert-tls server
	ca $LAB_DIR/pki/ca.crt
	cert $LAB_DIR/pki/client.crt
	key $LAB_DIR/pki/client.key
	tun-mtu ${PL_TUN_MTU:-1400}
	keepalive 2 20
	verb 3
	plugin $PL_PLUGIN $LAB_DIR/natt-$name.conf
	EOC
	lab_bg "$ns" "$name" "${PL_OPENVPN[@]}" --config "$LAB_DIR/$name.conf" >/dev/null
}
