/*
 * stun.h: RFC 8489 STUN, the Binding method only: what the rendezvous needs
 * to answer Binding requests on its port, and what a peer needs to learn its
 * server-reflexive address from any STUN server.
 *
 * STUN is specified by its RFC, not by doc/PROTOCOL.md, so its codec lives
 * here rather than in wire.c (PROTOCOL.md section 8).  Sans-I/O: no socket,
 * no clock, no randomness (the caller supplies transaction IDs).
 *
 * Decoding never reads outside [pkt, pkt + len) and never allocates;
 * pointers in a decoded message point into the input.  Encoders return the
 * number of bytes written or a negative error and never write past cap.
 *
 * Not implemented: the long-term credential mechanism's nonce/realm dance
 * (the rendezvous answers without authentication, as RFC 8489 section 9
 * allows for a Binding-only server), MESSAGE-INTEGRITY-SHA256, TURN, the
 * 420 (Unknown Attribute) error response (such requests are dropped), and
 * SASLprep/OpaqueString: callers pass credentials already prepared.
 */
#ifndef NATT_STUN_H
#define NATT_STUN_H

#include <stdbool.h>

#include "natt.h"
#include "wire.h"

#define NATT_STUN_HDR_LEN	    20		/* RFC 8489 5 */
#define NATT_STUN_MAGIC_COOKIE	    0x2112A442u /* RFC 8489 5 */
#define NATT_STUN_TXID_LEN	    12		/* RFC 8489 5 */
#define NATT_STUN_ATTR_HDR_LEN	    4		/* RFC 8489 14 */
#define NATT_STUN_FINGERPRINT_XOR   0x5354554eu /* RFC 8489 14.7: "STUN" */
#define NATT_STUN_HMAC_SHA1_LEN	    20		/* RFC 8489 14.5 */
#define NATT_STUN_LONG_TERM_KEY_LEN 16		/* RFC 8489 9.2.2: MD5 */

/* A response is never more than this many times its request's size
 * (PROTOCOL.md 8: no amplification). */
#define NATT_STUN_MAX_AMPLIFICATION 3

/* Message types: method Binding (0x001) in each class, RFC 8489 5 and 18.2. */
enum natt_stun_type {
	NATT_STUN_BINDING_REQUEST = 0x0001,
	NATT_STUN_BINDING_INDICATION = 0x0011,
	NATT_STUN_BINDING_SUCCESS = 0x0101,
	NATT_STUN_BINDING_ERROR = 0x0111,
};

/* Attribute types (RFC 8489 18.3; PRIORITY and USE-CANDIDATE RFC 8445 16.1,
 * ICE-CONTROLLED/-CONTROLLING RFC 8445 16.1). */
enum natt_stun_attr {
	NATT_STUN_ATTR_MAPPED_ADDRESS = 0x0001,
	NATT_STUN_ATTR_USERNAME = 0x0006,
	NATT_STUN_ATTR_MESSAGE_INTEGRITY = 0x0008,
	NATT_STUN_ATTR_ERROR_CODE = 0x0009,
	NATT_STUN_ATTR_UNKNOWN_ATTRIBUTES = 0x000A,
	NATT_STUN_ATTR_REALM = 0x0014,
	NATT_STUN_ATTR_NONCE = 0x0015,
	NATT_STUN_ATTR_MESSAGE_INTEGRITY_SHA256 = 0x001C,
	NATT_STUN_ATTR_PASSWORD_ALGORITHM = 0x001D,
	NATT_STUN_ATTR_USERHASH = 0x001E,
	NATT_STUN_ATTR_XOR_MAPPED_ADDRESS = 0x0020,
	NATT_STUN_ATTR_PRIORITY = 0x0024,
	NATT_STUN_ATTR_USE_CANDIDATE = 0x0025,
	NATT_STUN_ATTR_PASSWORD_ALGORITHMS = 0x8002,
	NATT_STUN_ATTR_ALTERNATE_DOMAIN = 0x8003,
	NATT_STUN_ATTR_SOFTWARE = 0x8022,
	NATT_STUN_ATTR_ALTERNATE_SERVER = 0x8023,
	NATT_STUN_ATTR_FINGERPRINT = 0x8028,
	NATT_STUN_ATTR_ICE_CONTROLLED = 0x8029,
	NATT_STUN_ATTR_ICE_CONTROLLING = 0x802A,
};

/* Comprehension-required attributes not understood, kept for the caller. */
#define NATT_STUN_MAX_UNKNOWN 8

/* A byte string inside the decoded message (not NUL-terminated). */
struct natt_stun_bytes {
	const uint8_t *p; /* NULL when the attribute is absent */
	uint16_t len;
};

/*
 * A decoded message.  Only the first occurrence of an attribute counts
 * (RFC 8489 14); attributes after MESSAGE-INTEGRITY other than FINGERPRINT
 * and MESSAGE-INTEGRITY-SHA256 are ignored (14.5).
 */
struct natt_stun_msg {
	uint16_t type; /* enum natt_stun_type, or any other */
	uint8_t txid[NATT_STUN_TXID_LEN];
	size_t len; /* whole message, header included */
	bool has_xor_mapped;
	struct natt_cand xor_mapped; /* XOR-MAPPED-ADDRESS, decoded, kind srflx */
	bool has_mapped;
	struct natt_cand mapped; /* MAPPED-ADDRESS, kind srflx */
	struct natt_stun_bytes username;
	struct natt_stun_bytes realm;
	struct natt_stun_bytes nonce;
	struct natt_stun_bytes software;
	size_t integrity_off; /* offset of the MESSAGE-INTEGRITY header; 0 = none */
	bool has_fingerprint; /* present, and it verified */
	uint16_t error_code;  /* ERROR-CODE as class * 100 + number; 0 = none */
	uint8_t n_unknown;    /* comprehension-required attributes not understood */
	uint16_t unknown[NATT_STUN_MAX_UNKNOWN]; /* their types (the first ones) */
};

/* CRC-32 (ISO-HDLC, the one of zlib and RFC 1952) of len bytes, as used by
 * FINGERPRINT before the XOR. */
uint32_t natt_stun_crc32(const uint8_t *p, size_t len);

/*
 * Whether pkt looks like STUN: first two bits zero, length a multiple of 4
 * matching len, and the magic cookie (RFC 8489 5).  Cheap, no attribute walk.
 */
bool natt_stun_is_stun(const uint8_t *pkt, size_t len);

/*
 * Decodes and checks a message: header, attribute framing with 4-byte
 * padding (padding contents are ignored, 14), address attributes, and the
 * FINGERPRINT when present.  Returns NATT_OK, or NATT_ERR_TRUNCATED (shorter
 * than the header, or an attribute runs past the end), NATT_ERR_BAD_TYPE
 * (first two bits not zero: not STUN), NATT_ERR_BAD_VERSION (no magic
 * cookie: RFC 3489 STUN, unsupported), NATT_ERR_BAD_LENGTH (length field not
 * a multiple of 4 or not matching len; a known attribute of the wrong
 * size), NATT_ERR_BAD_ADDRESS (unknown family in an address attribute, or
 * port 0), NATT_ERR_BAD_VALUE (FINGERPRINT does not verify or is not the
 * last attribute; an ERROR-CODE outside 300-699).
 */
int natt_stun_decode(struct natt_stun_msg *m, const uint8_t *pkt, size_t len);

/*
 * Verifies MESSAGE-INTEGRITY (HMAC-SHA1, RFC 8489 14.5) of a message that
 * natt_stun_decode() accepted, with key: the short-term password, or the
 * long-term key of natt_stun_long_term_key().  Returns NATT_OK, or
 * NATT_ERR_INVALID (no MESSAGE-INTEGRITY in m, or pkt/len not the decoded
 * message), NATT_ERR_AUTH (mismatch), NATT_ERR_CRYPTO.
 */
int natt_stun_check_integrity(const struct natt_stun_msg *m, const uint8_t *pkt, size_t len,
			      const uint8_t *key, size_t key_len);

/*
 * The long-term credential key, MD5(username ":" realm ":" password)
 * (RFC 8489 9.2.2, MD5 algorithm).  The strings must already be processed
 * (SASLprep / OpaqueString): this function hashes bytes.  Returns NATT_OK,
 * NATT_ERR_INVALID (NULL argument), NATT_ERR_CRYPTO.
 */
int natt_stun_long_term_key(uint8_t key[NATT_STUN_LONG_TERM_KEY_LEN], const char *username,
			    const char *realm, const char *password);

/* ---- server side ---- */

/*
 * Answers a Binding request from `from` with a Binding success response
 * carrying XOR-MAPPED-ADDRESS (from's address) and FINGERPRINT, the same
 * transaction ID, nothing else.  Returns the response length (> 0), or
 * NATT_ERR_BAD_TYPE (not a Binding request: indications and responses get
 * no answer), NATT_ERR_BAD_VALUE (a comprehension-required attribute this
 * side does not understand: dropped instead of a 420), NATT_ERR_TOO_SMALL
 * (the response would exceed NATT_STUN_MAX_AMPLIFICATION times the
 * request), NATT_ERR_BUFFER, NATT_ERR_INVALID (from not an IPv4/IPv6
 * address), or any error of natt_stun_decode().
 */
int natt_stun_answer(uint8_t *out, size_t cap, const uint8_t *req, size_t req_len,
		     const struct natt_cand *from);

/* ---- client side ---- */

/*
 * Builds a Binding request with the given transaction ID (fresh from a
 * CSPRNG, RFC 8489 6), and a FINGERPRINT when with_fingerprint (RFC 8489
 * 7.1 recommends it when STUN shares a port with other protocols).
 * Returns the length (20 or 28), or NATT_ERR_BUFFER.
 */
int natt_stun_binding_request(uint8_t *out, size_t cap, const uint8_t txid[NATT_STUN_TXID_LEN],
			      bool with_fingerprint);

/*
 * Reads the mapped address from a Binding success response to the request
 * with txid: XOR-MAPPED-ADDRESS, else MAPPED-ADDRESS (RFC 8489 14.1, for
 * old servers).  *mapped gets kind srflx; an IPv4-mapped IPv6 address
 * (::ffff:a.b.c.d) comes back as the IPv4 address.  Returns NATT_OK, or
 * NATT_ERR_BAD_TYPE (not a Binding success response; an error response's
 * code is in natt_stun_decode()'s error_code), NATT_ERR_BAD_VALUE
 * (transaction ID differs), NATT_ERR_BAD_ADDRESS (no address attribute, or
 * the unspecified address 0.0.0.0 or ::), or any error of
 * natt_stun_decode() (a bad FINGERPRINT included).
 */
int natt_stun_parse_response(const uint8_t *pkt, size_t len, const uint8_t txid[NATT_STUN_TXID_LEN],
			     struct natt_cand *mapped);

#endif
