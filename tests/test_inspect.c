/*
 * test_inspect.c: natt-inspect's internals (tools/natt-inspect/): link and
 * IP parsing, fragment reassembly, the sequence tracker behind nonce-reuse,
 * the plaintext detectors, the key log, the sample set and the check
 * score.  The whole tool is tested on captures by tests/inspect.sh.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "../tools/natt-inspect/checks.h"
#include "../tools/natt-inspect/keylog.h"
#include "../tools/natt-inspect/leak.h"
#include "../tools/natt-inspect/netparse.h"
#include "../tools/natt-inspect/reasm.h"
#include "../tools/natt-inspect/samples.h"
#include "../tools/natt-inspect/seqtrack.h"
#include "unit.h"

/* Also declared in unit.h once the runner lists the suite. */
int natt_suite_inspect(void);

/* ---- frames ---- */

/* An IPv4 UDP packet 192.0.2.1:1000 -> 192.0.2.2:2000 with payload_len
 * bytes of 0xd0, at p; returns its length. */
static size_t ipv4_udp(uint8_t *p, size_t payload_len)
{
	size_t total = 20 + 8 + payload_len;

	memset(p, 0, total);
	p[0] = 0x45;
	p[2] = (uint8_t)(total >> 8);
	p[3] = (uint8_t)total;
	p[8] = 64;
	p[9] = 17;
	p[12] = 192, p[13] = 0, p[14] = 2, p[15] = 1;
	p[16] = 192, p[17] = 0, p[18] = 2, p[19] = 2;
	p[20] = 0x03, p[21] = 0xe8; /* 1000 */
	p[22] = 0x07, p[23] = 0xd0; /* 2000 */
	p[24] = (uint8_t)((8 + payload_len) >> 8);
	p[25] = (uint8_t)(8 + payload_len);
	memset(p + 28, 0xd0, payload_len);
	return total;
}

static void test_ethernet_vlan(void)
{
	uint8_t f[200];
	struct ins_ip ip;
	struct ins_udp u;
	size_t n;

	memset(f, 0, 22);
	f[12] = 0x88, f[13] = 0xa8; /* S-tag */
	f[16] = 0x81, f[17] = 0x00; /* C-tag */
	f[20] = 0x08, f[21] = 0x00;
	n = 22 + ipv4_udp(f + 22, 10);
	CU_ASSERT_EQUAL(ins_parse_frame(INS_DLT_EN10MB, f, n, n, &ip), INS_P_OK);
	CU_ASSERT_EQUAL(ip.proto, 17);
	CU_ASSERT_EQUAL(ip.total_len, 38);
	CU_ASSERT_EQUAL(
		ins_parse_udp(&ip, ip.payload, ip.payload_len, ip.total_len - ip.hdr_len, &u),
		INS_P_OK);
	CU_ASSERT_EQUAL(u.sport, 1000);
	CU_ASSERT_EQUAL(u.dport, 2000);
	CU_ASSERT_EQUAL(u.len, 10);
	CU_ASSERT_FALSE(u.len_mismatch);
	/* ARP is not IP; five tags are too many. */
	f[20] = 0x08, f[21] = 0x06;
	CU_ASSERT_EQUAL(ins_parse_frame(INS_DLT_EN10MB, f, n, n, &ip), INS_P_NOT_IP);
	for (int i = 0; i < 5; i++)
		f[12 + 4 * i] = 0x81, f[13 + 4 * i] = 0x00;
	CU_ASSERT_EQUAL(ins_parse_frame(INS_DLT_EN10MB, f, n, n, &ip), INS_P_MALFORMED);
}

static void test_cooked_and_null(void)
{
	uint8_t f[200];
	struct ins_ip ip;
	uint32_t af = 2;
	size_t n;

	memset(f, 0, 20);
	f[14] = 0x08; /* SLL v1: protocol at 14 */
	n = 16 + ipv4_udp(f + 16, 4);
	CU_ASSERT_EQUAL(ins_parse_frame(INS_DLT_LINUX_SLL, f, n, n, &ip), INS_P_OK);
	memset(f, 0, 20);
	f[0] = 0x08; /* SLL v2: protocol at 0 */
	n = 20 + ipv4_udp(f + 20, 4);
	CU_ASSERT_EQUAL(ins_parse_frame(INS_DLT_LINUX_SLL2, f, n, n, &ip), INS_P_OK);
	memcpy(f, &af, 4); /* DLT_NULL: host order */
	n = 4 + ipv4_udp(f + 4, 4);
	CU_ASSERT_EQUAL(ins_parse_frame(INS_DLT_NULL, f, n, n, &ip), INS_P_OK);
	f[0] = f[1] = f[2] = 0, f[3] = 2; /* big-endian also recognised */
	CU_ASSERT_EQUAL(ins_parse_frame(INS_DLT_NULL, f, n, n, &ip), INS_P_OK);
	f[3] = 7; /* not an IP family */
	CU_ASSERT_EQUAL(ins_parse_frame(INS_DLT_NULL, f, n, n, &ip), INS_P_NOT_IP);
	/* LINKTYPE_IPV6 holding IPv4 is malformed. */
	n = ipv4_udp(f, 4);
	CU_ASSERT_EQUAL(ins_parse_frame(INS_DLT_IPV6, f, n, n, &ip), INS_P_MALFORMED);
	CU_ASSERT_FALSE(ins_link_supported(147));
}

static void test_ip_lengths(void)
{
	uint8_t f[200];
	struct ins_ip ip;
	size_t n = ipv4_udp(f, 20);

	/* cut inside the header: CUT; claiming more than the wire: MALFORMED */
	CU_ASSERT_EQUAL(ins_parse_ip(f, 10, n, &ip), INS_P_CUT);
	CU_ASSERT_EQUAL(ins_parse_ip(f, n, n - 1, &ip), INS_P_MALFORMED);
	CU_ASSERT_EQUAL(ins_parse_ip(f, 30, n, &ip), INS_P_OK);
	CU_ASSERT_TRUE(ip.cut);
	CU_ASSERT_EQUAL(ip.payload_len, 10);
	f[0] = 0x44; /* IHL 4 */
	CU_ASSERT_EQUAL(ins_parse_ip(f, n, n, &ip), INS_P_MALFORMED);
	f[0] = 0x55; /* version 5 */
	CU_ASSERT_EQUAL(ins_parse_ip(f, n, n, &ip), INS_P_MALFORMED);
}

/* IPv6 with a hop-by-hop header, then a fragment header. */
static void test_ipv6_ext(void)
{
	uint8_t f[200];
	struct ins_ip ip;

	memset(f, 0, sizeof(f));
	f[0] = 0x60;
	f[5] = 8 + 8 + 16;	    /* payload: HBH 8, fragment 8, data 16 */
	f[6] = 0;		    /* hop-by-hop */
	f[40] = 44;		    /* next: fragment */
	f[48] = 17;		    /* fragment's next: UDP */
	f[50] = 0x00, f[51] = 0x01; /* offset 0, more fragments */
	f[52] = 0xde, f[53] = 0xad, f[54] = 0xbe, f[55] = 0xef;
	CU_ASSERT_EQUAL(ins_parse_ip(f, 72, 72, &ip), INS_P_OK);
	CU_ASSERT_TRUE(ip.fragment);
	CU_ASSERT_TRUE(ip.frag_more);
	CU_ASSERT_EQUAL(ip.frag_id, 0xdeadbeef);
	CU_ASSERT_EQUAL(ip.proto, 17);
	CU_ASSERT_EQUAL(ip.hdr_len, 56);
	CU_ASSERT_EQUAL(ip.payload_len, 16);
	f[5] = 0; /* jumbogram: refused */
	CU_ASSERT_EQUAL(ins_parse_ip(f, 72, 72, &ip), INS_P_MALFORMED);
}

/* ---- reassembly ---- */

static struct ins_ip frag(uint16_t id, size_t off, bool more, const uint8_t *data, size_t len)
{
	struct ins_ip ip;

	memset(&ip, 0, sizeof(ip));
	ip.src.family = ip.dst.family = 4;
	ip.src.a[0] = 10, ip.dst.a[0] = 11;
	ip.proto = 17;
	ip.hdr_len = 20;
	ip.fragment = true;
	ip.frag_id = id;
	ip.frag_off = off;
	ip.frag_more = more;
	ip.payload = data;
	ip.payload_len = len;
	return ip;
}

static void test_reasm_out_of_order(void)
{
	struct ins_reasm *r = ins_reasm_new(4, INS_REASM_TIMEOUT);
	uint8_t data[48];
	const uint8_t *out;
	size_t out_len, hdr;
	unsigned n;
	struct ins_ip ip;

	CU_ASSERT_PTR_NOT_NULL_FATAL(r);
	for (size_t i = 0; i < sizeof(data); i++)
		data[i] = (uint8_t)i;
	ip = frag(7, 32, false, data + 32, 16);
	CU_ASSERT_EQUAL(ins_reasm_add(r, 0, &ip, &out, &out_len, &n, &hdr), INS_REASM_MORE);
	ip = frag(7, 0, true, data, 16);
	CU_ASSERT_EQUAL(ins_reasm_add(r, 1, &ip, &out, &out_len, &n, &hdr), INS_REASM_MORE);
	/* an exact repeat is ignored */
	CU_ASSERT_EQUAL(ins_reasm_add(r, 2, &ip, &out, &out_len, &n, &hdr), INS_REASM_MORE);
	ip = frag(7, 16, true, data + 16, 16);
	CU_ASSERT_EQUAL_FATAL(ins_reasm_add(r, 3, &ip, &out, &out_len, &n, &hdr), INS_REASM_DONE);
	CU_ASSERT_EQUAL(out_len, 48);
	CU_ASSERT_EQUAL(n, 3);
	CU_ASSERT_EQUAL(hdr, 20);
	CU_ASSERT_EQUAL(memcmp(out, data, 48), 0);
	CU_ASSERT_EQUAL(ins_reasm_stats(r)->reassembled, 1);
	ins_reasm_free(r);
}

static void test_reasm_limits(void)
{
	struct ins_reasm *r = ins_reasm_new(2, 30 * NATT_SEC);
	uint8_t data[32] = {0};
	const uint8_t *out;
	size_t out_len, hdr;
	unsigned n;
	struct ins_ip ip;

	CU_ASSERT_PTR_NOT_NULL_FATAL(r);
	/* overlap: the whole datagram is dropped */
	ip = frag(1, 0, true, data, 16);
	ins_reasm_add(r, 0, &ip, &out, &out_len, &n, &hdr);
	ip = frag(1, 8, true, data, 16);
	CU_ASSERT_EQUAL(ins_reasm_add(r, 0, &ip, &out, &out_len, &n, &hdr), INS_REASM_DROP);
	CU_ASSERT_EQUAL(ins_reasm_stats(r)->overlaps, 1);
	/* a non-final fragment not a multiple of 8 */
	ip = frag(2, 0, true, data, 12);
	CU_ASSERT_EQUAL(ins_reasm_add(r, 0, &ip, &out, &out_len, &n, &hdr), INS_REASM_DROP);
	CU_ASSERT_EQUAL(ins_reasm_stats(r)->bad, 1);
	/* a third datagram evicts the oldest; the timeout drops the rest */
	for (uint16_t id = 3; id < 6; id++) {
		ip = frag(id, 0, true, data, 16);
		ins_reasm_add(r, id, &ip, &out, &out_len, &n, &hdr);
	}
	CU_ASSERT_EQUAL(ins_reasm_stats(r)->evicted, 1);
	ins_reasm_expire(r, 60 * NATT_SEC);
	CU_ASSERT_EQUAL(ins_reasm_stats(r)->timeouts, 2);
	ins_reasm_free(r);
}

/* ---- sequence tracking ---- */

static int add(struct ins_seqtrack *t, uint64_t seq, uint32_t fp, struct ins_seq_result *r)
{
	CU_ASSERT_EQUAL(ins_seqtrack_add(t, INS_SPACE_DATA, 42, 0, seq, fp, r), NATT_OK);
	return r->verdict;
}

static void test_seq_verdicts(void)
{
	struct ins_seqtrack *t = ins_seqtrack_new(4, 4);
	struct ins_seq_result r;
	uint64_t hi = 0;

	CU_ASSERT_PTR_NOT_NULL_FATAL(t);
	CU_ASSERT_EQUAL(add(t, 0, 100, &r), INS_SEQ_NEW);
	CU_ASSERT_TRUE(r.first);
	CU_ASSERT_EQUAL(add(t, 3, 103, &r), INS_SEQ_NEW);
	CU_ASSERT_EQUAL(r.skipped, 2);
	CU_ASSERT_EQUAL(add(t, 2, 102, &r), INS_SEQ_LATE);
	CU_ASSERT_EQUAL(add(t, 2, 102, &r), INS_SEQ_DUP);
	CU_ASSERT_EQUAL(add(t, 2, 999, &r), INS_SEQ_REUSE);
	CU_ASSERT_EQUAL(add(t, 10 + INS_SEQ_MAX_GAP, 1, &r), INS_SEQ_NEW);
	CU_ASSERT_TRUE(r.jump);
	CU_ASSERT_EQUAL(r.skipped, 0);
	CU_ASSERT_TRUE(ins_seqtrack_highest(t, INS_SPACE_DATA, 42, 0, &hi));
	CU_ASSERT_EQUAL(hi, 10 + INS_SEQ_MAX_GAP);
	/* another epoch, another space, another cid: other streams */
	CU_ASSERT_EQUAL(ins_seqtrack_add(t, INS_SPACE_DATA, 42, 1, 2, 5, &r), NATT_OK);
	CU_ASSERT_EQUAL(r.verdict, INS_SEQ_NEW);
	CU_ASSERT_EQUAL(ins_seqtrack_add(t, INS_SPACE_HANDSHAKE, 42, 0, 2, 5, &r), NATT_OK);
	CU_ASSERT_EQUAL(r.verdict, INS_SEQ_NEW);
	CU_ASSERT_EQUAL(ins_seqtrack_add(t, INS_SPACE_DATA, 43, 0, 0, 5, &r), NATT_OK);
	CU_ASSERT_EQUAL(ins_seqtrack_add(t, INS_SPACE_DATA, 44, 0, 0, 5, &r), NATT_ERR_FULL);
	ins_seqtrack_free(t);
}

/* With a budget of two chunks, old numbers are reported unchecked, never
 * as new or as a reuse. */
static void test_seq_budget(void)
{
	struct ins_seqtrack *t = ins_seqtrack_new(4, 2);
	struct ins_seq_result r;

	CU_ASSERT_PTR_NOT_NULL_FATAL(t);
	add(t, 0, 1, &r);
	add(t, INS_SEQ_CHUNK, 1, &r);
	add(t, 2 * INS_SEQ_CHUNK, 1, &r); /* evicts chunk 0 */
	CU_ASSERT_EQUAL(ins_seqtrack_stats(t)->evicted, 1);
	CU_ASSERT_EQUAL(ins_seqtrack_stats(t)->chunks, 2);
	CU_ASSERT_EQUAL(add(t, 0, 2, &r), INS_SEQ_UNCHECKED);
	CU_ASSERT_EQUAL(ins_seqtrack_stats(t)->unchecked, 1);
	ins_seqtrack_free(t);
}

static void test_fingerprint(void)
{
	uint8_t a[40], b[40];

	memset(a, 1, sizeof(a));
	memcpy(b, a, sizeof(b));
	CU_ASSERT_EQUAL(ins_seq_fingerprint(a, 40), ins_seq_fingerprint(b, 40));
	b[39] ^= 1; /* the tag differs */
	CU_ASSERT_NOT_EQUAL(ins_seq_fingerprint(a, 40), ins_seq_fingerprint(b, 40));
	CU_ASSERT_NOT_EQUAL(ins_seq_fingerprint(a, 40), ins_seq_fingerprint(a, 39));
}

/* ---- plaintext detectors ---- */

static void test_entropy(void)
{
	uint8_t p[256];
	double e;

	for (int i = 0; i < 256; i++)
		p[i] = (uint8_t)i;
	CU_ASSERT_DOUBLE_EQUAL(ins_entropy(p, 256), 8.0, 1e-9);
	memset(p, 'a', 64);
	CU_ASSERT_DOUBLE_EQUAL(ins_entropy(p, 64), 0.0, 1e-9);
	CU_ASSERT_DOUBLE_EQUAL(ins_entropy_threshold(64), 4.5, 1e-9);
	CU_ASSERT_DOUBLE_EQUAL(ins_entropy_threshold(256), 6.5, 1e-9);
	/* 64 zero bytes: low entropy; 63 are too few to judge */
	memset(p, 0, sizeof(p));
	CU_ASSERT_EQUAL(ins_leak_scan(NATT_PT_DATA, p, 64, &e), INS_LEAK_ENTROPY);
	CU_ASSERT_EQUAL(ins_leak_scan(NATT_PT_DATA, p, 63, &e), INS_LEAK_NONE);
	CU_ASSERT_EQUAL(e, -1);
	/* a spread of byte values: fine */
	for (int i = 0; i < 256; i++)
		p[i] = (uint8_t)(i * 167 + 13);
	CU_ASSERT_EQUAL(ins_leak_scan(NATT_PT_DATA, p, 256, &e), INS_LEAK_NONE);
}

static void test_ip_header_leak(void)
{
	uint8_t p[100];
	double e;
	size_t n = ipv4_udp(p, 40);
	uint32_t sum = 0;

	for (int i = 0; i < 20; i += 2)
		sum += (uint32_t)(p[i] << 8 | p[i + 1]);
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	p[10] = (uint8_t)(~sum >> 8);
	p[11] = (uint8_t)~sum;
	CU_ASSERT_EQUAL(ins_leak_scan(NATT_PT_DATA, p, n, &e), INS_LEAK_IP_HEADER);
	p[11] ^= 1; /* a wrong checksum: not an IPv4 header */
	CU_ASSERT_NOT_EQUAL(ins_leak_scan(NATT_PT_DATA, p, n, &e), INS_LEAK_IP_HEADER);
}

static void test_openvpn_pair(void)
{
	const uint8_t a[4] = {0x48, 0, 0, 1}, b[4] = {0x48, 0, 0, 2}, c[4] = {0xc8, 0, 0, 1};

	CU_ASSERT_TRUE(ins_leak_openvpn_pair(a, a));
	CU_ASSERT_FALSE(ins_leak_openvpn_pair(a, b));
	CU_ASSERT_FALSE(ins_leak_openvpn_pair(c, c)); /* opcode 25: not OpenVPN's */
}

/* ---- key log ---- */

static void test_keylog_syntax(void)
{
	static const struct {
		const char *text;
		const char *err;
	} bad[] = {
		{"NATT_DATA_SECRET 0102", "x:1:"},
		{"# c\nNATT_DATA_SECRET 01020304050607zz aes-256-gcm "
		 "00",
		 "x:2: the connection"},
		{"NATT_DATA_SECRET 0102030405060708 des aa", "x:1: the cipher"},
		{"NATT_DATA_SECRET 0102030405060708 aes-256-gcm abcd", "x:1: the secret"},
		{"NATT_DATA_SECRET 0102030405060708 aes-256-gcm "
		 "0000000000000000000000000000000000000000000000000000000000000000\n"
		 "NATT_DATA_SECRET 0102030405060708 aes-256-gcm "
		 "1111111111111111111111111111111111111111111111111111111111111111",
		 "x:2: this connection ID"},
	};
	struct ins_keylog *k;
	char err[256];

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err[0] = '\0';
		CU_ASSERT_EQUAL(ins_keylog_parse(&k, bad[i].text, strlen(bad[i].text), "x", err,
						 sizeof(err)),
				NATT_ERR_SYNTAX);
		CU_ASSERT_PTR_NULL(k);
		CU_ASSERT_PTR_NOT_NULL(strstr(err, bad[i].err));
	}
}

/* Reads one "key: hex" line of a vector file. */
static long vec_field(const char *name, const char *key, uint8_t *out, size_t cap)
{
	char line[8192];
	size_t klen = strlen(key);
	long n = -1;
	FILE *f = fopen(natt_test_path(name), "r");

	if (f == NULL)
		return -1;
	while (n < 0 && fgets(line, sizeof(line), f) != NULL)
		if (strncmp(line, key, klen) == 0 && line[klen] == ':')
			n = natt_test_unhex(line + klen + 1, out, cap);
	fclose(f);
	return n;
}

static void test_keylog_opens_vectors(void)
{
	static const char text[] =
		"# vectors\n\n  NATT_DATA_SECRET 5152535455565758 AES-256-GCM "
		"404142434445464748494a4b4c4d4e4f505152535455565758595a5b5c5d5e5f\r\n";
	static const char *const vecs[] = {"vectors/data.vec", "vectors/data_epoch1.vec",
					   "vectors/data.vec"};
	static const uint64_t epochs[] = {0, 1, 0};
	struct ins_keylog *k;
	uint8_t pkt[2048], body[2048], out[2048];
	struct natt_header h;
	char err[256];
	uint64_t epoch;

	CU_ASSERT_EQUAL_FATAL(ins_keylog_parse(&k, text, strlen(text), "t", err, sizeof(err)),
			      NATT_OK);
	CU_ASSERT_EQUAL(ins_keylog_count(k), 1);
	for (size_t i = 0; i < 3; i++) {
		long n = vec_field(vecs[i], "packet", pkt, sizeof(pkt));
		long b = vec_field(vecs[i], "body", body, sizeof(body));
		CU_ASSERT_FATAL(n > 0 && b > 0);
		CU_ASSERT_EQUAL_FATAL(natt_header_decode(&h, pkt, (size_t)n), NATT_OK);
		CU_ASSERT_EQUAL(ins_keylog_open(k, &h, pkt, (size_t)n, out, sizeof(out), &epoch),
				b);
		CU_ASSERT_EQUAL(epoch, epochs[i]);
		CU_ASSERT_EQUAL(memcmp(out, body, (size_t)b), 0);
		if (i == 2) {
			pkt[n - 1] ^= 1;
			CU_ASSERT_EQUAL(
				ins_keylog_open(k, &h, pkt, (size_t)n, out, sizeof(out), &epoch),
				NATT_ERR_AUTH);
			h.dcid ^= 1;
			CU_ASSERT_EQUAL(
				ins_keylog_open(k, &h, pkt, (size_t)n, out, sizeof(out), &epoch),
				NATT_ERR_WRONG_PURPOSE);
		}
	}
	ins_keylog_free(k);
}

/* ---- samples and checks ---- */

static void test_samples(void)
{
	static struct ins_samples s;

	ins_samples_init(&s);
	CU_ASSERT_EQUAL(ins_samples_median(&s), 0);
	ins_samples_add(&s, 30);
	ins_samples_add(&s, 10);
	ins_samples_add(&s, 20);
	CU_ASSERT_EQUAL(ins_samples_median(&s), 20);
	CU_ASSERT_EQUAL(s.min, 10);
	CU_ASSERT_EQUAL(s.max, 30);
	for (uint64_t i = 0; i < 10000; i++)
		ins_samples_add(&s, 1000 + i % 100);
	CU_ASSERT_EQUAL(s.count, 10003);
	CU_ASSERT_EQUAL(s.n, INS_SAMPLES_MAX);
	CU_ASSERT_EQUAL(s.min, 10);
	CU_ASSERT_EQUAL(s.max, 1099);
	CU_ASSERT(ins_samples_median(&s) >= 1030 && ins_samples_median(&s) <= 1070);
}

static void test_check_status(void)
{
	struct ins_checks c;
	const char *reason;

	ins_checks_init(&c, false, false);
	CU_ASSERT_EQUAL(ins_check_by_id("nonce-reuse"), INS_CK_NONCE_REUSE);
	CU_ASSERT_EQUAL(ins_check_by_id("nope"), -1);
	CU_ASSERT_EQUAL(ins_check_status(&c, INS_CK_ACK_UNSENT, &reason), INS_ST_NOT_RUN);
	CU_ASSERT_PTR_NOT_NULL(reason);
	CU_ASSERT_EQUAL(ins_check_status(&c, INS_CK_FRAMING, &reason), INS_ST_PASS);
	ins_checks_fail(&c, INS_CK_MTU, 7, "big %d", 1600);
	ins_checks_fail(&c, INS_CK_MTU, 9, "bigger");
	CU_ASSERT_EQUAL(ins_check_status(&c, INS_CK_MTU, NULL), INS_ST_WARN);
	CU_ASSERT_EQUAL(c.r[INS_CK_MTU].failures, 2);
	CU_ASSERT_EQUAL(c.r[INS_CK_MTU].first_packet, 7);
	CU_ASSERT_STRING_EQUAL(c.r[INS_CK_MTU].detail, "big 1600");
	CU_ASSERT_FALSE(ins_checks_failed(&c, false));
	CU_ASSERT_TRUE(ins_checks_failed(&c, true));
	ins_checks_fail(&c, INS_CK_LENGTHS, 3, "short");
	CU_ASSERT_TRUE(ins_checks_failed(&c, false));
}

static const struct natt_test tests[] = {
	{"ethernet with 802.1ad and 802.1Q tags", test_ethernet_vlan},
	{"Linux cooked v1/v2, BSD null, raw IPv6", test_cooked_and_null},
	{"IPv4 header lengths, cut and malformed", test_ip_lengths},
	{"IPv6 extension and fragment headers", test_ipv6_ext},
	{"reassembly out of order", test_reasm_out_of_order},
	{"reassembly overlap, bad, eviction, timeout", test_reasm_limits},
	{"sequence verdicts", test_seq_verdicts},
	{"sequence chunk budget", test_seq_budget},
	{"packet fingerprint", test_fingerprint},
	{"entropy detector", test_entropy},
	{"IP header detector", test_ip_header_leak},
	{"OpenVPN pattern detector", test_openvpn_pair},
	{"key log syntax errors", test_keylog_syntax},
	{"key log opens the DATA vectors", test_keylog_opens_vectors},
	{"sample set", test_samples},
	{"check status", test_check_status},
	{NULL, NULL},
};

int natt_suite_inspect(void)
{
	return natt_add_suite("inspect", tests);
}
