/* SPDX-License-Identifier: ISC */
/*
 * watch.h - evsub --topics --watch: the flow of events, as a class can
 * watch it.
 *
 * Nothing here exits the program: a failure comes back as WATCH_FAIL with
 * its message in the caller's err[n], as it is to be said after the
 * program's name, and the program decides.  A signal that ends the watch
 * is raised again once the cursor is shown: it does what it does.
 */
#ifndef EV_WATCH_H
#define EV_WATCH_H

#include <stdint.h>

#include "bus.h"

/* How a watch ended. */
enum watch_result {
	WATCH_OK = 0,	/* count refreshes shown, or the reader went away */
	WATCH_FAIL	/* stdout could not be written, or no frame made: err */
};

/*
 * Shows every topic of bus each interval microseconds, count times (0:
 * until a signal): on a terminal, one view redrawn in place (in colour
 * with color); else plain blocks of --topics lines, each after the
 * refresh's number.  A signal ends it with the cursor shown, and then
 * does what it does.  Returns how it ended.
 */
enum watch_result watch_topics(struct bus *bus, int64_t interval,
    long long count, int color, char *err, size_t n);

#endif
