/*
 * seal.h: outer protection of the packets sent before (or beside) TLS:
 * HANDSHAKE, PROBE/PROBE_REPLY and the rendezvous messages.
 *
 * The deployment shares one 256-bit network key.  From it, HKDF-SHA256
 * derives one key per purpose (doc/PROTOCOL.md section 3), so a packet of
 * one purpose can never be opened as another.  Every sealed packet carries a
 * fresh random 16-byte salt as the last 16 bytes of its header; the AEAD key
 * for that one packet is HMAC-SHA256(purpose key, salt) and the AEAD is
 * AES-256-GCM with an all-zero nonce.  A per-packet key means no nonce can
 * ever repeat under one key, however many peers share the network key and
 * however their random generators behave short of a 2^64 salt collision.
 *
 * The whole header (everything before the body, salt included) is the
 * associated data.  seal does no I/O and never draws randomness: the caller
 * writes the salt into the header before sealing.
 */
#ifndef NATT_SEAL_H
#define NATT_SEAL_H

#include "natt.h"

enum natt_seal_purpose {
	NATT_SEAL_HANDSHAKE = 0,   /* reliable segments (type 0xC1) */
	NATT_SEAL_PROBE = 1,	   /* path probes and replies (0xC2, 0xC3) */
	NATT_SEAL_RENDEZVOUS = 2,  /* rendezvous messages (0xC8..0xCC) */
	NATT_SEAL_UNKNOWN_CID = 3, /* "no such session" replies (0xC4) */
	NATT_SEAL_PURPOSES = 4
};

struct natt_seal;

/*
 * Derives the purpose keys from a network key.  All purposes are
 * usable.  Returns NATT_OK, NATT_ERR_NOMEM or NATT_ERR_CRYPTO.
 */
int natt_seal_new(struct natt_seal **out, const uint8_t network_key[NATT_KEY_LEN]);

/*
 * For a rendezvous that was given only the rendezvous key (the purpose key
 * NATT_SEAL_RENDEZVOUS, exported with natt_seal_rendezvous_key()): only
 * that purpose is usable; the others return NATT_ERR_WRONG_PURPOSE.
 */
int natt_seal_new_rendezvous(struct natt_seal **out, const uint8_t rdv_key[NATT_KEY_LEN]);

void natt_seal_free(struct natt_seal *s);

/* The public 8-byte network ID (carried in rendezvous headers). */
void natt_seal_network_id(const struct natt_seal *s, uint8_t id[NATT_NETWORK_ID_LEN]);

/* Copies out the rendezvous purpose key (for a rendezvous-only key file). */
int natt_seal_rendezvous_key(const struct natt_seal *s, uint8_t key[NATT_KEY_LEN]);

/*
 * Seals in place.  pkt[0, hdr_len) is the header, whose last NATT_SALT_LEN
 * bytes are the salt; pkt[hdr_len, hdr_len + body_len) is the plaintext
 * body, encrypted in place; the tag is written after it.  cap is the size
 * of pkt.  Returns the packet length (hdr_len + body_len + NATT_TAG_LEN), or
 * NATT_ERR_INVALID (hdr_len < NATT_SALT_LEN), NATT_ERR_BUFFER (cap too
 * small), NATT_ERR_WRONG_PURPOSE, NATT_ERR_CRYPTO.
 */
int natt_seal_seal(struct natt_seal *s, enum natt_seal_purpose purpose, uint8_t *pkt,
		   size_t hdr_len, size_t body_len, size_t cap);

/*
 * Opens in place: verifies the tag over header and ciphertext and decrypts
 * the body, which then sits at pkt + hdr_len.  Returns the body length, or
 * NATT_ERR_TRUNCATED (pkt_len < hdr_len + NATT_TAG_LEN), NATT_ERR_INVALID,
 * NATT_ERR_AUTH (any bit wrong, wrong key, wrong purpose key),
 * NATT_ERR_WRONG_PURPOSE, NATT_ERR_CRYPTO.  On failure the body bytes are
 * unspecified and must not be used.
 */
int natt_seal_open(struct natt_seal *s, enum natt_seal_purpose purpose, uint8_t *pkt,
		   size_t hdr_len, size_t pkt_len);

#endif
