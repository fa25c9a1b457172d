/* SPDX-License-Identifier: ISC */
/*
 * commit_test - the group-commit pipeline of log.h: batches handed over
 * reach the durable hook in order, each once, numbered on from the one
 * before, on disk by then and under the log's lock; a hook that says stop
 * stops the batches after it; the log then holds what was acknowledged.
 * Usage: commit_test [DATA] (no data is needed here).
 */
#include <sys/file.h>
#include <sys/stat.h>

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "unit.h"

#define NBATCH 40
#define PER 50

static char dir[64];
static struct scanner sc;
static struct ce_event ev;

/* What the hooks saw. */
struct seen {
	const char *path;
	uint64_t next;		/* the sequence the next batch must start at */
	int batches;		/* hooked */
	int inorder;		/* every batch started at next */
	int ondisk;		/* the file held each batch by then */
	int locked;		/* and the lock was held (another's failed) */
	int stopat;		/* say stop at this batch (0: never) */
	int failed;
};

static void
add(struct batch *bt, int i)
{
	char line[256], err[256];
	int len;

	len = snprintf(line, sizeof(line), "{\"specversion\":\"1.0\",\"id\":"
	    "\"c%d\",\"source\":\"s\",\"type\":\"t\",\"data\":{\"n\":%d}}", i,
	    i);
	if (ce_validate(&sc, line, (size_t)len, &ev, err, sizeof(err)) == -1) {
		fprintf(stderr, "bad test event: %s\n", err);
		exit(2);
	}
	batch_add(bt, &sc, &ev, (uint64_t)i);
}

static int
durable(void *arg, struct batch *bt)
{
	struct seen *s = arg;
	struct stat sb;
	int fd;

	s->batches++;
	if (bt->before + 1 != s->next || bt->m != bt->n)
		s->inorder = 0;
	s->next = bt->before + bt->m + 1;
	if (stat(s->path, &sb) == -1 || sb.st_size < bt->from +
	    (off_t)bt->b.len)
		s->ondisk = 0;
	/* Another open file description cannot take the lock now. */
	fd = open(s->path, O_RDONLY);
	if (fd == -1 || flock(fd, LOCK_SH | LOCK_NB) == 0)
		s->locked = 0;
	if (fd >= 0)
		close(fd);
	return s->stopat > 0 && s->batches == s->stopat ? -1 : 0;
}

static void
fail(void *arg, enum log_result how, int err, const char *msg)
{
	struct seen *s = arg;

	s->failed = 1;
	fprintf(stderr, "commit_test: fail hook: %d %s %s\n", how,
	    strerror(err), msg != NULL ? msg : "");
	exit(1);
}

/* Runs the pipeline over NBATCH batches of PER events; returns how many
 * were handed over before submit said stop. */
static int
run(const char *path, struct seen *s, int sync)
{
	struct log *lg;
	struct batch *bt;
	char err[256];
	int b, i, n = 0;

	lg = log_open(path, 1, err, sizeof(err));
	CHECKMSG(lg != NULL, "%s", err);
	if (lg == NULL)
		exit(1);
	CHECK(log_commit_start(lg, sync, durable, fail, s) == LOG_OK);
	for (b = 0; b < NBATCH; b++) {
		bt = log_commit_batch(lg);
		CHECK(bt->n == 0);
		for (i = 0; i < PER; i++)
			add(bt, b * PER + i);
		n++;
		if (log_commit_submit(lg) == -1)
			break;
	}
	log_commit_finish(lg);
	CHECK(log_refresh(lg, err, sizeof(err)) == LOG_OK);
	s->next = log_last(lg);	/* for the caller */
	log_close(lg);
	return n;
}

int
main(void)
{
	struct seen s;
	char path[128], cmd[128];
	int n;

	snprintf(dir, sizeof(dir), "/tmp/commit_test.XXXXXX");
	if (mkdtemp(dir) == NULL) {
		perror("mkdtemp");
		return 2;
	}
	scan_init(&sc);

	/* Every batch, in order, durable, under the lock. */
	snprintf(path, sizeof(path), "%s/a.log", dir);
	memset(&s, 0, sizeof(s));
	s.path = path;
	s.next = 1;
	s.inorder = s.ondisk = s.locked = 1;
	n = run(path, &s, SYNC_BATCH);
	CHECK(n == NBATCH);
	CHECK(s.batches == NBATCH);
	CHECK(s.inorder && s.ondisk && s.locked && !s.failed);
	CHECK(s.next == NBATCH * PER);

	/* Again: every event is in the log already, so nothing is
	 * appended, and each batch says so (bt->m == 0). */
	memset(&s, 0, sizeof(s));
	s.path = path;
	s.next = NBATCH * PER + 1;
	s.inorder = s.ondisk = s.locked = 1;
	(void)run(path, &s, SYNC_NONE);
	CHECK(s.next == NBATCH * PER);

	/* A hook that says stop at the fifth batch: no more are written
	 * once the pipeline knows, and what was is whole. */
	snprintf(path, sizeof(path), "%s/b.log", dir);
	memset(&s, 0, sizeof(s));
	s.path = path;
	s.next = 1;
	s.inorder = s.ondisk = s.locked = 1;
	s.stopat = 5;
	n = run(path, &s, SYNC_BATCH);
	CHECK(n < NBATCH);
	CHECK(s.batches == 5);
	CHECK(s.inorder && s.locked);
	CHECK(s.next >= 5 * PER && s.next <= (uint64_t)(5 + 3) * PER &&
	    s.next % PER == 0);

	scan_free(&sc);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		fprintf(stderr, "commit_test: %s: not removed\n", dir);
	return unit_done("commit_test");
}
