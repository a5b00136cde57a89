/*
 * nat.h: a NAT model for the simulated network (sim.h), installed as the
 * simulator's middlebox hook.  One sim_nat_net holds every NAT box of a
 * simulation; each box has a public IPv4 address and an inside prefix, and
 * behaves like a Linux router doing masquerade with stateful filtering:
 *
 *   mapping      EIM (endpoint-independent, RFC 4787 4.1: "masquerade",
 *                one public port per inside endpoint, the inside port kept
 *                when free) or EDM (endpoint-dependent, "masquerade random":
 *                one random public port per inside endpoint and destination)
 *   filtering    address- and port-dependent (RFC 4787 5: a datagram from
 *                outside passes only from an endpoint the inside endpoint
 *                has sent to through that mapping, like conntrack's
 *                "established" rule), or endpoint-independent (optional)
 *   timeout      30 s (nf_conntrack_udp_timeout) per destination the
 *                mapping was used for, refreshed by outbound traffic only;
 *                a mapping lives while one of its destinations does
 *   hairpinning  off: a datagram from inside to the box's own public address
 *                is dropped (RFC 4787 6 leaves it optional; many routers
 *                lack it)
 *   routing      a datagram to an address inside another box's prefix is
 *                dropped (private addresses do not route between sites)
 *
 * Translation happens when a datagram is sent (outbound: the source becomes
 * the public address and the mapping is created or refreshed) and when it
 * arrives (inbound: mapping and filter are checked at arrival time, and
 * the destination becomes the inside endpoint).  Only one level of NAT is
 * modelled.  Random ports come from the simulator's PRNG, so a seed replays.
 */
#ifndef NATT_TESTS_SIM_NAT_H
#define NATT_TESTS_SIM_NAT_H

#include <stdbool.h>

#include "sim.h"

#define SIM_NAT_TIMEOUT	 (30 * NATT_SEC) /* nf_conntrack_udp_timeout default */
#define SIM_NAT_PORT_MIN 1024		 /* masquerade's default port range */
#define SIM_NAT_PORT_MAX 65535
#define SIM_NAT_MAX	 8 /* boxes in one simulation */

enum sim_nat_mapping {
	SIM_NAT_EIM = 0, /* endpoint-independent mapping */
	SIM_NAT_EDM = 1, /* endpoint-dependent mapping, random ports */
};

enum sim_nat_filtering {
	SIM_NAT_FILTER_APD = 0, /* address and port dependent (conntrack) */
	SIM_NAT_FILTER_EI = 1,	/* endpoint independent ("full cone") */
};

/* One NAT box.  Zero fields take the defaults named beside them. */
struct sim_nat_cfg {
	uint32_t public_ip;		  /* its one public address (host byte order) */
	uint32_t inside_net;		  /* inside prefix, e.g. SIM_IP(192, 168, 1, 0) */
	uint32_t inside_mask;		  /* e.g. 0xffffff00; 0 = /24 */
	enum sim_nat_mapping mapping;	  /* default EIM */
	enum sim_nat_filtering filtering; /* default APD */
	bool no_port_preserve;		  /* EIM: pick a random port even when the
					   * inside port is free (a router restart) */
	natt_time_t timeout;		  /* 0 = SIM_NAT_TIMEOUT */
};

/* What one box did. */
struct sim_nat_stats {
	uint64_t mappings;	  /* mappings created */
	uint64_t out;		  /* datagrams translated outbound */
	uint64_t in;		  /* datagrams translated inbound */
	uint64_t drop_filtered;	  /* inbound to a mapping, from an endpoint not allowed */
	uint64_t drop_no_mapping; /* inbound to a port with no live mapping */
	uint64_t drop_hairpin;	  /* inside to the box's own public address */
	uint64_t drop_unroutable; /* to another site's private address */
	uint64_t drop_no_port;	  /* no free public port */
};

struct sim_nat_net;

/* Creates the model and installs it as s's hook.  NULL on allocation
 * failure. */
struct sim_nat_net *sim_nat_net_new(struct sim *s);

/* Removes the hook and frees every box. */
void sim_nat_net_free(struct sim_nat_net *n);

/* Adds a box.  Returns its index (>= 0), or -1 (too many boxes, public_ip
 * 0 or inside its own prefix). */
int sim_nat_add(struct sim_nat_net *n, const struct sim_nat_cfg *cfg);

/* Forgets every mapping of box i (conntrack -F, or a router restart). */
void sim_nat_flush(struct sim_nat_net *n, int i);

/* Mappings of box i alive now. */
size_t sim_nat_mappings(const struct sim_nat_net *n, int i);

/*
 * The public address a datagram from inside endpoint `in` to `remote`
 * would leave with now, without sending one.  Returns false when no live
 * mapping would be used (the next datagram creates one).
 */
bool sim_nat_lookup(const struct sim_nat_net *n, int i, struct sim_addr in, struct sim_addr remote,
		    struct sim_addr *pub);

/* The box whose inside prefix holds ip, or -1 (a public host). */
int sim_nat_of(const struct sim_nat_net *n, uint32_t ip);

const struct sim_nat_stats *sim_nat_stats(const struct sim_nat_net *n, int i);

#endif
