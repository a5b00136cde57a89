/*
 * test_phelper.c: the plugin's helper process handling (plugin/helper.c):
 * ready, error, early death, re-attach through the environment, detach.
 * The helper bodies here are small stand-ins for the transport runtime.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "helper.h"
#include "unit.h"

/* Says READY, answers ATTACH, exits 3 on end-of-file (9 if DETACH came first). */
static int run_ready(void *arg, int fd)
{
	char buf[NATT_HELPER_MSG_MAX];
	int detached = 0, n;

	(void)arg;
	if (fd != NATT_HELPER_CTL_FD || fcntl(4, F_GETFD) >= 0)
		return 20; /* the channel is not at 3, or other descriptors leaked */
	natt_helper_send(fd, "READY public port 4242");
	while ((n = natt_helper_recv(fd, buf, sizeof(buf), 5000)) >= 0) {
		if (strcmp(buf, "ATTACH") == 0)
			natt_helper_send(fd, "ATTACHED");
		if (strcmp(buf, "DETACH") == 0)
			detached = 1;
	}
	return n == NATT_ERR_CLOSED ? (detached ? 9 : 3) : 21;
}

static int run_error(void *arg, int fd)
{
	(void)arg;
	natt_helper_send(fd, "ERROR rendezvous x:3478: Name or service not known");
	return 1;
}

static int run_die(void *arg, int fd)
{
	(void)arg;
	(void)fd;
	return 5;
}

static int exit_status(pid_t pid)
{
	int st = 0;

	if (waitpid(pid, &st, 0) != pid || !WIFEXITED(st))
		return -1;
	return WEXITSTATUS(st);
}

static void test_ready_attach_detach(void)
{
	struct natt_helper h, h2;
	char msg[256], want[64];
	int extra = open("/dev/null", O_RDONLY); /* must not leak into the helper */

	unsetenv(NATT_HELPER_ENV);
	CU_ASSERT_EQUAL_FATAL(natt_helper_start(&h, run_ready, NULL, msg, sizeof(msg)), NATT_OK);
	CU_ASSERT_STRING_EQUAL(msg, "public port 4242");
	snprintf(want, sizeof(want), "%d:%d", h.fd, (int)h.pid);
	CU_ASSERT_PTR_NOT_NULL_FATAL(getenv(NATT_HELPER_ENV));
	CU_ASSERT_STRING_EQUAL(getenv(NATT_HELPER_ENV), want);
	CU_ASSERT(fcntl(h.fd, F_GETFD) & FD_CLOEXEC);

	/* what a SIGHUP does: close (detach), then re-open (attach) */
	natt_helper_detach(&h);
	CU_ASSERT_EQUAL_FATAL(natt_helper_attach(&h2), NATT_OK);
	CU_ASSERT_EQUAL(h2.fd, h.fd);
	CU_ASSERT_EQUAL(h2.pid, h.pid);
	CU_ASSERT_PTR_NOT_NULL_FATAL(getenv(NATT_HELPER_ENV));
	CU_ASSERT_STRING_EQUAL(getenv(NATT_HELPER_ENV), want);

	/* OpenVPN exits: the helper sees end-of-file */
	close(h2.fd);
	CU_ASSERT_EQUAL(exit_status(h.pid), 9);
	unsetenv(NATT_HELPER_ENV);
	close(extra);
}

static void test_error_line(void)
{
	struct natt_helper h;
	char msg[256];

	CU_ASSERT_EQUAL(natt_helper_start(&h, run_error, NULL, msg, sizeof(msg)), NATT_ERR_INVALID);
	CU_ASSERT_STRING_EQUAL(msg, "rendezvous x:3478: Name or service not known");
	CU_ASSERT_EQUAL(h.fd, -1);
	CU_ASSERT_PTR_NULL(getenv(NATT_HELPER_ENV));
}

static void test_early_death(void)
{
	struct natt_helper h;
	char msg[256];

	CU_ASSERT_EQUAL(natt_helper_start(&h, run_die, NULL, msg, sizeof(msg)), NATT_ERR_IO);
	CU_ASSERT_STRING_EQUAL(msg, "the helper process exited with status 5 before it was ready");
	CU_ASSERT_PTR_NULL(getenv(NATT_HELPER_ENV));
}

static void test_attach_refuses_strangers(void)
{
	struct natt_helper h;
	char env[64];
	int p[2];

	unsetenv(NATT_HELPER_ENV);
	CU_ASSERT_EQUAL(natt_helper_attach(&h), NATT_ERR_CLOSED);
	CU_ASSERT_EQUAL(h.fd, -1);

	/* a descriptor that is not our channel is left alone */
	CU_ASSERT_FATAL(pipe(p) == 0);
	snprintf(env, sizeof(env), "%d:%d", p[0], (int)getpid());
	setenv(NATT_HELPER_ENV, env, 1);
	CU_ASSERT_EQUAL(natt_helper_attach(&h), NATT_ERR_CLOSED);
	CU_ASSERT(fcntl(p[0], F_GETFD) >= 0);
	CU_ASSERT_PTR_NULL(getenv(NATT_HELPER_ENV));

	setenv(NATT_HELPER_ENV, "garbage", 1);
	CU_ASSERT_EQUAL(natt_helper_attach(&h), NATT_ERR_CLOSED);
	CU_ASSERT_PTR_NULL(getenv(NATT_HELPER_ENV));
	close(p[0]);
	close(p[1]);
}

static void test_attach_to_dead_helper(void)
{
	struct natt_helper h, h2;
	char msg[256];

	unsetenv(NATT_HELPER_ENV);
	CU_ASSERT_EQUAL_FATAL(natt_helper_start(&h, run_ready, NULL, msg, sizeof(msg)), NATT_OK);
	kill(h.pid, SIGKILL);
	waitpid(h.pid, NULL, 0);
	CU_ASSERT_EQUAL(natt_helper_attach(&h2), NATT_ERR_CLOSED);
	CU_ASSERT_PTR_NULL(getenv(NATT_HELPER_ENV));
	CU_ASSERT(fcntl(h.fd, F_GETFD) < 0); /* the dead channel was closed */
}

static const struct natt_test tests[] = {
	{"ready, detach, re-attach, end-of-file", test_ready_attach_detach},
	{"helper's error line comes back", test_error_line},
	{"helper dying before ready is reported", test_early_death},
	{"attach ignores what is not its channel", test_attach_refuses_strangers},
	{"attach to a dead helper fails cleanly", test_attach_to_dead_helper},
	{NULL, NULL},
};

int natt_suite_phelper(void)
{
	return natt_add_suite("phelper", tests);
}
