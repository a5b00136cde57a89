/*
 * test_loop.c: the event loop, timers and batched UDP of transport/loop*.c
 * on loopback (127.0.0.1 and ::1 only).  Every transfer runs both with the
 * kernel's offloads and with every fallback forced on, and checks that the
 * receiver sees the same datagrams, in order, from the right source.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "loop.h"
#include "unit.h"

#define RUN_LIMIT (2 * NATT_SEC) /* a test that hangs fails instead */
#define MAX_RX	  512

/* ---- timers ---- */

struct fired {
	int order[16];
	natt_time_t at[16];
	natt_time_t deadline[16];
	int n;
	int expect;
	struct natt_loop *loop;
};

struct tctx {
	struct fired *f;
	int id;
	struct natt_timer *t;
	int rearm; /* fire this many more times, 1 ms apart */
};

static void on_timer(void *arg, natt_time_t now)
{
	struct tctx *c = arg;
	struct fired *f = c->f;

	if (f->n < 16) {
		f->order[f->n] = c->id;
		f->at[f->n] = now;
		f->n++;
	}
	if (c->rearm-- > 0)
		natt_timer_set(c->t, now + NATT_MSEC);
	if (f->n == f->expect)
		natt_loop_stop(f->loop);
}

static void test_timers_in_order(void)
{
	static const int ms[] = {5, 1, 3, 2, 4};
	struct natt_loop *loop;
	struct fired f = {.expect = 5};
	struct tctx c[7];
	natt_time_t t0;

	CU_ASSERT_FATAL(natt_loop_new(&loop, false) == NATT_OK);
	f.loop = loop;
	t0 = natt_loop_now();
	for (int i = 0; i < 7; i++) {
		c[i] = (struct tctx){.f = &f, .id = i};
		CU_ASSERT_FATAL(natt_timer_new(&c[i].t, loop, on_timer, &c[i]) == NATT_OK);
		CU_ASSERT_EQUAL(natt_timer_deadline(c[i].t), NATT_TIME_NEVER);
	}
	for (int i = 0; i < 5; i++) {
		f.deadline[i] = t0 + (natt_time_t)ms[i] * 2 * NATT_MSEC;
		natt_timer_set(c[i].t, f.deadline[i]);
	}
	natt_timer_set(c[5].t, t0 + NATT_MSEC);
	natt_timer_set(c[5].t, NATT_TIME_NEVER); /* disarmed: never fires */
	natt_timer_set(c[6].t, t0 + NATT_MSEC);
	natt_timer_set(c[6].t, t0 + 50 * NATT_SEC); /* moved past the test's end */
	CU_ASSERT_EQUAL(natt_loop_run(loop, t0 + RUN_LIMIT), NATT_OK);
	CU_ASSERT_EQUAL(f.n, 5);
	for (int i = 0; i < f.n; i++) {
		int id = f.order[i];

		CU_ASSERT_EQUAL(ms[id], i + 1);	      /* fired in deadline order */
		CU_ASSERT(f.at[i] >= f.deadline[id]); /* never early */
		if (i > 0)
			CU_ASSERT(f.at[i] >= f.at[i - 1]);
	}
	CU_ASSERT_EQUAL(natt_timer_deadline(c[0].t), NATT_TIME_NEVER);
	CU_ASSERT_EQUAL(natt_timer_deadline(c[6].t), t0 + 50 * NATT_SEC);
	for (int i = 0; i < 7; i++)
		natt_timer_free(c[i].t);
	natt_loop_free(loop);
}

/* A timer re-armed from its callback, and one set in the past. */
static void test_timer_rearm(void)
{
	struct natt_loop *loop;
	struct fired f = {.expect = 5};
	struct tctx a, b;
	natt_time_t t0 = natt_loop_now();

	CU_ASSERT_FATAL(natt_loop_new(&loop, false) == NATT_OK);
	f.loop = loop;
	a = (struct tctx){.f = &f, .id = 0, .rearm = 3};
	b = (struct tctx){.f = &f, .id = 1};
	CU_ASSERT_FATAL(natt_timer_new(&a.t, loop, on_timer, &a) == NATT_OK);
	CU_ASSERT_FATAL(natt_timer_new(&b.t, loop, on_timer, &b) == NATT_OK);
	natt_timer_set(a.t, t0 + NATT_MSEC);
	natt_timer_set(b.t, t0 > NATT_SEC ? t0 - NATT_SEC : 0);
	CU_ASSERT_EQUAL(natt_loop_run(loop, t0 + RUN_LIMIT), NATT_OK);
	CU_ASSERT_EQUAL(f.n, 5);
	CU_ASSERT_EQUAL(f.order[0], 1); /* the past deadline first */
	for (int i = 1; i < f.n; i++) {
		CU_ASSERT_EQUAL(f.order[i], 0);
		if (i > 1)
			CU_ASSERT(f.at[i] >= f.at[i - 1] + NATT_MSEC);
	}
	natt_timer_free(a.t);
	natt_timer_free(b.t);
	natt_loop_free(loop);
}

/* ---- UDP ---- */

struct rx_log {
	size_t n, expect;
	size_t len[MAX_RX];
	uint8_t first[MAX_RX][4];
	int bad_content;
	int bad_source;
	size_t batches;
	const struct sockaddr_storage *want_src;
	struct natt_loop *loop;
};

static void pattern(uint8_t *p, size_t len, uint32_t seq)
{
	for (size_t i = 0; i < len; i++)
		p[i] = (uint8_t)(seq * 13 + i);
	if (len >= 4)
		memcpy(p, &seq, 4);
}

static bool same_addr(const struct sockaddr *a, const struct sockaddr_storage *b)
{
	if (a->sa_family != b->ss_family)
		return false;
	if (a->sa_family == AF_INET) {
		const struct sockaddr_in *x = (const void *)a, *y = (const void *)b;

		return x->sin_port == y->sin_port && x->sin_addr.s_addr == y->sin_addr.s_addr;
	}
	const struct sockaddr_in6 *x = (const void *)a, *y = (const void *)b;

	return x->sin6_port == y->sin6_port && memcmp(&x->sin6_addr, &y->sin6_addr, 16) == 0;
}

static void on_recv(void *arg, struct natt_udp *udp, const struct natt_dgram *d, size_t n,
		    natt_time_t now)
{
	struct rx_log *r = arg;

	(void)udp;
	CU_ASSERT(now > 0);
	r->batches++;
	for (size_t i = 0; i < n; i++) {
		uint8_t want[NATT_MAX_DATAGRAM];
		uint32_t seq = 0;

		if (d[i].len >= 4)
			memcpy(&seq, d[i].data, 4);
		pattern(want, d[i].len, seq);
		r->bad_content += memcmp(want, d[i].data, d[i].len) != 0;
		r->bad_source += r->want_src != NULL && !same_addr(d[i].addr, r->want_src);
		if (r->n < MAX_RX) {
			r->len[r->n] = d[i].len;
			memcpy(r->first[r->n], d[i].data, d[i].len < 4 ? d[i].len : 4);
		}
		r->n++;
	}
	if (r->n >= r->expect)
		natt_loop_stop(r->loop);
}

static void ignore(void *arg, struct natt_udp *udp, const struct natt_dgram *d, size_t n,
		   natt_time_t now)
{
	(void)arg;
	(void)udp;
	(void)d;
	(void)n;
	(void)now;
}

static socklen_t loopback(struct sockaddr_storage *ss, int family)
{
	memset(ss, 0, sizeof(*ss));
	if (family == AF_INET) {
		struct sockaddr_in *s = (struct sockaddr_in *)ss;

		s->sin_family = AF_INET;
		s->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		return sizeof(*s);
	}
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;

	s6->sin6_family = AF_INET6;
	s6->sin6_addr = in6addr_loopback;
	return sizeof(*s6);
}

struct link {
	struct natt_loop *loop;
	struct natt_udp *a, *b;
	struct rx_log log;
};

static void link_open(struct link *l, int family, unsigned disable)
{
	struct natt_udp_config cfg;
	struct sockaddr_storage ss;
	socklen_t len = loopback(&ss, family);

	memset(l, 0, sizeof(*l));
	natt_udp_config_default(&cfg);
	cfg.disable = disable;
	CU_ASSERT_FATAL(natt_loop_new(&l->loop, false) == NATT_OK);
	CU_ASSERT_FATAL(natt_udp_open(&l->a, l->loop, (struct sockaddr *)&ss, len, &cfg, ignore,
				      NULL) == NATT_OK);
	CU_ASSERT_FATAL(natt_udp_open(&l->b, l->loop, (struct sockaddr *)&ss, len, &cfg, on_recv,
				      &l->log) == NATT_OK);
	l->log.loop = l->loop;
	l->log.want_src = &natt_udp_info(l->a)->local;
}

static void link_close(struct link *l)
{
	natt_udp_close(l->a);
	natt_udp_close(l->b);
	natt_loop_free(l->loop);
}

static void send_seq(struct link *l, uint32_t seq, size_t len)
{
	const struct natt_udp_info *bi = natt_udp_info(l->b);
	uint8_t buf[NATT_MAX_DATAGRAM];

	pattern(buf, len, seq);
	CU_ASSERT_EQUAL(
		natt_udp_send(l->a, buf, len, (const struct sockaddr *)&bi->local, bi->local_len),
		NATT_OK);
}

/* Sizes: runs of equal sizes (GSO material) and odd ones in between. */
static size_t size_of(uint32_t i)
{
	if (i % 50 == 49)
		return 300 + i; /* a shorter one ends a run */
	if (i % 50 >= 40)
		return 4 + i % 7 * 100; /* mixed */
	return 1200;
}

/* 200 datagrams, queued in one go and flushed by the loop, all arrive in
 * order with the sender's address. */
static void transfer(int family, unsigned disable)
{
	enum { N = 200 };
	struct link l;
	int bad_order = 0;

	link_open(&l, family, disable);
	l.log.expect = N;
	for (uint32_t i = 0; i < N; i++)
		send_seq(&l, i, size_of(i));
	CU_ASSERT_EQUAL(natt_loop_run(l.loop, natt_loop_now() + RUN_LIMIT), NATT_OK);
	CU_ASSERT_EQUAL(l.log.n, N);
	CU_ASSERT_EQUAL(l.log.bad_content, 0);
	CU_ASSERT_EQUAL(l.log.bad_source, 0);
	for (uint32_t i = 0; i < l.log.n && i < N; i++) {
		uint32_t seq;

		memcpy(&seq, l.log.first[i], 4);
		bad_order += seq != i || l.log.len[i] != size_of(i);
	}
	CU_ASSERT_EQUAL(bad_order, 0);
	CU_ASSERT_EQUAL(natt_udp_stats(l.a)->tx_packets, N);
	CU_ASSERT_EQUAL(natt_udp_stats(l.b)->rx_packets, N);
	if (disable == (NATT_UDP_NO_MMSG | NATT_UDP_NO_GSO | NATT_UDP_NO_GRO)) {
		CU_ASSERT(!natt_udp_info(l.a)->mmsg && !natt_udp_info(l.a)->gso);
		CU_ASSERT(!natt_udp_info(l.b)->gro);
		CU_ASSERT_EQUAL(natt_udp_stats(l.a)->tx_calls, N);
		CU_ASSERT_EQUAL(natt_udp_stats(l.b)->rx_calls, N);
	} else {
		/* batched: far fewer system calls than datagrams */
		CU_ASSERT(natt_udp_stats(l.a)->tx_calls <= N / 8);
		CU_ASSERT(natt_udp_stats(l.b)->rx_calls <= N / 8);
	}
	link_close(&l);
}

static void test_batch_v4(void)
{
	transfer(AF_INET, 0);
}

static void test_batch_v6(void)
{
	transfer(AF_INET6, 0);
}

static void test_batch_no_gso(void)
{
	transfer(AF_INET, NATT_UDP_NO_GSO | NATT_UDP_NO_GRO);
}

static void test_fallback_v4(void)
{
	transfer(AF_INET, NATT_UDP_NO_MMSG | NATT_UDP_NO_GSO | NATT_UDP_NO_GRO);
}

static void test_fallback_v6(void)
{
	transfer(AF_INET6, NATT_UDP_NO_MMSG | NATT_UDP_NO_GSO | NATT_UDP_NO_GRO);
}

/* 64 equal datagrams and a shorter one: with GSO, one system call. */
static void test_gso_run(void)
{
	struct link l;

	link_open(&l, AF_INET, 0);
	if (!natt_udp_info(l.a)->gso)
		fprintf(stderr, "\n  [loop] no UDP GSO on this kernel: checking the fallback\n");
	l.log.expect = 65;
	for (uint32_t i = 0; i < 65; i++)
		send_seq(&l, i, i < 64 ? 1000 : 500);
	CU_ASSERT_EQUAL(natt_udp_flush(l.a), NATT_OK);
	CU_ASSERT_EQUAL(natt_loop_run(l.loop, natt_loop_now() + RUN_LIMIT), NATT_OK);
	CU_ASSERT_EQUAL(l.log.n, 65);
	CU_ASSERT_EQUAL(l.log.bad_content, 0);
	CU_ASSERT_EQUAL(l.log.len[64], 500);
	if (natt_udp_info(l.a)->gso) {
		CU_ASSERT_EQUAL(natt_udp_stats(l.a)->tx_calls, 1);
		CU_ASSERT_EQUAL(natt_udp_stats(l.a)->tx_gso, 1); /* 64 segments, then 1 alone */
		CU_ASSERT_EQUAL(natt_udp_stats(l.a)->tx_packets, 65);
	}
	link_close(&l);
}

/* Interleaved destinations are never merged into one GSO send. */
static void test_two_destinations(void)
{
	struct link l;
	struct natt_udp *c;
	struct natt_udp_config cfg;
	struct rx_log lc = {0};
	struct sockaddr_storage ss;
	socklen_t len = loopback(&ss, AF_INET);
	uint8_t buf[800];

	link_open(&l, AF_INET, 0);
	natt_udp_config_default(&cfg);
	CU_ASSERT_FATAL(natt_udp_open(&c, l.loop, (struct sockaddr *)&ss, len, &cfg, on_recv,
				      &lc) == NATT_OK);
	lc.loop = l.loop;
	lc.want_src = &natt_udp_info(l.a)->local;
	lc.expect = 1000; /* stopped by b's log */
	l.log.expect = 20;
	for (uint32_t i = 0; i < 40; i++) {
		const struct natt_udp_info *to = natt_udp_info(i % 2 ? c : l.b);

		pattern(buf, sizeof(buf), i);
		natt_udp_send(l.a, buf, sizeof(buf), (const struct sockaddr *)&to->local,
			      to->local_len);
	}
	natt_loop_run(l.loop, natt_loop_now() + RUN_LIMIT);
	natt_loop_run(l.loop, natt_loop_now() + 20 * NATT_MSEC); /* let c drain too */
	CU_ASSERT_EQUAL(l.log.n, 20);
	CU_ASSERT_EQUAL(lc.n, 20);
	CU_ASSERT_EQUAL(l.log.bad_content + lc.bad_content, 0);
	CU_ASSERT_EQUAL(l.log.bad_source + lc.bad_source, 0);
	for (uint32_t i = 0; i < 20 && i < lc.n; i++) {
		uint32_t sb, sc;

		memcpy(&sb, l.log.first[i], 4);
		memcpy(&sc, lc.first[i], 4);
		CU_ASSERT_EQUAL(sb, 2 * i);
		CU_ASSERT_EQUAL(sc, 2 * i + 1);
	}
	natt_udp_close(c);
	link_close(&l);
}

/* Larger than max_datagram: counted and dropped, the next one arrives. */
static void test_truncated(void)
{
	for (int gro = 0; gro < 2; gro++) {
		struct natt_udp_config cfg;
		struct link l;
		const struct natt_udp_info *bi;
		uint8_t buf[1500];

		link_open(&l, AF_INET, 0);
		natt_udp_close(l.b);
		natt_udp_config_default(&cfg);
		cfg.max_datagram = 1000;
		cfg.disable = gro ? 0 : NATT_UDP_NO_GRO;
		bi = natt_udp_info(l.a);
		CU_ASSERT_FATAL(natt_udp_open(&l.b, l.loop, (const struct sockaddr *)&bi->local, 0,
					      &cfg, on_recv, &l.log) == NATT_ERR_INVALID);
		{
			struct sockaddr_storage ss;
			socklen_t len = loopback(&ss, AF_INET);

			CU_ASSERT_FATAL(natt_udp_open(&l.b, l.loop, (struct sockaddr *)&ss, len,
						      &cfg, on_recv, &l.log) == NATT_OK);
		}
		l.log.expect = 1;
		bi = natt_udp_info(l.b);
		pattern(buf, 1001, 1);
		natt_udp_send(l.a, buf, 1001, (const struct sockaddr *)&bi->local, bi->local_len);
		pattern(buf, 1000, 2);
		natt_udp_send(l.a, buf, 1000, (const struct sockaddr *)&bi->local, bi->local_len);
		natt_loop_run(l.loop, natt_loop_now() + RUN_LIMIT);
		CU_ASSERT_EQUAL(l.log.n, 1);
		CU_ASSERT_EQUAL(l.log.len[0], 1000);
		CU_ASSERT_EQUAL(natt_udp_stats(l.b)->rx_truncated, 1);
		link_close(&l);
	}
}

/* A datagram the kernel refuses (here: an IPv6 destination on an IPv4
 * socket) is dropped and counted; the ones around it still go out, also
 * when the refused ones formed a GSO run. */
static void test_refused_send(void)
{
	struct link l;
	struct sockaddr_in6 bad = {.sin6_family = AF_INET6, .sin6_port = htons(9)};
	uint8_t buf[600];

	bad.sin6_addr = in6addr_loopback;
	link_open(&l, AF_INET, 0);
	l.log.expect = 2;
	send_seq(&l, 0, 600);
	for (int i = 0; i < 3; i++) {
		pattern(buf, sizeof(buf), 100);
		CU_ASSERT_EQUAL(
			natt_udp_send(l.a, buf, sizeof(buf), (struct sockaddr *)&bad, sizeof(bad)),
			NATT_OK);
	}
	send_seq(&l, 1, 600);
	CU_ASSERT_EQUAL(natt_udp_flush(l.a), NATT_OK);
	natt_loop_run(l.loop, natt_loop_now() + RUN_LIMIT);
	CU_ASSERT_EQUAL(l.log.n, 2);
	CU_ASSERT_EQUAL(l.log.bad_content, 0);
	CU_ASSERT_EQUAL(natt_udp_stats(l.a)->tx_errors, 3);
	CU_ASSERT_EQUAL(natt_udp_stats(l.a)->tx_packets, 2);
	link_close(&l);
}

/* Zero-copy reservation and the argument checks of the send queue. */
static void test_reserve_commit(void)
{
	struct link l;
	const struct natt_udp_info *bi;
	uint8_t *p;

	link_open(&l, AF_INET, 0);
	bi = natt_udp_info(l.b);
	CU_ASSERT_EQUAL(
		natt_udp_commit(l.a, 10, (const struct sockaddr *)&bi->local, bi->local_len),
		NATT_ERR_INVALID); /* nothing reserved */
	CU_ASSERT_PTR_NULL(natt_udp_reserve(l.a, 2049));
	CU_ASSERT_EQUAL(
		natt_udp_send(l.a, "x", 0, (const struct sockaddr *)&bi->local, bi->local_len),
		NATT_ERR_INVALID);
	p = natt_udp_reserve(l.a, 100);
	CU_ASSERT_PTR_NOT_NULL_FATAL(p);
	pattern(p, 60, 7);
	CU_ASSERT_EQUAL(
		natt_udp_commit(l.a, 101, (const struct sockaddr *)&bi->local, bi->local_len),
		NATT_ERR_INVALID);
	CU_ASSERT_EQUAL(
		natt_udp_commit(l.a, 60, (const struct sockaddr *)&bi->local, bi->local_len),
		NATT_OK);
	l.log.expect = 1;
	natt_loop_run(l.loop, natt_loop_now() + RUN_LIMIT);
	CU_ASSERT_EQUAL(l.log.n, 1);
	CU_ASSERT_EQUAL(l.log.len[0], 60);
	CU_ASSERT_EQUAL(l.log.bad_content, 0);
	link_close(&l);
}

/* What the socket got: buffers and offloads, printed for the report. */
static void test_socket_info(void)
{
	struct link l;
	const struct natt_udp_info *i;

	link_open(&l, AF_INET6, 0);
	i = natt_udp_info(l.a);
	fprintf(stderr, "\n  [loop] rcvbuf %d sndbuf %d forced %d mmsg %d gso %d gro %d\n",
		i->rcvbuf, i->sndbuf, i->rcvbuf_forced, i->mmsg, i->gso, i->gro);
	CU_ASSERT(i->rcvbuf >= 256 * 1024);
	CU_ASSERT(i->sndbuf >= 256 * 1024);
	CU_ASSERT(i->mmsg);
	CU_ASSERT_NOT_EQUAL(((const struct sockaddr_in6 *)&i->local)->sin6_port, 0);
	link_close(&l);
}

static const struct natt_test tests[] = {
	{"timers fire in order, never early", test_timers_in_order},
	{"timer re-armed from its callback", test_timer_rearm},
	{"batches over IPv4", test_batch_v4},
	{"batches over IPv6", test_batch_v6},
	{"mmsg batches without GSO/GRO", test_batch_no_gso},
	{"fallback forced on, IPv4", test_fallback_v4},
	{"fallback forced on, IPv6", test_fallback_v6},
	{"GSO run of 64 segments", test_gso_run},
	{"two destinations interleaved", test_two_destinations},
	{"oversized datagram dropped", test_truncated},
	{"refused datagrams dropped alone", test_refused_send},
	{"reserve and commit", test_reserve_commit},
	{"socket buffers and offloads", test_socket_info},
	{NULL, NULL},
};

int natt_suite_loop(void)
{
	return natt_add_suite("loop", tests);
}
