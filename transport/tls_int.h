/*
 * tls_int.h: what the three files of the TLS module share, and nothing else
 * includes: tls_ctx.c (configuration), tls_verify.c (peer verification),
 * tls.c (the session engine).  The public interface is tls.h.
 */
#ifndef NATT_TLS_INT_H
#define NATT_TLS_INT_H

#include <openssl/ssl.h>
#include <openssl/x509.h>

#include "tls.h"

#define NATT_TLS_DETAIL_LEN 256 /* failure or close explanation, with NUL */

struct natt_tls_ctx {
	SSL_CTX *ssl;			  /* TLS 1.3 only, our identity, CA store */
	enum natt_tls_role role;	  /* our role; the peer has the other */
	bool has_ca;			  /* verify the chain against the CA file */
	bool check_eku;			  /* remote-cert-tls */
	char *peer_name;		  /* NULL: any name */
	uint8_t (*pins)[NATT_TLS_FP_LEN]; /* npins accepted peer fingerprints */
	size_t npins;
	unsigned int refs; /* caller + live sessions */
};

struct natt_tls {
	struct natt_tls_ctx *ctx; /* holds a reference */
	SSL *ssl;
	BIO *rbio; /* stream bytes from the peer (owned by ssl) */
	BIO *wbio; /* stream bytes for the peer (owned by ssl) */
	enum natt_tls_state state;
	enum natt_tls_reason reason; /* first failure recorded */
	bool confirmed;		     /* the peer accepted us (tls.h) */
	bool have_peer;		     /* peer_fp and peer_cn are set */
	int peer_alert;		     /* last alert received, -1: none */
	uint8_t *rx;		     /* decrypted application data not yet read */
	size_t rx_len;
	size_t rx_cap; /* grows up to one whole control message */
	uint8_t peer_fp[NATT_TLS_FP_LEN];
	char peer_cn[NATT_TLS_MAX_CN + 1];
	char detail[NATT_TLS_DETAIL_LEN];
};

/* tls_verify.c: replaces OpenSSL's chain verification
 * (SSL_CTX_set_cert_verify_callback, arg = the natt_tls_ctx).  Returns 1 to
 * accept the peer, 0 to refuse it (the reason is then recorded). */
int natt_tls_verify_peer(X509_STORE_CTX *sc, void *arg);

/* tls.c: SSL_CTX_set_info_callback; remembers alerts received. */
void natt_tls_on_info(const SSL *ssl, int where, int ret);

/* tls.c: records the session's first failure reason and its explanation
 * (later failures are consequences of the first and are dropped). */
void natt_tls_set_failure(struct natt_tls *t, enum natt_tls_reason r, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

#endif
