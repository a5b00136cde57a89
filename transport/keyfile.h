/*
 * keyfile.h: the network key file (doc/PROTOCOL.md section 3.4).
 *
 *   # comments and blank lines anywhere
 *   natt-network-key v1
 *   <64 hex digits>
 *
 * or, for a rendezvous that should hold only its own purpose key,
 * "natt-rendezvous-key v1".  Text, so it can be cat'ed and diffed.
 *
 * natt_keyfile_parse() works on a buffer (no I/O, unit-testable);
 * natt_keyfile_load() and natt_keyfile_generate() are the file-system
 * wrappers used by the plugin and the tools.
 */
#ifndef NATT_KEYFILE_H
#define NATT_KEYFILE_H

#include "natt.h"

enum natt_key_kind {
	NATT_KEY_NETWORK = 1,
	NATT_KEY_RENDEZVOUS = 2,
};

/*
 * Parses key file text.  name is used in messages ("name:line: ...").
 * On error, err receives one line naming name:line and the problem.
 * Returns NATT_OK, NATT_ERR_SYNTAX.
 */
int natt_keyfile_parse(const char *text, size_t len, const char *name, enum natt_key_kind *kind,
		       uint8_t key[NATT_KEY_LEN], char *err, size_t errlen);

/*
 * Reads and parses path.  If the file is readable by group or others, warn
 * receives a one-line warning (warn[0] is '\0' otherwise); the key is still
 * returned.  Returns NATT_OK, NATT_ERR_IO (with err naming the path and
 * errno's text), NATT_ERR_SYNTAX.
 */
int natt_keyfile_load(const char *path, enum natt_key_kind *kind, uint8_t key[NATT_KEY_LEN],
		      char *err, size_t errlen, char *warn, size_t warnlen);

/*
 * Formats a key file (header comment, kind line, hex) into buf, with a
 * terminating NUL.  Returns the length (without the NUL), NATT_ERR_BUFFER,
 * or NATT_ERR_INVALID (kind is neither of the two).
 */
int natt_keyfile_format(char *buf, size_t cap, enum natt_key_kind kind,
			const uint8_t key[NATT_KEY_LEN]);

/*
 * Writes key to a new file at path with mode 0600; refuses to overwrite an
 * existing file (NATT_ERR_EXISTS).  Returns NATT_OK, NATT_ERR_EXISTS,
 * NATT_ERR_IO, NATT_ERR_INVALID (bad kind).
 */
int natt_keyfile_write(const char *path, enum natt_key_kind kind, const uint8_t key[NATT_KEY_LEN],
		       char *err, size_t errlen);

/* Draws a fresh network key from OpenSSL's CSPRNG and writes it (as _write);
 * NATT_ERR_CRYPTO if the CSPRNG fails. */
int natt_keyfile_generate(const char *path, char *err, size_t errlen);

#endif
