/*
 * test_sim.c: the simulated network (tests/sim/sim.c).  Random impairments
 * are checked against statistical bounds (4 standard deviations, so a
 * correct simulator passes with any seed and a broken one fails), the
 * deterministic ones exactly.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "sim.h"
#include "unit.h"

#define A SIM_IP(10, 0, 0, 1)
#define B SIM_IP(10, 0, 0, 2)

static const struct sim_addr addr_a = {A, 1000};
static const struct sim_addr addr_b = {B, 2000};

/* What a receive callback saw. */
struct log {
	size_t n;
	uint32_t seq[200000]; /* the sequence number in the first 4 bytes */
	natt_time_t at[200000];
	struct sim_addr from[16]; /* the first few sources */
};

static void put_seq(uint8_t *buf, uint32_t seq)
{
	buf[0] = (uint8_t)(seq >> 24);
	buf[1] = (uint8_t)(seq >> 16);
	buf[2] = (uint8_t)(seq >> 8);
	buf[3] = (uint8_t)seq;
}

static uint32_t get_seq(const uint8_t *buf)
{
	return (uint32_t)buf[0] << 24 | (uint32_t)buf[1] << 16 | (uint32_t)buf[2] << 8 | buf[3];
}

static void record(void *ctx, struct sim *s, struct sim_addr from, struct sim_addr to,
		   const uint8_t *data, size_t len, natt_time_t at)
{
	struct log *l = ctx;

	(void)s;
	(void)to;
	(void)len;
	if (l->n < 16)
		l->from[l->n] = from;
	if (l->n < 200000) {
		l->seq[l->n] = get_seq(data);
		l->at[l->n] = at;
	}
	l->n++;
	CU_ASSERT_EQUAL(at, sim_now(s));
}

static struct log *log_new(void)
{
	struct log *l = calloc(1, sizeof(*l));

	CU_ASSERT_PTR_NOT_NULL_FATAL(l);
	return l;
}

/* Sends n datagrams of len bytes, one every gap microseconds. */
static int send_n(struct sim *s, uint32_t n, size_t len, natt_time_t gap, struct log *l)
{
	uint8_t buf[1500];
	int ok = 0;

	memset(buf, 0xab, sizeof(buf));
	for (uint32_t i = 0; i < n; i++) {
		put_seq(buf, i);
		ok += sim_send(s, addr_a, addr_b, buf, len) == 1;
		if (gap > 0)
			sim_deliver_due(s, sim_now(s) + gap, record, l);
	}
	sim_deliver_due(s, NATT_TIME_NEVER - 1, record, l);
	return ok;
}

static bool within(double x, double mean, double sd)
{
	return fabs(x - mean) <= 4 * sd;
}

static void test_delay_and_order(void)
{
	struct sim *s = sim_new(1);
	struct log *l = log_new();
	struct sim_link_cfg cfg = {.delay = 5000};
	int bad = 0;

	sim_set_link(s, A, B, &cfg);
	CU_ASSERT_EQUAL(send_n(s, 1000, 100, 10, l), 1000);
	CU_ASSERT_EQUAL(l->n, 1000);
	for (size_t i = 0; i < l->n; i++)
		bad += l->seq[i] != i || l->at[i] != i * 10 + 5000;
	CU_ASSERT_EQUAL(bad, 0);
	CU_ASSERT_EQUAL(sim_in_flight(s), 0);
	CU_ASSERT_EQUAL(sim_next_event_time(s), NATT_TIME_NEVER);
	free(l);
	sim_free(s);
}

/* Same arrival time: delivered in sending order. */
static void test_ties_fifo(void)
{
	struct sim *s = sim_new(1);
	struct log *l = log_new();
	int bad = 0;

	CU_ASSERT_EQUAL(send_n(s, 500, 10, 0, l), 500);
	for (size_t i = 0; i < l->n; i++)
		bad += l->seq[i] != i || l->at[i] != 0;
	CU_ASSERT_EQUAL(bad, 0);
	free(l);
	sim_free(s);
}

static void test_random_loss(void)
{
	struct sim *s = sim_new(42);
	struct log *l = log_new();
	struct sim_link_cfg cfg = {.loss = 0.1};
	const struct sim_link_stats *st;
	double n = 100000, p = 0.1;

	sim_set_link(s, A, B, &cfg);
	send_n(s, (uint32_t)n, 50, 0, l);
	st = sim_link_stats(s, A, B);
	CU_ASSERT_PTR_NOT_NULL_FATAL(st);
	CU_ASSERT_TRUE(within((double)st->lost_random, n * p, sqrt(n * p * (1 - p))));
	CU_ASSERT_EQUAL(st->delivered + st->lost_random, (uint64_t)n);
	CU_ASSERT_EQUAL(l->n, st->delivered);
	free(l);
	sim_free(s);
}

/* 30% in bursts of exactly 3: every run of losses is a multiple of 3. */
static void test_burst_loss(void)
{
	struct sim *s = sim_new(7);
	struct log *l = log_new();
	struct sim_link_cfg cfg = {.burst_loss = 0.3, .burst_len = 3};
	const struct sim_link_stats *st;
	uint32_t n = 100000;
	int64_t prev = -1;
	size_t runs = 0, bad_runs = 0, runs_of_3 = 0;

	sim_set_link(s, A, B, &cfg);
	send_n(s, n, 50, 0, l);
	st = sim_link_stats(s, A, B);
	/* Losses between consecutive deliveries (no reordering on this link);
	 * a burst cut short by the end of the sequence is not counted. */
	for (size_t i = 0; i < l->n; i++) {
		int64_t next = (int64_t)l->seq[i];
		int64_t run = next - prev - 1;

		if (run > 0) {
			runs++;
			bad_runs += run % 3 != 0;
			runs_of_3 += run == 3;
		}
		prev = next;
	}
	CU_ASSERT_EQUAL(bad_runs, 0);
	CU_ASSERT(runs_of_3 > runs / 2);
	/* The fraction lost is a renewal-reward estimate: wider bounds. */
	CU_ASSERT(fabs((double)st->lost_burst / n - 0.3) < 0.02);
	free(l);
	sim_free(s);
}

static void test_duplication(void)
{
	struct sim *s = sim_new(5);
	struct log *l = log_new();
	struct sim_link_cfg cfg = {.dup = 0.2, .delay = 1000};
	const struct sim_link_stats *st;
	double n = 50000;
	int adjacent = 0;

	sim_set_link(s, A, B, &cfg);
	send_n(s, (uint32_t)n, 50, 0, l);
	st = sim_link_stats(s, A, B);
	CU_ASSERT_TRUE(within((double)st->duplicated, n * 0.2, sqrt(n * 0.2 * 0.8)));
	CU_ASSERT_EQUAL(l->n, (size_t)n + st->duplicated);
	for (size_t i = 1; i < l->n; i++)
		adjacent += l->seq[i] == l->seq[i - 1];
	CU_ASSERT_EQUAL((uint64_t)adjacent, st->duplicated); /* no jitter: copies follow */
	free(l);
	sim_free(s);
}

static void test_reorder_and_jitter(void)
{
	struct sim *s = sim_new(9);
	struct log *l = log_new();
	struct sim_link_cfg cfg = {.delay = 1000, .reorder = 0.05, .reorder_delay = 500};
	const struct sim_link_stats *st;
	double n = 20000;
	size_t inversions = 0;
	bool *seen = calloc((size_t)n, 1);

	sim_set_link(s, A, B, &cfg);
	send_n(s, (uint32_t)n, 50, 100, l); /* 100 us apart: 5 are overtaken */
	st = sim_link_stats(s, A, B);
	CU_ASSERT_TRUE(within((double)st->reordered, n * 0.05, sqrt(n * 0.05 * 0.95)));
	CU_ASSERT_EQUAL(l->n, (size_t)n);
	for (size_t i = 0; i < l->n; i++) {
		inversions += i > 0 && l->seq[i] < l->seq[i - 1];
		seen[l->seq[i]] = true;
	}
	CU_ASSERT(inversions > 0);
	for (size_t i = 0; i < (size_t)n; i++)
		CU_ASSERT_TRUE(seen[i]);
	free(seen);
	free(l);
	sim_free(s);

	/* Jitter alone: arrival within [delay, delay + jitter]. */
	s = sim_new(10);
	l = log_new();
	struct sim_link_cfg j = {.delay = 1000, .jitter = 300};
	int bad = 0;

	sim_set_link(s, A, B, &j);
	send_n(s, 5000, 50, 1000, l);
	for (size_t i = 0; i < l->n; i++)
		bad += l->at[i] < l->seq[i] * 1000 + 1000 || l->at[i] > l->seq[i] * 1000 + 1300;
	CU_ASSERT_EQUAL(bad, 0);
	free(l);
	sim_free(s);
}

/*
 * 1 MB/s with a 10000-byte queue.  100 datagrams of 1000 bytes at once:
 * 10 fit, one leaves every millisecond.  Then a sender at twice the rate
 * for a second gets the rate through.
 */
static void test_rate_limit(void)
{
	struct sim *s = sim_new(3);
	struct log *l = log_new();
	struct sim_link_cfg cfg = {.rate = 1000000, .queue_limit = 10000, .delay = 2000};
	const struct sim_link_stats *st;
	int bad = 0;

	sim_set_link(s, A, B, &cfg);
	CU_ASSERT_EQUAL(send_n(s, 100, 1000, 0, l), 10);
	CU_ASSERT_EQUAL(l->n, 10);
	for (size_t i = 0; i < l->n; i++)
		bad += l->at[i] != (i + 1) * 1000 + 2000;
	CU_ASSERT_EQUAL(bad, 0);
	st = sim_link_stats(s, A, B);
	CU_ASSERT_EQUAL(st->lost_queue, 90);
	CU_ASSERT(st->queue_max <= 10000);
	free(l);
	sim_free(s);

	s = sim_new(4);
	l = log_new();
	sim_set_link(s, A, B, &cfg);
	send_n(s, 2000, 1000, 500, l); /* 2 MB/s offered for 1 s */
	st = sim_link_stats(s, A, B);
	CU_ASSERT(st->bytes_delivered >= 990000 && st->bytes_delivered <= 1015000);
	CU_ASSERT(st->lost_queue >= 985 && st->lost_queue <= 1010);
	free(l);
	sim_free(s);
}

static void test_blackout(void)
{
	struct sim *s = sim_new(1);
	struct log *l = log_new();
	struct sim_link_cfg cfg = {.nblackout = 1};
	const struct sim_link_stats *st;
	int bad = 0;

	cfg.blackout[0].start = 1 * NATT_SEC;
	cfg.blackout[0].end = 2 * NATT_SEC;
	sim_set_link(s, A, B, &cfg);
	send_n(s, 3000, 100, 1000, l); /* one per ms for 3 s */
	st = sim_link_stats(s, A, B);
	CU_ASSERT_EQUAL(st->lost_blackout, 1000);
	CU_ASSERT_EQUAL(l->n, 2000);
	for (size_t i = 0; i < l->n; i++)
		bad += l->at[i] >= 1 * NATT_SEC && l->at[i] < 2 * NATT_SEC;
	CU_ASSERT_EQUAL(bad, 0);
	free(l);
	sim_free(s);
}

static uint64_t scenario_hash(uint64_t seed, size_t *delivered)
{
	struct sim *s = sim_new(seed);
	struct log *l = log_new();
	struct sim_link_cfg cfg = {.delay = 3000,
				   .jitter = 2000,
				   .loss = 0.05,
				   .dup = 0.05,
				   .burst_loss = 0.1,
				   .burst_len = 2,
				   .rate = 2000000,
				   .queue_limit = 30000,
				   .reorder = 0.02,
				   .reorder_delay = 4000};
	uint64_t h;

	sim_set_link(s, A, B, &cfg);
	send_n(s, 5000, 700, 200, l);
	h = sim_trace_hash(s);
	*delivered = l->n;
	free(l);
	sim_free(s);
	return h;
}

static void test_determinism(void)
{
	size_t n1, n2, n3;
	uint64_t h1 = scenario_hash(1234, &n1);
	uint64_t h2 = scenario_hash(1234, &n2);
	uint64_t h3 = scenario_hash(1235, &n3);

	CU_ASSERT_EQUAL(h1, h2);
	CU_ASSERT_EQUAL(n1, n2);
	CU_ASSERT_NOT_EQUAL(h1, h3);
}

static void test_prng(void)
{
	struct sim_prng a, b;
	int same = 0, diff = 0;

	sim_prng_seed(&a, 99);
	sim_prng_seed(&b, 99);
	for (int i = 0; i < 1000; i++)
		same += sim_prng_next(&a) == sim_prng_next(&b);
	sim_prng_seed(&b, 100);
	for (int i = 0; i < 1000; i++)
		diff += sim_prng_next(&a) != sim_prng_next(&b);
	CU_ASSERT_EQUAL(same, 1000);
	CU_ASSERT_EQUAL(diff, 1000);
}

/* A middlebox that maps A's port 1000 to 40000 outbound and drops any
 * datagram to B's port 9999. */
static bool nat_like(void *ctx, struct sim *s, enum sim_hook_point at, struct sim_addr *from,
		     struct sim_addr *to, const uint8_t *data, size_t len)
{
	int *calls = ctx;

	(void)s;
	(void)data;
	(void)len;
	calls[at]++;
	if (at == SIM_HOOK_SEND && from->ip == A && from->port == 1000)
		from->port = 40000;
	return to->port != 9999;
}

static void test_hook(void)
{
	struct sim *s = sim_new(1);
	struct log *l = log_new();
	struct sim_addr closed = {B, 9999};
	const struct sim_link_stats *st;
	uint8_t buf[8] = {0};
	int calls[2] = {0, 0};

	sim_set_hook(s, nat_like, calls);
	CU_ASSERT_EQUAL(sim_send(s, addr_a, addr_b, buf, sizeof(buf)), 1);
	CU_ASSERT_EQUAL(sim_send(s, addr_a, closed, buf, sizeof(buf)), 0);
	sim_deliver_due(s, 10, record, l);
	CU_ASSERT_EQUAL(l->n, 1);
	CU_ASSERT_EQUAL(l->from[0].port, 40000);
	CU_ASSERT_EQUAL(calls[SIM_HOOK_SEND], 2);
	CU_ASSERT_EQUAL(calls[SIM_HOOK_DELIVER], 1);
	st = sim_link_stats(s, A, B);
	CU_ASSERT_EQUAL(st->lost_hook, 1);
	CU_ASSERT_EQUAL(sim_send(s, addr_a, addr_b, buf, 0), -1);
	free(l);
	sim_free(s);
}

static void test_bad_config(void)
{
	struct sim *s = sim_new(1);
	struct sim_link_cfg bad1 = {.loss = 1.5};
	struct sim_link_cfg bad2 = {.burst_loss = 0.2};
	struct sim_link_cfg bad3 = {.nblackout = SIM_MAX_BLACKOUTS + 1};

	CU_ASSERT_EQUAL(sim_set_link(s, A, B, &bad1), -1);
	CU_ASSERT_EQUAL(sim_set_link(s, A, B, &bad2), -1);
	CU_ASSERT_EQUAL(sim_set_link(s, A, B, &bad3), -1);
	sim_free(s);
}

static const struct natt_test tests[] = {
	{"delay, order, timing", test_delay_and_order},
	{"equal arrival times keep sending order", test_ties_fifo},
	{"random loss within 4 sigma", test_random_loss},
	{"loss in bursts of 3", test_burst_loss},
	{"duplication", test_duplication},
	{"reordering and jitter", test_reorder_and_jitter},
	{"rate limit and drop-tail queue", test_rate_limit},
	{"blackout period", test_blackout},
	{"same seed, same trace", test_determinism},
	{"PRNG streams", test_prng},
	{"middlebox hook rewrites and drops", test_hook},
	{"configuration checks", test_bad_config},
	{NULL, NULL},
};

int natt_suite_sim(void)
{
	return natt_add_suite("sim", tests);
}
