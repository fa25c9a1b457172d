/*
 * store.c - the log file: opening it safely, finding its end and last
 * sequence from the tail (never a scan of the whole file), stamping and
 * appending under the lock, seeking by sequence with a binary search over
 * the file itself, since sequences only grow.
 */
#include <sys/file.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "store.h"
#include "util.h"

#define CHUNK 65536

int
store_open(struct store *st, const char *path, int write, char *err,
    size_t n)
{
	struct stat sb;
	int flags = O_RDONLY;

	memset(st, 0, sizeof(*st));
	st->path = path;
	st->fd = -1;
	scan_init(&st->sc);
	if (write)
		flags = O_RDWR | O_APPEND | O_CREAT;
	/* A symlink where the log belongs is refused, not followed. */
	st->fd = open(path, flags | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (st->fd == -1 && errno == ELOOP)
		return seterr(err, n, "a symlink: refused (name the log itself)");
	if (st->fd == -1)
		return seterr(err, n, "open: %s", strerror(errno));
	if (fstat(st->fd, &sb) == -1)
		return seterr(err, n, "fstat: %s", strerror(errno));
	if (!S_ISREG(sb.st_mode))
		return seterr(err, n, "not a regular file: refused");
	return 0;
}

void
store_close(struct store *st)
{
	if (st->fd >= 0)
		close(st->fd);
	st->fd = -1;
	scan_free(&st->sc);
}

uint64_t
store_seqof(const struct ce_event *ev)
{
	const struct scan_member *m = ev->a[CE_SEQUENCE];
	uint64_t v = 0;
	size_t i;

	if (m == NULL || m->type != SCAN_STRING || m->valesc ||
	    m->vallen < 3 || m->vallen > 21)
		return 0;
	for (i = 1; i < m->vallen - 1; i++) {
		if (m->val[i] < '0' || m->val[i] > '9')
			return 0;
		v = v * 10 + (uint64_t)(m->val[i] - '0');
	}
	return v;
}

/* Finds the last "\n" before offset from; -1 when there is none. */
static off_t
lastnl(int fd, off_t from)
{
	char buf[CHUNK];
	off_t pos = from;
	ssize_t got;
	size_t want;
	char *p;

	while (pos > 0) {
		want = pos > CHUNK ? CHUNK : (size_t)pos;
		got = pread(fd, buf, want, pos - (off_t)want);
		if (got != (ssize_t)want)
			return -2;
		p = memrchr(buf, '\n', want);
		if (p != NULL)
			return pos - (off_t)want + (p - buf);
		pos -= (off_t)want;
	}
	return -1;
}

/* Reads the line [start, end) into b. */
static int
readline(int fd, off_t start, off_t end, struct buf *b)
{
	size_t len = (size_t)(end - start);
	ssize_t got;

	b->len = 0;
	buf_put(b, "", 0);
	if (b->cap < len + 1) {
		b->cap = len + 1;
		b->p = xrealloc(b->p, b->cap);
	}
	got = pread(fd, b->p, len, start);
	if (got != (ssize_t)len)
		return -1;
	b->len = len;
	return 0;
}

/* The sequence of the line [start, end), or 0 with err. */
static uint64_t
seqat(struct store *st, off_t start, off_t end, char *err, size_t n)
{
	struct buf b = { 0 };
	char why[256];
	uint64_t seq = 0;

	if (end - start > (off_t)LOG_MAXLINE)
		seterr(err, n, "a line of %lld bytes at offset %lld",
		    (long long)(end - start), (long long)start);
	else if (readline(st->fd, start, end, &b) == -1)
		seterr(err, n, "read: %s", strerror(errno));
	else if (ce_validate(&st->sc, b.p, b.len, &st->ev, why,
	    sizeof(why)) == -1)
		seterr(err, n, "the line at offset %lld is not an event: %s",
		    (long long)start, why);
	else if ((seq = store_seqof(&st->ev)) == 0)
		seterr(err, n, "the line at offset %lld has no sequence",
		    (long long)start);
	buf_free(&b);
	return seq;
}

/*
 * Finds the end of the whole lines (*whole) and the last sequence from the
 * tail of the file.  Returns 0, or -1 with err.
 */
static int
tail(struct store *st, off_t size, off_t *whole, char *err, size_t n)
{
	off_t nl, prev;

	st->last = 0;
	*whole = 0;
	if (size == 0)
		return 0;
	if ((nl = lastnl(st->fd, size)) == -2)
		return seterr(err, n, "read: %s", strerror(errno));
	if (nl == -1)
		return 0;	/* only a torn first line */
	*whole = nl + 1;
	if ((prev = lastnl(st->fd, nl)) == -2)
		return seterr(err, n, "read: %s", strerror(errno));
	if ((st->last = seqat(st, prev + 1, nl, err, n)) == 0)
		return seterr(err + strlen(err), n - strlen(err),
		    ": not an evlog log, or damaged (see evlog verify)");
	return 0;
}

int
store_tail(struct store *st, char *err, size_t n)
{
	struct stat sb;
	int r;

	/*
	 * Shared, so as not to read a group an appender has written but not
	 * yet made durable (or is taking back after a failed fsync): its
	 * sequences could reach readers twice.
	 */
	if (flock(st->fd, LOCK_SH) == -1)
		return seterr(err, n, "flock: %s", strerror(errno));
	if (fstat(st->fd, &sb) == -1)
		r = seterr(err, n, "fstat: %s", strerror(errno));
	else
		r = tail(st, sb.st_size, &st->end, err, n);
	(void)flock(st->fd, LOCK_UN);
	return r;
}

int
store_lock(struct store *st, int repair, char *err, size_t n)
{
	struct stat sb;
	off_t whole;

	if (flock(st->fd, LOCK_EX) == -1)
		return seterr(err, n, "flock: %s", strerror(errno));
	if (fstat(st->fd, &sb) == -1)
		return seterr(err, n, "fstat: %s", strerror(errno));
	/* Nobody appended since we last looked: what we know holds. */
	if (sb.st_size == st->end && st->end > 0)
		return 0;
	if (tail(st, sb.st_size, &whole, err, n) == -1)
		return -1;
	if (whole < sb.st_size && repair) {
		/* A crash cut the last write short: that line was never
		 * acknowledged, so cutting it loses nothing. */
		if (ftruncate(st->fd, whole) == -1 || fsync(st->fd) == -1)
			return seterr(err, n, "cutting a torn last line: %s",
			    strerror(errno));
		warnw(st->path, "cut a torn last line of %lld bytes at offset "
		    "%lld", (long long)(sb.st_size - whole), (long long)whole);
	}
	st->end = whole;
	return 0;
}

void
store_unlock(struct store *st)
{
	(void)flock(st->fd, LOCK_UN);
}

void
store_stamp(struct buf *b, const struct scanner *s, uint64_t seq)
{
	char num[32];
	size_t i;
	int first = 1, had = 0;

	for (i = 0; i < s->nm; i++)
		had |= scan_name_is(&s->m[i], "sequence");
	if (!had)
		buf_put(b, s->val, s->vallen - 1);
	else {
		buf_putc(b, '{');
		for (i = 0; i < s->nm; i++) {
			if (scan_name_is(&s->m[i], "sequence"))
				continue;
			if (!first)
				buf_putc(b, ',');
			first = 0;
			buf_put(b, s->m[i].start, (size_t)(s->m[i].val +
			    s->m[i].vallen - s->m[i].start));
		}
	}
	snprintf(num, sizeof(num), ",\"sequence\":\"%0*llu\"}\n", SEQ_DIGITS,
	    (unsigned long long)seq);
	buf_puts(b, num);
}

int
store_write(struct store *st, const struct buf *b, uint64_t last, int sync)
{
	int e;

	if (writeall(st->fd, b->p, b->len) == -1 ||
	    (sync != SYNC_NONE && fsync(st->fd) == -1)) {
		/* Not acknowledged: take it back, so that a retry does not
		 * find half of it. */
		e = errno;
		if (ftruncate(st->fd, st->end) == 0)
			(void)fsync(st->fd);
		errno = e;
		return -1;
	}
	st->end += (off_t)b->len;
	st->last = last;
	return 0;
}

off_t
store_seek(struct store *st, uint64_t seq)
{
	char buf[CHUNK], err[256];
	off_t lo = 0, hi = st->end, mid, ls, le;
	ssize_t got;
	char *p;
	uint64_t s;

	while (hi - lo > CHUNK) {
		mid = lo + (hi - lo) / 2;
		/* The first line that starts after mid. */
		ls = -1;
		for (off_t pos = mid; pos < hi && ls < 0; pos += got) {
			got = pread(st->fd, buf, sizeof(buf), pos);
			if (got <= 0)
				return lo;
			if ((p = memchr(buf, '\n', (size_t)got)) != NULL)
				ls = pos + (p - buf) + 1;
		}
		if (ls < 0 || ls >= hi) {
			hi = mid;
			continue;
		}
		le = ls;
		for (off_t pos = ls; le == ls; pos += got) {
			got = pread(st->fd, buf, sizeof(buf), pos);
			if (got <= 0)
				return lo;
			if ((p = memchr(buf, '\n', (size_t)got)) != NULL)
				le = pos + (p - buf);
		}
		s = seqat(st, ls, le, err, sizeof(err));
		if (s != 0 && s < seq)
			lo = ls;
		else
			hi = ls;
	}
	return lo;
}
