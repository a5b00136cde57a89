/*
 * node.h: the runtime that puts the sans-I/O core to work (ARCHITECTURE.md
 * 6.1).  One node owns one natt_loop's worth of I/O for one deployment:
 *
 *   socket      one public UDP socket (index 0) carries everything: STUN,
 *               rendezvous, probes, handshakes, data.  During the birthday
 *               method a peer's punch asks for extra sockets (indices
 *               1..N of that peer); they are closed once punching is over,
 *               except the one the selected path uses.
 *   rendezvous  one client per configured rendezvous.  Server role: our
 *               name is registered with each, with our host candidates
 *               (every local interface address but loopback and down ones)
 *               and the server-reflexive addresses STUN gave, and every
 *               introduction opens a peer.  Client role: natt_node_connect()
 *               looks a name up with each rendezvous.
 *   STUN        Binding requests to the extra STUN servers give a second
 *               observation of our mapping, so that punch can tell an
 *               endpoint-dependent NAT (punch.h "NAT type"); the results
 *               go to the rendezvous as srflx candidates so that the peer
 *               sees the same evidence.  A client asks again before every
 *               lookup; a server every NATT_NODE_STUN_REFRESH and whenever
 *               the rendezvous reports a new address.
 *   peers       one per remote peer: a punch (punch.h) and, once punch has
 *               a path, a session (session.h), found by our connection ID
 *               (the dcid of HANDSHAKE, DATA, PROBE_REPLY and PROBE; a
 *               PROBE with dcid 0, sent by a client that does not know the
 *               server's ID yet, by its scid).
 *   timers      every deadline comes from the cores: one natt_timer per
 *               peer at min(punch, session, retry), one for the node at
 *               min(rendezvous clients, STUN).
 *
 * The application sees peers: up (with the path type and addresses), down
 * (with a reason), datagrams from them; it sends datagrams to them, reads
 * their statistics, and gets one log line per event through a callback,
 * at OpenVPN's verb levels (1 errors, 3 normal events, 4 details, 7
 * per-packet).  natt-probe and the OpenVPN plugin are two such
 * applications.
 *
 * I/O: this is the only part of the transport besides loop* that reads a
 * clock (natt_loop_now; the wall clock for rendezvous timestamps), opens
 * sockets and draws randomness (OpenSSL RAND_bytes unless the caller gives
 * a natt_random_fn).  Everything runs on the loop's thread; callbacks are
 * called from it and may call natt_node_send(), natt_node_connect() and
 * natt_node_close_peer(), never natt_node_free().  Names are not resolved
 * here: the caller passes addresses.
 */
#ifndef NATT_NODE_H
#define NATT_NODE_H

#include <stdbool.h>
#include <sys/socket.h>

#include "loop.h"
#include "natt.h"
#include "punch.h"
#include "rdv.h"
#include "seal.h"
#include "session.h"
#include "tls.h"
#include "wire.h"

#define NATT_NODE_MAX_RDV  4 /* rendezvous servers */
#define NATT_NODE_MAX_STUN 4 /* extra STUN servers */

/* STUN client timing.  RFC 8489 6.2.1 starts at 500 ms and doubles, up to
 * 7 requests; a lookup waits for the answers, so we send 3 requests 500 ms
 * apart and give up 500 ms after the last: a STUN server that is down
 * delays a lookup by 1.5 s, which then goes out without its observation. */
#define NATT_NODE_STUN_RTO   (500 * NATT_MSEC)
#define NATT_NODE_STUN_TRIES 3
/* Server role: STUN again this often (the registration's refresh interval,
 * so the srflx candidates registered are never older than the mapping
 * the rendezvous sees by more than one refresh). */
#define NATT_NODE_STUN_REFRESH (20 * NATT_SEC)
/* ... and sooner while a STUN server does not answer: after 2 s, doubling up
 * to the refresh interval (a server that started before its STUN server
 * would otherwise register without the second observation for 20 s). */
#define NATT_NODE_STUN_RETRY (2 * NATT_SEC)
/* Client role, reconnect on: the next attempt after a failed or ended one
 * waits this long, doubling up to cfg.retry_max. */
#define NATT_NODE_RETRY_INITIAL (1 * NATT_SEC)
#define NATT_NODE_RETRY_MAX	(30 * NATT_SEC)
/* HANDSHAKE packets kept for a peer whose punch has not selected a path
 * yet (the client's first flight can overtake the server's last probe
 * reply); fed to the session when it starts. */
#define NATT_NODE_EARLY_PACKETS 4
/* UNKNOWN_CID replies (PROTOCOL.md 5.4): per source address (an IPv4
 * address or IPv6 /64) and in all, per second; sources tracked. */
#define NATT_NODE_RESET_RATE	    1
#define NATT_NODE_RESET_GLOBAL_RATE 100
#define NATT_NODE_RESET_SLOTS	    1024
/* Peers held at most (server role: introductions beyond it are refused
 * with a log line). */
#define NATT_NODE_MAX_PEERS 1024
/* Largest application datagram by default: an OpenVPN packet of a 1500-byte
 * tun MTU fits, and a DATA packet then fits the default receive buffer. */
#define NATT_NODE_MAX_PAYLOAD 2014

enum natt_node_role {
	NATT_NODE_CLIENT = 0, /* connects to named servers (natt_node_connect) */
	NATT_NODE_SERVER = 1, /* registers its name, accepts introduced clients */
};

/* How a peer is reached. */
enum natt_node_path_type {
	NATT_NODE_PATH_NONE = 0, /* no path (yet) */
	NATT_NODE_PATH_LAN,	 /* host candidates on one subnet */
	NATT_NODE_PATH_DIRECT,	 /* through the NATs, hole-punched */
};

enum natt_node_peer_state {
	NATT_NODE_PEER_RESOLVING = 0, /* client: STUN, then the lookup */
	NATT_NODE_PEER_PUNCHING,      /* looking for a path */
	NATT_NODE_PEER_HANDSHAKE,     /* TLS over the reliable stream */
	NATT_NODE_PEER_UP,	      /* data flows */
	NATT_NODE_PEER_CLOSING,	      /* an orderly close is under way */
	NATT_NODE_PEER_WAITING,	      /* client: down, next attempt at retry_at */
	NATT_NODE_PEER_GONE,	      /* ended; freed soon */
};

/* Why a peer went down (or an attempt failed). */
enum natt_node_down_reason {
	NATT_NODE_DOWN_RENDEZVOUS = 1, /* no rendezvous answered, or the name is unknown */
	NATT_NODE_DOWN_NO_PATH,	       /* punch failed: every pair timed out, ... */
	NATT_NODE_DOWN_NEEDS_RELAY,    /* both NATs endpoint-dependent */
	NATT_NODE_DOWN_HANDSHAKE,      /* the session failed before it was up */
	NATT_NODE_DOWN_PEER_CLOSED,    /* the peer closed the session */
	NATT_NODE_DOWN_CLOSED,	       /* natt_node_close_peer() or shutdown */
	NATT_NODE_DOWN_TIMEOUT,	       /* nothing heard from the peer for the idle timeout */
	NATT_NODE_DOWN_FAILED,	       /* the session failed once up (protocol, TLS, ...) */
};

struct natt_node_peer;
struct natt_node;

/* A peer's state and counters (natt_node_peer_info): a snapshot. */
struct natt_node_peer_info {
	enum natt_node_role role; /* ours: CLIENT means we looked the peer up */
	enum natt_node_peer_state state;
	const char *name;	       /* the server's name (client role); the client's name
					* (server role), or when it sent none its
					* certificate's CN once up; valid while p lives */
	const char *cert_name;	       /* the peer certificate's CN ("" before TLS) */
	enum natt_node_path_type path; /* NONE until punch selected a path */
	bool bday;		       /* the path was found by the birthday method */
	unsigned int sock;	       /* local socket of the path (0: the public one) */
	struct natt_cand local;	       /* our address on the path as the peer sees it */
	struct natt_cand remote;       /* the peer's address */
	natt_cid_t cid, peer_cid;      /* ours (never 0), the peer's (0 while unknown) */
	enum natt_nat_type local_nat;  /* as punch inferred them */
	enum natt_nat_type remote_nat;
	unsigned int attempts;		 /* client: attempts started; server: 1 */
	unsigned int ups;		 /* times it came up */
	natt_time_t attempt_at;		 /* when the current attempt started */
	natt_time_t validated_at;	 /* punch selected the path; NATT_TIME_NEVER before */
	natt_time_t established_at;	 /* session ESTABLISHED; NATT_TIME_NEVER before */
	natt_time_t rtt, min_rtt;	 /* the stream's smoothed and minimum RTT (0: none) */
	uint64_t packets_in, bytes_in;	 /* application datagrams delivered */
	uint64_t packets_out, bytes_out; /* application datagrams sent */
	uint64_t lost;			 /* data packets inferred lost (counter gaps) */
	double loss;			 /* lost / (lost + packets received), 0..1 */
	uint64_t paths_dead, switches;	 /* paths lost, moves to another path */
};

/* What peer_down reports. */
struct natt_node_down {
	enum natt_node_down_reason reason;
	const char *text;     /* one line: the cause in words */
	bool was_up;	      /* the peer had been up in this attempt */
	bool final;	      /* no further attempt: the handle dies after the callback */
	natt_time_t retry_at; /* !final: when the next attempt starts */
};

/* A rendezvous' registration state (server role), for rendezvous_state. */
struct natt_node_rdv_info {
	unsigned int index;	       /* into cfg.rdv */
	struct natt_cand server;       /* its address */
	enum natt_rdv_reg_state state; /* OFF, TRYING, OK, FAILING */
	const char *reason;	       /* FAILING: why; else NULL */
	bool have_observed;
	struct natt_cand observed; /* our srflx address as it sees it */
};

struct natt_node_callbacks {
	/* A peer's session is established: data may flow.  info is a
	 * snapshot of natt_node_peer_info(). */
	void (*peer_up)(void *ctx, struct natt_node_peer *p,
			const struct natt_node_peer_info *info);
	/* A peer went down, or an attempt to reach it failed.  Called for
	 * every peer the application knows: client peers (from
	 * natt_node_connect) and server peers that came up.  Server peers that
	 * failed before coming up are only logged.  With final set the handle
	 * is invalid once this returns. */
	void (*peer_down)(void *ctx, struct natt_node_peer *p, const struct natt_node_down *d);
	/* One application datagram from p (valid during the call only). */
	void (*datagram)(void *ctx, struct natt_node_peer *p, const uint8_t *data, size_t len);
	/* Server role: a registration changed state (registered, failing). */
	void (*rendezvous)(void *ctx, const struct natt_node_rdv_info *info);
	/* One log line, no newline; verb as OpenVPN's. */
	void (*log)(void *ctx, int verb, const char *line);
	/* Server role, optional (NULL: such datagrams are dropped and counted
	 * in drop_unknown): a raw OpenVPN datagram (first byte 0x08..0x5f,
	 * doc/PROTOCOL.md 2.3) that reached the public socket from `from`
	 * (valid during the call only).  Answer with natt_node_send_legacy(). */
	void (*legacy)(void *ctx, const struct natt_cand *from, const uint8_t *data, size_t len);
	void *ctx; /* handed to every callback */
};

struct natt_node_config {
	enum natt_node_role role;
	const char *name;	      /* server: the name registered (required); client:
				       * sent in lookups (optional, NULL).  Copied */
	struct sockaddr_storage bind; /* the public socket's address; family 0: the
				       * dual-stack IPv6 wildcard (IPv4 on a kernel
				       * without IPv6) with port below */
	socklen_t bind_len;
	uint16_t port;				 /* with bind unset: the local port (0: any) */
	unsigned int nrdv;			 /* >= 1 */
	struct natt_cand rdv[NATT_NODE_MAX_RDV]; /* rendezvous addresses */
	unsigned int nstun;
	struct natt_cand stun[NATT_NODE_MAX_STUN]; /* extra STUN servers */
	struct natt_seal *seal;			   /* network key, all purposes; borrowed */
	struct natt_tls_ctx *tls;		   /* our certificate, of the role's TLS side;
						    * borrowed (sessions take references) */
	struct natt_session_config session;	   /* natt_node_config_default: session defaults
						    * with max_datagram NATT_NODE_MAX_PAYLOAD;
						    * every peer's session gets it, the key
						    * log hook (keylog, keylog_ctx) included */
	struct natt_punch_config punch;		   /* log and peer_name are the node's */
	struct natt_rdv_client_config rdv_client;  /* the rendezvous clients' timing and
						    * lifetime (seal, server, name: the node's) */
	struct natt_udp_config udp;		   /* the public socket */
	unsigned int max_peers;			   /* default NATT_NODE_MAX_PEERS */
	bool reconnect;				   /* client: try again after a failure or an end */
	natt_time_t retry_max;			   /* backoff cap (default NATT_NODE_RETRY_MAX) */
	int verb;	    /* lines above it are not even formatted (default 3) */
	natt_random_fn rnd; /* NULL: OpenSSL's RAND_bytes (abort on failure) */
	void *rnd_ctx;
	struct natt_node_callbacks cb;
};

/* Defaults: client role, no name, dual-stack wildcard, any port, no rendezvous,
 * no STUN, the cores' defaults (natt_rdv_client_config_default for
 * rdv_client), max_datagram NATT_NODE_MAX_PAYLOAD, udp
 * max_datagram large enough for it, reconnect off, verb 3. */
void natt_node_config_default(struct natt_node_config *cfg);

/*
 * Opens the public socket, gathers the host candidates and starts STUN and,
 * server role, the registrations (which retry with backoff while no
 * rendezvous answers: the rendezvous callback and a log line at verb 1 say
 * so).  On failure err gets one line for the operator.  Returns NATT_OK,
 * NATT_ERR_INVALID (no rendezvous, no seal or TLS context, server without a
 * valid name, a config value the cores refuse, a rendezvous or STUN server
 * of an address family the socket cannot reach), NATT_ERR_IO (the socket
 * cannot be bound: err names the address and errno's text), NATT_ERR_NOMEM.
 */
int natt_node_new(struct natt_node **out, struct natt_loop *loop,
		  const struct natt_node_config *cfg, char *err, size_t errlen);

/* Frees everything at once: no CLOSE goes out (natt_node_shutdown first
 * for that).  Never from a callback.  NULL is allowed. */
void natt_node_free(struct natt_node *n);

/*
 * Orderly end: closes every session (code SHUTDOWN, reason), stops
 * reconnecting and unregisters.  Run the loop until natt_node_idle().
 * peer_down is called for each peer.  Returns NATT_OK.
 */
int natt_node_shutdown(struct natt_node *n, const char *reason);

/* No peer left and nothing queued: natt_node_free() loses nothing. */
bool natt_node_idle(const struct natt_node *n);

/*
 * Client role: starts reaching the server registered as target (STUN,
 * lookup, punch, handshake); peer_up or peer_down follows.  *out receives
 * the peer's handle.  Returns NATT_OK, NATT_ERR_INVALID (server role),
 * NATT_ERR_BAD_NAME, NATT_ERR_FULL (max_peers), NATT_ERR_NOMEM.
 */
int natt_node_connect(struct natt_node *n, const char *target, struct natt_node_peer **out);

/*
 * Sends one application datagram to p (copied).  Returns NATT_OK,
 * NATT_ERR_CLOSED (p is not up), NATT_ERR_INVALID (len 0, a packet above
 * cfg.udp.max_datagram, or above the peer's MAX_DATAGRAM), NATT_ERR_FULL
 * (the socket's queue is full: dropped), or another error of
 * natt_session_send_data().
 */
int natt_node_send(struct natt_node *n, struct natt_node_peer *p, const uint8_t *data, size_t len);

/*
 * Sends one datagram as it is (no transport framing) from the public socket
 * to `to`: the answers to natt_node_callbacks.legacy.  Returns NATT_OK,
 * NATT_ERR_INVALID (not the server role, len 0 or above
 * cfg.udp.max_datagram, an address of another family), NATT_ERR_FULL (the
 * socket's queue is full: dropped), NATT_ERR_CLOSED (no public socket).
 */
int natt_node_send_legacy(struct natt_node *n, const struct natt_cand *to, const uint8_t *data,
			  size_t len);

/*
 * Closes p for good (reason: printable ASCII, may be NULL): an orderly
 * close if a session runs, then peer_down (final, NATT_NODE_DOWN_CLOSED).
 * Returns NATT_OK, NATT_ERR_CLOSED (already closing or gone).
 */
int natt_node_close_peer(struct natt_node *n, struct natt_node_peer *p, const char *reason);

/* A snapshot of p's state and counters. */
void natt_node_peer_info(const struct natt_node_peer *p, struct natt_node_peer_info *info);

/* The application's pointer for p (NULL until set). */
void natt_node_peer_set_user(struct natt_node_peer *p, void *user);
void *natt_node_peer_user(const struct natt_node_peer *p);

/* Writes p's hole-punching diagnosis (natt_punch_diag_print), one line per
 * call of fn; returns the number of lines. */
unsigned int natt_node_peer_diag(const struct natt_node_peer *p,
				 void (*fn)(void *ctx, const char *line), void *ctx);

/*
 * The status snapshot (for the plugin's status file): one line for the
 * node (role, name, socket, registrations, STUN), then one per peer (name,
 * state, path type, addresses, RTT, loss, bytes), each through fn.
 * Returns the number of lines.
 */
unsigned int natt_node_status(const struct natt_node *n, void (*fn)(void *ctx, const char *line),
			      void *ctx);

/* Node-wide counters. */
struct natt_node_stats {
	uint64_t rx_packets, tx_packets; /* datagrams on all sockets */
	uint64_t drop_unknown;		 /* first byte not ours (raw OpenVPN without a
					  * legacy callback included) */
	uint64_t legacy_in, legacy_out;	 /* raw OpenVPN datagrams passed through */
	uint64_t drop_malformed;	 /* header did not decode */
	uint64_t drop_no_peer;		 /* no peer has that connection ID */
	uint64_t drop_rdv;		 /* rendezvous messages refused */
	uint64_t drop_stun;		 /* STUN messages that answer nothing of ours */
	uint64_t drop_early;		 /* early HANDSHAKE packets beyond the queue */
	uint64_t drop_no_socket;	 /* a datagram for a socket that is closed */
	uint64_t tx_full;		 /* datagrams dropped: send queue full */
	/* UNKNOWN_CID (PROTOCOL.md 5.4), sent for a HANDSHAKE or PROBE of no
	 * peer (DATA never gets one: drop_no_peer only) ... */
	uint64_t reset_sent;	/* replies sent */
	uint64_t reset_small;	/* not sent: the trigger was smaller than the reply */
	uint64_t reset_limited; /* not sent: over the per-source or global rate */
	uint64_t reset_unauth;	/* not sent: the trigger's seal did not open */
	/* ... and received */
	uint64_t reset_rx_ended;	 /* sessions ended by one */
	uint64_t reset_rx_no_session;	 /* naming no live session of ours */
	uint64_t reset_rx_off_path;	 /* not from the session's current path */
	uint64_t reset_rx_bad_seal;	 /* did not open (wrong key, forged, corrupted) */
	uint64_t peers_opened, peers_up; /* peers created, peers that came up */
	unsigned int peers;		 /* alive now */
	unsigned int xsockets;		 /* birthday sockets open now */
};

void natt_node_get_stats(const struct natt_node *n, struct natt_node_stats *st);

/* The public socket's bound address (port filled in) as a host candidate. */
void natt_node_local(const struct natt_node *n, struct natt_cand *c);

/* Short names for logs and tools. */
const char *natt_node_path_name(enum natt_node_path_type t);   /* "none", "lan", "direct" */
const char *natt_node_state_name(enum natt_node_peer_state s); /* "resolving", ... */
const char *natt_node_down_name(enum natt_node_down_reason r); /* "rendezvous", ... */

#endif
