/*
 * log.c: the plugin's log sinks (see log.h).
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include <openvpn-plugin.h>

#include "log.h"

#define LINE_MAX_LEN 1024

enum sink { SINK_NONE, SINK_OPENVPN, SINK_STDERR, SINK_SYSLOG };

static enum sink sink = SINK_STDERR;
static int verbosity = 1;
static struct openvpn_plugin_callbacks *callbacks;

void natt_plog_to_openvpn(struct openvpn_plugin_callbacks *cb, int verb)
{
	callbacks = cb;
	sink = cb != NULL ? SINK_OPENVPN : SINK_STDERR;
	verbosity = verb;
}

void natt_plog_to_stderr(int verb, bool use_syslog)
{
	callbacks = NULL;
	verbosity = verb;
	sink = use_syslog ? SINK_SYSLOG : SINK_STDERR;
	if (use_syslog)
		openlog(NATT_PLUGIN_NAME, LOG_PID, LOG_DAEMON);
}

void natt_plog_set_verb(int verb)
{
	verbosity = verb;
}

bool natt_plog_enabled(int level)
{
	int need = level <= NATT_PLOG_WARN ? 1 : level;

	return sink != SINK_NONE && verbosity >= need;
}

static openvpn_plugin_log_flags_t openvpn_flags(int level)
{
	if (level == NATT_PLOG_ERR)
		return PLOG_ERR;
	if (level == NATT_PLOG_WARN)
		return PLOG_WARN;
	if (level == NATT_PLOG_DEBUG)
		return PLOG_DEBUG;
	return PLOG_NOTE;
}

static int syslog_priority(int level)
{
	static const int prio[] = {LOG_ERR, LOG_ERR, LOG_WARNING, LOG_NOTICE, LOG_INFO, LOG_DEBUG};

	return prio[level < 1 ? 1 : level > 5 ? 5 : level];
}

static void write_stderr(const char *text)
{
	char line[LINE_MAX_LEN + 96];
	char stamp[32];
	struct tm tm;
	time_t t = time(NULL);
	int n;

	localtime_r(&t, &tm);
	strftime(stamp, sizeof(stamp), "%Y-%m-%d %H:%M:%S", &tm);
	n = snprintf(line, sizeof(line), "%s %s[%d]: %s\n", stamp, NATT_PLUGIN_NAME, (int)getpid(),
		     text);
	if (n < 0)
		return;
	if ((size_t)n >= sizeof(line)) {
		n = sizeof(line) - 1;
		line[n - 1] = '\n';
	}
	if (write(STDERR_FILENO, line, (size_t)n) < 0)
		return; /* nowhere left to report it */
}

void natt_plog(int level, const char *fmt, ...)
{
	char text[LINE_MAX_LEN];
	va_list ap;

	if (!natt_plog_enabled(level))
		return;
	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	text[strcspn(text, "\n")] = '\0';
	switch (sink) {
	case SINK_OPENVPN:
		callbacks->plugin_log(openvpn_flags(level), NATT_PLUGIN_NAME, "%s", text);
		break;
	case SINK_SYSLOG: syslog(syslog_priority(level), "%s", text); break;
	case SINK_STDERR: write_stderr(text); break;
	case SINK_NONE: break;
	}
}
