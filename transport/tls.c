/*
 * tls.c: the TLS session engine (tls.h): bytes in through one memory BIO,
 * bytes out through another, the handshake driven by whatever arrives, and
 * application data decrypted into a buffer as soon as it arrives, so alerts
 * and close_notify are seen without the caller asking.  Configuration is in
 * tls_ctx.c, peer verification in tls_verify.c.
 *
 * OpenSSL's error queue is per thread and shared with whatever else the
 * thread does, so every SSL call is preceded by ERR_clear_error() and a
 * failure drains the queue after reading it.
 */
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bio.h>
#include <openssl/crypto.h>
#include <openssl/err.h>

#include "tls_int.h"

#define RX_INIT 4096			   /* first size of the plaintext buffer */
#define RX_MAX	(NATT_CTL_HDR_LEN + 65535) /* one whole control message (PROTOCOL.md 9) */

void natt_tls_set_failure(struct natt_tls *t, enum natt_tls_reason r, const char *fmt, ...)
{
	va_list ap;

	if (t->reason != NATT_TLS_R_NONE)
		return;
	t->reason = r;
	va_start(ap, fmt);
	vsnprintf(t->detail, sizeof(t->detail), fmt, ap);
	va_end(ap);
}

void natt_tls_on_info(const SSL *ssl, int where, int ret)
{
	struct natt_tls *t = SSL_get_app_data(ssl);

	if (t != NULL && (where & SSL_CB_ALERT) && (where & SSL_CB_READ))
		t->peer_alert = ret & 0xff;
}

/* A failed SSL call: the reason from what we know, most specific first. */
static void fail_ssl(struct natt_tls *t)
{
	unsigned long e = ERR_peek_error();
	int lib = ERR_GET_LIB(e), why = ERR_GET_REASON(e);
	const char *text = ERR_reason_error_string(e);

	if (t->peer_alert >= 0 && t->peer_alert != SSL_AD_CLOSE_NOTIFY)
		natt_tls_set_failure(t, NATT_TLS_R_PEER_ALERT, "peer aborted with TLS alert %d: %s",
				     t->peer_alert, SSL_alert_desc_string_long(t->peer_alert));
	else if (lib == ERR_LIB_SSL && why == SSL_R_PEER_DID_NOT_RETURN_A_CERTIFICATE)
		natt_tls_set_failure(t, NATT_TLS_R_NO_PEER_CERT, "peer sent no certificate");
	else if (e == 0 || why == ERR_R_MALLOC_FAILURE)
		natt_tls_set_failure(t, NATT_TLS_R_INTERNAL, "TLS failed on this side: %s",
				     text != NULL ? text : "no OpenSSL error");
	else
		natt_tls_set_failure(t, NATT_TLS_R_PROTOCOL, "TLS protocol failure: %s",
				     text != NULL ? text : "unknown OpenSSL error");
	t->state = NATT_TLS_FAILED;
	ERR_clear_error();
}

static void peer_closed(struct natt_tls *t)
{
	t->state = NATT_TLS_CLOSED;
	snprintf(t->detail, sizeof(t->detail), "closed by peer");
	ERR_clear_error();
	SSL_shutdown(t->ssl); /* answers with our close_notify */
	ERR_clear_error();
}

/* After a failed SSL call that returned rc. */
static void after_io(struct natt_tls *t, int rc)
{
	switch (SSL_get_error(t->ssl, rc)) {
	case SSL_ERROR_WANT_READ:
	case SSL_ERROR_WANT_WRITE: ERR_clear_error(); return;
	case SSL_ERROR_ZERO_RETURN: peer_closed(t); return;
	}
	fail_ssl(t);
}

static void drive_handshake(struct natt_tls *t)
{
	int rc;

	ERR_clear_error();
	rc = SSL_do_handshake(t->ssl);
	if (rc == 1) {
		t->state = NATT_TLS_ESTABLISHED;
		t->confirmed = t->ctx->role == NATT_TLS_SERVER;
		return;
	}
	after_io(t, rc);
}

/* Decrypts into rx while there is room; sees alerts and close_notify. */
static void read_plaintext(struct natt_tls *t)
{
	size_t n;

	while (t->state == NATT_TLS_ESTABLISHED && t->rx_len < t->rx_cap) {
		n = 0;
		ERR_clear_error();
		if (SSL_read_ex(t->ssl, t->rx + t->rx_len, t->rx_cap - t->rx_len, &n) != 1) {
			after_io(t, 0);
			return;
		}
		t->rx_len += n;
		t->confirmed = true;
	}
}

static void pump(struct natt_tls *t)
{
	if (t->state == NATT_TLS_HANDSHAKING)
		drive_handshake(t);
	if (t->state == NATT_TLS_ESTABLISHED)
		read_plaintext(t);
}

static BIO *stream_bio(void)
{
	BIO *b = BIO_new(BIO_s_mem());

	if (b != NULL)
		BIO_set_mem_eof_return(b, -1); /* empty means "more later", not EOF */
	return b;
}

int natt_tls_new(struct natt_tls **out, struct natt_tls_ctx *c)
{
	struct natt_tls *t;

	if (out == NULL || c == NULL)
		return NATT_ERR_INVALID;
	*out = NULL;
	t = calloc(1, sizeof(*t));
	if (t == NULL)
		return NATT_ERR_NOMEM;
	t->peer_alert = -1;
	t->rx_cap = RX_INIT;
	t->rx = malloc(t->rx_cap);
	t->ssl = SSL_new(c->ssl);
	t->rbio = stream_bio();
	t->wbio = stream_bio();
	if (t->rx == NULL || t->ssl == NULL || t->rbio == NULL || t->wbio == NULL) {
		BIO_free(t->rbio);
		BIO_free(t->wbio);
		SSL_free(t->ssl);
		free(t->rx);
		free(t);
		ERR_clear_error();
		return NATT_ERR_NOMEM;
	}
	SSL_set_bio(t->ssl, t->rbio, t->wbio);
	SSL_set_app_data(t->ssl, t);
	if (c->role == NATT_TLS_CLIENT)
		SSL_set_connect_state(t->ssl);
	else
		SSL_set_accept_state(t->ssl);
	c->refs++;
	t->ctx = c;
	pump(t);
	*out = t;
	return NATT_OK;
}

void natt_tls_free(struct natt_tls *t)
{
	if (t == NULL)
		return;
	SSL_free(t->ssl);
	natt_tls_ctx_free(t->ctx);
	OPENSSL_cleanse(t->rx, t->rx_cap);
	free(t->rx);
	free(t);
}

int natt_tls_feed(struct natt_tls *t, const uint8_t *in, size_t len)
{
	size_t pending, room, n;

	if (t == NULL || (in == NULL && len > 0))
		return NATT_ERR_INVALID;
	n = len < INT_MAX ? len : INT_MAX;
	if (t->state == NATT_TLS_FAILED || t->state == NATT_TLS_CLOSED)
		return (int)n;
	pending = BIO_ctrl_pending(t->rbio);
	room = pending < NATT_TLS_MAX_INBUF ? NATT_TLS_MAX_INBUF - pending : 0;
	n = n < room ? n : room;
	if (n > 0 && BIO_write(t->rbio, in, (int)n) != (int)n) {
		natt_tls_set_failure(t, NATT_TLS_R_INTERNAL, "out of memory buffering TLS input");
		t->state = NATT_TLS_FAILED;
		ERR_clear_error();
		return (int)n;
	}
	pump(t);
	return (int)n;
}

size_t natt_tls_pending(const struct natt_tls *t)
{
	return t != NULL ? BIO_ctrl_pending(t->wbio) : 0;
}

int natt_tls_pull(struct natt_tls *t, uint8_t *out, size_t cap)
{
	int n;

	if (t == NULL || (out == NULL && cap > 0))
		return NATT_ERR_INVALID;
	if (cap == 0)
		return 0;
	n = BIO_read(t->wbio, out, cap < INT_MAX ? (int)cap : INT_MAX);
	return n > 0 ? n : 0;
}

enum natt_tls_state natt_tls_state(const struct natt_tls *t)
{
	return t->state;
}

bool natt_tls_peer_confirmed(const struct natt_tls *t)
{
	return t->confirmed && t->state != NATT_TLS_FAILED;
}

enum natt_tls_reason natt_tls_failure(const struct natt_tls *t, const char **detail)
{
	if (detail != NULL)
		*detail =
			t->state == NATT_TLS_FAILED || t->state == NATT_TLS_CLOSED ? t->detail : "";
	return t->state == NATT_TLS_FAILED ? t->reason : NATT_TLS_R_NONE;
}

const char *natt_tls_reason_name(enum natt_tls_reason r)
{
	switch (r) {
	case NATT_TLS_R_NONE: return "no failure";
	case NATT_TLS_R_EXPIRED: return "certificate expired";
	case NATT_TLS_R_NOT_YET_VALID: return "certificate not yet valid";
	case NATT_TLS_R_UNKNOWN_CA: return "unknown CA";
	case NATT_TLS_R_NAME_MISMATCH: return "peer name mismatch";
	case NATT_TLS_R_PIN_MISMATCH: return "fingerprint pin mismatch";
	case NATT_TLS_R_NO_PEER_CERT: return "no peer certificate";
	case NATT_TLS_R_BAD_KEY_USAGE: return "wrong key usage for the peer's role";
	case NATT_TLS_R_BAD_CERT: return "bad certificate";
	case NATT_TLS_R_PEER_ALERT: return "rejected by peer";
	case NATT_TLS_R_PROTOCOL: return "TLS protocol failure";
	case NATT_TLS_R_INTERNAL: return "internal TLS failure";
	}
	return "unknown reason";
}

static bool exporter(SSL *ssl, const char *label, uint8_t out[NATT_TLS_SECRET_LEN])
{
	static const unsigned char empty[1];

	/* context "" (PROTOCOL.md 7); TLS 1.3 treats "no context" the same. */
	return SSL_export_keying_material(ssl, out, NATT_TLS_SECRET_LEN, label, strlen(label),
					  empty, 0, 1) == 1;
}

int natt_tls_export(struct natt_tls *t, uint8_t tx[NATT_TLS_SECRET_LEN],
		    uint8_t rx[NATT_TLS_SECRET_LEN])
{
	uint8_t *c2s = t != NULL && t->ctx->role == NATT_TLS_CLIENT ? tx : rx;
	uint8_t *s2c = c2s == tx ? rx : tx;

	if (t == NULL || tx == NULL || rx == NULL || t->state != NATT_TLS_ESTABLISHED)
		return NATT_ERR_INVALID;
	ERR_clear_error();
	if (!exporter(t->ssl, NATT_TLS_EXPORTER_C2S, c2s) ||
	    !exporter(t->ssl, NATT_TLS_EXPORTER_S2C, s2c)) {
		OPENSSL_cleanse(tx, NATT_TLS_SECRET_LEN);
		OPENSSL_cleanse(rx, NATT_TLS_SECRET_LEN);
		ERR_clear_error();
		return NATT_ERR_CRYPTO;
	}
	return NATT_OK;
}

int natt_tls_write_app(struct natt_tls *t, const uint8_t *data, size_t len)
{
	size_t n = 0;

	if (t == NULL || (data == NULL && len > 0) || t->state != NATT_TLS_ESTABLISHED)
		return NATT_ERR_INVALID;
	if (len > NATT_TLS_MAX_OUTBUF || BIO_ctrl_pending(t->wbio) > NATT_TLS_MAX_OUTBUF - len)
		return NATT_ERR_FULL;
	if (len == 0)
		return 0;
	ERR_clear_error();
	if (SSL_write_ex(t->ssl, data, len, &n) != 1) {
		after_io(t, 0);
		if (t->state != NATT_TLS_FAILED) {
			natt_tls_set_failure(t, NATT_TLS_R_INTERNAL, "TLS write failed");
			t->state = NATT_TLS_FAILED;
		}
		return NATT_ERR_CRYPTO;
	}
	return (int)n;
}

static void consume(struct natt_tls *t, size_t n)
{
	memmove(t->rx, t->rx + n, t->rx_len - n);
	t->rx_len -= n;
	read_plaintext(t); /* room again: take what TLS still holds */
}

int natt_tls_read_app(struct natt_tls *t, uint8_t *out, size_t cap)
{
	size_t n;

	if (t == NULL || (out == NULL && cap > 0))
		return NATT_ERR_INVALID;
	n = t->rx_len < cap ? t->rx_len : cap;
	n = n < INT_MAX ? n : INT_MAX;
	if (n > 0) {
		memcpy(out, t->rx, n);
		consume(t, n);
	}
	return (int)n;
}

int natt_tls_send_ctl(struct natt_tls *t, const struct natt_ctl_msg *m)
{
	uint8_t buf[NATT_CTL_HDR_LEN + 512];
	int n, rc;

	if (t == NULL || m == NULL)
		return NATT_ERR_INVALID;
	n = natt_ctl_encode(buf, sizeof(buf), m);
	if (n < 0)
		return n;
	rc = natt_tls_write_app(t, buf, (size_t)n);
	return rc < 0 ? rc : NATT_OK;
}

/* Doubles rx, up to RX_MAX, where any control message fits. */
static int grow_rx(struct natt_tls *t)
{
	size_t cap = t->rx_cap * 2 < RX_MAX ? t->rx_cap * 2 : RX_MAX;
	uint8_t *rx = realloc(t->rx, cap);

	if (rx == NULL) {
		natt_tls_set_failure(t, NATT_TLS_R_INTERNAL,
				     "out of memory growing the control buffer to %zu bytes", cap);
		t->state = NATT_TLS_FAILED;
		return NATT_ERR_NOMEM;
	}
	t->rx = rx;
	t->rx_cap = cap;
	return NATT_OK;
}

/* More decrypted bytes for an incomplete message: returns how many arrived
 * (0: none for now) or NATT_ERR_NOMEM. */
static long more_plaintext(struct natt_tls *t)
{
	size_t before = t->rx_len;
	int rc;

	if (t->rx_len == t->rx_cap) {
		if (t->rx_cap >= RX_MAX)
			return 0; /* unreachable: a whole message fits in RX_MAX */
		rc = grow_rx(t);
		if (rc != NATT_OK)
			return rc;
	}
	read_plaintext(t);
	return (long)(t->rx_len - before);
}

int natt_tls_recv_ctl(struct natt_tls *t, struct natt_ctl_msg *m)
{
	long more;
	int rc;

	if (t == NULL || m == NULL)
		return NATT_ERR_INVALID;
	for (;;) {
		rc = natt_ctl_decode(m, t->rx, t->rx_len);
		if (rc >= 0) {
			consume(t, (size_t)rc);
			return 1;
		}
		if (rc != NATT_ERR_TRUNCATED) {
			natt_tls_set_failure(t, NATT_TLS_R_PROTOCOL,
					     "peer sent a malformed control message: %s",
					     natt_strerror(rc));
			t->state = NATT_TLS_FAILED;
			return rc;
		}
		more = more_plaintext(t);
		if (more <= 0)
			return (int)more;
	}
}

int natt_tls_close(struct natt_tls *t)
{
	if (t == NULL)
		return NATT_ERR_INVALID;
	if (t->state == NATT_TLS_ESTABLISHED) {
		ERR_clear_error();
		SSL_shutdown(t->ssl); /* queues close_notify */
		ERR_clear_error();
	}
	if (t->state == NATT_TLS_ESTABLISHED || t->state == NATT_TLS_HANDSHAKING) {
		t->state = NATT_TLS_CLOSED;
		snprintf(t->detail, sizeof(t->detail), "closed locally");
	}
	return NATT_OK;
}

const char *natt_tls_peer_name(const struct natt_tls *t)
{
	return t->peer_cn;
}

int natt_tls_peer_fingerprint(const struct natt_tls *t, uint8_t fp[NATT_TLS_FP_LEN])
{
	if (t == NULL || fp == NULL || !t->have_peer)
		return NATT_ERR_INVALID;
	memcpy(fp, t->peer_fp, NATT_TLS_FP_LEN);
	return NATT_OK;
}

void natt_tls_fingerprint_hex(const uint8_t fp[NATT_TLS_FP_LEN], char out[NATT_TLS_FP_HEX_LEN])
{
	static const char digits[] = "0123456789abcdef";

	for (int i = 0; i < NATT_TLS_FP_LEN; i++) {
		out[3 * i] = digits[fp[i] >> 4];
		out[3 * i + 1] = digits[fp[i] & 0xf];
		out[3 * i + 2] = i + 1 < NATT_TLS_FP_LEN ? ':' : '\0';
	}
}

const char *natt_tls_cipher_name(const struct natt_tls *t)
{
	if (t->state == NATT_TLS_HANDSHAKING || !SSL_is_init_finished(t->ssl))
		return "";
	return SSL_get_cipher_name(t->ssl);
}
