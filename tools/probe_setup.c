/*
 * probe_setup.c: natt-probe's command line, keys, certificates and
 * addresses, turned into a node configuration (probe.h).
 */
#define _GNU_SOURCE
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "addr.h"
#include "loop.h"
#include "conf.h"
#include "keyfile.h"
#include "probe.h"

#define DEFAULT_PORT 3478 /* the rendezvous' and STUN's */

static void usage(void)
{
	fprintf(stderr,
		"usage: " PROBE_PROG
		" server --name NAME --rendezvous HOST[:PORT] --network-key FILE\n"
		"                  --ca FILE --cert FILE --key FILE [--stun HOST[:PORT]] [--port "
		"N]\n"
		"                  [--bind ADDR] [--seconds S] [--verb N]\n"
		"       " PROBE_PROG " client --server-name NAME --rendezvous HOST[:PORT]\n"
		"                  --network-key FILE --ca FILE --cert FILE --key FILE\n"
		"                  [--stun HOST[:PORT]] [--port N] [--bind ADDR] [--name NAME]\n"
		"                  [--count N] [--interval MS] [--duration S] [--size BYTES]\n"
		"                  [--timeout S] [--verify-name NAME] [--no-retry] [--json]\n"
		"                  [--verb N]\n"
		"--rendezvous and --stun are repeatable (up to %d and %d).\n",
		NATT_NODE_MAX_RDV, NATT_NODE_MAX_STUN);
}

static int bad(const char *opt, const char *why)
{
	fprintf(stderr, PROBE_PROG ": %s: %s\n", opt, why);
	usage();
	return -1;
}

static int number(const char *opt, const char *s, uint64_t min, uint64_t max, uint64_t *out)
{
	char why[64];

	if (natt_conf_uint(s, min, max, out) == NATT_OK)
		return 0;
	snprintf(why, sizeof(why), "want a number from %llu to %llu", (unsigned long long)min,
		 (unsigned long long)max);
	return bad(opt, why);
}

static const char *const with_value[] = {
	"--name",	 "--server-name", "--network-key", "--ca",	"--cert",    "--key",
	"--verify-name", "--bind",	  "--rendezvous",  "--stun",	"--port",    "--count",
	"--interval",	 "--duration",	  "--size",	   "--timeout", "--seconds", "--verb",
};

/* An option with a value: its index advanced, or -1. */
static int take(int argc, char **argv, int *i, const char **val)
{
	bool known = false;

	for (size_t k = 0; k < sizeof(with_value) / sizeof(with_value[0]); k++)
		known |= strcmp(argv[*i], with_value[k]) == 0;
	if (!known)
		return bad(argv[*i], "unknown option");
	if (*i + 1 >= argc)
		return bad(argv[*i], "needs a value");
	*val = argv[++*i];
	return 0;
}

static int add_addr(const char *opt, const char *val, const char **list, unsigned int *n,
		    unsigned int max)
{
	if (*n == max)
		return bad(opt, "given too often");
	list[(*n)++] = val;
	return 0;
}

static int parse_num(const char *opt, const char *val, struct probe_opts *o)
{
	static const struct {
		const char *name;
		size_t off;
		uint64_t min, max;
	} t[] = {
		{"--port", offsetof(struct probe_opts, port), 0, 65535},
		{"--count", offsetof(struct probe_opts, count), 1, 1000000},
		{"--interval", offsetof(struct probe_opts, interval_ms), 1, 60000},
		{"--duration", offsetof(struct probe_opts, duration_s), 1, 86400},
		{"--size", offsetof(struct probe_opts, size), PROBE_ECHO_HDR, PROBE_SIZE_MAX},
		{"--timeout", offsetof(struct probe_opts, timeout_s), 1, 86400},
		{"--seconds", offsetof(struct probe_opts, seconds), 1, 31536000},
		{"--verb", offsetof(struct probe_opts, verb), 0, 11},
	};

	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		if (strcmp(opt, t[i].name) == 0)
			return number(opt, val, t[i].min, t[i].max,
				      (uint64_t *)((char *)o + t[i].off));
	return 1;
}

static int parse_str(const char *opt, const char *val, struct probe_opts *o)
{
	static const struct {
		const char *name;
		size_t off;
	} t[] = {
		{"--name", offsetof(struct probe_opts, name)},
		{"--server-name", offsetof(struct probe_opts, server_name)},
		{"--network-key", offsetof(struct probe_opts, key_file)},
		{"--ca", offsetof(struct probe_opts, ca)},
		{"--cert", offsetof(struct probe_opts, cert)},
		{"--key", offsetof(struct probe_opts, key)},
		{"--verify-name", offsetof(struct probe_opts, verify_name)},
		{"--bind", offsetof(struct probe_opts, bind)},
	};

	if (strcmp(opt, "--rendezvous") == 0)
		return add_addr(opt, val, o->rdv, &o->nrdv, NATT_NODE_MAX_RDV);
	if (strcmp(opt, "--stun") == 0)
		return add_addr(opt, val, o->stun, &o->nstun, NATT_NODE_MAX_STUN);
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		if (strcmp(opt, t[i].name) == 0) {
			*(const char **)((char *)o + t[i].off) = val;
			return 0;
		}
	return parse_num(opt, val, o);
}

static int check(const struct probe_opts *o)
{
	if (o->server && o->name == NULL)
		return bad("server", "--name is required");
	if (!o->server && o->server_name == NULL)
		return bad("client", "--server-name is required");
	if (o->nrdv == 0)
		return bad(o->server ? "server" : "client", "--rendezvous is required");
	if (o->key_file == NULL || o->cert == NULL || o->key == NULL || o->ca == NULL)
		return bad(o->server ? "server" : "client",
			   "--network-key, --ca, --cert and --key are required");
	return 0;
}

int probe_parse(int argc, char **argv, struct probe_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->count = 10;
	o->interval_ms = 20;
	o->size = 64;
	o->timeout_s = 30;
	o->verb = 3;
	if (argc < 2 || (strcmp(argv[1], "server") != 0 && strcmp(argv[1], "client") != 0)) {
		usage();
		return -1;
	}
	o->server = strcmp(argv[1], "server") == 0;
	for (int i = 2; i < argc; i++) {
		const char *val = NULL;
		int rc;

		if (strcmp(argv[i], "--json") == 0) {
			o->json = true;
			continue;
		}
		if (strcmp(argv[i], "--no-retry") == 0) {
			o->no_retry = true;
			continue;
		}
		if (take(argc, argv, &i, &val) < 0)
			return -1;
		rc = parse_str(argv[i - 1], val, o);
		if (rc < 0)
			return -1;
		if (rc > 0)
			return bad(argv[i - 1], "unknown option");
	}
	return check(o);
}

/* ---- addresses ---- */

/* HOST[:PORT] (a name, a numeric IPv4 address, an IPv6 address in
 * brackets) to a candidate (natt_addr_resolve() picks the family). */
static int resolve(const char *opt, const char *s, struct natt_cand *c)
{
	char host[256], why[128];
	uint16_t p;

	if (natt_conf_hostport(s, DEFAULT_PORT, host, sizeof(host), &p) != NATT_OK || p == 0) {
		fprintf(stderr, PROBE_PROG ": %s %s: want HOST[:PORT] or [IPv6]:PORT\n", opt, s);
		return -1;
	}
	if (natt_addr_resolve(host, p, NATT_CAND_HOST, c, why, sizeof(why)) != NATT_OK) {
		fprintf(stderr, PROBE_PROG ": %s %s: %s\n", opt, s, why);
		return -1;
	}
	return 0;
}

/* --bind: a numeric IPv4 or IPv6 address (brackets allowed), the port from
 * --port.  Without it the node takes the dual-stack wildcard. */
static int bind_addr(const struct probe_opts *o, struct natt_node_config *cfg)
{
	char host[64];
	size_t n;

	cfg->port = (uint16_t)o->port;
	if (o->bind == NULL)
		return 0;
	n = strlen(o->bind);
	if (n >= 2 && o->bind[0] == '[' && o->bind[n - 1] == ']')
		snprintf(host, sizeof(host), "%.*s", (int)(n - 2), o->bind + 1);
	else
		snprintf(host, sizeof(host), "%s", o->bind);
	cfg->bind_len = natt_addr_parse(host, (uint16_t)o->port, &cfg->bind);
	if (cfg->bind_len == 0) {
		fprintf(stderr, PROBE_PROG ": --bind %s: want a numeric IPv4 or IPv6 address\n",
			o->bind);
		return -1;
	}
	return 0;
}

/* ---- keys and certificates ---- */

static int load_key(const char *path, struct natt_seal **seal)
{
	uint8_t key[NATT_KEY_LEN];
	char err[512], warn[512];
	enum natt_key_kind kind;
	int rc = natt_keyfile_load(path, &kind, key, err, sizeof(err), warn, sizeof(warn));

	if (rc != NATT_OK) {
		fprintf(stderr, PROBE_PROG ": %s\n", err);
		return -1;
	}
	if (warn[0] != '\0')
		fprintf(stderr, PROBE_PROG ": warning: %s\n", warn);
	if (kind != NATT_KEY_NETWORK) {
		OPENSSL_cleanse(key, sizeof(key));
		fprintf(stderr, PROBE_PROG ": %s: a rendezvous key; peers need the network key\n",
			path);
		return -1;
	}
	rc = natt_seal_new(seal, key);
	OPENSSL_cleanse(key, sizeof(key));
	if (rc != NATT_OK)
		fprintf(stderr, PROBE_PROG ": %s: %s\n", path, natt_strerror(rc));
	return rc == NATT_OK ? 0 : -1;
}

static int load_tls(const struct probe_opts *o, struct natt_tls_ctx **tls)
{
	struct natt_tls_config tc;
	char err[512];

	memset(&tc, 0, sizeof(tc));
	tc.ca_file = o->ca;
	tc.cert_file = o->cert;
	tc.key_file = o->key;
	tc.peer_name = o->verify_name;
	if (natt_tls_ctx_new(tls, o->server ? NATT_TLS_SERVER : NATT_TLS_CLIENT, &tc, err,
			     sizeof(err)) != NATT_OK) {
		fprintf(stderr, PROBE_PROG ": %s\n", err);
		return -1;
	}
	return 0;
}

int probe_config(const struct probe_opts *o, struct natt_node_config *cfg, struct natt_seal **seal,
		 struct natt_tls_ctx **tls)
{
	natt_node_config_default(cfg);
	cfg->role = o->server ? NATT_NODE_SERVER : NATT_NODE_CLIENT;
	cfg->name = o->name;
	cfg->verb = (int)o->verb;
	cfg->reconnect = !o->server && !o->no_retry;
	for (unsigned int i = 0; i < o->nrdv; i++)
		if (resolve("--rendezvous", o->rdv[i], &cfg->rdv[cfg->nrdv++]) < 0)
			return -1;
	for (unsigned int i = 0; i < o->nstun; i++)
		if (resolve("--stun", o->stun[i], &cfg->stun[cfg->nstun++]) < 0)
			return -1;
	if (bind_addr(o, cfg) < 0 || load_key(o->key_file, seal) < 0)
		return -1;
	if (load_tls(o, tls) < 0)
		return -1;
	cfg->seal = *seal;
	cfg->tls = *tls;
	return 0;
}
