/* jsonout.c: the --json document (jsonout.h, natt-inspect(1)). */
#include <string.h>

#include "format.h"
#include "jsonout.h"

#define CAND_STR_LEN 80

void ins_jsonout_begin(struct ins_json *j, const struct ins_run *run)
{
	ins_json_obj(j, NULL);
	ins_json_str(j, "format", INS_JSON_FORMAT);
	ins_json_str(j, "source", run->source);
	ins_json_str(j, "link_type", ins_link_name(run->dlt));
	ins_json_i64(j, "link_type_code", run->dlt);
	ins_json_i64(j, "snaplen", run->snaplen);
	ins_json_obj(j, "options");
	if (run->port > 0)
		ins_json_i64(j, "port", run->port);
	else
		ins_json_null(j, "port");
	ins_json_u64(j, "mtu", run->mtu);
	ins_json_bool(j, "network_key", run->network_key);
	ins_json_bool(j, "keylog", run->keylog);
	ins_json_bool(j, "strict", run->strict);
	ins_json_end_obj(j);
	if (run->verbose)
		ins_json_arr(j, "packets");
}

/* ---- packets ---- */

static void cand(struct ins_json *j, const char *key, const struct natt_cand *c)
{
	char buf[CAND_STR_LEN];

	ins_json_str(j, key, ins_cand_str(c, buf, sizeof(buf)));
}

static void cands(struct ins_json *j, const struct natt_cand_list *l)
{
	ins_json_arr(j, "candidates");
	for (unsigned i = 0; i < l->count; i++)
		cand(j, NULL, &l->cand[i]);
	ins_json_end_arr(j);
}

static void frame(struct ins_json *j, const struct natt_frame *f)
{
	uint64_t lo, hi;
	char reason[NATT_MAX_REASON + 1];

	ins_json_obj(j, NULL);
	ins_json_str(j, "type", natt_frame_type_name(f->type));
	switch (f->type) {
	case NATT_FT_PADDING: ins_json_u64(j, "length", f->padding.len); break;
	case NATT_FT_ACK:
		ins_json_u64(j, "largest", f->ack.largest);
		ins_json_u64(j, "ack_delay_us", f->ack.ack_delay_us);
		ins_json_arr(j, "ranges");
		for (unsigned i = 0; i <= f->ack.range_count; i++) {
			if (natt_ack_interval(f, i, &lo, &hi) != NATT_OK)
				break;
			ins_json_arr(j, NULL);
			ins_json_u64(j, NULL, lo);
			ins_json_u64(j, NULL, hi);
			ins_json_end_arr(j);
		}
		ins_json_end_arr(j);
		break;
	case NATT_FT_STREAM:
		ins_json_u64(j, "offset", f->stream.offset);
		ins_json_u64(j, "length", f->stream.len);
		ins_json_bool(j, "fin", f->stream.fin);
		break;
	case NATT_FT_MAX_DATA: ins_json_u64(j, "max", f->max_data.max); break;
	case NATT_FT_CLOSE:
		ins_json_u64(j, "code", f->close.code);
		ins_json_str(j, "code_name", natt_close_code_name(f->close.code));
		memcpy(reason, f->close.reason, f->close.reason_len);
		reason[f->close.reason_len] = '\0';
		ins_json_str(j, "reason", reason);
		break;
	}
	ins_json_end_obj(j);
}

static void rdv_body(struct ins_json *j, const struct natt_rdv_msg *m)
{
	ins_json_u64(j, "timestamp_ms", m->timestamp_ms);
	ins_json_cid(j, "txid", m->txid);
	switch (m->type) {
	case NATT_PT_RDV_REGISTER:
		ins_json_u64(j, "seq", m->reg.seq);
		ins_json_u64(j, "lifetime", m->reg.lifetime_s);
		ins_json_str(j, "name", m->reg.name.str);
		cands(j, &m->reg.cands);
		break;
	case NATT_PT_RDV_REGISTER_ACK:
		ins_json_str(j, "status", ins_rdv_status_name(m->type, m->reg_ack.status));
		ins_json_u64(j, "lifetime", m->reg_ack.lifetime_s);
		cand(j, "observed", &m->reg_ack.observed);
		break;
	case NATT_PT_RDV_LOOKUP:
		ins_json_cid(j, "cid", m->lookup.cid);
		ins_json_str(j, "target", m->lookup.target.str);
		ins_json_str(j, "name", m->lookup.name.str);
		cands(j, &m->lookup.cands);
		break;
	case NATT_PT_RDV_LOOKUP_REPLY:
		ins_json_str(j, "status", ins_rdv_status_name(m->type, m->lookup_reply.status));
		cand(j, "observed", &m->lookup_reply.observed);
		cands(j, &m->lookup_reply.cands);
		break;
	case NATT_PT_RDV_INTRODUCE:
		ins_json_cid(j, "cid", m->introduce.cid);
		ins_json_str(j, "name", m->introduce.name.str);
		cand(j, "observed", &m->introduce.observed);
		cands(j, &m->introduce.cands);
		break;
	}
	ins_json_u64(j, "padding", m->padding);
}

static void body(struct ins_json *j, const struct ins_pkt *p)
{
	ins_json_obj(j, "body");
	if (p->open_rc < 0) {
		ins_json_str(j, "error", natt_strerror(p->open_rc));
		ins_json_end_obj(j);
		return;
	}
	ins_json_u64(j, "length", p->body_len);
	if (p->body_rc != NATT_OK)
		ins_json_str(j, "error", natt_strerror(p->body_rc));
	if (p->h.type == NATT_PT_HANDSHAKE) {
		ins_json_arr(j, "frames");
		for (size_t i = 0; i < p->nframes; i++)
			frame(j, &p->frames[i]);
		ins_json_end_arr(j);
	} else if (p->body_rc == NATT_OK &&
		   (p->h.type == NATT_PT_PROBE || p->h.type == NATT_PT_PROBE_REPLY)) {
		ins_json_hex(j, "probe_id", p->probe.probe_id, NATT_PROBE_ID_LEN);
		ins_json_bool(j, "nominate", (p->probe.flags & NATT_PROBE_NOMINATE) != 0);
		cand(j, "seen", &p->probe.seen);
		ins_json_u64(j, "padding", p->probe.padding);
	} else if (p->body_rc == NATT_OK) {
		rdv_body(j, &p->rdv);
	}
	ins_json_end_obj(j);
}

static void inner(struct ins_json *j, const struct ins_pkt *p)
{
	unsigned op = p->inner_first >> INS_OVPN_OPCODE_SHIFT;

	ins_json_obj(j, "inner");
	if (p->dec_rc < 0) {
		ins_json_str(j, "error", natt_strerror(p->dec_rc));
		ins_json_end_obj(j);
		return;
	}
	ins_json_u64(j, "epoch", p->full_epoch);
	ins_json_u64(j, "length", p->inner_len);
	if (p->inner_len > 0) {
		ins_json_u64(j, "opcode", op);
		ins_json_str(j, "opcode_name", ins_ovpn_opcode_name(op));
		ins_json_u64(j, "key_id", p->inner_first & INS_OVPN_KEY_ID_MASK);
	}
	ins_json_end_obj(j);
}

static void header(struct ins_json *j, const struct ins_pkt *p)
{
	const struct natt_header *h = &p->h;
	bool data = h->type == NATT_PT_DATA;
	bool rdv = h->type >= NATT_PT_RDV_REGISTER && h->type <= NATT_PT_RDV_INTRODUCE;

	ins_json_u64(j, "type_code", h->type);
	if (data) {
		ins_json_u64(j, "epoch", h->epoch);
		ins_json_cid(j, "dcid", h->dcid);
		ins_json_u64(j, "counter", h->counter);
		ins_json_bool(j, "keepalive", p->keepalive);
	} else {
		ins_json_u64(j, "version", h->version);
		if (rdv) {
			ins_json_hex(j, "network_id", h->network_id, NATT_NETWORK_ID_LEN);
		} else {
			ins_json_cid(j, "dcid", h->dcid);
			ins_json_cid(j, "scid", h->scid);
		}
		if (h->type == NATT_PT_HANDSHAKE)
			ins_json_u64(j, "pn", h->pn);
		ins_json_hex(j, "salt", h->salt, NATT_SALT_LEN);
	}
	ins_json_u64(j, "header_len", h->len);
	ins_json_u64(j, "payload_len", h->payload_len);
}

static void failed(struct ins_json *j, uint32_t mask)
{
	ins_json_arr(j, "failed");
	for (int i = 0; i < INS_CK_COUNT; i++)
		if (mask & (UINT32_C(1) << i))
			ins_json_str(j, NULL, ins_check_def(i)->id);
	ins_json_end_arr(j);
}

static void addresses(struct ins_json *j, const struct ins_pkt *p)
{
	char a[64];

	ins_json_str(j, "src", ins_addr_str(&p->udp.src, a, sizeof(a)));
	ins_json_u64(j, "sport", p->udp.sport);
	ins_json_str(j, "dst", ins_addr_str(&p->udp.dst, a, sizeof(a)));
	ins_json_u64(j, "dport", p->udp.dport);
	ins_json_u64(j, "ip_len", p->udp.ip_len);
	ins_json_u64(j, "udp_len", p->udp.wire_len);
	if (p->udp.fragments > 0)
		ins_json_u64(j, "fragments", p->udp.fragments);
	if (p->udp.cut)
		ins_json_bool(j, "cut", true);
}

void ins_jsonout_packet(struct ins_json *j, const struct ins_pkt *p)
{
	ins_json_obj_inline(j, NULL);
	ins_json_u64(j, "n", p->num);
	ins_json_time(j, "time", p->ts);
	ins_json_u64(j, "flow", p->flow);
	ins_json_str(j, "dir", p->dir == 0 ? "a>b" : "b>a");
	addresses(j, p);
	ins_json_str(j, "class", ins_class_name(p->cls));
	ins_json_str(j, "type", ins_ptype_name(ins_ptype_of(p)));
	if (p->hdr_rc == NATT_OK)
		header(j, p);
	else if (p->hdr_rc != INS_RC_NONE)
		ins_json_str(j, "error", natt_strerror(p->hdr_rc));
	if (p->open_rc != INS_RC_NONE)
		body(j, p);
	if (p->dec_rc != INS_RC_NONE && p->dec_rc != NATT_ERR_WRONG_PURPOSE)
		inner(j, p);
	if (p->stun_rc == NATT_OK) {
		ins_json_obj(j, "stun");
		ins_json_u64(j, "type", p->stun.type);
		ins_json_str(j, "type_name", ins_stun_type_name(p->stun.type));
		ins_json_hex(j, "txid", p->stun.txid, NATT_STUN_TXID_LEN);
		ins_json_end_obj(j);
	} else if (p->stun_rc != INS_RC_NONE) {
		ins_json_str(j, "error", natt_strerror(p->stun_rc));
	}
	if (ins_seq_name(p->seq_verdict) != NULL)
		ins_json_str(j, "seq", ins_seq_name(p->seq_verdict));
	failed(j, p->failed);
	ins_json_end_obj(j);
}

/* ---- summary ---- */

static void samples(struct ins_json *j, const char *key, const struct ins_samples *s)
{
	ins_json_obj(j, key);
	ins_json_u64(j, "samples", s->count);
	if (s->count > 0) {
		ins_json_time(j, "min", s->min);
		ins_json_time(j, "median", ins_samples_median(s));
		ins_json_time(j, "max", s->max);
	}
	ins_json_end_obj(j);
}

static void endpoint(struct ins_json *j, const char *key, const struct ins_endpoint *e)
{
	char a[64];

	ins_json_obj(j, key);
	ins_json_str(j, "addr", ins_addr_str(&e->addr, a, sizeof(a)));
	ins_json_u64(j, "port", e->port);
	ins_json_end_obj(j);
}

static void direction(struct ins_json *j, const char *key, const struct ins_dir *d, bool keyed)
{
	ins_json_obj(j, key);
	ins_json_u64(j, "packets", d->packets);
	ins_json_u64(j, "bytes", d->bytes);
	ins_json_obj(j, "types");
	for (int t = 0; t < INS_T_COUNT; t++) {
		if (d->type_packets[t] == 0)
			continue;
		ins_json_obj(j, ins_ptype_name(t));
		ins_json_u64(j, "packets", d->type_packets[t]);
		ins_json_u64(j, "bytes", d->type_bytes[t]);
		ins_json_end_obj(j);
	}
	ins_json_end_obj(j);
	ins_json_u64(j, "keepalives", d->keepalives);
	ins_json_u64(j, "lost", d->lost);
	ins_json_u64(j, "reordered", d->reordered);
	ins_json_u64(j, "duplicates", d->duplicates);
	if (keyed) {
		ins_json_u64(j, "stream_packets", d->stream_packets);
		ins_json_u64(j, "retransmissions", d->retransmissions);
	}
	ins_json_u64(j, "largest_outer", d->largest_outer);
	samples(j, "keepalive_interval", &d->keepalive_iv);
	ins_json_end_obj(j);
}

static void retransmissions(struct ins_json *j, const struct ins_flow *fl, bool keyed)
{
	uint64_t n = fl->d[0].retransmissions + fl->d[1].retransmissions;
	uint64_t of = fl->d[0].stream_packets + fl->d[1].stream_packets;

	if (!keyed) {
		ins_json_null(j, "retransmissions");
		return;
	}
	ins_json_obj(j, "retransmissions");
	ins_json_u64(j, "packets", n);
	ins_json_u64(j, "of", of);
	ins_json_double(j, "ratio", of ? (double)n / (double)of : 0.0, 4);
	ins_json_end_obj(j);
}

static const char *flow_kind(const struct ins_flow *fl)
{
	uint64_t peer = 0, rdv = 0, stun = 0, ovpn = 0;

	for (int s = 0; s < 2; s++) {
		const uint64_t *t = fl->d[s].type_packets;
		peer += t[INS_T_HANDSHAKE] + t[INS_T_PROBE] + t[INS_T_PROBE_REPLY] +
			t[INS_T_UNKNOWN_CID] + t[INS_T_DATA];
		for (int i = INS_T_RDV_REGISTER; i <= INS_T_RDV_INTRODUCE; i++)
			rdv += t[i];
		stun += t[INS_T_STUN];
		ovpn += t[INS_T_OPENVPN];
	}
	if ((peer > 0) + (rdv > 0) + (stun > 0) + (ovpn > 0) > 1)
		return "mixed";
	if (peer > 0)
		return "peer";
	if (rdv > 0)
		return "rendezvous";
	if (stun > 0)
		return "stun";
	return ovpn > 0 ? "openvpn" : "other";
}

static void rdv_counts(struct ins_json *j, const struct ins_flow *fl)
{
	ins_json_obj(j, "rendezvous");
	for (int t = INS_T_RDV_REGISTER; t <= INS_T_RDV_INTRODUCE; t++)
		ins_json_u64(j, ins_ptype_name(t),
			     fl->d[0].type_packets[t] + fl->d[1].type_packets[t]);
	ins_json_end_obj(j);
	ins_json_obj(j, "stun");
	ins_json_u64(j, "requests", fl->stun_requests);
	ins_json_u64(j, "responses", fl->stun_responses);
	ins_json_end_obj(j);
}

static void flow(struct ins_json *j, const struct ins_flow *fl, bool keyed)
{
	const struct ins_dir *a = &fl->d[0], *b = &fl->d[1];

	ins_json_obj(j, NULL);
	ins_json_u64(j, "id", fl->id);
	ins_json_str(j, "kind", flow_kind(fl));
	endpoint(j, "a", &fl->ep[0]);
	endpoint(j, "b", &fl->ep[1]);
	ins_json_time(j, "first_time", fl->first);
	ins_json_time(j, "last_time", fl->last);
	ins_json_u64(j, "packets", a->packets + b->packets);
	ins_json_u64(j, "bytes", a->bytes + b->bytes);
	if (fl->has_handshake && fl->has_data && fl->first_data >= fl->first_handshake)
		ins_json_time(j, "handshake_duration", fl->first_data - fl->first_handshake);
	else
		ins_json_null(j, "handshake_duration");
	samples(j, "rtt", &fl->rtt);
	retransmissions(j, fl, keyed);
	ins_json_u64(j, "lost", a->lost + b->lost);
	ins_json_u64(j, "reordered", a->reordered + b->reordered);
	ins_json_u64(j, "duplicates", a->duplicates + b->duplicates);
	ins_json_u64(j, "largest_outer",
		     a->largest_outer > b->largest_outer ? a->largest_outer : b->largest_outer);
	ins_json_u64(j, "path_changes", fl->path_changes);
	rdv_counts(j, fl);
	direction(j, "a_to_b", a, keyed);
	direction(j, "b_to_a", b, keyed);
	ins_json_end_obj(j);
}

static void input(struct ins_json *j, const struct ins_run *run, const struct ins_pipeline *pl)
{
	const struct ins_input_stats *in = &pl->in;
	const struct ins_reasm_stats *rs = ins_reasm_stats(pl->reasm);

	ins_json_obj(j, "input");
	ins_json_u64(j, "records", in->records);
	ins_json_u64(j, "bytes", in->bytes);
	ins_json_u64(j, "not_ip", in->not_ip);
	ins_json_u64(j, "not_udp", in->not_udp);
	ins_json_u64(j, "malformed", in->malformed);
	ins_json_u64(j, "udp", in->udp);
	ins_json_u64(j, "claimed", in->claimed);
	ins_json_u64(j, "zero_length", in->zero_length);
	ins_json_u64(j, "cut", in->cut);
	if (in->any) {
		ins_json_time(j, "first_time", in->first);
		ins_json_time(j, "last_time", in->last);
		ins_json_time(j, "duration", in->last >= in->first ? in->last - in->first : 0);
	}
	ins_json_str(j, "error", run->error);
	ins_json_obj(j, "fragments");
	ins_json_u64(j, "fragments", rs->fragments);
	ins_json_u64(j, "reassembled", rs->reassembled);
	ins_json_u64(j, "timeouts", rs->timeouts);
	ins_json_u64(j, "overlaps", rs->overlaps);
	ins_json_u64(j, "evicted", rs->evicted);
	ins_json_u64(j, "bad", rs->bad);
	ins_json_end_obj(j);
	ins_json_end_obj(j);
}

static void limits(struct ins_json *j, const struct ins_analysis *an)
{
	const struct ins_seqtrack_stats *ss = ins_seqtrack_stats(an->seq);

	ins_json_obj(j, "limits");
	ins_json_u64(j, "flows_untracked", ins_flows_untracked(an->flows));
	ins_json_u64(j, "cids_untracked", ins_cidtab_refused(an->cids));
	ins_json_u64(j, "seq_streams_untracked", ss->streams_refused);
	ins_json_u64(j, "seq_chunks_evicted", ss->evicted);
	ins_json_u64(j, "seq_unchecked", ss->unchecked);
	ins_json_end_obj(j);
}

static void paths(struct ins_json *j, const struct ins_analysis *an)
{
	ins_json_obj(j, "path_changes");
	ins_json_u64(j, "count", an->path_change_count);
	ins_json_arr(j, "events");
	for (size_t i = 0; i < an->npath; i++) {
		const struct ins_path_change *e = &an->path[i];
		ins_json_obj_inline(j, NULL);
		ins_json_cid(j, "cid", e->cid);
		ins_json_time(j, "time", e->ts);
		ins_json_u64(j, "packet", e->packet);
		ins_json_u64(j, "from_flow", e->from_flow);
		ins_json_u64(j, "to_flow", e->to_flow);
		ins_json_end_obj(j);
	}
	ins_json_end_arr(j);
	ins_json_end_obj(j);
}

static void checks(struct ins_json *j, const struct ins_checks *c)
{
	ins_json_arr(j, "checks");
	for (int i = 0; i < INS_CK_COUNT; i++) {
		const struct ins_check_def *d = ins_check_def(i);
		const struct ins_check_result *r = &c->r[i];
		const char *reason;
		int st = ins_check_status(c, i, &reason);

		ins_json_obj_inline(j, NULL);
		ins_json_str(j, "id", d->id);
		ins_json_str(j, "severity", d->severity == INS_SEV_WARNING ? "warning" : "error");
		ins_json_str(j, "status", ins_status_name(st));
		ins_json_u64(j, "examined", r->examined);
		ins_json_u64(j, "failures", r->failures);
		if (r->failures > 0) {
			ins_json_u64(j, "first_packet", r->first_packet);
			ins_json_str(j, "detail", r->detail);
		}
		if (reason != NULL)
			ins_json_str(j, "reason", reason);
		ins_json_end_obj(j);
	}
	ins_json_end_arr(j);
}

static const char *result_name(int exit_status)
{
	switch (exit_status) {
	case INS_EXIT_PASS: return "pass";
	case INS_EXIT_FAIL: return "fail";
	}
	return "bad-input";
}

void ins_jsonout_finish(struct ins_json *j, const struct ins_run *run,
			const struct ins_pipeline *pl)
{
	const struct ins_analysis *an = &pl->an;
	bool keyed = run->network_key;

	if (run->verbose)
		ins_json_end_arr(j);
	input(j, run, pl);
	limits(j, an);
	ins_json_u64(j, "packets_analysed", an->packets);
	ins_json_u64(j, "duplicates", an->duplicates);
	ins_json_u64(j, "flow_count", ins_flows_count(an->flows));
	ins_json_arr(j, "flows");
	for (size_t i = 0; i < ins_flows_count(an->flows); i++)
		flow(j, ins_flows_at(an->flows, i), keyed);
	ins_json_end_arr(j);
	paths(j, an);
	checks(j, &an->checks);
	ins_json_obj(j, "result");
	ins_json_str(j, "status", result_name(run->exit_status));
	ins_json_i64(j, "exit", run->exit_status);
	ins_json_end_obj(j);
	ins_json_end_obj(j);
}
