/*
 * capture.h: where natt-inspect's frames come from: a pcap or pcapng file
 * (or stdin), or a live interface, all through libpcap.  This is the only
 * file of natt-inspect that does input; the rest is handed records.
 */
#ifndef NATT_INSPECT_CAPTURE_H
#define NATT_INSPECT_CAPTURE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "natt.h"

#define INS_CAPTURE_ERRLEN  512
#define INS_LIVE_SNAPLEN    65535 /* a whole IPv4/IPv6 packet */
#define INS_LIVE_TIMEOUT_MS 100	  /* how often a live read returns to check limits */

struct ins_record {
	natt_time_t ts;	     /* capture time, microseconds since the Unix epoch */
	const uint8_t *data; /* valid until the next ins_capture_next() */
	size_t caplen;	     /* bytes captured */
	size_t len;	     /* bytes on the wire */
};

enum ins_capture_rc {
	INS_CAP_RECORD = 1,   /* *r holds a frame */
	INS_CAP_END = 0,      /* end of file */
	INS_CAP_IDLE = 2,     /* live capture: nothing arrived within the read timeout */
	INS_CAP_ERROR = -1,   /* read error or truncated file: see the message */
	INS_CAP_STOPPED = -2, /* ins_capture_stop() was called */
};

struct ins_capture;

/*
 * Opens a capture file, "-" for stdin.  Returns NATT_OK, or NATT_ERR_IO
 * (missing, unreadable, not a pcap/pcapng file) with a message in err.
 */
int ins_capture_open_file(struct ins_capture **out, const char *path, char *err, size_t errlen);

/* The same over an open stream, which the capture then owns (the fuzz
 * target reads from fmemopen()).  Returns NATT_OK or NATT_ERR_IO. */
int ins_capture_open_stream(struct ins_capture **out, FILE *f, char *err, size_t errlen);

/* Opens iface for a live capture (needs CAP_NET_RAW).  Returns NATT_OK or
 * NATT_ERR_IO with a message. */
int ins_capture_open_live(struct ins_capture **out, const char *iface, char *err, size_t errlen);

/* Applies a BPF filter (tcpdump syntax).  Returns NATT_OK or
 * NATT_ERR_SYNTAX with libpcap's message in err. */
int ins_capture_filter(struct ins_capture *c, const char *bpf, char *err, size_t errlen);

/* The capture's link type (LINKTYPE_/DLT_ number, netparse.h). */
int ins_capture_linktype(const struct ins_capture *c);

/* The snapshot length the capture was taken with. */
int ins_capture_snaplen(const struct ins_capture *c);

/* Reads the next record.  Returns an enum ins_capture_rc; on
 * INS_CAP_ERROR err holds libpcap's reason ("truncated dump file; ..."). */
int ins_capture_next(struct ins_capture *c, struct ins_record *r, char *err, size_t errlen);

/* Makes a blocked or future ins_capture_next() return INS_CAP_STOPPED;
 * async-signal-safe (pcap_breakloop). */
void ins_capture_stop(struct ins_capture *c);

void ins_capture_close(struct ins_capture *c);

#endif
