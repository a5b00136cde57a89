/*
 * gen_session.c: session.pcapng (Linux cooked v2, as `tcpdump -i any`
 * writes): a whole session seen from the public side, with the faults a
 * real network adds, each placed so that the expected statistics are known
 * by construction:
 *
 *   0 ms     server RDV_REGISTER / RDV_REGISTER_ACK
 *   100 ms   client STUN Binding request / response
 *   200 ms   client RDV_LOOKUP / RDV_LOOKUP_REPLY, RDV_INTRODUCE to the server
 *   300 ms   PROBE / PROBE_REPLY both ways (every answer 20 ms after its request)
 *   400 ms   HANDSHAKE: client pn 0-2 (pn 2 resends stream bytes: one
 *            retransmission), server pn 0-2, ACKs 20 ms after what they ack
 *   600 ms   DATA both ways every 10 ms, 60 packets each, key epochs of 25
 *            packets; client -> server: counters 10 and 11 lost, 20 and 21
 *            swapped, packet 30 duplicated; after packet 40 the client's NAT
 *            rebinds (port 61000 -> 61001): both CIDs change path
 *   then     three client keepalives 15 s apart
 *
 * With session.keylog, DATA opens (client -> server AES-256-GCM, server ->
 * client ChaCha20-Poly1305).
 */
#include <string.h>

#include "gen.h"

#define SESSION_DATA  60
#define SESSION_REKEY 25
#define RTT	      (20 * GEN_MS)

struct session {
	struct pw_file w;
	struct pw_endpoint srv, cli, cli2, rdv;
	uint8_t pkt[GEN_PKT_MAX];
};

static void rdv_msg(struct natt_rdv_msg *m, uint8_t type, uint64_t txid)
{
	memset(m, 0, sizeof(*m));
	m->type = type;
	m->timestamp_ms = GEN_T0 / 1000;
	m->txid = txid;
}

static void cand4(struct natt_cand *c, uint8_t kind, const struct pw_endpoint *e)
{
	memset(c, 0, sizeof(*c));
	c->kind = kind;
	c->family = 4;
	c->port = e->port;
	memcpy(c->addr, e->a, 4);
}

static void send_rdv(struct session *s, uint64_t t, const struct pw_endpoint *from,
		     const struct pw_endpoint *to, const struct natt_rdv_msg *m)
{
	size_t n = gen_rdv(s->pkt, m, 0);

	pw_udp(&s->w, t, from, to, s->pkt, n);
}

static void rendezvous(struct session *s)
{
	struct natt_rdv_msg m;
	uint8_t txid[NATT_STUN_TXID_LEN], resp[256];
	struct natt_cand from;
	size_t n;

	rdv_msg(&m, NATT_PT_RDV_REGISTER, 0x1001);
	m.reg.seq = 1;
	m.reg.lifetime_s = 60;
	gen_ok(natt_name_set(&m.reg.name, "office-gw"), "name");
	m.reg.cands.count = 1;
	cand4(&m.reg.cands.cand[0], NATT_CAND_HOST, &gen_server);
	send_rdv(s, GEN_T0, &s->srv, &s->rdv, &m);
	rdv_msg(&m, NATT_PT_RDV_REGISTER_ACK, 0x1001);
	m.reg_ack.lifetime_s = 60;
	cand4(&m.reg_ack.observed, NATT_CAND_SRFLX, &s->srv);
	send_rdv(s, GEN_T0 + 5 * GEN_MS, &s->rdv, &s->srv, &m);

	memset(txid, 0x5a, sizeof(txid));
	n = gen_ok(natt_stun_binding_request(s->pkt, sizeof(s->pkt), txid, true), "stun");
	pw_udp(&s->w, GEN_T0 + 100 * GEN_MS, &s->cli, &s->rdv, s->pkt, n);
	cand4(&from, NATT_CAND_SRFLX, &s->cli);
	n = gen_ok(natt_stun_answer(resp, sizeof(resp), s->pkt, n, &from), "stun answer");
	pw_udp(&s->w, GEN_T0 + 105 * GEN_MS, &s->rdv, &s->cli, resp, n);

	rdv_msg(&m, NATT_PT_RDV_LOOKUP, 0x2002);
	m.lookup.cid = GEN_CLIENT_CID;
	gen_ok(natt_name_set(&m.lookup.target, "office-gw"), "name");
	send_rdv(s, GEN_T0 + 200 * GEN_MS, &s->cli, &s->rdv, &m);
	rdv_msg(&m, NATT_PT_RDV_LOOKUP_REPLY, 0x2002);
	cand4(&m.lookup_reply.observed, NATT_CAND_SRFLX, &s->cli);
	m.lookup_reply.cands.count = 1;
	cand4(&m.lookup_reply.cands.cand[0], NATT_CAND_SRFLX, &s->srv);
	send_rdv(s, GEN_T0 + 205 * GEN_MS, &s->rdv, &s->cli, &m);
	rdv_msg(&m, NATT_PT_RDV_INTRODUCE, 0x3003);
	m.introduce.cid = GEN_CLIENT_CID;
	cand4(&m.introduce.observed, NATT_CAND_SRFLX, &s->cli);
	send_rdv(s, GEN_T0 + 206 * GEN_MS, &s->rdv, &s->srv, &m);
}

static void probes(struct session *s)
{
	size_t n;

	n = gen_probe(s->pkt, NATT_PT_PROBE, 0, GEN_CLIENT_CID, 0x21, 100);
	pw_udp(&s->w, GEN_T0 + 300 * GEN_MS, &s->cli, &s->srv, s->pkt, n);
	n = gen_probe(s->pkt, NATT_PT_PROBE, GEN_CLIENT_CID, GEN_SERVER_CID, 0x22, 100);
	pw_udp(&s->w, GEN_T0 + 310 * GEN_MS, &s->srv, &s->cli, s->pkt, n);
	n = gen_probe(s->pkt, NATT_PT_PROBE_REPLY, GEN_CLIENT_CID, GEN_SERVER_CID, 0x21, 100);
	pw_udp(&s->w, GEN_T0 + 300 * GEN_MS + RTT, &s->srv, &s->cli, s->pkt, n);
	n = gen_probe(s->pkt, NATT_PT_PROBE_REPLY, GEN_SERVER_CID, GEN_CLIENT_CID, 0x22, 100);
	pw_udp(&s->w, GEN_T0 + 310 * GEN_MS + RTT, &s->cli, &s->srv, s->pkt, n);
}

static void hs(struct session *s, uint64_t t, bool from_client, uint64_t pn,
	       const struct natt_frame *f, size_t nf)
{
	natt_cid_t d = from_client ? GEN_SERVER_CID : GEN_CLIENT_CID;
	natt_cid_t sc = from_client ? GEN_CLIENT_CID : GEN_SERVER_CID;
	size_t n = gen_handshake(s->pkt, d, sc, pn, f, nf);

	pw_udp(&s->w, t, from_client ? &s->cli : &s->srv, from_client ? &s->srv : &s->cli, s->pkt,
	       n);
}

static void handshake(struct session *s)
{
	struct natt_frame f[2];
	uint64_t t = GEN_T0 + 400 * GEN_MS;

	gen_frame_stream(&f[0], 0, 300);
	hs(s, t, true, 0, f, 1);
	gen_frame_ack(&f[0], 0, 0);
	gen_frame_stream(&f[1], 0, 600);
	hs(s, t + RTT, false, 0, f, 2);
	gen_frame_stream(&f[0], 600, 600);
	hs(s, t + RTT + 1 * GEN_MS, false, 1, f, 1);
	gen_frame_ack(&f[0], 1, 1);
	gen_frame_stream(&f[1], 300, 100);
	hs(s, t + 2 * RTT + 1 * GEN_MS, true, 1, f, 2);
	gen_frame_stream(&f[0], 300, 100); /* resent: a retransmission */
	hs(s, t + 100 * GEN_MS, true, 2, f, 1);
	gen_frame_ack(&f[0], 2, 2);
	hs(s, t + 100 * GEN_MS + RTT, false, 2, f, 1);
}

/* Client -> server DATA packet i; the faults are applied by the caller. */
static void data_phase(struct session *s, struct natt_dc *c2s, struct natt_dc *s2c)
{
	static uint8_t held[SESSION_DATA][GEN_PKT_MAX];
	static size_t held_len[SESSION_DATA];
	uint64_t t0 = GEN_T0 + 600 * GEN_MS;

	for (unsigned i = 0; i < SESSION_DATA; i++) {
		uint64_t t = t0 + i * 10 * GEN_MS;
		const struct pw_endpoint *cli = i > 40 ? &s->cli2 : &s->cli;
		size_t n;

		held_len[i] = gen_data(c2s, t, held[i], 100 + (i * 37) % 1100);
		if (i == 10 || i == 11 || i == 20) {
			/* 10, 11: lost before the capture point; 20: sent after 21 */
		} else {
			pw_udp(&s->w, t, cli, &s->srv, held[i], held_len[i]);
		}
		if (i == 21)
			pw_udp(&s->w, t + 1, cli, &s->srv, held[20], held_len[20]);
		if (i == 30)
			pw_udp(&s->w, t + 2, cli, &s->srv, held[30], held_len[30]);
		n = gen_data(s2c, t + 5 * GEN_MS, s->pkt, 100 + (i * 53) % 1100);
		pw_udp(&s->w, t + 5 * GEN_MS, &s->srv, cli, s->pkt, n);
	}
	for (unsigned k = 1; k <= 3; k++) {
		uint64_t t = t0 + SESSION_DATA * 10 * GEN_MS + k * 15 * 1000 * GEN_MS;
		size_t n = gen_ok(natt_dc_keepalive(c2s, t, s->pkt, sizeof(s->pkt)), "keepalive");
		pw_udp(&s->w, t, &s->cli2, &s->srv, s->pkt, n);
	}
}

static void expectations(void)
{
	static const char *const keyed_args =
		"[\"--network-key\", \"@vectors/network.key\", \"--keylog\", "
		"\"@inspect/session.keylog\"]";
	struct gen_expect e;

	for (int keyed = 0; keyed < 2; keyed++) {
		gen_expect_begin(&e, keyed ? "session-keys" : "session", "session.pcapng",
				 keyed ? keyed_args : "[]", 0, NULL);
		gen_expect(&e, "\"link_type\": \"LINUX_SLL2\"");
		gen_expect(&e, "\"flow_count\": 4");
		gen_expect(&e, "\"duplicates\": 1");
		gen_expect(&e, "\"path_changes\": {\"count\": 2}");
		gen_expect(
			&e,
			"\"flows\": [{\"kind\": \"rendezvous\", \"packets\": 3}, "
			"{\"kind\": \"mixed\", \"packets\": 4, \"stun\": {\"requests\": 1, "
			"\"responses\": 1}}, {\"kind\": \"peer\", \"handshake_duration\": 0.2, "
			"\"a_to_b\": {\"lost\": 2, \"reordered\": 1, \"duplicates\": 1}, "
			"\"b_to_a\": {\"lost\": 0, \"reordered\": 0}%s}, {\"path_changes\": 2, "
			"\"a_to_b\": {\"keepalives\": 3, \"keepalive_interval\": {\"samples\": 2, "
			"\"min\": 15, \"median\": 15, \"max\": 15}}}]",
			keyed ? ", \"rtt\": {\"samples\": 5, \"min\": 0.02, \"max\": 0.02}, "
				"\"retransmissions\": {\"packets\": 1, \"of\": 5}"
			      : ", \"rtt\": {\"samples\": 2, \"min\": 0.02, \"max\": 0.02}");
		gen_expect_checks(&e, "", "", keyed, keyed);
		gen_expect_end(&e);
	}
}

void gen_session(void)
{
	struct session s;
	struct natt_dc *c2s, *s2c;
	uint8_t tx[32];
	FILE *kl;

	memset(&s, 0, sizeof(s));
	s.srv = pw_ep("203.0.113.7", 40001);
	s.cli = pw_ep("203.0.113.50", 61000);
	s.cli2 = pw_ep("203.0.113.50", 61001);
	s.rdv = gen_rendezvous;
	pw_open(&s.w, gen_path("session.pcapng"), PW_LINUX_SLL2, true, 262144);
	rendezvous(&s);
	probes(&s);
	handshake(&s);
	gen_secret(tx, 0x40);
	c2s = gen_dc(tx, GEN_SERVER_CID, GEN_CLIENT_CID, SESSION_REKEY, NATT_CIPHER_AES_256_GCM);
	gen_secret(tx, 0x80);
	s2c = gen_dc(tx, GEN_CLIENT_CID, GEN_SERVER_CID, SESSION_REKEY,
		     NATT_CIPHER_CHACHA20_POLY1305);
	data_phase(&s, c2s, s2c);
	natt_dc_free(c2s);
	natt_dc_free(s2c);
	pw_close(&s.w);

	kl = fopen(gen_path("session.keylog"), "w");
	if (kl == NULL)
		gen_die("session.keylog: cannot write");
	fputs("# Key log of session.pcapng (doc/PROTOCOL.md 12).  Test secrets: public.\n"
	      "NATT_DATA_SECRET 5152535455565758 aes-256-gcm "
	      "404142434445464748494a4b4c4d4e4f505152535455565758595a5b5c5d5e5f\n"
	      "NATT_DATA_SECRET c1c2c3c4c5c6c7c8 chacha20-poly1305 "
	      "808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9f\n",
	      kl);
	if (fclose(kl) != 0)
		gen_die("session.keylog: write failed");
	expectations();
}
