/*
 * netparse.c: link layer, IPv4/IPv6 and UDP headers of captured frames.
 * Every length is checked against both the captured length (what we may
 * read) and the wire length (what the header may claim).
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

#include "netparse.h"

/* Address families in DLT_NULL / DLT_LOOP headers (tcpdump.org/linktypes). */
#define BSD_AF_INET	     2
#define BSD_AF_INET6_LINUX   10
#define BSD_AF_INET6_NETBSD  24
#define BSD_AF_INET6_FREEBSD 28
#define BSD_AF_INET6_DARWIN  30

#define ETH_HDR_LEN  14
#define VLAN_TAG_LEN 4
#define ETH_MIN_TYPE 0x0600 /* below: an 802.3 length, not an ethertype */
#define SLL_HDR_LEN  16
#define SLL2_HDR_LEN 20
#define NULL_HDR_LEN 4

#define IPV4_MF		  0x2000
#define IPV4_OFF_MASK	  0x1FFF
#define IPV6_EXT_HOPOPTS  0
#define IPV6_EXT_ROUTING  43
#define IPV6_EXT_FRAGMENT 44
#define IPV6_EXT_AH	  51
#define IPV6_EXT_DSTOPTS  60
#define IPV6_FRAG_HDR_LEN 8

static uint16_t be16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

bool ins_link_supported(int dlt)
{
	switch (dlt) {
	case INS_DLT_NULL:
	case INS_DLT_EN10MB:
	case INS_DLT_RAW_BSD:
	case INS_DLT_RAW_OPENBSD:
	case INS_LINKTYPE_RAW:
	case INS_DLT_LOOP:
	case INS_DLT_LINUX_SLL:
	case INS_DLT_IPV4:
	case INS_DLT_IPV6:
	case INS_DLT_LINUX_SLL2: return true;
	}
	return false;
}

const char *ins_link_name(int dlt)
{
	switch (dlt) {
	case INS_DLT_NULL: return "NULL";
	case INS_DLT_EN10MB: return "EN10MB";
	case INS_DLT_RAW_BSD:
	case INS_DLT_RAW_OPENBSD:
	case INS_LINKTYPE_RAW: return "RAW";
	case INS_DLT_LOOP: return "LOOP";
	case INS_DLT_LINUX_SLL: return "LINUX_SLL";
	case INS_DLT_IPV4: return "IPV4";
	case INS_DLT_IPV6: return "IPV6";
	case INS_DLT_LINUX_SLL2: return "LINUX_SLL2";
	}
	return "unknown";
}

const char *ins_addr_str(const struct ins_addr *a, char *buf, size_t len)
{
	if (inet_ntop(a->family == 4 ? AF_INET : AF_INET6, a->a, buf, (socklen_t)len) == NULL)
		snprintf(buf, len, "?");
	return buf;
}

bool ins_addr_equal(const struct ins_addr *x, const struct ins_addr *y)
{
	return x->family == y->family && memcmp(x->a, y->a, sizeof(x->a)) == 0;
}

/* 0 when the caller must stop: a header of n bytes is not all captured. */
static int need(size_t caplen, size_t wire_len, size_t n)
{
	if (caplen >= n)
		return INS_P_OK;
	return wire_len >= n ? INS_P_CUT : INS_P_MALFORMED;
}

static int parse_ipv4(const uint8_t *p, size_t caplen, size_t wire_len, struct ins_ip *ip)
{
	size_t ihl;
	uint16_t frag;
	int rc = need(caplen, wire_len, INS_IPV4_MIN_HDR);

	if (rc != INS_P_OK)
		return rc;
	ihl = (size_t)(p[0] & 0x0f) * 4;
	if (ihl < INS_IPV4_MIN_HDR)
		return INS_P_MALFORMED;
	rc = need(caplen, wire_len, ihl);
	if (rc != INS_P_OK)
		return rc;
	ip->total_len = be16(p + 2);
	if (ip->total_len < ihl || ip->total_len > wire_len)
		return INS_P_MALFORMED;
	ip->src.family = ip->dst.family = 4;
	memcpy(ip->src.a, p + 12, 4);
	memcpy(ip->dst.a, p + 16, 4);
	ip->proto = p[9];
	ip->hdr_len = ihl;
	frag = be16(p + 6);
	ip->frag_more = (frag & IPV4_MF) != 0;
	ip->frag_off = (size_t)(frag & IPV4_OFF_MASK) * 8;
	ip->fragment = ip->frag_more || ip->frag_off != 0;
	ip->frag_id = be16(p + 4);
	return INS_P_OK;
}

static int ipv6_frag(const uint8_t *h, struct ins_ip *ip)
{
	uint16_t off = be16(h + 2);

	ip->frag_off = (size_t)(off & 0xfff8);
	ip->frag_more = (off & 1) != 0;
	ip->frag_id = be32(h + 4);
	ip->fragment = true;
	return h[0];
}

/* Walks the extension headers up to the upper layer or a fragment header. */
static int parse_ipv6_ext(const uint8_t *p, size_t caplen, size_t wire_len, struct ins_ip *ip)
{
	size_t off = INS_IPV6_HDR_LEN;
	uint8_t next = p[6];

	for (int n = 0; n < INS_MAX_EXT_HEADERS; n++) {
		size_t len;
		int rc;

		if (next != IPV6_EXT_HOPOPTS && next != IPV6_EXT_ROUTING &&
		    next != IPV6_EXT_DSTOPTS && next != IPV6_EXT_AH && next != IPV6_EXT_FRAGMENT) {
			ip->proto = next;
			ip->hdr_len = off;
			return INS_P_OK;
		}
		rc = need(caplen, wire_len, off + 2);
		if (rc != INS_P_OK)
			return rc;
		if (next == IPV6_EXT_FRAGMENT)
			len = IPV6_FRAG_HDR_LEN;
		else if (next == IPV6_EXT_AH)
			len = ((size_t)p[off + 1] + 2) * 4;
		else
			len = ((size_t)p[off + 1] + 1) * 8;
		rc = need(caplen, wire_len, off + len);
		if (rc != INS_P_OK)
			return rc;
		if (off + len > ip->total_len)
			return INS_P_MALFORMED;
		if (next == IPV6_EXT_FRAGMENT) {
			ip->proto = (uint8_t)ipv6_frag(p + off, ip);
			ip->hdr_len = off + len;
			return INS_P_OK;
		}
		next = p[off];
		off += len;
	}
	return INS_P_MALFORMED;
}

static int parse_ipv6(const uint8_t *p, size_t caplen, size_t wire_len, struct ins_ip *ip)
{
	int rc = need(caplen, wire_len, INS_IPV6_HDR_LEN);

	if (rc != INS_P_OK)
		return rc;
	ip->total_len = INS_IPV6_HDR_LEN + (size_t)be16(p + 4);
	/* A payload length of 0 is a jumbogram (RFC 2675): not carried here. */
	if (be16(p + 4) == 0 || ip->total_len > wire_len)
		return INS_P_MALFORMED;
	ip->src.family = ip->dst.family = 6;
	memcpy(ip->src.a, p + 8, 16);
	memcpy(ip->dst.a, p + 24, 16);
	return parse_ipv6_ext(p, caplen, wire_len, ip);
}

int ins_parse_ip(const uint8_t *p, size_t caplen, size_t wire_len, struct ins_ip *ip)
{
	int rc;

	memset(ip, 0, sizeof(*ip));
	if (caplen == 0)
		return wire_len > 0 ? INS_P_CUT : INS_P_MALFORMED;
	if (p[0] >> 4 == 4)
		rc = parse_ipv4(p, caplen, wire_len, ip);
	else if (p[0] >> 4 == 6)
		rc = parse_ipv6(p, caplen, wire_len, ip);
	else
		return INS_P_MALFORMED;
	if (rc != INS_P_OK)
		return rc;
	ip->payload = p + ip->hdr_len;
	ip->cut = caplen < ip->total_len;
	ip->payload_len = (ip->cut ? caplen : ip->total_len) - ip->hdr_len;
	return INS_P_OK;
}

/* The IP version an ethertype or BSD address family announces, or 0. */
static int ethertype_ip(uint16_t type)
{
	if (type == INS_ETH_IPV4)
		return 4;
	return type == INS_ETH_IPV6 ? 6 : 0;
}

static int bsd_af_ip(uint32_t af)
{
	if (af == BSD_AF_INET)
		return 4;
	if (af == BSD_AF_INET6_LINUX || af == BSD_AF_INET6_NETBSD || af == BSD_AF_INET6_FREEBSD ||
	    af == BSD_AF_INET6_DARWIN)
		return 6;
	return 0;
}

/* Ethernet with up to INS_MAX_VLAN_TAGS 802.1Q/802.1ad tags: offset of the
 * IP header in *off, or an error. */
static int skip_ethernet(const uint8_t *p, size_t caplen, size_t wire_len, size_t *off)
{
	size_t o = ETH_HDR_LEN - 2;
	uint16_t type;
	int rc;

	for (int tags = 0;; tags++) {
		rc = need(caplen, wire_len, o + 2);
		if (rc != INS_P_OK)
			return rc;
		type = be16(p + o);
		if (type != INS_ETH_VLAN && type != INS_ETH_QINQ && type != INS_ETH_QINQ_OLD)
			break;
		if (tags == INS_MAX_VLAN_TAGS)
			return INS_P_MALFORMED;
		o += VLAN_TAG_LEN;
	}
	if (type < ETH_MIN_TYPE || ethertype_ip(type) == 0)
		return INS_P_NOT_IP;
	*off = o + 2;
	return INS_P_OK;
}

static int skip_null(int dlt, const uint8_t *p, size_t caplen, size_t wire_len, size_t *off)
{
	uint32_t af;
	int rc = need(caplen, wire_len, NULL_HDR_LEN);

	if (rc != INS_P_OK)
		return rc;
	af = be32(p);
	/* DLT_NULL is in the capturing host's byte order: small values only. */
	if (dlt == INS_DLT_NULL && af > 0xffff)
		af = (uint32_t)p[3] << 24 | (uint32_t)p[2] << 16 | (uint32_t)p[1] << 8 | p[0];
	if (bsd_af_ip(af) == 0)
		return INS_P_NOT_IP;
	*off = NULL_HDR_LEN;
	return INS_P_OK;
}

static int skip_sll(int dlt, const uint8_t *p, size_t caplen, size_t wire_len, size_t *off)
{
	size_t hdr = dlt == INS_DLT_LINUX_SLL ? SLL_HDR_LEN : SLL2_HDR_LEN;
	size_t proto_off = dlt == INS_DLT_LINUX_SLL ? 14 : 0;
	int rc = need(caplen, wire_len, hdr);

	if (rc != INS_P_OK)
		return rc;
	if (ethertype_ip(be16(p + proto_off)) == 0)
		return INS_P_NOT_IP;
	*off = hdr;
	return INS_P_OK;
}

/* Offset of the IP header in a frame of link type dlt. */
static int link_offset(int dlt, const uint8_t *p, size_t caplen, size_t wire_len, size_t *off)
{
	switch (dlt) {
	case INS_DLT_EN10MB: return skip_ethernet(p, caplen, wire_len, off);
	case INS_DLT_NULL:
	case INS_DLT_LOOP: return skip_null(dlt, p, caplen, wire_len, off);
	case INS_DLT_LINUX_SLL:
	case INS_DLT_LINUX_SLL2: return skip_sll(dlt, p, caplen, wire_len, off);
	case INS_DLT_RAW_BSD:
	case INS_DLT_RAW_OPENBSD:
	case INS_LINKTYPE_RAW:
	case INS_DLT_IPV4:
	case INS_DLT_IPV6: *off = 0; return INS_P_OK;
	}
	return INS_P_NOT_IP;
}

int ins_parse_frame(int dlt, const uint8_t *p, size_t caplen, size_t wire_len, struct ins_ip *ip)
{
	size_t off = 0;
	int rc;

	memset(ip, 0, sizeof(*ip));
	if (caplen > wire_len)
		return INS_P_MALFORMED;
	rc = link_offset(dlt, p, caplen, wire_len, &off);
	if (rc != INS_P_OK)
		return rc;
	rc = ins_parse_ip(p + off, caplen - off, wire_len - off, ip);
	if (rc == INS_P_OK && ((dlt == INS_DLT_IPV4 && ip->src.family != 4) ||
			       (dlt == INS_DLT_IPV6 && ip->src.family != 6)))
		return INS_P_MALFORMED;
	return rc;
}

int ins_parse_udp(const struct ins_ip *ip, const uint8_t *l4, size_t l4_len, size_t l4_wire,
		  struct ins_udp *u)
{
	size_t ulen;

	memset(u, 0, sizeof(*u));
	if (l4_len < INS_UDP_HDR_LEN)
		return l4_wire >= INS_UDP_HDR_LEN ? INS_P_CUT : INS_P_MALFORMED;
	ulen = be16(l4 + 4);
	if (ulen < INS_UDP_HDR_LEN)
		return INS_P_MALFORMED;
	u->src = ip->src;
	u->dst = ip->dst;
	u->sport = be16(l4);
	u->dport = be16(l4 + 2);
	u->len_mismatch = ulen != l4_wire;
	/* The datagram is what both the UDP and the IP length cover. */
	u->wire_len = (ulen < l4_wire ? ulen : l4_wire) - INS_UDP_HDR_LEN;
	u->payload = l4 + INS_UDP_HDR_LEN;
	u->len = l4_len - INS_UDP_HDR_LEN;
	if (u->len > u->wire_len)
		u->len = u->wire_len;
	u->cut = u->len < u->wire_len;
	u->ip_len = ip->total_len;
	return INS_P_OK;
}
