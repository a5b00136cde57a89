/*
 * sim.h: a deterministic simulated network for driving sans-I/O endpoints
 * in unit tests and benchmarks.
 *
 * Endpoints are addresses (struct sim_addr: an IPv4 address and a port);
 * the simulator does not own them, it only moves datagrams between them.
 * Every ordered pair of IP addresses has a link with its own impairments
 * and state: delay, jitter, random loss, loss in bursts of exactly k
 * datagrams, duplication, reordering, a rate limit with a drop-tail queue,
 * and blackout periods.  Pairs without an explicit link use the default
 * link configuration (each pair still gets its own state).
 *
 * Time is virtual (natt_time_t, microseconds) and advances only when the
 * caller says so; randomness comes from the simulator's own seeded PRNG
 * (xoshiro256**, seeded with splitmix64), never from rand() or the OS, so a
 * given seed and the same sequence of calls replay exactly, byte for byte.
 * sim_trace_hash() summarises everything that happened, for determinism
 * checks; sim_set_trace() prints or records each event when debugging.
 *
 * Driving loop, for endpoints that hand out datagrams and deadlines:
 *
 *	for (;;) {
 *		(each endpoint sends what it has: sim_send(s, from, to, buf, n))
 *		t = min(sim_next_event_time(s), endpoint deadlines);
 *		sim_deliver_due(s, t, deliver_cb, ctx);   (advances the clock to t)
 *		(endpoints whose deadline is <= t handle their timers)
 *	}
 *
 * A middlebox hook (sim_set_hook) sees every datagram when it is sent and
 * when it arrives, may rewrite its addresses and may drop it: the place
 * for a NAT model.
 */
#ifndef NATT_TESTS_SIM_H
#define NATT_TESTS_SIM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "natt.h"

/* An endpoint address: IPv4 in host byte order, UDP port. */
struct sim_addr {
	uint32_t ip;
	uint16_t port;
};

#define SIM_IP(a, b, c, d)                                                                         \
	((uint32_t)(a) << 24 | (uint32_t)(b) << 16 | (uint32_t)(c) << 8 | (uint32_t)(d))

#define SIM_MAX_BLACKOUTS 4

/* One direction of a link.  All fields zero = a perfect, instant link. */
struct sim_link_cfg {
	natt_time_t delay;	   /* one-way propagation delay */
	natt_time_t jitter;	   /* extra delay, uniform in [0, jitter] per datagram */
	double loss;		   /* probability that a datagram is lost, independently */
	double burst_loss;	   /* long-run fraction lost in bursts (0 = off) ... */
	unsigned burst_len;	   /* ... each burst exactly this many datagrams (>= 1) */
	double dup;		   /* probability that a datagram is delivered twice */
	double reorder;		   /* probability that a datagram is held back ... */
	natt_time_t reorder_delay; /* ... by this much more, so later ones overtake it */
	uint64_t rate;		   /* bytes per second, 0 = unlimited */
	size_t queue_limit;	   /* bytes waiting for the rate limiter; more = drop-tail */
	unsigned nblackout;	   /* blackouts in use */
	struct {
		natt_time_t start; /* datagrams sent in [start, end) are lost */
		natt_time_t end;
	} blackout[SIM_MAX_BLACKOUTS];
};

/* What happened to the datagrams sent on one link. */
struct sim_link_stats {
	uint64_t sent; /* datagrams handed to the link */
	uint64_t bytes_sent;
	uint64_t delivered; /* datagrams handed to the receive callback (dups included) */
	uint64_t bytes_delivered;
	uint64_t lost_random;	/* dropped by cfg.loss */
	uint64_t lost_burst;	/* dropped in bursts */
	uint64_t lost_queue;	/* dropped because the rate limiter's queue was full */
	uint64_t lost_blackout; /* dropped during a blackout */
	uint64_t lost_hook;	/* dropped by the middlebox hook (either point) */
	uint64_t duplicated;	/* extra copies made */
	uint64_t reordered;	/* datagrams held back by cfg.reorder */
	size_t queue_max;	/* largest rate-limiter backlog seen, bytes */
};

enum sim_event {
	SIM_EV_SEND,	/* a datagram entered a link */
	SIM_EV_DROP,	/* it was lost (reason in the trace callback) */
	SIM_EV_DUP,	/* a copy was made */
	SIM_EV_DELIVER, /* it reached the receive callback */
};

enum sim_hook_point {
	SIM_HOOK_SEND,	  /* in sim_send(), before the link is chosen */
	SIM_HOOK_DELIVER, /* in sim_deliver_due(), before the receive callback */
};

struct sim;

/*
 * Middlebox hook: may rewrite *from and *to, returns false to drop the
 * datagram.  At SIM_HOOK_SEND the link is chosen after the hook, from the
 * rewritten addresses.
 */
typedef bool (*sim_hook_fn)(void *ctx, struct sim *s, enum sim_hook_point at, struct sim_addr *from,
			    struct sim_addr *to, const uint8_t *data, size_t len);

/* Receives one datagram; at is the simulated arrival time (= sim_now()). */
typedef void (*sim_recv_fn)(void *ctx, struct sim *s, struct sim_addr from, struct sim_addr to,
			    const uint8_t *data, size_t len, natt_time_t at);

/* Trace callback: one call per event; reason is a short word for drops. */
typedef void (*sim_trace_fn)(void *ctx, natt_time_t at, enum sim_event ev, struct sim_addr from,
			     struct sim_addr to, size_t len, const char *reason);

/* A simulator at time 0 with the given seed.  NULL on allocation failure. */
struct sim *sim_new(uint64_t seed);
void sim_free(struct sim *s);

/* Configuration of links created from now on for pairs without their own. */
void sim_set_default_link(struct sim *s, const struct sim_link_cfg *cfg);

/*
 * Sets the configuration of the link from_ip -> to_ip (one direction),
 * creating it if needed; its state (queue, burst) is kept.  Returns 0, or
 * -1 on allocation failure or a config that is out of range (probability
 * outside [0, 1], burst_loss without burst_len, too many blackouts).
 */
int sim_set_link(struct sim *s, uint32_t from_ip, uint32_t to_ip, const struct sim_link_cfg *cfg);

/* Statistics of a link, or NULL if no datagram ever used it. */
const struct sim_link_stats *sim_link_stats(const struct sim *s, uint32_t from_ip, uint32_t to_ip);

/*
 * Sends a datagram at the current time.  Copies data.  Returns 1 if it
 * will be delivered (at least once), 0 if it was dropped, -1 on
 * allocation failure or len 0 or above NATT_MAX_DATAGRAM.
 */
int sim_send(struct sim *s, struct sim_addr from, struct sim_addr to, const uint8_t *data,
	     size_t len);

/* Current simulated time. */
natt_time_t sim_now(const struct sim *s);

/* Moves the clock forward to t (never backwards; earlier t is ignored). */
void sim_advance(struct sim *s, natt_time_t t);

/* Arrival time of the next datagram in flight, or NATT_TIME_NEVER. */
natt_time_t sim_next_event_time(const struct sim *s);

/* Datagrams in flight. */
size_t sim_in_flight(const struct sim *s);

/*
 * Delivers, in order of arrival time (ties in order of sending), every
 * datagram due at or before now, advancing the clock to each arrival and
 * finally to now.  The callback may call sim_send(); what it sends is
 * delivered in the same call if it is due by now.  Returns the number of
 * datagrams delivered.
 */
size_t sim_deliver_due(struct sim *s, natt_time_t now, sim_recv_fn cb, void *ctx);

void sim_set_hook(struct sim *s, sim_hook_fn fn, void *ctx);
void sim_set_trace(struct sim *s, sim_trace_fn fn, void *ctx);

/* Hash of every event so far (time, kind, addresses, length, bytes). */
uint64_t sim_trace_hash(const struct sim *s);

/* The simulator's PRNG, for tests that need more randomness that replays
 * with the seed (e.g. packet salts). */
uint64_t sim_rand(struct sim *s);
/* Uniform in [0, 1), 53 bits. */
double sim_rand_unit(struct sim *s);

/* A small independent PRNG with the same generator, for callers that
 * must not disturb the simulator's stream. */
struct sim_prng {
	uint64_t s[4];
};
void sim_prng_seed(struct sim_prng *p, uint64_t seed);
uint64_t sim_prng_next(struct sim_prng *p);
/* A natt_random_fn drawing from a struct sim_prng (prng), for the salts and
 * IDs of endpoints driven over the simulator. */
void sim_prng_fill(void *prng, uint8_t *buf, size_t len);

#endif
