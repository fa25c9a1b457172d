/* SPDX-License-Identifier: ISC */
/*
 * common.c - what every program shares in its run: the shared limits,
 * colour, and the one way a bad line is reported.  Nothing here exits:
 * the command line's side, which does, is cli.c.
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common.h"
#include "util.h"

void
common_init(struct common *c, void (*usage)(FILE *, int))
{
	memset(c, 0, sizeof(*c));
	c->maxsize = DEFAULT_MAXSIZE;
	c->rejfd = -1;
	c->usage = usage;
}

int
term_escapes(int fd)
{
	const char *term = getenv("TERM");

	return isatty(fd) && (term == NULL || strcmp(term, "dumb") != 0);
}

int
common_color(const struct common *c, int fd)
{
	const char *nc = getenv("NO_COLOR");

	if (c->color != COLOR_AUTO)
		return c->color == COLOR_ALWAYS;
	return term_escapes(fd) && (nc == NULL || *nc == '\0');
}

void
common_reader(struct common *c, struct reader *r, int fd, const char *name)
{
	rd_init(r, fd, name, c->maxsize);
	r->rejfd = c->rejfd;
	r->rejname = c->rejects;
}

int
vreject_line(struct common *c, const char *name, const struct line *l,
    const char *fmt, va_list ap)
{
	char where[512], what[512];

	c->status = EXIT_INVALID;
	if (l->p != NULL && c->rejfd >= 0) {
		if (writeall(c->rejfd, l->p, l->rawlen) == -1 ||
		    (l->p[l->rawlen - 1] != '\n' &&
		    writeall(c->rejfd, "\n", 1) == -1))
			return -1;
	}
	if (c->quiet)
		return 0;
	snprintf(where, sizeof(where), "%s:%llu", name,
	    (unsigned long long)l->lineno);
	vsnprintf(what, sizeof(what), fmt, ap);
	warnw(where, "%s", what);
	return 0;
}

int
reject_line(struct common *c, const char *name, const struct line *l,
    const char *fmt, ...)
{
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = vreject_line(c, name, l, fmt, ap);
	va_end(ap);
	return r;
}

int
unread_line(struct common *c, const char *name, const struct line *l,
    enum rd_status st)
{
	if (st == RD_TOOLONG)
		return reject_line(c, name, l, "longer than %zu bytes "
		    "(--max-size)", c->maxsize) == -1 ? -1 : 1;
	if (st == RD_NUL)
		return reject_line(c, name, l, "a NUL byte in the line") ==
		    -1 ? -1 : 1;
	return 0;
}

