/*
 * rudp.c: the reliable stream's lifecycle, stream API and timers (rudp.h).
 * Receiving is in rudp_recv.c, sending in rudp_send.c, acknowledgements
 * and loss detection in rudp_loss.c.
 *
 * Timers, one line each (natt_rudp_deadline() returns the earliest):
 *   ack delay   an ACK is owed 25 ms after an ack-eliciting packet (ackr.h)
 *   loss/probe  see rudp_loss.c
 *   pacing      the next packet may leave when the pacer has credit (cc.h)
 *   idle        nothing received for max(idle_timeout, 3 PTO) since the
 *               last receipt or the first ack-eliciting packet sent after
 *               it: closed silently (RFC 9000 10.1)
 *   keepalive   nothing sent or received for `keepalive`: send a PING
 *   closing     CLOSING and DRAINING end 3 PTO after they begin (RFC 9000 10.2)
 */
#include <stdlib.h>
#include <string.h>

#include "rudp_int.h"

#define MIB (1024 * 1024)

void natt_rudp_limits_default(struct natt_rudp_limits *l)
{
	memset(l, 0, sizeof(*l));
	l->send_buffer = 1 * MIB;
	l->max_recv_window = 4 * MIB;
	l->ooo_limit = 4 * MIB;
	l->idle_timeout = 60 * NATT_SEC;
	l->keepalive = 0;
	l->max_pto = 2 * NATT_SEC;
	l->max_ptos = 30;
}

static bool limits_ok(const struct natt_rudp_limits *l)
{
	return l->send_buffer > 0 && l->max_recv_window >= NATT_RUDP_INITIAL_MAX_DATA &&
	       l->max_recv_window <= (size_t)1 << 30 && l->ooo_limit > 0 && l->max_pto > 0 &&
	       l->max_ptos > 0;
}

int natt_rudp_new(struct natt_rudp **out, enum natt_rudp_role role, natt_cid_t local_cid,
		  natt_cid_t peer_cid, struct natt_seal *seal, natt_random_fn rand, void *rand_arg,
		  const struct natt_rudp_limits *limits, natt_time_t now)
{
	struct natt_rudp *c;
	struct natt_rudp_limits def;

	*out = NULL;
	if (limits == NULL) {
		natt_rudp_limits_default(&def);
		limits = &def;
	}
	if (local_cid == 0 || peer_cid == 0 || seal == NULL || rand == NULL ||
	    (role != NATT_RUDP_CLIENT && role != NATT_RUDP_SERVER) || !limits_ok(limits))
		return NATT_ERR_INVALID;
	c = calloc(1, sizeof(*c));
	if (c == NULL)
		return NATT_ERR_NOMEM;
	c->role = role;
	c->local_cid = local_cid;
	c->peer_cid = peer_cid;
	c->seal = seal;
	c->rand = rand;
	c->rand_arg = rand_arg;
	c->lim = *limits;
	natt_replay_init(&c->replay, NATT_RUDP_REPLAY_WINDOW);
	natt_ackr_init(&c->ackr, NATT_RUDP_MAX_ACK_DELAY);
	natt_rtb_init(&c->rtb);
	natt_rtt_init(&c->rtt);
	natt_cc_init(&c->cc, NATT_MAX_HANDSHAKE, now);
	c->loss_time = NATT_TIME_NEVER;
	natt_sendbuf_init(&c->sb, limits->send_buffer);
	if (natt_recvbuf_init(&c->rb, NATT_RUDP_INITIAL_MAX_DATA, limits->max_recv_window) !=
	    NATT_OK) {
		natt_rudp_free(c);
		return NATT_ERR_NOMEM;
	}
	c->peer_max_data = NATT_RUDP_INITIAL_MAX_DATA;
	c->rcv_max = NATT_RUDP_INITIAL_MAX_DATA;
	c->rcv_window = NATT_RUDP_INITIAL_MAX_DATA;
	c->window_at = now;
	c->validated = role == NATT_RUDP_CLIENT;
	c->idle_base = now;
	c->last_activity = now;
	c->close_deadline = NATT_TIME_NEVER;
	*out = c;
	return NATT_OK;
}

void natt_rudp_free(struct natt_rudp *c)
{
	if (c == NULL)
		return;
	natt_ackr_free(&c->ackr);
	natt_rtb_free(&c->rtb);
	natt_sendbuf_free(&c->sb);
	natt_recvbuf_free(&c->rb);
	free(c);
}

/* ---- shared helpers ---- */

natt_time_t natt_rudp_pto_base(const struct natt_rudp *c)
{
	return natt_rtt_pto(&c->rtt, NATT_RUDP_MAX_ACK_DELAY);
}

uint64_t natt_rudp_amp_budget(const struct natt_rudp *c)
{
	uint64_t allowed;

	if (c->validated)
		return UINT64_MAX;
	allowed = NATT_RUDP_AMPLIFICATION_FACTOR * c->amp_received;
	return allowed > c->amp_sent ? allowed - c->amp_sent : 0;
}

bool natt_rudp_has_stream_data(const struct natt_rudp *c)
{
	struct natt_chunk ch;

	return natt_sendbuf_next(&c->sb, NATT_MAX_HANDSHAKE, c->peer_max_data, &ch);
}

/* Drops what is in flight: nothing more will be retransmitted. */
static void forget_sending(struct natt_rudp *c)
{
	natt_sendbuf_discard(&c->sb);
	natt_rtb_clear(&c->rtb);
	c->cc.in_flight = 0;
	c->loss_time = NATT_TIME_NEVER;
	c->probes = 0;
	c->ping_pending = false;
	c->max_data_pending = false;
}

static void set_reason(struct natt_rudp *c, const uint8_t *reason, size_t len)
{
	if (len > NATT_MAX_REASON)
		len = NATT_MAX_REASON;
	if (len > 0)
		memcpy(c->ci.reason, reason, len);
	c->ci.reason[len] = '\0';
}

void natt_rudp_enter_closing(struct natt_rudp *c, natt_time_t now, enum natt_rudp_end end,
			     uint16_t code, const char *reason)
{
	if (c->state != NATT_RUDP_OPEN)
		return;
	forget_sending(c);
	c->state = NATT_RUDP_CLOSING;
	c->close_pending = true;
	c->close_deadline = now + NATT_RUDP_CLOSE_PTOS * natt_rudp_pto_base(c);
	c->ci.end = end;
	c->ci.remote = false;
	c->ci.code = code;
	set_reason(c, (const uint8_t *)(reason ? reason : ""), reason ? strlen(reason) : 0);
}

/* Both directions finished and acknowledged. */
static bool streams_done(const struct natt_rudp *c)
{
	return natt_sendbuf_done(&c->sb) && natt_recvbuf_complete(&c->rb);
}

/*
 * A peer sends CLOSE(NO_ERROR) only once it has received our whole stream
 * and its FIN was acknowledged (natt_rudp_check_orderly), so that CLOSE
 * also confirms our data even if some of its ACKs never reached us.
 */
void natt_rudp_enter_draining(struct natt_rudp *c, natt_time_t now, uint16_t code,
			      const uint8_t *reason, size_t reason_len)
{
	bool orderly =
		code == NATT_CLOSE_NO_ERROR && c->sb.fin_sent && natt_recvbuf_complete(&c->rb);

	if (c->state != NATT_RUDP_OPEN)
		return;
	c->ci.end = orderly ? NATT_RUDP_END_ORDERLY : NATT_RUDP_END_PEER_CLOSE;
	c->ci.remote = true;
	c->ci.code = code;
	set_reason(c, reason, reason_len);
	forget_sending(c);
	c->state = NATT_RUDP_DRAINING;
	c->close_deadline = now + NATT_RUDP_CLOSE_PTOS * natt_rudp_pto_base(c);
}

void natt_rudp_check_orderly(struct natt_rudp *c, natt_time_t now)
{
	if (c->state == NATT_RUDP_OPEN && streams_done(c))
		natt_rudp_enter_closing(c, now, NATT_RUDP_END_ORDERLY, NATT_CLOSE_NO_ERROR, NULL);
}

/* Raises the peer's credit once half the window is used; doubles the window
 * (auto-tuning) when that took less than 2 RTTs. */
void natt_rudp_update_window(struct natt_rudp *c, natt_time_t now)
{
	uint64_t left = c->rcv_max - c->rb.read;

	if (c->max_data_pending || left >= c->rcv_window / 2 || natt_recvbuf_complete(&c->rb))
		return;
	if (now - c->window_at < 2 * c->rtt.smoothed && c->rcv_window < c->lim.max_recv_window) {
		uint64_t w = c->rcv_window * 2;

		if (w > c->lim.max_recv_window)
			w = c->lim.max_recv_window;
		if (natt_recvbuf_reserve(&c->rb, (size_t)w) == NATT_OK)
			c->rcv_window = w;
	}
	c->rcv_max = c->rb.read + c->rcv_window;
	c->window_at = now;
	c->max_data_pending = true;
}

/* ---- stream API ---- */

long natt_rudp_write(struct natt_rudp *c, const uint8_t *data, size_t len)
{
	if (c->state != NATT_RUDP_OPEN || c->sb.fin)
		return NATT_ERR_CLOSED;
	return natt_sendbuf_write(&c->sb, data, len);
}

size_t natt_rudp_write_space(const struct natt_rudp *c)
{
	if (c->state != NATT_RUDP_OPEN)
		return 0;
	return natt_sendbuf_space(&c->sb);
}

size_t natt_rudp_read(struct natt_rudp *c, uint8_t *buf, size_t cap)
{
	return natt_recvbuf_read(&c->rb, buf, cap);
}

bool natt_rudp_read_eof(const struct natt_rudp *c)
{
	return natt_recvbuf_eof(&c->rb);
}

int natt_rudp_close(struct natt_rudp *c)
{
	if (c->state != NATT_RUDP_OPEN)
		return NATT_ERR_CLOSED;
	natt_sendbuf_finish(&c->sb);
	return NATT_OK;
}

static bool printable(const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (s[i] < 0x20 || s[i] > 0x7e)
			return false;
	return true;
}

int natt_rudp_abort(struct natt_rudp *c, natt_time_t now, uint16_t code, const char *reason)
{
	size_t len = reason != NULL ? strlen(reason) : 0;

	if (c->state != NATT_RUDP_OPEN)
		return NATT_ERR_CLOSED;
	if (len > NATT_MAX_REASON)
		len = NATT_MAX_REASON;
	if (!printable(reason != NULL ? reason : "", len))
		return NATT_ERR_INVALID;
	natt_rudp_enter_closing(c, now, NATT_RUDP_END_LOCAL_ABORT, code, NULL);
	set_reason(c, (const uint8_t *)(reason != NULL ? reason : ""), len);
	return NATT_OK;
}

int natt_rudp_ping(struct natt_rudp *c)
{
	if (c->state != NATT_RUDP_OPEN)
		return NATT_ERR_CLOSED;
	c->ping_pending = true;
	return NATT_OK;
}

void natt_rudp_set_validated(struct natt_rudp *c)
{
	c->validated = true;
}

/* ---- timers ---- */

static natt_time_t idle_deadline(const struct natt_rudp *c)
{
	natt_time_t t = c->lim.idle_timeout;
	natt_time_t floor = NATT_RUDP_CLOSE_PTOS * natt_rudp_pto_base(c);

	if (t == 0)
		return NATT_TIME_NEVER;
	return c->idle_base + (t > floor ? t : floor);
}

static natt_time_t keepalive_deadline(const struct natt_rudp *c)
{
	if (c->lim.keepalive == 0 || c->ping_pending)
		return NATT_TIME_NEVER;
	return c->last_activity + c->lim.keepalive;
}

/* When the pacer lets the next packet go, if that is all that holds it. */
static natt_time_t pacing_deadline(const struct natt_rudp *c)
{
	struct natt_cc cc = c->cc;
	bool eliciting = c->max_data_pending || c->ping_pending || natt_rudp_has_stream_data(c);

	if (c->probes > 0 || !eliciting || !natt_cc_can_send(&c->cc))
		return NATT_TIME_NEVER;
	return natt_cc_pace_time(&cc, c->rtt.smoothed, NATT_MAX_HANDSHAKE, cc.pace_at);
}

static natt_time_t min_time(natt_time_t a, natt_time_t b)
{
	return a < b ? a : b;
}

natt_time_t natt_rudp_deadline(const struct natt_rudp *c)
{
	natt_time_t t;

	if (c->state == NATT_RUDP_CLOSED)
		return NATT_TIME_NEVER;
	if (c->state != NATT_RUDP_OPEN)
		return c->close_deadline;
	t = min_time(idle_deadline(c), natt_rudp_loss_deadline(c));
	if (natt_rudp_amp_budget(c) < NATT_RUDP_MIN_SEND)
		return t; /* nothing could be sent: sending timers would spin */
	t = min_time(t, natt_ackr_deadline(&c->ackr));
	t = min_time(t, keepalive_deadline(c));
	return min_time(t, pacing_deadline(c));
}

int natt_rudp_on_timeout(struct natt_rudp *c, natt_time_t now)
{
	if (c->state == NATT_RUDP_CLOSED)
		return NATT_OK;
	if (c->state != NATT_RUDP_OPEN) {
		if (now >= c->close_deadline)
			c->state = NATT_RUDP_CLOSED;
		return NATT_OK;
	}
	if (now >= idle_deadline(c)) {
		c->state = NATT_RUDP_CLOSED;
		c->ci.end = NATT_RUDP_END_IDLE_TIMEOUT;
		c->ci.code = NATT_CLOSE_IDLE_TIMEOUT;
		return NATT_OK;
	}
	natt_rudp_loss_on_timeout(c, now);
	if (now >= keepalive_deadline(c))
		c->ping_pending = true;
	return NATT_OK;
}

/* ---- introspection ---- */

enum natt_rudp_state natt_rudp_state(const struct natt_rudp *c)
{
	return c->state;
}

void natt_rudp_get_stats(const struct natt_rudp *c, struct natt_rudp_stats *st)
{
	*st = c->st;
	st->congestion_events = c->cc.congestion_events;
	st->persistent_congestion = c->cc.persistent_events;
	st->srtt = c->rtt.smoothed;
	st->rttvar = c->rtt.var;
	st->min_rtt = c->rtt.min;
	st->latest_rtt = c->rtt.latest;
	st->cwnd = c->cc.cwnd;
	st->ssthresh = c->cc.ssthresh;
	st->bytes_in_flight = c->cc.in_flight;
	st->recv_window = c->rcv_window;
	st->peer_max_data = c->peer_max_data;
	st->pto_count = c->pto_count;
	st->validated = c->validated;
}

void natt_rudp_get_close_info(const struct natt_rudp *c, struct natt_rudp_close_info *ci)
{
	*ci = c->ci;
}

const char *natt_rudp_state_name(enum natt_rudp_state s)
{
	switch (s) {
	case NATT_RUDP_OPEN: return "open";
	case NATT_RUDP_CLOSING: return "closing";
	case NATT_RUDP_DRAINING: return "draining";
	case NATT_RUDP_CLOSED: return "closed";
	}
	return "unknown";
}

const char *natt_rudp_end_name(enum natt_rudp_end e)
{
	switch (e) {
	case NATT_RUDP_END_NONE: return "none";
	case NATT_RUDP_END_ORDERLY: return "orderly close";
	case NATT_RUDP_END_LOCAL_ABORT: return "aborted locally";
	case NATT_RUDP_END_PEER_CLOSE: return "closed by peer";
	case NATT_RUDP_END_PROTOCOL: return "protocol violation";
	case NATT_RUDP_END_IDLE_TIMEOUT: return "idle timeout";
	case NATT_RUDP_END_UNREACHABLE: return "peer unreachable";
	case NATT_RUDP_END_INTERNAL: return "internal error";
	}
	return "unknown";
}
