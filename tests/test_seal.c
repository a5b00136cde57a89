/*
 * test_seal.c: the outer seal (transport/seal.c).  The known-answer tests
 * recompute the key schedule and the AEAD here with other OpenSSL entry
 * points (EVP_Q_mac, EVP_aes_256_gcm), and compare with frozen bytes that
 * were produced outside OpenSSL (Python hmac/hashlib + pyca AESGCM).
 */
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "replay.h"
#include "seal.h"
#include "unit.h"

#define MAX_PKT 1400

static const char *const labels[NATT_SEAL_PURPOSES] = {
	"natt handshake",
	"natt probe",
	"natt rendezvous",
	"natt unknown cid",
};

/* 00 01 .. 1f */
static void key_a(uint8_t k[NATT_KEY_LEN])
{
	for (int i = 0; i < NATT_KEY_LEN; i++)
		k[i] = (uint8_t)i;
}

/* ff fe .. e0 */
static void key_b(uint8_t k[NATT_KEY_LEN])
{
	for (int i = 0; i < NATT_KEY_LEN; i++)
		k[i] = (uint8_t)(0xff - i);
}

static struct natt_seal *seal_with(void (*keyfn)(uint8_t *))
{
	uint8_t k[NATT_KEY_LEN];
	struct natt_seal *s = NULL;

	keyfn(k);
	CU_ASSERT_EQUAL_FATAL(natt_seal_new(&s, k), NATT_OK);
	CU_ASSERT_PTR_NOT_NULL_FATAL(s);
	return s;
}

/* Fills header (salt included) and body with a pattern that depends on seed. */
static void fill_packet(uint8_t *pkt, size_t hdr_len, size_t body_len, unsigned int seed)
{
	for (size_t i = 0; i < hdr_len + body_len; i++)
		pkt[i] = (uint8_t)(i * 31 + seed * 7 + 1);
}

/* ---- reference implementation, independent of seal.c's code paths ---- */

static void ref_hmac(const uint8_t *key, size_t klen, const void *msg, size_t mlen, uint8_t out[32])
{
	size_t outl = 0;

	CU_ASSERT_PTR_NOT_NULL_FATAL(EVP_Q_mac(NULL, "HMAC", NULL, "SHA256", NULL, key, klen, msg,
					       mlen, out, 32, &outl));
	CU_ASSERT_EQUAL_FATAL(outl, 32);
}

/* HKDF (RFC 5869) by hand, first output block only. */
static void ref_hkdf(const void *salt, size_t salt_len, const uint8_t *ikm, size_t ikm_len,
		     const char *info, size_t info_len, uint8_t out[32])
{
	uint8_t prk[32];
	uint8_t msg[256];

	ref_hmac(salt, salt_len, ikm, ikm_len, prk);
	memcpy(msg, info, info_len);
	msg[info_len] = 0x01;
	ref_hmac(prk, sizeof(prk), msg, info_len + 1, out);
}

static void ref_purpose_key(const uint8_t nk[NATT_KEY_LEN], int purpose, uint8_t out[32])
{
	ref_hkdf("openvpn-natt v1", 15, nk, NATT_KEY_LEN, labels[purpose], strlen(labels[purpose]),
		 out);
}

/* Seals pkt into out (not in place) with the purpose key kp. */
static void ref_seal(const uint8_t kp[32], const uint8_t *pkt, size_t hdr_len, size_t body_len,
		     uint8_t *out)
{
	static const uint8_t iv[12];
	uint8_t kpkt[32];
	EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
	int n;

	ref_hmac(kp, 32, pkt + hdr_len - NATT_SALT_LEN, NATT_SALT_LEN, kpkt);
	memcpy(out, pkt, hdr_len);
	CU_ASSERT_PTR_NOT_NULL_FATAL(c);
	CU_ASSERT_EQUAL(EVP_EncryptInit_ex(c, EVP_aes_256_gcm(), NULL, kpkt, iv), 1);
	CU_ASSERT_EQUAL(EVP_EncryptUpdate(c, NULL, &n, pkt, (int)hdr_len), 1);
	CU_ASSERT_EQUAL(EVP_EncryptUpdate(c, out + hdr_len, &n, pkt + hdr_len, (int)body_len), 1);
	CU_ASSERT_EQUAL(EVP_EncryptFinal_ex(c, out + hdr_len + body_len, &n), 1);
	CU_ASSERT_EQUAL(EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_GET_TAG, 16, out + hdr_len + body_len),
			1);
	EVP_CIPHER_CTX_free(c);
}

/* The reference HKDF itself, against RFC 5869 test case 1. */
static void test_reference_hkdf(void)
{
	uint8_t ikm[22], salt[13], info[10], okm[32], want[32];

	memset(ikm, 0x0b, sizeof(ikm));
	for (int i = 0; i < 13; i++)
		salt[i] = (uint8_t)i;
	for (int i = 0; i < 10; i++)
		info[i] = (uint8_t)(0xf0 + i);
	natt_test_unhex("3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf", want,
			sizeof(want));
	ref_hkdf(salt, sizeof(salt), ikm, sizeof(ikm), (const char *)info, sizeof(info), okm);
	CU_ASSERT_EQUAL(memcmp(okm, want, 32), 0);
}

/* ---- tests ---- */

static void roundtrip_one(struct natt_seal *s, int purpose, size_t hdr_len, size_t body_len)
{
	uint8_t pkt[MAX_PKT], orig[MAX_PKT];
	size_t len = hdr_len + body_len + NATT_TAG_LEN;

	fill_packet(pkt, hdr_len, body_len, (unsigned int)(hdr_len + body_len));
	memcpy(orig, pkt, hdr_len + body_len);
	CU_ASSERT_EQUAL((size_t)natt_seal_seal(s, purpose, pkt, hdr_len, body_len, len), len);
	CU_ASSERT_EQUAL(memcmp(pkt, orig, hdr_len), 0);
	if (body_len >= 8)
		CU_ASSERT_NOT_EQUAL(memcmp(pkt + hdr_len, orig + hdr_len, body_len), 0);
	CU_ASSERT_EQUAL((size_t)natt_seal_open(s, purpose, pkt, hdr_len, len), body_len);
	CU_ASSERT_EQUAL(memcmp(pkt, orig, hdr_len + body_len), 0);
}

static void test_roundtrip(void)
{
	static const size_t hdrs[] = {16, 17, 26, 34, 42, 100};
	static const size_t bodies[] = {0, 1, 15, 16, 17, 37, 100, 1200};
	struct natt_seal *s = seal_with(key_a);

	for (int p = 0; p < NATT_SEAL_PURPOSES; p++)
		for (size_t h = 0; h < sizeof(hdrs) / sizeof(hdrs[0]); h++)
			for (size_t b = 0; b < sizeof(bodies) / sizeof(bodies[0]); b++)
				roundtrip_one(s, p, hdrs[h], bodies[b]);
	natt_seal_free(s);
}

/* Every single-bit change anywhere in the sealed packet must fail to open. */
static void bitflip_all(struct natt_seal *s, int purpose, size_t hdr_len, size_t body_len)
{
	size_t len = hdr_len + body_len + NATT_TAG_LEN;
	uint8_t sealed[MAX_PKT];
	uint8_t *work = malloc(len);
	size_t failures = 0;

	CU_ASSERT_PTR_NOT_NULL_FATAL(work);
	fill_packet(sealed, hdr_len, body_len, 3);
	CU_ASSERT_EQUAL_FATAL((size_t)natt_seal_seal(s, purpose, sealed, hdr_len, body_len, len),
			      len);
	for (size_t bit = 0; bit < len * 8; bit++) {
		memcpy(work, sealed, len);
		work[bit / 8] ^= (uint8_t)(1u << (bit % 8));
		if (natt_seal_open(s, purpose, work, hdr_len, len) != NATT_ERR_AUTH)
			failures++;
	}
	CU_ASSERT_EQUAL(failures, 0);
	memcpy(work, sealed, len);
	CU_ASSERT_EQUAL((size_t)natt_seal_open(s, purpose, work, hdr_len, len), body_len);
	free(work);
}

static void test_bitflip(void)
{
	struct natt_seal *s = seal_with(key_a);

	for (int p = 0; p < NATT_SEAL_PURPOSES; p++) {
		bitflip_all(s, p, 42, 37);
		bitflip_all(s, p, 16, 0);
	}
	natt_seal_free(s);
}

static void test_wrong_key(void)
{
	struct natt_seal *a = seal_with(key_a), *b = seal_with(key_b);
	uint8_t pkt[MAX_PKT];
	size_t len = 26 + 40 + NATT_TAG_LEN;

	for (int p = 0; p < NATT_SEAL_PURPOSES; p++) {
		fill_packet(pkt, 26, 40, (unsigned int)p);
		CU_ASSERT_EQUAL((size_t)natt_seal_seal(a, p, pkt, 26, 40, sizeof(pkt)), len);
		CU_ASSERT_EQUAL(natt_seal_open(b, p, pkt, 26, len), NATT_ERR_AUTH);
	}
	natt_seal_free(a);
	natt_seal_free(b);
}

static void test_cross_purpose(void)
{
	struct natt_seal *s = seal_with(key_a);
	uint8_t pkt[MAX_PKT], work[MAX_PKT];
	size_t len = 34 + 37 + NATT_TAG_LEN;

	for (int p = 0; p < NATT_SEAL_PURPOSES; p++) {
		fill_packet(pkt, 34, 37, 9);
		CU_ASSERT_EQUAL((size_t)natt_seal_seal(s, p, pkt, 34, 37, sizeof(pkt)), len);
		for (int q = 0; q < NATT_SEAL_PURPOSES; q++) {
			memcpy(work, pkt, len);
			CU_ASSERT_EQUAL(natt_seal_open(s, q, work, 34, len),
					q == p ? 37 : NATT_ERR_AUTH);
		}
	}
	natt_seal_free(s);
}

/* Every prefix of a sealed packet, in a buffer of exactly that size (so
 * ASan sees any read past it). */
static void test_truncated(void)
{
	struct natt_seal *s = seal_with(key_a);
	const size_t hdr_len = 42, body_len = 30, full = hdr_len + body_len + NATT_TAG_LEN;
	uint8_t sealed[MAX_PKT];

	fill_packet(sealed, hdr_len, body_len, 5);
	CU_ASSERT_EQUAL_FATAL(
		(size_t)natt_seal_seal(s, NATT_SEAL_HANDSHAKE, sealed, hdr_len, body_len, full),
		full);
	for (size_t len = 0; len < full; len++) {
		uint8_t *work = malloc(len > 0 ? len : 1);
		int want = len < hdr_len + NATT_TAG_LEN ? NATT_ERR_TRUNCATED : NATT_ERR_AUTH;

		CU_ASSERT_PTR_NOT_NULL_FATAL(work);
		memcpy(work, sealed, len);
		CU_ASSERT_EQUAL(natt_seal_open(s, NATT_SEAL_HANDSHAKE, work, hdr_len, len), want);
		free(work);
	}
	natt_seal_free(s);
}

static void test_argument_errors(void)
{
	struct natt_seal *s = seal_with(key_a);
	uint8_t pkt[MAX_PKT];

	fill_packet(pkt, 26, 10, 1);
	CU_ASSERT_EQUAL(natt_seal_seal(s, NATT_SEAL_PROBE, pkt, 15, 10, sizeof(pkt)),
			NATT_ERR_INVALID);
	CU_ASSERT_EQUAL(natt_seal_seal(s, NATT_SEAL_PURPOSES, pkt, 26, 10, sizeof(pkt)),
			NATT_ERR_INVALID);
	CU_ASSERT_EQUAL(natt_seal_seal(s, NATT_SEAL_PROBE, pkt, 26, 10, 26 + 10 + 15),
			NATT_ERR_BUFFER);
	CU_ASSERT_EQUAL(natt_seal_seal(s, NATT_SEAL_PROBE, pkt, 26, 10, 26 + 10 + 16), 52);
	CU_ASSERT_EQUAL(natt_seal_open(s, NATT_SEAL_PROBE, pkt, 15, 52), NATT_ERR_INVALID);
	CU_ASSERT_EQUAL(natt_seal_open(s, NATT_SEAL_PURPOSES, pkt, 26, 52), NATT_ERR_INVALID);
	CU_ASSERT_EQUAL(natt_seal_open(s, NATT_SEAL_PROBE, pkt, 26, 52), 10);
	natt_seal_free(s);
}

static void test_salts_differ(void)
{
	struct natt_seal *s = seal_with(key_a);
	uint8_t a[MAX_PKT], b[MAX_PKT];
	const size_t hdr_len = 26, body_len = 48, len = hdr_len + body_len + NATT_TAG_LEN;

	fill_packet(a, hdr_len, body_len, 2);
	memcpy(b, a, hdr_len + body_len);
	b[hdr_len - 1] ^= 0x01; /* last salt byte */
	CU_ASSERT_EQUAL((size_t)natt_seal_seal(s, NATT_SEAL_RENDEZVOUS, a, hdr_len, body_len, len),
			len);
	CU_ASSERT_EQUAL((size_t)natt_seal_seal(s, NATT_SEAL_RENDEZVOUS, b, hdr_len, body_len, len),
			len);
	CU_ASSERT_NOT_EQUAL(memcmp(a + hdr_len, b + hdr_len, body_len), 0);
	CU_ASSERT_NOT_EQUAL(memcmp(a + hdr_len + body_len, b + hdr_len + body_len, NATT_TAG_LEN),
			    0);
	natt_seal_free(s);
}

/* Header c8 01 <network id of key_a> <salt a0..af>, body "hello, natt". */
static size_t kat_packet(uint8_t *pkt)
{
	static const char body[] = "hello, natt";

	natt_test_unhex("c801 c94500aa48271d98 a0a1a2a3a4a5a6a7a8a9aaabacadaeaf", pkt, 26);
	memcpy(pkt + 26, body, sizeof(body) - 1);
	return sizeof(body) - 1;
}

static void test_known_answer_reference(void)
{
	struct natt_seal *s = seal_with(key_a);
	uint8_t nk[NATT_KEY_LEN], kp[32];
	uint8_t pkt[MAX_PKT], want[MAX_PKT];

	key_a(nk);
	for (int p = 0; p < NATT_SEAL_PURPOSES; p++) {
		size_t body_len = kat_packet(pkt);
		size_t len = 26 + body_len + NATT_TAG_LEN;

		ref_purpose_key(nk, p, kp);
		ref_seal(kp, pkt, 26, body_len, want);
		CU_ASSERT_EQUAL((size_t)natt_seal_seal(s, p, pkt, 26, body_len, sizeof(pkt)), len);
		CU_ASSERT_EQUAL(memcmp(pkt, want, len), 0);
	}
	natt_seal_free(s);
}

/* Same packet, bytes frozen from an implementation outside OpenSSL. */
static void test_known_answer_frozen(void)
{
	static const char *const frozen[NATT_SEAL_PURPOSES] = {
		"c801c94500aa48271d98a0a1a2a3a4a5a6a7a8a9aaabacadaeaf"
		"4f0b6a48caa61e2496e002ae013963c96e262f5327cbd11b464975",
		"c801c94500aa48271d98a0a1a2a3a4a5a6a7a8a9aaabacadaeaf"
		"e0ba9d48ef0d93476a4f881bc252ef5531c4d2aac1485e5aa901b8",
		"c801c94500aa48271d98a0a1a2a3a4a5a6a7a8a9aaabacadaeaf"
		"82f7ac5270ecb94d05810c017f904bc12c13472ecd1ab27b117e80",
		"c801c94500aa48271d98a0a1a2a3a4a5a6a7a8a9aaabacadaeaf"
		"b6d498936c72c82b8cc4460ffe4048c13d73d5e158e0822351a9d5",
	};
	struct natt_seal *s = seal_with(key_a);
	uint8_t pkt[MAX_PKT], want[MAX_PKT];

	for (int p = 0; p < NATT_SEAL_PURPOSES; p++) {
		size_t body_len = kat_packet(pkt);
		long want_len = natt_test_unhex(frozen[p], want, sizeof(want));

		CU_ASSERT_EQUAL_FATAL(want_len, (long)(26 + body_len + NATT_TAG_LEN));
		CU_ASSERT_EQUAL(natt_seal_seal(s, p, pkt, 26, body_len, sizeof(pkt)), want_len);
		CU_ASSERT_EQUAL(memcmp(pkt, want, (size_t)want_len), 0);
		CU_ASSERT_EQUAL((size_t)natt_seal_open(s, p, want, 26, (size_t)want_len), body_len);
		CU_ASSERT_EQUAL(memcmp(want + 26, "hello, natt", body_len), 0);
	}
	natt_seal_free(s);
}

static void test_rendezvous_only(void)
{
	struct natt_seal *full = seal_with(key_a), *rdv = NULL;
	uint8_t rk[NATT_KEY_LEN], rk2[NATT_KEY_LEN], want[32], nk[NATT_KEY_LEN];
	uint8_t pkt[MAX_PKT];
	const size_t len = 26 + 20 + NATT_TAG_LEN;

	CU_ASSERT_EQUAL(natt_seal_rendezvous_key(full, rk), NATT_OK);
	key_a(nk);
	ref_purpose_key(nk, NATT_SEAL_RENDEZVOUS, want);
	CU_ASSERT_EQUAL(memcmp(rk, want, NATT_KEY_LEN), 0);
	CU_ASSERT_EQUAL_FATAL(natt_seal_new_rendezvous(&rdv, rk), NATT_OK);
	CU_ASSERT_EQUAL(natt_seal_rendezvous_key(rdv, rk2), NATT_OK);
	CU_ASSERT_EQUAL(memcmp(rk, rk2, NATT_KEY_LEN), 0);

	fill_packet(pkt, 26, 20, 4);
	CU_ASSERT_EQUAL((size_t)natt_seal_seal(full, NATT_SEAL_RENDEZVOUS, pkt, 26, 20, len), len);
	CU_ASSERT_EQUAL(natt_seal_open(rdv, NATT_SEAL_RENDEZVOUS, pkt, 26, len), 20);
	CU_ASSERT_EQUAL((size_t)natt_seal_seal(rdv, NATT_SEAL_RENDEZVOUS, pkt, 26, 20, len), len);
	CU_ASSERT_EQUAL(natt_seal_open(full, NATT_SEAL_RENDEZVOUS, pkt, 26, len), 20);

	for (int p = NATT_SEAL_HANDSHAKE; p <= NATT_SEAL_PROBE; p++) {
		fill_packet(pkt, 26, 20, 4);
		CU_ASSERT_EQUAL(natt_seal_seal(rdv, p, pkt, 26, 20, len), NATT_ERR_WRONG_PURPOSE);
		CU_ASSERT_EQUAL((size_t)natt_seal_seal(full, p, pkt, 26, 20, len), len);
		CU_ASSERT_EQUAL(natt_seal_open(rdv, p, pkt, 26, len), NATT_ERR_WRONG_PURPOSE);
	}
	natt_seal_free(rdv);
	natt_seal_free(full);
}

static void test_network_id(void)
{
	struct natt_seal *a = seal_with(key_a), *b = seal_with(key_b), *rdv = NULL;
	uint8_t ida[8], idb[8], idr[8], rk[NATT_KEY_LEN], want[8];

	natt_seal_network_id(a, ida);
	natt_seal_network_id(b, idb);
	CU_ASSERT_EQUAL(natt_seal_rendezvous_key(a, rk), NATT_OK);
	CU_ASSERT_EQUAL_FATAL(natt_seal_new_rendezvous(&rdv, rk), NATT_OK);
	natt_seal_network_id(rdv, idr);
	CU_ASSERT_EQUAL(memcmp(ida, idr, 8), 0);
	CU_ASSERT_NOT_EQUAL(memcmp(ida, idb, 8), 0);
	natt_test_unhex("c94500aa48271d98", want, sizeof(want));
	CU_ASSERT_EQUAL(memcmp(ida, want, 8), 0);
	natt_test_unhex("a44b1507721901b2", want, sizeof(want));
	CU_ASSERT_EQUAL(memcmp(idb, want, 8), 0);
	natt_seal_free(rdv);
	natt_seal_free(a);
	natt_seal_free(b);
}

/* HANDSHAKE layout of doc/PROTOCOL.md 5.1: c1 01 dcid scid pn salt. */
#define HS_HDR	  42
#define HS_PN_OFF 18

static size_t hs_packet(struct natt_seal *s, uint8_t *pkt, uint64_t pn)
{
	size_t len = HS_HDR + 8 + NATT_TAG_LEN;

	fill_packet(pkt, HS_HDR, 8, (unsigned int)pn);
	pkt[0] = 0xc1;
	pkt[1] = 0x01;
	for (int i = 0; i < 8; i++)
		pkt[HS_PN_OFF + i] = (uint8_t)(pn >> (56 - 8 * i));
	CU_ASSERT_EQUAL((size_t)natt_seal_seal(s, NATT_SEAL_HANDSHAKE, pkt, HS_HDR, 8, len), len);
	return len;
}

/* A receiver as the transport will be: open, then check, then update. */
static int hs_receive(struct natt_seal *s, struct natt_replay *r, const uint8_t *pkt, size_t len)
{
	uint8_t work[MAX_PKT];
	uint64_t pn = 0;
	int rc;

	memcpy(work, pkt, len);
	rc = natt_seal_open(s, NATT_SEAL_HANDSHAKE, work, HS_HDR, len);
	if (rc < 0)
		return rc;
	for (int i = 0; i < 8; i++)
		pn = pn << 8 | work[HS_PN_OFF + i];
	rc = natt_replay_check(r, pn);
	if (rc != NATT_OK)
		return rc;
	return natt_replay_update(r, pn);
}

static void test_with_replay(void)
{
	struct natt_seal *s = seal_with(key_a);
	struct natt_replay r;
	uint8_t p0[MAX_PKT], p1[MAX_PKT], p2[MAX_PKT], forged[MAX_PKT];
	size_t l0 = hs_packet(s, p0, 0), l1 = hs_packet(s, p1, 1), l2 = hs_packet(s, p2, 2);

	CU_ASSERT_EQUAL_FATAL(natt_replay_init(&r, 1024), NATT_OK);
	CU_ASSERT_EQUAL(hs_receive(s, &r, p1, l1), NATT_OK);
	CU_ASSERT_EQUAL(hs_receive(s, &r, p1, l1), NATT_ERR_REPLAY);
	CU_ASSERT_EQUAL(hs_receive(s, &r, p0, l0), NATT_OK);
	CU_ASSERT_EQUAL(hs_receive(s, &r, p0, l0), NATT_ERR_REPLAY);

	/* A forged packet number far ahead fails to open and moves nothing. */
	memcpy(forged, p2, l2);
	forged[HS_PN_OFF] = 0x7f;
	CU_ASSERT_EQUAL(hs_receive(s, &r, forged, l2), NATT_ERR_AUTH);
	CU_ASSERT_EQUAL(r.top, 2);
	CU_ASSERT_EQUAL(hs_receive(s, &r, p2, l2), NATT_OK);
	CU_ASSERT_EQUAL(hs_receive(s, &r, p2, l2), NATT_ERR_REPLAY);
	natt_seal_free(s);
}

static const struct natt_test tests[] = {
	{"reference_hkdf_rfc5869", test_reference_hkdf},
	{"roundtrip", test_roundtrip},
	{"bitflip_every_bit", test_bitflip},
	{"wrong_key", test_wrong_key},
	{"cross_purpose", test_cross_purpose},
	{"truncated", test_truncated},
	{"argument_errors", test_argument_errors},
	{"salts_differ", test_salts_differ},
	{"known_answer_reference", test_known_answer_reference},
	{"known_answer_frozen", test_known_answer_frozen},
	{"rendezvous_only", test_rendezvous_only},
	{"network_id", test_network_id},
	{"with_replay", test_with_replay},
	{NULL, NULL},
};

int natt_suite_seal(void)
{
	return natt_add_suite("seal", tests);
}
