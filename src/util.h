/* SPDX-License-Identifier: ISC */
/*
 * util.h - the error helper, exit statuses and small checked helpers that
 * every eventful program shares.
 */
#ifndef EV_UTIL_H
#define EV_UTIL_H

#include <sys/types.h>

#include <stddef.h>
#include <stdio.h>

/* Exit statuses, the same in every program and every man page. */
enum {
	EXIT_OK = 0,		/* success */
	EXIT_FAIL = 1,		/* a runtime failure: I/O, delivery */
	EXIT_USAGE = 2,		/* bad usage */
	EXIT_INVALID = 3,	/* invalid input events were met */
	EXIT_EXPECT = 4,	/* an expectation failed */
	EXIT_IDLE = 5,		/* -w: nothing came for that long */
	EXIT_GONE = 6,		/* a webhook answered 410 Gone */
	EXIT_BUSY = 7,		/* another run holds what this one needs */
	EXIT_NOTOPIC = 8	/* evsub --consumer: no such topic */
};

#ifndef EV_VERSION	/* the Makefile's VERSION, its one place */
#error "EV_VERSION comes from the Makefile: build with make"
#endif

/*
 * Makes sure descriptors 0, 1 and 2 are open (on /dev/null when they were
 * closed), so that no file the program opens takes their place and gets
 * its input read, or its output written, by mistake.
 */
void stdfds(void);

/* Sets the name that prefixes every message: the basename of argv0. */
void setprogname(const char *argv0);
const char *getprogname(void);

/*
 * Prints "prog: where: what" on stderr, one line.  where may be NULL.
 * The e forms append ": strerror(errno)".  The x forms exit with status.
 */
void warnw(const char *where, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
void warnwe(const char *where, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
void errw(int status, const char *where, const char *fmt, ...)
    __attribute__((format(printf, 3, 4), noreturn));
void errwe(int status, const char *where, const char *fmt, ...)
    __attribute__((format(printf, 3, 4), noreturn));

/*
 * Writes src[0..len) into dst[0..n) as it may be shown in a message, and
 * returns the length written (dst is NUL-terminated): each control
 * character, DEL, C1 control and byte of invalid UTF-8 as \xNN, and after
 * max bytes of src, "...".  Every message goes through it (warnw and the
 * rest); shown() is for a value to be cut where it sits in a message.
 */
size_t msgesc(char *dst, size_t n, const char *src, size_t len, size_t max);

#define SHOWN_MAX 200	/* the most bytes of a value shown() shows */

/*
 * s[0..len) escaped as msgesc does and cut at SHOWN_MAX bytes, in one of a
 * few buffers of the calling thread used in turn: valid until the fourth
 * call after.
 */
const char *shown(const char *s, size_t len);

/*
 * Formats a reason into err[0..n) for a caller to report, and returns -1,
 * so that "return seterr(err, n, ...)" ends a failing function.
 */
int seterr(char *err, size_t n, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/*
 * The machine failed: memory ran out, or a call that cannot fail on a
 * working system did (getrandom).  Says "prog: where: what" (with
 * strerror(errno) when e) and ends the program with status 1.  These and
 * the x allocators below are the only exits library code takes.
 */
void machinefail(const char *where, int e, const char *what)
    __attribute__((noreturn));

/*
 * Formats into err[0..n) the message errw(status, where, ...) would print
 * after the program's name: "WHERE: " (when where is not NULL), the
 * reason, and ": strerror(errnum)" when errnum is not 0.  Returns -1.  A
 * library's failure, said whole, for its caller to print with
 * errw(status, NULL, "%s", err).
 */
int seterrw(char *err, size_t n, int errnum, const char *where,
    const char *fmt, ...) __attribute__((format(printf, 5, 6)));

/* Allocation that cannot fail: on failure the program exits 1. */
void *xmalloc(size_t n);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);

/*
 * Tells whether fd (stdin) holds input nobody has read: bytes past the
 * offset of a file, or bytes in a pipe or socket, waited for ms at most
 * (a writer started beside the reader may not have written yet).  A
 * terminal never does.
 */
int input_waiting(int fd, int ms);

/*
 * A private file replaced atomically, the one way every state file is
 * written (DESIGN 10, evlog(5)): buf[0..len) goes into a new temporary
 * file beside path (mkostemp: mode 0600, a name no one can guess, never
 * one planted there), made durable (fsync), renamed over path, and the
 * rename made durable (fsync of the directory).  A failure of any step,
 * the last included, is a failure: a caller that says "saved" has it on
 * disk.  ready, when not NULL, is called with the new file's descriptor
 * before anything is written (to set its mode, or to lock it so that the
 * lock goes with the name); it returns -1 with errno to give up.  With
 * keep, the descriptor stays open and is returned (its lock held); else
 * 0.  Returns -1 with errno and *step naming what failed (the temporary
 * file is removed).
 */
int replace_file(const char *path, const void *buf, size_t len,
    int (*ready)(int fd, const char *tmp, void *arg), void *arg, int keep,
    const char **step);

/* How many letters changed, dropped or added make a into b
 * (Levenshtein): what "did you mean" measures. */
size_t editdist(const char *a, const char *b);

/* Compares a and b as ls -v does: a run of digits as its number (s2
 * before s10), all else byte by byte; names that differ only in leading
 * zeros by their bytes.  <0, 0 or >0, as strcmp. */
int natcmp(const char *a, const char *b);

/* Where a reading starts, as --from takes it. */
struct startpos {
	unsigned long long seq;	/* this sequence (1: the first), or 0 */
	unsigned long long last;	/* else the last this many, or 0 */
	int end;		/* else after the last: only what comes */
};

/*
 * Parses --from's argument: a sequence ("120"), the last N ("-5", as
 * kcat's -o -5), or "end" (kcat's -o end: only what is appended after).
 * Same contract as parsenum.
 */
int parsestart(const char *s, struct startpos *p, const char **errstr);

/* The first sequence p names in a log whose last sequence is last. */
unsigned long long startseq(const struct startpos *p,
    unsigned long long last);

/*
 * Parses a decimal integer in [min, max], the whole string, like OpenBSD's
 * strtonum.  Returns 0 and sets *out, or -1 and points *errstr at a reason.
 */
int parsenum(const char *s, long long min, long long max, long long *out,
    const char **errstr);

/*
 * Parses a byte size: a number with an optional K, M or G suffix (powers of
 * 1024), within [min, max].  Same contract as parsenum.
 */
int parsesize(const char *s, long long min, long long max, long long *out,
    const char **errstr);

/*
 * Parses a duration in seconds, fractions allowed ("0.5"), within
 * (0, max] seconds, into microseconds.  Same contract as parsenum.
 */
int parsesecs(const char *s, double max, long long *usec,
    const char **errstr);

/*
 * Writes all of buf to fd, retrying short writes and EINTR.  Returns 0, or -1
 * with errno set.
 */
int writeall(int fd, const void *buf, size_t len);

/*
 * Opens a file the user named (an output, --rejects, --dead-letter) as
 * open(2) with O_CLOEXEC does, but follows a symbolic link only when the
 * link is the user's own or root's (as /dev/stderr is): one that someone
 * else planted where the file belongs, in a directory shared with them,
 * is refused with ELOOP rather than followed to a file of the user's,
 * as Linux's protected_symlinks does in sticky directories.  Exits 1
 * with a message naming path on failure.
 */
int openfile(const char *path, int flags, mode_t mode);

/*
 * Makes directory dir durable (fsync(2) of the directory itself), or the
 * directory that holds path ("." for a name without a slash): what a
 * name made or renamed in it needs before anything acknowledged depends
 * on it.  Returns 0, or -1 with errno.
 */
int fsyncdir(const char *dir);
int fsyncparent(const char *path);

/* Reads a whole file (or "-" for stdin) into a malloc'd buffer. */
char *readfile(const char *path, size_t max, size_t *lenp);

#endif
