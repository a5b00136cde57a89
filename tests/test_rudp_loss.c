/*
 * test_rudp_loss.c: acknowledgements, RTT, loss detection, congestion
 * control and timers of the reliable stream (transport/rudp_loss.c and
 * friends), watched from outside: every datagram of a simulated transfer
 * is opened with the network key and its frames checked.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pair.h"
#include "unit.h"

#define MS	 NATT_MSEC
#define SEC	 NATT_SEC
#define KB	 1024
#define MAX_PKTS 8000

static const struct sim_link_cfg base_link = {
	.delay = 10 * MS,
	.rate = 12500000,
	.queue_limit = 256 * KB,
};

/* Everything each side sent, decoded. */
struct watch {
	size_t n[2];
	struct pair_pkt pkt[2][MAX_PKTS];
	natt_time_t at[2][MAX_PKTS];
	struct natt_rudp_stats st[2][MAX_PKTS]; /* sender's stats after sending it */
	int undecodable;
};

static void watch_packet(void *ctx, struct pair *p, int side, const uint8_t *pkt, size_t len)
{
	struct watch *w = ctx;
	size_t i = w->n[side];

	if (i >= MAX_PKTS)
		return;
	if (!pair_inspect(p, pkt, len, &w->pkt[side][i]))
		w->undecodable++;
	w->at[side][i] = p->now;
	natt_rudp_get_stats(p->side[side].conn, &w->st[side][i]);
	w->n[side]++;
}

static struct watch *watched_pair(struct pair *p, uint64_t seed, const struct sim_link_cfg *cfg,
				  const struct natt_rudp_limits *lim)
{
	struct watch *w = calloc(1, sizeof(*w));

	CU_ASSERT_PTR_NOT_NULL_FATAL(w);
	CU_ASSERT_EQUAL_FATAL(pair_init(p, seed, lim, lim), 0);
	pair_link_both(p, cfg);
	p->on_packet = watch_packet;
	p->on_packet_ctx = w;
	return w;
}

/* Packet numbers: 0, 1, 2, ... in each direction, retransmissions included. */
static void test_pn_never_reused(void)
{
	struct sim_link_cfg cfg = base_link;
	struct pair p;
	struct watch *w;
	int bad = 0;

	cfg.loss = 0.10;
	w = watched_pair(&p, 11, &cfg, NULL);
	pair_transfer(&p, 0, 2 * 1024 * 1024, true);
	pair_transfer(&p, 1, 100 * KB, true);
	CU_ASSERT_EQUAL_FATAL(pair_run(&p, 3600 * SEC, pair_delivered), 0);
	CU_ASSERT_EQUAL(w->undecodable, 0);
	for (int s = 0; s < 2; s++)
		for (size_t i = 0; i < w->n[s]; i++)
			bad += w->pkt[s][i].pn != i;
	CU_ASSERT_EQUAL(bad, 0);
	CU_ASSERT(p.side[0].packets_out < MAX_PKTS);
	pair_free(&p);
	free(w);
}

/* Drops the client's packets with the listed numbers. */
struct dropper {
	const uint64_t *pns;
	size_t npns;
	bool received[MAX_PKTS]; /* client packet numbers the server got */
};

static struct dropper *dropper_new(const uint64_t *pns, size_t n)
{
	struct dropper *d = calloc(1, sizeof(*d));

	CU_ASSERT_PTR_NOT_NULL_FATAL(d);
	d->pns = pns;
	d->npns = n;
	return d;
}

static bool drop_some(void *ctx, struct sim *s, enum sim_hook_point at, struct sim_addr *from,
		      struct sim_addr *to, const uint8_t *data, size_t len)
{
	struct dropper *d = ctx;
	struct natt_header h;

	(void)s;
	(void)to;
	if (from->ip != PAIR_IP(0) || natt_header_decode(&h, data, len) != NATT_OK)
		return true;
	for (size_t i = 0; i < d->npns; i++)
		if (h.pn == d->pns[i])
			return false;
	if (at == SIM_HOOK_DELIVER && h.pn < MAX_PKTS)
		d->received[h.pn] = true;
	return true;
}

/*
 * The server's ACK frames acknowledge exactly packets it received (never a
 * dropped one), the client declares exactly the dropped ones lost, and the
 * acknowledgements come every second ack-eliciting packet.
 */
static void test_ack_ranges(void)
{
	static const uint64_t drop_pns[] = {10, 11, 15, 40};
	struct dropper *d = dropper_new(drop_pns, 4);
	struct natt_rudp_stats st;
	struct pair p;
	struct watch *w = watched_pair(&p, 12, &base_link, NULL);
	size_t wrong = 0, acks = 0, data_pkts = 0, multi = 0;

	sim_set_hook(p.sim, drop_some, d);
	pair_transfer(&p, 0, 1024 * 1024, true);
	CU_ASSERT_EQUAL_FATAL(pair_run(&p, 600 * SEC, pair_delivered), 0);
	for (size_t i = 0; i < w->n[1]; i++) {
		const struct natt_frame *f = &w->pkt[1][i].ack;

		if (!w->pkt[1][i].has_ack)
			continue;
		acks++;
		multi += f->ack.range_count > 0;
		for (unsigned r = 0; r <= f->ack.range_count; r++) {
			uint64_t lo, hi;

			CU_ASSERT_EQUAL_FATAL(natt_ack_interval(f, r, &lo, &hi), NATT_OK);
			for (uint64_t pn = lo; pn <= hi; pn++)
				wrong += pn >= MAX_PKTS || !d->received[pn];
		}
	}
	for (size_t i = 0; i < w->n[0]; i++)
		data_pkts += w->pkt[0][i].eliciting;
	natt_rudp_get_stats(p.side[0].conn, &st);
	CU_ASSERT_EQUAL(wrong, 0);
	CU_ASSERT(multi > 0); /* selective ranges were used */
	CU_ASSERT_EQUAL(st.packets_lost, 4);
	/* Every second ack-eliciting packet (a few more around the gaps). */
	CU_ASSERT(acks >= data_pkts / 2 && acks <= data_pkts / 2 + 20);
	fprintf(stderr, "[%zu data packets, %zu ACKs, %zu with ranges] ", data_pkts, acks, multi);
	pair_free(&p);
	free(w);
	free(d);
}

/* A lone ack-eliciting packet is acknowledged after max_ack_delay; an
 * ACK-only packet is never acknowledged by itself. */
static void test_ack_delay_and_ack_only(void)
{
	struct sim_link_cfg plain = {.delay = 10 * MS};
	struct pair p;
	struct watch *w = watched_pair(&p, 13, &plain, NULL);
	size_t acks_of_acks = 0;

	pair_transfer(&p, 0, 100, false);
	pair_run(&p, 2 * SEC, NULL);
	CU_ASSERT_EQUAL_FATAL(w->n[0], 1);
	CU_ASSERT_EQUAL_FATAL(w->n[1], 1);
	CU_ASSERT_TRUE(w->pkt[1][0].has_ack);
	CU_ASSERT_FALSE(w->pkt[1][0].eliciting);
	/* Sent at 0, arrives at 10 ms, acknowledged 25 ms later. */
	CU_ASSERT_EQUAL(w->at[1][0], 10 * MS + 25 * MS);
	pair_free(&p);
	free(w);

	/* One-way transfer: the client answers the server's MAX_DATA packets,
	 * never its many ACK-only packets. */
	w = watched_pair(&p, 14, &base_link, NULL);
	pair_transfer(&p, 0, 2 * 1024 * 1024, true);
	CU_ASSERT_EQUAL_FATAL(pair_run(&p, 600 * SEC, pair_delivered), 0);
	size_t srv_eliciting = 0, srv_ack_only = 0, cli_ack_only = 0;

	for (size_t i = 0; i < w->n[1]; i++) {
		srv_eliciting += w->pkt[1][i].eliciting;
		srv_ack_only += !w->pkt[1][i].eliciting;
	}
	for (size_t i = 0; i < w->n[0]; i++) {
		acks_of_acks += w->pkt[0][i].has_ack;
		cli_ack_only += !w->pkt[0][i].eliciting;
	}
	CU_ASSERT(srv_ack_only > 500);
	/* ACK-only packets from the client answer only the server's
	 * ack-eliciting ones; ACK frames riding on data repeat those few
	 * acknowledgements (a handful per round trip), not the 900. */
	CU_ASSERT(cli_ack_only <= srv_eliciting);
	CU_ASSERT(acks_of_acks <= 10 * srv_eliciting);
	fprintf(stderr, "[server: %zu ack-only, %zu eliciting; client: %zu ACK-only, %zu ACKs] ",
		srv_ack_only, srv_eliciting, cli_ack_only, acks_of_acks);
	pair_free(&p);
	free(w);
}

/* On a 20 ms path the estimator converges to 20 ms plus queueing. */
static void test_rtt_on_path(void)
{
	struct natt_rudp_stats st;
	struct pair p;

	CU_ASSERT_EQUAL_FATAL(pair_init(&p, 15, NULL, NULL), 0);
	pair_link_both(&p, &base_link);
	pair_transfer(&p, 0, 200 * KB, true);
	CU_ASSERT_EQUAL_FATAL(pair_run(&p, 60 * SEC, pair_delivered), 0);
	natt_rudp_get_stats(p.side[0].conn, &st);
	CU_ASSERT(st.min_rtt >= 20 * MS && st.min_rtt < 22 * MS);
	CU_ASSERT(st.srtt >= 20 * MS && st.srtt < 30 * MS);
	CU_ASSERT(st.rttvar < 10 * MS);
	pair_free(&p);
}

/* One loss in slow start: the window halves once (ssthresh = cwnd), no
 * growth during recovery, then about one packet per round trip. */
static void test_newreno_on_loss(void)
{
	static const uint64_t drop_pns[] = {10, 11, 15};
	struct dropper *d = dropper_new(drop_pns, 3);
	struct pair p;
	struct watch *w = watched_pair(&p, 16, &base_link, NULL);
	size_t k = 0;
	uint64_t before = 0, peak = 0;

	sim_set_hook(p.sim, drop_some, d);
	pair_transfer(&p, 0, 3 * 1024 * 1024, true);
	CU_ASSERT_EQUAL_FATAL(pair_run(&p, 600 * SEC, pair_delivered), 0);
	/* The first packet sent after the first loss was declared. */
	while (k < w->n[0] && w->st[0][k].packets_lost == 0) {
		before = w->st[0][k].cwnd;
		peak = before > peak ? before : peak;
		k++;
	}
	CU_ASSERT_FATAL(k < w->n[0]);
	CU_ASSERT_EQUAL(w->st[0][k].congestion_events, 1);
	CU_ASSERT_EQUAL(w->st[0][k].cwnd, w->st[0][k].ssthresh);
	/* Half of the window at detection, which grew by the bytes that
	 * ACKs acknowledged since the last packet sent (a few packets). */
	CU_ASSERT(w->st[0][k].cwnd >= before / 2);
	CU_ASSERT(w->st[0][k].cwnd <= (before + 8 * 1232) / 2);
	/* The three drops were in one flight: one recovery period, one cut. */
	CU_ASSERT_EQUAL(w->st[0][w->n[0] - 1].congestion_events, 1);
	CU_ASSERT(w->st[0][w->n[0] - 1].cwnd > w->st[0][k].cwnd);
	fprintf(stderr, "[cwnd %llu -> %llu] ", (unsigned long long)before,
		(unsigned long long)w->st[0][k].cwnd);
	pair_free(&p);
	free(w);
	free(d);
}

/* ---- timers ---- */

static void blackhole_from(struct pair *p, natt_time_t t)
{
	struct sim_link_cfg cfg = base_link;

	cfg.nblackout = 1;
	cfg.blackout[0].start = t;
	cfg.blackout[0].end = NATT_TIME_NEVER;
	pair_link_both(p, &cfg);
}

static void test_unreachable(void)
{
	struct natt_rudp_limits lim;
	struct natt_rudp_close_info ci;
	struct natt_rudp_stats st;
	struct pair p;

	natt_rudp_limits_default(&lim);
	lim.max_ptos = 3;
	lim.idle_timeout = 0;
	CU_ASSERT_EQUAL_FATAL(pair_init(&p, 17, &lim, &lim), 0);
	blackhole_from(&p, 200 * MS);
	pair_transfer(&p, 0, 10 * 1024 * 1024, false);
	pair_run(&p, 600 * SEC, NULL);
	CU_ASSERT_EQUAL(natt_rudp_state(p.side[0].conn), NATT_RUDP_CLOSED);
	natt_rudp_get_close_info(p.side[0].conn, &ci);
	CU_ASSERT_EQUAL(ci.end, NATT_RUDP_END_UNREACHABLE);
	natt_rudp_get_stats(p.side[0].conn, &st);
	CU_ASSERT_EQUAL(st.pto_count_total, 4);
	/* PTO ~ 20 + 4 x 5 + 25 ms; 1 + 2 + 4 + 8 of them: well under 5 s. */
	CU_ASSERT(p.now < 200 * MS + 5 * SEC);
	pair_free(&p);
}

static void test_max_pto_cap(void)
{
	struct natt_rudp_limits lim;
	struct pair p;
	struct watch *w;
	natt_time_t prev = 0, gap_max = 0;

	natt_rudp_limits_default(&lim);
	lim.max_ptos = 12;
	lim.idle_timeout = 0;
	lim.max_pto = 2 * SEC;
	w = watched_pair(&p, 18, &base_link, &lim);
	blackhole_from(&p, 100 * MS);
	pair_transfer(&p, 0, 1024 * 1024, false);
	pair_run(&p, 3600 * SEC, NULL);
	for (size_t i = 0; i < w->n[0]; i++) {
		if (w->at[0][i] > 200 * MS && prev != 0 && w->at[0][i] - prev > gap_max)
			gap_max = w->at[0][i] - prev;
		prev = w->at[0][i];
	}
	CU_ASSERT_EQUAL(gap_max, 2 * SEC); /* backoff stopped at the cap */
	CU_ASSERT_EQUAL(natt_rudp_state(p.side[0].conn), NATT_RUDP_CLOSED);
	pair_free(&p);
	free(w);
}

static void test_idle_timeout(void)
{
	struct natt_rudp_limits lim;
	struct natt_rudp_close_info ci;
	struct pair p;

	natt_rudp_limits_default(&lim);
	lim.idle_timeout = 5 * SEC;
	CU_ASSERT_EQUAL_FATAL(pair_init(&p, 19, &lim, &lim), 0);
	pair_link_both(&p, &base_link);
	pair_transfer(&p, 0, 1000, false);
	pair_transfer(&p, 1, 1000, false);
	/* Both idle after ~60 ms; nothing is sent; both time out at 5 s after
	 * their last receipt (the delayed ACKs are the last packets). */
	CU_ASSERT_EQUAL(pair_run(&p, 600 * SEC, NULL), 2);
	for (int i = 0; i < 2; i++) {
		CU_ASSERT_EQUAL(natt_rudp_state(p.side[i].conn), NATT_RUDP_CLOSED);
		natt_rudp_get_close_info(p.side[i].conn, &ci);
		CU_ASSERT_EQUAL(ci.end, NATT_RUDP_END_IDLE_TIMEOUT);
	}
	CU_ASSERT(p.now >= 5 * SEC && p.now <= 5 * SEC + 200 * MS);
	pair_free(&p);
}

static void test_keepalive(void)
{
	struct natt_rudp_limits lim;
	struct pair p;
	struct watch *w;
	size_t pings = 0;

	natt_rudp_limits_default(&lim);
	lim.idle_timeout = 5 * SEC;
	lim.keepalive = 1 * SEC;
	w = watched_pair(&p, 20, &base_link, &lim);
	CU_ASSERT_EQUAL(pair_run(&p, 60 * SEC, NULL), 1);
	for (int i = 0; i < 2; i++) {
		CU_ASSERT_EQUAL(natt_rudp_state(p.side[i].conn), NATT_RUDP_OPEN);
		for (size_t k = 0; k < w->n[i]; k++)
			pings += w->pkt[i][k].has_ping;
	}
	/* About one PING a second from whichever side goes first. */
	CU_ASSERT(pings >= 40 && pings <= 130);
	pair_free(&p);
	free(w);

	/* Without keepalive the same pair dies at the idle timeout. */
	lim.keepalive = 0;
	CU_ASSERT_EQUAL_FATAL(pair_init(&p, 20, &lim, &lim), 0);
	pair_run(&p, 60 * SEC, NULL);
	CU_ASSERT_EQUAL(natt_rudp_state(p.side[0].conn), NATT_RUDP_CLOSED);
	pair_free(&p);
}

/* ---- protocol violations ---- */

static void zero_rand(void *user, uint8_t *buf, size_t len)
{
	(void)user;
	memset(buf, 0x42, len);
}

/* A sealed packet from cid 1 to cid 2 carrying one frame. */
static int forge(struct natt_seal *seal, uint64_t pn, const struct natt_frame *f, uint8_t *out)
{
	struct natt_header h = {.type = NATT_PT_HANDSHAKE, .dcid = 2, .scid = 1, .pn = pn};
	int hl = natt_header_encode(out, NATT_MAX_HANDSHAKE, &h);
	int fl = natt_frame_encode(out + hl, NATT_MAX_HANDSHAKE - (size_t)hl - NATT_TAG_LEN, f);

	return natt_seal_seal(seal, NATT_SEAL_HANDSHAKE, out, (size_t)hl, (size_t)fl,
			      NATT_MAX_HANDSHAKE);
}

static void check_violation(const struct natt_frame *f)
{
	uint8_t key[NATT_KEY_LEN] = {5}, pkt[NATT_MAX_HANDSHAKE];
	struct natt_rudp_close_info ci;
	struct natt_seal *seal;
	struct natt_rudp *srv;
	struct pair_pkt pp;
	struct pair fake;
	int n;

	natt_seal_new(&seal, key);
	natt_rudp_new(&srv, NATT_RUDP_SERVER, 2, 1, seal, zero_rand, NULL, NULL, 0);
	n = forge(seal, 0, f, pkt);
	CU_ASSERT_FATAL(n > 0);
	CU_ASSERT_EQUAL(natt_rudp_recv(srv, 1000, pkt, (size_t)n), NATT_OK);
	CU_ASSERT_EQUAL(natt_rudp_state(srv), NATT_RUDP_CLOSING);
	natt_rudp_get_close_info(srv, &ci);
	CU_ASSERT_EQUAL(ci.end, NATT_RUDP_END_PROTOCOL);
	CU_ASSERT_EQUAL(ci.code, NATT_CLOSE_PROTOCOL_VIOLATION);
	/* It says so, within 3x what it received. */
	n = natt_rudp_send(srv, 1000, pkt, sizeof(pkt));
	CU_ASSERT(n > 0);
	memset(&fake, 0, sizeof(fake));
	fake.seal = seal;
	CU_ASSERT_TRUE(pair_inspect(&fake, pkt, (size_t)n, &pp));
	CU_ASSERT_TRUE(pp.has_close);
	CU_ASSERT_EQUAL(pp.close_code, NATT_CLOSE_PROTOCOL_VIOLATION);
	CU_ASSERT_EQUAL(natt_rudp_send(srv, 1000, pkt, sizeof(pkt)), 0);
	/* CLOSING lasts 3 PTO, then CLOSED. */
	natt_rudp_on_timeout(srv, natt_rudp_deadline(srv));
	CU_ASSERT_EQUAL(natt_rudp_state(srv), NATT_RUDP_CLOSED);
	natt_rudp_free(srv);
	natt_seal_free(seal);
}

static void test_violations(void)
{
	static const uint8_t data[100];
	struct natt_frame ack = {.type = NATT_FT_ACK};
	struct natt_frame stream = {.type = NATT_FT_STREAM};

	ack.ack.largest = 1000; /* the server never sent anything */
	check_violation(&ack);
	stream.stream.offset = NATT_RUDP_INITIAL_MAX_DATA - 50; /* crosses MAX_DATA */
	stream.stream.len = 100;
	stream.stream.data = data;
	check_violation(&stream);
}

/* A random frame that the wire codec accepts. */
static void random_frame(struct sim_prng *rng, struct natt_frame *f, const uint8_t *data,
			 uint64_t sent)
{
	uint64_t r = sim_prng_next(rng), kind = r % 32;

	memset(f, 0, sizeof(*f));
	if (kind < 10) {
		f->type = NATT_FT_ACK;
		/* Mostly packets that were sent; sometimes one that was not. */
		f->ack.largest =
			sim_prng_next(rng) % ((r >> 8) % 16 == 0 ? 64 : sent + (sent == 0));
		f->ack.first_range = (uint32_t)(sim_prng_next(rng) % (f->ack.largest + 1));
		f->ack.ack_delay_us = (uint32_t)sim_prng_next(rng);
	} else if (kind < 26) {
		f->type = NATT_FT_STREAM;
		f->stream.offset = (r >> 8) % 64 == 0 ? NATT_STREAM_MAX_OFFSET - 1000
						      : sim_prng_next(rng) % 70000;
		f->stream.len = (uint16_t)(sim_prng_next(rng) % 600);
		f->stream.fin = (r >> 16) % 32 == 0;
		f->stream.data = data;
	} else if (kind < 28) {
		f->type = NATT_FT_MAX_DATA;
		f->max_data.max = sim_prng_next(rng);
	} else if (kind < 29) {
		f->type = NATT_FT_CLOSE;
		f->close.code = (uint16_t)((r >> 8) % 8);
	} else if (kind < 30) {
		f->type = NATT_FT_PADDING;
		f->padding.len = 1 + (r >> 8) % 20;
	} else {
		f->type = NATT_FT_PING;
	}
}

/*
 * An authenticated but hostile peer (it holds the network key) sends
 * random valid frames: the connection never crashes, never holds more
 * out-of-order data than its limit, and either stays open or closes with a
 * reason.
 */
static void test_random_frames(void)
{
	static const uint8_t data[600];
	uint8_t key[NATT_KEY_LEN] = {7}, pkt[NATT_MAX_HANDSHAKE], out[NATT_MAX_HANDSHAKE];
	struct natt_rudp_limits lim;
	struct natt_seal *seal;
	struct natt_rudp *srv = NULL;
	struct sim_prng rng;
	uint64_t pn = 0;
	int bad = 0, conns = 0;
	struct natt_rudp_stats st;

	natt_rudp_limits_default(&lim);
	lim.ooo_limit = 8 * KB;
	natt_seal_new(&seal, key);
	sim_prng_seed(&rng, 23);
	for (int i = 0; i < 20000; i++) {
		struct natt_rudp_close_info ci;
		struct natt_frame f;
		natt_time_t now = (natt_time_t)i * 1000;
		int n, rc;

		if (srv == NULL || natt_rudp_state(srv) != NATT_RUDP_OPEN) {
			natt_rudp_free(srv);
			natt_rudp_new(&srv, NATT_RUDP_SERVER, 2, 1, seal, zero_rand, NULL, &lim,
				      now);
			natt_rudp_write(srv, data, sizeof(data));
			pn = 0;
			conns++;
		}
		natt_rudp_get_stats(srv, &st);
		random_frame(&rng, &f, data, st.packets_sent);
		n = forge(seal, pn++, &f, pkt);
		rc = natt_rudp_recv(srv, now, pkt, (size_t)n);
		bad += rc != NATT_OK && rc != NATT_ERR_FULL && rc != NATT_ERR_CLOSED;
		while (natt_rudp_send(srv, now, out, sizeof(out)) > 0)
			;
		if (natt_rudp_deadline(srv) <= now + 1000)
			natt_rudp_on_timeout(srv, now + 1000);
		natt_rudp_get_close_info(srv, &ci);
		bad += natt_rudp_state(srv) != NATT_RUDP_OPEN && ci.end == NATT_RUDP_END_NONE;
	}
	natt_rudp_get_stats(srv, &st);
	CU_ASSERT_EQUAL(bad, 0);
	CU_ASSERT(st.ooo_bytes_max <= 8 * KB);
	CU_ASSERT(conns > 1); /* violations were detected and closed */
	fprintf(stderr, "[%d connections] ", conns);
	natt_rudp_free(srv);
	natt_seal_free(seal);
}

/* Same seed, same run, byte for byte; another seed, another run. */
static uint64_t run_hash(uint64_t seed)
{
	struct sim_link_cfg cfg = base_link;
	struct pair p;
	uint64_t h;

	cfg.loss = 0.05;
	cfg.jitter = 3 * MS;
	cfg.dup = 0.02;
	if (pair_init(&p, seed, NULL, NULL) != 0)
		return 0;
	pair_link_both(&p, &cfg);
	pair_transfer(&p, 0, 300 * KB, true);
	pair_transfer(&p, 1, 300 * KB, true);
	pair_run(&p, 600 * SEC, pair_delivered);
	h = sim_trace_hash(p.sim) ^ p.now;
	pair_free(&p);
	return h;
}

static void test_determinism(void)
{
	CU_ASSERT_EQUAL(run_hash(21), run_hash(21));
	CU_ASSERT_NOT_EQUAL(run_hash(21), run_hash(22));
}

static const struct natt_test tests[] = {
	{"packet numbers never reused", test_pn_never_reused},
	{"ACK ranges: only what arrived, losses found", test_ack_ranges},
	{"ACK delay 25 ms; ACK-only not ack-eliciting", test_ack_delay_and_ack_only},
	{"RTT on a 20 ms path", test_rtt_on_path},
	{"NewReno halves once per recovery", test_newreno_on_loss},
	{"unreachable after max_ptos", test_unreachable},
	{"PTO backoff capped at max_pto", test_max_pto_cap},
	{"idle timeout", test_idle_timeout},
	{"keepalive PINGs keep it open", test_keepalive},
	{"protocol violations get CLOSE(2)", test_violations},
	{"random authenticated frames", test_random_frames},
	{"deterministic replay", test_determinism},
	{NULL, NULL},
};

int natt_suite_rudp_loss(void)
{
	return natt_add_suite("rudp_loss", tests);
}
