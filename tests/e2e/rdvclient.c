/*
 * rdvclient.c: a rendezvous client for the end-to-end tests, built from the
 * client core the plugin uses (transport/rdv.h) on the I/O loop
 * (transport/loop.h).  Not installed.
 *
 *   rdvclient register KEYFILE RDV NAME [options]   server role: register NAME,
 *                                                   refresh, report introductions
 *   rdvclient lookup KEYFILE RDV TARGET [options]   client role: look TARGET up
 *   rdvclient stun RDV [options]                    one STUN Binding request
 *
 * RDV is ADDRESS[:PORT] or [IPv6]:PORT (port 3478 by default).  Options:
 *   --lport P        local UDP port (default: any)
 *   --seconds S      how long to run (default 10); lookup and stun end sooner
 *   --name N         lookup: our own name, sent on in the introduction
 *   --host ADDR:PORT a host candidate (repeatable; default: every non-loopback
 *                    IPv4 address of this host, with the local port)
 *   --until-intro    register: end (status 0) at the first introduction
 *
 * One line per event on stdout, flushed, for the test to grep:
 *   sent 320 bytes t=1.500
 *   rx 96 bytes from 203.0.113.2:3478: accepted | rejected (reason)
 *   registered observed=203.0.113.11:40000 lifetime=60
 *   reg-failed result=no-answer attempts=4 reason=...
 *   introduced cid=... name=... observed=... cands=a,b
 *   lookup found observed=... cands=a,b,c | lookup not-found | lookup no-answer ...
 *   stun mapped=203.0.113.11:40000
 * Exit status 0 when the role succeeded (registered at least once; found;
 * answered), 1 otherwise, 2 on a usage error.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <ifaddrs.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/crypto.h>
#include <openssl/rand.h>

#include "conf.h"
#include "keyfile.h"
#include "loop.h"
#include "rdv.h"
#include "addr.h"
#include "seal.h"
#include "stun.h"

enum mode { M_REGISTER, M_LOOKUP, M_STUN };

struct client {
	enum mode mode;
	struct natt_loop *loop;
	struct natt_udp *udp;
	struct natt_timer *timer, *end;
	struct natt_rdv_client *cl;
	struct natt_seal *seal;
	struct natt_cand rdv;
	struct sockaddr_storage rdv_sa;
	socklen_t rdv_len;
	struct natt_cand_list host;
	natt_time_t t0;
	uint8_t stun_txid[NATT_STUN_TXID_LEN];
	bool until_intro;
	int status; /* exit status */
};

static void usage(void)
{
	fprintf(stderr, "usage: rdvclient register KEYFILE RDV NAME [options]\n"
			"       rdvclient lookup KEYFILE RDV TARGET [options]\n"
			"       rdvclient stun RDV [options]\n"
			"options: --lport P --seconds S --name N --host ADDR:PORT --until-intro\n");
	exit(2);
}

static uint64_t wall_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static void rnd(void *ctx, uint8_t *buf, size_t len)
{
	(void)ctx;
	if (RAND_bytes(buf, (int)len) != 1)
		abort();
}

static bool parse_addr(const char *s, uint8_t kind, struct natt_cand *c)
{
	char host[INET6_ADDRSTRLEN + 1];
	uint16_t port;
	struct sockaddr_in s4 = {.sin_family = AF_INET};
	struct sockaddr_in6 s6 = {.sin6_family = AF_INET6};

	if (natt_conf_hostport(s, 3478, host, sizeof(host), &port) != NATT_OK)
		return false;
	if (inet_pton(AF_INET, host, &s4.sin_addr) == 1) {
		s4.sin_port = htons(port);
		return natt_addr_to_cand((struct sockaddr *)&s4, kind, c);
	}
	if (inet_pton(AF_INET6, host, &s6.sin6_addr) == 1) {
		s6.sin6_port = htons(port);
		return natt_addr_to_cand((struct sockaddr *)&s6, kind, c);
	}
	return false;
}

static const char *addr(const struct natt_cand *c)
{
	static char buf[4][NATT_CAND_STRLEN];
	static int i;

	i = (i + 1) % 4;
	return natt_cand_format(c, buf[i], sizeof(buf[i]));
}

static void print_cands(const char *prefix, const struct natt_cand_list *l)
{
	printf("%s", prefix);
	for (unsigned int i = 0; i < l->count; i++)
		printf("%s%s", i ? "," : "", addr(&l->cand[i]));
	printf("\n");
}

/* Every non-loopback IPv4 address of this host, with our port. */
static void gather_hosts(struct client *c, uint16_t port)
{
	struct ifaddrs *ifa, *i;

	if (c->host.count > 0 || getifaddrs(&ifa) != 0)
		return;
	for (i = ifa; i != NULL && c->host.count < NATT_RDV_MAX_HOST_CANDS; i = i->ifa_next) {
		struct natt_cand h;

		if (i->ifa_addr == NULL || i->ifa_addr->sa_family != AF_INET ||
		    !natt_addr_to_cand(i->ifa_addr, NATT_CAND_HOST, &h) || h.addr[0] == 127)
			continue;
		h.port = port;
		c->host.cand[c->host.count++] = h;
	}
	freeifaddrs(ifa);
}

/* ---- the rendezvous client core ---- */

static void on_event(void *ctx, const struct natt_rdv_event *ev)
{
	struct client *c = ctx;

	switch (ev->type) {
	case NATT_RDV_EV_REGISTERED:
		printf("registered observed=%s lifetime=%u\n", addr(&ev->observed), ev->lifetime_s);
		if (c->status != 0 && !c->until_intro)
			c->status = 0;
		break;
	case NATT_RDV_EV_REG_FAILED:
		printf("reg-failed result=%s attempts=%u reason=%s\n",
		       natt_rdv_result_name(ev->result), ev->attempts, ev->reason);
		break;
	case NATT_RDV_EV_INTRODUCED:
		printf("introduced cid=%016llx name=%s observed=%s", (unsigned long long)ev->cid,
		       ev->name.len ? ev->name.str : "-", addr(&ev->observed));
		print_cands(" cands=", &ev->cands);
		if (c->until_intro) {
			c->status = 0;
			natt_loop_stop(c->loop);
		}
		break;
	case NATT_RDV_EV_LOOKUP_DONE:
		if (ev->result == NATT_RDV_RES_OK) {
			printf("lookup found observed=%s", addr(&ev->observed));
			print_cands(" cands=", &ev->cands);
			c->status = 0;
		} else {
			printf("lookup %s attempts=%u reason=%s\n",
			       natt_rdv_result_name(ev->result), ev->attempts, ev->reason);
		}
		natt_loop_stop(c->loop);
		break;
	}
	fflush(stdout);
}

static void drive(struct client *c, natt_time_t now)
{
	uint8_t buf[NATT_MAX_RENDEZVOUS];
	int n;

	while ((n = natt_rdv_client_poll(c->cl, now, wall_ms(), buf, sizeof(buf))) > 0) {
		printf("sent %d bytes t=%.3f\n", n, (double)(now - c->t0) / NATT_SEC);
		fflush(stdout);
		natt_udp_send(c->udp, buf, (size_t)n, (struct sockaddr *)&c->rdv_sa, c->rdv_len);
	}
	natt_timer_set(c->timer, natt_rdv_client_next_timeout(c->cl));
}

static void on_timer(void *arg, natt_time_t now)
{
	drive(arg, now);
}

static void on_end(void *arg, natt_time_t now)
{
	struct client *c = arg;

	(void)now;
	if (c->mode == M_STUN)
		printf("stun no-answer\n");
	natt_loop_stop(c->loop);
}

static void on_recv(void *arg, struct natt_udp *udp, const struct natt_dgram *d, size_t n,
		    natt_time_t now)
{
	struct client *c = arg;

	(void)udp;
	for (size_t i = 0; i < n; i++) {
		struct natt_cand from, mapped;
		int rc;

		natt_addr_to_cand(d[i].addr, NATT_CAND_SRFLX, &from);
		if (c->mode == M_STUN) {
			rc = natt_stun_parse_response(d[i].data, d[i].len, c->stun_txid, &mapped);
			printf("rx %zu bytes from %s: %s\n", d[i].len, addr(&from),
			       rc == NATT_OK ? "accepted" : natt_strerror(rc));
			if (rc == NATT_OK) {
				printf("stun mapped=%s\n", addr(&mapped));
				c->status = 0;
				natt_loop_stop(c->loop);
			}
			continue;
		}
		rc = natt_rdv_client_input(c->cl, now, wall_ms(), &from, d[i].data, d[i].len);
		printf("rx %zu bytes from %s: %s%s%s\n", d[i].len, addr(&from),
		       rc == NATT_OK ? "accepted" : "rejected (",
		       rc == NATT_OK ? "" : natt_strerror(rc), rc == NATT_OK ? "" : ")");
		fflush(stdout);
	}
	if (c->mode != M_STUN)
		drive(c, now);
	fflush(stdout);
}

/* ---- set-up ---- */

static int load_key(struct client *c, const char *path)
{
	uint8_t key[NATT_KEY_LEN];
	char err[512], warn[512];
	enum natt_key_kind kind;
	int rc = natt_keyfile_load(path, &kind, key, err, sizeof(err), warn, sizeof(warn));

	if (rc != NATT_OK) {
		fprintf(stderr, "rdvclient: %s\n", err);
		return -1;
	}
	rc = natt_seal_new(&c->seal, key);
	OPENSSL_cleanse(key, sizeof(key));
	return rc == NATT_OK ? 0 : -1;
}

/* A socket of the rendezvous' family, on lport (0: any). */
static int open_udp(struct client *c, uint16_t lport)
{
	struct sockaddr_in any4 = {.sin_family = AF_INET, .sin_port = htons(lport)};
	struct sockaddr_in6 any6 = {.sin6_family = AF_INET6, .sin6_port = htons(lport)};
	bool v6 = c->rdv.family == 6;
	struct natt_udp_config ucfg;
	struct natt_cand local;

	natt_udp_config_default(&ucfg);
	if (natt_udp_open(&c->udp, c->loop,
			  v6 ? (struct sockaddr *)&any6 : (struct sockaddr *)&any4,
			  v6 ? sizeof(any6) : sizeof(any4), &ucfg, on_recv, c) != NATT_OK) {
		perror("rdvclient: bind");
		return -1;
	}
	natt_addr_to_cand((const struct sockaddr *)&natt_udp_info(c->udp)->local, 0, &local);
	gather_hosts(c, local.port);
	return 0;
}

static int start_role(struct client *c, const char *name, const char *own_name)
{
	struct natt_rdv_client_config cfg;
	natt_time_t now = natt_loop_now();
	natt_cid_t cid = 0;

	memset(&cfg, 0, sizeof(cfg));
	natt_rdv_client_config_default(&cfg);
	cfg.seal = c->seal;
	cfg.server = c->rdv;
	cfg.name = c->mode == M_REGISTER ? name : own_name;
	if (natt_rdv_client_new(&c->cl, &cfg, rnd, NULL, on_event, c) != NATT_OK) {
		fprintf(stderr, "rdvclient: bad client settings (name?)\n");
		return -1;
	}
	print_cands("host cands=", &c->host);
	if (c->mode == M_REGISTER)
		return natt_rdv_client_register(c->cl, now, &c->host) == NATT_OK ? 0 : -1;
	while (cid == 0)
		rnd(NULL, (uint8_t *)&cid, sizeof(cid));
	return natt_rdv_client_lookup(c->cl, now, name, cid, &c->host) == NATT_OK ? 0 : -1;
}

static void send_stun(struct client *c)
{
	uint8_t buf[64];
	int n;

	rnd(NULL, c->stun_txid, sizeof(c->stun_txid));
	n = natt_stun_binding_request(buf, sizeof(buf), c->stun_txid, true);
	printf("sent %d bytes t=0.000\n", n);
	natt_udp_send(c->udp, buf, (size_t)n, (struct sockaddr *)&c->rdv_sa, c->rdv_len);
}

int main(int argc, char **argv)
{
	static struct client c;
	const char *key = NULL, *rdv, *name = NULL, *own_name = NULL;
	uint64_t lport = 0, seconds = 10;
	int a;

	if (argc < 3)
		usage();
	c.status = 1;
	if (strcmp(argv[1], "register") == 0 || strcmp(argv[1], "lookup") == 0) {
		if (argc < 5)
			usage();
		c.mode = argv[1][0] == 'r' ? M_REGISTER : M_LOOKUP;
		key = argv[2];
		rdv = argv[3];
		name = argv[4];
		a = 5;
	} else if (strcmp(argv[1], "stun") == 0) {
		c.mode = M_STUN;
		rdv = argv[2];
		a = 3;
	} else {
		usage();
	}
	for (; a < argc; a++) {
		bool more = a + 1 < argc;

		if (strcmp(argv[a], "--lport") == 0 && more)
			natt_conf_uint(argv[++a], 1, 65535, &lport);
		else if (strcmp(argv[a], "--seconds") == 0 && more)
			natt_conf_uint(argv[++a], 1, 3600, &seconds);
		else if (strcmp(argv[a], "--name") == 0 && more)
			own_name = argv[++a];
		else if (strcmp(argv[a], "--host") == 0 && more &&
			 c.host.count < NATT_RDV_MAX_HOST_CANDS) {
			if (!parse_addr(argv[++a], NATT_CAND_HOST, &c.host.cand[c.host.count++]))
				usage();
		} else if (strcmp(argv[a], "--until-intro") == 0)
			c.until_intro = true;
		else
			usage();
	}
	if (!parse_addr(rdv, NATT_CAND_SRFLX, &c.rdv) ||
	    (c.rdv_len = natt_addr_from_cand(&c.rdv, c.rdv.family == 6 ? AF_INET6 : AF_INET,
					     &c.rdv_sa)) == 0) {
		fprintf(stderr, "rdvclient: %s: want ADDRESS[:PORT] or [IPv6]:PORT\n", rdv);
		return 2;
	}
	if ((key != NULL && load_key(&c, key) < 0) || natt_loop_new(&c.loop, false) != NATT_OK ||
	    natt_timer_new(&c.timer, c.loop, on_timer, &c) != NATT_OK ||
	    natt_timer_new(&c.end, c.loop, on_end, &c) != NATT_OK ||
	    open_udp(&c, (uint16_t)lport) < 0)
		return 1;
	c.t0 = natt_loop_now();
	natt_timer_set(c.end, c.t0 + seconds * NATT_SEC);
	if (c.mode == M_STUN)
		send_stun(&c);
	else if (start_role(&c, name, own_name) < 0)
		return 1;
	else
		drive(&c, c.t0);
	fflush(stdout);
	natt_loop_run(c.loop, NATT_TIME_NEVER);
	printf("exit %d\n", c.status);
	return c.status;
}
