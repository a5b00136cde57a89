/*
 * test_stun.c: RFC 8489 Binding (transport/stun.c).  The RFC 5769 section 2
 * test vectors are checked whole: framing, addresses, MESSAGE-INTEGRITY
 * (short-term and long-term keys) and FINGERPRINT.  Hand-built messages
 * cover what the vectors do not: IPv4/IPv6 round trips, MAPPED-ADDRESS
 * fallback, attributes after MESSAGE-INTEGRITY, truncation and garbage.
 */
#include <stdlib.h>
#include <string.h>

#include "stun.h"
#include "unit.h"

/* ---- RFC 5769 section 2 (published test vectors) ---- */

/* 2.1 Sample Request: SOFTWARE "STUN test client", PRIORITY,
 * ICE-CONTROLLED, USERNAME "evtj:h6vY", MESSAGE-INTEGRITY, FINGERPRINT. */
static const char rfc5769_request[] = "000100582112a442b7e7a701bc34d686fa87dfae"
				      "802200105354554e207465737420636c69656e74"
				      "002400046e0001ff80290008932ff9b151263b36"
				      "000600096576746a3a6836765920202000080014"
				      "9aeaa70cbfd8cb56781ef2b5b2d3f249c1b571a2"
				      "80280004e57a3bcf";

/* 2.2 Sample IPv4 Response: 192.0.2.1 port 32853. */
static const char rfc5769_v4_response[] = "0101003c2112a442b7e7a701bc34d686fa87dfae"
					  "8022000b7465737420766563746f722000200008"
					  "0001a147e112a643000800142b91f599fd9e90c3"
					  "8c7489f92af9ba53f06be7d780280004c07d4c96";

/* 2.3 Sample IPv6 Response: 2001:db8:1234:5678:11:2233:4455:6677 port 32853. */
static const char rfc5769_v6_response[] = "010100482112a442b7e7a701bc34d686fa87dfae"
					  "8022000b7465737420766563746f722000200014"
					  "0002a1470113a9faa5d3f179bc25f4b5bed2b9d9"
					  "00080014a382954e4be67bf11784c97c8292c275"
					  "bfe3ed4180280004c8fb0b4c";

/* 2.4 Sample Request with Long-Term Authentication: USERNAME (the
 * katakana for "matrix"), NONCE, REALM "example.org", MESSAGE-INTEGRITY;
 * the password "TheMatrIX" after SASLprep. */
static const char rfc5769_long_term[] = "000100602112a44278ad3433c6ad72c029da412e"
					"00060012e3839ee38388e383aae38383e382afe3"
					"82b900000015001c662f2f3439396b393534643"
					"64f4c33346f4c394653547679363473410014000b"
					"6578616d706c652e6f7267000008001"
					"4f67024656dd64a3e02b8e0712e85c9a28ca89666";

static const char short_term_password[] = "VOkJxbRl1RmTxUk/WvJxBt";
static const uint8_t vector_txid[NATT_STUN_TXID_LEN] = {
	0xb7, 0xe7, 0xa7, 0x01, 0xbc, 0x34, 0xd6, 0x86, 0xfa, 0x87, 0xdf, 0xae,
};

#define MAX_MSG 600

static size_t unhex(const char *hex, uint8_t *buf)
{
	long n = natt_test_unhex(hex, buf, MAX_MSG);

	CU_ASSERT_FATAL(n > 0);
	return (size_t)n;
}

static bool bytes_are(const struct natt_stun_bytes *b, const char *s)
{
	return b->p != NULL && b->len == strlen(s) && memcmp(b->p, s, b->len) == 0;
}

/* An IPv4 server-reflexive candidate (natt_test_v4 of unit_main.c). */
static struct natt_cand addr4(uint8_t a, uint8_t b, uint8_t c, uint8_t d, uint16_t port)
{
	return natt_test_v4(a, b, c, d, port, NATT_CAND_SRFLX);
}

static struct natt_cand addr6(const char *hex, uint16_t port)
{
	struct natt_cand x;

	memset(&x, 0, sizeof(x));
	x.kind = NATT_CAND_SRFLX;
	x.family = 6;
	x.port = port;
	CU_ASSERT_EQUAL_FATAL(natt_test_unhex(hex, x.addr, 16), 16);
	return x;
}

/* ---- a tiny builder for hand-made messages ---- */

struct msgbuf {
	uint8_t b[MAX_MSG];
	size_t len;
};

static void mb_start(struct msgbuf *m, uint16_t type, const uint8_t txid[NATT_STUN_TXID_LEN])
{
	memset(m, 0, sizeof(*m));
	m->b[0] = (uint8_t)(type >> 8);
	m->b[1] = (uint8_t)type;
	m->b[4] = 0x21;
	m->b[5] = 0x12;
	m->b[6] = 0xa4;
	m->b[7] = 0x42;
	memcpy(m->b + 8, txid, NATT_STUN_TXID_LEN);
	m->len = NATT_STUN_HDR_LEN;
}

static void mb_fix_len(struct msgbuf *m)
{
	m->b[2] = (uint8_t)((m->len - NATT_STUN_HDR_LEN) >> 8);
	m->b[3] = (uint8_t)(m->len - NATT_STUN_HDR_LEN);
}

static void mb_attr(struct msgbuf *m, uint16_t type, const void *v, uint16_t vlen)
{
	m->b[m->len] = (uint8_t)(type >> 8);
	m->b[m->len + 1] = (uint8_t)type;
	m->b[m->len + 2] = (uint8_t)(vlen >> 8);
	m->b[m->len + 3] = (uint8_t)vlen;
	memcpy(m->b + m->len + 4, v, vlen);
	m->len += 4 + ((vlen + 3u) & ~3u);
	mb_fix_len(m);
}

static void mb_fingerprint(struct msgbuf *m)
{
	uint32_t fp;
	uint8_t v[4];

	m->len += 8;
	mb_fix_len(m);
	m->len -= 8;
	fp = natt_stun_crc32(m->b, m->len) ^ NATT_STUN_FINGERPRINT_XOR;
	v[0] = (uint8_t)(fp >> 24);
	v[1] = (uint8_t)(fp >> 16);
	v[2] = (uint8_t)(fp >> 8);
	v[3] = (uint8_t)fp;
	mb_attr(m, NATT_STUN_ATTR_FINGERPRINT, v, 4);
}

/* MAPPED-ADDRESS value (RFC 8489 14.1) of an IPv4 address, not XOR'd. */
static void mapped_v4(uint8_t v[8], const struct natt_cand *c)
{
	v[0] = 0;
	v[1] = 1;
	v[2] = (uint8_t)(c->port >> 8);
	v[3] = (uint8_t)c->port;
	memcpy(v + 4, c->addr, 4);
}

/* Rewrites the FINGERPRINT that ends the message of len bytes at p. */
static void refingerprint(uint8_t *p, size_t len)
{
	uint32_t fp = natt_stun_crc32(p, len - 8) ^ NATT_STUN_FINGERPRINT_XOR;

	p[len - 4] = (uint8_t)(fp >> 24);
	p[len - 3] = (uint8_t)(fp >> 16);
	p[len - 2] = (uint8_t)(fp >> 8);
	p[len - 1] = (uint8_t)fp;
}

/* ---- tests ---- */

static void test_crc32(void)
{
	CU_ASSERT_EQUAL(natt_stun_crc32((const uint8_t *)"123456789", 9), 0xCBF43926u);
	CU_ASSERT_EQUAL(natt_stun_crc32((const uint8_t *)"", 0), 0);
	CU_ASSERT_EQUAL(natt_stun_crc32((const uint8_t *)"a", 1), 0xE8B7BE43u);
}

static void test_rfc5769_request(void)
{
	uint8_t pkt[MAX_MSG];
	size_t len = unhex(rfc5769_request, pkt);
	struct natt_stun_msg m;
	const uint8_t bad[] = "VOkJxbRl1RmTxUk/WvJxBu";

	CU_ASSERT_EQUAL(len, 108);
	CU_ASSERT_EQUAL_FATAL(natt_stun_decode(&m, pkt, len), NATT_OK);
	CU_ASSERT_EQUAL(m.type, NATT_STUN_BINDING_REQUEST);
	CU_ASSERT_EQUAL(memcmp(m.txid, vector_txid, sizeof(vector_txid)), 0);
	CU_ASSERT(bytes_are(&m.username, "evtj:h6vY"));
	CU_ASSERT(bytes_are(&m.software, "STUN test client"));
	CU_ASSERT(m.has_fingerprint);
	CU_ASSERT_EQUAL(m.integrity_off, 76);
	CU_ASSERT_EQUAL(m.n_unknown, 0); /* PRIORITY is known (RFC 8445) */
	CU_ASSERT_FALSE(m.has_xor_mapped);
	CU_ASSERT_EQUAL(natt_stun_check_integrity(&m, pkt, len,
						  (const uint8_t *)short_term_password,
						  strlen(short_term_password)),
			NATT_OK);
	CU_ASSERT_EQUAL(natt_stun_check_integrity(&m, pkt, len, bad, sizeof(bad) - 1),
			NATT_ERR_AUTH);
}

static void check_response_vector(const char *hex, const struct natt_cand *want, size_t want_len)
{
	uint8_t pkt[MAX_MSG];
	size_t len = unhex(hex, pkt);
	struct natt_stun_msg m;
	struct natt_cand got;

	CU_ASSERT_EQUAL(len, want_len);
	CU_ASSERT_EQUAL_FATAL(natt_stun_decode(&m, pkt, len), NATT_OK);
	CU_ASSERT_EQUAL(m.type, NATT_STUN_BINDING_SUCCESS);
	CU_ASSERT(bytes_are(&m.software, "test vector"));
	CU_ASSERT(m.has_fingerprint);
	CU_ASSERT(m.has_xor_mapped);
	CU_ASSERT(natt_cand_equal(&m.xor_mapped, want));
	CU_ASSERT_EQUAL(natt_stun_check_integrity(&m, pkt, len,
						  (const uint8_t *)short_term_password,
						  strlen(short_term_password)),
			NATT_OK);
	CU_ASSERT_EQUAL(natt_stun_parse_response(pkt, len, vector_txid, &got), NATT_OK);
	CU_ASSERT(natt_cand_equal(&got, want));
	/* A flipped address bit fails FINGERPRINT; with the FINGERPRINT
	 * recomputed to hide it, MESSAGE-INTEGRITY still catches it. */
	pkt[m.integrity_off - 1] ^= 0x01; /* last byte of the address */
	CU_ASSERT_EQUAL(natt_stun_decode(&m, pkt, len), NATT_ERR_BAD_VALUE);
	refingerprint(pkt, len);
	CU_ASSERT_EQUAL_FATAL(natt_stun_decode(&m, pkt, len), NATT_OK);
	CU_ASSERT_FALSE(natt_cand_equal(&m.xor_mapped, want));
	CU_ASSERT_EQUAL(natt_stun_check_integrity(&m, pkt, len,
						  (const uint8_t *)short_term_password,
						  strlen(short_term_password)),
			NATT_ERR_AUTH);
}

static void test_rfc5769_ipv4_response(void)
{
	struct natt_cand want = addr4(192, 0, 2, 1, 32853);

	check_response_vector(rfc5769_v4_response, &want, 80);
}

static void test_rfc5769_ipv6_response(void)
{
	struct natt_cand want = addr6("20010db8123456780011223344556677", 32853);

	check_response_vector(rfc5769_v6_response, &want, 92);
}

static void test_rfc5769_long_term(void)
{
	/* U+30DE U+30C8 U+30EA U+30C3 U+30AF U+30B9 in UTF-8 */
	static const char username[] = "\xe3\x83\x9e\xe3\x83\x88\xe3\x83\xaa"
				       "\xe3\x83\x83\xe3\x82\xaf\xe3\x82\xb9";
	uint8_t pkt[MAX_MSG], key[NATT_STUN_LONG_TERM_KEY_LEN];
	size_t len = unhex(rfc5769_long_term, pkt);
	struct natt_stun_msg m;

	CU_ASSERT_EQUAL(len, 116);
	CU_ASSERT_EQUAL_FATAL(natt_stun_decode(&m, pkt, len), NATT_OK);
	CU_ASSERT_EQUAL(m.type, NATT_STUN_BINDING_REQUEST);
	CU_ASSERT(bytes_are(&m.username, username));
	CU_ASSERT(bytes_are(&m.realm, "example.org"));
	CU_ASSERT(bytes_are(&m.nonce, "f//499k954d6OL34oL9FSTvy64sA"));
	CU_ASSERT_FALSE(m.has_fingerprint);
	CU_ASSERT_EQUAL(natt_stun_long_term_key(key, username, "example.org", "TheMatrIX"),
			NATT_OK);
	CU_ASSERT_EQUAL(natt_stun_check_integrity(&m, pkt, len, key, sizeof(key)), NATT_OK);
	/* The password before SASLprep is not the key. */
	CU_ASSERT_EQUAL(natt_stun_long_term_key(key, username, "example.org",
						"The\xc2\xad"
						"M\xc2\xaatr\xe2\x85\xa8"),
			NATT_OK);
	CU_ASSERT_EQUAL(natt_stun_check_integrity(&m, pkt, len, key, sizeof(key)), NATT_ERR_AUTH);
	CU_ASSERT_EQUAL(natt_stun_long_term_key(key, NULL, "x", "y"), NATT_ERR_INVALID);
}

static void test_integrity_absent(void)
{
	uint8_t pkt[MAX_MSG];
	size_t len = unhex(rfc5769_request, pkt);
	struct natt_stun_msg m;
	uint8_t req[32];
	int n = natt_stun_binding_request(req, sizeof(req), vector_txid, true);

	CU_ASSERT_EQUAL_FATAL(n, 28);
	CU_ASSERT_EQUAL(natt_stun_decode(&m, req, (size_t)n), NATT_OK);
	CU_ASSERT_EQUAL(natt_stun_check_integrity(&m, req, (size_t)n, (const uint8_t *)"k", 1),
			NATT_ERR_INVALID);
	/* m decoded from one buffer, checked against another length */
	CU_ASSERT_EQUAL(natt_stun_decode(&m, pkt, len), NATT_OK);
	CU_ASSERT_EQUAL(natt_stun_check_integrity(&m, pkt, len - 8, (const uint8_t *)"k", 1),
			NATT_ERR_INVALID);
}

/* Server answer, then client parse: the address survives the XOR both ways. */
static void round_trip(const struct natt_cand *from, size_t want_len)
{
	uint8_t req[32], resp[128];
	static const uint8_t txid[NATT_STUN_TXID_LEN] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12};
	int rn = natt_stun_binding_request(req, sizeof(req), txid, true);
	int n = natt_stun_answer(resp, sizeof(resp), req, (size_t)rn, from);
	struct natt_stun_msg m;
	struct natt_cand got;

	CU_ASSERT_EQUAL_FATAL(n, (int)want_len);
	CU_ASSERT_EQUAL_FATAL(natt_stun_decode(&m, resp, (size_t)n), NATT_OK);
	CU_ASSERT_EQUAL(m.type, NATT_STUN_BINDING_SUCCESS);
	CU_ASSERT(m.has_fingerprint);
	CU_ASSERT_FALSE(m.has_mapped);
	CU_ASSERT_EQUAL(memcmp(m.txid, txid, sizeof(txid)), 0);
	CU_ASSERT_EQUAL(natt_stun_parse_response(resp, (size_t)n, txid, &got), NATT_OK);
	CU_ASSERT(natt_cand_equal(&got, from));
	/* On the wire the port is XOR'd with the cookie's top half (14.2). */
	CU_ASSERT_EQUAL(resp[26] << 8 | resp[27], from->port ^ 0x2112);
	CU_ASSERT_EQUAL(resp[28], from->addr[0] ^ 0x21);
}

static void test_xor_mapped_v4(void)
{
	struct natt_cand a = addr4(203, 0, 113, 7, 40000);
	struct natt_cand b = addr4(255, 255, 255, 255, 65535);
	struct natt_cand c = addr4(0, 0, 0, 1, 1);

	round_trip(&a, 40);
	round_trip(&b, 40);
	round_trip(&c, 40);
}

static void test_xor_mapped_v6(void)
{
	struct natt_cand a = addr6("20010db8000000000000000000000001", 3478);
	struct natt_cand b = addr6("ffffffffffffffffffffffffffffffff", 65535);

	round_trip(&a, 52);
	round_trip(&b, 52);
}

/* answer() to a request with txid, from `from`: the response's length. */
static int answer_from(const struct natt_cand *from, const uint8_t *txid, uint8_t *resp, size_t cap)
{
	uint8_t req[32];
	int rn = natt_stun_binding_request(req, sizeof(req), txid, true);

	return natt_stun_answer(resp, cap, req, (size_t)rn, from);
}

/* An IPv4-mapped IPv6 address (a dual-stack server's view of an IPv4
 * client) is the IPv4 candidate; the decoder still shows the wire. */
static void test_mapped_v4_in_v6(void)
{
	static const uint8_t txid[NATT_STUN_TXID_LEN] = {9, 8, 7, 6, 5, 4, 3, 2, 1, 0, 1, 2};
	struct natt_cand from = addr6("00000000000000000000ffffc0000207", 41000);
	struct natt_cand want = addr4(192, 0, 2, 7, 41000), got;
	struct natt_stun_msg m;
	uint8_t resp[128];
	int n = answer_from(&from, txid, resp, sizeof(resp));

	CU_ASSERT_EQUAL_FATAL(n, 52);
	CU_ASSERT_EQUAL_FATAL(natt_stun_decode(&m, resp, (size_t)n), NATT_OK);
	CU_ASSERT_EQUAL(m.xor_mapped.family, 6);
	CU_ASSERT_EQUAL(natt_stun_parse_response(resp, (size_t)n, txid, &got), NATT_OK);
	CU_ASSERT(natt_cand_equal(&got, &want));
	/* ::ffff:0:0/96 only: ::c000:207 (IPv4-compatible, deprecated) stays IPv6 */
	from = addr6("000000000000000000000000c0000207", 41000);
	n = answer_from(&from, txid, resp, sizeof(resp));
	CU_ASSERT_EQUAL(natt_stun_parse_response(resp, (size_t)n, txid, &got), NATT_OK);
	CU_ASSERT(natt_cand_equal(&got, &from));
}

/* The unspecified address is nobody's mapping, in either family. */
static void test_mapped_unspecified(void)
{
	static const uint8_t txid[NATT_STUN_TXID_LEN] = {1, 1, 2, 3, 5, 8, 13, 21, 34, 55, 89, 144};
	struct natt_cand v6 = addr6("00000000000000000000000000000000", 5000);
	struct natt_cand v4 = addr4(0, 0, 0, 0, 5000), mapped0 = v6, got;
	struct natt_stun_msg m;
	uint8_t resp[128];
	int n;

	mapped0.addr[10] = mapped0.addr[11] = 0xff; /* ::ffff:0.0.0.0 */
	n = answer_from(&v6, txid, resp, sizeof(resp));
	CU_ASSERT_EQUAL(natt_stun_decode(&m, resp, (size_t)n), NATT_OK);
	CU_ASSERT_EQUAL(natt_stun_parse_response(resp, (size_t)n, txid, &got),
			NATT_ERR_BAD_ADDRESS);
	n = answer_from(&v4, txid, resp, sizeof(resp));
	CU_ASSERT_EQUAL(natt_stun_parse_response(resp, (size_t)n, txid, &got),
			NATT_ERR_BAD_ADDRESS);
	n = answer_from(&mapped0, txid, resp, sizeof(resp));
	CU_ASSERT_EQUAL(natt_stun_parse_response(resp, (size_t)n, txid, &got),
			NATT_ERR_BAD_ADDRESS);
}

/* Malformed IPv6 address attributes: each length but 20 is refused, and
 * a value cut by the end of the message is truncation. */
static void test_bad_v6_address_attrs(void)
{
	static const uint16_t lens[] = {4, 8, 16, 19, 24};
	uint8_t v[24] = {0, 2, 0x12, 0x34, 0x20, 0x01, 0x0d, 0xb8};
	struct natt_stun_msg d;
	struct natt_cand got;
	struct msgbuf m;

	for (size_t i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
		mb_start(&m, NATT_STUN_BINDING_SUCCESS, vector_txid);
		mb_attr(&m, NATT_STUN_ATTR_XOR_MAPPED_ADDRESS, v, lens[i]);
		CU_ASSERT_EQUAL(natt_stun_decode(&d, m.b, m.len), NATT_ERR_BAD_LENGTH);
		CU_ASSERT_EQUAL(natt_stun_parse_response(m.b, m.len, vector_txid, &got),
				NATT_ERR_BAD_LENGTH);
	}
	mb_start(&m, NATT_STUN_BINDING_SUCCESS, vector_txid);
	mb_attr(&m, NATT_STUN_ATTR_XOR_MAPPED_ADDRESS, v, 20);
	CU_ASSERT_EQUAL(natt_stun_decode(&d, m.b, m.len), NATT_OK);
	m.len -= 4; /* the last 4 address bytes are missing */
	mb_fix_len(&m);
	CU_ASSERT_EQUAL(natt_stun_decode(&d, m.b, m.len), NATT_ERR_TRUNCATED);
}

static void test_mapped_address_fallback(void)
{
	struct natt_cand want = addr4(198, 51, 100, 9, 1234), got;
	struct msgbuf m;
	uint8_t v[8];

	mapped_v4(v, &want);
	mb_start(&m, NATT_STUN_BINDING_SUCCESS, vector_txid);
	mb_attr(&m, NATT_STUN_ATTR_MAPPED_ADDRESS, v, 8);
	CU_ASSERT_EQUAL(natt_stun_parse_response(m.b, m.len, vector_txid, &got), NATT_OK);
	CU_ASSERT(natt_cand_equal(&got, &want));
	/* no address at all */
	mb_start(&m, NATT_STUN_BINDING_SUCCESS, vector_txid);
	mb_attr(&m, NATT_STUN_ATTR_SOFTWARE, "x", 1);
	CU_ASSERT_EQUAL(natt_stun_parse_response(m.b, m.len, vector_txid, &got),
			NATT_ERR_BAD_ADDRESS);
}

static void test_parse_response_errors(void)
{
	uint8_t pkt[MAX_MSG], other[NATT_STUN_TXID_LEN];
	size_t len = unhex(rfc5769_v4_response, pkt);
	struct natt_cand got;
	struct natt_stun_msg dm;
	struct msgbuf m;
	const uint8_t err[] = {0, 0, 4, 20, 'n', 'o'}; /* 420 */

	memcpy(other, vector_txid, sizeof(other));
	other[11] ^= 1;
	CU_ASSERT_EQUAL(natt_stun_parse_response(pkt, len, other, &got), NATT_ERR_BAD_VALUE);
	/* a request is not a response */
	len = unhex(rfc5769_request, pkt);
	CU_ASSERT_EQUAL(natt_stun_parse_response(pkt, len, vector_txid, &got), NATT_ERR_BAD_TYPE);
	/* an error response: its code is readable */
	mb_start(&m, NATT_STUN_BINDING_ERROR, vector_txid);
	mb_attr(&m, NATT_STUN_ATTR_ERROR_CODE, err, sizeof(err));
	CU_ASSERT_EQUAL(natt_stun_parse_response(m.b, m.len, vector_txid, &got), NATT_ERR_BAD_TYPE);
	CU_ASSERT_EQUAL(natt_stun_decode(&dm, m.b, m.len), NATT_OK);
	CU_ASSERT_EQUAL(dm.error_code, 420);
}

static void test_fingerprint_failure(void)
{
	uint8_t pkt[MAX_MSG];
	size_t len = unhex(rfc5769_v4_response, pkt);
	struct natt_stun_msg m;
	struct natt_cand got;
	struct msgbuf mb;

	pkt[len - 1] ^= 0x80; /* the fingerprint itself */
	CU_ASSERT_EQUAL(natt_stun_decode(&m, pkt, len), NATT_ERR_BAD_VALUE);
	CU_ASSERT_EQUAL(natt_stun_parse_response(pkt, len, vector_txid, &got), NATT_ERR_BAD_VALUE);
	len = unhex(rfc5769_v4_response, pkt);
	pkt[24] ^= 0x20; /* "test vector" -> "Test vector" */
	CU_ASSERT_EQUAL(natt_stun_decode(&m, pkt, len), NATT_ERR_BAD_VALUE);
	/* FINGERPRINT must be the last attribute */
	mb_start(&mb, NATT_STUN_BINDING_REQUEST, vector_txid);
	mb_fingerprint(&mb);
	mb_attr(&mb, NATT_STUN_ATTR_SOFTWARE, "late", 4);
	CU_ASSERT_EQUAL(natt_stun_decode(&m, mb.b, mb.len), NATT_ERR_BAD_VALUE);
	/* wrong size */
	mb_start(&mb, NATT_STUN_BINDING_REQUEST, vector_txid);
	mb_attr(&mb, NATT_STUN_ATTR_FINGERPRINT, "12345678", 8);
	CU_ASSERT_EQUAL(natt_stun_decode(&m, mb.b, mb.len), NATT_ERR_BAD_LENGTH);
}

static void test_header_checks(void)
{
	uint8_t pkt[MAX_MSG];
	size_t len = unhex(rfc5769_request, pkt);
	struct natt_stun_msg m;

	CU_ASSERT(natt_stun_is_stun(pkt, len));
	pkt[4] ^= 1; /* magic cookie: RFC 3489 or not STUN */
	CU_ASSERT_FALSE(natt_stun_is_stun(pkt, len));
	CU_ASSERT_EQUAL(natt_stun_decode(&m, pkt, len), NATT_ERR_BAD_VERSION);
	pkt[4] ^= 1;
	pkt[0] |= 0x40; /* top bits */
	CU_ASSERT_EQUAL(natt_stun_decode(&m, pkt, len), NATT_ERR_BAD_TYPE);
	pkt[0] &= 0x3f;
	pkt[3] += 4; /* length field disagrees */
	CU_ASSERT_EQUAL(natt_stun_decode(&m, pkt, len), NATT_ERR_BAD_LENGTH);
	pkt[3] -= 2; /* not a multiple of 4 */
	CU_ASSERT_EQUAL(natt_stun_decode(&m, pkt, len), NATT_ERR_BAD_LENGTH);
	CU_ASSERT_EQUAL(natt_stun_decode(&m, NULL, 0), NATT_ERR_TRUNCATED);
}

/* Every proper prefix of every vector is refused, without reading past it
 * (ASan checks that: each prefix is copied into a buffer of its size). */
static void test_truncated(void)
{
	const char *vec[] = {rfc5769_request, rfc5769_v4_response, rfc5769_v6_response,
			     rfc5769_long_term};

	for (size_t v = 0; v < 4; v++) {
		uint8_t pkt[MAX_MSG];
		size_t len = unhex(vec[v], pkt);

		for (size_t n = 0; n < len; n++) {
			uint8_t *copy = malloc(n + 1);
			struct natt_stun_msg m;

			memcpy(copy, pkt, n);
			CU_ASSERT_NOT_EQUAL(natt_stun_decode(&m, copy, n), NATT_OK);
			free(copy);
		}
	}
}

/* An attribute whose length runs past the message. */
static void test_attr_overrun(void)
{
	struct msgbuf m;
	struct natt_stun_msg d;

	mb_start(&m, NATT_STUN_BINDING_REQUEST, vector_txid);
	mb_attr(&m, NATT_STUN_ATTR_SOFTWARE, "abcd", 4);
	m.b[NATT_STUN_HDR_LEN + 3] = 5; /* claims 5 (8 padded), 4 there */
	CU_ASSERT_EQUAL(natt_stun_decode(&d, m.b, m.len), NATT_ERR_TRUNCATED);
	m.b[NATT_STUN_HDR_LEN + 3] = 0xff;
	m.b[NATT_STUN_HDR_LEN + 2] = 0xff;
	CU_ASSERT_EQUAL(natt_stun_decode(&d, m.b, m.len), NATT_ERR_TRUNCATED);
	/* a length field that disagrees with the datagram */
	mb_start(&m, NATT_STUN_BINDING_REQUEST, vector_txid);
	m.len += 4;
	mb_fix_len(&m);
	m.b[NATT_STUN_HDR_LEN] = 0x80;
	CU_ASSERT_EQUAL(natt_stun_decode(&d, m.b, m.len - 2), NATT_ERR_BAD_LENGTH);
}

static void test_bad_address_attrs(void)
{
	struct msgbuf m;
	struct natt_stun_msg d;
	uint8_t v[20] = {0, 3, 0x12, 0x34, 1, 2, 3, 4};

	mb_start(&m, NATT_STUN_BINDING_SUCCESS, vector_txid);
	mb_attr(&m, NATT_STUN_ATTR_XOR_MAPPED_ADDRESS, v, 8); /* family 3 */
	CU_ASSERT_EQUAL(natt_stun_decode(&d, m.b, m.len), NATT_ERR_BAD_ADDRESS);
	v[1] = 1;
	mb_start(&m, NATT_STUN_BINDING_SUCCESS, vector_txid);
	mb_attr(&m, NATT_STUN_ATTR_XOR_MAPPED_ADDRESS, v, 20); /* IPv4 with 16 bytes */
	CU_ASSERT_EQUAL(natt_stun_decode(&d, m.b, m.len), NATT_ERR_BAD_LENGTH);
	v[1] = 2;
	mb_start(&m, NATT_STUN_BINDING_SUCCESS, vector_txid);
	mb_attr(&m, NATT_STUN_ATTR_MAPPED_ADDRESS, v, 8); /* IPv6 with 4 bytes */
	CU_ASSERT_EQUAL(natt_stun_decode(&d, m.b, m.len), NATT_ERR_BAD_LENGTH);
	v[1] = 1;
	v[2] = 0x21; /* XOR'd port 0x2112 is port 0 */
	v[3] = 0x12;
	mb_start(&m, NATT_STUN_BINDING_SUCCESS, vector_txid);
	mb_attr(&m, NATT_STUN_ATTR_XOR_MAPPED_ADDRESS, v, 8);
	CU_ASSERT_EQUAL(natt_stun_decode(&d, m.b, m.len), NATT_ERR_BAD_ADDRESS);
}

/* Only the first occurrence counts; after MESSAGE-INTEGRITY only
 * FINGERPRINT does (RFC 8489 14, 14.5). */
static void test_attribute_order(void)
{
	struct natt_cand a = addr4(10, 0, 0, 1, 1000), b = addr4(10, 0, 0, 2, 2000);
	uint8_t va[8], vb[8], mi[20] = {0};
	struct msgbuf m;
	struct natt_stun_msg d;

	mapped_v4(va, &a);
	mapped_v4(vb, &b);
	mb_start(&m, NATT_STUN_BINDING_SUCCESS, vector_txid);
	mb_attr(&m, NATT_STUN_ATTR_MAPPED_ADDRESS, va, 8);
	mb_attr(&m, NATT_STUN_ATTR_MAPPED_ADDRESS, vb, 8);
	mb_attr(&m, NATT_STUN_ATTR_SOFTWARE, "one", 3);
	mb_attr(&m, NATT_STUN_ATTR_SOFTWARE, "two", 3);
	mb_attr(&m, NATT_STUN_ATTR_MESSAGE_INTEGRITY, mi, 20);
	mb_attr(&m, NATT_STUN_ATTR_USERNAME, "after", 5);
	mb_attr(&m, 0x7fff, "x", 1); /* unknown but after MESSAGE-INTEGRITY: ignored */
	mb_fingerprint(&m);
	CU_ASSERT_EQUAL_FATAL(natt_stun_decode(&d, m.b, m.len), NATT_OK);
	CU_ASSERT(d.has_mapped);
	CU_ASSERT(natt_cand_equal(&d.mapped, &a));
	CU_ASSERT(bytes_are(&d.software, "one"));
	CU_ASSERT_PTR_NULL(d.username.p);
	CU_ASSERT_EQUAL(d.n_unknown, 0);
	CU_ASSERT_EQUAL(d.integrity_off, 20 + 12 + 12 + 8 + 8);
	CU_ASSERT(d.has_fingerprint);
}

static void test_answer_refuses(void)
{
	struct natt_cand from = addr4(192, 0, 2, 1, 5000), bad = from;
	uint8_t out[128], pkt[MAX_MSG];
	size_t len = unhex(rfc5769_v4_response, pkt);
	struct msgbuf m;

	CU_ASSERT_EQUAL(natt_stun_answer(out, sizeof(out), pkt, len, &from), NATT_ERR_BAD_TYPE);
	mb_start(&m, NATT_STUN_BINDING_INDICATION, vector_txid);
	CU_ASSERT_EQUAL(natt_stun_answer(out, sizeof(out), m.b, m.len, &from), NATT_ERR_BAD_TYPE);
	/* another method (0x003, Allocate) */
	mb_start(&m, 0x0003, vector_txid);
	CU_ASSERT_EQUAL(natt_stun_answer(out, sizeof(out), m.b, m.len, &from), NATT_ERR_BAD_TYPE);
	/* unknown comprehension-required attribute: no 420, no answer */
	mb_start(&m, NATT_STUN_BINDING_REQUEST, vector_txid);
	mb_attr(&m, 0x7ffe, "abc", 3);
	CU_ASSERT_EQUAL(natt_stun_answer(out, sizeof(out), m.b, m.len, &from), NATT_ERR_BAD_VALUE);
	/* unknown comprehension-optional attribute: answered */
	mb_start(&m, NATT_STUN_BINDING_REQUEST, vector_txid);
	mb_attr(&m, 0xc0de, "abc", 3);
	CU_ASSERT_EQUAL(natt_stun_answer(out, sizeof(out), m.b, m.len, &from), 40);
	CU_ASSERT_EQUAL(natt_stun_answer(out, 39, m.b, m.len, &from), NATT_ERR_BUFFER);
	bad.port = 0;
	CU_ASSERT_EQUAL(natt_stun_answer(out, sizeof(out), m.b, m.len, &bad), NATT_ERR_INVALID);
	bad = from;
	bad.family = 0;
	CU_ASSERT_EQUAL(natt_stun_answer(out, sizeof(out), m.b, m.len, &bad), NATT_ERR_INVALID);
	/* the RFC 5769 request itself (ICE attributes, integrity) is answered */
	len = unhex(rfc5769_request, pkt);
	CU_ASSERT_EQUAL(natt_stun_answer(out, sizeof(out), pkt, len, &from), 40);
}

/* The answer is never more than 3x the request, whatever the request
 * carries and whatever the family; the smallest request (20 bytes) is
 * answered for both families. */
static void test_answer_size(void)
{
	struct natt_cand v4 = addr4(198, 51, 100, 1, 9);
	struct natt_cand v6 = addr6("20010db8000000000000000000000001", 9);
	uint8_t out[128];
	struct msgbuf m;
	int answered = 0;

	for (unsigned int pad = 0; pad <= 64; pad += 4) {
		for (int fam = 0; fam < 2; fam++) {
			const struct natt_cand *from = fam ? &v6 : &v4;
			uint8_t junk[64] = {0};
			int n;

			mb_start(&m, NATT_STUN_BINDING_REQUEST, vector_txid);
			if (pad > 0)
				mb_attr(&m, NATT_STUN_ATTR_SOFTWARE, junk, (uint16_t)(pad - 4));
			n = natt_stun_answer(out, sizeof(out), m.b, m.len, from);
			CU_ASSERT_FATAL(n > 0);
			CU_ASSERT(n <= (int)(NATT_STUN_MAX_AMPLIFICATION * m.len));
			CU_ASSERT_EQUAL(n, fam ? 52 : 40);
			answered++;
		}
	}
	CU_ASSERT_EQUAL(answered, 34);
}

static void test_binding_request(void)
{
	static const uint8_t txid[NATT_STUN_TXID_LEN] = {9, 8, 7, 6, 5, 4, 3, 2, 1, 0, 1, 2};
	uint8_t out[32];
	struct natt_stun_msg m;

	CU_ASSERT_EQUAL(natt_stun_binding_request(out, sizeof(out), txid, false), 20);
	CU_ASSERT_EQUAL(natt_stun_decode(&m, out, 20), NATT_OK);
	CU_ASSERT_EQUAL(m.type, NATT_STUN_BINDING_REQUEST);
	CU_ASSERT_FALSE(m.has_fingerprint);
	CU_ASSERT_EQUAL(natt_stun_binding_request(out, sizeof(out), txid, true), 28);
	CU_ASSERT_EQUAL(natt_stun_decode(&m, out, 28), NATT_OK);
	CU_ASSERT(m.has_fingerprint);
	CU_ASSERT_EQUAL(memcmp(m.txid, txid, sizeof(txid)), 0);
	CU_ASSERT_EQUAL(natt_stun_binding_request(out, 27, txid, true), NATT_ERR_BUFFER);
	CU_ASSERT_EQUAL(natt_stun_binding_request(out, 19, txid, false), NATT_ERR_BUFFER);
}

/* Random bytes, and random mutations of valid messages, never crash and a
 * garbage buffer is (almost) never accepted as a request. */
static void test_garbage(void)
{
	uint32_t x = 12345;
	uint8_t base[MAX_MSG], pkt[MAX_MSG], out[128];
	size_t blen = unhex(rfc5769_request, base);
	struct natt_cand from = addr4(192, 0, 2, 1, 5000);
	struct natt_stun_msg m;
	int accepted_random = 0;

	for (int i = 0; i < 20000; i++) {
		size_t len;
		int n;

		if (i % 2 == 0) {
			len = 20 + (x % 80);
			for (size_t j = 0; j < len; j++) {
				x = x * 1103515245 + 12345;
				pkt[j] = (uint8_t)(x >> 16);
			}
			pkt[0] &= 0x01; /* looks like STUN to the classifier */
			accepted_random += natt_stun_decode(&m, pkt, len) == NATT_OK;
		} else {
			memcpy(pkt, base, blen);
			len = blen;
			x = x * 1103515245 + 12345;
			pkt[(x >> 8) % len] ^= (uint8_t)(1u << ((x >> 20) % 8));
			(void)natt_stun_decode(&m, pkt, len);
		}
		n = natt_stun_answer(out, sizeof(out), pkt, len, &from);
		CU_ASSERT(n <= 0 || (size_t)n <= NATT_STUN_MAX_AMPLIFICATION * len);
		x = x * 1103515245 + 12345;
	}
	CU_ASSERT_EQUAL(accepted_random, 0); /* no random cookie matched */
}

static const struct natt_test tests[] = {
	{"crc32", test_crc32},
	{"rfc5769_request", test_rfc5769_request},
	{"rfc5769_ipv4_response", test_rfc5769_ipv4_response},
	{"rfc5769_ipv6_response", test_rfc5769_ipv6_response},
	{"rfc5769_long_term", test_rfc5769_long_term},
	{"integrity_absent", test_integrity_absent},
	{"xor_mapped_v4", test_xor_mapped_v4},
	{"xor_mapped_v6", test_xor_mapped_v6},
	{"mapped_v4_in_v6", test_mapped_v4_in_v6},
	{"mapped_unspecified", test_mapped_unspecified},
	{"bad_v6_address_attrs", test_bad_v6_address_attrs},
	{"mapped_address_fallback", test_mapped_address_fallback},
	{"parse_response_errors", test_parse_response_errors},
	{"fingerprint_failure", test_fingerprint_failure},
	{"header_checks", test_header_checks},
	{"truncated", test_truncated},
	{"attr_overrun", test_attr_overrun},
	{"bad_address_attrs", test_bad_address_attrs},
	{"attribute_order", test_attribute_order},
	{"answer_refuses", test_answer_refuses},
	{"answer_size", test_answer_size},
	{"binding_request", test_binding_request},
	{"garbage", test_garbage},
	{NULL, NULL},
};

int natt_suite_stun(void)
{
	return natt_add_suite("stun", tests);
}
