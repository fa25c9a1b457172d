/* SPDX-License-Identifier: ISC */
/*
 * ssein.h - reading Server-Sent Events into events: evpub --sse.
 *
 * libcurl reads a text/event-stream (anyone's: evsub --serve, Wikimedia
 * EventStreams, Nchan, an SSE library) and sseparse.c cuts it into
 * messages.  A message whose data is a CloudEvent is written as it is;
 * any other data becomes the data of a new event (JSON as JSON, else a
 * string), of type -t or of the message's event: name, whose id is the
 * message's id: when it has one, so that a repeat across a reconnection
 * is the same event (a topic drops it) and not a new one.  When the
 * stream ends or fails, it is read again from the last event id
 * (Last-Event-ID), after the server's retry: or a growing back-off; with
 * a state file that id is kept across runs, saved only once the events
 * before it are written (on a topic: acknowledged).
 *
 * Nothing here exits the program: how a reading ended comes back as an
 * enum ssein_result, a failure with its message in the caller's err[n] as
 * it is to be said after the program's name, and the program decides.
 * What is said on the way (a message that makes no event, a reconnection,
 * a refusal) is said on stderr here.  Running out of memory is the
 * exception (xmalloc).
 */
#ifndef EV_SSEIN_H
#define EV_SSEIN_H

#include <stdint.h>

#include "common.h"
#include "out.h"
#include "pub.h"

#define SSEIN_RETRY 3000	/* milliseconds before reconnecting, unless
				   the server says (retry:) */
#define SSEIN_MAXBACKOFF 60000	/* the longest wait after failures */
#define SSEIN_SILENT 90		/* seconds of silence that end a stream */

/* How ssein_run ended. */
enum ssein_result {
	SSEIN_OK = 0,	/* -c reached, SIGTERM or SIGINT, an answer 204, or
			   the output's reader went away: the run's status
			   is common's (3: messages that made no event) */
	SSEIN_IDLE,	/* -w passed with nothing */
	SSEIN_REFUSED,	/* a refusal that asking again cannot mend (a 4xx,
			   not a stream): said */
	SSEIN_FAIL	/* the state file could not be read or saved, or
			   libcurl would not start: err */
};

struct ssein {
	const char *url;	/* --sse */
	const char *state;	/* --state: the last event id's file, or NULL */
	const char *headers;	/* --header-file: "Name: value" lines, or NULL */
	const char *token;	/* --token-file: a bearer token, or NULL */
	char *source;		/* the URL as the events' source, when no -s
				   (owned), or NULL */
	int evtype;		/* --sse-event: the type is the event: name */
	long long count;	/* -c: stop after so many events, or 0 */
	int64_t idle;		/* -w: stop when nothing comes so long, usec */
	int quiet;		/* -q: no message per reconnection */
	struct pub *p;		/* makes the new events */
	struct out *o;		/* where they go */
	struct common *c;	/* rejects, and the status so far */
};

/*
 * Reads s->url until -c events, -w idle, SIGTERM or SIGINT, an answer 204
 * (the server says: no more), or the output's reader went away; or until
 * a refusal that asking again cannot mend (a 4xx, not a stream), or the
 * state cannot be saved.  Returns how it ended (above).
 */
enum ssein_result ssein_run(struct ssein *s, char *err, size_t n);

#endif
