/*
 * test_pmtu.c: the plugin's overhead accounting (plugin/mtu.c).
 */
#include <string.h>

#include "mtu.h"
#include "unit.h"

static void test_overhead(void)
{
	/* 20 IPv4 + 8 UDP + 18 DATA header + 16 tag */
	CU_ASSERT_EQUAL(NATT_MTU_OVERHEAD, 62);
	CU_ASSERT_EQUAL(natt_mtu_outer(1414, false), 1500);
	CU_ASSERT_EQUAL(natt_mtu_outer(1413, true), 1500);
	CU_ASSERT_EQUAL(natt_mtu_outer(1500, false), 1586);
}

static void test_limits(void)
{
	struct natt_mtu_limits l;

	natt_mtu_limits(1500, false, &l);
	CU_ASSERT_EQUAL(l.tun_mtu_max, 1414);
	CU_ASSERT_EQUAL(l.mssfix_max, 1466);
	natt_mtu_limits(1500, true, &l);
	CU_ASSERT_EQUAL(l.tun_mtu_max, 1413);
	natt_mtu_limits(1280, false, &l);
	CU_ASSERT_EQUAL(l.tun_mtu_max, 1194);
	CU_ASSERT_EQUAL(l.mssfix_max, 1246);
	natt_mtu_limits(50, false, &l); /* absurd path: nothing fits */
	CU_ASSERT_EQUAL(l.tun_mtu_max, 0);
}

static void test_check(void)
{
	struct natt_mtu_openvpn ov = {.tun_mtu = 1414, .mssfix = 1466};
	char msg[512] = "";

	CU_ASSERT_EQUAL(natt_mtu_check(1500, &ov, msg, sizeof(msg)), 0);
	ov.tun_mtu = 1415;
	CU_ASSERT_EQUAL(natt_mtu_check(1500, &ov, msg, sizeof(msg)), NATT_MTU_TOO_BIG);
	CU_ASSERT_PTR_NOT_NULL(strstr(msg, "tun-mtu 1415, mssfix 1466: a full packet is 1501"));
	CU_ASSERT_PTR_NOT_NULL(strstr(msg, "set 'tun-mtu 1414' and 'mssfix 1466'"));
	ov.tun_mtu = 1400;
	ov.mssfix = 1467;
	CU_ASSERT_EQUAL(natt_mtu_check(1500, &ov, msg, sizeof(msg)), NATT_MTU_TOO_BIG);
	ov.tun_mtu = 0; /* OpenVPN's default 1500 */
	ov.mssfix = 0;
	CU_ASSERT_EQUAL(natt_mtu_check(1500, &ov, msg, sizeof(msg)), NATT_MTU_TOO_BIG);
	CU_ASSERT_PTR_NOT_NULL(strstr(msg, "tun-mtu 1500 (default), mssfix 0 (not set)"));
	CU_ASSERT_EQUAL(natt_mtu_check(9000, &ov, msg, sizeof(msg)), 0); /* jumbo path */
}

static const struct natt_test tests[] = {
	{"overhead is 62 bytes", test_overhead},
	{"largest tun-mtu and mssfix per path", test_limits},
	{"check names the values to set", test_check},
	{NULL, NULL},
};

int natt_suite_pmtu(void)
{
	return natt_add_suite("pmtu", tests);
}
