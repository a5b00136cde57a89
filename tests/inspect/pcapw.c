/* pcapw.c: pcap/pcapng and outer-layer framing for the test captures. */
#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>

#include "pcapw.h"

#define PCAP_MAGIC 0xa1b2c3d4u
#define NG_SHB	   0x0a0d0d0au
#define NG_IDB	   0x00000001u
#define NG_EPB	   0x00000006u
#define NG_BOM	   0x1a2b3c4du
#define MAX_FRAME  70000
#define ETH_IPV4   0x0800
#define ETH_IPV6   0x86dd

static void die(const char *what)
{
	fprintf(stderr, "pcapw: %s\n", what);
	exit(1);
}

static void put(struct pw_file *w, const void *p, size_t n)
{
	if (fwrite(p, 1, n, w->f) != n)
		die("write failed");
}

static void put32(struct pw_file *w, uint32_t v)
{
	put(w, &v, 4); /* host order: readers detect it from the magic */
}

static void put16(struct pw_file *w, uint16_t v)
{
	put(w, &v, 2);
}

static void ng_header(struct pw_file *w)
{
	/* Section header: type, length, BOM, version 1.0, section length -1. */
	put32(w, NG_SHB);
	put32(w, 28);
	put32(w, NG_BOM);
	put16(w, 1);
	put16(w, 0);
	put32(w, 0xffffffffu);
	put32(w, 0xffffffffu);
	put32(w, 28);
	/* Interface description: link type, snaplen; default µs timestamps. */
	put32(w, NG_IDB);
	put32(w, 20);
	put16(w, (uint16_t)w->linktype);
	put16(w, 0);
	put32(w, w->snaplen);
	put32(w, 20);
}

void pw_open(struct pw_file *w, const char *path, int linktype, bool ng, uint32_t snaplen)
{
	memset(w, 0, sizeof(*w));
	w->f = fopen(path, "wb");
	if (w->f == NULL)
		die(path);
	w->linktype = linktype;
	w->ng = ng;
	w->snaplen = snaplen;
	w->ip_id = 0x1000;
	if (ng) {
		ng_header(w);
		return;
	}
	put32(w, PCAP_MAGIC);
	put16(w, 2);
	put16(w, 4);
	put32(w, 0);
	put32(w, 0);
	put32(w, snaplen);
	put32(w, (uint32_t)linktype);
}

void pw_close(struct pw_file *w)
{
	if (fclose(w->f) != 0)
		die("close failed");
}

void pw_record(struct pw_file *w, uint64_t ts_us, const uint8_t *frame, size_t caplen, size_t len)
{
	static const uint8_t zero[4];
	size_t pad = (4 - caplen % 4) % 4;

	if (!w->ng) {
		put32(w, (uint32_t)(ts_us / 1000000));
		put32(w, (uint32_t)(ts_us % 1000000));
		put32(w, (uint32_t)caplen);
		put32(w, (uint32_t)len);
		put(w, frame, caplen);
		return;
	}
	put32(w, NG_EPB);
	put32(w, (uint32_t)(32 + caplen + pad));
	put32(w, 0); /* interface 0 */
	put32(w, (uint32_t)(ts_us >> 32));
	put32(w, (uint32_t)ts_us);
	put32(w, (uint32_t)caplen);
	put32(w, (uint32_t)len);
	put(w, frame, caplen);
	put(w, zero, pad);
	put32(w, (uint32_t)(32 + caplen + pad));
}

struct pw_endpoint pw_ep(const char *addr, uint16_t port)
{
	struct pw_endpoint e;

	memset(&e, 0, sizeof(e));
	e.port = port;
	if (inet_pton(AF_INET, addr, e.a) == 1)
		e.family = 4;
	else if (inet_pton(AF_INET6, addr, e.a) == 1)
		e.family = 6;
	else
		die(addr);
	return e;
}

/* ---- outer layers ---- */

static void be16(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static uint32_t sum16(const uint8_t *p, size_t n, uint32_t sum)
{
	for (size_t i = 0; i + 1 < n; i += 2)
		sum += (uint32_t)(p[i] << 8 | p[i + 1]);
	if (n % 2)
		sum += (uint32_t)p[n - 1] << 8;
	return sum;
}

static uint16_t fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

/* UDP header and payload at out; returns its length. */
static size_t udp(uint8_t *out, const struct pw_endpoint *s, const struct pw_endpoint *d,
		  const uint8_t *payload, size_t len)
{
	size_t alen = s->family == 4 ? 4 : 16;
	uint32_t sum;
	uint16_t ck;

	be16(out, s->port);
	be16(out + 2, d->port);
	be16(out + 4, (uint32_t)(8 + len));
	be16(out + 6, 0);
	memcpy(out + 8, payload, len);
	sum = sum16(s->a, alen, 0);
	sum = sum16(d->a, alen, sum);
	sum += 17 + (uint32_t)(8 + len);
	ck = fold(sum16(out, 8 + len, sum));
	be16(out + 6, ck == 0 ? 0xffff : ck);
	return 8 + len;
}

static size_t ipv4(uint8_t *out, const struct pw_endpoint *s, const struct pw_endpoint *d,
		   uint16_t id, size_t off, bool more, size_t payload_len)
{
	memset(out, 0, 20);
	out[0] = 0x45;
	be16(out + 2, (uint32_t)(20 + payload_len));
	be16(out + 4, id);
	be16(out + 6, (uint32_t)((more ? 0x2000 : 0) | (off / 8)));
	out[8] = 64;
	out[9] = 17;
	memcpy(out + 12, s->a, 4);
	memcpy(out + 16, d->a, 4);
	be16(out + 10, fold(sum16(out, 20, 0)));
	return 20;
}

static size_t ipv6(uint8_t *out, const struct pw_endpoint *s, const struct pw_endpoint *d,
		   bool frag, uint32_t id, size_t off, bool more, size_t payload_len)
{
	memset(out, 0, 40);
	out[0] = 0x60;
	be16(out + 4, (uint32_t)(payload_len + (frag ? 8 : 0)));
	out[6] = frag ? 44 : 17;
	out[7] = 64;
	memcpy(out + 8, s->a, 16);
	memcpy(out + 24, d->a, 16);
	if (!frag)
		return 40;
	out[40] = 17;
	out[41] = 0;
	be16(out + 42, (uint32_t)(off | (more ? 1 : 0)));
	out[44] = (uint8_t)(id >> 24);
	out[45] = (uint8_t)(id >> 16);
	out[46] = (uint8_t)(id >> 8);
	out[47] = (uint8_t)id;
	return 48;
}

/* Link header for an IP packet of the given family; returns its length. */
static size_t link(struct pw_file *w, uint8_t *out, int family)
{
	static const uint8_t mac_a[6] = {0x02, 0, 0, 0, 0, 0x0a};
	static const uint8_t mac_b[6] = {0x02, 0, 0, 0, 0, 0x0b};
	uint16_t et = family == 4 ? ETH_IPV4 : ETH_IPV6;
	size_t n = 0;
	uint32_t af;

	switch (w->linktype) {
	case PW_EN10MB:
		memcpy(out, mac_b, 6);
		memcpy(out + 6, mac_a, 6);
		n = 12;
		if (w->vlan == PW_VLAN_QINQ) {
			be16(out + n, 0x88a8);
			be16(out + n + 2, 100);
			n += 4;
		}
		if (w->vlan != PW_VLAN_NONE) {
			be16(out + n, 0x8100);
			be16(out + n + 2, 42);
			n += 4;
		}
		be16(out + n, et);
		return n + 2;
	case PW_LINUX_SLL:
		memset(out, 0, 16);
		be16(out + 2, 1); /* ARPHRD_ETHER */
		be16(out + 4, 6);
		memcpy(out + 6, mac_a, 6);
		be16(out + 14, et);
		return 16;
	case PW_LINUX_SLL2:
		memset(out, 0, 20);
		be16(out, et);
		out[7] = 2;	  /* ifindex 2 */
		be16(out + 8, 1); /* ARPHRD_ETHER */
		out[11] = 6;
		memcpy(out + 12, mac_a, 6);
		return 20;
	case PW_NULL:
		af = family == 4 ? 2 : 30;
		memcpy(out, &af, 4); /* the capturing host's order */
		return 4;
	case PW_LOOP:
		af = family == 4 ? 2 : 24;
		out[0] = (uint8_t)(af >> 24);
		out[1] = (uint8_t)(af >> 16);
		out[2] = (uint8_t)(af >> 8);
		out[3] = (uint8_t)af;
		return 4;
	}
	return 0; /* raw IP */
}

static void emit(struct pw_file *w, uint64_t ts, const uint8_t *frame, size_t len)
{
	pw_record(w, ts, frame, len < w->snaplen ? len : w->snaplen, len);
}

void pw_udp(struct pw_file *w, uint64_t ts_us, const struct pw_endpoint *src,
	    const struct pw_endpoint *dst, const uint8_t *payload, size_t len)
{
	static uint8_t frame[MAX_FRAME], l4[MAX_FRAME];
	size_t n = link(w, frame, src->family), ul = udp(l4, src, dst, payload, len);

	if (src->family == 4)
		n += ipv4(frame + n, src, dst, w->ip_id++, 0, false, ul);
	else
		n += ipv6(frame + n, src, dst, false, 0, 0, false, ul);
	memcpy(frame + n, l4, ul);
	emit(w, ts_us, frame, n + ul);
}

void pw_udp_fragmented(struct pw_file *w, uint64_t ts_us, const struct pw_endpoint *src,
		       const struct pw_endpoint *dst, const uint8_t *payload, size_t len,
		       size_t frag_payload, const unsigned *order, unsigned *nfrag_out)
{
	static uint8_t frame[MAX_FRAME], l4[MAX_FRAME];
	size_t ul = udp(l4, src, dst, payload, len);
	unsigned nfrag = (unsigned)((ul + frag_payload - 1) / frag_payload);
	uint16_t id = w->ip_id++;

	for (unsigned k = 0; k < nfrag; k++) {
		unsigned i = order != NULL ? order[k] : k;
		size_t off = (size_t)i * frag_payload;
		size_t fl = ul - off < frag_payload ? ul - off : frag_payload;
		bool more = i + 1 < nfrag;
		size_t n = link(w, frame, src->family);

		if (src->family == 4)
			n += ipv4(frame + n, src, dst, id, off, more, fl);
		else
			n += ipv6(frame + n, src, dst, true, 0x5000u + id, off, more, fl);
		memcpy(frame + n, l4 + off, fl);
		emit(w, ts_us + k, frame, n + fl);
	}
	if (nfrag_out != NULL)
		*nfrag_out = nfrag;
}
