/*
 * stun.c: RFC 8489 Binding: decoding with bounds checks, FINGERPRINT,
 * MESSAGE-INTEGRITY verification, the server's answer and the client's
 * request and response parsing.
 */
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "stun.h"

#define FAMILY_IPV4	       0x01   /* RFC 8489 14.1 */
#define FAMILY_IPV6	       0x02   /* RFC 8489 14.1 */
#define ADDR_V4_LEN	       8      /* reserved, family, port, 4-byte address */
#define ADDR_V6_LEN	       20     /* reserved, family, port, 16-byte address */
#define FINGERPRINT_LEN	       4      /* RFC 8489 14.7 */
#define ERROR_CODE_MIN_LEN     4      /* RFC 8489 14.8 */
#define COMPREHENSION_OPTIONAL 0x8000 /* RFC 8489 14: 0x8000-0xFFFF */
#define TYPE_TOP_BITS	       0xC000 /* RFC 8489 5: the two most significant bits are 0 */
#define FINGERPRINT_ATTR_LEN   (NATT_STUN_ATTR_HDR_LEN + FINGERPRINT_LEN)

/* ---- big-endian helpers over bytes the caller has bounds-checked ---- */

static uint16_t be16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

static size_t padded(size_t n)
{
	return (n + 3) & ~(size_t)3;
}

/* ---- CRC-32 (reflected polynomial 0xEDB88320), four bits at a time ---- */

static const uint32_t crc_nibble[16] = {
	0x00000000, 0x1DB71064, 0x3B6E20C8, 0x26D930AC, 0x76DC4190, 0x6B6B51F4,
	0x4DB26158, 0x5005713C, 0xEDB88320, 0xF00F9344, 0xD6D6A3E8, 0xCB61B38C,
	0x9B64C2B0, 0x86D3D2D4, 0xA00AE278, 0xBDBDF21C,
};

uint32_t natt_stun_crc32(const uint8_t *p, size_t len)
{
	uint32_t crc = 0xFFFFFFFFu;

	for (size_t i = 0; i < len; i++) {
		crc ^= p[i];
		crc = crc_nibble[crc & 0x0F] ^ (crc >> 4);
		crc = crc_nibble[crc & 0x0F] ^ (crc >> 4);
	}
	return crc ^ 0xFFFFFFFFu;
}

static uint32_t fingerprint(const uint8_t *msg, size_t len)
{
	return natt_stun_crc32(msg, len) ^ NATT_STUN_FINGERPRINT_XOR;
}

/* ---- decoding ---- */

bool natt_stun_is_stun(const uint8_t *pkt, size_t len)
{
	if (pkt == NULL || len < NATT_STUN_HDR_LEN)
		return false;
	if ((be16(pkt) & TYPE_TOP_BITS) != 0 || be32(pkt + 4) != NATT_STUN_MAGIC_COOKIE)
		return false;
	return (size_t)be16(pkt + 2) + NATT_STUN_HDR_LEN == len && len % 4 == 0;
}

static int check_header(const uint8_t *pkt, size_t len)
{
	size_t body;

	if (pkt == NULL || len < NATT_STUN_HDR_LEN)
		return NATT_ERR_TRUNCATED;
	if ((be16(pkt) & TYPE_TOP_BITS) != 0)
		return NATT_ERR_BAD_TYPE;
	if (be32(pkt + 4) != NATT_STUN_MAGIC_COOKIE)
		return NATT_ERR_BAD_VERSION;
	body = be16(pkt + 2);
	if (body % 4 != 0 || body + NATT_STUN_HDR_LEN != len)
		return NATT_ERR_BAD_LENGTH;
	return NATT_OK;
}

/* XOR-MAPPED-ADDRESS (14.2) when xor, else MAPPED-ADDRESS (14.1). */
static int get_address(struct natt_cand *c, const uint8_t *v, size_t vlen, bool xor,
		       const uint8_t *hdr)
{
	uint8_t mask[16];
	size_t alen;

	memset(c, 0, sizeof(*c));
	if (vlen < 4)
		return NATT_ERR_BAD_LENGTH;
	if (v[1] == FAMILY_IPV4)
		alen = 4;
	else if (v[1] == FAMILY_IPV6)
		alen = 16;
	else
		return NATT_ERR_BAD_ADDRESS;
	if (vlen != 4 + alen)
		return NATT_ERR_BAD_LENGTH;
	memset(mask, 0, sizeof(mask));
	if (xor)
		memcpy(mask, hdr + 4, 16); /* magic cookie, then the transaction ID */
	c->kind = NATT_CAND_SRFLX;
	c->family = alen == 4 ? 4 : 6;
	c->port = be16(v + 2) ^ be16(mask);
	for (size_t i = 0; i < alen; i++)
		c->addr[i] = v[4 + i] ^ mask[i];
	return c->port != 0 ? NATT_OK : NATT_ERR_BAD_ADDRESS;
}

static int get_error_code(struct natt_stun_msg *m, const uint8_t *v, size_t vlen)
{
	unsigned cls, num;

	if (vlen < ERROR_CODE_MIN_LEN)
		return NATT_ERR_BAD_LENGTH;
	cls = v[2] & 0x07;
	num = v[3];
	if (cls < 3 || cls > 6 || num > 99)
		return NATT_ERR_BAD_VALUE;
	m->error_code = (uint16_t)(cls * 100 + num);
	return NATT_OK;
}

static void set_bytes(struct natt_stun_bytes *b, const uint8_t *v, uint16_t vlen)
{
	if (b->p == NULL) {
		b->p = v;
		b->len = vlen;
	}
}

static bool known_required(uint16_t type)
{
	switch (type) {
	case NATT_STUN_ATTR_MAPPED_ADDRESS:
	case NATT_STUN_ATTR_USERNAME:
	case NATT_STUN_ATTR_MESSAGE_INTEGRITY:
	case NATT_STUN_ATTR_ERROR_CODE:
	case NATT_STUN_ATTR_UNKNOWN_ATTRIBUTES:
	case NATT_STUN_ATTR_REALM:
	case NATT_STUN_ATTR_NONCE:
	case NATT_STUN_ATTR_MESSAGE_INTEGRITY_SHA256:
	case NATT_STUN_ATTR_PASSWORD_ALGORITHM:
	case NATT_STUN_ATTR_USERHASH:
	case NATT_STUN_ATTR_XOR_MAPPED_ADDRESS:
	case NATT_STUN_ATTR_PRIORITY:
	case NATT_STUN_ATTR_USE_CANDIDATE: return true;
	}
	return false;
}

static void note_unknown(struct natt_stun_msg *m, uint16_t type)
{
	if (type >= COMPREHENSION_OPTIONAL || known_required(type))
		return;
	if (m->n_unknown < NATT_STUN_MAX_UNKNOWN)
		m->unknown[m->n_unknown] = type;
	if (m->n_unknown < UINT8_MAX)
		m->n_unknown++;
}

/* One attribute at offset off of pkt, whose value is v[0, vlen). */
static int get_attr(struct natt_stun_msg *m, const uint8_t *pkt, size_t off, uint16_t type,
		    const uint8_t *v, uint16_t vlen)
{
	switch (type) {
	case NATT_STUN_ATTR_XOR_MAPPED_ADDRESS:
		if (m->has_xor_mapped)
			return NATT_OK;
		m->has_xor_mapped = true;
		return get_address(&m->xor_mapped, v, vlen, true, pkt);
	case NATT_STUN_ATTR_MAPPED_ADDRESS:
		if (m->has_mapped)
			return NATT_OK;
		m->has_mapped = true;
		return get_address(&m->mapped, v, vlen, false, pkt);
	case NATT_STUN_ATTR_MESSAGE_INTEGRITY:
		if (vlen != NATT_STUN_HMAC_SHA1_LEN)
			return NATT_ERR_BAD_LENGTH;
		m->integrity_off = off;
		return NATT_OK;
	case NATT_STUN_ATTR_ERROR_CODE:
		return m->error_code != 0 ? NATT_OK : get_error_code(m, v, vlen);
	case NATT_STUN_ATTR_USERNAME: set_bytes(&m->username, v, vlen); return NATT_OK;
	case NATT_STUN_ATTR_REALM: set_bytes(&m->realm, v, vlen); return NATT_OK;
	case NATT_STUN_ATTR_NONCE: set_bytes(&m->nonce, v, vlen); return NATT_OK;
	case NATT_STUN_ATTR_SOFTWARE: set_bytes(&m->software, v, vlen); return NATT_OK;
	}
	note_unknown(m, type);
	return NATT_OK;
}

static int check_fingerprint(const uint8_t *pkt, size_t off, const uint8_t *v, uint16_t vlen,
			     size_t len)
{
	if (vlen != FINGERPRINT_LEN)
		return NATT_ERR_BAD_LENGTH;
	if (off + FINGERPRINT_ATTR_LEN != len)
		return NATT_ERR_BAD_VALUE; /* not the last attribute (14.7) */
	return be32(v) == fingerprint(pkt, off) ? NATT_OK : NATT_ERR_BAD_VALUE;
}

/* Walks the attributes.  after_mi: MESSAGE-INTEGRITY (or -SHA256) was seen,
 * so only the integrity attributes and FINGERPRINT still count (14.5). */
static int walk_attrs(struct natt_stun_msg *m, const uint8_t *pkt, size_t len)
{
	size_t off = NATT_STUN_HDR_LEN;
	bool after_mi = false, after_sha256 = false;

	while (off < len) {
		uint16_t type, vlen;
		const uint8_t *v;
		int rc = NATT_OK;

		if (len - off < NATT_STUN_ATTR_HDR_LEN)
			return NATT_ERR_TRUNCATED;
		type = be16(pkt + off);
		vlen = be16(pkt + off + 2);
		v = pkt + off + NATT_STUN_ATTR_HDR_LEN;
		if (padded(vlen) > len - off - NATT_STUN_ATTR_HDR_LEN)
			return NATT_ERR_TRUNCATED;
		if (type == NATT_STUN_ATTR_FINGERPRINT) {
			rc = check_fingerprint(pkt, off, v, vlen, len);
			m->has_fingerprint = rc == NATT_OK;
		} else if (type == NATT_STUN_ATTR_MESSAGE_INTEGRITY_SHA256) {
			after_sha256 = true;
		} else if (type == NATT_STUN_ATTR_MESSAGE_INTEGRITY && !after_mi && !after_sha256) {
			rc = get_attr(m, pkt, off, type, v, vlen);
			after_mi = true;
		} else if (!after_mi && !after_sha256) {
			rc = get_attr(m, pkt, off, type, v, vlen);
		}
		if (rc != NATT_OK)
			return rc;
		off += NATT_STUN_ATTR_HDR_LEN + padded(vlen);
	}
	return NATT_OK;
}

int natt_stun_decode(struct natt_stun_msg *m, const uint8_t *pkt, size_t len)
{
	int rc;

	memset(m, 0, sizeof(*m));
	rc = check_header(pkt, len);
	if (rc != NATT_OK)
		return rc;
	m->type = be16(pkt);
	m->len = len;
	memcpy(m->txid, pkt + 8, NATT_STUN_TXID_LEN);
	return walk_attrs(m, pkt, len);
}

/* ---- MESSAGE-INTEGRITY ---- */

static int hmac_sha1(const uint8_t *key, size_t key_len, const uint8_t *a, size_t alen,
		     const uint8_t *b, size_t blen, uint8_t out[NATT_STUN_HMAC_SHA1_LEN])
{
	OSSL_PARAM params[2];
	EVP_MAC *mac = EVP_MAC_fetch(NULL, "HMAC", NULL);
	EVP_MAC_CTX *ctx = mac != NULL ? EVP_MAC_CTX_new(mac) : NULL;
	size_t outl = 0;
	int ok;

	params[0] = OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, (char *)"SHA1", 0);
	params[1] = OSSL_PARAM_construct_end();
	ok = ctx != NULL && EVP_MAC_init(ctx, key, key_len, params) == 1 &&
	     EVP_MAC_update(ctx, a, alen) == 1 && EVP_MAC_update(ctx, b, blen) == 1 &&
	     EVP_MAC_final(ctx, out, &outl, NATT_STUN_HMAC_SHA1_LEN) == 1 &&
	     outl == NATT_STUN_HMAC_SHA1_LEN;
	EVP_MAC_CTX_free(ctx);
	EVP_MAC_free(mac);
	return ok ? NATT_OK : NATT_ERR_CRYPTO;
}

int natt_stun_check_integrity(const struct natt_stun_msg *m, const uint8_t *pkt, size_t len,
			      const uint8_t *key, size_t key_len)
{
	uint8_t hdr[4], mac[NATT_STUN_HMAC_SHA1_LEN];
	size_t off = m->integrity_off;
	int rc;

	if (off < NATT_STUN_HDR_LEN || pkt == NULL || len != m->len ||
	    off + NATT_STUN_ATTR_HDR_LEN + NATT_STUN_HMAC_SHA1_LEN > len ||
	    (key == NULL && key_len != 0))
		return NATT_ERR_INVALID;
	/* The HMAC covers the message up to MESSAGE-INTEGRITY, with the
	 * header's length field as if MESSAGE-INTEGRITY were the last
	 * attribute (14.5). */
	memcpy(hdr, pkt, 2);
	put16(hdr + 2, (uint16_t)(off + NATT_STUN_ATTR_HDR_LEN + NATT_STUN_HMAC_SHA1_LEN -
				  NATT_STUN_HDR_LEN));
	rc = hmac_sha1(key != NULL ? key : (const uint8_t *)"", key_len, hdr, sizeof(hdr), pkt + 4,
		       off - 4, mac);
	if (rc != NATT_OK)
		return rc;
	if (CRYPTO_memcmp(mac, pkt + off + NATT_STUN_ATTR_HDR_LEN, sizeof(mac)) != 0)
		return NATT_ERR_AUTH;
	return NATT_OK;
}

int natt_stun_long_term_key(uint8_t key[NATT_STUN_LONG_TERM_KEY_LEN], const char *username,
			    const char *realm, const char *password)
{
	EVP_MD_CTX *ctx;
	unsigned int outl = 0;
	int ok;

	if (key == NULL || username == NULL || realm == NULL || password == NULL)
		return NATT_ERR_INVALID;
	ctx = EVP_MD_CTX_new();
	ok = ctx != NULL && EVP_DigestInit_ex(ctx, EVP_md5(), NULL) == 1 &&
	     EVP_DigestUpdate(ctx, username, strlen(username)) == 1 &&
	     EVP_DigestUpdate(ctx, ":", 1) == 1 &&
	     EVP_DigestUpdate(ctx, realm, strlen(realm)) == 1 &&
	     EVP_DigestUpdate(ctx, ":", 1) == 1 &&
	     EVP_DigestUpdate(ctx, password, strlen(password)) == 1 &&
	     EVP_DigestFinal_ex(ctx, key, &outl) == 1 && outl == NATT_STUN_LONG_TERM_KEY_LEN;
	EVP_MD_CTX_free(ctx);
	return ok ? NATT_OK : NATT_ERR_CRYPTO;
}

/* ---- encoding ---- */

static void put_header(uint8_t *out, uint16_t type, size_t body_len,
		       const uint8_t txid[NATT_STUN_TXID_LEN])
{
	put16(out, type);
	put16(out + 2, (uint16_t)body_len);
	put32(out + 4, NATT_STUN_MAGIC_COOKIE);
	memcpy(out + 8, txid, NATT_STUN_TXID_LEN);
}

/* Appends FINGERPRINT to the message of len bytes at out (room checked by
 * the caller) and fixes the header's length; returns the new length. */
static size_t put_fingerprint(uint8_t *out, size_t len)
{
	put16(out + 2, (uint16_t)(len + FINGERPRINT_ATTR_LEN - NATT_STUN_HDR_LEN));
	put16(out + len, NATT_STUN_ATTR_FINGERPRINT);
	put16(out + len + 2, FINGERPRINT_LEN);
	put32(out + len + 4, fingerprint(out, len));
	return len + FINGERPRINT_ATTR_LEN;
}

static size_t xor_address_len(const struct natt_cand *c)
{
	return NATT_STUN_ATTR_HDR_LEN + (c->family == 4 ? ADDR_V4_LEN : ADDR_V6_LEN);
}

/* XOR-MAPPED-ADDRESS of c at p; hdr holds the cookie and txid already. */
static void put_xor_address(uint8_t *p, const struct natt_cand *c, const uint8_t *hdr)
{
	size_t alen = c->family == 4 ? 4 : 16;

	put16(p, NATT_STUN_ATTR_XOR_MAPPED_ADDRESS);
	put16(p + 2, (uint16_t)(4 + alen));
	p[4] = 0;
	p[5] = c->family == 4 ? FAMILY_IPV4 : FAMILY_IPV6;
	put16(p + 6, c->port ^ be16(hdr + 4));
	for (size_t i = 0; i < alen; i++)
		p[8 + i] = c->addr[i] ^ hdr[4 + i];
}

static bool address_ok(const struct natt_cand *c)
{
	return c != NULL && (c->family == 4 || c->family == 6) && c->port != 0;
}

int natt_stun_answer(uint8_t *out, size_t cap, const uint8_t *req, size_t req_len,
		     const struct natt_cand *from)
{
	struct natt_stun_msg m;
	size_t len;
	int rc;

	if (!address_ok(from))
		return NATT_ERR_INVALID;
	rc = natt_stun_decode(&m, req, req_len);
	if (rc != NATT_OK)
		return rc;
	if (m.type != NATT_STUN_BINDING_REQUEST)
		return NATT_ERR_BAD_TYPE;
	if (m.n_unknown != 0)
		return NATT_ERR_BAD_VALUE;
	len = NATT_STUN_HDR_LEN + xor_address_len(from) + FINGERPRINT_ATTR_LEN;
	if (len > NATT_STUN_MAX_AMPLIFICATION * req_len)
		return NATT_ERR_TOO_SMALL;
	if (out == NULL || cap < len)
		return NATT_ERR_BUFFER;
	put_header(out, NATT_STUN_BINDING_SUCCESS, xor_address_len(from), m.txid);
	put_xor_address(out + NATT_STUN_HDR_LEN, from, out);
	return (int)put_fingerprint(out, NATT_STUN_HDR_LEN + xor_address_len(from));
}

int natt_stun_binding_request(uint8_t *out, size_t cap, const uint8_t txid[NATT_STUN_TXID_LEN],
			      bool with_fingerprint)
{
	size_t len = NATT_STUN_HDR_LEN + (with_fingerprint ? FINGERPRINT_ATTR_LEN : 0);

	if (out == NULL || txid == NULL || cap < len)
		return NATT_ERR_BUFFER;
	put_header(out, NATT_STUN_BINDING_REQUEST, 0, txid);
	return (int)(with_fingerprint ? put_fingerprint(out, NATT_STUN_HDR_LEN)
				      : NATT_STUN_HDR_LEN);
}

/*
 * A mapped address as a candidate: an IPv4-mapped IPv6 address (RFC 4291
 * 2.5.5.2: a dual-stack server's view of an IPv4 client) is the IPv4
 * address; the unspecified address (0.0.0.0, ::) is nobody's.
 */
static int usable_mapped(struct natt_cand *c)
{
	static const uint8_t zero[16], v4_mapped[12] = {[10] = 0xff, [11] = 0xff};

	if (c->family == 6 && memcmp(c->addr, v4_mapped, sizeof(v4_mapped)) == 0) {
		c->family = 4;
		memmove(c->addr, c->addr + 12, 4);
		memset(c->addr + 4, 0, 12);
	}
	return memcmp(c->addr, zero, c->family == 4 ? 4 : 16) != 0 ? NATT_OK : NATT_ERR_BAD_ADDRESS;
}

int natt_stun_parse_response(const uint8_t *pkt, size_t len, const uint8_t txid[NATT_STUN_TXID_LEN],
			     struct natt_cand *mapped)
{
	struct natt_stun_msg m;
	int rc = natt_stun_decode(&m, pkt, len);

	if (rc != NATT_OK)
		return rc;
	if (m.type != NATT_STUN_BINDING_SUCCESS)
		return NATT_ERR_BAD_TYPE;
	if (CRYPTO_memcmp(m.txid, txid, NATT_STUN_TXID_LEN) != 0)
		return NATT_ERR_BAD_VALUE;
	if (m.has_xor_mapped)
		*mapped = m.xor_mapped;
	else if (m.has_mapped)
		*mapped = m.mapped;
	else
		return NATT_ERR_BAD_ADDRESS;
	return usable_mapped(mapped);
}
