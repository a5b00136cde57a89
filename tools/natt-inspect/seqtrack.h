/*
 * seqtrack.h: which sequence numbers each sender used, and with which
 * bytes: the memory behind the nonce-reuse check, duplicate counting, loss
 * (gaps) and reordering.
 *
 * A stream is one sequence space: the DATA counters of one (receiver
 * connection ID, key epoch), or the HANDSHAKE packet numbers of one sender
 * connection ID.  For every number seen the tracker keeps a 32-bit
 * fingerprint of the packet (its length and AEAD tag, which differ for two
 * different ciphertexts under one nonce and are equal for a byte-exact
 * copy).  A number seen again with the same fingerprint is a duplicate
 * (the network or an attacker repeated a packet); with another fingerprint,
 * the sender used one nonce for two packets: a nonce reuse.
 *
 * Numbers are kept in chunks of INS_SEQ_CHUNK consecutive values (16.5 KiB
 * each), allocated as a stream reaches them.  Memory is bounded: at most
 * max_streams streams and max_chunks chunks over all streams; when the
 * chunk budget is used up, the least recently used chunk is dropped and a
 * later packet falling in it is reported INS_SEQ_UNCHECKED (counted, never
 * silently called new).  Sans-I/O; allocates only up to those bounds.
 */
#ifndef NATT_INSPECT_SEQTRACK_H
#define NATT_INSPECT_SEQTRACK_H

#include <stdbool.h>

#include "natt.h"

#define INS_SEQ_CHUNK	4096	   /* numbers per chunk */
#define INS_SEQ_STREAMS 65536	   /* default stream bound */
#define INS_SEQ_CHUNKS	2048	   /* default chunk budget: ~34 MB, 8 M packets */
#define INS_SEQ_MAX_GAP (1u << 20) /* a forward jump larger than this is not loss */

enum ins_seq_space {
	INS_SPACE_DATA = 0,	 /* DATA counters, per (dcid, epoch) */
	INS_SPACE_HANDSHAKE = 1, /* HANDSHAKE packet numbers, per scid */
};

enum ins_seq_verdict {
	INS_SEQ_NEW = 0,   /* first time, at or above the highest so far */
	INS_SEQ_LATE,	   /* first time, below the highest: reordered or a gap filled */
	INS_SEQ_DUP,	   /* seen before with the same fingerprint */
	INS_SEQ_REUSE,	   /* seen before with another fingerprint: nonce reuse */
	INS_SEQ_UNCHECKED, /* below the highest, in a chunk dropped for memory */
};

struct ins_seq_result {
	int verdict;	  /* enum ins_seq_verdict */
	bool first;	  /* the stream's first number */
	bool jump;	  /* NEW more than INS_SEQ_MAX_GAP above the highest */
	uint64_t skipped; /* NEW: numbers jumped over (0 on a jump) */
};

struct ins_seqtrack_stats {
	uint64_t streams;	  /* streams created */
	uint64_t streams_refused; /* packets of streams past max_streams */
	uint64_t chunks;	  /* chunks held now */
	uint64_t evicted;	  /* chunks dropped for the budget */
	uint64_t unchecked;	  /* INS_SEQ_UNCHECKED verdicts */
};

struct ins_seqtrack;

/* Returns NULL on allocation failure or a zero bound. */
struct ins_seqtrack *ins_seqtrack_new(size_t max_streams, size_t max_chunks);
void ins_seqtrack_free(struct ins_seqtrack *t);

/* The fingerprint of a sealed packet: its length and tag (its last 16
 * bytes, or all of it when shorter). */
uint32_t ins_seq_fingerprint(const uint8_t *pkt, size_t len);

/*
 * Records number seq with fingerprint fp in stream (space, cid, epoch).
 * Returns NATT_OK (*r filled), NATT_ERR_FULL (stream table full: nothing
 * recorded), NATT_ERR_NOMEM.
 */
int ins_seqtrack_add(struct ins_seqtrack *t, uint8_t space, natt_cid_t cid, uint8_t epoch,
		     uint64_t seq, uint32_t fp, struct ins_seq_result *r);

/* The highest number of a stream in *hi; false when the stream is unknown. */
bool ins_seqtrack_highest(const struct ins_seqtrack *t, uint8_t space, natt_cid_t cid,
			  uint8_t epoch, uint64_t *hi);

const struct ins_seqtrack_stats *ins_seqtrack_stats(const struct ins_seqtrack *t);

#endif
