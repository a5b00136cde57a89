/*
 * migrate_unit.h: the systemd unit that runs a migrated configuration, and
 * what that unit must allow openvpn-plugin-natt to do.
 *
 * Debian runs OpenVPN as openvpn-server@NAME (WorkingDirectory
 * /etc/openvpn/server, --config NAME.conf), openvpn-client@NAME
 * (/etc/openvpn/client) or openvpn@NAME (--cd /etc/openvpn, --config
 * /etc/openvpn/NAME.conf).  A unit is read as systemd reads it: the first
 * unit file on the search path ($SYSTEMD_UNIT_PATH, then /etc/systemd/system,
 * /run/systemd/system, /usr/local/lib/systemd/system, /usr/lib/systemd/system,
 * /lib/systemd/system), the instance's file or else the template's, then the
 * *.conf drop-ins of <unit>.d, <template>.d, the dash prefixes' and
 * service.d, in lexical order of their names.
 *
 * What the plugin does inside the unit (doc/ARCHITECTURE.md 6): OpenVPN
 * opens it as root before it drops privileges; it forks its helper, a
 * supervisor that keeps root, which forks the transport worker; the worker
 * binds the public UDP port, reads the plugin's files (its configuration,
 * the network key, PEM files), opens its status and keylog files, then runs
 * as OpenVPN's user and group if set.  So the settings that matter are:
 * LimitNPROC (RLIMIT_NPROC counts the processes of the real user; the
 * kernel does not apply it to a fork by root), TasksMax (the cgroup's
 * tasks, root's included), CapabilityBoundingSet (CAP_NET_BIND_SERVICE for
 * a public port below ip_unprivileged_port_start), RestrictAddressFamilies
 * (AF_UNIX for the plugin's channels, AF_INET, AF_NETLINK for the
 * interface list), ProtectSystem, ProtectHome, PrivateTmp, ReadOnly/
 * ReadWrite/InaccessiblePaths (files it reads or writes), WorkingDirectory
 * (relative names), KillMode (the plugin outlives OpenVPN by up to 3 s).
 */
#ifndef NATT_MIGRATE_UNIT_H
#define NATT_MIGRATE_UNIT_H

#include <stdbool.h>
#include <stdio.h>

#include "migrate_ovpn.h"
#include "migrate_paths.h"
#include "migrate_plan.h"

#define NATT_MIG_UNIT_NONE  1  /* natt_mig_unit_find(): no unit runs the configuration */
#define NATT_MIG_UNIT_PATHS 16 /* entries kept per path list setting */
#define NATT_MIG_UNIT_FILES 16 /* drop-ins read */
#define NATT_MIG_DROPIN	    "natt-migrate.conf"

enum { NATT_MIG_AF_UNIX = 1, NATT_MIG_AF_INET = 2, NATT_MIG_AF_NETLINK = 4 };

/* A path list setting (ReadWritePaths= ...). */
struct natt_mig_plist {
	size_t n;
	char p[NATT_MIG_UNIT_PATHS][NATT_MIG_PATH];
};

/* The settings of one unit, drop-ins applied. */
struct natt_mig_unit {
	char name[256];		  /* openvpn-server@office.service */
	char instance[256];	  /* office ("" for a plain unit) */
	char file[NATT_MIG_PATH]; /* the unit file read */
	size_t n_dropins;
	char dropins[NATT_MIG_UNIT_FILES][NATT_MIG_PATH];
	char workdir[NATT_MIG_PATH];	 /* WorkingDirectory= ("": /) */
	char cd[NATT_MIG_PATH];		 /* ExecStart's --cd */
	char exec_config[NATT_MIG_PATH]; /* ExecStart's --config, as written */
	bool cd_first;			 /* --cd comes before --config */
	char config[NATT_MIG_PATH];	 /* the file it reads, absolute */
	bool config_wrong;		 /* it reads another file of the same directory */
	char user[64];			 /* User= ("": root) */
	long nproc, tasks;		 /* LimitNPROC=, TasksMax= (-1: no limit) */
	int protect_system;		 /* 0 no, 1 yes, 2 full, 3 strict */
	int protect_home;		 /* 0 no, 1 yes, 2 read-only, 3 tmpfs */
	bool private_tmp;
	bool caps_limited, cap_bind; /* CapabilityBoundingSet= limits; holds NET_BIND_SERVICE */
	bool af_limited;	     /* RestrictAddressFamilies= is an allow list */
	unsigned af_allow, af_deny;  /* NATT_MIG_AF_* in the allow / deny list */
	bool devices, syscalls;	     /* DeviceAllow=, SystemCallFilter= set */
	char kill_mode[32], restart[32], restart_sec[32];
	struct natt_mig_plist rw, ro, hidden; /* ReadWrite-, ReadOnly-, InaccessiblePaths= */
};

/*
 * The unit that runs config (an absolute path): the unit called name when
 * not NULL (e.g. "openvpn-server@office" or "vpn.service"), else the Debian
 * template whose ExecStart reads config (or another file of its directory:
 * config_wrong).  Returns 0, NATT_MIG_UNIT_NONE, or NATT_ERR_IO with err
 * saying why (the named unit does not exist, is masked, cannot be read).
 */
int natt_mig_unit_find(const char *config, const char *name, struct natt_mig_unit *u, char *err,
		       size_t errlen);

/* The directory OpenVPN starts in: ExecStart's --cd, else WorkingDirectory=. */
const char *natt_mig_unit_start(const struct natt_mig_unit *u);

/* One file the migrated pair uses. */
struct natt_mig_ufile {
	char path[NATT_MIG_PATH]; /* absolute */
	char what[64];		  /* "ca", "plugin", "network-key", "status" ... */
	enum natt_mig_pkind kind;
	bool plugin; /* the plugin opens it (not OpenVPN) */
};

/* What the migrated pair needs from its unit. */
struct natt_mig_need {
	char config[NATT_MIG_PATH];   /* the migrated configuration */
	char start[NATT_MIG_PATH];    /* the directory its relative names assume */
	char example[NATT_MIG_TOKEN]; /* a relative name that depends on it ("": none) */
	struct natt_mig_ufile *files;
	size_t n_files;
	unsigned public_port; /* the plugin's public port (0: random) */
	bool server;
};

/*
 * Collects into nd what the migrated pair uses: the files of c (the
 * configuration, its includes, every name natt_mig_path_of() finds,
 * resolved against c->cwd), the plugin's .so and configuration (pconf_path,
 * its text pconf), and the files that names.  Returns 0 or NATT_ERR_NOMEM.
 * Free with natt_mig_need_free().
 */
int natt_mig_need_collect(struct natt_mig_need *nd, const struct natt_mig_conf *c,
			  const char *pconf_path, const char *pconf, size_t pconf_len);
void natt_mig_need_free(struct natt_mig_need *nd);

/*
 * Weighs u against nd.  With verbose, prints what the unit needs and why it
 * holds, one "systemd: " line each, to out; always prints each problem as
 * "<unit file>: <problem>".  The settings a drop-in must add go into dropin
 * (nothing added: none needed).  Returns the number of problems no drop-in
 * fixes.
 */
int natt_mig_unit_eval(const struct natt_mig_unit *u, const struct natt_mig_need *nd, bool verbose,
		       FILE *out, struct natt_mig_buf *dropin);

#endif
