/*
 * natt.h: what every module of libnatt shares: the clock type, error codes
 * and the protocol constants that more than one module needs.
 *
 * Time: natt_time_t is a monotonic instant in microseconds, supplied by the
 * caller (only transport/loop* reads a clock).  Wall-clock time, where the
 * protocol needs it (rendezvous timestamps), is passed separately as
 * milliseconds since the Unix epoch and named *_wall_ms.
 */
#ifndef NATT_NATT_H
#define NATT_NATT_H

#include <stddef.h>
#include <stdint.h>

typedef uint64_t natt_time_t;

#define NATT_USEC	((natt_time_t)1)
#define NATT_MSEC	((natt_time_t)1000)
#define NATT_SEC	((natt_time_t)1000000)
#define NATT_TIME_NEVER UINT64_MAX

/*
 * Errors are negative named constants.  Each function documents the subset
 * it can return.  natt_strerror() gives a short human-readable string.
 */
enum natt_error {
	NATT_OK = 0,
	/* decoding (wire) */
	NATT_ERR_TRUNCATED = -1,   /* input ends before a field does */
	NATT_ERR_BAD_VERSION = -2, /* long header with unknown version */
	NATT_ERR_BAD_TYPE = -3,	   /* unknown packet, frame or message type */
	NATT_ERR_BAD_LENGTH = -4,  /* a length field disagrees with the input */
	NATT_ERR_BAD_FRAME = -5,   /* a frame's fields are inconsistent */
	NATT_ERR_BAD_ADDRESS = -6, /* candidate/address field malformed */
	NATT_ERR_BAD_NAME = -7,	   /* peer name empty, too long or bad chars */
	NATT_ERR_BAD_PADDING = -8, /* padding bytes not all zero */
	NATT_ERR_BAD_VALUE = -9,   /* a field holds a value the spec forbids */
	NATT_ERR_TOO_SMALL = -10,  /* packet below the spec's minimum size */
	NATT_ERR_BUFFER = -11,	   /* output buffer too small (encoding) */
	/* protection (seal, datachan) */
	NATT_ERR_AUTH = -20,	      /* authentication tag did not verify */
	NATT_ERR_REPLAY = -21,	      /* already seen (duplicate) */
	NATT_ERR_TOO_OLD = -22,	      /* behind the replay window */
	NATT_ERR_STALE = -23,	      /* timestamp outside the accepted skew */
	NATT_ERR_FULL = -24,	      /* a bounded table is full */
	NATT_ERR_CRYPTO = -25,	      /* OpenSSL failed (not the peer's fault) */
	NATT_ERR_WRONG_PURPOSE = -26, /* key not available for this purpose */
	NATT_ERR_EPOCH = -27,	      /* data channel: key epoch not held */
	NATT_ERR_WRONG_CID = -28,     /* addressed to another connection ID */
	/* configuration and files */
	NATT_ERR_IO = -30,	/* file could not be read or written */
	NATT_ERR_SYNTAX = -31,	/* malformed file contents */
	NATT_ERR_EXISTS = -32,	/* refusing to overwrite */
	NATT_ERR_INVALID = -33, /* invalid argument from the caller */
	NATT_ERR_NOMEM = -34,	/* allocation failed */
	/* connections */
	NATT_ERR_CLOSED = -40, /* closing or closed: no more writes */
};

/* Short description of an error code; never NULL. */
const char *natt_strerror(int err);

/*
 * Formats a one-line message into buf (the err/errlen pair many functions
 * take); does nothing when buf is NULL or len is 0.
 */
void natt_errmsg(char *buf, size_t len, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/*
 * Randomness callback: fills buf with len bytes from a CSPRNG; core modules
 * never read randomness themselves.  Whoever drives a core passes one (with
 * its arg) for salts, IDs and jitter; tests pass a deterministic one.
 */
typedef void (*natt_random_fn)(void *arg, uint8_t *buf, size_t len);

/* Protocol version carried in every long header (doc/PROTOCOL.md 2.2). */
#define NATT_VERSION 1

/* Connection IDs are 64-bit, chosen at random by their owner; 0 means "not
 * known yet" and is never chosen. */
typedef uint64_t natt_cid_t;

#define NATT_KEY_LEN	    32 /* network key, rendezvous key */
#define NATT_SALT_LEN	    16 /* per-packet salt of sealed packets */
#define NATT_TAG_LEN	    16 /* AEAD tag, sealed and data packets */
#define NATT_NETWORK_ID_LEN 8

/* Largest datagram any part of the transport builds or accepts. */
#define NATT_MAX_DATAGRAM 65507

#endif
