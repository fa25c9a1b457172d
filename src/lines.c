/* SPDX-License-Identifier: ISC */
/*
 * lines.c - the bottom of the log: a log file's lines read ahead in
 * chunks, the search back for a newline, and the log's error texts.  The
 * store (store.c) and the side index (idx.c) both read lines with it;
 * it calls neither, so the two stand on it without a circle.  Internal
 * to the log (log_int.h).
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log_int.h"
#include "util.h"

#define CHUNK 65536

enum log_result
log_seterr(enum log_result r, char *err, size_t n, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, n, fmt, ap);
	va_end(ap);
	return r;
}

uint64_t
log_seqof(const struct ce_event *ev)
{
	return ce_sequence(ev);
}

off_t
log_lastnl(int fd, off_t from, off_t within)
{
	char buf[CHUNK];
	off_t pos = from, floor = 0;
	ssize_t got;
	size_t want, chunk = 4096;
	char *p;

	if (within > 0 && from > within)
		floor = from - within;
	/* A line is most often shorter than a page: a lock that checks the
	 * last line (idx.c) reads one, not CHUNK. */
	while (pos > floor) {
		want = pos - floor > (off_t)chunk ? chunk : (size_t)(pos - floor);
		got = pread(fd, buf, want, pos - (off_t)want);
		if (got != (ssize_t)want)
			return -2;
		p = memrchr(buf, '\n', want);
		if (p != NULL)
			return pos - (off_t)want + (p - buf);
		pos -= (off_t)want;
		chunk = CHUNK;
	}
	return -1;
}

void
lines_init(struct lines *l, int fd, off_t off)
{
	memset(l, 0, sizeof(*l));
	l->fd = fd;
	l->cap = 1 << 20;
	l->buf = xmalloc(l->cap);
	l->off = off;
}

void
lines_free(struct lines *l)
{
	free(l->buf);
	l->buf = NULL;
}

void
lines_seek(struct lines *l, off_t off)
{
	if (off >= lines_at(l) && off <= l->off)
		l->start = l->len - (size_t)(l->off - off);
	else {
		l->start = l->len = 0;
		l->off = off;
	}
}

enum log_result
lines_next(struct lines *l, off_t end, const char **line, size_t *len,
    char *err, size_t n)
{
	char *p, *nl;
	size_t want;
	ssize_t got;

	for (;;) {
		p = l->buf + l->start;
		nl = memchr(p, '\n', l->len - l->start);
		if (nl != NULL) {
			l->start = (size_t)(nl + 1 - l->buf);
			*line = p;
			*len = (size_t)(nl - p);
			return LOG_OK;
		}
		if (l->off >= end)
			return LOG_END;
		if (l->start > 0) {
			memmove(l->buf, p, l->len - l->start);
			l->len -= l->start;
			l->start = 0;
		}
		/* A line longer than the buffer makes it grow. */
		if (l->len == l->cap) {
			if (l->cap > LOG_MAXLINE)
				return log_seterr(LOG_DAMAGED, err, n, "offset "
				    "%lld: a line over %d bytes",
				    (long long)lines_at(l), LOG_MAXLINE);
			l->cap *= 2;
			l->buf = xrealloc(l->buf, l->cap);
		}
		want = l->cap - l->len;
		if ((off_t)want > end - l->off)
			want = (size_t)(end - l->off);
		if ((got = pread(l->fd, l->buf + l->len, want, l->off)) <= 0)
			return log_seterr(LOG_IO, err, n, "read: %s", got == 0 ?
			    "the log shrank" : strerror(errno));
		l->len += (size_t)got;
		l->off += got;
	}
}

/* Makes the reason ce_validate gave in why[n] say what the line is not. */
void
notevent(char *why, size_t n)
{
	char was[512];

	snprintf(was, sizeof(was), "%s", why);
	seterr(why, n, "it is not an event: %s", was);
}

void
log_failtext(const char *path, enum log_result how, int e, const char *msg,
    const char *what, char *err, size_t n)
{
	if (msg != NULL)
		seterrw(err, n, 0, path, "%s", msg);
	else if (how == LOG_FULL)
		seterrw(err, n, 0, path, "full: sequence %llu is the last a "
		    "log can hold", (unsigned long long)SEQ_MAX);
	else
		seterrw(err, n, e, path, "append (nothing of this batch is "
		    "%s)", what);
}
