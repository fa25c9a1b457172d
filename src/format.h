/* SPDX-License-Identifier: ISC */
/*
 * format.h - the ways a subscriber writes an event: as read, thin (the
 * envelope without data), the data alone, or one line for people.
 */
#ifndef EV_FORMAT_H
#define EV_FORMAT_H

#include "ce.h"
#include "out.h"
#include "scan.h"

enum fmt { FMT_EVENT, FMT_THIN, FMT_DATA, FMT_PRETTY };

/*
 * Writes the event that s scanned from line[0..len) to o in the format
 * fmt, as one unit ending in "\n".  color: ANSI colours for --pretty.
 */
void fmt_event(struct out *o, int fmt, const char *line, size_t len,
    const struct scanner *s, const struct ce_event *ev, int color);

#endif
