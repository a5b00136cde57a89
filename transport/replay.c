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
 */

struct salt_slot {
	uint8_t salt[NATT_SALT_LEN];
	uint8_t used;
};

struct salt_table {
	struct salt_slot *slot; /* 2 * capacity slots: load stays <= 1/2 */
	size_t count;
};

struct natt_saltguard {
	struct salt_table gen[2]; /* [cur] this period's salts, [!cur] the previous period's */
	unsigned int cur;
	uint64_t period; /* 2 * skew ms (at least 1) */
	uint64_t epoch;	 /* now_wall_ms / period of the current generation */
	uint64_t skew;
	size_t capacity;    /* salts per generation, a power of two */
	unsigned int shift; /* 64 - log2(slots) */
};

/* Fibonacci hashing; the salt is random already, this only guards against
 * a sender who is careless with its salts. */
#define SALT_HASH_MUL UINT64_C(0x9e3779b97f4a7c15)

static size_t salt_hash(const struct natt_saltguard *g, const uint8_t salt[NATT_SALT_LEN])
{
	uint64_t h = 0;

	for (int i = 0; i < 8; i++)
		h = h << 8 | salt[i];
	return (size_t)((h * SALT_HASH_MUL) >> g->shift);
}

static size_t slots(const struct natt_saltguard *g)
{
	return g->capacity * 2;
}

/* The slot holding salt, or the empty slot where it would go. */
static struct salt_slot *table_find(const struct natt_saltguard *g, const struct salt_table *t,
				    const uint8_t salt[NATT_SALT_LEN])
{
	size_t mask = slots(g) - 1;
	size_t i = salt_hash(g, salt);

	while (t->slot[i].used && memcmp(t->slot[i].salt, salt, NATT_SALT_LEN) != 0)
		i = (i + 1) & mask;
	return &t->slot[i];
}

static void table_clear(const struct natt_saltguard *g, struct salt_table *t)
{
	memset(t->slot, 0, slots(g) * sizeof(t->slot[0]));
	t->count = 0;
}

struct natt_saltguard *natt_saltguard_new(size_t capacity, uint64_t skew_ms)
{
	struct natt_saltguard *g;
	size_t cap = 1;
	unsigned int bits = 1;

	if (capacity == 0 || capacity > SIZE_MAX / 4 / sizeof(struct salt_slot))
		return NULL;
	while (cap < capacity) {
		cap <<= 1;
		bits++;
	}
	g = calloc(1, sizeof(*g));
	if (g == NULL)
		return NULL;
	g->capacity = cap;
	g->shift = 64 - bits;
	g->skew = skew_ms;
	g->period = skew_ms == 0 ? 1 : skew_ms > UINT64_MAX / 2 ? UINT64_MAX : 2 * skew_ms;
	for (int i = 0; i < 2; i++) {
		g->gen[i].slot = calloc(slots(g), sizeof(struct salt_slot));
		if (g->gen[i].slot == NULL) {
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
	free(g->gen[0].slot);
	free(g->gen[1].slot);
	free(g);
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
	struct salt_table *cur;
	struct salt_slot *slot;

	if (off > g->skew)
		return NATT_ERR_STALE;
	rotate(g, now_wall_ms);
	cur = &g->gen[g->cur];
	if (table_find(g, &g->gen[g->cur ^ 1], salt)->used)
		return NATT_ERR_REPLAY;
	slot = table_find(g, cur, salt);
	if (slot->used)
		return NATT_ERR_REPLAY;
	if (cur->count >= g->capacity)
		return NATT_ERR_FULL;
	memcpy(slot->salt, salt, NATT_SALT_LEN);
	slot->used = 1;
	cur->count++;
	return NATT_OK;
}
