/*
 * session_io.c: the session's datagrams.  In: HANDSHAKE packets feed the
 * reliable stream, DATA packets are opened in place and handed to the
 * caller; whatever authenticated may point to a new path, never move it.
 * Out: OpenVPN datagrams sealed into the caller's buffer (no allocation),
 * then the stream's packets (padded by the client until it has the
 * server's first flight) and the data channel's keepalives.
 */
#include <string.h>

#include "punch.h"
#include "session_int.h"

/* ---- receiving ---- */

/*
 * Something authenticated arrived from `from`.  newest: a DATA packet
 * with the highest counter yet, the only kind that may report a new
 * address (an old reordered packet must not point back to where the peer
 * was).  The path itself is never changed here.
 */
static void on_authenticated(struct natt_session *s, natt_time_t now,
			     const struct natt_session_path *from, bool newest)
{
	struct natt_session_event *ev;
	char a[NATT_SESSION_ADDR_STR];

	s->last_rx = now;
	if (natt_session_same_path(from, &s->path)) {
		if (s->punch != NULL)
			natt_punch_path_activity(s->punch, now, from->sock, &from->remote);
		return;
	}
	if (!newest)
		return;
	s->st.path_candidates++;
	if (s->punch != NULL)
		natt_punch_path_activity(s->punch, now, from->sock, &from->remote);
	if (natt_session_same_addr(&from->remote, &s->last_candidate))
		return;
	s->last_candidate = from->remote;
	ev = natt_session_event(s, now, NATT_SESSION_EV_PATH_CANDIDATE, 3,
				"authenticated data from %s/%u, not the path: validate it",
				natt_session_fmt_addr(&from->remote, a, sizeof(a)), from->sock);
	ev->path = *from;
}

static int recv_handshake(struct natt_session *s, natt_time_t now,
			  const struct natt_session_path *from, const uint8_t *pkt, size_t len)
{
	int rc;

	if (s->silent) {
		s->st.drops.handshake++;
		return NATT_ERR_CLOSED;
	}
	rc = natt_rudp_recv(s->rudp, now, pkt, len);
	if (rc != NATT_OK) {
		s->st.drops.handshake++;
		return rc;
	}
	s->st.handshake_packets_in++;
	s->st.handshake_bytes_in += len;
	s->hs_pings = 0;
	on_authenticated(s, now, from, false);
	natt_session_pump(s, now);
	return 0;
}

static int data_drop(struct natt_session *s, int rc)
{
	if (rc == NATT_ERR_AUTH)
		s->st.drops.data_auth++;
	else if (rc == NATT_ERR_REPLAY || rc == NATT_ERR_TOO_OLD)
		s->st.drops.data_replay++;
	else
		s->st.drops.data_other++;
	return rc;
}

static int recv_data(struct natt_session *s, natt_time_t now, const struct natt_session_path *from,
		     uint8_t *pkt, size_t len, const uint8_t **data)
{
	struct natt_dc_rx_info info;
	int n;

	if (s->dc == NULL || s->state != NATT_SESSION_ESTABLISHED) {
		s->st.drops.data_early++;
		return NATT_ERR_CLOSED;
	}
	n = natt_dc_open(s->dc, now, pkt, len, &info);
	if (n < 0)
		return data_drop(s, n);
	on_authenticated(s, now, from, info.newest);
	natt_session_acct_rx(s, &info);
	if (natt_dc_auth_limit_reached(s->dc)) {
		natt_session_abort(s, now, NATT_SESSION_R_PROTOCOL, NATT_CLOSE_PROTOCOL_VIOLATION,
				   "forgery limit of the data channel reached");
		return 0;
	}
	if (n == 0) {
		s->st.keepalives_in++;
		return 0;
	}
	if ((size_t)n > s->cfg.max_datagram) {
		s->st.drops.data_oversize++;
		return NATT_ERR_BAD_LENGTH;
	}
	s->st.data_packets_in++;
	s->st.data_bytes_in += (uint64_t)n;
	*data = pkt + NATT_DATA_HDR_LEN;
	return n;
}

int natt_session_recv(struct natt_session *s, natt_time_t now, const struct natt_session_path *from,
		      uint8_t *pkt, size_t len, const uint8_t **data)
{
	if (data != NULL)
		*data = NULL;
	if (from == NULL || pkt == NULL || data == NULL)
		return NATT_ERR_INVALID;
	if (s->rudp == NULL) {
		s->st.drops.no_path++;
		return NATT_ERR_INVALID;
	}
	if (len > 0 && pkt[0] == NATT_PT_HANDSHAKE)
		return recv_handshake(s, now, from, pkt, len);
	if (natt_wire_classify(pkt, len) == NATT_CLASS_SHORT)
		return recv_data(s, now, from, pkt, len, data);
	s->st.drops.not_ours++;
	return NATT_ERR_BAD_TYPE;
}

/* ---- sending ---- */

int natt_session_send_data(struct natt_session *s, natt_time_t now, const uint8_t *payload,
			   size_t len, uint8_t *out, size_t cap, struct natt_session_path *dst)
{
	int n;

	if (s->state != NATT_SESSION_ESTABLISHED || s->dc == NULL)
		return NATT_ERR_CLOSED;
	if (len == 0 || len > s->peer_max_datagram || payload == NULL)
		return NATT_ERR_INVALID;
	n = natt_dc_seal(s->dc, now, payload, len, out, cap);
	if (n < 0)
		return n;
	s->st.data_packets_out++;
	s->st.data_bytes_out += len;
	if (s->punch != NULL)
		natt_punch_path_sent(s->punch, now);
	if (dst != NULL)
		*dst = s->path;
	return n;
}

/*
 * Client, before the server answered: pads a HANDSHAKE packet to
 * NATT_MAX_HANDSHAKE (or cap) with PADDING frames so that the server's
 * anti-amplification budget covers its first flight (session.h).  The
 * stream built and sealed the packet; it is opened, padded and sealed again
 * under a fresh salt (a new packet key: the padded plaintext never shares a
 * key with the unpadded one, which is never sent).
 */
static int pad(struct natt_session *s, uint8_t *out, size_t len, size_t cap)
{
	size_t target = cap < NATT_MAX_HANDSHAKE ? cap : NATT_MAX_HANDSHAKE;
	struct natt_frame f = {.type = NATT_FT_PADDING};
	struct natt_header h;
	int body, n;

	if (len + 1 > target || natt_header_decode(&h, out, len) != NATT_OK)
		return (int)len;
	body = natt_seal_open(s->seal, NATT_SEAL_HANDSHAKE, out, h.len, len);
	if (body < 0)
		return NATT_ERR_CRYPTO;
	f.padding.len = target - len;
	n = natt_frame_encode(out + h.len + body, cap - h.len - (size_t)body, &f);
	s->rand(s->rand_arg, h.salt, sizeof(h.salt));
	if (n < 0 || natt_header_encode(out, cap, &h) != (int)h.len)
		return NATT_ERR_CRYPTO;
	s->st.padding_bytes += (uint64_t)n;
	return natt_seal_seal(s->seal, NATT_SEAL_HANDSHAKE, out, h.len, (size_t)body + (size_t)n,
			      cap);
}

static bool padding_wanted(const struct natt_session *s)
{
	return s->cfg.pad_initial && natt_session_before_server_flight(s);
}

static int poll_stream(struct natt_session *s, natt_time_t now, uint8_t *out, size_t cap)
{
	int n = natt_rudp_send(s->rudp, now, out, cap);

	if (n > 0 && padding_wanted(s))
		n = pad(s, out, (size_t)n, cap);
	if (n <= 0)
		return n;
	s->st.handshake_packets_out++;
	s->st.handshake_bytes_out += (uint64_t)n;
	return n;
}

int natt_session_poll_send(struct natt_session *s, natt_time_t now, uint8_t *out, size_t cap,
			   struct natt_session_path *dst)
{
	int n = 0;

	if (s->rudp == NULL || s->silent)
		return 0;
	natt_session_pump(s, now);
	if (!s->silent)
		n = poll_stream(s, now, out, cap);
	natt_session_arm_ping(s, now);
	if (n == 0 && s->ka_len > 0) {
		if (cap < s->ka_len)
			return NATT_ERR_BUFFER;
		memcpy(out, s->ka, s->ka_len);
		n = (int)s->ka_len;
		s->ka_len = 0;
		s->st.keepalives_out++;
	}
	if (n <= 0)
		return n;
	if (s->punch != NULL)
		natt_punch_path_sent(s->punch, now);
	if (dst != NULL)
		*dst = s->path;
	return n;
}
