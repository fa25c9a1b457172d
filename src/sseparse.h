/* SPDX-License-Identifier: ISC */
/*
 * sseparse.h - reading a text/event-stream: the Server-Sent Events
 * parser of the WHATWG HTML standard (9.2.6, "Parsing an event stream"),
 * fed as bytes come, in pieces cut anywhere.
 *
 * Lines end in CRLF, LF or CR (a CR at the end of one piece and an LF at
 * the start of the next are one end); a UTF-8 BOM at the start of a
 * stream is dropped; ":" starts a comment; "field: value" loses one
 * space after the colon; data lines join with LF; a blank line dispatches
 * the message when it has data.  id: sets the last event id (not when it
 * holds a NUL), which lasts across messages and reconnections; retry:
 * with digits only sets the reconnection time.  Memory is bounded: a
 * message whose data, or a line, grows past max is dropped whole, and
 * said (toolong) when it ends.
 */
#ifndef EV_SSEPARSE_H
#define EV_SSEPARSE_H

#include <stddef.h>

#include "buf.h"

/* A message, as the callback gets it; valid during the call. */
struct sse_msg {
	const char *data;	/* the data, lines joined with LF */
	size_t len;		/* its length */
	const char *event;	/* the event: name, or "message" */
	const char *id;		/* the last event id, or "" */
	int hasid;		/* this message set it (an id: line) */
	int toolong;		/* dropped: over max (data is empty) */
};

struct sseparse {
	size_t max;		/* the longest data, and line, kept */
	int start;		/* at the start of a stream: a BOM may come */
	int cr;			/* the last byte was a CR ending a line */
	int skip;		/* the line being read is over max */
	int toolong;		/* the message being read went over max */
	int hasid;		/* it had an id: line */
	long retry;		/* the last retry:, milliseconds, or -1 */
	struct buf line;	/* the line being read */
	struct buf data;	/* the message's data so far */
	struct buf event;	/* its event: name */
	struct buf id;		/* the last event id, NUL-terminated */
	int (*cb)(void *, const struct sse_msg *);	/* gets each message */
	void *arg;		/* with this */
};

/*
 * Readies p to parse a stream, each message to cb(arg, msg); cb returns
 * 0 to go on, another value to stop (ssep_feed returns it).
 */
void ssep_init(struct sseparse *p, size_t max,
    int (*cb)(void *, const struct sse_msg *), void *arg);

/* Feeds s[0..n); returns 0, or what cb returned to stop. */
int ssep_feed(struct sseparse *p, const char *s, size_t n);

/*
 * A new stream (a reconnection): what was half read is dropped; the last
 * event id and retry stay.
 */
void ssep_restart(struct sseparse *p);

/* Sets the last event id (as a saved state gives it). */
void ssep_setid(struct sseparse *p, const char *id, size_t len);

void ssep_free(struct sseparse *p);

#endif
