/*
 * ackr.h: which received packets still need acknowledging, and when.
 *
 * Rules (RFC 9000 13.2):
 *   - every packet received is remembered, ack-eliciting or not, and
 *     reported in the next ACK; but only ack-eliciting packets make an ACK
 *     owed (13.2.1), so an ACK-only packet is acknowledged only when an
 *     ACK goes out anyway, never on its own nor piggybacked for it alone;
 *   - an ACK is due at once after every second ack-eliciting packet
 *     (13.2.2), or when an ack-eliciting packet arrives out of order or
 *     after a gap (13.2.1), so the sender detects loss quickly;
 *   - otherwise it is due max_ack_delay after the first unacknowledged
 *     ack-eliciting packet (25 ms, RFC 9000 18.2's default);
 *   - once an ACK we sent is itself acknowledged, packet numbers up to its
 *     largest are forgotten (13.2.4); the oldest ranges are also forgotten
 *     when more than NATT_ACKR_MAX_RANGES are tracked, so memory is bounded;
 *   - until then, an ack-eliciting packet whose acknowledgement the peer has
 *     not confirmed keeps the ACK "unconfirmed": the sender repeats the ACK
 *     in its own ack-eliciting packets (free riding, no extra packet; at
 *     most every quarter RTT), so a lost ACK-only packet does not leave the
 *     peer waiting for its PTO.
 */
#ifndef NATT_ACKR_H
#define NATT_ACKR_H

#include <stdbool.h>

#include "natt.h"
#include "ranges.h"
#include "wire.h"

/* RFC 9000 18.2: default max_ack_delay. */
#define NATT_ACKR_MAX_ACK_DELAY (25 * NATT_MSEC)
/* RFC 9000 13.2.2: acknowledge at least every second ack-eliciting packet. */
#define NATT_ACKR_ELICITING_THRESHOLD 2
/* Intervals of packet numbers tracked; an ACK frame carries the top 33. */
#define NATT_ACKR_MAX_RANGES 256

struct natt_ackr {
	struct natt_ranges rcvd;    /* packet numbers received and still reported */
	bool any;		    /* a packet was ever received (largest is valid) */
	uint64_t largest;	    /* largest packet number received */
	natt_time_t largest_at;	    /* when it was received (for ack_delay) */
	unsigned eliciting_unacked; /* ack-eliciting packets since the last ACK sent */
	bool any_eliciting;	    /* an ack-eliciting packet was ever received */
	uint64_t largest_eliciting; /* the largest such packet number */
	bool any_confirmed;	    /* an ACK of ours was acknowledged */
	uint64_t confirmed;	    /* the largest such ACK's largest */
	bool immediate;		    /* an ACK is due now */
	natt_time_t deadline;	    /* an ACK is due at this time, or NATT_TIME_NEVER */
	natt_time_t max_ack_delay;  /* our promise to the peer */
	natt_time_t sent_at;	    /* when an ACK was last sent */
};

void natt_ackr_init(struct natt_ackr *a, natt_time_t max_ack_delay);
void natt_ackr_free(struct natt_ackr *a);

/* Whether pn was already received (and is still tracked). */
bool natt_ackr_seen(const struct natt_ackr *a, uint64_t pn);

/*
 * Records an authenticated packet.  Returns NATT_OK or NATT_ERR_NOMEM
 * (then it is not recorded, and so not acknowledged: the peer resends).
 */
int natt_ackr_on_packet(struct natt_ackr *a, uint64_t pn, bool eliciting, natt_time_t now);

/* Makes an ACK due at once: the packet just recorded repeated stream data
 * we already had, so the peer is retransmitting because our ACKs were lost
 * (as TCP acknowledges a duplicate segment at once, RFC 5681 4.2). */
void natt_ackr_ack_now(struct natt_ackr *a);

/* Whether an ACK must be sent now (due immediately, or the delay is over). */
bool natt_ackr_due(const struct natt_ackr *a, natt_time_t now);

/* Whether an ACK is owed (an ack-eliciting packet arrived since the last
 * ACK sent), due now or not: send one with any other packet. */
bool natt_ackr_pending(const struct natt_ackr *a);

/* Whether the peer may not know that we received its ack-eliciting
 * packets and no ACK went out in the last gap: worth repeating an ACK in
 * our next ack-eliciting packet. */
bool natt_ackr_unconfirmed(const struct natt_ackr *a, natt_time_t now, natt_time_t gap);

/* Time at which an ACK becomes due, NATT_TIME_NEVER if none is pending. */
natt_time_t natt_ackr_deadline(const struct natt_ackr *a);

/*
 * Builds an ACK frame of the highest ranges (at most 1 +
 * NATT_ACK_MAX_RANGES of them) with ack_delay = now - time the largest was
 * received.  Returns NATT_OK, or NATT_ERR_INVALID when nothing was ever
 * received.
 */
int natt_ackr_build(const struct natt_ackr *a, natt_time_t now, struct natt_frame *f);

/* An ACK was sent at now: nothing is due until more packets arrive. */
void natt_ackr_on_sent(struct natt_ackr *a, natt_time_t now);

/* An ACK we sent, whose largest was largest, was acknowledged: stop
 * reporting packet numbers up to it (RFC 9000 13.2.4). */
void natt_ackr_on_ack_acked(struct natt_ackr *a, uint64_t largest);

#endif
