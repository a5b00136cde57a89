/*
 * session.h: one peer-to-peer session, sans-I/O: the reliable stream
 * (rudp.h) carrying TLS 1.3 (tls.h), the parameters exchanged inside TLS
 * (PROTOCOL.md 9), then the acknowledgement-free data channel (datachan.h)
 * keyed from the TLS exporter.  Punch (punch.h) finds the path; a session
 * starts from its result or from a path the caller gives.
 *
 * Driving it, like every core module: the caller hands in each datagram
 * addressed to our connection ID (natt_session_recv) and the time; it asks
 * for datagrams to send until there are none (natt_session_poll_send, plus
 * natt_session_send_data for each OpenVPN datagram), and calls
 * natt_session_on_timeout() at natt_session_deadline().  Every datagram
 * handed out names its destination (socket index and address).  Nothing
 * here reads a clock, opens a socket, logs or starts a thread; state changes
 * are queued as events (natt_session_next_event) for the caller to log from
 * the thread it chooses.
 *
 * States:
 *   NEW          created; no path yet
 *   HANDSHAKE    TLS over the reliable stream, then PARAMS: the client
 *                offers its ciphers in preference order, keepalive, idle
 *                timeout and largest datagram; the server answers with
 *                exactly one cipher, the first of its own list that the
 *                client offered, and its own values
 *   ESTABLISHED  the data channel runs (server: once it sent its PARAMS;
 *                client: once the server's PARAMS arrived, which is also
 *                what tells it the server accepted its certificate)
 *   CLOSING      an orderly close is under way (CLOSE control message
 *                inside TLS, close_notify, then the stream's FIN both ways)
 *   CLOSED       ended by natt_session_close() here (whatever the code),
 *                or by the peer's close with NO_ERROR, SHUTDOWN or
 *                IDLE_TIMEOUT
 *   FAILED       ended by anything else; natt_session_get_end() says why
 * A session that ended may still have CLOSE frames to send for a few probe
 * timeouts: keep driving it until natt_session_done(), then free it.
 *
 * Trust: a CLOSE frame of the reliable stream is sealed only with the
 * network key, so any holder of that key could forge one.  Before the
 * session is ESTABLISHED it ends the handshake (nothing better is known)
 * and is reported as the peer's unauthenticated claim.  Once ESTABLISHED,
 * only TLS-authenticated messages, the idle timeout or the caller end the
 * session: a stream that ends without a CLOSE inside TLS only loses the
 * control channel (an event says so) and the data channel carries on.
 *
 * Anti-amplification (RFC 9000 8.1): a server's stream sends at most 3x
 * the bytes it received until the client's address is validated (the
 * client acknowledged one of its packets, or the caller says the path was
 * validated, e.g. by punch).  The server's first flight (certificates) is
 * 3.9x a ClientHello with EC certificates and 6.5x with RSA-2048, so by
 * default the client pads every HANDSHAKE packet it sends until it has the
 * server's whole first flight to NATT_MAX_HANDSHAKE bytes (as QUIC pads
 * Initial packets to 1200): the server's budget then covers its first
 * flight and the handshake takes 2 round trips, not 3.6.  While it waits
 * for that flight with nothing of its own unacknowledged, the client sends
 * a (padded) PING every probe timeout, backing off: a server whose flight
 * was lost at its 3x limit could otherwise never resend it (RFC 9002
 * 6.2.2.1).  A path validated beforehand (punch) lifts the limit instead.
 *
 * Not thread-safe: one thread drives a session.
 */
#ifndef NATT_SESSION_H
#define NATT_SESSION_H

#include <stdbool.h>

#include "datachan.h"
#include "natt.h"
#include "rudp.h"
#include "seal.h"
#include "tls.h"
#include "wire.h"

struct natt_punch;

/* PARAMS defaults (PROTOCOL.md 9.1). */
#define NATT_SESSION_KEEPALIVE_S    15 /* datachan's NATT_DC_KEEPALIVE */
#define NATT_SESSION_IDLE_TIMEOUT_S 60 /* four keepalives */
/* Giving up on a handshake: the reliable stream's own limit (30 probe
 * timeouts, about a minute with the 2 s cap) sits just below it. */
#define NATT_SESSION_HANDSHAKE_TIMEOUT (75 * NATT_SEC)
/* An orderly close that has not finished after this is aborted. */
#define NATT_SESSION_CLOSE_TIMEOUT (10 * NATT_SEC)
/* The peer's max_ack_delay we assume in probe timeouts (RFC 9000 18.2). */
#define NATT_SESSION_PEER_ACK_DELAY (25 * NATT_MSEC)
/* Events kept for natt_session_next_event(); older ones are dropped. */
#define NATT_SESSION_EVENTS	8
#define NATT_SESSION_EVENT_TEXT 300
/* A DATA packet's header and tag: payload at out + HEADROOM seals in place. */
#define NATT_SESSION_DATA_HEADROOM NATT_DATA_HDR_LEN
#define NATT_SESSION_DATA_OVERHEAD NATT_DC_OVERHEAD

enum natt_session_role {
	NATT_SESSION_CLIENT = 0, /* looked the peer up; starts TLS; offers PARAMS */
	NATT_SESSION_SERVER = 1, /* the registered side; answers */
};

enum natt_session_state {
	NATT_SESSION_NEW = 0,
	NATT_SESSION_HANDSHAKE,
	NATT_SESSION_ESTABLISHED,
	NATT_SESSION_CLOSING,
	NATT_SESSION_CLOSED,
	NATT_SESSION_FAILED,
};

/* Why a session ended (NONE while it runs). */
enum natt_session_reason {
	NATT_SESSION_R_NONE = 0,
	NATT_SESSION_R_CLOSED,		  /* orderly close, by code; local or remote */
	NATT_SESSION_R_TLS,		  /* TLS failed on this side: end.tls says why */
	NATT_SESSION_R_PEER_CLOSE,	  /* the peer ended it with an error code */
	NATT_SESSION_R_NO_COMMON_CIPHER,  /* PARAMS: none of the client's ciphers is ours */
	NATT_SESSION_R_PROTOCOL,	  /* the peer broke the protocol */
	NATT_SESSION_R_UNREACHABLE,	  /* the stream's probes went unanswered */
	NATT_SESSION_R_IDLE_TIMEOUT,	  /* nothing authenticated for the idle timeout */
	NATT_SESSION_R_HANDSHAKE_TIMEOUT, /* no ESTABLISHED within handshake_timeout */
	NATT_SESSION_R_INTERNAL,	  /* a local failure (memory, OpenSSL) */
};

/* One direction's data-channel secret, for a key log (doc/PROTOCOL.md 12).
 * A key log is a secret: it lets anyone decrypt that direction's DATA. */
struct natt_session_keylog {
	natt_cid_t cid;	    /* the receiver's connection ID of the direction */
	uint8_t cipher;	    /* enum natt_cipher, negotiated */
	bool tx;	    /* true: the secret we send with */
	uint8_t secret[32]; /* S_0 of the direction (PROTOCOL.md 7) */
};

/* Called twice when the data channel is keyed (tx then rx), never from
 * another thread; k is valid during the call only. */
typedef void (*natt_session_keylog_fn)(void *ctx, const struct natt_session_keylog *k);

struct natt_session_config {
	uint8_t ncipher;		  /* 1..NATT_MAX_CIPHERS */
	uint8_t cipher[NATT_MAX_CIPHERS]; /* enum natt_cipher, preference order */
	uint16_t keepalive_s;		  /* 1..NATT_KEEPALIVE_MAX_S */
	uint16_t idle_timeout_s;	  /* > 2 * keepalive_s */
	uint16_t max_datagram;		  /* largest DATA payload we accept, >= 1 */
	natt_time_t handshake_timeout;	  /* > 0 */
	bool pad_initial;		  /* client: pad until it has the server flight */
	uint64_t rekey_packets;		  /* 0: NATT_DC_REKEY_PACKETS */
	natt_time_t rekey_after;	  /* 0: NATT_DC_REKEY_AFTER */
	struct natt_rudp_limits rudp;	  /* idle_timeout and keepalive are ignored:
					   * the session keeps its own timers */
	natt_session_keylog_fn keylog;	  /* NULL (default): no key log */
	void *keylog_ctx;		  /* handed to keylog */
};

/* Defaults: AES-256-GCM then ChaCha20-Poly1305, keepalive 15 s, idle 60 s,
 * max_datagram NATT_DC_MAX_PAYLOAD, padding on, rudp defaults. */
void natt_session_config_default(struct natt_session_config *cfg);

/* Where a datagram comes from or goes to. */
struct natt_session_path {
	unsigned int sock;	 /* the caller's socket index (punch's numbering) */
	struct natt_cand remote; /* the peer's address (kind is not compared) */
};

/* What ended the session (natt_session_get_end). */
struct natt_session_end {
	enum natt_session_reason reason;
	bool remote;			/* code and text came from the peer ... */
	bool authenticated;		/* ... inside TLS (true) or in a CLOSE frame */
	uint16_t code;			/* CLOSE code sent or received (natt_close_code) */
	enum natt_tls_reason tls;	/* R_TLS: the TLS reason */
	char text[NATT_MAX_REASON + 1]; /* short reason as on the wire */
	char detail[256];		/* one line for the log */
};

/* Datagrams dropped by natt_session_recv(), one counter per reason. */
struct natt_session_drops {
	uint64_t not_ours;	/* not HANDSHAKE nor DATA (probes go to punch) */
	uint64_t no_path;	/* before natt_session_set_path() */
	uint64_t handshake;	/* refused by the stream (natt_rudp_recv) */
	uint64_t data_early;	/* DATA while no data channel runs */
	uint64_t data_auth;	/* DATA that did not authenticate */
	uint64_t data_replay;	/* DATA duplicate or behind the window */
	uint64_t data_other;	/* DATA: header, CID or epoch */
	uint64_t data_oversize; /* authenticated, above our max_datagram */
};

struct natt_session_stats {
	enum natt_session_state state;
	enum natt_session_role role;
	natt_cid_t local_cid, peer_cid;
	struct natt_session_path path;
	bool validated;		    /* the stream counts the peer's address validated */
	bool control;		    /* the control channel (stream + TLS) is up */
	natt_time_t started_at;	    /* natt_session_set_path() */
	natt_time_t handshake_time; /* start to ESTABLISHED, 0 before */
	natt_time_t srtt;	    /* the stream's smoothed RTT */
	natt_time_t min_rtt;
	uint8_t cipher;		    /* negotiated, 0 before */
	uint16_t keepalive_s;	    /* negotiated */
	uint16_t idle_timeout_s;    /* negotiated */
	uint16_t peer_max_datagram; /* the peer's MAX_DATAGRAM */
	uint64_t tx_epoch, rx_epoch;
	uint64_t data_packets_in, data_bytes_in;   /* OpenVPN datagrams delivered */
	uint64_t data_packets_out, data_bytes_out; /* OpenVPN datagrams sealed */
	uint64_t keepalives_in, keepalives_out;
	uint64_t data_lost; /* inferred from counter gaps (all epochs) */
	uint64_t handshake_packets_in, handshake_bytes_in;
	uint64_t handshake_packets_out, handshake_bytes_out; /* padding included */
	uint64_t padding_bytes;				     /* added by pad_initial */
	uint64_t path_candidates; /* authenticated DATA from another address */
	uint64_t events_dropped;  /* event queue overflow */
	struct natt_session_drops drops;
};

enum natt_session_event_type {
	NATT_SESSION_EV_STATE = 0,	/* state changed (from, to) */
	NATT_SESSION_EV_PATH_CANDIDATE, /* authenticated DATA from another address:
					 * path; validate it before migrating */
	NATT_SESSION_EV_PATH_CHANGED,	/* the session now sends to path */
	NATT_SESSION_EV_CONTROL_LOST,	/* ESTABLISHED, the stream ended without a
					 * TLS CLOSE; the data channel carries on */
};

struct natt_session_event {
	enum natt_session_event_type type;
	natt_time_t at;
	int verb;			    /* OpenVPN verb to log it at (3, 4) */
	enum natt_session_state from, to;   /* EV_STATE */
	struct natt_session_path path;	    /* EV_PATH_* */
	char text[NATT_SESSION_EVENT_TEXT]; /* one log line, without the peer */
};

struct natt_session;

/*
 * A session in state NEW.  seal (network key, handshake purpose) and tls
 * (a context of the matching role) are borrowed and must outlive it (the
 * TLS session takes its own reference on tls); rand gives packet salts;
 * local_cid is ours (never 0).  cfg may be NULL for the defaults.
 * Returns NATT_OK, NATT_ERR_INVALID (NULL seal, tls or rand, cid 0, a
 * config value out of range, unknown role or cipher), NATT_ERR_NOMEM.
 */
int natt_session_new(struct natt_session **out, const struct natt_session_config *cfg,
		     enum natt_session_role role, struct natt_seal *seal, struct natt_tls_ctx *tls,
		     natt_random_fn rand, void *rand_arg, natt_cid_t local_cid, natt_time_t now);

/* Frees everything, wiping keys.  NULL is allowed. */
void natt_session_free(struct natt_session *s);

/*
 * Starts the handshake (NEW -> HANDSHAKE) towards peer_cid on path.
 * validated: the caller validated the path (a reply to our probe came
 * from it): the server's anti-amplification limit does not apply.
 * Returns NATT_OK, NATT_ERR_INVALID (peer_cid 0, NULL path or malformed
 * address, not NEW), NATT_ERR_NOMEM.
 */
int natt_session_set_path(struct natt_session *s, natt_cid_t peer_cid,
			  const struct natt_session_path *path, bool validated, natt_time_t now);

/*
 * Starts the handshake on the path punch selected (punch must be
 * CONNECTED and know the peer's cid): the path counts as validated.  The
 * session keeps p (borrowed, must outlive it), tells it about every
 * authenticated packet and every DATA sent (natt_punch_path_activity,
 * natt_punch_path_sent), and moves to punch's path whenever punch
 * selects another one.  The caller still drives punch itself (its probes,
 * deadline and rendezvous queries).  Returns the errors of
 * natt_session_set_path(), and NATT_ERR_INVALID when punch is not
 * CONNECTED or has no peer cid.
 */
int natt_session_start_punched(struct natt_session *s, struct natt_punch *p, natt_time_t now);

/*
 * Sends to path from now on (the caller validated it, e.g. after an
 * EV_PATH_CANDIDATE).  Queues EV_PATH_CHANGED.  Returns NATT_OK or
 * NATT_ERR_INVALID (NULL or malformed path, no path yet).
 */
int natt_session_migrate(struct natt_session *s, const struct natt_session_path *path,
			 natt_time_t now);

/*
 * One datagram for this session (the caller matched its dcid to our cid)
 * that arrived on from->sock from from->remote.  HANDSHAKE packets feed
 * the stream; a DATA packet is opened in place, so pkt must be writable.
 * Returns the length of an OpenVPN datagram, which then sits at *data
 * (inside pkt), 0 when the datagram was accepted with nothing to deliver
 * (stream packets, keepalives), or why it was dropped, with no effect
 * but a counter: NATT_ERR_INVALID (no path yet, NULL argument),
 * NATT_ERR_BAD_TYPE (neither HANDSHAKE nor DATA), NATT_ERR_CLOSED (DATA
 * while no data channel runs, or a stream that ended), the errors of
 * natt_rudp_recv() for HANDSHAKE, those of natt_dc_open() for DATA, and
 * NATT_ERR_BAD_LENGTH (authenticated DATA above our max_datagram).
 * An authenticated DATA packet from another address than the path, and
 * the newest yet, queues EV_PATH_CANDIDATE (once per new address) and is
 * reported to punch if one is attached; the path never changes here.
 */
int natt_session_recv(struct natt_session *s, natt_time_t now, const struct natt_session_path *from,
		      uint8_t *pkt, size_t len, const uint8_t **data);

/*
 * Seals one OpenVPN datagram into out (cap bytes): payload may be at
 * out + NATT_SESSION_DATA_HEADROOM (sealed in place) or elsewhere, not
 * overlapping.  No allocation.  *dst (may be NULL) receives the path.
 * Returns the packet length (len + NATT_SESSION_DATA_OVERHEAD), or
 * NATT_ERR_CLOSED (not ESTABLISHED), NATT_ERR_INVALID (NULL payload, len 0
 * or above the peer's MAX_DATAGRAM, overlapping buffers), NATT_ERR_BUFFER,
 * and the other errors of natt_dc_seal().
 */
int natt_session_send_data(struct natt_session *s, natt_time_t now, const uint8_t *payload,
			   size_t len, uint8_t *out, size_t cap, struct natt_session_path *dst);

/*
 * The next handshake, control or keepalive datagram due now, written to
 * out (cap: NATT_MAX_HANDSHAKE is always enough) with its destination in
 * *dst.  Call until it returns 0.  Returns the length, 0 when nothing is
 * due, or NATT_ERR_BUFFER (cap too small), NATT_ERR_CRYPTO (sealing or
 * padding failed: the packet is lost, the stream will resend its data).
 */
int natt_session_poll_send(struct natt_session *s, natt_time_t now, uint8_t *out, size_t cap,
			   struct natt_session_path *dst);

/* When natt_session_on_timeout() must be called (NATT_TIME_NEVER: never;
 * a time <= now: at once). */
natt_time_t natt_session_deadline(const struct natt_session *s);

/* Runs every timer due at now: the stream's, keepalives, the handshake,
 * idle and close timeouts.  Then poll for datagrams. */
void natt_session_on_timeout(struct natt_session *s, natt_time_t now);

/*
 * Ends the session with code and reason: once TLS is up, a CLOSE control
 * message inside TLS, close_notify and the stream's FIN; during the
 * handshake a CLOSE frame; with no stream left, nothing.  State CLOSING,
 * then CLOSED when the stream has ended (at most NATT_SESSION_CLOSE_TIMEOUT
 * later), or CLOSED at once when there is nothing to send.  reason may be
 * NULL; printable ASCII, cut at NATT_MAX_REASON bytes.
 * Returns NATT_OK, NATT_ERR_CLOSED (already closing or ended),
 * NATT_ERR_INVALID (reason not printable).
 */
int natt_session_close(struct natt_session *s, natt_time_t now, uint16_t code, const char *reason);

/*
 * Sends a PING control message inside TLS; the peer answers with its own,
 * and the round trip refreshes the stream's RTT estimate (the status line's
 * rtt) long after the handshake.  Returns NATT_OK, NATT_ERR_CLOSED (not
 * ESTABLISHED, or the control channel is lost), NATT_ERR_FULL (TLS output
 * full: try later).
 */
int natt_session_ping(struct natt_session *s);

/* True once the session ended and has nothing more to send: free it. */
bool natt_session_done(const struct natt_session *s);

enum natt_session_state natt_session_state(const struct natt_session *s);

/* Why it ended (reason NONE while it runs). */
void natt_session_get_end(const struct natt_session *s, struct natt_session_end *e);

void natt_session_get_stats(const struct natt_session *s, struct natt_session_stats *st);

/* The current path (sock 0 and a "none" address before one is set). */
void natt_session_path(const struct natt_session *s, struct natt_session_path *path);

/* The peer's connection ID (the dcid we send with); 0 before a path is set. */
natt_cid_t natt_session_peer_cid(const struct natt_session *s);

/*
 * One line for logs and the status file: peer, path, state, RTT, loss,
 * cipher, epochs, datagrams/bytes in and out, e.g. "peer client cid
 * 1111222233334444 path 10.0.0.1:1000/0 state established rtt 40.1 ms
 * loss 0.10% (1/1000) cipher AES-256-GCM epoch 0/0 in 999/1398600 out
 * 1000/1400000" (path: address/socket).  Returns what snprintf returns.
 */
int natt_session_status(const struct natt_session *s, char *buf, size_t len);

/* Takes the oldest queued event.  Returns false when there is none. */
bool natt_session_next_event(struct natt_session *s, struct natt_session_event *ev);

/* The peer's certificate CN ("" before it arrived). */
const char *natt_session_peer_name(const struct natt_session *s);

/* Short names for logs. */
const char *natt_session_state_name(enum natt_session_state st);
const char *natt_session_reason_name(enum natt_session_reason r);

#endif
