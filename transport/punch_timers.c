/*
 * punch_timers.c: every timer of the punch module, and the events that
 * arm them.  One line each:
 *
 *   pace          one ordinary probe per cfg.pace across all pairs
 *   pair rto      a pair probes again after its rto, doubling to rto_max;
 *                 after pair_tries probes it FAILED
 *   grace         controlling: first success + grace -> nominate the best
 *                 validated pair (at once if nothing better is pending)
 *   self-select   controlled: first success + 1 s without a nomination ->
 *                 select its own best validated pair
 *   relay         both NATs EDM but a LAN pair exists: search start +
 *                 lan_try -> NEEDS_RELAY
 *   give up       search start + timeout (bday_timeout with the birthday
 *                 method) -> FAILED, with the reason
 *   check         connected: silence of 1 s while sending, or keepalive +
 *                 2 s when idle -> probe the path every 300 ms
 *   dead          three check probes unanswered -> path dead, re-probe
 *   last path     re-probing: the last path alone for 300 ms, then every
 *                 pair again (and the birthday method) ...
 *   rendezvous    ... and ask for a rendezvous query, again 2 s later,
 *                 doubling, until the give-up timer
 */
#include "punch_int.h"

static natt_time_t min_t(natt_time_t a, natt_time_t b)
{
	return a < b ? a : b;
}

static natt_time_t max_t(natt_time_t a, natt_time_t b)
{
	return a > b ? a : b;
}

static bool searching(const struct natt_punch *p)
{
	return p->phase == PH_PROBING || p->phase == PH_REPROBE;
}

static natt_time_t check_due_at(const struct natt_punch *p)
{
	if (p->check_active)
		return p->check_next; /* next probe, or the verdict */
	if (p->last_tx > p->last_rx)
		return p->last_rx + NATT_PUNCH_ACTIVE_SILENCE;
	return p->last_rx + p->cfg.keepalive + NATT_PUNCH_IDLE_SLACK;
}

/* The first instant a pair sends or expires. */
static natt_time_t pairs_due(const struct natt_punch *p)
{
	natt_time_t t = NATT_TIME_NEVER;

	for (unsigned int i = 0; i < p->npair; i++) {
		natt_time_t d = natt_punch_pair_due(p, i);

		if (d == NATT_TIME_NEVER)
			continue;
		if (p->pair[i].tries < p->pair[i].max_tries)
			d = max_t(d, p->next_pace); /* a probe: paced */
		t = min_t(t, d);
	}
	return t;
}

natt_time_t natt_punch_deadline(const struct natt_punch *p)
{
	natt_time_t t;

	if (p->nreply > 0)
		return 0;
	if (!searching(p) && p->phase != PH_CONNECTED)
		return NATT_TIME_NEVER;
	t = min_t(pairs_due(p), natt_punch_bday_due(p));
	if (p->phase == PH_CONNECTED)
		return min_t(t, max_t(check_due_at(p), p->next_pace));
	t = min_t(t, p->give_up_at);
	t = min_t(t, p->relay_at);
	t = min_t(t, p->nominate_at);
	t = min_t(t, p->self_select_at);
	if (p->last_only)
		t = min_t(t, p->reprobe_all_at);
	return min_t(t, p->rdv_next);
}

/* ---- searching ---- */

static int best_ok(const struct natt_punch *p)
{
	int best = -1;

	for (unsigned int i = 0; i < p->npair; i++)
		if (p->pair[i].state == NATT_PUNCH_PAIR_OK &&
		    (best < 0 || p->pair[i].prio > p->pair[best].prio))
			best = (int)i;
	return best;
}

/* Whether a pair better than i may still answer. */
static bool better_pending(const struct natt_punch *p, int i)
{
	for (unsigned int k = 0; k < p->npair; k++) {
		const struct punch_pair *pr = &p->pair[k];

		if (pr->prio > p->pair[i].prio && pr->active &&
		    (pr->state == NATT_PUNCH_PAIR_WAITING || pr->state == NATT_PUNCH_PAIR_PROBING))
			return true;
	}
	return false;
}

void natt_punch_on_success(struct natt_punch *p, natt_time_t now, int i)
{
	char a[NATT_PUNCH_CAND_STR];

	if (p->first_ok_at == NATT_TIME_NEVER) {
		p->first_ok_at = now;
		natt_punch_logf(p, 4, "first validated pair: socket %u -> %s, rtt %llu us",
				p->pair[i].sock,
				natt_punch_fmt_cand(&p->pair[i].remote, a, sizeof(a)),
				(unsigned long long)p->pair[i].rtt);
		if (p->role == NATT_PUNCH_CONTROLLED)
			p->self_select_at = now + NATT_PUNCH_NOMINATE_WAIT;
	}
	if (p->role != NATT_PUNCH_CONTROLLING || p->nominating >= 0)
		return;
	if (!better_pending(p, best_ok(p)))
		p->nominate_at = now;
	else
		p->nominate_at = min_t(p->nominate_at, p->first_ok_at + p->cfg.grace);
}

static void nominate(struct natt_punch *p, natt_time_t now)
{
	int i = best_ok(p);
	struct punch_pair *pr;

	p->nominate_at = NATT_TIME_NEVER;
	if (i < 0)
		return;
	pr = &p->pair[i];
	p->nominating = i;
	pr->nominated = true;
	natt_punch_pair_rearm(p, pr, now);
	pr->state = NATT_PUNCH_PAIR_OK;
	pr->triggered = true;
}

/* Pairs whose last probe went unanswered for its rto fail. */
static void expire_pairs(struct natt_punch *p, natt_time_t now)
{
	for (unsigned int i = 0; i < p->npair; i++) {
		struct punch_pair *pr = &p->pair[i];

		if (!pr->active || pr->tries < pr->max_tries || pr->next_tx > now)
			continue;
		pr->active = false;
		if ((int)i == p->nominating) {
			/* the nominated path stopped answering: nominate another */
			p->nominating = -1;
			pr->state = NATT_PUNCH_PAIR_FAILED;
			p->nominate_at = best_ok(p) >= 0 ? now : NATT_TIME_NEVER;
		} else if (pr->state != NATT_PUNCH_PAIR_OK) {
			pr->state = NATT_PUNCH_PAIR_FAILED;
		}
	}
}

static void give_up(struct natt_punch *p)
{
	if (p->auth_failures > 0 && p->replies_recv == 0 && p->probes_recv == 0)
		natt_punch_fail(p, NATT_PUNCH_FAIL_AUTH);
	else if (p->phase == PH_REPROBE && p->rdv_failures > 0)
		natt_punch_fail(p, NATT_PUNCH_FAIL_RENDEZVOUS);
	else
		natt_punch_fail(p, NATT_PUNCH_FAIL_TIMEOUT);
}

static void reprobe_all(struct natt_punch *p, natt_time_t now)
{
	p->last_only = false;
	p->reprobe_all_at = NATT_TIME_NEVER;
	natt_punch_form_pairs(p, now); /* candidates that came while connected */
	for (unsigned int i = 0; i < p->npair; i++)
		natt_punch_pair_rearm(p, &p->pair[i], now);
	p->want_rdv = true;
	p->rdv_retry = NATT_PUNCH_RDV_RETRY;
	p->rdv_next = now + p->rdv_retry;
	natt_punch_logf(p, 3, "last path silent: probing all %u pairs, asking the rendezvous",
			p->npair);
	natt_punch_strategy(p, now);
}

static void searching_timers(struct natt_punch *p, natt_time_t now)
{
	int i;

	expire_pairs(p, now);
	if (p->last_only && now >= p->reprobe_all_at)
		reprobe_all(p, now);
	if (now >= p->rdv_next) {
		p->want_rdv = true;
		p->rdv_retry *= 2;
		p->rdv_next = now + p->rdv_retry;
	}
	if (now >= p->relay_at) {
		natt_punch_fail(p, NATT_PUNCH_FAIL_BOTH_EDM);
		return;
	}
	if (now >= p->nominate_at)
		nominate(p, now);
	if (now >= p->self_select_at) {
		p->self_select_at = NATT_TIME_NEVER;
		i = best_ok(p);
		if (i >= 0 && p->nominating < 0) {
			natt_punch_select(p, now, i, "no nomination came; own choice");
			return;
		}
	}
	if (now >= p->give_up_at)
		give_up(p);
}

/* ---- connected ---- */

void natt_punch_path_alive(struct natt_punch *p, natt_time_t now)
{
	p->last_rx = now;
	p->check_active = false;
	p->check_sent = 0;
}

void natt_punch_path_died(struct natt_punch *p, natt_time_t now)
{
	char a[NATT_PUNCH_CAND_STR];

	p->paths_dead++;
	p->dead = true;
	p->check_active = false;
	natt_punch_logf(p, 3, "path to %s dead: %u checks unanswered; re-probing",
			natt_punch_fmt_cand(&p->path.remote, a, sizeof(a)),
			(unsigned int)NATT_PUNCH_CHECK_TRIES);
	p->phase = PH_REPROBE;
	natt_punch_search_reset(p, now);
	p->last_only = true;
	p->reprobe_all_at = now + NATT_PUNCH_REPROBE_LAST;
	p->rdv_next = NATT_TIME_NEVER;
	p->give_up_at = now + p->cfg.timeout;
}

static void connected_timers(struct natt_punch *p, natt_time_t now)
{
	expire_pairs(p, now);
	if (!p->check_active && now >= check_due_at(p)) {
		p->check_active = true;
		p->check_sent = 0;
		p->check_next = now;
		natt_punch_logf(p, 4, "path silent for %llu ms: checking",
				(unsigned long long)((now - p->last_rx) / NATT_MSEC));
		return;
	}
	if (p->check_active && p->check_sent >= NATT_PUNCH_CHECK_TRIES && now >= p->check_next)
		natt_punch_path_died(p, now);
}

void natt_punch_on_timeout(struct natt_punch *p, natt_time_t now)
{
	if (searching(p))
		searching_timers(p, now);
	else if (p->phase == PH_CONNECTED)
		connected_timers(p, now);
}

/* ---- what the session tells us ---- */

int natt_punch_path_activity(struct natt_punch *p, natt_time_t now, unsigned int sock,
			     const struct natt_cand *from)
{
	struct punch_pair *pr;
	char a[NATT_PUNCH_CAND_STR];
	int i;

	if (from == NULL || (from->family != 4 && from->family != 6) || from->port == 0)
		return NATT_ERR_INVALID;
	if (!p->have_path || p->phase == PH_IDLE)
		return NATT_OK;
	if (sock == p->path.sock && natt_punch_same_addr(from, &p->path.remote)) {
		if (p->phase == PH_CONNECTED)
			natt_punch_path_alive(p, now);
		return NATT_OK;
	}
	i = natt_punch_learn_pair(p, now, sock, from);
	if (i < 0)
		return NATT_OK;
	pr = &p->pair[i];
	pr->rebind = true;
	if (pr->active && pr->state == NATT_PUNCH_PAIR_PROBING && pr->tries < pr->max_tries)
		return NATT_OK; /* already validating it */
	natt_punch_logf(p, 3, "authenticated packet from %s on socket %u: validating it",
			natt_punch_fmt_cand(from, a, sizeof(a)), sock);
	pr->state = NATT_PUNCH_PAIR_WAITING;
	natt_punch_pair_rearm(p, pr, now);
	pr->triggered = true;
	return NATT_OK;
}

void natt_punch_path_sent(struct natt_punch *p, natt_time_t now)
{
	p->last_tx = now;
}

void natt_punch_rendezvous_failed(struct natt_punch *p, natt_time_t now, const char *reason)
{
	(void)now;
	p->rdv_failures++;
	p->rdv_reason = reason;
	natt_punch_logf(p, 3, "rendezvous query failed: %s", reason != NULL ? reason : "?");
	if (p->phase == PH_IDLE || (searching(p) && p->npair == 0))
		natt_punch_fail(p, NATT_PUNCH_FAIL_RENDEZVOUS);
}
