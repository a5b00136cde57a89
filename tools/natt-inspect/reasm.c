/*
 * reasm.c: a small table of reassemblies, each with its own buffer and the
 * list of byte ranges received.  The table is scanned linearly: it holds at
 * most a few dozen entries, and fragments are rare on a transport that
 * sizes its packets to avoid them.
 */
#include <stdlib.h>
#include <string.h>

#include "reasm.h"

struct range {
	size_t off, len;
};

struct entry {
	bool used;
	uint8_t family, proto;
	uint8_t src[16], dst[16];
	uint32_t id;
	natt_time_t first;
	size_t total;	/* known once the last fragment arrived; 0 before */
	size_t hdr_len; /* IP header length of the first fragment (offset 0) */
	size_t nrange;
	struct range range[INS_REASM_MAX_FRAGS];
	uint8_t *buf; /* INS_REASM_MAX_LEN bytes */
};

struct ins_reasm {
	size_t n;
	natt_time_t timeout;
	struct entry *e;
	uint8_t *out; /* the last completed datagram */
	struct ins_reasm_stats st;
};

struct ins_reasm *ins_reasm_new(size_t max_datagrams, natt_time_t timeout)
{
	struct ins_reasm *r;

	if (max_datagrams == 0)
		return NULL;
	r = calloc(1, sizeof(*r));
	if (r == NULL)
		return NULL;
	r->n = max_datagrams;
	r->timeout = timeout;
	r->e = calloc(max_datagrams, sizeof(*r->e));
	r->out = malloc(INS_REASM_MAX_LEN);
	if (r->e == NULL || r->out == NULL) {
		ins_reasm_free(r);
		return NULL;
	}
	return r;
}

void ins_reasm_free(struct ins_reasm *r)
{
	if (r == NULL)
		return;
	for (size_t i = 0; r->e != NULL && i < r->n; i++)
		free(r->e[i].buf);
	free(r->e);
	free(r->out);
	free(r);
}

const struct ins_reasm_stats *ins_reasm_stats(const struct ins_reasm *r)
{
	return &r->st;
}

static void drop(struct entry *e)
{
	e->used = false; /* the buffer is kept for the next datagram */
}

void ins_reasm_expire(struct ins_reasm *r, natt_time_t now)
{
	for (size_t i = 0; i < r->n; i++) {
		struct entry *e = &r->e[i];
		if (e->used && now >= e->first && now - e->first > r->timeout) {
			drop(e);
			r->st.timeouts++;
		}
	}
}

static bool same_key(const struct entry *e, const struct ins_ip *ip)
{
	return e->used && e->family == ip->src.family && e->proto == ip->proto &&
	       e->id == ip->frag_id && memcmp(e->src, ip->src.a, 16) == 0 &&
	       memcmp(e->dst, ip->dst.a, 16) == 0;
}

/* The entry of ip's datagram, a free one, or the oldest one evicted. */
static struct entry *find(struct ins_reasm *r, const struct ins_ip *ip, natt_time_t now)
{
	struct entry *fresh = NULL, *oldest = NULL;

	for (size_t i = 0; i < r->n; i++) {
		struct entry *e = &r->e[i];
		if (same_key(e, ip))
			return e;
		if (!e->used && fresh == NULL)
			fresh = e;
		if (e->used && (oldest == NULL || e->first < oldest->first))
			oldest = e;
	}
	if (fresh == NULL) {
		fresh = oldest;
		r->st.evicted++;
	}
	if (fresh->buf == NULL && (fresh->buf = malloc(INS_REASM_MAX_LEN)) == NULL)
		return NULL;
	fresh->used = true;
	fresh->family = ip->src.family;
	fresh->proto = ip->proto;
	fresh->id = ip->frag_id;
	memcpy(fresh->src, ip->src.a, 16);
	memcpy(fresh->dst, ip->dst.a, 16);
	fresh->first = now;
	fresh->total = 0;
	fresh->hdr_len = 0;
	fresh->nrange = 0;
	return fresh;
}

/* 0: new range; 1: an exact repeat; -1: overlaps another range. */
static int overlap(const struct entry *e, size_t off, size_t len)
{
	for (size_t i = 0; i < e->nrange; i++) {
		const struct range *g = &e->range[i];
		if (g->off == off && g->len == len)
			return 1;
		if (off < g->off + g->len && g->off < off + len)
			return -1;
	}
	return 0;
}

static bool complete(const struct entry *e)
{
	size_t have = 0;

	if (e->total == 0)
		return false;
	for (size_t i = 0; i < e->nrange; i++)
		have += e->range[i].len;
	return have == e->total; /* ranges are disjoint and inside [0, total) */
}

/* Validates the fragment's place; false when it must be dropped as bad. */
static bool fits(const struct entry *e, const struct ins_ip *ip)
{
	size_t off = ip->frag_off, len = ip->payload_len, end = off + len;
	size_t total = ip->frag_more ? e->total : end;

	if (end > INS_REASM_MAX_LEN || e->nrange == INS_REASM_MAX_FRAGS)
		return false;
	if (ip->frag_more && (len == 0 || len % 8 != 0))
		return false;
	if (!ip->frag_more && e->total != 0 && end != e->total)
		return false; /* two different final fragments */
	if (total == 0)
		return true;
	for (size_t i = 0; i < e->nrange; i++)
		if (e->range[i].off + e->range[i].len > total)
			return false;
	return end <= total;
}

int ins_reasm_add(struct ins_reasm *r, natt_time_t now, const struct ins_ip *ip,
		  const uint8_t **out, size_t *out_len, unsigned *nfrag, size_t *hdr_len)
{
	struct entry *e;
	int ov;

	r->st.fragments++;
	ins_reasm_expire(r, now);
	e = find(r, ip, now);
	if (e == NULL)
		return INS_REASM_DROP;
	ov = overlap(e, ip->frag_off, ip->payload_len);
	if (ov == 1)
		return INS_REASM_MORE;
	if (ov < 0 || !fits(e, ip)) {
		if (ov < 0)
			r->st.overlaps++;
		else
			r->st.bad++;
		drop(e);
		return INS_REASM_DROP;
	}
	memcpy(e->buf + ip->frag_off, ip->payload, ip->payload_len);
	e->range[e->nrange++] = (struct range){ip->frag_off, ip->payload_len};
	if (!ip->frag_more)
		e->total = ip->frag_off + ip->payload_len;
	if (ip->frag_off == 0)
		e->hdr_len = ip->hdr_len;
	if (!complete(e))
		return INS_REASM_MORE;
	memcpy(r->out, e->buf, e->total);
	*out = r->out;
	*out_len = e->total;
	*nfrag = (unsigned)e->nrange;
	*hdr_len = e->hdr_len;
	r->st.reassembled++;
	drop(e);
	return INS_REASM_DONE;
}
