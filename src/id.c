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

static unsigned char pool[65536];	/* random bytes not yet used */
static size_t poolpos = sizeof(pool);	/* next unused byte in pool */
static uint64_t last;			/* last 60-bit time field issued */

/*
 * Fills the pool from getrandom(2): 64 KiB, the random bits of 8192 ids,
 * so that a million events make 123 system calls and not 1954.
 */
static void
refill(void)
{
	ssize_t n;
	size_t got;

	for (got = 0; got < sizeof(pool); got += (size_t)n) {
		n = getrandom(pool + got, sizeof(pool) - got, 0);
		if (n < 0) {
			if (errno != EINTR)
				machinefail(NULL, 1, "getrandom");
			n = 0;
		}
	}
	poolpos = 0;
}

/*
 * Takes 8 random bytes from the pool, and wipes them there: a used id's
 * random bits do not stay in memory.
 */
static inline uint64_t
random64(void)
{
	uint64_t v;

	if (poolpos + 8 > sizeof(pool))
		refill();
	memcpy(&v, pool + poolpos, 8);
	memset(pool + poolpos, 0, 8);
	poolpos += 8;
	return v;
}

/* The two hex digits of each byte value. */
static const char hex2[513] =
	"000102030405060708090a0b0c0d0e0f"
	"101112131415161718191a1b1c1d1e1f"
	"202122232425262728292a2b2c2d2e2f"
	"303132333435363738393a3b3c3d3e3f"
	"404142434445464748494a4b4c4d4e4f"
	"505152535455565758595a5b5c5d5e5f"
	"606162636465666768696a6b6c6d6e6f"
	"707172737475767778797a7b7c7d7e7f"
	"808182838485868788898a8b8c8d8e8f"
	"909192939495969798999a9b9c9d9e9f"
	"a0a1a2a3a4a5a6a7a8a9aaabacadaeaf"
	"b0b1b2b3b4b5b6b7b8b9babbbcbdbebf"
	"c0c1c2c3c4c5c6c7c8c9cacbcccdcecf"
	"d0d1d2d3d4d5d6d7d8d9dadbdcdddedf"
	"e0e1e2e3e4e5e6e7e8e9eaebecedeeef"
	"f0f1f2f3f4f5f6f7f8f9fafbfcfdfeff";

/* Writes the n low bytes of v as 2n hex digits at p, the high byte first. */
static inline void
puthex(char *p, uint64_t v, int n)
{
	int i;

	for (i = n - 1; i >= 0; i--, v >>= 8)
		memcpy(p + 2 * i, hex2 + 2 * (v & 0xff), 2);
}

void
uuidv7(int64_t usec, char buf[UUID_LEN + 1])
{
	uint64_t ms, sub, t, hi, lo;

	if (usec < 0)
		usec = 0;
	ms = (uint64_t)usec / 1000;
	sub = ((uint64_t)usec % 1000) * 4096 / 1000;
	t = ms << 12 | sub;
	/* Keep ids in order when the clock stands still or steps back. */
	if (t <= last)
		t = last + 1;
	last = t;
	/* The millisecond, version 7 and the 12 bits after the millisecond;
	 * the variant (binary 10) and 62 random bits. */
	hi = (t >> 12) << 16 | 0x7000 | (t & 0xfff);
	lo = 0x8000000000000000ULL | (random64() >> 2);
	puthex(buf, hi >> 32, 4);
	buf[8] = '-';
	puthex(buf + 9, hi >> 16, 2);
	buf[13] = '-';
	puthex(buf + 14, hi, 2);
	buf[18] = '-';
	puthex(buf + 19, lo >> 48, 2);
	buf[23] = '-';
	puthex(buf + 24, lo, 6);
	buf[36] = '\0';
}
