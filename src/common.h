/* SPDX-License-Identifier: ISC */
/*
 * common.h - what every program shares on its command line and in its run:
 * the shared long options, the usage error, colour, secrets read from a
 * file, and the reporting of rejected input lines.
 */
#ifndef EV_COMMON_H
#define EV_COMMON_H

#include <getopt.h>
#include <stdio.h>

#include "rd.h"

#define DEFAULT_MAXSIZE (1024 * 1024)	/* 1 MiB */

/* getopt_long codes of the long options without a short form. */
enum {
	OPT_HELP = 256,
	OPT_COLOR,
	OPT_MAXSIZE,
	OPT_REJECTS,
	OPT_VERSION,
	OPT_FIRST_OWN		/* a program's own long options start here */
};

/* The long options every program takes, for its struct option table. */
#define COMMON_LONGOPTS \
	{ "help", no_argument, NULL, OPT_HELP }, \
	{ "max-size", required_argument, NULL, OPT_MAXSIZE }, \
	{ "quiet", no_argument, NULL, 'q' }, \
	{ "rejects", required_argument, NULL, OPT_REJECTS }, \
	{ "version", no_argument, NULL, OPT_VERSION }

/* --color, for the struct option table of a program that colours. */
#define COLOR_LONGOPT { "color", required_argument, NULL, OPT_COLOR }

/* --color's modes. */
enum { COLOR_AUTO, COLOR_ALWAYS, COLOR_NEVER };

struct common {
	size_t maxsize;		/* --max-size: the longest event, in bytes */
	const char *rejects;	/* --rejects: where rejected lines go */
	int rejfd;		/* its descriptor, or -1 */
	int quiet;		/* -q: no message per rejected line */
	int status;		/* the exit status so far */
	int color;		/* --color: COLOR_AUTO, _ALWAYS or _NEVER */
	void (*usage)(FILE *, int);	/* the program's usage() */
};

void common_init(struct common *c, void (*usage)(FILE *, int));

/*
 * Handles ch if it is a shared option (-h is --help): returns 1, or 0 when
 * it is not one.  A bad value is a usage error: exit 2.  --help and
 * --version exit 0.
 */
int common_opt(struct common *c, int ch, const char *arg);

/*
 * Ends a usage error, once the caller has said in one line what is wrong:
 * prints "try 'prog --help'" and exits 2.  A program's usage() calls it
 * for stderr, so that the synopsis is shown only when asked for.
 */
void tryhelp(void) __attribute__((noreturn));

/*
 * Tells whether output to fd gets colour and other escape sequences:
 * --color=always yes, never no; auto (the default) when fd is a terminal
 * that is not TERM=dumb and NO_COLOR is unset or empty.
 */
int common_color(const struct common *c, int fd);

/* Tells whether fd is a terminal that takes escape sequences. */
int term_escapes(int fd);

/*
 * Reads secrets from a file, so that they need not be on the command line
 * where ps shows them: one a line (blank lines and lines starting with
 * '#' skipped), returned one a line without line ends.  A file others
 * may read gets a warning; one that can not be read, or one with no
 * secret, exits (1 and 2).  opt names the option in messages.  The string
 * lives until the program exits.
 */
const char *secret_file(const char *opt, const char *path);

/*
 * Secrets a, then b, one a line (a may be NULL): --secret given again
 * adds one.  The string lives until the program exits.
 */
const char *secret_join(const char *a, const char *b);

/* Opens the rejects file, if one was asked for (0600, appended to). */
void common_start(struct common *c);

/* Sets up a reader on fd with the shared limits and rejects file. */
void common_reader(struct common *c, struct reader *r, int fd,
    const char *name);

/*
 * Reports a rejected input line as "prog: name:lineno: what", keeps its
 * bytes in the rejects file (exit 1 if that fails: nothing may be lost) and
 * makes the exit status 3.  l->p may be NULL for a line the reader already
 * streamed there.
 */
void reject(struct common *c, const char *name, const struct line *l,
    const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/*
 * Rejects (as reject) a line the reader could not give whole: st is
 * RD_TOOLONG (over --max-size) or RD_NUL.  Returns 1 when it was one of
 * them, 0 for any other st.
 */
int reject_unread(struct common *c, const char *name, const struct line *l,
    enum rd_status st);

/* Flushes stdout and exits 1 if what was printed did not get out. */
void stdout_done(void);

/* Prints "prog (eventful) VERSION" and exits 0. */
void version(void) __attribute__((noreturn));

#endif
