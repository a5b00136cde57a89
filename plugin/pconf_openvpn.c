/*
 * pconf_openvpn.c: what the plugin learns from OpenVPN itself: its
 * environment at open time and its config file (ca, cert, key, user,
 * group, tun-mtu, mssfix, compression).  OpenVPN has already accepted that
 * file, so anything this reader cannot follow is skipped with a warning,
 * not an error.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf.h"
#include "pconf.h"

/* OpenVPN 2.6's mssfix when the directive has no number (options.c). */
#define OPENVPN_MSSFIX_DEFAULT 1492

static const char *env_get(const char *const *envp, const char *key)
{
	size_t n = strlen(key);

	for (; envp != NULL && *envp != NULL; envp++)
		if (strncmp(*envp, key, n) == 0 && (*envp)[n] == '=')
			return *envp + n + 1;
	return NULL;
}

static void learn_path(struct natt_pconf_path *p, const struct natt_conf_line *l, const char *where)
{
	if (p->path[0] != '\0' || p->where[0] != '\0')
		return; /* the plugin's own setting wins */
	if (l->inline_text != NULL) {
		snprintf(p->where, sizeof(p->where), "%s (inline, not usable by the plugin)",
			 where);
		return;
	}
	if (l->argc == 2 && strlen(l->argv[1]) < sizeof(p->path)) {
		strcpy(p->path, l->argv[1]);
		snprintf(p->where, sizeof(p->where), "%s", where);
	}
}

/* OpenVPN's user/group: the worker drops to them unless the plugin says. */
static void learn_account(struct natt_pconf_name *n, const struct natt_conf_line *l,
			  const char *where)
{
	if (n->name[0] != '\0' || l->argc != 2 || strlen(l->argv[1]) >= sizeof(n->name))
		return;
	strcpy(n->name, l->argv[1]);
	snprintf(n->where, sizeof(n->where), "%s", where);
}

static void learn_line(struct natt_pconf *c, const struct natt_conf_line *l, const char *where)
{
	const char *name = l->argv[0];
	uint64_t v;

	if (strcmp(name, "ca") == 0)
		learn_path(&c->ca, l, where);
	else if (strcmp(name, "cert") == 0)
		learn_path(&c->cert, l, where);
	else if (strcmp(name, "key") == 0)
		learn_path(&c->key, l, where);
	else if (strcmp(name, "user") == 0)
		learn_account(&c->user, l, where);
	else if (strcmp(name, "group") == 0)
		learn_account(&c->group, l, where);
	else if (strcmp(name, "tun-mtu") == 0 && l->argc >= 2 &&
		 natt_conf_uint(l->argv[1], 1, 65535, &v) == NATT_OK) {
		c->ov_mtu.tun_mtu = (unsigned)v;
		snprintf(c->ov_mtu_where, sizeof(c->ov_mtu_where), "%s", where);
	} else if (strcmp(name, "mssfix") == 0) {
		if (l->argc < 2)
			v = OPENVPN_MSSFIX_DEFAULT;
		else if (natt_conf_uint(l->argv[1], 0, 65535, &v) != NATT_OK)
			return;
		c->ov_mtu.mssfix = (unsigned)v;
		snprintf(c->ov_mtu_where, sizeof(c->ov_mtu_where), "%s", where);
	} else if (strcmp(name, "compress") == 0 || strcmp(name, "comp-lzo") == 0) {
		c->ov_mtu.compress = true;
	}
}

static int read_openvpn_config(struct natt_pconf *c, const char *path, char *warn, size_t warnlen)
{
	struct natt_conf_reader r;
	struct natt_conf_line *line;
	char err[512], *text;
	size_t len;
	int rc;

	if (natt_conf_load(path, &text, &len, err, sizeof(err)) != NATT_OK) {
		snprintf(warn, warnlen, "cannot read OpenVPN's config (%s): not checking it", err);
		return NATT_OK;
	}
	line = malloc(sizeof(*line));
	if (line == NULL) {
		free(text);
		return NATT_ERR_NOMEM;
	}
	natt_conf_reader_init(&r, text, len, path);
	while ((rc = natt_conf_next(&r, line, err, sizeof(err))) == 1) {
		char where[NATT_PCONF_WHERE_MAX];

		snprintf(where, sizeof(where), "%s:%zu", path, line->lineno);
		learn_line(c, line, where);
	}
	if (rc < 0)
		snprintf(warn, warnlen, "stopped reading OpenVPN's config at %s", err);
	c->ov_known = rc == 0;
	free(line);
	free(text);
	return NATT_OK;
}

static bool loopback(const char *host)
{
	struct in_addr a;

	return host != NULL && inet_pton(AF_INET, host, &a) == 1 && (ntohl(a.s_addr) >> 24) == 127;
}

static void learn_address(struct natt_pconf *c, const char *const *envp)
{
	bool server = c->role == NATT_PROLE_SERVER;
	const char *host = env_get(envp, server ? "local_1" : "remote_1");
	const char *port = env_get(envp, server ? "local_port_1" : "remote_port_1");
	uint64_t v;

	if (c->openvpn_port != 0 || !loopback(host) || port == NULL ||
	    natt_conf_uint(port, 1, 65535, &v) != NATT_OK)
		return;
	snprintf(c->openvpn_host, sizeof(c->openvpn_host), "%s", host);
	c->openvpn_port = (uint16_t)v;
	snprintf(c->openvpn_where, sizeof(c->openvpn_where), "OpenVPN's %s",
		 server ? "local/lport" : "remote/port");
}

static void learn_cmdline_account(struct natt_pconf_name *n, const char *value)
{
	if (n->name[0] != '\0' || strlen(value) >= sizeof(n->name) || value[0] == '\0')
		return;
	strcpy(n->name, value);
	snprintf(n->where, sizeof(n->where), "OpenVPN's command line");
}

void natt_pconf_learn_cmdline(struct natt_pconf *c, const char *args, size_t len)
{
	const char *end = args + len, *user = NULL, *group = NULL;

	while (args < end) {
		const char *arg = args, *next = memchr(arg, '\0', (size_t)(end - arg));

		if (next == NULL || next + 1 >= end)
			break; /* the last argument has no value after it */
		if (strcmp(arg, "--user") == 0)
			user = next + 1;
		else if (strcmp(arg, "--group") == 0)
			group = next + 1;
		args = next + 1;
	}
	/* a value must itself be NUL-terminated inside the buffer */
	if (user != NULL && memchr(user, '\0', (size_t)(end - user)) != NULL)
		learn_cmdline_account(&c->user, user);
	if (group != NULL && memchr(group, '\0', (size_t)(end - group)) != NULL)
		learn_cmdline_account(&c->group, group);
}

/* OpenVPN's own command line, from /proc (empty when unreadable). */
static void learn_own_cmdline(struct natt_pconf *c)
{
	char buf[8192];
	FILE *f = fopen("/proc/self/cmdline", "re");
	size_t n;

	if (f == NULL)
		return;
	n = fread(buf, 1, sizeof(buf), f);
	fclose(f);
	natt_pconf_learn_cmdline(c, buf, n);
}

int natt_pconf_learn_openvpn(struct natt_pconf *c, const char *const *envp, char *warn,
			     size_t warnlen)
{
	const char *config = env_get(envp, "config");
	const char *verb = env_get(envp, "verb");
	uint64_t v;

	warn[0] = '\0';
	if (c->verb < 0)
		c->verb = verb != NULL && natt_conf_uint(verb, 0, 11, &v) == NATT_OK ? (int)v : 1;
	learn_address(c, envp);
	learn_own_cmdline(c);
	if (config == NULL || strlen(config) >= sizeof(c->openvpn_config))
		return NATT_OK;
	strcpy(c->openvpn_config, config);
	return read_openvpn_config(c, config, warn, warnlen);
}
