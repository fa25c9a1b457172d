/* SPDX-License-Identifier: ISC */
/*
 * bus_nats_int.h - internal interfaces of the NATS JetStream bus: for use
 * inside it only (bus.h is its contract, bus_nats_ops its whole face).
 * In layers, each file using only those below it:
 *
 *   bus_nats.c        the operations' table; the bus made and closed
 *   bus_nats_pub.c    publishing: the window of asynchronous publishes,
 *                     their acks and retries, --expect
 *   bus_nats_read.c   readings (ordered and durable pull consumers),
 *                     commits, consumers set and deleted
 *   bus_nats_live.c   live subscriptions, written into a pipe
 *   bus_nats_topic.c  topics: exists, any, the survey, remove, last
 *   bus_nats_conn.c   the connection and the JetStream requests every
 *                     other file makes (stream info, retries, errors)
 *   bus_nats_name.c   names: streams, subjects, message ids, consumers
 *   bus_nats_msg.c    a message made an event line (structured or
 *                     binary mode), its sequence stamped
 *
 * Nothing here exits or prints but a warning.
 */
#ifndef EV_BUS_NATS_INT_H
#define EV_BUS_NATS_INT_H

#include <stddef.h>
#include <stdint.h>

#include <nats/nats.h>

#include "buf.h"
#include "bus.h"
#include "ce.h"
#include "scan.h"
#include "timefmt.h"

#define NB_WINDOW 1024		/* asynchronous publishes in flight, at most */
#define NB_RETRY 60		/* seconds a publish is retried for (a new
				   leader being elected) before giving up */

struct npub;

struct nbus {
	natsOptions *opts;
	natsConnection *nc;
	jsCtx *js;
	struct npub *pub;	/* the publisher the acks are for */
	const char *creds;	/* a user's credentials file, or NULL */
	const char *credsfrom;	/* where it was named: --creds, NATS_CREDS */
};

/*
 * The backoff of a request asked again while a cluster elects a leader:
 * 50 ms doubling to a second, for NB_RETRY seconds in all.
 */
struct retry {
	int64_t start;
	int ms;
};
#define RETRY_INIT { now_usec(), 50 }

/* ---- bus_nats_name.c ---- */

/* The stream of topic, "EV_<topic>"; the topic a stream name stands
 * for, or NULL when it is not ours; a consumer's NATS name, '.' as '~'
 * (from '.' to '~'), or back.  Each is the caller's to free. */
char *nb_stream_name(const char *topic);
char *nb_stream_topic(const char *stream);
char *nb_cons_name(const char *consumer, char from, char to);
/* "ev.<topic>.", the caller's to free. */
char *nb_subj_prefix(const char *topic);
/* Appends the NATS subject of ev after prefix (-1 with err when its
 * hash could not be made); the Nats-Msg-Id of ev. */
int nb_put_subject(struct buf *b, const char *prefix,
    const struct ce_event *ev, char *err, size_t n);
void nb_put_msgid(struct buf *b, const struct ce_event *ev);

/* ---- bus_nats_conn.c ---- */

/* The text of s, libnats's last error when it has one. */
const char *nb_status(natsStatus s);
/* b's connection, made at first use; NULL with err (BUS_ERROR's). */
struct nbus *nb_conn(struct bus *b, char *err, size_t n);
/* A durable consumer's ack wait, nanoseconds; BUS_USAGE for a bad one. */
int nb_ackwait(int64_t *ns, char *err, size_t n);
/* The config of durable consumer name, made from the stream's start. */
void nb_cons_config(jsConsumerConfig *cc, const char *name, int64_t wait);
/* A durable consumer's position. */
uint64_t nb_conspos(const jsConsumerInfo *ci);
/* Says a failed JetStream request in err: BUS_ERROR. */
int nb_jsfail(struct bus *b, const char *what, natsStatus s, jsErrCode jerr,
    char *err, size_t n);
/* Sleeps before the next try; 0 (without sleeping) once time is up. */
int nb_retry_wait(struct retry *rt);
/* Whether a request that failed with s may pass if tried again. */
int nb_passes(natsStatus s);
/* *sip: the stream of topic, or NULL when there is none. */
int nb_stream_info(struct bus *b, const char *topic, const char *filter,
    jsStreamInfo **sip, char *err, size_t n);
/* Whether stream is gone (a server that does not answer is not). */
int nb_stream_gone(struct nbus *nb, const char *stream);

/* ---- bus_nats_msg.c ---- */

/* Puts the event line[0..len) into b with "sequence" seq, and "\n";
 * -1, the line put as it is, when it is no JSON object. */
int nb_stamp(struct buf *b, struct scanner *sc, const char *line,
    size_t len, uint64_t seq);
/* Puts into b the event msg carries (structured or binary mode), with
 * its sequence seq. */
void nb_msg_event(struct buf *b, struct scanner *sc, natsMsg *msg,
    uint64_t seq);
/* The stream sequence of a message a consumer gave, or 0. */
uint64_t nb_msg_seq(natsMsg *msg);

/* ---- the operations of bus.h (struct bus_ops), by file ---- */

/* bus_nats_topic.c */
int nats_exists(struct bus *b, const char *topic, const char *why,
    char *err, size_t n);
int nats_any(struct bus *b, char *err, size_t n);
int nats_survey(struct bus *b, struct topic_stat **vp, size_t *nv,
    char *err, size_t n);
int nats_remove(struct bus *b, const char *topic, int force, char *err,
    size_t n);
int nats_last(struct bus *b, const char *topic, uint64_t *last, char *err,
    size_t n);

/* bus_nats_pub.c */
int nats_pub_open(struct bus *b, const char *topic,
    const struct bus_pubopts *o, struct bus_pub **out, char *err, size_t n);
int nats_pub_sink(struct bus_pub *bp, const char *buf, size_t len,
    char *err, size_t n);
int nats_pub_close(struct bus_pub *bp, char *err, size_t n);

/* bus_nats_read.c */
int nats_read_open(struct bus *b, const char *topic,
    const struct bus_from *f, struct bus_reader **out, char *err, size_t n);
int nats_read_next(struct bus_reader *br, const char **line, size_t *len,
    uint64_t *seq, char *err, size_t n);
int nats_read_wait(struct bus_reader *br, int64_t usec, char *errp,
    size_t n);
int nats_read_commit(struct bus_reader *br, uint64_t seq, char *err,
    size_t n);
uint64_t nats_read_position(struct bus_reader *br);
void nats_read_close(struct bus_reader *br);
int nats_consumer_set(struct bus *b, const char *topic,
    const char *consumer, uint64_t to, uint64_t *was, int *known, char *err,
    size_t n);
int nats_consumer_delete(struct bus *b, const char *topic,
    const char *consumer, uint64_t *was, char *err, size_t n);

/* bus_nats_live.c */
int nats_live_open(struct bus *b, const char *topic, const char *name,
    struct bus_live **out, char *err, size_t n);
int nats_live_fd(struct bus_live *bl, const char **path);
int nats_live_cutoff(struct bus_live *bl);
void nats_live_abort(struct bus_live *bl);
void nats_live_close(struct bus_live *bl);

#endif
