# lab.sh: build a NAT lab out of network namespaces (sourced by e2e tests).
#
#            public segment 203.0.113.0/24 (a bridge in namespace <P>pub)
#     .2 rdv host      .11 router A (WAN)      .12 router B (WAN)  ...
#                          | LAN 10.1.0.0/24         | LAN 10.2.0.0/24
#                       hosts .2, .3 ...          hosts .2, .3 ...
#
# Routers NAT their LAN to their WAN address with nftables:
#   eim   masquerade         (endpoint-independent mapping: the source port is
#                             kept when free, so one socket has one mapping)
#   edm   masquerade random  (endpoint-dependent mapping: a new random port for
#                             every new destination, a "symmetric" NAT)
#   none  plain routing, no NAT (the host is public)
# and are stateful: inbound only for established/related flows, no port
# forwarding, and drop new inbound connections to themselves (a home
# router's WAN firewall).  Loss on a WAN link: lab_loss ROUTER PERCENT (nft numgen).
#
# IPv6, opt-in (dual stack: callers that do not ask for it see no change):
#
#   public segment 2001:db8:ffff::/64 on the same bridge; routers' WAN
#   2001:db8:ffff::<last octet of the IPv4 WAN address>; LAN 10.N.0.0/24
#   gets 2001:db8:N::/64 (hosts 2001:db8:N::<index>, as in IPv4), routed
#   from the public segment (no NAT66), or fd00:N::/64 behind nat66.
#
#   lab_public_host6 NAME ADDR6   IPv6 for a public host of lab_public_host
#   lab_router6 NAME KIND6        IPv6 for a router of lab_router; KIND6:
#     firewall6  stateful: from the WAN only established/related flows,
#                nothing unsolicited (every home router's IPv6 default)
#     nat66      firewall6 plus masquerade to the WAN address (the source
#                port kept when free: endpoint-independent, like eim)
#     open6      routed, unfiltered (the hosts are public)
#   lab_host then gives every host behind such a router an IPv6 address too,
#   left in LAB_ADDR6.  The IPv4 kind (eim, edm, none) is untouched.
#
# Rules (DESIGN.md 6): namespaces are linked only to each other, never to the
# root namespace or a real interface; every name starts with a per-run
# prefix; lab_cleanup (installed as an EXIT trap by lab_init) removes exactly
# what this run made and kills only the processes it started.

LAB_PREFIX=
LAB_PIDS=()
LAB_NS=()
LAB_DIR=
LAB_PUB6=()    # nodes with an address on the IPv6 public segment
LAB_ROUTES6=() # "PREFIX GATEWAY": routed LAN prefixes, for each of them

lab_die() { echo "lab: $*" >&2; exit 1; }

# A test's checks: ok/bad print one line each and count; the test ends with
# its own summary line and `[ "$fail" -eq 0 ]`.
pass=0 fail=0
ok() { echo "ok: $*"; pass=$((pass + 1)); }
bad() { echo "FAIL: $*"; fail=$((fail + 1)); }

# lab_init: unique prefix, scratch dir, cleanup trap.
lab_init() {
	[ "$(id -u)" -eq 0 ] || lab_die "needs root (network namespaces)"
	command -v nft >/dev/null || lab_die "nft not found: apt-get install nftables"
	LAB_PREFIX="n$(printf '%04x' $(( ($$ ^ RANDOM) & 0xffff )))"
	LAB_DIR=$(mktemp -d "/tmp/natt-lab.$LAB_PREFIX.XXXXXX")
	LAB_MAIN=$BASHPID
	trap lab_cleanup EXIT
	trap 'exit 130' INT TERM
	lab_ns_add pub
	lab_exec pub ip link add br0 type bridge
	lab_exec pub ip link set br0 up
	LAB_NEXT_PUB=20
}

lab_ns() { echo "${LAB_PREFIX}$1"; }

lab_ns_add() {
	local ns; ns=$(lab_ns "$1")
	ip netns add "$ns" || lab_die "cannot create namespace $ns"
	LAB_NS+=("$ns")
	ip -n "$ns" link set lo up
}

lab_exec() { local n=$1; shift; ip netns exec "$(lab_ns "$n")" "$@"; }

# lab_bg NS LOGNAME CMD...: start a process in NS, remember its pid.
lab_bg() {
	local n=$1 log=$2; shift 2
	ip netns exec "$(lab_ns "$n")" "$@" >"$LAB_DIR/$log.log" 2>&1 &
	LAB_PIDS+=($!)
	echo $!
}

# lab_link NS1 IF1 NS2 IF2: a veth pair between two lab namespaces.
lab_link() {
	ip link add "$2" netns "$(lab_ns "$1")" type veth peer name "$4" netns "$(lab_ns "$3")" ||
		lab_die "cannot link $1/$2 - $3/$4"
	lab_exec "$1" ip link set "$2" up
	lab_exec "$3" ip link set "$4" up
}

# lab_public_host NAME ADDR: a host directly on the public segment.
lab_public_host() {
	local name=$1 addr=$2 n=$((LAB_NEXT_PUB++))
	lab_ns_add "$name"
	lab_link "$name" eth0 pub "p$n"
	lab_exec pub ip link set "p$n" master br0
	lab_exec "$name" ip addr add "$addr/24" dev eth0
}

# lab_router NAME TYPE WAN_ADDR LAN_NET (e.g. 10.1.0): a NAT router.
lab_router() {
	local name=$1 type=$2 wan=$3 lan=$4 n=$((LAB_NEXT_PUB++))
	lab_ns_add "$name"
	lab_link "$name" wan pub "p$n"
	lab_exec pub ip link set "p$n" master br0
	lab_exec "$name" ip addr add "$wan/24" dev wan
	lab_exec "$name" ip link add lan type bridge
	lab_exec "$name" ip link set lan up
	lab_exec "$name" ip addr add "$lan.1/24" dev lan
	lab_exec "$name" sysctl -qw net.ipv4.ip_forward=1
	local masq
	case $type in
	eim) masq="masquerade" ;;
	edm) masq="masquerade random" ;;
	none) masq="" ;;
	*) lab_die "router type $type: want eim, edm or none" ;;
	esac
	{
		echo "table inet lab {"
		echo " chain forward_f { type filter hook forward priority 0; policy drop;"
		echo "  ct state established,related accept"
		echo "  iifname \"lan\" accept"
		[ "$type" = none ] && echo "  oifname \"lan\" accept"
		echo " }"
		# New inbound connections to the router itself are dropped, as a
		# home router's WAN firewall does.  Otherwise a peer's probe that
		# reaches the router before our own outbound probe leaves a
		# conntrack entry for the router, masquerade then gives our probe
		# another source port, and no hole-punched path forms.
		echo " chain input_f { type filter hook input priority 0; policy accept;"
		echo "  iifname \"wan\" ct state new drop"
		echo " }"
		echo " chain wan_in { type filter hook prerouting priority -300; }"
		if [ -n "$masq" ]; then
			echo " chain nat_post { type nat hook postrouting priority 100;"
			echo "  oifname \"wan\" $masq"
			echo " }"
		fi
		echo "}"
	} >"$LAB_DIR/$name.nft"
	lab_exec "$name" nft -f "$LAB_DIR/$name.nft" || lab_die "nft rules for $name failed"
	eval "LAB_WAN_$name=$wan LAB_LAN_$name=$lan LAB_NEXTHOST_$name=2"
}

# lab_host NAME ROUTER: a host on ROUTER's LAN; its address is left in
# LAB_ADDR (not printed: a command substitution would run in a subshell and
# lose the bookkeeping that cleanup relies on).
lab_host() {
	local name=$1 router=$2 lan wan idx
	eval "lan=\$LAB_LAN_$router idx=\$LAB_NEXTHOST_$router"
	eval "LAB_NEXTHOST_$router=$((idx + 1))"
	lab_ns_add "$name"
	lab_link "$name" eth0 "$router" "h$idx"
	lab_exec "$router" ip link set "h$idx" master lan
	lab_exec "$name" ip addr add "$lan.$idx/24" dev eth0
	lab_exec "$name" ip route add default via "$lan.1"
	LAB_ADDR="$lan.$idx"
	LAB_ADDR6=
	local lan6
	eval "lan6=\${LAB_LAN6_$router:-}"
	[ -n "$lan6" ] || return 0
	lab_exec "$name" ip -6 addr add "$lan6::$idx/64" dev eth0 nodad
	lab_exec "$name" ip -6 route add default via "$lan6::1"
	LAB_ADDR6="$lan6::$idx"
}

# lab_pub6_join NAME: NAME is on the IPv6 public segment: it learns every
# routed LAN prefix.
lab_pub6_join() {
	local r
	for r in "${LAB_ROUTES6[@]}"; do
		lab_exec "$1" ip -6 route add "${r% *}/64" via "${r#* }"
	done
	LAB_PUB6+=("$1")
}

lab_public_host6() {
	lab_exec "$1" ip -6 addr add "$2/64" dev eth0 nodad || lab_die "cannot give $1 $2"
	lab_pub6_join "$1"
}

# lab_router6 NAME KIND6: see the top of this file.
lab_router6() {
	local name=$1 kind=$2 wan lan n wan6 lan6 node
	eval "wan=\${LAB_WAN_$name:-} lan=\${LAB_LAN_$name:-}"
	[ -n "$wan" ] || lab_die "lab_router6 $name: no such router (lab_router first)"
	n=${lan#*.}
	n=${n%%.*}
	wan6="2001:db8:ffff::${wan##*.}"
	case $kind in
	firewall6 | open6) lan6="2001:db8:$n" ;;
	nat66) lan6="fd00:$n" ;;
	*) lab_die "router kind $kind: want firewall6, nat66 or open6" ;;
	esac
	lab_exec "$name" sysctl -qw net.ipv6.conf.all.forwarding=1
	lab_exec "$name" ip -6 addr add "$wan6/64" dev wan nodad
	lab_exec "$name" ip -6 addr add "$lan6::1/64" dev lan nodad
	lab_router6_rules "$name" "$kind"
	lab_pub6_join "$name"
	if [ "$kind" != nat66 ]; then
		for node in "${LAB_PUB6[@]}"; do
			[ "$node" = "$name" ] ||
				lab_exec "$node" ip -6 route add "$lan6::/64" via "$wan6"
		done
		LAB_ROUTES6+=("$lan6:: $wan6")
	fi
	eval "LAB_WAN6_$name=$wan6 LAB_LAN6_$name=$lan6"
}

# The IPv6 rules go first in lab_router's chains, so that its IPv4 kind
# (its masquerade, "none"'s open forwarding) never applies to IPv6.
lab_router6_rules() {
	local name=$1 kind=$2 nat="accept"
	[ "$kind" = nat66 ] && nat="oifname \"wan\" masquerade"
	lab_exec "$name" nft add chain inet lab nat_post \
		"{ type nat hook postrouting priority 100; }"
	lab_exec "$name" nft insert rule inet lab nat_post meta nfproto ipv6 $nat
	if [ "$kind" = open6 ]; then
		lab_exec "$name" nft insert rule inet lab forward_f meta nfproto ipv6 accept
		return
	fi
	# inserted in reverse: established/related accepted, the rest from the
	# WAN dropped, before any rule of the IPv4 kind
	lab_exec "$name" nft insert rule inet lab forward_f meta nfproto ipv6 iifname "wan" drop
	lab_exec "$name" nft insert rule inet lab forward_f meta nfproto ipv6 iifname "wan" \
		ct state established,related accept
}

# lab_loss ROUTER PERCENT: drop PERCENT% of packets entering the router's WAN
# in both directions (numgen, since tc netem is not available here).
lab_loss() {
	local r=$1 pct=$2 match
	match="numgen random mod 100 lt $pct"
	[ "$pct" -ge 100 ] && match=""
	lab_exec "$r" nft add rule inet lab wan_in iifname "wan" $match drop
	lab_exec "$r" nft add chain inet lab wan_out "{ type filter hook postrouting priority 300; }"
	lab_exec "$r" nft add rule inet lab wan_out oifname "wan" $match drop
}

# lab_flush ROUTER: forget every NAT mapping (as a router reboot would).
lab_flush() {
	lab_exec "$1" conntrack -F >/dev/null 2>&1 || lab_die "conntrack -F failed in $1"
}

lab_cleanup() {
	local pid ns
	# Only the test's own shell cleans up.  A background child of lab_bg
	# killed in the instant before it execs is still a copy of this shell
	# with its traps: it must not tear down the lab of the running test.
	[ "$BASHPID" = "${LAB_MAIN:-}" ] || return 0
	for pid in "${LAB_PIDS[@]}"; do
		kill "$pid" 2>/dev/null || true
	done
	for pid in "${LAB_PIDS[@]}"; do
		wait "$pid" 2>/dev/null || true
	done
	# Processes our processes started (the plugin's helper, dumpcap) live
	# in our namespaces too: every process in a namespace of this run is
	# ours, so end them before the namespaces and the scratch directory go.
	for ns in "${LAB_NS[@]}"; do
		ip netns pids "$ns" 2>/dev/null | xargs -r kill 2>/dev/null || true
	done
	for ns in "${LAB_NS[@]}"; do
		for _ in 1 2 3 4 5 6 7 8 9 10; do
			[ -z "$(ip netns pids "$ns" 2>/dev/null)" ] && break
			sleep 0.2
		done
		ip netns pids "$ns" 2>/dev/null | xargs -r kill -9 2>/dev/null || true
		ip netns del "$ns" 2>/dev/null || true
	done
	LAB_PIDS=()
	LAB_NS=()
	[ -n "${LAB_KEEP:-}" ] || rm -rf "$LAB_DIR" || true
}
