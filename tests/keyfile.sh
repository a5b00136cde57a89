#!/bin/sh
# keyfile.sh: the key file as an operator meets it: genkey writes mode 0600,
# refuses to overwrite, and a group-readable key loads with a warning.
set -eu
keytool=${KEYTOOL:-tests/keytool}
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT INT TERM
fail() { echo "FAIL: $*"; exit 1; }

"$keytool" genkey "$dir/net.key" || fail "genkey failed"
mode=$(stat -c %a "$dir/net.key")
[ "$mode" = 600 ] || fail "mode is $mode, want 600"
grep -qx 'natt-network-key v1' "$dir/net.key" || fail "no kind line"
grep -Eqx '[0-9a-f]{64}' "$dir/net.key" || fail "no 64-hex key line"

before=$(cat "$dir/net.key")
if "$keytool" genkey "$dir/net.key" 2>"$dir/err"; then fail "overwrote an existing key"; fi
grep -q 'refusing to overwrite' "$dir/err" || fail "no clear refusal: $(cat "$dir/err")"
[ "$before" = "$(cat "$dir/net.key")" ] || fail "existing key changed"

id=$("$keytool" show "$dir/net.key" 2>"$dir/err") || fail "show failed"
echo "$id" | grep -Eqx 'network-id [0-9a-f]{16}' || fail "bad show output: $id"
[ ! -s "$dir/err" ] || fail "unexpected warning on a 0600 key: $(cat "$dir/err")"

chmod 644 "$dir/net.key"
id2=$("$keytool" show "$dir/net.key" 2>"$dir/err") || fail "0644 key refused"
[ "$id" = "$id2" ] || fail "network id changed"
grep -q 'chmod 600' "$dir/err" || fail "no permission warning: $(cat "$dir/err")"

printf 'natt-network-key v1\nnothex\n' >"$dir/bad.key"
if "$keytool" show "$dir/bad.key" 2>"$dir/err"; then fail "malformed key accepted"; fi
grep -q "bad.key:2:" "$dir/err" || fail "no file:line in: $(cat "$dir/err")"

echo "keyfile.sh: 1 passed, 0 failed"
