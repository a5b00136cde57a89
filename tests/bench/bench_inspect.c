/*
 * bench_inspect.c: natt-inspect's offline speed (issue 7: at least one
 * million packets per second).
 *
 *   bench_inspect [PACKETS] [FLOWS]      (defaults 1000000 and 100)
 *
 * Writes a pcap file of PACKETS DATA packets (OpenVPN-sized payloads of
 * 60-1400 bytes, every 50th a keepalive) spread over FLOWS sessions, sealed
 * by the data channel, to a temporary file; then reads it back exactly as
 * natt-inspect does (libpcap, link layer, IP, UDP, dissection, flows,
 * every check, no per-packet output) and prints packets per second, first
 * without keys, then with a key log (every DATA packet decrypted).
 * The figure is the median of three reads.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "datachan.h"

#include "../../tools/natt-inspect/pipeline.h"
#include "../inspect/pcapw.h"

#define RUNS 3

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void die(const char *what)
{
	fprintf(stderr, "bench_inspect: %s\n", what);
	exit(1);
}

static natt_cid_t cid_of(unsigned flow)
{
	return UINT64_C(0x1000000000000000) + flow;
}

/* One sealing channel per flow, all with S_0 = 40..5f (the key log's). */
static void write_capture(const char *path, unsigned long packets, unsigned flows)
{
	struct natt_dc **dc = calloc(flows, sizeof(*dc));
	struct natt_dc_config cfg;
	uint8_t tx[32], rx[32], payload[1500], pkt[1600];
	struct pw_file w;
	char a[32];

	if (dc == NULL)
		die("out of memory");
	natt_dc_config_default(&cfg);
	for (int i = 0; i < 32; i++)
		tx[i] = (uint8_t)(0x40 + i), rx[i] = (uint8_t)i;
	for (unsigned f = 0; f < flows; f++)
		if (natt_dc_new(&dc[f], &cfg, tx, rx, cid_of(f), 1, 0) != NATT_OK)
			die("natt_dc_new");
	for (size_t i = 0; i < sizeof(payload); i++)
		payload[i] = (uint8_t)(i * 131 + 7);
	payload[0] = 0x48;
	pw_open(&w, path, PW_EN10MB, false, 262144);
	for (unsigned long n = 0; n < packets; n++) {
		unsigned f = (unsigned)(n % flows);
		size_t len = n % 50 == 0 ? 0 : 60 + (n * 7919) % 1340;
		struct pw_endpoint src, dst;
		int rc = natt_dc_seal(dc[f], 0, payload, len, pkt, sizeof(pkt));

		if (rc < 0)
			die("natt_dc_seal");
		snprintf(a, sizeof(a), "10.%u.%u.2", f / 250, f % 250);
		src = pw_ep(a, (uint16_t)(40000 + f));
		dst = pw_ep("192.0.2.10", 1194);
		pw_udp(&w, UINT64_C(1767225600000000) + n * 10, &src, &dst, pkt, (size_t)rc);
	}
	pw_close(&w);
	for (unsigned f = 0; f < flows; f++)
		natt_dc_free(dc[f]);
	free(dc);
}

/* Reads the capture through the pipeline; returns the seconds it took. */
static double read_capture(const char *path, struct ins_keylog *keylog, uint64_t *claimed,
			   uint64_t *failures)
{
	struct ins_analyze_config cfg = {.mtu = 1500, .max_flows = 4096, .keylog = keylog != NULL};
	static struct ins_pipeline pl;
	struct ins_capture *cap;
	struct ins_record r;
	char err[512];
	double t0 = now_s(), t;
	int rc;

	if (ins_capture_open_file(&cap, path, err, sizeof(err)) != NATT_OK ||
	    ins_pipeline_init(&pl, ins_capture_linktype(cap), &cfg, NULL, keylog, NULL, NULL) !=
		    NATT_OK)
		die(err);
	while ((rc = ins_capture_next(cap, &r, err, sizeof(err))) == INS_CAP_RECORD)
		ins_pipeline_frame(&pl, &r);
	t = now_s() - t0;
	if (rc != INS_CAP_END)
		die(err);
	*claimed = pl.in.claimed;
	*failures = 0;
	for (int i = 0; i < INS_CK_COUNT; i++)
		*failures += pl.an.checks.r[i].failures;
	ins_pipeline_free(&pl);
	ins_capture_close(cap);
	return t;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static void bench(const char *what, const char *path, unsigned long packets,
		  struct ins_keylog *keylog)
{
	double t[RUNS];
	uint64_t claimed = 0, failures = 0;

	for (int i = 0; i < RUNS; i++)
		t[i] = read_capture(path, keylog, &claimed, &failures);
	qsort(t, RUNS, sizeof(t[0]), cmp_double);
	if (claimed != packets || failures != 0)
		die("the capture did not analyse cleanly");
	printf("bench_inspect: %s: %lu packets in %.3f s = %.0f packets/s (median of %d)\n", what,
	       packets, t[RUNS / 2], (double)packets / t[RUNS / 2], RUNS);
}

int main(int argc, char **argv)
{
	unsigned long packets = argc > 1 ? strtoul(argv[1], NULL, 10) : 1000000;
	unsigned flows = argc > 2 ? (unsigned)strtoul(argv[2], NULL, 10) : 100;
	char path[] = "/tmp/bench_inspect.XXXXXX", log[16384], err[256];
	struct ins_keylog *keylog;
	size_t off = 0;
	int fd = mkstemp(path);

	if (fd < 0 || packets == 0 || flows == 0 || flows > 4000)
		die("usage: bench_inspect [PACKETS] [FLOWS <= 4000]");
	close(fd);
	write_capture(path, packets, flows);
	bench("no keys", path, packets, NULL);
	for (unsigned f = 0; f < flows && off + 200 < sizeof(log); f++)
		off += (size_t)snprintf(
			log + off, sizeof(log) - off,
			"NATT_DATA_SECRET %016llx aes-256-gcm 404142434445464748494a"
			"4b4c4d4e4f505152535455565758595a5b5c5d5e5f\n",
			(unsigned long long)cid_of(f));
	if (ins_keylog_parse(&keylog, log, off, "bench", err, sizeof(err)) != NATT_OK)
		die(err);
	bench("--keylog (every packet decrypted)", path, packets, keylog);
	ins_keylog_free(keylog);
	unlink(path);
	return 0;
}
