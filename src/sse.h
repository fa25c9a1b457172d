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
 * buffered is sent first), or the topic is deleted.  Returns the exit
 * status: 0; 1 when it could not serve; the inputs' status (3: invalid
 * lines met); 8 when the topic is not there or was deleted.
 */
int sse_run(struct sse *s);

#endif
