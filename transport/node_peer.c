/*
 * node_peer.c: one remote peer of a node: its attempts, the glue between
 * its punch and its session, its birthday sockets, and what the
 * application sees (up, down, datagrams, statistics).
 *
 * An attempt, client role:  RESOLVING (fresh STUN, then a lookup at every
 * rendezvous) -> PUNCHING (punch.h) -> HANDSHAKE (session.h, started on
 * punch's path) -> UP.  Server role: an introduction opens a peer in
 * PUNCHING.  Any failure, or the end of an UP session, ends the attempt:
 * the application's peer_down says why; a client with reconnect on waits
 * (WAITING, 1 s doubling to cfg.retry_max) and starts over with a new
 * connection ID, everything else goes (GONE) once its session has sent
 * its last packet.
 *
 * Timers: one per peer, at the earliest of punch's deadline, the session's,
 * the lookups' and the retry.
 */
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "node_int.h"

/* Send buffer: the largest packet a punch or session hands out. */
#define PEER_BUF (NATT_MAX_HANDSHAKE > NATT_MAX_PROBE ? NATT_MAX_HANDSHAKE : NATT_MAX_PROBE)

static uint8_t sendbuf[PEER_BUF];

/* ---- finding, creating, freeing ---- */

struct natt_node_peer *natt_node_find(struct natt_node *n, natt_cid_t cid, bool by_peer_cid)
{
	for (struct natt_node_peer *p = n->peers; p != NULL; p = p->next) {
		if (p->dead)
			continue;
		if (by_peer_cid ? p->peer_cid == cid : p->cid == cid)
			return p;
	}
	return NULL;
}

unsigned int natt_node_alive(const struct natt_node *n)
{
	unsigned int k = 0;

	for (const struct natt_node_peer *p = n->peers; p != NULL; p = p->next)
		k += !p->dead;
	return k;
}

static void on_timer(void *arg, natt_time_t now)
{
	natt_node_peer_service(arg, now);
}

struct natt_node_peer *natt_node_peer_new(struct natt_node *n, const char *name)
{
	struct natt_node_peer *p = calloc(1, sizeof(*p));

	if (p == NULL)
		return NULL;
	p->node = n;
	snprintf(p->name, sizeof(p->name), "%s", name);
	if (natt_timer_new(&p->timer, n->loop, on_timer, p) != NATT_OK) {
		free(p);
		return NULL;
	}
	p->validated_at = p->established_at = p->retry_at = NATT_TIME_NEVER;
	p->next = n->peers;
	n->peers = p;
	n->st.peers_opened++;
	return p;
}

static natt_cid_t new_cid(struct natt_node *n)
{
	natt_cid_t cid = 0;

	while (cid == 0 || natt_node_find(n, cid, false) != NULL)
		natt_node_random(n, (uint8_t *)&cid, sizeof(cid));
	return cid;
}

/* Whether socket idx carries the selected path (punch's, or the session's). */
static bool path_socket(const struct natt_node_peer *p, unsigned int idx)
{
	struct natt_punch_path pp;
	struct natt_session_path sp;

	if (p->punch != NULL && natt_punch_path(p->punch, &pp) && pp.sock == idx)
		return true;
	if (p->sess == NULL)
		return false;
	natt_session_path(p->sess, &sp);
	return sp.sock == idx;
}

void natt_node_xsocks_trim(struct natt_node_peer *p, unsigned int keep_upto)
{
	for (unsigned int i = keep_upto; i < p->nxs; i++) {
		struct node_xsock *x = &p->xs[i];

		if (x->udp == NULL || path_socket(p, x->idx))
			continue;
		natt_node_close_later(p->node, x->udp);
		x->udp = NULL;
	}
}

/* Frees what one attempt holds: session, punch, sockets, early packets. */
static void drop_attempt(struct natt_node_peer *p)
{
	natt_session_free(p->sess);
	p->sess = NULL;
	natt_punch_free(p->punch);
	p->punch = NULL;
	p->have_path = false;
	natt_node_xsocks_trim(p, 0);
	p->nearly = 0;
}

void natt_node_peer_free(struct natt_node_peer *p)
{
	for (unsigned int i = 0; i < p->nxs; i++) { /* now: their callbacks point into p */
		natt_udp_close(p->xs[i].udp);
		p->xs[i].udp = NULL;
	}
	drop_attempt(p);
	free(p->xs);
	free(p->early);
	natt_node_lookup_free(p);
	natt_timer_free(p->timer);
	free(p);
}

/* Marks p for the reaper (it is unlinked and freed outside any callback). */
void natt_node_peer_bury(struct natt_node_peer *p)
{
	p->dead = true;
	p->state = NATT_NODE_PEER_GONE;
	natt_timer_set(p->timer, NATT_TIME_NEVER);
	natt_node_reap_soon(p->node);
}

/* ---- the birthday sockets ---- */

static void on_xrecv(void *arg, struct natt_udp *udp, const struct natt_dgram *d, size_t count,
		     natt_time_t now)
{
	struct node_xsock *x = arg;

	(void)udp;
	natt_node_input(x->peer->node, x->peer, x->idx, d, count, now);
}

static int xsock_open(struct natt_node_peer *p, struct node_xsock *x)
{
	struct natt_node *n = p->node;
	struct sockaddr_storage ss;
	struct natt_udp_config c;

	memset(&ss, 0, sizeof(ss));
	ss.ss_family = (sa_family_t)n->family;
	natt_udp_config_default(&c);
	c.batch = 4;
	c.queue = 8;
	c.bufsize = 64 * 1024;
	c.max_datagram = n->cfg.udp.max_datagram;
	c.disable = NATT_UDP_NO_GSO | NATT_UDP_NO_GRO;
	return natt_udp_open(&x->udp, n->loop, (struct sockaddr *)&ss,
			     n->family == AF_INET6 ? sizeof(struct sockaddr_in6)
						   : sizeof(struct sockaddr_in),
			     &c, on_xrecv, x);
}

/* Opens the sockets punch wants, closes the ones it no longer wants. */
static void xsocks_sync(struct natt_node_peer *p)
{
	unsigned int want = natt_punch_sockets_wanted(p->punch);
	unsigned int opened = 0;

	if (want > NATT_PUNCH_BDAY_SOCKETS)
		want = NATT_PUNCH_BDAY_SOCKETS;
	if (want > 0 && p->xs == NULL) {
		p->xs = calloc(NATT_PUNCH_BDAY_SOCKETS, sizeof(*p->xs));
		if (p->xs == NULL)
			return;
	}
	for (unsigned int i = 0; i < want; i++) {
		struct node_xsock *x = &p->xs[i];

		if (x->udp != NULL)
			continue;
		x->peer = p;
		x->idx = i + 1;
		if (xsock_open(p, x) != NATT_OK) {
			natt_node_plogf(p, 1, "cannot open birthday socket %u: %s", i + 1,
					natt_strerror(NATT_ERR_IO));
			break;
		}
		opened++;
	}
	if (want > p->nxs)
		p->nxs = want;
	if (opened > 0)
		natt_node_plogf(p, 4, "opened %u birthday sockets (%u wanted)", opened, want);
	natt_node_xsocks_trim(p, want);
}

/* ---- what the application sees ---- */

static double ms_since(natt_time_t t, natt_time_t from)
{
	return t == NATT_TIME_NEVER || t < from ? -1.0 : (double)(t - from) / 1000.0;
}

static void came_up(struct natt_node_peer *p, natt_time_t now)
{
	struct natt_node *n = p->node;
	struct natt_node_peer_info in;
	char l[NATT_NODE_ADDR_STR], r[NATT_NODE_ADDR_STR];

	p->up = true;
	p->ups++;
	p->established_at = now;
	p->state = NATT_NODE_PEER_UP;
	p->retry_delay = 0;
	p->known = true;
	n->st.peers_up++;
	if (p->name[0] == '\0' && p->sess != NULL) /* an anonymous client: its certificate */
		snprintf(p->name, sizeof(p->name), "%s", natt_session_peer_name(p->sess));
	natt_node_peer_info(p, &in);
	natt_node_plogf(p, 3,
			"up: path %s%s, %s -> %s, peer certificate %s, path validated after "
			"%.1f ms, session after %.1f ms",
			natt_node_path_name(in.path), in.bday ? " (birthday method)" : "",
			natt_node_fmt(&in.local, l), natt_node_fmt(&in.remote, r),
			in.cert_name[0] ? in.cert_name : "-",
			ms_since(p->validated_at, p->attempt_at), ms_since(now, p->attempt_at));
	if (n->cfg.cb.peer_up != NULL)
		n->cfg.cb.peer_up(n->cfg.cb.ctx, p, &in);
}

static void log_diag_line(void *ctx, const char *line)
{
	natt_node_plogf(ctx, 4, "diag: %s", line);
}

/* The attempt is over (failed, or its session ended). */
void natt_node_attempt_end(struct natt_node_peer *p, natt_time_t now,
			   enum natt_node_down_reason why, const char *text)
{
	struct natt_node *n = p->node;
	struct natt_node_down d;
	bool was_up = p->up;

	if (n->cfg.role == NATT_NODE_SERVER || !n->cfg.reconnect || n->shutting_down)
		p->final = true;
	if (!p->final && p->retry_now) {
		p->retry_at = now; /* the delay stays: a failure after this waits as usual */
	} else if (!p->final) {
		p->retry_delay = p->retry_delay == 0 ? NATT_NODE_RETRY_INITIAL : 2 * p->retry_delay;
		if (p->retry_delay > n->cfg.retry_max)
			p->retry_delay = n->cfg.retry_max;
		p->retry_at = now + p->retry_delay;
	}
	p->retry_now = false;
	if (p->final)
		natt_node_plogf(p, 3, "%s (%s): %s", was_up ? "down" : "attempt failed",
				natt_node_down_name(why), text);
	else
		natt_node_plogf(p, 3, "%s (%s): %s; next attempt in %.1f s",
				was_up ? "down" : "attempt failed", natt_node_down_name(why), text,
				(double)p->retry_delay / NATT_SEC);
	if (!was_up && why != NATT_NODE_DOWN_CLOSED)
		natt_node_peer_diag(p, log_diag_line, p);
	p->up = false;
	p->state = p->final ? NATT_NODE_PEER_GONE : NATT_NODE_PEER_WAITING;
	if (p->sess != NULL && (natt_session_state(p->sess) == NATT_SESSION_HANDSHAKE ||
				natt_session_state(p->sess) == NATT_SESSION_ESTABLISHED))
		natt_session_close(p->sess, now, NATT_CLOSE_NO_ERROR, natt_node_down_name(why));
	natt_node_xsocks_trim(p, 0);
	if (p->known && n->cfg.cb.peer_down != NULL) {
		d.reason = why;
		d.text = text;
		d.was_up = was_up;
		d.final = p->final;
		d.retry_at = p->final ? NATT_TIME_NEVER : p->retry_at;
		p->in_down = true;
		n->cfg.cb.peer_down(n->cfg.cb.ctx, p, &d);
		p->in_down = false;
	}
	if (p->final)
		p->state = NATT_NODE_PEER_GONE;
	if (p->state == NATT_NODE_PEER_GONE && (p->sess == NULL || natt_session_done(p->sess)))
		natt_node_peer_bury(p);
}

/* ---- punch ---- */

static void punch_log(void *ctx, int verb, const char *line)
{
	struct natt_node_peer *p = ctx;

	natt_node_logf(p->node, verb, "%s", line);
}

static int punch_new(struct natt_node_peer *p, enum natt_punch_role role)
{
	struct natt_node *n = p->node;
	struct natt_punch_config c = n->cfg.punch;

	c.peer_name = p->name;
	c.log = punch_log;
	c.log_ctx = p;
	return natt_punch_new(&p->punch, &c, n->cfg.seal, n->cfg.rnd, n->cfg.rnd_ctx, p->cid, role);
}

static void punch_failed(struct natt_node_peer *p, natt_time_t now)
{
	struct natt_punch_diag d;
	char text[400];
	enum natt_node_down_reason why = NATT_NODE_DOWN_NO_PATH;

	natt_punch_diag(p->punch, &d);
	if (d.reason == NATT_PUNCH_FAIL_BOTH_EDM)
		why = NATT_NODE_DOWN_NEEDS_RELAY;
	else if (d.reason == NATT_PUNCH_FAIL_RENDEZVOUS)
		why = NATT_NODE_DOWN_RENDEZVOUS;
	if (why == NATT_NODE_DOWN_RENDEZVOUS)
		snprintf(text, sizeof(text), "%s: %s", natt_punch_fail_name(d.reason),
			 p->rdv_reason != NULL ? p->rdv_reason : "no answer");
	else
		snprintf(text, sizeof(text), "%s (our NAT: %s; the peer's NAT: %s; %u pairs tried)",
			 natt_punch_fail_name(d.reason), natt_nat_type_name(d.local_nat),
			 natt_nat_type_name(d.remote_nat), d.npairs);
	natt_node_attempt_end(p, now, why, text);
}

static void start_session(struct natt_node_peer *p, natt_time_t now)
{
	struct natt_node *n = p->node;
	enum natt_session_role role =
		n->cfg.role == NATT_NODE_CLIENT ? NATT_SESSION_CLIENT : NATT_SESSION_SERVER;
	const uint8_t *data;
	int rc;

	rc = natt_session_new(&p->sess, &n->cfg.session, role, n->cfg.seal, n->cfg.tls, n->cfg.rnd,
			      n->cfg.rnd_ctx, p->cid, now);
	if (rc == NATT_OK)
		rc = natt_session_start_punched(p->sess, p->punch, now);
	if (rc != NATT_OK) {
		natt_session_free(p->sess);
		p->sess = NULL;
		natt_node_attempt_end(p, now, NATT_NODE_DOWN_HANDSHAKE, natt_strerror(rc));
		return;
	}
	p->state = NATT_NODE_PEER_HANDSHAKE;
	for (unsigned int i = 0; i < p->nearly; i++) {
		struct node_early *e = &p->early[i];
		struct natt_session_path from = {.sock = e->sock, .remote = e->from};

		natt_session_recv(p->sess, now, &from, e->buf, e->len, &data);
	}
	p->nearly = 0;
}

static void path_selected(struct natt_node_peer *p, natt_time_t now)
{
	struct natt_punch_path path;
	char l[NATT_NODE_ADDR_STR], r[NATT_NODE_ADDR_STR];

	if (!natt_punch_path(p->punch, &path))
		return;
	if (p->have_path && natt_rdv_same_addr(&path.remote, &p->path.remote) &&
	    path.sock == p->path.sock)
		return;
	natt_node_plogf(p, 3, "path %s: %s/%u -> %s (%s%s, probe rtt %.1f ms)",
			p->have_path ? "moved" : "validated", natt_node_fmt(&path.local, l),
			path.sock, natt_node_fmt(&path.remote, r), path.lan ? "lan" : "direct",
			path.bday ? ", birthday method" : "", (double)path.rtt / 1000.0);
	p->path = path;
	p->have_path = true;
	if (p->validated_at == NATT_TIME_NEVER)
		p->validated_at = now;
}

/* Asks the rendezvous again, for punch (a dead path, a re-probe). */
static void requery(struct natt_node_peer *p, natt_time_t now)
{
	struct natt_node *n = p->node;

	if (n->cfg.role == NATT_NODE_SERVER) {
		natt_node_reregister(n, now);
		return;
	}
	p->stun_round = natt_node_stun_request(n, now);
	p->stun_wait = p->stun_round > n->stun_done;
	if (!p->stun_wait)
		natt_node_lookup_start(p, now);
}

static void punch_step(struct natt_node_peer *p, natt_time_t now)
{
	struct natt_node *n = p->node;
	enum natt_punch_state st;
	struct natt_cand dst;
	unsigned int sock;
	int len;

	if (natt_punch_deadline(p->punch) <= now)
		natt_punch_on_timeout(p->punch, now);
	xsocks_sync(p);
	while ((len = natt_punch_send(p->punch, now, sendbuf, sizeof(sendbuf), &dst, &sock)) > 0)
		natt_node_send_raw(n, p, sock, &dst, sendbuf, (size_t)len);
	if (natt_punch_want_rendezvous(p->punch))
		requery(p, now);
	st = natt_punch_state(p->punch);
	if (st == NATT_PUNCH_CONNECTED) {
		path_selected(p, now);
		if (p->sess == NULL)
			start_session(p, now);
	} else if ((st == NATT_PUNCH_FAILED || st == NATT_PUNCH_NEEDS_RELAY) && !p->up &&
		   p->state != NATT_NODE_PEER_RESOLVING) {
		punch_failed(p, now);
	}
}

/* ---- session ---- */

static void session_ended(struct natt_node_peer *p, natt_time_t now)
{
	struct natt_session_end e;
	enum natt_node_down_reason why = NATT_NODE_DOWN_FAILED;

	natt_session_get_end(p->sess, &e);
	if (p->final)
		why = NATT_NODE_DOWN_CLOSED;
	else if (!p->up)
		why = NATT_NODE_DOWN_HANDSHAKE;
	else if (e.reason == NATT_SESSION_R_IDLE_TIMEOUT)
		why = NATT_NODE_DOWN_TIMEOUT;
	else if (e.remote &&
		 (e.reason == NATT_SESSION_R_CLOSED || e.reason == NATT_SESSION_R_PEER_CLOSE))
		why = NATT_NODE_DOWN_PEER_CLOSED;
	else if (e.reason == NATT_SESSION_R_CLOSED)
		why = NATT_NODE_DOWN_CLOSED;
	natt_node_attempt_end(p, now, why,
			      e.detail[0] ? e.detail : natt_session_reason_name(e.reason));
}

static void session_step(struct natt_node_peer *p, natt_time_t now)
{
	struct natt_session_event ev;
	struct natt_session_path dst;
	enum natt_session_state st;
	int len;

	if (natt_session_deadline(p->sess) <= now)
		natt_session_on_timeout(p->sess, now);
	while ((len = natt_session_poll_send(p->sess, now, sendbuf, sizeof(sendbuf), &dst)) > 0)
		natt_node_send_raw(p->node, p, dst.sock, &dst.remote, sendbuf, (size_t)len);
	while (natt_session_next_event(p->sess, &ev))
		natt_node_plogf(p, ev.verb, "%s", ev.text);
	st = natt_session_state(p->sess);
	if (p->state == NATT_NODE_PEER_HANDSHAKE && st == NATT_SESSION_ESTABLISHED)
		came_up(p, now);
	else if ((st == NATT_SESSION_CLOSED || st == NATT_SESSION_FAILED) &&
		 p->state != NATT_NODE_PEER_GONE && p->state != NATT_NODE_PEER_WAITING)
		session_ended(p, now);
	if (p->sess != NULL && natt_session_done(p->sess) && p->state == NATT_NODE_PEER_GONE &&
	    !p->dead)
		natt_node_peer_bury(p);
}

/* ---- servicing ---- */

static natt_time_t min_t(natt_time_t a, natt_time_t b)
{
	return a < b ? a : b;
}

static void arm(struct natt_node_peer *p)
{
	natt_time_t t = natt_node_lookup_deadline(p);

	if (p->dead)
		return;
	if (p->punch != NULL && p->state != NATT_NODE_PEER_GONE &&
	    p->state != NATT_NODE_PEER_WAITING)
		t = min_t(t, natt_punch_deadline(p->punch));
	if (p->sess != NULL && !natt_session_done(p->sess))
		t = min_t(t, natt_session_deadline(p->sess));
	if (p->state == NATT_NODE_PEER_WAITING)
		t = min_t(t, p->retry_at);
	natt_timer_set(p->timer, t);
}

void natt_node_peer_service(struct natt_node_peer *p, natt_time_t now)
{
	bool active;

	if (p->dead)
		return;
	p->node->rdv_now = now;
	if (p->state == NATT_NODE_PEER_WAITING && now >= p->retry_at) {
		natt_node_attempt_start(p, now);
		if (p->dead)
			return;
	}
	active = p->state != NATT_NODE_PEER_WAITING && p->state != NATT_NODE_PEER_GONE;
	if (active)
		natt_node_lookup_poll(p, now);
	if (active && p->punch != NULL && !p->dead)
		punch_step(p, now);
	if (p->sess != NULL && !p->dead && !natt_session_done(p->sess))
		session_step(p, now);
	arm(p);
}

/* ---- input ---- */

static void keep_early(struct natt_node_peer *p, unsigned int sock, const struct natt_cand *from,
		       const uint8_t *pkt, size_t len)
{
	struct node_early *e;

	if (p->early == NULL)
		p->early = calloc(NATT_NODE_EARLY_PACKETS, sizeof(*p->early));
	if (p->early == NULL || p->nearly == NATT_NODE_EARLY_PACKETS || len > sizeof(e->buf)) {
		p->node->st.drop_early++;
		return;
	}
	e = &p->early[p->nearly++];
	e->sock = sock;
	e->from = *from;
	e->len = len;
	memcpy(e->buf, pkt, len);
}

void natt_node_peer_input(struct natt_node_peer *p, natt_time_t now, unsigned int sock,
			  const struct natt_cand *from, uint8_t *pkt, size_t len)
{
	struct natt_node *n = p->node;
	struct natt_session_path path = {.sock = sock, .remote = *from};
	const uint8_t *data;
	int rc;

	if (pkt[0] == NATT_PT_PROBE || pkt[0] == NATT_PT_PROBE_REPLY) {
		if (p->punch == NULL)
			return;
		rc = natt_punch_recv(p->punch, now, sock, from, pkt, len);
		if (rc != NATT_OK)
			natt_node_plogf(p, 7, "probe dropped: %s", natt_strerror(rc));
		return;
	}
	if (p->sess == NULL) {
		if (pkt[0] == NATT_PT_HANDSHAKE && p->punch != NULL)
			keep_early(p, sock, from, pkt, len);
		return;
	}
	rc = natt_session_recv(p->sess, now, &path, pkt, len, &data);
	if (p->state == NATT_NODE_PEER_HANDSHAKE &&
	    natt_session_state(p->sess) == NATT_SESSION_ESTABLISHED)
		came_up(p, now); /* before its first datagram */
	if (rc <= 0) {
		if (rc < 0)
			natt_node_plogf(p, 7, "packet dropped: %s", natt_strerror(rc));
		return;
	}
	p->pk_in++;
	p->by_in += (uint64_t)rc;
	if (n->cfg.cb.datagram != NULL && p->up)
		n->cfg.cb.datagram(n->cfg.cb.ctx, p, data, (size_t)rc);
}

/* ---- attempts ---- */

void natt_node_attempt_start(struct natt_node_peer *p, natt_time_t now)
{
	struct natt_node *n = p->node;

	drop_attempt(p);
	p->cid = new_cid(n);
	p->attempts++;
	p->attempt_at = now;
	p->validated_at = p->established_at = NATT_TIME_NEVER;
	p->up = false;
	p->state = NATT_NODE_PEER_RESOLVING;
	if (punch_new(p, NATT_PUNCH_CONTROLLING) != NATT_OK) {
		p->final = true;
		natt_node_attempt_end(p, now, NATT_NODE_DOWN_FAILED,
				      "cannot create the punch state");
		return;
	}
	natt_node_plogf(p, 3, "connecting to %s (attempt %u)", p->name, p->attempts);
	p->stun_round = natt_node_stun_request(n, now);
	p->stun_wait = p->stun_round > n->stun_done;
	if (!p->stun_wait)
		natt_node_lookup_start(p, now);
}

void natt_node_peers_stun_done(struct natt_node *n, natt_time_t now)
{
	for (struct natt_node_peer *p = n->peers; p != NULL; p = p->next) {
		if (p->dead || !p->stun_wait || p->stun_round > n->stun_done)
			continue;
		p->stun_wait = false;
		if (p->state == NATT_NODE_PEER_WAITING || p->state == NATT_NODE_PEER_GONE)
			continue;
		natt_node_lookup_start(p, now);
		natt_node_peer_service(p, now);
	}
}

void natt_node_peer_lookup_done(struct natt_node_peer *p, unsigned int idx, natt_time_t now,
				const struct natt_rdv_event *ev)
{
	struct natt_node *n = p->node;
	char a[NATT_NODE_ADDR_STR], b[NATT_NODE_ADDR_STR];
	bool pending = false;

	if (ev->cid != p->cid || p->punch == NULL)
		return;
	for (unsigned int i = 0; i < n->nrdv; i++)
		pending |= p->lk[i].pending;
	if (ev->result != NATT_RDV_RES_OK) {
		natt_node_plogf(p, 3, "rendezvous %s: lookup failed: %s",
				natt_node_fmt(&n->rdv[idx].server, a), ev->reason);
		p->rdv_reason = ev->reason;
		if (!pending && !p->found) {
			natt_punch_rendezvous_failed(p->punch, now, ev->reason);
			if (p->state == NATT_NODE_PEER_RESOLVING)
				p->state = NATT_NODE_PEER_PUNCHING;
		}
		return;
	}
	p->found = true;
	natt_node_plogf(p, 3, "rendezvous %s: found with %u candidates; we are seen as %s",
			natt_node_fmt(&n->rdv[idx].server, a), ev->cands.count,
			natt_node_fmt(&ev->observed, b));
	natt_node_add_locals(n, p->punch, now, &ev->observed);
	for (unsigned int i = 0; i < ev->cands.count; i++) {
		natt_node_plogf(p, 4, "peer candidate %s %s",
				natt_cand_kind_name(ev->cands.cand[i].kind),
				natt_node_fmt(&ev->cands.cand[i], a));
		natt_punch_add_remote(p->punch, now, &ev->cands.cand[i]);
	}
	if (natt_punch_state(p->punch) == NATT_PUNCH_IDLE)
		natt_punch_start(p->punch, now);
	if (p->state == NATT_NODE_PEER_RESOLVING)
		p->state = NATT_NODE_PEER_PUNCHING;
}

void natt_node_peer_introduced(struct natt_node *n, unsigned int idx, natt_time_t now,
			       const struct natt_rdv_event *ev)
{
	struct natt_node_peer *p = natt_node_find(n, ev->cid, true);
	char a[NATT_NODE_ADDR_STR], b[NATT_NODE_ADDR_STR];
	struct natt_cand obs = ev->observed;

	if (n->shutting_down)
		return;
	if (p == NULL) {
		if (natt_node_alive(n) >= n->cfg.max_peers) {
			natt_node_logf(n, 1, "introduction of %s refused: %u peers already",
				       ev->name.len ? ev->name.str : "a client", n->cfg.max_peers);
			return;
		}
		p = natt_node_peer_new(n, ev->name.len ? ev->name.str : "");
		if (p == NULL)
			return;
		p->peer_cid = ev->cid;
		p->cid = new_cid(n);
		p->attempts = 1;
		p->attempt_at = now;
		p->state = NATT_NODE_PEER_PUNCHING;
		if (punch_new(p, NATT_PUNCH_CONTROLLED) != NATT_OK ||
		    natt_punch_set_peer_cid(p->punch, ev->cid) != NATT_OK) {
			natt_node_peer_bury(p);
			return;
		}
	} else if (p->punch == NULL || p->state == NATT_NODE_PEER_GONE) {
		return;
	}
	natt_node_plogf(p, 3, "introduced by rendezvous %s: client at %s with %u candidates",
			natt_node_fmt(&n->rdv[idx].server, a), natt_node_fmt(&obs, b),
			ev->cands.count);
	natt_node_add_locals(n, p->punch, now, NULL);
	natt_punch_add_remote(p->punch, now, &obs);
	for (unsigned int i = 0; i < ev->cands.count; i++)
		natt_punch_add_remote(p->punch, now, &ev->cands.cand[i]);
	if (natt_punch_state(p->punch) == NATT_PUNCH_IDLE)
		natt_punch_start(p->punch, now);
	natt_node_peer_service(p, now);
}
