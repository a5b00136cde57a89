/*
 * test_tls.c: the TLS session (transport/tls.c): handshakes by moving bytes
 * between two sessions in memory, the exported secrets, application data
 * and control messages, back-pressure, close, and garbage.  The suite makes
 * a fresh test PKI with tests/pki/make-pki.sh when it registers; failing to
 * make it fails the run (no silent skip).  Authentication and configuration
 * are the "tls_auth" suite (test_tls_auth.c), registered with this one.
 *
 * Where an independent view is needed (the exporter, a TLS 1.2 client), the
 * other end is a bare OpenSSL SSL object, not a natt_tls session.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/ssl.h>

#include "tls_harness.h"
#include "unit.h"

/* ---- the handshake and what it gives ---- */

static void test_handshake(void)
{
	struct tlst_pair p;
	uint8_t fp[NATT_TLS_FP_LEN], want[NATT_TLS_FP_LEN];

	tlst_pair_open(&p, &tlst_client_ok, &tlst_server_ok, TLST_CHUNK_MAX);
	tlst_assert_established(&p);
	tlst_check_secrets(&p);
	CU_ASSERT_STRING_EQUAL(natt_tls_peer_name(p.c), "server");
	CU_ASSERT_STRING_EQUAL(natt_tls_peer_name(p.s), "client");
	CU_ASSERT_EQUAL(natt_tls_peer_fingerprint(p.c, fp), NATT_OK);
	tlst_cert_fingerprint("server", want);
	CU_ASSERT_EQUAL(memcmp(fp, want, sizeof(fp)), 0);
	CU_ASSERT_PTR_NOT_NULL(strstr(natt_tls_cipher_name(p.c), "TLS_"));
	CU_ASSERT_STRING_EQUAL(natt_tls_cipher_name(p.c), natt_tls_cipher_name(p.s));
	/* a TLS 1.3 server has authenticated the client when it finishes */
	CU_ASSERT(natt_tls_peer_confirmed(p.s));
	CU_ASSERT(!natt_tls_peer_confirmed(p.c));
	CU_ASSERT(p.c2s.total > 0 && p.s2c.total > 0);
	tlst_pair_close(&p);
}

/* Two independent handshakes give independent secrets. */
static void test_secrets_fresh(void)
{
	struct tlst_pair p, q;
	uint8_t a[NATT_TLS_SECRET_LEN], b[NATT_TLS_SECRET_LEN];
	uint8_t c[NATT_TLS_SECRET_LEN], d[NATT_TLS_SECRET_LEN];

	tlst_pair_open(&p, &tlst_client_ok, &tlst_server_ok, TLST_CHUNK_MAX);
	tlst_pair_open(&q, &tlst_client_ok, &tlst_server_ok, TLST_CHUNK_MAX);
	CU_ASSERT_EQUAL_FATAL(natt_tls_export(p.c, a, b), NATT_OK);
	CU_ASSERT_EQUAL_FATAL(natt_tls_export(q.c, c, d), NATT_OK);
	CU_ASSERT_NOT_EQUAL(memcmp(a, c, sizeof(a)), 0);
	CU_ASSERT_NOT_EQUAL(memcmp(b, d, sizeof(b)), 0);
	tlst_pair_close(&p);
	tlst_pair_close(&q);
}

static void test_one_byte_at_a_time(void)
{
	struct tlst_pair p;

	tlst_pair_open(&p, &tlst_client_ok, &tlst_server_ok, 1);
	tlst_assert_established(&p);
	tlst_check_secrets(&p);
	tlst_pair_close(&p);
}

static void test_not_before_handshake(void)
{
	struct natt_tls_ctx *cc = tlst_ctx_for(NATT_TLS_CLIENT, &tlst_client_ok);
	struct natt_tls *t = NULL;
	uint8_t a[NATT_TLS_SECRET_LEN], b[NATT_TLS_SECRET_LEN], fp[NATT_TLS_FP_LEN];
	struct natt_ctl_msg m = {.type = NATT_CTL_PING};

	CU_ASSERT_EQUAL_FATAL(natt_tls_new(&t, cc), NATT_OK);
	CU_ASSERT_EQUAL(natt_tls_state(t), NATT_TLS_HANDSHAKING);
	CU_ASSERT(natt_tls_pending(t) > 0); /* the ClientHello */
	CU_ASSERT_EQUAL(natt_tls_export(t, a, b), NATT_ERR_INVALID);
	CU_ASSERT_EQUAL(natt_tls_write_app(t, a, 1), NATT_ERR_INVALID);
	CU_ASSERT_EQUAL(natt_tls_send_ctl(t, &m), NATT_ERR_INVALID);
	CU_ASSERT_EQUAL(natt_tls_peer_fingerprint(t, fp), NATT_ERR_INVALID);
	CU_ASSERT_STRING_EQUAL(natt_tls_peer_name(t), "");
	CU_ASSERT_STRING_EQUAL(natt_tls_cipher_name(t), "");
	CU_ASSERT_EQUAL(natt_tls_feed(NULL, a, 1), NATT_ERR_INVALID);
	CU_ASSERT_EQUAL(natt_tls_feed(t, NULL, 1), NATT_ERR_INVALID);
	CU_ASSERT_EQUAL(natt_tls_pull(t, NULL, 1), NATT_ERR_INVALID);
	natt_tls_free(t);
	natt_tls_ctx_free(cc);
}

/* ---- application data and control messages ---- */

static void test_ctl_roundtrip(void)
{
	struct tlst_pair p;
	struct natt_ctl_msg m = {.type = NATT_CTL_PARAMS}, got;

	tlst_pair_open(&p, &tlst_client_ok, &tlst_server_ok, TLST_CHUNK_MAX);
	m.params.present = NATT_PARAM_CIPHERS | NATT_PARAM_KEEPALIVE | NATT_PARAM_MAX_DATAGRAM;
	m.params.ncipher = 2;
	m.params.cipher[0] = NATT_CIPHER_CHACHA20_POLY1305;
	m.params.cipher[1] = NATT_CIPHER_AES_256_GCM;
	m.params.keepalive_s = 10;
	m.params.max_datagram = 1400;
	CU_ASSERT_EQUAL(natt_tls_send_ctl(p.c, &m), NATT_OK);
	CU_ASSERT_EQUAL(natt_tls_recv_ctl(p.s, &got), 0); /* nothing moved yet */
	tlst_converse(&p, TLST_CHUNK_MAX);
	CU_ASSERT_EQUAL_FATAL(natt_tls_recv_ctl(p.s, &got), 1);
	CU_ASSERT_EQUAL(got.type, NATT_CTL_PARAMS);
	CU_ASSERT_EQUAL(got.params.present, m.params.present);
	CU_ASSERT_EQUAL(got.params.ncipher, 2);
	CU_ASSERT_EQUAL(got.params.cipher[0], NATT_CIPHER_CHACHA20_POLY1305);
	CU_ASSERT_EQUAL(got.params.keepalive_s, 10);
	CU_ASSERT_EQUAL(got.params.max_datagram, 1400);
	CU_ASSERT_EQUAL(natt_tls_recv_ctl(p.s, &got), 0);

	/* the server's answer is what confirms the client */
	m.params.ncipher = 1;
	CU_ASSERT_EQUAL(natt_tls_send_ctl(p.s, &m), NATT_OK);
	memset(&got, 0, sizeof(got));
	got.type = NATT_CTL_CLOSE;
	got.close.code = 5;
	got.close.reason_len = 8;
	memcpy(got.close.reason, "shutdown", 8);
	CU_ASSERT_EQUAL(natt_tls_send_ctl(p.s, &got), NATT_OK);
	tlst_converse(&p, TLST_CHUNK_MAX);
	CU_ASSERT(natt_tls_peer_confirmed(p.c));
	CU_ASSERT_EQUAL(natt_tls_recv_ctl(p.c, &got), 1);
	CU_ASSERT_EQUAL(got.type, NATT_CTL_PARAMS);
	CU_ASSERT_EQUAL(got.params.ncipher, 1);
	CU_ASSERT_EQUAL(natt_tls_recv_ctl(p.c, &got), 1);
	CU_ASSERT_EQUAL(got.type, NATT_CTL_CLOSE);
	CU_ASSERT_EQUAL(got.close.code, 5);
	CU_ASSERT_EQUAL(got.close.reason_len, 8);
	CU_ASSERT_EQUAL(memcmp(got.close.reason, "shutdown", 8), 0);
	tlst_pair_close(&p);
}

/* The client's PARAMS travel with its Finished, in one piece of stream: the
 * server finishes its handshake and has the message in the same feed. */
static void test_ctl_with_finished(void)
{
	struct natt_tls_ctx *cc = tlst_ctx_for(NATT_TLS_CLIENT, &tlst_client_ok);
	struct natt_tls_ctx *sc = tlst_ctx_for(NATT_TLS_SERVER, &tlst_server_ok);
	struct natt_tls *c = NULL, *s = NULL;
	struct natt_ctl_msg ping = {.type = NATT_CTL_PING}, got;
	static uint8_t buf[TLST_CHUNK_MAX];
	int n;

	CU_ASSERT_EQUAL_FATAL(natt_tls_new(&c, cc), NATT_OK);
	CU_ASSERT_EQUAL_FATAL(natt_tls_new(&s, sc), NATT_OK);
	n = natt_tls_pull(c, buf, sizeof(buf)); /* ClientHello */
	CU_ASSERT_EQUAL(natt_tls_feed(s, buf, (size_t)n), n);
	n = natt_tls_pull(s, buf, sizeof(buf)); /* the server's flight */
	CU_ASSERT_EQUAL(natt_tls_feed(c, buf, (size_t)n), n);
	CU_ASSERT_EQUAL_FATAL(natt_tls_state(c), NATT_TLS_ESTABLISHED);
	CU_ASSERT_EQUAL(natt_tls_state(s), NATT_TLS_HANDSHAKING);
	CU_ASSERT_EQUAL(natt_tls_send_ctl(c, &ping), NATT_OK);
	n = natt_tls_pull(c, buf, sizeof(buf)); /* Certificate .. Finished, PING */
	CU_ASSERT_EQUAL(natt_tls_pending(c), 0);
	CU_ASSERT_EQUAL(natt_tls_feed(s, buf, (size_t)n), n);
	CU_ASSERT_EQUAL(natt_tls_state(s), NATT_TLS_ESTABLISHED);
	CU_ASSERT_EQUAL(natt_tls_recv_ctl(s, &got), 1);
	CU_ASSERT_EQUAL(got.type, NATT_CTL_PING);
	natt_tls_free(c);
	natt_tls_free(s);
	natt_tls_ctx_free(cc);
	natt_tls_ctx_free(sc);
}

/* A message split over two TLS records; a 40000-byte message of an unknown
 * type (larger than the first receive buffer) decodes and is skippable. */
static void test_ctl_split_and_large(void)
{
	struct tlst_pair p;
	struct natt_ctl_msg ping = {.type = NATT_CTL_PING}, got;
	uint8_t buf[64], *big = calloc(1, 40003);
	int n;

	CU_ASSERT_PTR_NOT_NULL_FATAL(big);
	tlst_pair_open(&p, &tlst_client_ok, &tlst_server_ok, TLST_CHUNK_MAX);
	n = natt_ctl_encode(buf, sizeof(buf), &ping);
	CU_ASSERT_EQUAL_FATAL(n, NATT_CTL_HDR_LEN);
	CU_ASSERT_EQUAL(natt_tls_write_app(p.c, buf, 1), 1);
	tlst_converse(&p, TLST_CHUNK_MAX);
	CU_ASSERT_EQUAL(natt_tls_recv_ctl(p.s, &got), 0);
	CU_ASSERT_EQUAL(natt_tls_write_app(p.c, buf + 1, (size_t)n - 1), n - 1);
	tlst_converse(&p, TLST_CHUNK_MAX);
	CU_ASSERT_EQUAL(natt_tls_recv_ctl(p.s, &got), 1);
	CU_ASSERT_EQUAL(got.type, NATT_CTL_PING);

	big[0] = 0x7f; /* unassigned type, length 40000 */
	big[1] = 40000 >> 8;
	big[2] = 40000 & 0xff;
	CU_ASSERT_EQUAL(natt_tls_write_app(p.c, big, 40003), 40003);
	CU_ASSERT_EQUAL(natt_tls_send_ctl(p.c, &ping), NATT_OK);
	tlst_converse(&p, 1000);
	CU_ASSERT_EQUAL(natt_tls_recv_ctl(p.s, &got), 1);
	CU_ASSERT_EQUAL(got.type, 0x7f);
	CU_ASSERT_EQUAL(got.len, 40000);
	CU_ASSERT_EQUAL(natt_tls_recv_ctl(p.s, &got), 1);
	CU_ASSERT_EQUAL(got.type, NATT_CTL_PING);
	CU_ASSERT_EQUAL(natt_tls_state(p.s), NATT_TLS_ESTABLISHED);
	tlst_pair_close(&p);
	free(big);
}

static void test_ctl_malformed(void)
{
	struct tlst_pair p;
	struct natt_ctl_msg got;
	const char *d;
	/* CLOSE whose reason holds a control character (PROTOCOL.md 9.3) */
	static const uint8_t bad[] = {NATT_CTL_CLOSE, 0, 4, 0, 1, 'a', 0x07};

	tlst_pair_open(&p, &tlst_client_ok, &tlst_server_ok, TLST_CHUNK_MAX);
	CU_ASSERT_EQUAL(natt_tls_write_app(p.s, bad, sizeof(bad)), (int)sizeof(bad));
	tlst_converse(&p, TLST_CHUNK_MAX);
	CU_ASSERT(natt_tls_recv_ctl(p.c, &got) < 0);
	CU_ASSERT_EQUAL(natt_tls_state(p.c), NATT_TLS_FAILED);
	CU_ASSERT_EQUAL(natt_tls_failure(p.c, &d), NATT_TLS_R_PROTOCOL);
	CU_ASSERT_PTR_NOT_NULL(strstr(d, "control message"));
	tlst_pair_close(&p);
}

/* 200 kB one way while the receiver reads late: feed() pushes back at
 * NATT_TLS_MAX_INBUF, write_app() at NATT_TLS_MAX_OUTBUF; nothing is lost. */
static void test_backpressure(void)
{
	enum { TOTAL = 200000 };
	uint8_t *src = malloc(TOTAL), *dst = malloc(TOTAL);
	size_t sent = 0, got = 0, chunk;
	bool refused = false, pushed_back = false;
	struct tlst_pair p;
	int n, rounds = 0;

	CU_ASSERT_FATAL(src != NULL && dst != NULL);
	for (size_t i = 0; i < TOTAL; i++)
		src[i] = (uint8_t)(i * 7 + i / 251);
	tlst_pair_open(&p, &tlst_client_ok, &tlst_server_ok, TLST_CHUNK_MAX);
	while (got < TOTAL && ++rounds < 10000) {
		while (sent < TOTAL) {
			chunk = TOTAL - sent < 5000 ? TOTAL - sent : 5000;
			n = natt_tls_write_app(p.s, src + sent, chunk);
			if (n == NATT_ERR_FULL) {
				refused = true;
				break;
			}
			CU_ASSERT_EQUAL_FATAL(n, (int)chunk);
			sent += chunk;
		}
		tlst_step(p.s, p.c, &p.s2c, TLST_CHUNK_MAX);
		pushed_back |= p.s2c.len > 0;
		if (rounds % 8 == 0) { /* the reader is slow */
			n = natt_tls_read_app(p.c, dst + got, TOTAL - got);
			CU_ASSERT_FATAL(n >= 0);
			got += (size_t)n;
		}
	}
	CU_ASSERT_EQUAL(got, TOTAL);
	CU_ASSERT(refused);
	CU_ASSERT(pushed_back);
	CU_ASSERT_EQUAL(memcmp(src, dst, TOTAL), 0);
	CU_ASSERT_EQUAL(natt_tls_state(p.c), NATT_TLS_ESTABLISHED);
	tlst_pair_close(&p);
	free(src);
	free(dst);
}

static void test_close(void)
{
	struct tlst_pair p;
	uint8_t buf[16];
	const char *d;
	size_t answered;

	tlst_pair_open(&p, &tlst_client_ok, &tlst_server_ok, TLST_CHUNK_MAX);
	CU_ASSERT_EQUAL(natt_tls_write_app(p.c, (const uint8_t *)"bye", 3), 3);
	CU_ASSERT_EQUAL(natt_tls_close(p.c), NATT_OK);
	CU_ASSERT_EQUAL(natt_tls_state(p.c), NATT_TLS_CLOSED);
	CU_ASSERT_EQUAL(natt_tls_failure(p.c, &d), NATT_TLS_R_NONE);
	CU_ASSERT_STRING_EQUAL(d, "closed locally");
	answered = p.s2c.total;
	tlst_converse(&p, TLST_CHUNK_MAX);
	CU_ASSERT_EQUAL(natt_tls_state(p.s), NATT_TLS_CLOSED);
	CU_ASSERT_EQUAL(natt_tls_failure(p.s, &d), NATT_TLS_R_NONE);
	CU_ASSERT_STRING_EQUAL(d, "closed by peer");
	CU_ASSERT(p.s2c.total > answered); /* the server answered with its close_notify */
	CU_ASSERT_EQUAL(natt_tls_read_app(p.s, buf, sizeof(buf)), 3);
	CU_ASSERT_EQUAL(memcmp(buf, "bye", 3), 0);
	CU_ASSERT_EQUAL(natt_tls_write_app(p.s, buf, 1), NATT_ERR_INVALID);
	tlst_pair_close(&p);
}

/* The secrets are RFC 8446 7.5 exporter values: a bare OpenSSL server
 * computes the same with no context at all (use_context = 0). */
static void test_exporter_independent(void)
{
	struct natt_tls_ctx *cc = tlst_ctx_for(NATT_TLS_CLIENT, &tlst_client_ok);
	struct natt_tls *t = NULL;
	struct tlst_raw r;
	uint8_t tx[NATT_TLS_SECRET_LEN], rx[NATT_TLS_SECRET_LEN];
	uint8_t c2s[NATT_TLS_SECRET_LEN], s2c[NATT_TLS_SECRET_LEN];

	tlst_raw_open(&r, true, TLS1_3_VERSION, "server");
	CU_ASSERT_EQUAL_FATAL(natt_tls_new(&t, cc), NATT_OK);
	tlst_raw_converse(&r, t);
	CU_ASSERT_EQUAL_FATAL(natt_tls_state(t), NATT_TLS_ESTABLISHED);
	CU_ASSERT_EQUAL_FATAL(natt_tls_export(t, tx, rx), NATT_OK);
	CU_ASSERT_EQUAL(SSL_export_keying_material(r.ssl, c2s, sizeof(c2s),
						   "EXPORTER-natt-data-c2s", 22, NULL, 0, 0),
			1);
	CU_ASSERT_EQUAL(SSL_export_keying_material(r.ssl, s2c, sizeof(s2c),
						   "EXPORTER-natt-data-s2c", 22, NULL, 0, 0),
			1);
	CU_ASSERT_EQUAL(memcmp(tx, c2s, sizeof(tx)), 0);
	CU_ASSERT_EQUAL(memcmp(rx, s2c, sizeof(rx)), 0);
	natt_tls_free(t);
	natt_tls_ctx_free(cc);
	tlst_raw_close(&r);
}

static void test_tls12_refused(void)
{
	struct natt_tls_ctx *sc = tlst_ctx_for(NATT_TLS_SERVER, &tlst_server_ok);
	struct natt_tls *t = NULL;
	struct tlst_raw r;
	const char *d;

	tlst_raw_open(&r, false, TLS1_2_VERSION, "client");
	CU_ASSERT_EQUAL_FATAL(natt_tls_new(&t, sc), NATT_OK);
	tlst_raw_converse(&r, t);
	CU_ASSERT_EQUAL(natt_tls_state(t), NATT_TLS_FAILED);
	CU_ASSERT_EQUAL(natt_tls_failure(t, &d), NATT_TLS_R_PROTOCOL);
	CU_ASSERT_PTR_NOT_NULL(strstr(d, "protocol"));
	natt_tls_free(t);
	natt_tls_ctx_free(sc);
	tlst_raw_close(&r);
}

/* ---- garbage ---- */

static uint32_t prng(uint32_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 17;
	*s ^= *s << 5;
	return *s;
}

static void feed_garbage(struct natt_tls_ctx *c, uint32_t seed, bool record_like)
{
	uint8_t junk[3000], out[TLST_CHUNK_MAX];
	size_t len = 1 + prng(&seed) % sizeof(junk);
	struct natt_tls *t = NULL;
	int n;

	for (size_t i = 0; i < len; i++)
		junk[i] = (uint8_t)prng(&seed);
	if (record_like && len > 5) { /* a plausible TLS record header */
		junk[0] = 0x16;
		junk[1] = 0x03;
		junk[2] = 0x01;
		junk[3] = (uint8_t)((len - 5) >> 8);
		junk[4] = (uint8_t)(len - 5);
	}
	CU_ASSERT_EQUAL_FATAL(natt_tls_new(&t, c), NATT_OK);
	natt_tls_pull(t, out, sizeof(out));
	n = natt_tls_feed(t, junk, len);
	CU_ASSERT_EQUAL(n, (int)len);
	/* a short record may still be incomplete; anything else must fail */
	if (natt_tls_state(t) != NATT_TLS_HANDSHAKING) {
		CU_ASSERT_EQUAL(natt_tls_state(t), NATT_TLS_FAILED);
		CU_ASSERT_EQUAL(natt_tls_failure(t, NULL), NATT_TLS_R_PROTOCOL);
	}
	CU_ASSERT(natt_tls_state(t) == NATT_TLS_FAILED || (record_like && len > 5));
	CU_ASSERT(natt_tls_pull(t, out, sizeof(out)) >= 0);
	CU_ASSERT_EQUAL(natt_tls_feed(t, junk, len), (int)len); /* discarded, no crash */
	natt_tls_free(t);
}

static void test_garbage(void)
{
	struct natt_tls_ctx *cc = tlst_ctx_for(NATT_TLS_CLIENT, &tlst_client_ok);
	struct natt_tls_ctx *sc = tlst_ctx_for(NATT_TLS_SERVER, &tlst_server_ok);

	for (uint32_t seed = 1; seed <= 200; seed++) {
		feed_garbage(seed % 2 ? cc : sc, seed * 2654435761u, seed % 4 >= 2);
	}
	natt_tls_ctx_free(cc);
	natt_tls_ctx_free(sc);
}

/* A flipped bit in an established session's record fails it (AEAD). */
static void test_corrupt_record(void)
{
	struct tlst_pair p;
	uint8_t rec[256];
	int n;
	const char *d;

	tlst_pair_open(&p, &tlst_client_ok, &tlst_server_ok, TLST_CHUNK_MAX);
	CU_ASSERT_EQUAL(natt_tls_write_app(p.c, (const uint8_t *)"hello", 5), 5);
	n = natt_tls_pull(p.c, rec, sizeof(rec));
	CU_ASSERT_FATAL(n > 10);
	rec[n - 3] ^= 0x20;
	CU_ASSERT_EQUAL(natt_tls_feed(p.s, rec, (size_t)n), n);
	CU_ASSERT_EQUAL(natt_tls_state(p.s), NATT_TLS_FAILED);
	CU_ASSERT_EQUAL(natt_tls_failure(p.s, &d), NATT_TLS_R_PROTOCOL);
	CU_ASSERT_EQUAL(natt_tls_read_app(p.s, rec, sizeof(rec)), 0);
	tlst_converse(&p, TLST_CHUNK_MAX); /* the server's alert reaches the client */
	CU_ASSERT_EQUAL(natt_tls_state(p.c), NATT_TLS_FAILED);
	CU_ASSERT_EQUAL(natt_tls_failure(p.c, NULL), NATT_TLS_R_PEER_ALERT);
	tlst_pair_close(&p);
}

static void test_fingerprint_hex(void)
{
	uint8_t fp[NATT_TLS_FP_LEN];
	char hex[NATT_TLS_FP_HEX_LEN];

	for (int i = 0; i < NATT_TLS_FP_LEN; i++)
		fp[i] = (uint8_t)(i * 8 + 0x0f);
	natt_tls_fingerprint_hex(fp, hex);
	CU_ASSERT_EQUAL(strlen(hex), NATT_TLS_FP_HEX_LEN - 1);
	CU_ASSERT_EQUAL(strncmp(hex, "0f:17:1f:27:", 12), 0);
	CU_ASSERT_STRING_EQUAL(hex + strlen(hex) - 3, ":07");
	CU_ASSERT_STRING_EQUAL(natt_tls_reason_name(NATT_TLS_R_UNKNOWN_CA), "unknown CA");
	for (int r = NATT_TLS_R_NONE; r <= NATT_TLS_R_INTERNAL; r++)
		CU_ASSERT(strlen(natt_tls_reason_name((enum natt_tls_reason)r)) < NATT_MAX_REASON);
}

static const struct natt_test tests[] = {
	{"handshake", test_handshake},
	{"secrets_fresh", test_secrets_fresh},
	{"one_byte_at_a_time", test_one_byte_at_a_time},
	{"not_before_handshake", test_not_before_handshake},
	{"exporter_independent", test_exporter_independent},
	{"ctl_roundtrip", test_ctl_roundtrip},
	{"ctl_with_finished", test_ctl_with_finished},
	{"ctl_split_and_large", test_ctl_split_and_large},
	{"ctl_malformed", test_ctl_malformed},
	{"backpressure", test_backpressure},
	{"close", test_close},
	{"tls12_refused", test_tls12_refused},
	{"garbage", test_garbage},
	{"corrupt_record", test_corrupt_record},
	{"fingerprint_hex", test_fingerprint_hex},
	{NULL, NULL},
};

/* Registers "tls" and "tls_auth", which share the PKI made here. */
int natt_suite_tls(void)
{
	if (tlst_make_pki() != 0)
		return -1;
	if (natt_add_suite("tls", tests) != 0)
		return -1;
	return tlst_add_auth_suite();
}
