/* SPDX-License-Identifier: ISC */
/*
 * id_test - UUIDv7 ids: their layout, the millisecond in their first 48
 * bits, and their order when the clock runs, stands still or steps back.
 * Usage: id_test [DATA] (no data is needed here).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "id.h"
#include "timefmt.h"
#include "unit.h"

#define N 100000

/* Tells whether id has the layout of RFC 9562: 8-4-4-4-12 lower-case hex,
 * version 7, variant 10. */
static int
wellformed(const char *id)
{
	size_t i;

	if (strlen(id) != UUID_LEN)
		return 0;
	for (i = 0; i < UUID_LEN; i++) {
		if (i == 8 || i == 13 || i == 18 || i == 23) {
			if (id[i] != '-')
				return 0;
		} else if (!((id[i] >= '0' && id[i] <= '9') ||
		    (id[i] >= 'a' && id[i] <= 'f')))
			return 0;
	}
	return id[14] == '7' && strchr("89ab", id[19]) != NULL;
}

/* The hex digits of id from position from (skipping dashes), n of them. */
static uint64_t
field(const char *id, int from, int n)
{
	uint64_t v = 0;
	int i, seen = 0;

	for (i = 0; id[i] != '\0' && seen < from + n; i++) {
		if (id[i] == '-')
			continue;
		if (seen++ >= from)
			v = v << 4 | (uint64_t)(id[i] <= '9' ? id[i] - '0' :
			    id[i] - 'a' + 10);
	}
	return v;
}

static void
layout(void)
{
	char id[UUID_LEN + 2];

	memset(id, 'x', sizeof(id));
	uuidv7(1700000000123456LL, id);
	CHECKMSG(id[UUID_LEN] == '\0', "no NUL at %d", UUID_LEN);
	CHECKMSG(wellformed(id), "\"%s\"", id);
	CHECK(field(id, 0, 12) == 1700000000123ULL);
	CHECK(field(id, 12, 1) == 7);
	CHECK((field(id, 16, 1) & 0xc) == 0x8);
	CHECKMSG(strncmp(id, "018bcfe5-687b-774b-", 19) == 0, "\"%s\"", id);
}

/*
 * While the clock moves forwards by more than a bump, the first 48 bits are
 * the millisecond of usec and the next 12 bits (after the version) its
 * sub-millisecond part, scaled to 4096.
 */
static void
timebits(void)
{
	static const int64_t t[] = {
		1700000001000000LL, 1700000001000999LL, 1700000002000500LL,
		1700000002001000LL, 1700000002001001LL, 1700000002001999LL,
		1700000003000244LL, 1700000003000245LL,
	};
	char id[UUID_LEN + 1];
	size_t i;
	uint64_t ms, sub;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		uuidv7(t[i], id);
		ms = field(id, 0, 12);
		sub = field(id, 13, 3);
		CHECKMSG(wellformed(id), "\"%s\"", id);
		CHECKMSG(ms == (uint64_t)(t[i] / 1000), "%lld: \"%s\" has "
		    "ms %llu", (long long)t[i], id, (unsigned long long)ms);
		CHECKMSG(sub == (uint64_t)(t[i] % 1000) * 4096 / 1000,
		    "%lld: \"%s\" has sub-ms %llu", (long long)t[i], id,
		    (unsigned long long)sub);
	}
}

static int
cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Counts the equal neighbours among n strings once sorted. */
static int
repeats(char **v, size_t n)
{
	size_t i;
	int r = 0;

	qsort(v, n, sizeof(*v), cmp);
	for (i = 1; i < n; i++)
		if (strcmp(v[i - 1], v[i]) == 0)
			r++;
	return r;
}

static int64_t start;		/* the clock reading the runs start from */

static int64_t
still(int i)
{
	(void)i;
	return start;
}

static int64_t
back(int i)
{
	return start - (int64_t)i * 1000;
}

static int64_t
real(int i)
{
	(void)i;
	return now_usec();
}

/*
 * Makes N ids with the clock given by next and checks that each is well
 * formed and greater than the one before (*prev, the last id of the run
 * before, included); that, sorted, they hold no repeat; and that their 62
 * random bits (the last 16 hex digits) hold none either, so that the order
 * and uniqueness do not lean on chance.
 */
static void
run(const char *what, int64_t (*next)(int), char *prev)
{
	int i, badform = 0, badorder = 0;
	char *ids, *id, **v;

	ids = malloc((size_t)N * (UUID_LEN + 1));
	v = malloc((size_t)N * sizeof(*v));
	if (ids == NULL || v == NULL) {
		CHECKMSG(0, "out of memory");
		exit(1);
	}
	for (i = 0; i < N; i++) {
		id = ids + (size_t)i * (UUID_LEN + 1);
		uuidv7(next(i), id);
		if (!wellformed(id) && badform++ < 5)
			CHECKMSG(0, "%s: id %d \"%s\" is malformed", what, i,
			    id);
		if (prev[0] != '\0' && strcmp(prev, id) >= 0 &&
		    badorder++ < 5)
			CHECKMSG(0, "%s: id %d \"%s\" is not after \"%s\"",
			    what, i, id, prev);
		memcpy(prev, id, UUID_LEN + 1);
	}
	CHECKMSG(badform == 0, "%s: %d malformed ids", what, badform);
	CHECKMSG(badorder == 0, "%s: %d ids out of order", what, badorder);
	for (i = 0; i < N; i++)
		v[i] = ids + (size_t)i * (UUID_LEN + 1);
	CHECKMSG(repeats(v, N) == 0, "%s: repeated ids", what);
	for (i = 0; i < N; i++)
		v[i] = ids + (size_t)i * (UUID_LEN + 1) + 19;
	CHECKMSG(repeats(v, N) == 0, "%s: repeated random bits", what);
	free(v);
	free(ids);
}

static void
order(void)
{
	char prev[UUID_LEN + 1], id[UUID_LEN + 1];

	start = now_usec();
	/* The first id of a run whose clock is ahead of every id so far
	 * carries that clock's millisecond. */
	uuidv7(start, prev);
	CHECKMSG(field(prev, 0, 12) == (uint64_t)(start / 1000), "now %lld: "
	    "\"%s\"", (long long)start, prev);
	run("clock standing still", still, prev);
	run("clock stepping back", back, prev);
	run("real clock", real, prev);
	/* Even a clock set back to the epoch or before it. */
	uuidv7(0, id);
	CHECKMSG(wellformed(id) && strcmp(prev, id) < 0, "\"%s\" after \"%s\"",
	    id, prev);
	memcpy(prev, id, sizeof(id));
	uuidv7(-1000000, id);
	CHECKMSG(wellformed(id) && strcmp(prev, id) < 0, "\"%s\" after \"%s\"",
	    id, prev);
}

int
main(void)
{
	layout();
	timebits();
	order();
	return unit_done("id_test");
}
