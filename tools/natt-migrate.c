/*
 * natt-migrate: moves an existing OpenVPN server or client configuration
 * onto openvpn-plugin-natt, reviewably (--dry-run: a unified diff) and
 * reversibly (a backup directory; natt-migrate rollback).  See
 * doc/natt-migrate.8.
 */
#include <errno.h>
#include <getopt.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "conf.h"
#include "keyfile.h"
#include "natt.h"
#include "migrate_check.h"
#include "migrate_ovpn.h"
#include "migrate_plan.h"
#include "migrate_report.h"
#include "migrate_unit.h"
#include "migrate_write.h"

#ifndef NATT_MIGRATE_PLUGIN
#define NATT_MIGRATE_PLUGIN "/usr/lib/x86_64-linux-gnu/openvpn/plugins/openvpn-plugin-natt.so"
#endif
#define DEFAULT_INSTALL_DIR "/etc/openvpn/client"

enum cmd { CMD_SERVER, CMD_CLIENT, CMD_BUNDLE };

struct args {
	enum cmd cmd;
	const char *config, *name, *server_name, *rendezvous, *network_key, *plugin, *out;
	const char *install_dir, *unit, *dropin;
	bool dry_run, keep_legacy;
};

/* The paths one migration works with. */
struct paths {
	char config[PATH_MAX]; /* the original, absolute */
	char outdir[PATH_MAX];
	char stem[256];		     /* config's name without .conf/.ovpn */
	char ovpn[PATH_MAX + 300];   /* the new OpenVPN config */
	char pconf[PATH_MAX + 300];  /* the plugin config */
	char key[PATH_MAX + 300];    /* the network key */
	char bdir[PATH_MAX + 300];   /* the backup directory */
	char dir[PATH_MAX];	     /* the original's directory */
	char dropin[PATH_MAX + 300]; /* --systemd-dropin's file */
	char dropin_dir[PATH_MAX];
	bool keygen;
};

static int usage(FILE *f, int rc)
{
	fprintf(f,
		"usage: natt-migrate server CONFIG --name NAME --rendezvous HOST[:PORT]\n"
		"                   [--network-key FILE] [--plugin PATH] [--out DIR] [--dry-run]\n"
		"                   [--keep-legacy] [--systemd-unit UNIT] [--systemd-dropin DIR]\n"
		"       natt-migrate client CONFIG --server-name NAME --rendezvous HOST[:PORT]\n"
		"                   --network-key FILE [--name NAME] [--plugin PATH] [--out DIR]\n"
		"                   [--dry-run] [--systemd-unit UNIT] [--systemd-dropin DIR]\n"
		"       natt-migrate client-bundle CONFIG --server-name NAME --rendezvous "
		"HOST[:PORT]\n"
		"                   --network-key FILE --out DIR [--name NAME] [--plugin PATH]\n"
		"                   [--install-dir DIR] [--dry-run]\n"
		"       natt-migrate rollback DIR\n"
		"       natt-migrate check CONFIG [--systemd-unit UNIT]\n"
		"       natt-migrate keygen FILE\n");
	return rc;
}

static int fail(const char *msg)
{
	fprintf(stderr, "natt-migrate: %s\n", msg);
	return 1;
}

static int parse_args(int argc, char **argv, struct args *a)
{
	static const struct option opts[] = {
		{"name", required_argument, NULL, 'n'},
		{"server-name", required_argument, NULL, 's'},
		{"rendezvous", required_argument, NULL, 'r'},
		{"network-key", required_argument, NULL, 'k'},
		{"plugin", required_argument, NULL, 'p'},
		{"out", required_argument, NULL, 'o'},
		{"install-dir", required_argument, NULL, 'i'},
		{"dry-run", no_argument, NULL, 'd'},
		{"keep-legacy", no_argument, NULL, 'l'},
		{"systemd-unit", required_argument, NULL, 'u'},
		{"systemd-dropin", required_argument, NULL, 'D'},
		{NULL, 0, NULL, 0},
	};
	int c;

	optind = 2;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'n': a->name = optarg; break;
		case 's': a->server_name = optarg; break;
		case 'r': a->rendezvous = optarg; break;
		case 'k': a->network_key = optarg; break;
		case 'p': a->plugin = optarg; break;
		case 'o': a->out = optarg; break;
		case 'i': a->install_dir = optarg; break;
		case 'd': a->dry_run = true; break;
		case 'l': a->keep_legacy = true; break;
		case 'u': a->unit = optarg; break;
		case 'D': a->dropin = optarg; break;
		default: return -1;
		}
	}
	if (optind != argc - 1)
		return -1;
	a->config = argv[optind];
	return 0;
}

static int check_args(const struct args *a, char *err, size_t errlen)
{
	char host[256];
	uint16_t port;

	if (a->cmd == CMD_SERVER && (a->name == NULL || !natt_mig_name_ok(a->name)))
		return natt_errmsg(err, errlen,
				   "--name NAME is required: 1 to 63 of A-Z a-z 0-9 "
				   ". _ -"),
		       -1;
	if (a->cmd != CMD_SERVER && (a->server_name == NULL || !natt_mig_name_ok(a->server_name)))
		return natt_errmsg(err, errlen,
				   "--server-name NAME is required (a valid peer "
				   "name)"),
		       -1;
	if (a->cmd != CMD_SERVER && a->name != NULL && !natt_mig_name_ok(a->name))
		return natt_errmsg(err, errlen, "--name %s: not a valid peer name", a->name), -1;
	if (a->cmd != CMD_SERVER && a->network_key == NULL)
		return natt_errmsg(err, errlen, "--network-key FILE is required (the server's)"),
		       -1;
	if (a->cmd == CMD_BUNDLE && a->out == NULL)
		return natt_errmsg(err, errlen, "client-bundle needs --out DIR"), -1;
	if (a->cmd != CMD_SERVER && a->keep_legacy)
		return natt_errmsg(err, errlen,
				   "--keep-legacy is for a server: it passes the old clients "
				   "through on the server's public port"),
		       -1;
	if (a->cmd == CMD_BUNDLE && (a->unit != NULL || a->dropin != NULL))
		return natt_errmsg(err, errlen,
				   "client-bundle: the unit is the installing machine's: run "
				   "natt-migrate check there"),
		       -1;
	if (a->rendezvous == NULL ||
	    natt_conf_hostport(a->rendezvous, 3478, host, sizeof(host), &port) != NATT_OK ||
	    port == 0 || strpbrk(a->rendezvous, " \t\"'\\#;") != NULL)
		return natt_errmsg(err, errlen, "--rendezvous HOST[:PORT] is required"), -1;
	return 0;
}

static void stem_of(const char *base, char *stem, size_t cap)
{
	size_t n = strlen(base);

	snprintf(stem, cap, "%.255s", base);
	if (n > 5 && (!strcmp(base + n - 5, ".conf") || !strcmp(base + n - 5, ".ovpn")))
		stem[n - 5] = '\0';
}

/* A default peer name from the file name: invalid characters become '-'. */
static void name_of(const char *stem, char *name, size_t cap)
{
	size_t i;

	snprintf(name, cap, "%.63s", stem);
	for (i = 0; name[i] != '\0'; i++)
		if (!strchr("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._-",
			    name[i]))
			name[i] = '-';
}

/* in made absolute against the current directory (the file may not exist yet). */
static void absolute(const char *in, char *out, size_t cap)
{
	char cwd[PATH_MAX];

	if (in[0] == '/' || getcwd(cwd, sizeof(cwd)) == NULL)
		snprintf(out, cap, "%s", in);
	else
		natt_mig_join(cwd, in, out, cap);
}

static int make_paths(const struct args *a, struct paths *p, char *err, size_t errlen)
{
	char tmp[PATH_MAX], base[256];
	struct stat st;

	if (realpath(a->config, p->config) == NULL)
		return natt_errmsg(err, errlen, "%s: %s", a->config, strerror(errno)), -1;
	snprintf(tmp, sizeof(tmp), "%s", p->config);
	snprintf(base, sizeof(base), "%.255s", basename(tmp));
	stem_of(base, p->stem, sizeof(p->stem));
	snprintf(tmp, sizeof(tmp), "%s", p->config);
	snprintf(p->dir, sizeof(p->dir), "%s", dirname(tmp));
	snprintf(tmp, sizeof(tmp), "%s", p->config);
	if (a->cmd == CMD_BUNDLE && a->out != NULL && !a->dry_run && mkdir(a->out, 0700) != 0)
		return natt_errmsg(err, errlen, "%s: %s (client-bundle writes a new directory)",
				   a->out, strerror(errno)),
		       -1;
	if (realpath(a->out != NULL ? a->out : dirname(tmp), p->outdir) == NULL) {
		if (a->cmd != CMD_BUNDLE || !a->dry_run)
			return natt_errmsg(err, errlen, "%s: %s", a->out, strerror(errno)), -1;
		snprintf(p->outdir, sizeof(p->outdir), "%s", a->out);
	}
	snprintf(p->ovpn, sizeof(p->ovpn), "%s/%s", p->outdir, base);
	snprintf(p->pconf, sizeof(p->pconf), "%s/natt-%s.conf", p->outdir, p->stem);
	snprintf(p->bdir, sizeof(p->bdir), "%s/%s.natt-backup", p->outdir, base);
	if (a->network_key != NULL && a->cmd != CMD_BUNDLE) {
		if (realpath(a->network_key, p->key) == NULL && a->cmd != CMD_SERVER)
			return natt_errmsg(err, errlen, "%s: %s", a->network_key, strerror(errno)),
			       -1;
		if (p->key[0] == '\0') /* a new key: the plugin opens it from elsewhere */
			absolute(a->network_key, p->key, sizeof(p->key));
	} else {
		snprintf(p->key, sizeof(p->key), "%s/natt-network.key", p->outdir);
	}
	p->keygen = a->cmd == CMD_SERVER && stat(p->key, &st) != 0;
	if (a->dropin != NULL) {
		absolute(a->dropin, p->dropin_dir, sizeof(p->dropin_dir));
		snprintf(p->dropin, sizeof(p->dropin), "%s/%s", p->dropin_dir, NATT_MIG_DROPIN);
	}
	return 0;
}

static int key_ok(const char *path, char *err, size_t errlen)
{
	enum natt_key_kind kind;
	uint8_t key[NATT_KEY_LEN];
	char warn[600];

	if (natt_keyfile_load(path, &kind, key, err, errlen, warn, sizeof(warn)) != NATT_OK)
		return -1;
	if (kind != NATT_KEY_NETWORK)
		return natt_errmsg(err, errlen, "%s: not a network key", path), -1;
	return 0;
}

/* Prints the diffs of what would be written. */
static int dry_run(const struct natt_mig_wfile *w, size_t n, const struct paths *p)
{
	size_t i;
	int rc = 0;

	for (i = 0; rc == 0 && i < n; i++) {
		char *old = NULL;
		size_t len = 0;

		if (natt_mig_read(w[i].path, &old, &len, NULL) != 0)
			old = NULL;
		rc = natt_mig_diff(stdout, w[i].path, old, len, w[i].data, w[i].len);
		free(old);
	}
	if (p->keygen)
		printf("# would generate a network key: %s (mode 0600)\n", p->key);
	return rc == 0 ? 0 : 1;
}

static int bundle_key(const struct args *a, const struct paths *p, char *err, size_t errlen)
{
	char *data;
	size_t len;
	int rc;

	if (natt_mig_read(a->network_key, &data, &len, NULL) != 0)
		return natt_errmsg(err, errlen, "%s: cannot read", a->network_key), -1;
	rc = natt_mig_put(p->key, data, len, 0600, err, errlen);
	free(data);
	return rc;
}

/* Where client-bundle's files will be installed. */
struct inst {
	char dir[PATH_MAX];
	char pconf[PATH_MAX + 300];
	char key[PATH_MAX + 300];
};

static void options(const struct args *a, const struct paths *p, struct inst *in, char *name,
		    struct natt_mig_opts *o)
{
	name_of(p->stem, name, 64);
	o->server = a->cmd == CMD_SERVER;
	o->name = a->name != NULL ? a->name : name;
	o->server_name = a->server_name;
	o->rendezvous = a->rendezvous;
	o->network_key = p->key;
	o->plugin = a->plugin != NULL ? a->plugin : NATT_MIGRATE_PLUGIN;
	o->pconf_path = p->pconf;
	o->outdir = p->outdir;
	o->base = p->stem;
	o->keep_legacy = a->keep_legacy;
	o->config_dir = p->dir;
	o->run_dir = p->outdir;
	if (a->cmd != CMD_BUNDLE)
		return;
	snprintf(in->dir, sizeof(in->dir), "%s",
		 a->install_dir ? a->install_dir : DEFAULT_INSTALL_DIR);
	snprintf(in->pconf, sizeof(in->pconf), "%s/natt-%s.conf", in->dir, p->stem);
	snprintf(in->key, sizeof(in->key), "%s/natt-network.key", in->dir);
	o->pconf_path = in->pconf;
	o->network_key = in->key;
	o->outdir = in->dir;
	o->run_dir = NULL; /* relative names: relative to where the bundle is installed */
}

/*
 * Already migrated: --keep-legacy on or off in the plugin configuration (the
 * recommended order: migrate with it, move the clients, run again without).
 */
static int legacy_switch(const struct args *a, const struct natt_mig_plan *plan,
			 const struct paths *p)
{
	struct natt_mig_buf out = {0};
	enum natt_mig_legacy st = NATT_MIG_LEGACY_NONE;
	char *text = NULL, err[1024];
	size_t len = 0;
	mode_t mode = 0644;
	const char *port;
	int rc = 0;

	if (plan->pconf_in_use[0] != '\0' &&
	    natt_mig_read(plan->pconf_in_use, &text, &len, &mode) == 0)
		st = natt_mig_legacy_state(text, len);
	if (a->keep_legacy && st == NATT_MIG_LEGACY_NONE) {
		free(text);
		fprintf(stderr,
			"natt-migrate: %s: migrated without --keep-legacy (OpenVPN took the old "
			"port on loopback): roll it back (natt-migrate rollback %s) and migrate "
			"again with --keep-legacy\n",
			p->config, p->bdir);
		return 1;
	}
	if ((a->keep_legacy && st == NATT_MIG_LEGACY_ON) ||
	    (!a->keep_legacy && st != NATT_MIG_LEGACY_ON)) {
		printf("%s: already migrated (it loads %s)%s: nothing to do\n", p->config,
		       NATT_MIG_PLUGIN_SO,
		       st == NATT_MIG_LEGACY_ON ? ", passing legacy clients" : "");
		free(text);
		return 0;
	}
	port = strstr(text, "public-port ");
	if (natt_mig_legacy_set(text, len, a->keep_legacy, &out) != 0)
		rc = fail("out of memory");
	else if (a->dry_run)
		rc = natt_mig_diff(stdout, plan->pconf_in_use, text, len, out.p, out.len) ? 1 : 0;
	else if (natt_mig_put(plan->pconf_in_use, out.p, out.len, mode, err, sizeof(err)) != 0)
		rc = fail(err);
	else if (a->keep_legacy)
		printf("%s: legacy pass-through on again (%.*s)\n", plan->pconf_in_use,
		       port ? (int)strcspn(port, "\r\n") : 0, port ? port : "");
	else
		printf("%s: legacy pass-through ended: plain OpenVPN clients on the old port "
		       "(%.*s) "
		       "are no longer served, the port forward to it can go; restart OpenVPN\n",
		       plan->pconf_in_use, port ? (int)strcspn(port, "\r\n") : 0, port ? port : "");
	natt_mig_buf_free(&out);
	free(text);
	return rc;
}

static int write_bundle(const struct args *a, const struct paths *p, const struct inst *in,
			const struct natt_mig_conf *c, const struct natt_mig_wfile *w, size_t n)
{
	char err[1024];
	size_t i;
	int rc = 0;

	for (i = 0; rc == 0 && i < n; i++)
		rc = natt_mig_put(w[i].path, w[i].data, w[i].len, w[i].mode, err, sizeof(err));
	if (rc == 0)
		rc = bundle_key(a, p, err, sizeof(err));
	if (rc != 0)
		return fail(err);
	printf("client bundle in %s: install its files in %s\n", p->outdir, in->dir);
	natt_mig_report_bundle(c, in->dir, stdout);
	return 0;
}

/* The files to write: the two configurations, extracted PEM files, a drop-in. */
static size_t files_of(const struct args *a, const struct paths *p, struct natt_mig_plan *plan,
		       const struct natt_mig_buf *dropin, struct natt_mig_wfile *w)
{
	struct stat st;
	size_t n = 0, i;

	w[n++] = (struct natt_mig_wfile){p->ovpn, plan->ovpn.p, plan->ovpn.len,
					 stat(p->config, &st) == 0 ? st.st_mode & 0777 : 0600};
	w[n++] = (struct natt_mig_wfile){p->pconf, plan->pconf.p, plan->pconf.len, 0644};
	for (i = 0; i < plan->n_extra; i++) {
		if (a->cmd == CMD_BUNDLE) { /* written in the bundle, installed elsewhere */
			char leaf[256];

			snprintf(leaf, sizeof(leaf), "%.255s",
				 strrchr(plan->extra_path[i], '/') + 1);
			snprintf(plan->extra_path[i], sizeof(plan->extra_path[i]), "%.3800s/%s",
				 p->outdir, leaf);
		}
		w[n++] = (struct natt_mig_wfile){plan->extra_path[i], plan->extra[i].p,
						 plan->extra[i].len, 0600};
	}
	if (dropin->len > 0 && p->dropin[0] != '\0')
		w[n++] = (struct natt_mig_wfile){p->dropin, dropin->p, dropin->len, 0644};
	return n;
}

/* server and client: the unit report (to a buffer, printed after the files). */
static int unit_report(const struct args *a, const struct paths *p, const struct natt_mig_conf *c,
		       const struct natt_mig_plan *plan, struct natt_mig_buf *dropin, char **rep,
		       size_t *replen)
{
	struct natt_mig_where wh = {p->ovpn, p->outdir, p->pconf, a->unit,
				    a->dropin ? p->dropin_dir : NULL};
	FILE *f = open_memstream(rep, replen);
	char err[1024] = "";
	int rc;

	if (f == NULL)
		return fail("out of memory");
	if (access(a->plugin != NULL ? a->plugin : NATT_MIGRATE_PLUGIN, R_OK) != 0)
		fprintf(f,
			"plugin: %s: %s: install openvpn-plugin-natt there, or name it with "
			"--plugin\n",
			a->plugin != NULL ? a->plugin : NATT_MIGRATE_PLUGIN, strerror(errno));
	rc = natt_mig_report_unit(&wh, c, plan, dropin, f, err, sizeof(err));
	fclose(f);
	return rc == 0 ? 0 : fail(err);
}

static int write_files(const struct args *a, const struct paths *p, const struct natt_mig_wfile *w,
		       size_t n, const char *rep)
{
	char err[1024];

	if (a->dry_run) {
		int rc = dry_run(w, n, p);

		fputs(rep, stdout);
		return rc;
	}
	if (natt_mig_apply(p->bdir, w, n, p->keygen ? p->key : NULL,
			   p->dropin[0] != '\0' && w[n - 1].path == p->dropin ? p->dropin_dir
									      : NULL,
			   err, sizeof(err)) != 0)
		return fail(err);
	printf("migrated %s\n  plugin config: %s\n  network key: %s%s\n", p->ovpn, p->pconf, p->key,
	       p->keygen ? " (new)" : "");
	if (n > 0 && w[n - 1].path == p->dropin)
		printf("  systemd drop-in: %s\n", p->dropin);
	printf("  undo with: natt-migrate rollback %s\n", p->bdir);
	fputs(rep, stdout);
	return 0;
}

static int migrate(const struct args *a)
{
	struct natt_mig_conf *c = calloc(1, sizeof(*c));
	struct natt_mig_plan plan = {0};
	struct natt_mig_opts o = {0};
	struct natt_mig_buf dropin = {0};
	struct paths p = {0};
	struct inst in = {0};
	struct natt_mig_wfile w[3 + NATT_MIG_MAX_EXTRA];
	char err[1024], name[64], *rep = NULL;
	size_t n, replen = 0;
	int rc = 1;

	if (c == NULL)
		return fail("out of memory");
	if (check_args(a, err, sizeof(err)) != 0 || make_paths(a, &p, err, sizeof(err)) != 0 ||
	    (a->network_key != NULL && !p.keygen &&
	     key_ok(a->network_key, err, sizeof(err)) != 0) ||
	    natt_mig_load(c, p.config, err, sizeof(err)) != 0) {
		free(c);
		return fail(err);
	}
	options(a, &p, &in, name, &o);
	if (natt_mig_plan(c, &o, &plan, err, sizeof(err)) != 0)
		fail(err);
	else if (plan.already)
		rc = o.server ? legacy_switch(a, &plan, &p) : 0;
	else if (a->cmd == CMD_BUNDLE && (n = files_of(a, &p, &plan, &dropin, w)) > 0)
		rc = a->dry_run ? dry_run(w, n, &p) : write_bundle(a, &p, &in, c, w, n);
	else if (unit_report(a, &p, c, &plan, &dropin, &rep, &replen) == 0)
		rc = write_files(a, &p, w, files_of(a, &p, &plan, &dropin, w), rep);
	if (plan.already && !o.server)
		printf("%s: already migrated (it loads %s): nothing to do\n", p.config,
		       NATT_MIG_PLUGIN_SO);
	free(rep);
	natt_mig_buf_free(&dropin);
	natt_mig_plan_free(&plan);
	natt_mig_conf_free(c);
	free(c);
	return rc;
}

/* check CONFIG [--systemd-unit UNIT] */
static int check(int argc, char **argv)
{
	const char *unit = NULL;

	if (argc == 5 && !strcmp(argv[3], "--systemd-unit"))
		unit = argv[4];
	else if (argc != 3)
		return usage(stderr, 2);
	return natt_mig_check(argv[2], unit, stdout) == 0 ? 0 : 1;
}

int main(int argc, char **argv)
{
	struct args a = {0};
	char err[1024];

	if (argc < 2)
		return usage(stderr, 2);
	if (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help"))
		return usage(stdout, 0);
	if (!strcmp(argv[1], "check"))
		return check(argc, argv);
	if (!strcmp(argv[1], "rollback") || !strcmp(argv[1], "keygen")) {
		if (argc != 3)
			return usage(stderr, 2);
		if (!strcmp(argv[1], "keygen"))
			return natt_keyfile_generate(argv[2], err, sizeof(err)) == NATT_OK
				       ? 0
				       : fail(err);
		if (natt_mig_rollback(argv[2], err, sizeof(err)) != 0)
			return fail(err);
		printf("restored the files listed in %s/manifest\n", argv[2]);
		return 0;
	}
	if (!strcmp(argv[1], "server"))
		a.cmd = CMD_SERVER;
	else if (!strcmp(argv[1], "client"))
		a.cmd = CMD_CLIENT;
	else if (!strcmp(argv[1], "client-bundle"))
		a.cmd = CMD_BUNDLE;
	else
		return usage(stderr, 2);
	if (parse_args(argc, argv, &a) != 0)
		return usage(stderr, 2);
	return migrate(&a);
}
