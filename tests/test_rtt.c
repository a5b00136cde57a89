/*
 * test_rtt.c: the RTT estimator (transport/rtt.c) against values worked out
 * by hand from RFC 9002 5.3, and the timer durations derived from it.
 */
#include "rtt.h"
#include "unit.h"

#define MS NATT_MSEC

static void test_initial(void)
{
	struct natt_rtt r;

	natt_rtt_init(&r);
	CU_ASSERT_FALSE(r.has_sample);
	CU_ASSERT_EQUAL(r.smoothed, 333 * MS);
	CU_ASSERT_EQUAL(r.var, 166500);
	/* PTO = 333 + 4 * 166.5 + 25 = 1024 ms. */
	CU_ASSERT_EQUAL(natt_rtt_pto(&r, 25 * MS), 1024 * MS);
}

/*
 * Samples 100, 120 (ack_delay 10), 80 (ack_delay 30), 200 (ack_delay 50,
 * capped at 25):
 *   1: smoothed 100, var 50, min 100
 *   2: adjusted 110; var = (3*50 + |100-110|)/4 = 40; smoothed = (700+110)/8 = 101.25
 *   3: min 80; 80 < 80 + 30 so not adjusted; var = (120 + 21.25)/4 = 35.3125;
 *      smoothed = (708.75 + 80)/8 = 98.59375
 *   4: adjusted 175; var = (105.9375 + 76.40625)/4 = 45.5859375;
 *      smoothed = (690.15625 + 175)/8 = 108.14453125
 * In integer microseconds each division truncates, as below.
 */
static void test_hand_computed(void)
{
	struct natt_rtt r;

	natt_rtt_init(&r);
	natt_rtt_update(&r, 100 * MS, 0, 25 * MS, 1000);
	CU_ASSERT_TRUE(r.has_sample);
	CU_ASSERT_EQUAL(r.first_sample_at, 1000);
	CU_ASSERT_EQUAL(r.smoothed, 100000);
	CU_ASSERT_EQUAL(r.var, 50000);
	CU_ASSERT_EQUAL(r.min, 100000);

	natt_rtt_update(&r, 120 * MS, 10 * MS, 25 * MS, 2000);
	CU_ASSERT_EQUAL(r.var, 40000);
	CU_ASSERT_EQUAL(r.smoothed, 101250);
	CU_ASSERT_EQUAL(r.latest, 120000);

	natt_rtt_update(&r, 80 * MS, 30 * MS, 25 * MS, 3000);
	CU_ASSERT_EQUAL(r.min, 80000);
	CU_ASSERT_EQUAL(r.var, 35312);	    /* (120000 + 21250) / 4 = 35312.5 */
	CU_ASSERT_EQUAL(r.smoothed, 98593); /* (708750 + 80000) / 8 = 98593.75 */

	natt_rtt_update(&r, 200 * MS, 50 * MS, 25 * MS, 4000);
	CU_ASSERT_EQUAL(r.var, 45585);	     /* (105936 + 76407) / 4 = 45585.75 */
	CU_ASSERT_EQUAL(r.smoothed, 108143); /* (690151 + 175000) / 8 = 108143.875 */
	CU_ASSERT_EQUAL(r.first_sample_at, 1000);

	/* PTO = 108143 + 4 * 45585 + 25000. */
	CU_ASSERT_EQUAL(natt_rtt_pto(&r, 25 * MS), 108143 + 182340 + 25000);
	/* Loss delay = 9/8 max(smoothed 108143, latest 200000) = 225000. */
	CU_ASSERT_EQUAL(natt_rtt_loss_delay(&r), 225000);
}

static void test_granularity(void)
{
	struct natt_rtt r;

	natt_rtt_init(&r);
	natt_rtt_update(&r, 100, 0, 25 * MS, 0); /* 100 us: a LAN */
	for (int i = 0; i < 50; i++)
		natt_rtt_update(&r, 100, 0, 25 * MS, 0);
	CU_ASSERT_EQUAL(r.smoothed, 100);
	CU_ASSERT(r.var < 10);
	/* Both timers are floored at the 1 ms granularity. */
	CU_ASSERT_EQUAL(natt_rtt_pto(&r, 0), 100 + NATT_RTT_GRANULARITY);
	CU_ASSERT_EQUAL(natt_rtt_loss_delay(&r), NATT_RTT_GRANULARITY);
}

static void test_ack_delay_not_below_min(void)
{
	struct natt_rtt r;

	natt_rtt_init(&r);
	natt_rtt_update(&r, 50 * MS, 0, 25 * MS, 0);
	/* 60 - 20 would be below min_rtt 50: the ack delay is ignored. */
	natt_rtt_update(&r, 60 * MS, 20 * MS, 25 * MS, 0);
	CU_ASSERT_EQUAL(r.smoothed, (7 * 50000 + 60000) / 8);
}

static const struct natt_test tests[] = {
	{"initial values and PTO", test_initial},
	{"hand-computed sequence", test_hand_computed},
	{"granularity floor", test_granularity},
	{"ack delay never below min_rtt", test_ack_delay_not_below_min},
	{NULL, NULL},
};

int natt_suite_rtt(void)
{
	return natt_add_suite("rtt", tests);
}
