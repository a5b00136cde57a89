/*
 * node_rdv.c: how a node learns its candidates and meets its peers: the
 * host addresses of its interfaces, STUN, the registrations (server role),
 * the lookups (client role) and the introductions.
 *
 * Timers, one line each:
 *   STUN round      a request to every extra STUN server every
 *                   NATT_NODE_STUN_RTO, NATT_NODE_STUN_TRIES at most; the
 *                   round ends when each answered or gave up (1.5 s)
 *   STUN refresh    server role: a round every NATT_NODE_STUN_REFRESH, and
 *                   whenever a rendezvous reports a new address for us
 *   registration    rdv_client.c's (every 20 s +-10 %, backoff when down);
 *                   candidates change: registered again at once
 *   lookup          rdv_client.c's (0, 0.5, 1.5, 3.5 s, no answer at 7.5 s)
 */
#define _GNU_SOURCE
#include <ifaddrs.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "node_int.h"

/* ---- host candidates ---- */

static bool wildcard(const struct natt_cand *c)
{
	static const uint8_t zero[16];

	return memcmp(c->addr, zero, c->family == 4 ? 4 : 16) == 0;
}

/*
 * Point-to-point interfaces are never host candidates: OpenVPN's own tun
 * device is one (a "path" through it would carry the tunnel inside
 * itself, and both ends' tun addresses share a subnet, so the pair would
 * even rank as LAN), and so are other VPNs' and PPP links.  A host whose
 * public address sits on a PPP link loses nothing: the rendezvous and STUN
 * report that address as server-reflexive.
 */
static bool usable(const struct natt_node *n, const struct ifaddrs *i, struct natt_cand *c)
{
	if (i->ifa_addr == NULL || !(i->ifa_flags & IFF_UP) ||
	    (i->ifa_flags & (IFF_LOOPBACK | IFF_POINTOPOINT)))
		return false;
	if (i->ifa_addr->sa_family != AF_INET &&
	    (n->family != AF_INET6 || i->ifa_addr->sa_family != AF_INET6))
		return false;
	if (!natt_addr_to_cand(i->ifa_addr, NATT_CAND_HOST, c))
		return false;
	if (c->family == 4 && n->family == AF_INET6 && c->addr[0] == 127)
		return false;
	/* link-local IPv6 needs a scope a candidate cannot carry */
	if (c->family == 6 && c->addr[0] == 0xfe && (c->addr[1] & 0xc0) == 0x80)
		return false;
	c->port = n->local.port;
	return true;
}

static bool listed(const struct natt_cand_list *l, const struct natt_cand *c)
{
	for (unsigned int i = 0; i < l->count; i++)
		if (natt_rdv_same_addr(&l->cand[i], c))
			return true;
	return false;
}

void natt_node_gather(struct natt_node *n)
{
	unsigned int max = NATT_RDV_MAX_HOST_CANDS - n->cfg.nstun;
	struct ifaddrs *ifa;

	memset(&n->host, 0, sizeof(n->host));
	if (!wildcard(&n->local)) {
		n->host.cand[n->host.count++] = n->local;
		return;
	}
	if (getifaddrs(&ifa) != 0) {
		natt_node_logf(n, 1, "cannot list the local addresses: no host candidates");
		return;
	}
	for (struct ifaddrs *i = ifa; i != NULL && n->host.count < max; i = i->ifa_next) {
		struct natt_cand c;

		if (usable(n, i, &c) && !listed(&n->host, &c))
			n->host.cand[n->host.count++] = c;
	}
	freeifaddrs(ifa);
}

void natt_node_cands(const struct natt_node *n, struct natt_cand_list *l)
{
	*l = n->host;
	for (unsigned int i = 0; i < n->nstun && l->count < NATT_RDV_MAX_HOST_CANDS; i++)
		if (n->stun[i].have && !listed(l, &n->stun[i].mapped))
			l->cand[l->count++] = n->stun[i].mapped;
}

void natt_node_add_locals(struct natt_node *n, struct natt_punch *punch, natt_time_t now,
			  const struct natt_cand *obs)
{
	struct natt_cand_list l;
	struct natt_cand o;

	natt_node_cands(n, &l);
	for (unsigned int i = 0; i < l.count; i++)
		natt_punch_add_local(punch, now, &l.cand[i]);
	if (obs != NULL && obs->family != 0) {
		o = *obs;
		o.kind = NATT_CAND_SRFLX;
		natt_punch_add_local(punch, now, &o);
	}
	for (unsigned int i = 0; i < n->nrdv; i++)
		if (n->rdv[i].reg != NULL && natt_rdv_client_observed(n->rdv[i].reg, &o))
			natt_punch_add_local(punch, now, &o);
}

/* ---- the node timer ---- */

static void arm(struct natt_node *n)
{
	natt_time_t t = NATT_TIME_NEVER;

	for (unsigned int i = 0; i < n->nstun; i++)
		if (n->stun[i].busy && n->stun[i].next_at < t)
			t = n->stun[i].next_at;
	for (unsigned int i = 0; i < n->nrdv; i++) {
		natt_time_t d = n->rdv[i].reg ? natt_rdv_client_next_timeout(n->rdv[i].reg)
					      : NATT_TIME_NEVER;

		if (d < t)
			t = d;
	}
	if (n->cfg.role == NATT_NODE_SERVER && !n->shutting_down && n->stun_refresh_at < t)
		t = n->stun_refresh_at;
	natt_timer_set(n->timer, t);
}

/* Sends what the registration clients have due. */
static void reg_flush(struct natt_node *n, natt_time_t now)
{
	uint8_t buf[NATT_MAX_RENDEZVOUS];
	char a[NATT_NODE_ADDR_STR];
	int len;

	n->rdv_now = now;
	for (unsigned int i = 0; i < n->nrdv; i++) {
		struct node_rdv *r = &n->rdv[i];

		if (r->reg == NULL)
			continue;
		while ((len = natt_rdv_client_poll(r->reg, now, natt_loop_wall_ms(), buf,
						   sizeof(buf))) > 0) {
			natt_time_t next = natt_rdv_client_next_timeout(r->reg);

			natt_node_send_raw(n, NULL, 0, &r->server, buf, (size_t)len);
			if (natt_rdv_client_reg_state(r->reg, NULL) == NATT_RDV_REG_OK) {
				r->unanswered = 0;
				natt_node_logf(n, 7, "rendezvous %s: REGISTER sent (%d bytes)",
					       natt_node_fmt(&r->server, a), len);
				continue;
			}
			r->unanswered++;
			if (next == NATT_TIME_NEVER || n->shutting_down)
				continue; /* the lifetime-0 REGISTER of a shutdown */
			natt_node_logf(n, r->unanswered > 1 ? 3 : 4,
				       "rendezvous %s: registering %s (attempt %u%s); next try in "
				       "%.1f s",
				       natt_node_fmt(&r->server, a), n->name, r->unanswered,
				       r->unanswered > 1 ? ", no answer yet" : "",
				       (double)(next - now) / NATT_SEC);
		}
	}
}

/* ---- STUN ---- */

static void stun_send(struct natt_node *n, struct node_stun *s, natt_time_t now)
{
	uint8_t buf[64];
	int len = natt_stun_binding_request(buf, sizeof(buf), s->txid, true);

	if (len > 0)
		natt_node_send_raw(n, NULL, 0, &s->server, buf, (size_t)len);
	s->tries++;
	s->next_at = now + NATT_NODE_STUN_RTO;
}

static void update_registration(struct natt_node *n, natt_time_t now)
{
	struct natt_cand_list l;
	char a[NATT_NODE_ADDR_STR], line[NATT_RDV_MAX_HOST_CANDS * 80];
	int k;

	if (n->cfg.role != NATT_NODE_SERVER || n->shutting_down)
		return;
	natt_node_cands(n, &l);
	if (n->registered_once && memcmp(&l, &n->reg_cands, sizeof(l)) == 0)
		return;
	n->reg_cands = l;
	n->registered_once = true;
	k = snprintf(line, sizeof(line), "registering %s with %u candidates:", n->name, l.count);
	for (unsigned int i = 0; i < l.count && k > 0 && (size_t)k < sizeof(line); i++)
		k += snprintf(line + k, sizeof(line) - (size_t)k, " %s %s",
			      natt_cand_kind_name(l.cand[i].kind), natt_node_fmt(&l.cand[i], a));
	natt_node_logf(n, 3, "%s", line);
	for (unsigned int i = 0; i < n->nrdv; i++)
		natt_rdv_client_register(n->rdv[i].reg, now, &l);
	reg_flush(n, now);
}

/* Server role: the next STUN round, sooner while a server does not answer
 * (NATT_NODE_STUN_RETRY doubling up to the refresh interval). */
static void plan_refresh(struct natt_node *n, natt_time_t now, bool all_answered)
{
	if (all_answered) {
		n->stun_retry = 0;
		n->stun_refresh_at = now + NATT_NODE_STUN_REFRESH;
		return;
	}
	n->stun_retry = n->stun_retry == 0 ? NATT_NODE_STUN_RETRY : 2 * n->stun_retry;
	if (n->stun_retry > NATT_NODE_STUN_REFRESH)
		n->stun_retry = NATT_NODE_STUN_REFRESH;
	n->stun_refresh_at = now + n->stun_retry;
}

static void round_done(struct natt_node *n, natt_time_t now)
{
	char a[NATT_NODE_ADDR_STR], b[NATT_NODE_ADDR_STR];
	bool all = true;

	n->stun_done = n->stun_started;
	for (unsigned int i = 0; i < n->nstun; i++) {
		all &= n->stun[i].have;
		natt_node_logf(n, n->stun[i].have ? 4 : 3, "STUN %s: %s%s",
			       natt_node_fmt(&n->stun[i].server, a),
			       n->stun[i].have ? "mapped to " : "no answer",
			       n->stun[i].have ? natt_node_fmt(&n->stun[i].mapped, b) : "");
	}
	if (n->cfg.role == NATT_NODE_SERVER)
		plan_refresh(n, now, all);
	update_registration(n, now);
	natt_node_peers_stun_done(n, now);
}

static bool stun_busy(const struct natt_node *n)
{
	for (unsigned int i = 0; i < n->nstun; i++)
		if (n->stun[i].busy)
			return true;
	return false;
}

static void stun_timers(struct natt_node *n, natt_time_t now)
{
	bool was = stun_busy(n);

	for (unsigned int i = 0; i < n->nstun; i++) {
		struct node_stun *s = &n->stun[i];

		if (!s->busy || now < s->next_at)
			continue;
		if (s->tries < NATT_NODE_STUN_TRIES) {
			stun_send(n, s, now);
			continue;
		}
		s->busy = false;
		s->have = false; /* a server that stopped answering: its result is stale */
	}
	if (was && !stun_busy(n))
		round_done(n, now);
}

uint64_t natt_node_stun_request(struct natt_node *n, natt_time_t now)
{
	if (n->nstun == 0)
		return n->stun_done;
	if (stun_busy(n))
		return n->stun_started;
	n->stun_started++;
	for (unsigned int i = 0; i < n->nstun; i++) {
		struct node_stun *s = &n->stun[i];

		natt_node_random(n, s->txid, sizeof(s->txid));
		s->busy = true;
		s->tries = 0;
		s->next_at = now;
	}
	stun_timers(n, now);
	arm(n);
	return n->stun_started;
}

void natt_node_stun_input(struct natt_node *n, natt_time_t now, const struct natt_cand *from,
			  const uint8_t *pkt, size_t len)
{
	for (unsigned int i = 0; i < n->nstun; i++) {
		struct node_stun *s = &n->stun[i];
		struct natt_cand m;

		if (!s->busy || !natt_rdv_same_addr(&s->server, from) ||
		    natt_stun_parse_response(pkt, len, s->txid, &m) != NATT_OK)
			continue;
		m.kind = NATT_CAND_SRFLX;
		s->mapped = m;
		s->have = true;
		s->at = now;
		s->busy = false;
		if (!stun_busy(n))
			round_done(n, now);
		arm(n);
		return;
	}
	n->st.drop_stun++;
}

/* ---- registrations (server role) ---- */

static void report(struct natt_node *n, struct node_rdv *r)
{
	struct natt_node_rdv_info in;

	if (n->cfg.cb.rendezvous == NULL)
		return;
	memset(&in, 0, sizeof(in));
	in.index = r->idx;
	in.server = r->server;
	in.state = natt_rdv_client_reg_state(r->reg, &in.reason);
	in.have_observed = natt_rdv_client_observed(r->reg, &in.observed);
	n->cfg.cb.rendezvous(n->cfg.cb.ctx, &in);
}

static void on_registered(struct natt_node *n, struct node_rdv *r, const struct natt_rdv_event *ev)
{
	char a[NATT_NODE_ADDR_STR], b[NATT_NODE_ADDR_STR];
	bool moved = r->have_obs && !natt_rdv_same_addr(&r->obs, &ev->observed);

	natt_node_logf(n, 3, "registered %s at rendezvous %s: seen as %s, lifetime %u s%s", n->name,
		       natt_node_fmt(&r->server, a), natt_node_fmt(&ev->observed, b),
		       ev->lifetime_s, moved ? " (our public address changed)" : "");
	r->told = NATT_RDV_REG_OK;
	r->told_reason = NULL;
	r->unanswered = 0;
	r->have_obs = true;
	r->obs = ev->observed;
	if (moved)
		natt_node_stun_request(n, n->rdv_now);
	report(n, r);
}

static void on_reg_failed(struct natt_node *n, struct node_rdv *r, const struct natt_rdv_event *ev)
{
	char a[NATT_NODE_ADDR_STR];

	natt_node_logf(n, 1,
		       "rendezvous %s: cannot register %s: %s (%s, %u attempts); "
		       "retrying with backoff",
		       natt_node_fmt(&r->server, a), n->name, ev->reason,
		       natt_rdv_result_name(ev->result), ev->attempts);
	r->told = NATT_RDV_REG_FAILING;
	r->told_reason = ev->reason;
	report(n, r);
}

static void on_reg_event(void *ctx, const struct natt_rdv_event *ev)
{
	struct node_rdv *r = ctx;
	struct natt_node *n = r->node;

	switch (ev->type) {
	case NATT_RDV_EV_REGISTERED: on_registered(n, r, ev); break;
	case NATT_RDV_EV_REG_FAILED: on_reg_failed(n, r, ev); break;
	case NATT_RDV_EV_INTRODUCED: natt_node_peer_introduced(n, r->idx, n->rdv_now, ev); break;
	case NATT_RDV_EV_LOOKUP_DONE: break;
	}
}

static void client_config(const struct natt_node *n, unsigned int i,
			  struct natt_rdv_client_config *c)
{
	*c = n->cfg.rdv_client;
	c->seal = n->cfg.seal;
	c->server = n->rdv[i].server;
	c->name = n->name[0] ? n->name : NULL;
}

int natt_node_rdv_start(struct natt_node *n, natt_time_t now, char *err, size_t errlen)
{
	struct natt_rdv_client_config c;
	int rc;

	n->nrdv = n->cfg.nrdv;
	n->nstun = n->cfg.nstun;
	for (unsigned int i = 0; i < n->nstun; i++)
		n->stun[i].server = n->cfg.stun[i];
	for (unsigned int i = 0; i < n->nrdv; i++) {
		struct node_rdv *r = &n->rdv[i];

		r->node = n;
		r->idx = i;
		r->server = n->cfg.rdv[i];
		if (n->cfg.role != NATT_NODE_SERVER)
			continue;
		client_config(n, i, &c);
		rc = natt_rdv_client_new(&r->reg, &c, n->cfg.rnd, n->cfg.rnd_ctx, on_reg_event, r);
		if (rc != NATT_OK) {
			snprintf(err, errlen, "rendezvous %u: %s", i + 1, natt_strerror(rc));
			return rc;
		}
	}
	if (n->cfg.role == NATT_NODE_SERVER) {
		n->stun_refresh_at = now + NATT_NODE_STUN_REFRESH;
		if (n->nstun == 0)
			update_registration(n, now);
		else
			natt_node_stun_request(n, now);
	}
	arm(n);
	return NATT_OK;
}

void natt_node_rdv_stop(struct natt_node *n, natt_time_t now)
{
	for (unsigned int i = 0; i < n->nrdv; i++)
		if (n->rdv[i].reg != NULL)
			natt_rdv_client_unregister(n->rdv[i].reg, now);
	reg_flush(n, now);
	arm(n);
}

void natt_node_rdv_free(struct natt_node *n)
{
	for (unsigned int i = 0; i < n->nrdv; i++) {
		natt_rdv_client_free(n->rdv[i].reg);
		n->rdv[i].reg = NULL;
	}
}

void natt_node_reregister(struct natt_node *n, natt_time_t now)
{
	if (n->cfg.role != NATT_NODE_SERVER || n->shutting_down || !n->registered_once)
		return;
	for (unsigned int i = 0; i < n->nrdv; i++)
		natt_rdv_client_register(n->rdv[i].reg, now, &n->reg_cands);
	natt_node_stun_request(n, now);
	reg_flush(n, now);
	arm(n);
}

void natt_node_rdv_timer(struct natt_node *n, natt_time_t now)
{
	stun_timers(n, now);
	if (n->cfg.role == NATT_NODE_SERVER && !n->shutting_down && now >= n->stun_refresh_at) {
		n->stun_refresh_at = now + NATT_NODE_STUN_REFRESH; /* round_done plans the next */
		natt_node_gather(n);
		if (n->nstun == 0)
			update_registration(n, now);
		else
			natt_node_stun_request(n, now);
	}
	reg_flush(n, now);
	arm(n);
}

/* ---- lookups (client role) ---- */

static void on_lookup_event(void *ctx, const struct natt_rdv_event *ev)
{
	struct node_lookup *lk = ctx;

	if (ev->type != NATT_RDV_EV_LOOKUP_DONE)
		return;
	lk->pending = false;
	natt_node_peer_lookup_done(lk->peer, lk->idx, lk->peer->node->rdv_now, ev);
}

int natt_node_lookup_new(struct natt_node_peer *p)
{
	struct natt_node *n = p->node;
	struct natt_rdv_client_config c;

	for (unsigned int i = 0; i < n->nrdv; i++) {
		int rc;

		p->lk[i].peer = p;
		p->lk[i].idx = i;
		client_config(n, i, &c);
		rc = natt_rdv_client_new(&p->lk[i].cl, &c, n->cfg.rnd, n->cfg.rnd_ctx,
					 on_lookup_event, &p->lk[i]);
		if (rc != NATT_OK)
			return rc;
	}
	return NATT_OK;
}

void natt_node_lookup_free(struct natt_node_peer *p)
{
	for (unsigned int i = 0; i < NATT_NODE_MAX_RDV; i++) {
		natt_rdv_client_free(p->lk[i].cl);
		p->lk[i].cl = NULL;
	}
}

void natt_node_lookup_start(struct natt_node_peer *p, natt_time_t now)
{
	struct natt_node *n = p->node;
	struct natt_cand_list l;

	natt_node_cands(n, &l);
	p->found = false;
	p->rdv_reason = NULL;
	for (unsigned int i = 0; i < n->nrdv; i++)
		if (natt_rdv_client_lookup(p->lk[i].cl, now, p->name, p->cid, &l) == NATT_OK)
			p->lk[i].pending = true;
	natt_node_plogf(p, 4, "looking up %s at %u rendezvous with %u candidates", p->name, n->nrdv,
			l.count);
	natt_node_lookup_poll(p, now);
}

void natt_node_lookup_poll(struct natt_node_peer *p, natt_time_t now)
{
	struct natt_node *n = p->node;
	uint8_t buf[NATT_MAX_RENDEZVOUS];
	int len;

	n->rdv_now = now;
	for (unsigned int i = 0; i < n->nrdv && !p->dead; i++) {
		struct node_lookup *lk = &p->lk[i];

		while (lk->cl != NULL && lk->pending &&
		       (len = natt_rdv_client_poll(lk->cl, now, natt_loop_wall_ms(), buf,
						   sizeof(buf))) > 0)
			natt_node_send_raw(n, NULL, 0, &n->rdv[i].server, buf, (size_t)len);
	}
}

natt_time_t natt_node_lookup_deadline(const struct natt_node_peer *p)
{
	natt_time_t t = NATT_TIME_NEVER;

	for (unsigned int i = 0; i < p->node->nrdv; i++) {
		natt_time_t d;

		if (p->lk[i].cl == NULL || !p->lk[i].pending)
			continue;
		d = natt_rdv_client_next_timeout(p->lk[i].cl);
		if (d < t)
			t = d;
	}
	return t;
}

/* ---- input ---- */

static bool lookup_input(struct natt_node *n, unsigned int idx, natt_time_t now,
			 const struct natt_cand *from, const uint8_t *pkt, size_t len)
{
	for (struct natt_node_peer *p = n->peers; p != NULL; p = p->next) {
		struct node_lookup *lk = &p->lk[idx];

		if (p->dead || lk->cl == NULL || !lk->pending)
			continue;
		if (natt_rdv_client_input(lk->cl, now, natt_loop_wall_ms(), from, pkt, len) ==
		    NATT_OK) {
			if (!p->dead)
				natt_node_peer_service(p, now);
			return true;
		}
	}
	return false;
}

void natt_node_rdv_input(struct natt_node *n, natt_time_t now, const struct natt_cand *from,
			 const uint8_t *pkt, size_t len)
{
	bool ok = false;

	n->rdv_now = now;
	for (unsigned int i = 0; i < n->nrdv && !ok; i++) {
		struct node_rdv *r = &n->rdv[i];

		if (!natt_rdv_same_addr(&r->server, from))
			continue;
		if (r->reg != NULL && pkt[0] != NATT_PT_RDV_LOOKUP_REPLY)
			ok = natt_rdv_client_input(r->reg, now, natt_loop_wall_ms(), from, pkt,
						   len) == NATT_OK;
		else if (pkt[0] == NATT_PT_RDV_LOOKUP_REPLY)
			ok = lookup_input(n, i, now, from, pkt, len);
	}
	if (!ok)
		n->st.drop_rdv++;
	reg_flush(n, now);
	arm(n);
}
