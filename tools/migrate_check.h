/*
 * migrate_check.h: `natt-migrate check`: does a migrated pair (OpenVPN
 * configuration + openvpn-plugin-natt configuration) hold together?
 */
#ifndef NATT_MIGRATE_CHECK_H
#define NATT_MIGRATE_CHECK_H

#include <stdio.h>

/*
 * Checks config (an OpenVPN configuration with the plugin line) and the
 * plugin configuration it names: roles agree; OpenVPN is on loopback with
 * proto udp; the ports agree (server: local/lport, client: the first
 * remote); the network key loads; ca, cert and key files are readable;
 * every other file name of the configuration opens as OpenVPN will open it
 * (read, a directory, a command to run, a directory to write in);
 * tun-mtu <= path-mtu - 86 and mssfix <= path-mtu - 34; with
 * legacy-passthrough yes, the public port is the old one (the lines
 * natt-migrate marked), differs from OpenVPN's loopback port, and the old
 * deployment was UDP over IPv4; the systemd unit that runs config (unit,
 * or one of Debian's found by config's location, see migrate_unit.h)
 * gives the plugin what it needs, a drop-in included.  Relative names
 * are taken from config's directory, changed by `cd` as OpenVPN does.
 * Prints one line per problem, "file:line: problem" (or "file: problem"),
 * to out.  Returns the number of problems (0: good).
 */
int natt_mig_check(const char *config, const char *unit, FILE *out);

#endif
