/*
 * node_int.h: what the files of the node module share (not for other
 * modules):
 *   node.c       lifecycle, sockets, demultiplexing, sending, timers, the
 *                deferred frees, logging, status and names
 *   node_rdv.c   host candidates, STUN, registrations, lookups and
 *                introductions
 *   node_peer.c  one peer: attempts, punch and session glue, birthday
 *                sockets, up and down
 *   node_app.c   the application's calls on peers: connect, send, close,
 *                info, diagnosis
 *   node_reset.c the UNKNOWN_CID reply to packets for no session, and its
 *                receipt
 */
#ifndef NATT_NODE_INT_H
#define NATT_NODE_INT_H

#include "addr.h"
#include "node.h"
#include "stun.h"

/* A birthday socket of a peer (punch's index idx >= 1). */
struct node_xsock {
	struct natt_udp *udp; /* NULL: not open */
	struct natt_node_peer *peer;
	unsigned int idx;
};

/* A HANDSHAKE packet that came before the peer's session existed. */
struct node_early {
	unsigned int sock;
	struct natt_cand from;
	size_t len;
	uint8_t buf[NATT_MAX_HANDSHAKE];
};

/* A client peer's lookup at rendezvous idx. */
struct node_lookup {
	struct natt_node_peer *peer;
	unsigned int idx;
	struct natt_rdv_client *cl;
	bool pending; /* sent, no result yet */
};

struct natt_node_peer {
	struct natt_node *node;
	struct natt_node_peer *next;
	enum natt_node_peer_state state;
	char name[NATT_MAX_NAME + 1];
	bool known;	     /* the application holds the handle */
	bool up;	     /* the current attempt came up */
	bool final;	     /* no further attempt (closed, or reconnect off) */
	bool dead;	     /* to be freed by the reaper */
	bool in_down;	     /* inside the application's peer_down */
	bool retry_now;	     /* the next attempt at once (the peer restarted) */
	natt_cid_t cid;	     /* of the current attempt */
	natt_cid_t peer_cid; /* server role: the client's (from the introduction) */
	struct natt_punch *punch;
	struct natt_session *sess;
	struct natt_timer *timer;
	struct node_lookup lk[NATT_NODE_MAX_RDV];
	bool stun_wait; /* client: lookups wait for STUN round stun_round */
	uint64_t stun_round;
	bool found; /* a lookup of this round found the server */
	const char *rdv_reason;
	struct node_xsock *xs; /* birthday sockets, xs[i] has index i + 1 */
	unsigned int nxs;      /* entries of xs (allocated) */
	struct node_early *early;
	unsigned int nearly;
	natt_time_t attempt_at, validated_at, established_at;
	natt_time_t retry_at, retry_delay;
	unsigned int attempts, ups;
	uint64_t pk_in, by_in, pk_out, by_out; /* application datagrams, all attempts */
	struct natt_punch_path path;	       /* the path as punch last selected it */
	bool have_path;
	void *user;
};

/* An extra STUN server. */
struct node_stun {
	struct natt_cand server;
	uint8_t txid[NATT_STUN_TXID_LEN];
	unsigned int tries; /* requests sent in this round */
	natt_time_t next_at;
	bool busy; /* a round waits for it */
	bool have; /* mapped is valid */
	struct natt_cand mapped;
	natt_time_t at;
};

/* A rendezvous server, and (server role) our registration with it. */
struct node_rdv {
	struct natt_node *node;
	unsigned int idx;
	struct natt_cand server;
	struct natt_rdv_client *reg;
	enum natt_rdv_reg_state told; /* last state reported */
	const char *told_reason;
	bool have_obs;
	struct natt_cand obs;	 /* last observed address reported */
	unsigned int unanswered; /* REGISTERs sent since the last answer */
};

struct natt_node {
	struct natt_node_config cfg;
	char name[NATT_MAX_NAME + 1];
	struct natt_loop *loop;
	struct natt_udp *udp; /* the public socket, index 0 */
	int family;	      /* its address family */
	struct natt_cand local;
	struct natt_timer *timer; /* STUN and registrations */
	struct natt_timer *reap;  /* deferred frees */
	struct node_rdv rdv[NATT_NODE_MAX_RDV];
	unsigned int nrdv;
	struct node_stun stun[NATT_NODE_MAX_STUN];
	unsigned int nstun;
	natt_time_t rdv_now;		  /* `now` of the rendezvous call running */
	uint64_t stun_started, stun_done; /* rounds */
	natt_time_t stun_refresh_at;
	natt_time_t stun_retry;	    /* server: the delay after a round with no answer */
	struct natt_cand_list host; /* our host addresses */
	struct natt_cand_list reg_cands;
	bool registered_once; /* registrations started */
	struct natt_node_peer *peers;
	struct natt_node_stats st;
	bool shutting_down;
	struct natt_udp **closing; /* sockets to close outside their callbacks */
	unsigned int nclosing, closing_cap;
	struct natt_ratelimit *reset_rl; /* UNKNOWN_CID replies (node_reset.c) */
};

/* ---- node.c ---- */

/* One log line at verb (formatted only if verb <= cfg.verb). */
void natt_node_logf(const struct natt_node *n, int verb, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* The same, prefixed with the peer's name and connection ID. */
void natt_node_plogf(const struct natt_node_peer *p, int verb, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* Random bytes from cfg.rnd. */
void natt_node_random(struct natt_node *n, uint8_t *buf, size_t len);
/* Sends len bytes to dst from socket sock of p (sock 0 or p NULL: the
 * public socket).  Returns NATT_OK or a negative error (counted). */
int natt_node_send_raw(struct natt_node *n, struct natt_node_peer *p, unsigned int sock,
		       const struct natt_cand *dst, const uint8_t *buf, size_t len);
/* The udp socket of index sock of p, or NULL. */
struct natt_udp *natt_node_sock(struct natt_node *n, struct natt_node_peer *p, unsigned int sock);
/* "a.b.c.d:port" into buf (NATT_NODE_ADDR_STR bytes). */
#define NATT_NODE_ADDR_STR 64
const char *natt_node_fmt(const struct natt_cand *c, char *buf);
/* Closes u at the next reaping (never inside its own callback). */
void natt_node_close_later(struct natt_node *n, struct natt_udp *u);
/* Asks the reaper to run in the next loop iteration. */
void natt_node_reap_soon(struct natt_node *n);
/* Datagrams that arrived on socket sock of p (a birthday socket). */
void natt_node_input(struct natt_node *n, struct natt_node_peer *p, unsigned int sock,
		     const struct natt_dgram *d, size_t count, natt_time_t now);

/* ---- node_rdv.c ---- */

/* Fills n->host from the interfaces (or the bound address). */
void natt_node_gather(struct natt_node *n);
/* Creates the registration clients and starts STUN (and, server role, the
 * registrations once STUN is done).  Returns NATT_OK or an error. */
int natt_node_rdv_start(struct natt_node *n, natt_time_t now, char *err, size_t errlen);
void natt_node_rdv_stop(struct natt_node *n, natt_time_t now);
void natt_node_rdv_free(struct natt_node *n);
/* Starts a STUN round unless one is running; returns the round to wait for. */
uint64_t natt_node_stun_request(struct natt_node *n, natt_time_t now);
/* A STUN or rendezvous datagram from `from` on the public socket. */
void natt_node_stun_input(struct natt_node *n, natt_time_t now, const struct natt_cand *from,
			  const uint8_t *pkt, size_t len);
void natt_node_rdv_input(struct natt_node *n, natt_time_t now, const struct natt_cand *from,
			 const uint8_t *pkt, size_t len);
/* The node timer: STUN retransmissions and refresh, registrations. */
void natt_node_rdv_timer(struct natt_node *n, natt_time_t now);
/* Our candidates for a rendezvous message: host addresses and STUN's
 * srflx results. */
void natt_node_cands(const struct natt_node *n, struct natt_cand_list *l);
/* Adds our candidates to a punch (host, STUN srflx, and every
 * rendezvous-observed srflx, or obs if not NULL). */
void natt_node_add_locals(struct natt_node *n, struct natt_punch *punch, natt_time_t now,
			  const struct natt_cand *obs);
/* Server role: register again at once (punch wants the rendezvous). */
void natt_node_reregister(struct natt_node *n, natt_time_t now);
/* Client peer: creates its lookup clients; starts a lookup round. */
int natt_node_lookup_new(struct natt_node_peer *p);
void natt_node_lookup_free(struct natt_node_peer *p);
void natt_node_lookup_start(struct natt_node_peer *p, natt_time_t now);
/* Polls the peer's lookup clients (sends what is due); their deadline. */
void natt_node_lookup_poll(struct natt_node_peer *p, natt_time_t now);
natt_time_t natt_node_lookup_deadline(const struct natt_node_peer *p);

/* ---- node_reset.c ---- */

/* The reply's rate limiter.  Returns NATT_OK, NATT_ERR_NOMEM. */
int natt_node_reset_new(struct natt_node *n);
void natt_node_reset_free(struct natt_node *n);
/* A peer packet pkt of len bytes from `to` (header h) that no peer takes:
 * answers UNKNOWN_CID if it is a HANDSHAKE or PROBE naming a non-zero
 * connection ID, the rate limits allow and its seal opens.  pkt is opened
 * in place (the caller drops it either way). */
void natt_node_reset_reply(struct natt_node *n, natt_time_t now, const struct natt_cand *to,
			   const struct natt_header *h, uint8_t *pkt, size_t len);
/* An UNKNOWN_CID on socket sock: ends the attempt of the peer it is for and
 * returns that peer (to be serviced), or NULL (dropped, counted). */
struct natt_node_peer *natt_node_reset_input(struct natt_node *n, natt_time_t now,
					     unsigned int sock, const struct natt_cand *from,
					     uint8_t *pkt, size_t len);

/* ---- node_peer.c ---- */

/* Peers alive (not waiting for the reaper). */
unsigned int natt_node_alive(const struct natt_node *n);
/* A new peer named name (copied), linked into n, with its timer; NULL when
 * out of memory. */
struct natt_node_peer *natt_node_peer_new(struct natt_node *n, const char *name);
/* Marks p for the reaper: unlinked and freed outside any callback. */
void natt_node_peer_bury(struct natt_node_peer *p);
/* Client role: a new attempt (new connection ID, STUN, lookups). */
void natt_node_attempt_start(struct natt_node_peer *p, natt_time_t now);
/* The attempt is over (failed, or its session ended): peer_down, then a
 * retry (client, reconnect on) or the end of p. */
void natt_node_attempt_end(struct natt_node_peer *p, natt_time_t now,
			   enum natt_node_down_reason why, const char *text);

/* The peer whose connection ID is cid, or NULL; by the peer's ID (server
 * role, dcid-0 probes) with by_peer_cid. */
struct natt_node_peer *natt_node_find(struct natt_node *n, natt_cid_t cid, bool by_peer_cid);
/* A datagram of the peer's (PROBE, PROBE_REPLY, HANDSHAKE, DATA). */
void natt_node_peer_input(struct natt_node_peer *p, natt_time_t now, unsigned int sock,
			  const struct natt_cand *from, uint8_t *pkt, size_t len);
/* Runs the peer's timers, sends what is due, reacts to state changes and
 * re-arms its timer. */
void natt_node_peer_service(struct natt_node_peer *p, natt_time_t now);
/* Server role: an introduction from rendezvous idx. */
void natt_node_peer_introduced(struct natt_node *n, unsigned int idx, natt_time_t now,
			       const struct natt_rdv_event *ev);
/* Client role: a lookup finished. */
void natt_node_peer_lookup_done(struct natt_node_peer *p, unsigned int idx, natt_time_t now,
				const struct natt_rdv_event *ev);
/* STUN round `round` is over: peers waiting for it go on. */
void natt_node_peers_stun_done(struct natt_node *n, natt_time_t now);
/* Frees a peer at once (reaper, node_free). */
void natt_node_peer_free(struct natt_node_peer *p);
/* Closes every peer (shutdown). */
void natt_node_peers_close_all(struct natt_node *n, natt_time_t now, const char *reason);
/* Closes the birthday sockets no longer needed. */
void natt_node_xsocks_trim(struct natt_node_peer *p, unsigned int keep_upto);

#endif
