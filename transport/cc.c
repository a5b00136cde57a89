/* cc.c: NewReno (RFC 9002 7, appendix B) and a credit-based pacer (cc.h). */
#include <string.h>

#include "cc.h"

#define MICRO 1000000u
/* A pacer idle longer than this refills completely anyway; bounds products. */
#define PACE_MAX_IDLE (10 * NATT_SEC)

void natt_cc_init(struct natt_cc *cc, uint64_t max_datagram, natt_time_t now)
{
	uint64_t iw = NATT_CC_INITIAL_WINDOW_BYTES;

	memset(cc, 0, sizeof(*cc));
	cc->max_datagram = max_datagram;
	if (iw < NATT_CC_MIN_WINDOW_PACKETS * max_datagram)
		iw = NATT_CC_MIN_WINDOW_PACKETS * max_datagram;
	if (iw > NATT_CC_INITIAL_WINDOW_PACKETS * max_datagram)
		iw = NATT_CC_INITIAL_WINDOW_PACKETS * max_datagram;
	cc->cwnd = iw;
	cc->ssthresh = UINT64_MAX;
	cc->pace_burst = iw;
	cc->pace_tokens = iw * MICRO;
	cc->pace_at = now;
}

uint64_t natt_cc_min_window(const struct natt_cc *cc)
{
	return NATT_CC_MIN_WINDOW_PACKETS * cc->max_datagram;
}

bool natt_cc_can_send(const struct natt_cc *cc)
{
	return cc->in_flight + cc->max_datagram <= cc->cwnd;
}

bool natt_cc_in_slow_start(const struct natt_cc *cc)
{
	return cc->cwnd < cc->ssthresh;
}

static void pace_consume(struct natt_cc *cc, uint64_t bytes)
{
	uint64_t need = bytes * MICRO;

	cc->pace_tokens = cc->pace_tokens > need ? cc->pace_tokens - need : 0;
}

void natt_cc_on_sent(struct natt_cc *cc, uint64_t bytes, natt_time_t now)
{
	(void)now;
	cc->in_flight += bytes;
	pace_consume(cc, bytes);
}

static bool in_recovery(const struct natt_cc *cc, natt_time_t sent_time)
{
	return cc->in_recovery && sent_time <= cc->recovery_start;
}

static void leave_flight(struct natt_cc *cc, uint64_t bytes)
{
	cc->in_flight = cc->in_flight > bytes ? cc->in_flight - bytes : 0;
}

void natt_cc_on_acked(struct natt_cc *cc, uint64_t bytes, natt_time_t sent_time, bool app_limited)
{
	leave_flight(cc, bytes);
	if (in_recovery(cc, sent_time) || app_limited)
		return;
	if (natt_cc_in_slow_start(cc)) {
		cc->cwnd += bytes;
		return;
	}
	/* cwnd += max_datagram * bytes / cwnd, without losing the remainders. */
	cc->ca_acked += bytes;
	if (cc->ca_acked >= cc->cwnd) {
		cc->ca_acked -= cc->cwnd;
		cc->cwnd += cc->max_datagram;
	}
}

void natt_cc_on_lost(struct natt_cc *cc, uint64_t bytes)
{
	leave_flight(cc, bytes);
}

void natt_cc_on_congestion(struct natt_cc *cc, natt_time_t sent_time, natt_time_t now)
{
	uint64_t minw = natt_cc_min_window(cc);

	if (in_recovery(cc, sent_time))
		return;
	cc->in_recovery = true;
	cc->recovery_start = now;
	cc->ssthresh = cc->cwnd * NATT_CC_LOSS_REDUCTION_NUM / NATT_CC_LOSS_REDUCTION_DEN;
	if (cc->ssthresh < minw)
		cc->ssthresh = minw;
	cc->cwnd = cc->ssthresh;
	cc->ca_acked = 0;
	cc->congestion_events++;
}

void natt_cc_on_persistent_congestion(struct natt_cc *cc)
{
	cc->cwnd = natt_cc_min_window(cc);
	cc->in_recovery = false;
	cc->ca_acked = 0;
	cc->persistent_events++;
}

/* Pacing rate in bytes per second. */
static uint64_t pace_rate(const struct natt_cc *cc, natt_time_t srtt)
{
	uint64_t num = NATT_CC_PACE_CA_NUM, den = NATT_CC_PACE_CA_DEN;

	if (natt_cc_in_slow_start(cc)) {
		num = NATT_CC_PACE_SS_NUM;
		den = NATT_CC_PACE_SS_DEN;
	}
	if (srtt < NATT_MSEC / 10)
		srtt = NATT_MSEC / 10;
	return cc->cwnd * num * MICRO / den / srtt + 1;
}

natt_time_t natt_cc_pace_time(struct natt_cc *cc, natt_time_t srtt, uint64_t bytes, natt_time_t now)
{
	uint64_t rate = pace_rate(cc, srtt);
	uint64_t cap = cc->pace_burst * MICRO;
	uint64_t need = bytes * MICRO;
	natt_time_t idle = now > cc->pace_at ? now - cc->pace_at : 0;

	if (idle > PACE_MAX_IDLE)
		idle = PACE_MAX_IDLE;
	cc->pace_tokens += idle * rate;
	if (cc->pace_tokens > cap)
		cc->pace_tokens = cap;
	if (now > cc->pace_at)
		cc->pace_at = now;
	if (cc->pace_tokens >= need)
		return now;
	return now + (need - cc->pace_tokens + rate - 1) / rate;
}
