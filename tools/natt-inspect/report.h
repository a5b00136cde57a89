/*
 * report.h: natt-inspect's text output: one line per packet with -v, and
 * the summary (input, flows, path changes, checks, result) at the end.
 */
#ifndef NATT_INSPECT_REPORT_H
#define NATT_INSPECT_REPORT_H

#include <stdio.h>

#include "pipeline.h"
#include "run.h"

/* One line for p; start is the capture's first timestamp (times are
 * printed relative to it, like tshark). */
void ins_report_packet(FILE *f, const struct ins_pkt *p, natt_time_t start);

/* The summary after the last packet. */
void ins_report_summary(FILE *f, const struct ins_run *run, const struct ins_pipeline *pl);

/* --list-checks: one line per check. */
void ins_report_list_checks(FILE *f);

#endif
