/*
 * migrate_write.h: natt-migrate's file-system side: the unified diff for
 * --dry-run, writing the new files with a backup, and rollback.
 *
 * A backup directory holds `manifest` (one line per file:
 * "restore MODE NAME PATH": PATH's original bytes are in NAME, MODE octal;
 * "created PATH": PATH did not exist; "mkdir PATH": a directory made for
 * them) and the original copies.  Rollback puts every original back (same
 * bytes, same mode), removes every created file, then the directories it
 * made (when empty), then the backup directory.
 */
#ifndef NATT_MIGRATE_WRITE_H
#define NATT_MIGRATE_WRITE_H

#include <stdio.h>
#include <sys/types.h>

/* One file to write. */
struct natt_mig_wfile {
	const char *path; /* absolute */
	const char *data;
	size_t len;
	mode_t mode; /* for a new file; an existing file keeps its mode */
};

/*
 * Prints a unified diff (3 lines of context) from a (alen bytes; NULL: the
 * file does not exist) to b, labelled with path.  Returns 0 or
 * NATT_ERR_NOMEM.
 */
int natt_mig_diff(FILE *out, const char *path, const char *a, size_t alen, const char *b,
		  size_t blen);

/*
 * Writes files (each atomically: a temporary file, fsync, rename) after
 * saving what they replace into a new backup directory bdir (mode 0700);
 * if keygen is not NULL, a network key is generated there too (and listed
 * as created); if mkdir_path is not NULL and does not exist, it is made
 * first (mode 0755; one level).  Refuses if bdir exists.  Returns 0,
 * NATT_ERR_EXISTS (bdir exists), NATT_ERR_IO (err says which file and why;
 * what was already written is rolled back).
 */
int natt_mig_apply(const char *bdir, const struct natt_mig_wfile *files, size_t n,
		   const char *keygen, const char *mkdir_path, char *err, size_t errlen);

/*
 * Undoes natt_mig_apply() from bdir.  Returns 0, NATT_ERR_IO or
 * NATT_ERR_SYNTAX (bad manifest), with err naming the file.
 */
int natt_mig_rollback(const char *bdir, char *err, size_t errlen);

/*
 * Writes len bytes to path atomically (path.natt-tmp, fsync, rename) with
 * mode.  Returns 0 or NATT_ERR_IO (err names path and the reason).
 */
int natt_mig_put(const char *path, const char *data, size_t len, mode_t mode, char *err,
		 size_t errlen);

/* Reads a whole file (at most 1 MiB) into *data (free it); 0, NATT_ERR_IO. */
int natt_mig_read(const char *path, char **data, size_t *len, mode_t *mode);

#endif
