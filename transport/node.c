/*
 * node.c: the node's lifecycle, its public socket, demultiplexing, sending,
 * timers, deferred frees, logging and status (node.h).
 *
 * Demultiplexing (PROTOCOL.md 2.1), by the first byte and then the header:
 *   STUN                a Binding response to one of our requests
 *   RDV_*               the rendezvous client of the sender's address
 *   PROBE, PROBE_REPLY, HANDSHAKE, DATA
 *                       the peer whose connection ID is the dcid; a PROBE
 *                       with dcid 0 (the client does not know ours yet) by
 *                       its scid, the client's ID from the introduction.
 *                       A HANDSHAKE or PROBE for no peer whose seal
 *                       opens may get an UNKNOWN_CID back (node_reset.c);
 *                       DATA for no peer never does
 *   UNKNOWN_CID         the peer whose session sends to the ID it names
 *   anything else       dropped and counted (raw OpenVPN included: the
 *                       node has no pass-through)
 * Peers touched by a batch of datagrams are serviced once, after it.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/rand.h>

#include "node_int.h"

#define LOG_LINE_MAX 480

/* ---- configuration ---- */

void natt_node_config_default(struct natt_node_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->role = NATT_NODE_CLIENT;
	natt_session_config_default(&cfg->session);
	cfg->session.max_datagram = NATT_NODE_MAX_PAYLOAD;
	natt_punch_config_default(&cfg->punch);
	natt_rdv_client_config_default(&cfg->rdv_client);
	natt_udp_config_default(&cfg->udp);
	if (cfg->udp.max_datagram < NATT_NODE_MAX_PAYLOAD + NATT_SESSION_DATA_OVERHEAD)
		cfg->udp.max_datagram = NATT_NODE_MAX_PAYLOAD + NATT_SESSION_DATA_OVERHEAD;
	cfg->max_peers = NATT_NODE_MAX_PEERS;
	cfg->retry_max = NATT_NODE_RETRY_MAX;
	cfg->verb = 3;
}

/* ---- small services for the other files ---- */

static void vlog(const struct natt_node *n, int verb, const char *prefix, const char *fmt,
		 va_list ap)
{
	char line[LOG_LINE_MAX];
	int k;

	if (n->cfg.cb.log == NULL || verb > n->cfg.verb)
		return;
	k = snprintf(line, sizeof(line), "%s", prefix);
	if (k < 0 || (size_t)k >= sizeof(line))
		k = 0;
	vsnprintf(line + k, sizeof(line) - (size_t)k, fmt, ap);
	n->cfg.cb.log(n->cfg.cb.ctx, verb, line);
}

void natt_node_logf(const struct natt_node *n, int verb, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog(n, verb, "", fmt, ap);
	va_end(ap);
}

void natt_node_plogf(const struct natt_node_peer *p, int verb, const char *fmt, ...)
{
	char prefix[NATT_MAX_NAME + 48];
	va_list ap;

	snprintf(prefix, sizeof(prefix), "peer %s cid=%016llx: ", p->name[0] ? p->name : "-",
		 (unsigned long long)p->cid);
	va_start(ap, fmt);
	vlog(p->node, verb, prefix, fmt, ap);
	va_end(ap);
}

static void openssl_random(void *ctx, uint8_t *buf, size_t len)
{
	(void)ctx;
	if (RAND_bytes(buf, (int)len) != 1)
		abort(); /* no CSPRNG: nothing the transport does is safe */
}

void natt_node_random(struct natt_node *n, uint8_t *buf, size_t len)
{
	n->cfg.rnd(n->cfg.rnd_ctx, buf, len);
}

/* ---- addresses ---- */

const char *natt_node_fmt(const struct natt_cand *c, char *buf)
{
	return natt_cand_format(c, buf, NATT_NODE_ADDR_STR);
}

/* ---- sending ---- */

struct natt_udp *natt_node_sock(struct natt_node *n, struct natt_node_peer *p, unsigned int sock)
{
	if (sock == 0)
		return n->udp;
	if (p == NULL || sock > p->nxs)
		return NULL;
	return p->xs[sock - 1].udp;
}

int natt_node_send_raw(struct natt_node *n, struct natt_node_peer *p, unsigned int sock,
		       const struct natt_cand *dst, const uint8_t *buf, size_t len)
{
	struct natt_udp *u = natt_node_sock(n, p, sock);
	struct sockaddr_storage ss;
	socklen_t sl;
	int rc;

	if (u == NULL) {
		n->st.drop_no_socket++;
		return NATT_ERR_CLOSED;
	}
	sl = natt_addr_from_cand(dst, n->family, &ss);
	if (sl == 0)
		return NATT_ERR_INVALID;
	rc = natt_udp_send(u, buf, len, (struct sockaddr *)&ss, sl);
	if (rc == NATT_ERR_FULL)
		n->st.tx_full++;
	else if (rc == NATT_OK)
		n->st.tx_packets++;
	return rc;
}

int natt_node_send_legacy(struct natt_node *n, const struct natt_cand *to, const uint8_t *data,
			  size_t len)
{
	int rc;

	if (n->cfg.role != NATT_NODE_SERVER || len == 0 || len > n->cfg.udp.max_datagram)
		return NATT_ERR_INVALID;
	rc = natt_node_send_raw(n, NULL, 0, to, data, len);
	if (rc == NATT_OK)
		n->st.legacy_out++;
	return rc;
}

/* ---- receiving ---- */

static bool is_peer_type(uint8_t t)
{
	return t == NATT_PT_PROBE || t == NATT_PT_PROBE_REPLY || t == NATT_PT_HANDSHAKE ||
	       t == NATT_PT_DATA;
}

/* The peer a PROBE, PROBE_REPLY, HANDSHAKE or DATA packet is for. */
static struct natt_node_peer *route(struct natt_node *n, natt_time_t now,
				    const struct natt_cand *from, uint8_t *pkt, size_t len)
{
	struct natt_header h;
	struct natt_node_peer *p;

	if (natt_header_decode(&h, pkt, len) != NATT_OK) {
		n->st.drop_malformed++;
		return NULL;
	}
	if (h.dcid != 0)
		p = natt_node_find(n, h.dcid, false);
	else
		p = h.type == NATT_PT_PROBE ? natt_node_find(n, h.scid, true) : NULL;
	if (p == NULL) {
		n->st.drop_no_peer++;
		natt_node_reset_reply(n, now, from, &h, pkt, len);
	}
	return p;
}

/* Services each peer a batch touched, once. */
struct touched {
	struct natt_node_peer *p[NATT_UDP_MAX_BATCH];
	size_t n;
};

static void touch(struct touched *t, struct natt_node_peer *p)
{
	for (size_t i = 0; i < t->n; i++)
		if (t->p[i] == p)
			return;
	if (t->n < NATT_UDP_MAX_BATCH)
		t->p[t->n++] = p;
}

static void input_one(struct natt_node *n, struct natt_node_peer *via, unsigned int sock,
		      const struct natt_dgram *d, natt_time_t now, struct touched *t)
{
	struct natt_node_peer *p = via;
	struct natt_cand from;
	enum natt_class cls = natt_wire_classify(d->data, d->len);

	n->st.rx_packets++;
	if (!natt_addr_to_cand(d->addr, NATT_CAND_PRFLX, &from))
		return;
	if (via == NULL && cls == NATT_CLASS_STUN) {
		natt_node_stun_input(n, now, &from, d->data, d->len);
		return;
	}
	if (via == NULL && cls == NATT_CLASS_LONG && d->data[0] >= NATT_PT_RDV_REGISTER &&
	    d->data[0] <= NATT_PT_RDV_INTRODUCE) {
		natt_node_rdv_input(n, now, &from, d->data, d->len);
		return;
	}
	if (via == NULL && cls == NATT_CLASS_OPENVPN && n->cfg.role == NATT_NODE_SERVER &&
	    n->cfg.cb.legacy != NULL) {
		n->st.legacy_in++;
		n->cfg.cb.legacy(n->cfg.cb.ctx, &from, d->data, d->len);
		return;
	}
	if (cls == NATT_CLASS_LONG && d->data[0] == NATT_PT_UNKNOWN_CID) {
		p = natt_node_reset_input(n, now, sock, &from, d->data, d->len);
		if (p != NULL)
			touch(t, p);
		return;
	}
	if (cls == NATT_CLASS_UNKNOWN || cls == NATT_CLASS_OPENVPN || !is_peer_type(d->data[0])) {
		n->st.drop_unknown++;
		return;
	}
	if (p == NULL && (p = route(n, now, &from, d->data, d->len)) == NULL)
		return;
	if (p->dead)
		return;
	natt_node_peer_input(p, now, sock, &from, d->data, d->len);
	touch(t, p);
}

void natt_node_input(struct natt_node *n, struct natt_node_peer *p, unsigned int sock,
		     const struct natt_dgram *d, size_t count, natt_time_t now)
{
	static struct touched t;

	t.n = 0;
	for (size_t i = 0; i < count; i++)
		input_one(n, p, sock, &d[i], now, &t);
	for (size_t i = 0; i < t.n; i++)
		if (!t.p[i]->dead)
			natt_node_peer_service(t.p[i], now);
}

static void on_recv(void *arg, struct natt_udp *udp, const struct natt_dgram *d, size_t count,
		    natt_time_t now)
{
	(void)udp;
	natt_node_input(arg, NULL, 0, d, count, now);
}

/* ---- deferred frees ---- */

void natt_node_reap_soon(struct natt_node *n)
{
	natt_timer_set(n->reap, natt_loop_now());
}

void natt_node_close_later(struct natt_node *n, struct natt_udp *u)
{
	if (n->nclosing == n->closing_cap) {
		unsigned int cap = n->closing_cap ? 2 * n->closing_cap : 64;
		struct natt_udp **c = realloc(n->closing, cap * sizeof(*c));

		if (c == NULL) {
			natt_udp_close(u); /* no memory: close now rather than leak */
			return;
		}
		n->closing = c;
		n->closing_cap = cap;
	}
	n->closing[n->nclosing++] = u;
	natt_node_reap_soon(n);
}

static void reap(struct natt_node *n)
{
	struct natt_node_peer **pp = &n->peers;

	for (unsigned int i = 0; i < n->nclosing; i++)
		natt_udp_close(n->closing[i]);
	n->nclosing = 0;
	while (*pp != NULL) {
		struct natt_node_peer *p = *pp;

		if (!p->dead) {
			pp = &p->next;
			continue;
		}
		*pp = p->next;
		natt_node_peer_free(p);
	}
}

static void on_reap(void *arg, natt_time_t now)
{
	(void)now;
	reap(arg);
}

static void on_timer(void *arg, natt_time_t now)
{
	natt_node_rdv_timer(arg, now);
}

/* ---- lifecycle ---- */

static int check_config(const struct natt_node_config *c, char *err, size_t errlen)
{
	struct natt_name nm;

	if (c->nrdv == 0 || c->nrdv > NATT_NODE_MAX_RDV || c->nstun > NATT_NODE_MAX_STUN) {
		snprintf(err, errlen, "need 1 to %d rendezvous and at most %d STUN servers",
			 NATT_NODE_MAX_RDV, NATT_NODE_MAX_STUN);
		return NATT_ERR_INVALID;
	}
	if (c->seal == NULL || c->tls == NULL) {
		snprintf(err, errlen, "no network key or no TLS credentials");
		return NATT_ERR_INVALID;
	}
	if ((c->role == NATT_NODE_SERVER || (c->name != NULL && c->name[0] != '\0')) &&
	    (c->name == NULL || natt_name_set(&nm, c->name) != NATT_OK)) {
		snprintf(err, errlen, "name \"%s\": want 1-63 characters of A-Z a-z 0-9 . _ -",
			 c->name != NULL ? c->name : "");
		return NATT_ERR_INVALID;
	}
	if (c->max_peers == 0 || c->retry_max < NATT_NODE_RETRY_INITIAL) {
		snprintf(err, errlen, "max_peers 0 or retry_max below %llu s",
			 (unsigned long long)(NATT_NODE_RETRY_INITIAL / NATT_SEC));
		return NATT_ERR_INVALID;
	}
	return NATT_OK;
}

/* Whether the public socket can send to c: IPv4 from an IPv4 address or
 * the dual-stack IPv6 wildcard, IPv6 from an IPv6 address. */
static bool reaches(const struct natt_node *n, const struct natt_cand *c)
{
	static const uint8_t zero[16];
	bool v6_any = n->local.family == 6 && memcmp(n->local.addr, zero, 16) == 0;

	return c->family == 4 ? n->local.family == 4 || v6_any : n->local.family == 6;
}

/* Every rendezvous and STUN server must be reachable from the socket. */
static int check_families(const struct natt_node *n, char *err, size_t errlen)
{
	char a[NATT_NODE_ADDR_STR], b[NATT_NODE_ADDR_STR];

	for (unsigned int i = 0; i < n->cfg.nrdv + n->cfg.nstun; i++) {
		bool rdv = i < n->cfg.nrdv;
		const struct natt_cand *c = rdv ? &n->cfg.rdv[i] : &n->cfg.stun[i - n->cfg.nrdv];

		if (reaches(n, c))
			continue;
		snprintf(err, errlen, "%s %s: an IPv%u address, unreachable from UDP %s",
			 rdv ? "rendezvous" : "STUN server", natt_node_fmt(c, a), c->family,
			 natt_node_fmt(&n->local, b));
		return NATT_ERR_INVALID;
	}
	return NATT_OK;
}

/* No address given: the IPv6 wildcard, dual-stack (loop.h), so that one
 * socket serves both families (doc/ARCHITECTURE.md 5.11); the IPv4
 * wildcard on a kernel without IPv6. */
static int open_default(struct natt_node *n, struct sockaddr_storage *ss, socklen_t *sl)
{
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;
	struct sockaddr_in *s4 = (struct sockaddr_in *)ss;
	int rc;

	memset(ss, 0, sizeof(*ss));
	s6->sin6_family = AF_INET6;
	s6->sin6_port = htons(n->cfg.port);
	*sl = sizeof(*s6);
	rc = natt_udp_open(&n->udp, n->loop, (struct sockaddr *)ss, *sl, &n->cfg.udp, on_recv, n);
	if (rc != NATT_ERR_IO || errno != EAFNOSUPPORT)
		return rc;
	memset(ss, 0, sizeof(*ss));
	s4->sin_family = AF_INET;
	s4->sin_port = htons(n->cfg.port);
	*sl = sizeof(*s4);
	return natt_udp_open(&n->udp, n->loop, (struct sockaddr *)ss, *sl, &n->cfg.udp, on_recv, n);
}

static int open_socket(struct natt_node *n, char *err, size_t errlen)
{
	struct sockaddr_storage ss = n->cfg.bind;
	socklen_t sl = n->cfg.bind_len;
	char a[NATT_NODE_ADDR_STR];
	int rc;

	if (ss.ss_family == 0)
		rc = open_default(n, &ss, &sl);
	else
		rc = natt_udp_open(&n->udp, n->loop, (struct sockaddr *)&ss, sl, &n->cfg.udp,
				   on_recv, n);
	n->family = ss.ss_family;
	if (rc != NATT_OK) {
		struct natt_cand c;

		if (!natt_addr_to_cand((struct sockaddr *)&ss, NATT_CAND_HOST, &c))
			memset(&c, 0, sizeof(c));
		snprintf(err, errlen, "cannot bind UDP %s: %s", natt_node_fmt(&c, a),
			 rc == NATT_ERR_IO ? strerror(errno) : natt_strerror(rc));
		return rc;
	}
	natt_addr_to_cand((const struct sockaddr *)&natt_udp_info(n->udp)->local, NATT_CAND_HOST,
			  &n->local);
	return check_families(n, err, errlen);
}

int natt_node_new(struct natt_node **out, struct natt_loop *loop,
		  const struct natt_node_config *cfg, char *err, size_t errlen)
{
	struct natt_node *n;
	char a[NATT_NODE_ADDR_STR];
	int rc;

	*out = NULL;
	rc = check_config(cfg, err, errlen);
	if (rc != NATT_OK)
		return rc;
	n = calloc(1, sizeof(*n));
	if (n == NULL)
		return NATT_ERR_NOMEM;
	n->cfg = *cfg;
	if (cfg->name != NULL)
		snprintf(n->name, sizeof(n->name), "%s", cfg->name);
	n->cfg.name = n->name;
	if (n->cfg.rnd == NULL)
		n->cfg.rnd = openssl_random;
	n->loop = loop;
	if (natt_timer_new(&n->timer, loop, on_timer, n) != NATT_OK ||
	    natt_timer_new(&n->reap, loop, on_reap, n) != NATT_OK ||
	    natt_node_reset_new(n) != NATT_OK) {
		natt_node_free(n);
		return NATT_ERR_NOMEM;
	}
	rc = open_socket(n, err, errlen);
	if (rc == NATT_OK) {
		natt_node_gather(n);
		rc = natt_node_rdv_start(n, natt_loop_now(), err, errlen);
	}
	if (rc != NATT_OK) {
		natt_node_free(n);
		return rc;
	}
	natt_node_logf(n, 3, "node %s: %s on UDP %s", n->name[0] ? n->name : "-",
		       cfg->role == NATT_NODE_SERVER ? "server" : "client",
		       natt_node_fmt(&n->local, a));
	*out = n;
	return NATT_OK;
}

void natt_node_free(struct natt_node *n)
{
	if (n == NULL)
		return;
	while (n->peers != NULL) {
		struct natt_node_peer *p = n->peers;

		n->peers = p->next;
		natt_node_peer_free(p);
	}
	reap(n);
	natt_node_rdv_free(n);
	natt_node_reset_free(n);
	natt_timer_free(n->timer);
	natt_timer_free(n->reap);
	natt_udp_close(n->udp);
	free(n->closing);
	free(n);
}

int natt_node_shutdown(struct natt_node *n, const char *reason)
{
	natt_time_t now = natt_loop_now();

	n->shutting_down = true;
	natt_node_peers_close_all(n, now, reason);
	natt_node_rdv_stop(n, now);
	return NATT_OK;
}

bool natt_node_idle(const struct natt_node *n)
{
	return n->peers == NULL;
}

/* ---- status ---- */

void natt_node_get_stats(const struct natt_node *n, struct natt_node_stats *st)
{
	*st = n->st;
	st->peers = 0;
	st->xsockets = 0;
	for (const struct natt_node_peer *p = n->peers; p != NULL; p = p->next) {
		st->peers += !p->dead;
		for (unsigned int i = 0; i < p->nxs; i++)
			st->xsockets += p->xs[i].udp != NULL;
	}
}

void natt_node_local(const struct natt_node *n, struct natt_cand *c)
{
	*c = n->local;
}

static void status_node(const struct natt_node *n, char *line, size_t cap)
{
	char a[NATT_NODE_ADDR_STR], b[NATT_NODE_ADDR_STR];
	size_t k;

	k = (size_t)snprintf(line, cap, "node %s role %s local %s", n->name[0] ? n->name : "-",
			     n->cfg.role == NATT_NODE_SERVER ? "server" : "client",
			     natt_node_fmt(&n->local, a));
	for (unsigned int i = 0; i < n->nrdv && k < cap; i++) {
		const struct node_rdv *r = &n->rdv[i];

		k += (size_t)snprintf(
			line + k, cap - k, " rdv %s %s", natt_node_fmt(&r->server, a),
			r->reg != NULL
				? natt_rdv_reg_state_name(natt_rdv_client_reg_state(r->reg, NULL))
				: "lookup");
		if (r->have_obs && k < cap)
			k += (size_t)snprintf(line + k, cap - k, " srflx %s",
					      natt_node_fmt(&r->obs, a));
	}
	for (unsigned int i = 0; i < n->nstun && k < cap; i++)
		k += (size_t)snprintf(
			line + k, cap - k, " stun %s -> %s", natt_node_fmt(&n->stun[i].server, a),
			n->stun[i].have ? natt_node_fmt(&n->stun[i].mapped, b) : "none");
}

static void status_peer(const struct natt_node_peer *p, char *line, size_t cap)
{
	struct natt_node_peer_info in;
	char l[NATT_NODE_ADDR_STR], r[NATT_NODE_ADDR_STR];

	natt_node_peer_info(p, &in);
	snprintf(line, cap,
		 "peer %s cert %s state %s path %s%s local %s remote %s/%u rtt %.1f ms "
		 "loss %.2f%% in %llu/%llu out %llu/%llu cid %016llx",
		 in.name[0] ? in.name : "-", in.cert_name[0] ? in.cert_name : "-",
		 natt_node_state_name(in.state), natt_node_path_name(in.path),
		 in.bday ? " (birthday)" : "", natt_node_fmt(&in.local, l),
		 natt_node_fmt(&in.remote, r), in.sock, (double)in.rtt / 1000.0, in.loss * 100.0,
		 (unsigned long long)in.packets_in, (unsigned long long)in.bytes_in,
		 (unsigned long long)in.packets_out, (unsigned long long)in.bytes_out,
		 (unsigned long long)in.cid);
}

unsigned int natt_node_status(const struct natt_node *n, void (*fn)(void *ctx, const char *line),
			      void *ctx)
{
	char line[1024];
	unsigned int lines = 1;

	status_node(n, line, sizeof(line));
	fn(ctx, line);
	for (const struct natt_node_peer *p = n->peers; p != NULL; p = p->next) {
		if (p->dead)
			continue;
		status_peer(p, line, sizeof(line));
		fn(ctx, line);
		lines++;
	}
	return lines;
}

/* ---- names ---- */

const char *natt_node_path_name(enum natt_node_path_type t)
{
	switch (t) {
	case NATT_NODE_PATH_NONE: return "none";
	case NATT_NODE_PATH_LAN: return "lan";
	case NATT_NODE_PATH_DIRECT: return "direct";
	}
	return "?";
}

const char *natt_node_state_name(enum natt_node_peer_state s)
{
	switch (s) {
	case NATT_NODE_PEER_RESOLVING: return "resolving";
	case NATT_NODE_PEER_PUNCHING: return "punching";
	case NATT_NODE_PEER_HANDSHAKE: return "handshake";
	case NATT_NODE_PEER_UP: return "up";
	case NATT_NODE_PEER_CLOSING: return "closing";
	case NATT_NODE_PEER_WAITING: return "waiting";
	case NATT_NODE_PEER_GONE: return "gone";
	}
	return "?";
}

const char *natt_node_down_name(enum natt_node_down_reason r)
{
	switch (r) {
	case NATT_NODE_DOWN_RENDEZVOUS: return "rendezvous";
	case NATT_NODE_DOWN_NO_PATH: return "no-path";
	case NATT_NODE_DOWN_NEEDS_RELAY: return "relay-needed";
	case NATT_NODE_DOWN_HANDSHAKE: return "handshake";
	case NATT_NODE_DOWN_PEER_CLOSED: return "peer-closed";
	case NATT_NODE_DOWN_CLOSED: return "closed";
	case NATT_NODE_DOWN_TIMEOUT: return "timeout";
	case NATT_NODE_DOWN_FAILED: return "failed";
	}
	return "?";
}
