/* xfer_util.c: pattern, addresses and result lines of the transfer
 * programs (xfer_util.h). */
#include <errno.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "xfer_util.h"

#define MBIT 1e6

void xfer_print(const struct xfer_result *r)
{
	double secs = r->seconds > 0 ? r->seconds : 1e-9;

	printf("xfer proto=%s role=%s bytes=%llu seconds=%.3f goodput_mbit=%.2f "
	       "wire_bytes=%llu wire_ratio=%.4f packets=%llu retx_bytes=%llu lost=%llu "
	       "srtt_ms=%.2f cpu_s=%.2f%s%s\n",
	       r->proto, r->role, (unsigned long long)r->bytes, r->seconds,
	       (double)r->bytes * 8 / secs / MBIT, (unsigned long long)r->wire_bytes,
	       r->bytes ? (double)r->wire_bytes / (double)r->bytes : 0.0,
	       (unsigned long long)r->packets, (unsigned long long)r->retx_bytes,
	       (unsigned long long)r->lost, r->srtt_ms, r->cpu_s, r->extra ? " " : "",
	       r->extra ? r->extra : "");
	fflush(stdout);
}

/* splitmix64's finaliser over the word index: cheap, and every word differs. */
static uint64_t pattern_word(uint64_t word)
{
	uint64_t z = word * UINT64_C(0x9e3779b97f4a7c15) + 1;

	z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
	z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
	return z ^ (z >> 31);
}

static uint8_t pattern_byte(uint64_t off)
{
	return (uint8_t)(pattern_word(off / 8) >> (8 * (off % 8)));
}

void xfer_fill(uint64_t off, uint8_t *buf, size_t len)
{
	for (size_t i = 0; i < len; i++)
		buf[i] = pattern_byte(off + i);
}

size_t xfer_check(uint64_t off, const uint8_t *buf, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (buf[i] != pattern_byte(off + i))
			return i;
	return SIZE_MAX;
}

int xfer_parse_count(const char *s, uint64_t max, uint64_t *out)
{
	char *end;
	unsigned long long v;

	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0' || v == 0 || v > max || s[0] == '-')
		return -1;
	*out = v;
	return 0;
}

int xfer_parse_port(const char *s, uint16_t *port)
{
	uint64_t v;

	if (xfer_parse_count(s, 65535, &v) != 0)
		return -1;
	*port = (uint16_t)v;
	return 0;
}

int xfer_parse_hostport(const char *s, struct sockaddr_storage *ss, socklen_t *len)
{
	struct addrinfo hints = {.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV,
				 .ai_socktype = SOCK_DGRAM};
	struct addrinfo *ai = NULL;
	char host[64];
	const char *colon = strrchr(s, ':');
	size_t hl;
	uint16_t port;
	int rc;

	if (colon == NULL || xfer_parse_port(colon + 1, &port) != 0)
		goto bad;
	hl = (size_t)(colon - s);
	if (hl >= 2 && s[0] == '[' && s[hl - 1] == ']') {
		s++;
		hl -= 2;
	}
	if (hl == 0 || hl >= sizeof(host))
		goto bad;
	memcpy(host, s, hl);
	host[hl] = '\0';
	rc = getaddrinfo(host, colon + 1, &hints, &ai);
	if (rc != 0 || ai == NULL || ai->ai_addrlen > sizeof(*ss)) {
		if (ai != NULL)
			freeaddrinfo(ai);
		goto bad;
	}
	memcpy(ss, ai->ai_addr, ai->ai_addrlen);
	*len = ai->ai_addrlen;
	freeaddrinfo(ai);
	return 0;
bad:
	fprintf(stderr, "xfer: want a numeric A.B.C.D:PORT or [IPV6]:PORT, not \"%s\"\n", s);
	return -1;
}

double xfer_cpu_seconds(void)
{
	struct rusage ru;

	if (getrusage(RUSAGE_SELF, &ru) != 0)
		return 0;
	return (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
	       (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}
