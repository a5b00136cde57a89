/* report.c: text output (report.h). */
#include <inttypes.h>
#include <string.h>

#include "format.h"
#include "report.h"

#define EP_LEN	 64
#define CAND_LEN 80

static double secs(natt_time_t us)
{
	return (double)us / (double)NATT_SEC;
}

static double msecs(uint64_t us)
{
	return (double)us / (double)NATT_MSEC;
}

/* ---- per packet ---- */

static void frames(FILE *f, const struct ins_pkt *p)
{
	uint64_t lo, hi;

	fputs(" [", f);
	for (size_t i = 0; i < p->nframes; i++) {
		const struct natt_frame *fr = &p->frames[i];
		fprintf(f, "%s%s", i ? " " : "", natt_frame_type_name(fr->type));
		if (fr->type == NATT_FT_ACK) {
			for (unsigned r = 0; r <= fr->ack.range_count; r++)
				if (natt_ack_interval(fr, r, &lo, &hi) == NATT_OK)
					fprintf(f, "%s%" PRIu64 "-%" PRIu64, r ? "," : " ", lo, hi);
		} else if (fr->type == NATT_FT_STREAM) {
			fprintf(f, " %" PRIu64 "+%u%s", fr->stream.offset, fr->stream.len,
				fr->stream.fin ? " FIN" : "");
		} else if (fr->type == NATT_FT_MAX_DATA) {
			fprintf(f, " %" PRIu64, fr->max_data.max);
		} else if (fr->type == NATT_FT_PADDING) {
			fprintf(f, " %zu", fr->padding.len);
		} else if (fr->type == NATT_FT_CLOSE) {
			fprintf(f, " %s \"%.*s\"", natt_close_code_name(fr->close.code),
				fr->close.reason_len, (const char *)fr->close.reason);
		}
	}
	fputc(']', f);
}

static void sealed_body(FILE *f, const struct ins_pkt *p)
{
	char c[CAND_LEN];

	if (p->open_rc == INS_RC_NONE)
		return;
	if (p->open_rc < 0) {
		fprintf(f, " (does not open: %s)", natt_strerror(p->open_rc));
		return;
	}
	if (p->h.type == NATT_PT_HANDSHAKE)
		frames(f, p);
	else if (p->body_rc == NATT_OK && p->h.type != NATT_PT_PROBE &&
		 p->h.type != NATT_PT_PROBE_REPLY)
		fprintf(f, " txid %016" PRIx64, p->rdv.txid);
	else if (p->body_rc == NATT_OK)
		fprintf(f, " seen %s%s", ins_cand_str(&p->probe.seen, c, sizeof(c)),
			p->probe.flags & NATT_PROBE_NOMINATE ? " NOMINATE" : "");
	if (p->body_rc != NATT_OK)
		fprintf(f, " (body: %s)", natt_strerror(p->body_rc));
}

static void natt_fields(FILE *f, const struct ins_pkt *p)
{
	const struct natt_header *h = &p->h;
	unsigned op = p->inner_first >> INS_OVPN_OPCODE_SHIFT;

	if (h->type == NATT_PT_DATA) {
		fprintf(f, " epoch %u dcid %016" PRIx64 " ctr %" PRIu64 "%s", h->epoch, h->dcid,
			h->counter, p->keepalive ? " keepalive" : "");
		if (p->dec_rc >= 0 && p->dec_rc != INS_RC_NONE && p->inner_len > 0)
			fprintf(f, " inner %s key_id %u (%zu bytes)", ins_ovpn_opcode_name(op),
				p->inner_first & INS_OVPN_KEY_ID_MASK, p->inner_len);
		else if (p->dec_rc < 0 && p->dec_rc != NATT_ERR_WRONG_PURPOSE)
			fprintf(f, " (does not open: %s)", natt_strerror(p->dec_rc));
		return;
	}
	if (h->type == NATT_PT_UNKNOWN_CID)
		fprintf(f, " cid %016" PRIx64, h->dcid);
	else if (h->type < NATT_PT_RDV_REGISTER || h->type > NATT_PT_RDV_INTRODUCE)
		fprintf(f, " dcid %016" PRIx64 " scid %016" PRIx64, h->dcid, h->scid);
	if (h->type == NATT_PT_HANDSHAKE)
		fprintf(f, " pn %" PRIu64, h->pn);
	sealed_body(f, p);
}

static void type_fields(FILE *f, const struct ins_pkt *p)
{
	const uint8_t *pl = p->udp.payload;

	if (p->hdr_rc == NATT_OK) {
		natt_fields(f, p);
	} else if (p->hdr_rc != INS_RC_NONE) {
		fprintf(f, " 0x%02x: %s", pl[0], natt_strerror(p->hdr_rc));
	} else if (p->stun_rc == NATT_OK) {
		fprintf(f, " %s", ins_stun_type_name(p->stun.type));
	} else if (p->stun_rc != INS_RC_NONE) {
		fprintf(f, " (%s)", natt_strerror(p->stun_rc));
	} else if (p->cls == NATT_CLASS_OPENVPN) {
		fprintf(f, " opcode %u key_id %u", pl[0] >> INS_OVPN_OPCODE_SHIFT,
			pl[0] & INS_OVPN_KEY_ID_MASK);
	}
}

void ins_report_packet(FILE *f, const struct ins_pkt *p, natt_time_t start)
{
	struct ins_endpoint s = {.addr = p->udp.src, .port = p->udp.sport};
	struct ins_endpoint d = {.addr = p->udp.dst, .port = p->udp.dport};
	char a[EP_LEN], b[EP_LEN];
	const char *seq = ins_seq_name(p->seq_verdict);

	fprintf(f, "%6" PRIu64 " %10.6f %s -> %s %s", p->num,
		secs(p->ts >= start ? p->ts - start : 0), ins_endpoint_str(&s, a, sizeof(a)),
		ins_endpoint_str(&d, b, sizeof(b)), ins_ptype_name(ins_ptype_of(p)));
	type_fields(f, p);
	fprintf(f, " len %zu ip %zu", p->udp.wire_len, p->udp.ip_len);
	if (p->udp.cut)
		fputs(" CUT", f);
	if (seq != NULL && strcmp(seq, "new") != 0)
		fprintf(f, " %s", seq);
	for (int i = 0; i < INS_CK_COUNT; i++)
		if (p->failed & (UINT32_C(1) << i))
			fprintf(f, " !%s", ins_check_def(i)->id);
	fputc('\n', f);
}

/* ---- summary ---- */

static void samples(FILE *f, const char *what, const struct ins_samples *s)
{
	if (s->count == 0)
		return;
	fprintf(f, "  %s min/median/max %.3f/%.3f/%.3f ms (%" PRIu64 " samples)\n", what,
		msecs(s->min), msecs(ins_samples_median(s)), msecs(s->max), s->count);
}

static void direction(FILE *f, const char *name, const struct ins_dir *d)
{
	fprintf(f, "  %s: %" PRIu64 " packets, %" PRIu64 " bytes:", name, d->packets, d->bytes);
	for (int t = 0; t < INS_T_COUNT; t++)
		if (d->type_packets[t] > 0)
			fprintf(f, " %s %" PRIu64, ins_ptype_name(t), d->type_packets[t]);
	fputc('\n', f);
	fprintf(f,
		"    lost %" PRIu64 ", reordered %" PRIu64 ", duplicates %" PRIu64
		", keepalives %" PRIu64 ", largest outer %zu\n",
		d->lost, d->reordered, d->duplicates, d->keepalives, d->largest_outer);
	samples(f, "  keepalive interval", &d->keepalive_iv);
}

static void flow(FILE *f, const struct ins_flow *fl, bool keyed, natt_time_t start)
{
	char a[EP_LEN], b[EP_LEN];
	uint64_t re = fl->d[0].retransmissions + fl->d[1].retransmissions;
	uint64_t of = fl->d[0].stream_packets + fl->d[1].stream_packets;

	fprintf(f, "flow %u: %s <-> %s, %.6f s to %.6f s\n", fl->id,
		ins_endpoint_str(&fl->ep[0], a, sizeof(a)),
		ins_endpoint_str(&fl->ep[1], b, sizeof(b)), secs(fl->first - start),
		secs(fl->last - start));
	direction(f, "a->b", &fl->d[0]);
	direction(f, "b->a", &fl->d[1]);
	if (fl->has_handshake && fl->has_data && fl->first_data >= fl->first_handshake)
		fprintf(f, "  handshake %.3f ms\n", msecs(fl->first_data - fl->first_handshake));
	samples(f, "rtt", &fl->rtt);
	if (keyed && of > 0)
		fprintf(f, "  retransmissions %" PRIu64 " of %" PRIu64 " stream packets (%.1f%%)\n",
			re, of, of ? 100.0 * (double)re / (double)of : 0.0);
	else if (!keyed && fl->has_handshake)
		fputs("  retransmissions: need --network-key\n", f);
	if (fl->path_changes > 0)
		fprintf(f, "  path changes into this flow: %" PRIu64 "\n", fl->path_changes);
	if (fl->stun_requests + fl->stun_responses > 0)
		fprintf(f, "  STUN: %" PRIu64 " requests, %" PRIu64 " responses\n",
			fl->stun_requests, fl->stun_responses);
}

static void input(FILE *f, const struct ins_run *run, const struct ins_pipeline *pl)
{
	const struct ins_input_stats *in = &pl->in;
	const struct ins_reasm_stats *rs = ins_reasm_stats(pl->reasm);

	fprintf(f, "%s: link %s, %" PRIu64 " records, %" PRIu64 " UDP, %" PRIu64 " dissected",
		run->source, ins_link_name(run->dlt), in->records, in->udp, in->claimed);
	if (in->any)
		fprintf(f, ", %.6f s", secs(in->last >= in->first ? in->last - in->first : 0));
	fputc('\n', f);
	if (rs->fragments > 0)
		fprintf(f,
			"fragments: %" PRIu64 " in, %" PRIu64 " datagrams reassembled, %" PRIu64
			" timed out, %" PRIu64 " overlapping, %" PRIu64 " evicted, %" PRIu64
			" bad\n",
			rs->fragments, rs->reassembled, rs->timeouts, rs->overlaps, rs->evicted,
			rs->bad);
	if (in->malformed > 0)
		fprintf(f, "malformed frames ignored: %" PRIu64 "\n", in->malformed);
	if (ins_flows_untracked(pl->an.flows) > 0)
		fprintf(f, "packets of untracked flows (flow table full): %" PRIu64 "\n",
			ins_flows_untracked(pl->an.flows));
}

static void checks(FILE *f, const struct ins_checks *c)
{
	fputs("checks:\n", f);
	for (int i = 0; i < INS_CK_COUNT; i++) {
		const struct ins_check_result *r = &c->r[i];
		const char *reason;
		int st = ins_check_status(c, i, &reason);

		fprintf(f, "  %-16s %-7s", ins_check_def(i)->id, ins_status_name(st));
		if (reason != NULL)
			fprintf(f, " (%s)", reason);
		else if (r->failures > 0)
			fprintf(f, " %" PRIu64 " of %" PRIu64 "; first at packet %" PRIu64 ": %s",
				r->failures, r->examined, r->first_packet, r->detail);
		else
			fprintf(f, " (%" PRIu64 " examined)", r->examined);
		fputc('\n', f);
	}
}

void ins_report_summary(FILE *f, const struct ins_run *run, const struct ins_pipeline *pl)
{
	const struct ins_analysis *an = &pl->an;

	input(f, run, pl);
	for (size_t i = 0; i < ins_flows_count(an->flows); i++)
		flow(f, ins_flows_at(an->flows, i), run->network_key, pl->in.first);
	for (size_t i = 0; i < an->npath; i++)
		fprintf(f,
			"path change: cid %016" PRIx64
			" moved from flow %u to flow %u at packet %" PRIu64 "\n",
			an->path[i].cid, an->path[i].from_flow, an->path[i].to_flow,
			an->path[i].packet);
	fprintf(f, "duplicates: %" PRIu64 "\n", an->duplicates);
	checks(f, &an->checks);
	fprintf(f, "result: %s (exit %d)\n",
		run->exit_status == INS_EXIT_PASS   ? "PASS"
		: run->exit_status == INS_EXIT_FAIL ? "FAIL"
						    : "BAD INPUT",
		run->exit_status);
}

void ins_report_list_checks(FILE *f)
{
	static const char *const needs[] = {"", "needs --network-key",
					    "needs --network-key or --keylog"};

	for (int i = 0; i < INS_CK_COUNT; i++) {
		const struct ins_check_def *d = ins_check_def(i);
		fprintf(f, "%-16s %-7s %s%s%s%s\n", d->id,
			d->severity == INS_SEV_WARNING ? "warning" : "error", d->summary,
			d->needs ? " (" : "", needs[d->needs], d->needs ? ")" : "");
	}
}
