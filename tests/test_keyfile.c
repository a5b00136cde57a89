/*
 * test_keyfile.c: key file parsing, formatting and the file-system wrappers
 * (transport/keyfile.c).  Files live in a fresh mkdtemp() directory that
 * each test removes.
 */
/* O_CLOEXEC, fsync, mkdtemp and friends are POSIX.1-2008, not ISO C11. */
#ifndef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 200809L
#endif

#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "keyfile.h"
#include "unit.h"

#define KEY_HEX	      "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"
#define KEY_HEX_UPPER "000102030405060708090A0B0C0D0E0F101112131415161718191A1B1C1D1E1F"
#define NET_LINE      "natt-network-key v1"
#define RDV_LINE      "natt-rendezvous-key v1"

static void key_a(uint8_t k[NATT_KEY_LEN])
{
	for (int i = 0; i < NATT_KEY_LEN; i++)
		k[i] = (uint8_t)i;
}

/* ---- temporary directory ---- */

struct tmp {
	char dir[64];
	char path[128];
};

static void tmp_open(struct tmp *t)
{
	strcpy(t->dir, "/tmp/natt-keyfile-XXXXXX");
	CU_ASSERT_PTR_NOT_NULL_FATAL(mkdtemp(t->dir));
}

/* Path of name inside the directory (kept in t->path). */
static const char *tmp_path(struct tmp *t, const char *name)
{
	snprintf(t->path, sizeof(t->path), "%s/%s", t->dir, name);
	return t->path;
}

static void tmp_close(struct tmp *t)
{
	char p[sizeof(t->dir) + sizeof(((struct dirent *)0)->d_name) + 1];
	DIR *d = opendir(t->dir);
	struct dirent *e;

	CU_ASSERT_PTR_NOT_NULL_FATAL(d);
	while ((e = readdir(d)) != NULL) {
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		snprintf(p, sizeof(p), "%s/%s", t->dir, e->d_name);
		if (remove(p) != 0)
			CU_FAIL("cannot remove a test file");
	}
	closedir(d);
	CU_ASSERT_EQUAL(rmdir(t->dir), 0);
}

static void write_text(const char *path, const char *text, mode_t mode)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, mode);

	CU_ASSERT_FATAL(fd >= 0);
	CU_ASSERT_EQUAL(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	CU_ASSERT_EQUAL(fchmod(fd, mode), 0);
	close(fd);
}

static int parse_str(const char *text, enum natt_key_kind *kind, uint8_t key[NATT_KEY_LEN],
		     char *err, size_t errlen)
{
	return natt_keyfile_parse(text, strlen(text), "k.key", kind, key, err, errlen);
}

/* ---- parse ---- */

static void expect_valid(const char *text, enum natt_key_kind want_kind)
{
	uint8_t key[NATT_KEY_LEN], want[NATT_KEY_LEN];
	enum natt_key_kind kind = 0;
	char err[256] = "";

	key_a(want);
	CU_ASSERT_EQUAL(parse_str(text, &kind, key, err, sizeof(err)), NATT_OK);
	CU_ASSERT_STRING_EQUAL(err, "");
	CU_ASSERT_EQUAL(kind, want_kind);
	CU_ASSERT_EQUAL(memcmp(key, want, NATT_KEY_LEN), 0);
}

static void test_parse_valid(void)
{
	expect_valid(NET_LINE "\n" KEY_HEX "\n", NATT_KEY_NETWORK);
	expect_valid(NET_LINE "\n" KEY_HEX, NATT_KEY_NETWORK); /* no final newline */
	expect_valid(RDV_LINE "\n" KEY_HEX "\n", NATT_KEY_RENDEZVOUS);
	expect_valid("# comment\n\n   # indented comment\n\t\n" NET_LINE "\n# between\n\n" KEY_HEX
		     "\n# after\n\n",
		     NATT_KEY_NETWORK);
	expect_valid("# c\r\n" NET_LINE "\r\n" KEY_HEX "\r\n", NATT_KEY_NETWORK);
	expect_valid(NET_LINE "  \t\n" KEY_HEX_UPPER " \r\n", NATT_KEY_NETWORK);
}

static void expect_error(const char *text, size_t len, const char *want_msg)
{
	uint8_t key[NATT_KEY_LEN], untouched[NATT_KEY_LEN];
	enum natt_key_kind kind = 0;
	char err[256] = "";

	memset(key, 0xaa, sizeof(key));
	memset(untouched, 0xaa, sizeof(untouched));
	CU_ASSERT_EQUAL(natt_keyfile_parse(text, len, "k.key", &kind, key, err, sizeof(err)),
			NATT_ERR_SYNTAX);
	CU_ASSERT_STRING_EQUAL(err, want_msg);
	CU_ASSERT_EQUAL(kind, 0);
	CU_ASSERT_EQUAL(memcmp(key, untouched, NATT_KEY_LEN), 0);
}

static void expect_error_str(const char *text, const char *want_msg)
{
	expect_error(text, strlen(text), want_msg);
}

#define EXPECTED_KIND "expected 'natt-network-key v1' or 'natt-rendezvous-key v1'"

static void test_parse_errors(void)
{
	expect_error_str("", "k.key: no key found");
	expect_error_str("# nothing\n\n", "k.key: no key found");
	expect_error_str(NET_LINE "\n# no key\n", "k.key: no key found");
	expect_error_str("natt-network-key v2\n" KEY_HEX "\n", "k.key:1: " EXPECTED_KIND);
	expect_error_str("# c\n\n " NET_LINE "\n" KEY_HEX "\n", "k.key:3: " EXPECTED_KIND);
	expect_error_str("# c\n" KEY_HEX "\n", "k.key:2: " EXPECTED_KIND);
	expect_error_str(NET_LINE "\n# c\nabc\n",
			 "k.key:3: key must be 64 hex digits (got 3 characters)");
	expect_error_str(NET_LINE "\n" KEY_HEX "0\n",
			 "k.key:2: key must be 64 hex digits (got 65 characters)");
	expect_error_str(NET_LINE "\n  " KEY_HEX "\n",
			 "k.key:2: key must be 64 hex digits (got 66 characters)");
	expect_error_str(NET_LINE "\n" NET_LINE "\n",
			 "k.key:2: key must be 64 hex digits (got 19 characters)");
	expect_error_str(NET_LINE
			 "\n"
			 "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1g\n",
			 "k.key:2: key must be 64 hex digits (non-hex character at column 64)");
	expect_error_str(NET_LINE
			 "\n"
			 "x00102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f\n",
			 "k.key:2: key must be 64 hex digits (non-hex character at column 1)");
	expect_error_str(NET_LINE "\n" KEY_HEX "\n\n# c\nextra\n",
			 "k.key:5: unexpected text after the key");
	expect_error_str(NET_LINE "\n" KEY_HEX "\n" KEY_HEX "\n",
			 "k.key:3: unexpected text after the key");
	expect_error_str(NET_LINE "\n" KEY_HEX " # trailing comment\n",
			 "k.key:2: key must be 64 hex digits (got 83 characters)");
}

static void test_parse_nul(void)
{
	static const char text[] = NET_LINE "\n" KEY_HEX "\n#\0\n";
	static const char early[] = "# a\0b\n" NET_LINE "\n" KEY_HEX "\n";

	expect_error(text, sizeof(text) - 1, "k.key:3: NUL byte; not a key file");
	expect_error(early, sizeof(early) - 1, "k.key:1: NUL byte; not a key file");
}

/* A valid file padded with comment lines to exactly len bytes. */
static char *padded_file(size_t len)
{
	static const char tail[] = NET_LINE "\n" KEY_HEX "\n";
	char *buf = malloc(len);

	CU_ASSERT_PTR_NOT_NULL_FATAL(buf);
	memset(buf, '#', len);
	for (size_t i = 79; i < len; i += 80)
		buf[i] = '\n';
	memcpy(buf + len - (sizeof(tail) - 1), tail, sizeof(tail) - 1);
	buf[len - sizeof(tail)] = '\n';
	return buf;
}

static void test_parse_size_limit(void)
{
	char *ok = padded_file(65536), *big = padded_file(65537);
	uint8_t key[NATT_KEY_LEN];
	enum natt_key_kind kind;
	char err[256] = "";

	CU_ASSERT_EQUAL(natt_keyfile_parse(ok, 65536, "k.key", &kind, key, err, sizeof(err)),
			NATT_OK);
	expect_error(big, 65537, "k.key: larger than 65536 bytes; not a key file");
	free(ok);
	free(big);
}

static void test_parse_no_err_buffer(void)
{
	uint8_t key[NATT_KEY_LEN];
	enum natt_key_kind kind;

	CU_ASSERT_EQUAL(natt_keyfile_parse("x", 1, "k", &kind, key, NULL, 0), NATT_ERR_SYNTAX);
}

/* ---- format ---- */

static void test_format(void)
{
	static const char want_net[] =
		"# openvpn-natt network key. Keep it secret: anyone holding it\n"
		"# can join this network. Mode 0600.\n" NET_LINE "\n" KEY_HEX "\n";
	static const char want_rdv[] =
		"# openvpn-natt rendezvous key. Keep it secret: anyone holding it\n"
		"# can act as its rendezvous. Mode 0600.\n" RDV_LINE "\n" KEY_HEX "\n";
	uint8_t key[NATT_KEY_LEN];
	char buf[512];

	key_a(key);
	CU_ASSERT_EQUAL(natt_keyfile_format(buf, sizeof(buf), NATT_KEY_NETWORK, key),
			(int)strlen(want_net));
	CU_ASSERT_STRING_EQUAL(buf, want_net);
	CU_ASSERT_EQUAL(natt_keyfile_format(buf, sizeof(buf), NATT_KEY_RENDEZVOUS, key),
			(int)strlen(want_rdv));
	CU_ASSERT_STRING_EQUAL(buf, want_rdv);
	CU_ASSERT_EQUAL(natt_keyfile_format(buf, sizeof(buf), 0, key), NATT_ERR_INVALID);
	CU_ASSERT_EQUAL(natt_keyfile_format(buf, sizeof(buf), 3, key), NATT_ERR_INVALID);
}

static void test_format_buffer(void)
{
	uint8_t key[NATT_KEY_LEN];
	char buf[512];
	int n;

	key_a(key);
	n = natt_keyfile_format(buf, sizeof(buf), NATT_KEY_NETWORK, key);
	CU_ASSERT_FATAL(n > 0);
	for (size_t cap = 0; cap <= (size_t)n; cap++)
		CU_ASSERT_EQUAL(natt_keyfile_format(buf, cap, NATT_KEY_NETWORK, key),
				NATT_ERR_BUFFER);
	CU_ASSERT_EQUAL(natt_keyfile_format(buf, (size_t)n + 1, NATT_KEY_NETWORK, key), n);
}

static void test_format_parse_roundtrip(void)
{
	static const enum natt_key_kind kinds[] = {NATT_KEY_NETWORK, NATT_KEY_RENDEZVOUS};
	uint8_t key[NATT_KEY_LEN], back[NATT_KEY_LEN];
	enum natt_key_kind kind;
	char buf[512], err[256];

	for (int round = 0; round < 64; round++) {
		for (int i = 0; i < NATT_KEY_LEN; i++)
			key[i] = (uint8_t)(round * 37 + i * 101 + (round & i));
		for (int k = 0; k < 2; k++) {
			int n = natt_keyfile_format(buf, sizeof(buf), kinds[k], key);

			CU_ASSERT_FATAL(n > 0);
			CU_ASSERT_EQUAL(natt_keyfile_parse(buf, (size_t)n, "f", &kind, back, err,
							   sizeof(err)),
					NATT_OK);
			CU_ASSERT_EQUAL(kind, kinds[k]);
			CU_ASSERT_EQUAL(memcmp(key, back, NATT_KEY_LEN), 0);
		}
	}
}

/* ---- files ---- */

static void test_write_and_load(void)
{
	uint8_t key[NATT_KEY_LEN], back[NATT_KEY_LEN];
	enum natt_key_kind kind = 0;
	char err[256] = "", warn[256] = "x";
	struct stat st;
	struct tmp t;
	mode_t old = umask(022);

	tmp_open(&t);
	key_a(key);
	CU_ASSERT_EQUAL(natt_keyfile_write(tmp_path(&t, "rdv.key"), NATT_KEY_RENDEZVOUS, key, err,
					   sizeof(err)),
			NATT_OK);
	CU_ASSERT_EQUAL(stat(t.path, &st), 0);
	CU_ASSERT_EQUAL(st.st_mode & 07777, 0600);
	CU_ASSERT_EQUAL(
		natt_keyfile_load(t.path, &kind, back, err, sizeof(err), warn, sizeof(warn)),
		NATT_OK);
	CU_ASSERT_STRING_EQUAL(warn, "");
	CU_ASSERT_EQUAL(kind, NATT_KEY_RENDEZVOUS);
	CU_ASSERT_EQUAL(memcmp(key, back, NATT_KEY_LEN), 0);
	umask(old);
	tmp_close(&t);
}

static void test_write_refuses_overwrite(void)
{
	uint8_t key[NATT_KEY_LEN], other[NATT_KEY_LEN], back[NATT_KEY_LEN];
	enum natt_key_kind kind;
	char err[256] = "", warn[256], want[256];
	struct tmp t;

	tmp_open(&t);
	key_a(key);
	memset(other, 0x42, sizeof(other));
	tmp_path(&t, "net.key");
	CU_ASSERT_EQUAL(natt_keyfile_write(t.path, NATT_KEY_NETWORK, key, err, sizeof(err)),
			NATT_OK);
	CU_ASSERT_EQUAL(natt_keyfile_write(t.path, NATT_KEY_NETWORK, other, err, sizeof(err)),
			NATT_ERR_EXISTS);
	snprintf(want, sizeof(want), "%s exists; refusing to overwrite a key", t.path);
	CU_ASSERT_STRING_EQUAL(err, want);
	CU_ASSERT_EQUAL(natt_keyfile_generate(t.path, err, sizeof(err)), NATT_ERR_EXISTS);
	CU_ASSERT_EQUAL(
		natt_keyfile_load(t.path, &kind, back, err, sizeof(err), warn, sizeof(warn)),
		NATT_OK);
	CU_ASSERT_EQUAL(memcmp(key, back, NATT_KEY_LEN), 0);
	tmp_close(&t);
}

static void test_write_errors(void)
{
	uint8_t key[NATT_KEY_LEN];
	char err[256] = "";
	struct tmp t;

	tmp_open(&t);
	key_a(key);
	tmp_path(&t, "no/such/dir.key");
	CU_ASSERT_EQUAL(natt_keyfile_write(t.path, NATT_KEY_NETWORK, key, err, sizeof(err)),
			NATT_ERR_IO);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, t.path));
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "No such file or directory"));
	tmp_path(&t, "bad-kind.key");
	CU_ASSERT_EQUAL(natt_keyfile_write(t.path, 7, key, err, sizeof(err)), NATT_ERR_INVALID);
	CU_ASSERT_EQUAL(access(t.path, F_OK), -1);
	tmp_close(&t);
}

static void test_load_warns_on_0644(void)
{
	uint8_t key[NATT_KEY_LEN], want[NATT_KEY_LEN];
	enum natt_key_kind kind = 0;
	char err[256] = "", warn[512] = "", want_warn[512];
	struct tmp t;

	tmp_open(&t);
	key_a(want);
	write_text(tmp_path(&t, "open.key"), NET_LINE "\n" KEY_HEX "\n", 0644);
	CU_ASSERT_EQUAL(natt_keyfile_load(t.path, &kind, key, err, sizeof(err), warn, sizeof(warn)),
			NATT_OK);
	snprintf(want_warn, sizeof(want_warn),
		 "%s is readable by group or others (mode 0644); run: chmod 600 %s", t.path,
		 t.path);
	CU_ASSERT_STRING_EQUAL(warn, want_warn);
	CU_ASSERT_EQUAL(kind, NATT_KEY_NETWORK);
	CU_ASSERT_EQUAL(memcmp(key, want, NATT_KEY_LEN), 0);
	tmp_close(&t);
}

/* A write that fails half-way leaves no partial key file behind. */
static void test_write_failure_unlinks(void)
{
	uint8_t key[NATT_KEY_LEN];
	char err[256] = "";
	struct rlimit old, small;
	void (*old_handler)(int);
	struct tmp t;

	tmp_open(&t);
	key_a(key);
	CU_ASSERT_EQUAL_FATAL(getrlimit(RLIMIT_FSIZE, &old), 0);
	small = old;
	small.rlim_cur = 10;
	old_handler = signal(SIGXFSZ, SIG_IGN);
	CU_ASSERT_EQUAL_FATAL(setrlimit(RLIMIT_FSIZE, &small), 0);
	CU_ASSERT_EQUAL(natt_keyfile_write(tmp_path(&t, "short.key"), NATT_KEY_NETWORK, key, err,
					   sizeof(err)),
			NATT_ERR_IO);
	CU_ASSERT_EQUAL(setrlimit(RLIMIT_FSIZE, &old), 0);
	signal(SIGXFSZ, old_handler);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, t.path));
	CU_ASSERT_EQUAL(access(t.path, F_OK), -1);
	tmp_close(&t);
}

static void test_load_warns_on_0640(void)
{
	uint8_t key[NATT_KEY_LEN];
	enum natt_key_kind kind;
	char err[256] = "", warn[512] = "";
	struct tmp t;

	tmp_open(&t);
	write_text(tmp_path(&t, "group.key"), NET_LINE "\n" KEY_HEX "\n", 0640);
	CU_ASSERT_EQUAL(natt_keyfile_load(t.path, &kind, key, err, sizeof(err), warn, sizeof(warn)),
			NATT_OK);
	CU_ASSERT_PTR_NOT_NULL(strstr(warn, "(mode 0640); run: chmod 600 "));
	tmp_close(&t);
}

static void test_load_errors(void)
{
	uint8_t key[NATT_KEY_LEN];
	enum natt_key_kind kind;
	char err[512] = "", warn[512], want[512];
	struct tmp t;

	tmp_open(&t);
	tmp_path(&t, "missing.key");
	CU_ASSERT_EQUAL(natt_keyfile_load(t.path, &kind, key, err, sizeof(err), warn, sizeof(warn)),
			NATT_ERR_IO);
	snprintf(want, sizeof(want), "%s: No such file or directory", t.path);
	CU_ASSERT_STRING_EQUAL(err, want);

	err[0] = '\0';
	CU_ASSERT_EQUAL(natt_keyfile_load(t.dir, &kind, key, err, sizeof(err), warn, sizeof(warn)),
			NATT_ERR_IO);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, t.dir));

	write_text(tmp_path(&t, "bad.key"), "# c\n" NET_LINE "\nxyz\n", 0600);
	CU_ASSERT_EQUAL(natt_keyfile_load(t.path, &kind, key, err, sizeof(err), warn, sizeof(warn)),
			NATT_ERR_SYNTAX);
	snprintf(want, sizeof(want), "%s:3: key must be 64 hex digits (got 3 characters)", t.path);
	CU_ASSERT_STRING_EQUAL(err, want);
	tmp_close(&t);
}

static void test_load_fifo(void)
{
	uint8_t key[NATT_KEY_LEN];
	enum natt_key_kind kind;
	char err[512] = "", warn[512];
	struct tmp t;

	tmp_open(&t);
	CU_ASSERT_EQUAL_FATAL(mkfifo(tmp_path(&t, "fifo"), 0600), 0);
	CU_ASSERT_EQUAL(natt_keyfile_load(t.path, &kind, key, err, sizeof(err), warn, sizeof(warn)),
			NATT_ERR_IO);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, t.path));
	tmp_close(&t);
}

static void test_generate(void)
{
	uint8_t a[NATT_KEY_LEN], b[NATT_KEY_LEN];
	enum natt_key_kind kind = 0;
	char err[256] = "", warn[256];
	struct stat st;
	struct tmp t;

	tmp_open(&t);
	CU_ASSERT_EQUAL(natt_keyfile_generate(tmp_path(&t, "a.key"), err, sizeof(err)), NATT_OK);
	CU_ASSERT_EQUAL(stat(t.path, &st), 0);
	CU_ASSERT_EQUAL(st.st_mode & 077, 0);
	CU_ASSERT_EQUAL(natt_keyfile_load(t.path, &kind, a, err, sizeof(err), warn, sizeof(warn)),
			NATT_OK);
	CU_ASSERT_EQUAL(kind, NATT_KEY_NETWORK);
	CU_ASSERT_EQUAL(natt_keyfile_generate(tmp_path(&t, "b.key"), err, sizeof(err)), NATT_OK);
	CU_ASSERT_EQUAL(natt_keyfile_load(t.path, &kind, b, err, sizeof(err), warn, sizeof(warn)),
			NATT_OK);
	CU_ASSERT_NOT_EQUAL(memcmp(a, b, NATT_KEY_LEN), 0);
	tmp_close(&t);
}

static const struct natt_test tests[] = {
	{"parse_valid", test_parse_valid},
	{"parse_errors", test_parse_errors},
	{"parse_nul", test_parse_nul},
	{"parse_size_limit", test_parse_size_limit},
	{"parse_no_err_buffer", test_parse_no_err_buffer},
	{"format", test_format},
	{"format_buffer", test_format_buffer},
	{"format_parse_roundtrip", test_format_parse_roundtrip},
	{"write_and_load", test_write_and_load},
	{"write_refuses_overwrite", test_write_refuses_overwrite},
	{"write_errors", test_write_errors},
	{"write_failure_unlinks", test_write_failure_unlinks},
	{"load_warns_on_0644", test_load_warns_on_0644},
	{"load_warns_on_0640", test_load_warns_on_0640},
	{"load_errors", test_load_errors},
	{"load_fifo", test_load_fifo},
	{"generate", test_generate},
	{NULL, NULL},
};

int natt_suite_keyfile(void)
{
	return natt_add_suite("keyfile", tests);
}
