/*
 * bench_handshake.c: what a session handshake costs (not a timed test).
 *
 *   cpu    full sessions (client and server: rudp, TLS 1.3 with mutual
 *          certificate authentication, PARAMS, data-channel keys) per
 *          second of one core, EC P-256 and RSA-2048 test PKIs, on a
 *          zero-delay simulated link; process CPU time
 *          (CLOCK_PROCESS_CPUTIME_ID), loading the PEM files excluded
 *   loss   handshake time in simulated seconds (20 ms each way) for
 *          loss in bursts of 3 from 0% to 30% each way, 200 seeds each:
 *          median, 90th percentile, maximum, and how many completed
 *
 * Usage: bench_handshake [SECONDS_PER_CPU_FIGURE]  (default 1; run from
 * the source tree or with srcdir set, like the unit tests: it makes the
 * test PKI with tests/pki/make-pki.sh).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <CUnit/Basic.h>

#include "session_harness.h"
#include "unit.h"

#define SEC NATT_SEC
#define MS  NATT_MSEC

/* tls_harness.c finds tests/pki through this (unit_main.c has the same). */
const char *natt_test_path(const char *rel)
{
	static char path[4096];
	const char *srcdir = getenv("srcdir");

	snprintf(path, sizeof(path), "%s/tests/%s", srcdir ? srcdir : ".", rel);
	return path;
}

static double cpu_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static char rsa_dir[256];

static struct natt_tls_ctx *ctx_from(const char *dir, enum natt_tls_role role, const char *id)
{
	struct natt_tls_config cfg = {0};
	struct natt_tls_ctx *c = NULL;
	char ca[300], crt[300], key[300], err[256];

	snprintf(ca, sizeof(ca), "%s/ca.crt", dir);
	snprintf(crt, sizeof(crt), "%s/%s.crt", dir, id);
	snprintf(key, sizeof(key), "%s/%s.key", dir, id);
	cfg.ca_file = ca;
	cfg.cert_file = crt;
	cfg.key_file = key;
	if (natt_tls_ctx_new(&c, role, &cfg, err, sizeof(err)) != NATT_OK) {
		fprintf(stderr, "bench_handshake: %s\n", err);
		exit(1);
	}
	return c;
}

/* One handshake to ESTABLISHED on both sides; false if it did not finish.
 * *cpu: the CPU time it took, loading the certificates excluded (a plugin
 * loads them once). */
static bool one_handshake(const char *dir, uint64_t seed, const struct sim_link_cfg *link,
			  natt_time_t *took, double *cpu)
{
	struct natt_tls_ctx *ctx[2] = {ctx_from(dir, NATT_TLS_CLIENT, "client"),
				       ctx_from(dir, NATT_TLS_SERVER, "server")};
	double t0 = cpu_now();
	struct sh h;
	bool ok;

	if (sh_init_ctx(&h, seed, NULL, ctx) != 0) {
		fprintf(stderr, "bench_handshake: cannot build the sessions\n");
		exit(1);
	}
	sh_link_both(&h, link);
	sh_start(&h, false);
	ok = sh_run(&h, 300 * SEC, sh_established) == 0;
	*took = h.side[0].established_at > h.side[1].established_at ? h.side[0].established_at
								    : h.side[1].established_at;
	sh_free(&h);
	*cpu = cpu_now() - t0;
	return ok;
}

static void cpu_figure(const char *name, const char *dir, double seconds)
{
	struct sim_link_cfg link = {0};
	double t = 0, one;
	natt_time_t took;
	unsigned int n = 0;

	do {
		if (!one_handshake(dir, n + 1, &link, &took, &one)) {
			fprintf(stderr, "bench_handshake: a clean handshake failed\n");
			exit(1);
		}
		n++;
		t += one;
	} while (t < seconds);
	printf("cpu   %-4s %6.0f sessions/s per core (%.2f ms CPU each, both sides)\n", name, n / t,
	       1000 * t / n);
}

static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static void loss_figure(const char *dir, double loss)
{
	struct sim_link_cfg link = {.delay = 20 * MS};
	double v[200];
	unsigned int ok = 0;

	if (loss > 0) {
		link.burst_loss = loss;
		link.burst_len = 3;
	}
	for (uint64_t seed = 1; seed <= 200; seed++) {
		natt_time_t took;
		double cpu;

		if (one_handshake(dir, seed, &link, &took, &cpu))
			v[ok++] = (double)took / SEC;
	}
	qsort(v, ok, sizeof(v[0]), cmp);
	printf("loss  %4.0f%% in bursts of 3 each way: %3u/200 complete, median %.2f s, "
	       "p90 %.2f s, max %.2f s (RTT 40 ms)\n",
	       100 * loss, ok, ok ? v[ok / 2] : 0, ok ? v[ok * 9 / 10] : 0, ok ? v[ok - 1] : 0);
}

static void remove_rsa(void)
{
	char cmd[512];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", rsa_dir);
	if (system(cmd) != 0)
		fprintf(stderr, "bench_handshake: could not remove %s\n", rsa_dir);
}

static double seconds = 1;

static void bench(void)
{
	static const double losses[] = {0, 0.01, 0.05, 0.10, 0.20, 0.30};
	char cmd[4400];

	snprintf(rsa_dir, sizeof(rsa_dir), "%s/natt-rsa-XXXXXX",
		 getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	if (mkdtemp(rsa_dir) == NULL)
		exit(1);
	atexit(remove_rsa);
	snprintf(cmd, sizeof(cmd), "sh '%s' '%s' rsa", natt_test_path("pki/make-pki.sh"), rsa_dir);
	if (system(cmd) != 0)
		exit(1);
	cpu_figure("EC", tlst_pki_dir(), seconds);
	cpu_figure("RSA", rsa_dir, seconds);
	for (size_t i = 0; i < sizeof(losses) / sizeof(losses[0]); i++)
		loss_figure(tlst_pki_dir(), losses[i]);
}

/* The harness checks itself with CUnit assertions, which need a running
 * test: the benchmark is one, run silently. */
int main(int argc, char **argv)
{
	CU_pSuite suite;
	unsigned int failed;

	if (argc > 1)
		seconds = atof(argv[1]);
	if (CU_initialize_registry() != CUE_SUCCESS || sh_pki() != 0)
		return 1;
	suite = CU_add_suite("bench_handshake", NULL, NULL);
	if (suite == NULL || CU_add_test(suite, "bench", bench) == NULL)
		return 1;
	CU_run_all_tests();
	failed = CU_get_number_of_failures();
	if (failed)
		fprintf(stderr, "bench_handshake: %u harness assertions failed\n", failed);
	CU_cleanup_registry();
	return failed ? 1 : 0;
}
