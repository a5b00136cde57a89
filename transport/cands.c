/*
 * cands.c: candidates of the punch module: NAT-type inference from the
 * addresses observed, candidate and pair priorities (RFC 8445 5.1.2 and
 * 6.1.2.3), and the pair table.
 */
#include <string.h>

#include "punch_int.h"

/* RFC 8445 5.1.2.2: recommended type preferences. */
#define TYPE_PREF_HOST	126
#define TYPE_PREF_PRFLX 110
#define TYPE_PREF_SRFLX 100
#define TYPE_PREF_RELAY 0
/* RFC 8445 5.1.2.1: local preference, and the component ID (one
 * component: the session's datagrams).  RFC 8421 4: a dual-stack agent
 * ranks IPv6 above IPv4 among candidates of one type (no NAT state to
 * keep, no carrier-grade NAT on the way); the type still comes first, so
 * an IPv4 host pair outranks an IPv6 pair through a srflx candidate. */
#define LOCAL_PREF_IPV6 65535
#define LOCAL_PREF_IPV4 65534
#define COMPONENT_ID	1
/* Above every RFC 8445 pair priority (those are below 2^63): the LAN bit. */
#define PRIO_LAN (UINT64_C(1) << 63)
/* Subnet sizes assumed for "same LAN": candidates carry no prefix. */
#define LAN_PREFIX_V4 3 /* bytes: a /24 */
#define LAN_PREFIX_V6 8 /* bytes: a /64 */

bool natt_punch_same_addr(const struct natt_cand *a, const struct natt_cand *b)
{
	size_t n = a->family == 4 ? 4 : 16;

	return a->family == b->family && a->port == b->port && memcmp(a->addr, b->addr, n) == 0;
}

static bool same_ip(const struct natt_cand *a, const struct natt_cand *b)
{
	return a->family == b->family && memcmp(a->addr, b->addr, a->family == 4 ? 4 : 16) == 0;
}

static bool same_subnet(const struct natt_cand *a, const struct natt_cand *b)
{
	if (a->family != b->family)
		return false;
	return memcmp(a->addr, b->addr, a->family == 4 ? LAN_PREFIX_V4 : LAN_PREFIX_V6) == 0;
}

/* ---- NAT type ---- */

/* IPv4 only: NAT is an IPv4 matter here (no NAT66 assumed), and an IPv6
 * path is probed like any other. */
static bool is_mapping(const struct natt_cand *c)
{
	return c->family == 4 && (c->kind == NATT_CAND_SRFLX || c->kind == NATT_CAND_PRFLX);
}

static bool equals_host(const struct natt_cand *c, unsigned int n, const struct natt_cand *m)
{
	for (unsigned int i = 0; i < n; i++)
		if (c[i].kind == NATT_CAND_HOST && natt_punch_same_addr(&c[i], m))
			return true;
	return false;
}

/* Whether observation i counts: taken within the window around the newest
 * srflx observation, which dates the NAT state we judge. */
static bool current(const struct natt_cand *c, const natt_time_t *at, unsigned int i,
		    natt_time_t latest)
{
	natt_time_t d = at[i] > latest ? at[i] - latest : latest - at[i];

	return is_mapping(&c[i]) && d <= NATT_PUNCH_OBS_WINDOW;
}

enum natt_nat_type natt_punch_infer(const struct natt_cand *c, const natt_time_t *at,
				    unsigned int n, const char **why)
{
	natt_time_t latest = 0, latest_any = 0;
	unsigned int seen = 0;
	bool srflx = false;

	for (unsigned int i = 0; i < n; i++) {
		if (!is_mapping(&c[i]))
			continue;
		if (at[i] > latest_any)
			latest_any = at[i];
		if (c[i].kind == NATT_CAND_SRFLX && (!srflx || at[i] > latest))
			latest = at[i];
		srflx |= c[i].kind == NATT_CAND_SRFLX;
	}
	if (!srflx)
		latest = latest_any;
	for (unsigned int i = 0; i < n; i++) {
		if (!current(c, at, i, latest))
			continue; /* stale (a NAT restarted), or long after (a move) */
		if (equals_host(c, n, &c[i])) {
			*why = "a reflexive address equals a host address: no NAT";
			return NATT_NAT_NONE;
		}
		for (unsigned int j = 0; j < i; j++) {
			if (!current(c, at, j, latest) || natt_punch_same_addr(&c[i], &c[j]))
				continue;
			*why = same_ip(&c[i], &c[j]) ? "the mapped port differs by destination"
						     : "the mapped address differs by destination";
			return NATT_NAT_EDM;
		}
		seen++;
	}
	if (seen >= 2) {
		*why = "the same mapping was seen from several destinations";
		return NATT_NAT_EIM;
	}
	*why = seen == 1 ? "one observation of the mapping only" : "no reflexive address known";
	return NATT_NAT_UNKNOWN;
}

void natt_punch_reinfer(struct natt_punch *p)
{
	enum natt_nat_type l = natt_punch_infer(p->local, p->local_at, p->nlocal, &p->lwhy);
	enum natt_nat_type r = natt_punch_infer(p->remote, p->remote_at, p->nremote, &p->rwhy);

	p->lnat = l;
	p->rnat = r;
}

/* ---- priorities ---- */

static uint32_t type_pref(uint8_t kind)
{
	switch (kind) {
	case NATT_CAND_HOST: return TYPE_PREF_HOST;
	case NATT_CAND_PRFLX: return TYPE_PREF_PRFLX;
	case NATT_CAND_SRFLX: return TYPE_PREF_SRFLX;
	default: return TYPE_PREF_RELAY;
	}
}

/* RFC 8445 5.1.2.1. */
static uint32_t cand_prio(const struct natt_cand *c)
{
	uint32_t local = c->family == 6 ? LOCAL_PREF_IPV6 : LOCAL_PREF_IPV4;

	return type_pref(c->kind) << 24 | local << 8 | (256 - COMPONENT_ID);
}

/* RFC 8445 6.1.2.3: G is the controlling agent's candidate, D the
 * controlled agent's. */
static uint64_t pair_prio(const struct natt_punch *p, const struct natt_cand *local,
			  const struct natt_cand *remote, bool lan)
{
	uint64_t l = cand_prio(local), r = cand_prio(remote);
	uint64_t g = p->role == NATT_PUNCH_CONTROLLING ? l : r;
	uint64_t d = p->role == NATT_PUNCH_CONTROLLING ? r : l;
	uint64_t prio = (g < d ? g : d) << 32 | 2 * (g > d ? g : d) | (g > d);

	return lan ? prio | PRIO_LAN : prio;
}

/* ---- pairs ---- */

/*
 * Whether a peer's address can be a path at all.  The peer's candidates come
 * from the network: an IPv6 address that is unspecified, multicast,
 * link-local (no scope travels with a candidate) or IPv4-mapped (an IPv4
 * address in disguise: the IPv4 candidate is the one to pair) is never
 * probed.  IPv4 is taken as given (loopback and private addresses are
 * what tests and LANs use).
 */
static bool remote_usable(const struct natt_cand *r)
{
	static const uint8_t zero[16], v4_mapped[12] = {[10] = 0xff, [11] = 0xff};
	const uint8_t *a = r->addr;

	if (r->family != 6)
		return true;
	return memcmp(a, zero, 16) != 0 && a[0] != 0xff &&
	       !(a[0] == 0xfe && (a[1] & 0xc0) == 0x80) &&
	       memcmp(a, v4_mapped, sizeof(v4_mapped)) != 0;
}

/* The local candidate that a pair with remote r uses: a host on r's
 * subnet, else any host of r's family, else any candidate of it. */
static const struct natt_cand *local_base(const struct natt_punch *p, const struct natt_cand *r,
					  bool *lan)
{
	const struct natt_cand *any = NULL, *host = NULL;

	*lan = false;
	for (unsigned int i = 0; i < p->nlocal; i++) {
		const struct natt_cand *c = &p->local[i];

		if (c->family != r->family)
			continue;
		if (c->kind == NATT_CAND_HOST && r->kind == NATT_CAND_HOST && same_subnet(c, r)) {
			*lan = true;
			return c;
		}
		if (c->kind == NATT_CAND_HOST && host == NULL)
			host = c;
		if (any == NULL)
			any = c;
	}
	return host != NULL ? host : any;
}

int natt_punch_find_pair(const struct natt_punch *p, unsigned int sock,
			 const struct natt_cand *remote)
{
	for (unsigned int i = 0; i < p->npair; i++)
		if (p->pair[i].sock == sock && natt_punch_same_addr(&p->pair[i].remote, remote))
			return (int)i;
	return -1;
}

void natt_punch_pair_rearm(struct natt_punch *p, struct punch_pair *pr, natt_time_t now)
{
	pr->active = true;
	pr->tries = 0;
	pr->rto = p->cfg.rto_initial;
	pr->next_tx = now;
	if (pr->state != NATT_PUNCH_PAIR_OK)
		pr->state = NATT_PUNCH_PAIR_WAITING;
}

static int add_pair(struct natt_punch *p, natt_time_t now, unsigned int sock,
		    const struct natt_cand *remote)
{
	struct punch_pair *pr;
	const struct natt_cand *base;
	bool lan;

	base = remote_usable(remote) ? local_base(p, remote, &lan) : NULL;
	if (base == NULL)
		return -1;
	if (p->npair == NATT_PUNCH_MAX_PAIRS)
		return -1;
	pr = &p->pair[p->npair];
	memset(pr, 0, sizeof(*pr));
	pr->sock = sock;
	pr->local = *base;
	pr->remote = *remote;
	pr->lan = lan && sock == 0;
	pr->prio = pair_prio(p, base, remote, pr->lan);
	pr->state = NATT_PUNCH_PAIR_WAITING;
	pr->max_tries = p->cfg.pair_tries;
	if (remote->kind == NATT_CAND_PRFLX && p->cfg.pair_tries > NATT_PUNCH_LEARNED_TRIES)
		pr->max_tries = NATT_PUNCH_LEARNED_TRIES;
	natt_punch_pair_rearm(p, pr, now);
	/* Outside a search a pair is only probed when something asks. */
	pr->active = p->phase == PH_PROBING || p->phase == PH_REPROBE;
	return (int)p->npair++;
}

void natt_punch_form_pairs(struct natt_punch *p, natt_time_t now)
{
	for (unsigned int i = 0; i < p->nremote; i++) {
		if (p->remote[i].kind == NATT_CAND_PRFLX)
			continue; /* learned from a packet: paired when it came */
		if (natt_punch_find_pair(p, 0, &p->remote[i]) < 0)
			add_pair(p, now, 0, &p->remote[i]);
	}
}

int natt_punch_remember(struct natt_cand *list, natt_time_t *at, unsigned int *n, unsigned int cap,
			const struct natt_cand *c, natt_time_t now)
{
	int oldest = -1;
	unsigned int same = 0;

	for (unsigned int i = 0; i < *n; i++) {
		if (!natt_punch_same_addr(&list[i], c))
			continue;
		same++;
		if (oldest < 0 || at[i] < at[oldest])
			oldest = (int)i;
	}
	if (same >= 2) { /* enough evidence: refresh it */
		at[oldest] = now;
		return NATT_OK;
	}
	if (*n == cap)
		return NATT_ERR_FULL;
	list[*n] = *c;
	at[(*n)++] = now;
	return NATT_OK;
}

int natt_punch_learn_pair(struct natt_punch *p, natt_time_t now, unsigned int sock,
			  const struct natt_cand *from)
{
	int i = natt_punch_find_pair(p, sock, from);
	bool known = false;
	struct natt_cand c = *from;

	if (i >= 0)
		return i;
	for (unsigned int k = 0; k < p->nremote; k++) {
		if (natt_punch_same_addr(&p->remote[k], from)) {
			known = true;
			c.kind = p->remote[k].kind;
			break;
		}
	}
	if (!known) {
		c.kind = NATT_CAND_PRFLX;
		if (natt_punch_remember(p->remote, p->remote_at, &p->nremote, NATT_PUNCH_MAX_REMOTE,
					&c, now) == NATT_OK)
			natt_punch_reinfer(p);
	}
	i = add_pair(p, now, sock, &c);
	if (i >= 0 && (sock > 0 || (!known && p->bday_role != NATT_PUNCH_BDAY_OFF)))
		p->pair[i].bday = true; /* a port the birthday method opened or found */
	if (i >= 0) {
		char a[NATT_PUNCH_CAND_STR];

		natt_punch_logf(p, 4, "new pair: socket %u -> %s %s", sock,
				natt_cand_kind_name(c.kind), natt_punch_fmt_cand(&c, a, sizeof(a)));
	}
	return i;
}

bool natt_punch_has_lan_pair(const struct natt_punch *p)
{
	for (unsigned int i = 0; i < p->npair; i++)
		if (p->pair[i].lan)
			return true;
	return false;
}
