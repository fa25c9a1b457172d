/*
 * evsub - select events and deliver them.
 *
 * Reads events from standard input or the -i inputs (following them with
 * -f), keeps those that pass every filter, and writes them out as read, or
 * thin, or their data alone, or one line for people; or runs a command per
 * event with --exec; or POSTs each to a webhook with --post.
 */
#include <sys/inotify.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
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
    OPT_ONCE, OPT_POST, OPT_PRETTY, OPT_RETRIES, OPT_SECRET, OPT_THIN,
    OPT_TIMEOUT, OPT_TOPICS };

static const struct option longopts[] = {
	{ "binary", no_argument, NULL, OPT_BINARY },
	{ "consumer", required_argument, NULL, OPT_CONSUMER },
	{ "count", required_argument, NULL, 'c' },
	{ "data", no_argument, NULL, OPT_DATA },
	{ "dead-letter", required_argument, NULL, OPT_DEADLETTER },
	{ "follow", no_argument, NULL, 'f' },
	{ "input", required_argument, NULL, 'i' },
	{ "invert", no_argument, NULL, 'v' },
	{ "once", no_argument, NULL, OPT_ONCE },
	{ "output", required_argument, NULL, 'o' },
	{ "post", required_argument, NULL, OPT_POST },
	{ "pretty", no_argument, NULL, OPT_PRETTY },
	{ "retries", required_argument, NULL, OPT_RETRIES },
	{ "secret", required_argument, NULL, OPT_SECRET },
	{ "thin", no_argument, NULL, OPT_THIN },
	{ "timeout", required_argument, NULL, OPT_TIMEOUT },
	{ "topic", required_argument, NULL, 'T' },
	{ "topics", no_argument, NULL, OPT_TOPICS },
	{ "wait", required_argument, NULL, 'w' },
	COMMON_LONGOPTS,
	{ NULL, 0, NULL, 0 }
};

static void
usage(FILE *f, int status)
{
	fprintf(f,
"usage: evsub [-fqv] [-c count] [-i path] [-o path] [-w seconds]\n"
"             [-T topic [--consumer name [--once]]]\n"
"             [--data | --pretty | --thin] [--binary] [--dead-letter file]\n"
"             [--max-size size] [--post url] [--rejects file] [--retries n]\n"
"             [--secret secret] [--timeout seconds] [filter ...]\n"
"             [--exec command [arg ...]]\n"
"       evsub --topics\n");
	if (f == stdout) {
		fprintf(f,
"\n"
"filters (all must hold):\n"
"  NAME              the attribute is set          subject\n"
"  NAME=GLOB         matches (!= does not)         type=order.*\n"
"  data.PATH OP VAL  a data field: = != > >= < <=  data.total>100\n"
"  -c, --count N          exit after N events\n"
"  -f, --follow           follow files and FIFOs as they grow\n"
"  -i, --input PATH       read PATH (repeatable; default stdin)\n"
"  -o, --output PATH      append to a file, or write to a FIFO\n"
"  -q, --quiet            no message per rejected line\n"
"  -T, --topic NAME       listen to a topic: its events while we listen\n"
"  -v, --invert           keep the events that do not pass\n"
"  -w, --wait SECONDS     exit (status 5) when nothing comes for so long\n"
"      --binary           with --post: CloudEvents binary mode\n"
"      --consumer NAME    -T: a durable consumer: every event of the\n"
"                         topic's log from where NAME left off\n"
"      --data             write only the data, one JSON value a line\n"
"      --pretty           one line for people: time type subject data\n"
"      --thin             drop data and data_base64: a notification\n"
"      --dead-letter FILE keep events --exec or --post failed to deliver\n"
"      --max-size SIZE    the longest event (default 1M)\n"
"      --once             --consumer: deliver what is there, then exit\n"
"      --post URL         POST each event to URL (a webhook)\n"
"      --rejects FILE     keep rejected lines there\n"
"      --retries N        tries of --exec or --post after the first\n"
"                         (default 3)\n"
"      --secret whsec_... with --post: sign as Standard Webhooks does\n"
"                         (default $EVENTFUL_WEBHOOK_SECRET)\n"
"      --timeout SECONDS  with --post: the most a request may take (15)\n"
"      --topics           list topics, live subscribers, consumers\n"
"      --exec CMD [ARG..] run CMD per event, the event on its stdin\n"
"      --help, --version  this help; the version\n"
"\n"
"exit status: 0 ok, 1 failure, 2 usage, 3 invalid input lines,\n"
"             5 -w: nothing came in time, 6 --post: the URL is gone (410),\n"
"             7 --consumer: running already\n");
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
	long long n = 0;
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
		if (sub->count > 0 && ++n >= sub->count)
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

static void
listen_topic(struct common *c, struct inputs *in, const char *name)
{
	struct topic *t = &live;
	char *tmp, *path, *paths[1];

	topic_init(t, name, 1);
	path = livepath = topic_listen(t, &tmp);
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
 * before that event, and the next run starts with it.
 */
static int
consume(struct common *c, struct sub *sub, const char *name,
    const char *consumer, int once, int64_t idle, struct out *o)
{
	struct topic t;
	struct store st;
	struct logread lr;
	struct scanner sc;
	struct ce_event ev;
	const char *line;
	char err[512], where[600], evbuf[4096];
	uint64_t seq, done, committed;
	int64_t lastcommit, lastevent;
	long long n = 0;
	size_t len;
	int status = EXIT_OK, r, dr, parked = 0, ifd = -1, stop = 0;

	topic_init(&t, name, 1);
	if (topic_consumer_lock(&t, consumer) == -1)
		errw(EXIT_BUSY, consumer, "a run of this consumer of topic %s "
		    "is going on: one at a time", name);
	if (store_open(&st, t.log, 1, err, sizeof(err)) == -1)
		errw(EXIT_FAIL, t.log, "%s", err);
	if (store_tail(&st, 1, err, sizeof(err)) == -1)
		errw(EXIT_FAIL, t.log, "%s", err);
	committed = done = topic_position(&t, consumer);
	if (done > st.last)
		errw(EXIT_FAIL, consumer, "position %llu is past the end of "
		    "topic %s (sequence %llu): was its log replaced?",
		    (unsigned long long)done, name,
		    (unsigned long long)st.last);
	logread_init(&lr, &st, done + 1);
	/* Found where to start: the index is no use to a follower now. */
	store_unpeek(&st);
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
		r = logread_next(&lr, &line, &len, &seq);
		if (r == 1) {
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
				if (sub->count > 0 && ++n >= sub->count)
					stop = 1;
			}
			done = seq;
			if (done - committed < 1000 &&
			    now_usec() - lastcommit < 1000000 && !stop)
				continue;
		}
		/* Commit what was delivered: the output written first. */
		if (done > committed && delivered(o) == 0) {
			topic_commit(&t, consumer, done);
			committed = done;
			lastcommit = now_usec();
		}
		if (r == 1 || stop)
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
		if (store_tail(&st, 0, err, sizeof(err)) == -1)
			errw(EXIT_FAIL, t.log, "%s", err);
	}
	if (done > committed && delivered(o) == 0)
		topic_commit(&t, consumer, done);
	if (ifd >= 0)
		close(ifd);
	scan_free(&sc);
	logread_free(&lr);
	store_close(&st);
	topic_free(&t);
	if (status == EXIT_GONE)
		return status;
	if (status == EXIT_FAIL || parked)
		return EXIT_FAIL;
	return c->status != EXIT_OK ? c->status : status;
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

int
main(int argc, char *argv[])
{
	struct common c;
	struct inputs in;
	struct sub sub;
	struct out o;
	const char *output = NULL, *errstr, *nc, *topic = NULL,
	    *consumer = NULL, *secret = NULL;
	char **paths = NULL, err[512], **cmd;
	long long v, idle = 0;
	size_t npaths = 0, i;
	int ch, follow = 0, status, once = 0, topics = 0;

	stdfds();
	setprogname(argv[0]);
	common_init(&c, usage);
	memset(&sub, 0, sizeof(sub));
	sub.d.retries = 3;
	cmd = splitexec(&argc, argv);
	while ((ch = getopt_long(argc, argv, "c:fi:o:qT:vw:", longopts,
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
		case OPT_ONCE:
			once = 1;
			break;
		case OPT_TOPICS:
			topics = 1;
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
			secret = optarg;
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
		warnw(NULL, "--binary, --secret and --timeout are for --post");
		usage(stderr, EXIT_USAGE);
	}
	if (topics) {
		if (argc > 0 || cmd != NULL || topic != NULL || output != NULL ||
		    npaths > 0 || follow) {
			warnw(NULL, "--topics takes no other option");
			usage(stderr, EXIT_USAGE);
		}
		topic_list(stdout);
		stdout_done();
		return EXIT_OK;
	}
	if (topic != NULL && (npaths > 0 || follow)) {
		warnw(NULL, "-T reads the topic: not with -i or -f");
		usage(stderr, EXIT_USAGE);
	}
	if (consumer != NULL && topic == NULL) {
		warnw(NULL, "--consumer is for -T");
		usage(stderr, EXIT_USAGE);
	}
	if (once && consumer == NULL) {
		warnw(NULL, "--once is for --consumer");
		usage(stderr, EXIT_USAGE);
	}
	sub.f = xmalloc((argc ? (size_t)argc : 1) * sizeof(*sub.f));
	for (sub.nf = 0; sub.nf < (size_t)argc; sub.nf++)
		if (filter_parse(&sub.f[sub.nf], argv[sub.nf], err,
		    sizeof(err)) == -1) {
			warnw("filter", "%s", err);
			usage(stderr, EXIT_USAGE);
		}
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
	nc = getenv("NO_COLOR");
	sub.color = isatty(o.fd) && (nc == NULL || *nc == '\0');
	if (consumer != NULL) {
		status = consume(&c, &sub, topic, consumer, once, idle, &o);
		(void)out_close(&o);
		(void)out_close(&sub.mem);
		goto done;
	}
	if (topic != NULL)
		listen_topic(&c, &in, topic);
	else
		inputs_open(&in, &c, paths, npaths, follow);
	in.idle = idle;
	in.flush = topic != NULL ? liveflush : out_idle;
	in.arg = &o;
	status = subscribe(&c, &sub, &in, &o);
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
