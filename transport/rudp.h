/*
 * rudp.h: the reliable stream ("Reliable UDP"): one ordered, reliable
 * byte stream per connection, carried in sealed HANDSHAKE packets
 * (doc/PROTOCOL.md 5.1, 5.2).  It carries TLS 1.3 (transport/tls.c).
 *
 * Sans-I/O, in the manner of ngtcp2: the caller passes each datagram that
 * arrived for this connection (natt_rudp_recv), asks for datagrams to send
 * until there are none (natt_rudp_send), and calls natt_rudp_on_timeout()
 * at natt_rudp_deadline().  Time is always an argument; randomness (packet
 * salts) comes from a callback; nothing here reads a clock or a socket.
 *
 * What it does, and from where:
 *   packet numbers    never reused, +1 per packet; a retransmission puts the
 *                     data in a new packet (RFC 9000 12.3)
 *   acknowledgements  ACK with up to 1 + 32 ranges; every second
 *                     ack-eliciting packet, at once when out of order or
 *                     when the data was a duplicate, else within 25 ms
 *                     (RFC 9000 13.2); ACK-only packets are not
 *                     ack-eliciting; an unconfirmed ACK rides again on our
 *                     own ack-eliciting packets (transport/ackr.h)
 *   RTT               RFC 9002 5 (transport/rtt.h)
 *   loss detection    packet threshold 3, time threshold 9/8 RTT, probe
 *                     timeout with exponential backoff capped at max_pto,
 *                     dead after max_ptos consecutive timeouts (RFC 9002 6).
 *                     The defaults (2 s cap, 30 timeouts, 60 s idle) keep
 *                     probing often enough to get through long loss bursts
 *                     on a sparse flow: a 60 s cap, 8 timeouts and a 30 s
 *                     idle timeout leave ~9 probe rounds, and with 30% loss
 *                     in bursts of 3 each way 4 of 1000 20 KB transfers
 *                     died; with these defaults 0 of 5000 did.
 *   congestion        NewReno with pacing (RFC 9002 7, transport/cc.h)
 *   flow control      MAX_DATA; the receive window doubles, up to a limit,
 *                     whenever the application reads half of it in less than
 *                     2 RTTs (auto-tuning), so long transfers do not stall
 *   amplification     before the peer's address is validated, never more
 *                     than 3x the bytes received from it (RFC 9000 8.1)
 *   memory            bounded send buffer (natt_rudp_write takes what fits),
 *                     out-of-order data limited in bytes and ranges; a
 *                     packet that would exceed it is dropped unacknowledged
 *   ending            FIN both ways then CLOSE(NO_ERROR); abort with a code;
 *                     idle timeout; closing/draining for 3 PTO (RFC 9000 10)
 *
 * Both ends start with the peer's MAX_DATA at NATT_RUDP_INITIAL_MAX_DATA:
 * there are no transport parameters before the stream exists.
 */
#ifndef NATT_RUDP_H
#define NATT_RUDP_H

#include <stdbool.h>

#include "natt.h"
#include "seal.h"

/* Flow control credit each side grants before its first MAX_DATA. */
#define NATT_RUDP_INITIAL_MAX_DATA (64 * 1024)
/* RFC 9000 8.1: at most 3x the bytes received before validation. */
#define NATT_RUDP_AMPLIFICATION_FACTOR 3
/* RFC 9000 10.2: closing and draining last 3 PTO. */
#define NATT_RUDP_CLOSE_PTOS 3
/* Replay window over packet numbers (PROTOCOL.md 3.3). */
#define NATT_RUDP_REPLAY_WINDOW 1024

enum natt_rudp_role {
	NATT_RUDP_CLIENT = 0, /* chose the path: its peer counts as validated */
	NATT_RUDP_SERVER = 1, /* answers: limited to 3x until validated */
};

enum natt_rudp_state {
	NATT_RUDP_OPEN = 0,	/* streams may flow (either side may have sent FIN) */
	NATT_RUDP_CLOSING = 1,	/* we sent CLOSE; we answer packets with CLOSE for 3 PTO */
	NATT_RUDP_DRAINING = 2, /* the peer sent CLOSE; we send nothing for 3 PTO */
	NATT_RUDP_CLOSED = 3,	/* nothing more will happen; free it */
};

/* Why the connection ended (NONE while open). */
enum natt_rudp_end {
	NATT_RUDP_END_NONE = 0,
	NATT_RUDP_END_ORDERLY,	    /* both FINs acknowledged, CLOSE(NO_ERROR) */
	NATT_RUDP_END_LOCAL_ABORT,  /* natt_rudp_abort() */
	NATT_RUDP_END_PEER_CLOSE,   /* the peer sent CLOSE (code, reason) early or with an error */
	NATT_RUDP_END_PROTOCOL,	    /* the peer broke the protocol; we sent CLOSE(2) */
	NATT_RUDP_END_IDLE_TIMEOUT, /* nothing received for the idle timeout */
	NATT_RUDP_END_UNREACHABLE,  /* max_ptos probe timeouts in a row went unanswered */
	NATT_RUDP_END_INTERNAL,	    /* a local failure (allocation); we sent CLOSE(1) */
};

/* Per-connection limits.  natt_rudp_limits_default() fills the defaults. */
struct natt_rudp_limits {
	size_t send_buffer;	  /* bytes written, not yet acked (default 1 MiB) */
	size_t max_recv_window;	  /* auto-tuning stops here (default 4 MiB, >= 64 KiB) */
	size_t ooo_limit;	  /* out-of-order bytes held (default 4 MiB) */
	natt_time_t idle_timeout; /* silence before it is dead (default 60 s; 0 never) */
	natt_time_t keepalive;	  /* PING after this long idle (default 0 = off) */
	natt_time_t max_pto;	  /* cap of the backed-off probe timeout (default 2 s) */
	unsigned max_ptos;	  /* probe timeouts in a row before "unreachable" (30) */
};

struct natt_rudp_stats {
	uint64_t packets_sent;		/* datagrams built */
	uint64_t bytes_sent;		/* their bytes on the wire */
	uint64_t packets_received;	/* datagrams accepted (authenticated, not replayed) */
	uint64_t bytes_received;	/* their bytes on the wire */
	uint64_t packets_dropped;	/* datagrams refused by natt_rudp_recv() */
	uint64_t ack_only_sent;		/* packets with nothing ack-eliciting (ACK, CLOSE) */
	uint64_t stream_bytes_sent;	/* stream bytes sent for the first time */
	uint64_t stream_bytes_retx;	/* stream bytes sent again */
	uint64_t stream_bytes_acked;	/* stream bytes the peer acknowledged (base) */
	uint64_t stream_bytes_received; /* in-order stream bytes received */
	uint64_t packets_lost;		/* ack-eliciting packets declared lost */
	uint64_t pto_count_total;	/* probe timeouts fired */
	uint64_t ooo_dropped;		/* packets dropped for the out-of-order limit */
	uint64_t ooo_bytes_max;		/* high-water mark of out-of-order bytes */
	uint64_t congestion_events;	/* window reductions */
	uint64_t persistent_congestion; /* collapses to the minimum window */
	natt_time_t srtt;		/* smoothed RTT (333 ms before the first sample) */
	natt_time_t rttvar;		/* RTT variation */
	natt_time_t min_rtt;		/* smallest RTT sample */
	natt_time_t latest_rtt;		/* last RTT sample */
	uint64_t cwnd;			/* congestion window, bytes */
	uint64_t ssthresh;		/* slow start threshold (UINT64_MAX: no loss yet) */
	uint64_t bytes_in_flight;	/* ack-eliciting bytes sent, not acked or lost */
	uint64_t recv_window;		/* current receive window (auto-tuned) */
	uint64_t peer_max_data;		/* the peer's flow-control limit on our stream */
	unsigned pto_count;		/* current consecutive probe timeouts */
	bool validated;			/* the peer's address counts as validated */
};

struct natt_rudp_close_info {
	enum natt_rudp_end end; /* why it ended, NONE while open */
	bool remote;		/* the code and reason came from the peer */
	uint16_t code;		/* CLOSE code sent or received (enum natt_close_code) */
	char reason[101];	/* printable ASCII, NUL-terminated */
};

struct natt_rudp;

void natt_rudp_limits_default(struct natt_rudp_limits *l);

/*
 * A connection between local_cid (ours: the dcid of packets we receive) and
 * peer_cid (the dcid of packets we send).  seal must outlive it; rand gives
 * salts; limits may be NULL for the defaults; now starts the idle timer.
 * Returns NATT_OK, NATT_ERR_INVALID (a cid is 0, seal or rand NULL, a
 * limit out of range), NATT_ERR_NOMEM.
 */
int natt_rudp_new(struct natt_rudp **out, enum natt_rudp_role role, natt_cid_t local_cid,
		  natt_cid_t peer_cid, struct natt_seal *seal, natt_random_fn rand, void *rand_arg,
		  const struct natt_rudp_limits *limits, natt_time_t now);

void natt_rudp_free(struct natt_rudp *c);

/*
 * One datagram addressed to this connection (the caller matched its dcid).
 * Returns NATT_OK when it was accepted (even if it closed the connection),
 * or why it was dropped, with no effect on the connection: a
 * natt_header_decode() error, NATT_ERR_BAD_TYPE (not HANDSHAKE),
 * NATT_ERR_BAD_VALUE (cids are not this connection's), NATT_ERR_REPLAY,
 * NATT_ERR_TOO_OLD, NATT_ERR_AUTH, NATT_ERR_WRONG_PURPOSE (the seal has no
 * handshake key), NATT_ERR_CRYPTO, a natt_frame_decode() error (the body
 * does not decode), NATT_ERR_FULL (out-of-order limit: dropped
 * unacknowledged), NATT_ERR_CLOSED (draining or closed: ignored).
 * The amplification budget counts only accepted packets.
 */
int natt_rudp_recv(struct natt_rudp *c, natt_time_t now, const uint8_t *pkt, size_t len);

/*
 * Builds the next datagram to send now into out (cap bytes; at most
 * NATT_MAX_HANDSHAKE are used).  Returns its length, 0 when nothing is to
 * be sent now (call again after the next recv, write or timeout), or
 * NATT_ERR_BUFFER (cap too small for any packet), NATT_ERR_CRYPTO (the
 * seal failed).  Call it in a loop until it returns 0.
 */
int natt_rudp_send(struct natt_rudp *c, natt_time_t now, uint8_t *out, size_t cap);

/* When natt_rudp_on_timeout() must be called next (NATT_TIME_NEVER if no
 * timer runs; a time <= now means at once). */
natt_time_t natt_rudp_deadline(const struct natt_rudp *c);

/* Handles every timer due at now (ACK delay, loss, probe, idle, keepalive,
 * close).  Returns NATT_OK; the state tells if the connection ended. */
int natt_rudp_on_timeout(struct natt_rudp *c, natt_time_t now);

/* Queues stream bytes.  Returns how many were accepted (0 when the send
 * buffer is full), or NATT_ERR_CLOSED (finished, closing or closed),
 * NATT_ERR_NOMEM. */
long natt_rudp_write(struct natt_rudp *c, const uint8_t *data, size_t len);

/* Bytes natt_rudp_write() would accept now. */
size_t natt_rudp_write_space(const struct natt_rudp *c);

/* Reads received stream bytes in order; returns how many (0 if none yet).
 * Works in every state, so data received before a close can be read. */
size_t natt_rudp_read(struct natt_rudp *c, uint8_t *buf, size_t cap);

/* Whether the peer's stream ended (FIN) and everything was read. */
bool natt_rudp_read_eof(const struct natt_rudp *c);

/*
 * Orderly close: ends our stream after what was written (FIN).  When both
 * FINs are acknowledged the connection sends CLOSE(NO_ERROR) and closes.
 * Returns NATT_OK or NATT_ERR_CLOSED (already closing or closed).
 */
int natt_rudp_close(struct natt_rudp *c);

/*
 * Abort at now: drops unsent and unacknowledged data, sends CLOSE(code,
 * reason) at the next natt_rudp_send() (reason may be NULL; printable
 * ASCII, cut at 100 bytes), stays CLOSING for 3 PTO, then CLOSED.
 * Returns NATT_OK, NATT_ERR_CLOSED, NATT_ERR_INVALID (bad reason bytes).
 */
int natt_rudp_abort(struct natt_rudp *c, natt_time_t now, uint16_t code, const char *reason);

/* Sends a PING (ack-eliciting) at the next natt_rudp_send().  Returns
 * NATT_OK or NATT_ERR_CLOSED. */
int natt_rudp_ping(struct natt_rudp *c);

/* The caller validated the peer's address (e.g. by path probing): lifts
 * the anti-amplification limit. */
void natt_rudp_set_validated(struct natt_rudp *c);

enum natt_rudp_state natt_rudp_state(const struct natt_rudp *c);
void natt_rudp_get_stats(const struct natt_rudp *c, struct natt_rudp_stats *st);
void natt_rudp_get_close_info(const struct natt_rudp *c, struct natt_rudp_close_info *ci);

/* Short names for logs. */
const char *natt_rudp_state_name(enum natt_rudp_state s);
const char *natt_rudp_end_name(enum natt_rudp_end e);

#endif
