/* SPDX-License-Identifier: ISC */
/*
 * fault.c - an LD_PRELOAD shim that makes one call fail, for the I/O error
 * loop of tests/evlog.bats (SQLite's habit): FAULT_CALL names write, fsync
 * or rename, FAULT_N the call that fails (counting from 1), FAULT_ERRNO
 * the error (EIO by default).  Writes to stderr are not counted and never
 * fail, so the program can still say what went wrong.  FAULT_COUNT, when
 * set, names a file that receives the number of calls made.  FAULT_SLOW,
 * when set, makes every fsync take that many microseconds more: a slow
 * disk.  FAULT_SIGNAL_SLOW, likewise, every signal(3) call: a program slow
 * to set its handlers, so that a signal sent meanwhile finds the old one.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static long calls;	/* calls of the chosen function so far */

static int
hit(const char *name)
{
	const char *call = getenv("FAULT_CALL"), *n = getenv("FAULT_N");
	const char *e = getenv("FAULT_ERRNO");

	if (call == NULL || strcmp(call, name) != 0)
		return 0;
	calls++;
	if (n == NULL || atol(n) != calls)
		return 0;
	errno = e ? atoi(e) : EIO;
	return 1;
}

ssize_t
write(int fd, const void *buf, size_t len)
{
	static ssize_t (*real)(int, const void *, size_t);

	if (real == NULL)
		real = (ssize_t (*)(int, const void *, size_t))dlsym(RTLD_NEXT,
		    "write");
	if (fd != STDERR_FILENO && hit("write"))
		return -1;
	return real(fd, buf, len);
}

int
fsync(int fd)
{
	static int (*real)(int);

	if (real == NULL)
		real = (int (*)(int))dlsym(RTLD_NEXT, "fsync");
	if (getenv("FAULT_SLOW") != NULL)
		usleep((useconds_t)atol(getenv("FAULT_SLOW")));
	if (hit("fsync"))
		return -1;
	return real(fd);
}

int
rename(const char *from, const char *to)
{
	static int (*real)(const char *, const char *);

	if (real == NULL)
		real = (int (*)(const char *, const char *))dlsym(RTLD_NEXT,
		    "rename");
	if (hit("rename"))
		return -1;
	return real(from, to);
}

sighandler_t
signal(int sig, sighandler_t h)
{
	static sighandler_t (*real)(int, sighandler_t);

	if (real == NULL)
		real = (sighandler_t (*)(int, sighandler_t))dlsym(RTLD_NEXT,
		    "signal");
	if (getenv("FAULT_SIGNAL_SLOW") != NULL)
		usleep((useconds_t)atol(getenv("FAULT_SIGNAL_SLOW")));
	return real(sig, h);
}

__attribute__((destructor)) static void
report(void)
{
	const char *f = getenv("FAULT_COUNT");
	FILE *fp;

	if (f != NULL && (fp = fopen(f, "w")) != NULL) {
		fprintf(fp, "%ld\n", calls);
		fclose(fp);
	}
}
