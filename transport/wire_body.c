/*
 * wire_body.c: the bodies of PROBE, PROBE_REPLY (PROTOCOL.md 5.3) and the
 * rendezvous messages (PROTOCOL.md 6), which seal has opened in place.
 * Fields go through the cursors of wire_int.h; candidates, candidate lists
 * and names through the codecs of wire.c.
 */
#include <string.h>

#include "wire_int.h"

/* Fixed-size bodies and body prefixes (PROTOCOL.md 5.3, 6). */
#define PROBE_FIXED_BODY      (NATT_PROBE_ID_LEN + 1 + NATT_CAND_LEN)
#define RDV_COMMON_LEN	      16 /* timestamp, txid */
#define RDV_REGISTER_ACK_BODY (RDV_COMMON_LEN + 1 + 2 + NATT_CAND_LEN)
#define RDV_LOOKUP_REPLY_BODY (RDV_COMMON_LEN + 1 + NATT_CAND_LEN + 1)
#define RDV_INTRODUCE_BODY    (RDV_COMMON_LEN + 8 + 1 + NATT_CAND_LEN + 1)

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
	rc = natt_wire_get_cand(&r, &pr->seen);
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
	natt_wire_put_cand(&w, &pr->seen);
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

/* A candidate that is an "observed" address: valid, and of the given kind. */
static int get_observed(struct rd *r, struct natt_cand *c, uint8_t kind)
{
	int rc = natt_wire_get_cand(r, c);

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
	rc = natt_wire_get_name(r, &m->reg.name, false);
	return rc != NATT_OK ? rc : natt_wire_get_cands(r, &m->reg.cands);
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
		rc = natt_wire_get_name(r, &m->lookup.target, false);
	if (rc == NATT_OK)
		rc = natt_wire_get_name(r, &m->lookup.name, true);
	return rc != NATT_OK ? rc : natt_wire_get_cands(r, &m->lookup.cands);
}

static int get_lookup_reply(struct rd *r, struct natt_rdv_msg *m)
{
	int rc = get_status(r, &m->lookup_reply.status);

	if (rc == NATT_OK)
		rc = get_observed(r, &m->lookup_reply.observed, NATT_CAND_SRFLX);
	if (rc == NATT_OK)
		rc = natt_wire_get_cands(r, &m->lookup_reply.cands);
	if (rc == NATT_OK && m->lookup_reply.status != NATT_RDV_OK &&
	    m->lookup_reply.cands.count != 0)
		return NATT_ERR_BAD_VALUE;
	return rc;
}

static int get_introduce(struct rd *r, struct natt_rdv_msg *m)
{
	int rc = get_cid(r, &m->introduce.cid);

	if (rc == NATT_OK)
		rc = natt_wire_get_name(r, &m->introduce.name, true);
	if (rc == NATT_OK)
		rc = get_observed(r, &m->introduce.observed, NATT_CAND_SRFLX);
	return rc != NATT_OK ? rc : natt_wire_get_cands(r, &m->introduce.cands);
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
	int rc = natt_wire_check_name(&m->reg.name, false);

	return rc != NATT_OK ? rc : natt_wire_check_cands(&m->reg.cands);
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
		rc = natt_wire_check_name(&m->lookup.target, false);
	if (rc == NATT_OK)
		rc = natt_wire_check_name(&m->lookup.name, true);
	return rc != NATT_OK ? rc : natt_wire_check_cands(&m->lookup.cands);
}

static int check_lookup_reply(const struct natt_rdv_msg *m)
{
	int rc = check_status(m->lookup_reply.status);

	if (rc == NATT_OK && m->lookup_reply.status != NATT_RDV_OK &&
	    m->lookup_reply.cands.count != 0)
		return NATT_ERR_BAD_VALUE;
	if (rc == NATT_OK)
		rc = check_observed(&m->lookup_reply.observed, NATT_CAND_SRFLX);
	return rc != NATT_OK ? rc : natt_wire_check_cands(&m->lookup_reply.cands);
}

static int check_introduce(const struct natt_rdv_msg *m)
{
	int rc = m->introduce.cid != 0 ? NATT_OK : NATT_ERR_BAD_VALUE;

	if (rc == NATT_OK)
		rc = natt_wire_check_name(&m->introduce.name, true);
	if (rc == NATT_OK)
		rc = check_observed(&m->introduce.observed, NATT_CAND_SRFLX);
	return rc != NATT_OK ? rc : natt_wire_check_cands(&m->introduce.cands);
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
		natt_wire_put_name(w, &m->reg.name);
		natt_wire_put_cands(w, &m->reg.cands);
		break;
	case NATT_PT_RDV_REGISTER_ACK:
		put_u8(w, m->reg_ack.status);
		put_u16(w, m->reg_ack.lifetime_s);
		natt_wire_put_cand(w, &m->reg_ack.observed);
		break;
	case NATT_PT_RDV_LOOKUP:
		put_u64(w, m->lookup.cid);
		natt_wire_put_name(w, &m->lookup.target);
		natt_wire_put_name(w, &m->lookup.name);
		natt_wire_put_cands(w, &m->lookup.cands);
		break;
	case NATT_PT_RDV_LOOKUP_REPLY:
		put_u8(w, m->lookup_reply.status);
		natt_wire_put_cand(w, &m->lookup_reply.observed);
		natt_wire_put_cands(w, &m->lookup_reply.cands);
		break;
	case NATT_PT_RDV_INTRODUCE:
		put_u64(w, m->introduce.cid);
		natt_wire_put_name(w, &m->introduce.name);
		natt_wire_put_cand(w, &m->introduce.observed);
		natt_wire_put_cands(w, &m->introduce.cands);
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
