/* cidtab.c: open-addressing table of connection IDs (cidtab.h). */
#include <stdlib.h>

#include "cidtab.h"

struct ins_cidtab {
	struct ins_cid *e; /* cid 0 = empty slot */
	size_t cap, used, max;
	uint64_t refused;
};

struct ins_cidtab *ins_cidtab_new(size_t max)
{
	struct ins_cidtab *t;
	size_t cap = 16;

	if (max == 0)
		return NULL;
	while (cap < 2 * max)
		cap *= 2;
	t = calloc(1, sizeof(*t));
	if (t == NULL || (t->e = calloc(cap, sizeof(*t->e))) == NULL) {
		free(t);
		return NULL;
	}
	t->cap = cap;
	t->max = max;
	return t;
}

void ins_cidtab_free(struct ins_cidtab *t)
{
	if (t == NULL)
		return;
	free(t->e);
	free(t);
}

struct ins_cid *ins_cidtab_get(struct ins_cidtab *t, natt_cid_t cid, bool create)
{
	uint64_t h = cid * UINT64_C(0x9e3779b97f4a7c15);
	size_t i = (size_t)(h >> 17) & (t->cap - 1);

	if (cid == 0)
		return NULL;
	for (;; i = (i + 1) & (t->cap - 1)) {
		struct ins_cid *e = &t->e[i];
		if (e->cid == cid)
			return e;
		if (e->cid != 0)
			continue;
		if (!create)
			return NULL;
		if (t->used == t->max) {
			t->refused++;
			return NULL;
		}
		e->cid = cid;
		t->used++;
		return e;
	}
}

uint64_t ins_cidtab_refused(const struct ins_cidtab *t)
{
	return t->refused;
}
