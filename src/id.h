/* SPDX-License-Identifier: ISC */
/*
 * id.h - UUIDv7 event ids (RFC 9562).
 */
#ifndef EV_ID_H
#define EV_ID_H

#include <stdint.h>

#define UUID_LEN 36

/*
 * Writes a new UUIDv7 for the time usec (microseconds since the epoch) and
 * a NUL into buf.  Within one process the ids strictly increase, also when
 * the clock stands still or steps back: the 12 bits after the millisecond
 * carry the sub-millisecond time (RFC 9562 section 6.2, method 3) and are
 * bumped when the clock gives nothing newer.  The last 62 bits come from
 * getrandom(2).
 */
void uuidv7(int64_t usec, char buf[UUID_LEN + 1]);

#endif
