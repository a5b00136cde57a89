/*
 * conf.h: configuration text in OpenVPN's syntax, shared by natt-rendezvous,
 * the plugin and natt-migrate, so that a line means the same thing to each
 * of them and to OpenVPN itself.
 *
 * The rules are those of OpenVPN 2.6 (options.c: parse_line(),
 * read_config_file(), check_inline_file()):
 *   - one directive per line: a name and its arguments, separated by blanks;
 *   - a token that starts with '#' or ';' starts a comment that runs to the
 *     end of the line ("a#b" is one token, "a #b" is a and a comment);
 *   - "double quotes" make one argument of text with blanks; in them and in
 *     bare tokens a backslash escapes '\', '"' or a blank, and any other
 *     backslash is an error (as OpenVPN: "Bad backslash usage");
 *   - 'single quotes' take everything up to the next ' as it is;
 *   - a leading "--" on the directive name is dropped, so lines copied from
 *     a command line work;
 *   - a line that is exactly "<name>" starts an inline block, ended by a
 *     line starting (after blanks) with "</name>": the lines between are
 *     the directive name's one argument, as for <ca> or <tls-crypt>;
 *   - a UTF-8 byte order mark at the very start is skipped.
 * Where OpenVPN silently ignores arguments past its 16th, this module
 * refuses the line instead.
 *
 * Parsing works on a buffer (no I/O); natt_conf_load() reads a file for it.
 * Errors are one line, "name:line: reason", for the operator.
 */
#ifndef NATT_CONF_H
#define NATT_CONF_H

#include <stdbool.h>

#include "natt.h"

#define NATT_CONF_MAX_ARGS  16	 /* tokens in a line, name included (OpenVPN's MAX_PARMS) */
#define NATT_CONF_MAX_TOKEN 256	 /* bytes in one token (OpenVPN's OPTION_PARM_SIZE) */
#define NATT_CONF_MAX_LINE  4096 /* bytes in one line, newline excluded */
#define NATT_CONF_MAX_FILE  (1024 * 1024)

/* One directive. */
struct natt_conf_line {
	size_t lineno;			    /* 1-based line of the directive */
	int argc;			    /* >= 1: argv[0] is the directive's name */
	char *argv[NATT_CONF_MAX_ARGS + 1]; /* NUL-terminated, into buf; argv[argc] NULL */
	const char *inline_text;	    /* <name> block: its text (into the input), else NULL */
	size_t inline_len;
	char buf[NATT_CONF_MAX_ARGS * (NATT_CONF_MAX_TOKEN + 1)];
};

/* A position in a configuration text. */
struct natt_conf_reader {
	const char *text;
	size_t len;
	size_t pos;
	size_t lineno; /* lines consumed */
	const char *name;
};

/*
 * Splits one line (len bytes, no newline) into at most max tokens, written
 * NUL-terminated into buf (cap bytes); argv (max + 1 entries) points into
 * it and ends with NULL.  Returns the
 * number of tokens (0 for a blank or comment line) or NATT_ERR_SYNTAX with
 * the reason (without file:line) in err.
 */
int natt_conf_split(const char *line, size_t len, char **argv, int max, char *buf, size_t cap,
		    char *err, size_t errlen);

/* Starts reading text (len bytes); name is used in error messages. */
void natt_conf_reader_init(struct natt_conf_reader *r, const char *text, size_t len,
			   const char *name);

/*
 * Reads the next directive into line, skipping blank and comment lines.
 * Returns 1 (a directive), 0 (end of text), or NATT_ERR_SYNTAX with
 * "name:line: reason" in err.
 */
int natt_conf_next(struct natt_conf_reader *r, struct natt_conf_line *line, char *err,
		   size_t errlen);

/*
 * Reads a regular file of at most NATT_CONF_MAX_FILE bytes into a new
 * NUL-terminated buffer (free() it).  Returns NATT_OK, NATT_ERR_IO (err
 * names the path and the reason), NATT_ERR_NOMEM.
 */
int natt_conf_load(const char *path, char **text, size_t *len, char *err, size_t errlen);

/* ---- values ---- */

/*
 * A decimal integer in [min, max], nothing else (no sign, no blanks, no
 * suffix).  Returns NATT_OK or NATT_ERR_BAD_VALUE.
 */
int natt_conf_uint(const char *s, uint64_t min, uint64_t max, uint64_t *out);

/*
 * Splits "host:port", "[v6]:port", "[v6]", "v6" (two or more colons, no
 * brackets: no port) or "host" into host (cap bytes) and port; a missing
 * port is default_port.  Port 0 is returned as such (for a listener: any
 * free port; callers that need a real port refuse it).  Returns NATT_OK,
 * NATT_ERR_BAD_VALUE (empty host, unbalanced brackets, port not 0-65535),
 * NATT_ERR_BUFFER (host too long).
 */
int natt_conf_hostport(const char *s, uint16_t default_port, char *host, size_t cap,
		       uint16_t *port);

#endif
