/* natt.c: error strings and messages. */
#include <stdarg.h>
#include <stdio.h>

#include "natt.h"

void natt_errmsg(char *buf, size_t len, const char *fmt, ...)
{
	va_list ap;

	if (buf == NULL || len == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(buf, len, fmt, ap);
	va_end(ap);
}

const char *natt_strerror(int err)
{
	switch (err) {
	case NATT_OK: return "success";
	case NATT_ERR_TRUNCATED: return "truncated";
	case NATT_ERR_BAD_VERSION: return "unknown protocol version";
	case NATT_ERR_BAD_TYPE: return "unknown type";
	case NATT_ERR_BAD_LENGTH: return "inconsistent length";
	case NATT_ERR_BAD_FRAME: return "malformed frame";
	case NATT_ERR_BAD_ADDRESS: return "malformed address";
	case NATT_ERR_BAD_NAME: return "malformed peer name";
	case NATT_ERR_BAD_PADDING: return "non-zero padding";
	case NATT_ERR_BAD_VALUE: return "forbidden field value";
	case NATT_ERR_TOO_SMALL: return "below minimum size";
	case NATT_ERR_BUFFER: return "output buffer too small";
	case NATT_ERR_AUTH: return "authentication failed";
	case NATT_ERR_REPLAY: return "replayed";
	case NATT_ERR_TOO_OLD: return "behind the replay window";
	case NATT_ERR_STALE: return "timestamp outside accepted skew";
	case NATT_ERR_FULL: return "table full";
	case NATT_ERR_CRYPTO: return "crypto library failure";
	case NATT_ERR_WRONG_PURPOSE: return "key not available for this purpose";
	case NATT_ERR_EPOCH: return "key epoch not held";
	case NATT_ERR_WRONG_CID: return "addressed to another connection ID";
	case NATT_ERR_IO: return "I/O error";
	case NATT_ERR_SYNTAX: return "syntax error";
	case NATT_ERR_EXISTS: return "file exists";
	case NATT_ERR_INVALID: return "invalid argument";
	case NATT_ERR_NOMEM: return "out of memory";
	case NATT_ERR_CLOSED: return "connection closed";
	}
	return "unknown error";
}
