/*
 * evsub - select events and deliver them.
 *
 * Reads events from standard input or the -i inputs (following them with
 * -f), keeps those that pass every filter, and writes them out as read, or
 * thin, or their data alone, or one line for people; or runs a command per
 * event with --exec; or POSTs each to a webhook with --post.
 */
#include <sys/inotify.h>
#include <sys/ioctl.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "common.h"
#include "deliver.h"
#include "event.h"
#include "filter.h"
#include "format.h"
#include "input.h"
#include "output.h"
#include "post.h"
#include "timefmt.h"
#include "topic.h"
#include "util.h"

enum { OPT_BINARY = OPT_FIRST_OWN, OPT_CONSUMER, OPT_DATA, OPT_DEADLETTER,
    OPT_DELETE, OPT_DELETETOPIC, OPT_FORCE, OPT_FROM, OPT_INTERVAL, OPT_JSON,
    OPT_NAME, OPT_ONCE, OPT_POST, OPT_PRETTY, OPT_RESET, OPT_RETRIES,
    OPT_SECRET, OPT_SECRETFILE, OPT_SINCE, OPT_THIN, OPT_TIMEOUT, OPT_TOPICS,
    OPT_WATCH };

static const struct option longopts[] = {
	{ "binary", no_argument, NULL, OPT_BINARY },
	{ "consumer", required_argument, NULL, OPT_CONSUMER },
	{ "count", required_argument, NULL, 'c' },
	{ "data", no_argument, NULL, OPT_DATA },
	{ "dead-letter", required_argument, NULL, OPT_DEADLETTER },
	{ "delete", no_argument, NULL, OPT_DELETE },
	{ "delete-topic", required_argument, NULL, OPT_DELETETOPIC },
	{ "follow", no_argument, NULL, 'f' },
	{ "force", no_argument, NULL, OPT_FORCE },
	{ "from", required_argument, NULL, OPT_FROM },
	{ "input", required_argument, NULL, 'i' },
	{ "interval", required_argument, NULL, OPT_INTERVAL },
	{ "invert", no_argument, NULL, 'v' },
	{ "json", no_argument, NULL, OPT_JSON },
	{ "name", required_argument, NULL, OPT_NAME },
	{ "once", no_argument, NULL, OPT_ONCE },
	{ "output", required_argument, NULL, 'o' },
	{ "post", required_argument, NULL, OPT_POST },
	{ "pretty", no_argument, NULL, OPT_PRETTY },
	{ "reset", required_argument, NULL, OPT_RESET },
	{ "retries", required_argument, NULL, OPT_RETRIES },
	{ "secret", required_argument, NULL, OPT_SECRET },
	{ "secret-file", required_argument, NULL, OPT_SECRETFILE },
	{ "since", required_argument, NULL, OPT_SINCE },
	{ "thin", no_argument, NULL, OPT_THIN },
	{ "timeout", required_argument, NULL, OPT_TIMEOUT },
	{ "topic", required_argument, NULL, 'T' },
	{ "topics", no_argument, NULL, OPT_TOPICS },
	{ "wait", required_argument, NULL, 'w' },
	{ "watch", no_argument, NULL, OPT_WATCH },
	COLOR_LONGOPT,
	COMMON_LONGOPTS,
	{ NULL, 0, NULL, 0 }
};

static void
usage(FILE *f, int status)
{
	if (f != stdout)
		tryhelp();
	fprintf(f,
"usage: evsub [-fqv] [-c count] [-i path] [-o path] [-w seconds]\n"
"             [-T topic [--consumer name | --name name | --from seq |\n"
"             --since time] [--once]]\n"
"             [--data | --pretty | --thin] [--binary] [--color when]\n"
"             [--dead-letter file] [--max-size size] [--post url]\n"
"             [--rejects file] [--retries n]\n"
"             [--secret secret | --secret-file file] [--timeout seconds]\n"
"             [filter ...]\n"
"             [--exec command [arg ...]]\n"
"       evsub -T topic --consumer name --reset seq | time\n"
"       evsub -T topic --consumer name --delete\n"
"       evsub --delete-topic topic [--force]\n"
"       evsub --topics [--json | --watch [-c count] [--color when]\n"
"             [--interval seconds]]\n");
	if (f == stdout) {
		fprintf(f,
"\n"
"filters (all must hold):\n"
"  NAME              the attribute is set          subject\n"
"  NAME=GLOB[,GLOB]  one matches (!= none does)    type=order.*,user.*\n"
"  data.PATH OP VAL  a data field: = != > >= < <=  data.total>100\n"
"  -c, --count N          exit after N events (--watch: N refreshes)\n"
"  -f, --follow           follow files and FIFOs as they grow\n"
"  -i, --input PATH       read PATH (repeatable; default stdin)\n"
"  -o, --output PATH      append to a file, or write to a FIFO\n"
"  -q, --quiet            no message per rejected line\n"
"  -T, --topic NAME       listen to a topic: its events while we listen\n"
"  -v, --invert           keep the events that do not pass\n"
"  -w, --wait SECONDS     exit (status 5) when nothing comes for so long\n"
"      --binary           with --post: CloudEvents binary mode\n"
"      --color WHEN       --pretty and --watch: auto (on a terminal but\n"
"                         TERM=dumb, without $NO_COLOR), always or never\n"
"      --consumer NAME    -T: a durable consumer: every event of the\n"
"                         topic's log from where NAME left off\n"
"      --data             write only the data, one JSON value a line\n"
"      --delete           -T --consumer: delete the consumer, and exit\n"
"      --delete-topic NAME delete a topic (not while in use), and exit\n"
"      --force            --delete-topic: even while in use\n"
"      --from SEQ         -T: the log from SEQ on, then what comes\n"
"      --json             --topics: one JSON object a topic\n"
"      --pretty           one line for people: time type subject data\n"
"      --thin             drop data and data_base64: a notification\n"
"      --dead-letter FILE keep events --exec or --post failed to deliver\n"
"      --interval SECONDS --watch: time between refreshes (default 1)\n"
"      --max-size SIZE    the longest event (default 1M)\n"
"      --name NAME        -T: the name --topics shows for this subscriber\n"
"      --once             --consumer, --from, --since: deliver what is\n"
"                         there, then exit\n"
"      --post URL         POST each event to URL (a webhook)\n"
"      --rejects FILE     keep rejected lines there\n"
"      --reset SEQ|TIME   -T --consumer: its next run starts at SEQ, or at\n"
"                         the first event of TIME or later; then exit\n"
"      --retries N        tries of --exec or --post after the first\n"
"                         (default 3)\n"
"      --secret whsec_... with --post: sign as Standard Webhooks does\n"
"                         (default $EVENTFUL_WEBHOOK_SECRET)\n"
"      --secret-file FILE --secret from FILE's first line\n"
"      --since TIME       -T: the log from TIME on (1h: an hour ago),\n"
"                         then what comes\n"
"      --timeout SECONDS  with --post: the most a request may take (15)\n"
"      --topics           list topics, live subscribers, consumers\n"
"      --watch            --topics, refreshed: on a terminal, in place\n"
"      --exec CMD [ARG..] run CMD per event, the event on its stdin\n"
"  -h, --help, --version  this help; the version\n"
"\n"
"exit status: 0 ok, 1 failure, 2 usage, 3 invalid input lines,\n"
"             5 -w: nothing came in time (or no topic was made),\n"
"             6 --post: the URL is gone (410),\n"
"             7 --consumer: running already (--delete-topic: in use),\n"
"             8 no such topic (--consumer, --from, --since, --reset,\n"
"             --delete, --delete-topic)\n");
		stdout_done();
	}
	exit(status);
}

struct sub {
	struct filter *f;	/* the filters */
	size_t nf;		/* how many */
	int invert;		/* -v */
	int fmt;		/* enum fmt */
	int color;		/* --pretty on a terminal */
	long long count;	/* -c, or 0 */
	struct deliver d;	/* --exec, and --post's retries */
	struct post post;	/* --post */
	struct out mem;		/* what --exec or --post hands on */
	long long n;		/* events delivered, for -c */
	uint64_t skipto;	/* a live subscriber that waited for its
				   topic: the sequences it took from the log,
				   not to be taken again from its FIFO */
};

/* --post, in deliver_exec's terms: 0, 1 parked, -1 stop, -2 gone. */
static int
deliver_post(struct sub *sub, const char *line, size_t len,
    const char *where)
{
	switch (post_event(&sub->post, sub->mem.buf, sub->mem.len - 1, line,
	    len, where)) {
	case POST_OK:
		return 0;
	case POST_PARKED:
		return 1;
	case POST_GONE:
		return -2;
	default:
		return -1;
	}
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
	int status = EXIT_OK, st, r, parked = 0;

	scan_init(&sc);
	while (!o->closed) {
		st = inputs_next(in, &l, &from);
		if (st == RD_EOF)
			break;
		if (st == RD_TIMEOUT) {
			status = EXIT_IDLE;
			break;
		}
		if (st == RD_TOOLONG) {
			reject(c, from->name, &l, "longer than %zu bytes "
			    "(--max-size)", c->maxsize);
			continue;
		}
		if (st == RD_NUL) {
			reject(c, from->name, &l, "a NUL byte in the line");
			continue;
		}
		if (ce_validate(&sc, l.p, l.len, &ev, err, sizeof(err)) == -1) {
			reject(c, from->name, &l, "%s", err);
			continue;
		}
		if (sub->skipto > 0 && log_seqof(&ev) <= sub->skipto)
			continue;
		if (filter_all(sub->f, sub->nf, &sc, &ev) == sub->invert)
			continue;
		if (sub->d.argv != NULL || sub->post.url != NULL) {
			char where[512];

			fmt_event(&sub->mem, sub->fmt, l.p, l.len, &sc, &ev, 0);
			snprintf(where, sizeof(where), "%s:%llu", from->name,
			    (unsigned long long)l.lineno);
			r = sub->post.url != NULL ? deliver_post(sub, l.p, l.len,
			    where) : deliver_exec(&sub->d, sub->mem.buf,
			    sub->mem.len - 1, l.p, l.len, &ev, where);
			sub->mem.len = sub->mem.mark = 0;
			if (r < 0) {
				status = r == -2 ? EXIT_GONE : EXIT_FAIL;
				break;
			}
			/* Parked, not lost: but the run did not deliver it. */
			if (r == 1)
				parked = 1;
		} else
			fmt_event(o, sub->fmt, l.p, l.len, &sc, &ev,
			    sub->color);
		if (sub->count > 0 && ++sub->n >= sub->count)
			break;
	}
	scan_free(&sc);
	if (status == EXIT_GONE)
		return status;
	if (status == EXIT_FAIL || parked)
		return EXIT_FAIL;
	return c->status != EXIT_OK ? c->status : status;
}

/* The flush hook of a live subscriber: flush, and see if we were cut off. */
static const char *topicname;

static void
liveflush(void *o)
{
	out_idle(o);
	if (topic_cutoff())
		errw(EXIT_FAIL, topicname, "cut off by a publisher: this "
		    "subscriber took nothing for its --max-wait");
}

static void
onsignal(int sig)
{
	topic_unlisten();
	signal(sig, SIG_DFL);
	raise(sig);
}

/*
 * Listens to a topic: a FIFO under subs/, made under a hidden name, open
 * for reading before it is put in place, removed on exit.
 */
static struct topic live;	/* the topic listened to */
static char *livepath;		/* our FIFO in it */

/*
 * Waits for topic name to exist, as a live subscriber that comes before
 * its first publisher does: it never makes the topic (a mistyped name
 * would be a new, empty one), and it says so, with the topics there are.
 * Returns 1 when it waited, 0 when the topic was there; exits 5 when -w
 * expires first.
 */
static int
await_topic(const char *name, int64_t idle)
{
	int64_t start = now_usec();

	if (topic_exists(name, "-T"))
		return 0;
	warnw("-T", "%s: waiting for a publisher to make it", name);
	while (!topic_exists(name, NULL)) {
		if (idle > 0 && now_usec() - start >= idle)
			exit(EXIT_IDLE);
		sleepms(100);
	}
	return 1;
}

/*
 * Listens to a topic: a FIFO under subs/, made under a hidden name, open
 * for reading before it is put in place, removed on exit.
 */
static void
listen_topic(struct common *c, struct inputs *in, const char *name,
    const char *subname)
{
	struct topic *t = &live;
	char *tmp, *path, *paths[1];

	topic_init(t, name, 1);
	path = livepath = topic_listen(t, subname, &tmp);
	paths[0] = tmp;
	inputs_open(in, c, paths, 1, 1);
	/* Room for a burst: publishers wait less, and so do we. */
	(void)fcntl(in->v[0].r.fd, F_SETPIPE_SZ, 1 << 20);
	topic_inplace(tmp, path);
	/* Publishers write whole events: a partial one is a dead writer's. */
	in->v[0].whole = 1;
	in->v[0].r.tail = 1;
	in->v[0].path = path;
	in->v[0].name = t->name;
	topicname = t->name;
	atexit(topic_unlisten);
	signal(SIGINT, onsignal);
	signal(SIGTERM, onsignal);
	signal(SIGHUP, onsignal);
	free(tmp);
}

/*
 * Writes what is buffered for o, and when o is a file, makes it durable:
 * a position may only be committed past events that are.  Returns 0, or
 * -1 when the reader went away.
 */
static int
delivered(struct out *o)
{
	struct stat sb;

	if (out_flush(o) == -1)
		return -1;
	if (o->fd >= 0 && fstat(o->fd, &sb) == 0 && S_ISREG(sb.st_mode) &&
	    fsync(o->fd) == -1)
		errwe(EXIT_FAIL, o->name, "fsync");
	return 0;
}

/*
 * A durable consumer: reads the topic's log from the position after the
 * committed one, delivers, and commits the position once delivery
 * succeeded (the command exited 0 or the event was parked, the line was
 * written), at least every 1000 events and every second, and before it
 * waits or stops.  When delivery fails for good, the position stays
 * before that event, and the next run starts with it.  Without a
 * consumer (--from, --since): the same reading of the log, from sequence
 * from, and nothing committed.
 */
static int
consume(struct common *c, struct sub *sub, const char *name,
    const char *consumer, uint64_t from, int once, int64_t idle,
    struct out *o, uint64_t *upto)
{
	struct topic t;
	struct log *lg;
	struct log_cursor *lc;
	struct scanner sc;
	struct ce_event ev;
	const char *line;
	char err[512], where[600], evbuf[4096];
	uint64_t seq, done, committed;
	int64_t lastcommit, lastevent;
	size_t len;
	int status = EXIT_OK, r, dr, parked = 0, ifd = -1, stop = 0;

	/* A consumer of a topic that does not exist has nothing to take,
	 * and must not make it (see listen_topic). */
	if (!topic_exists(name, "-T"))
		exit(EXIT_NOTOPIC);
	topic_init(&t, name, 1);
	if (consumer != NULL && topic_consumer_lock(&t, consumer) == -1)
		errw(EXIT_BUSY, consumer, "a run of this consumer of topic %s "
		    "is going on: one at a time", name);
	if ((lg = log_open(t.log, 1, err, sizeof(err))) == NULL) {
		topic_denied(t.log, "open");
		errw(EXIT_FAIL, t.log, "%s", err);
	}
	if (log_refresh(lg, err, sizeof(err)) != LOG_OK)
		errw(EXIT_FAIL, t.log, "%s", err);
	committed = done = consumer != NULL ? topic_position(&t, consumer) :
	    from - 1;
	if (consumer != NULL && done > log_last(lg))
		errw(EXIT_FAIL, consumer, "position %llu is past the end of "
		    "topic %s (sequence %llu): was its log replaced?",
		    (unsigned long long)done, name,
		    (unsigned long long)log_last(lg));
	/* The cursor lets go of the index once it has found where to
	 * start: it is no use to a follower. */
	if ((lc = log_cursor_open(lg, done + 1, err, sizeof(err))) == NULL)
		errw(EXIT_FAIL, t.log, "%s", err);
	scan_init(&sc);
	if (!once) {
		ifd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
		if (ifd >= 0 && inotify_add_watch(ifd, t.log, IN_MODIFY) == -1) {
			close(ifd);
			ifd = -1;
		}
	}
	lastcommit = lastevent = now_usec();
	while (!stop) {
		if ((r = log_next(lc, &line, &len, &seq, err, sizeof(err))) ==
		    LOG_IO || r == LOG_DAMAGED)
			errw(EXIT_FAIL, t.log, "%s", err);
		if (r == LOG_OK) {
			lastevent = now_usec();
			snprintf(where, sizeof(where), "%s:%llu", name,
			    (unsigned long long)seq);
			if (ce_validate(&sc, line, len, &ev, err,
			    sizeof(err)) == -1)
				errw(EXIT_FAIL, where, "not an event in the "
				    "log: %s (see evlog verify)", err);
			if (filter_all(sub->f, sub->nf, &sc, &ev) !=
			    sub->invert) {
				if (sub->d.argv != NULL ||
				    sub->post.url != NULL) {
					fmt_event(&sub->mem, sub->fmt, line,
					    len, &sc, &ev, 0);
					dr = sub->post.url != NULL ?
					    deliver_post(sub, line, len,
					    where) : deliver_exec(&sub->d,
					    sub->mem.buf, sub->mem.len - 1,
					    line, len, &ev, where);
					sub->mem.len = sub->mem.mark = 0;
					if (dr < 0) {
						/* Not delivered (no 2xx, the
						 * command failed): the next
						 * run starts with it. */
						status = dr == -2 ? EXIT_GONE :
						    EXIT_FAIL;
						break;
					}
					parked |= dr == 1;
				} else {
					fmt_event(o, sub->fmt, line, len, &sc,
					    &ev, sub->color);
					if (o->closed)
						break;
				}
				if (sub->count > 0 && ++sub->n >= sub->count)
					stop = 1;
			}
			done = seq;
			if (done - committed < 1000 &&
			    now_usec() - lastcommit < 1000000 && !stop)
				continue;
		}
		/* Commit what was delivered: the output written first. */
		if (done > committed && delivered(o) == 0) {
			if (consumer != NULL)
				topic_commit(&t, consumer, done);
			committed = done;
			lastcommit = now_usec();
		}
		if (r == LOG_OK || stop)
			continue;
		if (once || o->closed)
			break;
		if (idle > 0 && now_usec() - lastevent >= idle) {
			status = EXIT_IDLE;
			break;
		}
		/* Follow: inotify wakes us, a tick checks anyway. */
		{
			struct pollfd pfd = { ifd, POLLIN, 0 };

			(void)poll(&pfd, ifd >= 0 ? 1 : 0, ifd >= 0 ? 1000 :
			    100);
			if (ifd >= 0)
				while (read(ifd, evbuf, sizeof(evbuf)) > 0)
					;
		}
		if (log_refresh(lg, err, sizeof(err)) != LOG_OK)
			errw(EXIT_FAIL, t.log, "%s", err);
	}
	if (done > committed && delivered(o) == 0 && consumer != NULL)
		topic_commit(&t, consumer, done);
	if (upto != NULL)
		*upto = done;
	if (ifd >= 0)
		close(ifd);
	scan_free(&sc);
	log_cursor_close(lc);
	log_close(lg);
	topic_free(&t);
	if (status == EXIT_GONE)
		return status;
	if (status == EXIT_FAIL || parked)
		return EXIT_FAIL;
	return c->status != EXIT_OK ? c->status : status;
}

/* ---- --topics --watch: the flow of events, as a class can watch it ---- */

#define VIEW_COLS 80	/* the widest line drawn, whatever the terminal */
#define NAME_W 24	/* the name column */
#define BAR_AT 57	/* where the lag bar starts: name, sequence, rate, lag */

static volatile sig_atomic_t stopsig;	/* the signal that ends the watch */
static int drawing;			/* the cursor is hidden */

static void
onstop(int sig)
{
	stopsig = sig;
}

/* Shows the cursor again: at the end, and at any exit on the way. */
static void
showcursor(void)
{
	if (!drawing)
		return;
	drawing = 0;
	fputs("\033[?25h", stdout);
	(void)fflush(stdout);
}

static int64_t
mono_usec(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* One frame of the terminal view, drawn in memory and written at once so
 * that the screen never shows half of one. */
struct frame {
	FILE *f;		/* the frame, in memory */
	int cols;		/* the room for a line */
	int rows;		/* the terminal's rows */
	int lines;		/* lines drawn */
	int left;		/* lines that did not fit */
	int color;		/* on a terminal and no NO_COLOR */
};

/* Draws one line: text in style sgr, then tail in style tsgr, cut to
 * the width; an SGR of NULL is plain. */
static void
fline(struct frame *fr, const char *sgr, const char *text, const char *tsgr,
    const char *tail)
{
	int room = fr->cols, n;

	/* The last row stays free: a newline there would scroll the view;
	 * the one above is for the line that counts what did not fit. */
	if (fr->lines >= fr->rows - 2) {
		fr->left++;
		return;
	}
	fr->lines++;
	for (; text != NULL && room > 0; text = tail, tail = NULL,
	    sgr = tsgr) {
		n = (int)strlen(text) < room ? (int)strlen(text) : room;
		room -= n;
		if (fr->color && sgr != NULL)
			fprintf(fr->f, "\033[%sm%.*s\033[m", sgr, n, text);
		else
			fprintf(fr->f, "%.*s", n, text);
	}
	/* Clear what an older, longer line left there. */
	fputs("\033[K\n", fr->f);
}

/* The full scale of the lag bars: the largest lag, rounded up to 1, 2 or
 * 5 times a power of ten, and at least 10, so that the scale is a number
 * a reader can take in, and a lag of one or two is not a full bar. */
static uint64_t
lagscale(const struct topic_stat *v, size_t n)
{
	uint64_t most = 0, lag, p;
	size_t i, j;

	for (i = 0; i < n; i++)
		for (j = 0; j < v[i].ncons; j++)
			if (v[i].cons[j].err == NULL &&
			    (lag = topic_lag(&v[i], v[i].cons[j].pos)) > most)
				most = lag;
	for (p = 10; p < UINT64_MAX / 10; p *= 10) {
		if (most <= p)
			return p;
		if (most <= 2 * p)
			return 2 * p;
		if (most <= 5 * p)
			return 5 * p;
	}
	return UINT64_MAX;
}

/* A lag as a bar of width cells: any lag at all shows one. */
static void
lagbar(char *bar, int width, uint64_t lag, uint64_t scale)
{
	int fill = 0;

	if (lag > 0)
		fill = lag >= scale ? width : 1 + (int)((long double)lag *
		    (width - 1) / scale);
	memset(bar, '#', (size_t)fill);
	memset(bar + fill, ' ', (size_t)(width - fill));
	bar[width] = '\0';
}

/* The line of live subscribers: by name, else by pid. */
static void
drawlive(struct frame *fr, const struct topic_stat *s)
{
	char line[VIEW_COLS + 64];
	size_t j, at;

	at = (size_t)snprintf(line, sizeof(line), "  live:%s",
	    s->nlive == 0 ? " none" : "");
	for (j = 0; j < s->nlive && at < sizeof(line); j++) {
		if (s->live[j].name != NULL)
			at += (size_t)snprintf(line + at, sizeof(line) - at,
			    "%s %s", j ? "," : "", s->live[j].name);
		else
			at += (size_t)snprintf(line + at, sizeof(line) - at,
			    "%s pid %ld", j ? "," : "", s->live[j].pid);
	}
	/* More than fit: say so rather than cut a name in two. */
	if (at >= (size_t)fr->cols && fr->cols > 8)
		strcpy(line + fr->cols - 4, " ...");
	fline(fr, NULL, line, NULL, NULL);
}

/* A topic: its sequence and rate, who listens, and its consumers. */
static void
drawtopic(struct frame *fr, const struct topic_stat *s, double rate,
    uint64_t scale)
{
	char line[VIEW_COLS + 64], bar[VIEW_COLS + 1], r[32], lag[32];
	const struct topic_pos *c;
	int barw = fr->cols - BAR_AT - 3;
	size_t j;

	if (rate < 0)
		r[0] = '\0';
	else
		snprintf(r, sizeof(r), "%.1f/s", rate);
	snprintf(line, sizeof(line), "%-*.*s%12llu%10s", NAME_W, NAME_W,
	    s->name, (unsigned long long)s->last, r);
	fline(fr, "1", line, NULL, NULL);
	drawlive(fr, s);
	for (j = 0; j < s->ncons; j++) {
		c = &s->cons[j];
		if (c->err != NULL) {
			snprintf(line, sizeof(line), "  %-*.*s%12s%10s%10s",
			    NAME_W - 2, NAME_W - 2, c->name, "?", "", "?");
			fline(fr, NULL, line, NULL, NULL);
			continue;
		}
		snprintf(lag, sizeof(lag), "%llu",
		    (unsigned long long)topic_lag(s, c->pos));
		snprintf(line, sizeof(line), "  %-*.*s%12llu%10s%10s  |",
		    NAME_W - 2, NAME_W - 2, c->name,
		    (unsigned long long)c->pos, "", lag);
		if (barw < 4) {
			line[BAR_AT] = '\0';
			fline(fr, NULL, line, NULL, NULL);
			continue;
		}
		lagbar(bar, barw, topic_lag(s, c->pos), scale);
		strcat(bar, "|");
		fline(fr, NULL, line, "33", bar);
	}
}

/* Sets the frame's room from the terminal's size. */
static void
framesize(struct frame *fr)
{
	struct winsize ws;

	fr->cols = VIEW_COLS;
	fr->rows = 24;
	if (ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0) {
		fr->cols = ws.ws_col < VIEW_COLS ? ws.ws_col : VIEW_COLS;
		fr->rows = ws.ws_row > 2 ? ws.ws_row : 2;
	}
}

/* Draws the whole view over the last one, from the top left corner. */
static void
drawview(const struct topic_stat *v, size_t n, const double *rate,
    int64_t interval, int color)
{
	struct frame fr = { 0 };
	char *buf = NULL, *home = topic_home(), line[VIEW_COLS + 64],
	    when[RFC3339_LEN + 1];
	size_t len = 0, i;
	uint64_t scale = lagscale(v, n);

	framesize(&fr);
	fr.color = color;
	if ((fr.f = open_memstream(&buf, &len)) == NULL)
		errwe(EXIT_FAIL, NULL, "open_memstream");
	fputs("\033[H", fr.f);
	rfc3339_format(now_usec(), when);
	snprintf(line, sizeof(line), "eventful topics  %.8s UTC  every %gs"
	    "  ^C ends", when + 11, interval / 1e6);
	fline(&fr, "7", line, NULL, NULL);
	snprintf(line, sizeof(line), "in %s", home);
	fline(&fr, NULL, line, NULL, NULL);
	snprintf(line, sizeof(line), "%-*s%12s%10s%10s  lag bar: full at "
	    "%llu", NAME_W, "TOPIC  consumer", "SEQ  POS", "RATE", "LAG",
	    (unsigned long long)scale);
	fline(&fr, "4", line, NULL, NULL);
	if (n == 0)
		fline(&fr, NULL, "no topics yet: evpub -T NAME publishes to "
		    "one", NULL, NULL);
	for (i = 0; i < n; i++)
		drawtopic(&fr, &v[i], rate[i], scale);
	if (fr.left > 0) {
		fr.rows++;
		snprintf(line, sizeof(line), "... %d more line%s: a taller "
		    "window shows %s", fr.left, fr.left == 1 ? "" : "s",
		    fr.left == 1 ? "it" : "them");
		fline(&fr, NULL, line, NULL, NULL);
	}
	/* Clear what an older, longer frame left below. */
	fputs("\033[J", fr.f);
	if (fclose(fr.f) == EOF)
		errwe(EXIT_FAIL, NULL, "open_memstream");
	if (fwrite(buf, 1, len, stdout) != len || fflush(stdout) == EOF)
		errwe(EXIT_FAIL, "stdout", "write");
	free(buf);
	free(home);
}

/* The plain form: one block of --topics lines per refresh, each after
 * the refresh's number, the first with its time. */
static void
printblock(unsigned long long k, const struct topic_stat *v, size_t n,
    const double *rate)
{
	char pre[32], r[32], when[RFC3339_LEN + 1];
	size_t i;

	snprintf(pre, sizeof(pre), "%llu\t", k);
	rfc3339_format(now_usec(), when);
	printf("%stime %s\n", pre, when);
	for (i = 0; i < n; i++) {
		if (rate[i] < 0)
			strcpy(r, "-");
		else
			snprintf(r, sizeof(r), "%.1f", rate[i]);
		topic_print(stdout, pre, &v[i], r);
	}
	if (fflush(stdout) == EOF || ferror(stdout)) {
		/* The reader went away: not an error. */
		if (errno == EPIPE)
			exit(EXIT_OK);
		errwe(EXIT_FAIL, "stdout", "write");
	}
}

/* Events per second of each topic of v since the survey pv, usec ago;
 * -1 for a topic that was not in it (or none came before). */
static void
rates(double *rate, const struct topic_stat *v, size_t n,
    const struct topic_stat *pv, size_t pn, int64_t usec)
{
	size_t i, j = 0;
	int c = 1;

	for (i = 0; i < n; i++) {
		rate[i] = -1;
		/* Both are sorted by name: walk them together. */
		while (j < pn && (c = strcmp(pv[j].name, v[i].name)) < 0)
			j++;
		if (pv == NULL || j >= pn || c != 0 || usec <= 0)
			continue;
		/* A log replaced by a shorter one: nothing came. */
		rate[i] = v[i].last > pv[j].last ? (double)(v[i].last -
		    pv[j].last) * 1e6 / (double)usec : 0;
	}
}

/* Waits until the monotonic time at, or a signal: returns 0, or -1 when
 * a signal asks us to stop.  The signals are blocked but here, so that
 * one cannot come between the check and the wait and be missed. */
static int
pause_until(int64_t at, const sigset_t *open)
{
	struct timespec ts;
	int64_t left;

	while (!stopsig && (left = at - mono_usec()) > 0) {
		ts.tv_sec = left / 1000000;
		ts.tv_nsec = (left % 1000000) * 1000;
		(void)ppoll(NULL, 0, &ts, open);
	}
	return stopsig ? -1 : 0;
}

/* Blocks the signals that end the watch, and catches them; *open gets
 * the mask to wait with. */
static void
catchstop(sigset_t *open)
{
	static const int sigs[] = { SIGINT, SIGTERM, SIGHUP };
	struct sigaction sa;
	sigset_t block;
	size_t i;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = onstop;
	sigemptyset(&block);
	for (i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++) {
		sigaddset(&block, sigs[i]);
		(void)sigaction(sigs[i], &sa, NULL);
	}
	sigprocmask(SIG_BLOCK, &block, open);
	/* A reader that goes away is seen by EPIPE. */
	signal(SIGPIPE, SIG_IGN);
}

/*
 * Shows every topic each interval microseconds, count times (0: until a
 * signal): on a terminal, one view redrawn in place; else plain blocks.
 * A signal ends it with the cursor shown, and then does what it does.
 */
static int
watch_topics(int64_t interval, long long count, int color)
{
	struct topic_stat *v, *pv = NULL;
	size_t n, pn = 0;
	double *rate;
	sigset_t open;
	int64_t start, t, pt = 0;
	long long k;
	int tty = term_escapes(STDOUT_FILENO);

	catchstop(&open);
	if (tty) {
		drawing = 1;
		atexit(showcursor);
		fputs("\033[?25l\033[H\033[2J", stdout);
	}
	start = mono_usec();
	for (k = 1; ; k++) {
		t = mono_usec();
		n = topic_survey(&v);
		rate = xmalloc((n ? n : 1) * sizeof(*rate));
		rates(rate, v, n, pv, pn, t - pt);
		if (tty)
			drawview(v, n, rate, interval, color);
		else
			printblock((unsigned long long)k, v, n, rate);
		free(rate);
		topic_survey_free(pv, pn);
		pv = v;
		pn = n;
		pt = t;
		if ((count > 0 && k >= count) ||
		    pause_until(start + k * interval, &open) == -1)
			break;
	}
	topic_survey_free(pv, pn);
	showcursor();
	if (stopsig) {
		signal(stopsig, SIG_DFL);
		sigprocmask(SIG_SETMASK, &open, NULL);
		raise(stopsig);
	}
	return EXIT_OK;
}

/* ---- replay, rewind and deletion: no file edited by hand ---- */

#define NOTIME INT64_MIN	/* --since or --reset gave no time */

/*
 * Where a reading of topic name starts: seq when it is not 0, else the
 * first event whose time is since or later (the end when none is).
 */
static uint64_t
startat(const char *name, uint64_t seq, int64_t since)
{
	struct topic t;
	uint64_t at;

	if (seq > 0)
		return seq;
	topic_init(&t, name, 0);
	at = topic_seek_time(&t, since);
	topic_free(&t);
	return at;
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
	struct topic t;
	uint64_t last, was, to;
	int known;

	if (!topic_exists(name, "-T"))
		return EXIT_NOTOPIC;
	topic_init(&t, name, 1);
	if (topic_consumer_lock(&t, consumer) == -1)
		errw(EXIT_BUSY, consumer, "a run of this consumer of topic %s "
		    "is going on: stop it, then --reset", name);
	last = topic_last(&t);
	to = startat(name, seq, since);
	if (to > last + 1)
		errw(EXIT_USAGE, "--reset", "%llu: past the end of topic %s, "
		    "whose last sequence is %llu (%llu skips all there is)",
		    (unsigned long long)to, name, (unsigned long long)last,
		    (unsigned long long)last + 1);
	known = topic_consumer_exists(&t, consumer);
	was = known ? topic_position(&t, consumer) : 0;
	topic_commit(&t, consumer, to - 1);
	warnw(consumer, "position %s%llu -> %llu on topic %s: its next run "
	    "starts at sequence %llu", known ? "" : "(new) ",
	    (unsigned long long)was, (unsigned long long)to - 1, name,
	    (unsigned long long)to);
	topic_free(&t);
	return EXIT_OK;
}

/* evsub -T NAME --consumer C --delete: C's position and lock go. */
static int
delete_consumer(const char *name, const char *consumer)
{
	struct topic t;
	uint64_t was;

	if (!topic_exists(name, "-T"))
		return EXIT_NOTOPIC;
	topic_init(&t, name, 1);
	if (!topic_consumer_exists(&t, consumer))
		errw(EXIT_FAIL, consumer, "no such consumer of topic %s "
		    "(evsub --topics lists them)", name);
	if (topic_consumer_lock(&t, consumer) == -1)
		errw(EXIT_BUSY, consumer, "a run of this consumer of topic %s "
		    "is going on: stop it, then --delete", name);
	was = topic_position(&t, consumer);
	topic_consumer_delete(&t, consumer);
	warnw(consumer, "deleted, at position %llu of topic %s: a run of that "
	    "name starts again from the start", (unsigned long long)was, name);
	topic_free(&t);
	return EXIT_OK;
}

/* evsub --delete-topic NAME [--force]. */
static int
delete_topic(const char *name, int force)
{
	char err[512];

	if (!topic_exists(name, "--delete-topic"))
		return EXIT_NOTOPIC;
	if (topic_delete(name, force, err, sizeof(err)) == -1)
		errw(EXIT_BUSY, name, "in use: %s", err);
	warnw(name, "topic deleted, its log and consumers with it");
	return EXIT_OK;
}

/*
 * evsub --topics, once, --json or --watch.  others tells whether an
 * option that --topics does not take was given.
 */
static int
topics_main(struct common *c, struct sub *sub, int others, int watch,
    int64_t interval, int json)
{
	if (others || c->rejects != NULL || c->quiet || sub->fmt != FMT_EVENT) {
		warnw(NULL, "--topics takes no other option but --json, "
		    "--watch, -c and --interval");
		usage(stderr, EXIT_USAGE);
	}
	if (json && watch) {
		warnw(NULL, "--json and --watch exclude each other");
		usage(stderr, EXIT_USAGE);
	}
	if (!watch && (sub->count > 0 || interval > 0)) {
		warnw(NULL, "-c and --interval are for --watch");
		usage(stderr, EXIT_USAGE);
	}
	if (watch)
		return watch_topics(interval > 0 ? interval : 1000000,
		    sub->count, common_color(c, STDOUT_FILENO));
	if (topic_any()) {
		if (json)
			topic_list_json(stdout);
		else
			topic_list(stdout);
	}
	stdout_done();
	return EXIT_OK;
}

/*
 * Splits "--exec CMD ARG..." off the command line: it takes the rest, so
 * the command's own options are never read as ours.
 */
static char **
splitexec(int *argc, char **argv)
{
	int i;

	for (i = 1; i < *argc; i++) {
		if (strcmp(argv[i], "--") == 0)
			return NULL;
		if (strcmp(argv[i], "--exec") == 0) {
			argv[i] = NULL;
			*argc = i;
			return argv + i + 1;
		}
	}
	return NULL;
}

/* A bad option value: a usage error. */
static void
badval(const char *opt, const char *arg, const char *why)
{
	warnw(opt, "%s: %s", arg, why);
	usage(stderr, EXIT_USAGE);
}

static void
setfmt(struct sub *sub, int fmt)
{
	if (sub->fmt != FMT_EVENT && sub->fmt != fmt) {
		warnw(NULL, "--data, --pretty and --thin exclude each other");
		usage(stderr, EXIT_USAGE);
	}
	sub->fmt = fmt;
}

/* Checks what goes with --post, and takes the secret. */
static void
postopts(struct sub *sub, char **cmd, const char *output, const char *secret)
{
	char err[256];

	if (cmd != NULL || output != NULL) {
		warnw(NULL, "--post, --exec and -o exclude each other");
		usage(stderr, EXIT_USAGE);
	}
	if (sub->fmt == FMT_DATA || sub->fmt == FMT_PRETTY) {
		warnw(NULL, "--post sends events: not --data or --pretty");
		usage(stderr, EXIT_USAGE);
	}
	if (secret == NULL)
		secret = getenv("EVENTFUL_WEBHOOK_SECRET");
	if (secret == NULL || *secret == '\0')
		return;
	if (whsig_key(&sub->post.key, secret, err, sizeof(err)) == -1)
		badval("--secret", "whsec_...", err);
	sub->post.sign = 1;
}

/* --reset's argument: a sequence (digits), or a time. */
static void
resetarg(const char *arg, uint64_t *seq, int64_t *usec)
{
	const char *errstr;
	long long v;

	if (arg[strspn(arg, "0123456789")] == '\0') {
		if (parsenum(arg, 1, 1LL << 62, &v, &errstr) == -1)
			badval("--reset", arg, errstr);
		*seq = (uint64_t)v;
	} else if (time_parse(arg, now_usec(), usec) == -1)
		badval("--reset", arg, "not a sequence (1 is the first event) "
		    "nor " TIME_SYNTAX);
}

/* Tells whether path is a file one could read events from. */
static int
isfile(const char *path)
{
	struct stat sb;

	return stat(path, &sb) == 0 && (S_ISREG(sb.st_mode) ||
	    S_ISFIFO(sb.st_mode));
}

/*
 * Parses the filters.  An argument that names a file is most likely one
 * meant as input, as cat and jq take it: the hint says -i.
 */
static void
filters(struct sub *sub, int argc, char **argv)
{
	char err[512];

	sub->f = xmalloc((argc ? (size_t)argc : 1) * sizeof(*sub->f));
	for (sub->nf = 0; sub->nf < (size_t)argc; sub->nf++) {
		if (filter_parse(&sub->f[sub->nf], argv[sub->nf], err,
		    sizeof(err)) == 0) {
			/* A bare name is a filter (the attribute is set),
			 * and may be a file too: both are said. */
			if (strpbrk(argv[sub->nf], "=<>!") == NULL &&
			    isfile(argv[sub->nf]))
				warnw("filter", "\"%s\" is also a file here: "
				    "to read it, -i %s", argv[sub->nf],
				    argv[sub->nf]);
			continue;
		}
		if (isfile(argv[sub->nf]))
			warnw("filter", "\"%s\": a file, not a filter: to "
			    "read it, -i %s", argv[sub->nf], argv[sub->nf]);
		else
			warnw("filter", "%s", err);
		usage(stderr, EXIT_USAGE);
	}
}

/*
 * The usage errors of the topic options, and --reset, --delete and
 * --delete-topic, which do their work and return a status (-1: none of
 * them was asked for).
 */
static int
topic_admin(const char *topic, const char *consumer, const char *deltopic,
    int force, int del, uint64_t resetseq, int64_t resettime,
    int others)
{
	int reset = resetseq > 0 || resettime != NOTIME;

	if (force && deltopic == NULL) {
		warnw(NULL, "--force is for --delete-topic");
		usage(stderr, EXIT_USAGE);
	}
	if (deltopic != NULL) {
		if (others || topic != NULL || consumer != NULL || del ||
		    reset) {
			warnw(NULL, "--delete-topic takes no other option but "
			    "--force");
			usage(stderr, EXIT_USAGE);
		}
		return delete_topic(deltopic, force);
	}
	if (!del && !reset)
		return -1;
	if (topic == NULL || consumer == NULL || others || (del && reset)) {
		warnw(NULL, "--reset and --delete go with -T and --consumer "
		    "alone, one at a time");
		usage(stderr, EXIT_USAGE);
	}
	return del ? delete_consumer(topic, consumer) :
	    reset_consumer(topic, consumer, resetseq, resettime);
}

int
main(int argc, char *argv[])
{
	struct common c;
	struct inputs in;
	struct sub sub;
	struct out o;
	const char *output = NULL, *errstr, *topic = NULL, *deltopic = NULL,
	    *consumer = NULL, *secret = NULL, *subname = NULL;
	char **paths = NULL, err[512], **cmd;
	long long v, idle = 0, interval = 0;
	uint64_t from = 0, resetseq = 0;
	int64_t since = NOTIME, resettime = NOTIME;
	size_t npaths = 0, i;
	int ch, follow = 0, status, once = 0, topics = 0, watch = 0, json = 0,
	    del = 0, force = 0;

	stdfds();
	setprogname(argv[0]);
	common_init(&c, usage);
	memset(&sub, 0, sizeof(sub));
	sub.d.retries = 3;
	cmd = splitexec(&argc, argv);
	while ((ch = getopt_long(argc, argv, "c:fhi:o:qT:vw:", longopts,
	    NULL)) != -1) {
		switch (ch) {
		case 'T':
			if (!topic_name_ok(optarg))
				badval("-T", optarg, "a topic name is letters, "
				    "digits, '.', '_' and '-', not starting "
				    "with '.' nor ending in .tmp or .lock");
			topic = optarg;
			break;
		case OPT_CONSUMER:
			if (!topic_name_ok(optarg))
				badval("--consumer", optarg, "a consumer name "
				    "is as a topic name");
			consumer = optarg;
			break;
		case OPT_DELETE:
			del = 1;
			break;
		case OPT_DELETETOPIC:
			if (!topic_name_ok(optarg))
				badval("--delete-topic", optarg, "not a topic "
				    "name");
			deltopic = optarg;
			break;
		case OPT_FORCE:
			force = 1;
			break;
		case OPT_FROM:
			if (parsenum(optarg, 1, 1LL << 62, &v, &errstr) == -1)
				badval("--from", optarg, errstr);
			from = (uint64_t)v;
			break;
		case OPT_INTERVAL:
			if (parsesecs(optarg, 3600, &interval, &errstr) == -1)
				badval("--interval", optarg, errstr);
			if (interval < 100000)
				badval("--interval", optarg, "too small: 0.1 "
				    "is the least");
			break;
		case OPT_JSON:
			json = 1;
			break;
		case OPT_NAME:
			if (!topic_name_ok(optarg))
				badval("--name", optarg, "a subscriber's name "
				    "is as a topic name: letters, digits, '.', "
				    "'_' and '-', not starting with '.' nor "
				    "ending in .tmp or .lock");
			subname = optarg;
			break;
		case OPT_ONCE:
			once = 1;
			break;
		case OPT_RESET:
			resetarg(optarg, &resetseq, &resettime);
			break;
		case OPT_SINCE:
			if (time_parse(optarg, now_usec(), &since) == -1)
				badval("--since", optarg, "not " TIME_SYNTAX);
			break;
		case OPT_TOPICS:
			topics = 1;
			break;
		case OPT_WATCH:
			watch = 1;
			break;
		case 'c':
			if (parsenum(optarg, 1, 1LL << 62, &sub.count,
			    &errstr) == -1)
				badval("-c", optarg, errstr);
			break;
		case 'f':
			follow = 1;
			break;
		case 'i':
			paths = xrealloc(paths, (npaths + 1) * sizeof(*paths));
			paths[npaths++] = optarg;
			break;
		case 'o':
			output = optarg;
			break;
		case 'v':
			sub.invert = 1;
			break;
		case 'w':
			if (parsesecs(optarg, 1e7, &idle, &errstr) == -1)
				badval("-w", optarg, errstr);
			break;
		case OPT_BINARY:
			sub.post.binary = 1;
			break;
		case OPT_DATA:
			setfmt(&sub, FMT_DATA);
			break;
		case OPT_DEADLETTER:
			sub.d.dlpath = optarg;
			break;
		case OPT_POST:
			sub.post.url = optarg;
			break;
		case OPT_PRETTY:
			setfmt(&sub, FMT_PRETTY);
			break;
		case OPT_RETRIES:
			if (parsenum(optarg, 0, 100, &v, &errstr) == -1)
				badval("--retries", optarg, errstr);
			sub.d.retries = (int)v;
			break;
		case OPT_SECRET:
		case OPT_SECRETFILE:
			if (secret != NULL)
				badval(ch == OPT_SECRET ? "--secret" :
				    "--secret-file", optarg, "a second secret: "
				    "--secret or --secret-file, once");
			secret = ch == OPT_SECRET ? optarg :
			    secret_file("--secret-file", optarg);
			break;
		case OPT_THIN:
			setfmt(&sub, FMT_THIN);
			break;
		case OPT_TIMEOUT:
			if (parsesecs(optarg, 3600, &v, &errstr) == -1)
				badval("--timeout", optarg, errstr);
			sub.post.timeout = v < 1000 ? 1 : (long)(v / 1000);
			break;
		default:
			if (!common_opt(&c, ch, optarg))
				usage(stderr, EXIT_USAGE);
		}
	}
	argc -= optind;
	argv += optind;
	if (cmd != NULL && cmd[0] == NULL) {
		warnw(NULL, "--exec needs a command");
		usage(stderr, EXIT_USAGE);
	}
	if (cmd != NULL && output != NULL) {
		warnw(NULL, "--exec and -o exclude each other");
		usage(stderr, EXIT_USAGE);
	}
	if (sub.d.dlpath != NULL && cmd == NULL && sub.post.url == NULL) {
		warnw(NULL, "--dead-letter is for --exec and --post");
		usage(stderr, EXIT_USAGE);
	}
	if (sub.post.url != NULL)
		postopts(&sub, cmd, output, secret);
	else if (sub.post.binary || secret != NULL || sub.post.timeout) {
		warnw(NULL, "--binary, --secret, --secret-file and --timeout "
		    "are for --post");
		usage(stderr, EXIT_USAGE);
	}
	if (topics)
		return topics_main(&c, &sub, argc > 0 || cmd != NULL ||
		    topic != NULL || output != NULL || npaths > 0 || follow ||
		    subname != NULL || idle > 0 || sub.invert ||
		    deltopic != NULL || from > 0 || since != NOTIME ||
		    resetseq > 0 || resettime != NOTIME || del || force, watch,
		    interval, json);
	if ((status = topic_admin(topic, consumer, deltopic, force, del,
	    resetseq, resettime, argc > 0 || cmd != NULL || output != NULL ||
	    npaths > 0 || follow || subname != NULL || once || idle > 0 ||
	    from > 0 || since != NOTIME || sub.post.url != NULL)) != -1)
		return status;
	if (json) {
		warnw(NULL, "--json is for --topics");
		usage(stderr, EXIT_USAGE);
	}
	if ((from > 0 || since != NOTIME) && (topic == NULL || consumer !=
	    NULL || subname != NULL || (from > 0 && since != NOTIME))) {
		warnw(NULL, "--from or --since reads a topic's log: -T, one of "
		    "them, not --consumer (--reset moves a consumer) nor "
		    "--name");
		usage(stderr, EXIT_USAGE);
	}
	if (watch || interval > 0) {
		warnw(NULL, "--watch and --interval are for --topics");
		usage(stderr, EXIT_USAGE);
	}
	if (subname != NULL && (topic == NULL || consumer != NULL)) {
		warnw(NULL, "--name names a live subscriber: -T without "
		    "--consumer");
		usage(stderr, EXIT_USAGE);
	}
	if (topic != NULL && (npaths > 0 || follow)) {
		warnw(NULL, "-T reads the topic: not with -i or -f");
		usage(stderr, EXIT_USAGE);
	}
	if (consumer != NULL && topic == NULL) {
		warnw(NULL, "--consumer is for -T");
		usage(stderr, EXIT_USAGE);
	}
	if (once && consumer == NULL && from == 0 && since == NOTIME) {
		warnw(NULL, "--once is for --consumer, --from and --since");
		usage(stderr, EXIT_USAGE);
	}
	filters(&sub, argc, argv);
	sub.d.argv = cmd;
	common_start(&c);
	deliver_open(&sub.d);
	if (sub.post.url != NULL && post_open(&sub.post, &sub.d, err,
	    sizeof(err)) == -1) {
		warnw("--post", "%s", err);
		usage(stderr, EXIT_USAGE);
	}
	out_open(&o, output);
	out_mem(&sub.mem);
	sub.color = common_color(&c, o.fd);
	if (consumer != NULL || from > 0 || since != NOTIME) {
		/* A topic that is not there: consume says so. */
		if (since != NOTIME && topic_exists(topic, NULL))
			from = startat(topic, 0, since);
		status = consume(&c, &sub, topic, consumer, from, once, idle,
		    &o, NULL);
		(void)out_close(&o);
		(void)out_close(&sub.mem);
		goto done;
	}
	if (topic != NULL) {
		int waited = await_topic(topic, idle);

		listen_topic(&c, &in, topic, subname);
		/*
		 * What was published while we waited came before our FIFO was
		 * in place: take it from the log, up to where the log ends
		 * now.  Publishers fan out under the log's lock, after the
		 * append, so every later event reaches the FIFO; those the
		 * log gave already are skipped there, by sequence.
		 */
		if (waited) {
			status = consume(&c, &sub, topic, NULL, 1, 1, 0, &o,
			    &sub.skipto);
			if (status != EXIT_OK || o.closed || (sub.count > 0 &&
			    sub.n >= sub.count))
				goto live_done;
		}
	} else
		inputs_open(&in, &c, paths, npaths, follow);
	in.idle = idle;
	in.flush = topic != NULL ? liveflush : out_idle;
	in.arg = &o;
	status = subscribe(&c, &sub, &in, &o);
live_done:
	(void)out_close(&o);
	(void)out_close(&sub.mem);
	inputs_close(&in);
	if (topic != NULL) {
		topic_unlisten();
		topic_free(&live);
		free(livepath);
	}
done:
	post_close(&sub.post);
	for (i = 0; i < sub.nf; i++)
		filter_free(&sub.f[i]);
	free(sub.f);
	free(paths);
	return status;
}
