#!/usr/bin/env bash
# test_lab.sh BUILDDIR: the NAT lab keeps its promises before anything
# is tested through it: eim keeps one mapping per socket, edm makes one per
# destination, routers drop unsolicited inbound, "none" routes in the clear,
# the loss rule drops, a flush forgets mappings, and cleanup leaves nothing.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
build=${1:?usage: test_lab.sh BUILDDIR}
udptool="$build/tests/e2e/udptool"
. "$here/lab.sh"

lab_init
prefix=$LAB_PREFIX
lab_public_host r1 203.0.113.2
lab_public_host r2 203.0.113.3
lab_router ra eim 203.0.113.11 10.1.0
lab_router rb edm 203.0.113.12 10.2.0
lab_router rc none 203.0.113.13 10.3.0
lab_host a1 ra
lab_host b1 rb
lab_host c1 rc
c1=$LAB_ADDR
# Public hosts reach the "none" router's LAN through it.
lab_exec r1 ip route add 10.3.0.0/24 via 203.0.113.13
lab_exec r2 ip route add 10.3.0.0/24 via 203.0.113.13

lab_bg r1 refl1 "$udptool" reflect 7000 30 >/dev/null
lab_bg r2 refl2 "$udptool" reflect 7000 30 >/dev/null
sleep 0.3

ports() { awk '{ split($2, a, ":"); print a[2] }'; }
addrs() { awk '{ split($2, a, ":"); print a[1] }'; }

out=$(lab_exec a1 "$udptool" map 5000 203.0.113.2:7000 203.0.113.3:7000) || true
p=($(echo "$out" | ports)); ad=($(echo "$out" | addrs))
if [ "${#p[@]}" -eq 2 ] && [ "${p[0]}" = "${p[1]}" ] && [ "${ad[0]}" = 203.0.113.11 ]; then
	ok "eim: one mapping for two destinations (${ad[0]}:${p[0]})"
else bad "eim mapping: $out"; fi

out=$(lab_exec b1 "$udptool" map 5000 203.0.113.2:7000 203.0.113.3:7000) || true
p=($(echo "$out" | ports)); ad=($(echo "$out" | addrs))
if [ "${#p[@]}" -eq 2 ] && [ "${p[0]}" != "${p[1]}" ] && [ "${ad[0]}" = 203.0.113.12 ]; then
	ok "edm: a new mapping per destination (${p[0]}, ${p[1]})"
else bad "edm mapping: $out"; fi

out=$(lab_exec c1 "$udptool" map 5000 203.0.113.2:7000) || true
if [ "$(echo "$out" | addrs)" = "$c1" ]; then ok "none: the host is seen with its own address"
else bad "none router: $out"; fi

# Unsolicited inbound: r2 writes from a port a1 never contacted to a1's
# mapping; a1 must receive nothing.  Then the reflector's own port (an
# established flow) must get through.
lab_bg a1 listen1 "$udptool" listen 5001 3 >/dev/null
lpid=${LAB_PIDS[-1]}
sleep 0.2
lab_exec r2 "$udptool" send 7100 203.0.113.11:5001 hello || true
if wait "$lpid"; then bad "eim router let an unsolicited datagram in"
else ok "eim router drops unsolicited inbound"; fi

lab_exec a1 "$udptool" send 5002 203.0.113.2:7200 out >/dev/null
lab_bg a1 listen2 "$udptool" listen 5002 3 >/dev/null
lpid=${LAB_PIDS[-1]}
sleep 0.2
lab_exec r1 "$udptool" send 7200 203.0.113.11:5002 back || true
if wait "$lpid"; then ok "eim router passes the established flow's answer"
else bad "eim router dropped an established flow"; fi

# A flush forgets mappings: the answer on the old flow no longer passes.
lab_exec a1 "$udptool" send 5003 203.0.113.2:7300 out >/dev/null
lab_flush ra
lab_bg a1 listen3 "$udptool" listen 5003 2 >/dev/null
lpid=${LAB_PIDS[-1]}
sleep 0.2
lab_exec r1 "$udptool" send 7300 203.0.113.11:5003 back || true
if wait "$lpid"; then bad "flushed mapping still passes"
else ok "conntrack flush forgets the mapping"; fi

# Loss: 100% loss on rb's WAN: b1 can no longer reach a reflector.
lab_loss rb 100
if lab_exec b1 "$udptool" map 5004 203.0.113.2:7000 >/dev/null; then bad "100% loss rule let traffic through"
else ok "nft numgen loss rule drops"; fi

lab_cleanup
trap - EXIT
left=$(ip netns list | grep -c "^$prefix" || true)
if [ "$left" -eq 0 ]; then ok "cleanup removed every namespace of the run"
else bad "$left namespaces left behind"; fi

echo "test_lab: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
