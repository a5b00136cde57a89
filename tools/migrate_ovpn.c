/*
 * migrate_ovpn.c: reads an OpenVPN configuration line by line, keeping each
 * line's original bytes; tokens come from natt_conf_split() (transport/conf.h).
 */
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "conf.h"
#include "migrate_ovpn.h"

const char *natt_mig_arg(const struct natt_mig_line *l, int i)
{
	return i < l->argc && i < NATT_MIG_ARGS ? l->argv[i] : "";
}

/* "<name>" or "</name>": the name into out (cap bytes); 0 if not such a token. */
static int block_token(const char *tok, bool end, char *out, size_t cap)
{
	size_t n = strlen(tok), skip = end ? 2 : 1;

	if (n <= skip + 1 || tok[0] != '<' || tok[n - 1] != '>' || (end && tok[1] != '/') ||
	    (!end && tok[1] == '/') || n - skip - 1 >= cap)
		return 0;
	memcpy(out, tok + skip, n - skip - 1);
	out[n - skip - 1] = '\0';
	return 1;
}

static int grow(struct natt_mig_file *f, size_t *cap)
{
	struct natt_mig_line *l;

	if (f->n_lines < *cap)
		return 0;
	*cap = *cap ? *cap * 2 : 64;
	l = realloc(f->lines, *cap * sizeof(*l));
	if (l == NULL)
		return NATT_ERR_NOMEM;
	f->lines = l;
	return 0;
}

struct pstate {
	char block[NATT_MIG_TOKEN]; /* open non-connection block, "" if none */
	size_t block_line;
	bool in_conn;
	size_t conn_line;
};

static int tokens(struct natt_mig_line *l, const char *s, size_t n, const char *name, char *err,
		  size_t errlen)
{
	static char buf[NATT_CONF_MAX_ARGS * (NATT_CONF_MAX_TOKEN + 1)];
	char *argv[NATT_CONF_MAX_ARGS + 1], why[256];
	int argc, i;

	if (n > 0 && s[n - 1] == '\r')
		n--; /* OpenVPN reads CRLF files too */
	argc = natt_conf_split(s, n, argv, NATT_CONF_MAX_ARGS, buf, sizeof(buf), why, sizeof(why));
	if (argc < 0) {
		natt_errmsg(err, errlen, "%s:%zu: %s", name, l->lineno, why);
		return NATT_ERR_SYNTAX;
	}
	l->argc = argc;
	for (i = 0; i < argc && i < NATT_MIG_ARGS; i++) {
		const char *a = argv[i];

		if (i == 0 && strncmp(a, "--", 2) == 0)
			a += 2;
		snprintf(l->argv[i], NATT_MIG_TOKEN, "%s", a);
	}
	return 0;
}

static int classify(struct natt_mig_line *l, struct pstate *st, const char *name, char *err,
		    size_t errlen)
{
	char b[NATT_MIG_TOKEN];

	if (l->argc == 0)
		return 0;
	if (block_token(l->argv[0], false, b, sizeof(b))) {
		if (l->argc != 1 || st->in_conn) {
			if (strcmp(b, "connection") != 0 || !st->in_conn)
				goto plain;
			natt_errmsg(err, errlen,
				    "%s:%zu: <connection> inside the <connection> "
				    "block of line %zu",
				    name, l->lineno, st->conn_line);
			return NATT_ERR_SYNTAX;
		}
	plain:
		if (l->argc != 1) {
			natt_errmsg(err, errlen, "%s:%zu: text after <%s>", name, l->lineno, b);
			return NATT_ERR_SYNTAX;
		}
		if (!natt_mig_known(b)) {
			natt_errmsg(err, errlen, "%s:%zu: <%s>: unknown inline block", name,
				    l->lineno, b);
			return NATT_ERR_SYNTAX;
		}
		l->kind = NATT_MIG_BLOCK_START;
		snprintf(l->argv[0], NATT_MIG_TOKEN, "%s", b);
		if (strcmp(b, "connection") == 0) {
			st->in_conn = true;
			st->conn_line = l->lineno;
		} else {
			snprintf(st->block, sizeof(st->block), "%s", b);
			st->block_line = l->lineno;
		}
		return 0;
	}
	if (block_token(l->argv[0], true, b, sizeof(b))) {
		if (!st->in_conn || strcmp(b, "connection") != 0) {
			natt_errmsg(err, errlen, "%s:%zu: </%s> without <%s>", name, l->lineno, b,
				    b);
			return NATT_ERR_SYNTAX;
		}
		st->in_conn = false;
		l->kind = NATT_MIG_BLOCK_END;
		snprintf(l->argv[0], NATT_MIG_TOKEN, "%s", b);
		return 0;
	}
	if (!natt_mig_known(l->argv[0])) {
		natt_errmsg(err, errlen,
			    "%s:%zu: %s: unknown directive (not an OpenVPN 2.6 "
			    "option)",
			    name, l->lineno, l->argv[0]);
		return NATT_ERR_SYNTAX;
	}
	l->kind = NATT_MIG_DIRECTIVE;
	l->in_connection = st->in_conn;
	return 0;
}

/* Inside <name>: the line ends it when it starts, after blanks, with "</name>". */
static bool block_ends(const char *s, size_t n, const char *block)
{
	size_t bl = strlen(block);

	while (n > 0 && (*s == ' ' || *s == '\t')) {
		s++;
		n--;
	}
	return n >= bl + 3 && s[0] == '<' && s[1] == '/' && memcmp(s + 2, block, bl) == 0 &&
	       s[bl + 2] == '>';
}

static int parse_line(struct natt_mig_file *f, struct natt_mig_line *l, struct pstate *st,
		      const char *name, char *err, size_t errlen)
{
	const char *s = f->text + l->off;
	size_t n = l->len;

	if (n > 0 && s[n - 1] == '\n')
		n--;
	if (st->block[0] != '\0') {
		l->kind = NATT_MIG_BLOCK_BODY;
		if (block_ends(s, n, st->block)) {
			l->kind = NATT_MIG_BLOCK_END;
			snprintf(l->argv[0], NATT_MIG_TOKEN, "%s", st->block);
			st->block[0] = '\0';
		}
		return 0;
	}
	if (n > NATT_MIG_OVPN_LINE) {
		natt_errmsg(err, errlen,
			    "%s:%zu: line of %zu bytes: OpenVPN refuses lines longer than %d "
			    "bytes",
			    name, l->lineno, n, NATT_MIG_OVPN_LINE);
		return NATT_ERR_SYNTAX;
	}
	if (l->lineno == 1 && n >= 3 && memcmp(s, "\xef\xbb\xbf", 3) == 0) {
		s += 3; /* UTF-8 byte order mark */
		n -= 3;
	}
	if (tokens(l, s, n, name, err, errlen) != 0)
		return NATT_ERR_SYNTAX;
	return classify(l, st, name, err, errlen);
}

int natt_mig_parse(struct natt_mig_file *f, const char *name, const char *text, size_t len,
		   char *err, size_t errlen)
{
	struct pstate st = {0};
	size_t pos = 0, cap = 0;
	int rc;

	memset(f, 0, sizeof(*f));
	f->path = strdup(name);
	f->text = malloc(len + 1);
	if (f->path == NULL || f->text == NULL)
		return NATT_ERR_NOMEM;
	memcpy(f->text, text, len);
	f->text[len] = '\0';
	f->len = len;
	while (pos < len) {
		const char *nl = memchr(f->text + pos, '\n', len - pos);
		struct natt_mig_line *l;

		if (grow(f, &cap) != 0)
			return NATT_ERR_NOMEM;
		l = &f->lines[f->n_lines];
		memset(l, 0, sizeof(*l));
		l->off = pos;
		l->len = nl != NULL ? (size_t)(nl - (f->text + pos)) + 1 : len - pos;
		l->lineno = ++f->n_lines;
		pos += l->len;
		rc = parse_line(f, l, &st, name, err, errlen);
		if (rc != 0)
			return rc;
	}
	if (st.block[0] != '\0' || st.in_conn) {
		natt_errmsg(err, errlen, "%s:%zu: <%s> is never closed (no </%s>)", name,
			    st.in_conn ? st.conn_line : st.block_line,
			    st.in_conn ? "connection" : st.block,
			    st.in_conn ? "connection" : st.block);
		return NATT_ERR_SYNTAX;
	}
	return 0;
}

void natt_mig_join(const char *dir, const char *path, char *out, size_t cap)
{
	while (path[0] == '.' && path[1] == '/')
		path += 2 + strspn(path + 2, "/"); /* "./x" is "x" */
	if (path[0] == '/' || dir[0] == '\0')
		snprintf(out, cap, "%s", path);
	else if (strcmp(dir, "/") == 0)
		snprintf(out, cap, "/%s", path);
	else
		snprintf(out, cap, "%s/%s", dir, path);
}

static bool is_directive(const struct natt_mig_line *l, const char *name)
{
	return l->kind == NATT_MIG_DIRECTIVE && strcmp(l->argv[0], name) == 0;
}

/* Follows `cd` while reading, as OpenVPN changes directory at once. */
static void follow_cd(struct natt_mig_conf *c, const struct natt_mig_line *l)
{
	char to[NATT_MIG_PATH];

	if (!is_directive(l, "cd") || l->argc < 2)
		return;
	natt_mig_join(c->cwd, l->argv[1], to, sizeof(to));
	snprintf(c->cwd, sizeof(c->cwd), "%s", to);
}

static int load_file(struct natt_mig_conf *c, const char *path, int depth, const char *from,
		     char *err, size_t errlen)
{
	char why[512], *text;
	size_t len, i, idx;
	struct stat st;
	int rc;

	if (c->n_files >= sizeof(c->files) / sizeof(c->files[0]) || depth > NATT_MIG_MAX_DEPTH) {
		natt_errmsg(err, errlen, "%s: too many or too deeply nested config includes", from);
		return NATT_ERR_SYNTAX;
	}
	if (stat(path, &st) == 0 && !S_ISREG(st.st_mode)) {
		/* a FIFO would block open() for ever */
		natt_errmsg(err, errlen, "%s%s%s: not a regular file", from ? from : "",
			    from ? ": config include: " : "", path);
		return NATT_ERR_IO;
	}
	rc = natt_conf_load(path, &text, &len, why, sizeof(why));
	if (rc != NATT_OK) {
		if (from != NULL)
			natt_errmsg(err, errlen, "%s: config include: %s", from, why);
		else
			natt_errmsg(err, errlen, "%s", why);
		return rc;
	}
	idx = c->n_files++;
	rc = natt_mig_parse(&c->files[idx], path, text, len, err, errlen);
	free(text);
	for (i = 0; rc == 0 && i < c->files[idx].n_lines; i++) {
		struct natt_mig_line *l = &c->files[idx].lines[i];
		char inc[NATT_MIG_PATH], where[NATT_MIG_PATH + 32];

		follow_cd(c, l);
		if (!is_directive(l, "config") || l->argc < 2)
			continue;
		natt_mig_join(c->cwd, l->argv[1], inc, sizeof(inc));
		snprintf(where, sizeof(where), "%.4000s:%zu", c->files[idx].path, l->lineno);
		l->include = c->n_files;
		rc = load_file(c, inc, depth + 1, where, err, errlen);
	}
	return rc;
}

int natt_mig_load(struct natt_mig_conf *c, const char *path, char *err, size_t errlen)
{
	char tmp[NATT_MIG_PATH];

	memset(c, 0, sizeof(*c));
	snprintf(tmp, sizeof(tmp), "%s", path);
	snprintf(c->dir, sizeof(c->dir), "%s", dirname(tmp));
	snprintf(c->cwd, sizeof(c->cwd), "%s", c->dir);
	return load_file(c, path, 0, NULL, err, errlen);
}

static int link_file(struct natt_mig_conf *c, size_t idx, size_t *next)
{
	size_t i;

	for (i = 0; i < c->files[idx].n_lines; i++) {
		struct natt_mig_line *l = &c->files[idx].lines[i];

		l->include = 0;
		follow_cd(c, l);
		if (!is_directive(l, "config") || l->argc < 2)
			continue;
		if (*next >= c->n_files)
			return NATT_ERR_SYNTAX;
		l->include = (*next)++;
		if (link_file(c, l->include, next) != 0)
			return NATT_ERR_SYNTAX;
	}
	return 0;
}

int natt_mig_link(struct natt_mig_conf *c)
{
	size_t next = 1;

	if (c->n_files == 0)
		return NATT_ERR_SYNTAX;
	snprintf(c->cwd, sizeof(c->cwd), "%s", c->dir);
	return link_file(c, 0, &next) == 0 && next == c->n_files ? 0 : NATT_ERR_SYNTAX;
}

void natt_mig_file_free(struct natt_mig_file *f)
{
	free(f->path);
	free(f->text);
	free(f->lines);
	memset(f, 0, sizeof(*f));
}

void natt_mig_conf_free(struct natt_mig_conf *c)
{
	size_t i;

	for (i = 0; i < c->n_files; i++)
		natt_mig_file_free(&c->files[i]);
	c->n_files = 0;
}
