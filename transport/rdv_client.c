/*
 * rdv_client.c: the peer's side of the rendezvous, sans-I/O.
 *
 * Timers, one line each:
 *   register   REGISTER every refresh +-10 % after an OK; unanswered, again
 *              after rto, doubling up to retry_max (same txid, new salt and
 *              seq each time); after unreachable_after unanswered sends of
 *              the first round, the error state (retries go on).
 *   lapse      registered, and no ACK before the granted lifetime ends: the
 *              error state "lapsed" (retries go on).
 *   refused    TABLE_FULL / RATE_LIMITED: the error state, next try after a
 *              normal refresh interval (the rendezvous is up; hurrying
 *              would not help).
 *   lookup     LOOKUP, again after rto doubling; after lookup_tries sends and
 *              one more rto of silence: TIMEOUT.
 */
#include <stdlib.h>
#include <string.h>

#include "rdv.h"
#include "replay.h"

#define CLIENT_SALTS 1024 /* answers and introductions per 2 min: plenty */

static const char REASON_NO_ANSWER[] =
	"no answer from the rendezvous (down, unreachable, wrong network key, "
	"or clocks more than 60 s apart)";
static const char REASON_LAPSED[] = "registration lapsed: refreshes went unanswered";
static const char REASON_TABLE_FULL[] = "the rendezvous' registration table is full";
static const char REASON_RATE_LIMITED[] = "the rendezvous rate-limits this address";
static const char REASON_NOT_FOUND[] = "name not registered at the rendezvous";
static const char REASON_FOUND[] = "found";
static const char REASON_REGISTERED[] = "registered";

/* The server role: our registration. */
struct reg_role {
	bool active;
	bool bye_pending;  /* a lifetime-0 REGISTER is to go out */
	uint64_t bye_txid; /* its txid: the ACK is expected, and ignored */
	enum natt_rdv_reg_state state;
	struct natt_cand_list host;
	uint64_t txid; /* of the current round */
	uint64_t seq;  /* last seq sent */
	natt_time_t next_send;
	natt_time_t rto;	   /* wait after the next send */
	unsigned int attempts;	   /* sends in this round */
	natt_time_t lapses;	   /* REG_OK: when the granted lifetime ends */
	enum natt_rdv_result fail; /* REG_FAILING: why */
	const char *reason;
};

/* The client role: one lookup at a time. */
struct lookup_role {
	bool active;
	uint64_t txid;
	natt_cid_t cid;
	struct natt_name target;
	struct natt_cand_list host;
	natt_time_t next_send; /* next send, or the timeout after the last */
	natt_time_t rto;
	unsigned int attempts;
};

struct natt_rdv_client {
	struct natt_rdv_client_config cfg;
	struct natt_name name; /* len 0: anonymous */
	uint8_t network_id[NATT_NETWORK_ID_LEN];
	natt_random_fn rnd;
	void *rnd_ctx;
	natt_rdv_event_fn *on_event;
	void *ev_ctx;
	struct natt_saltguard *salts;
	bool have_observed;
	struct natt_cand observed;
	struct reg_role reg;
	struct lookup_role lk;
};

/* ---- creation ---- */

void natt_rdv_client_config_default(struct natt_rdv_client_config *cfg)
{
	cfg->lifetime_s = NATT_RDV_LIFETIME_S;
	cfg->refresh = NATT_RDV_REFRESH;
	cfg->rto_initial = NATT_RDV_RTO_INITIAL;
	cfg->retry_max = NATT_RDV_RETRY_MAX;
	cfg->unreachable_after = NATT_RDV_UNREACHABLE_AFTER;
	cfg->lookup_tries = NATT_RDV_LOOKUP_TRIES;
	cfg->skew_ms = NATT_RDV_SKEW_MS;
}

static natt_time_t jitter_span(natt_time_t interval)
{
	return interval * NATT_RDV_REFRESH_JITTER_PCT / 100;
}

static int check_config(const struct natt_rdv_client_config *cfg)
{
	natt_time_t longest = cfg->refresh + jitter_span(cfg->refresh);

	if (cfg->seal == NULL || (cfg->server.family != 4 && cfg->server.family != 6) ||
	    cfg->server.port == 0)
		return NATT_ERR_INVALID;
	if (cfg->refresh == 0 || longest >= NATT_RDV_CONNTRACK_UDP ||
	    (natt_time_t)cfg->lifetime_s * NATT_SEC <= longest)
		return NATT_ERR_INVALID;
	if (cfg->rto_initial == 0 || cfg->retry_max < cfg->rto_initial ||
	    cfg->unreachable_after == 0 || cfg->lookup_tries == 0)
		return NATT_ERR_INVALID;
	return NATT_OK;
}

int natt_rdv_client_new(struct natt_rdv_client **out, const struct natt_rdv_client_config *cfg,
			natt_random_fn rnd, void *rnd_ctx, natt_rdv_event_fn *on_event,
			void *ev_ctx)
{
	struct natt_rdv_client *cl;
	int rc = check_config(cfg);

	*out = NULL;
	if (rc != NATT_OK || rnd == NULL || on_event == NULL)
		return NATT_ERR_INVALID;
	cl = calloc(1, sizeof(*cl));
	if (cl == NULL)
		return NATT_ERR_NOMEM;
	if (cfg->name != NULL && cfg->name[0] != '\0' &&
	    natt_name_set(&cl->name, cfg->name) != NATT_OK) {
		free(cl);
		return NATT_ERR_BAD_NAME;
	}
	cl->salts = natt_saltguard_new(CLIENT_SALTS, cfg->skew_ms);
	if (cl->salts == NULL) {
		free(cl);
		return NATT_ERR_NOMEM;
	}
	cl->cfg = *cfg;
	cl->cfg.name = NULL; /* the caller's string need not outlive us: cl->name is the copy */
	natt_seal_network_id(cfg->seal, cl->network_id);
	cl->rnd = rnd;
	cl->rnd_ctx = rnd_ctx;
	cl->on_event = on_event;
	cl->ev_ctx = ev_ctx;
	*out = cl;
	return NATT_OK;
}

void natt_rdv_client_free(struct natt_rdv_client *cl)
{
	if (cl == NULL)
		return;
	natt_saltguard_free(cl->salts);
	free(cl);
}

/* ---- helpers ---- */

static uint64_t random_u64(struct natt_rdv_client *cl)
{
	uint64_t v = 0;

	cl->rnd(cl->rnd_ctx, (uint8_t *)&v, sizeof(v));
	return v;
}

/* refresh +- NATT_RDV_REFRESH_JITTER_PCT %, and never past half the
 * lifetime the rendezvous granted. */
static natt_time_t refresh_delay(struct natt_rdv_client *cl, uint16_t granted_s)
{
	natt_time_t span = jitter_span(cl->cfg.refresh);
	natt_time_t d = cl->cfg.refresh - span + random_u64(cl) % (2 * span + 1);
	natt_time_t half = (natt_time_t)granted_s * NATT_SEC / 2;

	return granted_s != 0 && half < d ? half : d;
}

static natt_time_t backoff(const struct natt_rdv_client *cl, natt_time_t rto)
{
	return rto >= cl->cfg.retry_max / 2 ? cl->cfg.retry_max : 2 * rto;
}

static bool cands_ok(const struct natt_cand_list *l, unsigned int max)
{
	if (l->count > max)
		return false;
	for (unsigned int i = 0; i < l->count; i++)
		if (!natt_cand_valid(&l->cand[i]) || l->cand[i].kind == NATT_CAND_NONE)
			return false;
	return true;
}

static void emit_event(struct natt_rdv_client *cl, struct natt_rdv_event *ev)
{
	cl->on_event(cl->ev_ctx, ev);
}

/* Seals m into out.  Returns the packet length or a negative error. */
static int pack(struct natt_rdv_client *cl, uint8_t *out, size_t cap, struct natt_rdv_msg *m,
		uint64_t now_wall_ms)
{
	uint8_t salt[NATT_SALT_LEN];

	cl->rnd(cl->rnd_ctx, salt, sizeof(salt));
	m->timestamp_ms = now_wall_ms;
	return natt_rdv_pack(out, cap, cl->cfg.seal, cl->network_id, salt, m,
			     m->type == NATT_PT_RDV_LOOKUP ? NATT_RDV_LOOKUP_MIN_BODY : 0);
}

/* ---- server role ---- */

/* Enters (or stays in with a new reason) the error state. */
static void reg_fail(struct natt_rdv_client *cl, enum natt_rdv_result why, const char *reason)
{
	struct natt_rdv_event ev;
	bool news = cl->reg.state != NATT_RDV_REG_FAILING || cl->reg.fail != why;

	cl->reg.state = NATT_RDV_REG_FAILING;
	cl->reg.fail = why;
	cl->reg.reason = reason;
	if (!news)
		return;
	memset(&ev, 0, sizeof(ev));
	ev.type = NATT_RDV_EV_REG_FAILED;
	ev.result = why;
	ev.attempts = cl->reg.attempts;
	ev.reason = reason;
	emit_event(cl, &ev);
}

int natt_rdv_client_register(struct natt_rdv_client *cl, natt_time_t now,
			     const struct natt_cand_list *host)
{
	if (cl->name.len == 0 || host == NULL || !cands_ok(host, NATT_RDV_MAX_HOST_CANDS))
		return NATT_ERR_INVALID;
	cl->reg.host = *host;
	cl->reg.active = true;
	cl->reg.bye_pending = false;
	if (cl->reg.state == NATT_RDV_REG_OFF)
		cl->reg.state = NATT_RDV_REG_TRYING;
	cl->reg.attempts = 0;
	cl->reg.rto = cl->cfg.rto_initial;
	cl->reg.next_send = now;
	return NATT_OK;
}

void natt_rdv_client_unregister(struct natt_rdv_client *cl, natt_time_t now)
{
	(void)now;
	if (!cl->reg.active)
		return;
	cl->reg.active = false;
	cl->reg.bye_pending = true;
	cl->reg.state = NATT_RDV_REG_OFF;
	cl->reg.reason = NULL;
}

static uint64_t next_seq(struct natt_rdv_client *cl, uint64_t now_wall_ms)
{
	uint64_t s = now_wall_ms * 1000; /* microseconds since the epoch (6.2) */

	cl->reg.seq = s > cl->reg.seq ? s : cl->reg.seq + 1;
	return cl->reg.seq;
}

static int write_register(struct natt_rdv_client *cl, uint64_t now_wall_ms, uint16_t lifetime_s,
			  uint8_t *out, size_t cap)
{
	struct natt_rdv_msg m;

	memset(&m, 0, sizeof(m));
	m.type = NATT_PT_RDV_REGISTER;
	m.txid = cl->reg.txid;
	m.reg.seq = next_seq(cl, now_wall_ms);
	m.reg.lifetime_s = lifetime_s;
	m.reg.name = cl->name;
	if (lifetime_s != 0)
		m.reg.cands = cl->reg.host;
	return pack(cl, out, cap, &m, now_wall_ms);
}

/* The register timer fired with the previous send unanswered.  While
 * registered, silence is judged by the lapse timer instead. */
static void reg_unanswered(struct natt_rdv_client *cl)
{
	if (cl->reg.attempts >= cl->cfg.unreachable_after && cl->reg.state != NATT_RDV_REG_OK)
		reg_fail(cl, NATT_RDV_RES_NO_ANSWER, REASON_NO_ANSWER);
}

static int reg_poll(struct natt_rdv_client *cl, natt_time_t now, uint64_t now_wall_ms, uint8_t *out,
		    size_t cap)
{
	int len;

	if (cl->reg.bye_pending) {
		cl->reg.bye_pending = false;
		cl->reg.txid = cl->reg.bye_txid = random_u64(cl);
		return write_register(cl, now_wall_ms, 0, out, cap);
	}
	if (!cl->reg.active)
		return 0;
	if (cl->reg.state == NATT_RDV_REG_OK && now >= cl->reg.lapses)
		reg_fail(cl, NATT_RDV_RES_LAPSED, REASON_LAPSED);
	if (now < cl->reg.next_send)
		return 0;
	if (cl->reg.attempts > 0)
		reg_unanswered(cl);
	else
		cl->reg.txid = random_u64(cl);
	len = write_register(cl, now_wall_ms, cl->cfg.lifetime_s, out, cap);
	if (len < 0)
		return len;
	cl->reg.attempts++;
	cl->reg.next_send = now + cl->reg.rto;
	cl->reg.rto = backoff(cl, cl->reg.rto);
	return len;
}

static void observed_is(struct natt_rdv_client *cl, const struct natt_cand *c, bool *changed)
{
	*changed = !cl->have_observed || !natt_rdv_same_addr(&cl->observed, c);
	cl->observed = *c;
	cl->have_observed = true;
}

static int on_register_ack(struct natt_rdv_client *cl, natt_time_t now,
			   const struct natt_rdv_msg *m)
{
	struct natt_rdv_event ev;
	bool was_ok = cl->reg.state == NATT_RDV_REG_OK, changed;
	uint16_t granted = m->reg_ack.lifetime_s;

	if (!cl->reg.active && m->txid == cl->reg.bye_txid)
		return NATT_OK; /* our unregistration, confirmed */
	if (!cl->reg.active || cl->reg.attempts == 0 || m->txid != cl->reg.txid)
		return NATT_ERR_BAD_VALUE;
	if (m->reg_ack.status == NATT_RDV_OK && granted == 0)
		return NATT_ERR_BAD_VALUE;
	cl->reg.attempts = 0;
	cl->reg.rto = cl->cfg.rto_initial;
	cl->reg.next_send = now + refresh_delay(cl, granted);
	observed_is(cl, &m->reg_ack.observed, &changed);
	if (m->reg_ack.status != NATT_RDV_OK) {
		bool full = m->reg_ack.status == NATT_RDV_TABLE_FULL;

		reg_fail(cl, full ? NATT_RDV_RES_TABLE_FULL : NATT_RDV_RES_RATE_LIMITED,
			 full ? REASON_TABLE_FULL : REASON_RATE_LIMITED);
		return NATT_OK;
	}
	cl->reg.state = NATT_RDV_REG_OK;
	cl->reg.reason = NULL;
	cl->reg.lapses = now + (natt_time_t)granted * NATT_SEC;
	if (was_ok && !changed)
		return NATT_OK;
	memset(&ev, 0, sizeof(ev));
	ev.type = NATT_RDV_EV_REGISTERED;
	ev.result = NATT_RDV_RES_OK;
	ev.observed = m->reg_ack.observed;
	ev.lifetime_s = granted;
	ev.reason = REASON_REGISTERED;
	emit_event(cl, &ev);
	return NATT_OK;
}

static int on_introduce(struct natt_rdv_client *cl, const struct natt_rdv_msg *m)
{
	struct natt_rdv_event ev;

	if (!cl->reg.active)
		return NATT_ERR_BAD_VALUE;
	memset(&ev, 0, sizeof(ev));
	ev.type = NATT_RDV_EV_INTRODUCED;
	ev.result = NATT_RDV_RES_OK;
	ev.cid = m->introduce.cid;
	ev.name = m->introduce.name;
	ev.observed = m->introduce.observed;
	ev.cands = m->introduce.cands;
	emit_event(cl, &ev);
	return NATT_OK;
}

/* ---- client role ---- */

int natt_rdv_client_lookup(struct natt_rdv_client *cl, natt_time_t now, const char *target,
			   natt_cid_t cid, const struct natt_cand_list *host)
{
	struct natt_name t;

	if (target == NULL || natt_name_set(&t, target) != NATT_OK)
		return NATT_ERR_BAD_NAME;
	if (cid == 0 || host == NULL || !cands_ok(host, NATT_MAX_CANDS))
		return NATT_ERR_INVALID;
	memset(&cl->lk, 0, sizeof(cl->lk));
	cl->lk.active = true;
	cl->lk.txid = random_u64(cl);
	cl->lk.cid = cid;
	cl->lk.target = t;
	cl->lk.host = *host;
	cl->lk.next_send = now;
	cl->lk.rto = cl->cfg.rto_initial;
	return NATT_OK;
}

static void lookup_done(struct natt_rdv_client *cl, enum natt_rdv_result res, const char *reason,
			const struct natt_rdv_msg *reply)
{
	struct natt_rdv_event ev;

	memset(&ev, 0, sizeof(ev));
	ev.type = NATT_RDV_EV_LOOKUP_DONE;
	ev.result = res;
	ev.cid = cl->lk.cid;
	ev.name = cl->lk.target;
	ev.attempts = cl->lk.attempts;
	ev.reason = reason;
	if (reply != NULL) {
		ev.observed = reply->lookup_reply.observed;
		ev.cands = reply->lookup_reply.cands;
	}
	cl->lk.active = false;
	emit_event(cl, &ev);
}

static int lookup_poll(struct natt_rdv_client *cl, natt_time_t now, uint64_t now_wall_ms,
		       uint8_t *out, size_t cap)
{
	struct natt_rdv_msg m;
	int len;

	if (!cl->lk.active || now < cl->lk.next_send)
		return 0;
	if (cl->lk.attempts >= cl->cfg.lookup_tries) {
		lookup_done(cl, NATT_RDV_RES_NO_ANSWER, REASON_NO_ANSWER, NULL);
		return 0;
	}
	memset(&m, 0, sizeof(m));
	m.type = NATT_PT_RDV_LOOKUP;
	m.txid = cl->lk.txid;
	m.lookup.cid = cl->lk.cid;
	m.lookup.target = cl->lk.target;
	m.lookup.name = cl->name;
	m.lookup.cands = cl->lk.host;
	len = pack(cl, out, cap, &m, now_wall_ms);
	if (len < 0)
		return len;
	cl->lk.attempts++;
	cl->lk.next_send = now + cl->lk.rto;
	cl->lk.rto = backoff(cl, cl->lk.rto);
	return len;
}

static int on_lookup_reply(struct natt_rdv_client *cl, const struct natt_rdv_msg *m)
{
	uint8_t st = m->lookup_reply.status;
	bool changed;

	if (!cl->lk.active || m->txid != cl->lk.txid)
		return NATT_ERR_BAD_VALUE;
	observed_is(cl, &m->lookup_reply.observed, &changed);
	if (st == NATT_RDV_OK)
		lookup_done(cl, NATT_RDV_RES_OK, REASON_FOUND, m);
	else if (st == NATT_RDV_NOT_FOUND)
		lookup_done(cl, NATT_RDV_RES_NOT_FOUND, REASON_NOT_FOUND, m);
	else
		lookup_done(cl, NATT_RDV_RES_RATE_LIMITED, REASON_RATE_LIMITED, m);
	return NATT_OK;
}

/* ---- input, poll, timers ---- */

static int open_answer(struct natt_rdv_client *cl, uint64_t now_wall_ms, const uint8_t *pkt,
		       size_t len, struct natt_rdv_msg *m)
{
	uint8_t buf[NATT_MAX_RENDEZVOUS];
	struct natt_header h;
	int rc = natt_header_decode(&h, pkt, len);

	if (rc != NATT_OK)
		return rc;
	if (h.type != NATT_PT_RDV_REGISTER_ACK && h.type != NATT_PT_RDV_LOOKUP_REPLY &&
	    h.type != NATT_PT_RDV_INTRODUCE)
		return NATT_ERR_BAD_TYPE;
	if (memcmp(h.network_id, cl->network_id, NATT_NETWORK_ID_LEN) != 0)
		return NATT_ERR_WRONG_PURPOSE;
	memcpy(buf, pkt, len); /* natt_header_decode() bounded len */
	rc = natt_rdv_unpack(m, cl->cfg.seal, &h, buf, len);
	if (rc != NATT_OK)
		return rc;
	return natt_saltguard_check(cl->salts, h.salt, m->timestamp_ms, now_wall_ms);
}

int natt_rdv_client_input(struct natt_rdv_client *cl, natt_time_t now, uint64_t now_wall_ms,
			  const struct natt_cand *from, const uint8_t *pkt, size_t len)
{
	struct natt_rdv_msg m;
	int rc;

	if (from == NULL || !natt_rdv_same_addr(from, &cl->cfg.server))
		return NATT_ERR_INVALID;
	rc = open_answer(cl, now_wall_ms, pkt, len, &m);
	if (rc != NATT_OK)
		return rc;
	switch (m.type) {
	case NATT_PT_RDV_REGISTER_ACK: return on_register_ack(cl, now, &m);
	case NATT_PT_RDV_LOOKUP_REPLY: return on_lookup_reply(cl, &m);
	}
	return on_introduce(cl, &m);
}

int natt_rdv_client_poll(struct natt_rdv_client *cl, natt_time_t now, uint64_t now_wall_ms,
			 uint8_t *out, size_t cap)
{
	int len = reg_poll(cl, now, now_wall_ms, out, cap);

	if (len != 0)
		return len;
	return lookup_poll(cl, now, now_wall_ms, out, cap);
}

natt_time_t natt_rdv_client_next_timeout(const struct natt_rdv_client *cl)
{
	natt_time_t t = NATT_TIME_NEVER;

	if (cl->reg.bye_pending)
		return 0;
	if (cl->reg.active)
		t = cl->reg.next_send;
	if (cl->reg.active && cl->reg.state == NATT_RDV_REG_OK && cl->reg.lapses < t)
		t = cl->reg.lapses;
	if (cl->lk.active && cl->lk.next_send < t)
		t = cl->lk.next_send;
	return t;
}

enum natt_rdv_reg_state natt_rdv_client_reg_state(const struct natt_rdv_client *cl,
						  const char **reason)
{
	if (reason != NULL)
		*reason = cl->reg.state == NATT_RDV_REG_FAILING ? cl->reg.reason : NULL;
	return cl->reg.state;
}

bool natt_rdv_client_observed(const struct natt_rdv_client *cl, struct natt_cand *observed)
{
	if (cl->have_observed && observed != NULL)
		*observed = cl->observed;
	return cl->have_observed;
}

const char *natt_rdv_result_name(enum natt_rdv_result r)
{
	switch (r) {
	case NATT_RDV_RES_OK: return "ok";
	case NATT_RDV_RES_NOT_FOUND: return "not-found";
	case NATT_RDV_RES_TABLE_FULL: return "table-full";
	case NATT_RDV_RES_RATE_LIMITED: return "rate-limited";
	case NATT_RDV_RES_NO_ANSWER: return "no-answer";
	case NATT_RDV_RES_LAPSED: return "lapsed";
	}
	return "unknown";
}

const char *natt_rdv_reg_state_name(enum natt_rdv_reg_state s)
{
	switch (s) {
	case NATT_RDV_REG_OFF: return "off";
	case NATT_RDV_REG_TRYING: return "trying";
	case NATT_RDV_REG_OK: return "registered";
	case NATT_RDV_REG_FAILING: return "failing";
	}
	return "unknown";
}
