/*
 * test_rdv_client.c: the peer's side of the rendezvous
 * (transport/rdv_client.c), talking to the real server core over a
 * simulated loopback "world" with a virtual clock: registration, refresh
 * and its jitter, retransmission backoff, the error states, lookups and
 * introductions.  Part of the "rdv" suite (test_rdv.c registers it).
 */
#include <string.h>

#include "rdv.h"
#include "test_rdv.h"
#include "unit.h"

#define MAX_LOG	  128
#define MAX_PEERS 3

struct peer {
	struct natt_rdv_client *cl;
	struct natt_cand addr; /* its public address */
	struct natt_rdv_event ev[MAX_LOG];
	natt_time_t ev_at[MAX_LOG];
	unsigned int nev;
	natt_time_t sent_at[MAX_LOG]; /* when it sent each datagram */
	unsigned int nsent;
	struct world *w;
};

struct world {
	uint64_t rng;
	struct natt_seal *seal;
	struct natt_rdv_server *srv;
	struct natt_cand rdv_addr;
	natt_time_t now;
	bool down; /* the rendezvous is off */
	unsigned int npeer;
	struct peer p[MAX_PEERS];
};

static uint64_t wall(const struct world *w)
{
	return RDVT_WALL0 + (w->now - RDVT_T0) / NATT_MSEC;
}

static void on_event(void *ctx, const struct natt_rdv_event *ev)
{
	struct peer *p = ctx;

	if (p->nev < MAX_LOG) {
		p->ev[p->nev] = *ev;
		p->ev_at[p->nev] = p->w->now;
	}
	p->nev++;
}

static void world_init_cfg(struct world *w, const struct natt_rdv_server_config *cfg)
{
	memset(w, 0, sizeof(*w));
	w->rng = 0xfeedface12345678u;
	w->seal = natt_test_seal(0x10);
	w->now = RDVT_T0;
	w->rdv_addr = natt_test_v4(192, 0, 2, 1, 3478, NATT_CAND_HOST);
	CU_ASSERT_EQUAL_FATAL(natt_rdv_server_new(&w->srv, cfg, natt_test_rng, &w->rng), NATT_OK);
	CU_ASSERT_FATAL(natt_rdv_server_add_network(w->srv, "alpha", w->seal) == 0);
}

static void world_init(struct world *w)
{
	struct natt_rdv_server_config cfg;

	rdvt_small_config(&cfg);
	world_init_cfg(w, &cfg);
}

static void client_config(struct world *w, struct natt_rdv_client_config *cfg, const char *name)
{
	memset(cfg, 0, sizeof(*cfg));
	natt_rdv_client_config_default(cfg);
	cfg->seal = w->seal;
	cfg->server = w->rdv_addr;
	cfg->name = name;
}

static struct peer *add_peer(struct world *w, const char *name)
{
	struct natt_rdv_client_config cfg;
	struct peer *p = &w->p[w->npeer];

	CU_ASSERT_FATAL(w->npeer < MAX_PEERS);
	client_config(w, &cfg, name);
	p->w = w;
	p->addr = natt_test_v4(203, 0, 113, (uint8_t)(10 + w->npeer), 40000, NATT_CAND_SRFLX);
	CU_ASSERT_EQUAL_FATAL(
		natt_rdv_client_new(&p->cl, &cfg, natt_test_rng, &w->rng, on_event, p), NATT_OK);
	w->npeer++;
	return p;
}

static void world_free(struct world *w)
{
	for (unsigned int i = 0; i < w->npeer; i++)
		natt_rdv_client_free(w->p[i].cl);
	natt_rdv_server_free(w->srv);
	natt_seal_free(w->seal);
}

/* The server's answers reach whichever peer has the destination address. */
static void deliver(struct world *w, const struct natt_rdv_output *out)
{
	for (unsigned int k = 0; k < out->count; k++)
		for (unsigned int i = 0; i < w->npeer; i++)
			if (natt_rdv_same_addr(&out->dgram[k].to, &w->p[i].addr))
				CU_ASSERT_EQUAL(natt_rdv_client_input(
							w->p[i].cl, w->now, wall(w), &w->rdv_addr,
							out->dgram[k].buf, out->dgram[k].len),
						NATT_OK);
}

/* Lets every peer send what is due and the server answer, until quiet. */
static void pump(struct world *w)
{
	bool busy = true;

	while (busy) {
		busy = false;
		for (unsigned int i = 0; i < w->npeer; i++) {
			struct peer *p = &w->p[i];
			uint8_t pkt[NATT_MAX_RENDEZVOUS];
			struct natt_rdv_output out;
			int n;

			while ((n = natt_rdv_client_poll(p->cl, w->now, wall(w), pkt,
							 sizeof(pkt))) > 0) {
				busy = true;
				if (p->nsent < MAX_LOG)
					p->sent_at[p->nsent] = w->now;
				p->nsent++;
				if (w->down)
					continue;
				natt_rdv_server_input(w->srv, w->now, wall(w), &p->addr, pkt,
						      (size_t)n, &out);
				deliver(w, &out);
			}
			CU_ASSERT_EQUAL(n, 0);
		}
	}
}

/* Runs the virtual clock to `until`, stopping at every deadline. */
static void run_until(struct world *w, natt_time_t until)
{
	for (;;) {
		natt_time_t next = NATT_TIME_NEVER;

		for (unsigned int i = 0; i < w->npeer; i++) {
			natt_time_t t = natt_rdv_client_next_timeout(w->p[i].cl);

			if (t < next)
				next = t;
		}
		if (next > until)
			break;
		if (next > w->now)
			w->now = next;
		pump(w);
	}
	w->now = until;
}

/* The index of the first event of a type from index `from` on, or -1. */
static int find_event(const struct peer *p, enum natt_rdv_event_type type, unsigned int from)
{
	for (unsigned int i = from; i < p->nev && i < MAX_LOG; i++)
		if (p->ev[i].type == type)
			return (int)i;
	return -1;
}

static unsigned int count_events(const struct peer *p, enum natt_rdv_event_type type)
{
	unsigned int n = 0;

	for (unsigned int i = 0; i < p->nev && i < MAX_LOG; i++)
		n += p->ev[i].type == type;
	return n;
}

/* ---- tests ---- */

static void test_cl_config(void)
{
	struct world w;
	struct natt_rdv_client_config cfg;
	struct natt_rdv_client *cl = NULL;
	uint64_t r = 1;
	int dummy;

	world_init(&w);
	client_config(&w, &cfg, "office");
	CU_ASSERT_EQUAL(cfg.refresh, 20 * NATT_SEC);
	CU_ASSERT(cfg.refresh + cfg.refresh / 10 < NATT_RDV_CONNTRACK_UDP);
	cfg.refresh = 28 * NATT_SEC; /* +10 % jitter reaches 30.8 s */
	CU_ASSERT_EQUAL(natt_rdv_client_new(&cl, &cfg, natt_test_rng, &r, on_event, &dummy),
			NATT_ERR_INVALID);
	CU_ASSERT_PTR_NULL(cl);
	cfg.refresh = 27 * NATT_SEC;
	CU_ASSERT_EQUAL(natt_rdv_client_new(&cl, &cfg, natt_test_rng, &r, on_event, &dummy),
			NATT_OK);
	natt_rdv_client_free(cl);
	cfg.lifetime_s = 29; /* not longer than the refresh and its jitter */
	CU_ASSERT_EQUAL(natt_rdv_client_new(&cl, &cfg, natt_test_rng, &r, on_event, &dummy),
			NATT_ERR_INVALID);
	client_config(&w, &cfg, "bad name");
	CU_ASSERT_EQUAL(natt_rdv_client_new(&cl, &cfg, natt_test_rng, &r, on_event, &dummy),
			NATT_ERR_BAD_NAME);
	client_config(&w, &cfg, NULL);
	cfg.server.port = 0;
	CU_ASSERT_EQUAL(natt_rdv_client_new(&cl, &cfg, natt_test_rng, &r, on_event, &dummy),
			NATT_ERR_INVALID);
	client_config(&w, &cfg, NULL);
	CU_ASSERT_EQUAL(natt_rdv_client_new(&cl, &cfg, NULL, &r, on_event, &dummy),
			NATT_ERR_INVALID);
	/* an anonymous client cannot register */
	CU_ASSERT_EQUAL(natt_rdv_client_new(&cl, &cfg, natt_test_rng, &r, on_event, &dummy),
			NATT_OK);
	{
		struct natt_cand_list h = rdvt_hosts(1, 1);

		CU_ASSERT_EQUAL(natt_rdv_client_register(cl, 0, &h), NATT_ERR_INVALID);
	}
	natt_rdv_client_free(cl);
	world_free(&w);
}

/* Registered at once; then a REGISTER every 18-22 s, never 30 s apart, and
 * not all at the same interval (jitter). */
static void test_cl_register_refresh(void)
{
	struct world w;
	struct peer *p;
	struct natt_cand_list hosts = rdvt_hosts(2, 1);
	struct natt_cand obs;
	natt_time_t min = NATT_TIME_NEVER, max = 0;

	world_init(&w);
	p = add_peer(&w, "office");
	CU_ASSERT_EQUAL(natt_rdv_client_reg_state(p->cl, NULL), NATT_RDV_REG_OFF);
	CU_ASSERT_FALSE(natt_rdv_client_observed(p->cl, &obs));
	CU_ASSERT_EQUAL(natt_rdv_client_register(p->cl, w.now, &hosts), NATT_OK);
	CU_ASSERT_EQUAL(natt_rdv_client_next_timeout(p->cl), w.now);
	run_until(&w, w.now + 3600 * NATT_SEC);
	CU_ASSERT_EQUAL(p->sent_at[0], RDVT_T0);
	CU_ASSERT_EQUAL_FATAL(count_events(p, NATT_RDV_EV_REGISTERED), 1);
	CU_ASSERT_EQUAL(p->ev[0].type, NATT_RDV_EV_REGISTERED);
	CU_ASSERT(natt_rdv_same_addr(&p->ev[0].observed, &p->addr));
	CU_ASSERT_EQUAL(p->ev[0].lifetime_s, NATT_RDV_LIFETIME_S);
	CU_ASSERT(natt_rdv_client_observed(p->cl, &obs));
	CU_ASSERT(natt_rdv_same_addr(&obs, &p->addr));
	CU_ASSERT_EQUAL(natt_rdv_client_reg_state(p->cl, NULL), NATT_RDV_REG_OK);
	CU_ASSERT(p->nsent >= 3600 / 22 && p->nsent <= 3600 / 18 + 1);
	for (unsigned int i = 1; i < p->nsent && i < MAX_LOG; i++) {
		natt_time_t d = p->sent_at[i] - p->sent_at[i - 1];

		CU_ASSERT(d >= 18 * NATT_SEC && d <= 22 * NATT_SEC);
		CU_ASSERT(d < NATT_RDV_CONNTRACK_UDP);
		min = d < min ? d : min;
		max = d > max ? d : max;
	}
	CU_ASSERT(max - min > 2 * NATT_SEC);
	CU_ASSERT_EQUAL(natt_rdv_server_count(w.srv), 1);
	CU_ASSERT_EQUAL(natt_rdv_server_stats(w.srv)->reg_new, 1);
	world_free(&w);
}

/* The rendezvous is down at start: REGISTERs at 0, 0.5, 1.5, 3.5, 7.5,
 * 15.5, 31.5, 61.5, 91.5 s (doubling, capped at 30 s); the error state
 * after 4 unanswered, reported once; registered as soon as it is back. */
static void test_cl_backoff_down(void)
{
	static const natt_time_t want[] = {0, 500, 1500, 3500, 7500, 15500, 31500, 61500, 91500};
	struct world w;
	struct peer *p;
	struct natt_cand_list hosts = rdvt_hosts(1, 1);
	const char *reason = NULL;
	int e;

	world_init(&w);
	p = add_peer(&w, "office");
	w.down = true;
	natt_rdv_client_register(p->cl, w.now, &hosts);
	run_until(&w, RDVT_T0 + 100 * NATT_SEC);
	CU_ASSERT_EQUAL_FATAL(p->nsent, 9);
	for (unsigned int i = 0; i < 9; i++)
		CU_ASSERT_EQUAL(p->sent_at[i] - RDVT_T0, want[i] * NATT_MSEC);
	CU_ASSERT_EQUAL_FATAL(p->nev, 1);
	CU_ASSERT_EQUAL(p->ev[0].type, NATT_RDV_EV_REG_FAILED);
	CU_ASSERT_EQUAL(p->ev[0].result, NATT_RDV_RES_NO_ANSWER);
	CU_ASSERT_EQUAL(p->ev[0].attempts, 4);
	CU_ASSERT_EQUAL(p->ev_at[0] - RDVT_T0, 7500 * NATT_MSEC);
	CU_ASSERT_PTR_NOT_NULL(strstr(p->ev[0].reason, "no answer"));
	CU_ASSERT_EQUAL(natt_rdv_client_reg_state(p->cl, &reason), NATT_RDV_REG_FAILING);
	CU_ASSERT_PTR_EQUAL(reason, p->ev[0].reason);
	/* back up: the next retry (121.5 s) registers */
	w.down = false;
	run_until(&w, RDVT_T0 + 125 * NATT_SEC);
	e = find_event(p, NATT_RDV_EV_REGISTERED, 0);
	CU_ASSERT_FATAL(e > 0);
	CU_ASSERT_EQUAL(p->ev_at[e] - RDVT_T0, 121500 * NATT_MSEC);
	CU_ASSERT_EQUAL(natt_rdv_client_reg_state(p->cl, &reason), NATT_RDV_REG_OK);
	CU_ASSERT_PTR_NULL(reason);
	world_free(&w);
}

/* Registered, then the rendezvous goes away: refresh retransmissions back
 * off, and the registration is reported lapsed exactly when its lifetime
 * ends. */
static void test_cl_lapsed(void)
{
	struct world w;
	struct peer *p;
	struct natt_cand_list hosts = rdvt_hosts(1, 1);
	natt_time_t first_refresh;
	int e;

	world_init(&w);
	p = add_peer(&w, "office");
	natt_rdv_client_register(p->cl, w.now, &hosts);
	pump(&w);
	CU_ASSERT_EQUAL(natt_rdv_client_reg_state(p->cl, NULL), NATT_RDV_REG_OK);
	w.down = true;
	run_until(&w, RDVT_T0 + 70 * NATT_SEC);
	e = find_event(p, NATT_RDV_EV_REG_FAILED, 0);
	CU_ASSERT_FATAL(e >= 0);
	CU_ASSERT_EQUAL(p->ev[e].result, NATT_RDV_RES_LAPSED);
	CU_ASSERT_EQUAL(p->ev_at[e], RDVT_T0 + NATT_RDV_LIFETIME_S * NATT_SEC);
	CU_ASSERT_FATAL(p->nsent >= 6);
	first_refresh = p->sent_at[1];
	CU_ASSERT(first_refresh - RDVT_T0 >= 18 * NATT_SEC);
	CU_ASSERT_EQUAL(p->sent_at[2] - first_refresh, 500 * NATT_MSEC);
	CU_ASSERT_EQUAL(p->sent_at[3] - first_refresh, 1500 * NATT_MSEC);
	CU_ASSERT_EQUAL(p->sent_at[4] - first_refresh, 3500 * NATT_MSEC);
	CU_ASSERT_EQUAL(natt_rdv_client_reg_state(p->cl, NULL), NATT_RDV_REG_FAILING);
	world_free(&w);
}

/* The whole exchange: a server registers, a client looks it up; the client
 * gets the server's candidates, the server the client's, at once. */
static void test_cl_lookup_found_introduce(void)
{
	struct world w;
	struct peer *srv, *cli;
	struct natt_cand_list shost = rdvt_hosts(3, 1), chost = rdvt_hosts(2, 7);
	const struct natt_rdv_event *ev;
	int e;

	world_init(&w);
	srv = add_peer(&w, "office");
	cli = add_peer(&w, "laptop");
	natt_rdv_client_register(srv->cl, w.now, &shost);
	pump(&w);
	CU_ASSERT_EQUAL(natt_rdv_client_lookup(cli->cl, w.now, "office", 0xABCDEF, &chost),
			NATT_OK);
	run_until(&w, w.now + 10 * NATT_SEC);
	CU_ASSERT_EQUAL(cli->nsent, 1);
	e = find_event(cli, NATT_RDV_EV_LOOKUP_DONE, 0);
	CU_ASSERT_FATAL(e >= 0);
	ev = &cli->ev[e];
	CU_ASSERT_EQUAL(ev->result, NATT_RDV_RES_OK);
	CU_ASSERT_EQUAL(ev->cid, 0xABCDEF);
	CU_ASSERT_STRING_EQUAL(ev->name.str, "office");
	CU_ASSERT(natt_rdv_same_addr(&ev->observed, &cli->addr));
	CU_ASSERT_EQUAL_FATAL(ev->cands.count, 4);
	for (int i = 0; i < 3; i++)
		CU_ASSERT(natt_cand_equal(&ev->cands.cand[i], &shost.cand[i]));
	CU_ASSERT(natt_rdv_same_addr(&ev->cands.cand[3], &srv->addr));
	e = find_event(srv, NATT_RDV_EV_INTRODUCED, 0);
	CU_ASSERT_FATAL(e >= 0);
	ev = &srv->ev[e];
	CU_ASSERT_EQUAL(ev->cid, 0xABCDEF);
	CU_ASSERT_STRING_EQUAL(ev->name.str, "laptop");
	CU_ASSERT(natt_rdv_same_addr(&ev->observed, &cli->addr));
	CU_ASSERT_EQUAL_FATAL(ev->cands.count, 2);
	CU_ASSERT(natt_cand_equal(&ev->cands.cand[1], &chost.cand[1]));
	CU_ASSERT_EQUAL(srv->ev_at[e], cli->ev_at[find_event(cli, NATT_RDV_EV_LOOKUP_DONE, 0)]);
	CU_ASSERT_EQUAL(count_events(cli, NATT_RDV_EV_LOOKUP_DONE), 1);
	world_free(&w);
}

/* 2001:db8:<net>::<last>:port of the given kind. */
static struct natt_cand v6(uint8_t net, uint8_t last, uint16_t port, uint8_t kind)
{
	struct natt_cand c;

	memset(&c, 0, sizeof(c));
	c.kind = kind;
	c.family = 6;
	c.port = port;
	c.addr[0] = 0x20;
	c.addr[1] = 0x01;
	c.addr[2] = 0x0d;
	c.addr[3] = 0xb8;
	c.addr[5] = net;
	c.addr[15] = last;
	return c;
}

/* A rendezvous at an IPv6 address: the server registers from an IPv6
 * address, a client looks it up from IPv4 (a dual-stack rendezvous serves
 * both); every address travels whole, and an answer from the rendezvous'
 * IPv4 or IPv4-mapped twin is not the rendezvous'. */
static void test_cl_ipv6(void)
{
	struct world w;
	struct peer *srv, *cli;
	struct natt_cand_list shost = rdvt_hosts(2, 1), chost = rdvt_hosts(1, 7);
	struct natt_cand obs, twin;
	const struct natt_rdv_event *ev;
	struct natt_rdv_output out;
	uint8_t pkt[NATT_MAX_RENDEZVOUS];
	int e, n;

	world_init(&w);
	w.rdv_addr = v6(0xff, 1, 3478, NATT_CAND_HOST);
	srv = add_peer(&w, "office");
	srv->addr = v6(1, 2, 5000, NATT_CAND_SRFLX);
	cli = add_peer(&w, "laptop");
	natt_rdv_client_register(srv->cl, w.now, &shost);
	pump(&w);
	CU_ASSERT(natt_rdv_client_observed(srv->cl, &obs));
	CU_ASSERT(natt_rdv_same_addr(&obs, &srv->addr));
	CU_ASSERT_EQUAL(obs.family, 6);
	natt_rdv_client_lookup(cli->cl, w.now, "office", 0x66, &chost);
	run_until(&w, w.now + 10 * NATT_SEC);
	e = find_event(cli, NATT_RDV_EV_LOOKUP_DONE, 0);
	CU_ASSERT_FATAL(e >= 0);
	ev = &cli->ev[e];
	CU_ASSERT_EQUAL(ev->result, NATT_RDV_RES_OK);
	CU_ASSERT(natt_rdv_same_addr(&ev->observed, &cli->addr));
	CU_ASSERT_EQUAL_FATAL(ev->cands.count, 3);
	CU_ASSERT(natt_cand_equal(&ev->cands.cand[1], &shost.cand[1])); /* the IPv6 host */
	CU_ASSERT(natt_rdv_same_addr(&ev->cands.cand[2], &srv->addr));
	e = find_event(srv, NATT_RDV_EV_INTRODUCED, 0);
	CU_ASSERT_FATAL(e >= 0);
	CU_ASSERT(natt_rdv_same_addr(&srv->ev[e].observed, &cli->addr));
	/* a real answer, from 0.0.0.1 or ::ffff:0.0.0.1 first (refused, nothing
	 * changes), then from the rendezvous (accepted) */
	natt_rdv_client_lookup(cli->cl, w.now, "office", 0x67, &chost);
	n = natt_rdv_client_poll(cli->cl, w.now, wall(&w), pkt, sizeof(pkt));
	CU_ASSERT_FATAL(n > 0);
	natt_rdv_server_input(w.srv, w.now, wall(&w), &cli->addr, pkt, (size_t)n, &out);
	CU_ASSERT_FATAL(out.count >= 1 && natt_rdv_same_addr(&out.dgram[0].to, &cli->addr));
	twin = natt_test_v4(0, 0, 0, 1, 3478, NATT_CAND_HOST);
	CU_ASSERT_EQUAL(natt_rdv_client_input(cli->cl, w.now, wall(&w), &twin, out.dgram[0].buf,
					      out.dgram[0].len),
			NATT_ERR_INVALID);
	twin = w.rdv_addr;
	memset(twin.addr, 0, 16);
	twin.addr[10] = twin.addr[11] = 0xff;
	twin.addr[15] = 1;
	CU_ASSERT_EQUAL(natt_rdv_client_input(cli->cl, w.now, wall(&w), &twin, out.dgram[0].buf,
					      out.dgram[0].len),
			NATT_ERR_INVALID);
	CU_ASSERT_EQUAL(count_events(cli, NATT_RDV_EV_LOOKUP_DONE), 1);
	CU_ASSERT_EQUAL(natt_rdv_client_input(cli->cl, w.now, wall(&w), &w.rdv_addr,
					      out.dgram[0].buf, out.dgram[0].len),
			NATT_OK);
	CU_ASSERT_EQUAL(count_events(cli, NATT_RDV_EV_LOOKUP_DONE), 2);
	world_free(&w);
}

static void test_cl_lookup_not_found(void)
{
	struct world w;
	struct peer *cli;
	struct natt_cand_list none = {0};
	int e;

	world_init(&w);
	cli = add_peer(&w, NULL);
	CU_ASSERT_EQUAL(natt_rdv_client_lookup(cli->cl, w.now, "nobody", 1, &none), NATT_OK);
	CU_ASSERT_EQUAL(natt_rdv_client_lookup(cli->cl, w.now, "no body", 1, &none),
			NATT_ERR_BAD_NAME);
	CU_ASSERT_EQUAL(natt_rdv_client_lookup(cli->cl, w.now, "nobody", 0, &none),
			NATT_ERR_INVALID);
	run_until(&w, w.now + 10 * NATT_SEC);
	e = find_event(cli, NATT_RDV_EV_LOOKUP_DONE, 0);
	CU_ASSERT_FATAL(e >= 0);
	CU_ASSERT_EQUAL(cli->ev[e].result, NATT_RDV_RES_NOT_FOUND);
	CU_ASSERT_EQUAL(cli->ev[e].cands.count, 0);
	CU_ASSERT_PTR_NOT_NULL(strstr(cli->ev[e].reason, "not registered"));
	CU_ASSERT_EQUAL(cli->nsent, 1);
	world_free(&w);
}

/* No answer: LOOKUPs at 0, 0.5, 1.5, 3.5 s, then NO_ANSWER at 7.5 s. */
static void test_cl_lookup_timeout(void)
{
	struct world w;
	struct peer *cli;
	struct natt_cand_list none = {0};

	world_init(&w);
	cli = add_peer(&w, "laptop");
	w.down = true;
	natt_rdv_client_lookup(cli->cl, w.now, "office", 1, &none);
	run_until(&w, w.now + 60 * NATT_SEC);
	CU_ASSERT_EQUAL_FATAL(cli->nsent, 4);
	CU_ASSERT_EQUAL(cli->sent_at[1] - RDVT_T0, 500 * NATT_MSEC);
	CU_ASSERT_EQUAL(cli->sent_at[2] - RDVT_T0, 1500 * NATT_MSEC);
	CU_ASSERT_EQUAL(cli->sent_at[3] - RDVT_T0, 3500 * NATT_MSEC);
	CU_ASSERT_EQUAL_FATAL(cli->nev, 1);
	CU_ASSERT_EQUAL(cli->ev[0].type, NATT_RDV_EV_LOOKUP_DONE);
	CU_ASSERT_EQUAL(cli->ev[0].result, NATT_RDV_RES_NO_ANSWER);
	CU_ASSERT_EQUAL(cli->ev[0].attempts, 4);
	CU_ASSERT_EQUAL(cli->ev_at[0] - RDVT_T0, 7500 * NATT_MSEC);
	CU_ASSERT_EQUAL(natt_rdv_client_next_timeout(cli->cl), NATT_TIME_NEVER);
	world_free(&w);
}

/* Seals an answer as the rendezvous would, for the input checks. */
static size_t forge(struct world *w, uint8_t *pkt, struct natt_seal *seal, struct natt_rdv_msg *m)
{
	uint8_t salt[NATT_SALT_LEN], id[NATT_NETWORK_ID_LEN];
	int n;

	natt_test_rng(&w->rng, salt, sizeof(salt));
	natt_seal_network_id(seal, id);
	n = natt_rdv_pack(pkt, NATT_MAX_RENDEZVOUS, seal, id, salt, m, 0);
	CU_ASSERT_FATAL(n > 0);
	return (size_t)n;
}

static void test_cl_input_checks(void)
{
	struct world w;
	struct peer *p;
	struct natt_cand_list hosts = rdvt_hosts(1, 1);
	struct natt_seal *other = natt_test_seal(0x80);
	struct natt_rdv_msg intro;
	uint8_t pkt[NATT_MAX_RENDEZVOUS], req[NATT_MAX_RENDEZVOUS];
	struct natt_rdv_output out;
	struct natt_cand elsewhere;
	size_t len;
	int n;

	world_init(&w);
	p = add_peer(&w, "office");
	memset(&intro, 0, sizeof(intro));
	intro.type = NATT_PT_RDV_INTRODUCE;
	intro.timestamp_ms = wall(&w);
	intro.txid = 42;
	intro.introduce.cid = 7;
	intro.introduce.observed = natt_test_v4(198, 51, 100, 5, 5000, NATT_CAND_SRFLX);
	/* not registering: an INTRODUCE is refused */
	len = forge(&w, pkt, w.seal, &intro);
	CU_ASSERT_EQUAL(natt_rdv_client_input(p->cl, w.now, wall(&w), &w.rdv_addr, pkt, len),
			NATT_ERR_BAD_VALUE);
	natt_rdv_client_register(p->cl, w.now, &hosts);
	/* an answer from another address, another network, stale, replayed */
	n = natt_rdv_client_poll(p->cl, w.now, wall(&w), req, sizeof(req));
	CU_ASSERT_FATAL(n > 0);
	natt_rdv_server_input(w.srv, w.now, wall(&w), &p->addr, req, (size_t)n, &out);
	CU_ASSERT_EQUAL_FATAL(out.count, 1);
	elsewhere = w.rdv_addr;
	elsewhere.port++;
	CU_ASSERT_EQUAL(natt_rdv_client_input(p->cl, w.now, wall(&w), &elsewhere, out.dgram[0].buf,
					      out.dgram[0].len),
			NATT_ERR_INVALID);
	CU_ASSERT_EQUAL(natt_rdv_client_input(p->cl, w.now, wall(&w) + NATT_RDV_SKEW_MS + 1,
					      &w.rdv_addr, out.dgram[0].buf, out.dgram[0].len),
			NATT_ERR_STALE);
	CU_ASSERT_EQUAL(natt_rdv_client_reg_state(p->cl, NULL), NATT_RDV_REG_TRYING);
	CU_ASSERT_EQUAL(natt_rdv_client_input(p->cl, w.now, wall(&w), &w.rdv_addr, out.dgram[0].buf,
					      out.dgram[0].len),
			NATT_OK);
	CU_ASSERT_EQUAL(natt_rdv_client_reg_state(p->cl, NULL), NATT_RDV_REG_OK);
	CU_ASSERT_EQUAL(natt_rdv_client_input(p->cl, w.now, wall(&w), &w.rdv_addr, out.dgram[0].buf,
					      out.dgram[0].len),
			NATT_ERR_REPLAY);
	/* registered: a genuine INTRODUCE passes, a copy does not */
	len = forge(&w, pkt, w.seal, &intro);
	memcpy(req, pkt, len);
	CU_ASSERT_EQUAL(natt_rdv_client_input(p->cl, w.now, wall(&w), &w.rdv_addr, pkt, len),
			NATT_OK);
	CU_ASSERT_EQUAL(natt_rdv_client_input(p->cl, w.now, wall(&w), &w.rdv_addr, req, len),
			NATT_ERR_REPLAY);
	CU_ASSERT_EQUAL(count_events(p, NATT_RDV_EV_INTRODUCED), 1);
	/* sealed for another network; or with its key under our ID */
	len = forge(&w, pkt, other, &intro);
	CU_ASSERT_EQUAL(natt_rdv_client_input(p->cl, w.now, wall(&w), &w.rdv_addr, pkt, len),
			NATT_ERR_WRONG_PURPOSE);
	natt_seal_network_id(w.seal, pkt + 2);
	CU_ASSERT_EQUAL(natt_rdv_client_input(p->cl, w.now, wall(&w), &w.rdv_addr, pkt, len),
			NATT_ERR_AUTH);
	/* an ACK for no outstanding REGISTER */
	memset(&intro, 0, sizeof(intro));
	intro.type = NATT_PT_RDV_REGISTER_ACK;
	intro.timestamp_ms = wall(&w);
	intro.reg_ack.lifetime_s = 60;
	intro.reg_ack.observed = p->addr;
	len = forge(&w, pkt, w.seal, &intro);
	CU_ASSERT_EQUAL(natt_rdv_client_input(p->cl, w.now, wall(&w), &w.rdv_addr, pkt, len),
			NATT_ERR_BAD_VALUE);
	/* a truncated datagram */
	CU_ASSERT_EQUAL(natt_rdv_client_input(p->cl, w.now, wall(&w), &w.rdv_addr, req, 10),
			NATT_ERR_TRUNCATED);
	CU_ASSERT_EQUAL(count_events(p, NATT_RDV_EV_INTRODUCED), 1);
	natt_seal_free(other);
	world_free(&w);
}

/* TABLE_FULL is reported with its reason, and retried at the refresh
 * interval rather than hammered. */
static void test_cl_table_full(void)
{
	struct natt_rdv_server_config cfg;
	struct world w;
	struct peer *a, *b;
	struct natt_cand_list hosts = rdvt_hosts(1, 1);
	const char *reason;

	rdvt_small_config(&cfg);
	cfg.max_registrations = 1;
	world_init_cfg(&w, &cfg);
	a = add_peer(&w, "first");
	b = add_peer(&w, "second");
	natt_rdv_client_register(a->cl, w.now, &hosts);
	pump(&w);
	natt_rdv_client_register(b->cl, w.now, &hosts);
	run_until(&w, w.now + 60 * NATT_SEC);
	CU_ASSERT_EQUAL_FATAL(b->nev, 1);
	CU_ASSERT_EQUAL(b->ev[0].type, NATT_RDV_EV_REG_FAILED);
	CU_ASSERT_EQUAL(b->ev[0].result, NATT_RDV_RES_TABLE_FULL);
	CU_ASSERT_EQUAL(natt_rdv_client_reg_state(b->cl, &reason), NATT_RDV_REG_FAILING);
	CU_ASSERT_PTR_NOT_NULL(strstr(reason, "full"));
	CU_ASSERT(b->nsent >= 3 && b->nsent <= 4);
	CU_ASSERT(b->sent_at[1] - b->sent_at[0] >= 18 * NATT_SEC);
	CU_ASSERT(natt_rdv_server_table_full_news(w.srv));
	/* then the rendezvous goes silent: the reason changes, reported once */
	w.down = true;
	run_until(&w, w.now + 120 * NATT_SEC);
	CU_ASSERT_EQUAL_FATAL(b->nev, 2);
	CU_ASSERT_EQUAL(b->ev[1].result, NATT_RDV_RES_NO_ANSWER);
	/* back, and with room: registered at the next retry */
	w.down = false;
	natt_rdv_client_unregister(a->cl, w.now);
	run_until(&w, w.now + 35 * NATT_SEC);
	CU_ASSERT_EQUAL_FATAL(b->nev, 3);
	CU_ASSERT_EQUAL(b->ev[2].type, NATT_RDV_EV_REGISTERED);
	CU_ASSERT_EQUAL(natt_rdv_client_reg_state(b->cl, NULL), NATT_RDV_REG_OK);
	world_free(&w);
}

static void test_cl_unregister(void)
{
	struct world w;
	struct peer *p;
	struct natt_cand_list hosts = rdvt_hosts(1, 1);
	unsigned int sent;

	world_init(&w);
	p = add_peer(&w, "office");
	natt_rdv_client_register(p->cl, w.now, &hosts);
	pump(&w);
	CU_ASSERT_EQUAL(natt_rdv_server_count(w.srv), 1);
	natt_rdv_client_unregister(p->cl, w.now);
	CU_ASSERT_EQUAL(natt_rdv_client_next_timeout(p->cl), 0);
	pump(&w);
	CU_ASSERT_EQUAL(natt_rdv_server_count(w.srv), 0);
	CU_ASSERT_EQUAL(natt_rdv_server_stats(w.srv)->reg_removed, 1);
	CU_ASSERT_EQUAL(natt_rdv_client_reg_state(p->cl, NULL), NATT_RDV_REG_OFF);
	sent = p->nsent;
	run_until(&w, w.now + 100 * NATT_SEC);
	CU_ASSERT_EQUAL(p->nsent, sent);
	CU_ASSERT_EQUAL(natt_rdv_client_next_timeout(p->cl), NATT_TIME_NEVER);
	world_free(&w);
}

/* New host candidates go out at once; the rendezvous hands them on. */
static void test_cl_new_candidates(void)
{
	struct world w;
	struct peer *srv, *cli;
	struct natt_cand_list h1 = rdvt_hosts(1, 1), h2 = rdvt_hosts(3, 9), none = {0};
	int e;

	world_init(&w);
	srv = add_peer(&w, "office");
	cli = add_peer(&w, NULL);
	natt_rdv_client_register(srv->cl, w.now, &h1);
	run_until(&w, w.now + 5 * NATT_SEC);
	CU_ASSERT_EQUAL(natt_rdv_client_register(srv->cl, w.now, &h2), NATT_OK);
	CU_ASSERT_EQUAL(natt_rdv_client_next_timeout(srv->cl), w.now);
	pump(&w);
	CU_ASSERT_EQUAL(srv->nsent, 2);
	CU_ASSERT_EQUAL(count_events(srv, NATT_RDV_EV_REGISTERED), 1); /* nothing new to say */
	natt_rdv_client_lookup(cli->cl, w.now, "office", 3, &none);
	pump(&w);
	e = find_event(cli, NATT_RDV_EV_LOOKUP_DONE, 0);
	CU_ASSERT_FATAL(e >= 0);
	CU_ASSERT_EQUAL(cli->ev[e].cands.count, 4);
	CU_ASSERT(natt_cand_equal(&cli->ev[e].cands.cand[2], &h2.cand[2]));
	/* too many host candidates for a registration: 7 at most */
	h2 = rdvt_hosts(NATT_MAX_CANDS, 3);
	CU_ASSERT_EQUAL(natt_rdv_client_register(srv->cl, w.now, &h2), NATT_ERR_INVALID);
	world_free(&w);
}

const struct natt_test rdvt_client_tests[] = {
	{"cl_config", test_cl_config},
	{"cl_register_refresh", test_cl_register_refresh},
	{"cl_backoff_down", test_cl_backoff_down},
	{"cl_lapsed", test_cl_lapsed},
	{"cl_lookup_found_introduce", test_cl_lookup_found_introduce},
	{"cl_ipv6", test_cl_ipv6},
	{"cl_lookup_not_found", test_cl_lookup_not_found},
	{"cl_lookup_timeout", test_cl_lookup_timeout},
	{"cl_input_checks", test_cl_input_checks},
	{"cl_table_full", test_cl_table_full},
	{"cl_unregister", test_cl_unregister},
	{"cl_new_candidates", test_cl_new_candidates},
	{NULL, NULL},
};
