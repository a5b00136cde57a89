/*
 * node_reset.c: the "no such session" reply, UNKNOWN_CID (PROTOCOL.md
 * 5.4), this transport's counterpart of QUIC's stateless reset (RFC 9000
 * 10.3).  A worker restarted after a crash has no sessions; without this
 * its peers would find out only at their idle timeout (doc/ARCHITECTURE.md
 * 6.2).
 *
 * Sending: nothing is ever sent in reply to a packet that did not
 * authenticate (a port scanner learns nothing), so only a trigger this node
 * can open earns an UNKNOWN_CID: a HANDSHAKE or PROBE on the public socket
 * whose non-zero connection ID matches no peer and whose outer seal opens
 * under the network key with its type's purpose.  DATA is sealed with
 * session keys, which a restarted node no longer has: it is dropped
 * silently.  The checks, cheapest first:
 *   - the type, and the size: the trigger is at least NATT_UNKNOWN_CID_LEN
 *     bytes (always true for HANDSHAKE and PROBE; kept so that the reply is
 *     never larger than its cause whatever the formats become);
 *   - the rate limiter has a token for the source (NATT_NODE_RESET_RATE)
 *     and in all (NATT_NODE_RESET_GLOBAL_RATE), peeked, not taken;
 *   - the seal opens: one AEAD open at most per packet, and a packet that
 *     does not open takes no token;
 *   - then the token is taken and the reply sent.
 * An UNKNOWN_CID is neither HANDSHAKE nor PROBE, so it never causes one:
 * two restarted nodes cannot ping-pong.  A peer notices a restart through
 * its path check: the path goes silent, and the PROBEs that check it carry
 * the old connection ID (punch.c).
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

/* The seal purpose of a packet type that may trigger a reply, or -1. */
static int trigger_purpose(uint8_t type)
{
	if (type == NATT_PT_HANDSHAKE)
		return NATT_SEAL_HANDSHAKE;
	if (type == NATT_PT_PROBE)
		return NATT_SEAL_PROBE;
	return -1;
}

/*
 * Whether the trigger earns a reply, cheapest check first; counts why not.
 * The limiter is only peeked before the seal is opened, so a flood costs at
 * most one AEAD open per packet and junk that does not open takes no token.
 */
static bool may_reply(struct natt_node *n, natt_time_t now, const struct natt_cand *to,
		      const struct natt_header *h, uint8_t *pkt, size_t len)
{
	int purpose = trigger_purpose(h->type);

	if (purpose < 0 || h->dcid == 0)
		return false; /* DATA, PROBE_REPLY, PROBE by scid: nothing we could open */
	if (len < NATT_UNKNOWN_CID_LEN) {
		n->st.reset_small++;
		return false;
	}
	if (n->reset_rl == NULL || !natt_ratelimit_peek(n->reset_rl, now, to)) {
		n->st.reset_limited++;
		return false;
	}
	if (natt_seal_open(n->cfg.seal, (enum natt_seal_purpose)purpose, pkt, h->len, len) < 0) {
		n->st.reset_unauth++;
		return false;
	}
	if (natt_ratelimit_check(n->reset_rl, now, to) != NATT_RL_PASS) {
		n->st.reset_limited++; /* not after a peek at the same instant */
		return false;
	}
	return true;
}

void natt_node_reset_reply(struct natt_node *n, natt_time_t now, const struct natt_cand *to,
			   const struct natt_header *trigger, uint8_t *pkt, size_t len)
{
	struct natt_header h = {.type = NATT_PT_UNKNOWN_CID, .dcid = trigger->dcid};
	uint8_t out[NATT_UNKNOWN_CID_LEN];
	char a[NATT_NODE_ADDR_STR];
	int rc;

	if (!may_reply(n, now, to, trigger, pkt, len))
		return;
	natt_node_random(n, h.salt, sizeof(h.salt));
	if (natt_header_encode(out, sizeof(out), &h) != NATT_UNKNOWN_CID_HDR_LEN)
		return;
	rc = natt_seal_seal(n->cfg.seal, NATT_SEAL_UNKNOWN_CID, out, NATT_UNKNOWN_CID_HDR_LEN, 0,
			    sizeof(out));
	if (rc != NATT_UNKNOWN_CID_LEN)
		return;
	if (natt_node_send_raw(n, NULL, 0, to, out, (size_t)rc) == NATT_OK)
		n->st.reset_sent++;
	natt_node_logf(n, 5, "no session %016llx: told %s", (unsigned long long)h.dcid,
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
