/*
 * session.c: one peer session (session.h): lifecycle, paths, states and
 * endings, the timers, closing.  Datagrams in and out are in
 * session_io.c, the pump between the reliable stream and TLS in
 * session_stream.c, control messages in session_ctl.c, events, counters
 * and the status line in session_log.c.
 *
 * Timers, one line each (natt_session_deadline() returns the earliest):
 *   stream     the reliable stream's own (rudp.h): ACK delay, loss and
 *              probe timeouts, pacing, closing and draining
 *   keepalive  the data channel's (datachan.h): an empty DATA packet after
 *              keepalive_s without sending; the previous epoch's overlap
 *   handshake  not ESTABLISHED handshake_timeout after the start: FAILED,
 *              silently (the peer is unreachable or not answering)
 *   idle       ESTABLISHED, nothing authenticated for idle_timeout_s:
 *              FAILED, silently (RFC 9000 10.1: an idle end sends nothing)
 *   close      a close still winding down NATT_SESSION_CLOSE_TIMEOUT after
 *              it began: the stream is aborted with the close code
 *   hs ping    client, waiting for the server's first flight with nothing
 *              in flight: a PING after one probe timeout, doubling up to
 *              the stream's max_pto, reset by any packet received
 *              (RFC 9002 6.2.2.1; session.h, "Anti-amplification")
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "punch.h"
#include "session_int.h"

static natt_time_t min_time(natt_time_t a, natt_time_t b)
{
	return a < b ? a : b;
}

void natt_session_config_default(struct natt_session_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->ncipher = 2;
	cfg->cipher[0] = NATT_CIPHER_AES_256_GCM;
	cfg->cipher[1] = NATT_CIPHER_CHACHA20_POLY1305;
	cfg->keepalive_s = NATT_SESSION_KEEPALIVE_S;
	cfg->idle_timeout_s = NATT_SESSION_IDLE_TIMEOUT_S;
	cfg->max_datagram = NATT_DC_MAX_PAYLOAD;
	cfg->handshake_timeout = NATT_SESSION_HANDSHAKE_TIMEOUT;
	cfg->pad_initial = true;
	natt_rudp_limits_default(&cfg->rudp);
}

static void noise(void *arg, uint8_t *buf, size_t len)
{
	(void)arg;
	memset(buf, 0, len);
}

/* The stream limits, checked by the stream itself on a throw-away one. */
static bool rudp_limits_ok(const struct natt_rudp_limits *l, struct natt_seal *seal)
{
	struct natt_rudp *c = NULL;
	int rc = natt_rudp_new(&c, NATT_RUDP_CLIENT, 1, 2, seal, noise, NULL, l, 0);

	natt_rudp_free(c);
	return rc == NATT_OK;
}

static bool config_ok(const struct natt_session_config *cfg, struct natt_seal *seal)
{
	if (cfg->ncipher < 1 || cfg->ncipher > NATT_MAX_CIPHERS)
		return false;
	for (unsigned int i = 0; i < cfg->ncipher; i++)
		if (natt_dc_cipher_name(cfg->cipher[i]) == NULL)
			return false;
	return cfg->keepalive_s >= 1 && cfg->keepalive_s <= NATT_KEEPALIVE_MAX_S &&
	       cfg->idle_timeout_s > 2 * cfg->keepalive_s && cfg->max_datagram >= 1 &&
	       cfg->max_datagram <= NATT_DC_MAX_PAYLOAD && cfg->handshake_timeout > 0 &&
	       cfg->rekey_packets <= NATT_DC_REKEY_PACKETS && rudp_limits_ok(&cfg->rudp, seal);
}

int natt_session_new(struct natt_session **out, const struct natt_session_config *cfg,
		     enum natt_session_role role, struct natt_seal *seal, struct natt_tls_ctx *tls,
		     natt_random_fn rand, void *rand_arg, natt_cid_t local_cid, natt_time_t now)
{
	struct natt_session_config def;
	struct natt_session *s;

	if (out == NULL)
		return NATT_ERR_INVALID;
	*out = NULL;
	if (cfg == NULL) {
		natt_session_config_default(&def);
		cfg = &def;
	}
	if (seal == NULL || tls == NULL || rand == NULL || local_cid == 0 ||
	    (role != NATT_SESSION_CLIENT && role != NATT_SESSION_SERVER) || !config_ok(cfg, seal))
		return NATT_ERR_INVALID;
	s = calloc(1, sizeof(*s));
	if (s == NULL)
		return NATT_ERR_NOMEM;
	s->cfg = *cfg;
	s->cfg.rudp.idle_timeout = 0; /* the session's idle and handshake timers rule */
	s->cfg.rudp.keepalive = 0;    /* the data channel keeps the path warm */
	s->role = role;
	s->state = NATT_SESSION_NEW;
	s->seal = seal;
	s->tls_ctx = tls;
	s->rand = rand;
	s->rand_arg = rand_arg;
	s->local_cid = local_cid;
	s->keepalive_s = cfg->keepalive_s;
	s->idle_timeout_s = cfg->idle_timeout_s;
	s->peer_max_datagram = NATT_DC_MAX_PAYLOAD;
	s->started_at = now;
	s->last_rx = now;
	s->hs_ping_at = NATT_TIME_NEVER;
	*out = s;
	return NATT_OK;
}

void natt_session_free(struct natt_session *s)
{
	if (s == NULL)
		return;
	natt_dc_free(s->dc);
	natt_tls_free(s->tls);
	natt_rudp_free(s->rudp);
	free(s);
}

/* ---- small shared helpers ---- */

bool natt_session_same_addr(const struct natt_cand *a, const struct natt_cand *b)
{
	return a->family == b->family && a->port == b->port &&
	       memcmp(a->addr, b->addr, sizeof(a->addr)) == 0;
}

bool natt_session_same_path(const struct natt_session_path *a, const struct natt_session_path *b)
{
	return a->sock == b->sock && natt_session_same_addr(&a->remote, &b->remote);
}

static bool addr_ok(const struct natt_cand *c)
{
	return (c->family == 4 || c->family == 6) && c->port != 0;
}

static bool printable(const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (s[i] < 0x20 || s[i] > 0x7e)
			return false;
	return true;
}

void natt_session_set_text(struct natt_session_end *e, const char *text, size_t len)
{
	if (len > NATT_MAX_REASON)
		len = NATT_MAX_REASON;
	if (len > 0)
		memcpy(e->text, text, len);
	e->text[len] = '\0';
}

bool natt_session_code_orderly(uint16_t code)
{
	return code == NATT_CLOSE_NO_ERROR || code == NATT_CLOSE_SHUTDOWN ||
	       code == NATT_CLOSE_IDLE_TIMEOUT;
}

bool natt_session_ended(const struct natt_session *s)
{
	return s->state == NATT_SESSION_CLOSED || s->state == NATT_SESSION_FAILED;
}

bool natt_session_stream_open(const struct natt_session *s)
{
	return s->rudp != NULL && !s->silent && natt_rudp_state(s->rudp) == NATT_RUDP_OPEN;
}

/* ---- states and endings ---- */

void natt_session_set_state(struct natt_session *s, natt_time_t now, enum natt_session_state st,
			    const char *text)
{
	struct natt_session_event *ev;
	enum natt_session_state from = s->state;

	if (from == st)
		return;
	s->state = st;
	ev = natt_session_event(s, now, NATT_SESSION_EV_STATE, 3, "%s", text);
	ev->from = from;
	ev->to = st;
}

void natt_session_stop_data(struct natt_session *s)
{
	if (s->dc == NULL)
		return;
	s->st.tx_epoch = natt_dc_tx_epoch(s->dc);
	s->st.rx_epoch = natt_dc_rx_epoch(s->dc);
	natt_dc_free(s->dc); /* wipes the keys */
	s->dc = NULL;
	s->ka_len = 0;
}

void natt_session_end_with(struct natt_session *s, natt_time_t now, enum natt_session_reason r)
{
	char text[NATT_SESSION_EVENT_TEXT];
	const char *d = s->end.detail[0] != '\0' ? s->end.detail : s->end.text;

	s->end.reason = r;
	natt_session_stop_data(s);
	if (r == NATT_SESSION_R_CLOSED)
		snprintf(text, sizeof(text), "closed: %s", d);
	else
		snprintf(text, sizeof(text), "failed: %s: %s", natt_session_reason_name(r), d);
	natt_session_set_state(
		s, now, r == NATT_SESSION_R_CLOSED ? NATT_SESSION_CLOSED : NATT_SESSION_FAILED,
		text);
}

void natt_session_abort(struct natt_session *s, natt_time_t now, enum natt_session_reason r,
			uint16_t code, const char *text)
{
	s->end.remote = false;
	s->end.authenticated = false;
	s->end.code = code;
	natt_session_set_text(&s->end, text, strlen(text));
	if (natt_session_stream_open(s))
		natt_rudp_abort(s->rudp, now, code, s->end.text);
	natt_session_end_with(s, now, r);
}

/* A silent end: nothing more is sent (timeouts). */
static void end_silently(struct natt_session *s, natt_time_t now, enum natt_session_reason r,
			 const char *detail)
{
	s->silent = true;
	s->end.remote = false;
	s->end.code = NATT_CLOSE_IDLE_TIMEOUT;
	natt_session_set_text(&s->end, detail, strlen(detail));
	snprintf(s->end.detail, sizeof(s->end.detail), "%s", detail);
	natt_session_end_with(s, now, r);
}

void natt_session_move_path(struct natt_session *s, natt_time_t now,
			    const struct natt_session_path *to, const char *why)
{
	char a[NATT_SESSION_ADDR_STR], b[NATT_SESSION_ADDR_STR];
	struct natt_session_event *ev;

	if (natt_session_same_path(&s->path, to))
		return;
	natt_session_fmt_addr(&s->path.remote, a, sizeof(a));
	natt_session_fmt_addr(&to->remote, b, sizeof(b));
	ev = natt_session_event(s, now, NATT_SESSION_EV_PATH_CHANGED, 3,
				"path moved from %s/%u to %s/%u (%s)", a, s->path.sock, b, to->sock,
				why);
	ev->path = *to;
	s->path = *to;
	memset(&s->last_candidate, 0, sizeof(s->last_candidate));
}

/* ---- starting, paths ---- */

int natt_session_set_path(struct natt_session *s, natt_cid_t peer_cid,
			  const struct natt_session_path *path, bool validated, natt_time_t now)
{
	enum natt_rudp_role rr =
		s->role == NATT_SESSION_CLIENT ? NATT_RUDP_CLIENT : NATT_RUDP_SERVER;
	char a[NATT_SESSION_ADDR_STR], text[NATT_SESSION_EVENT_TEXT];
	int rc;

	if (peer_cid == 0 || path == NULL || !addr_ok(&path->remote) ||
	    s->state != NATT_SESSION_NEW)
		return NATT_ERR_INVALID;
	rc = natt_rudp_new(&s->rudp, rr, s->local_cid, peer_cid, s->seal, s->rand, s->rand_arg,
			   &s->cfg.rudp, now);
	if (rc != NATT_OK)
		return rc;
	rc = natt_tls_new(&s->tls, s->tls_ctx);
	if (rc != NATT_OK) {
		natt_rudp_free(s->rudp);
		s->rudp = NULL;
		return rc;
	}
	if (validated)
		natt_rudp_set_validated(s->rudp);
	s->peer_cid = peer_cid;
	s->path = *path;
	s->have_path = true;
	s->started_at = now;
	s->last_rx = now;
	snprintf(text, sizeof(text),
		 "handshake started as %s towards %s/%u, cid %016llx -> %016llx%s",
		 s->role == NATT_SESSION_CLIENT ? "client" : "server",
		 natt_session_fmt_addr(&path->remote, a, sizeof(a)), path->sock,
		 (unsigned long long)s->local_cid, (unsigned long long)peer_cid,
		 validated ? ", path validated" : "");
	natt_session_set_state(s, now, NATT_SESSION_HANDSHAKE, text);
	natt_session_pump(s, now);
	return NATT_OK;
}

int natt_session_start_punched(struct natt_session *s, struct natt_punch *p, natt_time_t now)
{
	struct natt_punch_path pp;
	struct natt_session_path path;
	int rc;

	if (p == NULL || natt_punch_state(p) != NATT_PUNCH_CONNECTED || !natt_punch_path(p, &pp) ||
	    natt_punch_peer_cid(p) == 0)
		return NATT_ERR_INVALID;
	path.sock = pp.sock;
	path.remote = pp.remote;
	rc = natt_session_set_path(s, natt_punch_peer_cid(p), &path, true, now);
	if (rc == NATT_OK)
		s->punch = p;
	return rc;
}

int natt_session_migrate(struct natt_session *s, const struct natt_session_path *path,
			 natt_time_t now)
{
	if (path == NULL || !addr_ok(&path->remote) || !s->have_path)
		return NATT_ERR_INVALID;
	natt_session_move_path(s, now, path, "by the caller");
	return NATT_OK;
}

/* ---- timers ---- */

/* A close (ours or the peer's) still winding down. */
static bool winding_down(const struct natt_session *s)
{
	return s->fin_wanted && natt_session_stream_open(s);
}

natt_time_t natt_session_deadline(const struct natt_session *s)
{
	natt_time_t t = NATT_TIME_NEVER;

	if (s->rudp == NULL || natt_session_done(s))
		return NATT_TIME_NEVER;
	if (!s->silent)
		t = natt_rudp_deadline(s->rudp);
	if (s->dc != NULL && s->ka_len == 0)
		t = min_time(t, natt_dc_next_expiry(s->dc));
	if (s->state == NATT_SESSION_HANDSHAKE)
		t = min_time(t, s->started_at + s->cfg.handshake_timeout);
	if (s->state == NATT_SESSION_ESTABLISHED)
		t = min_time(t, s->last_rx + (natt_time_t)s->idle_timeout_s * NATT_SEC);
	if (winding_down(s))
		t = min_time(t, s->closing_at + NATT_SESSION_CLOSE_TIMEOUT);
	return min_time(t, s->hs_ping_at);
}

static void data_timer(struct natt_session *s, natt_time_t now)
{
	int n;

	if (s->dc == NULL || s->ka_len > 0 || now < natt_dc_next_expiry(s->dc))
		return;
	n = natt_dc_handle_expiry(s->dc, now, s->ka, sizeof(s->ka));
	if (n > 0)
		s->ka_len = (size_t)n;
	else if (n < 0)
		natt_session_abort(s, now, NATT_SESSION_R_INTERNAL, NATT_CLOSE_INTERNAL,
				   "cannot seal a keepalive");
}

static void session_timers(struct natt_session *s, natt_time_t now)
{
	char d[128];

	if (s->state == NATT_SESSION_HANDSHAKE && now >= s->started_at + s->cfg.handshake_timeout) {
		snprintf(d, sizeof(d), "handshake not complete after %llu s",
			 (unsigned long long)(s->cfg.handshake_timeout / NATT_SEC));
		end_silently(s, now, NATT_SESSION_R_HANDSHAKE_TIMEOUT, d);
	} else if (s->state == NATT_SESSION_ESTABLISHED &&
		   now >= s->last_rx + (natt_time_t)s->idle_timeout_s * NATT_SEC) {
		snprintf(d, sizeof(d), "nothing received for %u s", s->idle_timeout_s);
		end_silently(s, now, NATT_SESSION_R_IDLE_TIMEOUT, d);
	} else if (winding_down(s) && now >= s->closing_at + NATT_SESSION_CLOSE_TIMEOUT) {
		natt_rudp_abort(s->rudp, now, s->end.code, s->end.text);
		snprintf(s->end.detail + strlen(s->end.detail),
			 sizeof(s->end.detail) - strlen(s->end.detail), " (close timed out)");
		if (s->state == NATT_SESSION_CLOSING)
			natt_session_end_with(s, now, NATT_SESSION_R_CLOSED);
	}
}

void natt_session_on_timeout(struct natt_session *s, natt_time_t now)
{
	if (s->rudp == NULL || natt_session_done(s))
		return;
	if (!s->silent)
		natt_rudp_on_timeout(s->rudp, now);
	data_timer(s, now);
	session_timers(s, now);
	if (now >= s->hs_ping_at && natt_session_hs_ping_wanted(s)) {
		natt_rudp_ping(s->rudp);
		s->hs_pings++;
		s->hs_ping_at = NATT_TIME_NEVER;
	}
	natt_session_pump(s, now);
}

/* ---- closing ---- */

int natt_session_close(struct natt_session *s, natt_time_t now, uint16_t code, const char *reason)
{
	size_t len = reason != NULL ? strlen(reason) : 0;

	if (len > NATT_MAX_REASON)
		len = NATT_MAX_REASON;
	if (!printable(reason != NULL ? reason : "", len))
		return NATT_ERR_INVALID;
	if (s->state == NATT_SESSION_CLOSING || natt_session_ended(s))
		return NATT_ERR_CLOSED;
	s->end.remote = false;
	s->end.authenticated = true;
	s->end.code = code;
	natt_session_set_text(&s->end, reason != NULL ? reason : "", len);
	snprintf(s->end.detail, sizeof(s->end.detail), "closed locally: %s%s%s",
		 natt_close_code_name(code), len > 0 ? ": " : "", s->end.text);
	natt_session_stop_data(s);
	if (natt_session_stream_open(s) && natt_tls_state(s->tls) == NATT_TLS_ESTABLISHED) {
		natt_session_ctl_close(s, now, code, s->end.text);
	} else if (natt_session_stream_open(s)) {
		s->end.authenticated = false;
		natt_rudp_abort(s->rudp, now, code, s->end.text);
	} else {
		s->silent = true;
		natt_session_end_with(s, now, NATT_SESSION_R_CLOSED);
		return NATT_OK;
	}
	natt_session_set_state(s, now, NATT_SESSION_CLOSING, s->end.detail);
	natt_session_pump(s, now);
	return NATT_OK;
}

bool natt_session_done(const struct natt_session *s)
{
	if (!natt_session_ended(s))
		return false;
	return s->rudp == NULL || s->silent || natt_rudp_state(s->rudp) == NATT_RUDP_CLOSED;
}

enum natt_session_state natt_session_state(const struct natt_session *s)
{
	return s->state;
}

void natt_session_path(const struct natt_session *s, struct natt_session_path *path)
{
	*path = s->path;
}

natt_cid_t natt_session_peer_cid(const struct natt_session *s)
{
	return s->peer_cid;
}

const char *natt_session_peer_name(const struct natt_session *s)
{
	return s->tls != NULL ? natt_tls_peer_name(s->tls) : "";
}
