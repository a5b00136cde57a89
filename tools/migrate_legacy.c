/*
 * migrate_legacy.c: ending (and resuming) --keep-legacy in a migrated
 * plugin configuration.  Only the two pass-through lines change, marked or
 * unmarked with NATT_MIG_MARK, so both directions are reviewable with
 * --dry-run and undo each other; OpenVPN's configuration keeps its
 * loopback port, which differs from the public port in both states.
 */
#include <string.h>

#include "conf.h"
#include "natt.h"
#include "migrate_plan.h"

enum { LINE_OTHER, LINE_ACTIVE, LINE_MARKED };

/* Is the line (n bytes, no newline) one of the pass-through lines, and how? */
static int classify(const char *s, size_t n, bool *passthrough_yes)
{
	static char buf[NATT_CONF_MAX_ARGS * (NATT_CONF_MAX_TOKEN + 1)];
	size_t mark = strlen(NATT_MIG_MARK);
	bool marked = n >= mark && memcmp(s, NATT_MIG_MARK, mark) == 0;
	char *argv[NATT_CONF_MAX_ARGS + 1], why[128];
	int argc;

	if (marked) {
		s += mark;
		n -= mark;
	}
	argc = natt_conf_split(s, n, argv, NATT_CONF_MAX_ARGS, buf, sizeof(buf), why, sizeof(why));
	if (argc < 2 ||
	    (strcmp(argv[0], "public-port") != 0 && strcmp(argv[0], "legacy-passthrough") != 0))
		return LINE_OTHER;
	*passthrough_yes = !strcmp(argv[0], "legacy-passthrough") && !strcmp(argv[1], "yes");
	return marked ? LINE_MARKED : LINE_ACTIVE;
}

/* Calls fn for each line of text: its bytes without and with the newline. */
static int each_line(const char *text, size_t len,
		     int (*fn)(void *arg, const char *s, size_t n, size_t full), void *arg)
{
	size_t pos = 0;
	int rc = 0;

	while (rc == 0 && pos < len) {
		const char *nl = memchr(text + pos, '\n', len - pos);
		size_t full = nl != NULL ? (size_t)(nl - text - pos) + 1 : len - pos;
		size_t n = nl != NULL ? full - 1 : full;

		if (n > 0 && text[pos + n - 1] == '\r')
			n--;
		rc = fn(arg, text + pos, n, full);
		pos += full;
	}
	return rc;
}

static int state_line(void *arg, const char *s, size_t n, size_t full)
{
	enum natt_mig_legacy *st = arg;
	bool yes = false;
	int kind = classify(s, n, &yes);

	(void)full;
	if (kind == LINE_ACTIVE && yes)
		*st = NATT_MIG_LEGACY_ON;
	else if (kind == LINE_MARKED && yes && *st == NATT_MIG_LEGACY_NONE)
		*st = NATT_MIG_LEGACY_OFF;
	return 0;
}

enum natt_mig_legacy natt_mig_legacy_state(const char *pconf, size_t len)
{
	enum natt_mig_legacy st = NATT_MIG_LEGACY_NONE;

	each_line(pconf, len, state_line, &st);
	return st;
}

struct setter {
	struct natt_mig_buf *out;
	bool on;
};

static int set_line(void *arg, const char *s, size_t n, size_t full)
{
	struct setter *w = arg;
	bool yes = false;
	int kind = classify(s, n, &yes);
	size_t mark = strlen(NATT_MIG_MARK);

	if (kind == LINE_ACTIVE && !w->on) {
		int rc = natt_mig_buf_add(w->out, NATT_MIG_MARK, mark);

		return rc == 0 ? natt_mig_buf_add(w->out, s, full) : rc;
	}
	if (kind == LINE_MARKED && w->on)
		return natt_mig_buf_add(w->out, s + mark, full - mark);
	return natt_mig_buf_add(w->out, s, full);
}

int natt_mig_legacy_set(const char *pconf, size_t len, bool on, struct natt_mig_buf *out)
{
	struct setter w = {out, on};
	int rc = each_line(pconf, len, set_line, &w);

	return rc == 0 && out->p == NULL ? natt_mig_buf_add(out, "", 0) : rc;
}
