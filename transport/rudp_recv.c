/*
 * rudp_recv.c: one received HANDSHAKE packet (PROTOCOL.md 5.1, 5.2, 3.3).
 *
 * Order of checks, each failure a silent drop with no state change:
 * header, connection IDs, replay window (check only), seal, every frame
 * decodes, the out-of-order limit.  Only then is the packet accepted: the
 * replay window moves, the packet is recorded for acknowledgement, and the
 * frames take effect in order.  A peer that breaks the protocol in an
 * authenticated packet gets CLOSE(PROTOCOL_VIOLATION).
 */
#include <string.h>

#include "rudp_int.h"

/*
 * Decodes every frame once, without effect.  Returns NATT_OK and whether
 * the packet is ack-eliciting, a decode error, or NATT_ERR_FULL when its
 * STREAM frames could exceed the out-of-order limits.  The estimate adds
 * up each frame's new bytes and new ranges as if the others were not
 * there, so it never falls short: a packet that is accepted (and so
 * acknowledged) is always stored whole.  In-order data always fits.
 */
static int precheck(const struct natt_rudp *c, const uint8_t *p, size_t len, bool *eliciting)
{
	uint64_t ooo = c->rb.ooo_bytes;
	size_t ranges = c->rb.ooo.n;
	struct natt_frame f;

	*eliciting = false;
	for (size_t off = 0; off < len;) {
		int n = natt_frame_decode(&f, p + off, len - off);

		if (n < 0)
			return n;
		off += (size_t)n;
		*eliciting |= natt_frame_ack_eliciting(f.type);
		if (f.type != NATT_FT_STREAM || f.stream.offset + f.stream.len > c->rcv_max)
			continue; /* past the flow control limit: a violation, handled later */
		ooo += natt_recvbuf_ooo_after(&c->rb, f.stream.offset, f.stream.len) -
		       c->rb.ooo_bytes;
		if (f.stream.offset > c->rb.contig)
			ranges += natt_ranges_add_cost(&c->rb.ooo, f.stream.offset,
						       f.stream.offset + f.stream.len);
		if (ooo > c->lim.ooo_limit || ranges > c->rb.ooo.max)
			return NATT_ERR_FULL;
	}
	return NATT_OK;
}

static void violation(struct natt_rudp *c, natt_time_t now, const char *why)
{
	natt_rudp_enter_closing(c, now, NATT_RUDP_END_PROTOCOL, NATT_CLOSE_PROTOCOL_VIOLATION, why);
}

static void on_stream(struct natt_rudp *c, const struct natt_frame *f, natt_time_t now)
{
	uint64_t before = c->rb.contig;
	int rc;

	if (f->stream.offset + f->stream.len > c->rcv_max) {
		violation(c, now, "stream data beyond MAX_DATA");
		return;
	}
	if (natt_recvbuf_duplicate(&c->rb, f->stream.offset, f->stream.len, f->stream.fin))
		natt_ackr_ack_now(&c->ackr);
	rc = natt_recvbuf_insert(&c->rb, f->stream.offset, f->stream.data, f->stream.len,
				 f->stream.fin);
	if (rc == NATT_ERR_BAD_VALUE) {
		violation(c, now, "stream final size changed");
		return;
	}
	if (rc != NATT_OK) {
		violation(c, now, "stream data outside the receive buffer");
		return;
	}
	c->st.stream_bytes_received += c->rb.contig - before;
	if (c->rb.ooo_bytes > c->st.ooo_bytes_max)
		c->st.ooo_bytes_max = c->rb.ooo_bytes;
}

static void on_frame(struct natt_rudp *c, const struct natt_frame *f, natt_time_t now)
{
	switch (f->type) {
	case NATT_FT_ACK:
		if (natt_rudp_on_ack(c, f, now) != NATT_OK)
			violation(c, now, "ACK of a packet never sent");
		break;
	case NATT_FT_STREAM: on_stream(c, f, now); break;
	case NATT_FT_MAX_DATA:
		if (f->max_data.max > c->peer_max_data)
			c->peer_max_data = f->max_data.max;
		break;
	case NATT_FT_CLOSE:
		natt_rudp_enter_draining(c, now, f->close.code, f->close.reason,
					 f->close.reason_len);
		break;
	default: /* PADDING, PING: nothing beyond the acknowledgement */ break;
	}
}

static void apply_frames(struct natt_rudp *c, const uint8_t *p, size_t len, natt_time_t now)
{
	struct natt_frame f;

	for (size_t off = 0; off < len && c->state == NATT_RUDP_OPEN;) {
		int n = natt_frame_decode(&f, p + off, len - off);

		if (n < 0)
			return; /* cannot happen: precheck decoded the same bytes */
		off += (size_t)n;
		on_frame(c, &f, now);
	}
}

/* Header, connection IDs and replay window: NATT_OK or the drop reason. */
static int check_header(const struct natt_rudp *c, struct natt_header *h, const uint8_t *pkt,
			size_t len)
{
	int rc = natt_header_decode(h, pkt, len);

	if (rc != NATT_OK)
		return rc;
	if (h->type != NATT_PT_HANDSHAKE)
		return NATT_ERR_BAD_TYPE;
	if (h->dcid != c->local_cid || h->scid != c->peer_cid)
		return NATT_ERR_BAD_VALUE;
	return natt_replay_check(&c->replay, h->pn);
}

/* The packet authenticated and decoded: it counts as received. */
static void accept_packet(struct natt_rudp *c, uint64_t pn, size_t len, bool eliciting,
			  natt_time_t now)
{
	natt_replay_update(&c->replay, pn);
	c->amp_received += len;
	c->st.packets_received++;
	c->st.bytes_received += len;
	c->idle_base = now;
	c->eliciting_since_rx = false;
	c->last_activity = now;
	if (c->state == NATT_RUDP_OPEN)
		natt_ackr_on_packet(&c->ackr, pn, eliciting, now);
}

static int drop(struct natt_rudp *c, int why)
{
	c->st.packets_dropped++;
	return why;
}

int natt_rudp_recv(struct natt_rudp *c, natt_time_t now, const uint8_t *pkt, size_t len)
{
	struct natt_header h;
	bool eliciting;
	int rc, body;

	if (c->state == NATT_RUDP_DRAINING || c->state == NATT_RUDP_CLOSED)
		return drop(c, NATT_ERR_CLOSED);
	rc = check_header(c, &h, pkt, len);
	if (rc != NATT_OK)
		return drop(c, rc);
	memcpy(c->scratch, pkt, len);
	body = natt_seal_open(c->seal, NATT_SEAL_HANDSHAKE, c->scratch, h.len, len);
	if (body < 0)
		return drop(c, body);
	rc = precheck(c, c->scratch + h.len, (size_t)body, &eliciting);
	if (rc == NATT_ERR_FULL)
		c->st.ooo_dropped++;
	if (rc != NATT_OK)
		return drop(c, rc);
	accept_packet(c, h.pn, len, eliciting, now);
	if (c->state == NATT_RUDP_CLOSING) {
		c->close_pending = true; /* answer with CLOSE again (RFC 9000 10.2.1) */
		return NATT_OK;
	}
	apply_frames(c, c->scratch + h.len, (size_t)body, now);
	natt_rudp_check_orderly(c, now);
	return NATT_OK;
}
