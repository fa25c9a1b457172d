/* SPDX-License-Identifier: ISC */
/*
 * timefmt.c - RFC 3339 parsing and formatting, with the calendar done by
 * Howard Hinnant's days-from-civil arithmetic rather than gmtime/timegm,
 * which are slow and depend on TZ; and time_parse, the one syntax of a
 * time on every program's command line.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "timefmt.h"

static int64_t
days_from_civil(int64_t y, int m, int d)
{
	int64_t era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

static void
civil_from_days(int64_t z, int *yp, int *mp, int *dp)
{
	int64_t era, doe, yoe, y, doy, mp0;

	z += 719468;
	era = (z >= 0 ? z : z - 146096) / 146097;
	doe = z - era * 146097;
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	y = yoe + era * 400;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp0 = (5 * doy + 2) / 153;
	*dp = (int)(doy - (153 * mp0 + 2) / 5 + 1);
	*mp = (int)(mp0 < 10 ? mp0 + 3 : mp0 - 9);
	*yp = (int)(y + (*mp <= 2));
}

static int
digits(const char *s, int n)
{
	int v = 0, i;

	for (i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	return v;
}

static int
mdays(int y, int m)
{
	static const int dm[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31,
	    30, 31 };

	if (m == 2 && (y % 4 == 0 && (y % 100 != 0 || y % 400 == 0)))
		return 29;
	return dm[m - 1];
}

int
rfc3339_parse(const char *s, size_t len, int64_t *usec)
{
	int y, mo, d, h, mi, sec, oh, om, n;
	int64_t frac = 0, off = 0, t;
	size_t i = 19;

	if (len < 20 || s[4] != '-' || s[7] != '-' ||
	    (s[10] != 'T' && s[10] != 't') || s[13] != ':' || s[16] != ':')
		return -1;
	if ((y = digits(s, 4)) < 0 || (mo = digits(s + 5, 2)) < 1 ||
	    mo > 12 || (d = digits(s + 8, 2)) < 1 || d > mdays(y, mo) ||
	    (h = digits(s + 11, 2)) < 0 || h > 23 ||
	    (mi = digits(s + 14, 2)) < 0 || mi > 59 ||
	    (sec = digits(s + 17, 2)) < 0 || sec > 60)
		return -1;
	if (s[i] == '.') {
		i++;
		for (n = 0; i < len && s[i] >= '0' && s[i] <= '9'; i++, n++)
			if (n < 6)
				frac = frac * 10 + (s[i] - '0');
		if (n == 0)
			return -1;
		for (; n < 6; n++)
			frac *= 10;
	}
	if (i >= len)
		return -1;
	if (s[i] == 'Z' || s[i] == 'z') {
		i++;
	} else if (s[i] == '+' || s[i] == '-') {
		if (len - i < 6 || s[i + 3] != ':' ||
		    (oh = digits(s + i + 1, 2)) < 0 || oh > 23 ||
		    (om = digits(s + i + 4, 2)) < 0 || om > 59)
			return -1;
		off = (int64_t)(oh * 60 + om) * 60;
		if (s[i] == '-')
			off = -off;
		i += 6;
	} else
		return -1;
	if (i != len)
		return -1;
	/* A leap second is inserted at the end of a UTC day only: 23:59:60
	 * once the offset is taken off (RFC 3339 section 5.7).  It counts
	 * as 59, as the seconds of time_t cannot hold it. */
	if (sec == 60) {
		if (((h * 60 + mi - off / 60) % 1440 + 1440) % 1440 != 1439)
			return -1;
		sec = 59;
	}
	t = days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + sec -
	    off;
	*usec = t * 1000000 + frac;
	return 0;
}

static void
put(char *p, int v, int n)
{
	while (n-- > 0) {
		p[n] = (char)('0' + v % 10);
		v /= 10;
	}
}

void
rfc3339_format(int64_t usec, char buf[RFC3339_LEN + 1])
{
	int64_t secs, days, rem, us;
	int y, m, d;

	secs = usec >= 0 ? usec / 1000000 : -((-usec + 999999) / 1000000);
	us = usec - secs * 1000000;
	days = secs >= 0 ? secs / 86400 : -((-secs + 86399) / 86400);
	rem = secs - days * 86400;
	civil_from_days(days, &y, &m, &d);
	put(buf, y, 4);
	buf[4] = '-';
	put(buf + 5, m, 2);
	buf[7] = '-';
	put(buf + 8, d, 2);
	buf[10] = 'T';
	put(buf + 11, (int)(rem / 3600), 2);
	buf[13] = ':';
	put(buf + 14, (int)(rem / 60 % 60), 2);
	buf[16] = ':';
	put(buf + 17, (int)(rem % 60), 2);
	buf[19] = '.';
	put(buf + 20, (int)us, 6);
	buf[26] = 'Z';
	buf[27] = '\0';
}

int64_t
now_usec(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

void
sleepms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) == -1 && errno == EINTR)
		;
}

/*
 * A duration back from now: number-unit pairs, units strictly from the
 * largest down, so that "30m1h" (surely a slip) is refused: w, d, h, m, s,
 * and ms as the NATS CLI takes it.  At most 100 years in all: more is a
 * typo, and keeps the arithmetic far from overflow.
 */
static int
duration(const char *s, int64_t *usec)
{
	static const char units[] = "wdhms";
	static const int64_t unitus[] = { 604800000000LL, 86400000000LL,
	    3600000000LL, 60000000LL, 1000000LL, 1000LL };
	const int64_t most = 100LL * 366 * 86400 * 1000000;
	int64_t n, total = 0, last = INT64_MAX, us;

	if (*s == '\0')
		return -1;
	while (*s != '\0') {
		if (*s < '0' || *s > '9')
			return -1;
		for (n = 0; *s >= '0' && *s <= '9'; s++) {
			n = n * 10 + (*s - '0');
			if (n > most / 1000)
				return -1;
		}
		if (s[0] == 'm' && s[1] == 's') {
			us = unitus[5];
			s++;
		} else if (*s != '\0' && strchr(units, *s) != NULL)
			us = unitus[strchr(units, *s) - units];
		else
			return -1;
		if (us >= last || n > most / us)
			return -1;
		last = us;
		total += n * us;
		if (total > most)
			return -1;
		s++;
	}
	*usec = total;
	return 0;
}

/*
 * An instant as seconds since the epoch, "@1700000000" (date +%s), or
 * milliseconds, "@1700000000000ms" or kcat's "s@1700000000000".
 */
static int
epoch(const char *s, int64_t *usec)
{
	int64_t n = 0, unit = 1000000;
	const char *p;

	if (s[0] == 's' && s[1] == '@') {
		s += 2;
		unit = 1000;
	} else if (*s == '@')
		s++;
	else
		return -1;
	for (p = s; *p >= '0' && *p <= '9'; p++) {
		n = n * 10 + (*p - '0');
		if (n > 253402300799000LL)	/* 9999-12-31, in ms */
			return -1;
	}
	if (p == s)
		return -1;
	if (strcmp(p, "ms") == 0 && unit == 1000000)
		unit = 1000;
	else if (*p != '\0')
		return -1;
	if (unit == 1000000 && n > 253402300799LL)
		return -1;
	*usec = n * unit;
	return 0;
}

int
time_parse(const char *s, int64_t now, int64_t *usec)
{
	char full[32];
	size_t len = strlen(s);
	int64_t back;

	if (rfc3339_parse(s, len, usec) == 0)
		return 0;
	/* A date alone is its first instant, in UTC as every time here. */
	if (len == 10 && s[4] == '-' && s[7] == '-') {
		snprintf(full, sizeof(full), "%sT00:00:00Z", s);
		return rfc3339_parse(full, strlen(full), usec);
	}
	if (strcmp(s, "now") == 0) {
		*usec = now;
		return 0;
	}
	if (epoch(s, usec) == 0)
		return 0;
	if (duration(s, &back) == -1)
		return -1;
	*usec = now - back;
	return 0;
}
