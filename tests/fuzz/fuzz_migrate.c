/*
 * fuzz_migrate.c: libFuzzer target for natt-migrate's reading and planning.
 *
 * The input is split at its first NUL byte: the bytes before are an OpenVPN
 * configuration, the bytes after the file it may include (`config inc.conf`;
 * the seeds do).  Each input goes through:
 *   - the parser and the planner in memory, as a server, a client, a server
 *     with --keep-legacy and a server moving to another directory;
 *   - the loader (`config`, `cd`) and the planner on files in a private
 *     directory (tmpfs when /dev/shm exists; nothing is written elsewhere),
 *     what the pair needs from a unit, and the unit reader with the input
 *     as a unit file ($SYSTEMD_UNIT_PATH is that directory);
 *   - the diff of the original and the migrated text, and the legacy switch.
 * Besides the sanitizers, the assertions are the tool's promises: a
 * migrated configuration reads back, and planning it again changes nothing
 * (the fixed point); the legacy switch off then on gives the same bytes.
 *
 * Seed corpus: tests/fuzz/corpus_migrate/ (the tests/migrate corpus).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../../tools/migrate_ovpn.h"
#include "../../tools/migrate_paths.h"
#include "../../tools/migrate_plan.h"
#include "../../tools/migrate_unit.h"
#include "../../tools/migrate_write.h"

static char dir[64], main_path[128], inc_path[128], unit_path[128];
static FILE *null_out;

static void cleanup(void)
{
	unlink(main_path);
	unlink(inc_path);
	unlink(unit_path);
	snprintf(main_path, sizeof(main_path), "%s/units", dir);
	rmdir(main_path);
	rmdir(dir);
}

static void init(void)
{
	char units[128];

	snprintf(dir, sizeof(dir), "%s/natt-fuzz-migrate.XXXXXX",
		 access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp");
	if (mkdtemp(dir) == NULL)
		abort();
	snprintf(main_path, sizeof(main_path), "%s/main.conf", dir);
	snprintf(inc_path, sizeof(inc_path), "%s/inc.conf", dir);
	snprintf(units, sizeof(units), "%s/units", dir);
	snprintf(unit_path, sizeof(unit_path), "%s/fz@.service", units);
	if (mkdir(units, 0700) != 0 || setenv("SYSTEMD_UNIT_PATH", units, 1) != 0)
		abort();
	null_out = fopen("/dev/null", "w");
	if (null_out == NULL)
		abort();
	atexit(cleanup);
}

static void put(const char *path, const uint8_t *data, size_t len)
{
	FILE *f = fopen(path, "w");

	if (f == NULL || fwrite(data, 1, len, f) != len || fclose(f) != 0)
		abort();
}

static struct natt_mig_opts opts(int variant)
{
	struct natt_mig_opts o = {
		.server = variant != 1,
		.name = "office",
		.server_name = "office",
		.rendezvous = "rdv.example.org:3478",
		.network_key = "/etc/openvpn/natt-network.key",
		.plugin = "/usr/lib/openvpn/plugins/openvpn-plugin-natt.so",
		.pconf_path = "/etc/openvpn/natt-main.conf",
		.outdir = "/etc/openvpn",
		.base = "main",
		.keep_legacy = variant == 2,
		.config_dir = dir,
		.run_dir = variant == 3 ? "/srv/vpn" : NULL,
	};
	return o;
}

/* The migrated text reads back, and plans to nothing (the fixed point). */
static void fixed_point(const struct natt_mig_plan *p, const struct natt_mig_opts *o,
			const char *orig, size_t len)
{
	struct natt_mig_conf *c = calloc(1, sizeof(*c));
	struct natt_mig_plan q;
	char err[1024];

	if (c == NULL)
		abort();
	c->n_files = 1;
	if (natt_mig_parse(&c->files[0], "migrated", p->ovpn.p, p->ovpn.len, err, sizeof(err)) !=
	    0) {
		fprintf(stderr, "the migrated text does not read back: %s\n", err);
		abort();
	}
	if (natt_mig_plan(c, o, &q, err, sizeof(err)) != 0 || !q.already) {
		fprintf(stderr, "planning the migrated text again: %s\n", q.already ? "" : err);
		abort();
	}
	natt_mig_plan_free(&q);
	natt_mig_diff(null_out, "main.conf", orig, len, p->ovpn.p, p->ovpn.len);
	natt_mig_conf_free(c);
	free(c);
}

/* --keep-legacy's lines switched off, then on: the same bytes. */
static void legacy_switch(const struct natt_mig_plan *p)
{
	struct natt_mig_buf off = {0}, on = {0};

	if (natt_mig_legacy_set(p->pconf.p, p->pconf.len, false, &off) != 0 ||
	    natt_mig_legacy_set(off.p, off.len, true, &on) != 0)
		abort();
	if (on.len != p->pconf.len || memcmp(on.p, p->pconf.p, on.len) != 0 ||
	    natt_mig_legacy_state(off.p, off.len) != NATT_MIG_LEGACY_OFF) {
		fprintf(stderr, "the legacy switch does not undo itself\n");
		abort();
	}
	natt_mig_buf_free(&off);
	natt_mig_buf_free(&on);
}

static void plan_all(const struct natt_mig_conf *c, const char *text, size_t len)
{
	int v;

	for (v = 0; v < 4; v++) {
		struct natt_mig_opts o = opts(v);
		struct natt_mig_plan p;
		char err[1024];

		if (natt_mig_plan(c, &o, &p, err, sizeof(err)) == 0 && !p.already) {
			fixed_point(&p, &o, text, len);
			if (v == 2)
				legacy_switch(&p);
		}
		natt_mig_plan_free(&p);
	}
}

static void in_memory(const uint8_t *data, size_t len)
{
	struct natt_mig_conf *c = calloc(1, sizeof(*c));
	char err[1024];

	if (c == NULL)
		abort();
	c->n_files = 1;
	if (natt_mig_parse(&c->files[0], main_path, (const char *)data, len, err, sizeof(err)) == 0)
		plan_all(c, (const char *)data, len);
	natt_mig_conf_free(c);
	free(c);
}

/* A pair that needs a little of everything, for inputs that are no configuration. */
static void some_need(struct natt_mig_need *nd, struct natt_mig_ufile *f)
{
	static const char *const paths[] = {"/root/net.key", "/usr/lib/x/status", "/tmp/ccd"};
	int i;

	memset(nd, 0, sizeof(*nd));
	for (i = 0; i < 3; i++) {
		memset(&f[i], 0, sizeof(f[i]));
		snprintf(f[i].path, sizeof(f[i].path), "%s", paths[i]);
		snprintf(f[i].what, sizeof(f[i].what), "file");
		f[i].kind = (enum natt_mig_pkind)(i + 1);
	}
	snprintf(nd->config, sizeof(nd->config), "%s", main_path);
	snprintf(nd->start, sizeof(nd->start), "%s", dir);
	snprintf(nd->example, sizeof(nd->example), "ca.crt");
	nd->files = f;
	nd->n_files = 3;
	nd->public_port = 443;
}

/* The unit reader on the input as a unit file, weighed against the pair (c may be NULL). */
static void unit(const struct natt_mig_conf *c)
{
	struct natt_mig_opts o = opts(2);
	struct natt_mig_unit *u = calloc(1, sizeof(*u));
	struct natt_mig_buf dropin = {0};
	struct natt_mig_ufile f[3];
	struct natt_mig_need nd;
	struct natt_mig_plan p = {0};
	char err[1024];

	if (u == NULL)
		abort();
	if (natt_mig_unit_find(main_path, "fz@main", u, err, sizeof(err)) != 0) {
		free(u);
		return;
	}
	if (c != NULL && natt_mig_plan(c, &o, &p, err, sizeof(err)) == 0 &&
	    natt_mig_need_collect(&nd, c, o.pconf_path, p.pconf.p, p.pconf.len) == 0) {
		natt_mig_unit_eval(u, &nd, true, null_out, &dropin);
		natt_mig_need_free(&nd);
	} else {
		some_need(&nd, f);
		natt_mig_unit_eval(u, &nd, true, null_out, &dropin);
	}
	natt_mig_plan_free(&p);
	natt_mig_buf_free(&dropin);
	free(u);
}

static void on_files(const uint8_t *data, size_t len, const uint8_t *inc, size_t inc_len)
{
	struct natt_mig_conf *c = calloc(1, sizeof(*c));
	char err[1024];

	if (c == NULL)
		abort();
	put(main_path, data, len);
	put(inc_path, inc, inc_len);
	put(unit_path, data, len);
	if (natt_mig_load(c, main_path, err, sizeof(err)) == 0) {
		plan_all(c, (const char *)data, len);
		unit(c);
	} else {
		unit(NULL);
	}
	natt_mig_conf_free(c);
	free(c);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *nul = memchr(data, '\0', size);
	size_t len = nul != NULL ? (size_t)(nul - data) : size;

	if (null_out == NULL)
		init();
	in_memory(data, len);
	on_files(data, len, nul != NULL ? nul + 1 : data, nul != NULL ? size - len - 1 : 0);
	return 0;
}
