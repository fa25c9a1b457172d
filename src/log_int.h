/* SPDX-License-Identifier: ISC */
/*
 * log_int.h - internal interfaces of the event log (log.h).  For use
 * inside the log only: src/log*.c, store.c, idx.c, commit.c, and the
 * unit tests of tests/unit.  No program includes it; programs see the log
 * through log.h alone.
 *
 * The parts, each on the ones before it: the chunked line reader and the
 * backward newline search that every reading of the file shares; the
 * side index (idx.c); the file itself (store.c); the group-commit
 * pipeline (commit.c); and the handle and cursor of log.h (log.c).
 */
#ifndef EV_LOG_INT_H
#define EV_LOG_INT_H

#include <sys/types.h>

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "ce.h"
#include "log.h"
#include "scan.h"

/* Fills err[n] as seterr does, and returns r. */
enum log_result log_seterr(enum log_result r, char *err, size_t n,
    const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/* ---- lines (lines.c, below both the store and the index) ---- */

/* Turns the reason ce_validate put in why[n] into "it is not an event:
 * REASON", for messages about damage ("damaged at offset N (why)"). */
void notevent(char *why, size_t n);

/*
 * The last "\n" before offset from, looking back at most within bytes (0:
 * to the start of the file): its offset; -1 when there is none in reach;
 * -2 when a read failed (errno).
 */
off_t log_lastnl(int fd, off_t from, off_t within);

/*
 * The lines of a file from an offset on, read ahead in chunks that grow
 * for a long line up to LOG_MAXLINE: evlog cat, every cursor, the index's
 * catch-up.
 */
struct lines {
	int fd;			/* the file */
	char *buf;		/* lines read ahead */
	size_t cap, start, len;	/* buf's size, the next line, bytes in it */
	off_t off;		/* the file offset of buf[len] */
};

void lines_init(struct lines *l, int fd, off_t off);
void lines_free(struct lines *l);
/* Goes on from offset off: within what is read ahead, without a read. */
void lines_seek(struct lines *l, off_t off);
/* The offset of the next line. */
#define lines_at(l) ((l)->off - (off_t)((l)->len - (l)->start))
/* The offset of line, which lines_next gave last. */
#define lines_off(l, line) ((l)->off - (off_t)((l)->len - \
	(size_t)((line) - (l)->buf)))

/*
 * The next whole line before offset end (where whole lines end), without
 * its "\n" (line[len] is the "\n").  LOG_OK; LOG_END when none is left
 * before end; LOG_IO (a read failed, or the file shrank) and LOG_DAMAGED
 * (a line over LOG_MAXLINE) with err.
 */
enum log_result lines_next(struct lines *l, off_t end, const char **line,
    size_t *len, char *err, size_t n);

/* ---- the side index (idx.c) ---- */

/*
 * The side index of a log, LOG.idx: what makes the duplicate check,
 * the expected-version check and seeks by sequence and by time cost the
 * same on a log of a million events as on an empty one.
 *
 * The index is derived from the log and never the source of truth.  It
 * holds three tables, in one file mapped into memory:
 *
 *   ids       (source, id) of every event, by a keyed 128-bit hash, with
 *             the event's sequence;
 *   subjects  each subject, by a keyed 128-bit hash, with its number of
 *             events and the sequence of its last;
 *   blocks    for every 256 events, the offset of the first and the
 *             earliest and latest time among them.
 *
 * Its header says how far into the log it reaches.  Appenders update it
 * under the log's lock right after their write, so a crash leaves it
 * behind the log, never ahead; the next appender indexes what is missing.
 * When the fsync that follows fails, the log is cut back and the index
 * dropped (store_cut).
 * Adding an event twice changes nothing, so catching up after a crash in
 * the middle of an update is safe.  The index is not fsynced: it names the
 * boot it was written in, and one from another boot (after a power loss,
 * its pages may not all have reached the disk), from another file, or
 * damaged is rebuilt from the log.  See evlog(5).
 */

#define IDX_BLOCK 256		/* events per block of the time table */
#define IDX_NOTIME LOG_NOTIME	/* an event without a time */

/* What the index needs of one event, decoded into a string buffer. */
struct idx_ev {
	size_t key, keylen;	/* source "\0" id, in the buffer */
	size_t subj, subjlen;	/* the subject, in the buffer */
	int hassubj;		/* the event has a subject */
	int64_t time;		/* its time, or IDX_NOTIME */
	uint64_t hid[2];	/* filled by idx_hash */
	uint64_t hsubj[2];
	uint64_t *slot;		/* where idx_dup found no entry for it */
};

struct idx_hdr;

struct idx {
	char *path;		/* LOG.idx */
	int fd;			/* the index file, or -1 */
	int write;		/* open for appenders */
	int ok;			/* usable: valid for the log as it is */
	unsigned char *map;	/* the mapping */
	size_t maplen;
	struct idx_hdr *h;	/* its header */
	uint64_t rlast;		/* for readers: the last sequence, and */
	uint64_t rcovered;	/* the offset, it covered when peeked at */
	off_t bad;		/* idx_attach found damage here, */
	uint64_t badlast;	/* after this sequence */
	/* What this run staged for the batch in hand, and not yet added. */
	uint64_t (*stage)[3];	/* {hash, hash, sequence} */
	size_t nstage, stagecap;
	uint64_t stagebase;	/* entries up to this sequence are empty */
	uint64_t stagetop;	/* the last sequence staged */
};

/* Decodes what the index needs of the checked event ev into strs and e. */
void idx_evfrom(const struct ce_event *ev, struct buf *strs,
    struct idx_ev *e);

/*
 * For appenders, under the log's exclusive lock: opens, checks, catches up
 * or rebuilds the index of the log fd whose whole lines end at end, with
 * last sequence last.  When the file cannot be written, the index is kept
 * in memory for this run, with a warning.  Returns 0; -1 with err; 1 when
 * a line it read is damage (no event, no sequence, or not the one after
 * the line before): the index then covers the log up to x->bad, after
 * sequence x->badlast, and err says what is wrong with that line.
 */
int idx_attach(struct idx *x, const char *logpath, int logfd, off_t end,
    uint64_t last, char *err, size_t n);

/*
 * For readers, under a shared lock: maps the index when it is valid for
 * the log (x->ok), read-only.  Never writes, never fails.
 */
void idx_peek(struct idx *x, const char *logpath, int logfd, off_t end,
    uint64_t last);

void idx_close(struct idx *x);

/* Fills e->hid and e->hsubj with the index's keyed hashes: idx_hashkey
 * with a copy of its keys (idx_key), which any thread may use. */
void idx_hash(const struct idx *x, const struct buf *strs, struct idx_ev *e);
void idx_hashkey(const uint64_t key[4], const struct buf *strs,
    struct idx_ev *e);
const uint64_t *idx_key(const struct idx *x);

/*
 * The batch in hand: idx_begin forgets what was staged and makes room for
 * n more events, the last of them sequence seq, so that the tables do not
 * move before idx_add.  idx_dup gives the
 * sequence of an event with e's source and id (in the log or staged), or
 * 0; idx_count the events of e's subject in the log; idx_stage takes e, to
 * be sequence seq.
 */
void idx_begin(struct idx *x, uint64_t n, uint64_t seq);
void idx_prefetch(const struct idx *x, const struct idx_ev *e);
uint64_t idx_dup(struct idx *x, struct idx_ev *e);
uint64_t idx_count(struct idx *x, const struct idx_ev *e);
void idx_stage(struct idx *x, const struct idx_ev *e, uint64_t seq);

/*
 * After the batch, or a piece of it, is written (and with store_append,
 * durable): adds its n events (sequence first + i, the line at offs[i])
 * and moves the header on to end and last; line[0..len) is the last line,
 * without its newline.  Once all that was staged is added, it is
 * forgotten.
 */
void idx_add(struct idx *x, const struct idx_ev *ev, size_t n,
    uint64_t first, const off_t *offs, off_t end, uint64_t last,
    const char *line, size_t len);

/* Marks the index stale, so that the next appender rebuilds it. */
void idx_drop(struct idx *x);

/* Under the exclusive lock: builds the index again from the log; as
 * idx_attach. */
int idx_rebuild(struct idx *x, const char *logpath, int logfd, off_t end,
    uint64_t last, char *err, size_t n);

/*
 * For readers of a valid index: the last sequence it covers, and for
 * block k (events IDX_BLOCK * k + 1 on) the offset of its first line and
 * the earliest and latest time in it (IDX_NOTIME for none).  idx_next
 * gives the offset where the block after block k starts.
 */
uint64_t idx_last(const struct idx *x);
off_t idx_block(const struct idx *x, uint64_t k, int64_t *tmin,
    int64_t *tmax);
off_t idx_next(const struct idx *x, uint64_t k);

/* SipHash-2-4 of msg[0..len) under key k, for the unit tests too: the
 * 64-bit hash, and the 128-bit one (h[0] its first eight bytes). */
uint64_t siphash24(const uint64_t k[2], const void *msg, size_t len);
void siphash24_128(const uint64_t k[2], const void *msg, size_t len,
    uint64_t h[2]);


/* ---- the file (store.c) ---- */

struct store {
	const char *path;	/* the log */
	int fd;			/* open for reading (and appending) */
	off_t end;		/* the log's whole lines end here */
	uint64_t last;		/* the last sequence, 0 for an empty log */
	struct scanner sc;	/* for lines of the log */
	struct ce_event ev;	/* the last line checked */
	struct idx x;		/* the side index, LOG.idx */
};

/* As log_open, log_close. */
enum log_result store_open(struct store *st, const char *path, int write,
    char *err, size_t n);
void store_close(struct store *st);

/* As log_lock, log_unlock. */
enum log_result store_lock(struct store *st, int repair, char *err,
    size_t n);
void store_unlock(struct store *st);

/*
 * As log_refresh; with peek, maps the index too, when it is valid, for a
 * reader to find where to start.
 */
enum log_result store_tail(struct store *st, int peek, char *err,
    size_t n);

/*
 * Lets go of the index a reader peeked at, once it has found where to
 * start: a follower that kept it would hold, for as long as it runs, the
 * disk space of an index that appenders have since grown and replaced.
 */
void store_unpeek(struct store *st);

/* As log_append. */
enum log_result store_append(struct store *st, struct batch *bt, int sync,
    long long expect, uint64_t *count);

/*
 * For the pipeline: store_append without the fsync, and with the index
 * updated at once.  store_sync then makes the log durable up to its end;
 * when that fails, it cuts the log back to from (where the first batch
 * not yet durable starts, after sequence before), drops the index, and
 * returns LOG_IO with errno.
 */
enum log_result store_write(struct store *st, struct batch *bt);
enum log_result store_sync(struct store *st, off_t from, uint64_t before);
/* As log_cut. */
void store_cut(struct store *st, off_t from, uint64_t before);

/*
 * The offset of the line with sequence seq, found by binary search over
 * the file (sequences only grow), or the end when seq is past the last.
 */
off_t store_seek(struct store *st, uint64_t seq);

/* ---- group commit (commit.c) ---- */

/*
 * Group commit as a pipeline, for evlog append and evpub -T (log.h).
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
 * ends the program (the program's hook: nothing here exits).
 */

#define COMMIT_NBATCH 3		/* batches in the pipeline */
#define COMMIT_HOLD 200000	/* microseconds the lock is held, at most,
				   before the pipeline drains to let go */

struct committer {
	struct store *st;	/* the log */
	int sync;		/* SYNC_BATCH or SYNC_NONE */
	log_durable_fn *durable;	/* as log.h says */
	log_fail_fn *fail;
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
	int failed;		/* a failure was found: the pipeline is
				   over, the fail hook told */
	int closing;		/* nothing more will be handed over */
	uint64_t key[4];	/* the index's keys, once known */
	int keyed;
	int starved;		/* the writer waited for a batch */
};

/* Starts the two threads: LOG_OK, or LOG_IO with errno. */
enum log_result commit_start(struct committer *c, struct store *st,
    int sync, log_durable_fn *durable, log_fail_fn *fail, void *arg);
/* The next batch to fill, cleared; waits while the pipeline is full. */
struct batch *commit_batch(struct committer *c);
/* Hands over the batch commit_batch gave last.  Returns -1 when the
 * durable hook has said stop, or the pipeline failed (the batch is
 * dropped). */
int commit_submit(struct committer *c);
/* Waits until every batch handed over is done with; ends the threads. */
void commit_finish(struct committer *c);


/* ---- the handle and the cursor (log.c) ---- */

struct log {
	char *path;		/* as opened */
	struct store st;	/* the file and its index */
	struct committer cm;	/* the pipeline, while committing */
	int committing;		/* log_commit_start was called */
};

struct log_cursor {
	struct log *lg;		/* the log read */
	struct lines in;	/* its lines, from where the cursor is */
	uint64_t seq;		/* the sequence of the last line read */
	uint64_t from, to;	/* the window by sequence (to 0: no end) */
	int64_t since, until;	/* and by time (LOG_NOTIME: open) */
	int timed;		/* there is a time window */
	int known;		/* seq is known, else the next line says */
	int check;		/* log_cursor_check: each line is checked */
	uint64_t ilast;		/* the last sequence of the peeked index,
				   0 once it is let go */
	off_t bend;		/* with a time window: where the block being
				   read ends, or 0 */
	int ifd;		/* inotify, for log_wait, or -1 */
	int itried;		/* ifd was asked for */
	struct scanner sc;	/* for the lines that must be read */
	struct ce_event ev;
};

#endif
