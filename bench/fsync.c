/* SPDX-License-Identifier: ISC */
/*
 * fsync - the raw rate of fsync(2) on a disk: appends N lines of about the
 * size of a bench event to FILE, each followed by fsync, as
 * "evlog append --sync event" does.  Prints nothing; bench/evlog times it.
 * Usage: fsync FILE N
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int
main(int argc, char *argv[])
{
	char line[462];
	long i, n;
	int fd;

	if (argc != 3 || (n = atol(argv[2])) <= 0) {
		fprintf(stderr, "usage: fsync file n\n");
		return 2;
	}
	memset(line, 'x', sizeof(line) - 1);
	line[sizeof(line) - 1] = '\n';
	fd = open(argv[1], O_WRONLY | O_CREAT | O_APPEND | O_TRUNC, 0600);
	if (fd == -1) {
		perror(argv[1]);
		return 1;
	}
	for (i = 0; i < n; i++)
		if (write(fd, line, sizeof(line)) != (ssize_t)sizeof(line) ||
		    fsync(fd) == -1) {
			perror(argv[1]);
			return 1;
		}
	return close(fd) == 0 ? 0 : 1;
}
