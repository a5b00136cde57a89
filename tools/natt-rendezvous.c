/*
 * natt-rendezvous: the rendezvous daemon of openvpn-natt (natt-rendezvous(8)).
 *
 * A thin main over transport/: one natt_rdv_server (rdv.h) is fed every
 * datagram of every listen socket (transport/loop.h); what it answers goes
 * out through the socket it names; its next expiry is a natt_timer.  STUN
 * Binding requests on the same port are answered by the same core.
 *
 * Life: read the settings and the keys, detach (unless --foreground),
 * bind, write the pid file, open the log, drop privileges, write the first
 * status file, tell the waiting terminal that start-up worked, serve until
 * SIGTERM or SIGINT.  Any start-up failure is one line on stderr and exit
 * status 1 (2 for a bad command line), from the terminal's process too.
 *
 * Signals: SIGHUP reopens the log file and re-reads the key files, warning
 * about any that changed (a changed key takes a restart: a new key is a new
 * network ID, and the registrations made under the old one would be
 * stranded); SIGUSR1 writes the status file; SIGUSR2 logs the counters.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>
#include <openssl/crypto.h>
#include <openssl/rand.h>

#include "config.h"
#include "keyfile.h"
#include "addr.h"
#include "rdv_daemon.h"
#include "rdv_log.h"
#include "seal.h"

#define PROG "natt-rendezvous"

static uint64_t wall_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/*
 * The core's randomness: salts, transaction IDs, its hash key.  Drawn from
 * OpenSSL's CSPRNG 4 KiB at a time: one RAND_bytes() call costs about as
 * much as sealing a packet, and a lookup needs three draws.  The pool is
 * first filled after the daemon forked, so no two processes share it.
 */
#define RANDOM_POOL 4096

static void random_bytes(void *ctx, uint8_t *buf, size_t len)
{
	static uint8_t pool[RANDOM_POOL];
	static size_t left;

	(void)ctx;
	while (len > 0) {
		size_t n;

		if (left == 0) {
			if (RAND_bytes(pool, sizeof(pool)) != 1) {
				rdv_log(RDV_FATAL, "the random number generator failed: stopping");
				exit(1);
			}
			left = sizeof(pool);
		}
		n = len < left ? len : left;
		memcpy(buf, pool + sizeof(pool) - left, n);
		OPENSSL_cleanse(pool + sizeof(pool) - left, n); /* used once, then gone */
		left -= n;
		buf += n;
		len -= n;
	}
}

static const char *net_name(struct rdv_daemon *d, int net)
{
	const char *n = natt_rdv_server_network_name(d->srv, net);

	return n != NULL ? n : "?";
}

/* ---- keys ---- */

static void hex_id(const uint8_t id[NATT_NETWORK_ID_LEN], char out[2 * NATT_NETWORK_ID_LEN + 1])
{
	for (int i = 0; i < NATT_NETWORK_ID_LEN; i++)
		snprintf(out + 2 * i, 3, "%02x", id[i]);
}

/* Loads a key file into a seal (a rendezvous key gives a rendezvous-only
 * seal).  Returns 0, or -1 with err. */
static int load_seal(const char *path, struct natt_seal **seal, bool *rdv_only, char *err,
		     size_t errlen)
{
	uint8_t key[NATT_KEY_LEN];
	char warn[512];
	enum natt_key_kind kind;
	int rc = natt_keyfile_load(path, &kind, key, err, errlen, warn, sizeof(warn));

	if (rc != NATT_OK)
		return -1;
	if (warn[0] != '\0')
		rdv_log(RDV_ERR, "warning: %s", warn);
	rc = kind == NATT_KEY_NETWORK ? natt_seal_new(seal, key)
				      : natt_seal_new_rendezvous(seal, key);
	OPENSSL_cleanse(key, sizeof(key));
	if (rc != NATT_OK) {
		snprintf(err, errlen, "%s: %s", path, natt_strerror(rc));
		return -1;
	}
	*rdv_only = kind == NATT_KEY_RENDEZVOUS;
	return 0;
}

static int load_networks(struct rdv_daemon *d, char *err, size_t errlen)
{
	for (unsigned int i = 0; i < d->cfg.nnet; i++) {
		const struct rdv_network_cfg *n = &d->cfg.net[i];
		char why[768], id[2 * NATT_NETWORK_ID_LEN + 1];
		bool rdv_only;
		int idx;

		if (load_seal(n->key_file, &d->seal[i], &rdv_only, why, sizeof(why)) < 0) {
			snprintf(err, errlen, "%s: network %s: %s", n->where, n->name, why);
			return -1;
		}
		natt_seal_network_id(d->seal[i], d->net_id[i]);
		idx = natt_rdv_server_add_network(d->srv, n->name, d->seal[i]);
		if (idx == NATT_ERR_EXISTS) {
			for (unsigned int k = 0; k < i; k++)
				if (memcmp(d->net_id[k], d->net_id[i], NATT_NETWORK_ID_LEN) == 0)
					snprintf(err, errlen,
						 "%s: network %s has the key of network %s",
						 n->where, n->name, d->cfg.net[k].name);
			return -1;
		}
		if (idx < 0) {
			snprintf(err, errlen, "%s: network %s: %s", n->where, n->name,
				 natt_strerror(idx));
			return -1;
		}
		hex_id(d->net_id[i], id);
		rdv_log(RDV_ERR, "network %s: id %s, key %s%s", n->name, id, n->key_file,
			rdv_only ? " (rendezvous key)" : "");
	}
	return 0;
}

/* SIGHUP: a key file that changed is reported; it takes a restart. */
static void check_keys(struct rdv_daemon *d)
{
	for (unsigned int i = 0; i < d->cfg.nnet; i++) {
		const struct rdv_network_cfg *n = &d->cfg.net[i];
		uint8_t id[NATT_NETWORK_ID_LEN];
		struct natt_seal *s = NULL;
		char why[768];
		bool rdv_only;

		if (load_seal(n->key_file, &s, &rdv_only, why, sizeof(why)) < 0) {
			if (d->ids.set) { /* keys are usually root's alone: expected */
				rdv_log(RDV_NOTE,
					"network %s: key file not re-read as user %s (%s); "
					"restart natt-rendezvous to load a new key",
					n->name, d->ids.user, why);
				continue;
			}
			rdv_log(RDV_ERR,
				"network %s: key file unreadable now (%s); still serving "
				"with the key read at start",
				n->name, why);
			continue;
		}
		natt_seal_network_id(s, id);
		natt_seal_free(s);
		if (memcmp(id, d->net_id[i], sizeof(id)) != 0)
			rdv_log(RDV_ERR,
				"network %s: key file %s holds another key now; restart "
				"natt-rendezvous to serve it",
				n->name, n->key_file);
		else
			rdv_log(RDV_NOTE, "network %s: key file unchanged", n->name);
	}
}

/* ---- the core's events, for the log ---- */

static const char *lookup_result(const struct natt_rdv_srv_event *ev)
{
	if (!ev->found)
		return "not registered";
	return ev->introduced ? "found, introduced" : "found, introduction not sent";
}

static void on_server_event(void *arg, const struct natt_rdv_srv_event *ev)
{
	struct rdv_daemon *d = arg;
	char a[NATT_CAND_STRLEN];

	if (!rdv_log_on(RDV_EVENT))
		return;
	natt_cand_format(&ev->addr, a, sizeof(a));
	switch (ev->type) {
	case NATT_RDV_SRV_REGISTERED:
		rdv_log(RDV_EVENT, "network %s: %s registered from %s (%u host candidate%s, %u s)",
			net_name(d, ev->network), ev->name, a, ev->ncand, ev->ncand == 1 ? "" : "s",
			ev->lifetime_s);
		break;
	case NATT_RDV_SRV_MOVED:
		rdv_log(RDV_EVENT, "network %s: %s now registers from %s", net_name(d, ev->network),
			ev->name, a);
		break;
	case NATT_RDV_SRV_UNREGISTERED:
		rdv_log(RDV_EVENT, "network %s: %s unregistered (from %s)",
			net_name(d, ev->network), ev->name, a);
		break;
	case NATT_RDV_SRV_EXPIRED:
		rdv_log(RDV_EVENT, "network %s: %s expired: not refreshed (last from %s)",
			net_name(d, ev->network), ev->name, a);
		break;
	case NATT_RDV_SRV_LOOKUP:
		rdv_log(RDV_EVENT, "network %s: lookup of %s by %s%s%s: %s",
			net_name(d, ev->network), ev->name, ev->client, ev->client[0] ? " at " : "",
			a, lookup_result(ev));
		break;
	}
}

/* ---- datagrams ---- */

static void send_dgram(struct rdv_daemon *d, const struct natt_rdv_datagram *g)
{
	struct rdv_sock *s;
	struct sockaddr_storage ss;
	socklen_t len;

	if (g->via >= d->nsock) {
		d->tx_unroutable++;
		return;
	}
	s = &d->sock[g->via];
	len = natt_addr_from_cand(&g->to, s->family, &ss);
	if (len == 0) {
		d->tx_unroutable++;
		return;
	}
	natt_udp_send(s->udp, g->buf, g->len, (struct sockaddr *)&ss, len);
}

static void log_drop(const struct natt_cand *from, size_t len, enum natt_rdv_drop why)
{
	char a[NATT_CAND_STRLEN];

	rdv_log(RDV_DEBUG, "dropped %zu bytes from %s: %s", len,
		natt_cand_format(from, a, sizeof(a)), natt_rdv_drop_name(why));
}

static void rearm_expiry(struct rdv_daemon *d)
{
	natt_time_t t = natt_rdv_server_next_timeout(d->srv);

	if (t != natt_timer_deadline(d->expiry))
		natt_timer_set(d->expiry, t);
}

/* After a batch: the one-line warnings of the core's bounded tables. */
static void check_limits(struct rdv_daemon *d, natt_time_t now)
{
	const struct natt_rdv_server_stats *s = natt_rdv_server_stats(d->srv);

	if (natt_rdv_server_table_full_news(d->srv))
		rdv_log(RDV_ERR,
			"registration table full (%zu): refusing new registrations until it is "
			"below 90 %% (raise max-registrations?)",
			d->cfg.srv.max_registrations);
	if (s->drop[NATT_RDV_DROP_SALTS_FULL] > d->summarized.drop[NATT_RDV_DROP_SALTS_FULL] &&
	    now >= d->next_salts_warning) {
		rdv_log(RDV_ERR,
			"replay guard full: refusing rendezvous messages until its 120 s period "
			"ends (raise replay-capacity?)");
		d->next_salts_warning = now + RDV_SALTS_WARN_INTERVAL;
	}
}

static void on_recv(void *arg, struct natt_udp *udp, const struct natt_dgram *dg, size_t n,
		    natt_time_t now)
{
	struct rdv_sock *s = arg;
	struct rdv_daemon *d = s->d;
	uint64_t wall = wall_ms();

	(void)udp;
	for (size_t i = 0; i < n; i++) {
		struct natt_cand from;

		if (!natt_addr_to_cand(dg[i].addr, NATT_CAND_SRFLX, &from))
			continue;
		natt_rdv_server_input_via(d->srv, now, wall, &from, s->index, dg[i].data, dg[i].len,
					  &d->out);
		if (d->out.drop != NATT_RDV_DROP_NONE && rdv_log_on(RDV_DEBUG))
			log_drop(&from, dg[i].len, d->out.drop);
		for (unsigned int k = 0; k < d->out.count; k++)
			send_dgram(d, &d->out.dgram[k]);
	}
	check_limits(d, now);
	rearm_expiry(d);
}

/* ---- timers ---- */

static void on_expiry(void *arg, natt_time_t now)
{
	struct rdv_daemon *d = arg;

	natt_rdv_server_expire(d->srv, now);
	rearm_expiry(d);
}

static void write_status_logged(struct rdv_daemon *d)
{
	char err[sizeof(d->status_error)];

	if (rdv_status_write(d, err, sizeof(err)) == 0) {
		d->status_error[0] = '\0';
		return;
	}
	if (strcmp(err, d->status_error) != 0)
		rdv_log(RDV_ERR, "%s", err); /* once per distinct error */
	snprintf(d->status_error, sizeof(d->status_error), "%s", err);
}

static void arm_tick(struct rdv_daemon *d)
{
	natt_time_t t = d->next_summary;

	if (d->cfg.status_file[0] != '\0' && d->next_status < t)
		t = d->next_status;
	natt_timer_set(d->tick, t);
}

static void on_tick(void *arg, natt_time_t now)
{
	struct rdv_daemon *d = arg;

	if (d->cfg.status_file[0] != '\0' && now >= d->next_status) {
		write_status_logged(d);
		d->next_status = now + (natt_time_t)d->cfg.status_seconds * NATT_SEC;
	}
	if (now >= d->next_summary) {
		rdv_status_summary(d);
		d->next_summary = now + RDV_SUMMARY_INTERVAL;
	}
	arm_tick(d);
}

/* ---- signals ---- */

static void on_signal(evutil_socket_t sig, short what, void *arg)
{
	struct rdv_daemon *d = arg;

	(void)what;
	switch (sig) {
	case SIGTERM:
	case SIGINT:
		d->stop_signal = sig == SIGTERM ? "SIGTERM" : "SIGINT";
		natt_loop_stop(d->loop);
		break;
	case SIGHUP:
		if (rdv_log_reopen() != 0)
			rdv_log(RDV_ERR,
				"SIGHUP: cannot reopen the log file %s: %s; checking the "
				"key files",
				d->cfg.log_file, strerror(errno));
		else
			rdv_log(RDV_ERR, "SIGHUP: %schecking the key files",
				d->cfg.log_file[0] != '\0' ? "log file reopened; " : "");
		check_keys(d);
		write_status_logged(d);
		break;
	case SIGUSR1: write_status_logged(d); break;
	case SIGUSR2: rdv_status_log(d); break;
	}
}

static int add_signals(struct rdv_daemon *d)
{
	static const int sigs[] = {SIGTERM, SIGINT, SIGHUP, SIGUSR1, SIGUSR2};

	signal(SIGPIPE, SIG_IGN);
	for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++) {
		d->sig[i] = evsignal_new(natt_loop_base(d->loop), sigs[i], on_signal, d);
		if (d->sig[i] == NULL || evsignal_add(d->sig[i], NULL) != 0)
			return -1;
	}
	return 0;
}

/* ---- start-up ---- */

static int open_socket(struct rdv_daemon *d, const struct rdv_listen_cfg *l, char *err,
		       size_t errlen)
{
	struct rdv_sock *s = &d->sock[d->nsock];
	struct natt_udp_config ucfg;
	struct natt_cand bound;
	int rc;

	natt_udp_config_default(&ucfg);
	s->d = d;
	s->index = d->nsock;
	s->family = l->addr.ss_family;
	snprintf(s->text, sizeof(s->text), "%s", l->text);
	rc = natt_udp_open(&s->udp, d->loop, (const struct sockaddr *)&l->addr, l->len, &ucfg,
			   on_recv, s);
	if (rc != NATT_OK) {
		snprintf(err, errlen, "listen %s: %s", l->text,
			 rc == NATT_ERR_IO ? strerror(errno) : natt_strerror(rc));
		return -1;
	}
	/* With port 0, the port the kernel chose. */
	if (natt_addr_to_cand((const struct sockaddr *)&natt_udp_info(s->udp)->local, 0, &bound))
		natt_cand_format(&bound, s->text, sizeof(s->text));
	d->nsock++;
	return 0;
}

/* The default listen address on a host without IPv6. */
static void default_v4(struct rdv_listen_cfg *l)
{
	struct sockaddr_in *s4 = (struct sockaddr_in *)&l->addr;

	memset(l, 0, sizeof(*l));
	s4->sin_family = AF_INET;
	s4->sin_port = htons(RDV_DEFAULT_PORT);
	l->len = sizeof(*s4);
	snprintf(l->text, sizeof(l->text), "0.0.0.0:%d", RDV_DEFAULT_PORT);
}

static int open_sockets(struct rdv_daemon *d, char *err, size_t errlen)
{
	for (unsigned int i = 0; i < d->cfg.nlisten; i++) {
		if (open_socket(d, &d->cfg.listen[i], err, errlen) == 0)
			continue;
		if (!d->cfg.default_listen || errno != EAFNOSUPPORT)
			return -1;
		default_v4(&d->cfg.listen[i]);
		if (open_socket(d, &d->cfg.listen[i], err, errlen) < 0)
			return -1;
	}
	for (unsigned int i = 0; i < d->nsock; i++)
		rdv_log(RDV_ERR, "listening on %s (UDP%s)", d->sock[i].text,
			strncmp(d->sock[i].text, "[::]:", 5) == 0 ? ", IPv6 and IPv4" : "");
	return 0;
}

static int create_core(struct rdv_daemon *d, char *err, size_t errlen)
{
	int rc = natt_loop_new(&d->loop, false);

	if (rc == NATT_OK)
		rc = natt_rdv_server_new(&d->srv, &d->cfg.srv, random_bytes, NULL);
	if (rc == NATT_OK)
		rc = natt_timer_new(&d->expiry, d->loop, on_expiry, d);
	if (rc == NATT_OK)
		rc = natt_timer_new(&d->tick, d->loop, on_tick, d);
	if (rc != NATT_OK) {
		snprintf(err, errlen, "cannot create the rendezvous: %s", natt_strerror(rc));
		return -1;
	}
	natt_rdv_server_set_events(d->srv, on_server_event, d);
	return 0;
}

/* Everything between detaching and serving; the first failure wins. */
static int start(struct rdv_daemon *d, char *err, size_t errlen)
{
	if (create_core(d, err, errlen) < 0 || load_networks(d, err, errlen) < 0 ||
	    open_sockets(d, err, errlen) < 0)
		return -1;
	if (d->cfg.pidfile[0] != '\0') {
		if (rdv_proc_pidfile(d->cfg.pidfile, err, errlen) < 0)
			return -1;
		d->pidfile_written = true;
	}
	if (d->ids.set && rdv_log_chown(d->ids.uid, d->ids.gid) != 0)
		rdv_log(RDV_ERR,
			"warning: log file %s: cannot hand it to user %s (%s): SIGHUP "
			"will not reopen it",
			d->cfg.log_file, d->ids.user, strerror(errno));
	if (rdv_proc_drop(&d->ids, err, errlen) < 0)
		return -1;
	if (rdv_status_write(d, err, errlen) < 0) {
		if (d->ids.set) /* the usual cause: a directory only root may write */
			snprintf(err + strlen(err), errlen - strlen(err), " (as user %s)",
				 d->ids.user);
		return -1;
	}
	if (add_signals(d) < 0) {
		snprintf(err, errlen, "cannot handle signals");
		return -1;
	}
	d->started = natt_loop_now();
	d->next_status = d->started + (natt_time_t)d->cfg.status_seconds * NATT_SEC;
	d->next_summary = d->started + RDV_SUMMARY_INTERVAL;
	arm_tick(d);
	return 0;
}

static void stop(struct rdv_daemon *d)
{
	if (d->srv != NULL && d->started != 0) {
		size_t n = natt_rdv_server_count(d->srv);

		write_status_logged(d);
		rdv_log(RDV_ERR, "exiting on %s: %zu registration%s held",
			d->stop_signal ? d->stop_signal : "error", n, n == 1 ? "" : "s");
	}
	if (d->pidfile_written && unlink(d->cfg.pidfile) != 0)
		rdv_log(RDV_NOTE, "cannot remove the pid file %s: %s", d->cfg.pidfile,
			strerror(errno));
	for (size_t i = 0; i < sizeof(d->sig) / sizeof(d->sig[0]); i++)
		if (d->sig[i] != NULL)
			event_free(d->sig[i]);
	for (unsigned int i = 0; i < d->nsock; i++)
		natt_udp_close(d->sock[i].udp);
	natt_timer_free(d->expiry);
	natt_timer_free(d->tick);
	natt_rdv_server_free(d->srv);
	for (unsigned int i = 0; i < d->cfg.nnet; i++)
		natt_seal_free(d->seal[i]);
	natt_loop_free(d->loop);
}

/* The log file, or syslog for a daemon without one; stderr otherwise.
 * Opened first (as root), so that it has the whole start-up. */
static int open_log(struct rdv_daemon *d, char *err, size_t errlen)
{
	if (d->cfg.log_file[0] != '\0') {
		if (rdv_log_open(RDV_LOG_FILE, d->cfg.log_file, d->cfg.log_append) < 0) {
			snprintf(err, errlen, "log file %s: %s", d->cfg.log_file, strerror(errno));
			return -1;
		}
	} else if (d->cfg.daemon) {
		rdv_log_open(RDV_LOG_SYSLOG, NULL, false);
	}
	return 0;
}

static int run(struct rdv_daemon *d)
{
	char err[2 * RDV_PATH_MAX + 256];
	int rc;

	if (rdv_proc_resolve(d->cfg.user, d->cfg.group, &d->ids, err, sizeof(err)) < 0) {
		fprintf(stderr, PROG ": %s\n", err);
		return 1;
	}
	d->ready_fd = -1;
	if (d->cfg.daemon && rdv_proc_daemonize(&d->ready_fd, err, sizeof(err)) < 0) {
		fprintf(stderr, PROG ": %s\n", err);
		return 1;
	}
	d->started_wall = time(NULL);
	if (open_log(d, err, sizeof(err)) < 0) {
		fprintf(stderr, PROG ": %s\n", err);
		rdv_proc_ready(d->ready_fd, 1);
		return 1;
	}
	rdv_log(RDV_ERR, PROG " %s starting: at most %zu registrations", PACKAGE_VERSION,
		d->cfg.srv.max_registrations);
	if (start(d, err, sizeof(err)) < 0) {
		rdv_log(RDV_FATAL, "%s", err);
		if (d->cfg.log_file[0] != '\0' || d->cfg.daemon)
			fprintf(stderr, PROG ": %s\n", err); /* the terminal still listens */
		rdv_proc_ready(d->ready_fd, 1);
		stop(d);
		return 1;
	}
	rdv_log(RDV_ERR, "ready: %u network%s, replay guard and tables %zu bytes", d->cfg.nnet,
		d->cfg.nnet == 1 ? "" : "s", natt_rdv_server_memory(d->srv));
	rdv_proc_ready(d->ready_fd, 0);
	rc = natt_loop_run(d->loop, NATT_TIME_NEVER);
	if (rc != NATT_OK)
		rdv_log(RDV_FATAL, "event loop failed: %s", natt_strerror(rc));
	stop(d);
	return rc == NATT_OK ? 0 : 1;
}

/* ---- one-shot actions ---- */

static int genkey(const char *path)
{
	struct natt_seal *s;
	char err[1024], id[2 * NATT_NETWORK_ID_LEN + 1];
	uint8_t nid[NATT_NETWORK_ID_LEN];
	bool rdv_only;

	if (natt_keyfile_generate(path, err, sizeof(err)) != NATT_OK) {
		fprintf(stderr, PROG ": %s\n", err);
		return 1;
	}
	if (load_seal(path, &s, &rdv_only, err, sizeof(err)) == 0) {
		natt_seal_network_id(s, nid);
		natt_seal_free(s);
		hex_id(nid, id);
		printf("wrote a new network key to %s (network id %s)\n", path, id);
	}
	return 0;
}

static int export_rdv_key(const char *in, const char *out)
{
	struct natt_seal *s;
	uint8_t key[NATT_KEY_LEN];
	char err[1024];
	bool rdv_only;
	int rc;

	if (load_seal(in, &s, &rdv_only, err, sizeof(err)) < 0) {
		fprintf(stderr, PROG ": %s\n", err);
		return 1;
	}
	rc = rdv_only ? NATT_ERR_WRONG_PURPOSE : natt_seal_rendezvous_key(s, key);
	natt_seal_free(s);
	if (rc != NATT_OK) {
		fprintf(stderr, PROG ": %s: %s\n", in,
			rdv_only ? "is a rendezvous key already" : natt_strerror(rc));
		return 1;
	}
	rc = natt_keyfile_write(out, NATT_KEY_RENDEZVOUS, key, err, sizeof(err));
	OPENSSL_cleanse(key, sizeof(key));
	if (rc != NATT_OK) {
		fprintf(stderr, PROG ": %s\n", err);
		return 1;
	}
	printf("wrote the rendezvous key of %s to %s\n", in, out);
	return 0;
}

int main(int argc, char **argv)
{
	static struct rdv_daemon d; /* large (tables of settings): not on the stack */
	char err[2048];
	int rc;

	rdv_config_init(&d.cfg);
	rc = rdv_config_argv(&d.cfg, argc, argv, err, sizeof(err));
	if (rc != 0) {
		fprintf(stderr, PROG ": %s\n", err);
		if (rc == 2)
			fprintf(stderr, "Try '" PROG " --help'.\n");
		return rc;
	}
	switch (d.cfg.action) {
	case RDV_ACT_HELP: rdv_config_usage(stdout); return 0;
	case RDV_ACT_VERSION:
		printf(PROG " (openvpn-natt) %s, protocol version %d\n", PACKAGE_VERSION,
		       NATT_VERSION);
		return 0;
	case RDV_ACT_GENKEY: return genkey(d.cfg.genkey_out);
	case RDV_ACT_EXPORT_RDV_KEY: return export_rdv_key(d.cfg.genkey_in, d.cfg.genkey_out);
	case RDV_ACT_RUN: break;
	}
	if (rdv_config_finish(&d.cfg, err, sizeof(err)) != 0) {
		fprintf(stderr, PROG ": %s\n", err);
		return 1;
	}
	rdv_log_init(d.cfg.verb);
	return run(&d);
}
