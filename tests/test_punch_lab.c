/*
 * test_punch_lab.c: hole punching end to end on the simulated network
 * with modelled NATs (tests/sim/punchlab.h): the NAT matrix, the birthday
 * method over 20 seeds, a flushed NAT, a roaming client, loss, a wrong
 * network key, an unreachable rendezvous, and the time to a path.  Part of
 * the "punch" suite (test_punch.c registers it).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "punchlab.h"
#include "test_punch.h"

#define SEEDS 20

/* Collects the diagnosis text of a peer. */
struct text {
	char buf[8192];
	size_t len;
	unsigned int lines;
};

static void text_line(void *ctx, const char *line)
{
	struct text *t = ctx;
	int n = snprintf(t->buf + t->len, sizeof(t->buf) - t->len, "%s\n", line);

	if (n > 0 && t->len + (size_t)n < sizeof(t->buf))
		t->len += (size_t)n;
	t->lines++;
}

static void diag_text(const struct lab_peer *p, struct text *t)
{
	struct natt_punch_diag d;

	memset(t, 0, sizeof(*t));
	natt_punch_diag(p->punch, &d);
	natt_punch_diag_print(&d, text_line, t);
	if (getenv("PUNCHLAB_VERBOSE") != NULL)
		fprintf(stderr, "--- peer %d diagnosis ---\n%s", p->id, t->buf);
}

static bool path_of(const struct lab_peer *p, struct natt_punch_path *path)
{
	return p->punch != NULL && natt_punch_path(p->punch, path);
}

/* ---- the matrix ---- */

static void test_eim_eim(void)
{
	struct lab_cfg c;
	struct lab l;
	struct natt_punch_path pa, pb;

	lab_cfg_default(&c, 1, LAB_EIM, LAB_EIM);
	CU_ASSERT_EQUAL_FATAL(lab_init(&l, &c), 0);
	CU_ASSERT_TRUE(lab_run(&l, LAB_LOOKUP_AT + 3 * NATT_SEC, lab_both_connected));
	CU_ASSERT_TRUE(path_of(&l.peer[0], &pa));
	CU_ASSERT_TRUE(path_of(&l.peer[1], &pb));
	/* direct, between the two public mappings */
	CU_ASSERT_EQUAL(pa.remote.addr[0], 203);
	CU_ASSERT_EQUAL(pa.remote.addr[3], 20);
	CU_ASSERT_EQUAL(pb.remote.addr[3], 10);
	CU_ASSERT_FALSE(pa.lan);
	CU_ASSERT_EQUAL(pa.sock, 0);
	CU_ASSERT_EQUAL(natt_punch_local_nat(l.peer[0].punch), NATT_NAT_EIM);
	CU_ASSERT_EQUAL(natt_punch_remote_nat(l.peer[0].punch), NATT_NAT_EIM);
	CU_ASSERT_EQUAL(natt_punch_peer_cid(l.peer[0].punch), l.peer[1].cid);
	CU_ASSERT_EQUAL(natt_punch_peer_cid(l.peer[1].punch), l.peer[0].cid);
	/* within a handful of probes each */
	CU_ASSERT_TRUE(l.peer[0].probes_out <= 12);
	CU_ASSERT_TRUE(l.peer[1].probes_out <= 12);
	CU_ASSERT_EQUAL(l.peer[0].max_sockets, 0);
	lab_free(&l);
}

static void test_public_eim(void)
{
	struct lab_cfg c;
	struct lab l;
	struct natt_punch_path pa;

	lab_cfg_default(&c, 2, LAB_EIM, LAB_PUBLIC);
	CU_ASSERT_EQUAL_FATAL(lab_init(&l, &c), 0);
	CU_ASSERT_TRUE(lab_run(&l, LAB_LOOKUP_AT + 3 * NATT_SEC, lab_both_connected));
	CU_ASSERT_EQUAL(natt_punch_remote_nat(l.peer[0].punch), NATT_NAT_NONE);
	CU_ASSERT_EQUAL(natt_punch_local_nat(l.peer[1].punch), NATT_NAT_NONE);
	CU_ASSERT_TRUE(path_of(&l.peer[0], &pa));
	CU_ASSERT_EQUAL(pa.remote.port, LAB_HOST_PORT);
	lab_free(&l);

	/* and the other way round, and a public server with an EDM client,
	 * which needs no birthday method: the server learns the prflx */
	lab_cfg_default(&c, 3, LAB_PUBLIC, LAB_EIM);
	CU_ASSERT_EQUAL_FATAL(lab_init(&l, &c), 0);
	CU_ASSERT_TRUE(lab_run(&l, LAB_LOOKUP_AT + 3 * NATT_SEC, lab_both_connected));
	lab_free(&l);
	lab_cfg_default(&c, 4, LAB_EDM, LAB_PUBLIC);
	CU_ASSERT_EQUAL_FATAL(lab_init(&l, &c), 0);
	CU_ASSERT_TRUE(lab_run(&l, LAB_LOOKUP_AT + 3 * NATT_SEC, lab_both_connected));
	CU_ASSERT_EQUAL(l.peer[0].max_sockets, 0);
	lab_free(&l);
}

static void test_same_nat_lan(void)
{
	struct lab_cfg c;
	struct lab l;
	struct natt_punch_path pa, pb;

	lab_cfg_default(&c, 5, LAB_EIM, LAB_SAME);
	CU_ASSERT_EQUAL_FATAL(lab_init(&l, &c), 0);
	CU_ASSERT_TRUE(lab_run(&l, LAB_LOOKUP_AT + 3 * NATT_SEC, lab_both_connected));
	CU_ASSERT_TRUE(path_of(&l.peer[0], &pa));
	CU_ASSERT_TRUE(path_of(&l.peer[1], &pb));
	CU_ASSERT_TRUE(pa.lan);
	CU_ASSERT_TRUE(pb.lan);
	CU_ASSERT_EQUAL(pa.remote.kind, NATT_CAND_HOST);
	CU_ASSERT_EQUAL(pa.remote.addr[0], 192);
	CU_ASSERT_EQUAL(pa.remote.addr[3], 20);
	CU_ASSERT_EQUAL(pb.remote.addr[3], 10);
	CU_ASSERT_TRUE(pa.rtt < 5 * NATT_MSEC);
	lab_free(&l);

	/* both behind one EDM NAT: still the LAN, no relay */
	lab_cfg_default(&c, 6, LAB_EDM, LAB_SAME);
	CU_ASSERT_EQUAL_FATAL(lab_init(&l, &c), 0);
	CU_ASSERT_TRUE(lab_run(&l, LAB_LOOKUP_AT + 3 * NATT_SEC, lab_both_connected));
	CU_ASSERT_TRUE(path_of(&l.peer[0], &pa));
	CU_ASSERT_TRUE(pa.lan);
	lab_free(&l);
}

/* ---- the birthday method ---- */

static int cmp_time(const void *a, const void *b)
{
	natt_time_t x = *(const natt_time_t *)a, y = *(const natt_time_t *)b;

	return x < y ? -1 : x > y;
}

/* Largest number of probes in any window of `win` (a sliding window over
 * the logged send times), counting only birthday openers or only others. */
static unsigned int max_in_window(const struct lab_peer *p, natt_time_t win, int bday)
{
	unsigned int best = 0, lo = 0, n = 0;

	for (unsigned int hi = 0; hi < p->nprobe_log; hi++) {
		if (bday >= 0 && p->probe_bday[hi] != bday)
			continue;
		n++;
		while (p->probe_at[lo] + win <= p->probe_at[hi]) {
			if (bday < 0 || p->probe_bday[lo] == bday)
				n--;
			lo++;
		}
		if (n > best)
			best = n;
	}
	return best;
}

/* One direction of the matrix cell: hard is the EDM side's index. */
static void bday_cell(enum lab_nat a, enum lab_nat b, int hard, const char *name)
{
	natt_time_t t[SEEDS];
	unsigned int ok = 0, nt = 0;

	for (uint64_t seed = 1; seed <= SEEDS; seed++) {
		struct lab_cfg c;
		struct lab l;
		struct natt_punch_path ph, pe;
		struct natt_punch_diag d;

		lab_cfg_default(&c, 100 + seed, a, b);
		CU_ASSERT_EQUAL_FATAL(lab_init(&l, &c), 0);
		if (lab_run(&l, LAB_LOOKUP_AT + 15 * NATT_SEC, lab_both_connected)) {
			ok++;
			t[nt++] = l.now - LAB_LOOKUP_AT;
			CU_ASSERT_TRUE(path_of(&l.peer[hard], &ph));
			CU_ASSERT_TRUE(path_of(&l.peer[1 - hard], &pe));
			CU_ASSERT_TRUE(ph.sock > 0); /* one of the extra sockets */
			CU_ASSERT_EQUAL(pe.sock, 0);
			CU_ASSERT_TRUE(pe.bday);
			CU_ASSERT_EQUAL(pe.remote.kind, NATT_CAND_PRFLX);
		}
		CU_ASSERT_EQUAL(l.peer[hard].max_sockets, NATT_PUNCH_BDAY_SOCKETS);
		CU_ASSERT_EQUAL(l.peer[1 - hard].max_sockets, 0);
		CU_ASSERT_EQUAL(natt_punch_local_nat(l.peer[hard].punch), NATT_NAT_EDM);
		CU_ASSERT_EQUAL(natt_punch_remote_nat(l.peer[1 - hard].punch), NATT_NAT_EDM);
		natt_punch_diag(l.peer[1 - hard].punch, &d);
		/* the easy side's random probes: at most 100 in any second
		 * (plus the paced ordinary ones, at most 51) */
		CU_ASSERT_TRUE(d.bday_probes <= NATT_PUNCH_BDAY_MAX_PROBES);
		CU_ASSERT_TRUE(max_in_window(&l.peer[1 - hard], NATT_SEC, -1) <= 100 + 51);
		CU_ASSERT_TRUE(max_in_window(&l.peer[hard], NATT_SEC, 1) <= 200 + 51);
		lab_free(&l);
	}
	qsort(t, nt, sizeof(t[0]), cmp_time);
	printf("\n    %s: %u/%u seeds direct within 15 s; time to path median %.2f s, max %.2f s ",
	       name, ok, SEEDS, nt ? (double)t[nt / 2] / NATT_SEC : -1.0,
	       nt ? (double)t[nt - 1] / NATT_SEC : -1.0);
	CU_ASSERT_TRUE(ok >= 19);
}

static void test_bday_eim_edm(void)
{
	bday_cell(LAB_EIM, LAB_EDM, 1, "eim/edm");
}

static void test_bday_edm_eim(void)
{
	bday_cell(LAB_EDM, LAB_EIM, 0, "edm/eim");
}

static void test_edm_edm_relay(void)
{
	struct lab_cfg c;
	struct lab l;
	struct text t;

	lab_cfg_default(&c, 7, LAB_EDM, LAB_EDM);
	CU_ASSERT_EQUAL_FATAL(lab_init(&l, &c), 0);
	CU_ASSERT_TRUE(lab_run(&l, LAB_LOOKUP_AT + 10 * NATT_SEC, lab_any_final));
	CU_ASSERT_TRUE(l.now <= LAB_LOOKUP_AT + 10 * NATT_SEC);
	lab_run(&l, l.now + NATT_SEC, NULL); /* the other side concludes too */
	for (int i = 0; i < 2; i++) {
		CU_ASSERT_EQUAL(natt_punch_state(l.peer[i].punch), NATT_PUNCH_NEEDS_RELAY);
		diag_text(&l.peer[i], &t);
		CU_ASSERT_PTR_NOT_NULL(strstr(t.buf, "needs-relay"));
		CU_ASSERT_PTR_NOT_NULL(strstr(t.buf, "a relay is needed"));
		CU_ASSERT_PTR_NOT_NULL(strstr(t.buf, "our NAT: endpoint-dependent"));
		CU_ASSERT_PTR_NOT_NULL(strstr(t.buf, "peer's NAT: endpoint-dependent"));
		CU_ASSERT_EQUAL(l.peer[i].max_sockets, 0); /* no birthday attempt */
	}
	lab_free(&l);
}

/* ---- after the path is up ---- */

static natt_time_t mark; /* an instant the predicates below compare with */

/* Both connected, and data received on both sides after `mark`. */
static bool data_flows(struct lab *l)
{
	return lab_both_connected(l) && l->peer[0].data_last_rx > mark &&
	       l->peer[1].data_last_rx > mark;
}

/* Connects a lab and lets data flow for two seconds. */
static void connect_and_talk(struct lab *l)
{
	CU_ASSERT_TRUE_FATAL(lab_run(l, LAB_LOOKUP_AT + 5 * NATT_SEC, lab_both_connected));
	lab_run(l, l->now + 2 * NATT_SEC, NULL);
	CU_ASSERT_TRUE(lab_both_connected(l));
	CU_ASSERT_TRUE(l->peer[0].data_recv >= 15);
	CU_ASSERT_TRUE(l->peer[1].data_recv >= 15);
}

static void flush_case(uint64_t seed, bool preserve, natt_time_t bound, const char *name)
{
	struct lab_cfg c;
	struct lab l;
	natt_cid_t cid0, cid1;

	lab_cfg_default(&c, seed, LAB_EIM, LAB_EIM);
	c.no_port_preserve = !preserve;
	CU_ASSERT_EQUAL_FATAL(lab_init(&l, &c), 0);
	connect_and_talk(&l);
	cid0 = natt_punch_peer_cid(l.peer[1].punch);
	cid1 = natt_punch_peer_cid(l.peer[0].punch);
	sim_nat_flush(l.net, l.peer[0].nat); /* both routers restart */
	sim_nat_flush(l.net, l.peer[1].nat);
	mark = l.now + LAB_DATA_INTERVAL; /* what was in flight does not count */
	CU_ASSERT_TRUE(lab_run(&l, l.now + bound, data_flows));
	printf("\n    %s: data flows again %.2f s after the flush ", name,
	       (double)(l.now - mark + LAB_DATA_INTERVAL) / NATT_SEC);
	/* the session kept its connection IDs */
	CU_ASSERT_EQUAL(natt_punch_peer_cid(l.peer[1].punch), cid0);
	CU_ASSERT_EQUAL(natt_punch_peer_cid(l.peer[0].punch), cid1);
	lab_free(&l);
}

static void test_flush_recovers(void)
{
	/* Linux masquerade takes the same ports again: the paths' own checks
	 * reopen them */
	flush_case(8, true, 5 * NATT_SEC, "flush, ports preserved");
	/* new ports: the paths die, the rendezvous is asked again */
	flush_case(9, false, 10 * NATT_SEC, "flush, new ports");
}

static void test_roaming_client(void)
{
	struct lab_cfg c;
	struct lab l;
	struct natt_punch_path before, after, client;
	struct natt_punch_diag d;

	lab_cfg_default(&c, 10, LAB_EIM, LAB_PUBLIC);
	CU_ASSERT_EQUAL_FATAL(lab_init(&l, &c), 0);
	connect_and_talk(&l);
	CU_ASSERT_TRUE(path_of(&l.peer[1], &before));
	lab_move(&l, 0, LAB_EIM); /* the laptop moves to another network */
	mark = l.now + LAB_DATA_INTERVAL;
	CU_ASSERT_TRUE(lab_run(&l, l.now + 2 * NATT_SEC, data_flows));
	lab_run(&l, l.now + NATT_SEC, NULL);
	CU_ASSERT_TRUE(path_of(&l.peer[1], &after));
	CU_ASSERT_EQUAL(before.remote.addr[3], 10);
	CU_ASSERT_EQUAL(after.remote.addr[3], 30); /* the new site's public address */
	CU_ASSERT_TRUE(path_of(&l.peer[0], &client));
	CU_ASSERT_EQUAL(client.remote.addr[3], 20);
	natt_punch_diag(l.peer[1].punch, &d);
	CU_ASSERT_EQUAL(d.switches, 1);
	CU_ASSERT_EQUAL(d.paths_dead, 0);
	CU_ASSERT_EQUAL(natt_punch_state(l.peer[1].punch), NATT_PUNCH_CONNECTED);
	lab_free(&l);
}

static void test_rebinding(void)
{
	struct lab_cfg c;
	struct lab l;
	struct natt_punch_path before, after;

	/* the client's NAT restarts and maps it to another port */
	lab_cfg_default(&c, 11, LAB_EIM, LAB_PUBLIC);
	c.no_port_preserve = true;
	CU_ASSERT_EQUAL_FATAL(lab_init(&l, &c), 0);
	connect_and_talk(&l);
	CU_ASSERT_TRUE(path_of(&l.peer[1], &before));
	sim_nat_flush(l.net, l.peer[0].nat);
	mark = l.now + LAB_DATA_INTERVAL;
	CU_ASSERT_TRUE(lab_run(&l, l.now + 2 * NATT_SEC, data_flows));
	lab_run(&l, l.now + NATT_SEC, NULL);
	CU_ASSERT_TRUE(path_of(&l.peer[1], &after));
	CU_ASSERT_NOT_EQUAL(after.remote.port, before.remote.port);
	CU_ASSERT_EQUAL(natt_punch_state(l.peer[1].punch), NATT_PUNCH_CONNECTED);
	lab_free(&l);
}

static void test_roaming_both_natted(void)
{
	struct lab_cfg c;
	struct lab l;

	/* the server's NAT filters the client's new address: both paths die
	 * and the rendezvous brings the new candidates */
	lab_cfg_default(&c, 12, LAB_EIM, LAB_EIM);
	CU_ASSERT_EQUAL_FATAL(lab_init(&l, &c), 0);
	connect_and_talk(&l);
	lab_move(&l, 0, LAB_EIM);
	mark = l.now + LAB_DATA_INTERVAL;
	CU_ASSERT_TRUE(lab_run(&l, l.now + 10 * NATT_SEC, data_flows));
	printf("\n    roaming behind NATs: data flows again after %.2f s ",
	       (double)(l.now - mark + LAB_DATA_INTERVAL) / NATT_SEC);
	CU_ASSERT_TRUE(l.peer[0].rdv_lookups >= 2);
	lab_free(&l);
}

/* ---- adversity ---- */

static void test_loss_converges(void)
{
	unsigned int ok = 0;

	for (uint64_t seed = 1; seed <= 10; seed++) {
		struct lab_cfg c;
		struct lab l;

		lab_cfg_default(&c, 300 + seed, LAB_EIM, LAB_EIM);
		c.loss = 0.10;
		CU_ASSERT_EQUAL_FATAL(lab_init(&l, &c), 0);
		ok += lab_run(&l, LAB_LOOKUP_AT + 10 * NATT_SEC, lab_both_connected);
		lab_free(&l);
	}
	CU_ASSERT_EQUAL(ok, 10);
}

static void test_wrong_key_lab(void)
{
	struct lab_cfg c;
	struct lab l;
	struct text t;

	lab_cfg_default(&c, 13, LAB_EIM, LAB_EIM);
	c.wrong_key = true; /* the server seals probes with another network key */
	CU_ASSERT_EQUAL_FATAL(lab_init(&l, &c), 0);
	CU_ASSERT_FALSE(lab_run(&l, LAB_LOOKUP_AT + 3 * NATT_SEC, lab_both_connected));
	CU_ASSERT_TRUE(lab_run(&l, LAB_LOOKUP_AT + 12 * NATT_SEC, lab_any_final));
	lab_run(&l, l.now + NATT_SEC, NULL);
	for (int i = 0; i < 2; i++) {
		CU_ASSERT_EQUAL(natt_punch_state(l.peer[i].punch), NATT_PUNCH_FAILED);
		CU_ASSERT_EQUAL(l.peer[i].replies_out, 0); /* nothing answered */
		diag_text(&l.peer[i], &t);
		CU_ASSERT_PTR_NOT_NULL(strstr(t.buf, "why: probes failed authentication"));
		CU_ASSERT_PTR_NOT_NULL(strstr(t.buf, "authentication failures: "));
	}
	lab_free(&l);
}

static void test_rendezvous_down(void)
{
	struct lab_cfg c;
	struct lab l;
	struct text t;

	lab_cfg_default(&c, 14, LAB_EIM, LAB_EIM);
	CU_ASSERT_EQUAL_FATAL(lab_init(&l, &c), 0);
	l.rdv_down = true;
	CU_ASSERT_TRUE(lab_run(&l, 20 * NATT_SEC, lab_any_final));
	CU_ASSERT_EQUAL(natt_punch_state(l.peer[0].punch), NATT_PUNCH_FAILED);
	CU_ASSERT_PTR_NULL(l.peer[1].punch); /* never introduced */
	diag_text(&l.peer[0], &t);
	CU_ASSERT_PTR_NOT_NULL(strstr(t.buf, "why: the rendezvous could not introduce us ("));
	CU_ASSERT_PTR_NOT_NULL(strstr(t.buf, "rendezvous: 1 failures"));
	lab_free(&l);
}

static void test_replies_and_pacing(void)
{
	struct lab_cfg c;
	struct lab l;

	lab_cfg_default(&c, 15, LAB_EIM, LAB_EIM);
	c.loss = 0.3; /* many retransmissions */
	CU_ASSERT_EQUAL_FATAL(lab_init(&l, &c), 0);
	lab_run(&l, LAB_LOOKUP_AT + 10 * NATT_SEC, NULL);
	for (int i = 0; i < 2; i++) {
		const struct lab_peer *p = &l.peer[i];

		CU_ASSERT_TRUE(p->probes_out > 0);
		CU_ASSERT_TRUE(p->max_reply <= p->min_probe);
		/* one ordinary probe per 20 ms at most */
		CU_ASSERT_TRUE(max_in_window(p, 100 * NATT_MSEC, 0) <= 5);
		CU_ASSERT_TRUE(max_in_window(p, NATT_SEC, 0) <= 50);
	}
	lab_free(&l);
}

/* ---- the figure ---- */

static void test_time_to_path(void)
{
	natt_time_t t[SEEDS];
	unsigned int n = 0;

	for (uint64_t seed = 1; seed <= SEEDS; seed++) {
		struct lab_cfg c;
		struct lab l;

		lab_cfg_default(&c, 200 + seed, LAB_EIM, LAB_EIM);
		CU_ASSERT_EQUAL_FATAL(lab_init(&l, &c), 0);
		if (lab_run(&l, LAB_LOOKUP_AT + 5 * NATT_SEC, lab_both_connected))
			t[n++] = l.now - l.peer[0].started_at;
		lab_free(&l);
	}
	CU_ASSERT_EQUAL_FATAL(n, SEEDS);
	qsort(t, n, sizeof(t[0]), cmp_time);
	printf("\n    eim/eim, 20 ms one way, no loss: time to a validated path (both sides "
	       "connected, from the lookup answer) median %.0f ms, min %.0f, max %.0f ",
	       (double)t[n / 2] / NATT_MSEC, (double)t[0] / NATT_MSEC,
	       (double)t[n - 1] / NATT_MSEC);
	CU_ASSERT_TRUE(t[n / 2] < NATT_SEC);
}

const struct natt_test natt_punch_lab_tests[] = {
	{"lab_eim_eim", test_eim_eim},
	{"lab_public_eim", test_public_eim},
	{"lab_same_nat_lan", test_same_nat_lan},
	{"lab_bday_eim_edm", test_bday_eim_edm},
	{"lab_bday_edm_eim", test_bday_edm_eim},
	{"lab_edm_edm_relay", test_edm_edm_relay},
	{"lab_flush_recovers", test_flush_recovers},
	{"lab_roaming_client", test_roaming_client},
	{"lab_rebinding", test_rebinding},
	{"lab_roaming_both_natted", test_roaming_both_natted},
	{"lab_loss_converges", test_loss_converges},
	{"lab_wrong_key", test_wrong_key_lab},
	{"lab_rendezvous_down", test_rendezvous_down},
	{"lab_replies_and_pacing", test_replies_and_pacing},
	{"lab_time_to_path", test_time_to_path},
	{NULL, NULL},
};
