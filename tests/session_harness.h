/*
 * session_harness.h: two sessions (transport/session.h) joined by the
 * simulated network (sim.h), shared by the "session" and "handshake"
 * suites and the handshake benchmark.  Test code only.
 *
 * Side 0 is the client at 10.0.0.1:1000 (cid SH_CID(0)), side 1 the server
 * at 10.0.0.2:2000 (cid SH_CID(1)); configure the links with
 * sim_set_link(h->sim, SH_IP(0), SH_IP(1), ...) or sh_link_both().  Each
 * side runs an application that, once its session is ESTABLISHED, sends
 * numbered datagrams (an 8-byte index, then bytes derived from side and
 * index) and checks every datagram it receives byte for byte.  Packet
 * salts come from the seed; TLS randomness does not (tls.h), so the TLS
 * bytes differ between runs while the network's behaviour replays.
 */
#ifndef NATT_TESTS_SESSION_HARNESS_H
#define NATT_TESTS_SESSION_HARNESS_H

#include "punch.h"
#include "session.h"
#include "sim.h"
#include "tls_harness.h"

#define SH_IP(side)   ((side) == 0 ? SIM_IP(10, 0, 0, 1) : SIM_IP(10, 0, 0, 2))
#define SH_PORT(side) ((side) == 0 ? 1000 : 2000)
#define SH_CID(side)  ((side) == 0 ? UINT64_C(0x1111222233334444) : UINT64_C(0x5555666677778888))
#define SH_EVENTS     64 /* events remembered per side */

struct sh;

/* Observer of every datagram a side hands to the network. */
typedef void (*sh_packet_fn)(void *ctx, struct sh *h, int side, const uint8_t *pkt, size_t len);

struct sh_side {
	struct natt_session *s;
	struct natt_tls_ctx *ctx; /* the harness's reference, released at sh_free */
	struct natt_punch *punch; /* after sh_punch(): the session starts from it */
	struct sim_addr addr;	  /* where the side sends from */
	uint64_t to_send;	  /* datagrams the application sends once ESTABLISHED */
	uint64_t sent;
	size_t dgram_len;  /* 0: sizes vary from 9 to 1400 bytes */
	uint64_t received; /* datagrams delivered to it, unique and checked */
	uint64_t bad;	   /* delivered datagrams with wrong bytes or a repeated index */
	uint8_t *seen;	   /* indices delivered (bitmap over the peer's to_send) */
	uint64_t seen_cap; /* bits in seen */
	uint64_t packets_out, bytes_out; /* datagrams handed to the network */
	uint64_t accepted_bytes;	 /* bytes of datagrams its session accepted */
	uint64_t refused;		 /* datagrams its session refused */
	natt_time_t established_at;	 /* NATT_TIME_NEVER until ESTABLISHED */
	struct natt_session_event ev[SH_EVENTS];
	size_t nev;
	uint64_t amp_checked;	 /* server sends checked against the 3x limit */
	uint64_t amp_violations; /* server sends that broke it */
	double amp_max;		 /* largest bytes_out / accepted_bytes while unvalidated */
};

struct sh {
	struct sim *sim;
	struct natt_seal *seal;
	struct sim_prng rng; /* packet salts */
	struct sh_side side[2];
	natt_time_t now;
	sh_packet_fn on_packet;
	void *on_packet_ctx;
	uint64_t spins;
};

/*
 * Builds the network and both sessions (state NEW) at time 0.  cfg and
 * tls are per side (NULL: the defaults, "client" and "server" of the test
 * PKI).  Returns 0 or -1 (nothing is then held).
 */
int sh_init(struct sh *h, uint64_t seed, const struct natt_session_config *cfg[2],
	    const struct tlst_spec *tls[2]);
/* The same with ready TLS contexts (the harness takes them over). */
int sh_init_ctx(struct sh *h, uint64_t seed, const struct natt_session_config *cfg[2],
		struct natt_tls_ctx *ctx[2]);
void sh_free(struct sh *h);

/* Starts both handshakes (natt_session_set_path); server_validated tells the
 * server its path was validated (as punch does). */
void sh_start(struct sh *h, bool server_validated);

/* Hole punching instead of sh_start(): each side gets a punch session
 * (punch.h) with its host address as its candidate and the peer's as the
 * remote one (the server knows the client's cid, as from RDV_INTRODUCE);
 * each session starts from its punch (natt_session_start_punched) once
 * punch is CONNECTED.  Returns 0 or -1. */
int sh_punch(struct sh *h);

/* Same link configuration both ways.  Returns 0 or -1. */
int sh_link_both(struct sh *h, const struct sim_link_cfg *cfg);

/* Side sends count datagrams (len bytes each, 0: varying) once ESTABLISHED. */
void sh_send(struct sh *h, int side, uint64_t count, size_t len);

/* Until-conditions. */
bool sh_established(const struct sh *h); /* both ESTABLISHED (or later) */
bool sh_delivered(const struct sh *h);	 /* every datagram sent was received */
bool sh_done(const struct sh *h);	 /* both sessions done (natt_session_done) */
bool sh_ended(const struct sh *h);	 /* both CLOSED or FAILED */

/*
 * Runs the event loop until done(h) holds (0), the simulated time passes
 * until (1), nothing more can happen (2), or the loop stops making progress
 * (3: a bug).  done may be NULL.
 */
int sh_run(struct sh *h, natt_time_t until, bool (*done)(const struct sh *h));

/* The address of a side as a path, and back. */
struct natt_session_path sh_path_of(struct sim_addr a);
struct sim_addr sh_addr_of(const struct natt_cand *c);

/* The first event of a type a side saw, or NULL. */
const struct natt_session_event *sh_event(const struct sh *h, int side,
					  enum natt_session_event_type type);

/* A HANDSHAKE packet's CLOSE frame, read with the network key: returns true
 * and fills code and reason (NUL-terminated) if pkt carries one. */
bool sh_close_frame(const struct sh *h, const uint8_t *pkt, size_t len, uint16_t *code,
		    char reason[NATT_MAX_REASON + 1]);

/* Makes the test PKI if no suite made it yet.  Returns 0 or -1. */
int sh_pki(void);

/* Median of n values (sorts them). */
double sh_median(double *v, size_t n);

#endif
