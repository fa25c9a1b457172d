/* SPDX-License-Identifier: ISC */
/*
 * evsub's topic administration and listing: --topics (once, --json or
 * --watch), and replay, rewind and deletion with no file edited by hand:
 * --reset and --delete of a consumer, --delete-topic.  Each does its work,
 * says what it did, and returns the exit status.
 */
#include <stdio.h>
#include <unistd.h>

#include "bus.h"
#include "cli.h"
#include "topiclist.h"
#include "watch.h"
#include "evsub_int.h"

/*
 * Where a reading of topic name starts, into *at: seq when it is not 0,
 * else the first event whose time is since or later (the end when none
 * is).  Returns BUS_OK, or the bus's failure, said in err.
 */
static int
startat(const char *name, uint64_t seq, int64_t since, uint64_t *at,
    char *err, size_t n)
{
	int r;

	if (seq == 0 && (r = bus_seek_time(bus, name, since, &seq, err,
	    n)) != BUS_OK)
		return r;
	*at = seq;
	return BUS_OK;
}

/*
 * evsub -T NAME --consumer C --reset SEQ|TIME: moves C's position so
 * that its next run starts at SEQ (or at TIME), says from where to
 * where, and exits; a consumer not seen before starts there.
 */
static int
reset_consumer(const char *name, const char *consumer, uint64_t seq,
    int64_t since)
{
	char err[BUS_ERRMAX];
	uint64_t was = 0, to;
	int known = 0, st = EXIT_OK, r;

	if ((r = exists(name, "-T", &st)) != 1)
		return r == 0 ? EXIT_NOTOPIC : st;
	if ((r = startat(name, seq, since, &to, err, sizeof(err))) != BUS_OK)
		return busstatus(r, err);
	switch ((r = bus_consumer_set(bus, name, consumer, to, &was, &known,
	    err, sizeof(err)))) {
	case BUS_OK:
		break;
	case BUS_ERROR:
	case BUS_USAGE:
		return busstatus(r, err);
	case BUS_NOTOPIC:
		return EXIT_NOTOPIC;
	case BUS_BUSY:
		warnw(consumer, "a run of this consumer of topic %s is going "
		    "on: stop it, then --reset", name);
		return EXIT_BUSY;
	case BUS_PAST:
		warnw("--reset", "%s", err);
		return EXIT_USAGE;
	default:
		warnw(consumer, "%s", err);
		return EXIT_FAIL;
	}
	warnw(consumer, "position %s%llu -> %llu on topic %s: its next run "
	    "starts at sequence %llu", known ? "" : "(new) ",
	    (unsigned long long)was, (unsigned long long)to - 1, name,
	    (unsigned long long)to);
	return EXIT_OK;
}

/* evsub -T NAME --consumer C --delete: C's position and lock go. */
static int
delete_consumer(const char *name, const char *consumer)
{
	char err[BUS_ERRMAX];
	uint64_t was = 0;
	int r;

	switch ((r = bus_consumer_delete(bus, name, consumer, &was, err,
	    sizeof(err)))) {
	case BUS_OK:
		break;
	case BUS_ERROR:
		return busstatus(r, err);
	case BUS_NOTOPIC:
		return EXIT_NOTOPIC;
	case BUS_NOCONSUMER:
		warnw(consumer, "no such consumer of topic %s (evsub --topics "
		    "lists them)", name);
		return EXIT_FAIL;
	case BUS_BUSY:
		warnw(consumer, "a run of this consumer of topic %s is going "
		    "on: stop it, then --delete", name);
		return EXIT_BUSY;
	default:
		warnw(consumer, "%s", err);
		return EXIT_FAIL;
	}
	warnw(consumer, "deleted, at position %llu of topic %s: a run of that "
	    "name starts again from the start", (unsigned long long)was, name);
	return EXIT_OK;
}

/* evsub --delete-topic NAME [--force]. */
static int
delete_topic(const char *name, int force)
{
	char err[BUS_ERRMAX];
	int r;

	switch ((r = bus_remove(bus, name, force, err, sizeof(err)))) {
	case BUS_OK:
		break;
	case BUS_ERROR:
		return busstatus(r, err);
	case BUS_NOTOPIC:
		return EXIT_NOTOPIC;
	case BUS_BUSY:
		warnw(name, "in use: %s", err);
		return EXIT_BUSY;
	default:
		warnw(name, "%s", err);
		return EXIT_FAIL;
	}
	warnw(name, "topic deleted, its log and consumers with it");
	return EXIT_OK;
}

/* evsub --topics, once, --json or --watch. */
int
topics_main(struct common *c, const struct opts *op, long long count)
{
	struct topic_stat *v;
	char err[BUS_ERRMAX];
	size_t n;
	int r;

	if (op->watch) {
		if (watch_topics(bus, op->interval > 0 ? op->interval :
		    1000000, count, common_color(c, STDOUT_FILENO), err,
		    sizeof(err)) == WATCH_OK)
			return EXIT_OK;
		warnw(NULL, "%s", err);
		return EXIT_FAIL;
	}
	if ((r = bus_any(bus, err, sizeof(err))) == BUS_OK)
		r = bus_survey(bus, &v, &n, err, sizeof(err));
	if (r != BUS_OK && r != BUS_NOTOPIC)
		return busstatus(r, err);
	if (r == BUS_OK) {
		if (op->json)
			topic_list_json(stdout, v, n);
		else
			topic_list(stdout, v, n);
		topic_survey_free(v, n);
	}
	stdout_done();
	return EXIT_OK;
}

/* --reset, --delete and --delete-topic, which do their work and return
 * a status; -1 when none of them was asked for. */
int
topic_admin(const struct opts *op)
{
	if (op->deltopic != NULL)
		return delete_topic(op->deltopic, op->force);
	if (op->del)
		return delete_consumer(op->topic, op->consumer);
	if (op->resetseq > 0 || op->resettime != NOTIME)
		return reset_consumer(op->topic, op->consumer, op->resetseq,
		    op->resettime);
	return -1;
}
