/*
 * migrate_ovpn.h: an OpenVPN configuration file as natt-migrate sees it:
 * every physical line with its original bytes (so that untouched lines are
 * written back byte for byte) and, for directive lines, the tokens OpenVPN
 * would read (transport/conf.h's natt_conf_split(): the same quoting,
 * escapes and comments).  Inline blocks (<ca> ... </ca>) are recognised;
 * the lines of a <connection> block are directives of that block.
 * `config FILE` includes are read too and their directives are kept apart,
 * with their file name.  As in OpenVPN, a relative include is taken from the
 * working directory at that point of the reading: the main file's directory
 * (where natt-migrate assumes OpenVPN starts, as Debian's units do), changed
 * by every `cd` read before it.
 */
#ifndef NATT_MIGRATE_OVPN_H
#define NATT_MIGRATE_OVPN_H

#include <stdbool.h>
#include <stddef.h>

#define NATT_MIG_ARGS	   6   /* tokens kept per directive, name included */
#define NATT_MIG_TOKEN	   257 /* bytes per kept token, NUL included */
#define NATT_MIG_MAX_DEPTH 4   /* nested `config` includes */
#define NATT_MIG_PATH	   4096
/*
 * OpenVPN 2.6 reads a configuration line into 256 bytes and refuses a longer
 * one, comments included ("Maximum option line length (256) exceeded"): 254
 * bytes before the newline, a CR counted.  Inline block bodies are exempt.
 */
#define NATT_MIG_OVPN_LINE 254

enum natt_mig_kind {
	NATT_MIG_BLANK = 0,   /* blank or comment line */
	NATT_MIG_DIRECTIVE,   /* a directive (maybe inside <connection>) */
	NATT_MIG_BLOCK_START, /* "<name>" */
	NATT_MIG_BLOCK_BODY,  /* a line inside an inline block other than <connection> */
	NATT_MIG_BLOCK_END,   /* "</name>" */
};

/* One physical line. */
struct natt_mig_line {
	size_t off;    /* its first byte in natt_mig_file.text */
	size_t len;    /* its bytes, newline included when present */
	size_t lineno; /* 1-based */
	enum natt_mig_kind kind;
	bool in_connection; /* inside a <connection> block */
	int argc;	    /* tokens (directive: >= 1), at most NATT_MIG_ARGS kept */
	char argv[NATT_MIG_ARGS][NATT_MIG_TOKEN]; /* argv[0]: name without "--"; or block name */
	size_t include; /* a `config` directive: its file's index in natt_mig_conf (0: none) */
};

/* One file: its bytes and its lines. */
struct natt_mig_file {
	char *path; /* as given (included files: as resolved) */
	char *text; /* NUL-terminated */
	size_t len;
	struct natt_mig_line *lines;
	size_t n_lines;
};

/* A configuration: the main file and the files it includes (depth first). */
struct natt_mig_conf {
	struct natt_mig_file files[1 + 8]; /* files[0]: the main file */
	size_t n_files;
	char dir[NATT_MIG_PATH]; /* where OpenVPN starts: the main file's directory */
	char cwd[NATT_MIG_PATH]; /* its working directory after every `cd`, in reading order */
};

/*
 * Parses text (len bytes, a copy is kept) named name into f.  Returns 0, or
 * NATT_ERR_SYNTAX with "name:line: reason" in err (a quoting error, an
 * unknown directive, an unbalanced or nested inline block, a line longer
 * than NATT_MIG_OVPN_LINE), or NATT_ERR_NOMEM.
 */
int natt_mig_parse(struct natt_mig_file *f, const char *name, const char *text, size_t len,
		   char *err, size_t errlen);

/*
 * Reads path and every file it includes with `config`, following `cd` as
 * OpenVPN does (c->dir, c->cwd).  Returns 0, NATT_ERR_IO (a file cannot be
 * read; an include is named by "file:line"), NATT_ERR_SYNTAX,
 * NATT_ERR_NOMEM; err says which and where.
 */
int natt_mig_load(struct natt_mig_conf *c, const char *path, char *err, size_t errlen);

/*
 * For a conf assembled in memory (files[1..] in the order natt_mig_load()
 * reads them, c->dir set): sets the `include` index of every `config` line
 * and c->cwd.  Returns 0 or NATT_ERR_SYNTAX when the files do not match.
 */
int natt_mig_link(struct natt_mig_conf *c);

/* dir joined with path (path itself when absolute) into out. */
void natt_mig_join(const char *dir, const char *path, char *out, size_t cap);

/* Frees what natt_mig_load() or natt_mig_parse() allocated. */
void natt_mig_conf_free(struct natt_mig_conf *c);
void natt_mig_file_free(struct natt_mig_file *f);

/* True if name is an OpenVPN 2.6 directive this tool knows. */
bool natt_mig_known(const char *name);

/* The directive's argument i (1-based) or "" when absent. */
const char *natt_mig_arg(const struct natt_mig_line *l, int i);

#endif
