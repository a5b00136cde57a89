/* format.c: shared renderings (format.h). */
#include <arpa/inet.h>
#include <stdio.h>

#include "format.h"
#include "seqtrack.h"

const char *ins_cand_str(const struct natt_cand *c, char *buf, size_t len)
{
	char a[INET6_ADDRSTRLEN];

	if (c->kind == NATT_CAND_NONE) {
		snprintf(buf, len, "none");
		return buf;
	}
	if (inet_ntop(c->family == 4 ? AF_INET : AF_INET6, c->addr, a, sizeof(a)) == NULL)
		snprintf(a, sizeof(a), "?");
	snprintf(buf, len, c->family == 4 ? "%s %s:%u" : "%s [%s]:%u", natt_cand_kind_name(c->kind),
		 a, c->port);
	return buf;
}

const char *ins_class_name(int cls)
{
	switch (cls) {
	case NATT_CLASS_LONG:
	case NATT_CLASS_SHORT: return "natt";
	case NATT_CLASS_STUN: return "stun";
	case NATT_CLASS_OPENVPN: return "openvpn";
	}
	return "other";
}

const char *ins_seq_name(int verdict)
{
	switch (verdict) {
	case INS_SEQ_NEW: return "new";
	case INS_SEQ_LATE: return "late";
	case INS_SEQ_DUP: return "duplicate";
	case INS_SEQ_REUSE: return "reuse";
	case INS_SEQ_UNCHECKED: return "unchecked";
	}
	return NULL;
}

const char *ins_rdv_status_name(uint8_t type, uint8_t status)
{
	switch (status) {
	case NATT_RDV_OK: return type == NATT_PT_RDV_LOOKUP_REPLY ? "FOUND" : "OK";
	case NATT_RDV_TABLE_FULL:
		return type == NATT_PT_RDV_LOOKUP_REPLY ? "NOT_FOUND" : "TABLE_FULL";
	case NATT_RDV_RATE_LIMITED: return "RATE_LIMITED";
	}
	return "unknown";
}

const char *ins_stun_type_name(uint16_t type)
{
	switch (type) {
	case NATT_STUN_BINDING_REQUEST: return "Binding request";
	case NATT_STUN_BINDING_INDICATION: return "Binding indication";
	case NATT_STUN_BINDING_SUCCESS: return "Binding success response";
	case NATT_STUN_BINDING_ERROR: return "Binding error response";
	}
	return "other";
}
