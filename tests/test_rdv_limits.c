/*
 * test_rdv_limits.c: the rendezvous server's bounds (transport/rdv_server.c):
 * the registration table's limit, per-source and global rate limits, the
 * no-amplification size invariant over randomized requests, exact expiry
 * of many registrations against a model, and memory per registration.
 * Part of the "rdv" suite (test_rdv.c registers it).
 */
#include <stdio.h>
#include <string.h>

#include "rdv.h"
#include "test_rdv.h"
#include "unit.h"

static void test_srv_table_full(void)
{
	struct natt_rdv_server_config cfg;
	struct rdvt_fx f;
	struct natt_rdv_msg ack;
	char name[16];

	rdvt_small_config(&cfg);
	cfg.max_registrations = 10;
	rdvt_fx_init_cfg(&f, &cfg);
	for (int i = 0; i < 10; i++) {
		snprintf(name, sizeof(name), "s%d", i);
		rdvt_register(&f, name, 1, 60, &f.srv_addr);
	}
	CU_ASSERT_FALSE(natt_rdv_server_table_full_news(f.srv));
	CU_ASSERT_EQUAL(rdvt_send(&f, &f.srv_addr, rdvt_reg_msg("late", 1, 60, 1)), NATT_OK);
	rdvt_open_out(&f, 0, &ack);
	CU_ASSERT_EQUAL(ack.reg_ack.status, NATT_RDV_TABLE_FULL);
	CU_ASSERT_EQUAL(ack.reg_ack.lifetime_s, 0);
	CU_ASSERT_EQUAL(natt_rdv_server_stats(f.srv)->reg_table_full, 1);
	CU_ASSERT(natt_rdv_server_table_full_news(f.srv));
	CU_ASSERT_FALSE(natt_rdv_server_table_full_news(f.srv)); /* once per episode */
	CU_ASSERT_EQUAL(rdvt_send(&f, &f.srv_addr, rdvt_reg_msg("late2", 1, 60, 1)), NATT_OK);
	CU_ASSERT_FALSE(natt_rdv_server_table_full_news(f.srv));
	/* a refresh of a registered name still works */
	rdvt_register(&f, "s3", 2, 60, &f.srv_addr);
	/* one removal: 9 of 10 is not below 90 %, the episode goes on */
	rdvt_register(&f, "s0", 2, 0, &f.srv_addr);
	rdvt_register(&f, "late", 2, 60, &f.srv_addr);
	CU_ASSERT_EQUAL(rdvt_send(&f, &f.srv_addr, rdvt_reg_msg("late3", 1, 60, 1)), NATT_OK);
	CU_ASSERT_FALSE(natt_rdv_server_table_full_news(f.srv));
	/* two removals: 8 of 10, the episode ends; the next refusal is news */
	rdvt_register(&f, "s1", 2, 0, &f.srv_addr);
	rdvt_register(&f, "s2", 2, 0, &f.srv_addr);
	rdvt_register(&f, "a", 1, 60, &f.srv_addr);
	rdvt_register(&f, "b", 1, 60, &f.srv_addr);
	CU_ASSERT_EQUAL(rdvt_send(&f, &f.srv_addr, rdvt_reg_msg("c", 1, 60, 1)), NATT_OK);
	rdvt_open_out(&f, 0, &ack);
	CU_ASSERT_EQUAL(ack.reg_ack.status, NATT_RDV_TABLE_FULL);
	CU_ASSERT(natt_rdv_server_table_full_news(f.srv));
	CU_ASSERT_EQUAL(natt_rdv_server_count(f.srv), 10);
	CU_ASSERT_EQUAL(natt_rdv_server_stats(f.srv)->reg_table_full, 4);
	rdvt_fx_free(&f);
}

static void test_srv_rate_limit(void)
{
	struct rdvt_fx f;
	struct natt_rdv_msg reply;
	struct natt_cand other = natt_test_v4(198, 51, 100, 21, 50000, NATT_CAND_SRFLX);
	int served = 0;

	rdvt_fx_init(&f);
	for (int i = 0; i < NATT_RL_DEFAULT_BURST; i++)
		served += rdvt_send(&f, &f.cli_addr, rdvt_lookup_msg("x", NULL, 1, 0)) == NATT_OK &&
			  f.out.count == 1;
	CU_ASSERT_EQUAL(served, NATT_RL_DEFAULT_BURST);
	/* the first excess: an authenticated RATE_LIMITED answer */
	CU_ASSERT_EQUAL(rdvt_send(&f, &f.cli_addr, rdvt_lookup_msg("x", NULL, 1, 0)), NATT_OK);
	CU_ASSERT_EQUAL(f.out.drop, NATT_RDV_DROP_RATE_LIMITED);
	CU_ASSERT_EQUAL_FATAL(f.out.count, 1);
	rdvt_open_out(&f, 0, &reply);
	CU_ASSERT_EQUAL(reply.lookup_reply.status, NATT_RDV_RATE_LIMITED);
	/* then silence, even for a different port of the same address */
	f.cli_addr.port++;
	CU_ASSERT_EQUAL(rdvt_send(&f, &f.cli_addr, rdvt_lookup_msg("x", NULL, 1, 0)), NATT_OK);
	CU_ASSERT_EQUAL(f.out.count, 0);
	CU_ASSERT_EQUAL(f.out.drop, NATT_RDV_DROP_RATE_LIMITED);
	/* other sources are served */
	CU_ASSERT_EQUAL(rdvt_send(&f, &other, rdvt_lookup_msg("x", NULL, 1, 0)), NATT_OK);
	CU_ASSERT_EQUAL(f.out.count, 1);
	/* 50 ms later the source has one token again */
	rdvt_fx_advance(&f, 50 * NATT_MSEC);
	CU_ASSERT_EQUAL(rdvt_send(&f, &f.cli_addr, rdvt_lookup_msg("x", NULL, 1, 0)), NATT_OK);
	CU_ASSERT_EQUAL(f.out.count, 1);
	CU_ASSERT_EQUAL(f.out.drop, NATT_RDV_DROP_NONE);
	CU_ASSERT_EQUAL(natt_rdv_server_stats(f.srv)->rate_limited_told, 1);
	CU_ASSERT_EQUAL(rdvt_drops(&f, NATT_RDV_DROP_RATE_LIMITED), 2);
	/* a REGISTER over the limit is told with a REGISTER_ACK */
	for (int i = 0; i < 2 * NATT_RL_DEFAULT_BURST; i++)
		rdvt_send(&f, &f.srv_addr, rdvt_reg_msg("r", 10 + (uint64_t)i, 60, 0));
	CU_ASSERT_EQUAL(natt_rdv_server_stats(f.srv)->rate_limited_told, 2);
	rdvt_fx_free(&f);
}

static void test_srv_global_limit(void)
{
	struct natt_rdv_server_config cfg;
	struct rdvt_fx f;
	int served = 0, global = 0;

	rdvt_small_config(&cfg);
	cfg.rate.global_rate = 100;
	cfg.rate.global_burst = 30;
	rdvt_fx_init_cfg(&f, &cfg);
	for (int i = 0; i < 100; i++) {
		struct natt_cand from = natt_test_v4(198, 18, (uint8_t)(i >> 8), (uint8_t)i, 9, 2);

		CU_ASSERT_EQUAL(rdvt_send(&f, &from, rdvt_lookup_msg("x", NULL, 1, 0)), NATT_OK);
		served += f.out.count == 1;
		global += f.out.drop == NATT_RDV_DROP_GLOBAL_LIMIT;
	}
	CU_ASSERT_EQUAL(served, 30);
	CU_ASSERT_EQUAL(global, 70);
	CU_ASSERT_EQUAL(rdvt_drops(&f, NATT_RDV_DROP_GLOBAL_LIMIT), 70);
	rdvt_fx_free(&f);
}

/* Random names, candidate counts and paddings, registrations then
 * lookups: every datagram the server sends is no larger than the request
 * it answers, and all of them together at most twice its size. */
static void test_srv_size_invariant(void)
{
	struct natt_rdv_server_config cfg;
	struct rdvt_fx f;
	static const char alphabet[] =
		"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-";
	uint64_t r = 99;
	unsigned int answered = 0, intros = 0;

	rdvt_small_config(&cfg);
	cfg.rate.rate = 1000000;
	cfg.rate.burst = 1000000;
	rdvt_fx_init_cfg(&f, &cfg);
	for (unsigned int i = 0; i < 3000; i++) {
		char name[NATT_MAX_NAME + 1], cname[NATT_MAX_NAME + 1];
		size_t nlen, clen, pad;
		uint8_t pkt[NATT_MAX_RENDEZVOUS], b[8];
		struct natt_rdv_msg m;
		size_t len, total = 0;

		natt_test_rng(&r, b, sizeof(b));
		nlen = i % 4 == 0 ? NATT_MAX_NAME : 1 + b[0] % 3; /* few names: many hits */
		clen = b[1] % (NATT_MAX_NAME + 1);
		for (size_t k = 0; k < nlen; k++)
			name[k] = alphabet[(b[2] + (i % 4 == 0 ? 0 : k)) % 64];
		for (size_t k = 0; k < clen; k++)
			cname[k] = alphabet[(b[3] + k) % 64];
		name[nlen] = cname[clen] = '\0';
		pad = b[4] % 2 ? 0 : b[5] * 3u;
		if (i % 3 == 0) {
			m = rdvt_reg_msg(name, i + 1, 60, b[6] % (NATT_MAX_CANDS + 1));
		} else {
			m = rdvt_lookup_msg(name, clen ? cname : NULL, i + 1,
					    b[6] % (NATT_MAX_CANDS + 1));
			pad += NATT_RDV_LOOKUP_MIN_BODY;
		}
		len = rdvt_seal_msg(&f, pkt, f.seal, f.id, &m, pad);
		CU_ASSERT_EQUAL_FATAL(rdvt_input(&f, i % 5 ? &f.cli_addr : &f.srv_addr, pkt, len),
				      NATT_OK);
		for (unsigned int k = 0; k < f.out.count; k++) {
			CU_ASSERT(f.out.dgram[k].len <= len);
			total += f.out.dgram[k].len;
		}
		CU_ASSERT(total <= 2 * len);
		answered += f.out.count > 0;
		intros += f.out.count == 2;
	}
	CU_ASSERT_EQUAL(answered, 3000);
	CU_ASSERT(intros > 500); /* the test exercised introductions */
	CU_ASSERT_EQUAL(rdvt_drops(&f, NATT_RDV_DROP_SIZE), 0);
	rdvt_fx_free(&f);
}

/* A registration with 8 host candidates and a 63-byte name, then the
 * largest lookup (63-byte names, 8 candidates: a 313-byte body) and the
 * smallest one that finds it (304 bytes): the largest answers still fit,
 * and the reply keeps 7 hosts + the srflx. */
static void test_srv_largest_answers(void)
{
	struct rdvt_fx f;
	char big[NATT_MAX_NAME + 1];
	struct natt_rdv_msg reply, intro, m;
	uint8_t pkt[NATT_MAX_RENDEZVOUS];
	size_t len;

	memset(big, 'n', NATT_MAX_NAME);
	big[NATT_MAX_NAME] = '\0';
	rdvt_fx_init(&f);
	CU_ASSERT_EQUAL(rdvt_send(&f, &f.srv_addr, rdvt_reg_msg(big, 1, 60, NATT_MAX_CANDS)),
			NATT_OK);
	for (int small = 0; small < 2; small++) {
		m = rdvt_lookup_msg(big, small ? NULL : big, 77, small ? 0 : NATT_MAX_CANDS);
		len = rdvt_seal_msg(&f, pkt, f.seal, f.id, &m, 0);
		CU_ASSERT_EQUAL(len, NATT_RDV_HDR_LEN + NATT_TAG_LEN +
					     (small ? NATT_RDV_LOOKUP_MIN_BODY : 313));
		CU_ASSERT_EQUAL(rdvt_input(&f, &f.cli_addr, pkt, len), NATT_OK);
		CU_ASSERT_EQUAL_FATAL(f.out.count, 2);
		rdvt_open_out(&f, 0, &reply);
		rdvt_open_out(&f, 1, &intro);
		CU_ASSERT_EQUAL(reply.lookup_reply.cands.count, NATT_MAX_CANDS);
		CU_ASSERT_EQUAL(reply.lookup_reply.cands.cand[7].kind, NATT_CAND_SRFLX);
		CU_ASSERT_EQUAL(intro.introduce.cands.count, small ? 0 : NATT_MAX_CANDS);
		CU_ASSERT_EQUAL(intro.introduce.name.len, small ? 0 : NATT_MAX_NAME);
		CU_ASSERT(f.out.dgram[0].len <= len);
		CU_ASSERT(f.out.dgram[1].len <= len);
	}
	rdvt_fx_free(&f);
}

/* Many registrations with random lifetimes, refreshed (lifetime up or
 * down) and removed at random, checked against a model: expiry removes
 * exactly the ones whose time has come, and the next deadline is right. */
static void test_srv_many_expiry(void)
{
	enum { N = 3000 };
	struct natt_rdv_server_config cfg;
	struct rdvt_fx f;
	static natt_time_t expires[N];
	uint64_t r = 5;
	char name[16];

	rdvt_small_config(&cfg);
	cfg.max_registrations = N;
	cfg.rate.rate = 1000000;
	cfg.rate.burst = 1000000;
	rdvt_fx_init_cfg(&f, &cfg);
	for (unsigned int pass = 0; pass < 2; pass++) {
		for (unsigned int i = 0; i < N; i++) {
			uint8_t b[3];
			uint16_t lt;

			natt_test_rng(&r, b, sizeof(b));
			lt = (uint16_t)(1 + (b[0] | b[1] << 8) % 300);
			if (pass == 1 && b[2] % 4 == 0)
				lt = 0; /* removal */
			else if (pass == 1 && b[2] % 4 != 1)
				continue;
			snprintf(name, sizeof(name), "n%u", i);
			rdvt_register(&f, name, 1 + pass, lt, &f.srv_addr);
			expires[i] = lt == 0 ? 0 : f.now + (natt_time_t)lt * NATT_SEC;
			rdvt_fx_advance(&f, 1000);
		}
	}
	for (natt_time_t t = f.now; t < f.now + 308 * NATT_SEC; t += 3 * NATT_SEC) {
		size_t left = 0;
		natt_time_t next = NATT_TIME_NEVER;

		natt_rdv_server_expire(f.srv, t);
		for (unsigned int i = 0; i < N; i++) {
			left += expires[i] > t;
			if (expires[i] > t && expires[i] < next)
				next = expires[i];
		}
		CU_ASSERT_EQUAL(natt_rdv_server_count(f.srv), left);
		CU_ASSERT_EQUAL(natt_rdv_server_next_timeout(f.srv), next);
	}
	CU_ASSERT_EQUAL(natt_rdv_server_count(f.srv), 0);
	CU_ASSERT(natt_rdv_server_stats(f.srv)->reg_removed > N / 8);
	rdvt_fx_free(&f);
}

/* Memory per registration (the figure the issue asks for): a typical
 * server with a 12-byte name and 2 host candidates. */
static void test_srv_memory(void)
{
	enum { N = 1000 };
	struct rdvt_fx f;
	size_t before, after;
	char name[16];

	rdvt_fx_init(&f);
	before = natt_rdv_server_memory(f.srv);
	for (unsigned int i = 0; i < N; i++) {
		snprintf(name, sizeof(name), "office-%05u", i);
		CU_ASSERT_EQUAL(strlen(name), 12);
		f.srv_addr.port = (uint16_t)(1000 + i); /* keep under the rate limit */
		f.srv_addr.addr[2] = (uint8_t)(i / 30);
		rdvt_register(&f, name, 1, 60, &f.srv_addr);
	}
	after = natt_rdv_server_memory(f.srv);
	/* fixed part + name + 2 candidates, plus its bucket and heap slot */
	CU_ASSERT_EQUAL((after - before) / N, 56 + 12 + 2 * NATT_CAND_LEN);
	CU_ASSERT(natt_rdv_server_memory(f.srv) < 2 * 1024 * 1024);
	rdvt_fx_free(&f);
}

const struct natt_test rdvt_limits_tests[] = {
	{"srv_table_full", test_srv_table_full},
	{"srv_rate_limit", test_srv_rate_limit},
	{"srv_global_limit", test_srv_global_limit},
	{"srv_size_invariant", test_srv_size_invariant},
	{"srv_largest_answers", test_srv_largest_answers},
	{"srv_many_expiry", test_srv_many_expiry},
	{"srv_memory", test_srv_memory},
	{NULL, NULL},
};
