/*
 * test_bridge.c: the plugin's loopback bridge (plugin/bridge.c), with real
 * loopback sockets standing in for OpenVPN.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "bridge.h"
#include "loop.h"
#include "unit.h"

struct seen {
	struct natt_loop *loop;
	int calls;
	uint64_t peer;
	char data[64];
};

static void on_out(void *arg, uint64_t peer, const uint8_t *data, size_t len)
{
	struct seen *s = arg;

	s->calls++;
	s->peer = peer;
	memcpy(s->data, data, len < sizeof(s->data) - 1 ? len : sizeof(s->data) - 1);
	s->data[len < sizeof(s->data) - 1 ? len : sizeof(s->data) - 1] = '\0';
	natt_loop_stop(s->loop);
}

/* A UDP socket on 127.0.0.1 (port 0: any); fills *sa with its address. */
static int udp_on(uint16_t port, struct sockaddr_in *sa)
{
	socklen_t sl = sizeof(*sa);
	int fd = socket(AF_INET, SOCK_DGRAM, 0);

	memset(sa, 0, sizeof(*sa));
	sa->sin_family = AF_INET;
	sa->sin_port = htons(port);
	sa->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	CU_ASSERT_FATAL(fd >= 0);
	CU_ASSERT_FATAL(bind(fd, (struct sockaddr *)sa, sizeof(*sa)) == 0);
	getsockname(fd, (struct sockaddr *)sa, &sl);
	return fd;
}

/* Receives one datagram within 1 s; returns its length (-1: none). */
static ssize_t recv_one(int fd, char *buf, size_t cap, struct sockaddr_in *from)
{
	struct pollfd p = {.fd = fd, .events = POLLIN};
	socklen_t sl = sizeof(*from);
	ssize_t n;

	if (poll(&p, 1, 1000) != 1)
		return -1;
	n = recvfrom(fd, buf, cap - 1, 0, (struct sockaddr *)from, &sl);
	if (n >= 0)
		buf[n] = '\0';
	return n;
}

static void pump(struct seen *s)
{
	natt_loop_run(s->loop, natt_loop_now() + 500 * NATT_MSEC);
}

static void send_to(int fd, const char *text, uint16_t port)
{
	struct sockaddr_in dst = {.sin_family = AF_INET, .sin_port = htons(port)};

	dst.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	CU_ASSERT(sendto(fd, text, strlen(text), 0, (struct sockaddr *)&dst, sizeof(dst)) ==
		  (ssize_t)strlen(text));
}

static void test_server_socket_per_peer(void)
{
	struct seen s = {0};
	struct natt_bridge *b;
	struct sockaddr_in ov, from;
	char err[256], buf[64];
	uint16_t p1 = 0, p2 = 0;
	int fd = udp_on(0, &ov);

	CU_ASSERT_EQUAL_FATAL(natt_loop_new(&s.loop, false), NATT_OK);
	CU_ASSERT_EQUAL_FATAL(natt_bridge_new(&b, natt_loop_base(s.loop), true, &ov, on_out, &s,
					      err, sizeof(err)),
			      NATT_OK);
	CU_ASSERT_EQUAL(natt_bridge_peer_up(b, 11, &p1), NATT_OK);
	CU_ASSERT_EQUAL(natt_bridge_peer_up(b, 22, &p2), NATT_OK);
	CU_ASSERT_EQUAL(natt_bridge_peer_up(b, 11, NULL), NATT_ERR_EXISTS);
	CU_ASSERT(p1 != 0 && p2 != 0 && p1 != p2);
	CU_ASSERT_EQUAL(natt_bridge_port(b, 11), p1);
	CU_ASSERT_EQUAL(natt_bridge_count(b), 2);

	/* peer -> OpenVPN: from the peer's own port, stable */
	CU_ASSERT_EQUAL(natt_bridge_to_openvpn(b, 22, (const uint8_t *)"to-ovpn", 7), NATT_OK);
	natt_loop_run(s.loop, natt_loop_now() + 20 * NATT_MSEC); /* the loop sends the batch */
	CU_ASSERT_EQUAL(recv_one(fd, buf, sizeof(buf), &from), 7);
	CU_ASSERT_STRING_EQUAL(buf, "to-ovpn");
	CU_ASSERT_EQUAL(ntohs(from.sin_port), p2);

	/* OpenVPN -> peer: the port tells which peer */
	send_to(fd, "reply-1", p1);
	pump(&s);
	CU_ASSERT_EQUAL(s.calls, 1);
	CU_ASSERT_EQUAL(s.peer, 11);
	CU_ASSERT_STRING_EQUAL(s.data, "reply-1");
	CU_ASSERT_EQUAL(natt_bridge_stats(b, 11)->from_openvpn_packets, 1);
	CU_ASSERT_EQUAL(natt_bridge_stats(b, 11)->from_openvpn_bytes, 7);
	CU_ASSERT_EQUAL(natt_bridge_stats(b, 22)->to_openvpn_packets, 1);

	natt_bridge_peer_down(b, 11);
	CU_ASSERT_EQUAL(natt_bridge_port(b, 11), 0);
	CU_ASSERT_PTR_NULL(natt_bridge_stats(b, 11));
	CU_ASSERT_EQUAL(natt_bridge_to_openvpn(b, 11, (const uint8_t *)"x", 1), NATT_ERR_INVALID);
	CU_ASSERT_EQUAL(natt_bridge_count(b), 1);
	natt_bridge_peer_down(b, 999); /* unknown: ignored */
	natt_bridge_free(b);
	natt_loop_free(s.loop);
	close(fd);
}

static void test_client_one_listener(void)
{
	struct seen s = {0};
	struct natt_bridge *b, *b2;
	struct sockaddr_in ov, from;
	char err[256], buf[64];
	uint16_t port = 0;
	int probe = udp_on(0, &ov), fd;

	close(probe); /* a free port for the bridge to listen on */
	CU_ASSERT_EQUAL_FATAL(natt_loop_new(&s.loop, false), NATT_OK);
	CU_ASSERT_EQUAL_FATAL(natt_bridge_new(&b, natt_loop_base(s.loop), false, &ov, on_out, &s,
					      err, sizeof(err)),
			      NATT_OK);
	CU_ASSERT_EQUAL(natt_bridge_new(&b2, natt_loop_base(s.loop), false, &ov, on_out, &s, err,
					sizeof(err)),
			NATT_ERR_IO);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "Address already in use"));
	CU_ASSERT_EQUAL(natt_bridge_peer_up(b, 7, &port), NATT_OK);
	CU_ASSERT_EQUAL(port, ntohs(ov.sin_port));
	CU_ASSERT_EQUAL(natt_bridge_peer_up(b, 8, NULL), NATT_ERR_FULL);

	/* nothing from OpenVPN yet: nowhere to send */
	CU_ASSERT_EQUAL(natt_bridge_to_openvpn(b, 7, (const uint8_t *)"early", 5), NATT_ERR_FULL);
	CU_ASSERT_EQUAL(natt_bridge_stats(b, 7)->dropped, 1);

	fd = udp_on(0, &from);
	send_to(fd, "hello", ntohs(ov.sin_port));
	pump(&s);
	CU_ASSERT_EQUAL(s.calls, 1);
	CU_ASSERT_EQUAL(s.peer, 7);
	CU_ASSERT_STRING_EQUAL(s.data, "hello");
	CU_ASSERT_EQUAL(natt_bridge_to_openvpn(b, 7, (const uint8_t *)"back", 4), NATT_OK);
	natt_bridge_flush(b);
	CU_ASSERT_EQUAL(recv_one(fd, buf, sizeof(buf), &from), 4);
	CU_ASSERT_STRING_EQUAL(buf, "back");
	CU_ASSERT_EQUAL(ntohs(from.sin_port), ntohs(ov.sin_port));

	/* the server's session ends: the listener stays, datagrams are not passed on */
	natt_bridge_peer_down(b, 7);
	send_to(fd, "lost", ntohs(ov.sin_port));
	pump(&s);
	CU_ASSERT_EQUAL(s.calls, 1); /* no session: not passed on */
	/* held until the next session is up, then handed over at once */
	CU_ASSERT_EQUAL(natt_bridge_peer_up(b, 9, NULL), NATT_OK);
	CU_ASSERT_EQUAL(s.calls, 2);
	CU_ASSERT_EQUAL(s.peer, 9);
	CU_ASSERT_STRING_EQUAL(s.data, "lost");
	natt_bridge_peer_down(b, 9);
	for (int i = 0; i < 6; i++) { /* only the newest 4 are kept */
		char text[24];

		snprintf(text, sizeof(text), "held-%d", i);
		send_to(fd, text, ntohs(ov.sin_port));
	}
	pump(&s); /* nothing delivered: no peer */
	CU_ASSERT_EQUAL(s.calls, 2);
	CU_ASSERT_EQUAL(natt_bridge_peer_up(b, 10, NULL), NATT_OK);
	CU_ASSERT_EQUAL(s.calls, 6);
	CU_ASSERT_STRING_EQUAL(s.data, "held-5");
	CU_ASSERT_EQUAL(natt_bridge_stats(b, 10)->from_openvpn_packets, 4);
	natt_bridge_free(b);
	natt_loop_free(s.loop);
	close(fd);
}

/* A client hard reset: opcode 7 (P_CONTROL_HARD_RESET_CLIENT_V2) key 0, sid. */
static void hard_reset(uint8_t *pkt, uint8_t op, uint8_t sid_byte)
{
	memset(pkt, 0, 26);
	pkt[0] = (uint8_t)(op << 3);
	memset(pkt + 1, sid_byte, 8);
}

static void test_new_openvpn_session_new_port(void)
{
	struct seen s = {0};
	struct natt_bridge *b;
	struct sockaddr_in ov, from;
	uint8_t pkt[26];
	char err[256], buf[64];
	uint16_t p1 = 0, p2;
	int fd = udp_on(0, &ov);

	CU_ASSERT_EQUAL_FATAL(natt_loop_new(&s.loop, false), NATT_OK);
	CU_ASSERT_EQUAL_FATAL(natt_bridge_new(&b, natt_loop_base(s.loop), true, &ov, on_out, &s,
					      err, sizeof(err)),
			      NATT_OK);
	CU_ASSERT_EQUAL_FATAL(natt_bridge_peer_up(b, 5, &p1), NATT_OK);
	hard_reset(pkt, 7, 0xaa);
	CU_ASSERT_EQUAL(natt_bridge_to_openvpn(b, 5, pkt, sizeof(pkt)), 0); /* first session */
	CU_ASSERT_EQUAL(natt_bridge_to_openvpn(b, 5, pkt, sizeof(pkt)), 0); /* retransmission */
	hard_reset(pkt, 3, 0xbb); /* a soft reset (renegotiation) is not a new session */
	CU_ASSERT_EQUAL(natt_bridge_to_openvpn(b, 5, pkt, sizeof(pkt)), 0);
	CU_ASSERT_EQUAL(natt_bridge_port(b, 5), p1);
	natt_bridge_flush(b);
	for (int i = 0; i < 3; i++)
		CU_ASSERT_EQUAL(recv_one(fd, buf, sizeof(buf), &from), 26);
	CU_ASSERT_EQUAL(ntohs(from.sin_port), p1);

	hard_reset(pkt, 10, 0xcc); /* V3, new session ID: the client restarted */
	CU_ASSERT_EQUAL(natt_bridge_to_openvpn(b, 5, pkt, sizeof(pkt)), 1);
	natt_bridge_flush(b);
	p2 = natt_bridge_port(b, 5);
	CU_ASSERT(p2 != 0 && p2 != p1);
	CU_ASSERT_EQUAL(recv_one(fd, buf, sizeof(buf), &from), 26);
	CU_ASSERT_EQUAL(ntohs(from.sin_port), p2);
	CU_ASSERT_EQUAL(natt_bridge_stats(b, 5)->new_ports, 1);
	send_to(fd, "to-new-port", p2); /* OpenVPN answers the new address */
	pump(&s);
	CU_ASSERT_EQUAL(s.calls, 1);
	CU_ASSERT_EQUAL(s.peer, 5);
	CU_ASSERT_STRING_EQUAL(s.data, "to-new-port");
	pkt[0] = 7 << 3;
	CU_ASSERT_EQUAL(natt_bridge_to_openvpn(b, 5, pkt, 8), 0); /* too short to hold a sid */
	natt_bridge_free(b);
	natt_loop_free(s.loop);
	close(fd);
}

struct many {
	struct natt_loop *loop;
	int calls, in_order;
};

static void on_out_many(void *arg, uint64_t peer, const uint8_t *data, size_t len)
{
	struct many *m = arg;

	(void)peer;
	if (len == 100 && data[0] == (uint8_t)m->calls)
		m->in_order++;
	m->calls++;
}

/* Batching in both directions keeps every datagram, in order, each from or
 * to its peer's own port, whatever the batch boundaries. */
static void test_batches_keep_order(void)
{
	struct many m = {0};
	struct natt_bridge *b;
	struct sockaddr_in ov, from;
	static uint8_t big[30000], buf[65536];
	uint8_t d[100];
	char err[256];
	uint16_t pa = 0, pb = 0;
	int fd = udp_on(0, &ov), n_a = 0, n_b = 0, order_ok = 1;
	int next_a = 0, next_b = 0;

	CU_ASSERT_EQUAL_FATAL(natt_loop_new(&m.loop, false), NATT_OK);
	CU_ASSERT_EQUAL_FATAL(natt_bridge_new(&b, natt_loop_base(m.loop), true, &ov, on_out_many,
					      &m, err, sizeof(err)),
			      NATT_OK);
	CU_ASSERT_EQUAL_FATAL(natt_bridge_peer_up(b, 1, &pa), NATT_OK);
	CU_ASSERT_EQUAL_FATAL(natt_bridge_peer_up(b, 2, &pb), NATT_OK);
	/* 80 datagrams, two peers interleaved in runs, one too long for the
	 * batch in the middle: more than two batches' worth */
	for (int i = 0; i < 80; i++) {
		memset(d, 0, sizeof(d));
		d[0] = (uint8_t)i;
		if (i == 50) {
			memset(big, 0x5a, sizeof(big));
			big[0] = 50;
			CU_ASSERT_EQUAL(natt_bridge_to_openvpn(b, 1, big, sizeof(big)), NATT_OK);
			continue;
		}
		CU_ASSERT_EQUAL(natt_bridge_to_openvpn(b, (i / 7) % 2 ? 2 : 1, d, sizeof(d)),
				NATT_OK);
	}
	natt_loop_run(m.loop, natt_loop_now() + 20 * NATT_MSEC);
	for (int i = 0; i < 80; i++) {
		ssize_t n;
		struct pollfd p = {.fd = fd, .events = POLLIN};
		socklen_t sl = sizeof(from);

		if (poll(&p, 1, 1000) != 1)
			break;
		n = recvfrom(fd, buf, sizeof(buf), 0, (struct sockaddr *)&from, &sl);
		if (ntohs(from.sin_port) == pa) {
			order_ok &= buf[0] >= next_a;
			next_a = buf[0] + 1;
			n_a++;
			if (buf[0] == 50)
				CU_ASSERT_EQUAL(n, (ssize_t)sizeof(big));
		} else if (ntohs(from.sin_port) == pb) {
			order_ok &= buf[0] >= next_b;
			next_b = buf[0] + 1;
			n_b++;
		}
	}
	CU_ASSERT_EQUAL(n_a + n_b, 80);
	CU_ASSERT(order_ok);
	CU_ASSERT_EQUAL(natt_bridge_stats(b, 1)->to_openvpn_packets, (uint64_t)n_a);
	CU_ASSERT_EQUAL(natt_bridge_stats(b, 2)->to_openvpn_packets, (uint64_t)n_b);
	CU_ASSERT_EQUAL(natt_bridge_stats(b, 1)->dropped + natt_bridge_stats(b, 2)->dropped, 0);

	/* OpenVPN -> peer: 70 datagrams queued before the bridge reads any */
	for (int i = 0; i < 70; i++) {
		memset(d, 0, sizeof(d));
		d[0] = (uint8_t)i;
		CU_ASSERT(sendto(fd, d, sizeof(d), 0,
				 (struct sockaddr *)&(struct sockaddr_in){
					 .sin_family = AF_INET,
					 .sin_port = htons(pa),
					 .sin_addr.s_addr = htonl(INADDR_LOOPBACK)},
				 sizeof(struct sockaddr_in)) == (ssize_t)sizeof(d));
	}
	for (int i = 0; i < 10 && m.calls < 70; i++)
		natt_loop_run(m.loop, natt_loop_now() + 20 * NATT_MSEC);
	CU_ASSERT_EQUAL(m.calls, 70);
	CU_ASSERT_EQUAL(m.in_order, 70);
	CU_ASSERT_EQUAL(natt_bridge_stats(b, 1)->from_openvpn_packets, 70);
	natt_bridge_free(b);
	natt_loop_free(m.loop);
	close(fd);
}

static void test_refuses_non_loopback(void)
{
	struct natt_bridge *b = (struct natt_bridge *)1;
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(1194)};
	char err[128];

	a.sin_addr.s_addr = htonl(0x0a000001); /* 10.0.0.1 */
	CU_ASSERT_EQUAL(natt_bridge_new(&b, NULL, true, &a, on_out, NULL, err, sizeof(err)),
			NATT_ERR_INVALID);
	CU_ASSERT_PTR_NULL(b);
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	a.sin_port = 0;
	CU_ASSERT_EQUAL(natt_bridge_new(&b, NULL, true, &a, on_out, NULL, err, sizeof(err)),
			NATT_ERR_INVALID);
}

static const struct natt_test tests[] = {
	{"server: one stable loopback socket per peer", test_server_socket_per_peer},
	{"client: one listener, replies to OpenVPN's last address", test_client_one_listener},
	{"server: a new OpenVPN session gets a new port", test_new_openvpn_session_new_port},
	{"batches keep every datagram, in order, on its peer's port", test_batches_keep_order},
	{"refuses a non-loopback or port-less OpenVPN address", test_refuses_non_loopback},
	{NULL, NULL},
};

int natt_suite_bridge(void)
{
	return natt_add_suite("bridge", tests);
}
