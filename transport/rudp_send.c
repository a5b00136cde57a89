/*
 * rudp_send.c: building HANDSHAKE packets (PROTOCOL.md 5.1, 5.2).
 *
 * A packet is either ack-eliciting, and then needs room in the congestion
 * window and pacer credit (unless it is a probe), or ACK-only, sent when an
 * acknowledgement is due and nothing else may go.  Frames, in this order:
 * ACK (whenever one is owed), MAX_DATA, STREAM (lost bytes first, then new
 * ones, at most NATT_RTB_MAX_CHUNKS frames), PING if a probe or keepalive
 * found nothing else to carry.  An ack-eliciting packet also repeats the
 * ACK, at most every quarter RTT, while the peer has not confirmed it
 * (ackr.h).  In CLOSING the only packet is ACK + CLOSE.
 * Every packet gets the next packet number and a fresh salt, and nothing is
 * ever sent beyond the anti-amplification budget.
 */
#include <string.h>

#include "rudp_int.h"

struct builder {
	uint8_t *out;
	size_t off; /* where the next frame goes */
	size_t end; /* frames must end here (the tag follows) */
	bool eliciting;
	bool has_ack;
	bool has_max_data;
	struct natt_sent rec;
};

enum what {
	SEND_NOTHING,
	SEND_ACK_ONLY,
	SEND_ELICITING,
};

static int put_frame(struct builder *b, const struct natt_frame *f)
{
	int n = natt_frame_encode(b->out + b->off, b->end - b->off, f);

	if (n < 0)
		return n;
	b->off += (size_t)n;
	b->eliciting |= natt_frame_ack_eliciting(f->type);
	return NATT_OK;
}

/* The ACK frame we owe, with as many ranges as fit in room. */
static void put_ack(struct natt_rudp *c, struct builder *b, natt_time_t now, size_t room)
{
	struct natt_frame f;

	if (natt_ackr_build(&c->ackr, now, &f) != NATT_OK)
		return;
	while (f.ack.range_count > 0 && natt_frame_len(&f) > room)
		f.ack.range_count--;
	if (natt_frame_len(&f) > room || put_frame(b, &f) != NATT_OK)
		return;
	b->has_ack = true;
	b->rec.flags |= NATT_SENT_HAS_ACK;
	b->rec.ack_largest = f.ack.largest;
}

static void put_max_data(struct natt_rudp *c, struct builder *b)
{
	struct natt_frame f = {.type = NATT_FT_MAX_DATA};

	f.max_data.max = c->rcv_max;
	if (put_frame(b, &f) != NATT_OK)
		return;
	b->has_max_data = true;
	b->rec.flags |= NATT_SENT_HAS_MAX_DATA;
	b->rec.max_data = c->rcv_max;
}

static bool put_chunk(struct natt_rudp *c, struct builder *b, const struct natt_chunk *ch)
{
	struct natt_frame f = {.type = NATT_FT_STREAM};
	struct natt_sent_chunk *rc = &b->rec.chunk[b->rec.nchunks];

	natt_sendbuf_copy(&c->sb, ch->offset, ch->len, c->chunk);
	f.stream.fin = ch->fin;
	f.stream.offset = ch->offset;
	f.stream.len = (uint16_t)ch->len;
	f.stream.data = c->chunk;
	if (put_frame(b, &f) != NATT_OK)
		return false;
	natt_sendbuf_on_sent(&c->sb, ch);
	rc->offset = ch->offset;
	rc->len = (uint16_t)ch->len;
	rc->fin = ch->fin;
	b->rec.nchunks++;
	if (ch->retx)
		c->st.stream_bytes_retx += ch->len;
	else
		c->st.stream_bytes_sent += ch->len;
	return true;
}

/* Room for stream data in a new STREAM frame, or 0 if not worth one. */
static size_t stream_room(const struct builder *b)
{
	size_t room = b->end - b->off;

	if (room < NATT_RUDP_STREAM_OVERHEAD + NATT_RUDP_MIN_STREAM_DATA)
		return 0;
	return room - NATT_RUDP_STREAM_OVERHEAD;
}

static void put_stream(struct natt_rudp *c, struct builder *b, bool probe)
{
	struct natt_chunk ch;
	size_t room;

	while (b->rec.nchunks < NATT_RTB_MAX_CHUNKS && (room = stream_room(b)) > 0 &&
	       natt_sendbuf_next(&c->sb, room, c->peer_max_data, &ch))
		if (!put_chunk(c, b, &ch))
			return;
	/* A probe with nothing new or lost resends the oldest unacknowledged bytes. */
	if (probe && b->rec.nchunks == 0 && (room = stream_room(b)) > 0 &&
	    natt_sendbuf_oldest_unacked(&c->sb, room, &ch))
		put_chunk(c, b, &ch);
}

static void put_ping(struct builder *b)
{
	struct natt_frame f = {.type = NATT_FT_PING};

	put_frame(b, &f);
}

static enum what decide(struct natt_rudp *c, natt_time_t now)
{
	bool content = c->probes > 0 || c->max_data_pending || c->ping_pending ||
		       natt_rudp_has_stream_data(c);
	bool cwnd_ok = natt_cc_can_send(&c->cc);
	bool pace_ok = natt_cc_pace_time(&c->cc, c->rtt.smoothed, NATT_MAX_HANDSHAKE, now) <= now;

	if (content && (c->probes > 0 || (cwnd_ok && pace_ok)))
		return SEND_ELICITING;
	if (!content && cwnd_ok)
		c->app_limited = true;
	else if (content && !cwnd_ok)
		c->app_limited = false;
	if (natt_ackr_pending(&c->ackr) && natt_ackr_due(&c->ackr, now))
		return SEND_ACK_ONLY;
	return SEND_NOTHING;
}

/* Header with a fresh salt.  Returns NATT_OK or NATT_ERR_CRYPTO (cannot
 * happen: the header fields are always valid). */
static int put_header(struct natt_rudp *c, uint8_t *out, size_t cap)
{
	struct natt_header h;

	memset(&h, 0, sizeof(h));
	h.type = NATT_PT_HANDSHAKE;
	h.dcid = c->peer_cid;
	h.scid = c->local_cid;
	h.pn = c->next_pn;
	c->rand(c->rand_arg, h.salt, sizeof(h.salt));
	return natt_header_encode(out, cap, &h) == NATT_HANDSHAKE_HDR_LEN ? NATT_OK
									  : NATT_ERR_CRYPTO;
}

/* Seals; on failure gives the stream chunks back for retransmission. */
static int seal(struct natt_rudp *c, struct builder *b, size_t cap)
{
	int n = natt_seal_seal(c->seal, NATT_SEAL_HANDSHAKE, b->out, NATT_HANDSHAKE_HDR_LEN,
			       b->off - NATT_HANDSHAKE_HDR_LEN, cap);

	if (n >= 0)
		return n;
	for (unsigned i = 0; i < b->rec.nchunks; i++)
		natt_sendbuf_on_lost(&c->sb, b->rec.chunk[i].offset, b->rec.chunk[i].len,
				     b->rec.chunk[i].fin);
	return NATT_ERR_CRYPTO;
}

/* Bookkeeping for a packet that is leaving. */
static void sent(struct natt_rudp *c, struct builder *b, size_t len, bool probe, natt_time_t now)
{
	c->next_pn++;
	c->amp_sent += len;
	c->st.packets_sent++;
	c->st.bytes_sent += len;
	if (b->has_ack)
		natt_ackr_on_sent(&c->ackr, now);
	if (b->has_max_data)
		c->max_data_pending = false;
	if (!b->eliciting) {
		c->st.ack_only_sent++;
		return;
	}
	c->ping_pending = false;
	if (probe)
		c->probes--;
	if (!c->eliciting_since_rx) {
		c->idle_base = now;
		c->eliciting_since_rx = true;
	}
	c->last_activity = now;
	b->rec.pn = c->next_pn - 1;
	b->rec.size = (uint32_t)len;
	if (probe)
		b->rec.flags |= NATT_SENT_PTO_PROBE;
	natt_rudp_on_sent(c, &b->rec, now);
}

static int build(struct natt_rudp *c, natt_time_t now, uint8_t *out, size_t cap, enum what w)
{
	struct builder b = {.out = out, .off = NATT_HANDSHAKE_HDR_LEN, .end = cap - NATT_TAG_LEN};
	bool probe = w == SEND_ELICITING && c->probes > 0;
	int rc = put_header(c, out, cap), n;

	if (rc != NATT_OK)
		return rc;
	if (natt_ackr_pending(&c->ackr) ||
	    (w == SEND_ELICITING && natt_ackr_unconfirmed(&c->ackr, now, c->rtt.smoothed / 4)))
		put_ack(c, &b, now, w == SEND_ACK_ONLY ? b.end - b.off : (b.end - b.off) / 2);
	if (w == SEND_ELICITING) {
		if (c->max_data_pending)
			put_max_data(c, &b);
		put_stream(c, &b, probe);
		if (!b.eliciting && (probe || c->ping_pending))
			put_ping(&b);
	}
	if (b.off == NATT_HANDSHAKE_HDR_LEN)
		return 0;
	n = seal(c, &b, cap);
	if (n < 0)
		return n;
	sent(c, &b, (size_t)n, probe, now);
	return n;
}

static int build_close(struct natt_rudp *c, natt_time_t now, uint8_t *out, size_t cap)
{
	struct builder b = {.out = out, .off = NATT_HANDSHAKE_HDR_LEN, .end = cap - NATT_TAG_LEN};
	struct natt_frame f = {.type = NATT_FT_CLOSE};
	int rc = put_header(c, out, cap), n;
	size_t need;

	if (rc != NATT_OK)
		return rc;
	f.close.code = c->ci.code;
	f.close.reason_len = (uint8_t)strlen(c->ci.reason);
	f.close.reason = (const uint8_t *)c->ci.reason;
	need = natt_frame_len(&f);
	if (c->ackr.any && b.end - b.off > need)
		put_ack(c, &b, now, b.end - b.off - need);
	if (put_frame(&b, &f) != NATT_OK)
		return 0; /* no room within the amplification budget: wait */
	n = seal(c, &b, cap);
	if (n < 0)
		return n;
	c->close_pending = false;
	sent(c, &b, (size_t)n, false, now);
	return n;
}

int natt_rudp_send(struct natt_rudp *c, natt_time_t now, uint8_t *out, size_t cap)
{
	uint64_t budget = natt_rudp_amp_budget(c);
	enum what w;

	if (cap > NATT_MAX_HANDSHAKE)
		cap = NATT_MAX_HANDSHAKE;
	if (cap < NATT_RUDP_MIN_PACKET)
		return NATT_ERR_BUFFER;
	if (c->state == NATT_RUDP_DRAINING || c->state == NATT_RUDP_CLOSED)
		return 0;
	if (budget < cap)
		cap = (size_t)budget;
	if (cap < NATT_RUDP_MIN_PACKET)
		return 0; /* anti-amplification: wait for the peer */
	if (c->state == NATT_RUDP_CLOSING)
		return c->close_pending ? build_close(c, now, out, cap) : 0;
	natt_rudp_update_window(c, now);
	w = decide(c, now);
	if (w == SEND_NOTHING)
		return 0;
	return build(c, now, out, cap, w);
}
