/*
 * test_wire.c: the "wire" suite: every encoder and decoder of transport/wire.c
 * against doc/PROTOCOL.md, byte for byte where the layout matters, and every
 * malformed input against the error the header documents for it.
 */
#include <stdlib.h>
#include <string.h>

#include "unit.h"
#include "wire.h"

#define GUARD	   32
#define GUARD_BYTE 0xA5

static uint8_t buf[NATT_MAX_DATAGRAM + 64];

static const uint8_t ip4_a[4] = {192, 0, 2, 1};
static const uint8_t ip4_b[4] = {203, 0, 113, 7};
static const uint8_t ip6_a[16] = {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x01};

/* ---- helpers ---- */

static size_t unhex(const char *hex, uint8_t *out, size_t cap)
{
	long n = natt_test_unhex(hex, out, cap);

	CU_ASSERT_FATAL(n >= 0);
	return (size_t)n;
}

static void make_cand(struct natt_cand *c, uint8_t kind, uint8_t family, uint16_t port,
		      const uint8_t *addr)
{
	memset(c, 0, sizeof(*c));
	c->kind = kind;
	c->family = family;
	c->port = port;
	if (family != 0)
		memcpy(c->addr, addr, family == 4 ? 4 : 16);
}

/* n candidates, alternating IPv4 and IPv6 host addresses. */
static void make_cands(struct natt_cand_list *l, unsigned n)
{
	memset(l, 0, sizeof(*l));
	l->count = (uint8_t)n;
	for (unsigned i = 0; i < n; i++) {
		bool v6 = i % 2 == 1;
		uint8_t a[16];

		memcpy(a, v6 ? ip6_a : ip4_a, v6 ? 16 : 4);
		a[v6 ? 15 : 3] = (uint8_t)(10 + i);
		make_cand(&l->cand[i], NATT_CAND_HOST, v6 ? 6 : 4, (uint16_t)(1194 + i), a);
	}
}

/* A name of len bytes cycling through every allowed character. */
static void make_name(struct natt_name *n, size_t len)
{
	static const char set[] =
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._-";
	char s[NATT_MAX_NAME + 2];

	for (size_t i = 0; i < len; i++)
		s[i] = set[i % (sizeof(set) - 1)];
	s[len] = '\0';
	CU_ASSERT_EQUAL_FATAL(natt_name_set(n, s), NATT_OK);
}

static bool all_zero_bytes(const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (p[i] != 0)
			return false;
	return true;
}

static bool cands_equal(const struct natt_cand_list *a, const struct natt_cand_list *b)
{
	if (a->count != b->count)
		return false;
	for (unsigned i = 0; i < a->count; i++)
		if (!natt_cand_equal(&a->cand[i], &b->cand[i]))
			return false;
	return true;
}

static bool names_equal(const struct natt_name *a, const struct natt_name *b)
{
	return a->len == b->len && strcmp(a->str, b->str) == 0;
}

/* Encoders under test, behind one signature for the capacity test. */
typedef int (*enc_fn)(uint8_t *out, size_t cap, const void *arg);

/*
 * Runs an encoder with every capacity from 0 to the size it needs, into a
 * buffer with a guard after it: too small must return NATT_ERR_BUFFER and
 * write nothing at all; exactly enough must write the same bytes as with a
 * large buffer, and nothing past cap.
 */
static void check_caps(enc_fn fn, const void *arg)
{
	static uint8_t ref[2048];
	int need = fn(ref, sizeof(ref), arg);

	CU_ASSERT_FATAL(need > 0);
	for (size_t cap = 0; cap <= (size_t)need; cap++) {
		uint8_t *out = malloc(cap + GUARD);
		bool untouched = true;
		int rc;

		CU_ASSERT_FATAL(out != NULL);
		memset(out, GUARD_BYTE, cap + GUARD);
		rc = fn(out, cap, arg);
		if (cap < (size_t)need) {
			CU_ASSERT_EQUAL(rc, NATT_ERR_BUFFER);
			for (size_t i = 0; i < cap + GUARD; i++)
				untouched &= out[i] == GUARD_BYTE;
		} else {
			CU_ASSERT_EQUAL(rc, need);
			CU_ASSERT(memcmp(out, ref, cap) == 0);
			for (size_t i = cap; i < cap + GUARD; i++)
				untouched &= out[i] == GUARD_BYTE;
		}
		CU_ASSERT(untouched);
		free(out);
	}
}

/* ---- classification (PROTOCOL.md 2.1) ---- */

static enum natt_class expected_class(unsigned b)
{
	if (b <= 0x03)
		return NATT_CLASS_STUN;
	if (b >= 0x08 && b <= 0x5F)
		return NATT_CLASS_OPENVPN;
	if (b >= 0xC0 && b <= 0xCF)
		return NATT_CLASS_LONG;
	if (b >= 0xD0 && b <= 0xDF)
		return NATT_CLASS_SHORT;
	return NATT_CLASS_UNKNOWN;
}

static void test_classify(void)
{
	unsigned counts[5] = {0};

	for (unsigned b = 0; b < 256; b++) {
		uint8_t p[2] = {(uint8_t)b, 0x01};
		enum natt_class c = natt_wire_classify(p, sizeof(p));

		CU_ASSERT_EQUAL(c, expected_class(b));
		CU_ASSERT_EQUAL(natt_wire_classify(p, 1), c);
		counts[c]++;
	}
	/* The table's ranges, counted: 4 STUN, 88 OpenVPN, 16 long, 16 short. */
	CU_ASSERT_EQUAL(counts[NATT_CLASS_STUN], 4);
	CU_ASSERT_EQUAL(counts[NATT_CLASS_OPENVPN], 88);
	CU_ASSERT_EQUAL(counts[NATT_CLASS_LONG], 16);
	CU_ASSERT_EQUAL(counts[NATT_CLASS_SHORT], 16);
	CU_ASSERT_EQUAL(counts[NATT_CLASS_UNKNOWN], 256 - 4 - 88 - 16 - 16);
	CU_ASSERT_EQUAL(natt_wire_classify(buf, 0), NATT_CLASS_UNKNOWN);
	CU_ASSERT_EQUAL(natt_wire_classify(NULL, 0), NATT_CLASS_UNKNOWN);
}

/* ---- headers ---- */

static const struct {
	uint8_t type;
	size_t hdr_len;
	size_t min_len; /* header + smallest body + tag */
	size_t max_len;
} pkt_sizes[] = {
	{NATT_PT_HANDSHAKE, 42, 42 + 1 + 16, 1232},
	{NATT_PT_PROBE, 34, 34 + 37 + 16, 1232},
	{NATT_PT_PROBE_REPLY, 34, 34 + 37 + 16, 1232},
	{NATT_PT_UNKNOWN_CID, 26, 26 + 0 + 16, 26 + 0 + 16},
	{NATT_PT_RDV_REGISTER, 26, 26 + 64 + 16, 1232},
	{NATT_PT_RDV_REGISTER_ACK, 26, 26 + 39 + 16, 1232},
	{NATT_PT_RDV_LOOKUP, 26, 26 + 304 + 16, 1232},
	{NATT_PT_RDV_LOOKUP_REPLY, 26, 26 + 38 + 16, 1232},
	{NATT_PT_RDV_INTRODUCE, 26, 26 + 46 + 16, 1232},
	{NATT_PT_DATA, 18, 18 + 0 + 16, 65507},
};

#define NTYPES (sizeof(pkt_sizes) / sizeof(pkt_sizes[0]))

static bool is_rdv_type(uint8_t t)
{
	return t >= NATT_PT_RDV_REGISTER && t <= NATT_PT_RDV_INTRODUCE;
}

static void sample_header(struct natt_header *h, uint8_t type)
{
	memset(h, 0, sizeof(*h));
	h->type = type;
	if (type == NATT_PT_DATA) {
		h->epoch = 0x07;
		h->dcid = UINT64_C(0x1122334455667788);
		h->counter = UINT64_C(0x0102030405060708);
		return;
	}
	h->version = NATT_VERSION;
	for (int i = 0; i < NATT_SALT_LEN; i++)
		h->salt[i] = (uint8_t)(0xA0 + i);
	if (is_rdv_type(type)) {
		for (int i = 0; i < NATT_NETWORK_ID_LEN; i++)
			h->network_id[i] = (uint8_t)(0xB0 + i);
		return;
	}
	h->dcid = UINT64_C(0x1122334455667788);
	if (type == NATT_PT_UNKNOWN_CID)
		return;
	h->scid = UINT64_C(0x99AABBCCDDEEFF00);
	if (type == NATT_PT_HANDSHAKE)
		h->pn = UINT64_C(0x0000000000000105);
}

static void assert_header_equal(const struct natt_header *a, const struct natt_header *b)
{
	CU_ASSERT_EQUAL(a->type, b->type);
	CU_ASSERT_EQUAL(a->version, b->version);
	CU_ASSERT_EQUAL(a->epoch, b->epoch);
	CU_ASSERT_EQUAL(a->dcid, b->dcid);
	CU_ASSERT_EQUAL(a->scid, b->scid);
	CU_ASSERT_EQUAL(a->pn, b->pn);
	CU_ASSERT_EQUAL(a->counter, b->counter);
	CU_ASSERT(memcmp(a->network_id, b->network_id, NATT_NETWORK_ID_LEN) == 0);
	CU_ASSERT(memcmp(a->salt, b->salt, NATT_SALT_LEN) == 0);
}

/* Writes a packet of total size len with h's header; the rest is 0x5A. */
static void make_packet(uint8_t type, size_t len)
{
	struct natt_header h;

	sample_header(&h, type);
	memset(buf, 0x5A, len);
	CU_ASSERT_EQUAL_FATAL(natt_header_encode(buf, sizeof(buf), &h), (int)natt_header_len(type));
}

static void test_header_len(void)
{
	for (unsigned i = 0; i < NTYPES; i++)
		CU_ASSERT_EQUAL(natt_header_len(pkt_sizes[i].type), pkt_sizes[i].hdr_len);
	for (unsigned t = 0; t < 256; t++) {
		bool known = false;

		for (unsigned i = 0; i < NTYPES; i++)
			known |= pkt_sizes[i].type == t;
		if (!known)
			CU_ASSERT_EQUAL(natt_header_len((uint8_t)t), 0);
	}
}

static void test_header_bytes(void)
{
	struct natt_header h;
	uint8_t want[64];
	size_t n;

	sample_header(&h, NATT_PT_HANDSHAKE);
	n = unhex("c1 01 1122334455667788 99aabbccddeeff00 0000000000000105"
		  "a0a1a2a3a4a5a6a7a8a9aaabacadaeaf",
		  want, sizeof(want));
	CU_ASSERT_EQUAL(natt_header_encode(buf, sizeof(buf), &h), (int)n);
	CU_ASSERT(memcmp(buf, want, n) == 0);

	sample_header(&h, NATT_PT_PROBE);
	h.dcid = 0;
	n = unhex("c2 01 0000000000000000 99aabbccddeeff00 a0a1a2a3a4a5a6a7a8a9aaabacadaeaf", want,
		  sizeof(want));
	CU_ASSERT_EQUAL(natt_header_encode(buf, sizeof(buf), &h), (int)n);
	CU_ASSERT(memcmp(buf, want, n) == 0);

	sample_header(&h, NATT_PT_RDV_LOOKUP);
	n = unhex("ca 01 b0b1b2b3b4b5b6b7 a0a1a2a3a4a5a6a7a8a9aaabacadaeaf", want, sizeof(want));
	CU_ASSERT_EQUAL(natt_header_encode(buf, sizeof(buf), &h), (int)n);
	CU_ASSERT(memcmp(buf, want, n) == 0);

	sample_header(&h, NATT_PT_DATA);
	n = unhex("d0 07 1122334455667788 0102030405060708", want, sizeof(want));
	CU_ASSERT_EQUAL(natt_header_encode(buf, sizeof(buf), &h), (int)n);
	CU_ASSERT(memcmp(buf, want, n) == 0);

	/* UNKNOWN_CID: one CID, no scid, even if the struct has one. */
	sample_header(&h, NATT_PT_UNKNOWN_CID);
	h.scid = 1;
	n = unhex("c4 01 1122334455667788 a0a1a2a3a4a5a6a7a8a9aaabacadaeaf", want, sizeof(want));
	CU_ASSERT_EQUAL(natt_header_encode(buf, sizeof(buf), &h), (int)n);
	CU_ASSERT(memcmp(buf, want, n) == 0);

	/* The version byte is NATT_VERSION whatever the struct says. */
	sample_header(&h, NATT_PT_HANDSHAKE);
	h.version = 9;
	CU_ASSERT_EQUAL(natt_header_encode(buf, sizeof(buf), &h), 42);
	CU_ASSERT_EQUAL(buf[1], NATT_VERSION);
}

static void test_header_roundtrip(void)
{
	for (unsigned i = 0; i < NTYPES; i++) {
		uint8_t type = pkt_sizes[i].type;
		struct natt_header h, d;

		sample_header(&h, type);
		for (int k = 0; k < 2; k++) {
			size_t len = k == 0 ? pkt_sizes[i].min_len : pkt_sizes[i].max_len;

			make_packet(type, len);
			memset(&d, 0xEE, sizeof(d));
			CU_ASSERT_EQUAL(natt_header_decode(&d, buf, len), NATT_OK);
			assert_header_equal(&d, &h);
			CU_ASSERT_EQUAL(d.len, pkt_sizes[i].hdr_len);
			CU_ASSERT_EQUAL(d.payload_len, len - pkt_sizes[i].hdr_len);
			CU_ASSERT_EQUAL(natt_header_encode(buf + 2000, 100, &d),
					(int)pkt_sizes[i].hdr_len);
			CU_ASSERT(memcmp(buf + 2000, buf, pkt_sizes[i].hdr_len) == 0);
		}
	}
}

static void test_header_truncated(void)
{
	struct natt_header d;

	CU_ASSERT_EQUAL(natt_header_decode(&d, buf, 0), NATT_ERR_TRUNCATED);
	CU_ASSERT_EQUAL(natt_header_decode(&d, NULL, 0), NATT_ERR_TRUNCATED);
	for (unsigned i = 0; i < NTYPES; i++) {
		uint8_t type = pkt_sizes[i].type;
		size_t len;

		make_packet(type, pkt_sizes[i].min_len);
		for (len = 0; len < pkt_sizes[i].hdr_len; len++)
			CU_ASSERT_EQUAL(natt_header_decode(&d, buf, len), NATT_ERR_TRUNCATED);
		for (; len < pkt_sizes[i].min_len; len++)
			CU_ASSERT_EQUAL(natt_header_decode(&d, buf, len), NATT_ERR_TOO_SMALL);
		CU_ASSERT_EQUAL(natt_header_decode(&d, buf, len), NATT_OK);
	}
}

static void test_header_oversize(void)
{
	struct natt_header d;

	for (unsigned i = 0; i < NTYPES; i++) {
		size_t max = pkt_sizes[i].max_len;

		make_packet(pkt_sizes[i].type, max + 1);
		CU_ASSERT_EQUAL(natt_header_decode(&d, buf, max), NATT_OK);
		CU_ASSERT_EQUAL(natt_header_decode(&d, buf, max + 1), NATT_ERR_BAD_LENGTH);
		CU_ASSERT_EQUAL(natt_header_decode(&d, buf, SIZE_MAX), NATT_ERR_BAD_LENGTH);
	}
}

static void test_header_bad_version(void)
{
	static const uint8_t versions[] = {0x00, 0x02, 0x80, 0xFF};
	struct natt_header d;

	for (unsigned t = 0xC0; t <= 0xCF; t++) {
		for (unsigned v = 0; v < sizeof(versions); v++) {
			memset(buf, 0x11, 1232);
			buf[0] = (uint8_t)t;
			buf[1] = versions[v];
			CU_ASSERT_EQUAL(natt_header_decode(&d, buf, 1232), NATT_ERR_BAD_VERSION);
			CU_ASSERT_EQUAL(natt_header_decode(&d, buf, 2), NATT_ERR_BAD_VERSION);
		}
	}
	/* The version is the second byte: with one byte, the header is short. */
	buf[0] = NATT_PT_HANDSHAKE;
	CU_ASSERT_EQUAL(natt_header_decode(&d, buf, 1), NATT_ERR_TRUNCATED);
}

static void test_header_reserved(void)
{
	struct natt_header h, d;

	for (unsigned t = 0; t < 256; t++) {
		if (natt_header_len((uint8_t)t) != 0)
			continue;
		memset(buf, 0x11, 1232);
		buf[0] = (uint8_t)t;
		buf[1] = NATT_VERSION;
		CU_ASSERT_EQUAL(natt_header_decode(&d, buf, 1232), NATT_ERR_BAD_TYPE);
		if (t < 0xC0 || t > 0xCF) /* a long header needs its version first */
			CU_ASSERT_EQUAL(natt_header_decode(&d, buf, 1), NATT_ERR_BAD_TYPE);
		sample_header(&h, NATT_PT_HANDSHAKE);
		h.type = (uint8_t)t;
		CU_ASSERT_EQUAL(natt_header_encode(buf, sizeof(buf), &h), NATT_ERR_BAD_TYPE);
	}
}

/* Zeroes the 8-byte CID at off of a valid packet, and builds one with it. */
static void check_zero_cid(uint8_t type, size_t off, int want)
{
	size_t len = natt_header_len(type) + NATT_PROBE_MIN_BODY + NATT_TAG_LEN;
	struct natt_header h, d;

	make_packet(type, len);
	memset(buf + off, 0, 8);
	CU_ASSERT_EQUAL(natt_header_decode(&d, buf, len), want);
	sample_header(&h, type);
	if (off == 2)
		h.dcid = 0;
	else
		h.scid = 0;
	CU_ASSERT_EQUAL(natt_header_encode(buf, sizeof(buf), &h),
			want == NATT_OK ? (int)natt_header_len(type) : want);
}

static void test_header_zero_cids(void)
{
	check_zero_cid(NATT_PT_HANDSHAKE, 2, NATT_ERR_BAD_VALUE);
	check_zero_cid(NATT_PT_HANDSHAKE, 10, NATT_ERR_BAD_VALUE);
	check_zero_cid(NATT_PT_PROBE, 2, NATT_OK);
	check_zero_cid(NATT_PT_PROBE, 10, NATT_ERR_BAD_VALUE);
	check_zero_cid(NATT_PT_PROBE_REPLY, 2, NATT_ERR_BAD_VALUE);
	check_zero_cid(NATT_PT_PROBE_REPLY, 10, NATT_ERR_BAD_VALUE);
	check_zero_cid(NATT_PT_DATA, 2, NATT_ERR_BAD_VALUE);
	check_zero_cid(NATT_PT_UNKNOWN_CID, 2, NATT_ERR_BAD_VALUE);
}

/* UNKNOWN_CID has exactly one size: a byte more or less is refused. */
static void test_header_unknown_cid(void)
{
	struct natt_header d;

	make_packet(NATT_PT_UNKNOWN_CID, NATT_UNKNOWN_CID_LEN + 1);
	CU_ASSERT_EQUAL(NATT_UNKNOWN_CID_LEN, 42);
	CU_ASSERT_EQUAL(natt_header_decode(&d, buf, NATT_UNKNOWN_CID_LEN), NATT_OK);
	CU_ASSERT_EQUAL(d.dcid, UINT64_C(0x1122334455667788));
	CU_ASSERT_EQUAL(d.scid, 0);
	CU_ASSERT_EQUAL(d.payload_len, NATT_TAG_LEN);
	CU_ASSERT_EQUAL(natt_header_decode(&d, buf, NATT_UNKNOWN_CID_LEN + 1), NATT_ERR_BAD_LENGTH);
	CU_ASSERT_EQUAL(natt_header_decode(&d, buf, NATT_UNKNOWN_CID_LEN - 1), NATT_ERR_TOO_SMALL);
	CU_ASSERT_EQUAL(natt_header_decode(&d, buf, NATT_UNKNOWN_CID_HDR_LEN - 1),
			NATT_ERR_TRUNCATED);
	CU_ASSERT_EQUAL(natt_wire_classify(buf, 1), NATT_CLASS_LONG);
	buf[1] = 2;
	CU_ASSERT_EQUAL(natt_header_decode(&d, buf, NATT_UNKNOWN_CID_LEN), NATT_ERR_BAD_VERSION);
}

/* ---- candidates and names ---- */

static void test_cand_roundtrip(void)
{
	struct natt_cand c, d;
	uint8_t want[NATT_CAND_LEN];

	make_cand(&c, NATT_CAND_SRFLX, 4, 1194, ip4_b);
	CU_ASSERT_EQUAL(natt_cand_encode(buf, sizeof(buf), &c), NATT_CAND_LEN);
	unhex("02 04 04aa cb007107 000000000000000000000000", want, sizeof(want));
	CU_ASSERT(memcmp(buf, want, NATT_CAND_LEN) == 0);
	CU_ASSERT_EQUAL(natt_cand_decode(&d, buf, NATT_CAND_LEN), NATT_OK);
	CU_ASSERT(natt_cand_equal(&c, &d));

	make_cand(&c, NATT_CAND_PRFLX, 6, 65535, ip6_a);
	CU_ASSERT_EQUAL(natt_cand_encode(buf, sizeof(buf), &c), NATT_CAND_LEN);
	unhex("04 06 ffff 20010db8000000000000000000000001", want, sizeof(want));
	CU_ASSERT(memcmp(buf, want, NATT_CAND_LEN) == 0);
	CU_ASSERT_EQUAL(natt_cand_decode(&d, buf, 100), NATT_OK);
	CU_ASSERT(natt_cand_equal(&c, &d));

	memset(&c, 0, sizeof(c));
	CU_ASSERT(natt_cand_valid(&c));
	CU_ASSERT_EQUAL(natt_cand_encode(buf, sizeof(buf), &c), NATT_CAND_LEN);
	CU_ASSERT(all_zero_bytes(buf, NATT_CAND_LEN));
	CU_ASSERT_EQUAL(natt_cand_decode(&d, buf, NATT_CAND_LEN), NATT_OK);
	CU_ASSERT(natt_cand_equal(&c, &d));

	for (size_t len = 0; len < NATT_CAND_LEN; len++)
		CU_ASSERT_EQUAL(natt_cand_decode(&d, buf, len), NATT_ERR_TRUNCATED);
}

static void test_cand_bad(void)
{
	static const char *const bad[] = {
		"05 04 04aa c0000201 000000000000000000000000", /* unknown kind */
		"01 05 04aa c0000201 000000000000000000000000", /* unknown family */
		"01 00 04aa 00000000 000000000000000000000000", /* kind without family */
		"00 04 04aa c0000201 000000000000000000000000", /* family without kind */
		"01 04 0000 c0000201 000000000000000000000000", /* port 0 */
		"01 06 0000 20010db8000000000000000000000001",	/* port 0 */
		"01 04 04aa c0000201 000000000000000000000001", /* IPv4 tail */
		"01 04 04aa c0000201 800000000000000000000000", /* IPv4 tail */
		"00 00 0001 00000000 000000000000000000000000", /* none with a port */
		"00 00 0000 00000000 000000000000000000000100", /* none with an address */
	};
	struct natt_cand c;
	uint8_t p[NATT_CAND_LEN];

	for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		CU_ASSERT_EQUAL_FATAL(unhex(bad[i], p, sizeof(p)), NATT_CAND_LEN);
		CU_ASSERT_EQUAL(natt_cand_decode(&c, p, sizeof(p)), NATT_ERR_BAD_ADDRESS);
		/* What failed to decode must fail to encode too. */
		c.kind = p[0];
		c.family = p[1];
		c.port = (uint16_t)(p[2] << 8 | p[3]);
		memcpy(c.addr, p + 4, 16);
		CU_ASSERT(!natt_cand_valid(&c));
		CU_ASSERT_EQUAL(natt_cand_encode(buf, sizeof(buf), &c), NATT_ERR_BAD_ADDRESS);
	}
}

static void test_cand_equal(void)
{
	struct natt_cand a, b;

	make_cand(&a, NATT_CAND_HOST, 4, 1194, ip4_a);
	b = a;
	CU_ASSERT(natt_cand_equal(&a, &b));
	b.port = 1195;
	CU_ASSERT(!natt_cand_equal(&a, &b));
	b = a;
	b.kind = NATT_CAND_SRFLX;
	CU_ASSERT(!natt_cand_equal(&a, &b));
	b = a;
	b.addr[3] ^= 1;
	CU_ASSERT(!natt_cand_equal(&a, &b));
}

static void test_name_set(void)
{
	struct natt_name n;
	char s[80];

	CU_ASSERT_EQUAL(natt_name_set(&n, "office-gw.example_1"), NATT_OK);
	CU_ASSERT_EQUAL(n.len, 19);
	CU_ASSERT_STRING_EQUAL(n.str, "office-gw.example_1");
	memset(s, 'x', 63);
	s[63] = '\0';
	CU_ASSERT_EQUAL(natt_name_set(&n, s), NATT_OK);
	CU_ASSERT_EQUAL(n.len, 63);
	s[63] = 'x';
	s[64] = '\0';
	CU_ASSERT_EQUAL(natt_name_set(&n, s), NATT_ERR_BAD_NAME);
	CU_ASSERT_EQUAL(natt_name_set(&n, ""), NATT_ERR_BAD_NAME);
	CU_ASSERT_EQUAL(natt_name_set(&n, NULL), NATT_ERR_BAD_NAME);
	CU_ASSERT_EQUAL(natt_name_set(&n, "a b"), NATT_ERR_BAD_NAME);
	CU_ASSERT_EQUAL(natt_name_set(&n, "a/b"), NATT_ERR_BAD_NAME);
	CU_ASSERT_EQUAL(natt_name_set(&n, "caf\xc3\xa9"), NATT_ERR_BAD_NAME);
	CU_ASSERT_EQUAL(natt_name_set(&n, "a:b"), NATT_ERR_BAD_NAME);
	CU_ASSERT_EQUAL(n.len, 0);
}

/* ---- frames (PROTOCOL.md 5.2) ---- */

/* Encodes f, compares with hex, decodes, and re-encodes to the same bytes. */
static void frame_roundtrip(const struct natt_frame *f, const char *hex, struct natt_frame *d)
{
	uint8_t want[512], out[512];
	size_t n = unhex(hex, want, sizeof(want));

	CU_ASSERT_EQUAL(natt_frame_len(f), n);
	CU_ASSERT_EQUAL_FATAL(natt_frame_encode(buf, sizeof(buf), f), (int)n);
	CU_ASSERT(memcmp(buf, want, n) == 0);
	CU_ASSERT_EQUAL_FATAL(natt_frame_decode(d, want, n), (int)n);
	CU_ASSERT_EQUAL(d->type, f->type);
	CU_ASSERT_EQUAL(natt_frame_encode(out, sizeof(out), d), (int)n);
	CU_ASSERT(memcmp(out, want, n) == 0);
	/* Every proper prefix is truncated (a PADDING prefix is shorter padding). */
	for (size_t len = 0; len < n && f->type != NATT_FT_PADDING; len++)
		CU_ASSERT_EQUAL(natt_frame_decode(d, want, len), NATT_ERR_TRUNCATED);
	CU_ASSERT_EQUAL_FATAL(natt_frame_decode(d, want, n), (int)n);
}

static void sample_ack(struct natt_frame *f)
{
	memset(f, 0, sizeof(*f));
	f->type = NATT_FT_ACK;
	f->ack.largest = 1000;
	f->ack.ack_delay_us = 250;
	f->ack.first_range = 9;
	f->ack.range_count = 2;
	f->ack.range[0] = (struct natt_ack_range){.gap = 0, .length = 4};
	f->ack.range[1] = (struct natt_ack_range){.gap = 10, .length = 0};
}

static const uint8_t stream_data[] = "hello";
static const char close_reason[] = "bad ca";

static void sample_stream(struct natt_frame *f)
{
	memset(f, 0, sizeof(*f));
	f->type = NATT_FT_STREAM;
	f->stream.fin = true;
	f->stream.offset = 0x100;
	f->stream.len = 5;
	f->stream.data = stream_data;
}

static void sample_close(struct natt_frame *f)
{
	memset(f, 0, sizeof(*f));
	f->type = NATT_FT_CLOSE;
	f->close.code = NATT_CLOSE_TLS_FAILED;
	f->close.reason_len = (uint8_t)strlen(close_reason);
	f->close.reason = (const uint8_t *)close_reason;
}

static void test_frame_roundtrip(void)
{
	struct natt_frame f, d;
	uint64_t lo, hi;

	memset(&f, 0, sizeof(f));
	f.type = NATT_FT_PING;
	frame_roundtrip(&f, "01", &d);

	f.type = NATT_FT_MAX_DATA;
	f.max_data.max = 0x10000;
	frame_roundtrip(&f, "04 0000000000010000", &d);
	CU_ASSERT_EQUAL(d.max_data.max, 0x10000);

	sample_stream(&f);
	frame_roundtrip(&f, "03 01 0000000000000100 0005 68656c6c6f", &d);
	CU_ASSERT(d.stream.fin);
	CU_ASSERT_EQUAL(d.stream.offset, 0x100);
	CU_ASSERT_EQUAL(d.stream.len, 5);
	CU_ASSERT(memcmp(d.stream.data, "hello", 5) == 0);

	f.stream.fin = false;
	f.stream.len = 0;
	frame_roundtrip(&f, "03 00 0000000000000100 0000", &d);
	CU_ASSERT(!d.stream.fin);

	sample_close(&f);
	frame_roundtrip(&f, "05 0003 06 626164206361", &d);
	CU_ASSERT_EQUAL(d.close.code, NATT_CLOSE_TLS_FAILED);
	CU_ASSERT_EQUAL(d.close.reason_len, 6);
	CU_ASSERT(memcmp(d.close.reason, "bad ca", 6) == 0);

	f.close.reason_len = 0;
	f.close.reason = NULL;
	frame_roundtrip(&f, "05 0003 00", &d);

	sample_ack(&f);
	frame_roundtrip(&f,
			"02 00000000000003e8 000000fa 02 00000009"
			"00000000 00000004 0000000a 00000000",
			&d);
	CU_ASSERT_EQUAL(d.ack.largest, 1000);
	CU_ASSERT_EQUAL(d.ack.ack_delay_us, 250);
	CU_ASSERT_EQUAL(d.ack.range_count, 2);
	/* [1000-9, 1000]; 991-0-2 = 989 down 4; 985-10-2 = 973 alone. */
	CU_ASSERT(natt_ack_interval(&d, 0, &lo, &hi) == NATT_OK && lo == 991 && hi == 1000);
	CU_ASSERT(natt_ack_interval(&d, 1, &lo, &hi) == NATT_OK && lo == 985 && hi == 989);
	CU_ASSERT(natt_ack_interval(&d, 2, &lo, &hi) == NATT_OK && lo == 973 && hi == 973);
	CU_ASSERT_EQUAL(natt_ack_interval(&d, 3, &lo, &hi), NATT_ERR_INVALID);

	memset(&f, 0, sizeof(f));
	f.type = NATT_FT_PADDING;
	f.padding.len = 3;
	frame_roundtrip(&f, "000000", &d);
	CU_ASSERT_EQUAL(d.padding.len, 3);
}

static void test_ack_no_ranges(void)
{
	struct natt_frame f, d;
	uint64_t lo, hi;

	memset(&f, 0, sizeof(f));
	f.type = NATT_FT_ACK;
	f.ack.largest = 100;
	f.ack.first_range = 10;
	frame_roundtrip(&f, "02 0000000000000064 00000000 00 0000000a", &d);
	CU_ASSERT_EQUAL(d.ack.range_count, 0);
	CU_ASSERT(natt_ack_interval(&d, 0, &lo, &hi) == NATT_OK && lo == 90 && hi == 100);
	CU_ASSERT_EQUAL(natt_ack_interval(&d, 1, &lo, &hi), NATT_ERR_INVALID);

	/* Acknowledging only packet 0. */
	f.ack.largest = 0;
	f.ack.first_range = 0;
	frame_roundtrip(&f, "02 0000000000000000 00000000 00 00000000", &d);
	CU_ASSERT(natt_ack_interval(&d, 0, &lo, &hi) == NATT_OK && lo == 0 && hi == 0);

	/* Not an ACK. */
	f.type = NATT_FT_PING;
	CU_ASSERT_EQUAL(natt_ack_interval(&f, 0, &lo, &hi), NATT_ERR_INVALID);
}

static void test_ack_32_ranges(void)
{
	struct natt_frame f, d;
	uint64_t lo, hi;
	int n;

	memset(&f, 0, sizeof(f));
	f.type = NATT_FT_ACK;
	f.ack.largest = 1000;
	f.ack.range_count = NATT_ACK_MAX_RANGES;
	for (unsigned i = 0; i < NATT_ACK_MAX_RANGES; i++)
		f.ack.range[i] = (struct natt_ack_range){.gap = 1, .length = 2};
	CU_ASSERT_EQUAL(natt_frame_len(&f), 1 + 8 + 4 + 1 + 4 + 32 * 8);
	n = natt_frame_encode(buf, sizeof(buf), &f);
	CU_ASSERT_EQUAL_FATAL(n, 274);
	CU_ASSERT_EQUAL_FATAL(natt_frame_decode(&d, buf, (size_t)n), 274);
	CU_ASSERT_EQUAL(d.ack.range_count, 32);
	/* Range i >= 1 skips 2 below the last smallest and covers 3: [1000-5i, 1002-5i]. */
	CU_ASSERT(natt_ack_interval(&d, 0, &lo, &hi) == NATT_OK && lo == 1000 && hi == 1000);
	CU_ASSERT(natt_ack_interval(&d, 1, &lo, &hi) == NATT_OK && lo == 995 && hi == 997);
	CU_ASSERT(natt_ack_interval(&d, 2, &lo, &hi) == NATT_OK && lo == 990 && hi == 992);
	CU_ASSERT(natt_ack_interval(&d, 31, &lo, &hi) == NATT_OK && lo == 845 && hi == 847);
	CU_ASSERT(natt_ack_interval(&d, 32, &lo, &hi) == NATT_OK && lo == 840 && hi == 842);
	CU_ASSERT_EQUAL(natt_ack_interval(&d, 33, &lo, &hi), NATT_ERR_INVALID);
	for (int len = 0; len < n; len++)
		CU_ASSERT_EQUAL(natt_frame_decode(&d, buf, (size_t)len), NATT_ERR_TRUNCATED);
}

static void test_ack_33_ranges(void)
{
	struct natt_frame f;
	uint8_t p[1 + 8 + 4 + 1 + 4 + 33 * 8] = {NATT_FT_ACK};

	p[8] = 0xFF; /* largest 255 */
	p[13] = 33;
	CU_ASSERT_EQUAL(natt_frame_decode(&f, p, sizeof(p)), NATT_ERR_BAD_FRAME);
	CU_ASSERT_EQUAL(natt_frame_decode(&f, p, 18), NATT_ERR_BAD_FRAME); /* before the ranges */
	p[13] = 0xFF;
	CU_ASSERT_EQUAL(natt_frame_decode(&f, p, sizeof(p)), NATT_ERR_BAD_FRAME);
	p[13] = 32; /* 32 ranges of one packet each, gaps of one: valid */
	CU_ASSERT_EQUAL(natt_frame_decode(&f, p, sizeof(p)), (int)sizeof(p) - 8);

	memset(&f, 0, sizeof(f));
	f.type = NATT_FT_ACK;
	f.ack.largest = 10000;
	f.ack.range_count = 33;
	CU_ASSERT_EQUAL(natt_frame_len(&f), 0);
	CU_ASSERT_EQUAL(natt_frame_encode(buf, sizeof(buf), &f), NATT_ERR_BAD_FRAME);
}

/* Builds an ACK: largest, first_range, then one range (gap, length) if n. */
static void ack_with(struct natt_frame *f, uint64_t largest, uint32_t first, unsigned n,
		     uint32_t gap, uint32_t length)
{
	memset(f, 0, sizeof(*f));
	f->type = NATT_FT_ACK;
	f->ack.largest = largest;
	f->ack.first_range = first;
	f->ack.range_count = (uint8_t)n;
	f->ack.range[0] = (struct natt_ack_range){.gap = gap, .length = length};
}

/* Checks f both ways: encode and decode of its hand-built bytes agree. */
static void check_ack(const struct natt_frame *f, int want)
{
	struct natt_frame d;
	uint8_t p[64] = {NATT_FT_ACK};
	size_t n = 18 + 8 * f->ack.range_count;

	for (int i = 0; i < 8; i++)
		p[1 + i] = (uint8_t)(f->ack.largest >> (56 - 8 * i));
	p[13] = f->ack.range_count;
	for (int i = 0; i < 4; i++) {
		p[14 + i] = (uint8_t)(f->ack.first_range >> (24 - 8 * i));
		p[18 + i] = (uint8_t)(f->ack.range[0].gap >> (24 - 8 * i));
		p[22 + i] = (uint8_t)(f->ack.range[0].length >> (24 - 8 * i));
	}
	CU_ASSERT_EQUAL(natt_frame_decode(&d, p, n), want == NATT_OK ? (int)n : want);
	CU_ASSERT_EQUAL(natt_frame_encode(buf, sizeof(buf), f), want == NATT_OK ? (int)n : want);
	CU_ASSERT_EQUAL(natt_frame_len(f), want == NATT_OK ? n : 0);
}

static void test_ack_underflow(void)
{
	struct natt_frame f;
	uint64_t lo, hi;

	ack_with(&f, 5, 5, 0, 0, 0); /* [0, 5] */
	check_ack(&f, NATT_OK);
	ack_with(&f, 5, 6, 0, 0, 0); /* 5 - 6 < 0 */
	check_ack(&f, NATT_ERR_BAD_FRAME);
	CU_ASSERT_EQUAL(natt_ack_interval(&f, 0, &lo, &hi), NATT_ERR_BAD_FRAME);
	ack_with(&f, 0, UINT32_MAX, 0, 0, 0);
	check_ack(&f, NATT_ERR_BAD_FRAME);

	ack_with(&f, 5, 3, 1, 0, 0); /* [2, 5], then 2 - 0 - 2 = [0, 0] */
	check_ack(&f, NATT_OK);
	CU_ASSERT(natt_ack_interval(&f, 1, &lo, &hi) == NATT_OK && lo == 0 && hi == 0);
	ack_with(&f, 5, 3, 1, 0, 1); /* 0 - 1 < 0 */
	check_ack(&f, NATT_ERR_BAD_FRAME);
	CU_ASSERT_EQUAL(natt_ack_interval(&f, 1, &lo, &hi), NATT_ERR_BAD_FRAME);
	ack_with(&f, 5, 4, 1, 0, 0); /* [1, 5], then 1 - 0 - 2 < 0 */
	check_ack(&f, NATT_ERR_BAD_FRAME);
	ack_with(&f, 5, 3, 1, 1, 0); /* 2 - 1 - 2 < 0 */
	check_ack(&f, NATT_ERR_BAD_FRAME);

	/* Extremes do not wrap: UINT32_MAX gap and length from the top of 2^64. */
	ack_with(&f, UINT64_MAX, UINT32_MAX, 1, UINT32_MAX, UINT32_MAX);
	check_ack(&f, NATT_OK);
	CU_ASSERT(natt_ack_interval(&f, 1, &lo, &hi) == NATT_OK);
	CU_ASSERT_EQUAL(hi, UINT64_MAX - UINT32_MAX - ((uint64_t)UINT32_MAX + 2));
	CU_ASSERT_EQUAL(lo, hi - UINT32_MAX);
	ack_with(&f, UINT32_MAX, UINT32_MAX, 1, UINT32_MAX, 0);
	check_ack(&f, NATT_ERR_BAD_FRAME);
}

static void test_stream_limits(void)
{
	const uint64_t max = NATT_STREAM_MAX_OFFSET;
	struct natt_frame f, d;
	uint8_t p[12 + 10] = {NATT_FT_STREAM, 0x00};

	sample_stream(&f);
	f.stream.data = buf + 1000;
	f.stream.len = 10;
	f.stream.offset = max - 10;
	CU_ASSERT_EQUAL(natt_frame_encode(buf, 1000, &f), 22);
	f.stream.offset = max - 9;
	CU_ASSERT_EQUAL(natt_frame_encode(buf, 1000, &f), NATT_ERR_BAD_FRAME);
	CU_ASSERT_EQUAL(natt_frame_len(&f), 0);
	f.stream.offset = UINT64_MAX;
	CU_ASSERT_EQUAL(natt_frame_encode(buf, 1000, &f), NATT_ERR_BAD_FRAME);
	f.stream.offset = max;
	f.stream.len = 0;
	CU_ASSERT_EQUAL(natt_frame_encode(buf, 1000, &f), 12);
	f.stream.len = 3;
	f.stream.data = NULL;
	CU_ASSERT_EQUAL(natt_frame_encode(buf, 1000, &f), NATT_ERR_BAD_FRAME);

	/* offset 2^62 - 10, length 10: the largest accepted. */
	p[2] = 0x3F;
	memset(p + 3, 0xFF, 6);
	p[9] = 0xF6;
	p[11] = 10;
	CU_ASSERT_EQUAL(natt_frame_decode(&d, p, sizeof(p)), 22);
	CU_ASSERT_EQUAL(d.stream.offset, max - 10);
	p[9] = 0xF7;
	CU_ASSERT_EQUAL(natt_frame_decode(&d, p, sizeof(p)), NATT_ERR_BAD_FRAME);
	memset(p + 2, 0xFF, 8);
	CU_ASSERT_EQUAL(natt_frame_decode(&d, p, sizeof(p)), NATT_ERR_BAD_FRAME);

	/* Unknown flag bits. */
	memset(p + 2, 0, 8);
	for (unsigned b = 1; b < 8; b++) {
		p[1] = (uint8_t)(1u << b);
		CU_ASSERT_EQUAL(natt_frame_decode(&d, p, sizeof(p)), NATT_ERR_BAD_FRAME);
	}
	p[1] = 0x01;
	CU_ASSERT_EQUAL(natt_frame_decode(&d, p, sizeof(p)), 22);
	CU_ASSERT(d.stream.fin);
}

static void test_close_frame_limits(void)
{
	uint8_t reason[NATT_MAX_REASON + 1];
	uint8_t p[4 + sizeof(reason)] = {NATT_FT_CLOSE, 0x00, 0x02};
	struct natt_frame f, d;

	memset(reason, 'r', sizeof(reason));
	memcpy(p + 4, reason, sizeof(reason));
	p[3] = NATT_MAX_REASON;
	CU_ASSERT_EQUAL(natt_frame_decode(&d, p, sizeof(p)), 4 + NATT_MAX_REASON);
	p[3] = NATT_MAX_REASON + 1;
	CU_ASSERT_EQUAL(natt_frame_decode(&d, p, sizeof(p)), NATT_ERR_BAD_FRAME);
	p[3] = 4;
	p[5] = 0x1F;
	CU_ASSERT_EQUAL(natt_frame_decode(&d, p, sizeof(p)), NATT_ERR_BAD_FRAME);
	p[5] = 0x7F;
	CU_ASSERT_EQUAL(natt_frame_decode(&d, p, sizeof(p)), NATT_ERR_BAD_FRAME);
	p[5] = 0x7E;
	p[6] = 0x20;
	CU_ASSERT_EQUAL(natt_frame_decode(&d, p, sizeof(p)), 8);

	sample_close(&f);
	f.close.reason = reason;
	f.close.reason_len = NATT_MAX_REASON + 1;
	CU_ASSERT_EQUAL(natt_frame_encode(buf, sizeof(buf), &f), NATT_ERR_BAD_FRAME);
	f.close.reason_len = NATT_MAX_REASON;
	CU_ASSERT_EQUAL(natt_frame_encode(buf, sizeof(buf), &f), 4 + NATT_MAX_REASON);
	reason[7] = '\n';
	CU_ASSERT_EQUAL(natt_frame_encode(buf, sizeof(buf), &f), NATT_ERR_BAD_FRAME);
}

static void test_frame_unknown_type(void)
{
	struct natt_frame f;

	for (unsigned t = 0x06; t < 256; t++) {
		uint8_t p[32] = {(uint8_t)t};

		CU_ASSERT_EQUAL(natt_frame_decode(&f, p, sizeof(p)), NATT_ERR_BAD_TYPE);
		CU_ASSERT_EQUAL(natt_frame_decode(&f, p, 1), NATT_ERR_BAD_TYPE);
		memset(&f, 0, sizeof(f));
		f.type = (uint8_t)t;
		CU_ASSERT_EQUAL(natt_frame_encode(buf, sizeof(buf), &f), NATT_ERR_BAD_TYPE);
		CU_ASSERT_EQUAL(natt_frame_len(&f), 0);
	}
	CU_ASSERT_EQUAL(natt_frame_decode(&f, buf, 0), NATT_ERR_TRUNCATED);
	CU_ASSERT_EQUAL(natt_frame_decode(&f, NULL, 0), NATT_ERR_TRUNCATED);
}

static void test_padding_fold(void)
{
	uint8_t p[16];
	size_t n = unhex("000000 01 00 04 0000000000000001 0000", p, sizeof(p));
	struct natt_frame f;
	size_t off = 0;
	static const struct {
		uint8_t type;
		int len;
	} want[] = {{NATT_FT_PADDING, 3},
		    {NATT_FT_PING, 1},
		    {NATT_FT_PADDING, 1},
		    {NATT_FT_MAX_DATA, 9},
		    {NATT_FT_PADDING, 2}};

	for (unsigned i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		int rc = natt_frame_decode(&f, p + off, n - off);

		CU_ASSERT_EQUAL_FATAL(rc, want[i].len);
		CU_ASSERT_EQUAL(f.type, want[i].type);
		if (f.type == NATT_FT_PADDING)
			CU_ASSERT_EQUAL(f.padding.len, (size_t)rc);
		off += (size_t)rc;
	}
	CU_ASSERT_EQUAL(off, n);

	/* A long run is one frame; encoding writes it back as zero bytes. */
	memset(buf, 0, 1200);
	CU_ASSERT_EQUAL(natt_frame_decode(&f, buf, 1200), 1200);
	CU_ASSERT_EQUAL(f.padding.len, 1200);
	memset(buf, 0xEE, 1300);
	CU_ASSERT_EQUAL(natt_frame_encode(buf, 1300, &f), 1200);
	CU_ASSERT(all_zero_bytes(buf, 1200));
	CU_ASSERT_EQUAL(buf[1200], 0xEE);

	/* A run longer than the largest datagram is split. */
	memset(buf, 0, NATT_MAX_DATAGRAM + 10);
	CU_ASSERT_EQUAL(natt_frame_decode(&f, buf, NATT_MAX_DATAGRAM + 10), NATT_MAX_DATAGRAM);

	f.padding.len = 0;
	CU_ASSERT_EQUAL(natt_frame_encode(buf, sizeof(buf), &f), NATT_ERR_BAD_FRAME);
	CU_ASSERT_EQUAL(natt_frame_len(&f), 0);
	f.padding.len = NATT_MAX_DATAGRAM + 1;
	CU_ASSERT_EQUAL(natt_frame_encode(buf, sizeof(buf), &f), NATT_ERR_BAD_FRAME);
}

static void test_frame_ack_eliciting(void)
{
	CU_ASSERT(!natt_frame_ack_eliciting(NATT_FT_PADDING));
	CU_ASSERT(natt_frame_ack_eliciting(NATT_FT_PING));
	CU_ASSERT(!natt_frame_ack_eliciting(NATT_FT_ACK));
	CU_ASSERT(natt_frame_ack_eliciting(NATT_FT_STREAM));
	CU_ASSERT(natt_frame_ack_eliciting(NATT_FT_MAX_DATA));
	CU_ASSERT(!natt_frame_ack_eliciting(NATT_FT_CLOSE));
	CU_ASSERT(!natt_frame_ack_eliciting(0x06));
	CU_ASSERT(!natt_frame_ack_eliciting(0xFF));
}

/* ---- PROBE and PROBE_REPLY (PROTOCOL.md 5.3) ---- */

static void sample_probe(struct natt_probe *pr, uint8_t type)
{
	memset(pr, 0, sizeof(*pr));
	for (int i = 0; i < NATT_PROBE_ID_LEN; i++)
		pr->probe_id[i] = (uint8_t)(0x10 + i);
	if (type == NATT_PT_PROBE_REPLY) {
		pr->flags = NATT_PROBE_NOMINATE;
		make_cand(&pr->seen, NATT_CAND_PRFLX, 4, 40000, ip4_b);
	}
}

static void test_probe_roundtrip(void)
{
	struct natt_probe pr, d;
	uint8_t want[NATT_PROBE_MIN_BODY];

	sample_probe(&pr, NATT_PT_PROBE_REPLY);
	CU_ASSERT_EQUAL(natt_probe_encode(buf, sizeof(buf), NATT_PT_PROBE_REPLY, &pr, 37), 37);
	unhex("101112131415161718191a1b1c1d1e1f 01 04 04 9c40 cb007107 000000000000000000000000",
	      want, sizeof(want));
	CU_ASSERT(memcmp(buf, want, sizeof(want)) == 0);

	for (int t = NATT_PT_PROBE; t <= NATT_PT_PROBE_REPLY; t++) {
		static const size_t lens[] = {NATT_PROBE_MIN_BODY, 38, 500, NATT_PROBE_MAX_BODY};

		for (unsigned i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
			sample_probe(&pr, (uint8_t)t);
			memset(buf, 0xEE, lens[i] + 1);
			CU_ASSERT_EQUAL_FATAL(
				natt_probe_encode(buf, sizeof(buf), (uint8_t)t, &pr, lens[i]),
				(int)lens[i]);
			CU_ASSERT_EQUAL(buf[lens[i]], 0xEE);
			CU_ASSERT(all_zero_bytes(buf + 37, lens[i] - 37));
			CU_ASSERT_EQUAL(natt_probe_decode(&d, (uint8_t)t, buf, lens[i]), NATT_OK);
			CU_ASSERT(memcmp(d.probe_id, pr.probe_id, NATT_PROBE_ID_LEN) == 0);
			CU_ASSERT_EQUAL(d.flags, pr.flags);
			CU_ASSERT(natt_cand_equal(&d.seen, &pr.seen));
			CU_ASSERT_EQUAL(d.padding, lens[i] - 37);
		}
	}

	/* PROBE_REPLY seen IPv6. */
	sample_probe(&pr, NATT_PT_PROBE_REPLY);
	make_cand(&pr.seen, NATT_CAND_PRFLX, 6, 1194, ip6_a);
	CU_ASSERT_EQUAL(natt_probe_encode(buf, sizeof(buf), NATT_PT_PROBE_REPLY, &pr, 40), 40);
	CU_ASSERT_EQUAL(natt_probe_decode(&d, NATT_PT_PROBE_REPLY, buf, 40), NATT_OK);
	CU_ASSERT(natt_cand_equal(&d.seen, &pr.seen));
}

static void test_probe_bad(void)
{
	struct natt_probe pr, d;

	sample_probe(&pr, NATT_PT_PROBE);
	CU_ASSERT_EQUAL(natt_probe_encode(buf, sizeof(buf), NATT_PT_PROBE, &pr, 60), 60);
	CU_ASSERT_EQUAL(natt_probe_decode(&d, NATT_PT_PROBE, buf, 60), NATT_OK);
	for (size_t len = 0; len < NATT_PROBE_MIN_BODY; len++)
		CU_ASSERT_EQUAL(natt_probe_decode(&d, NATT_PT_PROBE, buf, len), NATT_ERR_TOO_SMALL);
	CU_ASSERT_EQUAL(natt_probe_decode(&d, NATT_PT_PROBE_REPLY, buf, 60), NATT_ERR_BAD_VALUE);
	CU_ASSERT_EQUAL(natt_probe_decode(&d, NATT_PT_HANDSHAKE, buf, 60), NATT_ERR_BAD_TYPE);
	memset(buf + 60, 0, NATT_PROBE_MAX_BODY);
	CU_ASSERT_EQUAL(natt_probe_decode(&d, NATT_PT_PROBE, buf, NATT_PROBE_MAX_BODY + 1),
			NATT_ERR_BAD_LENGTH);

	buf[59] = 0x01; /* padding */
	CU_ASSERT_EQUAL(natt_probe_decode(&d, NATT_PT_PROBE, buf, 60), NATT_ERR_BAD_PADDING);
	CU_ASSERT_EQUAL(natt_probe_decode(&d, NATT_PT_PROBE, buf, 59), NATT_OK);
	buf[37] = 0x80;
	CU_ASSERT_EQUAL(natt_probe_decode(&d, NATT_PT_PROBE, buf, 59), NATT_ERR_BAD_PADDING);
	buf[37] = 0;
	buf[16] = 0x02; /* unknown flag */
	CU_ASSERT_EQUAL(natt_probe_decode(&d, NATT_PT_PROBE, buf, 59), NATT_ERR_BAD_VALUE);
	buf[16] = 0;
	buf[17] = NATT_CAND_HOST; /* seen: kind without family */
	CU_ASSERT_EQUAL(natt_probe_decode(&d, NATT_PT_PROBE, buf, 59), NATT_ERR_BAD_ADDRESS);

	/* PROBE_REPLY: seen must be a prflx address. */
	sample_probe(&pr, NATT_PT_PROBE_REPLY);
	CU_ASSERT_EQUAL(natt_probe_encode(buf, sizeof(buf), NATT_PT_PROBE_REPLY, &pr, 37), 37);
	CU_ASSERT_EQUAL(natt_probe_decode(&d, NATT_PT_PROBE, buf, 37), NATT_ERR_BAD_VALUE);
	buf[17] = NATT_CAND_SRFLX;
	CU_ASSERT_EQUAL(natt_probe_decode(&d, NATT_PT_PROBE_REPLY, buf, 37), NATT_ERR_BAD_VALUE);

	/* Encoder: the same rules. */
	CU_ASSERT_EQUAL(natt_probe_encode(buf, sizeof(buf), NATT_PT_PROBE, &pr, 37),
			NATT_ERR_BAD_VALUE);
	pr.seen.kind = NATT_CAND_HOST;
	CU_ASSERT_EQUAL(natt_probe_encode(buf, sizeof(buf), NATT_PT_PROBE_REPLY, &pr, 37),
			NATT_ERR_BAD_VALUE);
	pr.seen.kind = NATT_CAND_PRFLX;
	pr.seen.port = 0;
	CU_ASSERT_EQUAL(natt_probe_encode(buf, sizeof(buf), NATT_PT_PROBE_REPLY, &pr, 37),
			NATT_ERR_BAD_ADDRESS);
	sample_probe(&pr, NATT_PT_PROBE_REPLY);
	pr.flags = 0x81;
	CU_ASSERT_EQUAL(natt_probe_encode(buf, sizeof(buf), NATT_PT_PROBE_REPLY, &pr, 37),
			NATT_ERR_BAD_VALUE);
	sample_probe(&pr, NATT_PT_PROBE);
	CU_ASSERT_EQUAL(natt_probe_encode(buf, sizeof(buf), NATT_PT_PROBE, &pr, 36),
			NATT_ERR_INVALID);
	CU_ASSERT_EQUAL(
		natt_probe_encode(buf, sizeof(buf), NATT_PT_PROBE, &pr, NATT_PROBE_MAX_BODY + 1),
		NATT_ERR_INVALID);
	CU_ASSERT_EQUAL(natt_probe_encode(buf, sizeof(buf), NATT_PT_DATA, &pr, 37),
			NATT_ERR_INVALID);
}

/* ---- rendezvous bodies (PROTOCOL.md 6) ---- */

static const uint8_t rdv_types[] = {NATT_PT_RDV_REGISTER, NATT_PT_RDV_REGISTER_ACK,
				    NATT_PT_RDV_LOOKUP, NATT_PT_RDV_LOOKUP_REPLY,
				    NATT_PT_RDV_INTRODUCE};

#define NRDV (sizeof(rdv_types) / sizeof(rdv_types[0]))

static void optional_name(struct natt_name *n, size_t len)
{
	memset(n, 0, sizeof(*n));
	if (len > 0)
		make_name(n, len);
}

/* A message of type with ncands candidates and names of name_len bytes. */
static void sample_rdv(struct natt_rdv_msg *m, uint8_t type, unsigned ncands, size_t name_len)
{
	struct natt_cand observed;

	make_cand(&observed, NATT_CAND_SRFLX, 4, 40001, ip4_b);
	memset(m, 0, sizeof(*m));
	m->type = type;
	m->timestamp_ms = UINT64_C(1767225600000);
	m->txid = UINT64_C(0x0123456789abcdef);
	switch (type) {
	case NATT_PT_RDV_REGISTER:
		m->reg.seq = UINT64_C(1767225600000000);
		m->reg.lifetime_s = 60;
		make_name(&m->reg.name, name_len);
		make_cands(&m->reg.cands, ncands);
		break;
	case NATT_PT_RDV_REGISTER_ACK:
		m->reg_ack.lifetime_s = 60;
		m->reg_ack.observed = observed;
		break;
	case NATT_PT_RDV_LOOKUP:
		m->lookup.cid = UINT64_C(0xc1c2c3c4c5c6c7c8);
		make_name(&m->lookup.target, name_len);
		optional_name(&m->lookup.name, name_len);
		make_cands(&m->lookup.cands, ncands);
		break;
	case NATT_PT_RDV_LOOKUP_REPLY:
		m->lookup_reply.observed = observed;
		make_cands(&m->lookup_reply.cands, ncands);
		break;
	case NATT_PT_RDV_INTRODUCE:
		m->introduce.cid = UINT64_C(0xc1c2c3c4c5c6c7c8);
		optional_name(&m->introduce.name, name_len);
		m->introduce.observed = observed;
		make_cands(&m->introduce.cands, ncands);
		break;
	}
}

/* Size of the fields of a sample_rdv() message, counted from PROTOCOL.md 6. */
static size_t rdv_fields_len(uint8_t type, unsigned ncands, size_t name_len)
{
	size_t cands = 1 + 20 * (size_t)ncands;

	switch (type) {
	case NATT_PT_RDV_REGISTER: return 16 + 8 + 2 + 1 + name_len + cands;
	case NATT_PT_RDV_REGISTER_ACK: return 16 + 1 + 2 + 20;
	case NATT_PT_RDV_LOOKUP: return 16 + 8 + 1 + name_len + 1 + name_len + cands;
	case NATT_PT_RDV_LOOKUP_REPLY: return 16 + 1 + 20 + cands;
	}
	return 16 + 8 + 1 + name_len + 20 + cands;
}

static void assert_rdv_equal(const struct natt_rdv_msg *a, const struct natt_rdv_msg *b)
{
	CU_ASSERT_EQUAL_FATAL(a->type, b->type);
	CU_ASSERT_EQUAL(a->timestamp_ms, b->timestamp_ms);
	CU_ASSERT_EQUAL(a->txid, b->txid);
	switch (a->type) {
	case NATT_PT_RDV_REGISTER:
		CU_ASSERT_EQUAL(a->reg.seq, b->reg.seq);
		CU_ASSERT_EQUAL(a->reg.lifetime_s, b->reg.lifetime_s);
		CU_ASSERT(names_equal(&a->reg.name, &b->reg.name));
		CU_ASSERT(cands_equal(&a->reg.cands, &b->reg.cands));
		break;
	case NATT_PT_RDV_REGISTER_ACK:
		CU_ASSERT_EQUAL(a->reg_ack.status, b->reg_ack.status);
		CU_ASSERT_EQUAL(a->reg_ack.lifetime_s, b->reg_ack.lifetime_s);
		CU_ASSERT(natt_cand_equal(&a->reg_ack.observed, &b->reg_ack.observed));
		break;
	case NATT_PT_RDV_LOOKUP:
		CU_ASSERT_EQUAL(a->lookup.cid, b->lookup.cid);
		CU_ASSERT(names_equal(&a->lookup.target, &b->lookup.target));
		CU_ASSERT(names_equal(&a->lookup.name, &b->lookup.name));
		CU_ASSERT(cands_equal(&a->lookup.cands, &b->lookup.cands));
		break;
	case NATT_PT_RDV_LOOKUP_REPLY:
		CU_ASSERT_EQUAL(a->lookup_reply.status, b->lookup_reply.status);
		CU_ASSERT(natt_cand_equal(&a->lookup_reply.observed, &b->lookup_reply.observed));
		CU_ASSERT(cands_equal(&a->lookup_reply.cands, &b->lookup_reply.cands));
		break;
	case NATT_PT_RDV_INTRODUCE:
		CU_ASSERT_EQUAL(a->introduce.cid, b->introduce.cid);
		CU_ASSERT(names_equal(&a->introduce.name, &b->introduce.name));
		CU_ASSERT(natt_cand_equal(&a->introduce.observed, &b->introduce.observed));
		CU_ASSERT(cands_equal(&a->introduce.cands, &b->introduce.cands));
		break;
	}
}

static void test_rdv_min_body(void)
{
	CU_ASSERT_EQUAL(natt_rdv_min_body(NATT_PT_RDV_REGISTER), 64);
	CU_ASSERT_EQUAL(natt_rdv_min_body(NATT_PT_RDV_REGISTER_ACK), 39);
	CU_ASSERT_EQUAL(natt_rdv_min_body(NATT_PT_RDV_LOOKUP), 304);
	CU_ASSERT_EQUAL(natt_rdv_min_body(NATT_PT_RDV_LOOKUP_REPLY), 38);
	CU_ASSERT_EQUAL(natt_rdv_min_body(NATT_PT_RDV_INTRODUCE), 46);
	CU_ASSERT_EQUAL(natt_rdv_min_body(NATT_PT_HANDSHAKE), 0);
	CU_ASSERT_EQUAL(natt_rdv_min_body(0xCD), 0);
	CU_ASSERT_EQUAL(NATT_RDV_MAX_BODY, 1232 - 26 - 16);
	CU_ASSERT_EQUAL(NATT_PROBE_MAX_BODY, 1232 - 34 - 16);
}

static void test_rdv_bytes(void)
{
	struct natt_rdv_msg m, d;
	uint8_t want[64];
	size_t n;

	sample_rdv(&m, NATT_PT_RDV_REGISTER_ACK, 0, 0);
	n = unhex("0000019b76daa800 0123456789abcdef 00 003c 02 04 9c41 cb007107 "
		  "000000000000000000000000",
		  want, sizeof(want));
	CU_ASSERT_EQUAL_FATAL(natt_rdv_encode(buf, sizeof(buf), &m, 0), (int)n);
	CU_ASSERT(memcmp(buf, want, n) == 0);

	sample_rdv(&m, NATT_PT_RDV_REGISTER, 1, 3);
	n = unhex("0000019b76daa800 0123456789abcdef 0006474846204000 003c 03 414243"
		  "01 01 04 04aa c000020a 000000000000000000000000",
		  want, sizeof(want));
	CU_ASSERT_EQUAL_FATAL(natt_rdv_encode(buf, sizeof(buf), &m, 0), 64);
	CU_ASSERT(memcmp(buf, want, n) == 0);
	CU_ASSERT(all_zero_bytes(buf + n, 64 - n));
	CU_ASSERT_EQUAL(natt_rdv_decode(&d, NATT_PT_RDV_REGISTER, buf, 64), NATT_OK);
	CU_ASSERT_STRING_EQUAL(d.reg.name.str, "ABC");
	CU_ASSERT_EQUAL(d.padding, 64 - n);
}

static void test_rdv_roundtrip(void)
{
	static const unsigned ncands[] = {0, 1, 8};
	static const size_t name_lens[] = {1, 17, NATT_MAX_NAME};

	for (unsigned t = 0; t < NRDV; t++)
		for (unsigned c = 0; c < 3; c++)
			for (unsigned k = 0; k < 3; k++) {
				uint8_t type = rdv_types[t];
				size_t fields = rdv_fields_len(type, ncands[c], name_lens[k]);
				size_t body = fields;
				struct natt_rdv_msg m, d;
				uint8_t out[NATT_RDV_MAX_BODY];
				int n;

				if (body < natt_rdv_min_body(type))
					body = natt_rdv_min_body(type);
				sample_rdv(&m, type, ncands[c], name_lens[k]);
				n = natt_rdv_encode(buf, sizeof(buf), &m, 0);
				CU_ASSERT_EQUAL_FATAL(n, (int)body);
				memset(&d, 0xEE, sizeof(d));
				CU_ASSERT_EQUAL(natt_rdv_decode(&d, type, buf, (size_t)n), NATT_OK);
				assert_rdv_equal(&d, &m);
				CU_ASSERT_EQUAL(d.padding, body - fields);
				CU_ASSERT_EQUAL(natt_rdv_encode(out, sizeof(out), &d, (size_t)n),
						n);
				CU_ASSERT(memcmp(out, buf, (size_t)n) == 0);
				/* Padded to a larger min_body. */
				CU_ASSERT_EQUAL(natt_rdv_encode(out, sizeof(out), &m, 700), 700);
				CU_ASSERT(all_zero_bytes(out + fields, 700 - fields));
				CU_ASSERT_EQUAL(natt_rdv_decode(&d, type, out, 700), NATT_OK);
				CU_ASSERT_EQUAL(d.padding, 700 - fields);
			}
}

static void test_rdv_ipv6_and_empty_names(void)
{
	struct natt_rdv_msg m, d;
	int n;

	sample_rdv(&m, NATT_PT_RDV_LOOKUP, 2, 5);
	memset(&m.lookup.name, 0, sizeof(m.lookup.name));
	make_cand(&m.lookup.cands.cand[0], NATT_CAND_HOST, 6, 1194, ip6_a);
	make_cand(&m.lookup.cands.cand[1], NATT_CAND_SRFLX, 6, 1195, ip6_a);
	n = natt_rdv_encode(buf, sizeof(buf), &m, 0);
	CU_ASSERT_EQUAL_FATAL(n, NATT_RDV_LOOKUP_MIN_BODY);
	CU_ASSERT_EQUAL(natt_rdv_decode(&d, NATT_PT_RDV_LOOKUP, buf, (size_t)n), NATT_OK);
	assert_rdv_equal(&d, &m);
	CU_ASSERT_EQUAL(d.lookup.name.len, 0);
	CU_ASSERT_STRING_EQUAL(d.lookup.name.str, "");

	sample_rdv(&m, NATT_PT_RDV_INTRODUCE, 1, 0);
	make_cand(&m.introduce.observed, NATT_CAND_SRFLX, 6, 1, ip6_a);
	n = natt_rdv_encode(buf, sizeof(buf), &m, 0);
	CU_ASSERT_EQUAL_FATAL(n, 16 + 8 + 1 + 20 + 21);
	CU_ASSERT_EQUAL(natt_rdv_decode(&d, NATT_PT_RDV_INTRODUCE, buf, (size_t)n), NATT_OK);
	assert_rdv_equal(&d, &m);
}

static void test_rdv_truncated(void)
{
	for (unsigned t = 0; t < NRDV; t++)
		for (unsigned c = 0; c <= 8; c += 8) {
			uint8_t type = rdv_types[t];
			size_t fields = rdv_fields_len(type, c, NATT_MAX_NAME);
			size_t min = natt_rdv_min_body(type);
			bool padded = type == NATT_PT_RDV_REGISTER || type == NATT_PT_RDV_LOOKUP;
			struct natt_rdv_msg m, d;
			int n;

			sample_rdv(&m, type, c, NATT_MAX_NAME);
			n = natt_rdv_encode(buf, sizeof(buf), &m, 0);
			CU_ASSERT_FATAL(n > 0);
			for (size_t len = 0; len <= (size_t)n; len++) {
				int want = NATT_OK;

				if (padded && len < min)
					want = NATT_ERR_TOO_SMALL;
				else if (len < fields)
					want = NATT_ERR_TRUNCATED;
				CU_ASSERT_EQUAL(natt_rdv_decode(&d, type, buf, len), want);
			}
		}
}

static void test_rdv_size_invariant(void)
{
	struct natt_rdv_msg m;
	int n;

	/* PROTOCOL.md 6.4: no answer to a LOOKUP is larger than the LOOKUP. */
	sample_rdv(&m, NATT_PT_RDV_LOOKUP_REPLY, NATT_MAX_CANDS, 0);
	n = natt_rdv_encode(buf, sizeof(buf), &m, 0);
	CU_ASSERT_EQUAL(n, 198);
	CU_ASSERT(n > 0 && n <= NATT_RDV_LOOKUP_MIN_BODY);

	sample_rdv(&m, NATT_PT_RDV_INTRODUCE, NATT_MAX_CANDS, NATT_MAX_NAME);
	n = natt_rdv_encode(buf, sizeof(buf), &m, 0);
	CU_ASSERT_EQUAL(n, 269);
	CU_ASSERT(n > 0 && n <= NATT_RDV_LOOKUP_MIN_BODY);

	/* 6.3: the REGISTER_ACK is never larger than the smallest REGISTER. */
	sample_rdv(&m, NATT_PT_RDV_REGISTER_ACK, 0, 0);
	n = natt_rdv_encode(buf, sizeof(buf), &m, 0);
	CU_ASSERT_EQUAL(n, 39);
	CU_ASSERT(n > 0 && n <= NATT_RDV_REGISTER_MIN_BODY);

	/* The largest requests fit a rendezvous packet. */
	sample_rdv(&m, NATT_PT_RDV_LOOKUP, NATT_MAX_CANDS, NATT_MAX_NAME);
	n = natt_rdv_encode(buf, sizeof(buf), &m, 0);
	CU_ASSERT_EQUAL(n, 313);
	CU_ASSERT(n > 0 && n <= NATT_RDV_MAX_BODY);
	sample_rdv(&m, NATT_PT_RDV_REGISTER, NATT_MAX_CANDS, NATT_MAX_NAME);
	n = natt_rdv_encode(buf, sizeof(buf), &m, 0);
	CU_ASSERT_EQUAL(n, 251);
}

static void test_rdv_sizes(void)
{
	struct natt_rdv_msg m, d;

	sample_rdv(&m, NATT_PT_RDV_REGISTER, 0, 1);
	CU_ASSERT_EQUAL(natt_rdv_encode(buf, sizeof(buf), &m, 0), 64);
	CU_ASSERT_EQUAL(natt_rdv_decode(&d, NATT_PT_RDV_REGISTER, buf, 63), NATT_ERR_TOO_SMALL);
	sample_rdv(&m, NATT_PT_RDV_LOOKUP, 0, 1);
	CU_ASSERT_EQUAL(natt_rdv_encode(buf, sizeof(buf), &m, 0), 304);
	CU_ASSERT_EQUAL(natt_rdv_decode(&d, NATT_PT_RDV_LOOKUP, buf, 303), NATT_ERR_TOO_SMALL);
	memset(buf + 304, 0, NATT_RDV_MAX_BODY);
	CU_ASSERT_EQUAL(natt_rdv_decode(&d, NATT_PT_RDV_LOOKUP, buf, NATT_RDV_MAX_BODY), NATT_OK);
	CU_ASSERT_EQUAL(natt_rdv_decode(&d, NATT_PT_RDV_LOOKUP, buf, NATT_RDV_MAX_BODY + 1),
			NATT_ERR_BAD_LENGTH);
	CU_ASSERT_EQUAL(natt_rdv_encode(buf, sizeof(buf), &m, NATT_RDV_MAX_BODY),
			NATT_RDV_MAX_BODY);
	CU_ASSERT_EQUAL(natt_rdv_encode(buf, sizeof(buf), &m, NATT_RDV_MAX_BODY + 1),
			NATT_ERR_INVALID);
	for (unsigned t = 0; t < 256; t++) {
		if (t >= NATT_PT_RDV_REGISTER && t <= NATT_PT_RDV_INTRODUCE)
			continue;
		CU_ASSERT_EQUAL(natt_rdv_decode(&d, (uint8_t)t, buf, 304), NATT_ERR_BAD_TYPE);
		m.type = (uint8_t)t;
		CU_ASSERT_EQUAL(natt_rdv_encode(buf, sizeof(buf), &m, 0), NATT_ERR_BAD_TYPE);
	}
}

/* Encodes sample m, applies one byte change, expects decode to fail with want. */
static void rdv_mutate(const struct natt_rdv_msg *m, size_t off, uint8_t v, int want)
{
	struct natt_rdv_msg d;
	int n = natt_rdv_encode(buf, sizeof(buf), m, 0);

	CU_ASSERT_FATAL(n > 0 && off < (size_t)n);
	buf[off] = v;
	CU_ASSERT_EQUAL(natt_rdv_decode(&d, m->type, buf, (size_t)n), want);
}

static void test_rdv_bad_names(void)
{
	struct natt_rdv_msg m, d;
	uint8_t p[NATT_RDV_REGISTER_MIN_BODY + 64] = {0};
	size_t name_off = 16 + 8 + 2;

	sample_rdv(&m, NATT_PT_RDV_REGISTER, 0, 3);
	rdv_mutate(&m, name_off, 0, NATT_ERR_BAD_NAME);
	rdv_mutate(&m, name_off + 1, ' ', NATT_ERR_BAD_NAME);
	rdv_mutate(&m, name_off + 3, '/', NATT_ERR_BAD_NAME);
	rdv_mutate(&m, name_off + 2, 0, NATT_ERR_BAD_NAME);
	rdv_mutate(&m, name_off + 2, 0xC3, NATT_ERR_BAD_NAME);

	/* A 64-byte name. */
	p[name_off] = 64;
	memset(p + name_off + 1, 'a', 64);
	CU_ASSERT_EQUAL(natt_rdv_decode(&d, NATT_PT_RDV_REGISTER, p, sizeof(p)), NATT_ERR_BAD_NAME);
	p[name_off] = 63;
	p[name_off + 64] = 0; /* count 0, then padding */
	CU_ASSERT_EQUAL(natt_rdv_decode(&d, NATT_PT_RDV_REGISTER, p, sizeof(p)), NATT_OK);
	CU_ASSERT_EQUAL(d.reg.name.len, 63);

	/* LOOKUP: the target is required, the client's own name optional. */
	sample_rdv(&m, NATT_PT_RDV_LOOKUP, 0, 4);
	rdv_mutate(&m, 16 + 8, 0, NATT_ERR_BAD_NAME);
	rdv_mutate(&m, 16 + 8 + 1 + 4, 0xFF, NATT_ERR_BAD_NAME);
	rdv_mutate(&m, 16 + 8 + 1 + 4 + 1, '*', NATT_ERR_BAD_NAME);

	/* Encoders refuse the same names. */
	sample_rdv(&m, NATT_PT_RDV_REGISTER, 0, 3);
	m.reg.name.len = 0;
	CU_ASSERT_EQUAL(natt_rdv_encode(buf, sizeof(buf), &m, 0), NATT_ERR_BAD_NAME);
	m.reg.name.len = 64;
	CU_ASSERT_EQUAL(natt_rdv_encode(buf, sizeof(buf), &m, 0), NATT_ERR_BAD_NAME);
	m.reg.name.len = 2; /* str holds 3 characters */
	CU_ASSERT_EQUAL(natt_rdv_encode(buf, sizeof(buf), &m, 0), NATT_ERR_BAD_NAME);
	m.reg.name.len = 3;
	m.reg.name.str[1] = '!';
	CU_ASSERT_EQUAL(natt_rdv_encode(buf, sizeof(buf), &m, 0), NATT_ERR_BAD_NAME);
	sample_rdv(&m, NATT_PT_RDV_LOOKUP, 0, 3);
	memset(&m.lookup.target, 0, sizeof(m.lookup.target));
	CU_ASSERT_EQUAL(natt_rdv_encode(buf, sizeof(buf), &m, 0), NATT_ERR_BAD_NAME);
	sample_rdv(&m, NATT_PT_RDV_INTRODUCE, 0, 3);
	m.introduce.name.str[0] = ' ';
	CU_ASSERT_EQUAL(natt_rdv_encode(buf, sizeof(buf), &m, 0), NATT_ERR_BAD_NAME);
}

static void test_rdv_bad_values(void)
{
	struct natt_rdv_msg m;
	size_t reg_count = 16 + 8 + 2 + 1 + 3;

	/* REGISTER: count 9, a "none" candidate, a malformed one. */
	sample_rdv(&m, NATT_PT_RDV_REGISTER, 1, 3);
	rdv_mutate(&m, reg_count, 9, NATT_ERR_BAD_VALUE);
	rdv_mutate(&m, reg_count, 0xFF, NATT_ERR_BAD_VALUE);
	rdv_mutate(&m, reg_count + 1, 0, NATT_ERR_BAD_ADDRESS);	 /* kind 0, family 4 */
	rdv_mutate(&m, reg_count + 20, 1, NATT_ERR_BAD_ADDRESS); /* IPv4 tail */
	m.reg.cands.count = 9;
	CU_ASSERT_EQUAL(natt_rdv_encode(buf, sizeof(buf), &m, 0), NATT_ERR_BAD_VALUE);
	sample_rdv(&m, NATT_PT_RDV_REGISTER, 1, 3);
	memset(&m.reg.cands.cand[0], 0, sizeof(m.reg.cands.cand[0]));
	CU_ASSERT_EQUAL(natt_rdv_encode(buf, sizeof(buf), &m, 0), NATT_ERR_BAD_ADDRESS);
	/* A "none" entry, written by hand: 20 zero bytes in the list. */
	sample_rdv(&m, NATT_PT_RDV_REGISTER, 0, 3);
	rdv_mutate(&m, reg_count, 1, NATT_ERR_BAD_ADDRESS);

	/* REGISTER_ACK: status, observed. */
	sample_rdv(&m, NATT_PT_RDV_REGISTER_ACK, 0, 0);
	rdv_mutate(&m, 16, 3, NATT_ERR_BAD_VALUE);
	rdv_mutate(&m, 16, NATT_RDV_RATE_LIMITED, NATT_OK);
	rdv_mutate(&m, 19, NATT_CAND_HOST, NATT_ERR_BAD_VALUE);
	rdv_mutate(&m, 20, 5, NATT_ERR_BAD_ADDRESS);
	m.reg_ack.status = 3;
	CU_ASSERT_EQUAL(natt_rdv_encode(buf, sizeof(buf), &m, 0), NATT_ERR_BAD_VALUE);
	sample_rdv(&m, NATT_PT_RDV_REGISTER_ACK, 0, 0);
	memset(&m.reg_ack.observed, 0, sizeof(m.reg_ack.observed));
	CU_ASSERT_EQUAL(natt_rdv_encode(buf, sizeof(buf), &m, 0), NATT_ERR_BAD_VALUE);
	m.reg_ack.observed.kind = NATT_CAND_SRFLX;
	CU_ASSERT_EQUAL(natt_rdv_encode(buf, sizeof(buf), &m, 0), NATT_ERR_BAD_ADDRESS);

	/* LOOKUP and INTRODUCE: cid 0. */
	sample_rdv(&m, NATT_PT_RDV_LOOKUP, 0, 3);
	m.lookup.cid = 0x100;
	rdv_mutate(&m, 16 + 6, 0, NATT_ERR_BAD_VALUE);
	rdv_mutate(&m, 16 + 7, 1, NATT_OK);
	m.lookup.cid = 0;
	CU_ASSERT_EQUAL(natt_rdv_encode(buf, sizeof(buf), &m, 0), NATT_ERR_BAD_VALUE);
	sample_rdv(&m, NATT_PT_RDV_INTRODUCE, 0, 3);
	m.introduce.cid = 0;
	CU_ASSERT_EQUAL(natt_rdv_encode(buf, sizeof(buf), &m, 0), NATT_ERR_BAD_VALUE);
	sample_rdv(&m, NATT_PT_RDV_INTRODUCE, 0, 3);
	rdv_mutate(&m, 16 + 8 + 1 + 3, NATT_CAND_PRFLX, NATT_ERR_BAD_VALUE);

	/* LOOKUP_REPLY: candidates only when FOUND. */
	sample_rdv(&m, NATT_PT_RDV_LOOKUP_REPLY, 2, 0);
	rdv_mutate(&m, 16, NATT_RDV_NOT_FOUND, NATT_ERR_BAD_VALUE);
	m.lookup_reply.status = NATT_RDV_NOT_FOUND;
	CU_ASSERT_EQUAL(natt_rdv_encode(buf, sizeof(buf), &m, 0), NATT_ERR_BAD_VALUE);
	sample_rdv(&m, NATT_PT_RDV_LOOKUP_REPLY, 0, 0);
	rdv_mutate(&m, 16, NATT_RDV_NOT_FOUND, NATT_OK);
	rdv_mutate(&m, 16, 3, NATT_ERR_BAD_VALUE);
	rdv_mutate(&m, 16 + 1 + 20, 9, NATT_ERR_BAD_VALUE);
}

static void test_rdv_bad_padding(void)
{
	for (unsigned t = 0; t < NRDV; t++) {
		struct natt_rdv_msg m, d;
		int n;

		sample_rdv(&m, rdv_types[t], 1, 3);
		n = natt_rdv_encode(buf, sizeof(buf), &m, 400);
		CU_ASSERT_EQUAL_FATAL(n, 400);
		CU_ASSERT_EQUAL(natt_rdv_decode(&d, m.type, buf, 400), NATT_OK);
		buf[399] = 0x01;
		CU_ASSERT_EQUAL(natt_rdv_decode(&d, m.type, buf, 400), NATT_ERR_BAD_PADDING);
		buf[399] = 0;
		buf[350] = 0x80;
		CU_ASSERT_EQUAL(natt_rdv_decode(&d, m.type, buf, 400), NATT_ERR_BAD_PADDING);
	}
}

/* ---- control messages (PROTOCOL.md 9) ---- */

static void sample_params(struct natt_ctl_msg *m)
{
	memset(m, 0, sizeof(*m));
	m->type = NATT_CTL_PARAMS;
	m->params.present = NATT_PARAM_CIPHERS | NATT_PARAM_KEEPALIVE | NATT_PARAM_IDLE_TIMEOUT |
			    NATT_PARAM_MAX_DATAGRAM;
	m->params.ncipher = 2;
	m->params.cipher[0] = NATT_CIPHER_AES_256_GCM;
	m->params.cipher[1] = NATT_CIPHER_CHACHA20_POLY1305;
	m->params.keepalive_s = 10;
	m->params.idle_timeout_s = 60;
	m->params.max_datagram = 1400;
}

static void sample_ctl_close(struct natt_ctl_msg *m)
{
	memset(m, 0, sizeof(*m));
	m->type = NATT_CTL_CLOSE;
	m->close.code = NATT_CLOSE_SHUTDOWN;
	strcpy(m->close.reason, "service stop");
	m->close.reason_len = 12;
}

/* Encodes m, compares with hex, decodes, re-encodes, and checks prefixes. */
static void ctl_roundtrip(const struct natt_ctl_msg *m, const char *hex, struct natt_ctl_msg *d)
{
	uint8_t want[256], out[256];
	size_t n = unhex(hex, want, sizeof(want));

	CU_ASSERT_EQUAL_FATAL(natt_ctl_encode(out, sizeof(out), m), (int)n);
	CU_ASSERT(memcmp(out, want, n) == 0);
	for (size_t len = 0; len < n; len++)
		CU_ASSERT_EQUAL(natt_ctl_decode(d, want, len), NATT_ERR_TRUNCATED);
	CU_ASSERT_EQUAL_FATAL(natt_ctl_decode(d, want, n), (int)n);
	CU_ASSERT_EQUAL(d->type, m->type);
	CU_ASSERT_EQUAL(d->len, n - NATT_CTL_HDR_LEN);
	memset(out, 0, sizeof(out));
	CU_ASSERT_EQUAL(natt_ctl_encode(out, sizeof(out), d), (int)n);
	CU_ASSERT(memcmp(out, want, n) == 0);
}

static void test_ctl_roundtrip(void)
{
	struct natt_ctl_msg m, d;

	sample_params(&m);
	ctl_roundtrip(&m, "01 0010 01 02 01 02 02 02 000a 03 02 003c 04 02 0578", &d);
	CU_ASSERT_EQUAL(d.params.present, m.params.present);
	CU_ASSERT_EQUAL(d.params.ncipher, 2);
	CU_ASSERT_EQUAL(d.params.cipher[0], NATT_CIPHER_AES_256_GCM);
	CU_ASSERT_EQUAL(d.params.cipher[1], NATT_CIPHER_CHACHA20_POLY1305);
	CU_ASSERT_EQUAL(d.params.keepalive_s, 10);
	CU_ASSERT_EQUAL(d.params.idle_timeout_s, 60);
	CU_ASSERT_EQUAL(d.params.max_datagram, 1400);

	/* The server's answer: one cipher. */
	memset(&m, 0, sizeof(m));
	m.type = NATT_CTL_PARAMS;
	m.params.present = NATT_PARAM_CIPHERS;
	m.params.ncipher = 1;
	m.params.cipher[0] = NATT_CIPHER_CHACHA20_POLY1305;
	ctl_roundtrip(&m, "01 0003 01 01 02", &d);
	CU_ASSERT_EQUAL(d.params.present, NATT_PARAM_CIPHERS);

	/* Eight ciphers, and an empty PARAMS. */
	m.params.ncipher = 8;
	ctl_roundtrip(&m, "01 000a 01 08 0200000000000000", &d);
	CU_ASSERT_EQUAL(d.params.ncipher, 8);
	m.params.present = 0;
	ctl_roundtrip(&m, "01 0000", &d);

	memset(&m, 0, sizeof(m));
	m.type = NATT_CTL_PING;
	ctl_roundtrip(&m, "02 0000", &d);

	sample_ctl_close(&m);
	ctl_roundtrip(&m, "03 000e 0005 7365727669636520 73746f70", &d);
	CU_ASSERT_EQUAL(d.close.code, NATT_CLOSE_SHUTDOWN);
	CU_ASSERT_EQUAL(d.close.reason_len, 12);
	CU_ASSERT_STRING_EQUAL(d.close.reason, "service stop");
	m.close.reason_len = NATT_MAX_REASON;
	memset(m.close.reason, '~', NATT_MAX_REASON);
	CU_ASSERT_EQUAL(natt_ctl_encode(buf, sizeof(buf), &m), 3 + 2 + NATT_MAX_REASON);
	CU_ASSERT_EQUAL(natt_ctl_decode(&d, buf, 3 + 2 + NATT_MAX_REASON), 3 + 2 + NATT_MAX_REASON);
	CU_ASSERT_EQUAL(d.close.reason_len, NATT_MAX_REASON);
	CU_ASSERT_EQUAL(d.close.reason[NATT_MAX_REASON], '\0');
}

static void test_ctl_unknown(void)
{
	struct natt_ctl_msg d;
	uint8_t p[64];
	size_t n;
	int rc;

	/* Unknown parameters are skipped, known ones kept. */
	n = unhex("01 000d 09 03 aabbcc 01 01 01 ff 00 00 01 07", p, sizeof(p));
	CU_ASSERT_EQUAL(natt_ctl_decode(&d, p, n), (int)n);
	CU_ASSERT_EQUAL(d.params.present, NATT_PARAM_CIPHERS);
	CU_ASSERT_EQUAL(d.params.ncipher, 1);
	CU_ASSERT_EQUAL(natt_ctl_encode(buf, sizeof(buf), &d), 6);
	CU_ASSERT_EQUAL(natt_ctl_decode(&d, buf, 6), 6);

	/* Unknown messages: type and length, whole message consumed. */
	n = unhex("7f 0003 010203 02 0000", p, sizeof(p));
	rc = natt_ctl_decode(&d, p, n);
	CU_ASSERT_EQUAL(rc, 6);
	CU_ASSERT_EQUAL(d.type, 0x7f);
	CU_ASSERT_EQUAL(d.len, 3);
	CU_ASSERT_EQUAL(natt_ctl_decode(&d, p + 6, n - 6), 3);
	CU_ASSERT_EQUAL(d.type, NATT_CTL_PING);
	CU_ASSERT_EQUAL(natt_ctl_decode(&d, p, 5), NATT_ERR_TRUNCATED);
	n = unhex("00 0000", p, sizeof(p));
	CU_ASSERT_EQUAL(natt_ctl_decode(&d, p, n), 3);
	memset(&d, 0, sizeof(d));
	d.type = 0x7f;
	CU_ASSERT_EQUAL(natt_ctl_encode(buf, sizeof(buf), &d), NATT_ERR_BAD_TYPE);
	d.type = 0;
	CU_ASSERT_EQUAL(natt_ctl_encode(buf, sizeof(buf), &d), NATT_ERR_BAD_TYPE);
}

static void test_ctl_bad(void)
{
	static const struct {
		const char *hex;
		int want;
	} cases[] = {
		{"01 0002 01 00", NATT_ERR_BAD_VALUE},			  /* no cipher */
		{"01 000b 01 09 010101010101010101", NATT_ERR_BAD_VALUE}, /* 9 ciphers */
		{"01 0005 02 03 00000a", NATT_ERR_BAD_VALUE},		  /* keepalive len */
		{"01 0003 03 01 05", NATT_ERR_BAD_VALUE},		  /* idle len */
		{"01 0002 04 00", NATT_ERR_BAD_VALUE},			  /* max_dg len */
		{"01 0004 02 02 0000", NATT_ERR_BAD_VALUE},		  /* keepalive 0 */
		{"01 0004 02 02 001a", NATT_ERR_BAD_VALUE},		  /* keepalive 26 */
		{"01 0004 02 02 0019", NATT_ERR_BAD_VALUE},		  /* keepalive 25 */
		{"01 0004 02 02 0018", 7},				  /* keepalive 24 */
		{"01 0004 02 02 0001", 7},				  /* keepalive 1 */
		{"01 0006 01 01 01 01 01 02", NATT_ERR_BAD_VALUE},	  /* twice */
		{"01 0001 01", NATT_ERR_BAD_LENGTH},			  /* cut id/len */
		{"01 0003 09 05 00", NATT_ERR_BAD_LENGTH},		  /* value overruns */
		{"01 0004 01 01 01 03", NATT_ERR_BAD_LENGTH},		  /* trailing byte */
		{"02 0001 00", NATT_ERR_BAD_LENGTH},			  /* PING not empty */
		{"03 0000", NATT_ERR_BAD_LENGTH},			  /* CLOSE no code */
		{"03 0001 00", NATT_ERR_BAD_LENGTH},			  /* CLOSE half code */
		{"03 0002 0000", 5},					  /* no reason */
		{"03 0004 0001 410a", NATT_ERR_BAD_VALUE},		  /* newline */
		{"03 0003 0001 7f", NATT_ERR_BAD_VALUE},		  /* DEL */
	};
	struct natt_ctl_msg d;
	uint8_t p[3 + 2 + NATT_MAX_REASON + 1];

	for (unsigned i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		size_t n = unhex(cases[i].hex, p, sizeof(p));

		CU_ASSERT_EQUAL(natt_ctl_decode(&d, p, n), cases[i].want);
	}

	/* A reason of 101 bytes. */
	p[0] = NATT_CTL_CLOSE;
	p[1] = 0;
	p[2] = 2 + NATT_MAX_REASON + 1;
	p[3] = p[4] = 0;
	memset(p + 5, 'a', NATT_MAX_REASON + 1);
	CU_ASSERT_EQUAL(natt_ctl_decode(&d, p, sizeof(p)), NATT_ERR_BAD_LENGTH);
	p[2]--;
	CU_ASSERT_EQUAL(natt_ctl_decode(&d, p, sizeof(p)), (int)sizeof(p) - 1);
}

static void test_ctl_encode_bad(void)
{
	struct natt_ctl_msg m;

	sample_params(&m);
	m.params.ncipher = 0;
	CU_ASSERT_EQUAL(natt_ctl_encode(buf, sizeof(buf), &m), NATT_ERR_BAD_VALUE);
	m.params.ncipher = NATT_MAX_CIPHERS + 1;
	CU_ASSERT_EQUAL(natt_ctl_encode(buf, sizeof(buf), &m), NATT_ERR_BAD_VALUE);
	sample_params(&m);
	m.params.keepalive_s = 0;
	CU_ASSERT_EQUAL(natt_ctl_encode(buf, sizeof(buf), &m), NATT_ERR_BAD_VALUE);
	m.params.keepalive_s = NATT_KEEPALIVE_MAX_S + 1; /* 25: not below 25 s */
	CU_ASSERT_EQUAL(natt_ctl_encode(buf, sizeof(buf), &m), NATT_ERR_BAD_VALUE);
	m.params.keepalive_s = NATT_KEEPALIVE_MAX_S;
	CU_ASSERT_EQUAL(natt_ctl_encode(buf, sizeof(buf), &m), 3 + 4 + 4 + 4 + 4);
	m.params.keepalive_s = 26;
	CU_ASSERT_EQUAL(natt_ctl_encode(buf, sizeof(buf), &m), NATT_ERR_BAD_VALUE);
	m.params.present &= ~NATT_PARAM_KEEPALIVE; /* then the field is not looked at */
	CU_ASSERT_EQUAL(natt_ctl_encode(buf, sizeof(buf), &m), 3 + 4 + 4 + 4);
	m.params.present |= 1u << 7;
	CU_ASSERT_EQUAL(natt_ctl_encode(buf, sizeof(buf), &m), NATT_ERR_BAD_VALUE);

	sample_ctl_close(&m);
	m.close.reason_len = NATT_MAX_REASON + 1;
	CU_ASSERT_EQUAL(natt_ctl_encode(buf, sizeof(buf), &m), NATT_ERR_BAD_VALUE);
	sample_ctl_close(&m);
	m.close.reason[3] = '\t';
	CU_ASSERT_EQUAL(natt_ctl_encode(buf, sizeof(buf), &m), NATT_ERR_BAD_VALUE);
}

static void test_ctl_stream(void)
{
	struct natt_ctl_msg m, d;
	size_t off = 0, len = 0;
	int n;

	sample_params(&m);
	n = natt_ctl_encode(buf, sizeof(buf), &m);
	CU_ASSERT_FATAL(n > 0);
	len += (size_t)n;
	memset(&m, 0, sizeof(m));
	m.type = NATT_CTL_PING;
	len += (size_t)natt_ctl_encode(buf + len, sizeof(buf) - len, &m);
	sample_ctl_close(&m);
	len += (size_t)natt_ctl_encode(buf + len, sizeof(buf) - len, &m);
	CU_ASSERT_EQUAL_FATAL(len, 19 + 3 + 17);

	static const uint8_t types[] = {NATT_CTL_PARAMS, NATT_CTL_PING, NATT_CTL_CLOSE};
	for (unsigned i = 0; i < 3; i++) {
		n = natt_ctl_decode(&d, buf + off, len - off);
		CU_ASSERT_FATAL(n > 0);
		CU_ASSERT_EQUAL(d.type, types[i]);
		off += (size_t)n;
	}
	CU_ASSERT_EQUAL(off, len);
	CU_ASSERT_EQUAL(natt_ctl_decode(&d, buf + off, 0), NATT_ERR_TRUNCATED);
}

/* ---- encoders never write past cap ---- */

static int enc_header(uint8_t *out, size_t cap, const void *arg)
{
	return natt_header_encode(out, cap, arg);
}

static int enc_cand(uint8_t *out, size_t cap, const void *arg)
{
	return natt_cand_encode(out, cap, arg);
}

static int enc_frame(uint8_t *out, size_t cap, const void *arg)
{
	return natt_frame_encode(out, cap, arg);
}

static int enc_ctl(uint8_t *out, size_t cap, const void *arg)
{
	return natt_ctl_encode(out, cap, arg);
}

struct probe_arg {
	uint8_t type;
	struct natt_probe pr;
	size_t body_len;
};

static int enc_probe(uint8_t *out, size_t cap, const void *arg)
{
	const struct probe_arg *a = arg;

	return natt_probe_encode(out, cap, a->type, &a->pr, a->body_len);
}

struct rdv_arg {
	struct natt_rdv_msg m;
	size_t min_body;
};

static int enc_rdv(uint8_t *out, size_t cap, const void *arg)
{
	const struct rdv_arg *a = arg;

	return natt_rdv_encode(out, cap, &a->m, a->min_body);
}

static void test_encoders_respect_cap(void)
{
	struct natt_header h;
	struct natt_cand c;
	struct natt_frame f;
	struct natt_ctl_msg m;
	struct probe_arg pa;
	struct rdv_arg ra;

	for (unsigned i = 0; i < NTYPES; i++) {
		sample_header(&h, pkt_sizes[i].type);
		check_caps(enc_header, &h);
	}
	make_cand(&c, NATT_CAND_HOST, 6, 1, ip6_a);
	check_caps(enc_cand, &c);

	memset(&f, 0, sizeof(f));
	f.type = NATT_FT_PING;
	check_caps(enc_frame, &f);
	f.type = NATT_FT_MAX_DATA;
	check_caps(enc_frame, &f);
	f.type = NATT_FT_PADDING;
	f.padding.len = 40;
	check_caps(enc_frame, &f);
	sample_ack(&f);
	check_caps(enc_frame, &f);
	sample_stream(&f);
	check_caps(enc_frame, &f);
	sample_close(&f);
	check_caps(enc_frame, &f);

	for (uint8_t t = NATT_PT_PROBE; t <= NATT_PT_PROBE_REPLY; t++) {
		pa.type = t;
		pa.body_len = 80;
		sample_probe(&pa.pr, t);
		check_caps(enc_probe, &pa);
	}
	for (unsigned t = 0; t < NRDV; t++) {
		sample_rdv(&ra.m, rdv_types[t], NATT_MAX_CANDS, NATT_MAX_NAME);
		ra.min_body = 0;
		check_caps(enc_rdv, &ra);
		ra.min_body = 400;
		check_caps(enc_rdv, &ra);
	}

	sample_params(&m);
	check_caps(enc_ctl, &m);
	memset(&m, 0, sizeof(m));
	m.type = NATT_CTL_PING;
	check_caps(enc_ctl, &m);
	sample_ctl_close(&m);
	check_caps(enc_ctl, &m);

	/* A NULL buffer is a zero capacity. */
	CU_ASSERT_EQUAL(natt_ctl_encode(NULL, 100, &m), NATT_ERR_BUFFER);
	CU_ASSERT_EQUAL(natt_frame_encode(NULL, 100, &f), NATT_ERR_BUFFER);
}

/* ---- names ---- */

static void test_names(void)
{
	CU_ASSERT_STRING_EQUAL(natt_pkt_type_name(NATT_PT_HANDSHAKE), "HANDSHAKE");
	CU_ASSERT_STRING_EQUAL(natt_pkt_type_name(NATT_PT_PROBE), "PROBE");
	CU_ASSERT_STRING_EQUAL(natt_pkt_type_name(NATT_PT_PROBE_REPLY), "PROBE_REPLY");
	CU_ASSERT_STRING_EQUAL(natt_pkt_type_name(NATT_PT_UNKNOWN_CID), "UNKNOWN_CID");
	CU_ASSERT_STRING_EQUAL(natt_pkt_type_name(NATT_PT_RDV_REGISTER), "RDV_REGISTER");
	CU_ASSERT_STRING_EQUAL(natt_pkt_type_name(NATT_PT_RDV_REGISTER_ACK), "RDV_REGISTER_ACK");
	CU_ASSERT_STRING_EQUAL(natt_pkt_type_name(NATT_PT_RDV_LOOKUP), "RDV_LOOKUP");
	CU_ASSERT_STRING_EQUAL(natt_pkt_type_name(NATT_PT_RDV_LOOKUP_REPLY), "RDV_LOOKUP_REPLY");
	CU_ASSERT_STRING_EQUAL(natt_pkt_type_name(NATT_PT_RDV_INTRODUCE), "RDV_INTRODUCE");
	CU_ASSERT_STRING_EQUAL(natt_pkt_type_name(NATT_PT_DATA), "DATA");
	CU_ASSERT_STRING_EQUAL(natt_pkt_type_name(0xC0), "unknown");
	CU_ASSERT_STRING_EQUAL(natt_pkt_type_name(0x00), "unknown");

	CU_ASSERT_STRING_EQUAL(natt_frame_type_name(NATT_FT_PADDING), "PADDING");
	CU_ASSERT_STRING_EQUAL(natt_frame_type_name(NATT_FT_PING), "PING");
	CU_ASSERT_STRING_EQUAL(natt_frame_type_name(NATT_FT_ACK), "ACK");
	CU_ASSERT_STRING_EQUAL(natt_frame_type_name(NATT_FT_STREAM), "STREAM");
	CU_ASSERT_STRING_EQUAL(natt_frame_type_name(NATT_FT_MAX_DATA), "MAX_DATA");
	CU_ASSERT_STRING_EQUAL(natt_frame_type_name(NATT_FT_CLOSE), "CLOSE");
	CU_ASSERT_STRING_EQUAL(natt_frame_type_name(0x06), "unknown");

	CU_ASSERT_STRING_EQUAL(natt_close_code_name(NATT_CLOSE_NO_ERROR), "NO_ERROR");
	CU_ASSERT_STRING_EQUAL(natt_close_code_name(NATT_CLOSE_INTERNAL), "INTERNAL");
	CU_ASSERT_STRING_EQUAL(natt_close_code_name(NATT_CLOSE_PROTOCOL_VIOLATION),
			       "PROTOCOL_VIOLATION");
	CU_ASSERT_STRING_EQUAL(natt_close_code_name(NATT_CLOSE_TLS_FAILED), "TLS_FAILED");
	CU_ASSERT_STRING_EQUAL(natt_close_code_name(NATT_CLOSE_RESOURCE_LIMIT), "RESOURCE_LIMIT");
	CU_ASSERT_STRING_EQUAL(natt_close_code_name(NATT_CLOSE_SHUTDOWN), "SHUTDOWN");
	CU_ASSERT_STRING_EQUAL(natt_close_code_name(NATT_CLOSE_IDLE_TIMEOUT), "IDLE_TIMEOUT");
	CU_ASSERT_STRING_EQUAL(natt_close_code_name(7), "unknown");
	CU_ASSERT_STRING_EQUAL(natt_close_code_name(0xFFFF), "unknown");

	CU_ASSERT_STRING_EQUAL(natt_cand_kind_name(NATT_CAND_NONE), "none");
	CU_ASSERT_STRING_EQUAL(natt_cand_kind_name(NATT_CAND_HOST), "host");
	CU_ASSERT_STRING_EQUAL(natt_cand_kind_name(NATT_CAND_SRFLX), "srflx");
	CU_ASSERT_STRING_EQUAL(natt_cand_kind_name(NATT_CAND_RELAY), "relay");
	CU_ASSERT_STRING_EQUAL(natt_cand_kind_name(NATT_CAND_PRFLX), "prflx");
	CU_ASSERT_STRING_EQUAL(natt_cand_kind_name(5), "unknown");
}

static const struct natt_test tests[] = {
	{"classify every first byte", test_classify},
	{"header lengths", test_header_len},
	{"header bytes", test_header_bytes},
	{"header round trip, every type", test_header_roundtrip},
	{"header truncated and too small", test_header_truncated},
	{"header oversize", test_header_oversize},
	{"header bad version", test_header_bad_version},
	{"header reserved types", test_header_reserved},
	{"header UNKNOWN_CID sizes", test_header_unknown_cid},
	{"header zero CIDs", test_header_zero_cids},
	{"candidate round trip", test_cand_roundtrip},
	{"candidate malformed", test_cand_bad},
	{"candidate equality", test_cand_equal},
	{"name set", test_name_set},
	{"frames round trip", test_frame_roundtrip},
	{"ACK without ranges", test_ack_no_ranges},
	{"ACK with 32 ranges", test_ack_32_ranges},
	{"ACK with 33 ranges", test_ack_33_ranges},
	{"ACK below packet 0", test_ack_underflow},
	{"STREAM limits and flags", test_stream_limits},
	{"CLOSE frame reason", test_close_frame_limits},
	{"unknown frame type", test_frame_unknown_type},
	{"PADDING folding", test_padding_fold},
	{"ack-eliciting frames", test_frame_ack_eliciting},
	{"probe round trip", test_probe_roundtrip},
	{"probe malformed", test_probe_bad},
	{"rendezvous minimum bodies", test_rdv_min_body},
	{"rendezvous bytes", test_rdv_bytes},
	{"rendezvous round trip", test_rdv_roundtrip},
	{"rendezvous IPv6 and empty names", test_rdv_ipv6_and_empty_names},
	{"rendezvous truncated", test_rdv_truncated},
	{"rendezvous size invariant (6.4)", test_rdv_size_invariant},
	{"rendezvous sizes", test_rdv_sizes},
	{"rendezvous bad names", test_rdv_bad_names},
	{"rendezvous bad values", test_rdv_bad_values},
	{"rendezvous bad padding", test_rdv_bad_padding},
	{"control round trip", test_ctl_roundtrip},
	{"control unknown types and params", test_ctl_unknown},
	{"control malformed", test_ctl_bad},
	{"control encoder refusals", test_ctl_encode_bad},
	{"control message stream", test_ctl_stream},
	{"encoders respect cap", test_encoders_respect_cap},
	{"names", test_names},
	{NULL, NULL},
};

int natt_suite_wire(void)
{
	return natt_add_suite("wire", tests);
}
