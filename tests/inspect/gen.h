/*
 * gen.h: shared by the generator of the natt-inspect test captures
 * (gen_captures.c: the good captures; gen_bad.c: the crafted bad ones).
 *
 *   gen_captures OUTDIR VECTORDIR [CORPUSDIR]
 *
 * Every packet comes from the transport's encoders (wire.h, seal.h,
 * datachan.h, stun.h) under the network key of tests/vectors/network.key;
 * a bad capture mutates an encoded packet at a named header offset, or
 * puts bytes where ciphertext belongs, which is the fault it tests.
 * Everything is deterministic: running it again rewrites the same files.
 * CORPUSDIR (tests/fuzz/corpus_inspect), when given, receives copies of a
 * few small captures: the seed corpus of tests/fuzz/fuzz_inspect.
 *
 * For each case it writes the capture and NAME.expect.json:
 *
 *   {"capture": FILE, "args": [...], "exit": N, "stderr": TEXT-or-null,
 *    "expect": {...}}
 *
 * "args" are natt-inspect options ("@x" means tests/x); "expect" is a
 * subset of natt-inspect's --json document that must match (with "checks"
 * turned into an object keyed by check id); "stderr" a text the error
 * message must contain.  tests/inspect.sh runs them.
 */
#ifndef NATT_TESTS_INSPECT_GEN_H
#define NATT_TESTS_INSPECT_GEN_H

#include <stdbool.h>

#include "datachan.h"
#include "pcapw.h"
#include "seal.h"
#include "stun.h"
#include "wire.h"

#define GEN_T0	       (UINT64_C(1767225600) * 1000000) /* 2026-01-01T00:00:00Z, in µs */
#define GEN_MS	       UINT64_C(1000)
#define GEN_CLIENT_CID UINT64_C(0xc1c2c3c4c5c6c7c8)
#define GEN_SERVER_CID UINT64_C(0x5152535455565758)
#define GEN_PKT_MAX    4096

extern const char *gen_outdir;
extern struct natt_seal *gen_seal;
extern struct pw_endpoint gen_server, gen_client, gen_rendezvous;

void gen_die(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
/* A wire/seal result: negative is a bug in the generator. */
size_t gen_ok(int rc, const char *what);
/* Deterministic bytes. */
void gen_random(uint8_t *p, size_t n);
/* OUTDIR/name */
const char *gen_path(const char *name);

/* Packet builders; each returns the packet length. */
size_t gen_handshake(uint8_t *pkt, natt_cid_t dcid, natt_cid_t scid, uint64_t pn,
		     const struct natt_frame *f, size_t nf);
size_t gen_probe(uint8_t *pkt, uint8_t type, natt_cid_t dcid, natt_cid_t scid, uint8_t id,
		 size_t body_len);
size_t gen_rdv(uint8_t *pkt, const struct natt_rdv_msg *m, size_t min_body);
/* A DATA packet carrying an OpenVPN-like P_DATA_V2 datagram of len bytes. */
size_t gen_data(struct natt_dc *dc, uint64_t now, uint8_t *pkt, size_t len);
struct natt_dc *gen_dc(const uint8_t tx[32], natt_cid_t peer, natt_cid_t local,
		       uint64_t rekey_packets, uint8_t cipher);
void gen_secret(uint8_t s[32], uint8_t first);
void gen_frame_stream(struct natt_frame *f, uint64_t off, uint16_t len);
void gen_frame_ack(struct natt_frame *f, uint64_t largest, uint32_t first_range);

/* Expectation files. */
struct gen_expect {
	FILE *f;
	bool first;
};

/* args: a JSON array text ("[]", "[\"--port\", \"1194\"]"). */
void gen_expect_begin(struct gen_expect *e, const char *name, const char *capture, const char *args,
		      int exit_status, const char *stderr_text);
/* A raw "key": value member of "expect". */
void gen_expect(struct gen_expect *e, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* "checks": every check's status: fails/warns are comma-separated ids;
 * ack-unsent and auth are "not-run" without key (auth also runs with
 * keylog). */
void gen_expect_checks(struct gen_expect *e, const char *fails, const char *warns, bool key,
		       bool keylog);
void gen_expect_end(struct gen_expect *e);

/* A capture with a PROBE / PROBE_REPLY exchange client <-> server first,
 * so that the heuristic knows the endpoints; t is advanced. */
void gen_probe_exchange(struct pw_file *w, uint64_t *t);

/* gen_session.c */
void gen_session(void);

/* gen_bad.c */
void gen_bad_captures(void);
void gen_bad_inputs(const char *vectors_capture);

#endif
