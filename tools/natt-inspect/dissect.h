/*
 * dissect.h: what one UDP datagram is, decoded through the transport's own
 * codecs only: wire.h for NATT headers and bodies, seal.h to open sealed
 * packets with the network key, stun.h for STUN, keylog.h for DATA.  No
 * field is parsed here by hand.
 *
 * Two steps, because deciding whether a datagram belongs to the transport
 * (flow.h) needs the header but opening it is only worth it when it does:
 * ins_dissect_header() classifies and decodes the clear header,
 * ins_dissect_body() opens and decodes what the keys given allow.
 */
#ifndef NATT_INSPECT_DISSECT_H
#define NATT_INSPECT_DISSECT_H

#include <stdbool.h>

#include "keylog.h"
#include "netparse.h"
#include "seal.h"
#include "stun.h"
#include "wire.h"

/* The most frames a HANDSHAKE body can hold: every byte a PING. */
#define INS_MAX_FRAMES (NATT_MAX_HANDSHAKE - NATT_HANDSHAKE_HDR_LEN - NATT_TAG_LEN)

/* "Not attempted" for the *_rc fields below (never a natt.h error). */
#define INS_RC_NONE 1

/* OpenVPN opcodes (openvpn/src/openvpn/ssl_pkt.h), for --keylog output. */
#define INS_OVPN_OPCODE_SHIFT 3
#define INS_OVPN_KEY_ID_MASK  0x07
#define INS_OVPN_OPCODE_MIN   1
#define INS_OVPN_OPCODE_MAX   11

struct ins_pkt {
	uint64_t num;	    /* frame number in the capture, from 1 */
	natt_time_t ts;	    /* capture time, microseconds since the Unix epoch */
	struct ins_udp udp; /* addresses, ports, payload, outer size */

	int cls;	      /* enum natt_class of the first byte */
	int hdr_rc;	      /* natt_header_decode(): NATT_OK or its error */
	struct natt_header h; /* valid when hdr_rc == NATT_OK */
	bool keepalive;	      /* DATA of exactly NATT_DC_OVERHEAD bytes */

	/* Sealed packets, with --network-key. */
	int open_rc; /* natt_seal_open(): body length or error; INS_RC_NONE */
	int body_rc; /* the body decoder's result; INS_RC_NONE */
	size_t body_len;
	size_t nframes;		   /* HANDSHAKE: frames decoded (before any error) */
	struct natt_frame *frames; /* INS_MAX_FRAMES, owned by the dissector */
	struct natt_probe probe;   /* PROBE, PROBE_REPLY */
	struct natt_rdv_msg rdv;   /* rendezvous messages */

	/* STUN (first byte 0-3). */
	int stun_rc; /* natt_stun_decode(); INS_RC_NONE */
	struct natt_stun_msg stun;

	/* DATA, with --keylog. */
	int dec_rc; /* ins_keylog_open(): plaintext length or error; INS_RC_NONE */
	uint64_t full_epoch;
	size_t inner_len;    /* OpenVPN datagram length (0: keepalive) */
	uint8_t inner_first; /* its first byte: opcode << 3 | key_id */

	/* Filled by analyze.c. */
	uint32_t flow;	 /* flow id, 0 when not tracked */
	uint8_t dir;	 /* 0: a->b, 1: b->a */
	int seq_verdict; /* enum ins_seq_verdict, or -1 */
	uint32_t failed; /* bit i: check i failed on this packet */
};

struct ins_dissector;

/* Either key may be NULL.  Returns NULL on allocation failure. */
struct ins_dissector *ins_dissector_new(struct natt_seal *seal, struct ins_keylog *keylog);
void ins_dissector_free(struct ins_dissector *d);

/* Resets p except num, ts and udp, then classifies and decodes the header. */
void ins_dissect_header(struct ins_dissector *d, struct ins_pkt *p);

/* Opens and decodes the body as far as the keys allow; STUN is decoded. */
void ins_dissect_body(struct ins_dissector *d, struct ins_pkt *p);

/* The seal purpose of a long-header type. */
enum natt_seal_purpose ins_seal_purpose(uint8_t type);

/* "P_DATA_V2" and the like for an OpenVPN opcode, or "unknown". */
const char *ins_ovpn_opcode_name(unsigned opcode);

#endif
