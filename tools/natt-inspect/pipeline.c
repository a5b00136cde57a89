/* pipeline.c: frame -> UDP datagram -> dissected, analysed packet. */
#include <string.h>

#include "pipeline.h"

int ins_pipeline_init(struct ins_pipeline *pl, int dlt, const struct ins_analyze_config *cfg,
		      struct natt_seal *seal, struct ins_keylog *keylog, ins_pkt_fn fn, void *arg)
{
	memset(pl, 0, sizeof(*pl));
	if (!ins_link_supported(dlt))
		return NATT_ERR_INVALID;
	pl->dlt = dlt;
	pl->fn = fn;
	pl->arg = arg;
	pl->reasm = ins_reasm_new(INS_REASM_DATAGRAMS, INS_REASM_TIMEOUT);
	pl->dis = ins_dissector_new(seal, keylog);
	if (pl->reasm == NULL || pl->dis == NULL || ins_analysis_init(&pl->an, cfg) != NATT_OK) {
		ins_pipeline_free(pl);
		return NATT_ERR_NOMEM;
	}
	return NATT_OK;
}

void ins_pipeline_free(struct ins_pipeline *pl)
{
	ins_reasm_free(pl->reasm);
	ins_dissector_free(pl->dis);
	if (pl->an.flows != NULL || pl->an.seq != NULL)
		ins_analysis_free(&pl->an);
	pl->reasm = NULL;
	pl->dis = NULL;
}

bool ins_pipeline_bad_input(const struct ins_pipeline *pl)
{
	return pl->in.zero_length > 0 || pl->in.cut > 0;
}

static void datagram(struct ins_pipeline *pl, const struct ins_record *r, const struct ins_udp *u)
{
	struct ins_pkt *p = &pl->pkt;

	pl->in.udp++;
	p->num = pl->in.records;
	p->ts = r->ts;
	p->udp = *u;
	ins_dissect_header(pl->dis, p);
	if (!ins_analysis_claim(&pl->an, p))
		return;
	pl->in.claimed++;
	if (u->cut)
		pl->in.cut++;
	ins_dissect_body(pl->dis, p);
	ins_analyze_packet(&pl->an, p);
	if (pl->fn != NULL)
		pl->fn(pl->arg, p);
}

static void udp_of(struct ins_pipeline *pl, const struct ins_record *r, const struct ins_ip *ip,
		   const uint8_t *l4, size_t l4_len, size_t l4_wire, unsigned nfrag)
{
	struct ins_udp u;
	int rc = ins_parse_udp(ip, l4, l4_len, l4_wire, &u);

	if (rc == INS_P_CUT) {
		pl->in.cut++;
		return;
	}
	if (rc != INS_P_OK) {
		pl->in.malformed++;
		return;
	}
	u.fragments = nfrag;
	if (nfrag > 0)
		u.ip_len = ip->hdr_len + l4_wire;
	datagram(pl, r, &u);
}

static void fragment(struct ins_pipeline *pl, const struct ins_record *r, struct ins_ip *ip)
{
	const uint8_t *out;
	size_t out_len, hdr_len;
	unsigned nfrag;

	if (ip->cut) {
		pl->in.cut++;
		return;
	}
	if (ins_reasm_add(pl->reasm, r->ts, ip, &out, &out_len, &nfrag, &hdr_len) != INS_REASM_DONE)
		return;
	/* The unfragmented packet: the first fragment's header without the
	 * IPv6 fragment header, and the whole payload. */
	ip->hdr_len = ip->src.family == 6 ? hdr_len - 8 : hdr_len;
	udp_of(pl, r, ip, out, out_len, out_len, nfrag);
}

void ins_pipeline_frame(struct ins_pipeline *pl, const struct ins_record *r)
{
	struct ins_ip ip;
	int rc;

	pl->in.records++;
	pl->in.bytes += r->len;
	if (!pl->in.any)
		pl->in.first = r->ts;
	pl->in.any = true;
	pl->in.last = r->ts;
	if (r->len == 0) {
		pl->in.zero_length++;
		return;
	}
	rc = ins_parse_frame(pl->dlt, r->data, r->caplen, r->len, &ip);
	if (rc == INS_P_NOT_IP)
		pl->in.not_ip++;
	else if (rc == INS_P_MALFORMED)
		pl->in.malformed++;
	else if (rc == INS_P_CUT)
		pl->in.cut++;
	if (rc != INS_P_OK)
		return;
	if (ip.proto != INS_IPPROTO_UDP) {
		pl->in.not_udp++;
		return;
	}
	if (ip.fragment) {
		fragment(pl, r, &ip);
		return;
	}
	udp_of(pl, r, &ip, ip.payload, ip.payload_len, ip.total_len - ip.hdr_len, 0);
}
