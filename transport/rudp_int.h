/*
 * rudp_int.h: the connection state shared by rudp.c (lifecycle, stream API,
 * timers), rudp_recv.c (opening packets, frames), rudp_send.c (building
 * packets) and rudp_loss.c (acknowledgements, loss detection, probe
 * timeouts).  Not installed, not part of the API.
 */
#ifndef NATT_RUDP_INT_H
#define NATT_RUDP_INT_H

#include "ackr.h"
#include "cc.h"
#include "recvbuf.h"
#include "replay.h"
#include "rtb.h"
#include "rtt.h"
#include "rudp.h"
#include "sendbuf.h"
#include "wire.h"

/* RFC 9002 6.1.1: kPacketThreshold. */
#define NATT_RUDP_PACKET_THRESHOLD 3
/* RFC 9002 6.2.4: probe packets sent when the PTO fires. */
#define NATT_RUDP_PTO_PROBES 2
/* Our max_ack_delay, and the one we assume for the peer (RFC 9000 18.2). */
#define NATT_RUDP_MAX_ACK_DELAY NATT_ACKR_MAX_ACK_DELAY
/* Smallest HANDSHAKE packet (PROTOCOL.md 5.1): header, one frame, tag. */
#define NATT_RUDP_MIN_PACKET (NATT_HANDSHAKE_HDR_LEN + 1 + NATT_TAG_LEN)
/* Below this anti-amplification budget, timers that only lead to sending
 * (ACK delay, pacing, keepalive) are not reported: nothing useful fits. */
#define NATT_RUDP_MIN_SEND (NATT_HANDSHAKE_HDR_LEN + NATT_TAG_LEN + 32)
/* A STREAM frame's type, flags, offset and length. */
#define NATT_RUDP_STREAM_OVERHEAD 12
/* Do not start a STREAM frame with room for fewer data bytes than this. */
#define NATT_RUDP_MIN_STREAM_DATA 32

struct natt_rudp {
	enum natt_rudp_role role;   /* SERVER starts unvalidated */
	enum natt_rudp_state state; /* OPEN, CLOSING, DRAINING, CLOSED */
	natt_cid_t local_cid;	    /* dcid of packets we receive */
	natt_cid_t peer_cid;	    /* dcid of packets we send */
	struct natt_seal *seal;	    /* the caller's */
	natt_random_fn rand;	    /* salts */
	void *rand_arg;
	struct natt_rudp_limits lim; /* as given (or the defaults) */

	/* packet numbers and acknowledgements */
	uint64_t next_pn;	   /* number of the next packet we send */
	struct natt_replay replay; /* packet numbers received (authenticated) */
	struct natt_ackr ackr;	   /* what we owe the peer an ACK for */
	struct natt_rtb rtb;	   /* ack-eliciting packets sent, unresolved */

	/* loss detection and congestion control (RFC 9002 A.3, B.2) */
	struct natt_rtt rtt;	/* RTT estimator */
	struct natt_cc cc;	/* NewReno and the pacer */
	bool any_acked;		/* largest_acked is meaningful */
	uint64_t largest_acked; /* largest packet number the peer acknowledged */
	natt_time_t loss_time;	/* time-threshold loss timer, or NATT_TIME_NEVER */
	unsigned pto_count;	/* consecutive probe timeouts */
	unsigned probes;	/* probe packets still to send (bypass cwnd) */
	bool app_limited;	/* last send found nothing to fill the window */

	/* the stream and flow control */
	struct natt_sendbuf sb; /* our stream: unacknowledged bytes */
	struct natt_recvbuf rb; /* the peer's stream: reorder buffer */
	uint64_t peer_max_data; /* we may send stream bytes below this */
	uint64_t rcv_max;	/* we allowed the peer up to this offset */
	uint64_t rcv_window;	/* current receive window (auto-tuned) */
	natt_time_t window_at;	/* when rcv_max was last raised */
	bool max_data_pending;	/* a MAX_DATA frame must be sent */

	/* anti-amplification (RFC 9000 8.1) */
	bool validated;	       /* the peer's address is validated: no 3x limit */
	uint64_t amp_sent;     /* bytes sent while counting */
	uint64_t amp_received; /* bytes received (authenticated) */

	/* timers */
	natt_time_t idle_base;	    /* idle timer start (RFC 9000 10.1) */
	bool eliciting_since_rx;    /* sent an ack-eliciting packet since the last receipt */
	natt_time_t last_activity;  /* last packet received or ack-eliciting sent */
	bool ping_pending;	    /* a PING is to be sent (keepalive or asked) */
	natt_time_t close_deadline; /* CLOSING/DRAINING end at this time */
	bool close_pending;	    /* a CLOSE frame is to be sent */

	struct natt_rudp_close_info ci;	     /* how it ended */
	struct natt_rudp_stats st;	     /* counters; the gauges are filled on request */
	uint8_t scratch[NATT_MAX_HANDSHAKE]; /* received packet, opened in place */
	uint8_t chunk[NATT_MAX_HANDSHAKE];   /* stream bytes copied out of the ring */
};

/* rudp.c */
/* Base probe timeout (RFC 9002 6.2.1), no backoff. */
natt_time_t natt_rudp_pto_base(const struct natt_rudp *c);
/* OPEN -> CLOSING: drop what is in flight, send CLOSE(code, reason). */
void natt_rudp_enter_closing(struct natt_rudp *c, natt_time_t now, enum natt_rudp_end end,
			     uint16_t code, const char *reason);
/* OPEN -> DRAINING on the peer's CLOSE: send nothing more. */
void natt_rudp_enter_draining(struct natt_rudp *c, natt_time_t now, uint16_t code,
			      const uint8_t *reason, size_t reason_len);
/* Both FINs done and acknowledged: CLOSE(NO_ERROR). */
void natt_rudp_check_orderly(struct natt_rudp *c, natt_time_t now);
/* Bytes we may still send before the peer's address is validated. */
uint64_t natt_rudp_amp_budget(const struct natt_rudp *c);
/* Whether stream bytes (or a FIN) can be sent under flow control. */
bool natt_rudp_has_stream_data(const struct natt_rudp *c);
/* Raises (and auto-tunes) the receive window when half of it is used. */
void natt_rudp_update_window(struct natt_rudp *c, natt_time_t now);

/* rudp_loss.c */
/* An ACK frame arrived.  Returns NATT_OK, NATT_ERR_BAD_VALUE (it acknowledges
 * a packet never sent) or NATT_ERR_BAD_FRAME. */
int natt_rudp_on_ack(struct natt_rudp *c, const struct natt_frame *f, natt_time_t now);
/* The loss or probe timer (RFC 9002 A.8), NATT_TIME_NEVER if neither runs. */
natt_time_t natt_rudp_loss_deadline(const struct natt_rudp *c);
/* Loss or probe timer expiry (RFC 9002 A.9); may end the connection. */
void natt_rudp_loss_on_timeout(struct natt_rudp *c, natt_time_t now);
/* Records an ack-eliciting packet leaving at now (rtb and congestion control). */
void natt_rudp_on_sent(struct natt_rudp *c, struct natt_sent *rec, natt_time_t now);

#endif
