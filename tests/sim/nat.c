/*
 * nat.c: the NAT model of nat.h on the simulator's middlebox hook.
 *
 * A box keeps an array of mappings; each mapping lists the destinations
 * ("permissions") it was used for, with the time of the last outbound
 * datagram to each.  A permission lives for the timeout after that; a
 * mapping lives while one of its permissions does.  Dead entries are swept
 * lazily (at most once a simulated second, and before a mapping is
 * created), and every lookup checks liveness itself, so a sweep never
 * changes behaviour.  Tables are small (a few hundred mappings in the
 * birthday tests), so lookups are linear.
 */
#include <stdlib.h>
#include <string.h>

#include "nat.h"

struct perm {
	struct sim_addr remote;
	natt_time_t last_out;
};

struct mapping {
	struct sim_addr in;  /* inside endpoint */
	uint16_t port;	     /* public port */
	struct sim_addr dst; /* EDM: the one destination this mapping is for */
	struct perm *perm;
	size_t nperm, cap;
};

struct box {
	struct sim_nat_cfg cfg;
	struct sim_nat_stats st;
	struct mapping *map;
	size_t nmap, cap;
};

struct sim_nat_net {
	struct sim *s;
	int nbox;
	natt_time_t swept;
	struct box box[SIM_NAT_MAX];
};

static bool addr_eq(struct sim_addr a, struct sim_addr b)
{
	return a.ip == b.ip && a.port == b.port;
}

static bool inside(const struct box *b, uint32_t ip)
{
	return (ip & b->cfg.inside_mask) == (b->cfg.inside_net & b->cfg.inside_mask);
}

static bool perm_live(const struct box *b, const struct perm *p, natt_time_t now)
{
	return p->last_out + b->cfg.timeout > now;
}

static bool map_live(const struct box *b, const struct mapping *m, natt_time_t now)
{
	for (size_t i = 0; i < m->nperm; i++)
		if (perm_live(b, &m->perm[i], now))
			return true;
	return false;
}

/* ---- sweeping ---- */

static void sweep_box(struct box *b, natt_time_t now)
{
	size_t i = 0;

	while (i < b->nmap) {
		struct mapping *m = &b->map[i];
		size_t k = 0;

		for (size_t j = 0; j < m->nperm; j++)
			if (perm_live(b, &m->perm[j], now))
				m->perm[k++] = m->perm[j];
		m->nperm = k;
		if (k > 0) {
			i++;
			continue;
		}
		free(m->perm);
		b->map[i] = b->map[--b->nmap];
	}
}

static void sweep(struct sim_nat_net *n, natt_time_t now)
{
	for (int i = 0; i < n->nbox; i++)
		sweep_box(&n->box[i], now);
	n->swept = now;
}

/* ---- lookups ---- */

static struct mapping *find_out(const struct box *b, struct sim_addr in, struct sim_addr to,
				natt_time_t now)
{
	for (size_t i = 0; i < b->nmap; i++) {
		struct mapping *m = &b->map[i];

		if (!addr_eq(m->in, in) || !map_live(b, m, now))
			continue;
		if (b->cfg.mapping == SIM_NAT_EDM && !addr_eq(m->dst, to))
			continue;
		return m;
	}
	return NULL;
}

static struct mapping *find_port(const struct box *b, uint16_t port, natt_time_t now)
{
	for (size_t i = 0; i < b->nmap; i++)
		if (b->map[i].port == port && map_live(b, &b->map[i], now))
			return &b->map[i];
	return NULL;
}

static struct perm *find_perm(const struct box *b, struct mapping *m, struct sim_addr remote,
			      natt_time_t now)
{
	for (size_t i = 0; i < m->nperm; i++)
		if (addr_eq(m->perm[i].remote, remote) && perm_live(b, &m->perm[i], now))
			return &m->perm[i];
	return NULL;
}

/* ---- creating mappings ---- */

static int pick_port(struct sim_nat_net *n, const struct box *b, uint16_t want, natt_time_t now)
{
	uint32_t span = SIM_NAT_PORT_MAX - SIM_NAT_PORT_MIN + 1;
	bool preserve = b->cfg.mapping == SIM_NAT_EIM && !b->cfg.no_port_preserve;

	if (preserve && want >= SIM_NAT_PORT_MIN && find_port(b, want, now) == NULL)
		return want;
	for (int tries = 0; tries < 64; tries++) {
		uint16_t p = (uint16_t)(SIM_NAT_PORT_MIN + sim_rand(n->s) % span);

		if (find_port(b, p, now) == NULL)
			return p;
	}
	for (uint32_t p = SIM_NAT_PORT_MIN; p <= SIM_NAT_PORT_MAX; p++)
		if (find_port(b, (uint16_t)p, now) == NULL)
			return (int)p;
	return -1;
}

static struct mapping *add_mapping(struct sim_nat_net *n, struct box *b, struct sim_addr in,
				   struct sim_addr to, natt_time_t now)
{
	struct mapping *m;
	int port;

	sweep(n, now);
	port = pick_port(n, b, in.port, now);
	if (port < 0) {
		b->st.drop_no_port++;
		return NULL;
	}
	if (b->nmap == b->cap) {
		size_t cap = b->cap ? 2 * b->cap : 16;
		struct mapping *t = realloc(b->map, cap * sizeof(*t));

		if (t == NULL)
			return NULL;
		b->map = t;
		b->cap = cap;
	}
	m = &b->map[b->nmap++];
	memset(m, 0, sizeof(*m));
	m->in = in;
	m->port = (uint16_t)port;
	m->dst = to;
	b->st.mappings++;
	return m;
}

static bool touch_perm(const struct box *b, struct mapping *m, struct sim_addr to, natt_time_t now)
{
	struct perm *p = find_perm(b, m, to, now);

	if (p == NULL) {
		if (m->nperm == m->cap) {
			size_t cap = m->cap ? 2 * m->cap : 4;
			struct perm *t = realloc(m->perm, cap * sizeof(*t));

			if (t == NULL)
				return false;
			m->perm = t;
			m->cap = cap;
		}
		p = &m->perm[m->nperm++];
		p->remote = to;
	}
	p->last_out = now;
	return true;
}

/* ---- the hook ---- */

static int box_of(const struct sim_nat_net *n, uint32_t ip)
{
	for (int i = 0; i < n->nbox; i++)
		if (inside(&n->box[i], ip))
			return i;
	return -1;
}

static int box_public(const struct sim_nat_net *n, uint32_t ip)
{
	for (int i = 0; i < n->nbox; i++)
		if (n->box[i].cfg.public_ip == ip)
			return i;
	return -1;
}

static bool outbound(struct sim_nat_net *n, struct sim_addr *from, struct sim_addr *to,
		     natt_time_t now)
{
	int src = box_of(n, from->ip), dst = box_of(n, to->ip);
	struct box *b;
	struct mapping *m;

	if (dst >= 0 && dst != src) {
		n->box[dst].st.drop_unroutable++;
		return false;
	}
	if (src < 0 || dst == src)
		return true; /* a public host, or traffic inside one site */
	b = &n->box[src];
	if (to->ip == b->cfg.public_ip) {
		b->st.drop_hairpin++;
		return false;
	}
	m = find_out(b, *from, *to, now);
	if (m == NULL)
		m = add_mapping(n, b, *from, *to, now);
	if (m == NULL || !touch_perm(b, m, *to, now))
		return false;
	b->st.out++;
	from->ip = b->cfg.public_ip;
	from->port = m->port;
	return true;
}

static bool inbound(struct sim_nat_net *n, struct sim_addr *from, struct sim_addr *to,
		    natt_time_t now)
{
	int i = box_public(n, to->ip);
	struct box *b;
	struct mapping *m;

	if (i < 0)
		return true;
	b = &n->box[i];
	m = find_port(b, to->port, now);
	if (m == NULL) {
		b->st.drop_no_mapping++;
		return false;
	}
	if (b->cfg.filtering == SIM_NAT_FILTER_APD && find_perm(b, m, *from, now) == NULL) {
		b->st.drop_filtered++;
		return false;
	}
	b->st.in++;
	*to = m->in;
	return true;
}

static bool hook(void *ctx, struct sim *s, enum sim_hook_point at, struct sim_addr *from,
		 struct sim_addr *to, const uint8_t *data, size_t len)
{
	struct sim_nat_net *n = ctx;
	natt_time_t now = sim_now(s);

	(void)data;
	(void)len;
	if (now >= n->swept + NATT_SEC)
		sweep(n, now);
	if (at == SIM_HOOK_SEND)
		return outbound(n, from, to, now);
	return inbound(n, from, to, now);
}

/* ---- public functions ---- */

struct sim_nat_net *sim_nat_net_new(struct sim *s)
{
	struct sim_nat_net *n = calloc(1, sizeof(*n));

	if (n == NULL)
		return NULL;
	n->s = s;
	sim_set_hook(s, hook, n);
	return n;
}

void sim_nat_net_free(struct sim_nat_net *n)
{
	if (n == NULL)
		return;
	sim_set_hook(n->s, NULL, NULL);
	for (int i = 0; i < n->nbox; i++) {
		for (size_t j = 0; j < n->box[i].nmap; j++)
			free(n->box[i].map[j].perm);
		free(n->box[i].map);
	}
	free(n);
}

int sim_nat_add(struct sim_nat_net *n, const struct sim_nat_cfg *cfg)
{
	struct box *b;

	if (n->nbox == SIM_NAT_MAX || cfg->public_ip == 0)
		return -1;
	b = &n->box[n->nbox];
	memset(b, 0, sizeof(*b));
	b->cfg = *cfg;
	if (b->cfg.inside_mask == 0)
		b->cfg.inside_mask = 0xffffff00u;
	if (b->cfg.timeout == 0)
		b->cfg.timeout = SIM_NAT_TIMEOUT;
	if (inside(b, b->cfg.public_ip))
		return -1;
	return n->nbox++;
}

void sim_nat_flush(struct sim_nat_net *n, int i)
{
	struct box *b = &n->box[i];

	for (size_t j = 0; j < b->nmap; j++)
		free(b->map[j].perm);
	b->nmap = 0;
}

size_t sim_nat_mappings(const struct sim_nat_net *n, int i)
{
	const struct box *b = &n->box[i];
	natt_time_t now = sim_now(n->s);
	size_t c = 0;

	for (size_t j = 0; j < b->nmap; j++)
		c += map_live(b, &b->map[j], now);
	return c;
}

bool sim_nat_lookup(const struct sim_nat_net *n, int i, struct sim_addr in, struct sim_addr remote,
		    struct sim_addr *pub)
{
	const struct box *b = &n->box[i];
	const struct mapping *m = find_out(b, in, remote, sim_now(n->s));

	if (m == NULL)
		return false;
	pub->ip = b->cfg.public_ip;
	pub->port = m->port;
	return true;
}

int sim_nat_of(const struct sim_nat_net *n, uint32_t ip)
{
	return box_of(n, ip);
}

const struct sim_nat_stats *sim_nat_stats(const struct sim_nat_net *n, int i)
{
	return &n->box[i].st;
}
