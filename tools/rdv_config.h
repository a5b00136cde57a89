/*
 * rdv_config.h: natt-rendezvous' settings, from its command line and its
 * configuration file.
 *
 * As in OpenVPN, every setting is a directive, written "name args" in the
 * file and "--name args" on the command line, the same table serving both
 * (rdv_config.c); the file is read with transport/conf.h, OpenVPN's
 * syntax.  Directives apply in order: the command line left to right, a
 * --config file where it appears.  A repeatable directive (listen, network)
 * adds; any other replaces.
 */
#ifndef NATT_TOOLS_RDV_CONFIG_H
#define NATT_TOOLS_RDV_CONFIG_H

#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <sys/socket.h>

#include "rdv.h"

#define RDV_DEFAULT_PORT	   3478 /* STUN's port (RFC 8489 18.1): one host serves both */
#define RDV_MAX_LISTEN		   16
#define RDV_DEFAULT_VERB	   3	     /* OpenVPN's sample configs; per-event lines need 4 */
#define RDV_DEFAULT_STATUS_SECONDS 60	     /* OpenVPN's status default */
#define RDV_DEFAULT_NETWORK	   "default" /* name of the --network-key network */
#define RDV_PATH_MAX		   1024
#define RDV_WHERE_MAX		   (RDV_PATH_MAX + 32)

/* What the command line asks for. */
enum rdv_action {
	RDV_ACT_RUN = 0,
	RDV_ACT_HELP,
	RDV_ACT_VERSION,
	RDV_ACT_GENKEY,		/* write a new network key to genkey_out */
	RDV_ACT_EXPORT_RDV_KEY, /* derive the rendezvous key of genkey_in into genkey_out */
};

struct rdv_listen_cfg {
	struct sockaddr_storage addr;
	socklen_t len;
	char text[64]; /* as given, normalised: "0.0.0.0:3478", "[::]:3478" */
};

struct rdv_network_cfg {
	char name[NATT_RDV_NETWORK_NAME_MAX + 1];
	char key_file[RDV_PATH_MAX];
	char where[RDV_WHERE_MAX]; /* "file:line" or "--network-key", for messages */
};

struct rdv_config {
	enum rdv_action action;
	char genkey_in[RDV_PATH_MAX], genkey_out[RDV_PATH_MAX];

	struct rdv_listen_cfg listen[RDV_MAX_LISTEN];
	unsigned int nlisten;
	bool default_listen; /* none given: [::]:3478, or 0.0.0.0:3478 without IPv6 */
	struct rdv_network_cfg net[NATT_RDV_MAX_NETWORKS];
	unsigned int nnet;
	struct natt_rdv_server_config srv; /* limits, replay guard, rate limits */

	int verb;			/* 0..11, OpenVPN's verb */
	char log_file[RDV_PATH_MAX];	/* "" = stderr in the foreground, syslog as a daemon */
	bool log_append;		/* log-append rather than log */
	char status_file[RDV_PATH_MAX]; /* "" = none */
	unsigned int status_seconds;
	char pidfile[RDV_PATH_MAX];
	char user[64], group[64]; /* "" = keep */
	bool daemon;		  /* detach (the default); foreground = false */
};

/* Sets every default: no listen address (rdv_config_finish() adds the
 * default one), no network, verb 3, daemon. */
void rdv_config_init(struct rdv_config *c);

/*
 * Applies the command line (argv[1..argc-1]), reading --config files where
 * they appear.  Returns 0, or on error writes one line to err and returns
 * 2 (a usage error: unknown option, wrong number of arguments, a bad value
 * on the command line) or 1 (an error in a configuration file, given as
 * "file:line: ...").
 */
int rdv_config_argv(struct rdv_config *c, int argc, char **argv, char *err, size_t errlen);

/*
 * Applies one configuration file.  Returns 0, or 1 with "file:line: ..."
 * (or "file: reason") in err.
 */
int rdv_config_file(struct rdv_config *c, const char *path, char *err, size_t errlen);

/*
 * Checks that a run has what it needs (a network) and fills in defaults
 * that depend on other settings (the listen address).  Returns 0, or 1
 * with the reason in err.
 */
int rdv_config_finish(struct rdv_config *c, char *err, size_t errlen);

/* Writes the --help text: usage and every directive. */
void rdv_config_usage(FILE *f);

#endif
