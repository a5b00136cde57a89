/*
 * migrate_plan.c: decides, line by line, what natt-migrate changes in an
 * OpenVPN configuration, and builds the new texts (see migrate_plan.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf.h"
#include "natt.h"
#include "migrate_paths.h"
#include "migrate_plan.h"

enum { ACT_KEEP = 0, ACT_COMMENT = 1 };

struct ctx {
	const struct natt_mig_conf *c;
	const struct natt_mig_opts *o;
	struct natt_mig_plan *p;
	unsigned char *act;	   /* per line of the main file */
	struct natt_mig_buf *repl; /* per line of the main file: its replacement (moves) */
	size_t insert_at;	   /* client: the line the new remote goes before */
	bool insert_block;	   /* ... as a <connection> block */
	bool is_server, is_client, tcp, has_nobind, has_bind, has_een, keep_tun, keep_mss;
	bool has_cert;
	const struct natt_mig_line *proto, *local6; /* the last proto; an IPv6 local */
	unsigned port, lport;			    /* the server's old port and lport */
	char *err;
	size_t errlen;
};

static int refuse(struct ctx *x, const struct natt_mig_file *f, const struct natt_mig_line *l,
		  const char *why)
{
	natt_errmsg(x->err, x->errlen, "%s:%zu: %s: cannot migrate safely: %s", f->path, l->lineno,
		    l->argv[0], why);
	return NATT_ERR_INVALID;
}

static bool is(const struct natt_mig_line *l, const char *name)
{
	return strcmp(l->argv[0], name) == 0;
}

/* Directives the migration rewrites: they must be in the main file. */
static bool rewritten(const struct natt_mig_line *l)
{
	static const char *const names[] = {"proto",   "port",		"lport",      "local",
					    "tun-mtu", "mssfix",	"fragment",   "link-mtu",
					    "remote",  "remote-random", "connection", NULL};
	int i;

	for (i = 0; names[i] != NULL; i++)
		if (is(l, names[i]))
			return true;
	return false;
}

/* The last proto is the one OpenVPN uses. */
static void learn_proto(struct ctx *x, const struct natt_mig_line *l, const char *proto)
{
	x->tcp = !strncmp(proto, "tcp", 3);
	x->proto = l;
}

/* udp6, tcp6, tcp6-server ... */
static bool proto6(const struct natt_mig_line *l)
{
	return l != NULL && strlen(natt_mig_arg(l, 1)) >= 4 && natt_mig_arg(l, 1)[3] == '6';
}

/* Already migrated: which plugin configuration does it use? */
static void plugin_in_use(struct ctx *x, const struct natt_mig_line *l)
{
	const char *pc = natt_mig_arg(l, 2);

	x->p->already = true;
	if (pc[0] != '\0' && strchr(pc, '=') == NULL)
		natt_mig_join(x->c->cwd, pc, x->p->pconf_in_use, sizeof(x->p->pconf_in_use));
}

static int learn(struct ctx *x, const struct natt_mig_file *f, const struct natt_mig_line *l)
{
	const char *a1 = natt_mig_arg(l, 1);

	if (l->kind == NATT_MIG_BLOCK_START && (is(l, "cert") || is(l, "pkcs12")))
		x->has_cert = is(l, "cert");
	if (l->kind == NATT_MIG_BLOCK_START && f != &x->c->files[0] && rewritten(l))
		return refuse(x, f, l, "a <connection> block in an included file");
	if (l->kind != NATT_MIG_DIRECTIVE)
		return 0;
	if (is(l, "server") || is(l, "server-ipv6") || (is(l, "mode") && !strcmp(a1, "server")))
		x->is_server = true;
	else if (is(l, "client") || is(l, "tls-client"))
		x->is_client = true;
	else if (is(l, "server-bridge") || (is(l, "dev") && !strncmp(a1, "tap", 3)) ||
		 (is(l, "dev-type") && !strcmp(a1, "tap")))
		return refuse(x, f, l, "a tap (layer 2) device: the transport carries tun only");
	else if (is(l, "dev") && !strcmp(a1, "null"))
		return refuse(x, f, l, "dev null (a test configuration)");
	else if (is(l, "secret"))
		return refuse(x, f, l, "static-key mode: the transport needs TLS certificates");
	else if (is(l, "mode") && strcmp(a1, "server") != 0)
		return refuse(x, f, l, "point-to-point mode");
	else if (is(l, "pkcs12") || is(l, "pkcs11-id") || is(l, "cryptoapicert") ||
		 is(l, "management-external-key"))
		return refuse(x, f, l, "the plugin needs its key and certificate as PEM files");
	else if (is(l, "port-share"))
		return refuse(x, f, l, "port-share needs OpenVPN on a public TCP port");
	else if (is(l, "http-proxy"))
		return refuse(x, f, l, "an HTTP proxy carries TCP only, the transport is UDP");
	else if (is(l, "proto"))
		learn_proto(x, l, a1);
	else if (is(l, "local") && strchr(a1, ':') != NULL)
		x->local6 = l;
	else if (is(l, "nobind"))
		x->has_nobind = true;
	else if (is(l, "bind") || is(l, "lport"))
		x->has_bind = true;
	else if (is(l, "explicit-exit-notify"))
		x->has_een = true;
	else if (is(l, "cert"))
		x->has_cert = true;
	else if (is(l, "plugin") &&
		 (strstr(a1, NATT_MIG_PLUGIN_SO) != NULL || strcmp(a1, x->o->plugin) == 0))
		plugin_in_use(x, l);
	if (f != &x->c->files[0] && rewritten(l))
		return refuse(x, f, l,
			      "natt-migrate must change it and it is in an included "
			      "file: move it into the main configuration");
	return 0;
}

static void mtu_line(struct ctx *x, size_t i, const struct natt_mig_line *l)
{
	uint64_t v;
	bool num = natt_conf_uint(natt_mig_arg(l, 1), 0, 65535, &v) == NATT_OK;

	if (is(l, "tun-mtu") && l->argc == 2 && num && v <= NATT_MIG_TUN_MTU)
		x->keep_tun = true;
	else if (is(l, "mssfix") && l->argc == 2 && num && v > 0 && v <= NATT_MIG_MSSFIX)
		x->keep_mss = true;
	else if (is(l, "tun-mtu") || is(l, "mssfix") || is(l, "fragment") || is(l, "link-mtu"))
		x->act[i] = ACT_COMMENT;
}

static int server_line(struct ctx *x, size_t i, const struct natt_mig_line *l)
{
	uint64_t v;

	if (l->in_connection)
		return refuse(x, &x->c->files[0], l, "a <connection> block on a server");
	if (is(l, "port") || is(l, "lport")) {
		if (natt_conf_uint(natt_mig_arg(l, 1), 1, 65535, &v) != NATT_OK)
			return refuse(x, &x->c->files[0], l, "not a port number");
		if (is(l, "port"))
			x->port = (unsigned)v;
		else
			x->lport = (unsigned)v; /* OpenVPN listens on lport when both are set */
	}
	if (is(l, "proto") || is(l, "port") || is(l, "lport") || is(l, "local") ||
	    (x->tcp && (is(l, "tcp-nodelay") || is(l, "tcp-queue-limit"))))
		x->act[i] = ACT_COMMENT;
	return 0;
}

static void client_line(struct ctx *x, size_t i, const struct natt_mig_line *l)
{
	if (is(l, "remote-random"))
		x->act[i] = ACT_COMMENT;
	if (x->insert_at == (size_t)-1 && l->kind == NATT_MIG_BLOCK_START && is(l, "connection")) {
		x->insert_at = i;
		x->insert_block = true;
	} else if (x->insert_at == (size_t)-1 && l->kind == NATT_MIG_DIRECTIVE &&
		   !l->in_connection && is(l, "remote")) {
		x->insert_at = i;
	}
}

/* The old listening port; with --keep-legacy it goes to the plugin. */
static void server_ports(struct ctx *x)
{
	unsigned old = x->lport ? x->lport : x->port ? x->port : NATT_MIG_SERVER_PORT;

	x->p->port = old;
	if (!x->o->keep_legacy)
		return;
	x->p->legacy_port = old;
	x->p->port = old + NATT_MIG_LEGACY_SHIFT <= 65535 ? old + NATT_MIG_LEGACY_SHIFT
							  : old - NATT_MIG_LEGACY_SHIFT;
}

static int decide(struct ctx *x)
{
	const struct natt_mig_file *f = &x->c->files[0];
	size_t i;
	int rc;

	x->insert_at = (size_t)-1;
	x->p->port = x->o->server ? NATT_MIG_SERVER_PORT : NATT_MIG_CLIENT_PORT;
	for (i = 0; i < f->n_lines; i++) {
		const struct natt_mig_line *l = &f->lines[i];

		if (!x->o->server)
			client_line(x, i, l);
		if (l->kind != NATT_MIG_DIRECTIVE)
			continue;
		mtu_line(x, i, l);
		if (x->o->server && (rc = server_line(x, i, l)) != 0)
			return rc;
	}
	if (!x->o->server && x->insert_at == (size_t)-1) {
		natt_errmsg(x->err, x->errlen,
			    "%s: no remote: not a client configuration I can "
			    "migrate",
			    f->path);
		return NATT_ERR_INVALID;
	}
	if (x->o->server)
		server_ports(x);
	return 0;
}

static int role_ok(struct ctx *x)
{
	const char *path = x->c->files[0].path;

	if (x->o->server && !x->is_server) {
		natt_errmsg(x->err, x->errlen,
			    "%s: not a server configuration (no server, "
			    "server-ipv6 or mode server)%s",
			    path, x->is_client ? ": use natt-migrate client" : "");
		return NATT_ERR_INVALID;
	}
	if (!x->o->server && !x->is_client) {
		natt_errmsg(x->err, x->errlen,
			    "%s: not a client configuration (no client or "
			    "tls-client)%s",
			    path, x->is_server ? ": use natt-migrate server" : "");
		return NATT_ERR_INVALID;
	}
	if (!x->has_cert) {
		natt_errmsg(x->err, x->errlen,
			    "%s: no cert: the transport's TLS needs this "
			    "peer's certificate and key",
			    path);
		return NATT_ERR_INVALID;
	}
	return 0;
}

/* --keep-legacy passes raw OpenVPN over UDP/IPv4 only (the plugin's public socket). */
static int legacy_ok(struct ctx *x)
{
	const struct natt_mig_file *f = &x->c->files[0];

	if (!x->o->keep_legacy)
		return 0;
	if (!x->o->server) {
		natt_errmsg(x->err, x->errlen, "--keep-legacy is for a server");
		return NATT_ERR_INVALID;
	}
	if (x->tcp)
		return refuse(x, f, x->proto,
			      "--keep-legacy cannot work: the old clients reach this server "
			      "over TCP and the plugin's public socket is UDP, so it cannot pass "
			      "them through; move every client, then migrate without "
			      "--keep-legacy");
	if (proto6(x->proto) || x->local6 != NULL)
		return refuse(x, f, proto6(x->proto) ? x->proto : x->local6,
			      "--keep-legacy cannot work: the plugin passes old clients through "
			      "over IPv4 only (openvpn-plugin-natt(8), legacy-passthrough), and "
			      "this server takes IPv6 clients; migrate without --keep-legacy");
	return 0;
}

static int new_remote(struct ctx *x)
{
	struct natt_mig_buf *b = &x->p->ovpn;
	int rc = natt_mig_buf_printf(b, NATT_MIG_MARK "the NAT-traversal path first; the "
						      "original remotes stay as fallbacks\n");

	if (rc == 0 && x->insert_block)
		rc = natt_mig_buf_printf(b, "<connection>\n");
	if (rc == 0)
		rc = natt_mig_buf_printf(b, "remote %s %u udp\n", NATT_MIG_LOOPBACK,
					 NATT_MIG_CLIENT_PORT);
	if (rc == 0 && x->insert_block)
		rc = natt_mig_buf_printf(b, "</connection>\n");
	return rc;
}

static int plugin_line(struct ctx *x)
{
	struct natt_mig_buf *b = &x->p->ovpn;
	size_t start = b->len;
	int rc = natt_mig_buf_printf(b, "plugin ");

	if (rc == 0)
		rc = natt_mig_buf_token(b, x->o->plugin);
	if (rc == 0)
		rc = natt_mig_buf_add(b, " ", 1);
	if (rc == 0)
		rc = natt_mig_buf_token(b, x->o->pconf_path);
	if (rc == 0 && !natt_mig_line_fits(b->len - start)) {
		natt_errmsg(x->err, x->errlen,
			    "the plugin line (plugin and plugin configuration paths) passes "
			    "OpenVPN's %d-byte line limit: use shorter paths",
			    NATT_MIG_OVPN_LINE);
		return NATT_ERR_INVALID;
	}
	return rc == 0 ? natt_mig_buf_add(b, "\n", 1) : rc;
}

static int tail(struct ctx *x)
{
	struct natt_mig_buf *b = &x->p->ovpn;
	int rc = 0;

	if (b->len > 0 && b->p[b->len - 1] != '\n')
		rc = natt_mig_buf_add(b, "\n", 1);
	if (rc == 0)
		rc = natt_mig_buf_printf(b,
					 "\n" NATT_MIG_MARK "OpenVPN on loopback, %s carries "
					 "its packets (natt-migrate rollback undoes this)\n",
					 NATT_MIG_PLUGIN_SO);
	if (rc == 0 && x->o->server)
		rc = natt_mig_buf_printf(b, "proto udp\nlocal %s\nlport %u\n", NATT_MIG_LOOPBACK,
					 x->p->port);
	if (rc == 0 && !x->o->server && !x->has_nobind && !x->has_bind)
		rc = natt_mig_buf_printf(b, "nobind\n");
	if (rc == 0 && !x->keep_tun)
		rc = natt_mig_buf_printf(b, "tun-mtu %u\n", NATT_MIG_TUN_MTU);
	if (rc == 0 && !x->keep_mss)
		rc = natt_mig_buf_printf(b, "mssfix %u\n", NATT_MIG_MSSFIX);
	if (rc == 0 && x->o->server && !x->has_een)
		rc = natt_mig_buf_printf(b, "explicit-exit-notify 1\n");
	return rc == 0 ? plugin_line(x) : rc;
}

static int build_ovpn(struct ctx *x)
{
	const struct natt_mig_file *f = &x->c->files[0];
	size_t i;
	int rc = 0;

	for (i = 0; rc == 0 && i < f->n_lines; i++) {
		const struct natt_mig_line *l = &f->lines[i];

		if (i == x->insert_at)
			rc = new_remote(x);
		if (rc == 0 && x->act[i] != ACT_COMMENT && x->repl[i].p != NULL) {
			rc = natt_mig_buf_add(&x->p->ovpn, x->repl[i].p, x->repl[i].len);
			continue;
		}
		if (rc == 0 && x->act[i] == ACT_COMMENT &&
		    !natt_mig_line_fits(strlen(NATT_MIG_MARK) + l->len -
					(l->len > 0 && f->text[l->off + l->len - 1] == '\n')))
			return refuse(x, f, l,
				      "marked as replaced, the line would pass OpenVPN's line "
				      "limit: shorten it first");
		if (rc == 0 && x->act[i] == ACT_COMMENT)
			rc = natt_mig_buf_printf(&x->p->ovpn, NATT_MIG_MARK);
		if (rc == 0)
			rc = natt_mig_buf_add(&x->p->ovpn, f->text + l->off, l->len);
		if (rc == 0 && x->act[i] == ACT_COMMENT &&
		    (l->len == 0 || f->text[l->off + l->len - 1] != '\n'))
			rc = natt_mig_buf_add(&x->p->ovpn, "\n", 1);
	}
	return rc == 0 ? tail(x) : rc;
}

/* Inline <ca>, <cert>, <key> of the main file: into files for the plugin. */
static int extract(struct ctx *x)
{
	const struct natt_mig_file *f = &x->c->files[0];
	struct natt_mig_buf *b = NULL;
	size_t i;
	int rc = 0;

	for (i = 0; rc == 0 && i < f->n_lines; i++) {
		const struct natt_mig_line *l = &f->lines[i];

		if (l->kind == NATT_MIG_BLOCK_START && !l->in_connection &&
		    (is(l, "ca") || is(l, "cert") || is(l, "key")) &&
		    x->p->n_extra < NATT_MIG_MAX_EXTRA) {
			snprintf(x->p->extra_path[x->p->n_extra], sizeof(x->p->extra_path[0]),
				 "%s/%s-%s.pem", x->o->outdir, x->o->base, l->argv[0]);
			b = &x->p->extra[x->p->n_extra++];
		} else if (l->kind == NATT_MIG_BLOCK_END) {
			b = NULL;
		} else if (b != NULL) {
			rc = natt_mig_buf_add(b, f->text + l->off, l->len);
		}
	}
	return rc;
}

static int build_pconf(struct ctx *x)
{
	struct natt_mig_buf *b = &x->p->pconf;
	static const char *const what[] = {"ca", "cert", "key"};
	const struct natt_mig_opts *o = x->o;
	size_t i;
	int rc;

	rc = natt_mig_buf_printf(b,
				 "# openvpn-plugin-natt(8) configuration, written by "
				 "natt-migrate for %s\nrole %s\nname %s\n",
				 x->c->files[0].path, o->server ? "server" : "client", o->name);
	if (rc == 0 && !o->server)
		rc = natt_mig_buf_printf(b, "server-name %s\n", o->server_name);
	if (rc == 0)
		rc = natt_mig_buf_printf(b, "rendezvous %s\nnetwork-key ", o->rendezvous);
	if (rc == 0)
		rc = natt_mig_buf_token(b, o->network_key);
	if (rc == 0)
		rc = natt_mig_buf_printf(b, "\nopenvpn-address %s:%u\n", NATT_MIG_LOOPBACK,
					 x->p->port);
	if (rc == 0 && x->p->legacy_port != 0)
		rc = natt_mig_buf_printf(
			b,
			"# --keep-legacy: plain OpenVPN clients still reaching UDP "
			"port %u go on to OpenVPN;\n# natt-migrate server without "
			"--keep-legacy ends it\npublic-port %u\n"
			"legacy-passthrough yes\n",
			x->p->legacy_port, x->p->legacy_port);
	for (i = 0; rc == 0 && i < x->p->n_extra; i++) {
		const char *slash = strrchr(x->p->extra_path[i], '-');
		size_t k;

		for (k = 0; k < 3; k++)
			if (slash != NULL && !strncmp(slash + 1, what[k], strlen(what[k])) &&
			    slash[1 + strlen(what[k])] == '.')
				break;
		rc = natt_mig_buf_printf(b, "%s ", k < 3 ? what[k] : "ca");
		if (rc == 0)
			rc = natt_mig_buf_token(b, x->p->extra_path[i]);
		if (rc == 0)
			rc = natt_mig_buf_add(b, "\n", 1);
	}
	return rc;
}

int natt_mig_plan(const struct natt_mig_conf *c, const struct natt_mig_opts *o,
		  struct natt_mig_plan *p, char *err, size_t errlen)
{
	struct ctx x = {.c = c, .o = o, .p = p, .err = err, .errlen = errlen};
	size_t fi, i;
	int rc = 0;

	memset(p, 0, sizeof(*p));
	for (fi = 0; rc == 0 && fi < c->n_files; fi++)
		for (i = 0; rc == 0 && i < c->files[fi].n_lines; i++)
			rc = learn(&x, &c->files[fi], &c->files[fi].lines[i]);
	if (rc != 0 || p->already)
		return rc;
	if ((rc = role_ok(&x)) != 0 || (rc = legacy_ok(&x)) != 0)
		return rc;
	x.act = calloc(c->files[0].n_lines + 1, 1);
	x.repl = calloc(c->files[0].n_lines + 1, sizeof(*x.repl));
	if (x.act == NULL || x.repl == NULL)
		rc = NATT_ERR_NOMEM;
	if (rc == 0)
		rc = decide(&x);
	if (rc == 0)
		rc = natt_mig_reloc(c, o, x.repl, err, errlen);
	if (rc == 0)
		rc = extract(&x);
	if (rc == 0)
		rc = build_ovpn(&x);
	if (rc == 0)
		rc = build_pconf(&x);
	for (i = 0; x.repl != NULL && i < c->files[0].n_lines; i++)
		natt_mig_buf_free(&x.repl[i]);
	free(x.repl);
	free(x.act);
	return rc;
}

void natt_mig_plan_free(struct natt_mig_plan *p)
{
	size_t i;

	natt_mig_buf_free(&p->ovpn);
	natt_mig_buf_free(&p->pconf);
	for (i = 0; i < NATT_MIG_MAX_EXTRA; i++)
		natt_mig_buf_free(&p->extra[i]);
}
