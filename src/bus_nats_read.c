/* SPDX-License-Identifier: ISC */
/*
 * bus_nats_read.c - reading a topic of the NATS bus: from a sequence or
 * a time, an ordered consumer; a durable consumer's reading, a pull
 * consumer fetched from, its events acked as evsub commits and given
 * back (nak) at the close; a durable consumer set (--reset) or deleted.
 */
#include <stdlib.h>
#include <string.h>

#include "bus_nats_int.h"
#include "timefmt.h"
#include "util.h"

#define NB_FETCH 256		/* messages a consumer asks for at once */
#define NB_STALL 30000		/* ms a reading waits for a message it knows
				   is there before it says "the end" (a
				   loaded server is slow to push) */

struct nreader {
	struct bus_reader base;
	struct nbus *nb;
	char *stream;
	char *consumer;		/* a durable's name, or NULL */
	natsSubscription *sub;
	int durable;		/* a pull consumer, else an ordered one */
	uint64_t pos;		/* where the reading started after */
	uint64_t pending;	/* ordered: what the server said is left */
	uint64_t end;		/* ordered: the stream's last sequence when
				   the reading began */
	int given;		/* ordered: a message was given */
	natsMsgList held;	/* fetched, not yet given */
	int next;		/* the next of held to give */
	natsMsg **unacked;	/* given, not yet committed */
	size_t nun, capun;
	struct buf line;	/* the event given last, stamped */
	struct scanner sc;
	int64_t asked;		/* when the stream was last looked for */
};

/* The same for a reading at its end, asked at most once a second. */
static int
reader_gone(struct nreader *r)
{
	int64_t now = now_usec();

	if (now - r->asked < 1000000)
		return 0;
	r->asked = now;
	return nb_stream_gone(r->nb, r->stream);
}

/* Binds r to its durable pull consumer, made (from the stream's start,
 * with ack wait wait) at its first run; r->pos is where it stands. */
static natsStatus
durable_sub(struct nreader *r, const char *all, int64_t wait,
    const char **what)
{
	jsConsumerInfo *ci = NULL;
	jsConsumerConfig cc;
	jsSubOptions so;
	jsErrCode jerr = 0;
	natsStatus s;

	*what = "consumer";
	s = js_GetConsumerInfo(&ci, r->nb->js, r->stream, r->consumer, NULL,
	    &jerr);
	if (s == NATS_NOT_FOUND || jerr == JSConsumerNotFoundErr) {
		nb_cons_config(&cc, r->consumer, wait);
		s = js_AddConsumer(&ci, r->nb->js, r->stream, &cc, NULL, &jerr);
	}
	if (s != NATS_OK)
		return s;
	r->pos = nb_conspos(ci);
	jsConsumerInfo_Destroy(ci);
	*what = "subscribe";
	jsSubOptions_Init(&so);
	so.Stream = r->stream;
	so.Consumer = r->consumer;
	return js_PullSubscribe(&r->sub, r->nb->js, all, r->consumer, NULL,
	    &so, &jerr);
}

/* Subscribes r with an ordered consumer from r->pos + 1 on. */
static natsStatus
ordered_sub(struct nreader *r, const char *all, const char **what)
{
	struct retry rt = RETRY_INIT;
	jsConsumerInfo *ci = NULL;
	jsSubOptions so;
	jsErrCode jerr = 0;
	natsStatus s, cs = NATS_ERR;

	*what = "subscribe";
	jsSubOptions_Init(&so);
	so.Stream = r->stream;
	so.Ordered = true;
	so.Config.DeliverPolicy = js_DeliverByStartSequence;
	so.Config.OptStartSeq = r->pos + 1;
	s = js_SubscribeSync(&r->sub, r->nb->js, all, NULL, &so, &jerr);
	/*
	 * What is there to read decides how long a read waits before it
	 * says "the end": a request that timed out (a loaded server) is
	 * asked again, as a publish is, never taken for "nothing" (a
	 * reading of 1,000 events ended at once under make check).
	 */
	while (s == NATS_OK && nb_passes(cs = natsSubscription_GetConsumerInfo(
	    &ci, r->sub, NULL, &jerr)) && nb_retry_wait(&rt))
		;
	if (s == NATS_OK && cs == NATS_OK) {
		r->pending = ci->NumPending;
		jsConsumerInfo_Destroy(ci);
	}
	return s;
}

/*
 * A durable consumer is a pull consumer, made at its first run (from
 * the stream's start) and bound to after; acked explicitly as evsub
 * commits.  A reading from a sequence or time is an ordered consumer.
 */
int
nats_read_open(struct bus *b, const char *topic, const struct bus_from *f,
    struct bus_reader **out, char *err, size_t n)
{
	struct nbus *nb;
	struct nreader *r;
	const char *what = "subscribe";
	struct retry rt = RETRY_INIT;
	natsStatus s;
	char *all;
	uint64_t start = f->seq > 0 ? f->seq : 1;
	int64_t wait = 0;
	int got;

	if ((nb = nb_conn(b, err, n)) == NULL)
		return BUS_ERROR;
	if ((got = nats_exists(b, topic, "-T", err, n)) != BUS_OK)
		return got;
	/* Read on every run, so that a bad one is said even when the
	 * consumer, already made, does not take it. */
	if (f->consumer != NULL && (got = nb_ackwait(&wait, err, n)) != BUS_OK)
		return got;
	if (f->consumer == NULL && f->since != BUS_NOTIME &&
	    (got = bus_seek_time(b, topic, f->since, &start, err, n)) !=
	    BUS_OK)
		return got;
	r = xmalloc(sizeof(*r));
	memset(r, 0, sizeof(*r));
	r->base.bus = b;
	r->nb = nb;
	r->stream = nb_stream_name(topic);
	scan_init(&r->sc);
	all = nb_subj_prefix(topic);
	all = xrealloc(all, strlen(all) + 2);
	strcat(all, ">");
	if (f->consumer != NULL) {
		r->durable = 1;
		r->consumer = nb_cons_name(f->consumer, '.', '~');
	} else {
		r->pos = start - 1;
		if ((got = nats_last(b, topic, &r->end, err, n)) != BUS_OK) {
			scan_free(&r->sc);
			free(r->stream);
			free(all);
			free(r);
			return got;
		}
	}
	/* While a cluster elects a leader, a request times out: again. */
	for (;;) {
		s = f->consumer != NULL ? durable_sub(r, all, wait, &what) :
		    ordered_sub(r, all, &what);
		if (!nb_passes(s) || !nb_retry_wait(&rt))
			break;
	}
	free(all);
	if (s != NATS_OK) {
		seterr(err, n, "%s: %s", what, nb_status(s));
		scan_free(&r->sc);
		free(r->stream);
		free(r->consumer);
		free(r);
		return BUS_FAIL;
	}
	*out = &r->base;
	return BUS_OK;
}

/* Gives msg as the next event, keeping it to ack when durable. */
static void
give(struct nreader *r, natsMsg *msg, const char **line, size_t *len,
    uint64_t *seq)
{
	*seq = nb_msg_seq(msg);
	r->given = 1;
	r->line.len = 0;
	nb_msg_event(&r->line, &r->sc, msg, *seq);
	*line = r->line.p;
	*len = r->line.len - 1;
	if (!r->durable) {
		jsMsgMetaData *meta = NULL;

		if (natsMsg_GetMetaData(&meta, msg) == NATS_OK) {
			r->pending = meta->NumPending;
			jsMsgMetaData_Destroy(meta);
		}
		natsMsg_Destroy(msg);
		return;
	}
	if (r->nun == r->capun) {
		r->capun = r->capun ? r->capun * 2 : 256;
		r->unacked = xrealloc(r->unacked, r->capun *
		    sizeof(*r->unacked));
	}
	r->unacked[r->nun++] = msg;
}

/*
 * What the consumer has for r: *pending, new or given back (nak, ack
 * wait past), not counting those r holds, given and not committed, which
 * are not coming again (waiting for them cost --once 200 ms at its end);
 * *new, never given.  While a cluster elects a leader the request times
 * out: asked again, since taking that for "nothing pending" would end
 * --once with events undelivered (BUS_ERROR once time is up).
 * BUS_NOCONSUMER when the consumer is not there (deleted under the
 * reading).
 */
static int
consumer_pending(struct nreader *r, uint64_t *pending, uint64_t *new,
    char *err, size_t n)
{
	jsConsumerInfo *ci = NULL;
	jsErrCode jerr = 0;
	natsStatus s;
	struct retry rt = RETRY_INIT;

	/* Not natsSubscription_GetConsumerInfo: invalid for a pull
	 * subscription in libnats 3.4. */
	while (nb_passes(s = js_GetConsumerInfo(&ci, r->nb->js, r->stream,
	    r->consumer, NULL, &jerr)) && nb_retry_wait(&rt))
		;
	if (s != NATS_OK && nb_passes(s)) {
		seterr(err, n, "%s: consumer %s: %s", r->stream, r->consumer,
		    nb_status(s));
		return BUS_ERROR;
	}
	if (s != NATS_OK)
		return BUS_NOCONSUMER;
	*pending = ci->NumPending + ((uint64_t)ci->NumAckPending > r->nun ?
	    (uint64_t)ci->NumAckPending - r->nun : 0);
	*new = ci->NumPending;
	jsConsumerInfo_Destroy(ci);
	return BUS_OK;
}

/*
 * Fetches the next batch into r->held; *count: how many there are to
 * give.  usec 0: what the server says is pending, without waiting for
 * more (libnats waits out a fetch's time-out when nothing comes, NoWait
 * or not); else up to NB_FETCH, waiting that long for them.  Events the
 * server says are new but a fetch did not bring (a consumer's new leader
 * not elected yet) are asked for again.
 */
static int
fetch(struct nreader *r, int64_t usec, size_t *count, char *err, size_t n)
{
	jsFetchRequest fr;
	uint64_t pending = NB_FETCH, new = 0;
	struct retry rt = RETRY_INIT;
	int got, waiting = 0;

	*count = 0;
	if (r->next < r->held.Count) {
		*count = (size_t)(r->held.Count - r->next);
		return BUS_OK;
	}
	for (;;) {
		natsMsgList_Destroy(&r->held);
		memset(&r->held, 0, sizeof(r->held));
		r->next = 0;
		if (usec <= 0 && (got = consumer_pending(r, &pending, &new, err,
		    n)) != BUS_OK)
			return got == BUS_NOCONSUMER ? BUS_OK : got;
		if (usec <= 0 && pending == 0)
			return BUS_OK;
		jsFetchRequest_Init(&fr);
		fr.Batch = pending < NB_FETCH ? (int)pending : NB_FETCH;
		/*
		 * libnats before 3.10 (Debian's is 3.4) writes past its list
		 * when a fetch first takes more than half its batch from
		 * messages already waiting in the subscription (late ones of
		 * a fetch that expired): nats.c pull request 749, a heap
		 * overflow under ASan with 30 readers (scale.bats).  A batch
		 * of at least twice what waits, and a fetch's worth more for
		 * what comes meanwhile, keeps what is taken first under half.
		 */
		if (natsSubscription_GetPending(r->sub, &waiting, NULL) ==
		    NATS_OK && waiting > 0 && fr.Batch < 2 * (waiting + NB_FETCH))
			fr.Batch = 2 * (waiting + NB_FETCH);
		fr.NoWait = usec <= 0;
		fr.Expires = (usec > 0 ? usec : new > 0 ? 500000 : 200000) *
		    1000;
		if (natsSubscription_FetchRequest(&r->held, r->sub, &fr) !=
		    NATS_OK)
			memset(&r->held, 0, sizeof(r->held));
		if (r->held.Count > 0 || usec > 0 || new == 0 ||
		    !nb_retry_wait(&rt)) {
			*count = (size_t)r->held.Count;
			return BUS_OK;
		}
	}
}

int
nats_read_next(struct bus_reader *br, const char **line, size_t *len,
    uint64_t *seq, char *err, size_t n)
{
	struct nreader *r = (struct nreader *)br;
	natsMsg *msg = NULL;
	natsStatus s;
	size_t count;
	int got;

	if (r->durable) {
		if ((got = fetch(r, 0, &count, err, n)) != BUS_OK)
			return got;
		if (count == 0)
			return reader_gone(r) ? BUS_NOTOPIC : BUS_END;
		msg = r->held.Msgs[r->next];
		r->held.Msgs[r->next++] = NULL;
		give(r, msg, line, len, seq);
		return BUS_OK;
	}
	for (;;) {
		if (r->next < r->held.Count) {
			msg = r->held.Msgs[r->next];
			r->held.Msgs[r->next++] = NULL;
		} else {
			/* The ordered consumer pushes: wait for what the
			 * server said is there, not for what is not.
			 * Before the first message, what the stream held
			 * when the reading began is there too: a consumer's
			 * count, taken as it is made, said 0 on a loaded
			 * server, and a reading of 1,000 events gave none
			 * (CI). */
			s = natsSubscription_NextMsg(&msg, r->sub,
			    r->pending > 0 || (!r->given && r->end > r->pos) ?
			    NB_STALL : 1);
			if (s != NATS_OK)
				return reader_gone(r) ? BUS_NOTOPIC : BUS_END;
		}
		/* A start past the stream's end is taken back by the
		 * server to the next sequence to come: what comes before
		 * the start is not the reader's (--from 13 of a stream of
		 * 10 got 11 and 12). */
		if (nb_msg_seq(msg) > r->pos)
			break;
		natsMsg_Destroy(msg);
	}
	give(r, msg, line, len, seq);
	return BUS_OK;
}

int
nats_read_wait(struct bus_reader *br, int64_t usec, char *errp, size_t n)
{
	struct nreader *r = (struct nreader *)br;
	natsMsg *msg = NULL;
	int64_t ms = usec < 0 || usec > 1000000 ? 1000 : usec / 1000;
	size_t count;
	char err[8];

	(void)errp;
	(void)n;
	if (ms < 1)
		ms = 1;
	/* A fetch that waits asks the consumer nothing: it cannot fail.
	 * Neither can a wait for a message: a server gone shows in the next
	 * read. */
	if (r->durable) {
		(void)fetch(r, ms * 1000, &count, err, sizeof(err));
		return BUS_OK;
	}
	/* Peeking would lose the message: the next read takes it, so it is
	 * said to be pending. */
	if (natsSubscription_NextMsg(&msg, r->sub, ms) == NATS_OK) {
		natsMsgList_Destroy(&r->held);
		r->held.Msgs = xmalloc(sizeof(*r->held.Msgs));
		r->held.Msgs[0] = msg;
		r->held.Count = 1;
		r->next = 0;
	}
	return BUS_OK;
}

/* Acks what was given up to seq, the last one synchronously: the
 * server has them all then (acks go in order on one connection).  While
 * a cluster elects a new leader for the consumer, acks fail: they are
 * sent again (an ack is idempotent), with the backoff of struct retry. */
int
nats_read_commit(struct bus_reader *br, uint64_t seq, char *err, size_t n)
{
	struct nreader *r = (struct nreader *)br;
	struct retry rt = RETRY_INIT;
	jsErrCode jerr = 0;
	natsStatus s = NATS_OK;
	size_t i, k, done = 0;

	if (!r->durable)
		return BUS_OK;
	for (i = 0; i < r->nun; i++)
		if (nb_msg_seq(r->unacked[i]) <= seq)
			done = i + 1;
	for (;;) {
		for (i = 0, s = NATS_OK; i < done && s == NATS_OK; i++)
			s = i + 1 < done ? natsMsg_Ack(r->unacked[i], NULL) :
			    natsMsg_AckSync(r->unacked[i], NULL, &jerr);
		if (s == NATS_OK)
			break;
		if (nb_stream_gone(r->nb, r->stream))
			return BUS_NOTOPIC;
		if (!nb_retry_wait(&rt)) {
			seterr(err, n, "ack: %s", nb_status(s));
			return BUS_FAIL;
		}
	}
	for (i = 0; i < done; i++)
		natsMsg_Destroy(r->unacked[i]);
	for (k = 0; i < r->nun; i++, k++)
		r->unacked[k] = r->unacked[i];
	r->nun = k;
	return BUS_OK;
}

uint64_t
nats_read_position(struct bus_reader *br)
{
	return ((struct nreader *)br)->pos;
}

/* What was fetched and not committed is given back at once (nak), so
 * that the next run does not wait out the ack time for it. */
void
nats_read_close(struct bus_reader *br)
{
	struct nreader *r = (struct nreader *)br;
	size_t i;
	int k;

	/* In order: what was given first comes again first. */
	for (i = 0; i < r->nun; i++) {
		(void)natsMsg_Nak(r->unacked[i], NULL);
		natsMsg_Destroy(r->unacked[i]);
	}
	if (r->durable && r->held.Msgs != NULL)
		for (k = r->next; k < r->held.Count; k++)
			if (r->held.Msgs[k] != NULL)
				(void)natsMsg_Nak(r->held.Msgs[k], NULL);
	if (r->durable)
		(void)natsConnection_Flush(r->nb->nc);
	natsMsgList_Destroy(&r->held);
	free(r->unacked);
	if (!r->durable)
		(void)natsSubscription_Unsubscribe(r->sub);
	natsSubscription_Destroy(r->sub);
	buf_free(&r->line);
	scan_free(&r->sc);
	free(r->stream);
	free(r->consumer);
	free(r);
}

/* --reset: the durable consumer is made again, to start at to. */
int
nats_consumer_set(struct bus *b, const char *topic, const char *consumer,
    uint64_t to, uint64_t *was, int *known, char *err, size_t n)
{
	struct nbus *nb;
	jsConsumerInfo *ci = NULL;
	jsConsumerConfig cc;
	jsErrCode jerr = 0;
	natsStatus s;
	uint64_t last;
	int64_t wait;
	char *sn, *cn;
	int r;

	if ((nb = nb_conn(b, err, n)) == NULL)
		return BUS_ERROR;
	if ((r = nats_exists(b, topic, "-T", err, n)) != BUS_OK ||
	    (r = nats_last(b, topic, &last, err, n)) != BUS_OK)
		return r;
	if (to > last + 1) {
		seterr(err, n, "%llu: past the end of topic %s, whose last "
		    "sequence is %llu (%llu skips all there is)",
		    (unsigned long long)to, topic, (unsigned long long)last,
		    (unsigned long long)last + 1);
		return BUS_PAST;
	}
	sn = nb_stream_name(topic);
	cn = nb_cons_name(consumer, '.', '~');
	s = js_GetConsumerInfo(&ci, nb->js, sn, cn, NULL, &jerr);
	*known = s == NATS_OK;
	*was = *known ? nb_conspos(ci) : 0;
	jsConsumerInfo_Destroy(ci);
	ci = NULL;
	/* Before the consumer goes: a bad one leaves it as it was. */
	if ((r = nb_ackwait(&wait, err, n)) != BUS_OK) {
		free(sn);
		free(cn);
		return r;
	}
	if (*known)
		(void)js_DeleteConsumer(nb->js, sn, cn, NULL, &jerr);
	nb_cons_config(&cc, cn, wait);
	cc.DeliverPolicy = js_DeliverByStartSequence;
	cc.OptStartSeq = to;
	s = js_AddConsumer(&ci, nb->js, sn, &cc, NULL, &jerr);
	free(sn);
	free(cn);
	jsConsumerInfo_Destroy(ci);
	if (s != NATS_OK) {
		seterr(err, n, "%s", nb_status(s));
		return BUS_FAIL;
	}
	return BUS_OK;
}

int
nats_consumer_delete(struct bus *b, const char *topic, const char *consumer,
    uint64_t *was, char *err, size_t n)
{
	struct nbus *nb;
	jsConsumerInfo *ci = NULL;
	jsErrCode jerr = 0;
	natsStatus s;
	char *sn, *cn;
	int r;

	if ((nb = nb_conn(b, err, n)) == NULL)
		return BUS_ERROR;
	if ((r = nats_exists(b, topic, "-T", err, n)) != BUS_OK)
		return r;
	sn = nb_stream_name(topic);
	cn = nb_cons_name(consumer, '.', '~');
	s = js_GetConsumerInfo(&ci, nb->js, sn, cn, NULL, &jerr);
	if (s != NATS_OK) {
		free(sn);
		free(cn);
		return BUS_NOCONSUMER;
	}
	*was = nb_conspos(ci);
	jsConsumerInfo_Destroy(ci);
	s = js_DeleteConsumer(nb->js, sn, cn, NULL, &jerr);
	free(sn);
	free(cn);
	if (s != NATS_OK) {
		seterr(err, n, "%s", nb_status(s));
		return BUS_FAIL;
	}
	return BUS_OK;
}
