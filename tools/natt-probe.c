/*
 * natt-probe: a test server and client over the transport (natt-probe(1)),
 * two thin applications of transport/node.h, the runtime the OpenVPN plugin
 * uses, so that the NAT lab tests the code OpenVPN runs.
 *
 *   server  registers its name, accepts sessions, echoes every datagram
 *   client  looks the server up, punches, handshakes, sends echo datagrams
 *           and prints one result line: path type (lan, direct,
 *           relay-needed, failed), time to a validated path, time to an
 *           established session, RTT, and on failure the diagnosis
 *
 * Exit status: 0 success, 1 failure (the reason is printed), 2 usage.
 * Log lines go to stderr with the seconds since start; results and events
 * to stdout, one line each.
 */
#define _GNU_SOURCE
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include "probe.h"

#define ECHO_WAIT     (1 * NATT_SEC) /* after the last send */
#define SHUTDOWN_WAIT (2 * NATT_SEC) /* for CLOSEs to go out */
#define DIAG_LINES    64
#define DIAG_LINE     320

struct probe {
	struct probe_opts o;
	struct natt_loop *loop;
	struct natt_node *node;
	struct natt_seal *seal;
	struct natt_tls_ctx *tls;
	struct event *sig[4];
	struct natt_timer *tick;
	natt_time_t t0;
	bool stopping;
	natt_time_t stop_at; /* give up waiting for the CLOSEs */
	/* client */
	struct natt_node_peer *peer;
	bool ever_up, failed, finished;
	struct natt_node_peer_info first; /* at the first peer_up */
	enum natt_node_down_reason why;
	char why_text[400];
	unsigned int sessions, attempts_failed;
	uint64_t sent, received, send_errors;
	natt_time_t send_next, send_end, finish_at, last_rx, max_gap;
	double *rtt;
	size_t nrtt;
	char diag[DIAG_LINES][DIAG_LINE];
	unsigned int ndiag;
};

static natt_time_t start_time;

double probe_elapsed(void)
{
	return (double)(natt_loop_now() - start_time) / NATT_SEC;
}

static double ms(natt_time_t t, natt_time_t from)
{
	return t == NATT_TIME_NEVER || t < from ? -1.0 : (double)(t - from) / 1000.0;
}

/* An address as text, IPv6 in brackets; four buffers, for one printf. */
static const char *addr(const struct natt_cand *c)
{
	static char buf[4][NATT_CAND_STRLEN];
	static int i;

	i = (i + 1) % 4;
	return natt_cand_format(c, buf[i], sizeof(buf[i]));
}

static const char *nat_short(enum natt_nat_type t)
{
	switch (t) {
	case NATT_NAT_NONE: return "none";
	case NATT_NAT_EIM: return "eim";
	case NATT_NAT_EDM: return "edm";
	default: return "unknown";
	}
}

/* ---- callbacks shared by both roles ---- */

static void on_log(void *ctx, int verb, const char *line)
{
	(void)ctx;
	fprintf(stderr, "[%8.3f] %d %s\n", probe_elapsed(), verb, line);
}

static void on_rendezvous(void *ctx, const struct natt_node_rdv_info *in)
{
	(void)ctx;
	if (in->state == NATT_RDV_REG_OK)
		printf("registered rendezvous=%s observed=%s t=%.3f\n", addr(&in->server),
		       addr(&in->observed), probe_elapsed());
	else
		printf("rendezvous-failing rendezvous=%s t=%.3f reason=%s\n", addr(&in->server),
		       probe_elapsed(), in->reason != NULL ? in->reason : "?");
	fflush(stdout);
}

static void stop(struct probe *pr)
{
	natt_time_t now = natt_loop_now();

	if (pr->stopping)
		return;
	pr->stopping = true;
	pr->stop_at = now + SHUTDOWN_WAIT;
	natt_node_shutdown(pr->node, "natt-probe done");
	natt_timer_set(pr->tick, now);
}

static void status_line(void *ctx, const char *line)
{
	(void)ctx;
	fprintf(stderr, "[%8.3f] status %s\n", probe_elapsed(), line);
}

static void on_signal(evutil_socket_t sig, short what, void *arg)
{
	struct probe *pr = arg;

	(void)what;
	if (sig == SIGUSR1) {
		natt_node_status(pr->node, status_line, NULL);
		return;
	}
	fprintf(stderr, "[%8.3f] %s: stopping\n", probe_elapsed(),
		sig == SIGTERM ? "SIGTERM" : "SIGINT");
	stop(pr);
}

static int add_signals(struct probe *pr)
{
	static const int sigs[] = {SIGTERM, SIGINT, SIGUSR1};

	signal(SIGPIPE, SIG_IGN);
	for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++) {
		pr->sig[i] = evsignal_new(natt_loop_base(pr->loop), sigs[i], on_signal, pr);
		if (pr->sig[i] == NULL || evsignal_add(pr->sig[i], NULL) != 0)
			return -1;
	}
	return 0;
}

/* ---- server: echo ---- */

static void srv_up(void *ctx, struct natt_node_peer *p, const struct natt_node_peer_info *in)
{
	(void)ctx;
	(void)p;
	printf("up peer=%s cert=%s path=%s%s remote=%s local=%s nat=%s/%s validated_ms=%.1f "
	       "established_ms=%.1f cid=%016llx t=%.3f\n",
	       in->name[0] ? in->name : "-", in->cert_name[0] ? in->cert_name : "-",
	       natt_node_path_name(in->path), in->bday ? "(birthday)" : "", addr(&in->remote),
	       addr(&in->local), nat_short(in->local_nat), nat_short(in->remote_nat),
	       ms(in->validated_at, in->attempt_at), ms(in->established_at, in->attempt_at),
	       (unsigned long long)in->cid, probe_elapsed());
	fflush(stdout);
}

static void srv_down(void *ctx, struct natt_node_peer *p, const struct natt_node_down *d)
{
	struct natt_node_peer_info in;

	(void)ctx;
	natt_node_peer_info(p, &in);
	printf("down peer=%s reason=%s in=%llu out=%llu t=%.3f text=%s\n",
	       in.name[0] ? in.name : "-", natt_node_down_name(d->reason),
	       (unsigned long long)in.packets_in, (unsigned long long)in.packets_out,
	       probe_elapsed(), d->text);
	fflush(stdout);
}

static void srv_datagram(void *ctx, struct natt_node_peer *p, const uint8_t *data, size_t len)
{
	struct probe *pr = ctx;

	natt_node_send(pr->node, p, data, len);
}

/* ---- client: measure ---- */

static void keep_diag(void *ctx, const char *line)
{
	struct probe *pr = ctx;

	if (pr->ndiag < DIAG_LINES)
		snprintf(pr->diag[pr->ndiag++], DIAG_LINE, "%s", line);
}

static void fail(struct probe *pr, enum natt_node_down_reason why, const char *text)
{
	if (pr->finished)
		return;
	pr->failed = true;
	pr->finished = true;
	pr->why = why;
	snprintf(pr->why_text, sizeof(pr->why_text), "%s", text);
	if (pr->ndiag == 0 && pr->peer != NULL)
		natt_node_peer_diag(pr->peer, keep_diag, pr);
	natt_timer_set(pr->tick, natt_loop_now());
}

static void cli_up(void *ctx, struct natt_node_peer *p, const struct natt_node_peer_info *in)
{
	struct probe *pr = ctx;
	natt_time_t now = natt_loop_now();

	(void)p;
	pr->sessions++;
	fprintf(stderr, "[%8.3f] session %u up: path %s to %s\n", probe_elapsed(), pr->sessions,
		natt_node_path_name(in->path), addr(&in->remote));
	if (pr->ever_up)
		return;
	pr->ever_up = true;
	pr->first = *in;
	pr->send_next = now;
	pr->last_rx = now;
	if (pr->o.duration_s > 0)
		pr->send_end = now + pr->o.duration_s * NATT_SEC;
	natt_timer_set(pr->tick, now);
}

static void cli_down(void *ctx, struct natt_node_peer *p, const struct natt_node_down *d)
{
	struct probe *pr = ctx;

	if (d->was_up) {
		fprintf(stderr, "[%8.3f] session down (%s): %s\n", probe_elapsed(),
			natt_node_down_name(d->reason), d->text);
		if (d->final && !pr->finished)
			natt_timer_set(pr->tick, natt_loop_now());
		if (d->final)
			pr->peer = NULL;
		return;
	}
	pr->attempts_failed++;
	if (d->reason == NATT_NODE_DOWN_RENDEZVOUS && !d->final) {
		fprintf(stderr, "[%8.3f] attempt %u failed: %s; retrying in %.1f s\n",
			probe_elapsed(), pr->attempts_failed, d->text,
			(double)(d->retry_at - natt_loop_now()) / NATT_SEC);
		snprintf(pr->why_text, sizeof(pr->why_text), "%s", d->text);
		pr->why = d->reason;
		return;
	}
	pr->ndiag = 0;
	natt_node_peer_diag(p, keep_diag, pr);
	fail(pr, d->reason, d->text);
	if (!d->final)
		natt_node_close_peer(pr->node, p, NULL);
	pr->peer = NULL;
}

static void cli_datagram(void *ctx, struct natt_node_peer *p, const uint8_t *data, size_t len)
{
	struct probe *pr = ctx;
	natt_time_t now = natt_loop_now(), sent = 0;

	(void)p;
	if (len < PROBE_ECHO_HDR)
		return;
	for (int i = 0; i < 8; i++)
		sent = sent << 8 | data[8 + i];
	if (now - pr->last_rx > pr->max_gap)
		pr->max_gap = now - pr->last_rx;
	pr->last_rx = now;
	pr->received++;
	if (sent <= now && pr->nrtt < pr->o.count + pr->o.duration_s * 100000 / pr->o.interval_ms)
		pr->rtt[pr->nrtt++] = (double)(now - sent) / 1000.0;
	if (pr->o.duration_s == 0 && pr->received >= pr->o.count)
		natt_timer_set(pr->tick, now);
}

static void send_echo(struct probe *pr, natt_time_t now)
{
	uint8_t buf[PROBE_SIZE_MAX];
	int rc;

	memset(buf, 0, pr->o.size);
	for (int i = 0; i < 8; i++) {
		buf[i] = (uint8_t)(pr->sent >> (56 - 8 * i));
		buf[8 + i] = (uint8_t)(now >> (56 - 8 * i));
	}
	rc = pr->peer != NULL ? natt_node_send(pr->node, pr->peer, buf, pr->o.size)
			      : NATT_ERR_CLOSED;
	pr->send_errors += rc != NATT_OK;
	pr->sent++;
}

static bool more_to_send(const struct probe *pr, natt_time_t now)
{
	if (pr->o.duration_s > 0)
		return now < pr->send_end;
	return pr->sent < pr->o.count;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double median_rtt(struct probe *pr)
{
	if (pr->nrtt == 0)
		return -1.0;
	qsort(pr->rtt, pr->nrtt, sizeof(double), cmp_double);
	return pr->nrtt % 2 ? pr->rtt[pr->nrtt / 2]
			    : (pr->rtt[pr->nrtt / 2 - 1] + pr->rtt[pr->nrtt / 2]) / 2;
}

static const char *result_name(const struct probe *pr)
{
	if (!pr->failed)
		return natt_node_path_name(pr->first.path);
	return pr->why == NATT_NODE_DOWN_NEEDS_RELAY ? "relay-needed" : "failed";
}

/* JSON string contents: the reason and diagnosis texts are printable ASCII. */
static void json_str(const char *s)
{
	putchar('"');
	for (; *s != '\0'; s++) {
		if (*s == '"' || *s == '\\')
			putchar('\\');
		putchar(*s >= ' ' && *s < 127 ? *s : '?');
	}
	putchar('"');
}

static void print_json(struct probe *pr, double rtt)
{
	const struct natt_node_peer_info *in = &pr->first;

	printf("{\"result\":\"%s\",\"ok\":%s,\"after_ms\":%.1f", result_name(pr),
	       pr->failed ? "false" : "true", probe_elapsed() * 1000.0);
	if (!pr->failed)
		printf(",\"validated_ms\":%.1f,\"established_ms\":%.1f,\"rtt_ms\":%.3f,"
		       "\"sent\":%llu,\"received\":%llu,\"max_gap_ms\":%.1f,\"sessions\":%u,"
		       "\"local\":\"%s\",\"remote\":\"%s\",\"nat\":\"%s/%s\",\"birthday\":%s",
		       ms(in->validated_at, pr->t0), ms(in->established_at, pr->t0), rtt,
		       (unsigned long long)pr->sent, (unsigned long long)pr->received,
		       (double)pr->max_gap / 1000.0, pr->sessions, addr(&in->local),
		       addr(&in->remote), nat_short(in->local_nat), nat_short(in->remote_nat),
		       in->bday ? "true" : "false");
	printf(",\"attempts_failed\":%u,\"reason\":", pr->attempts_failed);
	json_str(pr->failed ? pr->why_text : "");
	printf(",\"diagnosis\":[");
	for (unsigned int i = 0; pr->failed && i < pr->ndiag; i++) {
		printf(i ? "," : "");
		json_str(pr->diag[i]);
	}
	printf("]}\n");
}

static void print_text(struct probe *pr, double rtt)
{
	const struct natt_node_peer_info *in = &pr->first;

	if (pr->failed) {
		printf("result=%s after_ms=%.1f attempts_failed=%u reason=\"%s\"\n",
		       result_name(pr), probe_elapsed() * 1000.0, pr->attempts_failed,
		       pr->why_text);
		for (unsigned int i = 0; i < pr->ndiag; i++)
			printf("diag: %s\n", pr->diag[i]);
		return;
	}
	printf("result=%s validated_ms=%.1f established_ms=%.1f rtt_ms=%.3f sent=%llu "
	       "received=%llu max_gap_ms=%.1f sessions=%u local=%s remote=%s nat=%s/%s "
	       "birthday=%s cid=%016llx attempts_failed=%u\n",
	       result_name(pr), ms(in->validated_at, pr->t0), ms(in->established_at, pr->t0), rtt,
	       (unsigned long long)pr->sent, (unsigned long long)pr->received,
	       (double)pr->max_gap / 1000.0, pr->sessions, addr(&in->local), addr(&in->remote),
	       nat_short(in->local_nat), nat_short(in->remote_nat), in->bday ? "yes" : "no",
	       (unsigned long long)in->cid, pr->attempts_failed);
}

static void report(struct probe *pr)
{
	double rtt = median_rtt(pr);

	if (!pr->failed && pr->received == 0) {
		pr->failed = true;
		pr->why = NATT_NODE_DOWN_FAILED;
		snprintf(pr->why_text, sizeof(pr->why_text),
			 "session up but none of %llu echo datagrams came back",
			 (unsigned long long)pr->sent);
	}
	if (pr->o.json)
		print_json(pr, rtt);
	else
		print_text(pr, rtt);
	fflush(stdout);
}

static void cli_finish(struct probe *pr)
{
	pr->finished = true;
	report(pr);
	stop(pr);
}

/* The client's clock: give-up, pacing of the echo datagrams, the end. */
static void cli_tick(struct probe *pr, natt_time_t now)
{
	natt_time_t next = NATT_TIME_NEVER;

	if (pr->finished) {
		cli_finish(pr);
		return;
	}
	if (!pr->ever_up) {
		if (now >= pr->t0 + pr->o.timeout_s * NATT_SEC) {
			char t[480];

			snprintf(t, sizeof(t), "no session within %llu s%s%s",
				 (unsigned long long)pr->o.timeout_s, pr->why_text[0] ? ": " : "",
				 pr->why_text);
			fail(pr, pr->why_text[0] ? pr->why : NATT_NODE_DOWN_FAILED, t);
			cli_finish(pr);
			return;
		}
		natt_timer_set(pr->tick, pr->t0 + pr->o.timeout_s * NATT_SEC);
		return;
	}
	while (more_to_send(pr, now) && pr->send_next <= now) {
		send_echo(pr, now);
		pr->send_next += pr->o.interval_ms * NATT_MSEC;
	}
	if (more_to_send(pr, now)) {
		next = pr->send_next;
	} else {
		if (pr->finish_at == 0)
			pr->finish_at = now + ECHO_WAIT;
		if (now >= pr->finish_at || (pr->o.duration_s == 0 && pr->received >= pr->sent) ||
		    pr->peer == NULL) {
			cli_finish(pr);
			return;
		}
		next = pr->finish_at;
	}
	natt_timer_set(pr->tick, next);
}

static void on_tick(void *arg, natt_time_t now)
{
	struct probe *pr = arg;

	if (pr->stopping) {
		if (natt_node_idle(pr->node) || now >= pr->stop_at)
			natt_loop_stop(pr->loop);
		else
			natt_timer_set(pr->tick, now + 20 * NATT_MSEC);
		return;
	}
	if (pr->o.server)
		stop(pr); /* --seconds ran out */
	else
		cli_tick(pr, now);
}

/* ---- main ---- */

static int setup(struct probe *pr)
{
	struct natt_node_config cfg;
	char err[512];

	if (probe_config(&pr->o, &cfg, &pr->seal, &pr->tls) < 0)
		return -1;
	cfg.cb.ctx = pr;
	cfg.cb.log = on_log;
	cfg.cb.rendezvous = on_rendezvous;
	cfg.cb.peer_up = pr->o.server ? srv_up : cli_up;
	cfg.cb.peer_down = pr->o.server ? srv_down : cli_down;
	cfg.cb.datagram = pr->o.server ? srv_datagram : cli_datagram;
	if (natt_loop_new(&pr->loop, false) != NATT_OK ||
	    natt_timer_new(&pr->tick, pr->loop, on_tick, pr) != NATT_OK || add_signals(pr) < 0) {
		fprintf(stderr, PROBE_PROG ": cannot set up the event loop\n");
		return -1;
	}
	if (natt_node_new(&pr->node, pr->loop, &cfg, err, sizeof(err)) != NATT_OK) {
		fprintf(stderr, PROBE_PROG ": %s\n", err);
		return -1;
	}
	return 0;
}

static int start(struct probe *pr)
{
	int rc;

	pr->t0 = natt_loop_now();
	if (pr->o.server) {
		if (pr->o.seconds > 0)
			natt_timer_set(pr->tick, pr->t0 + pr->o.seconds * NATT_SEC);
		return 0;
	}
	pr->rtt = calloc(pr->o.count + pr->o.duration_s * 100000 / pr->o.interval_ms + 1,
			 sizeof(double));
	rc = pr->rtt == NULL ? NATT_ERR_NOMEM
			     : natt_node_connect(pr->node, pr->o.server_name, &pr->peer);
	if (rc != NATT_OK) {
		fprintf(stderr, PROBE_PROG ": cannot connect to %s: %s\n", pr->o.server_name,
			natt_strerror(rc));
		return -1;
	}
	natt_timer_set(pr->tick, pr->t0 + pr->o.timeout_s * NATT_SEC);
	return 0;
}

static void cleanup(struct probe *pr)
{
	natt_node_free(pr->node);
	natt_timer_free(pr->tick);
	for (size_t i = 0; i < sizeof(pr->sig) / sizeof(pr->sig[0]); i++)
		if (pr->sig[i] != NULL)
			event_free(pr->sig[i]);
	natt_loop_free(pr->loop);
	natt_tls_ctx_free(pr->tls);
	natt_seal_free(pr->seal);
	free(pr->rtt);
}

int main(int argc, char **argv)
{
	static struct probe pr;
	int status = PROBE_EXIT_FAIL;

	start_time = natt_loop_now();
	if (probe_parse(argc, argv, &pr.o) < 0)
		return PROBE_EXIT_USAGE;
	if (setup(&pr) == 0 && start(&pr) == 0) {
		natt_loop_run(pr.loop, NATT_TIME_NEVER);
		status = pr.o.server || (!pr.failed && pr.finished) ? PROBE_EXIT_OK
								    : PROBE_EXIT_FAIL;
	}
	cleanup(&pr);
	return status;
}
