/*
 * checks.h: natt-inspect's verification checks: their stable identifiers
 * (what --list-checks prints, what scripts match on), what each needs, and
 * the results of one run.  The rules themselves live where the facts are
 * (analyze.c, leak.c); this file only keeps score.
 */
#ifndef NATT_INSPECT_CHECKS_H
#define NATT_INSPECT_CHECKS_H

#include <stdbool.h>
#include <stdint.h>

enum ins_check {
	INS_CK_FRAMING = 0,
	INS_CK_LENGTHS,
	INS_CK_AUTH,
	INS_CK_NONCE_REUSE,
	INS_CK_ACK_UNSENT,
	INS_CK_AMPLIFICATION,
	INS_CK_PLAINTEXT_LEAK,
	INS_CK_UNKNOWN_VERSION,
	INS_CK_UNKNOWN_TYPE,
	INS_CK_MTU,
	INS_CK_COUNT
};

enum ins_severity {
	INS_SEV_ERROR = 0, /* a failure makes the exit status 1 */
	INS_SEV_WARNING,   /* reported as "warn"; exit status 1 only with --strict */
};

enum ins_needs {
	INS_NEEDS_NOTHING = 0,
	INS_NEEDS_NETWORK_KEY, /* --network-key */
	INS_NEEDS_A_KEY,       /* --network-key or --keylog */
};

struct ins_check_def {
	const char *id;	     /* stable identifier */
	int severity;	     /* enum ins_severity */
	int needs;	     /* enum ins_needs */
	const char *summary; /* one line for --list-checks */
};

enum ins_status {
	INS_ST_PASS = 0,
	INS_ST_FAIL,
	INS_ST_WARN,
	INS_ST_NOT_RUN, /* needs a key that was not given */
};

#define INS_DETAIL_LEN 200

struct ins_check_result {
	uint64_t examined; /* packets (or exchanges) the rule looked at */
	uint64_t failures;
	uint64_t first_packet;	     /* frame number of the first failure; 0 = none */
	char detail[INS_DETAIL_LEN]; /* what the first failure was */
};

struct ins_checks {
	bool network_key, keylog; /* which keys were given */
	struct ins_check_result r[INS_CK_COUNT];
};

/* The definition of a check; c < INS_CK_COUNT. */
const struct ins_check_def *ins_check_def(int c);

/* The check with identifier id, or -1. */
int ins_check_by_id(const char *id);

void ins_checks_init(struct ins_checks *c, bool network_key, bool keylog);

/* Counts one packet examined by check id. */
void ins_checks_examined(struct ins_checks *c, int id);

/* Records a failure of check id at frame pkt; the first one's detail is kept. */
void ins_checks_fail(struct ins_checks *c, int id, uint64_t pkt, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/* The status of check id; *reason (may be NULL) says why it did not run. */
int ins_check_status(const struct ins_checks *c, int id, const char **reason);

/* "pass", "fail", "warn", "not-run". */
const char *ins_status_name(int status);

/* Whether any check failed (warnings count when strict). */
bool ins_checks_failed(const struct ins_checks *c, bool strict);

#endif
