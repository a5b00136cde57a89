/* ackr.c: received packet tracking and ACK generation (ackr.h). */
#include <string.h>

#include "ackr.h"

void natt_ackr_init(struct natt_ackr *a, natt_time_t max_ack_delay)
{
	memset(a, 0, sizeof(*a));
	natt_ranges_init(&a->rcvd, NATT_ACKR_MAX_RANGES);
	a->deadline = NATT_TIME_NEVER;
	a->max_ack_delay = max_ack_delay;
}

void natt_ackr_free(struct natt_ackr *a)
{
	natt_ranges_free(&a->rcvd);
}

bool natt_ackr_seen(const struct natt_ackr *a, uint64_t pn)
{
	return natt_ranges_contains(&a->rcvd, pn);
}

/* Out of order (RFC 9000 13.2.1): below the largest, or past a gap. */
static bool out_of_order(const struct natt_ackr *a, uint64_t pn)
{
	return a->any && (pn < a->largest || pn > a->largest + 1);
}

int natt_ackr_on_packet(struct natt_ackr *a, uint64_t pn, bool eliciting, natt_time_t now)
{
	bool ooo = out_of_order(a, pn);
	int rc = natt_ranges_add(&a->rcvd, pn, pn + 1);

	if (rc == NATT_ERR_FULL) {
		natt_ranges_drop_first(&a->rcvd);
		rc = natt_ranges_add(&a->rcvd, pn, pn + 1);
	}
	if (rc != NATT_OK)
		return rc;
	if (!a->any || pn > a->largest) {
		a->any = true;
		a->largest = pn;
		a->largest_at = now;
	}
	if (!eliciting)
		return NATT_OK;
	if (!a->any_eliciting || pn > a->largest_eliciting) {
		a->any_eliciting = true;
		a->largest_eliciting = pn;
	}
	a->eliciting_unacked++;
	if (ooo || a->eliciting_unacked >= NATT_ACKR_ELICITING_THRESHOLD)
		a->immediate = true;
	if (a->deadline == NATT_TIME_NEVER)
		a->deadline = now + a->max_ack_delay;
	return NATT_OK;
}

void natt_ackr_ack_now(struct natt_ackr *a)
{
	if (a->eliciting_unacked > 0)
		a->immediate = true;
}

bool natt_ackr_due(const struct natt_ackr *a, natt_time_t now)
{
	return a->immediate || a->deadline <= now;
}

bool natt_ackr_pending(const struct natt_ackr *a)
{
	return a->eliciting_unacked > 0;
}

bool natt_ackr_unconfirmed(const struct natt_ackr *a, natt_time_t now, natt_time_t gap)
{
	if (!a->any_eliciting || now < a->sent_at + gap)
		return false;
	return !a->any_confirmed || a->largest_eliciting > a->confirmed;
}

natt_time_t natt_ackr_deadline(const struct natt_ackr *a)
{
	if (a->immediate)
		return 0;
	return a->deadline;
}

static uint32_t clamp32(uint64_t v)
{
	return v > UINT32_MAX ? UINT32_MAX : (uint32_t)v;
}

int natt_ackr_build(const struct natt_ackr *a, natt_time_t now, struct natt_frame *f)
{
	const struct natt_ranges *s = &a->rcvd;
	size_t i;

	if (s->n == 0)
		return NATT_ERR_INVALID;
	memset(f, 0, sizeof(*f));
	f->type = NATT_FT_ACK;
	i = s->n - 1;
	f->ack.largest = s->r[i].hi - 1;
	f->ack.ack_delay_us = clamp32(now > a->largest_at ? now - a->largest_at : 0);
	/* Ranges and gaps are at most 2^32 long on the wire; a longer first
	 * range is reported shorter, which only under-acknowledges. */
	f->ack.first_range = clamp32(s->r[i].hi - 1 - s->r[i].lo);
	for (uint64_t prev_lo = s->r[i].hi - 1 - f->ack.first_range;
	     i > 0 && f->ack.range_count < NATT_ACK_MAX_RANGES; i--) {
		const struct natt_range *r = &s->r[i - 1];
		uint64_t gap = prev_lo - r->hi - 1;
		uint64_t len = r->hi - 1 - r->lo;

		if (gap > UINT32_MAX || len > UINT32_MAX)
			break;
		f->ack.range[f->ack.range_count].gap = (uint32_t)gap;
		f->ack.range[f->ack.range_count].length = (uint32_t)len;
		f->ack.range_count++;
		prev_lo = r->lo;
	}
	return NATT_OK;
}

void natt_ackr_on_sent(struct natt_ackr *a, natt_time_t now)
{
	a->sent_at = now;
	a->eliciting_unacked = 0;
	a->immediate = false;
	a->deadline = NATT_TIME_NEVER;
}

void natt_ackr_on_ack_acked(struct natt_ackr *a, uint64_t largest)
{
	if (!a->any_confirmed || largest > a->confirmed) {
		a->any_confirmed = true;
		a->confirmed = largest;
	}
	/* Keep the largest itself: it anchors out-of-order detection. */
	natt_ranges_remove_below(&a->rcvd, largest);
}
