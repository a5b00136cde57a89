/*
 * log.h: the plugin's log lines, one per event.
 *
 * Two sinks, never both in one process:
 *   - in OpenVPN's process, OpenVPN's plugin_log callback (only ever called
 *     from OpenVPN's own thread, inside an entry point);
 *   - in the helper process, whole lines written with one write(2) each to
 *     stderr, which is OpenVPN's log (--log, --daemon's redirect, the
 *     journal), or syslog when OpenVPN runs as a daemon without --log.
 * Levels follow OpenVPN's verb: errors and warnings from verb 1, notes
 * (peer up/down, paths) from verb 3, details from 4, debugging from 5.
 */
#ifndef NATT_PLUGIN_LOG_H
#define NATT_PLUGIN_LOG_H

#include <stdbool.h>

struct openvpn_plugin_callbacks;

#define NATT_PLUGIN_NAME "openvpn-plugin-natt"

enum natt_plog_level {
	NATT_PLOG_ERR = 1,   /* shown from verb 1 */
	NATT_PLOG_WARN = 2,  /* shown from verb 1 */
	NATT_PLOG_NOTE = 3,  /* shown from verb 3 */
	NATT_PLOG_INFO = 4,  /* shown from verb 4 */
	NATT_PLOG_DEBUG = 5, /* shown from verb 5 */
};

/* Logs through OpenVPN's callback; verb filters (OpenVPN filters again). */
void natt_plog_to_openvpn(struct openvpn_plugin_callbacks *cb, int verb);

/* Logs to stderr (use_syslog false) or syslog; for the helper process. */
void natt_plog_to_stderr(int verb, bool use_syslog);

/* Changes the verbosity of the current sink. */
void natt_plog_set_verb(int verb);

/* True when a line at level would be written. */
bool natt_plog_enabled(int level);

/* One line (no trailing newline needed); cut at 1024 bytes. */
void natt_plog(int level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
