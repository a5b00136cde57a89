/*
 * test_ranges.c: interval sets (transport/ranges.c), by hand and against a
 * bitmap model over long random sequences of operations.
 */
#include <stdbool.h>
#include <string.h>

#include "ranges.h"
#include "sim.h"
#include "unit.h"

#define MODEL_N 512

/* The set is sorted, disjoint, not adjacent, and equals the model. */
static bool matches(const struct natt_ranges *s, const bool *model)
{
	size_t k = 0;

	for (size_t i = 0; i < s->n; i++) {
		if (s->r[i].lo >= s->r[i].hi)
			return false;
		if (i > 0 && s->r[i].lo <= s->r[i - 1].hi)
			return false;
	}
	for (uint64_t x = 0; x < MODEL_N; x++) {
		if (natt_ranges_contains(s, x) != model[x])
			return false;
		k += model[x];
	}
	return natt_ranges_total(s) == k;
}

static void test_add_merge(void)
{
	struct natt_ranges s;

	natt_ranges_init(&s, 16);
	CU_ASSERT_EQUAL(natt_ranges_add(&s, 10, 20), NATT_OK);
	CU_ASSERT_EQUAL(natt_ranges_add(&s, 30, 40), NATT_OK);
	CU_ASSERT_EQUAL(s.n, 2);
	CU_ASSERT_EQUAL(natt_ranges_add(&s, 20, 30), NATT_OK); /* adjacent both sides */
	CU_ASSERT_EQUAL(s.n, 1);
	CU_ASSERT_EQUAL(s.r[0].lo, 10);
	CU_ASSERT_EQUAL(s.r[0].hi, 40);
	CU_ASSERT_EQUAL(natt_ranges_add(&s, 5, 5), NATT_OK); /* empty: no-op */
	CU_ASSERT_EQUAL(s.n, 1);
	CU_ASSERT_EQUAL(natt_ranges_add(&s, 0, 2), NATT_OK);
	CU_ASSERT_EQUAL(natt_ranges_add(&s, 50, 60), NATT_OK);
	CU_ASSERT_EQUAL(natt_ranges_add(&s, 1, 55), NATT_OK); /* swallows all */
	CU_ASSERT_EQUAL(s.n, 1);
	CU_ASSERT_EQUAL(s.r[0].lo, 0);
	CU_ASSERT_EQUAL(s.r[0].hi, 60);
	natt_ranges_free(&s);
}

static void test_remove_split(void)
{
	struct natt_ranges s;

	natt_ranges_init(&s, 2);
	natt_ranges_add(&s, 0, 100);
	CU_ASSERT_EQUAL(natt_ranges_remove(&s, 40, 60), NATT_OK);
	CU_ASSERT_EQUAL(s.n, 2);
	CU_ASSERT_EQUAL(natt_ranges_covered(&s, 0, 100), 80);
	/* A third interval would exceed max: refused, set unchanged. */
	CU_ASSERT_EQUAL(natt_ranges_remove(&s, 10, 20), NATT_ERR_FULL);
	CU_ASSERT_EQUAL(natt_ranges_covered(&s, 0, 100), 80);
	CU_ASSERT_EQUAL(natt_ranges_add(&s, 200, 210), NATT_ERR_FULL);
	CU_ASSERT_EQUAL(natt_ranges_add_cost(&s, 200, 210), 1);
	CU_ASSERT_EQUAL(natt_ranges_add_cost(&s, 60, 70), 0);
	natt_ranges_remove_below(&s, 50);
	CU_ASSERT_EQUAL(s.n, 1);
	CU_ASSERT_EQUAL(s.r[0].lo, 60);
	natt_ranges_drop_first(&s);
	CU_ASSERT_TRUE(natt_ranges_empty(&s));
	natt_ranges_free(&s);
}

static void test_model(void)
{
	struct sim_prng rng;
	struct natt_ranges s;
	bool model[MODEL_N];
	int bad = 0;

	sim_prng_seed(&rng, 7);
	natt_ranges_init(&s, 1024);
	memset(model, 0, sizeof(model));
	for (int i = 0; i < 20000; i++) {
		uint64_t a = sim_prng_next(&rng) % MODEL_N, len = sim_prng_next(&rng) % 24;
		uint64_t b = a + len > MODEL_N ? MODEL_N : a + len;
		unsigned op = sim_prng_next(&rng) % 8;

		if (op < 4) {
			bad += natt_ranges_add(&s, a, b) != NATT_OK;
			for (uint64_t x = a; x < b; x++)
				model[x] = true;
		} else if (op < 7) {
			bad += natt_ranges_remove(&s, a, b) != NATT_OK;
			for (uint64_t x = a; x < b; x++)
				model[x] = false;
		} else {
			uint64_t c = 0;

			for (uint64_t x = a; x < b; x++)
				c += model[x];
			bad += natt_ranges_covered(&s, a, b) != c;
		}
		if (i % 97 == 0)
			bad += !matches(&s, model);
	}
	CU_ASSERT_EQUAL(bad, 0);
	CU_ASSERT_TRUE(matches(&s, model));
	natt_ranges_free(&s);
}

static const struct natt_test tests[] = {
	{"add and merge", test_add_merge},
	{"remove, split, limits", test_remove_split},
	{"random operations against a bitmap", test_model},
	{NULL, NULL},
};

int natt_suite_ranges(void)
{
	return natt_add_suite("ranges", tests);
}
