/* SPDX-License-Identifier: ISC */
/*
 * event_fuzz - libFuzzer target for the parsers above the scanner: the
 * envelope check, filters (parsed from the first line of the input and
 * evaluated against the rest), data paths, and RFC 3339 times (what parses
 * must format and parse back to the same instant).  Crashes and sanitizer
 * reports are the failures; make fuzz runs it.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ce.h"
#include "filter.h"
#include "scan.h"
#include "timefmt.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct scanner sc;
	static int ready;
	const char *nl = memchr(data, '\n', size);
	char *text, err[256], tbuf[RFC3339_LEN + 1];
	struct ce_event ev;
	struct filter f;
	int64_t us, us2;
	size_t tl;

	if (!ready) {
		scan_init(&sc);
		ready = 1;
	}
	/* The time parser, on the whole input. */
	if (rfc3339_parse((const char *)data, size, &us) == 0 &&
	    us >= -62135596800000000LL && us < 253402300800000000LL) {
		rfc3339_format(us, tbuf);
		if (rfc3339_parse(tbuf, RFC3339_LEN, &us2) != 0 || us2 != us)
			abort();
	}
	/* First line: a filter; the rest: an event to try it on. */
	tl = nl ? (size_t)(nl - (const char *)data) : size;
	text = malloc(tl + 1);
	memcpy(text, data, tl);
	text[tl] = '\0';
	if (memchr(text, '\0', tl) == NULL) {
		if (filter_parse(&f, text, err, sizeof(err)) == 0 &&
		    nl != NULL && ce_validate(&sc, nl + 1, size - tl - 1, &ev,
		    err, sizeof(err)) == 0)
			(void)filter_all(&f, 1, &sc, &ev);
		filter_free(&f);
	}
	free(text);
	(void)ce_validate(&sc, (const char *)data, size, &ev, err,
	    sizeof(err));
	return 0;
}
