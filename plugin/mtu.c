/*
 * mtu.c: overhead accounting (see mtu.h for the sums).
 */
#include <stdio.h>

#include "mtu.h"

static unsigned openvpn_overhead(bool compress)
{
	return NATT_MTU_OPENVPN_AEAD + (compress ? NATT_MTU_OPENVPN_COMP : 0);
}

void natt_mtu_limits(unsigned path_mtu, bool compress, struct natt_mtu_limits *out)
{
	unsigned room = path_mtu > NATT_MTU_OVERHEAD ? path_mtu - NATT_MTU_OVERHEAD : 0;
	unsigned ov = openvpn_overhead(compress);

	out->tun_mtu_max = room > ov ? room - ov : 0;
	out->mssfix_max = room + NATT_MTU_OPENVPN_LINKHDR;
}

unsigned natt_mtu_outer(unsigned tun_mtu, bool compress)
{
	return tun_mtu + openvpn_overhead(compress) + NATT_MTU_OVERHEAD;
}

int natt_mtu_check(unsigned path_mtu, const struct natt_mtu_openvpn *ov, char *msg, size_t cap)
{
	struct natt_mtu_limits lim;
	unsigned tun = ov->tun_mtu ? ov->tun_mtu : NATT_MTU_OPENVPN_TUN_DEF;

	natt_mtu_limits(path_mtu, ov->compress, &lim);
	if (tun <= lim.tun_mtu_max && ov->mssfix <= lim.mssfix_max)
		return 0;
	snprintf(msg, cap,
		 "tun-mtu %u%s, mssfix %u%s: a full packet is %u bytes on the wire, path-mtu is %u;"
		 " set 'tun-mtu %u' and 'mssfix %u' in the OpenVPN config (or raise path-mtu)",
		 tun, ov->tun_mtu ? "" : " (default)", ov->mssfix, ov->mssfix ? "" : " (not set)",
		 natt_mtu_outer(tun, ov->compress), path_mtu, lim.tun_mtu_max, lim.mssfix_max);
	return NATT_MTU_TOO_BIG;
}
