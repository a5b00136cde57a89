/*
 * format.h: names and short renderings shared by natt-inspect's text and
 * JSON output, so that both say the same thing the same way.
 */
#ifndef NATT_INSPECT_FORMAT_H
#define NATT_INSPECT_FORMAT_H

#include <stddef.h>

#include "dissect.h"

/* "host 192.0.2.10:1194", "srflx [2001:db8::10]:1194", "none". */
const char *ins_cand_str(const struct natt_cand *c, char *buf, size_t len);

/* "natt", "stun", "openvpn", "other" for an enum natt_class. */
const char *ins_class_name(int cls);

/* "new", "late", "duplicate", "reuse", "unchecked", or NULL for -1. */
const char *ins_seq_name(int verdict);

/* "OK", "TABLE_FULL"/"NOT_FOUND", "RATE_LIMITED" for a rendezvous answer. */
const char *ins_rdv_status_name(uint8_t type, uint8_t status);

/* "Binding request" and the like for a STUN message type. */
const char *ins_stun_type_name(uint16_t type);

#endif
