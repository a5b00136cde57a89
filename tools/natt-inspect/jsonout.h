/*
 * jsonout.h: natt-inspect --json: one JSON document per run, its field
 * names documented in natt-inspect(1) and stable ("format":
 * "natt-inspect/1"; a change that removes or renames a field bumps it).
 * With -v the packets are streamed into "packets" as they are analysed,
 * so the document begins with them; the summary follows.
 */
#ifndef NATT_INSPECT_JSONOUT_H
#define NATT_INSPECT_JSONOUT_H

#include "json.h"
#include "pipeline.h"
#include "run.h"

#define INS_JSON_FORMAT "natt-inspect/1"

/* Opens the document (and its "packets" array with -v). */
void ins_jsonout_begin(struct ins_json *j, const struct ins_run *run);

/* One packet object (with -v). */
void ins_jsonout_packet(struct ins_json *j, const struct ins_pkt *p);

/* The summary, checks and result; closes the document. */
void ins_jsonout_finish(struct ins_json *j, const struct ins_run *run,
			const struct ins_pipeline *pl);

#endif
