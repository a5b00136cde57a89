/*
 * helper.h: the helper process that runs the transport for OpenVPN
 * (doc/ARCHITECTURE.md 6.2): fork, "ready or one-line error", detach on
 * close, re-attach on re-open.
 *
 * The process the plugin forks is the supervisor (supervisor.h); it forks
 * the worker that runs the transport (runtime.h) and restarts it after a
 * crash.  Both channels, plugin <-> supervisor and supervisor <-> worker,
 * are SOCK_SEQPACKET socket pairs made by natt_helper_spawn, one text
 * message per packet:
 *   helper -> plugin  "READY <what>"   started: sockets bound, keys loaded
 *                     "ERROR <line>"   could not start (then it exits)
 *                     "ATTACHED"       answer to ATTACH
 *   plugin -> helper  "DETACH"         openvpn_plugin_close_v1: OpenVPN may
 *                                      be restarting (SIGHUP) or exiting
 *                     "ATTACH"         openvpn_plugin_open_v3 found us again
 * The plugin's end stays open in OpenVPN (close-on-exec) across a SIGHUP's
 * close and re-open; its number and the supervisor's pid are kept in the
 * environment variable NATT_HELPER_ENV, which dlclose() does not touch.
 * When OpenVPN exits, the supervisor sees end-of-file on the channel (and
 * PR_SET_PDEATHSIG sends it SIGTERM) and stops the worker, which closes
 * every session.
 */
#ifndef NATT_PLUGIN_HELPER_H
#define NATT_PLUGIN_HELPER_H

#include <stddef.h>
#include <sys/types.h>

#include "natt.h"

#define NATT_HELPER_ENV		   "NATT_PLUGIN_HELPER" /* "<fd>:<pid>" */
#define NATT_HELPER_CTL_FD	   3			/* the channel's number in the helper */
#define NATT_HELPER_READY_TIMEOUT  (15 * 1000)		/* ms: DNS, binding, loading PEM files */
#define NATT_HELPER_ATTACH_TIMEOUT (2 * 1000)		/* ms: a live helper answers at once */
#define NATT_HELPER_GRACE	   (5 * NATT_SEC)	/* detached: wait this long for a re-open */
#define NATT_HELPER_MSG_MAX	   1024

/* The plugin's view of its helper. */
struct natt_helper {
	int fd;	   /* control channel, -1 when none */
	pid_t pid; /* the helper process */
};

/* The helper's body: runs in the child with the channel at ctl_fd, returns
 * its exit status. */
typedef int (*natt_helper_run_fn)(void *arg, int ctl_fd);

/*
 * Forks a child that runs run(arg, NATT_HELPER_CTL_FD), without waiting for
 * it.  In the child: PR_SET_PDEATHSIG(SIGTERM) (it never outlives its
 * parent), a new session, signal dispositions and mask reset (SIGPIPE
 * ignored), every descriptor but 0-2 and the channel (moved to
 * NATT_HELPER_CTL_FD) closed.  *fd receives the parent's end of the channel
 * (close-on-exec), *pid the child.  Returns NATT_OK or NATT_ERR_IO
 * (socketpair or fork failed: msg says which).
 */
int natt_helper_spawn(natt_helper_run_fn run, void *arg, int *fd, pid_t *pid, char *msg,
		      size_t msglen);

/*
 * Forks the helper (natt_helper_spawn) and waits up to
 * NATT_HELPER_READY_TIMEOUT for its first message.  msg receives the text
 * after READY, or the reason it failed.  On success NATT_HELPER_ENV is
 * set.  Returns NATT_OK, NATT_ERR_INVALID (the helper said ERROR),
 * NATT_ERR_IO (fork or socketpair failed, the helper died or did not
 * answer in time: it is killed).
 */
int natt_helper_start(struct natt_helper *h, natt_helper_run_fn run, void *arg, char *msg,
		      size_t msglen);

/*
 * Finds a running helper through NATT_HELPER_ENV and re-attaches to it.
 * Returns NATT_OK, NATT_ERR_CLOSED (no helper recorded, or it is gone or
 * did not answer: the variable is cleared and a new helper must be started).
 */
int natt_helper_attach(struct natt_helper *h);

/* Tells the helper OpenVPN closed the plugin; keeps the channel open. */
void natt_helper_detach(struct natt_helper *h);

/*
 * Sends one message on a channel (text, no newline), never blocking.
 * Returns NATT_OK or NATT_ERR_IO (also when the channel is full).
 */
int natt_helper_send(int fd, const char *text);

/*
 * Waits up to timeout_ms (-1: no limit) for one message into buf (NUL-
 * terminated).  Returns its length (>= 0), NATT_ERR_CLOSED (end of file),
 * NATT_ERR_IO (timeout or error).
 */
int natt_helper_recv(int fd, char *buf, size_t cap, int timeout_ms);

#endif
