/* SPDX-License-Identifier: ISC */
/*
 * scan_int.h - internal interfaces of the JSON scanner, between scan.c
 * (the grammar, stage 2, and the reference scanner) and scan_stage1.c (the
 * classification of the bytes, stage 1).  For use inside the scanner only.
 *
 * Stage 1 reads the input 64 bytes at a time and, for each such block,
 * finds where the strings are and records the positions that the grammar
 * needs: each quote that opens or closes a string, each backslash inside
 * a string, each of {}[] outside strings, and the first byte of each run
 * of other bytes outside strings but blanks, ':' and ',' (a number, true,
 * false, null, or junk).  The grammar reads the blanks, the colons and the
 * commas itself, as the reference does, and checks that each token it
 * finds is the next position: so no byte outside strings escapes it.
 * On the way it checks what needs no grammar: no control character in a
 * string, none but tab, newline and return outside strings (so no NUL
 * anywhere), no byte of 0x80 or more outside strings, valid UTF-8 inside
 * them.  Escapes are left to stage 2, which hands a string holding one to
 * the reference scanner's string rule.
 */
#ifndef EV_SCAN_INT_H
#define EV_SCAN_INT_H

#include <stddef.h>
#include <stdint.h>

/* Longer inputs go to the reference alone, so that stage 1's bits (one
 * byte for 8 of input, kept from one input to the next) stay small. */
#define S1_MAXLEN ((size_t)16 << 20)

/*
 * Classifies buf[0..len) and writes, for block k (bytes 64k to 64k + 63),
 * the positions of stage 2 in its bits to out[k]: bit i for byte 64k + i.
 * Returns 0, or -1 when a rule is broken or a string is left open.  path is
 * an enum scan_path the CPU has.
 */
int s1_run(const char *buf, size_t len, uint64_t *out, int path);

/* Whether this CPU can run the stage 1 of path (enum scan_path). */
int s1_has(int path);

/*
 * Returns the length of the valid UTF-8 sequence at p (whose first byte is
 * at least 0x80), or 0.  Overlong forms, surrogates and code points above
 * U+10FFFF are invalid, as in jansson's utf8_check_full().
 */
static inline int
utf8len(const unsigned char *p, const unsigned char *end)
{
	unsigned char c = p[0], lo = 0x80, hi = 0xbf;
	int n, i;

	if (c < 0xc2)
		return 0;
	if (c < 0xe0)
		n = 2;
	else if (c < 0xf0) {
		n = 3;
		if (c == 0xe0)
			lo = 0xa0;
		else if (c == 0xed)
			hi = 0x9f;
	} else if (c < 0xf5) {
		n = 4;
		if (c == 0xf0)
			lo = 0x90;
		else if (c == 0xf4)
			hi = 0x8f;
	} else
		return 0;
	if (end - p < n)
		return 0;
	if (p[1] < lo || p[1] > hi)
		return 0;
	for (i = 2; i < n; i++)
		if (p[i] < 0x80 || p[i] > 0xbf)
			return 0;
	return n;
}

#endif
