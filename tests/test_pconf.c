/*
 * test_pconf.c: the plugin's configuration (plugin/pconf*.c): settings,
 * overrides, what is learnt from OpenVPN, and the whole-config check.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "pconf.h"
#include "unit.h"
#include "wire.h"

static char tmpdir[64];

static const char *write_file(const char *name, const char *text)
{
	static char path[4][256];
	static int next;
	char *p = path[next++ % 4];
	FILE *f;

	snprintf(p, 256, "%s/%s", tmpdir, name);
	f = fopen(p, "w");
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	fputs(text, f);
	fclose(f);
	return p;
}

static int setup(void)
{
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/natt-test-pconf.XXXXXX");
	return mkdtemp(tmpdir) == NULL;
}

static void cleanup(void)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf %s", tmpdir);
	if (system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", tmpdir);
}

/* Loads text as the plugin config file; returns the result, err filled. */
static int load(struct natt_pconf *c, const char *text, char *err, size_t errlen)
{
	natt_pconf_init(c);
	return natt_pconf_load(c, write_file("natt.conf", text), err, errlen);
}

static void test_defaults(void)
{
	struct natt_pconf c;

	natt_pconf_init(&c);
	CU_ASSERT_EQUAL(c.role, NATT_PROLE_UNSET);
	CU_ASSERT_EQUAL(c.public_port, NATT_PCONF_PUBLIC_RANDOM);
	CU_ASSERT_EQUAL(c.path_mtu, 1500);
	CU_ASSERT_EQUAL(c.keepalive, NATT_PCONF_KEEPALIVE);
	CU_ASSERT_EQUAL(c.keepalive_timeout, NATT_PCONF_KA_TIMEOUT);
	CU_ASSERT_EQUAL(c.verb, -1);
	CU_ASSERT_FALSE(c.legacy_passthrough);
	CU_ASSERT_STRING_EQUAL(c.openvpn_host, "127.0.0.1");
}

static void test_every_setting(void)
{
	struct natt_pconf c;
	char err[512] = "";
	int rc = load(&c,
		      "# a full client\n"
		      "role client\nname laptop-1\nserver-name office\n"
		      "rendezvous rdv.example.org\nrendezvous 203.0.113.5:4000\n"
		      "stun 198.51.100.1:3478\nnetwork-key /etc/natt/net.key\n"
		      "ca /etc/ca.crt\ncert /etc/c.crt\nkey /etc/c.key\n"
		      "openvpn-address 127.0.0.2:1195\npublic-port 40000\n"
		      "cipher chacha20-poly1305\nkeepalive 10 45\nstatus /run/natt.status 5\n"
		      "verb 4\npath-mtu 1400\nlegacy-passthrough yes\n",
		      err, sizeof(err));

	CU_ASSERT_EQUAL_FATAL(rc, NATT_OK);
	CU_ASSERT_EQUAL(c.role, NATT_PROLE_CLIENT);
	CU_ASSERT_STRING_EQUAL(c.name, "laptop-1");
	CU_ASSERT_STRING_EQUAL(c.server_name, "office");
	CU_ASSERT_EQUAL(c.n_rdv, 2);
	CU_ASSERT_STRING_EQUAL(c.rdv[0].host, "rdv.example.org");
	CU_ASSERT_EQUAL(c.rdv[0].port, NATT_PCONF_RDV_PORT);
	CU_ASSERT_EQUAL(c.rdv[1].port, 4000);
	CU_ASSERT_EQUAL(c.n_stun, 1);
	CU_ASSERT_STRING_EQUAL(c.network_key.path, "/etc/natt/net.key");
	CU_ASSERT_PTR_NOT_NULL(strstr(c.network_key.where, "natt.conf:8"));
	CU_ASSERT_STRING_EQUAL(c.key.path, "/etc/c.key");
	CU_ASSERT_STRING_EQUAL(c.openvpn_host, "127.0.0.2");
	CU_ASSERT_EQUAL(c.openvpn_port, 1195);
	CU_ASSERT_EQUAL(c.public_port, 40000);
	CU_ASSERT_EQUAL(c.cipher, NATT_CIPHER_CHACHA20_POLY1305);
	CU_ASSERT_EQUAL(c.keepalive, 10);
	CU_ASSERT_EQUAL(c.keepalive_timeout, 45);
	CU_ASSERT_STRING_EQUAL(c.status.path, "/run/natt.status");
	CU_ASSERT_EQUAL(c.status_every, 5);
	CU_ASSERT_EQUAL(c.verb, 4);
	CU_ASSERT_EQUAL(c.path_mtu, 1400);
	CU_ASSERT_TRUE(c.legacy_passthrough);
}

/* Each bad line gives an error naming file:line and the setting. */
static void test_bad_lines(void)
{
	static const struct {
		const char *line, *want;
	} cases[] = {
		{"frobnicate 1", "natt.conf:2: frobnicate: unknown setting"},
		{"role boss", "natt.conf:2: role: must be server or client, not: 'boss'"},
		{"role", "natt.conf:2: role: takes 1 argument, not 0"},
		{"name a b", "natt.conf:2: name: takes 1 argument, not 2"},
		{"name bad/name", "natt.conf:2: name: must be 1-63 characters"},
		{"rendezvous host:0", "natt.conf:2: rendezvous: bad address"},
		{"rendezvous [::1", "natt.conf:2: rendezvous: bad address"},
		{"openvpn-address 10.0.0.1:1194", "natt.conf:2: openvpn-address: bad address"},
		{"openvpn-address 127.0.0.1", "natt.conf:2: openvpn-address: bad address"},
		{"public-port 0", "natt.conf:2: public-port: want 1-65535 or random"},
		{"public-port 65536", "natt.conf:2: public-port: want 1-65535 or random"},
		{"cipher BF-CBC", "natt.conf:2: cipher: want AES-256-GCM or CHACHA20-POLY1305"},
		{"keepalive 0", "natt.conf:2: keepalive: interval must be 1-300 s"},
		{"keepalive 10 20", "natt.conf:2: keepalive: timeout must be"},
		{"status /x 0", "natt.conf:2: status: seconds must be 1-86400"},
		{"verb 12", "natt.conf:2: verb: want 0-11"},
		{"path-mtu 575", "natt.conf:2: path-mtu: want 576-65535"},
		{"legacy-passthrough maybe", "natt.conf:2: legacy-passthrough: want yes or no"},
		{"<ca>\nx\n</ca>", "natt.conf:2: ca: inline blocks are not supported"},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct natt_pconf c;
		char text[256], err[512] = "";

		snprintf(text, sizeof(text), "role server\n%s\n", cases[i].line);
		CU_ASSERT_EQUAL(load(&c, text, err, sizeof(err)), NATT_ERR_SYNTAX);
		if (strstr(err, cases[i].want) == NULL) {
			CU_FAIL("wrong message");
			fprintf(stderr, "\n[%s]: got [%s], want [%s]\n", cases[i].line, err,
				cases[i].want);
		}
	}
}

static void test_too_many_rendezvous(void)
{
	struct natt_pconf c;
	char err[512];

	CU_ASSERT_EQUAL(load(&c,
			     "rendezvous a\nrendezvous b\nrendezvous c\nrendezvous d\n"
			     "rendezvous e\n",
			     err, sizeof(err)),
			NATT_ERR_SYNTAX);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "natt.conf:5: rendezvous: too many"));
}

static void test_missing_file(void)
{
	struct natt_pconf c;
	char err[512];

	natt_pconf_init(&c);
	CU_ASSERT_EQUAL(natt_pconf_load(&c, "/nonexistent/natt.conf", err, sizeof(err)),
			NATT_ERR_IO);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "/nonexistent/natt.conf"));
}

static void test_override(void)
{
	struct natt_pconf c;
	char err[512] = "";

	CU_ASSERT_EQUAL_FATAL(load(&c, "role server\nname office\n", err, sizeof(err)), NATT_OK);
	CU_ASSERT_EQUAL(natt_pconf_override(&c, "role=client", 2, err, sizeof(err)), NATT_OK);
	CU_ASSERT_EQUAL(c.role, NATT_PROLE_CLIENT);
	CU_ASSERT_EQUAL(natt_pconf_override(&c, "keepalive=5 30", 3, err, sizeof(err)), NATT_OK);
	CU_ASSERT_EQUAL(c.keepalive, 5);
	CU_ASSERT_EQUAL(c.keepalive_timeout, 30);
	CU_ASSERT_EQUAL(natt_pconf_override(&c, "role", 4, err, sizeof(err)), NATT_ERR_SYNTAX);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "plugin argument 4: role: want key=value"));
	CU_ASSERT_EQUAL(natt_pconf_override(&c, "verb=x", 5, err, sizeof(err)), NATT_ERR_SYNTAX);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "plugin argument 5: verb: want 0-11"));
	CU_ASSERT_EQUAL(natt_pconf_override(&c, "=1", 6, err, sizeof(err)), NATT_ERR_SYNTAX);
}

static void test_learn_openvpn(void)
{
	struct natt_pconf c;
	char err[512], warn[512], env_config[300];
	const char *ovpn = write_file("server.conf", "dev tun\nca ca.crt\ncert /pki/s.crt\n"
						     "<key>\nPEM\n</key>\ntun-mtu 1400\n"
						     "mssfix 1360\ncomp-lzo no\n");
	const char *envp[] = {env_config, "verb=4", "local_1=127.0.0.1", "local_port_1=1194", NULL};

	snprintf(env_config, sizeof(env_config), "config=%s", ovpn);
	CU_ASSERT_EQUAL_FATAL(load(&c, "role server\ncert /mine.crt\n", err, sizeof(err)), NATT_OK);
	CU_ASSERT_EQUAL(natt_pconf_learn_openvpn(&c, envp, warn, sizeof(warn)), NATT_OK);
	CU_ASSERT_STRING_EQUAL(warn, "");
	CU_ASSERT_EQUAL(c.verb, 4);
	CU_ASSERT_EQUAL(c.openvpn_port, 1194);
	CU_ASSERT_STRING_EQUAL(c.ca.path, "ca.crt");
	CU_ASSERT_PTR_NOT_NULL(strstr(c.ca.where, "server.conf:2"));
	CU_ASSERT_STRING_EQUAL(c.cert.path, "/mine.crt"); /* the plugin's own wins */
	CU_ASSERT_STRING_EQUAL(c.key.path, "");		  /* inline: not usable */
	CU_ASSERT_PTR_NOT_NULL(strstr(c.key.where, "server.conf:4 (inline"));
	CU_ASSERT_TRUE(c.ov_known);
	CU_ASSERT_EQUAL(c.ov_mtu.tun_mtu, 1400);
	CU_ASSERT_EQUAL(c.ov_mtu.mssfix, 1360);
	CU_ASSERT_TRUE(c.ov_mtu.compress);
}

static void test_learn_client_address(void)
{
	struct natt_pconf c;
	char err[512], warn[512];
	const char *envp[] = {"remote_1=127.0.0.1", "remote_port_1=1300", NULL};
	const char *envp_public[] = {"remote_1=203.0.113.1", "remote_port_1=1194",
				     "config=/nonexistent.conf", NULL};

	CU_ASSERT_EQUAL_FATAL(load(&c, "role client\n", err, sizeof(err)), NATT_OK);
	natt_pconf_learn_openvpn(&c, envp, warn, sizeof(warn));
	CU_ASSERT_EQUAL(c.openvpn_port, 1300);
	CU_ASSERT_EQUAL(c.verb, 1); /* OpenVPN's default */

	CU_ASSERT_EQUAL_FATAL(load(&c, "role client\n", err, sizeof(err)), NATT_OK);
	natt_pconf_learn_openvpn(&c, envp_public, warn, sizeof(warn));
	CU_ASSERT_EQUAL(c.openvpn_port, 0); /* not loopback: not learnt */
	CU_ASSERT_PTR_NOT_NULL(strstr(warn, "/nonexistent.conf"));
	CU_ASSERT_FALSE(c.ov_known); /* no MTU check on a config not read */
}

/* A NUL-separated argument list as /proc/self/cmdline holds it. */
#define ARGS(s) (s), sizeof(s)

static void test_learn_cmdline(void)
{
	struct natt_pconf c;
	char err[512];

	CU_ASSERT_EQUAL_FATAL(load(&c, "role server\n", err, sizeof(err)), NATT_OK);
	natt_pconf_learn_cmdline(&c, ARGS("openvpn\0--config\0s.conf\0--user\0nobody\0"
					  "--group\0nogroup\0--daemon"));
	CU_ASSERT_STRING_EQUAL(c.user.name, "nobody");
	CU_ASSERT_STRING_EQUAL(c.group.name, "nogroup");
	CU_ASSERT_STRING_EQUAL(c.user.where, "OpenVPN's command line");

	/* the plugin's own setting wins; a trailing --user has no value */
	CU_ASSERT_EQUAL_FATAL(load(&c, "role server\nuser natt\n", err, sizeof(err)), NATT_OK);
	natt_pconf_learn_cmdline(&c, ARGS("openvpn\0--user\0nobody\0--group"));
	CU_ASSERT_STRING_EQUAL(c.user.name, "natt");
	CU_ASSERT_STRING_EQUAL(c.group.name, "");

	/* a value cut off by the end of the buffer (no NUL) is not taken */
	CU_ASSERT_EQUAL_FATAL(load(&c, "role server\n", err, sizeof(err)), NATT_OK);
	natt_pconf_learn_cmdline(&c, "--user\0nob", 10);
	CU_ASSERT_STRING_EQUAL(c.user.name, "");
	natt_pconf_learn_cmdline(&c, "", 0);
	CU_ASSERT_STRING_EQUAL(c.user.name, "");
}

static void check_fails(const char *text, const char *want)
{
	struct natt_pconf c;
	char err[1024] = "";

	CU_ASSERT_EQUAL_FATAL(load(&c, text, err, sizeof(err)), NATT_OK);
	CU_ASSERT_EQUAL(natt_pconf_check(&c, err, sizeof(err)), NATT_ERR_INVALID);
	if (strstr(err, want) == NULL) {
		CU_FAIL("wrong message");
		fprintf(stderr, "\ngot [%s], want [%s]\n", err, want);
	}
}

static void test_check(void)
{
	char good[1024], text[1200];
	const char *pem = write_file("x.pem", "PEM\n");
	struct natt_pconf c;
	char err[1024];

	snprintf(good, sizeof(good),
		 "role server\nname office\nrendezvous 127.0.0.1\nnetwork-key /k\n"
		 "openvpn-address 127.0.0.1:1194\nca %s\ncert %s\nkey %s\n",
		 pem, pem, pem);
	CU_ASSERT_EQUAL_FATAL(load(&c, good, err, sizeof(err)), NATT_OK);
	CU_ASSERT_EQUAL(natt_pconf_check(&c, err, sizeof(err)), NATT_OK);

	check_fails("name office\n", "natt.conf: missing required setting 'role'");
	check_fails("role server\n", "natt.conf: missing required setting 'name'");
	check_fails("role client\nname a\n", "missing required setting 'server-name'");
	check_fails("role server\nname a\n", "missing required setting 'rendezvous'");
	check_fails("role server\nname a\nrendezvous r\n",
		    "missing required setting 'network-key'");
	check_fails("role server\nname a\nrendezvous r\nnetwork-key k\n",
		    "missing required setting 'openvpn-address' (127.0.0.1:PORT; or 'local");
	check_fails("role server\nname a\nrendezvous r\nnetwork-key k\nopenvpn-address "
		    "127.0.0.1:1\n",
		    "missing required setting 'ca' (not set here, none in OpenVPN's config)");
	snprintf(text, sizeof(text), "%scert /nonexistent.crt\n", good);
	check_fails(text, "natt.conf:9: cert: cannot read '/nonexistent.crt': No such file");
	snprintf(text, sizeof(text), "%spath-mtu 1400\n", good);
	CU_ASSERT_EQUAL_FATAL(load(&c, text, err, sizeof(err)), NATT_OK);
	c.ov_known = true;
	c.ov_mtu.tun_mtu = 1400;
	CU_ASSERT_EQUAL(natt_pconf_check(&c, err, sizeof(err)), NATT_ERR_INVALID);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "set 'tun-mtu 1314' and 'mssfix 1366'"));
}

/* legacy-passthrough and keylog pass the whole-config check on a server;
 * the pass-through is refused on a client (it has no public listener). */
static void test_check_legacy_keylog(void)
{
	char good[1024], text[1300];
	const char *pem = write_file("y.pem", "PEM\n");
	struct natt_pconf c;
	char err[1024];

	snprintf(good, sizeof(good),
		 "name a\nrendezvous 127.0.0.1\nnetwork-key /k\n"
		 "openvpn-address 127.0.0.1:1194\nca %s\ncert %s\nkey %s\nserver-name office\n",
		 pem, pem, pem);
	snprintf(text, sizeof(text), "role server\n%slegacy-passthrough yes\nkeylog /tmp/kl\n",
		 good);
	CU_ASSERT_EQUAL_FATAL(load(&c, text, err, sizeof(err)), NATT_OK);
	CU_ASSERT_TRUE(c.legacy_passthrough);
	CU_ASSERT_STRING_EQUAL(c.keylog.path, "/tmp/kl");
	CU_ASSERT_PTR_NOT_NULL(strstr(c.keylog.where, "natt.conf:11"));
	CU_ASSERT_EQUAL(natt_pconf_check(&c, err, sizeof(err)), NATT_OK);

	snprintf(text, sizeof(text), "role client\n%skeylog /tmp/kl\n", good);
	CU_ASSERT_EQUAL_FATAL(load(&c, text, err, sizeof(err)), NATT_OK);
	CU_ASSERT_EQUAL(natt_pconf_check(&c, err, sizeof(err)), NATT_OK);
	snprintf(text, sizeof(text), "role client\n%slegacy-passthrough no\n", good);
	CU_ASSERT_EQUAL_FATAL(load(&c, text, err, sizeof(err)), NATT_OK);
	CU_ASSERT_EQUAL(natt_pconf_check(&c, err, sizeof(err)), NATT_OK);
	snprintf(text, sizeof(text), "role client\n%slegacy-passthrough yes\n", good);
	check_fails(text, "natt.conf: legacy-passthrough yes: only for role server");
}

static void test_role_names(void)
{
	CU_ASSERT_STRING_EQUAL(natt_prole_name(NATT_PROLE_SERVER), "server");
	CU_ASSERT_STRING_EQUAL(natt_prole_name(NATT_PROLE_CLIENT), "client");
	CU_ASSERT_STRING_EQUAL(natt_prole_name(NATT_PROLE_UNSET), "unset");
}

static void test_setup(void)
{
	CU_ASSERT_EQUAL_FATAL(setup(), 0);
}

static void test_cleanup(void)
{
	cleanup();
}

static const struct natt_test tests[] = {
	{"setup", test_setup},
	{"defaults", test_defaults},
	{"every setting", test_every_setting},
	{"bad lines name file:line and setting", test_bad_lines},
	{"at most 4 rendezvous", test_too_many_rendezvous},
	{"missing file", test_missing_file},
	{"key=value overrides", test_override},
	{"learnt from OpenVPN's config and environment", test_learn_openvpn},
	{"client address learnt only when loopback", test_learn_client_address},
	{"--user/--group learnt from OpenVPN's command line", test_learn_cmdline},
	{"whole-config check", test_check},
	{"legacy-passthrough server only, keylog accepted", test_check_legacy_keylog},
	{"role names", test_role_names},
	{"cleanup", test_cleanup},
	{NULL, NULL},
};

int natt_suite_pconf(void)
{
	return natt_add_suite("pconf", tests);
}
