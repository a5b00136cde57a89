/*
 * punch.h: UDP hole punching for one peer session, sans-I/O.
 *
 * Given our candidates (host addresses, server-reflexive addresses from the
 * rendezvous and STUN) and the peer's (from RDV_LOOKUP_REPLY or
 * RDV_INTRODUCE), punch forms candidate pairs, probes them paced with
 * PROBE / PROBE_REPLY (doc/PROTOCOL.md 5.3, built with wire.h and sealed
 * with seal.h purpose NATT_SEAL_PROBE), selects one validated path that both
 * sides agree on, watches it, and finds a new one when it dies or the peer
 * moves.  Like ICE (RFC 8445) in spirit; the differences are below.
 *
 *   pairs       one per (local socket, peer address); socket 0 is the
 *               session's main socket, bound to every local address, so
 *               the local candidate of a pair is its host base (RFC 8445
 *               6.1.2.4 prunes srflx local candidates to their base).
 *               Priority: RFC 8445 6.1.2.3 from candidate priorities of
 *               5.1.2.1 (host 126 > prflx 110 > srflx 100 > relay 0), and
 *               host pairs on one subnet (IPv4 /24, IPv6 /64) above all:
 *               the LAN path wins.
 *   probing     one probe every cfg.pace (20 ms) across all pairs, highest
 *               priority first, triggered checks (a probe received on a
 *               pair) before ordinary ones; each pair retransmits with
 *               exponential backoff (200 ms doubling to 1.6 s).  Every
 *               probe carries a fresh random probe_id; a reply must echo
 *               an outstanding one and come from the address probed.
 *   replies     a PROBE_REPLY is exactly as large as the PROBE it answers
 *               (never larger: no amplification), carries `seen`, the
 *               address the probe came from, and goes back to it.
 *   selection   validated = we got a reply to our probe on the pair.  The
 *               controlling side (the client, which looked the peer up)
 *               waits cfg.grace (150 ms) after the first success for
 *               better pairs, then nominates the best validated pair by
 *               probing it with the NOMINATE flag; a reply to that probe
 *               makes it CONNECTED.  The controlled side selects a pair
 *               the peer nominated once it validated it itself, or, if no
 *               nomination came within 1 s of its first success, its own
 *               best (sessions are keyed by connection ID, so two sides
 *               using different paths still work).
 *   NAT type    inferred from the candidates, for both sides: a srflx
 *               (or prflx) address equal to a host candidate means no NAT;
 *               two observations of one socket's mapping from different
 *               destinations (the rendezvous and a second STUN server, or
 *               a peer's `seen`) that differ mean endpoint-dependent
 *               mapping (EDM); equal ones endpoint-independent (EIM); a
 *               single observation leaves it unknown (treated as EIM).
 *               IPv4 only (no NAT66 assumed); only observations within
 *               NATT_PUNCH_OBS_WINDOW of the newest srflx one count (a NAT
 *               that restarted, or a peer that moved, is no EDM NAT).  The peer
 *               sees the same evidence (the rendezvous passes our srflx
 *               addresses on), so both sides agree on who is "hard".
 *   birthday    EDM on one side only: the hard side asks the caller for
 *               cfg.bday_sockets extra sockets (indices 1..N) and probes
 *               the easy side's srflx from each, opening N mappings; the
 *               easy side probes random ports of the hard side's public
 *               address, at most cfg.bday_max_probes at one per
 *               cfg.bday_interval.  With N = 256 and 64512 possible ports,
 *               k probes find an open mapping with probability
 *               1 - (1 - 256/64512)^k: 95 % at k = 754, 99 % at k = 1159,
 *               99.97 % at the 2048 cap (7.5, 11.6 and 20.5 s at 100/s).
 *               EDM on both sides: NEEDS_RELAY (after cfg.lan_try if a LAN
 *               pair exists, which may still work).
 *   liveness    after selection the data channel keeps the path warm; the
 *               session reports authenticated packets with
 *               natt_punch_path_activity() and its own sending with
 *               natt_punch_path_sent().  Silence on the path for 1 s while
 *               we send, or for keepalive + 2 s when idle, starts a check:
 *               probes on the path every 300 ms; three unanswered and the
 *               path is dead.  Re-probing then tries the last path alone
 *               for 300 ms, then every pair again (and the birthday method
 *               if the NAT types call for it), and asks the caller to query
 *               the rendezvous again (natt_punch_want_rendezvous()), again
 *               after 2 s and doubling, until cfg.timeout.
 *   roaming     an authenticated packet from a new address (NAT rebinding,
 *               a roaming peer) makes punch probe that address; once it
 *               answers (anti-spoofing) the path moves there.  Connection
 *               IDs do not change.
 *
 * The caller owns the sockets: every datagram punch hands out names the
 * local socket index to send it from, and every datagram handed in names
 * the socket it arrived on.  Randomness (salts, probe IDs, birthday ports)
 * comes from the caller's callback; time comes in as `now`.  Nothing here
 * reads a clock, opens a socket or starts a thread.
 */
#ifndef NATT_PUNCH_H
#define NATT_PUNCH_H

#include <stdbool.h>

#include "natt.h"
#include "seal.h"
#include "wire.h"

/* ---- protocol numbers ---- */

/* Ta: interval between two ordinary probes across all pairs.  RFC 8445
 * 14.2 recommends 50 ms for media and allows down to 5 ms; 20 ms probes 16
 * pairs within about 300 ms (our lists have at most 8 candidates a side)
 * and costs 87 + 28 bytes every 20 ms (46 kbit/s), while a probe of the
 * best pair still leaves at once. */
#define NATT_PUNCH_PACE (20 * NATT_MSEC)
/* Per-pair retransmission: RFC 8489 6.2.1 starts at 500 ms for unknown
 * paths; pairs are checked in parallel and most paths are shorter, so we
 * start at 200 ms and double up to 1.6 s (the cap keeps a pair alive for
 * a NAT that opens late). */
#define NATT_PUNCH_RTO_INITIAL (200 * NATT_MSEC)
#define NATT_PUNCH_RTO_MAX     (1600 * NATT_MSEC)
#define NATT_PUNCH_PAIR_TRIES  9 /* the last at 9.4 s; FAILED 1.6 s later */
/* An address learned from a packet (a probe from an unannounced address,
 * an authenticated packet from a new one) gets fewer probes until it
 * answers: a replayed packet from a spoofed source makes us send at most
 * this many probes, each no larger than what it replayed, to that source
 * (the next authenticated packet from there arms the pair again). */
#define NATT_PUNCH_LEARNED_TRIES 3
/* After the first validated pair, keep probing better ones this long
 * (a LAN reply takes ~1 ms, a WAN one tens of ms). */
#define NATT_PUNCH_GRACE (150 * NATT_MSEC)
/* Controlled side: own selection if no nomination comes this long after
 * its first success. */
#define NATT_PUNCH_NOMINATE_WAIT (1 * NATT_SEC)
/* Give up (FAILED) this long after the start, without / with birthday. */
#define NATT_PUNCH_TIMEOUT	(10 * NATT_SEC)
#define NATT_PUNCH_BDAY_TIMEOUT (25 * NATT_SEC)
/* Both sides EDM with a LAN pair: try it this long before NEEDS_RELAY. */
#define NATT_PUNCH_LAN_TRY (2 * NATT_SEC)
/* Birthday method: hard side sockets, easy side probes and rates.  The
 * hard side's probes all go to one peer, so they may go faster (200/s)
 * than the easy side's, which hit arbitrary ports of an address (100/s). */
#define NATT_PUNCH_BDAY_SOCKETS	      256
#define NATT_PUNCH_BDAY_MAX_PROBES    2048
#define NATT_PUNCH_BDAY_INTERVAL      (10 * NATT_MSEC) /* 100 probes/s */
#define NATT_PUNCH_BDAY_OPEN_INTERVAL (5 * NATT_MSEC)  /* 200 openers/s */
/* Hard side: probe from every socket again this often, so that mappings
 * lost to loss get another chance and none times out (30 s conntrack). */
#define NATT_PUNCH_BDAY_REOPEN (5 * NATT_SEC)
#define NATT_PUNCH_PORT_MIN    1024 /* random ports: the NAT's range */
/* Liveness (after selection). */
#define NATT_PUNCH_KEEPALIVE	  (15 * NATT_SEC) /* datachan's NATT_DC_KEEPALIVE */
#define NATT_PUNCH_ACTIVE_SILENCE (1 * NATT_SEC)  /* we send, nothing comes back */
#define NATT_PUNCH_IDLE_SLACK	  (2 * NATT_SEC)  /* idle: keepalive + this */
#define NATT_PUNCH_CHECK_INTERVAL (300 * NATT_MSEC)
#define NATT_PUNCH_CHECK_TRIES	  3
#define NATT_PUNCH_REPROBE_LAST	  (300 * NATT_MSEC) /* last path alone */
#define NATT_PUNCH_RDV_RETRY	  (2 * NATT_SEC)    /* re-query, doubling */
/* The NAT type is judged from mapping observations taken within this of
 * the newest srflx one (rendezvous, STUN): older ones are stale (a NAT that
 * restarted and gave a new port must not look EDM), much later prflx ones
 * belong to a move (a roaming peer is not an EDM NAT).  One rendezvous
 * answer and the STUN query before it are well within it. */
#define NATT_PUNCH_OBS_WINDOW (2 * NATT_SEC)
/* Bounds. */
#define NATT_PUNCH_MAX_LOCAL   16 /* host, srflx, prflx */
#define NATT_PUNCH_MAX_REMOTE  24 /* from the rendezvous, and learned */
#define NATT_PUNCH_MAX_PAIRS   64
#define NATT_PUNCH_MAX_REPLIES 16 /* replies waiting to be sent */

enum natt_punch_role {
	NATT_PUNCH_CONTROLLING = 0, /* the client: it nominates */
	NATT_PUNCH_CONTROLLED = 1,  /* the server: it follows */
};

enum natt_punch_state {
	NATT_PUNCH_IDLE = 0,	/* created, not started */
	NATT_PUNCH_PROBING,	/* looking for a path (also after a dead one) */
	NATT_PUNCH_CONNECTED,	/* a validated path is selected and alive */
	NATT_PUNCH_FAILED,	/* gave up: natt_punch_diag() says why */
	NATT_PUNCH_NEEDS_RELAY, /* both NATs endpoint-dependent: no direct path */
};

/* A side's NAT as inferred from its candidates. */
enum natt_nat_type {
	NATT_NAT_UNKNOWN = 0, /* fewer than two observations of the mapping */
	NATT_NAT_NONE,	      /* public address: srflx equals a host candidate */
	NATT_NAT_EIM,	      /* endpoint-independent mapping ("cone") */
	NATT_NAT_EDM,	      /* endpoint-dependent mapping ("symmetric") */
};

/* Why punching failed (or needs a relay). */
enum natt_punch_fail {
	NATT_PUNCH_FAIL_NONE = 0,
	NATT_PUNCH_FAIL_TIMEOUT,       /* every pair timed out */
	NATT_PUNCH_FAIL_BOTH_EDM,      /* both NATs endpoint-dependent: relay needed */
	NATT_PUNCH_FAIL_RENDEZVOUS,    /* no answer from the rendezvous, or no such peer */
	NATT_PUNCH_FAIL_AUTH,	       /* timed out, and probes failed authentication */
	NATT_PUNCH_FAIL_NO_CANDIDATES, /* no pair could be formed */
};

/* Birthday role of this side. */
enum natt_punch_bday {
	NATT_PUNCH_BDAY_OFF = 0,
	NATT_PUNCH_BDAY_HARD, /* our NAT is EDM: many sockets */
	NATT_PUNCH_BDAY_EASY, /* the peer's is: random ports */
};

/* One line of text for the caller's log; verb as OpenVPN's (3 = normal
 * events, 4 = details, 7 = per-packet debugging). */
typedef void natt_punch_log_fn(void *ctx, int verb, const char *line);

struct natt_punch_config {
	natt_time_t pace;		/* Ta (default NATT_PUNCH_PACE) */
	natt_time_t rto_initial;	/* per pair (default NATT_PUNCH_RTO_INITIAL) */
	natt_time_t rto_max;		/* per pair (default NATT_PUNCH_RTO_MAX) */
	unsigned int pair_tries;	/* probes before a pair FAILED (default 9) */
	natt_time_t grace;		/* default NATT_PUNCH_GRACE */
	natt_time_t timeout;		/* FAILED after this (default NATT_PUNCH_TIMEOUT) */
	natt_time_t bday_timeout;	/* with birthday (default NATT_PUNCH_BDAY_TIMEOUT) */
	natt_time_t lan_try;		/* default NATT_PUNCH_LAN_TRY */
	unsigned int bday_sockets;	/* 0..NATT_PUNCH_BDAY_SOCKETS; 0 = off (default 256) */
	unsigned int bday_max_probes;	/* easy side (default 2048) */
	natt_time_t bday_interval;	/* easy side (default 10 ms) */
	natt_time_t bday_open_interval; /* hard side (default 5 ms) */
	natt_time_t keepalive;		/* the peer's idle keepalive (default 15 s) */
	size_t probe_body;		/* PROBE body size, NATT_PROBE_MIN_BODY..
					 * NATT_PROBE_MAX_BODY (default minimum) */
	const char *peer_name;		/* for log lines and diag ("" if NULL) */
	natt_punch_log_fn *log;		/* NULL: no log */
	void *log_ctx;			/* handed to log */
};

/* Fills cfg with the defaults above (log NULL, peer_name NULL). */
void natt_punch_config_default(struct natt_punch_config *cfg);

/* The selected (or last) path. */
struct natt_punch_path {
	unsigned int sock;	 /* local socket to send from */
	struct natt_cand local;	 /* our address on it: prflx from the peer's `seen`
				  * when known, else the host base */
	struct natt_cand remote; /* the peer's address to send to */
	natt_time_t rtt;	 /* of the validating probe */
	bool lan;		 /* host pair on one subnet */
	bool bday;		 /* found by the birthday method */
};

/* One pair as the diagnosis shows it. */
enum natt_punch_pair_state {
	NATT_PUNCH_PAIR_WAITING = 0, /* not probed yet */
	NATT_PUNCH_PAIR_PROBING,     /* probed, no answer yet */
	NATT_PUNCH_PAIR_OK,	     /* validated */
	NATT_PUNCH_PAIR_FAILED,	     /* no answer after pair_tries probes */
};

struct natt_punch_diag_pair {
	unsigned int sock;		  /* local socket (> 0: a birthday socket) */
	struct natt_cand local;		  /* host base, or what the peer saw (prflx) */
	struct natt_cand remote;	  /* the peer's address, kind as announced or prflx */
	enum natt_punch_pair_state state; /* where its checks stand */
	unsigned int probes, replies;	  /* sent on it, received on it */
	natt_time_t rtt;		  /* of the last validating probe */
	bool lan;			  /* host pair on one subnet */
	bool nominated;			  /* we nominated it, or the peer did */
	bool selected;			  /* it is the live path */
};

#define NATT_PUNCH_DIAG_PAIRS 32 /* pairs shown (the best ones) */

/* What punch tried, saw and concluded: natt_punch_diag(). */
struct natt_punch_diag {
	enum natt_punch_state state;
	enum natt_punch_fail reason; /* FAILED, NEEDS_RELAY: why; else NONE */
	enum natt_punch_role role;
	const char *peer_name;	       /* cfg.peer_name */
	natt_cid_t cid, peer_cid;      /* ours; the peer's (0 while unknown) */
	enum natt_nat_type local_nat;  /* ours, as inferred */
	enum natt_nat_type remote_nat; /* the peer's, as inferred */
	const char *local_nat_why;     /* the evidence, static text */
	const char *remote_nat_why;
	unsigned int nlocal, nremote;			/* candidates below */
	struct natt_cand local[NATT_PUNCH_MAX_LOCAL];	/* as added, then prflx learned */
	struct natt_cand remote[NATT_PUNCH_MAX_REMOTE]; /* as added, then prflx learned */
	unsigned int npairs; /* pairs formed; the best NATT_PUNCH_DIAG_PAIRS below */
	unsigned int nshown; /* entries of pair[], best priority first */
	struct natt_punch_diag_pair pair[NATT_PUNCH_DIAG_PAIRS];
	enum natt_punch_bday bday;	    /* the role this side had (or has) */
	unsigned int bday_sockets;	    /* hard: sockets asked for */
	unsigned int bday_probes;	    /* easy: random probes sent; hard: openers sent */
	bool bday_hit;			    /* the method found the path */
	uint64_t probes_sent, replies_sent; /* PROBEs (birthday ones too), PROBE_REPLYs */
	uint64_t probes_recv, replies_recv; /* valid ones received */
	uint64_t auth_failures;		    /* datagrams that did not open with our key */
	uint64_t malformed;		    /* header or body did not decode */
	uint64_t wrong_cid;		    /* not for this session */
	uint64_t unmatched;		    /* replies to no outstanding probe */
	uint64_t replies_dropped;	    /* reply queue full */
	unsigned int rdv_failures;	    /* natt_punch_rendezvous_failed() calls */
	const char *rdv_reason;		    /* the last one's reason, or NULL */
	unsigned int paths_dead, switches;  /* paths lost, moves to another path */
	natt_time_t started_at;		    /* the last natt_punch_start() */
	natt_time_t connected_at;	    /* last selection; NATT_TIME_NEVER if not now */
	bool have_path;			    /* path below is set */
	struct natt_punch_path path;	    /* selected, or the last (dead) one */
};

struct natt_punch;

/*
 * Creates a session's punch state.  cfg may be NULL (defaults).  seal is
 * borrowed (must outlive it; needs the probe purpose); rnd draws salts,
 * probe IDs and random ports; cid is our connection ID (never 0).
 * Returns NATT_OK, NATT_ERR_INVALID (NULL seal or rnd, cid 0, a config
 * value out of range: pace or rto 0, rto_max < rto_initial, pair_tries 0,
 * bday_sockets above NATT_PUNCH_BDAY_SOCKETS, probe_body out of range),
 * NATT_ERR_NOMEM.
 */
int natt_punch_new(struct natt_punch **out, const struct natt_punch_config *cfg,
		   struct natt_seal *seal, natt_random_fn rnd, void *rnd_ctx, natt_cid_t cid,
		   enum natt_punch_role role);

/* Frees p and its birthday state (NULL is fine); the seal is the caller's. */
void natt_punch_free(struct natt_punch *p);

/*
 * Sets the peer's connection ID (the server learns it from RDV_INTRODUCE;
 * the client learns it from the first authenticated PROBE or PROBE_REPLY
 * addressed to its cid).  Returns NATT_OK, NATT_ERR_INVALID (0), or
 * NATT_ERR_BAD_VALUE (a different one is already known).
 */
int natt_punch_set_peer_cid(struct natt_punch *p, natt_cid_t cid);

/* The peer's connection ID, 0 while unknown. */
natt_cid_t natt_punch_peer_cid(const struct natt_punch *p);

/*
 * Adds one of our candidates, observed at now (host: a local address of
 * socket 0; srflx: a mapping of socket 0 observed by the rendezvous or a
 * STUN server).  Add one per observation, duplicates included: they are
 * the NAT-type evidence (an address seen twice already only has its time
 * refreshed).  When the rendezvous is queried again, query STUN again too:
 * observations older than NATT_PUNCH_OBS_WINDOW before the newest are
 * ignored, but fresh and stale ones mixed inside it would look like EDM.
 * Returns NATT_OK, NATT_ERR_INVALID (kind not host or srflx, malformed),
 * NATT_ERR_FULL (NATT_PUNCH_MAX_LOCAL).
 */
int natt_punch_add_local(struct natt_punch *p, natt_time_t now, const struct natt_cand *c);

/*
 * Adds a candidate of the peer received at now (host, srflx or relay as the
 * rendezvous sent them, the rendezvous-observed srflx included; again every
 * observation, duplicates included).  While probing, new pairs are probed
 * at once and the strategy follows the NAT types; a FAILED session starts
 * over with them.  Returns NATT_OK, NATT_ERR_INVALID (kind none or
 * malformed), NATT_ERR_FULL (NATT_PUNCH_MAX_REMOTE).
 */
int natt_punch_add_remote(struct natt_punch *p, natt_time_t now, const struct natt_cand *c);

/*
 * Starts (or, from any state, restarts) probing: infers both NAT types,
 * forms pairs, picks the strategy.  Returns NATT_OK (the state is then
 * PROBING, NEEDS_RELAY, or FAILED with NO_CANDIDATES when the peer has no
 * candidate we can pair with).
 */
int natt_punch_start(struct natt_punch *p, natt_time_t now);

/*
 * Handles a datagram that arrived on local socket sock from `from`
 * (kind ignored) and whose first byte is PROBE or PROBE_REPLY.  A valid
 * PROBE queues a reply (sent by natt_punch_send()) and a triggered check
 * of its pair; a valid PROBE_REPLY validates the pair it answers.
 * Returns NATT_OK, or why it was dropped: NATT_ERR_INVALID (from not an
 * address), NATT_ERR_BAD_TYPE (not a PROBE or PROBE_REPLY), an error of
 * natt_header_decode() (malformed), NATT_ERR_BAD_VALUE (dcid neither ours
 * nor, in a PROBE, 0; or scid not the peer's known cid), NATT_ERR_AUTH
 * (did not open with our network key), an error of natt_probe_decode(),
 * NATT_ERR_REPLAY (a reply to no outstanding probe, or from another address
 * than the one probed), NATT_ERR_FULL (no room to queue the reply),
 * NATT_ERR_CRYPTO.
 */
int natt_punch_recv(struct natt_punch *p, natt_time_t now, unsigned int sock,
		    const struct natt_cand *from, const uint8_t *pkt, size_t len);

/*
 * Writes the next datagram due at now into out and sets *dst (where to)
 * and *sock (which local socket).  Call until it returns 0.  Replies go
 * first, then at most one paced probe per cfg.pace, and birthday probes at
 * their own rate.  Returns the length (> 0), 0 when nothing is due, or
 * NATT_ERR_BUFFER (cap below the datagram: it stays queued),
 * NATT_ERR_CRYPTO.
 */
int natt_punch_send(struct natt_punch *p, natt_time_t now, uint8_t *out, size_t cap,
		    struct natt_cand *dst, unsigned int *sock);

/* The next instant punch wants natt_punch_on_timeout() and
 * natt_punch_send() called (NATT_TIME_NEVER if none). */
natt_time_t natt_punch_deadline(const struct natt_punch *p);

/* Runs the timers due at now: nomination, give-up, path checks, dead
 * path, re-probing phases. */
void natt_punch_on_timeout(struct natt_punch *p, natt_time_t now);

enum natt_punch_state natt_punch_state(const struct natt_punch *p);

/* The selected path (while CONNECTED), or the last one while re-probing
 * after it died.  Returns false if there never was one. */
bool natt_punch_path(const struct natt_punch *p, struct natt_punch_path *path);

/* Whether the selected path was declared dead and no new one is selected
 * yet (the session keeps its connection IDs meanwhile). */
bool natt_punch_path_dead(const struct natt_punch *p);

/*
 * The session received an authenticated packet (DATA, HANDSHAKE) on socket
 * sock from `from` at now.  From the selected path: it is alive.  From
 * another address: a rebinding or roaming peer; punch probes that address
 * and moves the path there once it answers.  Returns NATT_OK, or
 * NATT_ERR_INVALID (from not an address).
 */
int natt_punch_path_activity(struct natt_punch *p, natt_time_t now, unsigned int sock,
			     const struct natt_cand *from);

/* The session sent a packet on the selected path at now (used to notice a
 * path that went silent while we talk). */
void natt_punch_path_sent(struct natt_punch *p, natt_time_t now);

/*
 * Extra sockets the caller must keep open now, indices 1..N (birthday
 * method, hard side); 0 when none.  The selected path's socket, which may
 * be one of them, must be kept for the session's life whatever this says.
 */
unsigned int natt_punch_sockets_wanted(const struct natt_punch *p);

/* True once for each time punch wants the rendezvous queried again (the
 * client looks the peer up again, the server refreshes its registration
 * at once); new candidates come back through natt_punch_add_remote(). */
bool natt_punch_want_rendezvous(struct natt_punch *p);

/*
 * The rendezvous query for this session failed (no answer, peer not
 * registered, rate limited; reason: static text for the diagnosis, e.g.
 * natt_rdv_event.reason).  A session that has nothing to probe fails with
 * NATT_PUNCH_FAIL_RENDEZVOUS; otherwise it is noted for the diagnosis (and
 * a re-probe that then times out fails with that reason).
 */
void natt_punch_rendezvous_failed(struct natt_punch *p, natt_time_t now, const char *reason);

/* The NAT types inferred so far. */
enum natt_nat_type natt_punch_local_nat(const struct natt_punch *p);
enum natt_nat_type natt_punch_remote_nat(const struct natt_punch *p);

/* Fills d with the diagnosis (a snapshot). */
void natt_punch_diag(const struct natt_punch *p, struct natt_punch_diag *d);

/* Writes the diagnosis as text, one line per call of fn (no newline);
 * returns the number of lines. */
unsigned int natt_punch_diag_print(const struct natt_punch_diag *d,
				   void (*fn)(void *ctx, const char *line), void *ctx);

/* Short names for logs and diag. */
const char *natt_punch_state_name(enum natt_punch_state s);
const char *natt_nat_type_name(enum natt_nat_type t);
const char *natt_punch_fail_name(enum natt_punch_fail f);

#endif
