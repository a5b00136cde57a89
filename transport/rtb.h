/*
 * rtb.h: the record of ack-eliciting packets sent and not yet resolved
 * (acknowledged or declared lost), in packet-number order, for loss
 * detection and retransmission (RFC 9002 A.1 "sent_packets").
 *
 * Ack-only packets are not recorded: they are not in flight, never
 * retransmitted, and acknowledgements of them carry no information the
 * sender needs (RFC 9002 2: they do not count toward congestion control).
 *
 * Resolved records stay in place as tombstones until every older record is
 * resolved too, so the order of acknowledged and lost packets can still be
 * read when deciding persistent congestion (RFC 9002 7.6.2); memory is the
 * span between the oldest unresolved packet and the newest one sent.
 */
#ifndef NATT_RTB_H
#define NATT_RTB_H

#include <stdbool.h>

#include "natt.h"

/* STREAM frames a packet carries at most. */
#define NATT_RTB_MAX_CHUNKS 4

enum natt_sent_flags {
	NATT_SENT_IN_FLIGHT = 1 << 0,	 /* counts in bytes_in_flight */
	NATT_SENT_ACKED = 1 << 1,	 /* resolved: acknowledged */
	NATT_SENT_LOST = 1 << 2,	 /* resolved: declared lost */
	NATT_SENT_HAS_ACK = 1 << 3,	 /* carried an ACK frame (ack_largest) */
	NATT_SENT_HAS_MAX_DATA = 1 << 4, /* carried MAX_DATA (max_data) */
	NATT_SENT_PTO_PROBE = 1 << 5,	 /* sent on a probe timeout */
};

/* One STREAM frame a packet carried. */
struct natt_sent_chunk {
	uint64_t offset; /* stream offset of its first byte */
	uint16_t len;	 /* data bytes */
	bool fin;	 /* it carried the FIN */
};

struct natt_sent {
	uint64_t pn;	  /* packet number */
	natt_time_t time; /* when it was sent */
	uint32_t size;	  /* bytes on the wire */
	uint8_t flags;	  /* enum natt_sent_flags */
	uint8_t nchunks;
	uint64_t ack_largest; /* HAS_ACK: largest in the ACK frame */
	uint64_t max_data;    /* HAS_MAX_DATA: the value sent */
	struct natt_sent_chunk chunk[NATT_RTB_MAX_CHUNKS];
};

struct natt_rtb {
	struct natt_sent *ring;	    /* records, oldest at head */
	size_t cap;		    /* a power of two */
	size_t head;		    /* index of the oldest record */
	size_t count;		    /* records, tombstones included */
	size_t eliciting_in_flight; /* records neither acked nor lost (all are ack-eliciting) */
	natt_time_t last_sent;	    /* time of the newest record, for the PTO */
};

void natt_rtb_init(struct natt_rtb *t);
void natt_rtb_free(struct natt_rtb *t);

/* Appends a record (pn larger than any before).  Returns NATT_OK or
 * NATT_ERR_NOMEM. */
int natt_rtb_add(struct natt_rtb *t, const struct natt_sent *s);

/* The i-th record from the oldest (i < count). */
struct natt_sent *natt_rtb_at(struct natt_rtb *t, size_t i);

/* Index of the first record with pn >= pn (count if none). */
size_t natt_rtb_lower_bound(const struct natt_rtb *t, uint64_t pn);

/* Marks record i resolved (flag NATT_SENT_ACKED or NATT_SENT_LOST). */
void natt_rtb_resolve(struct natt_rtb *t, size_t i, uint8_t how);

/* Drops resolved records from the front. */
void natt_rtb_trim(struct natt_rtb *t);

/* Drops every record (abort). */
void natt_rtb_clear(struct natt_rtb *t);

#endif
