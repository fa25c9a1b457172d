/* SPDX-License-Identifier: ISC */
/*
 * listen_int.h - internal interfaces of the receiver, evpub --listen: for
 * use inside it only (listen.h is its contract).  listen.c is the server's
 * mechanics: connections and their deadlines, framing, signatures and
 * replays, the answers.  listen_body.c makes the events of a request's
 * body; listen_github.c maps a GitHub delivery to attributes.  Nothing
 * here exits or prints.
 */
#ifndef EV_LISTEN_INT_H
#define EV_LISTEN_INT_H

#include <stddef.h>

#include <microhttpd.h>

#include "buf.h"
#include "out.h"
#include "pub.h"
#include "scan.h"

/* What a request's body is. */
enum kind {
	K_EVENT,	/* structured mode: one event */
	K_BATCH,	/* structured mode: a batch of events */
	K_BINARY,	/* binary mode: ce- headers, the data as body */
	K_JSON,		/* plain JSON: the data of a new event */
	K_FORM		/* a form, payload=JSON, as GitHub can send it */
};

/* The scratch of the conversion, the server's: used under its mutex. */
struct listen_conv {
	struct scanner sc;	/* scans bodies */
	struct buf tmp;		/* a body, compacted */
	struct buf ev;		/* a binary-mode event being built */
};

/* What a request on c carries, by its headers: an enum kind; -1 for
 * nothing we take. */
int listen_kindof(struct MHD_Connection *c);

/*
 * Makes the events of body, of a request on c of kind *kind, through p
 * into o (not flushed); whid is its webhook-id, or NULL.  A form's body
 * is replaced by its payload, and *kind becomes K_JSON.  Returns PUB_OK
 * with *nev the events written; PUB_INVALID (a request to answer 400) or
 * PUB_TOOLARGE (413: an event would be over --max-size) with err; then
 * nothing is written.
 */
enum pub_result listen_body(struct listen_conv *cv, struct pub *p,
    struct out *o, struct MHD_Connection *c, int *kind, struct buf *body,
    const char *whid, long long *nev, char *err, size_t n);

/*
 * The attributes of a GitHub delivery of event gh, as the CloudEvents
 * GitHub adapter maps them: type com.github.EVENT, and .ACTION when the
 * payload has an action; source the payload's repository.url; the
 * subject the adapter names.  What is missing, or no valid attribute, is
 * left empty.  json[0..len) is the payload, validated, or empty.
 */
void listen_github(const char *gh, const char *json, size_t len,
    char *type, size_t tn, char *source, size_t sn, char *subject,
    size_t jn);

#endif
