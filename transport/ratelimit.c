/*
 * ratelimit.c: GCRA token buckets per source prefix in a fixed table, and
 * one global bucket.
 *
 * A bucket is its theoretical arrival time `tat`: a request at `now` fits
 * when max(tat, now) - now <= (burst - 1) * T, T = 1 s / rate, and then
 * moves tat on by T.  tat <= now means a full bucket, which is also what an
 * empty slot holds.  Bit 63 of a slot's tat is the "told" flag of
 * ratelimit.h (times in microseconds stay far below 2^63).
 */
#include <stdlib.h>

#include "ratelimit.h"

#define TOLD_FLAG	 (UINT64_C(1) << 63)
#define MAX_RATE	 1000000u /* T must be at least 1 microsecond */
#define MAX_SLOTS	 (SIZE_MAX / 4 / sizeof(struct rl_slot))
#define SIXTOFOUR_PREFIX UINT64_C(0x2002) /* RFC 3056: IPv4 a.b.c.d is 2002:a.b.c.d::/48 */
#define HASH_MUL	 UINT64_C(0x9e3779b97f4a7c15)

struct rl_slot {
	uint64_t key; /* IPv6 /64 prefix; IPv4 as its 6to4 prefix */
	uint64_t tat; /* theoretical arrival time, TOLD_FLAG in bit 63 */
};

struct gcra {
	natt_time_t t;	 /* microseconds per token */
	natt_time_t tau; /* (burst - 1) * t: how far tat may run ahead of now */
};

struct natt_ratelimit {
	struct gcra src;
	struct gcra global;
	natt_time_t global_tat;
	size_t mask;	    /* slots - 1 */
	unsigned int shift; /* 64 - log2(slots) */
	struct rl_slot *slot;
};

void natt_ratelimit_config_default(struct natt_ratelimit_config *cfg)
{
	cfg->rate = NATT_RL_DEFAULT_RATE;
	cfg->burst = NATT_RL_DEFAULT_BURST;
	cfg->slots = NATT_RL_DEFAULT_SLOTS;
	cfg->global_rate = NATT_RL_DEFAULT_GLOBAL_RATE;
	cfg->global_burst = NATT_RL_DEFAULT_GLOBAL_BURST;
}

static void gcra_init(struct gcra *g, uint32_t rate, uint32_t burst)
{
	g->t = NATT_SEC / rate;
	g->tau = g->t * (burst - 1);
}

int natt_ratelimit_new(struct natt_ratelimit **out, const struct natt_ratelimit_config *cfg)
{
	struct natt_ratelimit *rl;
	size_t n = NATT_RL_PROBE;
	unsigned int bits = 3; /* log2(NATT_RL_PROBE) */

	*out = NULL;
	if (cfg->rate == 0 || cfg->burst == 0 || cfg->global_rate == 0 || cfg->global_burst == 0 ||
	    cfg->rate > MAX_RATE || cfg->global_rate > MAX_RATE || cfg->slots == 0 ||
	    cfg->slots > MAX_SLOTS)
		return NATT_ERR_INVALID;
	while (n < cfg->slots) {
		n <<= 1;
		bits++;
	}
	rl = calloc(1, sizeof(*rl));
	if (rl == NULL)
		return NATT_ERR_NOMEM;
	rl->slot = calloc(n, sizeof(*rl->slot));
	if (rl->slot == NULL) {
		free(rl);
		return NATT_ERR_NOMEM;
	}
	gcra_init(&rl->src, cfg->rate, cfg->burst);
	gcra_init(&rl->global, cfg->global_rate, cfg->global_burst);
	rl->mask = n - 1;
	rl->shift = 64 - bits;
	*out = rl;
	return NATT_OK;
}

void natt_ratelimit_free(struct natt_ratelimit *rl)
{
	if (rl == NULL)
		return;
	free(rl->slot);
	free(rl);
}

size_t natt_ratelimit_memory(const struct natt_ratelimit *rl)
{
	return sizeof(*rl) + (rl->mask + 1) * sizeof(*rl->slot);
}

static uint64_t source_key(const struct natt_cand *c)
{
	uint64_t k = 0;

	if (c->family == 4)
		return SIXTOFOUR_PREFIX << 48 | (uint64_t)c->addr[0] << 40 |
		       (uint64_t)c->addr[1] << 32 | (uint64_t)c->addr[2] << 24 |
		       (uint64_t)c->addr[3] << 16;
	if (c->family == 6)
		for (int i = 0; i < 8; i++)
			k = k << 8 | c->addr[i];
	return k;
}

static natt_time_t tat_of(const struct rl_slot *s)
{
	return s->tat & ~TOLD_FLAG;
}

/* The slot of key: its own, else the one in its window whose bucket refills
 * first: a free one (tat <= now) when there is one, else an eviction.
 * Either way the newcomer starts with a full bucket and no flag. */
static struct rl_slot *find_slot(struct natt_ratelimit *rl, uint64_t key)
{
	size_t i = (size_t)((key * HASH_MUL) >> rl->shift);
	struct rl_slot *victim = NULL;

	for (unsigned int n = 0; n < NATT_RL_PROBE; n++, i = (i + 1) & rl->mask) {
		struct rl_slot *s = &rl->slot[i];

		if (s->key == key)
			return s;
		if (victim == NULL || tat_of(s) < tat_of(victim))
			victim = s;
	}
	victim->key = key;
	victim->tat = 0;
	return victim;
}

static bool gcra_conforms(const struct gcra *g, natt_time_t tat, natt_time_t now)
{
	return tat <= now || tat - now <= g->tau;
}

static bool global_take(struct natt_ratelimit *rl, natt_time_t now)
{
	natt_time_t tat = rl->global_tat > now ? rl->global_tat : now;

	if (!gcra_conforms(&rl->global, tat, now))
		return false;
	rl->global_tat = tat + rl->global.t;
	return true;
}

/* The slot that holds key, or NULL (a newcomer, whose bucket is full). */
static const struct rl_slot *lookup_slot(const struct natt_ratelimit *rl, uint64_t key)
{
	size_t i = (size_t)((key * HASH_MUL) >> rl->shift);

	for (unsigned int n = 0; n < NATT_RL_PROBE; n++, i = (i + 1) & rl->mask)
		if (rl->slot[i].key == key)
			return &rl->slot[i];
	return NULL;
}

bool natt_ratelimit_peek(const struct natt_ratelimit *rl, natt_time_t now,
			 const struct natt_cand *src)
{
	const struct rl_slot *s = lookup_slot(rl, source_key(src));
	natt_time_t gtat = rl->global_tat > now ? rl->global_tat : now;

	if (s != NULL && !gcra_conforms(&rl->src, tat_of(s) > now ? tat_of(s) : now, now))
		return false;
	return gcra_conforms(&rl->global, gtat, now);
}

enum natt_rl_verdict natt_ratelimit_check(struct natt_ratelimit *rl, natt_time_t now,
					  const struct natt_cand *src)
{
	struct rl_slot *s = find_slot(rl, source_key(src));
	natt_time_t tat = tat_of(s) > now ? tat_of(s) : now;

	if (!gcra_conforms(&rl->src, tat, now)) {
		if (s->tat & TOLD_FLAG)
			return NATT_RL_LIMITED;
		if (!global_take(rl, now))
			return NATT_RL_GLOBAL;
		s->tat |= TOLD_FLAG;
		return NATT_RL_LIMITED_FIRST;
	}
	if (!global_take(rl, now))
		return NATT_RL_GLOBAL;
	s->tat = tat + rl->src.t; /* clears TOLD_FLAG: the episode is over */
	return NATT_RL_PASS;
}
