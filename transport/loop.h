/*
 * loop.h: the I/O half of libnatt, the only part that reads a clock or
 * touches a socket.  It drives the sans-I/O core: datagrams and timer
 * expiries go in with the current time, and what the core wants sent goes
 * out through a send queue.
 *
 *   natt_loop   an event loop (libevent 2.1, monotonic precise timers)
 *   natt_timer  a one-shot timer at an absolute natt_time_t, the shape of
 *               every core module's "next expiry"; timers fire in deadline
 *               order and never early
 *   natt_udp    a UDP socket (IPv4 or IPv6) with large buffers, batched
 *               receive (recvmmsg, UDP GRO) and a send queue flushed once
 *               per loop iteration (sendmmsg, UDP GSO)
 *
 * Kernel features are detected at run time and each has a fallback that
 * gives the same behaviour, only with more system calls: recvmmsg/sendmmsg
 * -> recvmsg/sendmsg; GSO -> one datagram per message (also after a send
 * fails with EIO, which is how a device without segmentation offload
 * answers); GRO -> one datagram per message.  natt_udp_config.disable
 * forces the fallbacks (tests, and an operator's escape hatch).
 *
 * Threads: a loop is used by one thread.  natt_loop_stop() may be called
 * from another thread when the loop was created with threads = true
 * (libevent_pthreads locking).
 */
#ifndef NATT_LOOP_H
#define NATT_LOOP_H

#include <stdbool.h>
#include <sys/socket.h>

#include "natt.h"

struct event_base;
struct natt_loop;
struct natt_timer;
struct natt_udp;

/* ---- the loop and its clock ---- */

/*
 * Creates a loop.  threads: enable libevent's pthread locking (process
 * wide, done once) so that natt_loop_stop() works from other threads.
 * Returns NATT_OK, NATT_ERR_NOMEM, NATT_ERR_IO (libevent refused).
 */
int natt_loop_new(struct natt_loop **out, bool threads);

/* Frees the loop; its timers and sockets must have been freed first. */
void natt_loop_free(struct natt_loop *loop);

/* The monotonic clock (CLOCK_MONOTONIC) in microseconds. */
natt_time_t natt_loop_now(void);

/* The wall clock (CLOCK_REALTIME) in milliseconds since the Unix epoch: the
 * *_wall_ms the rendezvous timestamps need (ARCHITECTURE.md 2.1). */
uint64_t natt_loop_wall_ms(void);

/*
 * Runs until natt_loop_stop(), until deadline (NATT_TIME_NEVER: none), or
 * until nothing is left to wait for.  Returns NATT_OK or NATT_ERR_IO.
 */
int natt_loop_run(struct natt_loop *loop, natt_time_t deadline);

/*
 * One loop iteration: waits (block = true) until at least one event fires,
 * or only polls (block = false), runs the callbacks and returns.  For a
 * caller that interleaves its own work with the loop (benchmarks, a plugin
 * polled by its host).  Returns NATT_OK or NATT_ERR_IO.
 */
int natt_loop_run_once(struct natt_loop *loop, bool block);

/* Makes natt_loop_run() return after the current callback. */
void natt_loop_stop(struct natt_loop *loop);

/* The libevent base, for callers that add their own events. */
struct event_base *natt_loop_base(struct natt_loop *loop);

/* ---- timers ---- */

/* Called at or after the deadline, with the time of the call. */
typedef void (*natt_timer_cb)(void *arg, natt_time_t now);

/* Creates an unarmed timer.  Returns NATT_OK, NATT_ERR_NOMEM. */
int natt_timer_new(struct natt_timer **out, struct natt_loop *loop, natt_timer_cb cb, void *arg);

/* Disarms and frees; NULL is allowed. */
void natt_timer_free(struct natt_timer *t);

/*
 * Arms the timer for the absolute instant deadline, replacing any earlier
 * setting; NATT_TIME_NEVER disarms.  Timers fire in deadline order (ties:
 * in the order they were armed), a deadline already past in the next loop
 * iteration.  Returns NATT_OK, NATT_ERR_NOMEM (timer left disarmed),
 * NATT_ERR_IO.
 */
int natt_timer_set(struct natt_timer *t, natt_time_t deadline);

/* The armed deadline, or NATT_TIME_NEVER. */
natt_time_t natt_timer_deadline(const struct natt_timer *t);

/* ---- UDP ---- */

/* Most datagrams one recvmmsg()/sendmmsg() call handles. */
#define NATT_UDP_MAX_BATCH 256
/* Segments in one GSO send (UDP_MAX_SEGMENTS of Linux 4.18+). */
#define NATT_UDP_GSO_MAX_SEGS 64
/* Largest buffer a GRO receive can fill (a coalesced IP datagram). */
#define NATT_UDP_GRO_BUF 65536

/* Bits of natt_udp_config.disable: force a fallback path. */
#define NATT_UDP_NO_MMSG (1u << 0) /* recvmsg/sendmsg one at a time */
#define NATT_UDP_NO_GSO	 (1u << 1)
#define NATT_UDP_NO_GRO	 (1u << 2)

struct natt_udp_config {
	size_t batch;	     /* datagrams per receive call and per send call (1..MAX_BATCH) */
	size_t max_datagram; /* largest datagram received whole (larger ones are counted
			      * in rx_truncated and dropped) and sent (up to NATT_MAX_DATAGRAM) */
	size_t queue;	     /* datagrams the send queue holds (>= batch) */
	int bufsize;	     /* SO_RCVBUF and SO_SNDBUF to ask for, bytes */
	unsigned disable;    /* NATT_UDP_NO_* */
};

/* What the socket got, as opposed to what was asked for. */
struct natt_udp_info {
	int rcvbuf;		       /* SO_RCVBUF as read back (twice the request) */
	int sndbuf;		       /* SO_SNDBUF as read back */
	bool rcvbuf_forced;	       /* SO_RCVBUFFORCE/SO_SNDBUFFORCE worked (CAP_NET_ADMIN) */
	bool mmsg;		       /* recvmmsg/sendmmsg in use */
	bool gso;		       /* UDP_SEGMENT in use (may turn off after an EIO) */
	bool gro;		       /* UDP_GRO in use */
	struct sockaddr_storage local; /* bound address, port filled in */
	socklen_t local_len;
};

struct natt_udp_stats {
	uint64_t rx_packets; /* datagrams delivered */
	uint64_t rx_bytes;
	uint64_t rx_calls;     /* receive system calls that returned data */
	uint64_t rx_truncated; /* larger than max_datagram: dropped */
	uint64_t rx_errors;    /* receive calls failing other than EAGAIN */
	uint64_t tx_packets;   /* datagrams handed to the kernel */
	uint64_t tx_bytes;
	uint64_t tx_calls;   /* send system calls */
	uint64_t tx_gso;     /* sends that carried more than one GSO segment */
	uint64_t tx_dropped; /* not queued: the queue was full */
	uint64_t tx_errors;  /* refused by the kernel (unreachable, too big...): dropped */
	uint64_t tx_blocked; /* times the socket buffer was full (EAGAIN): waited */
};

/* One datagram.  In a receive callback, data points into the socket's
 * buffers and addr into its address table: valid during the callback only. */
struct natt_dgram {
	uint8_t *data;
	size_t len;
	const struct sockaddr *addr; /* source (receive) */
	socklen_t addrlen;
};

/* Receives a batch: n >= 1 datagrams in arrival order, received at now. */
typedef void (*natt_udp_recv_cb)(void *arg, struct natt_udp *udp, const struct natt_dgram *d,
				 size_t n, natt_time_t now);

/* batch 32, max_datagram 2048, queue 256, bufsize 4 MiB, nothing disabled. */
void natt_udp_config_default(struct natt_udp_config *cfg);

/*
 * Opens a non-blocking UDP socket bound to addr (IPv4 or IPv6; an IPv6
 * wildcard also accepts IPv4), sets the buffers (SO_*BUFFORCE first, then
 * SO_*BUF, up to net.core.[rw]mem_max), enables what the kernel offers, and
 * calls cb for every batch received while the loop runs.  Returns NATT_OK,
 * NATT_ERR_INVALID (bad config or address family), NATT_ERR_NOMEM,
 * NATT_ERR_IO (socket or bind failed; errno is kept).
 */
int natt_udp_open(struct natt_udp **out, struct natt_loop *loop, const struct sockaddr *addr,
		  socklen_t addrlen, const struct natt_udp_config *cfg, natt_udp_recv_cb cb,
		  void *arg);

/* Closes the socket and drops what is still queued; NULL is allowed. */
void natt_udp_close(struct natt_udp *u);

/*
 * Zero-copy send: returns where up to cap bytes of the next datagram may be
 * written (e.g. by natt_dc_seal()), or NULL when the queue is full even
 * after a flush or cap exceeds max_datagram.  natt_udp_commit() queues it.
 */
uint8_t *natt_udp_reserve(struct natt_udp *u, size_t cap);

/*
 * Queues the len bytes written at the last natt_udp_reserve() for dst.
 * The queue is flushed at the end of the current loop iteration, or at
 * once when it is full.  Returns NATT_OK, NATT_ERR_INVALID (no reservation,
 * len above it, address too long).
 */
int natt_udp_commit(struct natt_udp *u, size_t len, const struct sockaddr *dst, socklen_t dstlen);

/* Copies data into the queue (reserve + memcpy + commit).  Returns NATT_OK,
 * NATT_ERR_FULL (dropped and counted), NATT_ERR_INVALID. */
int natt_udp_send(struct natt_udp *u, const void *data, size_t len, const struct sockaddr *dst,
		  socklen_t dstlen);

/*
 * Hands every queued datagram to the kernel now.  Returns NATT_OK (queue
 * empty), NATT_ERR_FULL (the socket buffer is full: the rest goes out when
 * it drains), NATT_ERR_IO (a system call failed unexpectedly).
 */
int natt_udp_flush(struct natt_udp *u);

const struct natt_udp_info *natt_udp_info(const struct natt_udp *u);
const struct natt_udp_stats *natt_udp_stats(const struct natt_udp *u);
int natt_udp_fd(const struct natt_udp *u);

/* Name resolution (loop_resolve.c). */
struct natt_cand;

/*
 * Resolves host (a name, or a numeric IPv4 or IPv6 address without
 * brackets) and port into a candidate of the given kind.  Of several
 * addresses (a name with A and AAAA records) it takes the first IPv4
 * address this host has a route to, else the first routed IPv6 address,
 * else the first address: the rendezvous conversation is worth most over
 * IPv4, where the NAT mapping it observes is the only public address we
 * have, while global IPv6 addresses reach the peer as host candidates
 * whichever family carries the registration (doc/ARCHITECTURE.md 5.11).
 * Blocks while the resolver works: call it before the loop runs.  Returns
 * NATT_OK, or NATT_ERR_INVALID with the resolver's reason in err (the
 * caller names the setting and host).
 */
int natt_addr_resolve(const char *host, uint16_t port, uint8_t kind, struct natt_cand *c, char *err,
		      size_t errlen);

struct addrinfo;

/* The entry of a getaddrinfo() list that natt_addr_resolve() takes (the
 * order above), or NULL when none is IPv4 or IPv6. */
const struct addrinfo *natt_addr_pick(const struct addrinfo *list);

#endif
