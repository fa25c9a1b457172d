/* SPDX-License-Identifier: ISC */
/*
 * evlog - the event log: append events durably with sequence numbers,
 * replay them, verify and repair the file, and count what it holds.  Each
 * command is a row of cmds[], with a handler that parses its own options
 * and calls into the log (log.h).
 */
#include <sys/stat.h>

#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ack.h"
#include "cli.h"
#include "common.h"
#include "ce.h"
#include "id.h"
#include "log.h"
#include "out.h"
#include "bus.h"
#include "timefmt.h"
#include "topiclist.h"
#include "util.h"

#define BATCH_EVENTS 65536		/* most events in one group commit */
#define BATCH_BYTES (8 << 20)		/* most bytes in one group commit */
#define CAT_UNIT (128 << 10)		/* cat gathers lines up to this */

enum {
	OPT_BUS = OPT_FIRST_OWN, OPT_CREDS, OPT_EXPECT, OPT_FROM, OPT_JSON,
	OPT_SINCE, OPT_SYNC, OPT_TO, OPT_UNTIL
};

/*
 * Every command parses with the same table: a letter means the same thing
 * in each, and one that belongs to another command is named as such.
 */
#define OPTSTRING ":fhn:qs:T:"
static const struct option longopts[] = {
	{ "bus", required_argument, NULL, OPT_BUS },
	{ "creds", required_argument, NULL, OPT_CREDS },
	{ "expect", required_argument, NULL, OPT_EXPECT },
	{ "follow", no_argument, NULL, 'f' },
	{ "from", required_argument, NULL, OPT_FROM },
	{ "json", no_argument, NULL, OPT_JSON },
	{ "last", required_argument, NULL, 'n' },
	{ "since", required_argument, NULL, OPT_SINCE },
	{ "source", required_argument, NULL, 's' },
	{ "sync", required_argument, NULL, OPT_SYNC },
	{ "to", required_argument, NULL, OPT_TO },
	{ "topic", required_argument, NULL, 'T' },
	{ "until", required_argument, NULL, OPT_UNTIL },
	COMMON_LONGOPTS,
	{ NULL, 0, NULL, 0 }
};

static int cmd_append(int, char *[]);
static int cmd_cat(int, char *[]);
static int cmd_repair(int, char *[]);
static int cmd_revert(int, char *[]);
static int cmd_stats(int, char *[]);
static int cmd_verify(int, char *[]);

/* The commands: each handler gets argv from the command's name on. */
static const struct cmd {
	const char *name;	/* the word after evlog */
	int (*main)(int, char *[]);	/* parses the rest, returns the status */
	const char *usage;	/* its SYNOPSIS, as evlog(1) has it */
} cmds[] = {
	{ "append", cmd_append, "[-q] [--bus url] [--creds file] "
	    "[--expect count]\n                   [--max-size size] "
	    "[--rejects file] [--sync mode]\n                   "
	    "log | -T topic" },
	{ "cat", cmd_cat, "[-f] [-n count] [--bus url] [--creds file] "
	    "[--from start]\n                 [--since time] [--to seq] "
	    "[--until time] log | -T topic" },
	{ "repair", cmd_repair, "log | -T topic" },
	{ "revert", cmd_revert, "[-s source] log id" },
	{ "stats", cmd_stats, "[--json] log | -T topic" },
	{ "verify", cmd_verify, "log | -T topic" }
};

#define NCMDS (sizeof(cmds) / sizeof(cmds[0]))
#define CMDLIST "append, cat, repair, revert, stats or verify"

static struct common common;	/* the shared options: append's */
static const char *creds;	/* --creds: append -T and cat -T */

static void usage(FILE *, int) __attribute__((noreturn));

static void
usage(FILE *f, int status)
{
	size_t i;

	if (f != stdout)
		tryhelp();
	for (i = 0; i < NCMDS; i++)
		fprintf(f, "%s evlog %s %s\n", i == 0 ? "usage:" : "      ",
		    cmds[i].name, cmds[i].usage);
	fprintf(f,
"\n"
"  append   stamp stdin's events with sequence numbers, append them\n"
"           durably, and write each to stdout once it is on disk\n"
"  cat      replay the log; -f follows new appends\n"
"  repair   cut a torn last line; move damage (a page of zeros a power\n"
"           loss left) and all after it into LOG.damaged-OFFSET;\n"
"           rebuild the index\n"
"  revert   append the opposite of event ID: reverts=ID, numbers negated\n"
"           (-s SOURCE: of that source, needed when the id is in several)\n"
"  stats    events, bytes, first and last sequence and time, types\n"
"  verify   check every line; exit 4 on damage\n"
"\n"
"  -f, --follow       cat: go on with new appends\n"
"  -n, --last N       cat: the last N events\n"
"  -q, --quiet        append: no message per rejected or repeated line\n"
"  -s, --source SRC   revert: the event of that source and ID\n"
"  -T, --topic NAME   the log of topic NAME ($EVENTFUL_HOME/topics/NAME/log);\n"
"                     append -T publishes to the topic, as evpub -T does\n"
"      --bus URL      append -T, cat -T: the topic's bus (default\n"
"                     $EVENTFUL_BUS, else $NATS_URL, else the directory)\n"
"      --creds FILE   append -T, cat -T, NATS: a user's credentials file\n"
"                     (default $NATS_CREDS)\n"
"      --expect N     append: only if the subject has N events now\n"
"      --from SEQ     cat: from this sequence (-N: the last N; end: after\n"
"                     the last)\n"
"      --json         stats: as JSON\n"
"      --max-size N   append: the longest event (default 1M)\n"
"      --rejects FILE append: keep rejected lines there\n"
"      --since TIME   cat: events of this time or later: RFC 3339, a\n"
"                     date, @EPOCH, or a duration back from now (1h,\n"
"                     30m, 2d, 500ms)\n"
"      --sync MODE    append: event, batch (default) or none\n"
"      --to SEQ       cat: up to this sequence\n"
"      --until TIME   cat: events before this time\n"
"  -h, --help, --version\n"
"\n"
"exit status: 0 ok, 1 failure, 2 usage (or revert: an id of several\n"
"             sources, without -s), 3 invalid input lines,\n"
"             4 verify found damage, --expect did not hold, or revert\n"
"             found the event reverted already\n");
	stdout_done();
	exit(status);
}

/* getopt's own messages would name "cat", not "evlog cat": ours do. */
static void
badopt(int ch, char *argv[])
{
	if (ch == ':')
		warnw(NULL, "%s: needs a value", argv[optind - 1]);
	else if (optopt != 0)
		warnw(NULL, "-%c: not an option", optopt);
	else
		warnw(NULL, "%s: not an option", argv[optind - 1]);
	usage(stderr, EXIT_USAGE);
}

/*
 * An option the command does not take: --help and --version are every
 * command's; another command's option is named as such.  Usage error.
 */
static void
notmine(int ch, char *argv[])
{
	switch (ch) {
	case 'h':
	case OPT_HELP:
	case OPT_VERSION:
		(void)common_opt(&common, ch, optarg);
		break;
	case ':':
	case '?':
		badopt(ch, argv);
		break;
	case 'f':
	case 'n':
	case OPT_FROM:
	case OPT_SINCE:
	case OPT_TO:
	case OPT_UNTIL:
		warnw(NULL, "-f, -n, --from, --since, --to and --until are for "
		    "cat");
		break;
	case 'q':
	case OPT_EXPECT:
	case OPT_MAXSIZE:
	case OPT_REJECTS:
	case OPT_SYNC:
		warnw(NULL, "-q, --expect, --max-size, --rejects and --sync "
		    "are for append (and --sync for revert)");
		break;
	case OPT_JSON:
		warnw(NULL, "--json is for stats");
		break;
	case 's':
		warnw(NULL, "-s is for revert");
		break;
	case 'T':
		warnw(NULL, "-T is for append, cat, repair, stats and verify");
		break;
	case OPT_BUS:
	case OPT_CREDS:
		warnw(NULL, "--bus and --creds are for append -T and cat -T");
		break;
	}
	usage(stderr, EXIT_USAGE);
}

/* A sequence number option, from min (0 or 1) up. */
static uint64_t
seqarg(const char *opt, const char *arg, long long min)
{
	const char *errstr;
	long long v;

	if (parsenum(arg, min, (long long)SEQ_MAX, &v, &errstr) == -1) {
		warnw(opt, "%s: %s", arg, errstr);
		usage(stderr, EXIT_USAGE);
	}
	return (uint64_t)v;
}

/* --sync's mode. */
static int
syncarg(const char *arg)
{
	int mode;

	if ((mode = log_syncmode(arg)) == -1)
		badval("--sync", arg, "event, batch or none");
	return mode;
}

/*
 * "-" for a command that only reads (cat, verify, stats), when standard
 * input is a log's file (< LOG): that file's path, as the kernel knows
 * it, checked to be the same file.  NULL otherwise.
 */
static char *
stdinlog(const char *cmd)
{
	struct stat in, at;
	char path[PATH_MAX];
	ssize_t n;

	if (strcmp(cmd, "cat") != 0 && strcmp(cmd, "verify") != 0 &&
	    strcmp(cmd, "stats") != 0)
		return NULL;
	if (fstat(STDIN_FILENO, &in) == -1 || !S_ISREG(in.st_mode) ||
	    (n = readlink("/proc/self/fd/0", path, sizeof(path) - 1)) <= 0)
		return NULL;
	path[n] = '\0';
	if (stat(path, &at) == -1 || at.st_ino != in.st_ino ||
	    at.st_dev != in.st_dev)
		return NULL;
	return xstrdup(path);
}

/*
 * The log a command names: its one operand, or with -T (topic) the
 * topic's log, which must exist.  "-" is standard input for the commands
 * that only read, when it is a log's file; else refused: a log is a file
 * that is read back, and append's events come from standard input.
 */
static char *
logpath(const char *topic, int argc, char *argv[])
{
	const char *arg = argv[optind];
	char *log, berr[BUS_ERRMAX];
	int r;

	if (optind != argc - (topic != NULL ? 0 : 1)) {
		warnw(NULL, topic != NULL ? "-T names the log: no other" :
		    "one log is needed");
		usage(stderr, EXIT_USAGE);
	}
	if (topic == NULL && strcmp(arg, "-") == 0) {
		if ((log = stdinlog(argv[0])) != NULL)
			return log;
		warnw(NULL, "\"-\" is not a log: %s", strcmp(argv[0],
		    "append") == 0 ? "events come from standard input; name "
		    "the log's file: evlog append LOG <events" : strcmp(argv[0],
		    "cat") == 0 || strcmp(argv[0], "verify") == 0 ||
		    strcmp(argv[0], "stats") == 0 ? "standard input is no "
		    "file (a log is read as one: evlog CMD LOG, or < LOG; "
		    "evsub reads a stream)" : "a log this command writes is "
		    "named: evlog CMD LOG");
		usage(stderr, EXIT_USAGE);
	}
	if (topic == NULL)
		return xstrdup(arg);
	if ((r = bus_dir_logpath(topic, &log, berr, sizeof(berr))) != BUS_OK)
		errw(bus_status(r), r == BUS_NOTOPIC ? "-T" : NULL, "%s", berr);
	return log;
}

static struct log *
openlog(const char *path, int write)
{
	struct log *lg;
	char err[512];

	if ((lg = log_open(path, write, err, sizeof(err))) == NULL)
		errw(EXIT_FAIL, path, "%s", err);
	return lg;
}

/* ---- a topic on a bus: append -T and cat -T ---- */

/*
 * The bus of a topic, when it is not the directory bus (whose topics'
 * logs the commands read as files): --bus, else $EVENTFUL_BUS, else
 * $NATS_URL.  NULL for the directory bus.
 */
static struct bus *
topicbus(const char *given, const char *topic)
{
	if (topic == NULL) {
		if (given != NULL || creds != NULL) {
			warnw(NULL, "--%s goes with -T: a log named as a file "
			    "is a file", given != NULL ? "bus" : "creds");
			usage(stderr, EXIT_USAGE);
		}
		return NULL;
	}
	return cli_bus_open(given, creds);
}

/*
 * evlog append -T NAME: stdin's events published to the topic, through
 * its bus, as evpub -T publishes (each one stored goes to stdout with its
 * sequence; --expect holds against the subject's count, race-free).
 */
static int
append_topic(struct bus *b, const char *topic, int sync, int given,
    long long expect)
{
	struct bus_pubopts po = { sync, 2000000, common.quiet, expect < 0,
	    expect >= 0, expect >= 0 ? (uint64_t)expect : 0, 0, 0, given,
	    busfail };
	struct bus_pub *tp;
	struct scanner sc;
	struct ce_event ev;
	struct reader r;
	struct line l;
	struct out o;
	enum rd_status rs;
	char err[2048];
	int got;

	if (expect > 0 && (got = bus_exists(b, topic, NULL, err,
	    sizeof(err))) != BUS_OK) {
		if (got != BUS_NOTOPIC)
			busfail(got, err);
		errw(EXIT_EXPECT, topic, "the subject has 0 events, not %lld: "
		    "nothing appended (no such topic; nothing made)", expect);
	}
	if ((got = bus_warn_near(b, topic, err, sizeof(err))) != BUS_OK ||
	    (got = bus_pub_open(b, topic, &po, &tp, err, sizeof(err))) !=
	    BUS_OK)
		busfail(got, err);
	out_sink(&o, pubsink, tp, sync == SYNC_EVENT ? 1 : 1 << 20);
	scan_init(&sc);
	common_reader(&common, &r, STDIN_FILENO, "stdin");
	r.idle = out_idle;
	r.idlearg = &o;
	while (!o.closed && (rs = rd_line(&r, &l)) != RD_EOF) {
		if (rs == RD_ERROR)
			errwe(EXIT_FAIL, r.errwhere, "%s", r.errop);
		if (reject_unread(&common, "stdin", &l, rs))
			continue;
		if (rs != RD_LINE)
			continue;
		if (ce_validate(&sc, l.p, l.len, &ev, err, sizeof(err)) == -1) {
			reject(&common, "stdin", &l, "%s", err);
			continue;
		}
		out_put(&o, l.p, l.len);
		out_putc(&o, '\n');
		out_end(&o);
	}
	(void)closeout(&o);
	if ((got = bus_pub_close(tp, err, sizeof(err))) != BUS_OK)
		busfail(got, err);
	rd_free(&r);
	scan_free(&sc);
	bus_close(b);
	return common.status;
}

/* ---- append ---- */

/* What an append needs. */
struct appender {
	int sync;		/* --sync */
	long long expect;	/* --expect, or -1 */
	const char *path;
	struct log *lg;		/* the log */
	struct ack ack;		/* the acknowledgements */
	struct reader r;	/* stdin */
	struct scanner sc;	/* for checking lines */
	struct ce_event ev;
	int bad;		/* --expect: a line that cannot be in it */
};

/*
 * Reads and checks events into bt: for a group commit, what has arrived
 * (up to BATCH_EVENTS or BATCH_BYTES), at least one event.  With --expect,
 * all of stdin.  Returns 1 at the end of stdin.
 */
static int
readbatch(struct appender *a, struct batch *bt)
{
	struct common *c = &common;
	struct line l;
	char err[512];
	enum rd_status rs;
	enum ack_result got;
	const char *subj;
	size_t len = 0;

	batch_clear(bt);
	a->r.nb = 0;
	while (a->expect >= 0 || (bt->n < BATCH_EVENTS &&
	    bt->b.len < BATCH_BYTES)) {
		rs = rd_line(&a->r, &l);
		if (rs == RD_AGAIN)
			return 0;
		if (rs == RD_EOF)
			return 1;
		if (rs == RD_ERROR)
			errwe(EXIT_FAIL, a->r.errwhere, "%s", a->r.errop);
		if (reject_unread(c, "stdin", &l, rs))
			continue;
		if (ce_validate(&a->sc, l.p, l.len, &a->ev, err,
		    sizeof(err)) == -1) {
			reject(c, "stdin", &l, "%s", err);
			continue;
		}
		if (a->expect >= 0 && bt->n == BATCH_EVENTS)
			errw(EXIT_FAIL, "stdin", "--expect: more than %d "
			    "events; nothing is appended", BATCH_EVENTS);
		batch_add(bt, &a->sc, &a->ev, l.lineno);
		/* Stamped, it must still pass any reader of the same size. */
		if (batch_len(bt, bt->n - 1) > c->maxsize) {
			batch_pop(bt);
			reject(c, "stdin", &l, "longer than %zu bytes with "
			    "its sequence (--max-size)", c->maxsize);
			a->bad = 1;
			continue;
		}
		/* One subject: the stream the version is of. */
		subj = a->expect >= 0 ? batch_subject(bt, bt->n - 1, &len) :
		    NULL;
		if (a->expect >= 0 && (got = ack_subject(&a->ack, subj, len,
		    l.lineno, err, sizeof(err))) != ACK_OK) {
			reject(c, "stdin", &l, "--expect: %s", got == ACK_OTHER ?
			    "not the subject of the first event" : "no subject");
			a->bad = 1;
		}
		if (a->sync == SYNC_EVENT && a->expect < 0)
			return 0;
		/* Group commit: take what has already arrived. */
		if (a->expect < 0)
			a->r.nb = 1;
	}
	return 0;
}

/* After bt is durable: reports its repeats, then acknowledges it on
 * stdout.  Returns -1 when stdout's reader has gone away, or a write to
 * it failed (said at the end). */
static int
acked(void *arg, struct batch *bt)
{
	struct appender *a = arg;
	char err[512];

	return ack_batch(&a->ack, bt, err, sizeof(err)) == ACK_OK ? 0 : -1;
}

/* A write, an fsync or the log's room failed: nothing of the batch is
 * stored, and we stop. */
static void
appendfail(void *arg, enum log_result how, int err, const char *msg)
{
	struct appender *a = arg;
	char text[1024];

	log_failtext(a->path, how, err, msg, "stored", text, sizeof(text));
	errw(EXIT_FAIL, NULL, "%s", text);
}

/* Appends bt under the lock, durably, then acknowledges it on stdout. */
static void
writebatch(struct appender *a, struct batch *bt)
{
	const char *subj;
	char err[512];
	uint64_t count;
	size_t len = 0;
	enum log_result r;

	r = log_write(a->lg, bt, a->sync, a->expect, &count, NULL, NULL, err,
	    sizeof(err));
	if (r == LOG_EXPECT) {
		subj = batch_subject(bt, 0, &len);
		errw(EXIT_EXPECT, a->path, "subject \"%.*s\" has %llu event%s, "
		    "not %lld: nothing is appended", (int)(len > 200 ? 200 :
		    len), subj, (unsigned long long)count, count == 1 ? "" :
		    "s", a->expect);
	}
	if (r != LOG_OK)
		appendfail(a, r, errno, err[0] != '\0' ? err : NULL);
	(void)acked(a, bt);
}

/*
 * When stdin is a file, the events the first batch bt and the rest of the
 * file hold, at bt's bytes per event: the index then grows once, to its
 * size, and not by doubling as they come.  0 when not known.
 */
static uint64_t
expected(const struct batch *bt)
{
	struct stat sb;
	double more;
	off_t at;

	if (bt->n == 0 || bt->b.len == 0 || fstat(STDIN_FILENO, &sb) == -1 ||
	    !S_ISREG(sb.st_mode) ||
	    (at = lseek(STDIN_FILENO, 0, SEEK_CUR)) == -1 || at >= sb.st_size)
		return 0;
	more = (double)(sb.st_size - at) * (double)bt->n / (double)bt->b.len;
	/* A guess, from the first events: past 16M, doubling does. */
	return bt->n + (more < (double)(1 << 24) ? (uint64_t)more : 1 << 24);
}

/*
 * Appends stdin's events.  Each group commit takes what has arrived (up to
 * BATCH_EVENTS), stamps it under the lock, writes it (in pieces: WCHUNK),
 * fsyncs once, and only then acknowledges it on stdout.  With --sync batch
 * or none, this thread reads and checks while one thread writes the group
 * before and another makes the one before that durable and acknowledges
 * it (log.h).  An event whose source and id the log holds already is
 * reported and left out.  With --expect, all of stdin is one batch,
 * appended whole or not at all.
 */
static int
append(const char *path, int sync, long long expect)
{
	struct appender a;
	struct batch one;
	struct batch *bt = &one;
	int eof = 0, threaded, closed = 0, first = 1;

	memset(&a, 0, sizeof(a));
	memset(&one, 0, sizeof(one));
	a.sync = sync;
	a.expect = expect;
	a.path = path;
	a.lg = openlog(path, 1);
	/* Past a file size limit, write(2) should fail with EFBIG and be
	 * reported, not kill us halfway. */
	signal(SIGXFSZ, SIG_IGN);
	ack_open(&a.ack, 1, common.quiet, "stdin", 1, "log", "appended");
	scan_init(&a.sc);
	common_reader(&common, &a.r, STDIN_FILENO, "stdin");
	threaded = a.expect < 0 && a.sync != SYNC_EVENT;
	/* An error on stdout stops the pipeline (out.c never ends the
	 * program: the acknowledging thread may not, while the writing
	 * one is in the middle of a write), and is reported once it has. */
	if (threaded && log_commit_start(a.lg, a.sync, acked, appendfail,
	    &a) != LOG_OK)
		errwe(EXIT_FAIL, "pthread_create", "append");
	if (!threaded) {
		a.r.idle = out_idle;
		a.r.idlearg = &a.ack.out;
	}
	while (!eof && !closed) {
		if (threaded)
			bt = log_commit_batch(a.lg);
		eof = readbatch(&a, bt);
		if (first && threaded && !eof)
			bt->reserve = expected(bt);
		first = 0;
		if (a.expect >= 0 && (a.bad || common.status != EXIT_OK))
			errw(EXIT_INVALID, "stdin", "--expect: an invalid line; "
			    "nothing is appended");
		if (threaded) {
			closed = log_commit_submit(a.lg) == -1;
			continue;
		}
		if (bt->n == 0)
			continue;
		writebatch(&a, bt);
		closed = a.ack.out.closed;
	}
	log_commit_finish(a.lg);
	(void)closeout(&a.ack.out);
	free(a.ack.subject);
	rd_free(&a.r);
	scan_free(&a.sc);
	batch_free(&one);
	log_close(a.lg);
	return common.status;
}

static int
cmd_append(int argc, char *argv[])
{
	long long expect = -1;
	const char *topic = NULL, *busurl = NULL;
	struct bus *b;
	char *log;
	int ch, status, sync = SYNC_BATCH, given = 0;

	while ((ch = getopt_long(argc, argv, OPTSTRING, longopts, NULL)) != -1)
		switch (ch) {
		case 'q':
		case OPT_MAXSIZE:
		case OPT_REJECTS:
			(void)common_opt(&common, ch, optarg);
			break;
		case OPT_EXPECT:
			expect = (long long)seqarg("--expect", optarg, 0);
			break;
		case OPT_SYNC:
			sync = syncarg(optarg);
			given = BUS_SYNC;
			break;
		case 'T':
			topic = cli_topic("-T", optarg);
			break;
		case OPT_BUS:
			busurl = optarg;
			break;
		case OPT_CREDS:
			creds = optarg;
			break;
		default:
			notmine(ch, argv);
		}
	/* Stamped, an event must still fit the longest line a reader takes. */
	if (common.maxsize > LOG_MAXLINE - 64) {
		warnw("--max-size", "%zu: too large for a log (at most %d)",
		    common.maxsize, LOG_MAXLINE - 64);
		usage(stderr, EXIT_USAGE);
	}
	if (topic != NULL && optind != argc) {
		warnw(NULL, "-T names the topic: no log besides");
		usage(stderr, EXIT_USAGE);
	}
	if ((b = topicbus(busurl, topic)) != NULL) {
		common_start(&common);
		return append_topic(b, topic, sync, given, expect);
	}
	log = logpath(NULL, argc, argv);
	common_start(&common);
	status = append(log, sync, expect);
	free(log);
	return status;
}

/* ---- cat ---- */

/* What cat replays. */
struct catopts {
	int follow;		/* -f */
	uint64_t from;		/* --from, or 1 */
	uint64_t to;		/* --to, or 0 for no end */
	uint64_t last;		/* -n, or 0 */
	int end;		/* --from end: only what is appended after */
	int64_t since;		/* --since, or LOG_NOTIME */
	int64_t until;		/* --until, or LOG_NOTIME */
};

/*
 * Replays the log from --from (or the last -n) to --to, the events of
 * --since to --until, and with -f what is appended after.  Lines are
 * copied as bytes, not parsed (the cursor counts them); the index finds
 * where --from starts, and which blocks of 256 events hold no time
 * --since and --until ask for.
 */
static int
cat(const struct catopts *o, const char *path)
{
	struct log *lg = openlog(path, 0);
	struct log_cursor *c;
	struct out out;
	const char *line;
	char err[512];
	uint64_t seq, from = o->from, to = o->to;
	size_t len, unit = 0;
	enum log_result r = LOG_OK;

	if (o->last > 0 || o->end) {
		if (log_refresh(lg, err, sizeof(err)) != LOG_OK)
			errw(EXIT_FAIL, path, "%s", err);
		from = o->end ? log_last(lg) + 1 : log_last(lg) >= o->last ?
		    log_last(lg) - o->last + 1 : 1;
		/* The last N as they are now: what an appender adds while
		 * they are read is not among them (-n 1 printed 8). */
		if (!o->follow && log_last(lg) == 0) {
			log_close(lg);
			return EXIT_OK;
		}
		if (!o->follow && (to == 0 || to > log_last(lg)))
			to = log_last(lg);
	}
	if ((c = log_cursor_open(lg, from, err, sizeof(err))) == NULL)
		errw(EXIT_FAIL, path, "%s", err);
	log_cursor_window(c, to, o->since, o->until);
	out_open(&out, NULL);
	do {
		while (!out.closed && (r = log_read(c, &line, &len, &seq, err,
		    sizeof(err))) == LOG_OK) {
			/* Many lines at once are written from where they
			 * were read; fewer are gathered into CAT_UNIT. */
			if (len >= CAT_UNIT) {
				out_end(&out);
				unit = 0;
				(void)out_write(&out, line, len);
				continue;
			}
			out_put(&out, line, len);
			if ((unit += len) >= CAT_UNIT) {
				out_end(&out);
				unit = 0;
			}
		}
		out_end(&out);
		unit = 0;
		if (out.closed || r != LOG_END || !o->follow ||
		    out_flush(&out) == -1)
			break;
	} while ((r = log_wait(c, STDOUT_FILENO, err, sizeof(err))) == LOG_OK);
	if (r == LOG_IO || r == LOG_DAMAGED)
		errw(EXIT_FAIL, path, "%s", err);
	(void)closeout(&out);
	log_cursor_close(c);
	log_close(lg);
	return EXIT_OK;
}


/*
 * evlog cat -T NAME on a bus: the topic's events from --from (or the
 * last -n, or --since) up to --to and before --until, then, with -f,
 * what comes.
 */
static int
cat_topic(struct bus *b, const char *topic, const struct catopts *o)
{
	struct bus_from f = { NULL, o->from > 0 ? o->from : 1, o->since };
	struct bus_reader *r;
	struct scanner sc;
	struct ce_event ev;
	const char *line;
	char err[BUS_ERRMAX];
	uint64_t seq, last, to = o->to;
	int64_t t;
	size_t len;
	struct out out;
	int got, none = 0;

	if (o->last > 0 || o->end) {
		if ((got = bus_last(b, topic, &last, err, sizeof(err))) !=
		    BUS_OK)
			busfail(got, err);
		f.seq = o->end ? last + 1 : last >= o->last ? last - o->last +
		    1 : 1;
		/* The last N as they are now, as above: none of an empty
		 * topic (once it is known to be there). */
		none = !o->follow && last == 0;
		if (!o->follow && (to == 0 || to > last))
			to = last;
	}
	switch ((got = bus_read_open(b, topic, &f, &r, err, sizeof(err)))) {
	case BUS_OK:
		break;
	case BUS_NOTOPIC:
		exit(EXIT_FAIL);	/* said, as for a directory's topic */
	case BUS_ERROR:
	case BUS_USAGE:
		busfail(got, err);
	default:
		errw(EXIT_FAIL, topic, "%s", err);
	}
	scan_init(&sc);
	out_open(&out, NULL);
	while (!none && !out.closed) {
		got = bus_read_next(r, &line, &len, &seq, err, sizeof(err));
		if (got == BUS_FAIL)
			errw(EXIT_FAIL, topic, "%s", err);
		if (got == BUS_END) {
			if (!o->follow || out_flush(&out) == -1)
				break;
			if (bus_read_wait(r, 1000000, err, sizeof(err)) !=
			    BUS_OK)
				errw(EXIT_FAIL, NULL, "%s", err);
			continue;
		}
		if (to > 0 && seq > to)
			break;
		if (o->until != LOG_NOTIME || o->since != LOG_NOTIME) {
			t = ce_validate(&sc, line, len, &ev, err, sizeof(err))
			    == 0 ? ce_time(&ev) : LOG_NOTIME;
			if (t == LOG_NOTIME || (o->since != LOG_NOTIME &&
			    t < o->since) || (o->until != LOG_NOTIME &&
			    t >= o->until))
				continue;
		}
		out_put(&out, line, len);
		out_putc(&out, '\n');
		out_end(&out);
		if (to > 0 && seq == to)
			break;
	}
	(void)closeout(&out);
	scan_free(&sc);
	bus_read_close(r);
	bus_close(b);
	return EXIT_OK;
}

/* --from: a sequence, -N (the last N, as -n) or end. */
static void
fromarg(struct catopts *o, const char *arg)
{
	struct startpos p;
	const char *errstr;

	if (parsestart(arg, &p, &errstr) == -1) {
		warnw("--from", "%s: %s", arg, errstr);
		usage(stderr, EXIT_USAGE);
	}
	o->from = p.seq > 0 ? p.seq : 1;
	o->last = p.last;
	o->end = p.end;
}

static int
cmd_cat(int argc, char *argv[])
{
	struct catopts o = { 0, 1, 0, 0, 0, LOG_NOTIME, LOG_NOTIME };
	const char *topic = NULL, *busurl = NULL;
	struct bus *b;
	char *log;
	int ch, status, nfrom = 0;

	while ((ch = getopt_long(argc, argv, OPTSTRING, longopts, NULL)) != -1)
		switch (ch) {
		case 'f':
			o.follow = 1;
			break;
		case 'n':
			o.last = seqarg("-n", optarg, 1);
			nfrom++;
			break;
		case 'T':
			topic = cli_topic("-T", optarg);
			break;
		case OPT_FROM:
			fromarg(&o, optarg);
			nfrom++;
			break;
		case OPT_SINCE:
			o.since = cli_time("--since", optarg);
			break;
		case OPT_TO:
			o.to = seqarg("--to", optarg, 1);
			break;
		case OPT_UNTIL:
			o.until = cli_time("--until", optarg);
			break;
		case OPT_BUS:
			busurl = optarg;
			break;
		case OPT_CREDS:
			creds = optarg;
			break;
		default:
			notmine(ch, argv);
		}
	if (nfrom > 1) {
		warnw(NULL, "-n and --from exclude each other");
		usage(stderr, EXIT_USAGE);
	}
	if (topic != NULL && optind != argc) {
		warnw(NULL, "-T names the log: no other");
		usage(stderr, EXIT_USAGE);
	}
	if ((b = topicbus(busurl, topic)) != NULL && strcmp(b->ops->name,
	    "dir") != 0)
		return cat_topic(b, topic, &o);
	bus_close(b);
	log = logpath(topic, argc, argv);
	status = cat(&o, log);
	free(log);
	return status;
}

/* ---- verify and stats ---- */

/* What a scan of the whole log found. */
struct tally {
	int types;		/* count the events of each type */
	int bad;		/* damage was reported */
	off_t badat;		/* where the first damage starts */
	uint64_t n;		/* events */
	uint64_t first, last;	/* their first and last sequence */
	off_t bytes;		/* the bytes of the whole lines */
	char t0[64], t1[64];	/* the first and last event's time, or "" */
	struct { char *type; uint64_t n; } *type;	/* events by type */
	size_t ntype;
};

/* Notes damage in t, at offset at. */
static void
bad(struct tally *t, off_t at)
{
	if (!t->bad)
		t->badat = at;
	t->bad = 1;
}

/* Counts an event of type name in t. */
static void
count(struct tally *t, const char *name)
{
	size_t i;

	for (i = 0; i < t->ntype && strcmp(t->type[i].type, name) != 0; i++)
		;
	if (i == t->ntype) {
		t->type = xrealloc(t->type, (t->ntype + 1) * sizeof(*t->type));
		t->type[t->ntype].type = xstrdup(name);
		t->type[t->ntype++].n = 0;
	}
	t->type[i].n++;
}

/*
 * Checks every line of the log at path, and counts what it holds into t.
 * Reports each problem with its line and offset: a line that is not an
 * event, without a sequence or with one out of order, a torn last line.
 */
static void
scanlog(const char *path, struct tally *t)
{
	struct log *lg = openlog(path, 0);
	struct scanner sc;
	struct ce_event ev;
	struct reader r;
	struct line l;
	struct stat sb;
	char err[512];
	uint64_t want = 1, seq;
	off_t at;
	enum rd_status rs;

	scan_init(&sc);
	rd_init(&r, log_fd(lg), path, LOG_MAXLINE);
	r.tail = 1;	/* a torn last line is reported below, not read */
	while ((rs = rd_line(&r, &l)) != RD_EOF) {
		if (rs == RD_ERROR)
			errwe(EXIT_FAIL, r.errwhere, "%s", r.errop);
		at = t->bytes;
		t->bytes += (off_t)l.rawlen;
		if (rs != RD_LINE || ce_validate(&sc, l.p, l.len, &ev, err,
		    sizeof(err)) == -1) {
			warnw(path, "line %llu, offset %lld: %s",
			    (unsigned long long)l.lineno, (long long)at,
			    memchr(l.p, '\0', l.len) != NULL ? "zero bytes "
			    "in the line" : rs == RD_LINE ? err :
			    "not an event");
			bad(t, at);
			continue;
		}
		if ((seq = log_seqof(&ev)) == 0) {
			warnw(path, "line %llu, offset %lld: no sequence",
			    (unsigned long long)l.lineno, (long long)at);
			bad(t, at);
			continue;
		}
		if (seq != want) {
			warnw(path, "line %llu, offset %lld: sequence %llu, "
			    "expected %llu", (unsigned long long)l.lineno,
			    (long long)at, (unsigned long long)seq,
			    (unsigned long long)want);
			bad(t, at);
		}
		want = seq + 1;
		if (t->n++ == 0)
			t->first = seq;
		if (!t->types)
			continue;
		t->t1[0] = '\0';
		if (ev.a[CE_TIME] != NULL)
			ce_string(ev.a[CE_TIME], t->t1, sizeof(t->t1));
		if (t->n == 1)
			memcpy(t->t0, t->t1, sizeof(t->t0));
		count(t, ce_string(ev.a[CE_TYPE], err, sizeof(err)));
	}
	t->last = want - 1;
	if (fstat(log_fd(lg), &sb) == 0 && sb.st_size > t->bytes) {
		warnw(path, "a torn last line of %lld bytes at offset %lld "
		    "(evlog repair cuts it)", (long long)(sb.st_size -
		    t->bytes), (long long)t->bytes);
		if (!t->bad)
			t->badat = t->bytes;
		t->bad = 2;
	}
	/* Where the damage starts, and what to do: the offset a consumer
	 * stops at and the one repair moves aside from. */
	if (t->bad == 1 || (t->bad == 2 && t->badat < t->bytes))
		warnw(path, "damaged from offset %lld on: evlog repair moves "
		    "that line and all after it into %s.damaged-%lld (see "
		    "evlog(5), Damage)", (long long)t->badat, path,
		    (long long)t->badat);
	rd_free(&r);
	scan_free(&sc);
	log_close(lg);
}

static void
tally_free(struct tally *t)
{
	size_t i;

	for (i = 0; i < t->ntype; i++)
		free(t->type[i].type);
	free(t->type);
}

/* The operand of a command that takes only a log (or -T), and no option
 * but its own: json for stats. */
static char *
logonly(int argc, char *argv[], int *json)
{
	const char *topic = NULL;
	int ch;

	while ((ch = getopt_long(argc, argv, OPTSTRING, longopts, NULL)) != -1)
		if (ch == 'T')
			topic = cli_topic("-T", optarg);
		else if (ch == OPT_JSON && json != NULL)
			*json = 1;
		else
			notmine(ch, argv);
	return logpath(topic, argc, argv);
}

/* Checks every line; exit 4 on damage. */
static int
cmd_verify(int argc, char *argv[])
{
	struct tally t = { 0 };
	char *log = logonly(argc, argv, NULL);

	scanlog(log, &t);
	tally_free(&t);
	free(log);
	stdout_done();
	return t.bad ? EXIT_EXPECT : EXIT_OK;
}

/* Prints the tally as a JSON object. */
static void
statsjson(const struct tally *t)
{
	struct buf q = { 0 };
	size_t i;

	printf("{\"events\":%llu,\"bytes\":%lld,\"first\":%llu,\"last\":%llu,"
	    "\"firsttime\":\"%s\",\"lasttime\":\"%s\",\"types\":{",
	    (unsigned long long)t->n, (long long)t->bytes,
	    (unsigned long long)t->first, (unsigned long long)t->last, t->t0,
	    t->t1);
	for (i = 0; i < t->ntype; i++) {
		q.len = 0;
		buf_jsonstr(&q, t->type[i].type, strlen(t->type[i].type));
		printf("%s%.*s:%llu", i ? "," : "", (int)q.len, q.p,
		    (unsigned long long)t->type[i].n);
	}
	printf("}}\n");
	buf_free(&q);
}

/* Events, bytes, first and last sequence and time, types; checked as
 * verify checks, exit 4 on damage. */
static int
cmd_stats(int argc, char *argv[])
{
	struct tally t = { 0 };
	int json = 0;
	char *log = logonly(argc, argv, &json);
	size_t i;

	t.types = 1;
	scanlog(log, &t);
	if (json)
		statsjson(&t);
	else {
		printf("events     %llu\nbytes      %lld\nfirst      %llu  %s\n"
		    "last       %llu  %s\n", (unsigned long long)t.n,
		    (long long)t.bytes, (unsigned long long)t.first, t.t0,
		    (unsigned long long)t.last, t.t1);
		for (i = 0; i < t.ntype; i++) {
			/* For a terminal: no control character gets through. */
			for (char *c = t.type[i].type; *c != '\0'; c++)
				if ((unsigned char)*c < 0x20 || *c == 0x7f)
					*c = '?';
			printf("type       %llu  %s\n",
			    (unsigned long long)t.type[i].n, t.type[i].type);
		}
	}
	tally_free(&t);
	free(log);
	stdout_done();
	return t.bad ? EXIT_EXPECT : EXIT_OK;
}

/* ---- repair ---- */

/* Cuts a torn last line, moves damage aside (evlog(5)), and rebuilds
 * the index. */
static int
cmd_repair(int argc, char *argv[])
{
	char err[512], *log = logonly(argc, argv, NULL);
	struct log *lg = openlog(log, 1);
	enum log_result r;

	if ((r = log_repair(lg, err, sizeof(err))) == LOG_DAMAGED) {
		warnw(log, "%s; not repairing", err);
		log_close(lg);
		free(log);
		return EXIT_EXPECT;
	}
	if (r != LOG_OK)
		errw(EXIT_FAIL, log, "%s", err);
	log_close(lg);
	free(log);
	return EXIT_OK;
}

/* ---- revert ---- */

struct revertopts {
	int sync;		/* --sync */
	const char *source;	/* -s, or NULL */
};

/*
 * Copies the validated JSON text v[0..len) to b with every number negated:
 * the data of a compensating event.  Numbers inside strings stay.
 */
static void
negate(struct buf *b, const char *v, size_t len)
{
	const char *p = v, *end = v + len, *q;

	while (p < end) {
		if (*p == '"') {
			for (q = p + 1; *q != '"'; q += *q == '\\' ? 2 : 1)
				;
			buf_put(b, p, (size_t)(q + 1 - p));
			p = q + 1;
		} else if (*p == '-' || (*p >= '0' && *p <= '9')) {
			q = p + strspn(p, "-+0123456789.eE");
			if (q > end)
				q = end;
			if (*p == '-')
				buf_put(b, p + 1, (size_t)(q - p - 1));
			else {
				/* Zero has no opposite worth writing. */
				if (strspn(p, "0.") < strcspn(p, "eE,]} \t\r\n"))
					buf_putc(b, '-');
				buf_put(b, p, (size_t)(q - p));
			}
			p = q;
		} else
			buf_putc(b, *p++);
	}
}

/* Tells whether string member m is s, decoded: every byte of it. */
static int
streq(const struct scan_member *m, const char *s)
{
	size_t n = strlen(s), len;
	char *v;
	int eq;

	if (m == NULL || m->type != SCAN_STRING || m->vallen - 2 < n)
		return 0;
	if (!m->valesc)
		return m->vallen - 2 == n && memcmp(m->val + 1, s, n) == 0;
	v = xmalloc(m->vallen);
	len = scan_unescape(m->val + 1, m->vallen - 2, v);
	eq = len == n && memcmp(v, s, n) == 0;
	free(v);
	return eq;
}

/* A set of strings, as found. */
struct strset {
	char **v;
	size_t n;
};

/* Adds string member m, decoded, to set when not in it. */
static void
addstr(struct strset *set, const struct scan_member *m)
{
	char *s = xmalloc(m->vallen);
	size_t i;

	s[scan_unescape(m->val + 1, m->vallen - 2, s)] = '\0';
	for (i = 0; i < set->n; i++)
		if (strcmp(set->v[i], s) == 0) {
			free(s);
			return;
		}
	set->v = xrealloc(set->v, (set->n + 1) * sizeof(*set->v));
	set->v[set->n++] = s;
}

static int
hasstr(const struct strset *set, const char *s)
{
	size_t i;

	for (i = 0; i < set->n; i++)
		if (strcmp(set->v[i], s) == 0)
			return 1;
	return 0;
}

static void
freeset(struct strset *set)
{
	size_t i;

	for (i = 0; i < set->n; i++)
		free(set->v[i]);
	free(set->v);
}

/*
 * Exits saying why the event is not there to revert: none with that id
 * (from that source), several sources with it and none named (status 2,
 * with the sources), or reverted already (status 4).
 */
static void
notfound(const char *path, const char *id, const char *source,
    const struct strset *srcs, const struct strset *done)
{
	struct buf list = { 0 };
	size_t i;

	if (srcs->n == 0 && source != NULL)
		errw(EXIT_FAIL, path, "no event with id \"%s\" from source %s",
		    shown(id, strlen(id)), shown(source, strlen(source)));
	if (srcs->n == 0)
		errw(EXIT_FAIL, path, "no event with id \"%s\"", shown(id,
		    strlen(id)));
	if (srcs->n > 1) {
		for (i = 0; i < srcs->n && i < 8; i++) {
			buf_puts(&list, i == 0 ? "" : i == srcs->n - 1 ?
			    " and " : ", ");
			buf_puts(&list, shown(srcs->v[i], strlen(srcs->v[i])));
		}
		buf_puts(&list, i < srcs->n ? ", ..." : "");
		buf_putc(&list, '\0');
		errw(EXIT_USAGE, path, "id \"%s\" is in the log from %zu "
		    "sources, %s: name one with -s", shown(id, strlen(id)),
		    srcs->n, list.p);
	}
	if (hasstr(done, srcs->v[0]))
		errw(EXIT_EXPECT, path, "event \"%s\"%s%s is reverted already",
		    shown(id, strlen(id)), source != NULL ? " from " : "",
		    source != NULL ? shown(source, strlen(source)) : "");
}

/*
 * Finds the event of id (from source, or NULL for any: an event is its
 * source and id) in the log lg (a scan: ids are not indexed) and copies
 * its line to orig.  A revert of it is one with reverts=id from its
 * source.  Exits as notfound says when it is not there to revert.
 */
static void
findevent(struct log *lg, const char *id, const char *source,
    struct buf *orig)
{
	const char *path = log_path(lg), *line;
	struct strset srcs = { 0 }, done = { 0 };
	struct log_cursor *c;
	struct scanner sc;
	struct ce_event ev;
	char err[512];
	uint64_t seq;
	size_t len, i;
	enum log_result r;

	if ((c = log_cursor_open(lg, 1, err, sizeof(err))) == NULL)
		errw(EXIT_FAIL, path, "%s", err);
	scan_init(&sc);
	while ((r = log_next(c, &line, &len, &seq, err, sizeof(err))) ==
	    LOG_OK) {
		if (ce_validate(&sc, line, len, &ev, err, sizeof(err)) == -1)
			continue;
		if (source != NULL && !streq(ev.a[CE_SOURCE], source))
			continue;
		for (i = 0; i < sc.nm; i++)
			if (scan_name_is(&sc.m[i], "reverts") &&
			    streq(&sc.m[i], id))
				addstr(&done, ev.a[CE_SOURCE]);
		if (streq(ev.a[CE_ID], id)) {
			if (srcs.n == 0)
				buf_put(orig, line, len);
			addstr(&srcs, ev.a[CE_SOURCE]);
		}
	}
	if (r != LOG_END)
		errw(EXIT_FAIL, path, "%s", err);
	log_cursor_close(c);
	scan_free(&sc);
	notfound(path, id, source, &srcs, &done);
	freeset(&srcs);
	freeset(&done);
}

/*
 * Puts in b the compensating event of ev, whose id is id: the same type
 * and subject, reverts=id, its data with every number negated.
 */
static void
compensate(struct buf *b, const struct ce_event *ev, const char *id)
{
	const struct scan_member *m;
	char uuid[UUID_LEN + 1], now[RFC3339_LEN + 1];
	int64_t us = now_usec();

	uuidv7(us, uuid);
	rfc3339_format(us, now);
	buf_puts(b, "{\"specversion\":\"1.0\",\"id\":\"");
	buf_puts(b, uuid);
	buf_puts(b, "\",\"source\":");
	buf_put(b, ev->a[CE_SOURCE]->val, ev->a[CE_SOURCE]->vallen);
	buf_puts(b, ",\"type\":");
	buf_put(b, ev->a[CE_TYPE]->val, ev->a[CE_TYPE]->vallen);
	if ((m = ev->a[CE_SUBJECT]) != NULL) {
		buf_puts(b, ",\"subject\":");
		buf_put(b, m->val, m->vallen);
	}
	buf_puts(b, ",\"time\":\"");
	buf_puts(b, now);
	buf_puts(b, "\",\"reverts\":");
	buf_jsonstr(b, id, strlen(id));
	if ((m = ev->a[CE_DATACONTENTTYPE]) != NULL) {
		buf_puts(b, ",\"datacontenttype\":");
		buf_put(b, m->val, m->vallen);
	}
	if ((m = ev->a[CE_DATA]) != NULL) {
		buf_puts(b, ",\"data\":");
		negate(b, m->val, m->vallen);
	} else if ((m = ev->a[CE_DATA_BASE64]) != NULL) {
		buf_puts(b, ",\"data_base64\":");
		buf_put(b, m->val, m->vallen);
	}
	buf_putc(b, '}');
}

/* Appends the compensating event of event id, and writes it to stdout. */
static int
revert(const struct revertopts *o, const char *path, const char *id)
{
	struct log *lg;
	struct buf orig = { 0 }, b = { 0 };
	struct batch bt = { 0 };
	struct scanner sc;
	struct ce_event ev;
	char err[512];
	struct stat sb;

	/* A revert reverses what is there: it never makes a log. */
	if (lstat(path, &sb) == -1 && errno == ENOENT)
		errw(EXIT_FAIL, path, "no such log: revert appends the opposite "
		    "of an event already in a log (evlog append makes one)");
	lg = openlog(path, 1);
	findevent(lg, id, o->source, &orig);
	scan_init(&sc);
	scan_json(&sc, orig.p, orig.len);
	ce_check(&sc, &ev, 0, err, sizeof(err));
	compensate(&b, &ev, id);
	/* Through the same door as every append. */
	if (ce_validate(&sc, b.p, b.len, &ev, err, sizeof(err)) == -1)
		errw(EXIT_FAIL, path, "the compensating event: %s", err);
	batch_add(&bt, &sc, &ev, 1);
	if (log_lock(lg, 1, err, sizeof(err)) != LOG_OK)
		errw(EXIT_FAIL, path, "%s", err);
	switch (log_append(lg, &bt, o->sync, -1, NULL)) {
	case LOG_OK:
		break;
	case LOG_FULL:
		errw(EXIT_FAIL, path, "full: sequence %llu is the last a log "
		    "can hold", (unsigned long long)SEQ_MAX);
	default:
		errwe(EXIT_FAIL, path, "append (nothing is stored)");
	}
	log_unlock(lg);
	if (writeall(STDOUT_FILENO, bt.b.p, bt.b.len) == -1 && errno != EPIPE)
		errwe(EXIT_FAIL, "stdout", "write");
	batch_free(&bt);
	buf_free(&orig);
	buf_free(&b);
	scan_free(&sc);
	log_close(lg);
	return EXIT_OK;
}

static int
cmd_revert(int argc, char *argv[])
{
	struct revertopts o = { SYNC_BATCH, NULL };
	char *log;
	int ch, status;

	while ((ch = getopt_long(argc, argv, OPTSTRING, longopts, NULL)) != -1)
		if (ch == OPT_SYNC)
			o.sync = syncarg(optarg);
		else if (ch == 's')
			o.source = optarg;
		else
			notmine(ch, argv);
	if (optind != argc - 2) {
		warnw(NULL, optind == argc - 1 ? "a log and an id are needed" :
		    "one log is needed");
		usage(stderr, EXIT_USAGE);
	}
	/* The log alone, as logpath wants it; the id after. */
	log = logpath(NULL, argc - 1, argv);
	status = revert(&o, log, argv[optind + 1]);
	free(log);
	return status;
}

/* ---- the program ---- */

/*
 * Finds the command argv[1], and from then on names it in every message
 * ("evlog cat: ...").  A log named where the command should be, another
 * word, or no command at all is a usage error that lists the commands.
 */
static const struct cmd *
command(int argc, char *argv[])
{
	static char name[64];
	struct stat sb;
	size_t i;

	if (argc < 2) {
		warnw(NULL, "a command is missing: " CMDLIST);
		usage(stderr, EXIT_USAGE);
	}
	for (i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
		if (strcmp(argv[1], cmds[i].name) == 0) {
			snprintf(name, sizeof(name), "%s %s", getprogname(),
			    cmds[i].name);
			setprogname(name);
			return &cmds[i];
		}
	if (stat(argv[1], &sb) == 0)
		warnw(NULL, "\"%s\": a command is missing before the log: "
		    "evlog cat %s (or append, repair, revert, stats, verify)",
		    argv[1], argv[1]);
	else
		warnw(NULL, "\"%s\": not a command: " CMDLIST, argv[1]);
	usage(stderr, EXIT_USAGE);
}

int
main(int argc, char *argv[])
{
	int ch;

	stdfds();
	setprogname(argv[0]);
	argv[0] = (char *)getprogname();	/* getopt's messages say it */
	common_init(&common, usage);
	opterr = 0;
	if (argc >= 2 && argv[1][0] == '-') {
		/* --help and --version before a command. */
		while ((ch = getopt_long(argc, argv, "h", longopts, NULL)) != -1)
			if (!common_opt(&common, ch, optarg))
				break;
		warnw(NULL, "%s: the command comes first: " CMDLIST, argv[1]);
		usage(stderr, EXIT_USAGE);
	}
	return command(argc, argv)->main(argc - 1, argv + 1);
}
