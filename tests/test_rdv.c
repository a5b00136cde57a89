/*
 * test_rdv.c: the rendezvous server core (transport/rdv_server.c), driven
 * with sealed messages built here through wire.h and seal.h, and a virtual
 * clock; and the fixture the suite's other files share (test_rdv.h).  Its
 * limits are tested in test_rdv_limits.c, the client in test_rdv_client.c;
 * this file registers the whole suite.
 */
#include <stdio.h>
#include <string.h>

#include "rdv.h"
#include "stun.h"
#include "test_rdv.h"
#include "unit.h"

/* ---- fixture ---- */

struct natt_cand_list rdvt_hosts(unsigned int n, uint8_t subnet)
{
	struct natt_cand_list l;

	memset(&l, 0, sizeof(l));
	l.count = (uint8_t)n;
	for (unsigned int i = 0; i < n; i++)
		l.cand[i] = natt_test_v4(10, subnet, 0, (uint8_t)(i + 1), (uint16_t)(1194 + i),
					 NATT_CAND_HOST);
	if (n > 1) { /* one IPv6 host candidate too */
		struct natt_cand *c = &l.cand[n - 1];

		memset(c, 0, sizeof(*c));
		c->kind = NATT_CAND_HOST;
		c->family = 6;
		c->port = 1194;
		c->addr[0] = 0xfd;
		c->addr[1] = subnet;
		c->addr[15] = 1;
	}
	return l;
}

void rdvt_fx_init_cfg(struct rdvt_fx *f, const struct natt_rdv_server_config *cfg)
{
	memset(f, 0, sizeof(*f));
	f->rng = 0x1234567887654321u;
	f->seal = natt_test_seal(0x10);
	f->other = natt_test_seal(0x80);
	natt_seal_network_id(f->seal, f->id);
	natt_seal_network_id(f->other, f->other_id);
	CU_ASSERT_EQUAL_FATAL(natt_rdv_server_new(&f->srv, cfg, natt_test_rng, &f->rng), NATT_OK);
	CU_ASSERT_EQUAL_FATAL(natt_rdv_server_add_network(f->srv, "alpha", f->seal), 0);
	f->now = RDVT_T0;
	f->wall = RDVT_WALL0;
	f->srv_addr = natt_test_v4(203, 0, 113, 10, 40000, NATT_CAND_SRFLX);
	f->cli_addr = natt_test_v4(198, 51, 100, 20, 50000, NATT_CAND_SRFLX);
}

void rdvt_small_config(struct natt_rdv_server_config *cfg)
{
	natt_rdv_server_config_default(cfg);
	cfg->max_registrations = 1000;
	cfg->salt_capacity = 8192;
}

void rdvt_fx_init(struct rdvt_fx *f)
{
	struct natt_rdv_server_config cfg;

	rdvt_small_config(&cfg);
	rdvt_fx_init_cfg(f, &cfg);
}

void rdvt_fx_free(struct rdvt_fx *f)
{
	natt_rdv_server_free(f->srv);
	natt_seal_free(f->seal);
	natt_seal_free(f->other);
}

/* Moves both clocks on. */
void rdvt_fx_advance(struct rdvt_fx *f, natt_time_t dt)
{
	f->now += dt;
	f->wall += dt / NATT_MSEC;
}

struct natt_rdv_msg rdvt_reg_msg(const char *name, uint64_t seq, uint16_t lifetime,
				 unsigned int ncand)
{
	struct natt_rdv_msg m;

	memset(&m, 0, sizeof(m));
	m.type = NATT_PT_RDV_REGISTER;
	m.txid = 0x1111000000000000u + seq;
	m.reg.seq = seq;
	m.reg.lifetime_s = lifetime;
	CU_ASSERT_EQUAL_FATAL(natt_name_set(&m.reg.name, name), NATT_OK);
	m.reg.cands = rdvt_hosts(ncand, 1);
	return m;
}

struct natt_rdv_msg rdvt_lookup_msg(const char *target, const char *name, natt_cid_t cid,
				    unsigned int ncand)
{
	struct natt_rdv_msg m;

	memset(&m, 0, sizeof(m));
	m.type = NATT_PT_RDV_LOOKUP;
	m.txid = 0x2222000000000000u + cid;
	m.lookup.cid = cid;
	CU_ASSERT_EQUAL_FATAL(natt_name_set(&m.lookup.target, target), NATT_OK);
	if (name != NULL)
		CU_ASSERT_EQUAL_FATAL(natt_name_set(&m.lookup.name, name), NATT_OK);
	m.lookup.cands = rdvt_hosts(ncand, 2);
	return m;
}

/* Seals m (timestamp: now, unless already set) for network id with seal. */
size_t rdvt_seal_msg(struct rdvt_fx *f, uint8_t *pkt, struct natt_seal *seal, const uint8_t *id,
		     struct natt_rdv_msg *m, size_t min_body)
{
	uint8_t salt[NATT_SALT_LEN];
	int n;

	if (m->timestamp_ms == 0)
		m->timestamp_ms = f->wall;
	natt_test_rng(&f->rng, salt, sizeof(salt));
	n = natt_rdv_pack(pkt, NATT_MAX_RENDEZVOUS, seal, id, salt, m, min_body);
	CU_ASSERT_FATAL(n > 0);
	return (size_t)n;
}

int rdvt_input(struct rdvt_fx *f, const struct natt_cand *from, const uint8_t *pkt, size_t len)
{
	return natt_rdv_server_input(f->srv, f->now, f->wall, from, pkt, len, &f->out);
}

/* Builds, seals and sends m from `from`; returns the server's verdict. */
int rdvt_send(struct rdvt_fx *f, const struct natt_cand *from, struct natt_rdv_msg m)
{
	uint8_t pkt[NATT_MAX_RENDEZVOUS];
	size_t len = rdvt_seal_msg(f, pkt, f->seal, f->id, &m, 0);

	return rdvt_input(f, from, pkt, len);
}

/* Opens output datagram i with the network's seal. */
void rdvt_open_out(struct rdvt_fx *f, unsigned int i, struct natt_rdv_msg *m)
{
	struct natt_rdv_datagram *d = &f->out.dgram[i];
	uint8_t buf[NATT_MAX_RENDEZVOUS];
	struct natt_header h;

	CU_ASSERT_FATAL(i < f->out.count);
	memcpy(buf, d->buf, d->len);
	CU_ASSERT_EQUAL_FATAL(natt_header_decode(&h, buf, d->len), NATT_OK);
	CU_ASSERT_EQUAL(memcmp(h.network_id, f->id, NATT_NETWORK_ID_LEN), 0);
	CU_ASSERT_EQUAL_FATAL(natt_rdv_unpack(m, f->seal, &h, buf, d->len), NATT_OK);
	CU_ASSERT_EQUAL(m->timestamp_ms, f->wall);
}

uint64_t rdvt_drops(struct rdvt_fx *f, enum natt_rdv_drop d)
{
	return natt_rdv_server_stats(f->srv)->drop[d];
}

void rdvt_register(struct rdvt_fx *f, const char *name, uint64_t seq, uint16_t lifetime,
		   const struct natt_cand *from)
{
	struct natt_rdv_msg ack;

	CU_ASSERT_EQUAL_FATAL(rdvt_send(f, from, rdvt_reg_msg(name, seq, lifetime, 2)), NATT_OK);
	CU_ASSERT_EQUAL_FATAL(f->out.count, 1);
	rdvt_open_out(f, 0, &ack);
	CU_ASSERT_EQUAL(ack.reg_ack.status, NATT_RDV_OK);
}

/* ---- server tests ---- */

static void test_srv_register_ack(void)
{
	struct rdvt_fx f;
	struct natt_rdv_msg ack, m = rdvt_reg_msg("office", 100, 1000, 3);

	rdvt_fx_init(&f);
	CU_ASSERT_EQUAL(rdvt_send(&f, &f.srv_addr, m), NATT_OK);
	CU_ASSERT_EQUAL_FATAL(f.out.count, 1);
	CU_ASSERT_EQUAL(f.out.drop, NATT_RDV_DROP_NONE);
	CU_ASSERT_EQUAL(f.out.network, 0);
	CU_ASSERT(natt_rdv_same_addr(&f.out.dgram[0].to, &f.srv_addr));
	rdvt_open_out(&f, 0, &ack);
	CU_ASSERT_EQUAL(ack.type, NATT_PT_RDV_REGISTER_ACK);
	CU_ASSERT_EQUAL(ack.txid, m.txid);
	CU_ASSERT_EQUAL(ack.reg_ack.status, NATT_RDV_OK);
	CU_ASSERT_EQUAL(ack.reg_ack.lifetime_s, NATT_RDV_MAX_LIFETIME_S); /* capped */
	CU_ASSERT_EQUAL(ack.reg_ack.observed.kind, NATT_CAND_SRFLX);
	CU_ASSERT(natt_rdv_same_addr(&ack.reg_ack.observed, &f.srv_addr));
	CU_ASSERT_EQUAL(natt_rdv_server_count(f.srv), 1);
	CU_ASSERT_EQUAL(natt_rdv_server_next_timeout(f.srv), f.now + 300 * NATT_SEC);
	CU_ASSERT_EQUAL(natt_rdv_server_stats(f.srv)->registrations, 1);
	CU_ASSERT_EQUAL(natt_rdv_server_stats(f.srv)->reg_new, 1);
	rdvt_fx_free(&f);
}

static void test_srv_register_lookup_introduce(void)
{
	struct rdvt_fx f;
	struct natt_rdv_msg reply, intro, reg = rdvt_reg_msg("office", 100, 60, 3);
	struct natt_rdv_msg lk = rdvt_lookup_msg("office", "laptop-7", 0xC1D0C1D0u, 4);
	uint8_t pkt[NATT_MAX_RENDEZVOUS];
	size_t len;

	rdvt_fx_init(&f);
	CU_ASSERT_EQUAL(rdvt_send(&f, &f.srv_addr, reg), NATT_OK);
	len = rdvt_seal_msg(&f, pkt, f.seal, f.id, &lk, 0);
	CU_ASSERT_EQUAL(len, NATT_RDV_HDR_LEN + NATT_RDV_LOOKUP_MIN_BODY + NATT_TAG_LEN);
	CU_ASSERT_EQUAL(rdvt_input(&f, &f.cli_addr, pkt, len), NATT_OK);
	CU_ASSERT_EQUAL_FATAL(f.out.count, 2);
	/* the reply, to the client */
	CU_ASSERT(natt_rdv_same_addr(&f.out.dgram[0].to, &f.cli_addr));
	rdvt_open_out(&f, 0, &reply);
	CU_ASSERT_EQUAL(reply.type, NATT_PT_RDV_LOOKUP_REPLY);
	CU_ASSERT_EQUAL(reply.txid, lk.txid);
	CU_ASSERT_EQUAL(reply.lookup_reply.status, NATT_RDV_OK);
	CU_ASSERT(natt_rdv_same_addr(&reply.lookup_reply.observed, &f.cli_addr));
	CU_ASSERT_EQUAL_FATAL(reply.lookup_reply.cands.count, 4);
	for (int i = 0; i < 3; i++)
		CU_ASSERT(
			natt_cand_equal(&reply.lookup_reply.cands.cand[i], &reg.reg.cands.cand[i]));
	CU_ASSERT_EQUAL(reply.lookup_reply.cands.cand[3].kind, NATT_CAND_SRFLX);
	CU_ASSERT(natt_rdv_same_addr(&reply.lookup_reply.cands.cand[3], &f.srv_addr));
	/* the introduction, to the registered server's observed address */
	CU_ASSERT(natt_rdv_same_addr(&f.out.dgram[1].to, &f.srv_addr));
	rdvt_open_out(&f, 1, &intro);
	CU_ASSERT_EQUAL(intro.type, NATT_PT_RDV_INTRODUCE);
	CU_ASSERT_EQUAL(intro.introduce.cid, 0xC1D0C1D0u);
	CU_ASSERT_STRING_EQUAL(intro.introduce.name.str, "laptop-7");
	CU_ASSERT(natt_rdv_same_addr(&intro.introduce.observed, &f.cli_addr));
	CU_ASSERT_EQUAL_FATAL(intro.introduce.cands.count, 4);
	for (int i = 0; i < 4; i++)
		CU_ASSERT(
			natt_cand_equal(&intro.introduce.cands.cand[i], &lk.lookup.cands.cand[i]));
	CU_ASSERT(f.out.dgram[0].len <= len && f.out.dgram[1].len <= len);
	CU_ASSERT_EQUAL(natt_rdv_server_stats(f.srv)->lookups, 1);
	CU_ASSERT_EQUAL(natt_rdv_server_stats(f.srv)->lookups_found, 1);
	CU_ASSERT_EQUAL(natt_rdv_server_stats(f.srv)->introductions, 1);
	rdvt_fx_free(&f);
}

static void test_srv_lookup_not_found(void)
{
	struct rdvt_fx f;
	struct natt_rdv_msg reply;

	rdvt_fx_init(&f);
	rdvt_register(&f, "office", 1, 60, &f.srv_addr);
	CU_ASSERT_EQUAL(rdvt_send(&f, &f.cli_addr, rdvt_lookup_msg("Office", NULL, 5, 1)), NATT_OK);
	CU_ASSERT_EQUAL_FATAL(f.out.count, 1);
	rdvt_open_out(&f, 0, &reply);
	CU_ASSERT_EQUAL(reply.lookup_reply.status, NATT_RDV_NOT_FOUND);
	CU_ASSERT_EQUAL(reply.lookup_reply.cands.count, 0);
	CU_ASSERT(natt_rdv_same_addr(&reply.lookup_reply.observed, &f.cli_addr));
	CU_ASSERT_EQUAL(natt_rdv_server_stats(f.srv)->lookups_found, 0);
	CU_ASSERT_EQUAL(natt_rdv_server_stats(f.srv)->introductions, 0);
	rdvt_fx_free(&f);
}

static void lookup_status(struct rdvt_fx *f, const char *target, uint8_t want)
{
	struct natt_rdv_msg reply;

	CU_ASSERT_EQUAL_FATAL(rdvt_send(f, &f->cli_addr, rdvt_lookup_msg(target, "c", 9, 0)),
			      NATT_OK);
	rdvt_open_out(f, 0, &reply);
	CU_ASSERT_EQUAL(reply.lookup_reply.status, want);
	CU_ASSERT_EQUAL(f->out.count, want == NATT_RDV_OK ? 2u : 1u);
}

static void test_srv_expiry(void)
{
	struct rdvt_fx f;

	rdvt_fx_init(&f);
	rdvt_register(&f, "short", 1, 10, &f.srv_addr);
	rdvt_register(&f, "long", 1, 30, &f.srv_addr);
	CU_ASSERT_EQUAL(natt_rdv_server_next_timeout(f.srv), f.now + 10 * NATT_SEC);
	rdvt_fx_advance(&f, 10 * NATT_SEC - 1);
	lookup_status(&f, "short", NATT_RDV_OK);
	rdvt_fx_advance(&f, 1);
	lookup_status(&f, "short", NATT_RDV_NOT_FOUND);
	lookup_status(&f, "long", NATT_RDV_OK);
	CU_ASSERT_EQUAL(natt_rdv_server_count(f.srv), 1);
	CU_ASSERT_EQUAL(natt_rdv_server_stats(f.srv)->reg_expired, 1);
	/* a refresh moves the expiry */
	rdvt_fx_advance(&f, 15 * NATT_SEC);
	rdvt_register(&f, "long", 2, 30, &f.srv_addr);
	CU_ASSERT_EQUAL(natt_rdv_server_next_timeout(f.srv), f.now + 30 * NATT_SEC);
	natt_rdv_server_expire(f.srv, f.now + 30 * NATT_SEC);
	CU_ASSERT_EQUAL(natt_rdv_server_count(f.srv), 0);
	CU_ASSERT_EQUAL(natt_rdv_server_next_timeout(f.srv), NATT_TIME_NEVER);
	rdvt_fx_free(&f);
}

static void test_srv_lifetime_zero(void)
{
	struct rdvt_fx f;
	struct natt_rdv_msg ack;

	rdvt_fx_init(&f);
	rdvt_register(&f, "office", 7, 60, &f.srv_addr);
	CU_ASSERT_EQUAL(rdvt_send(&f, &f.srv_addr, rdvt_reg_msg("office", 8, 0, 0)), NATT_OK);
	rdvt_open_out(&f, 0, &ack);
	CU_ASSERT_EQUAL(ack.reg_ack.status, NATT_RDV_OK);
	CU_ASSERT_EQUAL(ack.reg_ack.lifetime_s, 0);
	CU_ASSERT_EQUAL(natt_rdv_server_count(f.srv), 0);
	CU_ASSERT_EQUAL(natt_rdv_server_stats(f.srv)->reg_removed, 1);
	lookup_status(&f, "office", NATT_RDV_NOT_FOUND);
	/* removing what is not there is answered the same */
	CU_ASSERT_EQUAL(rdvt_send(&f, &f.srv_addr, rdvt_reg_msg("ghost", 1, 0, 0)), NATT_OK);
	CU_ASSERT_EQUAL(f.out.count, 1);
	CU_ASSERT_EQUAL(natt_rdv_server_stats(f.srv)->reg_removed, 1);
	rdvt_fx_free(&f);
}

static void test_srv_replay(void)
{
	struct rdvt_fx f;
	struct natt_rdv_msg reg = rdvt_reg_msg("office", 1, 60, 1),
			    lk = rdvt_lookup_msg("office", "c", 3, 1);
	uint8_t p1[NATT_MAX_RENDEZVOUS], p2[NATT_MAX_RENDEZVOUS];
	size_t l1, l2;

	rdvt_fx_init(&f);
	l1 = rdvt_seal_msg(&f, p1, f.seal, f.id, &reg, 0);
	l2 = rdvt_seal_msg(&f, p2, f.seal, f.id, &lk, 0);
	CU_ASSERT_EQUAL(rdvt_input(&f, &f.srv_addr, p1, l1), NATT_OK);
	CU_ASSERT_EQUAL(rdvt_input(&f, &f.cli_addr, p2, l2), NATT_OK);
	CU_ASSERT_EQUAL(f.out.count, 2);
	/* the same datagrams again, even from elsewhere and later */
	rdvt_fx_advance(&f, 5 * NATT_SEC);
	CU_ASSERT_EQUAL(rdvt_input(&f, &f.srv_addr, p1, l1), NATT_ERR_REPLAY);
	CU_ASSERT_EQUAL(f.out.count, 0);
	CU_ASSERT_EQUAL(f.out.drop, NATT_RDV_DROP_REPLAY);
	CU_ASSERT_EQUAL(rdvt_input(&f, &f.cli_addr, p2, l2), NATT_ERR_REPLAY);
	CU_ASSERT_EQUAL(f.out.count, 0);
	CU_ASSERT_EQUAL(rdvt_input(&f, &f.srv_addr, p2, l2), NATT_ERR_REPLAY);
	CU_ASSERT_EQUAL(rdvt_drops(&f, NATT_RDV_DROP_REPLAY), 3);
	CU_ASSERT_EQUAL(natt_rdv_server_stats(f.srv)->introductions, 1);
	CU_ASSERT_EQUAL(natt_rdv_server_stats(f.srv)->lookups, 1);
	rdvt_fx_free(&f);
}

static void test_srv_stale(void)
{
	struct rdvt_fx f;
	struct natt_rdv_msg m;

	rdvt_fx_init(&f);
	m = rdvt_reg_msg("office", 1, 60, 1);
	m.timestamp_ms = f.wall - NATT_RDV_SKEW_MS - 1;
	CU_ASSERT_EQUAL(rdvt_send(&f, &f.srv_addr, m), NATT_ERR_STALE);
	m.timestamp_ms = f.wall + NATT_RDV_SKEW_MS + 1;
	CU_ASSERT_EQUAL(rdvt_send(&f, &f.srv_addr, m), NATT_ERR_STALE);
	CU_ASSERT_EQUAL(f.out.count, 0);
	m = rdvt_lookup_msg("office", NULL, 1, 0);
	m.timestamp_ms = f.wall - 3600 * 1000;
	CU_ASSERT_EQUAL(rdvt_send(&f, &f.cli_addr, m), NATT_ERR_STALE);
	CU_ASSERT_EQUAL(rdvt_drops(&f, NATT_RDV_DROP_STALE), 3);
	CU_ASSERT_EQUAL(natt_rdv_server_count(f.srv), 0);
	/* at the edge of the skew: accepted */
	m = rdvt_reg_msg("office", 1, 60, 1);
	m.timestamp_ms = f.wall - NATT_RDV_SKEW_MS;
	CU_ASSERT_EQUAL(rdvt_send(&f, &f.srv_addr, m), NATT_OK);
	CU_ASSERT_EQUAL(natt_rdv_server_count(f.srv), 1);
	rdvt_fx_free(&f);
}

static void test_srv_seq(void)
{
	struct rdvt_fx f;
	struct natt_cand moved = natt_test_v4(203, 0, 113, 99, 41000, NATT_CAND_SRFLX);
	struct natt_rdv_msg reply;

	rdvt_fx_init(&f);
	rdvt_register(&f, "office", 100, 60, &f.srv_addr);
	/* same seq, new salt: ignored, no answer, nothing changes */
	CU_ASSERT_EQUAL(rdvt_send(&f, &moved, rdvt_reg_msg("office", 100, 60, 1)),
			NATT_ERR_TOO_OLD);
	CU_ASSERT_EQUAL(f.out.count, 0);
	CU_ASSERT_EQUAL(rdvt_send(&f, &moved, rdvt_reg_msg("office", 99, 60, 1)), NATT_ERR_TOO_OLD);
	CU_ASSERT_EQUAL(rdvt_send(&f, &moved, rdvt_reg_msg("office", 50, 0, 0)), NATT_ERR_TOO_OLD);
	CU_ASSERT_EQUAL(rdvt_drops(&f, NATT_RDV_DROP_SEQ), 3);
	CU_ASSERT_EQUAL(natt_rdv_server_count(f.srv), 1);
	CU_ASSERT_EQUAL(rdvt_send(&f, &f.cli_addr, rdvt_lookup_msg("office", NULL, 1, 0)), NATT_OK);
	rdvt_open_out(&f, 0, &reply);
	CU_ASSERT(natt_rdv_same_addr(&reply.lookup_reply.cands.cand[2], &f.srv_addr));
	/* a greater seq from a new address moves the registration there */
	rdvt_register(&f, "office", 101, 60, &moved);
	CU_ASSERT_EQUAL(rdvt_send(&f, &f.cli_addr, rdvt_lookup_msg("office", NULL, 2, 0)), NATT_OK);
	rdvt_open_out(&f, 0, &reply);
	CU_ASSERT(natt_rdv_same_addr(&reply.lookup_reply.cands.cand[2], &moved));
	CU_ASSERT(natt_rdv_same_addr(&f.out.dgram[1].to, &moved));
	rdvt_fx_free(&f);
}

static void test_srv_wrong_key_unknown_network(void)
{
	struct rdvt_fx f;
	struct natt_rdv_msg m = rdvt_reg_msg("office", 1, 60, 1);
	uint8_t pkt[NATT_MAX_RENDEZVOUS];
	size_t len;

	rdvt_fx_init(&f);
	/* our network's ID, another key: fails authentication */
	len = rdvt_seal_msg(&f, pkt, f.other, f.id, &m, 0);
	CU_ASSERT_EQUAL(rdvt_input(&f, &f.srv_addr, pkt, len), NATT_ERR_AUTH);
	CU_ASSERT_EQUAL(f.out.count, 0);
	CU_ASSERT_EQUAL(f.out.drop, NATT_RDV_DROP_AUTH);
	/* a network not served */
	len = rdvt_seal_msg(&f, pkt, f.other, f.other_id, &m, 0);
	CU_ASSERT_EQUAL(rdvt_input(&f, &f.srv_addr, pkt, len), NATT_ERR_WRONG_PURPOSE);
	CU_ASSERT_EQUAL(f.out.count, 0);
	CU_ASSERT_EQUAL(f.out.drop, NATT_RDV_DROP_UNKNOWN_NETWORK);
	/* one flipped ciphertext bit */
	len = rdvt_seal_msg(&f, pkt, f.seal, f.id, &m, 0);
	pkt[NATT_RDV_HDR_LEN + 3] ^= 0x04;
	CU_ASSERT_EQUAL(rdvt_input(&f, &f.srv_addr, pkt, len), NATT_ERR_AUTH);
	CU_ASSERT_EQUAL(rdvt_drops(&f, NATT_RDV_DROP_AUTH), 2);
	CU_ASSERT_EQUAL(rdvt_drops(&f, NATT_RDV_DROP_UNKNOWN_NETWORK), 1);
	CU_ASSERT_EQUAL(natt_rdv_server_count(f.srv), 0);
	rdvt_fx_free(&f);
}

static void test_srv_malformed(void)
{
	struct rdvt_fx f;
	uint8_t pkt[NATT_MAX_RENDEZVOUS];
	struct natt_rdv_msg m = rdvt_reg_msg("office", 1, 60, 1), ack;
	struct natt_cand bad;
	size_t len;

	rdvt_fx_init(&f);
	bad = f.srv_addr;
	memset(pkt, 0, sizeof(pkt));
	pkt[0] = 0x80; /* no family of ours */
	CU_ASSERT_EQUAL(rdvt_input(&f, &f.srv_addr, pkt, 200), NATT_ERR_BAD_TYPE);
	CU_ASSERT_EQUAL(f.out.drop, NATT_RDV_DROP_NOT_OURS);
	pkt[0] = 0x48; /* raw OpenVPN */
	CU_ASSERT_EQUAL(rdvt_input(&f, &f.srv_addr, pkt, 200), NATT_ERR_BAD_TYPE);
	len = rdvt_seal_msg(&f, pkt, f.seal, f.id, &m, 0);
	pkt[1] = 2; /* version 2 */
	CU_ASSERT_EQUAL(rdvt_input(&f, &f.srv_addr, pkt, len), NATT_ERR_BAD_VERSION);
	CU_ASSERT_EQUAL(f.out.drop, NATT_RDV_DROP_VERSION);
	CU_ASSERT_EQUAL(rdvt_input(&f, &f.srv_addr, pkt, 30), NATT_ERR_BAD_VERSION);
	pkt[1] = 1;
	CU_ASSERT_EQUAL(rdvt_input(&f, &f.srv_addr, pkt, 30), NATT_ERR_TOO_SMALL);
	CU_ASSERT_EQUAL(f.out.drop, NATT_RDV_DROP_MALFORMED);
	/* an answer type sent to the server */
	ack = m;
	ack.type = NATT_PT_RDV_REGISTER_ACK;
	ack.reg_ack.status = 0;
	ack.reg_ack.lifetime_s = 1;
	ack.reg_ack.observed = f.srv_addr;
	len = rdvt_seal_msg(&f, pkt, f.seal, f.id, &ack, 100);
	CU_ASSERT_EQUAL(rdvt_input(&f, &f.srv_addr, pkt, len), NATT_ERR_BAD_TYPE);
	CU_ASSERT_EQUAL(f.out.drop, NATT_RDV_DROP_UNEXPECTED);
	/* bad arguments */
	bad.port = 0;
	CU_ASSERT_EQUAL(rdvt_input(&f, &bad, pkt, len), NATT_ERR_INVALID);
	CU_ASSERT_EQUAL(rdvt_input(&f, &f.srv_addr, NULL, 0), NATT_ERR_BAD_TYPE);
	CU_ASSERT_EQUAL(rdvt_drops(&f, NATT_RDV_DROP_MALFORMED), 1);
	CU_ASSERT_EQUAL(rdvt_drops(&f, NATT_RDV_DROP_NOT_OURS), 3);
	CU_ASSERT_STRING_EQUAL(natt_rdv_drop_name(NATT_RDV_DROP_AUTH), "auth");
	CU_ASSERT_STRING_EQUAL(natt_rdv_drop_name(NATT_RDV_DROP_REASONS), "unknown");
	rdvt_fx_free(&f);
}

static void test_srv_stun(void)
{
	struct rdvt_fx f;
	uint8_t req[32];
	static const uint8_t txid[NATT_STUN_TXID_LEN] = {1, 2, 3};
	struct natt_cand got;
	int n;

	rdvt_fx_init(&f);
	n = natt_stun_binding_request(req, sizeof(req), txid, true);
	CU_ASSERT_EQUAL(rdvt_input(&f, &f.cli_addr, req, (size_t)n), NATT_OK);
	CU_ASSERT_EQUAL_FATAL(f.out.count, 1);
	CU_ASSERT(natt_rdv_same_addr(&f.out.dgram[0].to, &f.cli_addr));
	CU_ASSERT(f.out.dgram[0].len <= 3 * (size_t)n);
	CU_ASSERT_EQUAL(
		natt_stun_parse_response(f.out.dgram[0].buf, f.out.dgram[0].len, txid, &got),
		NATT_OK);
	CU_ASSERT(natt_rdv_same_addr(&got, &f.cli_addr));
	CU_ASSERT_EQUAL(natt_rdv_server_stats(f.srv)->stun_answers, 1);
	/* a response sent to us gets nothing */
	CU_ASSERT_EQUAL(rdvt_input(&f, &f.cli_addr, f.out.dgram[0].buf, f.out.dgram[0].len),
			NATT_ERR_BAD_TYPE);
	CU_ASSERT_EQUAL(f.out.drop, NATT_RDV_DROP_STUN);
	/* STUN shares the per-source limit, and is never "told" */
	for (int i = 0; i < 60; i++)
		rdvt_input(&f, &f.srv_addr, req, (size_t)n);
	CU_ASSERT_EQUAL(natt_rdv_server_stats(f.srv)->stun_answers, 1 + NATT_RL_DEFAULT_BURST);
	CU_ASSERT_EQUAL(rdvt_drops(&f, NATT_RDV_DROP_RATE_LIMITED), 60 - NATT_RL_DEFAULT_BURST);
	rdvt_fx_free(&f);
}

static void test_srv_networks(void)
{
	struct rdvt_fx f;
	struct natt_rdv_msg m = rdvt_reg_msg("office", 1, 60, 1), reply;
	uint8_t pkt[NATT_MAX_RENDEZVOUS];
	struct natt_header h;
	size_t len;

	rdvt_fx_init(&f);
	CU_ASSERT_EQUAL(natt_rdv_server_add_network(f.srv, "beta", f.other), 1);
	CU_ASSERT_EQUAL(natt_rdv_server_add_network(f.srv, "again", f.other), NATT_ERR_EXISTS);
	CU_ASSERT_EQUAL(natt_rdv_server_add_network(f.srv, "", f.other), NATT_ERR_INVALID);
	CU_ASSERT_STRING_EQUAL(natt_rdv_server_network_name(f.srv, 1), "beta");
	CU_ASSERT_PTR_NULL(natt_rdv_server_network_name(f.srv, 2));
	len = rdvt_seal_msg(&f, pkt, f.other, f.other_id, &m, 0);
	CU_ASSERT_EQUAL(rdvt_input(&f, &f.srv_addr, pkt, len), NATT_OK);
	CU_ASSERT_EQUAL(f.out.network, 1);
	/* the answer is sealed for beta, not alpha */
	memcpy(pkt, f.out.dgram[0].buf, f.out.dgram[0].len);
	CU_ASSERT_EQUAL_FATAL(natt_header_decode(&h, pkt, f.out.dgram[0].len), NATT_OK);
	CU_ASSERT_EQUAL(memcmp(h.network_id, f.other_id, NATT_NETWORK_ID_LEN), 0);
	CU_ASSERT_EQUAL(natt_rdv_unpack(&reply, f.other, &h, pkt, f.out.dgram[0].len), NATT_OK);
	/* "office" in beta is not "office" in alpha */
	lookup_status(&f, "office", NATT_RDV_NOT_FOUND);
	rdvt_fx_free(&f);
}

static void test_srv_config(void)
{
	struct natt_rdv_server_config cfg;
	struct natt_rdv_server *srv = NULL;
	uint64_t r = 1;

	natt_rdv_server_config_default(&cfg);
	CU_ASSERT_EQUAL(cfg.max_registrations, 100000);
	CU_ASSERT_EQUAL(cfg.max_lifetime_s, 300);
	CU_ASSERT_EQUAL(cfg.skew_ms, 60000);
	cfg.max_registrations = 0;
	CU_ASSERT_EQUAL(natt_rdv_server_new(&srv, &cfg, natt_test_rng, &r), NATT_ERR_INVALID);
	CU_ASSERT_PTR_NULL(srv);
	rdvt_small_config(&cfg);
	CU_ASSERT_EQUAL(natt_rdv_server_new(&srv, &cfg, NULL, &r), NATT_ERR_INVALID);
	cfg.rate.burst = 0;
	CU_ASSERT_EQUAL(natt_rdv_server_new(&srv, &cfg, natt_test_rng, &r), NATT_ERR_INVALID);
	CU_ASSERT_PTR_NULL(srv);
	natt_rdv_server_free(NULL);
}

/* ---- events and sockets (what the daemon logs, where it sends) ---- */

struct ev_log {
	unsigned int n;
	char line[8][96];
};

static void on_srv_event(void *ctx, const struct natt_rdv_srv_event *ev)
{
	static const char *const names[] = {"?",       "registered", "moved", "unregistered",
					    "expired", "lookup"};
	struct ev_log *log = ctx;

	if (log->n < 8)
		snprintf(log->line[log->n++], sizeof(log->line[0]),
			 "%s net=%d %s port=%u cands=%u %s%s%s", names[ev->type], ev->network,
			 ev->name, ev->addr.port, ev->ncand, ev->client, ev->found ? " found" : "",
			 ev->introduced ? " introduced" : "");
}

static void test_srv_events(void)
{
	struct rdvt_fx f;
	struct ev_log log = {0};
	struct natt_cand moved;

	rdvt_fx_init(&f);
	natt_rdv_server_set_events(f.srv, on_srv_event, &log);
	rdvt_register(&f, "office", 1, 60, &f.srv_addr);
	rdvt_register(&f, "office", 2, 60, &f.srv_addr); /* a refresh: no event */
	moved = f.srv_addr;
	moved.port++;
	rdvt_register(&f, "office", 3, 60, &moved);
	CU_ASSERT_EQUAL(rdvt_send(&f, &f.cli_addr, rdvt_lookup_msg("office", "lap", 9, 2)),
			NATT_OK);
	CU_ASSERT_EQUAL(rdvt_send(&f, &f.cli_addr, rdvt_lookup_msg("nobody", NULL, 9, 1)), NATT_OK);
	rdvt_register(&f, "office", 4, 0, &moved);
	rdvt_register(&f, "branch", 1, 60, &f.srv_addr);
	rdvt_fx_advance(&f, 61 * NATT_SEC);
	natt_rdv_server_expire(f.srv, f.now);
	CU_ASSERT_EQUAL_FATAL(log.n, 7);
	CU_ASSERT_STRING_EQUAL(log.line[0], "registered net=0 office port=40000 cands=2 ");
	CU_ASSERT_STRING_EQUAL(log.line[1], "moved net=0 office port=40001 cands=2 ");
	CU_ASSERT_STRING_EQUAL(log.line[2],
			       "lookup net=0 office port=50000 cands=2 lap found introduced");
	CU_ASSERT_STRING_EQUAL(log.line[3], "lookup net=0 nobody port=50000 cands=1 ");
	CU_ASSERT_STRING_EQUAL(log.line[4], "unregistered net=0 office port=40001 cands=2 ");
	CU_ASSERT_STRING_EQUAL(log.line[5], "registered net=0 branch port=40000 cands=2 ");
	CU_ASSERT_STRING_EQUAL(log.line[6], "expired net=0 branch port=40000 cands=2 ");
	rdvt_fx_free(&f);
}

/* Answers leave by the socket the request came in on; an introduction by
 * the one its target registered through. */
static void test_srv_via(void)
{
	struct rdvt_fx f;
	struct natt_rdv_msg m = rdvt_reg_msg("office", 1, 60, 2);
	uint8_t pkt[NATT_MAX_RENDEZVOUS];
	size_t len;

	rdvt_fx_init(&f);
	len = rdvt_seal_msg(&f, pkt, f.seal, f.id, &m, 0);
	CU_ASSERT_EQUAL(
		natt_rdv_server_input_via(f.srv, f.now, f.wall, &f.srv_addr, 3, pkt, len, &f.out),
		NATT_OK);
	CU_ASSERT_EQUAL_FATAL(f.out.count, 1);
	CU_ASSERT_EQUAL(f.out.dgram[0].via, 3);
	m = rdvt_lookup_msg("office", NULL, 7, 1);
	len = rdvt_seal_msg(&f, pkt, f.seal, f.id, &m, 0);
	CU_ASSERT_EQUAL(
		natt_rdv_server_input_via(f.srv, f.now, f.wall, &f.cli_addr, 5, pkt, len, &f.out),
		NATT_OK);
	CU_ASSERT_EQUAL_FATAL(f.out.count, 2);
	CU_ASSERT_EQUAL(f.out.dgram[0].via, 5);
	CU_ASSERT_EQUAL(f.out.dgram[1].via, 3);
	/* a refresh through another socket moves the registration there */
	m = rdvt_reg_msg("office", 2, 60, 2);
	len = rdvt_seal_msg(&f, pkt, f.seal, f.id, &m, 0);
	CU_ASSERT_EQUAL(
		natt_rdv_server_input_via(f.srv, f.now, f.wall, &f.srv_addr, 4, pkt, len, &f.out),
		NATT_OK);
	m = rdvt_lookup_msg("office", NULL, 8, 1);
	len = rdvt_seal_msg(&f, pkt, f.seal, f.id, &m, 0);
	CU_ASSERT_EQUAL(
		natt_rdv_server_input_via(f.srv, f.now, f.wall, &f.cli_addr, 5, pkt, len, &f.out),
		NATT_OK);
	CU_ASSERT_EQUAL_FATAL(f.out.count, 2);
	CU_ASSERT_EQUAL(f.out.dgram[1].via, 4);
	CU_ASSERT_EQUAL(natt_rdv_server_input_via(f.srv, f.now, f.wall, &f.cli_addr, 70000, pkt,
						  len, &f.out),
			NATT_ERR_INVALID);
	rdvt_fx_free(&f);
}

/* A dual-stack rendezvous: a server registered over IPv6 (socket 1), a
 * client looking it up over IPv4 (socket 0).  Each answer goes back on the
 * socket and in the family it came from; the introduction to the server
 * carries the client's IPv4 address over IPv6, the reply to the client the
 * server's IPv6 one; STUN answers IPv6 within the amplification bound. */
static void test_srv_ipv6(void)
{
	struct rdvt_fx f;
	struct natt_cand s6, got;
	struct natt_rdv_msg m = rdvt_reg_msg("office", 1, 60, 2), reply, intro;
	static const uint8_t txid[NATT_STUN_TXID_LEN] = {6, 6, 6};
	uint8_t pkt[NATT_MAX_RENDEZVOUS];
	size_t len;
	int n;

	rdvt_fx_init(&f);
	memset(&s6, 0, sizeof(s6));
	s6.kind = NATT_CAND_SRFLX;
	s6.family = 6;
	s6.port = 40000;
	memcpy(s6.addr, "\x20\x01\x0d\xb8\x00\x01", 6);
	s6.addr[15] = 2;
	len = rdvt_seal_msg(&f, pkt, f.seal, f.id, &m, 0);
	CU_ASSERT_EQUAL(natt_rdv_server_input_via(f.srv, f.now, f.wall, &s6, 1, pkt, len, &f.out),
			NATT_OK);
	CU_ASSERT_EQUAL_FATAL(f.out.count, 1);
	CU_ASSERT(natt_rdv_same_addr(&f.out.dgram[0].to, &s6));
	CU_ASSERT_EQUAL(f.out.dgram[0].via, 1);
	rdvt_open_out(&f, 0, &reply);
	CU_ASSERT(natt_rdv_same_addr(&reply.reg_ack.observed, &s6));
	m = rdvt_lookup_msg("office", "laptop", 9, 1);
	len = rdvt_seal_msg(&f, pkt, f.seal, f.id, &m, 0);
	CU_ASSERT_EQUAL(
		natt_rdv_server_input_via(f.srv, f.now, f.wall, &f.cli_addr, 0, pkt, len, &f.out),
		NATT_OK);
	CU_ASSERT_EQUAL_FATAL(f.out.count, 2);
	CU_ASSERT(natt_rdv_same_addr(&f.out.dgram[0].to, &f.cli_addr));
	CU_ASSERT_EQUAL(f.out.dgram[0].via, 0);
	rdvt_open_out(&f, 0, &reply);
	CU_ASSERT_EQUAL_FATAL(reply.lookup_reply.cands.count, 3);
	CU_ASSERT_EQUAL(reply.lookup_reply.cands.cand[1].family, 6); /* the IPv6 host */
	CU_ASSERT(natt_rdv_same_addr(&reply.lookup_reply.cands.cand[2], &s6));
	CU_ASSERT(natt_rdv_same_addr(&f.out.dgram[1].to, &s6));
	CU_ASSERT_EQUAL(f.out.dgram[1].via, 1);
	rdvt_open_out(&f, 1, &intro);
	CU_ASSERT(natt_rdv_same_addr(&intro.introduce.observed, &f.cli_addr));
	/* STUN over IPv6, from a request without FINGERPRINT (20 bytes) */
	n = natt_stun_binding_request(pkt, sizeof(pkt), txid, false);
	CU_ASSERT_EQUAL(
		natt_rdv_server_input_via(f.srv, f.now, f.wall, &s6, 1, pkt, (size_t)n, &f.out),
		NATT_OK);
	CU_ASSERT_EQUAL_FATAL(f.out.count, 1);
	CU_ASSERT(f.out.dgram[0].len <= NATT_STUN_MAX_AMPLIFICATION * (size_t)n);
	CU_ASSERT_EQUAL(
		natt_stun_parse_response(f.out.dgram[0].buf, f.out.dgram[0].len, txid, &got),
		NATT_OK);
	CU_ASSERT(natt_rdv_same_addr(&got, &s6));
	/* a source that is no address: refused before anything else */
	s6.port = 0;
	CU_ASSERT_EQUAL(
		natt_rdv_server_input_via(f.srv, f.now, f.wall, &s6, 1, pkt, (size_t)n, &f.out),
		NATT_ERR_INVALID);
	CU_ASSERT_EQUAL(f.out.count, 0);
	rdvt_fx_free(&f);
}

/* salt_capacity 0 sizes the replay guard from max_registrations. */
static void test_srv_salt_auto(void)
{
	struct natt_rdv_server_config cfg;
	struct natt_rdv_server *a = NULL, *b = NULL;
	uint64_t r = 1;

	natt_rdv_server_config_default(&cfg);
	CU_ASSERT_EQUAL(cfg.salt_capacity, 0);
	CU_ASSERT_EQUAL(natt_rdv_salt_capacity(1000),
			1000 * NATT_RDV_SALTS_PER_REG + NATT_RDV_SALTS_LOOKUPS);
	cfg.max_registrations = 1000;
	CU_ASSERT_EQUAL_FATAL(natt_rdv_server_new(&a, &cfg, natt_test_rng, &r), NATT_OK);
	cfg.salt_capacity = natt_rdv_salt_capacity(1000);
	CU_ASSERT_EQUAL_FATAL(natt_rdv_server_new(&b, &cfg, natt_test_rng, &r), NATT_OK);
	CU_ASSERT_EQUAL(natt_rdv_server_memory(a), natt_rdv_server_memory(b));
	natt_rdv_server_free(a);
	natt_rdv_server_free(b);
	cfg.salt_capacity = SIZE_MAX;
	CU_ASSERT_EQUAL(natt_rdv_server_new(&a, &cfg, natt_test_rng, &r), NATT_ERR_INVALID);
	/* the default configuration: the guard is 24 bytes per salt */
	natt_rdv_server_config_default(&cfg);
	CU_ASSERT_EQUAL_FATAL(natt_rdv_server_new(&a, &cfg, natt_test_rng, &r), NATT_OK);
	CU_ASSERT(natt_rdv_server_memory(a) < 32u * 1024 * 1024);
	natt_rdv_server_free(a);
}

static const struct natt_test tests[] = {
	{"srv_config", test_srv_config},
	{"srv_events", test_srv_events},
	{"srv_via", test_srv_via},
	{"srv_ipv6", test_srv_ipv6},
	{"srv_salt_auto", test_srv_salt_auto},
	{"srv_register_ack", test_srv_register_ack},
	{"srv_register_lookup_introduce", test_srv_register_lookup_introduce},
	{"srv_lookup_not_found", test_srv_lookup_not_found},
	{"srv_expiry", test_srv_expiry},
	{"srv_lifetime_zero", test_srv_lifetime_zero},
	{"srv_replay", test_srv_replay},
	{"srv_stale", test_srv_stale},
	{"srv_seq", test_srv_seq},
	{"srv_wrong_key_unknown_network", test_srv_wrong_key_unknown_network},
	{"srv_malformed", test_srv_malformed},
	{"srv_stun", test_srv_stun},
	{"srv_networks", test_srv_networks},
	{NULL, NULL},
};

/* One suite: the server's tests, its limits, then the client's. */
int natt_suite_rdv(void)
{
	static struct natt_test all[64];
	size_t n = 0;

	for (const struct natt_test *t = tests; t->name != NULL && n < 63; t++)
		all[n++] = *t;
	for (const struct natt_test *t = rdvt_limits_tests; t->name != NULL && n < 63; t++)
		all[n++] = *t;
	for (const struct natt_test *t = rdvt_client_tests; t->name != NULL && n < 63; t++)
		all[n++] = *t;
	if (n == 63)
		return -1; /* grow all[] */
	all[n].name = NULL;
	all[n].fn = NULL;
	return natt_add_suite("rdv", all);
}
