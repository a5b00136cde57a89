/*
 * test_vectors.c: the "vectors" suite.  Every file of tests/vectors/ (format
 * in tests/gen_vectors.c) is opened, decoded, re-encoded and re-sealed, and
 * each step must give back the stored bytes exactly.  The files are listed
 * here by name, so a missing one fails.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>

#include "keyfile.h"
#include "seal.h"
#include "unit.h"
#include "wire.h"

#define VEC_MAX 2048

struct vecfile {
	char name[64];
	int type; /* -1: no type line (control message) */
	bool has_secret;
	uint8_t secret[32];
	uint8_t header[64];
	size_t header_len;
	uint8_t body[VEC_MAX];
	size_t body_len;
	uint8_t packet[VEC_MAX];
	size_t packet_len;
	bool has_header, has_body, has_packet;
};

static const char *const handshake_vectors[] = {"handshake_stream_ack", "handshake_close", NULL};
static const char *const probe_vectors[] = {"probe", "probe_reply", NULL};
static const char *const rdv_vectors[] = {"rdv_register",     "rdv_register_ack", "rdv_lookup",
					  "rdv_lookup_reply", "rdv_introduce",	  NULL};
static const char *const unknown_cid_vectors[] = {"unknown_cid", NULL};
static const char *const data_vectors[] = {"data", "data_keepalive", "data_epoch1", NULL};
static const char *const ctl_vectors[] = {"ctl_params", "ctl_params_reply", "ctl_ping", "ctl_close",
					  NULL};

static uint8_t work[VEC_MAX];
static uint8_t out[VEC_MAX];

/* ---- reading ---- */

static bool hex_field(const char *val, uint8_t *dst, size_t cap, size_t *len)
{
	long n = natt_test_unhex(val, dst, cap);

	if (n < 0)
		return false;
	*len = (size_t)n;
	return true;
}

/* One "key: value" line into v; false for a line that is neither that nor
 * a comment. */
static bool parse_line(struct vecfile *v, char *line)
{
	char *val = strchr(line, ':');
	size_t n;

	line[strcspn(line, "\r\n")] = '\0';
	if (line[0] == '#' || line[0] == '\0')
		return true;
	if (val == NULL)
		return false;
	*val++ = '\0';
	val += strspn(val, " ");
	if (strcmp(line, "name") == 0)
		return snprintf(v->name, sizeof(v->name), "%s", val) < (int)sizeof(v->name);
	if (strcmp(line, "type") == 0) {
		uint8_t t;

		if (!hex_field(val, &t, 1, &n) || n != 1)
			return false;
		v->type = t;
		return true;
	}
	if (strcmp(line, "secret") == 0)
		return v->has_secret = hex_field(val, v->secret, sizeof(v->secret), &n) && n == 32;
	if (strcmp(line, "header") == 0)
		return v->has_header = hex_field(val, v->header, sizeof(v->header), &v->header_len);
	if (strcmp(line, "body") == 0)
		return v->has_body = hex_field(val, v->body, sizeof(v->body), &v->body_len);
	if (strcmp(line, "packet") == 0)
		return v->has_packet = hex_field(val, v->packet, sizeof(v->packet), &v->packet_len);
	return false;
}

/* Reads tests/vectors/NAME.vec; a file that is missing or malformed fails. */
static bool load_vec(const char *name, struct vecfile *v)
{
	static char line[2 * VEC_MAX + 64];
	char rel[128];
	bool ok = true;
	FILE *f;

	memset(v, 0, sizeof(*v));
	v->type = -1;
	snprintf(rel, sizeof(rel), "vectors/%s.vec", name);
	f = fopen(natt_test_path(rel), "r");
	CU_ASSERT_PTR_NOT_NULL(f);
	if (f == NULL)
		return false;
	while (ok && fgets(line, sizeof(line), f) != NULL)
		ok = parse_line(v, line);
	fclose(f);
	CU_ASSERT(ok);
	CU_ASSERT_STRING_EQUAL(v->name, name);
	CU_ASSERT(v->has_body);
	return ok && v->has_body && strcmp(v->name, name) == 0;
}

static struct natt_seal *load_seal(void)
{
	uint8_t key[NATT_KEY_LEN];
	enum natt_key_kind kind;
	char err[256], warn[256];
	struct natt_seal *s = NULL;

	CU_ASSERT_EQUAL_FATAL(natt_keyfile_load(natt_test_path("vectors/network.key"), &kind, key,
						err, sizeof(err), warn, sizeof(warn)),
			      NATT_OK);
	CU_ASSERT_EQUAL(kind, NATT_KEY_NETWORK);
	for (int i = 0; i < NATT_KEY_LEN; i++)
		CU_ASSERT_EQUAL(key[i], i);
	CU_ASSERT_EQUAL_FATAL(natt_seal_new(&s, key), NATT_OK);
	return s;
}

/* ---- the packet families ---- */

static enum natt_seal_purpose purpose_of(uint8_t type)
{
	if (type == NATT_PT_HANDSHAKE)
		return NATT_SEAL_HANDSHAKE;
	if (type == NATT_PT_PROBE || type == NATT_PT_PROBE_REPLY)
		return NATT_SEAL_PROBE;
	if (type == NATT_PT_UNKNOWN_CID)
		return NATT_SEAL_UNKNOWN_CID;
	return NATT_SEAL_RENDEZVOUS;
}

/* Decodes the body frame by frame and re-encodes each frame into out. */
static size_t reencode_frames(const uint8_t *body, size_t len)
{
	size_t off = 0, n = 0;

	while (off < len) {
		struct natt_frame f;
		int rc = natt_frame_decode(&f, body + off, len - off);
		int w;

		CU_ASSERT(rc > 0);
		if (rc <= 0)
			return 0;
		w = natt_frame_encode(out + n, sizeof(out) - n, &f);
		CU_ASSERT_EQUAL(w, rc);
		if (w != rc)
			return 0;
		off += (size_t)rc;
		n += (size_t)w;
	}
	return n;
}

/* Decodes a body with its family's decoder and re-encodes it into out. */
static size_t reencode_body(uint8_t type, const uint8_t *body, size_t len)
{
	struct natt_probe pr;
	struct natt_rdv_msg m;
	int rc;

	if (type == NATT_PT_HANDSHAKE)
		return reencode_frames(body, len);
	if (type == NATT_PT_UNKNOWN_CID) {
		CU_ASSERT_EQUAL(len, 0);
		return 0;
	}
	if (type == NATT_PT_PROBE || type == NATT_PT_PROBE_REPLY) {
		CU_ASSERT_EQUAL(natt_probe_decode(&pr, type, body, len), NATT_OK);
		rc = natt_probe_encode(out, sizeof(out), type, &pr,
				       NATT_PROBE_MIN_BODY + pr.padding);
	} else {
		CU_ASSERT_EQUAL(natt_rdv_decode(&m, type, body, len), NATT_OK);
		rc = natt_rdv_encode(out, sizeof(out), &m, len);
	}
	CU_ASSERT(rc > 0);
	return rc > 0 ? (size_t)rc : 0;
}

/* Decodes the header from the packet, checks it against the header line,
 * and re-encodes it into out. */
static bool check_header(const struct vecfile *v, struct natt_header *h)
{
	int rc = natt_header_decode(h, v->packet, v->packet_len);

	CU_ASSERT_EQUAL(rc, NATT_OK);
	if (rc != NATT_OK)
		return false;
	CU_ASSERT_EQUAL(h->type, v->type);
	CU_ASSERT_EQUAL(h->len, v->header_len);
	CU_ASSERT_EQUAL(h->payload_len, v->packet_len - v->header_len);
	CU_ASSERT(memcmp(v->packet, v->header, v->header_len) == 0);
	CU_ASSERT_EQUAL(natt_header_encode(out, sizeof(out), h), (int)v->header_len);
	CU_ASSERT(memcmp(out, v->header, v->header_len) == 0);
	return h->type == v->type && h->len == v->header_len;
}

static void check_sealed(struct natt_seal *s, const char *name)
{
	enum natt_seal_purpose purpose;
	struct natt_header h;
	struct vecfile v;
	size_t n;
	int rc;

	/* No fatal assertion here: the caller must get to free the seal. */
	if (!load_vec(name, &v))
		return;
	CU_ASSERT(v.type >= 0 && v.has_header && v.has_packet);
	if (v.type < 0 || !v.has_header || !v.has_packet || !check_header(&v, &h))
		return;
	purpose = purpose_of(h.type);
	if (h.type >= NATT_PT_RDV_REGISTER && h.type <= NATT_PT_RDV_INTRODUCE) {
		uint8_t id[NATT_NETWORK_ID_LEN];

		natt_seal_network_id(s, id);
		CU_ASSERT(memcmp(h.network_id, id, sizeof(id)) == 0);
	}

	/* Open: the plaintext is the body line. */
	memcpy(work, v.packet, v.packet_len);
	rc = natt_seal_open(s, purpose, work, h.len, v.packet_len);
	CU_ASSERT_EQUAL(rc, (int)v.body_len);
	if (rc != (int)v.body_len)
		return;
	CU_ASSERT(memcmp(work + h.len, v.body, v.body_len) == 0);

	/* Decode and re-encode the body. */
	n = reencode_body(h.type, v.body, v.body_len);
	CU_ASSERT_EQUAL(n, v.body_len);
	CU_ASSERT(memcmp(out, v.body, v.body_len) == 0);

	/* Re-seal header and re-encoded body. */
	CU_ASSERT_EQUAL(natt_header_encode(work, sizeof(work), &h), (int)h.len);
	memcpy(work + h.len, out, n);
	CU_ASSERT_EQUAL(natt_seal_seal(s, purpose, work, h.len, n, sizeof(work)),
			(int)v.packet_len);
	CU_ASSERT(memcmp(work, v.packet, v.packet_len) == 0);

	/* Any other purpose, or one flipped bit, does not open. */
	for (int p = 0; p < NATT_SEAL_PURPOSES; p++) {
		if (p == (int)purpose)
			continue;
		memcpy(work, v.packet, v.packet_len);
		CU_ASSERT_EQUAL(natt_seal_open(s, p, work, h.len, v.packet_len), NATT_ERR_AUTH);
	}
	memcpy(work, v.packet, v.packet_len);
	work[v.packet_len / 2] ^= 0x01;
	CU_ASSERT_EQUAL(natt_seal_open(s, purpose, work, h.len, v.packet_len), NATT_ERR_AUTH);
}

static void check_family(const char *const *names)
{
	struct natt_seal *s = load_seal();

	for (; *names != NULL; names++)
		check_sealed(s, *names);
	natt_seal_free(s);
}

static void test_handshake_vectors(void)
{
	check_family(handshake_vectors);
}

static void test_probe_vectors(void)
{
	check_family(probe_vectors);
}

static void test_rdv_vectors(void)
{
	check_family(rdv_vectors);
}

static void test_unknown_cid_vectors(void)
{
	check_family(unknown_cid_vectors);
}

/* ---- DATA: the data-channel AEAD of PROTOCOL.md 7 ---- */

static bool hkdf_expand(const uint8_t prk[32], const char *label, uint8_t *dst, size_t len)
{
	EVP_KDF *kdf = EVP_KDF_fetch(NULL, "HKDF", NULL);
	EVP_KDF_CTX *ctx = kdf != NULL ? EVP_KDF_CTX_new(kdf) : NULL;
	int mode = EVP_KDF_HKDF_MODE_EXPAND_ONLY;
	OSSL_PARAM p[5];
	bool ok;

	p[0] = OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, "SHA256", 0);
	p[1] = OSSL_PARAM_construct_int(OSSL_KDF_PARAM_MODE, &mode);
	p[2] = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY, (void *)prk, 32);
	p[3] = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_INFO, (void *)label, strlen(label));
	p[4] = OSSL_PARAM_construct_end();
	ok = ctx != NULL && EVP_KDF_derive(ctx, dst, len, p) == 1;
	EVP_KDF_CTX_free(ctx);
	EVP_KDF_free(kdf);
	return ok;
}

/* key and nonce of a DATA packet: S_epoch from S_0, nonce = iv ^ (0^32 || counter). */
static void data_key(const uint8_t s0[32], const struct natt_header *h, uint8_t key[32],
		     uint8_t nonce[12])
{
	uint8_t s[32];

	memcpy(s, s0, sizeof(s));
	for (unsigned e = 0; e < h->epoch; e++)
		CU_ASSERT_FATAL(hkdf_expand(s, "natt next epoch", s, sizeof(s)));
	CU_ASSERT_FATAL(hkdf_expand(s, "natt key", key, 32));
	CU_ASSERT_FATAL(hkdf_expand(s, "natt iv", nonce, 12));
	for (int i = 0; i < 8; i++)
		nonce[4 + i] ^= (uint8_t)(h->counter >> (56 - 8 * i));
}

/* AES-256-GCM over pkt[hdr_len, hdr_len + len) in place, tag after it.
 * Returns false when sealing fails or opening does not authenticate. */
static bool data_aead(bool seal, const uint8_t key[32], const uint8_t nonce[12], uint8_t *pkt,
		      size_t hdr_len, size_t len)
{
	EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
	uint8_t *p = pkt + hdr_len;
	int outl;
	bool ok;

	ok = c != NULL && EVP_CipherInit_ex(c, EVP_aes_256_gcm(), NULL, key, nonce, seal) == 1 &&
	     EVP_CipherUpdate(c, NULL, &outl, pkt, (int)hdr_len) == 1 &&
	     (len == 0 || EVP_CipherUpdate(c, p, &outl, p, (int)len) == 1);
	if (ok && !seal)
		ok = EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_SET_TAG, NATT_TAG_LEN, p + len) == 1;
	ok = ok && EVP_CipherFinal_ex(c, p + len, &outl) == 1;
	if (ok && seal)
		ok = EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_GET_TAG, NATT_TAG_LEN, p + len) == 1;
	EVP_CIPHER_CTX_free(c);
	return ok;
}

static void check_data(const char *name)
{
	uint8_t key[32], nonce[12];
	struct natt_header h;
	struct vecfile v;
	size_t len;

	if (!load_vec(name, &v))
		return;
	CU_ASSERT_FATAL(v.type == NATT_PT_DATA && v.has_secret && v.has_packet);
	if (!check_header(&v, &h))
		return;
	data_key(v.secret, &h, key, nonce);
	len = h.payload_len - NATT_TAG_LEN;
	CU_ASSERT_EQUAL_FATAL(len, v.body_len);

	memcpy(work, v.packet, v.packet_len);
	CU_ASSERT(data_aead(false, key, nonce, work, h.len, len));
	CU_ASSERT(memcmp(work + h.len, v.body, len) == 0);

	/* The payload is OpenVPN's, opaque here: re-seal it as it is. */
	CU_ASSERT_EQUAL(natt_header_encode(work, sizeof(work), &h), (int)h.len);
	memcpy(work + h.len, v.body, len);
	CU_ASSERT(data_aead(true, key, nonce, work, h.len, len));
	CU_ASSERT(memcmp(work, v.packet, v.packet_len) == 0);

	memcpy(work, v.packet, v.packet_len);
	work[v.packet_len - 1] ^= 0x80;
	CU_ASSERT(!data_aead(false, key, nonce, work, h.len, len));
}

static void test_data_vectors(void)
{
	for (const char *const *n = data_vectors; *n != NULL; n++)
		check_data(*n);
}

/* ---- control messages: plaintext inside TLS ---- */

static void check_ctl(const char *name)
{
	struct natt_ctl_msg m;
	struct vecfile v;

	if (!load_vec(name, &v))
		return;
	CU_ASSERT(v.type < 0 && !v.has_packet);
	CU_ASSERT_EQUAL_FATAL(natt_ctl_decode(&m, v.body, v.body_len), (int)v.body_len);
	CU_ASSERT_EQUAL(natt_ctl_encode(out, sizeof(out), &m), (int)v.body_len);
	CU_ASSERT(memcmp(out, v.body, v.body_len) == 0);
}

static void test_ctl_vectors(void)
{
	for (const char *const *n = ctl_vectors; *n != NULL; n++)
		check_ctl(*n);
}

static const struct natt_test tests[] = {
	{"HANDSHAKE vectors", test_handshake_vectors},
	{"PROBE vectors", test_probe_vectors},
	{"rendezvous vectors", test_rdv_vectors},
	{"DATA vectors", test_data_vectors},
	{"control message vectors", test_ctl_vectors},
	{"UNKNOWN_CID vectors", test_unknown_cid_vectors},
	{NULL, NULL},
};

int natt_suite_vectors(void)
{
	return natt_add_suite("vectors", tests);
}
