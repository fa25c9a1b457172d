/* SPDX-License-Identifier: ISC */
/*
 * bus.h - where topics live, behind one interface.
 *
 * A program names a topic; a bus keeps the topic's log, its durable
 * consumers' positions, and its live subscribers.  Everything evpub -T
 * and evsub -T do to a topic goes through the operations below, and
 * nothing else reaches into a bus.  The first bus is the directory bus
 * (bus_dir.c over topic.c: $EVENTFUL_HOME/topics, see evsub(1)).  A
 * second one (NATS JetStream, say) is a file that fills a struct bus_ops
 * and a line in bus_open that picks it by its URL: no caller changes.
 * What every bus says of its topics alike (names, the survey's struct,
 * listing) is topiclist.h, which knows no bus; bus.c, the picker, sits
 * above the buses, and bus_find.c, under them, works through the
 * operations alone.
 *
 * The promises, whatever the bus:
 *   - publishing appends to the log first, in order, and a live
 *     subscriber gets an event only once it is in the log;
 *   - a reading (bus_read_*) gives every event from where it starts, in
 *     sequence order, each with its sequence, at least once across runs
 *     of a durable consumer that commits what it delivered;
 *   - a live subscription (bus_live_*) gives the events published while
 *     it is there, at most once, as whole lines on a descriptor, each
 *     with its sequence; a reading opened after the subscription holds
 *     every event published before it (so a subscriber that came before
 *     its topic's first publisher loses none: evsub takes the reading
 *     first, then skips what it gave by sequence).
 *   - a publisher writes each event it stored on stdout, stamped with its
 *     sequence, once it is durable (the server acknowledged it), unless
 *     quiet; a repeat (same source and id) is reported, not written;
 *     with expecting, the first event's subject must have exactly
 *     expect events, and each event is stored only if no other writer
 *     came in between (else BUS_EXPECT: the program ends with status 4).
 * Results are named (enum bus_result); nothing here exits the program or
 * prints but a warning or a "no such topic": a failure comes back with
 * its message in the caller's err[n], and the program decides.  Running
 * out of memory is the exception, as everywhere (xmalloc).
 */
#ifndef EV_BUS_H
#define EV_BUS_H

#include <stddef.h>
#include <stdint.h>

#include "topiclist.h"

#define BUS_NOTIME INT64_MIN	/* no time given */
#define BUS_ERRMAX 2048		/* room for any bus message, whole */

enum bus_result {
	BUS_OK = 0,
	BUS_END,		/* nothing more for now */
	BUS_NOTOPIC,		/* no such topic (said, with the topics there) */
	BUS_NOCONSUMER,		/* no such consumer */
	BUS_BUSY,		/* a run of the consumer is going on; a topic
				   in use */
	BUS_PAST,		/* a position past the end of the log */
	BUS_DAMAGED,		/* a reading met damage in the log: err says
				   where (evlog(5), Damage) */
	BUS_FAIL,		/* anything else, said in err */
	/* With err said whole, what it concerns first ("PATH: what: why"),
	 * to be printed as it is after the program's name
	 * (errw(bus_status(r), NULL, "%s", err)): */
	BUS_ERROR,		/* it could not be done: a system call failed,
				   a store cannot be read or written, a file
				   is in the way (status 1) */
	BUS_USAGE,		/* asked what this bus cannot do (status 2) */
	BUS_INVALID,		/* an event --expect cannot count
				   (status 3) */
	BUS_EXPECT,		/* --expect: the subject has another count;
				   nothing published (status 4) */
	BUS_EPIPE		/* publishing: the reader of the
				   acknowledgements went away; the run ends,
				   quietly (status 0), nothing said */
};

/* The exit status a program ends with on result r, said whole in err
 * (BUS_ERROR and after; BUS_FAIL: 1). */
int bus_status(int r);

struct bus;

/* The first member of a bus's own publisher, reader and subscription. */
struct bus_pub {
	struct bus *bus;
};
struct bus_reader {
	struct bus *bus;
};
struct bus_live {
	struct bus *bus;
};

/* What a publisher is asked to do; see evpub(1). */
struct bus_pubopts {
	int sync;		/* enum sync: event, batch or none */
	int64_t maxwait;	/* cut off a live subscriber that takes
				   nothing for so long, microseconds */
	int quiet;		/* -q: no acknowledged events on stdout */
	int overlap;		/* commit a group while the next is made */
	int expecting;		/* --expect was given: */
	uint64_t expect;	/* the events the subject has before */
	int replicas;		/* --replicas of a new stream, 0: the bus's
				   default */
	int64_t dupwindow;	/* --dup-window, microseconds, 0: default */
	int given;		/* BUS_SYNC, BUS_MAXWAIT: sync, maxwait given */
	void (*failed)(int, const char *);	/* told, from a thread, of
				   a failure found behind the caller (result,
				   err whole), or NULL; see bus_pub_sink */
};
/* What a bus cannot do, asked for, is a usage error, not ignored. */
#define BUS_SYNC	0x1
#define BUS_MAXWAIT	0x2

/* Where a reading starts; see bus_read_open. */
struct bus_from {
	const char *consumer;	/* after its committed position, or NULL */
	uint64_t seq;		/* else from this sequence (1: the first) */
	int64_t since;		/* else from this time, BUS_NOTIME for none */
};

struct bus_ops {
	const char *name;
	/* Topics: whether one exists, BUS_OK, or not, BUS_NOTOPIC (and
	 * when why is not NULL, say so on stderr under why, with the
	 * topics there are); whether any does, BUS_OK, or not, BUS_NOTOPIC
	 * (said); every topic's state; deleting one.  BUS_ERROR when it
	 * cannot be told. */
	int (*exists)(struct bus *, const char *topic, const char *why,
	    char *err, size_t n);
	int (*any)(struct bus *, char *err, size_t n);
	int (*survey)(struct bus *, struct topic_stat **, size_t *,
	    char *err, size_t n);
	int (*remove)(struct bus *, const char *topic, int force, char *err,
	    size_t n);
	/* The last sequence of a topic. */
	int (*last)(struct bus *, const char *topic, uint64_t *last,
	    char *err, size_t n);
	/* Publishing whole events (see bus_pub_sink). */
	int (*pub_open)(struct bus *, const char *topic,
	    const struct bus_pubopts *, struct bus_pub **, char *err,
	    size_t n);
	int (*pub_sink)(struct bus_pub *, const char *buf, size_t len,
	    char *err, size_t n);
	int (*pub_close)(struct bus_pub *, char *err, size_t n);
	/* Reading a topic's log, and a durable consumer's position. */
	int (*read_open)(struct bus *, const char *topic,
	    const struct bus_from *, struct bus_reader **, char *err,
	    size_t n);
	int (*read_next)(struct bus_reader *, const char **line, size_t *len,
	    uint64_t *seq, char *err, size_t n);
	int (*read_wait)(struct bus_reader *, int64_t usec, char *err,
	    size_t n);
	int (*read_commit)(struct bus_reader *, uint64_t seq, char *err,
	    size_t n);
	uint64_t (*read_position)(struct bus_reader *);
	void (*read_close)(struct bus_reader *);
	/* A consumer's position moved (to - 1 committed) or deleted:
	 * *was and *known tell what it was. */
	int (*consumer_set)(struct bus *, const char *topic,
	    const char *consumer, uint64_t to, uint64_t *was, int *known,
	    char *err, size_t n);
	int (*consumer_delete)(struct bus *, const char *topic,
	    const char *consumer, uint64_t *was, char *err, size_t n);
	/* Live: the subscription's descriptor, and a path that reopens it
	 * (a FIFO's, or NULL); whether the bus cut it off; its end. */
	int (*live_open)(struct bus *, const char *topic, const char *name,
	    struct bus_live **, char *err, size_t n);
	int (*live_fd)(struct bus_live *, const char **path);
	int (*live_cutoff)(struct bus_live *);
	void (*live_abort)(struct bus_live *);	/* from a signal handler */
	void (*live_close)(struct bus_live *);
	/* The bus's own end. */
	void (*close)(struct bus *);
};

struct bus {
	const struct bus_ops *ops;
	char *where;		/* for messages: the directory, or the URL */
	void *impl;		/* the bus's own state */
};

/*
 * Opens the bus url names: NULL or "" (or "dir:") is the directory bus
 * under $EVENTFUL_HOME.  creds is --creds, a NATS user's credentials file
 * (NULL: $NATS_CREDS, if set); the directory bus has none to take.
 * The bus in *b; BUS_USAGE with err for a URL no bus takes, or creds it
 * cannot; BUS_ERROR when the directory bus has no home.
 */
int bus_open(const char *url, const char *creds, struct bus **b, char *err,
    size_t n);
/* The URL of the bus: given (--bus), else $EVENTFUL_BUS, else $NATS_URL
 * (as the nats CLI reads it), else NULL. */
const char *bus_url(const char *given);
void bus_close(struct bus *);

/* What bus_find.c finds through the operations of any bus. */

/*
 * *seq: the sequence of the first event of topic whose time is usec or
 * later, or the last sequence + 1 when there is none: a reading from the
 * start, the same on every bus, since an event's time is its own (evpub
 * --time sets any) and need not grow with sequences, nor be when a
 * server stored it.  BUS_ERROR when the topic's log cannot be read.
 */
int bus_seek_time(struct bus *b, const char *topic, int64_t usec,
    uint64_t *seq, char *err, size_t n);

/*
 * *near: when topic does not exist and another one's name is a slip away
 * from it (two letters changed, dropped or added at most), that name,
 * malloc'd: for a publisher about to make topic to warn that ordrs is
 * not orders.  NULL otherwise.  BUS_OK, or why it cannot be told.
 */
int bus_near(struct bus *b, const char *topic, char **near, char *err,
    size_t n);

/* A publisher about to make topic: warns on stderr (under -T) when
 * bus_near finds a name, as subscribers say "did you mean". */
int bus_warn_near(struct bus *b, const char *topic, char *err, size_t n);

extern const struct bus_ops bus_dir_ops;	/* bus_dir.c */
extern const struct bus_ops bus_nats_ops;	/* bus_nats.c */

/* The directory bus's where: $EVENTFUL_HOME/topics, malloc'd; NULL with
 * err when there is no home. */
char *bus_dir_where(char *err, size_t n);

/*
 * The directory bus's own, for evlog, which reads and writes a topic's
 * log there as the file it is: the log of topic in *path, malloc'd.
 * BUS_NOTOPIC with err ("no topic ...: looked in DIR") when there is no
 * such topic, BUS_ERROR with err whole.
 */
int bus_dir_logpath(const char *topic, char **path, char *err, size_t n);

/* Whether url names NATS servers (nats://, tls://); a new bus's impl,
 * with the credentials file to connect with (NULL: none) and where it
 * was named. */
int bus_nats_url(const char *url);
void *bus_nats_new(const char *creds, const char *credsfrom);

/* The operations, as calls. */
/* BUS_OK when topic exists, BUS_NOTOPIC when not (said under why, when
 * not NULL), BUS_ERROR when it cannot be told. */
static inline int
bus_exists(struct bus *b, const char *topic, const char *why, char *err,
    size_t n)
{
	return b->ops->exists(b, topic, why, err, n);
}

static inline int
bus_any(struct bus *b, char *err, size_t n)
{
	return b->ops->any(b, err, n);
}

static inline int
bus_survey(struct bus *b, struct topic_stat **v, size_t *nv, char *err,
    size_t n)
{
	return b->ops->survey(b, v, nv, err, n);
}

static inline int
bus_remove(struct bus *b, const char *topic, int force, char *err, size_t n)
{
	return b->ops->remove(b, topic, force, err, n);
}

/* The last sequence of topic in *last (0: none yet); BUS_ERROR. */
static inline int
bus_last(struct bus *b, const char *topic, uint64_t *last, char *err,
    size_t n)
{
	return b->ops->last(b, topic, last, err, n);
}

/* A publisher of topic in *p; BUS_USAGE (o asks what the bus cannot do),
 * BUS_ERROR. */
static inline int
bus_pub_open(struct bus *b, const char *topic, const struct bus_pubopts *o,
    struct bus_pub **p, char *err, size_t n)
{
	return b->ops->pub_open(b, topic, o, p, err, n);
}

/*
 * Publishes the whole events buf[0..len) (a program's out_sink calls
 * it).  BUS_OK; else the run ends: BUS_ERROR when they cannot be stored
 * (nothing of them reached a subscriber or stdout), BUS_INVALID,
 * BUS_EXPECT, BUS_EPIPE.  A bus that stores behind the caller (a thread)
 * stops at its first failure, acknowledges nothing after it, tells
 * o->failed at once, and returns it from the next call.
 */
static inline int
bus_pub_sink(struct bus_pub *p, const char *buf, size_t len, char *err,
    size_t n)
{
	return p->bus->ops->pub_sink(p, buf, len, err, n);
}

/* Ends p, once all it took is done with: BUS_OK, or a failure found on
 * the way (as bus_pub_sink's, BUS_EPIPE aside). */
static inline int
bus_pub_close(struct bus_pub *p, char *err, size_t n)
{
	return p->bus->ops->pub_close(p, err, n);
}

/*
 * Opens a reading of topic from f: after f->consumer's committed position
 * (one run of a consumer at a time: BUS_BUSY), else from f->seq, else
 * from f->since.  BUS_NOTOPIC when there is no such topic (said on
 * stderr), BUS_PAST when the position is past the end, BUS_DAMAGED when
 * the end of the log is damage, BUS_FAIL with err; BUS_ERROR (the bus
 * failed) and BUS_USAGE (a setting it cannot take) with err whole.
 */
static inline int
bus_read_open(struct bus *b, const char *topic, const struct bus_from *f,
    struct bus_reader **r, char *err, size_t n)
{
	return b->ops->read_open(b, topic, f, r, err, n);
}

/* The next event, BUS_OK; BUS_END when there is no more for now;
 * BUS_DAMAGED, with err naming the offset, at a line of the log that is
 * not the event due (it is given again on the next call); BUS_ERROR, err
 * whole, when the bus failed. */
static inline int
bus_read_next(struct bus_reader *r, const char **line, size_t *len,
    uint64_t *seq, char *err, size_t n)
{
	return r->bus->ops->read_next(r, line, len, seq, err, n);
}

/* Waits until more may have come, or usec passed: BUS_OK, or BUS_ERROR
 * when the log cannot be read. */
static inline int
bus_read_wait(struct bus_reader *r, int64_t usec, char *err, size_t n)
{
	return r->bus->ops->read_wait(r, usec, err, n);
}

/* Commits a consumer's position: seq and all before it delivered. */
static inline int
bus_read_commit(struct bus_reader *r, uint64_t seq, char *err, size_t n)
{
	return r->bus->ops->read_commit(r, seq, err, n);
}

/* The sequence the reading started after. */
static inline uint64_t
bus_read_position(struct bus_reader *r)
{
	return r->bus->ops->read_position(r);
}

static inline void
bus_read_close(struct bus_reader *r)
{
	r->bus->ops->read_close(r);
}

static inline int
bus_consumer_set(struct bus *b, const char *topic, const char *consumer,
    uint64_t to, uint64_t *was, int *known, char *err, size_t n)
{
	return b->ops->consumer_set(b, topic, consumer, to, was, known, err,
	    n);
}

static inline int
bus_consumer_delete(struct bus *b, const char *topic, const char *consumer,
    uint64_t *was, char *err, size_t n)
{
	return b->ops->consumer_delete(b, topic, consumer, was, err, n);
}

/* A live subscription to a topic that exists, named name (or NULL). */
static inline int
bus_live_open(struct bus *b, const char *topic, const char *name,
    struct bus_live **l, char *err, size_t n)
{
	return b->ops->live_open(b, topic, name, l, err, n);
}

static inline int
bus_live_fd(struct bus_live *l, const char **path)
{
	return l->bus->ops->live_fd(l, path);
}

static inline int
bus_live_cutoff(struct bus_live *l)
{
	return l->bus->ops->live_cutoff(l);
}

/* Lets go of the subscription from a signal handler: async-signal-safe. */
static inline void
bus_live_abort(struct bus_live *l)
{
	l->bus->ops->live_abort(l);
}

static inline void
bus_live_close(struct bus_live *l)
{
	l->bus->ops->live_close(l);
}

#endif
