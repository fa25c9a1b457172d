/* SPDX-License-Identifier: ISC */
/*
 * id.c - UUIDv7: 48 bits of Unix milliseconds, version 7, 12 bits of
 * sub-millisecond time, the variant, 62 random bits.
 */
#include <sys/random.h>

#include <errno.h>
#include <string.h>

#include "id.h"
#include "util.h"

static unsigned char pool[4096];	/* random bytes not yet used */
static size_t poolpos = sizeof(pool);	/* next unused byte in pool */
static uint64_t last;			/* last 60-bit time field issued */

/*
 * Takes 8 random bytes.  They are drawn from getrandom(2) a page at a time:
 * a system call per id would cost more than the rest of the event.
 */
static uint64_t
random64(void)
{
	uint64_t v;
	ssize_t n;
	size_t got;

	if (poolpos + 8 > sizeof(pool)) {
		for (got = 0; got < sizeof(pool); got += (size_t)n) {
			n = getrandom(pool + got, sizeof(pool) - got, 0);
			if (n < 0) {
				if (errno == EINTR) {
					n = 0;
					continue;
				}
				machinefail(NULL, 1, "getrandom");
			}
		}
		poolpos = 0;
	}
	memcpy(&v, pool + poolpos, 8);
	memset(pool + poolpos, 0, 8);
	poolpos += 8;
	return v;
}

void
uuidv7(int64_t usec, char buf[UUID_LEN + 1])
{
	static const char hex[] = "0123456789abcdef";
	unsigned char b[16];
	uint64_t ms, sub, t, r;
	int i, j;

	if (usec < 0)
		usec = 0;
	ms = (uint64_t)usec / 1000;
	sub = ((uint64_t)usec % 1000) * 4096 / 1000;
	t = ms << 12 | sub;
	/* Keep ids in order when the clock stands still or steps back. */
	if (t <= last)
		t = last + 1;
	last = t;
	ms = t >> 12;
	sub = t & 0xfff;
	r = random64();
	for (i = 0; i < 6; i++)
		b[i] = (unsigned char)(ms >> (40 - 8 * i));
	b[6] = (unsigned char)(0x70 | sub >> 8);
	b[7] = (unsigned char)sub;
	b[8] = (unsigned char)(0x80 | (r >> 56 & 0x3f));
	for (i = 9; i < 16; i++)
		b[i] = (unsigned char)(r >> (8 * (15 - i)));
	for (i = 0, j = 0; i < 16; i++) {
		if (i == 4 || i == 6 || i == 8 || i == 10)
			buf[j++] = '-';
		buf[j++] = hex[b[i] >> 4];
		buf[j++] = hex[b[i] & 15];
	}
	buf[j] = '\0';
}
