/*
 * helper.c: forking and finding the helper process (helper.h).  Runs in
 * OpenVPN's process, inside plugin entry points, on OpenVPN's thread; the
 * supervisor forks its workers with natt_helper_spawn too.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "helper.h"

int natt_helper_send(int fd, const char *text)
{
	size_t n = strlen(text);

	return send(fd, text, n, MSG_NOSIGNAL | MSG_DONTWAIT) == (ssize_t)n ? NATT_OK : NATT_ERR_IO;
}

int natt_helper_recv(int fd, char *buf, size_t cap, int timeout_ms)
{
	struct pollfd pfd = {.fd = fd, .events = POLLIN};
	ssize_t n;
	int rc;

	do
		rc = poll(&pfd, 1, timeout_ms);
	while (rc < 0 && errno == EINTR);
	if (rc <= 0)
		return NATT_ERR_IO;
	n = recv(fd, buf, cap - 1, MSG_DONTWAIT);
	if (n < 0)
		return pfd.revents & POLLHUP ? NATT_ERR_CLOSED : NATT_ERR_IO;
	if (n == 0)
		return NATT_ERR_CLOSED;
	buf[n] = '\0';
	return (int)n;
}

static void reset_signals(void)
{
	sigset_t all;

	for (int sig = 1; sig < NSIG; sig++)
		signal(sig, SIG_DFL); /* SIGKILL/SIGSTOP and RT internals refuse: fine */
	signal(SIGPIPE, SIG_IGN);
	sigemptyset(&all);
	sigprocmask(SIG_SETMASK, &all, NULL);
}

static void child(int fd, pid_t parent, natt_helper_run_fn run, void *arg)
{
	prctl(PR_SET_PDEATHSIG, SIGTERM);
	if (getppid() != parent)
		_exit(1); /* OpenVPN died between fork and prctl */
	setsid();
	reset_signals();
	if (fd != NATT_HELPER_CTL_FD) {
		if (dup2(fd, NATT_HELPER_CTL_FD) < 0)
			_exit(1);
		close(fd);
	}
	close_range(NATT_HELPER_CTL_FD + 1, ~0U, 0);
	_exit(run(arg, NATT_HELPER_CTL_FD));
}

static void describe_death(pid_t pid, char *msg, size_t msglen)
{
	int st = 0;

	if (waitpid(pid, &st, 0) != pid)
		snprintf(msg, msglen, "the helper process vanished before it was ready");
	else if (WIFSIGNALED(st))
		snprintf(msg, msglen, "the helper process died of signal %d before it was ready",
			 WTERMSIG(st));
	else
		snprintf(msg, msglen,
			 "the helper process exited with status %d before it was ready",
			 WEXITSTATUS(st));
}

static int wait_ready(struct natt_helper *h, char *msg, size_t msglen)
{
	char buf[NATT_HELPER_MSG_MAX];
	int n = natt_helper_recv(h->fd, buf, sizeof(buf), NATT_HELPER_READY_TIMEOUT);

	if (n >= 6 && strncmp(buf, "READY", 5) == 0) {
		snprintf(msg, msglen, "%s", buf + 6);
		return NATT_OK;
	}
	if (n >= 6 && strncmp(buf, "ERROR ", 6) == 0) {
		snprintf(msg, msglen, "%s", buf + 6);
		waitpid(h->pid, NULL, 0);
		return NATT_ERR_INVALID;
	}
	if (n == NATT_ERR_CLOSED) {
		describe_death(h->pid, msg, msglen);
		return NATT_ERR_IO;
	}
	snprintf(msg, msglen, "the helper process did not report ready within %d s",
		 NATT_HELPER_READY_TIMEOUT / 1000);
	kill(h->pid, SIGKILL);
	waitpid(h->pid, NULL, 0);
	return NATT_ERR_IO;
}

int natt_helper_spawn(natt_helper_run_fn run, void *arg, int *fd, pid_t *pid, char *msg,
		      size_t msglen)
{
	pid_t parent = getpid();
	int sv[2];

	*fd = -1;
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0) {
		snprintf(msg, msglen, "socketpair: %s", strerror(errno));
		return NATT_ERR_IO;
	}
	*pid = fork();
	if (*pid < 0) {
		snprintf(msg, msglen, "fork: %s", strerror(errno));
		close(sv[0]);
		close(sv[1]);
		return NATT_ERR_IO;
	}
	if (*pid == 0) {
		close(sv[0]);
		child(sv[1], parent, run, arg);
	}
	close(sv[1]);
	*fd = sv[0];
	return NATT_OK;
}

int natt_helper_start(struct natt_helper *h, natt_helper_run_fn run, void *arg, char *msg,
		      size_t msglen)
{
	char env[64];
	int rc;

	h->fd = -1;
	h->pid = -1;
	rc = natt_helper_spawn(run, arg, &h->fd, &h->pid, msg, msglen);
	if (rc != NATT_OK) {
		h->pid = -1;
		return rc;
	}
	rc = wait_ready(h, msg, msglen);
	if (rc != NATT_OK) {
		close(h->fd);
		h->fd = -1;
		h->pid = -1;
		return rc;
	}
	snprintf(env, sizeof(env), "%d:%d", h->fd, (int)h->pid);
	setenv(NATT_HELPER_ENV, env, 1);
	return NATT_OK;
}

/*
 * True when fd is a Unix SEQPACKET socket made by this process (a socket
 * pair's SO_PEERCRED is its creator's).
 */
static bool is_our_channel(int fd)
{
	struct ucred cred;
	socklen_t len = sizeof(cred);
	int type = 0, domain = 0;
	socklen_t tl = sizeof(type), dl = sizeof(domain);

	if (fcntl(fd, F_GETFD) < 0)
		return false;
	if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &tl) < 0 || type != SOCK_SEQPACKET ||
	    getsockopt(fd, SOL_SOCKET, SO_DOMAIN, &domain, &dl) < 0 || domain != AF_UNIX)
		return false;
	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0 || len != sizeof(cred))
		return false;
	return cred.pid == getpid();
}

int natt_helper_attach(struct natt_helper *h)
{
	const char *env = getenv(NATT_HELPER_ENV);
	char buf[NATT_HELPER_MSG_MAX];
	int fd, pid;

	h->fd = -1;
	h->pid = -1;
	if (env == NULL || sscanf(env, "%d:%d", &fd, &pid) != 2 || fd < 0 || pid <= 0) {
		unsetenv(NATT_HELPER_ENV);
		return NATT_ERR_CLOSED;
	}
	unsetenv(NATT_HELPER_ENV);
	if (!is_our_channel(fd))
		return NATT_ERR_CLOSED; /* not ours (any more): leave the descriptor alone */
	while (natt_helper_recv(fd, buf, sizeof(buf), 0) >= 0)
		; /* drop anything stale */
	if ((kill(pid, 0) < 0 && errno == ESRCH) || natt_helper_send(fd, "ATTACH") != NATT_OK ||
	    natt_helper_recv(fd, buf, sizeof(buf), NATT_HELPER_ATTACH_TIMEOUT) < 0 ||
	    strcmp(buf, "ATTACHED") != 0) {
		close(fd);
		waitpid(pid, NULL, WNOHANG);
		return NATT_ERR_CLOSED;
	}
	h->fd = fd;
	h->pid = pid;
	snprintf(buf, sizeof(buf), "%d:%d", fd, pid);
	setenv(NATT_HELPER_ENV, buf, 1);
	return NATT_OK;
}

void natt_helper_detach(struct natt_helper *h)
{
	if (h->fd < 0)
		return;
	natt_helper_send(h->fd, "DETACH");
	waitpid(h->pid, NULL, WNOHANG);
}
