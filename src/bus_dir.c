/* SPDX-License-Identifier: ISC */
/*
 * bus_dir.c - the directory bus: topics as directories under
 * $EVENTFUL_HOME/topics (topic.h), their logs in evlog(5) format, live
 * subscribers as FIFOs, consumers' positions as files.  The operations of
 * bus.h over topic.c and the log.  Nothing here exits: a failure is a
 * result, said in err (bus.h).
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

char *
bus_dir_where(char *err, size_t n)
{
	char *home, *where;

	if ((home = topic_home(err, n)) == NULL)
		return NULL;
	where = xmalloc(strlen(home) + sizeof("/topics"));
	strcpy(where, home);
	strcat(where, "/topics");
	free(home);
	return where;
}

int
bus_dir_logpath(const char *topic, char **path, char *err, size_t n)
{
	struct topic t;
	struct stat sb;
	int r = BUS_OK;

	*path = NULL;
	if (topic_init(&t, topic, 0, err, n) == -1)
		return BUS_ERROR;
	if (stat(t.dir, &sb) == -1 || !S_ISDIR(sb.st_mode)) {
		seterr(err, n, "no topic \"%s\": looked in %s", topic, t.dir);
		r = BUS_NOTOPIC;
	} else
		*path = xstrdup(t.log);
	topic_free(&t);
	return r;
}

static int
dir_exists(struct bus *b, const char *topic, const char *why, char *err,
    size_t n)
{
	(void)b;
	switch (topic_exists(topic, why, err, n)) {
	case -1:
		return BUS_ERROR;
	case 0:
		return BUS_NOTOPIC;
	}
	return BUS_OK;
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
	switch (topic_exists(topic, "--delete-topic", err, n)) {
	case -1:
		return BUS_ERROR;
	case 0:
		return BUS_NOTOPIC;
	}
	switch (topic_delete(topic, force, err, n)) {
	case -1:
		return BUS_BUSY;
	case -2:
		return BUS_ERROR;
	}
	return BUS_OK;
}

static int
dir_last(struct bus *b, const char *topic, uint64_t *last, char *err,
    size_t n)
{
	struct topic t;
	int r;

	(void)b;
	*last = 0;
	if (topic_init(&t, topic, 0, err, n) == -1)
		return BUS_ERROR;
	r = topic_last(&t, last, err, n) == -1 ? BUS_ERROR : BUS_OK;
	topic_free(&t);
	return r;
}

static int
dir_pub_open(struct bus *b, const char *topic, const struct bus_pubopts *o,
    struct bus_pub **out, char *err, size_t n)
{
	struct dirpub *p;
	int r;

	if (o->replicas > 0) {
		seterrw(err, n, 0, "--replicas", "the directory bus keeps one "
		    "copy, the log on this machine; --replicas is for NATS "
		    "(--bus nats://...)");
		return BUS_USAGE;
	}
	if (o->dupwindow > 0) {
		seterrw(err, n, 0, "--dup-window", "the directory bus drops a "
		    "repeated source and id whatever their age, in the whole "
		    "log; --dup-window is for NATS (--bus nats://...)");
		return BUS_USAGE;
	}
	p = xmalloc(sizeof(*p));
	memset(p, 0, sizeof(*p));
	p->base.bus = b;
	if ((r = topub_open(&p->tp, topic, o->sync, o->maxwait, o->quiet,
	    o->overlap && !o->expecting, o->failed, err, n)) != BUS_OK) {
		free(p);
		return r;
	}
	if (o->expecting)
		p->tp.expect = (long long)o->expect;
	*out = &p->base;
	return BUS_OK;
}

static int
dir_pub_sink(struct bus_pub *bp, const char *buf, size_t len, char *err,
    size_t n)
{
	return topub_sink(&((struct dirpub *)bp)->tp, buf, len, err, n);
}

static int
dir_pub_close(struct bus_pub *bp, char *err, size_t n)
{
	struct dirpub *p = (struct dirpub *)bp;
	int r;

	r = topub_close(&p->tp, err, n);
	free(p);
	return r;
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

/* Opens r's log and its cursor after the position f says, or start - 1:
 * BUS_OK, BUS_BUSY, BUS_DAMAGED, BUS_PAST or BUS_ERROR. */
static int
openlog(struct dirreader *r, const struct bus_from *f, uint64_t start,
    char *err, size_t n)
{
	struct stat st;
	char why[512];
	int fd;

	if (f->consumer != NULL && (fd = topic_consumer_lock(&r->t,
	    f->consumer, err, n)) < 0)
		return fd == -1 ? BUS_BUSY : BUS_ERROR;
	if ((r->lg = log_open(r->t.log, 1, why, sizeof(why))) == NULL) {
		if (topic_denied(r->t.log, "open", err, n) == 0)
			seterrw(err, n, 0, r->t.log, "%s", why);
		return BUS_ERROR;
	}
	switch (log_refresh(r->lg, why, sizeof(why))) {
	case LOG_OK:
		break;
	case LOG_DAMAGED:
		snprintf(err, n, "%s", why);
		return BUS_DAMAGED;
	default:
		seterrw(err, n, 0, r->t.log, "%s", why);
		return BUS_ERROR;
	}
	if (stat(r->t.log, &st) == 0) {
		r->dev = st.st_dev;
		r->ino = st.st_ino;
	}
	r->pos = start - 1;
	if (f->consumer != NULL && topic_position(&r->t, f->consumer,
	    &r->pos, err, n) == -1)
		return BUS_ERROR;
	if (f->consumer != NULL && r->pos > log_last(r->lg)) {
		seterr(err, n, "position %llu is past the end of topic %s "
		    "(sequence %llu): was its log replaced?",
		    (unsigned long long)r->pos, r->t.name,
		    (unsigned long long)log_last(r->lg));
		return BUS_PAST;
	}
	/* The cursor lets go of the index once it has found where to
	 * start: it is no use to a follower. */
	if ((r->lc = log_cursor_open(r->lg, r->pos + 1, why, sizeof(why))) ==
	    NULL) {
		seterrw(err, n, 0, r->t.log, "%s", why);
		return BUS_ERROR;
	}
	/* What is delivered, and committed, is what the log holds. */
	log_cursor_check(r->lc);
	return BUS_OK;
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
	uint64_t start = f->seq;
	int got;

	switch (topic_exists(topic, "-T", err, n)) {
	case -1:
		return BUS_ERROR;
	case 0:
		return BUS_NOTOPIC;
	}
	if (f->consumer == NULL && f->since != BUS_NOTIME && (got =
	    bus_seek_time(b, topic, f->since, &start, err, n)) != BUS_OK)
		return got;
	r = xmalloc(sizeof(*r));
	memset(r, 0, sizeof(*r));
	r->base.bus = b;
	r->ifd = -1;
	r->consumer = f->consumer;
	if (topic_init(&r->t, topic, 1, err, n) == -1)
		got = BUS_ERROR;
	else
		got = openlog(r, f, start, err, n);
	if (got != BUS_OK) {
		reader_free(r);
		return got;
	}
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
static int
dir_read_wait(struct bus_reader *br, int64_t usec, char *err, size_t n)
{
	struct dirreader *r = (struct dirreader *)br;
	char buf[4096], why[512];
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
	if (log_refresh(r->lg, why, sizeof(why)) != LOG_OK) {
		seterrw(err, n, 0, r->t.log, "%s", why);
		return BUS_ERROR;
	}
	return BUS_OK;
}

static int
dir_read_commit(struct bus_reader *br, uint64_t seq, char *err, size_t n)
{
	struct dirreader *r = (struct dirreader *)br;

	if (r->consumer == NULL)
		return BUS_OK;
	if (gone(r))
		return BUS_NOTOPIC;
	if (topic_commit(&r->t, r->consumer, seq, err, n) == -1)
		return BUS_ERROR;
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
	int r = BUS_OK, fd;

	(void)b;
	switch (topic_exists(topic, "-T", err, n)) {
	case -1:
		return BUS_ERROR;
	case 0:
		return BUS_NOTOPIC;
	}
	if (topic_init(&t, topic, 1, err, n) == -1)
		return BUS_ERROR;
	if ((fd = topic_consumer_lock(&t, consumer, err, n)) < 0)
		r = fd == -1 ? BUS_BUSY : BUS_ERROR;
	else if (topic_last(&t, &last, err, n) == -1)
		r = BUS_ERROR;
	else if (to > last + 1) {
		seterr(err, n, "%llu: past the end of topic %s, whose last "
		    "sequence is %llu (%llu skips all there is)",
		    (unsigned long long)to, topic, (unsigned long long)last,
		    (unsigned long long)last + 1);
		r = BUS_PAST;
	} else {
		*was = 0;
		*known = topic_consumer_exists(&t, consumer);
		if ((*known && topic_position(&t, consumer, was, err, n) ==
		    -1) || topic_commit(&t, consumer, to - 1, err, n) == -1)
			r = BUS_ERROR;
	}
	topic_free(&t);
	return r;
}

static int
dir_consumer_delete(struct bus *b, const char *topic, const char *consumer,
    uint64_t *was, char *err, size_t n)
{
	struct topic t;
	int r = BUS_OK, fd;

	(void)b;
	switch (topic_exists(topic, "-T", err, n)) {
	case -1:
		return BUS_ERROR;
	case 0:
		return BUS_NOTOPIC;
	}
	if (topic_init(&t, topic, 1, err, n) == -1)
		return BUS_ERROR;
	if (!topic_consumer_exists(&t, consumer))
		r = BUS_NOCONSUMER;
	else if ((fd = topic_consumer_lock(&t, consumer, err, n)) < 0)
		r = fd == -1 ? BUS_BUSY : BUS_ERROR;
	else if (topic_position(&t, consumer, was, err, n) == -1 ||
	    topic_consumer_delete(&t, consumer, err, n) == -1)
		r = BUS_ERROR;
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
	char *tmp = NULL;

	memset(l, 0, sizeof(*l));
	l->base.bus = b;
	l->fd = -1;
	if (topic_init(&l->t, topic, 1, err, n) == -1 ||
	    (l->path = topic_fifo_make(&l->t, name, &tmp, err, n)) == NULL)
		goto fail;
	/* O_NONBLOCK: a FIFO opens at once, writer or not; poll waits. */
	if ((l->fd = open(tmp, O_RDONLY | O_NONBLOCK | O_CLOEXEC)) == -1) {
		seterrw(err, n, errno, tmp, "open");
		goto fail;
	}
	/* Room for a burst: publishers wait less, and so do we. */
	(void)fcntl(l->fd, F_SETPIPE_SZ, 1 << 20);
	if (topic_fifo_place(tmp, l->path, l->fd, err, n) == -1)
		goto fail;
	atexit(topic_fifo_remove);
	free(tmp);
	*out = &l->base;
	return BUS_OK;
fail:
	/* Nothing of it is left: the FIFO under its hidden name goes. */
	if (tmp != NULL)
		(void)unlink(tmp);
	if (l->fd >= 0)
		close(l->fd);
	free(tmp);
	free(l->path);
	topic_free(&l->t);
	free(l);
	return BUS_ERROR;
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
