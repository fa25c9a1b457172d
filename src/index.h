/*
 * index.h - the side index of an evlog log, LOG.idx: what makes the
 * duplicate check, the expected-version check and seeks by sequence and
 * by time cost the same on a log of a million events as on an empty one.
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
#ifndef EV_INDEX_H
#define EV_INDEX_H

#include <sys/types.h>

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "event.h"

#define IDX_BLOCK 256		/* events per block of the time table */
#define IDX_NOTIME INT64_MIN	/* an event without a time */

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
	/* What this run staged for the batch in hand. */
	uint64_t (*stage)[3];	/* {hash, hash, sequence or count} */
	size_t nstage, stagecap;
};

/* Decodes what the index needs of the checked event ev into strs and e. */
void idx_evfrom(const struct ce_event *ev, struct buf *strs,
    struct idx_ev *e);

/*
 * For appenders, under the log's exclusive lock: opens, checks, catches up
 * or rebuilds the index of the log fd whose whole lines end at end, with
 * last sequence last.  When the file cannot be written, the index is kept
 * in memory for this run, with a warning.  Returns 0, or -1 with err.
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
 * After the batch is written (and with store_append, durable): adds its n
 * events (sequence first + i, the line at offs[i]) and moves the header on
 * to end and last; line[0..len) is the last line, without its newline.
 */
void idx_add(struct idx *x, const struct idx_ev *ev, size_t n,
    uint64_t first, const off_t *offs, off_t end, uint64_t last,
    const char *line, size_t len);

/* Marks the index stale, so that the next appender rebuilds it. */
void idx_drop(struct idx *x);

/* Under the exclusive lock: builds the index again from the log. */
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

#endif
