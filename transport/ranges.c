/* ranges.c: sorted interval sets (ranges.h). */
#include <stdlib.h>
#include <string.h>

#include "ranges.h"

void natt_ranges_init(struct natt_ranges *s, size_t max)
{
	memset(s, 0, sizeof(*s));
	s->max = max > 0 ? max : 1;
}

void natt_ranges_free(struct natt_ranges *s)
{
	free(s->r);
	s->r = NULL;
	s->n = 0;
	s->cap = 0;
}

/* Index of the first interval whose hi >= x (one that could touch x). */
static size_t first_touching(const struct natt_ranges *s, uint64_t x)
{
	size_t lo = 0, hi = s->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (s->r[mid].hi < x)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static int reserve(struct natt_ranges *s, size_t n)
{
	struct natt_range *r;
	size_t cap;

	if (n > s->max)
		return NATT_ERR_FULL;
	if (n <= s->cap)
		return NATT_OK;
	cap = s->cap ? 2 * s->cap : 4;
	if (cap > s->max)
		cap = s->max;
	r = realloc(s->r, cap * sizeof(*r));
	if (r == NULL)
		return NATT_ERR_NOMEM;
	s->r = r;
	s->cap = cap;
	return NATT_OK;
}

size_t natt_ranges_add_cost(const struct natt_ranges *s, uint64_t lo, uint64_t hi)
{
	size_t i;

	if (lo >= hi)
		return 0;
	i = first_touching(s, lo);
	return i == s->n || s->r[i].lo > hi ? 1 : 0;
}

int natt_ranges_add(struct natt_ranges *s, uint64_t lo, uint64_t hi)
{
	size_t i, j;
	int rc;

	if (lo >= hi)
		return NATT_OK;
	i = first_touching(s, lo);
	if (i == s->n || s->r[i].lo > hi) {
		rc = reserve(s, s->n + 1);
		if (rc != NATT_OK)
			return rc;
		memmove(&s->r[i + 1], &s->r[i], (s->n - i) * sizeof(s->r[0]));
		s->r[i].lo = lo;
		s->r[i].hi = hi;
		s->n++;
		return NATT_OK;
	}
	/* Merge with r[i] and every following interval that [lo, hi) reaches. */
	j = i;
	while (j + 1 < s->n && s->r[j + 1].lo <= hi)
		j++;
	if (s->r[i].lo < lo)
		lo = s->r[i].lo;
	if (s->r[j].hi > hi)
		hi = s->r[j].hi;
	s->r[i].lo = lo;
	s->r[i].hi = hi;
	memmove(&s->r[i + 1], &s->r[j + 1], (s->n - j - 1) * sizeof(s->r[0]));
	s->n -= j - i;
	return NATT_OK;
}

int natt_ranges_remove(struct natt_ranges *s, uint64_t lo, uint64_t hi)
{
	size_t i, j;
	int rc;

	if (lo >= hi || s->n == 0)
		return NATT_OK;
	i = first_touching(s, lo + 1);
	if (i < s->n && s->r[i].lo < lo && s->r[i].hi > hi) {
		/* Splits one interval in two. */
		rc = reserve(s, s->n + 1);
		if (rc != NATT_OK)
			return rc;
		memmove(&s->r[i + 1], &s->r[i], (s->n - i) * sizeof(s->r[0]));
		s->n++;
		s->r[i].hi = lo;
		s->r[i + 1].lo = hi;
		return NATT_OK;
	}
	if (i < s->n && s->r[i].lo < lo) {
		s->r[i].hi = lo;
		i++;
	}
	j = i;
	while (j < s->n && s->r[j].hi <= hi)
		j++;
	if (j < s->n && s->r[j].lo < hi)
		s->r[j].lo = hi;
	memmove(&s->r[i], &s->r[j], (s->n - j) * sizeof(s->r[0]));
	s->n -= j - i;
	return NATT_OK;
}

void natt_ranges_remove_below(struct natt_ranges *s, uint64_t x)
{
	size_t i;

	if (x == 0 || s->n == 0)
		return;
	i = first_touching(s, x + 1);
	memmove(&s->r[0], &s->r[i], (s->n - i) * sizeof(s->r[0]));
	s->n -= i;
	if (s->n > 0 && s->r[0].lo < x)
		s->r[0].lo = x;
}

void natt_ranges_drop_first(struct natt_ranges *s)
{
	if (s->n == 0)
		return;
	memmove(&s->r[0], &s->r[1], (s->n - 1) * sizeof(s->r[0]));
	s->n--;
}

bool natt_ranges_contains(const struct natt_ranges *s, uint64_t x)
{
	size_t i = first_touching(s, x + 1);

	return i < s->n && s->r[i].lo <= x && x < s->r[i].hi;
}

uint64_t natt_ranges_covered(const struct natt_ranges *s, uint64_t lo, uint64_t hi)
{
	uint64_t n = 0;

	for (size_t i = first_touching(s, lo + 1); i < s->n && s->r[i].lo < hi; i++) {
		uint64_t a = s->r[i].lo > lo ? s->r[i].lo : lo;
		uint64_t b = s->r[i].hi < hi ? s->r[i].hi : hi;

		if (a < b)
			n += b - a;
	}
	return n;
}

uint64_t natt_ranges_total(const struct natt_ranges *s)
{
	uint64_t n = 0;

	for (size_t i = 0; i < s->n; i++)
		n += s->r[i].hi - s->r[i].lo;
	return n;
}
