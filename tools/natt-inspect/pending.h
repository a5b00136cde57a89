/*
 * pending.h: requests waiting for their answer, for the amplification
 * check and RTT samples: STUN transactions (by transaction ID), rendezvous
 * requests (by txid, key needed), probes (by probe_id, key needed) and
 * lookups (by CID, to bound the RDV_INTRODUCE they cause).
 *
 * A fixed-size table indexed by a hash of (kind, id): a newer request
 * overwrites an older one in its slot, so memory never grows; an answer
 * whose request was overwritten or never captured is simply not matched
 * (the check then uses the flow-level bound of analyze.c).
 */
#ifndef NATT_INSPECT_PENDING_H
#define NATT_INSPECT_PENDING_H

#include <stdbool.h>

#include "natt.h"

#define INS_PENDING_SLOTS  4096
#define INS_PENDING_ID_MAX 16

enum ins_pending_kind {
	INS_PEND_STUN = 1,
	INS_PEND_RDV = 2,    /* REGISTER, LOOKUP: txid */
	INS_PEND_PROBE = 3,  /* probe_id */
	INS_PEND_LOOKUP = 4, /* LOOKUP by its cid, for the INTRODUCE */
};

struct ins_pending_req {
	size_t size; /* the request's UDP payload size */
	natt_time_t ts;
	uint32_t flow;
};

struct ins_pending {
	struct {
		uint8_t kind; /* 0 = empty */
		uint8_t idlen;
		uint8_t id[INS_PENDING_ID_MAX];
		struct ins_pending_req req;
	} slot[INS_PENDING_SLOTS];
};

void ins_pending_init(struct ins_pending *t);

/* Remembers a request (id of 1 to INS_PENDING_ID_MAX bytes). */
void ins_pending_put(struct ins_pending *t, int kind, const uint8_t *id, size_t idlen,
		     const struct ins_pending_req *req);

/* Finds a request; false when not held. */
bool ins_pending_get(const struct ins_pending *t, int kind, const uint8_t *id, size_t idlen,
		     struct ins_pending_req *req);

#endif
