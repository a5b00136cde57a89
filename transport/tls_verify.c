/*
 * tls_verify.c: judging the peer's certificate (tls.h).  OpenSSL's chain
 * verification runs first (CA file, validity, purpose), then the checks an
 * OpenVPN operator configures: remote-cert-tls, the expected name, the
 * fingerprint pins.  Each refusal records a reason and a one-line
 * explanation, and picks the X509_V_ERR_* that decides which alert the
 * peer receives (so the peer's log says why too).
 */
#include <stdio.h>
#include <string.h>

#include <openssl/bio.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/x509v3.h>

#include "tls_int.h"

#define SUBJECT_LEN	  160
#define NS_BIT_SSL_CLIENT 0 /* Netscape cert type bits (Netscape Certificate */
#define NS_BIT_SSL_SERVER 1 /* Extensions spec): MSB of the first byte = bit 0 */

static void subject_of(X509 *x, char *buf, size_t len)
{
	if (x == NULL || X509_NAME_oneline(X509_get_subject_name(x), buf, (int)len) == NULL)
		snprintf(buf, len, "(unknown subject)");
}

/* The CN for logs: printable ASCII, anything else shown as '?'. */
static void note_peer(struct natt_tls *t, X509 *leaf)
{
	X509_NAME *name = X509_get_subject_name(leaf);
	int i = X509_NAME_get_index_by_NID(name, NID_commonName, -1);
	unsigned char *utf8 = NULL;
	int n = -1;
	unsigned int fplen = 0;

	t->have_peer = X509_digest(leaf, EVP_sha256(), t->peer_fp, &fplen) == 1 &&
		       fplen == NATT_TLS_FP_LEN;
	t->peer_cn[0] = '\0';
	if (i >= 0)
		n = ASN1_STRING_to_UTF8(&utf8,
					X509_NAME_ENTRY_get_data(X509_NAME_get_entry(name, i)));
	for (int k = 0; k < n && k < NATT_TLS_MAX_CN; k++) {
		t->peer_cn[k] = utf8[k] >= 0x20 && utf8[k] < 0x7f ? (char)utf8[k] : '?';
		t->peer_cn[k + 1] = '\0';
	}
	OPENSSL_free(utf8);
}

static enum natt_tls_reason x509_reason(int err)
{
	switch (err) {
	case X509_V_ERR_CERT_HAS_EXPIRED: return NATT_TLS_R_EXPIRED;
	case X509_V_ERR_CERT_NOT_YET_VALID: return NATT_TLS_R_NOT_YET_VALID;
	case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT:
	case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY:
	case X509_V_ERR_UNABLE_TO_VERIFY_LEAF_SIGNATURE:
	case X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT:
	case X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN:
	case X509_V_ERR_CERT_UNTRUSTED: return NATT_TLS_R_UNKNOWN_CA;
	case X509_V_ERR_INVALID_PURPOSE:
	case X509_V_ERR_KEYUSAGE_NO_DIGITAL_SIGNATURE: return NATT_TLS_R_BAD_KEY_USAGE;
	}
	return NATT_TLS_R_BAD_CERT;
}

/* ", notAfter <date>" for the validity errors, "" otherwise. */
static void validity_note(int err, X509 *x, char *buf, size_t len)
{
	const ASN1_TIME *when = NULL;
	const char *what = "";
	BIO *bio;
	char *text;
	long n;

	buf[0] = '\0';
	if (x != NULL && err == X509_V_ERR_CERT_HAS_EXPIRED) {
		what = "notAfter";
		when = X509_get0_notAfter(x);
	} else if (x != NULL && err == X509_V_ERR_CERT_NOT_YET_VALID) {
		what = "notBefore";
		when = X509_get0_notBefore(x);
	}
	bio = when != NULL ? BIO_new(BIO_s_mem()) : NULL;
	if (bio != NULL && ASN1_TIME_print(bio, when) == 1) {
		n = BIO_get_mem_data(bio, &text);
		snprintf(buf, len, ", %s %.*s", what, (int)n, text);
	}
	BIO_free(bio);
}

static void chain_failed(struct natt_tls *t, X509_STORE_CTX *sc)
{
	int err = X509_STORE_CTX_get_error(sc);
	X509 *x = X509_STORE_CTX_get_current_cert(sc);
	char subject[SUBJECT_LEN], note[64];

	subject_of(x, subject, sizeof(subject));
	validity_note(err, x, note, sizeof(note));
	natt_tls_set_failure(t, x509_reason(err), "%s: %s (depth %d%s)",
			     X509_verify_cert_error_string(err), subject,
			     X509_STORE_CTX_get_error_depth(sc), note);
}

static bool netscape_type(X509 *x, int bit)
{
	ASN1_BIT_STRING *ns = X509_get_ext_d2i(x, NID_netscape_cert_type, NULL, NULL);
	bool ok = ns != NULL && ASN1_BIT_STRING_get_bit(ns, bit) == 1;

	ASN1_BIT_STRING_free(ns);
	return ok;
}

/* remote-cert-tls (tls.h).  The key usage must allow signing: in TLS 1.3
 * the certificate authenticates by a signature (RFC 8446 4.4.2.2). */
static bool role_ok(X509 *leaf, enum natt_tls_role peer)
{
	uint32_t flags = X509_get_extension_flags(leaf);

	if (!(flags & EXFLAG_KUSAGE) || !(X509_get_key_usage(leaf) & KU_DIGITAL_SIGNATURE))
		return false;
	if (flags & EXFLAG_XKUSAGE)
		return (X509_get_extended_key_usage(leaf) &
			(peer == NATT_TLS_SERVER ? XKU_SSL_SERVER : XKU_SSL_CLIENT)) != 0;
	return netscape_type(leaf, peer == NATT_TLS_SERVER ? NS_BIT_SSL_SERVER : NS_BIT_SSL_CLIENT);
}

/* A SAN DNS name (or, without SANs, the CN) by RFC 6125 rules; or the CN
 * exactly, as OpenVPN's "verify-x509-name NAME name". */
static bool name_ok(X509 *leaf, const char *want)
{
	X509_NAME *name = X509_get_subject_name(leaf);
	unsigned char *utf8;
	bool ok = false;
	int n;

	if (X509_check_host(leaf, want, 0, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS, NULL) == 1)
		return true;
	for (int i = -1; !ok && (i = X509_NAME_get_index_by_NID(name, NID_commonName, i)) >= 0;) {
		utf8 = NULL;
		n = ASN1_STRING_to_UTF8(&utf8,
					X509_NAME_ENTRY_get_data(X509_NAME_get_entry(name, i)));
		ok = n >= 0 && (size_t)n == strlen(want) && memcmp(utf8, want, (size_t)n) == 0;
		OPENSSL_free(utf8);
	}
	return ok;
}

static bool pin_ok(const struct natt_tls_ctx *c, const uint8_t fp[NATT_TLS_FP_LEN])
{
	bool ok = false;

	for (size_t i = 0; i < c->npins; i++)
		ok |= CRYPTO_memcmp(c->pins[i], fp, NATT_TLS_FP_LEN) == 0;
	return ok;
}

/* The X509_V_ERR_* chosen for each check picks the alert the peer gets. */
static int check_leaf(struct natt_tls *t, X509_STORE_CTX *sc, X509 *leaf)
{
	const struct natt_tls_ctx *c = t->ctx;
	enum natt_tls_role peer = c->role == NATT_TLS_CLIENT ? NATT_TLS_SERVER : NATT_TLS_CLIENT;
	const char *peer_role = peer == NATT_TLS_SERVER ? "server" : "client";
	char subject[SUBJECT_LEN], hex[NATT_TLS_FP_HEX_LEN];

	subject_of(leaf, subject, sizeof(subject));
	if (c->check_eku && !role_ok(leaf, peer)) {
		X509_STORE_CTX_set_error(sc, X509_V_ERR_INVALID_PURPOSE);
		natt_tls_set_failure(
			t, NATT_TLS_R_BAD_KEY_USAGE,
			"%s is not a TLS %s certificate: needs key usage digitalSignature and "
			"extended key usage %sAuth (remote-cert-tls %s)",
			subject, peer_role, peer_role, peer_role);
		return 0;
	}
	if (c->peer_name != NULL && !name_ok(leaf, c->peer_name)) {
		X509_STORE_CTX_set_error(sc, X509_V_ERR_HOSTNAME_MISMATCH);
		natt_tls_set_failure(t, NATT_TLS_R_NAME_MISMATCH,
				     "%s matches neither a DNS name nor the CN \"%.64s\"", subject,
				     c->peer_name);
		return 0;
	}
	if (c->npins > 0 && (!t->have_peer || !pin_ok(c, t->peer_fp))) {
		X509_STORE_CTX_set_error(sc, X509_V_ERR_CERT_REJECTED);
		natt_tls_fingerprint_hex(t->peer_fp, hex);
		natt_tls_set_failure(t, NATT_TLS_R_PIN_MISMATCH,
				     "%s: fingerprint %s matches no pin", subject, hex);
		return 0;
	}
	return 1;
}

/* The chain against the CA file (unless trusting by pins only), then our
 * checks of the leaf. */
int natt_tls_verify_peer(X509_STORE_CTX *sc, void *arg)
{
	const struct natt_tls_ctx *c = arg;
	SSL *ssl = X509_STORE_CTX_get_ex_data(sc, SSL_get_ex_data_X509_STORE_CTX_idx());
	struct natt_tls *t = ssl != NULL ? SSL_get_app_data(ssl) : NULL;
	X509 *leaf = X509_STORE_CTX_get0_cert(sc);

	if (t == NULL || leaf == NULL)
		return 0;
	note_peer(t, leaf);
	if (c->has_ca && X509_verify_cert(sc) != 1) {
		chain_failed(t, sc);
		return 0;
	}
	return check_leaf(t, sc, leaf);
}
