/*
 * datachan.h: the acknowledgement-free data channel (doc/PROTOCOL.md 7).
 *
 * After the TLS handshake every OpenVPN datagram travels as one DATA packet,
 * sealed on its own like IPsec ESP: the 18-byte header (type, epoch, the
 * receiver's connection ID, a 64-bit counter) is the associated data, the
 * counter is the implicit nonce (iv XOR (0^32 || counter)), and the AEAD is
 * AES-256-GCM or ChaCha20-Poly1305 through OpenSSL EVP.
 *
 * Each direction has its own secret S_0 (TLS exporter) and its own chain of
 * key epochs: key_e, iv_e and S_(e+1) are HKDF-Expand(SHA-256) of S_e.
 *
 * Sender: moves to the next epoch before it would send more than
 * rekey_packets packets under one key, or when the epoch is older than
 * rekey_after; the switch happens while sealing, so every epoch carries at
 * least one packet and a (key, counter) pair is never used twice.
 *
 * Receiver: holds the previous, current and next epoch.  The next epoch's
 * keys are derived in advance, so a forged packet claiming the next epoch
 * costs one AEAD trial, never a key derivation.  A packet of the next epoch
 * that authenticates makes it current; the old current becomes previous and
 * is kept for `overlap` so that packets reordered across the switch still
 * open; epochs older than that are forgotten.  The replay window (per epoch)
 * is checked before decryption and moved only after authentication.
 *
 * Keepalives: an empty payload (34 bytes on the wire).  The channel records
 * when it last sent and tells the caller when a keepalive is due, so NAT
 * mappings stay fresh while the tunnel is idle.
 *
 * Sans-I/O: no sockets, no clock, no randomness.  Time comes in as `now`
 * (natt.h).  Nothing allocates after natt_dc_new() except the rare epoch
 * switch inside OpenSSL's KDF.  Not thread-safe: one natt_dc per session,
 * used by one thread at a time.
 */
#ifndef NATT_DATACHAN_H
#define NATT_DATACHAN_H

#include <stdbool.h>

#include "natt.h"
#include "replay.h"
#include "wire.h"

/* Length of a per-direction secret S_e (PROTOCOL.md 7). */
#define NATT_DC_SECRET_LEN 32

/* Bytes a DATA packet adds to its payload: header (AAD) and tag. */
#define NATT_DC_OVERHEAD (NATT_DATA_HDR_LEN + NATT_TAG_LEN)

/* Largest payload, so that the packet stays within NATT_MAX_DATAGRAM. */
#define NATT_DC_MAX_PAYLOAD (NATT_MAX_DATAGRAM - NATT_DC_OVERHEAD)

/* Packets under one key before the sender moves on (PROTOCOL.md 7: before
 * 2^23, well below AES-GCM's 2^24.5 integrity bound, RFC 9001 6.6 / B.1).
 * Also the largest value the configuration accepts. */
#define NATT_DC_REKEY_PACKETS (UINT64_C(1) << 23)

/* Age of an epoch after which the sender moves on (PROTOCOL.md 7). */
#define NATT_DC_REKEY_AFTER (2 * 3600 * NATT_SEC)

/* How long the receiver keeps the previous epoch (PROTOCOL.md 7). */
#define NATT_DC_OVERLAP (30 * NATT_SEC)

/* Idle interval after which a keepalive is due; must stay below the
 * 30 s UDP timeout of Linux conntrack (nf_conntrack_udp_timeout) with
 * margin, hence the exclusive maximum of 25 s (issue 4, PROTOCOL.md 9.1). */
#define NATT_DC_KEEPALIVE     (15 * NATT_SEC)
#define NATT_DC_KEEPALIVE_MAX (25 * NATT_SEC)

/* Replay window in packets: at least 2048 (PROTOCOL.md 3.3, 7); the ring
 * of transport/replay.h costs the same memory at any size, so the default
 * is its largest. */
#define NATT_DC_WINDOW_MIN 2048
#define NATT_DC_WINDOW	   NATT_REPLAY_MAX_WINDOW

/* Forgery integrity limits (RFC 9001 6.6): once this many packets failed
 * authentication in a session, across all keys, the session must close. */
#define NATT_DC_AUTH_LIMIT_AES_GCM (UINT64_C(1) << 52)
#define NATT_DC_AUTH_LIMIT_CHACHA  (UINT64_C(1) << 36)

struct natt_dc_config {
	uint8_t cipher;		 /* enum natt_cipher (wire.h): the one TLS negotiated */
	uint64_t rekey_packets;	 /* packets per tx epoch: 1..NATT_DC_REKEY_PACKETS */
	natt_time_t rekey_after; /* tx epoch age limit, > 0 */
	natt_time_t overlap;	 /* how long the previous rx epoch stays usable */
	natt_time_t keepalive;	 /* idle tx interval: 0 < keepalive < NATT_DC_KEEPALIVE_MAX */
	uint64_t window;	 /* replay window: NATT_DC_WINDOW_MIN..NATT_REPLAY_MAX_WINDOW */
	uint64_t max_epochs;	 /* tx epochs this channel may use (0 = no limit); past
				  * it natt_dc_seal() refuses, so that the session can
				  * bound a TLS secret's life (renegotiate) */
};

/* Counters, for the status file and natt-inspect comparisons.  Every
 * dropped packet is counted in exactly one drop_* field. */
struct natt_dc_stats {
	uint64_t tx_packets; /* sealed, keepalives included */
	uint64_t tx_bytes;   /* payload bytes sealed */
	uint64_t tx_keepalives;
	uint64_t tx_epochs;  /* tx epoch switches */
	uint64_t rx_packets; /* authenticated and accepted, keepalives included */
	uint64_t rx_bytes;   /* payload bytes accepted */
	uint64_t rx_keepalives;
	uint64_t rx_epochs;	  /* rx epoch switches */
	uint64_t drop_truncated;  /* shorter than header + tag */
	uint64_t drop_bad_header; /* not a DATA header, CID 0, too long, counter 2^64-1 */
	uint64_t drop_cid;	  /* addressed to another connection ID */
	uint64_t drop_epoch;	  /* epoch not held: unknown, older, or overlap over */
	uint64_t drop_replay;	  /* counter already accepted (duplicate) */
	uint64_t drop_too_old;	  /* counter behind the replay window */
	uint64_t drop_auth;	  /* tag did not verify (forged, corrupted, wrong key) */
};

/* What natt_dc_open() learned about an accepted packet. */
struct natt_dc_rx_info {
	uint64_t epoch;	  /* full epoch number (the wire carries it mod 256) */
	uint64_t counter; /* the packet's counter */
	bool keepalive;	  /* empty payload */
	bool newest;	  /* highest counter yet of the current epoch: a path change
			   * seen on such a packet is the peer's current address
			   * (an old reordered packet must not move the path back) */
	bool switched;	  /* this packet moved the receiver to a new epoch */
};

struct natt_dc;

/* Fills cfg with the defaults above and AES-256-GCM. */
void natt_dc_config_default(struct natt_dc_config *cfg);

/*
 * Creates a channel.  tx_secret and rx_secret are S_0 of each direction
 * (from the TLS exporter; copied, so the caller may wipe them).  peer_cid is
 * written into every packet sent (the peer's connection ID); local_cid is
 * what received packets must carry.  Epoch 0 starts at now.  Returns
 * NATT_OK, NATT_ERR_INVALID (a configuration value out of range, a CID 0,
 * an unknown cipher), NATT_ERR_NOMEM, NATT_ERR_CRYPTO.  *out is NULL on
 * failure.
 */
int natt_dc_new(struct natt_dc **out, const struct natt_dc_config *cfg,
		const uint8_t tx_secret[NATT_DC_SECRET_LEN],
		const uint8_t rx_secret[NATT_DC_SECRET_LEN], natt_cid_t peer_cid,
		natt_cid_t local_cid, natt_time_t now);

/* Wipes every key and frees the channel; NULL is allowed. */
void natt_dc_free(struct natt_dc *dc);

/*
 * Seals payload[0, len) into out: header, ciphertext, tag.  payload may be
 * out + NATT_DATA_HDR_LEN (in place) or must not overlap out at all; len 0
 * makes a keepalive.  Switches the tx epoch first when the packet or time
 * limit says so.  Returns the packet length (len + NATT_DC_OVERHEAD), or
 * NATT_ERR_INVALID (len above NATT_DC_MAX_PAYLOAD, overlapping buffers),
 * NATT_ERR_BUFFER (cap too small), NATT_ERR_FULL (max_epochs used up: the
 * session must renegotiate), NATT_ERR_CRYPTO (OpenSSL failed: out holds no
 * packet to send; if the failure came after the counter was taken, that
 * counter is skipped, never reused).  The invalid-argument errors consume
 * nothing.
 */
int natt_dc_seal(struct natt_dc *dc, natt_time_t now, const uint8_t *payload, size_t len,
		 uint8_t *out, size_t cap);

/* natt_dc_seal() of an empty payload. */
int natt_dc_keepalive(struct natt_dc *dc, natt_time_t now, uint8_t *out, size_t cap);

/*
 * Opens a received DATA packet in place: on success the payload is at
 * pkt + NATT_DATA_HDR_LEN.  Returns the payload length (>= 0; 0 is a
 * keepalive), which also means the packet authenticated: only then may the
 * caller update the peer's path.  info (may be NULL) is filled on success.
 * Errors, each counted in natt_dc_stats: NATT_ERR_TRUNCATED,
 * NATT_ERR_TOO_SMALL (drop_truncated); NATT_ERR_BAD_TYPE,
 * NATT_ERR_BAD_LENGTH, NATT_ERR_BAD_VALUE from the header or a counter of
 * 2^64-1 (drop_bad_header); NATT_ERR_WRONG_CID (another connection ID:
 * drop_cid); NATT_ERR_EPOCH (epoch not held: drop_epoch); NATT_ERR_REPLAY
 * (drop_replay); NATT_ERR_TOO_OLD (drop_too_old); NATT_ERR_AUTH (drop_auth;
 * the payload bytes are then garbage); NATT_ERR_CRYPTO (OpenSSL failed,
 * not counted as the peer's fault).  A failed packet changes no state but
 * the counters.
 */
int natt_dc_open(struct natt_dc *dc, natt_time_t now, uint8_t *pkt, size_t len,
		 struct natt_dc_rx_info *info);

/*
 * The next instant natt_dc_handle_expiry() has work: a keepalive due or the
 * previous rx epoch's overlap ending.  Never NATT_TIME_NEVER while the
 * channel can still send.
 */
natt_time_t natt_dc_next_expiry(const struct natt_dc *dc);

/* When the next keepalive is due: the last packet sent plus the interval. */
natt_time_t natt_dc_keepalive_due(const struct natt_dc *dc);

/*
 * Timer work at now: forgets the previous rx epoch once its overlap is
 * over, and writes a keepalive into out when one is due.  Returns the
 * keepalive's length, 0 when there is nothing to send, or an error of
 * natt_dc_seal().
 */
int natt_dc_handle_expiry(struct natt_dc *dc, natt_time_t now, uint8_t *out, size_t cap);

/* The counters so far. */
const struct natt_dc_stats *natt_dc_stats(const struct natt_dc *dc);

/* Full tx / rx epoch numbers (the current ones). */
uint64_t natt_dc_tx_epoch(const struct natt_dc *dc);
uint64_t natt_dc_rx_epoch(const struct natt_dc *dc);

/* The counter the next sealed packet will carry if no switch happens. */
uint64_t natt_dc_tx_counter(const struct natt_dc *dc);

/* Whether forged packets reached the cipher's integrity limit (RFC 9001
 * 6.6): the session must then close. */
bool natt_dc_auth_limit_reached(const struct natt_dc *dc);

/* "AES-256-GCM", "CHACHA20-POLY1305", or NULL for an unknown cipher. */
const char *natt_dc_cipher_name(uint8_t cipher);

#endif
