/*
 * runtime.h: the body of the helper process: one transport node (transport/
 * node.h), the loopback bridge (bridge.h), the status file, and the
 * control channel to OpenVPN's process (helper.h), all on one natt_loop.
 *
 * Lifecycle: starts the node and the bridge, answers "READY public port N"
 * or "ERROR <line>"; then runs.  DETACH arms a NATT_HELPER_GRACE timer that
 * an ATTACH disarms; the timer, end-of-file on the channel (OpenVPN is
 * gone), SIGTERM or SIGINT close every session in order (peers are told)
 * and the helper exits.  SIGHUP and SIGUSR1 are ignored (they are meant for
 * OpenVPN; a terminal's signals do not reach the helper, which has its own
 * session).
 */
#ifndef NATT_PLUGIN_RUNTIME_H
#define NATT_PLUGIN_RUNTIME_H

#include <stdint.h>

#include "pconf.h"

/* How long an orderly close may take before the helper exits anyway. */
#define NATT_RUNTIME_CLOSE_WAIT (2 * NATT_SEC)

struct natt_runtime_args {
	const struct natt_pconf *conf;
	uint8_t network_key[NATT_KEY_LEN]; /* wiped once the seal holds it */
	bool use_syslog;		   /* OpenVPN runs as a daemon without --log */
};

/* natt_helper_run_fn for natt_helper_start: arg is a struct
 * natt_runtime_args.  Returns the exit status (0 after an orderly end). */
int natt_runtime_main(void *arg, int ctl_fd);

#endif
