/*
 * test_migrate.c: natt-migrate's parser, plan and diff without files:
 * OpenVPN's tokens and blocks, refusals with their line, byte-for-byte
 * preservation of untouched lines, and the fixed point (idempotence);
 * --keep-legacy and its switch, relative names when the file moves; with
 * files in a temporary directory: `cd` and includes, systemd units and
 * their drop-ins, the drop-in directory's rollback.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../tools/migrate_ovpn.h"
#include "../tools/migrate_paths.h"
#include "../tools/migrate_plan.h"
#include "../tools/migrate_unit.h"
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

#define MARK_OF(name) NATT_MIG_MARK name " "

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

static void test_line_limit(void)
{
	struct natt_mig_file f;
	char text[600];

	memset(text, 'a', sizeof(text));
	memcpy(text, "setenv X ", 9);
	text[254] = '\n'; /* 254 bytes and the newline: OpenVPN's longest line */
	text[255] = '\0';
	CU_ASSERT_EQUAL(parse(&f, text), 0);
	natt_mig_file_free(&f);
	text[254] = 'a';
	text[255] = '\n';
	text[256] = '\0';
	CU_ASSERT_EQUAL(parse(&f, text), NATT_ERR_SYNTAX);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "t.conf:1: line of 255 bytes"));
	natt_mig_file_free(&f);
	memset(text, 'a', 400); /* inline bodies are exempt */
	memcpy(text, "<ca>\n", 5);
	strcpy(text + 400, "\n</ca>\n");
	CU_ASSERT_EQUAL(parse(&f, text), 0);
	natt_mig_file_free(&f);
}

static void test_keep_legacy_plan(void)
{
	struct natt_mig_opts o = server_opts;
	struct natt_mig_plan p, q;
	const char *t = "port 1194\nlport 1195\nproto udp\nserver 10.8.0.0 255.255.255.0\ncert s\n";

	o.keep_legacy = true;
	CU_ASSERT_EQUAL_FATAL(plan_text(t, &o, &p), 0);
	CU_ASSERT_EQUAL(p.legacy_port, 1195); /* OpenVPN listened on lport */
	CU_ASSERT_EQUAL(p.port, 1195 + NATT_MIG_LEGACY_SHIFT);
	CU_ASSERT_PTR_NOT_NULL(strstr(p.ovpn.p, "\nlocal 127.0.0.1\nlport 21195\n"));
	CU_ASSERT_PTR_NOT_NULL(strstr(p.pconf.p, "openvpn-address 127.0.0.1:21195\n"));
	CU_ASSERT_PTR_NOT_NULL(strstr(p.pconf.p, "\npublic-port 1195\nlegacy-passthrough yes\n"));
	CU_ASSERT_EQUAL(natt_mig_legacy_state(p.pconf.p, p.pconf.len), NATT_MIG_LEGACY_ON);
	CU_ASSERT_EQUAL(plan_text(p.ovpn.p, &o, &q), 0);
	CU_ASSERT_TRUE(q.already);
	natt_mig_plan_free(&q);
	natt_mig_plan_free(&p);
	CU_ASSERT_EQUAL_FATAL(
		plan_text("port 50000\nserver 10.8.0.0 255.255.255.0\ncert s\n", &o, &p), 0);
	CU_ASSERT_EQUAL(p.port, 50000 - NATT_MIG_LEGACY_SHIFT);
	natt_mig_plan_free(&p);
	o.keep_legacy = false;
	CU_ASSERT_EQUAL_FATAL(plan_text(t, &o, &p), 0);
	CU_ASSERT_EQUAL(p.port, 1195);
	CU_ASSERT_EQUAL(p.legacy_port, 0);
	CU_ASSERT_PTR_NULL(strstr(p.pconf.p, "legacy-passthrough"));
	natt_mig_plan_free(&p);
}

static void legacy_refused(const char *text, const char *where, const char *why)
{
	struct natt_mig_opts o = server_opts;
	struct natt_mig_plan p;

	o.keep_legacy = true;
	CU_ASSERT_EQUAL(plan_text(text, &o, &p), NATT_ERR_INVALID);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, where));
	CU_ASSERT_PTR_NOT_NULL(strstr(err, why));
	natt_mig_plan_free(&p);
}

static void test_keep_legacy_refused(void)
{
	legacy_refused("server 10.8.0.0 255.255.255.0\nproto tcp-server\ncert s\n",
		       "s.conf:2: proto", "over TCP");
	legacy_refused("server 10.8.0.0 255.255.255.0\nproto udp6\ncert s\n", "s.conf:2: proto",
		       "IPv6");
	legacy_refused("server 10.8.0.0 255.255.255.0\nlocal 2001:db8::1\ncert s\n",
		       "s.conf:2: local", "IPv6");
}

static void test_legacy_switch(void)
{
	const char *on = "role server\r\npublic-port 1194\nlegacy-passthrough yes\nverb 3\n";
	struct natt_mig_buf off = {0}, back = {0};

	CU_ASSERT_EQUAL(natt_mig_legacy_state(on, strlen(on)), NATT_MIG_LEGACY_ON);
	CU_ASSERT_EQUAL_FATAL(natt_mig_legacy_set(on, strlen(on), false, &off), 0);
	CU_ASSERT_STRING_EQUAL(off.p,
			       "role server\r\n" NATT_MIG_MARK "public-port 1194\n" NATT_MIG_MARK
			       "legacy-passthrough yes\nverb 3\n");
	CU_ASSERT_EQUAL(natt_mig_legacy_state(off.p, off.len), NATT_MIG_LEGACY_OFF);
	CU_ASSERT_EQUAL_FATAL(natt_mig_legacy_set(off.p, off.len, true, &back), 0);
	CU_ASSERT_STRING_EQUAL(back.p, on); /* the two directions undo each other */
	CU_ASSERT_EQUAL(natt_mig_legacy_state("role server\n", 12), NATT_MIG_LEGACY_NONE);
	natt_mig_buf_free(&off);
	natt_mig_buf_free(&back);
}

static void test_path_of(void)
{
	static const struct {
		const char *line;
		enum natt_mig_pkind kind;
		const char *name;
	} cases[] = {
		{"ca 'my ca.crt'\n", NATT_MIG_P_IN, "my ca.crt"},
		{"dh none\n", NATT_MIG_P_NONE, ""},
		{"tls-auth [[INLINE]] 0\n", NATT_MIG_P_NONE, ""},
		{"auth-user-pass\n", NATT_MIG_P_NONE, ""},
		{"crl-verify crls dir\n", NATT_MIG_P_DIR, "crls"},
		{"management mgmt.sock unix\n", NATT_MIG_P_OUT, "mgmt.sock"},
		{"management 127.0.0.1 7505 pw.txt\n", NATT_MIG_P_IN, "pw.txt"},
		{"up \"scripts/up.sh --fast\"\n", NATT_MIG_P_CMD, "scripts/up.sh"},
		{"status /run/s.log 10\n", NATT_MIG_P_OUT, "/run/s.log"},
		{"verb 3\n", NATT_MIG_P_NONE, ""},
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct natt_mig_file f;
		char name[NATT_MIG_TOKEN];
		int arg = 0;

		CU_ASSERT_EQUAL_FATAL(parse(&f, cases[i].line), 0);
		CU_ASSERT_EQUAL(natt_mig_path_of(&f.lines[0], &arg, name, sizeof(name)),
				cases[i].kind);
		CU_ASSERT_STRING_EQUAL(name, cases[i].name);
		natt_mig_file_free(&f);
	}
}

static int plan_moved(const char *text, struct natt_mig_plan *p)
{
	struct natt_mig_opts o = server_opts;

	o.config_dir = "/etc/openvpn";
	o.run_dir = "/srv/vpn";
	return plan_text(text, &o, p);
}

static void test_relocation(void)
{
	struct natt_mig_plan p;

	CU_ASSERT_EQUAL_FATAL(plan_moved("server 10.8.0.0 255.255.255.0\r\ncert s.crt\r\n"
					 "key /k/s.key\r\nup \"bin/up.sh a b\"\r\n"
					 "status run/s.log\r\ndh none\r\n",
					 &p),
			      0);
	CU_ASSERT_PTR_NOT_NULL(
		strstr(p.ovpn.p, NATT_MIG_MARK "cert s.crt\r\ncert /etc/openvpn/s.crt\r\n"));
	CU_ASSERT_PTR_NOT_NULL(strstr(p.ovpn.p, "\nup \"/etc/openvpn/bin/up.sh a b\"\r\n"));
	CU_ASSERT_PTR_NOT_NULL(strstr(p.ovpn.p, "\nstatus /etc/openvpn/run/s.log\r\n"));
	CU_ASSERT_PTR_NOT_NULL(strstr(p.ovpn.p, "\r\nkey /k/s.key\r\n")); /* absolute: kept */
	CU_ASSERT_PTR_NULL(strstr(p.ovpn.p, MARK_OF("key")));
	CU_ASSERT_PTR_NULL(strstr(p.ovpn.p, MARK_OF("dh")));
	natt_mig_plan_free(&p);
	/* a relative cd becomes absolute; the names after it need nothing more */
	CU_ASSERT_EQUAL_FATAL(
		plan_moved("cd keys\nserver 10.8.0.0 255.255.255.0\ncert s.crt\n", &p), 0);
	CU_ASSERT_PTR_NOT_NULL(strstr(p.ovpn.p, NATT_MIG_MARK "cd keys\ncd /etc/openvpn/keys\n"));
	CU_ASSERT_PTR_NOT_NULL(strstr(p.ovpn.p, "\ncert s.crt\n"));
	natt_mig_plan_free(&p);
	CU_ASSERT_EQUAL(plan_moved("server 10.8.0.0 255.255.255.0\ncert s.crt\nchroot jail\n", &p),
			NATT_ERR_INVALID);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "s.conf:3: chroot: cannot move"));
	natt_mig_plan_free(&p);
	CU_ASSERT_EQUAL(plan_moved("server 10.8.0.0 255.255.255.0\ncert s.crt\n"
				   "up \"'my up.sh'\"\n",
				   &p),
			NATT_ERR_INVALID);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "s.conf:3: up: cannot move"));
	natt_mig_plan_free(&p);
}

static void test_long_lines_refused(void)
{
	struct natt_mig_plan p;
	char text[400];

	/* marked as replaced, this proto line would pass OpenVPN's limit */
	snprintf(text, sizeof(text), "server 10.8.0.0 255.255.255.0\ncert s\nproto udp #%0240d\n",
		 0);
	CU_ASSERT_EQUAL(plan_text(text, &server_opts, &p), NATT_ERR_INVALID);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "s.conf:3: proto"));
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "line limit"));
	natt_mig_plan_free(&p);
}

/* ---- with files ---- */

static char tmp[64];

static void remove_tmp(void)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmp);
	if (system(cmd) != 0)
		fprintf(stderr, "test_migrate: could not remove %s\n", tmp);
}

/* A private directory for the tests below, removed at exit (also after a failure). */
static void make_tmp(void)
{
	if (tmp[0] != '\0')
		return;
	snprintf(tmp, sizeof(tmp), "/tmp/natt-mig-unit.XXXXXX");
	CU_ASSERT_PTR_NOT_NULL_FATAL(mkdtemp(tmp));
	atexit(remove_tmp);
}

static void put(const char *rel, const char *text)
{
	char path[256];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", tmp, rel);
	f = fopen(path, "w");
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	fputs(text, f);
	fclose(f);
}

static void sub(const char *rel)
{
	char path[256];

	snprintf(path, sizeof(path), "%s/%s", tmp, rel);
	CU_ASSERT_EQUAL(mkdir(path, 0755), 0);
}

static void test_load_follows_cd(void)
{
	struct natt_mig_conf *c = calloc(1, sizeof(*c));
	char path[256], want[256];

	CU_ASSERT_PTR_NOT_NULL_FATAL(c);
	make_tmp();
	sub("keys");
	put("main.conf", "config a.inc\ncd keys\nconfig b.inc\n");
	put("a.inc", "verb 3\n");
	put("keys/b.inc", "ca ca.crt\n");
	snprintf(path, sizeof(path), "%s/main.conf", tmp);
	CU_ASSERT_EQUAL_FATAL(natt_mig_load(c, path, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(c->n_files, 3);
	snprintf(want, sizeof(want), "%s/keys/b.inc", tmp);
	CU_ASSERT_STRING_EQUAL(c->files[2].path, want); /* after cd: from keys/ */
	snprintf(want, sizeof(want), "%s/keys", tmp);
	CU_ASSERT_STRING_EQUAL(c->cwd, want);
	CU_ASSERT_EQUAL(c->files[0].lines[2].include, 2);
	c->cwd[0] = '\0';
	CU_ASSERT_EQUAL(natt_mig_link(c), 0); /* the same, from memory */
	CU_ASSERT_STRING_EQUAL(c->cwd, want);
	natt_mig_conf_free(c);
	free(c);
}

#define UNIT_FILE                                                                                  \
	"[Unit]\nDescription=x\n[Service]\nType=notify\nWorkingDirectory=%s/etc\n"                 \
	"ExecStart=/usr/sbin/openvpn --suppress-timestamps \\\n  --config %%i.conf\n"              \
	"CapabilityBoundingSet=CAP_NET_ADMIN CAP_NET_BIND_SERVICE\nLimitNPROC=10\n"                \
	"ProtectHome=true\nKillMode=process\n"

static void test_unit(void)
{
	struct natt_mig_unit *u = calloc(1, sizeof(*u));
	struct natt_mig_need nd = {0};
	struct natt_mig_buf dropin = {0};
	struct natt_mig_ufile files[2];
	char text[1024], path[256], env[128];
	FILE *out = fopen("/dev/null", "w");

	CU_ASSERT_PTR_NOT_NULL_FATAL(u);
	make_tmp();
	sub("units");
	sub("units/vpn-server@.service.d");
	sub("units/vpn-server@office.service.d");
	sub("etc");
	snprintf(text, sizeof(text), UNIT_FILE, tmp);
	put("units/vpn-server@.service", text);
	put("units/vpn-server@.service.d/a.conf",
	    "[Service]\nCapabilityBoundingSet=~CAP_NET_BIND_SERVICE\nTasksMax=2\n");
	put("units/vpn-server@office.service.d/b.conf",
	    "[Service]\nRestrictAddressFamilies=AF_INET\n");
	put("etc/office.conf", "verb 3\n");
	snprintf(env, sizeof(env), "%s/units", tmp);
	setenv("SYSTEMD_UNIT_PATH", env, 1);
	snprintf(path, sizeof(path), "%s/etc/office.conf", tmp);
	CU_ASSERT_EQUAL(natt_mig_unit_find(path, NULL, u, err, sizeof(err)), NATT_MIG_UNIT_NONE);
	CU_ASSERT_EQUAL_FATAL(natt_mig_unit_find(path, "vpn-server@office", u, err, sizeof(err)),
			      0);
	CU_ASSERT_STRING_EQUAL(u->config, path); /* %i and the continued line */
	CU_ASSERT_FALSE(u->config_wrong);
	CU_ASSERT_EQUAL(u->n_dropins, 2);
	CU_ASSERT_EQUAL(u->nproc, 10);
	CU_ASSERT_EQUAL(u->tasks, 2);
	CU_ASSERT_TRUE(u->caps_limited);
	CU_ASSERT_FALSE(u->cap_bind); /* removed by the template's drop-in */
	CU_ASSERT_EQUAL(u->protect_home, 1);
	CU_ASSERT_TRUE(u->af_limited);
	/* what the plugin needs: a privileged public port, a key under /root */
	memset(files, 0, sizeof(files));
	snprintf(nd.config, sizeof(nd.config), "%s", path);
	snprintf(nd.start, sizeof(nd.start), "%s/etc", tmp);
	snprintf(files[0].path, sizeof(files[0].path), "/root/net.key");
	snprintf(files[1].path, sizeof(files[1].path), "/usr/share/natt/status");
	snprintf(files[0].what, sizeof(files[0].what), "network-key");
	snprintf(files[1].what, sizeof(files[1].what), "status");
	files[0].kind = NATT_MIG_P_IN;
	files[1].kind = NATT_MIG_P_OUT;
	nd.files = files;
	nd.n_files = 2;
	nd.public_port = 443;
	CU_ASSERT_EQUAL(natt_mig_unit_eval(u, &nd, false, out, &dropin), 1); /* /root: move it */
	CU_ASSERT_PTR_NOT_NULL_FATAL(dropin.p);
	CU_ASSERT_PTR_NOT_NULL(strstr(dropin.p, "\nCapabilityBoundingSet=CAP_NET_BIND_SERVICE\n"));
	CU_ASSERT_PTR_NOT_NULL(strstr(dropin.p, "\nTasksMax=4\n"));
	CU_ASSERT_PTR_NOT_NULL(
		strstr(dropin.p, "\nRestrictAddressFamilies=AF_UNIX AF_INET AF_NETLINK\n"));
	CU_ASSERT_PTR_NULL(strstr(dropin.p, "ReadWritePaths")); /* ProtectSystem is off here */
	natt_mig_buf_free(&dropin);
	/* the same drop-in written: nothing more needed */
	snprintf(text, sizeof(text), "%s",
		 "[Service]\nCapabilityBoundingSet=CAP_NET_BIND_SERVICE\n"
		 "TasksMax=4\nRestrictAddressFamilies=AF_UNIX AF_NETLINK\n"
		 "ProtectSystem=true\n");
	put("units/vpn-server@office.service.d/natt-migrate.conf", text);
	CU_ASSERT_EQUAL_FATAL(natt_mig_unit_find(path, "vpn-server@office", u, err, sizeof(err)),
			      0);
	CU_ASSERT_EQUAL(natt_mig_unit_eval(u, &nd, false, out, &dropin), 1);
	CU_ASSERT_PTR_NOT_NULL_FATAL(dropin.p);
	CU_ASSERT_STRING_EQUAL(
		strstr(dropin.p, "[Service]"),
		"[Service]\n# OpenVPN writes there\nReadWritePaths=/usr/share/natt\n");
	natt_mig_buf_free(&dropin);
	unsetenv("SYSTEMD_UNIT_PATH");
	fclose(out);
	free(u);
}

static void test_dropin_dir_rollback(void)
{
	char bdir[256], dir[256], file[256];
	struct natt_mig_wfile w;
	struct stat st;

	make_tmp();
	snprintf(bdir, sizeof(bdir), "%s/backup", tmp);
	snprintf(dir, sizeof(dir), "%s/unit.d", tmp);
	snprintf(file, sizeof(file), "%s/unit.d/natt-migrate.conf", tmp);
	w = (struct natt_mig_wfile){file, "[Service]\n", 10, 0644};
	CU_ASSERT_EQUAL_FATAL(natt_mig_apply(bdir, &w, 1, NULL, dir, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(stat(file, &st), 0);
	CU_ASSERT_EQUAL(natt_mig_rollback(bdir, err, sizeof(err)), 0);
	CU_ASSERT_NOT_EQUAL(stat(dir, &st), 0); /* made by the migration: gone */
	CU_ASSERT_NOT_EQUAL(stat(bdir, &st), 0);
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
		{"OpenVPN's line limit", test_line_limit},
		{"--keep-legacy plan", test_keep_legacy_plan},
		{"--keep-legacy refused for TCP and IPv6", test_keep_legacy_refused},
		{"--keep-legacy switched off and on", test_legacy_switch},
		{"file names of directives", test_path_of},
		{"relative names when the file moves", test_relocation},
		{"lines past OpenVPN's limit refused", test_long_lines_refused},
		{"includes follow cd", test_load_follows_cd},
		{"systemd unit, drop-ins, needs", test_unit},
		{"drop-in directory rolled back", test_dropin_dir_rollback},
		{NULL, NULL},
	};

	return natt_add_suite("migrate", tests);
}
