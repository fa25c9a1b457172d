/* SPDX-License-Identifier: ISC */
/*
 * log.c - the log's handle and its cursor (log.h): what programs see of
 * the file (store.c), its index (idx.c) and the group-commit pipeline
 * (commit.c).
 */
#include <sys/inotify.h>
#include <sys/stat.h>

#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log_int.h"
#include "timefmt.h"
#include "util.h"

/* ---- the log ---- */

struct log *
log_open(const char *path, int write, char *err, size_t n)
{
	struct log *lg = xmalloc(sizeof(*lg));

	memset(lg, 0, sizeof(*lg));
	lg->path = xstrdup(path);
	if (store_open(&lg->st, lg->path, write, err, n) != LOG_OK) {
		log_close(lg);
		return NULL;
	}
	return lg;
}

void
log_close(struct log *lg)
{
	if (lg == NULL)
		return;
	store_close(&lg->st);
	free(lg->path);
	free(lg);
}

const char *
log_path(const struct log *lg)
{
	return lg->path;
}

int
log_fd(const struct log *lg)
{
	return lg->st.fd;
}

enum log_result
log_refresh(struct log *lg, char *err, size_t n)
{
	return store_tail(&lg->st, 0, err, n);
}

uint64_t
log_last(const struct log *lg)
{
	return lg->st.last;
}

off_t
log_end(const struct log *lg)
{
	return lg->st.end;
}

enum log_result
log_lock(struct log *lg, int repair, char *err, size_t n)
{
	return store_lock(&lg->st, repair, err, n);
}

void
log_unlock(struct log *lg)
{
	store_unlock(&lg->st);
}

enum log_result
log_repair(struct log *lg, char *err, size_t n)
{
	enum log_result r;

	/* The index too, from scratch: whatever was done to the log. */
	if ((r = store_lock(&lg->st, LOG_REPAIR_ALL, err, n)) == LOG_OK)
		store_unlock(&lg->st);
	return r;
}

void
log_cut(struct log *lg, off_t from, uint64_t before)
{
	store_cut(&lg->st, from, before);
}

enum log_result
log_append(struct log *lg, struct batch *bt, int sync, long long expect,
    uint64_t *count)
{
	uint64_t none;

	return store_append(&lg->st, bt, sync, expect, count != NULL ? count :
	    &none);
}

enum log_result
log_write(struct log *lg, struct batch *bt, int sync, long long expect,
    uint64_t *count, void (*done)(void *, struct batch *), void *arg,
    char *err, size_t n)
{
	enum log_result r;
	int e;

	if ((r = log_lock(lg, LOG_REPAIR_TAIL, err, n)) != LOG_OK)
		return r;
	if (n > 0)
		err[0] = '\0';
	r = log_append(lg, bt, sync, expect, count);
	e = errno;
	if (r == LOG_OK && done != NULL)
		done(arg, bt);
	log_unlock(lg);
	errno = e;
	return r;
}

enum log_result
log_commit_start(struct log *lg, int sync, log_durable_fn *durable,
    log_fail_fn *fail, void *arg)
{
	enum log_result r;

	if ((r = commit_start(&lg->cm, &lg->st, sync, durable, fail, arg)) ==
	    LOG_OK)
		lg->committing = 1;
	return r;
}

struct batch *
log_commit_batch(struct log *lg)
{
	return commit_batch(&lg->cm);
}

int
log_commit_submit(struct log *lg)
{
	return commit_submit(&lg->cm);
}

void
log_commit_finish(struct log *lg)
{
	if (lg->committing)
		commit_finish(&lg->cm);
	lg->committing = 0;
}

/* ---- the cursor ---- */

struct log_cursor *
log_cursor_open(struct log *lg, uint64_t from, char *err, size_t n)
{
	struct store *st = &lg->st;
	struct log_cursor *c;
	uint64_t k;
	int64_t t;
	off_t off = 0;

	if (store_tail(st, 1, err, n) != LOG_OK)
		return NULL;
	c = xmalloc(sizeof(*c));
	memset(c, 0, sizeof(*c));
	c->lg = lg;
	c->from = from;
	c->since = c->until = LOG_NOTIME;
	c->ifd = -1;
	scan_init(&c->sc);
	c->ilast = idx_last(&st->x);
	if (c->ilast > 0) {
		/* The index knows the sequence of a block's first line. */
		k = from <= c->ilast ? (from - 1) / IDX_BLOCK : 0;
		off = idx_block(&st->x, k, &t, &t);
		c->seq = k * IDX_BLOCK;
		c->known = 1;
	}
	if (from > 1 && from > c->ilast) {
		/* Past what the index covers: bisect, and learn the number
		 * from the first line read, not from the index's block 0
		 * (a follower past the end counted the lines appended after
		 * it from 1, and skipped them all as before its start). */
		off = store_seek(st, from);
		c->seq = 0;
		c->known = 0;
	}
	if (c->ilast == 0)
		store_unpeek(st);
	lines_init(&c->in, st->fd, off);
	return c;
}

void
log_cursor_close(struct log_cursor *c)
{
	if (c == NULL)
		return;
	if (c->ifd >= 0)
		close(c->ifd);
	lines_free(&c->in);
	scan_free(&c->sc);
	free(c);
}

void
log_cursor_check(struct log_cursor *c)
{
	c->check = 1;
}

/*
 * For a checked cursor: tells whether the line p[0..len) that was counted
 * as sequence c->seq is that event.  LOG_OK, or LOG_DAMAGED with err.
 */
static enum log_result
checkline(struct log_cursor *c, const char *p, size_t len, char *err,
    size_t n)
{
	char why[512];
	uint64_t seq;

	if (memchr(p, '\0', len) != NULL)
		seterr(why, sizeof(why), "it holds zero bytes");
	else if (ce_validate(&c->sc, p, len, &c->ev, why, sizeof(why)) == -1)
		notevent(why, sizeof(why));
	else if ((seq = log_seqof(&c->ev)) != c->seq)
		seterr(why, sizeof(why), "it has sequence %llu where %llu "
		    "belongs", (unsigned long long)seq,
		    (unsigned long long)c->seq);
	else
		return LOG_OK;
	return log_seterr(LOG_DAMAGED, err, n, "damaged at offset %lld, "
	    "after sequence %llu: %s", (long long)lines_off(&c->in, p),
	    (unsigned long long)c->seq - 1, why);
}

void
log_cursor_window(struct log_cursor *c, uint64_t to, int64_t since,
    int64_t until)
{
	c->to = to;
	c->since = since;
	c->until = until;
	c->timed = since != LOG_NOTIME || until != LOG_NOTIME;
}

/* The time of the event on line p[0..len), or LOG_NOTIME. */
static int64_t
timeof(struct scanner *sc, const char *p, size_t len)
{
	char t[64];
	int64_t us;
	size_t i;

	if (scan_json(sc, p, len) != SCAN_OBJECT)
		return LOG_NOTIME;
	for (i = 0; i < sc->nm; i++)
		if (sc->m[i].type == SCAN_STRING &&
		    scan_name_is(&sc->m[i], "time")) {
			ce_string(&sc->m[i], t, sizeof(t));
			return rfc3339_parse(t, strlen(t), &us) == 0 ? us :
			    LOG_NOTIME;
		}
	return LOG_NOTIME;
}

/* Tells whether block k of the index holds no event of c's window. */
static int
skipblock(const struct log_cursor *c, uint64_t k)
{
	int64_t tmin, tmax;

	(void)idx_block(&c->lg->st.x, k, &tmin, &tmax);
	return tmin > tmax || (c->since != LOG_NOTIME && tmax < c->since) ||
	    (c->until != LOG_NOTIME && tmin >= c->until);
}

/*
 * At the start of a block the index covers whole, skips it and the
 * blocks after it that hold nothing of the time window, unread.
 */
static void
skipblocks(struct log_cursor *c)
{
	uint64_t k = c->seq / IDX_BLOCK;

	if (c->seq % IDX_BLOCK != 0 || (k + 1) * IDX_BLOCK > c->ilast ||
	    !skipblock(c, k))
		return;
	while ((k + 2) * IDX_BLOCK <= c->ilast && skipblock(c, k + 1))
		k++;
	lines_seek(&c->in, idx_next(&c->lg->st.x, k));
	c->seq = (k + 1) * IDX_BLOCK;
}

/*
 * With a time window, at the start of a block: skips what holds nothing
 * of the window, then notes where the block to be read ends, when the
 * index covers it whole, for reading to stop there: whether the block
 * after it is read at all is decided before it is.
 */
static void
blockstart(struct log_cursor *c)
{
	uint64_t k;

	skipblocks(c);
	k = c->seq / IDX_BLOCK;
	c->bend = (k + 1) * IDX_BLOCK <= c->ilast ?
	    idx_next(&c->lg->st.x, k) : 0;
}

/* Lets go of the index once it has served: see store_unpeek. */
static void
unpeek(struct log_cursor *c)
{
	if (c->ilast > 0) {
		store_unpeek(&c->lg->st);
		c->ilast = 0;
	}
}

enum log_result
log_next(struct log_cursor *c, const char **line, size_t *len,
    uint64_t *seq, char *err, size_t n)
{
	struct store *st = &c->lg->st;
	enum log_result r;
	int64_t t;
	off_t end;

	/* Without a time window, the index was only for finding where to
	 * start. */
	if (!c->timed)
		unpeek(c);
	for (;;) {
		if (c->to > 0 && c->known && c->seq >= c->to)
			return LOG_STOP;
		end = st->end;
		if (c->timed && c->known && c->ilast > 0) {
			if (c->seq % IDX_BLOCK == 0)
				blockstart(c);
			if (c->bend > c->in.off && c->bend < end)
				end = c->bend;
		}
		if ((r = lines_next(&c->in, end, line, len, err, n)) !=
		    LOG_OK) {
			if (r == LOG_END && end < st->end)
				continue;	/* the next block */
			if (r == LOG_END)
				unpeek(c);
			return r;
		}
		if (!c->known) {
			/* The first line read: learn its number. */
			if (ce_validate(&c->sc, *line, *len, &c->ev, err,
			    n) == -1) {
				char why[512];

				snprintf(why, sizeof(why), "%s", err);
				return log_seterr(LOG_DAMAGED, err, n, "offset "
				    "%lld: %s", (long long)lines_off(&c->in,
				    *line), why);
			}
			c->seq = log_seqof(&c->ev) - 1;
			c->known = 1;
		}
		c->seq++;
		if (c->to > 0 && c->seq > c->to)
			return LOG_STOP;
		if (c->check && (r = checkline(c, *line, *len, err, n)) !=
		    LOG_OK) {
			/* Read again, and said again, by the next call. */
			c->seq--;
			lines_seek(&c->in, lines_off(&c->in, *line));
			return r;
		}
		if (c->seq < c->from)
			continue;
		if (c->timed) {
			t = timeof(&c->sc, *line, *len);
			if (t == LOG_NOTIME || (c->since != LOG_NOTIME &&
			    t < c->since) || (c->until != LOG_NOTIME &&
			    t >= c->until))
				continue;
		}
		*seq = c->seq;
		return LOG_OK;
	}
}

enum log_result
log_read(struct log_cursor *c, const char **p, size_t *len, uint64_t *seq,
    char *err, size_t n)
{
	struct lines *l = &c->in;
	const char *line, *q, *end, *nl;
	enum log_result r;

	if ((r = log_next(c, &line, len, seq, err, n)) != LOG_OK)
		return r;
	*p = line;
	q = line + *len + 1;
	/* Past the first line, every line is wanted unless a time must be
	 * read or the window ends: take what is read ahead, counted. */
	if (!c->timed && !c->check) {
		end = l->buf + l->len;
		while (q < end && (c->to == 0 || c->seq < c->to) &&
		    (nl = memchr(q, '\n', (size_t)(end - q))) != NULL) {
			c->seq++;
			q = nl + 1;
		}
		l->start = (size_t)(q - l->buf);
		*seq = c->seq;
	}
	*len = (size_t)(q - line);
	return LOG_OK;
}

enum log_result
log_wait(struct log_cursor *c, int hupfd, char *err, size_t n)
{
	struct store *st = &c->lg->st;
	struct pollfd pfd[2];
	struct stat now, sb;
	enum log_result r;
	char ev[4096];
	off_t off = c->in.off;

	unpeek(c);
	if (!c->itried) {
		c->itried = 1;
		c->ifd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
		if (c->ifd >= 0 && inotify_add_watch(c->ifd, st->path,
		    IN_MODIFY | IN_ATTRIB | IN_MOVE_SELF | IN_DELETE_SELF) ==
		    -1) {
			close(c->ifd);
			c->ifd = -1;
		}
	}
	for (;;) {
		if (fstat(st->fd, &sb) == -1)
			return log_seterr(LOG_IO, err, n, "fstat: %s",
			    strerror(errno));
		if (sb.st_size < off)
			return log_seterr(LOG_DAMAGED, err, n, "truncated below "
			    "what was read: a log only grows");
		if (stat(st->path, &now) == 0 && (now.st_ino != sb.st_ino ||
		    now.st_dev != sb.st_dev))
			return log_seterr(LOG_DAMAGED, err, n, "replaced by "
			    "another file");
		if (sb.st_size > off) {
			if ((r = store_tail(st, 0, err, n)) != LOG_OK)
				return r;
			if (st->end > off)
				return LOG_OK;
		}
		pfd[0].fd = hupfd;
		pfd[0].events = 0;
		pfd[1].fd = c->ifd;
		pfd[1].events = POLLIN;
		if (poll(pfd, c->ifd >= 0 ? 2 : 1, c->ifd >= 0 ? 1000 : 100) ==
		    -1 && errno != EINTR)
			return log_seterr(LOG_IO, err, n, "poll: %s",
			    strerror(errno));
		if (hupfd >= 0 && pfd[0].revents & (POLLERR | POLLHUP))
			return LOG_HUP;
		if (c->ifd >= 0 && pfd[1].revents & POLLIN)
			while (read(c->ifd, ev, sizeof(ev)) > 0)
				;
	}
}
