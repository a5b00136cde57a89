/*
 * rdv_log.c: the log of natt-rendezvous (rdv_log.h).  Single-threaded, as
 * the daemon is.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "rdv_log.h"

static struct {
	int verb;
	enum rdv_log_to to;
	FILE *file;
	char path[1024];
	bool stamp; /* prefix a timestamp (not on the journal, not to syslog) */
} lg = {.verb = 1, .to = RDV_LOG_STDERR, .stamp = true};

void rdv_log_init(int verb)
{
	lg.verb = verb;
	/* systemd sets JOURNAL_STREAM when stderr goes to the journal. */
	lg.stamp = getenv("JOURNAL_STREAM") == NULL;
}

static FILE *open_file(const char *path, bool append)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC | (append ? O_APPEND : O_TRUNC), 0640);
	FILE *f;

	if (fd < 0)
		return NULL;
	f = fdopen(fd, append ? "a" : "w");
	if (f == NULL) {
		close(fd);
		return NULL;
	}
	setvbuf(f, NULL, _IOLBF, 0);
	return f;
}

int rdv_log_open(enum rdv_log_to to, const char *path, bool append)
{
	if (to == RDV_LOG_FILE) {
		FILE *f = open_file(path, append);

		if (f == NULL)
			return -1;
		if (lg.file != NULL)
			fclose(lg.file);
		lg.file = f;
		snprintf(lg.path, sizeof(lg.path), "%s", path);
		lg.stamp = true;
	} else if (to == RDV_LOG_SYSLOG) {
		openlog("natt-rendezvous", LOG_PID | LOG_NDELAY, LOG_DAEMON);
		lg.stamp = false;
	}
	lg.to = to;
	return 0;
}

int rdv_log_reopen(void)
{
	FILE *f;

	if (lg.to != RDV_LOG_FILE)
		return 0;
	f = open_file(lg.path, true);
	if (f == NULL)
		return -1;
	fclose(lg.file);
	lg.file = f;
	return 0;
}

int rdv_log_chown(uid_t uid, gid_t gid)
{
	if (lg.to != RDV_LOG_FILE || lg.file == NULL)
		return 0;
	return fchown(fileno(lg.file), uid, gid);
}

bool rdv_log_on(int level)
{
	return level <= lg.verb || level == RDV_FATAL;
}

static int syslog_priority(int level)
{
	switch (level) {
	case RDV_FATAL: return LOG_ERR;
	case RDV_ERR: return LOG_WARNING;
	case RDV_NOTE: return LOG_NOTICE;
	case RDV_EVENT: return LOG_INFO;
	}
	return LOG_DEBUG;
}

void rdv_log(int level, const char *fmt, ...)
{
	char line[1024], stamp[32] = "";
	va_list ap;
	FILE *f;

	if (!rdv_log_on(level))
		return;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (lg.to == RDV_LOG_SYSLOG) {
		syslog(syslog_priority(level), "%s", line);
		return;
	}
	if (lg.stamp) {
		time_t t = time(NULL);
		struct tm tm;

		localtime_r(&t, &tm);
		strftime(stamp, sizeof(stamp), "%Y-%m-%d %H:%M:%S ", &tm);
	}
	f = lg.to == RDV_LOG_FILE && lg.file != NULL ? lg.file : stderr;
	fprintf(f, "%s%s\n", stamp, line);
}
