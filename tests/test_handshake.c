/*
 * test_handshake.c: the session handshake of issue 3, on the simulated
 * network: TLS 1.3 over the reliable stream, then PARAMS, to ESTABLISHED.
 *   - 50 of 50 handshakes complete with 30% loss each way in bursts of 3
 *     (seeds 1..50), figures: median and maximum handshake time;
 *   - a clean link's handshake time in round trips, with the client's
 *     padding, with a path validated beforehand (punch), and with neither;
 *   - every authentication failure is found on the side that judges, with
 *     its reason, and reported to the other side in a CLOSE frame;
 *   - anti-amplification: before validation the server never sends more
 *     than 3x what it received, with EC and with RSA certificates (whose
 *     first flight is the larger), also towards a client that sends one
 *     packet and nothing else.
 * Figures are printed in brackets, as the other suites do.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "session_harness.h"
#include "unit.h"

int natt_suite_handshake(void);

#define MS  NATT_MSEC
#define SEC NATT_SEC

#define DELAY (20 * MS) /* one way: RTT 40 ms */
#define RTT   (2 * DELAY)

static const struct sim_link_cfg clean = {.delay = DELAY};

static struct natt_session_config cfg_with(bool pad)
{
	struct natt_session_config c;

	natt_session_config_default(&c);
	c.pad_initial = pad;
	return c;
}

/* When both sides were ESTABLISHED. */
static natt_time_t done_at(const struct sh *h)
{
	natt_time_t a = h->side[0].established_at, b = h->side[1].established_at;

	return a > b ? a : b;
}

/*
 * After a handshake: the data channel works both ways on a clean link.
 * A loss burst under way when the link turned clean still takes up to
 * burst_len - 1 datagrams (sim.h keeps a link's state), and DATA is never
 * retransmitted.
 */
static void check_data(struct sh *h, unsigned int burst_len)
{
	sh_link_both(h, &clean);
	sh_send(h, 0, 20, 0);
	sh_send(h, 1, 20, 0);
	sh_run(h, h->now + 5 * SEC, sh_delivered);
	for (int i = 0; i < 2; i++) {
		CU_ASSERT(h->side[i].received + (burst_len > 0 ? burst_len - 1 : 0) >= 20);
		CU_ASSERT_EQUAL(h->side[i].bad, 0);
	}
}

/* ---- under loss ---- */

static void lossy_50(bool pad, const char *what)
{
	struct natt_session_config c = cfg_with(pad);
	const struct natt_session_config *cfg[2] = {&c, &c};
	struct sim_link_cfg link = clean;
	double t[50], worst = 0;
	int ok = 0;
	uint64_t violations = 0;

	link.burst_loss = 0.30;
	link.burst_len = 3;
	for (uint64_t seed = 1; seed <= 50; seed++) {
		struct sh h;
		int rc;

		CU_ASSERT_EQUAL_FATAL(sh_init(&h, seed, cfg, NULL), 0);
		sh_link_both(&h, &link);
		sh_start(&h, false);
		rc = sh_run(&h, 120 * SEC, sh_established);
		if (rc != 0) {
			fprintf(stderr, "\n  seed %llu: rc %d, states %s/%s\n",
				(unsigned long long)seed, rc,
				natt_session_state_name(natt_session_state(h.side[0].s)),
				natt_session_state_name(natt_session_state(h.side[1].s)));
			sh_free(&h);
			continue;
		}
		t[ok++] = (double)done_at(&h) / SEC;
		if (t[ok - 1] > worst)
			worst = t[ok - 1];
		violations += h.side[1].amp_violations;
		check_data(&h, link.burst_len);
		sh_free(&h);
	}
	CU_ASSERT_EQUAL(ok, 50);
	CU_ASSERT_EQUAL(violations, 0);
	fprintf(stderr, "[%s: %d/50 complete; handshake median %.2f s, max %.2f s (RTT %.0f ms)] ",
		what, ok, sh_median(t, (size_t)ok), worst, (double)RTT / MS);
}

static void test_lossy_50(void)
{
	lossy_50(true, "padded");
}

/* Without padding the server's flight is cut at 3x the ClientHello, and
 * losing it leaves the server stuck: only the client's handshake PINGs
 * (session.c) get it going again. */
static void test_lossy_50_unpadded(void)
{
	lossy_50(false, "unpadded");
}

/* ---- clean link: round trips ---- */

/* One clean handshake; returns when both sides were ESTABLISHED, in RTTs,
 * and the server's first-flight figures. */
static double clean_rtts(bool pad, bool validated, uint64_t *first_in, uint64_t *flight)
{
	struct natt_session_config c = cfg_with(pad);
	const struct natt_session_config *cfg[2] = {&c, &c};
	struct sh h;
	double r;

	CU_ASSERT_EQUAL_FATAL(sh_init(&h, 21, cfg, NULL), 0);
	sh_link_both(&h, &clean);
	sh_start(&h, validated);
	sh_run(&h, RTT / 2 + 1, NULL); /* the first packet arrived */
	*first_in = h.side[1].accepted_bytes;
	sh_run(&h, RTT + RTT / 2 - 1, NULL); /* what the server sent before the client's answer */
	*flight = h.side[1].bytes_out;
	CU_ASSERT_EQUAL(sh_run(&h, 10 * SEC, sh_established), 0);
	CU_ASSERT_EQUAL(h.side[1].amp_violations, 0);
	r = (double)done_at(&h) / (double)RTT;
	check_data(&h, 0);
	sh_free(&h);
	return r;
}

static void test_clean_rtts(void)
{
	uint64_t in_p, fl_p, in_v, fl_v, in_n, fl_n;
	double padded = clean_rtts(true, false, &in_p, &fl_p);
	double validated = clean_rtts(false, true, &in_v, &fl_v);
	double neither = clean_rtts(false, false, &in_n, &fl_n);

	/* client hello, server flight + client finished and PARAMS, server PARAMS */
	CU_ASSERT_EQUAL(padded, 2.0);
	CU_ASSERT_EQUAL(validated, 2.0);
	CU_ASSERT(neither > 2.0);
	CU_ASSERT_EQUAL(in_p, NATT_MAX_HANDSHAKE);
	CU_ASSERT(in_v < 600);
	CU_ASSERT(fl_n <= 3 * in_n);
	fprintf(stderr,
		"[RTTs: padded %.2f, validated path %.2f, neither %.2f; ClientHello packet %llu B "
		"(%llu padded); server flight %llu B, %llu B within 3x unpadded] ",
		padded, validated, neither, (unsigned long long)in_v, (unsigned long long)in_p,
		(unsigned long long)fl_v, (unsigned long long)fl_n);
}

/* ---- authentication failures ---- */

struct closes {
	bool seen[2];
	uint16_t code[2];
	char reason[2][NATT_MAX_REASON + 1];
};

static void watch_close(void *ctx, struct sh *h, int side, const uint8_t *pkt, size_t len)
{
	struct closes *c = ctx;

	if (!c->seen[side])
		c->seen[side] = sh_close_frame(h, pkt, len, &c->code[side], c->reason[side]);
}

struct auth_case {
	const char *what;
	struct tlst_spec client, server;
	int judge; /* 0: the client refuses the server, 1: the server the client */
	enum natt_tls_reason reason;
};

static void run_auth_case(const struct auth_case *ac)
{
	const struct tlst_spec *tls[2] = {&ac->client, &ac->server};
	const char *want = natt_tls_reason_name(ac->reason);
	struct natt_session_end e;
	struct closes c;
	struct sh h;
	int judge = ac->judge, other = 1 - ac->judge;

	memset(&c, 0, sizeof(c));

	CU_ASSERT_EQUAL_FATAL(sh_init(&h, 31, NULL, tls), 0);
	sh_link_both(&h, &clean);
	h.on_packet = watch_close;
	h.on_packet_ctx = &c;
	sh_start(&h, false);
	CU_ASSERT_EQUAL(sh_run(&h, 30 * SEC, sh_done), 0);

	natt_session_get_end(h.side[judge].s, &e);
	CU_ASSERT_EQUAL(natt_session_state(h.side[judge].s), NATT_SESSION_FAILED);
	CU_ASSERT_EQUAL(e.reason, NATT_SESSION_R_TLS);
	CU_ASSERT_EQUAL(e.tls, ac->reason);
	CU_ASSERT_STRING_EQUAL(e.text, want);
	CU_ASSERT_FALSE(e.remote);
	if (e.tls != ac->reason)
		fprintf(stderr, "\n  %s: judge says %s (%s)\n", ac->what, e.text, e.detail);
	/* on the wire: the judge's CLOSE frame */
	CU_ASSERT(c.seen[judge]);
	CU_ASSERT_EQUAL(c.code[judge], NATT_CLOSE_TLS_FAILED);
	CU_ASSERT_STRING_EQUAL(c.reason[judge], want);
	CU_ASSERT_FALSE(c.seen[other]);
	/* the other side knows why, as the peer's unauthenticated claim */
	natt_session_get_end(h.side[other].s, &e);
	CU_ASSERT_EQUAL(natt_session_state(h.side[other].s), NATT_SESSION_FAILED);
	CU_ASSERT_EQUAL(e.reason, NATT_SESSION_R_PEER_CLOSE);
	CU_ASSERT(e.remote);
	CU_ASSERT_FALSE(e.authenticated);
	CU_ASSERT_EQUAL(e.code, NATT_CLOSE_TLS_FAILED);
	CU_ASSERT_STRING_EQUAL(e.text, want);
	CU_ASSERT_PTR_NOT_NULL(strstr(e.detail, want));
	for (int i = 0; i < 2; i++)
		CU_ASSERT_EQUAL(h.side[i].established_at, NATT_TIME_NEVER);
	sh_free(&h);
}

static void test_auth_failures(void)
{
	static char pin[NATT_TLS_FP_HEX_LEN];
	const struct auth_case cases[] = {
		{"expired", {.id = "client-expired"}, {.id = "server"}, 1, NATT_TLS_R_EXPIRED},
		{"not yet valid",
		 {.id = "client-future"},
		 {.id = "server"},
		 1,
		 NATT_TLS_R_NOT_YET_VALID},
		{"unknown CA (client)",
		 {.id = "client-rogue"},
		 {.id = "server"},
		 1,
		 NATT_TLS_R_UNKNOWN_CA},
		{"unknown CA (server)",
		 {.id = "client", .ca = "other-ca"},
		 {.id = "server"},
		 0,
		 NATT_TLS_R_UNKNOWN_CA},
		{"name mismatch (server)",
		 {.id = "client", .name = "other.natt.test"},
		 {.id = "server"},
		 0,
		 NATT_TLS_R_NAME_MISMATCH},
		{"name mismatch (client)",
		 {.id = "client"},
		 {.id = "server", .name = "someone-else"},
		 1,
		 NATT_TLS_R_NAME_MISMATCH},
		{"pin mismatch",
		 {.id = "client", .pin = pin},
		 {.id = "server"},
		 0,
		 NATT_TLS_R_PIN_MISMATCH},
		{"wrong EKU (client)",
		 {.id = "client-noeku"},
		 {.id = "server"},
		 1,
		 NATT_TLS_R_BAD_KEY_USAGE},
		{"wrong EKU (server)",
		 {.id = "client"},
		 {.id = "client"},
		 0,
		 NATT_TLS_R_BAD_KEY_USAGE},
	};

	tlst_fp_text("client", false, pin, sizeof(pin)); /* not the server's */
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		run_auth_case(&cases[i]);
}

/* ---- anti-amplification ---- */

/* Drops every client packet after the first. */
static bool first_only(void *ctx, struct sim *s, enum sim_hook_point at, struct sim_addr *from,
		       struct sim_addr *to, const uint8_t *data, size_t len)
{
	unsigned int *sent = ctx;

	(void)s, (void)to, (void)data, (void)len;
	if (at != SIM_HOOK_SEND || from->ip != SH_IP(0))
		return true;
	return (*sent)++ == 0;
}

/* A client that sends one packet and nothing else: the server's answer,
 * all of it until it gives up, stays within 3x. */
static void one_packet(bool pad, struct natt_tls_ctx *ctx[2], uint64_t *in, uint64_t *out)
{
	struct natt_session_config c = cfg_with(pad);
	const struct natt_session_config *cfg[2] = {&c, &c};
	unsigned int sent = 0;
	struct sh h;

	c.handshake_timeout = 20 * SEC;
	CU_ASSERT_EQUAL_FATAL(
		ctx != NULL ? sh_init_ctx(&h, 41, cfg, ctx) : sh_init(&h, 41, cfg, NULL), 0);
	sh_link_both(&h, &clean);
	sim_set_hook(h.sim, first_only, &sent);
	sh_start(&h, false);
	CU_ASSERT_EQUAL(sh_run(&h, 60 * SEC, sh_done), 0);
	CU_ASSERT_EQUAL(natt_session_state(h.side[1].s), NATT_SESSION_FAILED);
	*in = h.side[1].accepted_bytes;
	*out = h.side[1].bytes_out;
	CU_ASSERT(*in > 0);
	CU_ASSERT(*out > 0);
	CU_ASSERT(*out <= 3 * *in);
	CU_ASSERT_EQUAL(h.side[1].amp_violations, 0);
	sh_free(&h);
}

/* A whole handshake with the default padding; returns the round trips and
 * the largest ratio seen before validation. */
static double full_handshake(struct natt_tls_ctx *ctx[2], double *ratio)
{
	struct sh h;
	double r;

	CU_ASSERT_EQUAL_FATAL(
		ctx != NULL ? sh_init_ctx(&h, 42, NULL, ctx) : sh_init(&h, 42, NULL, NULL), 0);
	sh_link_both(&h, &clean);
	sh_start(&h, false);
	CU_ASSERT_EQUAL(sh_run(&h, 10 * SEC, sh_established), 0);
	CU_ASSERT(h.side[1].amp_checked > 0);
	CU_ASSERT_EQUAL(h.side[1].amp_violations, 0);
	*ratio = h.side[1].amp_max;
	r = (double)done_at(&h) / (double)RTT;
	sh_free(&h);
	return r;
}

static void test_amplification_ec(void)
{
	uint64_t in_p, out_p, in_u, out_u;
	double ratio, rtts = full_handshake(NULL, &ratio);

	one_packet(true, NULL, &in_p, &out_p);
	one_packet(false, NULL, &in_u, &out_u);
	CU_ASSERT_EQUAL(rtts, 2.0);
	fprintf(stderr,
		"[EC: handshake %.2f RTT, max %.2fx before validation; one packet: padded %llu B "
		"-> %llu B, unpadded %llu B -> %llu B] ",
		rtts, ratio, (unsigned long long)in_p, (unsigned long long)out_p,
		(unsigned long long)in_u, (unsigned long long)out_u);
}

/* The RSA test PKI (RSA-2048, as easy-rsa makes it), in its own directory. */
static char rsa_dir[256];

static void remove_rsa(void)
{
	char cmd[512];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", rsa_dir);
	if (system(cmd) != 0)
		fprintf(stderr, "test_handshake: could not remove %s\n", rsa_dir);
}

static struct natt_tls_ctx *rsa_ctx(enum natt_tls_role role, const char *id)
{
	struct natt_tls_config cfg = {0};
	struct natt_tls_ctx *c = NULL;
	char ca[300], crt[300], key[300], err[256];

	snprintf(ca, sizeof(ca), "%s/ca.crt", rsa_dir);
	snprintf(crt, sizeof(crt), "%s/%s.crt", rsa_dir, id);
	snprintf(key, sizeof(key), "%s/%s.key", rsa_dir, id);
	cfg.ca_file = ca;
	cfg.cert_file = crt;
	cfg.key_file = key;
	if (natt_tls_ctx_new(&c, role, &cfg, err, sizeof(err)) != NATT_OK)
		fprintf(stderr, "\n  %s\n", err);
	CU_ASSERT_PTR_NOT_NULL_FATAL(c);
	return c;
}

static void test_amplification_rsa(void)
{
	const char *tmp = getenv("TMPDIR");
	struct natt_tls_ctx *ctx[2];
	uint64_t in_p, out_p, in_u, out_u;
	double ratio, rtts;
	char cmd[700];

	snprintf(rsa_dir, sizeof(rsa_dir), "%s/natt-rsa-XXXXXX", tmp != NULL ? tmp : "/tmp");
	CU_ASSERT_PTR_NOT_NULL_FATAL(mkdtemp(rsa_dir));
	atexit(remove_rsa);
	snprintf(cmd, sizeof(cmd), "sh '%s' '%s' rsa", natt_test_path("pki/make-pki.sh"), rsa_dir);
	CU_ASSERT_EQUAL_FATAL(system(cmd), 0);

	ctx[0] = rsa_ctx(NATT_TLS_CLIENT, "client");
	ctx[1] = rsa_ctx(NATT_TLS_SERVER, "server");
	rtts = full_handshake(ctx, &ratio);
	CU_ASSERT_EQUAL(rtts, 2.0);
	ctx[0] = rsa_ctx(NATT_TLS_CLIENT, "client");
	ctx[1] = rsa_ctx(NATT_TLS_SERVER, "server");
	one_packet(true, ctx, &in_p, &out_p);
	ctx[0] = rsa_ctx(NATT_TLS_CLIENT, "client");
	ctx[1] = rsa_ctx(NATT_TLS_SERVER, "server");
	one_packet(false, ctx, &in_u, &out_u);
	fprintf(stderr,
		"[RSA: handshake %.2f RTT, max %.2fx before validation; one packet: padded %llu B "
		"-> %llu B, unpadded %llu B -> %llu B] ",
		rtts, ratio, (unsigned long long)in_p, (unsigned long long)out_p,
		(unsigned long long)in_u, (unsigned long long)out_u);
}

static const struct natt_test tests[] = {
	{"lossy_50", test_lossy_50},
	{"lossy_50_unpadded", test_lossy_50_unpadded},
	{"clean_rtts", test_clean_rtts},
	{"auth_failures", test_auth_failures},
	{"amplification_ec", test_amplification_ec},
	{"amplification_rsa", test_amplification_rsa},
	{NULL, NULL},
};

int natt_suite_handshake(void)
{
	if (sh_pki() != 0)
		return -1;
	return natt_add_suite("handshake", tests);
}
