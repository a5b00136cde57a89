/*
 * session_ctl.c: the session's control messages inside TLS (PROTOCOL.md
 * 9): the PARAMS offer and answer, the start of the data channel, PING and
 * CLOSE.
 *
 * Negotiation (PROTOCOL.md 9.1 leaves the rules to the implementation):
 *   cipher        the server takes the first cipher of its own list that
 *                 the client offered (the server's preference wins, as in
 *                 OpenVPN's data-ciphers); none: CLOSE(PROTOCOL_VIOLATION,
 *                 "no common cipher") and both sides FAILED
 *   keepalive     the smaller of the two: both sides send keepalives at
 *                 that interval, so both NATs' mappings stay fresh
 *   idle timeout  the smaller of the two, but at least twice the
 *                 keepalive plus one second, so one lost keepalive never
 *                 ends a session
 *   max datagram  each side's own limit on what it receives; a side never
 *                 sends more than the peer's (absent: NATT_DC_MAX_PAYLOAD)
 * Each side sends PARAMS once, first; a second PARAMS, or a PING before
 * PARAMS, is a protocol violation; unknown messages are ignored.  A PING
 * is answered with a PING unless it answers ours, so two peers never
 * ping-pong.
 */
#include <stdio.h>
#include <string.h>

#include <openssl/crypto.h>

#include "session_int.h"

static void base_params(const struct natt_session *s, struct natt_ctl_msg *m)
{
	memset(m, 0, sizeof(*m));
	m->type = NATT_CTL_PARAMS;
	m->params.present = NATT_PARAM_CIPHERS | NATT_PARAM_KEEPALIVE | NATT_PARAM_IDLE_TIMEOUT |
			    NATT_PARAM_MAX_DATAGRAM;
	m->params.keepalive_s = s->cfg.keepalive_s;
	m->params.idle_timeout_s = s->cfg.idle_timeout_s;
	m->params.max_datagram = s->cfg.max_datagram;
}

int natt_session_send_offer(struct natt_session *s)
{
	struct natt_ctl_msg m;
	int rc;

	base_params(s, &m);
	m.params.ncipher = s->cfg.ncipher;
	memcpy(m.params.cipher, s->cfg.cipher, s->cfg.ncipher);
	rc = natt_tls_send_ctl(s->tls, &m);
	if (rc == NATT_OK)
		s->params_sent = true;
	return rc;
}

static int send_answer(struct natt_session *s)
{
	struct natt_ctl_msg m;

	base_params(s, &m);
	m.params.ncipher = 1;
	m.params.cipher[0] = s->cipher;
	s->params_sent = true;
	return natt_tls_send_ctl(s->tls, &m);
}

void natt_session_ctl_close(struct natt_session *s, natt_time_t now, uint16_t code,
			    const char *reason)
{
	struct natt_ctl_msg m = {.type = NATT_CTL_CLOSE};
	size_t len = strlen(reason);

	m.close.code = code;
	m.close.reason_len = (uint8_t)(len < NATT_MAX_REASON ? len : NATT_MAX_REASON);
	memcpy(m.close.reason, reason, m.close.reason_len);
	/* A failure here leaves close_notify and the FIN to tell the peer. */
	natt_tls_send_ctl(s->tls, &m);
	natt_tls_close(s->tls);
	s->fin_wanted = true;
	s->closing_at = now;
}

/* Ends the session with a CLOSE inside TLS (authenticated, so the peer
 * trusts it) for a finding of ours. */
static void fail_in_tls(struct natt_session *s, natt_time_t now, enum natt_session_reason r,
			uint16_t code, const char *text)
{
	s->end.remote = false;
	s->end.authenticated = true;
	s->end.code = code;
	natt_session_set_text(&s->end, text, strlen(text));
	natt_session_ctl_close(s, now, code, s->end.text);
	natt_session_end_with(s, now, r);
}

static void violation(struct natt_session *s, natt_time_t now, const char *what)
{
	snprintf(s->end.detail, sizeof(s->end.detail), "peer broke the protocol: %s", what);
	fail_in_tls(s, now, NATT_SESSION_R_PROTOCOL, NATT_CLOSE_PROTOCOL_VIOLATION, what);
}

static bool offered(const uint8_t *list, unsigned int n, uint8_t cipher)
{
	for (unsigned int i = 0; i < n; i++)
		if (list[i] == cipher)
			return true;
	return false;
}

/* Names of a cipher list, for the log. */
static const char *cipher_list(const uint8_t *list, unsigned int n, char *buf, size_t cap)
{
	size_t off = 0;

	buf[0] = '\0';
	for (unsigned int i = 0; i < n && off < cap; i++) {
		const char *name = natt_dc_cipher_name(list[i]);
		int w = snprintf(buf + off, cap - off, "%s%s", i > 0 ? " " : "",
				 name != NULL ? name : "unknown");

		if (w < 0)
			break;
		off += (size_t)w;
	}
	return buf;
}

/* The peer's values against ours (the header's rules).  Returns NULL or
 * what is wrong. */
static const char *negotiate(struct natt_session *s, const struct natt_ctl_msg *m)
{
	unsigned int present = m->params.present;
	uint16_t k = s->cfg.keepalive_s, idle = s->cfg.idle_timeout_s;

	if ((present & NATT_PARAM_MAX_DATAGRAM) && m->params.max_datagram == 0)
		return "MAX_DATAGRAM 0";
	if ((present & NATT_PARAM_KEEPALIVE) && m->params.keepalive_s < k)
		k = m->params.keepalive_s;
	if ((present & NATT_PARAM_IDLE_TIMEOUT) && m->params.idle_timeout_s != 0 &&
	    m->params.idle_timeout_s < idle)
		idle = m->params.idle_timeout_s;
	if (idle < 2 * k + 1)
		idle = (uint16_t)(2 * k + 1);
	s->keepalive_s = k;
	s->idle_timeout_s = idle;
	if (present & NATT_PARAM_MAX_DATAGRAM)
		s->peer_max_datagram = m->params.max_datagram < NATT_DC_MAX_PAYLOAD
					       ? m->params.max_datagram
					       : NATT_DC_MAX_PAYLOAD;
	return NULL;
}

/* Hands both directions' S_0 to the key log hook (PROTOCOL.md 12): the
 * one we send with under the peer's cid, the one we receive with under ours. */
_Static_assert(sizeof(((struct natt_session_keylog *)0)->secret) == NATT_TLS_SECRET_LEN,
	       "key log secret size");

static void keylog(const struct natt_session *s, const uint8_t tx[NATT_TLS_SECRET_LEN],
		   const uint8_t rx[NATT_TLS_SECRET_LEN])
{
	struct natt_session_keylog k = {.cid = s->peer_cid, .cipher = s->cipher, .tx = true};

	memcpy(k.secret, tx, sizeof(k.secret));
	s->cfg.keylog(s->cfg.keylog_ctx, &k);
	k.cid = s->local_cid;
	k.tx = false;
	memcpy(k.secret, rx, sizeof(k.secret));
	s->cfg.keylog(s->cfg.keylog_ctx, &k);
	OPENSSL_cleanse(&k, sizeof(k));
}

/* Keys from the TLS exporter (client tx = c2s), then ESTABLISHED. */
static void start_data(struct natt_session *s, natt_time_t now)
{
	uint8_t tx[NATT_TLS_SECRET_LEN], rx[NATT_TLS_SECRET_LEN];
	char text[NATT_SESSION_EVENT_TEXT];
	struct natt_dc_config dcc;
	int rc;

	natt_dc_config_default(&dcc);
	dcc.cipher = s->cipher;
	dcc.keepalive = (natt_time_t)s->keepalive_s * NATT_SEC;
	if (s->cfg.rekey_packets != 0)
		dcc.rekey_packets = s->cfg.rekey_packets;
	if (s->cfg.rekey_after != 0)
		dcc.rekey_after = s->cfg.rekey_after;
	rc = natt_tls_export(s->tls, tx, rx);
	if (rc == NATT_OK && s->cfg.keylog != NULL)
		keylog(s, tx, rx);
	if (rc == NATT_OK)
		rc = natt_dc_new(&s->dc, &dcc, tx, rx, s->peer_cid, s->local_cid, now);
	OPENSSL_cleanse(tx, sizeof(tx));
	OPENSSL_cleanse(rx, sizeof(rx));
	if (rc != NATT_OK) {
		snprintf(s->end.detail, sizeof(s->end.detail), "data channel: %s",
			 natt_strerror(rc));
		fail_in_tls(s, now, NATT_SESSION_R_INTERNAL, NATT_CLOSE_INTERNAL,
			    "data channel setup failed");
		return;
	}
	s->established_at = now;
	s->last_rx = now;
	s->st.handshake_time = now - s->started_at;
	snprintf(text, sizeof(text),
		 "established with %s in %.1f ms: %s, keepalive %u s, idle timeout %u s",
		 natt_tls_peer_name(s->tls), (double)s->st.handshake_time / NATT_MSEC,
		 natt_dc_cipher_name(s->cipher), s->keepalive_s, s->idle_timeout_s);
	natt_session_set_state(s, now, NATT_SESSION_ESTABLISHED, text);
}

/* Server: the first cipher of our list that the client offered. */
static uint8_t choose_cipher(const struct natt_session *s, const struct natt_ctl_msg *m)
{
	for (unsigned int i = 0; i < s->cfg.ncipher; i++)
		if (offered(m->params.cipher, m->params.ncipher, s->cfg.cipher[i]))
			return s->cfg.cipher[i];
	return 0;
}

static void server_params(struct natt_session *s, natt_time_t now, const struct natt_ctl_msg *m)
{
	char theirs[128], ours[128];
	const char *bad;

	if (!(m->params.present & NATT_PARAM_CIPHERS)) {
		violation(s, now, "PARAMS without CIPHERS");
		return;
	}
	s->cipher = choose_cipher(s, m);
	if (s->cipher == 0) {
		snprintf(s->end.detail, sizeof(s->end.detail),
			 "no common cipher: peer offers %s; we accept %s",
			 cipher_list(m->params.cipher, m->params.ncipher, theirs, sizeof(theirs)),
			 cipher_list(s->cfg.cipher, s->cfg.ncipher, ours, sizeof(ours)));
		fail_in_tls(s, now, NATT_SESSION_R_NO_COMMON_CIPHER, NATT_CLOSE_PROTOCOL_VIOLATION,
			    "no common cipher");
		return;
	}
	bad = negotiate(s, m);
	if (bad != NULL) {
		violation(s, now, bad);
		return;
	}
	if (send_answer(s) != NATT_OK) {
		snprintf(s->end.detail, sizeof(s->end.detail), "cannot send PARAMS");
		fail_in_tls(s, now, NATT_SESSION_R_INTERNAL, NATT_CLOSE_INTERNAL,
			    "cannot send PARAMS");
		return;
	}
	start_data(s, now);
}

static void client_params(struct natt_session *s, natt_time_t now, const struct natt_ctl_msg *m)
{
	const char *bad;

	if (!(m->params.present & NATT_PARAM_CIPHERS) || m->params.ncipher != 1 ||
	    !offered(s->cfg.cipher, s->cfg.ncipher, m->params.cipher[0])) {
		violation(s, now, "server did not choose exactly one offered cipher");
		return;
	}
	s->cipher = m->params.cipher[0];
	bad = negotiate(s, m);
	if (bad != NULL) {
		violation(s, now, bad);
		return;
	}
	start_data(s, now);
}

static void on_params(struct natt_session *s, natt_time_t now, const struct natt_ctl_msg *m)
{
	if (s->params_received) {
		violation(s, now, "second PARAMS");
		return;
	}
	s->params_received = true;
	if (s->role == NATT_SESSION_SERVER)
		server_params(s, now, m);
	else
		client_params(s, now, m);
}

static void on_ping(struct natt_session *s, natt_time_t now)
{
	struct natt_ctl_msg m = {.type = NATT_CTL_PING};

	if (!s->params_received) {
		violation(s, now, "PING before PARAMS");
		return;
	}
	if (s->ping_outstanding) {
		s->ping_outstanding = false;
		return;
	}
	natt_tls_send_ctl(s->tls, &m); /* a full buffer drops the answer: PING is best effort */
}

/* The peer's CLOSE inside TLS: authenticated, so it ends the session. */
static void on_close(struct natt_session *s, natt_time_t now, const struct natt_ctl_msg *m)
{
	bool orderly = natt_session_code_orderly(m->close.code);

	s->end.remote = true;
	s->end.authenticated = true;
	s->end.code = m->close.code;
	natt_session_set_text(&s->end, m->close.reason, m->close.reason_len);
	snprintf(s->end.detail, sizeof(s->end.detail), "peer closed: %s%s%s",
		 natt_close_code_name(m->close.code), m->close.reason_len > 0 ? ": " : "",
		 s->end.text);
	natt_tls_close(s->tls);
	s->fin_wanted = true;
	s->closing_at = now;
	if (!orderly) {
		natt_session_end_with(s, now, NATT_SESSION_R_PEER_CLOSE);
		return;
	}
	natt_session_stop_data(s);
	natt_session_set_state(s, now, NATT_SESSION_CLOSING, s->end.detail);
}

static void on_malformed(struct natt_session *s, natt_time_t now, int rc)
{
	s->tls_failure_seen = true; /* TLS is FAILED now: the stream says it */
	if (rc == NATT_ERR_NOMEM) {
		snprintf(s->end.detail, sizeof(s->end.detail),
			 "out of memory for a control message");
		natt_session_abort(s, now, NATT_SESSION_R_INTERNAL, NATT_CLOSE_INTERNAL,
				   "out of memory");
		return;
	}
	snprintf(s->end.detail, sizeof(s->end.detail), "peer sent a malformed control message: %s",
		 natt_strerror(rc));
	natt_session_abort(s, now, NATT_SESSION_R_PROTOCOL, NATT_CLOSE_PROTOCOL_VIOLATION,
			   "malformed control message");
}

void natt_session_read_ctl(struct natt_session *s, natt_time_t now)
{
	struct natt_ctl_msg m;
	int rc;

	while (s->state == NATT_SESSION_HANDSHAKE || s->state == NATT_SESSION_ESTABLISHED) {
		rc = natt_tls_recv_ctl(s->tls, &m);
		if (rc == 0)
			return;
		if (rc < 0) {
			on_malformed(s, now, rc);
			return;
		}
		switch (m.type) {
		case NATT_CTL_PARAMS: on_params(s, now, &m); break;
		case NATT_CTL_PING: on_ping(s, now); break;
		case NATT_CTL_CLOSE: on_close(s, now, &m); break;
		default: break; /* unknown: ignored (PROTOCOL.md 9) */
		}
	}
}

int natt_session_ping(struct natt_session *s)
{
	struct natt_ctl_msg m = {.type = NATT_CTL_PING};
	int rc;

	if (s->state != NATT_SESSION_ESTABLISHED || s->control_lost ||
	    natt_tls_state(s->tls) != NATT_TLS_ESTABLISHED)
		return NATT_ERR_CLOSED;
	rc = natt_tls_send_ctl(s->tls, &m);
	if (rc != NATT_OK)
		return rc == NATT_ERR_FULL ? rc : NATT_ERR_CLOSED;
	s->ping_outstanding = true;
	return NATT_OK;
}
