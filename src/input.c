/* SPDX-License-Identifier: ISC */
/*
 * input.c - reading several inputs, and following them.
 */
#include <sys/inotify.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "input.h"
#include "timefmt.h"
#include "util.h"

#define TICK_MS 1000	/* how often a followed file is checked anyway */

static void
watch(struct inputs *in, struct input *p)
{
	if (in->ifd < 0 || p->path == NULL)
		return;
	p->wd = inotify_add_watch(in->ifd, p->path, IN_MODIFY | IN_ATTRIB |
	    IN_CLOSE_WRITE | IN_MOVE_SELF | IN_DELETE_SELF);
}

/* Opens p->path as it is now; returns the descriptor or -1. */
static int
openpath(struct input *p)
{
	struct stat st;
	int fd;

	/* O_NONBLOCK: a FIFO opens at once, writer or not; poll waits. */
	fd = open(p->path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	if (fd == -1)
		return -1;
	if (fstat(fd, &st) == -1) {
		close(fd);
		return -1;
	}
	p->dev = st.st_dev;
	p->ino = st.st_ino;
	p->kind = S_ISFIFO(st.st_mode) ? IN_FIFO : IN_FILE;
	if (p->kind == IN_FILE)
		(void)fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
	return fd;
}

/* RD_ERROR, saying where and what failed; errno is the call's. */
static enum rd_status
failed(struct inputs *in, const char *where, const char *op)
{
	in->errwhere = where;
	in->errop = op;
	return RD_ERROR;
}

int
inputs_open(struct inputs *in, struct common *c, char **paths, size_t n,
    int follow)
{
	struct input *p;
	struct stat st;
	size_t i;
	int e, fd;

	memset(in, 0, sizeof(*in));
	in->ifd = -1;
	in->follow = follow;
	in->n = n ? n : 1;
	in->v = xmalloc(in->n * sizeof(*in->v));
	in->pfd = xmalloc((in->n + 1) * sizeof(*in->pfd));
	memset(in->v, 0, in->n * sizeof(*in->v));
	if (follow)
		in->ifd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	for (i = 0; i < in->n; i++) {
		p = &in->v[i];
		p->wd = -1;
		if (n == 0 || strcmp(paths[i], "-") == 0) {
			p->name = "stdin";
			fd = STDIN_FILENO;
			p->kind = fstat(fd, &st) == 0 && S_ISREG(st.st_mode) ?
			    IN_FILE : IN_PIPE;
		} else {
			p->path = p->name = paths[i];
			if ((fd = openpath(p)) == -1) {
				(void)failed(in, p->name, "open");
				/* Nothing of it stays: the ones opened
				 * before are closed (errno kept). */
				e = errno;
				in->n = i;
				inputs_close(in);
				errno = e;
				return -1;
			}
			if (p->kind == IN_FILE)
				watch(in, p);
		}
		common_reader(c, &p->r, fd, p->name);
		p->r.nb = p->kind != IN_FILE;
		p->r.tail = follow && p->kind == IN_FILE;
	}
	in->last = now_usec();
	return 0;
}

void
inputs_live(struct inputs *in, struct common *c, int fd, const char *path,
    const char *name)
{
	struct input *p;

	memset(in, 0, sizeof(*in));
	in->ifd = -1;
	in->follow = 1;
	in->n = 1;
	in->v = xmalloc(sizeof(*in->v));
	in->pfd = xmalloc(2 * sizeof(*in->pfd));
	p = &in->v[0];
	memset(p, 0, sizeof(*p));
	p->wd = -1;
	p->path = path;
	p->name = name;
	p->kind = path != NULL ? IN_FIFO : IN_PIPE;
	p->whole = 1;
	common_reader(c, &p->r, fd, name);
	p->r.nb = 1;
	p->r.tail = 1;
	in->last = now_usec();
}

void
inputs_close(struct inputs *in)
{
	size_t i;

	for (i = 0; i < in->n; i++) {
		if (in->v[i].r.fd != STDIN_FILENO && in->v[i].r.fd >= 0)
			close(in->v[i].r.fd);
		rd_free(&in->v[i].r);
	}
	if (in->ifd >= 0)
		close(in->ifd);
	free(in->v);
	free(in->pfd);
}

/*
 * At the end of a followed file: checks with stat(2) whether it was
 * truncated or replaced.  Returns 1 when there is something new to read,
 * -1 when a call failed (in->errwhere, errop, errno).
 */
static int
recheck(struct inputs *in, struct input *p)
{
	struct stat st, now;
	off_t off;
	int fd;

	if (fstat(p->r.fd, &st) == -1)
		return failed(in, p->name, "fstat"), -1;
	off = lseek(p->r.fd, 0, SEEK_CUR);
	if (off > st.st_size) {
		warnw(p->name, "truncated; reading it from the start");
		if (lseek(p->r.fd, 0, SEEK_SET) == -1)
			return failed(in, p->name, "lseek"), -1;
		rd_reset(&p->r);
		p->r.lineno = 0;
		return 1;
	}
	if (p->path == NULL || stat(p->path, &now) == -1 ||
	    (now.st_dev == p->dev && now.st_ino == p->ino))
		return 0;
	/*
	 * Renamed over or rotated.  The old file's unterminated last line
	 * will get no end now: read it as it is (it is checked like any
	 * other line) before taking the new file.
	 */
	if (!p->rotating && (p->r.end > p->r.start || p->r.skipping)) {
		p->rotating = 1;
		p->r.tail = 0;
		return 1;
	}
	p->rotating = 0;
	if ((fd = openpath(p)) == -1)
		return 0;
	warnw(p->name, "replaced; reading the new file");
	close(p->r.fd);
	if (p->wd >= 0)
		(void)inotify_rm_watch(in->ifd, p->wd);
	p->r.fd = fd;
	rd_reset(&p->r);
	p->r.lineno = 0;
	p->r.nb = p->kind != IN_FILE;
	p->r.tail = p->kind == IN_FILE;
	if (p->kind == IN_FILE)
		watch(in, p);
	return 1;
}

/*
 * The last writer of a followed FIFO went away: wait for the next one.
 * Returns 0, or -1 when the FIFO cannot be opened again.
 */
static int
reopen(struct inputs *in, struct input *p)
{
	int fd;

	if ((fd = open(p->path, O_RDONLY | O_NONBLOCK | O_CLOEXEC)) == -1)
		return failed(in, p->name, "open"), -1;
	close(p->r.fd);
	p->r.fd = fd;
	p->r.eof = 0;
	return 0;
}

/*
 * The last writer of a FIFO whose writers write whole lines went away:
 * what is left of a line is a dead writer's, and is dropped.  That holds
 * for an over-long line being skipped too: left skipping, the reader
 * would take the next writer's first event for the rest of it, and lose
 * it.  Its bytes went to the rejects file as they streamed past: a
 * newline ends them there.  Returns 0, or -1 when that write failed.
 */
static int
dropremains(struct inputs *in, struct input *p)
{
	if (p->r.skipping) {
		warnw(p->name, "a writer went away in the middle of an event "
		    "over --max-size: the rest of it dropped");
		if (p->r.rejfd >= 0 && writeall(p->r.rejfd, "\n", 1) == -1)
			return failed(in, p->r.rejname, "write"), -1;
	} else if (p->r.end > p->r.start)
		warnw(p->name, "a writer went away in the middle of an event: "
		    "%zu bytes dropped", p->r.end - p->r.start);
	else
		return 0;
	rd_reset(&p->r);
	return 0;
}

static void
drain(int fd)
{
	char buf[4096];

	while (read(fd, buf, sizeof(buf)) > 0)
		;
}

enum rd_status
inputs_next(struct inputs *in, struct line *l, struct input **which)
{
	struct pollfd *pfd = in->pfd;
	struct input *p;
	enum rd_status st;
	int64_t now;
	size_t i, np;
	int timeout, active, again, k;

	for (;;) {
		active = 0;
		again = 0;
		for (i = in->follow ? 0 : in->cur; i < in->n; i++) {
			p = &in->v[i];
			if (p->done)
				continue;
			active = 1;
			st = rd_line(&p->r, l);
			switch (st) {
			case RD_LINE:
			case RD_TOOLONG:
			case RD_NUL:
				*which = p;
				if (in->idle > 0)
					in->last = now_usec();
				return st;
			case RD_ERROR:
				return failed(in, p->r.errwhere, p->r.errop);
			case RD_EOF:
				if (!in->follow || p->kind == IN_PIPE) {
					p->done = 1;
					in->cur = i + 1;
					again = 1;
				} else if (p->kind == IN_FIFO) {
					if (p->whole && dropremains(in, p) == -1)
						return RD_ERROR;
					/* Flushed before anything can stop
					 * us, and the hook may have more to
					 * check. */
					if (in->flush != NULL &&
					    in->flush(in->arg) == -1)
						return RD_EOF;
					if (reopen(in, p) == -1)
						return RD_ERROR;
				} else if ((k = recheck(in, p)) == -1)
					return RD_ERROR;
				else if (k)
					again = 1;
				break;
			default:
				break;
			}
			if (!in->follow)
				break;
		}
		if (!active)
			return RD_EOF;
		if (again)
			continue;
		if (in->flush != NULL && in->flush(in->arg) == -1)
			return RD_EOF;
		/* Wait for the inputs that can make us wait. */
		np = 0;
		for (i = in->follow ? 0 : in->cur; i < in->n; i++) {
			p = &in->v[i];
			if (!p->done && p->kind != IN_FILE) {
				pfd[np].fd = p->r.fd;
				pfd[np++].events = POLLIN;
			}
			if (!in->follow)
				break;
		}
		if (in->ifd >= 0) {
			pfd[np].fd = in->ifd;
			pfd[np++].events = POLLIN;
		}
		timeout = in->follow ? TICK_MS : -1;
		if (in->idle > 0) {
			now = now_usec();
			if (now - in->last >= in->idle)
				return RD_TIMEOUT;
			if (timeout < 0 || (in->idle - (now - in->last)) / 1000 <
			    timeout)
				timeout = (int)((in->idle - (now - in->last) +
				    999) / 1000);
		}
		if (poll(pfd, np, timeout) == -1 && errno != EINTR)
			return failed(in, NULL, "poll");
		if (in->ifd >= 0)
			drain(in->ifd);
	}
}
