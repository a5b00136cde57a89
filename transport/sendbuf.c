/* sendbuf.c: the sending half of the reliable stream (sendbuf.h). */
#include <stdlib.h>
#include <string.h>

#include "sendbuf.h"

/* Acknowledged or lost ranges are bounded by the packets in flight; this
 * is a safety net far above any real window. */
#define SENDBUF_MAX_RANGES 65536
#define SENDBUF_MIN_RING   4096

void natt_sendbuf_init(struct natt_sendbuf *sb, size_t limit)
{
	memset(sb, 0, sizeof(*sb));
	sb->limit = limit > 0 ? limit : 1;
	natt_ranges_init(&sb->acked, SENDBUF_MAX_RANGES);
	natt_ranges_init(&sb->retx, SENDBUF_MAX_RANGES);
}

void natt_sendbuf_free(struct natt_sendbuf *sb)
{
	free(sb->buf);
	sb->buf = NULL;
	sb->cap = 0;
	natt_ranges_free(&sb->acked);
	natt_ranges_free(&sb->retx);
}

size_t natt_sendbuf_held(const struct natt_sendbuf *sb)
{
	return (size_t)(sb->end - sb->base);
}

size_t natt_sendbuf_space(const struct natt_sendbuf *sb)
{
	if (sb->fin)
		return 0;
	return sb->limit - natt_sendbuf_held(sb);
}

static void ring_put(uint8_t *ring, size_t cap, uint64_t offset, const uint8_t *src, size_t len)
{
	size_t pos = (size_t)(offset & (cap - 1));
	size_t first = cap - pos < len ? cap - pos : len;

	memcpy(ring + pos, src, first);
	memcpy(ring, src + first, len - first);
}

static void ring_get(const uint8_t *ring, size_t cap, uint64_t offset, uint8_t *dst, size_t len)
{
	size_t pos = (size_t)(offset & (cap - 1));
	size_t first = cap - pos < len ? cap - pos : len;

	memcpy(dst, ring + pos, first);
	memcpy(dst + first, ring, len - first);
}

/* Makes the ring hold at least need bytes; keeps the held bytes. */
static int grow(struct natt_sendbuf *sb, size_t need)
{
	size_t cap = sb->cap ? sb->cap : SENDBUF_MIN_RING;
	uint8_t *n;

	while (cap < need)
		cap *= 2;
	if (cap == sb->cap)
		return NATT_OK;
	n = malloc(cap);
	if (n == NULL)
		return NATT_ERR_NOMEM;
	if (sb->buf != NULL) {
		size_t held = natt_sendbuf_held(sb);
		uint8_t *tmp = malloc(held ? held : 1);

		if (tmp == NULL) {
			free(n);
			return NATT_ERR_NOMEM;
		}
		ring_get(sb->buf, sb->cap, sb->base, tmp, held);
		ring_put(n, cap, sb->base, tmp, held);
		free(tmp);
		free(sb->buf);
	}
	sb->buf = n;
	sb->cap = cap;
	return NATT_OK;
}

long natt_sendbuf_write(struct natt_sendbuf *sb, const uint8_t *data, size_t len)
{
	size_t n;
	int rc;

	if (sb->fin)
		return NATT_ERR_INVALID;
	n = natt_sendbuf_space(sb);
	if (n > len)
		n = len;
	if (n == 0)
		return 0;
	rc = grow(sb, natt_sendbuf_held(sb) + n);
	if (rc != NATT_OK)
		return rc;
	ring_put(sb->buf, sb->cap, sb->end, data, n);
	sb->end += n;
	return (long)n;
}

void natt_sendbuf_finish(struct natt_sendbuf *sb)
{
	sb->fin = true;
}

void natt_sendbuf_discard(struct natt_sendbuf *sb)
{
	free(sb->buf);
	sb->buf = NULL;
	sb->cap = 0;
	sb->base = sb->next = sb->end;
	sb->fin = true;
	sb->fin_lost = false;
	sb->acked.n = 0;
	sb->retx.n = 0;
}

static bool fin_due(const struct natt_sendbuf *sb)
{
	return sb->fin && !sb->fin_acked && (!sb->fin_sent || sb->fin_lost);
}

bool natt_sendbuf_next(const struct natt_sendbuf *sb, size_t max_len, uint64_t flow_limit,
		       struct natt_chunk *c)
{
	memset(c, 0, sizeof(*c));
	if (!natt_ranges_empty(&sb->retx)) {
		const struct natt_range *r = &sb->retx.r[0];

		c->offset = r->lo;
		c->len = r->hi - r->lo < max_len ? (size_t)(r->hi - r->lo) : max_len;
		c->retx = true;
	} else if (sb->next < sb->end && sb->next < flow_limit) {
		uint64_t n = sb->end - sb->next;

		if (n > flow_limit - sb->next)
			n = flow_limit - sb->next;
		c->offset = sb->next;
		c->len = n < max_len ? (size_t)n : max_len;
	} else if (fin_due(sb) && sb->next == sb->end) {
		c->offset = sb->end;
		c->fin = true;
		c->retx = sb->fin_sent;
		return true;
	} else {
		return false;
	}
	c->fin = sb->fin && !sb->fin_acked && c->offset + c->len == sb->end &&
		 (c->retx ? sb->fin_lost || !sb->fin_sent : true);
	return true;
}

bool natt_sendbuf_oldest_unacked(const struct natt_sendbuf *sb, size_t max_len,
				 struct natt_chunk *c)
{
	uint64_t hi = sb->next;

	memset(c, 0, sizeof(*c));
	if (sb->base < sb->next) {
		if (!natt_ranges_empty(&sb->acked) && sb->acked.r[0].lo < hi)
			hi = sb->acked.r[0].lo;
		c->offset = sb->base;
		c->len = hi - sb->base < max_len ? (size_t)(hi - sb->base) : max_len;
		c->fin = sb->fin && sb->fin_sent && !sb->fin_acked && c->offset + c->len == sb->end;
		c->retx = true;
		return true;
	}
	if (sb->fin && sb->fin_sent && !sb->fin_acked) {
		c->offset = sb->end;
		c->fin = true;
		c->retx = true;
		return true;
	}
	return false;
}

void natt_sendbuf_copy(const struct natt_sendbuf *sb, uint64_t offset, size_t len, uint8_t *out)
{
	if (len > 0)
		ring_get(sb->buf, sb->cap, offset, out, len);
}

void natt_sendbuf_on_sent(struct natt_sendbuf *sb, const struct natt_chunk *c)
{
	uint64_t end = c->offset + c->len;

	if (c->retx)
		natt_ranges_remove(&sb->retx, c->offset, end);
	if (end > sb->next)
		sb->next = end;
	if (c->fin) {
		sb->fin_sent = true;
		sb->fin_lost = false;
	}
}

int natt_sendbuf_on_acked(struct natt_sendbuf *sb, uint64_t offset, size_t len, bool fin)
{
	uint64_t lo = offset > sb->base ? offset : sb->base;
	uint64_t hi = offset + len;
	int rc = NATT_OK;

	if (fin) {
		sb->fin_acked = true;
		sb->fin_lost = false;
	}
	if (lo >= hi)
		return NATT_OK;
	rc = natt_ranges_add(&sb->acked, lo, hi);
	if (rc == NATT_OK)
		rc = natt_ranges_remove(&sb->retx, lo, hi);
	if (!natt_ranges_empty(&sb->acked) && sb->acked.r[0].lo <= sb->base) {
		sb->base = sb->acked.r[0].hi;
		natt_ranges_drop_first(&sb->acked);
		natt_ranges_remove_below(&sb->retx, sb->base);
	}
	return rc;
}

int natt_sendbuf_on_lost(struct natt_sendbuf *sb, uint64_t offset, size_t len, bool fin)
{
	uint64_t lo = offset > sb->base ? offset : sb->base;
	uint64_t hi = offset + len;

	if (fin && !sb->fin_acked)
		sb->fin_lost = true;
	/* Add [lo, hi) minus what was acknowledged meanwhile. */
	for (size_t i = 0; lo < hi && i <= sb->acked.n; i++) {
		uint64_t stop = hi;
		int rc;

		if (i < sb->acked.n) {
			const struct natt_range *a = &sb->acked.r[i];

			if (a->hi <= lo)
				continue;
			if (a->lo < stop)
				stop = a->lo;
			rc = natt_ranges_add(&sb->retx, lo, stop > lo ? stop : lo);
			lo = a->hi > lo ? a->hi : lo;
		} else {
			rc = natt_ranges_add(&sb->retx, lo, stop);
			lo = hi;
		}
		if (rc != NATT_OK)
			return rc;
	}
	return NATT_OK;
}

bool natt_sendbuf_done(const struct natt_sendbuf *sb)
{
	return sb->fin && sb->fin_acked && sb->base == sb->end;
}
