/*
 * ratelimit.h: per-source and global request rate limits for the
 * rendezvous (and its STUN answers), sans-I/O.
 *
 * Each limit is a token bucket of `rate` requests per second and depth
 * `burst`, kept as a GCRA "theoretical arrival time": one 64-bit instant per
 * source, no refill loop.  A source is an IPv4 address or an IPv6 /64 (one
 * subscriber's prefix, as WireGuard's ratelimiter does); the port is ignored
 * because a sender chooses it freely.
 *
 * Memory is fixed at creation: an open-addressing table of `slots` entries
 * of 16 bytes, probed over a window of NATT_RL_PROBE slots.  A slot whose
 * bucket has refilled is free again (it holds no information), so the table
 * forgets idle sources by itself.  When every slot in a source's window
 * holds a still-draining bucket, the least recently refilled one is evicted
 * (the evicted source starts again with a full bucket): the table never
 * refuses a new source, and the global limit bounds what eviction can give
 * away.
 *
 * Each source is told that it is limited at most once per episode
 * (NATT_RL_LIMITED_FIRST); further requests in the episode are
 * NATT_RL_LIMITED (drop silently); the episode ends when the source is let
 * through again.
 */
#ifndef NATT_RATELIMIT_H
#define NATT_RATELIMIT_H

#include "natt.h"
#include "wire.h"

/* Defaults of the rendezvous (tools/natt-rendezvous can override them). */
#define NATT_RL_DEFAULT_RATE	     20	    /* requests/s per source */
#define NATT_RL_DEFAULT_BURST	     40	    /* requests per source at once */
#define NATT_RL_DEFAULT_SLOTS	     65536  /* sources tracked (1 MiB) */
#define NATT_RL_DEFAULT_GLOBAL_RATE  100000 /* requests/s, all sources */
#define NATT_RL_DEFAULT_GLOBAL_BURST 20000
#define NATT_RL_PROBE		     8 /* slots examined per source */

struct natt_ratelimit_config {
	uint32_t rate;	       /* per source, requests per second (>= 1) */
	uint32_t burst;	       /* per source, bucket depth (>= 1) */
	size_t slots;	       /* sources tracked (a power of two >= NATT_RL_PROBE) */
	uint32_t global_rate;  /* all sources together, per second (>= 1) */
	uint32_t global_burst; /* (>= 1) */
};

enum natt_rl_verdict {
	NATT_RL_PASS = 0,	   /* within both limits: serve */
	NATT_RL_LIMITED_FIRST = 1, /* over its own limit, first time this episode: may be told */
	NATT_RL_LIMITED = 2,	   /* over its own limit again: drop silently */
	NATT_RL_GLOBAL = 3,	   /* over the global limit: drop silently */
};

struct natt_ratelimit;

/* Fills cfg with the NATT_RL_DEFAULT_* values. */
void natt_ratelimit_config_default(struct natt_ratelimit_config *cfg);

/* Returns NATT_OK, NATT_ERR_INVALID (a zero rate or burst, slots 0 or too
 * big), NATT_ERR_NOMEM. */
int natt_ratelimit_new(struct natt_ratelimit **out, const struct natt_ratelimit_config *cfg);

void natt_ratelimit_free(struct natt_ratelimit *rl);

/*
 * Accounts one request from src at now and says what to do with it.  A
 * request that passes the per-source limit, or is the first over it, also
 * takes a global token (NATT_RL_GLOBAL when there is none): both lead to
 * work (crypto) on our side; silently dropped ones cost nothing.  src must
 * be an IPv4 or IPv6 candidate (anything else is keyed as all-zero).
 */
enum natt_rl_verdict natt_ratelimit_check(struct natt_ratelimit *rl, natt_time_t now,
					  const struct natt_cand *src);

/*
 * Whether natt_ratelimit_check() at the same now would say NATT_RL_PASS,
 * without taking a token or changing anything: for a caller that must do
 * some work (open a seal) before it knows whether the request is one to
 * serve, and then takes the token with natt_ratelimit_check().
 */
bool natt_ratelimit_peek(const struct natt_ratelimit *rl, natt_time_t now,
			 const struct natt_cand *src);

/* Bytes of memory the limiter holds (fixed at creation). */
size_t natt_ratelimit_memory(const struct natt_ratelimit *rl);

#endif
