/*
 * pipeline.h: one captured frame all the way through natt-inspect: link
 * layer and IP (netparse), fragment reassembly (reasm), the dissector, the
 * decision whether the datagram is the transport's (flow), and the
 * analysis; each claimed datagram is then handed to a callback (the
 * per-packet output).  Also counts what the input held, including what
 * makes it bad input (exit status 2).
 */
#ifndef NATT_INSPECT_PIPELINE_H
#define NATT_INSPECT_PIPELINE_H

#include "analyze.h"
#include "capture.h"
#include "reasm.h"

struct ins_input_stats {
	uint64_t records;   /* frames read */
	uint64_t bytes;	    /* their wire lengths, summed */
	uint64_t not_ip;    /* ARP, LLDP, 802.3...: ignored */
	uint64_t not_udp;   /* IP, another protocol: ignored */
	uint64_t malformed; /* link or IP/UDP header inconsistent: ignored */
	uint64_t udp;	    /* UDP datagrams (after reassembly) */
	uint64_t claimed;   /* ... of which the transport's (dissected) */
	/* bad input: any of these makes the exit status 2 */
	uint64_t zero_length; /* records of length 0 */
	uint64_t cut;	      /* headers or transport payloads cut by the snaplen */
	bool any;	      /* at least one record: first/last valid */
	natt_time_t first, last;
};

typedef void (*ins_pkt_fn)(void *arg, const struct ins_pkt *p);

struct ins_pipeline {
	int dlt;
	struct ins_reasm *reasm;
	struct ins_dissector *dis;
	struct ins_analysis an;
	struct ins_input_stats in;
	struct ins_pkt pkt;
	ins_pkt_fn fn;
	void *arg;
};

/*
 * Sets up a pipeline for frames of link type dlt (netparse.h); seal and
 * keylog may be NULL; fn (may be NULL) is called for every claimed
 * datagram.  Returns NATT_OK, NATT_ERR_INVALID (an unsupported link
 * type), NATT_ERR_NOMEM.
 */
int ins_pipeline_init(struct ins_pipeline *pl, int dlt, const struct ins_analyze_config *cfg,
		      struct natt_seal *seal, struct ins_keylog *keylog, ins_pkt_fn fn, void *arg);
void ins_pipeline_free(struct ins_pipeline *pl);

/* Handles one frame. */
void ins_pipeline_frame(struct ins_pipeline *pl, const struct ins_record *r);

/* Whether the input so far is bad input (zero-length or cut records). */
bool ins_pipeline_bad_input(const struct ins_pipeline *pl);

#endif
