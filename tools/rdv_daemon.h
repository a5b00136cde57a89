/*
 * rdv_daemon.h: the running natt-rendezvous, shared by its two halves:
 * natt-rendezvous.c (start-up, the event loop's callbacks, shutdown) and
 * rdv_status.c (the status file and the periodic log summaries).
 */
#ifndef NATT_TOOLS_RDV_DAEMON_H
#define NATT_TOOLS_RDV_DAEMON_H

#include <time.h>

#include "loop.h"
#include "rdv.h"
#include "rdv_config.h"
#include "rdv_proc.h"

struct event;

struct rdv_sock {
	struct rdv_daemon *d;
	unsigned int index; /* the core's "via" */
	int family;	    /* AF_INET or AF_INET6 */
	struct natt_udp *udp;
	char text[64];
};

struct rdv_daemon {
	struct rdv_config cfg;
	struct natt_loop *loop;
	struct natt_rdv_server *srv;
	struct natt_seal *seal[NATT_RDV_MAX_NETWORKS];
	uint8_t net_id[NATT_RDV_MAX_NETWORKS][NATT_NETWORK_ID_LEN];
	struct rdv_sock sock[RDV_MAX_LISTEN];
	unsigned int nsock;
	struct natt_timer *expiry; /* the next registration's end */
	struct natt_timer *tick;   /* status file and summaries */
	struct event *sig[5];
	struct rdv_ids ids;
	int ready_fd; /* -1, or the pipe to the waiting parent */
	bool pidfile_written;
	const char *stop_signal; /* why the loop ended */

	natt_time_t started;
	time_t started_wall;
	natt_time_t next_status, next_summary, next_salts_warning;
	struct natt_rdv_server_stats summarized; /* counters at the last summary */
	uint64_t tx_unroutable;			 /* an answer no socket could carry */
	char status_error[256];			 /* last status write error, logged once */
	struct natt_rdv_output out;		 /* scratch for each input */
};

#define RDV_SUMMARY_INTERVAL	(60 * NATT_SEC)	 /* drops by reason, when any */
#define RDV_SALTS_WARN_INTERVAL (120 * NATT_SEC) /* "replay guard full", at most */

/* Writes the status file now (atomically: a temporary file renamed over
 * it).  Returns 0, or -1 with err. */
int rdv_status_write(struct rdv_daemon *d, char *err, size_t errlen);

/* Logs, at verb 3, what was dropped since the last call, by reason (nothing
 * when nothing was). */
void rdv_status_summary(struct rdv_daemon *d);

/* Logs every counter on one line (SIGUSR2), at verb 1. */
void rdv_status_log(struct rdv_daemon *d);

#endif
