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
#include "scan.h"

#define SEQ_DIGITS 12	/* "000000000001": sorts as text up to 10^12 - 1 */
#define SEQ_MAX 999999999999ULL	/* the last sequence a log can hold */
#define LOG_MAXLINE (64 << 20)	/* the longest line a log may hold */

enum sync { SYNC_NONE, SYNC_BATCH, SYNC_EVENT };

struct store {
	const char *path;	/* the log */
	int fd;			/* open for reading and appending */
	off_t end;		/* the log's whole lines end here */
	uint64_t last;		/* the last sequence, 0 for an empty log */
	struct scanner sc;	/* for lines of the log */
	struct ce_event ev;	/* the last line checked */
};

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
 * Finds the end of the whole lines and the last sequence without the lock:
 * for readers.  Returns as store_lock does.
 */
int store_tail(struct store *st, char *err, size_t n);

/* The sequence of a checked event, or 0 when it has none or a bad one. */
uint64_t store_seqof(const struct ce_event *ev);

/*
 * Appends to b the event that s just scanned, stamped with sequence seq:
 * an existing sequence member is dropped, the new one goes last.
 */
void store_stamp(struct buf *b, const struct scanner *s, uint64_t seq);

/*
 * Writes b (whole stamped events ending at sequence last) at the end of
 * the log, under the lock, and makes it durable as sync says.  On failure
 * the log is cut back to where it was and -1 returned with errno set.
 */
int store_write(struct store *st, const struct buf *b, uint64_t last,
    int sync);

/*
 * The offset of the line with sequence seq, found by binary search over
 * the file (sequences only grow), or the end when seq is past the last.
 */
off_t store_seek(struct store *st, uint64_t seq);

#endif
