/*
 * punchlab.c: the hole-punching lab of punchlab.h.  Set PUNCHLAB_VERBOSE=1
 * in the environment to see every punch log line with its simulated time.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "punchlab.h"
#include "stun.h"

#define STUN_RETRY (500 * NATT_MSEC)
#define STUN_TRIES 4
#define WALL0	   UINT64_C(1700000000000)
#define MAX_SPINS  100000

static const char *const peer_name[2] = {"laptop", "office"};

/* ---- small helpers ---- */

static struct natt_cand to_cand(struct sim_addr a, uint8_t kind)
{
	struct natt_cand c;

	memset(&c, 0, sizeof(c));
	c.kind = kind;
	c.family = 4;
	c.port = a.port;
	c.addr[0] = (uint8_t)(a.ip >> 24);
	c.addr[1] = (uint8_t)(a.ip >> 16);
	c.addr[2] = (uint8_t)(a.ip >> 8);
	c.addr[3] = (uint8_t)a.ip;
	return c;
}

static struct sim_addr to_addr(const struct natt_cand *c)
{
	struct sim_addr a;

	a.ip = (uint32_t)c->addr[0] << 24 | (uint32_t)c->addr[1] << 16 | (uint32_t)c->addr[2] << 8 |
	       c->addr[3];
	a.port = c->port;
	return a;
}

static natt_time_t min_t(natt_time_t a, natt_time_t b)
{
	return a < b ? a : b;
}

static uint64_t wall(const struct lab *l)
{
	return WALL0 + l->now / NATT_MSEC;
}

static void fill_random(void *ctx, uint8_t *buf, size_t len)
{
	struct sim_prng *r = ctx;

	for (size_t i = 0; i < len; i += 8) {
		uint64_t v = sim_prng_next(r);

		for (size_t k = 0; k < 8 && i + k < len; k++)
			buf[i + k] = (uint8_t)(v >> (8 * k));
	}
}

static void log_line(void *ctx, int verb, const char *line)
{
	struct lab_peer *p = ctx;

	if (getenv("PUNCHLAB_VERBOSE") != NULL)
		fprintf(stderr, "[%8.3f ms] %d v%d %s\n", (double)p->lab->now / 1000.0, p->id, verb,
			line);
}

static struct sim_addr sock_addr(const struct lab_peer *p, unsigned int sock)
{
	struct sim_addr a = p->host;

	if (sock > 0)
		a.port = (uint16_t)(LAB_XPORT + sock);
	return a;
}

static struct natt_cand_list host_list(const struct lab_peer *p)
{
	struct natt_cand_list hl;

	memset(&hl, 0, sizeof(hl));
	hl.cand[hl.count++] = to_cand(p->host, NATT_CAND_HOST);
	if (p->have_stun)
		hl.cand[hl.count++] = p->stun_srflx;
	return hl;
}

/* ---- the punch session of a peer ---- */

static int new_punch(struct lab_peer *p, enum natt_punch_role role)
{
	struct natt_punch_config cfg = p->lab->cfg.punch;
	uint8_t b[8];

	cfg.peer_name = peer_name[1 - p->id];
	cfg.log = log_line;
	cfg.log_ctx = p;
	fill_random(&p->rng, b, sizeof(b));
	memcpy(&p->cid, b, sizeof(b));
	p->cid |= 1;
	return natt_punch_new(&p->punch, &cfg, p->probe_seal, fill_random, &p->rng, p->cid, role);
}

/* Our candidates: host, STUN srflx, and what the rendezvous saw. */
static void add_locals(struct lab_peer *p, const struct natt_cand *observed)
{
	struct natt_cand_list hl = host_list(p);

	for (unsigned int i = 0; i < hl.count; i++)
		natt_punch_add_local(p->punch, p->lab->now, &hl.cand[i]);
	if (observed != NULL && observed->family != 0)
		natt_punch_add_local(p->punch, p->lab->now, observed);
}

static void add_remotes(struct lab_peer *p, const struct natt_cand *observed,
			const struct natt_cand_list *cands)
{
	if (observed != NULL && observed->family != 0)
		natt_punch_add_remote(p->punch, p->lab->now, observed);
	for (unsigned int i = 0; i < cands->count; i++)
		natt_punch_add_remote(p->punch, p->lab->now, &cands->cand[i]);
}

static void on_introduced(struct lab_peer *p, const struct natt_rdv_event *ev)
{
	struct natt_cand obs;
	bool have = natt_rdv_client_observed(p->rdv, &obs);

	if (p->punch == NULL) {
		if (new_punch(p, NATT_PUNCH_CONTROLLED) != NATT_OK)
			return;
		natt_punch_set_peer_cid(p->punch, ev->cid);
		add_locals(p, have ? &obs : NULL);
		add_remotes(p, &ev->observed, &ev->cands);
		natt_punch_start(p->punch, p->lab->now);
		p->started_at = p->lab->now;
		return;
	}
	if (natt_punch_peer_cid(p->punch) != ev->cid)
		return; /* another client: not modelled */
	add_locals(p, have ? &obs : NULL);
	add_remotes(p, &ev->observed, &ev->cands);
}

static void on_lookup_done(struct lab_peer *p, const struct natt_rdv_event *ev)
{
	if (ev->result != NATT_RDV_RES_OK) {
		natt_punch_rendezvous_failed(p->punch, p->lab->now, ev->reason);
		return;
	}
	add_locals(p, &ev->observed);
	add_remotes(p, NULL, &ev->cands);
	if (natt_punch_state(p->punch) == NATT_PUNCH_IDLE) {
		natt_punch_start(p->punch, p->lab->now);
		p->started_at = p->lab->now;
	}
}

static void on_event(void *ctx, const struct natt_rdv_event *ev)
{
	struct lab_peer *p = ctx;

	switch (ev->type) {
	case NATT_RDV_EV_REGISTERED: p->registered = true; break;
	case NATT_RDV_EV_INTRODUCED: on_introduced(p, ev); break;
	case NATT_RDV_EV_LOOKUP_DONE: on_lookup_done(p, ev); break;
	default: break;
	}
}

/* ---- sending ---- */

static void peer_send(struct lab_peer *p, unsigned int sock, struct sim_addr to, const uint8_t *d,
		      size_t n)
{
	sim_send(p->lab->sim, sock_addr(p, sock), to, d, n);
}

static void log_probe(struct lab_peer *p, const uint8_t *d, size_t n, unsigned int sock)
{
	if (d[0] == NATT_PT_PROBE_REPLY) {
		p->replies_out++;
		if (n > p->max_reply)
			p->max_reply = n;
		return;
	}
	p->probes_out++;
	if (p->min_probe == 0 || n < p->min_probe)
		p->min_probe = n;
	if (p->nprobe_log < LAB_MAX_PROBE_LOG) {
		p->probe_bday[p->nprobe_log] = sock > 0; /* hard side's openers */
		p->probe_at[p->nprobe_log++] = p->lab->now;
	}
}

static void punch_tick(struct lab_peer *p)
{
	struct lab *l = p->lab;
	uint8_t buf[NATT_MAX_PROBE];
	struct natt_cand dst;
	unsigned int sock;
	int n;

	if (natt_punch_deadline(p->punch) <= l->now)
		natt_punch_on_timeout(p->punch, l->now);
	p->nsock = natt_punch_sockets_wanted(p->punch);
	if (p->nsock > p->max_sockets)
		p->max_sockets = p->nsock;
	while ((n = natt_punch_send(p->punch, l->now, buf, sizeof(buf), &dst, &sock)) > 0) {
		log_probe(p, buf, (size_t)n, sock);
		peer_send(p, sock, to_addr(&dst), buf, (size_t)n);
	}
	if (natt_punch_want_rendezvous(p->punch)) {
		/* STUN again first (our mapping may have changed), then the
		 * rendezvous: rdv_tick() does both in order */
		p->have_stun = false;
		p->stun_tries = 0;
		p->stun_next = l->now;
		p->query = true;
	}
	p->state = natt_punch_state(p->punch);
	if (p->state == NATT_PUNCH_CONNECTED && p->connected_at == NATT_TIME_NEVER) {
		p->connected_at = l->now;
		p->data_next = l->now;
	}
}

/* The data channel stand-in: 0xD0, the receiver's cid, a counter. */
static void data_tick(struct lab_peer *p)
{
	struct natt_punch_path path;
	uint8_t d[18];
	natt_cid_t dcid;

	if (p->data_next > p->lab->now || !natt_punch_path(p->punch, &path))
		return;
	dcid = natt_punch_peer_cid(p->punch);
	memset(d, 0, sizeof(d));
	d[0] = NATT_PT_DATA;
	memcpy(d + 2, &dcid, sizeof(dcid));
	memcpy(d + 10, &p->data_sent, sizeof(p->data_sent));
	peer_send(p, path.sock, to_addr(&path.remote), d, sizeof(d));
	natt_punch_path_sent(p->punch, p->lab->now);
	p->data_sent++;
	p->data_next = p->lab->now + LAB_DATA_INTERVAL;
}

static void stun_tick(struct lab_peer *p)
{
	struct lab *l = p->lab;
	uint8_t req[64];
	struct sim_addr stun = {LAB_STUN_IP, LAB_RDV_PORT};
	int n;

	if (p->have_stun || p->stun_tries >= STUN_TRIES || l->now < p->stun_next)
		return;
	fill_random(&p->rng, p->stun_txid, sizeof(p->stun_txid));
	n = natt_stun_binding_request(req, sizeof(req), p->stun_txid, true);
	if (n > 0)
		peer_send(p, 0, stun, req, (size_t)n);
	p->stun_tries++;
	p->stun_next = l->now + STUN_RETRY;
}

static bool stun_done(const struct lab_peer *p)
{
	return p->have_stun || (p->stun_tries >= STUN_TRIES && p->lab->now >= p->stun_next);
}

static void rdv_tick(struct lab_peer *p)
{
	struct lab *l = p->lab;
	struct sim_addr rdv = {LAB_RDV_IP, LAB_RDV_PORT};
	uint8_t pkt[NATT_MAX_RENDEZVOUS];
	int n;

	if (stun_done(p) && p->query) {
		struct natt_cand_list hl = host_list(p);

		if (p->id == 1) {
			natt_rdv_client_register(p->rdv, l->now, &hl);
			p->query = false;
		} else if (l->now >= LAB_LOOKUP_AT && (l->peer[1].registered || l->rdv_down) &&
			   (p->punch != NULL || new_punch(p, NATT_PUNCH_CONTROLLING) == 0)) {
			natt_rdv_client_lookup(p->rdv, l->now, peer_name[1], p->cid, &hl);
			p->rdv_lookups++;
			p->query = false;
		}
	}
	while ((n = natt_rdv_client_poll(p->rdv, l->now, wall(l), pkt, sizeof(pkt))) > 0)
		peer_send(p, 0, rdv, pkt, (size_t)n);
}

static void peer_tick(struct lab_peer *p)
{
	stun_tick(p);
	rdv_tick(p);
	if (p->punch != NULL) {
		punch_tick(p);
		data_tick(p);
	}
}

static natt_time_t peer_next(const struct lab_peer *p)
{
	natt_time_t t = natt_rdv_client_next_timeout(p->rdv);

	if (!p->have_stun && p->stun_tries <= STUN_TRIES)
		t = min_t(t, p->stun_next);
	if (p->id == 0 && p->query && p->lab->now < LAB_LOOKUP_AT)
		t = min_t(t, LAB_LOOKUP_AT);
	if (p->punch != NULL) {
		t = min_t(t, natt_punch_deadline(p->punch));
		if (p->connected_at != NATT_TIME_NEVER)
			t = min_t(t, p->data_next);
	}
	return t;
}

/* ---- receiving ---- */

static void serve(struct lab *l, struct natt_rdv_server *srv, struct sim_addr at,
		  struct sim_addr from, const uint8_t *d, size_t n)
{
	struct natt_cand fc = to_cand(from, NATT_CAND_SRFLX);
	struct natt_rdv_output out;

	if (srv == l->rdv && l->rdv_down)
		return;
	natt_rdv_server_input(srv, l->now, wall(l), &fc, d, n, &out);
	for (unsigned int i = 0; i < out.count; i++)
		sim_send(l->sim, at, to_addr(&out.dgram[i].to), out.dgram[i].buf, out.dgram[i].len);
}

static int sock_of(const struct lab_peer *p, struct sim_addr to)
{
	struct natt_punch_path path;

	if (to.ip != p->host.ip)
		return -1;
	if (to.port == p->host.port)
		return 0;
	if (to.port <= LAB_XPORT)
		return -1;
	if (to.port - LAB_XPORT <= (int)p->nsock)
		return to.port - LAB_XPORT;
	if (p->punch != NULL && natt_punch_path(p->punch, &path) &&
	    path.sock == (unsigned int)(to.port - LAB_XPORT))
		return (int)path.sock; /* the selected path's socket stays open */
	return -1;
}

static void peer_recv(struct lab_peer *p, int sock, struct sim_addr from, const uint8_t *d,
		      size_t n)
{
	struct lab *l = p->lab;
	struct natt_cand fc = to_cand(from, NATT_CAND_PRFLX);
	struct natt_cand rdv = to_cand((struct sim_addr){LAB_RDV_IP, LAB_RDV_PORT}, NATT_CAND_HOST);
	natt_cid_t dcid;

	if (d[0] <= 3) {
		if (natt_stun_parse_response(d, n, p->stun_txid, &p->stun_srflx) == NATT_OK)
			p->have_stun = true;
	} else if (d[0] >= NATT_PT_RDV_REGISTER && d[0] <= NATT_PT_RDV_INTRODUCE) {
		natt_rdv_client_input(p->rdv, l->now, wall(l), &rdv, d, n);
	} else if ((d[0] == NATT_PT_PROBE || d[0] == NATT_PT_PROBE_REPLY) && p->punch != NULL) {
		natt_punch_recv(p->punch, l->now, (unsigned int)sock, &fc, d, n);
	} else if (d[0] == NATT_PT_DATA && n >= 10 && p->punch != NULL) {
		memcpy(&dcid, d + 2, sizeof(dcid));
		if (dcid != p->cid)
			return;
		p->data_recv++;
		p->data_last_rx = l->now;
		natt_punch_path_activity(p->punch, l->now, (unsigned int)sock, &fc);
	}
}

static void deliver(void *ctx, struct sim *s, struct sim_addr from, struct sim_addr to,
		    const uint8_t *d, size_t n, natt_time_t at)
{
	struct lab *l = ctx;

	(void)s;
	l->now = at;
	if (to.ip == LAB_RDV_IP && to.port == LAB_RDV_PORT) {
		serve(l, l->rdv, to, from, d, n);
		return;
	}
	if (to.ip == LAB_STUN_IP && to.port == LAB_RDV_PORT) {
		serve(l, l->stun, to, from, d, n);
		return;
	}
	for (int i = 0; i < 2; i++) {
		int sock = sock_of(&l->peer[i], to);

		if (sock >= 0) {
			peer_recv(&l->peer[i], sock, from, d, n);
			return;
		}
	}
}

/* ---- running ---- */

bool lab_run(struct lab *l, natt_time_t until, bool (*done)(struct lab *l))
{
	unsigned int spins = 0;

	for (;;) {
		natt_time_t next;

		for (int i = 0; i < 2; i++)
			peer_tick(&l->peer[i]);
		if (done != NULL && done(l))
			return true;
		next = sim_next_event_time(l->sim);
		for (int i = 0; i < 2; i++)
			next = min_t(next, peer_next(&l->peer[i]));
		if (next > until) {
			sim_advance(l->sim, until);
			l->now = until;
			return false;
		}
		if (next <= l->now) {
			next = l->now;
			if (++spins > MAX_SPINS) {
				fprintf(stderr, "punchlab: no progress at %llu us\n",
					(unsigned long long)l->now);
				return false;
			}
		} else {
			spins = 0;
		}
		sim_deliver_due(l->sim, next, deliver, l);
		l->now = next;
		l->loops++;
	}
}

bool lab_both_connected(struct lab *l)
{
	for (int i = 0; i < 2; i++)
		if (l->peer[i].punch == NULL ||
		    natt_punch_state(l->peer[i].punch) != NATT_PUNCH_CONNECTED)
			return false;
	return true;
}

bool lab_any_final(struct lab *l)
{
	for (int i = 0; i < 2; i++) {
		enum natt_punch_state s;

		if (l->peer[i].punch == NULL)
			continue;
		s = natt_punch_state(l->peer[i].punch);
		if (s == NATT_PUNCH_FAILED || s == NATT_PUNCH_NEEDS_RELAY)
			return true;
	}
	return false;
}

/* ---- building ---- */

static int add_box(struct lab *l, uint32_t pub, uint32_t net, enum lab_nat kind)
{
	struct sim_nat_cfg c;

	memset(&c, 0, sizeof(c));
	c.public_ip = pub;
	c.inside_net = net;
	c.mapping = kind == LAB_EDM ? SIM_NAT_EDM : SIM_NAT_EIM;
	c.no_port_preserve = l->cfg.no_port_preserve;
	return sim_nat_add(l->net, &c);
}

static int lan_link(struct lab *l, uint32_t a, uint32_t b)
{
	struct sim_link_cfg lan;

	memset(&lan, 0, sizeof(lan));
	lan.delay = 500 * NATT_USEC;
	if (sim_set_link(l->sim, a, b, &lan) != 0 || sim_set_link(l->sim, b, a, &lan) != 0)
		return -1;
	return 0;
}

static int place(struct lab *l)
{
	struct lab_peer *a = &l->peer[0], *b = &l->peer[1];

	a->host = (struct sim_addr){SIM_IP(203, 0, 113, 10), LAB_HOST_PORT};
	a->nat = -1;
	if (l->cfg.nat[0] != LAB_PUBLIC) {
		a->nat = add_box(l, SIM_IP(203, 0, 113, 10), SIM_IP(192, 168, 1, 0), l->cfg.nat[0]);
		a->host.ip = SIM_IP(192, 168, 1, 10);
	}
	b->host = (struct sim_addr){SIM_IP(203, 0, 113, 20), LAB_HOST_PORT};
	b->nat = -1;
	if (l->cfg.nat[1] == LAB_SAME) {
		if (a->nat < 0)
			return -1;
		b->nat = a->nat;
		b->host.ip = SIM_IP(192, 168, 1, 20);
		return lan_link(l, a->host.ip, b->host.ip);
	}
	if (l->cfg.nat[1] != LAB_PUBLIC) {
		b->nat = add_box(l, SIM_IP(203, 0, 113, 20), SIM_IP(10, 2, 0, 0), l->cfg.nat[1]);
		b->host.ip = SIM_IP(10, 2, 0, 20);
	}
	return 0;
}

static struct natt_seal *seal_from(uint8_t base)
{
	uint8_t k[NATT_KEY_LEN];
	struct natt_seal *s = NULL;

	for (int i = 0; i < NATT_KEY_LEN; i++)
		k[i] = (uint8_t)(base + 7 * i);
	return natt_seal_new(&s, k) == NATT_OK ? s : NULL;
}

static int servers(struct lab *l)
{
	struct natt_rdv_server_config rc;

	natt_rdv_server_config_default(&rc);
	rc.max_registrations = 16;
	rc.salt_capacity = 4096;
	if (natt_rdv_server_new(&l->rdv, &rc, fill_random, &l->rdv_rng) != NATT_OK ||
	    natt_rdv_server_new(&l->stun, &rc, fill_random, &l->rdv_rng) != NATT_OK)
		return -1;
	return natt_rdv_server_add_network(l->rdv, "lab", l->seal) < 0 ? -1 : 0;
}

static int peer_init(struct lab *l, int i)
{
	struct lab_peer *p = &l->peer[i];
	struct natt_rdv_client_config cc;

	p->lab = l;
	p->id = i;
	p->connected_at = NATT_TIME_NEVER;
	p->query = true;
	p->probe_seal = i == 1 && l->cfg.wrong_key ? l->bad_seal : l->seal;
	sim_prng_seed(&p->rng, l->cfg.seed * 1000003u + (uint64_t)i + 1);
	memset(&cc, 0, sizeof(cc));
	natt_rdv_client_config_default(&cc);
	cc.seal = l->seal;
	cc.server = to_cand((struct sim_addr){LAB_RDV_IP, LAB_RDV_PORT}, NATT_CAND_HOST);
	cc.name = peer_name[i];
	return natt_rdv_client_new(&p->rdv, &cc, fill_random, &p->rng, on_event, p) == NATT_OK ? 0
											       : -1;
}

void lab_cfg_default(struct lab_cfg *cfg, uint64_t seed, enum lab_nat a, enum lab_nat b)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->seed = seed;
	cfg->nat[0] = a;
	cfg->nat[1] = b;
	natt_punch_config_default(&cfg->punch);
}

int lab_init(struct lab *l, const struct lab_cfg *cfg)
{
	struct sim_link_cfg wan;

	memset(l, 0, sizeof(*l));
	l->cfg = *cfg;
	sim_prng_seed(&l->rdv_rng, cfg->seed ^ 0x5eed);
	l->sim = sim_new(cfg->seed);
	l->seal = seal_from(0x21);
	l->bad_seal = seal_from(0x99);
	if (l->sim == NULL || l->seal == NULL || l->bad_seal == NULL)
		return -1;
	memset(&wan, 0, sizeof(wan));
	wan.delay = 20 * NATT_MSEC;
	wan.jitter = 2 * NATT_MSEC;
	wan.loss = cfg->loss;
	sim_set_default_link(l->sim, &wan);
	l->net = sim_nat_net_new(l->sim);
	if (l->net == NULL || place(l) != 0 || servers(l) != 0)
		return -1;
	for (int i = 0; i < 2; i++)
		if (peer_init(l, i) != 0)
			return -1;
	return 0;
}

void lab_free(struct lab *l)
{
	for (int i = 0; i < 2; i++) {
		natt_punch_free(l->peer[i].punch);
		natt_rdv_client_free(l->peer[i].rdv);
	}
	natt_rdv_server_free(l->rdv);
	natt_rdv_server_free(l->stun);
	sim_nat_net_free(l->net);
	sim_free(l->sim);
	natt_seal_free(l->seal);
	natt_seal_free(l->bad_seal);
}

void lab_move(struct lab *l, int i, enum lab_nat kind)
{
	struct lab_peer *p = &l->peer[i];

	p->host = (struct sim_addr){SIM_IP(203, 0, 113, 30), LAB_HOST_PORT};
	p->nat = -1;
	if (kind == LAB_EIM || kind == LAB_EDM) {
		p->nat = add_box(l, SIM_IP(203, 0, 113, 30), SIM_IP(172, 16, 3, 0), kind);
		p->host.ip = SIM_IP(172, 16, 3, 10);
	}
}
