/*
 * fuzz_wire.c: libFuzzer target for the wire module (transport/wire*.c).
 *
 * The input goes through every decoder: as a packet (classify, header, then
 * the bytes after the header as HANDSHAKE frames) and, whole, as frames, a
 * candidate, PROBE and PROBE_REPLY bodies, each rendezvous body and a
 * stream of control messages.  Whatever decodes must re-encode: to the same
 * bytes where the encoding is canonical (headers, candidates, frames, probe
 * and rendezvous bodies), and to a fixed point for control messages (which
 * drop unknown parameters and put the known ones in id order).  A
 * violation aborts.
 *
 * Seed corpus: tests/fuzz/corpus_wire/, written by tests/gen_vectors.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "wire.h"

/* Large enough for any frame (STREAM carries up to 65535 bytes). */
static uint8_t out[NATT_MAX_DATAGRAM + 1024];
static uint8_t out2[NATT_MAX_DATAGRAM + 1024];

#define CHECK(cond)                                                                                \
	do {                                                                                       \
		if (!(cond)) {                                                                     \
			fprintf(stderr, "fuzz_wire: %s:%d: %s\n", __FILE__, __LINE__, #cond);      \
			abort();                                                                   \
		}                                                                                  \
	} while (0)

static void fuzz_header(const uint8_t *p, size_t len, struct natt_header *h)
{
	int rc;

	natt_wire_classify(p, len);
	natt_pkt_type_name(len > 0 ? p[0] : 0);
	if (natt_header_decode(h, p, len) != NATT_OK) {
		h->len = 0;
		return;
	}
	CHECK(h->len == natt_header_len(h->type) && h->len + h->payload_len == len);
	/* UNKNOWN_CID has one size and one CID (PROTOCOL.md 5.4). */
	CHECK(h->type != NATT_PT_UNKNOWN_CID ||
	      (len == NATT_UNKNOWN_CID_LEN && h->dcid != 0 && h->scid == 0));
	rc = natt_header_encode(out, sizeof(out), h);
	CHECK(rc == (int)h->len && memcmp(out, p, h->len) == 0);
}

static void fuzz_frames(const uint8_t *p, size_t len)
{
	size_t off = 0;

	while (off < len) {
		struct natt_frame f, g;
		int rc = natt_frame_decode(&f, p + off, len - off);
		int n;

		if (rc < 0)
			return;
		CHECK(rc > 0 && (size_t)rc <= len - off);
		natt_frame_type_name(f.type);
		CHECK(natt_frame_len(&f) == (size_t)rc);
		n = natt_frame_encode(out, sizeof(out), &f);
		CHECK(n == rc && memcmp(out, p + off, (size_t)rc) == 0);
		CHECK(natt_frame_decode(&g, out, (size_t)n) == n);
		CHECK(natt_frame_encode(out2, sizeof(out2), &g) == n);
		CHECK(memcmp(out2, out, (size_t)n) == 0);
		if (f.type == NATT_FT_ACK) {
			uint64_t lo, hi;

			for (unsigned i = 0; i <= f.ack.range_count; i++)
				CHECK(natt_ack_interval(&f, i, &lo, &hi) == NATT_OK && lo <= hi);
		}
		if (f.type == NATT_FT_CLOSE)
			natt_close_code_name(f.close.code);
		off += (size_t)rc;
	}
}

static void fuzz_cand(const uint8_t *p, size_t len)
{
	struct natt_cand c, d;

	if (natt_cand_decode(&c, p, len) != NATT_OK)
		return;
	CHECK(natt_cand_valid(&c));
	natt_cand_kind_name(c.kind);
	CHECK(natt_cand_encode(out, sizeof(out), &c) == NATT_CAND_LEN);
	CHECK(memcmp(out, p, NATT_CAND_LEN) == 0);
	CHECK(natt_cand_decode(&d, out, NATT_CAND_LEN) == NATT_OK && natt_cand_equal(&c, &d));
}

static void fuzz_probe(uint8_t type, const uint8_t *p, size_t len)
{
	struct natt_probe pr;

	if (natt_probe_decode(&pr, type, p, len) != NATT_OK)
		return;
	CHECK(NATT_PROBE_MIN_BODY + pr.padding == len);
	CHECK(natt_probe_encode(out, sizeof(out), type, &pr, len) == (int)len);
	CHECK(memcmp(out, p, len) == 0);
}

static void fuzz_rdv(uint8_t type, const uint8_t *p, size_t len)
{
	struct natt_rdv_msg m, d;
	int n;

	if (natt_rdv_decode(&m, type, p, len) != NATT_OK)
		return;
	CHECK(m.type == type && len >= natt_rdv_min_body(type));
	n = natt_rdv_encode(out, sizeof(out), &m, len);
	CHECK(n == (int)len && memcmp(out, p, len) == 0);
	/* Without the padding request, the same fields and no more padding
	 * than the type's minimum needs. */
	n = natt_rdv_encode(out, sizeof(out), &m, 0);
	CHECK(n > 0 && (size_t)n <= len && memcmp(out, p, (size_t)n) == 0);
	CHECK(natt_rdv_decode(&d, type, out, (size_t)n) == NATT_OK);
}

static void fuzz_ctl(const uint8_t *p, size_t len)
{
	size_t off = 0;

	while (off < len) {
		struct natt_ctl_msg m, d;
		int rc = natt_ctl_decode(&m, p + off, len - off);
		int n;

		if (rc < 0)
			return;
		CHECK(rc == NATT_CTL_HDR_LEN + m.len && (size_t)rc <= len - off);
		off += (size_t)rc;
		n = natt_ctl_encode(out, sizeof(out), &m);
		if (n == NATT_ERR_BAD_TYPE)
			continue; /* an unknown message: skipped, never re-sent */
		CHECK(n >= NATT_CTL_HDR_LEN && n <= rc);
		CHECK(natt_ctl_decode(&d, out, (size_t)n) == n);
		CHECK(natt_ctl_encode(out2, sizeof(out2), &d) == n);
		CHECK(memcmp(out2, out, (size_t)n) == 0);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct natt_header h;

	fuzz_header(data, size, &h);
	if (h.len > 0)
		fuzz_frames(data + h.len, size - h.len);
	fuzz_frames(data, size);
	fuzz_cand(data, size);
	fuzz_probe(NATT_PT_PROBE, data, size);
	fuzz_probe(NATT_PT_PROBE_REPLY, data, size);
	for (unsigned t = NATT_PT_RDV_REGISTER; t <= NATT_PT_RDV_INTRODUCE; t++)
		fuzz_rdv((uint8_t)t, data, size);
	fuzz_ctl(data, size);
	return 0;
}
