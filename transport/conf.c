/*
 * conf.c: OpenVPN-style configuration text (conf.h).  The tokenizer is a
 * transcription of OpenVPN 2.6's parse_line() state machine, so that
 * quoting and escapes behave exactly as operators know them.
 */
/* O_CLOEXEC is POSIX.1-2008, not ISO C11. */
#ifndef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 200809L
#endif

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "conf.h"

/* OpenVPN's space(): blanks, and the end of the line. */
static bool is_space(char c)
{
	return c == '\0' || c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\v' ||
	       c == '\f';
}

enum split_state {
	ST_INITIAL,  /* between tokens */
	ST_UNQUOTED, /* in a bare token */
	ST_DQUOTED,  /* in "..." */
	ST_SQUOTED,  /* in '...' */
};

/* The token being built. */
struct tok {
	char **argv;
	int max, argc;
	char *buf;
	size_t cap, used; /* bytes of buf used by finished tokens */
	size_t len;	  /* bytes of the current token */
};

static int tok_put(struct tok *t, char c, char *err, size_t errlen)
{
	if (t->len + 1 >= NATT_CONF_MAX_TOKEN || t->used + t->len + 1 >= t->cap) {
		natt_errmsg(err, errlen, "argument too long (at most %d bytes)",
			    NATT_CONF_MAX_TOKEN - 1);
		return NATT_ERR_SYNTAX;
	}
	t->buf[t->used + t->len++] = c;
	return NATT_OK;
}

static int tok_end(struct tok *t, char *err, size_t errlen)
{
	if (t->argc == t->max) {
		natt_errmsg(err, errlen, "too many arguments (at most %d)", t->max - 1);
		return NATT_ERR_SYNTAX;
	}
	t->buf[t->used + t->len] = '\0';
	t->argv[t->argc++] = t->buf + t->used;
	t->used += t->len + 1;
	t->len = 0;
	return NATT_OK;
}

/*
 * One character in the state machine.  Returns 1 to go on, 0 at a
 * comment (the rest of the line is ignored), or NATT_ERR_SYNTAX.
 */
static int split_char(struct tok *t, enum split_state *st, bool *bs, char in, char *err,
		      size_t errlen)
{
	char out = 0;
	bool done = false;

	if (!*bs && in == '\\' && *st != ST_SQUOTED) {
		*bs = true;
		return 1;
	}
	switch (*st) {
	case ST_INITIAL:
		if (is_space(in))
			break;
		if (in == '#' || in == ';')
			return 0;
		if (!*bs && in == '"')
			*st = ST_DQUOTED;
		else if (!*bs && in == '\'')
			*st = ST_SQUOTED;
		else {
			out = in;
			*st = ST_UNQUOTED;
		}
		break;
	case ST_UNQUOTED:
		if (!*bs && is_space(in))
			done = true;
		else
			out = in;
		break;
	case ST_DQUOTED:
		if (!*bs && in == '"')
			done = true;
		else
			out = in;
		break;
	case ST_SQUOTED:
		if (in == '\'')
			done = true;
		else
			out = in;
		break;
	}
	if (*bs && out != 0 && !(out == '\\' || out == '"' || is_space(out))) {
		natt_errmsg(err, errlen,
			    "bad backslash ('\\') usage: write \\\\ for a backslash, or quote with "
			    "'...'");
		return NATT_ERR_SYNTAX;
	}
	*bs = false;
	if (out != 0 && tok_put(t, out, err, errlen) != NATT_OK)
		return NATT_ERR_SYNTAX;
	if (done) {
		*st = ST_INITIAL;
		if (tok_end(t, err, errlen) != NATT_OK)
			return NATT_ERR_SYNTAX;
	}
	return 1;
}

int natt_conf_split(const char *line, size_t len, char **argv, int max, char *buf, size_t cap,
		    char *err, size_t errlen)
{
	struct tok t = {.argv = argv, .max = max, .buf = buf, .cap = cap};
	enum split_state st = ST_INITIAL;
	bool bs = false;

	if (max < 1 || cap == 0) {
		natt_errmsg(err, errlen, "internal: no room for tokens");
		return NATT_ERR_SYNTAX;
	}
	for (size_t i = 0; i <= len; i++) {
		/* The end of the line counts as one more blank, as OpenVPN's NUL. */
		char in = i < len ? line[i] : '\0';
		int rc;

		if (i < len && in == '\0') {
			natt_errmsg(err, errlen, "NUL byte in the line");
			return NATT_ERR_SYNTAX;
		}
		rc = split_char(&t, &st, &bs, in, err, errlen);
		if (rc < 0)
			return rc;
		if (rc == 0)
			break;
	}
	if (st == ST_DQUOTED || st == ST_SQUOTED) {
		natt_errmsg(err, errlen, "no closing quotation (%c)",
			    st == ST_DQUOTED ? '"' : '\'');
		return NATT_ERR_SYNTAX;
	}
	if (st == ST_UNQUOTED && tok_end(&t, err, errlen) != NATT_OK)
		return NATT_ERR_SYNTAX;
	argv[t.argc] = NULL;
	return t.argc;
}

void natt_conf_reader_init(struct natt_conf_reader *r, const char *text, size_t len,
			   const char *name)
{
	memset(r, 0, sizeof(*r));
	r->text = text;
	r->len = len;
	r->name = name != NULL ? name : "config";
	if (len >= 3 && memcmp(text, "\xEF\xBB\xBF", 3) == 0)
		r->pos = 3;
}

/* The next line of r: *p, *n (without '\n'); false at the end. */
static bool next_raw(struct natt_conf_reader *r, const char **p, size_t *n)
{
	const char *nl;

	if (r->pos >= r->len)
		return false;
	*p = r->text + r->pos;
	nl = memchr(*p, '\n', r->len - r->pos);
	*n = nl != NULL ? (size_t)(nl - *p) : r->len - r->pos;
	r->pos += *n + (nl != NULL);
	r->lineno++;
	if (*n > 0 && (*p)[*n - 1] == '\r')
		(*n)--;
	return true;
}

/* "<name>" alone on a line: the block's name, in place. */
static bool inline_open(struct natt_conf_line *l)
{
	char *a = l->argv[0];
	size_t n = strlen(a);

	if (l->argc != 1 || n < 3 || a[0] != '<' || a[n - 1] != '>' || a[1] == '/')
		return false;
	memmove(a, a + 1, n - 2);
	a[n - 2] = '\0';
	return true;
}

static bool starts_with_close(const char *p, size_t n, const char *name)
{
	size_t k = strlen(name);

	while (n > 0 && (*p == ' ' || *p == '\t')) {
		p++;
		n--;
	}
	return n >= k + 3 && p[0] == '<' && p[1] == '/' && memcmp(p + 2, name, k) == 0 &&
	       p[k + 2] == '>';
}

static int read_inline(struct natt_conf_reader *r, struct natt_conf_line *l, char *err,
		       size_t errlen)
{
	const char *start = r->text + r->pos, *p;
	size_t n, end = r->pos;

	while (next_raw(r, &p, &n)) {
		if (starts_with_close(p, n, l->argv[0])) {
			l->inline_text = start;
			l->inline_len = (size_t)(r->text + end - start);
			return 1;
		}
		end = r->pos;
	}
	natt_errmsg(err, errlen, "%s:%zu: no closing </%s> for the block opened here", r->name,
		    l->lineno, l->argv[0]);
	return NATT_ERR_SYNTAX;
}

int natt_conf_next(struct natt_conf_reader *r, struct natt_conf_line *l, char *err, size_t errlen)
{
	char why[160];
	const char *p;
	size_t n;

	memset(l, 0, offsetof(struct natt_conf_line, buf));
	while (next_raw(r, &p, &n)) {
		int argc;

		l->lineno = r->lineno;
		if (n > NATT_CONF_MAX_LINE) {
			natt_errmsg(err, errlen, "%s:%zu: line too long (at most %d bytes)",
				    r->name, r->lineno, NATT_CONF_MAX_LINE);
			return NATT_ERR_SYNTAX;
		}
		argc = natt_conf_split(p, n, l->argv, NATT_CONF_MAX_ARGS, l->buf, sizeof(l->buf),
				       why, sizeof(why));
		if (argc < 0) {
			natt_errmsg(err, errlen, "%s:%zu: %s", r->name, r->lineno, why);
			return argc;
		}
		if (argc == 0)
			continue;
		l->argc = argc;
		if (strncmp(l->argv[0], "--", 2) == 0)
			l->argv[0] += 2;
		if (l->argv[0][0] == '\0') {
			natt_errmsg(err, errlen, "%s:%zu: empty directive name", r->name,
				    r->lineno);
			return NATT_ERR_SYNTAX;
		}
		if (inline_open(l))
			return read_inline(r, l, err, errlen);
		return 1;
	}
	return 0;
}

int natt_conf_load(const char *path, char **text, size_t *len, char *err, size_t errlen)
{
	struct stat st;
	char *buf;
	size_t got = 0;
	/* O_NONBLOCK: opening a FIFO for reading would wait for a writer; the
	 * type is checked right after, and a regular file ignores the flag */
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);

	*text = NULL;
	*len = 0;
	if (fd < 0 || fstat(fd, &st) != 0) {
		natt_errmsg(err, errlen, "%s: %s", path, strerror(errno));
		if (fd >= 0)
			close(fd);
		return NATT_ERR_IO;
	}
	if (!S_ISREG(st.st_mode) || st.st_size > NATT_CONF_MAX_FILE) {
		natt_errmsg(err, errlen, "%s: %s", path,
			    S_ISREG(st.st_mode) ? "file too large" : "not a regular file");
		close(fd);
		return NATT_ERR_IO;
	}
	buf = malloc((size_t)st.st_size + 1);
	if (buf == NULL) {
		close(fd);
		return NATT_ERR_NOMEM;
	}
	while (got < (size_t)st.st_size) {
		ssize_t r = read(fd, buf + got, (size_t)st.st_size - got);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			natt_errmsg(err, errlen, "%s: %s", path,
				    r < 0 ? strerror(errno) : "file shrank");
			free(buf);
			close(fd);
			return NATT_ERR_IO;
		}
		got += (size_t)r;
	}
	close(fd);
	buf[got] = '\0';
	*text = buf;
	*len = got;
	return NATT_OK;
}

/* ---- values ---- */

int natt_conf_uint(const char *s, uint64_t min, uint64_t max, uint64_t *out)
{
	uint64_t v = 0;

	if (s == NULL || *s == '\0')
		return NATT_ERR_BAD_VALUE;
	for (; *s != '\0'; s++) {
		unsigned d = (unsigned)(*s - '0');

		if (d > 9 || v > (UINT64_MAX - d) / 10)
			return NATT_ERR_BAD_VALUE;
		v = v * 10 + d;
	}
	if (v < min || v > max)
		return NATT_ERR_BAD_VALUE;
	*out = v;
	return NATT_OK;
}

static int copy_host(const char *s, size_t n, char *host, size_t cap)
{
	if (n == 0)
		return NATT_ERR_BAD_VALUE;
	if (n >= cap)
		return NATT_ERR_BUFFER;
	memcpy(host, s, n);
	host[n] = '\0';
	return NATT_OK;
}

int natt_conf_hostport(const char *s, uint16_t default_port, char *host, size_t cap, uint16_t *port)
{
	const char *colon, *close;
	uint64_t v = default_port;
	int rc;

	if (s[0] == '[') {
		close = strchr(s, ']');
		if (close == NULL || (close[1] != '\0' && close[1] != ':'))
			return NATT_ERR_BAD_VALUE;
		rc = copy_host(s + 1, (size_t)(close - s - 1), host, cap);
		colon = close[1] == ':' ? close + 1 : NULL;
	} else {
		colon = strchr(s, ':');
		if (colon != NULL && strchr(colon + 1, ':') != NULL)
			colon = NULL; /* a bare IPv6 address */
		rc = copy_host(s, colon != NULL ? (size_t)(colon - s) : strlen(s), host, cap);
	}
	if (rc != NATT_OK)
		return rc;
	if (colon != NULL && natt_conf_uint(colon + 1, 0, 65535, &v) != NATT_OK)
		return NATT_ERR_BAD_VALUE;
	*port = (uint16_t)v;
	return NATT_OK;
}
