/* SPDX-License-Identifier: ISC */
/*
 * common.h - what every program shares in its run: the shared long
 * options' codes and limits, colour, and the reporting of rejected input
 * lines.  Nothing here exits; what the command line needs that does
 * (options, usage, --version, secrets) is cli.h, the programs' own.
 */
#ifndef EV_COMMON_H
#define EV_COMMON_H

#include <getopt.h>
#include <stdarg.h>
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
 * Tells whether output to fd gets colour and other escape sequences:
 * --color=always yes, never no; auto (the default) when fd is a terminal
 * that is not TERM=dumb and NO_COLOR is unset or empty.
 */
int common_color(const struct common *c, int fd);

/* Tells whether fd is a terminal that takes escape sequences. */
int term_escapes(int fd);

/* Sets up a reader on fd with the shared limits and rejects file. */
void common_reader(struct common *c, struct reader *r, int fd,
    const char *name);

/*
 * Reports a rejected input line as "prog: name:lineno: what" (unless
 * quiet), keeps its bytes in the rejects file and makes the exit status
 * 3.  l->p may be NULL for a line the reader already streamed there.
 * Returns 0, or -1 when the rejects file could not take the line
 * (errno): nothing may be lost, so the caller stops.
 */
int reject_line(struct common *c, const char *name, const struct line *l,
    const char *fmt, ...) __attribute__((format(printf, 4, 5)));
int vreject_line(struct common *c, const char *name, const struct line *l,
    const char *fmt, va_list ap) __attribute__((format(printf, 4, 0)));
/*
 * Rejects (as reject_line) a line the reader could not give whole: st is
 * RD_TOOLONG (over --max-size) or RD_NUL.  Returns 1 when it was one of
 * them, 0 for any other st, -1 when the rejects file failed.
 */
int unread_line(struct common *c, const char *name, const struct line *l,
    enum rd_status st);
#endif
