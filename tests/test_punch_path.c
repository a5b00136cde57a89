/*
 * test_punch_path.c: what the punch module does around a path: nomination,
 * liveness checks, a dead path and re-probing, rebinding that must be
 * validated first, the strategies the NAT types call for (relay, the
 * birthday method's datagrams and their rates, its documented odds), and
 * the diagnosis text.  Part of the "punch" suite (test_punch.c).
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "punch.h"
#include "test_punch.h"
#include "wire.h"

/* ---- selection and after ---- */

static void test_nominate(void)
{
	struct pt_duo d;
	struct natt_punch_path pa, pb;
	struct natt_punch_diag da, db;

	pt_duo_init(&d, NULL);
	pt_connect(&d);
	CU_ASSERT_TRUE(natt_punch_path(d.a, &pa));
	CU_ASSERT_TRUE(natt_punch_path(d.b, &pb));
	CU_ASSERT_TRUE(pt_same(&pa.remote, &d.addr_b));
	CU_ASSERT_TRUE(pt_same(&pb.remote, &d.addr_a));
	CU_ASSERT_FALSE(natt_punch_path_dead(d.a));
	natt_punch_diag(d.a, &da);
	natt_punch_diag(d.b, &db);
	CU_ASSERT_TRUE(da.pair[0].nominated && da.pair[0].selected);
	CU_ASSERT_TRUE(db.pair[0].nominated && db.pair[0].selected);
	/* the only pair is also the best: no grace period, the nomination
	 * goes out in the next pacing slot */
	CU_ASSERT_EQUAL(da.connected_at, PT_T0 + NATT_PUNCH_PACE);
	pt_duo_free(&d);
}

static void test_path_dead_reprobe(void)
{
	struct pt_duo d;
	natt_time_t t, cut_at;
	int asks = 0;

	pt_duo_init(&d, NULL);
	pt_connect(&d);
	/* both sides talk; then the wire is cut */
	for (int i = 0; i < 20; i++) {
		d.now += 100 * NATT_MSEC;
		natt_punch_path_sent(d.a, d.now);
		natt_punch_path_activity(d.a, d.now, 0, &d.addr_b);
		pt_duo_pump(&d);
	}
	cut_at = d.now;
	d.cut = true;
	for (t = d.now; t < cut_at + 1900 * NATT_MSEC; t += 100 * NATT_MSEC) {
		natt_punch_path_sent(d.a, t);
		pt_duo_run(&d, t);
		CU_ASSERT_EQUAL(natt_punch_state(d.a), NATT_PUNCH_CONNECTED);
	}
	/* 1 s of silence while sending, then 3 checks 300 ms apart: dead */
	pt_duo_run(&d, cut_at + 1900 * NATT_MSEC);
	CU_ASSERT_EQUAL(natt_punch_state(d.a), NATT_PUNCH_PROBING);
	CU_ASSERT_TRUE(natt_punch_path_dead(d.a));
	CU_ASSERT_FALSE(natt_punch_want_rendezvous(d.a)); /* the last path first */
	pt_duo_run(&d, cut_at + 2200 * NATT_MSEC);
	CU_ASSERT_TRUE(natt_punch_want_rendezvous(d.a));
	CU_ASSERT_FALSE(natt_punch_want_rendezvous(d.a)); /* once */
	for (t = d.now; t < cut_at + 9 * NATT_SEC; t += 100 * NATT_MSEC) {
		pt_duo_run(&d, t);
		asks += natt_punch_want_rendezvous(d.a);
	}
	CU_ASSERT_EQUAL(asks, 2); /* 2 s later, then 4 s later */
	/* the wire comes back: the session finds the path again */
	d.cut = false;
	pt_duo_run(&d, d.now + 3 * NATT_SEC);
	CU_ASSERT_EQUAL(natt_punch_state(d.a), NATT_PUNCH_CONNECTED);
	CU_ASSERT_FALSE(natt_punch_path_dead(d.a));
	pt_duo_free(&d);
}

static void test_idle_check(void)
{
	struct pt_duo d;
	struct natt_punch_diag dg;
	unsigned int before;

	pt_duo_init(&d, NULL);
	pt_connect(&d);
	/* idle: nobody sends; the first check waits keepalive + 2 s after
	 * the last packet (the nomination's reply) */
	natt_punch_diag(d.a, &dg);
	before = d.to_b;
	pt_duo_run(&d, dg.connected_at + NATT_PUNCH_KEEPALIVE + NATT_PUNCH_IDLE_SLACK - NATT_MSEC);
	CU_ASSERT_EQUAL(d.to_b, before);
	pt_duo_run(&d, d.now + 2 * NATT_MSEC);
	CU_ASSERT_TRUE(d.to_b > before); /* a check probe, answered */
	CU_ASSERT_EQUAL(natt_punch_state(d.a), NATT_PUNCH_CONNECTED);
	pt_duo_free(&d);
}

static void test_rebind_needs_validation(void)
{
	struct pt_duo d;
	struct natt_punch_path p;
	struct natt_cand spoof = natt_test_v4(198, 51, 100, 66, 4444, NATT_CAND_HOST);
	uint8_t buf[NATT_MAX_PROBE];
	struct natt_cand dst;
	unsigned int sock;

	pt_duo_init(&d, NULL);
	pt_connect(&d);
	/* an authenticated packet (a replay, say) from a spoofed address */
	CU_ASSERT_EQUAL(natt_punch_path_activity(d.b, d.now, 0, &spoof), NATT_OK);
	CU_ASSERT_TRUE(natt_punch_send(d.b, d.now, buf, sizeof(buf), &dst, &sock) > 0);
	CU_ASSERT_TRUE(pt_same(&dst, &spoof)); /* a challenge goes there */
	CU_ASSERT_EQUAL(buf[0], NATT_PT_PROBE);
	/* nobody answers from there: the path stays */
	pt_duo_run(&d, d.now + 15 * NATT_SEC);
	CU_ASSERT_TRUE(natt_punch_path(d.b, &p));
	CU_ASSERT_TRUE(pt_same(&p.remote, &d.addr_a));
	pt_duo_free(&d);
}

static void test_rebind_switches(void)
{
	struct pt_duo d;
	struct natt_punch_path p;
	struct natt_cand moved = natt_test_v4(198, 51, 100, 11, 1194, NATT_CAND_HOST);
	struct natt_punch_diag dg;

	pt_duo_init(&d, NULL);
	pt_connect(&d);
	/* A moves: B sees A's packets from a new address */
	d.addr_a = moved;
	CU_ASSERT_EQUAL(natt_punch_path_activity(d.b, d.now, 0, &moved), NATT_OK);
	pt_duo_run(&d, d.now + 100 * NATT_MSEC);
	CU_ASSERT_TRUE(natt_punch_path(d.b, &p));
	CU_ASSERT_TRUE(pt_same(&p.remote, &moved));
	CU_ASSERT_EQUAL(natt_punch_state(d.b), NATT_PUNCH_CONNECTED);
	CU_ASSERT_EQUAL(natt_punch_peer_cid(d.b), 0xaaaa);
	natt_punch_diag(d.b, &dg);
	CU_ASSERT_EQUAL(dg.switches, 1);
	pt_duo_free(&d);
}

/* ---- NAT strategies ---- */

static struct natt_punch *typed(struct pt_duo *d, bool local_edm, bool remote_edm)
{
	struct natt_punch *p = pt_make(d, NULL, 0x5151, NATT_PUNCH_CONTROLLING);
	struct natt_cand h = natt_test_v4(192, 168, 1, 10, 1194, NATT_CAND_HOST);
	struct natt_cand m = natt_test_v4(203, 0, 113, 1, 1194, NATT_CAND_SRFLX);
	struct natt_cand rh = natt_test_v4(10, 2, 0, 20, 1194, NATT_CAND_HOST);
	struct natt_cand r = natt_test_v4(203, 0, 113, 2, 1194, NATT_CAND_SRFLX);

	natt_punch_add_local(p, d->now, &h);
	natt_punch_add_local(p, d->now, &m);
	m.port = local_edm ? 2222 : m.port;
	natt_punch_add_local(p, d->now, &m);
	natt_punch_add_remote(p, d->now, &rh);
	natt_punch_add_remote(p, d->now, &r);
	r.port = remote_edm ? 3333 : r.port;
	natt_punch_add_remote(p, d->now, &r);
	return p;
}

static void test_both_edm_relay(void)
{
	struct pt_duo d;
	struct natt_punch *p;
	struct pt_text t;

	pt_duo_init(&d, NULL);
	p = typed(&d, true, true);
	natt_punch_start(p, d.now);
	CU_ASSERT_EQUAL(natt_punch_state(p), NATT_PUNCH_NEEDS_RELAY); /* at once */
	CU_ASSERT_EQUAL(natt_punch_sockets_wanted(p), 0);
	pt_diag_text(p, &t);
	CU_ASSERT_PTR_NOT_NULL(strstr(t.buf, "needs-relay"));
	CU_ASSERT_PTR_NOT_NULL(strstr(t.buf, "why: both NATs are endpoint-dependent"));
	CU_ASSERT_PTR_NOT_NULL(strstr(t.buf, "the mapped port differs by destination"));
	natt_punch_free(p);
	pt_duo_free(&d);
}

static void test_bday_hard_side(void)
{
	struct pt_duo d;
	struct natt_punch *p;
	uint8_t buf[NATT_MAX_PROBE];
	struct natt_cand dst;
	unsigned int sock, openers = 0, seen_sock[NATT_PUNCH_BDAY_SOCKETS + 1] = {0};
	natt_time_t first = 0, last = 0;

	pt_duo_init(&d, NULL);
	p = typed(&d, true, false);
	natt_punch_start(p, d.now);
	CU_ASSERT_EQUAL(natt_punch_state(p), NATT_PUNCH_PROBING);
	CU_ASSERT_EQUAL(natt_punch_sockets_wanted(p), NATT_PUNCH_BDAY_SOCKETS);
	while (d.now < PT_T0 + 2 * NATT_SEC) {
		natt_time_t t = natt_punch_deadline(p);

		if (t > d.now)
			d.now = t;
		natt_punch_on_timeout(p, d.now);
		while (natt_punch_send(p, d.now, buf, sizeof(buf), &dst, &sock) > 0) {
			if (sock == 0)
				continue;
			CU_ASSERT_TRUE(sock <= NATT_PUNCH_BDAY_SOCKETS);
			CU_ASSERT_EQUAL(dst.port, 1194); /* the easy side's srflx */
			CU_ASSERT_EQUAL(dst.addr[3], 2);
			seen_sock[sock]++;
			if (openers++ == 0)
				first = d.now;
			last = d.now;
		}
	}
	/* every socket once, 5 ms apart */
	CU_ASSERT_EQUAL(openers, NATT_PUNCH_BDAY_SOCKETS);
	for (unsigned int k = 1; k <= NATT_PUNCH_BDAY_SOCKETS; k++)
		CU_ASSERT_EQUAL(seen_sock[k], 1);
	CU_ASSERT_EQUAL(last - first, (NATT_PUNCH_BDAY_SOCKETS - 1) * 5 * NATT_MSEC);
	natt_punch_free(p);
	pt_duo_free(&d);
}

static void test_bday_easy_side(void)
{
	struct pt_duo d;
	struct natt_punch *p;
	uint8_t buf[NATT_MAX_PROBE];
	struct natt_cand dst;
	unsigned int sock, random_probes = 0;
	static uint8_t port_used[65536];
	natt_time_t prev = 0;
	bool spaced = true, distinct = true;

	pt_duo_init(&d, NULL);
	p = typed(&d, false, true);
	natt_punch_start(p, d.now);
	CU_ASSERT_EQUAL(natt_punch_sockets_wanted(p), 0);
	memset(port_used, 0, sizeof(port_used));
	while (d.now < PT_T0 + 30 * NATT_SEC) {
		natt_time_t t = natt_punch_deadline(p);

		if (t == NATT_TIME_NEVER)
			break;
		if (t > d.now)
			d.now = t;
		natt_punch_on_timeout(p, d.now);
		while (natt_punch_send(p, d.now, buf, sizeof(buf), &dst, &sock) > 0) {
			if (dst.port == 1194 || dst.port == 3333 || dst.addr[0] != 203)
				continue; /* the ordinary pairs */
			CU_ASSERT_EQUAL(sock, 0);
			CU_ASSERT_EQUAL(dst.addr[3], 2); /* the hard side's address */
			CU_ASSERT_TRUE(dst.port >= NATT_PUNCH_PORT_MIN);
			distinct &= port_used[dst.port]++ == 0;
			spaced &= prev == 0 || d.now - prev >= 10 * NATT_MSEC;
			prev = d.now;
			random_probes++;
		}
	}
	CU_ASSERT_EQUAL(random_probes, NATT_PUNCH_BDAY_MAX_PROBES); /* bounded */
	CU_ASSERT_TRUE(spaced);					    /* at most 100 per second */
	CU_ASSERT_TRUE(distinct);				    /* never the same port twice */
	CU_ASSERT_EQUAL(natt_punch_state(p), NATT_PUNCH_FAILED);
	natt_punch_free(p);
	pt_duo_free(&d);
}

/* The figures punch.h documents: k probes for 95 % and 99 %. */
static void test_bday_figures(void)
{
	double q = 1.0 - (double)NATT_PUNCH_BDAY_SOCKETS / (65536 - NATT_PUNCH_PORT_MIN);
	double k95 = ceil(log(0.05) / log(q)), k99 = ceil(log(0.01) / log(q));
	double cap = 1.0 - pow(q, NATT_PUNCH_BDAY_MAX_PROBES);

	printf("\n    birthday: %d ports open of %d: k(95%%) = %.0f, k(99%%) = %.0f, "
	       "P(%d probes) = %.4f ",
	       NATT_PUNCH_BDAY_SOCKETS, 65536 - NATT_PUNCH_PORT_MIN, k95, k99,
	       NATT_PUNCH_BDAY_MAX_PROBES, cap);
	CU_ASSERT_EQUAL(k95, 754);
	CU_ASSERT_EQUAL(k99, 1159);
	CU_ASSERT_TRUE(cap > 0.9996 && cap < 0.9998);
}

/* ---- diagnosis ---- */

static void test_diag_timeout(void)
{
	struct pt_duo d;
	struct pt_text t;

	pt_duo_init(&d, NULL);
	d.cut = true;
	natt_punch_start(d.a, d.now);
	natt_punch_start(d.b, d.now);
	pt_duo_run(&d, d.now + 11 * NATT_SEC);
	CU_ASSERT_EQUAL(natt_punch_state(d.a), NATT_PUNCH_FAILED);
	pt_diag_text(d.a, &t);
	CU_ASSERT_PTR_NOT_NULL(strstr(t.buf, ": failed\n"));
	CU_ASSERT_PTR_NOT_NULL(strstr(t.buf, "why: all probes timed out"));
	CU_ASSERT_PTR_NOT_NULL(strstr(t.buf, "pair 1: socket 0 198.51.100.1:1194 -> host "
					     "192.0.2.2:1194: failed, 9 probes, 0 replies"));
	CU_ASSERT_PTR_NOT_NULL(strstr(t.buf, "our candidate 1: host 198.51.100.1:1194"));
	CU_ASSERT_PTR_NOT_NULL(strstr(t.buf, "peer's candidate 1: host 192.0.2.2:1194"));
	CU_ASSERT_PTR_NOT_NULL(strstr(t.buf, "our NAT: unknown"));
	CU_ASSERT_PTR_NULL(strstr(t.buf, "authentication"));
	pt_duo_free(&d);
}

static void test_diag_rendezvous(void)
{
	struct pt_duo d;
	struct natt_punch *p;
	struct pt_text t;

	pt_duo_init(&d, NULL);
	p = pt_make(&d, NULL, 0x77, NATT_PUNCH_CONTROLLING);
	natt_punch_rendezvous_failed(p, d.now, "no answer (rendezvous down?)");
	CU_ASSERT_EQUAL(natt_punch_state(p), NATT_PUNCH_FAILED);
	pt_diag_text(p, &t);
	CU_ASSERT_PTR_NOT_NULL(strstr(t.buf, "why: the rendezvous could not introduce us "
					     "(no answer (rendezvous down?))"));
	natt_punch_free(p);
	/* connected: the diagnosis names the path */
	pt_connect(&d);
	pt_diag_text(d.a, &t);
	CU_ASSERT_PTR_NOT_NULL(strstr(t.buf, ": connected\n"));
	CU_ASSERT_PTR_NOT_NULL(strstr(t.buf, "path: socket 0 -> 192.0.2.2:1194 (host)"));
	CU_ASSERT_PTR_NOT_NULL(strstr(t.buf, "validated"));
	CU_ASSERT_PTR_NOT_NULL(strstr(t.buf, "SELECTED"));
	pt_duo_free(&d);
}

static void test_names(void)
{
	CU_ASSERT_STRING_EQUAL(natt_punch_state_name(NATT_PUNCH_NEEDS_RELAY), "needs-relay");
	CU_ASSERT_PTR_NOT_NULL(strstr(natt_nat_type_name(NATT_NAT_EDM), "symmetric"));
	CU_ASSERT_STRING_EQUAL(natt_punch_fail_name(NATT_PUNCH_FAIL_TIMEOUT),
			       "all probes timed out");
	CU_ASSERT_STRING_EQUAL(natt_punch_state_name((enum natt_punch_state)99), "?");
}

/* Sends what A has due at d->now; returns the length of the last datagram
 * for dst (0 if none) and copies it to pkt. */
static int due_for(struct pt_duo *d, const struct natt_cand *dst, uint8_t *pkt)
{
	uint8_t buf[NATT_MAX_PROBE];
	struct natt_cand to;
	unsigned int sock;
	int n, got = 0;

	natt_punch_on_timeout(d->a, d->now);
	while ((n = natt_punch_send(d->a, d->now, buf, sizeof(buf), &to, &sock)) > 0) {
		if (pt_same(&to, dst)) {
			memcpy(pkt, buf, (size_t)n);
			got = n;
		}
	}
	return got;
}

/* Answers A's probe pkt as if from `from`. */
static void answer(struct pt_duo *d, const uint8_t *pkt, int n, const struct natt_cand *from)
{
	uint8_t reply[NATT_MAX_PROBE];
	struct natt_header h;
	struct natt_probe pr;
	size_t m;

	CU_ASSERT_TRUE_FATAL(n > 0 && pt_inspect(d->seal, pkt, (size_t)n, &h, &pr));
	m = pt_forge(d->seal, reply, NATT_PT_PROBE_REPLY, 0xaaaa, 0xbbbb, pr.probe_id, &d->addr_a,
		     (size_t)n - NATT_PROBE_HDR_LEN - NATT_TAG_LEN);
	CU_ASSERT_EQUAL(natt_punch_recv(d->a, d->now, 0, from, reply, m), NATT_OK);
}

static void test_grace_prefers_lan(void)
{
	struct pt_duo d;
	struct natt_cand mine = natt_test_v4(192, 168, 1, 10, 1194, NATT_CAND_HOST);
	struct natt_cand lan = natt_test_v4(192, 168, 1, 20, 1194, NATT_CAND_HOST);
	uint8_t lan_probe[NATT_MAX_PROBE], wan_probe[NATT_MAX_PROBE], pkt[NATT_MAX_PROBE];
	struct natt_header h;
	struct natt_probe pr;
	struct natt_punch_path path;
	int nl, nw, n;

	pt_duo_init(&d, NULL);
	natt_punch_add_local(d.a, d.now, &mine);
	natt_punch_add_remote(d.a, d.now, &lan);
	natt_punch_start(d.a, d.now);
	nl = due_for(&d, &lan, lan_probe); /* the LAN pair goes first */
	CU_ASSERT_TRUE_FATAL(nl > 0);
	d.now += NATT_PUNCH_PACE;
	nw = due_for(&d, &d.addr_b, wan_probe);
	CU_ASSERT_TRUE_FATAL(nw > 0);
	/* the public path answers first, the LAN 40 ms later */
	answer(&d, wan_probe, nw, &d.addr_b);
	CU_ASSERT_EQUAL(natt_punch_state(d.a), NATT_PUNCH_PROBING); /* waits: grace */
	d.now += 40 * NATT_MSEC;
	CU_ASSERT_EQUAL(due_for(&d, &d.addr_b, pkt), 0); /* no nomination yet */
	answer(&d, lan_probe, nl, &lan);
	/* at the end of the grace period the LAN pair is nominated */
	d.now = natt_punch_deadline(d.a);
	n = due_for(&d, &lan, pkt);
	CU_ASSERT_TRUE_FATAL(n > 0 && pt_inspect(d.seal, pkt, (size_t)n, &h, &pr));
	CU_ASSERT_EQUAL(pr.flags, NATT_PROBE_NOMINATE);
	answer(&d, pkt, n, &lan);
	CU_ASSERT_EQUAL(natt_punch_state(d.a), NATT_PUNCH_CONNECTED);
	CU_ASSERT_TRUE(natt_punch_path(d.a, &path));
	CU_ASSERT_TRUE(pt_same(&path.remote, &lan));
	CU_ASSERT_TRUE(path.lan);
	pt_duo_free(&d);
}

const struct natt_test natt_punch_path_tests[] = {
	{"nominate", test_nominate},
	{"grace_prefers_lan", test_grace_prefers_lan},
	{"path_dead_reprobe", test_path_dead_reprobe},
	{"idle_check", test_idle_check},
	{"rebind_needs_validation", test_rebind_needs_validation},
	{"rebind_switches", test_rebind_switches},
	{"both_edm_relay", test_both_edm_relay},
	{"bday_hard_side", test_bday_hard_side},
	{"bday_easy_side", test_bday_easy_side},
	{"bday_figures", test_bday_figures},
	{"diag_timeout", test_diag_timeout},
	{"diag_rendezvous", test_diag_rendezvous},
	{"names", test_names},
	{NULL, NULL},
};
