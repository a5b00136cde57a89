/*
 * fuzz_inspect.c: libFuzzer target for natt-inspect's capture-reading path.
 *
 * The input is a capture file (pcap or pcapng), opened with libpcap through
 * fmemopen() exactly as natt-inspect opens a file, and run through the whole
 * pipeline (link layer, IP, reassembly, dissection with the network key of
 * tests/vectors and a key log, the checks), with the per-packet and summary
 * output, text and JSON, written to /dev/null.  Whatever the bytes, nothing
 * may crash, read out of bounds, leak, or loop: libFuzzer's sanitizers and
 * timeouts are the assertions.
 *
 * Seed corpus: tests/fuzz/corpus_inspect/, written by tests/inspect/gen_captures.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../tools/natt-inspect/jsonout.h"
#include "../../tools/natt-inspect/report.h"

#define MAX_RECORDS 4096 /* bound one input's work */

static struct natt_seal *seal;
static struct ins_keylog *keylog;
static FILE *null_out;
static struct ins_json json;

static void on_packet(void *arg, const struct ins_pkt *p)
{
	(void)arg;
	ins_report_packet(null_out, p, 0);
	ins_jsonout_packet(&json, p);
}

static void init(void)
{
	static const char log[] =
		"NATT_DATA_SECRET 5152535455565758 aes-256-gcm "
		"404142434445464748494a4b4c4d4e4f505152535455565758595a5b5c5d5e5f\n"
		"NATT_DATA_SECRET c1c2c3c4c5c6c7c8 chacha20-poly1305 "
		"808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9f\n";
	uint8_t key[NATT_KEY_LEN];
	char err[256];

	for (int i = 0; i < NATT_KEY_LEN; i++)
		key[i] = (uint8_t)i;
	null_out = fopen("/dev/null", "w");
	if (null_out == NULL || natt_seal_new(&seal, key) != NATT_OK ||
	    ins_keylog_parse(&keylog, log, sizeof(log) - 1, "fuzz", err, sizeof(err)) != NATT_OK)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* Small tables: the bounds are exercised sooner and runs are faster. */
	struct ins_analyze_config cfg = {.mtu = 1500,
					 .max_flows = 16,
					 .max_cids = 64,
					 .max_streams = 64,
					 .max_chunks = 8,
					 .network_key = true,
					 .keylog = true};
	static struct ins_pipeline pl;
	struct ins_run run = {.source = "fuzz", .mtu = 1500, .verbose = true};
	struct ins_capture *cap;
	struct ins_record r;
	char err[512];
	FILE *f;

	if (seal == NULL)
		init();
	if (size == 0 || (f = fmemopen((void *)data, size, "rb")) == NULL)
		return 0;
	if (ins_capture_open_stream(&cap, f, err, sizeof(err)) != NATT_OK)
		return 0;
	run.dlt = ins_capture_linktype(cap);
	if (ins_pipeline_init(&pl, run.dlt, &cfg, seal, keylog, on_packet, NULL) == NATT_OK) {
		ins_json_init(&json, null_out);
		ins_jsonout_begin(&json, &run);
		for (int n = 0; n < MAX_RECORDS; n++) {
			if (ins_capture_next(cap, &r, err, sizeof(err)) != INS_CAP_RECORD)
				break;
			ins_pipeline_frame(&pl, &r);
		}
		run.exit_status = ins_pipeline_bad_input(&pl) ? INS_EXIT_BAD_INPUT : INS_EXIT_PASS;
		ins_jsonout_finish(&json, &run, &pl);
		ins_report_summary(null_out, &run, &pl);
		ins_pipeline_free(&pl);
	}
	ins_capture_close(cap);
	return 0;
}
