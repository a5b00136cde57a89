/*
 * bench_rdv.c: a load generator for a running natt-rendezvous, over UDP on
 * loopback (tests/bench/rendezvous.sh starts the daemon and runs it).
 *
 *   bench_rdv KEYFILE ADDR:PORT [--pid PID] [--registrations N]
 *             [--seconds S] [--window W] [--reg-sockets K]
 *
 * Phase 1 registers N names ("bench-0000001"...), each with two host
 * candidates, from K sockets; phase 2 looks random ones of them up for S
 * seconds from other sockets, and drains the introductions the daemon sends
 * to the registering sockets.  Both phases keep at most W requests
 * unanswered (closed loop), so the figure is what the daemon sustains, not
 * what the kernel drops.  Messages are sealed as the real clients seal them
 * (transport/rdv.h), with fresh salts and timestamps.
 *
 * With --pid, the daemon's resident memory (VmRSS) is read before and after
 * the registrations, and its CPU time around each phase: when this one
 * generator cannot keep the daemon's core busy, *_per_cpu_s says what a
 * whole core would do.  One "key value" line per figure on stdout:
 *   registrations_acked 100000
 *   registrations_per_s 61234
 *   rss_before_kb / rss_after_registrations_kb / rss_per_registration_b
 *   lookups_answered 250000
 *   lookups_per_s 50123
 *   introductions_received 250000
 *   lost 0                      (requests given up after 1 s of silence)
 * Only the given address is used (127.0.0.1 by the script).
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/rand.h>

#include "keyfile.h"
#include "rdv.h"
#include "seal.h"

#define MAX_SOCKS    64
#define BATCH	     64
#define STALL_NS     1000000000LL /* give up on what is outstanding after 1 s of silence */
#define LOOKUP_SOCKS 4

struct bench {
	struct natt_seal *seal;
	uint8_t id[NATT_NETWORK_ID_LEN];
	struct sockaddr_in rdv;
	int reg_fd[MAX_SOCKS], nreg_fd;
	int lk_fd[LOOKUP_SOCKS];
	long pid;
	uint64_t nregs;
	double seconds;
	uint64_t window;
	uint64_t outstanding, lost;
	uint64_t acks, replies, intros, other;
};

static int64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static uint64_t wall_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* The daemon's CPU time (user + system), seconds; -1 if unknown. */
static double cpu_s(long pid)
{
	char path[64], buf[1024], *p;
	unsigned long long ut, st;
	FILE *f;
	size_t n;

	snprintf(path, sizeof(path), "/proc/%ld/stat", pid);
	f = fopen(path, "r");
	if (f == NULL)
		return -1;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	p = strrchr(buf, ')'); /* the command name may hold blanks */
	if (p == NULL ||
	    sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu", &ut, &st) != 2)
		return -1;
	return (double)(ut + st) / (double)sysconf(_SC_CLK_TCK);
}

static long rss_kb(long pid)
{
	char path[64], line[256];
	long kb = -1;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%ld/status", pid);
	f = fopen(path, "r");
	if (f == NULL)
		return -1;
	while (fgets(line, sizeof(line), f) != NULL)
		if (sscanf(line, "VmRSS: %ld kB", &kb) == 1)
			break;
	fclose(f);
	return kb;
}

static int udp_socket(void)
{
	struct sockaddr_in any = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0), sz = 8 << 20;

	if (fd < 0 || bind(fd, (struct sockaddr *)&any, sizeof(any)) != 0) {
		perror("bench_rdv: socket");
		exit(1);
	}
	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &sz, sizeof(sz)) != 0)
		setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &sz, sizeof(sz));
	if (setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &sz, sizeof(sz)) != 0)
		setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &sz, sizeof(sz));
	return fd;
}

static struct natt_cand host_cand(uint64_t i, uint8_t subnet)
{
	struct natt_cand c;

	memset(&c, 0, sizeof(c));
	c.kind = NATT_CAND_HOST;
	c.family = 4;
	c.port = (uint16_t)(1024 + i % 60000);
	c.addr[0] = 10;
	c.addr[1] = subnet;
	c.addr[2] = (uint8_t)(i >> 8);
	c.addr[3] = (uint8_t)(i | 1);
	return c;
}

static void name_of(char *buf, size_t cap, uint64_t i)
{
	snprintf(buf, cap, "bench-%07llu", (unsigned long long)i);
}

/* Seals request i of the phase into out; returns its length. */
static size_t build(struct bench *b, bool lookup, uint64_t i, uint8_t *out)
{
	struct natt_rdv_msg m;
	uint8_t salt[NATT_SALT_LEN];
	char name[32];
	int n;

	uint64_t r[4]; /* txid, cid, target, salt: one draw */

	if (RAND_bytes((uint8_t *)r, sizeof(r)) != 1)
		abort();
	memset(&m, 0, sizeof(m));
	m.txid = r[0];
	m.timestamp_ms = wall_ms();
	memcpy(salt, &r[2], sizeof(salt));
	if (!lookup) {
		m.type = NATT_PT_RDV_REGISTER;
		m.reg.seq = 1;
		m.reg.lifetime_s = 300;
		name_of(name, sizeof(name), i);
		natt_name_set(&m.reg.name, name);
		m.reg.cands.count = 2;
		m.reg.cands.cand[0] = host_cand(i, 1);
		m.reg.cands.cand[1] = host_cand(i, 2);
	} else {
		m.type = NATT_PT_RDV_LOOKUP;
		m.lookup.cid = r[1] | 1;
		name_of(name, sizeof(name), (r[2] ^ r[3]) % b->nregs);
		natt_name_set(&m.lookup.target, name);
		m.lookup.cands.count = 1;
		m.lookup.cands.cand[0] = host_cand(i, 3);
	}
	n = natt_rdv_pack(out, NATT_MAX_RENDEZVOUS, b->seal, b->id, salt, &m,
			  lookup ? NATT_RDV_LOOKUP_MIN_BODY : 0);
	if (n <= 0) {
		fprintf(stderr, "bench_rdv: sealing failed: %s\n", natt_strerror(n));
		exit(1);
	}
	return (size_t)n;
}

/* Sends up to `want` new requests (one batch per socket round). */
static uint64_t send_some(struct bench *b, bool lookup, uint64_t next, uint64_t want)
{
	static uint8_t buf[BATCH][NATT_MAX_RENDEZVOUS];
	struct mmsghdr msg[BATCH];
	struct iovec iov[BATCH];
	int fd = lookup ? b->lk_fd[next % LOOKUP_SOCKS] : b->reg_fd[next % (uint64_t)b->nreg_fd];
	unsigned int n = want < BATCH ? (unsigned int)want : BATCH;
	int sent;

	memset(msg, 0, sizeof(msg));
	for (unsigned int k = 0; k < n; k++) {
		iov[k].iov_base = buf[k];
		iov[k].iov_len = build(b, lookup, next + k, buf[k]);
		msg[k].msg_hdr.msg_iov = &iov[k];
		msg[k].msg_hdr.msg_iovlen = 1;
		msg[k].msg_hdr.msg_name = &b->rdv;
		msg[k].msg_hdr.msg_namelen = sizeof(b->rdv);
	}
	sent = sendmmsg(fd, msg, n, 0);
	if (sent < 0)
		return 0; /* socket buffer full: try again after receiving */
	b->outstanding += (uint64_t)sent;
	return (uint64_t)sent;
}

/* Receives what is there on fd; counts answers by type. */
static uint64_t drain(struct bench *b, int fd)
{
	static uint8_t buf[BATCH][NATT_MAX_RENDEZVOUS];
	struct mmsghdr msg[BATCH];
	struct iovec iov[BATCH];
	uint64_t got = 0;
	int n;

	do {
		memset(msg, 0, sizeof(msg));
		for (int k = 0; k < BATCH; k++) {
			iov[k].iov_base = buf[k];
			iov[k].iov_len = sizeof(buf[k]);
			msg[k].msg_hdr.msg_iov = &iov[k];
			msg[k].msg_hdr.msg_iovlen = 1;
		}
		n = recvmmsg(fd, msg, BATCH, MSG_DONTWAIT, NULL);
		for (int k = 0; k < n; k++) {
			switch (buf[k][0]) {
			case NATT_PT_RDV_REGISTER_ACK:
				b->acks++;
				got++;
				break;
			case NATT_PT_RDV_LOOKUP_REPLY:
				b->replies++;
				got++;
				break;
			case NATT_PT_RDV_INTRODUCE: b->intros++; break;
			default: b->other++; break;
			}
		}
	} while (n == BATCH);
	return got;
}

static uint64_t poll_all(struct bench *b, int timeout_ms)
{
	struct pollfd p[MAX_SOCKS + LOOKUP_SOCKS];
	int n = 0;
	uint64_t got = 0;

	for (int i = 0; i < b->nreg_fd; i++)
		p[n++] = (struct pollfd){.fd = b->reg_fd[i], .events = POLLIN};
	for (int i = 0; i < LOOKUP_SOCKS; i++)
		p[n++] = (struct pollfd){.fd = b->lk_fd[i], .events = POLLIN};
	if (poll(p, (nfds_t)n, timeout_ms) <= 0)
		return 0;
	for (int i = 0; i < n; i++)
		if (p[i].revents & POLLIN)
			got += drain(b, p[i].fd);
	return got;
}

/*
 * One phase: total requests (0: until `seconds` passed), window-limited.
 * Returns the answers received; *elapsed gets the phase's wall time.
 */
static uint64_t phase(struct bench *b, bool lookup, uint64_t total, double seconds, double *elapsed)
{
	int64_t t0 = now_ns(), last_progress = t0, end = t0 + (int64_t)(seconds * 1e9);
	uint64_t next = 0, answered = 0;

	b->outstanding = 0;
	for (;;) {
		int64_t t = now_ns();
		uint64_t got;

		if (total ? (next >= total && b->outstanding == 0) : t >= end)
			break;
		while (b->outstanding < b->window && (total == 0 || next < total)) {
			uint64_t room = b->window - b->outstanding;
			uint64_t s = send_some(b, lookup, next,
					       total ? (total - next < room ? total - next : room)
						     : room);

			if (s == 0)
				break;
			next += s;
		}
		got = poll_all(b, 10);
		answered += got;
		b->outstanding -= got < b->outstanding ? got : b->outstanding;
		if (got > 0)
			last_progress = t;
		else if (t - last_progress > STALL_NS && b->outstanding > 0) {
			b->lost += b->outstanding; /* dropped somewhere: stop waiting for them */
			b->outstanding = 0;
			last_progress = t;
		}
	}
	*elapsed = (double)(now_ns() - t0) / 1e9;
	/* answers still in flight at the end of a timed phase */
	poll_all(b, 200);
	return answered;
}

static void usage(void)
{
	fprintf(stderr, "usage: bench_rdv KEYFILE ADDR:PORT [--pid PID] [--registrations N] "
			"[--seconds S] [--window W] [--reg-sockets K]\n");
	exit(2);
}

static void setup(struct bench *b, int argc, char **argv)
{
	uint8_t key[NATT_KEY_LEN];
	char err[512], warn[512], host[64];
	enum natt_key_kind kind;
	const char *colon;

	if (argc < 3)
		usage();
	b->nregs = 100000;
	b->seconds = 5;
	b->window = 1024;
	b->nreg_fd = 16;
	for (int a = 3; a + 1 < argc; a += 2) {
		if (strcmp(argv[a], "--pid") == 0)
			b->pid = atol(argv[a + 1]);
		else if (strcmp(argv[a], "--registrations") == 0)
			b->nregs = strtoull(argv[a + 1], NULL, 10);
		else if (strcmp(argv[a], "--seconds") == 0)
			b->seconds = atof(argv[a + 1]);
		else if (strcmp(argv[a], "--window") == 0)
			b->window = strtoull(argv[a + 1], NULL, 10);
		else if (strcmp(argv[a], "--reg-sockets") == 0)
			b->nreg_fd = atoi(argv[a + 1]);
		else
			usage();
	}
	if (b->nregs == 0 || b->window == 0 || b->nreg_fd < 1 || b->nreg_fd > MAX_SOCKS)
		usage();
	if (natt_keyfile_load(argv[1], &kind, key, err, sizeof(err), warn, sizeof(warn)) !=
		    NATT_OK ||
	    kind != NATT_KEY_NETWORK || natt_seal_new(&b->seal, key) != NATT_OK) {
		fprintf(stderr, "bench_rdv: %s: not a usable network key (%s)\n", argv[1], err);
		exit(1);
	}
	OPENSSL_cleanse(key, sizeof(key));
	natt_seal_network_id(b->seal, b->id);
	colon = strrchr(argv[2], ':');
	if (colon == NULL || (size_t)(colon - argv[2]) >= sizeof(host))
		usage();
	snprintf(host, sizeof(host), "%.*s", (int)(colon - argv[2]), argv[2]);
	b->rdv.sin_family = AF_INET;
	b->rdv.sin_port = htons((uint16_t)atoi(colon + 1));
	if (inet_pton(AF_INET, host, &b->rdv.sin_addr) != 1)
		usage();
	for (int i = 0; i < b->nreg_fd; i++)
		b->reg_fd[i] = udp_socket();
	for (int i = 0; i < LOOKUP_SOCKS; i++)
		b->lk_fd[i] = udp_socket();
}

int main(int argc, char **argv)
{
	static struct bench b;
	double t_reg, t_lk, cpu0, cpu1, cpu2;
	uint64_t acked, answered;
	long rss0, rss1;

	setup(&b, argc, argv);
	rss0 = b.pid ? rss_kb(b.pid) : -1;
	cpu0 = b.pid ? cpu_s(b.pid) : -1;
	acked = phase(&b, false, b.nregs, 0, &t_reg);
	rss1 = b.pid ? rss_kb(b.pid) : -1;
	cpu1 = b.pid ? cpu_s(b.pid) : -1;
	printf("registrations_sent %llu\n", (unsigned long long)b.nregs);
	printf("registrations_acked %llu\n", (unsigned long long)acked);
	printf("registrations_per_s %.0f\n", (double)acked / t_reg);
	if (b.pid) {
		printf("rss_before_kb %ld\n", rss0);
		printf("rss_after_registrations_kb %ld\n", rss1);
		printf("rss_per_registration_b %.0f\n",
		       (double)(rss1 - rss0) * 1024 / (double)acked);
	}
	answered = phase(&b, true, 0, b.seconds, &t_lk);
	cpu2 = b.pid ? cpu_s(b.pid) : -1;
	printf("lookups_answered %llu\n", (unsigned long long)answered);
	printf("lookups_per_s %.0f\n", (double)answered / t_lk);
	if (b.pid && cpu0 >= 0 && cpu2 > cpu1) {
		/* what one whole core would do: the generator may not keep it busy */
		printf("daemon_cpu_share_registrations %.2f\n", (cpu1 - cpu0) / t_reg);
		printf("daemon_cpu_share_lookups %.2f\n", (cpu2 - cpu1) / t_lk);
		printf("registrations_per_cpu_s %.0f\n", (double)acked / (cpu1 - cpu0));
		printf("lookups_per_cpu_s %.0f\n", (double)answered / (cpu2 - cpu1));
	}
	printf("introductions_received %llu\n", (unsigned long long)b.intros);
	if (b.pid)
		printf("rss_after_lookups_kb %ld\n", rss_kb(b.pid));
	printf("lost %llu\n", (unsigned long long)b.lost);
	printf("unexpected %llu\n", (unsigned long long)b.other);
	natt_seal_free(b.seal);
	return acked == b.nregs ? 0 : 1;
}
