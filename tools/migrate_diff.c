/*
 * migrate_diff.c: the unified diff natt-migrate --dry-run prints (a longest
 * common subsequence of lines; configuration files are small).
 */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "natt.h"
#include "migrate_write.h"

#define CONTEXT 3

struct lines {
	const char **s;
	size_t *n;
	size_t count;
};

static int split(const char *t, size_t len, struct lines *l)
{
	size_t pos = 0, cap = 16;

	l->count = 0;
	l->s = malloc(cap * sizeof(*l->s));
	l->n = malloc(cap * sizeof(*l->n));
	while (l->s != NULL && l->n != NULL && t != NULL && pos < len) {
		const char *nl = memchr(t + pos, '\n', len - pos);
		size_t n = nl ? (size_t)(nl - t - pos) + 1 : len - pos;

		if (l->count == cap) {
			cap *= 2;
			l->s = realloc(l->s, cap * sizeof(*l->s));
			l->n = realloc(l->n, cap * sizeof(*l->n));
			if (l->s == NULL || l->n == NULL)
				break;
		}
		l->s[l->count] = t + pos;
		l->n[l->count++] = n;
		pos += n;
	}
	return l->s != NULL && l->n != NULL ? 0 : NATT_ERR_NOMEM;
}

static bool same(const struct lines *a, size_t i, const struct lines *b, size_t j)
{
	return a->n[i] == b->n[j] && memcmp(a->s[i], b->s[j], a->n[i]) == 0;
}

static void put_line(FILE *out, char tag, const char *s, size_t n)
{
	fputc(tag, out);
	fwrite(s, 1, n, out);
	if (n == 0 || s[n - 1] != '\n')
		fputs("\n\\ No newline at end of file\n", out);
}

/* ops: 0 same, 1 delete (a), 2 insert (b); in order. */
static unsigned char *script(const struct lines *a, const struct lines *b, size_t *nops)
{
	size_t w = b->count + 1, i, j, k = 0;
	unsigned *t = calloc((a->count + 1) * w, sizeof(*t));
	unsigned char *ops = malloc(a->count + b->count + 1);

	if (t == NULL || ops == NULL) {
		free(t);
		free(ops);
		return NULL;
	}
	for (i = a->count; i-- > 0;)
		for (j = b->count; j-- > 0;)
			t[i * w + j] = same(a, i, b, j) ? t[(i + 1) * w + j + 1] + 1
				       : t[(i + 1) * w + j] > t[i * w + j + 1] ? t[(i + 1) * w + j]
									       : t[i * w + j + 1];
	for (i = 0, j = 0; i < a->count || j < b->count;) {
		if (i < a->count && j < b->count && same(a, i, b, j)) {
			ops[k++] = 0;
			i++;
			j++;
		} else if (j == b->count ||
			   (i < a->count && t[(i + 1) * w + j] >= t[i * w + j + 1])) {
			ops[k++] = 1;
			i++;
		} else {
			ops[k++] = 2;
			j++;
		}
	}
	free(t);
	*nops = k;
	return ops;
}

static void hunks(FILE *out, const struct lines *a, const struct lines *b, const unsigned char *ops,
		  size_t nops)
{
	size_t k = 0, ai = 0, bj = 0;

	while (k < nops) {
		size_t s, e, last, na = 0, nb = 0, x, i, j;

		while (k < nops && ops[k] == 0) {
			k++;
			ai++;
			bj++;
		}
		if (k == nops)
			return;
		s = k >= CONTEXT ? k - CONTEXT : 0;
		i = ai - (k - s);
		j = bj - (k - s);
		for (e = k, last = k; e < nops && e - last <= 2 * CONTEXT; e++)
			if (ops[e] != 0)
				last = e;
		e = last + CONTEXT + 1 < nops ? last + CONTEXT + 1 : nops;
		for (x = s; x < e; x++) {
			na += ops[x] != 2;
			nb += ops[x] != 1;
		}
		fprintf(out, "@@ -%zu,%zu +%zu,%zu @@\n", na ? i + 1 : i, na, nb ? j + 1 : j, nb);
		for (x = s; x < e; x++) {
			if (ops[x] == 0)
				put_line(out, ' ', a->s[i], a->n[i]);
			if (ops[x] != 2)
				i++;
			else
				put_line(out, '+', b->s[j], b->n[j]);
			if (ops[x] == 1)
				put_line(out, '-', a->s[i - 1], a->n[i - 1]);
			if (ops[x] != 1)
				j++;
		}
		ai = i;
		bj = j;
		k = e;
	}
}

int natt_mig_diff(FILE *out, const char *path, const char *a, size_t alen, const char *b,
		  size_t blen)
{
	struct lines la = {0}, lb = {0};
	unsigned char *ops = NULL;
	size_t nops = 0;
	int rc = split(a, a ? alen : 0, &la);

	if (rc == 0)
		rc = split(b, blen, &lb);
	if (rc == 0 && (ops = script(&la, &lb, &nops)) == NULL)
		rc = NATT_ERR_NOMEM;
	if (rc == 0 && (a == NULL || alen != blen || memcmp(a, b, blen) != 0)) {
		fprintf(out, "--- %s\n+++ %s\n", a ? path : "/dev/null", path);
		hunks(out, &la, &lb, ops, nops);
	}
	free(ops);
	free(la.s);
	free(la.n);
	free(lb.s);
	free(lb.n);
	return rc;
}
