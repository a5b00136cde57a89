/*
 * rudp_loss.c: acknowledgements received, loss detection and the probe
 * timeout of the reliable stream (RFC 9002 section 6, appendix A), feeding
 * the RTT estimator and NewReno.
 *
 * Timers, one line each:
 *   loss timer  a packet below the largest acknowledged is lost once it is
 *               older than 9/8 RTT; the timer waits for the oldest such one
 *   probe (PTO) smoothed_rtt + 4 rttvar + max_ack_delay after the newest
 *               ack-eliciting packet, doubled per consecutive expiry, capped
 *               at max_pto (default 2 s); each expiry sends two probes;
 *               max_ptos (default 30) in a row without an acknowledgement
 *               and the peer is unreachable
 * Packet threshold: a packet 3 or more below the largest acknowledged is lost.
 */
#include "rudp_int.h"

static void on_packet_acked(struct natt_rudp *c, size_t idx)
{
	struct natt_sent *s = natt_rtb_at(&c->rtb, idx);
	bool was_lost = s->flags & NATT_SENT_LOST;

	natt_rtb_resolve(&c->rtb, idx, NATT_SENT_ACKED);
	if (!was_lost)
		natt_cc_on_acked(&c->cc, s->size, s->time, c->app_limited);
	for (unsigned i = 0; i < s->nchunks; i++)
		natt_sendbuf_on_acked(&c->sb, s->chunk[i].offset, s->chunk[i].len, s->chunk[i].fin);
	if (s->flags & NATT_SENT_HAS_ACK)
		natt_ackr_on_ack_acked(&c->ackr, s->ack_largest);
}

static void on_packet_lost(struct natt_rudp *c, size_t idx)
{
	struct natt_sent *s = natt_rtb_at(&c->rtb, idx);

	natt_rtb_resolve(&c->rtb, idx, NATT_SENT_LOST);
	natt_cc_on_lost(&c->cc, s->size);
	for (unsigned i = 0; i < s->nchunks; i++)
		natt_sendbuf_on_lost(&c->sb, s->chunk[i].offset, s->chunk[i].len, s->chunk[i].fin);
	if ((s->flags & NATT_SENT_HAS_MAX_DATA) && s->max_data == c->rcv_max)
		c->max_data_pending = true;
	c->st.packets_lost++;
}

/* RFC 9002 7.6.1: (smoothed + max(4 var, granularity) + max_ack_delay) * 3. */
static natt_time_t persistent_duration(const struct natt_rudp *c)
{
	return natt_rtt_pto(&c->rtt, NATT_RUDP_MAX_ACK_DELAY) * NATT_CC_PERSISTENT_THRESHOLD;
}

/*
 * RFC 9002 7.6.2: two lost ack-eliciting packets, sent after the first RTT
 * sample, more than the persistent duration apart, with nothing
 * acknowledged in between, the later one among those just declared lost
 * (packet numbers fresh_lo..fresh_hi), so an old run is not counted twice.
 */
static bool persistent_congestion(struct natt_rudp *c, uint64_t fresh_lo, uint64_t fresh_hi)
{
	natt_time_t dur = persistent_duration(c), start = 0;
	bool run = false;

	if (!c->rtt.has_sample)
		return false;
	for (size_t i = 0; i < c->rtb.count; i++) {
		const struct natt_sent *s = natt_rtb_at(&c->rtb, i);

		if (s->flags & NATT_SENT_ACKED) {
			run = false;
			continue;
		}
		if (!(s->flags & NATT_SENT_LOST) || s->time < c->rtt.first_sample_at)
			continue;
		if (!run) {
			run = true;
			start = s->time;
		} else if (s->time - start > dur && s->pn >= fresh_lo && s->pn <= fresh_hi) {
			return true;
		}
	}
	return false;
}

/* RFC 9002 A.10: DetectAndRemoveLostPackets. */
static void detect_lost(struct natt_rudp *c, natt_time_t now)
{
	natt_time_t delay = natt_rtt_loss_delay(&c->rtt);
	natt_time_t newest_lost = 0;
	uint64_t fresh_lo = UINT64_MAX, fresh_hi = 0;

	c->loss_time = NATT_TIME_NEVER;
	if (!c->any_acked)
		return;
	for (size_t i = 0; i < c->rtb.count; i++) {
		struct natt_sent *s = natt_rtb_at(&c->rtb, i);

		if (s->pn > c->largest_acked)
			break;
		if (s->flags & (NATT_SENT_ACKED | NATT_SENT_LOST))
			continue;
		if (s->time + delay <= now ||
		    c->largest_acked >= s->pn + NATT_RUDP_PACKET_THRESHOLD) {
			on_packet_lost(c, i);
			if (s->time > newest_lost)
				newest_lost = s->time;
			if (fresh_lo == UINT64_MAX)
				fresh_lo = s->pn;
			fresh_hi = s->pn;
		} else if (s->time + delay < c->loss_time) {
			c->loss_time = s->time + delay;
		}
	}
	if (fresh_lo == UINT64_MAX)
		return;
	natt_cc_on_congestion(&c->cc, newest_lost, now);
	if (persistent_congestion(c, fresh_lo, fresh_hi))
		natt_cc_on_persistent_congestion(&c->cc);
}

/* Acknowledges every record in [lo, hi]; returns whether any was new and
 * sets *largest_at when hi's own record was among them. */
static bool ack_interval(struct natt_rudp *c, uint64_t lo, uint64_t hi, uint64_t largest,
			 natt_time_t *largest_at)
{
	bool any = false;

	for (size_t i = natt_rtb_lower_bound(&c->rtb, lo); i < c->rtb.count; i++) {
		struct natt_sent *s = natt_rtb_at(&c->rtb, i);

		if (s->pn > hi)
			break;
		if (s->flags & NATT_SENT_ACKED)
			continue;
		if (s->pn == largest && !(s->flags & NATT_SENT_LOST))
			*largest_at = s->time;
		on_packet_acked(c, i);
		any = true;
	}
	return any;
}

int natt_rudp_on_ack(struct natt_rudp *c, const struct natt_frame *f, natt_time_t now)
{
	natt_time_t largest_at = NATT_TIME_NEVER;
	bool any = false;
	uint64_t lo, hi;

	if (f->ack.largest >= c->next_pn)
		return NATT_ERR_BAD_VALUE; /* acknowledges a packet never sent */
	c->validated = true;
	if (!c->any_acked || f->ack.largest > c->largest_acked) {
		c->any_acked = true;
		c->largest_acked = f->ack.largest;
	}
	for (unsigned i = 0; i <= f->ack.range_count; i++) {
		if (natt_ack_interval(f, i, &lo, &hi) != NATT_OK)
			return NATT_ERR_BAD_FRAME;
		any |= ack_interval(c, lo, hi, f->ack.largest, &largest_at);
	}
	if (!any)
		return NATT_OK;
	if (largest_at != NATT_TIME_NEVER)
		natt_rtt_update(&c->rtt, now - largest_at, f->ack.ack_delay_us,
				NATT_RUDP_MAX_ACK_DELAY, now);
	detect_lost(c, now);
	c->pto_count = 0;
	natt_rtb_trim(&c->rtb);
	c->st.stream_bytes_acked = c->sb.base;
	return NATT_OK;
}

/* The backed-off probe timeout, capped at max_pto (or at the base PTO on a
 * path so slow that its base is already above the cap). */
static natt_time_t pto_duration(const struct natt_rudp *c)
{
	natt_time_t d = natt_rudp_pto_base(c);
	natt_time_t cap = c->lim.max_pto > d ? c->lim.max_pto : d;

	for (unsigned i = 0; i < c->pto_count && d < cap; i++)
		d *= 2;
	return d < cap ? d : cap;
}

/* RFC 9002 A.8: SetLossDetectionTimer. */
natt_time_t natt_rudp_loss_deadline(const struct natt_rudp *c)
{
	if (c->loss_time != NATT_TIME_NEVER)
		return c->loss_time;
	if (c->rtb.eliciting_in_flight == 0)
		return NATT_TIME_NEVER;
	if (natt_rudp_amp_budget(c) < NATT_RUDP_MIN_PACKET)
		return NATT_TIME_NEVER; /* blocked: a probe could not be sent anyway */
	return c->rtb.last_sent + pto_duration(c);
}

/* RFC 9002 A.9: OnLossDetectionTimeout. */
void natt_rudp_loss_on_timeout(struct natt_rudp *c, natt_time_t now)
{
	natt_time_t t = natt_rudp_loss_deadline(c);

	if (t > now)
		return;
	if (c->loss_time != NATT_TIME_NEVER) {
		detect_lost(c, now);
		natt_rtb_trim(&c->rtb);
		return;
	}
	c->pto_count++;
	c->st.pto_count_total++;
	if (c->pto_count > c->lim.max_ptos) {
		c->state = NATT_RUDP_CLOSED;
		c->ci.end = NATT_RUDP_END_UNREACHABLE;
		return;
	}
	c->probes = NATT_RUDP_PTO_PROBES;
}

void natt_rudp_on_sent(struct natt_rudp *c, struct natt_sent *rec, natt_time_t now)
{
	rec->time = now;
	rec->flags |= NATT_SENT_IN_FLIGHT;
	if (natt_rtb_add(&c->rtb, rec) != NATT_OK) {
		/* Unrecorded, the data would never be retransmitted. */
		natt_rudp_enter_closing(c, now, NATT_RUDP_END_INTERNAL, NATT_CLOSE_INTERNAL,
					"out of memory");
		return;
	}
	natt_cc_on_sent(&c->cc, rec->size, now);
}
