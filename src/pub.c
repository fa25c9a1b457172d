/* SPDX-License-Identifier: ISC */
/*
 * pub.c - making events.  New events are written straight into the output
 * buffer from parts rendered once (the envelope around id and time), so
 * that wrapping a line costs one scan of it and a few copies.
 */
#include <sys/utsname.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "http.h"
#include "pub.h"
#include "util.h"

const char *
pub_default_source(void)
{
	static char src[300];
	struct utsname u;

	if (src[0] == '\0') {
		if (uname(&u) == -1 || u.nodename[0] == '\0')
			snprintf(src, sizeof(src), "//localhost/evpub");
		else
			snprintf(src, sizeof(src), "//%s/evpub", u.nodename);
	}
	return src;
}

void
pub_init(struct pub *p)
{
	memset(p, 0, sizeof(*p));
	scan_init(&p->sc);
	scan_init(&p->sc2);
}

void
pub_free(struct pub *p)
{
	size_t i;

	for (i = 0; i < p->next; i++) {
		free(p->ext[i].name);
		buf_free(&p->ext[i].json);
	}
	free(p->ext);
	buf_free(&p->idj);
	buf_free(&p->srcj);
	buf_free(&p->typej);
	buf_free(&p->subjj);
	buf_free(&p->schemaj);
	buf_free(&p->ctypej);
	buf_free(&p->timej);
	buf_free(&p->extj);
	buf_free(&p->tmp);
	scan_free(&p->sc);
	scan_free(&p->sc2);
}

/* Makes extj again from the extensions. */
static void
extjson(struct pub *p)
{
	size_t i;

	p->extj.len = 0;
	for (i = 0; i < p->next; i++) {
		buf_puts(&p->extj, ",\"");
		buf_puts(&p->extj, p->ext[i].name);
		buf_puts(&p->extj, "\":");
		buf_put(&p->extj, p->ext[i].json.p, p->ext[i].json.len);
	}
}

void
pub_trace(struct pub *p, const char *parent, const char *state)
{
	const char *names[2] = { "traceparent", "tracestate" };
	const char *vals[2] = { parent, state };
	struct pub_ext *e;
	size_t i, j;
	int given;

	if (p->ntrace == 0 && parent == NULL && state == NULL)
		return;
	for (; p->ntrace > 0; p->ntrace--) {
		e = &p->ext[--p->next];
		free(e->name);
		buf_free(&e->json);
	}
	for (i = 0; i < 2; i++) {
		if (vals[i] == NULL)
			continue;
		for (given = 0, j = 0; j < p->next; j++)
			given |= strcmp(p->ext[j].name, names[i]) == 0;
		if (given)
			continue;
		p->ext = xrealloc(p->ext, (p->next + 1) * sizeof(*p->ext));
		e = &p->ext[p->next++];
		memset(e, 0, sizeof(*e));
		e->name = xstrdup(names[i]);
		(void)buf_jsonstr(&e->json, vals[i], strlen(vals[i]));
		p->ntrace++;
	}
	extjson(p);
}

/* The attribute names an extension may not take. */
static int
reserved(const char *name, size_t len)
{
	static const char *const names[] = { "specversion", "id", "source",
	    "type", "subject", "time", "datacontenttype", "dataschema",
	    "data" };
	size_t i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (strlen(names[i]) == len && memcmp(names[i], name, len) == 0)
			return 1;
	return 0;
}

int
pub_addext(struct pub *p, const char *arg, char *err, size_t n)
{
	const char *eq = strchr(arg, '=');
	struct pub_ext *e;
	char why[200], *dec;
	size_t nl, dl;
	int json, t, bad;

	if (eq == NULL)
		return seterr(err, n, "\"%s\": NAME=VALUE or NAME:=JSON expected",
		    arg);
	json = eq > arg && eq[-1] == ':';
	nl = (size_t)(eq - arg) - (size_t)json;
	if (!ce_name_ok(arg, nl))
		return seterr(err, n, "\"%.*s\": an attribute name is lower-case "
		    "a-z and 0-9", (int)nl, arg);
	if (reserved(arg, nl))
		return seterr(err, n, "\"%.*s\" is not an extension: use its own "
		    "option", (int)nl, arg);
	for (size_t i = 0; i < p->next; i++)
		if (strlen(p->ext[i].name) == nl &&
		    memcmp(p->ext[i].name, arg, nl) == 0)
			return seterr(err, n, "\"%.*s\" given twice", (int)nl,
			    arg);
	p->ext = xrealloc(p->ext, (p->next + 1) * sizeof(*p->ext));
	e = &p->ext[p->next];
	memset(e, 0, sizeof(*e));
	if (json) {
		t = scan_json(&p->sc, eq + 1, strlen(eq + 1));
		if (t < 0)
			return seterr(err, n, "\"%.*s\": invalid JSON: %s",
			    (int)nl, arg, p->sc.err);
		if (t == SCAN_NUMBER && p->sc.vallen <= 11 &&
		    strspn(p->sc.val, "-0123456789") >= p->sc.vallen) {
			long long v = strtoll(p->sc.val, NULL, 10);

			if (v < -2147483648LL || v > 2147483647LL)
				t = SCAN_NONE;
		} else if (t != SCAN_STRING && t != SCAN_TRUE &&
		    t != SCAN_FALSE)
			t = SCAN_NONE;
		if (t == SCAN_NONE)
			return seterr(err, n, "\"%.*s\": an extension is a "
			    "string, a boolean or a 32-bit integer", (int)nl,
			    arg);
		if (t == SCAN_STRING) {
			dec = xmalloc(p->sc.vallen);
			dl = scan_unescape(p->sc.val + 1, p->sc.vallen - 2, dec);
			bad = ce_text_check(dec, dl, why, sizeof(why));
			free(dec);
			if (bad == -1)
				return seterr(err, n, "\"%.*s\": %s", (int)nl,
				    arg, why);
		}
		buf_put(&e->json, p->sc.val, p->sc.vallen);
	} else if (buf_jsonstr(&e->json, eq + 1, strlen(eq + 1)) == -1)
		return seterr(err, n, "\"%.*s\": the value is not valid UTF-8",
		    (int)nl, arg);
	else if (ce_text_check(eq + 1, strlen(eq + 1), why, sizeof(why)) ==
	    -1)
		return seterr(err, n, "\"%.*s\": %s", (int)nl, arg, why);
	e->name = xmalloc(nl + 1);
	memcpy(e->name, arg, nl);
	e->name[nl] = '\0';
	p->next++;
	return 0;
}

/* Renders an option's value as a JSON string into b; -1 when it can't be. */
static int
optstr(struct buf *b, const char *v, const char *opt, int nonempty, char *err,
    size_t n)
{
	char why[200];

	if (nonempty && *v == '\0')
		return seterr(err, n, "%s: must not be empty", opt);
	if (buf_jsonstr(b, v, strlen(v)) == -1)
		return seterr(err, n, "%s: not valid UTF-8", opt);
	if (ce_text_check(v, strlen(v), why, sizeof(why)) == -1)
		return seterr(err, n, "%s: %s", opt, why);
	return 0;
}

int
pub_prepare(struct pub *p, char *err, size_t n)
{
	char tbuf[RFC3339_LEN + 1], why[200];
	int64_t t;

	if (p->source == NULL)
		p->source = pub_default_source();
	if (optstr(&p->srcj, p->source, "source", 1, err, n) == -1)
		return -1;
	if (ce_uri_check(p->source, strlen(p->source), 0, why, sizeof(why)) ==
	    -1)
		return seterr(err, n, "source \"%s\" %s", p->source, why);
	if (p->type != NULL && optstr(&p->typej, p->type, "type", 1, err, n)
	    == -1)
		return -1;
	if (p->subject != NULL && optstr(&p->subjj, p->subject, "subject", 1,
	    err, n) == -1)
		return -1;
	if (p->id != NULL && optstr(&p->idj, p->id, "--id", 1, err, n) == -1)
		return -1;
	if (p->schema != NULL && optstr(&p->schemaj, p->schema,
	    "--dataschema", 1, err, n) == -1)
		return -1;
	if (p->schema != NULL && ce_uri_check(p->schema, strlen(p->schema), 1,
	    why, sizeof(why)) == -1)
		return seterr(err, n, "--dataschema \"%s\" %s", p->schema, why);
	if (p->ctype != NULL && (optstr(&p->ctypej, p->ctype,
	    "--datacontenttype", 1, err, n) == -1))
		return -1;
	if (p->ctype != NULL && ce_mediatype_check(p->ctype, strlen(p->ctype),
	    why, sizeof(why)) == -1)
		return seterr(err, n, "--datacontenttype \"%s\" %s", p->ctype,
		    why);
	if (p->time != NULL) {
		/* An RFC 3339 time is kept as written, offset and all; a
		 * date or a duration becomes the time it means, in UTC. */
		if (rfc3339_parse(p->time, strlen(p->time), &t) == 0)
			buf_jsonstr(&p->timej, p->time, strlen(p->time));
		else if (time_parse(p->time, now_usec(), &t) == 0) {
			rfc3339_format(t, tbuf);
			buf_jsonstr(&p->timej, tbuf, strlen(tbuf));
		} else
			return seterr(err, n, "--time: \"%s\" is not "
			    TIME_SYNTAX, p->time);
	}
	extjson(p);
	return 0;
}

void
pub_tick(struct pub *p)
{
	p->now = now_usec();
}

/* Takes the time and id of a new event, formatting the time once a second. */
static void
stamp(struct pub *p)
{
	int64_t us = p->now != 0 ? p->now : now_usec();

	uuidv7(us, p->uuid);
	/* The lines of one read share a reading: formatted once. */
	if (us == p->stamped && p->stamp[0] != '\0')
		return;
	p->stamped = us;
	if (us / 1000000 != p->sec || p->stamp[0] == '\0') {
		rfc3339_format(us, p->stamp);
		p->sec = us / 1000000;
	} else {
		int v = (int)(us % 1000000), i;

		for (i = 25; i >= 20; i--, v /= 10)
			p->stamp[i] = (char)('0' + v % 10);
	}
}

static void
putid(struct pub *p, struct out *o)
{
	if (p->id != NULL)
		out_put(o, p->idj.p, p->idj.len);
	else {
		out_putc(o, '"');
		out_put(o, p->uuid, UUID_LEN);
		out_putc(o, '"');
	}
}

static void
puttime(struct pub *p, struct out *o)
{
	if (p->time != NULL)
		out_put(o, p->timej.p, p->timej.len);
	else {
		out_putc(o, '"');
		out_put(o, p->stamp, RFC3339_LEN);
		out_putc(o, '"');
	}
}

#define PUTLIT(o, s) out_put((o), (s), sizeof(s) - 1)

/*
 * Ends the event that starts at byte start of o's buffer with its newline,
 * unless it is over the size limit.  The caller ends the unit (out_end) or
 * drops it (out_drop): a batch is written whole or not at all.
 */
static enum pub_result
finish(struct pub *p, struct out *o, size_t start, char *err, size_t n)
{
	size_t len = o->len - start;

	if (len > p->maxsize) {
		seterr(err, n, "the event would be %zu bytes, over the limit "
		    "of %zu (--max-size)", len, p->maxsize);
		return PUB_TOOLARGE;
	}
	out_putc(o, '\n');
	return PUB_OK;
}

static enum pub_result
newevent(struct pub *p, struct out *o, const char *data, size_t len,
    const char *ctype, char *err, size_t n)
{
	size_t start = o->len;

	stamp(p);
	PUTLIT(o, "{\"specversion\":\"1.0\",\"id\":");
	putid(p, o);
	PUTLIT(o, ",\"source\":");
	out_put(o, p->srcj.p, p->srcj.len);
	PUTLIT(o, ",\"type\":");
	out_put(o, p->typej.p, p->typej.len);
	if (p->subject != NULL) {
		PUTLIT(o, ",\"subject\":");
		out_put(o, p->subjj.p, p->subjj.len);
	}
	PUTLIT(o, ",\"time\":");
	puttime(p, o);
	if (p->schema != NULL) {
		PUTLIT(o, ",\"dataschema\":");
		out_put(o, p->schemaj.p, p->schemaj.len);
	}
	out_put(o, p->extj.p, p->extj.len);
	if (data != NULL) {
		/* JSON data stays JSON: under another media type a receiver
		 * would take the value for text. */
		if (p->ctype != NULL && strcmp(ctype, "application/json") == 0 &&
		    !http_isjson(p->ctype, strlen(p->ctype))) {
			seterr(err, n, "--datacontenttype %s: the data is "
			    "JSON, so its type is JSON too (application/json, "
			    "or one ending in +json); --raw makes text data",
			    p->ctype);
			return PUB_INVALID;
		}
		PUTLIT(o, ",\"datacontenttype\":");
		if (p->ctype != NULL)
			out_put(o, p->ctypej.p, p->ctypej.len);
		else {
			out_putc(o, '"');
			out_put(o, ctype, strlen(ctype));
			out_putc(o, '"');
		}
		PUTLIT(o, ",\"data\":");
		out_put(o, data, len);
	}
	out_putc(o, '}');
	return finish(p, o, start, err, n);
}

enum pub_result
pub_event(struct pub *p, struct out *o, const char *data, size_t len,
    const char *ctype, char *err, size_t n)
{
	enum pub_result r;

	if ((r = newevent(p, o, data, len, ctype, err, n)) != PUB_OK) {
		out_drop(o);
		return r;
	}
	out_end(o);
	return PUB_OK;
}

/* A node of the data object that fields build. */
struct node {
	char *name;		/* the key */
	size_t namelen;		/* its length */
	struct buf val;		/* a leaf's JSON value */
	struct node *kids;	/* an object's members, in order */
	struct node *next;	/* the next member of the parent */
	int obj;		/* made by nesting, not a leaf */
};

static struct node *
child(struct node *parent, const char *name, size_t len)
{
	struct node *k, **pp;

	for (pp = &parent->kids; (k = *pp) != NULL; pp = &k->next)
		if (k->namelen == len && memcmp(k->name, name, len) == 0)
			return k;
	k = xmalloc(sizeof(*k));
	memset(k, 0, sizeof(*k));
	k->name = xmalloc(len + 1);
	memcpy(k->name, name, len);
	k->name[len] = '\0';
	k->namelen = len;
	*pp = k;
	return k;
}

static void
render(struct node *nd, struct buf *b)
{
	struct node *k;

	buf_putc(b, '{');
	for (k = nd->kids; k != NULL; k = k->next) {
		if (k != nd->kids)
			buf_putc(b, ',');
		buf_jsonstr(b, k->name, k->namelen);
		buf_putc(b, ':');
		if (k->obj)
			render(k, b);
		else
			buf_put(b, k->val.p, k->val.len);
	}
	buf_putc(b, '}');
}

static void
freetree(struct node *nd)
{
	struct node *k, *next;

	for (k = nd->kids; k != NULL; k = next) {
		next = k->next;
		freetree(k);
		free(k->name);
		buf_free(&k->val);
		free(k);
	}
}

/* Adds one "path=value" or "path:=json" field under root. */
static int
field(struct pub *p, struct node *root, const char *arg, char *err, size_t n)
{
	const char *eq = strchr(arg, '='), *seg, *dot, *end;
	struct node *nd = root, *k;
	int json;

	if (eq == NULL)
		return seterr(err, n, "\"%s\": key=value or key:=json expected",
		    arg);
	json = eq > arg && eq[-1] == ':';
	end = eq - json;
	if (end == arg)
		return seterr(err, n, "\"%s\": the key is empty", arg);
	for (seg = arg;; seg = dot + 1) {
		dot = memchr(seg, '.', (size_t)(end - seg));
		if (dot == NULL)
			dot = end;
		if (dot == seg)
			return seterr(err, n, "\"%.*s\": an empty key in the path",
			    (int)(end - arg), arg);
		if (!scan_utf8_valid(seg, (size_t)(dot - seg)))
			return seterr(err, n, "\"%.*s\": the key is not valid "
			    "UTF-8", (int)(end - arg), arg);
		k = child(nd, seg, (size_t)(dot - seg));
		if (dot == end) {
			if (k->obj || k->val.len > 0)
				return seterr(err, n, "\"%.*s\": given twice",
				    (int)(end - arg), arg);
			break;
		}
		if (!k->obj && k->val.len > 0)
			return seterr(err, n, "\"%.*s\": \"%.*s\" is already a "
			    "value, not an object", (int)(end - arg), arg,
			    (int)(dot - arg), arg);
		k->obj = 1;
		nd = k;
	}
	if (json) {
		char why[256];

		if (pub_json(p, &k->val, eq + 1, strlen(eq + 1), why,
		    sizeof(why)) == -1)
			return seterr(err, n, "\"%.*s\": %s", (int)(end - arg),
			    arg, why);
	} else if (buf_jsonstr(&k->val, eq + 1, strlen(eq + 1)) == -1)
		return seterr(err, n, "\"%.*s\": the value is not valid UTF-8",
		    (int)(end - arg), arg);
	return 0;
}

int
pub_fields(struct pub *p, struct buf *data, int argc, char **argv, char *err,
    size_t n)
{
	struct node root;
	int i, r = 0;

	memset(&root, 0, sizeof(root));
	for (i = 0; i < argc && r == 0; i++)
		r = field(p, &root, argv[i], err, n);
	if (r == 0)
		render(&root, data);
	freetree(&root);
	return r;
}

int
pub_json(struct pub *p, struct buf *data, const char *text, size_t len,
    char *err, size_t n)
{
	size_t before = data->len;

	if (scan_json(&p->sc, text, len) < 0)
		return seterr(err, n, "invalid JSON at byte %zu: %s",
		    p->sc.erroff + 1, p->sc.err);
	buf_put(data, p->sc.val, p->sc.vallen);
	data->len = before + scan_compact(data->p + before, p->sc.vallen,
	    data->p + before);
	return 0;
}

/* Tells whether the object that s scanned has a specversion member. */
static int
isevent(const struct scanner *s)
{
	size_t i;

	for (i = 0; i < s->nm; i++)
		if (scan_name_is(&s->m[i], "specversion"))
			return 1;
	return 0;
}

/* The attributes an incomplete event may get from us. */
static unsigned
fillable(const struct pub *p)
{
	unsigned f = 1U << CE_ID | 1U << CE_SOURCE | 1U << CE_TIME;

	if (p->type != NULL)
		f |= 1U << CE_TYPE;
	if (p->subject != NULL)
		f |= 1U << CE_SUBJECT;
	return f;
}

/*
 * Writes the event that s scanned, completed: id, source and time when it
 * lacks them, type, subject and extensions when options give them.  Added
 * attributes go right after specversion; every member it had keeps its
 * bytes, and an event that lacks nothing is written as it came.
 */
static enum pub_result
complete(struct pub *p, const struct scanner *s, struct out *o, char *err,
    size_t n)
{
	static const int order[] = { CE_ID, CE_SOURCE, CE_TYPE, CE_SUBJECT,
	    CE_TIME };
	const struct buf *val[CE_NATTR] = { 0 };
	const struct scan_member *m;
	unsigned need = 0;
	size_t i, j, start = o->len;
	char *extneed = NULL;
	int any = 0, skip;

	if (ce_check(s, &p->ev, fillable(p), err, n) == -1)
		return PUB_INVALID;
	val[CE_SOURCE] = &p->srcj;
	val[CE_TYPE] = &p->typej;
	val[CE_SUBJECT] = &p->subjj;
	for (i = 0; i < sizeof(order) / sizeof(order[0]); i++)
		if ((fillable(p) & 1U << order[i]) &&
		    p->ev.a[order[i]] == NULL)
			need |= 1U << order[i];
	if (p->next > 0) {
		extneed = xmalloc(p->next);
		for (i = 0; i < p->next; i++) {
			m = scan_find(s, p->ext[i].name);
			extneed[i] = m == NULL || m->type == SCAN_NULL;
			any |= extneed[i];
		}
	}
	if (need == 0 && !any) {
		free(extneed);
		out_put(o, s->val, s->vallen);
		return finish(p, o, start, err, n);
	}
	stamp(p);
	out_putc(o, '{');
	for (i = 0; i < s->nm; i++) {
		m = &s->m[i];
		/* A null member stands for an attribute we now set. */
		skip = 0;
		if (m->type == SCAN_NULL) {
			for (j = 0; j < sizeof(order) / sizeof(order[0]); j++)
				if ((need & 1U << order[j]) &&
				    scan_name_is(m, ce_names[order[j]]))
					skip = 1;
			for (j = 0; j < p->next; j++)
				if (extneed[j] && scan_name_is(m,
				    p->ext[j].name))
					skip = 1;
		}
		if (skip)
			continue;
		if (o->len > start + 1)
			out_putc(o, ',');
		out_put(o, m->start, (size_t)(m->val + m->vallen - m->start));
		if (i != p->ev.specpos)
			continue;
		for (j = 0; j < sizeof(order) / sizeof(order[0]); j++) {
			if (!(need & 1U << order[j]))
				continue;
			out_putc(o, ',');
			out_putc(o, '"');
			out_put(o, ce_names[order[j]],
			    strlen(ce_names[order[j]]));
			out_put(o, "\":", 2);
			if (order[j] == CE_ID)
				putid(p, o);
			else if (order[j] == CE_TIME)
				puttime(p, o);
			else
				out_put(o, val[order[j]]->p,
				    val[order[j]]->len);
		}
		for (j = 0; j < p->next; j++) {
			if (!extneed[j])
				continue;
			out_put(o, ",\"", 2);
			out_put(o, p->ext[j].name, strlen(p->ext[j].name));
			out_put(o, "\":", 2);
			out_put(o, p->ext[j].json.p, p->ext[j].json.len);
		}
	}
	out_putc(o, '}');
	free(extneed);
	return finish(p, o, start, err, n);
}

/*
 * A batch (the JSON batch format, application/cloudevents-batch+json):
 * every element must be an event; all are checked before any is written.
 */
static enum pub_result
batch(struct pub *p, struct out *o, char *err, size_t n)
{
	struct { const char *p; size_t len; } *el;
	size_t i, nel = p->sc.nm;
	char why[256];
	enum pub_result r = PUB_OK;

	el = xmalloc((nel ? nel : 1) * sizeof(*el));
	for (i = 0; i < nel; i++) {
		el[i].p = p->sc.m[i].val;
		el[i].len = p->sc.m[i].vallen;
	}
	for (i = 0; i < nel && r == PUB_OK; i++) {
		scan_json(&p->sc2, el[i].p, el[i].len);
		if (p->sc2.type != SCAN_OBJECT || !isevent(&p->sc2)) {
			seterr(err, n, "batch element %zu: not a CloudEvent",
			    i + 1);
			r = PUB_INVALID;
		} else if (ce_check(&p->sc2, &p->ev, fillable(p), why,
		    sizeof(why)) == -1) {
			seterr(err, n, "batch element %zu: %s", i + 1, why);
			r = PUB_INVALID;
		}
	}
	for (i = 0; i < nel && r == PUB_OK; i++) {
		scan_json(&p->sc2, el[i].p, el[i].len);
		if ((r = complete(p, &p->sc2, o, why, sizeof(why))) != PUB_OK)
			seterr(err, n, "batch element %zu: %s", i + 1, why);
	}
	free(el);
	return r;
}

enum pub_result
pub_line(struct pub *p, struct out *o, const char *line, size_t len,
    char *err, size_t n)
{
	enum pub_result r;
	int t;

	if (p->raw) {
		if (p->type == NULL) {
			seterr(err, n, "no -t TYPE to make an event of this "
			    "line");
			return PUB_INVALID;
		}
		p->tmp.len = 0;
		if (buf_jsonstr(&p->tmp, line, len) == -1) {
			seterr(err, n, "not valid UTF-8");
			return PUB_INVALID;
		}
		return pub_event(p, o, p->tmp.p, p->tmp.len, "text/plain", err,
		    n);
	}
	if ((t = scan_json(&p->sc, line, len)) < 0) {
		seterr(err, n, "invalid JSON at byte %zu: %s",
		    p->sc.erroff + 1, p->sc.err);
		return PUB_INVALID;
	}
	if (t == SCAN_ARRAY)
		r = batch(p, o, err, n);
	else if (t == SCAN_OBJECT && isevent(&p->sc))
		r = complete(p, &p->sc, o, err, n);
	else if (p->type == NULL) {
		seterr(err, n, "not a CloudEvent, and no -t TYPE to make one "
		    "of it");
		return PUB_INVALID;
	} else if (p->sc.deepest >= SCAN_MAXDEPTH) {
		seterr(err, n, "nested too deep to be the data of an event "
		    "(%d levels at most)", SCAN_MAXDEPTH - 1);
		return PUB_INVALID;
	} else if (t == SCAN_NULL)
		r = newevent(p, o, NULL, 0, NULL, err, n);
	else
		r = newevent(p, o, p->sc.val, p->sc.vallen, "application/json",
		    err, n);
	if (r != PUB_OK)
		out_drop(o);
	else
		out_end(o);
	return r;
}
