/*
 * bridge.c: loopback sockets between OpenVPN and the transport (bridge.h).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <event2/event.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "bridge.h"
#include "ovpn_pkt.h"

#define BUCKETS	      256	      /* peers hashed by id (a power of two) */
#define RECV_BUF      65536	      /* a whole UDP datagram */
#define RECV_PER_WAKE 64	      /* datagrams read per readiness event, for fairness */
#define HELD_MAX      4		      /* client: OpenVPN datagrams kept until the server is up */
#define HELD_LEN      1600	      /* ... each at most this long (a control packet) */
#define HELD_AGE_US   (5 * 1000000LL) /* ... and at most this old when it comes up */

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
	uint8_t buf[RECV_BUF];
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

static void from_openvpn(struct natt_bridge *b, struct bpeer *p, size_t len)
{
	p->st.from_openvpn_packets++;
	p->st.from_openvpn_bytes += len;
	b->out(b->arg, p->id, b->buf, len);
}

static void on_peer_socket(evutil_socket_t fd, short what, void *arg)
{
	struct bpeer *p = arg;
	struct natt_bridge *b = p->b;
	uint64_t id = p->id;

	(void)what;
	for (int i = 0; i < RECV_PER_WAKE; i++) {
		ssize_t n = recv(fd, b->buf, sizeof(b->buf), 0);

		if (n < 0)
			return; /* EAGAIN, or ECONNREFUSED while OpenVPN restarts */
		from_openvpn(b, p, (size_t)n);
		if (find(b, id) != p)
			return; /* the callback took the peer down */
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
static void hold(struct natt_bridge *b, size_t len)
{
	if (len > HELD_LEN)
		return;
	if (b->nheld == HELD_MAX) {
		memmove(&b->held[0], &b->held[1], sizeof(b->held[0]) * (HELD_MAX - 1));
		b->nheld--;
	}
	b->held[b->nheld].at = now_us();
	b->held[b->nheld].len = len;
	memcpy(b->held[b->nheld].data, b->buf, len);
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
	for (int i = 0; i < RECV_PER_WAKE; i++) {
		struct sockaddr_in src;
		socklen_t sl = sizeof(src);
		ssize_t n = recvfrom(fd, b->buf, sizeof(b->buf), 0, (struct sockaddr *)&src, &sl);

		if (n < 0)
			return;
		if (sl != sizeof(src) || src.sin_family != AF_INET)
			continue;
		b->openvpn_src = src;
		b->openvpn_known = true;
		if (b->only == NULL) {
			hold(b, (size_t)n);
			continue;
		}
		from_openvpn(b, b->only, (size_t)n);
	}
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
	ssize_t n;
	int fresh = 0;

	if (p == NULL)
		return NATT_ERR_INVALID;
	if (b->server) {
		fresh = new_session(b, p, data, len);
		n = send(p->fd, data, len, 0);
	} else if (b->openvpn_known) {
		n = sendto(b->listen_fd, data, len, 0, (const struct sockaddr *)&b->openvpn_src,
			   sizeof(b->openvpn_src));
	} else {
		n = -1;
	}
	if (n < 0) {
		p->st.dropped++;
		return NATT_ERR_FULL;
	}
	p->st.to_openvpn_packets++;
	p->st.to_openvpn_bytes += len;
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
