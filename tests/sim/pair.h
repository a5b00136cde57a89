/*
 * pair.h: two reliable-stream connections (transport/rudp.h) joined by the
 * simulated network (sim.h), with an application on each side that writes
 * a known byte pattern and checks every byte it reads.  Used by the rudp
 * unit tests and the rudp benchmark.
 *
 * Side 0 is the client at 10.0.0.1:1000, side 1 the server at
 * 10.0.0.2:2000; configure the links with sim_set_link(p->sim, ...) and
 * PAIR_IP(side).  Everything, salts included, comes from the seed.
 */
#ifndef NATT_TESTS_PAIR_H
#define NATT_TESTS_PAIR_H

#include "rudp.h"
#include "seal.h"
#include "sim.h"
#include "wire.h"

#define PAIR_IP(side)	((side) == 0 ? SIM_IP(10, 0, 0, 1) : SIM_IP(10, 0, 0, 2))
#define PAIR_PORT(side) ((side) == 0 ? 1000 : 2000)

struct pair;

/* Called for every datagram a side hands to the network. */
typedef void (*pair_packet_fn)(void *ctx, struct pair *p, int side, const uint8_t *pkt, size_t len);

struct pair_side {
	struct natt_rudp *conn;
	uint64_t to_write; /* bytes the application writes in total */
	uint64_t written;
	uint64_t read;	       /* bytes read, all checked against the pattern */
	uint64_t bad_at;       /* first offset that did not match, or UINT64_MAX */
	bool close_after;      /* natt_rudp_close() once everything is written */
	bool read_paused;      /* the application does not read */
	uint64_t recv_dropped; /* natt_rudp_recv() refusals */
	uint64_t packets_out;  /* datagrams sent */
	uint64_t bytes_out;
};

struct pair {
	struct sim *sim;	  /* the network, seeded with the pair's seed */
	struct natt_seal *seal;	  /* one network key for both sides */
	struct sim_prng salt_rng; /* packet salts, also from the seed */
	struct pair_side side[2]; /* 0: client, 1: server */
	natt_time_t now;	  /* simulated time of the last event handled */
	pair_packet_fn on_packet; /* optional observer of every datagram sent */
	void *on_packet_ctx;
	uint64_t spins; /* loop iterations without time moving */
};

/*
 * Builds the network and both connections at time 0.  lim0 and lim1 may be
 * NULL (defaults).  Returns 0, or -1 on failure (then nothing is held).
 */
int pair_init(struct pair *p, uint64_t seed, const struct natt_rudp_limits *lim0,
	      const struct natt_rudp_limits *lim1);
void pair_free(struct pair *p);

/* Side writes bytes of its pattern, then closes its stream if close_after. */
void pair_transfer(struct pair *p, int side, uint64_t bytes, bool close_after);

/* Until-condition: every byte written by each side was read by the other
 * (and, with close_after, the reader saw end of stream). */
bool pair_delivered(const struct pair *p);

/*
 * Runs the event loop until done(p) holds (0), the simulated time passes
 * until (1), nothing more can happen (2), or the loop stops making
 * progress (3: a bug).  done may be NULL (run until until).
 */
int pair_run(struct pair *p, natt_time_t until, bool (*done)(const struct pair *p));

/* Same configuration for both directions.  Returns 0 or -1. */
int pair_link_both(struct pair *p, const struct sim_link_cfg *cfg);

/* What a datagram carries, read with the pair's network key. */
struct pair_pkt {
	uint64_t pn;
	bool eliciting;	       /* any ack-eliciting frame */
	bool has_ack;	       /* ACK frame */
	bool has_stream;       /* STREAM frame(s) */
	bool has_ping;	       /* PING frame */
	bool has_max_data;     /* MAX_DATA frame */
	bool has_close;	       /* CLOSE frame ... */
	uint16_t close_code;   /* ... with this code */
	uint64_t stream_bytes; /* data bytes in STREAM frames */
	struct natt_frame ack; /* the (last) ACK frame, if has_ack */
};

/* Opens a copy of pkt and lists its frames.  Returns false if it does not
 * open or decode. */
bool pair_inspect(const struct pair *p, const uint8_t *pkt, size_t len, struct pair_pkt *out);

/* The pattern byte at a stream offset, for side's stream. */
uint8_t pair_pattern(int side, uint64_t offset);

#endif
