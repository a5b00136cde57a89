/*
 * node_reset.c: the "no such session" reply, UNKNOWN_CID (PROTOCOL.md
 * 5.4), this transport's counterpart of QUIC's stateless reset (RFC 9000
 * 10.3).  A worker restarted after a crash has no sessions; without this
 * its peers would find out only at their idle timeout (doc/ARCHITECTURE.md
 * 6.2).
 *
 * Sending: a HANDSHAKE or DATA packet on the public socket whose connection
 * ID matches no peer gets one UNKNOWN_CID naming that ID, sealed under its
 * own purpose key, if
 *   - the trigger is at least NATT_UNKNOWN_CID_LEN bytes long: the reply is
 *     never larger than what caused it (no amplification; a 34-byte DATA
 *     keepalive gets nothing, the next OpenVPN packet does);
 *   - its source is within NATT_NODE_RESET_RATE and all sources together
 *     within NATT_NODE_RESET_GLOBAL_RATE (ratelimit.h): a flood of junk
 *     with random IDs costs at most that many seals per second.
 * An UNKNOWN_CID is neither HANDSHAKE nor DATA, so it never causes one:
 * two restarted nodes cannot ping-pong.
 *
 * Receiving: the peer whose session sends to the connection ID named, and
 * only if the packet came in on the session's current path (socket and
 * address), ends its attempt at once; a client then looks the server up
 * again without waiting.  The checks run cheapest first (a table walk, a
 * compare) and the seal is opened last, so junk costs no crypto.
 */
#include <string.h>

#include "node_int.h"
#include "ratelimit.h"
#include "rdv.h"
#include "seal.h"

#define RESET_REASON "peer has no such session (it restarted?)"

int natt_node_reset_new(struct natt_node *n)
{
	struct natt_ratelimit_config rc = {
		.rate = NATT_NODE_RESET_RATE,
		.burst = NATT_NODE_RESET_RATE,
		.slots = NATT_NODE_RESET_SLOTS,
		.global_rate = NATT_NODE_RESET_GLOBAL_RATE,
		.global_burst = NATT_NODE_RESET_GLOBAL_RATE,
	};

	return natt_ratelimit_new(&n->reset_rl, &rc);
}

void natt_node_reset_free(struct natt_node *n)
{
	natt_ratelimit_free(n->reset_rl);
	n->reset_rl = NULL;
}

/* Whether the reply may go out (size, then the limits); counts why not. */
static bool may_reply(struct natt_node *n, natt_time_t now, const struct natt_cand *to,
		      size_t trigger_len)
{
	if (trigger_len < NATT_UNKNOWN_CID_LEN) {
		n->st.reset_small++;
		return false;
	}
	if (n->reset_rl == NULL || natt_ratelimit_check(n->reset_rl, now, to) != NATT_RL_PASS) {
		n->st.reset_limited++;
		return false;
	}
	return true;
}

void natt_node_reset_reply(struct natt_node *n, natt_time_t now, const struct natt_cand *to,
			   natt_cid_t cid, size_t trigger_len)
{
	struct natt_header h = {.type = NATT_PT_UNKNOWN_CID, .dcid = cid};
	uint8_t pkt[NATT_UNKNOWN_CID_LEN];
	char a[NATT_NODE_ADDR_STR];
	int len;

	if (!may_reply(n, now, to, trigger_len))
		return;
	natt_node_random(n, h.salt, sizeof(h.salt));
	if (natt_header_encode(pkt, sizeof(pkt), &h) != NATT_UNKNOWN_CID_HDR_LEN)
		return;
	len = natt_seal_seal(n->cfg.seal, NATT_SEAL_UNKNOWN_CID, pkt, NATT_UNKNOWN_CID_HDR_LEN, 0,
			     sizeof(pkt));
	if (len != NATT_UNKNOWN_CID_LEN)
		return;
	if (natt_node_send_raw(n, NULL, 0, to, pkt, (size_t)len) == NATT_OK)
		n->st.reset_sent++;
	natt_node_logf(n, 5, "no session %016llx: told %s", (unsigned long long)cid,
		       natt_node_fmt(to, a));
}

/* The peer whose live session sends to cid (our peer's connection ID). */
static struct natt_node_peer *find_by_sess_peer_cid(struct natt_node *n, natt_cid_t cid)
{
	for (struct natt_node_peer *p = n->peers; p != NULL; p = p->next) {
		enum natt_session_state st;

		if (p->dead || p->sess == NULL)
			continue;
		st = natt_session_state(p->sess);
		if ((st == NATT_SESSION_HANDSHAKE || st == NATT_SESSION_ESTABLISHED) &&
		    natt_session_peer_cid(p->sess) == cid)
			return p;
	}
	return NULL;
}

static bool on_path(struct natt_node_peer *p, unsigned int sock, const struct natt_cand *from)
{
	struct natt_session_path sp;

	natt_session_path(p->sess, &sp);
	return sp.sock == sock && natt_rdv_same_addr(&sp.remote, from);
}

struct natt_node_peer *natt_node_reset_input(struct natt_node *n, natt_time_t now,
					     unsigned int sock, const struct natt_cand *from,
					     uint8_t *pkt, size_t len)
{
	struct natt_node_peer *p;
	struct natt_header h;
	char a[NATT_NODE_ADDR_STR];

	if (natt_header_decode(&h, pkt, len) != NATT_OK) {
		n->st.drop_malformed++;
		return NULL;
	}
	p = find_by_sess_peer_cid(n, h.dcid);
	if (p == NULL) {
		n->st.reset_rx_no_session++;
		return NULL;
	}
	if (!on_path(p, sock, from)) {
		n->st.reset_rx_off_path++;
		natt_node_plogf(p, 4, "UNKNOWN_CID from %s/%u, not the session's path: ignored",
				natt_node_fmt(from, a), sock);
		return NULL;
	}
	if (natt_seal_open(n->cfg.seal, NATT_SEAL_UNKNOWN_CID, pkt, h.len, len) != 0) {
		n->st.reset_rx_bad_seal++;
		return NULL;
	}
	n->st.reset_rx_ended++;
	p->retry_now = p->up; /* it was working: the server is back, go at once */
	natt_node_attempt_end(p, now, NATT_NODE_DOWN_PEER_CLOSED, RESET_REASON);
	return p;
}
