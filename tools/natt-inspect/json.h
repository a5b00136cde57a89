/*
 * json.h: a small streaming JSON writer for natt-inspect --json: objects
 * and arrays with 2-space indentation, or on one line inside a container
 * begun "inline" (one line per packet).  Integers are written exactly
 * (64-bit); times as seconds with 6 decimals; connection IDs and other
 * binary values as lower-case hex strings.
 */
#ifndef NATT_INSPECT_JSON_H
#define NATT_INSPECT_JSON_H

#include <stdbool.h>
#include <stdio.h>

#include "natt.h"

#define INS_JSON_MAX_DEPTH 16

struct ins_json {
	FILE *f;
	int depth;
	bool first[INS_JSON_MAX_DEPTH]; /* nothing written yet in this container */
	int inline_from;		/* depth from which output is on one line; 0 = none */
};

void ins_json_init(struct ins_json *j, FILE *f);

/* key is NULL for array elements and the top level. */
void ins_json_obj(struct ins_json *j, const char *key);
void ins_json_obj_inline(struct ins_json *j, const char *key);
void ins_json_arr(struct ins_json *j, const char *key);
void ins_json_arr_inline(struct ins_json *j, const char *key);
void ins_json_end_obj(struct ins_json *j);
void ins_json_end_arr(struct ins_json *j);

void ins_json_str(struct ins_json *j, const char *key, const char *s); /* NULL: null */
void ins_json_u64(struct ins_json *j, const char *key, uint64_t v);
void ins_json_i64(struct ins_json *j, const char *key, int64_t v);
void ins_json_bool(struct ins_json *j, const char *key, bool v);
void ins_json_null(struct ins_json *j, const char *key);
void ins_json_time(struct ins_json *j, const char *key, natt_time_t us);
void ins_json_double(struct ins_json *j, const char *key, double v, int decimals);
void ins_json_hex(struct ins_json *j, const char *key, const uint8_t *p, size_t n);
void ins_json_cid(struct ins_json *j, const char *key, natt_cid_t cid);

#endif
