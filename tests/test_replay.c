/*
 * test_replay.c: the packet-number window and the rendezvous salt guard
 * (transport/replay.c).  The window is also compared, over long random
 * runs, with a naive model that remembers every accepted number.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "replay.h"
#include "unit.h"

static const uint64_t windows[] = {1, 2, 63, 64, 65, 1000, 1024, 2048, NATT_REPLAY_MAX_WINDOW};
#define N_WINDOWS (sizeof(windows) / sizeof(windows[0]))

static void test_init(void)
{
	struct natt_replay r;

	CU_ASSERT_EQUAL(natt_replay_init(&r, 0), NATT_ERR_INVALID);
	CU_ASSERT_EQUAL(natt_replay_init(&r, NATT_REPLAY_MAX_WINDOW + 1), NATT_ERR_INVALID);
	CU_ASSERT_EQUAL(natt_replay_init(&r, 1), NATT_OK);
	CU_ASSERT_EQUAL(r.top, 0);
	CU_ASSERT_EQUAL(natt_replay_init(&r, NATT_REPLAY_MAX_WINDOW), NATT_OK);
	CU_ASSERT_EQUAL(r.window, NATT_REPLAY_MAX_WINDOW);
}

static void test_in_order(void)
{
	struct natt_replay r;
	int bad = 0;

	natt_replay_init(&r, 1024);
	for (uint64_t s = 0; s < 20000; s++) {
		bad += natt_replay_check(&r, s) != NATT_OK;
		bad += natt_replay_update(&r, s) != NATT_OK;
		bad += natt_replay_check(&r, s) != NATT_ERR_REPLAY;
		bad += natt_replay_update(&r, s) != NATT_ERR_REPLAY;
	}
	CU_ASSERT_EQUAL(bad, 0);
	CU_ASSERT_EQUAL(r.top, 20000);
}

static void test_seq_zero(void)
{
	struct natt_replay r;

	natt_replay_init(&r, 64);
	CU_ASSERT_EQUAL(natt_replay_check(&r, 0), NATT_OK);
	CU_ASSERT_EQUAL(natt_replay_update(&r, 0), NATT_OK);
	CU_ASSERT_EQUAL(r.top, 1);
	CU_ASSERT_EQUAL(natt_replay_check(&r, 0), NATT_ERR_REPLAY);
	CU_ASSERT_EQUAL(natt_replay_check(&r, 1), NATT_OK);

	/* 0 arriving after 1: still inside the window. */
	natt_replay_init(&r, 64);
	CU_ASSERT_EQUAL(natt_replay_update(&r, 1), NATT_OK);
	CU_ASSERT_EQUAL(natt_replay_update(&r, 0), NATT_OK);
	CU_ASSERT_EQUAL(natt_replay_update(&r, 0), NATT_ERR_REPLAY);
}

static void test_out_of_order(void)
{
	struct natt_replay r;

	natt_replay_init(&r, 64);
	CU_ASSERT_EQUAL(natt_replay_update(&r, 100), NATT_OK);
	for (uint64_t s = 99; s >= 38; s--)
		CU_ASSERT_EQUAL(natt_replay_update(&r, s), NATT_OK);
	CU_ASSERT_EQUAL(natt_replay_update(&r, 37), NATT_OK); /* top - window */
	CU_ASSERT_EQUAL(natt_replay_check(&r, 36), NATT_ERR_TOO_OLD);
	for (uint64_t s = 37; s <= 100; s++)
		CU_ASSERT_EQUAL(natt_replay_check(&r, s), NATT_ERR_REPLAY);
	CU_ASSERT_EQUAL(r.top, 101);
}

/* top - window is the oldest acceptable number, for every window size. */
static void test_window_edges(void)
{
	for (size_t i = 0; i < N_WINDOWS; i++) {
		struct natt_replay r;
		uint64_t w = windows[i], top = 10000;

		natt_replay_init(&r, w);
		CU_ASSERT_EQUAL(natt_replay_update(&r, top - 1), NATT_OK);
		CU_ASSERT_EQUAL(natt_replay_check(&r, top - w), w == 1 ? NATT_ERR_REPLAY : NATT_OK);
		CU_ASSERT_EQUAL(natt_replay_check(&r, top - w - 1), NATT_ERR_TOO_OLD);
		CU_ASSERT_EQUAL(natt_replay_update(&r, top - w - 1), NATT_ERR_TOO_OLD);
		if (w > 1) {
			CU_ASSERT_EQUAL(natt_replay_update(&r, top - w), NATT_OK);
			CU_ASSERT_EQUAL(natt_replay_check(&r, top - w), NATT_ERR_REPLAY);
		}
		CU_ASSERT_EQUAL(r.top, top);
		/* Below the window size nothing is too old. */
		natt_replay_init(&r, w);
		CU_ASSERT_EQUAL(natt_replay_update(&r, w - 1), NATT_OK);
		CU_ASSERT_EQUAL(natt_replay_check(&r, 0), w == 1 ? NATT_ERR_REPLAY : NATT_OK);
	}
}

/* After a jump longer than the ring, no stale bit may claim a new number. */
static void test_big_jump(void)
{
	const uint64_t ring_bits = NATT_REPLAY_WORDS * 64;

	for (size_t i = 0; i < N_WINDOWS; i++) {
		struct natt_replay r;
		uint64_t w = windows[i], jump, bad = 0;

		natt_replay_init(&r, w);
		for (uint64_t s = 0; s < ring_bits; s++)
			natt_replay_update(&r, s);
		/* Same word and bit as an old number, several rings on. */
		jump = 3 * ring_bits + 5;
		CU_ASSERT_EQUAL(natt_replay_update(&r, jump), NATT_OK);
		CU_ASSERT_EQUAL(r.top, jump + 1);
		for (uint64_t s = jump + 1 - w; s < jump; s++)
			bad += natt_replay_check(&r, s) != NATT_OK;
		CU_ASSERT_EQUAL(bad, 0);
		CU_ASSERT_EQUAL(natt_replay_check(&r, jump), NATT_ERR_REPLAY);
		CU_ASSERT_EQUAL(natt_replay_check(&r, jump - w), NATT_ERR_TOO_OLD);
		CU_ASSERT_EQUAL(natt_replay_check(&r, 5), NATT_ERR_TOO_OLD);
	}
}

/* Stale bits of a young window (top < 64) must go too. */
static void test_jump_from_start(void)
{
	const uint64_t jump = NATT_REPLAY_WORDS * 64;
	struct natt_replay r;
	int bad = 0;

	natt_replay_init(&r, 1024);
	for (uint64_t s = 0; s < 10; s++)
		natt_replay_update(&r, s);
	CU_ASSERT_EQUAL(natt_replay_update(&r, jump), NATT_OK);
	CU_ASSERT_EQUAL(natt_replay_update(&r, jump + 20), NATT_OK);
	for (uint64_t s = jump + 1; s < jump + 20; s++)
		bad += natt_replay_check(&r, s) != NATT_OK;
	CU_ASSERT_EQUAL(bad, 0);
}

/* A jump of less than a ring, partly over words still in use. */
static void test_partial_jump(void)
{
	struct natt_replay r;
	uint64_t bad = 0;

	natt_replay_init(&r, NATT_REPLAY_MAX_WINDOW);
	for (uint64_t s = 0; s < 5000; s++)
		natt_replay_update(&r, s);
	CU_ASSERT_EQUAL(natt_replay_update(&r, 5000 + 2000), NATT_OK);
	for (uint64_t s = 7001 - NATT_REPLAY_MAX_WINDOW; s < 5000; s++)
		bad += natt_replay_check(&r, s) != NATT_ERR_REPLAY;
	for (uint64_t s = 5000; s < 7000; s++)
		bad += natt_replay_check(&r, s) != NATT_OK;
	CU_ASSERT_EQUAL(bad, 0);
}

static void test_near_max(void)
{
	struct natt_replay r;

	natt_replay_init(&r, 64);
	CU_ASSERT_EQUAL(natt_replay_update(&r, UINT64_MAX - 70), NATT_OK);
	CU_ASSERT_EQUAL(natt_replay_update(&r, UINT64_MAX - 1), NATT_OK);
	CU_ASSERT_EQUAL(r.top, UINT64_MAX);
	CU_ASSERT_EQUAL(natt_replay_check(&r, UINT64_MAX - 1), NATT_ERR_REPLAY);
	CU_ASSERT_EQUAL(natt_replay_check(&r, UINT64_MAX - 2), NATT_OK);
	CU_ASSERT_EQUAL(natt_replay_check(&r, UINT64_MAX - 64), NATT_OK);
	CU_ASSERT_EQUAL(natt_replay_check(&r, UINT64_MAX - 65), NATT_ERR_TOO_OLD);
	CU_ASSERT_EQUAL(natt_replay_check(&r, UINT64_MAX - 70), NATT_ERR_TOO_OLD);
	CU_ASSERT_EQUAL(natt_replay_check(&r, 0), NATT_ERR_TOO_OLD);
	/* UINT64_MAX cannot be represented by top and is never accepted. */
	CU_ASSERT_EQUAL(natt_replay_check(&r, UINT64_MAX), NATT_ERR_BAD_VALUE);
	CU_ASSERT_EQUAL(natt_replay_update(&r, UINT64_MAX), NATT_ERR_BAD_VALUE);
	CU_ASSERT_EQUAL(r.top, UINT64_MAX);

	natt_replay_init(&r, 64);
	CU_ASSERT_EQUAL(natt_replay_update(&r, UINT64_MAX), NATT_ERR_BAD_VALUE);
	CU_ASSERT_EQUAL(r.top, 0);
}

/* check() never changes the window; a refused update() neither. */
static void test_check_is_pure(void)
{
	static const uint64_t probes[] = {
		0, 1, 63, 64, 500, 935, 936, 999, 1000, 1001, 99999, UINT64_MAX - 1, UINT64_MAX};
	struct natt_replay r, before;

	natt_replay_init(&r, 64);
	for (uint64_t s = 900; s < 1000; s += 3)
		natt_replay_update(&r, s);
	memcpy(&before, &r, sizeof(r));
	for (size_t i = 0; i < sizeof(probes) / sizeof(probes[0]); i++)
		natt_replay_check(&r, probes[i]);
	CU_ASSERT_EQUAL(memcmp(&before, &r, sizeof(r)), 0);
	CU_ASSERT_EQUAL(natt_replay_update(&r, 996), NATT_ERR_REPLAY);
	CU_ASSERT_EQUAL(natt_replay_update(&r, 10), NATT_ERR_TOO_OLD);
	CU_ASSERT_EQUAL(memcmp(&before, &r, sizeof(r)), 0);
}

/* ---- naive model: every accepted number in a hash set ---- */

#define MODEL_SLOTS (1u << 18)

struct model {
	uint64_t top, window;
	uint64_t *val;
	uint8_t *used;
};

static size_t model_slot(const struct model *m, uint64_t seq)
{
	size_t i = (size_t)((seq * UINT64_C(0xff51afd7ed558ccd)) >> 46);

	while (m->used[i] && m->val[i] != seq)
		i = (i + 1) & (MODEL_SLOTS - 1);
	return i;
}

static int model_check(const struct model *m, uint64_t seq)
{
	if (seq == UINT64_MAX)
		return NATT_ERR_BAD_VALUE;
	if (seq >= m->top)
		return NATT_OK;
	if (m->top > m->window && seq < m->top - m->window)
		return NATT_ERR_TOO_OLD;
	return m->used[model_slot(m, seq)] ? NATT_ERR_REPLAY : NATT_OK;
}

static int model_update(struct model *m, uint64_t seq)
{
	int rc = model_check(m, seq);
	size_t i;

	if (rc != NATT_OK)
		return rc;
	i = model_slot(m, seq);
	m->used[i] = 1;
	m->val[i] = seq;
	if (seq >= m->top)
		m->top = seq + 1;
	return NATT_OK;
}

static uint64_t rng_next(uint64_t *x)
{
	*x ^= *x >> 12;
	*x ^= *x << 25;
	*x ^= *x >> 27;
	return *x * UINT64_C(0x2545f4914f6cdd1d);
}

/* Mostly near the top, some behind, some ahead, a few far jumps. */
static uint64_t pick_seq(uint64_t *rng, uint64_t top, uint64_t base, uint64_t w)
{
	uint64_t r = rng_next(rng), x = rng_next(rng), d;

	if (top == 0)
		top = base;
	r %= 100;
	if (r == 99)
		return x & 1 ? UINT64_MAX : base;
	if (r >= 95)
		return top + x % (3 * NATT_REPLAY_WORDS * 64);
	if (r >= 80)
		return top + x % (2 * w + 2);
	if (r >= 40) {
		d = 1 + x % (w + w / 2 + 2);
		return top > base + d ? top - d : base + x % 4;
	}
	return top + x % 3;
}

/* Runs ops random operations; returns the index of the first disagreement, or -1. */
static long model_run(uint64_t window, uint64_t base, uint64_t seed, long ops)
{
	struct model m = {.window = window};
	struct natt_replay r;
	long bad = -1;

	m.val = calloc(MODEL_SLOTS, sizeof(*m.val));
	m.used = calloc(MODEL_SLOTS, 1);
	CU_ASSERT_FATAL(m.val != NULL && m.used != NULL);
	natt_replay_init(&r, window);
	for (long i = 0; i < ops && bad < 0; i++) {
		uint64_t seq = pick_seq(&seed, m.top, base, window);
		int want, got;

		if (rng_next(&seed) & 1) {
			want = model_update(&m, seq);
			got = natt_replay_update(&r, seq);
		} else {
			want = model_check(&m, seq);
			got = natt_replay_check(&r, seq);
		}
		if (want != got || r.top != m.top) {
			fprintf(stderr,
				"\nreplay model: window %lu op %ld seq %lu: "
				"want %d got %d\n",
				(unsigned long)window, i, (unsigned long)seq, want, got);
			bad = i;
		}
	}
	free(m.val);
	free(m.used);
	return bad;
}

static void test_random_model(void)
{
	static const uint64_t bases[] = {0, 1000000, UINT64_MAX - (UINT64_C(1) << 40)};

	for (size_t i = 0; i < N_WINDOWS; i++)
		for (size_t b = 0; b < sizeof(bases) / sizeof(bases[0]); b++)
			CU_ASSERT_EQUAL(model_run(windows[i], bases[b], 0x9e3779b97f4a7c15u + i + b,
						  100000),
					-1);
}

/* The model run must be able to fail: a window that forgets is caught. */
static void test_random_model_catches_bug(void)
{
	struct model m = {.window = 64};
	uint64_t seed = 42;
	int mismatches = 0;
	struct natt_replay r;

	m.val = calloc(MODEL_SLOTS, sizeof(*m.val));
	m.used = calloc(MODEL_SLOTS, 1);
	CU_ASSERT_FATAL(m.val != NULL && m.used != NULL);
	natt_replay_init(&r, 64);
	for (int i = 0; i < 10000; i++) {
		uint64_t seq = pick_seq(&seed, m.top, 0, 64);

		if (i % 100 == 0)
			memset(r.ring, 0, sizeof(r.ring)); /* the injected bug */
		mismatches += model_update(&m, seq) != natt_replay_update(&r, seq);
	}
	CU_ASSERT(mismatches > 0);
	free(m.val);
	free(m.used);
}

/* ---- salt guard ---- */

#define SKEW 1000
#define T0   UINT64_C(1700000000000)

static void salt_of(uint8_t salt[NATT_SALT_LEN], uint32_t n)
{
	for (int i = 0; i < NATT_SALT_LEN; i++)
		salt[i] = (uint8_t)(n >> (8 * (i % 4))) ^ (uint8_t)(i * 17);
}

static void test_salt_accept_replay(void)
{
	struct natt_saltguard *g = natt_saltguard_new(64, SKEW);
	uint8_t a[NATT_SALT_LEN], b[NATT_SALT_LEN];

	CU_ASSERT_PTR_NOT_NULL_FATAL(g);
	salt_of(a, 1);
	salt_of(b, 2);
	CU_ASSERT_EQUAL(natt_saltguard_check(g, a, T0, T0), NATT_OK);
	CU_ASSERT_EQUAL(natt_saltguard_check(g, a, T0, T0), NATT_ERR_REPLAY);
	CU_ASSERT_EQUAL(natt_saltguard_check(g, a, T0 + 5, T0 + 10), NATT_ERR_REPLAY);
	CU_ASSERT_EQUAL(natt_saltguard_check(g, b, T0, T0 + 10), NATT_OK);
	CU_ASSERT_EQUAL(natt_saltguard_check(g, b, T0, T0 + 10), NATT_ERR_REPLAY);
	natt_saltguard_free(g);
}

/* Salts that share their first 8 bytes (the hash input) are still told apart. */
static void test_salt_collisions(void)
{
	struct natt_saltguard *g = natt_saltguard_new(16, SKEW);
	uint8_t s[NATT_SALT_LEN];
	int bad = 0;

	CU_ASSERT_PTR_NOT_NULL_FATAL(g);
	for (int i = 0; i < 16; i++) {
		memset(s, 0x5a, sizeof(s));
		s[15] = (uint8_t)i;
		bad += natt_saltguard_check(g, s, T0, T0) != NATT_OK;
	}
	for (int i = 0; i < 16; i++) {
		memset(s, 0x5a, sizeof(s));
		s[15] = (uint8_t)i;
		bad += natt_saltguard_check(g, s, T0, T0) != NATT_ERR_REPLAY;
	}
	CU_ASSERT_EQUAL(bad, 0);
	natt_saltguard_free(g);
}

/* ...and so are salts that share their last 8 bytes. */
static void test_salt_collisions_tail(void)
{
	struct natt_saltguard *g = natt_saltguard_new(16, SKEW);
	uint8_t s[NATT_SALT_LEN];
	int bad = 0;

	CU_ASSERT_PTR_NOT_NULL_FATAL(g);
	for (int round = 0; round < 2; round++)
		for (int i = 0; i < 16; i++) {
			memset(s, 0xa5, sizeof(s));
			s[0] = (uint8_t)i;
			bad += natt_saltguard_check(g, s, T0, T0) !=
			       (round == 0 ? NATT_OK : NATT_ERR_REPLAY);
		}
	CU_ASSERT_EQUAL(bad, 0);
	natt_saltguard_free(g);
}

/* The capacity is exact (not rounded), and a full table of a large guard
 * still tells every salt apart.  Memory is 24 bytes per salt of capacity. */
static void test_salt_capacity_exact(void)
{
	enum { CAP = 100003 };
	struct natt_saltguard *g = natt_saltguard_new(CAP, SKEW);
	const uint64_t t = T0 - T0 % (2 * SKEW);
	uint8_t s[NATT_SALT_LEN];
	int bad = 0;

	CU_ASSERT_PTR_NOT_NULL_FATAL(g);
	for (uint32_t i = 0; i < CAP; i++) {
		salt_of(s, i);
		bad += natt_saltguard_check(g, s, t, t) != NATT_OK;
	}
	CU_ASSERT_EQUAL(bad, 0);
	salt_of(s, CAP);
	CU_ASSERT_EQUAL(natt_saltguard_check(g, s, t, t), NATT_ERR_FULL);
	for (uint32_t i = 0; i < CAP; i += 7) {
		salt_of(s, i);
		bad += natt_saltguard_check(g, s, t, t) != NATT_ERR_REPLAY;
	}
	CU_ASSERT_EQUAL(bad, 0);
	CU_ASSERT(natt_saltguard_memory(g) <= 24 * (size_t)CAP + 1024);
	CU_ASSERT(natt_saltguard_memory(g) >= 24 * (size_t)CAP);
	natt_saltguard_free(g);
	g = natt_saltguard_new(3, SKEW);
	CU_ASSERT_PTR_NOT_NULL_FATAL(g);
	for (uint32_t i = 0; i < 3; i++) {
		salt_of(s, i);
		CU_ASSERT_EQUAL(natt_saltguard_check(g, s, t, t), NATT_OK);
	}
	salt_of(s, 3);
	CU_ASSERT_EQUAL(natt_saltguard_check(g, s, t, t), NATT_ERR_FULL);
	natt_saltguard_free(g);
}

static void test_salt_stale(void)
{
	struct natt_saltguard *g = natt_saltguard_new(64, SKEW);
	uint8_t s[NATT_SALT_LEN];

	CU_ASSERT_PTR_NOT_NULL_FATAL(g);
	salt_of(s, 1);
	CU_ASSERT_EQUAL(natt_saltguard_check(g, s, T0 + SKEW + 1, T0), NATT_ERR_STALE);
	CU_ASSERT_EQUAL(natt_saltguard_check(g, s, T0 - SKEW - 1, T0), NATT_ERR_STALE);
	CU_ASSERT_EQUAL(natt_saltguard_check(g, s, UINT64_MAX, T0), NATT_ERR_STALE);
	CU_ASSERT_EQUAL(natt_saltguard_check(g, s, 0, T0), NATT_ERR_STALE);
	/* A stale message is not remembered. */
	CU_ASSERT_EQUAL(natt_saltguard_check(g, s, T0 + SKEW, T0), NATT_OK);
	salt_of(s, 2);
	CU_ASSERT_EQUAL(natt_saltguard_check(g, s, T0 - SKEW, T0), NATT_OK);
	/* Staleness is checked first, before the replay check. */
	CU_ASSERT_EQUAL(natt_saltguard_check(g, s, T0 - SKEW - 1, T0), NATT_ERR_STALE);
	/* Receiver clock near 0: no underflow. */
	salt_of(s, 3);
	CU_ASSERT_EQUAL(natt_saltguard_check(g, s, 0, 5), NATT_OK);
	natt_saltguard_free(g);
}

/*
 * A salt accepted at t (with any acceptable timestamp) is refused at every
 * later instant at which its timestamp still passes, and forgotten once both
 * generations have turned over.
 */
static int remembered_while_acceptable(uint64_t t, uint64_t ts)
{
	struct natt_saltguard *g = natt_saltguard_new(8, SKEW);
	uint8_t s[NATT_SALT_LEN];
	int bad = 0;

	salt_of(s, 77);
	bad += natt_saltguard_check(g, s, ts, t) != NATT_OK;
	for (uint64_t now = t; now <= ts + SKEW; now++)
		bad += natt_saltguard_check(g, s, ts, now) != NATT_ERR_REPLAY;
	bad += natt_saltguard_check(g, s, ts, ts + SKEW + 1) != NATT_ERR_STALE;
	/* Two full periods later the table no longer holds it. */
	bad += natt_saltguard_check(g, s, t + 4 * SKEW, t + 4 * SKEW) != NATT_OK;
	natt_saltguard_free(g);
	return bad;
}

static void test_salt_rotation(void)
{
	const uint64_t period = 2 * SKEW;
	const uint64_t starts[] = {T0 - T0 % period, T0 - T0 % period + period / 2,
				   T0 - T0 % period + period - 1};

	for (size_t i = 0; i < 3; i++) {
		uint64_t t = starts[i];

		CU_ASSERT_EQUAL(remembered_while_acceptable(t, t - SKEW), 0);
		CU_ASSERT_EQUAL(remembered_while_acceptable(t, t), 0);
		CU_ASSERT_EQUAL(remembered_while_acceptable(t, t + SKEW), 0);
	}
}

/* Memory is reused: thousands of periods through a small table. */
static void test_salt_many_periods(void)
{
	struct natt_saltguard *g = natt_saltguard_new(4, SKEW);
	uint8_t s[NATT_SALT_LEN];
	int bad = 0;

	CU_ASSERT_PTR_NOT_NULL_FATAL(g);
	for (uint32_t i = 0; i < 20000; i++) {
		uint64_t now = T0 + (uint64_t)i * 500;

		salt_of(s, i);
		bad += natt_saltguard_check(g, s, now, now) != NATT_OK;
	}
	CU_ASSERT_EQUAL(bad, 0);
	natt_saltguard_free(g);
}

static void test_salt_full(void)
{
	struct natt_saltguard *g = natt_saltguard_new(4, SKEW);
	const uint64_t t = T0 - T0 % (2 * SKEW);
	uint8_t s[NATT_SALT_LEN];

	CU_ASSERT_PTR_NOT_NULL_FATAL(g);
	for (uint32_t i = 0; i < 4; i++) {
		salt_of(s, i);
		CU_ASSERT_EQUAL(natt_saltguard_check(g, s, t, t), NATT_OK);
	}
	salt_of(s, 4);
	CU_ASSERT_EQUAL(natt_saltguard_check(g, s, t, t), NATT_ERR_FULL);
	CU_ASSERT_EQUAL(natt_saltguard_check(g, s, t, t + 1), NATT_ERR_FULL);
	salt_of(s, 0);
	CU_ASSERT_EQUAL(natt_saltguard_check(g, s, t, t), NATT_ERR_REPLAY);
	/* Next period: a fresh generation takes new salts, the old ones still replay. */
	salt_of(s, 4);
	CU_ASSERT_EQUAL(natt_saltguard_check(g, s, t + 2 * SKEW, t + 2 * SKEW), NATT_OK);
	salt_of(s, 1);
	CU_ASSERT_EQUAL(natt_saltguard_check(g, s, t + 2 * SKEW, t + 2 * SKEW), NATT_ERR_REPLAY);
	natt_saltguard_free(g);
}

static void test_salt_args(void)
{
	struct natt_saltguard *g;
	uint8_t s[NATT_SALT_LEN];

	CU_ASSERT_PTR_NULL(natt_saltguard_new(0, SKEW));
	CU_ASSERT_PTR_NULL(natt_saltguard_new(SIZE_MAX, SKEW));
	/* skew 0: only exact timestamps, and still a working table. */
	g = natt_saltguard_new(1, 0);
	CU_ASSERT_PTR_NOT_NULL_FATAL(g);
	salt_of(s, 1);
	CU_ASSERT_EQUAL(natt_saltguard_check(g, s, T0, T0 + 1), NATT_ERR_STALE);
	CU_ASSERT_EQUAL(natt_saltguard_check(g, s, T0, T0), NATT_OK);
	CU_ASSERT_EQUAL(natt_saltguard_check(g, s, T0, T0), NATT_ERR_REPLAY);
	salt_of(s, 2);
	CU_ASSERT_EQUAL(natt_saltguard_check(g, s, T0, T0), NATT_ERR_FULL);
	natt_saltguard_free(g);
	natt_saltguard_free(NULL);
}

static const struct natt_test tests[] = {
	{"init", test_init},
	{"in_order", test_in_order},
	{"seq_zero", test_seq_zero},
	{"out_of_order", test_out_of_order},
	{"window_edges", test_window_edges},
	{"big_jump", test_big_jump},
	{"jump_from_start", test_jump_from_start},
	{"partial_jump", test_partial_jump},
	{"near_max", test_near_max},
	{"check_is_pure", test_check_is_pure},
	{"random_model", test_random_model},
	{"random_model_catches_bug", test_random_model_catches_bug},
	{"salt_accept_replay", test_salt_accept_replay},
	{"salt_collisions", test_salt_collisions},
	{"salt_collisions_tail", test_salt_collisions_tail},
	{"salt_capacity_exact", test_salt_capacity_exact},
	{"salt_stale", test_salt_stale},
	{"salt_rotation", test_salt_rotation},
	{"salt_many_periods", test_salt_many_periods},
	{"salt_full", test_salt_full},
	{"salt_args", test_salt_args},
	{NULL, NULL},
};

int natt_suite_replay(void)
{
	return natt_add_suite("replay", tests);
}
