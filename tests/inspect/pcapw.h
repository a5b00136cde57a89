/*
 * pcapw.h: a capture writer for the natt-inspect test captures
 * (tests/inspect/gen_captures.c): pcap and pcapng files, and UDP datagrams
 * framed in every link type natt-inspect reads, over IPv4 or IPv6, whole or
 * fragmented.  Test code: it builds the outer layers (link, IP, UDP) only;
 * the NATT packets inside come from the transport's own encoders.
 */
#ifndef NATT_TESTS_PCAPW_H
#define NATT_TESTS_PCAPW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* Link types (tcpdump.org/linktypes.html), as written in the file. */
#define PW_NULL	      0
#define PW_EN10MB     1
#define PW_RAW	      101
#define PW_LOOP	      108
#define PW_LINUX_SLL  113
#define PW_IPV4	      228
#define PW_IPV6	      229
#define PW_LINUX_SLL2 276

/* Ethernet variants (PW_EN10MB only). */
enum pw_vlan { PW_VLAN_NONE = 0, PW_VLAN_8021Q, PW_VLAN_QINQ };

struct pw_endpoint {
	int family; /* 4 or 6 */
	uint8_t a[16];
	uint16_t port;
};

struct pw_file {
	FILE *f;
	int linktype;
	bool ng;	   /* pcapng */
	enum pw_vlan vlan; /* for PW_EN10MB */
	uint32_t snaplen;
	uint16_t ip_id; /* next IPv4 identification / IPv6 fragment id */
};

/* Opens path for writing; exits with a message on failure. */
void pw_open(struct pw_file *w, const char *path, int linktype, bool ng, uint32_t snaplen);
void pw_close(struct pw_file *w);

/* Writes one raw record (caplen bytes of frame, wire length len). */
void pw_record(struct pw_file *w, uint64_t ts_us, const uint8_t *frame, size_t caplen, size_t len);

/* Writes a UDP datagram as one frame (cut at the snaplen). */
void pw_udp(struct pw_file *w, uint64_t ts_us, const struct pw_endpoint *src,
	    const struct pw_endpoint *dst, const uint8_t *payload, size_t len);

/*
 * Writes a UDP datagram as IP fragments carrying at most frag_payload bytes
 * of IP payload each (a multiple of 8), in the order given by order[]
 * (indexes of fragments; NULL for in order; nfrag_out gets the count).
 */
void pw_udp_fragmented(struct pw_file *w, uint64_t ts_us, const struct pw_endpoint *src,
		       const struct pw_endpoint *dst, const uint8_t *payload, size_t len,
		       size_t frag_payload, const unsigned *order, unsigned *nfrag_out);

/* An endpoint from text ("192.0.2.1" or "2001:db8::1") and a port. */
struct pw_endpoint pw_ep(const char *addr, uint16_t port);

#endif
