/*
 * run.h: what main.c knows about a run, handed to the two outputs
 * (report.h for text, jsonout.h for --json).
 */
#ifndef NATT_INSPECT_RUN_H
#define NATT_INSPECT_RUN_H

#include <stdbool.h>
#include <stddef.h>

/* Exit statuses (natt-inspect(1)). */
enum ins_exit {
	INS_EXIT_PASS = 0,
	INS_EXIT_FAIL = 1,
	INS_EXIT_BAD_INPUT = 2,
};

struct ins_run {
	const char *source; /* file name, "stdin", or "live:IFACE" */
	int dlt;	    /* link type */
	int snaplen;
	int port; /* --port, 0 = heuristic */
	size_t mtu;
	bool network_key, keylog, strict, verbose;
	bool stopped;	   /* live capture interrupted or limit reached */
	const char *error; /* why the input is bad, or NULL */
	int exit_status;   /* enum ins_exit */
};

#endif
