/* checks.c: the table of checks and their score (checks.h). */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "checks.h"

static const struct ins_check_def defs[INS_CK_COUNT] = {
	[INS_CK_FRAMING] = {"framing", INS_SEV_ERROR, INS_NEEDS_NOTHING,
			    "headers, frames and bodies decode per doc/PROTOCOL.md; "
			    "HANDSHAKE packet numbers never reused"},
	[INS_CK_LENGTHS] = {"lengths", INS_SEV_ERROR, INS_NEEDS_NOTHING,
			    "IP, UDP and NATT lengths agree; sizes within each type's limits"},
	[INS_CK_AUTH] = {"auth", INS_SEV_ERROR, INS_NEEDS_A_KEY,
			 "sealed packets open with --network-key; DATA packets open with "
			 "their --keylog secret"},
	[INS_CK_NONCE_REUSE] = {"nonce-reuse", INS_SEV_ERROR, INS_NEEDS_NOTHING,
				"no (cid, epoch, counter) nor seal salt carries two different "
				"ciphertexts (byte-exact repeats are duplicates)"},
	[INS_CK_ACK_UNSENT] = {"ack-unsent", INS_SEV_ERROR, INS_NEEDS_NETWORK_KEY,
			       "ACK frames never acknowledge a packet number above the "
			       "highest the peer sent"},
	[INS_CK_AMPLIFICATION] = {"amplification", INS_SEV_ERROR, INS_NEEDS_NOTHING,
				  "no answer to an unvalidated source exceeds the limit: "
				  "3x before validation, rendezvous and probe answers <= "
				  "request, STUN <= 3x"},
	[INS_CK_PLAINTEXT_LEAK] = {"plaintext-leak", INS_SEV_ERROR, INS_NEEDS_NOTHING,
				   "encrypted payloads show no IP header, raw OpenVPN "
				   "pattern, clear body or low entropy"},
	[INS_CK_UNKNOWN_VERSION] = {"unknown-version", INS_SEV_ERROR, INS_NEEDS_NOTHING,
				    "every long header carries version 1"},
	[INS_CK_UNKNOWN_TYPE] = {"unknown-type", INS_SEV_ERROR, INS_NEEDS_NOTHING,
				 "no reserved or unknown packet or frame type on a NATT flow"},
	[INS_CK_MTU] = {"mtu", INS_SEV_WARNING, INS_NEEDS_NOTHING,
			"no outer IP packet larger than the MTU (1500 or --mtu)"},
};

const struct ins_check_def *ins_check_def(int c)
{
	return &defs[c];
}

int ins_check_by_id(const char *id)
{
	for (int i = 0; i < INS_CK_COUNT; i++)
		if (strcmp(defs[i].id, id) == 0)
			return i;
	return -1;
}

void ins_checks_init(struct ins_checks *c, bool network_key, bool keylog)
{
	memset(c, 0, sizeof(*c));
	c->network_key = network_key;
	c->keylog = keylog;
}

void ins_checks_examined(struct ins_checks *c, int id)
{
	c->r[id].examined++;
}

void ins_checks_fail(struct ins_checks *c, int id, uint64_t pkt, const char *fmt, ...)
{
	struct ins_check_result *r = &c->r[id];
	va_list ap;

	if (r->failures++ > 0)
		return;
	r->first_packet = pkt;
	va_start(ap, fmt);
	vsnprintf(r->detail, sizeof(r->detail), fmt, ap);
	va_end(ap);
}

int ins_check_status(const struct ins_checks *c, int id, const char **reason)
{
	const struct ins_check_def *d = &defs[id];

	if (reason != NULL)
		*reason = NULL;
	if ((d->needs == INS_NEEDS_NETWORK_KEY && !c->network_key) ||
	    (d->needs == INS_NEEDS_A_KEY && !c->network_key && !c->keylog)) {
		if (reason != NULL)
			*reason = d->needs == INS_NEEDS_NETWORK_KEY
					  ? "needs --network-key"
					  : "needs --network-key or --keylog";
		return INS_ST_NOT_RUN;
	}
	if (c->r[id].failures == 0)
		return INS_ST_PASS;
	return d->severity == INS_SEV_WARNING ? INS_ST_WARN : INS_ST_FAIL;
}

const char *ins_status_name(int status)
{
	switch (status) {
	case INS_ST_PASS: return "pass";
	case INS_ST_FAIL: return "fail";
	case INS_ST_WARN: return "warn";
	}
	return "not-run";
}

bool ins_checks_failed(const struct ins_checks *c, bool strict)
{
	for (int i = 0; i < INS_CK_COUNT; i++) {
		int st = ins_check_status(c, i, NULL);
		if (st == INS_ST_FAIL || (strict && st == INS_ST_WARN))
			return true;
	}
	return false;
}
