/* recvbuf.c: the reorder buffer of the reliable stream (recvbuf.h). */
#include <stdlib.h>
#include <string.h>

#include "recvbuf.h"

static size_t pow2_at_least(size_t n)
{
	size_t p = 1;

	while (p < n)
		p *= 2;
	return p;
}

int natt_recvbuf_init(struct natt_recvbuf *rb, size_t initial, size_t max)
{
	memset(rb, 0, sizeof(*rb));
	natt_ranges_init(&rb->ooo, NATT_RECVBUF_MAX_RANGES);
	rb->cap = pow2_at_least(initial > 0 ? initial : 1);
	rb->max_cap = pow2_at_least(max > initial ? max : initial);
	rb->buf = malloc(rb->cap);
	return rb->buf != NULL ? NATT_OK : NATT_ERR_NOMEM;
}

void natt_recvbuf_free(struct natt_recvbuf *rb)
{
	free(rb->buf);
	rb->buf = NULL;
	natt_ranges_free(&rb->ooo);
}

size_t natt_recvbuf_capacity(const struct natt_recvbuf *rb)
{
	return rb->cap;
}

static void ring_copy_in(struct natt_recvbuf *rb, uint64_t offset, const uint8_t *src, size_t len)
{
	size_t pos = (size_t)(offset & (rb->cap - 1));
	size_t first = rb->cap - pos < len ? rb->cap - pos : len;

	memcpy(rb->buf + pos, src, first);
	memcpy(rb->buf, src + first, len - first);
}

static void ring_copy_out(const uint8_t *ring, size_t cap, uint64_t offset, uint8_t *dst,
			  size_t len)
{
	size_t pos = (size_t)(offset & (cap - 1));
	size_t first = cap - pos < len ? cap - pos : len;

	memcpy(dst, ring + pos, first);
	memcpy(dst + first, ring, len - first);
}

/* One past the highest byte held (in order or not). */
static uint64_t top(const struct natt_recvbuf *rb)
{
	if (rb->ooo.n > 0)
		return rb->ooo.r[rb->ooo.n - 1].hi;
	return rb->contig;
}

int natt_recvbuf_reserve(struct natt_recvbuf *rb, size_t window)
{
	size_t cap = pow2_at_least(window);
	size_t span = (size_t)(top(rb) - rb->read);
	uint8_t *n;

	if (window > rb->max_cap)
		return NATT_ERR_INVALID;
	if (cap <= rb->cap)
		return NATT_OK;
	n = malloc(cap);
	if (n == NULL)
		return NATT_ERR_NOMEM;
	/* Move [read, top) (holes included) to the same offsets in the new ring. */
	for (size_t done = 0; done < span;) {
		size_t pos = (size_t)((rb->read + done) & (cap - 1));
		size_t chunk = cap - pos < span - done ? cap - pos : span - done;

		ring_copy_out(rb->buf, rb->cap, rb->read + done, n + pos, chunk);
		done += chunk;
	}
	free(rb->buf);
	rb->buf = n;
	rb->cap = cap;
	return NATT_OK;
}

int natt_recvbuf_check(const struct natt_recvbuf *rb, uint64_t offset, size_t len, bool fin)
{
	uint64_t end = offset + len;
	uint64_t lo = offset > rb->contig ? offset : rb->contig;

	if (rb->fin_known && (end > rb->final_size || (fin && end != rb->final_size)))
		return NATT_ERR_BAD_VALUE;
	if (fin && end < top(rb))
		return NATT_ERR_BAD_VALUE;
	if (end > rb->read + rb->cap)
		return NATT_ERR_BUFFER;
	if (lo > rb->contig && lo < end &&
	    rb->ooo.n + natt_ranges_add_cost(&rb->ooo, lo, end) > rb->ooo.max)
		return NATT_ERR_FULL;
	return NATT_OK;
}

uint64_t natt_recvbuf_ooo_after(const struct natt_recvbuf *rb, uint64_t offset, size_t len)
{
	uint64_t end = offset + len;

	if (offset <= rb->contig || end <= offset)
		return rb->ooo_bytes; /* in order: never adds to the out-of-order bytes */
	return rb->ooo_bytes + (end - offset) - natt_ranges_covered(&rb->ooo, offset, end);
}

bool natt_recvbuf_duplicate(const struct natt_recvbuf *rb, uint64_t offset, size_t len, bool fin)
{
	uint64_t end = offset + len;
	uint64_t lo = offset > rb->contig ? offset : rb->contig;

	if (fin && !rb->fin_known)
		return false;
	return lo >= end || natt_ranges_covered(&rb->ooo, lo, end) == end - lo;
}

/* Moves contig over the out-of-order ranges it now reaches. */
static void absorb(struct natt_recvbuf *rb)
{
	while (rb->ooo.n > 0 && rb->ooo.r[0].lo <= rb->contig) {
		const struct natt_range *r = &rb->ooo.r[0];

		if (r->hi > rb->contig)
			rb->contig = r->hi;
		rb->ooo_bytes -= r->hi - r->lo;
		natt_ranges_drop_first(&rb->ooo);
	}
}

int natt_recvbuf_insert(struct natt_recvbuf *rb, uint64_t offset, const uint8_t *data, size_t len,
			bool fin)
{
	uint64_t end = offset + len;
	uint64_t lo = offset > rb->contig ? offset : rb->contig;
	int rc = natt_recvbuf_check(rb, offset, len, fin);

	if (rc != NATT_OK)
		return rc;
	if (fin) {
		rb->fin_known = true;
		rb->final_size = end;
	}
	if (lo >= end)
		return NATT_OK;
	ring_copy_in(rb, lo, data + (lo - offset), (size_t)(end - lo));
	if (lo == rb->contig) {
		rb->contig = end;
	} else {
		uint64_t fresh = (end - lo) - natt_ranges_covered(&rb->ooo, lo, end);

		rc = natt_ranges_add(&rb->ooo, lo, end);
		if (rc != NATT_OK)
			return rc;
		rb->ooo_bytes += fresh;
	}
	absorb(rb);
	return NATT_OK;
}

size_t natt_recvbuf_readable(const struct natt_recvbuf *rb)
{
	return (size_t)(rb->contig - rb->read);
}

size_t natt_recvbuf_read(struct natt_recvbuf *rb, uint8_t *out, size_t cap)
{
	size_t n = natt_recvbuf_readable(rb);

	if (n > cap)
		n = cap;
	if (n > 0)
		ring_copy_out(rb->buf, rb->cap, rb->read, out, n);
	rb->read += n;
	return n;
}

bool natt_recvbuf_complete(const struct natt_recvbuf *rb)
{
	return rb->fin_known && rb->contig == rb->final_size;
}

bool natt_recvbuf_eof(const struct natt_recvbuf *rb)
{
	return natt_recvbuf_complete(rb) && rb->read == rb->final_size;
}
