/*
 * migrate_buf.c: natt-migrate's growing byte buffer and token quoting.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "natt.h"
#include "migrate_plan.h"

int natt_mig_buf_add(struct natt_mig_buf *b, const char *s, size_t n)
{
	if (b->len + n + 1 > b->cap) {
		size_t cap = b->cap ? b->cap : 1024;
		char *p;

		while (cap < b->len + n + 1)
			cap *= 2;
		p = realloc(b->p, cap);
		if (p == NULL)
			return NATT_ERR_NOMEM;
		b->p = p;
		b->cap = cap;
	}
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
	return 0;
}

int natt_mig_buf_printf(struct natt_mig_buf *b, const char *fmt, ...)
{
	char tmp[8192];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(tmp))
		return NATT_ERR_NOMEM;
	return natt_mig_buf_add(b, tmp, (size_t)n);
}

void natt_mig_buf_free(struct natt_mig_buf *b)
{
	free(b->p);
	memset(b, 0, sizeof(*b));
}

int natt_mig_buf_token(struct natt_mig_buf *b, const char *s)
{
	const char *q;
	int rc;

	if (s[0] != '\0' && strpbrk(s, " \t\"\\'#;") == NULL)
		return natt_mig_buf_add(b, s, strlen(s));
	rc = natt_mig_buf_add(b, "\"", 1);
	for (q = s; rc == 0 && *q != '\0'; q++) {
		if (*q == '"' || *q == '\\')
			rc = natt_mig_buf_add(b, "\\", 1);
		if (rc == 0)
			rc = natt_mig_buf_add(b, q, 1);
	}
	return rc == 0 ? natt_mig_buf_add(b, "\"", 1) : rc;
}

bool natt_mig_name_ok(const char *name)
{
	size_t n = strlen(name);

	return n >= 1 && n <= 63 &&
	       strspn(name, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._-") ==
		       n;
}
