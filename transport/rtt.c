/* rtt.c: RTT estimator of RFC 9002 section 5 (rtt.h). */
#include <string.h>

#include "rtt.h"

void natt_rtt_init(struct natt_rtt *r)
{
	memset(r, 0, sizeof(*r));
	r->smoothed = NATT_RTT_INITIAL;
	r->var = NATT_RTT_INITIAL / 2;
	r->min = NATT_RTT_INITIAL;
}

static natt_time_t absdiff(natt_time_t a, natt_time_t b)
{
	return a > b ? a - b : b - a;
}

void natt_rtt_update(struct natt_rtt *r, natt_time_t latest, natt_time_t ack_delay,
		     natt_time_t max_ack_delay, natt_time_t now)
{
	natt_time_t adjusted = latest;

	r->latest = latest;
	if (!r->has_sample) {
		r->has_sample = true;
		r->first_sample_at = now;
		r->min = latest;
		r->smoothed = latest;
		r->var = latest / 2;
		return;
	}
	if (latest < r->min)
		r->min = latest;
	if (ack_delay > max_ack_delay)
		ack_delay = max_ack_delay;
	if (latest >= r->min + ack_delay)
		adjusted = latest - ack_delay;
	r->var = (3 * r->var + absdiff(r->smoothed, adjusted)) / 4;
	r->smoothed = (7 * r->smoothed + adjusted) / 8;
}

natt_time_t natt_rtt_pto(const struct natt_rtt *r, natt_time_t max_ack_delay)
{
	natt_time_t v = 4 * r->var;

	if (v < NATT_RTT_GRANULARITY)
		v = NATT_RTT_GRANULARITY;
	return r->smoothed + v + max_ack_delay;
}

natt_time_t natt_rtt_loss_delay(const struct natt_rtt *r)
{
	natt_time_t base = r->latest > r->smoothed ? r->latest : r->smoothed;
	natt_time_t d = base * NATT_RTT_TIME_THRESHOLD_NUM / NATT_RTT_TIME_THRESHOLD_DEN;

	return d > NATT_RTT_GRANULARITY ? d : NATT_RTT_GRANULARITY;
}
