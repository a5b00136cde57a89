/*
 * migrate_plan.h: what natt-migrate changes in an OpenVPN configuration
 * (pure: text in, texts out; no I/O).
 *
 * Every line it does not need to change is copied byte for byte; a line it
 * replaces is kept, commented out with NATT_MIG_MARK in front, so that the
 * operator sees it and rollback is not the only way back.  New directives go
 * in one marked block at the end (server; client: the NAT-traversal `remote`
 * goes before the original ones, which stay as fallbacks).
 */
#ifndef NATT_MIGRATE_PLAN_H
#define NATT_MIGRATE_PLAN_H

#include <stdbool.h>
#include <stddef.h>

#include "migrate_ovpn.h"

#define NATT_MIG_MARK	     "#natt-migrate# "
#define NATT_MIG_PATH_MTU    1500  /* the plugin's default path-mtu */
#define NATT_MIG_TUN_MTU     1414  /* path-mtu - 86 (openvpn-plugin-natt(8), MTU) */
#define NATT_MIG_MSSFIX	     1466  /* path-mtu - 34 (idem) */
#define NATT_MIG_SERVER_PORT 1194  /* OpenVPN's default port */
#define NATT_MIG_CLIENT_PORT 11194 /* the client plugin's loopback port */
#define NATT_MIG_LOOPBACK    "127.0.0.1"
#define NATT_MIG_PLUGIN_SO   "openvpn-plugin-natt"
/*
 * --keep-legacy: the plugin's public socket (0.0.0.0) takes the old port, so
 * OpenVPN's loopback socket needs another one (binding 127.0.0.1:P fails
 * while 0.0.0.0:P is bound): the old port plus this, or minus it above 45535.
 * Not +10000: 11194 is the client plugin's loopback port on the same host.
 */
#define NATT_MIG_LEGACY_SHIFT 20000

/* A growing byte buffer. */
struct natt_mig_buf {
	char *p; /* NUL-terminated when not NULL */
	size_t len;
	size_t cap;
};

/* Appends n bytes / a formatted string; 0 or NATT_ERR_NOMEM. */
int natt_mig_buf_add(struct natt_mig_buf *b, const char *s, size_t n);
int natt_mig_buf_printf(struct natt_mig_buf *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void natt_mig_buf_free(struct natt_mig_buf *b);

/* What the operator asked for (paths absolute). */
struct natt_mig_opts {
	bool server;		 /* server or client */
	const char *name;	 /* this peer's name */
	const char *server_name; /* client: the server to reach */
	const char *rendezvous;	 /* HOST[:PORT] */
	const char *network_key; /* key file path for the plugin config */
	const char *plugin;	 /* the plugin's .so */
	const char *pconf_path;	 /* where the plugin config is written */
	const char *outdir;	 /* where extracted PEM files go */
	const char *base;	 /* file name stem for extracted PEM files */
	bool keep_legacy;	 /* server: pass plain OpenVPN clients through on the old port */
	const char *config_dir;	 /* the original's directory (relative names start there) */
	const char *run_dir;	 /* the new file's directory if it moves (migrate_paths.h) */
};

#define NATT_MIG_MAX_EXTRA 3

/* The result. */
struct natt_mig_plan {
	bool already;		   /* the config already uses the plugin: nothing to do */
	struct natt_mig_buf ovpn;  /* the new OpenVPN config */
	struct natt_mig_buf pconf; /* the plugin config */
	size_t n_extra;		   /* inline <ca>/<cert>/<key> written to files (0600) */
	char extra_path[NATT_MIG_MAX_EXTRA][4096];
	struct natt_mig_buf extra[NATT_MIG_MAX_EXTRA];
	unsigned port;	      /* the loopback port OpenVPN uses */
	unsigned legacy_port; /* --keep-legacy: the old port, now the plugin's public-port */
	char pconf_in_use[NATT_MIG_PATH]; /* already: the plugin configuration named ("": none) */
};

/*
 * Plans the migration of c (already loaded).  Returns 0 (p->already tells
 * whether anything changes), NATT_ERR_INVALID with "file:line: reason" in
 * err for a configuration it cannot migrate safely (dev tap, port-share,
 * point-to-point, pkcs12/pkcs11, http-proxy on a client, a directive it
 * must change inside an included file, wrong role, no remote, no cert;
 * with keep_legacy: proto tcp or IPv6; a move it cannot make, see
 * migrate_paths.h; a line OpenVPN's limit would refuse), or
 * NATT_ERR_NOMEM.  Free p with natt_mig_plan_free().
 */
int natt_mig_plan(const struct natt_mig_conf *c, const struct natt_mig_opts *o,
		  struct natt_mig_plan *p, char *err, size_t errlen);
void natt_mig_plan_free(struct natt_mig_plan *p);

/* Appends s to b as one OpenVPN token (quoted when it needs to be). */
int natt_mig_buf_token(struct natt_mig_buf *b, const char *s);

/*
 * The pass-through lines of a plugin configuration written with
 * --keep-legacy (`public-port`, `legacy-passthrough yes`): active (ON),
 * commented out with NATT_MIG_MARK (OFF), or absent (NONE).
 */
enum natt_mig_legacy { NATT_MIG_LEGACY_NONE, NATT_MIG_LEGACY_ON, NATT_MIG_LEGACY_OFF };
enum natt_mig_legacy natt_mig_legacy_state(const char *pconf, size_t len);

/*
 * The plugin configuration pconf with its pass-through lines switched on
 * (the marks removed) or off (marked) into out.  Returns 0 or
 * NATT_ERR_NOMEM.
 */
int natt_mig_legacy_set(const char *pconf, size_t len, bool on, struct natt_mig_buf *out);

/* True if name is a valid peer name (1-63 of A-Z a-z 0-9 . _ -). */
bool natt_mig_name_ok(const char *name);

#endif
