/*
 * test_cc.c: NewReno and the pacer (transport/cc.c): window changes on
 * acknowledgement, loss, recovery and persistent congestion, with the
 * numbers of RFC 9002 7 worked out for a 1232-byte datagram.
 */
#include "cc.h"
#include "unit.h"

#define MDS 1232
#define MS  NATT_MSEC

static void test_initial_window(void)
{
	struct natt_cc cc;

	/* min(10 * 1232, max(14720, 2 * 1232)) = 12320 */
	natt_cc_init(&cc, MDS, 0);
	CU_ASSERT_EQUAL(cc.cwnd, 12320);
	CU_ASSERT_EQUAL(cc.ssthresh, UINT64_MAX);
	CU_ASSERT_EQUAL(natt_cc_min_window(&cc), 2464);
	/* min(10 * 1000, max(14720, 2000)) = 10000; min(10 * 2000, 14720) = 14720 */
	natt_cc_init(&cc, 1000, 0);
	CU_ASSERT_EQUAL(cc.cwnd, 10000);
	natt_cc_init(&cc, 2000, 0);
	CU_ASSERT_EQUAL(cc.cwnd, 14720);
}

static void test_slow_start_and_avoidance(void)
{
	struct natt_cc cc;

	natt_cc_init(&cc, MDS, 0);
	for (int i = 0; i < 10; i++)
		natt_cc_on_sent(&cc, MDS, 0);
	CU_ASSERT_EQUAL(cc.in_flight, 12320);
	CU_ASSERT_FALSE(natt_cc_can_send(&cc));
	for (int i = 0; i < 10; i++)
		natt_cc_on_acked(&cc, MDS, 0, false);
	CU_ASSERT_EQUAL(cc.in_flight, 0);
	CU_ASSERT_EQUAL(cc.cwnd, 24640); /* doubled in one window */

	/* Loss of a packet sent at 5 ms, detected at 100 ms: halve. */
	natt_cc_on_congestion(&cc, 5 * MS, 100 * MS);
	CU_ASSERT_EQUAL(cc.cwnd, 12320);
	CU_ASSERT_EQUAL(cc.ssthresh, 12320);
	CU_ASSERT_EQUAL(cc.congestion_events, 1);
	/* Another loss from before the recovery started: no second cut. */
	natt_cc_on_congestion(&cc, 99 * MS, 110 * MS);
	CU_ASSERT_EQUAL(cc.cwnd, 12320);
	CU_ASSERT_EQUAL(cc.congestion_events, 1);
	/* Acks of packets sent before recovery do not grow the window. */
	natt_cc_on_acked(&cc, MDS, 50 * MS, false);
	CU_ASSERT_EQUAL(cc.cwnd, 12320);
	/* Congestion avoidance: one datagram per window of acked bytes. */
	for (int i = 0; i < 9; i++)
		natt_cc_on_acked(&cc, MDS, 200 * MS, false);
	CU_ASSERT_EQUAL(cc.cwnd, 12320); /* 9 * 1232 = 11088 < 12320 */
	natt_cc_on_acked(&cc, MDS, 200 * MS, false);
	CU_ASSERT_EQUAL(cc.cwnd, 12320 + MDS);
	/* A loss of a packet sent after the recovery start cuts again. */
	natt_cc_on_congestion(&cc, 200 * MS, 300 * MS);
	CU_ASSERT_EQUAL(cc.cwnd, (12320 + MDS) / 2);
	CU_ASSERT_EQUAL(cc.congestion_events, 2);
}

static void test_floor_and_persistent(void)
{
	struct natt_cc cc;
	natt_time_t t = 0;

	natt_cc_init(&cc, MDS, 0);
	for (int i = 0; i < 10; i++, t += 100 * MS)
		natt_cc_on_congestion(&cc, t + 1, t + 2);
	CU_ASSERT_EQUAL(cc.cwnd, 2464); /* never below the minimum window */
	natt_cc_init(&cc, MDS, 0);
	cc.cwnd = 100000;
	natt_cc_on_persistent_congestion(&cc);
	CU_ASSERT_EQUAL(cc.cwnd, 2464);
	CU_ASSERT_EQUAL(cc.persistent_events, 1);
	CU_ASSERT_FALSE(cc.in_recovery);
}

static void test_app_limited(void)
{
	struct natt_cc cc;

	natt_cc_init(&cc, MDS, 0);
	natt_cc_on_sent(&cc, 500, 0);
	natt_cc_on_acked(&cc, 500, 0, true);
	CU_ASSERT_EQUAL(cc.cwnd, 12320);
	natt_cc_on_sent(&cc, 500, 0);
	natt_cc_on_lost(&cc, 500);
	CU_ASSERT_EQUAL(cc.in_flight, 0);
}

/*
 * cwnd 12320, srtt 100 ms, slow start: rate = 2 * 12320 / 0.1 s = 246400
 * bytes/s.  After the burst (one initial window) is spent, the next 1232
 * bytes need 5000 us of credit.
 */
static void test_pacer(void)
{
	struct natt_cc cc;
	natt_time_t t;
	int burst = 0;

	natt_cc_init(&cc, MDS, 0);
	while (natt_cc_pace_time(&cc, 100 * MS, MDS, 0) == 0 && burst < 100) {
		natt_cc_on_sent(&cc, MDS, 0);
		natt_cc_on_lost(&cc, MDS); /* keep the window out of the way */
		burst++;
	}
	CU_ASSERT_EQUAL(burst, 10);
	t = natt_cc_pace_time(&cc, 100 * MS, MDS, 0);
	CU_ASSERT(t >= 4999 && t <= 5001);
	/* Congestion avoidance paces at 1.25 cwnd / srtt: 154000 bytes/s. */
	cc.ssthresh = cc.cwnd;
	cc.pace_tokens = 0;
	cc.pace_at = 0;
	t = natt_cc_pace_time(&cc, 100 * MS, MDS, 0);
	CU_ASSERT(t >= 7999 && t <= 8001);
}

static const struct natt_test tests[] = {
	{"initial window (RFC 9002 7.2)", test_initial_window},
	{"slow start, loss, recovery, avoidance", test_slow_start_and_avoidance},
	{"minimum window and persistent congestion", test_floor_and_persistent},
	{"app-limited acks do not grow the window", test_app_limited},
	{"pacer rate and burst", test_pacer},
	{NULL, NULL},
};

int natt_suite_cc(void)
{
	return natt_add_suite("cc", tests);
}
