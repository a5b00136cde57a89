/*
 * main.c: natt-inspect, the capture checker of openvpn-natt (natt-inspect(1)).
 *
 *   natt-inspect [options] -r FILE|-     read a pcap or pcapng file (or stdin)
 *   natt-inspect [options] -i IFACE      capture live
 *   natt-inspect --list-checks
 *
 * Exit status: 0 every check passed, 1 a check failed, 2 bad input (usage,
 * unreadable, garbage or truncated capture, snaplen-cut or zero-length
 * packets), always with one message on stderr saying why.
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "jsonout.h"
#include "keyfile.h"
#include "pipeline.h"
#include "report.h"

#define PROG   "natt-inspect"
#define ERRLEN 1024

struct opts {
	const char *file, *iface, *bpf, *key_file, *keylog_file;
	uint64_t count;	     /* -c: 0 = all */
	uint64_t duration_s; /* -d: 0 = no limit */
	bool verbose, json, list_checks, strict;
	int port;
	size_t mtu, max_flows;
};

struct ctx {
	struct opts o;
	struct ins_run run;
	struct natt_seal *seal;
	struct ins_keylog *keylog;
	struct ins_capture *cap;
	struct ins_pipeline pl;
	struct ins_json json;
	bool started;
	natt_time_t start;
};

static struct ins_capture *volatile stop_target;

static void on_signal(int sig)
{
	(void)sig;
	if (stop_target != NULL)
		ins_capture_stop(stop_target);
}

static void usage(FILE *f)
{
	fputs("usage: " PROG " [options] -r FILE|-     check a pcap/pcapng capture\n"
	      "       " PROG " [options] -i IFACE      check a live capture\n"
	      "       " PROG " --list-checks\n"
	      "options:\n"
	      "  -f FILTER            BPF filter (tcpdump syntax)\n"
	      "  -c COUNT             stop after COUNT records\n"
	      "  -d SECONDS           stop after SECONDS (live: wall clock; file: capture time)\n"
	      "  -v                   one line (or JSON object) per packet\n"
	      "  --json               one JSON document on stdout instead of text\n"
	      "  --port N             the transport's UDP port (default: heuristic)\n"
	      "  --mtu N              the mtu check's limit (default 1500)\n"
	      "  --network-key FILE   open sealed packets (HANDSHAKE, PROBE, rendezvous)\n"
	      "  --keylog FILE        decrypt DATA packets (key log, doc/PROTOCOL.md 12)\n"
	      "  --strict             warnings (mtu) make the exit status 1\n"
	      "  --max-flows N        flows summarised (default 4096)\n"
	      "exit status: 0 pass, 1 a check failed, 2 bad input\n",
	      f);
}

static void die_usage(const char *what, const char *arg)
{
	fprintf(stderr, PROG ": %s%s%s\n", what, arg ? " " : "", arg ? arg : "");
	usage(stderr);
	exit(INS_EXIT_BAD_INPUT);
}

static uint64_t number(const char *s, uint64_t min, uint64_t max, const char *opt)
{
	char *end;
	unsigned long long v;

	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0' || s[0] == '-' || v < min || v > max)
		die_usage("bad number for", opt);
	return v;
}

enum {
	OPT_JSON = 256,
	OPT_PORT,
	OPT_MTU,
	OPT_KEY,
	OPT_KEYLOG,
	OPT_LIST,
	OPT_STRICT,
	OPT_MAX_FLOWS,
	OPT_HELP
};

static const struct option long_opts[] = {
	{"json", no_argument, NULL, OPT_JSON},
	{"port", required_argument, NULL, OPT_PORT},
	{"mtu", required_argument, NULL, OPT_MTU},
	{"network-key", required_argument, NULL, OPT_KEY},
	{"keylog", required_argument, NULL, OPT_KEYLOG},
	{"list-checks", no_argument, NULL, OPT_LIST},
	{"strict", no_argument, NULL, OPT_STRICT},
	{"max-flows", required_argument, NULL, OPT_MAX_FLOWS},
	{"help", no_argument, NULL, OPT_HELP},
	{NULL, 0, NULL, 0},
};

static void parse_long(struct opts *o, int c)
{
	switch (c) {
	case OPT_JSON: o->json = true; break;
	case OPT_PORT: o->port = (int)number(optarg, 1, 65535, "--port"); break;
	case OPT_MTU: o->mtu = number(optarg, 68, NATT_MAX_DATAGRAM + 60, "--mtu"); break;
	case OPT_KEY: o->key_file = optarg; break;
	case OPT_KEYLOG: o->keylog_file = optarg; break;
	case OPT_LIST: o->list_checks = true; break;
	case OPT_STRICT: o->strict = true; break;
	case OPT_MAX_FLOWS: o->max_flows = number(optarg, 1, 1u << 20, "--max-flows"); break;
	case OPT_HELP: usage(stdout); exit(INS_EXIT_PASS);
	default: die_usage("unknown option; see --help", NULL);
	}
}

static void parse_args(struct opts *o, int argc, char **argv)
{
	int c;

	memset(o, 0, sizeof(*o));
	o->mtu = INS_DEFAULT_MTU;
	o->max_flows = INS_MAX_FLOWS;
	while ((c = getopt_long(argc, argv, "r:i:f:c:d:vh", long_opts, NULL)) != -1) {
		switch (c) {
		case 'r': o->file = optarg; break;
		case 'i': o->iface = optarg; break;
		case 'f': o->bpf = optarg; break;
		case 'c': o->count = number(optarg, 1, UINT64_MAX, "-c"); break;
		case 'd': o->duration_s = number(optarg, 1, UINT32_MAX, "-d"); break;
		case 'v': o->verbose = true; break;
		case 'h': usage(stdout); exit(INS_EXIT_PASS);
		default: parse_long(o, c);
		}
	}
	if (optind < argc)
		die_usage("unexpected argument", argv[optind]);
	if (o->list_checks)
		return;
	if ((o->file == NULL) == (o->iface == NULL))
		die_usage("give exactly one of -r FILE and -i IFACE", NULL);
}

/* Prints a one-line error and exits with the bad-input status. */
static void fatal(const char *msg)
{
	fprintf(stderr, PROG ": %s\n", msg);
	exit(INS_EXIT_BAD_INPUT);
}

static void load_keys(struct ctx *x)
{
	char err[ERRLEN] = "", warn[ERRLEN] = "";
	uint8_t key[NATT_KEY_LEN];
	enum natt_key_kind kind;
	int rc;

	if (x->o.key_file != NULL) {
		if (natt_keyfile_load(x->o.key_file, &kind, key, err, sizeof(err), warn,
				      sizeof(warn)) != NATT_OK)
			fatal(err);
		if (warn[0] != '\0')
			fprintf(stderr, PROG ": warning: %s\n", warn);
		rc = kind == NATT_KEY_NETWORK ? natt_seal_new(&x->seal, key)
					      : natt_seal_new_rendezvous(&x->seal, key);
		memset(key, 0, sizeof(key));
		if (rc != NATT_OK)
			fatal("cannot derive the seal keys (OpenSSL)");
	}
	if (x->o.keylog_file != NULL &&
	    ins_keylog_load(&x->keylog, x->o.keylog_file, err, sizeof(err)) != NATT_OK)
		fatal(err);
}

static void open_input(struct ctx *x)
{
	char err[ERRLEN] = "";
	int rc;

	if (x->o.file != NULL)
		rc = ins_capture_open_file(&x->cap, x->o.file, err, sizeof(err));
	else
		rc = ins_capture_open_live(&x->cap, x->o.iface, err, sizeof(err));
	if (rc != NATT_OK)
		fatal(err);
	if (x->o.bpf != NULL && ins_capture_filter(x->cap, x->o.bpf, err, sizeof(err)) != NATT_OK)
		fatal(err);
}

static void on_packet(void *arg, const struct ins_pkt *p)
{
	struct ctx *x = arg;

	if (!x->o.verbose)
		return;
	if (x->o.json)
		ins_jsonout_packet(&x->json, p);
	else
		ins_report_packet(stdout, p, x->pl.in.first);
}

static void setup(struct ctx *x)
{
	static char source[PATH_MAX + 8];
	struct ins_analyze_config cfg = {.port = x->o.port,
					 .mtu = x->o.mtu,
					 .max_flows = x->o.max_flows,
					 .network_key = x->seal != NULL,
					 .keylog = x->keylog != NULL};
	int rc;

	if (x->o.file != NULL)
		snprintf(source, sizeof(source), "%s",
			 strcmp(x->o.file, "-") ? x->o.file : "stdin");
	else
		snprintf(source, sizeof(source), "live:%s", x->o.iface);
	x->run = (struct ins_run){.source = source,
				  .dlt = ins_capture_linktype(x->cap),
				  .snaplen = ins_capture_snaplen(x->cap),
				  .port = x->o.port,
				  .mtu = x->o.mtu,
				  .network_key = cfg.network_key,
				  .keylog = cfg.keylog,
				  .strict = x->o.strict,
				  .verbose = x->o.verbose};
	rc = ins_pipeline_init(&x->pl, x->run.dlt, &cfg, x->seal, x->keylog, on_packet, x);
	if (rc == NATT_ERR_INVALID) {
		char msg[sizeof(source) + 64];
		snprintf(msg, sizeof(msg), "%s: link type %d is not supported", source, x->run.dlt);
		fatal(msg);
	}
	if (rc != NATT_OK)
		fatal("out of memory");
	if (x->o.json) {
		ins_json_init(&x->json, stdout);
		ins_jsonout_begin(&x->json, &x->run);
	}
}

static natt_time_t monotonic_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (natt_time_t)ts.tv_sec * NATT_SEC + (natt_time_t)ts.tv_nsec / 1000;
}

/* Whether the -c / -d limits are reached (before handling r, if any). */
static bool limit_reached(struct ctx *x, const struct ins_record *r)
{
	natt_time_t limit = x->o.duration_s * NATT_SEC;

	if (x->o.count > 0 && x->pl.in.records >= x->o.count)
		return true;
	if (limit == 0)
		return false;
	if (x->o.iface != NULL)
		return monotonic_us() - x->start >= limit;
	return r != NULL && x->pl.in.any && r->ts >= x->pl.in.first &&
	       r->ts - x->pl.in.first >= limit;
}

/* Reads until the end, an error or a limit; returns the error text or NULL. */
static const char *read_all(struct ctx *x)
{
	static char err[ERRLEN];
	struct ins_record r;

	x->start = monotonic_us();
	for (;;) {
		int rc;

		if (limit_reached(x, NULL))
			break;
		rc = ins_capture_next(x->cap, &r, err, sizeof(err));
		if (rc == INS_CAP_IDLE)
			continue;
		if (rc == INS_CAP_STOPPED) {
			x->run.stopped = true;
			break;
		}
		if (rc == INS_CAP_END)
			break;
		if (rc == INS_CAP_ERROR)
			return err;
		if (limit_reached(x, &r))
			break;
		ins_pipeline_frame(&x->pl, &r);
	}
	return NULL;
}

static int verdict(struct ctx *x, const char *read_err)
{
	static char msg[ERRLEN + 128];
	const struct ins_input_stats *in = &x->pl.in;

	if (read_err != NULL) {
		snprintf(msg, sizeof(msg), "%s: capture unreadable after %llu records: %s",
			 x->run.source, (unsigned long long)in->records, read_err);
		x->run.error = msg;
		return INS_EXIT_BAD_INPUT;
	}
	if (ins_pipeline_bad_input(&x->pl)) {
		snprintf(msg, sizeof(msg),
			 "%s: %llu zero-length records and %llu packets cut by the snapshot "
			 "length (%d): they cannot be verified; capture with -s 0",
			 x->run.source, (unsigned long long)in->zero_length,
			 (unsigned long long)in->cut, x->run.snaplen);
		x->run.error = msg;
		return INS_EXIT_BAD_INPUT;
	}
	return ins_checks_failed(&x->pl.an.checks, x->o.strict) ? INS_EXIT_FAIL : INS_EXIT_PASS;
}

static void install_signals(struct ctx *x)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	stop_target = x->cap;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
}

int main(int argc, char **argv)
{
	static struct ctx x;
	const char *read_err;

	parse_args(&x.o, argc, argv);
	if (x.o.list_checks) {
		ins_report_list_checks(stdout);
		return INS_EXIT_PASS;
	}
	load_keys(&x);
	open_input(&x);
	setup(&x);
	install_signals(&x);
	read_err = read_all(&x);
	x.run.exit_status = verdict(&x, read_err);
	if (x.o.json)
		ins_jsonout_finish(&x.json, &x.run, &x.pl);
	else
		ins_report_summary(stdout, &x.run, &x.pl);
	fflush(stdout);
	if (x.run.error != NULL)
		fprintf(stderr, PROG ": %s\n", x.run.error);
	stop_target = NULL;
	ins_pipeline_free(&x.pl);
	ins_capture_close(x.cap);
	ins_keylog_free(x.keylog);
	natt_seal_free(x.seal);
	return x.run.exit_status;
}
