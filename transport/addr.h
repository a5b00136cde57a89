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

#endif
