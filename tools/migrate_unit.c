/*
 * migrate_unit.c: reads a systemd unit and its drop-ins the way systemd does
 * (see migrate_unit.h), keeping the settings that matter to the plugin.
 */
#include <dirent.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "natt.h"
#include "migrate_unit.h"
#include "migrate_write.h"

#define MAX_DIRS 12

static const char *const default_path[] = {
	"/etc/systemd/system",	   "/run/systemd/system", "/usr/local/lib/systemd/system",
	"/usr/lib/systemd/system", "/lib/systemd/system", NULL,
};

/* Debian's OpenVPN templates, the ones probed for a configuration. */
static const char *const templates[] = {"openvpn-server@", "openvpn-client@", "openvpn@", NULL};

struct search {
	size_t n;
	char dir[MAX_DIRS][NATT_MIG_PATH];
};

/* $SYSTEMD_UNIT_PATH first (colon-separated; a trailing ':' adds the defaults). */
static void search_path(struct search *s)
{
	const char *env = getenv("SYSTEMD_UNIT_PATH");
	bool defaults = env == NULL || env[0] == '\0';
	size_t i;

	s->n = 0;
	while (!defaults && *env != '\0' && s->n < MAX_DIRS) {
		size_t n = strcspn(env, ":");

		if (n > 0 && n < NATT_MIG_PATH)
			snprintf(s->dir[s->n++], NATT_MIG_PATH, "%.*s", (int)n, env);
		env += n;
		if (*env == ':' && *++env == '\0')
			defaults = true;
	}
	for (i = 0; defaults && default_path[i] != NULL && s->n < MAX_DIRS; i++)
		snprintf(s->dir[s->n++], NATT_MIG_PATH, "%s", default_path[i]);
}

/* ---- values ---- */

static bool boolean(const char *v, bool *out)
{
	static const char *const yes[] = {"1", "yes", "y", "true", "t", "on", NULL};
	static const char *const no[] = {"0", "no", "n", "false", "f", "off", NULL};
	int i;

	for (i = 0; yes[i] != NULL; i++)
		if (strcasecmp(v, yes[i]) == 0)
			return *out = true, true;
	for (i = 0; no[i] != NULL; i++)
		if (strcasecmp(v, no[i]) == 0)
			return *out = false, true;
	return false;
}

/* "N", "N:M" (the soft limit is what fork() meets), "infinity"; -1: no limit. */
static long limit(const char *v)
{
	char *end;
	long n;

	if (strncmp(v, "infinity", 8) == 0 || v[0] == '\0')
		return -1;
	n = strtol(v, &end, 10);
	return end == v || n < 0 || (*end != '\0' && *end != ':') ? -1 : n;
}

/* Expands the specifiers of a unit instance that the settings here use. */
static void expand(const struct natt_mig_unit *u, const char *in, char *out, size_t cap)
{
	size_t o = 0;

	for (; *in != '\0' && o + 1 < cap; in++) {
		const char *rep = NULL;
		char one[2] = {0};

		if (*in != '%' || in[1] == '\0') {
			out[o++] = *in;
			continue;
		}
		switch (*++in) {
		case 'i':
		case 'I': rep = u->instance; break;
		case 'n': rep = u->name; break;
		case 't': rep = "/run"; break;
		case 'h': rep = "/root"; break;
		case '%': rep = "%"; break;
		default:
			one[0] = *in;
			rep = one;
			out[o++] = '%';
			break;
		}
		o += (size_t)snprintf(out + o, cap - o, "%s", rep);
		if (o >= cap)
			o = cap - 1;
	}
	out[o] = '\0';
}

/* The next word of s (blanks separate; double or single quotes group). */
static const char *word(const char *s, char *out, size_t cap)
{
	size_t o = 0;
	char q = 0;

	s += strspn(s, " \t");
	for (; *s != '\0' && (q != 0 || (*s != ' ' && *s != '\t')); s++) {
		if (q == 0 && (*s == '"' || *s == '\'')) {
			q = *s;
			continue;
		}
		if (q != 0 && *s == q) {
			q = 0;
			continue;
		}
		if (o + 1 < cap)
			out[o++] = *s;
	}
	out[o] = '\0';
	return o > 0 || q != 0 ? s : NULL;
}

/* ExecStart=: where OpenVPN starts (--cd) and which file it reads (--config). */
static void exec_start(struct natt_mig_unit *u, const char *v)
{
	char w[NATT_MIG_PATH];

	u->cd[0] = u->exec_config[0] = '\0';
	u->cd_first = false;
	v += strspn(v, "-@:+! \t");
	while (v != NULL && (v = word(v, w, sizeof(w))) != NULL) {
		if (strcmp(w, "--cd") == 0) {
			v = word(v, u->cd, sizeof(u->cd));
			u->cd_first = u->exec_config[0] == '\0';
		} else if (strcmp(w, "--config") == 0) {
			v = word(v, u->exec_config, sizeof(u->exec_config));
		}
	}
}

/* After every drop-in: the file ExecStart reads, absolute. */
static void finish(struct natt_mig_unit *u)
{
	const char *dir = u->cd_first ? u->cd : u->workdir[0] ? u->workdir : "/";

	u->config[0] = '\0';
	if (u->exec_config[0] != '\0')
		natt_mig_join(dir, u->exec_config, u->config, sizeof(u->config));
}

/* Path lists: an empty assignment empties the list; "-" and "+" prefixes go. */
static void plist(struct natt_mig_plist *l, const char *v)
{
	char w[NATT_MIG_PATH];

	if (v[strspn(v, " \t")] == '\0')
		l->n = 0;
	while ((v = word(v, w, sizeof(w))) != NULL && l->n < NATT_MIG_UNIT_PATHS) {
		const char *p = w + strspn(w, "-+");

		if (p[0] == '/')
			snprintf(l->p[l->n++], NATT_MIG_PATH, "%s", p);
	}
}

/* CapabilityBoundingSet=: lists merge (OR), "~" lists remove, empty resets. */
static void caps(struct natt_mig_unit *u, const char *v)
{
	bool inverted = v[0] == '~', has = strstr(v, "CAP_NET_BIND_SERVICE") != NULL;

	if (v[strspn(v, " \t")] == '\0') {
		u->caps_limited = false;
		u->cap_bind = true;
	} else if (inverted) {
		u->caps_limited = true;
		u->cap_bind = u->cap_bind && !has;
	} else {
		u->cap_bind = (u->caps_limited && u->cap_bind) || has;
		u->caps_limited = true;
	}
}

static unsigned families(const char *v)
{
	return (strstr(v, "AF_UNIX") ? NATT_MIG_AF_UNIX : 0) |
	       (strstr(v, "AF_INET") ? NATT_MIG_AF_INET : 0) |
	       (strstr(v, "AF_NETLINK") ? NATT_MIG_AF_NETLINK : 0);
}

static void address_families(struct natt_mig_unit *u, const char *v)
{
	if (v[strspn(v, " \t")] == '\0') {
		u->af_limited = false;
		u->af_allow = u->af_deny = 0;
	} else if (v[0] == '~') {
		u->af_deny |= families(v);
	} else {
		u->af_allow = (u->af_limited ? u->af_allow : 0) | families(v);
		u->af_limited = true;
	}
}

static int level(const char *v, const char *three, const char *four)
{
	bool b;

	if (boolean(v, &b))
		return b ? 1 : 0;
	return !strcmp(v, three) ? 2 : !strcmp(v, four) ? 3 : 0;
}

/* A value cut to its field (every field here is far longer than a real one). */
static void text(char *dst, size_t cap, const char *v)
{
	size_t n = strnlen(v, cap - 1);

	memcpy(dst, v, n);
	dst[n] = '\0';
}

/* One "Key=value" of [Service], value expanded. */
static void setting(struct natt_mig_unit *u, const char *key, const char *v)
{
	if (!strcmp(key, "WorkingDirectory"))
		text(u->workdir, sizeof(u->workdir), v + (v[0] == '-'));
	else if (!strcmp(key, "ExecStart"))
		exec_start(u, v);
	else if (!strcmp(key, "User"))
		text(u->user, sizeof(u->user), v);
	else if (!strcmp(key, "LimitNPROC"))
		u->nproc = limit(v);
	else if (!strcmp(key, "TasksMax"))
		u->tasks = strchr(v, '%') != NULL ? -1 : limit(v);
	else if (!strcmp(key, "ProtectSystem"))
		u->protect_system = level(v, "full", "strict");
	else if (!strcmp(key, "ProtectHome"))
		u->protect_home = level(v, "read-only", "tmpfs");
	else if (!strcmp(key, "PrivateTmp") && !boolean(v, &u->private_tmp))
		u->private_tmp = strcmp(v, "disconnected") == 0;
	else if (!strcmp(key, "CapabilityBoundingSet"))
		caps(u, v);
	else if (!strcmp(key, "RestrictAddressFamilies"))
		address_families(u, v);
	else if (!strcmp(key, "DeviceAllow"))
		u->devices = v[0] != '\0';
	else if (!strcmp(key, "SystemCallFilter"))
		u->syscalls = v[0] != '\0';
	else if (!strcmp(key, "KillMode"))
		text(u->kill_mode, sizeof(u->kill_mode), v);
	else if (!strcmp(key, "Restart"))
		text(u->restart, sizeof(u->restart), v);
	else if (!strcmp(key, "RestartSec"))
		text(u->restart_sec, sizeof(u->restart_sec), v);
	else if (!strcmp(key, "ReadWritePaths"))
		plist(&u->rw, v);
	else if (!strcmp(key, "ReadOnlyPaths"))
		plist(&u->ro, v);
	else if (!strcmp(key, "InaccessiblePaths"))
		plist(&u->hidden, v);
}

static char *trim(char *s)
{
	size_t n;

	s += strspn(s, " \t");
	n = strlen(s);
	while (n > 0 && strchr(" \t\r\n", s[n - 1]) != NULL)
		s[--n] = '\0';
	return s;
}

/* One logical line: a section header or, inside [Service], a setting. */
static void logical_line(struct natt_mig_unit *u, char *line, bool *service)
{
	char val[NATT_MIG_PATH], *eq, *l = trim(line);

	if (l[0] == '[')
		*service = strcmp(l, "[Service]") == 0;
	if (!*service || l[0] == '#' || l[0] == ';' || (eq = strchr(l, '=')) == NULL)
		return;
	*eq = '\0';
	expand(u, trim(eq + 1), val, sizeof(val));
	setting(u, trim(l), val);
}

/* Applies one unit file or drop-in; a line ending in '\\' goes on. */
static int apply(struct natt_mig_unit *u, const char *path)
{
	char *data, *line, *next, logical[8192];
	size_t len, ll = 0;
	bool service = false;

	if (natt_mig_read(path, &data, &len, NULL) != 0)
		return NATT_ERR_IO;
	for (line = data; line != NULL; line = next) {
		size_t n;

		next = strchr(line, '\n');
		if (next != NULL)
			*next++ = '\0';
		n = strlen(line);
		if (n > 0 && line[n - 1] == '\r')
			line[--n] = '\0';
		ll += (size_t)snprintf(logical + ll, sizeof(logical) - ll, "%s", line);
		if (ll >= sizeof(logical))
			ll = sizeof(logical) - 1;
		if (ll > 0 && logical[ll - 1] == '\\' && next != NULL) {
			logical[ll - 1] = ' ';
			continue;
		}
		logical_line(u, logical, &service);
		ll = 0;
	}
	free(data);
	return 0;
}

/* ---- finding the files ---- */

static bool exists(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0;
}

static int by_name(const void *a, const void *b)
{
	const char *x = *(const char *const *)a, *y = *(const char *const *)b;

	return strcmp(strrchr(x, '/'), strrchr(y, '/'));
}

/* The *.conf of dir not yet taken (by file name) into u->dropins. */
static void scan(struct natt_mig_unit *u, const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;

	while (d != NULL && (e = readdir(d)) != NULL && u->n_dropins < NATT_MIG_UNIT_FILES) {
		size_t n = strlen(e->d_name), i;
		bool taken = false;

		if (n < 6 || strcmp(e->d_name + n - 5, ".conf") != 0)
			continue;
		for (i = 0; i < u->n_dropins; i++)
			taken = taken || strcmp(strrchr(u->dropins[i], '/') + 1, e->d_name) == 0;
		if (!taken)
			snprintf(u->dropins[u->n_dropins++], NATT_MIG_PATH, "%.3000s/%s", dir,
				 e->d_name);
	}
	if (d != NULL)
		closedir(d);
}

/* Drop-in directories from the most to the least specific. */
static void dropins(struct natt_mig_unit *u, const struct search *s, const char *tmpl)
{
	char names[8][300], base[256], dir[NATT_MIG_PATH + 300], *dash;
	const char *order[NATT_MIG_UNIT_FILES];
	size_t n = 0, i, k;

	snprintf(names[n++], sizeof(names[0]), "%s.d", u->name);
	if (tmpl[0] != '\0')
		snprintf(names[n++], sizeof(names[0]), "%s.d", tmpl);
	snprintf(base, sizeof(base), "%.*s", (int)strcspn(u->name, "@."), u->name);
	while (n < 7 && (dash = strrchr(base, '-')) != NULL) {
		dash[1] = '\0'; /* foo-bar-baz: foo-bar-.service.d, then foo-.service.d */
		snprintf(names[n++], sizeof(names[0]), "%s.service.d", base);
		dash[0] = '\0';
	}
	snprintf(names[n++], sizeof(names[0]), "service.d");
	for (k = 0; k < n; k++)
		for (i = 0; i < s->n; i++) {
			snprintf(dir, sizeof(dir), "%s/%s", s->dir[i], names[k]);
			scan(u, dir);
		}
	for (i = 0; i < u->n_dropins; i++)
		order[i] = u->dropins[i];
	qsort(order, u->n_dropins, sizeof(order[0]), by_name);
	for (i = 0; i < u->n_dropins; i++)
		apply(u, order[i]);
}

static void defaults(struct natt_mig_unit *u)
{
	u->nproc = u->tasks = -1;
	u->cap_bind = true;
	snprintf(u->kill_mode, sizeof(u->kill_mode), "control-group");
	snprintf(u->restart, sizeof(u->restart), "no");
	snprintf(u->restart_sec, sizeof(u->restart_sec), "100ms");
}

/* Reads the unit name (NAME.service, maybe an instance of a template). */
static int load(struct natt_mig_unit *u, const char *name, char *err, size_t errlen)
{
	struct search s;
	char tmpl[300] = "", path[NATT_MIG_PATH + 300];
	const char *at = strchr(name, '@');
	size_t i;
	struct stat st;

	memset(u, 0, sizeof(*u));
	defaults(u);
	snprintf(u->name, sizeof(u->name), "%s%s", name,
		 strstr(name, ".service") != NULL ? "" : ".service");
	if (at != NULL) {
		const char *end = strstr(at + 1, ".service");

		snprintf(tmpl, sizeof(tmpl), "%.*s@.service", (int)(at - name), name);
		snprintf(u->instance, sizeof(u->instance), "%.*s",
			 (int)(end != NULL ? (size_t)(end - at - 1) : strlen(at + 1)), at + 1);
	}
	search_path(&s);
	for (i = 0; u->file[0] == '\0' && i < 2 * s.n; i++) {
		snprintf(path, sizeof(path), "%s/%s", s.dir[i % s.n], i < s.n ? u->name : tmpl);
		if ((i < s.n || tmpl[0] != '\0') && exists(path))
			text(u->file, sizeof(u->file), path);
	}
	if (u->file[0] == '\0')
		return natt_errmsg(err, errlen, "%s: no such unit", u->name), NATT_ERR_IO;
	if (stat(u->file, &st) != 0 || !S_ISREG(st.st_mode) || st.st_size == 0)
		return natt_errmsg(err, errlen, "%s: masked (%s)", u->name, u->file), NATT_ERR_IO;
	if (apply(u, u->file) != 0)
		return natt_errmsg(err, errlen, "%s: cannot read", u->file), NATT_ERR_IO;
	dropins(u, &s, tmpl);
	finish(u);
	return 0;
}

static const char *leaf(const char *path)
{
	const char *slash = strrchr(path, '/');

	return slash != NULL ? slash + 1 : path;
}

/* Same file, or same directory with another name (config_wrong). */
static int matches(struct natt_mig_unit *u, const char *config)
{
	char a[NATT_MIG_PATH], b[NATT_MIG_PATH], ra[PATH_MAX], rb[PATH_MAX];

	if (u->config[0] == '\0')
		return 0;
	snprintf(a, sizeof(a), "%s", u->config);
	snprintf(b, sizeof(b), "%s", config);
	if (realpath(dirname(a), ra) == NULL || realpath(dirname(b), rb) == NULL ||
	    strcmp(ra, rb) != 0)
		return 0;
	u->config_wrong = strcmp(leaf(u->config), leaf(config)) != 0;
	return 1;
}

int natt_mig_unit_find(const char *config, const char *name, struct natt_mig_unit *u, char *err,
		       size_t errlen)
{
	char stem[256], inst[300];
	const char *base = leaf(config);
	size_t n = strlen(base), i;

	if (name != NULL) {
		if (load(u, name, err, errlen) != 0)
			return NATT_ERR_IO;
		if (!matches(u, config))
			u->config_wrong = true;
		return 0;
	}
	snprintf(stem, sizeof(stem), "%.255s", base);
	if (n > 5 && (!strcmp(base + n - 5, ".conf") || !strcmp(base + n - 5, ".ovpn")))
		stem[n - 5] = '\0';
	for (i = 0; templates[i] != NULL; i++) {
		snprintf(inst, sizeof(inst), "%s%s", templates[i], stem);
		if (load(u, inst, err, errlen) == 0 && matches(u, config))
			return 0;
	}
	return NATT_MIG_UNIT_NONE;
}

const char *natt_mig_unit_start(const struct natt_mig_unit *u)
{
	return u->cd[0] != '\0' ? u->cd : u->workdir[0] != '\0' ? u->workdir : "/";
}
