/*
 * store.h - the event log: an NDJSON file of events, each stamped with a
 * sequence (1, 2, 3, ... without gaps) and appended durably under an
 * exclusive flock(2).  See evlog(5).
 */
#ifndef EV_STORE_H
#define EV_STORE_H

#include <sys/types.h>

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "event.h"
#include "index.h"
#include "scan.h"

#define SEQ_DIGITS 12	/* "000000000001": sorts as text up to 10^12 - 1 */
#define SEQ_MAX 999999999999ULL	/* the last sequence a log can hold */
#define LOG_MAXLINE (64 << 20)	/* the longest line a log may hold */
#define STAMP_LEN (13 + SEQ_DIGITS + 1)	/* ,"sequence":"000000000001" */

enum sync { SYNC_NONE, SYNC_BATCH, SYNC_EVENT };

/* The mode --sync names: "event", "batch" or "none"; -1 for anything else. */
int store_syncmode(const char *name);

struct store {
	const char *path;	/* the log */
	int fd;			/* open for reading and appending */
	off_t end;		/* the log's whole lines end here */
	uint64_t last;		/* the last sequence, 0 for an empty log */
	struct scanner sc;	/* for lines of the log */
	struct ce_event ev;	/* the last line checked */
	struct idx x;		/* the side index, LOG.idx */
};

/* Events read and checked, on their way into the log together. */
struct batch {
	struct buf b;		/* the events, stamped with sequence 0 */
	size_t *ends;		/* where each ends in b */
	struct buf strs;	/* what the index needs of each, decoded */
	struct idx_ev *ev;	/* and where it is in strs */
	uint64_t *dup;		/* after store_append: 0, or the sequence
				   of the event it repeats (not appended) */
	uint64_t *lineno;	/* the input line of each, for messages */
	size_t n, cap;
	uint64_t key[4];	/* with keyed, the index's keys: the events */
	int keyed;		/* are hashed as they are added */
	uint64_t reserve;	/* events this and later batches will hold,
				   when known, for the index to make room */
	/* Filled by store_append and store_write: */
	size_t m;		/* how many were appended */
	off_t from;		/* where they start in the log */
	uint64_t before;	/* the last sequence before them */
	off_t *offs;		/* where each appended one starts */
	size_t offcap;
	size_t lastat, lastlen;	/* the last appended one in b */
};

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
void batch_clear(struct batch *bt);
void batch_free(struct batch *bt);

/*
 * Opens the log for appending (creating it, 0600, when missing) or only
 * for reading.  A symlink, or anything but a regular file, is refused.
 * Returns 0, or -1 with a reason in err.
 */
int store_open(struct store *st, const char *path, int write, char *err,
    size_t n);
void store_close(struct store *st);

/*
 * Takes the exclusive lock and reads what others appended since: the last
 * whole line gives the last sequence.  With repair, a torn last line (the
 * only damage a crash can leave) is cut off first and reported.  Returns 0,
 * or -1 with a reason in err when the end of the file is not a log's end.
 */
int store_lock(struct store *st, int repair, char *err, size_t n);
void store_unlock(struct store *st);

/*
 * Finds the end of the whole lines and the last sequence under a shared
 * lock: for readers.  With peek, maps the index too, when it is valid.
 * Returns as store_lock does.
 */
int store_tail(struct store *st, int peek, char *err, size_t n);

/*
 * Lets go of the index a reader peeked at, once it has found where to
 * start (logread_init): a follower that kept it would hold, for as long
 * as it runs, the disk space of an index that appenders have since grown
 * and replaced.
 */
void store_unpeek(struct store *st);

/* The sequence of a checked event, or 0 when it has none or a bad one. */
uint64_t store_seqof(const struct ce_event *ev);

/*
 * Appends to b the event that s just scanned, stamped with sequence seq:
 * an existing sequence member is dropped, the new one goes last.
 */
void store_stamp(struct buf *b, const struct scanner *s, uint64_t seq);

/*
 * Under the lock: appends the events of bt that are not in the log already
 * (same source and id, in the log or earlier in bt: bt->dup says which),
 * numbered from the last sequence on, and makes them durable as sync says;
 * then indexes them.  bt->b is left holding what was appended, stamped.
 * With expect >= 0, every event of bt must have the same subject (the
 * caller checks), and the events are appended only when that subject has
 * exactly expect events in the log now; *count tells how many it has.
 * Returns how many events were appended; -1 with errno when the write
 * failed (the log is cut back to where it was: nothing of bt is stored);
 * -2 when the expectation failed (nothing is written); -3 when the log is
 * full (SEQ_MAX).
 */
long store_append(struct store *st, struct batch *bt, int sync,
    long long expect, uint64_t *count);

/*
 * For a pipeline (commit.h): store_append without the fsync, and with the
 * index updated at once.  store_sync then makes the log durable up to its
 * end; when that fails, it cuts the log back to from (where the first
 * batch not yet durable starts, after sequence before), drops the index,
 * and returns -1 with errno.
 */
long store_write(struct store *st, struct batch *bt);
int store_sync(struct store *st, off_t from, uint64_t before);
/* What store_sync does when the fsync fails; errno is kept. */
void store_cut(struct store *st, off_t from, uint64_t before);

/*
 * The offset of the line with sequence seq, found by binary search over
 * the file (sequences only grow), or the end when seq is past the last.
 */
off_t store_seek(struct store *st, uint64_t seq);

/*
 * Reading the log line by line from a sequence on, never past its durable
 * end (store_tail), for consumers.  Lines are not checked: the log was.
 */
struct logread {
	struct store *st;
	char *buf;		/* lines read ahead */
	size_t cap, start, len;	/* buf's size, next line, bytes in it */
	off_t off;		/* the file offset of buf[len] */
	uint64_t seq;		/* the sequence of the last line read */
	uint64_t from;		/* lines before this one are skipped */
	int known;		/* seq is known (else from the first line) */
};

/* Starts lr at sequence from (the index, or a binary search). */
void logread_init(struct logread *lr, struct store *st, uint64_t from);
void logread_free(struct logread *lr);

/*
 * The next line (without "\n") and its sequence: returns 1; 0 when the
 * log holds no more for now (store_tail gives its new end); exits 1 on a
 * read error or a line over LOG_MAXLINE.
 */
int logread_next(struct logread *lr, const char **line, size_t *len,
    uint64_t *seq);

#endif
