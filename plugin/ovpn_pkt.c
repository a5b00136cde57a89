/*
 * ovpn_pkt.c: OpenVPN packet header facts for the bridge (ovpn_pkt.h).
 */
#include <string.h>

#include "ovpn_pkt.h"

bool natt_ovpn_client_hard_reset(const uint8_t *pkt, size_t len, uint8_t sid[NATT_OVPN_SID_LEN])
{
	unsigned op;

	if (len < 1 + NATT_OVPN_SID_LEN)
		return false;
	op = pkt[0] >> NATT_OVPN_OPCODE_SHIFT;
	if (op != NATT_OVPN_HARD_RESET_CLIENT_V1 && op != NATT_OVPN_HARD_RESET_CLIENT_V2 &&
	    op != NATT_OVPN_HARD_RESET_CLIENT_V3)
		return false;
	memcpy(sid, pkt + 1, NATT_OVPN_SID_LEN);
	return true;
}
