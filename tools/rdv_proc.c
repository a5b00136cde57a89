/*
 * rdv_proc.c: daemonizing, pid file, privileges (rdv_proc.h).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "rdv_proc.h"

int rdv_proc_resolve(const char *user, const char *group, struct rdv_ids *ids, char *err,
		     size_t errlen)
{
	struct passwd *pw;
	struct group *gr;

	memset(ids, 0, sizeof(*ids));
	if (user[0] == '\0')
		return 0;
	errno = 0;
	pw = getpwnam(user);
	if (pw == NULL) {
		snprintf(err, errlen, "user %s: %s", user,
			 errno ? strerror(errno) : "no such user");
		return -1;
	}
	ids->uid = pw->pw_uid;
	ids->gid = pw->pw_gid;
	snprintf(ids->user, sizeof(ids->user), "%s", user);
	if (group[0] != '\0') {
		errno = 0;
		gr = getgrnam(group);
		if (gr == NULL) {
			snprintf(err, errlen, "group %s: %s", group,
				 errno ? strerror(errno) : "no such group");
			return -1;
		}
		ids->gid = gr->gr_gid;
	}
	ids->set = true;
	return 0;
}

int rdv_proc_drop(const struct rdv_ids *ids, char *err, size_t errlen)
{
	if (!ids->set)
		return 0;
	if (getuid() != 0 && geteuid() != 0) {
		if (getuid() == ids->uid)
			return 0; /* already that user */
		snprintf(err, errlen, "user %s: only root can change user", ids->user);
		return -1;
	}
	if (initgroups(ids->user, ids->gid) != 0 || setgid(ids->gid) != 0 ||
	    setuid(ids->uid) != 0) {
		snprintf(err, errlen, "cannot become user %s: %s", ids->user, strerror(errno));
		return -1;
	}
	if (ids->uid != 0 && setuid(0) == 0) {
		snprintf(err, errlen, "user %s: root privileges could be regained", ids->user);
		return -1;
	}
	return 0;
}

/* The original process: wait for the daemon's word, exit with it. */
static void wait_for_daemon(int fd, pid_t child)
{
	unsigned char status = 1;
	ssize_t n;

	do
		n = read(fd, &status, 1);
	while (n < 0 && errno == EINTR);
	waitpid(child, NULL, 0); /* the intermediate process, gone at once */
	_exit(n == 1 ? status : 1);
}

int rdv_proc_daemonize(int *ready_fd, char *err, size_t errlen)
{
	int p[2];
	pid_t pid;

	if (pipe2(p, O_CLOEXEC) != 0) {
		snprintf(err, errlen, "pipe: %s", strerror(errno));
		return -1;
	}
	fflush(NULL);
	pid = fork();
	if (pid < 0) {
		snprintf(err, errlen, "fork: %s", strerror(errno));
		return -1;
	}
	if (pid > 0) {
		close(p[1]);
		wait_for_daemon(p[0], pid);
	}
	close(p[0]);
	if (setsid() < 0)
		_exit(1);
	pid = fork(); /* not a session leader: can never acquire a terminal */
	if (pid < 0)
		_exit(1);
	if (pid > 0)
		_exit(0);
	umask(027);
	if (chdir("/") != 0)
		_exit(1);
	*ready_fd = p[1];
	return 0;
}

void rdv_proc_ready(int ready_fd, int status)
{
	unsigned char s = (unsigned char)status;
	int null;

	if (ready_fd < 0)
		return;
	if (status == 0) {
		null = open("/dev/null", O_RDWR);
		if (null >= 0) {
			dup2(null, STDIN_FILENO);
			dup2(null, STDOUT_FILENO);
			dup2(null, STDERR_FILENO);
			if (null > STDERR_FILENO)
				close(null);
		}
	}
	if (write(ready_fd, &s, 1) != 1) {
		/* the parent is gone: nobody to tell */
	}
	close(ready_fd);
}

int rdv_proc_pidfile(const char *path, char *err, size_t errlen)
{
	char buf[32];
	int n = snprintf(buf, sizeof(buf), "%ld\n", (long)getpid());
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);

	if (fd < 0 || write(fd, buf, (size_t)n) != n) {
		snprintf(err, errlen, "pid file %s: %s", path, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	fchmod(fd, 0644);
	close(fd);
	return 0;
}
