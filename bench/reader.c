/* SPDX-License-Identifier: ISC */
/*
 * reader - the floor of "evlog append" on two cores: the work of its
 * reading thread alone, on one thread, as src/evlog.c's readbatch does it:
 * each line of stdin read (rd_line), checked (ce_validate), stamped and
 * decoded into a batch (batch_add), in batches of 8 MiB or 65536 events,
 * optionally hashed for the index (-h) as that thread does when the
 * writing thread is busy.  Nothing is written or indexed.  That thread
 * checks every event in order, so no append runs faster than this program
 * on the same input, however the other threads do.  Prints nothing but a
 * count; bench/evlog times it.
 * Usage: reader [-h] < FILE
 */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "log_int.h"
#include "rd.h"

#define BATCH_EVENTS 65536	/* src/evlog.c */
#define BATCH_BYTES (8 << 20)

int
main(int argc, char *argv[])
{
	struct reader r;
	struct line l;
	struct scanner sc;
	struct ce_event ev;
	struct batch bt;
	enum rd_status rs;
	unsigned long long good = 0, bad = 0;
	char why[256];

	memset(&bt, 0, sizeof(bt));
	if (argc == 2 && strcmp(argv[1], "-h") == 0)
		bt.keyed = 1;	/* any keys do: the cost is the same */
	else if (argc != 1) {
		fprintf(stderr, "usage: reader [-h] < file\n");
		return 2;
	}
	rd_init(&r, STDIN_FILENO, "stdin", 1 << 20);
	scan_init(&sc);
	while ((rs = rd_line(&r, &l)) != RD_EOF) {
		if (rs == RD_ERROR) {
			perror("stdin");
			return 1;
		}
		if (rs != RD_LINE || ce_validate(&sc, l.p, l.len, &ev, why,
		    sizeof(why)) == -1) {
			bad++;
			continue;
		}
		batch_add(&bt, &sc, &ev, l.lineno);
		good++;
		if (bt.n == BATCH_EVENTS || bt.b.len >= BATCH_BYTES)
			batch_clear(&bt);
	}
	printf("%llu events, %llu refused\n", good, bad);
	batch_free(&bt);
	scan_free(&sc);
	rd_free(&r);
	return 0;
}
