/* SPDX-License-Identifier: ISC */
/*
 * post.h - delivering events by HTTP POST: evsub --post, the sending side
 * of webhooks.
 *
 * One POST per event, in the CloudEvents HTTP binding's structured mode
 * (Content-Type: application/cloudevents+json, the event as the body) or
 * binary mode (the attributes as ce- headers, the data as the body; an
 * event whose datacontenttype is a CloudEvents format goes structured,
 * as a receiver would take the data for the event).  With secrets, each
 * request is signed as Standard Webhooks does: webhook-id (the event's
 * id, or one made from it, the same on every retry: whsig_msgid),
 * webhook-timestamp and webhook-signature (one per secret).  Only a 2xx answer is success; 5xx, 429, 408, time-
 * outs and connection errors are retried with exponential backoff and
 * jitter, honouring Retry-After; 410 Gone ends delivery.  Redirects are
 * never followed.  One libcurl handle carries every request, so the
 * connection is kept alive.
 *
 * Nothing here exits the program or prints but what happens to each
 * event: a failure of our own (no signature, no memory for a header, a
 * dead-letter file that cannot be written) comes back as POST_ERR with
 * its message in the caller's err[n], as it is to be said after the
 * program's name, and the program decides.
 */
#ifndef EV_POST_H
#define EV_POST_H

#include <stddef.h>

#include "buf.h"
#include "deliver.h"
#include "scan.h"
#include "whsig.h"

#define POST_TIMEOUT_MS 15000		/* per request, by default */
#define POST_MAXRETRYAFTER 600		/* the longest Retry-After obeyed */

/* What became of one event. */
enum post_result {
	POST_OK,		/* a 2xx answer */
	POST_PARKED,		/* failed; kept in the dead-letter file */
	POST_FAILED,		/* failed, nowhere to keep it: stop */
	POST_GONE,		/* 410 Gone: the endpoint is no more; stop */
	POST_ERR		/* a failure of ours: err; nothing may go on */
};

#define POST_REASON 160	/* bytes of an answer's reason kept, at most */

struct post {
	const char *url;	/* where events go */
	int binary;		/* --binary: ce- headers, the data as body */
	char **hdrs;		/* -H: "Name: value", sent with every request */
	size_t nhdrs;
	struct whsig_keys keys;	/* --secret: sign with each; none: unsigned */
	long timeout;		/* milliseconds per request */
	struct deliver *d;	/* --retries and --dead-letter */
	void *curl;		/* the one CURL handle */
	struct scanner sc;	/* for the event being sent */
	struct buf body;	/* binary mode: the data */
	struct buf tmp;		/* scratch for header lines */
	char *errbuf;		/* libcurl's message for the last try */
	char reason[POST_REASON];	/* the last answer's reason, for messages */
	size_t rlen;		/* its length */
	int rdone;		/* its first line is whole */
	int nomem;		/* a header of this try could not be added */
};

/*
 * Adds a header that every request carries (-H, curl's habit): "Name:
 * value", a token name and a value of printable text.  The headers this
 * module writes itself (Content-Type, Content-Length, Transfer-Encoding,
 * Host, Expect, ce-*, webhook-*) are refused, as is a line break.
 * Returns 0, or -1 with a reason in err.
 */
int post_header(struct post *p, const char *line, char *err, size_t n);

/*
 * post_header for each line of the file path (--header-file: where an
 * Authorization header is kept off the command line); blank lines and
 * lines starting with # are skipped.  Returns 0, or -1 with err naming
 * the line.
 */
int post_header_file(struct post *p, const char *path, char *err, size_t n);

/*
 * Checks the URL (http or https) and sets up libcurl.  d gives the
 * retries and the dead-letter file.  Returns 0, or -1 with a reason in err.
 */
int post_open(struct post *p, struct deliver *d, char *err, size_t n);

/*
 * Sends one event, retrying as above: msg[0..mlen) is the event as it is
 * to be sent (a valid event: as read, or thin).  Returns POST_OK,
 * POST_FAILED or POST_GONE; where names the event in messages; POST_ERR
 * with err.  Nothing is parked: the caller decides (a durable consumer
 * keeps its position).
 */
enum post_result post_send(struct post *p, const char *msg, size_t mlen,
    const char *where, char *err, size_t n);

/*
 * post_send, then, when the event was not delivered and delivery may go
 * on, parks line[0..len) (the event as read) in the dead-letter file:
 * POST_PARKED, or POST_FAILED without one, or POST_ERR with err when the
 * file could not be written.
 */
enum post_result post_event(struct post *p, const char *msg, size_t mlen,
    const char *line, size_t len, const char *where, char *err, size_t n);

void post_close(struct post *p);

#endif
