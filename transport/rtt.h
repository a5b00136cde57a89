/*
 * rtt.h: round-trip time estimation (RFC 9002 section 5) and the timer
 * durations derived from it (probe timeout, 6.2.1; loss delay, 6.1.2).
 * Pure arithmetic on microseconds: no clock, no state beyond the struct.
 */
#ifndef NATT_RTT_H
#define NATT_RTT_H

#include <stdbool.h>

#include "natt.h"

/* RFC 9002 6.2.2: RTT assumed before the first sample. */
#define NATT_RTT_INITIAL (333 * NATT_MSEC)
/* RFC 9002 6.1.2: timer granularity (kGranularity). */
#define NATT_RTT_GRANULARITY (1 * NATT_MSEC)
/* RFC 9002 6.1.2: time threshold kTimeThreshold = 9/8. */
#define NATT_RTT_TIME_THRESHOLD_NUM 9
#define NATT_RTT_TIME_THRESHOLD_DEN 8

struct natt_rtt {
	natt_time_t latest;	     /* latest_rtt: the last sample, ack delay not removed */
	natt_time_t smoothed;	     /* smoothed_rtt */
	natt_time_t var;	     /* rttvar */
	natt_time_t min;	     /* min_rtt: smallest sample seen, ack delay not removed */
	bool has_sample;	     /* false until the first sample: the values are initial */
	natt_time_t first_sample_at; /* when the first sample was taken (persistent congestion) */
};

/* smoothed = 333 ms, var = 166.5 ms, no sample (RFC 9002 5.3). */
void natt_rtt_init(struct natt_rtt *r);

/*
 * Takes a sample (RFC 9002 5.3): latest is the time from sending the
 * largest newly acknowledged packet to receiving its ACK, ack_delay the
 * delay the peer reported, capped here at max_ack_delay.  The ack delay is
 * subtracted only when that does not take the sample below min_rtt.
 */
void natt_rtt_update(struct natt_rtt *r, natt_time_t latest, natt_time_t ack_delay,
		     natt_time_t max_ack_delay, natt_time_t now);

/* smoothed + max(4 var, granularity) + max_ack_delay (RFC 9002 6.2.1),
 * without backoff. */
natt_time_t natt_rtt_pto(const struct natt_rtt *r, natt_time_t max_ack_delay);

/* max(9/8 max(smoothed, latest), granularity) (RFC 9002 6.1.2). */
natt_time_t natt_rtt_loss_delay(const struct natt_rtt *r);

#endif
