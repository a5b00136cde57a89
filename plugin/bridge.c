/*
 * bridge.c: loopback sockets between OpenVPN and the transport (bridge.h).
 *
 * Both directions are batched, because the helper's cost per datagram is
 * mostly system calls and wake-ups, not crypto (perf, bench-plugin):
 * one recvmmsg() reads up to RX_BATCH datagrams OpenVPN sent, and
 * datagrams for OpenVPN are copied into a send batch that goes out with
 * one sendmmsg() per socket at the end of the loop iteration (a libevent
 * event made active on the first queued datagram), or at once when the
 * batch is full.  Nothing waits longer than the iteration that produced
 * it, so the bridge adds no delay, only fewer calls.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <event2/event.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <netinet/udp.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "bridge.h"
#include "ovpn_pkt.h"

#define BUCKETS	    256		      /* peers hashed by id (a power of two) */
#define RECV_BUF    65536	      /* a whole UDP datagram */
#define RX_BATCH    16		      /* datagrams per recvmmsg() */
#define RX_ROUNDS   4		      /* recvmmsg() calls per readiness event, for fairness */
#define TX_BATCH    32		      /* datagrams queued for OpenVPN before a forced flush */
#define TX_ARENA    (TX_BATCH * 2048) /* their bytes; a longer one is sent alone */
#define GSO_SEGS    TX_BATCH	      /* datagrams per GSO send */
#define GSO_BYTES   65000	      /* bytes per GSO send (IPv4 UDP payload < 65508) */
#define HELD_MAX    4		      /* client: OpenVPN datagrams kept until the server is up */
#define HELD_LEN    1600	      /* ... each at most this long (a control packet) */
#define HELD_AGE_US (5 * 1000000LL)   /* ... and at most this old when it comes up */

struct bpeer {
	uint64_t id;
	int fd; /* server: this peer's socket; client: -1 (the listener is shared) */
	uint16_t port;
	struct event *ev;
	struct natt_bridge *b;
	struct natt_bridge_stats st;
	uint8_t sid[NATT_OVPN_SID_LEN]; /* server: session ID of the last client hard reset */
	bool have_sid;
	struct bpeer *next;
};

struct natt_bridge {
	struct event_base *base;
	bool server;
	struct sockaddr_in openvpn;
	natt_bridge_out_fn out;
	void *arg;
	struct bpeer *bucket[BUCKETS];
	size_t count;
	/* client */
	int listen_fd;
	struct event *listen_ev;
	struct sockaddr_in openvpn_src; /* where OpenVPN last sent from */
	bool openvpn_known;
	struct bpeer *only; /* the one peer of a client */
	struct {
		long long at; /* CLOCK_MONOTONIC, microseconds */
		size_t len;
		uint8_t data[HELD_LEN];
	} held[HELD_MAX]; /* client: what OpenVPN sent before the server was up */
	size_t nheld;
	/* receive: RX_BATCH buffers of RECV_BUF bytes */
	uint8_t (*rx_buf)[RECV_BUF];
	struct mmsghdr rx_msg[RX_BATCH];
	struct iovec rx_iov[RX_BATCH];
	struct sockaddr_in rx_src[RX_BATCH];
	/* send batch, in arrival order; fd -1: the client's listener */
	struct event *flush_ev;
	struct {
		struct bpeer *p;
		size_t off, len;
	} tx[TX_BATCH];
	size_t ntx, tx_fill;
	bool no_gso; /* the kernel refused a GSO send once */
	uint8_t tx_arena[TX_ARENA];
};

static struct bpeer **slot(struct natt_bridge *b, uint64_t id)
{
	struct bpeer **p = &b->bucket[(id ^ (id >> 17)) & (BUCKETS - 1)];

	while (*p != NULL && (*p)->id != id)
		p = &(*p)->next;
	return p;
}

static struct bpeer *find(const struct natt_bridge *b, uint64_t id)
{
	return *slot((struct natt_bridge *)b, id);
}

static int udp_socket(const struct sockaddr_in *bind_to, char *err, size_t errlen)
{
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);

	if (fd < 0) {
		snprintf(err, errlen, "socket: %s", strerror(errno));
		return -1;
	}
	if (bind(fd, (const struct sockaddr *)bind_to, sizeof(*bind_to)) < 0) {
		char a[INET_ADDRSTRLEN];

		inet_ntop(AF_INET, &bind_to->sin_addr, a, sizeof(a));
		snprintf(err, errlen, "bind %s:%u: %s", a, ntohs(bind_to->sin_port),
			 strerror(errno));
		close(fd);
		return -1;
	}
	return fd;
}

static void from_openvpn(struct natt_bridge *b, struct bpeer *p, const uint8_t *data, size_t len)
{
	p->st.from_openvpn_packets++;
	p->st.from_openvpn_bytes += len;
	b->out(b->arg, p->id, data, len);
}

/* One recvmmsg() on fd into the receive buffers; returns the count (0:
 * nothing, or an error such as ECONNREFUSED while OpenVPN restarts). */
static int rx_batch(struct natt_bridge *b, int fd)
{
	int n;

	for (int i = 0; i < RX_BATCH; i++) /* the only field recvmmsg() narrows */
		b->rx_msg[i].msg_hdr.msg_namelen = sizeof(b->rx_src[i]);
	n = recvmmsg(fd, b->rx_msg, RX_BATCH, MSG_DONTWAIT, NULL);
	return n > 0 ? n : 0;
}

/* The receive vectors point at fixed buffers: set once. */
static void rx_init(struct natt_bridge *b)
{
	for (int i = 0; i < RX_BATCH; i++) {
		b->rx_iov[i] = (struct iovec){.iov_base = b->rx_buf[i], .iov_len = RECV_BUF};
		b->rx_msg[i].msg_hdr = (struct msghdr){
			.msg_name = &b->rx_src[i],
			.msg_iov = &b->rx_iov[i],
			.msg_iovlen = 1,
		};
	}
}

static void on_peer_socket(evutil_socket_t fd, short what, void *arg)
{
	struct bpeer *p = arg;
	struct natt_bridge *b = p->b;
	uint64_t id = p->id;

	(void)what;
	for (int r = 0; r < RX_ROUNDS; r++) {
		int n = rx_batch(b, fd);

		for (int i = 0; i < n; i++) {
			from_openvpn(b, p, b->rx_buf[i], b->rx_msg[i].msg_len);
			if (find(b, id) != p)
				return; /* the callback took the peer down */
		}
		if (n < RX_BATCH)
			return;
	}
}

static long long now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* Client, no server yet: keep the newest HELD_MAX small datagrams, so that
 * OpenVPN's first packets go out as soon as the server is up instead of
 * after OpenVPN's own retransmission timeout. */
static void hold(struct natt_bridge *b, const uint8_t *data, size_t len)
{
	if (len > HELD_LEN)
		return;
	if (b->nheld == HELD_MAX) {
		memmove(&b->held[0], &b->held[1], sizeof(b->held[0]) * (HELD_MAX - 1));
		b->nheld--;
	}
	b->held[b->nheld].at = now_us();
	b->held[b->nheld].len = len;
	memcpy(b->held[b->nheld].data, data, len);
	b->nheld++;
}

static void flush_held(struct natt_bridge *b, struct bpeer *p)
{
	long long now = now_us();

	for (size_t i = 0; i < b->nheld; i++) {
		if (now - b->held[i].at > HELD_AGE_US)
			continue;
		p->st.from_openvpn_packets++;
		p->st.from_openvpn_bytes += b->held[i].len;
		b->out(b->arg, p->id, b->held[i].data, b->held[i].len);
	}
	b->nheld = 0;
}

static void on_listen_socket(evutil_socket_t fd, short what, void *arg)
{
	struct natt_bridge *b = arg;

	(void)what;
	for (int r = 0; r < RX_ROUNDS; r++) {
		int n = rx_batch(b, fd);

		for (int i = 0; i < n; i++) {
			const struct sockaddr_in *src = &b->rx_src[i];

			if (b->rx_msg[i].msg_hdr.msg_namelen != sizeof(*src) ||
			    src->sin_family != AF_INET)
				continue;
			b->openvpn_src = *src;
			b->openvpn_known = true;
			if (b->only == NULL)
				hold(b, b->rx_buf[i], b->rx_msg[i].msg_len);
			else
				from_openvpn(b, b->only, b->rx_buf[i], b->rx_msg[i].msg_len);
		}
		if (n < RX_BATCH)
			return;
	}
}

/* ---- the send batch ---- */

static void tx_account(struct bpeer *p, size_t len, bool sent)
{
	if (!sent) {
		p->st.dropped++;
		return;
	}
	p->st.to_openvpn_packets++;
	p->st.to_openvpn_bytes += len;
}

/* How many entries from k (all for one socket, ending before j) form one
 * message: a run of equal lengths (the last may be shorter) goes out as one
 * UDP GSO send, which crosses the loopback stack once and is cut into
 * datagrams only on OpenVPN's socket; otherwise one datagram. */
static size_t gso_run(const struct natt_bridge *b, size_t k, size_t j)
{
	size_t n = 1, total = b->tx[k].len, seg = b->tx[k].len;

	if (b->no_gso)
		return 1;
	while (k + n < j && n < GSO_SEGS && total + b->tx[k + n].len <= GSO_BYTES &&
	       b->tx[k + n].len <= seg && b->tx[k + n].len > 0) {
		total += b->tx[k + n].len;
		if (b->tx[k + n++].len < seg)
			break; /* only the last segment may be shorter */
	}
	return n;
}

/* Sends entries [i, j) (one socket) with sendmmsg(); what the socket does
 * not take is dropped and counted, as a full buffer on a network would. */
static void tx_run(struct natt_bridge *b, size_t i, size_t j)
{
	struct mmsghdr m[TX_BATCH];
	struct iovec iov[TX_BATCH];
	uint8_t ctl[TX_BATCH][CMSG_SPACE(sizeof(uint16_t))];
	size_t first[TX_BATCH + 1], n = 0, done = 0;
	struct bpeer *p = b->tx[i].p;
	int fd = b->server ? p->fd : b->listen_fd;

	for (size_t k = i; k < j; n++) {
		size_t ents = gso_run(b, k, j), total = 0;
		struct msghdr *h = &m[n].msg_hdr;

		for (size_t e = k; e < k + ents; e++)
			total += b->tx[e].len;
		first[n] = k;
		iov[n] = (struct iovec){.iov_base = b->tx_arena + b->tx[k].off, .iov_len = total};
		*h = (struct msghdr){.msg_iov = &iov[n], .msg_iovlen = 1};
		if (!b->server) {
			h->msg_name = &b->openvpn_src;
			h->msg_namelen = sizeof(b->openvpn_src);
		}
		if (ents > 1) {
			uint16_t seg = (uint16_t)b->tx[k].len;
			struct cmsghdr *c;

			h->msg_control = ctl[n];
			h->msg_controllen = sizeof(ctl[n]);
			c = CMSG_FIRSTHDR(h);
			c->cmsg_level = SOL_UDP;
			c->cmsg_type = UDP_SEGMENT;
			c->cmsg_len = CMSG_LEN(sizeof(seg));
			memcpy(CMSG_DATA(c), &seg, sizeof(seg));
		}
		k += ents;
	}
	first[n] = j;
	while (done < n) {
		int r = sendmmsg(fd, m + done, (unsigned int)(n - done), MSG_DONTWAIT);

		if (r <= 0 && first[done + 1] - first[done] > 1 && errno != EAGAIN &&
		    errno != ECONNREFUSED) {
			b->no_gso = true; /* the kernel cannot segment: datagrams one by one */
			tx_run(b, first[done], j);
			return;
		}
		if (r <= 0) /* full, or refused while OpenVPN restarts: drop, go on */
			r = -1;
		for (size_t e = first[done]; e < first[done + (r < 0 ? 1 : (size_t)r)]; e++)
			tx_account(b->tx[e].p, b->tx[e].len, r > 0);
		done += r < 0 ? 1 : (size_t)r;
	}
}

/* Sends everything queued for OpenVPN, in order, one sendmmsg() per run of
 * datagrams for the same socket. */
static void tx_flush(struct natt_bridge *b)
{
	size_t i = 0;

	while (i < b->ntx) {
		size_t j = i + 1;

		while (j < b->ntx && b->tx[j].p == b->tx[i].p)
			j++;
		tx_run(b, i, j);
		i = j;
	}
	b->ntx = 0;
	b->tx_fill = 0;
}

static void on_flush(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	tx_flush(arg);
}

/* Queues a datagram for OpenVPN behind p; sends the batch first when it has
 * no room, and a datagram too long for the arena alone. */
static void tx_queue(struct natt_bridge *b, struct bpeer *p, const uint8_t *data, size_t len)
{
	if (b->ntx == TX_BATCH || b->tx_fill + len > TX_ARENA)
		tx_flush(b);
	if (len > TX_ARENA) {
		int fd = b->server ? p->fd : b->listen_fd;
		ssize_t n = b->server ? send(fd, data, len, MSG_DONTWAIT)
				      : sendto(fd, data, len, MSG_DONTWAIT,
					       (const struct sockaddr *)&b->openvpn_src,
					       sizeof(b->openvpn_src));

		tx_account(p, len, n >= 0);
		return;
	}
	if (b->ntx == 0)
		event_active(b->flush_ev, EV_TIMEOUT, 1);
	memcpy(b->tx_arena + b->tx_fill, data, len);
	b->tx[b->ntx].p = p;
	b->tx[b->ntx].off = b->tx_fill;
	b->tx[b->ntx].len = len;
	b->ntx++;
	b->tx_fill += len;
}

void natt_bridge_flush(struct natt_bridge *b)
{
	tx_flush(b);
}

int natt_bridge_new(struct natt_bridge **out_bridge, struct event_base *base, bool server,
		    const struct sockaddr_in *openvpn, natt_bridge_out_fn out, void *arg, char *err,
		    size_t errlen)
{
	struct natt_bridge *b;

	*out_bridge = NULL;
	if (openvpn->sin_family != AF_INET || openvpn->sin_port == 0 ||
	    (ntohl(openvpn->sin_addr.s_addr) >> 24) != 127) {
		snprintf(err, errlen, "openvpn-address must be 127.x.x.x with a port");
		return NATT_ERR_INVALID;
	}
	b = calloc(1, sizeof(*b));
	if (b == NULL)
		return NATT_ERR_NOMEM;
	b->base = base;
	b->server = server;
	b->openvpn = *openvpn;
	b->out = out;
	b->arg = arg;
	b->listen_fd = -1;
	b->rx_buf = malloc(sizeof(*b->rx_buf) * RX_BATCH);
	b->flush_ev = event_new(base, -1, 0, on_flush, b);
	if (b->rx_buf == NULL || b->flush_ev == NULL) {
		natt_bridge_free(b);
		return NATT_ERR_NOMEM;
	}
	rx_init(b);
	if (!server) {
		b->listen_fd = udp_socket(openvpn, err, errlen);
		b->listen_ev = b->listen_fd < 0
				       ? NULL
				       : event_new(base, b->listen_fd, EV_READ | EV_PERSIST,
						   on_listen_socket, b);
		if (b->listen_ev == NULL || event_add(b->listen_ev, NULL) < 0) {
			natt_bridge_free(b);
			return NATT_ERR_IO;
		}
	}
	*out_bridge = b;
	return NATT_OK;
}

static void peer_free(struct bpeer *p)
{
	if (p->ev != NULL)
		event_free(p->ev);
	if (p->fd >= 0)
		close(p->fd);
	free(p);
}

void natt_bridge_free(struct natt_bridge *b)
{
	if (b == NULL)
		return;
	tx_flush(b);
	for (int i = 0; i < BUCKETS; i++)
		while (b->bucket[i] != NULL) {
			struct bpeer *p = b->bucket[i];

			b->bucket[i] = p->next;
			peer_free(p);
		}
	if (b->listen_ev != NULL)
		event_free(b->listen_ev);
	if (b->listen_fd >= 0)
		close(b->listen_fd);
	if (b->flush_ev != NULL)
		event_free(b->flush_ev);
	free(b->rx_buf);
	free(b);
}

static int open_peer_socket(struct natt_bridge *b, struct bpeer *p)
{
	struct sockaddr_in local = b->openvpn;
	socklen_t sl = sizeof(local);
	char err[128];

	local.sin_port = 0;
	p->fd = udp_socket(&local, err, sizeof(err));
	if (p->fd < 0)
		return NATT_ERR_IO;
	if (connect(p->fd, (const struct sockaddr *)&b->openvpn, sizeof(b->openvpn)) < 0 ||
	    getsockname(p->fd, (struct sockaddr *)&local, &sl) < 0)
		return NATT_ERR_IO;
	p->port = ntohs(local.sin_port);
	p->ev = event_new(b->base, p->fd, EV_READ | EV_PERSIST, on_peer_socket, p);
	if (p->ev == NULL || event_add(p->ev, NULL) < 0)
		return NATT_ERR_IO;
	return NATT_OK;
}

int natt_bridge_peer_up(struct natt_bridge *b, uint64_t peer, uint16_t *port)
{
	struct bpeer **s = slot(b, peer);
	struct bpeer *p;
	int rc = NATT_OK;

	if (*s != NULL)
		return NATT_ERR_EXISTS;
	if ((b->server && b->count == NATT_BRIDGE_MAX_PEERS) || (!b->server && b->only != NULL))
		return NATT_ERR_FULL;
	p = calloc(1, sizeof(*p));
	if (p == NULL)
		return NATT_ERR_NOMEM;
	p->id = peer;
	p->b = b;
	p->fd = -1;
	if (b->server)
		rc = open_peer_socket(b, p);
	else
		p->port = ntohs(b->openvpn.sin_port);
	if (rc != NATT_OK) {
		peer_free(p);
		return rc;
	}
	if (!b->server)
		b->only = p;
	*s = p;
	b->count++;
	if (port != NULL)
		*port = p->port;
	if (!b->server)
		flush_held(b, p);
	return NATT_OK;
}

void natt_bridge_peer_down(struct natt_bridge *b, uint64_t peer)
{
	struct bpeer **s = slot(b, peer);
	struct bpeer *p = *s;

	if (p == NULL)
		return;
	tx_flush(b); /* the batch may point at p */
	*s = p->next;
	if (b->only == p)
		b->only = NULL;
	b->count--;
	peer_free(p);
}

/* Server: a new OpenVPN session behind p gets a fresh loopback port.
 * Returns 1 (new port), 0 (same session or not a hard reset), NATT_ERR_IO. */
static int new_session(struct natt_bridge *b, struct bpeer *p, const uint8_t *data, size_t len)
{
	uint8_t sid[NATT_OVPN_SID_LEN];
	struct bpeer old = *p;
	bool fresh;

	if (!natt_ovpn_client_hard_reset(data, len, sid))
		return 0;
	fresh = p->have_sid && memcmp(sid, p->sid, sizeof(sid)) != 0;
	memcpy(p->sid, sid, sizeof(sid));
	p->have_sid = true;
	if (!fresh)
		return 0;
	tx_flush(b); /* what the old session sent goes out on its old socket */
	p->fd = -1;
	p->ev = NULL;
	if (open_peer_socket(b, p) != NATT_OK) {
		if (p->ev != NULL)
			event_free(p->ev);
		if (p->fd >= 0)
			close(p->fd);
		p->fd = old.fd;
		p->ev = old.ev;
		p->port = old.port;
		return NATT_ERR_IO;
	}
	event_free(old.ev);
	close(old.fd);
	p->st.new_ports++;
	return 1;
}

int natt_bridge_to_openvpn(struct natt_bridge *b, uint64_t peer, const uint8_t *data, size_t len)
{
	struct bpeer *p = find(b, peer);
	int fresh = 0;

	if (p == NULL)
		return NATT_ERR_INVALID;
	if (b->server) {
		fresh = new_session(b, p, data, len);
	} else if (!b->openvpn_known) {
		p->st.dropped++;
		return NATT_ERR_FULL;
	}
	tx_queue(b, p, data, len);
	return fresh;
}

uint16_t natt_bridge_port(const struct natt_bridge *b, uint64_t peer)
{
	const struct bpeer *p = find(b, peer);

	return p != NULL ? p->port : 0;
}

const struct natt_bridge_stats *natt_bridge_stats(const struct natt_bridge *b, uint64_t peer)
{
	const struct bpeer *p = find(b, peer);

	return p != NULL ? &p->st : NULL;
}

size_t natt_bridge_count(const struct natt_bridge *b)
{
	return b->count;
}
