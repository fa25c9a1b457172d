/* SPDX-License-Identifier: ISC */
/*
 * input.h - where a subscriber's events come from: standard input, files
 * and FIFOs, one after another, or all at once when following.
 *
 * Following (-f) a file is tail -F: inotify(7) is the wake-up, stat(2) the
 * truth, checked each time the end is reached (after every wake-up, and
 * once a second), so that a truncated file is read again from its start
 * and a replaced one (rotated, renamed over) is opened anew, after the old
 * one's last line.  As for tail, a file truncated and written past its old
 * size between two checks looks like one that grew.  Following a FIFO keeps it open across writers:
 * when the last writer goes, it is reopened without blocking, and poll(2)
 * sleeps until the next writer comes.  Nothing spins while idle.
 *
 * Nothing here exits or prints but a warning (a file truncated or
 * replaced, a writer gone mid-line): a failure comes back as -1 or
 * RD_ERROR, with errno and the inputs' errwhere and errop saying what
 * failed where, and the program decides.
 */
#ifndef EV_INPUT_H
#define EV_INPUT_H

#include <sys/types.h>

#include <poll.h>
#include <stdint.h>

#include "common.h"
#include "rd.h"

enum { IN_FILE, IN_FIFO, IN_PIPE };

struct input {
	const char *path;	/* as given; NULL for standard input */
	const char *name;	/* how messages name it */
	int kind;		/* IN_FILE, IN_FIFO, or IN_PIPE (stdin) */
	int done;		/* read to its end */
	int wd;			/* its inotify watch, or -1 */
	int whole;		/* a FIFO whose writers write whole lines
				   only: bytes left when the last writer
				   goes are the remains of one that died
				   mid-line, and are dropped */
	int rotating;		/* replaced: reading the old file's last,
				   unterminated line before the new file */
	dev_t dev;		/* the file being read: device */
	ino_t ino;		/* and inode */
	struct reader r;	/* its lines */
};

struct inputs {
	struct input *v;	/* the inputs, in order */
	size_t n;		/* how many */
	size_t cur;		/* without follow: the one being read */
	int follow;		/* -f */
	int ifd;		/* inotify, or -1 */
	int64_t idle;		/* -w: microseconds, 0 for none */
	int64_t last;		/* when the last line came */
	struct pollfd *pfd;	/* room to poll every input and inotify */
	const char *errwhere;	/* on a failure: the input or rejects file
				   (NULL for poll), */
	const char *errop;	/* and the call that failed; errno says why */
	int (*flush)(void *);	/* called before waiting: 0, or -1 to
				   stop (inputs_next says RD_EOF) */
	void *arg;		/* its argument */
};

/*
 * Opens every path (NULL or "-" is standard input).  Returns 0, or -1
 * when one cannot be opened (errwhere, errop, errno), nothing left open.
 */
int inputs_open(struct inputs *in, struct common *c, char **paths,
    size_t n, int follow);
/*
 * Opens one input that follows a live subscription: descriptor fd, whose
 * writers write whole events (bytes a writer leaves when it goes are the
 * remains of one that died mid-line, and are dropped), reopened at path
 * when its last writer goes (a FIFO), or read to its end (path NULL).
 */
void inputs_live(struct inputs *in, struct common *c, int fd,
    const char *path, const char *name);
void inputs_close(struct inputs *in);

/*
 * Returns the next line of any input (RD_LINE, RD_TOOLONG or RD_NUL, with
 * *which), RD_EOF when every input is done (or the flush hook said
 * stop), or RD_TIMEOUT when nothing
 * came for in->idle microseconds, or RD_ERROR when a call failed
 * (errwhere, errop, errno): the inputs are then of no more use.
 */
enum rd_status inputs_next(struct inputs *in, struct line *l,
    struct input **which);

#endif
