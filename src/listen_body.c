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

/* Gathers the ce- headers of a binary-mode request. */
struct cehdrs {
	struct buf *ev;		/* the event being built */
	int first;		/* no member written yet */
	char err[400];		/* what is wrong, or "" */
};

static enum MHD_Result
cehdr(void *arg, enum MHD_ValueKind kind, const char *key, const char *val)
{
	struct cehdrs *h = arg;
	struct buf v = { 0 }, q = { 0 };
	char name[128], why[200];
	size_t i, n;

	(void)kind;
	if (strncasecmp(key, "ce-", 3) != 0 || h->err[0] != '\0')
		return MHD_YES;
	key += 3;
	n = strlen(key);
	if (n == 0 || n >= sizeof(name)) {
		snprintf(h->err, sizeof(h->err), "a ce- header without an "
		    "attribute name");
		return MHD_YES;
	}
	for (i = 0; i <= n; i++)
		name[i] = (char)(key[i] >= 'A' && key[i] <= 'Z' ? key[i] + 32 :
		    key[i]);
	if (!ce_name_ok(name, n)) {
		snprintf(h->err, sizeof(h->err), "ce-%s: not an attribute name "
		    "(a-z, 0-9)", name);
		return MHD_YES;
	}
	/* A quoted-string is unescaped first (RFC 7230 3.2.6), then the
	 * value is percent-decoded (binding 3.1.3.2). */
	if (http_unquote(&q, val) == -1) {
		snprintf(h->err, sizeof(h->err), "ce-%s: a quoted-string "
		    "without its closing '\"', or with more after it", name);
		buf_free(&q);
		return MHD_YES;
	}
	buf_putc(&q, '\0');
	if (http_pctdec(&v, q.p) == -1) {
		snprintf(h->err, sizeof(h->err), "ce-%s: a '%%' not followed by "
		    "two hex digits (send %%25 for '%%')", name);
		buf_free(&q);
		buf_free(&v);
		return MHD_YES;
	}
	buf_free(&q);
	buf_puts(h->ev, h->first ? "\"" : ",\"");
	buf_puts(h->ev, name);
	buf_puts(h->ev, "\":");
	if (buf_jsonstr(h->ev, v.p ? v.p : "", v.len) == -1)
		snprintf(h->err, sizeof(h->err), "ce-%s: not valid UTF-8 once "
		    "percent-decoded", name);
	else if (ce_text_check(v.p ? v.p : "", v.len, why, sizeof(why)) == -1)
		snprintf(h->err, sizeof(h->err), "ce-%s: %s", name, why);
	h->first = 0;
	buf_free(&v);
	return MHD_YES;
}

/*
 * A binary-mode request as an event in st->ev: the ce- headers as
 * attributes, Content-Type as datacontenttype, the body as data (JSON
 * when the type is JSON, a string when it is text, else data_base64).
 */
static enum pub_result
binary(const struct conv *x, char *err, size_t n)
{
	struct listen_conv *st = x->cv;
	struct MHD_Connection *c = x->c;
	const struct buf *body = x->body;
	struct cehdrs h = { &st->ev, 1, "" };
	const char *ct;

	st->ev.len = 0;
	buf_putc(&st->ev, '{');
	MHD_get_connection_values(c, MHD_HEADER_KIND, cehdr, &h);
	if (h.err[0] != '\0')
		return invalid(err, n, "%s", h.err);
	ct = MHD_lookup_connection_value(c, MHD_HEADER_KIND,
	    MHD_HTTP_HEADER_CONTENT_TYPE);
	if (ct != NULL) {
		buf_puts(&st->ev, ",\"datacontenttype\":");
		if (buf_jsonstr(&st->ev, ct, strlen(ct)) == -1)
			return invalid(err, n, "Content-Type: not valid UTF-8");
	}
	if (body->len > 0 && (ct == NULL || http_isjson(ct, strlen(ct)))) {
		st->tmp.len = 0;
		if (pub_json(x->p, &st->tmp, body->p, body->len, err, n) ==
		    -1)
			return PUB_INVALID;
		buf_puts(&st->ev, ",\"data\":");
		buf_put(&st->ev, st->tmp.p, st->tmp.len);
	} else if (body->len > 0 && strncasecmp(ct, "text/", 5) == 0 &&
	    scan_utf8_valid(body->p, body->len) &&
	    memchr(body->p, '\0', body->len) == NULL) {
		buf_puts(&st->ev, ",\"data\":");
		(void)buf_jsonstr(&st->ev, body->p, body->len);
	} else if (body->len > 0) {
		buf_puts(&st->ev, ",\"data_base64\":\"");
		http_b64enc(&st->ev, body->p, body->len);
		buf_putc(&st->ev, '"');
	}
	buf_putc(&st->ev, '}');
	return pub_line(x->p, x->o, st->ev.p, st->ev.len, err, n);
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
