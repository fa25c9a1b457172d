/* SPDX-License-Identifier: ISC */
/*
 * log_test - the event log through log.h, in a fresh directory: open,
 * append and tail; --expect and idempotence; a full log; cut and repair;
 * cursors from a sequence and from a time, from the index and by a
 * binary search, with the same lines either way; following.
 * Usage: log_test [DATA] (no data is needed here).
 */
#include <sys/stat.h>

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log_int.h"
#include "timefmt.h"
#include "unit.h"

#define T0 1767225600000000LL	/* 2026-01-01T00:00:00Z */
#define SEC 1000000LL
#define N 3000			/* events in the big log: blocks, more
				   than a bisection's CHUNK, and more than a
				   cursor reads at once (1 MiB) */
#define PAD "................................................................" \
	"................................................................" \
	"................................................................"

static char dir[64], path[128];
static struct scanner sc;
static struct ce_event ev;

/* ---- helpers ---- */

/* Event number i: id ei, subject subj, time T0 + i seconds. */
static void
add(struct batch *bt, int i, const char *subj)
{
	char line[512], t[RFC3339_LEN + 1], err[256];
	int len;

	rfc3339_format(T0 + i * SEC, t);
	len = snprintf(line, sizeof(line), "{\"specversion\":\"1.0\","
	    "\"id\":\"e%d\",\"source\":\"s\",\"type\":\"t\",\"subject\":"
	    "\"%s\",\"time\":\"%s\",\"data\":{\"n\":%d,\"pad\":\"%s\"}}",
	    i, subj, t, i, PAD);
	if (ce_validate(&sc, line, (size_t)len, &ev, err, sizeof(err)) == -1) {
		fprintf(stderr, "bad test event: %s\n", err);
		exit(2);
	}
	batch_add(bt, &sc, &ev, (uint64_t)i);
}

/* Appends events from..to (subject subj) under the lock. */
static enum log_result
append(struct log *lg, int from, int to, const char *subj, long long expect,
    uint64_t *count)
{
	struct batch bt = { 0 };
	char err[256];
	enum log_result r;
	int i;

	for (i = from; i <= to; i++)
		add(&bt, i, subj);
	CHECKMSG(log_lock(lg, 1, err, sizeof(err)) == LOG_OK, "%s", err);
	r = log_append(lg, &bt, SYNC_BATCH, expect, count);
	log_unlock(lg);
	batch_free(&bt);
	return r;
}

static off_t
size(const char *p)
{
	struct stat sb;

	return stat(p, &sb) == 0 ? sb.st_size : -1;
}

static void
writebytes(const char *p, const char *s, size_t len, int flags)
{
	int fd = open(p, O_WRONLY | O_CREAT | flags, 0600);

	if (fd == -1 || write(fd, s, len) != (ssize_t)len) {
		perror(p);
		exit(2);
	}
	close(fd);
}

static void
writefile(const char *p, const char *s, int flags)
{
	writebytes(p, s, strlen(s), flags);
}

static struct log *
openlog(const char *p, int write)
{
	char err[256];
	struct log *lg = log_open(p, write, err, sizeof(err));

	CHECKMSG(lg != NULL, "%s: %s", p, err);
	if (lg == NULL)
		exit(1);
	return lg;
}

/* The number n in the data of line p[0..len), or -1. */
static int
numof(const char *p, size_t len)
{
	const char *q = memmem(p, len, "\"n\":", 4);

	return q == NULL ? -1 : atoi(q + 4);
}

/*
 * Reads the log at path with a cursor from from (and the window), and
 * checks that the lines are events first..last, in order, each with its
 * sequence.  Returns how many it read.
 */
static int
readall(const char *p, uint64_t from, uint64_t to, int64_t since,
    int64_t until, int first, int last, int *usedindex)
{
	struct log *lg = openlog(p, 0);
	struct log_cursor *c;
	const char *line;
	char err[256];
	uint64_t seq;
	size_t len;
	enum log_result r;
	int want = first, ok = 1;

	c = log_cursor_open(lg, from, err, sizeof(err));
	CHECKMSG(c != NULL, "%s", err);
	if (c == NULL)
		exit(1);
	*usedindex = c->ilast > 0;
	log_cursor_window(c, to, since, until);
	while ((r = log_next(c, &line, &len, &seq, err, sizeof(err))) ==
	    LOG_OK) {
		if (seq != (uint64_t)want || numof(line, len) != want ||
		    line[len] != '\n')
			ok = 0;
		want++;
	}
	CHECKMSG(ok, "from %llu: lines out of order",
	    (unsigned long long)from);
	CHECKMSG(want - 1 == last, "from %llu: last %d, not %d",
	    (unsigned long long)from, want - 1, last);
	CHECK(r == (to > 0 && (uint64_t)last == to ? LOG_STOP : LOG_END));
	log_cursor_close(c);
	log_close(lg);
	return want - first;
}

/* ---- open, append, tail ---- */

static void
test_append(void)
{
	struct log *lg, *rd;
	char err[256];
	uint64_t count;

	snprintf(path, sizeof(path), "%s/a.log", dir);
	lg = openlog(path, 1);
	CHECK(log_last(lg) == 0);
	CHECK(append(lg, 1, 3, "x", -1, NULL) == LOG_OK);
	CHECK(log_last(lg) == 3);
	CHECK(log_end(lg) == size(path));
	/* Another handle finds the same end from the tail. */
	rd = openlog(path, 0);
	CHECK(log_refresh(rd, err, sizeof(err)) == LOG_OK);
	CHECK(log_last(rd) == 3 && log_end(rd) == size(path));
	CHECK(strcmp(log_path(rd), path) == 0);

	/* --expect: x has 3 events; 2 is refused, and nothing written. */
	CHECK(append(lg, 4, 4, "x", 2, &count) == LOG_EXPECT);
	CHECK(count == 3 && log_last(lg) == 3);
	CHECK(log_end(lg) == size(path));
	CHECK(append(lg, 4, 4, "x", 3, &count) == LOG_OK);
	CHECK(log_last(lg) == 4);
	CHECK(append(lg, 5, 5, "new", 0, &count) == LOG_OK);
	CHECK(count == 0 && log_last(lg) == 5);

	/* Idempotence: e2 again is left out, and says as which. */
	{
		struct batch bt = { 0 };

		add(&bt, 2, "x");
		add(&bt, 6, "x");
		add(&bt, 6, "x");	/* twice in one batch */
		CHECK(log_lock(lg, 1, err, sizeof(err)) == LOG_OK);
		CHECK(log_append(lg, &bt, SYNC_EVENT, -1, NULL) == LOG_OK);
		log_unlock(lg);
		CHECK(bt.m == 1 && bt.dup[0] == 2 && bt.dup[1] == 0 &&
		    bt.dup[2] == 6);
		CHECK(bt.b.len == (size_t)(size(path) - bt.from));
		CHECK(memmem(bt.b.p, bt.b.len, "\"sequence\":\"000000000006\"}\n",
		    27) != NULL);
		batch_free(&bt);
	}
	CHECK(log_last(lg) == 6);
	CHECK(log_refresh(rd, err, sizeof(err)) == LOG_OK && log_last(rd) == 6);

	/* Cut back, as a failed fsync does: the last event goes. */
	{
		off_t at;
		struct log_cursor *c;
		const char *line;
		size_t len;
		uint64_t seq;

		c = log_cursor_open(rd, 6, err, sizeof(err));
		CHECK(c != NULL && log_next(c, &line, &len, &seq, err,
		    sizeof(err)) == LOG_OK && seq == 6);
		at = log_end(rd) - (off_t)len - 1;
		log_cursor_close(c);
		CHECK(log_lock(lg, 0, err, sizeof(err)) == LOG_OK);
		log_cut(lg, at, 5);
		log_unlock(lg);
		CHECK(size(path) == at && log_last(lg) == 5);
		CHECK(log_refresh(rd, err, sizeof(err)) == LOG_OK &&
		    log_last(rd) == 5);
		/* The index went with it: e6 is new again. */
		CHECK(append(lg, 6, 6, "x", -1, NULL) == LOG_OK);
		CHECK(log_last(lg) == 6);
	}
	log_close(rd);
	log_close(lg);
	CHECK(log_open(dir, 0, err, sizeof(err)) == NULL &&
	    strstr(err, "not a regular file") != NULL);
	CHECK(log_syncmode("event") == SYNC_EVENT &&
	    log_syncmode("batch") == SYNC_BATCH &&
	    log_syncmode("none") == SYNC_NONE && log_syncmode("all") == -1);
}

/* ---- full, torn, damaged ---- */

static void
test_full(void)
{
	struct log *lg;
	char p[160];
	off_t before;

	snprintf(p, sizeof(p), "%s/full.log", dir);
	writefile(p, "{\"specversion\":\"1.0\",\"type\":\"t\",\"source\":\"s\","
	    "\"id\":\"1\",\"sequence\":\"999999999999\"}\n", O_TRUNC);
	before = size(p);
	lg = openlog(p, 1);
	CHECK(append(lg, 1, 1, "x", -1, NULL) == LOG_FULL);
	CHECK(log_last(lg) == SEQ_MAX && size(p) == before);
	log_close(lg);
}

static void
test_repair(void)
{
	struct log *lg, *rd;
	char p[160], aside[200], err[256];
	off_t whole;

	snprintf(p, sizeof(p), "%s/torn.log", dir);
	lg = openlog(p, 1);
	CHECK(append(lg, 1, 2, "x", -1, NULL) == LOG_OK);
	whole = size(p);
	writefile(p, "{\"specversion\":\"1.0\",\"id\":", O_APPEND);
	/* Readers see the whole lines only. */
	rd = openlog(p, 0);
	CHECK(log_refresh(rd, err, sizeof(err)) == LOG_OK);
	CHECK(log_last(rd) == 2 && log_end(rd) == whole);
	fprintf(stderr, "log_test: a warning of a cut line follows:\n");
	CHECK(log_repair(lg, err, sizeof(err)) == LOG_OK);
	CHECK(size(p) == whole);
	CHECK(append(lg, 3, 3, "x", -1, NULL) == LOG_OK && log_last(lg) == 3);
	/* A last line that is whole but no event, without a zero byte, is
	 * not a crash's doing: readers and appends stop there, and only
	 * repair moves it aside (evlog(5), Damage). */
	whole = size(p);
	writefile(p, "garbage\n", O_APPEND);
	CHECK(log_refresh(rd, err, sizeof(err)) == LOG_DAMAGED);
	CHECK(strstr(err, "not an evlog log, or damaged") != NULL);
	CHECK(log_lock(lg, LOG_REPAIR_TAIL, err, sizeof(err)) == LOG_DAMAGED);
	CHECK(strstr(err, "not what a crash leaves") != NULL);
	CHECK(size(p) == whole + 8);
	fprintf(stderr, "log_test: a warning of damage moved aside follows:\n");
	CHECK(log_repair(lg, err, sizeof(err)) == LOG_OK);
	CHECK(size(p) == whole);
	snprintf(aside, sizeof(aside), "%s.damaged-%lld", p, (long long)whole);
	CHECK(size(aside) == 8);
	/* A line of zero bytes that ends in a later line, as a lost page
	 * leaves: the next append moves it aside by itself. */
	writebytes(p, "\0\0\0\0\0\0\0\0\"}\n", 11, O_APPEND);
	fprintf(stderr, "log_test: a warning of damage moved aside follows:\n");
	CHECK(append(lg, 4, 4, "x", -1, NULL) == LOG_OK && log_last(lg) == 4);
	snprintf(aside, sizeof(aside), "%s.damaged-%lld.1", p, (long long)whole);
	CHECK(size(aside) == 11);
	log_close(rd);
	log_close(lg);
}

/* ---- cursors ---- */

static void
test_cursor(void)
{
	struct log *lg;
	char p[160], idx[170];
	int viaindex, viabisect;
	uint64_t from[] = { 1, 2, 255, 256, 257, 1000, 2999, 3000 };
	size_t i;

	snprintf(p, sizeof(p), "%s/big.log", dir);
	snprintf(idx, sizeof(idx), "%s.idx", p);
	lg = openlog(p, 1);
	CHECK(append(lg, 1, N / 2, "x", -1, NULL) == LOG_OK);
	CHECK(append(lg, N / 2 + 1, N, "y", -1, NULL) == LOG_OK);
	log_close(lg);
	CHECK(size(p) > (1 << 20));

	/* From a sequence: the index, then without it a bisection, give
	 * the same lines. */
	for (i = 0; i < sizeof(from) / sizeof(from[0]); i++) {
		CHECK(readall(p, from[i], 0, LOG_NOTIME, LOG_NOTIME,
		    (int)from[i], N, &viaindex) == N - (int)from[i] + 1);
		CHECK(viaindex);
	}
	CHECK(readall(p, N + 1, 0, LOG_NOTIME, LOG_NOTIME, N + 1, N,
	    &viaindex) == 0);
	/* A window by sequence ends with LOG_STOP. */
	CHECK(readall(p, 700, 900, LOG_NOTIME, LOG_NOTIME, 700, 900,
	    &viaindex) == 201);
	/* By time: events of [T0 + 1000 s, T0 + 1300 s). */
	CHECK(readall(p, 1, 0, T0 + 1000 * SEC, T0 + 1300 * SEC, 1000, 1299,
	    &viaindex) == 300);
	CHECK(readall(p, 1, 1100, T0 + 1000 * SEC, LOG_NOTIME, 1000, 1100,
	    &viaindex) == 101);
	CHECK(readall(p, 1010, 0, T0 + 1000 * SEC, T0 + 1300 * SEC, 1010,
	    1299, &viaindex) == 290);
	CHECK(readall(p, 1, 0, T0 + 5000 * SEC, LOG_NOTIME, 1, 0,
	    &viaindex) == 0);
	CHECK(readall(p, 1, 0, T0 + 2900 * SEC, LOG_NOTIME, 2900, N,
	    &viaindex) == 101);

	CHECK(unlink(idx) == 0);
	for (i = 0; i < sizeof(from) / sizeof(from[0]); i++) {
		CHECK(readall(p, from[i], 0, LOG_NOTIME, LOG_NOTIME,
		    (int)from[i], N, &viabisect) == N - (int)from[i] + 1);
		CHECK(!viabisect);
	}
	CHECK(readall(p, 1, 0, T0 + 1000 * SEC, T0 + 1300 * SEC, 1000, 1299,
	    &viabisect) == 300);
	CHECK(readall(p, 700, 900, LOG_NOTIME, LOG_NOTIME, 700, 900,
	    &viabisect) == 201);
}

/* log_read: every line once, in runs, the sequence that of the last. */
static void
test_read(void)
{
	struct log *lg;
	struct log_cursor *c;
	const char *p, *q, *nl;
	char path2[160], err[256];
	uint64_t seq, lines = 0, runs = 0, last = 0;
	size_t len;
	int ok = 1;

	snprintf(path2, sizeof(path2), "%s/big.log", dir);
	lg = openlog(path2, 0);
	c = log_cursor_open(lg, 10, err, sizeof(err));
	CHECK(c != NULL);
	while (log_read(c, &p, &len, &seq, err, sizeof(err)) == LOG_OK) {
		runs++;
		for (q = p; q < p + len; q = nl + 1) {
			nl = memchr(q, '\n', (size_t)(p + len - q));
			if (nl == NULL || numof(q, (size_t)(nl - q)) !=
			    (int)(10 + lines))
				ok = 0;
			if (nl == NULL)
				break;
			lines++;
		}
		last = seq;
		ok &= p[len - 1] == '\n';
	}
	CHECK(ok);
	CHECK(lines == N - 9 && last == N);
	CHECK(runs > 1 && runs < lines / 10);
	log_cursor_close(c);
	log_close(lg);
}

/* ---- following ---- */

static void
test_follow(void)
{
	struct log *lg, *rd;
	struct log_cursor *c;
	const char *line;
	char p[160], err[256];
	uint64_t seq;
	size_t len;
	int fds[2];

	snprintf(p, sizeof(p), "%s/follow.log", dir);
	lg = openlog(p, 1);
	CHECK(append(lg, 1, 2, "x", -1, NULL) == LOG_OK);
	rd = openlog(p, 0);
	c = log_cursor_open(rd, 1, err, sizeof(err));
	CHECK(c != NULL);
	CHECK(log_next(c, &line, &len, &seq, err, sizeof(err)) == LOG_OK &&
	    seq == 1);
	CHECK(log_next(c, &line, &len, &seq, err, sizeof(err)) == LOG_OK &&
	    seq == 2);
	CHECK(log_next(c, &line, &len, &seq, err, sizeof(err)) == LOG_END);
	/* An append is seen. */
	CHECK(append(lg, 3, 4, "x", -1, NULL) == LOG_OK);
	CHECK(log_wait(c, -1, err, sizeof(err)) == LOG_OK);
	CHECK(log_next(c, &line, &len, &seq, err, sizeof(err)) == LOG_OK &&
	    seq == 3 && numof(line, len) == 3);
	CHECK(log_next(c, &line, &len, &seq, err, sizeof(err)) == LOG_OK &&
	    seq == 4);
	CHECK(log_next(c, &line, &len, &seq, err, sizeof(err)) == LOG_END);
	/* The reader of a pipe named goes away: the wait ends. */
	CHECK(pipe(fds) == 0);
	close(fds[0]);
	CHECK(log_wait(c, fds[1], err, sizeof(err)) == LOG_HUP);
	close(fds[1]);
	/* Truncated below what was read. */
	CHECK(truncate(p, 10) == 0);
	CHECK(log_wait(c, -1, err, sizeof(err)) == LOG_DAMAGED);
	CHECK(strstr(err, "truncated below what was read") != NULL);
	log_cursor_close(c);
	log_close(rd);
	log_close(lg);

	/* Replaced by another file. */
	lg = openlog(p, 1);
	CHECK(log_repair(lg, err, sizeof(err)) == LOG_OK);
	c = log_cursor_open(lg, 1, err, sizeof(err));
	CHECK(c != NULL);
	CHECK(log_next(c, &line, &len, &seq, err, sizeof(err)) == LOG_END);
	CHECK(unlink(p) == 0);
	writefile(p, "", O_TRUNC);
	CHECK(log_wait(c, -1, err, sizeof(err)) == LOG_DAMAGED);
	CHECK(strstr(err, "replaced by another file") != NULL);
	log_cursor_close(c);
	log_close(lg);
}

/* The stamp: the sequence as twelve digits, last; one the event had is
 * dropped; a number too large for twelve keeps its last twelve. */
static void
test_stamp(void)
{
	static const struct {
		const char *in;
		uint64_t seq;
		const char *out;
	} t[] = {
		{ "{\"a\":1}", 0, "{\"a\":1,\"sequence\":\"000000000000\"}\n" },
		{ "{\"a\":1}", 7, "{\"a\":1,\"sequence\":\"000000000007\"}\n" },
		{ "{\"a\":1}", 10, "{\"a\":1,\"sequence\":\"000000000010\"}\n" },
		{ "{\"a\":1}", 999999999999ULL,
		    "{\"a\":1,\"sequence\":\"999999999999\"}\n" },
		{ "{\"a\":1}", 1000000000005ULL,
		    "{\"a\":1,\"sequence\":\"000000000005\"}\n" },
		{ "{\"sequence\":\"x\",\"a\":1}", 123456,
		    "{\"a\":1,\"sequence\":\"000000123456\"}\n" },
		{ "{\"sequence\":1}", 3, "{\"sequence\":\"000000000003\"}\n" },
	};
	struct buf b = { 0 };
	size_t i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		b.len = 0;
		CHECK(scan_json(&sc, t[i].in, strlen(t[i].in)) == SCAN_OBJECT);
		log_stamp(&b, &sc, t[i].seq);
		CHECKMSG(b.len == strlen(t[i].out) && memcmp(b.p, t[i].out,
		    b.len) == 0, "%s, %llu: %.*s", t[i].in,
		    (unsigned long long)t[i].seq, (int)b.len, b.p);
	}
	buf_free(&b);
}

int
main(void)
{
	char cmd[128];

	snprintf(dir, sizeof(dir), "/tmp/log_test.XXXXXX");
	if (mkdtemp(dir) == NULL) {
		perror("mkdtemp");
		return 2;
	}
	scan_init(&sc);
	test_stamp();
	test_append();
	test_full();
	test_repair();
	test_cursor();
	test_read();
	test_follow();
	scan_free(&sc);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		fprintf(stderr, "log_test: %s: not removed\n", dir);
	return unit_done("log_test");
}
