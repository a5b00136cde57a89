/*
 * test_ratelimit.c: per-source and global token buckets
 * (transport/ratelimit.c), driven by a virtual clock.
 */
#include <string.h>

#include "ratelimit.h"
#include "unit.h"

static struct natt_cand v4(uint8_t last, uint16_t port)
{
	struct natt_cand c;

	memset(&c, 0, sizeof(c));
	c.kind = NATT_CAND_SRFLX;
	c.family = 4;
	c.port = port;
	c.addr[0] = 198;
	c.addr[1] = 51;
	c.addr[2] = 100;
	c.addr[3] = last;
	return c;
}

/* 2001:db8:0:<net>::<host> */
static struct natt_cand v6(uint16_t net, uint8_t host)
{
	struct natt_cand c;

	memset(&c, 0, sizeof(c));
	c.kind = NATT_CAND_SRFLX;
	c.family = 6;
	c.port = 4000;
	c.addr[0] = 0x20;
	c.addr[1] = 0x01;
	c.addr[2] = 0x0d;
	c.addr[3] = 0xb8;
	c.addr[6] = (uint8_t)(net >> 8);
	c.addr[7] = (uint8_t)net;
	c.addr[15] = host;
	return c;
}

static struct natt_ratelimit *make(uint32_t rate, uint32_t burst, size_t slots, uint32_t grate,
				   uint32_t gburst)
{
	struct natt_ratelimit_config cfg = {rate, burst, slots, grate, gburst};
	struct natt_ratelimit *rl = NULL;

	CU_ASSERT_EQUAL_FATAL(natt_ratelimit_new(&rl, &cfg), NATT_OK);
	return rl;
}

static void test_config(void)
{
	struct natt_ratelimit_config cfg;
	struct natt_ratelimit *rl = NULL;

	natt_ratelimit_config_default(&cfg);
	CU_ASSERT_EQUAL(cfg.rate, 20);
	CU_ASSERT_EQUAL(cfg.burst, 40);
	CU_ASSERT_EQUAL(natt_ratelimit_new(&rl, &cfg), NATT_OK);
	CU_ASSERT_EQUAL(natt_ratelimit_memory(rl) >= 65536 * 16, 1);
	natt_ratelimit_free(rl);
	cfg.rate = 0;
	CU_ASSERT_EQUAL(natt_ratelimit_new(&rl, &cfg), NATT_ERR_INVALID);
	CU_ASSERT_PTR_NULL(rl);
	natt_ratelimit_config_default(&cfg);
	cfg.global_burst = 0;
	CU_ASSERT_EQUAL(natt_ratelimit_new(&rl, &cfg), NATT_ERR_INVALID);
	natt_ratelimit_config_default(&cfg);
	cfg.slots = 0;
	CU_ASSERT_EQUAL(natt_ratelimit_new(&rl, &cfg), NATT_ERR_INVALID);
	natt_ratelimit_config_default(&cfg);
	cfg.rate = 2000000;
	CU_ASSERT_EQUAL(natt_ratelimit_new(&rl, &cfg), NATT_ERR_INVALID);
	natt_ratelimit_free(NULL);
}

/* burst at once, then told once, then silent; one token per 1/rate. */
static void test_burst_then_limited(void)
{
	struct natt_ratelimit *rl = make(20, 40, 1024, 100000, 100000);
	struct natt_cand a = v4(1, 1000);
	natt_time_t now = 5 * NATT_SEC;
	int pass = 0;

	for (int i = 0; i < 40; i++)
		pass += natt_ratelimit_check(rl, now, &a) == NATT_RL_PASS;
	CU_ASSERT_EQUAL(pass, 40);
	CU_ASSERT_EQUAL(natt_ratelimit_check(rl, now, &a), NATT_RL_LIMITED_FIRST);
	for (int i = 0; i < 10; i++)
		CU_ASSERT_EQUAL(natt_ratelimit_check(rl, now, &a), NATT_RL_LIMITED);
	/* 49.999 ms later: still no token (one per 50 ms) */
	CU_ASSERT_EQUAL(natt_ratelimit_check(rl, now + 49999, &a), NATT_RL_LIMITED);
	CU_ASSERT_EQUAL(natt_ratelimit_check(rl, now + 50 * NATT_MSEC, &a), NATT_RL_PASS);
	/* the episode is over: the next excess is told again */
	CU_ASSERT_EQUAL(natt_ratelimit_check(rl, now + 50 * NATT_MSEC, &a), NATT_RL_LIMITED_FIRST);
	natt_ratelimit_free(rl);
}

/* A steady sender above the rate gets exactly rate/s after the burst. */
static void test_sustained_rate(void)
{
	struct natt_ratelimit *rl = make(20, 40, 1024, 100000, 100000);
	struct natt_cand a = v4(2, 1000);
	int pass = 0;

	for (natt_time_t t = 0; t < 10 * NATT_SEC; t += 10 * NATT_MSEC)
		pass += natt_ratelimit_check(rl, NATT_SEC + t, &a) == NATT_RL_PASS;
	/* 20/s for 10 s plus the bucket's depth: 240, give or take one token
	 * at the edges. */
	CU_ASSERT(pass >= 238 && pass <= 241);
	natt_ratelimit_free(rl);
}

/* The port does not make a new source; an IPv6 /64 is one source. */
static void test_source_keys(void)
{
	struct natt_ratelimit *rl = make(1, 2, 1024, 100000, 100000);
	struct natt_cand a1 = v4(3, 1000), a2 = v4(3, 2000), b = v4(4, 1000);
	struct natt_cand p1 = v6(1, 1), p2 = v6(1, 2), q = v6(2, 1);

	CU_ASSERT_EQUAL(natt_ratelimit_check(rl, 0, &a1), NATT_RL_PASS);
	CU_ASSERT_EQUAL(natt_ratelimit_check(rl, 0, &a2), NATT_RL_PASS);
	CU_ASSERT_EQUAL(natt_ratelimit_check(rl, 0, &a1), NATT_RL_LIMITED_FIRST);
	CU_ASSERT_EQUAL(natt_ratelimit_check(rl, 0, &b), NATT_RL_PASS);
	CU_ASSERT_EQUAL(natt_ratelimit_check(rl, 0, &p1), NATT_RL_PASS);
	CU_ASSERT_EQUAL(natt_ratelimit_check(rl, 0, &p2), NATT_RL_PASS);
	CU_ASSERT_EQUAL(natt_ratelimit_check(rl, 0, &p2), NATT_RL_LIMITED_FIRST);
	CU_ASSERT_EQUAL(natt_ratelimit_check(rl, 0, &q), NATT_RL_PASS);
	natt_ratelimit_free(rl);
}

static void test_global_limit(void)
{
	struct natt_ratelimit *rl = make(1000, 1000, 4096, 100, 50);
	int pass = 0, global = 0;

	for (unsigned int i = 0; i < 200; i++) {
		struct natt_cand s = v6((uint16_t)i, 1);
		enum natt_rl_verdict v = natt_ratelimit_check(rl, NATT_SEC, &s);

		pass += v == NATT_RL_PASS;
		global += v == NATT_RL_GLOBAL;
	}
	CU_ASSERT_EQUAL(pass, 50);
	CU_ASSERT_EQUAL(global, 150);
	/* 100/s: 10 ms later one more */
	{
		struct natt_cand s = v6(999, 1);

		CU_ASSERT_EQUAL(natt_ratelimit_check(rl, NATT_SEC + 10 * NATT_MSEC, &s),
				NATT_RL_PASS);
		CU_ASSERT_EQUAL(natt_ratelimit_check(rl, NATT_SEC + 10 * NATT_MSEC, &s),
				NATT_RL_GLOBAL);
	}
	natt_ratelimit_free(rl);
}

/* peek says what check would say (PASS or not) and takes nothing: many
 * peeks leave the whole burst, per source and globally. */
static void test_peek(void)
{
	struct natt_ratelimit *rl = make(1, 2, 64, 100, 3);
	struct natt_cand a = v4(1, 1000), b = v4(2, 1000), c = v4(3, 1000);
	natt_time_t now = 7 * NATT_SEC;

	for (int i = 0; i < 100; i++)
		CU_ASSERT(natt_ratelimit_peek(rl, now, &a));
	CU_ASSERT_EQUAL(natt_ratelimit_check(rl, now, &a), NATT_RL_PASS);
	CU_ASSERT(natt_ratelimit_peek(rl, now, &a));
	CU_ASSERT_EQUAL(natt_ratelimit_check(rl, now, &a), NATT_RL_PASS);
	CU_ASSERT_FALSE(natt_ratelimit_peek(rl, now, &a)); /* a's burst of 2 is spent */
	CU_ASSERT(natt_ratelimit_peek(rl, now, &b));	   /* b has its own bucket */
	CU_ASSERT_EQUAL(natt_ratelimit_check(rl, now, &b), NATT_RL_PASS);
	CU_ASSERT_FALSE(natt_ratelimit_peek(rl, now, &c)); /* global burst of 3 spent */
	CU_ASSERT_EQUAL(natt_ratelimit_check(rl, now, &c), NATT_RL_GLOBAL);
	CU_ASSERT(natt_ratelimit_peek(rl, now + 10 * NATT_MSEC, &c)); /* one global token */
	CU_ASSERT_FALSE(natt_ratelimit_peek(rl, now + 10 * NATT_MSEC, &a));
	CU_ASSERT(natt_ratelimit_peek(rl, now + NATT_SEC, &a));
	natt_ratelimit_free(rl);
}

/* A tiny table with many draining sources still serves newcomers (an
 * eviction gives the newcomer a full bucket), and a source that keeps its
 * slot stays limited. */
static void test_bounded_table(void)
{
	struct natt_ratelimit *rl = make(1, 1, 8, 1000000, 1000000);
	struct natt_cand hot = v4(9, 1);
	int new_pass = 0;

	CU_ASSERT_EQUAL(natt_ratelimit_check(rl, 0, &hot), NATT_RL_PASS);
	CU_ASSERT_EQUAL(natt_ratelimit_check(rl, 0, &hot), NATT_RL_LIMITED_FIRST);
	for (unsigned int i = 0; i < 1000; i++) {
		struct natt_cand s = v6((uint16_t)(i + 1), 1);

		new_pass += natt_ratelimit_check(rl, 0, &s) == NATT_RL_PASS;
	}
	CU_ASSERT_EQUAL(new_pass, 1000);
	CU_ASSERT(natt_ratelimit_memory(rl) < 1024);
	natt_ratelimit_free(rl);
}

/* With room in the table, other sources coming and going do not reset a
 * limited source's bucket. */
static void test_no_reset_by_churn(void)
{
	struct natt_ratelimit *rl = make(10, 2, 1024, 1000000, 1000000);
	struct natt_cand a = v4(5, 1);

	CU_ASSERT_EQUAL(natt_ratelimit_check(rl, 0, &a), NATT_RL_PASS);
	CU_ASSERT_EQUAL(natt_ratelimit_check(rl, 0, &a), NATT_RL_PASS);
	CU_ASSERT_EQUAL(natt_ratelimit_check(rl, 0, &a), NATT_RL_LIMITED_FIRST);
	for (unsigned int i = 0; i < 100; i++) {
		struct natt_cand s = v6((uint16_t)i, 9);

		CU_ASSERT_EQUAL(natt_ratelimit_check(rl, 1000, &s), NATT_RL_PASS);
	}
	CU_ASSERT_EQUAL(natt_ratelimit_check(rl, 2000, &a), NATT_RL_LIMITED);
	/* 100 ms per token at 10/s */
	CU_ASSERT_EQUAL(natt_ratelimit_check(rl, 100 * NATT_MSEC, &a), NATT_RL_PASS);
	CU_ASSERT_EQUAL(natt_ratelimit_check(rl, 100 * NATT_MSEC, &a), NATT_RL_LIMITED_FIRST);
	natt_ratelimit_free(rl);
}

static const struct natt_test tests[] = {
	{"config", test_config},
	{"burst_then_limited", test_burst_then_limited},
	{"sustained_rate", test_sustained_rate},
	{"source_keys", test_source_keys},
	{"global_limit", test_global_limit},
	{"bounded_table", test_bounded_table},
	{"no_reset_by_churn", test_no_reset_by_churn},
	{"peek", test_peek},
	{NULL, NULL},
};

int natt_suite_ratelimit(void)
{
	return natt_add_suite("ratelimit", tests);
}
