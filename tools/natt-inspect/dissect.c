/*
 * dissect.c: one datagram through the transport's codecs (dissect.h).
 * Sealed packets are opened in a copy: the capture's bytes stay as they
 * were on the wire for the checks that look at ciphertext.
 */
#include <stdlib.h>
#include <string.h>

#include "datachan.h"
#include "dissect.h"

struct ins_dissector {
	struct natt_seal *seal;
	struct ins_keylog *keylog;
	uint8_t buf[NATT_MAX_DATAGRAM];	  /* opened sealed packet */
	uint8_t plain[NATT_MAX_DATAGRAM]; /* decrypted DATA payload */
	struct natt_frame frames[INS_MAX_FRAMES];
};

struct ins_dissector *ins_dissector_new(struct natt_seal *seal, struct ins_keylog *keylog)
{
	struct ins_dissector *d = calloc(1, sizeof(*d));

	if (d == NULL)
		return NULL;
	d->seal = seal;
	d->keylog = keylog;
	return d;
}

void ins_dissector_free(struct ins_dissector *d)
{
	free(d);
}

enum natt_seal_purpose ins_seal_purpose(uint8_t type)
{
	if (type == NATT_PT_HANDSHAKE)
		return NATT_SEAL_HANDSHAKE;
	if (type == NATT_PT_PROBE || type == NATT_PT_PROBE_REPLY)
		return NATT_SEAL_PROBE;
	if (type == NATT_PT_UNKNOWN_CID)
		return NATT_SEAL_UNKNOWN_CID;
	return NATT_SEAL_RENDEZVOUS;
}

const char *ins_ovpn_opcode_name(unsigned opcode)
{
	static const char *const names[] = {
		[1] = "P_CONTROL_HARD_RESET_CLIENT_V1",
		[2] = "P_CONTROL_HARD_RESET_SERVER_V1",
		[3] = "P_CONTROL_SOFT_RESET_V1",
		[4] = "P_CONTROL_V1",
		[5] = "P_ACK_V1",
		[6] = "P_DATA_V1",
		[7] = "P_CONTROL_HARD_RESET_CLIENT_V2",
		[8] = "P_CONTROL_HARD_RESET_SERVER_V2",
		[9] = "P_DATA_V2",
		[10] = "P_CONTROL_HARD_RESET_CLIENT_V3",
		[11] = "P_CONTROL_WKC_V1",
	};

	if (opcode < INS_OVPN_OPCODE_MIN || opcode > INS_OVPN_OPCODE_MAX)
		return "unknown";
	return names[opcode];
}

void ins_dissect_header(struct ins_dissector *d, struct ins_pkt *p)
{
	const uint8_t *pl = p->udp.payload;
	size_t len = p->udp.len;

	memset((char *)p + offsetof(struct ins_pkt, cls), 0,
	       sizeof(*p) - offsetof(struct ins_pkt, cls));
	p->frames = d->frames;
	p->hdr_rc = p->open_rc = p->body_rc = p->stun_rc = p->dec_rc = INS_RC_NONE;
	p->seq_verdict = -1;
	p->cls = natt_wire_classify(pl, len);
	if (p->cls != NATT_CLASS_LONG && p->cls != NATT_CLASS_SHORT)
		return;
	if (p->udp.cut && p->udp.wire_len <= sizeof(d->buf)) {
		/* Cut by the snaplen: the header is judged with the length the
		 * datagram had on the wire (the missing bytes are never read). */
		memcpy(d->buf, pl, len);
		memset(d->buf + len, 0, p->udp.wire_len - len);
		pl = d->buf;
		len = p->udp.wire_len;
	}
	p->hdr_rc = natt_header_decode(&p->h, pl, len);
	p->keepalive = p->hdr_rc == NATT_OK && p->h.type == NATT_PT_DATA && len == NATT_DC_OVERHEAD;
}

static void decode_frames(struct ins_dissector *d, struct ins_pkt *p, const uint8_t *body)
{
	size_t off = 0;

	p->body_rc = NATT_OK;
	while (off < p->body_len && p->nframes < INS_MAX_FRAMES) {
		int rc = natt_frame_decode(&d->frames[p->nframes], body + off, p->body_len - off);
		if (rc < 0) {
			p->body_rc = rc;
			return;
		}
		p->nframes++;
		off += (size_t)rc;
	}
}

static void open_sealed(struct ins_dissector *d, struct ins_pkt *p)
{
	const uint8_t *body = d->buf + p->h.len;
	uint8_t type = p->h.type;

	memcpy(d->buf, p->udp.payload, p->udp.len);
	p->open_rc = natt_seal_open(d->seal, ins_seal_purpose(type), d->buf, p->h.len, p->udp.len);
	if (p->open_rc == NATT_ERR_WRONG_PURPOSE)
		p->open_rc = INS_RC_NONE; /* a rendezvous key opens only rendezvous messages */
	if (p->open_rc < 0 || p->open_rc == INS_RC_NONE)
		return;
	p->body_len = (size_t)p->open_rc;
	if (type == NATT_PT_HANDSHAKE)
		decode_frames(d, p, body);
	else if (type == NATT_PT_PROBE || type == NATT_PT_PROBE_REPLY)
		p->body_rc = natt_probe_decode(&p->probe, type, body, p->body_len);
	else if (type == NATT_PT_UNKNOWN_CID)
		p->body_rc = NATT_OK; /* empty: the header's size check made sure */
	else
		p->body_rc = natt_rdv_decode(&p->rdv, type, body, p->body_len);
}

static void open_data(struct ins_dissector *d, struct ins_pkt *p)
{
	p->dec_rc = ins_keylog_open(d->keylog, &p->h, p->udp.payload, p->udp.len, d->plain,
				    sizeof(d->plain), &p->full_epoch);
	if (p->dec_rc < 0)
		return;
	p->inner_len = (size_t)p->dec_rc;
	p->inner_first = p->inner_len > 0 ? d->plain[0] : 0;
}

void ins_dissect_body(struct ins_dissector *d, struct ins_pkt *p)
{
	if (p->cls == NATT_CLASS_STUN) {
		p->stun_rc = natt_stun_decode(&p->stun, p->udp.payload, p->udp.len);
		return;
	}
	if (p->hdr_rc != NATT_OK || p->udp.cut)
		return;
	if (p->h.type == NATT_PT_DATA) {
		if (d->keylog != NULL)
			open_data(d, p);
		return;
	}
	if (d->seal != NULL)
		open_sealed(d, p);
}
