/* SPDX-License-Identifier: ISC */
/*
 * timefmt.h - RFC 3339 times: parsing any valid one, formatting UTC with
 * microseconds; and the one syntax of a time on the command line.  Times
 * are microseconds since the Unix epoch.
 */
#ifndef EV_TIMEFMT_H
#define EV_TIMEFMT_H

#include <stddef.h>
#include <stdint.h>

#define RFC3339_LEN 27		/* "2026-11-26T05:16:21.123456Z" */

/*
 * Parses an RFC 3339 date-time (section 5.6): "T" or "t" between date and
 * time, any number of fraction digits (kept to the microsecond), "Z", "z"
 * or a numeric offset.  Leap second 60 is accepted and counted as 59.
 * Returns 0 and sets *usec, or -1.
 */
int rfc3339_parse(const char *s, size_t len, int64_t *usec);

/* Writes usec as "YYYY-MM-DDTHH:MM:SS.ffffffZ" and a NUL into buf. */
void rfc3339_format(int64_t usec, char buf[RFC3339_LEN + 1]);

/* The current time in microseconds since the epoch. */
int64_t now_usec(void);

/* Sleeps ms milliseconds, whatever signals come. */
void sleepms(long ms);

/* What time_parse takes, for a message that refuses a time. */
#define TIME_SYNTAX "an RFC 3339 time, a date (YYYY-MM-DD), @EPOCH " \
	"seconds (@EPOCHms, s@EPOCHMS: milliseconds) or a duration back " \
	"from now (90s, 500ms, 30m, 1h30m, 2d, 1w)"
/*
 * Parses a time as every eventful option takes one (--time, --since,
 * --until, a consumer's start): an RFC 3339 date-time, a date alone
 * (YYYY-MM-DD: its midnight, UTC), "now", seconds since the epoch
 * ("@1700000000", as date +%s prints them), milliseconds since it
 * ("@1700000000000ms", or "s@1700000000000" as kcat takes them), or a
 * duration back from now: one or more whole numbers each with a unit,
 * w d h m s or ms ("90s", "1h30m", "2d", "500ms"), largest unit first.
 * now is the current time in microseconds (a parameter, so that tests
 * are exact).  Returns 0 and sets *usec, or -1.
 */
int time_parse(const char *s, int64_t now, int64_t *usec);

#endif
