/*
 * node_app.c: what the application calls on a node's peers (node.h):
 * connecting, sending, closing, and reading a peer's state, counters and
 * diagnosis.
 */
#include <stdio.h>
#include <string.h>

#include "node_int.h"

void natt_node_peer_info(const struct natt_node_peer *p, struct natt_node_peer_info *in)
{
	struct natt_session_stats st;

	memset(in, 0, sizeof(*in));
	in->role = p->node->cfg.role;
	in->state = p->state;
	in->name = p->name;
	in->cert_name = p->sess != NULL ? natt_session_peer_name(p->sess) : "";
	in->cid = p->cid;
	in->peer_cid = p->punch != NULL ? natt_punch_peer_cid(p->punch) : 0;
	if (p->punch != NULL) {
		in->local_nat = natt_punch_local_nat(p->punch);
		in->remote_nat = natt_punch_remote_nat(p->punch);
	}
	if (p->have_path) {
		in->path = p->path.lan ? NATT_NODE_PATH_LAN : NATT_NODE_PATH_DIRECT;
		in->bday = p->path.bday;
		in->sock = p->path.sock;
		in->local = p->path.local;
		in->remote = p->path.remote;
	}
	in->attempts = p->attempts;
	in->ups = p->ups;
	in->attempt_at = p->attempt_at;
	in->validated_at = p->validated_at;
	in->established_at = p->established_at;
	in->packets_in = p->pk_in;
	in->bytes_in = p->by_in;
	in->packets_out = p->pk_out;
	in->bytes_out = p->by_out;
	if (p->sess != NULL) {
		natt_session_get_stats(p->sess, &st);
		in->rtt = st.srtt;
		in->min_rtt = st.min_rtt;
		in->lost = st.data_lost;
		if (st.data_lost + st.data_packets_in + st.keepalives_in > 0)
			in->loss = (double)st.data_lost /
				   (double)(st.data_lost + st.data_packets_in + st.keepalives_in);
		if (st.path.remote.family != 0) {
			in->sock = st.path.sock;
			in->remote = st.path.remote;
		}
	}
	if (p->punch != NULL) {
		struct natt_punch_diag d;

		natt_punch_diag(p->punch, &d);
		in->paths_dead = d.paths_dead;
		in->switches = d.switches;
	}
}

void natt_node_peer_set_user(struct natt_node_peer *p, void *user)
{
	p->user = user;
}

void *natt_node_peer_user(const struct natt_node_peer *p)
{
	return p->user;
}

unsigned int natt_node_peer_diag(const struct natt_node_peer *p,
				 void (*fn)(void *ctx, const char *line), void *ctx)
{
	struct natt_punch_diag d;

	if (p->punch == NULL)
		return 0;
	natt_punch_diag(p->punch, &d);
	return natt_punch_diag_print(&d, fn, ctx);
}

int natt_node_connect(struct natt_node *n, const char *target, struct natt_node_peer **out)
{
	struct natt_node_peer *p;
	struct natt_name nm;

	*out = NULL;
	if (n->cfg.role != NATT_NODE_CLIENT || n->shutting_down)
		return NATT_ERR_INVALID;
	if (target == NULL || natt_name_set(&nm, target) != NATT_OK)
		return NATT_ERR_BAD_NAME;
	if (natt_node_alive(n) >= n->cfg.max_peers)
		return NATT_ERR_FULL;
	p = natt_node_peer_new(n, target);
	if (p == NULL)
		return NATT_ERR_NOMEM;
	p->known = true;
	if (natt_node_lookup_new(p) != NATT_OK) {
		natt_node_peer_bury(p);
		return NATT_ERR_NOMEM;
	}
	natt_node_attempt_start(p, natt_loop_now());
	natt_timer_set(p->timer, natt_loop_now());
	*out = p;
	return NATT_OK;
}

int natt_node_send(struct natt_node *n, struct natt_node_peer *p, const uint8_t *data, size_t len)
{
	struct natt_session_path path, dst;
	struct sockaddr_storage ss;
	struct natt_udp *u;
	uint8_t *buf;
	socklen_t sl;
	int rc;

	if (!p->up || p->sess == NULL || p->dead)
		return NATT_ERR_CLOSED;
	if (len == 0 || len + NATT_SESSION_DATA_OVERHEAD > n->cfg.udp.max_datagram)
		return NATT_ERR_INVALID;
	natt_session_path(p->sess, &path);
	u = natt_node_sock(n, p, path.sock);
	if (u == NULL) {
		n->st.drop_no_socket++;
		return NATT_ERR_CLOSED;
	}
	buf = natt_udp_reserve(u, len + NATT_SESSION_DATA_OVERHEAD);
	if (buf == NULL) {
		n->st.tx_full++;
		return NATT_ERR_FULL;
	}
	rc = natt_session_send_data(p->sess, natt_loop_now(), data, len, buf,
				    len + NATT_SESSION_DATA_OVERHEAD, &dst);
	if (rc < 0)
		return rc;
	sl = natt_addr_from_cand(&dst.remote, n->family, &ss);
	if (sl == 0 || natt_udp_commit(u, (size_t)rc, (struct sockaddr *)&ss, sl) != NATT_OK)
		return NATT_ERR_INVALID;
	n->st.tx_packets++;
	p->pk_out++;
	p->by_out += len;
	/* sending arms punch's "we talk, nothing comes back" check */
	if (p->punch != NULL && natt_punch_deadline(p->punch) < natt_timer_deadline(p->timer))
		natt_timer_set(p->timer, natt_punch_deadline(p->punch));
	return NATT_OK;
}

/* A peer waiting for its next attempt is closed: the application still
 * holds its handle, so it hears the final peer_down before it dies. */
static void tell_final(struct natt_node_peer *p, const char *reason)
{
	struct natt_node *n = p->node;
	struct natt_node_down d = {
		.reason = NATT_NODE_DOWN_CLOSED,
		.text = reason != NULL ? reason : "closed locally",
		.final = true,
		.retry_at = NATT_TIME_NEVER,
	};

	if (!p->known || n->cfg.cb.peer_down == NULL)
		return;
	p->in_down = true;
	n->cfg.cb.peer_down(n->cfg.cb.ctx, p, &d);
	p->in_down = false;
}

static void close_peer(struct natt_node_peer *p, natt_time_t now, uint16_t code, const char *reason)
{
	enum natt_session_state st = p->sess ? natt_session_state(p->sess) : NATT_SESSION_NEW;

	p->final = true;
	if (p->in_down || p->state == NATT_NODE_PEER_WAITING) {
		bool waiting = !p->in_down;

		p->state = NATT_NODE_PEER_GONE;
		if (waiting)
			tell_final(p, reason);
		if (waiting && (p->sess == NULL || natt_session_done(p->sess)))
			natt_node_peer_bury(p);
		natt_timer_set(p->timer, now);
		return;
	}
	if (st == NATT_SESSION_HANDSHAKE || st == NATT_SESSION_ESTABLISHED) {
		natt_session_close(p->sess, now, code, reason);
		p->state = NATT_NODE_PEER_CLOSING;
		natt_timer_set(p->timer, now);
		return;
	}
	if (st == NATT_SESSION_CLOSING) {
		p->state = NATT_NODE_PEER_CLOSING;
		return;
	}
	natt_node_attempt_end(p, now, NATT_NODE_DOWN_CLOSED,
			      reason != NULL ? reason : "closed locally");
}

int natt_node_close_peer(struct natt_node *n, struct natt_node_peer *p, const char *reason)
{
	(void)n;
	if (p->dead || (p->final && p->state == NATT_NODE_PEER_GONE) ||
	    p->state == NATT_NODE_PEER_CLOSING)
		return NATT_ERR_CLOSED;
	close_peer(p, natt_loop_now(), NATT_CLOSE_NO_ERROR, reason);
	return NATT_OK;
}

void natt_node_peers_close_all(struct natt_node *n, natt_time_t now, const char *reason)
{
	for (struct natt_node_peer *p = n->peers; p != NULL; p = p->next) {
		if (p->dead || p->state == NATT_NODE_PEER_CLOSING ||
		    (p->final && p->state == NATT_NODE_PEER_GONE))
			continue;
		if (!p->known) {
			p->final = true;
			p->state = NATT_NODE_PEER_GONE;
			if (p->sess != NULL &&
			    natt_session_state(p->sess) == NATT_SESSION_HANDSHAKE)
				natt_session_close(p->sess, now, NATT_CLOSE_SHUTDOWN, reason);
			else if (p->sess == NULL)
				natt_node_peer_bury(p);
			natt_timer_set(p->timer, now);
			continue;
		}
		close_peer(p, now, NATT_CLOSE_SHUTDOWN, reason);
	}
}
