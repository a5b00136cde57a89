/*
 * migrate_paths.c: which directives name files (OpenVPN 2.6, openvpn(8)),
 * and the relocation of relative names (see migrate_paths.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "natt.h"
#include "migrate_paths.h"

struct pdir {
	const char *name;
	int arg; /* which argument is the file */
	enum natt_mig_pkind kind;
};

/* Sorted (strcmp order): looked up with bsearch(). */
static const struct pdir table[] = {
	{"askpass", 1, NATT_MIG_P_IN},
	{"auth-gen-token-secret", 1, NATT_MIG_P_IN},
	{"auth-user-pass", 1, NATT_MIG_P_IN},
	{"auth-user-pass-verify", 1, NATT_MIG_P_CMD},
	{"ca", 1, NATT_MIG_P_IN},
	{"capath", 1, NATT_MIG_P_DIR},
	{"cd", 1, NATT_MIG_P_DIR},
	{"cert", 1, NATT_MIG_P_IN},
	{"chroot", 1, NATT_MIG_P_DIR},
	{"client-config-dir", 1, NATT_MIG_P_DIR},
	{"client-connect", 1, NATT_MIG_P_CMD},
	{"client-disconnect", 1, NATT_MIG_P_CMD},
	{"config", 1, NATT_MIG_P_IN},
	{"crl-verify", 1, NATT_MIG_P_IN},
	{"dh", 1, NATT_MIG_P_IN},
	{"down", 1, NATT_MIG_P_CMD},
	{"extra-certs", 1, NATT_MIG_P_IN},
	{"http-proxy", 3, NATT_MIG_P_IN},
	{"ifconfig-pool-persist", 1, NATT_MIG_P_OUT},
	{"key", 1, NATT_MIG_P_IN},
	{"learn-address", 1, NATT_MIG_P_CMD},
	{"log", 1, NATT_MIG_P_OUT},
	{"log-append", 1, NATT_MIG_P_OUT},
	{"management", 3, NATT_MIG_P_IN},
	{"pkcs12", 1, NATT_MIG_P_IN},
	{"replay-persist", 1, NATT_MIG_P_OUT},
	{"route-pre-down", 1, NATT_MIG_P_CMD},
	{"route-up", 1, NATT_MIG_P_CMD},
	{"secret", 1, NATT_MIG_P_IN},
	{"socks-proxy", 3, NATT_MIG_P_IN},
	{"status", 1, NATT_MIG_P_OUT},
	{"tls-auth", 1, NATT_MIG_P_IN},
	{"tls-crypt", 1, NATT_MIG_P_IN},
	{"tls-crypt-v2", 1, NATT_MIG_P_IN},
	{"tls-crypt-v2-verify", 1, NATT_MIG_P_CMD},
	{"tls-export-cert", 1, NATT_MIG_P_DIR},
	{"tls-verify", 1, NATT_MIG_P_CMD},
	{"tmp-dir", 1, NATT_MIG_P_DIR},
	{"up", 1, NATT_MIG_P_CMD},
	{"writepid", 1, NATT_MIG_P_OUT},
};

static int cmp(const void *key, const void *elem)
{
	return strcmp(key, ((const struct pdir *)elem)->name);
}

/* Values that name no file: OpenVPN's inline marker, stdin, dh none ... */
static bool special(const char *v)
{
	static const char *const words[] = {"[[INLINE]]", "stdin", "none", "auto", "auto-nct"};
	size_t i;

	for (i = 0; i < sizeof(words) / sizeof(words[0]); i++)
		if (strcmp(v, words[i]) == 0)
			return true;
	return v[0] == '\0';
}

/* The first word of a command line (OpenVPN splits it like a config line). */
static void first_word(const char *cmd, char *out, size_t cap)
{
	size_t n;

	cmd += strspn(cmd, " \t");
	n = strcspn(cmd, " \t");
	snprintf(out, cap, "%.*s", (int)n, cmd);
}

enum natt_mig_pkind natt_mig_path_of(const struct natt_mig_line *l, int *arg, char *name,
				     size_t cap)
{
	const struct pdir *d;
	enum natt_mig_pkind kind;

	name[0] = '\0';
	if (l->kind != NATT_MIG_DIRECTIVE)
		return NATT_MIG_P_NONE;
	d = bsearch(l->argv[0], table, sizeof(table) / sizeof(table[0]), sizeof(table[0]), cmp);
	if (d == NULL)
		return NATT_MIG_P_NONE;
	*arg = d->arg;
	kind = d->kind;
	if (strcmp(d->name, "management") == 0 && !strcmp(natt_mig_arg(l, 2), "unix")) {
		*arg = 1; /* management SOCKET unix: the socket it creates */
		kind = NATT_MIG_P_OUT;
	} else if (strcmp(d->name, "crl-verify") == 0 && !strcmp(natt_mig_arg(l, 2), "dir")) {
		kind = NATT_MIG_P_DIR;
	}
	if (*arg >= l->argc || *arg >= NATT_MIG_ARGS || special(l->argv[*arg]))
		return NATT_MIG_P_NONE;
	if (kind == NATT_MIG_P_CMD)
		first_word(l->argv[*arg], name, cap);
	else
		snprintf(name, cap, "%s", l->argv[*arg]);
	return name[0] != '\0' ? kind : NATT_MIG_P_NONE;
}

bool natt_mig_line_fits(size_t len)
{
	return len <= NATT_MIG_OVPN_LINE;
}

/* ---- relocation ---- */

struct rl {
	const struct natt_mig_conf *c;
	struct natt_mig_buf *repl;
	char cwd[NATT_MIG_PATH]; /* the old layout's working directory, while reading */
	bool agree;		 /* a `cd` was read: both layouts share the directory */
	const struct natt_mig_line *chroot;
	size_t chroot_fi;
	char *err;
	size_t errlen;
};

static int refuse(struct rl *r, size_t fi, const struct natt_mig_line *l, const char *why)
{
	natt_errmsg(r->err, r->errlen, "%s:%zu: %s: cannot move this configuration: %s",
		    r->c->files[fi].path, l->lineno, l->argv[0], why);
	return NATT_ERR_INVALID;
}

static size_t content_len(const struct natt_mig_file *f, const struct natt_mig_line *l)
{
	size_t n = l->len;

	return n > 0 && f->text[l->off + n - 1] == '\n' ? n - 1 : n;
}

/* Line i of the main file becomes: the original, marked; then value in argument arg. */
static int rewrite(struct rl *r, size_t i, int arg, const char *value)
{
	const struct natt_mig_file *f = &r->c->files[0];
	const struct natt_mig_line *l = &f->lines[i];
	struct natt_mig_buf *b = &r->repl[i];
	size_t n = content_len(f, l), start;
	bool crlf = n > 0 && f->text[l->off + n - 1] == '\r';
	int k, rc;

	if (l->argc > NATT_MIG_ARGS)
		return refuse(r, 0, l, "too many arguments to rewrite the line");
	if (!natt_mig_line_fits(strlen(NATT_MIG_MARK) + n))
		return refuse(r, 0, l, "the line is too long to keep it, marked, for OpenVPN");
	rc = natt_mig_buf_printf(b, NATT_MIG_MARK "%.*s\n", (int)n, f->text + l->off);
	start = b->len;
	for (k = 0; rc == 0 && k < l->argc; k++) {
		if (k > 0)
			rc = natt_mig_buf_add(b, " ", 1);
		if (rc == 0)
			rc = natt_mig_buf_token(b, k == arg ? value : l->argv[k]);
	}
	if (rc == 0 && !natt_mig_line_fits(b->len - start + crlf))
		return refuse(r, 0, l, "with the absolute name the line passes OpenVPN's limit");
	return rc == 0 ? natt_mig_buf_add(b, crlf ? "\r\n" : "\n", crlf ? 2 : 1) : rc;
}

/* The absolute value for argument arg: the name joined to dir (a command keeps its arguments). */
static int absolute(struct rl *r, size_t fi, const struct natt_mig_line *l, int arg,
		    const char *name, const char *dir, char *out, size_t cap)
{
	const char *tok = l->argv[arg];
	char abs[NATT_MIG_PATH];

	natt_mig_join(dir, name, abs, sizeof(abs));
	if (strcspn(name, "\"'\\") != strlen(name))
		return refuse(r, fi, l, "a quoted command name: make it absolute by hand");
	tok += strspn(tok, " \t");
	snprintf(out, cap, "%s%s", abs, tok + strlen(name));
	return strlen(out) < NATT_MIG_TOKEN ? 0 : refuse(r, fi, l, "the absolute name is too long");
}

static int walk(struct rl *r, size_t fi);

/* Reading order: `cd` and `config` act at once. */
static int walk_line(struct rl *r, size_t fi, size_t i)
{
	const struct natt_mig_line *l = &r->c->files[fi].lines[i];
	char name[NATT_MIG_TOKEN], val[NATT_MIG_PATH];
	int arg = 0, rc = 0;
	enum natt_mig_pkind kind = natt_mig_path_of(l, &arg, name, sizeof(name));
	bool cd = kind != NATT_MIG_P_NONE && !strcmp(l->argv[0], "cd");
	bool inc = kind != NATT_MIG_P_NONE && !strcmp(l->argv[0], "config");

	if (kind != NATT_MIG_P_NONE && !strcmp(l->argv[0], "chroot")) {
		r->chroot = l;
		r->chroot_fi = fi;
	}
	if (!cd && !inc)
		return 0;
	if (name[0] != '/' && (cd || !r->agree)) {
		if (fi != 0)
			return refuse(r, fi, l, "a relative name in an included file");
		rc = absolute(r, fi, l, arg, name, r->cwd, val, sizeof(val));
		if (rc == 0)
			rc = rewrite(r, i, arg, val);
	}
	if (cd) {
		natt_mig_join(r->cwd, name, val, sizeof(val));
		snprintf(r->cwd, sizeof(r->cwd), "%s", val);
		r->agree = true;
	}
	return rc == 0 && inc && l->include > 0 ? walk(r, l->include) : rc;
}

static int walk(struct rl *r, size_t fi)
{
	size_t i;
	int rc = 0;

	if (fi >= r->c->n_files)
		return 0; /* not loaded: a conf parsed in memory has no includes */
	for (i = 0; rc == 0 && i < r->c->files[fi].n_lines; i++)
		rc = walk_line(r, fi, i);
	return rc;
}

/* Without a `cd`, every other relative name moves with the file: rewrite it. */
static int others(struct rl *r)
{
	size_t fi, i;
	int rc = 0;

	for (fi = 0; rc == 0 && fi < r->c->n_files; fi++) {
		for (i = 0; rc == 0 && i < r->c->files[fi].n_lines; i++) {
			const struct natt_mig_line *l = &r->c->files[fi].lines[i];
			char name[NATT_MIG_TOKEN], val[NATT_MIG_PATH];
			int arg = 0;

			if (natt_mig_path_of(l, &arg, name, sizeof(name)) == NATT_MIG_P_NONE ||
			    name[0] == '/' || !strcmp(l->argv[0], "cd") ||
			    !strcmp(l->argv[0], "config"))
				continue;
			if (r->chroot != NULL)
				return refuse(r, r->chroot_fi, r->chroot,
					      "with chroot, some names are opened inside the jail: "
					      "migrate in place (no --out) or make them absolute");
			if (fi != 0)
				return refuse(r, fi, l, "a relative name in an included file");
			rc = absolute(r, fi, l, arg, name, r->cwd, val, sizeof(val));
			if (rc == 0)
				rc = rewrite(r, i, arg, val);
		}
	}
	return rc;
}

int natt_mig_reloc(const struct natt_mig_conf *c, const struct natt_mig_opts *o,
		   struct natt_mig_buf *repl, char *err, size_t errlen)
{
	struct rl *r;
	int rc;

	if (o->run_dir == NULL || o->config_dir == NULL || strcmp(o->run_dir, o->config_dir) == 0)
		return 0;
	r = calloc(1, sizeof(*r));
	if (r == NULL)
		return NATT_ERR_NOMEM;
	r->c = c;
	r->repl = repl;
	r->err = err;
	r->errlen = errlen;
	snprintf(r->cwd, sizeof(r->cwd), "%s", o->config_dir);
	rc = walk(r, 0);
	if (rc == 0 && !r->agree)
		rc = others(r);
	free(r);
	return rc;
}
