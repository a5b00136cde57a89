/*
 * keyfile.c: reading and writing key files (doc/PROTOCOL.md section 3.4).
 *
 * Buffers that held key text or key bytes are cleansed before they are
 * released, on success and on error alike.
 */
/* O_CLOEXEC, fsync, mkdtemp and friends are POSIX.1-2008, not ISO C11. */
#ifndef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 200809L
#endif

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/rand.h>

#include "keyfile.h"

/* A key file is ~200 bytes; anything past this is not one. */
#define KEYFILE_MAX	 (64 * 1024)
#define KEY_HEX_LEN	 (2 * NATT_KEY_LEN)
#define KEYFILE_TEXT_MAX 512

static const char *const kind_line[] = {
	[NATT_KEY_NETWORK] = "natt-network-key v1",
	[NATT_KEY_RENDEZVOUS] = "natt-rendezvous-key v1",
};

static bool kind_valid(enum natt_key_kind kind)
{
	return kind == NATT_KEY_NETWORK || kind == NATT_KEY_RENDEZVOUS;
}

static int io_error(char *err, size_t errlen, const char *path, int errnum)
{
	natt_errmsg(err, errlen, "%s: %s", path, strerror(errnum));
	return NATT_ERR_IO;
}

static int hex_value(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

static bool is_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f';
}

/* One line of the file, without its '\n' and trailing blanks. */
struct line {
	const char *p;
	size_t len;
	size_t no; /* 1-based */
};

/* Comment lines ('#' after optional blanks) and blank lines carry nothing. */
static bool line_significant(const struct line *l)
{
	size_t i = 0;

	while (i < l->len && is_blank(l->p[i]))
		i++;
	return i < l->len && l->p[i] != '#';
}

static bool line_is(const struct line *l, const char *s)
{
	return l->len == strlen(s) && memcmp(l->p, s, l->len) == 0;
}

static int parse_kind(const struct line *l, const char *name, enum natt_key_kind *kind, char *err,
		      size_t errlen)
{
	if (line_is(l, kind_line[NATT_KEY_NETWORK])) {
		*kind = NATT_KEY_NETWORK;
		return NATT_OK;
	}
	if (line_is(l, kind_line[NATT_KEY_RENDEZVOUS])) {
		*kind = NATT_KEY_RENDEZVOUS;
		return NATT_OK;
	}
	natt_errmsg(err, errlen, "%s:%zu: expected '%s' or '%s'", name, l->no,
		    kind_line[NATT_KEY_NETWORK], kind_line[NATT_KEY_RENDEZVOUS]);
	return NATT_ERR_SYNTAX;
}

static int parse_key(const struct line *l, const char *name, uint8_t key[NATT_KEY_LEN], char *err,
		     size_t errlen)
{
	if (l->len != KEY_HEX_LEN) {
		natt_errmsg(err, errlen, "%s:%zu: key must be %d hex digits (got %zu characters)",
			    name, l->no, KEY_HEX_LEN, l->len);
		return NATT_ERR_SYNTAX;
	}
	for (size_t i = 0; i < KEY_HEX_LEN; i += 2) {
		int hi = hex_value(l->p[i]);
		int lo = hex_value(l->p[i + 1]);

		if (hi < 0 || lo < 0) {
			natt_errmsg(err, errlen,
				    "%s:%zu: key must be %d hex digits "
				    "(non-hex character at column %zu)",
				    name, l->no, KEY_HEX_LEN, i + (hi < 0 ? 1 : 2));
			return NATT_ERR_SYNTAX;
		}
		key[i / 2] = (uint8_t)(hi << 4 | lo);
	}
	return NATT_OK;
}

/* Cuts the next line off text[*pos, len). */
static struct line next_line(const char *text, size_t len, size_t *pos, size_t no)
{
	const char *start = text + *pos;
	const char *nl = memchr(start, '\n', len - *pos);
	struct line l = {.p = start, .len = nl ? (size_t)(nl - start) : len - *pos, .no = no};

	*pos += l.len + (nl != NULL);
	return l;
}

int natt_keyfile_parse(const char *text, size_t len, const char *name, enum natt_key_kind *kind,
		       uint8_t key[NATT_KEY_LEN], char *err, size_t errlen)
{
	enum { WANT_KIND, WANT_KEY, DONE } state = WANT_KIND;
	enum natt_key_kind k = NATT_KEY_NETWORK;
	uint8_t tmp[NATT_KEY_LEN];
	size_t pos = 0, no = 0;
	int rc = NATT_OK;

	if (len > KEYFILE_MAX) {
		natt_errmsg(err, errlen, "%s: larger than %d bytes; not a key file", name,
			    KEYFILE_MAX);
		return NATT_ERR_SYNTAX;
	}
	while (rc == NATT_OK && pos < len) {
		struct line l = next_line(text, len, &pos, ++no);

		if (memchr(l.p, '\0', l.len) != NULL) {
			natt_errmsg(err, errlen, "%s:%zu: NUL byte; not a key file", name, l.no);
			rc = NATT_ERR_SYNTAX;
			break;
		}
		while (l.len > 0 && is_blank(l.p[l.len - 1]))
			l.len--;
		if (!line_significant(&l))
			continue;
		if (state == WANT_KIND) {
			rc = parse_kind(&l, name, &k, err, errlen);
			state = WANT_KEY;
		} else if (state == WANT_KEY) {
			rc = parse_key(&l, name, tmp, err, errlen);
			state = DONE;
		} else {
			natt_errmsg(err, errlen, "%s:%zu: unexpected text after the key", name,
				    l.no);
			rc = NATT_ERR_SYNTAX;
		}
	}
	if (rc == NATT_OK && state != DONE) {
		natt_errmsg(err, errlen, "%s: no key found", name);
		rc = NATT_ERR_SYNTAX;
	}
	if (rc == NATT_OK) {
		*kind = k;
		memcpy(key, tmp, NATT_KEY_LEN);
	}
	OPENSSL_cleanse(tmp, sizeof(tmp));
	return rc;
}

/* Reads until EOF or cap bytes; returns 0 or an errno value. */
static int read_all(int fd, char *buf, size_t cap, size_t *len)
{
	*len = 0;
	while (*len < cap) {
		ssize_t n = read(fd, buf + *len, cap - *len);

		if (n == 0)
			break;
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return errno;
		}
		*len += (size_t)n;
	}
	return 0;
}

/* Opens path for reading if it is a regular file; returns fd or an error. */
static int open_regular(const char *path, struct stat *st, char *err, size_t errlen)
{
	/* O_NONBLOCK: a FIFO planted at path must not hang the caller in open(). */
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);

	if (fd < 0)
		return io_error(err, errlen, path, errno);
	if (fstat(fd, st) != 0) {
		int e = errno;

		close(fd);
		return io_error(err, errlen, path, e);
	}
	if (!S_ISREG(st->st_mode)) {
		close(fd);
		if (S_ISDIR(st->st_mode))
			return io_error(err, errlen, path, EISDIR);
		natt_errmsg(err, errlen, "%s: not a regular file", path);
		return NATT_ERR_IO;
	}
	return fd;
}

int natt_keyfile_load(const char *path, enum natt_key_kind *kind, uint8_t key[NATT_KEY_LEN],
		      char *err, size_t errlen, char *warn, size_t warnlen)
{
	struct stat st;
	size_t len;
	char *buf;
	int fd, e, rc;

	natt_errmsg(warn, warnlen, "%s", "");
	fd = open_regular(path, &st, err, errlen);
	if (fd < 0)
		return fd;
	/* One byte more than allowed, so that parse sees an oversized file as such. */
	buf = malloc(KEYFILE_MAX + 1);
	if (buf == NULL) {
		close(fd);
		return io_error(err, errlen, path, ENOMEM);
	}
	e = read_all(fd, buf, KEYFILE_MAX + 1, &len);
	close(fd);
	if (e != 0) {
		rc = io_error(err, errlen, path, e);
	} else {
		if (st.st_mode & 077)
			natt_errmsg(
				warn, warnlen,
				"%s is readable by group or others (mode %04o); run: chmod 600 %s",
				path, (unsigned int)(st.st_mode & 07777), path);
		rc = natt_keyfile_parse(buf, len, path, kind, key, err, errlen);
	}
	OPENSSL_cleanse(buf, len);
	free(buf);
	return rc;
}

int natt_keyfile_format(char *buf, size_t cap, enum natt_key_kind kind,
			const uint8_t key[NATT_KEY_LEN])
{
	static const char digits[] = "0123456789abcdef";
	bool network = kind == NATT_KEY_NETWORK;
	char hex[KEY_HEX_LEN + 1];
	int n;

	if (!kind_valid(kind))
		return NATT_ERR_INVALID;
	for (size_t i = 0; i < NATT_KEY_LEN; i++) {
		hex[2 * i] = digits[key[i] >> 4];
		hex[2 * i + 1] = digits[key[i] & 0xf];
	}
	hex[KEY_HEX_LEN] = '\0';
	n = snprintf(buf, cap,
		     "# openvpn-natt %s key. Keep it secret: anyone holding it\n"
		     "# can %s. Mode 0600.\n"
		     "%s\n"
		     "%s\n",
		     network ? "network" : "rendezvous",
		     network ? "join this network" : "act as its rendezvous", kind_line[kind], hex);
	OPENSSL_cleanse(hex, sizeof(hex));
	if (n < 0 || (size_t)n >= cap) {
		/* snprintf may have left part of the key behind. */
		if (cap > 0)
			OPENSSL_cleanse(buf, cap);
		return NATT_ERR_BUFFER;
	}
	return n;
}

/* Writes all of buf; returns 0 or an errno value. */
static int write_all(int fd, const char *buf, size_t len)
{
	while (len > 0) {
		ssize_t n = write(fd, buf, len);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return errno;
		}
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

/* Creates path (mode 0600, never over an existing file) holding text. */
static int create_file(const char *path, const char *text, size_t len, char *err, size_t errlen)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	int e;

	if (fd < 0) {
		if (errno == EEXIST) {
			natt_errmsg(err, errlen, "%s exists; refusing to overwrite a key", path);
			return NATT_ERR_EXISTS;
		}
		return io_error(err, errlen, path, errno);
	}
	e = write_all(fd, text, len);
	if (e == 0 && fsync(fd) != 0)
		e = errno;
	if (close(fd) != 0 && e == 0)
		e = errno;
	if (e != 0) {
		unlink(path);
		return io_error(err, errlen, path, e);
	}
	return NATT_OK;
}

int natt_keyfile_write(const char *path, enum natt_key_kind kind, const uint8_t key[NATT_KEY_LEN],
		       char *err, size_t errlen)
{
	char text[KEYFILE_TEXT_MAX];
	int n, rc;

	n = natt_keyfile_format(text, sizeof(text), kind, key);
	if (n < 0) {
		natt_errmsg(err, errlen, "%s: %s", path, natt_strerror(n));
		return n;
	}
	rc = create_file(path, text, (size_t)n, err, errlen);
	OPENSSL_cleanse(text, sizeof(text));
	return rc;
}

int natt_keyfile_generate(const char *path, char *err, size_t errlen)
{
	uint8_t key[NATT_KEY_LEN];
	int rc;

	if (RAND_priv_bytes(key, sizeof(key)) != 1) {
		natt_errmsg(err, errlen, "%s: cannot draw a random key from OpenSSL", path);
		return NATT_ERR_CRYPTO;
	}
	rc = natt_keyfile_write(path, NATT_KEY_NETWORK, key, err, errlen);
	OPENSSL_cleanse(key, sizeof(key));
	return rc;
}
