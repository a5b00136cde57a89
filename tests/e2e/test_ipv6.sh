#!/usr/bin/env bash
# test_ipv6.sh BUILDDIR: the transport and the plugin over IPv6 public
# addresses, in the namespace lab of lab.sh with its IPv6 opt-in.  Every
# router is dual stack: IPv4 NAT (eim) and an IPv6 kind.
#
#   rdv  203.0.113.2   2001:db8:ffff::1   natt-rendezvous on each address
#   p6   203.0.113.30  2001:db8:ffff::30  a public host (sends the unsolicited)
#   ra eim+firewall6  .11 / ::11 -- s1 10.1.0.2 2001:db8:1::2 (servers)
#   rb eim+firewall6  .12 / ::12 -- c1 10.2.0.2 2001:db8:2::2 (clients)
#   rc eim+nat66      .13 / ::13 -- n1 10.3.0.2 fd00:3::2     (server)
#   rd none+open6     .14 / ::14 -- o1 10.4.0.2 2001:db8:4::2 (control)
#
# Asserted, in order:
#   - the firewall: a datagram from p6 to s1's global IPv6 address, with
#     no flow open, does not arrive; the same datagram to o1 behind an
#     unfiltered router does, and so does the answer of a flow s1 opened;
#   - (a) natt-probe, server on s1 and client on c1, both behind firewall6,
#     rendezvous [2001:db8:ffff::1]: a direct IPv6 path between the two
#     global addresses in every one of LAB_RUNS runs (default 5): hole
#     punching through two stateful firewalls;
#   - nat66: the server on n1 behind NAT66 is reached at its mapped address;
#   - the rendezvous by name: A and AAAA: IPv4 where the host has an IPv4
#     route, IPv6 where it has none; AAAA only: IPv6;
#   - (c) dual stack, the rendezvous reached over IPv4 (203.0.113.2): both
#     families could carry the session; the path taken is printed with the
#     reason, and must be IPv6; with IPv6 dropped at c1's router the same
#     server is reached over IPv4 (so both really work);
#   - (b) real OpenVPN + plugin: server s1, client c1, `rendezvous
#     [2001:db8:ffff::1]:3478`: tunnel up, pings both ways, the status file
#     and the log show the peer's IPv6 address in brackets, path direct;
#     natt-inspect decodes the capture of c1's WAN (the IPv6 candidates of
#     the lookup reply) and every check passes.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
build=${1:?usage: test_ipv6.sh BUILDDIR}
PROBE="$build/tools/natt-probe"
RDV="$build/tools/natt-rendezvous"
INSPECT="$build/tools/natt-inspect/natt-inspect"
tshark=${TSHARK:-tshark} # pl_capture_start's
RUNS=${LAB_RUNS:-5}
. "$here/lab.sh"
. "$here/plugin_lib.sh"

[ -x "$PROBE" ] || lab_die "$PROBE not built (make)"
[ -x "$INSPECT" ] || lab_die "$INSPECT not built (make)"
command -v "$tshark" >/dev/null || lab_die "tshark not found: apt-get install tshark"

t_start=$(date +%s)

field() { tr ' ' '\n' <<<"$2" | sed -n "s/^$1=//p" | head -n 1; }

# udp6_listen NS PORT SECONDS: a background listener on [::]:PORT; its
# log says "arrived" or "nothing".  Its pid is left in LAB_PIDS[-1].
udp6_listen() {
	lab_bg "$1" "listen-$1-$2" python3 -c '
import socket, sys
s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
s.bind(("::", int(sys.argv[1])))
s.settimeout(float(sys.argv[2]))
try:
    s.recvfrom(2048)
    print("arrived")
except socket.timeout:
    print("nothing")
' "$2" "$3" >/dev/null
}

# udp6_send NS SPORT DST DPORT: one datagram from [::]:SPORT.
udp6_send() {
	lab_exec "$1" python3 -c '
import socket, sys
s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
s.bind(("::", int(sys.argv[1])))
s.sendto(b"natt-e2e", (sys.argv[2], int(sys.argv[3])))
' "$2" "$3" "$4"
}

# hosts_for NS LINES...: an /etc/hosts for the programs run in NS
# (ip-netns(8) bind-mounts /etc/netns/NAME/hosts); removed on exit.
HOSTS_DIRS=()
hosts_for() {
	local d
	d=/etc/netns/$(lab_ns "$1")
	shift
	mkdir -p "$d"
	HOSTS_DIRS+=("$d")
	printf '%s\n' "$@" >"$d/hosts"
}
hosts_cleanup() {
	local d
	for d in "${HOSTS_DIRS[@]}"; do rm -rf "$d"; done
	rmdir /etc/netns 2>/dev/null || true
}

lab_init
trap 'hosts_cleanup; lab_cleanup' EXIT
pl_init "$build" # PKI, network key, host rdv with the IPv4 rendezvous
lab_public_host6 rdv 2001:db8:ffff::1
lab_public_host p6 203.0.113.30
lab_public_host6 p6 2001:db8:ffff::30
lab_router ra eim 203.0.113.11 10.1.0
lab_router6 ra firewall6
lab_host s1 ra
s1_6=$LAB_ADDR6
lab_router rb eim 203.0.113.12 10.2.0
lab_router6 rb firewall6
lab_host c1 rb
c1_6=$LAB_ADDR6
lab_router rc eim 203.0.113.13 10.3.0
lab_router6 rc nat66
lab_host n1 rc
lab_router rd none 203.0.113.14 10.4.0
lab_router6 rd open6
lab_host o1 rd
o1_6=$LAB_ADDR6
lab_bg rdv rdv6 "$RDV" --network-key "$LAB_DIR/net.key" --listen "[2001:db8:ffff::1]:3478" \
	--foreground >/dev/null
RDV6="[2001:db8:ffff::1]"

# ---- the firewall drops unsolicited inbound IPv6 ----
udp6_listen s1 6001 3
lpid=${LAB_PIDS[-1]}
sleep 0.3
udp6_send p6 7001 "$s1_6" 6001
wait "$lpid" || true
if grep -qx nothing "$LAB_DIR/listen-s1-6001.log"; then
	ok "firewall6 drops unsolicited inbound: p6 -> [$s1_6]:6001 did not arrive"
else bad "firewall6 let an unsolicited datagram in: $(cat "$LAB_DIR/listen-s1-6001.log")"; fi
udp6_listen o1 6001 3 # the control: the same datagram, no firewall
lpid=${LAB_PIDS[-1]}
sleep 0.3
udp6_send p6 7001 "$o1_6" 6001
wait "$lpid" || true
if grep -qx arrived "$LAB_DIR/listen-o1-6001.log"; then
	ok "open6 (control): the same datagram reaches [$o1_6] behind an unfiltered router"
else bad "open6: an unsolicited datagram did not arrive: $(cat "$LAB_DIR/listen-o1-6001.log")"; fi
udp6_send s1 6002 2001:db8:ffff::30 7002
udp6_listen s1 6002 3
lpid=${LAB_PIDS[-1]}
sleep 0.3
udp6_send p6 7002 "$s1_6" 6002
wait "$lpid" || true
if grep -qx arrived "$LAB_DIR/listen-s1-6002.log"; then
	ok "firewall6 passes the answer of a flow s1 opened"
else bad "firewall6 dropped an established flow's answer"; fi

# ---- natt-probe ----
common=(--network-key "$LAB_DIR/net.key" --ca "$LAB_DIR/pki/ca.crt")
server_opts=("${common[@]}" --cert "$LAB_DIR/pki/server.crt" --key "$LAB_DIR/pki/server.key"
	--port 5000)
client_opts=("${common[@]}" --cert "$LAB_DIR/pki/client.crt" --key "$LAB_DIR/pki/client.key")
mkdir -p "$LAB_DIR/runs"

# probe HOST LOG ARGS...: one client run; its result line on stdout.
probe() {
	local host=$1 log=$2
	shift 2
	lab_exec "$host" "$PROBE" client "${client_opts[@]}" "$@" 2>"$LAB_DIR/runs/$log.err" |
		tee "$LAB_DIR/runs/$log.out" | grep -m1 '^result=' || true
}

show_run() {
	sed 's/^/    | /' "$LAB_DIR/runs/$1.out"
	grep -E ' [13] |attempt|failed|selected' "$LAB_DIR/runs/$1.err" | tail -n 12 |
		sed 's/^/    | /'
}

# registered LOG REGEX: the server's registration line matches, within 10 s.
registered() { pl_wait "$1" "^registered rendezvous=$2" 10; }

lab_bg s1 srv6 "$PROBE" server --name office6 --rendezvous "$RDV6" "${server_opts[@]}" >/dev/null
lab_bg n1 srv66 "$PROBE" server --name office66 --rendezvous "$RDV6" "${server_opts[@]}" \
	>/dev/null
lab_bg s1 srvdual "$PROBE" server --name dual --rendezvous 203.0.113.2 "${server_opts[@]}" \
	--port 5001 >/dev/null
if registered "$LAB_DIR/srv6.log" '\[2001:db8:ffff::1\]:3478 observed=\[2001:db8:1::2\]:5000'
then
	ok "server registered over IPv6: $(grep -m1 '^registered' "$LAB_DIR/srv6.log")"
else bad "no IPv6 registration: $(tail -n 3 "$LAB_DIR/srv6.log")"; fi
if grep -q "registering office6 with .*host \[2001:db8:1::2\]:5000" "$LAB_DIR/srv6.log"; then
	ok "$(grep -m1 'registering office6 with' "$LAB_DIR/srv6.log" | cut -c 14-)"
else bad "no IPv6 host candidate registered: $(grep 'registering' "$LAB_DIR/srv6.log")"; fi

# Names: one with A and AAAA goes over IPv4 where the host has an IPv4
# route, over IPv6 where it has none; an AAAA-only name goes over IPv6.
names=("203.0.113.2 rdv.lab" "2001:db8:ffff::1 rdv.lab" "2001:db8:ffff::1 rdv6.lab")
hosts_for s1 "${names[@]}"
hosts_for o1 "${names[@]}"
lab_exec o1 ip route del default # o1: IPv6 only beyond its LAN
lab_bg s1 name-dual "$PROBE" server --name by-name --rendezvous rdv.lab "${server_opts[@]}" \
	--port 5003 >/dev/null
lab_bg s1 name-v6 "$PROBE" server --name by-name6 --rendezvous rdv6.lab "${server_opts[@]}" \
	--port 5004 >/dev/null
lab_bg o1 name-v6only "$PROBE" server --name by-name-o1 --rendezvous rdv.lab \
	"${server_opts[@]}" --port 5005 >/dev/null
if registered "$LAB_DIR/name-dual.log" '203\.0\.113\.2:3478 ' &&
	registered "$LAB_DIR/name-v6.log" '\[2001:db8:ffff::1\]:3478 ' &&
	registered "$LAB_DIR/name-v6only.log" '\[2001:db8:ffff::1\]:3478 '; then
	ok "rendezvous by name: rdv.lab (A+AAAA) over IPv4 from s1, over IPv6 from o1" \
		"(no IPv4 route); rdv6.lab (AAAA only) over IPv6"
else bad "rendezvous names: $(grep -h '^registered\|rdv' "$LAB_DIR"/name-*.log | head -n 6)"; fi

# (a) two stateful firewalls, IPv6 only on the way
good=0 times=""
for ((i = 1; i <= RUNS; i++)); do
	res=$(probe c1 "fw6-$i" --server-name office6 --rendezvous "$RDV6" --count 5 --timeout 15)
	if [[ $res == result=direct* && $(field remote "$res") == "[$s1_6]:5000" &&
		$(field local "$res") == "[$c1_6]:"* ]]; then
		good=$((good + 1))
		times="$times $(field validated_ms "$res")"
	else
		echo "  run $i: ${res:-no result line}"
		show_run "fw6-$i"
	fi
done
if [ "$good" -eq "$RUNS" ]; then
	ok "firewall6/firewall6: $good/$RUNS direct over IPv6 [$c1_6] -> [$s1_6]:5000" \
		"(validated after ms:$times)"
else bad "firewall6/firewall6: $good/$RUNS direct over IPv6"; fi

# NAT66 on the server's side: reached at the address its NAT maps it to
if registered "$LAB_DIR/srv66.log" '\[2001:db8:ffff::1\]:3478 observed=\[2001:db8:ffff::13\]:'; then
	res=$(probe c1 nat66 --server-name office66 --rendezvous "$RDV6" --count 5 --timeout 15)
	if [[ $res == result=direct* && $(field remote "$res") == "[2001:db8:ffff::13]:"* ]]; then
		ok "nat66: direct to the mapped address $(field remote "$res")"
	else bad "nat66: ${res:-no result}"; show_run nat66; fi
else bad "nat66: no registration: $(tail -n 3 "$LAB_DIR/srv66.log")"; fi

# (c) dual stack: the rendezvous over IPv4, both families available
if registered "$LAB_DIR/srvdual.log" '203\.0\.113\.2:3478 observed=203\.0\.113\.11:5001'; then
	res=$(probe c1 dual --server-name dual --rendezvous 203.0.113.2 --count 5 --timeout 15)
	why=$(grep -m1 -o 'path selected: .*' "$LAB_DIR/runs/dual.err" || true)
	if [[ $res == result=direct* && $(field remote "$res") == "[$s1_6]:5001" ]]; then
		ok "dual stack: IPv6 chosen, $(field local "$res") -> $(field remote "$res")" \
			"($why): host-host IPv6 outranks IPv4 through the NAT's srflx" \
			"(RFC 8445 type preference; at equal type RFC 8421 ranks IPv6 first)"
	else bad "dual stack: ${res:-no result}"; show_run dual; fi
	lab_exec rb nft insert rule inet lab forward_f meta nfproto ipv6 drop
	res=$(probe c1 dual-v4 --server-name dual --rendezvous 203.0.113.2 --count 5 --timeout 15)
	lab_exec rb nft delete rule inet lab forward_f handle "$(lab_exec rb nft -a list chain \
		inet lab forward_f | awk '/meta nfproto ipv6 drop/ && !/iifname/ { print $NF }')"
	if [[ $res == result=direct* && $(field remote "$res") == 203.0.113.11:5001 ]]; then
		ok "dual stack, IPv6 dropped at c1's router: IPv4 instead, to $(field remote "$res")"
	else bad "dual stack without IPv6: ${res:-no result}"; show_run dual-v4; fi
else bad "dual stack: no registration: $(tail -n 3 "$LAB_DIR/srvdual.log")"; fi

# ---- (b) OpenVPN with the plugin, the rendezvous given as [2001:db8:ffff::1]:3478 ----
PL_RDV=$RDV6 # pl_server and pl_client write "rendezvous $PL_RDV:3478"
# IPv6 paths only where OpenVPN's packets fit them whole: 1394 on 1500
# (with 1400 the plugin stays on IPv4 and says so: test_plugin.sh)
PL_TUN_MTU=1394
pl_server s1
if pl_wait "$LAB_DIR/server.log" 'Initialization Sequence Completed' 15 &&
	pl_wait "$LAB_DIR/server.log" 'registered with rendezvous' 10; then
	ok "plugin server registered: $(grep -m1 'registered with rendezvous' \
		"$LAB_DIR/server.log" | cut -d' ' -f3-)"
else bad "plugin server: $(grep -i 'natt\|error' "$LAB_DIR/server.log" | tail -n 5)"; fi
pl_wire_segments s1 c1 # the capture on rb's WAN shows what a wire would carry
cap=$LAB_DIR/wan6.pcapng
pl_capture_start rb wan "$cap" || bad "capture on rb's WAN did not start"
pl_client c1 c1
if pl_wait "$LAB_DIR/c1.log" 'Initialization Sequence Completed' 40; then
	ok "plugin client c1: tunnel up"
else bad "plugin client c1: no tunnel: $(grep -i 'natt\|error' "$LAB_DIR/c1.log" | tail -n 5)"; fi
ip=$(lab_exec c1 ip -4 -o addr show dev tun0 2>/dev/null | awk '{print $4}' | cut -d/ -f1)
if [ -n "$ip" ] && pl_ping c1 10.8.0.1; then ok "c1 -> server ping through the tunnel"
else bad "c1 -> server ping failed"; fi
if [ -n "$ip" ] && pl_ping s1 "$ip"; then ok "server -> c1 ($ip) ping through the tunnel"
else bad "server -> c1 ping failed"; fi
# a full-size tunnel packet crosses the IPv6 path whole
if [ -n "$ip" ] && lab_exec c1 ping -c 3 -W 2 -M do -s $((1394 - 28)) -q 10.8.0.1 >/dev/null; then
	ok "c1 -> server: full-size (1394-byte) packets through the tunnel"
else bad "c1 -> server: full-size packets do not pass"; fi
pl_capture_stop
frags=$("$tshark" -n -r "$cap" -Y 'ipv6.fragment || ipv6.nxt == 44' 2>/dev/null | wc -l)
[ "$frags" = 0 ] && ok "no IPv6 fragment on the WAN (tun-mtu 1394, path-mtu 1500)" ||
	bad "$frags IPv6 fragments on the WAN"

# natt-inspect reads the IPv6 capture: the lookup reply's candidates (the
# server's IPv6 host address, in brackets), and every check passes
set +e
"$INSPECT" --json -v -r "$cap" --network-key "$LAB_DIR/net.key" >"$LAB_DIR/inspect.json" \
	2>"$LAB_DIR/inspect.err"
rc=$?
set -e
want="\"host \\[${s1_6}\\]:[0-9]+\""
seen="\"observed\": \"srflx \\[${c1_6}\\]:[0-9]+\""
if [ "$rc" = 0 ] && grep -Eq "$want" "$LAB_DIR/inspect.json" &&
	grep -Eq "$seen" "$LAB_DIR/inspect.json"; then
	ok "natt-inspect: every check passes; the lookup reply decoded with" \
		"$(grep -Eo "$want" "$LAB_DIR/inspect.json" | head -n 1)," \
		"$(grep -Eo "$seen" "$LAB_DIR/inspect.json" | head -n 1)"
else bad "natt-inspect exit $rc: $(head -c 300 "$LAB_DIR/inspect.err")"; fi
peer_re="^PEER,c1,127\.0\.0\.1:[0-9]*,\[${c1_6//./\\.}\]:[0-9]*,direct,up,"
if pl_wait "$LAB_DIR/server.status" "$peer_re" 5; then
	ok "status: $(grep '^PEER,c1' "$LAB_DIR/server.status")"
else bad "status file: $(head -n 8 "$LAB_DIR/server.status" 2>&1)"; fi
if grep -q "peer c1 up: OpenVPN sees it as 127.0.0.1:[0-9]*, real address \[$c1_6\]:" \
	"$LAB_DIR/server.log"; then
	ok "log: $(grep -m1 'peer c1 up' "$LAB_DIR/server.log" | cut -d' ' -f3-)"
else bad "no peer-up line with c1's IPv6 address: $(grep 'peer c1' "$LAB_DIR/server.log")"; fi

echo "test_ipv6: $pass passed, $fail failed in $(($(date +%s) - t_start)) s"
[ "$fail" -eq 0 ]
