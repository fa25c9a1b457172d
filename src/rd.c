/* SPDX-License-Identifier: ISC */
/*
 * rd.c - the buffered line reader.  One large buffer, lines returned in
 * place, memchr to find their ends: no copy in the common case.
 */
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "rd.h"
#include "util.h"

#define RD_CHUNK (256 * 1024)	/* the least we ask read(2) for */

void
rd_init(struct reader *r, int fd, const char *name, size_t max)
{
	memset(r, 0, sizeof(*r));
	r->fd = fd;
	r->name = name;
	r->max = max;
	r->cap = RD_CHUNK;
	r->buf = xmalloc(r->cap);
	r->rejfd = -1;
}

void
rd_free(struct reader *r)
{
	free(r->buf);
	r->buf = NULL;
}

void
rd_reset(struct reader *r)
{
	r->start = r->end = r->scan = 0;
	r->eof = r->skipping = 0;
}

/* RD_ERROR, saying where and what failed; errno is the call's. */
static enum rd_status
failed(struct reader *r, const char *where, const char *op)
{
	r->errwhere = where;
	r->errop = op;
	return RD_ERROR;
}

/*
 * Reads more bytes after r->end, making room first.  Before a read that
 * would block, calls r->idle, so that output waiting in a buffer goes out
 * while no more input is there to add to it; or, with r->nb, returns -2
 * instead of blocking.  Returns the count read, 0 at EOF, -1 on error.
 */
static ssize_t
fill(struct reader *r)
{
	struct pollfd pfd;
	ssize_t n;

	if (r->start > 0 && (r->start == r->end || r->cap - r->end < RD_CHUNK)) {
		memmove(r->buf, r->buf + r->start, r->end - r->start);
		r->end -= r->start;
		r->scan -= r->start;
		r->start = 0;
	}
	if (r->cap - r->end < RD_CHUNK) {
		r->cap = r->end + RD_CHUNK;
		r->buf = xrealloc(r->buf, r->cap);
	}
	if (r->idle != NULL || r->nb) {
		pfd.fd = r->fd;
		pfd.events = POLLIN;
		if (poll(&pfd, 1, 0) == 0) {
			if (r->nb)
				return -2;
			r->idle(r->idlearg);
		}
	}
	do
		n = read(r->fd, r->buf + r->end, r->cap - r->end);
	while (n < 0 && errno == EINTR);
	if (n < 0 && errno == EAGAIN)
		return -2;
	if (n > 0) {
		r->end += (size_t)n;
		r->reads++;
	}
	return n;
}

/*
 * Skips the rest of an over-long line, streaming it to r->rejfd: the part
 * already in the buffer first.  Resumable: with nb or tail it may return
 * RD_AGAIN or RD_EOF part-way, and goes on at the next call.
 */
static enum rd_status
skiplong(struct reader *r, struct line *l)
{
	char *nl;
	size_t n;
	ssize_t got;

	r->skipping = 1;
	for (;;) {
		nl = memchr(r->buf + r->scan, '\n', r->end - r->scan);
		n = nl ? (size_t)(nl + 1 - (r->buf + r->start)) :
		    r->end - r->start;
		if (r->rejfd >= 0 && writeall(r->rejfd, r->buf + r->start,
		    n) == -1)
			return failed(r, r->rejname, "write");
		r->start += n;
		r->scan = r->start;
		if (nl != NULL)
			break;
		r->start = r->end = r->scan = 0;
		got = fill(r);
		if (got == -2)
			return RD_AGAIN;
		if (got < 0)
			return failed(r, r->name, "read");
		if (got == 0) {
			if (r->tail)
				return RD_EOF;
			r->eof = 1;
			if (r->rejfd >= 0 && writeall(r->rejfd, "\n", 1) == -1)
				return failed(r, r->rejname, "write");
			break;
		}
	}
	r->skipping = 0;
	l->p = NULL;
	l->len = l->rawlen = 0;
	l->lineno = ++r->lineno;
	return RD_TOOLONG;
}

static int
blank(const char *p, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		if (p[i] != ' ' && p[i] != '\t' && p[i] != '\r')
			return 0;
	return 1;
}

enum rd_status
rd_line(struct reader *r, struct line *l)
{
	char *nl, *p;
	size_t len, raw;
	ssize_t n;

	if (r->skipping)
		return skiplong(r, l);
	for (;;) {
		nl = memchr(r->buf + r->scan, '\n', r->end - r->scan);
		if (nl == NULL) {
			r->scan = r->end;
			/* Room for the terminator: max bytes plus "\r". */
			if (r->end - r->start > r->max + 1)
				return skiplong(r, l);
			if (r->eof) {
				if (r->start == r->end)
					return RD_EOF;
				/* The unterminated last line. */
				p = r->buf + r->start;
				raw = len = r->end - r->start;
				r->start = r->scan = r->end;
				goto found;
			}
			n = fill(r);
			if (n == -2)
				return RD_AGAIN;
			if (n < 0)
				return failed(r, r->name, "read");
			/* A growing file's last line may be half written. */
			if (n == 0 && r->tail)
				return RD_EOF;
			if (n == 0)
				r->eof = 1;
			continue;
		}
		p = r->buf + r->start;
		raw = (size_t)(nl + 1 - p);
		len = raw - 1;
		r->start = r->scan = (size_t)(nl + 1 - r->buf);
found:
		r->lineno++;
		if (len > 0 && p[len - 1] == '\r')
			len--;
		if (len > r->max) {
			if (r->rejfd >= 0 && writeall(r->rejfd, p, raw) == -1)
				return failed(r, r->rejname, "write");
			if (r->rejfd >= 0 && p[raw - 1] != '\n' &&
			    writeall(r->rejfd, "\n", 1) == -1)
				return failed(r, r->rejname, "write");
			l->p = NULL;
			l->len = l->rawlen = 0;
			l->lineno = r->lineno;
			return RD_TOOLONG;
		}
		if (len == 0 || ((*p == ' ' || *p == '\t' || *p == '\r') &&
		    blank(p, len)))
			continue;
		l->p = p;
		l->len = len;
		l->rawlen = raw;
		l->lineno = r->lineno;
		if (memchr(p, '\0', len) != NULL)
			return RD_NUL;
		return RD_LINE;
	}
}
