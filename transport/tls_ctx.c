/*
 * tls_ctx.c: the TLS context (tls.h): the PEM files read once, the pins
 * parsed, OpenSSL configured for TLS 1.3 only with mutual authentication.
 *
 * Files are read here with stdio, so an unreadable file is reported with its
 * path and errno's text; OpenSSL only parses the bytes from memory.  Key
 * file contents are wiped from memory once parsed.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/bio.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/pem.h>

#include "tls_int.h"

#define MAX_PEM_FILE  (1024 * 1024) /* largest PEM file we read */
#define FP_HEX_DIGITS (2 * NATT_TLS_FP_LEN)

typedef STACK_OF(X509) cert_list;

static void free_text(char *text, size_t len)
{
	if (text == NULL)
		return;
	OPENSSL_cleanse(text, len);
	free(text);
}

/* Reads a whole (small) file; the text is NUL-terminated. */
static int read_file(const char *path, char **text, size_t *len, char *err, size_t errlen)
{
	size_t cap = 4096, n = 0, got;
	char *buf = NULL, *grown;
	FILE *f = fopen(path, "rb");
	int rc = NATT_ERR_IO;

	if (f == NULL) {
		natt_errmsg(err, errlen, "cannot open %s: %s", path, strerror(errno));
		return NATT_ERR_IO;
	}
	do {
		if (buf == NULL || n == cap) {
			if (buf != NULL && cap >= MAX_PEM_FILE) {
				natt_errmsg(err, errlen, "%s: larger than %d bytes", path,
					    MAX_PEM_FILE);
				goto out;
			}
			cap = buf == NULL ? cap : cap * 2;
			grown = realloc(buf, cap + 1);
			if (grown == NULL) {
				rc = NATT_ERR_NOMEM;
				natt_errmsg(err, errlen, "%s: out of memory", path);
				goto out;
			}
			buf = grown;
		}
		got = fread(buf + n, 1, cap - n, f);
		n += got;
	} while (got > 0);
	if (ferror(f)) {
		natt_errmsg(err, errlen, "cannot read %s: %s", path, strerror(errno));
		goto out;
	}
	buf[n] = '\0';
	*text = buf;
	*len = n;
	buf = NULL;
	rc = NATT_OK;
out:
	free_text(buf, n);
	fclose(f);
	return rc;
}

/* Every certificate of a PEM file, in file order (at least one). */
static int load_certs(const char *path, cert_list **out, char *err, size_t errlen)
{
	cert_list *certs = NULL;
	X509 *x;
	BIO *bio = NULL;
	char *text = NULL;
	size_t len = 0;
	unsigned long e;
	int rc = read_file(path, &text, &len, err, errlen);

	if (rc != NATT_OK)
		return rc;
	rc = NATT_ERR_NOMEM;
	certs = sk_X509_new_null();
	bio = BIO_new_mem_buf(text, (int)len);
	if (certs == NULL || bio == NULL)
		goto out;
	ERR_clear_error();
	while ((x = PEM_read_bio_X509(bio, NULL, NULL, NULL)) != NULL) {
		if (!sk_X509_push(certs, x)) {
			X509_free(x);
			goto out;
		}
	}
	e = ERR_peek_last_error();
	rc = NATT_ERR_SYNTAX;
	if (ERR_GET_LIB(e) != ERR_LIB_PEM || ERR_GET_REASON(e) != PEM_R_NO_START_LINE)
		natt_errmsg(err, errlen, "%s: malformed certificate after %d good ones", path,
			    sk_X509_num(certs));
	else if (sk_X509_num(certs) == 0)
		natt_errmsg(err, errlen, "%s: no PEM certificate", path);
	else
		rc = NATT_OK;
out:
	if (rc == NATT_ERR_NOMEM)
		natt_errmsg(err, errlen, "%s: out of memory", path);
	if (rc == NATT_OK)
		*out = certs;
	else
		sk_X509_pop_free(certs, X509_free);
	ERR_clear_error();
	BIO_free(bio);
	free_text(text, len);
	return rc;
}

/* Refuses to prompt for a passphrase (a daemon has no terminal). */
static int no_passphrase(char *buf, int size, int rwflag, void *u)
{
	(void)buf;
	(void)size;
	(void)rwflag;
	(void)u;
	return -1;
}

static int load_key(const char *path, EVP_PKEY **out, char *err, size_t errlen)
{
	BIO *bio;
	char *text = NULL;
	size_t len = 0;
	int rc = read_file(path, &text, &len, err, errlen);

	if (rc != NATT_OK)
		return rc;
	bio = BIO_new_mem_buf(text, (int)len);
	if (bio == NULL) {
		free_text(text, len);
		natt_errmsg(err, errlen, "%s: out of memory", path);
		return NATT_ERR_NOMEM;
	}
	*out = PEM_read_bio_PrivateKey(bio, NULL, no_passphrase, NULL);
	rc = NATT_OK;
	if (*out == NULL) {
		rc = NATT_ERR_SYNTAX;
		natt_errmsg(err, errlen, "%s: %s", path,
			    strstr(text, "ENCRYPTED") != NULL
				    ? "encrypted private keys are not supported"
				    : "no PEM private key");
	}
	ERR_clear_error();
	BIO_free(bio);
	free_text(text, len);
	return rc;
}

/* Our certificate (first in cert_file), its chain (the rest) and our key. */
static int load_identity(SSL_CTX *s, const struct natt_tls_config *cfg, char *err, size_t errlen)
{
	cert_list *certs = NULL;
	EVP_PKEY *key = NULL;
	X509 *leaf;
	int rc = load_certs(cfg->cert_file, &certs, err, errlen);

	if (rc == NATT_OK)
		rc = load_key(cfg->key_file, &key, err, errlen);
	if (rc != NATT_OK)
		goto out;
	leaf = sk_X509_shift(certs);
	if (X509_check_private_key(leaf, key) != 1) {
		rc = NATT_ERR_INVALID;
		natt_errmsg(err, errlen, "private key %s does not match certificate %s",
			    cfg->key_file, cfg->cert_file);
	} else if (SSL_CTX_use_cert_and_key(s, leaf, key, certs, 1) != 1) {
		rc = NATT_ERR_INVALID; /* e.g. a key below the system's security level */
		natt_errmsg(err, errlen, "%s: OpenSSL refused the certificate: %s", cfg->cert_file,
			    ERR_reason_error_string(ERR_peek_error()));
	}
	X509_free(leaf);
out:
	ERR_clear_error();
	EVP_PKEY_free(key);
	sk_X509_pop_free(certs, X509_free);
	return rc;
}

static int load_ca(SSL_CTX *s, const char *path, char *err, size_t errlen)
{
	cert_list *certs = NULL;
	X509_STORE *store = SSL_CTX_get_cert_store(s);
	int rc = load_certs(path, &certs, err, errlen);

	for (int i = 0; rc == NATT_OK && i < sk_X509_num(certs); i++) {
		if (X509_STORE_add_cert(store, sk_X509_value(certs, i)) != 1) {
			rc = NATT_ERR_CRYPTO;
			natt_errmsg(err, errlen, "%s: cannot add CA certificate %d", path, i + 1);
		}
	}
	ERR_clear_error();
	sk_X509_pop_free(certs, X509_free);
	return rc;
}

static int hex_digit(char ch)
{
	if (ch >= '0' && ch <= '9')
		return ch - '0';
	if (ch >= 'a' && ch <= 'f')
		return ch - 'a' + 10;
	if (ch >= 'A' && ch <= 'F')
		return ch - 'A' + 10;
	return -1;
}

/* 64 hex digits, colons anywhere (OpenVPN prints "ab:cd:..."). */
static bool parse_pin(const char *s, uint8_t fp[NATT_TLS_FP_LEN])
{
	int n = 0, v;

	for (; *s != '\0'; s++) {
		if (*s == ':')
			continue;
		v = hex_digit(*s);
		if (v < 0 || n == FP_HEX_DIGITS)
			return false;
		if (n % 2 == 0)
			fp[n / 2] = (uint8_t)(v << 4);
		else
			fp[n / 2] |= (uint8_t)v;
		n++;
	}
	return n == FP_HEX_DIGITS;
}

static int load_pins(struct natt_tls_ctx *c, const struct natt_tls_config *cfg, char *err,
		     size_t errlen)
{
	if (cfg->npins == 0)
		return NATT_OK;
	c->pins = calloc(cfg->npins, sizeof(*c->pins));
	if (c->pins == NULL)
		return NATT_ERR_NOMEM;
	for (size_t i = 0; i < cfg->npins; i++) {
		if (cfg->pins[i] == NULL || !parse_pin(cfg->pins[i], c->pins[i])) {
			natt_errmsg(err, errlen,
				    "peer fingerprint %zu is not 64 hex digits (colons allowed): "
				    "%.100s",
				    i + 1, cfg->pins[i] != NULL ? cfg->pins[i] : "(null)");
			return NATT_ERR_SYNTAX;
		}
	}
	c->npins = cfg->npins;
	return NATT_OK;
}

static int check_config(enum natt_tls_role role, const struct natt_tls_config *cfg, char *err,
			size_t errlen)
{
	if (role != NATT_TLS_CLIENT && role != NATT_TLS_SERVER) {
		natt_errmsg(err, errlen, "TLS role must be client or server");
		return NATT_ERR_INVALID;
	}
	if (cfg->cert_file == NULL || cfg->key_file == NULL) {
		natt_errmsg(err, errlen, "a certificate file and a key file are required");
		return NATT_ERR_INVALID;
	}
	if (cfg->ca_file == NULL && cfg->npins == 0) {
		natt_errmsg(err, errlen,
			    "neither a CA file nor a peer fingerprint: the peer could not "
			    "be authenticated");
		return NATT_ERR_INVALID;
	}
	if ((cfg->npins > 0 && cfg->pins == NULL) ||
	    (cfg->peer_name != NULL && cfg->peer_name[0] == '\0')) {
		natt_errmsg(err, errlen, "invalid peer fingerprint list or empty peer name");
		return NATT_ERR_INVALID;
	}
	return NATT_OK;
}

/* TLS 1.3 only, no tickets/resumption/0-RTT, peer certificate required. */
static int configure(struct natt_tls_ctx *c, const struct natt_tls_config *cfg)
{
	SSL_CTX *s = c->ssl;
	int mode = SSL_VERIFY_PEER;

	if (SSL_CTX_set_min_proto_version(s, TLS1_3_VERSION) != 1 ||
	    SSL_CTX_set_max_proto_version(s, TLS1_3_VERSION) != 1 ||
	    SSL_CTX_set_num_tickets(s, 0) != 1)
		return NATT_ERR_CRYPTO;
	SSL_CTX_set_options(s, SSL_OP_NO_TICKET | SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION);
	SSL_CTX_set_session_cache_mode(s, SSL_SESS_CACHE_OFF);
	SSL_CTX_set_max_early_data(s, 0);
	SSL_CTX_set_mode(s, SSL_MODE_RELEASE_BUFFERS);
	if (c->role == NATT_TLS_SERVER)
		mode |= SSL_VERIFY_FAIL_IF_NO_PEER_CERT;
	SSL_CTX_set_verify(s, mode, NULL);
	SSL_CTX_set_cert_verify_callback(s, natt_tls_verify_peer, c);
	SSL_CTX_set_info_callback(s, natt_tls_on_info);
	if (cfg->verify_time != 0)
		X509_VERIFY_PARAM_set_time(SSL_CTX_get0_param(s), (time_t)cfg->verify_time);
	return NATT_OK;
}

static int build_ctx(struct natt_tls_ctx *c, const struct natt_tls_config *cfg, char *err,
		     size_t errlen)
{
	int rc;

	c->ssl = SSL_CTX_new(TLS_method());
	if (c->ssl == NULL) {
		natt_errmsg(err, errlen, "cannot create an OpenSSL TLS context");
		return NATT_ERR_CRYPTO;
	}
	rc = configure(c, cfg);
	if (rc != NATT_OK) {
		natt_errmsg(err, errlen, "OpenSSL does not support TLS 1.3 only mode");
		return rc;
	}
	rc = load_pins(c, cfg, err, errlen);
	if (rc == NATT_OK)
		rc = load_identity(c->ssl, cfg, err, errlen);
	if (rc == NATT_OK && cfg->ca_file != NULL)
		rc = load_ca(c->ssl, cfg->ca_file, err, errlen);
	if (rc == NATT_OK && cfg->peer_name != NULL) {
		c->peer_name = strdup(cfg->peer_name);
		if (c->peer_name == NULL)
			rc = NATT_ERR_NOMEM;
	}
	if (rc == NATT_ERR_NOMEM)
		natt_errmsg(err, errlen, "out of memory");
	return rc;
}

int natt_tls_ctx_new(struct natt_tls_ctx **out, enum natt_tls_role role,
		     const struct natt_tls_config *cfg, char *err, size_t errlen)
{
	struct natt_tls_ctx *c;
	int rc;

	natt_errmsg(err, errlen, "%s", "");
	if (out == NULL || cfg == NULL) {
		natt_errmsg(err, errlen, "no TLS configuration");
		return NATT_ERR_INVALID;
	}
	*out = NULL;
	rc = check_config(role, cfg, err, errlen);
	if (rc != NATT_OK)
		return rc;
	c = calloc(1, sizeof(*c));
	if (c == NULL) {
		natt_errmsg(err, errlen, "out of memory");
		return NATT_ERR_NOMEM;
	}
	c->role = role;
	c->has_ca = cfg->ca_file != NULL;
	c->check_eku = !cfg->any_peer_eku;
	c->refs = 1;
	ERR_clear_error();
	rc = build_ctx(c, cfg, err, errlen);
	ERR_clear_error();
	if (rc != NATT_OK) {
		natt_tls_ctx_free(c);
		return rc;
	}
	*out = c;
	return NATT_OK;
}

void natt_tls_ctx_free(struct natt_tls_ctx *c)
{
	if (c == NULL || --c->refs > 0)
		return;
	SSL_CTX_free(c->ssl);
	free(c->peer_name);
	free(c->pins);
	free(c);
}
