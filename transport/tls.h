/*
 * tls.h: TLS 1.3 over a byte stream, sans-I/O (doc/PROTOCOL.md sections 7
 * and 9).
 *
 * The reliable stream (rudp) carries TLS; this module turns stream bytes
 * into a mutually authenticated TLS 1.3 session through two OpenSSL memory
 * BIOs, never a socket.  Bytes from the peer go in with natt_tls_feed(),
 * bytes for the peer come out of natt_tls_pull(); nothing here blocks,
 * sleeps, reads a clock of its own or touches the network.
 *
 * Authentication is the one an OpenVPN deployment already has: a CA file, a
 * certificate (optionally followed by its chain) and a private key in PEM,
 * plus the checks OpenVPN operators know: an expected peer name
 * (verify-x509-name), SHA-256 fingerprint pins (peer-fingerprint) and the
 * role check of remote-cert-tls.  With pins and no CA file, the peer is
 * trusted by its pinned fingerprint alone, as in OpenVPN's peer-fingerprint
 * mode (self-signed certificates; chain and validity dates are not checked).
 *
 * After the handshake the session exports the two data-channel secrets
 * S_0(c->s) and S_0(s->c) (PROTOCOL.md 7) and carries the transport's own
 * control messages (PROTOCOL.md 9) as TLS application data.
 *
 * Two things this module cannot take from its caller, and documents instead:
 *   - randomness: OpenSSL draws the TLS randoms and key shares from its own
 *     CSPRNG, so TLS bytes differ on every run (tests never compare them);
 *   - the clock for certificate validity: OpenSSL reads the system clock
 *     unless natt_tls_config.verify_time fixes the instant.
 *
 * TLS 1.3 only; no session tickets, resumption, 0-RTT, compression or
 * renegotiation.  Not thread-safe: one thread drives a session (and the
 * reference count of its context).
 *
 * TLS 1.3 ordering to be aware of: a client finishes its handshake before
 * the server has judged the client's certificate.  A client therefore sees
 * NATT_TLS_ESTABLISHED and may later turn NATT_TLS_FAILED with
 * NATT_TLS_R_PEER_ALERT when the server rejects it.  natt_tls_peer_confirmed()
 * says when the peer has accepted us (server: at once; client: when the
 * first application byte from the server arrives, i.e. its PARAMS).  Put the
 * data channel in use only after that.
 */
#ifndef NATT_TLS_H
#define NATT_TLS_H

#include <stdbool.h>

#include "natt.h"
#include "wire.h"

/* TLS exporter labels of the data-channel secrets (PROTOCOL.md 7), used
 * with an empty context (in TLS 1.3, RFC 8446 7.5, "no context" and the
 * empty context are the same computation). */
#define NATT_TLS_EXPORTER_C2S "EXPORTER-natt-data-c2s"
#define NATT_TLS_EXPORTER_S2C "EXPORTER-natt-data-s2c"
#define NATT_TLS_SECRET_LEN   32

/* SHA-256 fingerprint of a certificate's DER encoding, and its printed form
 * "ab:cd:...:ef" (32 pairs, 31 colons, NUL). */
#define NATT_TLS_FP_LEN	    32
#define NATT_TLS_FP_HEX_LEN (NATT_TLS_FP_LEN * 3)

/* Largest peer name kept for logs (X.509 upper bound of a CN, RFC 5280 A.1). */
#define NATT_TLS_MAX_CN 64

/* Bytes fed but not yet consumed by TLS after which natt_tls_feed() takes no
 * more (the caller stops draining its stream: back-pressure).  Larger than
 * one full TLS record (2^14 + 256 + 5, RFC 8446 5.2) so a record always fits. */
#define NATT_TLS_MAX_INBUF (64 * 1024)

/* Bytes waiting for natt_tls_pull() after which natt_tls_write_app() refuses
 * more (NATT_ERR_FULL). */
#define NATT_TLS_MAX_OUTBUF (64 * 1024)

enum natt_tls_role {
	NATT_TLS_CLIENT = 0, /* the side that looked the other up and starts TLS */
	NATT_TLS_SERVER = 1, /* the registered side (OpenVPN server) */
};

enum natt_tls_state {
	NATT_TLS_HANDSHAKING = 0, /* keep shuttling bytes */
	NATT_TLS_ESTABLISHED,	  /* keys exportable, application data flows */
	NATT_TLS_CLOSED,	  /* orderly close (close_notify), by either side */
	NATT_TLS_FAILED,	  /* handshake or session failed: natt_tls_failure() */
};

/* Why a session failed.  The side that judged a certificate reports the
 * certificate reason; the side that was judged sees NATT_TLS_R_PEER_ALERT
 * with the alert's text ("certificate expired", "unknown CA", ...). */
enum natt_tls_reason {
	NATT_TLS_R_NONE = 0,	  /* not failed */
	NATT_TLS_R_EXPIRED,	  /* a certificate of the peer's chain is past notAfter */
	NATT_TLS_R_NOT_YET_VALID, /* a certificate of the peer's chain is before notBefore */
	NATT_TLS_R_UNKNOWN_CA,	  /* the peer's chain does not lead to our CA file */
	NATT_TLS_R_NAME_MISMATCH, /* the peer is not the expected peer_name */
	NATT_TLS_R_PIN_MISMATCH,  /* the peer's fingerprint matches none of the pins */
	NATT_TLS_R_NO_PEER_CERT,  /* the peer sent no certificate */
	NATT_TLS_R_BAD_KEY_USAGE, /* key usage / EKU wrong for the peer's role */
	NATT_TLS_R_BAD_CERT,	  /* any other certificate failure (signature, CA flags) */
	NATT_TLS_R_PEER_ALERT,	  /* the peer aborted with a TLS alert (it rejected us) */
	NATT_TLS_R_PROTOCOL,	  /* malformed or unexpected bytes, version or cipher mismatch */
	NATT_TLS_R_INTERNAL,	  /* OpenSSL or allocation failure on this side */
};

/*
 * Configuration, in OpenVPN's terms.  Only cert_file and key_file are
 * mandatory, plus at least one of ca_file and pins.  A zeroed struct with
 * the files filled in is the default: remote-cert-tls on, system clock.
 */
struct natt_tls_config {
	const char *ca_file;	 /* --ca: PEM CA certificate(s); NULL: trust by pins only */
	const char *cert_file;	 /* --cert: our PEM certificate, then optionally its chain */
	const char *key_file;	 /* --key: our PEM private key (unencrypted) */
	const char *peer_name;	 /* NULL, or the peer must match it: a SAN DNS name
				    (X509_check_host, no partial wildcards) or, as
				    OpenVPN's verify-x509-name NAME name, its CN exactly */
	const char *const *pins; /* npins SHA-256 fingerprints of the peer's certificate,
				    64 hex digits, colons allowed; the peer must match one */
	size_t npins;
	bool any_peer_eku;   /* true: skip remote-cert-tls (see below); default false */
	int64_t verify_time; /* 0: validity checked against the system clock;
				otherwise this instant (seconds since the epoch) */
};

/*
 * remote-cert-tls (on unless any_peer_eku): a server's certificate must have
 * a key usage extension and an extended key usage with serverAuth (or, with
 * no EKU at all, the Netscape cert type "SSL server"); a client's the same
 * with clientAuth; the key usage must include digitalSignature, which TLS 1.3
 * authentication needs (RFC 8446 4.4.2.2).  This applies in pins-only mode
 * too.  Whatever the flag, OpenSSL's own purpose check rejects a certificate
 * whose EKU exists and excludes the peer's role (when a CA file is used).
 */

struct natt_tls_ctx;
struct natt_tls;

/*
 * Loads the files once (they may then disappear: a chroot after start is
 * fine) and builds a context that any number of sessions of this role share.
 * On failure err receives one line naming the file and the problem (the
 * path and errno's text for an unreadable file).
 * Returns NATT_OK, or NATT_ERR_IO (a file cannot be read), NATT_ERR_SYNTAX
 * (no PEM certificate or key in a file, encrypted key, malformed pin),
 * NATT_ERR_INVALID (NULL argument, missing cert_file/key_file, neither
 * ca_file nor pins, key does not match the certificate, certificate refused
 * by OpenSSL, e.g. an RSA key under 2048 bits at Debian's security level 2,
 * bad role),
 * NATT_ERR_NOMEM, NATT_ERR_CRYPTO.
 */
int natt_tls_ctx_new(struct natt_tls_ctx **out, enum natt_tls_role role,
		     const struct natt_tls_config *cfg, char *err, size_t errlen);

/* Drops the caller's reference; the context lives on while sessions use it.
 * NULL is allowed. */
void natt_tls_ctx_free(struct natt_tls_ctx *c);

/*
 * A new session of the context's role; it holds a reference to c.  A
 * client's first flight (ClientHello) is ready for natt_tls_pull() at once.
 * Returns NATT_OK, NATT_ERR_INVALID (NULL argument) or NATT_ERR_NOMEM.
 */
int natt_tls_new(struct natt_tls **out, struct natt_tls_ctx *c);

/* Frees a session (no close_notify: call natt_tls_close() first for that).
 * NULL is allowed. */
void natt_tls_free(struct natt_tls *t);

/*
 * Hands TLS bytes received from the peer's stream and advances the
 * handshake or decrypts application data.  Returns how many bytes were
 * taken (fewer than len when NATT_TLS_MAX_INBUF bytes wait because the
 * application data was not read: read it, then feed the rest), or
 * NATT_ERR_INVALID (NULL t, or in NULL with len > 0).  A failed handshake is
 * not an error here: the state becomes NATT_TLS_FAILED (pull once more: an
 * alert for the peer may be waiting).  After FAILED or CLOSED, input is
 * taken and discarded.
 */
int natt_tls_feed(struct natt_tls *t, const uint8_t *in, size_t len);

/* Bytes waiting to be pulled (0 for NULL t). */
size_t natt_tls_pending(const struct natt_tls *t);

/* Moves up to cap bytes (at most INT_MAX) for the peer's stream into out.
 * Returns the count (0: nothing to send) or NATT_ERR_INVALID (NULL t, or
 * out NULL with cap > 0). */
int natt_tls_pull(struct natt_tls *t, uint8_t *out, size_t cap);

/* The accessors below (state, peer_confirmed, failure, peer_name,
 * cipher_name) take a valid session, never NULL. */
enum natt_tls_state natt_tls_state(const struct natt_tls *t);

/* True once the peer has accepted us (see the head of this file). */
bool natt_tls_peer_confirmed(const struct natt_tls *t);

/*
 * Why the session failed (NATT_TLS_R_NONE unless FAILED).  If detail is not
 * NULL it receives a one-line explanation for the log, e.g. "certificate has
 * expired: /CN=client-expired (depth 0, notAfter Jan  1 00:00:00 2021 GMT)";
 * for a CLOSED session "closed by peer" or "closed locally".  The string
 * lives as long as the session.
 */
enum natt_tls_reason natt_tls_failure(const struct natt_tls *t, const char **detail);

/* Short name of a reason ("certificate expired", "unknown CA", ...); never
 * NULL; printable ASCII under NATT_MAX_REASON bytes, so it fits a CLOSE
 * frame's reason. */
const char *natt_tls_reason_name(enum natt_tls_reason r);

/*
 * The data-channel secrets from this side's point of view: tx is what this
 * side sends with (client: c->s, server: s->c), rx what it receives with.
 * Returns NATT_OK, NATT_ERR_INVALID (not ESTABLISHED, NULL argument) or
 * NATT_ERR_CRYPTO.
 */
int natt_tls_export(struct natt_tls *t, uint8_t tx[NATT_TLS_SECRET_LEN],
		    uint8_t rx[NATT_TLS_SECRET_LEN]);

/*
 * Encrypts len bytes of application data (all or nothing) for natt_tls_pull().
 * Returns len, or NATT_ERR_INVALID (not ESTABLISHED, NULL argument),
 * NATT_ERR_FULL (NATT_TLS_MAX_OUTBUF would be exceeded: pull first),
 * NATT_ERR_CRYPTO (the session then is FAILED).
 */
int natt_tls_write_app(struct natt_tls *t, const uint8_t *data, size_t len);

/* Moves up to cap bytes (at most INT_MAX) of received application data into
 * out.  Returns the count (0: none yet) or NATT_ERR_INVALID (NULL argument).
 * Data received before a close or failure stays readable after it. */
int natt_tls_read_app(struct natt_tls *t, uint8_t *out, size_t cap);

/*
 * Encodes a control message (natt_ctl_encode) and writes it as application
 * data.  Returns NATT_OK, the errors of natt_ctl_encode (NATT_ERR_BAD_TYPE,
 * NATT_ERR_BAD_VALUE) and those of natt_tls_write_app.
 */
int natt_tls_send_ctl(struct natt_tls *t, const struct natt_ctl_msg *m);

/*
 * Decodes the next control message from the received application data
 * (natt_ctl_decode).  Returns 1 (m filled; a message of unknown type comes
 * back with only type and len set, for the caller to ignore), 0 (no whole
 * message yet), NATT_ERR_INVALID (NULL argument), NATT_ERR_BAD_VALUE /
 * NATT_ERR_BAD_LENGTH (the peer sent a malformed message: the session is
 * then FAILED, NATT_TLS_R_PROTOCOL), or NATT_ERR_NOMEM (the buffer could not
 * grow for a large message: FAILED, NATT_TLS_R_INTERNAL).  The receive
 * buffer starts at 4 KiB and grows to 64 KiB + 3 only for a message that
 * needs it.  Do not mix with natt_tls_read_app().
 */
int natt_tls_recv_ctl(struct natt_tls *t, struct natt_ctl_msg *m);

/*
 * Orderly close: queues close_notify for natt_tls_pull() (when ESTABLISHED)
 * and moves to CLOSED.  A peer's close_notify is answered in kind
 * automatically.  During the handshake, nothing is sent (the stream's CLOSE
 * frame says it).  Returns NATT_OK or NATT_ERR_INVALID (NULL t).
 */
int natt_tls_close(struct natt_tls *t);

/* The peer certificate's CN (non-printable bytes shown as '?'), "" before a
 * certificate arrived.  Set even when the certificate was then rejected,
 * so a failure can be logged with who it was. */
const char *natt_tls_peer_name(const struct natt_tls *t);

/* SHA-256 fingerprint of the peer's certificate.  Returns NATT_OK or
 * NATT_ERR_INVALID (no peer certificate seen yet, NULL argument). */
int natt_tls_peer_fingerprint(const struct natt_tls *t, uint8_t fp[NATT_TLS_FP_LEN]);

/* Formats a fingerprint as lowercase "ab:cd:..." (OpenVPN's peer-fingerprint
 * form) into out, NUL-terminated. */
void natt_tls_fingerprint_hex(const uint8_t fp[NATT_TLS_FP_LEN], char out[NATT_TLS_FP_HEX_LEN]);

/* The negotiated TLS 1.3 cipher suite ("TLS_AES_256_GCM_SHA384"), for logs;
 * "" before the handshake is done. */
const char *natt_tls_cipher_name(const struct natt_tls *t);

#endif
