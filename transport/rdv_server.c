/*
 * rdv_server.c: the rendezvous server core (PROTOCOL.md 6), sans-I/O.
 *
 * A datagram goes through, in order, each step dropping what fails it:
 *   classify (STUN or NATT long header) -> per-source and global rate limit
 *   -> header (version, type, network) -> seal -> body -> replay guard
 *   (timestamp and salt) -> the message's handler.
 * Cheap checks come before crypto, and crypto before any state changes.
 *
 * Registrations: one allocation each (fixed part, then the name and the
 * host candidates, no slack), chained in a hash table keyed by (network,
 * name) with a random key, and kept in a binary min-heap by expiry, so
 * that expiry is exact and the next deadline is the heap's top.
 */
#include <stdlib.h>
#include <string.h>

#include "rdv.h"
#include "replay.h"
#include "stun.h"

#define FULL_EPISODE_END_PCT 90			 /* table-full episode ends below 90 % */
#define SALTS_MAX	     (UINT64_C(1) << 31) /* larger replay guards are refused */
#define FNV_PRIME	     UINT64_C(0x100000001b3)
#define HASH_MUL	     UINT64_C(0x9e3779b97f4a7c15)

struct reg {
	struct reg *next;    /* hash chain */
	natt_time_t expires; /* monotonic instant the registration ends */
	uint64_t seq;	     /* last accepted seq (PROTOCOL.md 6.2) */
	uint32_t heap_idx;   /* position in srv->heap */
	uint16_t net;	     /* index in srv->net */
	uint8_t name_len;
	uint8_t ncand;		/* host candidates stored after the name */
	struct natt_cand srflx; /* where its REGISTER came from */
	uint16_t via;		/* ...and the local socket it came in on */
	uint8_t data[];		/* name_len bytes of name, then ncand struct natt_cand */
};

struct network {
	struct natt_seal *seal;
	uint8_t id[NATT_NETWORK_ID_LEN];
	char name[NATT_RDV_NETWORK_NAME_MAX + 1];
};

struct natt_rdv_server {
	struct natt_rdv_server_config cfg;
	natt_random_fn rnd;
	void *rnd_ctx;
	struct network net[NATT_RDV_MAX_NETWORKS];
	unsigned int nnet;
	struct reg **bucket; /* power of two >= max_registrations */
	size_t bucket_mask;
	uint64_t hash_key; /* random: chains cannot be aimed at */
	struct reg **heap; /* max_registrations slots, min-heap by expires */
	size_t count;
	size_t reg_bytes; /* requested bytes of all registrations */
	struct natt_saltguard *salts;
	struct natt_ratelimit *rl;
	struct natt_rdv_server_stats stats;
	bool full_episode; /* a registration was refused and the table is still near full */
	bool full_news;	   /* ...and natt_rdv_server_table_full_news() has not said so */
	natt_rdv_srv_event_fn *ev_fn;
	void *ev_ctx;
};

/* Everything about the datagram being handled. */
struct req {
	natt_time_t now;
	uint64_t now_wall_ms;
	struct natt_cand from; /* kind srflx: what we observed */
	uint16_t via;	       /* the local socket it came in on */
	size_t in_len;	       /* the request's size, the bound of every answer */
	int net;
	struct natt_rdv_msg m;
};

static const char *const drop_names[NATT_RDV_DROP_REASONS] = {
	[NATT_RDV_DROP_NONE] = "none",
	[NATT_RDV_DROP_NOT_OURS] = "not-ours",
	[NATT_RDV_DROP_VERSION] = "version",
	[NATT_RDV_DROP_MALFORMED] = "malformed",
	[NATT_RDV_DROP_UNEXPECTED] = "unexpected-type",
	[NATT_RDV_DROP_UNKNOWN_NETWORK] = "unknown-network",
	[NATT_RDV_DROP_AUTH] = "auth",
	[NATT_RDV_DROP_REPLAY] = "replay",
	[NATT_RDV_DROP_STALE] = "stale",
	[NATT_RDV_DROP_SALTS_FULL] = "replay-table-full",
	[NATT_RDV_DROP_SEQ] = "old-seq",
	[NATT_RDV_DROP_RATE_LIMITED] = "rate-limited",
	[NATT_RDV_DROP_GLOBAL_LIMIT] = "global-limit",
	[NATT_RDV_DROP_STUN] = "stun",
	[NATT_RDV_DROP_SIZE] = "size",
	[NATT_RDV_DROP_INTERNAL] = "internal",
};

const char *natt_rdv_drop_name(enum natt_rdv_drop d)
{
	return (unsigned)d < NATT_RDV_DROP_REASONS ? drop_names[d] : "unknown";
}

/* Counts a drop and hands its error code back. */
static int drop(struct natt_rdv_server *srv, struct natt_rdv_output *out, enum natt_rdv_drop d,
		int rc)
{
	srv->stats.drop[d]++;
	out->drop = d;
	return rc;
}

void natt_rdv_server_set_events(struct natt_rdv_server *srv, natt_rdv_srv_event_fn *fn, void *ctx)
{
	srv->ev_fn = fn;
	srv->ev_ctx = ctx;
}

/* Reports an event about registration r (its name is not NUL-terminated
 * in the table: copied). */
static void reg_event(struct natt_rdv_server *srv, enum natt_rdv_srv_event_type type,
		      const struct reg *r, uint16_t lifetime_s)
{
	struct natt_rdv_srv_event ev;
	char name[NATT_MAX_NAME + 1];

	if (srv->ev_fn == NULL)
		return;
	memcpy(name, r->data, r->name_len);
	name[r->name_len] = '\0';
	memset(&ev, 0, sizeof(ev));
	ev.type = type;
	ev.network = r->net;
	ev.name = name;
	ev.addr = r->srflx;
	ev.lifetime_s = lifetime_s;
	ev.ncand = r->ncand;
	ev.client = "";
	srv->ev_fn(srv->ev_ctx, &ev);
}

/* ---- creation ---- */

void natt_rdv_server_config_default(struct natt_rdv_server_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->max_registrations = NATT_RDV_DEFAULT_MAX_REGS;
	cfg->max_lifetime_s = NATT_RDV_MAX_LIFETIME_S;
	cfg->skew_ms = NATT_RDV_SKEW_MS;
	cfg->salt_capacity = 0;
	natt_ratelimit_config_default(&cfg->rate);
}

size_t natt_rdv_salt_capacity(size_t max_registrations)
{
	if (max_registrations > (SIZE_MAX - NATT_RDV_SALTS_LOOKUPS) / NATT_RDV_SALTS_PER_REG)
		return SIZE_MAX;
	return max_registrations * NATT_RDV_SALTS_PER_REG + NATT_RDV_SALTS_LOOKUPS;
}

static int alloc_tables(struct natt_rdv_server *srv)
{
	size_t nb = 1;
	int rc;

	while (nb < srv->cfg.max_registrations)
		nb <<= 1;
	srv->bucket = calloc(nb, sizeof(*srv->bucket));
	srv->heap = calloc(srv->cfg.max_registrations, sizeof(*srv->heap));
	srv->salts = natt_saltguard_new(srv->cfg.salt_capacity, srv->cfg.skew_ms);
	if (srv->bucket == NULL || srv->heap == NULL)
		return NATT_ERR_NOMEM;
	if (srv->salts == NULL)
		return srv->cfg.salt_capacity > SALTS_MAX ? NATT_ERR_INVALID : NATT_ERR_NOMEM;
	srv->bucket_mask = nb - 1;
	rc = natt_ratelimit_new(&srv->rl, &srv->cfg.rate);
	return rc;
}

int natt_rdv_server_new(struct natt_rdv_server **out, const struct natt_rdv_server_config *cfg,
			natt_random_fn rnd, void *rnd_ctx)
{
	struct natt_rdv_server *srv;
	int rc;

	*out = NULL;
	if (cfg->max_registrations == 0 || cfg->max_registrations > UINT32_MAX ||
	    cfg->max_lifetime_s == 0 || rnd == NULL)
		return NATT_ERR_INVALID;
	srv = calloc(1, sizeof(*srv));
	if (srv == NULL)
		return NATT_ERR_NOMEM;
	srv->cfg = *cfg;
	if (srv->cfg.salt_capacity == 0)
		srv->cfg.salt_capacity = natt_rdv_salt_capacity(cfg->max_registrations);
	srv->rnd = rnd;
	srv->rnd_ctx = rnd_ctx;
	rc = alloc_tables(srv);
	if (rc != NATT_OK) {
		natt_rdv_server_free(srv);
		return rc;
	}
	rnd(rnd_ctx, (uint8_t *)&srv->hash_key, sizeof(srv->hash_key));
	*out = srv;
	return NATT_OK;
}

void natt_rdv_server_free(struct natt_rdv_server *srv)
{
	if (srv == NULL)
		return;
	for (size_t i = 0; i < srv->count; i++)
		free(srv->heap[i]);
	free(srv->bucket);
	free(srv->heap);
	natt_saltguard_free(srv->salts);
	natt_ratelimit_free(srv->rl);
	free(srv);
}

int natt_rdv_server_add_network(struct natt_rdv_server *srv, const char *name,
				struct natt_seal *seal)
{
	struct network *n;
	uint8_t id[NATT_NETWORK_ID_LEN];

	if (name == NULL || seal == NULL || name[0] == '\0' ||
	    strlen(name) > NATT_RDV_NETWORK_NAME_MAX)
		return NATT_ERR_INVALID;
	natt_seal_network_id(seal, id);
	for (unsigned int i = 0; i < srv->nnet; i++)
		if (memcmp(srv->net[i].id, id, sizeof(id)) == 0)
			return NATT_ERR_EXISTS;
	if (srv->nnet == NATT_RDV_MAX_NETWORKS)
		return NATT_ERR_FULL;
	n = &srv->net[srv->nnet];
	n->seal = seal;
	memcpy(n->id, id, sizeof(id));
	strcpy(n->name, name);
	return (int)srv->nnet++;
}

const char *natt_rdv_server_network_name(const struct natt_rdv_server *srv, int i)
{
	return i >= 0 && (unsigned)i < srv->nnet ? srv->net[i].name : NULL;
}

static int find_network(const struct natt_rdv_server *srv, const uint8_t id[NATT_NETWORK_ID_LEN])
{
	for (unsigned int i = 0; i < srv->nnet; i++)
		if (memcmp(srv->net[i].id, id, NATT_NETWORK_ID_LEN) == 0)
			return (int)i;
	return -1;
}

/* ---- the expiry heap ---- */

static bool heap_less(const struct natt_rdv_server *srv, size_t a, size_t b)
{
	return srv->heap[a]->expires < srv->heap[b]->expires;
}

static void heap_swap(struct natt_rdv_server *srv, size_t a, size_t b)
{
	struct reg *t = srv->heap[a];

	srv->heap[a] = srv->heap[b];
	srv->heap[b] = t;
	srv->heap[a]->heap_idx = (uint32_t)a;
	srv->heap[b]->heap_idx = (uint32_t)b;
}

static void heap_up(struct natt_rdv_server *srv, size_t i)
{
	while (i > 0 && heap_less(srv, i, (i - 1) / 2)) {
		heap_swap(srv, i, (i - 1) / 2);
		i = (i - 1) / 2;
	}
}

static void heap_down(struct natt_rdv_server *srv, size_t i)
{
	for (;;) {
		size_t l = 2 * i + 1, r = l + 1, min = i;

		if (l < srv->count && heap_less(srv, l, min))
			min = l;
		if (r < srv->count && heap_less(srv, r, min))
			min = r;
		if (min == i)
			return;
		heap_swap(srv, i, min);
		i = min;
	}
}

/* Restores the heap after heap[i]'s expiry changed either way. */
static void heap_fix(struct natt_rdv_server *srv, size_t i)
{
	struct reg *r = srv->heap[i];

	heap_up(srv, i);
	heap_down(srv, r->heap_idx);
}

/* ---- the registration table ---- */

static size_t reg_size(uint8_t name_len, uint8_t ncand)
{
	return sizeof(struct reg) + name_len + (size_t)ncand * sizeof(struct natt_cand);
}

static size_t bucket_of(const struct natt_rdv_server *srv, int net, const struct natt_name *n)
{
	uint64_t h = srv->hash_key ^ (uint64_t)net;

	for (unsigned int i = 0; i < n->len; i++)
		h = (h ^ (uint8_t)n->str[i]) * FNV_PRIME;
	h ^= h >> 29;
	return (size_t)((h * HASH_MUL) >> 17) & srv->bucket_mask;
}

static struct reg **find_link(struct natt_rdv_server *srv, int net, const struct natt_name *n)
{
	struct reg **link = &srv->bucket[bucket_of(srv, net, n)];

	for (; *link != NULL; link = &(*link)->next) {
		struct reg *r = *link;

		if (r->net == net && r->name_len == n->len && memcmp(r->data, n->str, n->len) == 0)
			break;
	}
	return link;
}

static void remove_reg(struct natt_rdv_server *srv, struct reg *r)
{
	struct natt_name n;
	struct reg **link;
	size_t i = r->heap_idx;

	n.len = r->name_len;
	memcpy(n.str, r->data, r->name_len);
	link = find_link(srv, r->net, &n);
	*link = r->next;
	srv->count--;
	if (i != srv->count) {
		heap_swap(srv, i, srv->count);
		heap_fix(srv, i);
	}
	srv->heap[srv->count] = NULL;
	srv->reg_bytes -= reg_size(r->name_len, r->ncand);
	free(r);
	if (srv->full_episode &&
	    srv->count * 100 < srv->cfg.max_registrations * FULL_EPISODE_END_PCT)
		srv->full_episode = false;
}

void natt_rdv_server_expire(struct natt_rdv_server *srv, natt_time_t now)
{
	while (srv->count > 0 && srv->heap[0]->expires <= now) {
		reg_event(srv, NATT_RDV_SRV_EXPIRED, srv->heap[0], 0);
		remove_reg(srv, srv->heap[0]);
		srv->stats.reg_expired++;
	}
}

natt_time_t natt_rdv_server_next_timeout(const struct natt_rdv_server *srv)
{
	return srv->count > 0 ? srv->heap[0]->expires : NATT_TIME_NEVER;
}

size_t natt_rdv_server_count(const struct natt_rdv_server *srv)
{
	return srv->count;
}

const struct natt_rdv_server_stats *natt_rdv_server_stats(const struct natt_rdv_server *srv)
{
	return &srv->stats;
}

bool natt_rdv_server_table_full_news(struct natt_rdv_server *srv)
{
	bool news = srv->full_news;

	srv->full_news = false;
	return news;
}

size_t natt_rdv_server_memory(const struct natt_rdv_server *srv)
{
	return sizeof(*srv) + (srv->bucket_mask + 1) * sizeof(*srv->bucket) +
	       srv->cfg.max_registrations * sizeof(*srv->heap) + srv->reg_bytes +
	       natt_saltguard_memory(srv->salts) + natt_ratelimit_memory(srv->rl);
}

/* Fills r's variable part from a REGISTER and the request. */
static void fill_reg(struct reg *r, const struct req *q, uint8_t ncand)
{
	const struct natt_name *n = &q->m.reg.name;

	r->seq = q->m.reg.seq;
	r->srflx = q->from;
	r->via = q->via;
	r->name_len = n->len;
	r->ncand = ncand;
	memcpy(r->data, n->str, n->len);
	memcpy(r->data + n->len, q->m.reg.cands.cand, (size_t)ncand * sizeof(struct natt_cand));
}

/* Creates or replaces (the candidate count may change) a registration.
 * *link is where it is or goes.  Returns NATT_OK or NATT_ERR_NOMEM. */
static int store_reg(struct natt_rdv_server *srv, struct reg **link, const struct req *q,
		     natt_time_t expires)
{
	struct reg *old = *link, *r;
	uint8_t ncand = q->m.reg.cands.count;

	if (ncand > NATT_RDV_MAX_HOST_CANDS)
		ncand = NATT_RDV_MAX_HOST_CANDS;
	r = realloc(old, reg_size(q->m.reg.name.len, ncand));
	if (r == NULL)
		return NATT_ERR_NOMEM;
	if (old != NULL) {
		srv->reg_bytes -= reg_size(r->name_len, r->ncand);
	} else {
		r->next = NULL;
		r->heap_idx = (uint32_t)srv->count;
		srv->heap[srv->count++] = r;
	}
	*link = r;
	srv->heap[r->heap_idx] = r;
	r->net = (uint16_t)q->net;
	r->expires = expires;
	fill_reg(r, q, ncand);
	srv->reg_bytes += reg_size(r->name_len, r->ncand);
	heap_fix(srv, r->heap_idx);
	return NATT_OK;
}

/* ---- answers ---- */

/* Seals m for network q->net into the next output datagram to `to`, if it
 * is no larger than `bound`.  Returns NATT_OK or a drop's error code. */
static int emit(struct natt_rdv_server *srv, const struct req *q, struct natt_rdv_output *out,
		const struct natt_cand *to, uint16_t via, const struct natt_rdv_msg *m,
		size_t bound)
{
	struct natt_rdv_datagram *d = &out->dgram[out->count];
	uint8_t salt[NATT_SALT_LEN];
	int len;

	srv->rnd(srv->rnd_ctx, salt, sizeof(salt));
	len = natt_rdv_pack(d->buf, sizeof(d->buf), srv->net[q->net].seal, srv->net[q->net].id,
			    salt, m, 0);
	if (len < 0)
		return drop(srv, out, NATT_RDV_DROP_INTERNAL, len);
	if ((size_t)len > bound)
		return drop(srv, out, NATT_RDV_DROP_SIZE, NATT_ERR_BUFFER);
	d->len = (size_t)len;
	d->to = *to;
	d->via = via;
	out->count++;
	return NATT_OK;
}

static void answer_common(struct natt_rdv_msg *a, const struct req *q, uint8_t type)
{
	memset(a, 0, sizeof(*a));
	a->type = type;
	a->timestamp_ms = q->now_wall_ms;
	a->txid = q->m.txid;
}

static int send_reg_ack(struct natt_rdv_server *srv, const struct req *q,
			struct natt_rdv_output *out, uint8_t status, uint16_t lifetime_s)
{
	struct natt_rdv_msg a;

	answer_common(&a, q, NATT_PT_RDV_REGISTER_ACK);
	a.reg_ack.status = status;
	a.reg_ack.lifetime_s = lifetime_s;
	a.reg_ack.observed = q->from;
	return emit(srv, q, out, &q->from, q->via, &a, q->in_len);
}

static int send_lookup_reply(struct natt_rdv_server *srv, const struct req *q,
			     struct natt_rdv_output *out, uint8_t status, const struct reg *r)
{
	struct natt_rdv_msg a;
	struct natt_cand_list *l = &a.lookup_reply.cands;

	answer_common(&a, q, NATT_PT_RDV_LOOKUP_REPLY);
	a.lookup_reply.status = status;
	a.lookup_reply.observed = q->from;
	if (r != NULL) {
		memcpy(l->cand, r->data + r->name_len, (size_t)r->ncand * sizeof(struct natt_cand));
		l->cand[r->ncand] = r->srflx;
		l->count = (uint8_t)(r->ncand + 1);
	}
	return emit(srv, q, out, &q->from, q->via, &a, q->in_len);
}

/* The introduction of the client of q to the server registered as r. */
static int send_introduce(struct natt_rdv_server *srv, const struct req *q,
			  struct natt_rdv_output *out, const struct reg *r)
{
	struct natt_rdv_msg a;

	memset(&a, 0, sizeof(a));
	a.type = NATT_PT_RDV_INTRODUCE;
	a.timestamp_ms = q->now_wall_ms;
	srv->rnd(srv->rnd_ctx, (uint8_t *)&a.txid, sizeof(a.txid));
	a.introduce.cid = q->m.lookup.cid;
	a.introduce.name = q->m.lookup.name;
	a.introduce.observed = q->from;
	a.introduce.cands = q->m.lookup.cands;
	/* Each datagram no larger than the request, so both together at most
	 * twice its size (PROTOCOL.md 6.4). */
	return emit(srv, q, out, &r->srflx, r->via, &a, q->in_len);
}

static int send_rate_limited(struct natt_rdv_server *srv, const struct req *q,
			     struct natt_rdv_output *out)
{
	int rc;

	if (q->m.type == NATT_PT_RDV_REGISTER)
		rc = send_reg_ack(srv, q, out, NATT_RDV_RATE_LIMITED, 0);
	else
		rc = send_lookup_reply(srv, q, out, NATT_RDV_RATE_LIMITED, NULL);
	if (rc == NATT_OK)
		srv->stats.rate_limited_told++;
	out->drop = NATT_RDV_DROP_RATE_LIMITED;
	srv->stats.drop[NATT_RDV_DROP_RATE_LIMITED]++;
	return rc;
}

/* ---- message handlers ---- */

static int refuse_full(struct natt_rdv_server *srv, const struct req *q,
		       struct natt_rdv_output *out)
{
	srv->stats.reg_table_full++;
	if (!srv->full_episode) {
		srv->full_episode = true;
		srv->full_news = true;
	}
	return send_reg_ack(srv, q, out, NATT_RDV_TABLE_FULL, 0);
}

static int on_register(struct natt_rdv_server *srv, const struct req *q,
		       struct natt_rdv_output *out)
{
	uint16_t lifetime = q->m.reg.lifetime_s;
	struct reg **link = find_link(srv, q->net, &q->m.reg.name);
	int rc;

	if (*link != NULL && q->m.reg.seq <= (*link)->seq)
		return drop(srv, out, NATT_RDV_DROP_SEQ, NATT_ERR_TOO_OLD);
	if (lifetime > srv->cfg.max_lifetime_s)
		lifetime = srv->cfg.max_lifetime_s;
	if (lifetime == 0) {
		if (*link != NULL) {
			reg_event(srv, NATT_RDV_SRV_UNREGISTERED, *link, 0);
			remove_reg(srv, *link);
			srv->stats.reg_removed++;
		}
	} else {
		struct reg *old = *link;
		bool moved = old != NULL &&
			     (!natt_rdv_same_addr(&old->srflx, &q->from) || old->via != q->via);

		if (old == NULL && srv->count >= srv->cfg.max_registrations)
			return refuse_full(srv, q, out);
		if (old == NULL)
			srv->stats.reg_new++;
		rc = store_reg(srv, link, q, q->now + (natt_time_t)lifetime * NATT_SEC);
		if (rc != NATT_OK)
			return drop(srv, out, NATT_RDV_DROP_INTERNAL, rc);
		if (old == NULL || moved)
			reg_event(srv, old == NULL ? NATT_RDV_SRV_REGISTERED : NATT_RDV_SRV_MOVED,
				  *link, lifetime);
	}
	srv->stats.registrations++;
	return send_reg_ack(srv, q, out, NATT_RDV_OK, lifetime);
}

static void lookup_event(struct natt_rdv_server *srv, const struct req *q, const struct reg *r,
			 bool introduced)
{
	struct natt_rdv_srv_event ev;

	if (srv->ev_fn == NULL)
		return;
	memset(&ev, 0, sizeof(ev));
	ev.type = NATT_RDV_SRV_LOOKUP;
	ev.network = q->net;
	ev.name = q->m.lookup.target.str;
	ev.addr = q->from;
	ev.ncand = q->m.lookup.cands.count;
	ev.client = q->m.lookup.name.str;
	ev.found = r != NULL;
	ev.introduced = introduced;
	srv->ev_fn(srv->ev_ctx, &ev);
}

static int on_lookup(struct natt_rdv_server *srv, const struct req *q, struct natt_rdv_output *out)
{
	const struct reg *r = *find_link(srv, q->net, &q->m.lookup.target);
	int rc;

	srv->stats.lookups++;
	rc = send_lookup_reply(srv, q, out, r != NULL ? NATT_RDV_OK : NATT_RDV_NOT_FOUND, r);
	if (rc != NATT_OK || r == NULL) {
		if (rc == NATT_OK)
			lookup_event(srv, q, NULL, false);
		return rc;
	}
	srv->stats.lookups_found++;
	rc = send_introduce(srv, q, out, r);
	if (rc == NATT_OK)
		srv->stats.introductions++;
	lookup_event(srv, q, r, rc == NATT_OK);
	return rc;
}

/* ---- input ---- */

static int serve_stun(struct natt_rdv_server *srv, const struct req *q, const uint8_t *pkt,
		      struct natt_rdv_output *out)
{
	struct natt_rdv_datagram *d = &out->dgram[0];
	int len = natt_stun_answer(d->buf, sizeof(d->buf), pkt, q->in_len, &q->from);

	if (len < 0)
		return drop(srv, out, NATT_RDV_DROP_STUN, len);
	d->len = (size_t)len;
	d->to = q->from;
	d->via = q->via;
	out->count = 1;
	srv->stats.stun_answers++;
	return NATT_OK;
}

/* Header, network, seal, body: fills q->net and q->m. */
static int open_request(struct natt_rdv_server *srv, struct req *q, const uint8_t *pkt,
			struct natt_rdv_output *out)
{
	uint8_t buf[NATT_MAX_RENDEZVOUS];
	struct natt_header h;
	int rc = natt_header_decode(&h, pkt, q->in_len);

	if (rc == NATT_ERR_BAD_VERSION)
		return drop(srv, out, NATT_RDV_DROP_VERSION, rc);
	if (rc != NATT_OK)
		return drop(srv, out, NATT_RDV_DROP_MALFORMED, rc);
	if (h.type != NATT_PT_RDV_REGISTER && h.type != NATT_PT_RDV_LOOKUP)
		return drop(srv, out, NATT_RDV_DROP_UNEXPECTED, NATT_ERR_BAD_TYPE);
	q->net = find_network(srv, h.network_id);
	if (q->net < 0)
		return drop(srv, out, NATT_RDV_DROP_UNKNOWN_NETWORK, NATT_ERR_WRONG_PURPOSE);
	out->network = q->net;
	memcpy(buf, pkt, q->in_len); /* header decode bounded in_len by NATT_MAX_RENDEZVOUS */
	rc = natt_rdv_unpack(&q->m, srv->net[q->net].seal, &h, buf, q->in_len);
	if (rc == NATT_ERR_AUTH)
		return drop(srv, out, NATT_RDV_DROP_AUTH, rc);
	if (rc == NATT_ERR_CRYPTO || rc == NATT_ERR_WRONG_PURPOSE)
		return drop(srv, out, NATT_RDV_DROP_INTERNAL, rc);
	if (rc != NATT_OK)
		return drop(srv, out, NATT_RDV_DROP_MALFORMED, rc);
	rc = natt_saltguard_check(srv->salts, h.salt, q->m.timestamp_ms, q->now_wall_ms);
	if (rc == NATT_ERR_STALE)
		return drop(srv, out, NATT_RDV_DROP_STALE, rc);
	if (rc == NATT_ERR_REPLAY)
		return drop(srv, out, NATT_RDV_DROP_REPLAY, rc);
	if (rc != NATT_OK)
		return drop(srv, out, NATT_RDV_DROP_SALTS_FULL, rc);
	return NATT_OK;
}

static int serve_rdv(struct natt_rdv_server *srv, struct req *q, const uint8_t *pkt,
		     enum natt_rl_verdict verdict, struct natt_rdv_output *out)
{
	int rc = open_request(srv, q, pkt, out);

	if (rc != NATT_OK)
		return rc;
	if (verdict == NATT_RL_LIMITED_FIRST)
		return send_rate_limited(srv, q, out);
	if (q->m.type == NATT_PT_RDV_REGISTER)
		return on_register(srv, q, out);
	return on_lookup(srv, q, out);
}

static bool from_ok(const struct natt_cand *c)
{
	return c != NULL && (c->family == 4 || c->family == 6) && c->port != 0;
}

int natt_rdv_server_input(struct natt_rdv_server *srv, natt_time_t now, uint64_t now_wall_ms,
			  const struct natt_cand *from, const uint8_t *pkt, size_t len,
			  struct natt_rdv_output *out)
{
	return natt_rdv_server_input_via(srv, now, now_wall_ms, from, 0, pkt, len, out);
}

int natt_rdv_server_input_via(struct natt_rdv_server *srv, natt_time_t now, uint64_t now_wall_ms,
			      const struct natt_cand *from, unsigned int via, const uint8_t *pkt,
			      size_t len, struct natt_rdv_output *out)
{
	struct req q;
	enum natt_class cls;
	enum natt_rl_verdict verdict;

	out->count = 0;
	out->drop = NATT_RDV_DROP_NONE;
	out->network = -1;
	if (!from_ok(from) || (pkt == NULL && len != 0) || via > UINT16_MAX)
		return NATT_ERR_INVALID;
	natt_rdv_server_expire(srv, now);
	cls = natt_wire_classify(pkt, len);
	if (cls != NATT_CLASS_STUN && cls != NATT_CLASS_LONG)
		return drop(srv, out, NATT_RDV_DROP_NOT_OURS, NATT_ERR_BAD_TYPE);
	verdict = natt_ratelimit_check(srv->rl, now, from);
	if (verdict == NATT_RL_GLOBAL)
		return drop(srv, out, NATT_RDV_DROP_GLOBAL_LIMIT, NATT_OK);
	if (verdict == NATT_RL_LIMITED || (verdict != NATT_RL_PASS && cls == NATT_CLASS_STUN))
		return drop(srv, out, NATT_RDV_DROP_RATE_LIMITED, NATT_OK);
	memset(&q, 0, sizeof(q));
	q.now = now;
	q.now_wall_ms = now_wall_ms;
	q.from = *from;
	q.from.kind = NATT_CAND_SRFLX;
	q.via = (uint16_t)via;
	q.in_len = len;
	q.net = -1;
	if (cls == NATT_CLASS_STUN)
		return serve_stun(srv, &q, pkt, out);
	return serve_rdv(srv, &q, pkt, verdict, out);
}
