/* SPDX-License-Identifier: ISC */
/*
 * Internal interfaces of evsub(1).  For use inside evsub only: evsub.c
 * (main, its options and which of them go together), evsub_sub.c
 * (reading, filtering and delivery) and evsub_admin.c (--topics,
 * --delete-topic, --reset and --delete).  They are no library: linked
 * into evsub only (libeventful.a never exits; tests/build.bats checks
 * it).  Like the library, they say a failure where they find it and
 * return the exit status it calls for: main exits with it.
 */
#ifndef EVSUB_INT_H
#define EVSUB_INT_H

#include <stdint.h>

#include "bus.h"
#include "common.h"
#include "deliver.h"
#include "filter.h"
#include "format.h"
#include "out.h"
#include "post.h"
#include "sse.h"
#include "util.h"

/* What a run of evsub selects and delivers, and how it went. */
struct sub {
	struct filter *f;	/* the filters */
	size_t nf;		/* how many */
	int invert;		/* -v */
	int fmt;		/* enum fmt */
	struct tmpl tmpl;	/* --format */
	int color;		/* --pretty on a terminal */
	long long count;	/* -c, or 0 */
	struct deliver d;	/* --exec, and --post's retries */
	struct post post;	/* --post */
	struct out mem;		/* what --exec or --post hands on */
	long long n;		/* events delivered, for -c */
	int parked;		/* one went to --dead-letter */
	uint64_t skipto;	/* a live subscriber that waited for its
				   topic: the sequences it took from the log,
				   not to be taken again from its FIFO */
	uint64_t nread;		/* events read */
	uint64_t passed;	/* of them, those the filters let through */
	int exitstatus;		/* -e: 1 when none passed */
	struct filter *asdata;	/* per filter of an extension attribute:
				   the same name as a data field, else the
				   filter has no name to look for */
	char *seen;		/* per filter: its attribute was met */
	char *indata;		/* per filter: its name was a data field */
	size_t unseen;		/* filters whose attribute is not yet met */
	int hinted;		/* the hints were given */
};

#define NOTIME INT64_MIN	/* --since or --reset gave no time */

/* The command line, as given. */
struct opts {
	struct sse serve;	/* --serve, when serve.addr is set */
	const char *output, *topic, *deltopic, *consumer, *secret, *subname;
	const char *bus;	/* --bus */
	const char *creds;	/* --creds */
	char **paths;		/* -i */
	size_t npaths;
	char **cmd;		/* --exec */
	long long idle;		/* -w, microseconds */
	long long interval;	/* --interval, microseconds */
	struct startpos from;	/* --from, --last */
	int fromset;		/* one of them was given */
	uint64_t resetseq;
	int64_t since, resettime;
	int follow, once, topics, watch, json, del, force;
};

extern struct bus *bus;		/* where topics are: main opens it */

/* evsub_sub.c: the reading, the selection and the delivery. */

/* Whether topic name exists (when not, said under why, if not NULL):
 * 1 or 0; -1 when the bus failed, said, *status its exit status. */
int exists(const char *name, const char *why, int *status);

/* Reads, selects and delivers: the inputs, a topic's log, or a topic;
 * returns the exit status. */
int run(struct common *c, struct sub *sub, struct opts *op);

/* When events were read and none passed: the hints of the filters no
 * event could meet, once. */
void hints(struct sub *sub);

/* evsub_admin.c: the topics, listed and administered. */

/* evsub --topics, once, --json or --watch: returns the exit status. */
int topics_main(struct common *c, const struct opts *op, long long count);

/* --reset, --delete and --delete-topic, which do their work and return
 * a status; -1 when none of them was asked for. */
int topic_admin(const struct opts *op);

#endif /* EVSUB_INT_H */
