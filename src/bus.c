/* SPDX-License-Identifier: ISC */
/*
 * bus.c - picks the bus a URL names (bus.h).  A second bus is one more
 * line here, and its own file.  Above the buses: nothing below calls in
 * here (what they share is in bus_find.c).  Nothing here exits.
 */
#include <stdlib.h>
#include <string.h>

#include "bus.h"
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
	char *where;

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
	if ((where = bus_dir_where(err, n)) == NULL)
		return BUS_ERROR;
	b = xmalloc(sizeof(*b));
	b->ops = &bus_dir_ops;
	b->impl = NULL;
	b->where = where;
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
