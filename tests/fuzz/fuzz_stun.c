/*
 * fuzz_stun.c: libFuzzer target for transport/stun.c.  Any input goes
 * through the decoder, MESSAGE-INTEGRITY verification, the server's answer
 * and the client's response parser; the invariants checked are those the
 * rendezvous relies on: no read outside the input (ASan), an answer never
 * more than 3x the request, and an answer that decodes and carries the
 * requester's address back.
 */
#include <stdlib.h>
#include <string.h>

#include "stun.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The address the "request" came from: IPv4 or IPv6 by the input's size,
 * so both encodings get exercised. */
static void source_of(struct natt_cand *from, size_t size)
{
	memset(from, 0, sizeof(*from));
	from->kind = NATT_CAND_SRFLX;
	from->family = size % 2 ? 6 : 4;
	from->port = (uint16_t)(1 + size);
	for (size_t i = 0; i < (from->family == 4 ? 4u : 16u); i++)
		from->addr[i] = (uint8_t)(0xA5 ^ (i * 29) ^ size);
}

static void check_answer(const uint8_t *data, size_t size)
{
	uint8_t out[128];
	struct natt_cand from, got;
	struct natt_stun_msg req;
	int n;

	source_of(&from, size);
	n = natt_stun_answer(out, sizeof(out), data, size, &from);
	if (n <= 0)
		return;
	if ((size_t)n > NATT_STUN_MAX_AMPLIFICATION * size)
		abort();
	if (natt_stun_decode(&req, data, size) != NATT_OK)
		abort(); /* answered something that does not decode */
	if (natt_stun_parse_response(out, (size_t)n, req.txid, &got) != NATT_OK ||
	    !natt_cand_equal(&got, &from))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint8_t key[] = "VOkJxbRl1RmTxUk/WvJxBt";
	struct natt_stun_msg m;
	struct natt_cand c;

	if (natt_stun_decode(&m, data, size) == NATT_OK) {
		if (m.integrity_off != 0)
			(void)natt_stun_check_integrity(&m, data, size, key, sizeof(key) - 1);
		(void)natt_stun_parse_response(data, size, m.txid, &c);
	}
	(void)natt_stun_is_stun(data, size);
	check_answer(data, size);
	return 0;
}
