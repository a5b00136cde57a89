/* leak.c: plaintext detectors (leak.h). */
#include <math.h>
#include <string.h>

#include "dissect.h"
#include "leak.h"

#define IPV4_MIN_HDR 20
#define IPV6_HDR     40
#define PROTO_TCP    6
#define PROTO_UDP    17
#define PROTO_ICMPV6 58
#define TCP_MIN_DOFF 5

const char *ins_leak_name(int leak)
{
	switch (leak) {
	case INS_LEAK_IP_HEADER: return "ip-header";
	case INS_LEAK_CLEAR_BODY: return "clear-body";
	case INS_LEAK_ENTROPY: return "entropy";
	case INS_LEAK_OPENVPN: return "openvpn";
	}
	return "none";
}

/*
 * Entropy in one pass: H = log2(n) - S / n with S = sum over byte values of
 * c * log2(c).  S grows by delta(c) = (c + 1) log2(c + 1) - c log2(c) each
 * time a count goes from c to c + 1; the deltas are kept as fixed-point
 * integers (2^-24 units, exact to 10^-7 bits per byte), so the sum is a
 * chain of integer adds.  Computed once.
 */
#define DELTA_SCALE 16777216.0 /* 2^24 */

static uint32_t delta[INS_ENTROPY_WINDOW + 1];
static bool delta_ready;

static void delta_init(void)
{
	for (unsigned c = 0; c <= INS_ENTROPY_WINDOW; c++) {
		double a = c > 1 ? c * log2(c) : 0, b = (c + 1) * log2(c + 1);
		delta[c] = (uint32_t)((b - a) * DELTA_SCALE + 0.5);
	}
	delta_ready = true;
}

/* S of p[0, len), len <= INS_ENTROPY_WINDOW, in 2^-24 units. */
static uint64_t clogc_sum(const uint8_t *p, size_t len)
{
	uint16_t count[256];
	uint64_t sum = 0;

	if (!delta_ready)
		delta_init();
	memset(count, 0, sizeof(count));
	for (size_t i = 0; i < len; i++)
		sum += delta[count[p[i]]++];
	return sum;
}

double ins_entropy(const uint8_t *p, size_t len)
{
	if (len == 0)
		return 0;
	if (len > INS_ENTROPY_WINDOW)
		len = INS_ENTROPY_WINDOW;
	return log2((double)len) - (double)clogc_sum(p, len) / DELTA_SCALE / (double)len;
}

double ins_entropy_threshold(size_t n)
{
	return log2((double)n) - INS_ENTROPY_MARGIN;
}

static uint16_t be16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static bool ipv4_header(const uint8_t *p, size_t len)
{
	size_t ihl, total;
	uint32_t sum = 0;

	if (len < IPV4_MIN_HDR)
		return false;
	ihl = (size_t)(p[0] & 0x0f) * 4;
	if (p[0] >> 4 != 4 || ihl < IPV4_MIN_HDR || len < ihl)
		return false;
	total = be16(p + 2);
	if (total < ihl || total > len)
		return false;
	for (size_t i = 0; i < ihl; i += 2)
		sum += be16(p + i);
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return sum == 0xffff;
}

static bool ipv6_header(const uint8_t *p, size_t len)
{
	size_t plen;
	const uint8_t *l4 = p + IPV6_HDR;

	if (len < IPV6_HDR + 8 || p[0] >> 4 != 6)
		return false;
	plen = be16(p + 4);
	if (plen + IPV6_HDR != len)
		return false;
	switch (p[6]) {
	case PROTO_UDP: return be16(l4 + 4) == plen;
	case PROTO_TCP: return plen >= 20 && l4[12] >> 4 >= TCP_MIN_DOFF;
	case PROTO_ICMPV6: return (l4[0] >= 1 && l4[0] <= 4) || (l4[0] >= 128 && l4[0] <= 137);
	}
	return false;
}

static bool frames_in_clear(const uint8_t *p, size_t len)
{
	static struct natt_frame f; /* large: not on the stack */
	size_t off = 0;

	while (off < len) {
		int rc = natt_frame_decode(&f, p + off, len - off);
		if (rc <= 0)
			return false;
		off += (size_t)rc;
	}
	return len > 0;
}

static bool clear_body(uint8_t type, const uint8_t *p, size_t len)
{
	struct natt_probe pr;
	static struct natt_rdv_msg m;

	switch (type) {
	case NATT_PT_DATA: return false;
	case NATT_PT_HANDSHAKE: return frames_in_clear(p, len);
	case NATT_PT_PROBE:
	case NATT_PT_PROBE_REPLY: return natt_probe_decode(&pr, type, p, len) == NATT_OK;
	}
	return natt_rdv_decode(&m, type, p, len) == NATT_OK;
}

int ins_leak_scan(uint8_t type, const uint8_t *region, size_t len, double *entropy)
{
	size_t n = len < INS_ENTROPY_WINDOW ? len : INS_ENTROPY_WINDOW;

	*entropy = -1;
	if (ipv4_header(region, len) || ipv6_header(region, len))
		return INS_LEAK_IP_HEADER;
	if (clear_body(type, region, len))
		return INS_LEAK_CLEAR_BODY;
	if (len < INS_ENTROPY_MIN)
		return INS_LEAK_NONE;
	/* H < log2(n) - margin  <=>  S / n > margin: no logarithm per packet */
	if ((double)clogc_sum(region, n) <= INS_ENTROPY_MARGIN * DELTA_SCALE * (double)n)
		return INS_LEAK_NONE;
	*entropy = ins_entropy(region, n);
	return INS_LEAK_ENTROPY;
}

bool ins_leak_openvpn_pair(const uint8_t prev[INS_LEAK_HEAD], const uint8_t cur[INS_LEAK_HEAD])
{
	unsigned op = cur[0] >> INS_OVPN_OPCODE_SHIFT;

	return op >= INS_OVPN_OPCODE_MIN && op <= INS_OVPN_OPCODE_MAX &&
	       memcmp(prev, cur, INS_LEAK_HEAD) == 0;
}
