/*
 * keylog.c: key log parsing and DATA decryption (PROTOCOL.md 7 and 12).
 * Each secret keeps two derived epochs (the last used and the one before),
 * so that a capture running through key epochs, with some packets
 * reordered across a switch, derives each epoch about once.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>
#include <openssl/params.h>

#include "keylog.h"

/* HKDF-Expand labels and sizes of PROTOCOL.md 7. */
#define LABEL_KEY  "natt key"
#define LABEL_IV   "natt iv"
#define LABEL_NEXT "natt next epoch"
#define SECRET_LEN 32
#define KEY_LEN	   32
#define IV_LEN	   12
#define IV_FIXED   4 /* nonce bytes the counter does not touch */

struct epoch_keys {
	bool live;
	uint64_t epoch;
	uint8_t s[SECRET_LEN]; /* S_epoch */
	uint8_t iv[IV_LEN];
	EVP_CIPHER_CTX *ctx; /* keyed with key_epoch for decryption */
};

struct entry {
	natt_cid_t cid;
	const EVP_CIPHER *cipher;
	uint8_t s0[SECRET_LEN];
	struct epoch_keys cur, prev;
};

struct ins_keylog {
	EVP_KDF_CTX *kdf;
	EVP_CIPHER *aes, *chacha;
	struct entry *e; /* sorted by cid */
	size_t n;
};

static int hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = tolower(c);
	return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* Exactly 2 * n hex digits into out. */
static bool unhex(const char *s, size_t slen, uint8_t *out, size_t n)
{
	if (slen != 2 * n)
		return false;
	for (size_t i = 0; i < n; i++) {
		int hi = hexval((unsigned char)s[2 * i]), lo = hexval((unsigned char)s[2 * i + 1]);
		if (hi < 0 || lo < 0)
			return false;
		out[i] = (uint8_t)(hi << 4 | lo);
	}
	return true;
}

/* Splits a line into at most max blank-separated words. */
static size_t words(char *line, char **w, size_t *wl, size_t max)
{
	size_t n = 0;
	char *p = line;

	while (*p != '\0') {
		while (*p == ' ' || *p == '\t')
			p++;
		if (*p == '\0')
			break;
		if (n == max)
			return max + 1;
		w[n] = p;
		while (*p != '\0' && *p != ' ' && *p != '\t')
			p++;
		wl[n] = (size_t)(p - w[n]);
		n++;
	}
	return n;
}

static int parse_line(struct ins_keylog *k, char *line, struct entry *e, const char **why)
{
	char *w[4];
	size_t wl[4], n = words(line, w, wl, 4);
	uint8_t cid[8];

	if (n != 4 || wl[0] != strlen(INS_KEYLOG_LABEL) ||
	    memcmp(w[0], INS_KEYLOG_LABEL, wl[0]) != 0) {
		*why = "expected \"" INS_KEYLOG_LABEL " <cid> <cipher> <secret>\"";
		return NATT_ERR_SYNTAX;
	}
	if (!unhex(w[1], wl[1], cid, sizeof(cid))) {
		*why = "the connection ID must be 16 hex digits";
		return NATT_ERR_SYNTAX;
	}
	memset(e, 0, sizeof(*e));
	for (int i = 0; i < 8; i++)
		e->cid = e->cid << 8 | cid[i];
	if (wl[2] == 11 && strncasecmp(w[2], "aes-256-gcm", 11) == 0)
		e->cipher = k->aes;
	else if (wl[2] == 17 && strncasecmp(w[2], "chacha20-poly1305", 17) == 0)
		e->cipher = k->chacha;
	if (e->cipher == NULL) {
		*why = "the cipher must be aes-256-gcm or chacha20-poly1305";
		return NATT_ERR_SYNTAX;
	}
	if (!unhex(w[3], wl[3], e->s0, sizeof(e->s0))) {
		*why = "the secret must be 64 hex digits";
		return NATT_ERR_SYNTAX;
	}
	return NATT_OK;
}

static int cmp_cid(const void *a, const void *b)
{
	natt_cid_t x = ((const struct entry *)a)->cid, y = ((const struct entry *)b)->cid;

	return x < y ? -1 : x > y;
}

static int init_crypto(struct ins_keylog *k)
{
	EVP_KDF *kdf = EVP_KDF_fetch(NULL, "HKDF", NULL);

	k->kdf = kdf != NULL ? EVP_KDF_CTX_new(kdf) : NULL;
	EVP_KDF_free(kdf);
	k->aes = EVP_CIPHER_fetch(NULL, "AES-256-GCM", NULL);
	k->chacha = EVP_CIPHER_fetch(NULL, "ChaCha20-Poly1305", NULL);
	return k->kdf != NULL && k->aes != NULL && k->chacha != NULL ? NATT_OK : NATT_ERR_CRYPTO;
}

/* Adds e unless its cid is already there with the same secret; the same
 * cid with another secret is an error. */
static int add_entry(struct ins_keylog *k, const struct entry *e, const char **why)
{
	for (size_t i = 0; i < k->n; i++) {
		if (k->e[i].cid != e->cid)
			continue;
		if (k->e[i].cipher == e->cipher && memcmp(k->e[i].s0, e->s0, SECRET_LEN) == 0)
			return NATT_OK;
		*why = "this connection ID already has another secret";
		return NATT_ERR_SYNTAX;
	}
	if (k->n == INS_KEYLOG_MAX_ENTRIES) {
		*why = "too many secrets";
		return NATT_ERR_SYNTAX;
	}
	k->e[k->n++] = *e;
	return NATT_OK;
}

static int parse_text(struct ins_keylog *k, const char *text, size_t len, const char *name,
		      char *err, size_t errlen)
{
	size_t off = 0;
	unsigned lineno = 0;
	char line[512];

	while (off < len) {
		const char *nl = memchr(text + off, '\n', len - off);
		size_t ll = nl != NULL ? (size_t)(nl - (text + off)) : len - off;
		const char *why = NULL;
		struct entry e;
		char *p;

		lineno++;
		if (ll >= sizeof(line)) {
			snprintf(err, errlen, "%s:%u: line too long", name, lineno);
			return NATT_ERR_SYNTAX;
		}
		memcpy(line, text + off, ll);
		line[ll] = '\0';
		off += ll + 1;
		if (strlen(line) != ll) {
			snprintf(err, errlen, "%s:%u: NUL byte", name, lineno);
			return NATT_ERR_SYNTAX;
		}
		if (ll > 0 && line[ll - 1] == '\r')
			line[ll - 1] = '\0';
		for (p = line; *p == ' ' || *p == '\t'; p++)
			;
		if (*p == '\0' || *p == '#')
			continue;
		if (parse_line(k, p, &e, &why) != 0 || add_entry(k, &e, &why) != 0) {
			snprintf(err, errlen, "%s:%u: %s", name, lineno, why);
			return NATT_ERR_SYNTAX;
		}
	}
	return NATT_OK;
}

int ins_keylog_parse(struct ins_keylog **out, const char *text, size_t len, const char *name,
		     char *err, size_t errlen)
{
	struct ins_keylog *k = calloc(1, sizeof(*k));
	int rc;

	*out = NULL;
	if (k == NULL || (k->e = calloc(INS_KEYLOG_MAX_ENTRIES, sizeof(*k->e))) == NULL) {
		free(k);
		snprintf(err, errlen, "%s: out of memory", name);
		return NATT_ERR_NOMEM;
	}
	rc = init_crypto(k);
	if (rc != NATT_OK)
		snprintf(err, errlen, "%s: OpenSSL lacks HKDF, AES-256-GCM or ChaCha20-Poly1305",
			 name);
	else
		rc = parse_text(k, text, len, name, err, errlen);
	if (rc != NATT_OK) {
		ins_keylog_free(k);
		return rc;
	}
	qsort(k->e, k->n, sizeof(*k->e), cmp_cid);
	*out = k;
	return NATT_OK;
}

int ins_keylog_load(struct ins_keylog **out, const char *path, char *err, size_t errlen)
{
	FILE *f = fopen(path, "r");
	char *buf;
	size_t n;
	int rc;

	*out = NULL;
	if (f == NULL) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return NATT_ERR_IO;
	}
	buf = malloc(INS_KEYLOG_MAX_FILE + 1);
	n = buf != NULL ? fread(buf, 1, INS_KEYLOG_MAX_FILE + 1, f) : 0;
	if (buf == NULL || ferror(f) || n > INS_KEYLOG_MAX_FILE) {
		snprintf(err, errlen, "%s: %s", path,
			 buf == NULL ? "out of memory"
				     : (ferror(f) ? strerror(errno) : "larger than 4 MiB"));
		fclose(f);
		free(buf);
		return NATT_ERR_IO;
	}
	fclose(f);
	rc = ins_keylog_parse(out, buf, n, path, err, errlen);
	OPENSSL_cleanse(buf, n);
	free(buf);
	return rc;
}

static void wipe_keys(struct epoch_keys *ek)
{
	EVP_CIPHER_CTX_free(ek->ctx);
	OPENSSL_cleanse(ek, sizeof(*ek));
}

void ins_keylog_free(struct ins_keylog *k)
{
	if (k == NULL)
		return;
	for (size_t i = 0; i < k->n; i++) {
		wipe_keys(&k->e[i].cur);
		wipe_keys(&k->e[i].prev);
	}
	if (k->e != NULL)
		OPENSSL_cleanse(k->e, INS_KEYLOG_MAX_ENTRIES * sizeof(*k->e));
	free(k->e);
	EVP_KDF_CTX_free(k->kdf);
	EVP_CIPHER_free(k->aes);
	EVP_CIPHER_free(k->chacha);
	free(k);
}

size_t ins_keylog_count(const struct ins_keylog *k)
{
	return k->n;
}

/* HKDF-Expand(SHA-256, prk, label, len) (RFC 5869, PROTOCOL.md 7). */
static int expand(struct ins_keylog *k, const uint8_t prk[SECRET_LEN], const char *label,
		  uint8_t *out, size_t len)
{
	int mode = EVP_KDF_HKDF_MODE_EXPAND_ONLY;
	OSSL_PARAM p[5];

	p[0] = OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, "SHA256", 0);
	p[1] = OSSL_PARAM_construct_int(OSSL_KDF_PARAM_MODE, &mode);
	p[2] = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY, (void *)prk, SECRET_LEN);
	p[3] = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_INFO, (void *)label, strlen(label));
	p[4] = OSSL_PARAM_construct_end();
	return EVP_KDF_derive(k->kdf, out, len, p) == 1 ? NATT_OK : NATT_ERR_CRYPTO;
}

/* Derives epoch `epoch` into ek, stepping forward from (s, from). */
static int derive(struct ins_keylog *k, const struct entry *e, struct epoch_keys *ek,
		  const uint8_t s[SECRET_LEN], uint64_t from, uint64_t epoch)
{
	uint8_t key[KEY_LEN];
	int rc = NATT_OK;

	memcpy(ek->s, s, SECRET_LEN);
	for (uint64_t i = from; i < epoch && rc == NATT_OK; i++)
		rc = expand(k, ek->s, LABEL_NEXT, ek->s, SECRET_LEN);
	if (rc == NATT_OK)
		rc = expand(k, ek->s, LABEL_KEY, key, sizeof(key));
	if (rc == NATT_OK)
		rc = expand(k, ek->s, LABEL_IV, ek->iv, sizeof(ek->iv));
	if (rc == NATT_OK && ek->ctx == NULL && (ek->ctx = EVP_CIPHER_CTX_new()) == NULL)
		rc = NATT_ERR_CRYPTO;
	if (rc == NATT_OK && EVP_DecryptInit_ex(ek->ctx, e->cipher, NULL, key, NULL) != 1)
		rc = NATT_ERR_CRYPTO;
	OPENSSL_cleanse(key, sizeof(key));
	ek->live = rc == NATT_OK;
	ek->epoch = epoch;
	return rc;
}

/* The full epoch closest to the last one used whose low byte is wire. */
static uint64_t full_epoch(const struct entry *e, uint8_t wire)
{
	uint64_t last = e->cur.live ? e->cur.epoch : 0;
	int d = (int)(int8_t)(uint8_t)(wire - (uint8_t)last);

	if (d < 0 && (uint64_t)-d > last)
		return last + (uint64_t)(d + 256);
	return d < 0 ? last - (uint64_t)-d : last + (uint64_t)d;
}

/* The keys of epoch `epoch`, derived if needed. */
static int keys_for(struct ins_keylog *k, struct entry *e, uint64_t epoch, struct epoch_keys **out)
{
	struct epoch_keys tmp;
	int rc;

	if (e->cur.live && e->cur.epoch == epoch) {
		*out = &e->cur;
		return NATT_OK;
	}
	if (e->prev.live && e->prev.epoch == epoch) {
		*out = &e->prev;
		return NATT_OK;
	}
	if (e->cur.live && epoch > e->cur.epoch) {
		if (epoch - e->cur.epoch > INS_KEYLOG_MAX_STEP)
			return NATT_ERR_STALE;
		tmp = e->prev; /* reuse its cipher context */
		e->prev = e->cur;
		e->cur = tmp;
		rc = derive(k, e, &e->cur, e->prev.s, e->prev.epoch, epoch);
		*out = &e->cur;
		return rc;
	}
	if (epoch > INS_KEYLOG_MAX_STEP * 64)
		return NATT_ERR_STALE;
	/* First use, or an epoch older than both: derive from S_0. */
	*out = e->cur.live ? &e->prev : &e->cur;
	return derive(k, e, *out, e->s0, 0, epoch);
}

static int decrypt(struct epoch_keys *ek, uint64_t counter, const uint8_t *pkt, size_t len,
		   uint8_t *out)
{
	size_t ct_len = len - NATT_DATA_HDR_LEN - NATT_TAG_LEN;
	uint8_t nonce[IV_LEN];
	int outl;

	memcpy(nonce, ek->iv, IV_LEN);
	for (int i = 0; i < 8; i++)
		nonce[IV_FIXED + i] ^= (uint8_t)(counter >> (56 - 8 * i));
	if (EVP_DecryptInit_ex(ek->ctx, NULL, NULL, NULL, nonce) != 1 ||
	    EVP_DecryptUpdate(ek->ctx, NULL, &outl, pkt, NATT_DATA_HDR_LEN) != 1 ||
	    (ct_len > 0 &&
	     EVP_DecryptUpdate(ek->ctx, out, &outl, pkt + NATT_DATA_HDR_LEN, (int)ct_len) != 1) ||
	    EVP_CIPHER_CTX_ctrl(ek->ctx, EVP_CTRL_AEAD_SET_TAG, NATT_TAG_LEN,
				(void *)(pkt + len - NATT_TAG_LEN)) != 1)
		return NATT_ERR_CRYPTO;
	if (EVP_DecryptFinal_ex(ek->ctx, out + ct_len, &outl) != 1)
		return NATT_ERR_AUTH;
	return (int)ct_len;
}

int ins_keylog_open(struct ins_keylog *k, const struct natt_header *h, const uint8_t *pkt,
		    size_t len, uint8_t *out, size_t cap, uint64_t *epoch)
{
	struct entry key = {.cid = h->dcid}, *e;
	struct epoch_keys *ek;
	int rc;

	e = bsearch(&key, k->e, k->n, sizeof(*k->e), cmp_cid);
	if (e == NULL)
		return NATT_ERR_WRONG_PURPOSE;
	if (len < NATT_DATA_HDR_LEN + NATT_TAG_LEN)
		return NATT_ERR_TRUNCATED;
	if (cap < len - NATT_DATA_HDR_LEN - NATT_TAG_LEN)
		return NATT_ERR_BUFFER;
	*epoch = full_epoch(e, h->epoch);
	rc = keys_for(k, e, *epoch, &ek);
	if (rc != NATT_OK)
		return rc;
	return decrypt(ek, h->counter, pkt, len, out);
}
