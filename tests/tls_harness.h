/*
 * tls_harness.h: what the two TLS test files (test_tls.c: the session,
 * test_tls_auth.c: authentication and configuration) share: the throw-away
 * test PKI, endpoints described by PKI names, and two sessions talking
 * through memory.  Test code only.
 */
#ifndef NATT_TESTS_TLS_HARNESS_H
#define NATT_TESTS_TLS_HARNESS_H

#include <stdbool.h>

#include <openssl/ssl.h>

#include "tls.h"

#define TLST_CHUNK_MAX 20000 /* largest transfer step between the two sides */

/* Makes the test PKI (tests/pki/make-pki.sh) in a fresh temporary directory,
 * removed at exit.  Returns 0, or -1 with a message on stderr. */
int tlst_make_pki(void);

/* The PKI directory, and the path of one of its files ("client", ".crt").
 * Eight rotating buffers, so one configuration can hold several paths. */
const char *tlst_pki_dir(void);
const char *tlst_pki(const char *name, const char *ext);

/* SHA-256 of a PKI certificate, computed here with X509_digest; and as text,
 * "AB:CD:..." (colons, upper case) or "abcd..." (neither). */
void tlst_cert_fingerprint(const char *name, uint8_t fp[NATT_TLS_FP_LEN]);
void tlst_fp_text(const char *name, bool colons, char *out, size_t len);

/* One side's configuration, by PKI names; zero fields take the defaults. */
struct tlst_spec {
	const char *id;	  /* certificate and key name, e.g. "client" */
	const char *ca;	  /* CA file name (default "ca") */
	bool no_ca;	  /* trust by pins only */
	const char *name; /* expected peer name */
	const char *pin;  /* one fingerprint pin */
	bool any_eku;	  /* any_peer_eku */
	int64_t vtime;	  /* verify_time */
};

extern const struct tlst_spec tlst_client_ok; /* "client" */
extern const struct tlst_spec tlst_server_ok; /* "server" */

/* A context for s (asserts success). */
struct natt_tls_ctx *tlst_ctx_for(enum natt_tls_role role, const struct tlst_spec *s);

/* Bytes pulled from one side and not yet taken by the other. */
struct tlst_pipe {
	uint8_t buf[TLST_CHUNK_MAX];
	size_t len;
	size_t total; /* all bytes pulled */
};

struct tlst_pair {
	struct natt_tls *c, *s;
	struct tlst_pipe c2s, s2c;
};

/* One transfer of at most chunk bytes from -> to; true if a byte moved. */
bool tlst_step(struct natt_tls *from, struct natt_tls *to, struct tlst_pipe *p, size_t chunk);

/* Moves bytes both ways, chunk at a time, until neither side has any. */
void tlst_converse(struct tlst_pair *p, size_t chunk);

/* Two sessions (their contexts already released: sessions hold them) and a
 * conversation until quiet. */
void tlst_pair_open(struct tlst_pair *p, const struct tlst_spec *client,
		    const struct tlst_spec *server, size_t chunk);
void tlst_pair_close(struct tlst_pair *p);

void tlst_assert_established(const struct tlst_pair *p);

/* Exported secrets match crosswise, differ per direction, are not zero. */
void tlst_check_secrets(struct tlst_pair *p);

/* A handshake that must succeed. */
void tlst_expect_ok(const struct tlst_spec *client, const struct tlst_spec *server);

/* A handshake the judge (server or client) must refuse with want; the other
 * side must then fail with the peer's alert, whose text contains alert
 * (unless NULL). */
void tlst_expect_refusal(const struct tlst_spec *client, const struct tlst_spec *server,
			 bool server_judges, enum natt_tls_reason want, const char *alert);

/* A bare OpenSSL peer (no natt_tls), for an independent view. */
struct tlst_raw {
	SSL_CTX *ctx;
	SSL *ssl;
	BIO *in, *out;
};

/* id: certificate and key to present, or NULL for none; never verifies. */
void tlst_raw_open(struct tlst_raw *r, bool server, int max_version, const char *id);
void tlst_raw_close(struct tlst_raw *r);

/* Runs the bare peer against a session until no byte moves. */
void tlst_raw_converse(struct tlst_raw *r, struct natt_tls *t);

/* Registers the "tls_auth" suite (test_tls_auth.c). */
int tlst_add_auth_suite(void);

#endif
