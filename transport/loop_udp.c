/*
 * loop_udp.c: the UDP socket of transport/loop.h: buffers, batched receive
 * (recvmmsg + UDP GRO) and a send queue flushed once per loop iteration
 * (sendmmsg + UDP GSO), each with a run-time fallback.
 *
 * Send queue: datagrams are packed back to back in one arena, in order,
 * each with its destination.  A flush turns runs of datagrams to the same
 * destination, of one size (the last may be shorter), into one GSO send of
 * up to 64 segments; everything else is one message each.  One sendmmsg()
 * carries up to `batch` such messages.  When the socket buffer is full the
 * rest stays queued and goes out when the socket is writable again.
 *
 * Receive: one recvmmsg() fills up to `batch` buffers; a GRO buffer holds
 * several datagrams of the same source cut at the gso_size the kernel
 * reports, and is split back into datagrams before the callback.  At most
 * RX_ROUNDS calls per wake-up, so timers and other sockets are not starved.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <netinet/in.h>
#include <netinet/udp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <event2/event.h>

#include "loop.h"

#define RX_ROUNDS	  8  /* receive calls per readable event */
#define RX_GRO_SLOTS_MAX  16 /* GRO buffers are 64 KiB each: fewer of them */
#define CTL_LEN		  64 /* control buffer per message (one int cmsg) */
#define DEFAULT_BATCH	  32
#define DEFAULT_MAX_DGRAM 2048
#define DEFAULT_QUEUE	  256
#define DEFAULT_BUFSIZE	  (4 << 20)

struct q_ent {
	size_t off, len;
	struct sockaddr_storage addr;
	socklen_t addrlen;
};

struct msgvec {
	struct mmsghdr *m;
	struct iovec *iov;
	uint8_t (*ctl)[CTL_LEN];
	size_t n;
};

struct natt_udp {
	struct natt_loop *loop;
	int fd;
	struct event *read_ev, *write_ev, *flush_ev;
	struct natt_udp_config cfg;
	struct natt_udp_info info;
	struct natt_udp_stats st;
	natt_udp_recv_cb cb;
	void *arg;

	struct msgvec rx;
	struct sockaddr_storage *rx_addr;
	uint8_t *rx_buf;
	size_t rx_slot;	       /* bytes per receive buffer */
	struct natt_dgram *dg; /* datagrams handed to cb */
	size_t dg_cap;

	struct msgvec tx;
	size_t *tx_ents; /* queue entries in each tx message */
	uint8_t *q_buf;
	size_t q_cap, q_fill; /* arena bytes */
	struct q_ent *q;
	size_t q_n, q_head; /* entries queued, first not yet sent */
	size_t reserved;    /* bytes of the open reservation, 0 = none */
	bool flush_pending; /* flush_ev activated */
	bool blocked;	    /* waiting for EV_WRITE */
};

void natt_udp_config_default(struct natt_udp_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->batch = DEFAULT_BATCH;
	cfg->max_datagram = DEFAULT_MAX_DGRAM;
	cfg->queue = DEFAULT_QUEUE;
	cfg->bufsize = DEFAULT_BUFSIZE;
}

static bool config_valid(const struct natt_udp_config *c)
{
	return c->batch >= 1 && c->batch <= NATT_UDP_MAX_BATCH && c->max_datagram >= 1 &&
	       c->max_datagram <= NATT_MAX_DATAGRAM && c->queue >= c->batch && c->bufsize >= 0;
}

/* ---- socket setup ---- */

static void set_buffers(struct natt_udp *u)
{
	int v = u->cfg.bufsize;
	socklen_t l = sizeof(int);

	u->info.rcvbuf_forced = setsockopt(u->fd, SOL_SOCKET, SO_RCVBUFFORCE, &v, sizeof(v)) == 0 &&
				setsockopt(u->fd, SOL_SOCKET, SO_SNDBUFFORCE, &v, sizeof(v)) == 0;
	if (!u->info.rcvbuf_forced) {
		setsockopt(u->fd, SOL_SOCKET, SO_RCVBUF, &v, sizeof(v));
		setsockopt(u->fd, SOL_SOCKET, SO_SNDBUF, &v, sizeof(v));
	}
	getsockopt(u->fd, SOL_SOCKET, SO_RCVBUF, &u->info.rcvbuf, &l);
	l = sizeof(int);
	getsockopt(u->fd, SOL_SOCKET, SO_SNDBUF, &u->info.sndbuf, &l);
}

static bool is_v6_any(const struct sockaddr *a)
{
	const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)a;

	return a->sa_family == AF_INET6 && memcmp(&s6->sin6_addr, &in6addr_any, 16) == 0;
}

/* Turns on what the kernel offers: GRO (Linux 5.0), GSO (Linux 4.18). */
static void probe_offloads(struct natt_udp *u)
{
	int one = 1, zero = 0;

	u->info.mmsg = !(u->cfg.disable & NATT_UDP_NO_MMSG);
	u->info.gro = !(u->cfg.disable & NATT_UDP_NO_GRO) &&
		      setsockopt(u->fd, SOL_UDP, UDP_GRO, &one, sizeof(one)) == 0;
	u->info.gso = !(u->cfg.disable & NATT_UDP_NO_GSO) &&
		      setsockopt(u->fd, SOL_UDP, UDP_SEGMENT, &zero, sizeof(zero)) == 0;
}

static int open_socket(struct natt_udp *u, const struct sockaddr *addr, socklen_t addrlen)
{
	int off = 0;

	if ((addr->sa_family != AF_INET || addrlen < sizeof(struct sockaddr_in)) &&
	    (addr->sa_family != AF_INET6 || addrlen < sizeof(struct sockaddr_in6)))
		return NATT_ERR_INVALID;
	u->fd = socket(addr->sa_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, IPPROTO_UDP);
	if (u->fd < 0)
		return NATT_ERR_IO;
	if (is_v6_any(addr))
		setsockopt(u->fd, IPPROTO_IPV6, IPV6_V6ONLY, &off, sizeof(off));
	set_buffers(u);
	if (bind(u->fd, addr, addrlen) != 0)
		return NATT_ERR_IO;
	u->info.local_len = sizeof(u->info.local);
	if (getsockname(u->fd, (struct sockaddr *)&u->info.local, &u->info.local_len) != 0)
		return NATT_ERR_IO;
	probe_offloads(u);
	return NATT_OK;
}

/* ---- memory ---- */

static int msgvec_alloc(struct msgvec *v, size_t n)
{
	v->n = n;
	v->m = calloc(n, sizeof(*v->m));
	v->iov = calloc(n, sizeof(*v->iov));
	v->ctl = calloc(n, sizeof(*v->ctl));
	return v->m && v->iov && v->ctl ? NATT_OK : NATT_ERR_NOMEM;
}

static void msgvec_free(struct msgvec *v)
{
	free(v->m);
	free(v->iov);
	free(v->ctl);
}

static int buffers_alloc(struct natt_udp *u)
{
	size_t slots = u->cfg.batch;

	u->rx_slot = u->cfg.max_datagram;
	if (u->info.gro) {
		u->rx_slot = NATT_UDP_GRO_BUF;
		slots = slots < RX_GRO_SLOTS_MAX ? slots : RX_GRO_SLOTS_MAX;
	}
	u->dg_cap = u->cfg.batch;
	if (msgvec_alloc(&u->rx, slots) != NATT_OK || msgvec_alloc(&u->tx, u->cfg.batch) != NATT_OK)
		return NATT_ERR_NOMEM;
	u->rx_addr = calloc(slots, sizeof(*u->rx_addr));
	u->rx_buf = malloc(slots * u->rx_slot);
	u->dg = calloc(u->dg_cap, sizeof(*u->dg));
	u->tx_ents = calloc(u->cfg.batch, sizeof(*u->tx_ents));
	u->q_cap = u->cfg.queue * u->cfg.max_datagram;
	u->q_buf = malloc(u->q_cap);
	u->q = calloc(u->cfg.queue, sizeof(*u->q));
	if (!u->rx_addr || !u->rx_buf || !u->dg || !u->tx_ents || !u->q_buf || !u->q)
		return NATT_ERR_NOMEM;
	return NATT_OK;
}

/* ---- receiving ---- */

static void rx_prepare(struct natt_udp *u)
{
	for (size_t i = 0; i < u->rx.n; i++) {
		struct msghdr *h = &u->rx.m[i].msg_hdr;

		u->rx.iov[i].iov_base = u->rx_buf + i * u->rx_slot;
		u->rx.iov[i].iov_len = u->rx_slot;
		h->msg_name = &u->rx_addr[i];
		h->msg_namelen = sizeof(u->rx_addr[i]);
		h->msg_iov = &u->rx.iov[i];
		h->msg_iovlen = 1;
		h->msg_control = u->info.gro ? u->rx.ctl[i] : NULL;
		h->msg_controllen = u->info.gro ? CTL_LEN : 0;
		h->msg_flags = 0;
	}
}

/* One receive call: the number of messages, 0 if none, -1 on error. */
static int rx_call(struct natt_udp *u)
{
	int n;

	rx_prepare(u);
	if (u->info.mmsg) {
		n = recvmmsg(u->fd, u->rx.m, (unsigned)u->rx.n, MSG_DONTWAIT, NULL);
		if (n >= 0 || errno != ENOSYS)
			return n < 0 && errno == EAGAIN ? 0 : n;
		u->info.mmsg = false;
	}
	for (n = 0; n < (int)u->rx.n; n++) {
		ssize_t r = recvmsg(u->fd, &u->rx.m[n].msg_hdr, MSG_DONTWAIT);

		if (r < 0)
			return n > 0 || errno == EAGAIN ? n : -1;
		u->rx.m[n].msg_len = (unsigned)r;
		u->st.rx_calls++;
	}
	return n;
}

static int gro_size(struct msghdr *h)
{
	for (struct cmsghdr *c = CMSG_FIRSTHDR(h); c != NULL; c = CMSG_NXTHDR(h, c))
		if (c->cmsg_level == SOL_UDP && c->cmsg_type == UDP_GRO) {
			int v;

			memcpy(&v, CMSG_DATA(c), sizeof(v));
			return v;
		}
	return 0;
}

static void deliver(struct natt_udp *u, size_t *n, natt_time_t now)
{
	if (*n > 0)
		u->cb(u->arg, u, u->dg, *n, now);
	*n = 0;
}

static void rx_one(struct natt_udp *u, struct msghdr *h, uint8_t *p, size_t len, size_t *n,
		   natt_time_t now)
{
	if (len > u->cfg.max_datagram) {
		u->st.rx_truncated++;
		return;
	}
	u->dg[*n] = (struct natt_dgram){p, len, h->msg_name, h->msg_namelen};
	u->st.rx_packets++;
	u->st.rx_bytes += len;
	if (++*n == u->dg_cap)
		deliver(u, n, now);
}

/* Cuts message i into datagrams (one, or GRO segments) for the callback. */
static void rx_split(struct natt_udp *u, size_t i, size_t *n, natt_time_t now)
{
	struct msghdr *h = &u->rx.m[i].msg_hdr;
	size_t len = u->rx.m[i].msg_len;
	size_t seg = u->info.gro ? (size_t)gro_size(h) : 0;
	uint8_t *p = u->rx_buf + i * u->rx_slot;

	if (h->msg_flags & MSG_TRUNC) {
		u->st.rx_truncated++;
		return;
	}
	if (seg == 0 || seg >= len) {
		rx_one(u, h, p, len, n, now);
		return;
	}
	for (size_t off = 0; off < len; off += seg)
		rx_one(u, h, p + off, len - off < seg ? len - off : seg, n, now);
}

static void on_read(evutil_socket_t fd, short what, void *arg)
{
	struct natt_udp *u = arg;

	(void)fd;
	(void)what;
	for (int round = 0; round < RX_ROUNDS; round++) {
		int got = rx_call(u);
		natt_time_t now;
		size_t n = 0;

		if (got < 0)
			u->st.rx_errors++;
		if (got <= 0)
			return;
		u->st.rx_calls += u->info.mmsg;
		now = natt_loop_now();
		for (int i = 0; i < got; i++)
			rx_split(u, (size_t)i, &n, now);
		deliver(u, &n, now);
		if ((size_t)got < u->rx.n)
			return;
	}
}

/* ---- sending ---- */

/* How many queue entries from i form one message (a GSO run or one). */
static size_t gso_run(const struct natt_udp *u, size_t i)
{
	const struct q_ent *a = &u->q[i];
	size_t n = 1, total = a->len;

	if (!u->info.gso)
		return 1;
	while (i + n < u->q_n && n < NATT_UDP_GSO_MAX_SEGS) {
		const struct q_ent *b = &u->q[i + n];

		if (b->len > a->len || b->len == 0 || total + b->len > NATT_MAX_DATAGRAM ||
		    b->addrlen != a->addrlen || memcmp(&b->addr, &a->addr, a->addrlen) != 0)
			break;
		total += b->len;
		n++;
		if (b->len < a->len)
			break; /* only the last segment may be shorter */
	}
	return n;
}

static void tx_fill_msg(struct natt_udp *u, size_t k, size_t i, size_t ents)
{
	struct msghdr *h = &u->tx.m[k].msg_hdr;
	size_t total = 0;

	for (size_t j = 0; j < ents; j++)
		total += u->q[i + j].len;
	u->tx.iov[k] = (struct iovec){u->q_buf + u->q[i].off, total};
	*h = (struct msghdr){.msg_name = &u->q[i].addr,
			     .msg_namelen = u->q[i].addrlen,
			     .msg_iov = &u->tx.iov[k],
			     .msg_iovlen = 1};
	u->tx_ents[k] = ents;
	if (ents > 1) {
		uint16_t seg = (uint16_t)u->q[i].len;
		struct cmsghdr *c;

		h->msg_control = u->tx.ctl[k];
		h->msg_controllen = CMSG_SPACE(sizeof(seg));
		c = CMSG_FIRSTHDR(h);
		c->cmsg_level = SOL_UDP;
		c->cmsg_type = UDP_SEGMENT;
		c->cmsg_len = CMSG_LEN(sizeof(seg));
		memcpy(CMSG_DATA(c), &seg, sizeof(seg));
	}
}

/* Builds up to batch messages from the queue head; returns how many. */
static size_t tx_build(struct natt_udp *u, bool first_single)
{
	size_t k = 0, i = u->q_head;

	while (k < u->tx.n && i < u->q_n) {
		size_t ents = (k == 0 && first_single) ? 1 : gso_run(u, i);

		tx_fill_msg(u, k++, i, ents);
		i += ents;
	}
	return k;
}

/* One send call over m messages: how many went out, or -1 (errno). */
static int tx_call(struct natt_udp *u, size_t m)
{
	int n;

	if (u->info.mmsg) {
		u->st.tx_calls++;
		n = sendmmsg(u->fd, u->tx.m, (unsigned)m, MSG_DONTWAIT);
		if (n >= 0 || errno != ENOSYS)
			return n;
		u->info.mmsg = false;
	}
	for (n = 0; n < (int)m; n++) {
		u->st.tx_calls++;
		if (sendmsg(u->fd, &u->tx.m[n].msg_hdr, MSG_DONTWAIT) < 0)
			return n > 0 ? n : -1;
	}
	return n;
}

static void tx_account(struct natt_udp *u, int sent)
{
	for (int k = 0; k < sent; k++) {
		u->st.tx_packets += u->tx_ents[k];
		u->st.tx_bytes += u->tx.iov[k].iov_len;
		u->st.tx_gso += u->tx_ents[k] > 1;
		u->q_head += u->tx_ents[k];
	}
}

/* Moves the unsent rest of the queue to the front of the arena. */
static void tx_compact(struct natt_udp *u)
{
	size_t base = u->q_head < u->q_n ? u->q[u->q_head].off : u->q_fill;

	memmove(u->q_buf, u->q_buf + base, u->q_fill - base);
	memmove(u->q, u->q + u->q_head, (u->q_n - u->q_head) * sizeof(*u->q));
	u->q_n -= u->q_head;
	u->q_fill -= base;
	for (size_t i = 0; i < u->q_n; i++)
		u->q[i].off -= base;
	u->q_head = 0;
}

static int tx_blocked(struct natt_udp *u)
{
	u->st.tx_blocked++;
	u->blocked = true;
	event_add(u->write_ev, NULL);
	tx_compact(u);
	return NATT_ERR_FULL;
}

/* A send error: EIO means the device cannot segment (GSO off for good);
 * other errors drop the first message, split first if it was a GSO run. */
static void tx_error(struct natt_udp *u, bool *first_single)
{
	if (errno == EINTR)
		return;
	if (u->tx_ents[0] > 1) {
		if (errno == EIO)
			u->info.gso = false;
		*first_single = true;
		return;
	}
	u->st.tx_errors++;
	u->q_head++;
}

int natt_udp_flush(struct natt_udp *u)
{
	bool first_single = false;

	if (u->blocked)
		return NATT_ERR_FULL;
	while (u->q_head < u->q_n) {
		size_t m = tx_build(u, first_single);
		int sent = tx_call(u, m);

		first_single = false;
		if (sent > 0) {
			tx_account(u, sent);
			continue;
		}
		if (errno == EAGAIN)
			return tx_blocked(u);
		tx_error(u, &first_single);
	}
	u->q_head = u->q_n = u->q_fill = 0;
	return NATT_OK;
}

static void on_flush(evutil_socket_t fd, short what, void *arg)
{
	struct natt_udp *u = arg;

	(void)fd;
	(void)what;
	u->flush_pending = false;
	natt_udp_flush(u);
}

static void on_write(evutil_socket_t fd, short what, void *arg)
{
	struct natt_udp *u = arg;

	(void)fd;
	(void)what;
	u->blocked = false;
	natt_udp_flush(u);
}

static bool queue_has_room(const struct natt_udp *u, size_t cap)
{
	return u->q_n < u->cfg.queue && u->q_fill + cap <= u->q_cap;
}

uint8_t *natt_udp_reserve(struct natt_udp *u, size_t cap)
{
	u->reserved = 0;
	if (cap == 0 || cap > u->cfg.max_datagram)
		return NULL;
	if (!queue_has_room(u, cap)) {
		natt_udp_flush(u);
		if (u->blocked)
			tx_compact(u);
		if (!queue_has_room(u, cap)) {
			u->st.tx_dropped++;
			return NULL;
		}
	}
	u->reserved = cap;
	return u->q_buf + u->q_fill;
}

int natt_udp_commit(struct natt_udp *u, size_t len, const struct sockaddr *dst, socklen_t dstlen)
{
	struct q_ent *e;

	if (u->reserved == 0 || len > u->reserved || dstlen > sizeof(e->addr))
		return NATT_ERR_INVALID;
	u->reserved = 0;
	e = &u->q[u->q_n++];
	e->off = u->q_fill;
	e->len = len;
	memcpy(&e->addr, dst, dstlen);
	e->addrlen = dstlen;
	u->q_fill += len;
	if (!u->flush_pending && !u->blocked) {
		u->flush_pending = true;
		event_active(u->flush_ev, EV_TIMEOUT, 1);
	}
	return NATT_OK;
}

int natt_udp_send(struct natt_udp *u, const void *data, size_t len, const struct sockaddr *dst,
		  socklen_t dstlen)
{
	uint8_t *p;

	if (len == 0 || len > u->cfg.max_datagram || dstlen > sizeof(struct sockaddr_storage))
		return NATT_ERR_INVALID;
	p = natt_udp_reserve(u, len);
	if (p == NULL)
		return NATT_ERR_FULL;
	memcpy(p, data, len);
	return natt_udp_commit(u, len, dst, dstlen);
}

/* ---- life cycle ---- */

static int events_new(struct natt_udp *u)
{
	struct event_base *b = natt_loop_base(u->loop);

	u->read_ev = event_new(b, u->fd, EV_READ | EV_PERSIST, on_read, u);
	u->write_ev = event_new(b, u->fd, EV_WRITE, on_write, u);
	u->flush_ev = event_new(b, -1, 0, on_flush, u);
	if (u->read_ev == NULL || u->write_ev == NULL || u->flush_ev == NULL)
		return NATT_ERR_NOMEM;
	return event_add(u->read_ev, NULL) == 0 ? NATT_OK : NATT_ERR_IO;
}

int natt_udp_open(struct natt_udp **out, struct natt_loop *loop, const struct sockaddr *addr,
		  socklen_t addrlen, const struct natt_udp_config *cfg, natt_udp_recv_cb cb,
		  void *arg)
{
	struct natt_udp *u;
	int rc;

	*out = NULL;
	if (cfg == NULL || !config_valid(cfg) || cb == NULL || addr == NULL)
		return NATT_ERR_INVALID;
	u = calloc(1, sizeof(*u));
	if (u == NULL)
		return NATT_ERR_NOMEM;
	u->fd = -1;
	u->loop = loop;
	u->cfg = *cfg;
	u->cb = cb;
	u->arg = arg;
	rc = open_socket(u, addr, addrlen);
	if (rc == NATT_OK)
		rc = buffers_alloc(u);
	if (rc == NATT_OK)
		rc = events_new(u);
	if (rc != NATT_OK) {
		int saved = errno;

		natt_udp_close(u);
		errno = saved;
		return rc;
	}
	*out = u;
	return NATT_OK;
}

void natt_udp_close(struct natt_udp *u)
{
	if (u == NULL)
		return;
	if (u->read_ev != NULL)
		event_free(u->read_ev);
	if (u->write_ev != NULL)
		event_free(u->write_ev);
	if (u->flush_ev != NULL)
		event_free(u->flush_ev);
	if (u->fd >= 0)
		close(u->fd);
	msgvec_free(&u->rx);
	msgvec_free(&u->tx);
	free(u->rx_addr);
	free(u->rx_buf);
	free(u->dg);
	free(u->tx_ents);
	free(u->q_buf);
	free(u->q);
	free(u);
}

const struct natt_udp_info *natt_udp_info(const struct natt_udp *u)
{
	return &u->info;
}

const struct natt_udp_stats *natt_udp_stats(const struct natt_udp *u)
{
	return &u->st;
}

int natt_udp_fd(const struct natt_udp *u)
{
	return u->fd;
}
