/*
 * replay.c: the sliding packet-number window (RFC 6479) and the rendezvous
 * salt guard (doc/PROTOCOL.md section 3.3).
 */
#include <stdlib.h>
#include <string.h>

#include "replay.h"

#define WORD_BITS 64

/* seq UINT64_MAX would make top wrap to 0 ("nothing seen"), so it is never
 * accepted; no sender gets anywhere near it (rekeying happens far sooner). */
#define SEQ_LIMIT UINT64_MAX

int natt_replay_init(struct natt_replay *r, uint64_t window)
{
	if (window == 0 || window > NATT_REPLAY_MAX_WINDOW)
		return NATT_ERR_INVALID;
	memset(r, 0, sizeof(*r));
	r->window = window;
	return NATT_OK;
}

static size_t word_of(uint64_t seq)
{
	return (size_t)((seq / WORD_BITS) % NATT_REPLAY_WORDS);
}

static uint64_t bit_of(uint64_t seq)
{
	return (uint64_t)1 << (seq % WORD_BITS);
}

int natt_replay_check(const struct natt_replay *r, uint64_t seq)
{
	if (seq == SEQ_LIMIT)
		return NATT_ERR_BAD_VALUE;
	if (seq >= r->top)
		return NATT_OK;
	if (r->top > r->window && seq < r->top - r->window)
		return NATT_ERR_TOO_OLD;
	return (r->ring[word_of(seq)] & bit_of(seq)) ? NATT_ERR_REPLAY : NATT_OK;
}

/* Moves top to seq + 1, clearing the words that now hold newer blocks. */
static void advance(struct natt_replay *r, uint64_t seq)
{
	if (r->top > 0) {
		uint64_t cur = (r->top - 1) / WORD_BITS;
		uint64_t diff = seq / WORD_BITS - cur;

		if (diff > NATT_REPLAY_WORDS)
			diff = NATT_REPLAY_WORDS;
		for (uint64_t i = 1; i <= diff; i++)
			r->ring[(cur + i) % NATT_REPLAY_WORDS] = 0;
	}
	r->top = seq + 1;
}

int natt_replay_update(struct natt_replay *r, uint64_t seq)
{
	int rc = natt_replay_check(r, seq);

	if (rc != NATT_OK)
		return rc;
	if (seq >= r->top)
		advance(r, seq);
	r->ring[word_of(seq)] |= bit_of(seq);
	return NATT_OK;
}

/*
 * Salt guard.  Wall-clock time is cut into periods of 2*skew; a salt goes
 * into the table of the period it was accepted in and stays until the
 * period after next begins.  A message accepted at t carries ts <= t + skew
 * and can pass the timestamp check only until t + 2*skew, which is always
 * before that, so every salt outlives its message.
 *
 * A table stores 8-byte fingerprints of the salts, not the salts: 8 bytes
 * a slot instead of 17, at a load of at most 2/3 (linear probing), so 24
 * bytes per salt of capacity and generation.  An exact replay always has
 * the same fingerprint and is always refused.  A fresh salt is refused by
 * mistake only if its fingerprint equals one of the at most 2 * capacity
 * remembered: about 2^21 / 2^64 = 2^-43 per message at a capacity of 2^20,
 * and since salts come from the sender's CSPRNG nobody can aim such a
 * collision at another sender's future message.  A sender who picks its
 * own salts can only get its own messages refused.
 */

struct salt_table {
	uint64_t *fp; /* slots; 0 = empty */
	size_t count;
};

struct natt_saltguard {
	struct salt_table gen[2]; /* [cur] this period's salts, [!cur] the previous period's */
	unsigned int cur;
	uint64_t period; /* 2 * skew ms (at least 1) */
	uint64_t epoch;	 /* now_wall_ms / period of the current generation */
	uint64_t skew;
	size_t capacity; /* salts per generation */
	size_t nslots;	 /* slots per table: capacity * 3 / 2, at most 2^32 */
};

#define MAX_SLOTS (UINT64_C(1) << 32) /* slot index from 32 bits of fingerprint */

/* splitmix64's finaliser: a bijection on 64 bits with full avalanche. */
static uint64_t mix64(uint64_t x)
{
	x = (x ^ (x >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
	x = (x ^ (x >> 27)) * UINT64_C(0x94d049bb133111eb);
	return x ^ (x >> 31);
}

/* All 16 bytes count: salts that share one half still differ.  Never 0. */
static uint64_t salt_fingerprint(const uint8_t salt[NATT_SALT_LEN])
{
	uint64_t a = 0, b = 0, h;

	for (int i = 0; i < 8; i++) {
		a = a << 8 | salt[i];
		b = b << 8 | salt[8 + i];
	}
	h = mix64(a ^ mix64(b + UINT64_C(0x9e3779b97f4a7c15)));
	return h != 0 ? h : 1;
}

/* The slot holding fp, or the empty slot where it would go.  The home slot
 * maps the top 32 bits of fp onto [0, nslots) (Lemire's multiply-shift),
 * so nslots need not be a power of two. */
static uint64_t *table_find(const struct natt_saltguard *g, const struct salt_table *t, uint64_t fp)
{
	size_t i = (size_t)(((fp >> 32) * (uint64_t)g->nslots) >> 32);

	while (t->fp[i] != 0 && t->fp[i] != fp)
		if (++i == g->nslots)
			i = 0;
	return &t->fp[i];
}

/* An empty table is left alone: its pages stay untouched (not resident)
 * until salts arrive, so an idle or lightly used guard costs little. */
static void table_clear(const struct natt_saltguard *g, struct salt_table *t)
{
	if (t->count == 0)
		return;
	memset(t->fp, 0, g->nslots * sizeof(t->fp[0]));
	t->count = 0;
}

struct natt_saltguard *natt_saltguard_new(size_t capacity, uint64_t skew_ms)
{
	struct natt_saltguard *g;
	uint64_t nslots = (uint64_t)capacity + capacity / 2 + 1; /* one slot stays empty */

	if (capacity == 0 || capacity > (MAX_SLOTS - 2) / 3 * 2 ||
	    nslots > SIZE_MAX / sizeof(uint64_t))
		return NULL;
	g = calloc(1, sizeof(*g));
	if (g == NULL)
		return NULL;
	g->capacity = capacity;
	g->nslots = (size_t)nslots;
	g->skew = skew_ms;
	g->period = skew_ms == 0 ? 1 : skew_ms > UINT64_MAX / 2 ? UINT64_MAX : 2 * skew_ms;
	for (int i = 0; i < 2; i++) {
		g->gen[i].fp = calloc(g->nslots, sizeof(uint64_t));
		if (g->gen[i].fp == NULL) {
			natt_saltguard_free(g);
			return NULL;
		}
	}
	return g;
}

void natt_saltguard_free(struct natt_saltguard *g)
{
	if (g == NULL)
		return;
	free(g->gen[0].fp);
	free(g->gen[1].fp);
	free(g);
}

size_t natt_saltguard_memory(const struct natt_saltguard *g)
{
	return sizeof(*g) + 2 * g->nslots * sizeof(uint64_t);
}

/* Retires generations whose period is over.  A clock that went back keeps
 * the current generation: forgetting early is what must never happen. */
static void rotate(struct natt_saltguard *g, uint64_t now_wall_ms)
{
	uint64_t epoch = now_wall_ms / g->period;

	if (epoch <= g->epoch)
		return;
	if (epoch - g->epoch == 1) {
		g->cur ^= 1;
		table_clear(g, &g->gen[g->cur]);
	} else {
		table_clear(g, &g->gen[0]);
		table_clear(g, &g->gen[1]);
	}
	g->epoch = epoch;
}

int natt_saltguard_check(struct natt_saltguard *g, const uint8_t salt[NATT_SALT_LEN],
			 uint64_t ts_wall_ms, uint64_t now_wall_ms)
{
	uint64_t off =
		ts_wall_ms > now_wall_ms ? ts_wall_ms - now_wall_ms : now_wall_ms - ts_wall_ms;
	uint64_t fp = salt_fingerprint(salt);
	struct salt_table *cur;
	uint64_t *slot;

	if (off > g->skew)
		return NATT_ERR_STALE;
	rotate(g, now_wall_ms);
	cur = &g->gen[g->cur];
	if (*table_find(g, &g->gen[g->cur ^ 1], fp) != 0)
		return NATT_ERR_REPLAY;
	slot = table_find(g, cur, fp);
	if (*slot != 0)
		return NATT_ERR_REPLAY;
	if (cur->count >= g->capacity)
		return NATT_ERR_FULL;
	*slot = fp;
	cur->count++;
	return NATT_OK;
}
