/*
 * test_rudp.c: the reliable stream (transport/rudp*.c) end to end over the
 * simulated network (tests/sim): byte-exact delivery under loss, bursts,
 * reordering, duplication and a blackout (large transfers, and 100 seeds
 * of small ones), no retransmission storms, anti-amplification, bounded
 * memory, flow control, close and abort, and what the receiver does with
 * packets it must drop.
 *
 * NATT_TEST_BIG_MB (default 10) sets the size of the large transfers.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pair.h"
#include "unit.h"

#define MS    NATT_MSEC
#define SEC   NATT_SEC
#define KB    1024
#define SEEDS 100
#define SMALL (20 * KB)

/* 100 Mbit/s, 20 ms round trip, a 256 KB drop-tail queue. */
static const struct sim_link_cfg base_link = {
	.delay = 10 * MS,
	.rate = 12500000,
	.queue_limit = 256 * KB,
};

static uint64_t big_bytes(void)
{
	const char *e = getenv("NATT_TEST_BIG_MB");
	long mb = e != NULL ? atol(e) : 10;

	return (uint64_t)(mb > 0 ? mb : 10) * 1024 * 1024;
}

enum scenario {
	CLEAN,
	LOSS_2,
	LOSS_10,
	BURST_30,
	REORDER,
	DUPLICATE,
	BLACKOUT,
};

static struct sim_link_cfg scenario_link(enum scenario sc, natt_time_t blackout_at)
{
	struct sim_link_cfg c = base_link;

	switch (sc) {
	case CLEAN: break;
	case LOSS_2: c.loss = 0.02; break;
	case LOSS_10: c.loss = 0.10; break;
	case BURST_30:
		c.burst_loss = 0.30;
		c.burst_len = 3;
		break;
	case REORDER:
		c.jitter = 2 * MS;
		c.reorder = 0.10;
		c.reorder_delay = 8 * MS;
		break;
	case DUPLICATE:
		c.dup = 0.10;
		c.jitter = 1 * MS;
		break;
	case BLACKOUT:
		c.nblackout = 1;
		c.blackout[0].start = blackout_at;
		c.blackout[0].end = blackout_at + 2 * SEC;
		break;
	}
	return c;
}

/* A transfer of bytes0 client->server and bytes1 back, both closing their
 * stream; returns pair_run's code with the pair still alive. */
static int transfer(struct pair *p, uint64_t seed, enum scenario sc, natt_time_t blackout_at,
		    uint64_t bytes0, uint64_t bytes1)
{
	struct sim_link_cfg cfg = scenario_link(sc, blackout_at);

	if (pair_init(p, seed, NULL, NULL) != 0 || pair_link_both(p, &cfg) != 0)
		return -1;
	pair_transfer(p, 0, bytes0, true);
	pair_transfer(p, 1, bytes1, true);
	return pair_run(p, 3600 * SEC, pair_delivered);
}

static bool both_closed(const struct pair *p)
{
	return natt_rudp_state(p->side[0].conn) == NATT_RUDP_CLOSED &&
	       natt_rudp_state(p->side[1].conn) == NATT_RUDP_CLOSED;
}

static void check_big(enum scenario sc)
{
	struct pair p;
	uint64_t n = big_bytes();
	struct natt_rudp_close_info ci;
	int rc = transfer(&p, 1000 + sc, sc, 500 * MS, n, 64 * KB);

	CU_ASSERT_EQUAL_FATAL(rc, 0);
	CU_ASSERT_EQUAL(p.side[1].read, n);
	CU_ASSERT_EQUAL(p.side[1].bad_at, UINT64_MAX);
	CU_ASSERT_EQUAL(p.side[0].read, 64 * KB);
	CU_ASSERT_EQUAL(p.side[0].bad_at, UINT64_MAX);
	CU_ASSERT_TRUE(natt_rudp_read_eof(p.side[1].conn));
	/* And the connection then closes in order on both sides. */
	CU_ASSERT_EQUAL(pair_run(&p, p.now + 600 * SEC, both_closed), 0);
	for (int i = 0; i < 2; i++) {
		natt_rudp_get_close_info(p.side[i].conn, &ci);
		CU_ASSERT_EQUAL(ci.end, NATT_RUDP_END_ORDERLY);
		CU_ASSERT_EQUAL(ci.code, NATT_CLOSE_NO_ERROR);
	}
	pair_free(&p);
}

static void test_big_clean(void)
{
	check_big(CLEAN);
}

static void test_big_loss2(void)
{
	check_big(LOSS_2);
}

static void test_big_loss10(void)
{
	check_big(LOSS_10);
}

static void test_big_burst30(void)
{
	check_big(BURST_30);
}

static void test_big_reorder(void)
{
	check_big(REORDER);
}

static void test_big_duplicate(void)
{
	check_big(DUPLICATE);
}

static void test_big_blackout(void)
{
	check_big(BLACKOUT);
}

/* 20 KB each way, 100 seeds per scenario; the blackout hits the start. */
static void check_small(enum scenario sc)
{
	int failed = 0;

	for (uint64_t seed = 1; seed <= SEEDS; seed++) {
		struct pair p;
		int rc = transfer(&p, seed * 7919 + sc, sc, 5 * MS, SMALL, SMALL);
		bool ok = rc == 0 && p.side[0].bad_at == UINT64_MAX &&
			  p.side[1].bad_at == UINT64_MAX && p.side[0].read == SMALL &&
			  p.side[1].read == SMALL;

		if (!ok && failed++ == 0)
			fprintf(stderr, "\n  scenario %d seed %llu: rc %d read %llu/%llu\n", sc,
				(unsigned long long)seed, rc, (unsigned long long)p.side[1].read,
				(unsigned long long)p.side[0].read);
		pair_free(&p);
	}
	CU_ASSERT_EQUAL(failed, 0);
}

static void test_small_seeds(void)
{
	for (int sc = CLEAN; sc <= BLACKOUT; sc++)
		check_small((enum scenario)sc);
}

/* With 2% loss each way, what goes on the wire stays within 1.2x of what
 * is delivered: the sender's bytes, and both directions together. */
static void test_no_storm(void)
{
	struct pair p;
	uint64_t n = big_bytes();
	double sender, total;

	CU_ASSERT_EQUAL_FATAL(transfer(&p, 77, LOSS_2, 0, n, 0), 0);
	sender = (double)p.side[0].bytes_out;
	total = sender + (double)p.side[1].bytes_out;
	CU_ASSERT(sender <= 1.2 * (double)n);
	CU_ASSERT(total <= 1.2 * (double)n);
	fprintf(stderr, "[2%% loss: sent %.3fx, both directions %.3fx] ", sender / (double)n,
		total / (double)n);
	pair_free(&p);
}

/* ---- blackout: the probe timeout backs off, and sending resumes slowly ---- */

#define TRACE_MAX 100000

struct trace {
	size_t n[2];
	natt_time_t t[2][TRACE_MAX];
};

static void trace_packet(void *ctx, struct pair *p, int side, const uint8_t *pkt, size_t len)
{
	struct trace *tr = ctx;

	(void)pkt;
	(void)len;
	if (tr->n[side] < TRACE_MAX)
		tr->t[side][tr->n[side]++] = p->now;
}

/* First index of a side's packets at or after t. */
static size_t first_at(const struct trace *tr, int side, natt_time_t t)
{
	size_t i = 0;

	while (i < tr->n[side] && tr->t[side][i] < t)
		i++;
	return i;
}

static void test_blackout_backoff(void)
{
	const natt_time_t t0 = 500 * MS, t1 = t0 + 2 * SEC;
	struct sim_link_cfg cfg = scenario_link(BLACKOUT, t0);
	struct trace *tr = calloc(1, sizeof(*tr));
	natt_time_t burst[32], ack_back, last;
	size_t nb = 0, i, during, after;
	struct natt_rudp_stats st;
	struct pair p;

	CU_ASSERT_PTR_NOT_NULL_FATAL(tr);
	CU_ASSERT_EQUAL_FATAL(pair_init(&p, 5, NULL, NULL), 0);
	pair_link_both(&p, &cfg);
	p.on_packet = trace_packet;
	p.on_packet_ctx = tr;
	pair_transfer(&p, 0, big_bytes(), true);
	CU_ASSERT_EQUAL_FATAL(pair_run(&p, 3600 * SEC, pair_delivered), 0);

	/* The sender's bursts (packets more than 2 ms apart start a new one)
	 * after the ack clock stopped: from 100 ms into the blackout until the
	 * first packet that got through after it. */
	i = first_at(tr, 0, t0 + 100 * MS);
	during = first_at(tr, 0, t1) - i;
	for (last = 0; i < tr->n[0] && tr->t[0][i] < t1 + 10 * SEC && nb < 32; i++) {
		if (tr->t[0][i] > last + 2 * MS)
			burst[nb++] = tr->t[0][i];
		last = tr->t[0][i];
		if (last >= t1)
			break; /* the first probe after the blackout */
	}
	/* Without backoff, a ~70 ms PTO would send ~56 probes in 1.9 s. */
	CU_ASSERT(during <= 16);
	CU_ASSERT(nb >= 4);
	for (size_t k = 2; k < nb; k++)
		CU_ASSERT(burst[k] - burst[k - 1] >= 19 * (burst[k - 1] - burst[k - 2]) / 10);
	/* Nothing was sent the moment the path came back: the first packet
	 * after t1 is the next backed-off probe. */
	CU_ASSERT(burst[nb - 1] >= t1);
	CU_ASSERT(burst[nb - 1] - burst[nb - 2] >= 19 * (burst[nb - 2] - burst[nb - 3]) / 10);
	/* The first acknowledgement back reaches the sender 10 ms after the
	 * receiver sent it; in the next round trip the sender sends at most
	 * the minimum window (persistent congestion) plus the probes. */
	ack_back = tr->t[1][first_at(tr, 1, t1)] + 10 * MS;
	after = first_at(tr, 0, ack_back + 20 * MS) - first_at(tr, 0, ack_back);
	CU_ASSERT(after <= 4);
	natt_rudp_get_stats(p.side[0].conn, &st);
	CU_ASSERT(st.persistent_congestion >= 1);
	CU_ASSERT(st.pto_count_total >= 4);
	CU_ASSERT_EQUAL(p.side[1].bad_at, UINT64_MAX);
	fprintf(stderr, "[%zu packets in the blackout, %zu bursts, %zu in the RTT after] ", during,
		nb, after);
	pair_free(&p);
	free(tr);
}

/* ---- anti-amplification ---- */

static void fixed_rand(void *user, uint8_t *buf, size_t len)
{
	uint8_t *ctr = user;

	memset(buf, (*ctr)++, len);
}

/*
 * A client sends one packet and then nothing.  Whatever the server's
 * application wants to send, and however often its timers fire, the
 * server sends at most 3x the bytes it received, then gives up.
 */
static void test_amplification(void)
{
	struct natt_rudp *cli, *srv;
	struct natt_seal *seal;
	uint8_t key[NATT_KEY_LEN] = {1, 2, 3}, ctr = 0, pkt[NATT_MAX_HANDSHAKE], big[20000];
	uint8_t hello[300];
	natt_time_t now = 0;
	uint64_t out = 0;
	int n, in, rounds = 0;

	memset(hello, 'h', sizeof(hello));
	memset(big, 's', sizeof(big));
	CU_ASSERT_EQUAL_FATAL(natt_seal_new(&seal, key), NATT_OK);
	natt_rudp_new(&cli, NATT_RUDP_CLIENT, 1, 2, seal, fixed_rand, &ctr, NULL, 0);
	natt_rudp_new(&srv, NATT_RUDP_SERVER, 2, 1, seal, fixed_rand, &ctr, NULL, 0);
	CU_ASSERT_EQUAL(natt_rudp_write(cli, hello, sizeof(hello)), sizeof(hello));
	in = natt_rudp_send(cli, 0, pkt, sizeof(pkt));
	CU_ASSERT_FATAL(in > 300);
	/* A forged or damaged packet counts for nothing. */
	pkt[in - 1] ^= 1;
	CU_ASSERT_EQUAL(natt_rudp_recv(srv, 1 * MS, pkt, (size_t)in), NATT_ERR_AUTH);
	CU_ASSERT_EQUAL(natt_rudp_send(srv, 1 * MS, pkt, sizeof(pkt)), 0);
	pkt[in - 1] ^= 1;
	CU_ASSERT_EQUAL(natt_rudp_recv(srv, 1 * MS, pkt, (size_t)in), NATT_OK);
	CU_ASSERT_EQUAL(natt_rudp_write(srv, big, sizeof(big)), sizeof(big));
	while (natt_rudp_state(srv) != NATT_RUDP_CLOSED && rounds++ < 10000) {
		while ((n = natt_rudp_send(srv, now, pkt, sizeof(pkt))) > 0)
			out += (uint64_t)n;
		now = natt_rudp_deadline(srv);
		CU_ASSERT_FATAL(now != NATT_TIME_NEVER);
		natt_rudp_on_timeout(srv, now);
	}
	CU_ASSERT(rounds < 100); /* its timers never spin while it is blocked */
	CU_ASSERT(out > 0);
	CU_ASSERT(out <= 3 * (uint64_t)in);
	CU_ASSERT_EQUAL(natt_rudp_state(srv), NATT_RUDP_CLOSED);
	fprintf(stderr, "[received %d, sent %llu] ", in, (unsigned long long)out);
	natt_rudp_free(srv);

	/* Once the caller says the path is validated, the limit is gone. */
	natt_rudp_new(&srv, NATT_RUDP_SERVER, 2, 1, seal, fixed_rand, &ctr, NULL, 0);
	natt_rudp_set_validated(srv);
	natt_rudp_write(srv, big, sizeof(big));
	for (out = 0; (n = natt_rudp_send(srv, 0, pkt, sizeof(pkt))) > 0;)
		out += (uint64_t)n;
	CU_ASSERT(out > 10000);
	natt_rudp_free(srv);
	natt_rudp_free(cli);
	natt_seal_free(seal);
}

/* ---- bounded memory ---- */

static void test_send_buffer_limit(void)
{
	struct natt_rudp_limits lim;
	struct pair p;
	static uint8_t buf[300000];

	natt_rudp_limits_default(&lim);
	lim.send_buffer = 100000;
	CU_ASSERT_EQUAL_FATAL(pair_init(&p, 1, &lim, NULL), 0);
	pair_link_both(&p, &base_link);
	CU_ASSERT_EQUAL(natt_rudp_write(p.side[0].conn, buf, sizeof(buf)), 100000);
	CU_ASSERT_EQUAL(natt_rudp_write(p.side[0].conn, buf, sizeof(buf)), 0);
	CU_ASSERT_EQUAL(natt_rudp_write_space(p.side[0].conn), 0);
	pair_free(&p);

	/* A transfer far larger than the buffer still completes. */
	CU_ASSERT_EQUAL_FATAL(pair_init(&p, 2, &lim, NULL), 0);
	pair_link_both(&p, &base_link);
	pair_transfer(&p, 0, 2 * 1024 * 1024, true);
	CU_ASSERT_EQUAL(pair_run(&p, 600 * SEC, pair_delivered), 0);
	CU_ASSERT_EQUAL(p.side[1].bad_at, UINT64_MAX);
	pair_free(&p);
}

/* Out-of-order bytes never exceed the limit; packets that would are
 * dropped unacknowledged and resent, and the stream still completes. */
static void test_ooo_limit(void)
{
	struct natt_rudp_limits lim;
	struct sim_link_cfg cfg = scenario_link(REORDER, 0);
	struct natt_rudp_stats st;
	struct pair p;

	natt_rudp_limits_default(&lim);
	lim.ooo_limit = 4 * KB;
	lim.max_recv_window = 256 * KB;
	cfg.loss = 0.02;
	CU_ASSERT_EQUAL_FATAL(pair_init(&p, 3, NULL, &lim), 0);
	pair_link_both(&p, &cfg);
	pair_transfer(&p, 0, 2 * 1024 * 1024, true);
	CU_ASSERT_EQUAL(pair_run(&p, 3600 * SEC, pair_delivered), 0);
	CU_ASSERT_EQUAL(p.side[1].bad_at, UINT64_MAX);
	natt_rudp_get_stats(p.side[1].conn, &st);
	CU_ASSERT(st.ooo_bytes_max <= 4 * KB);
	CU_ASSERT(st.ooo_dropped > 0);
	CU_ASSERT(st.recv_window <= 256 * KB);
	fprintf(stderr, "[ooo max %llu, dropped %llu packets] ",
		(unsigned long long)st.ooo_bytes_max, (unsigned long long)st.ooo_dropped);
	pair_free(&p);
}

/* ---- flow control ---- */

static bool sender_stalled(const struct pair *p)
{
	return p->now > 5 * SEC;
}

static void test_flow_control(void)
{
	struct natt_rudp_stats st0, st1;
	struct pair p;

	CU_ASSERT_EQUAL_FATAL(pair_init(&p, 4, NULL, NULL), 0);
	pair_link_both(&p, &base_link);
	p.side[1].read_paused = true;
	pair_transfer(&p, 0, 1024 * 1024, true);
	pair_run(&p, 10 * SEC, sender_stalled);
	natt_rudp_get_stats(p.side[0].conn, &st0);
	/* The receiver did not read: the sender stopped at the initial credit. */
	CU_ASSERT_EQUAL(st0.stream_bytes_sent, NATT_RUDP_INITIAL_MAX_DATA);
	CU_ASSERT_EQUAL(st0.peer_max_data, NATT_RUDP_INITIAL_MAX_DATA);
	CU_ASSERT_EQUAL(natt_rudp_state(p.side[0].conn), NATT_RUDP_OPEN);
	p.side[1].read_paused = false;
	CU_ASSERT_EQUAL(pair_run(&p, 600 * SEC, pair_delivered), 0);
	CU_ASSERT_EQUAL(p.side[1].bad_at, UINT64_MAX);
	pair_free(&p);

	/* A fast reader: the window grows (auto-tuning) and the link fills. */
	CU_ASSERT_EQUAL_FATAL(pair_init(&p, 5, NULL, NULL), 0);
	pair_link_both(&p, &base_link);
	pair_transfer(&p, 0, big_bytes(), true);
	CU_ASSERT_EQUAL(pair_run(&p, 600 * SEC, pair_delivered), 0);
	natt_rudp_get_stats(p.side[1].conn, &st1);
	CU_ASSERT(st1.recv_window > NATT_RUDP_INITIAL_MAX_DATA);
	CU_ASSERT(st1.recv_window <= 4 * 1024 * 1024);
	/* 100 Mbit/s link: well over half of it as goodput. */
	CU_ASSERT((double)big_bytes() * 8 / ((double)p.now / SEC) > 60e6);
	fprintf(stderr, "[window %llu, %.1f Mbit/s] ", (unsigned long long)st1.recv_window,
		(double)big_bytes() * 8 / ((double)p.now / SEC) / 1e6);
	pair_free(&p);
}

/* ---- close and abort ---- */

static void test_orderly_close(void)
{
	struct natt_rudp_close_info ci[2];
	struct pair p;

	CU_ASSERT_EQUAL_FATAL(pair_init(&p, 6, NULL, NULL), 0);
	pair_link_both(&p, &base_link);
	pair_transfer(&p, 0, 100 * KB, true);
	pair_transfer(&p, 1, 50 * KB, true);
	CU_ASSERT_EQUAL(pair_run(&p, 60 * SEC, both_closed), 0);
	natt_rudp_get_close_info(p.side[0].conn, &ci[0]);
	natt_rudp_get_close_info(p.side[1].conn, &ci[1]);
	CU_ASSERT_EQUAL(ci[0].end, NATT_RUDP_END_ORDERLY);
	CU_ASSERT_EQUAL(ci[1].end, NATT_RUDP_END_ORDERLY);
	CU_ASSERT_TRUE(ci[0].remote != ci[1].remote); /* one sent CLOSE, one received it */
	CU_ASSERT_TRUE(pair_delivered(&p));
	CU_ASSERT_EQUAL(natt_rudp_write(p.side[0].conn, (const uint8_t *)"x", 1), NATT_ERR_CLOSED);
	pair_free(&p);
}

struct drop_first_close {
	bool armed;
	int dropped;
};

/* Drops the first CLOSE the client sends. */
static bool drop_close(void *ctx, struct sim *s, enum sim_hook_point at, struct sim_addr *from,
		       struct sim_addr *to, const uint8_t *data, size_t len)
{
	struct drop_first_close *d = ctx;

	(void)s;
	(void)to;
	(void)data;
	(void)len;
	if (at == SIM_HOOK_SEND && d->armed && from->ip == PAIR_IP(0) && d->dropped == 0) {
		d->dropped++;
		return false;
	}
	return true;
}

static bool time_passed(const struct pair *p)
{
	return p->now >= 300 * MS;
}

static void test_abort(void)
{
	struct drop_first_close d = {false, 0};
	struct natt_rudp_close_info ci;
	struct pair p;

	CU_ASSERT_EQUAL_FATAL(pair_init(&p, 7, NULL, NULL), 0);
	pair_link_both(&p, &base_link);
	sim_set_hook(p.sim, drop_close, &d);
	pair_transfer(&p, 0, 10 * 1024 * 1024, false);
	pair_transfer(&p, 1, 10 * 1024 * 1024, false);
	pair_run(&p, 1 * SEC, time_passed);
	CU_ASSERT_EQUAL(
		natt_rudp_abort(p.side[0].conn, p.now, NATT_CLOSE_RESOURCE_LIMIT, "too big"),
		NATT_OK);
	CU_ASSERT_EQUAL(natt_rudp_abort(p.side[0].conn, p.now, 1, NULL), NATT_ERR_CLOSED);
	CU_ASSERT_EQUAL(natt_rudp_state(p.side[0].conn), NATT_RUDP_CLOSING);
	d.armed = true; /* the first CLOSE is lost; the server's next packet gets another */
	CU_ASSERT_EQUAL(pair_run(&p, 60 * SEC, both_closed), 0);
	CU_ASSERT_EQUAL(d.dropped, 1);
	natt_rudp_get_close_info(p.side[1].conn, &ci);
	CU_ASSERT_EQUAL(ci.end, NATT_RUDP_END_PEER_CLOSE);
	CU_ASSERT_TRUE(ci.remote);
	CU_ASSERT_EQUAL(ci.code, NATT_CLOSE_RESOURCE_LIMIT);
	CU_ASSERT_STRING_EQUAL(ci.reason, "too big");
	natt_rudp_get_close_info(p.side[0].conn, &ci);
	CU_ASSERT_EQUAL(ci.end, NATT_RUDP_END_LOCAL_ABORT);
	CU_ASSERT_FALSE(ci.remote);
	CU_ASSERT_EQUAL(p.side[1].bad_at, UINT64_MAX); /* what arrived was right */
	pair_free(&p);
}

/* ---- what the receiver refuses ---- */

static void test_refused_packets(void)
{
	struct natt_rudp *a, *b, *c;
	struct natt_seal *seal, *other;
	uint8_t key[NATT_KEY_LEN] = {9}, key2[NATT_KEY_LEN] = {8}, ctr = 0;
	uint8_t pkt[NATT_MAX_HANDSHAKE], copy[NATT_MAX_HANDSHAKE];
	struct natt_rudp_stats st;
	int n;

	natt_seal_new(&seal, key);
	natt_seal_new(&other, key2);
	natt_rudp_new(&a, NATT_RUDP_CLIENT, 10, 20, seal, fixed_rand, &ctr, NULL, 0);
	natt_rudp_new(&b, NATT_RUDP_SERVER, 20, 10, seal, fixed_rand, &ctr, NULL, 0);
	natt_rudp_new(&c, NATT_RUDP_SERVER, 20, 10, other, fixed_rand, &ctr, NULL, 0);
	natt_rudp_write(a, (const uint8_t *)"hello", 5);
	n = natt_rudp_send(a, 0, pkt, sizeof(pkt));
	CU_ASSERT_FATAL(n > 0);
	memcpy(copy, pkt, (size_t)n);
	CU_ASSERT_EQUAL(natt_rudp_recv(c, 0, pkt, (size_t)n), NATT_ERR_AUTH); /* other key */
	copy[20] ^= 0x80; /* the packet number, in the authenticated header */
	CU_ASSERT_EQUAL(natt_rudp_recv(b, 0, copy, (size_t)n), NATT_ERR_AUTH);
	CU_ASSERT_EQUAL(natt_rudp_recv(b, 0, pkt, 10), NATT_ERR_TRUNCATED);
	CU_ASSERT_EQUAL(natt_rudp_recv(b, 0, pkt, (size_t)n), NATT_OK);
	CU_ASSERT_EQUAL(natt_rudp_recv(b, 0, pkt, (size_t)n), NATT_ERR_REPLAY);
	natt_rudp_get_stats(b, &st);
	CU_ASSERT_EQUAL(st.packets_received, 1);
	CU_ASSERT_EQUAL(st.packets_dropped, 3);
	/* Connection IDs that are not this connection's. */
	natt_rudp_free(c);
	natt_rudp_new(&c, NATT_RUDP_SERVER, 21, 10, seal, fixed_rand, &ctr, NULL, 0);
	CU_ASSERT_EQUAL(natt_rudp_recv(c, 0, pkt, (size_t)n), NATT_ERR_BAD_VALUE);
	natt_rudp_free(c);
	/* Arguments. */
	CU_ASSERT_EQUAL(natt_rudp_new(&c, NATT_RUDP_SERVER, 0, 10, seal, fixed_rand, &ctr, NULL, 0),
			NATT_ERR_INVALID);
	CU_ASSERT_PTR_NULL(c);
	CU_ASSERT_EQUAL(natt_rudp_send(b, 0, pkt, 40), NATT_ERR_BUFFER);
	natt_rudp_free(a);
	natt_rudp_free(b);
	natt_seal_free(seal);
	natt_seal_free(other);
}

static const struct natt_test tests[] = {
	{"big transfer: clean", test_big_clean},
	{"big transfer: 2% loss", test_big_loss2},
	{"big transfer: 10% loss", test_big_loss10},
	{"big transfer: 30% loss in bursts of 3", test_big_burst30},
	{"big transfer: reordering", test_big_reorder},
	{"big transfer: duplication", test_big_duplicate},
	{"big transfer: 2 s blackout", test_big_blackout},
	{"20 KB each way, 100 seeds x 7 scenarios", test_small_seeds},
	{"no storm: 2% loss stays within 1.2x", test_no_storm},
	{"blackout: backed-off probes, slow resume", test_blackout_backoff},
	{"anti-amplification: 3x before validation", test_amplification},
	{"send buffer limit", test_send_buffer_limit},
	{"out-of-order limit", test_ooo_limit},
	{"flow control and window auto-tuning", test_flow_control},
	{"orderly close both ways", test_orderly_close},
	{"abort reaches the peer, CLOSE repeated", test_abort},
	{"refused packets: key, tamper, replay, cids", test_refused_packets},
	{NULL, NULL},
};

int natt_suite_rudp(void)
{
	return natt_add_suite("rudp", tests);
}
