/*
 * leak.h: recognisable plaintext where only ciphertext may be (the
 * plaintext-leak check).  Each detector looks at the encrypted region of a
 * packet: the bytes between the clear header and the 16-byte tag.
 *
 *   ip-header   the region starts with an IPv4 header whose checksum is
 *               right and whose total length fits, or an IPv6 header whose
 *               payload length is the rest of the region and whose next
 *               header is UDP (with a matching UDP length), TCP or ICMPv6.
 *               Chance for random bytes: below 2^-32 per packet.
 *   clear-body  a sealed body (HANDSHAKE frames, PROBE, rendezvous message)
 *               decodes in clear with the wire decoders to its last byte.
 *   entropy     over the first INS_ENTROPY_WINDOW bytes (n, regions of at
 *               least INS_ENTROPY_MIN bytes), the byte entropy is below
 *               log2(n) - INS_ENTROPY_MARGIN bits.  Uniform random bytes
 *               measure 5.77 bits at n = 64 (standard deviation 0.08) and
 *               7.18 at n = 256 (0.05): the threshold (4.5 and 6.5) is more
 *               than 12 standard deviations below; English text measures
 *               4.0-4.6 and machine code 3.8-4.4 on average.
 *   openvpn     (per flow direction, analyze.c) two consecutive regions
 *               start with the same 4 bytes, the first a valid OpenVPN
 *               opcode byte: a raw OpenVPN packet's opcode and the start of
 *               its peer ID or session ID.  Chance for random bytes: 2^-33.6
 *               per pair of packets.
 */
#ifndef NATT_INSPECT_LEAK_H
#define NATT_INSPECT_LEAK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define INS_ENTROPY_MIN	   64
#define INS_ENTROPY_WINDOW 256
#define INS_ENTROPY_MARGIN 1.5
#define INS_LEAK_HEAD	   4 /* bytes compared by the openvpn detector */

enum ins_leak {
	INS_LEAK_NONE = 0,
	INS_LEAK_IP_HEADER,
	INS_LEAK_CLEAR_BODY,
	INS_LEAK_ENTROPY,
	INS_LEAK_OPENVPN,
};

/* "ip-header", "clear-body", "entropy", "openvpn", "none". */
const char *ins_leak_name(int leak);

/* Byte entropy (bits per byte) of the first min(len, INS_ENTROPY_WINDOW)
 * bytes of p; 0 for len 0. */
double ins_entropy(const uint8_t *p, size_t len);

/* The threshold for a window of n bytes. */
double ins_entropy_threshold(size_t n);

/*
 * Runs the per-packet detectors on the encrypted region of a packet of
 * NATT type `type`.  *entropy gets the measured entropy when the entropy
 * detector fired (-1 otherwise).  Returns an enum ins_leak.
 */
int ins_leak_scan(uint8_t type, const uint8_t *region, size_t len, double *entropy);

/* The openvpn detector: prev and cur are the first INS_LEAK_HEAD bytes of
 * two consecutive regions of one direction. */
bool ins_leak_openvpn_pair(const uint8_t prev[INS_LEAK_HEAD], const uint8_t cur[INS_LEAK_HEAD]);

#endif
