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
 * tun-mtu <= path-mtu - 86 and mssfix <= path-mtu - 34.  Relative paths
 * are taken from config's directory.  Prints one line per problem,
 * "file:line: problem" (or "file: problem"), to out.  Returns the number
 * of problems (0: good).
 */
int natt_mig_check(const char *config, FILE *out);

#endif
