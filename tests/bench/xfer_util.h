/*
 * xfer_util.h: what the two transfer programs of the rudp-vs-TCP benchmark
 * (rudp_xfer.c, tcp_xfer.c; driven by rudp_vs_tcp.sh) share, so that their
 * data, addresses and one-line results are the same.
 *
 *   payload   a position-dependent pattern (a mix of the 8-byte word
 *             index), so the receiver detects lost, duplicated or
 *             reordered bytes, not only a wrong length
 *   result    one line of key=value pairs on stdout:
 *
 *   xfer proto=rudp role=send bytes=52428800 seconds=4.61 goodput_mbit=90.9
 *        wire_bytes=55360000 wire_ratio=1.056 packets=44000 retx_bytes=0
 *        lost=0 srtt_ms=1.20 cpu_s=0.95 extra=...
 *
 * Field meanings are those of struct xfer_result.
 */
#ifndef NATT_BENCH_XFER_UTIL_H
#define NATT_BENCH_XFER_UTIL_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

/* IPv4 + UDP and IPv6 + UDP header bytes (RFC 791, RFC 8200, RFC 768). */
#define XFER_IP4_UDP_HDR 28
#define XFER_IP6_UDP_HDR 48
/* Default bound on a whole run, seconds (either role). */
#define XFER_DEFAULT_TIMEOUT 120

struct xfer_result {
	const char *proto;   /* "rudp" or "tcp" */
	const char *role;    /* "send" or "recv" */
	uint64_t bytes;	     /* stream bytes delivered: acknowledged (send), read (recv) */
	double seconds;	     /* first packet sent or received until all bytes were delivered */
	uint64_t wire_bytes; /* IP-layer bytes (headers included) this end sent */
	uint64_t packets;    /* IP packets this end sent */
	uint64_t retx_bytes; /* stream bytes sent more than once */
	uint64_t lost;	     /* rudp: packets declared lost; tcp: segments retransmitted */
	double srtt_ms;	     /* smoothed RTT at the end (sender's estimate) */
	double cpu_s;	     /* user + system CPU of this process */
	const char *extra;   /* further key=value pairs, or NULL */
};

/* Prints r as the one result line (above) and flushes stdout. */
void xfer_print(const struct xfer_result *r);

/* Fills buf with the pattern bytes at stream offsets [off, off + len). */
void xfer_fill(uint64_t off, uint8_t *buf, size_t len);

/* The index in buf of the first byte that differs from the pattern at
 * off, or SIZE_MAX when all len bytes match. */
size_t xfer_check(uint64_t off, const uint8_t *buf, size_t len);

/*
 * Parses "A.B.C.D:PORT" or "[IPV6]:PORT" (numeric only: no name look-up,
 * so nothing but the given address is ever contacted).  Returns 0, or -1
 * with a message on stderr.
 */
int xfer_parse_hostport(const char *s, struct sockaddr_storage *ss, socklen_t *len);

/* Parses a port number (1..65535) into *port.  Returns 0 or -1. */
int xfer_parse_port(const char *s, uint16_t *port);

/* Parses a positive whole number no larger than max.  Returns 0 or -1. */
int xfer_parse_count(const char *s, uint64_t max, uint64_t *out);

/* User + system CPU seconds of this process so far. */
double xfer_cpu_seconds(void);

#endif
