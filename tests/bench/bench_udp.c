/*
 * bench_udp.c: the data channel through real UDP sockets on loopback.
 *
 *   bench_udp [SECONDS] [PAYLOAD] [MODE...]   (defaults: 1 s, 1400 bytes,
 *                                             all modes)
 *
 * A sender thread seals PAYLOAD-byte datagrams with natt_dc_seal() straight
 * into the send queue of a natt_udp (natt_udp_reserve/commit) and flushes
 * it after every batch; a receiver thread runs a natt_loop whose natt_udp
 * hands each batch to natt_dc_open().  Two cores, one AEAD pass on each,
 * as a tunnel endpoint pair would do.  Modes:
 *
 *   plain   one sendmsg()/recvmsg() per datagram (= sendto/recvfrom)
 *   mmsg    sendmmsg()/recvmmsg(), batches of 32
 *   gso     sendmmsg() with UDP GSO, recvmmsg() with UDP GRO
 *
 * each with AES-256-GCM, ChaCha20-Poly1305 and "none" (plain UDP, no
 * sealing: the cost of the system calls alone).  One line per run:
 *
 *   mode=gso cipher=AES-256-GCM payload=1400 sent_pps=... recv_pps=...
 *        gbit_per_s=... loss=... tx_cpu_s=... rx_cpu_s=... wall_s=...
 *        cpu_bound_bytes_per_s=...
 *
 * gbit_per_s is the payload the receiver opened, per wall second.  The
 * machine may be shared, so cpu_bound_bytes_per_s also gives the payload
 * per second of CPU of the busier thread: the rate with one whole core per
 * side.  Only 127.0.0.1 is used.
 */
#define _GNU_SOURCE /* RUSAGE_THREAD */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "datachan.h"
#include "loop.h"

#define BATCH	    32
#define POLL_STOP   (10 * NATT_MSEC)
#define CIPHER_NONE 0

static const uint8_t s_ab[NATT_DC_SECRET_LEN] = {1, 2, 3};
static const uint8_t s_ba[NATT_DC_SECRET_LEN] = {3, 2, 1};

struct side {
	struct natt_loop *loop;
	struct natt_udp *udp;
	struct natt_dc *dc;
	struct natt_timer *poll;
	uint64_t packets, bad;
	natt_time_t cpu;
};

struct run {
	size_t len;
	uint8_t cipher;
	unsigned disable;
	atomic_bool stop;
	struct side tx, rx;
};

static void die(const char *what, int rc)
{
	fprintf(stderr, "bench_udp: %s: %s\n", what, natt_strerror(rc));
	exit(1);
}

static natt_time_t thread_cpu(void)
{
	struct rusage ru;

	getrusage(RUSAGE_THREAD, &ru);
	return (natt_time_t)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * NATT_SEC +
	       (natt_time_t)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec);
}

static void on_batch(void *arg, struct natt_udp *udp, const struct natt_dgram *d, size_t n,
		     natt_time_t now)
{
	struct run *r = arg;

	(void)udp;
	for (size_t i = 0; i < n; i++) {
		int l = (int)d[i].len;

		if (r->cipher != CIPHER_NONE)
			l = natt_dc_open(r->rx.dc, now, d[i].data, d[i].len, NULL);
		if (l == (int)r->len)
			r->rx.packets++;
		else
			r->rx.bad++;
	}
}

static void on_poll(void *arg, natt_time_t now)
{
	struct run *r = arg;

	if (atomic_load(&r->stop))
		natt_loop_stop(r->rx.loop);
	else
		natt_timer_set(r->rx.poll, now + POLL_STOP);
}

static void *receiver(void *arg)
{
	struct run *r = arg;
	natt_time_t c0 = thread_cpu();

	natt_timer_set(r->rx.poll, natt_loop_now() + POLL_STOP);
	natt_loop_run(r->rx.loop, NATT_TIME_NEVER);
	r->rx.cpu = thread_cpu() - c0;
	return NULL;
}

/* Seals one batch into the send queue and flushes it. */
static void send_batch(struct run *r, const uint8_t *payload, const struct natt_udp_info *to)
{
	size_t cap = r->len + NATT_DC_OVERHEAD;
	natt_time_t now = natt_loop_now();

	for (int i = 0; i < BATCH; i++) {
		uint8_t *p = natt_udp_reserve(r->tx.udp, cap);
		int n = (int)r->len;

		if (p == NULL)
			break;
		if (r->cipher != CIPHER_NONE)
			n = natt_dc_seal(r->tx.dc, now, payload, r->len, p, cap);
		else
			memcpy(p, payload, r->len);
		if (n < 0)
			die("seal", n);
		natt_udp_commit(r->tx.udp, (size_t)n, (const struct sockaddr *)&to->local,
				to->local_len);
		r->tx.packets++;
	}
	if (natt_udp_flush(r->tx.udp) == NATT_ERR_FULL)
		natt_loop_run_once(r->tx.loop, true); /* until writable */
}

static void *sender(void *arg)
{
	struct run *r = arg;
	const struct natt_udp_info *to = natt_udp_info(r->rx.udp);
	uint8_t *payload = calloc(1, r->len);
	natt_time_t c0 = thread_cpu();

	if (payload == NULL)
		die("memory", NATT_ERR_NOMEM);
	while (!atomic_load(&r->stop))
		send_batch(r, payload, to);
	r->tx.cpu = thread_cpu() - c0;
	free(payload);
	return NULL;
}

static void side_open(struct run *r, struct side *s, bool rx)
{
	struct natt_dc_config dcfg;
	struct natt_udp_config ucfg;
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	int rc;

	natt_udp_config_default(&ucfg);
	ucfg.batch = BATCH;
	ucfg.disable = r->disable;
	natt_dc_config_default(&dcfg);
	dcfg.cipher = r->cipher != CIPHER_NONE ? r->cipher : NATT_CIPHER_AES_256_GCM;
	rc = natt_loop_new(&s->loop, false);
	if (rc == NATT_OK)
		rc = natt_udp_open(&s->udp, s->loop, (struct sockaddr *)&a, sizeof(a), &ucfg,
				   on_batch, r);
	if (rc == NATT_OK)
		rc = natt_dc_new(&s->dc, &dcfg, rx ? s_ba : s_ab, rx ? s_ab : s_ba, rx ? 1 : 2,
				 rx ? 2 : 1, natt_loop_now());
	if (rc == NATT_OK && rx)
		rc = natt_timer_new(&s->poll, s->loop, on_poll, r);
	if (rc != NATT_OK)
		die("setup", rc);
}

static void side_close(struct side *s)
{
	natt_timer_free(s->poll);
	natt_dc_free(s->dc);
	natt_udp_close(s->udp);
	natt_loop_free(s->loop);
}

static void report(const char *mode, struct run *r, natt_time_t wall)
{
	double w = (double)wall / 1e6,
	       busy = (double)(r->tx.cpu > r->rx.cpu ? r->tx.cpu : r->rx.cpu) / 1e6;
	double bytes = (double)r->rx.packets * (double)r->len;

	printf("mode=%s cipher=%s payload=%zu sent_pps=%.0f recv_pps=%.0f gbit_per_s=%.3f "
	       "loss=%.4f bad=%llu tx_cpu_s=%.3f rx_cpu_s=%.3f wall_s=%.3f "
	       "cpu_bound_bytes_per_s=%.0f tx_calls=%llu rx_calls=%llu\n",
	       mode, r->cipher ? natt_dc_cipher_name(r->cipher) : "none", r->len,
	       (double)r->tx.packets / w, (double)r->rx.packets / w, bytes * 8 / w / 1e9,
	       r->tx.packets ? 1.0 - (double)r->rx.packets / (double)r->tx.packets : 0.0,
	       (unsigned long long)r->rx.bad, (double)r->tx.cpu / 1e6, (double)r->rx.cpu / 1e6, w,
	       busy > 0 ? bytes / busy : 0.0,
	       (unsigned long long)natt_udp_stats(r->tx.udp)->tx_calls,
	       (unsigned long long)natt_udp_stats(r->rx.udp)->rx_calls);
	fflush(stdout);
}

static void bench(const char *mode, unsigned disable, uint8_t cipher, size_t len, double secs)
{
	struct run r = {.len = len, .cipher = cipher, .disable = disable};
	pthread_t tt, rt;
	natt_time_t t0;

	side_open(&r, &r.tx, false);
	side_open(&r, &r.rx, true);
	atomic_store(&r.stop, false);
	t0 = natt_loop_now();
	pthread_create(&rt, NULL, receiver, &r);
	pthread_create(&tt, NULL, sender, &r);
	while (natt_loop_now() < t0 + (natt_time_t)(secs * 1e6)) {
		struct timespec ts = {0, 20 * 1000 * 1000};

		nanosleep(&ts, NULL);
	}
	atomic_store(&r.stop, true);
	pthread_join(tt, NULL);
	pthread_join(rt, NULL); /* it drains what was in flight, within 10 ms */
	report(mode, &r, natt_loop_now() - t0);
	side_close(&r.tx);
	side_close(&r.rx);
}

static const struct {
	const char *name;
	unsigned disable;
} modes[] = {
	{"plain", NATT_UDP_NO_MMSG | NATT_UDP_NO_GSO | NATT_UDP_NO_GRO},
	{"mmsg", NATT_UDP_NO_GSO | NATT_UDP_NO_GRO},
	{"gso", 0},
};

static bool wanted(int argc, char **argv, const char *name)
{
	if (argc <= 3)
		return true;
	for (int i = 3; i < argc; i++)
		if (strcmp(argv[i], name) == 0)
			return true;
	return false;
}

int main(int argc, char **argv)
{
	static const uint8_t ciphers[] = {NATT_CIPHER_AES_256_GCM, NATT_CIPHER_CHACHA20_POLY1305,
					  CIPHER_NONE};
	double secs = argc > 1 ? atof(argv[1]) : 1.0;
	long len = argc > 2 ? atol(argv[2]) : 1400;

	if (secs <= 0 || len < 1 || len > 2048 - NATT_DC_OVERHEAD) {
		fprintf(stderr, "usage: bench_udp [SECONDS] [PAYLOAD <= %d] [plain|mmsg|gso...]\n",
			2048 - NATT_DC_OVERHEAD);
		return 2;
	}
	for (size_t m = 0; m < sizeof(modes) / sizeof(modes[0]); m++) {
		if (!wanted(argc, argv, modes[m].name))
			continue;
		for (size_t c = 0; c < sizeof(ciphers); c++)
			bench(modes[m].name, modes[m].disable, ciphers[c], (size_t)len, secs);
	}
	return 0;
}
