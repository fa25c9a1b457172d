/*
 * commit.h - group commit as a pipeline, for evlog append and evpub -T.
 *
 * The caller fills batches and hands them over in order.  One thread
 * writes each into the log under its lock (stamped, deduplicated and
 * indexed by store_write); a second makes what was written durable with
 * one fsync(2), and only then gives each batch to the caller's durable
 * hook (to acknowledge it, or to fan it out).  So the fsync of one batch
 * overlaps the writing of the next and the filling of the one after.
 *
 * The log's lock is taken for the first batch and let go when the
 * pipeline runs dry, so the hook runs under it, in the log's order.  A
 * pipeline that never runs dry (a big file on stdin) is drained every
 * COMMIT_HOLD and lets go, so that readers and other writers get in;
 * they never see what is written and not yet durable.
 * When a write or an fsync fails, the log is cut back to the end of what
 * was durable before, the index is dropped (it may be ahead of the log),
 * the batches acknowledged so far stay acknowledged, and the fail hook
 * ends the program.
 */
#ifndef EV_COMMIT_H
#define EV_COMMIT_H

#include <pthread.h>

#include "store.h"

#define COMMIT_NBATCH 3		/* batches in the pipeline */
#define COMMIT_HOLD 200000	/* microseconds the lock is held, at most,
				   before the pipeline drains to let go */

struct committer {
	struct store *st;
	int sync;		/* SYNC_BATCH or SYNC_NONE */
	/* After the batch is durable, under the log's lock: returns -1 to
	 * stop (the reader of the acknowledgements went away). */
	int (*durable)(void *arg, struct batch *bt);
	/* A failure: how is what store_write returned (-1 a write or
	 * fsync failed, with errno err; -3 the log is full).  Must not
	 * return. */
	void (*fail)(void *arg, long how, int err);
	void *arg;
	pthread_t wt, ft;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	struct batch bt[COMMIT_NBATCH];
	/* Batches by number: given to the caller, handed over, written,
	 * done with.  Batch k lives in bt[k % COMMIT_NBATCH]. */
	uint64_t ngot, nsub, nwritten, ndone;
	int held;		/* the log's lock is ours */
	int64_t since;		/* since then (now_usec) */
	int writing;		/* the writer is at work on the log */
	int stopped;		/* the durable hook said stop */
	int failed;		/* the syncing side found a failure */
	int closing;		/* nothing more will be handed over */
	uint64_t key[4];	/* the index's keys, once known */
	int keyed;
	int starved;		/* the writer waited for a batch */
};

/* Starts the two threads. */
void commit_start(struct committer *c, struct store *st, int sync,
    int (*durable)(void *, struct batch *),
    void (*fail)(void *, long, int), void *arg);
/* The next batch to fill, cleared; waits while the pipeline is full. */
struct batch *commit_batch(struct committer *c);
/* Hands over the batch commit_batch gave last.  Returns -1 when the
 * durable hook has said stop (the batch is dropped). */
int commit_submit(struct committer *c);
/* Waits until every batch handed over is done with; ends the threads. */
void commit_finish(struct committer *c);

#endif
