/*
 * rdv_log.h: natt-rendezvous' log: one line per event, levels as OpenVPN's
 * verb so that operators are not surprised.
 *
 *   RDV_FATAL 0  the process is about to exit with an error
 *   RDV_ERR   1  errors and warnings, start and stop (OpenVPN's M_WARN, M_INFO)
 *   RDV_NOTE  3  periodic summaries: drops by reason, key files checked
 *   RDV_EVENT 4  every registration, unregistration, expiry, lookup
 *   RDV_DEBUG 7  every dropped datagram, with its source and reason
 *
 * Where to: a log file (log / log-append, reopened by rdv_log_reopen() on
 * SIGHUP); else stderr in the foreground (without timestamps when stderr is
 * systemd's journal, which has its own, as Debian's OpenVPN unit does); else
 * syslog (facility daemon) for a daemon.  Never a secret: keys and salts are
 * not printed at any level.
 */
#ifndef NATT_TOOLS_RDV_LOG_H
#define NATT_TOOLS_RDV_LOG_H

#include <stdbool.h>
#include <sys/types.h>

#define RDV_FATAL 0
#define RDV_ERR	  1
#define RDV_NOTE  3
#define RDV_EVENT 4
#define RDV_DEBUG 7

enum rdv_log_to {
	RDV_LOG_STDERR = 0,
	RDV_LOG_FILE,
	RDV_LOG_SYSLOG,
};

/* Logs to stderr at verb until rdv_log_open(). */
void rdv_log_init(int verb);

/*
 * Switches to the destination: path for RDV_LOG_FILE (append: keep what is
 * there).  Returns 0, or -1 with errno set (the previous destination stays).
 */
int rdv_log_open(enum rdv_log_to to, const char *path, bool append);

/* Reopens the log file (after logrotate moved it); no-op otherwise.
 * Returns 0 or -1 with errno set. */
int rdv_log_reopen(void);

/* Hands the log file to the account the daemon is about to become, so
 * that it can still reopen it.  Returns 0 or -1 with errno set. */
int rdv_log_chown(uid_t uid, gid_t gid);

/* Whether a line of this level would be written (skip building it if not). */
bool rdv_log_on(int level);

void rdv_log(int level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
