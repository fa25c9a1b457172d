/* SPDX-License-Identifier: ISC */
/*
 * evsub's reading, selection and delivery: events from the inputs, from a
 * topic's log (--consumer, --from, --since) or live from a topic (-T), kept
 * when they pass the filters, and written out, handed to --exec or --post,
 * or served (--serve, sse.c).  A consumer's position is committed once
 * what came before it was delivered.  A failure is said where it is
 * found, and its exit status returned up to main.
 */
#include <sys/stat.h>

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bus.h"
#include "cli.h"
#include "ce.h"
#include "input.h"
#include "timefmt.h"
#include "evsub_int.h"

struct bus *bus;		/* where topics are */

/* What became of an event handed to --exec or --post. */
enum handed {
	HANDED_OK,		/* delivered */
	HANDED_PARKED,		/* kept in the dead-letter file */
	HANDED_STOP,		/* not delivered: delivery stops */
	HANDED_GONE		/* --post's URL is gone (410) */
};

/*
 * Hands the event sub->mem holds (line[0..len) as read) to --post or
 * --exec.  A failure of ours (the dead-letter file unwritten, a request
 * not signed, no pipe), said, stops delivery as a failed delivery does,
 * status 1: nothing may be lost, and the position is not moved past the
 * event.
 */
static enum handed
hand(struct sub *sub, const char *line, size_t len,
    const struct ce_event *ev, const char *where)
{
	char err[2048];

	if (sub->post.url != NULL)
		switch (post_event(&sub->post, sub->mem.buf, sub->mem.len - 1,
		    line, len, where, err, sizeof(err))) {
		case POST_OK:
			return HANDED_OK;
		case POST_PARKED:
			return HANDED_PARKED;
		case POST_GONE:
			return HANDED_GONE;
		case POST_ERR:
			warnw(NULL, "%s", err);
			return HANDED_STOP;
		default:
			return HANDED_STOP;
		}
	switch (deliver_exec(&sub->d, sub->mem.buf, sub->mem.len - 1, line,
	    len, ev, where, err, sizeof(err))) {
	case DELIVER_OK:
		return HANDED_OK;
	case DELIVER_PARKED:
		return HANDED_PARKED;
	case DELIVER_ERR:
		warnw(NULL, "%s", err);
		return HANDED_STOP;
	default:
		return HANDED_STOP;
	}
}

/* What take did with an event. */
enum take {
	TAKE_OK,		/* delivered, or not wanted: go on */
	TAKE_LAST,		/* delivered, and -c is reached */
	TAKE_CLOSED,		/* not delivered: the reader went away */
	TAKE_FAIL,		/* not delivered: --exec or --post failed */
	TAKE_GONE		/* not delivered: --post's URL is gone */
};

/*
 * Notes which filters of an extension attribute found it in the event,
 * and which found their name as a field of its data instead, for hints.
 */
static void
notice(struct sub *sub, const struct scanner *sc, const struct ce_event *ev)
{
	struct jspan v;
	size_t i;

	for (i = 0; i < sub->nf; i++) {
		if (sub->seen[i] || sub->f[i].attr != CE_NATTR)
			continue;
		if (filter_lookup(&sub->f[i], sc, ev, &v)) {
			sub->seen[i] = 1;
			sub->unseen--;
		} else if (!sub->indata[i] && filter_lookup(&sub->asdata[i],
		    sc, ev, &v))
			sub->indata[i] = 1;
	}
}

/*
 * When events were read and none passed: says of each filter whose
 * attribute no event had what was likely meant, as evproject does: the
 * data field of that name, or the attribute the name is close to.  Once.
 */
void
hints(struct sub *sub)
{
	size_t i, j, best;
	const char *op;

	if (sub->hinted || sub->nread == 0 || sub->passed > 0 || sub->invert)
		return;
	sub->hinted = 1;
	for (i = 0; i < sub->nf; i++) {
		if (sub->seen[i] || sub->f[i].attr != CE_NATTR)
			continue;
		op = sub->f[i].text + strlen(sub->f[i].name);
		if (sub->indata[i]) {
			warnw("filter", "\"%s\": no event read has an attribute "
			    "%s, but their data has it: write 'data.%s'",
			    sub->f[i].text, sub->f[i].name, sub->f[i].text);
			continue;
		}
		for (j = 0, best = CE_NATTR; j < CE_NATTR; j++)
			if (editdist(sub->f[i].name, ce_names[j]) <= 2 &&
			    (best == CE_NATTR || editdist(sub->f[i].name,
			    ce_names[j]) < editdist(sub->f[i].name,
			    ce_names[best])))
				best = j;
		if (best != CE_NATTR)
			warnw("filter", "\"%s\": no event read has an attribute "
			    "%s; did you mean '%s%s'?", sub->f[i].text,
			    sub->f[i].name, ce_names[best], op);
		else
			warnw("filter", "\"%s\": no event read has an attribute "
			    "%s (an extension attribute), so none passes",
			    sub->f[i].text, sub->f[i].name);
	}
}

/*
 * Delivers the event line[0..len) (scanned in sc, checked as ev) when it
 * passes the filters: to o, or to --exec or --post, whose messages name
 * it as name:num.
 */
static enum take
take(struct sub *sub, struct out *o, const char *line, size_t len,
    struct scanner *sc, const struct ce_event *ev, const char *name,
    uint64_t num)
{
	char where[600];
	enum handed r;

	sub->nread++;
	if (sub->unseen > 0)
		notice(sub, sc, ev);
	if (filter_all(sub->f, sub->nf, sc, ev) == sub->invert)
		return TAKE_OK;
	sub->passed++;
	if (sub->d.argv != NULL || sub->post.url != NULL) {
		if (sub->fmt == FMT_TEMPLATE)
			tmpl_event(&sub->mem, &sub->tmpl, line, len, sc, ev);
		else
			fmt_event(&sub->mem, sub->fmt, line, len, sc, ev, 0);
		snprintf(where, sizeof(where), "%s:%llu", name,
		    (unsigned long long)num);
		r = hand(sub, line, len, ev, where);
		sub->mem.len = sub->mem.mark = 0;
		if (r == HANDED_GONE || r == HANDED_STOP)
			return r == HANDED_GONE ? TAKE_GONE : TAKE_FAIL;
		/* Parked, not lost: but the run did not deliver it. */
		sub->parked |= r == HANDED_PARKED;
	} else {
		if (sub->fmt == FMT_TEMPLATE)
			tmpl_event(o, &sub->tmpl, line, len, sc, ev);
		else
			fmt_event(o, sub->fmt, line, len, sc, ev, sub->color);
		if (o->closed)
			return TAKE_CLOSED;
	}
	return sub->count > 0 && ++sub->n >= sub->count ? TAKE_LAST : TAKE_OK;
}

/* The exit status of a run whose last take was t (or TAKE_OK). */
static int
runstatus(const struct common *c, const struct sub *sub, enum take t,
    int status)
{
	if (t == TAKE_GONE)
		return EXIT_GONE;
	if (t == TAKE_FAIL || sub->parked)
		return EXIT_FAIL;
	if (c->status != EXIT_OK)
		return c->status;
	/* -e: as grep and jq -e, 1 when nothing was selected. */
	if (status == EXIT_OK && sub->exitstatus && sub->passed == 0)
		return EXIT_FAIL;
	return status;
}

/*
 * Reads, selects and delivers until the inputs end, -c is reached, -w
 * expires, the reader goes away, or --exec fails for good.
 */
static int
subscribe(struct common *c, struct sub *sub, struct inputs *in,
    struct out *o)
{
	struct scanner sc;
	struct ce_event ev;
	struct input *from;
	struct line l;
	char err[512];
	enum take t = TAKE_OK;
	int status = EXIT_OK, st;

	scan_init(&sc);
	while (t == TAKE_OK && !o->closed) {
		st = inputs_next(in, &l, &from);
		if (st == RD_EOF)
			break;
		if (st == RD_ERROR) {
			warnwe(in->errwhere, "%s", in->errop);
			scan_free(&sc);
			return EXIT_FAIL;
		}
		if (st == RD_TIMEOUT) {
			status = EXIT_IDLE;
			break;
		}
		if (reject_unread(c, from->name, &l, st))
			continue;
		if (ce_validate(&sc, l.p, l.len, &ev, err, sizeof(err)) == -1) {
			reject(c, from->name, &l, "%s", err);
			continue;
		}
		if (sub->skipto > 0 && ce_sequence(&ev) <= sub->skipto)
			continue;
		t = take(sub, o, l.p, l.len, &sc, &ev, from->name, l.lineno);
	}
	scan_free(&sc);
	return runstatus(c, sub, t, status);
}

static struct bus_live *live;	/* a live subscription */
static const char *livename;	/* its topic */

/* Whether topic name exists (when not, said under why, if not NULL):
 * 1 or 0; -1 when the bus failed, said, *status its exit status. */
int
exists(const char *name, const char *why, int *status)
{
	char err[BUS_ERRMAX];
	int r = bus_exists(bus, name, why, err, sizeof(err));

	if (r != BUS_OK && r != BUS_NOTOPIC) {
		*status = busstatus(r, err);
		return -1;
	}
	return r == BUS_OK;
}

/* Waits until more may have come, or usec passed: EXIT_OK, or the
 * status of the bus's failure, said. */
static int
readwait(struct bus_reader *r, int64_t usec)
{
	char err[BUS_ERRMAX];
	int got;

	if ((got = bus_read_wait(r, usec, err, sizeof(err))) != BUS_OK)
		return busstatus(got, err);
	return EXIT_OK;
}

static int livestatus;		/* why the subscription ended under us */

/*
 * Whether the subscription was ended under us: the topic deleted (status
 * 8), or on the directory bus our FIFO removed by a publisher whose
 * --max-wait we outlasted (1).  Everything read was delivered first.
 * Returns 0, or -1 when it was, said, livestatus the exit status.
 */
static int
livecut(void)
{
	int st = EXIT_OK;

	if (livestatus != EXIT_OK)
		return -1;
	if (!bus_live_cutoff(live))
		return 0;
	switch (exists(livename, NULL, &st)) {
	case -1:
		livestatus = st != EXIT_OK ? st : EXIT_FAIL;
		return -1;
	case 0:
		warnw(livename, "the topic was deleted while this subscriber "
		    "listened (evsub --delete-topic)");
		livestatus = EXIT_NOTOPIC;
		return -1;
	}
	warnw(livename, "cut off by a publisher: this subscriber took "
	    "nothing for its --max-wait");
	livestatus = EXIT_FAIL;
	return -1;
}

static struct sub *waiting;	/* for the hints of a run that waits */

/* The flush hook of an input that waits: flush, and the hints once. */
static int
idleflush(void *o)
{
	out_idle(o);
	if (waiting != NULL)
		hints(waiting);
	return 0;
}

/* The flush hook of a live subscriber: flush, and see if we were cut
 * off (then -1: the reading stops). */
static int
liveflush(void *o)
{
	idleflush(o);
	return livecut();
}

/* A reading asked to stop by SIGTERM, SIGINT or SIGHUP: that signal. */
static volatile sig_atomic_t stopsig;

/* A reading asked to stop finishes the delivery in hand and commits it
 * (consume), then ends by the signal; asked again, it ends at once. */
static void
onstop(int sig)
{
	if (stopsig != 0) {
		signal(sig, SIG_DFL);
		raise(sig);
	}
	stopsig = sig;
}

/* Has the signals that stop a reading call onstop; restarted system
 * calls keep a delivery in hand whole. */
static void
stoppable(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = onstop;
	sa.sa_flags = SA_RESTART;
	sigemptyset(&sa.sa_mask);
	(void)sigaction(SIGTERM, &sa, NULL);
	(void)sigaction(SIGINT, &sa, NULL);
	(void)sigaction(SIGHUP, &sa, NULL);
}

static void
onsignal(int sig)
{
	if (live != NULL)
		bus_live_abort(live);
	signal(sig, SIG_DFL);
	raise(sig);
}

/*
 * Waits for topic name to exist, as a live subscriber that comes before
 * its first publisher does: it never makes the topic (a mistyped name
 * would be a new, empty one), and it says so, with the topics there are.
 * *waited is 1 when it waited, 0 when the topic was there.  Returns
 * EXIT_OK, EXIT_IDLE when -w expires first, or a bus's failure's status.
 */
static int
await_topic(const char *name, int64_t idle, int *waited)
{
	int64_t start = now_usec();
	int st = EXIT_OK, r;

	*waited = 0;
	if ((r = exists(name, "-T", &st)) != 0)
		return r == 1 ? EXIT_OK : st;
	*waited = 1;
	warnw("-T", "%s: waiting for a publisher to make it", name);
	while ((r = exists(name, NULL, &st)) == 0) {
		if (idle > 0 && now_usec() - start >= idle)
			return EXIT_IDLE;
		sleepms(100);
	}
	return r == 1 ? EXIT_OK : st;
}

/* Subscribes to topic name, live: its events come on in's one input.
 * Returns EXIT_OK, or the status of a failure, said. */
static int
subscribe_live(struct common *c, struct inputs *in, const char *name,
    const char *subname)
{
	const char *path;
	char err[BUS_ERRMAX];
	int fd, r;

	/* Before the subscription, which others see at once (--topics): a
	 * signal sent once it is seen ends it.  A shell starts a command in
	 * the background with SIGINT ignored, and one that came before the
	 * handler was lost, the subscriber going on for ever. */
	signal(SIGINT, onsignal);
	signal(SIGTERM, onsignal);
	signal(SIGHUP, onsignal);
	if ((r = bus_live_open(bus, name, subname, &live, err,
	    sizeof(err))) == BUS_ERROR)
		return busstatus(r, err);
	if (r != BUS_OK) {
		warnw(name, "%s", err);
		return EXIT_FAIL;
	}
	fd = bus_live_fd(live, &path);
	/* Publishers write whole events: a partial one is a dead writer's. */
	inputs_live(in, c, fd, path, name);
	livename = name;
	return EXIT_OK;
}

/*
 * Writes what is buffered for o, and when o is a file, makes it durable:
 * a position may only be committed past events that are.  Returns 0, -1
 * when the reader went away, or -2 when the fsync failed, said.
 */
static int
delivered(struct out *o)
{
	struct stat sb;

	if (out_flush(o) == -1)
		return -1;
	if (o->fd >= 0 && fstat(o->fd, &sb) == 0 && S_ISREG(sb.st_mode) &&
	    fsync(o->fd) == -1) {
		warnwe(o->name, "fsync");
		return -2;
	}
	return 0;
}

/*
 * The topic's log is damaged where err says: nothing at or after the
 * damage is delivered (never skipped), what came before it was delivered
 * and committed up to sequence done (when done is), and the run ends with
 * status 4, saying what to run: returned.
 */
static int
damaged(const char *name, const char *err, int done, uint64_t upto)
{
	if (!done)
		warnw(name, "the topic's log is damaged: %s; evlog repair -T "
		    "%s moves the damage aside (see evlog(5), Damage)", err,
		    shown(name, strlen(name)));
	else
		warnw(name, "the topic's log is %s; delivered up to sequence "
		    "%llu, and stopped: evlog repair -T %s moves the damage "
		    "aside (see evlog(5), Damage)", err,
		    (unsigned long long)upto, shown(name, strlen(name)));
	return EXIT_EXPECT;
}

/* Opens a reading of topic name from f into *r: EXIT_OK, or the status
 * of why not, said. */
static int
openreading(const char *name, const struct bus_from *f,
    struct bus_reader **r)
{
	char err[BUS_ERRMAX];
	int got;

	switch ((got = bus_read_open(bus, name, f, r, err, sizeof(err)))) {
	case BUS_OK:
		return EXIT_OK;
	case BUS_ERROR:
	case BUS_USAGE:
		return busstatus(got, err);
	case BUS_NOTOPIC:
		return EXIT_NOTOPIC;
	case BUS_BUSY:
		warnw(f->consumer, "a run of this consumer of topic %s is "
		    "going on: one at a time", name);
		return EXIT_BUSY;
	case BUS_PAST:
		warnw(f->consumer, "%s", err);
		return EXIT_FAIL;
	case BUS_DAMAGED:
		return damaged(name, err, 0, 0);
	default:
		warnw(name, "%s", err);
		return EXIT_FAIL;
	}
}

/*
 * The topic was deleted under a reading (evsub --delete-topic --force,
 * or on NATS the nats command): said, with what was delivered; the run
 * ends with status 8, returned.
 */
static int
deleted_under(const char *name, uint64_t done)
{
	warnw(name, "the topic was deleted while this run read it, after "
	    "sequence %llu (evsub --delete-topic)", (unsigned long long)done);
	return EXIT_NOTOPIC;
}

/* Commits what was delivered (the output written first) up to done:
 * EXIT_OK, or the status of a failure, said. */
static int
commit(const char *name, struct bus_reader *r, struct out *o, uint64_t done,
    uint64_t *committed, int64_t *when)
{
	char err[BUS_ERRMAX];
	int got;

	if (done <= *committed)
		return EXIT_OK;
	switch (delivered(o)) {
	case -1:
		return EXIT_OK;		/* the reader went: nothing to move */
	case -2:
		return EXIT_FAIL;
	}
	switch ((got = bus_read_commit(r, done, err, sizeof(err)))) {
	case BUS_OK:
		break;
	case BUS_NOTOPIC:
		return deleted_under(name, done);
	case BUS_ERROR:
	case BUS_USAGE:
		return busstatus(got, err);
	default:
		warnw("--consumer", "%s", err);
		return EXIT_FAIL;
	}
	*committed = done;
	*when = now_usec();
	return EXIT_OK;
}

/*
 * A durable consumer: reads the topic's log from the position after the
 * committed one, delivers, and commits the position once delivery
 * succeeded (the command exited 0 or the event was parked, the line was
 * written), at least every 1000 events and every second, and before it
 * waits or stops.  When delivery fails for good, the position stays
 * before that event, and the next run starts with it.  Without a
 * consumer (--from, --since): the same reading of the log, from there,
 * and nothing committed.  *upto, when not NULL, gets the last sequence
 * read.
 */
static int
consume(struct common *c, struct sub *sub, const char *name,
    const struct bus_from *f, int once, int64_t idle, struct out *o,
    uint64_t *upto)
{
	struct bus_reader *r;
	struct scanner sc;
	struct ce_event ev;
	const char *line;
	char err[512], where[600];
	uint64_t seq, done, committed;
	int64_t lastcommit, lastevent;
	size_t len;
	enum take t = TAKE_OK;
	int status = EXIT_OK, fail, got;

	if ((fail = openreading(name, f, &r)) != EXIT_OK)
		return fail;
	committed = done = bus_read_position(r);
	scan_init(&sc);
	lastcommit = lastevent = now_usec();
	for (;;) {
		got = bus_read_next(r, &line, &len, &seq, err, sizeof(err));
		if (got == BUS_FAIL) {
			warnw(name, "%s", err);
			fail = EXIT_FAIL;
			break;
		}
		if (got == BUS_ERROR) {
			fail = busstatus(got, err);
			break;
		}
		if (got == BUS_DAMAGED) {
			/* What was delivered is committed: a next run must
			 * not deliver it again. */
			if ((fail = commit(name, r, o, done, &committed,
			    &lastcommit)) == EXIT_OK)
				fail = damaged(name, err, 1, done);
			break;
		}
		if (got == BUS_NOTOPIC) {
			fail = delivered(o) == -2 ? EXIT_FAIL :
			    deleted_under(name, done);
			break;
		}
		if (got == BUS_OK) {
			lastevent = now_usec();
			if (ce_validate(&sc, line, len, &ev, err,
			    sizeof(err)) == -1) {
				snprintf(where, sizeof(where), "%s:%llu", name,
				    (unsigned long long)seq);
				if ((fail = commit(name, r, o, done,
				    &committed, &lastcommit)) == EXIT_OK) {
					warnw(where, "not an event in the log: "
					    "%s (see evlog verify)", err);
					fail = EXIT_FAIL;
				}
				break;
			}
			t = take(sub, o, line, len, &sc, &ev, name, seq);
			/* Not delivered: the next run starts with it. */
			if (t != TAKE_OK && t != TAKE_LAST)
				break;
			done = seq;
			if (t == TAKE_OK && !stopsig && done - committed <
			    1000 && now_usec() - lastcommit < 1000000)
				continue;
		}
		if ((fail = commit(name, r, o, done, &committed,
		    &lastcommit)) != EXIT_OK)
			break;
		if (t == TAKE_LAST || o->closed || stopsig)
			break;
		if (got == BUS_OK)
			continue;
		if (once)
			break;
		if (idle > 0 && now_usec() - lastevent >= idle) {
			status = EXIT_IDLE;
			break;
		}
		hints(sub);
		if ((fail = readwait(r, idle > 0 ? idle -
		    (now_usec() - lastevent) : -1)) != EXIT_OK)
			break;
	}
	if (fail == EXIT_OK)
		fail = commit(name, r, o, done, &committed, &lastcommit);
	if (upto != NULL)
		*upto = done;
	scan_free(&sc);
	bus_read_close(r);
	return fail != EXIT_OK ? fail : runstatus(c, sub, t, status);
}

/*
 * A live subscriber of a topic.  When it waited for the topic to be made,
 * what was published before its subscription was in place is taken from
 * the log first, from the first event up to where the log ends then;
 * every later event reaches the subscription (a bus fans out after it
 * appends), and those the log gave already are skipped there by sequence.
 */
static int
live_main(struct common *c, struct sub *sub, const struct opts *op,
    struct inputs *in, struct out *o)
{
	struct bus_from all = { NULL, 1, NOTIME };
	int waited, status;

	if ((status = await_topic(op->topic, op->idle, &waited)) != EXIT_OK)
		return status;
	if ((status = subscribe_live(c, in, op->topic, op->subname)) !=
	    EXIT_OK)
		return status;
	if (waited) {
		status = consume(c, sub, op->topic, &all, 1, 0, o,
		    &sub->skipto);
		if (status != EXIT_OK || o->closed || (sub->count > 0 &&
		    sub->n >= sub->count))
			goto done;
	}
	in->idle = op->idle;
	in->flush = liveflush;
	in->arg = o;
	status = subscribe(c, sub, in, o);
	/* The bus ended the subscription (NATS closes its pipe). */
	if (status == EXIT_OK && !o->closed)
		liveflush(o);
	/* Ended under us (liveflush): said, with its status. */
	if (livestatus != EXIT_OK)
		status = livestatus;
done:
	inputs_close(in);
	bus_live_close(live);
	return status;
}

/* evsub --serve: the inputs, or a topic, to HTTP clients (sse.c). */
static int
serve_main(struct common *c, struct sub *sub, struct opts *op)
{
	struct sse *s = &op->serve;
	struct inputs in;
	char err[2048];
	int status;

	s->bus = bus;
	s->topic = op->topic;
	s->c = c;
	s->f = sub->f;
	s->nf = sub->nf;
	s->invert = sub->invert;
	s->quiet = c->quiet;
	if (op->topic == NULL) {
		if (inputs_open(&in, c, op->paths, op->npaths,
		    op->follow) == -1) {
			warnwe(in.errwhere, "%s", in.errop);
			return EXIT_FAIL;
		}
		s->in = &in;
	}
	switch (sse_run(s, err, sizeof(err))) {
	case SSE_OK:
		status = EXIT_OK;
		break;
	case SSE_ENDED:
		status = c->status;
		break;
	case SSE_NOTOPIC:
		status = EXIT_NOTOPIC;
		break;
	case SSE_ADDR:
		warnw(NULL, "%s", err);
		status = EXIT_USAGE;
		break;
	case SSE_FAIL:
		warnw(NULL, "%s", err);
		status = EXIT_FAIL;
		break;
	default:	/* SSE_BROKEN: said */
		status = EXIT_FAIL;
		break;
	}
	if (op->topic == NULL)
		inputs_close(&in);
	return status;
}

/*
 * The sequence --from or --last names on topic name, its end known, into
 * *at.  A start past the next event to come waits for the ones before it
 * to be published: said, since it is most often a slip (a topic's
 * sequence is not another's); with --once there is nothing to wait for,
 * and nothing to say.  Returns EXIT_OK, EXIT_NOTOPIC when there is no
 * such topic (said), or a bus's failure's status.
 */
static int
fromwhere(const char *name, const struct startpos *p, int once,
    uint64_t *at)
{
	char err[BUS_ERRMAX];
	uint64_t last, seq;
	int st = EXIT_OK, r;

	if ((r = exists(name, "-T", &st)) != 1)
		return r == 0 ? EXIT_NOTOPIC : st;
	if ((r = bus_last(bus, name, &last, err, sizeof(err))) != BUS_OK)
		return busstatus(r, err);
	seq = startseq(p, last);
	if (seq > last + 1 && !once)
		warnw("--from", "%llu is past the end of topic %s, whose last "
		    "event is %llu: waiting for %llu to %llu to be published "
		    "first (--from end: only what comes; --from -N: the "
		    "last N)", (unsigned long long)seq, name,
		    (unsigned long long)last, (unsigned long long)last + 1,
		    (unsigned long long)seq - 1);
	*at = seq;
	return EXIT_OK;
}

/* Reads, selects and delivers: the inputs, a topic's log, or a topic. */
int
run(struct common *c, struct sub *sub, struct opts *op)
{
	struct bus_from f = { op->consumer, 0, op->since };
	struct inputs in;
	struct out o;
	int status;

	out_open(&o, op->output);
	out_mem(&sub->mem);
	sub->color = common_color(c, o.fd);
	waiting = sub;
	if (op->fromset && (status = fromwhere(op->topic, &op->from,
	    op->once, &f.seq)) != EXIT_OK)
		goto done;
	if (op->serve.addr != NULL)
		status = serve_main(c, sub, op);
	else if (op->consumer != NULL || op->fromset || op->since != NOTIME) {
		stoppable();
		status = consume(c, sub, op->topic, &f, op->once, op->idle,
		    &o, NULL);
	}
	else if (op->topic != NULL)
		status = live_main(c, sub, op, &in, &o);
	else if (inputs_open(&in, c, op->paths, op->npaths,
	    op->follow) == -1) {
		warnwe(in.errwhere, "%s", in.errop);
		status = EXIT_FAIL;
	} else {
		in.idle = op->idle;
		in.flush = idleflush;
		in.arg = &o;
		status = subscribe(c, sub, &in, &o);
		inputs_close(&in);
	}
done:
	(void)closeout(&o);
	(void)closeout(&sub->mem);
	/* Stopped by a signal, all delivered committed: ended by it. */
	if (stopsig != 0) {
		signal(stopsig, SIG_DFL);
		raise(stopsig);
	}
	return status;
}
