/*
 * test_sendbuf.c: the sending half of the stream (transport/sendbuf.c):
 * the buffer limit, chunking under flow control, retransmission of lost
 * ranges minus what was acknowledged meanwhile, and the FIN.
 */
#include <string.h>

#include "sendbuf.h"
#include "unit.h"

static uint8_t data[100000];

static void fill(void)
{
	for (size_t i = 0; i < sizeof(data); i++)
		data[i] = (uint8_t)(i * 7 + i / 251);
}

static void test_limit(void)
{
	struct natt_sendbuf sb;
	struct natt_chunk c;

	fill();
	natt_sendbuf_init(&sb, 10000);
	CU_ASSERT_EQUAL(natt_sendbuf_space(&sb), 10000);
	CU_ASSERT_EQUAL(natt_sendbuf_write(&sb, data, 6000), 6000);
	CU_ASSERT_EQUAL(natt_sendbuf_write(&sb, data + 6000, 6000), 4000);
	CU_ASSERT_EQUAL(natt_sendbuf_write(&sb, data, 1), 0);
	CU_ASSERT_EQUAL(natt_sendbuf_held(&sb), 10000);
	/* Acknowledging frees space. */
	CU_ASSERT_TRUE(natt_sendbuf_next(&sb, 3000, UINT64_MAX, &c));
	natt_sendbuf_on_sent(&sb, &c);
	natt_sendbuf_on_acked(&sb, c.offset, c.len, c.fin);
	CU_ASSERT_EQUAL(sb.base, 3000);
	CU_ASSERT_EQUAL(natt_sendbuf_space(&sb), 3000);
	CU_ASSERT_EQUAL(natt_sendbuf_write(&sb, data + 10000, 5000), 3000);
	natt_sendbuf_finish(&sb);
	CU_ASSERT_EQUAL(natt_sendbuf_write(&sb, data, 1), NATT_ERR_INVALID);
	natt_sendbuf_free(&sb);
}

/* The ring wraps and grows; the bytes come back out unchanged. */
static void test_bytes(void)
{
	struct natt_sendbuf sb;
	struct natt_chunk c;
	uint8_t out[2000];
	uint64_t off = 0;
	size_t in = 0;
	int bad = 0;

	fill();
	natt_sendbuf_init(&sb, 50000);
	while (off < sizeof(data)) {
		long n = natt_sendbuf_write(&sb, data + in, sizeof(data) - in);

		in += n > 0 ? (size_t)n : 0;
		while (natt_sendbuf_next(&sb, 1500, UINT64_MAX, &c) && c.len > 0) {
			natt_sendbuf_copy(&sb, c.offset, c.len, out);
			bad += c.offset != off || memcmp(out, data + c.offset, c.len) != 0;
			natt_sendbuf_on_sent(&sb, &c);
			natt_sendbuf_on_acked(&sb, c.offset, c.len, false);
			off += c.len;
		}
	}
	CU_ASSERT_EQUAL(bad, 0);
	CU_ASSERT_EQUAL(off, sizeof(data));
	CU_ASSERT_EQUAL(sb.base, sizeof(data));
	natt_sendbuf_free(&sb);
}

static void test_flow_limit(void)
{
	struct natt_sendbuf sb;
	struct natt_chunk c;

	fill();
	natt_sendbuf_init(&sb, 100000);
	natt_sendbuf_write(&sb, data, 5000);
	CU_ASSERT_TRUE(natt_sendbuf_next(&sb, 1000, 1500, &c));
	CU_ASSERT_EQUAL(c.len, 1000);
	natt_sendbuf_on_sent(&sb, &c);
	CU_ASSERT_TRUE(natt_sendbuf_next(&sb, 1000, 1500, &c));
	CU_ASSERT_EQUAL(c.offset, 1000);
	CU_ASSERT_EQUAL(c.len, 500);
	natt_sendbuf_on_sent(&sb, &c);
	CU_ASSERT_FALSE(natt_sendbuf_next(&sb, 1000, 1500, &c)); /* blocked */
	natt_sendbuf_free(&sb);
}

static void test_retransmit(void)
{
	struct natt_sendbuf sb;
	struct natt_chunk c[6];

	fill();
	natt_sendbuf_init(&sb, 100000);
	natt_sendbuf_write(&sb, data, 6000);
	natt_sendbuf_finish(&sb);
	for (int i = 0; i < 6; i++) {
		CU_ASSERT_TRUE(natt_sendbuf_next(&sb, 1000, UINT64_MAX, &c[i]));
		natt_sendbuf_on_sent(&sb, &c[i]);
	}
	CU_ASSERT_TRUE(c[5].fin);
	CU_ASSERT_FALSE(c[4].fin);
	CU_ASSERT_TRUE(sb.fin_sent);
	/* 1 and 5 lost, 3 acked late after being declared lost. */
	natt_sendbuf_on_lost(&sb, c[1].offset, c[1].len, c[1].fin);
	natt_sendbuf_on_lost(&sb, c[3].offset, c[3].len, c[3].fin);
	natt_sendbuf_on_lost(&sb, c[5].offset, c[5].len, c[5].fin);
	natt_sendbuf_on_acked(&sb, c[3].offset, c[3].len, c[3].fin);
	natt_sendbuf_on_acked(&sb, c[0].offset, c[0].len, false);
	CU_ASSERT_EQUAL(sb.base, 1000);
	struct natt_chunk r;
	CU_ASSERT_TRUE(natt_sendbuf_next(&sb, 5000, UINT64_MAX, &r));
	CU_ASSERT_TRUE(r.retx);
	CU_ASSERT_EQUAL(r.offset, 1000);
	CU_ASSERT_EQUAL(r.len, 1000);
	CU_ASSERT_FALSE(r.fin);
	natt_sendbuf_on_sent(&sb, &r);
	CU_ASSERT_TRUE(natt_sendbuf_next(&sb, 5000, UINT64_MAX, &r));
	CU_ASSERT_EQUAL(r.offset, 5000); /* 3000..3999 was acked: skipped */
	CU_ASSERT_EQUAL(r.len, 1000);
	CU_ASSERT_TRUE(r.fin); /* the lost FIN goes again */
	natt_sendbuf_on_sent(&sb, &r);
	CU_ASSERT_FALSE(natt_sendbuf_next(&sb, 5000, UINT64_MAX, &r));
	/* Everything acked: done. */
	for (int i = 0; i < 6; i++)
		natt_sendbuf_on_acked(&sb, c[i].offset, c[i].len, c[i].fin);
	CU_ASSERT_TRUE(natt_sendbuf_done(&sb));
	CU_ASSERT_EQUAL(natt_sendbuf_held(&sb), 0);
	natt_sendbuf_free(&sb);
}

static void test_lone_fin_and_probe(void)
{
	struct natt_sendbuf sb;
	struct natt_chunk c, p;

	fill();
	natt_sendbuf_init(&sb, 100000);
	natt_sendbuf_write(&sb, data, 100);
	CU_ASSERT_TRUE(natt_sendbuf_next(&sb, 1000, UINT64_MAX, &c));
	natt_sendbuf_on_sent(&sb, &c);
	CU_ASSERT_FALSE(c.fin);
	/* A probe resends the oldest unacknowledged bytes. */
	CU_ASSERT_TRUE(natt_sendbuf_oldest_unacked(&sb, 1000, &p));
	CU_ASSERT_EQUAL(p.offset, 0);
	CU_ASSERT_EQUAL(p.len, 100);
	natt_sendbuf_on_acked(&sb, 0, 100, false);
	CU_ASSERT_FALSE(natt_sendbuf_oldest_unacked(&sb, 1000, &p));
	/* FIN after the data went out: a lone FIN at offset 100. */
	natt_sendbuf_finish(&sb);
	CU_ASSERT_TRUE(natt_sendbuf_next(&sb, 1000, UINT64_MAX, &c));
	CU_ASSERT_TRUE(c.fin);
	CU_ASSERT_EQUAL(c.offset, 100);
	CU_ASSERT_EQUAL(c.len, 0);
	natt_sendbuf_on_sent(&sb, &c);
	CU_ASSERT_FALSE(natt_sendbuf_next(&sb, 1000, UINT64_MAX, &c));
	CU_ASSERT_TRUE(natt_sendbuf_oldest_unacked(&sb, 1000, &p));
	CU_ASSERT_TRUE(p.fin);
	natt_sendbuf_on_lost(&sb, 100, 0, true);
	CU_ASSERT_TRUE(natt_sendbuf_next(&sb, 1000, UINT64_MAX, &c));
	CU_ASSERT_TRUE(c.fin);
	CU_ASSERT_TRUE(c.retx);
	natt_sendbuf_on_sent(&sb, &c);
	natt_sendbuf_on_acked(&sb, 100, 0, true);
	CU_ASSERT_TRUE(natt_sendbuf_done(&sb));
	natt_sendbuf_free(&sb);
}

static const struct natt_test tests[] = {
	{"buffer limit", test_limit},
	{"bytes through the ring", test_bytes},
	{"flow control limit", test_flow_limit},
	{"lost ranges minus late acks, FIN resent", test_retransmit},
	{"lone FIN and probe data", test_lone_fin_and_probe},
	{NULL, NULL},
};

int natt_suite_sendbuf(void)
{
	return natt_add_suite("sendbuf", tests);
}
