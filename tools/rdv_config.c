/*
 * rdv_config.c: natt-rendezvous' directives, one table for the command line
 * and the configuration file (rdv_config.h).
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "conf.h"
#include "rdv_config.h"

#define WHERE_CMDLINE 1u
#define WHERE_FILE    2u
#define WHERE_BOTH    (WHERE_CMDLINE | WHERE_FILE)
#define RATE_MAX      1000000 /* the rate limiter counts in microseconds */

/* Applies a directive's arguments (argv[0] is the first argument, not the
 * name); on error writes the reason to err and returns -1. */
typedef int apply_fn(struct rdv_config *c, int argc, char **argv, char *err, size_t errlen);

struct directive {
	const char *name;
	int min, max; /* arguments */
	unsigned where;
	apply_fn *apply;
	const char *args; /* for --help */
	const char *help;
};

/* Where the directive being applied comes from, for network lines. */
static const char *cur_where = "command line";

static int fail(char *err, size_t errlen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int fail(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return -1;
}

/* Paths are made absolute when read: the daemon changes to / later. */
static int set_path(char *dst, const char *src, char *err, size_t errlen)
{
	char cwd[RDV_PATH_MAX];
	int n;

	if (src[0] == '\0')
		return fail(err, errlen, "empty file name");
	if (src[0] == '/')
		n = snprintf(dst, RDV_PATH_MAX, "%s", src);
	else if (getcwd(cwd, sizeof(cwd)) == NULL)
		return fail(err, errlen, "%s: cannot tell the current directory", src);
	else
		n = snprintf(dst, RDV_PATH_MAX, "%s/%s", cwd, src);
	if (n < 0 || n >= RDV_PATH_MAX)
		return fail(err, errlen, "%s: path too long", src);
	return 0;
}

static int uint_arg(const char *s, uint64_t min, uint64_t max, uint64_t *v, const char *what,
		    char *err, size_t errlen)
{
	if (natt_conf_uint(s, min, max, v) != NATT_OK)
		return fail(err, errlen, "%s: '%s' is not a number from %llu to %llu", what, s,
			    (unsigned long long)min, (unsigned long long)max);
	return 0;
}

/* ---- the directives ---- */

static int d_config(struct rdv_config *c, int argc, char **argv, char *err, size_t errlen)
{
	(void)argc;
	return rdv_config_file(c, argv[0], err, errlen) == 0 ? 0 : -2;
}

static int parse_listen(struct rdv_listen_cfg *l, int argc, char **argv, char *err, size_t errlen)
{
	char host[INET6_ADDRSTRLEN + 1];
	uint16_t port;
	uint64_t p;
	struct sockaddr_in *s4 = (struct sockaddr_in *)&l->addr;
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&l->addr;

	if (natt_conf_hostport(argv[0], RDV_DEFAULT_PORT, host, sizeof(host), &port) != NATT_OK)
		return fail(err, errlen, "'%s': want ADDRESS, ADDRESS:PORT or [IPv6]:PORT",
			    argv[0]);
	if (argc == 2) {
		if (uint_arg(argv[1], 0, 65535, &p, "port", err, errlen) < 0)
			return -1;
		port = (uint16_t)p;
	}
	memset(l, 0, sizeof(*l));
	if (inet_pton(AF_INET, host, &s4->sin_addr) == 1) {
		s4->sin_family = AF_INET;
		s4->sin_port = htons(port);
		l->len = sizeof(*s4);
		snprintf(l->text, sizeof(l->text), "%s:%u", host, port);
	} else if (inet_pton(AF_INET6, host, &s6->sin6_addr) == 1) {
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons(port);
		l->len = sizeof(*s6);
		snprintf(l->text, sizeof(l->text), "[%s]:%u", host, port);
	} else {
		return fail(err, errlen, "'%s' is not a numeric IPv4 or IPv6 address", host);
	}
	return 0;
}

static int d_listen(struct rdv_config *c, int argc, char **argv, char *err, size_t errlen)
{
	struct rdv_listen_cfg l;

	if (parse_listen(&l, argc, argv, err, errlen) < 0)
		return -1;
	for (unsigned int i = 0; i < c->nlisten; i++)
		if (strcmp(c->listen[i].text, l.text) == 0)
			return fail(err, errlen, "%s is already a listen address", l.text);
	if (c->nlisten == RDV_MAX_LISTEN)
		return fail(err, errlen, "too many listen addresses (at most %d)", RDV_MAX_LISTEN);
	c->listen[c->nlisten++] = l;
	return 0;
}

static int add_network(struct rdv_config *c, const char *name, const char *file, char *err,
		       size_t errlen)
{
	struct rdv_network_cfg *n;
	struct natt_name check;

	if (strlen(name) > NATT_RDV_NETWORK_NAME_MAX || natt_name_set(&check, name) != NATT_OK)
		return fail(err, errlen,
			    "network name '%s': 1-%d characters from A-Z a-z 0-9 . _ -", name,
			    NATT_RDV_NETWORK_NAME_MAX);
	for (unsigned int i = 0; i < c->nnet; i++)
		if (strcmp(c->net[i].name, name) == 0)
			return fail(err, errlen, "network '%s' is already defined (%s)", name,
				    c->net[i].where);
	if (c->nnet == NATT_RDV_MAX_NETWORKS)
		return fail(err, errlen, "too many networks (at most %d)", NATT_RDV_MAX_NETWORKS);
	n = &c->net[c->nnet];
	if (set_path(n->key_file, file, err, errlen) < 0)
		return -1;
	snprintf(n->name, sizeof(n->name), "%s", name);
	snprintf(n->where, sizeof(n->where), "%s", cur_where);
	c->nnet++;
	return 0;
}

static int d_network(struct rdv_config *c, int argc, char **argv, char *err, size_t errlen)
{
	(void)argc;
	return add_network(c, argv[0], argv[1], err, errlen);
}

static int d_network_key(struct rdv_config *c, int argc, char **argv, char *err, size_t errlen)
{
	(void)argc;
	return add_network(c, RDV_DEFAULT_NETWORK, argv[0], err, errlen);
}

static int d_max_regs(struct rdv_config *c, int argc, char **argv, char *err, size_t errlen)
{
	uint64_t v;

	(void)argc;
	if (uint_arg(argv[0], 1, UINT32_MAX, &v, "max-registrations", err, errlen) < 0)
		return -1;
	c->srv.max_registrations = (size_t)v;
	return 0;
}

static int d_max_lifetime(struct rdv_config *c, int argc, char **argv, char *err, size_t errlen)
{
	uint64_t v;

	(void)argc;
	if (uint_arg(argv[0], 1, 65535, &v, "max-lifetime", err, errlen) < 0)
		return -1;
	c->srv.max_lifetime_s = (uint16_t)v;
	return 0;
}

static int d_replay(struct rdv_config *c, int argc, char **argv, char *err, size_t errlen)
{
	uint64_t v;

	(void)argc;
	if (strcmp(argv[0], "auto") == 0) {
		c->srv.salt_capacity = 0;
		return 0;
	}
	if (uint_arg(argv[0], 1024, UINT32_MAX, &v, "replay-capacity", err, errlen) < 0)
		return -1;
	c->srv.salt_capacity = (size_t)v;
	return 0;
}

static int rate_pair(int argc, char **argv, uint32_t *rate, uint32_t *burst, const char *what,
		     char *err, size_t errlen)
{
	uint64_t r, b;

	if (uint_arg(argv[0], 1, RATE_MAX, &r, what, err, errlen) < 0)
		return -1;
	b = 2 * r;
	if (argc == 2 && uint_arg(argv[1], 1, UINT32_MAX, &b, what, err, errlen) < 0)
		return -1;
	*rate = (uint32_t)r;
	*burst = b > UINT32_MAX ? UINT32_MAX : (uint32_t)b;
	return 0;
}

static int d_rate(struct rdv_config *c, int argc, char **argv, char *err, size_t errlen)
{
	return rate_pair(argc, argv, &c->srv.rate.rate, &c->srv.rate.burst, "rate-limit", err,
			 errlen);
}

static int d_global_rate(struct rdv_config *c, int argc, char **argv, char *err, size_t errlen)
{
	return rate_pair(argc, argv, &c->srv.rate.global_rate, &c->srv.rate.global_burst,
			 "global-rate-limit", err, errlen);
}

static int d_rate_sources(struct rdv_config *c, int argc, char **argv, char *err, size_t errlen)
{
	uint64_t v, p = 1;

	(void)argc;
	if (uint_arg(argv[0], NATT_RL_PROBE, UINT64_C(1) << 26, &v, "rate-limit-sources", err,
		     errlen) < 0)
		return -1;
	while (p < v)
		p <<= 1;
	c->srv.rate.slots = (size_t)p; /* the limiter wants a power of two */
	return 0;
}

static int d_verb(struct rdv_config *c, int argc, char **argv, char *err, size_t errlen)
{
	uint64_t v;

	(void)argc;
	if (uint_arg(argv[0], 0, 11, &v, "log level (verb)", err, errlen) < 0)
		return -1;
	c->verb = (int)v;
	return 0;
}

static int d_log(struct rdv_config *c, int argc, char **argv, char *err, size_t errlen)
{
	(void)argc;
	c->log_append = false;
	return set_path(c->log_file, argv[0], err, errlen);
}

static int d_log_append(struct rdv_config *c, int argc, char **argv, char *err, size_t errlen)
{
	(void)argc;
	c->log_append = true;
	return set_path(c->log_file, argv[0], err, errlen);
}

static int d_status(struct rdv_config *c, int argc, char **argv, char *err, size_t errlen)
{
	uint64_t v = RDV_DEFAULT_STATUS_SECONDS;

	if (argc == 2 && uint_arg(argv[1], 1, 86400, &v, "status interval", err, errlen) < 0)
		return -1;
	c->status_seconds = (unsigned int)v;
	return set_path(c->status_file, argv[0], err, errlen);
}

static int d_pidfile(struct rdv_config *c, int argc, char **argv, char *err, size_t errlen)
{
	(void)argc;
	return set_path(c->pidfile, argv[0], err, errlen);
}

static int set_name(char *dst, size_t cap, const char *src, const char *what, char *err,
		    size_t errlen)
{
	if (src[0] == '\0' || strlen(src) >= cap)
		return fail(err, errlen, "%s name '%s' is empty or too long", what, src);
	memcpy(dst, src, strlen(src) + 1);
	return 0;
}

static int d_user(struct rdv_config *c, int argc, char **argv, char *err, size_t errlen)
{
	(void)argc;
	return set_name(c->user, sizeof(c->user), argv[0], "user", err, errlen);
}

static int d_group(struct rdv_config *c, int argc, char **argv, char *err, size_t errlen)
{
	(void)argc;
	return set_name(c->group, sizeof(c->group), argv[0], "group", err, errlen);
}

static int d_daemon(struct rdv_config *c, int argc, char **argv, char *err, size_t errlen)
{
	(void)argc, (void)argv, (void)err, (void)errlen;
	c->daemon = true;
	return 0;
}

static int d_foreground(struct rdv_config *c, int argc, char **argv, char *err, size_t errlen)
{
	(void)argc, (void)argv, (void)err, (void)errlen;
	c->daemon = false;
	return 0;
}

static int d_genkey(struct rdv_config *c, int argc, char **argv, char *err, size_t errlen)
{
	(void)argc, (void)err, (void)errlen;
	c->action = RDV_ACT_GENKEY;
	snprintf(c->genkey_out, sizeof(c->genkey_out), "%s", argv[0]);
	return 0;
}

static int d_export(struct rdv_config *c, int argc, char **argv, char *err, size_t errlen)
{
	(void)argc, (void)err, (void)errlen;
	c->action = RDV_ACT_EXPORT_RDV_KEY;
	snprintf(c->genkey_in, sizeof(c->genkey_in), "%s", argv[0]);
	snprintf(c->genkey_out, sizeof(c->genkey_out), "%s", argv[1]);
	return 0;
}

static int d_version(struct rdv_config *c, int argc, char **argv, char *err, size_t errlen)
{
	(void)argc, (void)argv, (void)err, (void)errlen;
	c->action = RDV_ACT_VERSION;
	return 0;
}

static int d_help(struct rdv_config *c, int argc, char **argv, char *err, size_t errlen)
{
	(void)argc, (void)argv, (void)err, (void)errlen;
	c->action = RDV_ACT_HELP;
	return 0;
}

static const struct directive directives[] = {
	{"config", 1, 1, WHERE_CMDLINE, d_config, "FILE",
	 "read directives from FILE (OpenVPN syntax)"},
	{"listen", 1, 2, WHERE_BOTH, d_listen, "ADDR[:PORT]",
	 "UDP address to serve, repeatable; [IPv6]:PORT; default [::]:3478 (IPv6 and IPv4); "
	 "port 0: any free port (the status file tells which)"},
	{"network", 2, 2, WHERE_BOTH, d_network, "NAME KEYFILE",
	 "serve the network whose network or rendezvous key is in KEYFILE, repeatable"},
	{"network-key", 1, 1, WHERE_BOTH, d_network_key, "KEYFILE",
	 "serve one network, named \"" RDV_DEFAULT_NETWORK "\""},
	{"max-registrations", 1, 1, WHERE_BOTH, d_max_regs, "N",
	 "registrations held, all networks (default 100000)"},
	{"max-lifetime", 1, 1, WHERE_BOTH, d_max_lifetime, "SECONDS",
	 "longest registration lifetime granted (default 300)"},
	{"replay-capacity", 1, 1, WHERE_BOTH, d_replay, "N|auto",
	 "messages accepted per 120 s (replay guard, 24 bytes each; auto: 8 per registration + "
	 "120000)"},
	{"rate-limit", 1, 2, WHERE_BOTH, d_rate, "RATE [BURST]",
	 "requests per second per source address or /64 (default 20 40)"},
	{"global-rate-limit", 1, 2, WHERE_BOTH, d_global_rate, "RATE [BURST]",
	 "requests per second, all sources (default 100000 20000)"},
	{"rate-limit-sources", 1, 1, WHERE_BOTH, d_rate_sources, "N",
	 "sources the rate limiter tracks (default 65536)"},
	{"verb", 1, 1, WHERE_BOTH, d_verb, "N",
	 "log level as OpenVPN's: 0 fatal only, 1 errors and start/stop, 3 summaries (default), "
	 "4 every registration and lookup, 7 every dropped datagram"},
	{"log-level", 1, 1, WHERE_BOTH, d_verb, "N", "same as verb"},
	{"log", 1, 1, WHERE_BOTH, d_log, "FILE",
	 "log to FILE (truncated at start; reopened on SIGHUP)"},
	{"log-append", 1, 1, WHERE_BOTH, d_log_append, "FILE", "log to FILE, appending"},
	{"status", 1, 2, WHERE_BOTH, d_status, "FILE [SECONDS]",
	 "write counters to FILE every SECONDS (default 60) and on SIGUSR1"},
	{"stats", 1, 2, WHERE_BOTH, d_status, "FILE [SECONDS]", "same as status"},
	{"writepid", 1, 1, WHERE_BOTH, d_pidfile, "FILE", "write the process ID to FILE"},
	{"pidfile", 1, 1, WHERE_BOTH, d_pidfile, "FILE", "same as writepid"},
	{"user", 1, 1, WHERE_BOTH, d_user, "NAME", "drop privileges to NAME after binding"},
	{"group", 1, 1, WHERE_BOTH, d_group, "NAME", "drop privileges to group NAME after binding"},
	{"daemon", 0, 0, WHERE_BOTH, d_daemon, "", "detach and run in the background (default)"},
	{"foreground", 0, 0, WHERE_BOTH, d_foreground, "", "stay in the foreground, log to stderr"},
	{"genkey", 1, 1, WHERE_CMDLINE, d_genkey, "FILE",
	 "write a new network key to FILE (mode 0600, never overwrites) and exit"},
	{"export-rendezvous-key", 2, 2, WHERE_CMDLINE, d_export, "KEYFILE FILE",
	 "write the rendezvous-only key of network key KEYFILE to FILE and exit"},
	{"version", 0, 0, WHERE_CMDLINE, d_version, "", "print the version and exit"},
	{"help", 0, 0, WHERE_CMDLINE, d_help, "", "print this help and exit"},
};

#define N_DIRECTIVES (sizeof(directives) / sizeof(directives[0]))

static const struct directive *find(const char *name)
{
	for (size_t i = 0; i < N_DIRECTIVES; i++)
		if (strcmp(directives[i].name, name) == 0)
			return &directives[i];
	return NULL;
}

void rdv_config_init(struct rdv_config *c)
{
	memset(c, 0, sizeof(*c));
	natt_rdv_server_config_default(&c->srv);
	c->verb = RDV_DEFAULT_VERB;
	c->status_seconds = RDV_DEFAULT_STATUS_SECONDS;
	c->daemon = true;
}

/* ---- the configuration file ---- */

static int file_line(struct rdv_config *c, const char *path, struct natt_conf_line *l, char *err,
		     size_t errlen)
{
	const struct directive *d = find(l->argv[0]);
	char why[512], where[RDV_WHERE_MAX];
	int nargs = l->argc - 1, rc;

	if (d == NULL || !(d->where & WHERE_FILE)) {
		snprintf(err, errlen, "%s:%zu: %s '%s'", path, l->lineno,
			 d == NULL ? "unknown directive" : "command-line option not allowed here:",
			 l->argv[0]);
		return 1;
	}
	if (l->inline_text != NULL || nargs < d->min || nargs > d->max) {
		snprintf(err, errlen, "%s:%zu: %s takes %s%s", path, l->lineno, d->name,
			 d->max == 0 ? "no arguments" : "arguments: ", d->args);
		return 1;
	}
	snprintf(where, sizeof(where), "%s:%zu", path, l->lineno);
	cur_where = where;
	rc = d->apply(c, nargs, l->argv + 1, why, sizeof(why));
	cur_where = "command line";
	if (rc < 0) {
		snprintf(err, errlen, "%s:%zu: %s: %s", path, l->lineno, d->name, why);
		return 1;
	}
	return 0;
}

int rdv_config_file(struct rdv_config *c, const char *path, char *err, size_t errlen)
{
	static struct natt_conf_line line; /* 4 KiB of tokens: not on the stack */
	struct natt_conf_reader r;
	char *text;
	size_t len;
	int rc;

	if (natt_conf_load(path, &text, &len, err, errlen) != NATT_OK)
		return 1;
	natt_conf_reader_init(&r, text, len, path);
	while ((rc = natt_conf_next(&r, &line, err, errlen)) == 1)
		if (file_line(c, path, &line, err, errlen) != 0)
			break;
	free(text);
	return rc == 0 ? 0 : 1;
}

/* ---- the command line ---- */

/* How many of argv[i..] are arguments of an option (up to max). */
static int count_args(int argc, char **argv, int i, int max)
{
	int n = 0;

	while (i + n < argc && n < max && strncmp(argv[i + n], "--", 2) != 0)
		n++;
	return n;
}

static int usage_error(char *err, size_t errlen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int usage_error(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return 2;
}

/* One option at argv[*i] ("--name" or "--name=value"); *i moves past it
 * and its arguments. */
static int one_option(struct rdv_config *c, int argc, char **argv, int *i, char *err, size_t errlen)
{
	char name[64], *args[NATT_CONF_MAX_ARGS], *eq = strchr(argv[*i] + 2, '=');
	const struct directive *d;
	static char opt[80]; /* where a network comes from, kept in its settings */
	char why[RDV_WHERE_MAX + 512];
	int first = *i + 1, extra, n = 0, rc;

	snprintf(name, sizeof(name), "%.*s", eq ? (int)(eq - argv[*i] - 2) : 63, argv[*i] + 2);
	d = find(name);
	if (d == NULL)
		return usage_error(err, errlen, "unknown option --%s", name);
	if (eq != NULL)
		args[n++] = eq + 1;
	extra = count_args(argc, argv, first, d->max - n);
	for (int k = 0; k < extra; k++)
		args[n++] = argv[first + k];
	*i = first + extra;
	if (n < d->min || n > d->max)
		return usage_error(err, errlen, "--%s takes %s%s", d->name,
				   d->max == 0 ? "no arguments" : "arguments: ", d->args);
	snprintf(opt, sizeof(opt), "--%s", d->name);
	cur_where = opt;
	rc = d->apply(c, n, args, why, sizeof(why));
	cur_where = "command line";
	if (rc == -2) { /* an error inside a --config file: already "file:line: ..." */
		snprintf(err, errlen, "%s", why);
		return 1;
	}
	if (rc < 0)
		return usage_error(err, errlen, "--%s: %s", d->name, why);
	return 0;
}

int rdv_config_argv(struct rdv_config *c, int argc, char **argv, char *err, size_t errlen)
{
	int i = 1;

	while (i < argc) {
		int rc;

		if (strcmp(argv[i], "-h") == 0) {
			c->action = RDV_ACT_HELP;
			i++;
			continue;
		}
		if (strncmp(argv[i], "--", 2) != 0 || argv[i][2] == '\0')
			return usage_error(err, errlen, "unexpected argument '%s'", argv[i]);
		rc = one_option(c, argc, argv, &i, err, errlen);
		if (rc != 0)
			return rc;
	}
	return 0;
}

/* "[::]:P" is dual-stack (loop.h): with "0.0.0.0:P" too, one bind fails. */
static int check_wildcards(const struct rdv_config *c, char *err, size_t errlen)
{
	for (unsigned int i = 0; i < c->nlisten; i++) {
		const char *port;

		if (strncmp(c->listen[i].text, "0.0.0.0:", 8) != 0)
			continue;
		port = c->listen[i].text + 8;
		for (unsigned int k = 0; k < c->nlisten; k++)
			if (strncmp(c->listen[k].text, "[::]:", 5) == 0 &&
			    strcmp(c->listen[k].text + 5, port) == 0) {
				snprintf(err, errlen,
					 "listen [::]:%s serves IPv4 too: drop listen 0.0.0.0:%s",
					 port, port);
				return 1;
			}
	}
	return 0;
}

int rdv_config_finish(struct rdv_config *c, char *err, size_t errlen)
{
	if (c->nnet == 0) {
		snprintf(err, errlen,
			 "no network to serve: give --network-key FILE, or "
			 "'network NAME KEYFILE' lines in a --config file");
		return 1;
	}
	if (c->nlisten == 0) {
		char any[] = "[::]";
		char *argv[] = {any};

		parse_listen(&c->listen[0], 1, argv, err, errlen);
		c->nlisten = 1;
		c->default_listen = true;
	}
	if (check_wildcards(c, err, errlen) != 0)
		return 1;
	if (c->group[0] != '\0' && c->user[0] == '\0') {
		snprintf(err, errlen, "group %s without user: give both, or user alone", c->group);
		return 1;
	}
	return 0;
}

#define HELP_INDENT 30
#define HELP_WIDTH  79

/* "  head   text...", text wrapped at HELP_WIDTH under column HELP_INDENT. */
static void print_wrapped(FILE *f, const char *head, const char *text)
{
	int col = fprintf(f, "  %s", head);
	const char *p = text;

	while (*p != '\0') {
		size_t w = strcspn(p, " ");

		if (col < HELP_INDENT || (col + 1 + (int)w > HELP_WIDTH && col > HELP_INDENT)) {
			if (col >= HELP_INDENT)
				col = fprintf(f, "\n") - 1;
			col += fprintf(f, "%*s", HELP_INDENT - col, "");
		} else {
			col += fprintf(f, " ");
		}
		col += fprintf(f, "%.*s", (int)w, p);
		p += w;
		p += strspn(p, " ");
	}
	fprintf(f, "\n");
}

void rdv_config_usage(FILE *f)
{
	fprintf(f, "usage: natt-rendezvous --config FILE [--OPTION ARGS...]\n"
		   "       natt-rendezvous --network-key FILE [--listen ADDR:PORT] [--foreground]\n"
		   "       natt-rendezvous --genkey FILE\n\n"
		   "The rendezvous of openvpn-natt: registration, lookup and introduction of\n"
		   "peers behind NAT, and STUN Binding answers, on one UDP port.\n\n"
		   "Every option is also a configuration file directive (without the --):\n\n");
	for (size_t i = 0; i < N_DIRECTIVES; i++) {
		const struct directive *d = &directives[i];
		char head[80], text[512];

		snprintf(head, sizeof(head), "--%s %s", d->name, d->args);
		snprintf(text, sizeof(text), "%s%s", d->help,
			 d->where == WHERE_CMDLINE ? " (command line only)" : "");
		print_wrapped(f, head, text);
	}
	fprintf(f, "\nSignals: SIGTERM/SIGINT stop; SIGHUP reopens the log file and checks the\n"
		   "key files; SIGUSR1 writes the status file; SIGUSR2 logs the counters.\n"
		   "See natt-rendezvous(8).\n");
}
