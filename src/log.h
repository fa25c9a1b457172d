/* SPDX-License-Identifier: ISC */
/*
 * log.h - the event log, evlog(5): an NDJSON file of events, each stamped
 * with a sequence (1, 2, 3, ... without gaps), appended durably under an
 * exclusive flock(2), with a side index (LOG.idx) that nobody but this
 * module sees.  This header is the module's whole contract: programs
 * include it and nothing else of the log (log_int.h is its inside).
 *
 * Rules that hold for every log_* function:
 * - Nothing here exits the program or prints but a warning (a torn line
 *   cut, an index kept in memory): failures come back as an enum
 *   log_result, with a reason in the caller's err[n] where there is one,
 *   and the program decides.  Running out of memory is the exception, as
 *   everywhere (xmalloc).
 * - A struct log belongs to the one who opened it; a cursor or a pipeline
 *   borrows it and must be closed (finished) before it.
 */
#ifndef EV_LOG_H
#define EV_LOG_H

#include <sys/types.h>

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "ce.h"
#include "scan.h"

#define SEQ_DIGITS 12	/* "000000000001": sorts as text up to 10^12 - 1 */
#define SEQ_MAX 999999999999ULL	/* the last sequence a log can hold */
#define LOG_MAXLINE (64 << 20)	/* the longest line a log may hold */
#define STAMP_LEN (13 + SEQ_DIGITS + 1)	/* ,"sequence":"000000000001" */
#define LOG_NOTIME INT64_MIN	/* no time: an open end of a window */

/* What a log_* call came to. */
enum log_result {
	LOG_OK = 0,	/* done (log_next: a line) */
	LOG_END,	/* log_next: nothing more for now; log_wait to wait */
	LOG_STOP,	/* log_next: past the cursor's last sequence, for good */
	LOG_EXPECT,	/* log_append: the subject has not expect events;
			   nothing is appended */
	LOG_FULL,	/* log_append: the log holds sequence SEQ_MAX; nothing
			   of the batch is stored */
	LOG_IO,		/* a system call failed: err says (log_append and the
			   pipeline: errno says); nothing half done is left */
	LOG_DAMAGED,	/* the file is not a log's, or not what it was (a
			   line that is no event, truncated, replaced): err */
	LOG_HUP,	/* log_wait: the descriptor named hung up */
	LOG_GONE	/* log_lock: the path no longer names the file
			   opened (removed, or replaced): nothing may be
			   appended to it, no reader would see it */
};

/* The --sync modes: per event, per batch (group commit), or none. */
enum { SYNC_NONE, SYNC_BATCH, SYNC_EVENT };

/* The mode --sync names: "event", "batch" or "none"; -1 for anything else. */
int log_syncmode(const char *name);

/* The sequence of a checked event, or 0 when it has none or a bad one. */
uint64_t log_seqof(const struct ce_event *ev);

/* ---- the log ---- */

struct log;

/*
 * Opens the log at path for appending (creating it, 0600, when missing)
 * or only for reading.  A symlink, or anything but a regular file, is
 * refused.  Returns the handle, or NULL with a reason in err.
 */
struct log *log_open(const char *path, int write, char *err, size_t n);
void log_close(struct log *lg);

/* The path it was opened with. */
const char *log_path(const struct log *lg);

/*
 * The file itself, for what reads it as plain lines whatever they hold
 * (evlog verify) and for setting its mode: never written through.
 */
int log_fd(const struct log *lg);

/*
 * Finds the durable end of the whole lines and the last sequence, from
 * the tail of the file under a shared lock (never a scan).  Returns
 * LOG_OK; LOG_DAMAGED when the end of the file is not a log's end;
 * LOG_IO.  log_last and log_end then tell, as do log_lock and log_append.
 */
enum log_result log_refresh(struct log *lg, char *err, size_t n);
uint64_t log_last(const struct log *lg);	/* 0 for an empty log */
off_t log_end(const struct log *lg);

/* What log_lock repairs: see evlog(5), Damage. */
enum {
	LOG_REPAIR_NONE,	/* nothing: damage is LOG_DAMAGED */
	LOG_REPAIR_TAIL,	/* what a crash leaves, as appends do: a torn
				   last line is cut; damage within 32 MiB of
				   the end is moved aside */
	LOG_REPAIR_ALL		/* evlog repair: damage anywhere is moved
				   aside, and the index is built again */
};

/*
 * Takes the exclusive lock and reads what others appended since.  Damage
 * is a line that is not an event with the sequence after the one before,
 * or bytes after the last newline.  With repair, a torn last line is cut
 * off, and damage in reach (see above) is moved aside: the bytes from
 * the damaged line to the end are copied into LOG.damaged-OFFSET (made
 * durable first), and the log is cut back to that line; both with a
 * warning that names the offset and the file.  A file whose first line
 * is damage without a NUL byte is not a log: never moved aside.  Results
 * as log_refresh's; LOG_DAMAGED with err naming the offset when damage is
 * left where it is.
 * LOG_GONE when the path no longer names the file opened (it was removed
 * or replaced): the lock is not held then.
 */
enum log_result log_lock(struct log *lg, int repair, char *err, size_t n);
void log_unlock(struct log *lg);

/*
 * log_lock with LOG_REPAIR_ALL, which reads the whole log into a new
 * index, then lets the lock go.  LOG_DAMAGED: a file that is no log
 * (nothing is done); LOG_IO.
 */
enum log_result log_repair(struct log *lg, char *err, size_t n);

/*
 * Under the lock: cuts the log back to offset from, after sequence
 * before, and drops the index: what a failed fsync does.  errno is kept.
 */
void log_cut(struct log *lg, off_t from, uint64_t before);

/* ---- appending ---- */

struct idx_ev;

/* Events read and checked, on their way into the log together.  The
 * caller fills it with batch_add; log_append fills the rest. */
struct batch {
	struct buf b;		/* the events, stamped with sequence 0 */
	size_t *ends;		/* where each ends in b */
	struct buf strs;	/* what the index needs of each, decoded */
	struct idx_ev *ev;	/* and where it is in strs (log_int.h) */
	uint64_t *dup;		/* after log_append: 0, or the sequence
				   of the event it repeats (not appended) */
	uint64_t *lineno;	/* the input line of each, for messages */
	size_t n, cap;
	uint64_t key[4];	/* with keyed, the index's keys: the events */
	int keyed;		/* are hashed as they are added */
	uint64_t reserve;	/* events this and later batches will hold,
				   when known, for the index to make room */
	/* Filled by log_append and the pipeline: */
	size_t m;		/* how many were appended */
	off_t from;		/* where they start in the log */
	uint64_t before;	/* the last sequence before them */
	off_t *offs;		/* where each appended one starts */
	size_t offcap;
	size_t lastat, lastlen;	/* the last appended one in b */
};

/*
 * Appends to b the event that s just scanned (an object with members),
 * stamped with sequence seq, and "\n": an existing sequence member is
 * dropped, the new one goes last, SEQ_DIGITS digits.  The one stamp of
 * every bus (the log's, and NATS's on reading).
 */
void log_stamp(struct buf *b, const struct scanner *s, uint64_t seq);

/*
 * Adds the event s has just scanned and ce_check checked as ev, read from
 * input line lineno.
 */
void batch_add(struct batch *bt, const struct scanner *s,
    const struct ce_event *ev, uint64_t lineno);
/* Takes the last event back out of bt. */
void batch_pop(struct batch *bt);
/* The length of event i of bt as it will be stored, without "\n". */
size_t batch_len(const struct batch *bt, size_t i);
/* The subject of event i, decoded, its length in *len; NULL for none. */
const char *batch_subject(const struct batch *bt, size_t i, size_t *len);
void batch_clear(struct batch *bt);
void batch_free(struct batch *bt);

/*
 * Under the lock: appends the events of bt that are not in the log already
 * (same source and id, in the log or earlier in bt: bt->dup says which),
 * numbered from the last sequence on, and makes them durable as sync says;
 * then indexes them.  bt->b is left holding what was appended, stamped,
 * bt->m how many.  With expect >= 0, every event of bt must have the same
 * subject (the caller checks), and the events are appended only when that
 * subject has exactly expect events in the log now; *count tells how many
 * it has.  Returns LOG_OK; LOG_EXPECT; LOG_FULL; LOG_IO with errno (the log
 * is cut back to where it was: nothing of bt is stored).
 */
enum log_result log_append(struct log *lg, struct batch *bt, int sync,
    long long expect, uint64_t *count);

/*
 * The batch writer of every appender without the pipeline: log_lock
 * (repairing a torn tail), log_append, then done(arg, bt) while the lock
 * is still held, when bt is stored and done is not NULL (what must
 * follow the log's order: fan-out, the acknowledgement), then
 * log_unlock.  Returns log_lock's failure with its text in err, or
 * log_append's result with err empty (LOG_IO: errno says).
 */
enum log_result log_write(struct log *lg, struct batch *bt, int sync,
    long long expect, uint64_t *count, void (*done)(void *, struct batch *),
    void *arg, char *err, size_t n);

/*
 * Group commit as a pipeline (sync SYNC_BATCH or SYNC_NONE).  The caller
 * fills batches and hands them over in order.  One thread writes each
 * into the log under its lock; a second makes what was written durable
 * with one fsync(2), and only then gives each batch to durable, still
 * under the lock, in the log's order (to acknowledge it, or to fan it
 * out); durable returns -1 to stop (its reader went away).  The lock is
 * let go when the pipeline runs dry, and at least every 0.2 s.  On a
 * failure the log is cut back to what was durable, the batches
 * acknowledged stay acknowledged, and fail is called (how LOG_FULL, or
 * LOG_IO with errno err, or with msg when the lock could not be taken),
 * once, for the first failure, from one of the threads.  fail may end the
 * program; when it returns, the pipeline is over: it writes and
 * acknowledges nothing more, and log_commit_submit returns -1.
 */
typedef int log_durable_fn(void *arg, struct batch *bt);
typedef void log_fail_fn(void *arg, enum log_result how, int err,
    const char *msg);

/*
 * Says in err[n] why an append took nothing, as fail is told it (how,
 * errno e, the lock's message msg): "PATH: ...", what naming what did not
 * happen ("stored", "stored or published").  For the hook and for
 * log_append's own failures.
 */
void log_failtext(const char *path, enum log_result how, int e,
    const char *msg, const char *what, char *err, size_t n);

/* Starts the pipeline's threads; LOG_IO with errno when they cannot be. */
enum log_result log_commit_start(struct log *lg, int sync,
    log_durable_fn *durable, log_fail_fn *fail, void *arg);
/* The next batch to fill, cleared; waits while the pipeline is full. */
struct batch *log_commit_batch(struct log *lg);
/* Hands over the batch log_commit_batch gave last.  Returns -1 when the
 * durable hook has said stop, or the pipeline failed (the batch is
 * dropped). */
int log_commit_submit(struct log *lg);
/* Waits until every batch handed over is done with; ends the threads. */
void log_commit_finish(struct log *lg);

/* ---- reading ---- */

struct log_cursor;

/*
 * A cursor over the lines of the log from sequence from on: finds the
 * durable end (as log_refresh) and where from starts, from the index when
 * it covers it, else by a binary search over the file.  NULL with err.
 */
struct log_cursor *log_cursor_open(struct log *lg, uint64_t from,
    char *err, size_t n);
void log_cursor_close(struct log_cursor *c);

/*
 * Narrows what log_next gives: lines up to sequence to (0: no end), of
 * events of time since or later and before until (LOG_NOTIME: open);
 * a line without a time is outside any time window.  The index's blocks
 * of 256 events with no time in the window are skipped unread.
 */
void log_cursor_window(struct log_cursor *c, uint64_t to, int64_t since,
    int64_t until);

/*
 * Makes log_next check each line it reads, as a consumer must before it
 * delivers and commits: a line that is not an event whose sequence is the
 * one counted (the damage a lost write leaves: zero bytes, then the end of
 * a later line) is LOG_DAMAGED, with err naming its offset.
 */
void log_cursor_check(struct log_cursor *c);

/*
 * The next line, *line[0..*len) with (*line)[*len] its "\n", valid until
 * the next call, and its sequence.  Lines are not checked (the log was
 * when they were appended), only counted.  Returns LOG_OK; LOG_END when
 * the log holds no more for now (log_refresh or log_wait moves the end
 * on); LOG_STOP past the window's last sequence; LOG_IO; LOG_DAMAGED (a
 * line over LOG_MAXLINE, or no event where a sequence had to be read, or
 * with log_cursor_check a damaged line).
 */
enum log_result log_next(struct log_cursor *c, const char **line,
    size_t *len, uint64_t *seq, char *err, size_t n);

/*
 * As log_next, but as many whole lines as are read ahead and wanted, at
 * once, for what copies them as bytes: *p[0..*len) ends with the last
 * one's "\n", *seq is its sequence.  A checked cursor gives one.
 */
enum log_result log_read(struct log_cursor *c, const char **p, size_t *len,
    uint64_t *seq, char *err, size_t n);

/*
 * Follows: waits until the log grows past what c has read.  inotify (when
 * there is one) is the wake-up, fstat(2) the truth, checked every second
 * anyway.  Returns LOG_OK when it grew; LOG_HUP when hupfd (such as
 * stdout; -1 for none) hung up; LOG_DAMAGED when the file was truncated
 * below what was read, or replaced by another; LOG_IO.
 */
enum log_result log_wait(struct log_cursor *c, int hupfd, char *err,
    size_t n);

#endif
