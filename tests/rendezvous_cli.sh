#!/bin/sh
# rendezvous_cli.sh: natt-rendezvous as an operator meets it on the command
# line, without namespaces: --help, --version, --genkey (twice: the second
# refuses), bad options (status 2), bad configuration lines (file:line,
# status 1), and one short foreground run on 127.0.0.1 (any free port)
# answering a STUN request, writing its status file on SIGUSR1 and leaving
# on SIGTERM with status 0 and its pid file removed.
set -eu
RDV=${RDV:-tools/natt-rendezvous}
RDVCLIENT=${RDVCLIENT:-tests/e2e/rdvclient}
dir=$(mktemp -d)
pid=
cleanup() {
	[ -z "$pid" ] || kill "$pid" 2>/dev/null || true
	rm -rf "$dir"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
pass=0
fail() { echo "FAIL: $*"; exit 1; }
ok() { pass=$((pass + 1)); }

# expect STATUS PATTERN CMD...: CMD exits with STATUS and its stderr (or
# stdout) matches the extended regular expression PATTERN.
expect() {
	want=$1 pat=$2
	shift 2
	set +e
	"$@" >"$dir/out" 2>"$dir/err"
	got=$?
	set -e
	[ "$got" = "$want" ] || fail "$*: status $got, want $want; stderr: $(cat "$dir/err")"
	cat "$dir/out" "$dir/err" | grep -Eq -- "$pat" ||
		fail "$*: no '$pat' in: $(cat "$dir/out" "$dir/err")"
	ok
}

# conf TEXT: a configuration file; expect_conf STATUS PATTERN TEXT.
conf() { printf '%b' "$1" >"$dir/rdv.conf"; }
expect_conf() { conf "$3"; expect "$1" "$2" "$RDV" --config "$dir/rdv.conf" --foreground; }

expect 0 '^usage: natt-rendezvous' "$RDV" --help
expect 0 '--listen ADDR\[:PORT\]' "$RDV" --help
expect 0 '^natt-rendezvous \(openvpn-natt\) [0-9]+\.[0-9]+' "$RDV" --version

# --genkey: mode 0600, a network key; a second time it refuses, untouched.
expect 0 'network id [0-9a-f]{16}' "$RDV" --genkey "$dir/net.key"
[ "$(stat -c %a "$dir/net.key")" = 600 ] || fail "key mode $(stat -c %a "$dir/net.key")"
grep -qx 'natt-network-key v1' "$dir/net.key" || fail "not a network key"
before=$(cat "$dir/net.key")
expect 1 'refusing to overwrite' "$RDV" --genkey "$dir/net.key"
[ "$before" = "$(cat "$dir/net.key")" ] || fail "--genkey changed an existing key"
expect 0 'network id' "$RDV" --genkey "$dir/net2.key"
expect 0 'rendezvous key' "$RDV" --export-rendezvous-key "$dir/net2.key" "$dir/rdv.key"
grep -qx 'natt-rendezvous-key v1' "$dir/rdv.key" || fail "not a rendezvous key"
expect 1 'is a rendezvous key already' "$RDV" --export-rendezvous-key "$dir/rdv.key" "$dir/x"

# Bad command lines: one line, status 2.
expect 2 'unknown option --bogus' "$RDV" --bogus
expect 2 'unexpected argument' "$RDV" listen
expect 2 '--listen takes arguments' "$RDV" --listen
expect 2 "--listen: 'nohost' is not a numeric" "$RDV" --listen nohost:3478
expect 2 '--listen: .*want ADDRESS' "$RDV" --listen 1.2.3.4:99999
expect 2 '--verb: .*from 0 to 11' "$RDV" --verb 12
expect 2 '--foreground takes no arguments' "$RDV" --foreground=yes
expect 1 'no network to serve' "$RDV" --foreground
expect 1 'no such user' "$RDV" --network-key "$dir/net.key" --user no-such-user-x --foreground
[ "$(grep -c . "$dir/err")" = 1 ] || fail "more than one line: $(cat "$dir/err")"

# Bad configuration files: file:line, status 1.
expect_conf 1 'rdv.conf:3: unknown directive .lisen.' '# comment\n\nlisen 0.0.0.0\n'
expect_conf 1 'rdv.conf:2: no closing quotation' 'verb 3\nnetwork "a b\n'
expect_conf 1 'rdv.conf:1: network takes arguments: NAME KEYFILE' 'network a\n'
expect_conf 1 'rdv.conf:1: max-registrations: .*not a number' 'max-registrations lots\n'
expect_conf 1 "rdv.conf:1: command-line option not allowed here: 'genkey'" 'genkey x\n'
expect_conf 1 "rdv.conf:2: network: network 'a' is already defined \(.*rdv.conf:1\)" \
	"network a $dir/net.key\nnetwork a $dir/net.key\n"
expect_conf 1 'rdv.conf:1: network b: .*missing.key: No such file' "network b $dir/missing.key\n"
expect_conf 1 'rdv.conf:2: network c has the key of network a' \
	"network a $dir/net.key\nnetwork c $dir/net.key\nforeground\n"
expect_conf 1 'listen \[::\]:3478 serves IPv4 too' \
	"network a $dir/net.key\nlisten [::]:3478\nlisten 0.0.0.0:3478\n"
expect_conf 1 'group g without user' "network a $dir/net.key\ngroup g\n"
expect 1 'nothere.conf: No such file' "$RDV" --config "$dir/nothere.conf"

# A short run: quoting as OpenVPN's, a STUN answer, SIGUSR1, SIGTERM.
mkdir "$dir/key dir"
cp "$dir/net.key" "$dir/key dir/net.key"
conf "# natt-rendezvous test\nlisten 127.0.0.1:0 ; any free port\n\
network 'lab-net' \"$dir/key dir/net.key\"\nnetwork rdv-only $dir/rdv.key\n\
status \"$dir/status\" 3600\nwritepid $dir/pid\nverb 4\nforeground\n"
"$RDV" --config "$dir/rdv.conf" 2>"$dir/log" &
pid=$!
for _ in $(seq 50); do [ -s "$dir/status" ] && break; sleep 0.1; done
[ -s "$dir/status" ] || fail "no status file: $(cat "$dir/log")"
grep -q '^network lab-net [0-9a-f]\{16\}$' "$dir/status" || fail "status: $(cat "$dir/status")"
[ "$(cat "$dir/pid")" = "$pid" ] || fail "pid file $(cat "$dir/pid"), want $pid"
port=$(sed -n 's/^listen 127\.0\.0\.1:\([0-9]*\)$/\1/p' "$dir/status")
[ -n "$port" ] && [ "$port" != 0 ] || fail "no bound port in the status file"
"$RDVCLIENT" stun "127.0.0.1:$port" --seconds 3 >"$dir/stun" || fail "STUN: $(cat "$dir/stun")"
grep -q '^stun mapped=127\.0\.0\.1:' "$dir/stun" || fail "STUN answer: $(cat "$dir/stun")"
kill -USR1 "$pid"
for _ in $(seq 50); do grep -q '^stun_answers 1$' "$dir/status" && break; sleep 0.1; done
grep -q '^stun_answers 1$' "$dir/status" || fail "SIGUSR1: $(cat "$dir/status")"
ok
kill -TERM "$pid"
set +e
wait "$pid"
rc=$?
set -e
pid=
[ "$rc" = 0 ] || fail "SIGTERM: exit status $rc: $(cat "$dir/log")"
[ ! -e "$dir/pid" ] || fail "pid file left behind"
grep -q 'exiting on SIGTERM' "$dir/log" || fail "no exit line: $(cat "$dir/log")"
grep -q "$(grep -v '^#' "$dir/net.key" | tail -n 1)" "$dir/log" && fail "the key is in the log"
ok

# A full table: refused with one log line per episode, not one per request.
conf "listen 127.0.0.1:0\nnetwork-key $dir/net.key\nmax-registrations 1\n\
status $dir/status3 3600\nforeground\n"
"$RDV" --config "$dir/rdv.conf" 2>"$dir/log3" &
pid=$!
for _ in $(seq 50); do [ -s "$dir/status3" ] && break; sleep 0.1; done
p3=$(sed -n 's/^listen 127\.0\.0\.1:\([0-9]*\)$/\1/p' "$dir/status3")
"$RDVCLIENT" register "$dir/net.key" "127.0.0.1:$p3" one --seconds 1 >"$dir/r1" ||
	fail "first registration: $(cat "$dir/r1")"
for name in two three; do
	"$RDVCLIENT" register "$dir/net.key" "127.0.0.1:$p3" $name --seconds 1 >"$dir/r2" &&
		fail "registered into a full table: $(cat "$dir/r2")"
	grep -q '^reg-failed result=table-full' "$dir/r2" || fail "not told: $(cat "$dir/r2")"
done
kill -TERM "$pid"
wait "$pid" || fail "exit status $?"
pid=
[ "$(grep -c 'registration table full' "$dir/log3")" = 1 ] ||
	fail "table full logged $(grep -c 'registration table full' "$dir/log3") times"
ok

# Detached (the default), with an IPv4 and, when the host has it, an IPv6
# loopback socket: the parent returns 0 once the daemon is ready; a name
# registered over one socket and looked up over the other gets its
# introduction through the socket it registered by.
v6=
grep -q '^00000000000000000000000000000001 ' /proc/net/if_inet6 2>/dev/null && v6=yes
conf "listen 127.0.0.1:0\n${v6:+listen [::1]:0\n}network-key $dir/net.key\n\
status $dir/status2 3600\nwritepid $dir/pid2\nlog $dir/log2\nverb 4\n"
"$RDV" --config "$dir/rdv.conf" 2>"$dir/err" || fail "the daemon did not start: $(cat "$dir/err")"
dpid=$(cat "$dir/pid2")
kill -0 "$dpid" || fail "the daemon is not running"
p4=$(sed -n 's/^listen 127\.0\.0\.1:\([0-9]*\)$/\1/p' "$dir/status2")
p6=$(sed -n 's/^listen \[::1\]:\([0-9]*\)$/\1/p' "$dir/status2")
reg_at=127.0.0.1:$p4
[ -z "$v6" ] || reg_at="[::1]:$p6"
"$RDVCLIENT" register "$dir/net.key" "$reg_at" office --until-intro --seconds 5 >"$dir/reg" &
rpid=$!
for _ in $(seq 50); do grep -q '^registered' "$dir/reg" && break; sleep 0.1; done
"$RDVCLIENT" lookup "$dir/net.key" "127.0.0.1:$p4" office --seconds 3 >"$dir/lk" ||
	fail "lookup: $(cat "$dir/lk")"
wait "$rpid" || fail "no introduction: $(cat "$dir/reg")"
grep -q "^introduced .*observed=127\.0\.0\.1:" "$dir/reg" || fail "introduction: $(cat "$dir/reg")"
ok
if [ -n "$v6" ]; then
	"$RDVCLIENT" stun "[::1]:$p6" --seconds 3 >"$dir/stun6" || fail "STUN over IPv6: $(cat "$dir/stun6")"
	grep -q '^stun mapped=\[::1\]:' "$dir/stun6" || fail "STUN over IPv6: $(cat "$dir/stun6")"
	ok
fi
kill -TERM "$dpid"
for _ in $(seq 50); do kill -0 "$dpid" 2>/dev/null || break; sleep 0.1; done
! kill -0 "$dpid" 2>/dev/null || fail "the daemon did not stop"
[ ! -e "$dir/pid2" ] || fail "the daemon left its pid file"
grep -q 'exiting on SIGTERM' "$dir/log2" || fail "log: $(cat "$dir/log2")"
ok

echo "rendezvous_cli.sh: $pass passed, 0 failed"
