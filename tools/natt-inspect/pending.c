/* pending.c: fixed-size request table (pending.h). */
#include <string.h>

#include "pending.h"

void ins_pending_init(struct ins_pending *t)
{
	memset(t, 0, sizeof(*t));
}

static size_t slot_of(int kind, const uint8_t *id, size_t idlen)
{
	uint64_t h = UINT64_C(0xcbf29ce484222325) ^ (uint64_t)kind;

	for (size_t i = 0; i < idlen; i++)
		h = (h ^ id[i]) * UINT64_C(0x100000001b3);
	return (size_t)(h % INS_PENDING_SLOTS);
}

void ins_pending_put(struct ins_pending *t, int kind, const uint8_t *id, size_t idlen,
		     const struct ins_pending_req *req)
{
	size_t i;

	if (idlen == 0 || idlen > INS_PENDING_ID_MAX)
		return;
	i = slot_of(kind, id, idlen);
	t->slot[i].kind = (uint8_t)kind;
	t->slot[i].idlen = (uint8_t)idlen;
	memcpy(t->slot[i].id, id, idlen);
	t->slot[i].req = *req;
}

bool ins_pending_get(const struct ins_pending *t, int kind, const uint8_t *id, size_t idlen,
		     struct ins_pending_req *req)
{
	size_t i;

	if (idlen == 0 || idlen > INS_PENDING_ID_MAX)
		return false;
	i = slot_of(kind, id, idlen);
	if (t->slot[i].kind != kind || t->slot[i].idlen != idlen ||
	    memcmp(t->slot[i].id, id, idlen) != 0)
		return false;
	*req = t->slot[i].req;
	return true;
}
