/*
 * mtu.h: the plugin's per-packet overhead, and the check that OpenVPN's
 * tun-mtu and mssfix leave room for it on the path.
 *
 * OpenVPN sizes its packets for the loopback socket it sees; the plugin then
 * wraps each of its datagrams in a DATA packet (doc/PROTOCOL.md section 7)
 * inside a fresh UDP/IP datagram.  Nothing is ever fragmented, so an outer
 * packet must fit the path MTU:
 *
 *   outer = 20 (IPv4) + 8 (UDP) + 18 (DATA header) + openvpn + 16 (tag)
 *   openvpn = tun packet + 24 (P_DATA_V2 opcode/peer-id 4, packet ID 4,
 *             AEAD tag 16) + 1 when compression framing is configured
 *
 * tun-mtu <= path_mtu - 62 - 24 (1414 on a 1500-byte path) keeps every
 * tunnelled packet whole; OpenVPN 2.6's mssfix counts its own IPv4+UDP
 * header (28) on top of the datagram, so mssfix <= path_mtu - 62 + 28.
 * The CBC ciphers (no AEAD) cost more per packet and are not accounted
 * for: the transport already encrypts and authenticates every packet.
 */
#ifndef NATT_PLUGIN_MTU_H
#define NATT_PLUGIN_MTU_H

#include <stdbool.h>
#include <stddef.h>

#define NATT_MTU_IPV4_HDR   20 /* RFC 791 section 3.1, no options */
#define NATT_MTU_IPV6_EXTRA 20 /* RFC 8200: a 40-byte header, 20 more than IPv4's */
#define NATT_MTU_UDP_HDR    8  /* RFC 768 */
#define NATT_MTU_DATA_HDR   18 /* doc/PROTOCOL.md section 7: type, epoch, dcid, counter */
#define NATT_MTU_DATA_TAG   16 /* AEAD tag, doc/PROTOCOL.md section 7 */
#define NATT_MTU_OVERHEAD                                                                          \
	(NATT_MTU_IPV4_HDR + NATT_MTU_UDP_HDR + NATT_MTU_DATA_HDR + NATT_MTU_DATA_TAG) /* 62 */
#define NATT_MTU_OPENVPN_AEAD	 24 /* OpenVPN 2.6 P_DATA_V2 with AES-GCM/ChaCha20-Poly1305 */
#define NATT_MTU_OPENVPN_COMP	 1  /* compression framing byte (compress, comp-lzo) */
#define NATT_MTU_OPENVPN_LINKHDR 28 /* IPv4 + UDP: what OpenVPN's mssfix counts itself */
#define NATT_MTU_DEFAULT_PATH	 1500
#define NATT_MTU_MIN_PATH	 576  /* RFC 791: every IPv4 host accepts this */
#define NATT_MTU_OPENVPN_TUN_DEF 1500 /* OpenVPN's tun-mtu when none is set */

/* What is known of OpenVPN's MTU settings; 0 = not set. */
struct natt_mtu_openvpn {
	unsigned tun_mtu; /* tun-mtu, 0: OpenVPN's default (1500) */
	unsigned mssfix;  /* mssfix, 0: not set (or "mssfix 0": no clamping) */
	bool compress;	  /* compress or comp-lzo present */
};

/* The limits for a path: the largest tun-mtu and mssfix that fit. */
struct natt_mtu_limits {
	unsigned tun_mtu_max;
	unsigned mssfix_max;
};

/* Limits for path_mtu bytes (compress: one framing byte more). */
void natt_mtu_limits(unsigned path_mtu, bool compress, struct natt_mtu_limits *out);

/* Size of the outer IPv4 packet carrying a full tun packet of tun_mtu bytes. */
unsigned natt_mtu_outer(unsigned tun_mtu, bool compress);

/*
 * Checks OpenVPN's settings against path_mtu.  On a problem, msg (cap
 * bytes) receives one line with the values found and the exact values to
 * set.  Returns 0 (fits) or NATT_MTU_TOO_BIG.
 */
#define NATT_MTU_TOO_BIG (-1)
int natt_mtu_check(unsigned path_mtu, const struct natt_mtu_openvpn *ov, char *msg, size_t cap);

#endif
