/* SPDX-License-Identifier: ISC */
/*
 * commit.c - group commit as a pipeline: a writing thread and a syncing
 * thread behind the caller.  See log_int.h.  Nothing here exits: the
 * first failure goes to the caller's fail hook, and the pipeline stops.
 */
#include <errno.h>
#include <sched.h>
#include <string.h>
#include <unistd.h>

#include "log_int.h"
#include "timefmt.h"
#include "util.h"

#define SLOT(c, k) (&(c)->bt[(k) % COMMIT_NBATCH])

/*
 * Reports a failure of the writing side through the fail hook, once the
 * syncing side has done what it can with the batches before (so that no
 * acknowledgement is left half-written), unless the syncing side found a
 * failure first: the hook hears of the first failure only.  The hook may
 * end the program; when it returns, the pipeline is over (failed): it
 * writes and acknowledges nothing more.
 */
static void
writefail(struct committer *c, enum log_result how, int err, const char *msg)
{
	int first;

	pthread_mutex_lock(&c->mu);
	c->writing = 0;
	pthread_cond_broadcast(&c->cv);
	while (c->ndone < c->nwritten && !c->failed)
		pthread_cond_wait(&c->cv, &c->mu);
	first = !c->failed;
	c->failed = 1;
	pthread_cond_broadcast(&c->cv);
	pthread_mutex_unlock(&c->mu);
	if (first)
		c->fail(c->arg, how, err, msg);
}

/* The writing side: each batch handed over goes into the log, in order. */
static void *
writer(void *arg)
{
	struct committer *c = arg;
	struct batch *bt;
	char err[512];
	enum log_result r;

	pthread_mutex_lock(&c->mu);
	for (;;) {
		while (c->nwritten == c->nsub && !c->closing) {
			c->starved = 1;
			pthread_cond_wait(&c->cv, &c->mu);
		}
		if (c->nwritten == c->nsub)
			break;
		if (c->held && now_usec() - c->since > COMMIT_HOLD) {
			/* Held long enough: let readers and other writers
			 * in once what is written is durable. */
			while (c->ndone < c->nwritten)
				pthread_cond_wait(&c->cv, &c->mu);
			if (c->held) {
				store_unlock(c->st);
				c->held = 0;
			}
			pthread_mutex_unlock(&c->mu);
			sched_yield();
			pthread_mutex_lock(&c->mu);
		}
		bt = SLOT(c, c->nwritten);
		if (c->stopped || c->failed || bt->n == 0) {
			/* Nobody takes the acknowledgements, or the pipeline
			 * failed: write no more. */
			bt->m = 0;
			bt->from = c->st->end;
			bt->before = c->st->last;
			c->nwritten++;
			pthread_cond_broadcast(&c->cv);
			continue;
		}
		c->writing = 1;
		pthread_mutex_unlock(&c->mu);
		/* Only this side takes the lock, and the other lets it go
		 * only while this one is not writing. */
		r = LOG_OK;
		if (!c->held) {
			if ((r = store_lock(c->st, 1, err, sizeof(err))) !=
			    LOG_OK)
				writefail(c, r, 0, err);
			else {
				c->held = 1;
				c->since = now_usec();
			}
		}
		if (r == LOG_OK && (r = store_write(c->st, bt)) != LOG_OK)
			writefail(c, r, errno, NULL);
		pthread_mutex_lock(&c->mu);
		if (r != LOG_OK)
			bt->m = 0;	/* nothing of it is stored */
		/* Batches to come can be hashed as they are filled. */
		memcpy(c->key, idx_key(&c->st->x), sizeof(c->key));
		c->keyed = 1;
		c->writing = 0;
		c->nwritten++;
		pthread_cond_broadcast(&c->cv);
	}
	pthread_mutex_unlock(&c->mu);
	return NULL;
}

/* The syncing side: one fsync for all that is written, then the hook. */
static void *
syncer(void *arg)
{
	struct committer *c = arg;
	struct batch *bt;
	uint64_t k, hi;
	off_t from;
	uint64_t before;
	int stop = 0, e, wrote, first, failed;

	pthread_mutex_lock(&c->mu);
	for (;;) {
		while (c->ndone == c->nwritten &&
		    !(c->closing && c->nwritten == c->nsub))
			pthread_cond_wait(&c->cv, &c->mu);
		if (c->ndone == c->nwritten)
			break;
		hi = c->nwritten;
		bt = SLOT(c, c->ndone);
		from = bt->from;
		before = bt->before;
		for (wrote = 0, k = c->ndone; k < hi; k++)
			wrote |= SLOT(c, k)->m > 0;
		pthread_mutex_unlock(&c->mu);
		if (wrote && c->sync != SYNC_NONE && fsync(c->st->fd) == -1) {
			e = errno;
			pthread_mutex_lock(&c->mu);
			first = !c->failed;
			c->failed = 1;
			while (c->writing)
				pthread_cond_wait(&c->cv, &c->mu);
			pthread_mutex_unlock(&c->mu);
			/* What the writer added since cannot be durable
			 * either: all of it goes. */
			if (first) {
				store_cut(c->st, from, before);
				c->fail(c->arg, LOG_IO, e, NULL);
			}
		}
		/* After a failure nothing more is acknowledged: what came
		 * after it is not durable, or not there. */
		pthread_mutex_lock(&c->mu);
		failed = c->failed;
		pthread_mutex_unlock(&c->mu);
		for (k = c->ndone; k < hi; k++) {
			bt = SLOT(c, k);
			if (!stop && !failed && bt->n > 0 &&
			    c->durable(c->arg, bt) == -1)
				stop = 1;
		}
		pthread_mutex_lock(&c->mu);
		c->ndone = hi;
		if (stop)
			c->stopped = 1;
		if (c->ndone == c->nwritten && !c->writing && c->held) {
			store_unlock(c->st);
			c->held = 0;
		}
		pthread_cond_broadcast(&c->cv);
	}
	pthread_mutex_unlock(&c->mu);
	return NULL;
}

enum log_result
commit_start(struct committer *c, struct store *st, int sync,
    log_durable_fn *durable, log_fail_fn *fail, void *arg)
{
	memset(c, 0, sizeof(*c));
	c->st = st;
	c->sync = sync;
	c->durable = durable;
	c->fail = fail;
	c->arg = arg;
	pthread_mutex_init(&c->mu, NULL);
	pthread_cond_init(&c->cv, NULL);
	if ((errno = pthread_create(&c->wt, NULL, writer, c)) != 0)
		return LOG_IO;
	if ((errno = pthread_create(&c->ft, NULL, syncer, c)) != 0) {
		/* The writer waits for batches: tell it none will come. */
		int e = errno;

		pthread_mutex_lock(&c->mu);
		c->closing = 1;
		pthread_cond_broadcast(&c->cv);
		pthread_mutex_unlock(&c->mu);
		pthread_join(c->wt, NULL);
		errno = e;
		return LOG_IO;
	}
	return LOG_OK;
}

struct batch *
commit_batch(struct committer *c)
{
	struct batch *bt;

	pthread_mutex_lock(&c->mu);
	while (c->ngot - c->ndone >= COMMIT_NBATCH)
		pthread_cond_wait(&c->cv, &c->mu);
	bt = SLOT(c, c->ngot);
	c->ngot++;
	batch_clear(bt);
	memcpy(bt->key, c->key, sizeof(bt->key));
	/* Hashing goes to whichever side has less to do: to the writer
	 * when it waited for this side since the last batch. */
	bt->keyed = c->keyed && !c->starved;
	c->starved = 0;
	pthread_mutex_unlock(&c->mu);
	return bt;
}

int
commit_submit(struct committer *c)
{
	int r;

	pthread_mutex_lock(&c->mu);
	c->nsub++;
	r = c->stopped || c->failed ? -1 : 0;
	pthread_cond_broadcast(&c->cv);
	pthread_mutex_unlock(&c->mu);
	return r;
}

void
commit_finish(struct committer *c)
{
	size_t i;

	pthread_mutex_lock(&c->mu);
	/* A batch taken and not handed over is handed over empty. */
	if (c->ngot > c->nsub) {
		SLOT(c, c->nsub)->n = 0;
		SLOT(c, c->nsub)->b.len = 0;
		c->nsub = c->ngot;
	}
	c->closing = 1;
	pthread_cond_broadcast(&c->cv);
	pthread_mutex_unlock(&c->mu);
	pthread_join(c->wt, NULL);
	pthread_join(c->ft, NULL);
	if (c->held)
		store_unlock(c->st);
	pthread_mutex_destroy(&c->mu);
	pthread_cond_destroy(&c->cv);
	for (i = 0; i < COMMIT_NBATCH; i++)
		batch_free(&c->bt[i]);
}
