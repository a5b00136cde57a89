/*
 * status.h: the plugin's status file, which says what OpenVPN's own status
 * cannot: each loopback port OpenVPN sees, the real peer behind it, the
 * path type, RTT, loss and bytes.
 *
 * Format (CSV in the manner of OpenVPN's status-version 2; one record per
 * line, the first field names the record):
 *   TITLE,openvpn-plugin-natt,<role>,<name>
 *   TIME,<YYYY-mm-dd HH:MM:SS>,<unix seconds>
 *   HEADER,PEER,Name,Loopback,Real Address,Path,State,RTT ms,Loss %,
 *          Bytes In,Bytes Out,Packets In,Packets Out,Up Since (unix)
 *   PEER,...                 one per peer
 *   NODE,<text>              the transport's own summary lines
 *   END
 * The transport worker opens the file once, before it drops root
 * (natt_status_open), and rewrites it in place through that descriptor:
 * replacing it by renaming a temporary file needs write access to its
 * directory, which the user the worker drops to usually lacks (and
 * should: /run/openvpn, /var/log/openvpn belong to root).  Rewriting in
 * place is what OpenVPN does with its own status file.  The file is
 * truncated, then written from its start: a reader sees a prefix of the
 * new text, so a read that does not end with the END record caught a
 * rewrite and should be repeated.  Without natt_status_open the file is
 * replaced atomically ("<path>.tmp", then rename).
 */
#ifndef NATT_PLUGIN_STATUS_H
#define NATT_PLUGIN_STATUS_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "wire.h"

/* One peer's line. */
struct natt_status_peer {
	const char *name;      /* peer name ("" unknown) */
	uint16_t loopback;     /* port OpenVPN sees (0: none yet) */
	const char *loop_ip;   /* loopback address, e.g. "127.0.0.1" */
	struct natt_cand real; /* the peer's address (kind NONE: unknown) */
	const char *path;      /* "lan", "direct", "none" */
	const char *state;     /* "up", "punching", ... */
	double rtt_ms;
	double loss; /* 0..1 */
	uint64_t bytes_in, bytes_out, packets_in, packets_out;
	time_t up_since; /* 0: not up */
};

/* An address as "a.b.c.d:port" or "[v6]:port", or "-" when none.  Returns buf. */
char *natt_status_cand(const struct natt_cand *c, char *buf, size_t cap);

/* Appends one PEER record (with '\n') at buf[*len]; returns NATT_OK or
 * NATT_ERR_BUFFER (nothing appended). */
int natt_status_peer_line(char *buf, size_t cap, size_t *len, const struct natt_status_peer *p);

/* Appends printf-style text at buf[*len]; NATT_OK or NATT_ERR_BUFFER. */
int natt_status_append(char *buf, size_t cap, size_t *len, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/* Appends TITLE, TIME and HEADER records. */
int natt_status_head(char *buf, size_t cap, size_t *len, const char *role, const char *name,
		     time_t now);

/*
 * Opens path (created with mode 0644; a symbolic link or anything but a
 * regular file is refused) for natt_status_write to rewrite in place from
 * now on.  One file per process.  Returns NATT_OK or NATT_ERR_IO (err
 * names the file and the reason).
 */
int natt_status_open(const char *path, char *err, size_t errlen);

/* Closes what natt_status_open opened (no-op when nothing is open). */
void natt_status_close(void);

/*
 * Replaces path's content with text (len bytes): in place when path is the
 * file natt_status_open opened, otherwise atomically.  Returns NATT_OK or
 * NATT_ERR_IO (err names the file and errno's text).
 */
int natt_status_write(const char *path, const char *text, size_t len, char *err, size_t errlen);

#endif
