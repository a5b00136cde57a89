/*
 * test_pstatus.c: the plugin's status file (plugin/status.c).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "status.h"
#include "unit.h"

static void test_cand(void)
{
	struct natt_cand c = {
		.kind = NATT_CAND_SRFLX, .family = 4, .port = 41234, .addr = {198, 51, 100, 7}};
	struct natt_cand v6 = {.kind = NATT_CAND_HOST,
			       .family = 6,
			       .port = 1194,
			       .addr = {0x20, 0x01, 0x0d, 0xb8, [15] = 1}};
	struct natt_cand none = {0};
	char buf[64];

	CU_ASSERT_STRING_EQUAL(natt_status_cand(&c, buf, sizeof(buf)), "198.51.100.7:41234");
	CU_ASSERT_STRING_EQUAL(natt_status_cand(&v6, buf, sizeof(buf)), "[2001:db8::1]:1194");
	CU_ASSERT_STRING_EQUAL(natt_status_cand(&none, buf, sizeof(buf)), "-");
}

static void test_lines(void)
{
	struct natt_status_peer p = {
		.name = "laptop",
		.loopback = 53211,
		.loop_ip = "127.0.0.1",
		.real = {.kind = NATT_CAND_PRFLX,
			 .family = 4,
			 .port = 4000,
			 .addr = {203, 0, 113, 9}},
		.path = "direct",
		.state = "up",
		.rtt_ms = 12.34,
		.loss = 0.0125,
		.bytes_in = 1000,
		.bytes_out = 2000,
		.packets_in = 10,
		.packets_out = 20,
		.up_since = 1795800000,
	};
	char buf[1024];
	size_t len = 0;

	CU_ASSERT_EQUAL(natt_status_head(buf, sizeof(buf), &len, "server", "office", 1795800100),
			NATT_OK);
	CU_ASSERT_EQUAL(natt_status_peer_line(buf, sizeof(buf), &len, &p), NATT_OK);
	CU_ASSERT_EQUAL(strlen(buf), len);
	CU_ASSERT_PTR_NOT_NULL(strstr(buf, "TITLE,openvpn-plugin-natt,server,office\n"));
	CU_ASSERT_PTR_NOT_NULL(strstr(buf, ",1795800100\nHEADER,PEER,Name,Loopback,Real Address,"));
	CU_ASSERT_PTR_NOT_NULL(strstr(buf, "PEER,laptop,127.0.0.1:53211,203.0.113.9:4000,direct,up,"
					   "12.3,1.25,1000,2000,10,20,1795800000\n"));
	p.loopback = 0;
	p.name = "";
	len = 0;
	CU_ASSERT_EQUAL(natt_status_peer_line(buf, sizeof(buf), &len, &p), NATT_OK);
	CU_ASSERT(strncmp(buf, "PEER,-,-,", 9) == 0);
}

static void test_append_overflow(void)
{
	char buf[16];
	size_t len = 0;

	CU_ASSERT_EQUAL(natt_status_append(buf, sizeof(buf), &len, "%s", "0123456789"), NATT_OK);
	CU_ASSERT_EQUAL(natt_status_append(buf, sizeof(buf), &len, "%s", "0123456789"),
			NATT_ERR_BUFFER);
	CU_ASSERT_EQUAL(len, 10); /* nothing of the refused text kept */
	CU_ASSERT_STRING_EQUAL(buf, "0123456789");
}

static void test_write_atomic(void)
{
	char dir[] = "/tmp/natt-test-status.XXXXXX", path[64], tmp[80], err[256], buf[64];
	FILE *f;
	size_t n;

	CU_ASSERT_PTR_NOT_NULL_FATAL(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/status", dir);
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	CU_ASSERT_EQUAL(natt_status_write(path, "first\n", 6, err, sizeof(err)), NATT_OK);
	CU_ASSERT_EQUAL(natt_status_write(path, "second\n", 7, err, sizeof(err)), NATT_OK);
	f = fopen(path, "r");
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	n = fread(buf, 1, sizeof(buf) - 1, f);
	buf[n] = '\0';
	fclose(f);
	CU_ASSERT_STRING_EQUAL(buf, "second\n");
	CU_ASSERT_NOT_EQUAL(access(tmp, F_OK), 0); /* no temporary file left */
	unlink(path);
	rmdir(dir);

	CU_ASSERT_EQUAL(natt_status_write("/nonexistent/dir/status", "x", 1, err, sizeof(err)),
			NATT_ERR_IO);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "status /nonexistent/dir/status: No such file"));
}

static const struct natt_test tests[] = {
	{"addresses", test_cand},
	{"title, header and peer records", test_lines},
	{"append refuses what does not fit", test_append_overflow},
	{"written atomically", test_write_atomic},
	{NULL, NULL},
};

int natt_suite_pstatus(void)
{
	return natt_add_suite("pstatus", tests);
}
