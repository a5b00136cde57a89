/*
 * reasm.h: IPv4 and IPv6 fragment reassembly for natt-inspect.
 *
 * Bounded: at most max_datagrams reassemblies in progress (the oldest is
 * evicted to make room), at most INS_REASM_MAX_FRAGS fragments and
 * INS_REASM_MAX_LEN bytes per datagram, and a reassembly not complete
 * timeout after its first fragment (capture time) is dropped.  Overlapping
 * fragments drop the whole datagram, as RFC 5722 requires for IPv6 and as
 * Linux does for IPv4 since CVE-2018-5391; an exact repeat of a fragment
 * already held is ignored.  Time comes in as the capture's timestamps.
 */
#ifndef NATT_INSPECT_REASM_H
#define NATT_INSPECT_REASM_H

#include "natt.h"
#include "netparse.h"

#define INS_REASM_MAX_LEN   65535	    /* upper-layer bytes of one datagram */
#define INS_REASM_MAX_FRAGS 64		    /* fragments of one datagram */
#define INS_REASM_DATAGRAMS 64		    /* default: reassemblies in progress */
#define INS_REASM_TIMEOUT   (30 * NATT_SEC) /* Linux net.ipv4.ipfrag_time */

struct ins_reasm_stats {
	uint64_t fragments;   /* fragments handed in */
	uint64_t reassembled; /* datagrams completed */
	uint64_t timeouts;    /* reassemblies dropped incomplete after the timeout */
	uint64_t overlaps;    /* datagrams dropped for overlapping fragments */
	uint64_t evicted;     /* reassemblies dropped to make room */
	uint64_t bad;	      /* fragments past INS_REASM_MAX_LEN, a non-final fragment
			       * not a multiple of 8, too many fragments, conflicting ends */
};

enum ins_reasm_rc {
	INS_REASM_MORE = 0, /* held; the datagram is not complete yet */
	INS_REASM_DONE = 1, /* complete: see out */
	INS_REASM_DROP = 2, /* this fragment (and maybe its datagram) was dropped */
};

struct ins_reasm;

/* Returns NULL on allocation failure or max_datagrams 0. */
struct ins_reasm *ins_reasm_new(size_t max_datagrams, natt_time_t timeout);
void ins_reasm_free(struct ins_reasm *r);

/*
 * Adds a fragment (ip->fragment set, ip->cut clear).  On INS_REASM_DONE,
 * *out and *out_len give the upper-layer payload (the UDP header first),
 * valid until the next call, *nfrag the number of fragments, and
 * *hdr_len the first fragment's IP header length, IPv6 fragment header
 * included (for the outer size).
 * Returns an enum ins_reasm_rc.
 */
int ins_reasm_add(struct ins_reasm *r, natt_time_t now, const struct ins_ip *ip,
		  const uint8_t **out, size_t *out_len, unsigned *nfrag, size_t *hdr_len);

/* Drops the reassemblies older than the timeout at now. */
void ins_reasm_expire(struct ins_reasm *r, natt_time_t now);

const struct ins_reasm_stats *ins_reasm_stats(const struct ins_reasm *r);

#endif
