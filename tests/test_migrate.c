/*
 * test_migrate.c: natt-migrate's parser, plan and diff without files:
 * OpenVPN's tokens and blocks, refusals with their line, byte-for-byte
 * preservation of untouched lines, and the fixed point (idempotence).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../tools/migrate_ovpn.h"
#include "../tools/migrate_plan.h"
#include "../tools/migrate_write.h"
#include "natt.h"
#include "unit.h"

static char err[1024];

static int parse(struct natt_mig_file *f, const char *text)
{
	return natt_mig_parse(f, "t.conf", text, strlen(text), err, sizeof(err));
}

static void test_tokens(void)
{
	struct natt_mig_file f;
	const char *t = "--proto tcp-client # why\r\n"
			"verify-x509-name \"my server\" name\n"
			"; comment\n\n"
			"<ca>\nnot # a directive\n</ca>\n"
			"<connection>\nremote a.example 443 tcp\n</connection>\n";

	CU_ASSERT_EQUAL_FATAL(parse(&f, t), 0);
	CU_ASSERT_EQUAL(f.n_lines, 10);
	CU_ASSERT_EQUAL(f.lines[0].kind, NATT_MIG_DIRECTIVE);
	CU_ASSERT_STRING_EQUAL(f.lines[0].argv[0], "proto");
	CU_ASSERT_EQUAL(f.lines[0].argc, 2);
	CU_ASSERT_STRING_EQUAL(f.lines[1].argv[1], "my server");
	CU_ASSERT_EQUAL(f.lines[2].kind, NATT_MIG_BLANK);
	CU_ASSERT_EQUAL(f.lines[4].kind, NATT_MIG_BLOCK_START);
	CU_ASSERT_EQUAL(f.lines[5].kind, NATT_MIG_BLOCK_BODY);
	CU_ASSERT_EQUAL(f.lines[6].kind, NATT_MIG_BLOCK_END);
	CU_ASSERT_TRUE(f.lines[8].in_connection);
	CU_ASSERT_STRING_EQUAL(f.lines[8].argv[3], "tcp");
	CU_ASSERT_EQUAL(f.lines[0].len, strlen("--proto tcp-client # why\r\n"));
	natt_mig_file_free(&f);
}

static void expect_error(const char *text, const char *where)
{
	struct natt_mig_file f;

	CU_ASSERT_EQUAL(parse(&f, text), NATT_ERR_SYNTAX);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, where));
	natt_mig_file_free(&f);
}

static void test_refused_syntax(void)
{
	expect_error("dev tun\nfrobnicate 1\n", "t.conf:2: frobnicate: unknown directive");
	expect_error("dev tun\n<ca>\nxx\n", "t.conf:2: <ca> is never closed");
	expect_error("dev tun\n</cert>\n", "t.conf:2: </cert> without <cert>");
	expect_error("remote \"a b\n", "t.conf:1:");
	expect_error("<connection>\n<connection>\n", "t.conf:2:");
}

static const struct natt_mig_opts server_opts = {
	.server = true,
	.name = "office",
	.rendezvous = "rdv.example.org:3478",
	.network_key = "/k",
	.plugin = "/p/openvpn-plugin-natt.so",
	.pconf_path = "/o/natt-s.conf",
	.outdir = "/o",
	.base = "s",
};

static int plan_text(const char *text, const struct natt_mig_opts *o, struct natt_mig_plan *p)
{
	struct natt_mig_conf c = {0};
	int rc = natt_mig_parse(&c.files[0], "s.conf", text, strlen(text), err, sizeof(err));

	c.n_files = 1;
	if (rc == 0)
		rc = natt_mig_plan(&c, o, p, err, sizeof(err));
	else
		memset(p, 0, sizeof(*p));
	natt_mig_conf_free(&c);
	return rc;
}

static void test_server_plan(void)
{
	const char *t = "port 443\nproto tcp-server\n  dev   tun  # keep me\nserver 10.8.0.0 "
			"255.255.255.0\ncert s.crt\ntun-mtu 1500\nmssfix 1400\n";
	struct natt_mig_plan p, q;

	CU_ASSERT_EQUAL_FATAL(plan_text(t, &server_opts, &p), 0);
	CU_ASSERT_FALSE(p.already);
	CU_ASSERT_PTR_NOT_NULL(strstr(p.ovpn.p, NATT_MIG_MARK "port 443\n"));
	CU_ASSERT_PTR_NOT_NULL(strstr(p.ovpn.p, NATT_MIG_MARK "proto tcp-server\n"));
	CU_ASSERT_PTR_NOT_NULL(strstr(p.ovpn.p, "\n  dev   tun  # keep me\n"));
	CU_ASSERT_PTR_NOT_NULL(strstr(p.ovpn.p, NATT_MIG_MARK "tun-mtu 1500\n"));
	CU_ASSERT_PTR_NOT_NULL(strstr(p.ovpn.p, "\nmssfix 1400\n"));
	CU_ASSERT_PTR_NULL(strstr(p.ovpn.p, "mssfix 1466"));
	CU_ASSERT_PTR_NOT_NULL(strstr(p.ovpn.p, "\nproto udp\nlocal 127.0.0.1\nlport 443\n"));
	CU_ASSERT_PTR_NOT_NULL(strstr(p.ovpn.p, "\ntun-mtu 1414\n"));
	CU_ASSERT_PTR_NOT_NULL(strstr(p.pconf.p, "openvpn-address 127.0.0.1:443\n"));
	CU_ASSERT_EQUAL(p.port, 443);
	/* the fixed point: the migrated text plans to nothing */
	CU_ASSERT_EQUAL(plan_text(p.ovpn.p, &server_opts, &q), 0);
	CU_ASSERT_TRUE(q.already);
	natt_mig_plan_free(&q);
	natt_mig_plan_free(&p);
}

static void test_client_plan(void)
{
	struct natt_mig_opts o = server_opts;
	const char *t = "client\nremote a 1194\nremote b 443 tcp-client\nremote-random\n"
			"<cert>\nPEM\n</cert>\n";
	struct natt_mig_plan p;

	o.server = false;
	o.server_name = "office";
	CU_ASSERT_EQUAL_FATAL(plan_text(t, &o, &p), 0);
	CU_ASSERT_PTR_NOT_NULL(strstr(p.ovpn.p, "remote 127.0.0.1 11194 udp\nremote a 1194\n"));
	CU_ASSERT_PTR_NOT_NULL(strstr(p.ovpn.p, NATT_MIG_MARK "remote-random\n"));
	CU_ASSERT_PTR_NOT_NULL(strstr(p.ovpn.p, "\nnobind\n"));
	CU_ASSERT_EQUAL(p.n_extra, 1);
	CU_ASSERT_STRING_EQUAL(p.extra_path[0], "/o/s-cert.pem");
	CU_ASSERT_STRING_EQUAL(p.extra[0].p, "PEM\n");
	CU_ASSERT_PTR_NOT_NULL(strstr(p.pconf.p, "cert /o/s-cert.pem\n"));
	natt_mig_plan_free(&p);
}

static void expect_refusal(const char *text, bool server, const char *where)
{
	struct natt_mig_opts o = server_opts;
	struct natt_mig_plan p;

	o.server = server;
	o.server_name = "office";
	CU_ASSERT_EQUAL(plan_text(text, &o, &p), NATT_ERR_INVALID);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, where));
	natt_mig_plan_free(&p);
}

static void test_refusals(void)
{
	expect_refusal("server 10.8.0.0 255.255.255.0\ndev tap0\ncert c\n", true, "s.conf:2: dev");
	expect_refusal("proto tcp-server\nport-share 127.0.0.1 8443\n", true,
		       "s.conf:2: port-share");
	expect_refusal("client\ncert c\nremote a\n", true, "not a server configuration");
	expect_refusal("server 10.8.0.0 255.255.255.0\ncert c\n", false,
		       "not a client configuration");
	expect_refusal("client\ncert c\n", false, "no remote");
	expect_refusal("client\nremote a\n", false, "no cert");
}

static void test_diff(void)
{
	const char *a = "one\ntwo\nthree\n", *b = "one\n2\nthree\nfour\n";
	char *out = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&out, &len);

	CU_ASSERT_EQUAL_FATAL(natt_mig_diff(f, "x", a, strlen(a), b, strlen(b)), 0);
	fclose(f);
	CU_ASSERT_STRING_EQUAL(out,
			       "--- x\n+++ x\n@@ -1,3 +1,4 @@\n one\n-two\n+2\n three\n+four\n");
	free(out);
	f = open_memstream(&out, &len);
	CU_ASSERT_EQUAL(natt_mig_diff(f, "x", a, strlen(a), a, strlen(a)), 0);
	fclose(f);
	CU_ASSERT_EQUAL(len, 0);
	free(out);
}

int natt_suite_migrate(void)
{
	static const struct natt_test tests[] = {
		{"tokens, blocks and raw bytes", test_tokens},
		{"syntax refused with file:line", test_refused_syntax},
		{"server plan and fixed point", test_server_plan},
		{"client plan and inline extraction", test_client_plan},
		{"unsafe configurations refused", test_refusals},
		{"unified diff", test_diff},
		{NULL, NULL},
	};

	return natt_add_suite("migrate", tests);
}
