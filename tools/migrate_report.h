/*
 * migrate_report.h: what natt-migrate tells the operator beside the diff:
 * the systemd unit that will run the migrated pair and what it needs (a
 * drop-in or not), and the files a client bundle expects beside it.
 */
#ifndef NATT_MIGRATE_REPORT_H
#define NATT_MIGRATE_REPORT_H

#include <stdio.h>

#include "migrate_ovpn.h"
#include "migrate_plan.h"

/* Where the migration writes, and what the operator named. */
struct natt_mig_where {
	const char *ovpn;	/* the migrated configuration */
	const char *outdir;	/* its directory */
	const char *pconf;	/* the plugin configuration */
	const char *unit;	/* --systemd-unit, or NULL: found from ovpn's location */
	const char *dropin_dir; /* --systemd-dropin, or NULL */
};

/*
 * Reads the planned pair back (plan's texts, orig's includes), finds its
 * unit and prints to rep what the unit needs (migrate_unit.h); the drop-in
 * it needs goes into dropin.  Returns 0, or NATT_ERR_INVALID with err
 * saying why (the named unit cannot be read, --systemd-dropin without a
 * unit, the planned configuration does not read back).
 */
int natt_mig_report_unit(const struct natt_mig_where *w, const struct natt_mig_conf *orig,
			 const struct natt_mig_plan *plan, struct natt_mig_buf *dropin, FILE *rep,
			 char *err, size_t errlen);

/* Prints the relative file names of c, which the bundle expects beside it in dir. */
void natt_mig_report_bundle(const struct natt_mig_conf *c, const char *dir, FILE *rep);

#endif
