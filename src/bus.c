/* SPDX-License-Identifier: ISC */
/*
 * bus.c - picks the bus a URL names (bus.h).  A second bus is one more
 * line here, and its own file.  Nothing here exits.
 */
#include <stdlib.h>
#include <string.h>

#include "bus.h"
#include "ce.h"
#include "timefmt.h"
#include "util.h"

int
bus_status(int r)
{
	switch (r) {
	case BUS_OK:
	case BUS_EPIPE:
		return EXIT_OK;
	case BUS_USAGE:
		return EXIT_USAGE;
	case BUS_INVALID:
		return EXIT_INVALID;
	case BUS_EXPECT:
		return EXIT_EXPECT;
	default:
		return EXIT_FAIL;
	}
}

int
bus_open(const char *url, const char *creds, struct bus **bp, char *err,
    size_t n)
{
	struct bus *b;
	const char *from = "--creds";
	char *home;

	if (url != NULL && bus_nats_url(url)) {
		if (creds == NULL && (creds = getenv("NATS_CREDS")) != NULL) {
			from = "NATS_CREDS";
			if (*creds == '\0')
				creds = NULL;
		}
		b = xmalloc(sizeof(*b));
		b->ops = &bus_nats_ops;
		b->impl = bus_nats_new(creds, from);
		b->where = xstrdup(url);
		*bp = b;
		return BUS_OK;
	}
	if (url != NULL && *url != '\0' && strcmp(url, "dir:") != 0) {
		seterr(err, n, "--bus: %s: no bus takes this URL "
		    "(nats://HOST:PORT for NATS JetStream, dir: or nothing for "
		    "the directory bus)", url);
		return BUS_USAGE;
	}
	/* $NATS_CREDS may be set for other tools; --creds is for us. */
	if (creds != NULL) {
		seterr(err, n, "--creds: %s: credentials are for a NATS bus "
		    "(--bus nats://HOST:PORT); the directory bus takes none",
		    creds);
		return BUS_USAGE;
	}
	if ((home = topic_home(err, n)) == NULL)
		return BUS_ERROR;
	b = xmalloc(sizeof(*b));
	b->ops = &bus_dir_ops;
	b->impl = NULL;
	b->where = xmalloc(strlen(home) + sizeof("/topics"));
	strcpy(b->where, home);
	strcat(b->where, "/topics");
	free(home);
	*bp = b;
	return BUS_OK;
}

const char *
bus_url(const char *given)
{
	const char *v;

	if (given != NULL)
		return given;
	if ((v = getenv("EVENTFUL_BUS")) != NULL && *v != '\0')
		return v;
	if ((v = getenv("NATS_URL")) != NULL && *v != '\0')
		return v;
	return NULL;
}

void
bus_close(struct bus *b)
{
	if (b == NULL)
		return;
	b->ops->close(b);
	free(b->where);
	free(b);
}

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
