/*
 * test_addr.c: socket addresses and candidates (transport/addr.c): both
 * families each way, IPv4 on a dual-stack socket, numeric parsing with its
 * malformed inputs, and which of a name's addresses the resolver takes.
 * Only numeric addresses and loopback are resolved: no DNS traffic.
 */
#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/un.h>

#include "addr.h"
#include "loop.h"
#include "unit.h"

static struct natt_cand cand6(const char *text, uint16_t port)
{
	struct natt_cand c;

	memset(&c, 0, sizeof(c));
	c.kind = NATT_CAND_HOST;
	c.family = 6;
	c.port = port;
	CU_ASSERT_EQUAL_FATAL(inet_pton(AF_INET6, text, c.addr), 1);
	return c;
}

static void test_to_cand(void)
{
	struct sockaddr_storage ss;
	struct sockaddr_un un = {.sun_family = AF_UNIX};
	struct natt_cand c, v4 = natt_test_v4(192, 0, 2, 1, 3478, NATT_CAND_SRFLX);
	struct natt_cand v6 = cand6("2001:db8::1", 443);

	CU_ASSERT_EQUAL_FATAL(natt_addr_parse("192.0.2.1", 3478, &ss), sizeof(struct sockaddr_in));
	CU_ASSERT_TRUE(natt_addr_to_cand((struct sockaddr *)&ss, NATT_CAND_SRFLX, &c));
	CU_ASSERT_TRUE(natt_cand_equal(&c, &v4));
	CU_ASSERT_EQUAL_FATAL(natt_addr_parse("2001:db8::1", 443, &ss),
			      sizeof(struct sockaddr_in6));
	CU_ASSERT_TRUE(natt_addr_to_cand((struct sockaddr *)&ss, NATT_CAND_HOST, &c));
	CU_ASSERT_TRUE(natt_cand_equal(&c, &v6));
	/* an IPv4 peer seen on a dual-stack socket is an IPv4 candidate */
	CU_ASSERT_EQUAL_FATAL(natt_addr_parse("::ffff:192.0.2.1", 3478, &ss),
			      sizeof(struct sockaddr_in6));
	CU_ASSERT_TRUE(natt_addr_to_cand((struct sockaddr *)&ss, NATT_CAND_SRFLX, &c));
	CU_ASSERT_TRUE(natt_cand_equal(&c, &v4));
	CU_ASSERT_FALSE(natt_addr_to_cand((struct sockaddr *)&un, NATT_CAND_HOST, &c));
}

static void test_from_cand(void)
{
	struct natt_cand v4 = natt_test_v4(203, 0, 113, 7, 5000, NATT_CAND_HOST);
	struct natt_cand v6 = cand6("2001:db8:ffff::1", 3478), none, back;
	struct sockaddr_storage ss;
	const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)&ss;
	char text[INET6_ADDRSTRLEN];

	CU_ASSERT_EQUAL(natt_addr_from_cand(&v4, AF_INET, &ss), sizeof(struct sockaddr_in));
	CU_ASSERT_TRUE(natt_addr_to_cand((struct sockaddr *)&ss, NATT_CAND_HOST, &back));
	CU_ASSERT_TRUE(natt_cand_equal(&back, &v4));
	/* IPv4 through a dual-stack socket: IPv4-mapped, and back to IPv4 */
	CU_ASSERT_EQUAL(natt_addr_from_cand(&v4, AF_INET6, &ss), sizeof(struct sockaddr_in6));
	inet_ntop(AF_INET6, &s6->sin6_addr, text, sizeof(text));
	CU_ASSERT_STRING_EQUAL(text, "::ffff:203.0.113.7");
	CU_ASSERT_EQUAL(ntohs(s6->sin6_port), 5000);
	CU_ASSERT_TRUE(natt_addr_to_cand((struct sockaddr *)&ss, NATT_CAND_HOST, &back));
	CU_ASSERT_TRUE(natt_cand_equal(&back, &v4));
	CU_ASSERT_EQUAL(natt_addr_from_cand(&v6, AF_INET6, &ss), sizeof(struct sockaddr_in6));
	CU_ASSERT_EQUAL(s6->sin6_scope_id, 0);
	CU_ASSERT_EQUAL(s6->sin6_flowinfo, 0);
	CU_ASSERT_TRUE(natt_addr_to_cand((struct sockaddr *)&ss, NATT_CAND_HOST, &back));
	CU_ASSERT_TRUE(natt_cand_equal(&back, &v6));
	/* what a socket cannot reach: IPv6 from IPv4, no address, a family 5 */
	CU_ASSERT_EQUAL(natt_addr_from_cand(&v6, AF_INET, &ss), 0);
	memset(&none, 0, sizeof(none));
	CU_ASSERT_EQUAL(natt_addr_from_cand(&none, AF_INET6, &ss), 0);
	none = v4;
	none.family = 5;
	CU_ASSERT_EQUAL(natt_addr_from_cand(&none, AF_INET6, &ss), 0);
	CU_ASSERT_EQUAL(natt_addr_from_cand(&v4, AF_UNIX, &ss), 0);
}

/* Numeric only: names, brackets, ports, scopes and fragments are refused,
 * and a refusal leaves nothing behind. */
static void test_parse(void)
{
	static const char *const bad[] = {"",
					  "[2001:db8::1]",
					  "2001:db8::1%eth0",
					  "192.0.2",
					  "192.0.2.1:3478",
					  "192.0.2.256",
					  "2001:db8::g",
					  "2001:db8:::1",
					  "localhost",
					  " 192.0.2.1",
					  "::ffff:1.2.3",
					  "1.2.3.4.5",
					  "2001:db8::1/64",
					  "0x7f.0.0.1"};
	struct sockaddr_storage ss;
	static const struct sockaddr_storage zero;

	CU_ASSERT_EQUAL(natt_addr_parse("::", 0, &ss), sizeof(struct sockaddr_in6));
	CU_ASSERT_EQUAL(natt_addr_parse("0.0.0.0", 0, &ss), sizeof(struct sockaddr_in));
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		memset(&ss, 0xa5, sizeof(ss));
		CU_ASSERT_EQUAL(natt_addr_parse(bad[i], 3478, &ss), 0);
		CU_ASSERT_EQUAL(memcmp(&ss, &zero, sizeof(ss)), 0);
	}
}

/* natt_addr_pick: a routed IPv4 address before a routed IPv6 one, whatever
 * the resolver's order; IPv6 when it is all there is; other families never. */
static void test_pick(void)
{
	struct sockaddr_storage s4, s6, sx;
	struct addrinfo a6 = {.ai_family = AF_INET6}, a4 = {.ai_family = AF_INET};
	struct addrinfo ax = {.ai_family = AF_UNIX};

	a4.ai_addrlen = natt_addr_parse("127.0.0.1", 3478, &s4);
	a4.ai_addr = (struct sockaddr *)&s4;
	a6.ai_addrlen = natt_addr_parse("::1", 3478, &s6);
	a6.ai_addr = (struct sockaddr *)&s6;
	memset(&sx, 0, sizeof(sx));
	sx.ss_family = AF_UNIX;
	ax.ai_addr = (struct sockaddr *)&sx;
	ax.ai_addrlen = sizeof(struct sockaddr_un);
	a6.ai_next = &a4; /* RFC 6724 order would put IPv6 first */
	CU_ASSERT_PTR_EQUAL(natt_addr_pick(&a6), &a4);
	a6.ai_next = NULL;
	CU_ASSERT_PTR_EQUAL(natt_addr_pick(&a6), &a6);
	ax.ai_next = &a6;
	CU_ASSERT_PTR_EQUAL(natt_addr_pick(&ax), &a6);
	ax.ai_next = NULL;
	CU_ASSERT_PTR_NULL(natt_addr_pick(&ax));
	CU_ASSERT_PTR_NULL(natt_addr_pick(NULL));
}

static void test_resolve_numeric(void)
{
	struct natt_cand c, want = natt_test_v4(127, 0, 0, 1, 3478, NATT_CAND_HOST);
	char err[128] = "";

	CU_ASSERT_EQUAL(natt_addr_resolve("127.0.0.1", 3478, NATT_CAND_HOST, &c, err, sizeof(err)),
			NATT_OK);
	CU_ASSERT_TRUE(natt_cand_equal(&c, &want));
	CU_ASSERT_EQUAL(natt_addr_resolve("::1", 9, NATT_CAND_SRFLX, &c, err, sizeof(err)),
			NATT_OK);
	want = cand6("::1", 9);
	want.kind = NATT_CAND_SRFLX;
	CU_ASSERT_TRUE(natt_cand_equal(&c, &want));
	CU_ASSERT_EQUAL(
		natt_addr_resolve("2001:db8:ffff::1", 3478, NATT_CAND_HOST, &c, err, sizeof(err)),
		NATT_OK);
	want = cand6("2001:db8:ffff::1", 3478);
	CU_ASSERT_TRUE(natt_cand_equal(&c, &want));
}

int natt_suite_addr(void)
{
	static const struct natt_test tests[] = {
		{"sockaddr to candidate", test_to_cand},
		{"candidate to sockaddr", test_from_cand},
		{"numeric addresses", test_parse},
		{"which address of a name", test_pick},
		{"resolving numeric addresses", test_resolve_numeric},
		{NULL, NULL},
	};

	return natt_add_suite("addr", tests);
}
