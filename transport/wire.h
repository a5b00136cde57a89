/*
 * wire.h: encode and decode every packet of doc/PROTOCOL.md.  This is the
 * single source of truth of the framing: the transport, the rendezvous,
 * natt-inspect and the fuzz targets all go through it, and every wire field
 * is read and written only in wire.c, wire_body.c and wire_ctl.c (which share
 * the private wire_int.h).
 *
 * A packet is handled in three steps:
 *   1. natt_wire_classify() on the first byte (STUN, raw OpenVPN, ours);
 *   2. natt_header_decode(): the clear header, which is the AEAD's
 *      associated data, and the size limits of the type;
 *   3. after seal (or the data channel) has opened the payload in place, the
 *      body decoder of the family: frames (HANDSHAKE), natt_probe_decode,
 *      natt_rdv_decode; DATA bodies are OpenVPN's datagrams, opaque here.
 *
 * Decoders never read outside [p, p + len), never allocate, and reject every
 * malformed input with a distinct negative error (natt.h).  Pointers in
 * decoded structs (stream data, close reasons) point into the input buffer.
 * Encoders return the number of bytes written or a negative error and never
 * write past cap.
 */
#ifndef NATT_WIRE_H
#define NATT_WIRE_H

#include <stdbool.h>

#include "natt.h"

/* Packet types: the first byte (PROTOCOL.md 2.1). */
enum natt_pkt_type {
	NATT_PT_HANDSHAKE = 0xC1,
	NATT_PT_PROBE = 0xC2,
	NATT_PT_PROBE_REPLY = 0xC3,
	NATT_PT_UNKNOWN_CID = 0xC4,
	NATT_PT_RDV_REGISTER = 0xC8,
	NATT_PT_RDV_REGISTER_ACK = 0xC9,
	NATT_PT_RDV_LOOKUP = 0xCA,
	NATT_PT_RDV_LOOKUP_REPLY = 0xCB,
	NATT_PT_RDV_INTRODUCE = 0xCC,
	NATT_PT_DATA = 0xD0,
};

enum natt_class {
	NATT_CLASS_UNKNOWN = 0, /* not ours: drop */
	NATT_CLASS_STUN,	/* 0x00-0x03 */
	NATT_CLASS_OPENVPN,	/* 0x08-0x5F: raw OpenVPN, pass-through candidate */
	NATT_CLASS_LONG,	/* 0xC0-0xCF: sealed, versioned */
	NATT_CLASS_SHORT,	/* 0xD0-0xDF: session packets */
};

/* Classifies a datagram by its first byte; an empty datagram is UNKNOWN. */
enum natt_class natt_wire_classify(const uint8_t *pkt, size_t len);

/* Header lengths, which are also the AEAD associated-data lengths. */
#define NATT_HANDSHAKE_HDR_LEN	 42
#define NATT_PROBE_HDR_LEN	 34
#define NATT_RDV_HDR_LEN	 26
#define NATT_DATA_HDR_LEN	 18
#define NATT_UNKNOWN_CID_HDR_LEN 26 /* PROTOCOL.md 5.4 */

/* Size limits (PROTOCOL.md 10). */
#define NATT_MAX_HANDSHAKE	   1232
#define NATT_MAX_PROBE		   1232
#define NATT_MAX_RENDEZVOUS	   1232
#define NATT_MAX_CANDS		   8
#define NATT_MAX_NAME		   63
#define NATT_ACK_MAX_RANGES	   32
#define NATT_MAX_REASON		   100
#define NATT_PROBE_MIN_BODY	   37
#define NATT_PROBE_MAX_BODY	   (NATT_MAX_PROBE - NATT_PROBE_HDR_LEN - NATT_TAG_LEN)
#define NATT_RDV_LOOKUP_MIN_BODY   304
#define NATT_RDV_REGISTER_MIN_BODY 64
#define NATT_RDV_MAX_BODY	   (NATT_MAX_RENDEZVOUS - NATT_RDV_HDR_LEN - NATT_TAG_LEN)
#define NATT_STREAM_MAX_OFFSET	   (UINT64_C(1) << 62)
/* UNKNOWN_CID has an empty body: it is always exactly this long. */
#define NATT_UNKNOWN_CID_LEN (NATT_UNKNOWN_CID_HDR_LEN + NATT_TAG_LEN)

/*
 * The clear header of any NATT packet.  Which fields are meaningful depends
 * on type; the others are zero after decoding.
 */
struct natt_header {
	uint8_t type;				 /* enum natt_pkt_type */
	uint8_t version;			 /* long headers: NATT_VERSION */
	uint8_t epoch;				 /* DATA: key epoch mod 256 */
	natt_cid_t dcid;			 /* HANDSHAKE, PROBE, PROBE_REPLY, DATA;
						  * UNKNOWN_CID: the ID not found */
	natt_cid_t scid;			 /* HANDSHAKE, PROBE, PROBE_REPLY */
	uint64_t pn;				 /* HANDSHAKE: packet number */
	uint64_t counter;			 /* DATA: per-epoch counter, the implicit nonce */
	uint8_t network_id[NATT_NETWORK_ID_LEN]; /* rendezvous messages */
	uint8_t salt[NATT_SALT_LEN];		 /* long headers: last 16 header bytes */
	size_t len;				 /* decoded: header length (= associated data) */
	size_t payload_len;			 /* decoded: bytes after the header, tag included */
};

/* Header length for a packet type, or 0 for a type this version lacks. */
size_t natt_header_len(uint8_t type);

/*
 * Decodes and validates a header and the packet's total size for its type
 * (minimum body plus tag, maximum packet).  Returns NATT_OK,
 * NATT_ERR_TRUNCATED (shorter than the header), NATT_ERR_BAD_TYPE (not a
 * NATT type, or reserved), NATT_ERR_BAD_VERSION, NATT_ERR_BAD_VALUE (a CID
 * that must not be 0 is 0), NATT_ERR_TOO_SMALL (body below the type's
 * minimum), NATT_ERR_BAD_LENGTH (above the type's maximum).
 */
int natt_header_decode(struct natt_header *h, const uint8_t *pkt, size_t len);

/*
 * Encodes h's header (version is written as NATT_VERSION whatever
 * h->version says).  Returns the header length, or NATT_ERR_BUFFER,
 * NATT_ERR_BAD_TYPE, NATT_ERR_BAD_VALUE (a required CID is 0).
 */
int natt_header_encode(uint8_t *out, size_t cap, const struct natt_header *h);

/* ---- candidates and names (PROTOCOL.md 4) ---- */

enum natt_cand_kind {
	NATT_CAND_NONE = 0,
	NATT_CAND_HOST = 1,
	NATT_CAND_SRFLX = 2,
	NATT_CAND_RELAY = 3,
	NATT_CAND_PRFLX = 4,
};

#define NATT_CAND_LEN 20

struct natt_cand {
	uint8_t kind;	/* enum natt_cand_kind */
	uint8_t family; /* 4, 6, or 0 with kind NONE */
	uint16_t port;
	uint8_t addr[16]; /* IPv4: first 4 bytes, rest zero */
};

struct natt_cand_list {
	uint8_t count;
	struct natt_cand cand[NATT_MAX_CANDS];
};

struct natt_name {
	uint8_t len;		     /* 0 only where the field is optional */
	char str[NATT_MAX_NAME + 1]; /* NUL-terminated copy */
};

/* Returns NATT_OK or NATT_ERR_BAD_ADDRESS.  Needs len >= NATT_CAND_LEN
 * (NATT_ERR_TRUNCATED otherwise). */
int natt_cand_decode(struct natt_cand *c, const uint8_t *p, size_t len);
/* Returns NATT_CAND_LEN or NATT_ERR_BUFFER, NATT_ERR_BAD_ADDRESS. */
int natt_cand_encode(uint8_t *out, size_t cap, const struct natt_cand *c);
/* Whether c is a well-formed candidate or the "none" value (PROTOCOL.md 4.1). */
bool natt_cand_valid(const struct natt_cand *c);
/* Same kind, family, port and address. */
bool natt_cand_equal(const struct natt_cand *a, const struct natt_cand *b);

/* Text form of a candidate for logs: "a.b.c.d:port", "[v6]:port" or
 * "none"; returns buf.  NATT_CAND_STRLEN bytes always suffice. */
#define NATT_CAND_STRLEN 56
const char *natt_cand_format(const struct natt_cand *c, char *buf, size_t cap);

/* Checks a NUL-terminated name against PROTOCOL.md 4.2 (1-63 bytes of
 * [A-Za-z0-9._-]) and fills n.  Returns NATT_OK or NATT_ERR_BAD_NAME. */
int natt_name_set(struct natt_name *n, const char *s);

/* ---- HANDSHAKE frames (PROTOCOL.md 5.2) ---- */

enum natt_frame_type {
	NATT_FT_PADDING = 0x00,
	NATT_FT_PING = 0x01,
	NATT_FT_ACK = 0x02,
	NATT_FT_STREAM = 0x03,
	NATT_FT_MAX_DATA = 0x04,
	NATT_FT_CLOSE = 0x05,
};

enum natt_close_code {
	NATT_CLOSE_NO_ERROR = 0,
	NATT_CLOSE_INTERNAL = 1,
	NATT_CLOSE_PROTOCOL_VIOLATION = 2,
	NATT_CLOSE_TLS_FAILED = 3,
	NATT_CLOSE_RESOURCE_LIMIT = 4,
	NATT_CLOSE_SHUTDOWN = 5,
	NATT_CLOSE_IDLE_TIMEOUT = 6,
};

struct natt_ack_range {
	uint32_t gap;	 /* unacknowledged packets skipped, minus one */
	uint32_t length; /* acknowledged packets in this range, minus one */
};

struct natt_frame {
	uint8_t type; /* enum natt_frame_type */
	union {
		struct {
			size_t len; /* decoded: zero bytes folded into this frame */
		} padding;
		struct {
			uint64_t largest;
			uint32_t ack_delay_us;
			uint32_t first_range;
			uint8_t range_count;
			struct natt_ack_range range[NATT_ACK_MAX_RANGES];
		} ack;
		struct {
			bool fin;
			uint64_t offset;
			uint16_t len;
			const uint8_t *data;
		} stream;
		struct {
			uint64_t max;
		} max_data;
		struct {
			uint16_t code;
			uint8_t reason_len;
			const uint8_t *reason; /* not NUL-terminated */
		} close;
	};
};

/*
 * Decodes one frame at p.  Returns the bytes consumed (> 0), or
 * NATT_ERR_TRUNCATED, NATT_ERR_BAD_TYPE, NATT_ERR_BAD_FRAME (an ACK range
 * below 0, more than NATT_ACK_MAX_RANGES, a STREAM past 2^62 or with
 * unknown flags, a close reason that is too long or not printable).
 * A run of PADDING bytes is decoded as one frame.
 */
int natt_frame_decode(struct natt_frame *f, const uint8_t *p, size_t len);

/* Encodes one frame (PADDING writes padding.len zero bytes).  Returns the
 * bytes written, or NATT_ERR_BUFFER, NATT_ERR_BAD_TYPE, NATT_ERR_BAD_FRAME. */
int natt_frame_encode(uint8_t *out, size_t cap, const struct natt_frame *f);

/* Encoded size of f (0 for a frame natt_frame_encode() would reject). */
size_t natt_frame_len(const struct natt_frame *f);

/* Whether receiving a frame of this type obliges the receiver to ACK. */
bool natt_frame_ack_eliciting(uint8_t type);

/*
 * The i-th acknowledged interval of a decoded or built ACK frame, as
 * absolute packet numbers [*lo, *hi]; i = 0 is the first range (containing
 * largest), up to range_count.  Returns NATT_OK, NATT_ERR_INVALID (i too
 * big) or NATT_ERR_BAD_FRAME (the range goes below 0).
 */
int natt_ack_interval(const struct natt_frame *f, unsigned i, uint64_t *lo, uint64_t *hi);

/* ---- PROBE and PROBE_REPLY bodies (PROTOCOL.md 5.3) ---- */

#define NATT_PROBE_ID_LEN   16
#define NATT_PROBE_NOMINATE 0x01

struct natt_probe {
	uint8_t probe_id[NATT_PROBE_ID_LEN];
	uint8_t flags;
	struct natt_cand seen; /* PROBE_REPLY: prflx; PROBE: none */
	size_t padding;	       /* decoded: padding bytes */
};

/* type is NATT_PT_PROBE or NATT_PT_PROBE_REPLY.  Returns NATT_OK, or
 * NATT_ERR_TOO_SMALL, NATT_ERR_BAD_LENGTH (above NATT_PROBE_MAX_BODY),
 * NATT_ERR_BAD_VALUE (unknown flags, seen not none in a PROBE or not prflx
 * in a PROBE_REPLY), NATT_ERR_BAD_ADDRESS, NATT_ERR_BAD_PADDING,
 * NATT_ERR_BAD_TYPE. */
int natt_probe_decode(struct natt_probe *pr, uint8_t type, const uint8_t *body, size_t len);

/* Encodes a body of exactly body_len bytes (NATT_PROBE_MIN_BODY to
 * NATT_PROBE_MAX_BODY; the rest is padding).  Returns body_len, or
 * NATT_ERR_BUFFER, NATT_ERR_INVALID (type or body_len), NATT_ERR_BAD_VALUE,
 * NATT_ERR_BAD_ADDRESS. */
int natt_probe_encode(uint8_t *out, size_t cap, uint8_t type, const struct natt_probe *pr,
		      size_t body_len);

/* ---- rendezvous bodies (PROTOCOL.md 6) ---- */

enum natt_rdv_status {
	NATT_RDV_OK = 0,	 /* REGISTER_ACK OK, LOOKUP_REPLY FOUND */
	NATT_RDV_TABLE_FULL = 1, /* REGISTER_ACK only */
	NATT_RDV_NOT_FOUND = 1,	 /* LOOKUP_REPLY only */
	NATT_RDV_RATE_LIMITED = 2,
};

struct natt_rdv_msg {
	uint8_t type; /* NATT_PT_RDV_* */
	uint64_t timestamp_ms;
	uint64_t txid;
	union {
		struct {
			uint64_t seq;
			uint16_t lifetime_s;
			struct natt_name name;
			struct natt_cand_list cands;
		} reg;
		struct {
			uint8_t status;
			uint16_t lifetime_s;
			struct natt_cand observed;
		} reg_ack;
		struct {
			natt_cid_t cid;
			struct natt_name target;
			struct natt_name name; /* optional */
			struct natt_cand_list cands;
		} lookup;
		struct {
			uint8_t status;
			struct natt_cand observed;
			struct natt_cand_list cands;
		} lookup_reply;
		struct {
			natt_cid_t cid;
			struct natt_name name; /* optional */
			struct natt_cand observed;
			struct natt_cand_list cands;
		} introduce;
	};
	size_t padding; /* decoded: padding bytes */
};

/* Smallest body a message of this type may have (its fixed fields, or the
 * padded minimum for REGISTER and LOOKUP). */
size_t natt_rdv_min_body(uint8_t type);

/*
 * Decodes a rendezvous body.  Returns NATT_OK, or NATT_ERR_TRUNCATED,
 * NATT_ERR_TOO_SMALL (REGISTER/LOOKUP below their padded minimum),
 * NATT_ERR_BAD_LENGTH (above NATT_RDV_MAX_BODY), NATT_ERR_BAD_TYPE,
 * NATT_ERR_BAD_NAME, NATT_ERR_BAD_ADDRESS (also a "none" candidate in a
 * list), NATT_ERR_BAD_VALUE (unknown status, count > NATT_MAX_CANDS, cid 0,
 * observed not srflx, candidates in a LOOKUP_REPLY that is not FOUND),
 * NATT_ERR_BAD_PADDING.
 */
int natt_rdv_decode(struct natt_rdv_msg *m, uint8_t type, const uint8_t *body, size_t len);

/*
 * Encodes m's body, padded with zeros to max(min_body, the type's minimum).
 * Returns the body length, or NATT_ERR_BUFFER, NATT_ERR_BAD_TYPE,
 * NATT_ERR_BAD_NAME, NATT_ERR_BAD_ADDRESS, NATT_ERR_BAD_VALUE,
 * NATT_ERR_INVALID (min_body above NATT_RDV_MAX_BODY).
 */
int natt_rdv_encode(uint8_t *out, size_t cap, const struct natt_rdv_msg *m, size_t min_body);

/* ---- control messages inside TLS (PROTOCOL.md 9) ---- */

enum natt_ctl_type {
	NATT_CTL_PARAMS = 0x01,
	NATT_CTL_PING = 0x02,
	NATT_CTL_CLOSE = 0x03,
};

enum natt_cipher {
	NATT_CIPHER_AES_256_GCM = 1,
	NATT_CIPHER_CHACHA20_POLY1305 = 2,
};

#define NATT_CTL_HDR_LEN 3
#define NATT_MAX_CIPHERS 8

/* Bits of natt_ctl_params.present. */
#define NATT_PARAM_CIPHERS	(1u << 0)
#define NATT_PARAM_KEEPALIVE	(1u << 1)
#define NATT_PARAM_IDLE_TIMEOUT (1u << 2)
#define NATT_PARAM_MAX_DATAGRAM (1u << 3)

/*
 * Largest KEEPALIVE parameter, in seconds (PROTOCOL.md 9.1: 1-24).  Linux
 * conntrack forgets an idle UDP flow after 30 s (nf_conntrack_udp_timeout);
 * staying below 25 s leaves at least 6 s for delay and timer slack.  Riding
 * out one lost keepalive needs an interval below 15 s (two intervals < 30 s).
 */
#define NATT_KEEPALIVE_MAX_S 24

struct natt_ctl_msg {
	uint8_t type; /* unknown types decode with only type and len set */
	uint16_t len; /* value length */
	union {
		struct {
			unsigned present; /* NATT_PARAM_* bits */
			uint8_t ncipher;
			uint8_t cipher[NATT_MAX_CIPHERS];
			uint16_t keepalive_s; /* 1 to NATT_KEEPALIVE_MAX_S */
			uint16_t idle_timeout_s;
			uint16_t max_datagram;
		} params;
		struct {
			uint16_t code;
			uint8_t reason_len;
			char reason[NATT_MAX_REASON + 1];
		} close;
	};
};

/*
 * Decodes one message from the start of a stream buffer.  Returns the bytes
 * consumed, NATT_ERR_TRUNCATED when the buffer does not yet hold the whole
 * message (wait for more stream data), or NATT_ERR_BAD_VALUE,
 * NATT_ERR_BAD_LENGTH for malformed contents of a known type.
 */
int natt_ctl_decode(struct natt_ctl_msg *m, const uint8_t *p, size_t len);

/* Encodes one message.  Returns the bytes written or NATT_ERR_BUFFER,
 * NATT_ERR_BAD_TYPE, NATT_ERR_BAD_VALUE. */
int natt_ctl_encode(uint8_t *out, size_t cap, const struct natt_ctl_msg *m);

/* ---- names for logs and the inspector ---- */

const char *natt_pkt_type_name(uint8_t type); /* "HANDSHAKE", ..., "unknown" */
const char *natt_frame_type_name(uint8_t type);
const char *natt_close_code_name(uint16_t code);
const char *natt_cand_kind_name(uint8_t kind);

#endif
