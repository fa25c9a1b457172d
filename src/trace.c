/* SPDX-License-Identifier: ISC */
/*
 * trace.c - the checks of W3C Trace Context values; see trace.h.
 */
#include <string.h>

#include "trace.h"

/* Whether s[0..n) is lower-case hex, and (with nonzero) not all zeros. */
static int
hex(const char *s, size_t n, int nonzero)
{
	size_t i;
	int any = 0;

	for (i = 0; i < n; i++) {
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' &&
		    s[i] <= 'f')))
			return 0;
		any |= s[i] != '0';
	}
	return !nonzero || any;
}

int
trace_parent_ok(const char *s, size_t len)
{
	if (len < 55 || !hex(s, 2, 0) || memcmp(s, "ff", 2) == 0 ||
	    s[2] != '-' || !hex(s + 3, 32, 1) || s[35] != '-' ||
	    !hex(s + 36, 16, 1) || s[52] != '-' || !hex(s + 53, 2, 0))
		return 0;
	/* Version 00 is exactly this long; a later one may say more. */
	if (memcmp(s, "00", 2) == 0)
		return len == 55;
	return len == 55 || s[55] == '-';
}

int
trace_state_ok(const char *s, size_t len)
{
	size_t i;

	if (len == 0 || len > TRACE_STATEMAX)
		return 0;
	for (i = 0; i < len; i++)
		if (s[i] < 0x20 || s[i] > 0x7e)
			return 0;
	return 1;
}
