/*
 * ranges.h: a set of disjoint half-open intervals [lo, hi) of 64-bit
 * numbers, kept sorted and merged.  The reliable stream uses it for stream
 * bytes (acknowledged, to retransmit, received out of order) and for packet
 * numbers received.  Operations are O(n) in the number of intervals, which
 * the callers bound (max), so memory per set is bounded too.
 */
#ifndef NATT_RANGES_H
#define NATT_RANGES_H

#include <stdbool.h>

#include "natt.h"

struct natt_range {
	uint64_t lo; /* first number in the interval */
	uint64_t hi; /* one past the last */
};

struct natt_ranges {
	struct natt_range *r; /* sorted by lo, disjoint, never adjacent */
	size_t n;	      /* intervals in use */
	size_t cap;	      /* intervals allocated */
	size_t max;	      /* most intervals the set may hold */
};

/* An empty set that will hold at most max intervals (max >= 1). */
void natt_ranges_init(struct natt_ranges *s, size_t max);
void natt_ranges_free(struct natt_ranges *s);

/*
 * Adds [lo, hi) (nothing if lo >= hi), merging with what it touches.
 * Returns NATT_OK, NATT_ERR_FULL (the set would exceed max intervals; the
 * set is unchanged) or NATT_ERR_NOMEM (unchanged).
 */
int natt_ranges_add(struct natt_ranges *s, uint64_t lo, uint64_t hi);

/* Removes [lo, hi) from the set.  Splitting an interval needs one more;
 * returns NATT_OK, or NATT_ERR_FULL / NATT_ERR_NOMEM (then unchanged). */
int natt_ranges_remove(struct natt_ranges *s, uint64_t lo, uint64_t hi);

/* Removes everything below x. */
void natt_ranges_remove_below(struct natt_ranges *s, uint64_t x);

/* Drops the lowest interval (no-op on an empty set). */
void natt_ranges_drop_first(struct natt_ranges *s);

bool natt_ranges_contains(const struct natt_ranges *s, uint64_t x);

/* How many numbers of [lo, hi) are in the set. */
uint64_t natt_ranges_covered(const struct natt_ranges *s, uint64_t lo, uint64_t hi);

/* How many more intervals adding [lo, hi) would create (0 or 1; merges
 * can also reduce the count, which counts as 0). */
size_t natt_ranges_add_cost(const struct natt_ranges *s, uint64_t lo, uint64_t hi);

/* Total of all interval lengths. */
uint64_t natt_ranges_total(const struct natt_ranges *s);

static inline bool natt_ranges_empty(const struct natt_ranges *s)
{
	return s->n == 0;
}

#endif
