# wanem.sh: one-way delay on a lab router's WAN link (sourced after lab.sh),
# since tc netem is not available here (DESIGN.md 6).
#
#   wan_delay ROUTER MS [WANEM_ARGS...]
#
# lab_router links ROUTER's "wan" to a port pN of namespace pub's bridge br0.
# wan_delay moves pN into a new lab namespace <ROUTER>wan, links that
# namespace to br0 with a fresh veth (wN on the bridge), and runs wanem
# (tests/e2e/wanem.c) between the two ports:
#
#   ROUTER: wan ==== rtr [ <ROUTER>wan: wanem --delay MS ] pub ==== wN :br0 (pub)
#
# Both directions get MS, so a path through routers A and B has an RTT of
# 2 * (MS_A + MS_B).  WANEM_ARGS (--jitter MS, --queue N) go to wanem.
# lab_ns_add and lab_bg do the bookkeeping, so lab_cleanup stops wanem
# (SIGTERM: its counters go to $WANEM_STATS_DIR/wanem-ROUTER.stats, default
# $LAB_DIR) and removes the namespace.  lab_loss and tc on ROUTER's wan work
# as before: that interface stays where it was.
#
# wanem is $WANEM if set, else $build/tests/e2e/wanem (the calling test's
# BUILDDIR; make check builds it).
#
# Offloads: a veth hands a sender's GSO super-frame (a TCP or UDP-GSO burst
# of up to 64 KB) to its peer whole, and wanem can only send wire-sized frames
# (it drops and counts the rest: without this, TCP through it collapses to a
# few hundred kbit/s).  So every veth end around wanem gets gso_max_segs 1:
# the kernel then segments any multi-segment skb, of any GSO type, in software
# before the veth takes it (checked on this kernel, 6.18: no super-frame
# reaches wanem, TCP runs at > 1 Gbit/s through a 0 ms box).  That needs only
# iproute2, not ethtool.  GRO, the other source of super-frames, is off on a
# veth unless XDP or ethtool turns it on; wanem's counter dropped_size (which
# test_wanem.sh asserts is 0) would show it.

# wan_segs NS IF: IF hands over no multi-segment skb.
wan_segs() {
	lab_exec "$1" ip link set dev "$2" gso_max_segs 1 || lab_die "wan_delay: gso_max_segs on $2 in $1"
}

# wan_pub_port ROUTER: the pub port that ROUTER's wan is linked to; empty if
# wan's peer is not in pub (already delayed).  Interface indexes are per
# namespace, so the peer's index means something only when its namespace is pub.
wan_pub_port() {
	local line peer
	line=$(lab_exec "$1" ip -o link show dev wan) || lab_die "wan_delay: $1 has no wan"
	[[ $line =~ link-netns\ $(lab_ns pub)( |$) ]] || return 0
	peer=$(lab_exec "$1" cat /sys/class/net/wan/iflink)
	lab_exec pub ip -o link show | awk -F': ' -v i="$peer" '$1 == i { sub(/@.*/, "", $2); print $2 }'
}

wan_delay() {
	local r=$1 ms=$2 bin=${WANEM:-${build:-}/tests/e2e/wanem} port n ns i
	shift 2
	[ -x "$bin" ] || lab_die "wan_delay: no wanem at '$bin' (set WANEM, or make check first)"
	port=$(wan_pub_port "$r")
	[ -n "$port" ] || lab_die "wan_delay: no pub port for $r's wan (delayed twice?)"
	ns="${r}wan"
	n=${port#p}
	lab_ns_add "$ns"
	# wanem's ports carry frames, not addresses: no IPv6 chatter of their own
	lab_exec "$ns" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
	lab_exec pub ip link set "$port" nomaster
	lab_exec pub ip link set "$port" netns "$(lab_ns "$ns")"
	lab_exec "$ns" ip link set "$port" name rtr
	lab_exec "$ns" ip link set rtr up
	lab_link "$ns" pub pub "w$n"
	lab_exec pub ip link set "w$n" master br0
	wan_segs "$r" wan
	wan_segs pub "w$n"
	wan_segs "$ns" rtr
	wan_segs "$ns" pub
	lab_bg "$ns" "wanem-$r" "$bin" rtr pub --delay "$ms" \
		--stats "${WANEM_STATS_DIR:-$LAB_DIR}/wanem-$r.stats" "$@" >/dev/null
	for ((i = 0; i < 50; i++)); do
		grep -q '^wanem: forwarding' "$LAB_DIR/wanem-$r.log" 2>/dev/null && return 0
		kill -0 "${LAB_PIDS[-1]}" 2>/dev/null || break
		sleep 0.1
	done
	cat "$LAB_DIR/wanem-$r.log" >&2
	lab_die "wan_delay: wanem for $r did not start"
}
