/*
 * session_log.c: what a session tells the outside: the event queue, the
 * counters and the loss estimate, the one-line status, names.  snprintf is
 * used for formatting only; nothing here writes anywhere but the caller's
 * buffers.
 *
 * Loss estimate: for each receive epoch the highest counter seen plus one
 * is how many packets the peer had sent by then (counters start at 0 and
 * every packet, keepalives included, takes the next); minus the packets
 * accepted, that is how many are missing.  A late packet reduces the
 * figure again, so reordering is not counted as loss once it arrived.
 * Epochs the data channel no longer holds keep their final count.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "session_int.h"

struct natt_session_event *natt_session_event(struct natt_session *s, natt_time_t now,
					      enum natt_session_event_type type, int verb,
					      const char *fmt, ...)
{
	struct natt_session_event *ev;
	va_list ap;

	if (s->ev_count == NATT_SESSION_EVENTS) {
		s->ev_head = (s->ev_head + 1) % NATT_SESSION_EVENTS;
		s->ev_count--;
		s->st.events_dropped++;
	}
	ev = &s->ev[(s->ev_head + s->ev_count) % NATT_SESSION_EVENTS];
	s->ev_count++;
	memset(ev, 0, sizeof(*ev));
	ev->type = type;
	ev->at = now;
	ev->verb = verb;
	ev->from = ev->to = s->state;
	va_start(ap, fmt);
	vsnprintf(ev->text, sizeof(ev->text), fmt, ap);
	va_end(ap);
	return ev;
}

bool natt_session_next_event(struct natt_session *s, struct natt_session_event *ev)
{
	if (s->ev_count == 0)
		return false;
	*ev = s->ev[s->ev_head];
	s->ev_head = (s->ev_head + 1) % NATT_SESSION_EVENTS;
	s->ev_count--;
	return true;
}

static uint64_t acct_missing(const struct session_rx_acct *a)
{
	return a->top > a->seen ? a->top - a->seen : 0;
}

void natt_session_acct_rx(struct natt_session *s, const struct natt_dc_rx_info *info)
{
	struct session_rx_acct *a;

	if (info->switched) {
		s->lost_final += acct_missing(&s->acct[1]);
		s->acct[1] = s->acct[0];
		memset(&s->acct[0], 0, sizeof(s->acct[0]));
		s->acct[0].epoch = info->epoch;
	}
	if (info->epoch == s->acct[0].epoch)
		a = &s->acct[0];
	else if (info->epoch == s->acct[1].epoch && s->acct[1].seen > 0)
		a = &s->acct[1];
	else
		return;
	a->seen++;
	if (info->counter >= a->top)
		a->top = info->counter + 1;
}

static uint64_t data_lost(const struct natt_session *s)
{
	return s->lost_final + acct_missing(&s->acct[0]) + acct_missing(&s->acct[1]);
}

void natt_session_get_stats(const struct natt_session *s, struct natt_session_stats *st)
{
	struct natt_rudp_stats rs;

	*st = s->st;
	st->state = s->state;
	st->role = s->role;
	st->local_cid = s->local_cid;
	st->peer_cid = s->peer_cid;
	st->path = s->path;
	st->cipher = s->cipher;
	st->keepalive_s = s->keepalive_s;
	st->idle_timeout_s = s->idle_timeout_s;
	st->peer_max_datagram = s->peer_max_datagram;
	st->data_lost = data_lost(s);
	if (s->dc != NULL) {
		st->tx_epoch = natt_dc_tx_epoch(s->dc);
		st->rx_epoch = natt_dc_rx_epoch(s->dc);
	}
	if (s->rudp == NULL)
		return;
	natt_rudp_get_stats(s->rudp, &rs);
	st->srtt = rs.srtt;
	st->min_rtt = rs.min_rtt;
	st->validated = rs.validated;
	st->control = !s->silent && !s->control_lost &&
		      natt_rudp_state(s->rudp) == NATT_RUDP_OPEN &&
		      natt_tls_state(s->tls) == NATT_TLS_ESTABLISHED;
}

void natt_session_get_end(const struct natt_session *s, struct natt_session_end *e)
{
	*e = s->end;
}

const char *natt_session_fmt_addr(const struct natt_cand *c, char *buf, size_t cap)
{
	return natt_cand_format(c, buf, cap);
}

int natt_session_status(const struct natt_session *s, char *buf, size_t len)
{
	struct natt_session_stats st;
	char a[NATT_SESSION_ADDR_STR];
	const char *peer = natt_session_peer_name(s);
	const char *cipher = natt_dc_cipher_name(s->cipher);
	uint64_t total;

	natt_session_get_stats(s, &st);
	total = st.data_packets_in + st.keepalives_in + st.data_lost;
	return snprintf(buf, len,
			"peer %s cid %016llx path %s/%u state %s rtt %.1f ms "
			"loss %.2f%% (%llu/%llu) cipher %s epoch %llu/%llu in %llu/%llu "
			"out %llu/%llu",
			peer[0] != '\0' ? peer : "?", (unsigned long long)s->peer_cid,
			natt_session_fmt_addr(&s->path.remote, a, sizeof(a)), s->path.sock,
			natt_session_state_name(s->state), (double)st.srtt / NATT_MSEC,
			total > 0 ? 100.0 * (double)st.data_lost / (double)total : 0.0,
			(unsigned long long)st.data_lost, (unsigned long long)total,
			cipher != NULL ? cipher : "none", (unsigned long long)st.tx_epoch,
			(unsigned long long)st.rx_epoch, (unsigned long long)st.data_packets_in,
			(unsigned long long)st.data_bytes_in,
			(unsigned long long)st.data_packets_out,
			(unsigned long long)st.data_bytes_out);
}

const char *natt_session_state_name(enum natt_session_state st)
{
	switch (st) {
	case NATT_SESSION_NEW: return "new";
	case NATT_SESSION_HANDSHAKE: return "handshake";
	case NATT_SESSION_ESTABLISHED: return "established";
	case NATT_SESSION_CLOSING: return "closing";
	case NATT_SESSION_CLOSED: return "closed";
	case NATT_SESSION_FAILED: return "failed";
	}
	return "unknown";
}

const char *natt_session_reason_name(enum natt_session_reason r)
{
	switch (r) {
	case NATT_SESSION_R_NONE: return "none";
	case NATT_SESSION_R_CLOSED: return "closed";
	case NATT_SESSION_R_TLS: return "TLS failure";
	case NATT_SESSION_R_PEER_CLOSE: return "closed by peer";
	case NATT_SESSION_R_NO_COMMON_CIPHER: return "no common cipher";
	case NATT_SESSION_R_PROTOCOL: return "protocol violation";
	case NATT_SESSION_R_UNREACHABLE: return "peer unreachable";
	case NATT_SESSION_R_IDLE_TIMEOUT: return "idle timeout";
	case NATT_SESSION_R_HANDSHAKE_TIMEOUT: return "handshake timeout";
	case NATT_SESSION_R_INTERNAL: return "internal error";
	}
	return "unknown";
}
