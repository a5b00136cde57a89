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

/*
 * legacy-passthrough (server): raw OpenVPN clients that reach the public
 * socket directly.  Each source address gets its own loopback bridge socket
 * (bridge id NATT_RT_LEGACY_BIT | ipv4 << 16 | port: pointers, the ids of
 * transport peers, never have bit 63 set in user space), dropped after
 * NATT_RT_LEGACY_IDLE without a datagram either way (NATT_RT_LEGACY_IDLE_NEW
 * while OpenVPN has not answered it yet).  At most NATT_RT_LEGACY_MAX sources
 * at once: when full, a new source takes the slot of the source OpenVPN has
 * not answered that was quiet longest, or is dropped when every source has
 * an answer (so spoofed sources cannot keep real ones out for long).
 */
#define NATT_RT_LEGACY_BIT	(UINT64_C(1) << 63)
#define NATT_RT_LEGACY_MAX	256
#define NATT_RT_LEGACY_IDLE	(300 * NATT_SEC)
#define NATT_RT_LEGACY_IDLE_NEW (30 * NATT_SEC)
#define NATT_RT_LEGACY_SWEEP	(10 * NATT_SEC)

struct rt_legacy {
	uint64_t id;	       /* bridge peer id; 0: slot free */
	struct natt_cand from; /* the client's public address */
	natt_time_t last;      /* last datagram either way */
	bool answered;	       /* OpenVPN sent it something */
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
	int keylog_fd;			 /* the key log (PROTOCOL.md 12), -1: none */
	struct rt_legacy *legacy;	 /* NATT_RT_LEGACY_MAX slots; NULL: pass-through off */
	struct natt_timer *legacy_timer; /* idle expiry sweep */
	uint64_t legacy_refused;	 /* datagrams of new sources beyond the limit */
};

/* legacy-passthrough (runtime_peers.c): allocates the table and starts the
 * sweep when the setting is on.  NATT_OK or NATT_ERR_NOMEM. */
int natt_runtime_legacy_start(struct natt_runtime *rt);
void natt_runtime_legacy_stop(struct natt_runtime *rt);

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
