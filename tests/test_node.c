/*
 * test_node.c: the node runtime (transport/node.h) on loopback only: a
 * rendezvous core on a test socket, a server node and a client node in one
 * event loop, every socket bound to 127.0.0.1 (::1 for the IPv6 test).
 * Covers the application interface (up, down, datagrams, statistics,
 * status), the failure paths (unknown name, rendezvous down at start,
 * refused certificate), reconnect, demultiplexing drops, configuration
 * errors (address families included), the dual-stack default socket, and
 * UNKNOWN_CID (a restarted server; replies only to a HANDSHAKE or PROBE whose
 * seal opens, never to DATA or an UNKNOWN_CID, never larger than their
 * trigger, rate limited; forged or off-path ones ignored).
 * The NAT cases (direct
 * paths, the birthday method, relay-needed) need NATs and are in
 * tests/e2e/test_matrix.sh.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <openssl/rand.h>

#include "addr.h"
#include "node.h"
#include "node_int.h" /* natt_node_input: datagrams from a chosen source address */
#include "seal.h"
#include "tls_harness.h"
#include "unit.h"

#define RUN_LIMIT (3 * NATT_SEC) /* a condition that never comes fails instead */
/* Ended sessions linger for 3 probe timeouts (closing, draining): long ones
 * under valgrind, whose slowness the RTT estimates take in. */
#define IDLE_LIMIT (10 * NATT_SEC)
#define POLL	   (2 * NATT_MSEC)

static const uint8_t net_key[NATT_KEY_LEN] = "node-test-network-key-0123456789";
static const uint8_t wrong_key[NATT_KEY_LEN] = "node-test-WRONG-network-key-0123";

static void rnd(void *ctx, uint8_t *buf, size_t len)
{
	(void)ctx;
	CU_ASSERT_FATAL(RAND_bytes(buf, (int)len) == 1);
}

static uint64_t wall_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static struct natt_cand cand_of(const struct sockaddr_storage *ss)
{
	struct natt_cand c;

	CU_ASSERT_FATAL(natt_addr_to_cand((const struct sockaddr *)ss, NATT_CAND_HOST, &c));
	return c;
}

static struct sockaddr_in loopback(uint16_t port)
{
	struct sockaddr_in s4;

	memset(&s4, 0, sizeof(s4));
	s4.sin_family = AF_INET;
	s4.sin_port = htons(port);
	s4.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	return s4;
}

/* ---- a rendezvous (and STUN server) on a test socket ---- */

struct trdv {
	struct natt_udp *udp;
	struct natt_rdv_server *srv;
	struct natt_cand addr;
	bool down; /* drops everything, as a rendezvous that is not running */
	uint64_t seen;
};

static void trdv_recv(void *arg, struct natt_udp *udp, const struct natt_dgram *d, size_t n,
		      natt_time_t now)
{
	struct trdv *r = arg;
	struct natt_rdv_output out;

	for (size_t i = 0; i < n; i++) {
		struct sockaddr_storage ss;
		struct natt_cand from;

		r->seen++;
		if (r->down)
			continue;
		memcpy(&ss, d[i].addr, d[i].addrlen);
		from = cand_of(&ss);
		from.kind = NATT_CAND_SRFLX;
		natt_rdv_server_input(r->srv, now, wall_ms(), &from, d[i].data, d[i].len, &out);
		for (unsigned int k = 0; k < out.count; k++) {
			struct sockaddr_storage to;
			socklen_t tl = natt_addr_from_cand(
				&out.dgram[k].to, natt_udp_info(udp)->local.ss_family, &to);

			natt_udp_send(udp, out.dgram[k].buf, out.dgram[k].len,
				      (struct sockaddr *)&to, tl);
		}
	}
}

/* ---- an application of the node ---- */

struct app {
	struct natt_node *node;
	bool echo;	    /* send every datagram back */
	bool close_on_down; /* stop retrying from peer_down */
	unsigned int ups, downs, finals, rdv_ok, rdv_failing;
	struct natt_node_peer *peer; /* the last one up */
	struct natt_node_peer_info up;
	enum natt_node_down_reason down_reason;
	bool down_was_up, down_final;
	natt_time_t down_retry_at, down_at;
	char down_text[256];
	uint64_t dgrams;
	uint8_t last[512];
	size_t last_len;
	unsigned int status_lines;
	char status[8][1024];
};

static void app_up(void *ctx, struct natt_node_peer *p, const struct natt_node_peer_info *in)
{
	struct app *a = ctx;

	a->ups++;
	a->peer = p;
	a->up = *in;
}

static void app_down(void *ctx, struct natt_node_peer *p, const struct natt_node_down *d)
{
	struct app *a = ctx;

	a->downs++;
	a->finals += d->final;
	a->down_reason = d->reason;
	a->down_was_up = d->was_up;
	a->down_final = d->final;
	a->down_retry_at = d->retry_at;
	a->down_at = natt_loop_now();
	snprintf(a->down_text, sizeof(a->down_text), "%s", d->text);
	if (a->peer == p && d->final)
		a->peer = NULL;
	if (a->close_on_down && !d->final)
		CU_ASSERT_EQUAL(natt_node_close_peer(a->node, p, NULL), NATT_OK);
}

static void app_datagram(void *ctx, struct natt_node_peer *p, const uint8_t *data, size_t len)
{
	struct app *a = ctx;

	a->dgrams++;
	if (len <= sizeof(a->last)) {
		memcpy(a->last, data, len);
		a->last_len = len;
	}
	if (a->echo)
		CU_ASSERT_EQUAL(natt_node_send(a->node, p, data, len), NATT_OK);
}

static void app_rdv(void *ctx, const struct natt_node_rdv_info *in)
{
	struct app *a = ctx;

	if (in->state == NATT_RDV_REG_OK)
		a->rdv_ok++;
	else if (in->state == NATT_RDV_REG_FAILING)
		a->rdv_failing++;
}

static void app_log(void *ctx, int verb, const char *line)
{
	(void)ctx;
	if (getenv("NODE_TEST_VERBOSE") != NULL)
		fprintf(stderr, "[%llu] %d %s\n", (unsigned long long)(natt_loop_now() / 1000),
			verb, line);
}

static void app_status(void *ctx, const char *line)
{
	struct app *a = ctx;

	if (a->status_lines < 8)
		snprintf(a->status[a->status_lines], sizeof(a->status[0]), "%s", line);
	a->status_lines++;
}

/* ---- the world: one loop, one rendezvous, a server and a client ---- */

struct world {
	struct natt_loop *loop;
	struct natt_timer *poll;
	struct natt_seal *seal, *wrong;
	struct natt_tls_ctx *srv_tls, *cli_tls;
	struct trdv rdv;
	bool v6; /* everything on ::1 instead of 127.0.0.1 */
	struct app srv, cli;
	bool (*cond)(struct world *w);
	bool met;
};

static void on_poll(void *arg, natt_time_t now)
{
	struct world *w = arg;

	if (w->cond != NULL && w->cond(w)) {
		w->met = true;
		natt_loop_stop(w->loop);
		return;
	}
	natt_timer_set(w->poll, now + POLL);
}

/* Runs the loop until cond holds (true) or limit passes (false). */
static bool run_until(struct world *w, bool (*cond)(struct world *w), natt_time_t limit)
{
	w->cond = cond;
	w->met = false;
	natt_timer_set(w->poll, natt_loop_now());
	natt_loop_run(w->loop, natt_loop_now() + limit);
	natt_timer_set(w->poll, NATT_TIME_NEVER);
	w->cond = NULL;
	return w->met;
}

static void run_for(struct world *w, natt_time_t d)
{
	run_until(w, NULL, d);
}

/* The loopback address of the world's family, port 0. */
static socklen_t world_lo(const struct world *w, struct sockaddr_storage *ss)
{
	struct sockaddr_in lo = loopback(0);

	if (w->v6)
		return natt_addr_parse("::1", 0, ss);
	memcpy(ss, &lo, sizeof(lo));
	return sizeof(lo);
}

static void world_init_family(struct world *w, bool v6)
{
	struct natt_rdv_server_config rc;
	struct natt_udp_config uc;
	struct sockaddr_storage any;
	socklen_t any_len;

	memset(w, 0, sizeof(*w));
	w->v6 = v6;
	any_len = world_lo(w, &any);
	if (tlst_pki_dir()[0] == '\0')
		CU_ASSERT_FATAL(tlst_make_pki() == 0);
	CU_ASSERT_FATAL(natt_loop_new(&w->loop, false) == NATT_OK);
	CU_ASSERT_FATAL(natt_timer_new(&w->poll, w->loop, on_poll, w) == NATT_OK);
	CU_ASSERT_FATAL(natt_seal_new(&w->seal, net_key) == NATT_OK);
	CU_ASSERT_FATAL(natt_seal_new(&w->wrong, wrong_key) == NATT_OK);
	w->srv_tls = tlst_ctx_for(NATT_TLS_SERVER, &tlst_server_ok);
	w->cli_tls = tlst_ctx_for(NATT_TLS_CLIENT, &tlst_client_ok);
	natt_rdv_server_config_default(&rc);
	rc.max_registrations = 64;
	rc.salt_capacity = 4096;
	CU_ASSERT_FATAL(natt_rdv_server_new(&w->rdv.srv, &rc, rnd, NULL) == NATT_OK);
	CU_ASSERT_FATAL(natt_rdv_server_add_network(w->rdv.srv, "test", w->seal) >= 0);
	natt_udp_config_default(&uc);
	CU_ASSERT_FATAL(natt_udp_open(&w->rdv.udp, w->loop, (struct sockaddr *)&any, any_len, &uc,
				      trdv_recv, &w->rdv) == NATT_OK);
	w->rdv.addr = cand_of(&natt_udp_info(w->rdv.udp)->local);
}

static void world_init(struct world *w)
{
	world_init_family(w, false);
}

static void world_free(struct world *w)
{
	natt_node_free(w->srv.node);
	natt_node_free(w->cli.node);
	natt_udp_close(w->rdv.udp);
	natt_rdv_server_free(w->rdv.srv);
	natt_tls_ctx_free(w->srv_tls);
	natt_tls_ctx_free(w->cli_tls);
	natt_seal_free(w->seal);
	natt_seal_free(w->wrong);
	natt_timer_free(w->poll);
	natt_loop_free(w->loop);
}

/* A node configuration on 127.0.0.1 (::1) with the test rendezvous and short
 * rendezvous timers (50 ms first retransmission, errors after 2 sends). */
static void node_cfg(struct world *w, struct app *a, enum natt_node_role role,
		     struct natt_node_config *c)
{
	natt_node_config_default(c);
	c->role = role;
	c->name = role == NATT_NODE_SERVER ? "office" : NULL;
	c->bind_len = world_lo(w, &c->bind);
	c->nrdv = 1;
	c->rdv[0] = w->rdv.addr;
	c->seal = w->seal;
	c->tls = role == NATT_NODE_SERVER ? w->srv_tls : w->cli_tls;
	c->rdv_client.rto_initial = 50 * NATT_MSEC;
	c->rdv_client.retry_max = 400 * NATT_MSEC;
	c->rdv_client.unreachable_after = 2;
	c->rdv_client.lookup_tries = 2;
	c->cb.ctx = a;
	c->cb.peer_up = app_up;
	c->cb.peer_down = app_down;
	c->cb.datagram = app_datagram;
	c->cb.rendezvous = app_rdv;
	c->cb.log = app_log;
	c->verb = 7;
}

static void node_open(struct world *w, struct app *a, const struct natt_node_config *c)
{
	char err[256] = "";
	int rc = natt_node_new(&a->node, w->loop, c, err, sizeof(err));

	if (rc != NATT_OK)
		fprintf(stderr, "node: %s\n", err);
	CU_ASSERT_FATAL(rc == NATT_OK);
}

static void start_server(struct world *w)
{
	struct natt_node_config c;

	node_cfg(w, &w->srv, NATT_NODE_SERVER, &c);
	w->srv.echo = true;
	node_open(w, &w->srv, &c);
}

static void start_client(struct world *w, bool reconnect)
{
	struct natt_node_config c;

	node_cfg(w, &w->cli, NATT_NODE_CLIENT, &c);
	c.reconnect = reconnect;
	node_open(w, &w->cli, &c);
}

static bool srv_registered(struct world *w)
{
	return w->srv.rdv_ok > 0;
}

static bool both_up(struct world *w)
{
	return w->srv.ups > 0 && w->cli.ups > 0;
}

static bool cli_down(struct world *w)
{
	return w->cli.downs > 0;
}

static bool cli_final(struct world *w)
{
	return w->cli.finals > 0;
}

static bool both_final(struct world *w)
{
	return w->cli.finals > 0 && w->srv.finals > 0;
}

static bool both_idle(struct world *w)
{
	return natt_node_idle(w->cli.node) && natt_node_idle(w->srv.node);
}

/* Server registered, client connected to "office", both up. */
static struct natt_node_peer *connect_both(struct world *w, bool reconnect)
{
	struct natt_node_peer *p = NULL;

	start_server(w);
	CU_ASSERT_FATAL(run_until(w, srv_registered, RUN_LIMIT));
	start_client(w, reconnect);
	CU_ASSERT_FATAL(natt_node_connect(w->cli.node, "office", &p) == NATT_OK);
	CU_ASSERT_PTR_NOT_NULL_FATAL(p);
	CU_ASSERT_FATAL(run_until(w, both_up, RUN_LIMIT));
	return p;
}

/* ---- tests ---- */

static bool echoed_5(struct world *w)
{
	return w->cli.dgrams >= 5;
}

static void test_connect_echo_close(void)
{
	struct world w;
	struct natt_node_peer *p;
	struct natt_node_peer_info in;
	uint8_t msg[100];

	world_init(&w);
	p = connect_both(&w, false);
	CU_ASSERT_PTR_EQUAL(w.cli.peer, p);
	CU_ASSERT_EQUAL(w.cli.up.state, NATT_NODE_PEER_UP);
	CU_ASSERT_EQUAL(w.cli.up.path, NATT_NODE_PATH_LAN); /* both on 127.0.0.1/24 */
	CU_ASSERT_STRING_EQUAL(w.cli.up.cert_name, "server");
	CU_ASSERT_STRING_EQUAL(w.srv.up.cert_name, "client");
	CU_ASSERT_STRING_EQUAL(w.cli.up.name, "office");
	CU_ASSERT(w.cli.up.validated_at >= w.cli.up.attempt_at);
	CU_ASSERT(w.cli.up.established_at >= w.cli.up.validated_at);
	CU_ASSERT_EQUAL(w.cli.up.peer_cid, w.srv.up.cid);
	CU_ASSERT_EQUAL(w.srv.up.peer_cid, w.cli.up.cid);
	CU_ASSERT_EQUAL(w.cli.up.remote.port, w.srv.up.local.port);
	for (int i = 0; i < 5; i++) {
		memset(msg, 'a' + i, sizeof(msg));
		CU_ASSERT_EQUAL(natt_node_send(w.cli.node, p, msg, sizeof(msg)), NATT_OK);
	}
	CU_ASSERT(run_until(&w, echoed_5, RUN_LIMIT));
	CU_ASSERT_EQUAL(w.srv.dgrams, 5);
	CU_ASSERT_EQUAL(w.cli.last_len, sizeof(msg));
	CU_ASSERT_EQUAL(w.cli.last[0], 'e');
	natt_node_peer_info(p, &in);
	CU_ASSERT_EQUAL(in.packets_out, 5);
	CU_ASSERT_EQUAL(in.bytes_out, 5 * sizeof(msg));
	CU_ASSERT_EQUAL(in.packets_in, 5);
	CU_ASSERT(in.rtt > 0);
	CU_ASSERT_EQUAL(natt_node_status(w.srv.node, app_status, &w.srv), 2);
	CU_ASSERT_PTR_NOT_NULL(strstr(w.srv.status[0], "node office role server"));
	CU_ASSERT_PTR_NOT_NULL(strstr(w.srv.status[0], " registered srflx 127.0.0.1:"));
	CU_ASSERT_PTR_NOT_NULL(strstr(w.srv.status[1], "state up"));
	CU_ASSERT_PTR_NOT_NULL(strstr(w.srv.status[1], "in 5/500 out 5/500"));
	CU_ASSERT_EQUAL(natt_node_close_peer(w.cli.node, p, "test over"), NATT_OK);
	CU_ASSERT_EQUAL(natt_node_close_peer(w.cli.node, p, "again"), NATT_ERR_CLOSED);
	CU_ASSERT(run_until(&w, both_final, RUN_LIMIT));
	CU_ASSERT_EQUAL(w.cli.down_reason, NATT_NODE_DOWN_CLOSED);
	CU_ASSERT(w.cli.down_was_up);
	CU_ASSERT_EQUAL(w.srv.down_reason, NATT_NODE_DOWN_PEER_CLOSED);
	CU_ASSERT_PTR_NOT_NULL(strstr(w.srv.down_text, "test over"));
	CU_ASSERT(run_until(&w, both_idle, IDLE_LIMIT));
	world_free(&w);
}

static void test_unknown_name(void)
{
	struct world w;
	struct natt_node_peer *p;
	natt_time_t t0;

	world_init(&w);
	start_server(&w);
	CU_ASSERT_FATAL(run_until(&w, srv_registered, RUN_LIMIT));
	start_client(&w, false);
	t0 = natt_loop_now();
	CU_ASSERT_EQUAL_FATAL(natt_node_connect(w.cli.node, "nobody", &p), NATT_OK);
	CU_ASSERT_FATAL(run_until(&w, cli_final, RUN_LIMIT));
	CU_ASSERT_EQUAL(w.cli.down_reason, NATT_NODE_DOWN_RENDEZVOUS);
	CU_ASSERT_FALSE(w.cli.down_was_up);
	CU_ASSERT_PTR_NOT_NULL(strstr(w.cli.down_text, "not registered"));
	CU_ASSERT(w.cli.down_at - t0 < NATT_SEC); /* an answer, not a timeout */
	CU_ASSERT_EQUAL(w.srv.ups, 0);
	CU_ASSERT(run_until(&w, both_idle, IDLE_LIMIT));
	world_free(&w);
}

/* The rendezvous is down when both start: the server reports FAILING and
 * keeps trying (with backoff); the client's attempt fails with a
 * rendezvous reason and is retried; once the rendezvous runs, the server
 * registers and the client's next attempt comes up. */
static void test_rendezvous_down_at_start(void)
{
	struct world w;
	struct natt_node_peer *p;
	struct natt_node_peer_info in;
	uint64_t seen;

	world_init(&w);
	w.rdv.down = true;
	start_server(&w);
	start_client(&w, true);
	CU_ASSERT_EQUAL_FATAL(natt_node_connect(w.cli.node, "office", &p), NATT_OK);
	CU_ASSERT_FATAL(run_until(&w, cli_down, RUN_LIMIT));
	CU_ASSERT_EQUAL(w.cli.down_reason, NATT_NODE_DOWN_RENDEZVOUS);
	CU_ASSERT_PTR_NOT_NULL(strstr(w.cli.down_text, "no answer from the rendezvous"));
	CU_ASSERT_FALSE(w.cli.down_final);
	CU_ASSERT(w.cli.down_retry_at >= w.cli.down_at + NATT_NODE_RETRY_INITIAL - 50 * NATT_MSEC);
	CU_ASSERT(w.srv.rdv_failing > 0);
	CU_ASSERT_EQUAL(w.srv.rdv_ok, 0);
	/* backoff: the server sends fewer and fewer REGISTERs */
	seen = w.rdv.seen;
	run_for(&w, 300 * NATT_MSEC);
	CU_ASSERT(w.rdv.seen - seen <= 4);
	w.rdv.down = false;
	CU_ASSERT(run_until(&w, both_up, 2 * RUN_LIMIT));
	CU_ASSERT(w.srv.rdv_ok > 0);
	natt_node_peer_info(p, &in);
	CU_ASSERT(in.attempts >= 2);
	CU_ASSERT_EQUAL(in.ups, 1);
	world_free(&w);
}

static bool cli_up_twice(struct world *w)
{
	return w->cli.ups >= 2;
}

/* The server ends the session; the client (reconnect on) is told, waits
 * and comes up again with a new connection ID. */
static void test_reconnect_after_peer_close(void)
{
	struct world w;
	struct natt_node_peer *p;
	natt_cid_t first;

	world_init(&w);
	p = connect_both(&w, true);
	first = w.cli.up.cid;
	CU_ASSERT_EQUAL(natt_node_close_peer(w.srv.node, w.srv.peer, "bye"), NATT_OK);
	CU_ASSERT_FATAL(run_until(&w, cli_down, RUN_LIMIT));
	CU_ASSERT_EQUAL(w.cli.down_reason, NATT_NODE_DOWN_PEER_CLOSED);
	CU_ASSERT(w.cli.down_was_up);
	CU_ASSERT_FALSE(w.cli.down_final);
	CU_ASSERT(run_until(&w, cli_up_twice, 2 * RUN_LIMIT));
	CU_ASSERT_PTR_EQUAL(w.cli.peer, p);
	CU_ASSERT_NOT_EQUAL(w.cli.up.cid, first);
	CU_ASSERT_EQUAL(w.cli.up.ups, 2);
	CU_ASSERT_EQUAL(w.cli.up.attempts, 2);
	world_free(&w);
}

/* A client whose certificate the server's CA did not sign. */
static void test_refused_certificate(void)
{
	static const struct tlst_spec rogue = {.id = "client-rogue"};
	struct world w;
	struct natt_node_config c;
	struct natt_node_peer *p;

	world_init(&w);
	start_server(&w);
	CU_ASSERT_FATAL(run_until(&w, srv_registered, RUN_LIMIT));
	node_cfg(&w, &w.cli, NATT_NODE_CLIENT, &c);
	natt_tls_ctx_free(w.cli_tls);
	w.cli_tls = tlst_ctx_for(NATT_TLS_CLIENT, &rogue);
	c.tls = w.cli_tls;
	node_open(&w, &w.cli, &c);
	CU_ASSERT_EQUAL_FATAL(natt_node_connect(w.cli.node, "office", &p), NATT_OK);
	CU_ASSERT_FATAL(run_until(&w, cli_final, RUN_LIMIT));
	CU_ASSERT_EQUAL(w.cli.down_reason, NATT_NODE_DOWN_HANDSHAKE);
	CU_ASSERT_FALSE(w.cli.down_was_up);
	CU_ASSERT_EQUAL(w.cli.ups, 0);
	CU_ASSERT_EQUAL(w.srv.ups, 0);
	world_free(&w);
}

/* The wrong network key: the rendezvous never answers, nothing comes up. */
static void test_wrong_network_key(void)
{
	struct world w;
	struct natt_node_config c;
	struct natt_node_peer *p;

	world_init(&w);
	start_server(&w);
	CU_ASSERT_FATAL(run_until(&w, srv_registered, RUN_LIMIT));
	node_cfg(&w, &w.cli, NATT_NODE_CLIENT, &c);
	c.seal = w.wrong;
	node_open(&w, &w.cli, &c);
	CU_ASSERT_EQUAL_FATAL(natt_node_connect(w.cli.node, "office", &p), NATT_OK);
	CU_ASSERT_FATAL(run_until(&w, cli_final, RUN_LIMIT));
	CU_ASSERT_EQUAL(w.cli.down_reason, NATT_NODE_DOWN_RENDEZVOUS);
	CU_ASSERT_PTR_NOT_NULL(strstr(w.cli.down_text, "wrong network key"));
	CU_ASSERT_EQUAL(w.srv.ups, 0);
	world_free(&w);
}

/* Datagrams that are not ours, or for no peer, are counted and dropped. */
static void test_demux_drops(void)
{
	static const uint8_t openvpn[] = {0x38, 1, 2, 3, 4, 5, 6, 7};
	static const uint8_t junk[] = {0xff, 0xee};
	struct world w;
	struct natt_node_stats st;
	struct natt_header h;
	struct natt_cand local;
	struct sockaddr_storage to;
	socklen_t tl;
	uint8_t data[NATT_DATA_HDR_LEN + NATT_TAG_LEN + 4];
	int fd;

	world_init(&w);
	start_server(&w);
	CU_ASSERT_FATAL(run_until(&w, srv_registered, RUN_LIMIT));
	natt_node_local(w.srv.node, &local);
	tl = natt_addr_from_cand(&local, AF_INET, &to);
	memset(&h, 0, sizeof(h));
	h.type = NATT_PT_DATA;
	h.dcid = UINT64_C(0x0123456789abcdef);
	memset(data, 0, sizeof(data));
	CU_ASSERT_EQUAL_FATAL(natt_header_encode(data, sizeof(data), &h), NATT_DATA_HDR_LEN);
	fd = socket(AF_INET, SOCK_DGRAM, 0);
	CU_ASSERT_FATAL(fd >= 0);
	sendto(fd, openvpn, sizeof(openvpn), 0, (struct sockaddr *)&to, tl);
	sendto(fd, junk, sizeof(junk), 0, (struct sockaddr *)&to, tl);
	sendto(fd, data, sizeof(data), 0, (struct sockaddr *)&to, tl);
	close(fd);
	run_for(&w, 50 * NATT_MSEC);
	natt_node_get_stats(w.srv.node, &st);
	CU_ASSERT_EQUAL(st.drop_unknown, 2);
	CU_ASSERT_EQUAL(st.drop_no_peer, 1);
	CU_ASSERT_EQUAL(st.peers, 0);
	world_free(&w);
}

/* ---- UNKNOWN_CID (PROTOCOL.md 5.4) ---- */

static bool cli_down_2(struct world *w)
{
	return w->cli.downs >= 1 && w->cli.ups >= 2;
}

/* The server's worker restarts (a new node on the same address): the
 * client's DATA gets no answer (the new node cannot authenticate it), its
 * path goes silent, the path check's PROBE (old connection ID, network key)
 * gets an UNKNOWN_CID, its session ends within a round trip of that and it
 * reconnects at once, not at its idle timeout. */
static void test_reset_restarted_server(void)
{
	struct world w;
	struct natt_node_config c;
	struct natt_node_stats st;
	struct natt_node_peer *p;
	struct natt_cand local;
	natt_time_t t0;
	uint8_t msg[100];

	world_init(&w);
	p = connect_both(&w, true);
	run_for(&w, 300 * NATT_MSEC); /* the last handshake ACKs go out: the path is quiet */
	natt_node_local(w.srv.node, &local);
	natt_node_free(w.srv.node);
	memset(&w.srv, 0, sizeof(w.srv));
	node_cfg(&w, &w.srv, NATT_NODE_SERVER, &c);
	((struct sockaddr_in *)&c.bind)->sin_port = htons(local.port);
	w.srv.echo = true;
	node_open(&w, &w.srv, &c);
	CU_ASSERT_FATAL(run_until(&w, srv_registered, RUN_LIMIT));
	CU_ASSERT_EQUAL(w.cli.downs, 0); /* nothing told it yet */
	memset(msg, 'x', sizeof(msg));
	t0 = natt_loop_now();
	CU_ASSERT_EQUAL(natt_node_send(w.cli.node, p, msg, sizeof(msg)), NATT_OK);
	run_for(&w, 100 * NATT_MSEC);
	natt_node_get_stats(w.srv.node, &st);
	CU_ASSERT(st.drop_no_peer >= 1);
	CU_ASSERT_EQUAL(st.reset_sent, 0); /* DATA is never answered */
	CU_ASSERT_EQUAL(w.cli.downs, 0);
	CU_ASSERT_FATAL(run_until(&w, cli_down, RUN_LIMIT));
	/* 1 s of silence after sending (punch.h NATT_PUNCH_ACTIVE_SILENCE), then
	 * the first check PROBE and one loopback RTT: not the 60 s idle timeout */
	CU_ASSERT(w.cli.down_at - t0 < 1500 * NATT_MSEC);
	CU_ASSERT_EQUAL(w.cli.down_reason, NATT_NODE_DOWN_PEER_CLOSED);
	CU_ASSERT_PTR_NOT_NULL(strstr(w.cli.down_text, "no such session (it restarted?)"));
	CU_ASSERT(w.cli.down_was_up);
	CU_ASSERT_FALSE(w.cli.down_final);
	CU_ASSERT(w.cli.down_retry_at <= w.cli.down_at); /* no back-off */
	CU_ASSERT(run_until(&w, cli_down_2, 2 * RUN_LIMIT));
	CU_ASSERT_EQUAL(w.srv.ups, 1);
	natt_node_get_stats(w.srv.node, &st);
	CU_ASSERT(st.reset_sent >= 1);
	natt_node_get_stats(w.cli.node, &st);
	CU_ASSERT_EQUAL(st.reset_rx_ended, 1);
	world_free(&w);
}

/* A DATA packet for dcid of len bytes (counter 0, zero payload). */
static size_t data_for(uint8_t *buf, natt_cid_t dcid, size_t len)
{
	struct natt_header h = {.type = NATT_PT_DATA, .dcid = dcid};

	memset(buf, 0, len);
	CU_ASSERT_FATAL(natt_header_encode(buf, len, &h) == NATT_DATA_HDR_LEN);
	return len;
}

/* A HANDSHAKE or PROBE of len bytes for dcid, sealed with `purpose` under
 * seal: what a peer of the restarted node sends (the body is not parsed
 * before the reply is decided, so zeros do). */
static size_t sealed_for(struct natt_seal *seal, uint8_t type, enum natt_seal_purpose purpose,
			 natt_cid_t dcid, uint8_t *buf, size_t len)
{
	static uint8_t salt;
	struct natt_header h = {.type = type, .dcid = dcid, .scid = 0x77};
	int hl;

	memset(buf, 0, len);
	memset(h.salt, ++salt, sizeof(h.salt));
	hl = natt_header_encode(buf, len, &h);
	CU_ASSERT_FATAL(hl > 0);
	CU_ASSERT_FATAL(natt_seal_seal(seal, purpose, buf, (size_t)hl,
				       len - (size_t)hl - NATT_TAG_LEN, len) == (int)len);
	return len;
}

static size_t handshake_for(struct natt_seal *seal, natt_cid_t dcid, uint8_t *buf, size_t len)
{
	return sealed_for(seal, NATT_PT_HANDSHAKE, NATT_SEAL_HANDSHAKE, dcid, buf, len);
}

static size_t probe_for(struct natt_seal *seal, natt_cid_t dcid, uint8_t *buf, size_t len)
{
	return sealed_for(seal, NATT_PT_PROBE, NATT_SEAL_PROBE, dcid, buf, len);
}

/* A sealed UNKNOWN_CID naming cid. */
static void unknown_cid_for(struct natt_seal *seal, natt_cid_t cid, uint8_t pkt[42])
{
	struct natt_header h = {.type = NATT_PT_UNKNOWN_CID, .dcid = cid};

	memset(h.salt, 0x5a, sizeof(h.salt));
	CU_ASSERT_FATAL(natt_header_encode(pkt, 42, &h) == NATT_UNKNOWN_CID_HDR_LEN);
	CU_ASSERT_FATAL(natt_seal_seal(seal, NATT_SEAL_UNKNOWN_CID, pkt, 26, 0, 42) == 42);
}

static int udp_from(const char *ip)
{
	struct sockaddr_in s4 = loopback(0);
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);

	CU_ASSERT_FATAL(fd >= 0);
	inet_pton(AF_INET, ip, &s4.sin_addr);
	CU_ASSERT_FATAL(bind(fd, (struct sockaddr *)&s4, sizeof(s4)) == 0);
	return fd;
}

/* Sends len bytes of pkt from fd to the node, runs it a little, and returns
 * the size of what came back to fd (-1: nothing). */
static ssize_t exchange(struct world *w, int fd, const struct sockaddr_storage *to, socklen_t tl,
			const uint8_t *pkt, size_t len, uint8_t *got, size_t cap)
{
	sendto(fd, pkt, len, 0, (const struct sockaddr *)to, tl);
	run_for(w, 50 * NATT_MSEC);
	return recv(fd, got, cap, 0);
}

/* Replies go only to a HANDSHAKE or PROBE whose seal opens, are exactly 42
 * bytes, and at most one per second per source; anything that does not
 * authenticate gets nothing and takes no token. */
static void test_reset_reply_rules(void)
{
	struct world w;
	struct natt_node_stats st;
	struct natt_header h;
	struct natt_cand local;
	struct sockaddr_storage to;
	socklen_t tl;
	uint8_t pkt[128], got[256];
	ssize_t n;
	int fd;

	world_init(&w);
	start_server(&w);
	CU_ASSERT_FATAL(run_until(&w, srv_registered, RUN_LIMIT));
	natt_node_local(w.srv.node, &local);
	tl = natt_addr_from_cand(&local, AF_INET, &to);
	fd = udp_from("127.0.0.1");

	/* Nothing that did not authenticate is answered: DATA (session keys,
	 * which a restarted node has not got), a HANDSHAKE under another
	 * network key, a PROBE sealed with the HANDSHAKE purpose, a sealed
	 * PROBE with dcid 0 (routed by its scid: no peer), corrupted ones. */
	CU_ASSERT_EQUAL(exchange(&w, fd, &to, tl, pkt, data_for(pkt, 0x1111, 41), got, 256), -1);
	CU_ASSERT_EQUAL(exchange(&w, fd, &to, tl, pkt, data_for(pkt, 0x1111, 100), got, 256), -1);
	CU_ASSERT_EQUAL(
		exchange(&w, fd, &to, tl, pkt, handshake_for(w.wrong, 0x1112, pkt, 100), got, 256),
		-1);
	CU_ASSERT_EQUAL(
		exchange(&w, fd, &to, tl, pkt,
			 sealed_for(w.seal, NATT_PT_PROBE, NATT_SEAL_HANDSHAKE, 0x1113, pkt, 100),
			 got, 256),
		-1);
	CU_ASSERT_EQUAL(exchange(&w, fd, &to, tl, pkt, probe_for(w.seal, 0, pkt, 100), got, 256),
			-1);
	probe_for(w.seal, 0x1114, pkt, 100);
	pkt[60] ^= 1;
	CU_ASSERT_EQUAL(exchange(&w, fd, &to, tl, pkt, 100, got, 256), -1);
	natt_node_get_stats(w.srv.node, &st);
	CU_ASSERT_EQUAL(st.drop_no_peer, 6);
	CU_ASSERT_EQUAL(st.reset_unauth, 3);
	CU_ASSERT_EQUAL(st.reset_sent + st.reset_limited + st.reset_small, 0);

	/* None of them took the source's token: a sealed HANDSHAKE gets a
	 * 42-byte UNKNOWN_CID naming its ID, under the UNKNOWN_CID purpose key. */
	n = exchange(&w, fd, &to, tl, pkt, handshake_for(w.seal, 0x2222, pkt, 100), got, 256);
	CU_ASSERT_EQUAL_FATAL(n, NATT_UNKNOWN_CID_LEN);
	CU_ASSERT_EQUAL(recv(fd, got + 64, 64, 0), -1); /* exactly one */
	CU_ASSERT_EQUAL(natt_header_decode(&h, got, (size_t)n), NATT_OK);
	CU_ASSERT_EQUAL(h.type, NATT_PT_UNKNOWN_CID);
	CU_ASSERT_EQUAL(h.dcid, 0x2222);
	CU_ASSERT_EQUAL(natt_seal_open(w.wrong, NATT_SEAL_UNKNOWN_CID, got, 26, 42), NATT_ERR_AUTH);
	CU_ASSERT_EQUAL(natt_seal_open(w.seal, NATT_SEAL_HANDSHAKE, got, 26, 42), NATT_ERR_AUTH);
	CU_ASSERT_EQUAL(natt_seal_open(w.seal, NATT_SEAL_UNKNOWN_CID, got, 26, 42), 0);

	/* The same source again within the second: limited, before any open
	 * (a bad seal now counts as limited, not as unauthenticated). */
	CU_ASSERT_EQUAL(
		exchange(&w, fd, &to, tl, pkt, probe_for(w.seal, 0x3333, pkt, 100), got, 256), -1);
	CU_ASSERT_EQUAL(
		exchange(&w, fd, &to, tl, pkt, handshake_for(w.wrong, 0x3334, pkt, 100), got, 256),
		-1);
	natt_node_get_stats(w.srv.node, &st);
	CU_ASSERT_EQUAL(st.reset_sent, 1);
	CU_ASSERT_EQUAL(st.reset_limited, 2);
	CU_ASSERT_EQUAL(st.reset_unauth, 3);
	close(fd);

	/* A sealed PROBE from a fresh source: one 42-byte reply. */
	fd = udp_from("127.0.0.3");
	n = exchange(&w, fd, &to, tl, pkt, probe_for(w.seal, 0x4444, pkt, 100), got, 256);
	CU_ASSERT_EQUAL_FATAL(n, NATT_UNKNOWN_CID_LEN);
	CU_ASSERT_EQUAL(recv(fd, got + 64, 64, 0), -1);
	CU_ASSERT_EQUAL(natt_header_decode(&h, got, (size_t)n), NATT_OK);
	CU_ASSERT_EQUAL(h.dcid, 0x4444);
	CU_ASSERT_EQUAL(natt_seal_open(w.seal, NATT_SEAL_UNKNOWN_CID, got, 26, 42), 0);
	close(fd);

	/* An UNKNOWN_CID (sealed) for no session, from a fresh source: never
	 * answered. */
	fd = udp_from("127.0.0.2");
	unknown_cid_for(w.seal, 0x5555, pkt);
	CU_ASSERT_EQUAL(exchange(&w, fd, &to, tl, pkt, 42, got, 256), -1);
	natt_node_get_stats(w.srv.node, &st);
	CU_ASSERT_EQUAL(st.reset_rx_no_session, 1);
	CU_ASSERT_EQUAL(st.reset_sent, 2);
	CU_ASSERT_EQUAL(st.reset_sent + st.reset_limited + st.reset_small + st.reset_unauth, 7);
	close(fd);
	world_free(&w);
}

/* 300 sources each send pkt as made by mk (i: the source's index); the
 * server's counters after. */
static void flood(struct world *w, size_t (*mk)(struct world *w, int i, uint8_t *buf),
		  struct natt_node_stats *st)
{
	struct natt_cand local;
	struct sockaddr_storage to;
	socklen_t tl;
	uint8_t pkt[100];
	char ip[32];

	natt_node_local(w->srv.node, &local);
	tl = natt_addr_from_cand(&local, AF_INET, &to);
	for (int i = 0; i < 300; i++) {
		int fd;

		snprintf(ip, sizeof(ip), "127.0.%d.%d", 10 + i / 200, 1 + i % 200);
		fd = udp_from(ip);
		sendto(fd, pkt, mk(w, i, pkt), 0, (struct sockaddr *)&to, tl);
		close(fd);
		if (i % 50 == 49)
			run_for(w, NATT_MSEC); /* keep the receive buffer from overflowing */
	}
	run_for(w, 50 * NATT_MSEC);
	natt_node_get_stats(w->srv.node, st);
}

/* Unsealed: DATA, and HANDSHAKE and PROBE under another network key. */
static size_t mk_junk(struct world *w, int i, uint8_t *buf)
{
	natt_cid_t cid = 0x5000 + (natt_cid_t)i;

	if (i % 3 == 0)
		return data_for(buf, cid, 100);
	if (i % 3 == 1)
		return handshake_for(w->wrong, cid, buf, 100);
	return probe_for(w->wrong, cid, buf, 100);
}

static size_t mk_sealed(struct world *w, int i, uint8_t *buf)
{
	natt_cid_t cid = 0x6000 + (natt_cid_t)i;

	return i % 2 == 0 ? handshake_for(w->seal, cid, buf, 100)
			  : probe_for(w->seal, cid, buf, 100);
}

/* A flood of unauthenticated unknown-ID packets from 300 sources gets no
 * reply at all; one of sealed ones about 100 (the global bucket), the rest
 * counted as limited. */
static void test_reset_flood(void)
{
	struct world w;
	struct natt_node_stats st;

	world_init(&w);
	start_server(&w);
	CU_ASSERT_FATAL(run_until(&w, srv_registered, RUN_LIMIT));
	flood(&w, mk_junk, &st);
	CU_ASSERT_EQUAL(st.drop_no_peer, 300);
	CU_ASSERT_EQUAL(st.reset_sent, 0);
	CU_ASSERT_EQUAL(st.reset_limited, 0);
	CU_ASSERT_EQUAL(st.reset_unauth, 200); /* DATA is not even opened */

	flood(&w, mk_sealed, &st); /* the junk took no token: the limits are whole */
	CU_ASSERT_EQUAL(st.drop_no_peer, 600);
	CU_ASSERT_EQUAL(st.reset_sent + st.reset_limited, 300);
	CU_ASSERT(st.reset_sent >= NATT_NODE_RESET_GLOBAL_RATE);
	CU_ASSERT(st.reset_sent <= NATT_NODE_RESET_GLOBAL_RATE + 50); /* + refill, slow runs */
	CU_ASSERT_EQUAL(st.reset_unauth, 200);
	world_free(&w);
}

/* Injects pkt into node n as if from `from` on its public socket. */
static void inject(struct natt_node *n, const struct natt_cand *from, const uint8_t *pkt,
		   size_t len)
{
	struct sockaddr_storage ss;
	uint8_t copy[64];
	struct natt_dgram d = {.data = copy, .len = len, .addr = (struct sockaddr *)&ss};

	memcpy(copy, pkt, len);
	d.addrlen = natt_addr_from_cand(from, AF_INET, &ss);
	natt_node_input(n, NULL, 0, &d, 1, natt_loop_now());
}

/* Only an UNKNOWN_CID sealed with the network key, from the session's own
 * path, naming the ID the session sends to, ends it; a replayed one does not
 * end the next session, which has new IDs. */
static void test_reset_forged(void)
{
	struct world w;
	struct natt_node_stats st;
	struct natt_cand srv_addr, other;
	uint8_t good[42], bad[42];

	world_init(&w);
	connect_both(&w, true);
	natt_node_local(w.srv.node, &srv_addr);
	other = srv_addr;
	other.port = (uint16_t)(srv_addr.port + 1);

	unknown_cid_for(w.wrong, w.cli.up.peer_cid, bad);
	inject(w.cli.node, &srv_addr, bad, sizeof(bad));
	unknown_cid_for(w.seal, w.cli.up.peer_cid, good);
	inject(w.cli.node, &other, good, sizeof(good));
	unknown_cid_for(w.seal, w.cli.up.cid, bad); /* our own ID, not the peer's */
	inject(w.cli.node, &srv_addr, bad, sizeof(bad));
	inject(w.cli.node, &srv_addr, good, sizeof(good) - 1);
	run_for(&w, 50 * NATT_MSEC);
	natt_node_get_stats(w.cli.node, &st);
	CU_ASSERT_EQUAL(st.reset_rx_bad_seal, 1);
	CU_ASSERT_EQUAL(st.reset_rx_off_path, 1);
	CU_ASSERT_EQUAL(st.reset_rx_no_session, 1);
	CU_ASSERT_EQUAL(st.drop_malformed, 1);
	CU_ASSERT_EQUAL(st.reset_rx_ended, 0);
	CU_ASSERT_EQUAL(w.cli.downs, 0);

	inject(w.cli.node, &srv_addr, good, sizeof(good)); /* the genuine article */
	CU_ASSERT_EQUAL(w.cli.downs, 1);
	CU_ASSERT_PTR_NOT_NULL(strstr(w.cli.down_text, "restarted"));
	CU_ASSERT(run_until(&w, cli_down_2, 2 * RUN_LIMIT));
	inject(w.cli.node, &srv_addr, good, sizeof(good)); /* replayed */
	run_for(&w, 50 * NATT_MSEC);
	natt_node_get_stats(w.cli.node, &st);
	CU_ASSERT_EQUAL(st.reset_rx_ended, 1);
	CU_ASSERT_EQUAL(st.reset_rx_no_session, 2);
	CU_ASSERT_EQUAL(w.cli.downs, 1);
	world_free(&w);
}

static void test_config_errors(void)
{
	struct world w;
	struct natt_node_config c;
	struct natt_node *n = NULL;
	char err[256];

	world_init(&w);
	node_cfg(&w, &w.srv, NATT_NODE_SERVER, &c);
	c.nrdv = 0;
	CU_ASSERT_EQUAL(natt_node_new(&n, w.loop, &c, err, sizeof(err)), NATT_ERR_INVALID);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "rendezvous"));
	CU_ASSERT_PTR_NULL(n);
	node_cfg(&w, &w.srv, NATT_NODE_SERVER, &c);
	c.name = "not a name!";
	CU_ASSERT_EQUAL(natt_node_new(&n, w.loop, &c, err, sizeof(err)), NATT_ERR_INVALID);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "not a name!"));
	node_cfg(&w, &w.srv, NATT_NODE_SERVER, &c);
	c.tls = NULL;
	CU_ASSERT_EQUAL(natt_node_new(&n, w.loop, &c, err, sizeof(err)), NATT_ERR_INVALID);
	/* the rendezvous' own port is taken */
	node_cfg(&w, &w.srv, NATT_NODE_SERVER, &c);
	((struct sockaddr_in *)&c.bind)->sin_port = htons(w.rdv.addr.port);
	CU_ASSERT_EQUAL(natt_node_new(&n, w.loop, &c, err, sizeof(err)), NATT_ERR_IO);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "cannot bind UDP 127.0.0.1:"));
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "in use"));
	CU_ASSERT_PTR_NULL(n);
	world_free(&w);
}

static void test_api_misuse(void)
{
	struct world w;
	struct natt_node_config c;
	struct natt_node_peer *p, *q;
	uint8_t b = 1;

	world_init(&w);
	start_server(&w);
	CU_ASSERT_EQUAL(natt_node_connect(w.srv.node, "office", &p), NATT_ERR_INVALID);
	node_cfg(&w, &w.cli, NATT_NODE_CLIENT, &c);
	c.max_peers = 1;
	node_open(&w, &w.cli, &c);
	CU_ASSERT_EQUAL(natt_node_connect(w.cli.node, "no spaces", &p), NATT_ERR_BAD_NAME);
	CU_ASSERT_EQUAL_FATAL(natt_node_connect(w.cli.node, "office", &p), NATT_OK);
	CU_ASSERT_EQUAL(natt_node_connect(w.cli.node, "office", &q), NATT_ERR_FULL);
	CU_ASSERT_EQUAL(natt_node_send(w.cli.node, p, &b, 1), NATT_ERR_CLOSED);
	CU_ASSERT_EQUAL(natt_node_close_peer(w.cli.node, p, NULL), NATT_OK);
	CU_ASSERT_EQUAL(w.cli.finals, 1);
	CU_ASSERT_EQUAL(w.cli.down_reason, NATT_NODE_DOWN_CLOSED);
	CU_ASSERT(run_until(&w, both_idle, IDLE_LIMIT));
	world_free(&w);
}

/* A STUN server (here the rendezvous core, which answers Binding requests)
 * adds a srflx candidate to the registration; the status line shows it. */
static void test_stun_candidate(void)
{
	struct world w;
	struct natt_node_config c;
	struct natt_cand local;
	char want[64];

	world_init(&w);
	node_cfg(&w, &w.srv, NATT_NODE_SERVER, &c);
	c.nstun = 1;
	c.stun[0] = w.rdv.addr;
	node_open(&w, &w.srv, &c);
	CU_ASSERT_FATAL(run_until(&w, srv_registered, RUN_LIMIT));
	natt_node_local(w.srv.node, &local);
	snprintf(want, sizeof(want), "-> 127.0.0.1:%u", local.port);
	natt_node_status(w.srv.node, app_status, &w.srv);
	CU_ASSERT_PTR_NOT_NULL(strstr(w.srv.status[0], want));
	world_free(&w);
}

/* The whole way over IPv6: rendezvous, server and client on ::1. */
static void test_ipv6_loopback(void)
{
	struct world w;
	struct natt_node_peer *p;
	struct natt_cand local;
	uint8_t msg[100] = {6};
	char want[64];

	world_init_family(&w, true);
	CU_ASSERT_EQUAL_FATAL(w.rdv.addr.family, 6);
	p = connect_both(&w, false);
	CU_ASSERT_EQUAL(w.cli.up.path, NATT_NODE_PATH_LAN); /* one /64 */
	CU_ASSERT_EQUAL(w.cli.up.remote.family, 6);
	CU_ASSERT_EQUAL(w.srv.up.remote.family, 6);
	CU_ASSERT_EQUAL(w.cli.up.remote.addr[15], 1);
	for (int i = 0; i < 5; i++)
		CU_ASSERT_EQUAL(natt_node_send(w.cli.node, p, msg, sizeof(msg)), NATT_OK);
	CU_ASSERT(run_until(&w, echoed_5, RUN_LIMIT));
	natt_node_local(w.srv.node, &local);
	natt_node_status(w.srv.node, app_status, &w.srv);
	snprintf(want, sizeof(want), "local [::1]:%u rdv [::1]:%u", local.port, w.rdv.addr.port);
	CU_ASSERT_PTR_NOT_NULL(strstr(w.srv.status[0], want));
	snprintf(want, sizeof(want), "registered srflx [::1]:%u", local.port);
	CU_ASSERT_PTR_NOT_NULL(strstr(w.srv.status[0], want));
	CU_ASSERT_EQUAL(natt_node_close_peer(w.cli.node, p, "test over"), NATT_OK);
	CU_ASSERT(run_until(&w, both_final, RUN_LIMIT));
	CU_ASSERT(run_until(&w, both_idle, IDLE_LIMIT));
	world_free(&w);
}

/* No bind address: the dual-stack wildcard, which reaches an IPv4
 * rendezvous (as IPv4, not as ::ffff:127.0.0.1). */
static void test_default_dual_stack(void)
{
	struct world w;
	struct natt_node_config c;
	struct natt_cand local;

	world_init(&w);
	node_cfg(&w, &w.srv, NATT_NODE_SERVER, &c);
	memset(&c.bind, 0, sizeof(c.bind));
	c.bind_len = 0;
	node_open(&w, &w.srv, &c);
	natt_node_local(w.srv.node, &local);
	CU_ASSERT_EQUAL(local.family, 6);
	CU_ASSERT_EQUAL(local.addr[15], 0); /* [::] */
	CU_ASSERT_FATAL(run_until(&w, srv_registered, RUN_LIMIT));
	natt_node_status(w.srv.node, app_status, &w.srv);
	CU_ASSERT_PTR_NOT_NULL(strstr(w.srv.status[0], " registered srflx 127.0.0.1:"));
	world_free(&w);
}

/* A rendezvous or STUN server the socket cannot reach is a configuration
 * error named at start, not a registration that never answers. */
static void test_family_mismatch(void)
{
	struct world w;
	struct natt_node_config c;
	struct natt_node *n = NULL;
	struct natt_cand v6 = {.kind = NATT_CAND_HOST, .family = 6, .port = 3478};
	char err[256] = "";

	v6.addr[15] = 1;
	world_init(&w);
	node_cfg(&w, &w.srv, NATT_NODE_SERVER, &c);
	c.rdv[0] = v6;
	CU_ASSERT_EQUAL(natt_node_new(&n, w.loop, &c, err, sizeof(err)), NATT_ERR_INVALID);
	CU_ASSERT_PTR_NULL(n);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "rendezvous [::1]:3478: an IPv6 address, unreachable "
					   "from UDP 127.0.0.1:"));
	node_cfg(&w, &w.srv, NATT_NODE_SERVER, &c);
	c.nstun = 1;
	c.stun[0] = v6;
	CU_ASSERT_EQUAL(natt_node_new(&n, w.loop, &c, err, sizeof(err)), NATT_ERR_INVALID);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "STUN server [::1]:3478: an IPv6 address"));
	/* an IPv4 rendezvous from a socket on an IPv6 address */
	world_free(&w);
	world_init_family(&w, true);
	node_cfg(&w, &w.srv, NATT_NODE_SERVER, &c);
	c.rdv[0] = natt_test_v4(127, 0, 0, 1, 3478, NATT_CAND_HOST);
	CU_ASSERT_EQUAL(natt_node_new(&n, w.loop, &c, err, sizeof(err)), NATT_ERR_INVALID);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "rendezvous 127.0.0.1:3478: an IPv4 address, "
					   "unreachable from UDP [::1]:"));
	world_free(&w);
}

static void test_names(void)
{
	CU_ASSERT_STRING_EQUAL(natt_node_path_name(NATT_NODE_PATH_LAN), "lan");
	CU_ASSERT_STRING_EQUAL(natt_node_path_name(NATT_NODE_PATH_DIRECT), "direct");
	CU_ASSERT_STRING_EQUAL(natt_node_down_name(NATT_NODE_DOWN_NEEDS_RELAY), "relay-needed");
	CU_ASSERT_STRING_EQUAL(natt_node_state_name(NATT_NODE_PEER_UP), "up");
}

int natt_suite_node(void)
{
	static const struct natt_test tests[] = {
		{"connect, echo, close", test_connect_echo_close},
		{"unknown name", test_unknown_name},
		{"rendezvous down at start", test_rendezvous_down_at_start},
		{"reconnect after the peer closed", test_reconnect_after_peer_close},
		{"refused certificate", test_refused_certificate},
		{"wrong network key", test_wrong_network_key},
		{"demultiplexing drops", test_demux_drops},
		{"UNKNOWN_CID: restarted server", test_reset_restarted_server},
		{"UNKNOWN_CID: reply rules", test_reset_reply_rules},
		{"UNKNOWN_CID: flood", test_reset_flood},
		{"UNKNOWN_CID: forged, off path, replayed", test_reset_forged},
		{"configuration errors", test_config_errors},
		{"API misuse", test_api_misuse},
		{"STUN candidate", test_stun_candidate},
		{"IPv6 loopback end to end", test_ipv6_loopback},
		{"no bind address: dual stack", test_default_dual_stack},
		{"address family mismatch", test_family_mismatch},
		{"names", test_names},
		{NULL, NULL},
	};

	return natt_add_suite("node", tests);
}
