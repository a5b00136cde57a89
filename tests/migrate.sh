#!/bin/sh
# migrate.sh: natt-migrate over the corpus in tests/migrate (make check).
#
# For every good config: --dry-run writes nothing and prints a diff; the
# real migration passes `natt-migrate check`; migrating the result again
# changes nothing (idempotence); rollback gives back the original bytes
# (cmp) and removes every file it created; as root with openvpn(8)
# installed, OpenVPN itself parses the migrated config (started for 2 s in
# a private network namespace: no "Options error", no missing file).  Every
# good config again with --out into another directory: the original
# directory untouched, check passes there, OpenVPN started there opens every
# file.  For every bad config: exit non-zero, the message names file:line
# (bad/EXPECT), nothing written.  Then --keep-legacy (the plugin config, its
# switch off and on, the refusals), and the systemd unit checks against a
# copy of Debian's openvpn-server@.service.
set -u
srcdir=${srcdir:-$(dirname "$0")/..}
build=${BUILD:-.}
mig=$(cd "$build" && pwd)/tools/natt-migrate
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
# crl-verify's file (good/server-paths.conf)
NATT_PKI_DB=$tmp/pki/ca-work/ca.db NATT_PKI_NEW=$tmp NATT_PKI_SERIAL=$tmp/pki/ca-work/ca.serial \
	openssl ca -gencrl -config "$tmp/pki/ca-work/ca.cnf" -keyfile "$tmp/pki/ca.key" \
	-cert "$tmp/pki/ca.crt" -crldays 3650 -out "$tmp/pki/crl.pem" >/dev/null 2>&1 ||
	{ echo "FAIL: openssl ca -gencrl"; exit 1; }
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
	if grep -q 'Options error\|No such file or directory' "$1/openvpn.log"; then return 1; fi
	grep -q 'OpenVPN 2\.' "$1/openvpn.log"
}

# a good config's directory: the corpus, the test PKI's files, @NAME@ filled
prepare() { # DIR FILE
	mkdir -p "$1" && cp -r "$corpus"/good/. "$1"/ && ln -s "$tmp/pki" "$1/pki"
	for p in ca.crt server.crt server.key client.crt client.key crl.pem; do cp "$tmp/pki/$p" "$1/$p"; done
	cp "$tmp/pki/ca.crt" "$1/dh2048.pem" # debian-server.conf's dh: OpenVPN's parser wants a file
	cp "$tmp/pki/tc.key" "$1/ta.key"
	fill "$1/$2"
}

# what OpenVPN writes into a config's directory when it runs
scrub() { for x in "$@"; do rm -f "$x/openvpn.log" "$x/ipp.txt" "$x/openvpn-status.log"; done; }

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
	prepare "$d" "$f"
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
	1) bad "$f: openvpn: $(grep 'Options error\|No such file' "$d/openvpn.log")" ;;
	*) echo "SKIP: $f: openvpn parse (needs root, unshare and openvpn)" ;;
	esac
	scrub "$d"
	if "$mig" rollback "$bdir" >/dev/null 2>"$tmp/err" && cmp -s "$tmp/orig" "$d/$f" &&
		[ "$before" = "$(snap "$d")" ]; then
		ok
	else bad "$f: rollback did not restore the original: $(cat "$tmp/err")"; fi
done

# --out into another directory: relative names become the absolute names
# they had (the original line kept, marked), so OpenVPN started in the new
# directory opens the same files; the original directory is not touched.
for src in "$corpus"/good/*.conf "$corpus"/good/*.ovpn; do
	f=$(basename "$src")
	role=$(role_of "$f")
	d=$tmp/move-$f o=$tmp/moved-$f
	prepare "$d" "$f"
	mkdir -p "$o"
	before=$(snap "$d")
	# shellcheck disable=SC2046
	if ! "$mig" "$role" "$d/$f" $(migrate_args "$role") --out "$o" >"$tmp/out" 2>"$tmp/err"; then
		bad "$f: --out $o: $(cat "$tmp/err")"
		continue
	fi
	[ "$before" = "$(snap "$d")" ] && ok || bad "$f: --out changed the original directory"
	if "$mig" check "$o/$f" >"$tmp/check" 2>&1; then ok; else bad "$f: check in $o: $(cat "$tmp/check")"; fi
	openvpn_parses "$o" "$f"
	case $? in
	0) ok ;;
	1) bad "$f: openvpn in $o: $(grep 'Options error\|No such file' "$o/openvpn.log")" ;;
	*) echo "SKIP: $f: openvpn in the new directory (needs root, unshare and openvpn)" ;;
	esac
	scrub "$d" "$o"
	"$mig" rollback "$o/$f.natt-backup" >/dev/null 2>&1 && [ -z "$(ls -A "$o")" ] &&
		[ "$before" = "$(snap "$d")" ] && ok || bad "$f: rollback after --out: $(ls -A "$o")"
done
d=$tmp/move-server-paths.conf
"$mig" server "$d/server-paths.conf" $(migrate_args server) --out "$tmp/moved-server-paths.conf" \
	--dry-run >"$tmp/diff" 2>&1
for want in "+ca $d/ca.crt" "+crl-verify $d/crl.pem" "+client-config-dir $d/ccd" \
	"+learn-address \"$d/learn.sh --quiet\"" "+#natt-migrate# tls-crypt ta.key" "+dh none"; do
	grep -qxF -- "$want" "$tmp/diff" && ok || bad "--out: no '$want' in the diff"
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

# --keep-legacy: the plugin takes the old port and passes plain OpenVPN
# clients through; OpenVPN moves to another loopback port.  Without it
# later, the two pass-through lines are marked off (and on again with it).
d=$tmp/legacy
prepare "$d" debian-server.conf
cp "$d/debian-server.conf" "$tmp/orig"
pc=$d/natt-debian-server.conf
# shellcheck disable=SC2046
if "$mig" server "$d/debian-server.conf" $(migrate_args server) --keep-legacy >"$tmp/out" 2>"$tmp/err" &&
	grep -qx 'public-port 1194' "$pc" && grep -qx 'legacy-passthrough yes' "$pc" &&
	grep -qx 'openvpn-address 127.0.0.1:21194' "$pc" && grep -qx 'lport 21194' "$d/debian-server.conf"; then
	ok
else bad "--keep-legacy: $(cat "$tmp/err" "$pc")"; fi
"$mig" check "$d/debian-server.conf" >"$tmp/check" 2>&1 && ok || bad "check --keep-legacy: $(cat "$tmp/check")"
openvpn_parses "$d" debian-server.conf
case $? in
0) ok ;;
1) bad "--keep-legacy: openvpn: $(grep 'Options error\|No such file' "$d/openvpn.log")" ;;
*) echo "SKIP: --keep-legacy: openvpn parse (needs root, unshare and openvpn)" ;;
esac
scrub "$d"
cp "$pc" "$tmp/pconf-on"
after=$(snap "$d")
"$mig" server "$d/debian-server.conf" $(migrate_args server) --keep-legacy >/dev/null 2>&1 &&
	[ "$after" = "$(snap "$d")" ] && ok || bad "--keep-legacy twice changed something"
"$mig" server "$d/debian-server.conf" $(migrate_args server) >"$tmp/out" 2>&1 &&
	grep -qx '#natt-migrate# legacy-passthrough yes' "$pc" && grep -qx '#natt-migrate# public-port 1194' "$pc" &&
	grep -q 'legacy pass-through ended' "$tmp/out" && ok || bad "ending --keep-legacy: $(cat "$tmp/out")"
"$mig" check "$d/debian-server.conf" >"$tmp/check" 2>&1 && ok || bad "check after the end: $(cat "$tmp/check")"
"$mig" server "$d/debian-server.conf" $(migrate_args server) --keep-legacy >/dev/null 2>&1 &&
	cmp -s "$pc" "$tmp/pconf-on" && ok || bad "--keep-legacy again did not give back the pass-through"
sed -i 's/^public-port 1194$/public-port 1195/' "$pc"
if ! "$mig" check "$d/debian-server.conf" >"$tmp/check" 2>&1 &&
	grep -q "public-port 1195, but the old clients use port 1194 ($d/debian-server.conf:[0-9]*)" "$tmp/check"; then ok
else bad "check missed a public-port that is not the old port: $(cat "$tmp/check")"; fi
cp "$tmp/pconf-on" "$pc"
"$mig" rollback "$d/debian-server.conf.natt-backup" >/dev/null 2>&1 && cmp -s "$tmp/orig" "$d/debian-server.conf" &&
	[ ! -e "$pc" ] && ok || bad "rollback after --keep-legacy"
# where it cannot work: nothing written, the line and the reason named
for x in server-tcp.conf:"over TCP" server-inline.conf:"IPv6" client-multi.ovpn:"is for a server"; do
	f=${x%%:*} why=${x#*:}
	d=$tmp/legacy-$f
	prepare "$d" "$f"
	before=$(snap "$d")
	# shellcheck disable=SC2046
	"$mig" "$(role_of "$f")" "$d/$f" $(migrate_args "$(role_of "$f")") --keep-legacy >"$tmp/out" 2>"$tmp/err"
	rc=$?
	if [ $rc != 0 ] && grep -q -- "$why" "$tmp/err" && [ "$before" = "$(snap "$d")" ] &&
		{ [ "$f" = client-multi.ovpn ] || grep -q "$d/$f:[0-9]*: proto" "$tmp/err"; }; then ok
	else bad "--keep-legacy on $f: rc $rc: $(cat "$tmp/err")"; fi
done

# a new network key named relatively: the plugin config names it absolutely
d=$tmp/relkey
prepare "$d" debian-server.conf
(cd "$d" && "$mig" server debian-server.conf --name office --rendezvous 127.0.0.1 --plugin "$plugin" \
	--network-key keys.net >/dev/null 2>&1) &&
	grep -qx "network-key $d/keys.net" "$d/natt-debian-server.conf" && [ -f "$d/keys.net" ] && ok ||
	bad "a relative --network-key: $(grep network-key "$d/natt-debian-server.conf")"

# systemd: Debian's openvpn-server@.service, read from a scratch unit
# directory ($SYSTEMD_UNIT_PATH) with its WorkingDirectory moved to a
# scratch /etc/openvpn/server; PrivateTmp off (this test lives in /tmp)
# except where it is the point.
unit=/lib/systemd/system/openvpn-server@.service
if [ -f "$unit" ]; then
	u=$tmp/units e=$tmp/etc-server
	mkdir -p "$u"
	prepare "$e" debian-server.conf
	mv "$e/debian-server.conf" "$e/office.conf"
	sed -e "s|^WorkingDirectory=.*|WorkingDirectory=$e|" -e 's|^PrivateTmp=.*|PrivateTmp=false|' \
		"$unit" >"$u/openvpn-server@.service"
	grep -q '^LimitNPROC=10$' "$u/openvpn-server@.service" && ok || bad "$unit: no LimitNPROC=10"
	export SYSTEMD_UNIT_PATH=$u
	# shellcheck disable=SC2046
	"$mig" server "$e/office.conf" $(migrate_args server) >"$tmp/out" 2>&1
	for want in "systemd: openvpn-server@office.service runs $e/office.conf" \
		"OpenVPN starts in $e: the relative names (e.g. 'ca.crt') resolve there" \
		"LimitNPROC=10: does not stop them" "openvpn-server@office.service needs no drop-in"; do
		grep -qF "$want" "$tmp/out" && ok || bad "server report: no '$want': $(cat "$tmp/out")"
	done
	"$mig" check "$e/office.conf" >"$tmp/check" 2>&1 && ok || bad "check with the unit: $(cat "$tmp/check")"
	# an admin's hardening leaves no room for the plugin's processes
	mkdir "$u/openvpn-server@office.service.d"
	printf '[Service]\nTasksMax=2\n' >"$u/openvpn-server@office.service.d/harden.conf"
	! "$mig" check "$e/office.conf" >"$tmp/check" 2>&1 && grep -q 'needs a drop-in' "$tmp/check" &&
		grep -qx 'TasksMax=4' "$tmp/check" && ok || bad "check missed TasksMax=2: $(cat "$tmp/check")"
	"$mig" rollback "$e/office.conf.natt-backup" >/dev/null 2>&1 || bad "rollback with the unit"
	# shellcheck disable=SC2046
	"$mig" server "$e/office.conf" $(migrate_args server) \
		--systemd-dropin "$u/openvpn-server@office.service.d" >"$tmp/out" 2>&1 &&
		grep -qx 'TasksMax=4' "$u/openvpn-server@office.service.d/natt-migrate.conf" &&
		"$mig" check "$e/office.conf" >"$tmp/check" 2>&1 && ok ||
		bad "--systemd-dropin: $(cat "$tmp/out" "$tmp/check")"
	"$mig" rollback "$e/office.conf.natt-backup" >/dev/null 2>&1 &&
		[ ! -e "$u/openvpn-server@office.service.d/natt-migrate.conf" ] &&
		[ -f "$u/openvpn-server@office.service.d/harden.conf" ] && ok || bad "rollback of the drop-in"
	# a drop-in directory natt-migrate made goes with the rollback
	rm -r "$u/openvpn-server@office.service.d"
	sed -i 's/^\[Service\]$/&\nTasksMax=1/' "$u/openvpn-server@.service"
	# shellcheck disable=SC2046
	"$mig" server "$e/office.conf" $(migrate_args server) \
		--systemd-dropin "$u/openvpn-server@office.service.d" >/dev/null 2>&1 &&
		[ -f "$u/openvpn-server@office.service.d/natt-migrate.conf" ] &&
		"$mig" rollback "$e/office.conf.natt-backup" >/dev/null 2>&1 &&
		[ ! -e "$u/openvpn-server@office.service.d" ] && ok || bad "the drop-in directory stayed"
	sed -i '/^TasksMax=1$/d' "$u/openvpn-server@.service"
	# what check finds in the unit: another working directory; the real PrivateTmp
	"$mig" server "$e/office.conf" $(migrate_args server) >/dev/null 2>&1
	mkdir "$u/openvpn-server@office.service.d"
	printf '[Service]\nWorkingDirectory=/srv\nExecStart=\nExecStart=/usr/sbin/openvpn --config %s/%%i.conf\n' \
		"$e" >"$u/openvpn-server@office.service.d/wd.conf"
	! "$mig" check "$e/office.conf" >"$tmp/check" 2>&1 && grep -q "starts in /srv" "$tmp/check" &&
		ok || bad "check missed WorkingDirectory=/srv: $(cat "$tmp/check")"
	printf '[Service]\nPrivateTmp=true\n' >"$u/openvpn-server@office.service.d/wd.conf"
	! "$mig" check "$e/office.conf" >"$tmp/check" 2>&1 &&
		grep -q "network-key $e/natt-network.key: the unit cannot see it, because of PrivateTmp" "$tmp/check" &&
		ok || bad "check missed PrivateTmp: $(cat "$tmp/check")"
	rm -r "$u/openvpn-server@office.service.d"
	# --systemd-dropin with no unit for the file: refused, nothing written
	d=$tmp/good-debian-client.conf
	before=$(snap "$d")
	"$mig" rollback "$d/debian-client.conf.natt-backup" >/dev/null 2>&1
	before=$(snap "$d")
	# shellcheck disable=SC2046
	! "$mig" client "$d/debian-client.conf" $(migrate_args client) --systemd-dropin "$tmp/nodir" \
		>/dev/null 2>"$tmp/err" && grep -q 'no systemd unit runs' "$tmp/err" &&
		[ "$before" = "$(snap "$d")" ] && [ ! -e "$tmp/nodir" ] && ok || bad "--systemd-dropin without a unit"
	unset SYSTEMD_UNIT_PATH
else
	echo "SKIP: systemd unit checks: no $unit (Debian's openvpn package)"
fi

echo "migrate.sh: $pass passed, $fail failed"
[ $fail = 0 ]
