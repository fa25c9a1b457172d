/* SPDX-License-Identifier: ISC */
/*
 * cli.h - the programs' side of what they share: the shared options, the
 * usage error, --version, secrets from a file, and rejected lines that
 * end the program when the rejects file fails.  Only the programs (not
 * the library) include it: what is declared here may exit, with the
 * statuses the man pages give (1, 2, 0 for --help and --version).
 */
#ifndef EV_CLI_H
#define EV_CLI_H

#include <stdint.h>

#include "common.h"
#include "out.h"

/*
 * Handles ch if it is a shared option (-h is --help): returns 1, or 0 when
 * it is not one.  A bad value is a usage error: exit 2.  --help and
 * --version exit 0.
 */
int common_opt(struct common *c, int ch, const char *arg);

/* A bad option value: says "OPT: ARG: WHY" and ends a usage error. */
void badval(const char *opt, const char *arg, const char *why)
    __attribute__((noreturn));

/*
 * The values that the programs share, each checked here with one message
 * for one mistake, whichever program is given it: arg, when it is a topic
 * name (-T, --delete-topic); the time arg means, in microseconds (--since,
 * --until: time_parse's syntax).  A bad one ends a usage error, under
 * opt.  --bus and --creds are checked where they are used, in bus_open.
 */
const char *cli_topic(const char *opt, const char *arg);
int64_t cli_time(const char *opt, const char *arg);

/*
 * Ends a usage error, once the caller has said in one line what is wrong:
 * prints "try 'prog --help'" and exits 2.  A program's usage() calls it
 * for stderr, so that the synopsis is shown only when asked for.
 */
void tryhelp(void) __attribute__((noreturn));

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

/* Flushes stdout and exits 1 if what was printed did not get out. */
void stdout_done(void);

/* Prints "prog (eventful) VERSION" and exits 0. */
void version(void) __attribute__((noreturn));

/*
 * reject_line and unread_line, for a program: a rejects file that fails
 * ends it with status 1, naming the file.
 */
void reject(struct common *c, const char *name, const struct line *l,
    const char *fmt, ...) __attribute__((format(printf, 4, 5)));
int reject_unread(struct common *c, const char *name, const struct line *l,
    enum rd_status st);

/*
 * Closes o (out_close's result); when a call on it failed on the way (a
 * full disk, an I/O error; not the reader going away), says so, "prog:
 * NAME: write: why", and ends the program with status 1.
 */
int closeout(struct out *o);

/*
 * cli_bus.c, for the programs with -T:
 * Says a bus's failure r (bus.h), whole in err, and returns the exit
 * status it names: quietly 0 when the reader of the acknowledgements went
 * away (BUS_EPIPE).
 */
int busstatus(int r, const char *err);

/* The same, ending the run with that status. */
void busfail(int r, const char *err) __attribute__((noreturn));

/*
 * --bus and --creds, taken once for every program: opens the bus given
 * (--bus, else $EVENTFUL_BUS, else $NATS_URL, else the directory bus;
 * bus_url) with creds (--creds, else $NATS_CREDS for NATS).  A URL no bus
 * takes, or credentials the bus cannot use, end a usage error (2); a
 * directory bus without a home, status 1 (busfail).
 */
struct bus *cli_bus_open(const char *given, const char *creds);

/* A topic's publisher (a struct bus_pub) as an out_sink: a failure ends
 * the run (busfail). */
void pubsink(void *arg, const char *buf, size_t len);

#endif
