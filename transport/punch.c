/*
 * punch.c: the punch module's lifecycle, what it receives (PROBE,
 * PROBE_REPLY), what it sends (replies, paced pair probes, birthday
 * probes) and path selection.  Timers are in punch_timers.c, candidates and
 * pairs in cands.c, the birthday method in punch_bday.c.
 */
#include <stdlib.h>
#include <string.h>

#include "punch_int.h"

void natt_punch_config_default(struct natt_punch_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->pace = NATT_PUNCH_PACE;
	cfg->rto_initial = NATT_PUNCH_RTO_INITIAL;
	cfg->rto_max = NATT_PUNCH_RTO_MAX;
	cfg->pair_tries = NATT_PUNCH_PAIR_TRIES;
	cfg->grace = NATT_PUNCH_GRACE;
	cfg->timeout = NATT_PUNCH_TIMEOUT;
	cfg->bday_timeout = NATT_PUNCH_BDAY_TIMEOUT;
	cfg->lan_try = NATT_PUNCH_LAN_TRY;
	cfg->bday_sockets = NATT_PUNCH_BDAY_SOCKETS;
	cfg->bday_max_probes = NATT_PUNCH_BDAY_MAX_PROBES;
	cfg->bday_interval = NATT_PUNCH_BDAY_INTERVAL;
	cfg->bday_open_interval = NATT_PUNCH_BDAY_OPEN_INTERVAL;
	cfg->keepalive = NATT_PUNCH_KEEPALIVE;
	cfg->probe_body = NATT_PROBE_MIN_BODY;
}

static bool config_ok(const struct natt_punch_config *c)
{
	return c->pace > 0 && c->rto_initial > 0 && c->rto_max >= c->rto_initial &&
	       c->pair_tries > 0 && c->timeout > 0 && c->bday_timeout > 0 &&
	       c->bday_sockets <= NATT_PUNCH_BDAY_SOCKETS && c->bday_interval > 0 &&
	       c->bday_open_interval > 0 && c->keepalive > 0 &&
	       c->probe_body >= NATT_PROBE_MIN_BODY && c->probe_body <= NATT_PROBE_MAX_BODY;
}

int natt_punch_new(struct natt_punch **out, const struct natt_punch_config *cfg,
		   struct natt_seal *seal, natt_random_fn rnd, void *rnd_ctx, natt_cid_t cid,
		   enum natt_punch_role role)
{
	struct natt_punch *p;

	*out = NULL;
	if (seal == NULL || rnd == NULL || cid == 0 ||
	    (role != NATT_PUNCH_CONTROLLING && role != NATT_PUNCH_CONTROLLED))
		return NATT_ERR_INVALID;
	if (cfg != NULL && !config_ok(cfg))
		return NATT_ERR_INVALID;
	p = calloc(1, sizeof(*p));
	if (p == NULL)
		return NATT_ERR_NOMEM;
	if (cfg != NULL)
		p->cfg = *cfg;
	else
		natt_punch_config_default(&p->cfg);
	if (p->cfg.peer_name == NULL)
		p->cfg.peer_name = "";
	p->seal = seal;
	p->rnd = rnd;
	p->rnd_ctx = rnd_ctx;
	p->cid = cid;
	p->role = role;
	p->sel = -1;
	p->nominating = -1;
	p->started = p->give_up_at = p->relay_at = NATT_TIME_NEVER;
	p->first_ok_at = p->nominate_at = p->self_select_at = NATT_TIME_NEVER;
	p->reprobe_all_at = p->rdv_next = p->connected_at = NATT_TIME_NEVER;
	natt_punch_reinfer(p);
	*out = p;
	return NATT_OK;
}

void natt_punch_free(struct natt_punch *p)
{
	if (p == NULL)
		return;
	natt_punch_bday_stop(p);
	free(p);
}

int natt_punch_set_peer_cid(struct natt_punch *p, natt_cid_t cid)
{
	if (cid == 0)
		return NATT_ERR_INVALID;
	if (p->peer_cid != 0 && p->peer_cid != cid)
		return NATT_ERR_BAD_VALUE;
	p->peer_cid = cid;
	return NATT_OK;
}

natt_cid_t natt_punch_peer_cid(const struct natt_punch *p)
{
	return p->peer_cid;
}

/* ---- candidates ---- */

static bool cand_ok(const struct natt_cand *c)
{
	return c != NULL && c->kind != NATT_CAND_NONE && natt_cand_valid(c);
}

static bool searching(const struct natt_punch *p)
{
	return p->phase == PH_PROBING || p->phase == PH_REPROBE;
}

int natt_punch_add_local(struct natt_punch *p, natt_time_t now, const struct natt_cand *c)
{
	int rc;

	if (!cand_ok(c) || (c->kind != NATT_CAND_HOST && c->kind != NATT_CAND_SRFLX))
		return NATT_ERR_INVALID;
	rc = natt_punch_remember(p->local, p->local_at, &p->nlocal, NATT_PUNCH_MAX_LOCAL, c, now);
	if (rc != NATT_OK)
		return rc;
	natt_punch_reinfer(p);
	return NATT_OK;
}

int natt_punch_add_remote(struct natt_punch *p, natt_time_t now, const struct natt_cand *c)
{
	int rc;

	if (!cand_ok(c))
		return NATT_ERR_INVALID;
	rc = natt_punch_remember(p->remote, p->remote_at, &p->nremote, NATT_PUNCH_MAX_REMOTE, c,
				 now);
	if (rc != NATT_OK)
		return rc;
	natt_punch_reinfer(p);
	if (p->phase == PH_FAILED)
		return natt_punch_start(p, now);
	if (searching(p)) {
		natt_punch_form_pairs(p, now);
		natt_punch_strategy(p, now);
	}
	return NATT_OK;
}

/* ---- starting, strategy, failing ---- */

void natt_punch_fail(struct natt_punch *p, enum natt_punch_fail why)
{
	p->phase = why == NATT_PUNCH_FAIL_BOTH_EDM ? PH_RELAY : PH_FAILED;
	p->reason = why;
	natt_punch_bday_stop(p);
	for (unsigned int i = 0; i < p->npair; i++) {
		p->pair[i].active = false;
		if (p->pair[i].state != NATT_PUNCH_PAIR_OK)
			p->pair[i].state = NATT_PUNCH_PAIR_FAILED;
	}
	natt_punch_logf(p, 3, "no direct path: %s", natt_punch_fail_name(why));
}

static enum natt_punch_bday bday_role_for(const struct natt_punch *p)
{
	if (p->cfg.bday_sockets == 0)
		return NATT_PUNCH_BDAY_OFF;
	if (p->lnat == NATT_NAT_EDM && p->rnat != NATT_NAT_NONE && p->rnat != NATT_NAT_EDM)
		return NATT_PUNCH_BDAY_HARD;
	if (p->rnat == NATT_NAT_EDM && p->lnat != NATT_NAT_NONE && p->lnat != NATT_NAT_EDM)
		return NATT_PUNCH_BDAY_EASY;
	return NATT_PUNCH_BDAY_OFF;
}

void natt_punch_strategy(struct natt_punch *p, natt_time_t now)
{
	enum natt_punch_bday want;

	if (!searching(p))
		return;
	if (p->lnat != p->told_lnat || p->rnat != p->told_rnat) {
		natt_punch_logf(p, 4, "our NAT: %s (%s); peer's NAT: %s (%s)",
				natt_nat_type_name(p->lnat), p->lwhy, natt_nat_type_name(p->rnat),
				p->rwhy);
		p->told_lnat = p->lnat;
		p->told_rnat = p->rnat;
	}
	if (p->lnat == NATT_NAT_EDM && p->rnat == NATT_NAT_EDM) {
		if (!natt_punch_has_lan_pair(p)) {
			natt_punch_fail(p, NATT_PUNCH_FAIL_BOTH_EDM);
			return;
		}
		if (p->relay_at == NATT_TIME_NEVER)
			p->relay_at = p->search_start + p->cfg.lan_try;
	}
	want = bday_role_for(p);
	if (want != p->bday_role) {
		natt_punch_bday_stop(p);
		if (want != NATT_PUNCH_BDAY_OFF && natt_punch_bday_start(p, now, want) != NATT_OK)
			natt_punch_logf(p, 3, "birthday method unavailable (no memory or target)");
	}
	p->give_up_at = p->search_start + (p->bday_role != NATT_PUNCH_BDAY_OFF ? p->cfg.bday_timeout
									       : p->cfg.timeout);
}

void natt_punch_search_reset(struct natt_punch *p, natt_time_t now)
{
	p->search_start = now;
	p->reason = NATT_PUNCH_FAIL_NONE;
	p->first_ok_at = p->nominate_at = p->self_select_at = NATT_TIME_NEVER;
	p->relay_at = NATT_TIME_NEVER;
	p->nominating = -1;
	p->next_pace = now;
	for (unsigned int i = 0; i < p->npair; i++) {
		p->pair[i].nominated = false;
		p->pair[i].triggered = false;
		p->pair[i].rebind = false;
		p->pair[i].state = NATT_PUNCH_PAIR_WAITING;
		natt_punch_pair_rearm(p, &p->pair[i], now);
	}
}

int natt_punch_start(struct natt_punch *p, natt_time_t now)
{
	natt_punch_bday_stop(p);
	p->phase = PH_PROBING;
	p->started = now;
	p->sel = -1;
	p->dead = false;
	p->last_only = false;
	p->reprobe_all_at = p->rdv_next = NATT_TIME_NEVER;
	natt_punch_reinfer(p);
	natt_punch_form_pairs(p, now);
	natt_punch_search_reset(p, now);
	if (p->npair == 0) {
		natt_punch_fail(p, p->nremote == 0 && p->rdv_failures > 0
					   ? NATT_PUNCH_FAIL_RENDEZVOUS
					   : NATT_PUNCH_FAIL_NO_CANDIDATES);
		return NATT_OK;
	}
	natt_punch_logf(p, 3, "probing %u pairs (%s); our NAT %s, peer's NAT %s", p->npair,
			p->role == NATT_PUNCH_CONTROLLING ? "controlling" : "controlled",
			natt_nat_type_name(p->lnat), natt_nat_type_name(p->rnat));
	natt_punch_strategy(p, now);
	return NATT_OK;
}

/* ---- selection ---- */

void natt_punch_select(struct natt_punch *p, natt_time_t now, int i, const char *why)
{
	struct punch_pair *pr = &p->pair[i];
	char a[NATT_PUNCH_CAND_STR];

	if (p->have_path && p->sel != i)
		p->switches++;
	p->sel = i;
	p->have_path = true;
	p->dead = false;
	p->last_only = false;
	p->phase = PH_CONNECTED;
	p->connected_at = now;
	p->path.sock = pr->sock;
	p->path.local = pr->local;
	p->path.remote = pr->remote;
	p->path.rtt = pr->rtt;
	p->path.lan = pr->lan;
	p->path.bday = pr->bday;
	p->nominating = -1;
	p->want_rdv = false;
	p->rdv_next = p->reprobe_all_at = NATT_TIME_NEVER;
	p->give_up_at = p->relay_at = NATT_TIME_NEVER;
	p->nominate_at = p->self_select_at = NATT_TIME_NEVER;
	p->check_active = false;
	p->last_rx = now;
	p->last_tx = 0;
	for (unsigned int k = 0; k < p->npair; k++) {
		p->pair[k].active = false;
		p->pair[k].triggered = false;
		p->pair[k].rebind = false;
	}
	if (pr->bday)
		p->bday_hit = true;
	natt_punch_bday_stop(p);
	natt_punch_logf(p, 3, "path selected: socket %u -> %s %s%s%s, rtt %llu us (%s)", pr->sock,
			natt_cand_kind_name(pr->remote.kind),
			natt_punch_fmt_cand(&pr->remote, a, sizeof(a)), pr->lan ? ", LAN" : "",
			pr->bday ? ", birthday" : "", (unsigned long long)pr->rtt, why);
}

/* ---- building probes ---- */

static size_t probe_size(size_t body_len)
{
	return NATT_PROBE_HDR_LEN + body_len + NATT_TAG_LEN;
}

static int build(struct natt_punch *p, uint8_t *out, size_t cap, uint8_t type, natt_cid_t dcid,
		 const uint8_t id[NATT_PROBE_ID_LEN], uint8_t flags, const struct natt_cand *seen,
		 size_t body_len)
{
	struct natt_header h;
	struct natt_probe pr;
	int n;

	memset(&h, 0, sizeof(h));
	h.type = type;
	h.dcid = dcid;
	h.scid = p->cid;
	p->rnd(p->rnd_ctx, h.salt, sizeof(h.salt));
	n = natt_header_encode(out, cap, &h);
	if (n < 0)
		return n;
	memset(&pr, 0, sizeof(pr));
	memcpy(pr.probe_id, id, NATT_PROBE_ID_LEN);
	pr.flags = flags;
	if (seen != NULL) {
		pr.seen = *seen;
		pr.seen.kind = NATT_CAND_PRFLX;
	}
	n = natt_probe_encode(out + NATT_PROBE_HDR_LEN, cap - NATT_PROBE_HDR_LEN, type, &pr,
			      body_len);
	if (n < 0)
		return n;
	return natt_seal_seal(p->seal, NATT_SEAL_PROBE, out, NATT_PROBE_HDR_LEN, body_len, cap);
}

/* ---- receiving ---- */

static int check_cids(const struct natt_punch *p, const struct natt_header *h)
{
	if (h->dcid != p->cid && !(h->type == NATT_PT_PROBE && h->dcid == 0))
		return NATT_ERR_BAD_VALUE;
	if (p->peer_cid != 0 && h->scid != p->peer_cid)
		return NATT_ERR_BAD_VALUE;
	return NATT_OK;
}

static bool on_path(const struct natt_punch *p, unsigned int sock, const struct natt_cand *from)
{
	return p->have_path && p->path.sock == sock && natt_punch_same_addr(&p->path.remote, from);
}

static int queue_reply(struct natt_punch *p, unsigned int sock, const struct natt_cand *from,
		       natt_cid_t dcid, const uint8_t *id, size_t body_len)
{
	struct punch_reply *r;

	if (p->nreply == NATT_PUNCH_MAX_REPLIES) {
		p->replies_dropped++;
		return NATT_ERR_FULL;
	}
	r = &p->reply[(p->reply_head + p->nreply++) % NATT_PUNCH_MAX_REPLIES];
	r->sock = sock;
	r->to = *from;
	r->to.kind = NATT_CAND_PRFLX;
	r->dcid = dcid;
	memcpy(r->id, id, NATT_PROBE_ID_LEN);
	r->body_len = body_len; /* the same size: never larger than the probe */
	return NATT_OK;
}

static int on_probe(struct natt_punch *p, natt_time_t now, unsigned int sock,
		    const struct natt_cand *from, const struct natt_header *h,
		    const struct natt_probe *pr, size_t body_len)
{
	bool nominate = (pr->flags & NATT_PROBE_NOMINATE) && p->role == NATT_PUNCH_CONTROLLED;
	struct punch_pair *pp;
	int rc, i;

	p->probes_recv++;
	rc = queue_reply(p, sock, from, h->scid, pr->probe_id, body_len);
	if (rc != NATT_OK)
		return rc;
	if (p->phase == PH_CONNECTED && on_path(p, sock, from)) {
		natt_punch_path_alive(p, now);
		return NATT_OK;
	}
	if (!searching(p) && !(nominate && p->phase == PH_CONNECTED))
		return NATT_OK;
	i = natt_punch_learn_pair(p, now, sock, from);
	if (i < 0)
		return NATT_OK;
	pp = &p->pair[i];
	if (nominate)
		pp->nominated = true;
	if (nominate && pp->state == NATT_PUNCH_PAIR_OK && searching(p)) {
		natt_punch_select(p, now, i, "nominated by the peer");
		return NATT_OK;
	}
	if (pp->state == NATT_PUNCH_PAIR_OK && !nominate)
		return NATT_OK;
	/* A triggered check (RFC 8445 7.3.1.4): probe back at once. */
	if (!pp->active || pp->state == NATT_PUNCH_PAIR_FAILED || pp->state == NATT_PUNCH_PAIR_OK ||
	    pp->tries >= pp->max_tries) {
		pp->state = NATT_PUNCH_PAIR_WAITING;
		natt_punch_pair_rearm(p, pp, now);
	}
	pp->triggered = true;
	return NATT_OK;
}

/* The pair and ID slot a reply's probe_id answers; false if none. */
static bool find_id(struct natt_punch *p, const uint8_t *id, int *pi, int *pk)
{
	for (unsigned int i = 0; i < p->npair; i++) {
		for (unsigned int k = 0; k < PUNCH_PAIR_IDS; k++) {
			struct punch_id *e = &p->pair[i].ids[k];

			if (e->live && memcmp(e->id, id, NATT_PROBE_ID_LEN) == 0) {
				*pi = (int)i;
				*pk = (int)k;
				return true;
			}
		}
	}
	return false;
}

/* Our address as the peer saw it on a socket-0 pair: NAT evidence. */
static void learn_seen(struct natt_punch *p, natt_time_t now, struct punch_pair *pp,
		       const struct natt_cand *seen)
{
	struct natt_cand c = *seen;

	pp->local = c;
	if (pp->sock != 0 || pp->lan)
		return;
	for (unsigned int i = 0; i < p->nlocal; i++)
		if (p->local[i].kind == NATT_CAND_HOST && natt_punch_same_addr(&p->local[i], &c))
			return;
	c.kind = NATT_CAND_PRFLX;
	if (natt_punch_remember(p->local, p->local_at, &p->nlocal, NATT_PUNCH_MAX_LOCAL, &c, now) ==
	    NATT_OK)
		natt_punch_reinfer(p);
}

static void after_reply(struct natt_punch *p, natt_time_t now, int i, uint8_t flags)
{
	struct punch_pair *pp = &p->pair[i];

	if (p->phase == PH_CONNECTED) {
		if (i == p->sel)
			return;
		if (pp->rebind)
			natt_punch_select(p, now, i, "peer moved; new address validated");
		else if (p->role == NATT_PUNCH_CONTROLLED && pp->nominated)
			natt_punch_select(p, now, i, "nominated by the peer");
		return;
	}
	if (!searching(p))
		return;
	if (p->role == NATT_PUNCH_CONTROLLING && (flags & NATT_PROBE_NOMINATE))
		natt_punch_select(p, now, i, "nomination acknowledged");
	else if (p->role == NATT_PUNCH_CONTROLLED && pp->nominated)
		natt_punch_select(p, now, i, "nominated by the peer");
	else if (pp->rebind)
		natt_punch_select(p, now, i, "peer moved; new address validated");
	else
		natt_punch_on_success(p, now, i);
}

static int on_reply(struct natt_punch *p, natt_time_t now, unsigned int sock,
		    const struct natt_cand *from, const struct natt_probe *pr)
{
	struct punch_pair *pp;
	natt_time_t sent_at = now;
	uint8_t flags = 0;
	int i, k;

	p->replies_recv++;
	if (find_id(p, pr->probe_id, &i, &k)) {
		pp = &p->pair[i];
		if (pp->sock != sock || !natt_punch_same_addr(&pp->remote, from)) {
			p->unmatched++;
			return NATT_ERR_REPLAY; /* not symmetric: RFC 8445 7.2.5.2.1 */
		}
		pp->ids[k].live = false;
		sent_at = pp->ids[k].at;
		flags = pp->ids[k].flags;
	} else if (natt_punch_bday_match(p, sock, from, pr->probe_id, &sent_at)) {
		i = natt_punch_learn_pair(p, now, sock, from);
		if (i < 0)
			return NATT_ERR_FULL;
		pp = &p->pair[i];
		pp->bday = true;
		p->bday_hit = true;
	} else {
		p->unmatched++;
		return NATT_ERR_REPLAY;
	}
	pp->replies++;
	pp->rtt = now - sent_at;
	pp->state = NATT_PUNCH_PAIR_OK;
	if (i != p->nominating)
		pp->active = false;
	learn_seen(p, now, pp, &pr->seen);
	if (p->have_path && i == p->sel) {
		p->path.rtt = pp->rtt;
		p->path.local = pp->local;
		if (p->phase == PH_CONNECTED)
			natt_punch_path_alive(p, now);
	}
	after_reply(p, now, i, flags);
	return NATT_OK;
}

int natt_punch_recv(struct natt_punch *p, natt_time_t now, unsigned int sock,
		    const struct natt_cand *from, const uint8_t *pkt, size_t len)
{
	uint8_t buf[NATT_MAX_PROBE];
	struct natt_header h;
	struct natt_probe pr;
	int rc;

	if (from == NULL || (from->family != 4 && from->family != 6) || from->port == 0)
		return NATT_ERR_INVALID;
	if (pkt == NULL || len == 0 || (pkt[0] != NATT_PT_PROBE && pkt[0] != NATT_PT_PROBE_REPLY))
		return NATT_ERR_BAD_TYPE;
	rc = natt_header_decode(&h, pkt, len);
	if (rc == NATT_OK && len > sizeof(buf))
		rc = NATT_ERR_BAD_LENGTH;
	if (rc != NATT_OK) {
		p->malformed++;
		return rc;
	}
	rc = check_cids(p, &h);
	if (rc != NATT_OK) {
		p->wrong_cid++;
		return rc;
	}
	memcpy(buf, pkt, len);
	rc = natt_seal_open(p->seal, NATT_SEAL_PROBE, buf, h.len, len);
	if (rc < 0) {
		if (rc == NATT_ERR_AUTH && p->auth_failures++ == 0) {
			char a[NATT_PUNCH_CAND_STR];

			natt_punch_logf(p, 3,
					"probe from %s failed authentication "
					"(another network key?)",
					natt_punch_fmt_cand(from, a, sizeof(a)));
		}
		return rc;
	}
	rc = natt_probe_decode(&pr, h.type, buf + h.len, (size_t)rc);
	if (rc != NATT_OK) {
		p->malformed++;
		return rc;
	}
	if (p->peer_cid == 0 && h.dcid == p->cid)
		p->peer_cid = h.scid;
	if (h.type == NATT_PT_PROBE)
		return on_probe(p, now, sock, from, &h, &pr, len - h.len - NATT_TAG_LEN);
	return on_reply(p, now, sock, from, &pr);
}

/* ---- sending ---- */

natt_time_t natt_punch_pair_due(const struct natt_punch *p, unsigned int i)
{
	const struct punch_pair *pr = &p->pair[i];

	if (!pr->active || pr->state == NATT_PUNCH_PAIR_FAILED)
		return NATT_TIME_NEVER;
	if (p->last_only && (int)i != p->sel && !pr->triggered)
		return NATT_TIME_NEVER;
	if (pr->triggered && pr->tries < pr->max_tries)
		return 0;
	return pr->next_tx; /* when exhausted: when it fails */
}

/* The pair to probe now: triggered ones first, then by priority. */
static int pick(const struct natt_punch *p, natt_time_t now)
{
	int best = -1;

	for (unsigned int i = 0; i < p->npair; i++) {
		const struct punch_pair *pr = &p->pair[i];
		const struct punch_pair *b;

		if (pr->tries >= pr->max_tries || natt_punch_pair_due(p, i) > now)
			continue;
		if (best < 0) {
			best = (int)i;
			continue;
		}
		b = &p->pair[best];
		if (pr->triggered != b->triggered ? pr->triggered : pr->prio > b->prio)
			best = (int)i;
	}
	return best;
}

static bool check_due(const struct natt_punch *p, natt_time_t now)
{
	return p->phase == PH_CONNECTED && p->check_active &&
	       p->check_sent < NATT_PUNCH_CHECK_TRIES && p->check_next <= now;
}

static void record_id(struct punch_pair *pr, const uint8_t *id, natt_time_t now, uint8_t flags)
{
	struct punch_id *e = &pr->ids[pr->next_id++ % PUNCH_PAIR_IDS];

	memcpy(e->id, id, NATT_PROBE_ID_LEN);
	e->at = now;
	e->flags = flags;
	e->live = true;
}

static int send_pair(struct natt_punch *p, natt_time_t now, int i, bool check, uint8_t *out,
		     size_t cap, struct natt_cand *dst, unsigned int *sock)
{
	struct punch_pair *pr = &p->pair[i];
	uint8_t id[NATT_PROBE_ID_LEN], flags = 0;
	int n;

	if (p->role == NATT_PUNCH_CONTROLLING &&
	    (i == p->nominating || (p->phase == PH_CONNECTED && i == p->sel)))
		flags = NATT_PROBE_NOMINATE;
	p->rnd(p->rnd_ctx, id, sizeof(id));
	n = build(p, out, cap, NATT_PT_PROBE, p->peer_cid, id, flags, NULL, p->cfg.probe_body);
	if (n < 0)
		return n;
	record_id(pr, id, now, flags);
	pr->probes++;
	p->probes_sent++;
	p->next_pace = now + p->cfg.pace;
	if (check) {
		p->check_sent++;
		p->check_next = now + NATT_PUNCH_CHECK_INTERVAL;
	} else {
		pr->triggered = false;
		pr->tries++;
		if (pr->state == NATT_PUNCH_PAIR_WAITING)
			pr->state = NATT_PUNCH_PAIR_PROBING;
		pr->next_tx = now + pr->rto;
		pr->rto = pr->rto * 2 < p->cfg.rto_max ? pr->rto * 2 : p->cfg.rto_max;
	}
	*dst = pr->remote;
	*sock = pr->sock;
	return n;
}

static int send_reply(struct natt_punch *p, uint8_t *out, size_t cap, struct natt_cand *dst,
		      unsigned int *sock)
{
	struct punch_reply *r = &p->reply[p->reply_head];
	int n;

	n = build(p, out, cap, NATT_PT_PROBE_REPLY, r->dcid, r->id, 0, &r->to, r->body_len);
	if (n < 0)
		return n;
	*dst = r->to;
	*sock = r->sock;
	p->reply_head = (p->reply_head + 1) % NATT_PUNCH_MAX_REPLIES;
	p->nreply--;
	p->replies_sent++;
	return n;
}

static int send_bday(struct natt_punch *p, natt_time_t now, uint8_t *out, size_t cap,
		     struct natt_cand *dst, unsigned int *sock)
{
	uint8_t id[NATT_PROBE_ID_LEN];
	int n;

	if (!natt_punch_bday_next(p, now, sock, dst, id))
		return 0;
	n = build(p, out, cap, NATT_PT_PROBE, p->peer_cid, id, 0, NULL, p->cfg.probe_body);
	if (n > 0) {
		p->probes_sent++;
		p->bday_probes++;
	}
	return n;
}

int natt_punch_send(struct natt_punch *p, natt_time_t now, uint8_t *out, size_t cap,
		    struct natt_cand *dst, unsigned int *sock)
{
	size_t need;
	int i;

	if (p->nreply > 0) {
		if (cap < probe_size(p->reply[p->reply_head].body_len))
			return NATT_ERR_BUFFER;
		return send_reply(p, out, cap, dst, sock);
	}
	if (!searching(p) && p->phase != PH_CONNECTED)
		return 0;
	need = probe_size(p->cfg.probe_body);
	if (now >= p->next_pace) {
		bool check = check_due(p, now);

		i = check ? p->sel : pick(p, now);
		if (i >= 0) {
			if (cap < need)
				return NATT_ERR_BUFFER;
			return send_pair(p, now, i, check, out, cap, dst, sock);
		}
	}
	if (natt_punch_bday_due(p) <= now) {
		if (cap < need)
			return NATT_ERR_BUFFER;
		return send_bday(p, now, out, cap, dst, sock);
	}
	return 0;
}

/* ---- queries ---- */

enum natt_punch_state natt_punch_state(const struct natt_punch *p)
{
	switch (p->phase) {
	case PH_IDLE: return NATT_PUNCH_IDLE;
	case PH_CONNECTED: return NATT_PUNCH_CONNECTED;
	case PH_FAILED: return NATT_PUNCH_FAILED;
	case PH_RELAY: return NATT_PUNCH_NEEDS_RELAY;
	default: return NATT_PUNCH_PROBING;
	}
}

bool natt_punch_path(const struct natt_punch *p, struct natt_punch_path *path)
{
	if (!p->have_path)
		return false;
	*path = p->path;
	return true;
}

bool natt_punch_path_dead(const struct natt_punch *p)
{
	return p->have_path && p->dead;
}

unsigned int natt_punch_sockets_wanted(const struct natt_punch *p)
{
	return natt_punch_bday_sockets(p);
}

bool natt_punch_want_rendezvous(struct natt_punch *p)
{
	bool w = p->want_rdv;

	p->want_rdv = false;
	return w;
}

enum natt_nat_type natt_punch_local_nat(const struct natt_punch *p)
{
	return p->lnat;
}

enum natt_nat_type natt_punch_remote_nat(const struct natt_punch *p)
{
	return p->rnat;
}
