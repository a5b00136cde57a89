/*
 * samples.h: a bounded set of measurements (RTTs, keepalive intervals) with
 * exact count, minimum and maximum, and a median over a reservoir of at
 * most INS_SAMPLES_MAX values (Vitter's algorithm R with a fixed-seed
 * generator, so the same capture always gives the same median).  Fixed
 * size: a flow's memory does not grow with its length.
 */
#ifndef NATT_INSPECT_SAMPLES_H
#define NATT_INSPECT_SAMPLES_H

#include <stdint.h>

#define INS_SAMPLES_MAX 256

struct ins_samples {
	uint64_t count;	   /* values added */
	uint64_t min, max; /* valid when count > 0 */
	uint32_t n;	   /* values held in v */
	uint64_t rng;	   /* reservoir state */
	uint64_t v[INS_SAMPLES_MAX];
};

void ins_samples_init(struct ins_samples *s);
void ins_samples_add(struct ins_samples *s, uint64_t value);

/* The median of the values held (the lower one of the middle two for an
 * even number); 0 when empty.  Exact while count <= INS_SAMPLES_MAX. */
uint64_t ins_samples_median(const struct ins_samples *s);

#endif
