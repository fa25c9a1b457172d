/* SPDX-License-Identifier: ISC */
/*
 * groups - the floor of group commit on a disk: copies stdin to FILE in
 * writes of 128 KiB while a second thread makes durable what is written,
 * one fsync for each 8 MiB group or for all that came while it waited, as
 * "evlog append --sync batch" does (src/commit.c), and once at the end.
 * It checks, stamps and indexes nothing: the time of the bytes alone, made
 * durable in groups.  Prints nothing; bench/evlog times it.
 * Usage: groups FILE
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define CHUNK (128 * 1024)	/* src/store.c WCHUNK */
#define GROUP (8 << 20)		/* src/evlog.c BATCH_BYTES */

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
static long long written, synced;
static int done, fd, failed;

static void *
syncer(void *arg)
{
	long long w;

	(void)arg;
	pthread_mutex_lock(&mu);
	for (;;) {
		while (written == synced && !done)
			pthread_cond_wait(&cv, &mu);
		if (written == synced)
			break;
		w = written;
		pthread_mutex_unlock(&mu);
		if (fsync(fd) == -1)
			failed = errno;
		pthread_mutex_lock(&mu);
		synced = w;
	}
	pthread_mutex_unlock(&mu);
	return NULL;
}

static void
handover(long long n, int end)
{
	pthread_mutex_lock(&mu);
	written += n;
	done = end;
	pthread_cond_signal(&cv);
	pthread_mutex_unlock(&mu);
}

int
main(int argc, char *argv[])
{
	static char buf[CHUNK];
	long long group = 0;
	pthread_t t;
	ssize_t n, w, k;

	if (argc != 2) {
		fprintf(stderr, "usage: groups file\n");
		return 2;
	}
	fd = open(argv[1], O_WRONLY | O_CREAT | O_APPEND | O_TRUNC, 0600);
	if (fd == -1) {
		perror(argv[1]);
		return 1;
	}
	if ((errno = pthread_create(&t, NULL, syncer, NULL)) != 0) {
		perror("pthread_create");
		return 1;
	}
	while ((n = read(STDIN_FILENO, buf, sizeof(buf))) > 0) {
		/* A short write goes on where it stopped, as writeall does. */
		for (w = 0; w < n; w += k)
			if ((k = write(fd, buf + w, (size_t)(n - w))) == -1) {
				perror(argv[1]);
				return 1;
			}
		if ((group += n) >= GROUP) {
			handover(group, 0);
			group = 0;
		}
	}
	if (n == -1) {
		perror("stdin");
		return 1;
	}
	handover(group, 1);
	pthread_join(t, NULL);
	if (failed != 0) {
		fprintf(stderr, "%s: fsync: %s\n", argv[1], strerror(failed));
		return 1;
	}
	return close(fd) == 0 ? 0 : 1;
}
