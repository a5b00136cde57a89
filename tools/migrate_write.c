/*
 * migrate_write.c: backup, atomic writes and rollback for natt-migrate.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "keyfile.h"
#include "natt.h"
#include "migrate_write.h"

#define MIG_MAX_FILE (1024 * 1024)

int natt_mig_read(const char *path, char **data, size_t *len, mode_t *mode)
{
	struct stat st;
	ssize_t n;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return NATT_ERR_IO;
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_size > MIG_MAX_FILE) {
		close(fd);
		return NATT_ERR_IO;
	}
	*data = malloc((size_t)st.st_size + 1);
	if (*data == NULL) {
		close(fd);
		return NATT_ERR_IO;
	}
	n = read(fd, *data, (size_t)st.st_size);
	close(fd);
	if (n != st.st_size) {
		free(*data);
		return NATT_ERR_IO;
	}
	(*data)[n] = '\0';
	*len = (size_t)n;
	if (mode != NULL)
		*mode = st.st_mode & 07777;
	return 0;
}

int natt_mig_put(const char *path, const char *data, size_t len, mode_t mode, char *err,
		 size_t errlen)
{
	char tmp[4200];
	int fd;

	snprintf(tmp, sizeof(tmp), "%s.natt-tmp", path);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
	if (fd < 0 || fchmod(fd, mode) != 0 || write(fd, data, len) != (ssize_t)len ||
	    fsync(fd) != 0) {
		natt_errmsg(err, errlen, "%s: cannot write: %s", path, strerror(errno));
		if (fd >= 0) {
			close(fd);
			unlink(tmp);
		}
		return NATT_ERR_IO;
	}
	close(fd);
	if (rename(tmp, path) != 0) {
		natt_errmsg(err, errlen, "%s: cannot rename into place: %s", path, strerror(errno));
		unlink(tmp);
		return NATT_ERR_IO;
	}
	return 0;
}

static int save_originals(const char *bdir, const struct natt_mig_wfile *files, size_t n,
			  const char *keygen, FILE *man, char *err, size_t errlen)
{
	size_t i;

	for (i = 0; i < n; i++) {
		char *data, name[64], bpath[4200];
		size_t len;
		mode_t mode;

		if (strchr(files[i].path, '\n') != NULL) {
			natt_errmsg(err, errlen, "%s: a newline in a path", files[i].path);
			return NATT_ERR_IO;
		}
		if (natt_mig_read(files[i].path, &data, &len, &mode) != 0) {
			if (errno != ENOENT) {
				natt_errmsg(err, errlen, "%s: cannot read: %s", files[i].path,
					    strerror(errno));
				return NATT_ERR_IO;
			}
			fprintf(man, "created %s\n", files[i].path);
			continue;
		}
		snprintf(name, sizeof(name), "%zu.orig", i);
		snprintf(bpath, sizeof(bpath), "%s/%s", bdir, name);
		if (natt_mig_put(bpath, data, len, 0600, err, errlen) != 0) {
			free(data);
			return NATT_ERR_IO;
		}
		free(data);
		fprintf(man, "restore %04o %s %s\n", (unsigned)mode, name, files[i].path);
	}
	if (keygen != NULL)
		fprintf(man, "created %s\n", keygen);
	return 0;
}

int natt_mig_apply(const char *bdir, const struct natt_mig_wfile *files, size_t n,
		   const char *keygen, const char *mkdir_path, char *err, size_t errlen)
{
	char mpath[4200], why[512];
	struct stat st;
	FILE *man;
	size_t i;
	int rc;
	bool made = mkdir_path != NULL && stat(mkdir_path, &st) != 0;

	if (mkdir(bdir, 0700) != 0) {
		natt_errmsg(err, errlen, "%s: %s%s", bdir, strerror(errno),
			    errno == EEXIST ? " (a previous migration's backup: natt-migrate "
					      "rollback it first)"
					    : "");
		return errno == EEXIST ? NATT_ERR_EXISTS : NATT_ERR_IO;
	}
	snprintf(mpath, sizeof(mpath), "%s/manifest", bdir);
	man = fopen(mpath, "we");
	if (man == NULL) {
		natt_errmsg(err, errlen, "%s: %s", mpath, strerror(errno));
		rmdir(bdir);
		return NATT_ERR_IO;
	}
	if (made)
		fprintf(man, "mkdir %s\n", mkdir_path);
	rc = save_originals(bdir, files, n, keygen, man, err, errlen);
	if (fflush(man) != 0 || fsync(fileno(man)) != 0)
		rc = rc ? rc : NATT_ERR_IO;
	fclose(man);
	if (rc == 0 && made && mkdir(mkdir_path, 0755) != 0) {
		natt_errmsg(err, errlen, "%s: cannot make the directory: %s", mkdir_path,
			    strerror(errno));
		rc = NATT_ERR_IO;
	}
	for (i = 0; rc == 0 && i < n; i++)
		rc = natt_mig_put(files[i].path, files[i].data, files[i].len, files[i].mode, err,
				  errlen);
	if (rc == 0 && keygen != NULL && natt_keyfile_generate(keygen, err, errlen) != NATT_OK)
		rc = NATT_ERR_IO;
	if (rc != 0)
		natt_mig_rollback(bdir, why, sizeof(why));
	return rc;
}

static int undo_line(const char *bdir, char *line, char *err, size_t errlen)
{
	char *data, bpath[4200], name[64];
	unsigned mode;
	size_t len;
	int off = 0, rc;

	line[strcspn(line, "\n")] = '\0';
	if (strncmp(line, "mkdir ", 6) == 0)
		return 0; /* after the files it holds */
	if (strncmp(line, "created ", 8) == 0) {
		if (unlink(line + 8) != 0 && errno != ENOENT) {
			natt_errmsg(err, errlen, "%s: cannot remove: %s", line + 8,
				    strerror(errno));
			return NATT_ERR_IO;
		}
		return 0;
	}
	if (sscanf(line, "restore %o %63s %n", &mode, name, &off) != 2 || off == 0) {
		natt_errmsg(err, errlen, "%s/manifest: bad line '%s'", bdir, line);
		return NATT_ERR_SYNTAX;
	}
	snprintf(bpath, sizeof(bpath), "%s/%s", bdir, name);
	if (natt_mig_read(bpath, &data, &len, NULL) != 0) {
		natt_errmsg(err, errlen, "%s: cannot read: %s", bpath, strerror(errno));
		return NATT_ERR_IO;
	}
	rc = natt_mig_put(line + off, data, len, (mode_t)mode, err, errlen);
	free(data);
	return rc;
}

static void remove_backup(const char *bdir, const char *mpath)
{
	char p[4200];
	int i;

	for (i = 0; i < 64; i++) {
		snprintf(p, sizeof(p), "%s/%d.orig", bdir, i);
		unlink(p);
	}
	unlink(mpath);
	rmdir(bdir);
}

int natt_mig_rollback(const char *bdir, char *err, size_t errlen)
{
	char mpath[4200], line[4400];
	FILE *man;
	int rc = 0;

	snprintf(mpath, sizeof(mpath), "%s/manifest", bdir);
	man = fopen(mpath, "re");
	if (man == NULL) {
		natt_errmsg(err, errlen, "%s: %s (not a natt-migrate backup directory?)", mpath,
			    strerror(errno));
		return NATT_ERR_IO;
	}
	while (rc == 0 && fgets(line, sizeof(line), man) != NULL)
		rc = undo_line(bdir, line, err, errlen);
	rewind(man);
	while (rc == 0 && fgets(line, sizeof(line), man) != NULL)
		if (strncmp(line, "mkdir ", 6) == 0) {
			line[strcspn(line, "\n")] = '\0';
			rmdir(line + 6); /* kept if someone put other files there */
		}
	fclose(man);
	if (rc == 0)
		remove_backup(bdir, mpath);
	return rc;
}
