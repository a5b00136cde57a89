/*
 * unit_main.c: one CUnit runner for every unit suite, so one run prints one
 * summary.  "unit SUITE..." runs only the named suites.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <CUnit/Basic.h>

#include "seal.h"
#include "unit.h"
#include "wire.h"

static const struct {
	const char *name;
	int (*add)(void);
} suites[] = {
	{"wire", natt_suite_wire},
	{"seal", natt_suite_seal},
	{"replay", natt_suite_replay},
	{"keyfile", natt_suite_keyfile},
	{"vectors", natt_suite_vectors},
	{"tls", natt_suite_tls},
	{"stun", natt_suite_stun},
	{"ratelimit", natt_suite_ratelimit},
	{"rdv", natt_suite_rdv},
	{"conf", natt_suite_conf},
	{"datachan", natt_suite_datachan},
	{"loop", natt_suite_loop},
	{"sim", natt_suite_sim},
	{"ranges", natt_suite_ranges},
	{"rtt", natt_suite_rtt},
	{"cc", natt_suite_cc},
	{"ackr", natt_suite_ackr},
	{"sendbuf", natt_suite_sendbuf},
	{"recvbuf", natt_suite_recvbuf},
	{"rudp", natt_suite_rudp},
	{"rudp_loss", natt_suite_rudp_loss},
	{"nat", natt_suite_nat},
	{"punch", natt_suite_punch},
	{"session", natt_suite_session},
	{"handshake", natt_suite_handshake},
	{"inspect", natt_suite_inspect},
	{"pconf", natt_suite_pconf},
	{"pmtu", natt_suite_pmtu},
	{"bridge", natt_suite_bridge},
	{"phelper", natt_suite_phelper},
	{"pstatus", natt_suite_pstatus},
	{"helper", natt_suite_helper},
	{"node", natt_suite_node},
	{"addr", natt_suite_addr},
	{"migrate", natt_suite_migrate},
};

int natt_add_suite(const char *name, const struct natt_test *list)
{
	CU_pSuite s = CU_add_suite(name, NULL, NULL);
	if (s == NULL)
		return -1;
	for (; list->name != NULL; list++)
		if (CU_add_test(s, list->name, list->fn) == NULL)
			return -1;
	return 0;
}

long natt_test_unhex(const char *hex, uint8_t *buf, size_t cap)
{
	size_t n = 0;
	int hi = -1;

	for (; *hex != '\0'; hex++) {
		int v;
		if (*hex >= '0' && *hex <= '9')
			v = *hex - '0';
		else if (*hex >= 'a' && *hex <= 'f')
			v = *hex - 'a' + 10;
		else if (*hex >= 'A' && *hex <= 'F')
			v = *hex - 'A' + 10;
		else if (*hex == ' ' || *hex == '\n' || *hex == '\t' || *hex == '\r')
			continue;
		else
			return -1;
		if (hi < 0) {
			hi = v;
			continue;
		}
		if (n == cap)
			return -1;
		buf[n++] = (uint8_t)(hi << 4 | v);
		hi = -1;
	}
	return hi < 0 ? (long)n : -1;
}

const char *natt_test_path(const char *rel)
{
	static char path[4096];
	const char *srcdir = getenv("srcdir");

	/* make check runs tests from the build directory with srcdir pointing
	 * at the source tree's top; run by hand, the source tree is assumed. */
	snprintf(path, sizeof(path), "%s/tests/%s", srcdir ? srcdir : ".", rel);
	return path;
}

void natt_test_rng(void *ctx, uint8_t *buf, size_t len)
{
	uint64_t *s = ctx;

	for (size_t i = 0; i < len; i++) {
		*s ^= *s << 13;
		*s ^= *s >> 7;
		*s ^= *s << 17;
		buf[i] = (uint8_t)(*s >> 24);
	}
}

struct natt_seal *natt_test_seal(uint8_t base)
{
	uint8_t k[NATT_KEY_LEN];
	struct natt_seal *s = NULL;

	for (int i = 0; i < NATT_KEY_LEN; i++)
		k[i] = (uint8_t)(base + i);
	CU_ASSERT_EQUAL_FATAL(natt_seal_new(&s, k), NATT_OK);
	return s;
}

struct natt_cand natt_test_v4(uint8_t a, uint8_t b, uint8_t c, uint8_t d, uint16_t port,
			      uint8_t kind)
{
	struct natt_cand x;

	memset(&x, 0, sizeof(x));
	x.kind = kind;
	x.family = 4;
	x.port = port;
	x.addr[0] = a;
	x.addr[1] = b;
	x.addr[2] = c;
	x.addr[3] = d;
	return x;
}

static int wanted(int argc, char **argv, const char *name)
{
	if (argc < 2)
		return 1;
	for (int i = 1; i < argc; i++)
		if (strcmp(argv[i], name) == 0)
			return 1;
	return 0;
}

int main(int argc, char **argv)
{
	unsigned int failed;

	if (CU_initialize_registry() != CUE_SUCCESS)
		return 2;
	for (size_t i = 0; i < sizeof(suites) / sizeof(suites[0]); i++) {
		if (!wanted(argc, argv, suites[i].name))
			continue;
		if (suites[i].add() != 0) {
			fprintf(stderr, "unit: cannot register suite %s: %s\n", suites[i].name,
				CU_get_error_msg());
			CU_cleanup_registry();
			return 2;
		}
	}
	CU_basic_set_mode(CU_BRM_VERBOSE);
	CU_basic_run_tests();
	failed = CU_get_number_of_failures() + CU_get_number_of_tests_failed();
	/* A runner that ran nothing must not look green. */
	if (CU_get_number_of_tests_run() == 0) {
		fprintf(stderr, "unit: no test ran\n");
		failed = 1;
	}
	CU_cleanup_registry();
	return failed ? 1 : 0;
}
