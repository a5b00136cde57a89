/*
 * test_punch.c: the punch module (transport/punch.h) on its own: argument
 * checks, NAT-type inference, pair order and pacing, retransmission, and
 * PROBE / PROBE_REPLY built and checked byte by byte through wire.h and
 * seal.h (sizes, the wrong key, connection IDs, replies to nothing or from
 * elsewhere).  Holds the suite's fixture (test_punch.h) and registers the
 * "punch" suite with the tests of test_punch_path.c and test_punch_lab.c.
 */
#include <stdio.h>
#include <string.h>

#include "punch.h"
#include "seal.h"
#include "test_punch.h"
#include "wire.h"

/* ---- fixture ---- */

bool pt_same(const struct natt_cand *a, const struct natt_cand *b)
{
	return a->family == b->family && a->port == b->port && memcmp(a->addr, b->addr, 16) == 0;
}

struct natt_punch *pt_make(struct pt_duo *d, const struct natt_punch_config *cfg, natt_cid_t cid,
			   enum natt_punch_role role)
{
	struct natt_punch *p = NULL;

	CU_ASSERT_EQUAL_FATAL(natt_punch_new(&p, cfg, d->seal, natt_test_rng, &d->rng, cid, role),
			      NATT_OK);
	return p;
}

void pt_duo_init(struct pt_duo *d, const struct natt_punch_config *cfg)
{
	memset(d, 0, sizeof(*d));
	d->rng = 0x1234567887654321u;
	d->seal = natt_test_seal(0x40);
	d->now = PT_T0;
	d->addr_a = natt_test_v4(198, 51, 100, 1, 1194, NATT_CAND_HOST);
	d->addr_b = natt_test_v4(192, 0, 2, 2, 1194, NATT_CAND_HOST);
	d->a = pt_make(d, cfg, 0xaaaa, NATT_PUNCH_CONTROLLING);
	d->b = pt_make(d, cfg, 0xbbbb, NATT_PUNCH_CONTROLLED);
	CU_ASSERT_EQUAL(natt_punch_set_peer_cid(d->b, 0xaaaa), NATT_OK);
	natt_punch_add_local(d->a, d->now, &d->addr_a);
	natt_punch_add_local(d->b, d->now, &d->addr_b);
	natt_punch_add_remote(d->a, d->now, &d->addr_b);
	natt_punch_add_remote(d->b, d->now, &d->addr_a);
}

void pt_duo_free(struct pt_duo *d)
{
	natt_punch_free(d->a);
	natt_punch_free(d->b);
	natt_seal_free(d->seal);
}

/* Everything both sides have to send now, delivered at once. */
void pt_duo_pump(struct pt_duo *d)
{
	bool busy = true;

	while (busy) {
		busy = false;
		for (int s = 0; s < 2; s++) {
			struct natt_punch *p = s ? d->b : d->a, *q = s ? d->a : d->b;
			const struct natt_cand *me = s ? &d->addr_b : &d->addr_a;
			const struct natt_cand *peer = s ? &d->addr_a : &d->addr_b;
			uint8_t buf[NATT_MAX_PROBE];
			struct natt_cand dst;
			unsigned int sock;
			int n;

			if (natt_punch_deadline(p) <= d->now)
				natt_punch_on_timeout(p, d->now);
			while ((n = natt_punch_send(p, d->now, buf, sizeof(buf), &dst, &sock)) >
			       0) {
				busy = true;
				if (d->cut || !pt_same(&dst, peer))
					continue;
				natt_punch_recv(q, d->now, 0, me, buf, (size_t)n);
				if (s)
					d->to_a++;
				else
					d->to_b++;
			}
		}
	}
}

void pt_duo_run(struct pt_duo *d, natt_time_t until)
{
	for (;;) {
		natt_time_t t;

		pt_duo_pump(d);
		t = natt_punch_deadline(d->a);
		if (natt_punch_deadline(d->b) < t)
			t = natt_punch_deadline(d->b);
		if (t > until)
			break;
		if (t > d->now)
			d->now = t;
	}
	d->now = until;
	pt_duo_pump(d);
}

/* Builds a sealed PROBE or PROBE_REPLY by hand. */
size_t pt_forge(struct natt_seal *seal, uint8_t *out, uint8_t type, natt_cid_t dcid,
		natt_cid_t scid, const uint8_t *id, const struct natt_cand *seen, size_t body)
{
	struct natt_header h;
	struct natt_probe pr;
	int n;

	memset(&h, 0, sizeof(h));
	h.type = type;
	h.dcid = dcid;
	h.scid = scid;
	memset(h.salt, 0x5a, sizeof(h.salt));
	h.salt[0] = (uint8_t)body;
	CU_ASSERT_EQUAL(natt_header_encode(out, NATT_MAX_PROBE, &h), NATT_PROBE_HDR_LEN);
	memset(&pr, 0, sizeof(pr));
	memcpy(pr.probe_id, id, NATT_PROBE_ID_LEN);
	if (seen != NULL) {
		pr.seen = *seen;
		pr.seen.kind = NATT_CAND_PRFLX;
	}
	CU_ASSERT_EQUAL(natt_probe_encode(out + NATT_PROBE_HDR_LEN,
					  NATT_MAX_PROBE - NATT_PROBE_HDR_LEN, type, &pr, body),
			(int)body);
	n = natt_seal_seal(seal, NATT_SEAL_PROBE, out, NATT_PROBE_HDR_LEN, body, NATT_MAX_PROBE);
	CU_ASSERT_TRUE(n > 0);
	return (size_t)n;
}

/* Opens a datagram a session sent and decodes it. */
bool pt_inspect(struct natt_seal *seal, const uint8_t *pkt, size_t len, struct natt_header *h,
		struct natt_probe *pr)
{
	uint8_t buf[NATT_MAX_PROBE];
	int n;

	if (natt_header_decode(h, pkt, len) != NATT_OK || len > sizeof(buf))
		return false;
	memcpy(buf, pkt, len);
	n = natt_seal_open(seal, NATT_SEAL_PROBE, buf, h->len, len);
	return n > 0 && natt_probe_decode(pr, h->type, buf + h->len, (size_t)n) == NATT_OK;
}

void pt_text_line(void *ctx, const char *line)
{
	struct pt_text *t = ctx;
	int n = snprintf(t->buf + t->len, sizeof(t->buf) - t->len, "%s\n", line);

	if (n > 0 && t->len + (size_t)n < sizeof(t->buf))
		t->len += (size_t)n;
}

void pt_diag_text(const struct natt_punch *p, struct pt_text *t)
{
	struct natt_punch_diag d;

	memset(t, 0, sizeof(*t));
	natt_punch_diag(p, &d);
	CU_ASSERT_TRUE(natt_punch_diag_print(&d, pt_text_line, t) >= 5);
}

void pt_connect(struct pt_duo *d)
{
	natt_punch_start(d->a, d->now);
	natt_punch_start(d->b, d->now);
	pt_duo_run(d, d->now + NATT_SEC);
	CU_ASSERT_EQUAL_FATAL(natt_punch_state(d->a), NATT_PUNCH_CONNECTED);
	CU_ASSERT_EQUAL_FATAL(natt_punch_state(d->b), NATT_PUNCH_CONNECTED);
}

/* ---- arguments ---- */

static void test_new_checks(void)
{
	struct natt_seal *seal = natt_test_seal(1);
	struct natt_punch_config cfg;
	struct natt_punch *p = NULL;
	uint64_t rng = 1;
	uint8_t buf[NATT_MAX_PROBE];
	struct natt_cand dst;
	unsigned int sock;

	natt_punch_config_default(&cfg);
	CU_ASSERT_EQUAL(natt_punch_new(&p, &cfg, NULL, natt_test_rng, &rng, 1, 0),
			NATT_ERR_INVALID);
	CU_ASSERT_EQUAL(natt_punch_new(&p, &cfg, seal, NULL, &rng, 1, 0), NATT_ERR_INVALID);
	CU_ASSERT_EQUAL(natt_punch_new(&p, &cfg, seal, natt_test_rng, &rng, 0, 0),
			NATT_ERR_INVALID);
	CU_ASSERT_EQUAL(natt_punch_new(&p, &cfg, seal, natt_test_rng, &rng, 1, 7),
			NATT_ERR_INVALID);
	cfg.pace = 0;
	CU_ASSERT_EQUAL(natt_punch_new(&p, &cfg, seal, natt_test_rng, &rng, 1, 0),
			NATT_ERR_INVALID);
	natt_punch_config_default(&cfg);
	cfg.rto_max = cfg.rto_initial - 1;
	CU_ASSERT_EQUAL(natt_punch_new(&p, &cfg, seal, natt_test_rng, &rng, 1, 0),
			NATT_ERR_INVALID);
	natt_punch_config_default(&cfg);
	cfg.probe_body = NATT_PROBE_MIN_BODY - 1;
	CU_ASSERT_EQUAL(natt_punch_new(&p, &cfg, seal, natt_test_rng, &rng, 1, 0),
			NATT_ERR_INVALID);
	natt_punch_config_default(&cfg);
	cfg.bday_sockets = NATT_PUNCH_BDAY_SOCKETS + 1;
	CU_ASSERT_EQUAL(natt_punch_new(&p, &cfg, seal, natt_test_rng, &rng, 1, 0),
			NATT_ERR_INVALID);
	CU_ASSERT_PTR_NULL(p);
	CU_ASSERT_EQUAL(natt_punch_new(&p, NULL, seal, natt_test_rng, &rng, 1, 0), NATT_OK);
	CU_ASSERT_EQUAL(natt_punch_state(p), NATT_PUNCH_IDLE);
	CU_ASSERT_EQUAL(natt_punch_deadline(p), NATT_TIME_NEVER);
	CU_ASSERT_EQUAL(natt_punch_send(p, PT_T0, buf, sizeof(buf), &dst, &sock), 0);
	CU_ASSERT_EQUAL(natt_punch_set_peer_cid(p, 0), NATT_ERR_INVALID);
	CU_ASSERT_EQUAL(natt_punch_set_peer_cid(p, 5), NATT_OK);
	CU_ASSERT_EQUAL(natt_punch_set_peer_cid(p, 6), NATT_ERR_BAD_VALUE);
	CU_ASSERT_EQUAL(natt_punch_peer_cid(p), 5);
	natt_punch_free(p);
	natt_seal_free(seal);
}

static void test_cand_checks(void)
{
	struct natt_seal *seal = natt_test_seal(1);
	struct natt_punch *p = NULL;
	uint64_t rng = 1;
	struct natt_cand c = natt_test_v4(10, 0, 0, 1, 1194, NATT_CAND_RELAY), none;

	memset(&none, 0, sizeof(none));
	CU_ASSERT_EQUAL_FATAL(natt_punch_new(&p, NULL, seal, natt_test_rng, &rng, 1, 0), NATT_OK);
	CU_ASSERT_EQUAL(natt_punch_add_local(p, PT_T0, &c), NATT_ERR_INVALID); /* relay: not ours */
	CU_ASSERT_EQUAL(natt_punch_add_local(p, PT_T0, &none), NATT_ERR_INVALID);
	CU_ASSERT_EQUAL(natt_punch_add_remote(p, PT_T0, &none), NATT_ERR_INVALID);
	c.port = 0;
	CU_ASSERT_EQUAL(natt_punch_add_remote(p, PT_T0, &c), NATT_ERR_INVALID);
	c = natt_test_v4(10, 0, 0, 1, 1194, NATT_CAND_HOST);
	for (int i = 0; i < 10; i++) /* the same address: kept twice, no more */
		CU_ASSERT_EQUAL(natt_punch_add_local(p, PT_T0, &c), NATT_OK);
	for (int i = 0; i < NATT_PUNCH_MAX_LOCAL - 2; i++) {
		c.port = (uint16_t)(2000 + i);
		CU_ASSERT_EQUAL(natt_punch_add_local(p, PT_T0, &c), NATT_OK);
	}
	c.port = 9999;
	CU_ASSERT_EQUAL(natt_punch_add_local(p, PT_T0, &c), NATT_ERR_FULL);
	for (int i = 0; i < NATT_PUNCH_MAX_REMOTE - 1; i++) {
		c.port = (uint16_t)(3000 + i);
		CU_ASSERT_EQUAL(natt_punch_add_remote(p, PT_T0, &c), NATT_OK);
	}
	CU_ASSERT_EQUAL(natt_punch_add_remote(p, PT_T0, &c), NATT_OK); /* a second copy */
	CU_ASSERT_EQUAL(natt_punch_add_remote(p, PT_T0, &c), NATT_OK); /* a third: refreshed */
	c.port = 9999;
	CU_ASSERT_EQUAL(natt_punch_add_remote(p, PT_T0, &c), NATT_ERR_FULL);
	natt_punch_free(p);
	natt_seal_free(seal);
}

/* ---- NAT type ---- */

static void test_infer(void)
{
	struct natt_seal *seal = natt_test_seal(1);
	struct natt_punch *p = NULL;
	uint64_t rng = 1;
	struct natt_cand host = natt_test_v4(192, 168, 1, 10, 1194, NATT_CAND_HOST);
	struct natt_cand m1 = natt_test_v4(203, 0, 113, 1, 1194, NATT_CAND_SRFLX);
	struct natt_cand m2 = natt_test_v4(203, 0, 113, 1, 40001, NATT_CAND_SRFLX);
	struct natt_cand pub = natt_test_v4(198, 51, 100, 7, 1194, NATT_CAND_HOST);
	uint8_t pkt[NATT_MAX_PROBE], id[NATT_PROBE_ID_LEN] = {3};
	size_t n;

	CU_ASSERT_EQUAL_FATAL(natt_punch_new(&p, NULL, seal, natt_test_rng, &rng, 1, 0), NATT_OK);
	CU_ASSERT_EQUAL(natt_punch_local_nat(p), NATT_NAT_UNKNOWN);
	natt_punch_add_local(p, PT_T0, &host);
	natt_punch_add_local(p, PT_T0, &m1);
	CU_ASSERT_EQUAL(natt_punch_local_nat(p), NATT_NAT_UNKNOWN); /* one observation */
	natt_punch_add_local(p, PT_T0, &m1);
	CU_ASSERT_EQUAL(natt_punch_local_nat(p), NATT_NAT_EIM);
	natt_punch_add_local(p, PT_T0 + NATT_SEC, &m2);
	CU_ASSERT_EQUAL(natt_punch_local_nat(p), NATT_NAT_EDM);
	/* the peer: public (its srflx is its host address) */
	natt_punch_add_remote(p, PT_T0, &pub);
	pub.kind = NATT_CAND_SRFLX;
	natt_punch_add_remote(p, PT_T0, &pub);
	CU_ASSERT_EQUAL(natt_punch_remote_nat(p), NATT_NAT_NONE);
	natt_punch_free(p);

	/* a NAT that restarted: the old mapping is stale, not a second one */
	CU_ASSERT_EQUAL_FATAL(natt_punch_new(&p, NULL, seal, natt_test_rng, &rng, 1, 0), NATT_OK);
	natt_punch_add_local(p, PT_T0, &m1);
	natt_punch_add_local(p, PT_T0, &m1);
	natt_punch_add_local(p, PT_T0 + NATT_PUNCH_OBS_WINDOW + 1, &m2);
	CU_ASSERT_EQUAL(natt_punch_local_nat(p), NATT_NAT_UNKNOWN);
	natt_punch_add_local(p, PT_T0 + NATT_PUNCH_OBS_WINDOW + 2, &m2);
	CU_ASSERT_EQUAL(natt_punch_local_nat(p), NATT_NAT_EIM);
	natt_punch_free(p);

	/* a peer that moves later (a prflx from elsewhere) is no EDM NAT */
	CU_ASSERT_EQUAL_FATAL(natt_punch_new(&p, NULL, seal, natt_test_rng, &rng, 1, 0), NATT_OK);
	natt_punch_add_local(p, PT_T0, &host);
	natt_punch_add_remote(p, PT_T0, &m1);
	natt_punch_add_remote(p, PT_T0, &m1);
	CU_ASSERT_EQUAL(natt_punch_remote_nat(p), NATT_NAT_EIM);
	natt_punch_set_peer_cid(p, 9);
	natt_punch_start(p, PT_T0);
	m2.addr[3] = 99; /* its probes now come from another address */
	n = pt_forge(seal, pkt, NATT_PT_PROBE, 1, 9, id, NULL, NATT_PROBE_MIN_BODY);
	CU_ASSERT_EQUAL(natt_punch_recv(p, PT_T0 + 5 * NATT_SEC, 0, &m2, pkt, n), NATT_OK);
	CU_ASSERT_EQUAL(natt_punch_remote_nat(p), NATT_NAT_EIM);
	/* but another mapping seen at about the same time as the srflx is */
	m2.addr[3] = 98;
	natt_punch_add_remote(p, PT_T0 + 6 * NATT_SEC, &m1);
	CU_ASSERT_EQUAL(natt_punch_recv(p, PT_T0 + 6 * NATT_SEC, 0, &m2, pkt, n), NATT_OK);
	CU_ASSERT_EQUAL(natt_punch_remote_nat(p), NATT_NAT_EDM);
	natt_punch_free(p);
	natt_seal_free(seal);
}

/* ---- probing ---- */

static void test_pair_order_and_pacing(void)
{
	struct pt_duo d;
	struct natt_cand lan = natt_test_v4(192, 168, 1, 20, 1194, NATT_CAND_HOST);
	struct natt_cand other = natt_test_v4(10, 9, 9, 9, 1194, NATT_CAND_HOST);
	struct natt_cand srflx = natt_test_v4(203, 0, 113, 2, 1194, NATT_CAND_SRFLX);
	struct natt_cand mine = natt_test_v4(192, 168, 1, 10, 1194, NATT_CAND_HOST);
	struct natt_cand order[4];
	uint8_t buf[NATT_MAX_PROBE];
	struct natt_cand dst;
	unsigned int sock, n = 0;

	pt_duo_init(&d, NULL);
	natt_punch_add_local(d.a, d.now, &mine);
	natt_punch_add_remote(d.a, d.now, &srflx);
	natt_punch_add_remote(d.a, d.now, &other);
	natt_punch_add_remote(d.a, d.now, &lan);
	CU_ASSERT_EQUAL(natt_punch_start(d.a, d.now), NATT_OK);
	CU_ASSERT_EQUAL(natt_punch_state(d.a), NATT_PUNCH_PROBING);
	for (int k = 0; k < 4; k++) {
		natt_time_t t = natt_punch_deadline(d.a);

		CU_ASSERT_EQUAL(t, d.now + (k == 0 ? 0 : 20 * NATT_MSEC));
		if (t > d.now)
			d.now = t;
		natt_punch_on_timeout(d.a, d.now);
		CU_ASSERT_TRUE(natt_punch_send(d.a, d.now, buf, sizeof(buf), &order[n], &sock) > 0);
		CU_ASSERT_EQUAL(sock, 0);
		n++;
		/* paced: nothing more at the same instant */
		CU_ASSERT_EQUAL(natt_punch_send(d.a, d.now, buf, sizeof(buf), &dst, &sock), 0);
	}
	CU_ASSERT_TRUE(pt_same(&order[0], &lan));				     /* LAN first */
	CU_ASSERT_TRUE(pt_same(&order[1], &d.addr_b) || pt_same(&order[1], &other)); /* hosts */
	CU_ASSERT_TRUE(pt_same(&order[2], &d.addr_b) || pt_same(&order[2], &other));
	CU_ASSERT_FALSE(pt_same(&order[1], &order[2]));
	CU_ASSERT_TRUE(pt_same(&order[3], &srflx)); /* then srflx */
	pt_duo_free(&d);
}

static void test_retransmit_backoff(void)
{
	struct pt_duo d;
	natt_time_t sent[16];
	unsigned int n = 0;
	uint8_t buf[NATT_MAX_PROBE];
	struct natt_cand dst;
	unsigned int sock;

	pt_duo_init(&d, NULL);
	natt_punch_start(d.a, d.now);
	while (d.now < PT_T0 + 12 * NATT_SEC && n < 16) {
		natt_time_t t = natt_punch_deadline(d.a);

		if (t == NATT_TIME_NEVER)
			break;
		if (t > d.now)
			d.now = t;
		natt_punch_on_timeout(d.a, d.now);
		while (natt_punch_send(d.a, d.now, buf, sizeof(buf), &dst, &sock) > 0)
			if (n < 16)
				sent[n++] = d.now;
	}
	/* 200, 400, 800, 1600 ms, then capped; 9 tries, then give up */
	CU_ASSERT_EQUAL(n, NATT_PUNCH_PAIR_TRIES);
	CU_ASSERT_EQUAL(sent[1] - sent[0], 200 * NATT_MSEC);
	CU_ASSERT_EQUAL(sent[2] - sent[1], 400 * NATT_MSEC);
	CU_ASSERT_EQUAL(sent[3] - sent[2], 800 * NATT_MSEC);
	CU_ASSERT_EQUAL(sent[4] - sent[3], 1600 * NATT_MSEC);
	CU_ASSERT_EQUAL(sent[5] - sent[4], 1600 * NATT_MSEC);
	CU_ASSERT_EQUAL(natt_punch_state(d.a), NATT_PUNCH_FAILED);
	pt_duo_free(&d);
}

static void test_probe_and_reply(void)
{
	struct natt_punch_config cfg;
	struct pt_duo d;
	uint8_t probe[NATT_MAX_PROBE], reply[NATT_MAX_PROBE];
	struct natt_header h;
	struct natt_probe pr, rp;
	struct natt_cand dst, nat_a = natt_test_v4(203, 0, 113, 1, 5555, NATT_CAND_PRFLX);
	unsigned int sock;
	int n, m;

	natt_punch_config_default(&cfg);
	cfg.probe_body = 300; /* a padded probe, e.g. to test a path's MTU */
	pt_duo_init(&d, &cfg);
	natt_punch_start(d.a, d.now);
	n = natt_punch_send(d.a, d.now, probe, sizeof(probe), &dst, &sock);
	CU_ASSERT_EQUAL_FATAL(n, NATT_PROBE_HDR_LEN + 300 + NATT_TAG_LEN);
	CU_ASSERT_TRUE_FATAL(pt_inspect(d.seal, probe, (size_t)n, &h, &pr));
	CU_ASSERT_EQUAL(h.type, NATT_PT_PROBE);
	CU_ASSERT_EQUAL(h.scid, 0xaaaa);
	CU_ASSERT_EQUAL(h.dcid, 0); /* A does not know B's cid yet */
	CU_ASSERT_EQUAL(pr.seen.kind, NATT_CAND_NONE);
	/* B gets it through a NAT: from 203.0.113.1:5555 */
	CU_ASSERT_EQUAL(natt_punch_recv(d.b, d.now, 0, &nat_a, probe, (size_t)n), NATT_OK);
	m = natt_punch_send(d.b, d.now, reply, sizeof(reply), &dst, &sock);
	CU_ASSERT_EQUAL(m, n); /* the same size: never larger */
	CU_ASSERT_TRUE(pt_same(&dst, &nat_a));
	CU_ASSERT_TRUE_FATAL(pt_inspect(d.seal, reply, (size_t)m, &h, &rp));
	CU_ASSERT_EQUAL(h.type, NATT_PT_PROBE_REPLY);
	CU_ASSERT_EQUAL(h.dcid, 0xaaaa);
	CU_ASSERT_EQUAL(h.scid, 0xbbbb);
	CU_ASSERT_EQUAL(memcmp(rp.probe_id, pr.probe_id, NATT_PROBE_ID_LEN), 0);
	CU_ASSERT_EQUAL(rp.seen.kind, NATT_CAND_PRFLX);
	CU_ASSERT_TRUE(pt_same(&rp.seen, &nat_a));
	/* the reply validates A's pair; A learns B's cid */
	CU_ASSERT_EQUAL(natt_punch_recv(d.a, d.now, 0, &d.addr_b, reply, (size_t)m), NATT_OK);
	CU_ASSERT_EQUAL(natt_punch_peer_cid(d.a), 0xbbbb);
	/* the same reply again answers nothing outstanding */
	CU_ASSERT_EQUAL(natt_punch_recv(d.a, d.now, 0, &d.addr_b, reply, (size_t)m),
			NATT_ERR_REPLAY);
	pt_duo_free(&d);
}

static void test_reply_never_larger(void)
{
	struct pt_duo d;
	static const size_t sizes[] = {NATT_PROBE_MIN_BODY, 100, 500, NATT_PROBE_MAX_BODY};
	uint8_t id[NATT_PROBE_ID_LEN], pkt[NATT_MAX_PROBE], out[NATT_MAX_PROBE];
	struct natt_cand dst;
	unsigned int sock;

	pt_duo_init(&d, NULL);
	memset(id, 7, sizeof(id));
	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		size_t n = pt_forge(d.seal, pkt, NATT_PT_PROBE, 0xbbbb, 0xaaaa, id, NULL, sizes[i]);

		/* twice: a replayed probe gets the same answer, no larger */
		for (int k = 0; k < 2; k++) {
			CU_ASSERT_EQUAL(natt_punch_recv(d.b, d.now, 0, &d.addr_a, pkt, n), NATT_OK);
			CU_ASSERT_EQUAL(natt_punch_send(d.b, d.now, out, sizeof(out), &dst, &sock),
					(int)n);
			CU_ASSERT_EQUAL(out[0], NATT_PT_PROBE_REPLY);
		}
	}
	/* a buffer too small keeps the reply queued */
	CU_ASSERT_EQUAL(natt_punch_recv(d.b, d.now, 0, &d.addr_a, pkt,
					pt_forge(d.seal, pkt, NATT_PT_PROBE, 0xbbbb, 0xaaaa, id,
						 NULL, 200)),
			NATT_OK);
	CU_ASSERT_EQUAL(natt_punch_deadline(d.b), 0);
	CU_ASSERT_EQUAL(natt_punch_send(d.b, d.now, out, 100, &dst, &sock), NATT_ERR_BUFFER);
	CU_ASSERT_EQUAL(natt_punch_send(d.b, d.now, out, sizeof(out), &dst, &sock),
			NATT_PROBE_HDR_LEN + 200 + NATT_TAG_LEN);
	pt_duo_free(&d);
}

static void test_wrong_key(void)
{
	struct pt_duo d;
	struct natt_seal *other = natt_test_seal(0x77);
	uint8_t id[NATT_PROBE_ID_LEN] = {1}, pkt[NATT_MAX_PROBE], out[NATT_MAX_PROBE];
	struct natt_cand dst;
	unsigned int sock;
	struct pt_text t;
	size_t n;

	pt_duo_init(&d, NULL);
	n = pt_forge(other, pkt, NATT_PT_PROBE, 0xbbbb, 0xaaaa, id, NULL, NATT_PROBE_MIN_BODY);
	CU_ASSERT_EQUAL(natt_punch_recv(d.b, d.now, 0, &d.addr_a, pkt, n), NATT_ERR_AUTH);
	CU_ASSERT_EQUAL(natt_punch_recv(d.b, d.now, 0, &d.addr_a, pkt, n), NATT_ERR_AUTH);
	CU_ASSERT_EQUAL(natt_punch_send(d.b, d.now, out, sizeof(out), &dst, &sock), 0);
	pt_diag_text(d.b, &t);
	CU_ASSERT_PTR_NOT_NULL(strstr(t.buf, "authentication failures: 2"));
	/* one flipped bit of a good probe: the same */
	n = pt_forge(d.seal, pkt, NATT_PT_PROBE, 0xbbbb, 0xaaaa, id, NULL, NATT_PROBE_MIN_BODY);
	pkt[n - 1] ^= 1;
	CU_ASSERT_EQUAL(natt_punch_recv(d.b, d.now, 0, &d.addr_a, pkt, n), NATT_ERR_AUTH);
	CU_ASSERT_EQUAL(natt_punch_send(d.b, d.now, out, sizeof(out), &dst, &sock), 0);
	natt_seal_free(other);
	pt_duo_free(&d);
}

static void test_recv_checks(void)
{
	struct pt_duo d;
	uint8_t id[NATT_PROBE_ID_LEN] = {2}, pkt[NATT_MAX_PROBE];
	struct natt_cand bad;
	size_t n;

	pt_duo_init(&d, NULL);
	bad = d.addr_a;
	bad.port = 0;
	n = pt_forge(d.seal, pkt, NATT_PT_PROBE, 0xbbbb, 0xaaaa, id, NULL, NATT_PROBE_MIN_BODY);
	CU_ASSERT_EQUAL(natt_punch_recv(d.b, d.now, 0, &bad, pkt, n), NATT_ERR_INVALID);
	CU_ASSERT_EQUAL(natt_punch_recv(d.b, d.now, 0, &d.addr_a, pkt, 30), NATT_ERR_TRUNCATED);
	/* not our cid, or not the peer's */
	n = pt_forge(d.seal, pkt, NATT_PT_PROBE, 0xcccc, 0xaaaa, id, NULL, NATT_PROBE_MIN_BODY);
	CU_ASSERT_EQUAL(natt_punch_recv(d.b, d.now, 0, &d.addr_a, pkt, n), NATT_ERR_BAD_VALUE);
	n = pt_forge(d.seal, pkt, NATT_PT_PROBE, 0xbbbb, 0xdddd, id, NULL, NATT_PROBE_MIN_BODY);
	CU_ASSERT_EQUAL(natt_punch_recv(d.b, d.now, 0, &d.addr_a, pkt, n), NATT_ERR_BAD_VALUE);
	/* a reply to nothing */
	n = pt_forge(d.seal, pkt, NATT_PT_PROBE_REPLY, 0xbbbb, 0xaaaa, id, &d.addr_b,
		     NATT_PROBE_MIN_BODY);
	CU_ASSERT_EQUAL(natt_punch_recv(d.b, d.now, 0, &d.addr_a, pkt, n), NATT_ERR_REPLAY);
	/* not a probe at all */
	pkt[0] = NATT_PT_HANDSHAKE;
	CU_ASSERT_EQUAL(natt_punch_recv(d.b, d.now, 0, &d.addr_a, pkt, n), NATT_ERR_BAD_TYPE);
	pt_duo_free(&d);
}

static void test_reply_from_elsewhere(void)
{
	struct pt_duo d;
	uint8_t probe[NATT_MAX_PROBE], reply[NATT_MAX_PROBE];
	struct natt_cand dst, elsewhere = natt_test_v4(198, 51, 100, 9, 1194, NATT_CAND_HOST);
	struct natt_header h;
	struct natt_probe pr;
	unsigned int sock;
	size_t m;
	int n;

	pt_duo_init(&d, NULL);
	natt_punch_start(d.a, d.now);
	n = natt_punch_send(d.a, d.now, probe, sizeof(probe), &dst, &sock);
	CU_ASSERT_TRUE_FATAL(pt_inspect(d.seal, probe, (size_t)n, &h, &pr));
	m = pt_forge(d.seal, reply, NATT_PT_PROBE_REPLY, 0xaaaa, 0xbbbb, pr.probe_id, &d.addr_a,
		     (size_t)n - NATT_PROBE_HDR_LEN - NATT_TAG_LEN);
	/* the right probe_id from the wrong address does not validate */
	CU_ASSERT_EQUAL(natt_punch_recv(d.a, d.now, 0, &elsewhere, reply, m), NATT_ERR_REPLAY);
	CU_ASSERT_EQUAL(natt_punch_recv(d.a, d.now, 1, &d.addr_b, reply, m), NATT_ERR_REPLAY);
	CU_ASSERT_EQUAL(natt_punch_recv(d.a, d.now, 0, &d.addr_b, reply, m), NATT_OK);
	pt_duo_free(&d);
}

static struct natt_cand v6(uint8_t last, uint16_t port)
{
	struct natt_cand c;

	memset(&c, 0, sizeof(c));
	c.kind = NATT_CAND_HOST;
	c.family = 6;
	c.port = port;
	c.addr[0] = 0xfd;
	c.addr[1] = 0x00;
	c.addr[3] = 0x01;
	c.addr[15] = last;
	return c;
}

static void test_ipv6_pairs(void)
{
	struct pt_duo d;
	struct natt_punch *p;
	struct natt_cand l6 = v6(1, 1194), r6 = v6(2, 1194), dst;
	uint8_t buf[NATT_MAX_PROBE];
	unsigned int sock;
	struct pt_text t;

	pt_duo_init(&d, NULL);
	/* IPv6 only on the peer's side, IPv4 only on ours: nothing to pair */
	p = pt_make(&d, NULL, 0x66, NATT_PUNCH_CONTROLLING);
	natt_punch_add_local(p, d.now, &d.addr_a);
	natt_punch_add_remote(p, d.now, &r6);
	natt_punch_start(p, d.now);
	CU_ASSERT_EQUAL(natt_punch_state(p), NATT_PUNCH_FAILED);
	pt_diag_text(p, &t);
	CU_ASSERT_PTR_NOT_NULL(strstr(t.buf, "why: no candidate pair"));
	CU_ASSERT_PTR_NOT_NULL(strstr(t.buf, "peer's candidate 1: host [fd00:1::2]:1194"));
	/* with an IPv6 address of our own, the pair forms (one subnet: LAN) */
	natt_punch_add_local(p, d.now, &l6);
	natt_punch_start(p, d.now);
	CU_ASSERT_EQUAL(natt_punch_state(p), NATT_PUNCH_PROBING);
	CU_ASSERT_TRUE(natt_punch_send(p, d.now, buf, sizeof(buf), &dst, &sock) > 0);
	CU_ASSERT_TRUE(pt_same(&dst, &r6));
	pt_diag_text(p, &t);
	CU_ASSERT_PTR_NOT_NULL(strstr(t.buf, "-> host [fd00:1::2]:1194"));
	CU_ASSERT_PTR_NOT_NULL(strstr(t.buf, ", LAN"));
	natt_punch_free(p);
	pt_duo_free(&d);
}

/* 2001:db8:<net>::<last>, or any 16 bytes from hex. */
static struct natt_cand g6(uint8_t net, uint8_t last, uint16_t port, uint8_t kind)
{
	struct natt_cand c = v6(last, port);

	c.kind = kind;
	c.addr[0] = 0x20;
	c.addr[1] = 0x01;
	c.addr[2] = 0x0d;
	c.addr[3] = 0xb8;
	c.addr[5] = net;
	return c;
}

static struct natt_cand hex6(const char *hex, uint16_t port)
{
	struct natt_cand c = v6(0, port);

	CU_ASSERT_EQUAL_FATAL(natt_test_unhex(hex, c.addr, 16), 16);
	return c;
}

/* The destinations of the first n probes, one per pacing slot. */
static void probe_order(struct pt_duo *d, struct natt_punch *p, struct natt_cand *order,
			unsigned int n)
{
	uint8_t buf[NATT_MAX_PROBE];
	unsigned int sock;

	for (unsigned int k = 0; k < n; k++) {
		natt_time_t t = natt_punch_deadline(p);

		if (t > d->now)
			d->now = t;
		natt_punch_on_timeout(p, d->now);
		CU_ASSERT_TRUE(natt_punch_send(p, d->now, buf, sizeof(buf), &order[k], &sock) > 0);
	}
}

/* Dual stack (RFC 8421): among pairs of one type IPv6 goes first; the
 * type still decides first, so an IPv4 host pair outranks an IPv6 pair
 * through the peer's srflx.  Only pairs of one family form. */
static void test_family_order(void)
{
	struct pt_duo d;
	struct natt_punch *p;
	struct natt_cand l6 = g6(1, 1, 1194, NATT_CAND_HOST), r6 = g6(2, 2, 1194, NATT_CAND_HOST);
	struct natt_cand s6 = g6(0xff, 9, 40000, NATT_CAND_SRFLX), order[3];
	struct pt_text t;

	pt_duo_init(&d, NULL);
	p = pt_make(&d, NULL, 0x46, NATT_PUNCH_CONTROLLING);
	natt_punch_add_local(p, d.now, &d.addr_a);
	natt_punch_add_local(p, d.now, &l6);
	natt_punch_add_remote(p, d.now, &s6);
	natt_punch_add_remote(p, d.now, &d.addr_b);
	natt_punch_add_remote(p, d.now, &r6);
	CU_ASSERT_EQUAL(natt_punch_start(p, d.now), NATT_OK);
	probe_order(&d, p, order, 3);
	CU_ASSERT_TRUE(pt_same(&order[0], &r6));       /* host, IPv6 */
	CU_ASSERT_TRUE(pt_same(&order[1], &d.addr_b)); /* host, IPv4 */
	CU_ASSERT_TRUE(pt_same(&order[2], &s6));       /* srflx, IPv6 */
	/* three pairs, best first, each of one family (an IPv6 local for an
	 * IPv6 peer, never across families) */
	pt_diag_text(p, &t);
	CU_ASSERT_PTR_NOT_NULL(strstr(
		t.buf, "pair 1: socket 0 [2001:db8:1::1]:1194 -> host [2001:db8:2::2]:1194"));
	CU_ASSERT_PTR_NOT_NULL(
		strstr(t.buf, "pair 2: socket 0 198.51.100.1:1194 -> host 192.0.2.2"));
	CU_ASSERT_PTR_NOT_NULL(strstr(t.buf, "pair 3: socket 0 [2001:db8:1::1]:1194 -> srflx"));
	CU_ASSERT_PTR_NULL(strstr(t.buf, "pair 4:"));
	natt_punch_free(p);
	pt_duo_free(&d);
}

/* A peer's IPv6 candidates that cannot be a path are never probed: the
 * unspecified address, multicast, link-local (no scope travels with a
 * candidate), IPv4-mapped (an IPv4 address in disguise). */
static void test_unusable_v6_remotes(void)
{
	static const char *const bad[] = {
		"00000000000000000000000000000000", "ff020000000000000000000000000001",
		"ff0e0000000000000000000000000001", "fe800000000000000000000000000001",
		"febf0000000000000000000000000001", "00000000000000000000ffffc0000209",
	};
	struct pt_duo d;
	struct natt_punch *p;
	struct natt_cand l6 = g6(1, 1, 1194, NATT_CAND_HOST), good = g6(2, 2, 1194, NATT_CAND_HOST);
	struct natt_cand order[4];
	struct pt_text t;

	pt_duo_init(&d, NULL);
	p = pt_make(&d, NULL, 0x47, NATT_PUNCH_CONTROLLING);
	natt_punch_add_local(p, d.now, &l6);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct natt_cand c = hex6(bad[i], 1194);

		natt_punch_add_remote(p, d.now, &c);
	}
	natt_punch_start(p, d.now);
	CU_ASSERT_EQUAL(natt_punch_state(p), NATT_PUNCH_FAILED);
	pt_diag_text(p, &t);
	CU_ASSERT_PTR_NOT_NULL(strstr(t.buf, "why: no candidate pair"));
	/* fe80::/10 ends at febf: fec0:: (old site-local) is probed */
	good = hex6("fec00000000000000000000000000001", 1194);
	natt_punch_add_remote(p, d.now, &good);
	natt_punch_start(p, d.now);
	CU_ASSERT_EQUAL(natt_punch_state(p), NATT_PUNCH_PROBING);
	probe_order(&d, p, order, 4);
	for (int k = 0; k < 4; k++)
		CU_ASSERT_TRUE(pt_same(&order[k], &good));
	natt_punch_free(p);
	pt_duo_free(&d);
}

int natt_suite_punch(void)
{
	static const struct natt_test unit[] = {
		{"new_checks", test_new_checks},
		{"cand_checks", test_cand_checks},
		{"infer", test_infer},
		{"pair_order_and_pacing", test_pair_order_and_pacing},
		{"retransmit_backoff", test_retransmit_backoff},
		{"probe_and_reply", test_probe_and_reply},
		{"reply_never_larger", test_reply_never_larger},
		{"wrong_key", test_wrong_key},
		{"recv_checks", test_recv_checks},
		{"reply_from_elsewhere", test_reply_from_elsewhere},
		{"ipv6_pairs", test_ipv6_pairs},
		{"family_order", test_family_order},
		{"unusable_v6_remotes", test_unusable_v6_remotes},
		{NULL, NULL},
	};
	static const struct natt_test *const parts[] = {unit, natt_punch_path_tests,
							natt_punch_lab_tests};
	static struct natt_test all[64];
	size_t n = 0;

	for (size_t k = 0; k < sizeof(parts) / sizeof(parts[0]); k++)
		for (const struct natt_test *t = parts[k]; t->name != NULL; t++)
			if (n + 1 < sizeof(all) / sizeof(all[0]))
				all[n++] = *t;
	all[n].name = NULL;
	all[n].fn = NULL;
	return natt_add_suite("punch", all);
}
