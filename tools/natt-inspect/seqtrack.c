/*
 * seqtrack.c: streams in an open-addressing hash table; each stream holds
 * its chunks in an array sorted by chunk index (packets mostly hit the
 * last one); all chunks are on one LRU list for the budget.
 */
#include <stdlib.h>
#include <string.h>

#include "seqtrack.h"

#define WORDS (INS_SEQ_CHUNK / 64)

struct stream;

struct chunk {
	uint64_t index; /* seq / INS_SEQ_CHUNK */
	struct stream *owner;
	struct chunk *lru_prev, *lru_next;
	uint64_t seen[WORDS];
	uint32_t fp[INS_SEQ_CHUNK];
};

struct stream {
	bool used;
	uint8_t space, epoch;
	natt_cid_t cid;
	bool any;
	uint64_t highest;
	uint64_t evictions;   /* chunks of this stream dropped for the budget */
	struct chunk **chunk; /* sorted by index */
	size_t nchunk, capchunk;
};

struct ins_seqtrack {
	struct stream *s;
	size_t cap; /* slots: a power of two, at least 2 * max_streams */
	size_t max_streams, max_chunks;
	struct chunk *lru_head, *lru_tail; /* head: most recently used */
	struct ins_seqtrack_stats st;
};

struct ins_seqtrack *ins_seqtrack_new(size_t max_streams, size_t max_chunks)
{
	struct ins_seqtrack *t;
	size_t cap = 16;

	if (max_streams == 0 || max_chunks == 0)
		return NULL;
	while (cap < 2 * max_streams)
		cap *= 2;
	t = calloc(1, sizeof(*t));
	if (t == NULL)
		return NULL;
	t->s = calloc(cap, sizeof(*t->s));
	if (t->s == NULL) {
		free(t);
		return NULL;
	}
	t->cap = cap;
	t->max_streams = max_streams;
	t->max_chunks = max_chunks;
	return t;
}

void ins_seqtrack_free(struct ins_seqtrack *t)
{
	if (t == NULL)
		return;
	for (size_t i = 0; i < t->cap; i++) {
		for (size_t j = 0; j < t->s[i].nchunk; j++)
			free(t->s[i].chunk[j]);
		free(t->s[i].chunk);
	}
	free(t->s);
	free(t);
}

const struct ins_seqtrack_stats *ins_seqtrack_stats(const struct ins_seqtrack *t)
{
	return &t->st;
}

uint32_t ins_seq_fingerprint(const uint8_t *pkt, size_t len)
{
	size_t n = len < NATT_TAG_LEN ? len : NATT_TAG_LEN;
	uint32_t h = 2166136261u ^ (uint32_t)len; /* FNV-1a over the tag */

	for (size_t i = len - n; i < len; i++)
		h = (h ^ pkt[i]) * 16777619u;
	return h;
}

static size_t slot_of(const struct ins_seqtrack *t, uint8_t space, natt_cid_t cid, uint8_t epoch)
{
	uint64_t h = cid ^ ((uint64_t)space << 56) ^ ((uint64_t)epoch << 48);

	h ^= h >> 33;
	h *= UINT64_C(0xff51afd7ed558ccd);
	h ^= h >> 33;
	return (size_t)h & (t->cap - 1);
}

static struct stream *lookup(const struct ins_seqtrack *t, uint8_t space, natt_cid_t cid,
			     uint8_t epoch, bool *found)
{
	size_t i = slot_of(t, space, cid, epoch);

	for (;; i = (i + 1) & (t->cap - 1)) {
		struct stream *s = &t->s[i];
		if (!s->used) {
			*found = false;
			return s;
		}
		if (s->space == space && s->cid == cid && s->epoch == epoch) {
			*found = true;
			return s;
		}
	}
}

bool ins_seqtrack_highest(const struct ins_seqtrack *t, uint8_t space, natt_cid_t cid,
			  uint8_t epoch, uint64_t *hi)
{
	bool found;
	const struct stream *s = lookup(t, space, cid, epoch, &found);

	if (!found || !s->any)
		return false;
	*hi = s->highest;
	return true;
}

static void lru_unlink(struct ins_seqtrack *t, struct chunk *c)
{
	if (c->lru_prev != NULL)
		c->lru_prev->lru_next = c->lru_next;
	else
		t->lru_head = c->lru_next;
	if (c->lru_next != NULL)
		c->lru_next->lru_prev = c->lru_prev;
	else
		t->lru_tail = c->lru_prev;
	c->lru_prev = c->lru_next = NULL;
}

static void lru_front(struct ins_seqtrack *t, struct chunk *c)
{
	if (t->lru_head == c)
		return;
	if (c->lru_prev != NULL || c->lru_next != NULL || t->lru_tail == c)
		lru_unlink(t, c);
	c->lru_next = t->lru_head;
	if (t->lru_head != NULL)
		t->lru_head->lru_prev = c;
	t->lru_head = c;
	if (t->lru_tail == NULL)
		t->lru_tail = c;
}

/* Position of index in s's sorted array, or where it would go. */
static size_t chunk_pos(const struct stream *s, uint64_t index, bool *found)
{
	size_t lo = 0, hi = s->nchunk;

	if (s->nchunk > 0 && s->chunk[s->nchunk - 1]->index == index) {
		*found = true;
		return s->nchunk - 1;
	}
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (s->chunk[mid]->index < index)
			lo = mid + 1;
		else
			hi = mid;
	}
	*found = lo < s->nchunk && s->chunk[lo]->index == index;
	return lo;
}

static void evict_one(struct ins_seqtrack *t)
{
	struct chunk *c = t->lru_tail;
	struct stream *s = c->owner;
	bool found;
	size_t pos = chunk_pos(s, c->index, &found);

	lru_unlink(t, c);
	memmove(&s->chunk[pos], &s->chunk[pos + 1], (s->nchunk - pos - 1) * sizeof(*s->chunk));
	s->nchunk--;
	s->evictions++;
	t->st.evicted++;
	t->st.chunks--;
	free(c);
}

static struct chunk *chunk_new(struct ins_seqtrack *t, struct stream *s, size_t pos, uint64_t index)
{
	struct chunk *c;

	if (s->nchunk == s->capchunk) {
		size_t ncap = s->capchunk ? 2 * s->capchunk : 4;
		struct chunk **n = realloc(s->chunk, ncap * sizeof(*n));
		if (n == NULL)
			return NULL;
		s->chunk = n;
		s->capchunk = ncap;
	}
	c = calloc(1, sizeof(*c));
	if (c == NULL)
		return NULL;
	c->index = index;
	c->owner = s;
	memmove(&s->chunk[pos + 1], &s->chunk[pos], (s->nchunk - pos) * sizeof(*s->chunk));
	s->chunk[pos] = c;
	s->nchunk++;
	t->st.chunks++;
	return c;
}

/* The chunk holding seq, made (after evicting to stay in budget) if new. */
static struct chunk *chunk_get(struct ins_seqtrack *t, struct stream *s, uint64_t seq, bool *made)
{
	uint64_t index = seq / INS_SEQ_CHUNK;
	bool found;
	size_t pos = chunk_pos(s, index, &found);

	*made = !found;
	if (found)
		return s->chunk[pos];
	if (t->st.chunks >= t->max_chunks) {
		evict_one(t);
		pos = chunk_pos(s, index, &found); /* the array may have moved */
	}
	return chunk_new(t, s, pos, index);
}

static void classify_new(struct stream *s, uint64_t seq, struct ins_seq_result *r)
{
	if (!s->any) {
		r->first = true;
	} else if (seq > s->highest) {
		uint64_t gap = seq - s->highest - 1;
		r->jump = gap > INS_SEQ_MAX_GAP;
		r->skipped = r->jump ? 0 : gap;
	}
	if (!s->any || seq > s->highest) {
		s->highest = seq;
		s->any = true;
		r->verdict = INS_SEQ_NEW;
	} else {
		r->verdict = INS_SEQ_LATE;
	}
}

static int stream_get(struct ins_seqtrack *t, uint8_t space, natt_cid_t cid, uint8_t epoch,
		      struct stream **out)
{
	bool found;
	struct stream *s = lookup(t, space, cid, epoch, &found);

	if (!found) {
		if (t->st.streams >= t->max_streams) {
			t->st.streams_refused++;
			return NATT_ERR_FULL;
		}
		memset(s, 0, sizeof(*s));
		s->used = true;
		s->space = space;
		s->cid = cid;
		s->epoch = epoch;
		t->st.streams++;
	}
	*out = s;
	return NATT_OK;
}

int ins_seqtrack_add(struct ins_seqtrack *t, uint8_t space, natt_cid_t cid, uint8_t epoch,
		     uint64_t seq, uint32_t fp, struct ins_seq_result *r)
{
	struct stream *s;
	struct chunk *c;
	size_t bit = (size_t)(seq % INS_SEQ_CHUNK);
	uint64_t mask = UINT64_C(1) << (bit % 64);
	bool made;
	int rc = stream_get(t, space, cid, epoch, &s);

	memset(r, 0, sizeof(*r));
	if (rc != NATT_OK)
		return rc;
	c = chunk_get(t, s, seq, &made);
	if (c == NULL)
		return NATT_ERR_NOMEM;
	lru_front(t, c);
	if (c->seen[bit / 64] & mask) {
		r->verdict = c->fp[bit] == fp ? INS_SEQ_DUP : INS_SEQ_REUSE;
		return NATT_OK;
	}
	c->seen[bit / 64] |= mask;
	c->fp[bit] = fp;
	if (made && s->evictions > 0 && s->any && seq < s->highest) {
		r->verdict = INS_SEQ_UNCHECKED;
		t->st.unchecked++;
		return NATT_OK;
	}
	classify_new(s, seq, r);
	return NATT_OK;
}
