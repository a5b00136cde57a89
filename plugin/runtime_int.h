/*
 * runtime_int.h: the helper's state, shared by runtime.c (setup, control,
 * signals) and runtime_peers.c (node callbacks, bridge, status file).
 */
#ifndef NATT_PLUGIN_RUNTIME_INT_H
#define NATT_PLUGIN_RUNTIME_INT_H

#include <stdbool.h>
#include <time.h>

#include "bridge.h"
#include "pconf.h"
#include "node.h"
#include "runtime.h"

struct event;

/* One peer the application knows (server: came up; client: the server). */
struct rt_peer {
	struct natt_node_peer *p;
	time_t up_since; /* 0 while down */
	bool up;
	struct rt_peer *next;
};

struct natt_runtime {
	const struct natt_pconf *conf;
	struct natt_loop *loop;
	struct natt_seal *seal;
	struct natt_tls_ctx *tls;
	struct natt_node *node;
	struct natt_bridge *bridge;
	struct rt_peer *peers;
	struct event *ctl_ev;
	struct event *sig_ev[2];
	struct natt_timer *grace_timer; /* detached: exit unless re-attached */
	struct natt_timer *close_timer; /* closing: wait for the node to go idle */
	struct natt_timer *status_timer;
	natt_time_t close_deadline;
	bool closing;
};

/* Node callbacks for rt (runtime_peers.c). */
void natt_runtime_callbacks(struct natt_runtime *rt, struct natt_node_callbacks *cb);

/* natt_bridge_out_fn: a datagram from OpenVPN for a peer. */
void natt_runtime_from_openvpn(void *arg, uint64_t peer, const uint8_t *data, size_t len);

/* Client role: starts reaching server-name.  NATT_OK or the node's error. */
int natt_runtime_connect(struct natt_runtime *rt, char *err, size_t errlen);

/* Frees the peer records (after natt_node_free). */
void natt_runtime_forget_peers(struct natt_runtime *rt);

/* Starts the status timer (when a status file is configured): NATT_OK or
 * NATT_ERR_NOMEM. */
int natt_runtime_status_start(struct natt_runtime *rt);
void natt_runtime_status_stop(struct natt_runtime *rt);

/* Rewrites the status file now (no-op without one). */
void natt_runtime_status_write(struct natt_runtime *rt);

/* Starts the orderly end (idempotent). */
void natt_runtime_close(struct natt_runtime *rt, const char *why);

#endif
