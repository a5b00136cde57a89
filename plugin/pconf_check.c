/*
 * pconf_check.c: the whole-configuration check that runs before the
 * helper starts: required settings, files, addresses, MTU; and the
 * worker's user and group, resolved in OpenVPN's process (as OpenVPN
 * resolves its own), so an unknown name stops OpenVPN's start.
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
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

/* getpwnam_r/getgrnam_r's scratch space (sysconf gives only a hint). */
#define ACCOUNT_BUF 16384

/* "where: user: no such user 'x'", with the lookup's error when it failed. */
static int no_such(const struct natt_pconf_name *n, const char *setting, int rc, char *err,
		   size_t errlen)
{
	snprintf(err, errlen, "%s: %s: no such %s '%s'%s%s", n->where, setting, setting, n->name,
		 rc ? ": " : "", rc ? strerror(rc) : "");
	return NATT_ERR_INVALID;
}

static int resolve_user(struct natt_pconf *c, char *buf, char *err, size_t errlen)
{
	struct passwd pw, *res = NULL;
	int rc = getpwnam_r(c->user.name, &pw, buf, ACCOUNT_BUF, &res);

	if (res == NULL)
		return no_such(&c->user, "user", rc, err, errlen);
	c->runas.uid = pw.pw_uid;
	c->runas.gid = pw.pw_gid;
	return NATT_OK;
}

static int resolve_group(struct natt_pconf *c, char *buf, char *err, size_t errlen)
{
	struct group gr, *res = NULL;
	int rc = getgrnam_r(c->group.name, &gr, buf, ACCOUNT_BUF, &res);

	if (res == NULL)
		return no_such(&c->group, "group", rc, err, errlen);
	c->runas.gid = gr.gr_gid;
	return NATT_OK;
}

/* "user:group" as the operator reads them; the primary group by its name. */
static void runas_label(struct natt_pconf *c, char *buf)
{
	struct group gr, *res = NULL;
	char gid[32];
	const char *group = c->group.name;

	snprintf(gid, sizeof(gid), "%u", (unsigned)c->runas.gid);
	if (group[0] == '\0')
		group = getgrgid_r(c->runas.gid, &gr, buf, ACCOUNT_BUF, &res) == 0 && res != NULL
				? gr.gr_name
				: gid;
	snprintf(c->runas.label, sizeof(c->runas.label), "%s:%s",
		 c->user.name[0] ? c->user.name : "root", group);
}

int natt_pconf_runas(struct natt_pconf *c, char *err, size_t errlen)
{
	char *buf;
	int rc = NATT_OK;

	memset(&c->runas, 0, sizeof(c->runas));
	if (c->user.name[0] == '\0' && c->group.name[0] == '\0')
		return NATT_OK;
	buf = malloc(ACCOUNT_BUF);
	if (buf == NULL)
		return NATT_ERR_NOMEM;
	if (c->user.name[0] != '\0')
		rc = resolve_user(c, buf, err, errlen);
	if (rc == NATT_OK && c->group.name[0] != '\0')
		rc = resolve_group(c, buf, err, errlen);
	if (rc == NATT_OK) {
		c->runas.drop = true;
		runas_label(c, buf);
	}
	free(buf);
	return rc;
}
