/*
 * rdv.h: the rendezvous protocol (doc/PROTOCOL.md section 6), sans-I/O.
 *
 * Server side (rdv_server.c), the core of tools/natt-rendezvous: a bounded
 * table of registrations per network, lookups that answer the client and
 * introduce it to the registered server at the same moment, replay guards,
 * per-source rate limits, statistics, and STUN Binding answers on the same
 * port.  Client side (rdv_client.c), used by the plugin: the "server role"
 * registers a name every NATT_RDV_REFRESH (below the 30 s conntrack UDP
 * timeout) and hands on introductions; the "client role" looks a name up.
 *
 * Messages are encoded only through wire.h (natt_header_*, natt_rdv_*) and
 * sealed with seal.h, purpose NATT_SEAL_RENDEZVOUS.  Time comes in as
 * `now` (monotonic, microseconds) for timers and `now_wall_ms` (Unix epoch,
 * milliseconds) for the timestamps of the replay guard; randomness (salts,
 * txids, jitter) comes from a caller-supplied callback.  Nothing here reads
 * a clock, opens a socket or starts a thread.
 *
 * Amplification: every answer is at most as large as the request it
 * answers, and a lookup's answer plus introduction at most twice its size
 * (PROTOCOL.md 6.4); the server checks this on every datagram it builds and
 * sends nothing rather than break it.
 */
#ifndef NATT_RDV_H
#define NATT_RDV_H

#include <stdbool.h>

#include "natt.h"
#include "ratelimit.h"
#include "seal.h"
#include "wire.h"

/* ---- shared protocol constants ---- */

#define NATT_RDV_SKEW_MS	    60000	    /* PROTOCOL.md 3.3: timestamps within +-60 s */
#define NATT_RDV_CONNTRACK_UDP	    (30 * NATT_SEC) /* nf_conntrack_udp_timeout default */
#define NATT_RDV_REFRESH	    (20 * NATT_SEC) /* PROTOCOL.md 1: register every 20 s */
#define NATT_RDV_REFRESH_JITTER_PCT 10		    /* +-10 %, so that servers do not herd */
#define NATT_RDV_LIFETIME_S	    60		    /* asked: three refreshes */
#define NATT_RDV_MAX_LIFETIME_S	    300		    /* granted at most */
#define NATT_RDV_RTO_INITIAL	    (500 * NATT_MSEC) /* first retry (RFC 8489 6.2.1) */
#define NATT_RDV_RETRY_MAX	    (30 * NATT_SEC)   /* backoff cap (rendezvous down) */
#define NATT_RDV_UNREACHABLE_AFTER  4 /* unanswered REGISTERs before the error state */
#define NATT_RDV_LOOKUP_TRIES	    4 /* LOOKUPs sent before giving up (7.5 s) */
#define NATT_RDV_MAX_HOST_CANDS	    (NATT_MAX_CANDS - 1) /* a reply adds the srflx */
#define NATT_RDV_MAX_OUT	    2			 /* datagrams one request can cause */

/* ---- sealing and opening one message (rdv.c) ---- */

/*
 * Builds a sealed rendezvous packet: header (network_id, salt), m's body
 * padded to at least min_body, tag.  Returns the packet length, or
 * NATT_ERR_BUFFER, NATT_ERR_INVALID, or an error of natt_rdv_encode() or
 * natt_seal_seal().
 */
int natt_rdv_pack(uint8_t *out, size_t cap, struct natt_seal *seal,
		  const uint8_t network_id[NATT_NETWORK_ID_LEN], const uint8_t salt[NATT_SALT_LEN],
		  const struct natt_rdv_msg *m, size_t min_body);

/*
 * Opens a rendezvous packet whose header h was decoded from pkt (and whose
 * network_id selected seal): pkt is decrypted in place, then the body is
 * decoded into m.  Returns NATT_OK, NATT_ERR_AUTH, NATT_ERR_BAD_TYPE (not a
 * rendezvous type), an error of natt_seal_open() or of natt_rdv_decode().
 */
int natt_rdv_unpack(struct natt_rdv_msg *m, struct natt_seal *seal, const struct natt_header *h,
		    uint8_t *pkt, size_t len);

/* Whether two candidates are the same transport address (kind ignored). */
bool natt_rdv_same_addr(const struct natt_cand *a, const struct natt_cand *b);

/* ================= server side (rdv_server.c) ================= */

#define NATT_RDV_DEFAULT_MAX_REGS 100000
#define NATT_RDV_MAX_NETWORKS	  64
#define NATT_RDV_NETWORK_NAME_MAX 63

/*
 * Replay guard sizing when salt_capacity is 0 ("auto").  The guard must
 * hold every message accepted in one period of 2*skew (120 s): a server
 * refreshes at most every 18 s (20 s - 10 % jitter), 6.7 REGISTERs a
 * period, 8 with a retransmission now and then; lookups get a fixed
 * allowance on top (1000/s sustained).  24 bytes per salt (replay.h): 22 MB
 * for the default 100000 registrations.  A guard that fills up refuses
 * messages (drop reason "replay-table-full") until its period ends.
 */
#define NATT_RDV_SALTS_PER_REG 8
#define NATT_RDV_SALTS_LOOKUPS 120000

struct natt_rdv_server_config {
	size_t max_registrations;	   /* all networks together (default 100000) */
	uint16_t max_lifetime_s;	   /* longest lifetime granted, 1..65535 (default 300) */
	uint64_t skew_ms;		   /* accepted timestamp skew (default 60000) */
	size_t salt_capacity;		   /* replay guard: messages accepted per 2*skew;
					    * 0 (default): natt_rdv_salt_capacity() */
	struct natt_ratelimit_config rate; /* per source and global limits */
};

/* The replay guard capacity "auto" gives for max_registrations. */
size_t natt_rdv_salt_capacity(size_t max_registrations);

/* Why the server dropped a datagram (index into stats.drop). */
enum natt_rdv_drop {
	NATT_RDV_DROP_NONE = 0,	       /* not dropped */
	NATT_RDV_DROP_NOT_OURS,	       /* first byte neither STUN nor a NATT long header */
	NATT_RDV_DROP_VERSION,	       /* NATT long header of another protocol version */
	NATT_RDV_DROP_MALFORMED,       /* header or body does not decode */
	NATT_RDV_DROP_UNEXPECTED,      /* a type the server does not take (answers, probes) */
	NATT_RDV_DROP_UNKNOWN_NETWORK, /* network_id not served */
	NATT_RDV_DROP_AUTH,	       /* seal did not open: wrong key or forged */
	NATT_RDV_DROP_REPLAY,	       /* salt already seen */
	NATT_RDV_DROP_STALE,	       /* timestamp outside +-skew */
	NATT_RDV_DROP_SALTS_FULL,      /* replay guard full: refused, not accepted unguarded */
	NATT_RDV_DROP_SEQ,	       /* REGISTER seq not above the name's last one */
	NATT_RDV_DROP_RATE_LIMITED,    /* over the source's limit (silently) */
	NATT_RDV_DROP_GLOBAL_LIMIT,    /* over the global limit */
	NATT_RDV_DROP_STUN,	       /* STUN that gets no answer (malformed, not a request) */
	NATT_RDV_DROP_SIZE,	       /* an answer would have been larger than allowed */
	NATT_RDV_DROP_INTERNAL,	       /* encoding or crypto failed on our side */
	NATT_RDV_DROP_REASONS
};

struct natt_rdv_server_stats {
	uint64_t registrations;	    /* REGISTERs accepted (new or refresh) */
	uint64_t reg_new;	    /* of which created a registration */
	uint64_t reg_removed;	    /* lifetime 0 */
	uint64_t reg_expired;	    /* not refreshed in time */
	uint64_t reg_table_full;    /* refused with TABLE_FULL */
	uint64_t lookups;	    /* LOOKUPs accepted */
	uint64_t lookups_found;	    /* of which found their target */
	uint64_t introductions;	    /* INTRODUCEs sent */
	uint64_t rate_limited_told; /* RATE_LIMITED answers sent */
	uint64_t stun_answers;	    /* Binding responses sent */
	uint64_t drop[NATT_RDV_DROP_REASONS];
};

/* A datagram to send, and where to. */
struct natt_rdv_datagram {
	struct natt_cand to;
	unsigned int via; /* local socket to send it from: the request's, or for an
			   * INTRODUCE the one its target registered through */
	size_t len;
	uint8_t buf[NATT_MAX_RENDEZVOUS];
};

/* What one call of natt_rdv_server_input() produced. */
struct natt_rdv_output {
	unsigned int count; /* 0..NATT_RDV_MAX_OUT datagrams in dgram[] */
	struct natt_rdv_datagram dgram[NATT_RDV_MAX_OUT];
	enum natt_rdv_drop drop; /* why nothing (or less) was sent; NONE if served */
	int network;		 /* index of the message's network, -1 if none */
};

/* What happened to a registration, or a lookup: for the daemon's log. */
enum natt_rdv_srv_event_type {
	NATT_RDV_SRV_REGISTERED = 1, /* a name registered (it was not) */
	NATT_RDV_SRV_MOVED,	     /* a refresh from another address or socket */
	NATT_RDV_SRV_UNREGISTERED,   /* a REGISTER with lifetime 0 removed it */
	NATT_RDV_SRV_EXPIRED,	     /* not refreshed before its lifetime ended */
	NATT_RDV_SRV_LOOKUP,	     /* a lookup was answered */
};

/*
 * One event.  name: the registered name, or the lookup's target.  addr: the
 * registration's address (its srflx), or the looking-up client's.  For a
 * LOOKUP, client is the client's name ("" when anonymous), found whether
 * the target is registered, introduced whether the INTRODUCE went out.
 * Pointers are valid during the callback only.
 */
struct natt_rdv_srv_event {
	enum natt_rdv_srv_event_type type;
	int network; /* index, natt_rdv_server_network_name() */
	const char *name;
	struct natt_cand addr;
	uint16_t lifetime_s; /* REGISTERED, MOVED: granted */
	unsigned int ncand;  /* host candidates registered or sent */
	const char *client;  /* LOOKUP */
	bool found, introduced;
};

typedef void natt_rdv_srv_event_fn(void *ctx, const struct natt_rdv_srv_event *ev);

struct natt_rdv_server;

/* Fills cfg with the defaults above and natt_ratelimit_config_default(). */
void natt_rdv_server_config_default(struct natt_rdv_server_config *cfg);

/*
 * Creates a server serving no network yet.  rnd is called for every salt
 * and txid and for the table's hash key.  Returns NATT_OK, NATT_ERR_INVALID
 * (max_registrations 0, max_lifetime_s 0, NULL rnd, a salt_capacity the
 * guard refuses, or a rate limit natt_ratelimit_new() refuses),
 * NATT_ERR_NOMEM.
 */
int natt_rdv_server_new(struct natt_rdv_server **out, const struct natt_rdv_server_config *cfg,
			natt_random_fn rnd, void *rnd_ctx);

/* Frees srv and its registrations (not the seals). */
void natt_rdv_server_free(struct natt_rdv_server *srv);

/*
 * Serves the network of seal (its network_id) under name, for logs.  seal
 * is borrowed: it must outlive srv and may be a rendezvous-only seal.
 * Returns the network's index (>= 0), or NATT_ERR_INVALID (name empty or
 * longer than NATT_RDV_NETWORK_NAME_MAX), NATT_ERR_EXISTS (network_id
 * already served), NATT_ERR_FULL (NATT_RDV_MAX_NETWORKS reached).
 */
int natt_rdv_server_add_network(struct natt_rdv_server *srv, const char *name,
				struct natt_seal *seal);

/* The name given to network index i, or NULL. */
const char *natt_rdv_server_network_name(const struct natt_rdv_server *srv, int i);

/*
 * Handles one datagram from `from` (kind ignored; family 4 or 6, port not
 * 0).  STUN Binding requests get their answer; REGISTER and LOOKUP theirs,
 * and a LOOKUP that finds its target also an INTRODUCE to the target.
 * Expired registrations are removed first.  On return out->count datagrams
 * are to be sent, and out->drop names the reason when the datagram was not
 * served.  Returns NATT_OK when it was served, and also for a rate-limited
 * datagram (out->drop RATE_LIMITED or GLOBAL_LIMIT; the first one of an
 * episode from an authenticated source gets a RATE_LIMITED answer).
 * Otherwise it returns why nothing was sent: NATT_ERR_INVALID (bad
 * arguments), NATT_ERR_BAD_TYPE (not ours; a type the server does not
 * take; a STUN message that is not a Binding request), a decoding error
 * of natt_header_decode(), natt_rdv_decode() or natt_stun_decode()
 * (malformed; NATT_ERR_BAD_VERSION for another protocol version),
 * NATT_ERR_WRONG_PURPOSE (network not served), NATT_ERR_AUTH,
 * NATT_ERR_REPLAY, NATT_ERR_STALE, NATT_ERR_FULL (replay guard full),
 * NATT_ERR_TOO_OLD (REGISTER seq not above the last one), NATT_ERR_BUFFER
 * (an answer would break the size invariant), NATT_ERR_NOMEM,
 * NATT_ERR_CRYPTO.
 */
int natt_rdv_server_input(struct natt_rdv_server *srv, natt_time_t now, uint64_t now_wall_ms,
			  const struct natt_cand *from, const uint8_t *pkt, size_t len,
			  struct natt_rdv_output *out);

/*
 * natt_rdv_server_input() for a caller with several sockets: via names the
 * local socket the datagram arrived on, and comes back in the via of each
 * datagram to send.  A registration remembers its via, so the INTRODUCE
 * leaves from the address the target's NAT mapping was made for (a
 * stateful NAT drops it from any other).  natt_rdv_server_input() is this
 * with via 0.
 */
int natt_rdv_server_input_via(struct natt_rdv_server *srv, natt_time_t now, uint64_t now_wall_ms,
			      const struct natt_cand *from, unsigned int via, const uint8_t *pkt,
			      size_t len, struct natt_rdv_output *out);

/* Calls fn for every event (NULL: none), from input and expiry.  Refreshes
 * from the same address are not events. */
void natt_rdv_server_set_events(struct natt_rdv_server *srv, natt_rdv_srv_event_fn *fn, void *ctx);

/* Removes the registrations whose lifetime ended at or before now. */
void natt_rdv_server_expire(struct natt_rdv_server *srv, natt_time_t now);

/* When the next registration expires (NATT_TIME_NEVER when none). */
natt_time_t natt_rdv_server_next_timeout(const struct natt_rdv_server *srv);

/* Registrations held, all networks. */
size_t natt_rdv_server_count(const struct natt_rdv_server *srv);

const struct natt_rdv_server_stats *natt_rdv_server_stats(const struct natt_rdv_server *srv);

/*
 * True once when the table became full (a registration was refused) since
 * the last call; the daemon logs one line then.  The episode ends when the
 * table falls below 90 % of its limit, after which a new refusal reports
 * again.
 */
bool natt_rdv_server_table_full_news(struct natt_rdv_server *srv);

/* Bytes held by the server: fixed tables (registration index, replay
 * guard, rate limiter) plus the registrations. */
size_t natt_rdv_server_memory(const struct natt_rdv_server *srv);

/* Short name of a drop reason ("auth", "replay", ...), never NULL. */
const char *natt_rdv_drop_name(enum natt_rdv_drop d);

/* ================= client side (rdv_client.c) ================= */

struct natt_rdv_client_config {
	struct natt_seal *seal;		/* the network's seal, borrowed */
	struct natt_cand server;	/* the rendezvous' address */
	const char *name;		/* our name: registered (server role), sent in lookups;
					 * NULL or "" for an anonymous client-only peer */
	uint16_t lifetime_s;		/* lifetime asked (default 60) */
	natt_time_t refresh;		/* register interval (default 20 s): must stay, jitter
					 * included, below NATT_RDV_CONNTRACK_UDP */
	natt_time_t rto_initial;	/* first retransmission timeout (default 500 ms) */
	natt_time_t retry_max;		/* backoff cap (default 30 s) */
	unsigned int unreachable_after; /* unanswered REGISTERs before the error (default 4) */
	unsigned int lookup_tries;	/* LOOKUPs sent before TIMEOUT (default 4) */
	uint64_t skew_ms;		/* accepted timestamp skew (default 60000) */
};

/* State of the registration (server role). */
enum natt_rdv_reg_state {
	NATT_RDV_REG_OFF = 0, /* not registering */
	NATT_RDV_REG_TRYING,  /* first REGISTER sent, no answer yet */
	NATT_RDV_REG_OK,      /* registered; refreshing */
	NATT_RDV_REG_FAILING, /* error state (reason set); retrying with capped backoff */
};

enum natt_rdv_event_type {
	NATT_RDV_EV_REGISTERED = 1, /* registered, or the observed address changed */
	NATT_RDV_EV_REG_FAILED,	    /* entered the error state, or its reason changed */
	NATT_RDV_EV_INTRODUCED,	    /* a client is about to connect to us */
	NATT_RDV_EV_LOOKUP_DONE,    /* the lookup has its result */
};

enum natt_rdv_result {
	NATT_RDV_RES_OK = 0,	   /* REGISTERED / FOUND */
	NATT_RDV_RES_NOT_FOUND,	   /* the name is not registered */
	NATT_RDV_RES_TABLE_FULL,   /* the rendezvous refused the registration */
	NATT_RDV_RES_RATE_LIMITED, /* the rendezvous says we send too much */
	NATT_RDV_RES_NO_ANSWER,	   /* nothing came back (down, blocked, wrong key, clock) */
	NATT_RDV_RES_LAPSED,	   /* registration expired: refreshes went unanswered */
};

/*
 * An event handed to the caller.  Which fields are set depends on type:
 * REGISTERED: observed (our srflx), lifetime_s.  REG_FAILED: result,
 * attempts, reason.  INTRODUCED: cid, name (the client's, may be empty),
 * observed (the client's srflx), cands (its host candidates).  LOOKUP_DONE:
 * result, cid, name (the target), observed (our srflx, when answered),
 * cands (FOUND: the server's host candidates and its srflx), attempts,
 * reason.
 */
struct natt_rdv_event {
	enum natt_rdv_event_type type;
	enum natt_rdv_result result;
	natt_cid_t cid;
	struct natt_name name;
	struct natt_cand observed;
	struct natt_cand_list cands;
	uint16_t lifetime_s;
	unsigned int attempts; /* datagrams sent for this round */
	const char *reason;    /* one line for the log, static */
};

typedef void natt_rdv_event_fn(void *ctx, const struct natt_rdv_event *ev);

struct natt_rdv_client;

/* Fills cfg's timing fields with the defaults above (seal, server, name
 * are left as they are). */
void natt_rdv_client_config_default(struct natt_rdv_client_config *cfg);

/*
 * Creates a client for one rendezvous.  on_event is called from
 * natt_rdv_client_input() and natt_rdv_client_poll().  Returns NATT_OK,
 * NATT_ERR_INVALID (NULL seal/rnd/on_event, server not an address, a
 * refresh whose jitter can reach NATT_RDV_CONNTRACK_UDP, lifetime not
 * longer than the refresh, zero rto/tries), NATT_ERR_BAD_NAME,
 * NATT_ERR_NOMEM.
 */
int natt_rdv_client_new(struct natt_rdv_client **out, const struct natt_rdv_client_config *cfg,
			natt_random_fn rnd, void *rnd_ctx, natt_rdv_event_fn *on_event,
			void *ev_ctx);

void natt_rdv_client_free(struct natt_rdv_client *cl);

/*
 * Starts (or restarts with new candidates: a REGISTER goes out at the next
 * poll) the server role with up to NATT_RDV_MAX_HOST_CANDS host candidates.
 * Returns NATT_OK, NATT_ERR_INVALID (no name configured, too many or
 * malformed candidates).
 */
int natt_rdv_client_register(struct natt_rdv_client *cl, natt_time_t now,
			     const struct natt_cand_list *host);

/* Stops the server role; one REGISTER with lifetime 0 goes out at the next
 * poll (best effort, not retransmitted). */
void natt_rdv_client_unregister(struct natt_rdv_client *cl, natt_time_t now);

/*
 * Starts a lookup of target for a session whose connection ID is cid, with
 * our host candidates (sent on to the target in the introduction).  A
 * lookup in progress is abandoned (no event).  Returns NATT_OK,
 * NATT_ERR_BAD_NAME, NATT_ERR_INVALID (cid 0, malformed candidates).
 */
int natt_rdv_client_lookup(struct natt_rdv_client *cl, natt_time_t now, const char *target,
			   natt_cid_t cid, const struct natt_cand_list *host);

/*
 * Handles a datagram from `from` that may be for us: a REGISTER_ACK or
 * LOOKUP_REPLY answering our request, an INTRODUCE (server role).  Only
 * packets from the configured rendezvous address, sealed with our network
 * key, fresh and not replayed are accepted.  Returns NATT_OK (accepted,
 * events emitted), or NATT_ERR_INVALID (not from the rendezvous),
 * NATT_ERR_BAD_TYPE (not a message the client takes), NATT_ERR_WRONG_PURPOSE
 * (another network), NATT_ERR_AUTH, NATT_ERR_REPLAY, NATT_ERR_STALE,
 * NATT_ERR_FULL, NATT_ERR_BAD_VALUE (answers nothing outstanding; an
 * INTRODUCE while not registering), or a decoding error.
 */
int natt_rdv_client_input(struct natt_rdv_client *cl, natt_time_t now, uint64_t now_wall_ms,
			  const struct natt_cand *from, const uint8_t *pkt, size_t len);

/*
 * Runs the timers due at now and writes at most one datagram for the
 * rendezvous (cfg.server) to out.  Call it until it returns 0.  Returns the
 * datagram length (> 0), 0 when nothing is due, or NATT_ERR_BUFFER,
 * NATT_ERR_CRYPTO.
 */
int natt_rdv_client_poll(struct natt_rdv_client *cl, natt_time_t now, uint64_t now_wall_ms,
			 uint8_t *out, size_t cap);

/* The next instant poll() wants to be called (NATT_TIME_NEVER if none). */
natt_time_t natt_rdv_client_next_timeout(const struct natt_rdv_client *cl);

/* The registration state; *reason (if not NULL) gets the error state's
 * reason or NULL. */
enum natt_rdv_reg_state natt_rdv_client_reg_state(const struct natt_rdv_client *cl,
						  const char **reason);

/* Our server-reflexive address as last seen by the rendezvous; false if
 * none is known yet. */
bool natt_rdv_client_observed(const struct natt_rdv_client *cl, struct natt_cand *observed);

/* Short names for logs. */
const char *natt_rdv_result_name(enum natt_rdv_result r);
const char *natt_rdv_reg_state_name(enum natt_rdv_reg_state s);

#endif
