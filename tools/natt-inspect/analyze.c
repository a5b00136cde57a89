/*
 * analyze.c: the per-packet rules and statistics (analyze.h).  The order in
 * ins_analyze_packet() matters: counting first (every packet counts), then
 * what needs a decoded header, and nothing that would count a byte-exact
 * duplicate twice (keepalive intervals, leaks, exchanges).
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analyze.h"

int ins_analysis_init(struct ins_analysis *a, const struct ins_analyze_config *cfg)
{
	memset(a, 0, sizeof(*a));
	a->cfg = *cfg;
	ins_checks_init(&a->checks, cfg->network_key, cfg->keylog);
	ins_pending_init(&a->pending);
	a->flows = ins_flows_new(cfg->max_flows, cfg->port);
	a->cids = ins_cidtab_new(cfg->max_cids ? cfg->max_cids : INS_MAX_CIDS);
	a->seq = ins_seqtrack_new(cfg->max_streams ? cfg->max_streams : INS_SEQ_STREAMS,
				  cfg->max_chunks ? cfg->max_chunks : INS_SEQ_CHUNKS);
	a->salts = calloc(INS_SALT_SLOTS, sizeof(*a->salts));
	if (a->flows == NULL || a->cids == NULL || a->seq == NULL || a->salts == NULL) {
		ins_analysis_free(a);
		return NATT_ERR_NOMEM;
	}
	return NATT_OK;
}

void ins_analysis_free(struct ins_analysis *a)
{
	ins_flows_free(a->flows);
	ins_cidtab_free(a->cids);
	ins_seqtrack_free(a->seq);
	free(a->salts);
	a->flows = NULL;
	a->cids = NULL;
	a->seq = NULL;
	a->salts = NULL;
}

bool ins_analysis_claim(struct ins_analysis *a, const struct ins_pkt *p)
{
	return ins_flows_claim(a->flows, p);
}

void ins_fail(struct ins_analysis *a, struct ins_pkt *p, int id, const char *fmt, ...)
{
	char detail[INS_DETAIL_LEN];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(detail, sizeof(detail), fmt, ap);
	va_end(ap);
	p->failed |= UINT32_C(1) << id;
	ins_checks_fail(&a->checks, id, p->num, "%s", detail);
}

/* ---- counting ---- */

static void count(struct ins_flow *fl, const struct ins_pkt *p, int t)
{
	struct ins_dir *d = &fl->d[p->dir];

	d->packets++;
	d->bytes += p->udp.wire_len;
	d->type_packets[t]++;
	d->type_bytes[t] += p->udp.wire_len;
	if (p->udp.ip_len > d->largest_outer)
		d->largest_outer = p->udp.ip_len;
	fl->last = p->ts;
}

static bool flow_has_natt(const struct ins_flow *fl)
{
	for (int s = 0; s < 2; s++)
		for (int t = INS_T_HANDSHAKE; t <= INS_T_DATA; t++)
			if (fl->d[s].type_packets[t] > 0)
				return true;
	return false;
}

/* ---- errors of the header and body decoders, mapped to checks ---- */

static int check_of_error(int rc)
{
	switch (rc) {
	case NATT_ERR_BAD_VERSION: return INS_CK_UNKNOWN_VERSION;
	case NATT_ERR_BAD_TYPE: return INS_CK_UNKNOWN_TYPE;
	case NATT_ERR_TRUNCATED:
	case NATT_ERR_TOO_SMALL:
	case NATT_ERR_BAD_LENGTH: return INS_CK_LENGTHS;
	}
	return INS_CK_FRAMING;
}

static void header_rules(struct ins_analysis *a, struct ins_pkt *p)
{
	const uint8_t *pl = p->udp.payload;

	ins_checks_examined(&a->checks, INS_CK_FRAMING);
	ins_checks_examined(&a->checks, INS_CK_LENGTHS);
	ins_checks_examined(&a->checks, INS_CK_UNKNOWN_TYPE);
	if (p->cls == NATT_CLASS_LONG)
		ins_checks_examined(&a->checks, INS_CK_UNKNOWN_VERSION);
	if (p->hdr_rc == NATT_OK)
		return;
	if (p->hdr_rc == NATT_ERR_BAD_VERSION)
		ins_fail(a, p, INS_CK_UNKNOWN_VERSION, "long header 0x%02x with version %u", pl[0],
			 p->udp.len > 1 ? pl[1] : 0);
	else
		ins_fail(a, p, check_of_error(p->hdr_rc), "%s header (0x%02x, %zu bytes): %s",
			 natt_pkt_type_name(pl[0]), pl[0], p->udp.len, natt_strerror(p->hdr_rc));
}

static void body_rules(struct ins_analysis *a, struct ins_pkt *p)
{
	const char *type = natt_pkt_type_name(p->h.type);

	if (p->open_rc != INS_RC_NONE) {
		ins_checks_examined(&a->checks, INS_CK_AUTH);
		if (p->open_rc < 0) {
			ins_fail(a, p, INS_CK_AUTH, "%s does not open with the network key: %s",
				 type, natt_strerror(p->open_rc));
			return;
		}
	}
	if (p->body_rc != INS_RC_NONE && p->body_rc != NATT_OK)
		ins_fail(a, p, check_of_error(p->body_rc), "%s body: %s", type,
			 natt_strerror(p->body_rc));
	if (p->dec_rc != INS_RC_NONE && p->dec_rc != NATT_ERR_WRONG_PURPOSE) {
		ins_checks_examined(&a->checks, INS_CK_AUTH);
		if (p->dec_rc < 0)
			ins_fail(a, p, INS_CK_AUTH,
				 "DATA to %016llx epoch %u counter %llu does not open with its "
				 "key-log secret: %s",
				 (unsigned long long)p->h.dcid, p->h.epoch,
				 (unsigned long long)p->h.counter, natt_strerror(p->dec_rc));
	}
}

/* ---- sequence numbers: nonce reuse, duplicates, loss, reordering ---- */

static void seq_result(struct ins_analysis *a, struct ins_pkt *p, struct ins_dir *d,
		       const struct ins_seq_result *r)
{
	bool data = p->h.type == NATT_PT_DATA;

	p->seq_verdict = r->verdict;
	switch (r->verdict) {
	case INS_SEQ_NEW: d->lost += r->skipped; break;
	case INS_SEQ_LATE:
		d->reordered++;
		if (d->lost > 0)
			d->lost--;
		break;
	case INS_SEQ_DUP:
		d->duplicates++;
		a->duplicates++;
		break;
	case INS_SEQ_REUSE:
		if (data)
			ins_fail(a, p, INS_CK_NONCE_REUSE,
				 "DATA to %016llx epoch %u counter %llu sent twice with different "
				 "ciphertext",
				 (unsigned long long)p->h.dcid, p->h.epoch,
				 (unsigned long long)p->h.counter);
		else
			ins_fail(a, p, INS_CK_FRAMING,
				 "HANDSHAKE from %016llx reuses packet number %llu for different "
				 "bytes",
				 (unsigned long long)p->h.scid, (unsigned long long)p->h.pn);
		break;
	}
}

static void seq_rules(struct ins_analysis *a, struct ins_pkt *p, struct ins_dir *d)
{
	struct ins_seq_result r;
	uint32_t fp = ins_seq_fingerprint(p->udp.payload, p->udp.len);
	int rc;

	if (p->h.type == NATT_PT_DATA) {
		ins_checks_examined(&a->checks, INS_CK_NONCE_REUSE);
		rc = ins_seqtrack_add(a->seq, INS_SPACE_DATA, p->h.dcid, p->h.epoch, p->h.counter,
				      fp, &r);
	} else if (p->h.type == NATT_PT_HANDSHAKE) {
		rc = ins_seqtrack_add(a->seq, INS_SPACE_HANDSHAKE, p->h.scid, 0, p->h.pn, fp, &r);
	} else {
		return;
	}
	if (rc == NATT_OK)
		seq_result(a, p, d, &r);
}

/* Sealed packets: a salt seen again with other bytes is a (key, nonce)
 * reuse of the seal (PROTOCOL.md 3.2); with the same bytes, a duplicate. */
static void salt_rules(struct ins_analysis *a, struct ins_pkt *p, struct ins_dir *d)
{
	uint64_t s = UINT64_C(0xcbf29ce484222325); /* FNV-1a of the salt */
	struct ins_salt_slot *slot;
	uint32_t fp = ins_seq_fingerprint(p->udp.payload, p->udp.len);
	uint8_t purpose = (uint8_t)ins_seal_purpose(p->h.type);

	for (int i = 0; i < NATT_SALT_LEN; i++)
		s = (s ^ p->h.salt[i]) * UINT64_C(0x100000001b3);
	ins_checks_examined(&a->checks, INS_CK_NONCE_REUSE);
	slot = &a->salts[(s >> 40) % INS_SALT_SLOTS];
	if (slot->used && slot->salt == s && slot->purpose == purpose) {
		if (slot->fp != fp)
			ins_fail(a, p, INS_CK_NONCE_REUSE,
				 "%s reuses a seal salt of an earlier, different packet",
				 natt_pkt_type_name(p->h.type));
		else if (p->seq_verdict != INS_SEQ_DUP) {
			p->seq_verdict = INS_SEQ_DUP;
			d->duplicates++;
			a->duplicates++;
		}
		return;
	}
	slot->used = true;
	slot->salt = s;
	slot->fp = fp;
	slot->purpose = purpose;
}

/* ---- plaintext ---- */

static void leak_rules(struct ins_analysis *a, struct ins_pkt *p, struct ins_dir *d)
{
	const uint8_t *region = p->udp.payload + p->h.len;
	size_t len = p->h.payload_len - NATT_TAG_LEN; /* header decode guarantees >= 0 */
	double entropy;
	int leak;

	ins_checks_examined(&a->checks, INS_CK_PLAINTEXT_LEAK);
	leak = ins_leak_scan(p->h.type, region, len, &entropy);
	if (leak == INS_LEAK_ENTROPY)
		ins_fail(
			a, p, INS_CK_PLAINTEXT_LEAK,
			"%s payload of %zu bytes has %.2f bits/byte of entropy (threshold %.2f)",
			natt_pkt_type_name(p->h.type), len, entropy,
			ins_entropy_threshold(len < INS_ENTROPY_WINDOW ? len : INS_ENTROPY_WINDOW));
	else if (leak != INS_LEAK_NONE)
		ins_fail(a, p, INS_CK_PLAINTEXT_LEAK, "%s payload: %s",
			 natt_pkt_type_name(p->h.type), ins_leak_name(leak));
	if (len < INS_LEAK_HEAD || (p->h.type != NATT_PT_DATA && p->h.type != NATT_PT_HANDSHAKE))
		return;
	if (d->head_valid && ins_leak_openvpn_pair(d->head, region))
		ins_fail(a, p, INS_CK_PLAINTEXT_LEAK,
			 "%s payload starts like the previous one with OpenVPN opcode byte 0x%02x",
			 natt_pkt_type_name(p->h.type), region[0]);
	memcpy(d->head, region, INS_LEAK_HEAD);
	d->head_valid = true;
}

/* ---- sessions: keepalives, handshake time, path changes ---- */

static void path_rules(struct ins_analysis *a, struct ins_pkt *p, struct ins_flow *fl)
{
	struct ins_cid *c = ins_cidtab_get(a->cids, p->h.dcid, true);

	if (c == NULL)
		return;
	if (c->flow != 0 && c->flow != fl->id) {
		fl->path_changes++;
		if (a->npath < INS_MAX_PATH_EVENTS)
			a->path[a->npath++] = (struct ins_path_change){.cid = p->h.dcid,
								       .ts = p->ts,
								       .packet = p->num,
								       .from_flow = c->flow,
								       .to_flow = fl->id};
		a->path_change_count++;
	}
	c->flow = fl->id;
}

static void session_rules(struct ins_analysis *a, struct ins_pkt *p, struct ins_flow *fl)
{
	struct ins_dir *d = &fl->d[p->dir];

	if (p->h.type == NATT_PT_HANDSHAKE && !fl->has_handshake) {
		fl->has_handshake = true;
		fl->first_handshake = p->ts;
	}
	if (p->h.type == NATT_PT_DATA && !fl->has_data) {
		fl->has_data = true;
		fl->first_data = p->ts;
	}
	if (p->keepalive) {
		if (d->keepalives > 0 && p->ts >= d->last_keepalive)
			ins_samples_add(&d->keepalive_iv, p->ts - d->last_keepalive);
		d->keepalives++;
		d->last_keepalive = p->ts;
	}
	if (p->h.type == NATT_PT_DATA || p->h.type == NATT_PT_HANDSHAKE)
		path_rules(a, p, fl);
}

/* ---- dispatch ---- */

static void outer_rules(struct ins_analysis *a, struct ins_pkt *p, struct ins_flow *fl)
{
	ins_checks_examined(&a->checks, INS_CK_MTU);
	if (p->udp.ip_len > a->cfg.mtu)
		ins_fail(a, p, INS_CK_MTU, "outer packet of %zu bytes above the MTU of %zu%s",
			 p->udp.ip_len, a->cfg.mtu, p->udp.fragments ? " (sent fragmented)" : "");
	if (p->udp.len_mismatch)
		ins_fail(a, p, INS_CK_LENGTHS, "UDP length field disagrees with the IP length");
	if (p->cls == NATT_CLASS_UNKNOWN) {
		ins_checks_examined(&a->checks, INS_CK_UNKNOWN_TYPE);
		if (p->udp.len == 0)
			ins_fail(a, p, INS_CK_UNKNOWN_TYPE, "empty datagram");
		else
			ins_fail(a, p, INS_CK_UNKNOWN_TYPE,
				 "first byte 0x%02x belongs to no family of PROTOCOL.md 2.1",
				 p->udp.payload[0]);
	}
	if (p->cls == NATT_CLASS_OPENVPN && fl != NULL && flow_has_natt(fl)) {
		ins_checks_examined(&a->checks, INS_CK_PLAINTEXT_LEAK);
		ins_fail(a, p, INS_CK_PLAINTEXT_LEAK,
			 "raw OpenVPN packet (opcode %u) on a flow that carries the transport",
			 p->udp.payload[0] >> INS_OVPN_OPCODE_SHIFT);
	}
}

static void natt_rules(struct ins_analysis *a, struct ins_pkt *p, struct ins_flow *fl)
{
	struct ins_dir dummy, *d = fl != NULL ? &fl->d[p->dir] : &dummy;

	memset(&dummy, 0, sizeof(dummy));
	header_rules(a, p);
	if (p->hdr_rc != NATT_OK)
		return;
	body_rules(a, p);
	seq_rules(a, p, d);
	if (p->h.type != NATT_PT_DATA)
		salt_rules(a, p, d);
	if (p->seq_verdict == INS_SEQ_DUP)
		return;
	leak_rules(a, p, d);
	if (fl == NULL)
		return;
	session_rules(a, p, fl);
}

void ins_analyze_packet(struct ins_analysis *a, struct ins_pkt *p)
{
	struct ins_flow *fl = ins_flows_get(a->flows, p, &p->dir);
	int t = ins_ptype_of(p);
	bool first_natt;

	a->packets++;
	p->flow = fl != NULL ? fl->id : 0;
	first_natt = fl != NULL && !flow_has_natt(fl);
	if (fl != NULL) {
		count(fl, p, t);
		if (first_natt && t <= INS_T_DATA)
			fl->amp_tracked = t == INS_T_PROBE;
	}
	if (p->udp.cut)
		return; /* snaplen: nothing can be verified (counted as bad input) */
	outer_rules(a, p, fl);
	if (p->cls == NATT_CLASS_LONG || p->cls == NATT_CLASS_SHORT)
		natt_rules(a, p, fl);
	if (fl != NULL && p->seq_verdict != INS_SEQ_DUP &&
	    (p->hdr_rc == NATT_OK || p->cls == NATT_CLASS_STUN))
		ins_exchange_packet(a, p, fl);
}
