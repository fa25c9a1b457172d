/* SPDX-License-Identifier: ISC */
/*
 * pub.h - making events: from command-line fields, from data, and by
 * completing events that arrive partly built.  What evpub does, as a
 * library, so that every way of publishing makes the same events.
 * Nothing here exits or prints: a failure comes back as -1 or an enum
 * pub_result with a reason in the caller's err[n] (out of memory excepted,
 * as everywhere: xmalloc).
 */
#ifndef EV_PUB_H
#define EV_PUB_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "ce.h"
#include "out.h"
#include "scan.h"
#include "timefmt.h"
#include "id.h"

struct pub_ext {
	char *name;		/* the attribute name, checked */
	struct buf json;	/* its value as JSON text */
};

struct pub {
	const char *type;	/* -t, or NULL */
	const char *source;	/* -s, $EV_SOURCE or the default */
	const char *subject;	/* -S, or NULL */
	const char *id;		/* --id, or NULL */
	const char *time;	/* --time, or NULL: now */
	const char *ctype;	/* --datacontenttype, or NULL: by the data */
	const char *schema;	/* --dataschema, or NULL */
	struct pub_ext *ext;	/* -e, in order, then pub_trace's */
	size_t next;		/* how many */
	size_t ntrace;		/* of those, pub_trace's: the last ones */
	size_t maxsize;		/* the longest event we may write */
	int raw;		/* --raw: lines are text, not JSON */
	struct buf idj;		/* --id as JSON */
	struct buf srcj;	/* the source as JSON */
	struct buf typej;	/* the type as JSON */
	struct buf subjj;	/* the subject as JSON */
	struct buf timej;	/* --time as JSON */
	struct buf schemaj;	/* --dataschema as JSON */
	struct buf ctypej;	/* --datacontenttype as JSON */
	struct buf extj;	/* ,"name":value for each extension */
	int64_t sec;		/* the second stamp[] holds */
	int64_t stamped;	/* the time stamp[] holds */
	int64_t now;		/* pub_tick's time, or 0: read the clock
				   for each event */
	char stamp[RFC3339_LEN + 1];	/* the time of the last event */
	char uuid[UUID_LEN + 1];	/* the id of the last event */
	struct scanner sc;	/* for lines and data */
	struct scanner sc2;	/* for the events of a batch */
	struct ce_event ev;	/* the last event checked */
	struct buf tmp;		/* scratch */
};

/* The source when neither -s nor $EV_SOURCE gives one: "//HOST/evpub". */
const char *pub_default_source(void);

/*
 * The time of the events made from now on until the next call: the clock
 * read once, for what arrived together (evpub -l: the lines of one
 * read(2)), rather than once an event.  Their ids stay in order.
 */
void pub_tick(struct pub *p);

void pub_init(struct pub *p);
void pub_free(struct pub *p);

/*
 * Adds an extension attribute from "NAME=VALUE" (a string) or
 * "NAME:=JSON" (a string, boolean or 32-bit integer).  Returns 0, or -1
 * with a reason in err.
 */
int pub_addext(struct pub *p, const char *arg, char *err, size_t n);

/*
 * The trace context of what is being taken (evpub --listen: a request's
 * traceparent and tracestate headers, checked): the extensions of the
 * same names for the events made or completed from now on, when they
 * lack them; NULL for none.  An -e of the same name wins.
 */
void pub_trace(struct pub *p, const char *parent, const char *state);

/*
 * Checks the options and renders their constant parts.  Returns 0, or -1
 * with a reason in err.
 */
int pub_prepare(struct pub *p, char *err, size_t n);

/*
 * Builds the data object from fields: "key=string", "key:=json", with
 * "a.b=v" nesting.  Returns 0, or -1 with a reason in err.
 */
int pub_fields(struct pub *p, struct buf *data, int argc, char **argv,
    char *err, size_t n);

/*
 * Checks text as one JSON value and appends it to data without
 * insignificant whitespace.  Returns 0, or -1 with a reason in err.
 */
int pub_json(struct pub *p, struct buf *data, const char *text, size_t len,
    char *err, size_t n);

/* What pub_event and pub_line came to. */
enum pub_result {
	PUB_OK = 0,	/* written */
	PUB_INVALID,	/* no event could be made of it: err says why */
	PUB_TOOLARGE	/* the event would be over maxsize (--max-size):
			   err says how large */
};

/*
 * Writes one new event carrying data (NULL for none) of content type
 * ctype to o.  Returns PUB_OK, or PUB_TOOLARGE or PUB_INVALID (data that
 * is JSON under a --datacontenttype that is not) with a reason in err;
 * nothing is written then.
 */
enum pub_result pub_event(struct pub *p, struct out *o, const char *data, size_t len,
    const char *ctype, char *err, size_t n);

/*
 * Handles one input line of evpub -l: an event is completed, a batch split,
 * anything else wrapped as data (a string of text under --raw).  Returns
 * PUB_OK, or PUB_INVALID or PUB_TOOLARGE (an event, or an event of the
 * batch, would be over maxsize) with a reason in err; then nothing of the
 * line is written.
 */
enum pub_result pub_line(struct pub *p, struct out *o, const char *line, size_t len,
    char *err, size_t n);

#endif
