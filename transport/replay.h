/*
 * replay.h: the two replay guards of the protocol.
 *
 * natt_replay: a sliding window over 64-bit sequence numbers, a ring of
 * 64-bit bitmap words in the style of RFC 6479.  Used for the packet numbers
 * of HANDSHAKE packets (per connection) and for data-channel counters (per
 * key epoch).  check() and update() are separate so that a caller updates
 * the window only after the packet authenticated: a forged packet must never
 * move the window.
 *
 * natt_saltguard: for rendezvous messages, which have no per-connection
 * sequence: a message is accepted when its timestamp lies within
 * +-skew of the receiver's wall clock and its salt was not seen before.
 * Salts are remembered in two generations of a fixed-capacity table, each
 * generation lasting 2*skew, so a salt stays remembered for as long as its
 * timestamp could still be accepted.  The tables hold 8-byte fingerprints
 * of the salts (24 bytes per salt of capacity, both generations together);
 * replay.c explains why that is safe.  Memory is fixed at creation.
 */
#ifndef NATT_REPLAY_H
#define NATT_REPLAY_H

#include <stdbool.h>

#include "natt.h"

/* Largest window: (NATT_REPLAY_WORDS - 1) * 64 = 4032 packets. */
#define NATT_REPLAY_WORDS      64
#define NATT_REPLAY_MAX_WINDOW ((NATT_REPLAY_WORDS - 1) * 64)

struct natt_replay {
	uint64_t top;			  /* highest sequence accepted + 1; 0 = none yet */
	uint64_t ring[NATT_REPLAY_WORDS]; /* bit i of word (seq/64 % WORDS) = seq seen */
	uint64_t window;		  /* sequences older than top - window are too old */
};

/* window: 1..NATT_REPLAY_MAX_WINDOW.  Returns NATT_OK or NATT_ERR_INVALID. */
int natt_replay_init(struct natt_replay *r, uint64_t window);

/* NATT_OK if seq may be accepted; NATT_ERR_REPLAY if already seen;
 * NATT_ERR_TOO_OLD if behind the window; NATT_ERR_BAD_VALUE for seq
 * UINT64_MAX, which top cannot represent.  Does not modify the window. */
int natt_replay_check(const struct natt_replay *r, uint64_t seq);

/* Marks seq seen (after authentication).  Returns what check() would have. */
int natt_replay_update(struct natt_replay *r, uint64_t seq);

struct natt_saltguard;

/*
 * capacity: how many salts one generation (one period of 2*skew) accepts,
 * exactly; skew_ms: the accepted clock difference.  Returns NULL on
 * allocation failure, capacity 0, or a capacity whose table would pass 2^32 slots
 * (about 2.8 * 10^9 salts).
 */
struct natt_saltguard *natt_saltguard_new(size_t capacity, uint64_t skew_ms);
void natt_saltguard_free(struct natt_saltguard *g);

/* Bytes the guard holds (fixed at creation). */
size_t natt_saltguard_memory(const struct natt_saltguard *g);

/*
 * Called after a rendezvous message authenticated.  ts_wall_ms is the
 * message's timestamp, now_wall_ms the receiver's clock.  Returns NATT_OK
 * (and remembers the salt), NATT_ERR_STALE (timestamp too far off),
 * NATT_ERR_REPLAY (salt already seen), NATT_ERR_FULL (this generation is
 * full: the message is refused, never silently accepted unremembered).
 */
int natt_saltguard_check(struct natt_saltguard *g, const uint8_t salt[NATT_SALT_LEN],
			 uint64_t ts_wall_ms, uint64_t now_wall_ms);

#endif
