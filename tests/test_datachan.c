/*
 * test_datachan.c: the data channel (transport/datachan.c, PROTOCOL.md 7).
 *
 * Two channels face each other: A sends with secret SA and receives with
 * SB, B the other way round.  Packets are kept in arrays so that tests can
 * lose, reorder, duplicate and tamper with them.  The bytes themselves are
 * checked against an independent computation of the key schedule and the
 * AEAD (fresh OpenSSL objects per packet) and against tests/vectors.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>
#include <openssl/params.h>

#include "datachan.h"
#include "unit.h"
#include "wire.h"

#define CID_A	UINT64_C(0x0a0a0a0a0a0a0a0a) /* A's connection ID: B writes it */
#define CID_B	UINT64_C(0xb0b0b0b0b0b0b0b0)
#define PKT_CAP 2048

static const uint8_t secret_a[NATT_DC_SECRET_LEN] = {
	0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88, 0x99, 0xaa, 0xbb,
	0xcc, 0xdd, 0xee, 0xff, 0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06,
	0x07, 0x08, 0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x0e, 0x0f, 0x10};
static const uint8_t secret_b[NATT_DC_SECRET_LEN] = {
	0xf0, 0xe1, 0xd2, 0xc3, 0xb4, 0xa5, 0x96, 0x87, 0x78, 0x69, 0x5a,
	0x4b, 0x3c, 0x2d, 0x1e, 0x0f, 0xff, 0xee, 0xdd, 0xcc, 0xbb, 0xaa,
	0x99, 0x88, 0x77, 0x66, 0x55, 0x44, 0x33, 0x22, 0x11, 0x00};

struct pkt {
	uint8_t b[PKT_CAP];
	size_t len;
};

struct pair {
	struct natt_dc *a, *b;
};

static int pair_new(struct pair *p, const struct natt_dc_config *cfg, natt_time_t now)
{
	int rc = natt_dc_new(&p->a, cfg, secret_a, secret_b, CID_B, CID_A, now);

	if (rc == NATT_OK)
		rc = natt_dc_new(&p->b, cfg, secret_b, secret_a, CID_A, CID_B, now);
	return rc;
}

static void pair_free(struct pair *p)
{
	natt_dc_free(p->a);
	natt_dc_free(p->b);
}

static void fill(uint8_t *buf, size_t len, unsigned seed)
{
	for (size_t i = 0; i < len; i++)
		buf[i] = (uint8_t)(seed * 31 + i * 7 + (i >> 8));
}

/* Seals a payload of len bytes (pattern seed) from dc into pk. */
static int send_pkt(struct natt_dc *dc, natt_time_t now, size_t len, unsigned seed, struct pkt *pk)
{
	uint8_t payload[PKT_CAP];
	int n;

	fill(payload, len, seed);
	n = natt_dc_seal(dc, now, payload, len, pk->b, sizeof(pk->b));
	pk->len = n > 0 ? (size_t)n : 0;
	return n;
}

/* Opens a copy of pk (the original stays intact for replays). */
static int recv_copy(struct natt_dc *dc, natt_time_t now, const struct pkt *pk,
		     struct natt_dc_rx_info *info)
{
	struct pkt c = *pk;

	return natt_dc_open(dc, now, c.b, c.len, info);
}

static struct natt_header hdr_of(const struct pkt *pk)
{
	struct natt_header h;

	CU_ASSERT_EQUAL(natt_header_decode(&h, pk->b, pk->len), NATT_OK);
	return h;
}

static void cfg_cipher(struct natt_dc_config *cfg, uint8_t cipher)
{
	natt_dc_config_default(cfg);
	cfg->cipher = cipher;
}

static const uint8_t ciphers[] = {NATT_CIPHER_AES_256_GCM, NATT_CIPHER_CHACHA20_POLY1305};

/* ---- round trip ---- */

static void round_trip(uint8_t cipher)
{
	static const size_t sizes[] = {0, 1, 15, 16, 17, 64, 1400, PKT_CAP - NATT_DC_OVERHEAD};
	struct natt_dc_config cfg;
	struct pair p;
	struct pkt pk;

	cfg_cipher(&cfg, cipher);
	CU_ASSERT_FATAL(pair_new(&p, &cfg, 0) == NATT_OK);
	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		uint8_t want[PKT_CAP];
		struct natt_dc_rx_info info;
		struct natt_header h;
		int n;

		fill(want, sizes[i], (unsigned)i);
		CU_ASSERT_EQUAL(send_pkt(p.a, 0, sizes[i], (unsigned)i, &pk),
				(int)(sizes[i] + NATT_DC_OVERHEAD));
		h = hdr_of(&pk);
		CU_ASSERT_EQUAL(h.type, NATT_PT_DATA);
		CU_ASSERT_EQUAL(h.epoch, 0);
		CU_ASSERT_EQUAL(h.dcid, CID_B);
		CU_ASSERT_EQUAL(h.counter, i);
		if (sizes[i] >= 16)
			CU_ASSERT(memcmp(pk.b + NATT_DATA_HDR_LEN, want, sizes[i]) != 0);
		n = natt_dc_open(p.b, 0, pk.b, pk.len, &info);
		CU_ASSERT_EQUAL(n, (int)sizes[i]);
		CU_ASSERT(memcmp(pk.b + NATT_DATA_HDR_LEN, want, sizes[i]) == 0);
		CU_ASSERT_EQUAL(info.counter, i);
		CU_ASSERT_EQUAL(info.epoch, 0);
		CU_ASSERT_EQUAL(info.keepalive, sizes[i] == 0);
		CU_ASSERT(info.newest);
		CU_ASSERT(!info.switched);
	}
	/* And the other way, sealed in place. */
	fill(pk.b + NATT_DATA_HDR_LEN, 100, 9);
	CU_ASSERT_EQUAL(natt_dc_seal(p.b, 0, pk.b + NATT_DATA_HDR_LEN, 100, pk.b, sizeof(pk.b)),
			100 + NATT_DC_OVERHEAD);
	CU_ASSERT_EQUAL(hdr_of(&pk).dcid, CID_A);
	CU_ASSERT_EQUAL(natt_dc_open(p.a, 0, pk.b, 100 + NATT_DC_OVERHEAD, NULL), 100);
	{
		uint8_t want[100];

		fill(want, 100, 9);
		CU_ASSERT(memcmp(pk.b + NATT_DATA_HDR_LEN, want, 100) == 0);
	}
	CU_ASSERT_EQUAL(natt_dc_stats(p.b)->rx_packets, sizeof(sizes) / sizeof(sizes[0]));
	CU_ASSERT_EQUAL(natt_dc_stats(p.b)->rx_keepalives, 1);
	CU_ASSERT_EQUAL(natt_dc_stats(p.a)->tx_keepalives, 1);
	pair_free(&p);
}

static void test_round_trip_aes(void)
{
	round_trip(NATT_CIPHER_AES_256_GCM);
}

static void test_round_trip_chacha(void)
{
	round_trip(NATT_CIPHER_CHACHA20_POLY1305);
}

/* The largest payload the protocol allows goes through. */
static void test_max_payload(void)
{
	size_t cap = NATT_MAX_DATAGRAM;
	uint8_t *in = malloc(NATT_DC_MAX_PAYLOAD), *out = malloc(cap);
	struct natt_dc_config cfg;
	struct pair p;

	CU_ASSERT_FATAL(in != NULL && out != NULL);
	natt_dc_config_default(&cfg);
	CU_ASSERT_FATAL(pair_new(&p, &cfg, 0) == NATT_OK);
	fill(in, NATT_DC_MAX_PAYLOAD, 3);
	CU_ASSERT_EQUAL(natt_dc_seal(p.a, 0, in, NATT_DC_MAX_PAYLOAD, out, cap), NATT_MAX_DATAGRAM);
	CU_ASSERT_EQUAL(natt_dc_open(p.b, 0, out, cap, NULL), NATT_DC_MAX_PAYLOAD);
	CU_ASSERT(memcmp(out + NATT_DATA_HDR_LEN, in, NATT_DC_MAX_PAYLOAD) == 0);
	CU_ASSERT_EQUAL(natt_dc_seal(p.a, 0, in, NATT_DC_MAX_PAYLOAD + 1, out, cap),
			NATT_ERR_INVALID);
	pair_free(&p);
	free(in);
	free(out);
}

/* ---- the bytes, computed independently ---- */

static void ref_expand(const uint8_t *prk, const char *label, uint8_t *out, size_t len)
{
	EVP_KDF *kdf = EVP_KDF_fetch(NULL, "HKDF", NULL);
	EVP_KDF_CTX *ctx = EVP_KDF_CTX_new(kdf);
	int mode = EVP_KDF_HKDF_MODE_EXPAND_ONLY;
	OSSL_PARAM prm[] = {
		OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, "SHA256", 0),
		OSSL_PARAM_construct_int(OSSL_KDF_PARAM_MODE, &mode),
		OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY, (void *)prk, 32),
		OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_INFO, (void *)label,
						  strlen(label)),
		OSSL_PARAM_construct_end(),
	};

	CU_ASSERT_FATAL(ctx != NULL);
	CU_ASSERT_FATAL(EVP_KDF_derive(ctx, out, len, prm) == 1);
	EVP_KDF_CTX_free(ctx);
	EVP_KDF_free(kdf);
}

/* One-shot AEAD with fresh objects: header || ct || tag of PROTOCOL.md 7. */
static size_t ref_seal(uint8_t cipher, const uint8_t secret0[32], unsigned epoch, uint64_t dcid,
		       uint64_t counter, const uint8_t *pt, size_t len, uint8_t *out)
{
	uint8_t s[32], next[32], key[32], iv[12];
	EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
	const EVP_CIPHER *ev =
		cipher == NATT_CIPHER_AES_256_GCM ? EVP_aes_256_gcm() : EVP_chacha20_poly1305();
	int outl;

	memcpy(s, secret0, 32);
	for (unsigned e = 0; e < epoch; e++) {
		ref_expand(s, "natt next epoch", next, 32);
		memcpy(s, next, 32);
	}
	ref_expand(s, "natt key", key, 32);
	ref_expand(s, "natt iv", iv, 12);
	for (int i = 0; i < 8; i++)
		iv[4 + i] ^= (uint8_t)(counter >> (56 - 8 * i));
	/* The header written by hand on purpose: an oracle independent of wire.c. */
	out[0] = 0xD0;
	out[1] = (uint8_t)epoch;
	for (int i = 0; i < 8; i++) {
		out[2 + i] = (uint8_t)(dcid >> (56 - 8 * i));
		out[10 + i] = (uint8_t)(counter >> (56 - 8 * i));
	}
	CU_ASSERT_FATAL(EVP_EncryptInit_ex(c, ev, NULL, key, iv) == 1);
	CU_ASSERT_FATAL(EVP_EncryptUpdate(c, NULL, &outl, out, 18) == 1);
	CU_ASSERT_FATAL(EVP_EncryptUpdate(c, out + 18, &outl, pt, (int)len) == 1 || len == 0);
	CU_ASSERT_FATAL(EVP_EncryptFinal_ex(c, out + 18 + len, &outl) == 1);
	CU_ASSERT_FATAL(EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_AEAD_GET_TAG, 16, out + 18 + len) == 1);
	EVP_CIPHER_CTX_free(c);
	return 18 + len + 16;
}

/* Every packet of three epochs (two packets each) matches the oracle. */
static void test_reference_bytes(void)
{
	for (size_t ci = 0; ci < sizeof(ciphers); ci++) {
		struct natt_dc_config cfg;
		struct pair p;

		cfg_cipher(&cfg, ciphers[ci]);
		cfg.rekey_packets = 2;
		CU_ASSERT_FATAL(pair_new(&p, &cfg, 0) == NATT_OK);
		for (unsigned i = 0; i < 6; i++) {
			uint8_t pt[300], want[400];
			struct pkt pk;
			size_t n;

			fill(pt, 40 * i, i);
			send_pkt(p.a, 0, 40 * i, i, &pk);
			n = ref_seal(ciphers[ci], secret_a, i / 2, CID_B, i % 2, pt, 40 * i, want);
			CU_ASSERT_EQUAL(pk.len, n);
			CU_ASSERT(memcmp(pk.b, want, n) == 0);
		}
		pair_free(&p);
	}
}

/* ---- tampering and wrong keys ---- */

static void tamper(uint8_t cipher)
{
	struct natt_dc_config cfg;
	struct pair p;
	struct pkt pk, bad;
	int accepted = 0;

	cfg_cipher(&cfg, cipher);
	CU_ASSERT_FATAL(pair_new(&p, &cfg, 0) == NATT_OK);
	send_pkt(p.a, 0, 100, 1, &pk);
	for (size_t i = 0; i < pk.len; i++) {
		static const uint8_t flips[] = {0x01, 0x80, 0xff};

		for (size_t f = 0; f < sizeof(flips); f++) {
			bad = pk;
			bad.b[i] ^= flips[f];
			accepted += recv_copy(p.b, 0, &bad, NULL) >= 0;
		}
	}
	for (size_t len = 0; len < pk.len; len++) {
		bad = pk;
		bad.len = len;
		accepted += recv_copy(p.b, 0, &bad, NULL) >= 0;
	}
	CU_ASSERT_EQUAL(accepted, 0);
	CU_ASSERT_EQUAL(natt_dc_stats(p.b)->rx_packets, 0);
	CU_ASSERT_EQUAL(natt_dc_rx_epoch(p.b), 0);
	/* Nothing above moved any state: the genuine packet still opens. */
	CU_ASSERT_EQUAL(recv_copy(p.b, 0, &pk, NULL), 100);
	pair_free(&p);
}

static void test_tamper_aes(void)
{
	tamper(NATT_CIPHER_AES_256_GCM);
}

static void test_tamper_chacha(void)
{
	tamper(NATT_CIPHER_CHACHA20_POLY1305);
}

static void test_wrong_key(void)
{
	uint8_t other[NATT_DC_SECRET_LEN];
	struct natt_dc_config cfg;
	struct natt_dc *tx, *rx;
	struct pkt pk;

	natt_dc_config_default(&cfg);
	memcpy(other, secret_a, sizeof(other));
	other[31] ^= 1;
	CU_ASSERT_FATAL(natt_dc_new(&tx, &cfg, secret_a, secret_b, CID_B, CID_A, 0) == NATT_OK);
	CU_ASSERT_FATAL(natt_dc_new(&rx, &cfg, secret_b, other, CID_A, CID_B, 0) == NATT_OK);
	send_pkt(tx, 0, 50, 2, &pk);
	CU_ASSERT_EQUAL(recv_copy(rx, 0, &pk, NULL), NATT_ERR_AUTH);
	CU_ASSERT_EQUAL(natt_dc_stats(rx)->drop_auth, 1);
	natt_dc_free(rx);

	/* Right secret, other cipher. */
	cfg.cipher = NATT_CIPHER_CHACHA20_POLY1305;
	CU_ASSERT_FATAL(natt_dc_new(&rx, &cfg, secret_b, secret_a, CID_A, CID_B, 0) == NATT_OK);
	CU_ASSERT_EQUAL(recv_copy(rx, 0, &pk, NULL), NATT_ERR_AUTH);
	/* The sender's own rx direction uses the other secret. */
	CU_ASSERT_EQUAL(recv_copy(tx, 0, &pk, NULL), NATT_ERR_WRONG_CID);
	natt_dc_free(rx);
	natt_dc_free(tx);
}

/* Malformed headers are counted under their own reasons. */
static void test_drop_reasons(void)
{
	struct natt_dc_config cfg;
	const struct natt_dc_stats *st;
	struct pair p;
	struct pkt pk, bad;

	natt_dc_config_default(&cfg);
	CU_ASSERT_FATAL(pair_new(&p, &cfg, 0) == NATT_OK);
	st = natt_dc_stats(p.b);
	send_pkt(p.a, 0, 20, 1, &pk);

	bad = pk;
	bad.len = 10;
	CU_ASSERT_EQUAL(recv_copy(p.b, 0, &bad, NULL), NATT_ERR_TRUNCATED);
	bad.len = NATT_DC_OVERHEAD - 1;
	CU_ASSERT_EQUAL(recv_copy(p.b, 0, &bad, NULL), NATT_ERR_TOO_SMALL);
	CU_ASSERT_EQUAL(st->drop_truncated, 2);

	bad = pk;
	bad.b[0] = 0xD1; /* reserved short type */
	CU_ASSERT_EQUAL(recv_copy(p.b, 0, &bad, NULL), NATT_ERR_BAD_TYPE);
	bad = pk;
	memset(bad.b + 2, 0, 8); /* dcid 0 */
	CU_ASSERT_EQUAL(recv_copy(p.b, 0, &bad, NULL), NATT_ERR_BAD_VALUE);
	bad = pk;
	memset(bad.b + 10, 0xff, 8); /* counter 2^64-1 */
	CU_ASSERT_EQUAL(recv_copy(p.b, 0, &bad, NULL), NATT_ERR_BAD_VALUE);
	CU_ASSERT_EQUAL(st->drop_bad_header, 3);

	bad = pk;
	bad.b[9] ^= 0x40;
	CU_ASSERT_EQUAL(recv_copy(p.b, 0, &bad, NULL), NATT_ERR_WRONG_CID);
	CU_ASSERT_EQUAL(st->drop_cid, 1);

	bad = pk;
	bad.b[1] = 7;
	CU_ASSERT_EQUAL(recv_copy(p.b, 0, &bad, NULL), NATT_ERR_EPOCH);
	CU_ASSERT_EQUAL(st->drop_epoch, 1);
	bad.b[1] = 1; /* claims the next epoch: one AEAD trial, no switch */
	CU_ASSERT_EQUAL(recv_copy(p.b, 0, &bad, NULL), NATT_ERR_AUTH);
	CU_ASSERT_EQUAL(natt_dc_rx_epoch(p.b), 0);
	CU_ASSERT_EQUAL(st->drop_auth, 1);

	CU_ASSERT_EQUAL(recv_copy(p.b, 0, &pk, NULL), 20);
	CU_ASSERT_EQUAL(recv_copy(p.b, 0, &pk, NULL), NATT_ERR_REPLAY);
	CU_ASSERT_EQUAL(st->drop_replay, 1);
	CU_ASSERT_EQUAL(st->rx_packets, 1);
	CU_ASSERT_EQUAL(st->drop_too_old, 0);
	pair_free(&p);
}

/* ---- replay window ---- */

#define WIN NATT_DC_WINDOW_MIN

static void test_replay_inside(void)
{
	struct natt_dc_config cfg;
	struct pair p;
	struct pkt pk[10];

	natt_dc_config_default(&cfg);
	cfg.window = WIN;
	CU_ASSERT_FATAL(pair_new(&p, &cfg, 0) == NATT_OK);
	for (int i = 0; i < 10; i++)
		send_pkt(p.a, 0, 30, (unsigned)i, &pk[i]);
	for (int i = 0; i < 10; i += 2)
		CU_ASSERT_EQUAL(recv_copy(p.b, 0, &pk[i], NULL), 30);
	for (int i = 0; i < 10; i++)
		CU_ASSERT_EQUAL(recv_copy(p.b, 0, &pk[i], NULL), i % 2 ? 30 : NATT_ERR_REPLAY);
	for (int i = 0; i < 10; i++)
		CU_ASSERT_EQUAL(recv_copy(p.b, 0, &pk[i], NULL), NATT_ERR_REPLAY);
	CU_ASSERT_EQUAL(natt_dc_stats(p.b)->drop_replay, 15);
	CU_ASSERT_EQUAL(natt_dc_stats(p.b)->rx_packets, 10);
	pair_free(&p);
}

/* Exactly `window` counters below the newest one are acceptable. */
static void test_replay_outside(void)
{
	struct natt_dc_config cfg;
	struct pair p;
	struct pkt *pk = calloc(WIN + 2, sizeof(*pk));

	CU_ASSERT_FATAL(pk != NULL);
	natt_dc_config_default(&cfg);
	cfg.window = WIN;
	CU_ASSERT_FATAL(pair_new(&p, &cfg, 0) == NATT_OK);
	for (int i = 0; i < WIN + 2; i++)
		send_pkt(p.a, 0, 8, (unsigned)i, &pk[i]);
	CU_ASSERT_EQUAL(recv_copy(p.b, 0, &pk[WIN + 1], NULL), 8); /* top = WIN + 2 */
	CU_ASSERT_EQUAL(recv_copy(p.b, 0, &pk[0], NULL), NATT_ERR_TOO_OLD);
	CU_ASSERT_EQUAL(recv_copy(p.b, 0, &pk[1], NULL), NATT_ERR_TOO_OLD);
	CU_ASSERT_EQUAL(recv_copy(p.b, 0, &pk[2], NULL), 8);
	CU_ASSERT_EQUAL(recv_copy(p.b, 0, &pk[2], NULL), NATT_ERR_REPLAY);
	CU_ASSERT_EQUAL(natt_dc_stats(p.b)->drop_too_old, 2);
	CU_ASSERT_EQUAL(natt_dc_stats(p.b)->drop_replay, 1);
	pair_free(&p);
	free(pk);
}

/* A full window delivered in a shuffled order all opens, once. */
static void test_reorder_inside(void)
{
	struct natt_dc_config cfg;
	struct pair p;
	struct pkt *pk = calloc(WIN, sizeof(*pk));
	unsigned order[WIN], rnd = 12345;
	int ok = 0, dup = 0, newest = 0;
	uint64_t top = 0;

	CU_ASSERT_FATAL(pk != NULL);
	natt_dc_config_default(&cfg);
	cfg.window = WIN;
	CU_ASSERT_FATAL(pair_new(&p, &cfg, 0) == NATT_OK);
	for (unsigned i = 0; i < WIN; i++) {
		send_pkt(p.a, 0, 16, i, &pk[i]);
		order[i] = i;
	}
	for (unsigned i = WIN - 1; i > 0; i--) {
		unsigned j, t;

		rnd = rnd * 1103515245 + 12345;
		j = (rnd >> 8) % (i + 1);
		t = order[i];
		order[i] = order[j];
		order[j] = t;
	}
	for (unsigned i = 0; i < WIN; i++) {
		struct natt_dc_rx_info info;

		if (recv_copy(p.b, 0, &pk[order[i]], &info) != 16)
			continue;
		ok++;
		/* newest exactly when the counter is the largest so far */
		newest += info.newest == (order[i] + 1 > top);
		if (order[i] + 1 > top)
			top = order[i] + 1;
	}
	for (unsigned i = 0; i < WIN; i++)
		dup += recv_copy(p.b, 0, &pk[i], NULL) == NATT_ERR_REPLAY;
	CU_ASSERT_EQUAL(ok, WIN);
	CU_ASSERT_EQUAL(newest, WIN);
	CU_ASSERT_EQUAL(dup, WIN);
	pair_free(&p);
	free(pk);
}

/* ---- key epochs ---- */

/*
 * Epochs of 4 packets.  Packets of epoch 0 arrive after epoch 1 began
 * (accepted during the overlap), a packet of epoch 0 after epoch 2 began
 * (rejected: only one previous epoch is kept), a packet of epoch 1 after
 * the overlap ended (rejected).
 */
static void test_epoch_switch_in_flight(void)
{
	struct natt_dc_config cfg;
	struct natt_dc_rx_info info;
	struct pair p;
	struct pkt pk[12];
	natt_time_t t = 1000 * NATT_SEC;

	natt_dc_config_default(&cfg);
	cfg.rekey_packets = 4;
	cfg.overlap = 5 * NATT_SEC;
	CU_ASSERT_FATAL(pair_new(&p, &cfg, t) == NATT_OK);
	for (unsigned i = 0; i < 12; i++) {
		send_pkt(p.a, t, 10, i, &pk[i]);
		CU_ASSERT_EQUAL(hdr_of(&pk[i]).epoch, i / 4);
		CU_ASSERT_EQUAL(hdr_of(&pk[i]).counter, i % 4);
	}
	CU_ASSERT_EQUAL(natt_dc_tx_epoch(p.a), 2);
	CU_ASSERT_EQUAL(recv_copy(p.b, t, &pk[0], &info), 10);
	CU_ASSERT_EQUAL(recv_copy(p.b, t, &pk[1], &info), 10);
	CU_ASSERT_EQUAL(recv_copy(p.b, t, &pk[4], &info), 10); /* epoch 1 begins */
	CU_ASSERT(info.switched);
	CU_ASSERT(info.newest);
	CU_ASSERT_EQUAL(info.epoch, 1);
	CU_ASSERT_EQUAL(natt_dc_rx_epoch(p.b), 1);
	CU_ASSERT_EQUAL(recv_copy(p.b, t + NATT_SEC, &pk[2], &info), 10); /* overlap */
	CU_ASSERT(!info.switched);
	CU_ASSERT(!info.newest);
	CU_ASSERT_EQUAL(info.epoch, 0);
	CU_ASSERT_EQUAL(recv_copy(p.b, t + NATT_SEC, &pk[2], NULL), NATT_ERR_REPLAY);
	CU_ASSERT_EQUAL(recv_copy(p.b, t + NATT_SEC, &pk[6], &info), 10);
	CU_ASSERT(info.newest);
	CU_ASSERT_EQUAL(recv_copy(p.b, t + NATT_SEC, &pk[5], &info), 10);
	CU_ASSERT(!info.newest);
	CU_ASSERT_EQUAL(recv_copy(p.b, t + 2 * NATT_SEC, &pk[8], &info), 10); /* epoch 2 */
	CU_ASSERT(info.switched);
	CU_ASSERT_EQUAL(recv_copy(p.b, t + 2 * NATT_SEC, &pk[3], NULL), NATT_ERR_EPOCH);
	CU_ASSERT_EQUAL(recv_copy(p.b, t + 2 * NATT_SEC, &pk[7], &info), 10); /* overlap */
	CU_ASSERT_EQUAL(info.epoch, 1);
	/* The overlap runs from the switch to epoch 2 (before B's keepalive). */
	CU_ASSERT_EQUAL(natt_dc_next_expiry(p.b), t + 7 * NATT_SEC);
	CU_ASSERT_EQUAL(recv_copy(p.b, t + 7 * NATT_SEC - 1, &pk[4], NULL), NATT_ERR_REPLAY);
	CU_ASSERT_EQUAL(recv_copy(p.b, t + 7 * NATT_SEC, &pk[4], NULL), NATT_ERR_EPOCH);
	CU_ASSERT_EQUAL(recv_copy(p.b, t + 7 * NATT_SEC, &pk[9], NULL), 10);
	CU_ASSERT_EQUAL(natt_dc_stats(p.b)->drop_epoch, 2);
	CU_ASSERT_EQUAL(natt_dc_stats(p.b)->rx_epochs, 2);
	CU_ASSERT_EQUAL(natt_dc_stats(p.b)->rx_packets, 9);
	pair_free(&p);
}

/* A packet two epochs ahead is not understood; in order, all open. */
static void test_wrong_epoch(void)
{
	struct natt_dc_config cfg;
	struct pair p;
	struct pkt pk[3];

	natt_dc_config_default(&cfg);
	cfg.rekey_packets = 1;
	CU_ASSERT_FATAL(pair_new(&p, &cfg, 0) == NATT_OK);
	for (unsigned i = 0; i < 3; i++)
		send_pkt(p.a, 0, 5, i, &pk[i]);
	CU_ASSERT_EQUAL(recv_copy(p.b, 0, &pk[2], NULL), NATT_ERR_EPOCH);
	CU_ASSERT_EQUAL(natt_dc_stats(p.b)->drop_epoch, 1);
	for (unsigned i = 0; i < 3; i++)
		CU_ASSERT_EQUAL(recv_copy(p.b, 0, &pk[i], NULL), 5);
	CU_ASSERT_EQUAL(natt_dc_rx_epoch(p.b), 2);
	pair_free(&p);
}

/* The packet limit forces a switch; the refusal past max_epochs. */
static void test_counter_exhaustion(void)
{
	struct natt_dc_config cfg;
	struct pair p;
	struct pkt pk;

	natt_dc_config_default(&cfg);
	cfg.rekey_packets = 3;
	cfg.max_epochs = 3;
	CU_ASSERT_FATAL(pair_new(&p, &cfg, 0) == NATT_OK);
	for (unsigned i = 0; i < 9; i++) {
		CU_ASSERT_EQUAL(send_pkt(p.a, 0, 1, i, &pk), 1 + NATT_DC_OVERHEAD);
		CU_ASSERT_EQUAL(hdr_of(&pk).epoch, i / 3);
		CU_ASSERT_EQUAL(hdr_of(&pk).counter, i % 3);
		CU_ASSERT_EQUAL(recv_copy(p.b, 0, &pk, NULL), 1);
	}
	/* Epoch 2's counters are used up and epoch 3 is not allowed. */
	CU_ASSERT_EQUAL(send_pkt(p.a, 0, 1, 0, &pk), NATT_ERR_FULL);
	CU_ASSERT_EQUAL(natt_dc_keepalive(p.a, 0, pk.b, sizeof(pk.b)), NATT_ERR_FULL);
	CU_ASSERT_EQUAL(natt_dc_tx_counter(p.a), 3);
	CU_ASSERT_EQUAL(natt_dc_stats(p.a)->tx_packets, 9);
	CU_ASSERT_EQUAL(natt_dc_stats(p.a)->tx_epochs, 2);
	CU_ASSERT_EQUAL(natt_dc_stats(p.b)->rx_epochs, 2);
	pair_free(&p);
}

/* The age limit counts from an epoch's first packet. */
static void test_time_rekey(void)
{
	struct natt_dc_config cfg;
	struct pair p;
	struct pkt pk;
	const natt_time_t t0 = 50 * NATT_SEC, age = 10 * NATT_SEC;

	natt_dc_config_default(&cfg);
	cfg.rekey_after = age;
	CU_ASSERT_FATAL(pair_new(&p, &cfg, 0) == NATT_OK);
	/* Created at 0, first used at t0: epoch 0 is not "old" yet. */
	send_pkt(p.a, t0, 3, 0, &pk);
	CU_ASSERT_EQUAL(hdr_of(&pk).epoch, 0);
	send_pkt(p.a, t0 + age - 1, 3, 1, &pk);
	CU_ASSERT_EQUAL(hdr_of(&pk).epoch, 0);
	CU_ASSERT_EQUAL(hdr_of(&pk).counter, 1);
	CU_ASSERT_EQUAL(recv_copy(p.b, t0, &pk, NULL), 3);
	send_pkt(p.a, t0 + age, 3, 2, &pk);
	CU_ASSERT_EQUAL(hdr_of(&pk).epoch, 1);
	CU_ASSERT_EQUAL(hdr_of(&pk).counter, 0);
	CU_ASSERT_EQUAL(recv_copy(p.b, t0 + age, &pk, NULL), 3);
	send_pkt(p.a, t0 + 2 * age - 1, 3, 2, &pk);
	CU_ASSERT_EQUAL(hdr_of(&pk).epoch, 1);
	send_pkt(p.a, t0 + 5 * age, 3, 2, &pk); /* long idle: one switch, not four */
	CU_ASSERT_EQUAL(hdr_of(&pk).epoch, 2);
	CU_ASSERT_EQUAL(recv_copy(p.b, t0 + 5 * age, &pk, NULL), 3);
	CU_ASSERT_EQUAL(natt_dc_stats(p.a)->tx_epochs, 2);
	pair_free(&p);
}

/* Random sizes, pauses and losses over several hundred epochs (the wire
 * epoch wraps): no (epoch, counter) pair is ever sent twice, and every
 * delivered packet opens. */
static void test_no_counter_reuse(void)
{
	enum { N = 3000 };
	struct natt_dc_config cfg;
	struct pair p;
	struct pkt pk;
	uint64_t *seen = calloc(N, sizeof(*seen));
	unsigned rnd = 99;
	natt_time_t t = 0;
	int dups = 0, fails = 0;

	CU_ASSERT_FATAL(seen != NULL);
	natt_dc_config_default(&cfg);
	cfg.rekey_packets = 7;
	cfg.rekey_after = NATT_SEC;
	CU_ASSERT_FATAL(pair_new(&p, &cfg, 0) == NATT_OK);
	for (int i = 0; i < N; i++) {
		struct natt_header h;

		rnd = rnd * 1103515245 + 12345;
		t += (rnd >> 8) % 300 * NATT_MSEC;
		CU_ASSERT_FATAL(send_pkt(p.a, t, (rnd >> 4) % 64, rnd, &pk) > 0);
		h = hdr_of(&pk);
		CU_ASSERT_EQUAL(h.epoch, (uint8_t)natt_dc_tx_epoch(p.a));
		seen[i] = natt_dc_tx_epoch(p.a) << 32 | h.counter;
		for (int j = 0; j < i; j++)
			dups += seen[j] == seen[i];
		/* lose one packet in eight, never a whole epoch */
		if ((rnd >> 12) % 8 != 0 || h.counter == 0)
			fails += recv_copy(p.b, t, &pk, NULL) < 0;
	}
	CU_ASSERT_EQUAL(dups, 0);
	CU_ASSERT_EQUAL(fails, 0);
	CU_ASSERT(natt_dc_tx_epoch(p.a) > 300);
	CU_ASSERT_EQUAL(natt_dc_rx_epoch(p.b), natt_dc_tx_epoch(p.a));
	pair_free(&p);
	free(seen);
}

/* ---- keepalives and timers ---- */

static void test_keepalive(void)
{
	struct natt_dc_config cfg;
	struct natt_dc_rx_info info;
	struct pair p;
	struct pkt pk;
	const natt_time_t ka = 10 * NATT_SEC;

	natt_dc_config_default(&cfg);
	cfg.keepalive = ka;
	CU_ASSERT_FATAL(pair_new(&p, &cfg, 0) == NATT_OK);
	CU_ASSERT_EQUAL(natt_dc_keepalive_due(p.a), ka);
	CU_ASSERT_EQUAL(natt_dc_next_expiry(p.a), ka);
	CU_ASSERT_EQUAL(natt_dc_handle_expiry(p.a, ka - 1, pk.b, sizeof(pk.b)), 0);
	CU_ASSERT_EQUAL(natt_dc_stats(p.a)->tx_packets, 0);
	CU_ASSERT_EQUAL(natt_dc_handle_expiry(p.a, ka, pk.b, sizeof(pk.b)), NATT_DC_OVERHEAD);
	pk.len = NATT_DC_OVERHEAD;
	CU_ASSERT_EQUAL(recv_copy(p.b, ka, &pk, &info), 0);
	CU_ASSERT(info.keepalive);
	CU_ASSERT_EQUAL(natt_dc_keepalive_due(p.a), 2 * ka);
	/* Data postpones the keepalive. */
	send_pkt(p.a, ka + ka / 2, 100, 1, &pk);
	CU_ASSERT_EQUAL(natt_dc_keepalive_due(p.a), 2 * ka + ka / 2);
	CU_ASSERT_EQUAL(natt_dc_handle_expiry(p.a, 2 * ka, pk.b, sizeof(pk.b)), 0);
	CU_ASSERT_EQUAL(natt_dc_handle_expiry(p.a, 2 * ka + ka / 2, pk.b, 10), NATT_ERR_BUFFER);
	CU_ASSERT_EQUAL(natt_dc_handle_expiry(p.a, 2 * ka + ka / 2, pk.b, sizeof(pk.b)),
			NATT_DC_OVERHEAD);
	CU_ASSERT_EQUAL(natt_dc_stats(p.a)->tx_keepalives, 2);
	CU_ASSERT_EQUAL(natt_dc_stats(p.b)->rx_keepalives, 1);
	/* Receiving does not postpone sending keepalives. */
	CU_ASSERT_EQUAL(natt_dc_keepalive_due(p.b), ka);
	pair_free(&p);
}

/* The overlap's end is a deadline; handle_expiry forgets the old epoch. */
static void test_expiry_overlap(void)
{
	struct natt_dc_config cfg;
	struct pair p;
	struct pkt pk[2];
	uint8_t out[64];

	natt_dc_config_default(&cfg);
	cfg.rekey_packets = 1;
	cfg.overlap = 2 * NATT_SEC;
	CU_ASSERT_FATAL(pair_new(&p, &cfg, 0) == NATT_OK);
	send_pkt(p.a, 0, 4, 0, &pk[0]);
	send_pkt(p.a, 0, 4, 1, &pk[1]);
	CU_ASSERT_EQUAL(recv_copy(p.b, NATT_SEC, &pk[1], NULL), 4);
	CU_ASSERT_EQUAL(natt_dc_next_expiry(p.b), 3 * NATT_SEC);
	CU_ASSERT_EQUAL(natt_dc_handle_expiry(p.b, 3 * NATT_SEC, out, sizeof(out)), 0);
	CU_ASSERT_EQUAL(natt_dc_next_expiry(p.b), NATT_DC_KEEPALIVE);
	CU_ASSERT_EQUAL(recv_copy(p.b, 3 * NATT_SEC, &pk[0], NULL), NATT_ERR_EPOCH);
	pair_free(&p);
}

/* ---- arguments ---- */

static void test_bad_arguments(void)
{
	struct natt_dc_config cfg;
	struct natt_dc *dc;
	uint8_t buf[256];

	natt_dc_config_default(&cfg);
	CU_ASSERT_EQUAL(natt_dc_new(&dc, &cfg, secret_a, secret_b, 0, CID_A, 0), NATT_ERR_INVALID);
	CU_ASSERT_PTR_NULL(dc);
	CU_ASSERT_EQUAL(natt_dc_new(&dc, &cfg, secret_a, secret_b, CID_B, 0, 0), NATT_ERR_INVALID);
	cfg.cipher = 3;
	CU_ASSERT_EQUAL(natt_dc_new(&dc, &cfg, secret_a, secret_b, CID_B, CID_A, 0),
			NATT_ERR_INVALID);
	natt_dc_config_default(&cfg);
	cfg.window = NATT_DC_WINDOW_MIN - 1;
	CU_ASSERT_EQUAL(natt_dc_new(&dc, &cfg, secret_a, secret_b, CID_B, CID_A, 0),
			NATT_ERR_INVALID);
	natt_dc_config_default(&cfg);
	cfg.keepalive = NATT_DC_KEEPALIVE_MAX;
	CU_ASSERT_EQUAL(natt_dc_new(&dc, &cfg, secret_a, secret_b, CID_B, CID_A, 0),
			NATT_ERR_INVALID);
	natt_dc_config_default(&cfg);
	cfg.rekey_packets = NATT_DC_REKEY_PACKETS + 1;
	CU_ASSERT_EQUAL(natt_dc_new(&dc, &cfg, secret_a, secret_b, CID_B, CID_A, 0),
			NATT_ERR_INVALID);

	natt_dc_config_default(&cfg);
	CU_ASSERT_FATAL(natt_dc_new(&dc, &cfg, secret_a, secret_b, CID_B, CID_A, 0) == NATT_OK);
	CU_ASSERT_EQUAL(natt_dc_seal(dc, 0, buf + 40, 100, buf, sizeof(buf)), NATT_ERR_INVALID);
	CU_ASSERT_EQUAL(natt_dc_seal(dc, 0, buf + 100, 50, buf, 50 + NATT_DC_OVERHEAD - 1),
			NATT_ERR_BUFFER);
	CU_ASSERT_EQUAL(natt_dc_tx_counter(dc), 0); /* refused calls spend nothing */
	CU_ASSERT_EQUAL(natt_dc_seal(dc, 0, buf + 100, 50, buf, sizeof(buf)),
			50 + NATT_DC_OVERHEAD);
	CU_ASSERT_EQUAL(natt_dc_tx_counter(dc), 1);
	natt_dc_free(dc);
	natt_dc_free(NULL);
}

/* ---- tests/vectors (written by tests/gen_vectors.c) ---- */

struct vec {
	uint8_t secret[NATT_DC_SECRET_LEN];
	uint8_t header[NATT_DATA_HDR_LEN];
	uint8_t body[PKT_CAP];
	uint8_t packet[PKT_CAP];
	long secret_len, header_len, body_len, packet_len;
};

/* Reads the hex fields of a .vec file; false if one is missing. */
static bool load_vec(const char *name, struct vec *v)
{
	char rel[64], line[2 * PKT_CAP + 64];
	FILE *f;

	snprintf(rel, sizeof(rel), "vectors/%s.vec", name);
	f = fopen(natt_test_path(rel), "r");
	if (f == NULL)
		return false;
	v->secret_len = v->header_len = v->packet_len = v->body_len = -1;
	while (fgets(line, sizeof(line), f) != NULL) {
		char *val = strchr(line, ':');

		if (line[0] == '#' || val == NULL)
			continue;
		*val++ = '\0';
		if (strcmp(line, "secret") == 0)
			v->secret_len = natt_test_unhex(val, v->secret, sizeof(v->secret));
		else if (strcmp(line, "header") == 0)
			v->header_len = natt_test_unhex(val, v->header, sizeof(v->header));
		else if (strcmp(line, "body") == 0)
			v->body_len = natt_test_unhex(val, v->body, sizeof(v->body));
		else if (strcmp(line, "packet") == 0)
			v->packet_len = natt_test_unhex(val, v->packet, sizeof(v->packet));
	}
	fclose(f);
	return v->secret_len == NATT_DC_SECRET_LEN && v->header_len == NATT_DATA_HDR_LEN &&
	       v->body_len >= 0 && v->packet_len == v->body_len + NATT_DC_OVERHEAD;
}

/*
 * data.vec (epoch 0, counter 7), data_keepalive.vec (epoch 0, counter 8)
 * and data_epoch1.vec (epoch 1, counter 0) come from one sending
 * direction.  A receiver opens all three to their bodies; a sender that
 * spends counters 0-6 and switches after 9 packets seals identical bytes.
 */
static void test_vectors(void)
{
	static const char *const names[] = {"data", "data_keepalive", "data_epoch1"};
	struct vec v[3];
	struct natt_dc_config cfg;
	struct natt_dc *rx, *tx;
	struct natt_header h;
	uint8_t other[NATT_DC_SECRET_LEN] = {0}, pkt[PKT_CAP];

	for (int i = 0; i < 3; i++) {
		bool ok = load_vec(names[i], &v[i]);

		if (!ok)
			fprintf(stderr, "\n  [datachan] cannot read vectors/%s.vec\n", names[i]);
		CU_ASSERT_FATAL(ok);
		CU_ASSERT_FATAL(memcmp(v[i].secret, v[0].secret, NATT_DC_SECRET_LEN) == 0);
	}
	CU_ASSERT_FATAL(natt_header_decode(&h, v[0].packet, (size_t)v[0].packet_len) == NATT_OK);
	natt_dc_config_default(&cfg);
	cfg.rekey_packets = 9;
	CU_ASSERT_FATAL(natt_dc_new(&rx, &cfg, other, v[0].secret, 1, h.dcid, 0) == NATT_OK);
	CU_ASSERT_FATAL(natt_dc_new(&tx, &cfg, v[0].secret, other, h.dcid, 1, 0) == NATT_OK);
	for (int i = 0; i < 3; i++) {
		memcpy(pkt, v[i].packet, (size_t)v[i].packet_len);
		CU_ASSERT_EQUAL(natt_dc_open(rx, 0, pkt, (size_t)v[i].packet_len, NULL),
				v[i].body_len);
		CU_ASSERT(memcmp(pkt, v[i].header, NATT_DATA_HDR_LEN) == 0);
		CU_ASSERT(memcmp(pkt + NATT_DATA_HDR_LEN, v[i].body, (size_t)v[i].body_len) == 0);
	}
	CU_ASSERT_EQUAL(natt_dc_rx_epoch(rx), 1);
	for (int i = 0; i < 7; i++)
		natt_dc_keepalive(tx, 0, pkt, sizeof(pkt));
	for (int i = 0; i < 3; i++) {
		int n = natt_dc_seal(tx, 0, v[i].body, (size_t)v[i].body_len, pkt, sizeof(pkt));

		CU_ASSERT_EQUAL(n, v[i].packet_len);
		CU_ASSERT(n > 0 && memcmp(pkt, v[i].packet, (size_t)n) == 0);
	}
	natt_dc_free(rx);
	natt_dc_free(tx);
}

static const struct natt_test tests[] = {
	{"round trip AES-256-GCM", test_round_trip_aes},
	{"round trip ChaCha20-Poly1305", test_round_trip_chacha},
	{"largest payload", test_max_payload},
	{"bytes match an independent computation", test_reference_bytes},
	{"tamper every byte, AES-256-GCM", test_tamper_aes},
	{"tamper every byte, ChaCha20-Poly1305", test_tamper_chacha},
	{"wrong key, wrong cipher", test_wrong_key},
	{"drop reasons counted", test_drop_reasons},
	{"replay inside the window", test_replay_inside},
	{"replay outside the window", test_replay_outside},
	{"reordering inside the window", test_reorder_inside},
	{"epoch switch with packets in flight", test_epoch_switch_in_flight},
	{"wrong epoch", test_wrong_epoch},
	{"counter exhaustion forces a rekey", test_counter_exhaustion},
	{"time-based rekey", test_time_rekey},
	{"no counter ever reused", test_no_counter_reuse},
	{"keepalive scheduling", test_keepalive},
	{"overlap expiry", test_expiry_overlap},
	{"bad arguments", test_bad_arguments},
	{"test vectors: open and re-seal", test_vectors},
	{NULL, NULL},
};

int natt_suite_datachan(void)
{
	return natt_add_suite("datachan", tests);
}
