/*
 * cc.h: congestion control for the reliable stream: NewReno as specified
 * in RFC 9002 section 7 (slow start, congestion avoidance, a recovery
 * period, persistent congestion), and a pacer (7.7) so that a window is
 * spread over the round trip instead of leaving in one burst.
 *
 * The caller (rudp) owns loss detection and tells cc what happened to each
 * in-flight packet; cc keeps bytes in flight, the window and the pacer.
 * No clock: every entry point takes the time.
 */
#ifndef NATT_CC_H
#define NATT_CC_H

#include <stdbool.h>

#include "natt.h"

/* RFC 9002 7.2: initial window min(10 * mds, max(14720, 2 * mds)). */
#define NATT_CC_INITIAL_WINDOW_PACKETS 10
#define NATT_CC_INITIAL_WINDOW_BYTES   14720
/* RFC 9002 7.2: minimum window, 2 * max_datagram_size. */
#define NATT_CC_MIN_WINDOW_PACKETS 2
/* RFC 9002 7.3.2: kLossReductionFactor = 0.5. */
#define NATT_CC_LOSS_REDUCTION_NUM 1
#define NATT_CC_LOSS_REDUCTION_DEN 2
/* RFC 9002 7.6.1: kPersistentCongestionThreshold. */
#define NATT_CC_PERSISTENT_THRESHOLD 3
/*
 * RFC 9002 7.7: pacing rate N * cwnd / smoothed_rtt with N = 1.25 in
 * congestion avoidance; in slow start N = 2 (as Linux paces), since the
 * window doubles every round trip there.
 */
#define NATT_CC_PACE_CA_NUM 5
#define NATT_CC_PACE_CA_DEN 4
#define NATT_CC_PACE_SS_NUM 2
#define NATT_CC_PACE_SS_DEN 1

struct natt_cc {
	uint64_t max_datagram;	    /* max_datagram_size: the largest packet we send */
	uint64_t cwnd;		    /* congestion window, bytes */
	uint64_t ssthresh;	    /* slow start threshold; UINT64_MAX until the first loss */
	uint64_t in_flight;	    /* bytes_in_flight: sent, ack-eliciting, not acked or lost */
	uint64_t ca_acked;	    /* bytes acked in congestion avoidance, not yet a full cwnd */
	bool in_recovery;	    /* recovery_start is meaningful */
	natt_time_t recovery_start; /* congestion_recovery_start_time */
	uint64_t pace_tokens;	    /* pacer credit in millionths of a byte */
	natt_time_t pace_at;	    /* when the credit was last refilled */
	uint64_t pace_burst;	    /* most credit the pacer accumulates, bytes */
	uint64_t congestion_events; /* window reductions (not counting persistent ones) */
	uint64_t persistent_events; /* collapses to the minimum window */
};

/* Initial window and a full pacer burst (one initial window). */
void natt_cc_init(struct natt_cc *cc, uint64_t max_datagram, natt_time_t now);

/* Minimum window: 2 * max_datagram. */
uint64_t natt_cc_min_window(const struct natt_cc *cc);

/* Whether another full-size packet fits in the window. */
bool natt_cc_can_send(const struct natt_cc *cc);

/* An in-flight packet of bytes was sent at now (also consumes pacer credit). */
void natt_cc_on_sent(struct natt_cc *cc, uint64_t bytes, natt_time_t now);

/*
 * An in-flight packet sent at sent_time was acknowledged (RFC 9002 7.3).
 * The window grows unless the packet was sent in the current recovery
 * period, or app_limited says the sender did not use the window.
 */
void natt_cc_on_acked(struct natt_cc *cc, uint64_t bytes, natt_time_t sent_time, bool app_limited);

/* An in-flight packet was declared lost, or discarded: leaves the flight. */
void natt_cc_on_lost(struct natt_cc *cc, uint64_t bytes);

/*
 * A loss was detected among packets, the newest of which was sent at
 * sent_time.  Starts a recovery period (halves the window) unless that
 * packet was sent within the current one (RFC 9002 7.3.2).
 */
void natt_cc_on_congestion(struct natt_cc *cc, natt_time_t sent_time, natt_time_t now);

/* Persistent congestion (RFC 9002 7.6.2): window to the minimum. */
void natt_cc_on_persistent_congestion(struct natt_cc *cc);

/* Whether the window is below ssthresh (slow start). */
bool natt_cc_in_slow_start(const struct natt_cc *cc);

/*
 * Earliest time at which a packet of bytes may leave according to the
 * pacer, given the current smoothed RTT (<= now means now).  Refills the
 * credit up to now.
 */
natt_time_t natt_cc_pace_time(struct natt_cc *cc, natt_time_t srtt, uint64_t bytes,
			      natt_time_t now);

#endif
