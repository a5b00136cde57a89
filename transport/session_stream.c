/*
 * session_stream.c: the pump between the reliable stream and TLS, and
 * what the session makes of their ends.  Stream bytes go into TLS, TLS
 * bytes into the stream; TLS progress sends the client's PARAMS offer and
 * reads control messages (session_ctl.c); a TLS failure aborts the stream
 * with CLOSE(TLS_FAILED, reason), so that the peer learns why; the
 * stream's end ends the handshake, or, once ESTABLISHED, only the control
 * channel (session.h, "Trust").  The client's handshake PING lives here
 * too (session.c lists the timer).
 */
#include <stdio.h>
#include <string.h>

#include "punch.h"
#include "session_int.h"

/* Rounds of stream -> TLS -> stream per pump: each moves at least one
 * chunk, so the bound is never reached in practice; it only rules out a
 * loop that could spin. */
#define PUMP_ROUNDS 256

/* TLS failed (a certificate refused here, the peer's alert, bad bytes). */
static void on_tls_failed(struct natt_session *s, natt_time_t now)
{
	const char *detail;
	enum natt_tls_reason r = natt_tls_failure(s->tls, &detail);

	if (s->tls_failure_seen || natt_session_ended(s))
		return;
	s->tls_failure_seen = true;
	s->end.tls = r;
	snprintf(s->end.detail, sizeof(s->end.detail), "TLS: %s", detail);
	natt_session_abort(s, now, NATT_SESSION_R_TLS, NATT_CLOSE_TLS_FAILED,
			   natt_tls_reason_name(r));
}

/* The peer's close_notify without a CLOSE message first: an orderly end
 * all the same (TLS authenticated it). */
static void on_tls_closed(struct natt_session *s, natt_time_t now)
{
	s->end.remote = true;
	s->end.authenticated = true;
	s->end.code = NATT_CLOSE_NO_ERROR;
	natt_session_set_text(&s->end, "close_notify", 12);
	snprintf(s->end.detail, sizeof(s->end.detail), "peer closed TLS (close_notify)");
	s->fin_wanted = true;
	s->closing_at = now;
	natt_session_stop_data(s);
	natt_session_set_state(s, now, NATT_SESSION_CLOSING, s->end.detail);
}

/* The stream ended before ESTABLISHED: the handshake is over. */
static void stream_ended_early(struct natt_session *s, natt_time_t now,
			       const struct natt_rudp_close_info *ci)
{
	enum natt_session_reason r = NATT_SESSION_R_INTERNAL;

	s->end.code = ci->code;
	s->end.remote = ci->remote;
	s->end.authenticated = false;
	natt_session_set_text(&s->end, ci->reason, strlen(ci->reason));
	switch (ci->end) {
	case NATT_RUDP_END_ORDERLY:
	case NATT_RUDP_END_PEER_CLOSE:
		r = natt_session_code_orderly(ci->code) ? NATT_SESSION_R_CLOSED
							: NATT_SESSION_R_PEER_CLOSE;
		snprintf(s->end.detail, sizeof(s->end.detail),
			 "peer ended the handshake (CLOSE frame, network key only): %s%s%s",
			 natt_close_code_name(ci->code), ci->reason[0] ? ": " : "", ci->reason);
		break;
	case NATT_RUDP_END_UNREACHABLE: r = NATT_SESSION_R_UNREACHABLE; break;
	case NATT_RUDP_END_IDLE_TIMEOUT: r = NATT_SESSION_R_IDLE_TIMEOUT; break;
	case NATT_RUDP_END_PROTOCOL: r = NATT_SESSION_R_PROTOCOL; break;
	default: break;
	}
	if (s->end.detail[0] == '\0')
		snprintf(s->end.detail, sizeof(s->end.detail), "stream: %s%s%s",
			 natt_rudp_end_name(ci->end), ci->reason[0] ? ": " : "", ci->reason);
	natt_session_end_with(s, now, r);
}

/* ESTABLISHED and the stream ended without a CLOSE inside TLS: only the
 * control channel is gone (session.h, "Trust"). */
static void control_lost(struct natt_session *s, natt_time_t now,
			 const struct natt_rudp_close_info *ci)
{
	s->control_lost = true;
	natt_session_event(s, now, NATT_SESSION_EV_CONTROL_LOST, 3,
			   "control channel lost (%s%s%s%s%s), data channel carries on",
			   natt_rudp_end_name(ci->end),
			   ci->remote ? ", unauthenticated CLOSE " : "",
			   ci->remote ? natt_close_code_name(ci->code) : "",
			   ci->reason[0] ? ": " : "", ci->reason);
}

static void check_stream_end(struct natt_session *s, natt_time_t now)
{
	struct natt_rudp_close_info ci;

	if (natt_rudp_state(s->rudp) == NATT_RUDP_OPEN)
		return;
	natt_rudp_get_close_info(s->rudp, &ci);
	switch (s->state) {
	case NATT_SESSION_HANDSHAKE: stream_ended_early(s, now, &ci); break;
	case NATT_SESSION_ESTABLISHED:
		if (!s->control_lost)
			control_lost(s, now, &ci);
		break;
	case NATT_SESSION_CLOSING: natt_session_end_with(s, now, NATT_SESSION_R_CLOSED); break;
	default: break;
	}
}

/* ---- the pump: stream bytes into TLS, TLS bytes into the stream ---- */

/* Feeds what the stream received into TLS; keeps what TLS did not take. */
static bool stream_in(struct natt_session *s)
{
	bool moved = false;
	int n;

	for (;;) {
		if (s->in_off == s->in_len) {
			s->in_off = 0;
			s->in_len = natt_rudp_read(s->rudp, s->in, sizeof(s->in));
			if (s->in_len == 0)
				return moved;
		}
		n = natt_tls_feed(s->tls, s->in + s->in_off, s->in_len - s->in_off);
		if (n <= 0)
			return moved;
		s->in_off += (size_t)n;
		moved = true;
		if (s->in_off < s->in_len)
			return moved; /* TLS is full: read control messages first */
	}
}

/* Writes TLS output into the stream, as much as the send buffer takes. */
static bool stream_out(struct natt_session *s, natt_time_t now)
{
	uint8_t buf[SESSION_IO_CHUNK];
	bool moved = false;

	while (natt_session_stream_open(s) && !s->fin_done && !s->tls_failure_seen &&
	       natt_tls_pending(s->tls) > 0) {
		size_t space = natt_rudp_write_space(s->rudp);
		int n;

		if (space == 0)
			break;
		n = natt_tls_pull(s->tls, buf, space < sizeof(buf) ? space : sizeof(buf));
		if (n <= 0)
			break;
		if (natt_rudp_write(s->rudp, buf, (size_t)n) != n) {
			natt_session_abort(s, now, NATT_SESSION_R_INTERNAL, NATT_CLOSE_INTERNAL,
					   "stream write failed");
			break;
		}
		moved = true;
	}
	return moved;
}

static void tls_progress(struct natt_session *s, natt_time_t now)
{
	enum natt_tls_state ts = natt_tls_state(s->tls);

	if (ts == NATT_TLS_ESTABLISHED && s->role == NATT_SESSION_CLIENT && !s->params_sent &&
	    s->state == NATT_SESSION_HANDSHAKE && natt_session_send_offer(s) != NATT_OK) {
		natt_session_abort(s, now, NATT_SESSION_R_INTERNAL, NATT_CLOSE_INTERNAL,
				   "cannot send PARAMS");
		return;
	}
	natt_session_read_ctl(s, now);
	ts = natt_tls_state(s->tls);
	if (ts == NATT_TLS_FAILED)
		on_tls_failed(s, now);
	else if (ts == NATT_TLS_CLOSED && !s->fin_wanted &&
		 (s->state == NATT_SESSION_HANDSHAKE || s->state == NATT_SESSION_ESTABLISHED))
		on_tls_closed(s, now);
}

/* Punch selected another path (it validated it): follow. */
static void follow_punch(struct natt_session *s, natt_time_t now)
{
	struct natt_punch_path pp;
	struct natt_session_path np;

	if (s->punch == NULL || natt_punch_state(s->punch) != NATT_PUNCH_CONNECTED ||
	    !natt_punch_path(s->punch, &pp))
		return;
	np.sock = pp.sock;
	np.remote = pp.remote;
	natt_session_move_path(s, now, &np, "validated by punch");
}

/* The client still waits for the server's first flight. */
bool natt_session_before_server_flight(const struct natt_session *s)
{
	return s->role == NATT_SESSION_CLIENT && s->state == NATT_SESSION_HANDSHAKE &&
	       natt_session_stream_open(s) && natt_tls_state(s->tls) == NATT_TLS_HANDSHAKING;
}

bool natt_session_hs_ping_wanted(const struct natt_session *s)
{
	struct natt_rudp_stats rs;

	if (!natt_session_before_server_flight(s))
		return false;
	natt_rudp_get_stats(s->rudp, &rs);
	return rs.bytes_in_flight == 0;
}

/* The stream's probe timeout (RFC 9002 6.2.1), backed off per ping. */
static natt_time_t hs_ping_interval(const struct natt_session *s)
{
	struct natt_rudp_stats rs;
	natt_time_t d, cap = s->cfg.rudp.max_pto;

	natt_rudp_get_stats(s->rudp, &rs);
	d = rs.srtt + 4 * rs.rttvar + NATT_SESSION_PEER_ACK_DELAY;
	for (unsigned int i = 0; i < s->hs_pings && d < cap; i++)
		d *= 2;
	return d < cap ? d : cap;
}

void natt_session_arm_ping(struct natt_session *s, natt_time_t now)
{
	if (!natt_session_hs_ping_wanted(s))
		s->hs_ping_at = NATT_TIME_NEVER;
	else if (s->hs_ping_at == NATT_TIME_NEVER)
		s->hs_ping_at = now + hs_ping_interval(s);
}

void natt_session_pump(struct natt_session *s, natt_time_t now)
{
	if (s->rudp == NULL || s->silent)
		return;
	for (int i = 0; i < PUMP_ROUNDS; i++) {
		bool moved = stream_in(s);

		tls_progress(s, now);
		moved |= stream_out(s, now);
		if (!moved)
			break;
	}
	if (s->fin_wanted && !s->fin_done && natt_session_stream_open(s) &&
	    (natt_tls_pending(s->tls) == 0 || s->tls_failure_seen)) {
		natt_rudp_close(s->rudp);
		s->fin_done = true;
	}
	check_stream_end(s, now);
	follow_punch(s, now);
	natt_session_arm_ping(s, now);
}
