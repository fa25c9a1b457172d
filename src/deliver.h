/* SPDX-License-Identifier: ISC */
/*
 * deliver.h - delivering an event to a command: evsub --exec.
 *
 * The command runs once per event, with posix_spawnp(3) on an argv (never
 * a shell), the event on its standard input and CE_TYPE, CE_ID,
 * CE_SUBJECT, CE_SOURCE and CE_SEQUENCE in its environment (a value
 * longer than DELIVER_ENV_MAX is left out, and CE_OMITTED names it, so
 * that an event with a huge attribute can still be delivered).  A non-zero
 * exit is retried with exponential backoff; when the last try fails, the
 * event goes to the dead-letter file, or delivery stops.
 *
 * Nothing here exits the program (but deliver_open, through openfile) or
 * prints but what happens to each event: a failure of our own comes back
 * as DELIVER_ERR with its message in the caller's err[n], as it is to be
 * said after the program's name, and the program decides.  Running out of
 * memory is the exception (xmalloc).
 */
#ifndef EV_DELIVER_H
#define EV_DELIVER_H

#include <stddef.h>

#include "ce.h"

#define DELIVER_BACKOFF_MS 100	/* the first wait; doubled each retry */
#define DELIVER_MAXWAIT_MS 30000	/* the longest wait */
#define DELIVER_ENV_MAX 65536	/* the longest CE_* value; longer ones are
				   left out and named in CE_OMITTED */

/* What became of one event. */
enum deliver_result {
	DELIVER_OK = 0,	/* delivered */
	DELIVER_PARKED,	/* not delivered; kept in the dead-letter file
			   (said) */
	DELIVER_STOP,	/* not delivered, and delivery must stop (said) */
	DELIVER_ERR	/* the dead-letter file could not be written, or no
			   pipe made, or the command not waited for: err;
			   nothing may go on (nothing may be lost) */
};

struct deliver {
	char **argv;		/* the command */
	int retries;		/* tries after the first */
	const char *dlpath;	/* --dead-letter, or NULL */
	int dlfd;		/* its descriptor, or -1 */
};

/* Opens the dead-letter file, if any.  Exits 1 on failure. */
void deliver_open(struct deliver *d);

/*
 * Delivers one event: the command reads msg[0..mlen) (the event in the
 * form asked for), the dead-letter file gets the event as read,
 * line[0..len).  ev describes it; where names it in messages.  Returns
 * DELIVER_OK; DELIVER_PARKED when it went to the dead-letter file;
 * DELIVER_STOP when delivery must stop: it failed without a dead-letter
 * file, or the command could not be started at all (a dead-letter file
 * would only fill with every event); DELIVER_ERR with err.
 */
enum deliver_result deliver_exec(struct deliver *d, const char *msg,
    size_t mlen, const char *line, size_t len, const struct ce_event *ev,
    const char *where, char *err, size_t n);

/*
 * Parks an event that could not be delivered: appends line[0..len) and a
 * newline to the dead-letter file and says so: DELIVER_PARKED.
 * DELIVER_STOP when there is no dead-letter file (delivery must stop;
 * that is said too).  A failed write is DELIVER_ERR with err: the program
 * must end (status 1), as nothing may be lost.
 */
enum deliver_result deliver_park(struct deliver *d, const char *line,
    size_t len, const char *where, char *err, size_t n);

#endif
