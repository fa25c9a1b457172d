/* SPDX-License-Identifier: ISC */
/*
 * rd.h - the line reader every program reads events with.
 *
 * Lines end in "\n"; a "\r" before it is dropped; an unterminated last line
 * is still a line.  Lines that hold only spaces, tabs and "\r" are skipped.
 * A line longer than the maximum event size is never held in memory: it is
 * skipped as it streams past (into the rejects file, when there is one) and
 * reported as too long.  A line holding a NUL byte is reported as such.
 */
#ifndef EV_RD_H
#define EV_RD_H

#include <stddef.h>
#include <stdint.h>

enum rd_status {
	RD_EOF = 0,	/* no more lines */
	RD_LINE,	/* a line, in l */
	RD_TOOLONG,	/* a line over the maximum was skipped */
	RD_NUL,		/* a line holding a NUL byte, in l */
	RD_ERROR,	/* read(2) failed, or the write of a skipped line
			   to the rejects file: errno, and the reader's
			   errwhere and errop say which */
	RD_AGAIN,	/* nb: no whole line, and a read would block */
	RD_TIMEOUT	/* (for callers that wait) nothing came in time */
};

struct line {
	char *p;		/* the line, without its terminator */
	size_t len;		/* its length */
	size_t rawlen;		/* its length with "\r\n" or "\n", as read */
	uint64_t lineno;	/* its number, from 1 */
};

struct reader {
	int fd;			/* where lines come from */
	const char *name;	/* how messages name it: "stdin", a path */
	char *buf;		/* bytes read and not yet returned */
	size_t cap;		/* allocated size of buf */
	size_t start;		/* first byte not yet returned */
	size_t end;		/* end of the bytes read */
	size_t scan;		/* where the search for "\n" resumes */
	size_t max;		/* longest line accepted, without terminator */
	uint64_t lineno;	/* lines returned or skipped so far */
	uint64_t reads;		/* read(2) calls that returned bytes */
	int eof;		/* read(2) returned 0 */
	int nb;			/* return RD_AGAIN rather than block */
	int tail;		/* the file may grow: at EOF keep an
				   unterminated last line, and return RD_EOF
				   again and again */
	int skipping;		/* inside an over-long line */
	int rejfd;		/* where skipped over-long lines go, or -1 */
	const char *rejname;	/* its name, for messages */
	const char *errwhere;	/* RD_ERROR: the file (name or rejname) */
	const char *errop;	/* and the call: "read" or "write" */
	void (*idle)(void *);	/* called before a read that would block */
	void *idlearg;		/* its argument */
};

/* Sets up r to read fd.  name is kept, not copied. */
void rd_init(struct reader *r, int fd, const char *name, size_t max);
void rd_free(struct reader *r);

/* Forgets what is buffered, as after a seek or a reopen. */
void rd_reset(struct reader *r);

/*
 * Returns the next line.  l->p stays valid until the next call.  When an
 * over-long line streams into r->rejfd and that write fails, RD_ERROR
 * comes back (errwhere is rejname): a rejected line must not be lost, so
 * the caller stops.  Nothing here exits or prints.
 */
enum rd_status rd_line(struct reader *r, struct line *l);

#endif
