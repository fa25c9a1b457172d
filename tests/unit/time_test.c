/* SPDX-License-Identifier: ISC */
/*
 * time_test - RFC 3339 parsing and formatting: known instants, every
 * malformed shape we could think of, a round trip over random times from
 * year 1 to 9999, and agreement with the C library's gmtime_r and timegm;
 * then time_parse, the command line's syntax: dates and durations.
 * Usage: time_test [DATA] (no data is needed here).
 */
#include <stdint.h>
#include <string.h>
#include <time.h>

#include "timefmt.h"
#include "unit.h"

#define USEC 1000000LL
#define YEAR1 (-62135596800LL * USEC)		/* 0001-01-01T00:00:00Z */
#define YEAR10000 (253402300800LL * USEC)	/* 10000-01-01T00:00:00Z */

/* splitmix64: a fixed seed, so that a failure can be reproduced. */
static uint64_t
rnd(void)
{
	static uint64_t x = 0x9e3779b97f4a7c15ULL;
	uint64_t z;

	z = (x += 0x9e3779b97f4a7c15ULL);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

/* A time in [lo, hi). */
static int64_t
between(int64_t lo, int64_t hi)
{
	return lo + (int64_t)(rnd() % (uint64_t)(hi - lo));
}

static void
parses(const char *s, int64_t want)
{
	int64_t got = 12345;
	int r;

	r = rfc3339_parse(s, strlen(s), &got);
	CHECKMSG(r == 0 && got == want, "\"%s\": returned %d, %lld, want "
	    "%lld", s, r, (long long)got, (long long)want);
}

static void
rejects(const char *s)
{
	int64_t got = 12345;

	CHECKMSG(rfc3339_parse(s, strlen(s), &got) == -1,
	    "\"%s\" accepted as %lld", s, (long long)got);
}

static void
formats(int64_t usec, const char *want)
{
	char buf[RFC3339_LEN + 1];

	memset(buf, 'x', sizeof(buf));
	rfc3339_format(usec, buf);
	CHECKMSG(buf[RFC3339_LEN] == '\0' && strcmp(buf, want) == 0,
	    "%lld: \"%.*s\", want \"%s\"", (long long)usec, RFC3339_LEN, buf,
	    want);
}

static void
known(void)
{
	parses("1970-01-01T00:00:00Z", 0);
	parses("1970-01-01T00:00:00.000001Z", 1);
	parses("1970-01-01T00:00:01Z", USEC);
	parses("2018-04-26T14:48:09+02:00", 1524746889000000LL);
	parses("2018-04-26T12:48:09Z", 1524746889000000LL);
	parses("2018-04-26T12:48:09+00:00", 1524746889000000LL);
	parses("2018-04-26T12:48:09-00:00", 1524746889000000LL);
	parses("2018-04-26T09:18:09-03:30", 1524746889000000LL);
	parses("2018-04-26T14:48:09-05:30", 1524773889000000LL);
	parses("2018-04-26T12:48:09+23:59",
	    1524746889000000LL - (23 * 60 + 59) * 60 * USEC);
	/* An offset that moves the instant into the previous year. */
	parses("2018-01-01T00:30:00+01:00", 1514763000000000LL);
	/* Fractions: any number of digits, truncated (not rounded) to the
	 * microsecond. */
	parses("2018-04-26T14:48:09.1234Z", 1524754089123400LL);
	parses("2018-04-26T14:48:09.1Z", 1524754089100000LL);
	parses("2018-04-26T14:48:09.123456Z", 1524754089123456LL);
	parses("2018-04-26T14:48:09.123456789Z", 1524754089123456LL);
	parses("2018-04-26T14:48:09.9999999999999999999999Z",
	    1524754089999999LL);
	parses("2018-04-26T14:48:09.000000Z", 1524754089000000LL);
	parses("2018-04-26T16:48:09.5+02:00", 1524754089500000LL);
	/* Lower-case t and z. */
	parses("2018-04-26t14:48:09z", 1524754089000000LL);
	parses("2018-04-26t14:48:09.1234z", 1524754089123400LL);
	/* Before 1970, where the fraction still counts forwards. */
	parses("1969-12-31T23:59:59Z", -USEC);
	parses("1969-12-31T23:59:59.999999Z", -1);
	parses("1969-12-31T23:59:59.5Z", -USEC / 2);
	parses("1969-07-20T20:17:40Z", -14182940000000LL);
	parses("1900-01-01T00:00:00Z", -2208988800000000LL);
	parses("0001-01-01T00:00:00Z", YEAR1);
	parses("9999-12-31T23:59:59.999999Z", YEAR10000 - 1);
	/* Leap days: every fourth year, but not centuries, but 400s. */
	parses("2024-02-29T12:00:00Z", 1709208000000000LL);
	parses("2000-02-29T00:00:00Z", 951782400000000LL);
	parses("2024-03-01T00:00:00Z", 1709251200000000LL);
	rejects("2023-02-29T00:00:00Z");
	rejects("2100-02-29T00:00:00Z");
	rejects("1900-02-29T00:00:00Z");
	rejects("2024-02-30T00:00:00Z");
	/* A leap second is accepted and counted as 59. */
	parses("2016-12-31T23:59:60Z", 1483228799000000LL);
	parses("2016-12-31T23:59:60.5Z", 1483228799500000LL);
	parses("2017-01-01T00:59:60+01:00", 1483228799000000LL);
	parses("2016-12-31T15:59:60-08:00", 1483228799000000LL);
	/* But only at 23:59:60 UTC, once the offset is applied. */
	rejects("2021-07-21T08:00:60Z");
	rejects("2016-12-31T23:59:60+01:00");
	rejects("2016-12-31T23:58:60Z");
}

static void
malformed(void)
{
	int64_t got;

	/* Out of range fields. */
	rejects("2018-00-26T14:48:09Z");
	rejects("2018-13-26T14:48:09Z");
	rejects("2018-04-00T14:48:09Z");
	rejects("2018-04-31T14:48:09Z");
	rejects("2018-01-32T14:48:09Z");
	rejects("2018-04-26T24:00:00Z");
	rejects("2018-04-26T14:60:09Z");
	rejects("2018-04-26T14:48:61Z");
	rejects("2018-04-26T14:48:99Z");
	rejects("2018-04-26T14:48:09+24:00");
	rejects("2018-04-26T14:48:09+02:60");
	/* Missing or malformed offsets. */
	rejects("2018-04-26T14:48:09");
	rejects("2018-04-26T14:48:09.123");
	rejects("2018-04-26T14:48:09+02");
	rejects("2018-04-26T14:48:09+02:0");
	rejects("2018-04-26T14:48:09+0200");
	rejects("2018-04-26T14:48:09+02:00:00");
	rejects("2018-04-26T14:48:09 +02:00");
	rejects("2018-04-26T14:48:09UTC");
	rejects("2018-04-26T14:48:09+2:00");
	rejects("2018-04-26T14:48:09+a2:00");
	/* Trailing garbage. */
	rejects("2018-04-26T14:48:09Zx");
	rejects("2018-04-26T14:48:09Z ");
	rejects("2018-04-26T14:48:09ZZ");
	rejects("2018-04-26T14:48:09+02:00Z");
	rejects("2018-04-26T14:48:09.12a4Z");
	/* Separators. */
	rejects("2018-04-26 14:48:09Z");
	rejects("2018-04-26_14:48:09Z");
	rejects("2018/04/26T14:48:09Z");
	rejects("2018-04-26T14.48.09Z");
	rejects("2018-04-26T14:48:09,5Z");
	/* A fraction with no digits. */
	rejects("2018-04-26T14:48:09.Z");
	rejects("2018-04-26T14:48:09.+02:00");
	rejects("2018-04-26T14:48:09.");
	/* Fields of the wrong width or with signs and spaces in them. */
	rejects("2018-4-26T14:48:09Z");
	rejects("2018-04-26T14:48:9Z");
	rejects("18-04-26T14:48:09Z");
	rejects("+2018-04-26T14:48:09Z");
	rejects("-018-04-26T14:48:09Z");
	rejects("2018-+4-26T14:48:09Z");
	rejects("2018-04- 6T14:48:09Z");
	rejects("2018-04-26T-1:48:09Z");
	/* Too short. */
	rejects("");
	rejects("Z");
	rejects("2018");
	rejects("2018-04-26");
	rejects("2018-04-26T");
	rejects("2018-04-26T14:48Z");
	rejects("2018-04-26T14:48:09");
	/* The length is honoured: no NUL needed, and none looked for. */
	CHECK(rfc3339_parse("1970-01-01T00:00:00Zjunk", 20, &got) == 0 &&
	    got == 0);
	CHECK(rfc3339_parse("1970-01-01T00:00:00.5Z", 21, &got) == -1);
	CHECK(rfc3339_parse("1970-01-01T00:00:00Z", 19, &got) == -1);
	CHECK(rfc3339_parse("1970-01-01T00:00:00+01:00", 24, &got) == -1);
	CHECK(rfc3339_parse("1970-01-01T00:00:00\0Z", 21, &got) == -1);
}

static void
format(void)
{
	formats(0, "1970-01-01T00:00:00.000000Z");
	formats(1, "1970-01-01T00:00:00.000001Z");
	formats(10, "1970-01-01T00:00:00.000010Z");
	formats(999999, "1970-01-01T00:00:00.999999Z");
	formats(USEC, "1970-01-01T00:00:01.000000Z");
	formats(1524746889000000LL, "2018-04-26T12:48:09.000000Z");
	formats(1524754089123400LL, "2018-04-26T14:48:09.123400Z");
	formats(1524754089000042LL, "2018-04-26T14:48:09.000042Z");
	formats(951782400000000LL, "2000-02-29T00:00:00.000000Z");
	formats(1709208000000000LL, "2024-02-29T12:00:00.000000Z");
	formats(1483228799999999LL, "2016-12-31T23:59:59.999999Z");
	/* Before 1970: the seconds floor and the fraction counts forwards. */
	formats(-1, "1969-12-31T23:59:59.999999Z");
	formats(-999999, "1969-12-31T23:59:59.000001Z");
	formats(-USEC, "1969-12-31T23:59:59.000000Z");
	formats(-USEC - 1, "1969-12-31T23:59:58.999999Z");
	formats(-86400 * USEC, "1969-12-31T00:00:00.000000Z");
	formats(-86400 * USEC - 1, "1969-12-30T23:59:59.999999Z");
	formats(-14182940000000LL, "1969-07-20T20:17:40.000000Z");
	formats(-2208988800000000LL, "1900-01-01T00:00:00.000000Z");
	formats(-2208988800000000LL + 7, "1900-01-01T00:00:00.000007Z");
	formats(YEAR1, "0001-01-01T00:00:00.000000Z");
	formats(YEAR10000 - 1, "9999-12-31T23:59:59.999999Z");
}

/* format, then parse, gives the same instant; parse, then format, the
 * same text. */
static void
roundtrip(void)
{
	char buf[RFC3339_LEN + 1];
	int64_t t, got;
	int i, bad = 0;

	for (i = 0; i < 200000; i++) {
		/* Half over the whole range, half near the epoch, where
		 * the sign changes. */
		t = i % 2 ? between(YEAR1, YEAR10000) :
		    between(-100000 * USEC, 100000 * USEC);
		rfc3339_format(t, buf);
		got = 0;
		if (strlen(buf) != RFC3339_LEN ||
		    rfc3339_parse(buf, RFC3339_LEN, &got) != 0 || got != t) {
			if (bad++ < 10)
				CHECKMSG(0, "%lld -> \"%s\" -> %lld",
				    (long long)t, buf, (long long)got);
		}
	}
	CHECKMSG(bad == 0, "%d of %d round trips failed", bad, i);
}

/* The calendar against the C library's, which uses no days-from-civil. */
static void
libc(void)
{
	char want[64], buf[RFC3339_LEN + 1], off[64];
	int64_t t, us, got;
	struct tm tm;
	time_t secs;
	int i, o, bad = 0;

	for (i = 0; i < 500; i++) {
		t = i % 2 ? between(YEAR1, YEAR10000) :
		    between(-4000000000LL * USEC, 4000000000LL * USEC);
		secs = (time_t)(t >= 0 ? t / USEC : -((-t + USEC - 1) / USEC));
		us = t - (int64_t)secs * USEC;
		if (gmtime_r(&secs, &tm) == NULL) {
			CHECKMSG(0, "gmtime_r(%lld)", (long long)secs);
			continue;
		}
		snprintf(want, sizeof(want), "%04d-%02d-%02dT%02d:%02d:"
		    "%02d.%06dZ", tm.tm_year + 1900, tm.tm_mon + 1,
		    tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, (int)us);
		rfc3339_format(t, buf);
		if (strcmp(buf, want) != 0 && bad++ < 10)
			CHECKMSG(0, "%lld: \"%s\", gmtime_r \"%s\"",
			    (long long)t, buf, want);

		/* The same wall time with a random offset, against timegm. */
		o = (int)(rnd() % (2 * (23 * 60 + 59) + 1)) - (23 * 60 + 59);
		snprintf(off, sizeof(off), "%04d-%02d-%02dT%02d:%02d:%02d"
		    "%c%02d:%02d", tm.tm_year + 1900, tm.tm_mon + 1,
		    tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
		    o < 0 ? '-' : '+', (o < 0 ? -o : o) / 60,
		    (o < 0 ? -o : o) % 60);
		got = 0;
		if ((rfc3339_parse(off, strlen(off), &got) != 0 ||
		    got != ((int64_t)timegm(&tm) - o * 60LL) * USEC) &&
		    bad++ < 10)
			CHECKMSG(0, "\"%s\": %lld, timegm %lld", off,
			    (long long)got, (long long)timegm(&tm));
	}
	CHECKMSG(bad == 0, "%d disagreements with the C library", bad);
}

/* now_usec is the real clock, in microseconds. */
static void
now(void)
{
	int64_t a, b;
	time_t t;

	t = time(NULL);
	a = now_usec();
	b = now_usec();
	CHECK(b >= a);
	CHECKMSG(a / USEC >= (int64_t)t && a / USEC <= (int64_t)t + 2,
	    "now_usec %lld, time %lld", (long long)a, (long long)t);
}

/* time_parse: what it takes, against a fixed now. */
static void
cmdline(void)
{
	static const struct {
		const char *s;
		int64_t back;	/* seconds before now */
	} dur[] = {
		{ "90s", 90 }, { "30m", 1800 }, { "1h", 3600 }, { "2d", 172800 },
		{ "1w", 604800 }, { "1h30m", 5400 }, { "1d12h", 129600 },
		{ "2h0m5s", 7205 }, { "0s", 0 }, { "now", 0 },
		{ "1w1d1h1m1s", 694861 }
	};
	static const struct {
		const char *s;
		int64_t usec;	/* back from now */
	} ms[] = {
		{ "500ms", 500000 }, { "1ms", 1000 }, { "1s500ms", 1500000 },
		{ "1m1ms", 60001000 }, { "0ms", 0 }
	};
	static const char *bad[] = {
		"", "1", "90", "h", "1x", "1hh", "30m1h", "1h1h", "-1h", "1.5h",
		"1 h", " 1h", "1h ", "1H", "99999999999d", "2026-02-30",
		"2026-1-01", "2026-01-01T", "2026-01-01 10:00:00Z", "yesterday",
		"2026-01-01Z", "20260101", "500ms1s", "1ms1ms", "1mss", "1us",
		"@", "@-1", "@1.5", "@12x", "@17ms0", "s@", "s@1ms", "@253402300800",
		"x@1", "@ 1"
	};
	int64_t now = 1767225600LL * USEC + 123456, t;	/* 2026-01-01 */
	size_t i;

	for (i = 0; i < sizeof(dur) / sizeof(dur[0]); i++) {
		t = -1;
		CHECKMSG(time_parse(dur[i].s, now, &t) == 0 &&
		    t == now - dur[i].back * USEC, "%s: %lld", dur[i].s,
		    (long long)t);
	}
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		CHECKMSG(time_parse(bad[i], now, &t) == -1, "took \"%s\"",
		    bad[i]);
	for (i = 0; i < sizeof(ms) / sizeof(ms[0]); i++)
		CHECKMSG(time_parse(ms[i].s, now, &t) == 0 &&
		    t == now - ms[i].usec, "%s: %lld", ms[i].s, (long long)t);
	/* Epoch seconds as date +%s prints them; milliseconds as kcat. */
	CHECK(time_parse("@1772323200", now, &t) == 0 &&
	    t == 1772323200LL * USEC);
	CHECK(time_parse("@1772323200123ms", now, &t) == 0 &&
	    t == 1772323200123LL * 1000);
	CHECK(time_parse("s@1772323200123", now, &t) == 0 &&
	    t == 1772323200123LL * 1000);
	CHECK(time_parse("@0", now, &t) == 0 && t == 0);
	CHECK(time_parse("2026-03-01", now, &t) == 0 &&
	    t == 1772323200LL * USEC);
	CHECK(time_parse("2024-02-29", now, &t) == 0 &&
	    t == 1709164800LL * USEC);
	CHECK(time_parse("2026-03-01T10:00:00+02:00", now, &t) == 0 &&
	    t == (1772323200LL + 8 * 3600) * USEC);
	CHECK(time_parse("2026-03-01t08:00:00.5z", now, &t) == 0 &&
	    t == (1772323200LL + 8 * 3600) * USEC + 500000);
}

int
main(void)
{
	known();
	malformed();
	format();
	roundtrip();
	libc();
	now();
	cmdline();
	return unit_done("time_test");
}
