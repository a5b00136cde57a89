/*
 * addr.c: sockaddr <-> candidate, numeric addresses, and the resolver's
 * choice among a name's addresses (addr.h).
 */
#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "addr.h"

static const uint8_t v4_mapped_prefix[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};

bool natt_addr_to_cand(const struct sockaddr *sa, uint8_t kind, struct natt_cand *c)
{
	memset(c, 0, sizeof(*c));
	c->kind = kind;
	if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *s4 = (const struct sockaddr_in *)sa;

		c->family = 4;
		c->port = ntohs(s4->sin_port);
		memcpy(c->addr, &s4->sin_addr, 4);
		return true;
	}
	if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)sa;
		const uint8_t *a = s6->sin6_addr.s6_addr;

		c->port = ntohs(s6->sin6_port);
		if (memcmp(a, v4_mapped_prefix, sizeof(v4_mapped_prefix)) == 0) {
			c->family = 4;
			memcpy(c->addr, a + 12, 4);
		} else {
			c->family = 6;
			memcpy(c->addr, a, 16);
		}
		return true;
	}
	return false;
}

socklen_t natt_addr_from_cand(const struct natt_cand *c, int sock_family,
			      struct sockaddr_storage *ss)
{
	memset(ss, 0, sizeof(*ss));
	if (c->family == 4 && sock_family == AF_INET) {
		struct sockaddr_in *s4 = (struct sockaddr_in *)ss;

		s4->sin_family = AF_INET;
		s4->sin_port = htons(c->port);
		memcpy(&s4->sin_addr, c->addr, 4);
		return sizeof(*s4);
	}
	if ((c->family == 4 || c->family == 6) && sock_family == AF_INET6) {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;

		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons(c->port);
		if (c->family == 4) {
			memcpy(s6->sin6_addr.s6_addr, v4_mapped_prefix, sizeof(v4_mapped_prefix));
			memcpy(s6->sin6_addr.s6_addr + 12, c->addr, 4);
		} else {
			memcpy(s6->sin6_addr.s6_addr, c->addr, 16);
		}
		return sizeof(*s6);
	}
	return 0;
}

socklen_t natt_addr_parse(const char *text, uint16_t port, struct sockaddr_storage *ss)
{
	struct sockaddr_in *s4 = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;

	memset(ss, 0, sizeof(*ss));
	if (inet_pton(AF_INET, text, &s4->sin_addr) == 1) {
		s4->sin_family = AF_INET;
		s4->sin_port = htons(port);
		return sizeof(*s4);
	}
	if (inet_pton(AF_INET6, text, &s6->sin6_addr) == 1) {
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons(port);
		return sizeof(*s6);
	}
	memset(ss, 0, sizeof(*ss));
	return 0;
}

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
