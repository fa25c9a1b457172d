/* SPDX-License-Identifier: ISC */
/*
 * topiclist.h - what every bus says of its topics alike: which names are
 * topic names, the state of every topic at one moment (struct
 * topic_stat, filled by a bus's survey), --topics's listing of it as
 * text and as JSON, and "no such topic ... did you mean".  Nothing here
 * knows a bus: the directory bus (topic.c) and NATS (bus_nats.c) both
 * stand on it, and bus.h's survey hands its struct on.
 */
#ifndef EV_TOPICLIST_H
#define EV_TOPICLIST_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* The longest topic or consumer name, the same on every bus: a NATS
 * stream name is "EV_" and the topic with each '_' and '.' written twice
 * (bus_nats_name.c), and the server takes 255 bytes at most. */
#define TOPIC_NAMEMAX 126

/* Tells whether name is a topic (or consumer) name: [A-Za-z0-9._-]+, not
 * starting with "." nor ending in ".tmp" or ".lock" (the names of the
 * directory bus's own files), at most TOPIC_NAMEMAX bytes. */
int topic_name_ok(const char *name);

/*
 * Says on stderr, under why, that topic name is not in where (a
 * directory, a bus's URL), which holds the topics v[0..n): the closest
 * first when one is close, else all; with none, that a publisher makes
 * one, then hint.  For every bus, so that all say it alike.
 */
void topic_missing(const char *why, const char *name, const char *where,
    char *const *v, size_t n, const char *hint);

/*
 * What --topics shows: every topic, as it is at one moment.  The caller
 * owns what a bus's survey returns and frees it with topic_survey_free.
 */
struct topic_live {		/* a live subscriber: a FIFO with a reader */
	long pid;		/* its process, or 0 when the file name has none */
	char *name;		/* its --name (a foreign FIFO's file name), or NULL */
};

struct topic_pos {		/* a durable consumer */
	char *name;
	uint64_t pos;		/* its committed position */
	char *err;		/* why its position is unreadable, or NULL */
	char *where;		/* what a message about it names, or NULL */
};

struct topic_stat {
	char *name;		/* the topic */
	uint64_t last;		/* its last sequence: how many events */
	struct topic_live *live;	/* sorted by pid */
	size_t nlive;
	struct topic_pos *cons;	/* sorted by name */
	size_t ncons;
};

/* Frees what s holds (not s); frees v[0..n) and all it holds. */
void topic_stat_free(struct topic_stat *s);
void topic_survey_free(struct topic_stat *v, size_t n);

/* The events of s a consumer at pos has yet to take. */
static inline uint64_t
topic_lag(const struct topic_stat *s, uint64_t pos)
{
	return s->last > pos ? s->last - pos : 0;
}

/*
 * Prints s as --topics does, each line after prefix: the topic's line
 * (with "rate RATE" after its events when rate is not NULL), a line per
 * live subscriber, a line per consumer.  Tab-separated fields.
 */
void topic_print(FILE *f, const char *prefix, const struct topic_stat *s,
    const char *rate);

/* Lists the topics v[0..n) (a survey), their events, live subscribers,
 * and consumers; an unreadable position is reported on stderr and shown
 * as "?". */
int topic_list(FILE *f, const struct topic_stat *v, size_t n);

/* Lists every topic as --topics --json does: one JSON object a line,
 * {"topic","last","subscribers":[{"pid","name"}],"consumers":[{"name",
 * "position","lag"}]}; an unreadable position is null, with "error". */
void topic_list_json(FILE *f, const struct topic_stat *v, size_t n);

#endif
