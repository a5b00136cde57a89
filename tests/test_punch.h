/*
 * test_punch.h: the three files of the "punch" suite share this.
 *   tests/test_punch.c       the fixture below; arguments, NAT-type
 *                            inference, probing, PROBE / PROBE_REPLY on the
 *                            wire; registers the suite
 *   tests/test_punch_path.c  selection, liveness, re-probing, roaming
 *                            validation, the birthday method's datagrams,
 *                            the diagnosis
 *   tests/test_punch_lab.c   both peers behind modelled NATs on the
 *                            simulated network (tests/sim/punchlab.h)
 *
 * The fixture: two sessions on public addresses ("duo"), A controlling and
 * B controlled, joined by an instant in-memory wire that a test can cut.
 */
#ifndef NATT_TESTS_TEST_PUNCH_H
#define NATT_TESTS_TEST_PUNCH_H

#include "punch.h"
#include "unit.h"

#define PT_T0 (100 * NATT_SEC) /* the duo's clock at the start */

struct pt_duo {
	uint64_t rng;
	struct natt_seal *seal;
	struct natt_punch *a, *b;
	struct natt_cand addr_a, addr_b;
	natt_time_t now;
	bool cut;		 /* the wire drops everything */
	unsigned int to_a, to_b; /* datagrams delivered */
};

struct pt_text {
	char buf[8192];
	size_t len;
};

/* Same address and port (kind ignored). */
bool pt_same(const struct natt_cand *a, const struct natt_cand *b);
/* A session with the duo's seal and random state. */
struct natt_punch *pt_make(struct pt_duo *d, const struct natt_punch_config *cfg, natt_cid_t cid,
			   enum natt_punch_role role);
/* A (cid 0xaaaa, 198.51.100.1:1194) and B (0xbbbb, 192.0.2.2:1194), each
 * with the other as its only remote candidate; cfg may be NULL. */
void pt_duo_init(struct pt_duo *d, const struct natt_punch_config *cfg);
void pt_duo_free(struct pt_duo *d);
/* Runs due timers and delivers everything both send now. */
void pt_duo_pump(struct pt_duo *d);
/* Runs the clock to until, stopping at every deadline. */
void pt_duo_run(struct pt_duo *d, natt_time_t until);
/* Starts both and runs one second: both must be CONNECTED. */
void pt_connect(struct pt_duo *d);
/* A sealed PROBE or PROBE_REPLY built by hand with wire.h and seal.h. */
size_t pt_forge(struct natt_seal *seal, uint8_t *out, uint8_t type, natt_cid_t dcid,
		natt_cid_t scid, const uint8_t *id, const struct natt_cand *seen, size_t body);
/* Opens and decodes a datagram a session sent. */
bool pt_inspect(struct natt_seal *seal, const uint8_t *pkt, size_t len, struct natt_header *h,
		struct natt_probe *pr);
/* The diagnosis of p as text (at least 5 lines). */
void pt_text_line(void *ctx, const char *line);
void pt_diag_text(const struct natt_punch *p, struct pt_text *t);

/* The tests of test_punch_path.c and test_punch_lab.c, {NULL}-terminated. */
extern const struct natt_test natt_punch_path_tests[];
extern const struct natt_test natt_punch_lab_tests[];

#endif
