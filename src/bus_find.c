/* SPDX-License-Identifier: ISC */
/*
 * bus_find.c - what is found through the operations of any bus (bus.h):
 * the first event of a topic at a time (--since), and a topic name a
 * slip away from one that is not there.  Below the buses, which use it,
 * and above nothing but struct bus_ops: no bus's own code.  Nothing here
 * exits.
 */
#include <stdlib.h>
#include <string.h>

#include "bus.h"
#include "ce.h"
#include "timefmt.h"
#include "util.h"

int
bus_seek_time(struct bus *b, const char *topic, int64_t usec, uint64_t *at,
    char *err, size_t n)
{
	struct bus_from f = { NULL, 1, BUS_NOTIME };
	struct bus_reader *r;
	struct scanner sc;
	struct ce_event ev;
	const char *line;
	char why[BUS_ERRMAX];
	uint64_t seq, seen = 0, found = 0, last;
	int64_t t, stalled;
	size_t len;
	int got = BUS_END;

	if ((got = bus_last(b, topic, &last, err, n)) != BUS_OK)
		return got;
	*at = last + 1;
	if ((got = bus_read_open(b, topic, &f, &r, err, n)) != BUS_OK)
		return got == BUS_ERROR || got == BUS_USAGE ? got : BUS_OK;
	scan_init(&sc);
	/* Up to the end there was when the search began: a reading that
	 * says "the end" before it (a loaded server slow to hand events
	 * over) is waited on, for as long as events still come. */
	stalled = now_usec();
	while (found == 0) {
		got = bus_read_next(r, &line, &len, &seq, why, sizeof(why));
		if (got == BUS_END && seen < last &&
		    now_usec() - stalled < 30000000) {
			if ((got = bus_read_wait(r, 100000, why,
			    sizeof(why))) != BUS_OK)
				break;
			continue;
		}
		if (got != BUS_OK)
			break;
		seen = seq;
		stalled = now_usec();
		if (ce_validate(&sc, line, len, &ev, why, sizeof(why)) == 0 &&
		    (t = ce_time(&ev)) != CE_NOTIME && t >= usec)
			found = seq;
	}
	scan_free(&sc);
	bus_read_close(r);
	if (got == BUS_FAIL || got == BUS_ERROR) {
		seterrw(err, n, 0, got == BUS_FAIL ? topic : NULL, "%s", why);
		return BUS_ERROR;
	}
	/* None: after the last one read, not the last there is now, which
	 * may be one published since, and wanted. */
	*at = found != 0 ? found : seen + 1;
	return BUS_OK;
}

int
bus_near(struct bus *b, const char *topic, char **near, char *err, size_t n)
{
	struct topic_stat *v;
	char *best = NULL;
	size_t nv, i, d, bestd = 3;
	int r;

	*near = NULL;
	if ((r = bus_exists(b, topic, NULL, err, n)) != BUS_NOTOPIC)
		return r;
	if ((r = bus_survey(b, &v, &nv, err, n)) != BUS_OK)
		return r;
	for (i = 0; i < nv; i++)
		if ((d = editdist(topic, v[i].name)) < bestd) {
			bestd = d;
			best = v[i].name;
		}
	*near = best != NULL ? xstrdup(best) : NULL;
	topic_survey_free(v, nv);
	return BUS_OK;
}

int
bus_warn_near(struct bus *b, const char *topic, char *err, size_t n)
{
	char *near;
	int r;

	if ((r = bus_near(b, topic, &near, err, n)) != BUS_OK || near == NULL)
		return r;
	warnw("-T", "%s: a new topic, a slip away from %s: making it (did you "
	    "mean -T %s?)", topic, near, near);
	free(near);
	return BUS_OK;
}
