/* SPDX-License-Identifier: ISC */
/*
 * esc_test - msgesc and shown, which every message goes through: control
 * characters, DEL, C1 controls and invalid UTF-8 as \xNN, valid UTF-8
 * kept, long values cut at a character's start, and the output bounded;
 * and natcmp, the order names are listed in (s2 before s10).
 * Usage: esc_test [DATA] (no data is needed here).
 */
#include <string.h>

#include "unit.h"
#include "util.h"

/* Tells whether src[0..len) is shown as want. */
static int
esc(const char *src, size_t len, size_t max, const char *want)
{
	char out[256];

	msgesc(out, sizeof(out), src, len, max);
	if (strcmp(out, want) != 0)
		fprintf(stderr, "got \"%s\", want \"%s\"\n", out, want);
	return strcmp(out, want) == 0;
}

#define E(s, want) esc(s, sizeof(s) - 1, 200, want)

int
main(void)
{
	char small[8], big[400];
	size_t n;

	CHECK(E("plain, \"quoted\" \\ kept", "plain, \"quoted\" \\ kept"));
	CHECK(E("a\033[2J\nb\r\t", "a\\x1b[2J\\x0ab\\x0d\\x09"));
	CHECK(E("nul\0x\177", "nul\\x00x\\x7f"));
	/* UTF-8: kept when valid, byte by byte when not. */
	CHECK(E("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80",
	    "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80"));
	CHECK(E("\xc2\x9b" "2J", "\\xc2\\x9b2J"));	/* C1: CSI */
	CHECK(E("\xc0\xaf", "\\xc0\\xaf"));	/* overlong */
	CHECK(E("\xe0\x80\xaf", "\\xe0\\x80\\xaf"));	/* overlong */
	CHECK(E("\xed\xa0\x80", "\\xed\\xa0\\x80"));	/* surrogate */
	CHECK(E("\xf4\x90\x80\x80", "\\xf4\\x90\\x80\\x80")); /* > U+10FFFF */
	CHECK(E("\xff\xfe", "\\xff\\xfe"));
	CHECK(E("\xc3", "\\xc3"));	/* cut short */
	/* Cut after max bytes of the value, at a character's start. */
	CHECK(esc("abcdef", 6, 3, "abc..."));
	CHECK(esc("ab\xc3\xa9" "cd", 6, 3, "ab\xc3\xa9..."));
	CHECK(esc("abc", 3, 3, "abc"));
	/* The output is bounded and ends in a NUL, whatever the input. */
	n = msgesc(small, sizeof(small), "\033\033\033\033", 4, 200);
	CHECK(n == 4 && strcmp(small, "\\x1b") == 0);
	memset(big, '\033', sizeof(big));
	CHECK(strlen(shown(big, sizeof(big))) == 200 * 4 + 3);
	CHECK(strncmp(shown("x\ny", 3), "x\\x0ay", 7) == 0);
	/* natcmp: numbers by value, the rest by bytes, a total order. */
	{
		static const char *v[] = { "", "a", "a0", "a00", "a01", "a1",
		    "a2", "a10", "a10b", "a10c", "b", "s9", "s10", "s99x",
		    "s100", "x9y", "x10a", "z" };
		size_t i, j, nv = sizeof(v) / sizeof(v[0]);

		CHECK(natcmp("s2", "s10") < 0 && natcmp("s10", "s2") > 0);
		CHECK(natcmp("room", "room") == 0);
		CHECK(natcmp("s02", "s2") != 0 && natcmp("s02", "s10") < 0);
		for (i = 0; i < nv; i++)
			for (j = 0; j < nv; j++)
				CHECKMSG((natcmp(v[i], v[j]) > 0) - (natcmp(v[i],
				    v[j]) < 0) == (i > j) - (i < j), "%s %s",
				    v[i], v[j]);
	}
	return unit_done("esc_test");
}
