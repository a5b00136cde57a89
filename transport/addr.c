/*
 * addr.c: sockaddr <-> candidate and numeric addresses (addr.h); no I/O:
 * name resolution is transport/loop_resolve.c.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>

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
