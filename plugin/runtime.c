/*
 * runtime.c: the transport worker (runtime.h), forked by the supervisor
 * (supervisor.h): setup, dropping root, control channel, signals, orderly
 * end.  Peers and the status file's content are in runtime_peers.c.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <event2/event.h>
#include <fcntl.h>
#include <netdb.h>
#include <openssl/crypto.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "addr.h"
#include "loop.h"
#include "helper.h"
#include "log.h"
#include "privdrop.h"
#include "runtime_int.h"
#include "status.h"

/* IPv4 or IPv6; natt_addr_resolve() picks among a name's addresses. */
static int resolve(const struct natt_pconf_addr *a, const char *setting, struct natt_cand *c,
		   char *err, size_t errlen)
{
	char why[128];

	if (natt_addr_resolve(a->host, a->port, NATT_CAND_HOST, c, why, sizeof(why)) == NATT_OK)
		return NATT_OK;
	snprintf(err, errlen, strchr(a->host, ':') ? "%s [%s]:%u: %s" : "%s %s:%u: %s", setting,
		 a->host, a->port, why);
	return NATT_ERR_INVALID;
}

static int load_tls(struct natt_runtime *rt, char *err, size_t errlen)
{
	const struct natt_pconf *c = rt->conf;
	struct natt_tls_config tc = {
		.ca_file = c->ca.path,
		.cert_file = c->cert.path,
		.key_file = c->key.path,
	};

	return natt_tls_ctx_new(&rt->tls,
				c->role == NATT_PROLE_SERVER ? NATT_TLS_SERVER : NATT_TLS_CLIENT,
				&tc, err, errlen);
}

static void session_config(const struct natt_pconf *c, struct natt_session_config *s)
{
	uint8_t other = c->cipher == NATT_CIPHER_AES_256_GCM ? NATT_CIPHER_CHACHA20_POLY1305
							     : NATT_CIPHER_AES_256_GCM;

	s->ncipher = 2;
	s->cipher[0] = c->cipher;
	s->cipher[1] = other;
	s->keepalive_s = (uint16_t)c->keepalive;
	s->idle_timeout_s = (uint16_t)c->keepalive_timeout;
}

/*
 * The key log (doc/PROTOCOL.md 12): opened once at start, before the worker
 * drops root (it is never chrooted), created 0600, append only; a file that
 * anyone but its owner may read is refused.
 */
static int keylog_open(struct natt_runtime *rt, char *err, size_t errlen)
{
	const struct natt_pconf_path *k = &rt->conf->keylog;
	struct stat st;
	int fd;

	fd = open(k->path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0) {
		snprintf(err, errlen, "%.300s: keylog: %.300s: %s", k->where, k->path,
			 strerror(errno));
		return NATT_ERR_IO;
	}
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || (st.st_mode & (S_IRWXG | S_IRWXO))) {
		snprintf(err, errlen,
			 "%.300s: keylog: %.300s: not a regular file of mode 0600 or narrower"
			 " (a key log is a secret)",
			 k->where, k->path);
		close(fd);
		return NATT_ERR_IO;
	}
	rt->keylog_fd = fd;
	natt_plog(NATT_PLOG_WARN,
		  "keylog %s enabled: this file lets anyone decrypt the transport's data packets",
		  k->path);
	return NATT_OK;
}

static const char *keylog_cipher(uint8_t c)
{
	return c == NATT_CIPHER_CHACHA20_POLY1305 ? "chacha20-poly1305" : "aes-256-gcm";
}

/* natt_session_keylog_fn: one line, one write(2). */
static void keylog_write(void *ctx, const struct natt_session_keylog *k)
{
	struct natt_runtime *rt = ctx;
	char line[160];
	int n;

	n = snprintf(line, sizeof(line), "NATT_DATA_SECRET %016llx %s ", (unsigned long long)k->cid,
		     keylog_cipher(k->cipher));
	for (size_t i = 0; i < sizeof(k->secret); i++)
		n += snprintf(line + n, sizeof(line) - (size_t)n, "%02x", k->secret[i]);
	line[n++] = '\n';
	if (write(rt->keylog_fd, line, (size_t)n) != n)
		natt_plog(NATT_PLOG_ERR, "keylog %s: write failed: %s", rt->conf->keylog.path,
			  strerror(errno));
	OPENSSL_cleanse(line, sizeof(line));
}

/*
 * IPv6 paths only when OpenVPN's packets fit them whole: an IPv6 header is
 * NATT_MTU_IPV6_EXTRA bytes longer than the IPv4 one the budget counts
 * (doc/ARCHITECTURE.md 5.11).  Says so once when they do not.
 */
static bool ipv6_fits(const struct natt_pconf *c)
{
	struct natt_mtu_limits lim;
	unsigned tun = c->ov_mtu.tun_mtu ? c->ov_mtu.tun_mtu : NATT_MTU_OPENVPN_TUN_DEF;

	if (!c->ov_known || c->path_mtu < NATT_MTU_MIN_PATH + NATT_MTU_IPV6_EXTRA)
		return !c->ov_known;
	natt_mtu_limits(c->path_mtu - NATT_MTU_IPV6_EXTRA, c->ov_mtu.compress, &lim);
	if (tun <= lim.tun_mtu_max && c->ov_mtu.mssfix <= lim.mssfix_max)
		return true;
	natt_plog(NATT_PLOG_NOTE,
		  "IPv6 paths off: tun-mtu %u does not fit an IPv6 path of path-mtu %u"
		  " (nothing is fragmented); 'tun-mtu %u' and 'mssfix %u' would allow them",
		  tun, c->path_mtu, lim.tun_mtu_max, lim.mssfix_max);
	return false;
}

static void bind_ipv4_only(struct natt_node_config *nc)
{
	struct sockaddr_in *sin = (struct sockaddr_in *)&nc->bind;

	memset(&nc->bind, 0, sizeof(nc->bind));
	sin->sin_family = AF_INET;
	sin->sin_addr.s_addr = htonl(INADDR_ANY);
	sin->sin_port = htons(nc->port);
	nc->bind_len = sizeof(*sin);
}

static int node_config(struct natt_runtime *rt, struct natt_node_config *nc, char *err,
		       size_t errlen)
{
	const struct natt_pconf *c = rt->conf;
	int rc = NATT_OK;

	natt_node_config_default(nc);
	nc->role = c->role == NATT_PROLE_SERVER ? NATT_NODE_SERVER : NATT_NODE_CLIENT;
	nc->name = c->name;
	nc->port = c->public_port == NATT_PCONF_PUBLIC_RANDOM ? 0 : (uint16_t)c->public_port;
	if (!ipv6_fits(c))
		bind_ipv4_only(nc);
	nc->nrdv = (unsigned)c->n_rdv;
	for (int i = 0; rc == NATT_OK && i < c->n_rdv; i++)
		rc = resolve(&c->rdv[i], "rendezvous", &nc->rdv[i], err, errlen);
	nc->nstun = (unsigned)c->n_stun;
	for (int i = 0; rc == NATT_OK && i < c->n_stun; i++)
		rc = resolve(&c->stun[i], "stun", &nc->stun[i], err, errlen);
	nc->seal = rt->seal;
	nc->tls = rt->tls;
	session_config(c, &nc->session);
	if (rt->keylog_fd >= 0) {
		nc->session.keylog = keylog_write;
		nc->session.keylog_ctx = rt;
	}
	nc->reconnect = true;
	nc->verb = c->verb;
	natt_runtime_callbacks(rt, &nc->cb);
	return rc;
}

static int start_bridge(struct natt_runtime *rt, char *err, size_t errlen)
{
	const struct natt_pconf *c = rt->conf;
	struct sockaddr_in ov = {.sin_family = AF_INET, .sin_port = htons(c->openvpn_port)};

	inet_pton(AF_INET, c->openvpn_host, &ov.sin_addr);
	return natt_bridge_new(&rt->bridge, natt_loop_base(rt->loop), c->role == NATT_PROLE_SERVER,
			       &ov, natt_runtime_from_openvpn, rt, err, errlen);
}

/* Puts "<file>: <setting>: " in front of err, for an operator to find. */
static void name_setting(const struct natt_pconf *c, const char *setting, char *err, size_t errlen)
{
	char reason[NATT_HELPER_MSG_MAX];

	snprintf(reason, sizeof(reason), "%s", err);
	snprintf(err, errlen, "%.300s: %s: %.600s", c->file, setting, reason);
}

/*
 * The status file is opened here, as root, and rewritten in place through
 * the descriptor (status.h): after the drop the worker may not create files
 * in its directory.
 */
static int status_open(const struct natt_pconf *c, char *err, size_t errlen)
{
	char reason[NATT_HELPER_MSG_MAX];
	int rc = natt_status_open(c->status.path, reason, sizeof(reason));

	if (rc != NATT_OK)
		snprintf(err, errlen, "%.300s: %.600s", c->status.where, reason);
	return rc;
}

/*
 * Opens the node; a fixed public port still held by the instance that is
 * closing (a restart: its helper tells its peers goodbye for up to ~3 s
 * after OpenVPN exited, while systemd already starts the next one) is
 * retried for NATT_RT_BIND_WAIT instead of failing the start.
 */
#define NATT_RT_BIND_WAIT_MS 5000
#define NATT_RT_BIND_STEP_MS 100

static int node_new_retry(struct natt_runtime *rt, const struct natt_node_config *nc, char *err,
			  size_t errlen)
{
	const struct timespec step = {0, NATT_RT_BIND_STEP_MS * 1000000L};
	int rc;

	for (int waited = 0;; waited += NATT_RT_BIND_STEP_MS) {
		rc = natt_node_new(&rt->node, rt->loop, nc, err, errlen);
		if (rc != NATT_ERR_IO || rt->conf->public_port <= 0 ||
		    strstr(err, strerror(EADDRINUSE)) == NULL || waited >= NATT_RT_BIND_WAIT_MS)
			return rc;
		if (waited == 0)
			natt_plog(NATT_PLOG_NOTE,
				  "public port %u in use: waiting up to %d s for it (%s)",
				  rt->conf->public_port, NATT_RT_BIND_WAIT_MS / 1000,
				  "the previous instance closing?");
		nanosleep(&step, NULL);
	}
}

static int start(struct natt_runtime *rt, struct natt_runtime_args *a, char *err, size_t errlen)
{
	struct natt_node_config nc;
	int rc;

	rc = natt_loop_new(&rt->loop, false);
	if (rc == NATT_OK)
		rc = natt_seal_new(&rt->seal, a->network_key);
	OPENSSL_cleanse(a->network_key, sizeof(a->network_key));
	if (rc != NATT_OK) {
		snprintf(err, errlen, "starting the transport: %s", natt_strerror(rc));
		return rc;
	}
	if (rt->conf->keylog.path[0] != '\0' && (rc = keylog_open(rt, err, errlen)) != NATT_OK)
		return rc;
	rc = load_tls(rt, err, errlen);
	if (rc == NATT_OK && (rc = start_bridge(rt, err, errlen)) == NATT_ERR_IO)
		name_setting(rt->conf, "openvpn-address", err, errlen);
	if (rc == NATT_OK)
		rc = natt_runtime_legacy_start(rt);
	if (rc == NATT_OK)
		rc = node_config(rt, &nc, err, errlen);
	if (rc == NATT_OK && (rc = node_new_retry(rt, &nc, err, errlen)) == NATT_ERR_IO)
		name_setting(rt->conf, "public-port", err, errlen);
	if (rc == NATT_OK && rt->conf->role == NATT_PROLE_CLIENT)
		rc = natt_runtime_connect(rt, err, errlen);
	if (rc == NATT_OK && rt->conf->status.path[0] != '\0')
		rc = status_open(rt->conf, err, errlen);
	return rc;
}

/* Last step of the start: everything that needs root is done. */
static int drop_root(const struct natt_pconf *c, char *err, size_t errlen)
{
	const struct natt_runas *r = &c->runas;
	int rc = natt_privdrop(r, err, errlen);

	if (rc == NATT_OK && r->drop)
		natt_plog(NATT_PLOG_NOTE, "transport worker runs as %s (uid %u, gid %u)%s",
			  r->label, (unsigned)getuid(), (unsigned)getgid(),
			  r->uid == 0 ? ": only the group changed, the uid stays root" : "");
	return rc;
}

static void stop_now(void *arg, natt_time_t now)
{
	struct natt_runtime *rt = arg;

	if (natt_node_idle(rt->node) || now >= rt->close_deadline) {
		natt_loop_stop(rt->loop);
		return;
	}
	natt_timer_set(rt->close_timer, now + 50 * NATT_MSEC);
}

void natt_runtime_close(struct natt_runtime *rt, const char *why)
{
	natt_time_t now = natt_loop_now();

	if (rt->closing)
		return;
	rt->closing = true;
	natt_plog(NATT_PLOG_NOTE, "closing every session: %s", why);
	natt_node_shutdown(rt->node, why);
	rt->close_deadline = now + NATT_RUNTIME_CLOSE_WAIT;
	natt_timer_set(rt->close_timer, now);
}

static void on_grace(void *arg, natt_time_t now)
{
	(void)now;
	natt_runtime_close(arg, "OpenVPN closed the plugin and did not re-open it");
}

static void on_control(evutil_socket_t fd, short what, void *arg)
{
	struct natt_runtime *rt = arg;
	char buf[NATT_HELPER_MSG_MAX];
	int n = natt_helper_recv(fd, buf, sizeof(buf), 0);

	(void)what;
	if (n == NATT_ERR_CLOSED) {
		event_del(rt->ctl_ev);
		natt_runtime_close(rt, "the helper's supervisor is gone");
	} else if (n >= 0 && strcmp(buf, "DETACH") == 0) {
		natt_plog(NATT_PLOG_INFO, "OpenVPN closed the plugin: waiting %u s for a re-open",
			  (unsigned)(NATT_HELPER_GRACE / NATT_SEC));
		natt_timer_set(rt->grace_timer, natt_loop_now() + NATT_HELPER_GRACE);
	} else if (n >= 0 && strcmp(buf, "ATTACH") == 0) {
		natt_timer_set(rt->grace_timer, NATT_TIME_NEVER);
		natt_helper_send(fd, "ATTACHED");
		natt_plog(NATT_PLOG_NOTE, "OpenVPN re-opened the plugin: %zu session(s) kept",
			  natt_bridge_count(rt->bridge));
	}
}

static void on_signal(evutil_socket_t sig, short what, void *arg)
{
	(void)what;
	natt_runtime_close(arg, sig == SIGTERM ? "SIGTERM" : "SIGINT");
}

static int add_events(struct natt_runtime *rt, int ctl_fd)
{
	struct event_base *base = natt_loop_base(rt->loop);

	rt->ctl_ev = event_new(base, ctl_fd, EV_READ | EV_PERSIST, on_control, rt);
	rt->sig_ev[0] = evsignal_new(base, SIGTERM, on_signal, rt);
	rt->sig_ev[1] = evsignal_new(base, SIGINT, on_signal, rt);
	if (rt->ctl_ev == NULL || rt->sig_ev[0] == NULL || rt->sig_ev[1] == NULL ||
	    event_add(rt->ctl_ev, NULL) < 0 || event_add(rt->sig_ev[0], NULL) < 0 ||
	    event_add(rt->sig_ev[1], NULL) < 0)
		return NATT_ERR_NOMEM;
	if (natt_timer_new(&rt->grace_timer, rt->loop, on_grace, rt) != NATT_OK ||
	    natt_timer_new(&rt->close_timer, rt->loop, stop_now, rt) != NATT_OK)
		return NATT_ERR_NOMEM;
	return natt_runtime_status_start(rt);
}

static void teardown(struct natt_runtime *rt)
{
	for (int i = 0; i < 2; i++)
		if (rt->sig_ev[i] != NULL)
			event_free(rt->sig_ev[i]);
	if (rt->ctl_ev != NULL)
		event_free(rt->ctl_ev);
	natt_timer_free(rt->grace_timer);
	natt_timer_free(rt->close_timer);
	natt_runtime_status_stop(rt);
	natt_status_close();
	natt_node_free(rt->node);
	natt_runtime_legacy_stop(rt);
	natt_runtime_forget_peers(rt);
	natt_bridge_free(rt->bridge);
	natt_tls_ctx_free(rt->tls);
	natt_seal_free(rt->seal);
	if (rt->keylog_fd >= 0)
		close(rt->keylog_fd);
	if (rt->loop != NULL)
		natt_loop_free(rt->loop);
}

int natt_runtime_main(void *arg, int ctl_fd)
{
	struct natt_runtime_args *a = arg;
	struct natt_runtime rt = {.conf = a->conf, .keylog_fd = -1};
	char err[NATT_HELPER_MSG_MAX - 8], msg[NATT_HELPER_MSG_MAX];
	struct natt_cand local;
	int rc;

	prctl(PR_SET_NAME, "natt-worker");
	signal(SIGHUP, SIG_IGN);
	signal(SIGUSR1, SIG_IGN);
	signal(SIGUSR2, SIG_IGN);
	natt_plog_to_stderr(a->conf->verb, a->use_syslog);
	err[0] = '\0';
	rc = start(&rt, a, err, sizeof(err));
	if (rc == NATT_OK)
		rc = add_events(&rt, ctl_fd);
	if (rc == NATT_OK)
		rc = drop_root(a->conf, err, sizeof(err));
	if (rc != NATT_OK) {
		snprintf(msg, sizeof(msg), "ERROR %s", err[0] ? err : natt_strerror(rc));
		natt_helper_send(ctl_fd, msg);
		teardown(&rt);
		return 1;
	}
	natt_node_local(rt.node, &local);
	snprintf(msg, sizeof(msg), "READY public port %u", local.port);
	natt_helper_send(ctl_fd, msg);
	natt_loop_run(rt.loop, NATT_TIME_NEVER);
	natt_runtime_status_write(&rt);
	teardown(&rt);
	natt_plog(NATT_PLOG_NOTE, "transport worker exiting");
	return 0;
}
