#!/usr/bin/env bash
# test_plugin_chroot.sh BUILDDIR: the OpenVPN server under --chroot (an
# empty directory) with the plugin.  The helper runs outside the chroot,
# so its status file (a path outside the jail) keeps being written.
#
# Checks: tunnel up; the helper's root is / while OpenVPN's is the jail;
# SIGUSR1: the client is back within 10 s, no transport session lost, the
# status file still rewritten; SIGTERM: the client is told, the helper exits.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
build=${1:?usage: test_plugin_chroot.sh BUILDDIR}
. "$here/lab.sh"
. "$here/plugin_lib.sh"

pl_lab "$build"
mkdir -p "$LAB_DIR/jail/tmp" # OpenVPN wants its --tmp-dir inside the jail

slog=$LAB_DIR/server.log
pl_server s1 --chroot "$LAB_DIR/jail"
spid=$PL_SERVER_PID
pl_wait "$slog" 'Initialization Sequence Completed' 15 || lab_die "server: $(tail -n 5 "$slog")"
hpid=$(sed -n 's/.*transport helper pid \([0-9]*\) ready.*/\1/p' "$slog" | head -n 1)
if [ "$(readlink "/proc/$spid/root")" = "$LAB_DIR/jail" ] && [ "$(readlink "/proc/$hpid/root")" = / ]; then
	ok "OpenVPN chrooted to the jail, the helper ($hpid) not"
else bad "roots: openvpn $(readlink "/proc/$spid/root"), helper $(readlink "/proc/$hpid/root" 2>&1)"; fi

pl_client c1 c1
if pl_wait "$LAB_DIR/c1.log" 'Initialization Sequence Completed' 40 && pl_ping c1 10.8.0.1; then
	ok "c1: tunnel up, ping"
else bad "c1: no tunnel"; fi

downs=$(grep -c 'peer down' "$slog" || true)
t1=$(date +%s)
kill -USR1 "$spid"
if pl_ping c1 10.8.0.1 1 10; then
	ok "SIGUSR1 in the chroot: c1 back $(($(date +%s) - t1)) s after the signal (limit 10 s)"
else bad "SIGUSR1: c1 not back within 10 s"; fi
[ "$(grep -c 'peer down' "$slog" || true)" = "$downs" ] &&
	ok "SIGUSR1: no transport session lost" || bad "SIGUSR1: a transport session went down"
before=$(sed -n 's/^TIME,[^,]*,//p' "$LAB_DIR/server.status")
sleep 2
after=$(sed -n 's/^TIME,[^,]*,//p' "$LAB_DIR/server.status")
[ "$after" -gt "$before" ] && grep -q '^PEER,c1,.*,up,' "$LAB_DIR/server.status" &&
	ok "status file outside the jail still rewritten: $(grep '^PEER,c1' "$LAB_DIR/server.status")" ||
	bad "status file not rewritten ($before -> $after)"

kill -TERM "$spid"
if pl_wait "$LAB_DIR/c1.log" 'peer down.*peer-closed' 10; then ok "SIGTERM: c1 told"
else bad "SIGTERM: c1 not told"; fi
for ((i = 0; i < 50; i++)); do [ -d "/proc/$hpid" ] || break; sleep 0.1; done
[ ! -d "/proc/$hpid" ] && ok "SIGTERM: the helper exited" || bad "the helper $hpid still runs"

echo "test_plugin_chroot: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
