/*
 * privdrop.h: the transport worker gives up root once its sockets are
 * bound, its keys loaded and its files open (doc/ARCHITECTURE.md 6.2): it
 * parses every byte from the network, so a bug there should not be root.
 *
 * The drop, in this order: supplementary groups set to the one group
 * (setgroups), then setresgid, then setresuid (real, effective and saved
 * ids all changed, so nothing is kept to switch back to); then a check
 * that root cannot be regained; PR_SET_NO_NEW_PRIVS; PR_SET_DUMPABLE 0
 * (other processes of the same user, OpenVPN after its own --user drop
 * for one, must not ptrace the worker or read its session keys through
 * /proc, and a core dump would hold them too).
 */
#ifndef NATT_PLUGIN_PRIVDROP_H
#define NATT_PLUGIN_PRIVDROP_H

#include <stddef.h>

#include "pconf.h"

/*
 * Becomes r->uid:r->gid (nothing when !r->drop).  With uid 0 (only a
 * group was set) only the groups change.  Returns NATT_OK or NATT_ERR_IO
 * (err: which step failed and why; the process must then not go on).
 */
int natt_privdrop(const struct natt_runas *r, char *err, size_t errlen);

#endif
