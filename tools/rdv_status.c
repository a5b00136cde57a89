/*
 * rdv_status.c: natt-rendezvous' status file and counter summaries.
 *
 * The status file is "key value" lines, one counter each, so that scripts
 * read it with grep or awk and monitoring with a line parser:
 *
 *   # natt-rendezvous status
 *   updated 2024-05-01T12:00:00Z
 *   registrations_held 1234
 *   ...
 *   drop_auth 7
 *
 * It is written to FILE.tmp and renamed over FILE, so a reader never sees
 * half of it.  Counters are totals since start.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "rdv_daemon.h"
#include "rdv_log.h"

/* "not-ours" -> "not_ours", for keys. */
static void key_of(char *out, size_t cap, const char *name)
{
	size_t i = 0;

	for (; name[i] != '\0' && i + 1 < cap; i++)
		out[i] = name[i] == '-' ? '_' : name[i];
	out[i] = '\0';
}

static uint64_t drops_total(const struct natt_rdv_server_stats *s)
{
	uint64_t t = 0;

	for (int r = NATT_RDV_DROP_NONE + 1; r < NATT_RDV_DROP_REASONS; r++)
		t += s->drop[r];
	return t;
}

static void write_counters(FILE *f, struct rdv_daemon *d)
{
	const struct natt_rdv_server_stats *s = natt_rdv_server_stats(d->srv);

	fprintf(f, "registrations_held %zu\n", natt_rdv_server_count(d->srv));
	fprintf(f, "max_registrations %zu\n", d->cfg.srv.max_registrations);
	fprintf(f, "registrations %llu\n", (unsigned long long)s->registrations);
	fprintf(f, "registrations_new %llu\n", (unsigned long long)s->reg_new);
	fprintf(f, "registrations_removed %llu\n", (unsigned long long)s->reg_removed);
	fprintf(f, "registrations_expired %llu\n", (unsigned long long)s->reg_expired);
	fprintf(f, "registrations_refused_full %llu\n", (unsigned long long)s->reg_table_full);
	fprintf(f, "lookups %llu\n", (unsigned long long)s->lookups);
	fprintf(f, "lookups_found %llu\n", (unsigned long long)s->lookups_found);
	fprintf(f, "introductions %llu\n", (unsigned long long)s->introductions);
	fprintf(f, "rate_limited_answers %llu\n", (unsigned long long)s->rate_limited_told);
	fprintf(f, "stun_answers %llu\n", (unsigned long long)s->stun_answers);
	fprintf(f, "drops %llu\n", (unsigned long long)drops_total(s));
	for (int r = NATT_RDV_DROP_NONE + 1; r < NATT_RDV_DROP_REASONS; r++) {
		char key[32];

		key_of(key, sizeof(key), natt_rdv_drop_name((enum natt_rdv_drop)r));
		fprintf(f, "drop_%s %llu\n", key, (unsigned long long)s->drop[r]);
	}
}

static void write_sockets(FILE *f, struct rdv_daemon *d)
{
	uint64_t rx = 0, tx = 0, txd = 0, txe = 0, trunc = 0;

	for (unsigned int i = 0; i < d->nsock; i++) {
		const struct natt_udp_stats *u = natt_udp_stats(d->sock[i].udp);

		fprintf(f, "listen %s\n", d->sock[i].text);
		rx += u->rx_packets;
		tx += u->tx_packets;
		txd += u->tx_dropped;
		txe += u->tx_errors;
		trunc += u->rx_truncated;
	}
	fprintf(f, "rx_datagrams %llu\n", (unsigned long long)rx);
	fprintf(f, "rx_too_large %llu\n", (unsigned long long)trunc);
	fprintf(f, "tx_datagrams %llu\n", (unsigned long long)tx);
	fprintf(f, "tx_queue_full %llu\n", (unsigned long long)txd);
	fprintf(f, "tx_errors %llu\n", (unsigned long long)(txe + d->tx_unroutable));
}

static void write_status(FILE *f, struct rdv_daemon *d)
{
	time_t now = time(NULL);
	char stamp[32];
	struct tm tm;

	gmtime_r(&now, &tm);
	strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%SZ", &tm);
	fprintf(f, "# natt-rendezvous status: counters since start; see natt-rendezvous(8)\n");
	fprintf(f, "version %s\n", PACKAGE_VERSION);
	fprintf(f, "updated %s\n", stamp);
	fprintf(f, "uptime_seconds %lld\n", (long long)(now - d->started_wall));
	fprintf(f, "pid %ld\n", (long)getpid());
	for (unsigned int i = 0; i < d->cfg.nnet; i++) {
		fprintf(f, "network %s ", d->cfg.net[i].name);
		for (int k = 0; k < NATT_NETWORK_ID_LEN; k++)
			fprintf(f, "%02x", d->net_id[i][k]);
		fprintf(f, "\n");
	}
	write_sockets(f, d);
	write_counters(f, d);
	fprintf(f, "memory_bytes %zu\n", natt_rdv_server_memory(d->srv));
}

int rdv_status_write(struct rdv_daemon *d, char *err, size_t errlen)
{
	char tmp[RDV_PATH_MAX + 8];
	FILE *f;
	int ok;

	if (d->cfg.status_file[0] == '\0')
		return 0;
	snprintf(tmp, sizeof(tmp), "%s.tmp", d->cfg.status_file);
	f = fopen(tmp, "we");
	if (f == NULL) {
		snprintf(err, errlen, "status file %s: %s", tmp, strerror(errno));
		return -1;
	}
	write_status(f, d);
	ok = fflush(f) == 0 && !ferror(f);
	if (fclose(f) != 0)
		ok = 0;
	if (!ok || rename(tmp, d->cfg.status_file) != 0) {
		snprintf(err, errlen, "status file %s: %s", d->cfg.status_file, strerror(errno));
		unlink(tmp);
		return -1;
	}
	return 0;
}

void rdv_status_summary(struct rdv_daemon *d)
{
	const struct natt_rdv_server_stats *s = natt_rdv_server_stats(d->srv);
	char line[768];
	size_t n = 0;

	for (int r = NATT_RDV_DROP_NONE + 1; r < NATT_RDV_DROP_REASONS && n < sizeof(line); r++) {
		uint64_t delta = s->drop[r] - d->summarized.drop[r];

		if (delta > 0)
			n += (size_t)snprintf(line + n, sizeof(line) - n, "%s%s %llu",
					      n ? ", " : "",
					      natt_rdv_drop_name((enum natt_rdv_drop)r),
					      (unsigned long long)delta);
	}
	if (n > 0)
		rdv_log(RDV_NOTE, "dropped in the last %llu s: %s",
			(unsigned long long)(RDV_SUMMARY_INTERVAL / NATT_SEC), line);
	d->summarized = *s;
}

void rdv_status_log(struct rdv_daemon *d)
{
	const struct natt_rdv_server_stats *s = natt_rdv_server_stats(d->srv);

	rdv_log(RDV_ERR,
		"counters: %zu registrations held (of %zu); %llu registrations (%llu new, "
		"%llu removed, %llu expired, %llu refused: table full); %llu lookups (%llu found); "
		"%llu introductions; %llu STUN answers; %llu dropped",
		natt_rdv_server_count(d->srv), d->cfg.srv.max_registrations,
		(unsigned long long)s->registrations, (unsigned long long)s->reg_new,
		(unsigned long long)s->reg_removed, (unsigned long long)s->reg_expired,
		(unsigned long long)s->reg_table_full, (unsigned long long)s->lookups,
		(unsigned long long)s->lookups_found, (unsigned long long)s->introductions,
		(unsigned long long)s->stun_answers, (unsigned long long)drops_total(s));
}
