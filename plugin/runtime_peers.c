/*
 * runtime_peers.c: the helper's peers: node events to the bridge and the
 * log, OpenVPN's datagrams to the node, and the status file.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "runtime_int.h"
#include "status.h"

#define STATUS_MAX (256 * 1024) /* bytes of one status file */

static uint64_t peer_id(const struct natt_node_peer *p)
{
	return (uint64_t)(uintptr_t)p;
}

static struct rt_peer *record(struct natt_runtime *rt, struct natt_node_peer *p)
{
	struct rt_peer *r = natt_node_peer_user(p);

	if (r != NULL)
		return r;
	r = calloc(1, sizeof(*r));
	if (r == NULL)
		return NULL;
	r->p = p;
	r->next = rt->peers;
	rt->peers = r;
	natt_node_peer_set_user(p, r);
	return r;
}

static void forget(struct natt_runtime *rt, struct rt_peer *r)
{
	struct rt_peer **pp = &rt->peers;

	while (*pp != NULL && *pp != r)
		pp = &(*pp)->next;
	if (*pp == r)
		*pp = r->next;
	free(r);
}

static void on_peer_up(void *ctx, struct natt_node_peer *p, const struct natt_node_peer_info *in)
{
	struct natt_runtime *rt = ctx;
	struct rt_peer *r = record(rt, p);
	char real[64];
	uint16_t port = 0;
	int rc = natt_bridge_peer_up(rt->bridge, peer_id(p), &port);

	natt_status_cand(&in->remote, real, sizeof(real));
	if (r == NULL || rc != NATT_OK) {
		natt_plog(NATT_PLOG_ERR, "peer %s at %s: no loopback socket (%s): closing it",
			  in->name, real, natt_strerror(rc));
		natt_node_close_peer(rt->node, p, "no loopback socket");
		return;
	}
	r->up = true;
	r->up_since = time(NULL);
	natt_plog(NATT_PLOG_NOTE,
		  "peer %s up: OpenVPN sees it as %s:%u, real address %s, path %s, rtt %.1f ms",
		  in->name[0] ? in->name : "-", rt->conf->openvpn_host, port, real,
		  natt_node_path_name(in->path), (double)in->rtt / 1000.0);
	natt_runtime_status_write(rt);
}

static void on_peer_down(void *ctx, struct natt_node_peer *p, const struct natt_node_down *d)
{
	struct natt_runtime *rt = ctx;
	struct rt_peer *r = natt_node_peer_user(p);
	uint16_t port = natt_bridge_port(rt->bridge, peer_id(p));

	natt_bridge_peer_down(rt->bridge, peer_id(p));
	natt_plog(d->was_up ? NATT_PLOG_NOTE : NATT_PLOG_INFO,
		  "peer down (loopback port %u): %s: %s%s", port, natt_node_down_name(d->reason),
		  d->text ? d->text : "", d->final ? "" : "; trying again");
	if (r != NULL) {
		r->up = false;
		r->up_since = 0;
		if (d->final) {
			natt_node_peer_set_user(p, NULL);
			forget(rt, r);
		}
	}
	natt_runtime_status_write(rt);
}

static void on_datagram(void *ctx, struct natt_node_peer *p, const uint8_t *data, size_t len)
{
	struct natt_runtime *rt = ctx;
	uint16_t was = natt_bridge_port(rt->bridge, peer_id(p));

	if (natt_bridge_to_openvpn(rt->bridge, peer_id(p), data, len) == 1) {
		struct natt_node_peer_info in;

		natt_node_peer_info(p, &in);
		natt_plog(NATT_PLOG_NOTE,
			  "peer %s: its OpenVPN started a new session: OpenVPN now sees it as %s:%u"
			  " (was port %u)",
			  in.name[0] ? in.name : "-", rt->conf->openvpn_host,
			  natt_bridge_port(rt->bridge, peer_id(p)), was);
	}
}

static void on_rendezvous(void *ctx, const struct natt_node_rdv_info *info)
{
	char where[64], seen[64];

	(void)ctx;
	natt_status_cand(&info->server, where, sizeof(where));
	natt_status_cand(&info->observed, seen, sizeof(seen));
	if (info->state == NATT_RDV_REG_OK)
		natt_plog(NATT_PLOG_NOTE, "registered with rendezvous %s, which sees us as %s",
			  where, info->have_observed ? seen : "-");
	else if (info->state == NATT_RDV_REG_FAILING)
		natt_plog(NATT_PLOG_WARN, "rendezvous %s: %s; retrying", where,
			  info->reason ? info->reason : "no answer");
}

static void on_log(void *ctx, int verb, const char *line)
{
	(void)ctx;
	natt_plog(verb, "%s", line);
}

/* ---- legacy-passthrough ---- */

static uint64_t legacy_id(const struct natt_cand *c)
{
	return NATT_RT_LEGACY_BIT | (uint64_t)c->addr[0] << 40 | (uint64_t)c->addr[1] << 32 |
	       (uint64_t)c->addr[2] << 24 | (uint64_t)c->addr[3] << 16 | c->port;
}

static struct rt_legacy *legacy_find(struct natt_runtime *rt, uint64_t id)
{
	for (unsigned int i = 0; i < NATT_RT_LEGACY_MAX; i++)
		if (rt->legacy[i].id == id)
			return &rt->legacy[i];
	return NULL;
}

static void legacy_close(struct natt_runtime *rt, struct rt_legacy *l, const char *why)
{
	char real[64];

	natt_status_cand(&l->from, real, sizeof(real));
	natt_plog(NATT_PLOG_INFO, "legacy client %s (loopback port %u): %s", real,
		  natt_bridge_port(rt->bridge, l->id), why);
	natt_bridge_peer_down(rt->bridge, l->id);
	memset(l, 0, sizeof(*l));
}

/* A free slot or, when full, the unanswered source quiet longest (closed). */
static struct rt_legacy *legacy_slot(struct natt_runtime *rt)
{
	struct rt_legacy *l = legacy_find(rt, 0), *old = NULL;

	if (l != NULL)
		return l;
	for (unsigned int i = 0; i < NATT_RT_LEGACY_MAX; i++)
		if (!rt->legacy[i].answered && (old == NULL || rt->legacy[i].last < old->last))
			old = &rt->legacy[i];
	if (old != NULL)
		legacy_close(rt, old, "never answered: its slot goes to a new source");
	return old;
}

/* A new source: a slot and a loopback socket, or NULL (dropped). */
static struct rt_legacy *legacy_open(struct natt_runtime *rt, const struct natt_cand *from,
				     uint64_t id)
{
	struct rt_legacy *l = legacy_slot(rt);
	char real[64];
	uint16_t port = 0;
	int rc = l == NULL ? NATT_ERR_FULL : natt_bridge_peer_up(rt->bridge, id, &port);

	natt_status_cand(from, real, sizeof(real));
	if (rc != NATT_OK) {
		if (rt->legacy_refused++ % 1000 == 0)
			natt_plog(NATT_PLOG_WARN,
				  "legacy client %s: raw OpenVPN dropped: %s (%u sources at most;"
				  " %llu datagrams dropped so far)",
				  real, natt_strerror(rc), NATT_RT_LEGACY_MAX,
				  (unsigned long long)rt->legacy_refused);
		return NULL;
	}
	l->id = id;
	l->from = *from;
	natt_plog(NATT_PLOG_NOTE,
		  "legacy client %s: raw OpenVPN passed through: OpenVPN sees it as %s:%u", real,
		  rt->conf->openvpn_host, port);
	return l;
}

/* natt_node_callbacks.legacy: raw OpenVPN on the public socket. */
static void on_legacy(void *ctx, const struct natt_cand *from, const uint8_t *data, size_t len)
{
	struct natt_runtime *rt = ctx;
	uint64_t id = legacy_id(from);
	struct rt_legacy *l;

	if (from->family != 4)
		return;
	l = legacy_find(rt, id);
	if (l == NULL && (l = legacy_open(rt, from, id)) == NULL)
		return;
	l->last = natt_loop_now();
	natt_bridge_to_openvpn(rt->bridge, id, data, len);
}

static void on_legacy_sweep(void *arg, natt_time_t now)
{
	struct natt_runtime *rt = arg;

	for (unsigned int i = 0; i < NATT_RT_LEGACY_MAX; i++) {
		struct rt_legacy *l = &rt->legacy[i];
		natt_time_t idle = l->answered ? NATT_RT_LEGACY_IDLE : NATT_RT_LEGACY_IDLE_NEW;

		if (l->id != 0 && now - l->last >= idle)
			legacy_close(rt, l, "idle: loopback socket closed");
	}
	natt_timer_set(rt->legacy_timer, now + NATT_RT_LEGACY_SWEEP);
}

int natt_runtime_legacy_start(struct natt_runtime *rt)
{
	if (!rt->conf->legacy_passthrough || rt->conf->role != NATT_PROLE_SERVER)
		return NATT_OK;
	rt->legacy = calloc(NATT_RT_LEGACY_MAX, sizeof(*rt->legacy));
	if (rt->legacy == NULL ||
	    natt_timer_new(&rt->legacy_timer, rt->loop, on_legacy_sweep, rt) != NATT_OK)
		return NATT_ERR_NOMEM;
	natt_timer_set(rt->legacy_timer, natt_loop_now() + NATT_RT_LEGACY_SWEEP);
	natt_plog(NATT_PLOG_NOTE,
		  "legacy-passthrough: raw OpenVPN on the public port goes to OpenVPN at %s:%u",
		  rt->conf->openvpn_host, rt->conf->openvpn_port);
	return NATT_OK;
}

void natt_runtime_legacy_stop(struct natt_runtime *rt)
{
	natt_timer_free(rt->legacy_timer);
	rt->legacy_timer = NULL;
	free(rt->legacy);
	rt->legacy = NULL;
}

void natt_runtime_callbacks(struct natt_runtime *rt, struct natt_node_callbacks *cb)
{
	cb->peer_up = on_peer_up;
	cb->peer_down = on_peer_down;
	cb->datagram = on_datagram;
	cb->rendezvous = on_rendezvous;
	cb->log = on_log;
	if (rt->legacy != NULL)
		cb->legacy = on_legacy;
	cb->ctx = rt;
}

void natt_runtime_from_openvpn(void *arg, uint64_t peer, const uint8_t *data, size_t len)
{
	struct natt_runtime *rt = arg;
	struct rt_legacy *l;

	if (!(peer & NATT_RT_LEGACY_BIT)) {
		natt_node_send(rt->node, (struct natt_node_peer *)(uintptr_t)peer, data, len);
		return;
	}
	l = rt->legacy != NULL ? legacy_find(rt, peer) : NULL;
	if (l == NULL)
		return;
	l->last = natt_loop_now();
	l->answered = true;
	natt_node_send_legacy(rt->node, &l->from, data, len);
}

int natt_runtime_connect(struct natt_runtime *rt, char *err, size_t errlen)
{
	struct natt_node_peer *p;
	int rc = natt_node_connect(rt->node, rt->conf->server_name, &p);

	if (rc != NATT_OK) {
		snprintf(err, errlen, "server-name %s: %s", rt->conf->server_name,
			 natt_strerror(rc));
		return rc;
	}
	return record(rt, p) != NULL ? NATT_OK : NATT_ERR_NOMEM;
}

void natt_runtime_forget_peers(struct natt_runtime *rt)
{
	while (rt->peers != NULL)
		forget(rt, rt->peers);
}

/* ---- status file ---- */

static void peer_line(struct natt_runtime *rt, struct rt_peer *r, char *buf, size_t *len)
{
	struct natt_node_peer_info in;
	struct natt_status_peer sp;

	natt_node_peer_info(r->p, &in);
	memset(&sp, 0, sizeof(sp));
	sp.name = in.name ? in.name : "";
	sp.loopback = natt_bridge_port(rt->bridge, peer_id(r->p));
	sp.loop_ip = rt->conf->openvpn_host;
	sp.real = in.remote;
	sp.path = natt_node_path_name(in.path);
	sp.state = natt_node_state_name(in.state);
	sp.rtt_ms = (double)in.rtt / 1000.0;
	sp.loss = in.loss;
	sp.bytes_in = in.bytes_in;
	sp.bytes_out = in.bytes_out;
	sp.packets_in = in.packets_in;
	sp.packets_out = in.packets_out;
	sp.up_since = r->up_since;
	natt_status_peer_line(buf, STATUS_MAX, len, &sp);
}

struct node_lines {
	char *buf;
	size_t *len;
};

static void node_line(void *ctx, const char *line)
{
	struct node_lines *nl = ctx;

	natt_status_append(nl->buf, STATUS_MAX, nl->len, "NODE,%s\n", line);
}

void natt_runtime_status_write(struct natt_runtime *rt)
{
	const struct natt_pconf *c = rt->conf;
	struct node_lines nl;
	char *buf, err[512];
	size_t len = 0;

	if (c->status.path[0] == '\0' || rt->node == NULL)
		return;
	buf = malloc(STATUS_MAX);
	if (buf == NULL)
		return;
	natt_status_head(buf, STATUS_MAX, &len, natt_prole_name(c->role), c->name, time(NULL));
	for (struct rt_peer *r = rt->peers; r != NULL; r = r->next)
		peer_line(rt, r, buf, &len);
	nl.buf = buf;
	nl.len = &len;
	natt_node_status(rt->node, node_line, &nl);
	natt_status_append(buf, STATUS_MAX, &len, "END\n");
	if (natt_status_write(c->status.path, buf, len, err, sizeof(err)) != NATT_OK)
		natt_plog(NATT_PLOG_WARN, "%s", err);
	free(buf);
}

static void on_status(void *arg, natt_time_t now)
{
	struct natt_runtime *rt = arg;

	natt_runtime_status_write(rt);
	natt_timer_set(rt->status_timer, now + rt->conf->status_every * NATT_SEC);
}

int natt_runtime_status_start(struct natt_runtime *rt)
{
	if (rt->conf->status.path[0] == '\0')
		return NATT_OK;
	if (natt_timer_new(&rt->status_timer, rt->loop, on_status, rt) != NATT_OK)
		return NATT_ERR_NOMEM;
	natt_timer_set(rt->status_timer, natt_loop_now());
	return NATT_OK;
}

void natt_runtime_status_stop(struct natt_runtime *rt)
{
	natt_timer_free(rt->status_timer);
	rt->status_timer = NULL;
}
