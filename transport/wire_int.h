/*
 * wire_int.h: what the three files of the wire module share, and nothing
 * outside them includes: wire.c (classification, headers, candidates and
 * names, HANDSHAKE frames, names of types), wire_body.c (PROBE, PROBE_REPLY
 * and rendezvous bodies) and wire_ctl.c (control messages inside TLS).
 *
 * Every field goes through the cursors below: struct rd reads big-endian
 * integers from [p, p + len) and refuses to read past len; struct wr writes
 * them and refuses to write past cap.  Encoders validate their input and
 * compute the exact size first, so they either write the whole encoding or
 * nothing at all.  The cursors are static inline, so each file has its own
 * copy and no symbol leaves the module; the codecs of PROTOCOL.md 4, which
 * wire_body.c needs too, live in wire.c under the natt_wire_ prefix.
 */
#ifndef NATT_WIRE_INT_H
#define NATT_WIRE_INT_H

#include <stdbool.h>
#include <string.h>

#include "wire.h"

/* ---- bounds-checked big-endian cursors ---- */

struct rd {
	const uint8_t *p;
	size_t len;
	size_t off;
};

struct wr {
	uint8_t *p; /* NULL: only measuring the encoding's size */
	size_t cap;
	size_t off;
	bool overflow; /* a put did not fit: nothing more is written */
};

static inline void rd_init(struct rd *r, const uint8_t *p, size_t len)
{
	/* What an empty input points at, so that no pointer arithmetic uses NULL. */
	static const uint8_t no_input[1];

	r->p = p != NULL ? p : no_input;
	r->len = p != NULL ? len : 0;
	r->off = 0;
}

static inline size_t rd_left(const struct rd *r)
{
	return r->len - r->off;
}

/* Returns a pointer to the next n input bytes and skips them, or NULL. */
static inline const uint8_t *get_ref(struct rd *r, size_t n)
{
	const uint8_t *p;

	if (rd_left(r) < n)
		return NULL;
	p = r->p + r->off;
	r->off += n;
	return p;
}

static inline bool get_bytes(struct rd *r, void *dst, size_t n)
{
	const uint8_t *p = get_ref(r, n);

	if (p == NULL)
		return false;
	memcpy(dst, p, n);
	return true;
}

static inline bool get_be(struct rd *r, uint64_t *v, size_t n)
{
	const uint8_t *p = get_ref(r, n);

	if (p == NULL)
		return false;
	*v = 0;
	for (size_t i = 0; i < n; i++)
		*v = *v << 8 | p[i];
	return true;
}

static inline bool get_u8(struct rd *r, uint8_t *v)
{
	uint64_t x;

	if (!get_be(r, &x, 1))
		return false;
	*v = (uint8_t)x;
	return true;
}

static inline bool get_u16(struct rd *r, uint16_t *v)
{
	uint64_t x;

	if (!get_be(r, &x, 2))
		return false;
	*v = (uint16_t)x;
	return true;
}

static inline bool get_u32(struct rd *r, uint32_t *v)
{
	uint64_t x;

	if (!get_be(r, &x, 4))
		return false;
	*v = (uint32_t)x;
	return true;
}

static inline bool get_u64(struct rd *r, uint64_t *v)
{
	return get_be(r, v, 8);
}

static inline void wr_init(struct wr *w, uint8_t *p, size_t cap)
{
	w->p = p;
	w->cap = p != NULL ? cap : 0;
	w->off = 0;
	w->overflow = false;
}

/* A writer that writes nothing and counts: w->off is the encoded size. */
static inline void wr_measure(struct wr *w)
{
	w->p = NULL;
	w->cap = SIZE_MAX;
	w->off = 0;
	w->overflow = false;
}

/* Reserves n output bytes: returns where to write them, or NULL when they
 * do not fit (marking the overflow) or when only measuring. */
static inline uint8_t *put_ref(struct wr *w, size_t n)
{
	uint8_t *p;

	if (w->overflow || w->cap - w->off < n) {
		w->overflow = true;
		return NULL;
	}
	p = w->p != NULL ? w->p + w->off : NULL;
	w->off += n;
	return p;
}

static inline void put_bytes(struct wr *w, const void *src, size_t n)
{
	uint8_t *p = put_ref(w, n);

	if (p != NULL && n > 0)
		memcpy(p, src, n);
}

static inline void put_zero(struct wr *w, size_t n)
{
	uint8_t *p = put_ref(w, n);

	if (p != NULL)
		memset(p, 0, n);
}

static inline void put_be(struct wr *w, uint64_t v, size_t n)
{
	uint8_t *p = put_ref(w, n);

	if (p == NULL)
		return;
	for (size_t i = n; i > 0; i--) {
		p[i - 1] = (uint8_t)v;
		v >>= 8;
	}
}

static inline void put_u8(struct wr *w, uint8_t v)
{
	put_be(w, v, 1);
}

static inline void put_u16(struct wr *w, uint16_t v)
{
	put_be(w, v, 2);
}

static inline void put_u32(struct wr *w, uint32_t v)
{
	put_be(w, v, 4);
}

static inline void put_u64(struct wr *w, uint64_t v)
{
	put_be(w, v, 8);
}

/* The encoder's result: the length written, or NATT_ERR_BUFFER if the size
 * computed up front was wrong (never expected). */
static inline int wr_result(const struct wr *w)
{
	return w->overflow ? NATT_ERR_BUFFER : (int)w->off;
}

static inline bool all_zero(const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (p[i] != 0)
			return false;
	return true;
}

/* Printable ASCII, 0x20-0x7E: close reasons. */
static inline bool printable(const uint8_t *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (s[i] < 0x20 || s[i] > 0x7E)
			return false;
	return true;
}

/* Checks that the rest of the input is zero padding and consumes it. */
static inline int get_padding(struct rd *r, size_t *padding)
{
	size_t n = rd_left(r);

	if (!all_zero(get_ref(r, n), n))
		return NATT_ERR_BAD_PADDING;
	*padding = n;
	return NATT_OK;
}

/* Rendezvous packet types, 0xC8-0xCC (PROTOCOL.md 6). */
static inline bool is_rdv(uint8_t type)
{
	return type >= NATT_PT_RDV_REGISTER && type <= NATT_PT_RDV_INTRODUCE;
}

/* ---- candidates, names and candidate lists (PROTOCOL.md 4; wire.c) ---- */

/* Reads a candidate.  Returns NATT_OK, NATT_ERR_TRUNCATED or
 * NATT_ERR_BAD_ADDRESS (not natt_cand_valid(); "none" is valid here). */
int natt_wire_get_cand(struct rd *r, struct natt_cand *c);
/* Writes a candidate as it is; the caller has validated it. */
void natt_wire_put_cand(struct wr *w, const struct natt_cand *c);

/* Reads a candidate list (4.3).  Returns NATT_OK, NATT_ERR_TRUNCATED,
 * NATT_ERR_BAD_VALUE (count above NATT_MAX_CANDS) or NATT_ERR_BAD_ADDRESS
 * (a malformed or "none" entry). */
int natt_wire_get_cands(struct rd *r, struct natt_cand_list *l);
/* Validates a list to encode as the decoder would: NATT_OK,
 * NATT_ERR_BAD_VALUE or NATT_ERR_BAD_ADDRESS. */
int natt_wire_check_cands(const struct natt_cand_list *l);
void natt_wire_put_cands(struct wr *w, const struct natt_cand_list *l);

/* Reads a name (4.2); optional allows length 0.  Returns NATT_OK,
 * NATT_ERR_TRUNCATED or NATT_ERR_BAD_NAME. */
int natt_wire_get_name(struct rd *r, struct natt_name *n, bool optional);
/* Validates a name to encode (length, characters, the NUL after them):
 * NATT_OK or NATT_ERR_BAD_NAME. */
int natt_wire_check_name(const struct natt_name *n, bool optional);
void natt_wire_put_name(struct wr *w, const struct natt_name *n);

#endif
