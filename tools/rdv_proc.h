/*
 * rdv_proc.h: what natt-rendezvous does as a Unix daemon: detach (double
 * fork, setsid) while the starting terminal still learns whether start-up
 * worked, the pid file, and dropping privileges after binding.
 */
#ifndef NATT_TOOLS_RDV_PROC_H
#define NATT_TOOLS_RDV_PROC_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

/* The account to run as after start-up. */
struct rdv_ids {
	bool set;
	uid_t uid;
	gid_t gid;
	char user[64];
};

/*
 * Looks up user (and group, or the user's primary group when group is "")
 * now, so that a typo stops the start rather than a running daemon.  An
 * empty user leaves ids->set false.  Returns 0, or -1 with err.
 */
int rdv_proc_resolve(const char *user, const char *group, struct rdv_ids *ids, char *err,
		     size_t errlen);

/* Becomes ids (supplementary groups, gid, uid; then checks that root
 * cannot be regained).  Returns 0, or -1 with err. */
int rdv_proc_drop(const struct rdv_ids *ids, char *err, size_t errlen);

/*
 * Detaches.  Returns in the daemon (the grandchild, session leader's
 * child, cwd /, umask 027) with *ready_fd set; the original process waits
 * until rdv_proc_ready() and exits with the status given there (1 if the
 * daemon died first).  stdin/stdout/stderr stay open so that start-up
 * errors reach the terminal.  Returns 0, or -1 with err (fork failed).
 */
int rdv_proc_daemonize(int *ready_fd, char *err, size_t errlen);

/* Tells the waiting parent the start-up status (0 ok) and, when ok, points
 * stdin/stdout/stderr at /dev/null.  fd -1: not daemonized, nothing to do. */
void rdv_proc_ready(int ready_fd, int status);

/* Writes our pid to path (mode 0644).  Returns 0, or -1 with err. */
int rdv_proc_pidfile(const char *path, char *err, size_t errlen);

#endif
