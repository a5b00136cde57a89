/*
 * bench_rudp.c: goodput of the reliable stream (transport/rudp*.c) over
 * the simulated network (tests/sim): a 50 MB transfer on a 100 Mbit/s link
 * with a 20 ms round trip and a one-BDP drop-tail queue, at 0%, 1% and 5%
 * random loss each way.  Times are simulated, so the figures are exact and
 * repeatable; the CPU column is this machine's cost of running the
 * simulation (both endpoints, sealing and opening every packet).
 *
 * usage: bench_rudp [megabytes [seed]]     (defaults: 50, 1)
 *
 * Not a test: it prints a table and fails only if a transfer does not
 * complete.  The comparison with kernel TCP on an emulated link (network
 * namespaces, nft numgen loss, tc tbf) is a separate step.
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "pair.h"

#define MBIT 1000000.0

struct result {
	int rc;
	double seconds;	  /* simulated transfer time */
	double goodput;	  /* bits per simulated second */
	double overhead;  /* sender's wire bytes / stream bytes */
	double ack_ratio; /* receiver's wire bytes / stream bytes */
	uint64_t lost;
	uint64_t ptos;
	natt_time_t srtt;
	uint64_t cwnd;
	uint64_t window;
	double cpu;
};

static struct result run(double loss, uint64_t bytes, uint64_t seed)
{
	struct sim_link_cfg cfg = {
		.delay = 10 * NATT_MSEC,
		.rate = 12500000,	   /* 100 Mbit/s */
		.queue_limit = 250 * 1000, /* one bandwidth-delay product */
		.loss = loss,
	};
	struct natt_rudp_stats s0, s1;
	struct result r = {0};
	struct pair p;
	clock_t c0 = clock();

	if (pair_init(&p, seed, NULL, NULL) != 0 || pair_link_both(&p, &cfg) != 0) {
		r.rc = -1;
		return r;
	}
	pair_transfer(&p, 0, bytes, true);
	r.rc = pair_run(&p, 24 * 3600 * NATT_SEC, pair_delivered);
	r.cpu = (double)(clock() - c0) / CLOCKS_PER_SEC;
	if (r.rc == 0 && p.side[1].bad_at != UINT64_MAX)
		r.rc = -2;
	natt_rudp_get_stats(p.side[0].conn, &s0);
	natt_rudp_get_stats(p.side[1].conn, &s1);
	r.seconds = (double)p.now / NATT_SEC;
	r.goodput = (double)bytes * 8 / r.seconds;
	r.overhead = (double)p.side[0].bytes_out / (double)bytes;
	r.ack_ratio = (double)p.side[1].bytes_out / (double)bytes;
	r.lost = s0.packets_lost;
	r.ptos = s0.pto_count_total;
	r.srtt = s0.srtt;
	r.cwnd = s0.cwnd;
	r.window = s1.recv_window;
	pair_free(&p);
	return r;
}

int main(int argc, char **argv)
{
	static const double losses[] = {0.0, 0.01, 0.05};
	uint64_t mb = argc > 1 ? strtoull(argv[1], NULL, 10) : 50;
	uint64_t seed = argc > 2 ? strtoull(argv[2], NULL, 10) : 1;
	int failed = 0;

	if (mb == 0)
		mb = 50;
	printf("rudp over the simulated network: %llu MB, 100 Mbit/s, RTT 20 ms, "
	       "queue 250 kB, seed %llu\n\n",
	       (unsigned long long)mb, (unsigned long long)seed);
	printf("%-6s %10s %10s %6s %9s %9s %8s %6s %8s %9s %9s %6s\n", "loss", "time s", "Mbit/s",
	       "util", "wire/data", "acks/data", "lost", "PTOs", "srtt ms", "cwnd kB", "rwnd kB",
	       "cpu s");
	for (size_t i = 0; i < sizeof(losses) / sizeof(losses[0]); i++) {
		struct result r = run(losses[i], mb * 1024 * 1024, seed);

		if (r.rc != 0) {
			printf("%5.1f%%  transfer did not complete (%d)\n", losses[i] * 100, r.rc);
			failed = 1;
			continue;
		}
		printf("%5.1f%% %10.2f %10.2f %5.1f%% %9.3f %9.3f %8llu %6llu %8.1f %9.1f %9.0f "
		       "%6.2f\n",
		       losses[i] * 100, r.seconds, r.goodput / MBIT, r.goodput / (100 * MBIT) * 100,
		       r.overhead, r.ack_ratio, (unsigned long long)r.lost,
		       (unsigned long long)r.ptos, (double)r.srtt / NATT_MSEC,
		       (double)r.cwnd / 1000, (double)r.window / 1024, r.cpu);
	}
	printf("\nMbit/s is stream goodput per simulated second; wire/data counts the\n"
	       "sender's bytes on the wire (headers, tags, retransmissions) per stream byte.\n");
	return failed;
}
