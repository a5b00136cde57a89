/*
 * test_ackr.c: received packet tracking and ACK generation
 * (transport/ackr.c): the ranges an ACK frame reports, checked through the
 * wire codec (encode, decode, natt_ack_interval), and when an ACK is due.
 */
#include <stdbool.h>
#include <string.h>

#include "ackr.h"
#include "sim.h"
#include "unit.h"
#include "wire.h"

#define MS NATT_MSEC

/* Every interval of an encoded-then-decoded frame, as a bitmap. */
static bool frame_bitmap(const struct natt_frame *built, bool *acked, size_t n)
{
	uint8_t buf[1024];
	struct natt_frame f;
	int len = natt_frame_encode(buf, sizeof(buf), built);

	memset(acked, 0, n);
	if (len <= 0 || natt_frame_decode(&f, buf, (size_t)len) != len)
		return false;
	for (unsigned i = 0; i <= f.ack.range_count; i++) {
		uint64_t lo, hi;

		if (natt_ack_interval(&f, i, &lo, &hi) != NATT_OK || hi >= n)
			return false;
		for (uint64_t x = lo; x <= hi; x++) {
			if (acked[x])
				return false; /* intervals overlap */
			acked[x] = true;
		}
	}
	return true;
}

static void test_ranges_roundtrip(void)
{
	static const uint64_t pns[] = {0, 1, 2, 5, 6, 9, 20, 21, 22, 23, 40};
	struct natt_ackr a;
	struct natt_frame f;
	bool acked[64], want[64];

	natt_ackr_init(&a, 25 * MS);
	CU_ASSERT_EQUAL(natt_ackr_build(&a, 0, &f), NATT_ERR_INVALID);
	memset(want, 0, sizeof(want));
	for (size_t i = 0; i < sizeof(pns) / sizeof(pns[0]); i++) {
		CU_ASSERT_EQUAL(natt_ackr_on_packet(&a, pns[i], true, 1000), NATT_OK);
		want[pns[i]] = true;
	}
	CU_ASSERT_EQUAL(natt_ackr_build(&a, 1000 + 7 * MS, &f), NATT_OK);
	CU_ASSERT_EQUAL(f.ack.largest, 40);
	CU_ASSERT_EQUAL(f.ack.first_range, 0);
	CU_ASSERT_EQUAL(f.ack.range_count, 4);
	CU_ASSERT_EQUAL(f.ack.ack_delay_us, 7 * MS);
	/* 40; gap 16 (24..39); 20..23 len 3; gap 9 (10..19); 9; ... */
	CU_ASSERT_EQUAL(f.ack.range[0].gap, 15);
	CU_ASSERT_EQUAL(f.ack.range[0].length, 3);
	CU_ASSERT_TRUE(frame_bitmap(&f, acked, 64));
	CU_ASSERT_EQUAL(memcmp(acked, want, sizeof(want)), 0);
	natt_ackr_free(&a);
}

/* More ranges than a frame carries: the highest 33 are reported. */
static void test_many_ranges(void)
{
	struct natt_ackr a;
	struct natt_frame f;
	bool acked[256];
	uint64_t lo, hi;

	natt_ackr_init(&a, 25 * MS);
	for (uint64_t pn = 0; pn < 200; pn += 3)
		natt_ackr_on_packet(&a, pn, false, 0);
	CU_ASSERT_EQUAL(a.rcvd.n, 67);
	natt_ackr_build(&a, 0, &f);
	CU_ASSERT_EQUAL(f.ack.largest, 198);
	CU_ASSERT_EQUAL(f.ack.range_count, NATT_ACK_MAX_RANGES);
	CU_ASSERT_TRUE(frame_bitmap(&f, acked, 256));
	CU_ASSERT_EQUAL(natt_ack_interval(&f, NATT_ACK_MAX_RANGES, &lo, &hi), NATT_OK);
	CU_ASSERT_EQUAL(lo, 198 - 3 * 32);
	CU_ASSERT_TRUE(acked[198 - 3 * 32]);
	CU_ASSERT_FALSE(acked[198 - 3 * 33]);
	natt_ackr_free(&a);
}

/* Memory is bounded: the oldest ranges are forgotten. */
static void test_bounded(void)
{
	struct natt_ackr a;

	natt_ackr_init(&a, 25 * MS);
	for (uint64_t pn = 0; pn < 10000; pn += 2)
		CU_ASSERT_EQUAL(natt_ackr_on_packet(&a, pn, false, 0), NATT_OK);
	CU_ASSERT_EQUAL(a.rcvd.n, NATT_ACKR_MAX_RANGES);
	CU_ASSERT_TRUE(natt_ackr_seen(&a, 9998));
	CU_ASSERT_FALSE(natt_ackr_seen(&a, 0));
	CU_ASSERT_TRUE(natt_ackr_seen(&a, 9998 - 2 * (NATT_ACKR_MAX_RANGES - 1)));
	/* Acknowledgement of an ACK whose largest was 9800 prunes below it. */
	natt_ackr_on_ack_acked(&a, 9800);
	CU_ASSERT_FALSE(natt_ackr_seen(&a, 9798));
	CU_ASSERT_TRUE(natt_ackr_seen(&a, 9800));
	CU_ASSERT_EQUAL(a.rcvd.n, 100);
	natt_ackr_free(&a);
}

static void test_when_due(void)
{
	struct natt_ackr a;

	natt_ackr_init(&a, 25 * MS);
	/* Non-ack-eliciting packets never make an ACK due. */
	natt_ackr_on_packet(&a, 0, false, 0);
	CU_ASSERT_FALSE(natt_ackr_pending(&a));
	CU_ASSERT_FALSE(natt_ackr_due(&a, 10 * NATT_SEC));
	CU_ASSERT_EQUAL(natt_ackr_deadline(&a), NATT_TIME_NEVER);
	/* One ack-eliciting packet: due after max_ack_delay. */
	natt_ackr_on_packet(&a, 1, true, 100 * MS);
	CU_ASSERT_TRUE(natt_ackr_pending(&a));
	CU_ASSERT_FALSE(natt_ackr_due(&a, 100 * MS));
	CU_ASSERT_EQUAL(natt_ackr_deadline(&a), 125 * MS);
	CU_ASSERT_TRUE(natt_ackr_due(&a, 125 * MS));
	/* The second one: due at once. */
	natt_ackr_on_packet(&a, 2, true, 101 * MS);
	CU_ASSERT_TRUE(natt_ackr_due(&a, 101 * MS));
	natt_ackr_on_sent(&a, 0);
	CU_ASSERT_FALSE(natt_ackr_pending(&a));
	CU_ASSERT_FALSE(natt_ackr_due(&a, 1000 * MS));
	/* After a gap: at once, even for a single packet. */
	natt_ackr_on_packet(&a, 5, true, 200 * MS);
	CU_ASSERT_TRUE(natt_ackr_due(&a, 200 * MS));
	natt_ackr_on_sent(&a, 0);
	/* Below the largest (reordered): at once. */
	natt_ackr_on_packet(&a, 4, true, 210 * MS);
	CU_ASSERT_TRUE(natt_ackr_due(&a, 210 * MS));
	natt_ackr_on_sent(&a, 0);
	/* In order again: waits for the delay. */
	natt_ackr_on_packet(&a, 6, true, 220 * MS);
	CU_ASSERT_FALSE(natt_ackr_due(&a, 220 * MS));
	natt_ackr_free(&a);
}

/* Random arrival orders and losses against a model of what arrived. */
static void test_random_model(void)
{
	struct sim_prng rng;
	int bad = 0;

	sim_prng_seed(&rng, 3);
	for (int round = 0; round < 200; round++) {
		struct natt_ackr a;
		struct natt_frame f;
		bool got[200], acked[200];
		uint64_t max = 0;

		natt_ackr_init(&a, 25 * MS);
		memset(got, 0, sizeof(got));
		for (int i = 0; i < 60; i++) {
			uint64_t pn = sim_prng_next(&rng) % 120;

			natt_ackr_on_packet(&a, pn, true, 0);
			got[pn] = true;
			max = pn > max ? pn : max;
		}
		natt_ackr_build(&a, 0, &f);
		bad += f.ack.largest != max;
		bad += !frame_bitmap(&f, acked, 200);
		/* Every reported pn arrived; every arrival within the
		 * reported span is reported. */
		for (uint64_t x = 0; x < 200; x++)
			bad += acked[x] && !got[x];
		if (f.ack.range_count < NATT_ACK_MAX_RANGES)
			for (uint64_t x = 0; x < 200; x++)
				bad += got[x] && !acked[x];
		natt_ackr_free(&a);
	}
	CU_ASSERT_EQUAL(bad, 0);
}

static const struct natt_test tests[] = {
	{"ranges survive the wire codec", test_ranges_roundtrip},
	{"more ranges than a frame holds", test_many_ranges},
	{"bounded tracking and ack-of-ack pruning", test_bounded},
	{"when an ACK is due (RFC 9000 13.2)", test_when_due},
	{"random arrivals against a model", test_random_model},
	{NULL, NULL},
};

int natt_suite_ackr(void)
{
	return natt_add_suite("ackr", tests);
}
