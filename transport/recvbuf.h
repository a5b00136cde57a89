/*
 * recvbuf.h: the receiving half of the reliable stream: a reorder buffer.
 *
 * Bytes are stored at their stream offset in a ring that holds the whole
 * receive window (the ring grows when the window does, never past the
 * limit given at init).  `read` is what the application consumed,
 * `contig` the end of the bytes received without a hole; ranges received
 * beyond a hole are remembered in `ooo`.  Out-of-order data is bounded
 * twice: in bytes (checked by the caller with natt_recvbuf_ooo_after())
 * and in the number of holes (NATT_RECVBUF_MAX_RANGES), so a peer cannot
 * make the bookkeeping grow without bound by sending scattered bytes.
 */
#ifndef NATT_RECVBUF_H
#define NATT_RECVBUF_H

#include <stdbool.h>

#include "natt.h"
#include "ranges.h"

/* Most separate out-of-order ranges kept. */
#define NATT_RECVBUF_MAX_RANGES 1024

struct natt_recvbuf {
	uint8_t *buf;		/* ring; byte at offset o is buf[o & (cap - 1)] */
	size_t cap;		/* ring size, a power of two */
	size_t max_cap;		/* the ring never grows past this */
	uint64_t read;		/* bytes consumed by the application */
	uint64_t contig;	/* every byte below has been received */
	bool fin_known;		/* a FIN arrived: final_size is fixed */
	uint64_t final_size;	/* the stream's length, once fin_known */
	struct natt_ranges ooo; /* received ranges above contig */
	uint64_t ooo_bytes;	/* total length of ooo */
};

/* An empty buffer whose ring starts at initial bytes and may grow to max
 * (both rounded up to powers of two).  Returns NATT_OK or NATT_ERR_NOMEM. */
int natt_recvbuf_init(struct natt_recvbuf *rb, size_t initial, size_t max);
void natt_recvbuf_free(struct natt_recvbuf *rb);

/* Grows the ring so that [read, read + window) fits.  Returns NATT_OK,
 * NATT_ERR_INVALID (window above max) or NATT_ERR_NOMEM. */
int natt_recvbuf_reserve(struct natt_recvbuf *rb, size_t window);

/* The largest window the ring can hold now without growing. */
size_t natt_recvbuf_capacity(const struct natt_recvbuf *rb);

/*
 * Checks a STREAM frame before anything is changed: NATT_OK, or
 * NATT_ERR_BAD_VALUE (it contradicts a known final size, or a FIN sets a
 * final size below data already received), NATT_ERR_BUFFER (it reaches
 * past what the ring holds: a flow control violation), NATT_ERR_FULL (it
 * would need more out-of-order ranges than allowed).
 */
int natt_recvbuf_check(const struct natt_recvbuf *rb, uint64_t offset, size_t len, bool fin);

/* Out-of-order bytes held if [offset, offset + len) were inserted. */
uint64_t natt_recvbuf_ooo_after(const struct natt_recvbuf *rb, uint64_t offset, size_t len);

/* Whether every byte of the frame (and its FIN) was already received. */
bool natt_recvbuf_duplicate(const struct natt_recvbuf *rb, uint64_t offset, size_t len, bool fin);

/* Inserts a frame that passed natt_recvbuf_check().  Returns NATT_OK or
 * the check's errors. */
int natt_recvbuf_insert(struct natt_recvbuf *rb, uint64_t offset, const uint8_t *data, size_t len,
			bool fin);

/* Bytes ready to read (contiguous, not yet read). */
size_t natt_recvbuf_readable(const struct natt_recvbuf *rb);

/* Copies up to cap ready bytes out; returns how many. */
size_t natt_recvbuf_read(struct natt_recvbuf *rb, uint8_t *out, size_t cap);

/* Every byte up to the FIN has been received. */
bool natt_recvbuf_complete(const struct natt_recvbuf *rb);

/* ... and read by the application. */
bool natt_recvbuf_eof(const struct natt_recvbuf *rb);

#endif
