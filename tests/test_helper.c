/*
 * test_helper.c: the helper's supervisor and the worker's privilege drop
 * (plugin/supervisor.c, plugin/privdrop.c, the user/group settings in
 * plugin/pconf*.c, the status file's in-place rewrite in plugin/status.c):
 * the restart backoff, death descriptions, the start relayed to the
 * plugin, restarts after crashes, the orderly stop, no orphan when the
 * supervisor dies, resolving user/group, dropping root, and the status
 * file still written after the drop.
 * Workers here are small stand-ins for the transport runtime; the
 * supervisor runs with millisecond delays instead of seconds.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "helper.h"
#include "pconf.h"
#include "privdrop.h"
#include "status.h"
#include "supervisor.h"
#include "unit.h"

static void test_backoff(void)
{
	const struct natt_backoff b = {NATT_SUP_BACKOFF_MIN, NATT_SUP_BACKOFF_MAX, NATT_SUP_STABLE};
	const natt_time_t want[] = {1, 2, 4, 8, 16, 30, 30};
	natt_time_t d = 0;

	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		d = natt_backoff_next(&b, d, 5 * NATT_SEC);
		CU_ASSERT_EQUAL(d, want[i] * NATT_SEC);
	}
	/* a worker that ran a minute starts the sequence over */
	CU_ASSERT_EQUAL(natt_backoff_next(&b, d, NATT_SUP_STABLE), NATT_SUP_BACKOFF_MIN);
	CU_ASSERT_EQUAL(natt_backoff_next(&b, 8 * NATT_SEC, NATT_SUP_STABLE - 1), 16 * NATT_SEC);
	CU_ASSERT_EQUAL(natt_backoff_next(&b, 0, 0), NATT_SUP_BACKOFF_MIN);
}

static void test_death_text(void)
{
	char buf[128];
	int st;
	pid_t pid = fork();

	if (pid == 0) {
		signal(SIGSEGV, SIG_DFL);  /* not a sanitizer's handler */
		prctl(PR_SET_DUMPABLE, 0); /* no core file from the test */
		raise(SIGSEGV);
		_exit(0);
	}
	CU_ASSERT_FATAL(waitpid(pid, &st, 0) == pid);
	CU_ASSERT_STRING_EQUAL(natt_supervisor_death(st, buf, sizeof(buf)),
			       "killed by signal 11 (Segmentation fault)");
	pid = fork();
	if (pid == 0)
		_exit(3);
	CU_ASSERT_FATAL(waitpid(pid, &st, 0) == pid);
	CU_ASSERT_STRING_EQUAL(natt_supervisor_death(st, buf, sizeof(buf)), "exited with status 3");
}

/* ---- stand-in workers ---- */

/*
 * Says READY; answers ATTACH; exits 0 on SIGTERM or end-of-file (an orderly
 * close).  Each DETACH is recorded in the file arg names (when not NULL).
 */
static void orderly_exit(int sig)
{
	(void)sig;
	_exit(0);
}

static int worker_ready(void *arg, int fd)
{
	char buf[NATT_HELPER_MSG_MAX];
	int n;

	prctl(PR_SET_DUMPABLE, 0);     /* the tests SIGSEGV it: no core file */
	signal(SIGTERM, orderly_exit); /* as the runtime closes on SIGTERM */
	if (fd != NATT_HELPER_CTL_FD || fcntl(4, F_GETFD) >= 0)
		return 20; /* the channel is not at 3, or the supervisor's descriptors leaked */
	natt_helper_send(fd, "READY public port 4242");
	while ((n = natt_helper_recv(fd, buf, sizeof(buf), -1)) >= 0) {
		if (strcmp(buf, "ATTACH") == 0)
			natt_helper_send(fd, "ATTACHED");
		if (strcmp(buf, "DETACH") == 0 && arg != NULL) {
			FILE *f = fopen(arg, "a");

			if (f != NULL) {
				fprintf(f, "DETACH %d\n", (int)getpid());
				fclose(f);
			}
		}
	}
	return n == NATT_ERR_CLOSED ? 0 : 21;
}

static int worker_error(void *arg, int fd)
{
	(void)arg;
	natt_helper_send(fd, "ERROR rendezvous x:3478: Name or service not known");
	return 1;
}

static int worker_segv(void *arg, int fd)
{
	(void)arg;
	(void)fd;
	signal(SIGSEGV, SIG_DFL);
	prctl(PR_SET_DUMPABLE, 0); /* no core file from the test */
	raise(SIGSEGV);
	return 0;
}

/* ---- driving a supervisor ---- */

static const struct natt_supervisor_args fast = {
	.backoff = {10 * NATT_MSEC, 40 * NATT_MSEC, 10 * NATT_SEC},
	.stop_wait = 500 * NATT_MSEC,
	.grace = 300 * NATT_MSEC,
	.verb = 4,
};

/* The supervisor's log lines go to a file while it runs. */
struct sup_run {
	struct natt_helper h;
	struct natt_supervisor_args a;
	char log[64];
	char msg[NATT_HELPER_MSG_MAX];
	int saved_stderr;
};

static int start_sup(struct sup_run *r, natt_helper_run_fn worker, void *worker_arg)
{
	int fd, rc;

	r->a = fast;
	r->a.worker = worker;
	r->a.worker_arg = worker_arg;
	snprintf(r->log, sizeof(r->log), "/tmp/natt-test-sup.XXXXXX");
	fd = mkstemp(r->log);
	CU_ASSERT_FATAL(fd >= 0);
	fflush(stderr);
	r->saved_stderr = dup(STDERR_FILENO);
	dup2(fd, STDERR_FILENO);
	close(fd);
	unsetenv(NATT_HELPER_ENV);
	rc = natt_helper_start(&r->h, natt_supervisor_main, &r->a, r->msg, sizeof(r->msg));
	dup2(r->saved_stderr, STDERR_FILENO);
	close(r->saved_stderr);
	return rc;
}

static bool log_has(const struct sup_run *r, const char *text)
{
	char line[1024];
	bool found = false;
	FILE *f = fopen(r->log, "r");

	while (f != NULL && !found && fgets(line, sizeof(line), f) != NULL)
		found = strstr(line, text) != NULL;
	if (f != NULL)
		fclose(f);
	return found;
}

static int count_lines(const char *path, const char *text)
{
	char line[1024];
	int n = 0;
	FILE *f = fopen(path, "r");

	while (f != NULL && fgets(line, sizeof(line), f) != NULL)
		n += strstr(line, text) != NULL;
	if (f != NULL)
		fclose(f);
	return n;
}

static void sleep_ms(long ms)
{
	struct timespec ts = {ms / 1000, (ms % 1000) * 1000000};

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

static bool alive(pid_t pid)
{
	return kill(pid, 0) == 0;
}

/* Waits up to ms for pid (not our child) to vanish. */
static bool gone_within(pid_t pid, long ms)
{
	for (long t = 0; t < ms; t += 10) {
		if (!alive(pid))
			return true;
		sleep_ms(10);
	}
	return !alive(pid);
}

/* The supervisor's only child, or -1 (read from /proc, as an operator would). */
static pid_t worker_of(pid_t sup)
{
	char path[64], buf[256];
	FILE *f;
	int pid = -1, extra = -1;

	snprintf(path, sizeof(path), "/proc/%d/task/%d/children", (int)sup, (int)sup);
	f = fopen(path, "r");
	if (f == NULL)
		return -1;
	if (fgets(buf, sizeof(buf), f) == NULL || sscanf(buf, "%d %d", &pid, &extra) < 1 ||
	    extra != -1)
		pid = -1;
	fclose(f);
	return pid;
}

/* Waits for the supervisor to have a worker other than old. */
static pid_t new_worker(pid_t sup, pid_t old, long ms)
{
	for (long t = 0; t < ms; t += 5) {
		pid_t w = worker_of(sup);

		if (w > 0 && w != old)
			return w;
		sleep_ms(5);
	}
	return -1;
}

/* Exit status of our child pid within 5 s; -1 when it did not exit (it is
 * killed then, so a failing test does not hang the run). */
static int exit_status(pid_t pid)
{
	int st = 0;

	for (int i = 0; i < 500; i++) {
		pid_t got = waitpid(pid, &st, WNOHANG);

		if (got == pid)
			return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
		if (got < 0)
			return -1;
		sleep_ms(10);
	}
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	return -1;
}

/* The worker's pid, from the READY text the plugin got. */
static pid_t msg_worker_pid(const struct sup_run *r)
{
	int pid = -1;

	sscanf(r->msg, "worker pid %d,", &pid);
	return pid;
}

static void test_start_relayed(void)
{
	struct sup_run r;
	char want[64];
	pid_t w;

	CU_ASSERT_EQUAL_FATAL(start_sup(&r, worker_ready, NULL), NATT_OK);
	w = msg_worker_pid(&r);
	snprintf(want, sizeof(want), "worker pid %d, public port 4242", (int)w);
	CU_ASSERT_STRING_EQUAL(r.msg, want);
	CU_ASSERT_EQUAL(worker_of(r.h.pid), w);

	/* OpenVPN exits: end-of-file; the worker is told (SIGTERM), both end */
	close(r.h.fd);
	CU_ASSERT_EQUAL(exit_status(r.h.pid), 0);
	CU_ASSERT(gone_within(w, 1000));
	CU_ASSERT(log_has(&r, "OpenVPN exited: stopping the transport worker pid"));
	CU_ASSERT(log_has(&r, "helper exiting"));
	unsetenv(NATT_HELPER_ENV);
	unlink(r.log);
}

static void test_first_error_relayed(void)
{
	struct sup_run r;

	CU_ASSERT_EQUAL(start_sup(&r, worker_error, NULL), NATT_ERR_INVALID);
	CU_ASSERT_STRING_EQUAL(r.msg, "rendezvous x:3478: Name or service not known");
	CU_ASSERT_EQUAL(r.h.fd, -1);
	CU_ASSERT_PTR_NULL(getenv(NATT_HELPER_ENV));
	unlink(r.log);
}

static void test_first_crash_relayed(void)
{
	struct sup_run r;

	CU_ASSERT_EQUAL(start_sup(&r, worker_segv, NULL), NATT_ERR_INVALID);
	CU_ASSERT_PTR_NOT_NULL(strstr(r.msg, "the transport worker (pid "));
	CU_ASSERT_PTR_NOT_NULL(
		strstr(r.msg, ") killed by signal 11 (Segmentation fault) before it was ready"));
	unlink(r.log);
}

static void test_restart_backoff(void)
{
	struct sup_run r;
	pid_t w, w2;
	char buf[NATT_HELPER_MSG_MAX];

	CU_ASSERT_EQUAL_FATAL(start_sup(&r, worker_ready, NULL), NATT_OK);
	w = msg_worker_pid(&r);
	/* three crashes in a row: 10, 20, 40 ms, then capped at 40 */
	for (int i = 0; i < 4; i++) {
		kill(w, i == 0 ? SIGSEGV : SIGKILL);
		w2 = new_worker(r.h.pid, w, 2000);
		CU_ASSERT_FATAL(w2 > 0);
		CU_ASSERT(!alive(w) || gone_within(w, 500));
		w = w2;
	}
	sleep_ms(100); /* its READY is logged */
	CU_ASSERT(log_has(&r, "killed by signal 11 (Segmentation fault), restarting in 0.01 s"));
	CU_ASSERT(log_has(&r, "killed by signal 9 (Killed), restarting in 0.02 s"));
	CU_ASSERT(log_has(&r, "killed by signal 9 (Killed), restarting in 0.04 s"));
	CU_ASSERT_EQUAL(count_lines(r.log, "restarting in 0.04 s"), 2);
	CU_ASSERT(log_has(&r, "public port 4242"));

	/* the plugin notices nothing: ATTACH is answered, the supervisor is the same */
	CU_ASSERT(natt_helper_send(r.h.fd, "ATTACH") == NATT_OK);
	CU_ASSERT(natt_helper_recv(r.h.fd, buf, sizeof(buf), 1000) > 0);
	CU_ASSERT_STRING_EQUAL(buf, "ATTACHED");
	CU_ASSERT(natt_helper_recv(r.h.fd, buf, sizeof(buf), 100) == NATT_ERR_IO);

	close(r.h.fd);
	CU_ASSERT_EQUAL(exit_status(r.h.pid), 0);
	CU_ASSERT(gone_within(w, 1000));
	unsetenv(NATT_HELPER_ENV);
	unlink(r.log);
}

static void test_detach_forwarded(void)
{
	struct sup_run r;
	char file[] = "/tmp/natt-test-detach.XXXXXX", want[64];
	int fd = mkstemp(file);
	pid_t w, w2;

	CU_ASSERT_FATAL(fd >= 0);
	close(fd);
	CU_ASSERT_EQUAL_FATAL(start_sup(&r, worker_ready, file), NATT_OK);
	w = msg_worker_pid(&r);
	natt_helper_detach(&r.h);
	sleep_ms(50);
	snprintf(want, sizeof(want), "DETACH %d", (int)w);
	CU_ASSERT_EQUAL(count_lines(file, want), 1);

	/* a worker started while detached is told too */
	kill(w, SIGKILL);
	w2 = new_worker(r.h.pid, w, 2000);
	CU_ASSERT_FATAL(w2 > 0);
	sleep_ms(100);
	snprintf(want, sizeof(want), "DETACH %d", (int)w2);
	CU_ASSERT_EQUAL(count_lines(file, want), 1);

	close(r.h.fd);
	CU_ASSERT_EQUAL(exit_status(r.h.pid), 0);
	unsetenv(NATT_HELPER_ENV);
	unlink(r.log);
	unlink(file);
}

static void test_detached_no_restart_after_grace(void)
{
	struct sup_run r;
	pid_t w;

	CU_ASSERT_EQUAL_FATAL(start_sup(&r, worker_ready, NULL), NATT_OK);
	w = msg_worker_pid(&r);
	natt_helper_detach(&r.h);
	sleep_ms(400); /* past the 300 ms grace: OpenVPN did not re-open */
	kill(w, SIGKILL);
	CU_ASSERT_EQUAL(exit_status(r.h.pid), 0);
	CU_ASSERT(log_has(&r, "OpenVPN closed the plugin: not restarting"));
	close(r.h.fd);
	unsetenv(NATT_HELPER_ENV);
	unlink(r.log);
}

static void test_worker_orderly_exit(void)
{
	struct sup_run r;
	pid_t w;

	CU_ASSERT_EQUAL_FATAL(start_sup(&r, worker_ready, NULL), NATT_OK);
	w = msg_worker_pid(&r);
	/* the worker closes in order (its grace timer, say): no restart, no zombie */
	kill(w, SIGTERM);
	CU_ASSERT_EQUAL(exit_status(r.h.pid), 0);
	CU_ASSERT(!log_has(&r, "restarting"));
	CU_ASSERT(gone_within(w, 500));
	close(r.h.fd);
	unsetenv(NATT_HELPER_ENV);
	unlink(r.log);
}

/* A worker that ignores SIGTERM is killed after stop_wait. */
static int worker_stubborn(void *arg, int fd)
{
	(void)arg;
	signal(SIGTERM, SIG_IGN);
	natt_helper_send(fd, "READY stubborn");
	for (;;)
		pause();
	return 0;
}

static void test_stop_kills_stubborn_worker(void)
{
	struct sup_run r;
	pid_t w;

	CU_ASSERT_EQUAL_FATAL(start_sup(&r, worker_stubborn, NULL), NATT_OK);
	w = msg_worker_pid(&r);
	kill(r.h.pid, SIGTERM); /* what PR_SET_PDEATHSIG sends when OpenVPN dies */
	CU_ASSERT_EQUAL(exit_status(r.h.pid), 0);
	CU_ASSERT(!alive(w));
	CU_ASSERT(log_has(&r, "did not stop within 0.5 s: SIGKILL"));
	close(r.h.fd);
	unsetenv(NATT_HELPER_ENV);
	unlink(r.log);
}

static void test_no_orphan(void)
{
	struct sup_run r;
	pid_t w, got = 0;
	int st = 0;

	/* the orphaned worker becomes our child, so its end can be waited for */
	CU_ASSERT_FATAL(prctl(PR_SET_CHILD_SUBREAPER, 1) == 0);
	CU_ASSERT_EQUAL_FATAL(start_sup(&r, worker_ready, NULL), NATT_OK);
	w = msg_worker_pid(&r);
	CU_ASSERT(alive(w));
	kill(r.h.pid, SIGKILL); /* the supervisor cannot clean up: PDEATHSIG does */
	waitpid(r.h.pid, NULL, 0);
	for (int i = 0; i < 100 && got == 0; i++) {
		got = waitpid(w, &st, WNOHANG);
		if (got == 0)
			sleep_ms(10);
	}
	CU_ASSERT_EQUAL(got, w);
	CU_ASSERT(WIFEXITED(st) && WEXITSTATUS(st) == 0); /* closed in order (SIGTERM or EOF) */
	if (got != w) {
		kill(w, SIGKILL);
		waitpid(w, NULL, 0);
	}
	prctl(PR_SET_CHILD_SUBREAPER, 0);
	close(r.h.fd);
	unsetenv(NATT_HELPER_ENV);
	unlink(r.log);
}

/* ---- dropping root ---- */

static const struct natt_runas to_nobody = {
	.drop = true, .uid = 65534, .gid = 65534, .label = "nobody:65534"};

/* In a child, as root: drops and reports what it can still do (0: nothing). */
static int drop_as_root(void)
{
	char err[256];
	gid_t groups[4];

	if (natt_privdrop(&to_nobody, err, sizeof(err)) != NATT_OK)
		return 10;
	if (getuid() != 65534 || geteuid() != 65534 || getgid() != 65534 || getegid() != 65534)
		return 11;
	if (getgroups(4, groups) != 1 || groups[0] != 65534)
		return 12;
	if (setuid(0) == 0 || seteuid(0) == 0 || setgid(0) == 0)
		return 13;
	if (prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0) != 1 || prctl(PR_GET_DUMPABLE) != 0)
		return 14;
	if (open("/etc/shadow", O_RDONLY) >= 0)
		return 15;
	return 0;
}

/* In a child, not root: the drop fails and names the step (0: it does). */
static int drop_unprivileged(void)
{
	char err[256] = "";

	if (natt_privdrop(&to_nobody, err, sizeof(err)) != NATT_ERR_IO)
		return 16;
	return strstr(err, "dropping root to nobody:65534: setgroups: ") != NULL ? 0 : 17;
}

static void test_privdrop(void)
{
	struct natt_runas keep = {.drop = false};
	char err[256] = "";
	uid_t before = geteuid();
	pid_t pid;

	CU_ASSERT_EQUAL(natt_privdrop(&keep, err, sizeof(err)), NATT_OK);
	CU_ASSERT_EQUAL(geteuid(), before); /* drop false: nothing changes */
	pid = fork();
	if (pid == 0)
		_exit(geteuid() == 0 ? drop_as_root() : drop_unprivileged());
	CU_ASSERT_EQUAL(exit_status(pid), 0);
}

/* ---- user and group ---- */

static int set_line(struct natt_pconf *c, const char *name, const char *value, char *err,
		    size_t errlen)
{
	char *argv[] = {(char *)name, (char *)value, NULL};

	return natt_pconf_set(c, 2, argv, "natt.conf:7", err, errlen);
}

static void test_runas_settings(void)
{
	struct natt_pconf c;
	char err[512];

	natt_pconf_init(&c);
	CU_ASSERT_EQUAL(natt_pconf_runas(&c, err, sizeof(err)), NATT_OK);
	CU_ASSERT_FALSE(c.runas.drop); /* neither set: root */

	CU_ASSERT_EQUAL(set_line(&c, "user", "nobody", err, sizeof(err)), NATT_OK);
	CU_ASSERT_EQUAL(natt_pconf_runas(&c, err, sizeof(err)), NATT_OK);
	CU_ASSERT_TRUE(c.runas.drop);
	CU_ASSERT_EQUAL(c.runas.uid, 65534);
	CU_ASSERT_EQUAL(c.runas.gid, 65534); /* nobody's primary group */
	CU_ASSERT_STRING_EQUAL(c.runas.label, "nobody:nogroup");

	CU_ASSERT_EQUAL(set_line(&c, "group", "root", err, sizeof(err)), NATT_OK);
	CU_ASSERT_EQUAL(natt_pconf_runas(&c, err, sizeof(err)), NATT_OK);
	CU_ASSERT_EQUAL(c.runas.uid, 65534);
	CU_ASSERT_EQUAL(c.runas.gid, 0);
	CU_ASSERT_STRING_EQUAL(c.runas.label, "nobody:root");

	CU_ASSERT_EQUAL(set_line(&c, "user", "no-such-user-natt", err, sizeof(err)), NATT_OK);
	CU_ASSERT_EQUAL(natt_pconf_runas(&c, err, sizeof(err)), NATT_ERR_INVALID);
	CU_ASSERT_STRING_EQUAL(err, "natt.conf:7: user: no such user 'no-such-user-natt'");
	natt_pconf_init(&c);
	CU_ASSERT_EQUAL(set_line(&c, "group", "no-such-group-natt", err, sizeof(err)), NATT_OK);
	CU_ASSERT_EQUAL(natt_pconf_runas(&c, err, sizeof(err)), NATT_ERR_INVALID);
	CU_ASSERT_STRING_EQUAL(err, "natt.conf:7: group: no such group 'no-such-group-natt'");

	CU_ASSERT_EQUAL(set_line(&c, "user", "bad/name", err, sizeof(err)), NATT_ERR_SYNTAX);
	CU_ASSERT_STRING_EQUAL(err, "natt.conf:7: user: not a user or group name: 'bad/name'");
	CU_ASSERT_EQUAL(set_line(&c, "group", "-x", err, sizeof(err)), NATT_ERR_SYNTAX);
}

static void test_runas_from_openvpn(void)
{
	char dir[] = "/tmp/natt-test-runas.XXXXXX", path[64], env[80], err[512], warn[512];
	const char *envp[] = {env, NULL};
	struct natt_pconf c;
	FILE *f;

	CU_ASSERT_FATAL(mkdtemp(dir) != NULL);
	snprintf(path, sizeof(path), "%s/server.conf", dir);
	snprintf(env, sizeof(env), "config=%s", path);
	f = fopen(path, "w");
	CU_ASSERT_FATAL(f != NULL);
	fputs("dev tun\nuser nobody\ngroup nogroup\n", f);
	fclose(f);

	natt_pconf_init(&c);
	natt_pconf_learn_openvpn(&c, envp, warn, sizeof(warn));
	CU_ASSERT_STRING_EQUAL(c.user.name, "nobody");
	CU_ASSERT_PTR_NOT_NULL(strstr(c.user.where, "server.conf:2"));
	CU_ASSERT_STRING_EQUAL(c.group.name, "nogroup");
	CU_ASSERT_EQUAL(natt_pconf_runas(&c, err, sizeof(err)), NATT_OK);
	CU_ASSERT_STRING_EQUAL(c.runas.label, "nobody:nogroup");

	/* the plugin's own setting wins */
	natt_pconf_init(&c);
	CU_ASSERT_EQUAL(set_line(&c, "user", "root", err, sizeof(err)), NATT_OK);
	natt_pconf_learn_openvpn(&c, envp, warn, sizeof(warn));
	CU_ASSERT_STRING_EQUAL(c.user.name, "root");
	CU_ASSERT_STRING_EQUAL(c.group.name, "nogroup");
	unlink(path);
	rmdir(dir);
}

/* ---- the status file after the drop ---- */

static int read_text(const char *path, char *buf, size_t cap)
{
	int fd = open(path, O_RDONLY);
	ssize_t n = fd < 0 ? -1 : read(fd, buf, cap - 1);

	if (fd >= 0)
		close(fd);
	buf[n > 0 ? n : 0] = '\0';
	return (int)n;
}

/* In a child, as root: opened, then nobody; the file is still rewritten. */
static int status_after_drop(const char *path)
{
	char err[256], buf[64];

	if (natt_status_open(path, err, sizeof(err)) != NATT_OK)
		return 30;
	if (natt_privdrop(&to_nobody, err, sizeof(err)) != NATT_OK)
		return 31;
	if (natt_status_write(path, "after the drop\n", 15, err, sizeof(err)) != NATT_OK)
		return 32;
	natt_status_close();
	/* without the descriptor: a temporary file and a rename, which nobody may not do */
	if (natt_status_write(path, "x\n", 2, err, sizeof(err)) != NATT_ERR_IO)
		return 33;
	return read_text(path, buf, sizeof(buf)) == 15 ? 0 : 34;
}

static void test_status_in_place(void)
{
	char dir[] = "/tmp/natt-test-status.XXXXXX", path[64], link[64], fifo[64], err[256];
	char buf[64];
	pid_t pid;

	CU_ASSERT_FATAL(mkdtemp(dir) != NULL);
	chmod(dir, 0755);
	snprintf(path, sizeof(path), "%s/status", dir);
	snprintf(link, sizeof(link), "%s/link", dir);
	snprintf(fifo, sizeof(fifo), "%s/fifo", dir);

	CU_ASSERT_EQUAL_FATAL(natt_status_open(path, err, sizeof(err)), NATT_OK);
	CU_ASSERT_EQUAL(natt_status_write(path, "a longer first text\nEND\n", 24, err, sizeof(err)),
			NATT_OK);
	CU_ASSERT_EQUAL(natt_status_write(path, "short\nEND\n", 10, err, sizeof(err)), NATT_OK);
	CU_ASSERT_EQUAL(read_text(path, buf, sizeof(buf)), 10); /* truncated, nothing left over */
	CU_ASSERT_STRING_EQUAL(buf, "short\nEND\n");
	natt_status_close();

	CU_ASSERT_FATAL(symlink(path, link) == 0);
	CU_ASSERT_EQUAL(natt_status_open(link, err, sizeof(err)), NATT_ERR_IO);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "Too many levels of symbolic links"));
	CU_ASSERT_FATAL(mkfifo(fifo, 0600) == 0);
	CU_ASSERT_EQUAL(natt_status_open(fifo, err, sizeof(err)), NATT_ERR_IO); /* and no hang */

	if (geteuid() == 0) {
		pid = fork();
		if (pid == 0)
			_exit(status_after_drop(path));
		CU_ASSERT_EQUAL(exit_status(pid), 0);
	} else {
		fprintf(stderr,
			"\n    note: not root: the status file after a drop is not checked\n");
	}
	unlink(link);
	unlink(fifo);
	unlink(path);
	rmdir(dir);
}

static const struct natt_test tests[] = {
	{"restart delay: 1, 2, 4 ... 30 s, reset after 60 s", test_backoff},
	{"death descriptions for the log", test_death_text},
	{"first READY relayed with the worker's pid", test_start_relayed},
	{"first worker's ERROR relayed, supervisor exits", test_first_error_relayed},
	{"first worker's crash before READY relayed", test_first_crash_relayed},
	{"crashed worker restarted with backoff", test_restart_backoff},
	{"DETACH forwarded, also to a new worker", test_detach_forwarded},
	{"detached past the grace: no restart", test_detached_no_restart_after_grace},
	{"worker's orderly exit ends the supervisor", test_worker_orderly_exit},
	{"stop: SIGTERM, then SIGKILL", test_stop_kills_stubborn_worker},
	{"supervisor killed: the worker goes too", test_no_orphan},
	{"privilege drop holds", test_privdrop},
	{"user and group settings resolved", test_runas_settings},
	{"user and group learnt from OpenVPN's config", test_runas_from_openvpn},
	{"status file rewritten in place, also after the drop", test_status_in_place},
	{NULL, NULL},
};

int natt_suite_helper(void)
{
	return natt_add_suite("helper", tests);
}
