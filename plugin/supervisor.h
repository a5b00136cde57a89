/*
 * supervisor.h: the top half of the helper process (doc/ARCHITECTURE.md
 * 6.2).  The plugin forks the supervisor (natt_helper_start); the
 * supervisor forks the worker that runs the transport (runtime.h) and
 * starts a new one when it crashes.
 *
 * The supervisor keeps root (a new worker must bind its sockets and load
 * its keys again) and never touches a byte from the network: it holds the
 * channel to the plugin, the channel to the worker and a signalfd, nothing
 * else.  What it does, event by event:
 *   worker's first READY/ERROR   relayed to the plugin ("READY worker pid
 *                                W, <worker's text>"), so the plugin's
 *                                start protocol (helper.h) is unchanged
 *   plugin's ATTACH              answered at once, even while no worker
 *                                runs; forwarded to a running worker
 *   plugin's DETACH              forwarded (the worker's grace timer
 *                                decides); remembered for the next worker
 *   worker exits 0               an orderly close: the supervisor exits 0
 *   worker dies of a signal or   after it had been READY, or on a restart:
 *     exits non-zero             one line ("transport worker pid W killed
 *                                by signal 11 (Segmentation fault),
 *                                restarting in 1 s") and a new worker after
 *                                the backoff delay (natt_backoff_next)
 *   worker dies before its first READY   ERROR to the plugin, exit 1
 *   end-of-file from the plugin, SIGTERM (PR_SET_PDEATHSIG: OpenVPN is
 *     gone), SIGINT              SIGTERM to the worker (it closes every
 *                                session), SIGKILL after stop_wait, exit
 *   detached for grace with no worker running   exit
 * The worker gets PR_SET_PDEATHSIG(SIGTERM) from natt_helper_spawn, so it
 * never outlives the supervisor either; the supervisor reaps every child
 * (no zombie) and never exits while its worker runs (no orphan).
 */
#ifndef NATT_PLUGIN_SUPERVISOR_H
#define NATT_PLUGIN_SUPERVISOR_H

#include <stdbool.h>
#include <stddef.h>

#include "helper.h"
#include "natt.h"

#define NATT_SUP_BACKOFF_MIN (1 * NATT_SEC)  /* first restart delay */
#define NATT_SUP_BACKOFF_MAX (30 * NATT_SEC) /* the delay doubles up to this */
#define NATT_SUP_STABLE	     (60 * NATT_SEC) /* a worker that ran this long resets it */
/* SIGTERM to SIGKILL; the worker's orderly close takes NATT_RUNTIME_CLOSE_WAIT (2 s) */
#define NATT_SUP_STOP_WAIT (3 * NATT_SEC)

/* The restart delay rule. */
struct natt_backoff {
	natt_time_t min;    /* the first delay */
	natt_time_t max;    /* doubling stops here */
	natt_time_t stable; /* a worker that ran at least this long starts over at min */
};

struct natt_supervisor_args {
	natt_helper_run_fn worker; /* the worker's body (natt_runtime_main) */
	void *worker_arg;	   /* stays in the supervisor's memory for every restart */
	int verb;		   /* the supervisor's own log lines (log.h) */
	bool use_syslog;
	struct natt_backoff backoff; /* all zero: the NATT_SUP_* defaults */
	natt_time_t stop_wait;	     /* 0: NATT_SUP_STOP_WAIT */
	natt_time_t grace;	     /* 0: NATT_HELPER_GRACE */
};

/*
 * The next restart delay: b->min for the first restart (prev 0) or after a
 * worker that ran (from fork to death) at least b->stable; otherwise twice
 * prev, at most b->max.
 */
natt_time_t natt_backoff_next(const struct natt_backoff *b, natt_time_t prev, natt_time_t ran);

/*
 * How a child ended, from its wait status, for a log line: "killed by
 * signal 11 (Segmentation fault)", "exited with status 3".  Returns buf.
 */
char *natt_supervisor_death(int status, char *buf, size_t cap);

/*
 * natt_helper_run_fn for natt_helper_start; arg is a struct
 * natt_supervisor_args.  Returns the exit status: 0 after an orderly end,
 * 1 when the first worker could not start (the plugin got ERROR).
 */
int natt_supervisor_main(void *arg, int ctl_fd);

#endif
