/* SPDX-License-Identifier: ISC */
/*
 * store.c - the log file: opening it safely (its lines are read with
 * lines.c, below it and the index), finding its end and last sequence
 * from the tail (never a scan of the whole file), stamping and appending
 * under the lock, seeking by sequence with a binary search over the file
 * itself, since sequences only grow.  Internal to the log (log_int.h).
 */
#include <sys/file.h>
#include <sys/stat.h>

#include <errno.h>
#include <stdarg.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log_int.h"
#include "util.h"

#define CHUNK 65536
/*
 * Most bytes in one write(2) to the log.  A group is up to 8 MiB, but on
 * Linux 6.18 ext4 a write that large is slower to copy into the page cache
 * than the same bytes in 128 KiB pieces (0.36 to 0.87 s against 0.18 to
 * 0.22 s for 462 MB on the bench machine; we think because the page cache
 * takes larger folios for larger writes, and they cost more to get).  We
 * hold the lock, so the pieces cannot interleave with another writer's.
 */
#define WCHUNK (128 * 1024)
/*
 * How far before its end damage may start for an append to move it aside
 * unasked (LOG_REPAIR_TAIL): what one group commit may have written and not
 * yet made durable when the power went, three groups of 8 MiB in the
 * pipeline and their last events, at the default --max-size.  Damage
 * further back is no crash's, and waits for evlog repair.
 */
#define TAIL_REACH ((off_t)32 << 20)

int
log_syncmode(const char *name)
{
	if (strcmp(name, "event") == 0)
		return SYNC_EVENT;
	if (strcmp(name, "batch") == 0)
		return SYNC_BATCH;
	if (strcmp(name, "none") == 0)
		return SYNC_NONE;
	return -1;
}

enum log_result
store_open(struct store *st, const char *path, int write, char *err,
    size_t n)
{
	struct stat sb;
	int flags = O_RDONLY;

	memset(st, 0, sizeof(*st));
	st->path = path;
	st->fd = -1;
	st->x.fd = -1;
	scan_init(&st->sc);
	if (write)
		flags = O_RDWR | O_APPEND | O_CREAT;
	/* A symlink where the log belongs is refused, not followed; a FIFO
	 * is refused too, without waiting for a writer (O_NONBLOCK, which
	 * a regular file ignores). */
	st->fd = open(path, flags | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC, 0600);
	if (st->fd == -1 && errno == ELOOP)
		return log_seterr(LOG_IO, err, n, "a symlink: refused (name "
		    "the log itself)");
	if (st->fd == -1)
		return log_seterr(LOG_IO, err, n, "open: %s", strerror(errno));
	if (fstat(st->fd, &sb) == -1)
		return log_seterr(LOG_IO, err, n, "fstat: %s", strerror(errno));
	if (!S_ISREG(sb.st_mode))
		return log_seterr(LOG_IO, err, n, "not a regular file: refused");
	/*
	 * The fsync of the file makes its bytes durable, not its name: a
	 * power cut could take the name of a new log away, and with it all
	 * that was acknowledged.  So an appender that finds the log empty,
	 * which it is when we made it, or when whoever made it was killed
	 * before this fsync, makes the directory durable before it writes.
	 */
	if (write && sb.st_size == 0 && fsyncparent(path) == -1)
		return log_seterr(LOG_IO, err, n, "fsync of the log's "
		    "directory: %s", strerror(errno));
	return LOG_OK;
}

void
store_close(struct store *st)
{
	if (st->fd >= 0)
		close(st->fd);
	st->fd = -1;
	scan_free(&st->sc);
	idx_close(&st->x);
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

/* The sequence of the line [start, end) in *seq: LOG_OK, or LOG_IO or
 * LOG_DAMAGED with err. */
static enum log_result
seqat(struct store *st, off_t start, off_t end, uint64_t *seq, char *err,
    size_t n)
{
	struct buf b = { 0 };
	char why[256];
	enum log_result r = LOG_DAMAGED;

	*seq = 0;
	if (end - start > (off_t)LOG_MAXLINE)
		seterr(err, n, "a line of %lld bytes at offset %lld",
		    (long long)(end - start), (long long)start);
	else if (readline(st->fd, start, end, &b) == -1)
		r = log_seterr(LOG_IO, err, n, "read: %s", strerror(errno));
	else if (ce_validate(&st->sc, b.p, b.len, &st->ev, why,
	    sizeof(why)) == -1)
		seterr(err, n, "the line at offset %lld is not an event: %s",
		    (long long)start, why);
	else if ((*seq = log_seqof(&st->ev)) == 0)
		seterr(err, n, "the line at offset %lld has no sequence",
		    (long long)start);
	else
		r = LOG_OK;
	buf_free(&b);
	return r;
}

/*
 * Finds the end of the whole lines (*whole) and the last sequence from the
 * tail of the file.  Returns LOG_OK, or LOG_IO or LOG_DAMAGED with err.
 */
static enum log_result
tail(struct store *st, off_t size, off_t *whole, char *err, size_t n)
{
	enum log_result r;
	off_t nl, prev;

	st->last = 0;
	*whole = 0;
	if (size == 0)
		return LOG_OK;
	if ((nl = log_lastnl(st->fd, size, 0)) == -2)
		return log_seterr(LOG_IO, err, n, "read: %s", strerror(errno));
	if (nl == -1)
		return LOG_OK;	/* only a torn first line */
	*whole = nl + 1;
	if ((prev = log_lastnl(st->fd, nl, 0)) == -2)
		return log_seterr(LOG_IO, err, n, "read: %s", strerror(errno));
	if ((r = seqat(st, prev + 1, nl, &st->last, err, n)) == LOG_DAMAGED)
		seterr(err + strlen(err), n - strlen(err),
		    ": not an evlog log, or damaged (see evlog verify)");
	return r;
}

/*
 * The lock's turnstile.  flock(2) wakes the readers waiting for the log
 * when an appender lets go between its groups, but hands them nothing:
 * the appender, which takes the lock again at once, can win every time
 * on a loaded machine, and the readers wait for the whole append.  So a
 * reader holds a shared lock on the log's first byte (an open file
 * description lock, fcntl(2), which flock(2) does not see) while it
 * waits for the log, and an appender takes that byte exclusively before
 * the log: the readers that were waiting get in first.  Where the file
 * system has no such locks, the turnstile is only missing: the lock
 * itself is flock's.
 */
static void
turnstile(int fd, short type)
{
	struct flock fl;

	memset(&fl, 0, sizeof(fl));
	fl.l_type = type;
	fl.l_whence = SEEK_SET;
	fl.l_start = 0;
	fl.l_len = 1;
	while (fcntl(fd, F_OFD_SETLKW, &fl) == -1 && errno == EINTR)
		;
}

enum log_result
store_tail(struct store *st, int peek, char *err, size_t n)
{
	struct stat sb;
	enum log_result r;

	/*
	 * Shared, so as not to read a group an appender has written but not
	 * yet made durable (or is taking back after a failed fsync): its
	 * sequences could reach readers twice.
	 */
	turnstile(st->fd, F_RDLCK);
	if (flock(st->fd, LOCK_SH) == -1) {
		turnstile(st->fd, F_UNLCK);
		return log_seterr(LOG_IO, err, n, "flock: %s", strerror(errno));
	}
	turnstile(st->fd, F_UNLCK);
	if (fstat(st->fd, &sb) == -1)
		r = log_seterr(LOG_IO, err, n, "fstat: %s", strerror(errno));
	else
		r = tail(st, sb.st_size, &st->end, err, n);
	if (r == LOG_OK && peek)
		idx_peek(&st->x, st->path, st->fd, st->end, st->last);
	(void)flock(st->fd, LOCK_UN);
	return r;
}

void
store_unpeek(struct store *st)
{
	idx_close(&st->x);
}

/*
 * Finds the first damage in the log from offset from on, where the line
 * before has sequence prev (0: from is the start): a line with a NUL byte,
 * one that is not an event with a sequence, one whose sequence does not
 * follow the one before, or bytes after the last newline.  *at gets its
 * offset, or size when there is none, and *last the sequence before it;
 * the reason goes to why.  Returns LOG_OK or LOG_IO with err.
 */
static enum log_result
scandamage(struct store *st, off_t from, uint64_t prev, off_t size, off_t *at,
    uint64_t *last, char *why, size_t wn, char *err, size_t n)
{
	struct lines in;
	const char *p;
	size_t len;
	uint64_t seq;
	enum log_result r;

	*at = size;
	lines_init(&in, st->fd, from);
	while ((r = lines_next(&in, size, &p, &len, why, wn)) == LOG_OK) {
		if (memchr(p, '\0', len) != NULL)
			seterr(why, wn, "it holds zero bytes");
		else if (ce_validate(&st->sc, p, len, &st->ev, why, wn) == -1)
			notevent(why, wn);
		else if ((seq = log_seqof(&st->ev)) == 0)
			seterr(why, wn, "it has no sequence");
		else if (prev > 0 && seq != prev + 1)
			seterr(why, wn, "it has sequence %llu after %llu",
			    (unsigned long long)seq, (unsigned long long)prev);
		else {
			prev = seq;
			continue;
		}
		*at = lines_off(&in, p);
		break;
	}
	if (r == LOG_DAMAGED)	/* a line over LOG_MAXLINE: why says */
		*at = lines_at(&in);
	if (r == LOG_END && lines_at(&in) < size) {
		*at = lines_at(&in);
		seterr(why, wn, "a torn last line");
	}
	lines_free(&in);
	*last = prev;
	if (r == LOG_IO)
		return log_seterr(LOG_IO, err, n, "%s", why);
	return LOG_OK;
}

/* Tells whether the bytes from offset at on (the first MiB) hold a NUL. */
static int
hasnul(int fd, off_t at, off_t size)
{
	char buf[CHUNK];
	ssize_t got;
	off_t pos;

	for (pos = at; pos < size && pos < at + (1 << 20); pos += got) {
		if ((got = pread(fd, buf, sizeof(buf), pos)) <= 0)
			return 0;
		if (memchr(buf, '\0', (size_t)got) != NULL)
			return 1;
	}
	return 0;
}

/*
 * Copies the bytes of the log from offset at to size into a new file
 * beside it, LOG.damaged-AT (LOG.damaged-AT.N when that is taken), and
 * makes it durable: only then may the log be cut.  Counts the whole
 * events with a sequence among them into *nev, the first and last such
 * sequence into *first and *last.  Returns the file's name (malloc'd), or
 * NULL with err.
 */
static char *
setaside(struct store *st, off_t at, off_t size, uint64_t *nev,
    uint64_t *first, uint64_t *last, char *err, size_t n)
{
	struct lines in;
	char *name, buf[CHUNK], why[256];
	const char *p;
	size_t len, plen = strlen(st->path) + 64;
	uint64_t seq;
	ssize_t got;
	off_t pos;
	int fd = -1, i;

	name = xmalloc(plen);
	for (i = 0; i < 100 && fd == -1; i++) {
		if (i == 0)
			snprintf(name, plen, "%s.damaged-%lld", st->path,
			    (long long)at);
		else
			snprintf(name, plen, "%s.damaged-%lld.%d", st->path,
			    (long long)at, i);
		fd = open(name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW |
		    O_CLOEXEC, 0600);
		if (fd == -1 && errno != EEXIST)
			break;
	}
	if (fd == -1) {
		seterr(err, n, "%s: %s", name, strerror(errno));
		free(name);
		return NULL;
	}
	errno = 0;
	for (pos = at; pos < size; pos += got) {
		got = pread(st->fd, buf, (size_t)(size - pos) < sizeof(buf) ?
		    (size_t)(size - pos) : sizeof(buf), pos);
		if (got <= 0 || writeall(fd, buf, (size_t)got) == -1)
			break;
	}
	if (pos < size || fsync(fd) == -1 || fsyncparent(name) == -1) {
		seterr(err, n, "%s: %s", name, pos < size && errno == 0 ?
		    "the log shrank" : strerror(errno));
		close(fd);
		(void)unlink(name);
		free(name);
		return NULL;
	}
	close(fd);
	*nev = *first = *last = 0;
	lines_init(&in, st->fd, at);
	while (lines_next(&in, size, &p, &len, why, sizeof(why)) == LOG_OK)
		if (memchr(p, '\0', len) == NULL && ce_validate(&st->sc, p,
		    len, &st->ev, why, sizeof(why)) == 0 &&
		    (seq = log_seqof(&st->ev)) != 0) {
			if ((*nev)++ == 0)
				*first = seq;
			*last = seq;
		}
	lines_free(&in);
	return name;
}

/*
 * Under the lock: moves what follows the damage at offset at (why says
 * what it is) aside, as setaside does, and cuts the log back to at, after
 * sequence last, with a warning that says what was moved where.
 */
static enum log_result
moveaside(struct store *st, off_t at, off_t size, uint64_t last,
    const char *why, char *err, size_t n)
{
	char *name, more[160] = "";
	uint64_t nev, first, final;

	if ((name = setaside(st, at, size, &nev, &first, &final, err, n)) ==
	    NULL)
		return LOG_IO;
	if (ftruncate(st->fd, at) == -1 || fsync(st->fd) == -1) {
		free(name);
		return log_seterr(LOG_IO, err, n, "cutting the damage: %s",
		    strerror(errno));
	}
	if (nev > 0)
		snprintf(more, sizeof(more), ", with %llu whole event%s in "
		    "them (sequence %llu to %llu)", (unsigned long long)nev,
		    nev == 1 ? "" : "s", (unsigned long long)first,
		    (unsigned long long)final);
	warnw(st->path, "damaged at offset %lld (%s): moved the %lld bytes "
	    "from there to the end into %s%s; the log ends at sequence %llu "
	    "(see evlog(5), Damage)", (long long)at, why, (long long)(size -
	    at), name, more, (unsigned long long)last);
	free(name);
	st->end = at;
	st->last = last;
	return LOG_OK;
}

/*
 * Damage at offset at, after sequence last, in a file of size bytes: what
 * repair may do about it.  LOG_REPAIR_TAIL moves it aside only where and
 * as a crash may have left it: within TAIL_REACH of the end, with a NUL
 * byte in it, which only a write lost to a power cut leaves (a page of
 * the file that never reached the disk reads as zeros).  Nothing moves
 * aside a file that is no log at all (damage in its first line, without
 * a NUL byte).
 */
static enum log_result
damaged(struct store *st, int repair, off_t at, off_t size, uint64_t last,
    const char *why, char *err, size_t n)
{
	int nul = hasnul(st->fd, at, size);

	if (at == 0 && !nul)
		return log_seterr(LOG_DAMAGED, err, n, "not an evlog log, or "
		    "damaged at offset 0 (%s): see evlog verify", why);
	if (repair == LOG_REPAIR_NONE || (repair == LOG_REPAIR_TAIL &&
	    (size - at > TAIL_REACH || !nul)))
		return log_seterr(LOG_DAMAGED, err, n, "damaged at offset %lld "
		    "(%s), %lld bytes before the end: %s; evlog repair moves "
		    "it aside (see evlog(5), Damage)", (long long)at, why,
		    (long long)(size - at), repair == LOG_REPAIR_NONE ?
		    "appends stop there" : "not what a crash leaves");
	return moveaside(st, at, size, last, why, err, n);
}

/* store_lock, once the lock is taken. */
static enum log_result
locked(struct store *st, int repair, char *err, size_t n)
{
	struct stat sb, now;
	enum log_result r;
	off_t whole, at;
	uint64_t last;
	char why[512];
	int got, gone;

	if (fstat(st->fd, &sb) == -1)
		return log_seterr(LOG_IO, err, n, "fstat: %s", strerror(errno));
	/*
	 * The path must still name the file we hold: one removed or replaced
	 * since it was opened (evsub --delete-topic under a running evpub,
	 * rm under evlog append) would take appends no reader ever sees, and
	 * each would be acknowledged.  Checked under the lock, which whoever
	 * removes a topic takes first, so no append slips in after it.
	 */
	if ((gone = stat(st->path, &now) == -1) && errno != ENOENT)
		return log_seterr(LOG_IO, err, n, "stat: %s", strerror(errno));
	if (gone || now.st_dev != sb.st_dev || now.st_ino != sb.st_ino)
		return log_seterr(LOG_GONE, err, n, "removed or replaced since "
		    "it was opened: nothing more is appended to it");
	/* Nobody appended since we last looked: what we know holds. */
	if (sb.st_size == st->end && st->end > 0 && repair != LOG_REPAIR_ALL)
		goto index;
	r = tail(st, sb.st_size, &whole, err, n);
	if (r == LOG_DAMAGED && repair != LOG_REPAIR_NONE) {
		/*
		 * The last line is no event: a lost write of the last group
		 * (zero bytes where its last line starts, the page where it
		 * ends on disk), or worse.  Where the damage starts takes a
		 * scan; the index, if it covers more, is then rebuilt.
		 */
		if ((r = scandamage(st, 0, 0, sb.st_size, &at, &last, why,
		    sizeof(why), err, n)) != LOG_OK)
			return r;
		if (at == sb.st_size)	/* what tail found, the scan did not */
			return log_seterr(LOG_DAMAGED, err, n, "the last line "
			    "is damaged, and no line before it (see evlog "
			    "verify)");
		if ((r = damaged(st, repair, at, sb.st_size, last, why, err,
		    n)) != LOG_OK)
			return r;
		whole = sb.st_size = at;
	}
	if (r != LOG_OK)
		return r;
	if (whole < sb.st_size && repair) {
		/* A crash cut the last write short: that line was never
		 * acknowledged, so cutting it loses nothing. */
		if (ftruncate(st->fd, whole) == -1 || fsync(st->fd) == -1)
			return log_seterr(LOG_IO, err, n, "cutting a torn last "
			    "line: %s", strerror(errno));
		warnw(st->path, "cut a torn last line of %lld bytes at offset "
		    "%lld", (long long)(sb.st_size - whole), (long long)whole);
	}
	st->end = whole;
index:
	/* evlog repair reads the whole log again, whatever the index says. */
	got = repair == LOG_REPAIR_ALL ? idx_rebuild(&st->x, st->path, st->fd,
	    st->end, st->last, err, n) : idx_attach(&st->x, st->path, st->fd,
	    st->end, st->last, err, n);
	if (got == 1) {
		/*
		 * Reading the log into its index (after a reboot: all of it)
		 * met a line that is no event, or out of sequence, before the
		 * last line: what a lost write in the middle of the last
		 * group leaves when its later pages reached the disk.  The
		 * index covers what comes before it, and stays.
		 */
		snprintf(why, sizeof(why), "%s", err);
		if ((r = damaged(st, repair, st->x.bad, st->end,
		    st->x.badlast, why, err, n)) != LOG_OK)
			return r;
		got = idx_attach(&st->x, st->path, st->fd, st->end, st->last,
		    err, n);
	}
	return got != 0 ? LOG_IO : LOG_OK;
}

enum log_result
store_lock(struct store *st, int repair, char *err, size_t n)
{
	enum log_result r;

	turnstile(st->fd, F_WRLCK);
	if (flock(st->fd, LOCK_EX) == -1) {
		turnstile(st->fd, F_UNLCK);
		return log_seterr(LOG_IO, err, n, "flock: %s", strerror(errno));
	}
	turnstile(st->fd, F_UNLCK);
	/* A log we cannot append to is not held: readers go on. */
	if ((r = locked(st, repair, err, n)) != LOG_OK)
		(void)flock(st->fd, LOCK_UN);
	return r;
}

void
store_unlock(struct store *st)
{
	(void)flock(st->fd, LOCK_UN);
}

/*
 * Writes seq as SEQ_DIGITS decimal digits, zero-padded, at p.  The zeros
 * are written, not divided out: batch_add stamps every event with 0 (a
 * dozen divisions were most of log_stamp's time).
 */
static void
digits(char *p, uint64_t seq)
{
	int i;

	for (i = SEQ_DIGITS - 1; i >= 0 && seq > 0; i--, seq /= 10)
		p[i] = (char)('0' + seq % 10);
	if (i >= 0)
		memset(p, '0', (size_t)i + 1);
}

/* Makes the digits of a sequence (below SEQ_MAX) those of the next. */
static void
nextdigits(char p[SEQ_DIGITS])
{
	int i;

	for (i = SEQ_DIGITS - 1; p[i] == '9'; i--)
		p[i] = '0';
	p[i]++;
}

void
log_stamp(struct buf *b, const struct scanner *s, uint64_t seq)
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
	memcpy(num, ",\"sequence\":\"", 13);
	digits(num + 13, seq);
	memcpy(num + 13 + SEQ_DIGITS, "\"}\n", 4);
	/* No comma when the sequence was all there was. */
	i = had && first;
	buf_put(b, num + i, 13 + SEQ_DIGITS + 3 - i);
}

void
batch_add(struct batch *bt, const struct scanner *s, const struct ce_event *ev,
    uint64_t lineno)
{
	if (bt->n == bt->cap) {
		bt->cap = bt->cap ? bt->cap * 2 : 64;
		bt->ends = xrealloc(bt->ends, bt->cap * sizeof(*bt->ends));
		bt->ev = xrealloc(bt->ev, bt->cap * sizeof(*bt->ev));
		bt->dup = xrealloc(bt->dup, bt->cap * sizeof(*bt->dup));
		bt->lineno = xrealloc(bt->lineno, bt->cap *
		    sizeof(*bt->lineno));
	}
	bt->lineno[bt->n] = lineno;
	log_stamp(&bt->b, s, 0);
	bt->ends[bt->n] = bt->b.len;
	idx_evfrom(ev, &bt->strs, &bt->ev[bt->n]);
	if (bt->keyed)
		idx_hashkey(bt->key, &bt->strs, &bt->ev[bt->n]);
	bt->dup[bt->n] = 0;
	bt->n++;
}

void
batch_pop(struct batch *bt)
{
	if (bt->n == 0)
		return;
	bt->n--;
	bt->b.len = bt->n ? bt->ends[bt->n - 1] : 0;
}

size_t
batch_len(const struct batch *bt, size_t i)
{
	return bt->ends[i] - (i ? bt->ends[i - 1] : 0) - 1;
}

const char *
batch_subject(const struct batch *bt, size_t i, size_t *len)
{
	if (!bt->ev[i].hassubj)
		return NULL;
	*len = bt->ev[i].subjlen;
	return bt->strs.p + bt->ev[i].subj;
}

void
batch_clear(struct batch *bt)
{
	bt->b.len = 0;
	bt->strs.len = 0;
	bt->n = 0;
	bt->reserve = 0;
}

void
batch_free(struct batch *bt)
{
	buf_free(&bt->b);
	buf_free(&bt->strs);
	free(bt->ends);
	free(bt->ev);
	free(bt->dup);
	free(bt->lineno);
	free(bt->offs);
	memset(bt, 0, sizeof(*bt));
}

/* Writes buf[0..len) to the log in pieces of WCHUNK; returns 0 or -1. */
static int
writelog(int fd, const char *p, size_t len)
{
	size_t n;

	for (; len > 0; p += n, len -= n) {
		n = len < WCHUNK ? len : WCHUNK;
		if (writeall(fd, p, n) == -1)
			return -1;
	}
	return 0;
}

/*
 * Indexes the events of bt from *done to m, which put has just written,
 * the last ending at offset at of the batch.  Their index slots are still
 * in the cache from the duplicate check a moment before, which they are
 * not after the whole group's write: a pass over a group of 8 MiB, after
 * 8 MiB more were copied into the page cache, cost half as much again
 * per event, three times as much with another thread streaming through
 * memory as the reading thread does (bench/idx).
 */
static void
indexed(struct store *st, struct batch *bt, size_t m, size_t *done,
    size_t at)
{
	idx_add(&st->x, bt->ev + *done, m - *done, bt->before + 1 + *done,
	    bt->offs + *done, st->end + (off_t)at, bt->before + m,
	    bt->b.p + bt->lastat, bt->lastlen - 1);
	*done = m;
}

/*
 * Under the lock: leaves out what the log holds already, stamps the rest
 * and writes them.  With index (store_write), they go in pieces of whole
 * events of WCHUNK at most (an event longer than that alone, in pieces of
 * its own), each indexed as soon as it is written; without (store_append,
 * which indexes once the batch is durable), in pieces of WCHUNK.  A failed
 * write is taken back, and an index that took part of the batch is
 * dropped.  Returns as store_append.
 */
static enum log_result
put(struct store *st, struct batch *bt, long long expect, uint64_t *count,
    int index)
{
	size_t i, m, start, len, at, wrote = 0, done = 0;
	uint64_t seq, want;
	enum log_result r = LOG_IO;
	char sd[SEQ_DIGITS];	/* the digits of seq */
	int e;

	bt->from = st->end;
	bt->before = st->last;
	bt->m = 0;
	want = bt->reserve > bt->n ? bt->reserve : bt->n;
	idx_begin(&st->x, want, st->last + want);
	/* Hashed as they were read, unless under other keys. */
	if (!bt->keyed || memcmp(bt->key, idx_key(&st->x),
	    sizeof(bt->key)) != 0)
		for (i = 0; i < bt->n; i++)
			idx_hash(&st->x, &bt->strs, &bt->ev[i]);
	for (i = 0; i < bt->n && i < 8; i++)
		idx_prefetch(&st->x, &bt->ev[i]);
	if (expect >= 0) {
		for (i = 0; i < bt->n && idx_dup(&st->x, &bt->ev[i]); i++)
			;
		*count = i < bt->n ? idx_count(&st->x, &bt->ev[i]) : 0;
		if (i < bt->n && *count != (uint64_t)expect)
			return LOG_EXPECT;
	}
	if (bt->offcap < bt->n + 1) {
		bt->offcap = bt->n + 1;
		bt->offs = xrealloc(bt->offs, bt->offcap * sizeof(*bt->offs));
	}
	seq = st->last;
	digits(sd, seq);
	for (i = m = at = 0, start = 0; i < bt->n; start = bt->ends[i++]) {
		len = bt->ends[i] - start;
		if (i + 8 < bt->n)
			idx_prefetch(&st->x, &bt->ev[i + 8]);
		if ((bt->dup[i] = idx_dup(&st->x, &bt->ev[i])) != 0)
			continue;
		if (seq >= SEQ_MAX) {
			r = LOG_FULL;
			goto fail;
		}
		/* The bytes before at are final: when this event would take
		 * them past WCHUNK, they are written, then indexed. */
		if (index && at > wrote && at - wrote + len > WCHUNK) {
			if (writelog(st->fd, bt->b.p + wrote, at - wrote) == -1)
				goto fail;
			wrote = at;
			indexed(st, bt, m, &done, at);
		}
		idx_stage(&st->x, &bt->ev[i], ++seq);
		if (at != start)
			memmove(bt->b.p + at, bt->b.p + start, len);
		nextdigits(sd);
		memcpy(bt->b.p + at + len - 3 - SEQ_DIGITS, sd, SEQ_DIGITS);
		bt->offs[m] = st->end + (off_t)at;
		bt->lastat = at;
		bt->lastlen = len;
		if (m != i)
			bt->ev[m] = bt->ev[i];
		m++;
		at += len;
	}
	bt->b.len = at;
	if (at > wrote && writelog(st->fd, bt->b.p + wrote, at - wrote) == -1)
		goto fail;
	if (index && m > done)
		indexed(st, bt, m, &done, at);
	bt->m = m;
	st->end += (off_t)bt->b.len;
	st->last = seq;
	return LOG_OK;
fail:
	/* Not acknowledged: take it back, so that a retry does not find
	 * half of it; the index, if it took some, is dropped with it. */
	if (r == LOG_FULL && wrote == 0)
		return r;
	e = errno;
	if (ftruncate(st->fd, st->end) == 0)
		(void)fsync(st->fd);
	if (done > 0)
		idx_drop(&st->x);
	errno = e;
	return r;
}

/* Adds what put wrote to the index. */
static void
index_batch(struct store *st, struct batch *bt)
{
	idx_add(&st->x, bt->ev, bt->m, bt->before + 1, bt->offs, st->end,
	    st->last, bt->b.p + bt->lastat, bt->lastlen - 1);
}

enum log_result
store_append(struct store *st, struct batch *bt, int sync, long long expect,
    uint64_t *count)
{
	enum log_result r;

	if ((r = put(st, bt, expect, count, 0)) != LOG_OK || bt->m == 0)
		return r;
	if (sync != SYNC_NONE && store_sync(st, bt->from, bt->before) != LOG_OK)
		return LOG_IO;
	/* Durable: now the index may say so. */
	index_batch(st, bt);
	return LOG_OK;
}

enum log_result
store_write(struct store *st, struct batch *bt)
{
	return put(st, bt, -1, NULL, 1);
}

enum log_result
store_sync(struct store *st, off_t from, uint64_t before)
{
	if (fsync(st->fd) == 0)
		return LOG_OK;
	store_cut(st, from, before);
	return LOG_IO;
}

void
store_cut(struct store *st, off_t from, uint64_t before)
{
	int e = errno;

	/* Not durable, so not acknowledged: cut the log back to where it
	 * was, and the index with it. */
	if (ftruncate(st->fd, from) == 0)
		(void)fsync(st->fd);
	idx_drop(&st->x);
	st->end = from;
	st->last = before;
	errno = e;
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
		(void)seqat(st, ls, le, &s, err, sizeof(err));
		if (s != 0 && s < seq)
			lo = ls;
		else
			hi = ls;
	}
	return lo;
}
