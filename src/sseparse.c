/* SPDX-License-Identifier: ISC */
/*
 * sseparse.c - the event-stream parser; see sseparse.h.
 */
#include <string.h>

#include "sseparse.h"

void
ssep_init(struct sseparse *p, size_t max,
    int (*cb)(void *, const struct sse_msg *), void *arg)
{
	memset(p, 0, sizeof(*p));
	p->max = max;
	p->start = 1;
	p->retry = -1;
	p->cb = cb;
	p->arg = arg;
	buf_putc(&p->id, '\0');
	p->id.len = 0;
}

void
ssep_restart(struct sseparse *p)
{
	p->start = 1;
	p->cr = p->skip = p->toolong = p->hasid = 0;
	p->line.len = p->data.len = p->event.len = 0;
}

void
ssep_setid(struct sseparse *p, const char *id, size_t len)
{
	p->id.len = 0;
	buf_put(&p->id, id, len);
	buf_putc(&p->id, '\0');
	p->id.len--;
}

/* A blank line: the message, if it has data, goes to the callback. */
static int
dispatch(struct sseparse *p)
{
	struct sse_msg m;
	int r = 0;

	if (p->data.len > 0 || p->toolong) {
		/* The data's last LF is not part of it. */
		if (p->data.len > 0)
			p->data.len--;
		buf_putc(&p->data, '\0');
		p->data.len--;
		buf_putc(&p->event, '\0');
		p->event.len--;
		m.data = p->toolong ? "" : p->data.p;
		m.len = p->toolong ? 0 : p->data.len;
		m.event = p->event.len > 0 ? p->event.p : "message";
		m.id = p->id.p;
		m.hasid = p->hasid;
		m.toolong = p->toolong;
		r = p->cb(p->arg, &m);
	}
	p->data.len = p->event.len = 0;
	p->toolong = p->hasid = 0;
	return r;
}

/* One whole line, its end taken off. */
static int
line(struct sseparse *p, const char *s, size_t n)
{
	const char *colon, *v;
	size_t flen, vlen, i;

	if (n == 0)
		return dispatch(p);
	if (s[0] == ':')
		return 0;
	if ((colon = memchr(s, ':', n)) != NULL) {
		flen = (size_t)(colon - s);
		v = colon + 1;
		vlen = n - flen - 1;
		if (vlen > 0 && *v == ' ') {
			v++;
			vlen--;
		}
	} else {
		flen = n;
		v = s + n;
		vlen = 0;
	}
	if (flen == 4 && memcmp(s, "data", 4) == 0) {
		if (p->toolong || p->data.len + vlen + 1 > p->max) {
			p->toolong = 1;
			p->data.len = 0;
			return 0;
		}
		buf_put(&p->data, v, vlen);
		buf_putc(&p->data, '\n');
	} else if (flen == 5 && memcmp(s, "event", 5) == 0) {
		p->event.len = 0;
		buf_put(&p->event, v, vlen);
	} else if (flen == 2 && memcmp(s, "id", 2) == 0) {
		if (memchr(v, '\0', vlen) == NULL) {
			ssep_setid(p, v, vlen);
			p->hasid = 1;
		}
	} else if (flen == 5 && memcmp(s, "retry", 5) == 0) {
		for (i = 0; i < vlen && v[i] >= '0' && v[i] <= '9'; i++)
			;
		if (vlen > 0 && i == vlen && vlen < 10) {
			p->retry = 0;
			for (i = 0; i < vlen; i++)
				p->retry = p->retry * 10 + (v[i] - '0');
		}
	}
	return 0;
}

/* Ends the line being read. */
static int
endline(struct sseparse *p)
{
	int r = 0;

	if (p->skip) {
		/* A line over max: its message is dropped, and said. */
		p->toolong = 1;
		p->data.len = 0;
	} else
		r = line(p, p->line.p, p->line.len);
	p->line.len = 0;
	p->skip = 0;
	return r;
}

int
ssep_feed(struct sseparse *p, const char *s, size_t n)
{
	const char *end = s + n, *e;
	size_t take;
	int r;

	while (s < end) {
		if (p->start) {
			/* A BOM, whole or cut across pieces. */
			static const char bom[] = "\xef\xbb\xbf";

			while (s < end && p->line.len < 3 &&
			    *s == bom[p->line.len]) {
				buf_putc(&p->line, *s++);
			}
			if (s == end && p->line.len < 3)
				return 0;
			if (p->line.len < 3) {
				/* Not a BOM: what was kept is the line's. */
			} else
				p->line.len = 0;
			p->start = 0;
			continue;
		}
		if (p->cr) {
			p->cr = 0;
			if (*s == '\n') {
				s++;
				continue;
			}
		}
		for (e = s; e < end && *e != '\n' && *e != '\r'; e++)
			;
		take = (size_t)(e - s);
		if (!p->skip && p->line.len + take > p->max) {
			p->skip = 1;
			p->line.len = 0;
		}
		if (!p->skip)
			buf_put(&p->line, s, take);
		s = e;
		if (s == end)
			break;
		p->cr = *s == '\r';
		s++;
		if ((r = endline(p)) != 0)
			return r;
	}
	return 0;
}

void
ssep_free(struct sseparse *p)
{
	buf_free(&p->line);
	buf_free(&p->data);
	buf_free(&p->event);
	buf_free(&p->id);
}
