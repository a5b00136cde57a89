/*
 * analyze.h: everything natt-inspect learns from the dissected packets, in
 * capture order: per-flow statistics and the rules of the checks.
 *
 * analyze.c keeps the per-packet rules (framing, lengths, versions and
 * types, auth, nonce reuse, plaintext, MTU, sequence statistics, path
 * changes); exchange.c the rules that pair a packet with an earlier one
 * (amplification, acknowledgements, RTT, retransmissions, STUN and
 * rendezvous exchanges).  Sans-I/O: packets in, state out.
 */
#ifndef NATT_INSPECT_ANALYZE_H
#define NATT_INSPECT_ANALYZE_H

#include "checks.h"
#include "cidtab.h"
#include "dissect.h"
#include "flow.h"
#include "pending.h"
#include "seqtrack.h"

#define INS_DEFAULT_MTU		1500  /* Ethernet; the mtu check's default */
#define INS_AMPLIFICATION_LIMIT 3     /* PROTOCOL.md 8, DESIGN: no more than 3x */
#define INS_MAX_PATH_EVENTS	256   /* path changes listed (all are counted) */
#define INS_SALT_SLOTS		65536 /* seal salts remembered (a fixed table) */

struct ins_analyze_config {
	int port;	    /* --port, 0 for the heuristic */
	size_t mtu;	    /* --mtu */
	size_t max_flows;   /* --max-flows */
	size_t max_cids;    /* connection IDs tracked; 0: INS_MAX_CIDS */
	size_t max_streams; /* sequence streams; 0: INS_SEQ_STREAMS */
	size_t max_chunks;  /* sequence chunks; 0: INS_SEQ_CHUNKS */
	bool network_key;   /* sealed bodies are opened */
	bool keylog;	    /* DATA payloads are opened */
};

struct ins_path_change {
	natt_cid_t cid;
	natt_time_t ts;
	uint64_t packet;
	uint32_t from_flow, to_flow;
};

struct ins_salt_slot {
	uint64_t salt; /* 64-bit hash of the salt */
	uint32_t fp;   /* ins_seq_fingerprint() of the packet */
	uint8_t purpose;
	bool used;
};

struct ins_analysis {
	struct ins_analyze_config cfg;
	struct ins_checks checks;
	struct ins_flows *flows;
	struct ins_cidtab *cids;
	struct ins_seqtrack *seq;
	struct ins_pending pending;
	struct ins_salt_slot *salts; /* INS_SALT_SLOTS */
	uint64_t packets;	     /* packets analysed (claimed) */
	uint64_t duplicates;	     /* byte-exact repeats, all kinds */
	uint64_t path_change_count;
	size_t npath;
	struct ins_path_change path[INS_MAX_PATH_EVENTS];
};

/* Returns NATT_OK or NATT_ERR_NOMEM (a is then freed). */
int ins_analysis_init(struct ins_analysis *a, const struct ins_analyze_config *cfg);
void ins_analysis_free(struct ins_analysis *a);

/* Whether p (header dissected) belongs to the transport (flow.h). */
bool ins_analysis_claim(struct ins_analysis *a, const struct ins_pkt *p);

/* Analyses one claimed, fully dissected packet; fills p's flow, dir,
 * seq_verdict and failed fields. */
void ins_analyze_packet(struct ins_analysis *a, struct ins_pkt *p);

/* Records a failure of check id on packet p (its bit in p->failed too). */
void ins_fail(struct ins_analysis *a, struct ins_pkt *p, int id, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/* exchange.c: the pairing rules, called by ins_analyze_packet(). */
void ins_exchange_packet(struct ins_analysis *a, struct ins_pkt *p, struct ins_flow *fl);

#endif
