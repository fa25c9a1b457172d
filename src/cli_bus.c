/* SPDX-License-Identifier: ISC */
/*
 * cli_bus.c - the programs' side of a bus's failures (cli.h): linked into
 * the programs that take -T (evpub, evsub, evlog), not into evproject,
 * which has no bus to link.
 */
#include <stdlib.h>

#include "bus.h"
#include "cli.h"
#include "util.h"

int
busstatus(int r, const char *err)
{
	if (r == BUS_EPIPE)
		return EXIT_OK;
	warnw(NULL, "%s", err);
	return bus_status(r);
}

void
busfail(int r, const char *err)
{
	exit(busstatus(r, err));
}

struct bus *
cli_bus_open(const char *given, const char *creds)
{
	struct bus *b;
	char err[BUS_ERRMAX];
	int r;

	if ((r = bus_open(bus_url(given), creds, &b, err, sizeof(err))) !=
	    BUS_OK)
		busfail(r, err);
	return b;
}

void
pubsink(void *arg, const char *buf, size_t len)
{
	char err[BUS_ERRMAX];
	int r;

	if ((r = bus_pub_sink(arg, buf, len, err, sizeof(err))) != BUS_OK)
		busfail(r, err);
}
