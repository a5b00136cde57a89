/*
 * migrate_check.c: natt-migrate check (see migrate_check.h).
 */
#include <arpa/inet.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "conf.h"
#include "keyfile.h"
#include "natt.h"
#include "migrate_check.h"
#include "migrate_ovpn.h"
#include "migrate_paths.h"
#include "migrate_plan.h"
#include "migrate_unit.h"

#define MTU_TUN_OVERHEAD 86 /* openvpn-plugin-natt(8), MTU: tun-mtu <= path-mtu - 86 */
#define MTU_MSS_OVERHEAD 34 /* mssfix <= path-mtu - 34 */

struct seen {
	char where[4200];
	char value[NATT_MIG_TOKEN];
	char value2[NATT_MIG_TOKEN];
	char value3[NATT_MIG_TOKEN];
	int argc;
	bool inl;
};

struct ck {
	FILE *out;
	int problems;
	char dir[4096];
	bool server, client, compress;
	struct seen proto, local, port, lport, remote, tun, mss, plugin, ca, cert, key;
	/* the plugin config */
	char prole[16], pname[128], psname[128], pkey[4096], paddr[300], pca[4096], pcert[4096],
		pkeyf[4096], pfile[8300];
	char paddr_where[8400], ppublic_where[8400];
	unsigned path_mtu, ppublic; /* path-mtu, public-port (0: random) */
	unsigned ov_port;	    /* server: OpenVPN's loopback port */
	int n_rdv;
	bool plegacy; /* legacy-passthrough yes */
	char *ptext;  /* the plugin configuration's text */
	size_t plen;
};

static void problem(struct ck *k, const char *where, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void problem(struct ck *k, const char *where, const char *fmt, ...)
{
	va_list ap;

	fprintf(k->out, "%s: ", where);
	va_start(ap, fmt);
	vfprintf(k->out, fmt, ap);
	va_end(ap);
	fputc('\n', k->out);
	k->problems++;
}

static void note(struct seen *s, const struct natt_mig_file *f, const struct natt_mig_line *l,
		 bool once)
{
	if (once && s->where[0] != '\0')
		return;
	snprintf(s->where, sizeof(s->where), "%s:%zu", f->path, l->lineno);
	snprintf(s->value, sizeof(s->value), "%s", natt_mig_arg(l, 1));
	snprintf(s->value2, sizeof(s->value2), "%s", natt_mig_arg(l, 2));
	snprintf(s->value3, sizeof(s->value3), "%s", natt_mig_arg(l, 3));
	s->argc = l->argc;
	s->inl = l->kind == NATT_MIG_BLOCK_START;
}

static void learn(struct ck *k, const struct natt_mig_file *f, const struct natt_mig_line *l)
{
	const char *n = l->argv[0];

	if (l->kind == NATT_MIG_BLOCK_START) {
		if (!strcmp(n, "ca"))
			note(&k->ca, f, l, false);
		else if (!strcmp(n, "cert"))
			note(&k->cert, f, l, false);
		else if (!strcmp(n, "key"))
			note(&k->key, f, l, false);
		return;
	}
	if (l->kind != NATT_MIG_DIRECTIVE)
		return;
	if (!strcmp(n, "server") || !strcmp(n, "server-ipv6") ||
	    (!strcmp(n, "mode") && !strcmp(natt_mig_arg(l, 1), "server")))
		k->server = true;
	else if (!strcmp(n, "client") || !strcmp(n, "tls-client"))
		k->client = true;
	else if (!strcmp(n, "remote"))
		note(&k->remote, f, l, true);
	else if (l->in_connection)
		return;
	else if (!strcmp(n, "proto"))
		note(&k->proto, f, l, false);
	else if (!strcmp(n, "local"))
		note(&k->local, f, l, false);
	else if (!strcmp(n, "port"))
		note(&k->port, f, l, false);
	else if (!strcmp(n, "lport"))
		note(&k->lport, f, l, false);
	else if (!strcmp(n, "tun-mtu"))
		note(&k->tun, f, l, false);
	else if (!strcmp(n, "mssfix"))
		note(&k->mss, f, l, false);
	else if (!strcmp(n, "compress") || !strcmp(n, "comp-lzo"))
		k->compress = true;
	else if (!strcmp(n, "ca"))
		note(&k->ca, f, l, false);
	else if (!strcmp(n, "cert"))
		note(&k->cert, f, l, false);
	else if (!strcmp(n, "key"))
		note(&k->key, f, l, false);
	else if (!strcmp(n, "plugin") && strstr(natt_mig_arg(l, 1), NATT_MIG_PLUGIN_SO))
		note(&k->plugin, f, l, false);
}

/* path made absolute against the config's directory, into out. */
static const char *resolve(const struct ck *k, const char *path, char *out, size_t cap)
{
	if (path[0] == '/')
		snprintf(out, cap, "%s", path);
	else
		snprintf(out, cap, "%s/%s", k->dir, path);
	return out;
}

static void readable(struct ck *k, const char *where, const char *what, const char *path)
{
	char abs[8300];
	int fd = open(resolve(k, path, abs, sizeof(abs)), O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		problem(k, where, "%s: cannot read '%s'", what, abs);
	else
		close(fd);
}

static void set(char *dst, size_t cap, const struct natt_conf_line *l)
{
	snprintf(dst, cap, "%s", l->argc > 1 ? l->argv[1] : "");
}

static void pconf_line(struct ck *k, const struct natt_conf_line *l, const char *where)
{
	const char *n = l->argv[0];
	uint64_t v;

	if (!strcmp(n, "role"))
		set(k->prole, sizeof(k->prole), l);
	else if (!strcmp(n, "name"))
		set(k->pname, sizeof(k->pname), l);
	else if (!strcmp(n, "server-name"))
		set(k->psname, sizeof(k->psname), l);
	else if (!strcmp(n, "rendezvous"))
		k->n_rdv++;
	else if (!strcmp(n, "network-key"))
		set(k->pkey, sizeof(k->pkey), l);
	else if (!strcmp(n, "ca"))
		set(k->pca, sizeof(k->pca), l);
	else if (!strcmp(n, "cert"))
		set(k->pcert, sizeof(k->pcert), l);
	else if (!strcmp(n, "key"))
		set(k->pkeyf, sizeof(k->pkeyf), l);
	else if (!strcmp(n, "openvpn-address")) {
		set(k->paddr, sizeof(k->paddr), l);
		snprintf(k->paddr_where, sizeof(k->paddr_where), "%s", where);
	} else if (!strcmp(n, "path-mtu") && l->argc == 2 &&
		   natt_conf_uint(l->argv[1], 576, 65535, &v) == NATT_OK) {
		k->path_mtu = (unsigned)v;
	} else if (!strcmp(n, "public-port")) {
		k->ppublic = l->argc == 2 && natt_conf_uint(l->argv[1], 1, 65535, &v) == NATT_OK
				     ? (unsigned)v
				     : 0;
		snprintf(k->ppublic_where, sizeof(k->ppublic_where), "%s", where);
	} else if (!strcmp(n, "legacy-passthrough")) {
		k->plegacy = l->argc == 2 && !strcmp(l->argv[1], "yes");
	}
}

static void read_pconf(struct ck *k)
{
	struct natt_conf_reader r;
	struct natt_conf_line *l = malloc(sizeof(*l));
	char err[600], abs[8300], where[8400], *text;
	size_t len;
	int rc;

	resolve(k, k->plugin.value2, abs, sizeof(abs));
	snprintf(k->pfile, sizeof(k->pfile), "%s", abs);
	if (l == NULL || natt_conf_load(abs, &text, &len, err, sizeof(err)) != NATT_OK) {
		problem(k, k->plugin.where, "plugin configuration: %s%s", l ? err : "out of memory",
			"");
		free(l);
		return;
	}
	natt_conf_reader_init(&r, text, len, abs);
	while ((rc = natt_conf_next(&r, l, err, sizeof(err))) == 1) {
		snprintf(where, sizeof(where), "%s:%zu", abs, l->lineno);
		pconf_line(k, l, where);
	}
	if (rc < 0)
		problem(k, err, "%s%s", "syntax error", "");
	free(l);
	k->ptext = text;
	k->plen = len;
}

static bool loopback(const char *host)
{
	struct in_addr a;

	return inet_pton(AF_INET, host, &a) == 1 && (ntohl(a.s_addr) >> 24) == 127;
}

static void check_address(struct ck *k, const char *cfg)
{
	char host[256], want[600];
	uint16_t port = 0;
	const struct seen *p = k->lport.where[0] ? &k->lport : &k->port;
	const char *ov_port = p->where[0] ? p->value : "1194";

	k->ov_port = (unsigned)strtoul(ov_port, NULL, 10);

	if (k->server) {
		if (!loopback(k->local.value))
			problem(k, k->local.where[0] ? k->local.where : cfg,
				"OpenVPN must listen on loopback ('local 127.0.0.1'), not '%s'%s",
				k->local.value, "");
		snprintf(want, sizeof(want), "%s:%s", k->local.value, ov_port);
	} else {
		if (!loopback(k->remote.value))
			problem(k, k->remote.where[0] ? k->remote.where : cfg,
				"the first remote must be the plugin on loopback, not '%s'%s",
				k->remote.value, "");
		snprintf(want, sizeof(want), "%s:%s", k->remote.value,
			 k->remote.value2[0] ? k->remote.value2
			 : k->port.where[0]  ? k->port.value
					     : "1194");
		if (k->remote.value3[0] && strncmp(k->remote.value3, "udp", 3) != 0)
			problem(k, k->remote.where, "the first remote must be udp, not %s%s",
				k->remote.value3, "");
	}
	if (k->paddr[0] != '\0' &&
	    (natt_conf_hostport(k->paddr, 0, host, sizeof(host), &port) != NATT_OK ||
	     strcmp(k->paddr, want) != 0))
		problem(k, k->paddr_where, "openvpn-address %s does not match OpenVPN's %s",
			k->paddr, want);
}

static void check_mtu(struct ck *k, const char *cfg)
{
	unsigned path = k->path_mtu ? k->path_mtu : NATT_MIG_PATH_MTU, c = k->compress;
	uint64_t tun = 1500, mss = 0;
	char lim[32];

	if (k->tun.where[0])
		natt_conf_uint(k->tun.value, 0, 65535, &tun);
	if (tun > path - MTU_TUN_OVERHEAD - c) {
		snprintf(lim, sizeof(lim), "%u", path - MTU_TUN_OVERHEAD - c);
		problem(k, k->tun.where[0] ? k->tun.where : cfg,
			"tun-mtu too large for the transport: set 'tun-mtu %s' (%s)", lim,
			k->tun.where[0] ? k->tun.value : "1500 by default");
	}
	if (k->mss.where[0] &&
	    (k->mss.argc < 2 || natt_conf_uint(k->mss.value, 0, 65535, &mss) != NATT_OK ||
	     mss > path - MTU_MSS_OVERHEAD - c)) {
		snprintf(lim, sizeof(lim), "%u", path - MTU_MSS_OVERHEAD - c);
		problem(k, k->mss.where, "mssfix too large for the transport: at most %s%s", lim,
			"");
	}
}

static void check_pem(struct ck *k, const struct seen *ov, const char *mine, const char *what,
		      const char *cfg)
{
	if (mine[0] != '\0')
		readable(k, k->pfile, what, mine);
	else if (ov->where[0] == '\0')
		problem(k, cfg, "no %s in OpenVPN's or the plugin's configuration%s", what, "");
	else if (ov->inl)
		problem(k, ov->where, "inline <%s>: the plugin needs '%s FILE' in its config", what,
			what);
}

/* Every file name of OpenVPN's configuration, as OpenVPN will open it. */
static void check_names(struct ck *k, const struct natt_mig_conf *c)
{
	size_t fi, i;

	for (fi = 0; fi < c->n_files; fi++)
		for (i = 0; i < c->files[fi].n_lines; i++) {
			const struct natt_mig_line *l = &c->files[fi].lines[i];
			char name[NATT_MIG_TOKEN], where[4200], abs[8300];
			int arg = 0;
			enum natt_mig_pkind kind = natt_mig_path_of(l, &arg, name, sizeof(name));
			struct stat st;

			if (kind == NATT_MIG_P_NONE || !strcmp(l->argv[0], "config"))
				continue;
			snprintf(where, sizeof(where), "%s:%zu", c->files[fi].path, l->lineno);
			natt_mig_join(!strcmp(l->argv[0], "cd") ? c->dir : k->dir, name, abs,
				      sizeof(abs));
			if (kind == NATT_MIG_P_IN)
				readable(k, where, l->argv[0], abs);
			else if (kind == NATT_MIG_P_DIR &&
				 (stat(abs, &st) != 0 || !S_ISDIR(st.st_mode)))
				problem(k, where, "%s: no directory '%s'", l->argv[0], abs);
			else if (kind == NATT_MIG_P_CMD && access(abs, X_OK) != 0)
				problem(k, where, "%s: cannot run '%s'", l->argv[0], abs);
			else if (kind == NATT_MIG_P_OUT &&
				 (stat(dirname(abs), &st) != 0 || !S_ISDIR(st.st_mode)))
				problem(k, where, "%s: no directory '%s' to write '%s' in",
					l->argv[0], abs, name);
		}
}

/* The lines natt-migrate replaced: "#natt-migrate# port 1194" ... */
static void old_setting(const struct natt_mig_file *f, const char *name, char *value, size_t cap,
			char *where, size_t wcap)
{
	static char buf[NATT_CONF_MAX_ARGS * (NATT_CONF_MAX_TOKEN + 1)];
	size_t i, mark = strlen(NATT_MIG_MARK);

	for (i = 0; i < f->n_lines; i++) {
		const char *s = f->text + f->lines[i].off;
		size_t n = f->lines[i].len;
		char *argv[NATT_CONF_MAX_ARGS + 1], why[128];
		int argc;

		while (n > 0 && (s[n - 1] == '\n' || s[n - 1] == '\r'))
			n--;
		if (n <= mark || memcmp(s, NATT_MIG_MARK, mark) != 0)
			continue;
		argc = natt_conf_split(s + mark, n - mark, argv, NATT_CONF_MAX_ARGS, buf,
				       sizeof(buf), why, sizeof(why));
		if (argc >= 2 && !strcmp(argv[0] + 2 * !strncmp(argv[0], "--", 2), name)) {
			snprintf(value, cap, "%s", argv[1]);
			snprintf(where, wcap, "%s:%zu", f->path, f->lines[i].lineno);
		}
	}
}

/* legacy-passthrough yes: the public port is the old one, the old clients used UDP. */
static void check_legacy(struct ck *k, const struct natt_mig_conf *c, unsigned ov_port)
{
	char port[NATT_MIG_TOKEN] = "", lport[NATT_MIG_TOKEN] = "", proto[NATT_MIG_TOKEN] = "";
	char pw[4200] = "", lw[4200] = "", prw[4200] = "";
	const char *old = "1194", *oldw = "OpenVPN's default";

	if (!k->plegacy)
		return;
	if (!k->server)
		problem(k, k->pfile, "legacy-passthrough yes is for a server%s", "");
	if (k->ppublic == 0) {
		problem(k, k->pfile,
			"legacy-passthrough yes needs a fixed public-port: the port the old "
			"clients use%s",
			"");
		return;
	}
	if (k->ppublic == ov_port)
		problem(k, k->ppublic_where,
			"public-port %u is OpenVPN's loopback port too: with the plugin on "
			"0.0.0.0:%u OpenVPN cannot bind 127.0.0.1:%u",
			k->ppublic, ov_port, ov_port);
	old_setting(&c->files[0], "proto", proto, sizeof(proto), prw, sizeof(prw));
	old_setting(&c->files[0], "port", port, sizeof(port), pw, sizeof(pw));
	old_setting(&c->files[0], "lport", lport, sizeof(lport), lw, sizeof(lw));
	if (!strncmp(proto, "tcp", 3) || (strlen(proto) > 3 && proto[3] == '6'))
		problem(k, prw,
			"the old deployment was proto %s: the plugin passes only UDP over IPv4 "
			"through, so legacy-passthrough cannot serve its clients",
			proto);
	if (lport[0] != '\0' || port[0] != '\0') {
		old = lport[0] != '\0' ? lport : port;
		oldw = lport[0] != '\0' ? lw : pw;
	}
	if ((unsigned)strtoul(old, NULL, 10) != k->ppublic)
		problem(k, k->ppublic_where,
			"public-port %u, but the old clients use port %s (%s): they would not be "
			"passed through",
			k->ppublic, old, oldw);
}

/* The systemd unit that runs the configuration, if any. */
static void check_unit(struct ck *k, const struct natt_mig_conf *c, const char *cfg,
		       const char *unit)
{
	struct natt_mig_unit *u = calloc(1, sizeof(*u));
	struct natt_mig_need nd;
	struct natt_mig_buf dropin = {0};
	char abs[PATH_MAX], err[600];
	int rc;

	if (u == NULL || realpath(cfg, abs) == NULL) {
		free(u);
		return;
	}
	rc = natt_mig_unit_find(abs, unit, u, err, sizeof(err));
	if (rc < 0)
		problem(k, cfg, "systemd: %s", err);
	if (rc == 0 && natt_mig_need_collect(&nd, c, k->pfile, k->ptext, k->plen) == 0) {
		k->problems += natt_mig_unit_eval(u, &nd, false, k->out, &dropin);
		if (dropin.len > 0)
			problem(k, u->name,
				"needs a drop-in for the plugin (natt-migrate --systemd-dropin "
				"writes it):%s",
				strstr(dropin.p, "[Service]") + strlen("[Service]"));
		natt_mig_need_free(&nd);
	}
	natt_mig_buf_free(&dropin);
	free(u);
}

static void check_pair(struct ck *k, const char *cfg)
{
	enum natt_key_kind kind;
	uint8_t key[NATT_KEY_LEN];
	char err[600], warn[600], abs[8300];

	if (k->server == k->client)
		problem(k, cfg, "neither clearly a server nor a client%s%s", "", "");
	if (strcmp(k->prole, k->server ? "server" : "client") != 0)
		problem(k, k->pfile, "role '%s' does not match OpenVPN's configuration (%s)",
			k->prole, k->server ? "server" : "client");
	if (!natt_mig_name_ok(k->pname))
		problem(k, k->pfile, "name '%s': missing or not a valid peer name%s", k->pname, "");
	if (k->client && !natt_mig_name_ok(k->psname))
		problem(k, k->pfile, "server-name '%s': missing or invalid%s", k->psname, "");
	if (k->n_rdv == 0)
		problem(k, k->pfile, "no rendezvous%s%s", "", "");
	if (k->pkey[0] == '\0')
		problem(k, k->pfile, "no network-key%s%s", "", "");
	else if (natt_keyfile_load(resolve(k, k->pkey, abs, sizeof(abs)), &kind, key, err,
				   sizeof(err), warn, sizeof(warn)) != NATT_OK)
		problem(k, k->pfile, "network-key: %s%s", err, "");
	if (k->server && strncmp(k->proto.value, "udp", 3) != 0)
		problem(k, k->proto.where[0] ? k->proto.where : cfg,
			"OpenVPN must use proto udp towards the plugin, not '%s'%s",
			k->proto.where[0] ? k->proto.value : "udp", "");
	check_address(k, cfg);
	check_mtu(k, cfg);
	check_pem(k, &k->ca, k->pca, "ca", cfg);
	check_pem(k, &k->cert, k->pcert, "cert", cfg);
	check_pem(k, &k->key, k->pkeyf, "key", cfg);
	if (k->plugin.value[0] != '\0' && access(k->plugin.value, R_OK) != 0)
		problem(k, k->plugin.where, "plugin '%s' cannot be read%s", k->plugin.value, "");
}

int natt_mig_check(const char *config, const char *unit, FILE *out)
{
	struct natt_mig_conf *c = calloc(1, sizeof(*c));
	struct ck *k = calloc(1, sizeof(*k));
	char err[1024];
	size_t fi, i;
	int n;

	if (c == NULL || k == NULL) {
		free(c);
		free(k);
		fprintf(out, "%s: out of memory\n", config);
		return 1;
	}
	k->out = out;
	snprintf(err, sizeof(err), "%s", config);
	snprintf(k->dir, sizeof(k->dir), "%s", dirname(err));
	if (natt_mig_load(c, config, err, sizeof(err)) != 0) {
		fprintf(out, "%s\n", err);
		k->problems++;
	} else {
		for (fi = 0; fi < c->n_files; fi++)
			for (i = 0; i < c->files[fi].n_lines; i++)
				learn(k, &c->files[fi], &c->files[fi].lines[i]);
		if (k->plugin.where[0] == '\0')
			problem(k, config, "no 'plugin .../%s.so' line: not migrated%s",
				NATT_MIG_PLUGIN_SO, "");
		else if (k->plugin.argc < 3 || strchr(k->plugin.value2, '=') != NULL)
			problem(k, k->plugin.where,
				"the plugin line names no configuration "
				"file%s%s",
				"", "");
		else {
			snprintf(k->dir, sizeof(k->dir), "%s", c->cwd);
			read_pconf(k);
			check_pair(k, config);
			check_names(k, c);
			check_legacy(k, c, k->ov_port);
			check_unit(k, c, config, unit);
		}
	}
	natt_mig_conf_free(c);
	n = k->problems;
	free(k->ptext);
	free(c);
	free(k);
	return n;
}
