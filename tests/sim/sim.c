/*
 * sim.c: the deterministic simulated network (sim.h).
 *
 * Datagrams in flight sit in a binary min-heap ordered by (arrival time,
 * sequence of sending), so equal arrival times keep sending order.  Each
 * link's state is its burst counter and the rate limiter's "busy until"
 * instant, kept in nanoseconds so that serialisation times do not round.
 */
#include <stdlib.h>
#include <string.h>

#include "sim.h"

struct sim_pkt {
	natt_time_t at;
	uint64_t seq;
	struct sim_addr from;
	struct sim_addr to;
	size_t len;
	uint8_t data[];
};

struct sim_link {
	uint32_t from_ip;
	uint32_t to_ip;
	struct sim_link_cfg cfg;
	struct sim_link_stats st;
	unsigned burst_left;	/* datagrams still to drop in the current burst */
	uint64_t busy_until_ns; /* rate limiter: when the backlog will have left */
};

struct sim {
	natt_time_t now;
	uint64_t seq;
	struct sim_prng rng;
	struct sim_link_cfg def;
	struct sim_link *links;
	size_t nlinks;
	size_t links_cap;
	struct sim_pkt **heap;
	size_t nheap;
	size_t heap_cap;
	sim_hook_fn hook;
	void *hook_ctx;
	sim_trace_fn trace;
	void *trace_ctx;
	uint64_t hash;
};

#define FNV_OFFSET UINT64_C(0xcbf29ce484222325)
#define FNV_PRIME  UINT64_C(0x100000001b3)
#define NS_PER_US  1000
#define NS_PER_SEC UINT64_C(1000000000)

/* ---- PRNG: splitmix64 seeds xoshiro256** ---- */

static uint64_t splitmix64(uint64_t *x)
{
	uint64_t z = (*x += UINT64_C(0x9e3779b97f4a7c15));

	z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
	z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
	return z ^ (z >> 31);
}

void sim_prng_seed(struct sim_prng *p, uint64_t seed)
{
	for (int i = 0; i < 4; i++)
		p->s[i] = splitmix64(&seed);
}

static uint64_t rotl(uint64_t x, int k)
{
	return (x << k) | (x >> (64 - k));
}

uint64_t sim_prng_next(struct sim_prng *p)
{
	uint64_t *s = p->s;
	uint64_t result = rotl(s[1] * 5, 7) * 9;
	uint64_t t = s[1] << 17;

	s[2] ^= s[0];
	s[3] ^= s[1];
	s[1] ^= s[2];
	s[0] ^= s[3];
	s[2] ^= t;
	s[3] = rotl(s[3], 45);
	return result;
}

uint64_t sim_rand(struct sim *s)
{
	return sim_prng_next(&s->rng);
}

double sim_rand_unit(struct sim *s)
{
	return (double)(sim_rand(s) >> 11) * (1.0 / 9007199254740992.0);
}

/* True with probability p; draws nothing when p is 0 or 1. */
static bool chance(struct sim *s, double p)
{
	if (p <= 0.0)
		return false;
	if (p >= 1.0)
		return true;
	return sim_rand_unit(s) < p;
}

/* Uniform in [0, max]. */
static natt_time_t uniform_time(struct sim *s, natt_time_t max)
{
	if (max == 0)
		return 0;
	return sim_rand(s) % (max + 1);
}

/* ---- trace ---- */

static void hash_bytes(uint64_t *h, const void *p, size_t len)
{
	const uint8_t *b = p;

	for (size_t i = 0; i < len; i++) {
		*h ^= b[i];
		*h *= FNV_PRIME;
	}
}

static void hash_u64(uint64_t *h, uint64_t v)
{
	uint8_t b[8];

	for (int i = 0; i < 8; i++)
		b[i] = (uint8_t)(v >> (8 * i));
	hash_bytes(h, b, sizeof(b));
}

static void record(struct sim *s, enum sim_event ev, struct sim_addr from, struct sim_addr to,
		   const uint8_t *data, size_t len, const char *reason)
{
	hash_u64(&s->hash, s->now);
	hash_u64(&s->hash, ev);
	hash_u64(&s->hash, (uint64_t)from.ip << 16 | from.port);
	hash_u64(&s->hash, (uint64_t)to.ip << 16 | to.port);
	hash_u64(&s->hash, len);
	if (ev == SIM_EV_SEND)
		hash_bytes(&s->hash, data, len);
	if (s->trace != NULL)
		s->trace(s->trace_ctx, s->now, ev, from, to, len, reason);
}

uint64_t sim_trace_hash(const struct sim *s)
{
	return s->hash;
}

/* ---- lifecycle and configuration ---- */

struct sim *sim_new(uint64_t seed)
{
	struct sim *s = calloc(1, sizeof(*s));

	if (s == NULL)
		return NULL;
	sim_prng_seed(&s->rng, seed);
	s->hash = FNV_OFFSET;
	return s;
}

void sim_free(struct sim *s)
{
	if (s == NULL)
		return;
	for (size_t i = 0; i < s->nheap; i++)
		free(s->heap[i]);
	free(s->heap);
	free(s->links);
	free(s);
}

static bool prob_ok(double p)
{
	return p >= 0.0 && p <= 1.0;
}

static bool cfg_ok(const struct sim_link_cfg *c)
{
	if (!prob_ok(c->loss) || !prob_ok(c->burst_loss) || !prob_ok(c->dup) ||
	    !prob_ok(c->reorder) || c->nblackout > SIM_MAX_BLACKOUTS)
		return false;
	return c->burst_loss == 0.0 || (c->burst_len >= 1 && c->burst_loss < 1.0);
}

void sim_set_default_link(struct sim *s, const struct sim_link_cfg *cfg)
{
	if (cfg_ok(cfg))
		s->def = *cfg;
}

static struct sim_link *find_link(const struct sim *s, uint32_t from_ip, uint32_t to_ip)
{
	for (size_t i = 0; i < s->nlinks; i++)
		if (s->links[i].from_ip == from_ip && s->links[i].to_ip == to_ip)
			return &s->links[i];
	return NULL;
}

static struct sim_link *get_link(struct sim *s, uint32_t from_ip, uint32_t to_ip)
{
	struct sim_link *l = find_link(s, from_ip, to_ip);

	if (l != NULL)
		return l;
	if (s->nlinks == s->links_cap) {
		size_t cap = s->links_cap ? 2 * s->links_cap : 8;
		struct sim_link *n = realloc(s->links, cap * sizeof(*n));

		if (n == NULL)
			return NULL;
		s->links = n;
		s->links_cap = cap;
	}
	l = &s->links[s->nlinks++];
	memset(l, 0, sizeof(*l));
	l->from_ip = from_ip;
	l->to_ip = to_ip;
	l->cfg = s->def;
	return l;
}

int sim_set_link(struct sim *s, uint32_t from_ip, uint32_t to_ip, const struct sim_link_cfg *cfg)
{
	struct sim_link *l;

	if (!cfg_ok(cfg))
		return -1;
	l = get_link(s, from_ip, to_ip);
	if (l == NULL)
		return -1;
	l->cfg = *cfg;
	return 0;
}

const struct sim_link_stats *sim_link_stats(const struct sim *s, uint32_t from_ip, uint32_t to_ip)
{
	const struct sim_link *l = find_link(s, from_ip, to_ip);

	return l != NULL ? &l->st : NULL;
}

void sim_set_hook(struct sim *s, sim_hook_fn fn, void *ctx)
{
	s->hook = fn;
	s->hook_ctx = ctx;
}

void sim_set_trace(struct sim *s, sim_trace_fn fn, void *ctx)
{
	s->trace = fn;
	s->trace_ctx = ctx;
}

natt_time_t sim_now(const struct sim *s)
{
	return s->now;
}

void sim_advance(struct sim *s, natt_time_t t)
{
	if (t > s->now)
		s->now = t;
}

/* ---- the heap of datagrams in flight ---- */

static bool earlier(const struct sim_pkt *a, const struct sim_pkt *b)
{
	return a->at < b->at || (a->at == b->at && a->seq < b->seq);
}

static void heap_swap(struct sim *s, size_t i, size_t j)
{
	struct sim_pkt *t = s->heap[i];

	s->heap[i] = s->heap[j];
	s->heap[j] = t;
}

static int heap_push(struct sim *s, struct sim_pkt *p)
{
	size_t i;

	if (s->nheap == s->heap_cap) {
		size_t cap = s->heap_cap ? 2 * s->heap_cap : 64;
		struct sim_pkt **n = realloc(s->heap, cap * sizeof(*n));

		if (n == NULL)
			return -1;
		s->heap = n;
		s->heap_cap = cap;
	}
	i = s->nheap++;
	s->heap[i] = p;
	while (i > 0 && earlier(s->heap[i], s->heap[(i - 1) / 2])) {
		heap_swap(s, i, (i - 1) / 2);
		i = (i - 1) / 2;
	}
	return 0;
}

static struct sim_pkt *heap_pop(struct sim *s)
{
	struct sim_pkt *top = s->heap[0];
	size_t i = 0;

	s->heap[0] = s->heap[--s->nheap];
	for (;;) {
		size_t l = 2 * i + 1, r = l + 1, m = i;

		if (l < s->nheap && earlier(s->heap[l], s->heap[m]))
			m = l;
		if (r < s->nheap && earlier(s->heap[r], s->heap[m]))
			m = r;
		if (m == i)
			break;
		heap_swap(s, i, m);
		i = m;
	}
	return top;
}

natt_time_t sim_next_event_time(const struct sim *s)
{
	return s->nheap > 0 ? s->heap[0]->at : NATT_TIME_NEVER;
}

size_t sim_in_flight(const struct sim *s)
{
	return s->nheap;
}

/* ---- sending: the link's impairments, in order ---- */

static bool in_blackout(const struct sim_link *l, natt_time_t now)
{
	for (unsigned i = 0; i < l->cfg.nblackout; i++)
		if (now >= l->cfg.blackout[i].start && now < l->cfg.blackout[i].end)
			return true;
	return false;
}

/* Loss in bursts of exactly k: a burst starts with probability
 * q = p / (k (1 - p) + p), which makes the long-run loss fraction p. */
static bool burst_drop(struct sim *s, struct sim_link *l)
{
	double p = l->cfg.burst_loss, k = l->cfg.burst_len;

	if (l->burst_left > 0) {
		l->burst_left--;
		return true;
	}
	if (p <= 0.0 || !chance(s, p / (k * (1.0 - p) + p)))
		return false;
	l->burst_left = l->cfg.burst_len - 1;
	return true;
}

/* Why the link drops this datagram, or NULL; draws randomness in a fixed
 * order so that a replay draws the same numbers. */
static const char *link_drop(struct sim *s, struct sim_link *l)
{
	if (in_blackout(l, s->now)) {
		l->st.lost_blackout++;
		return "blackout";
	}
	if (chance(s, l->cfg.loss)) {
		l->st.lost_random++;
		return "loss";
	}
	if (burst_drop(s, l)) {
		l->st.lost_burst++;
		return "burst";
	}
	return NULL;
}

/*
 * The rate limiter: returns the departure time in ns, or 0 with *full set
 * when the queue cannot take len more bytes.
 */
static uint64_t rate_depart_ns(struct sim *s, struct sim_link *l, size_t len, bool *full)
{
	uint64_t now_ns = s->now * NS_PER_US;
	uint64_t start = l->busy_until_ns > now_ns ? l->busy_until_ns : now_ns;
	uint64_t backlog = (start - now_ns) * l->cfg.rate / NS_PER_SEC;

	*full = false;
	if (l->cfg.rate == 0)
		return now_ns;
	if (l->cfg.queue_limit > 0 && backlog + len > l->cfg.queue_limit) {
		*full = true;
		return 0;
	}
	if (backlog + len > l->st.queue_max)
		l->st.queue_max = backlog + len;
	l->busy_until_ns = start + len * NS_PER_SEC / l->cfg.rate;
	return l->busy_until_ns;
}

static int enqueue(struct sim *s, struct sim_link *l, struct sim_addr from, struct sim_addr to,
		   const uint8_t *data, size_t len, uint64_t depart_ns)
{
	struct sim_pkt *p = malloc(sizeof(*p) + len);

	if (p == NULL)
		return -1;
	p->at = (depart_ns + NS_PER_US - 1) / NS_PER_US + l->cfg.delay +
		uniform_time(s, l->cfg.jitter);
	if (chance(s, l->cfg.reorder)) {
		p->at += l->cfg.reorder_delay;
		l->st.reordered++;
	}
	p->seq = s->seq++;
	p->from = from;
	p->to = to;
	p->len = len;
	memcpy(p->data, data, len);
	if (heap_push(s, p) != 0) {
		free(p);
		return -1;
	}
	return 0;
}

int sim_send(struct sim *s, struct sim_addr from, struct sim_addr to, const uint8_t *data,
	     size_t len)
{
	struct sim_link *l;
	const char *why;
	uint64_t depart = 0;
	bool full;

	if (len == 0 || len > NATT_MAX_DATAGRAM)
		return -1;
	if (s->hook != NULL && !s->hook(s->hook_ctx, s, SIM_HOOK_SEND, &from, &to, data, len)) {
		record(s, SIM_EV_DROP, from, to, data, len, "hook");
		l = get_link(s, from.ip, to.ip);
		if (l != NULL)
			l->st.lost_hook++;
		return 0;
	}
	l = get_link(s, from.ip, to.ip);
	if (l == NULL)
		return -1;
	l->st.sent++;
	l->st.bytes_sent += len;
	record(s, SIM_EV_SEND, from, to, data, len, NULL);
	why = link_drop(s, l);
	if (why == NULL) {
		depart = rate_depart_ns(s, l, len, &full);
		if (full) {
			l->st.lost_queue++;
			why = "queue";
		}
	}
	if (why != NULL) {
		record(s, SIM_EV_DROP, from, to, data, len, why);
		return 0;
	}
	if (enqueue(s, l, from, to, data, len, depart) != 0)
		return -1;
	if (chance(s, l->cfg.dup)) {
		l->st.duplicated++;
		record(s, SIM_EV_DUP, from, to, data, len, NULL);
		if (enqueue(s, l, from, to, data, len, depart) != 0)
			return -1;
	}
	return 1;
}

/* ---- delivery ---- */

static void deliver_one(struct sim *s, struct sim_pkt *p, sim_recv_fn cb, void *ctx)
{
	struct sim_link *l = find_link(s, p->from.ip, p->to.ip);
	struct sim_addr from = p->from, to = p->to;

	if (s->hook != NULL &&
	    !s->hook(s->hook_ctx, s, SIM_HOOK_DELIVER, &from, &to, p->data, p->len)) {
		if (l != NULL)
			l->st.lost_hook++;
		record(s, SIM_EV_DROP, from, to, p->data, p->len, "hook");
		return;
	}
	if (l != NULL) {
		l->st.delivered++;
		l->st.bytes_delivered += p->len;
	}
	record(s, SIM_EV_DELIVER, from, to, p->data, p->len, NULL);
	cb(ctx, s, from, to, p->data, p->len, s->now);
}

size_t sim_deliver_due(struct sim *s, natt_time_t now, sim_recv_fn cb, void *ctx)
{
	size_t n = 0;

	while (s->nheap > 0 && s->heap[0]->at <= now) {
		struct sim_pkt *p = heap_pop(s);

		sim_advance(s, p->at);
		deliver_one(s, p, cb, ctx);
		free(p);
		n++;
	}
	sim_advance(s, now);
	return n;
}

void sim_prng_fill(void *prng, uint8_t *buf, size_t len)
{
	struct sim_prng *rng = prng;

	for (size_t i = 0; i < len; i += 8) {
		uint64_t v = sim_prng_next(rng);

		for (size_t j = 0; j < 8 && i + j < len; j++)
			buf[i + j] = (uint8_t)(v >> (8 * j));
	}
}
