/*
 * exchange.c: rules that pair a packet with an earlier one (analyze.h).
 *
 * Amplification, as the capture can show it:
 *   - STUN: a response is at most 3x its request (same transaction ID).
 *   - rendezvous: RDV_REGISTER_ACK and RDV_LOOKUP_REPLY are at most their
 *     request (by txid with --network-key, else the largest such request
 *     on the flow); RDV_INTRODUCE at most its RDV_LOOKUP (by cid with the
 *     key, else at most the smallest valid RDV_LOOKUP).
 *   - PROBE_REPLY at most the PROBE it answers (by probe_id with the key,
 *     else the largest PROBE on the flow).
 *   - peer flows seen from their first PROBE: until a side is validated
 *     (it sent a packet whose dcid is a source CID the other side used on
 *     the flow, or DATA flows), the other side's answers to it (PROBE_REPLY
 *     and HANDSHAKE bytes) stay within 3x the bytes it sent.  Flows whose
 *     start was not captured are not judged: their state is unknown.
 */
#include <string.h>

#include "analyze.h"

/* The smallest valid RDV_LOOKUP packet (PROTOCOL.md 6.4). */
#define MIN_LOOKUP_PACKET (NATT_RDV_HDR_LEN + NATT_RDV_LOOKUP_MIN_BODY + NATT_TAG_LEN)

/* STUN classes are bits 0x0110 of the message type (RFC 8489 5). */
#define STUN_CLASS_MASK	   0x0110
#define STUN_CLASS_REQUEST 0x0000

static void put_pending(struct ins_analysis *a, int kind, const uint8_t *id, size_t idlen,
			const struct ins_pkt *p)
{
	struct ins_pending_req req = {.size = p->udp.wire_len, .ts = p->ts, .flow = p->flow};

	ins_pending_put(&a->pending, kind, id, idlen, &req);
}

static void cid_bytes(natt_cid_t cid, uint8_t out[8])
{
	for (int i = 0; i < 8; i++)
		out[i] = (uint8_t)(cid >> (56 - 8 * i));
}

/* An answer of `size` bytes against a bound; what = "RDV_LOOKUP_REPLY..." */
static void bound_answer(struct ins_analysis *a, struct ins_pkt *p, size_t bound, size_t factor,
			 const char *what)
{
	ins_checks_examined(&a->checks, INS_CK_AMPLIFICATION);
	if (p->udp.wire_len > bound * factor)
		ins_fail(a, p, INS_CK_AMPLIFICATION, "%s of %zu bytes answers a request of %zu",
			 what, p->udp.wire_len, bound);
}

/* ---- STUN ---- */

static void stun_rules(struct ins_analysis *a, struct ins_pkt *p, struct ins_flow *fl)
{
	struct ins_pending_req req;

	if (p->stun_rc != NATT_OK)
		return;
	if ((p->stun.type & STUN_CLASS_MASK) == STUN_CLASS_REQUEST) {
		fl->stun_requests++;
		put_pending(a, INS_PEND_STUN, p->stun.txid, NATT_STUN_TXID_LEN, p);
		return;
	}
	fl->stun_responses++;
	if (!ins_pending_get(&a->pending, INS_PEND_STUN, p->stun.txid, NATT_STUN_TXID_LEN, &req) ||
	    req.flow != fl->id)
		return;
	bound_answer(a, p, req.size, INS_AMPLIFICATION_LIMIT, "STUN response");
	if (p->ts >= req.ts)
		ins_samples_add(&fl->rtt, p->ts - req.ts);
}

/* ---- rendezvous ---- */

static bool rdv_request_size(struct ins_analysis *a, const struct ins_pkt *p, size_t *size)
{
	struct ins_pending_req req;
	uint8_t id[8];

	if (p->body_rc != NATT_OK)
		return false;
	cid_bytes(p->rdv.txid, id);
	if (!ins_pending_get(&a->pending, INS_PEND_RDV, id, sizeof(id), &req))
		return false;
	*size = req.size;
	return true;
}

static void rdv_request(struct ins_analysis *a, struct ins_pkt *p, struct ins_dir *d)
{
	uint8_t id[8];

	if (p->h.type == NATT_PT_RDV_REGISTER && p->udp.wire_len > d->max_register)
		d->max_register = p->udp.wire_len;
	if (p->h.type == NATT_PT_RDV_LOOKUP && p->udp.wire_len > d->max_lookup)
		d->max_lookup = p->udp.wire_len;
	if (p->body_rc != NATT_OK)
		return;
	cid_bytes(p->rdv.txid, id);
	put_pending(a, INS_PEND_RDV, id, sizeof(id), p);
	if (p->h.type == NATT_PT_RDV_LOOKUP) {
		cid_bytes(p->rdv.lookup.cid, id);
		put_pending(a, INS_PEND_LOOKUP, id, sizeof(id), p);
	}
}

static void rdv_introduce(struct ins_analysis *a, struct ins_pkt *p)
{
	struct ins_pending_req req;
	size_t bound = MIN_LOOKUP_PACKET;
	uint8_t id[8];

	if (p->body_rc == NATT_OK) {
		cid_bytes(p->rdv.introduce.cid, id);
		if (ins_pending_get(&a->pending, INS_PEND_LOOKUP, id, sizeof(id), &req))
			bound = req.size;
	}
	bound_answer(a, p, bound, 1, "RDV_INTRODUCE");
}

static void rdv_rules(struct ins_analysis *a, struct ins_pkt *p, struct ins_flow *fl)
{
	struct ins_dir *other = &fl->d[1 - p->dir];
	size_t bound = 0;

	switch (p->h.type) {
	case NATT_PT_RDV_REGISTER:
	case NATT_PT_RDV_LOOKUP: rdv_request(a, p, &fl->d[p->dir]); return;
	case NATT_PT_RDV_INTRODUCE: rdv_introduce(a, p); return;
	case NATT_PT_RDV_REGISTER_ACK: bound = other->max_register; break;
	case NATT_PT_RDV_LOOKUP_REPLY: bound = other->max_lookup; break;
	default: return;
	}
	rdv_request_size(a, p, &bound);
	if (bound > 0)
		bound_answer(a, p, bound, 1, natt_pkt_type_name(p->h.type));
}

/* ---- probes ---- */

static void probe_rules(struct ins_analysis *a, struct ins_pkt *p, struct ins_flow *fl)
{
	struct ins_dir *d = &fl->d[p->dir], *other = &fl->d[1 - p->dir];
	struct ins_pending_req req;
	size_t bound = other->max_probe;
	bool keyed = p->body_rc == NATT_OK;

	if (p->h.type == NATT_PT_PROBE) {
		if (p->udp.wire_len > d->max_probe)
			d->max_probe = p->udp.wire_len;
		d->probe_time = p->ts;
		d->probe_scid = p->h.scid;
		if (keyed)
			put_pending(a, INS_PEND_PROBE, p->probe.probe_id, NATT_PROBE_ID_LEN, p);
		return;
	}
	if (keyed && ins_pending_get(&a->pending, INS_PEND_PROBE, p->probe.probe_id,
				     NATT_PROBE_ID_LEN, &req)) {
		bound = req.size;
		if (p->ts >= req.ts)
			ins_samples_add(&fl->rtt, p->ts - req.ts);
	} else if (!keyed && other->probe_scid != 0 && other->probe_scid == p->h.dcid &&
		   p->ts >= other->probe_time) {
		ins_samples_add(&fl->rtt, p->ts - other->probe_time);
		other->probe_scid = 0;
	}
	if (bound > 0)
		bound_answer(a, p, bound, 1, "PROBE_REPLY");
}

/* ---- address validation on peer flows ---- */

static bool has_cid(const struct ins_dir *d, natt_cid_t cid)
{
	for (unsigned i = 0; i < d->nscid; i++)
		if (d->scid[i] == cid)
			return true;
	return false;
}

static void validation_rules(struct ins_analysis *a, struct ins_pkt *p, struct ins_flow *fl)
{
	struct ins_dir *d = &fl->d[p->dir], *other = &fl->d[1 - p->dir];
	uint8_t t = p->h.type;

	if (t != NATT_PT_DATA && !has_cid(d, p->h.scid) && d->nscid < INS_FLOW_CIDS)
		d->scid[d->nscid++] = p->h.scid;
	if (t == NATT_PT_DATA)
		d->validated = other->validated = true;
	else if (p->h.dcid != 0 && has_cid(other, p->h.dcid))
		d->validated = true;
	if (!fl->amp_tracked || other->validated || other->packets == 0 ||
	    (t != NATT_PT_PROBE_REPLY && t != NATT_PT_HANDSHAKE))
		return;
	d->unvalidated += p->udp.wire_len;
	ins_checks_examined(&a->checks, INS_CK_AMPLIFICATION);
	if (!d->amp_flagged && d->unvalidated > INS_AMPLIFICATION_LIMIT * other->bytes) {
		d->amp_flagged = true;
		ins_fail(a, p, INS_CK_AMPLIFICATION,
			 "%llu bytes sent to an unvalidated peer that sent %llu",
			 (unsigned long long)d->unvalidated, (unsigned long long)other->bytes);
	}
}

/* ---- HANDSHAKE frames: ACKs, RTT, retransmissions ---- */

static void sent_handshake(struct ins_analysis *a, struct ins_pkt *p)
{
	struct ins_cid *c = ins_cidtab_get(a->cids, p->h.scid, true);
	size_t slot = (size_t)(p->h.pn % INS_CID_PN_RING);

	if (c == NULL)
		return;
	if (!c->hs_any || p->h.pn > c->hs_highest_pn)
		c->hs_highest_pn = p->h.pn;
	c->hs_any = true;
	if (p->seq_verdict == INS_SEQ_NEW || p->seq_verdict == INS_SEQ_LATE) {
		c->ring_pn[slot] = p->h.pn;
		c->ring_ts[slot] = p->ts;
	}
}

static void ack_frame(struct ins_analysis *a, struct ins_pkt *p, struct ins_flow *fl,
		      const struct natt_frame *f, struct ins_cid *peer)
{
	uint64_t lo, hi, largest = f->ack.largest;
	size_t slot = (size_t)(largest % INS_CID_PN_RING);

	ins_checks_examined(&a->checks, INS_CK_ACK_UNSENT);
	for (unsigned i = 0; peer != NULL && peer->hs_any && i <= f->ack.range_count; i++) {
		if (natt_ack_interval(f, i, &lo, &hi) != NATT_OK || hi <= peer->hs_highest_pn)
			continue;
		ins_fail(a, p, INS_CK_ACK_UNSENT,
			 "ACK of %llu-%llu to %016llx, which sent packet numbers up to %llu",
			 (unsigned long long)lo, (unsigned long long)hi,
			 (unsigned long long)p->h.dcid, (unsigned long long)peer->hs_highest_pn);
		break;
	}
	if (peer == NULL || largest + 1 <= peer->rtt_largest || peer->ring_pn[slot] != largest ||
	    p->ts < peer->ring_ts[slot])
		return;
	peer->rtt_largest = largest + 1;
	uint64_t rtt = p->ts - peer->ring_ts[slot];
	ins_samples_add(&fl->rtt, rtt > f->ack.ack_delay_us ? rtt - f->ack.ack_delay_us : rtt);
}

static void frame_rules(struct ins_analysis *a, struct ins_pkt *p, struct ins_flow *fl)
{
	struct ins_cid *peer = ins_cidtab_get(a->cids, p->h.dcid, false);
	struct ins_cid *self = ins_cidtab_get(a->cids, p->h.scid, true);
	struct ins_dir *d = &fl->d[p->dir];
	bool stream = false, resent = false;

	for (size_t i = 0; i < p->nframes; i++) {
		const struct natt_frame *f = &p->frames[i];
		if (f->type == NATT_FT_ACK)
			ack_frame(a, p, fl, f, peer);
		if (f->type != NATT_FT_STREAM || self == NULL)
			continue;
		stream = true;
		if (self->stream_any && f->stream.offset < self->stream_end)
			resent = true;
		if (!self->stream_any || f->stream.offset + f->stream.len > self->stream_end)
			self->stream_end = f->stream.offset + f->stream.len;
		self->stream_any = true;
	}
	d->stream_packets += stream;
	d->retransmissions += resent;
}

void ins_exchange_packet(struct ins_analysis *a, struct ins_pkt *p, struct ins_flow *fl)
{
	if (p->cls == NATT_CLASS_STUN) {
		stun_rules(a, p, fl);
		return;
	}
	switch (p->h.type) {
	case NATT_PT_PROBE:
	case NATT_PT_PROBE_REPLY: probe_rules(a, p, fl); break;
	case NATT_PT_HANDSHAKE:
		sent_handshake(a, p);
		if (p->open_rc >= 0 && p->open_rc != INS_RC_NONE)
			frame_rules(a, p, fl);
		break;
	case NATT_PT_DATA: break;
	default: rdv_rules(a, p, fl); return;
	}
	validation_rules(a, p, fl);
}
