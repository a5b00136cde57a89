/*
 * pconf.h: the plugin's configuration, checked whole in OpenVPN's process
 * before anything starts (a wrong setting stops OpenVPN with one line that
 * names the setting and file:line).
 *
 * Sources, later ones overriding earlier ones:
 *   1. the plugin config file (the first argument after the plugin's path in
 *      OpenVPN's "plugin" line), in OpenVPN's syntax (transport/conf.h);
 *   2. "key=value" arguments after the file name on the plugin line;
 *   3. for what neither sets, what OpenVPN itself uses: ca/cert/key and
 *      user/group from the OpenVPN config file (OpenVPN passes its path as
 *      "config" in the environment of openvpn_plugin_open_v3; options given
 *      on OpenVPN's command line are not visible), openvpn-address from
 *      OpenVPN's local/lport (server) or remote/port (client), verb.
 * The OpenVPN config is also read for tun-mtu, mssfix and compression (see
 * mtu.h).  Nothing here opens a socket or forks; files are only read.
 */
#ifndef NATT_PLUGIN_PCONF_H
#define NATT_PLUGIN_PCONF_H

#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "mtu.h"
#include "natt.h"

#define NATT_PCONF_MAX_ADDRS	 4    /* rendezvous or stun lines */
#define NATT_PCONF_HOST_MAX	 256  /* host name or address text, NUL included */
#define NATT_PCONF_WHERE_MAX	 320  /* "file:line" of a setting, NUL included */
#define NATT_PCONF_NAME_MAX	 64   /* a user or group name, NUL included */
#define NATT_PCONF_RDV_PORT	 3478 /* natt-rendezvous and STUN default (RFC 8489 18.1) */
#define NATT_PCONF_KEEPALIVE	 15   /* seconds between keepalives when idle */
#define NATT_PCONF_KA_TIMEOUT	 60   /* seconds of silence before a peer is down */
#define NATT_PCONF_STATUS_EVERY	 10   /* seconds between status file rewrites */
#define NATT_PCONF_PUBLIC_RANDOM (-1)

enum natt_prole {
	NATT_PROLE_UNSET = 0,
	NATT_PROLE_SERVER = 1, /* registers, accepts peers: one loopback socket per peer */
	NATT_PROLE_CLIENT = 2, /* looks server-name up, one loopback socket for OpenVPN */
};

/* A host and port as written; resolved by the helper. */
struct natt_pconf_addr {
	char host[NATT_PCONF_HOST_MAX];
	uint16_t port;
};

/* A file path and where it was set (for messages). */
struct natt_pconf_path {
	char path[PATH_MAX];		  /* "" when unset */
	char where[NATT_PCONF_WHERE_MAX]; /* "natt.conf:3", "plugin argument 2", "server.conf:12" */
};

/* A user or group name as written (names only, as OpenVPN's user/group) and
 * where it was set. */
struct natt_pconf_name {
	char name[NATT_PCONF_NAME_MAX]; /* "" when unset */
	char where[NATT_PCONF_WHERE_MAX];
};

/*
 * Who the transport worker becomes once its sockets are bound and its files
 * open (natt_pconf_runas fills it in; privdrop.h applies it).
 */
struct natt_runas {
	bool drop;	 /* false: the worker keeps root (neither user nor group set) */
	uid_t uid;	 /* 0 when only group is set: the uid stays root */
	gid_t gid;	 /* user's primary group unless group is set */
	char label[160]; /* "nobody:nogroup", for log lines */
};

struct natt_pconf {
	enum natt_prole role;
	char name[64];	      /* this peer's name (PROTOCOL.md 4.2) */
	char server_name[64]; /* client: the server to reach */
	struct natt_pconf_addr rdv[NATT_PCONF_MAX_ADDRS];
	int n_rdv;
	struct natt_pconf_addr stun[NATT_PCONF_MAX_ADDRS];
	int n_stun;
	struct natt_pconf_path network_key;
	struct natt_pconf_path ca, cert, key;
	char openvpn_host[NATT_PCONF_HOST_MAX]; /* loopback address OpenVPN talks to */
	uint16_t openvpn_port;			/* 0 until set or learnt */
	char openvpn_where[NATT_PCONF_WHERE_MAX];
	int public_port;    /* 0-65535, or NATT_PCONF_PUBLIC_RANDOM */
	uint8_t cipher;	    /* enum natt_cipher */
	unsigned keepalive; /* seconds */
	unsigned keepalive_timeout;
	struct natt_pconf_path status;
	unsigned status_every; /* seconds */
	int verb;	       /* -1: not set (OpenVPN's verb is used) */
	struct natt_pconf_path keylog;
	unsigned path_mtu;
	bool legacy_passthrough;
	struct natt_pconf_name user, group; /* the worker's identity after start */
	struct natt_runas runas;	    /* resolved from user/group */
	char file[PATH_MAX];		    /* the plugin config file */
	/* learnt from OpenVPN */
	char openvpn_config[PATH_MAX]; /* "" when OpenVPN did not say */
	bool ov_known;		       /* OpenVPN's config was read: ov_mtu is its */
	struct natt_mtu_openvpn ov_mtu;
	char ov_mtu_where[NATT_PCONF_WHERE_MAX];
};

/* Defaults (role unset, keepalive 15/60, status every 10 s, path-mtu 1500,
 * random public port, AES-256-GCM, verb from OpenVPN). */
void natt_pconf_init(struct natt_pconf *c);

/*
 * Applies one setting: argv[0] is its name, argc its token count; where
 * says where it came from.  Returns NATT_OK or NATT_ERR_SYNTAX with
 * "where: setting: reason" in err.
 */
int natt_pconf_set(struct natt_pconf *c, int argc, char *const *argv, const char *where, char *err,
		   size_t errlen);

/*
 * Reads the plugin config file.  Returns NATT_OK, NATT_ERR_IO ("file: reason"),
 * NATT_ERR_SYNTAX ("file:line: ..."), NATT_ERR_NOMEM.
 */
int natt_pconf_load(struct natt_pconf *c, const char *path, char *err, size_t errlen);

/*
 * Applies "key=value" (index: its position on the plugin line, for
 * messages).  A value with blanks is split like a config line.  Returns
 * NATT_OK or NATT_ERR_SYNTAX.
 */
int natt_pconf_override(struct natt_pconf *c, const char *arg, int index, char *err, size_t errlen);

/*
 * Learns what OpenVPN uses from its environment (envp, NULL-terminated
 * "k=v" strings): "config" (then reads that file for ca, cert, key, user,
 * group, tun-mtu, mssfix, compress), "verb", "local_1"/"local_port_1" (server),
 * "remote_1"/"remote_port_1" (client).  Settings already made win.  An
 * OpenVPN config that cannot be read or parsed is not an error here (OpenVPN
 * read it): warn (warnlen bytes) says why it was skipped.  Returns NATT_OK.
 */
/*
 * Learns --user and --group from OpenVPN's command line (args: len bytes of
 * NUL-terminated arguments, as /proc/self/cmdline holds them; the plugin
 * runs in OpenVPN's process).  OpenVPN does not pass them in envp, and an
 * operator who drops OpenVPN's root there expects the transport to drop it
 * too.  Called before the config file is read, so the command line wins
 * over the file (the usual "--config FILE --user nobody" order); settings
 * already made win over both.
 */
void natt_pconf_learn_cmdline(struct natt_pconf *c, const char *args, size_t len);

int natt_pconf_learn_openvpn(struct natt_pconf *c, const char *const *envp, char *warn,
			     size_t warnlen);

/*
 * Checks the whole configuration: required settings for the role, loopback
 * openvpn-address, readable files, and the MTU when OpenVPN's config was
 * read (ov_known; otherwise PLUGIN_UP checks the tun MTU OpenVPN reports).  Returns NATT_OK or
 * NATT_ERR_INVALID with one line in err.
 */
int natt_pconf_check(const struct natt_pconf *c, char *err, size_t errlen);

/*
 * Resolves user and group (getpwnam, getgrnam) into c->runas: user alone
 * means its primary group too; group alone changes only the group.
 * Returns NATT_OK, NATT_ERR_INVALID ("where: user: no such user 'x'") or
 * NATT_ERR_NOMEM.
 */
int natt_pconf_runas(struct natt_pconf *c, char *err, size_t errlen);

/* "server", "client" or "unset". */
const char *natt_prole_name(enum natt_prole r);

#endif
