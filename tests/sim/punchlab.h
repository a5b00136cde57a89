/*
 * punchlab.h: a hole-punching lab on the simulated network: two peers,
 * each on a public address or behind a NAT box (nat.h), a rendezvous
 * (the real rendezvous core, transport/rdv.h, which also answers STUN) and
 * a second STUN server, so that each peer observes its mapping from two
 * destinations and the NAT type can be inferred.  Each peer runs the real
 * rendezvous client and a punch session (transport/punch.h); after
 * connection a stand-in for the data channel sends a small DATA datagram
 * every 100 ms on the selected path and reports what it receives (the
 * stand-in's packets carry the receiver's cid and count as authenticated).
 *
 * Peer 0 is the client (controlling: it looks peer 1 up at 1 s, or as soon
 * as peer 1 is registered if that is later), peer 1
 * the server (controlled: it registers at once and punches when
 * introduced).  Everything, salts and random ports included, comes from
 * the seed.
 *
 *   addresses   rendezvous 198.51.100.1:3478, STUN 198.51.100.2:3478;
 *               peer 0 192.168.1.10:1194 behind 203.0.113.10 (or
 *               203.0.113.10:1194 itself when public); peer 1 10.2.0.20:1194
 *               behind 203.0.113.20 (or public), or 192.168.1.20:1194
 *               behind peer 0's NAT (LAB_SAME); extra sockets: the host
 *               address, ports 40001.. (socket k = 40000 + k)
 *   links       WAN 20 ms one way, 2 ms jitter, cfg.loss random loss;
 *               LAN (inside one site) 0.5 ms, no loss
 */
#ifndef NATT_TESTS_PUNCHLAB_H
#define NATT_TESTS_PUNCHLAB_H

#include "nat.h"
#include "punch.h"
#include "rdv.h"
#include "sim.h"

#define LAB_RDV_IP	  SIM_IP(198, 51, 100, 1)
#define LAB_STUN_IP	  SIM_IP(198, 51, 100, 2)
#define LAB_RDV_PORT	  3478
#define LAB_HOST_PORT	  1194
#define LAB_XPORT	  40000 /* extra socket k: port LAB_XPORT + k */
#define LAB_LOOKUP_AT	  (1 * NATT_SEC)
#define LAB_DATA_INTERVAL (100 * NATT_MSEC)
#define LAB_MAX_PROBE_LOG 8192

enum lab_nat {
	LAB_PUBLIC = 0, /* no NAT */
	LAB_EIM,	/* masquerade */
	LAB_EDM,	/* masquerade random */
	LAB_SAME,	/* peer 1 only: behind peer 0's NAT, on its LAN */
};

struct lab_cfg {
	uint64_t seed;
	enum lab_nat nat[2];
	double loss;			/* WAN links, both directions */
	bool no_port_preserve;		/* EIM boxes pick a random port for new mappings */
	struct natt_punch_config punch; /* both peers (log and peer_name set by the lab) */
	bool wrong_key;			/* peer 1 uses another network key for probes */
};

struct lab;

struct lab_peer {
	struct lab *lab;
	int id;
	struct sim_addr host; /* socket 0 */
	int nat;	      /* box index, -1 when public */
	natt_cid_t cid;
	struct natt_rdv_client *rdv;
	struct natt_punch *punch;
	struct natt_seal *probe_seal; /* the lab's, or another key */
	struct sim_prng rng;
	/* STUN to the second server */
	bool have_stun;
	struct natt_cand stun_srflx;
	uint8_t stun_txid[12];
	natt_time_t stun_next;
	unsigned int stun_tries;
	bool registered;
	bool query; /* a rendezvous query is due once STUN is done */
	/* sockets */
	unsigned int nsock; /* extra sockets open: 1..nsock */
	/* the data channel stand-in */
	natt_time_t data_next;
	uint64_t data_sent, data_recv;
	natt_time_t data_last_rx;
	/* what happened */
	natt_time_t started_at;	  /* punch started */
	natt_time_t connected_at; /* first CONNECTED */
	enum natt_punch_state state;
	uint64_t probes_out, replies_out, max_reply, min_probe;
	natt_time_t probe_at[LAB_MAX_PROBE_LOG]; /* ordinary and birthday PROBEs */
	bool probe_bday[LAB_MAX_PROBE_LOG];
	unsigned int nprobe_log;
	unsigned int rdv_lookups;
	unsigned int max_sockets;
};

struct lab {
	struct lab_cfg cfg;
	struct sim *sim;
	struct sim_nat_net *net;
	struct natt_seal *seal, *bad_seal;
	struct natt_rdv_server *rdv, *stun;
	struct sim_prng rdv_rng;
	natt_time_t now;
	bool rdv_down; /* the rendezvous drops everything */
	struct lab_peer peer[2];
	uint64_t loops;
};

/* Builds the lab at time 0.  Returns 0, or -1. */
int lab_init(struct lab *l, const struct lab_cfg *cfg);
void lab_free(struct lab *l);

/* Runs until done(l) holds (returns true) or the time reaches until
 * (false). */
bool lab_run(struct lab *l, natt_time_t until, bool (*done)(struct lab *l));

/* Predicates for lab_run. */
bool lab_both_connected(struct lab *l);
bool lab_any_final(struct lab *l); /* a side FAILED or NEEDS_RELAY */

/* The peer behind a NAT moves to a new site (a new box of the given kind,
 * or a public address), keeping its sockets' ports and its session. */
void lab_move(struct lab *l, int peer, enum lab_nat kind);

/* Sets the default config and fills cfg->punch with the defaults. */
void lab_cfg_default(struct lab_cfg *cfg, uint64_t seed, enum lab_nat a, enum lab_nat b);

#endif
