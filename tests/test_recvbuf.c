/*
 * test_recvbuf.c: the reorder buffer (transport/recvbuf.c): random arrival
 * orders reassemble exactly, out-of-order accounting, final size rules,
 * the flow-control bound and growth of the ring.
 */
#include <string.h>

#include "recvbuf.h"
#include "sim.h"
#include "unit.h"

#define LEN 60000

static uint8_t src[LEN];

static void fill(void)
{
	for (size_t i = 0; i < LEN; i++)
		src[i] = (uint8_t)(i ^ (i >> 8) ^ 0x5a);
}

static void test_reassembly(void)
{
	struct sim_prng rng;
	int bad = 0;

	fill();
	sim_prng_seed(&rng, 11);
	for (int round = 0; round < 20; round++) {
		struct natt_recvbuf rb;
		uint8_t out[LEN];
		size_t got = 0;

		CU_ASSERT_EQUAL_FATAL(natt_recvbuf_init(&rb, 1024, 65536), NATT_OK);
		CU_ASSERT_EQUAL(natt_recvbuf_reserve(&rb, 65536), NATT_OK);
		while (!natt_recvbuf_complete(&rb)) {
			uint64_t off = sim_prng_next(&rng) % LEN;
			size_t len = 1 + sim_prng_next(&rng) % 1500;

			if (off + len > LEN)
				len = LEN - off;
			bad += natt_recvbuf_insert(&rb, off, src + off, len, off + len == LEN) !=
			       NATT_OK;
			bad += rb.ooo_bytes != natt_ranges_total(&rb.ooo);
			got += natt_recvbuf_read(&rb, out + got, LEN - got);
		}
		got += natt_recvbuf_read(&rb, out + got, LEN - got);
		bad += got != LEN || memcmp(out, src, LEN) != 0;
		bad += !natt_recvbuf_eof(&rb) || rb.ooo_bytes != 0;
		natt_recvbuf_free(&rb);
	}
	CU_ASSERT_EQUAL(bad, 0);
}

static void test_ooo_accounting(void)
{
	struct natt_recvbuf rb;

	fill();
	natt_recvbuf_init(&rb, 65536, 65536);
	CU_ASSERT_EQUAL(natt_recvbuf_ooo_after(&rb, 0, 1000), 0); /* in order */
	CU_ASSERT_EQUAL(natt_recvbuf_ooo_after(&rb, 1000, 1000), 1000);
	natt_recvbuf_insert(&rb, 1000, src + 1000, 1000, false);
	natt_recvbuf_insert(&rb, 3000, src + 3000, 1000, false);
	CU_ASSERT_EQUAL(rb.ooo_bytes, 2000);
	CU_ASSERT_EQUAL(natt_recvbuf_ooo_after(&rb, 1500, 1000), 2500); /* half new */
	CU_ASSERT_EQUAL(natt_recvbuf_readable(&rb), 0);
	natt_recvbuf_insert(&rb, 0, src, 1000, false);
	CU_ASSERT_EQUAL(rb.contig, 2000);
	CU_ASSERT_EQUAL(rb.ooo_bytes, 1000);
	natt_recvbuf_insert(&rb, 1500, src + 1500, 2000, false); /* bridges the hole */
	CU_ASSERT_EQUAL(rb.contig, 4000);
	CU_ASSERT_EQUAL(rb.ooo_bytes, 0);
	natt_recvbuf_free(&rb);
}

static void test_final_size(void)
{
	struct natt_recvbuf rb;

	fill();
	natt_recvbuf_init(&rb, 65536, 65536);
	CU_ASSERT_EQUAL(natt_recvbuf_insert(&rb, 2000, src + 2000, 100, false), NATT_OK);
	/* A FIN below data already received. */
	CU_ASSERT_EQUAL(natt_recvbuf_check(&rb, 0, 1000, true), NATT_ERR_BAD_VALUE);
	CU_ASSERT_EQUAL(natt_recvbuf_insert(&rb, 0, src, 3000, true), NATT_OK);
	CU_ASSERT_TRUE(natt_recvbuf_complete(&rb));
	/* Past the final size, or a different final size. */
	CU_ASSERT_EQUAL(natt_recvbuf_check(&rb, 2990, 20, false), NATT_ERR_BAD_VALUE);
	CU_ASSERT_EQUAL(natt_recvbuf_check(&rb, 2000, 100, true), NATT_ERR_BAD_VALUE);
	CU_ASSERT_EQUAL(natt_recvbuf_check(&rb, 2000, 1000, true), NATT_OK); /* same FIN again */
	CU_ASSERT_FALSE(natt_recvbuf_eof(&rb));
	natt_recvbuf_free(&rb);
}

static void test_window_and_growth(void)
{
	struct natt_recvbuf rb;
	uint8_t out[LEN];

	fill();
	natt_recvbuf_init(&rb, 4096, 16384);
	CU_ASSERT_EQUAL(natt_recvbuf_capacity(&rb), 4096);
	CU_ASSERT_EQUAL(natt_recvbuf_check(&rb, 4000, 200, false), NATT_ERR_BUFFER);
	natt_recvbuf_insert(&rb, 0, src, 3000, false);
	natt_recvbuf_insert(&rb, 3500, src + 3500, 500, false);
	CU_ASSERT_EQUAL(natt_recvbuf_read(&rb, out, 1000), 1000);
	/* 4000..5000 wraps around the 4096-byte ring. */
	CU_ASSERT_EQUAL(natt_recvbuf_insert(&rb, 4000, src + 4000, 1000, false), NATT_OK);
	/* Grow while holding holes and wrapped bytes; they keep their offsets. */
	CU_ASSERT_EQUAL(natt_recvbuf_reserve(&rb, 16384), NATT_OK);
	CU_ASSERT_EQUAL(natt_recvbuf_capacity(&rb), 16384);
	CU_ASSERT_EQUAL(natt_recvbuf_reserve(&rb, 16385), NATT_ERR_INVALID);
	natt_recvbuf_insert(&rb, 3000, src + 3000, 500, false);
	CU_ASSERT_EQUAL(rb.contig, 5000);
	natt_recvbuf_insert(&rb, 5000, src + 5000, 11000, false);
	CU_ASSERT_EQUAL(natt_recvbuf_read(&rb, out + 1000, LEN), 15000);
	CU_ASSERT_EQUAL(memcmp(out, src, 16000), 0);
	natt_recvbuf_free(&rb);
}

static void test_range_limit(void)
{
	struct natt_recvbuf rb;
	int full = 0;

	fill();
	natt_recvbuf_init(&rb, 65536, 65536);
	for (uint64_t off = 2; off < 4000; off += 2)
		if (natt_recvbuf_insert(&rb, off, src + off, 1, false) == NATT_ERR_FULL)
			full++;
	CU_ASSERT_EQUAL(rb.ooo.n, NATT_RECVBUF_MAX_RANGES);
	CU_ASSERT_EQUAL(full, 1999 - NATT_RECVBUF_MAX_RANGES);
	/* In-order data is always taken, and absorbs what it reaches. */
	CU_ASSERT_EQUAL(natt_recvbuf_insert(&rb, 0, src, 2, false), NATT_OK);
	CU_ASSERT_EQUAL(rb.contig, 3);
	natt_recvbuf_free(&rb);
}

static const struct natt_test tests[] = {
	{"random arrivals reassemble exactly", test_reassembly},
	{"out-of-order byte accounting", test_ooo_accounting},
	{"final size rules", test_final_size},
	{"window bound and ring growth", test_window_and_growth},
	{"out-of-order range limit", test_range_limit},
	{NULL, NULL},
};

int natt_suite_recvbuf(void)
{
	return natt_add_suite("recvbuf", tests);
}
