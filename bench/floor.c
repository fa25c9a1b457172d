/* SPDX-License-Identifier: ISC */
/*
 * floor - the least that evpub -l and evsub's type filter can cost on
 * this machine: the work no implementation of them avoids, with none of
 * their checks.
 *
 *   floor pub          reads lines from stdin and writes each inside an
 *                      envelope as long as evpub's (a fixed id and time):
 *                      what evpub -l does but validate the line, make
 *                      an id and read the clock;
 *   floor sub NEEDLE   reads lines from stdin and writes those that hold
 *                      NEEDLE: grep -F's work, on one core, as evsub has.
 *
 * Both read and write in 128 KiB pieces, as evpub and evsub do.  bench/run
 * times them beside the targets of issue 32: the ratio a floor reaches is
 * the most a program doing that work and more could reach here.
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define PIECE (128 * 1024)

static char in[2 * PIECE], out[2 * PIECE];
static size_t outlen;

static void
flush(void)
{
	size_t off = 0;
	ssize_t w;

	while (off < outlen) {
		if ((w = write(STDOUT_FILENO, out + off, outlen - off)) <= 0) {
			perror("floor: write");
			exit(1);
		}
		off += (size_t)w;
	}
	outlen = 0;
}

static void
put(const char *p, size_t n)
{
	if (outlen + n > sizeof(out))
		flush();
	memcpy(out + outlen, p, n);
	outlen += n;
}

int
main(int argc, char *argv[])
{
	static const char head[] = "{\"specversion\":\"1.0\",\"id\":"
	    "\"019b0000-0000-7000-8000-000000000000\",\"source\":"
	    "\"evpub://bench/1\",\"type\":\"order.placed\",\"subject\":"
	    "\"order/1\",\"time\":\"2026-12-06T00:00:00.000000Z\","
	    "\"datacontenttype\":\"application/json\",\"data\":";
	const char *needle = argc > 2 ? argv[2] : NULL;
	size_t have = 0, nlen = needle != NULL ? strlen(needle) : 0;
	char *p, *nl, *end;
	ssize_t r;
	int pub;

	if (argc < 2 || ((pub = strcmp(argv[1], "pub") == 0) ? argc != 2 :
	    strcmp(argv[1], "sub") != 0 || argc != 3)) {
		fprintf(stderr, "usage: floor pub | floor sub NEEDLE\n");
		return 2;
	}
	while ((r = read(STDIN_FILENO, in + have, sizeof(in) - have)) > 0) {
		end = in + have + r;
		for (p = in; (nl = memchr(p, '\n', (size_t)(end - p))) != NULL;
		    p = nl + 1) {
			if (pub) {
				put(head, sizeof(head) - 1);
				put(p, (size_t)(nl - p));
				put("}\n", 2);
			} else if (memmem(p, (size_t)(nl - p), needle, nlen))
				put(p, (size_t)(nl + 1 - p));
			if (outlen >= PIECE)
				flush();
		}
		have = (size_t)(end - p);
		memmove(in, p, have);
	}
	flush();
	return r < 0 ? 1 : 0;
}
