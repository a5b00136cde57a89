/*
 * bench_datachan.c: data-channel throughput in memory, one core.
 *
 *   bench_datachan [SECONDS] [PAYLOAD]      (defaults: 1 s, 1400 bytes)
 *
 * For each cipher, five measurements of SECONDS each, one line apiece,
 * key=value, read by tests/bench/datachan.sh:
 *
 *   raw    EVP_EncryptUpdate() over a PAYLOAD buffer, again and again: one
 *          endless message (no nonce, no tag), the physical limit of the
 *          cipher on this core; `openssl speed -evp` runs this loop for
 *          ChaCha20-Poly1305 (with or without -aead), not for AES-GCM
 *   tls    the TLS-like record loop of `openssl speed -aead`, rebuilt here
 *          because OpenSSL runs it for AES-GCM only (see run_tls()); for
 *          AES-GCM it checks itself against `openssl speed -aead`
 *   aead   what one packet costs at the bare EVP API, with datachan's own
 *          sequence (see run_packet()): the floor for any EVP caller
 *   seal   natt_dc_seal() of PAYLOAD bytes into a packet buffer
 *   pair   natt_dc_seal() and natt_dc_open() of each packet (two AEAD passes);
 *          followed by a line mode=allocs with OpenSSL's allocations during
 *          it (CRYPTO_set_mem_functions): the packet path makes none
 *
 *   mode=seal cipher=AES-256-GCM payload=1400 pkts_per_s=... gbit_per_s=...
 *        aead_bytes_per_s=... cpu_s=... wall_s=...
 *
 * Rates are per second of this thread's CPU time (getrusage user + system,
 * as `openssl speed` counts user time by default), so that other processes
 * on a shared machine do not show up as slowness; wall_s is printed beside.
 * aead_bytes_per_s counts every AEAD pass (twice the payload for pair),
 * which is what compares with raw and with `openssl speed` (one pass).
 */
#define _GNU_SOURCE /* RUSAGE_THREAD */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/params.h>

#include "datachan.h"
#include "loop.h"

#define CHUNK 1024 /* packets between clock reads */

/* OpenSSL allocations, counted to show that the packet path makes none. */
static uint64_t allocs;

static void *count_malloc(size_t n, const char *file, int line)
{
	(void)file;
	(void)line;
	allocs++;
	return malloc(n);
}

static void *count_realloc(void *p, size_t n, const char *file, int line)
{
	(void)file;
	(void)line;
	allocs++;
	return realloc(p, n);
}

static void count_free(void *p, const char *file, int line)
{
	(void)file;
	(void)line;
	free(p);
}

static const uint8_t s_ab[NATT_DC_SECRET_LEN] = {1, 2, 3, 4, 5, 6, 7, 8};
static const uint8_t s_ba[NATT_DC_SECRET_LEN] = {8, 7, 6, 5, 4, 3, 2, 1};

static void die(const char *what, int rc)
{
	fprintf(stderr, "bench_datachan: %s: %s\n", what, natt_strerror(rc));
	exit(1);
}

/* This thread's CPU time (user + system), microseconds. */
static natt_time_t cpu_now(void)
{
	struct rusage ru;

	getrusage(RUSAGE_THREAD, &ru);
	return (natt_time_t)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * NATT_SEC +
	       (natt_time_t)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec);
}

struct span {
	natt_time_t cpu, wall;
};

static struct span span_start(void)
{
	return (struct span){cpu_now(), natt_loop_now()};
}

static void report(const char *mode, uint8_t cipher, size_t payload, uint64_t pkts, struct span t0,
		   unsigned passes)
{
	double cpu = (double)(cpu_now() - t0.cpu) / 1e6;
	double wall = (double)(natt_loop_now() - t0.wall) / 1e6;
	double pps = (double)pkts / cpu;

	printf("mode=%s cipher=%s payload=%zu pkts_per_s=%.0f gbit_per_s=%.3f "
	       "aead_bytes_per_s=%.0f cpu_s=%.3f wall_s=%.3f\n",
	       mode, natt_dc_cipher_name(cipher), payload, pps, pps * (double)payload * 8 / 1e9,
	       pps * (double)payload * passes, cpu, wall);
	fflush(stdout);
}

/* The loop of `openssl speed -evp` for a stream mode: one context, one
 * EVP_EncryptUpdate() per buffer, no nonce, no AAD, no tag. */
static uint64_t run_stream(EVP_CIPHER_CTX *c, uint8_t *buf, size_t len, natt_time_t until)
{
	uint64_t n = 0;
	int outl;

	do {
		for (int i = 0; i < CHUNK; i++)
			if (EVP_EncryptUpdate(c, buf, &outl, buf, (int)len) != 1)
				die("EVP_EncryptUpdate", NATT_ERR_CRYPTO);
		n += CHUNK;
	} while (cpu_now() < until);
	return n;
}

/* The record loop of `openssl speed -aead` (OpenSSL 3.0 apps/speed.c,
 * EVP_Update_loop_aead_enc): per record the IV length, key and IV, 13
 * bytes of AAD, the payload, the final (the tag is not read).  OpenSSL
 * runs it only for GCM, CCM, OCB and SIV modes; for ChaCha20-Poly1305 (a
 * stream mode) `openssl speed -aead` falls back to run_stream(). */
static bool tls_record(EVP_CIPHER_CTX *c, const uint8_t *key, uint8_t *buf, size_t len)
{
	static const uint8_t aad[13] = {0xcc}, iv[12];
	int outl;

	return EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_AEAD_SET_IVLEN, (int)sizeof(iv), NULL) == 1 &&
	       EVP_CipherInit_ex(c, NULL, NULL, key, iv, -1) == 1 &&
	       EVP_EncryptUpdate(c, NULL, &outl, aad, (int)sizeof(aad)) == 1 &&
	       EVP_EncryptUpdate(c, buf, &outl, buf, (int)len) == 1 &&
	       EVP_EncryptFinal_ex(c, buf, &outl) == 1;
}

static uint64_t run_tls(EVP_CIPHER_CTX *c, const uint8_t *key, uint8_t *buf, size_t len,
			natt_time_t until)
{
	uint64_t n = 0;

	do {
		for (int i = 0; i < CHUNK; i++)
			if (!tls_record(c, key, buf, len))
				die("TLS-like record", NATT_ERR_CRYPTO);
		n += CHUNK;
	} while (cpu_now() < until);
	return n;
}

/* One packet at the bare EVP API, the sequence of datachan.c's
 * aead_seal(): a new nonce, 18 bytes of AAD, the payload, the final, the
 * tag through an OSSL_PARAM. */
static uint64_t run_packet(EVP_CIPHER_CTX *c, uint8_t *buf, size_t len, natt_time_t until)
{
	uint8_t nonce[12] = {0}, hdr[NATT_DATA_HDR_LEN] = {0}, tag[NATT_TAG_LEN];
	OSSL_PARAM p[] = {OSSL_PARAM_octet_string(OSSL_CIPHER_PARAM_AEAD_TAG, tag, sizeof(tag)),
			  OSSL_PARAM_END};
	uint64_t n = 0;
	int outl;

	do {
		for (int i = 0; i < CHUNK; i++) {
			nonce[11]++;
			if (EVP_EncryptInit_ex(c, NULL, NULL, NULL, nonce) != 1 ||
			    EVP_EncryptUpdate(c, NULL, &outl, hdr, sizeof(hdr)) != 1 ||
			    EVP_EncryptUpdate(c, buf, &outl, buf, (int)len) != 1 ||
			    EVP_EncryptFinal_ex(c, buf + len, &outl) != 1 ||
			    EVP_CIPHER_CTX_get_params(c, p) != 1)
				die("EVP packet", NATT_ERR_CRYPTO);
		}
		n += CHUNK;
	} while (cpu_now() < until);
	return n;
}

static void bench_raw(uint8_t cipher, natt_time_t dur, size_t len)
{
	static const uint8_t key[32] = {9};
	EVP_CIPHER *ev = EVP_CIPHER_fetch(
		NULL, cipher == NATT_CIPHER_AES_256_GCM ? "AES-256-GCM" : "ChaCha20-Poly1305",
		NULL);
	EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
	uint8_t *buf = calloc(1, len + 64);
	struct span t0;
	uint64_t n;

	if (ev == NULL || c == NULL || buf == NULL ||
	    EVP_EncryptInit_ex(c, ev, NULL, key, key) != 1)
		die("EVP", NATT_ERR_CRYPTO);
	t0 = span_start();
	n = run_stream(c, buf, len, t0.cpu + dur);
	report("raw", cipher, len, n, t0, 1);
	t0 = span_start();
	n = run_tls(c, key, buf, len, t0.cpu + dur);
	report("tls", cipher, len, n, t0, 1);
	t0 = span_start();
	n = run_packet(c, buf, len, t0.cpu + dur);
	report("aead", cipher, len, n, t0, 1);
	EVP_CIPHER_CTX_free(c);
	EVP_CIPHER_free(ev);
	free(buf);
}

/* Seals and opens until `seconds` have passed; returns packets done. */
static uint64_t run_pair(struct natt_dc *a, struct natt_dc *b, const uint8_t *payload, size_t len,
			 uint8_t *pkt, size_t cap, natt_time_t until)
{
	uint64_t n = 0;

	do {
		for (int i = 0; i < CHUNK; i++) {
			int l = natt_dc_seal(a, 0, payload, len, pkt, cap);

			if (l < 0)
				die("seal", l);
			l = natt_dc_open(b, 0, pkt, (size_t)l, NULL);
			if (l != (int)len)
				die("open", l);
		}
		n += CHUNK;
	} while (cpu_now() < until);
	return n;
}

static uint64_t run_seal(struct natt_dc *a, const uint8_t *payload, size_t len, uint8_t *pkt,
			 size_t cap, natt_time_t until)
{
	uint64_t n = 0;

	do {
		for (int i = 0; i < CHUNK; i++) {
			int l = natt_dc_seal(a, 0, payload, len, pkt, cap);

			if (l < 0)
				die("seal", l);
		}
		n += CHUNK;
	} while (cpu_now() < until);
	return n;
}

static void bench_cipher(uint8_t cipher, natt_time_t dur, size_t len)
{
	struct natt_dc_config cfg;
	struct natt_dc *a = NULL, *b = NULL;
	size_t cap = len + NATT_DC_OVERHEAD;
	uint8_t *payload = calloc(1, len + 1), *pkt = malloc(cap);
	struct span t0;
	uint64_t n;
	int rc;

	natt_dc_config_default(&cfg);
	cfg.cipher = cipher;
	if (payload == NULL || pkt == NULL)
		die("memory", NATT_ERR_NOMEM);
	rc = natt_dc_new(&a, &cfg, s_ab, s_ba, 2, 1, 0);
	if (rc == NATT_OK)
		rc = natt_dc_new(&b, &cfg, s_ba, s_ab, 1, 2, 0);
	if (rc != NATT_OK)
		die("natt_dc_new", rc);
	run_pair(a, b, payload, len, pkt, cap, cpu_now() + dur / 10); /* warm up */
	bench_raw(cipher, dur, len);
	t0 = span_start();
	n = run_seal(a, payload, len, pkt, cap, t0.cpu + dur);
	report("seal", cipher, len, n, t0, 1);
	t0 = span_start();
	allocs = 0;
	n = run_pair(a, b, payload, len, pkt, cap, t0.cpu + dur);
	report("pair", cipher, len, n, t0, 2);
	printf("mode=allocs cipher=%s packets=%llu openssl_allocs=%llu\n",
	       natt_dc_cipher_name(cipher), (unsigned long long)n, (unsigned long long)allocs);
	natt_dc_free(a);
	natt_dc_free(b);
	free(payload);
	free(pkt);
}

int main(int argc, char **argv)
{
	double seconds = argc > 1 ? atof(argv[1]) : 1.0;
	long len = argc > 2 ? atol(argv[2]) : 1400;

	/* Must come before OpenSSL allocates anything. */
	if (CRYPTO_set_mem_functions(count_malloc, count_realloc, count_free) != 1)
		fprintf(stderr, "bench_datachan: cannot count OpenSSL allocations\n");
	if (seconds <= 0 || len < 0 || len > NATT_DC_MAX_PAYLOAD) {
		fprintf(stderr, "usage: bench_datachan [SECONDS] [PAYLOAD]\n");
		return 2;
	}
	bench_cipher(NATT_CIPHER_AES_256_GCM, (natt_time_t)(seconds * 1e6), (size_t)len);
	bench_cipher(NATT_CIPHER_CHACHA20_POLY1305, (natt_time_t)(seconds * 1e6), (size_t)len);
	return 0;
}
