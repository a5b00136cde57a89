/*
 * wire.c: the clear part of the wire protocol: classification, headers,
 * candidates and names (with the codecs wire_body.c shares, wire_int.h),
 * HANDSHAKE frames, and the names of types for logs.  The bodies that seal
 * opens are in wire_body.c, the control messages inside TLS in wire_ctl.c;
 * all three read and write fields only through the cursors of wire_int.h.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

#include "wire_int.h"

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

size_t natt_header_len(uint8_t type)
{
	switch (type) {
	case NATT_PT_HANDSHAKE: return NATT_HANDSHAKE_HDR_LEN;
	case NATT_PT_PROBE:
	case NATT_PT_PROBE_REPLY: return NATT_PROBE_HDR_LEN;
	case NATT_PT_DATA: return NATT_DATA_HDR_LEN;
	case NATT_PT_UNKNOWN_CID: return NATT_UNKNOWN_CID_HDR_LEN;
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
	case NATT_PT_UNKNOWN_CID: return 0;
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
	case NATT_PT_UNKNOWN_CID: return NATT_UNKNOWN_CID_LEN; /* empty body, nothing to pad */
	}
	return NATT_MAX_RENDEZVOUS;
}

/* Connection IDs that must not be 0 (PROTOCOL.md 5.1, 5.3, 5.4, 7). */
static int check_cids(const struct natt_header *h)
{
	bool dcid_needed = h->type != NATT_PT_PROBE && !is_rdv(h->type);
	bool scid_needed =
		h->type != NATT_PT_DATA && h->type != NATT_PT_UNKNOWN_CID && !is_rdv(h->type);

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
	} else if (h->type == NATT_PT_UNKNOWN_CID) {
		get_u64(r, &h->dcid);
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
	} else if (h->type == NATT_PT_UNKNOWN_CID) {
		put_u64(w, h->dcid);
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

int natt_wire_get_cand(struct rd *r, struct natt_cand *c)
{
	memset(c, 0, sizeof(*c));
	if (!get_u8(r, &c->kind) || !get_u8(r, &c->family) || !get_u16(r, &c->port) ||
	    !get_bytes(r, c->addr, sizeof(c->addr)))
		return NATT_ERR_TRUNCATED;
	return natt_cand_valid(c) ? NATT_OK : NATT_ERR_BAD_ADDRESS;
}

void natt_wire_put_cand(struct wr *w, const struct natt_cand *c)
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
	return natt_wire_get_cand(&r, c);
}

int natt_cand_encode(uint8_t *out, size_t cap, const struct natt_cand *c)
{
	struct wr w;

	if (!natt_cand_valid(c))
		return NATT_ERR_BAD_ADDRESS;
	if (out == NULL || cap < NATT_CAND_LEN)
		return NATT_ERR_BUFFER;
	wr_init(&w, out, cap);
	natt_wire_put_cand(&w, c);
	return wr_result(&w);
}

/* Candidate lists (4.3): count 0-8, and no "none" entry. */
int natt_wire_get_cands(struct rd *r, struct natt_cand_list *l)
{
	if (!get_u8(r, &l->count))
		return NATT_ERR_TRUNCATED;
	if (l->count > NATT_MAX_CANDS)
		return NATT_ERR_BAD_VALUE;
	for (unsigned i = 0; i < l->count; i++) {
		int rc = natt_wire_get_cand(r, &l->cand[i]);

		if (rc != NATT_OK)
			return rc;
		if (l->cand[i].kind == NATT_CAND_NONE)
			return NATT_ERR_BAD_ADDRESS;
	}
	return NATT_OK;
}

int natt_wire_check_cands(const struct natt_cand_list *l)
{
	if (l->count > NATT_MAX_CANDS)
		return NATT_ERR_BAD_VALUE;
	for (unsigned i = 0; i < l->count; i++)
		if (!natt_cand_valid(&l->cand[i]) || l->cand[i].kind == NATT_CAND_NONE)
			return NATT_ERR_BAD_ADDRESS;
	return NATT_OK;
}

void natt_wire_put_cands(struct wr *w, const struct natt_cand_list *l)
{
	put_u8(w, l->count);
	for (unsigned i = 0; i < l->count; i++)
		natt_wire_put_cand(w, &l->cand[i]);
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

int natt_wire_get_name(struct rd *r, struct natt_name *n, bool optional)
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
int natt_wire_check_name(const struct natt_name *n, bool optional)
{
	if (n->len > NATT_MAX_NAME || (n->len == 0 && !optional))
		return NATT_ERR_BAD_NAME;
	if (!name_chars((const uint8_t *)n->str, n->len) || n->str[n->len] != '\0')
		return NATT_ERR_BAD_NAME;
	return NATT_OK;
}

void natt_wire_put_name(struct wr *w, const struct natt_name *n)
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

/* ---- names for logs and the inspector ---- */

const char *natt_pkt_type_name(uint8_t type)
{
	switch (type) {
	case NATT_PT_HANDSHAKE: return "HANDSHAKE";
	case NATT_PT_PROBE: return "PROBE";
	case NATT_PT_PROBE_REPLY: return "PROBE_REPLY";
	case NATT_PT_UNKNOWN_CID: return "UNKNOWN_CID";
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

const char *natt_cand_format(const struct natt_cand *c, char *buf, size_t cap)
{
	char a[INET6_ADDRSTRLEN];

	if (c->family == 4 && inet_ntop(AF_INET, c->addr, a, sizeof(a)) != NULL)
		snprintf(buf, cap, "%s:%u", a, c->port);
	else if (c->family == 6 && inet_ntop(AF_INET6, c->addr, a, sizeof(a)) != NULL)
		snprintf(buf, cap, "[%s]:%u", a, c->port);
	else
		snprintf(buf, cap, "none");
	return buf;
}
