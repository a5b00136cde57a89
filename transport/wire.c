/*
 * wire.c: encoding and decoding of every packet of doc/PROTOCOL.md.
 *
 * Every field goes through the cursors below: struct rd reads big-endian
 * integers from [p, p + len) and refuses to read past len; struct wr writes
 * them and refuses to write past cap.  Encoders validate their input and
 * compute the exact size first, so they either write the whole encoding or
 * nothing at all.
 */
#include <string.h>

#include "wire.h"

/* Fixed-size bodies and body prefixes (PROTOCOL.md 5.3, 6). */
#define PROBE_FIXED_BODY      (NATT_PROBE_ID_LEN + 1 + NATT_CAND_LEN)
#define RDV_COMMON_LEN	      16 /* timestamp, txid */
#define RDV_REGISTER_ACK_BODY (RDV_COMMON_LEN + 1 + 2 + NATT_CAND_LEN)
#define RDV_LOOKUP_REPLY_BODY (RDV_COMMON_LEN + 1 + NATT_CAND_LEN + 1)
#define RDV_INTRODUCE_BODY    (RDV_COMMON_LEN + 8 + 1 + NATT_CAND_LEN + 1)
#define KEEPALIVE_MAX_S	      25 /* PROTOCOL.md 9.1 */

enum natt_param_id {
	PARAM_CIPHERS = 1,
	PARAM_KEEPALIVE = 2,
	PARAM_IDLE_TIMEOUT = 3,
	PARAM_MAX_DATAGRAM = 4,
};

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

/* What an empty input points at, so that no pointer arithmetic uses NULL. */
static const uint8_t no_input[1];

static void rd_init(struct rd *r, const uint8_t *p, size_t len)
{
	r->p = p != NULL ? p : no_input;
	r->len = p != NULL ? len : 0;
	r->off = 0;
}

static size_t rd_left(const struct rd *r)
{
	return r->len - r->off;
}

/* Returns a pointer to the next n input bytes and skips them, or NULL. */
static const uint8_t *get_ref(struct rd *r, size_t n)
{
	const uint8_t *p;

	if (rd_left(r) < n)
		return NULL;
	p = r->p + r->off;
	r->off += n;
	return p;
}

static bool get_bytes(struct rd *r, void *dst, size_t n)
{
	const uint8_t *p = get_ref(r, n);

	if (p == NULL)
		return false;
	memcpy(dst, p, n);
	return true;
}

static bool get_be(struct rd *r, uint64_t *v, size_t n)
{
	const uint8_t *p = get_ref(r, n);

	if (p == NULL)
		return false;
	*v = 0;
	for (size_t i = 0; i < n; i++)
		*v = *v << 8 | p[i];
	return true;
}

static bool get_u8(struct rd *r, uint8_t *v)
{
	uint64_t x;

	if (!get_be(r, &x, 1))
		return false;
	*v = (uint8_t)x;
	return true;
}

static bool get_u16(struct rd *r, uint16_t *v)
{
	uint64_t x;

	if (!get_be(r, &x, 2))
		return false;
	*v = (uint16_t)x;
	return true;
}

static bool get_u32(struct rd *r, uint32_t *v)
{
	uint64_t x;

	if (!get_be(r, &x, 4))
		return false;
	*v = (uint32_t)x;
	return true;
}

static bool get_u64(struct rd *r, uint64_t *v)
{
	return get_be(r, v, 8);
}

static void wr_init(struct wr *w, uint8_t *p, size_t cap)
{
	w->p = p;
	w->cap = p != NULL ? cap : 0;
	w->off = 0;
	w->overflow = false;
}

/* A writer that writes nothing and counts: w->off is the encoded size. */
static void wr_measure(struct wr *w)
{
	w->p = NULL;
	w->cap = SIZE_MAX;
	w->off = 0;
	w->overflow = false;
}

/* Reserves n output bytes: returns where to write them, or NULL when they
 * do not fit (marking the overflow) or when only measuring. */
static uint8_t *put_ref(struct wr *w, size_t n)
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

static void put_bytes(struct wr *w, const void *src, size_t n)
{
	uint8_t *p = put_ref(w, n);

	if (p != NULL && n > 0)
		memcpy(p, src, n);
}

static void put_zero(struct wr *w, size_t n)
{
	uint8_t *p = put_ref(w, n);

	if (p != NULL)
		memset(p, 0, n);
}

static void put_be(struct wr *w, uint64_t v, size_t n)
{
	uint8_t *p = put_ref(w, n);

	if (p == NULL)
		return;
	for (size_t i = n; i > 0; i--) {
		p[i - 1] = (uint8_t)v;
		v >>= 8;
	}
}

static void put_u8(struct wr *w, uint8_t v)
{
	put_be(w, v, 1);
}

static void put_u16(struct wr *w, uint16_t v)
{
	put_be(w, v, 2);
}

static void put_u32(struct wr *w, uint32_t v)
{
	put_be(w, v, 4);
}

static void put_u64(struct wr *w, uint64_t v)
{
	put_be(w, v, 8);
}

/* The encoder's result: the length written, or NATT_ERR_BUFFER if the size
 * computed up front was wrong (never expected). */
static int wr_result(const struct wr *w)
{
	return w->overflow ? NATT_ERR_BUFFER : (int)w->off;
}

static bool all_zero(const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (p[i] != 0)
			return false;
	return true;
}

/* Printable ASCII, 0x20-0x7E: close reasons. */
static bool printable(const uint8_t *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (s[i] < 0x20 || s[i] > 0x7E)
			return false;
	return true;
}

/* Checks that the rest of the input is zero padding and consumes it. */
static int get_padding(struct rd *r, size_t *padding)
{
	size_t n = rd_left(r);

	if (!all_zero(get_ref(r, n), n))
		return NATT_ERR_BAD_PADDING;
	*padding = n;
	return NATT_OK;
}

/* ---- classification and headers (PROTOCOL.md 2, 5.1, 5.3, 6.1, 7) ---- */

enum natt_class natt_wire_classify(const uint8_t *pkt, size_t len)
{
	uint8_t b;

	if (pkt == NULL || len == 0)
		return NATT_CLASS_UNKNOWN;
	b = pkt[0];
	if (b <= 0x03)
		return NATT_CLASS_STUN;
	if (b >= 0x08 && b <= 0x5F)
		return NATT_CLASS_OPENVPN;
	if (b >= 0xC0 && b <= 0xCF)
		return NATT_CLASS_LONG;
	if (b >= 0xD0 && b <= 0xDF)
		return NATT_CLASS_SHORT;
	return NATT_CLASS_UNKNOWN;
}

static bool is_rdv(uint8_t type)
{
	return type >= NATT_PT_RDV_REGISTER && type <= NATT_PT_RDV_INTRODUCE;
}

size_t natt_header_len(uint8_t type)
{
	switch (type) {
	case NATT_PT_HANDSHAKE: return NATT_HANDSHAKE_HDR_LEN;
	case NATT_PT_PROBE:
	case NATT_PT_PROBE_REPLY: return NATT_PROBE_HDR_LEN;
	case NATT_PT_DATA: return NATT_DATA_HDR_LEN;
	}
	return is_rdv(type) ? NATT_RDV_HDR_LEN : 0;
}

/* Smallest body of a packet type (tag excluded). */
static size_t min_body(uint8_t type)
{
	switch (type) {
	case NATT_PT_HANDSHAKE: return 1; /* at least one frame */
	case NATT_PT_PROBE:
	case NATT_PT_PROBE_REPLY: return NATT_PROBE_MIN_BODY;
	case NATT_PT_DATA: return 0; /* keepalive */
	}
	return natt_rdv_min_body(type);
}

static size_t max_packet(uint8_t type)
{
	switch (type) {
	case NATT_PT_HANDSHAKE: return NATT_MAX_HANDSHAKE;
	case NATT_PT_PROBE:
	case NATT_PT_PROBE_REPLY: return NATT_MAX_PROBE;
	case NATT_PT_DATA: return NATT_MAX_DATAGRAM;
	}
	return NATT_MAX_RENDEZVOUS;
}

/* Connection IDs that must not be 0 (PROTOCOL.md 5.1, 5.3, 7). */
static int check_cids(const struct natt_header *h)
{
	bool dcid_needed = h->type != NATT_PT_PROBE && !is_rdv(h->type);
	bool scid_needed = h->type != NATT_PT_DATA && !is_rdv(h->type);

	if ((dcid_needed && h->dcid == 0) || (scid_needed && h->scid == 0))
		return NATT_ERR_BAD_VALUE;
	return NATT_OK;
}

/*
 * The first byte and, for long headers, the version.  The version is
 * checked before the type: a future version may assign the reserved types,
 * and "unknown version" is what the operator needs to hear (2.2).
 */
static int check_type(const uint8_t *pkt, size_t len)
{
	enum natt_class cls = natt_wire_classify(pkt, len);

	if (cls == NATT_CLASS_LONG) {
		if (len < 2)
			return NATT_ERR_TRUNCATED;
		if (pkt[1] != NATT_VERSION)
			return NATT_ERR_BAD_VERSION;
	} else if (cls != NATT_CLASS_SHORT) {
		return NATT_ERR_BAD_TYPE;
	}
	return natt_header_len(pkt[0]) != 0 ? NATT_OK : NATT_ERR_BAD_TYPE;
}

static void get_header_fields(struct rd *r, struct natt_header *h)
{
	get_u8(r, &h->type);
	if (h->type == NATT_PT_DATA) {
		get_u8(r, &h->epoch);
		get_u64(r, &h->dcid);
		get_u64(r, &h->counter);
		return;
	}
	get_u8(r, &h->version);
	if (is_rdv(h->type)) {
		get_bytes(r, h->network_id, NATT_NETWORK_ID_LEN);
	} else {
		get_u64(r, &h->dcid);
		get_u64(r, &h->scid);
		if (h->type == NATT_PT_HANDSHAKE)
			get_u64(r, &h->pn);
	}
	get_bytes(r, h->salt, NATT_SALT_LEN);
}

int natt_header_decode(struct natt_header *h, const uint8_t *pkt, size_t len)
{
	struct rd r;
	size_t hdr_len;
	int rc;

	memset(h, 0, sizeof(*h));
	if (pkt == NULL || len == 0)
		return NATT_ERR_TRUNCATED;
	rc = check_type(pkt, len);
	if (rc != NATT_OK)
		return rc;
	hdr_len = natt_header_len(pkt[0]);
	if (len < hdr_len)
		return NATT_ERR_TRUNCATED;

	rd_init(&r, pkt, hdr_len);
	get_header_fields(&r, h); /* cannot fail: hdr_len bytes are there */
	rc = check_cids(h);
	if (rc != NATT_OK)
		return rc;
	if (len > max_packet(h->type))
		return NATT_ERR_BAD_LENGTH;
	if (len < hdr_len + min_body(h->type) + NATT_TAG_LEN)
		return NATT_ERR_TOO_SMALL;
	h->len = hdr_len;
	h->payload_len = len - hdr_len;
	return NATT_OK;
}

static void put_header_fields(struct wr *w, const struct natt_header *h)
{
	put_u8(w, h->type);
	if (h->type == NATT_PT_DATA) {
		put_u8(w, h->epoch);
		put_u64(w, h->dcid);
		put_u64(w, h->counter);
		return;
	}
	put_u8(w, NATT_VERSION);
	if (is_rdv(h->type)) {
		put_bytes(w, h->network_id, NATT_NETWORK_ID_LEN);
	} else {
		put_u64(w, h->dcid);
		put_u64(w, h->scid);
		if (h->type == NATT_PT_HANDSHAKE)
			put_u64(w, h->pn);
	}
	put_bytes(w, h->salt, NATT_SALT_LEN);
}

int natt_header_encode(uint8_t *out, size_t cap, const struct natt_header *h)
{
	size_t hdr_len = natt_header_len(h->type);
	struct wr w;
	int rc;

	if (hdr_len == 0)
		return NATT_ERR_BAD_TYPE;
	rc = check_cids(h);
	if (rc != NATT_OK)
		return rc;
	if (out == NULL || cap < hdr_len)
		return NATT_ERR_BUFFER;
	wr_init(&w, out, cap);
	put_header_fields(&w, h);
	return wr_result(&w);
}

/* ---- candidates and names (PROTOCOL.md 4) ---- */

bool natt_cand_valid(const struct natt_cand *c)
{
	if (c->kind == NATT_CAND_NONE)
		return c->family == 0 && c->port == 0 && all_zero(c->addr, sizeof(c->addr));
	if (c->kind > NATT_CAND_PRFLX || c->port == 0)
		return false;
	if (c->family == 6)
		return true;
	return c->family == 4 && all_zero(c->addr + 4, sizeof(c->addr) - 4);
}

bool natt_cand_equal(const struct natt_cand *a, const struct natt_cand *b)
{
	return a->kind == b->kind && a->family == b->family && a->port == b->port &&
	       memcmp(a->addr, b->addr, sizeof(a->addr)) == 0;
}

static int get_cand(struct rd *r, struct natt_cand *c)
{
	memset(c, 0, sizeof(*c));
	if (!get_u8(r, &c->kind) || !get_u8(r, &c->family) || !get_u16(r, &c->port) ||
	    !get_bytes(r, c->addr, sizeof(c->addr)))
		return NATT_ERR_TRUNCATED;
	return natt_cand_valid(c) ? NATT_OK : NATT_ERR_BAD_ADDRESS;
}

static void put_cand(struct wr *w, const struct natt_cand *c)
{
	put_u8(w, c->kind);
	put_u8(w, c->family);
	put_u16(w, c->port);
	put_bytes(w, c->addr, sizeof(c->addr));
}

int natt_cand_decode(struct natt_cand *c, const uint8_t *p, size_t len)
{
	struct rd r;

	rd_init(&r, p, len);
	return get_cand(&r, c);
}

int natt_cand_encode(uint8_t *out, size_t cap, const struct natt_cand *c)
{
	struct wr w;

	if (!natt_cand_valid(c))
		return NATT_ERR_BAD_ADDRESS;
	if (out == NULL || cap < NATT_CAND_LEN)
		return NATT_ERR_BUFFER;
	wr_init(&w, out, cap);
	put_cand(&w, c);
	return wr_result(&w);
}

/* A candidate that is an "observed" address: valid, and of the given kind. */
static int get_observed(struct rd *r, struct natt_cand *c, uint8_t kind)
{
	int rc = get_cand(r, c);

	if (rc != NATT_OK)
		return rc;
	return c->kind == kind ? NATT_OK : NATT_ERR_BAD_VALUE;
}

static int check_observed(const struct natt_cand *c, uint8_t kind)
{
	if (!natt_cand_valid(c))
		return NATT_ERR_BAD_ADDRESS;
	return c->kind == kind ? NATT_OK : NATT_ERR_BAD_VALUE;
}

/* Candidate lists (4.3): count 0-8, and no "none" entry. */
static int get_cands(struct rd *r, struct natt_cand_list *l)
{
	if (!get_u8(r, &l->count))
		return NATT_ERR_TRUNCATED;
	if (l->count > NATT_MAX_CANDS)
		return NATT_ERR_BAD_VALUE;
	for (unsigned i = 0; i < l->count; i++) {
		int rc = get_cand(r, &l->cand[i]);

		if (rc != NATT_OK)
			return rc;
		if (l->cand[i].kind == NATT_CAND_NONE)
			return NATT_ERR_BAD_ADDRESS;
	}
	return NATT_OK;
}

static int check_cands(const struct natt_cand_list *l)
{
	if (l->count > NATT_MAX_CANDS)
		return NATT_ERR_BAD_VALUE;
	for (unsigned i = 0; i < l->count; i++)
		if (!natt_cand_valid(&l->cand[i]) || l->cand[i].kind == NATT_CAND_NONE)
			return NATT_ERR_BAD_ADDRESS;
	return NATT_OK;
}

static void put_cands(struct wr *w, const struct natt_cand_list *l)
{
	put_u8(w, l->count);
	for (unsigned i = 0; i < l->count; i++)
		put_cand(w, &l->cand[i]);
}

static bool name_char(uint8_t ch)
{
	return (ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') ||
	       ch == '.' || ch == '_' || ch == '-';
}

static bool name_chars(const uint8_t *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!name_char(s[i]))
			return false;
	return true;
}

int natt_name_set(struct natt_name *n, const char *s)
{
	size_t len;

	memset(n, 0, sizeof(*n));
	if (s == NULL)
		return NATT_ERR_BAD_NAME;
	len = 0;
	while (len <= NATT_MAX_NAME && s[len] != '\0')
		len++;
	if (len == 0 || len > NATT_MAX_NAME || !name_chars((const uint8_t *)s, len))
		return NATT_ERR_BAD_NAME;
	memcpy(n->str, s, len);
	n->len = (uint8_t)len;
	return NATT_OK;
}

static int get_name(struct rd *r, struct natt_name *n, bool optional)
{
	memset(n, 0, sizeof(*n));
	if (!get_u8(r, &n->len))
		return NATT_ERR_TRUNCATED;
	if (n->len > NATT_MAX_NAME || (n->len == 0 && !optional))
		return NATT_ERR_BAD_NAME;
	if (!get_bytes(r, n->str, n->len))
		return NATT_ERR_TRUNCATED;
	return name_chars((const uint8_t *)n->str, n->len) ? NATT_OK : NATT_ERR_BAD_NAME;
}

/* A name to encode: len in range, len valid characters, then the NUL. */
static int check_name(const struct natt_name *n, bool optional)
{
	if (n->len > NATT_MAX_NAME || (n->len == 0 && !optional))
		return NATT_ERR_BAD_NAME;
	if (!name_chars((const uint8_t *)n->str, n->len) || n->str[n->len] != '\0')
		return NATT_ERR_BAD_NAME;
	return NATT_OK;
}

static void put_name(struct wr *w, const struct natt_name *n)
{
	put_u8(w, n->len);
	put_bytes(w, n->str, n->len);
}

/* ---- HANDSHAKE frames (PROTOCOL.md 5.2) ---- */

bool natt_frame_ack_eliciting(uint8_t type)
{
	return type == NATT_FT_PING || type == NATT_FT_STREAM || type == NATT_FT_MAX_DATA;
}

/* Walks an ACK's ranges down to range n: [*lo, *hi] of range n, or
 * NATT_ERR_BAD_FRAME if a range on the way goes below packet number 0. */
static int ack_walk(const struct natt_frame *f, unsigned n, uint64_t *lo, uint64_t *hi)
{
	uint64_t h = f->ack.largest;
	uint64_t l;

	if (f->ack.first_range > h)
		return NATT_ERR_BAD_FRAME;
	l = h - f->ack.first_range;
	for (unsigned i = 0; i < n; i++) {
		const struct natt_ack_range *rg = &f->ack.range[i];
		uint64_t skip = (uint64_t)rg->gap + 2;

		if (l < skip)
			return NATT_ERR_BAD_FRAME;
		h = l - skip;
		if (h < rg->length)
			return NATT_ERR_BAD_FRAME;
		l = h - rg->length;
	}
	*lo = l;
	*hi = h;
	return NATT_OK;
}

int natt_ack_interval(const struct natt_frame *f, unsigned i, uint64_t *lo, uint64_t *hi)
{
	if (f->type != NATT_FT_ACK || f->ack.range_count > NATT_ACK_MAX_RANGES ||
	    i > f->ack.range_count)
		return NATT_ERR_INVALID;
	return ack_walk(f, i, lo, hi);
}

static int check_ack(const struct natt_frame *f)
{
	uint64_t lo, hi;

	if (f->ack.range_count > NATT_ACK_MAX_RANGES)
		return NATT_ERR_BAD_FRAME;
	return ack_walk(f, f->ack.range_count, &lo, &hi);
}

static bool stream_fits(uint64_t offset, uint16_t len)
{
	return offset <= NATT_STREAM_MAX_OFFSET - len;
}

/* Whether f can be encoded: NATT_OK, NATT_ERR_BAD_TYPE or NATT_ERR_BAD_FRAME. */
static int check_frame(const struct natt_frame *f)
{
	switch (f->type) {
	case NATT_FT_PADDING:
		if (f->padding.len < 1 || f->padding.len > NATT_MAX_DATAGRAM)
			return NATT_ERR_BAD_FRAME;
		return NATT_OK;
	case NATT_FT_PING:
	case NATT_FT_MAX_DATA: return NATT_OK;
	case NATT_FT_ACK: return check_ack(f);
	case NATT_FT_STREAM:
		if (!stream_fits(f->stream.offset, f->stream.len) ||
		    (f->stream.data == NULL && f->stream.len > 0))
			return NATT_ERR_BAD_FRAME;
		return NATT_OK;
	case NATT_FT_CLOSE:
		if (f->close.reason_len > NATT_MAX_REASON ||
		    (f->close.reason == NULL && f->close.reason_len > 0) ||
		    (f->close.reason_len > 0 && !printable(f->close.reason, f->close.reason_len)))
			return NATT_ERR_BAD_FRAME;
		return NATT_OK;
	}
	return NATT_ERR_BAD_TYPE;
}

/* A run of zero bytes, folded into one frame; runs longer than the largest
 * encodable PADDING frame are split, so that the length fits an int. */
static int get_padding_frame(struct rd *r, struct natt_frame *f)
{
	size_t n = 1;

	while (n < NATT_MAX_DATAGRAM && rd_left(r) > 0 && r->p[r->off] == 0) {
		r->off++;
		n++;
	}
	f->padding.len = n;
	return NATT_OK;
}

static int get_ack_frame(struct rd *r, struct natt_frame *f)
{
	if (!get_u64(r, &f->ack.largest) || !get_u32(r, &f->ack.ack_delay_us) ||
	    !get_u8(r, &f->ack.range_count) || !get_u32(r, &f->ack.first_range))
		return NATT_ERR_TRUNCATED;
	if (f->ack.range_count > NATT_ACK_MAX_RANGES)
		return NATT_ERR_BAD_FRAME;
	for (unsigned i = 0; i < f->ack.range_count; i++)
		if (!get_u32(r, &f->ack.range[i].gap) || !get_u32(r, &f->ack.range[i].length))
			return NATT_ERR_TRUNCATED;
	return check_ack(f);
}

static int get_stream_frame(struct rd *r, struct natt_frame *f)
{
	uint8_t flags;

	if (!get_u8(r, &flags) || !get_u64(r, &f->stream.offset) || !get_u16(r, &f->stream.len))
		return NATT_ERR_TRUNCATED;
	if ((flags & ~0x01u) != 0 || !stream_fits(f->stream.offset, f->stream.len))
		return NATT_ERR_BAD_FRAME;
	f->stream.fin = flags & 0x01u;
	f->stream.data = get_ref(r, f->stream.len);
	return f->stream.data != NULL ? NATT_OK : NATT_ERR_TRUNCATED;
}

static int get_close_frame(struct rd *r, struct natt_frame *f)
{
	if (!get_u16(r, &f->close.code) || !get_u8(r, &f->close.reason_len))
		return NATT_ERR_TRUNCATED;
	if (f->close.reason_len > NATT_MAX_REASON)
		return NATT_ERR_BAD_FRAME;
	f->close.reason = get_ref(r, f->close.reason_len);
	if (f->close.reason == NULL)
		return NATT_ERR_TRUNCATED;
	return printable(f->close.reason, f->close.reason_len) ? NATT_OK : NATT_ERR_BAD_FRAME;
}

static int get_frame_body(struct rd *r, struct natt_frame *f)
{
	switch (f->type) {
	case NATT_FT_PADDING: return get_padding_frame(r, f);
	case NATT_FT_PING: return NATT_OK;
	case NATT_FT_ACK: return get_ack_frame(r, f);
	case NATT_FT_STREAM: return get_stream_frame(r, f);
	case NATT_FT_MAX_DATA: return get_u64(r, &f->max_data.max) ? NATT_OK : NATT_ERR_TRUNCATED;
	case NATT_FT_CLOSE: return get_close_frame(r, f);
	}
	return NATT_ERR_BAD_TYPE;
}

int natt_frame_decode(struct natt_frame *f, const uint8_t *p, size_t len)
{
	struct rd r;
	int rc;

	memset(f, 0, sizeof(*f));
	rd_init(&r, p, len);
	if (!get_u8(&r, &f->type))
		return NATT_ERR_TRUNCATED;
	rc = get_frame_body(&r, f);
	return rc != NATT_OK ? rc : (int)r.off;
}

static void put_frame_body(struct wr *w, const struct natt_frame *f)
{
	switch (f->type) {
	case NATT_FT_ACK:
		put_u64(w, f->ack.largest);
		put_u32(w, f->ack.ack_delay_us);
		put_u8(w, f->ack.range_count);
		put_u32(w, f->ack.first_range);
		for (unsigned i = 0; i < f->ack.range_count; i++) {
			put_u32(w, f->ack.range[i].gap);
			put_u32(w, f->ack.range[i].length);
		}
		break;
	case NATT_FT_STREAM:
		put_u8(w, f->stream.fin ? 0x01 : 0x00);
		put_u64(w, f->stream.offset);
		put_u16(w, f->stream.len);
		put_bytes(w, f->stream.data, f->stream.len);
		break;
	case NATT_FT_MAX_DATA: put_u64(w, f->max_data.max); break;
	case NATT_FT_CLOSE:
		put_u16(w, f->close.code);
		put_u8(w, f->close.reason_len);
		put_bytes(w, f->close.reason, f->close.reason_len);
		break;
	}
}

static void put_frame(struct wr *w, const struct natt_frame *f)
{
	if (f->type == NATT_FT_PADDING) {
		put_zero(w, f->padding.len);
		return;
	}
	put_u8(w, f->type);
	put_frame_body(w, f);
}

size_t natt_frame_len(const struct natt_frame *f)
{
	struct wr w;

	if (check_frame(f) != NATT_OK)
		return 0;
	wr_measure(&w);
	put_frame(&w, f);
	return w.off;
}

int natt_frame_encode(uint8_t *out, size_t cap, const struct natt_frame *f)
{
	int rc = check_frame(f);
	struct wr w;

	if (rc != NATT_OK)
		return rc;
	if (out == NULL || cap < natt_frame_len(f))
		return NATT_ERR_BUFFER;
	wr_init(&w, out, cap);
	put_frame(&w, f);
	return wr_result(&w);
}

/* ---- PROBE and PROBE_REPLY bodies (PROTOCOL.md 5.3) ---- */

static bool is_probe(uint8_t type)
{
	return type == NATT_PT_PROBE || type == NATT_PT_PROBE_REPLY;
}

/* PROBE: seen is "none"; PROBE_REPLY: seen is prflx. */
static int check_probe(uint8_t type, const struct natt_probe *pr)
{
	if ((pr->flags & ~NATT_PROBE_NOMINATE) != 0)
		return NATT_ERR_BAD_VALUE;
	if (!natt_cand_valid(&pr->seen))
		return NATT_ERR_BAD_ADDRESS;
	if (pr->seen.kind != (type == NATT_PT_PROBE ? NATT_CAND_NONE : NATT_CAND_PRFLX))
		return NATT_ERR_BAD_VALUE;
	return NATT_OK;
}

int natt_probe_decode(struct natt_probe *pr, uint8_t type, const uint8_t *body, size_t len)
{
	struct rd r;
	int rc;

	memset(pr, 0, sizeof(*pr));
	if (!is_probe(type))
		return NATT_ERR_BAD_TYPE;
	if (len < NATT_PROBE_MIN_BODY)
		return NATT_ERR_TOO_SMALL;
	if (len > NATT_PROBE_MAX_BODY)
		return NATT_ERR_BAD_LENGTH;
	rd_init(&r, body, len);
	get_bytes(&r, pr->probe_id, NATT_PROBE_ID_LEN);
	get_u8(&r, &pr->flags);
	rc = get_cand(&r, &pr->seen);
	if (rc == NATT_OK)
		rc = check_probe(type, pr);
	if (rc == NATT_OK)
		rc = get_padding(&r, &pr->padding);
	return rc;
}

int natt_probe_encode(uint8_t *out, size_t cap, uint8_t type, const struct natt_probe *pr,
		      size_t body_len)
{
	struct wr w;
	int rc;

	if (!is_probe(type) || body_len < NATT_PROBE_MIN_BODY || body_len > NATT_PROBE_MAX_BODY)
		return NATT_ERR_INVALID;
	rc = check_probe(type, pr);
	if (rc != NATT_OK)
		return rc;
	if (out == NULL || cap < body_len)
		return NATT_ERR_BUFFER;
	wr_init(&w, out, cap);
	put_bytes(&w, pr->probe_id, NATT_PROBE_ID_LEN);
	put_u8(&w, pr->flags);
	put_cand(&w, &pr->seen);
	put_zero(&w, body_len - PROBE_FIXED_BODY);
	return wr_result(&w);
}

/* ---- rendezvous bodies (PROTOCOL.md 6) ---- */

size_t natt_rdv_min_body(uint8_t type)
{
	switch (type) {
	case NATT_PT_RDV_REGISTER: return NATT_RDV_REGISTER_MIN_BODY;
	case NATT_PT_RDV_REGISTER_ACK: return RDV_REGISTER_ACK_BODY;
	case NATT_PT_RDV_LOOKUP: return NATT_RDV_LOOKUP_MIN_BODY;
	case NATT_PT_RDV_LOOKUP_REPLY: return RDV_LOOKUP_REPLY_BODY;
	case NATT_PT_RDV_INTRODUCE: return RDV_INTRODUCE_BODY;
	}
	return 0;
}

static bool padded_minimum(uint8_t type)
{
	return type == NATT_PT_RDV_REGISTER || type == NATT_PT_RDV_LOOKUP;
}

static int get_cid(struct rd *r, natt_cid_t *cid)
{
	if (!get_u64(r, cid))
		return NATT_ERR_TRUNCATED;
	return *cid != 0 ? NATT_OK : NATT_ERR_BAD_VALUE;
}

static int check_status(uint8_t status)
{
	return status <= NATT_RDV_RATE_LIMITED ? NATT_OK : NATT_ERR_BAD_VALUE;
}

static int get_status(struct rd *r, uint8_t *status)
{
	if (!get_u8(r, status))
		return NATT_ERR_TRUNCATED;
	return check_status(*status);
}

static int get_register(struct rd *r, struct natt_rdv_msg *m)
{
	int rc;

	if (!get_u64(r, &m->reg.seq) || !get_u16(r, &m->reg.lifetime_s))
		return NATT_ERR_TRUNCATED;
	rc = get_name(r, &m->reg.name, false);
	return rc != NATT_OK ? rc : get_cands(r, &m->reg.cands);
}

static int get_register_ack(struct rd *r, struct natt_rdv_msg *m)
{
	int rc = get_status(r, &m->reg_ack.status);

	if (rc != NATT_OK)
		return rc;
	if (!get_u16(r, &m->reg_ack.lifetime_s))
		return NATT_ERR_TRUNCATED;
	return get_observed(r, &m->reg_ack.observed, NATT_CAND_SRFLX);
}

static int get_lookup(struct rd *r, struct natt_rdv_msg *m)
{
	int rc = get_cid(r, &m->lookup.cid);

	if (rc == NATT_OK)
		rc = get_name(r, &m->lookup.target, false);
	if (rc == NATT_OK)
		rc = get_name(r, &m->lookup.name, true);
	return rc != NATT_OK ? rc : get_cands(r, &m->lookup.cands);
}

static int get_lookup_reply(struct rd *r, struct natt_rdv_msg *m)
{
	int rc = get_status(r, &m->lookup_reply.status);

	if (rc == NATT_OK)
		rc = get_observed(r, &m->lookup_reply.observed, NATT_CAND_SRFLX);
	if (rc == NATT_OK)
		rc = get_cands(r, &m->lookup_reply.cands);
	if (rc == NATT_OK && m->lookup_reply.status != NATT_RDV_OK &&
	    m->lookup_reply.cands.count != 0)
		return NATT_ERR_BAD_VALUE;
	return rc;
}

static int get_introduce(struct rd *r, struct natt_rdv_msg *m)
{
	int rc = get_cid(r, &m->introduce.cid);

	if (rc == NATT_OK)
		rc = get_name(r, &m->introduce.name, true);
	if (rc == NATT_OK)
		rc = get_observed(r, &m->introduce.observed, NATT_CAND_SRFLX);
	return rc != NATT_OK ? rc : get_cands(r, &m->introduce.cands);
}

static int get_rdv_fields(struct rd *r, struct natt_rdv_msg *m)
{
	if (!get_u64(r, &m->timestamp_ms) || !get_u64(r, &m->txid))
		return NATT_ERR_TRUNCATED;
	switch (m->type) {
	case NATT_PT_RDV_REGISTER: return get_register(r, m);
	case NATT_PT_RDV_REGISTER_ACK: return get_register_ack(r, m);
	case NATT_PT_RDV_LOOKUP: return get_lookup(r, m);
	case NATT_PT_RDV_LOOKUP_REPLY: return get_lookup_reply(r, m);
	}
	return get_introduce(r, m);
}

int natt_rdv_decode(struct natt_rdv_msg *m, uint8_t type, const uint8_t *body, size_t len)
{
	struct rd r;
	int rc;

	memset(m, 0, sizeof(*m));
	if (!is_rdv(type))
		return NATT_ERR_BAD_TYPE;
	if (len > NATT_RDV_MAX_BODY)
		return NATT_ERR_BAD_LENGTH;
	if (padded_minimum(type) && len < natt_rdv_min_body(type))
		return NATT_ERR_TOO_SMALL;
	m->type = type;
	rd_init(&r, body, len);
	rc = get_rdv_fields(&r, m);
	return rc != NATT_OK ? rc : get_padding(&r, &m->padding);
}

static int check_register(const struct natt_rdv_msg *m)
{
	int rc = check_name(&m->reg.name, false);

	return rc != NATT_OK ? rc : check_cands(&m->reg.cands);
}

static int check_register_ack(const struct natt_rdv_msg *m)
{
	int rc = check_status(m->reg_ack.status);

	return rc != NATT_OK ? rc : check_observed(&m->reg_ack.observed, NATT_CAND_SRFLX);
}

static int check_lookup(const struct natt_rdv_msg *m)
{
	int rc = m->lookup.cid != 0 ? NATT_OK : NATT_ERR_BAD_VALUE;

	if (rc == NATT_OK)
		rc = check_name(&m->lookup.target, false);
	if (rc == NATT_OK)
		rc = check_name(&m->lookup.name, true);
	return rc != NATT_OK ? rc : check_cands(&m->lookup.cands);
}

static int check_lookup_reply(const struct natt_rdv_msg *m)
{
	int rc = check_status(m->lookup_reply.status);

	if (rc == NATT_OK && m->lookup_reply.status != NATT_RDV_OK &&
	    m->lookup_reply.cands.count != 0)
		return NATT_ERR_BAD_VALUE;
	if (rc == NATT_OK)
		rc = check_observed(&m->lookup_reply.observed, NATT_CAND_SRFLX);
	return rc != NATT_OK ? rc : check_cands(&m->lookup_reply.cands);
}

static int check_introduce(const struct natt_rdv_msg *m)
{
	int rc = m->introduce.cid != 0 ? NATT_OK : NATT_ERR_BAD_VALUE;

	if (rc == NATT_OK)
		rc = check_name(&m->introduce.name, true);
	if (rc == NATT_OK)
		rc = check_observed(&m->introduce.observed, NATT_CAND_SRFLX);
	return rc != NATT_OK ? rc : check_cands(&m->introduce.cands);
}

/* Validates the fields of m as the decoder would. */
static int check_rdv(const struct natt_rdv_msg *m)
{
	switch (m->type) {
	case NATT_PT_RDV_REGISTER: return check_register(m);
	case NATT_PT_RDV_REGISTER_ACK: return check_register_ack(m);
	case NATT_PT_RDV_LOOKUP: return check_lookup(m);
	case NATT_PT_RDV_LOOKUP_REPLY: return check_lookup_reply(m);
	case NATT_PT_RDV_INTRODUCE: return check_introduce(m);
	}
	return NATT_ERR_BAD_TYPE;
}

static void put_rdv_fields(struct wr *w, const struct natt_rdv_msg *m)
{
	put_u64(w, m->timestamp_ms);
	put_u64(w, m->txid);
	switch (m->type) {
	case NATT_PT_RDV_REGISTER:
		put_u64(w, m->reg.seq);
		put_u16(w, m->reg.lifetime_s);
		put_name(w, &m->reg.name);
		put_cands(w, &m->reg.cands);
		break;
	case NATT_PT_RDV_REGISTER_ACK:
		put_u8(w, m->reg_ack.status);
		put_u16(w, m->reg_ack.lifetime_s);
		put_cand(w, &m->reg_ack.observed);
		break;
	case NATT_PT_RDV_LOOKUP:
		put_u64(w, m->lookup.cid);
		put_name(w, &m->lookup.target);
		put_name(w, &m->lookup.name);
		put_cands(w, &m->lookup.cands);
		break;
	case NATT_PT_RDV_LOOKUP_REPLY:
		put_u8(w, m->lookup_reply.status);
		put_cand(w, &m->lookup_reply.observed);
		put_cands(w, &m->lookup_reply.cands);
		break;
	case NATT_PT_RDV_INTRODUCE:
		put_u64(w, m->introduce.cid);
		put_name(w, &m->introduce.name);
		put_cand(w, &m->introduce.observed);
		put_cands(w, &m->introduce.cands);
		break;
	}
}

int natt_rdv_encode(uint8_t *out, size_t cap, const struct natt_rdv_msg *m, size_t min_body)
{
	size_t fields, body;
	struct wr w;
	int rc;

	rc = check_rdv(m);
	if (rc != NATT_OK)
		return rc;
	if (min_body > NATT_RDV_MAX_BODY)
		return NATT_ERR_INVALID;
	wr_measure(&w);
	put_rdv_fields(&w, m);
	fields = w.off;
	body = fields;
	if (body < min_body)
		body = min_body;
	if (body < natt_rdv_min_body(m->type))
		body = natt_rdv_min_body(m->type);
	if (out == NULL || cap < body)
		return NATT_ERR_BUFFER;
	wr_init(&w, out, cap);
	put_rdv_fields(&w, m);
	put_zero(&w, body - fields);
	return wr_result(&w);
}

/* ---- control messages inside TLS (PROTOCOL.md 9) ---- */

static bool keepalive_ok(uint16_t s)
{
	return s >= 1 && s <= KEEPALIVE_MAX_S;
}

static int get_param(struct natt_ctl_msg *m, uint8_t id, const uint8_t *v, uint8_t len)
{
	unsigned bit;
	struct rd r;

	if (id < PARAM_CIPHERS || id > PARAM_MAX_DATAGRAM)
		return NATT_OK; /* unknown: ignored (9.1) */
	bit = 1u << (id - 1);	/* PARAM_x is bit NATT_PARAM_x */
	if ((m->params.present & bit) != 0)
		return NATT_ERR_BAD_VALUE; /* a parameter appears once */
	m->params.present |= bit;
	rd_init(&r, v, len);
	if (id == PARAM_CIPHERS) {
		if (len < 1 || len > NATT_MAX_CIPHERS)
			return NATT_ERR_BAD_VALUE;
		m->params.ncipher = len;
		get_bytes(&r, m->params.cipher, len);
		return NATT_OK;
	}
	if (len != 2)
		return NATT_ERR_BAD_VALUE;
	if (id == PARAM_KEEPALIVE) {
		get_u16(&r, &m->params.keepalive_s);
		return keepalive_ok(m->params.keepalive_s) ? NATT_OK : NATT_ERR_BAD_VALUE;
	}
	get_u16(&r, id == PARAM_IDLE_TIMEOUT ? &m->params.idle_timeout_s : &m->params.max_datagram);
	return NATT_OK;
}

static int get_params(struct natt_ctl_msg *m, struct rd *r)
{
	while (rd_left(r) > 0) {
		uint8_t id, len;
		const uint8_t *v;
		int rc;

		if (!get_u8(r, &id) || !get_u8(r, &len))
			return NATT_ERR_BAD_LENGTH;
		v = get_ref(r, len);
		if (v == NULL)
			return NATT_ERR_BAD_LENGTH;
		rc = get_param(m, id, v, len);
		if (rc != NATT_OK)
			return rc;
	}
	return NATT_OK;
}

static int get_ctl_close(struct natt_ctl_msg *m, struct rd *r)
{
	size_t n;

	if (!get_u16(r, &m->close.code))
		return NATT_ERR_BAD_LENGTH;
	n = rd_left(r);
	if (n > NATT_MAX_REASON)
		return NATT_ERR_BAD_LENGTH;
	m->close.reason_len = (uint8_t)n;
	get_bytes(r, m->close.reason, n);
	return printable((const uint8_t *)m->close.reason, n) ? NATT_OK : NATT_ERR_BAD_VALUE;
}

int natt_ctl_decode(struct natt_ctl_msg *m, const uint8_t *p, size_t len)
{
	struct rd r, value;
	const uint8_t *v;
	int rc = NATT_OK;

	memset(m, 0, sizeof(*m));
	rd_init(&r, p, len);
	if (!get_u8(&r, &m->type) || !get_u16(&r, &m->len))
		return NATT_ERR_TRUNCATED;
	v = get_ref(&r, m->len);
	if (v == NULL)
		return NATT_ERR_TRUNCATED;
	rd_init(&value, v, m->len);
	if (m->type == NATT_CTL_PARAMS)
		rc = get_params(m, &value);
	else if (m->type == NATT_CTL_PING)
		rc = m->len == 0 ? NATT_OK : NATT_ERR_BAD_LENGTH;
	else if (m->type == NATT_CTL_CLOSE)
		rc = get_ctl_close(m, &value);
	return rc != NATT_OK ? rc : (int)r.off;
}

#define PARAM_KNOWN                                                                                \
	(NATT_PARAM_CIPHERS | NATT_PARAM_KEEPALIVE | NATT_PARAM_IDLE_TIMEOUT |                     \
	 NATT_PARAM_MAX_DATAGRAM)

static int check_params(const struct natt_ctl_msg *m)
{
	unsigned present = m->params.present;

	if ((present & ~PARAM_KNOWN) != 0)
		return NATT_ERR_BAD_VALUE;
	if ((present & NATT_PARAM_CIPHERS) &&
	    (m->params.ncipher < 1 || m->params.ncipher > NATT_MAX_CIPHERS))
		return NATT_ERR_BAD_VALUE;
	if ((present & NATT_PARAM_KEEPALIVE) && !keepalive_ok(m->params.keepalive_s))
		return NATT_ERR_BAD_VALUE;
	return NATT_OK;
}

static int check_ctl(const struct natt_ctl_msg *m)
{
	switch (m->type) {
	case NATT_CTL_PARAMS: return check_params(m);
	case NATT_CTL_PING: return NATT_OK;
	case NATT_CTL_CLOSE:
		if (m->close.reason_len > NATT_MAX_REASON ||
		    !printable((const uint8_t *)m->close.reason, m->close.reason_len))
			return NATT_ERR_BAD_VALUE;
		return NATT_OK;
	}
	return NATT_ERR_BAD_TYPE;
}

static void put_param_u16(struct wr *w, uint8_t id, uint16_t v)
{
	put_u8(w, id);
	put_u8(w, 2);
	put_u16(w, v);
}

static void put_params(struct wr *w, const struct natt_ctl_msg *m)
{
	unsigned present = m->params.present;

	if (present & NATT_PARAM_CIPHERS) {
		put_u8(w, PARAM_CIPHERS);
		put_u8(w, m->params.ncipher);
		put_bytes(w, m->params.cipher, m->params.ncipher);
	}
	if (present & NATT_PARAM_KEEPALIVE)
		put_param_u16(w, PARAM_KEEPALIVE, m->params.keepalive_s);
	if (present & NATT_PARAM_IDLE_TIMEOUT)
		put_param_u16(w, PARAM_IDLE_TIMEOUT, m->params.idle_timeout_s);
	if (present & NATT_PARAM_MAX_DATAGRAM)
		put_param_u16(w, PARAM_MAX_DATAGRAM, m->params.max_datagram);
}

static void put_ctl_value(struct wr *w, const struct natt_ctl_msg *m)
{
	if (m->type == NATT_CTL_PARAMS) {
		put_params(w, m);
	} else if (m->type == NATT_CTL_CLOSE) {
		put_u16(w, m->close.code);
		put_bytes(w, m->close.reason, m->close.reason_len);
	}
}

int natt_ctl_encode(uint8_t *out, size_t cap, const struct natt_ctl_msg *m)
{
	int rc = check_ctl(m);
	struct wr w;
	size_t len;

	if (rc != NATT_OK)
		return rc;
	wr_measure(&w);
	put_ctl_value(&w, m);
	len = w.off;
	if (out == NULL || cap < NATT_CTL_HDR_LEN + len)
		return NATT_ERR_BUFFER;
	wr_init(&w, out, cap);
	put_u8(&w, m->type);
	put_u16(&w, (uint16_t)len);
	put_ctl_value(&w, m);
	return wr_result(&w);
}

/* ---- names for logs and the inspector ---- */

const char *natt_pkt_type_name(uint8_t type)
{
	switch (type) {
	case NATT_PT_HANDSHAKE: return "HANDSHAKE";
	case NATT_PT_PROBE: return "PROBE";
	case NATT_PT_PROBE_REPLY: return "PROBE_REPLY";
	case NATT_PT_RDV_REGISTER: return "RDV_REGISTER";
	case NATT_PT_RDV_REGISTER_ACK: return "RDV_REGISTER_ACK";
	case NATT_PT_RDV_LOOKUP: return "RDV_LOOKUP";
	case NATT_PT_RDV_LOOKUP_REPLY: return "RDV_LOOKUP_REPLY";
	case NATT_PT_RDV_INTRODUCE: return "RDV_INTRODUCE";
	case NATT_PT_DATA: return "DATA";
	}
	return "unknown";
}

const char *natt_frame_type_name(uint8_t type)
{
	switch (type) {
	case NATT_FT_PADDING: return "PADDING";
	case NATT_FT_PING: return "PING";
	case NATT_FT_ACK: return "ACK";
	case NATT_FT_STREAM: return "STREAM";
	case NATT_FT_MAX_DATA: return "MAX_DATA";
	case NATT_FT_CLOSE: return "CLOSE";
	}
	return "unknown";
}

const char *natt_close_code_name(uint16_t code)
{
	switch (code) {
	case NATT_CLOSE_NO_ERROR: return "NO_ERROR";
	case NATT_CLOSE_INTERNAL: return "INTERNAL";
	case NATT_CLOSE_PROTOCOL_VIOLATION: return "PROTOCOL_VIOLATION";
	case NATT_CLOSE_TLS_FAILED: return "TLS_FAILED";
	case NATT_CLOSE_RESOURCE_LIMIT: return "RESOURCE_LIMIT";
	case NATT_CLOSE_SHUTDOWN: return "SHUTDOWN";
	case NATT_CLOSE_IDLE_TIMEOUT: return "IDLE_TIMEOUT";
	}
	return "unknown";
}

const char *natt_cand_kind_name(uint8_t kind)
{
	switch (kind) {
	case NATT_CAND_NONE: return "none";
	case NATT_CAND_HOST: return "host";
	case NATT_CAND_SRFLX: return "srflx";
	case NATT_CAND_RELAY: return "relay";
	case NATT_CAND_PRFLX: return "prflx";
	}
	return "unknown";
}
