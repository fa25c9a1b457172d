/* SPDX-License-Identifier: ISC */
/*
 * watch.h - evsub --topics --watch: the flow of events, as a class can
 * watch it.
 */
#ifndef EV_WATCH_H
#define EV_WATCH_H

#include <stdint.h>

#include "bus.h"

/*
 * Shows every topic of bus each interval microseconds, count times (0:
 * until a signal): on a terminal, one view redrawn in place (in colour
 * with color); else plain blocks of --topics lines, each after the
 * refresh's number.  A signal ends it with the cursor shown, and then
 * does what it does.  Returns the exit status.
 */
int watch_topics(struct bus *bus, int64_t interval, long long count,
    int color);

#endif
