/* SPDX-License-Identifier: ISC */
/*
 * bus_nats_pub.c - publishing on the NATS bus: the topic's stream made
 * at need; a window of up to NB_WINDOW asynchronous publishes, their
 * acks (onack, in the library's thread) waited for, what failed in a
 * way that passes published again one at a time; --expect, published
 * one at a time expecting the subject's last sequence; the acknowledged
 * events to stdout, stamped.
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ack.h"
#include "bus_nats_int.h"
#include "timefmt.h"
#include "util.h"

#define NB_ACKLATE 10		/* seconds an ack of the window is waited
				   for, past NB_RETRY */
#define NB_CLOSED "the server closed the connection, and it was not made " \
		  "again (the server's log says why)"
#define NB_DUPWINDOW 120000000LL /* the default duplicate window, usec */

/* An event of the publishing window. */
struct slot {
	size_t off, len;	/* the event in the window's buffer, no '\n' */
	size_t subj, msgid;	/* its subject and message id, in strs */
	uint64_t lineno;	/* the number of the event, for messages */
	natsMsg *msg;		/* while in flight: what the ack names */
	int state;		/* enum slotstate */
	uint64_t seq;		/* the stream's sequence, once acknowledged */
	natsStatus err;		/* why it failed */
	jsErrCode jerr;
	char errtext[160];
};

enum slotstate { S_FLIGHT, S_ACKED, S_DUP, S_FAILED };

struct npub {
	struct bus_pub base;
	struct nbus *nb;
	char *topic;
	char *stream;		/* EV_... */
	char *prefix;		/* ev.<topic>. */
	struct bus_pubopts o;
	struct scanner sc;
	struct ce_event ev;
	struct buf evs;		/* the window's events */
	struct buf strs;	/* their subjects and message ids, '\0' each */
	struct slot *w;		/* the window */
	size_t nw, cap;
	size_t hint;		/* where the next ack is likely */
	pthread_mutex_t mu;
	pthread_cond_t cv;
	uint64_t n;		/* events taken so far */
	uint64_t lastsubj;	/* --expect: the subject's last sequence */
	int expectset;		/* lastsubj is known */
	int64_t maxpayload;	/* the server's max_payload */
	struct buf out;		/* acknowledged events, stamped */
	struct ack ack;		/* stdout, the repeats, --expect's subject */
	int failed;		/* a sink failed: nothing more is published */
};

/* How many servers the cluster has, as the connection learnt them. */
static int
npeers(struct nbus *nb)
{
	char **v = NULL;
	int n = 0, i;

	if (natsConnection_GetServers(nb->nc, &v, &n) != NATS_OK)
		return 1;
	for (i = 0; i < n; i++)
		free(v[i]);
	free(v);
	return n;
}

/*
 * A stream's replicas and duplicate window are chosen when it is made:
 * asked for others, it is said, not ignored (BUS_USAGE).
 */
static int
same_stream(struct npub *p, const jsStreamConfig *c, char *err, size_t n)
{
	if (p->o.replicas > 0 && p->o.replicas != (int)c->Replicas) {
		seterr(err, n, "--replicas: %d: the stream %s has %d, chosen "
		    "when it was made (nats stream edit changes it)",
		    p->o.replicas, p->stream, (int)c->Replicas);
		return BUS_USAGE;
	}
	if (p->o.dupwindow > 0 && p->o.dupwindow * 1000 != c->Duplicates) {
		seterr(err, n, "--dup-window: %.3g s: the stream %s has %.3g "
		    "s, chosen when it was made (nats stream edit changes "
		    "it)", (double)p->o.dupwindow / 1e6, p->stream,
		    (double)c->Duplicates / 1e9);
		return BUS_USAGE;
	}
	return BUS_OK;
}

/* Makes the stream of p's topic unless it is there. */
static int
make_stream(struct bus *b, struct npub *p, char *err, size_t n)
{
	struct nbus *nb = p->nb;
	jsStreamInfo *si;
	jsStreamConfig cfg;
	jsErrCode jerr = 0;
	natsStatus s;
	const char *subj[1];
	char *all;
	struct retry rt = RETRY_INIT;
	int r;

	if ((r = nb_stream_info(b, p->topic, NULL, &si, err, n)) != BUS_OK)
		return r;
	if (si != NULL) {
		r = same_stream(p, si->Config, err, n);
		jsStreamInfo_Destroy(si);
		return r;
	}
	all = xmalloc(strlen(p->prefix) + 2);
	sprintf(all, "%s>", p->prefix);
	subj[0] = all;
	jsStreamConfig_Init(&cfg);
	cfg.Name = p->stream;
	cfg.Subjects = subj;
	cfg.SubjectsLen = 1;
	cfg.Storage = js_FileStorage;
	cfg.Replicas = p->o.replicas > 0 ? p->o.replicas :
	    npeers(nb) >= 3 ? 3 : 1;
	/* Nanoseconds. */
	cfg.Duplicates = (p->o.dupwindow > 0 ? p->o.dupwindow :
	    NB_DUPWINDOW) * 1000;
	cfg.AllowDirect = true;
	/* A cluster just started, or one that lost a server, may have no
	 * leader to answer yet: asked again, as a publish is. */
	while (nb_passes(s = js_AddStream(&si, nb->js, &cfg, NULL, &jerr)) &&
	    nb_retry_wait(&rt))
		;
	/* Another publisher made it first: as good. */
	r = s != NATS_OK && jerr != JSStreamNameExistErr ? nb_jsfail(b,
	    p->stream, s, jerr, err, n) : BUS_OK;
	jsStreamInfo_Destroy(si);
	free(all);
	return r;
}

/* The acks of asynchronous publishes, in the library's thread. */
static void
onack(jsCtx *js, natsMsg *msg, jsPubAck *pa, jsPubAckErr *pae, void *arg)
{
	struct nbus *nb = arg;
	struct npub *p = nb->pub;
	struct slot *sl = NULL;
	size_t i, k;

	(void)js;
	/* A late ack, after the publisher gave up on it and closed. */
	if (p == NULL) {
		natsMsg_Destroy(msg);
		return;
	}
	pthread_mutex_lock(&p->mu);
	for (k = 0; k < p->nw; k++) {
		i = (p->hint + k) % p->nw;
		if (p->w[i].msg == msg && p->w[i].state == S_FLIGHT) {
			sl = &p->w[i];
			p->hint = i + 1;
			break;
		}
	}
	if (sl != NULL) {
		sl->msg = NULL;
		if (pa != NULL) {
			sl->seq = pa->Sequence;
			sl->state = pa->Duplicate ? S_DUP : S_ACKED;
		} else {
			sl->state = S_FAILED;
			sl->err = pae != NULL ? pae->Err : NATS_ERR;
			sl->jerr = pae != NULL ? pae->ErrCode : 0;
			snprintf(sl->errtext, sizeof(sl->errtext), "%s",
			    pae != NULL && pae->ErrText != NULL ?
			    pae->ErrText : natsStatus_GetText(sl->err));
		}
	}
	pthread_cond_broadcast(&p->cv);
	pthread_mutex_unlock(&p->mu);
	natsMsg_Destroy(msg);
}

static void
pub_free(struct npub *p)
{
	p->nb->pub = NULL;
	scan_free(&p->sc);
	buf_free(&p->evs);
	buf_free(&p->strs);
	buf_free(&p->out);
	(void)ack_close(&p->ack, NULL, 0);
	free(p->w);
	free(p->topic);
	free(p->stream);
	free(p->prefix);
	pthread_mutex_destroy(&p->mu);
	pthread_cond_destroy(&p->cv);
	free(p);
}

int
nats_pub_open(struct bus *b, const char *topic, const struct bus_pubopts *o,
    struct bus_pub **out, char *err, size_t n)
{
	struct nbus *nb;
	struct npub *p;
	jsOptions jo;
	natsStatus s;
	int r;

	if ((nb = nb_conn(b, err, n)) == NULL)
		return BUS_ERROR;
	if (o->given & BUS_SYNC) {
		seterr(err, n, "--sync: no effect on NATS, where an event is "
		    "durable once a majority of its stream's replicas hold it "
		    "(--replicas); leave --sync out");
		return BUS_USAGE;
	}
	if (o->given & BUS_MAXWAIT) {
		seterr(err, n, "--max-wait: NATS does not cut off a slow live "
		    "subscriber; leave --max-wait out");
		return BUS_USAGE;
	}
	p = xmalloc(sizeof(*p));
	memset(p, 0, sizeof(*p));
	p->base.bus = b;
	p->nb = nb;
	p->topic = xstrdup(topic);
	p->stream = nb_stream_name(topic);
	p->prefix = nb_subj_prefix(topic);
	p->o = *o;
	p->maxpayload = natsConnection_GetMaxPayload(nb->nc);
	pthread_mutex_init(&p->mu, NULL);
	pthread_cond_init(&p->cv, NULL);
	scan_init(&p->sc);
	ack_open(&p->ack, !o->quiet, o->quiet, p->topic, 0, "stream",
	    "published");
	nb->pub = p;
	/* A new context, whose acks come to this publisher. */
	jsCtx_Destroy(nb->js);
	nb->js = NULL;
	jsOptions_Init(&jo);
	jo.PublishAsync.MaxPending = NB_WINDOW;
	jo.PublishAsync.AckHandler = onack;
	jo.PublishAsync.AckHandlerClosure = nb;
	if ((s = natsConnection_JetStream(&nb->js, nb->nc, &jo)) != NATS_OK) {
		seterr(err, n, "%s: JetStream: %s", b->where, nb_status(s));
		pub_free(p);
		return BUS_ERROR;
	}
	if ((r = make_stream(b, p, err, n)) != BUS_OK) {
		pub_free(p);
		return r;
	}
	signal(SIGPIPE, SIG_IGN);
	*out = &p->base;
	return BUS_OK;
}

/* A message for slot sl of p, its headers set; NULL with err
 * (BUS_ERROR's) when libnats would not make it. */
static natsMsg *
mkmsg(struct npub *p, struct slot *sl, uint64_t expectseq, int expect,
    char *err, size_t n)
{
	natsMsg *m = NULL;
	char num[32];
	natsStatus s;

	s = natsMsg_Create(&m, p->strs.p + sl->subj, NULL, p->evs.p + sl->off,
	    (int)sl->len);
	if (s == NATS_OK)
		s = natsMsgHeader_Set(m, "Content-Type",
		    "application/cloudevents+json");
	if (s == NATS_OK)
		s = natsMsgHeader_Set(m, "Nats-Msg-Id", p->strs.p + sl->msgid);
	/* Set by hand: the option's 0 means unset, and a new subject's
	 * last sequence is 0. */
	if (s == NATS_OK && expect) {
		snprintf(num, sizeof(num), "%llu",
		    (unsigned long long)expectseq);
		s = natsMsgHeader_Set(m, "Nats-Expected-Last-Subject-Sequence",
		    num);
	}
	if (s != NATS_OK) {
		seterr(err, n, "%s: a message: %s", p->topic, nb_status(s));
		natsMsg_Destroy(m);
		return NULL;
	}
	return m;
}

/* Tells whether a publish that failed so may be tried again: all but a
 * lost race, a message too big, a request the server refuses; the
 * server gone or no leader yet (no responders, a time-out, while a
 * cluster elects one) pass. */
static int
retryable(natsStatus s, jsErrCode jerr)
{
	return jerr != JSStreamWrongLastSequenceErr &&
	    jerr != JSStreamMessageExceedsMaximumErr &&
	    s != NATS_MAX_PAYLOAD && s != NATS_INVALID_ARG &&
	    s != NATS_NOT_PERMITTED;
}

/* Says a publish that failed for good: BUS_EXPECT for a lost race of
 * --expect, else BUS_ERROR. */
static int
pubfail(struct npub *p, struct slot *sl, char *err, size_t n)
{
	if (sl->jerr == JSStreamWrongLastSequenceErr) {
		seterr(err, n, "%s: event %llu: the subject has changed since "
		    "it was read: a concurrent writer (nothing of it "
		    "published)", p->topic, (unsigned long long)sl->lineno);
		return BUS_EXPECT;
	}
	if (sl->jerr != 0)
		seterr(err, n, "%s: event %llu: not published: %s (JetStream "
		    "error %d)", p->topic, (unsigned long long)sl->lineno,
		    sl->errtext, (int)sl->jerr);
	else
		seterr(err, n, "%s: event %llu: not published: %s", p->topic,
		    (unsigned long long)sl->lineno, sl->errtext);
	return BUS_ERROR;
}

/*
 * BUS_ERROR when sl failed because the topic's stream is no more: it
 * was deleted under this publisher (evsub --delete-topic; the server
 * does not tell who publishes, so nothing refused it).  Then no one
 * answers a publish (libnats says "no responders", or for an
 * asynchronous one "JetStream not enabled"), and trying again would only
 * wait out NB_RETRY.  A server that does not answer is not taken for a
 * deleted stream (nb_stream_gone).
 */
static int
deleted(struct npub *p, const struct slot *sl, char *err, size_t n)
{
	if (sl->err != NATS_NO_RESPONDERS && sl->jerr != JSNotEnabledErr &&
	    sl->jerr != JSStreamNotFoundErr)
		return BUS_OK;
	if (!nb_stream_gone(p->nb, p->stream))
		return BUS_OK;
	seterr(err, n, "%s: the topic was deleted while this publisher ran "
	    "(evsub --delete-topic): nothing more is published, and what was "
	    "not acknowledged is not stored", p->topic);
	return BUS_ERROR;
}

/*
 * Publishes slot sl and waits for its ack, trying again while the
 * failure is one that passes (for NB_RETRY seconds).  With again, an
 * attempt before this call may have been stored (its ack lost with a
 * leader): then the server's "duplicate" is that attempt's ack, with its
 * sequence, and the event is acknowledged, not reported as a repeat; the
 * same for a second attempt here.
 */
static int
pubsync(struct npub *p, struct slot *sl, uint64_t expectseq, int expect,
    int again, char *err, size_t n)
{
	struct retry rt = RETRY_INIT;
	jsPubOptions po;
	jsPubAck *pa;
	natsMsg *m;
	int r;

	for (;;) {
		if ((m = mkmsg(p, sl, expectseq, expect, err, n)) == NULL)
			return BUS_ERROR;
		jsPubOptions_Init(&po);
		pa = NULL;
		sl->jerr = 0;
		sl->err = js_PublishMsg(&pa, p->nb->js, m, &po, &sl->jerr);
		natsMsg_Destroy(m);
		if (sl->err == NATS_OK) {
			sl->seq = pa->Sequence;
			sl->state = pa->Duplicate && !again ? S_DUP : S_ACKED;
			jsPubAck_Destroy(pa);
			return BUS_OK;
		}
		again = 1;
		snprintf(sl->errtext, sizeof(sl->errtext), "%s",
		    nb_status(sl->err));
		if ((r = deleted(p, sl, err, n)) != BUS_OK)
			return r;
		/* Closed for good, it takes no publish again. */
		if (natsConnection_IsClosed(p->nb->nc))
			snprintf(sl->errtext, sizeof(sl->errtext), "%s",
			    NB_CLOSED);
		if (!retryable(sl->err, sl->jerr) ||
		    natsConnection_IsClosed(p->nb->nc) || !nb_retry_wait(&rt))
			return pubfail(p, sl, err, n);
	}
}

/* --expect: the subject's count now must be what was expected; then each
 * event is published expecting the subject's last sequence to be the one
 * before it, so that a concurrent writer makes it fail. */
static int
expect_check(struct npub *p, struct slot *sl, char *err, size_t n)
{
	struct bus *b = p->base.bus;
	jsStreamInfo *si;
	natsMsg *m = NULL;
	jsErrCode jerr = 0;
	natsStatus s;
	const char *subj = p->strs.p + sl->subj;
	uint64_t count = 0;
	int i, r;

	/* The last sequence first, then the count: a writer that comes in
	 * between makes the count too big, or the publish fail. */
	s = js_GetLastMsg(&m, p->nb->js, p->stream, subj, NULL, &jerr);
	if (s == NATS_OK)
		p->lastsubj = natsMsg_GetSequence(m);
	else if (s == NATS_NOT_FOUND || jerr == JSNoMessageFoundErr)
		p->lastsubj = 0;
	else {
		natsMsg_Destroy(m);
		return nb_jsfail(b, p->stream, s, jerr, err, n);
	}
	natsMsg_Destroy(m);
	if ((r = nb_stream_info(b, p->topic, subj, &si, err, n)) != BUS_OK)
		return r;
	if (si != NULL && si->State.Subjects != NULL)
		for (i = 0; i < si->State.Subjects->Count; i++)
			if (strcmp(si->State.Subjects->List[i].Subject,
			    subj) == 0)
				count = si->State.Subjects->List[i].Msgs;
	jsStreamInfo_Destroy(si);
	if (count != p->o.expect) {
		seterr(err, n, "%s: the subject has %llu events, not %llu: "
		    "nothing published", p->topic, (unsigned long long)count,
		    (unsigned long long)p->o.expect);
		return BUS_EXPECT;
	}
	p->expectset = 1;
	return BUS_OK;
}

/* Writes what is acknowledged to stdout, unless -q; reports repeats.
 * BUS_EPIPE when stdout's reader went away. */
static int
report(struct npub *p, char *err, size_t n)
{
	enum ack_result r;
	struct slot *sl;
	size_t i;

	p->out.len = 0;
	for (i = 0; i < p->nw; i++) {
		sl = &p->w[i];
		if (sl->state == S_DUP) {
			ack_repeat(&p->ack, sl->lineno, sl->seq);
			continue;
		}
		if (!p->o.quiet)
			(void)nb_stamp(&p->out, &p->sc, p->evs.p + sl->off,
			    sl->len, sl->seq);
	}
	r = ack_write(&p->ack, p->out.p, p->out.len, err, n);
	return r == ACK_OK ? BUS_OK : r == ACK_EPIPE ? BUS_EPIPE :
	    BUS_ERROR;
}

/*
 * Waits for the acks of the window still in flight: NB_RETRY seconds (a
 * cluster electing a leader answers within them), then NB_ACKLATE more;
 * none at all once the connection is closed for good (the server dropped
 * it and libnats gave up: a line over its max_control_line, say), since
 * no ack comes on it.  Each that has not come by then failed, and is
 * published again, as any that passes (pubsync), so that no publish
 * waits for ever on an ack that never comes.
 */
static void
acks_wait(struct npub *p)
{
	int64_t until = now_usec() + (NB_RETRY + NB_ACKLATE) * 1000000LL;
	struct timespec ts;
	struct slot *sl;
	size_t i;
	int closed = 0;

	pthread_mutex_lock(&p->mu);
	for (i = 0; i < p->nw; i++) {
		sl = &p->w[i];
		/* A look at the connection every 100 ms. */
		while (sl->state == S_FLIGHT && !closed &&
		    now_usec() < until) {
			clock_gettime(CLOCK_REALTIME, &ts);
			ts.tv_nsec += 100000000L;
			if (ts.tv_nsec >= 1000000000L) {
				ts.tv_sec++;
				ts.tv_nsec -= 1000000000L;
			}
			if (pthread_cond_timedwait(&p->cv, &p->mu, &ts) ==
			    ETIMEDOUT)
				closed = natsConnection_IsClosed(p->nb->nc);
		}
		if (sl->state != S_FLIGHT)
			continue;
		/* The library still holds the message: a late ack finds no
		 * slot in flight for it, and only frees it. */
		sl->msg = NULL;
		sl->state = S_FAILED;
		sl->err = closed ? NATS_CONNECTION_CLOSED : NATS_TIMEOUT;
		sl->jerr = 0;
		if (closed)
			snprintf(sl->errtext, sizeof(sl->errtext), "%s",
			    NB_CLOSED);
		else
			snprintf(sl->errtext, sizeof(sl->errtext), "no "
			    "acknowledgement in %d s", NB_RETRY + NB_ACKLATE);
	}
	pthread_mutex_unlock(&p->mu);
}

/*
 * Publishes the window: asynchronously, then waits for every ack; what
 * failed in a way that passes is published again, one at a time, with
 * the same Nats-Msg-Id (so a publish whose ack was lost is not stored
 * twice).  Then the acknowledged events go to stdout, in window order.
 */
static int
flushwin(struct npub *p, char *err, size_t n)
{
	struct nbus *nb = p->nb;
	jsPubOptions po;
	struct slot *sl;
	natsMsg *m;
	natsStatus s;
	size_t i;
	int r;

	if (p->nw == 0)
		return BUS_OK;
	if (p->o.expecting) {
		for (i = 0; i < p->nw; i++) {
			sl = &p->w[i];
			if (!p->expectset &&
			    (r = expect_check(p, sl, err, n)) != BUS_OK)
				return r;
			if ((r = pubsync(p, sl, p->lastsubj, 1, 0, err, n)) !=
			    BUS_OK)
				return r;
			if (sl->state == S_ACKED)
				p->lastsubj = sl->seq;
		}
	} else {
		p->hint = 0;
		for (i = 0; i < p->nw; i++) {
			sl = &p->w[i];
			/* Those in flight are waited for: no ack comes to a
			 * publisher that is no more. */
			if ((m = mkmsg(p, sl, 0, 0, err, n)) == NULL) {
				p->nw = i;
				acks_wait(p);
				return BUS_ERROR;
			}
			pthread_mutex_lock(&p->mu);
			sl->msg = m;
			sl->state = S_FLIGHT;
			pthread_mutex_unlock(&p->mu);
			jsPubOptions_Init(&po);
			/* The ack's time-out comes to onack as a failure. */
			po.MaxWait = 5000;
			if ((s = js_PublishMsgAsync(nb->js, &m, &po)) !=
			    NATS_OK) {
				pthread_mutex_lock(&p->mu);
				sl->msg = NULL;
				sl->state = S_FAILED;
				sl->err = s;
				sl->jerr = 0;
				snprintf(sl->errtext, sizeof(sl->errtext),
				    "%s", nb_status(s));
				pthread_mutex_unlock(&p->mu);
				natsMsg_Destroy(m);
			}
		}
		acks_wait(p);
		for (i = 0; i < p->nw; i++) {
			sl = &p->w[i];
			if (sl->state != S_FAILED)
				continue;
			if ((r = deleted(p, sl, err, n)) != BUS_OK)
				return r;
			if (!retryable(sl->err, sl->jerr))
				return pubfail(p, sl, err, n);
			if ((r = pubsync(p, sl, 0, 0, 1, err, n)) != BUS_OK)
				return r;
		}
	}
	if ((r = report(p, err, n)) != BUS_OK)
		return r;
	p->nw = 0;
	p->evs.len = 0;
	p->strs.len = 0;
	return BUS_OK;
}

/* Takes the event s[0..len), the publisher's p->n-th, into the window
 * (not yet counted in p->nw). */
static int
take_event(struct npub *p, const char *s, size_t len, char *err, size_t n)
{
	struct slot *sl;
	char why[512];
	size_t size;

	if (scan_trusted(&p->sc, s, len) == -1 ||
	    ce_check(&p->sc, &p->ev, 0, why, sizeof(why)) == -1) {
		seterr(err, n, "%s: event %llu: %s", p->topic,
		    (unsigned long long)p->n, p->sc.err != NULL ? p->sc.err :
		    why);
		return BUS_ERROR;
	}
	if (p->nw == p->cap) {
		p->cap = p->cap ? p->cap * 2 : 64;
		p->w = xrealloc(p->w, p->cap * sizeof(*p->w));
	}
	sl = &p->w[p->nw];
	memset(sl, 0, sizeof(*sl));
	sl->lineno = p->n;
	sl->off = p->evs.len;
	sl->len = len;
	buf_put(&p->evs, s, sl->len);
	sl->subj = p->strs.len;
	if (nb_put_subject(&p->strs, p->prefix, &p->ev, err, n) == -1)
		return BUS_ERROR;
	buf_putc(&p->strs, '\0');
	if (p->o.expecting && ack_subject(&p->ack, p->ev.a[CE_SUBJECT] ==
	    NULL ? NULL : p->strs.p + sl->subj, strlen(p->strs.p + sl->subj),
	    p->n, err, n) != ACK_OK)
		return BUS_INVALID;
	sl->msgid = p->strs.len;
	nb_put_msgid(&p->strs, &p->ev);
	buf_putc(&p->strs, '\0');
	/* What the server counts: the body, the subject, and the headers as
	 * they go on the wire. */
	size = sl->len + strlen(p->strs.p + sl->subj) +
	    strlen(p->strs.p + sl->msgid) + 120;
	if (p->maxpayload > 0 && size > (size_t)p->maxpayload) {
		seterr(err, n, "%s: event %llu: %zu bytes with its headers, "
		    "over the server's max_payload of %lld: not published (nor "
		    "what follows it)", p->topic, (unsigned long long)p->n,
		    size, (long long)p->maxpayload);
		return BUS_ERROR;
	}
	return BUS_OK;
}

/* Adds the whole events buf[0..len) to the window, publishing it each
 * time it is full and at the end.  Once it failed, the publisher takes
 * no more (closing it publishes nothing). */
int
nats_pub_sink(struct bus_pub *bp, const char *buf, size_t len, char *err,
    size_t n)
{
	struct npub *p = (struct npub *)bp;
	const char *s = buf, *end = buf + len, *nl;
	int r = BUS_OK;

	if (p->failed) {
		seterr(err, n, "%s: a publish failed before: nothing more is "
		    "published", p->topic);
		return BUS_ERROR;
	}
	for (; r == BUS_OK && s < end; s = nl + 1) {
		nl = memchr(s, '\n', (size_t)(end - s));
		p->n++;
		if ((r = take_event(p, s, (size_t)(nl - s), err, n)) !=
		    BUS_OK)
			break;
		if (++p->nw >= NB_WINDOW)
			r = flushwin(p, err, n);
	}
	if (r == BUS_OK)
		r = flushwin(p, err, n);
	p->failed = r != BUS_OK;
	return r;
}

int
nats_pub_close(struct bus_pub *bp, char *err, size_t n)
{
	struct npub *p = (struct npub *)bp;
	int r = p->failed ? BUS_OK : flushwin(p, err, n);

	pub_free(p);
	return r;
}
