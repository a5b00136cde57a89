/*
 * cidtab.h: what natt-inspect knows per connection ID: the flow its
 * session packets last used (path changes), and as a HANDSHAKE sender the
 * packet numbers it sent (ack-unsent, RTT) and how far its stream got
 * (retransmissions).  Bounded: at most max entries; CIDs beyond are not
 * tracked (counted).
 */
#ifndef NATT_INSPECT_CIDTAB_H
#define NATT_INSPECT_CIDTAB_H

#include <stdbool.h>

#include "natt.h"

#define INS_MAX_CIDS	16384 /* default bound */
#define INS_CID_PN_RING 16    /* send times kept per sender, for RTT samples */

struct ins_cid {
	natt_cid_t cid;
	uint32_t flow;			      /* flow of its last session packet; 0 = none yet */
	bool hs_any;			      /* sent a HANDSHAKE (as scid) */
	uint64_t hs_highest_pn;		      /* highest packet number it sent */
	uint64_t ring_pn[INS_CID_PN_RING];    /* pn % ring -> pn ... */
	natt_time_t ring_ts[INS_CID_PN_RING]; /* ... and when it was seen */
	uint64_t rtt_largest;		      /* largest ACKed pn already sampled, + 1 (0: none) */
	bool stream_any;
	uint64_t stream_end; /* highest STREAM offset + length it sent */
};

struct ins_cidtab;

struct ins_cidtab *ins_cidtab_new(size_t max);
void ins_cidtab_free(struct ins_cidtab *t);

/* The entry of cid (not 0), created when create is set and there is room;
 * NULL otherwise. */
struct ins_cid *ins_cidtab_get(struct ins_cidtab *t, natt_cid_t cid, bool create);

/* CIDs refused because the table was full. */
uint64_t ins_cidtab_refused(const struct ins_cidtab *t);

#endif
