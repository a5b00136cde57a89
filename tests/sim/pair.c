/* pair.c: two rudp connections over the simulated network (pair.h). */
#include <string.h>

#include "pair.h"

#define APP_CHUNK	   65536
#define MAX_SENDS_PER_TURN 100000
#define MAX_SPINS	   100000

static const uint8_t network_key[NATT_KEY_LEN] = {
	0x6e, 0x61, 0x74, 0x74, 0x2d, 0x73, 0x69, 0x6d, 0x2d, 0x74, 0x65,
	0x73, 0x74, 0x2d, 0x6b, 0x65, 0x79, 0x2d, 0x6e, 0x6f, 0x74, 0x2d,
	0x61, 0x2d, 0x73, 0x65, 0x63, 0x72, 0x65, 0x74, 0x21, 0x0a,
};

/* A cheap position-dependent pattern: a mix of the 8-byte word index. */
static uint64_t pattern_word(int side, uint64_t word)
{
	uint64_t z = word * UINT64_C(0x9e3779b97f4a7c15) + (uint64_t)(side + 1);

	z = (z ^ (z >> 31)) * UINT64_C(0xbf58476d1ce4e5b9);
	return z ^ (z >> 29);
}

uint8_t pair_pattern(int side, uint64_t offset)
{
	return (uint8_t)(pattern_word(side, offset / 8) >> (8 * (offset % 8)));
}

static void fill_pattern(int side, uint64_t offset, uint8_t *buf, size_t len)
{
	for (size_t i = 0; i < len; i++)
		buf[i] = pair_pattern(side, offset + i);
}

static struct sim_addr addr_of(int side)
{
	struct sim_addr a = {PAIR_IP(side), PAIR_PORT(side)};

	return a;
}

int pair_init(struct pair *p, uint64_t seed, const struct natt_rudp_limits *lim0,
	      const struct natt_rudp_limits *lim1)
{
	memset(p, 0, sizeof(*p));
	p->sim = sim_new(seed);
	sim_prng_seed(&p->salt_rng, seed ^ UINT64_C(0x5a17));
	for (int i = 0; i < 2; i++)
		p->side[i].bad_at = UINT64_MAX;
	if (p->sim == NULL || natt_seal_new(&p->seal, network_key) != NATT_OK)
		goto fail;
	if (natt_rudp_new(&p->side[0].conn, NATT_RUDP_CLIENT, 0x1111, 0x2222, p->seal,
			  sim_prng_fill, &p->salt_rng, lim0, 0) != NATT_OK ||
	    natt_rudp_new(&p->side[1].conn, NATT_RUDP_SERVER, 0x2222, 0x1111, p->seal,
			  sim_prng_fill, &p->salt_rng, lim1, 0) != NATT_OK)
		goto fail;
	return 0;
fail:
	pair_free(p);
	return -1;
}

void pair_free(struct pair *p)
{
	for (int i = 0; i < 2; i++) {
		natt_rudp_free(p->side[i].conn);
		p->side[i].conn = NULL;
	}
	natt_seal_free(p->seal);
	p->seal = NULL;
	sim_free(p->sim);
	p->sim = NULL;
}

void pair_transfer(struct pair *p, int side, uint64_t bytes, bool close_after)
{
	p->side[side].to_write = bytes;
	p->side[side].close_after = close_after;
}

bool pair_delivered(const struct pair *p)
{
	for (int i = 0; i < 2; i++) {
		const struct pair_side *w = &p->side[i], *r = &p->side[1 - i];

		if (r->read < w->to_write || r->bad_at != UINT64_MAX)
			return false;
		if (w->close_after && !natt_rudp_read_eof(r->conn))
			return false;
	}
	return true;
}

static void app_write(struct pair *p, int side)
{
	struct pair_side *s = &p->side[side];
	uint8_t buf[APP_CHUNK];

	while (s->written < s->to_write) {
		size_t n =
			s->to_write - s->written < APP_CHUNK ? s->to_write - s->written : APP_CHUNK;
		size_t space = natt_rudp_write_space(s->conn);
		long w;

		if (n > space)
			n = space;
		if (n == 0)
			break;
		fill_pattern(side, s->written, buf, n);
		w = natt_rudp_write(s->conn, buf, n);
		if (w <= 0)
			break;
		s->written += (uint64_t)w;
	}
	if (s->close_after && s->written == s->to_write &&
	    natt_rudp_state(s->conn) == NATT_RUDP_OPEN)
		natt_rudp_close(s->conn);
}

static void app_read(struct pair *p, int side)
{
	struct pair_side *s = &p->side[side];
	uint8_t buf[APP_CHUNK];
	size_t n;

	if (s->read_paused)
		return;
	while ((n = natt_rudp_read(s->conn, buf, sizeof(buf))) > 0) {
		for (size_t i = 0; i < n && s->bad_at == UINT64_MAX; i++)
			if (buf[i] != pair_pattern(1 - side, s->read + i))
				s->bad_at = s->read + i;
		s->read += n;
	}
}

static void flush(struct pair *p, int side)
{
	struct pair_side *s = &p->side[side];
	uint8_t pkt[NATT_MAX_HANDSHAKE];
	int n, i = 0;

	while (i++ < MAX_SENDS_PER_TURN &&
	       (n = natt_rudp_send(s->conn, p->now, pkt, sizeof(pkt))) > 0) {
		s->packets_out++;
		s->bytes_out += (uint64_t)n;
		if (p->on_packet != NULL)
			p->on_packet(p->on_packet_ctx, p, side, pkt, (size_t)n);
		sim_send(p->sim, addr_of(side), addr_of(1 - side), pkt, (size_t)n);
	}
}

static void deliver(void *ctx, struct sim *s, struct sim_addr from, struct sim_addr to,
		    const uint8_t *data, size_t len, natt_time_t at)
{
	struct pair *p = ctx;
	int side = to.ip == PAIR_IP(0) ? 0 : 1;

	(void)s;
	(void)from;
	p->now = at;
	if (natt_rudp_recv(p->side[side].conn, at, data, len) != NATT_OK)
		p->side[side].recv_dropped++;
	/* Answer at the arrival time, as a real endpoint would. */
	app_read(p, side);
	flush(p, side);
}

static natt_time_t next_time(const struct pair *p)
{
	natt_time_t t = sim_next_event_time(p->sim);

	for (int i = 0; i < 2; i++) {
		natt_time_t d = natt_rudp_deadline(p->side[i].conn);

		if (d < t)
			t = d;
	}
	return t;
}

static void turn(struct pair *p)
{
	for (int i = 0; i < 2; i++) {
		app_read(p, i);
		app_write(p, i);
		flush(p, i);
	}
}

int pair_run(struct pair *p, natt_time_t until, bool (*done)(const struct pair *p))
{
	for (;;) {
		natt_time_t t, before = p->now;

		turn(p);
		if (done != NULL && done(p))
			return 0;
		t = next_time(p);
		if (t == NATT_TIME_NEVER)
			return 2;
		if (t > until)
			return 1;
		if (t < p->now)
			t = p->now;
		sim_deliver_due(p->sim, t, deliver, p);
		p->now = t;
		for (int i = 0; i < 2; i++)
			if (natt_rudp_deadline(p->side[i].conn) <= t)
				natt_rudp_on_timeout(p->side[i].conn, t);
		p->spins = p->now == before ? p->spins + 1 : 0;
		if (p->spins > MAX_SPINS)
			return 3;
	}
}

int pair_link_both(struct pair *p, const struct sim_link_cfg *cfg)
{
	if (sim_set_link(p->sim, PAIR_IP(0), PAIR_IP(1), cfg) != 0)
		return -1;
	return sim_set_link(p->sim, PAIR_IP(1), PAIR_IP(0), cfg);
}

static void note_frame(struct pair_pkt *out, const struct natt_frame *f)
{
	out->eliciting |= natt_frame_ack_eliciting(f->type);
	switch (f->type) {
	case NATT_FT_ACK:
		out->has_ack = true;
		out->ack = *f;
		break;
	case NATT_FT_STREAM:
		out->has_stream = true;
		out->stream_bytes += f->stream.len;
		break;
	case NATT_FT_PING: out->has_ping = true; break;
	case NATT_FT_MAX_DATA: out->has_max_data = true; break;
	case NATT_FT_CLOSE:
		out->has_close = true;
		out->close_code = f->close.code;
		break;
	}
}

bool pair_inspect(const struct pair *p, const uint8_t *pkt, size_t len, struct pair_pkt *out)
{
	uint8_t buf[NATT_MAX_HANDSHAKE];
	struct natt_header h;
	struct natt_frame f;
	int body;

	memset(out, 0, sizeof(*out));
	if (natt_header_decode(&h, pkt, len) != NATT_OK || h.type != NATT_PT_HANDSHAKE)
		return false;
	memcpy(buf, pkt, len);
	body = natt_seal_open(p->seal, NATT_SEAL_HANDSHAKE, buf, h.len, len);
	if (body < 0)
		return false;
	out->pn = h.pn;
	for (size_t off = 0; off < (size_t)body;) {
		int n = natt_frame_decode(&f, buf + h.len + off, (size_t)body - off);

		if (n < 0)
			return false;
		off += (size_t)n;
		note_frame(out, &f);
	}
	return true;
}
