#!/bin/sh
# migrate.sh: natt-migrate over the corpus in tests/migrate (make check).
#
# For every good config: --dry-run writes nothing and prints a diff; the
# real migration passes `natt-migrate check`; migrating the result again
# changes nothing (idempotence); rollback gives back the original bytes
# (cmp) and removes every file it created; as root with openvpn(8)
# installed, OpenVPN itself parses the migrated config (started for 2 s in
# a private network namespace: no "Options error").  For every bad config:
# exit non-zero, the message names file:line (bad/EXPECT), nothing written.
set -u
srcdir=${srcdir:-$(dirname "$0")/..}
build=${BUILD:-.}
mig=$build/tools/natt-migrate
plugin=$(cd "$build" && pwd)/plugin/.libs/openvpn-plugin-natt.so
corpus=$srcdir/tests/migrate
pass=0 fail=0
ok() { pass=$((pass + 1)); }
bad() { echo "FAIL: $*"; fail=$((fail + 1)); }

[ -x "$mig" ] || { echo "FAIL: $mig not built"; exit 1; }
tmp=$(mktemp -d /tmp/natt-migrate-test.XXXXXX) || exit 1
trap 'rm -rf "$tmp"' EXIT
[ -f "$plugin" ] || { plugin=$tmp/openvpn-plugin-natt.so; : >"$plugin"; }

sh "$srcdir/tests/pki/make-pki.sh" "$tmp/pki" >/dev/null 2>&1 || { echo "FAIL: make-pki.sh"; exit 1; }
if command -v openvpn >/dev/null; then
	openvpn --genkey tls-crypt "$tmp/pki/tc.key" >/dev/null 2>&1
else
	printf '%s\n' '-----BEGIN OpenVPN Static key V1-----' >"$tmp/pki/tc.key"
	i=0; while [ $i -lt 16 ]; do echo 0123456789abcdef0123456789abcdef; i=$((i + 1)); done >>"$tmp/pki/tc.key"
	printf '%s\n' '-----END OpenVPN Static key V1-----' >>"$tmp/pki/tc.key"
fi
"$mig" keygen "$tmp/net.key" >/dev/null || bad "keygen"
[ "$(stat -c %a "$tmp/net.key")" = 600 ] && ok || bad "keygen: key not mode 0600"
"$mig" keygen "$tmp/net.key" 2>/dev/null && bad "keygen overwrote a key" || ok

# a snapshot of a directory: every file's name and checksum
snap() { (cd "$1" && find . -type f -exec sha256sum {} + | sort); }

# fill DIR/FILE's @NAME@ lines with the test PKI's PEM files
fill() {
	awk -v pki="$tmp/pki" '/^@[^@]+@\r?$/ { f = $0; sub(/\r$/, "", f); gsub(/@/, "", f);
		while ((getline l < (pki "/" f)) > 0) print l; close(pki "/" f); next } { print }' \
		"$1" >"$1.tmp" && mv "$1.tmp" "$1"
}

# openvpn_parses DIR FILE: OpenVPN reads FILE without an option error
openvpn_parses() {
	[ "$(id -u)" = 0 ] && command -v openvpn >/dev/null && command -v unshare >/dev/null || return 2
	# A plugin built with --enable-sanitizers needs the ASan runtime first.
	pre=
	if ldd "$plugin" 2>/dev/null | grep -q libasan; then
		pre="env LD_PRELOAD=$(${CC:-gcc} -print-file-name=libasan.so) ASAN_OPTIONS=detect_leaks=0"
	fi
	# shellcheck disable=SC2086
	(cd "$1" && unshare -n timeout -k 1 2 $pre openvpn --config "$2" --verb 3 \
		>"$1/openvpn.log" 2>&1) 2>/dev/null
	if grep -q 'Options error' "$1/openvpn.log"; then return 1; fi
	grep -q 'OpenVPN 2\.' "$1/openvpn.log"
}

role_of() { case $1 in *server*) echo server ;; *) echo client ;; esac; }

migrate_args() { # role
	if [ "$1" = server ]; then
		echo "--name office --rendezvous 127.0.0.1:3478 --plugin $plugin"
	else
		echo "--server-name office --rendezvous 127.0.0.1:3478 --network-key $tmp/net.key --plugin $plugin"
	fi
}

for src in "$corpus"/good/*.conf "$corpus"/good/*.ovpn; do
	f=$(basename "$src")
	role=$(role_of "$f")
	d=$tmp/good-$f
	mkdir -p "$d" && cp -r "$corpus"/good/. "$d"/ && ln -s "$tmp/pki" "$d/pki"
	for p in ca.crt server.crt server.key client.crt client.key; do cp "$tmp/pki/$p" "$d/$p"; done
	cp "$tmp/pki/ca.crt" "$d/dh2048.pem" # debian-server.conf's dh: OpenVPN's parser wants a file
	fill "$d/$f"
	cp "$d/$f" "$tmp/orig"
	before=$(snap "$d")
	# shellcheck disable=SC2046
	"$mig" "$role" "$d/$f" $(migrate_args "$role") --dry-run >"$tmp/diff" 2>"$tmp/err"
	rc=$?
	if [ $rc = 0 ] && grep -q "^+++ $d/$f" "$tmp/diff" && [ "$before" = "$(snap "$d")" ]; then
		ok
	else bad "$f: --dry-run (rc $rc): $(cat "$tmp/err")"; fi
	"$mig" "$role" "$d/$f" $(migrate_args "$role") >"$tmp/out" 2>"$tmp/err" ||
		{ bad "$f: migrate: $(cat "$tmp/err")"; continue; }
	bdir=$(sed -n 's/.*undo with: natt-migrate rollback //p' "$tmp/out")
	if "$mig" check "$d/$f" >"$tmp/check" 2>&1; then ok; else bad "$f: check: $(cat "$tmp/check")"; fi
	# the migrated text applied to the original must be what --dry-run showed
	grep -q '^plugin ' "$d/$f" && ok || bad "$f: no plugin line"
	for x in "$d"/*-ca.pem "$d"/*-cert.pem "$d"/*-key.pem; do
		[ -f "$x" ] || continue
		[ "$(stat -c %a "$x")" = 600 ] && ok || bad "$x: not mode 0600"
	done
	after=$(snap "$d")
	"$mig" "$role" "$d/$f" $(migrate_args "$role") >/dev/null 2>&1 && [ "$after" = "$(snap "$d")" ] &&
		ok || bad "$f: migrating the migrated config changed something"
	openvpn_parses "$d" "$f"
	case $? in
	0) ok ;;
	1) bad "$f: openvpn: $(grep 'Options error' "$d/openvpn.log")" ;;
	*) echo "SKIP: $f: openvpn parse (needs root, unshare and openvpn)" ;;
	esac
	rm -f "$d/openvpn.log" "$d/ipp.txt" "$d/openvpn-status.log" # written by openvpn itself
	if "$mig" rollback "$bdir" >/dev/null 2>"$tmp/err" && cmp -s "$tmp/orig" "$d/$f" &&
		[ "$before" = "$(snap "$d")" ]; then
		ok
	else bad "$f: rollback did not restore the original: $(cat "$tmp/err")"; fi
done

while read -r f line; do
	role=$(role_of "$f")
	d=$tmp/bad-$f
	mkdir -p "$d" && cp "$corpus/bad/$f" "$d/"
	before=$(snap "$d")
	"$mig" "$role" "$d/$f" $(migrate_args "$role") >"$tmp/out" 2>"$tmp/err"
	rc=$?
	want="$d/$f:$line:"
	[ "$line" = 0 ] && want="$d/$f"
	if [ $rc != 0 ] && grep -qF "$want" "$tmp/err" && [ "$before" = "$(snap "$d")" ]; then
		ok
	else bad "$f: rc $rc, wanted '$want' in: $(cat "$tmp/err")"; fi
done <"$corpus/bad/EXPECT"

# check finds problems: an unmigrated config, a wrong tun-mtu
d=$tmp/good-debian-server.conf
"$mig" check "$d/debian-server.conf" >"$tmp/check" 2>&1 && bad "check passed an unmigrated config" || ok
"$mig" server "$d/debian-server.conf" $(migrate_args server) >/dev/null 2>&1
sed -i 's/^tun-mtu 1414$/tun-mtu 1500/' "$d/debian-server.conf"
if ! "$mig" check "$d/debian-server.conf" >"$tmp/check" 2>&1 &&
	grep -q "debian-server.conf:[0-9]*: tun-mtu too large" "$tmp/check"; then ok
else bad "check missed tun-mtu 1500: $(cat "$tmp/check")"; fi

# client-bundle: a new directory with everything a client needs, the original untouched
d=$tmp/bundle-src
mkdir -p "$d" && cp "$corpus/good/client-multi.ovpn" "$d/" && fill "$d/client-multi.ovpn"
cp "$d/client-multi.ovpn" "$tmp/orig"
if "$mig" client-bundle "$d/client-multi.ovpn" $(migrate_args client) --out "$tmp/bundle" \
	--install-dir /etc/openvpn/client >/dev/null 2>"$tmp/err" &&
	cmp -s "$tmp/orig" "$d/client-multi.ovpn" && cmp -s "$tmp/net.key" "$tmp/bundle/natt-network.key" &&
	[ "$(stat -c %a "$tmp/bundle/natt-network.key")" = 600 ] &&
	grep -q '^network-key /etc/openvpn/client/natt-network.key$' "$tmp/bundle/natt-client-multi.conf" &&
	grep -q '^<ca>' "$tmp/bundle/client-multi.ovpn" && [ -f "$tmp/bundle/client-multi-key.pem" ]; then
	ok
else bad "client-bundle: $(cat "$tmp/err"; ls -l "$tmp/bundle" 2>&1)"; fi
"$mig" client-bundle "$d/client-multi.ovpn" $(migrate_args client) --out "$tmp/bundle" \
	>/dev/null 2>&1 && bad "client-bundle wrote into an existing directory" || ok

echo "migrate.sh: $pass passed, $fail failed"
[ $fail = 0 ]
