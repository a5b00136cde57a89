/*
 * addr.h: between the socket API's addresses and the protocol's
 * candidates (PROTOCOL.md 4.1), and their text form, for every part that
 * holds both: the node, natt-rendezvous, the plugin, test tools.  This is
 * the I/O half's file (sockets' addresses, and the resolver): the sans-I/O
 * core never includes it.
 *
 * An IPv4 peer seen on a dual-stack IPv6 socket (::ffff:a.b.c.d) is an IPv4
 * candidate: that is the address its NAT gave it, and what it must be told.
 */
#ifndef NATT_ADDR_H
#define NATT_ADDR_H

#include <sys/socket.h>

#include "wire.h"

/* Fills c (of the given kind) from an AF_INET or AF_INET6 address; false
 * for another family. */
bool natt_addr_to_cand(const struct sockaddr *sa, uint8_t kind, struct natt_cand *c);

/*
 * The address to give sendto() on a socket of family sock_family: IPv4
 * candidates become IPv4-mapped on an IPv6 socket.  Returns its length, or
 * 0 when the socket cannot reach c (IPv6 over an IPv4 socket, no address).
 */
socklen_t natt_addr_from_cand(const struct natt_cand *c, int sock_family,
			      struct sockaddr_storage *ss);

/*
 * A numeric IPv4 or IPv6 address (no brackets, no scope) and a port as a
 * socket address.  Returns its length, or 0 when text is neither.
 */
socklen_t natt_addr_parse(const char *text, uint16_t port, struct sockaddr_storage *ss);

/*
 * Resolves host (a name, or a numeric IPv4 or IPv6 address without
 * brackets) and port into a candidate of the given kind.  Of several
 * addresses (a name with A and AAAA records) it takes the first IPv4
 * address this host has a route to, else the first routed IPv6 address,
 * else the first address: the rendezvous conversation is worth most over
 * IPv4, where the NAT mapping it observes is the only public address we
 * have, while global IPv6 addresses reach the peer as host candidates
 * whichever family carries the registration (doc/ARCHITECTURE.md 5.11).
 * Blocks while the resolver works: call it before the loop runs.  Returns
 * NATT_OK, or NATT_ERR_INVALID with the resolver's reason in err (the
 * caller names the setting and host).
 */
int natt_addr_resolve(const char *host, uint16_t port, uint8_t kind, struct natt_cand *c, char *err,
		      size_t errlen);

struct addrinfo;

/* The entry of a getaddrinfo() list that natt_addr_resolve() takes (the
 * order above), or NULL when none is IPv4 or IPv6. */
const struct addrinfo *natt_addr_pick(const struct addrinfo *list);

#endif
