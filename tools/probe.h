/*
 * probe.h: what the files of natt-probe share.
 *   natt-probe.c   main, the server (echo) and client (measure) roles
 *   probe_setup.c  the command line, key and certificate loading, address
 *                  resolution, the node's configuration
 */
#ifndef NATT_TOOLS_PROBE_H
#define NATT_TOOLS_PROBE_H

#include <stdbool.h>

#include "node.h"

#define PROBE_PROG "natt-probe"

/* Exit statuses (natt-probe(1)). */
#define PROBE_EXIT_OK	 0
#define PROBE_EXIT_FAIL	 1
#define PROBE_EXIT_USAGE 2

/* Echo datagrams: an 8-byte sequence number, the 8-byte send time (the
 * client's monotonic clock, microseconds), then zero bytes up to --size. */
#define PROBE_ECHO_HDR 16
#define PROBE_SIZE_MAX NATT_NODE_MAX_PAYLOAD

struct probe_opts {
	bool server;		 /* "server" or "client" */
	const char *name;	 /* server: --name; client: optional --name */
	const char *server_name; /* client: --server-name */
	const char *rdv[NATT_NODE_MAX_RDV];
	unsigned int nrdv;
	const char *stun[NATT_NODE_MAX_STUN];
	unsigned int nstun;
	const char *key_file, *ca, *cert, *key, *verify_name;
	const char *bind;     /* --bind ADDR */
	uint64_t port;	      /* --port N (0: any) */
	uint64_t count;	      /* client: echo datagrams (default 10) */
	uint64_t interval_ms; /* client: between echo datagrams (default 20) */
	uint64_t duration_s;  /* client: send for this long instead of count */
	uint64_t size;	      /* client: echo datagram size (default 64) */
	uint64_t timeout_s;   /* client: give up after (default 30) */
	uint64_t seconds;     /* server: stop after (0: run until a signal) */
	uint64_t verb;	      /* log level (default 3) */
	bool json;	      /* client: result as one JSON object */
	bool no_retry;	      /* client: one attempt even if the rendezvous fails */
};

/* Parses argv into o; on error prints usage and returns -1. */
int probe_parse(int argc, char **argv, struct probe_opts *o);

/* Loads keys and certificates, resolves addresses and fills the node's
 * configuration (the callbacks are the caller's).  *seal and *tls are the
 * caller's to free.  Returns 0, or -1 with a message on stderr. */
int probe_config(const struct probe_opts *o, struct natt_node_config *cfg, struct natt_seal **seal,
		 struct natt_tls_ctx **tls);

/* Seconds since the program started (for log lines). */
double probe_elapsed(void);

#endif
