/*
 * keylog.h: the data-channel key log (doc/PROTOCOL.md 12), read by
 * natt-inspect --keylog to decrypt DATA packets for debugging.
 *
 *   # comment
 *   NATT_DATA_SECRET <receiver cid, 16 hex> <aes-256-gcm|chacha20-poly1305> <S_0, 64 hex>
 *
 * One line per direction of a session: a DATA packet carries its
 * receiver's connection ID, which selects the secret; the packet's epoch
 * byte says how far to step the key schedule of PROTOCOL.md 7 from S_0.
 * A packet can be opened whatever the capture saw before it (no replay
 * window: an inspector shows duplicates, it does not drop them).
 *
 * The key schedule and the AEAD are those of transport/datachan.c, redone
 * here on purpose: datachan's receiver holds only three epochs and a replay
 * window, which is right for a session and wrong for a capture that may
 * start at any epoch and repeat packets.
 */
#ifndef NATT_INSPECT_KEYLOG_H
#define NATT_INSPECT_KEYLOG_H

#include <stddef.h>
#include <stdint.h>

#include "natt.h"
#include "wire.h"

#define INS_KEYLOG_LABEL       "NATT_DATA_SECRET"
#define INS_KEYLOG_MAX_ENTRIES 4096 /* lines with a secret; more is refused */
#define INS_KEYLOG_MAX_FILE    (4u << 20)
#define INS_KEYLOG_MAX_STEP    256 /* epochs derived forward for one packet */

struct ins_keylog;

/*
 * Parses key log text; name is used in messages ("name:line: reason").
 * Returns NATT_OK, NATT_ERR_SYNTAX (with err), NATT_ERR_NOMEM,
 * NATT_ERR_CRYPTO (OpenSSL lacks HKDF or a cipher).
 */
int ins_keylog_parse(struct ins_keylog **out, const char *text, size_t len, const char *name,
		     char *err, size_t errlen);

/* Reads and parses path.  Returns NATT_OK, NATT_ERR_IO (with err), or an
 * error of ins_keylog_parse(). */
int ins_keylog_load(struct ins_keylog **out, const char *path, char *err, size_t errlen);

void ins_keylog_free(struct ins_keylog *k);

/* Number of secrets held. */
size_t ins_keylog_count(const struct ins_keylog *k);

/*
 * Opens the DATA packet pkt (len bytes; h its decoded header) into out
 * (cap bytes).  *epoch gets the full epoch number used.  Returns the
 * plaintext length (0: a keepalive), or NATT_ERR_WRONG_PURPOSE (no secret
 * for h->dcid), NATT_ERR_TRUNCATED (shorter than header and tag),
 * NATT_ERR_BUFFER, NATT_ERR_STALE (epoch too far ahead of the last one
 * used), NATT_ERR_AUTH (the tag does not verify), NATT_ERR_CRYPTO.
 */
int ins_keylog_open(struct ins_keylog *k, const struct natt_header *h, const uint8_t *pkt,
		    size_t len, uint8_t *out, size_t cap, uint64_t *epoch);

#endif
