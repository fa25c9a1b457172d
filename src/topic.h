/* SPDX-License-Identifier: ISC */
/*
 * topic.h - the local bus: a topic is a directory.
 *
 *   $EVENTFUL_HOME/topics/NAME/
 *       log               its durable log, in evlog(5) format
 *       subs/evsub-PID    one FIFO per live subscriber (evsub-PID-NAME
 *                         when it was given a --name)
 *       consumers/NAME    a durable consumer's committed position
 *
 * Publishing appends to the log (through log.h, as evlog append does)
 * and then writes the stamped events to every live subscriber's FIFO.
 * Live subscribers get events at most once, while they listen; durable
 * consumers read the log from their position, at least once.
 *
 * Nothing here exits the program: a failure comes back as -1 (or the
 * enum bus_result said), with the message whole in the caller's err[n]
 * ("PATH: what: why", what it concerns first), for the program to print
 * after its name, as errw(EXIT_FAIL, NULL, "%s", err) does.  A message
 * that names a permission in the way is long: BUS_ERRMAX holds any.
 * Running out of memory is the exception, as everywhere (xmalloc).
 */
#ifndef EV_TOPIC_H
#define EV_TOPIC_H

#include <sys/types.h>

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "ack.h"
#include "log.h"
#include "topiclist.h"

struct topic {
	char *name;		/* as given */
	char *dir;		/* $EVENTFUL_HOME/topics/NAME */
	char *log;		/* dir/log */
	char *subs;		/* dir/subs */
	char *consumers;	/* dir/consumers */
};

/* $EVENTFUL_HOME, or ${XDG_STATE_HOME:-$HOME/.local/state}/eventful;
 * NULL with err when neither that nor $HOME is set. */
char *topic_home(char *err, size_t n);

/*
 * Tells whether $EVENTFUL_HOME is shared by a group: group-writable and
 * setgid.  Then what is made under it is the group's (directories 2770,
 * files and FIFOs 0660), as git's core.sharedRepository does; else 0700
 * and 0600.
 */
int topic_shared(void);

/* When errno says that op on path failed for want of permission, says
 * so in err, naming what is in the way, its owner and mode, and the fix
 * (sharing the home with a group), and returns -1; else 0. */
int topic_denied(const char *path, const char *op, char *err, size_t n);

/* Fills t's paths for topic name, and with create makes its directories
 * (0700, or 2770 when shared).  -1 with err (t empty) when they cannot be
 * made (for want of permission naming the directory in the way and the
 * fix), or one is another user's symbolic link. */
int topic_init(struct topic *t, const char *name, int create, char *err,
    size_t n);

/*
 * Tells whether topic name exists (a publisher has made it).  When it
 * does not, and why is not NULL, says so on stderr under why: the
 * directory looked in, and the topics there, the closest first when one
 * is close.  Subscribing never makes a topic: a mistyped name, or another
 * EVENTFUL_HOME, would make a new, empty one without a word.  -1 with err
 * when it cannot be told.
 */
int topic_exists(const char *name, const char *why, char *err, size_t n);

/* Whether any topic exists; if not, says so on stderr (--topics). */
int topic_any(void);
void topic_free(struct topic *t);

/* A publisher: the sink of an output (out_sink) that appends to the log
 * and fans out to the live subscribers. */
struct topub {
	struct topic t;
	int dirfd;		/* t.dir, held with a shared flock while the
				   publisher runs: topic_delete sees it */
	struct log *log;	/* the log */
	struct batch bt;	/* the events being published, unthreaded */
	struct scanner sc;	/* to find their members */
	struct ce_event ev;
	int sync;		/* --sync */
	int64_t maxwait;	/* --max-wait, microseconds */
	long long expect;	/* --expect, or -1 */
	struct ack ack;		/* stdout, the repeats, --expect's subject */
	uint64_t n;		/* events published so far, for messages */
	/* Two threads write and commit groups while evpub makes the next. */
	int threaded;
	void (*onfail)(int, const char *);	/* told of a failure the
				   threads found, or NULL */
	pthread_mutex_t mu;	/* guards res and failerr */
	int res;		/* the first failure (enum bus_result), kept */
	char failerr[2048];	/* its message, whole */
	int done;		/* unthreaded: pubdone's result */
	char doneerr[512];	/* and its message */
};

/*
 * With overlap, a thread commits each group while the caller makes the
 * next; without, topub_sink returns once its events are durable.  Each
 * event, once durable, is written to stdout with its sequence (unless
 * quiet), as evlog append acknowledges.  p->expect (set after opening,
 * without overlap) makes each sink a compare-and-set on its subject's
 * count (BUS_EXPECT when it fails), the count moving on by what it
 * stored.  Each returns an enum bus_result, with err whole.
 *
 * The first failure is kept, and every call after returns it: BUS_ERROR
 * (the log cannot be written: nothing of the events reached a subscriber
 * or stdout), BUS_INVALID (an event --expect cannot count), BUS_EXPECT,
 * BUS_EPIPE (the reader of the acknowledgements went away; what is
 * stored stays).  With overlap the pipeline's threads find most failures:
 * one stops the pipeline (nothing is acknowledged after it), is kept for
 * the next topub_sink or topub_close to return, and is told at once to
 * onfail (when not NULL), from the thread, for a program that must not
 * wait for its next input to end.
 */
int topub_open(struct topub *p, const char *name, int sync,
    int64_t maxwait, int quiet, int overlap,
    void (*onfail)(int, const char *), char *err, size_t n);
int topub_sink(struct topub *p, const char *buf, size_t len, char *err,
    size_t n);
/* Ends the pipeline and frees p: BUS_OK, or the failure kept (not
 * BUS_EPIPE). */
int topub_close(struct topub *p, char *err, size_t n);

/*
 * A live subscriber's FIFO, subs/evsub-PID, or subs/evsub-PID-NAME when
 * it has a name (NULL for none; a valid topic name, which the caller
 * checked): made under a hidden name, opened for reading by the caller
 * (fd), then put in place under subs/ once fd is found to be that FIFO,
 * not what someone put in its place meanwhile.  topic_fifo_remove removes
 * it (also from a signal handler: it only calls unlink(2)).
 * topic_fifo_cut tells whether it was removed by someone else: a
 * publisher cut it off.  topic_fifo_make returns NULL, and
 * topic_fifo_place -1, with err.
 */
char *topic_fifo_make(struct topic *t, const char *name, char **tmp,
    char *err, size_t n);
int topic_fifo_place(const char *tmp, const char *path, int fd, char *err,
    size_t n);
void topic_fifo_remove(void);
int topic_fifo_cut(void);

/* Durable consumers: one run at a time (the lock: its descriptor, -1 when
 * a run holds it, -2 with err), and the position (-1 with err). */
int topic_consumer_lock(struct topic *t, const char *name, char *err,
    size_t n);
int topic_position(struct topic *t, const char *name, uint64_t *pos,
    char *err, size_t n);
int topic_commit(struct topic *t, const char *name, uint64_t seq, char *err,
    size_t n);

/* Whether consumer name of t has a position (or a lock: it ran). */
int topic_consumer_exists(struct topic *t, const char *name);
/* Removes consumer name's position and lock; the caller holds the lock.
 * -1 with err. */
int topic_consumer_delete(struct topic *t, const char *name, char *err,
    size_t n);

/* The last sequence of t's log in *last: 0 when it has none yet.  -1 with
 * err when the log cannot be read. */
int topic_last(struct topic *t, uint64_t *last, char *err, size_t n);

/*
 * Deletes topic name: out of sight at once (one rename), then removed.
 * Returns -1 with why in err, deleting nothing, when it has live
 * subscribers, a consumer running or a publisher running, unless force;
 * -2 with err (whole) when it cannot be done.
 * The rename happens under the log's exclusive lock: a publisher, forced
 * or racing, stops at its next append (log_lock: LOG_GONE) and never
 * acknowledges an event into the removed log.
 */
int topic_delete(const char *name, int force, char *err, size_t n);

/* Fills *v with every topic under $EVENTFUL_HOME, sorted by name, and
 * returns how many (topiclist.h).  Nothing is reported: an unreadable
 * position is in its err. */
size_t topic_survey(struct topic_stat **v);

#endif
