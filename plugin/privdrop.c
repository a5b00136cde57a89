/*
 * privdrop.c: dropping root in the transport worker (privdrop.h).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <grp.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

#include "privdrop.h"

static int failed(char *err, size_t errlen, const char *step, const struct natt_runas *r)
{
	snprintf(err, errlen, "dropping root to %s: %s: %s", r->label, step, strerror(errno));
	return NATT_ERR_IO;
}

/* Every id is the target one, and root's cannot be taken back. */
static int verify(const struct natt_runas *r, char *err, size_t errlen)
{
	uid_t ru, eu, su;
	gid_t rg, eg, sg, groups[2];

	if (getresuid(&ru, &eu, &su) < 0 || getresgid(&rg, &eg, &sg) < 0 ||
	    getgroups(2, groups) != 1)
		return failed(err, errlen, "reading the ids back", r);
	if (ru != r->uid || eu != r->uid || su != r->uid || rg != r->gid || eg != r->gid ||
	    sg != r->gid || groups[0] != r->gid) {
		snprintf(err, errlen, "dropping root to %s: the ids did not all change", r->label);
		return NATT_ERR_IO;
	}
	if (r->uid != 0 && (setuid(0) == 0 || seteuid(0) == 0 || setegid(0) == 0)) {
		snprintf(err, errlen, "dropping root to %s: root could be regained", r->label);
		return NATT_ERR_IO;
	}
	return NATT_OK;
}

int natt_privdrop(const struct natt_runas *r, char *err, size_t errlen)
{
	if (!r->drop)
		return NATT_OK;
	if (setgroups(1, &r->gid) < 0)
		return failed(err, errlen, "setgroups", r);
	if (setresgid(r->gid, r->gid, r->gid) < 0)
		return failed(err, errlen, "setresgid", r);
	if (r->uid != 0 && setresuid(r->uid, r->uid, r->uid) < 0)
		return failed(err, errlen, "setresuid", r);
	if (verify(r, err, errlen) != NATT_OK)
		return NATT_ERR_IO;
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		return failed(err, errlen, "PR_SET_NO_NEW_PRIVS", r);
	if (r->uid != 0 && prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) < 0)
		return failed(err, errlen, "PR_SET_DUMPABLE", r);
	return NATT_OK;
}
