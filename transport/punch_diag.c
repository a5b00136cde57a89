/*
 * punch_diag.c: what the punch module tells people: the diagnosis record
 * (natt_punch_diag), its text form, names, and log lines.  snprintf is
 * used for formatting only; nothing here writes anywhere but the caller's
 * buffers and callbacks.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "punch_int.h"

#define LINE_MAX_LEN 320

const char *natt_punch_state_name(enum natt_punch_state s)
{
	switch (s) {
	case NATT_PUNCH_IDLE: return "idle";
	case NATT_PUNCH_PROBING: return "probing";
	case NATT_PUNCH_CONNECTED: return "connected";
	case NATT_PUNCH_FAILED: return "failed";
	case NATT_PUNCH_NEEDS_RELAY: return "needs-relay";
	}
	return "?";
}

const char *natt_nat_type_name(enum natt_nat_type t)
{
	switch (t) {
	case NATT_NAT_UNKNOWN: return "unknown";
	case NATT_NAT_NONE: return "none (public address)";
	case NATT_NAT_EIM: return "endpoint-independent mapping";
	case NATT_NAT_EDM: return "endpoint-dependent mapping (symmetric)";
	}
	return "?";
}

const char *natt_punch_fail_name(enum natt_punch_fail f)
{
	switch (f) {
	case NATT_PUNCH_FAIL_NONE: return "none";
	case NATT_PUNCH_FAIL_TIMEOUT: return "all probes timed out";
	case NATT_PUNCH_FAIL_BOTH_EDM:
		return "both NATs are endpoint-dependent (symmetric): a relay is needed";
	case NATT_PUNCH_FAIL_RENDEZVOUS: return "the rendezvous could not introduce us";
	case NATT_PUNCH_FAIL_AUTH:
		return "probes failed authentication (the peers use different network keys?)";
	case NATT_PUNCH_FAIL_NO_CANDIDATES: return "no candidate pair (address families differ?)";
	}
	return "?";
}

static const char *pair_state_name(enum natt_punch_pair_state s)
{
	switch (s) {
	case NATT_PUNCH_PAIR_WAITING: return "waiting";
	case NATT_PUNCH_PAIR_PROBING: return "no answer yet";
	case NATT_PUNCH_PAIR_OK: return "validated";
	case NATT_PUNCH_PAIR_FAILED: return "failed";
	}
	return "?";
}

static const char *bday_name(enum natt_punch_bday b)
{
	switch (b) {
	case NATT_PUNCH_BDAY_OFF: return "off";
	case NATT_PUNCH_BDAY_HARD: return "hard side (many local ports)";
	case NATT_PUNCH_BDAY_EASY: return "easy side (random ports)";
	}
	return "?";
}

const char *natt_punch_fmt_cand(const struct natt_cand *c, char *buf, size_t cap)
{
	return natt_cand_format(c, buf, cap);
}

void natt_punch_logf(const struct natt_punch *p, int verb, const char *fmt, ...)
{
	char line[LINE_MAX_LEN];
	int n;
	va_list ap;

	if (p->cfg.log == NULL)
		return;
	n = snprintf(line, sizeof(line), "punch peer=%s cid=%016llx: ",
		     p->cfg.peer_name[0] != '\0' ? p->cfg.peer_name : "-",
		     (unsigned long long)p->cid);
	va_start(ap, fmt);
	vsnprintf(line + n, sizeof(line) - (size_t)n, fmt, ap);
	va_end(ap);
	p->cfg.log(p->cfg.log_ctx, verb, line);
}

/* ---- the record ---- */

static void diag_pairs(const struct natt_punch *p, struct natt_punch_diag *d)
{
	bool taken[NATT_PUNCH_MAX_PAIRS] = {false};

	d->npairs = p->npair;
	for (d->nshown = 0; d->nshown < NATT_PUNCH_DIAG_PAIRS && d->nshown < p->npair;
	     d->nshown++) {
		struct natt_punch_diag_pair *o = &d->pair[d->nshown];
		const struct punch_pair *pr;
		int best = -1;

		for (unsigned int i = 0; i < p->npair; i++)
			if (!taken[i] && (best < 0 || p->pair[i].prio > p->pair[best].prio))
				best = (int)i;
		taken[best] = true;
		pr = &p->pair[best];
		o->sock = pr->sock;
		o->local = pr->local;
		o->remote = pr->remote;
		o->state = pr->state;
		o->probes = pr->probes;
		o->replies = pr->replies;
		o->rtt = pr->rtt;
		o->lan = pr->lan;
		o->nominated = pr->nominated;
		o->selected = p->have_path && best == p->sel && !p->dead;
	}
}

void natt_punch_diag(const struct natt_punch *p, struct natt_punch_diag *d)
{
	memset(d, 0, sizeof(*d));
	d->state = natt_punch_state(p);
	d->reason = p->reason;
	d->role = p->role;
	d->peer_name = p->cfg.peer_name;
	d->cid = p->cid;
	d->peer_cid = p->peer_cid;
	d->local_nat = p->lnat;
	d->remote_nat = p->rnat;
	d->local_nat_why = p->lwhy;
	d->remote_nat_why = p->rwhy;
	d->nlocal = p->nlocal;
	memcpy(d->local, p->local, p->nlocal * sizeof(p->local[0]));
	d->nremote = p->nremote;
	memcpy(d->remote, p->remote, p->nremote * sizeof(p->remote[0]));
	diag_pairs(p, d);
	d->bday = p->bday_role != NATT_PUNCH_BDAY_OFF ? p->bday_role
		  : p->bday_sockets > 0		      ? NATT_PUNCH_BDAY_HARD
		  : p->bday_probes > 0		      ? NATT_PUNCH_BDAY_EASY
						      : NATT_PUNCH_BDAY_OFF;
	d->bday_sockets = p->bday_sockets;
	d->bday_probes = p->bday_probes;
	d->bday_hit = p->bday_hit;
	d->probes_sent = p->probes_sent;
	d->replies_sent = p->replies_sent;
	d->probes_recv = p->probes_recv;
	d->replies_recv = p->replies_recv;
	d->auth_failures = p->auth_failures;
	d->malformed = p->malformed;
	d->wrong_cid = p->wrong_cid;
	d->unmatched = p->unmatched;
	d->replies_dropped = p->replies_dropped;
	d->rdv_failures = p->rdv_failures;
	d->rdv_reason = p->rdv_reason;
	d->paths_dead = p->paths_dead;
	d->switches = p->switches;
	d->started_at = p->started;
	d->connected_at = p->phase == PH_CONNECTED ? p->connected_at : NATT_TIME_NEVER;
	d->have_path = p->have_path;
	d->path = p->path;
}

/* ---- the text ---- */

struct printer {
	void (*fn)(void *ctx, const char *line);
	void *ctx;
	unsigned int n;
};

static void out(struct printer *pr, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void out(struct printer *pr, const char *fmt, ...)
{
	char line[LINE_MAX_LEN];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	pr->fn(pr->ctx, line);
	pr->n++;
}

static void print_cands(struct printer *o, const char *who, const struct natt_cand *c,
			unsigned int n)
{
	char a[NATT_PUNCH_CAND_STR];

	if (n == 0)
		out(o, "%s candidates: none", who);
	for (unsigned int i = 0; i < n; i++)
		out(o, "%s candidate %u: %s %s", who, i + 1, natt_cand_kind_name(c[i].kind),
		    natt_punch_fmt_cand(&c[i], a, sizeof(a)));
}

static void print_pairs(struct printer *o, const struct natt_punch_diag *d)
{
	char a[NATT_PUNCH_CAND_STR], b[NATT_PUNCH_CAND_STR];

	for (unsigned int i = 0; i < d->nshown; i++) {
		const struct natt_punch_diag_pair *x = &d->pair[i];
		char rtt[32] = "";

		if (x->state == NATT_PUNCH_PAIR_OK)
			snprintf(rtt, sizeof(rtt), ", rtt %llu us", (unsigned long long)x->rtt);
		out(o, "pair %u: socket %u %s -> %s %s: %s, %u probes, %u replies%s%s%s%s", i + 1,
		    x->sock, natt_punch_fmt_cand(&x->local, a, sizeof(a)),
		    natt_cand_kind_name(x->remote.kind),
		    natt_punch_fmt_cand(&x->remote, b, sizeof(b)), pair_state_name(x->state),
		    x->probes, x->replies, rtt, x->lan ? ", LAN" : "",
		    x->nominated ? ", nominated" : "", x->selected ? ", SELECTED" : "");
	}
	if (d->npairs > d->nshown)
		out(o, "(%u more pairs not shown)", d->npairs - d->nshown);
}

static void print_outcome(struct printer *o, const struct natt_punch_diag *d)
{
	char a[NATT_PUNCH_CAND_STR];

	if ((d->state == NATT_PUNCH_FAILED || d->state == NATT_PUNCH_NEEDS_RELAY) &&
	    d->reason == NATT_PUNCH_FAIL_RENDEZVOUS && d->rdv_reason != NULL)
		out(o, "why: %s (%s)", natt_punch_fail_name(d->reason), d->rdv_reason);
	else if (d->state == NATT_PUNCH_FAILED || d->state == NATT_PUNCH_NEEDS_RELAY)
		out(o, "why: %s", natt_punch_fail_name(d->reason));
	if (d->have_path && d->state == NATT_PUNCH_CONNECTED)
		out(o, "path: socket %u -> %s (%s%s%s), rtt %llu us, found %llu ms after the start",
		    d->path.sock, natt_punch_fmt_cand(&d->path.remote, a, sizeof(a)),
		    natt_cand_kind_name(d->path.remote.kind), d->path.lan ? ", LAN" : "",
		    d->path.bday ? ", birthday method" : "", (unsigned long long)d->path.rtt,
		    (unsigned long long)((d->connected_at - d->started_at) / NATT_MSEC));
	else if (d->have_path)
		out(o, "last path: socket %u -> %s (dead)", d->path.sock,
		    natt_punch_fmt_cand(&d->path.remote, a, sizeof(a)));
}

unsigned int natt_punch_diag_print(const struct natt_punch_diag *d,
				   void (*fn)(void *ctx, const char *line), void *ctx)
{
	struct printer o = {fn, ctx, 0};

	out(&o, "peer %s (cid %016llx, ours %016llx, %s): %s",
	    d->peer_name != NULL && d->peer_name[0] != '\0' ? d->peer_name : "-",
	    (unsigned long long)d->peer_cid, (unsigned long long)d->cid,
	    d->role == NATT_PUNCH_CONTROLLING ? "controlling" : "controlled",
	    natt_punch_state_name(d->state));
	print_outcome(&o, d);
	out(&o, "our NAT: %s (%s)", natt_nat_type_name(d->local_nat),
	    d->local_nat_why ? d->local_nat_why : "-");
	out(&o, "peer's NAT: %s (%s)", natt_nat_type_name(d->remote_nat),
	    d->remote_nat_why ? d->remote_nat_why : "-");
	print_cands(&o, "our", d->local, d->nlocal);
	print_cands(&o, "peer's", d->remote, d->nremote);
	print_pairs(&o, d);
	if (d->bday != NATT_PUNCH_BDAY_OFF)
		out(&o, "birthday method: %s, %u sockets, %u probes, %s", bday_name(d->bday),
		    d->bday_sockets, d->bday_probes, d->bday_hit ? "found the path" : "no hit");
	out(&o, "probes: %llu sent, %llu replies received; %llu received, %llu replies sent",
	    (unsigned long long)d->probes_sent, (unsigned long long)d->replies_recv,
	    (unsigned long long)d->probes_recv, (unsigned long long)d->replies_sent);
	if (d->auth_failures > 0)
		out(&o, "authentication failures: %llu (probes sealed with another network key?)",
		    (unsigned long long)d->auth_failures);
	if (d->malformed + d->wrong_cid + d->unmatched + d->replies_dropped > 0)
		out(&o,
		    "dropped: %llu malformed, %llu for another session, %llu unmatched "
		    "replies, %llu replies not sent (queue full)",
		    (unsigned long long)d->malformed, (unsigned long long)d->wrong_cid,
		    (unsigned long long)d->unmatched, (unsigned long long)d->replies_dropped);
	if (d->rdv_failures > 0)
		out(&o, "rendezvous: %u failures (last: %s)", d->rdv_failures,
		    d->rdv_reason != NULL ? d->rdv_reason : "-");
	if (d->paths_dead + d->switches > 0)
		out(&o, "paths lost: %u; path changes: %u", d->paths_dead, d->switches);
	return o.n;
}
