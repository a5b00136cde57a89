/*
 * migrate_need.c: what a migrated pair needs from its systemd unit, and
 * whether the unit gives it (see migrate_unit.h).
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf.h"
#include "natt.h"
#include "migrate_unit.h"

/*
 * The plugin's processes: its helper, a supervisor that keeps root, and the
 * transport worker it forks, which gives up root for OpenVPN's user/group
 * once its sockets are bound (plugin/supervisor.h, privdrop.h); one thread
 * each.  Tasks the unit must allow: OpenVPN, those, and one script OpenVPN
 * runs and waits for (up, client-connect ...).
 */
#define PLUGIN_PROCS 2
#define NEED_TASKS   (1 + PLUGIN_PROCS + 1)
#define NEED_FAMILY  (NATT_MIG_AF_UNIX | NATT_MIG_AF_INET | NATT_MIG_AF_NETLINK)
#define UNPRIV_PORTS "/proc/sys/net/ipv4/ip_unprivileged_port_start"
/* The plugin's processes outlive OpenVPN by this much at most: the worker's
 * orderly close, NATT_RUNTIME_CLOSE_WAIT, under NATT_SUP_STOP_WAIT. */
#define CLOSE_WAIT_S 3

/* ---- collecting ---- */

static int add(struct natt_mig_need *nd, const char *dir, const char *name, const char *what,
	       enum natt_mig_pkind kind, bool plugin)
{
	struct natt_mig_ufile *f;

	if (name[0] == '\0')
		return 0;
	f = realloc(nd->files, (nd->n_files + 1) * sizeof(*f));
	if (f == NULL)
		return NATT_ERR_NOMEM;
	nd->files = f;
	f = &nd->files[nd->n_files++];
	memset(f, 0, sizeof(*f));
	natt_mig_join(dir, name, f->path, sizeof(f->path));
	snprintf(f->what, sizeof(f->what), "%s", what);
	f->kind = kind;
	f->plugin = plugin;
	return 0;
}

static bool absolute_cd(const struct natt_mig_conf *c)
{
	size_t fi, i;

	for (fi = 0; fi < c->n_files; fi++)
		for (i = 0; i < c->files[fi].n_lines; i++) {
			const struct natt_mig_line *l = &c->files[fi].lines[i];

			if (l->kind == NATT_MIG_DIRECTIVE && !strcmp(l->argv[0], "cd") &&
			    natt_mig_arg(l, 1)[0] == '/')
				return true;
		}
	return false;
}

static int collect_line(struct natt_mig_need *nd, const struct natt_mig_conf *c,
			const struct natt_mig_line *l, bool abs_cd)
{
	char name[NATT_MIG_TOKEN];
	int arg = 0;
	enum natt_mig_pkind kind = natt_mig_path_of(l, &arg, name, sizeof(name));

	if (l->kind == NATT_MIG_DIRECTIVE && !strcmp(l->argv[0], "plugin") &&
	    natt_mig_arg(l, 1)[0] == '/')
		return add(nd, "", natt_mig_arg(l, 1), "plugin", NATT_MIG_P_IN, false);
	if (kind == NATT_MIG_P_NONE || !strcmp(l->argv[0], "config"))
		return 0; /* includes: listed as files of c */
	if (name[0] != '/' && !abs_cd && nd->example[0] == '\0')
		snprintf(nd->example, sizeof(nd->example), "%s", name);
	return add(nd, !strcmp(l->argv[0], "cd") ? c->dir : c->cwd, name, l->argv[0], kind, false);
}

static void plugin_setting(struct natt_mig_need *nd, const struct natt_conf_line *l,
			   const char *cwd, int *rc)
{
	static const char *const in[] = {"network-key", "ca", "cert", "key", NULL};
	static const char *const out[] = {"status", "keylog", NULL};
	const char *v = l->argc > 1 ? l->argv[1] : "";
	uint64_t port;
	int i;

	for (i = 0; *rc == 0 && in[i] != NULL; i++)
		if (!strcmp(l->argv[0], in[i]))
			*rc = add(nd, cwd, v, in[i], NATT_MIG_P_IN, true);
	for (i = 0; *rc == 0 && out[i] != NULL; i++)
		if (!strcmp(l->argv[0], out[i]))
			*rc = add(nd, cwd, v, out[i], NATT_MIG_P_OUT, true);
	if (!strcmp(l->argv[0], "public-port") && natt_conf_uint(v, 1, 65535, &port) == NATT_OK)
		nd->public_port = (unsigned)port;
	if (!strcmp(l->argv[0], "role"))
		nd->server = !strcmp(v, "server");
}

static int collect_pconf(struct natt_mig_need *nd, const char *cwd, const char *pconf, size_t len)
{
	struct natt_conf_reader r;
	struct natt_conf_line *l = malloc(sizeof(*l));
	char err[256];
	int rc = 0;

	if (l == NULL)
		return NATT_ERR_NOMEM;
	natt_conf_reader_init(&r, pconf, len, "plugin configuration");
	while (rc == 0 && natt_conf_next(&r, l, err, sizeof(err)) == 1)
		plugin_setting(nd, l, cwd, &rc);
	free(l);
	return rc;
}

int natt_mig_need_collect(struct natt_mig_need *nd, const struct natt_mig_conf *c,
			  const char *pconf_path, const char *pconf, size_t pconf_len)
{
	bool abs_cd = absolute_cd(c);
	size_t fi, i;
	int rc = 0;

	memset(nd, 0, sizeof(*nd));
	snprintf(nd->config, sizeof(nd->config), "%s", c->files[0].path);
	snprintf(nd->start, sizeof(nd->start), "%s", c->dir);
	for (fi = 0; rc == 0 && fi < c->n_files; fi++) {
		rc = add(nd, "", c->files[fi].path, fi ? "config" : "configuration", NATT_MIG_P_IN,
			 false);
		for (i = 0; rc == 0 && i < c->files[fi].n_lines; i++)
			rc = collect_line(nd, c, &c->files[fi].lines[i], abs_cd);
	}
	if (rc == 0 && pconf_path != NULL)
		rc = add(nd, c->cwd, pconf_path, "plugin configuration", NATT_MIG_P_IN, false);
	if (rc == 0 && pconf != NULL)
		rc = collect_pconf(nd, c->cwd, pconf, pconf_len);
	return rc;
}

void natt_mig_need_free(struct natt_mig_need *nd)
{
	free(nd->files);
	memset(nd, 0, sizeof(*nd));
}

/* ---- weighing ---- */

struct ev {
	const struct natt_mig_unit *u;
	const struct natt_mig_need *nd;
	bool verbose;
	FILE *out;
	struct natt_mig_buf *dropin;
	int problems;
	bool root;
};

static void say(struct ev *e, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void problem(struct ev *e, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void say(struct ev *e, const char *fmt, ...)
{
	va_list ap;

	if (!e->verbose)
		return;
	fputs("systemd:   ", e->out);
	va_start(ap, fmt);
	vfprintf(e->out, fmt, ap);
	va_end(ap);
	fputc('\n', e->out);
}

static void problem(struct ev *e, const char *fmt, ...)
{
	va_list ap;

	fprintf(e->out, "%s%s: ", e->verbose ? "systemd: problem: " : "", e->u->name);
	va_start(ap, fmt);
	vfprintf(e->out, fmt, ap);
	va_end(ap);
	fputc('\n', e->out);
	e->problems++;
}

/* A setting for the drop-in, with the reason as a comment; each once. */
static void want(struct ev *e, const char *setting, const char *why)
{
	char line[NATT_MIG_PATH + 64];

	snprintf(line, sizeof(line), "\n%s\n", setting);
	if (e->dropin->p != NULL && strstr(e->dropin->p, line) != NULL)
		return;
	if (e->dropin->len == 0)
		natt_mig_buf_printf(e->dropin,
				    "# Written by natt-migrate for openvpn-plugin-natt in %s:\n"
				    "# what the plugin's processes need beyond the unit's own "
				    "settings.\n# natt-migrate rollback removes it; then run "
				    "systemctl daemon-reload.\n[Service]\n",
				    e->u->name);
	natt_mig_buf_printf(e->dropin, "# %s\n%s\n", why, setting);
	say(e, "needs %s (%s): in the drop-in", setting, why);
}

static bool under(const char *path, const char *prefix)
{
	size_t n = strlen(prefix);

	while (n > 1 && prefix[n - 1] == '/')
		n--;
	return (n == 1 && prefix[0] == '/') ||
	       (strncmp(path, prefix, n) == 0 && (path[n] == '\0' || path[n] == '/'));
}

static bool in_list(const char *path, const struct natt_mig_plist *l)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		if (under(path, l->p[i]))
			return true;
	return false;
}

static bool home(const char *p)
{
	return under(p, "/home") || under(p, "/root") || under(p, "/run/user");
}

/* Why the unit cannot see path at all, or NULL. */
static const char *hidden(const struct natt_mig_unit *u, const char *p)
{
	if (u->private_tmp && (under(p, "/tmp") || under(p, "/var/tmp")))
		return "PrivateTmp= (the unit has its own empty /tmp and /var/tmp)";
	if ((u->protect_home == 1 || u->protect_home == 3) && home(p))
		return "ProtectHome= (/home, /root and /run/user are empty for the unit)";
	if (in_list(p, &u->hidden))
		return "InaccessiblePaths=";
	return NULL;
}

/* Why the unit cannot write path, or NULL. */
static const char *readonly(const struct natt_mig_unit *u, const char *p)
{
	const char *why = NULL;

	if (u->protect_system >= 1 && (under(p, "/usr") || under(p, "/boot") || under(p, "/efi")))
		why = "ProtectSystem=";
	else if (u->protect_system >= 2 && under(p, "/etc"))
		why = "ProtectSystem=full";
	else if (u->protect_system == 3 && !under(p, "/dev") && !under(p, "/proc") &&
		 !under(p, "/sys"))
		why = "ProtectSystem=strict";
	else if (u->protect_home == 2 && home(p))
		why = "ProtectHome=read-only";
	else if (in_list(p, &u->ro))
		why = "ReadOnlyPaths=";
	return why != NULL && !in_list(p, &u->rw) ? why : NULL;
}

static void check_file(struct ev *e, const struct natt_mig_ufile *f, size_t *ok)
{
	const char *why = hidden(e->u, f->path);
	char dir[NATT_MIG_PATH + 32], *slash;

	if (why != NULL) {
		problem(e,
			"%s %s: the unit cannot see it, because of %s: move it (e.g. into "
			"/etc/openvpn)",
			f->what, f->path, why);
		return;
	}
	why = f->kind == NATT_MIG_P_OUT ? readonly(e->u, f->path) : NULL;
	if (why == NULL) {
		(*ok)++;
		return;
	}
	snprintf(dir, sizeof(dir), "ReadWritePaths=%s", f->path);
	slash = strrchr(dir, '/');
	if (slash != NULL && slash > dir + strlen("ReadWritePaths="))
		*slash = '\0';
	want(e, dir, f->plugin ? "the plugin writes there" : "OpenVPN writes there");
}

static void files(struct ev *e)
{
	const struct natt_mig_unit *u = e->u;
	size_t i, ok = 0;

	for (i = 0; i < e->nd->n_files; i++)
		check_file(e, &e->nd->files[i], &ok);
	say(e,
	    "ProtectSystem=%s ProtectHome=%s PrivateTmp=%s: %zu of the %zu files OpenVPN and the "
	    "plugin read or write are visible (and writable when written)",
	    (const char *[]){"no", "yes", "full", "strict"}[u->protect_system],
	    (const char *[]){"no", "yes", "read-only", "tmpfs"}[u->protect_home],
	    u->private_tmp ? "yes" : "no", ok, e->nd->n_files);
}

static bool same_dir(const char *a, const char *b)
{
	char ra[NATT_MIG_PATH], rb[NATT_MIG_PATH];

	if (realpath(a, ra) == NULL)
		snprintf(ra, sizeof(ra), "%s", a);
	if (realpath(b, rb) == NULL)
		snprintf(rb, sizeof(rb), "%s", b);
	return strcmp(ra, rb) == 0;
}

static void where(struct ev *e)
{
	const char *start = natt_mig_unit_start(e->u), *ex = e->nd->example;

	if (e->u->config_wrong)
		problem(e, "starts OpenVPN with %s, not %s: name the configuration so",
			e->u->config[0] ? e->u->config : "no --config", e->nd->config);
	if (strspn(e->u->instance, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
				   ":_.-") != strlen(e->u->instance))
		say(e, "the instance name needs escaping: systemd-escape '%s'", e->u->instance);
	if (ex[0] == '\0')
		say(e,
		    "OpenVPN starts in %s; the configuration has no relative names that depend "
		    "on it",
		    start);
	else if (same_dir(start, e->nd->start))
		say(e, "OpenVPN starts in %s: the relative names (e.g. '%s') resolve there", start,
		    ex);
	else
		problem(e,
			"OpenVPN starts in %s (WorkingDirectory=, --cd), so the relative name "
			"'%s' means %s/%s, not %s/%s",
			start, ex, start, ex, e->nd->start, ex);
}

static void processes(struct ev *e)
{
	const struct natt_mig_unit *u = e->u;
	char s[64];

	say(e,
	    "the plugin forks %d processes (one thread each) as %s, before OpenVPN drops "
	    "privileges; the transport worker then runs as OpenVPN's user and group, if set",
	    PLUGIN_PROCS, e->root ? "root" : u->user);
	if (u->nproc >= 0 && e->root)
		say(e,
		    "LimitNPROC=%ld: does not stop them (the kernel does not apply RLIMIT_NPROC "
		    "to root's fork); a worker running as OpenVPN's user counts among that "
		    "user's processes",
		    u->nproc);
	else if (u->nproc >= 0 && u->nproc < NEED_TASKS) {
		snprintf(s, sizeof(s), "LimitNPROC=%d", NEED_TASKS);
		want(e, s, "OpenVPN, the plugin's processes and a script, all as this user");
	} else if (u->nproc >= 0)
		say(e,
		    "LimitNPROC=%ld counts every process of %s on the host: OpenVPN and the "
		    "plugin are %d",
		    u->nproc, u->user, 1 + PLUGIN_PROCS);
	if (u->tasks >= 0 && u->tasks < NEED_TASKS) {
		snprintf(s, sizeof(s), "TasksMax=%d", NEED_TASKS);
		want(e, s, "OpenVPN, the plugin's processes and a script OpenVPN runs");
	} else if (u->tasks >= 0)
		say(e, "TasksMax=%ld: room for OpenVPN, the plugin's %d processes and scripts",
		    u->tasks, PLUGIN_PROCS);
}

static unsigned unprivileged_start(void)
{
	FILE *f = fopen(UNPRIV_PORTS, "re");
	unsigned v = 1024;

	if (f != NULL) {
		if (fscanf(f, "%u", &v) != 1)
			v = 1024;
		fclose(f);
	}
	return v;
}

static void privileges(struct ev *e)
{
	const struct natt_mig_unit *u = e->u;
	unsigned port = e->nd->public_port, first = unprivileged_start();

	if (port == 0 || port >= first)
		say(e, "public port %s%.0u: no capability needed to bind it", port ? "" : "random",
		    port);
	else if (!e->root)
		problem(e, "the plugin runs as %s and cannot bind the privileged public port %u",
			u->user, port);
	else if (u->caps_limited && !u->cap_bind)
		want(e, "CapabilityBoundingSet=CAP_NET_BIND_SERVICE",
		     "the plugin binds a public port below ip_unprivileged_port_start");
	else
		say(e, "public port %u: CAP_NET_BIND_SERVICE is in the bounding set", port);
	if (u->af_deny & NEED_FAMILY)
		problem(e, "RestrictAddressFamilies= denies AF_UNIX, AF_INET or AF_NETLINK, "
			   "which the plugin uses");
	else if (u->af_limited && (u->af_allow & NEED_FAMILY) != NEED_FAMILY)
		want(e, "RestrictAddressFamilies=AF_UNIX AF_INET AF_NETLINK",
		     "the plugin's channels, its UDP sockets, the interface list");
}

static void lifecycle(struct ev *e)
{
	const struct natt_mig_unit *u = e->u;

	if (u->devices)
		say(e, "DeviceAllow=: the plugin opens no device");
	if (u->syscalls)
		say(e, "SystemCallFilter= is set: not checked here (the plugin uses sockets, "
		       "epoll, recvmmsg/sendmmsg, getrandom)");
	if (e->nd->public_port != 0 && !strcmp(u->kill_mode, "process"))
		say(e,
		    "KillMode=process: the plugin's processes exit up to %d s after OpenVPN; a "
		    "restart "
		    "within that time finds UDP port %u taken and OpenVPN does not start "
		    "(Restart=%s, RestartSec=%s)",
		    CLOSE_WAIT_S, e->nd->public_port, u->restart, u->restart_sec);
}

int natt_mig_unit_eval(const struct natt_mig_unit *u, const struct natt_mig_need *nd, bool verbose,
		       FILE *out, struct natt_mig_buf *dropin)
{
	struct ev e = {.u = u, .nd = nd, .verbose = verbose, .out = out, .dropin = dropin};

	e.root = u->user[0] == '\0' || !strcmp(u->user, "root") || !strcmp(u->user, "0");
	if (verbose)
		fprintf(out, "systemd: %s runs %s (%s, %zu drop-in%s)\n", u->name, nd->config,
			u->file, u->n_dropins, u->n_dropins == 1 ? "" : "s");
	where(&e);
	processes(&e);
	privileges(&e);
	files(&e);
	lifecycle(&e);
	if (verbose && dropin->len == 0)
		fprintf(out, "systemd: %s needs no drop-in\n", u->name);
	return e.problems;
}
