/* SPDX-License-Identifier: ISC */
/*
 * format.c - writing events for evsub.
 */
#include <stdlib.h>
#include <string.h>

#include "format.h"
#include "util.h"

#define PREVIEW 60	/* bytes of data --pretty shows */

static int
isdata(const struct scan_member *m)
{
	return scan_name_is(m, "data") || scan_name_is(m, "data_base64");
}

/* The envelope: every member but data and data_base64, bytes kept. */
static void
thin(struct out *o, const char *line, size_t len, const struct scanner *s)
{
	size_t i;
	int first = 1;

	for (i = 0; i < s->nm && !isdata(&s->m[i]); i++)
		;
	if (i == s->nm) {
		out_put(o, line, len);
		return;
	}
	out_putc(o, '{');
	for (i = 0; i < s->nm; i++) {
		if (isdata(&s->m[i]))
			continue;
		if (!first)
			out_putc(o, ',');
		first = 0;
		out_put(o, s->m[i].start, (size_t)(s->m[i].val +
		    s->m[i].vallen - s->m[i].start));
	}
	out_putc(o, '}');
}

/*
 * Writes a decoded string for a terminal: control characters, C0 and C1
 * (U+0080 to U+009F, as UTF-8), as '?', so no value can drive the
 * terminal.
 */
static void
safe(struct out *o, const char *p, size_t len)
{
	size_t i;
	unsigned char c;

	for (i = 0; i < len; i++) {
		c = (unsigned char)p[i];
		if (c == 0xc2 && i + 1 < len && (unsigned char)p[i + 1] >= 0x80 &&
		    (unsigned char)p[i + 1] <= 0x9f) {
			out_putc(o, '?');
			i++;
		} else
			out_putc(o, c < 0x20 || c == 0x7f ? '?' : c);
	}
}

static void
attr(struct out *o, const struct scan_member *m, const char *color, int on)
{
	char tmp[512];

	if (on)
		out_put(o, color, strlen(color));
	if (m == NULL)
		out_putc(o, '-');
	else if (m->vallen - 2 < sizeof(tmp)) {
		size_t n = scan_unescape(m->val + 1, m->vallen - 2, tmp);

		safe(o, tmp, n);
	} else
		safe(o, m->val + 1, m->vallen - 2);
	if (on)
		out_put(o, "\033[0m", 4);
}

/* time type subject data, one line; the data cut at PREVIEW bytes. */
static void
pretty(struct out *o, const struct ce_event *ev, int color)
{
	const struct scan_member *d = ev->a[CE_DATA];
	size_t n;

	attr(o, ev->a[CE_TIME], "\033[2m", color);
	out_putc(o, ' ');
	attr(o, ev->a[CE_TYPE], "\033[1;36m", color);
	out_putc(o, ' ');
	attr(o, ev->a[CE_SUBJECT], "\033[33m", color);
	if (d == NULL && ev->a[CE_DATA_BASE64] != NULL)
		out_put(o, " (base64)", 9);
	if (d == NULL)
		return;
	out_putc(o, ' ');
	n = d->vallen;
	if (n > PREVIEW) {
		n = PREVIEW;
		/* Do not cut a UTF-8 sequence. */
		while (n > 0 && ((unsigned char)d->val[n] & 0xc0) == 0x80)
			n--;
	}
	safe(o, d->val, n);
	if (n < d->vallen)
		out_put(o, "...", 3);
}

void
fmt_event(struct out *o, int fmt, const char *line, size_t len,
    const struct scanner *s, const struct ce_event *ev, int color)
{
	const struct scan_member *m;

	switch (fmt) {
	case FMT_THIN:
		thin(o, line, len, s);
		break;
	case FMT_DATA:
		/* data_base64 as its string; no data at all as null. */
		m = ev->a[CE_DATA] ? ev->a[CE_DATA] : ev->a[CE_DATA_BASE64];
		if (m != NULL)
			out_put(o, m->val, m->vallen);
		else
			out_put(o, "null", 4);
		break;
	case FMT_PRETTY:
		pretty(o, ev, color);
		break;
	default:
		out_put(o, line, len);
		break;
	}
	out_putc(o, '\n');
	out_end(o);
}

/* ---- --format ---- */

/* Adds the literal s[0..len) to t, joined to a literal before it. */
static void
addlit(struct tmpl *t, const char *s, size_t len)
{
	struct tmpl_part *p;

	if (t->n > 0 && t->v[t->n - 1].lit != NULL) {
		p = &t->v[t->n - 1];
		p->lit = xrealloc(p->lit, p->litlen + len + 1);
	} else {
		t->v = xrealloc(t->v, (t->n + 1) * sizeof(*t->v));
		p = &t->v[t->n++];
		memset(p, 0, sizeof(*p));
		p->lit = xmalloc(len + 1);
	}
	memcpy(p->lit + p->litlen, s, len);
	p->litlen += len;
	p->lit[p->litlen] = '\0';
}

int
tmpl_parse(struct tmpl *t, const char *text, char *err, size_t n)
{
	const char *s = text, *end;
	struct tmpl_part *p;
	char why[256], *path;
	int json;

	memset(t, 0, sizeof(*t));
	while (*s != '\0') {
		if (*s == '\\') {
			switch (s[1]) {
			case 'n': addlit(t, "\n", 1); break;
			case 't': addlit(t, "\t", 1); break;
			case '\\': addlit(t, "\\", 1); break;
			default:
				return seterr(err, n, "at byte %zu: \\%c: the "
				    "escapes are \\n, \\t and \\\\",
				    (size_t)(s - text) + 1, s[1] ? s[1] : ' ');
			}
			s += 2;
			continue;
		}
		if (*s != '%') {
			end = s + strcspn(s, "%\\");
			addlit(t, s, (size_t)(end - s));
			s = end;
			continue;
		}
		if (s[1] == '%') {
			addlit(t, "%", 1);
			s += 2;
			continue;
		}
		t->v = xrealloc(t->v, (t->n + 1) * sizeof(*t->v));
		p = &t->v[t->n];
		memset(p, 0, sizeof(*p));
		if (s[1] == 'e') {
			p->event = 1;
			t->n++;
			s += 2;
			continue;
		}
		json = s[1] == 'j';
		if (s[1 + json] != '{' || (end = strchr(s, '}')) == NULL)
			return seterr(err, n, "at byte %zu: %% takes {path}, "
			    "j{path}, e or %%: %%{type}, %%j{data.total}, %%e",
			    (size_t)(s - text) + 1);
		path = xmalloc((size_t)(end - s));
		memcpy(path, s + 2 + json, (size_t)(end - s - 2 - json));
		path[end - s - 2 - json] = '\0';
		if (*path == '\0' || strpbrk(path, "=<>!") != NULL ||
		    filter_parse(&p->path, path, why, sizeof(why)) == -1) {
			seterr(err, n, "at byte %zu: %s: not a path (an "
			    "attribute, or data.a.b)", (size_t)(s - text) + 1,
			    path);
			free(path);
			return -1;
		}
		free(path);
		p->path.text = NULL;	/* it pointed at path */
		p->json = json;
		t->n++;
		s = end + 1;
	}
	return 0;
}

void
tmpl_free(struct tmpl *t)
{
	size_t i;

	for (i = 0; i < t->n; i++) {
		free(t->v[i].lit);
		if (t->v[i].lit == NULL && !t->v[i].event)
			filter_free(&t->v[i].path);
	}
	free(t->v);
	buf_free(&t->tmp);
	memset(t, 0, sizeof(*t));
}

void
tmpl_event(struct out *o, struct tmpl *t, const char *line, size_t len,
    const struct scanner *s, const struct ce_event *ev)
{
	struct tmpl_part *p;
	struct jspan v;
	size_t i, l;

	for (i = 0; i < t->n; i++) {
		p = &t->v[i];
		if (p->lit != NULL)
			out_put(o, p->lit, p->litlen);
		else if (p->event)
			out_put(o, line, len);
		else if (!filter_lookup(&p->path, s, ev, &v)) {
			if (p->json)
				out_put(o, "null", 4);
		} else if (v.type == SCAN_STRING && !p->json) {
			t->tmp.len = 0;
			buf_reserve(&t->tmp, v.len);
			l = scan_unescape(v.p + 1, v.len - 2, t->tmp.p);
			out_put(o, t->tmp.p, l);
		} else
			out_put(o, v.p, v.len);
	}
	out_end(o);
}
