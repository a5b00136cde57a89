/*
 * bridge.h: the loopback side of the plugin: the UDP sockets OpenVPN talks
 * to, and which remote peer each one stands for.
 *
 * OpenVPN keeps "proto udp" and talks to loopback; the helper carries each
 * of its datagrams to the peer over the transport and back.
 *   server: OpenVPN listens on openvpn-address (its "local 127.0.0.1" and
 *           "lport").  Each remote peer gets its own socket, bound to an
 *           ephemeral port of the same loopback address and connected to
 *           OpenVPN, kept for the session's life: OpenVPN's UDP server tells
 *           clients apart by source address and port, so the port is the
 *           peer's identity for OpenVPN (its logs and status show it).
 *   client: the bridge listens on openvpn-address, which OpenVPN's
 *           "remote 127.0.0.1 PORT" points at; there is one peer, the server,
 *           and replies go to wherever OpenVPN last sent from.  What OpenVPN
 *           sends while the server is not up is dropped, except its last
 *           few small datagrams of the last 5 s, which go out when the
 *           server comes up (saving OpenVPN's 2 s retransmission timeout).
 * Server: when OpenVPN's client behind a peer starts a new session (a client
 * hard reset with a new session ID, ovpn_pkt.h), the peer gets a fresh
 * loopback port, as a restarted client's new socket would over plain UDP.
 * The sockets are non-blocking and driven by the caller's libevent base.
 * Datagrams are batched within one loop iteration (bridge.c), never queued
 * beyond it: a full socket buffer drops (and counts) the datagram, as a
 * network would; OpenVPN's own reliability layer recovers.
 */
#ifndef NATT_PLUGIN_BRIDGE_H
#define NATT_PLUGIN_BRIDGE_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stdint.h>

#include "natt.h"

struct event_base;
struct natt_bridge;

#define NATT_BRIDGE_MAX_PEERS 4096 /* loopback sockets one server bridge holds */

/* A datagram from OpenVPN for peer (data valid during the call only). */
typedef void (*natt_bridge_out_fn)(void *arg, uint64_t peer, const uint8_t *data, size_t len);

/* Per-peer counters, from the bridge's point of view. */
struct natt_bridge_stats {
	uint64_t to_openvpn_packets; /* datagrams handed to OpenVPN */
	uint64_t to_openvpn_bytes;
	uint64_t from_openvpn_packets; /* datagrams OpenVPN sent towards the peer */
	uint64_t from_openvpn_bytes;
	uint64_t dropped;   /* datagrams OpenVPN's side could not take (or not yet known) */
	uint64_t new_ports; /* server: fresh loopback ports for new OpenVPN sessions */
};

/*
 * Creates a bridge.  server: per-peer sockets; otherwise one listening
 * socket is bound to openvpn now.  openvpn must be an IPv4 loopback address
 * with a port.  out is called for each datagram OpenVPN sends.  Returns
 * NATT_OK, NATT_ERR_NOMEM, NATT_ERR_INVALID (not loopback or port 0),
 * NATT_ERR_IO (bind failed: err says why, e.g. the port is taken).
 */
int natt_bridge_new(struct natt_bridge **out_bridge, struct event_base *base, bool server,
		    const struct sockaddr_in *openvpn, natt_bridge_out_fn out, void *arg, char *err,
		    size_t errlen);

/* Closes every socket and frees the bridge; NULL is allowed. */
void natt_bridge_free(struct natt_bridge *b);

/*
 * A peer came up: on a server, opens its loopback socket (its port goes to
 * *port); on a client, ties the listening socket to it (a second peer is
 * NATT_ERR_FULL) and hands the datagrams held for it to out, from within
 * this call.  peer ids are the caller's and must be unique.  Returns
 * NATT_OK, NATT_ERR_EXISTS (id already up), NATT_ERR_FULL, NATT_ERR_NOMEM,
 * NATT_ERR_IO.
 */
int natt_bridge_peer_up(struct natt_bridge *b, uint64_t peer, uint16_t *port);

/* A peer went down: its loopback socket (server) is closed. Unknown ids
 * are ignored. */
void natt_bridge_peer_down(struct natt_bridge *b, uint64_t peer);

/*
 * Hands a datagram from peer to OpenVPN: it is copied into the send batch,
 * which goes out (one sendmmsg() per socket) at the end of the current
 * event loop iteration, when it is full, or on natt_bridge_flush().  A
 * datagram the socket does not take then is dropped and counted in
 * `dropped`.  Returns NATT_OK, 1 (queued, and the peer got a new loopback
 * port first: see above), NATT_ERR_INVALID (unknown peer), NATT_ERR_FULL
 * (a client whose OpenVPN has not sent anything yet: dropped and counted),
 * NATT_ERR_IO (no new socket could be opened: the old one is kept and the
 * datagram queued for it).
 */
int natt_bridge_to_openvpn(struct natt_bridge *b, uint64_t peer, const uint8_t *data, size_t len);

/* Sends the batch now (tests; the loop does it by itself). */
void natt_bridge_flush(struct natt_bridge *b);

/* The loopback port that stands for peer (server: its own socket; client:
 * the listening one), or 0 for an unknown peer. */
uint16_t natt_bridge_port(const struct natt_bridge *b, uint64_t peer);

/* Counters of peer; NULL for an unknown peer. */
const struct natt_bridge_stats *natt_bridge_stats(const struct natt_bridge *b, uint64_t peer);

/* Number of peers up. */
size_t natt_bridge_count(const struct natt_bridge *b);

#endif
