/*
 * tcp_xfer.c: the same transfer as rudp_xfer.c over one kernel TCP
 * connection, with the same result line (xfer_util.h), for the
 * rudp-vs-TCP benchmark (tests/bench/rudp_vs_tcp.sh).
 *
 *   tcp_xfer recv PORT [TIMEOUT_S]
 *   tcp_xfer send A.B.C.D:PORT MB [TIMEOUT_S [CC]]
 *
 * The sender connects, writes MB MiB of the pattern and shuts its side
 * down; the receiver checks every byte, answers with the 8-byte count it
 * read (network order) and closes.  The sender's time runs from connect()
 * until that count arrives, so, as with rudp, it ends when the sender knows
 * every byte was delivered.  Its figures come from TCP_INFO: wire bytes are
 * tcpi_bytes_sent (payload, retransmissions included) plus an IP + TCP
 * header per segment sent (tcpi_segs_out; the TCP header with the
 * timestamp option when it was negotiated), "lost" is tcpi_total_retrans
 * (segments retransmitted), srtt is tcpi_rtt.  The sender uses the
 * congestion control CC (TCP_CONGESTION, e.g. cubic, reno, bbr), else the
 * kernel's default; the line names it (cc=...).
 *
 * Exit status 0 only when the whole stream arrived intact; 1 otherwise,
 * including when TIMEOUT_S seconds (default 120) pass first (SIGALRM).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <linux/tcp.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "xfer_util.h"

#define CHUNK	      65536
#define MAX_MB	      (1024 * 1024)
#define IP4_HDR	      20 /* RFC 791 3.1, no options */
#define IP6_HDR	      40 /* RFC 8200 3 */
#define TCP_HDR	      20 /* RFC 9293 3.1, no options */
#define TCP_TS_OPTION 12 /* RFC 7323 3: 10 bytes + 2 NOPs, as Linux aligns it */

static uint8_t s_buf[CHUNK];

static void on_alarm(int sig)
{
	static const char msg[] = "tcp_xfer: failed: timed out\n";

	(void)sig;
	if (write(STDERR_FILENO, msg, sizeof(msg) - 1) < 0)
		_exit(1);
	_exit(1);
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int die(const char *what)
{
	fprintf(stderr, "tcp_xfer: failed: %s: %s\n", what, strerror(errno));
	return 1;
}

static int write_all(int fd, const uint8_t *p, size_t len)
{
	while (len > 0) {
		ssize_t n = write(fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/* Reads exactly len bytes; returns 0, or -1 on error or early EOF. */
static int read_all(int fd, uint8_t *p, size_t len)
{
	while (len > 0) {
		ssize_t n = read(fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

static void report(int fd, const char *role, uint64_t bytes, double secs, int family)
{
	struct tcp_info ti;
	socklen_t len = sizeof(ti);
	struct xfer_result r = {.proto = "tcp", .role = role, .bytes = bytes, .seconds = secs};
	char cc[16] = "?", extra[64];
	socklen_t cclen = sizeof(cc) - 1;
	unsigned hdr = (family == AF_INET6 ? IP6_HDR : IP4_HDR) + TCP_HDR;

	memset(&ti, 0, sizeof(ti));
	if (getsockopt(fd, IPPROTO_TCP, TCP_INFO, &ti, &len) == 0) {
		if (ti.tcpi_options & TCPI_OPT_TIMESTAMPS)
			hdr += TCP_TS_OPTION;
		r.packets = ti.tcpi_segs_out;
		r.wire_bytes = ti.tcpi_bytes_sent + (uint64_t)ti.tcpi_segs_out * hdr;
		r.retx_bytes = ti.tcpi_bytes_retrans;
		r.lost = ti.tcpi_total_retrans;
		r.srtt_ms = ti.tcpi_rtt / 1000.0;
	}
	getsockopt(fd, IPPROTO_TCP, TCP_CONGESTION, cc, &cclen);
	cc[sizeof(cc) - 1] = '\0';
	r.cpu_s = xfer_cpu_seconds();
	snprintf(extra, sizeof(extra), "cc=%s cwnd_segs=%u", cc, ti.tcpi_snd_cwnd);
	r.extra = extra;
	xfer_print(&r);
}

static int send_stream(int fd, uint64_t total)
{
	uint64_t off = 0;

	while (off < total) {
		size_t n = total - off < CHUNK ? (size_t)(total - off) : CHUNK;

		xfer_fill(off, s_buf, n);
		if (write_all(fd, s_buf, n) != 0)
			return -1;
		off += n;
	}
	return shutdown(fd, SHUT_WR);
}

static int run_send(const struct sockaddr_storage *to, socklen_t tolen, uint64_t total,
		    const char *cc)
{
	uint8_t count[8];
	uint64_t got = 0;
	double t0;
	int fd = socket(to->ss_family, SOCK_STREAM, 0);

	if (fd < 0)
		return die("socket");
	if (cc != NULL && setsockopt(fd, IPPROTO_TCP, TCP_CONGESTION, cc, strlen(cc)) != 0)
		return die("congestion control");
	t0 = now_s();
	if (connect(fd, (const struct sockaddr *)to, tolen) != 0)
		return die("connect");
	if (send_stream(fd, total) != 0)
		return die("send");
	if (read_all(fd, count, sizeof(count)) != 0)
		return die("the receiver did not confirm the stream");
	for (int i = 0; i < 8; i++)
		got = got << 8 | count[i];
	if (got != total) {
		fprintf(stderr, "tcp_xfer: failed: the receiver read %llu of %llu bytes\n",
			(unsigned long long)got, (unsigned long long)total);
		return 1;
	}
	report(fd, "send", got, now_s() - t0, to->ss_family);
	close(fd);
	return 0;
}

/* Reads and checks the stream to EOF; returns the bytes, or -1 on error. */
static int64_t receive_stream(int fd, double *t_first)
{
	uint64_t off = 0;
	ssize_t n;

	while ((n = read(fd, s_buf, sizeof(s_buf))) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		if (off == 0)
			*t_first = now_s();
		if (xfer_check(off, s_buf, (size_t)n) != SIZE_MAX) {
			errno = EBADMSG;
			return -1;
		}
		off += (uint64_t)n;
	}
	return (int64_t)off;
}

static int listen_on(uint16_t port, int *family)
{
	struct sockaddr_in6 a6 = {.sin6_family = AF_INET6, .sin6_port = htons(port)};
	struct sockaddr_in a4 = {.sin_family = AF_INET, .sin_port = htons(port)};
	int one = 1, fd = socket(AF_INET6, SOCK_STREAM, 0);

	*family = AF_INET6;
	if (fd >= 0 && (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) != 0 ||
			bind(fd, (struct sockaddr *)&a6, sizeof(a6)) != 0)) {
		close(fd);
		fd = -1;
	}
	if (fd < 0) {
		*family = AF_INET;
		fd = socket(AF_INET, SOCK_STREAM, 0);
		if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) != 0 ||
		    bind(fd, (struct sockaddr *)&a4, sizeof(a4)) != 0)
			return -1;
	}
	return listen(fd, 1) == 0 ? fd : -1;
}

static int run_recv(uint16_t port)
{
	uint8_t count[8];
	double t_first = 0;
	int64_t got;
	int family, fd, lfd = listen_on(port, &family);

	if (lfd < 0)
		return die("listen");
	fd = accept(lfd, NULL, NULL);
	if (fd < 0)
		return die("accept");
	close(lfd);
	got = receive_stream(fd, &t_first);
	if (got < 0)
		return die("receive");
	for (int i = 0; i < 8; i++)
		count[i] = (uint8_t)((uint64_t)got >> (56 - 8 * i));
	report(fd, "recv", (uint64_t)got, now_s() - t_first, family);
	if (write_all(fd, count, sizeof(count)) != 0)
		return die("confirm");
	close(fd);
	return 0;
}

static int usage(void)
{
	fprintf(stderr, "usage: tcp_xfer recv PORT [TIMEOUT_S]\n"
			"       tcp_xfer send A.B.C.D:PORT MB [TIMEOUT_S [CC]]\n");
	return 1;
}

int main(int argc, char **argv)
{
	struct sockaddr_storage to;
	socklen_t tolen;
	uint64_t mb = 0, timeout = XFER_DEFAULT_TIMEOUT;
	uint16_t port;
	bool sender = argc >= 4 && argc <= 6 && strcmp(argv[1], "send") == 0;
	int t_arg = sender ? 4 : 3;

	if (!sender && !(argc >= 3 && argc <= 4 && strcmp(argv[1], "recv") == 0))
		return usage();
	if (sender ? (xfer_parse_hostport(argv[2], &to, &tolen) != 0 ||
		      xfer_parse_count(argv[3], MAX_MB, &mb) != 0)
		   : xfer_parse_port(argv[2], &port) != 0)
		return usage();
	if (argc > t_arg && xfer_parse_count(argv[t_arg], 24 * 3600, &timeout) != 0)
		return usage();
	signal(SIGALRM, on_alarm);
	signal(SIGPIPE, SIG_IGN);
	alarm((unsigned)timeout);
	return sender ? run_send(&to, tolen, mb * 1024 * 1024, argc > 5 ? argv[5] : NULL)
		      : run_recv(port);
}
