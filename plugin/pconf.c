/*
 * pconf.c: the plugin's settings (see pconf.h and the man page).
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "conf.h"
#include "pconf.h"
#include "wire.h"

typedef int (*setter)(struct natt_pconf *c, int argc, char *const *argv, const char *where,
		      char *err, size_t errlen);

struct setting {
	const char *name;
	int min_args; /* arguments after the name */
	int max_args;
	setter fn;
};

static int fail(char *err, size_t errlen, const char *where, const char *setting,
		const char *reason, const char *value)
{
	if (value != NULL)
		snprintf(err, errlen, "%s: %s: %s: '%s'", where, setting, reason, value);
	else
		snprintf(err, errlen, "%s: %s: %s", where, setting, reason);
	return NATT_ERR_SYNTAX;
}

static int copy(char *dst, size_t cap, const char *src)
{
	size_t n = strlen(src);

	if (n >= cap)
		return NATT_ERR_BUFFER;
	memcpy(dst, src, n + 1);
	return NATT_OK;
}

static int set_path(struct natt_pconf_path *p, const char *value, const char *where)
{
	if (value[0] == '\0' || copy(p->path, sizeof(p->path), value) != NATT_OK)
		return NATT_ERR_BAD_VALUE;
	copy(p->where, sizeof(p->where), where);
	return NATT_OK;
}

static int s_role(struct natt_pconf *c, int argc, char *const *argv, const char *where, char *err,
		  size_t errlen)
{
	(void)argc;
	if (strcmp(argv[1], "server") == 0)
		c->role = NATT_PROLE_SERVER;
	else if (strcmp(argv[1], "client") == 0)
		c->role = NATT_PROLE_CLIENT;
	else
		return fail(err, errlen, where, "role", "must be server or client, not", argv[1]);
	return NATT_OK;
}

static int set_name(char *dst, const char *value, const char *setting, const char *where, char *err,
		    size_t errlen)
{
	struct natt_name n;

	if (natt_name_set(&n, value) != NATT_OK)
		return fail(err, errlen, where, setting,
			    "must be 1-63 characters of A-Z a-z 0-9 . _ -, not", value);
	memcpy(dst, n.str, (size_t)n.len + 1);
	return NATT_OK;
}

static int s_name(struct natt_pconf *c, int argc, char *const *argv, const char *where, char *err,
		  size_t errlen)
{
	(void)argc;
	return set_name(c->name, argv[1], "name", where, err, errlen);
}

static int s_server_name(struct natt_pconf *c, int argc, char *const *argv, const char *where,
			 char *err, size_t errlen)
{
	(void)argc;
	return set_name(c->server_name, argv[1], "server-name", where, err, errlen);
}

static int add_addr(struct natt_pconf_addr *list, int *n, const char *value, const char *setting,
		    const char *where, char *err, size_t errlen)
{
	struct natt_pconf_addr *a;

	if (*n == NATT_PCONF_MAX_ADDRS)
		return fail(err, errlen, where, setting, "too many (at most 4)", NULL);
	a = &list[*n];
	if (natt_conf_hostport(value, NATT_PCONF_RDV_PORT, a->host, sizeof(a->host), &a->port) !=
		    NATT_OK ||
	    a->port == 0)
		return fail(err, errlen, where, setting, "bad address (want HOST[:PORT])", value);
	(*n)++;
	return NATT_OK;
}

static int s_rendezvous(struct natt_pconf *c, int argc, char *const *argv, const char *where,
			char *err, size_t errlen)
{
	(void)argc;
	return add_addr(c->rdv, &c->n_rdv, argv[1], "rendezvous", where, err, errlen);
}

static int s_stun(struct natt_pconf *c, int argc, char *const *argv, const char *where, char *err,
		  size_t errlen)
{
	(void)argc;
	return add_addr(c->stun, &c->n_stun, argv[1], "stun", where, err, errlen);
}

static int path_setting(struct natt_pconf_path *p, const char *setting, char *const *argv,
			const char *where, char *err, size_t errlen)
{
	if (set_path(p, argv[1], where) != NATT_OK)
		return fail(err, errlen, where, setting, "bad file name", argv[1]);
	return NATT_OK;
}

static int s_network_key(struct natt_pconf *c, int argc, char *const *argv, const char *where,
			 char *err, size_t errlen)
{
	(void)argc;
	return path_setting(&c->network_key, "network-key", argv, where, err, errlen);
}

static int s_ca(struct natt_pconf *c, int argc, char *const *argv, const char *where, char *err,
		size_t errlen)
{
	(void)argc;
	return path_setting(&c->ca, "ca", argv, where, err, errlen);
}

static int s_cert(struct natt_pconf *c, int argc, char *const *argv, const char *where, char *err,
		  size_t errlen)
{
	(void)argc;
	return path_setting(&c->cert, "cert", argv, where, err, errlen);
}

static int s_key(struct natt_pconf *c, int argc, char *const *argv, const char *where, char *err,
		 size_t errlen)
{
	(void)argc;
	return path_setting(&c->key, "key", argv, where, err, errlen);
}

static int s_keylog(struct natt_pconf *c, int argc, char *const *argv, const char *where, char *err,
		    size_t errlen)
{
	(void)argc;
	return path_setting(&c->keylog, "keylog", argv, where, err, errlen);
}

static bool is_loopback_v4(const char *host)
{
	struct in_addr a;

	return inet_pton(AF_INET, host, &a) == 1 && (ntohl(a.s_addr) >> 24) == 127;
}

static int s_openvpn_address(struct natt_pconf *c, int argc, char *const *argv, const char *where,
			     char *err, size_t errlen)
{
	uint16_t port;
	char host[NATT_PCONF_HOST_MAX];

	(void)argc;
	if (natt_conf_hostport(argv[1], 0, host, sizeof(host), &port) != NATT_OK || port == 0 ||
	    !is_loopback_v4(host))
		return fail(err, errlen, where, "openvpn-address",
			    "bad address (want 127.x.x.x:PORT, a loopback address and a port)",
			    argv[1]);
	copy(c->openvpn_host, sizeof(c->openvpn_host), host);
	c->openvpn_port = port;
	copy(c->openvpn_where, sizeof(c->openvpn_where), where);
	return NATT_OK;
}

static int s_public_port(struct natt_pconf *c, int argc, char *const *argv, const char *where,
			 char *err, size_t errlen)
{
	uint64_t v;

	(void)argc;
	if (strcmp(argv[1], "random") == 0) {
		c->public_port = NATT_PCONF_PUBLIC_RANDOM;
		return NATT_OK;
	}
	if (natt_conf_uint(argv[1], 1, 65535, &v) != NATT_OK)
		return fail(err, errlen, where, "public-port", "want 1-65535 or random, not",
			    argv[1]);
	c->public_port = (int)v;
	return NATT_OK;
}

static int s_cipher(struct natt_pconf *c, int argc, char *const *argv, const char *where, char *err,
		    size_t errlen)
{
	(void)argc;
	if (strcasecmp(argv[1], "AES-256-GCM") == 0)
		c->cipher = NATT_CIPHER_AES_256_GCM;
	else if (strcasecmp(argv[1], "CHACHA20-POLY1305") == 0)
		c->cipher = NATT_CIPHER_CHACHA20_POLY1305;
	else
		return fail(err, errlen, where, "cipher",
			    "want AES-256-GCM or CHACHA20-POLY1305, not", argv[1]);
	return NATT_OK;
}

static int s_keepalive(struct natt_pconf *c, int argc, char *const *argv, const char *where,
		       char *err, size_t errlen)
{
	uint64_t every, timeout;

	if (natt_conf_uint(argv[1], 1, 300, &every) != NATT_OK)
		return fail(err, errlen, where, "keepalive", "interval must be 1-300 s, not",
			    argv[1]);
	timeout = every * 4;
	if (argc > 2 &&
	    (natt_conf_uint(argv[2], 3, 3600, &timeout) != NATT_OK || timeout <= 2 * every))
		return fail(err, errlen, where, "keepalive",
			    "timeout must be 3-3600 s and more than twice the interval, not",
			    argv[2]);
	c->keepalive = (unsigned)every;
	c->keepalive_timeout = (unsigned)timeout;
	return NATT_OK;
}

static int s_status(struct natt_pconf *c, int argc, char *const *argv, const char *where, char *err,
		    size_t errlen)
{
	uint64_t every = NATT_PCONF_STATUS_EVERY;

	if (argc > 2 && natt_conf_uint(argv[2], 1, 86400, &every) != NATT_OK)
		return fail(err, errlen, where, "status", "seconds must be 1-86400, not", argv[2]);
	c->status_every = (unsigned)every;
	return path_setting(&c->status, "status", argv, where, err, errlen);
}

static int s_verb(struct natt_pconf *c, int argc, char *const *argv, const char *where, char *err,
		  size_t errlen)
{
	uint64_t v;

	(void)argc;
	if (natt_conf_uint(argv[1], 0, 11, &v) != NATT_OK)
		return fail(err, errlen, where, "verb", "want 0-11, not", argv[1]);
	c->verb = (int)v;
	return NATT_OK;
}

static int s_path_mtu(struct natt_pconf *c, int argc, char *const *argv, const char *where,
		      char *err, size_t errlen)
{
	uint64_t v;

	(void)argc;
	if (natt_conf_uint(argv[1], NATT_MTU_MIN_PATH, 65535, &v) != NATT_OK)
		return fail(err, errlen, where, "path-mtu", "want 576-65535, not", argv[1]);
	c->path_mtu = (unsigned)v;
	return NATT_OK;
}

static int s_legacy(struct natt_pconf *c, int argc, char *const *argv, const char *where, char *err,
		    size_t errlen)
{
	(void)argc;
	if (strcmp(argv[1], "yes") == 0)
		c->legacy_passthrough = true;
	else if (strcmp(argv[1], "no") == 0)
		c->legacy_passthrough = false;
	else
		return fail(err, errlen, where, "legacy-passthrough", "want yes or no, not",
			    argv[1]);
	return NATT_OK;
}

/* A user or group name: what useradd(8) accepts (letters, digits, . _ -, a
 * trailing $), not starting with '-'.  Resolved later (natt_pconf_runas). */
static bool valid_account(const char *v)
{
	size_t n = strlen(v);

	if (n == 0 || n >= NATT_PCONF_NAME_MAX || v[0] == '-')
		return false;
	for (size_t i = 0; i < n; i++) {
		char ch = v[i];

		if (!(isalnum((unsigned char)ch) || ch == '.' || ch == '_' || ch == '-' ||
		      (ch == '$' && i == n - 1)))
			return false;
	}
	return true;
}

static int set_account(struct natt_pconf_name *dst, const char *value, const char *setting,
		       const char *where, char *err, size_t errlen)
{
	if (!valid_account(value))
		return fail(err, errlen, where, setting, "not a user or group name", value);
	copy(dst->name, sizeof(dst->name), value);
	copy(dst->where, sizeof(dst->where), where);
	return NATT_OK;
}

static int s_user(struct natt_pconf *c, int argc, char *const *argv, const char *where, char *err,
		  size_t errlen)
{
	(void)argc;
	return set_account(&c->user, argv[1], "user", where, err, errlen);
}

static int s_group(struct natt_pconf *c, int argc, char *const *argv, const char *where, char *err,
		   size_t errlen)
{
	(void)argc;
	return set_account(&c->group, argv[1], "group", where, err, errlen);
}

static const struct setting settings[] = {
	{"role", 1, 1, s_role},
	{"name", 1, 1, s_name},
	{"server-name", 1, 1, s_server_name},
	{"rendezvous", 1, 1, s_rendezvous},
	{"stun", 1, 1, s_stun},
	{"network-key", 1, 1, s_network_key},
	{"ca", 1, 1, s_ca},
	{"cert", 1, 1, s_cert},
	{"key", 1, 1, s_key},
	{"openvpn-address", 1, 1, s_openvpn_address},
	{"public-port", 1, 1, s_public_port},
	{"cipher", 1, 1, s_cipher},
	{"keepalive", 1, 2, s_keepalive},
	{"status", 1, 2, s_status},
	{"verb", 1, 1, s_verb},
	{"keylog", 1, 1, s_keylog},
	{"path-mtu", 1, 1, s_path_mtu},
	{"legacy-passthrough", 1, 1, s_legacy},
	{"user", 1, 1, s_user},
	{"group", 1, 1, s_group},
};

void natt_pconf_init(struct natt_pconf *c)
{
	memset(c, 0, sizeof(*c));
	c->public_port = NATT_PCONF_PUBLIC_RANDOM;
	c->cipher = NATT_CIPHER_AES_256_GCM;
	c->keepalive = NATT_PCONF_KEEPALIVE;
	c->keepalive_timeout = NATT_PCONF_KA_TIMEOUT;
	c->status_every = NATT_PCONF_STATUS_EVERY;
	c->verb = -1;
	c->path_mtu = NATT_MTU_DEFAULT_PATH;
	copy(c->openvpn_host, sizeof(c->openvpn_host), "127.0.0.1");
}

int natt_pconf_set(struct natt_pconf *c, int argc, char *const *argv, const char *where, char *err,
		   size_t errlen)
{
	for (size_t i = 0; i < sizeof(settings) / sizeof(settings[0]); i++) {
		const struct setting *s = &settings[i];

		if (strcmp(argv[0], s->name) != 0)
			continue;
		if (argc - 1 < s->min_args || argc - 1 > s->max_args) {
			snprintf(err, errlen, "%s: %s: takes %d%s argument%s, not %d", where,
				 s->name, s->min_args, s->max_args > s->min_args ? " or 2" : "",
				 s->max_args > 1 ? "s" : "", argc - 1);
			return NATT_ERR_SYNTAX;
		}
		return s->fn(c, argc, argv, where, err, errlen);
	}
	return fail(err, errlen, where, argv[0], "unknown setting (see openvpn-plugin-natt(8))",
		    NULL);
}

int natt_pconf_load(struct natt_pconf *c, const char *path, char *err, size_t errlen)
{
	struct natt_conf_reader r;
	struct natt_conf_line *line;
	char *text;
	size_t len;
	int rc;

	copy(c->file, sizeof(c->file), path);
	rc = natt_conf_load(path, &text, &len, err, errlen);
	if (rc != NATT_OK)
		return rc;
	line = malloc(sizeof(*line));
	if (line == NULL) {
		free(text);
		return NATT_ERR_NOMEM;
	}
	natt_conf_reader_init(&r, text, len, path);
	while ((rc = natt_conf_next(&r, line, err, errlen)) == 1) {
		char where[NATT_PCONF_WHERE_MAX];

		snprintf(where, sizeof(where), "%s:%zu", path, line->lineno);
		if (line->inline_text != NULL) {
			rc = fail(err, errlen, where, line->argv[0],
				  "inline blocks are not supported", NULL);
			break;
		}
		rc = natt_pconf_set(c, line->argc, line->argv, where, err, errlen);
		if (rc != NATT_OK)
			break;
	}
	free(line);
	free(text);
	return rc < 0 ? rc : NATT_OK;
}

int natt_pconf_override(struct natt_pconf *c, const char *arg, int index, char *err, size_t errlen)
{
	char where[64], line[NATT_CONF_MAX_LINE];
	char *argv[NATT_CONF_MAX_ARGS + 1];
	char buf[NATT_CONF_MAX_ARGS * (NATT_CONF_MAX_TOKEN + 1)];
	const char *eq = strchr(arg, '=');
	int argc;

	snprintf(where, sizeof(where), "plugin argument %d", index);
	if (eq == NULL || eq == arg || strlen(arg) >= sizeof(line))
		return fail(err, errlen, where, arg, "want key=value", NULL);
	snprintf(line, sizeof(line), "%.*s %s", (int)(eq - arg), arg, eq + 1);
	argc = natt_conf_split(line, strlen(line), argv, NATT_CONF_MAX_ARGS, buf, sizeof(buf), err,
			       errlen);
	if (argc < 1) {
		char reason[256];

		snprintf(reason, sizeof(reason), "%s", argc < 0 ? err : "empty");
		return fail(err, errlen, where, arg, reason, NULL);
	}
	return natt_pconf_set(c, argc, argv, where, err, errlen);
}

const char *natt_prole_name(enum natt_prole r)
{
	return r == NATT_PROLE_SERVER ? "server" : r == NATT_PROLE_CLIENT ? "client" : "unset";
}
