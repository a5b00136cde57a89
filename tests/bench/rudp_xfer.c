/*
 * rudp_xfer.c: one reliable-stream transfer (transport/rudp.h) over a real
 * UDP socket, driven by the event loop (transport/loop.h), for the
 * rudp-vs-TCP benchmark (tests/bench/rudp_vs_tcp.sh).
 *
 *   rudp_xfer recv PORT [TIMEOUT_S]
 *   rudp_xfer send A.B.C.D:PORT MB [TIMEOUT_S]
 *
 * The sender writes MB MiB of a position-dependent pattern (xfer_util.h)
 * and then FIN; the receiver checks every byte, answers with its own FIN,
 * and both end with the orderly close.  Each prints one result line
 * (xfer_util.h): the sender's bytes are those the receiver acknowledged,
 * its time runs from its first packet until the last byte was
 * acknowledged, and it gives the bytes on the wire, the stream bytes sent
 * again, the packets declared lost and the smoothed RTT.  The receiver's
 * time runs from its first datagram to the end of the stream.
 *
 * Fixed test setup (a benchmark, not a deployment): a network key that is
 * public in this file, connection IDs SEND_CID and RECV_CID, one peer.
 * The receiver's peer is whoever sends it the first datagram that opens.
 * Exit status 0 only when the whole stream arrived intact and closed in
 * order; 1 on any failure, including TIMEOUT_S seconds (default 120)
 * passing first.
 */
#include <netinet/in.h>
#include <openssl/rand.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "loop.h"
#include "rudp.h"
#include "seal.h"
#include "wire.h"
#include "xfer_util.h"

#define SEND_CID   UINT64_C(0x7866657273656e64) /* "xfersend" */
#define RECV_CID   UINT64_C(0x7866657272656376) /* "xferrecv" */
#define CHUNK	   65536
#define MAX_MB	   (1024 * 1024)
#define QUEUE_WAIT (1 * NATT_MSEC)   /* send queue full: try again after this */
#define LINGER	   (2 * NATT_SEC)    /* receiver: wait this long for CLOSE after EOF */
#define BUFSIZE	   (4 * 1024 * 1024) /* socket buffers, as the node uses */

/* A test key, not a secret: both ends of the benchmark must share it. */
static const uint8_t s_network_key[NATT_KEY_LEN] = "openvpn-natt rudp_xfer test key";

struct xfer {
	struct natt_loop *loop;
	struct natt_udp *udp;
	struct natt_timer *timer;
	struct natt_seal *seal;
	struct natt_rudp *conn;
	bool sender;
	struct sockaddr_storage peer;
	socklen_t peerlen;
	uint64_t total;	   /* sender: bytes to send */
	uint64_t written;  /* sender: bytes handed to rudp */
	uint64_t received; /* receiver: bytes read and checked */
	natt_time_t start, end, give_up, linger;
	bool queue_full; /* the UDP send queue had no room */
	bool fin;	 /* we ended our stream (natt_rudp_close) */
	bool done;
	const char *failure; /* why it failed, NULL while all is well */
	uint8_t buf[CHUNK];
};

static void salt_rand(void *arg, uint8_t *buf, size_t len)
{
	(void)arg;
	if (RAND_bytes(buf, (int)len) != 1)
		abort(); /* no salts, no safe packets: nothing sensible to go on with */
}

static void fail(struct xfer *x, const char *why)
{
	if (x->failure == NULL)
		x->failure = why;
	x->done = true;
}

static void app_write(struct xfer *x)
{
	while (x->written < x->total) {
		uint64_t left = x->total - x->written;
		size_t n = left < CHUNK ? (size_t)left : CHUNK;
		size_t space = natt_rudp_write_space(x->conn);
		long w;

		if (n > space)
			n = space;
		if (n == 0)
			return;
		xfer_fill(x->written, x->buf, n);
		w = natt_rudp_write(x->conn, x->buf, n);
		if (w <= 0) {
			fail(x, w == 0 ? "write refused" : natt_strerror((int)w));
			return;
		}
		x->written += (uint64_t)w;
	}
	if (!x->fin) {
		x->fin = true;
		if (natt_rudp_close(x->conn) != NATT_OK)
			fail(x, "close refused");
	}
}

static void app_read(struct xfer *x, natt_time_t now)
{
	size_t n;

	while ((n = natt_rudp_read(x->conn, x->buf, sizeof(x->buf))) > 0) {
		if (xfer_check(x->received, x->buf, n) != SIZE_MAX) {
			fail(x, "received bytes differ from what was sent");
			return;
		}
		x->received += n;
	}
	if (x->end == 0 && natt_rudp_read_eof(x->conn)) {
		x->end = now;
		x->linger = now + LINGER;
		x->fin = true;
		natt_rudp_close(x->conn);
	}
}

/* Moves every datagram rudp wants sent now into the UDP send queue. */
static void flush(struct xfer *x, natt_time_t now)
{
	uint8_t *p;
	int n;

	x->queue_full = false;
	for (;;) {
		p = natt_udp_reserve(x->udp, NATT_MAX_HANDSHAKE);
		if (p == NULL) {
			x->queue_full = true;
			return;
		}
		n = natt_rudp_send(x->conn, now, p, NATT_MAX_HANDSHAKE);
		if (n < 0)
			fail(x, natt_strerror(n));
		if (n <= 0)
			return;
		if (natt_udp_commit(x->udp, (size_t)n, (struct sockaddr *)&x->peer, x->peerlen) !=
		    NATT_OK) {
			fail(x, "send queue refused a datagram");
			return;
		}
	}
}

static void check_end(struct xfer *x, natt_time_t now)
{
	struct natt_rudp_stats st;
	struct natt_rudp_close_info ci;

	if (x->sender && x->end == 0) {
		natt_rudp_get_stats(x->conn, &st);
		if (st.stream_bytes_acked >= x->total)
			x->end = now;
	}
	if (natt_rudp_state(x->conn) == NATT_RUDP_CLOSED) {
		natt_rudp_get_close_info(x->conn, &ci);
		if (ci.end != NATT_RUDP_END_ORDERLY && ci.end != NATT_RUDP_END_PEER_CLOSE)
			fail(x, natt_rudp_end_name(ci.end));
		else if (x->end == 0)
			fail(x, "closed before the stream ended");
		x->done = true;
	}
	/* The receiver's FIN was acked, but the final CLOSE may have been lost. */
	if (!x->sender && x->end != 0 && now >= x->linger)
		x->done = true;
}

static natt_time_t min_time(natt_time_t a, natt_time_t b)
{
	return a < b ? a : b;
}

/* After any event: the application's side, then the wire, then the timer. */
static void pump(struct xfer *x, natt_time_t now)
{
	natt_time_t next = x->give_up;

	if (x->conn != NULL && !x->done) {
		if (x->sender)
			app_write(x);
		else
			app_read(x, now);
		flush(x, now);
		check_end(x, now);
		next = min_time(next, natt_rudp_deadline(x->conn));
		if (x->queue_full)
			next = min_time(next, now + QUEUE_WAIT);
		if (x->linger != 0)
			next = min_time(next, x->linger);
	}
	if (x->done) {
		natt_udp_flush(x->udp);
		natt_loop_stop(x->loop);
		return;
	}
	natt_timer_set(x->timer, next);
}

static int open_conn(struct xfer *x, natt_time_t now)
{
	enum natt_rudp_role role = x->sender ? NATT_RUDP_CLIENT : NATT_RUDP_SERVER;
	natt_cid_t local = x->sender ? SEND_CID : RECV_CID;
	natt_cid_t peer = x->sender ? RECV_CID : SEND_CID;
	int rc = natt_rudp_new(&x->conn, role, local, peer, x->seal, salt_rand, NULL, NULL, now);

	if (rc != NATT_OK) {
		fprintf(stderr, "rudp_xfer: natt_rudp_new: %s\n", natt_strerror(rc));
		return -1;
	}
	x->start = now;
	return 0;
}

/* Receiver: the first datagram that opens with the key picks the peer. */
static void accept_first(struct xfer *x, const struct natt_dgram *d, natt_time_t now)
{
	if (d->addrlen > sizeof(x->peer) || open_conn(x, now) != 0) {
		fail(x, "cannot open the connection");
		return;
	}
	if (natt_rudp_recv(x->conn, now, d->data, d->len) != NATT_OK) {
		natt_rudp_free(x->conn);
		x->conn = NULL;
		return;
	}
	memcpy(&x->peer, d->addr, d->addrlen);
	x->peerlen = d->addrlen;
}

static void on_recv(void *arg, struct natt_udp *udp, const struct natt_dgram *d, size_t n,
		    natt_time_t now)
{
	struct xfer *x = arg;

	(void)udp;
	for (size_t i = 0; i < n && !x->done; i++) {
		if (x->conn == NULL)
			accept_first(x, &d[i], now);
		else /* drops (replays, foreign packets) are rudp's to count */
			natt_rudp_recv(x->conn, now, d[i].data, d[i].len);
	}
	pump(x, now);
}

static void on_timer(void *arg, natt_time_t now)
{
	struct xfer *x = arg;

	if (now >= x->give_up) {
		fail(x, "timed out");
		pump(x, now);
		return;
	}
	if (x->conn != NULL && natt_rudp_deadline(x->conn) <= now)
		natt_rudp_on_timeout(x->conn, now);
	pump(x, now);
}

static int open_socket(struct xfer *x, const struct sockaddr *bind_to, socklen_t len)
{
	struct natt_udp_config cfg;
	int rc;

	natt_udp_config_default(&cfg);
	cfg.bufsize = BUFSIZE;
	rc = natt_udp_open(&x->udp, x->loop, bind_to, len, &cfg, on_recv, x);
	if (rc != NATT_OK)
		fprintf(stderr, "rudp_xfer: cannot open the UDP socket: %s\n", natt_strerror(rc));
	return rc == NATT_OK ? 0 : -1;
}

/* The receiver binds the IPv6 wildcard (which also takes IPv4), else IPv4. */
static int bind_receiver(struct xfer *x, uint16_t port)
{
	struct sockaddr_in6 a6 = {.sin6_family = AF_INET6, .sin6_port = htons(port)};
	struct sockaddr_in a4 = {.sin_family = AF_INET, .sin_port = htons(port)};

	struct natt_udp_config cfg;

	natt_udp_config_default(&cfg);
	cfg.bufsize = BUFSIZE;
	if (natt_udp_open(&x->udp, x->loop, (struct sockaddr *)&a6, sizeof(a6), &cfg, on_recv, x) ==
	    NATT_OK)
		return 0;
	return open_socket(x, (struct sockaddr *)&a4, sizeof(a4));
}

static int bind_sender(struct xfer *x)
{
	struct sockaddr_storage any = {.ss_family = x->peer.ss_family};

	return open_socket(x, (struct sockaddr *)&any,
			   any.ss_family == AF_INET6 ? sizeof(struct sockaddr_in6)
						     : sizeof(struct sockaddr_in));
}

static int setup(struct xfer *x, uint16_t port, uint64_t timeout_s)
{
	if (natt_seal_new(&x->seal, s_network_key) != NATT_OK ||
	    natt_loop_new(&x->loop, false) != NATT_OK ||
	    natt_timer_new(&x->timer, x->loop, on_timer, x) != NATT_OK) {
		fprintf(stderr, "rudp_xfer: cannot set up the loop or the keys\n");
		return -1;
	}
	x->give_up = natt_loop_now() + timeout_s * NATT_SEC;
	if (x->sender ? bind_sender(x) : bind_receiver(x, port))
		return -1;
	if (x->sender) {
		if (open_conn(x, natt_loop_now()) != 0)
			return -1;
		pump(x, x->start);
	} else {
		natt_timer_set(x->timer, x->give_up);
	}
	return 0;
}

static void teardown(struct xfer *x)
{
	natt_rudp_free(x->conn);
	natt_timer_free(x->timer);
	natt_udp_close(x->udp);
	natt_loop_free(x->loop);
	natt_seal_free(x->seal);
}

static void report(const struct xfer *x)
{
	struct natt_rudp_stats st;
	const struct natt_udp_stats *us = natt_udp_stats(x->udp);
	unsigned hdr = x->peer.ss_family == AF_INET6 ? XFER_IP6_UDP_HDR : XFER_IP4_UDP_HDR;
	struct xfer_result r = {.proto = "rudp", .role = x->sender ? "send" : "recv"};
	char extra[160];

	natt_rudp_get_stats(x->conn, &st);
	r.bytes = x->sender ? st.stream_bytes_acked : x->received;
	r.seconds = (double)(x->end - x->start) / NATT_SEC;
	r.packets = st.packets_sent;
	r.wire_bytes = st.bytes_sent + st.packets_sent * hdr;
	r.retx_bytes = st.stream_bytes_retx;
	r.lost = st.packets_lost;
	r.srtt_ms = (double)st.srtt / NATT_MSEC;
	r.cpu_s = xfer_cpu_seconds();
	snprintf(extra, sizeof(extra),
		 "ptos=%llu cwnd_kb=%.0f rwnd_kb=%.0f udp_queue_full=%llu udp_blocked=%llu "
		 "udp_gso=%d",
		 (unsigned long long)st.pto_count_total, (double)st.cwnd / 1000,
		 (double)st.recv_window / 1024, (unsigned long long)us->tx_dropped,
		 (unsigned long long)us->tx_blocked, natt_udp_info(x->udp)->gso);
	r.extra = extra;
	xfer_print(&r);
}

static int usage(void)
{
	fprintf(stderr, "usage: rudp_xfer recv PORT [TIMEOUT_S]\n"
			"       rudp_xfer send A.B.C.D:PORT MB [TIMEOUT_S]\n");
	return 1;
}

/* Fills x and the port from argv; returns 0 or -1 (usage). */
static int parse_args(struct xfer *x, int argc, char **argv, uint16_t *port, uint64_t *timeout)
{
	uint64_t mb;
	int t_arg;

	if (argc >= 3 && strcmp(argv[1], "recv") == 0 && argc <= 4) {
		t_arg = 3;
		if (xfer_parse_port(argv[2], port) != 0)
			return -1;
	} else if (argc >= 4 && strcmp(argv[1], "send") == 0 && argc <= 5) {
		t_arg = 4;
		x->sender = true;
		if (xfer_parse_hostport(argv[2], &x->peer, &x->peerlen) != 0 ||
		    xfer_parse_count(argv[3], MAX_MB, &mb) != 0)
			return -1;
		x->total = mb * 1024 * 1024;
	} else {
		return -1;
	}
	*timeout = XFER_DEFAULT_TIMEOUT;
	if (argc > t_arg && xfer_parse_count(argv[t_arg], 24 * 3600, timeout) != 0)
		return -1;
	return 0;
}

int main(int argc, char **argv)
{
	static struct xfer x;
	uint16_t port = 0;
	uint64_t timeout;
	int rc = 1;

	if (parse_args(&x, argc, argv, &port, &timeout) != 0)
		return usage();
	if (setup(&x, port, timeout) == 0 && !x.done)
		natt_loop_run(x.loop, NATT_TIME_NEVER);
	if (x.failure != NULL) {
		fprintf(stderr, "rudp_xfer %s: failed: %s\n", x.sender ? "send" : "recv",
			x.failure);
	} else if (x.conn != NULL && x.end != 0) {
		report(&x);
		rc = 0;
	}
	teardown(&x);
	return rc;
}
