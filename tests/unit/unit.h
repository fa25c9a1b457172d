/* SPDX-License-Identifier: ISC */
/*
 * unit.h - the few macros the C unit tests share.  A test program runs its
 * checks, prints each failure with its line, and exits 1 if any failed.
 */
#ifndef UNIT_H
#define UNIT_H

#include <stdio.h>
#include <stdlib.h>

static int unit_failed, unit_run;

#define CHECK(cond) do { \
	unit_run++; \
	if (!(cond)) { \
		unit_failed++; \
		fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, \
		    __LINE__, #cond); \
	} \
} while (0)

#define CHECKMSG(cond, ...) do { \
	unit_run++; \
	if (!(cond)) { \
		unit_failed++; \
		fprintf(stderr, "%s:%d: check failed: %s: ", __FILE__, \
		    __LINE__, #cond); \
		fprintf(stderr, __VA_ARGS__); \
		fputc('\n', stderr); \
	} \
} while (0)

static inline int
unit_done(const char *name)
{
	printf("%s: %d checks, %d failed\n", name, unit_run, unit_failed);
	return unit_failed ? 1 : 0;
}

#endif
