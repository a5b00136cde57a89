/*
 * migrate_report.c: the systemd part of natt-migrate's report (see
 * migrate_report.h and migrate_unit.h).
 */
#include <stdlib.h>
#include <string.h>

#include "natt.h"
#include "migrate_paths.h"
#include "migrate_report.h"
#include "migrate_unit.h"

/* The pair as it will be: the planned main file, the original includes. */
static struct natt_mig_conf *future(const struct natt_mig_where *w,
				    const struct natt_mig_conf *orig,
				    const struct natt_mig_plan *plan, char *err, size_t errlen)
{
	struct natt_mig_conf *c = calloc(1, sizeof(*c));
	size_t i;
	int rc;

	if (c == NULL) {
		natt_errmsg(err, errlen, "out of memory");
		return NULL;
	}
	c->n_files = 1;
	rc = natt_mig_parse(&c->files[0], w->ovpn, plan->ovpn.p, plan->ovpn.len, err, errlen);
	for (i = 1; rc == 0 && i < orig->n_files; i++) {
		const struct natt_mig_file *f = &orig->files[i];

		c->n_files = i + 1;
		rc = natt_mig_parse(&c->files[i], f->path, f->text, f->len, err, errlen);
	}
	snprintf(c->dir, sizeof(c->dir), "%s", w->outdir);
	if (rc == 0 && natt_mig_link(c) == 0)
		return c;
	if (rc == 0)
		natt_errmsg(err, errlen, "the migrated configuration does not read back");
	natt_mig_conf_free(c);
	free(c);
	return NULL;
}

static void advice(const struct natt_mig_where *w, const struct natt_mig_unit *u,
		   const struct natt_mig_buf *dropin, FILE *rep)
{
	if (dropin->len == 0 && w->dropin_dir != NULL)
		fprintf(rep, "systemd: --systemd-dropin %s: nothing to write\n", w->dropin_dir);
	if (dropin->len > 0) {
		fprintf(rep, "systemd: the drop-in %s needs:\n%s", u->name, dropin->p);
		if (w->dropin_dir == NULL)
			fprintf(rep,
				"systemd: write it with --systemd-dropin "
				"/etc/systemd/system/%s.d\n",
				u->name);
	}
	fprintf(rep, "systemd: then: %ssystemctl restart %s (systemctl enable %s at boot)\n",
		dropin->len > 0 ? "systemctl daemon-reload; " : "", u->name, u->name);
}

int natt_mig_report_unit(const struct natt_mig_where *w, const struct natt_mig_conf *orig,
			 const struct natt_mig_plan *plan, struct natt_mig_buf *dropin, FILE *rep,
			 char *err, size_t errlen)
{
	struct natt_mig_conf *c = future(w, orig, plan, err, errlen);
	struct natt_mig_unit *u = calloc(1, sizeof(*u));
	struct natt_mig_need nd = {0};
	int rc = NATT_ERR_INVALID, found;

	if (c == NULL)
		goto out;
	if (u == NULL ||
	    natt_mig_need_collect(&nd, c, w->pconf, plan->pconf.p, plan->pconf.len) != 0) {
		natt_errmsg(err, errlen, "out of memory");
		goto out;
	}
	found = natt_mig_unit_find(w->ovpn, w->unit, u, err, errlen);
	if (found == NATT_MIG_UNIT_NONE && w->dropin_dir != NULL) {
		natt_errmsg(err, errlen,
			    "--systemd-dropin: no systemd unit runs %s (name it with "
			    "--systemd-unit)",
			    w->ovpn);
	} else if (found == NATT_MIG_UNIT_NONE) {
		fprintf(rep,
			"systemd: no Debian OpenVPN unit runs %s (they read "
			"/etc/openvpn/server/NAME.conf, /etc/openvpn/client/NAME.conf, "
			"/etc/openvpn/NAME.conf): start OpenVPN in %s, where its relative names "
			"resolve\n",
			w->ovpn, w->outdir);
		rc = 0;
	} else if (found == 0) {
		natt_mig_unit_eval(u, &nd, true, rep, dropin);
		advice(w, u, dropin, rep);
		rc = 0;
	}
out:
	natt_mig_need_free(&nd);
	if (c != NULL)
		natt_mig_conf_free(c);
	free(c);
	free(u);
	return rc;
}

void natt_mig_report_bundle(const struct natt_mig_conf *c, const char *dir, FILE *rep)
{
	size_t fi, i;

	for (fi = 0; fi < c->n_files; fi++)
		for (i = 0; i < c->files[fi].n_lines; i++) {
			const struct natt_mig_line *l = &c->files[fi].lines[i];
			char name[NATT_MIG_TOKEN];
			int arg = 0;

			if (natt_mig_path_of(l, &arg, name, sizeof(name)) != NATT_MIG_P_NONE &&
			    name[0] != '/')
				fprintf(rep, "  %s:%zu: %s %s: relative: install it as %s/%s\n",
					c->files[fi].path, l->lineno, l->argv[0], name, dir, name);
		}
}
