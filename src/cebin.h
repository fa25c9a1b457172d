/* SPDX-License-Identifier: ISC */
/*
 * cebin.h - a binary-mode CloudEvent made a structured one: the
 * attributes in ce- headers, the data in the body.  One set of rules for
 * the HTTP receiver (evpub --listen) and the NATS bus's readings, as the
 * HTTP binding (3.1) has them and the NATS binding takes them over:
 *   - a header ce-NAME is attribute NAME (lowercased, a-z and 0-9); its
 *     value is percent-decoded (HTTP binding 3.1.3.2), once an HTTP
 *     quoted-string is unquoted (HTTP only), and must be valid UTF-8 and
 *     a CloudEvents String;
 *   - Content-Type is datacontenttype;
 *   - the body is data: JSON when Content-Type says JSON, or is missing
 *     (the JSON format's default); a string when it says text/ and the
 *     body is UTF-8 without NUL; else data_base64.
 * What is not an event is said in b->err, and the caller decides: the
 * receiver answers 400, a reader of a message already stored keeps what
 * it can (cebin_data's lenient flag).
 */
#ifndef EV_CEBIN_H
#define EV_CEBIN_H

#include <stddef.h>

#include "buf.h"

struct scanner;

struct cebin {
	struct buf *ev;		/* the event being built, from "{" */
	int http;		/* values may be HTTP quoted-strings */
	int first;		/* no member written yet */
	struct buf names;	/* the attributes written (cebin_free) */
	char err[400];		/* the first mistake, or "" */
};

/* Starts the event in ev (emptied); b->names must start empty ({ 0 })
 * or be b's from before. */
void cebin_start(struct cebin *b, struct buf *ev, int http);

/* Takes one header: a ce- one becomes an attribute, any other is passed
 * over.  A mistake is kept in b->err (the first one). */
void cebin_header(struct cebin *b, const char *key, const char *val);

/* Content-Type ct (or NULL) as datacontenttype.  -1 (b->err) when it is
 * not UTF-8. */
int cebin_type(struct cebin *b, const char *ct);

/* How the body is to be taken, by the rules above. */
enum cebin_kind { CEBIN_JSON, CEBIN_TEXT, CEBIN_BASE64 };
enum cebin_kind cebin_kind(const char *ct, const char *body, size_t len);

/*
 * The body as data, of that kind, and the event's "}".  A JSON body is
 * checked with sc: when it is not JSON, -1 (b->err), or with lenient the
 * body is taken as text (UTF-8 without NUL) or base64 instead.  The
 * receiver has its own JSON check (its limits): it adds the data itself
 * with cebin_json and cebin_end.
 */
int cebin_data(struct cebin *b, struct scanner *sc, const char *ct,
    const char *body, size_t len, int lenient);

/* Adds data, JSON text checked by the caller; cebin_end closes. */
void cebin_json(struct cebin *b, const char *json, size_t len);
void cebin_text(struct cebin *b, const char *body, size_t len);
void cebin_base64(struct cebin *b, const char *body, size_t len);
void cebin_end(struct cebin *b);

/* Lets go of what b holds (not the event). */
void cebin_free(struct cebin *b);

#endif
