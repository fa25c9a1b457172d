/* SPDX-License-Identifier: ISC */
/*
 * out.c - buffered output in whole events.
 */
#include <sys/file.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "out.h"
#include "scan.h"
#include "util.h"

/* Buffer size, also most bytes per write: no more, since a larger write
 * is slower to copy into the page cache (see WCHUNK in store.c). */
#define OUT_CAP (128 * 1024)
/*
 * The size asked for a pipe on stdout: room for two buffers.  1 MiB was
 * no faster (evpub -l | cat, six runs of each), and each enlarged pipe
 * counts against its user's pipe-user-pages-soft (64 MiB), past which
 * every new pipe of that user gets one page: 256 such pipes, not 64.
 */
#define OUT_PIPESZ (256 * 1024)

/* The longest last line mend reads to judge it: past it, kept as it is. */
#define MEND_MAX (64 << 20)

/* A call on o failed (errno): o takes nothing more, and keeps why. */
static int
failed(struct out *o, const char *op)
{
	o->err = errno;
	o->errop = op;
	o->closed = 1;
	return -1;
}

/*
 * A file appended to whose last line has no end: a run killed in the
 * middle of a write(2) leaves the start of an event there (SIGKILL cuts
 * a write of a regular file short), and the next event, run on into that
 * line, would be lost with it.  So, under the file's lock: a last line
 * that is a whole JSON value (a write cut just before its "\n") is
 * ended; the start of an event ('{' and no whole value) is cut off, and
 * said (a consumer's position did not move past it: the event comes
 * again); anything else, text of the user's, is ended and kept.
 */
static void
mend(struct out *o)
{
	struct scanner sc;
	struct stat st;
	char *tail = NULL, c, self[64];
	off_t at, from;
	size_t len;
	ssize_t got;
	int ok, fd;

	if (fstat(o->fd, &st) == -1 || !S_ISREG(st.st_mode) ||
	    st.st_size == 0 || !(fcntl(o->fd, F_GETFL) & O_APPEND))
		return;
	/* Opened for writing only (stdout, >>): read through another. */
	snprintf(self, sizeof(self), "/proc/self/fd/%d", o->fd);
	if ((fd = open(self, O_RDONLY | O_CLOEXEC)) == -1)
		return;
	if (pread(fd, &c, 1, st.st_size - 1) != 1 || c == '\n') {
		close(fd);
		return;
	}
	if (flock(o->fd, LOCK_EX) == -1) {
		(void)failed(o, "flock");
		close(fd);
		return;
	}
	/* Again under the lock: another writer may have ended it. */
	if (fstat(o->fd, &st) == -1 || pread(fd, &c, 1, st.st_size - 1) !=
	    1 || c == '\n')
		goto out;
	from = st.st_size > MEND_MAX ? st.st_size - MEND_MAX : 0;
	len = (size_t)(st.st_size - from);
	tail = xmalloc(len);
	if ((got = pread(fd, tail, len, from)) != (ssize_t)len) {
		if (got >= 0)
			errno = EIO;
		(void)failed(o, "read");
		goto out;
	}
	for (at = st.st_size; at > from && tail[at - 1 - from] != '\n'; at--)
		;
	if (at == from && from > 0)
		goto end;	/* longer than we judge: kept */
	len = (size_t)(st.st_size - at);
	scan_init(&sc);
	ok = scan_json(&sc, tail + (at - from), len) >= 0;
	scan_free(&sc);
	if (!ok && tail[at - from] == '{') {
		if (ftruncate(o->fd, at) == -1) {
			(void)failed(o, "ftruncate");
			goto out;
		}
		warnw(o->name, "its last line, %zu bytes, was the start of an "
		    "event (a run killed while writing it): cut off", len);
		goto out;
	}
	if (!ok)
		warnw(o->name, "its last line had no end: ended, and kept");
end:
	if (writeall(o->fd, "\n", 1) == -1)
		(void)failed(o, "write");
out:
	(void)flock(o->fd, LOCK_UN);
	close(fd);
	free(tail);
}

void
out_open(struct out *o, const char *path)
{
	struct stat st;
	int fd;

	memset(o, 0, sizeof(*o));
	/* A reader that goes away is an ordinary end, reported by EPIPE. */
	signal(SIGPIPE, SIG_IGN);
	o->cap = OUT_CAP;
	o->limit = OUT_CAP;
	if (path == NULL || strcmp(path, "-") == 0) {
		o->fd = STDOUT_FILENO;
		o->name = "stdout";
		/*
		 * A pipe holds 64 KiB: a write of a whole buffer then waits
		 * for the reader halfway, and the two take turns.  Enlarged,
		 * it takes each write whole.  A pipe made larger by someone
		 * else is left so; a failure (a pipe-max-size below it, the
		 * user's pipe pages spent) leaves it as it was.
		 */
		if (fstat(o->fd, &st) == 0 && S_ISFIFO(st.st_mode) &&
		    fcntl(o->fd, F_GETPIPE_SZ) < OUT_PIPESZ)
			(void)fcntl(o->fd, F_SETPIPE_SZ, OUT_PIPESZ);
	} else {
		if (stat(path, &st) == 0 && S_ISFIFO(st.st_mode)) {
			fd = openfile(path, O_WRONLY, 0);
			o->limit = PIPE_BUF;
			o->fifo = 1;
		} else {
			fd = openfile(path, O_WRONLY | O_APPEND | O_CREAT,
			    0600);
			if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode))
				o->lock = 1;
		}
		o->fd = fd;
		o->name = path;
	}
	o->buf = xmalloc(o->cap);
	mend(o);
}

void
out_mem(struct out *o)
{
	memset(o, 0, sizeof(*o));
	o->fd = -1;
	o->name = "memory";
	o->cap = OUT_CAP;
	o->limit = (size_t)-1;
	o->buf = xmalloc(o->cap);
}

void
out_sink(struct out *o, void (*sink)(void *, const char *, size_t),
    void *arg, size_t limit)
{
	out_mem(o);
	o->name = "sink";
	o->sink = sink;
	o->sinkarg = arg;
	o->limit = limit;
}


/* Writes buf[0..n) in one write(2) when it can; returns 0 or -1. */
static int
emit(struct out *o, const char *p, size_t n)
{
	int r, lock;

	if (o->sink != NULL) {
		if (n > 0)
			o->sink(o->sinkarg, p, n);
		return 0;
	}
	if (n == 0 || o->closed || o->fd < 0)
		return o->closed ? -1 : 0;
	/*
	 * The lock orders our appends with those of evlog and others.  On a
	 * FIFO, a write up to PIPE_BUF is atomic by itself; a longer one (a
	 * single large event) is not, so it takes the FIFO's lock
	 * exclusively, and the short ones take it shared: they may go
	 * together, but never into the middle of a long one.
	 */
	lock = o->lock ? LOCK_EX : !o->fifo ? 0 : n > PIPE_BUF ? LOCK_EX :
	    LOCK_SH;
	if (lock && flock(o->fd, lock) == -1)
		return failed(o, "flock");
	r = writeall(o->fd, p, n);
	if (lock)
		(void)flock(o->fd, LOCK_UN);
	if (r == -1 && errno == EPIPE) {
		o->closed = 1;	/* the reader went away: no error */
		return -1;
	}
	if (r == -1)
		return failed(o, "write");
	return 0;
}

int
out_flush(struct out *o)
{
	int r;

	r = emit(o, o->buf, o->mark);
	memmove(o->buf, o->buf + o->mark, o->len - o->mark);
	o->len -= o->mark;
	o->mark = 0;
	return r;
}

void
out_idle(void *o)
{
	(void)out_flush(o);
}

void
out_grow(struct out *o, size_t n)
{
	o->cap = o->len + n > 2 * o->cap ? o->len + n : 2 * o->cap;
	o->buf = xrealloc(o->buf, o->cap);
}

void
out_end(struct out *o)
{
	/* Keep a write within the limit: send what came before first. */
	if (o->len > o->limit && o->mark > 0)
		(void)out_flush(o);
	o->mark = o->len;
	if (o->len >= o->limit)
		(void)out_flush(o);
}

int
out_write(struct out *o, const char *p, size_t n)
{
	const char *q;
	size_t k;

	if (out_flush(o) == -1)
		return -1;
	/* Within the limit, as out_end keeps it: whole events in each
	 * write, and an event longer than the limit by itself. */
	for (; n > o->limit; p += k, n -= k) {
		if ((q = memrchr(p, '\n', o->limit)) == NULL)
			q = memchr(p + o->limit, '\n', n - o->limit);
		k = q == NULL ? n : (size_t)(q - p) + 1;
		if (emit(o, p, k) == -1)
			return -1;
	}
	return emit(o, p, n);
}

void
out_drop(struct out *o)
{
	o->len = o->mark;
}

int
out_close(struct out *o)
{
	int r;

	out_drop(o);
	r = out_flush(o);
	if (o->fd != STDOUT_FILENO && o->fd >= 0) {
		if (close(o->fd) == -1 && !o->closed)
			r = failed(o, "close");
	}
	free(o->buf);
	o->buf = NULL;
	return r;
}

int
out_error(const struct out *o, char *err, size_t n)
{
	if (o->err == 0)
		return 0;
	return seterr(err, n, "%s: %s: %s", o->name, o->errop,
	    strerror(o->err));
}
