/* SPDX-License-Identifier: ISC */
/*
 * sse.h - serving events to browsers: evsub --serve, Server-Sent Events.
 *
 * An HTTP server (libmicrohttpd, one internal thread polling every
 * connection with epoll; HTTPS when given a certificate) streams the
 * events evsub selects to any number of clients as text/event-stream:
 * one message an event, "id:" its sequence on a topic, "data:" its line.
 * On a topic a client resumes from the log where its Last-Event-ID (or
 * ?from=, ?since=) says, then goes live, with no gap and no duplicate;
 * off a topic a client gets what arrives while it is connected.  Each
 * client may add filters of its own (?filter=, evsub's syntax), and has
 * a bounded buffer: one that does not read is cut off when it is full,
 * and never holds up the others or the source.  "/" is a page that shows
 * the events flowing and, on a topic, the topics (the class projector);
 * "/topics" is what evsub --topics --json says, for it.
 *
 * Nothing here exits the program or prints but the server's own log
 * (where it serves, refusals, cut-offs, a topic that went away): how a
 * run ended comes back as an enum sse_result, a failure to start with its
 * message in the caller's err[n] as it is to be said after the program's
 * name, and the program decides.  Running out of memory is the exception
 * (xmalloc).
 */
#ifndef EV_SSE_H
#define EV_SSE_H

#include <stddef.h>
#include <stdint.h>

#include "bus.h"
#include "common.h"
#include "filter.h"
#include "input.h"

#define SSE_HEARTBEAT 15	/* seconds between heartbeat comments */
#define SSE_RETRY 1000		/* the retry: hint, milliseconds */
#define SSE_CLIENTBUF (1 << 20)	/* bytes held for one client at most */
#define SSE_PATH "/events"	/* where the stream is */

struct sse_state;

/* How sse_run ended. */
enum sse_result {
	SSE_OK = 0,	/* SIGTERM or SIGINT ended it */
	SSE_ENDED,	/* the inputs ended, and what was buffered was sent:
			   the run's status is the inputs' (common's) */
	SSE_NOTOPIC,	/* the topic is not there (said), or was deleted
			   while it was served (said) */
	SSE_BROKEN,	/* the topic's log could not be read on, or the
			   inputs or the rejects file failed (said) */
	SSE_ADDR,	/* --serve's address is not HOST:PORT, or names no
			   host or port there is: err (a usage error) */
	SSE_FAIL	/* it could not serve: err */
};

struct sse {
	const char *addr;	/* --serve: HOST:PORT */
	struct bus *bus;	/* -T: the topic's bus */
	const char *topic;	/* -T: the topic; NULL: the inputs */
	struct inputs *in;	/* without -T: the inputs */
	struct common *c;	/* rejects, and the status so far */
	const struct filter *f;	/* evsub's own filters, before a client's */
	size_t nf;		/* how many */
	int invert;		/* -v: of those */
	int eventname;		/* --sse-event: an event: line, the type */
	const char *tokens;	/* --token-file: tokens one a line, or NULL */
	const char **cors;	/* --cors: origins allowed ("*": any) */
	size_t ncors;		/* how many */
	const char *tlscert;	/* --tls-cert: HTTPS with this, or NULL */
	const char *tlskey;	/* --tls-key: its key */
	unsigned maxconn;	/* --max-conns: connections at once */
	unsigned peraddr;	/* --max-per-addr: from one address; 0: any */
	unsigned heartbeat;	/* --heartbeat: seconds, 0: SSE_HEARTBEAT */
	size_t clientbuf;	/* --max-buffer: bytes, 0: SSE_CLIENTBUF */
	int quiet;		/* -q: refusals and cut-offs are not logged */
	int given;		/* an option of these was given */
	struct sse_state *st;	/* the server's own state */
};

/*
 * Serves s->addr (port 0: any free one), saying where on stderr, "serving
 * on HOST:PORT", until SIGTERM or SIGINT, or the inputs end (what is
 * buffered is sent first), or the topic is deleted, or its log cannot be
 * read on.  Returns how it ended (above); err is set with SSE_ADDR and
 * SSE_FAIL.
 */
enum sse_result sse_run(struct sse *s, char *err, size_t n);

#endif
