/*
 * test_conf.c: the OpenVPN-style configuration tokenizer (transport/conf.c).
 * The expected tokens are what OpenVPN 2.6's parse_line() makes of the same
 * lines.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "conf.h"
#include "unit.h"

/* Splits line; returns argc and leaves the tokens joined by '|' in out. */
static int split(const char *line, char *out, size_t cap)
{
	char *argv[NATT_CONF_MAX_ARGS + 1], buf[2048], err[160];
	int n = natt_conf_split(line, strlen(line), argv, NATT_CONF_MAX_ARGS, buf, sizeof(buf), err,
				sizeof(err));

	out[0] = '\0';
	if (n < 0) {
		snprintf(out, cap, "ERR %s", err);
		return n;
	}
	for (int i = 0; i < n; i++) {
		strncat(out, argv[i], cap - strlen(out) - 1);
		if (i + 1 < n)
			strncat(out, "|", cap - strlen(out) - 1);
	}
	CU_ASSERT_PTR_NULL(argv[n]);
	return n;
}

static void check_split(const char *line, int argc, const char *joined)
{
	char out[1024];
	int n = split(line, out, sizeof(out));

	CU_ASSERT_EQUAL(n, argc);
	if (argc >= 0)
		CU_ASSERT_STRING_EQUAL(out, joined);
	if (n != argc || (argc >= 0 && strcmp(out, joined) != 0))
		fprintf(stderr, "\nsplit [%s]: got %d [%s], want %d [%s]\n", line, n, out, argc,
			joined);
}

static void test_split_basic(void)
{
	check_split("listen 0.0.0.0:3478", 2, "listen|0.0.0.0:3478");
	check_split("  \t network   alpha\t/etc/key  ", 3, "network|alpha|/etc/key");
	check_split("", 0, "");
	check_split("   ", 0, "");
	check_split("# a comment", 0, "");
	check_split("; a comment", 0, "");
	check_split("   # indented comment", 0, "");
	check_split("verb 4 # trailing comment", 2, "verb|4");
	check_split("verb 4 ;trailing", 2, "verb|4");
	check_split("a#b c;d", 2, "a#b|c;d"); /* only a token's first character opens one */
	check_split("x\r", 1, "x");
}

static void test_split_quotes(void)
{
	check_split("network \"my net\" key", 3, "network|my net|key");
	check_split("network 'my net' key", 3, "network|my net|key");
	check_split("a \"\" b", 3, "a||b");
	check_split("a 'x\\y' b", 3, "a|x\\y|b");     /* no escapes in '...' */
	check_split("a \"x\\\"y\" b", 3, "a|x\"y|b"); /* \" in "..." */
	check_split("a \"x\\\\y\"", 2, "a|x\\y");     /* \\ in "..." */
	check_split("a x\\ y", 2, "a|x y");	      /* escaped blank */
	check_split("a \"# not a comment\"", 2, "a|# not a comment");
	check_split("a \"x\"y", 3, "a|x|y");
	check_split("a \"unclosed", NATT_ERR_SYNTAX, "");
	check_split("a 'unclosed", NATT_ERR_SYNTAX, "");
	check_split("a x\\y", NATT_ERR_SYNTAX, "");
	check_split("a \"\\n\"", NATT_ERR_SYNTAX, "");
}

static void test_split_limits(void)
{
	char line[1024], out[2048];
	int n;

	strcpy(line, "d");
	for (int i = 1; i < NATT_CONF_MAX_ARGS; i++)
		strcat(line, " a");
	CU_ASSERT_EQUAL(split(line, out, sizeof(out)), NATT_CONF_MAX_ARGS);
	strcat(line, " a");
	n = split(line, out, sizeof(out));
	CU_ASSERT_EQUAL(n, NATT_ERR_SYNTAX);
	CU_ASSERT_PTR_NOT_NULL(strstr(out, "too many arguments"));

	memset(line, 'x', NATT_CONF_MAX_TOKEN - 1);
	line[NATT_CONF_MAX_TOKEN - 1] = '\0';
	CU_ASSERT_EQUAL(split(line, out, sizeof(out)), 1);
	strcat(line, "x");
	CU_ASSERT_EQUAL(split(line, out, sizeof(out)), NATT_ERR_SYNTAX);
}

/* Reads all of text; returns the directives as "line:a|b;" in out. */
static int read_all(const char *text, char *out, size_t cap, char *err, size_t errlen)
{
	struct natt_conf_reader r;
	struct natt_conf_line l;
	int rc;

	out[0] = '\0';
	natt_conf_reader_init(&r, text, strlen(text), "t.conf");
	while ((rc = natt_conf_next(&r, &l, err, errlen)) == 1) {
		char item[512];

		snprintf(item, sizeof(item), "%zu:", l.lineno);
		strncat(out, item, cap - strlen(out) - 1);
		for (int i = 0; i < l.argc; i++) {
			strncat(out, l.argv[i], cap - strlen(out) - 1);
			strncat(out, i + 1 < l.argc ? "|" : "", cap - strlen(out) - 1);
		}
		if (l.inline_text != NULL) {
			snprintf(item, sizeof(item), "{%.*s}", (int)l.inline_len, l.inline_text);
			strncat(out, item, cap - strlen(out) - 1);
		}
		strncat(out, ";", cap - strlen(out) - 1);
	}
	return rc;
}

static void test_reader(void)
{
	char out[1024], err[256];

	CU_ASSERT_EQUAL(read_all("\xEF\xBB\xBF# comment\n\nlisten [::]:3478\r\n"
				 "--verb 4\n; x\nnetwork a 'b c'",
				 out, sizeof(out), err, sizeof(err)),
			0);
	CU_ASSERT_STRING_EQUAL(out, "3:listen|[::]:3478;4:verb|4;6:network|a|b c;");

	CU_ASSERT_EQUAL(read_all("a\n<ca>\nline 1\n  line 2\n</ca>\nb 1\n", out, sizeof(out), err,
				 sizeof(err)),
			0);
	CU_ASSERT_STRING_EQUAL(out, "1:a;2:ca{line 1\n  line 2\n};6:b|1;");
	CU_ASSERT_EQUAL(read_all("<ca>\n  </ca>\n", out, sizeof(out), err, sizeof(err)), 0);
	CU_ASSERT_STRING_EQUAL(out, "1:ca{};");
}

static void test_reader_errors(void)
{
	char out[1024], err[256], big[NATT_CONF_MAX_LINE + 16];

	CU_ASSERT_EQUAL(read_all("a\nb\nc \"open\n", out, sizeof(out), err, sizeof(err)),
			NATT_ERR_SYNTAX);
	CU_ASSERT_STRING_EQUAL(err, "t.conf:3: no closing quotation (\")");
	CU_ASSERT_EQUAL(read_all("a\n<key>\nx\n", out, sizeof(out), err, sizeof(err)),
			NATT_ERR_SYNTAX);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "t.conf:2: no closing </key>"));
	CU_ASSERT_EQUAL(read_all("--\n", out, sizeof(out), err, sizeof(err)), NATT_ERR_SYNTAX);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "t.conf:1: empty directive"));
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	CU_ASSERT_EQUAL(read_all(big, out, sizeof(out), err, sizeof(err)), NATT_ERR_SYNTAX);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "t.conf:1: line too long"));
}

static void test_uint(void)
{
	uint64_t v = 7;

	CU_ASSERT_EQUAL(natt_conf_uint("0", 0, 10, &v), NATT_OK);
	CU_ASSERT_EQUAL(v, 0);
	CU_ASSERT_EQUAL(natt_conf_uint("18446744073709551615", 0, UINT64_MAX, &v), NATT_OK);
	CU_ASSERT_EQUAL(v, UINT64_MAX);
	CU_ASSERT_EQUAL(natt_conf_uint("18446744073709551616", 0, UINT64_MAX, &v),
			NATT_ERR_BAD_VALUE);
	CU_ASSERT_EQUAL(natt_conf_uint("11", 0, 10, &v), NATT_ERR_BAD_VALUE);
	CU_ASSERT_EQUAL(natt_conf_uint("4", 5, 10, &v), NATT_ERR_BAD_VALUE);
	CU_ASSERT_EQUAL(natt_conf_uint("", 0, 10, &v), NATT_ERR_BAD_VALUE);
	CU_ASSERT_EQUAL(natt_conf_uint("-1", 0, 10, &v), NATT_ERR_BAD_VALUE);
	CU_ASSERT_EQUAL(natt_conf_uint(" 1", 0, 10, &v), NATT_ERR_BAD_VALUE);
	CU_ASSERT_EQUAL(natt_conf_uint("1k", 0, 10, &v), NATT_ERR_BAD_VALUE);
}

static void check_hp(const char *s, int rc, const char *host, uint16_t port)
{
	char h[64] = "";
	uint16_t p = 0;

	CU_ASSERT_EQUAL(natt_conf_hostport(s, 3478, h, sizeof(h), &p), rc);
	if (rc == NATT_OK) {
		CU_ASSERT_STRING_EQUAL(h, host);
		CU_ASSERT_EQUAL(p, port);
	}
}

static void test_hostport(void)
{
	check_hp("0.0.0.0:3478", NATT_OK, "0.0.0.0", 3478);
	check_hp("192.0.2.1", NATT_OK, "192.0.2.1", 3478);
	check_hp("[::]:4000", NATT_OK, "::", 4000);
	check_hp("[2001:db8::1]", NATT_OK, "2001:db8::1", 3478);
	check_hp("2001:db8::1", NATT_OK, "2001:db8::1", 3478);
	check_hp("rdv.example.org:53", NATT_OK, "rdv.example.org", 53);
	check_hp("host:0", NATT_OK, "host", 0);
	check_hp("host:65536", NATT_ERR_BAD_VALUE, "", 0);
	check_hp("host:", NATT_ERR_BAD_VALUE, "", 0);
	check_hp(":3478", NATT_ERR_BAD_VALUE, "", 0);
	check_hp("[::1", NATT_ERR_BAD_VALUE, "", 0);
	check_hp("[::1]x", NATT_ERR_BAD_VALUE, "", 0);
	check_hp("[]:1", NATT_ERR_BAD_VALUE, "", 0);
	check_hp("a-very-long-host-name-that-does-not-fit-in-the-buffer-given.example:1",
		 NATT_ERR_BUFFER, "", 0);
}

/* A FIFO or a directory named as a config file is refused at once (a FIFO
 * with no writer must not hang the loader); a regular file loads. */
static void test_load_file_types(void)
{
	char dir[] = "/tmp/natt-conf-XXXXXX", path[64], err[256], *text = NULL;
	size_t len = 0;
	FILE *f;

	CU_ASSERT_FATAL(mkdtemp(dir) != NULL);
	snprintf(path, sizeof(path), "%s/fifo", dir);
	CU_ASSERT_FATAL(mkfifo(path, 0600) == 0);
	CU_ASSERT_EQUAL(natt_conf_load(path, &text, &len, err, sizeof(err)), NATT_ERR_IO);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "not a regular file"));
	unlink(path);
	CU_ASSERT_EQUAL(natt_conf_load(dir, &text, &len, err, sizeof(err)), NATT_ERR_IO);
	snprintf(path, sizeof(path), "%s/ok.conf", dir);
	f = fopen(path, "w");
	CU_ASSERT_FATAL(f != NULL);
	fputs("role server\n", f);
	fclose(f);
	CU_ASSERT_EQUAL(natt_conf_load(path, &text, &len, err, sizeof(err)), NATT_OK);
	CU_ASSERT_EQUAL(len, 12);
	free(text);
	unlink(path);
	rmdir(dir);
}

static const struct natt_test tests[] = {
	{"split_basic", test_split_basic},
	{"split_quotes", test_split_quotes},
	{"split_limits", test_split_limits},
	{"reader", test_reader},
	{"reader_errors", test_reader_errors},
	{"uint", test_uint},
	{"hostport", test_hostport},
	{"load: file types", test_load_file_types},
	{NULL, NULL},
};

int natt_suite_conf(void)
{
	return natt_add_suite("conf", tests);
}
