/*
 * test_nat.c: the NAT model of the simulated network (tests/sim/nat.c):
 * mapping behaviour (EIM, EDM), address- and port-dependent filtering,
 * the 30 s timeout refreshed by outbound traffic only, flushing,
 * hairpinning off and private addresses that do not route between sites.
 */
#include <string.h>

#include "nat.h"
#include "unit.h"

#define PUB_A SIM_IP(203, 0, 113, 1)
#define PUB_B SIM_IP(203, 0, 113, 2)
#define IN_A1 SIM_IP(192, 168, 1, 10)
#define IN_A2 SIM_IP(192, 168, 1, 11)
#define IN_B1 SIM_IP(192, 168, 2, 10)
#define R1    SIM_IP(198, 51, 100, 1)
#define R2    SIM_IP(198, 51, 100, 2)

/* What arrived where. */
struct seen {
	unsigned n;
	struct sim_addr from[64], to[64];
};

static void on_recv(void *ctx, struct sim *s, struct sim_addr from, struct sim_addr to,
		    const uint8_t *data, size_t len, natt_time_t at)
{
	struct seen *v = ctx;

	(void)s;
	(void)data;
	(void)len;
	(void)at;
	if (v->n < 64) {
		v->from[v->n] = from;
		v->to[v->n] = to;
	}
	v->n++;
}

struct fx {
	struct sim *s;
	struct sim_nat_net *net;
	int a, b;
	struct seen v;
};

static void fx_init(struct fx *f, enum sim_nat_mapping ma, enum sim_nat_filtering fa)
{
	struct sim_nat_cfg c;

	memset(f, 0, sizeof(*f));
	f->s = sim_new(42);
	CU_ASSERT_PTR_NOT_NULL_FATAL(f->s);
	f->net = sim_nat_net_new(f->s);
	CU_ASSERT_PTR_NOT_NULL_FATAL(f->net);
	memset(&c, 0, sizeof(c));
	c.public_ip = PUB_A;
	c.inside_net = SIM_IP(192, 168, 1, 0);
	c.mapping = ma;
	c.filtering = fa;
	f->a = sim_nat_add(f->net, &c);
	c.public_ip = PUB_B;
	c.inside_net = SIM_IP(192, 168, 2, 0);
	c.mapping = SIM_NAT_EIM;
	c.filtering = SIM_NAT_FILTER_APD;
	f->b = sim_nat_add(f->net, &c);
	CU_ASSERT_EQUAL_FATAL(f->a, 0);
	CU_ASSERT_EQUAL_FATAL(f->b, 1);
}

static void fx_free(struct fx *f)
{
	sim_nat_net_free(f->net);
	sim_free(f->s);
}

/* Sends one datagram and delivers everything due; returns how many
 * datagrams arrived. */
static unsigned xmit(struct fx *f, uint32_t from_ip, uint16_t from_port, uint32_t to_ip,
		     uint16_t to_port)
{
	struct sim_addr from = {from_ip, from_port}, to = {to_ip, to_port};
	uint8_t byte = 0xc2;
	unsigned before = f->v.n;

	sim_send(f->s, from, to, &byte, 1);
	sim_deliver_due(f->s, sim_now(f->s), on_recv, &f->v);
	return f->v.n - before;
}

static struct sim_addr last_from(const struct fx *f)
{
	return f->v.from[f->v.n - 1];
}

static void at(struct fx *f, natt_time_t t)
{
	sim_deliver_due(f->s, t, on_recv, &f->v);
}

/* ---- tests ---- */

static void test_eim_one_mapping(void)
{
	struct fx f;
	struct sim_addr p1, p2, q;

	fx_init(&f, SIM_NAT_EIM, SIM_NAT_FILTER_APD);
	CU_ASSERT_EQUAL(xmit(&f, IN_A1, 5000, R1, 3478), 1);
	p1 = last_from(&f);
	CU_ASSERT_EQUAL(xmit(&f, IN_A1, 5000, R2, 3478), 1);
	p2 = last_from(&f);
	CU_ASSERT_EQUAL(xmit(&f, IN_A1, 5000, R1, 9999), 1);
	CU_ASSERT_EQUAL(p1.ip, PUB_A);
	CU_ASSERT_EQUAL(p1.port, 5000); /* masquerade keeps a free port */
	CU_ASSERT_EQUAL(p2.ip, p1.ip);
	CU_ASSERT_EQUAL(p2.port, p1.port);
	CU_ASSERT_EQUAL(last_from(&f).port, p1.port);
	CU_ASSERT_EQUAL(sim_nat_mappings(f.net, f.a), 1);
	CU_ASSERT_EQUAL(sim_nat_stats(f.net, f.a)->mappings, 1);
	/* A second inside host wanting the same port gets another one. */
	CU_ASSERT_EQUAL(xmit(&f, IN_A2, 5000, R1, 3478), 1);
	q = last_from(&f);
	CU_ASSERT_NOT_EQUAL(q.port, 5000);
	CU_ASSERT_TRUE(q.port >= SIM_NAT_PORT_MIN);
	CU_ASSERT_EQUAL(sim_nat_mappings(f.net, f.a), 2);
	fx_free(&f);
}

static void test_edm_per_destination(void)
{
	struct fx f;
	struct sim_addr p[4];
	struct sim_addr in = {IN_A1, 5000}, r1 = {R1, 3478}, pub;

	fx_init(&f, SIM_NAT_EDM, SIM_NAT_FILTER_APD);
	xmit(&f, IN_A1, 5000, R1, 3478);
	p[0] = last_from(&f);
	xmit(&f, IN_A1, 5000, R2, 3478);
	p[1] = last_from(&f);
	xmit(&f, IN_A1, 5000, R1, 3479); /* same IP, other port: another mapping */
	p[2] = last_from(&f);
	xmit(&f, IN_A1, 5000, R1, 3478); /* same destination: same mapping */
	p[3] = last_from(&f);
	CU_ASSERT_EQUAL(p[0].ip, PUB_A);
	CU_ASSERT_NOT_EQUAL(p[0].port, p[1].port);
	CU_ASSERT_NOT_EQUAL(p[0].port, p[2].port);
	CU_ASSERT_NOT_EQUAL(p[1].port, p[2].port);
	CU_ASSERT_EQUAL(p[3].port, p[0].port);
	/* random, not the inside port (3 draws from 64512: 1 in 21504 to fail) */
	CU_ASSERT_FALSE(p[0].port == 5000 && p[1].port == 5001);
	CU_ASSERT_EQUAL(sim_nat_mappings(f.net, f.a), 3);
	CU_ASSERT_TRUE(sim_nat_lookup(f.net, f.a, in, r1, &pub));
	CU_ASSERT_EQUAL(pub.port, p[0].port);
	fx_free(&f);
}

static void test_filtering_apd(void)
{
	struct fx f;
	struct sim_addr pub;

	fx_init(&f, SIM_NAT_EIM, SIM_NAT_FILTER_APD);
	/* Nothing sent yet: no mapping, inbound dropped. */
	CU_ASSERT_EQUAL(xmit(&f, R1, 3478, PUB_A, 5000), 0);
	CU_ASSERT_EQUAL(sim_nat_stats(f.net, f.a)->drop_no_mapping, 1);
	xmit(&f, IN_A1, 5000, R1, 3478);
	pub = last_from(&f);
	/* The endpoint it sent to may answer, and the answer reaches inside. */
	CU_ASSERT_EQUAL(xmit(&f, R1, 3478, pub.ip, pub.port), 1);
	CU_ASSERT_EQUAL(f.v.to[f.v.n - 1].ip, IN_A1);
	CU_ASSERT_EQUAL(f.v.to[f.v.n - 1].port, 5000);
	/* Another port of the same host, or another host: filtered. */
	CU_ASSERT_EQUAL(xmit(&f, R1, 3479, pub.ip, pub.port), 0);
	CU_ASSERT_EQUAL(xmit(&f, R2, 3478, pub.ip, pub.port), 0);
	CU_ASSERT_EQUAL(sim_nat_stats(f.net, f.a)->drop_filtered, 2);
	/* Once the inside has sent to R2, R2 passes too (same EIM mapping). */
	xmit(&f, IN_A1, 5000, R2, 3478);
	CU_ASSERT_EQUAL(xmit(&f, R2, 3478, pub.ip, pub.port), 1);
	fx_free(&f);
}

static void test_filtering_ei(void)
{
	struct fx f;
	struct sim_addr pub;

	fx_init(&f, SIM_NAT_EIM, SIM_NAT_FILTER_EI);
	xmit(&f, IN_A1, 5000, R1, 3478);
	pub = last_from(&f);
	CU_ASSERT_EQUAL(xmit(&f, R2, 1, pub.ip, pub.port), 1);
	CU_ASSERT_EQUAL(sim_nat_stats(f.net, f.a)->drop_filtered, 0);
	fx_free(&f);
}

static void test_timeout_refresh(void)
{
	struct fx f;
	struct sim_addr pub;

	fx_init(&f, SIM_NAT_EIM, SIM_NAT_FILTER_APD);
	xmit(&f, IN_A1, 5000, R1, 3478);
	pub = last_from(&f);
	at(&f, 29 * NATT_SEC);
	CU_ASSERT_EQUAL(xmit(&f, R1, 3478, pub.ip, pub.port), 1);
	/* Inbound traffic does not refresh: 30 s after the last outbound. */
	at(&f, 30 * NATT_SEC);
	CU_ASSERT_EQUAL(xmit(&f, R1, 3478, pub.ip, pub.port), 0);
	CU_ASSERT_EQUAL(sim_nat_mappings(f.net, f.a), 0);
	/* Outbound traffic does. */
	xmit(&f, IN_A1, 5000, R1, 3478);
	at(&f, 55 * NATT_SEC);
	xmit(&f, IN_A1, 5000, R1, 3478);
	at(&f, 84 * NATT_SEC);
	CU_ASSERT_EQUAL(xmit(&f, R1, 3478, pub.ip, pub.port), 1);
	/* Each destination has its own timer: R2, used once, expires first. */
	xmit(&f, IN_A1, 5000, R2, 3478);
	at(&f, 100 * NATT_SEC);
	xmit(&f, IN_A1, 5000, R1, 3478);
	at(&f, 115 * NATT_SEC);
	CU_ASSERT_EQUAL(xmit(&f, R2, 3478, pub.ip, pub.port), 0);
	CU_ASSERT_EQUAL(xmit(&f, R1, 3478, pub.ip, pub.port), 1);
	fx_free(&f);
}

static void test_flush(void)
{
	struct fx f;
	struct sim_addr pub;
	struct sim_nat_cfg c;
	int r;

	fx_init(&f, SIM_NAT_EIM, SIM_NAT_FILTER_APD);
	xmit(&f, IN_A1, 5000, R1, 3478);
	pub = last_from(&f);
	sim_nat_flush(f.net, f.a);
	CU_ASSERT_EQUAL(sim_nat_mappings(f.net, f.a), 0);
	CU_ASSERT_EQUAL(xmit(&f, R1, 3478, pub.ip, pub.port), 0);
	/* Linux masquerade takes the same port again when it is free. */
	xmit(&f, IN_A1, 5000, R1, 3478);
	CU_ASSERT_EQUAL(last_from(&f).port, pub.port);
	fx_free(&f);

	/* A router that does not preserve ports comes back with another one. */
	fx_init(&f, SIM_NAT_EIM, SIM_NAT_FILTER_APD);
	memset(&c, 0, sizeof(c));
	c.public_ip = SIM_IP(203, 0, 113, 9);
	c.inside_net = SIM_IP(10, 9, 0, 0);
	c.no_port_preserve = true;
	r = sim_nat_add(f.net, &c);
	CU_ASSERT_EQUAL_FATAL(r, 2);
	xmit(&f, SIM_IP(10, 9, 0, 5), 5000, R1, 3478);
	pub = last_from(&f);
	sim_nat_flush(f.net, r);
	xmit(&f, SIM_IP(10, 9, 0, 5), 5000, R1, 3478);
	CU_ASSERT_NOT_EQUAL(last_from(&f).port, pub.port); /* 1 in 64512 to be equal */
	fx_free(&f);
}

static void test_hairpin_off(void)
{
	struct fx f;
	struct sim_addr pub;

	fx_init(&f, SIM_NAT_EIM, SIM_NAT_FILTER_EI);
	xmit(&f, IN_A1, 5000, R1, 3478);
	pub = last_from(&f);
	/* A2 behind the same NAT cannot reach A1 through the public address... */
	CU_ASSERT_EQUAL(xmit(&f, IN_A2, 6000, pub.ip, pub.port), 0);
	CU_ASSERT_EQUAL(sim_nat_stats(f.net, f.a)->drop_hairpin, 1);
	/* ...but reaches it on the LAN, untranslated. */
	CU_ASSERT_EQUAL(xmit(&f, IN_A2, 6000, IN_A1, 5000), 1);
	CU_ASSERT_EQUAL(last_from(&f).ip, IN_A2);
	CU_ASSERT_EQUAL(last_from(&f).port, 6000);
	CU_ASSERT_EQUAL(sim_nat_stats(f.net, f.a)->out, 1);
	fx_free(&f);
}

static void test_unroutable_and_public(void)
{
	struct fx f;

	fx_init(&f, SIM_NAT_EIM, SIM_NAT_FILTER_APD);
	/* Site A to site B's private address: no route. */
	CU_ASSERT_EQUAL(xmit(&f, IN_A1, 5000, IN_B1, 5000), 0);
	CU_ASSERT_EQUAL(sim_nat_stats(f.net, f.b)->drop_unroutable, 1);
	CU_ASSERT_EQUAL(sim_nat_mappings(f.net, f.a), 0);
	/* Public hosts are untouched. */
	CU_ASSERT_EQUAL(xmit(&f, R1, 1, R2, 2), 1);
	CU_ASSERT_EQUAL(last_from(&f).ip, R1);
	CU_ASSERT_EQUAL(sim_nat_of(f.net, R1), -1);
	CU_ASSERT_EQUAL(sim_nat_of(f.net, IN_B1), f.b);
	/* Two NATs: B's inside host reaches A's inside host once both sent. */
	xmit(&f, IN_A1, 5000, PUB_B, 7000); /* opens A for PUB_B:7000, dropped at B */
	CU_ASSERT_EQUAL(sim_nat_stats(f.net, f.b)->drop_no_mapping, 1);
	CU_ASSERT_EQUAL(xmit(&f, IN_B1, 7000, PUB_A, 5000), 1);
	CU_ASSERT_EQUAL(f.v.to[f.v.n - 1].ip, IN_A1);
	CU_ASSERT_EQUAL(last_from(&f).ip, PUB_B);
	fx_free(&f);
}

static void test_config_checks(void)
{
	struct sim *s = sim_new(1);
	struct sim_nat_net *n = sim_nat_net_new(s);
	struct sim_nat_cfg c;

	memset(&c, 0, sizeof(c));
	CU_ASSERT_EQUAL(sim_nat_add(n, &c), -1); /* no public address */
	c.public_ip = SIM_IP(10, 0, 0, 1);
	c.inside_net = SIM_IP(10, 0, 0, 0);
	CU_ASSERT_EQUAL(sim_nat_add(n, &c), -1); /* public inside its own prefix */
	c.inside_net = SIM_IP(10, 1, 0, 0);
	for (int i = 0; i < SIM_NAT_MAX; i++)
		CU_ASSERT_EQUAL(sim_nat_add(n, &c), i);
	CU_ASSERT_EQUAL(sim_nat_add(n, &c), -1);
	sim_nat_net_free(n);
	sim_free(s);
}

int natt_suite_nat(void)
{
	static const struct natt_test tests[] = {
		{"eim_one_mapping", test_eim_one_mapping},
		{"edm_per_destination", test_edm_per_destination},
		{"filtering_apd", test_filtering_apd},
		{"filtering_ei", test_filtering_ei},
		{"timeout_refresh", test_timeout_refresh},
		{"flush", test_flush},
		{"hairpin_off", test_hairpin_off},
		{"unroutable_and_public", test_unroutable_and_public},
		{"config_checks", test_config_checks},
		{NULL, NULL},
	};

	return natt_add_suite("nat", tests);
}
