/* rtb.c: sent packet records (rtb.h). */
#include <stdlib.h>
#include <string.h>

#include "rtb.h"

#define RTB_MIN_CAP 64

void natt_rtb_init(struct natt_rtb *t)
{
	memset(t, 0, sizeof(*t));
}

void natt_rtb_free(struct natt_rtb *t)
{
	free(t->ring);
	memset(t, 0, sizeof(*t));
}

struct natt_sent *natt_rtb_at(struct natt_rtb *t, size_t i)
{
	return &t->ring[(t->head + i) & (t->cap - 1)];
}

static const struct natt_sent *at_const(const struct natt_rtb *t, size_t i)
{
	return &t->ring[(t->head + i) & (t->cap - 1)];
}

static int grow(struct natt_rtb *t)
{
	size_t cap = t->cap ? 2 * t->cap : RTB_MIN_CAP;
	struct natt_sent *n = malloc(cap * sizeof(*n));

	if (n == NULL)
		return NATT_ERR_NOMEM;
	for (size_t i = 0; i < t->count; i++)
		n[i] = *natt_rtb_at(t, i);
	free(t->ring);
	t->ring = n;
	t->cap = cap;
	t->head = 0;
	return NATT_OK;
}

int natt_rtb_add(struct natt_rtb *t, const struct natt_sent *s)
{
	if (t->count == t->cap && grow(t) != NATT_OK)
		return NATT_ERR_NOMEM;
	*natt_rtb_at(t, t->count) = *s;
	t->count++;
	t->eliciting_in_flight++;
	t->last_sent = s->time;
	return NATT_OK;
}

size_t natt_rtb_lower_bound(const struct natt_rtb *t, uint64_t pn)
{
	size_t lo = 0, hi = t->count;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (at_const(t, mid)->pn < pn)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

void natt_rtb_resolve(struct natt_rtb *t, size_t i, uint8_t how)
{
	struct natt_sent *s = natt_rtb_at(t, i);

	if (s->flags & (NATT_SENT_ACKED | NATT_SENT_LOST)) {
		s->flags |= how;
		return;
	}
	s->flags |= how;
	t->eliciting_in_flight--;
}

void natt_rtb_trim(struct natt_rtb *t)
{
	while (t->count > 0 && (natt_rtb_at(t, 0)->flags & (NATT_SENT_ACKED | NATT_SENT_LOST))) {
		t->head = (t->head + 1) & (t->cap - 1);
		t->count--;
	}
}

void natt_rtb_clear(struct natt_rtb *t)
{
	t->head = 0;
	t->count = 0;
	t->eliciting_in_flight = 0;
}
