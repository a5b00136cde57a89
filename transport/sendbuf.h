/*
 * sendbuf.h: the sending half of the reliable stream: the bytes the
 * application wrote and the peer has not acknowledged yet, and which of
 * them must be (re)transmitted.
 *
 * Offsets are stream offsets.  Bytes below `base` are acknowledged and
 * forgotten; [base, end) is held in a ring that grows by doubling up to a
 * fixed limit, so natt_sendbuf_write() accepts only what fits.  `next` is
 * the first byte never sent.  Lost ranges wait in `retx` until resent;
 * acknowledged ranges above base sit in `acked`, so a late acknowledgement
 * of a range declared lost cancels its retransmission.
 */
#ifndef NATT_SENDBUF_H
#define NATT_SENDBUF_H

#include <stdbool.h>

#include "natt.h"
#include "ranges.h"

struct natt_sendbuf {
	uint8_t *buf;		  /* ring; byte at offset o is buf[o & (cap - 1)] */
	size_t cap;		  /* ring size, a power of two (0 until the first write) */
	size_t limit;		  /* most bytes held at once */
	uint64_t base;		  /* every byte below is acknowledged */
	uint64_t next;		  /* first byte never sent */
	uint64_t end;		  /* one past the last byte written */
	bool fin;		  /* the application closed its side: final size = end */
	bool fin_sent;		  /* a FIN went out at least once */
	bool fin_lost;		  /* the last FIN sent was lost and must be resent */
	bool fin_acked;		  /* the peer acknowledged the FIN */
	struct natt_ranges acked; /* acknowledged ranges above base */
	struct natt_ranges retx;  /* lost ranges not yet resent nor acknowledged */
};

/* An empty buffer that holds at most limit bytes (>= 1). */
void natt_sendbuf_init(struct natt_sendbuf *sb, size_t limit);
void natt_sendbuf_free(struct natt_sendbuf *sb);

/* Bytes a write would accept now. */
size_t natt_sendbuf_space(const struct natt_sendbuf *sb);

/*
 * Copies up to len bytes in; returns how many were accepted (0 when full),
 * or NATT_ERR_INVALID after natt_sendbuf_finish(), NATT_ERR_NOMEM.
 */
long natt_sendbuf_write(struct natt_sendbuf *sb, const uint8_t *data, size_t len);

/* No more writes: the stream ends at the current end. */
void natt_sendbuf_finish(struct natt_sendbuf *sb);

/* Discards everything (abort): nothing more will be sent. */
void natt_sendbuf_discard(struct natt_sendbuf *sb);

/* A chunk to put in a STREAM frame. */
struct natt_chunk {
	uint64_t offset; /* stream offset of the first byte */
	size_t len;	 /* data bytes (0: a lone FIN) */
	bool fin;	 /* the FIN goes with it */
	bool retx;	 /* it resends bytes sent before */
};

/*
 * The next chunk to send, at most max_len bytes: lost bytes first, then new
 * bytes below flow_limit (the peer's MAX_DATA), and a FIN when the chunk
 * reaches the final size (or a lone FIN that must be resent).  Returns
 * false when there is nothing to send.  Does not change the buffer.
 */
bool natt_sendbuf_next(const struct natt_sendbuf *sb, size_t max_len, uint64_t flow_limit,
		       struct natt_chunk *c);

/*
 * For a probe (PTO) when nothing is new or lost: the oldest bytes sent and
 * not acknowledged (or the FIN alone).  Returns false if everything sent
 * is acknowledged.
 */
bool natt_sendbuf_oldest_unacked(const struct natt_sendbuf *sb, size_t max_len,
				 struct natt_chunk *c);

/* Copies stream bytes [offset, offset + len), which must be held, to out. */
void natt_sendbuf_copy(const struct natt_sendbuf *sb, uint64_t offset, size_t len, uint8_t *out);

/* The chunk was put in a packet. */
void natt_sendbuf_on_sent(struct natt_sendbuf *sb, const struct natt_chunk *c);

/* A chunk sent earlier was acknowledged / declared lost.  Returns NATT_OK
 * or NATT_ERR_NOMEM / NATT_ERR_FULL (range bookkeeping). */
int natt_sendbuf_on_acked(struct natt_sendbuf *sb, uint64_t offset, size_t len, bool fin);
int natt_sendbuf_on_lost(struct natt_sendbuf *sb, uint64_t offset, size_t len, bool fin);

/* Everything written, and the FIN, is acknowledged. */
bool natt_sendbuf_done(const struct natt_sendbuf *sb);

/* Bytes held (written and not yet acknowledged). */
size_t natt_sendbuf_held(const struct natt_sendbuf *sb);

#endif
