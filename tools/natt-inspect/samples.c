/* samples.c: reservoir of measurements (samples.h). */
#include <stdlib.h>
#include <string.h>

#include "samples.h"

void ins_samples_init(struct ins_samples *s)
{
	memset(s, 0, sizeof(*s));
	s->rng = UINT64_C(0x9e3779b97f4a7c15);
}

/* xorshift64*: deterministic, good enough to pick reservoir slots. */
static uint64_t next_rand(struct ins_samples *s)
{
	s->rng ^= s->rng >> 12;
	s->rng ^= s->rng << 25;
	s->rng ^= s->rng >> 27;
	return s->rng * UINT64_C(2685821657736338717);
}

void ins_samples_add(struct ins_samples *s, uint64_t value)
{
	if (s->count == 0 || value < s->min)
		s->min = value;
	if (s->count == 0 || value > s->max)
		s->max = value;
	s->count++;
	if (s->n < INS_SAMPLES_MAX) {
		s->v[s->n++] = value;
		return;
	}
	uint64_t j = next_rand(s) % s->count;
	if (j < INS_SAMPLES_MAX)
		s->v[j] = value;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

uint64_t ins_samples_median(const struct ins_samples *s)
{
	uint64_t tmp[INS_SAMPLES_MAX];

	if (s->n == 0)
		return 0;
	memcpy(tmp, s->v, s->n * sizeof(tmp[0]));
	qsort(tmp, s->n, sizeof(tmp[0]), cmp_u64);
	return tmp[(s->n - 1) / 2];
}
