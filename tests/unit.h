/*
 * unit.h: the CUnit runner's registry.  Each tests/test_<module>.c defines
 * one natt_suite_<module>() that adds its suite; tests/unit_main.c lists
 * them.  Helpers shared by several suites live here too.
 */
#ifndef NATT_TESTS_UNIT_H
#define NATT_TESTS_UNIT_H

#include <CUnit/CUnit.h>
#include <stddef.h>
#include <stdint.h>

struct natt_test {
	const char *name;
	void (*fn)(void);
};

/* Adds a suite named name with the tests in list (terminated by {NULL}). */
int natt_add_suite(const char *name, const struct natt_test *list);

/* Reads a hex string (whitespace ignored) into buf; returns length or -1. */
long natt_test_unhex(const char *hex, uint8_t *buf, size_t cap);

struct natt_seal;
struct natt_cand;

/* A deterministic xorshift byte source for natt_random_fn (ctx: uint64_t). */
void natt_test_rng(void *ctx, uint8_t *buf, size_t len);
/* A seal whose network key is the bytes base, base+1, ... (asserts). */
struct natt_seal *natt_test_seal(uint8_t base);
/* An IPv4 candidate a.b.c.d:port of the given kind. */
struct natt_cand natt_test_v4(uint8_t a, uint8_t b, uint8_t c, uint8_t d, uint16_t port,
			      uint8_t kind);

/* Path of a file under tests/ (uses $srcdir when make check sets it). */
const char *natt_test_path(const char *rel);

int natt_suite_wire(void);
int natt_suite_seal(void);
int natt_suite_replay(void);
int natt_suite_keyfile(void);
int natt_suite_vectors(void);
int natt_suite_tls(void);
int natt_suite_stun(void);
int natt_suite_ratelimit(void);
int natt_suite_rdv(void);
int natt_suite_conf(void);
int natt_suite_datachan(void);
int natt_suite_loop(void);
int natt_suite_sim(void);
int natt_suite_ranges(void);
int natt_suite_rtt(void);
int natt_suite_cc(void);
int natt_suite_ackr(void);
int natt_suite_sendbuf(void);
int natt_suite_recvbuf(void);
int natt_suite_rudp(void);
int natt_suite_rudp_loss(void);
int natt_suite_nat(void);
int natt_suite_punch(void);
int natt_suite_session(void);
int natt_suite_handshake(void);
int natt_suite_inspect(void);
int natt_suite_pconf(void);
int natt_suite_pmtu(void);
int natt_suite_bridge(void);
int natt_suite_phelper(void);
int natt_suite_pstatus(void);
int natt_suite_node(void);
int natt_suite_addr(void);
int natt_suite_helper(void);
int natt_suite_migrate(void);

#endif
