/*
 * migrate_paths.h: the file names inside an OpenVPN configuration, and what
 * natt-migrate does with the relative ones.
 *
 * OpenVPN opens a relative name against its working directory: where it
 * was started (Debian's units: the configuration's directory), changed by
 * every `cd`; an include (`config`) is read at once, the others after the
 * whole configuration.  A configuration that moves (--out DIR, not its own
 * directory) would then point at other files.  The rule: every relative
 * name of the moved file is rewritten to the absolute name it had (the line
 * is kept, commented out, above the new one), so the moved file opens the
 * same files; a relative `cd` becomes absolute (and then the names after it
 * stay as they are).  Names inside included files cannot be rewritten (the
 * migration never writes them): such a configuration is refused, as is one
 * with `chroot` (names read inside the jail are relative to it).
 * client-bundle keeps relative names: they are relative to the directory
 * where the bundle is installed.
 */
#ifndef NATT_MIGRATE_PATHS_H
#define NATT_MIGRATE_PATHS_H

#include <stdbool.h>
#include <stddef.h>

#include "migrate_ovpn.h"
#include "migrate_plan.h"

/* What OpenVPN does with the file a directive names. */
enum natt_mig_pkind {
	NATT_MIG_P_NONE = 0,
	NATT_MIG_P_IN,	/* reads it (ca, key, dh, tls-crypt, crl-verify ...) */
	NATT_MIG_P_DIR, /* a directory (client-config-dir, capath, cd, tmp-dir ...) */
	NATT_MIG_P_OUT, /* writes it (status, log, writepid, ifconfig-pool-persist ...) */
	NATT_MIG_P_CMD, /* runs it: the first word of a command (up, learn-address ...) */
};

/*
 * The file name l names: its argument index (>= 1) in *arg, the name in
 * name (the first word of a command), its kind as the result.  NONE when the
 * directive names no file or holds a special value (dh none, [[INLINE]],
 * stdin, auth-user-pass without a file ...).
 */
enum natt_mig_pkind natt_mig_path_of(const struct natt_mig_line *l, int *arg, char *name,
				     size_t cap);

/*
 * The relocation rule above for c moving from o->config_dir to o->run_dir
 * (nothing when run_dir is NULL or the same): repl[i] (one per line of the
 * main file, zeroed by the caller) receives the replacement of line i,
 * marked original line and new line.  Returns 0, NATT_ERR_INVALID with
 * "file:line: reason" in err (a relative name in an included file, chroot,
 * a command whose first word is quoted, a line that would pass OpenVPN's
 * line limit) or NATT_ERR_NOMEM.
 */
int natt_mig_reloc(const struct natt_mig_conf *c, const struct natt_mig_opts *o,
		   struct natt_mig_buf *repl, char *err, size_t errlen);

/* True if s (len bytes, newline excluded) fits OpenVPN's line limit. */
bool natt_mig_line_fits(size_t len);

#endif
