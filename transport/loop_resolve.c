/*
 * loop_resolve.c: names to candidates (loop.h), the only I/O of the
 * address code: the resolver, and a UDP connect() per address to learn
 * whether this host has a route to it.
 */
#include <netdb.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "addr.h"
#include "loop.h"

/* Whether this host has a route to ai: connect() on UDP sends nothing. */
static bool routed(const struct addrinfo *ai)
{
	int fd = socket(ai->ai_family, SOCK_DGRAM | SOCK_CLOEXEC, IPPROTO_UDP);
	bool ok;

	if (fd < 0)
		return false;
	ok = connect(fd, ai->ai_addr, ai->ai_addrlen) == 0;
	close(fd);
	return ok;
}

const struct addrinfo *natt_addr_pick(const struct addrinfo *res)
{
	static const int order[] = {AF_INET, AF_INET6};
	const struct addrinfo *ai;

	for (size_t k = 0; k < sizeof(order) / sizeof(order[0]); k++)
		for (ai = res; ai != NULL; ai = ai->ai_next)
			if (ai->ai_family == order[k] && routed(ai))
				return ai;
	for (ai = res; ai != NULL; ai = ai->ai_next)
		if (ai->ai_family == AF_INET || ai->ai_family == AF_INET6)
			return ai;
	return NULL;
}

int natt_addr_resolve(const char *host, uint16_t port, uint8_t kind, struct natt_cand *c, char *err,
		      size_t errlen)
{
	struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_DGRAM};
	const struct addrinfo *ai;
	struct addrinfo *res;
	char service[8];
	int rc;

	memset(c, 0, sizeof(*c));
	snprintf(service, sizeof(service), "%u", port);
	rc = getaddrinfo(host, service, &hints, &res);
	if (rc != 0) {
		snprintf(err, errlen, "%s", gai_strerror(rc));
		return NATT_ERR_INVALID;
	}
	ai = natt_addr_pick(res);
	rc = ai != NULL && natt_addr_to_cand(ai->ai_addr, kind, c) ? NATT_OK : NATT_ERR_INVALID;
	freeaddrinfo(res);
	if (rc != NATT_OK)
		snprintf(err, errlen, "no IPv4 or IPv6 address");
	return rc;
}
