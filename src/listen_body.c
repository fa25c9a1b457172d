/* SPDX-License-Identifier: ISC */
/*
 * listen_body.c - the receiver's events from a request's body: a
 * structured-mode CloudEvent or batch, a binary-mode event (ce- headers,
 * the data as the body), plain JSON as the data of a new event (a GitHub
 * delivery's attributes from its headers and payload), a GitHub form.
 * See listen_int.h.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "ce.h"
#include "cebin.h"
#include "http.h"
#include "listen_int.h"
#include "util.h"

/* One body being made into events: what listen_body was given. */
struct conv {
	struct listen_conv *cv;		/* the server's scratch */
	struct pub *p;			/* makes the events */
	struct out *o;			/* where they go */
	struct MHD_Connection *c;	/* the request's headers */
	struct buf *body;		/* its body */
	int kind;			/* enum kind */
};

/* Tells whether the media type t (parameters allowed) is name. */
static int
mediais(const char *t, const char *name)
{
	size_t n = strlen(name);

	return strncasecmp(t, name, n) == 0 && (t[n] == '\0' || t[n] == ';' ||
	    t[n] == ' ' || t[n] == '\t');
}

/* What the request carries, by its headers; -1: nothing we take. */
int
listen_kindof(struct MHD_Connection *c)
{
	const char *ct;

	ct = MHD_lookup_connection_value(c, MHD_HEADER_KIND,
	    MHD_HTTP_HEADER_CONTENT_TYPE);
	if (ct != NULL && mediais(ct, "application/cloudevents+json"))
		return K_EVENT;
	if (ct != NULL && mediais(ct, "application/cloudevents-batch+json"))
		return K_BATCH;
	if (MHD_lookup_connection_value(c, MHD_HEADER_KIND, "ce-specversion")
	    != NULL)
		return K_BINARY;
	if (ct == NULL || http_isjson(ct, strlen(ct)))
		return K_JSON;
	if (mediais(ct, "application/x-www-form-urlencoded"))
		return K_FORM;
	return -1;
}

/* Formats why a body makes no event into err[n]: PUB_INVALID. */
static enum pub_result
invalid(char *err, size_t n, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static enum pub_result
invalid(char *err, size_t n, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, n, fmt, ap);
	va_end(ap);
	return PUB_INVALID;
}

/*
 * A form-encoded GitHub delivery: the JSON is the field payload.  The
 * signature was checked over the form as it came; the body becomes the
 * payload, decoded.
 */
static enum pub_result
unform(struct buf *body, struct buf *tmp, char *err, size_t n)
{
	tmp->len = 0;
	if (http_formfield(tmp, body->p, body->len, "payload", err, n) ==
	    -1)
		return PUB_INVALID;
	body->len = 0;
	buf_put(body, tmp->p, tmp->len);
	return PUB_OK;
}

/* Gives a binary-mode request's headers to cebin. */
static enum MHD_Result
cehdr(void *arg, enum MHD_ValueKind kind, const char *key, const char *val)
{
	(void)kind;
	cebin_header(arg, key, val);
	return MHD_YES;
}

/*
 * A binary-mode request as an event in st->ev, by cebin's rules (the
 * ce- headers as attributes, Content-Type as datacontenttype, the body
 * as data); a JSON body is checked as any body is (pub_json: the
 * limits).
 */
static enum pub_result
binary(const struct conv *x, char *err, size_t n)
{
	struct listen_conv *st = x->cv;
	struct MHD_Connection *c = x->c;
	const struct buf *body = x->body;
	struct cebin b = { 0 };
	const char *ct;
	enum pub_result r = PUB_INVALID;

	cebin_start(&b, &st->ev, 1);
	MHD_get_connection_values(c, MHD_HEADER_KIND, cehdr, &b);
	ct = MHD_lookup_connection_value(c, MHD_HEADER_KIND,
	    MHD_HTTP_HEADER_CONTENT_TYPE);
	if (b.err[0] != '\0' || cebin_type(&b, ct) == -1) {
		r = invalid(err, n, "%s", b.err);
		goto out;
	}
	if (body->len > 0) {
		switch (cebin_kind(ct, body->p, body->len)) {
		case CEBIN_JSON:
			st->tmp.len = 0;
			if (pub_json(x->p, &st->tmp, body->p, body->len, err,
			    n) == -1)
				goto out;
			cebin_json(&b, st->tmp.p, st->tmp.len);
			break;
		case CEBIN_TEXT:
			cebin_text(&b, body->p, body->len);
			break;
		case CEBIN_BASE64:
			cebin_base64(&b, body->p, body->len);
			break;
		}
	}
	cebin_end(&b);
	r = pub_line(x->p, x->o, st->ev.p, st->ev.len, err, n);
out:
	cebin_free(&b);
	return r;
}

/* Sets a string option of the pub for this request: its JSON too. */
static void
setstr(const char **opt, struct buf *json, const char *s)
{
	*opt = s;
	json->len = 0;
	if (s != NULL)
		(void)buf_jsonstr(json, s, strlen(s));
}

/*
 * A plain JSON body as the data of a new event: its type from -t, or
 * from a GitHub delivery's headers and payload (listen_github()); its id from
 * the sender's delivery id when there is one.
 */
static enum pub_result
plain(const struct conv *x, const char *whid, char *err, size_t n)
{
	struct listen_conv *st = x->cv;
	struct MHD_Connection *c = x->c;
	const struct buf *body = x->body;
	struct pub *p = x->p;
	const char *gh, *id, *src = p->source, *subj = p->subject;
	char type[128], source[512], subject[512];
	enum pub_result ret;

	gh = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "X-GitHub-Event");
	if (p->type == NULL && gh == NULL)
		return invalid(err, n, "no -t TYPE, and no X-GitHub-Event to "
		    "make one");
	if (p->type == NULL && (*gh == '\0' || strlen(gh) > 64 ||
	    strspn(gh, "abcdefghijklmnopqrstuvwxyz0123456789_") != strlen(gh)))
		return invalid(err, n, "X-GitHub-Event: not an event name");
	st->tmp.len = 0;
	if (body->len > 0 && pub_json(p, &st->tmp, body->p, body->len,
	    err, n) == -1)
		return PUB_INVALID;
	if (st->tmp.len > 0 && (scan_json(&st->sc, st->tmp.p, st->tmp.len) < 0
	    || st->sc.deepest >= SCAN_MAXDEPTH))
		return invalid(err, n, "nested too deep to be the data of an "
		    "event");
	id = MHD_lookup_connection_value(c, MHD_HEADER_KIND,
	    "X-GitHub-Delivery");
	if (id == NULL || *id == '\0')
		id = whid;
	if (p->type == NULL) {
		listen_github(gh, st->tmp.p, st->tmp.len, type, sizeof(type),
		    source, sizeof(source), subject, sizeof(subject));
		setstr(&p->type, &p->typej, type);
		if (source[0] != '\0')
			setstr(&p->source, &p->srcj, source);
		/* -S, when given, is the subject still. */
		if (subject[0] != '\0' && p->subject == NULL)
			setstr(&p->subject, &p->subjj, subject);
	}
	if (id != NULL && p->id == NULL)
		setstr(&p->id, &p->idj, id);
	ret = pub_event(p, x->o, st->tmp.len ? st->tmp.p : NULL, st->tmp.len,
	    "application/json", err, n);
	/* Back to what the options said. */
	if (p->type == type)
		setstr(&p->type, &p->typej, NULL);
	if (p->source != src)
		setstr(&p->source, &p->srcj, src);
	if (p->subject != subj)
		setstr(&p->subject, &p->subjj, subj);
	if (p->id == id && id != NULL)
		setstr(&p->id, &p->idj, NULL);
	return ret;
}

/* A structured-mode body: one event, or a batch of them. */
static enum pub_result
structured(const struct conv *x, char *err, size_t n)
{
	struct listen_conv *st = x->cv;
	const struct buf *body = x->body;
	int t;

	st->tmp.len = 0;
	if (pub_json(x->p, &st->tmp, body->p, body->len, err, n) == -1)
		return PUB_INVALID;
	t = scan_json(&st->sc, st->tmp.p, st->tmp.len);
	if (x->kind == K_BATCH && t != SCAN_ARRAY)
		return invalid(err, n, "a batch must be a JSON array");
	if (x->kind == K_EVENT && t != SCAN_OBJECT)
		return invalid(err, n, "not a CloudEvent: not a JSON object");
	if (x->kind == K_EVENT) {
		size_t i;

		for (i = 0; i < st->sc.nm; i++)
			if (scan_name_is(&st->sc.m[i], "specversion"))
				break;
		if (i == st->sc.nm)
			return invalid(err, n, "not a CloudEvent: no "
			    "specversion");
	}
	return pub_line(x->p, x->o, st->tmp.p, st->tmp.len, err, n);
}

enum pub_result
listen_body(struct listen_conv *cv, struct pub *p, struct out *o,
    struct MHD_Connection *c, int *kind, struct buf *body, const char *whid,
    long long *nev, char *err, size_t n)
{
	struct conv x = { cv, p, o, c, body, *kind };
	enum pub_result r;

	*nev = 0;
	if (x.kind == K_FORM) {
		if ((r = unform(body, &cv->tmp, err, n)) != PUB_OK)
			return r;
		x.kind = *kind = K_JSON;
	}
	if (x.kind == K_BINARY)
		r = binary(&x, err, n);
	else if (x.kind == K_JSON)
		r = plain(&x, whid, err, n);
	else
		r = structured(&x, err, n);
	if (r == PUB_OK)
		*nev = x.kind == K_BATCH ? (long long)cv->sc.nm : 1;
	return r;
}
