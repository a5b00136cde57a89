/*
 * flow.h: the flow table: one entry per pair of UDP endpoints that carried
 * the transport, with per-direction counters, and the set of endpoints
 * known to speak it (which is how the default heuristic decides what to
 * dissect).
 *
 * A flow's side "a" is the endpoint that sent its first packet seen.  The
 * table is bounded (max_flows): packets of flows beyond it are still
 * dissected and checked but not summarised (counted as untracked).  Each
 * flow has a fixed size (the sample sets are bounded), so memory is at most
 * max_flows * sizeof(struct ins_flow).
 */
#ifndef NATT_INSPECT_FLOW_H
#define NATT_INSPECT_FLOW_H

#include <stdbool.h>

#include "dissect.h"
#include "leak.h"
#include "samples.h"

#define INS_MAX_FLOWS 4096 /* default flow bound */
#define INS_FLOW_CIDS 4	   /* source CIDs remembered per side (validation) */

/* What a packet is, for counting. */
enum ins_ptype {
	INS_T_HANDSHAKE = 0,
	INS_T_PROBE,
	INS_T_PROBE_REPLY,
	INS_T_UNKNOWN_CID,
	INS_T_RDV_REGISTER,
	INS_T_RDV_REGISTER_ACK,
	INS_T_RDV_LOOKUP,
	INS_T_RDV_LOOKUP_REPLY,
	INS_T_RDV_INTRODUCE,
	INS_T_DATA,
	INS_T_STUN,
	INS_T_OPENVPN, /* raw OpenVPN (0x08-0x5F): migration pass-through */
	INS_T_INVALID, /* NATT first byte, header does not decode */
	INS_T_OTHER,   /* first byte of no family */
	INS_T_COUNT
};

/* "HANDSHAKE", ..., "DATA", "STUN", "OPENVPN", "INVALID", "OTHER". */
const char *ins_ptype_name(int t);
int ins_ptype_of(const struct ins_pkt *p);

struct ins_endpoint {
	struct ins_addr addr;
	uint16_t port;
};

/* "192.0.2.1:1194" or "[2001:db8::1]:1194" into buf (>= 56 bytes). */
const char *ins_endpoint_str(const struct ins_endpoint *e, char *buf, size_t len);

/* One direction of a flow: what its sender sent. */
struct ins_dir {
	uint64_t packets, bytes; /* UDP payload bytes */
	uint64_t type_packets[INS_T_COUNT];
	uint64_t type_bytes[INS_T_COUNT];
	uint64_t keepalives;
	uint64_t lost;		  /* sequence numbers skipped and never filled */
	uint64_t reordered;	  /* arrived below the highest number of their stream */
	uint64_t duplicates;	  /* byte-exact repeats of a numbered packet */
	uint64_t stream_packets;  /* HANDSHAKE packets with STREAM data (key needed) */
	uint64_t retransmissions; /* ... of which resent stream bytes already sent */
	size_t largest_outer;	  /* largest outer IP packet */
	natt_time_t last_keepalive;
	struct ins_samples keepalive_iv; /* microseconds between keepalives */
	uint8_t head[INS_LEAK_HEAD];	 /* first bytes of the last encrypted region */
	bool head_valid;
	/* amplification (analyze.c) */
	natt_cid_t scid[INS_FLOW_CIDS]; /* source CIDs this side used */
	unsigned nscid;
	bool validated;	      /* this side echoed a CID of the other: it hears it */
	uint64_t unvalidated; /* answer bytes this side sent before the other was validated */
	bool amp_flagged;
	size_t max_probe;		 /* largest PROBE this side sent */
	size_t max_register, max_lookup; /* largest requests this side sent */
	/* RTT without keys: the last PROBE this side sent */
	natt_time_t probe_time;
	natt_cid_t probe_scid;
};

struct ins_flow {
	uint32_t id;		   /* from 1, in order of first packet */
	struct ins_endpoint ep[2]; /* ep[0] is side a */
	natt_time_t first, last;
	struct ins_dir d[2]; /* d[0]: a -> b */
	bool has_handshake, has_data;
	natt_time_t first_handshake, first_data;
	struct ins_samples rtt; /* microseconds */
	bool amp_tracked;	/* its first NATT packet was a PROBE */
	uint64_t path_changes;	/* a session CID arrived here from another flow */
	uint64_t stun_requests, stun_responses;
};

struct ins_flows;

/* port > 0 forces that UDP port as the transport's.  NULL on failure. */
struct ins_flows *ins_flows_new(size_t max_flows, int port);
void ins_flows_free(struct ins_flows *f);

/*
 * Whether p belongs to the transport: with a forced port, whether either
 * port is it; otherwise, whether its NATT header decodes (and then both
 * its endpoints are remembered as the transport's) or either endpoint was
 * remembered before.
 */
bool ins_flows_claim(struct ins_flows *f, const struct ins_pkt *p);

/* The flow of p, created if new; *dir gets p's direction.  NULL when the
 * table is full (counted in ins_flows_untracked). */
struct ins_flow *ins_flows_get(struct ins_flows *f, const struct ins_pkt *p, uint8_t *dir);

size_t ins_flows_count(const struct ins_flows *f);
struct ins_flow *ins_flows_at(const struct ins_flows *f, size_t i);
/* Flow by id (1-based), or NULL. */
struct ins_flow *ins_flows_by_id(const struct ins_flows *f, uint32_t id);
uint64_t ins_flows_untracked(const struct ins_flows *f);

#endif
