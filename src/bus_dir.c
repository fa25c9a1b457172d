/* SPDX-License-Identifier: ISC */
/*
 * bus_dir.c - the directory bus: topics as directories under
 * $EVENTFUL_HOME/topics (topic.h), their logs in evlog(5) format, live
 * subscribers as FIFOs, consumers' positions as files.  The operations of
 * bus.h over topic.c and the log.
 */
#include <sys/inotify.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bus.h"
#include "log.h"
#include "timefmt.h"
#include "topic.h"
#include "util.h"

struct dirpub {
	struct bus_pub base;
	struct topub tp;
};

struct dirreader {
	struct bus_reader base;
	struct topic t;
	struct log *lg;
	struct log_cursor *lc;
	const char *consumer;	/* or NULL */
	uint64_t pos;		/* where the reading started after */
	int ifd;		/* inotify on the log, or -1 */
	dev_t dev;		/* the log read, to see it deleted */
	ino_t ino;
};

struct dirlive {
	struct bus_live base;
	struct topic t;
	char *path;		/* the FIFO, in place */
	int fd;
};

static int
dir_exists(struct bus *b, const char *topic, const char *why, char *err,
    size_t n)
{
	(void)b;
	(void)err;
	(void)n;
	return topic_exists(topic, why) ? BUS_OK : BUS_NOTOPIC;
}

static int
dir_any(struct bus *b, char *err, size_t n)
{
	(void)b;
	(void)err;
	(void)n;
	return topic_any() ? BUS_OK : BUS_NOTOPIC;
}

static int
dir_survey(struct bus *b, struct topic_stat **v, size_t *nv, char *err,
    size_t n)
{
	(void)b;
	(void)err;
	(void)n;
	*nv = topic_survey(v);
	return BUS_OK;
}

static int
dir_remove(struct bus *b, const char *topic, int force, char *err,
    size_t n)
{
	(void)b;
	if (!topic_exists(topic, "--delete-topic"))
		return BUS_NOTOPIC;
	return topic_delete(topic, force, err, n) == -1 ? BUS_BUSY : BUS_OK;
}

static int
dir_last(struct bus *b, const char *topic, uint64_t *last, char *err,
    size_t n)
{
	struct topic t;

	(void)b;
	(void)err;
	(void)n;
	topic_init(&t, topic, 0);
	*last = topic_last(&t);
	topic_free(&t);
	return BUS_OK;
}

static int
dir_pub_open(struct bus *b, const char *topic, const struct bus_pubopts *o,
    struct bus_pub **out, char *err, size_t n)
{
	struct dirpub *p;

	(void)err;
	(void)n;

	if (o->replicas > 0)
		errw(EXIT_USAGE, "--replicas", "the directory bus keeps one "
		    "copy, the log on this machine; --replicas is for NATS "
		    "(--bus nats://...)");
	if (o->dupwindow > 0)
		errw(EXIT_USAGE, "--dup-window", "the directory bus drops a "
		    "repeated source and id whatever their age, in the whole "
		    "log; --dup-window is for NATS (--bus nats://...)");
	p = xmalloc(sizeof(*p));
	memset(p, 0, sizeof(*p));
	p->base.bus = b;
	topub_open(&p->tp, topic, o->sync, o->maxwait, o->quiet, o->overlap &&
	    !o->expecting);
	if (o->expecting)
		p->tp.expect = (long long)o->expect;
	*out = &p->base;
	return BUS_OK;
}

static int
dir_pub_sink(struct bus_pub *bp, const char *buf, size_t len, char *err,
    size_t n)
{
	(void)err;
	(void)n;
	topub_sink(&((struct dirpub *)bp)->tp, buf, len);
	return BUS_OK;
}

static int
dir_pub_close(struct bus_pub *bp, char *err, size_t n)
{
	struct dirpub *p = (struct dirpub *)bp;

	(void)err;
	(void)n;
	topub_close(&p->tp);
	free(p);
	return BUS_OK;
}

static void
reader_free(struct dirreader *r)
{
	if (r->ifd >= 0)
		close(r->ifd);
	if (r->lc != NULL)
		log_cursor_close(r->lc);
	if (r->lg != NULL)
		log_close(r->lg);
	topic_free(&r->t);
	free(r);
}

/*
 * A consumer of a topic that does not exist has nothing to take, and must
 * not make it: a mistyped name would be a new, empty topic.
 */
static int
dir_read_open(struct bus *b, const char *topic, const struct bus_from *f,
    struct bus_reader **out, char *err, size_t n)
{
	struct dirreader *r;
	struct stat st;
	uint64_t start = f->seq;
	int got;

	if (!topic_exists(topic, "-T"))
		return BUS_NOTOPIC;
	if (f->consumer == NULL && f->since != BUS_NOTIME &&
	    (got = bus_seek_time(b, topic, f->since, &start, err, n)) !=
	    BUS_OK)
		return got;
	r = xmalloc(sizeof(*r));
	memset(r, 0, sizeof(*r));
	r->base.bus = b;
	r->ifd = -1;
	r->consumer = f->consumer;
	topic_init(&r->t, topic, 1);
	if (f->consumer != NULL && topic_consumer_lock(&r->t, f->consumer) ==
	    -1) {
		reader_free(r);
		return BUS_BUSY;
	}
	if ((r->lg = log_open(r->t.log, 1, err, n)) == NULL) {
		topic_denied(r->t.log, "open");
		errw(EXIT_FAIL, r->t.log, "%s", err);
	}
	switch (log_refresh(r->lg, err, n)) {
	case LOG_OK:
		break;
	case LOG_DAMAGED:
		reader_free(r);
		return BUS_DAMAGED;
	default:
		errw(EXIT_FAIL, r->t.log, "%s", err);
	}
	if (stat(r->t.log, &st) == 0) {
		r->dev = st.st_dev;
		r->ino = st.st_ino;
	}
	r->pos = f->consumer != NULL ? topic_position(&r->t, f->consumer) :
	    start - 1;
	if (f->consumer != NULL && r->pos > log_last(r->lg)) {
		seterr(err, n, "position %llu is past the end of topic %s "
		    "(sequence %llu): was its log replaced?",
		    (unsigned long long)r->pos, topic,
		    (unsigned long long)log_last(r->lg));
		reader_free(r);
		return BUS_PAST;
	}
	/* The cursor lets go of the index once it has found where to
	 * start: it is no use to a follower. */
	if ((r->lc = log_cursor_open(r->lg, r->pos + 1, err, n)) == NULL)
		errw(EXIT_FAIL, r->t.log, "%s", err);
	/* What is delivered, and committed, is what the log holds. */
	log_cursor_check(r->lc);
	*out = &r->base;
	return BUS_OK;
}

/* Whether the topic was deleted (or made again) under the reading. */
static int
gone(struct dirreader *r)
{
	struct stat st;

	return stat(r->t.log, &st) == -1 ? errno == ENOENT :
	    st.st_dev != r->dev || st.st_ino != r->ino;
}

static int
dir_read_next(struct bus_reader *br, const char **line, size_t *len,
    uint64_t *seq, char *err, size_t n)
{
	struct dirreader *r = (struct dirreader *)br;

	switch (log_next(r->lc, line, len, seq, err, n)) {
	case LOG_OK:
		return BUS_OK;
	case LOG_END:
	case LOG_STOP:
		return gone(r) ? BUS_NOTOPIC : BUS_END;
	case LOG_DAMAGED:
		return BUS_DAMAGED;
	default:
		return BUS_FAIL;
	}
}

/* Follows the log: inotify wakes us, a tick checks anyway. */
static void
dir_read_wait(struct bus_reader *br, int64_t usec)
{
	struct dirreader *r = (struct dirreader *)br;
	char buf[4096], err[512];
	struct pollfd pfd;
	int ms;

	if (r->ifd == -1) {
		r->ifd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
		if (r->ifd >= 0 && inotify_add_watch(r->ifd, r->t.log,
		    IN_MODIFY) == -1) {
			close(r->ifd);
			r->ifd = -2;	/* none to be had: tick */
		}
	}
	ms = r->ifd >= 0 ? 1000 : 100;
	if (usec >= 0 && usec / 1000 < ms)
		ms = (int)(usec / 1000);
	pfd.fd = r->ifd;
	pfd.events = POLLIN;
	(void)poll(&pfd, r->ifd >= 0 ? 1 : 0, ms);
	if (r->ifd >= 0)
		while (read(r->ifd, buf, sizeof(buf)) > 0)
			;
	if (log_refresh(r->lg, err, sizeof(err)) != LOG_OK)
		errw(EXIT_FAIL, r->t.log, "%s", err);
}

static int
dir_read_commit(struct bus_reader *br, uint64_t seq, char *err, size_t n)
{
	struct dirreader *r = (struct dirreader *)br;

	(void)err;
	(void)n;
	if (r->consumer == NULL)
		return BUS_OK;
	if (gone(r))
		return BUS_NOTOPIC;
	topic_commit(&r->t, r->consumer, seq);
	return BUS_OK;
}

static uint64_t
dir_read_position(struct bus_reader *br)
{
	return ((struct dirreader *)br)->pos;
}

static void
dir_read_close(struct bus_reader *br)
{
	reader_free((struct dirreader *)br);
}

/* Moves consumer's position so that its next run starts at to. */
static int
dir_consumer_set(struct bus *b, const char *topic, const char *consumer,
    uint64_t to, uint64_t *was, int *known, char *err, size_t n)
{
	struct topic t;
	uint64_t last;
	int r = BUS_OK;

	(void)b;
	if (!topic_exists(topic, "-T"))
		return BUS_NOTOPIC;
	topic_init(&t, topic, 1);
	if (topic_consumer_lock(&t, consumer) == -1)
		r = BUS_BUSY;
	else if (to > (last = topic_last(&t)) + 1) {
		seterr(err, n, "%llu: past the end of topic %s, whose last "
		    "sequence is %llu (%llu skips all there is)",
		    (unsigned long long)to, topic, (unsigned long long)last,
		    (unsigned long long)last + 1);
		r = BUS_PAST;
	} else {
		*known = topic_consumer_exists(&t, consumer);
		*was = *known ? topic_position(&t, consumer) : 0;
		topic_commit(&t, consumer, to - 1);
	}
	topic_free(&t);
	return r;
}

static int
dir_consumer_delete(struct bus *b, const char *topic, const char *consumer,
    uint64_t *was, char *err, size_t n)
{
	struct topic t;
	int r = BUS_OK;

	(void)b;
	(void)err;
	(void)n;
	if (!topic_exists(topic, "-T"))
		return BUS_NOTOPIC;
	topic_init(&t, topic, 1);
	if (!topic_consumer_exists(&t, consumer))
		r = BUS_NOCONSUMER;
	else if (topic_consumer_lock(&t, consumer) == -1)
		r = BUS_BUSY;
	else {
		*was = topic_position(&t, consumer);
		topic_consumer_delete(&t, consumer);
	}
	topic_free(&t);
	return r;
}

/*
 * A FIFO under subs/, made under a hidden name, open for reading before it
 * is put in place (so that no publisher finds it without a reader), and
 * removed at exit, also on a signal (topic_fifo_remove only unlinks).
 */
static int
dir_live_open(struct bus *b, const char *topic, const char *name,
    struct bus_live **out, char *err, size_t n)
{
	struct dirlive *l = xmalloc(sizeof(*l));
	char *tmp;

	(void)err;
	(void)n;
	memset(l, 0, sizeof(*l));
	l->base.bus = b;
	topic_init(&l->t, topic, 1);
	l->path = topic_fifo_make(&l->t, name, &tmp);
	/* O_NONBLOCK: a FIFO opens at once, writer or not; poll waits. */
	if ((l->fd = open(tmp, O_RDONLY | O_NONBLOCK | O_CLOEXEC)) == -1)
		errwe(EXIT_FAIL, tmp, "open");
	/* Room for a burst: publishers wait less, and so do we. */
	(void)fcntl(l->fd, F_SETPIPE_SZ, 1 << 20);
	topic_fifo_place(tmp, l->path, l->fd);
	atexit(topic_fifo_remove);
	free(tmp);
	*out = &l->base;
	return BUS_OK;
}

static int
dir_live_fd(struct bus_live *bl, const char **path)
{
	struct dirlive *l = (struct dirlive *)bl;

	*path = l->path;
	return l->fd;
}

static int
dir_live_cutoff(struct bus_live *bl)
{
	(void)bl;
	return topic_fifo_cut();
}

static void
dir_live_abort(struct bus_live *bl)
{
	(void)bl;
	topic_fifo_remove();
}

static void
dir_live_close(struct bus_live *bl)
{
	struct dirlive *l = (struct dirlive *)bl;

	topic_fifo_remove();
	topic_free(&l->t);
	free(l->path);
	free(l);
}

static void
dir_close(struct bus *b)
{
	(void)b;
}

const struct bus_ops bus_dir_ops = {
	.name = "dir",
	.exists = dir_exists,
	.any = dir_any,
	.survey = dir_survey,
	.remove = dir_remove,
	.last = dir_last,
	.pub_open = dir_pub_open,
	.pub_sink = dir_pub_sink,
	.pub_close = dir_pub_close,
	.read_open = dir_read_open,
	.read_next = dir_read_next,
	.read_wait = dir_read_wait,
	.read_commit = dir_read_commit,
	.read_position = dir_read_position,
	.read_close = dir_read_close,
	.consumer_set = dir_consumer_set,
	.consumer_delete = dir_consumer_delete,
	.live_open = dir_live_open,
	.live_fd = dir_live_fd,
	.live_cutoff = dir_live_cutoff,
	.live_abort = dir_live_abort,
	.live_close = dir_live_close,
	.close = dir_close,
};
