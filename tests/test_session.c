/*
 * test_session.c: one peer session (transport/session.c) end to end on the
 * simulated network (tests/session_harness.h): handshake, PARAMS and the
 * cipher chosen, data both ways byte for byte, keepalives, orderly close,
 * key epochs, a cipher mismatch, NAT rebinding, garbage and forged
 * packets, DATA before ESTABLISHED, bounds, and a start from punch.  The
 * handshake under loss, authentication failures and amplification are the
 * "handshake" suite (test_handshake.c).
 */
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "punch.h"
#include "session_harness.h"
#include "unit.h"

int natt_suite_session(void);

#define MS  NATT_MSEC
#define SEC NATT_SEC

static const struct sim_link_cfg wan = {.delay = 20 * MS};

static struct natt_session_config cfg_default(void)
{
	struct natt_session_config c;

	natt_session_config_default(&c);
	return c;
}

/* A pair on a 20 ms link, started, run to ESTABLISHED. */
static void open_pair(struct sh *h, uint64_t seed, const struct natt_session_config *c0,
		      const struct natt_session_config *c1)
{
	const struct natt_session_config *cfg[2] = {c0, c1};

	CU_ASSERT_EQUAL_FATAL(sh_init(h, seed, cfg, NULL), 0);
	CU_ASSERT_EQUAL_FATAL(sh_link_both(h, &wan), 0);
	sh_start(h, false);
	CU_ASSERT_EQUAL_FATAL(sh_run(h, 10 * SEC, sh_established), 0);
}

static struct natt_session_stats stats(const struct sh *h, int side)
{
	struct natt_session_stats st;

	natt_session_get_stats(h->side[side].s, &st);
	return st;
}

static struct natt_session_end end_of(const struct sh *h, int side)
{
	struct natt_session_end e;

	natt_session_get_end(h->side[side].s, &e);
	return e;
}

/* Both ways, varying sizes, byte for byte; then every counter agrees. */
static uint64_t data_drops(const struct natt_session_stats *st)
{
	return st->drops.data_auth + st->drops.data_replay + st->drops.data_other +
	       st->drops.data_early + st->drops.data_oversize;
}

static void exchange(struct sh *h, uint64_t n)
{
	struct natt_session_stats before[2] = {stats(h, 0), stats(h, 1)};

	sh_send(h, 0, n, 0);
	sh_send(h, 1, n, 0);
	CU_ASSERT_EQUAL_FATAL(sh_run(h, h->now + 30 * SEC, sh_delivered), 0);
	for (int i = 0; i < 2; i++) {
		struct natt_session_stats st = stats(h, i);

		CU_ASSERT_EQUAL(h->side[i].received, n);
		CU_ASSERT_EQUAL(h->side[i].bad, 0);
		CU_ASSERT_EQUAL(st.data_packets_in - before[i].data_packets_in, n);
		CU_ASSERT_EQUAL(st.data_lost, 0);
		CU_ASSERT_EQUAL(data_drops(&st), data_drops(&before[i]));
	}
}

static void close_both(struct sh *h, int side, uint16_t code, const char *reason)
{
	CU_ASSERT_EQUAL(natt_session_close(h->side[side].s, h->now, code, reason), NATT_OK);
	CU_ASSERT_EQUAL(natt_session_state(h->side[side].s), NATT_SESSION_CLOSING);
	CU_ASSERT_EQUAL(natt_session_close(h->side[side].s, h->now, code, reason), NATT_ERR_CLOSED);
	CU_ASSERT_EQUAL(sh_run(h, h->now + 30 * SEC, sh_done), 0);
}

/* ---- the whole life of a session ---- */

static void test_clean_session(void)
{
	static const enum natt_session_state want[] = {NATT_SESSION_HANDSHAKE,
						       NATT_SESSION_ESTABLISHED,
						       NATT_SESSION_CLOSING, NATT_SESSION_CLOSED};
	struct sh h;
	struct natt_session_end e;
	char line[512];
	size_t k = 0;

	open_pair(&h, 1, NULL, NULL);
	for (int i = 0; i < 2; i++) {
		struct natt_session_stats st = stats(&h, i);

		CU_ASSERT_EQUAL(st.state, NATT_SESSION_ESTABLISHED);
		CU_ASSERT_EQUAL(st.cipher, NATT_CIPHER_AES_256_GCM);
		CU_ASSERT_EQUAL(st.keepalive_s, NATT_SESSION_KEEPALIVE_S);
		CU_ASSERT_EQUAL(st.idle_timeout_s, NATT_SESSION_IDLE_TIMEOUT_S);
		CU_ASSERT(st.handshake_time > 0 && st.handshake_time < 1 * SEC);
		CU_ASSERT(st.control);
		CU_ASSERT(st.srtt >= 40 * MS && st.srtt < 60 * MS);
	}
	CU_ASSERT_STRING_EQUAL(natt_session_peer_name(h.side[0].s), "server");
	CU_ASSERT_STRING_EQUAL(natt_session_peer_name(h.side[1].s), "client");
	exchange(&h, 500);
	natt_session_status(h.side[0].s, line, sizeof(line));
	CU_ASSERT_PTR_NOT_NULL(strstr(line, "peer server cid 5555666677778888"));
	CU_ASSERT_PTR_NOT_NULL(strstr(line, "path 10.0.0.2:2000/0 state established rtt 4"));
	CU_ASSERT_PTR_NOT_NULL(strstr(line, "loss 0.00% (0/500) cipher AES-256-GCM"));
	CU_ASSERT_PTR_NOT_NULL(strstr(line, "in 500/"));

	close_both(&h, 0, NATT_CLOSE_NO_ERROR, "bye");
	for (int i = 0; i < 2; i++) {
		e = end_of(&h, i);
		CU_ASSERT_EQUAL(natt_session_state(h.side[i].s), NATT_SESSION_CLOSED);
		CU_ASSERT_EQUAL(e.reason, NATT_SESSION_R_CLOSED);
		CU_ASSERT_EQUAL(e.code, NATT_CLOSE_NO_ERROR);
		CU_ASSERT_STRING_EQUAL(e.text, "bye");
		CU_ASSERT_EQUAL(e.remote, i == 1);
		CU_ASSERT(e.authenticated);
		CU_ASSERT_EQUAL(natt_session_deadline(h.side[i].s), NATT_TIME_NEVER);
	}
	/* the client's state events, in order */
	for (size_t i = 0; i < h.side[0].nev; i++)
		if (h.side[0].ev[i].type == NATT_SESSION_EV_STATE && k < 4)
			CU_ASSERT_EQUAL(h.side[0].ev[i].to, want[k++]);
	CU_ASSERT_EQUAL(k, 4);
	CU_ASSERT_EQUAL(natt_session_send_data(h.side[0].s, h.now, (const uint8_t *)"x", 1,
					       (uint8_t[64]){0}, 64, NULL),
			NATT_ERR_CLOSED);
	sh_free(&h);
}

/* The server's preference wins; a client offering only ChaCha20 gets it. */
static void check_cipher(const struct natt_session_config *c0, const struct natt_session_config *c1,
			 uint8_t want)
{
	struct sh h;

	open_pair(&h, 2, c0, c1);
	CU_ASSERT_EQUAL(stats(&h, 0).cipher, want);
	CU_ASSERT_EQUAL(stats(&h, 1).cipher, want);
	exchange(&h, 200);
	sh_free(&h);
}

static void test_chacha(void)
{
	struct natt_session_config c = cfg_default(), s = cfg_default();

	s.cipher[0] = NATT_CIPHER_CHACHA20_POLY1305;
	s.cipher[1] = NATT_CIPHER_AES_256_GCM;
	check_cipher(&c, &s, NATT_CIPHER_CHACHA20_POLY1305); /* the server prefers it */
	s = cfg_default();
	c.ncipher = 1;
	c.cipher[0] = NATT_CIPHER_CHACHA20_POLY1305;
	check_cipher(&c, &s, NATT_CIPHER_CHACHA20_POLY1305); /* the client offers only it */
	c = cfg_default();
	s.ncipher = 1;
	check_cipher(&c, &s, NATT_CIPHER_AES_256_GCM); /* the server accepts only AES */
}

static void test_no_common_cipher(void)
{
	struct natt_session_config c = cfg_default(), s = cfg_default();
	const struct natt_session_config *cfg[2] = {&c, &s};
	struct natt_session_end e;
	struct sh h;

	c.ncipher = 1;
	c.cipher[0] = NATT_CIPHER_CHACHA20_POLY1305;
	s.ncipher = 1;
	s.cipher[0] = NATT_CIPHER_AES_256_GCM;
	CU_ASSERT_EQUAL_FATAL(sh_init(&h, 3, cfg, NULL), 0);
	sh_link_both(&h, &wan);
	sh_start(&h, false);
	CU_ASSERT_EQUAL(sh_run(&h, 30 * SEC, sh_done), 0);
	e = end_of(&h, 1);
	CU_ASSERT_EQUAL(natt_session_state(h.side[1].s), NATT_SESSION_FAILED);
	CU_ASSERT_EQUAL(e.reason, NATT_SESSION_R_NO_COMMON_CIPHER);
	CU_ASSERT_PTR_NOT_NULL(strstr(e.detail, "peer offers CHACHA20-POLY1305; we accept AES"));
	e = end_of(&h, 0);
	CU_ASSERT_EQUAL(natt_session_state(h.side[0].s), NATT_SESSION_FAILED);
	CU_ASSERT_EQUAL(e.reason, NATT_SESSION_R_PEER_CLOSE);
	CU_ASSERT(e.remote && e.authenticated);
	CU_ASSERT_EQUAL(e.code, NATT_CLOSE_PROTOCOL_VIOLATION);
	CU_ASSERT_STRING_EQUAL(e.text, "no common cipher");
	for (int i = 0; i < 2; i++)
		CU_ASSERT_EQUAL(h.side[i].established_at, NATT_TIME_NEVER);
	sh_free(&h);
}

/* The server closes with SHUTDOWN: both CLOSED, the client knows why. */
static void test_close_by_server(void)
{
	struct natt_session_end e;
	struct sh h;

	open_pair(&h, 4, NULL, NULL);
	close_both(&h, 1, NATT_CLOSE_SHUTDOWN, "service stop");
	e = end_of(&h, 0);
	CU_ASSERT_EQUAL(natt_session_state(h.side[0].s), NATT_SESSION_CLOSED);
	CU_ASSERT(e.remote && e.authenticated);
	CU_ASSERT_EQUAL(e.code, NATT_CLOSE_SHUTDOWN);
	CU_ASSERT_STRING_EQUAL(e.text, "service stop");
	CU_ASSERT_EQUAL(natt_session_state(h.side[1].s), NATT_SESSION_CLOSED);
	sh_free(&h);
}

/* A control PING is answered once, not ping-ponged, and refreshes the RTT. */
static void test_ping(void)
{
	struct sim_link_cfg slow = {.delay = 50 * MS};
	struct natt_session_stats c0, s0, c1, s1;
	struct sh h;

	open_pair(&h, 16, NULL, NULL);
	CU_ASSERT_EQUAL(natt_session_ping(h.side[1].s), NATT_OK); /* answered, quietly */
	CU_ASSERT_EQUAL(sh_run(&h, h.now + 2 * SEC, NULL), 1);
	sh_link_both(&h, &slow);
	c0 = stats(&h, 0);
	s0 = stats(&h, 1);
	CU_ASSERT_EQUAL(natt_session_ping(h.side[0].s), NATT_OK);
	CU_ASSERT_EQUAL(sh_run(&h, h.now + 10 * SEC, NULL), 1);
	c1 = stats(&h, 0);
	s1 = stats(&h, 1);
	/* the ping, the answer, and the stream's acknowledgements: a handful */
	CU_ASSERT(s1.handshake_packets_in - s0.handshake_packets_in >= 1);
	CU_ASSERT(c1.handshake_packets_in - c0.handshake_packets_in >= 1);
	CU_ASSERT(c1.handshake_packets_out - c0.handshake_packets_out <= 3);
	CU_ASSERT(s1.handshake_packets_out - s0.handshake_packets_out <= 3);
	CU_ASSERT(c1.srtt > c0.srtt); /* 100 ms samples pulled the 40 ms estimate up */
	close_both(&h, 0, NATT_CLOSE_NO_ERROR, NULL);
	CU_ASSERT_EQUAL(natt_session_ping(h.side[0].s), NATT_ERR_CLOSED);
	sh_free(&h);
}

/* Idle: keepalives at the smaller of the two intervals, both ways; the
 * session stays up for far longer than the idle timeout. */
static void test_keepalives(void)
{
	struct natt_session_config c = cfg_default(), s = cfg_default();
	struct sh h;

	c.keepalive_s = 5;
	s.keepalive_s = 10;
	s.idle_timeout_s = 30;
	open_pair(&h, 5, &c, &s);
	CU_ASSERT_EQUAL(sh_run(&h, h.now + 120 * SEC, NULL), 1);
	for (int i = 0; i < 2; i++) {
		struct natt_session_stats st = stats(&h, i);

		CU_ASSERT_EQUAL(st.state, NATT_SESSION_ESTABLISHED);
		CU_ASSERT_EQUAL(st.keepalive_s, 5);
		CU_ASSERT_EQUAL(st.idle_timeout_s, 30);
		/* 120 s / 5 s: 23 or 24 depending on where the first one fell */
		CU_ASSERT(st.keepalives_out >= 23 && st.keepalives_out <= 24);
		/* the last one may still be on its way */
		CU_ASSERT(st.keepalives_in + 1 >= stats(&h, 1 - i).keepalives_out);
		CU_ASSERT(st.keepalives_in <= stats(&h, 1 - i).keepalives_out);
		CU_ASSERT_EQUAL(st.data_lost, 0);
	}
	sh_free(&h);
}

static bool drop_all(void *ctx, struct sim *s, enum sim_hook_point at, struct sim_addr *from,
		     struct sim_addr *to, const uint8_t *data, size_t len)
{
	(void)ctx, (void)s, (void)at, (void)from, (void)to, (void)data, (void)len;
	return false;
}

/* The peer vanishes: idle timeout, silently, within the negotiated time. */
static void test_idle_timeout(void)
{
	struct natt_session_config c = cfg_default();
	natt_time_t t0;
	uint64_t out;
	struct sh h;

	c.idle_timeout_s = 40;
	open_pair(&h, 6, &c, NULL);
	sim_set_hook(h.sim, drop_all, NULL);
	t0 = h.now;
	CU_ASSERT_EQUAL(sh_run(&h, h.now + 120 * SEC, sh_done), 0);
	CU_ASSERT(h.now >= t0 + 40 * SEC - 100 * MS && h.now <= t0 + 41 * SEC);
	for (int i = 0; i < 2; i++) {
		CU_ASSERT_EQUAL(natt_session_state(h.side[i].s), NATT_SESSION_FAILED);
		CU_ASSERT_EQUAL(end_of(&h, i).reason, NATT_SESSION_R_IDLE_TIMEOUT);
	}
	out = h.side[0].packets_out + h.side[1].packets_out;
	CU_ASSERT_EQUAL(sh_run(&h, h.now + 60 * SEC, NULL), 2); /* nothing more happens */
	CU_ASSERT_EQUAL(h.side[0].packets_out + h.side[1].packets_out, out);
	sh_free(&h);
}

/* ---- key epochs ---- */

static void test_rekey(void)
{
	struct natt_session_config c = cfg_default();
	struct sim_link_cfg link = wan;
	struct sh h;

	c.rekey_packets = 100;
	open_pair(&h, 7, &c, &c);
	/* 100 Mbit/s, and one packet in five overtaken by about 18 others: packets
	 * cross the epoch switches (the receiver holds the previous epoch) */
	link.rate = 12500000;
	link.queue_limit = 8 << 20;
	link.reorder = 0.2;
	link.reorder_delay = 2 * MS;
	sh_link_both(&h, &link);
	exchange(&h, 2000);
	CU_ASSERT(sim_link_stats(h.sim, SH_IP(0), SH_IP(1))->reordered > 300);
	for (int i = 0; i < 2; i++) {
		struct natt_session_stats st = stats(&h, i), peer = stats(&h, 1 - i);

		CU_ASSERT_EQUAL(st.tx_epoch, 19);
		CU_ASSERT_EQUAL(st.rx_epoch, peer.tx_epoch);
	}
	sh_free(&h);
}

/* ---- paths ---- */

/* A datagram from an arbitrary address straight into a side's session. */
static int inject(struct sh *h, int side, struct sim_addr from, const uint8_t *pkt, size_t len)
{
	static uint8_t buf[NATT_MAX_DATAGRAM];
	struct natt_session_path p = sh_path_of(from);
	const uint8_t *data;

	memcpy(buf, pkt, len);
	return natt_session_recv(h->side[side].s, h->now, &p, buf, len, &data);
}

/* A DATA packet for a side that nobody with its keys made. */
static size_t forged_data(uint8_t *pkt, natt_cid_t dcid, uint64_t counter)
{
	struct natt_header hd = {.type = NATT_PT_DATA, .dcid = dcid, .counter = counter};
	int n = natt_header_encode(pkt, 64, &hd);

	CU_ASSERT_EQUAL_FATAL(n, NATT_DATA_HDR_LEN);
	memset(pkt + n, 0xa5, 40);
	return (size_t)n + 40;
}

/* NAT rebinding: the client's packets come from a new port.  Only an
 * authenticated DATA packet reports it; the path moves only when the
 * caller says so. */
static void test_rebinding(void)
{
	struct sim_addr moved = {SH_IP(0), 1001};
	const struct natt_session_event *ev;
	struct natt_session_path p;
	uint8_t pkt[128];
	struct sh h;

	open_pair(&h, 8, NULL, NULL);
	exchange(&h, 20);
	h.side[0].addr = moved;
	CU_ASSERT(inject(&h, 1, moved, (const uint8_t *)"\xd0garbage-garbage-garbage-garbage-x",
			 34) < 0);
	CU_ASSERT(inject(&h, 1, moved, pkt, forged_data(pkt, SH_CID(1), 1000)) == NATT_ERR_AUTH);
	CU_ASSERT_PTR_NULL(sh_event(&h, 1, NATT_SESSION_EV_PATH_CANDIDATE));
	CU_ASSERT_EQUAL(stats(&h, 1).path_candidates, 0);

	sh_send(&h, 0, 10, 100);
	sh_run(&h, h.now + 1 * SEC, NULL);
	CU_ASSERT_EQUAL(h.side[1].received, 10); /* the session is by cid, not address */
	ev = sh_event(&h, 1, NATT_SESSION_EV_PATH_CANDIDATE);
	CU_ASSERT_PTR_NOT_NULL_FATAL(ev);
	CU_ASSERT_EQUAL(ev->path.remote.port, 1001);
	CU_ASSERT_PTR_NOT_NULL(strstr(ev->text, "10.0.0.1:1001/0"));
	CU_ASSERT_EQUAL(stats(&h, 1).path_candidates, 10);
	natt_session_path(h.side[1].s, &p);
	CU_ASSERT_EQUAL(p.remote.port, 1000); /* not moved by itself */
	CU_ASSERT_EQUAL(h.side[1].nev, 3);    /* HANDSHAKE, ESTABLISHED, one candidate */

	p = sh_path_of(moved); /* the caller validated it (punch would) */
	CU_ASSERT_EQUAL(natt_session_migrate(h.side[1].s, &p, h.now), NATT_OK);
	sh_send(&h, 1, 10, 100);
	CU_ASSERT_EQUAL(sh_run(&h, h.now + 1 * SEC, sh_delivered), 0);
	CU_ASSERT_EQUAL(h.side[0].received, 10);
	ev = sh_event(&h, 1, NATT_SESSION_EV_PATH_CHANGED);
	CU_ASSERT_PTR_NOT_NULL_FATAL(ev);
	CU_ASSERT_PTR_NOT_NULL(strstr(ev->text, "from 10.0.0.1:1000/0 to 10.0.0.1:1001/0"));
	sh_free(&h);
}

/* ---- what must be ignored ---- */

/* Captures the first HANDSHAKE packet the client sends, for a replay. */
struct capture {
	uint8_t pkt[NATT_MAX_HANDSHAKE];
	size_t len;
};

static void capture_first(void *ctx, struct sh *h, int side, const uint8_t *pkt, size_t len)
{
	struct capture *c = ctx;

	(void)h;
	if (side == 0 && c->len == 0 && pkt[0] == NATT_PT_HANDSHAKE) {
		memcpy(c->pkt, pkt, len);
		c->len = len;
	}
}

/* A HANDSHAKE packet sealed with another network key. */
static size_t wrong_key_handshake(uint8_t *pkt)
{
	static const uint8_t other_key[NATT_KEY_LEN] = {1, 2, 3};
	struct natt_header hd = {.type = NATT_PT_HANDSHAKE, .dcid = SH_CID(1), .scid = SH_CID(0)};
	struct natt_frame f = {.type = NATT_FT_PING};
	struct natt_seal *seal = NULL;
	int n;

	CU_ASSERT_EQUAL_FATAL(natt_seal_new(&seal, other_key), NATT_OK);
	hd.pn = 7;
	n = natt_header_encode(pkt, NATT_MAX_HANDSHAKE, &hd);
	n += natt_frame_encode(pkt + n, 16, &f);
	n = natt_seal_seal(seal, NATT_SEAL_HANDSHAKE, pkt, NATT_HANDSHAKE_HDR_LEN,
			   (size_t)n - NATT_HANDSHAKE_HDR_LEN, NATT_MAX_HANDSHAKE);
	natt_seal_free(seal);
	CU_ASSERT_FATAL(n > 0);
	return (size_t)n;
}

static void test_garbage_ignored(void)
{
	struct sim_addr client = {SH_IP(0), SH_PORT(0)};
	struct capture cap = {.len = 0};
	uint8_t pkt[NATT_MAX_HANDSHAKE], junk[300];
	struct natt_session_stats st;
	struct sh h;
	size_t n;

	CU_ASSERT_EQUAL_FATAL(sh_init(&h, 9, NULL, NULL), 0);
	sh_link_both(&h, &wan);
	h.on_packet = capture_first;
	h.on_packet_ctx = &cap;
	sh_start(&h, false);
	CU_ASSERT_EQUAL_FATAL(sh_run(&h, 10 * SEC, sh_established), 0);
	CU_ASSERT_FATAL(cap.len > 0);
	for (size_t i = 0; i < sizeof(junk); i++)
		junk[i] = (uint8_t)(i * 37 + 11);
	for (int round = 0; round < 2; round++) { /* in the handshake's wake, then with data */
		junk[0] = 0x42;
		CU_ASSERT_EQUAL(inject(&h, 1, client, junk, sizeof(junk)), NATT_ERR_BAD_TYPE);
		junk[0] = NATT_PT_PROBE;
		CU_ASSERT_EQUAL(inject(&h, 1, client, junk, sizeof(junk)), NATT_ERR_BAD_TYPE);
		junk[0] = NATT_PT_HANDSHAKE;
		CU_ASSERT(inject(&h, 1, client, junk, sizeof(junk)) < 0);
		CU_ASSERT(inject(&h, 1, client, junk, 5) < 0);
		CU_ASSERT_EQUAL(inject(&h, 1, client, cap.pkt, cap.len), NATT_ERR_REPLAY);
		n = wrong_key_handshake(pkt);
		CU_ASSERT_EQUAL(inject(&h, 1, client, pkt, n), NATT_ERR_AUTH);
		n = forged_data(pkt, SH_CID(1), UINT64_C(1) << 40);
		CU_ASSERT_EQUAL(inject(&h, 1, client, pkt, n), NATT_ERR_AUTH);
		n = forged_data(pkt, SH_CID(0), UINT64_C(1) << 40); /* another connection's */
		CU_ASSERT_EQUAL(inject(&h, 1, client, pkt, n), NATT_ERR_WRONG_CID);
		CU_ASSERT(inject(&h, 1, client, pkt, 20) < 0);
		exchange(&h, 50 * (uint64_t)(round + 1));
	}
	st = stats(&h, 1);
	CU_ASSERT_EQUAL(st.state, NATT_SESSION_ESTABLISHED);
	CU_ASSERT_EQUAL(st.drops.not_ours, 4);
	CU_ASSERT_EQUAL(st.drops.handshake, 8);
	CU_ASSERT_EQUAL(st.drops.data_auth, 2);
	CU_ASSERT_EQUAL(st.drops.data_other, 4);
	CU_ASSERT_EQUAL(st.path_candidates, 0);
	CU_ASSERT_PTR_NULL(sh_event(&h, 1, NATT_SESSION_EV_PATH_CANDIDATE));
	sh_free(&h);
}

/* Drops the server's HANDSHAKE packets (its PARAMS answer, then their
 * retransmissions) for 300 ms from the moment it is ESTABLISHED, so that
 * its first DATA packets overtake them. */
struct hold {
	struct sh *h;
	natt_time_t until;
};

static bool hold_params(void *ctx, struct sim *s, enum sim_hook_point at, struct sim_addr *from,
			struct sim_addr *to, const uint8_t *data, size_t len)
{
	struct hold *hd = ctx;

	(void)s, (void)to, (void)len;
	if (at != SIM_HOOK_SEND || from->ip != SH_IP(1) || data[0] != NATT_PT_HANDSHAKE)
		return true;
	if (hd->until == 0 && natt_session_state(hd->h->side[1].s) == NATT_SESSION_ESTABLISHED)
		hd->until = hd->h->now + 300 * MS;
	return hd->until == 0 || hd->h->now >= hd->until;
}

static void test_data_before_established(void)
{
	uint8_t pkt[64];
	struct natt_session_stats st;
	struct sh h;
	struct hold hd = {&h, 0};

	CU_ASSERT_EQUAL_FATAL(sh_init(&h, 10, NULL, NULL), 0);
	sh_link_both(&h, &wan);
	/* a NEW session has no path: nothing is accepted */
	CU_ASSERT_EQUAL(inject(&h, 0, h.side[1].addr, pkt, forged_data(pkt, SH_CID(0), 0)),
			NATT_ERR_INVALID);
	sim_set_hook(h.sim, hold_params, &hd);
	sh_send(&h, 1, 5, 200); /* the server sends as soon as it is ESTABLISHED */
	sh_start(&h, false);
	CU_ASSERT_EQUAL(inject(&h, 0, h.side[1].addr, pkt, forged_data(pkt, SH_CID(0), 0)),
			NATT_ERR_CLOSED);
	CU_ASSERT_EQUAL_FATAL(sh_run(&h, 10 * SEC, sh_established), 0);
	CU_ASSERT_EQUAL(sh_run(&h, h.now + 2 * SEC, NULL), 1);
	st = stats(&h, 0);
	CU_ASSERT_EQUAL(st.drops.no_path, 1);
	CU_ASSERT_EQUAL(st.drops.data_early, 6); /* the forged one, then the server's five */
	CU_ASSERT_EQUAL(h.side[0].received, 0);
	CU_ASSERT_EQUAL(h.side[0].bad, 0);
	CU_ASSERT(h.side[0].established_at > h.side[1].established_at + 300 * MS);
	sh_free(&h);
}

/* ---- bounds ---- */

/* The event queue keeps the newest NATT_SESSION_EVENTS, counting the rest;
 * a flood of junk queues nothing and changes nothing. */
static void test_bounded_events(void)
{
	struct natt_session_event ev;
	struct natt_session_path p;
	struct sh h;
	uint8_t junk[200] = {NATT_PT_HANDSHAKE, NATT_VERSION};
	natt_time_t deadline;
	unsigned int n = 0;

	open_pair(&h, 11, NULL, NULL);
	deadline = natt_session_deadline(h.side[1].s);
	for (int i = 0; i < 20000; i++) {
		junk[2 + i % 100] ^= (uint8_t)i;
		inject(&h, 1, h.side[0].addr, junk, sizeof(junk));
	}
	CU_ASSERT_FALSE(natt_session_next_event(h.side[1].s, &ev));
	CU_ASSERT_EQUAL(natt_session_deadline(h.side[1].s), deadline);
	CU_ASSERT_EQUAL(stats(&h, 1).drops.handshake, 20000);
	for (uint16_t i = 0; i < 100; i++) {
		p = sh_path_of((struct sim_addr){SH_IP(0), (uint16_t)(2000 + i)});
		natt_session_migrate(h.side[1].s, &p, h.now);
	}
	while (natt_session_next_event(h.side[1].s, &ev)) {
		CU_ASSERT_EQUAL(ev.type, NATT_SESSION_EV_PATH_CHANGED);
		CU_ASSERT_EQUAL(ev.path.remote.port, 2000 + 100 - NATT_SESSION_EVENTS + n);
		n++;
	}
	CU_ASSERT_EQUAL(n, NATT_SESSION_EVENTS);
	CU_ASSERT_EQUAL(stats(&h, 1).events_dropped, 100 - NATT_SESSION_EVENTS);
	sh_free(&h);
}

/* A peer that never answers: the handshake gives up at its timeout. */
static void test_bounded_time(void)
{
	struct natt_session_config c = cfg_default();
	const struct natt_session_config *cfg[2] = {&c, &c};
	struct sh h;

	c.handshake_timeout = 10 * SEC;
	CU_ASSERT_EQUAL_FATAL(sh_init(&h, 12, cfg, NULL), 0);
	sim_set_hook(h.sim, drop_all, NULL);
	sh_start(&h, false);
	CU_ASSERT_EQUAL(sh_run(&h, 60 * SEC, sh_done), 0);
	CU_ASSERT(h.now == 10 * SEC);
	for (int i = 0; i < 2; i++) {
		CU_ASSERT_EQUAL(end_of(&h, i).reason, NATT_SESSION_R_HANDSHAKE_TIMEOUT);
		CU_ASSERT_EQUAL(natt_session_deadline(h.side[i].s), NATT_TIME_NEVER);
	}
	/* the client's probes backed off: a handful of packets, not a storm */
	CU_ASSERT(h.side[0].packets_out < 15);
	sh_free(&h);
}

/* Sending and receiving data does not grow the heap per packet (glibc's
 * count of bytes in use; under ASan or valgrind, which replace malloc, the
 * count stays 0 and only the plain build measures). */
static void test_memory_flat_per_packet(void)
{
	static uint8_t buf[2048];
	struct natt_session_path dst;
	const uint8_t *data;
	struct mallinfo2 before, after;
	struct sh h;
	int n;

	open_pair(&h, 13, NULL, NULL);
	before = mallinfo2();
	for (int i = 0; i < 5000; i++) {
		uint8_t *payload = buf + NATT_SESSION_DATA_HEADROOM;

		memset(payload, i, 1400);
		n = natt_session_send_data(h.side[0].s, h.now, payload, 1400, buf, sizeof(buf),
					   &dst);
		CU_ASSERT_FATAL(n == 1400 + NATT_SESSION_DATA_OVERHEAD);
		n = natt_session_recv(h.side[1].s, h.now, &(struct natt_session_path){0}, buf,
				      (size_t)n, &data);
		CU_ASSERT_FATAL(n == 1400);
	}
	after = mallinfo2();
	CU_ASSERT(after.uordblks <= before.uordblks + 1024);
	CU_ASSERT_EQUAL(stats(&h, 1).data_packets_in, 5000);
	sh_free(&h);
}

static void zero_rand(void *arg, uint8_t *buf, size_t len)
{
	(void)arg;
	memset(buf, 0, len);
}

static void test_config_checks(void)
{
	struct natt_session_config c = cfg_default();
	struct natt_session *s = NULL;
	struct sh h;

	CU_ASSERT_EQUAL_FATAL(sh_init(&h, 14, NULL, NULL), 0);
	c.keepalive_s = 25;
	CU_ASSERT_EQUAL(natt_session_new(&s, &c, NATT_SESSION_CLIENT, h.seal, h.side[0].ctx,
					 zero_rand, NULL, 1, 0),
			NATT_ERR_INVALID);
	c = cfg_default();
	c.idle_timeout_s = 2 * c.keepalive_s;
	CU_ASSERT_EQUAL(natt_session_new(&s, &c, 0, h.seal, h.side[0].ctx, zero_rand, NULL, 1, 0),
			NATT_ERR_INVALID);
	c = cfg_default();
	c.cipher[1] = 9;
	CU_ASSERT_EQUAL(natt_session_new(&s, &c, 0, h.seal, h.side[0].ctx, zero_rand, NULL, 1, 0),
			NATT_ERR_INVALID);
	c = cfg_default();
	c.rudp.max_ptos = 0;
	CU_ASSERT_EQUAL(natt_session_new(&s, &c, 0, h.seal, h.side[0].ctx, zero_rand, NULL, 1, 0),
			NATT_ERR_INVALID);
	CU_ASSERT_EQUAL(natt_session_new(&s, NULL, 0, h.seal, h.side[0].ctx, NULL, NULL, 1, 0),
			NATT_ERR_INVALID);
	CU_ASSERT_EQUAL(natt_session_new(&s, NULL, 0, h.seal, h.side[0].ctx, zero_rand, NULL, 0, 0),
			NATT_ERR_INVALID);
	CU_ASSERT_PTR_NULL(s);
	CU_ASSERT_EQUAL(natt_session_new(&s, NULL, 0, h.seal, h.side[0].ctx, zero_rand, NULL, 1, 0),
			NATT_OK);
	natt_session_free(s);
	/* a path needs an address and a peer cid */
	CU_ASSERT_EQUAL(
		natt_session_set_path(h.side[0].s, 0, &(struct natt_session_path){0}, false, 0),
		NATT_ERR_INVALID);
	CU_ASSERT_EQUAL(
		natt_session_set_path(h.side[0].s, 5, &(struct natt_session_path){0}, false, 0),
		NATT_ERR_INVALID);
	CU_ASSERT_EQUAL(natt_session_state(h.side[0].s), NATT_SESSION_NEW);
	CU_ASSERT_EQUAL(natt_session_close(h.side[0].s, 0, 0, "bad\n"), NATT_ERR_INVALID);
	CU_ASSERT_EQUAL(natt_session_close(h.side[0].s, 0, 0, NULL), NATT_OK);
	CU_ASSERT(natt_session_done(h.side[0].s));
	sh_free(&h);
}

/* ---- starting from punch ---- */

/*
 * Punch finds the path; the sessions start from it, the server's stream
 * counts the path validated (no 3x limit), and when the client's NAT
 * rebinds, the server's punch validates the new address (the session told
 * it about the authenticated DATA) and the session follows.
 */
static void test_punched(void)
{
	struct natt_session_stats st;
	const struct natt_session_event *ev;
	struct natt_session_path p;
	struct sh h;

	CU_ASSERT_EQUAL_FATAL(sh_init(&h, 15, NULL, NULL), 0);
	sh_link_both(&h, &wan);
	CU_ASSERT_EQUAL_FATAL(sh_punch(&h), 0);
	CU_ASSERT_EQUAL_FATAL(sh_run(&h, 10 * SEC, sh_established), 0);
	st = stats(&h, 1);
	CU_ASSERT(st.validated);
	CU_ASSERT_EQUAL(h.side[1].amp_checked, 0); /* never limited */
	exchange(&h, 50);

	h.side[0].addr.port = 1001; /* the client's NAT rebinds */
	sh_send(&h, 0, 1000, 200);
	CU_ASSERT_EQUAL(sh_run(&h, h.now + 2 * SEC, NULL), 1);
	ev = sh_event(&h, 1, NATT_SESSION_EV_PATH_CANDIDATE);
	CU_ASSERT_PTR_NOT_NULL(ev);
	ev = sh_event(&h, 1, NATT_SESSION_EV_PATH_CHANGED);
	CU_ASSERT_PTR_NOT_NULL_FATAL(ev);
	CU_ASSERT_PTR_NOT_NULL(strstr(ev->text, "validated by punch"));
	natt_session_path(h.side[1].s, &p);
	CU_ASSERT_EQUAL(p.remote.port, 1001);
	sh_send(&h, 1, 10, 100);
	CU_ASSERT_EQUAL(sh_run(&h, h.now + 1 * SEC, sh_delivered), 0);
	CU_ASSERT_EQUAL(natt_session_state(h.side[1].s), NATT_SESSION_ESTABLISHED);
	sh_free(&h);
}

static const struct natt_test tests[] = {
	{"clean_session", test_clean_session},
	{"chacha", test_chacha},
	{"no_common_cipher", test_no_common_cipher},
	{"close_by_server", test_close_by_server},
	{"ping", test_ping},
	{"keepalives", test_keepalives},
	{"idle_timeout", test_idle_timeout},
	{"rekey", test_rekey},
	{"rebinding", test_rebinding},
	{"garbage_ignored", test_garbage_ignored},
	{"data_before_established", test_data_before_established},
	{"bounded_events", test_bounded_events},
	{"bounded_time", test_bounded_time},
	{"memory_flat_per_packet", test_memory_flat_per_packet},
	{"config_checks", test_config_checks},
	{"punched", test_punched},
	{NULL, NULL},
};

int natt_suite_session(void)
{
	if (sh_pki() != 0)
		return -1;
	return natt_add_suite("session", tests);
}
