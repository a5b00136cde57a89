/*
 * supervisor.c: forks the transport worker, relays its start to the
 * plugin, restarts it after a crash, stops it when OpenVPN is gone
 * (supervisor.h).  One poll(2) loop over three descriptors: the plugin's
 * channel, the worker's channel and a signalfd (SIGCHLD, SIGTERM,
 * SIGINT); its timeout is the earliest of three deadlines: the restart,
 * the SIGKILL of a worker that does not stop, the end of a detach.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <unistd.h>

#include "log.h"
#include "loop.h"
#include "supervisor.h"

enum { FD_PLUGIN, FD_SIGNAL, FD_WORKER, FD_COUNT };

struct sup {
	struct natt_supervisor_args cfg; /* defaults filled in */
	struct pollfd fds[FD_COUNT];	 /* fd -1: closed, not polled */
	pid_t worker;			 /* -1: none running */
	natt_time_t started;		 /* when the worker was forked */
	natt_time_t delay;		 /* the last restart delay, 0: none yet */
	natt_time_t restart_at;		 /* NATT_TIME_NEVER unless a restart is due */
	natt_time_t stop_at;		 /* when the worker was sent SIGTERM */
	natt_time_t kill_at;		 /* stopping: SIGKILL the worker then */
	natt_time_t detached_at;	 /* NATT_TIME_NEVER while the plugin is attached */
	bool told_plugin;		 /* the plugin got READY or ERROR */
	bool worker_ready;		 /* the running worker said READY */
	bool stopping;			 /* no more workers: waiting for this one to end */
	bool done;
	int status; /* the supervisor's exit status */
};

natt_time_t natt_backoff_next(const struct natt_backoff *b, natt_time_t prev, natt_time_t ran)
{
	if (prev == 0 || ran >= b->stable)
		return b->min;
	return prev >= b->max / 2 ? b->max : 2 * prev;
}

char *natt_supervisor_death(int status, char *buf, size_t cap)
{
	if (WIFSIGNALED(status))
		snprintf(buf, cap, "killed by signal %d (%s)", WTERMSIG(status),
			 strsignal(WTERMSIG(status)));
	else if (WIFEXITED(status))
		snprintf(buf, cap, "exited with status %d", WEXITSTATUS(status));
	else
		snprintf(buf, cap, "ended (wait status %#x)", (unsigned)status);
	return buf;
}

static void tell_plugin(struct sup *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void tell_plugin(struct sup *s, const char *fmt, ...)
{
	char msg[NATT_HELPER_MSG_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	s->told_plugin = true;
	if (s->fds[FD_PLUGIN].fd >= 0)
		natt_helper_send(s->fds[FD_PLUGIN].fd, msg);
}

static void to_worker(struct sup *s, const char *msg)
{
	if (s->worker_ready && s->fds[FD_WORKER].fd >= 0)
		natt_helper_send(s->fds[FD_WORKER].fd, msg);
}

static void close_fd(struct sup *s, int which)
{
	if (s->fds[which].fd >= 0)
		close(s->fds[which].fd);
	s->fds[which].fd = -1;
}

/* A restart delay for a log line: "1 s", "0.05 s". */
static const char *seconds(natt_time_t t, char *buf, size_t cap)
{
	snprintf(buf, cap, "%g s", (double)t / NATT_SEC);
	return buf;
}

static void schedule_restart(struct sup *s, natt_time_t now)
{
	s->delay = natt_backoff_next(&s->cfg.backoff, s->delay, now - s->started);
	s->restart_at = now + s->delay;
}

static void start_worker(struct sup *s, natt_time_t now)
{
	char msg[256], d[32];
	int fd;

	s->restart_at = NATT_TIME_NEVER;
	s->started = now;
	s->worker_ready = false;
	if (natt_helper_spawn(s->cfg.worker, s->cfg.worker_arg, &fd, &s->worker, msg,
			      sizeof(msg)) == NATT_OK) {
		s->fds[FD_WORKER].fd = fd;
		return;
	}
	s->worker = -1;
	if (!s->told_plugin) {
		tell_plugin(s, "ERROR starting the transport worker: %s", msg);
		s->status = 1;
		s->done = true;
		return;
	}
	schedule_restart(s, now);
	natt_plog(NATT_PLOG_ERR, "cannot start a transport worker: %s; retrying in %s", msg,
		  seconds(s->delay, d, sizeof(d)));
}

/* Stops for good: SIGTERM to the worker (an orderly close), SIGKILL later. */
static void stop(struct sup *s, const char *why, natt_time_t now)
{
	s->restart_at = NATT_TIME_NEVER;
	if (s->worker < 0) {
		s->done = true;
		return;
	}
	if (s->stopping && s->kill_at != NATT_TIME_NEVER)
		return;
	s->stopping = true;
	natt_plog(NATT_PLOG_INFO, "%s: stopping the transport worker pid %d", why, (int)s->worker);
	kill(s->worker, SIGTERM);
	s->stop_at = now;
	s->kill_at = now + s->cfg.stop_wait;
}

static void worker_message(struct sup *s, const char *msg, natt_time_t now)
{
	if (strncmp(msg, "READY", 5) == 0 && (msg[5] == ' ' || msg[5] == '\0')) {
		const char *what = msg[5] == ' ' ? msg + 6 : "";

		s->worker_ready = true;
		if (!s->told_plugin) {
			tell_plugin(s, "READY worker pid %d, %s", (int)s->worker, what);
			return;
		}
		natt_plog(NATT_PLOG_NOTE, "transport worker pid %d ready, %s", (int)s->worker,
			  what);
		if (s->detached_at != NATT_TIME_NEVER)
			to_worker(s, "DETACH"); /* its grace timer starts now */
	} else if (strncmp(msg, "ERROR ", 6) == 0) {
		if (!s->told_plugin) {
			tell_plugin(s, "%s", msg); /* OpenVPN's start fails with the reason */
			s->status = 1;
			s->stopping = true;		     /* the worker exits by itself, */
			s->kill_at = now + s->cfg.stop_wait; /* promptly: the plugin waits */
			return;
		}
		natt_plog(NATT_PLOG_ERR, "transport worker pid %d could not start: %s",
			  (int)s->worker, msg + 6);
	}
	/* "ATTACHED": the worker's answer to a forwarded ATTACH; the plugin had ours */
}

static void read_worker(struct sup *s, natt_time_t now)
{
	char buf[NATT_HELPER_MSG_MAX];
	int n;

	while (s->fds[FD_WORKER].fd >= 0 &&
	       (n = natt_helper_recv(s->fds[FD_WORKER].fd, buf, sizeof(buf), 0)) != NATT_ERR_IO) {
		if (n == NATT_ERR_CLOSED)
			close_fd(s, FD_WORKER); /* it is ending: SIGCHLD follows */
		else
			worker_message(s, buf, now);
	}
}

static bool detach_expired(const struct sup *s, natt_time_t now)
{
	return s->detached_at != NATT_TIME_NEVER && now - s->detached_at >= s->cfg.grace;
}

static void worker_died(struct sup *s, int status, natt_time_t now)
{
	char how[128], d[32];
	int pid = (int)s->worker;

	read_worker(s, now); /* a READY or ERROR it sent just before dying */
	close_fd(s, FD_WORKER);
	s->worker = -1;
	natt_supervisor_death(status, how, sizeof(how));
	if (s->stopping) {
		if (s->stop_at != 0)
			snprintf(d, sizeof(d), ", %.1f s after SIGTERM",
				 (double)(now - s->stop_at) / NATT_SEC);
		natt_plog(NATT_PLOG_INFO, "transport worker pid %d %s%s", pid, how,
			  s->stop_at != 0 ? d : "");
		s->done = true;
	} else if (!s->told_plugin) {
		tell_plugin(s, "ERROR the transport worker (pid %d) %s before it was ready", pid,
			    how);
		s->status = 1;
		s->done = true;
	} else if (WIFEXITED(status) && WEXITSTATUS(status) == 0) {
		s->done = true; /* an orderly close; the worker logged why */
	} else if (detach_expired(s, now)) {
		natt_plog(NATT_PLOG_ERR,
			  "transport worker pid %d %s; OpenVPN closed the plugin: not restarting",
			  pid, how);
		s->done = true;
	} else {
		schedule_restart(s, now);
		natt_plog(NATT_PLOG_ERR, "transport worker pid %d %s, restarting in %s", pid, how,
			  seconds(s->delay, d, sizeof(d)));
	}
}

static void reap(struct sup *s, natt_time_t now)
{
	pid_t pid;
	int st;

	while ((pid = waitpid(-1, &st, WNOHANG)) > 0)
		if (pid == s->worker)
			worker_died(s, st, now);
}

static void read_signals(struct sup *s, natt_time_t now)
{
	struct signalfd_siginfo si;

	while (read(s->fds[FD_SIGNAL].fd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
		if (si.ssi_signo == SIGCHLD)
			reap(s, now);
		else
			stop(s, si.ssi_signo == SIGTERM ? "SIGTERM" : "SIGINT", now);
	}
}

static void read_plugin(struct sup *s, natt_time_t now)
{
	char buf[NATT_HELPER_MSG_MAX];
	int n = natt_helper_recv(s->fds[FD_PLUGIN].fd, buf, sizeof(buf), 0);

	if (n == NATT_ERR_CLOSED) {
		close_fd(s, FD_PLUGIN);
		stop(s, "OpenVPN exited", now);
	} else if (n >= 0 && strcmp(buf, "DETACH") == 0) {
		s->detached_at = now;
		to_worker(s, "DETACH");
	} else if (n >= 0 && strcmp(buf, "ATTACH") == 0) {
		/* answered here, so a re-open finds its helper even between workers */
		s->detached_at = NATT_TIME_NEVER;
		natt_helper_send(s->fds[FD_PLUGIN].fd, "ATTACHED");
		to_worker(s, "ATTACH");
	}
}

static void run_timers(struct sup *s, natt_time_t now)
{
	char d[32];

	if (s->worker < 0 && !s->stopping && detach_expired(s, now)) {
		natt_plog(NATT_PLOG_NOTE, "OpenVPN closed the plugin and did not re-open it");
		s->done = true;
		return;
	}
	if (s->worker < 0 && !s->done && now >= s->restart_at)
		start_worker(s, now);
	if (s->worker > 0 && now >= s->kill_at) {
		natt_plog(NATT_PLOG_WARN, "transport worker pid %d did not stop within %s: SIGKILL",
			  (int)s->worker, seconds(s->cfg.stop_wait, d, sizeof(d)));
		kill(s->worker, SIGKILL);
		s->kill_at = NATT_TIME_NEVER;
	}
}

static natt_time_t earliest(const struct sup *s)
{
	natt_time_t t = s->restart_at;

	if (s->kill_at < t)
		t = s->kill_at;
	if (s->worker < 0 && s->detached_at != NATT_TIME_NEVER && s->detached_at + s->cfg.grace < t)
		t = s->detached_at + s->cfg.grace;
	return t;
}

static int poll_timeout(const struct sup *s, natt_time_t now)
{
	natt_time_t t = earliest(s);

	if (t == NATT_TIME_NEVER)
		return -1;
	if (t <= now)
		return 0;
	return (int)((t - now + NATT_MSEC - 1) / NATT_MSEC);
}

static void defaults(struct natt_supervisor_args *c)
{
	if (c->backoff.min == 0) {
		c->backoff.min = NATT_SUP_BACKOFF_MIN;
		c->backoff.max = NATT_SUP_BACKOFF_MAX;
		c->backoff.stable = NATT_SUP_STABLE;
	}
	if (c->stop_wait == 0)
		c->stop_wait = NATT_SUP_STOP_WAIT;
	if (c->grace == 0)
		c->grace = NATT_HELPER_GRACE;
}

/* SIGCHLD, SIGTERM and SIGINT through a descriptor; OpenVPN's others ignored. */
static int signal_fd(void)
{
	sigset_t set;

	signal(SIGHUP, SIG_IGN);
	signal(SIGUSR1, SIG_IGN);
	signal(SIGUSR2, SIG_IGN);
	sigemptyset(&set);
	sigaddset(&set, SIGCHLD);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	if (sigprocmask(SIG_BLOCK, &set, NULL) < 0)
		return -1;
	return signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
}

static void init(struct sup *s, const struct natt_supervisor_args *a, int ctl_fd)
{
	memset(s, 0, sizeof(*s));
	s->cfg = *a;
	defaults(&s->cfg);
	s->worker = -1;
	s->restart_at = NATT_TIME_NEVER;
	s->kill_at = NATT_TIME_NEVER;
	s->detached_at = NATT_TIME_NEVER;
	for (int i = 0; i < FD_COUNT; i++)
		s->fds[i] = (struct pollfd){.fd = -1, .events = POLLIN};
	s->fds[FD_PLUGIN].fd = ctl_fd;
}

static void handle(struct sup *s, natt_time_t now)
{
	/* the worker's messages before its SIGCHLD: a READY must not look like a death */
	if (s->fds[FD_WORKER].fd >= 0 && s->fds[FD_WORKER].revents != 0)
		read_worker(s, now);
	if (s->fds[FD_PLUGIN].fd >= 0 && s->fds[FD_PLUGIN].revents != 0)
		read_plugin(s, now);
	if (s->fds[FD_SIGNAL].revents != 0)
		read_signals(s, now);
	run_timers(s, now);
}

int natt_supervisor_main(void *arg, int ctl_fd)
{
	struct sup s;

	init(&s, arg, ctl_fd);
	prctl(PR_SET_NAME, "natt-helper"); /* not a third "openvpn" in ps and top */
	natt_plog_to_stderr(s.cfg.verb, s.cfg.use_syslog);
	s.fds[FD_SIGNAL].fd = signal_fd();
	if (s.fds[FD_SIGNAL].fd < 0) {
		tell_plugin(&s, "ERROR the helper's signalfd: %s", strerror(errno));
		return 1;
	}
	start_worker(&s, natt_loop_now());
	while (!s.done) {
		if (poll(s.fds, FD_COUNT, poll_timeout(&s, natt_loop_now())) < 0 && errno != EINTR)
			break; /* cannot happen with valid descriptors; the worker has PDEATHSIG */
		handle(&s, natt_loop_now());
	}
	close_fd(&s, FD_WORKER);
	close_fd(&s, FD_SIGNAL);
	if (s.told_plugin && s.status == 0)
		natt_plog(NATT_PLOG_NOTE, "helper exiting");
	return s.status;
}
