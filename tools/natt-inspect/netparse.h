/*
 * netparse.h: from a captured frame to a UDP datagram: the link layer
 * (Ethernet with 802.1Q/802.1ad tags, Linux cooked v1 and v2, raw IP,
 * BSD null/loopback), IPv4 and IPv6 (extension headers, fragments) and UDP.
 *
 * Pure functions over the captured bytes: nothing is allocated, nothing
 * read outside [p, p + caplen).  Fragments are handed to reasm.h by the
 * caller; this file only recognises them.
 */
#ifndef NATT_INSPECT_NETPARSE_H
#define NATT_INSPECT_NETPARSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Link types, by their LINKTYPE_ / DLT_ numbers (tcpdump.org/linktypes). */
#define INS_DLT_NULL	    0  /* BSD loopback: 4-byte AF, capturing host's order */
#define INS_DLT_EN10MB	    1  /* Ethernet */
#define INS_DLT_RAW_BSD	    12 /* raw IP, as DLT_RAW on Linux and most BSDs */
#define INS_DLT_RAW_OPENBSD 14
#define INS_LINKTYPE_RAW    101 /* raw IP in a file (libpcap maps it to DLT_RAW) */
#define INS_DLT_LOOP	    108 /* OpenBSD loopback: 4-byte AF, network order */
#define INS_DLT_LINUX_SLL   113 /* Linux cooked v1, 16-byte header */
#define INS_DLT_IPV4	    228
#define INS_DLT_IPV6	    229
#define INS_DLT_LINUX_SLL2  276 /* Linux cooked v2, 20-byte header */

/* Ethertypes (IEEE 802 numbers). */
#define INS_ETH_IPV4	  0x0800
#define INS_ETH_IPV6	  0x86DD
#define INS_ETH_VLAN	  0x8100 /* 802.1Q C-tag */
#define INS_ETH_QINQ	  0x88A8 /* 802.1ad S-tag */
#define INS_ETH_QINQ_OLD  0x9100
#define INS_MAX_VLAN_TAGS 4 /* more tags than this: malformed */

#define INS_IPPROTO_UDP	    17
#define INS_UDP_HDR_LEN	    8
#define INS_IPV4_MIN_HDR    20
#define INS_IPV6_HDR_LEN    40
#define INS_MAX_EXT_HEADERS 8 /* IPv6 extension headers walked before giving up */

/* Whether a link type is one netparse understands. */
bool ins_link_supported(int dlt);
/* "EN10MB", "LINUX_SLL", ... or "unknown". */
const char *ins_link_name(int dlt);

struct ins_addr {
	uint8_t family; /* 4 or 6 */
	uint8_t a[16];	/* IPv4 in the first 4 bytes, the rest zero */
};

/* Formats "192.0.2.1" or "2001:db8::1" (no port) into buf (>= 46 bytes). */
const char *ins_addr_str(const struct ins_addr *a, char *buf, size_t len);
bool ins_addr_equal(const struct ins_addr *x, const struct ins_addr *y);

/* The IP layer of one captured frame. */
struct ins_ip {
	struct ins_addr src, dst;
	uint8_t proto;	  /* upper-layer protocol (after extension headers) */
	size_t hdr_len;	  /* IP header plus extension headers before the payload */
	size_t total_len; /* as the header says: the outer packet's size */
	const uint8_t *payload;
	size_t payload_len; /* captured bytes of the payload (may be cut) */
	bool cut;	    /* the capture holds fewer bytes than total_len */
	bool fragment;	    /* a fragment: offset or more-fragments set */
	uint32_t frag_id;   /* IPv4: the 16-bit identification; IPv6: 32-bit */
	size_t frag_off;    /* bytes */
	bool frag_more;
};

enum ins_parse {
	INS_P_OK = 0,	 /* an IP packet: see ins_ip */
	INS_P_NOT_IP,	 /* another protocol (ARP, LLDP...): ignored */
	INS_P_MALFORMED, /* link or IP header inconsistent with itself */
	INS_P_CUT,	 /* the capture ends inside a header (snaplen) */
};

/*
 * Finds the IP packet in a frame of link type dlt and parses its header.
 * wire_len is the frame's length on the wire (caplen may be less).
 * Returns an enum ins_parse.
 */
int ins_parse_frame(int dlt, const uint8_t *p, size_t caplen, size_t wire_len, struct ins_ip *ip);

/* Parses an IP packet starting at p (used on its own by the tests). */
int ins_parse_ip(const uint8_t *p, size_t caplen, size_t wire_len, struct ins_ip *ip);

/* A UDP datagram, possibly reassembled. */
struct ins_udp {
	struct ins_addr src, dst;
	uint16_t sport, dport;
	const uint8_t *payload;
	size_t len;	    /* captured payload bytes */
	size_t wire_len;    /* payload bytes on the wire (by the UDP length field) */
	size_t ip_len;	    /* the outer IP packet's size (reassembled: the whole) */
	bool cut;	    /* payload shorter than on the wire (snaplen) */
	bool len_mismatch;  /* UDP length field disagrees with the IP payload size */
	unsigned fragments; /* 0: not fragmented; else the number of fragments */
};

/*
 * Parses the UDP header at the start of an IP payload (l4, l4_len captured,
 * l4_wire bytes on the wire).  Returns INS_P_OK, INS_P_CUT (less than the
 * 8-byte header captured), INS_P_MALFORMED (length field below 8).
 */
int ins_parse_udp(const struct ins_ip *ip, const uint8_t *l4, size_t l4_len, size_t l4_wire,
		  struct ins_udp *u);

#endif
