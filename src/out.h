/* SPDX-License-Identifier: ISC */
/*
 * out.h - where events go: stdout, a file or a FIFO, buffered, written
 * only in whole events.
 *
 * Bytes are gathered in a buffer and written when it fills, when the
 * reader is about to block (rd's idle hook), and at the end.  A write(2)
 * never splits an event: on a file opened for appending, each write holds
 * whole events under an exclusive flock(2); on a FIFO, a write holds at
 * most PIPE_BUF bytes of whole events, atomic by itself, under a shared
 * flock(2) of the FIFO, or one larger event under an exclusive one, so
 * that writers sharing the FIFO never interleave inside an event.
 */
#ifndef EV_OUT_H
#define EV_OUT_H

#include <stddef.h>
#include <string.h>

struct out {
	int fd;			/* where bytes go */
	const char *name;	/* how messages name it */
	char *buf;		/* bytes not yet written */
	size_t len;		/* bytes in buf */
	size_t mark;		/* end of the last whole event in buf */
	size_t cap;		/* allocated size of buf */
	size_t limit;		/* most bytes of several events per write */
	int lock;		/* take flock(2) around each write */
	int fifo;		/* a FIFO: lock around writes over PIPE_BUF */
	int closed;		/* the reader went away (EPIPE), or a call
				   failed: nothing more is written */
	int err;		/* that failure's errno; 0: none (EPIPE is
				   none: the reader's going is an end) */
	const char *errop;	/* and which call: "write", "flock", "close" */
	void (*sink)(void *, const char *, size_t);	/* or this takes */
	void *sinkarg;		/* whole events, with this */
};

/*
 * Opens path for output: NULL or "-" is stdout; a FIFO is opened for
 * writing (waiting for a reader); anything else is created 0600 if missing
 * and appended to.  Exits 1 when it cannot be opened.  A file appended to
 * (stdout too) whose last line has no end is mended first: the start of
 * an event that a killed run left is cut off and said; a whole value or
 * other text is ended.  A failure there leaves o closed, kept in o->err.
 */
void out_open(struct out *o, const char *path);

/*
 * Sets o up to gather bytes in memory only, never writing: the caller takes
 * o->buf[0..o->len) and empties it (o->len = o->mark = 0).
 */
void out_mem(struct out *o);

/*
 * Sets o up to hand whole events to sink(arg, p, n) rather than write
 * them, in groups of up to limit bytes: evpub -T's publisher.
 */
void out_sink(struct out *o, void (*sink)(void *, const char *, size_t),
    void *arg, size_t limit);
/* Makes room in the buffer for n more bytes: out_put's rare path. */
void out_grow(struct out *o, size_t n);

/*
 * Adds bytes to the event (or unit of events) being built.  Inline: evpub
 * calls them for each piece of each event.  Offsets into the unit being
 * built stay valid until out_end or out_drop: they never write, they grow
 * the buffer past cap when a unit needs it.
 */
static inline void
out_put(struct out *o, const void *p, size_t n)
{
	if (n == 0)
		return;
	if (o->len + n > o->cap)
		out_grow(o, n);
	memcpy(o->buf + o->len, p, n);
	o->len += n;
}

static inline void
out_putc(struct out *o, int c)
{
	if (o->len == o->cap)
		out_grow(o, 1);
	o->buf[o->len++] = (char)c;
}

/*
 * Ends the unit being built (its "\n" is the caller's), writing when due.
 * A unit is written whole in one write(2).
 */
void out_end(struct out *o);

/*
 * Writes the whole events p[0..n), after the whole events buffered,
 * without copying them into the buffer; not while an event is being
 * built.  As out_end, it keeps each write within limit, whole events in
 * each (one longer than limit by itself).  Returns as out_flush.
 */
int out_write(struct out *o, const char *p, size_t n);

/* Drops the event being built. */
void out_drop(struct out *o);

/*
 * Writes every whole event.  Returns 0, or -1 when the reader went away
 * or a write failed: o->closed is set, and a failure is kept in o->err
 * (out_error says it).  Nothing here exits: a program goes on to its end,
 * as when its reader goes away, and says the failure there.
 */
int out_flush(struct out *o);

/* The idle hook for struct reader: flushes. */
void out_idle(void *o);

/* Flushes and closes.  Returns -1 when closed early or failing now. */
int out_close(struct out *o);

/*
 * When a call on o failed (not the reader going away): -1, with
 * "NAME: CALL: why" in err[n]; else 0.
 */
int out_error(const struct out *o, char *err, size_t n);

#endif
