/*
 * pconf_check.c: the whole-configuration check that runs before the
 * helper starts: required settings, files, addresses, MTU.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "pconf.h"

static int missing(char *err, size_t errlen, const struct natt_pconf *c, const char *setting,
		   const char *hint)
{
	snprintf(err, errlen, "%s: missing required setting '%s'%s", c->file, setting, hint);
	return NATT_ERR_INVALID;
}

static int check_pem(const struct natt_pconf_path *p, const char *setting,
		     const struct natt_pconf *c, char *err, size_t errlen)
{
	int fd;

	if (p->path[0] == '\0') {
		char hint[NATT_PCONF_WHERE_MAX + 64];

		if (p->where[0] != '\0')
			snprintf(hint, sizeof(hint), " (OpenVPN's is at %s)", p->where);
		else
			snprintf(hint, sizeof(hint), " (not set here, none in OpenVPN's config)");
		return missing(err, errlen, c, setting, hint);
	}
	fd = open(p->path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		snprintf(err, errlen, "%s: %s: cannot read '%s': %s", p->where, setting, p->path,
			 strerror(errno));
		return NATT_ERR_INVALID;
	}
	close(fd);
	return NATT_OK;
}

static int check_required(const struct natt_pconf *c, char *err, size_t errlen)
{
	if (c->role == NATT_PROLE_UNSET)
		return missing(err, errlen, c, "role", " (server or client)");
	if (c->name[0] == '\0')
		return missing(err, errlen, c, "name", " (this peer's name)");
	if (c->role == NATT_PROLE_CLIENT && c->server_name[0] == '\0')
		return missing(err, errlen, c, "server-name", " (the server to reach)");
	if (c->role == NATT_PROLE_CLIENT && c->legacy_passthrough) {
		snprintf(err, errlen, "%s: legacy-passthrough yes: only for role server", c->file);
		return NATT_ERR_INVALID;
	}
	if (c->n_rdv == 0)
		return missing(err, errlen, c, "rendezvous", " (HOST[:PORT])");
	if (c->network_key.path[0] == '\0')
		return missing(err, errlen, c, "network-key", " (FILE)");
	if (c->openvpn_port == 0)
		return missing(
			err, errlen, c, "openvpn-address",
			c->role == NATT_PROLE_SERVER
				? " (127.0.0.1:PORT; or 'local 127.0.0.1' in OpenVPN's config)"
				: " (127.0.0.1:PORT; or 'remote 127.0.0.1 PORT' in OpenVPN's"
				  " config)");
	return NATT_OK;
}

int natt_pconf_check(const struct natt_pconf *c, char *err, size_t errlen)
{
	char msg[512];
	int rc = check_required(c, err, errlen);

	if (rc == NATT_OK)
		rc = check_pem(&c->ca, "ca", c, err, errlen);
	if (rc == NATT_OK)
		rc = check_pem(&c->cert, "cert", c, err, errlen);
	if (rc == NATT_OK)
		rc = check_pem(&c->key, "key", c, err, errlen);
	if (rc != NATT_OK)
		return rc;
	if (c->ov_known && natt_mtu_check(c->path_mtu, &c->ov_mtu, msg, sizeof(msg)) != 0) {
		snprintf(err, errlen, "%s: MTU too large for path-mtu %u: %s",
			 c->ov_mtu_where[0]	? c->ov_mtu_where
			 : c->openvpn_config[0] ? c->openvpn_config
						: "OpenVPN",
			 c->path_mtu, msg);
		return NATT_ERR_INVALID;
	}
	return NATT_OK;
}
