/* json.c: streaming JSON writer (json.h). */
#include <inttypes.h>
#include <string.h>

#include "json.h"

void ins_json_init(struct ins_json *j, FILE *f)
{
	memset(j, 0, sizeof(*j));
	j->f = f;
	j->first[0] = true;
}

static bool is_inline(const struct ins_json *j)
{
	return j->inline_from > 0 && j->depth >= j->inline_from;
}

static void newline(struct ins_json *j, int depth)
{
	if (is_inline(j))
		return;
	fputc('\n', j->f);
	for (int i = 0; i < depth; i++)
		fputs("  ", j->f);
}

static void put_string(FILE *f, const char *s)
{
	fputc('"', f);
	for (const unsigned char *p = (const unsigned char *)s; *p != '\0'; p++) {
		if (*p == '"' || *p == '\\')
			fprintf(f, "\\%c", *p);
		else if (*p < 0x20 || *p >= 0x7f)
			fprintf(f, "\\u%04x", *p);
		else
			fputc(*p, f);
	}
	fputc('"', f);
}

/* Separator, indentation and key before a value. */
static void lead(struct ins_json *j, const char *key)
{
	if (j->depth > 0) {
		if (!j->first[j->depth])
			fputc(',', j->f);
		if (is_inline(j) && !j->first[j->depth])
			fputc(' ', j->f);
		newline(j, j->depth);
	}
	j->first[j->depth] = false;
	if (key != NULL) {
		put_string(j->f, key);
		fputs(": ", j->f);
	}
}

static void json_open(struct ins_json *j, const char *key, char c, bool inl)
{
	lead(j, key);
	fputc(c, j->f);
	if (j->depth + 1 < INS_JSON_MAX_DEPTH)
		j->depth++;
	j->first[j->depth] = true;
	if (inl && j->inline_from == 0)
		j->inline_from = j->depth;
}

static void json_close(struct ins_json *j, char c)
{
	bool empty = j->first[j->depth];
	bool was_inline = is_inline(j);

	if (j->inline_from == j->depth)
		j->inline_from = 0;
	j->depth--;
	if (!empty && !was_inline)
		newline(j, j->depth);
	fputc(c, j->f);
	if (j->depth == 0)
		fputc('\n', j->f);
}

void ins_json_obj(struct ins_json *j, const char *key)
{
	json_open(j, key, '{', false);
}

void ins_json_obj_inline(struct ins_json *j, const char *key)
{
	json_open(j, key, '{', true);
}

void ins_json_arr(struct ins_json *j, const char *key)
{
	json_open(j, key, '[', false);
}

void ins_json_arr_inline(struct ins_json *j, const char *key)
{
	json_open(j, key, '[', true);
}

void ins_json_end_obj(struct ins_json *j)
{
	json_close(j, '}');
}

void ins_json_end_arr(struct ins_json *j)
{
	json_close(j, ']');
}

void ins_json_str(struct ins_json *j, const char *key, const char *s)
{
	lead(j, key);
	if (s == NULL)
		fputs("null", j->f);
	else
		put_string(j->f, s);
}

void ins_json_u64(struct ins_json *j, const char *key, uint64_t v)
{
	lead(j, key);
	fprintf(j->f, "%" PRIu64, v);
}

void ins_json_i64(struct ins_json *j, const char *key, int64_t v)
{
	lead(j, key);
	fprintf(j->f, "%" PRId64, v);
}

void ins_json_bool(struct ins_json *j, const char *key, bool v)
{
	lead(j, key);
	fputs(v ? "true" : "false", j->f);
}

void ins_json_null(struct ins_json *j, const char *key)
{
	lead(j, key);
	fputs("null", j->f);
}

void ins_json_time(struct ins_json *j, const char *key, natt_time_t us)
{
	lead(j, key);
	fprintf(j->f, "%" PRIu64 ".%06" PRIu64, us / NATT_SEC, us % NATT_SEC);
}

void ins_json_double(struct ins_json *j, const char *key, double v, int decimals)
{
	lead(j, key);
	fprintf(j->f, "%.*f", decimals, v);
}

void ins_json_hex(struct ins_json *j, const char *key, const uint8_t *p, size_t n)
{
	lead(j, key);
	fputc('"', j->f);
	for (size_t i = 0; i < n; i++)
		fprintf(j->f, "%02x", p[i]);
	fputc('"', j->f);
}

void ins_json_cid(struct ins_json *j, const char *key, natt_cid_t cid)
{
	lead(j, key);
	fprintf(j->f, "\"%016" PRIx64 "\"", cid);
}
