/* SPDX-License-Identifier: ISC */
/*
 * ack.h - the acknowledgement: what every way of appending events says
 * once they are stored.  evlog append, and evpub -T or evlog append -T on
 * the directory bus or on NATS, all answer alike, through this one piece:
 *
 *   - each event stored goes to stdout, stamped with its sequence, as a
 *     whole line and only once it is durable, in the order stored (not
 *     with evpub -q, which asks for no acknowledgement);
 *   - each event left out as a repeat is said on stderr with the sequence
 *     it repeats (not with -q);
 *   - with --expect, every event must have the first one's subject.
 *
 * Nothing here exits: a failure comes back as an enum ack_result with its
 * text, and the program decides.
 */
#ifndef EV_ACK_H
#define EV_ACK_H

#include <stddef.h>
#include <stdint.h>

#include "log.h"
#include "out.h"

enum ack_result {
	ACK_OK = 0,
	ACK_EPIPE,	/* stdout's reader went away: an end, no error */
	ACK_ERROR,	/* a write to stdout failed: err says */
	ACK_NONE,	/* ack_subject: the event has no subject */
	ACK_OTHER	/* ack_subject: not the first event's subject */
};

struct ack {
	struct out out;		/* stdout */
	int write;		/* write the events stored (evpub -q: not) */
	int quiet;		/* say nothing of repeats */
	const char *who;	/* what messages start with */
	int bylines;		/* "WHO:LINE: ..." (evlog's stdin), else
				   "WHO: event N: ..." */
	const char *held;	/* where repeats are: "log", "stream" */
	const char *verb;	/* "appended", "published" */
	char *subject;		/* --expect: the first event's subject */
	size_t subjlen;		/* its length */
	int subjset;		/* it was seen */
};

/* Sets a up to acknowledge on stdout.  The strings must outlive it. */
void ack_open(struct ack *a, int write, int quiet, const char *who,
    int bylines, const char *held, const char *verb);

/* Says (unless quiet) that event n (its input line, or its number) was
 * left out: it repeats sequence seq. */
void ack_repeat(const struct ack *a, uint64_t n, uint64_t seq);

/* Writes the stamped events p[0..len) to stdout, whole lines each write
 * (nothing when write is off).  ACK_OK, ACK_EPIPE, or ACK_ERROR with
 * "stdout: write: why" in err[n]. */
enum ack_result ack_write(struct ack *a, const char *p, size_t len,
    char *err, size_t n);

/* After bt is durable: its repeats said, then its events acknowledged. */
enum ack_result ack_batch(struct ack *a, const struct batch *bt, char *err,
    size_t n);

/*
 * --expect: whether subj[0..len) (NULL: the event has none) is the first
 * event's subject; the first call records it.  ACK_OK, or ACK_NONE or
 * ACK_OTHER with "WHO: event N: why" in err[en].
 */
enum ack_result ack_subject(struct ack *a, const char *subj, size_t len,
    uint64_t num, char *err, size_t en);

/* Writes what is left and lets go of a (stdout stays open).  As
 * ack_write. */
enum ack_result ack_close(struct ack *a, char *err, size_t n);

#endif
