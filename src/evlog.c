/*
 * evlog - the event log: append events durably with sequence numbers,
 * replay them, verify and repair the file, and count what it holds.
 */
#include <sys/inotify.h>
#include <sys/stat.h>

#include <errno.h>
#include <pthread.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "commit.h"
#include "common.h"
#include "event.h"
#include "output.h"
#include "id.h"
#include "store.h"
#include "timefmt.h"
#include "topic.h"
#include "util.h"

#define BATCH_EVENTS 65536		/* most events in one group commit */
#define BATCH_BYTES (8 << 20)		/* most bytes in one group commit */

enum {
	OPT_EXPECT = OPT_FIRST_OWN, OPT_FROM, OPT_JSON, OPT_SINCE, OPT_SYNC,
	OPT_TO, OPT_UNTIL
};

/* Which command's options were given, to refuse them elsewhere. */
enum { G_CAT = 1, G_JSON = 2, G_SYNC = 4, G_APPEND = 8, G_REVERT = 16 };

static const struct option longopts[] = {
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

static void usage(FILE *, int) __attribute__((noreturn));

static void
usage(FILE *f, int status)
{
	if (f != stdout)
		tryhelp();
	fprintf(f,
"usage: evlog append [-q] [--expect count] [--max-size size] [--rejects file]\n"
"                   [--sync mode] log\n"
"       evlog cat [-f] [-n count] [--from seq] [--since time] [--to seq]\n"
"                 [--until time] log | -T topic\n"
"       evlog repair log | -T topic\n"
"       evlog revert [-s source] log id\n"
"       evlog stats [--json] log | -T topic\n"
"       evlog verify log | -T topic\n");
	if (f == stdout) {
		fprintf(f,
"\n"
"  append   stamp stdin's events with sequence numbers, append them\n"
"           durably, and write each to stdout once it is on disk\n"
"  cat      replay the log; -f follows new appends\n"
"  repair   cut a torn last line, the only damage a crash leaves;\n"
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
"  -T, --topic NAME   the log of topic NAME ($EVENTFUL_HOME/topics/NAME/log)\n"
"      --expect N     append: only if the subject has N events now\n"
"      --from SEQ     cat: from this sequence\n"
"      --json         stats: as JSON\n"
"      --max-size N   append: the longest event (default 1M)\n"
"      --rejects FILE append: keep rejected lines there\n"
"      --since TIME   cat: events of this time or later: RFC 3339, a\n"
"                     date, or a duration back from now (1h, 30m, 2d)\n"
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
	}
	exit(status);
}

struct opts {
	struct common c;	/* the shared options */
	int sync;		/* --sync */
	int follow;		/* -f */
	int json;		/* --json */
	uint64_t from;		/* --from, or 1 */
	uint64_t to;		/* --to, or 0 for no end */
	uint64_t last;		/* -n, or 0 */
	long long expect;	/* --expect, or -1 */
	int64_t since;		/* --since, or IDX_NOTIME */
	int64_t until;		/* --until, or IDX_NOTIME */
	const char *topic;	/* -T, or NULL */
	const char *source;	/* revert -s, or NULL */
};

/* The commands; -T may stand for the log of those that only read it or
 * mend it: an append to a topic goes through evpub, to its subscribers. */
static const struct {
	const char *name;
	int topic;		/* takes -T */
} cmds[] = {
	{ "append", 0 }, { "cat", 1 }, { "repair", 1 }, { "revert", 0 },
	{ "stats", 1 }, { "verify", 1 }
};

#define CMDLIST "append, cat, repair, revert, stats or verify"

static void
openlog(struct store *st, const char *path, int write)
{
	char err[512];

	if (store_open(st, path, write, err, sizeof(err)) == -1)
		errw(EXIT_FAIL, path, "%s", err);
}

/* Tells whether the last event of bt has a subject, that of the first. */
static int
samesubject(const struct batch *bt)
{
	const struct idx_ev *a = &bt->ev[0], *z = &bt->ev[bt->n - 1];

	return z->hassubj && z->subjlen == a->subjlen &&
	    memcmp(bt->strs.p + a->subj, bt->strs.p + z->subj,
	    a->subjlen) == 0;
}

/* What an append needs. */
struct appender {
	struct opts *o;
	const char *path;
	struct store st;	/* the log */
	struct out out;		/* the acknowledgements */
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
	struct opts *o = a->o;
	struct line l;
	char err[512];
	enum rd_status rs;

	batch_clear(bt);
	a->r.nb = 0;
	while (o->expect >= 0 || (bt->n < BATCH_EVENTS &&
	    bt->b.len < BATCH_BYTES)) {
		rs = rd_line(&a->r, &l);
		if (rs == RD_AGAIN)
			return 0;
		if (rs == RD_EOF)
			return 1;
		if (rs == RD_ERROR)
			errwe(EXIT_FAIL, "stdin", "read");
		if (rs == RD_TOOLONG) {
			reject(&o->c, "stdin", &l, "longer than %zu bytes "
			    "(--max-size)", o->c.maxsize);
			continue;
		}
		if (rs == RD_NUL) {
			reject(&o->c, "stdin", &l, "a NUL byte in the line");
			continue;
		}
		if (ce_validate(&a->sc, l.p, l.len, &a->ev, err,
		    sizeof(err)) == -1) {
			reject(&o->c, "stdin", &l, "%s", err);
			continue;
		}
		if (o->expect >= 0 && bt->n == BATCH_EVENTS)
			errw(EXIT_FAIL, "stdin", "--expect: more than %d "
			    "events; nothing is appended", BATCH_EVENTS);
		batch_add(bt, &a->sc, &a->ev, l.lineno);
		/* Stamped, it must still pass any reader of the same size. */
		if (batch_len(bt, bt->n - 1) > o->c.maxsize) {
			batch_pop(bt);
			reject(&o->c, "stdin", &l, "longer than %zu bytes with "
			    "its sequence (--max-size)", o->c.maxsize);
			a->bad = 1;
			continue;
		}
		if (o->expect >= 0 && !samesubject(bt)) {
			/* One subject: the stream the version is of. */
			reject(&o->c, "stdin", &l, "--expect: %s",
			    bt->ev[bt->n - 1].hassubj ? "not the subject of "
			    "the first event" : "no subject");
			a->bad = 1;
		}
		if (o->sync == SYNC_EVENT && o->expect < 0)
			return 0;
		/* Group commit: take what has already arrived. */
		if (o->expect < 0)
			a->r.nb = 1;
	}
	return 0;
}

/* After bt is durable: reports its repeats, then acknowledges it on
 * stdout.  Returns -1 when stdout's reader has gone away. */
static int
acked(void *arg, struct batch *bt)
{
	struct appender *a = arg;
	char where[64];
	size_t i;

	for (i = 0; i < bt->n; i++) {
		if (bt->dup[i] == 0 || a->o->c.quiet)
			continue;
		snprintf(where, sizeof(where), "stdin:%llu",
		    (unsigned long long)bt->lineno[i]);
		warnw(where, "source and id are in the log already, as "
		    "sequence %llu: not appended again",
		    (unsigned long long)bt->dup[i]);
	}
	(void)out_write(&a->out, bt->b.p, bt->b.len);
	return a->out.closed ? -1 : 0;
}

/* A write, an fsync or the log's room failed: nothing of the batch is
 * stored, and we stop. */
static void
appendfail(void *arg, long how, int err)
{
	struct appender *a = arg;

	if (how == -3)
		errw(EXIT_FAIL, a->path, "full: sequence %llu is the last a "
		    "log can hold", (unsigned long long)SEQ_MAX);
	errno = err;
	errwe(EXIT_FAIL, a->path, "append (nothing of this batch is stored)");
}

/* Appends bt under the lock, durably, then acknowledges it on stdout. */
static void
writebatch(struct appender *a, struct batch *bt)
{
	struct opts *o = a->o;
	char err[512];
	uint64_t count;
	long got;

	if (store_lock(&a->st, 1, err, sizeof(err)) == -1)
		errw(EXIT_FAIL, a->path, "%s", err);
	got = store_append(&a->st, bt, o->sync, o->expect, &count);
	if (got == -2)
		errw(EXIT_EXPECT, a->path, "subject \"%.*s\" has %llu event%s, "
		    "not %lld: nothing is appended", (int)(bt->ev[0].subjlen >
		    200 ? 200 : bt->ev[0].subjlen), bt->strs.p + bt->ev[0].subj,
		    (unsigned long long)count, count == 1 ? "" : "s",
		    o->expect);
	if (got < 0)
		appendfail(a, got, errno);
	store_unlock(&a->st);
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
 * it (commit.h).  An event whose source and id the log holds already is
 * reported and left out.  With --expect, all of stdin is one batch,
 * appended whole or not at all.
 */
static int
append(struct opts *o, const char *path)
{
	struct appender a;
	struct committer cm;
	struct batch one;
	struct batch *bt = &one;
	int eof = 0, threaded, closed = 0, first = 1;

	memset(&a, 0, sizeof(a));
	memset(&one, 0, sizeof(one));
	a.o = o;
	a.path = path;
	openlog(&a.st, path, 1);
	/* Past a file size limit, write(2) should fail with EFBIG and be
	 * reported, not kill us halfway. */
	signal(SIGXFSZ, SIG_IGN);
	out_open(&a.out, NULL);
	scan_init(&a.sc);
	common_reader(&o->c, &a.r, STDIN_FILENO, "stdin");
	threaded = o->expect < 0 && o->sync != SYNC_EVENT;
	/* The acknowledging thread must not end the program while the
	 * writing one is in the middle of a write: an error on stdout stops
	 * the pipeline, and is reported once it has. */
	a.out.soft = threaded;
	if (threaded)
		commit_start(&cm, &a.st, o->sync, acked, appendfail, &a);
	else {
		a.r.idle = out_idle;
		a.r.idlearg = &a.out;
	}
	while (!eof && !closed) {
		if (threaded)
			bt = commit_batch(&cm);
		eof = readbatch(&a, bt);
		if (first && threaded && !eof)
			bt->reserve = expected(bt);
		first = 0;
		if (o->expect >= 0 && (a.bad || o->c.status != EXIT_OK))
			errw(EXIT_INVALID, "stdin", "--expect: an invalid line; "
			    "nothing is appended");
		if (threaded) {
			closed = commit_submit(&cm) == -1;
			continue;
		}
		if (bt->n == 0)
			continue;
		writebatch(&a, bt);
		closed = a.out.closed;
	}
	if (threaded)
		commit_finish(&cm);
	if (a.out.err != 0) {
		errno = a.out.err;
		errwe(EXIT_FAIL, "stdout", "write");
	}
	(void)out_close(&a.out);
	rd_free(&a.r);
	scan_free(&a.sc);
	batch_free(&one);
	store_close(&a.st);
	return o->c.status;
}

/* The time of the event on line p[0..len), or IDX_NOTIME. */
static int64_t
timeof(struct scanner *sc, const char *p, size_t len)
{
	char t[64];
	int64_t us;
	size_t i;

	if (scan_json(sc, p, len) != SCAN_OBJECT)
		return IDX_NOTIME;
	for (i = 0; i < sc->nm; i++)
		if (sc->m[i].type == SCAN_STRING &&
		    scan_name_is(&sc->m[i], "time")) {
			ce_string(&sc->m[i], t, sizeof(t));
			return rfc3339_parse(t, strlen(t), &us) == 0 ? us :
			    IDX_NOTIME;
		}
	return IDX_NOTIME;
}

/* Tells whether block k of the index holds no event --since/--until want. */
static int
skipblock(const struct opts *o, const struct store *st, uint64_t k)
{
	int64_t tmin, tmax;

	(void)idx_block(&st->x, k, &tmin, &tmax);
	return tmin > tmax || (o->since != IDX_NOTIME && tmax < o->since) ||
	    (o->until != IDX_NOTIME && tmin >= o->until);
}

/*
 * Waits for the log to grow past off: inotify (when there is one) is the
 * wake-up, fstat the truth, checked every second anyway.  Returns 0 when
 * it grew, -1 when stdout's reader has gone.
 */
static int
waitgrow(struct store *st, int ifd, off_t off)
{
	char err[512], ev[4096];
	struct pollfd pfd[2];
	struct stat now, sb;

	for (;;) {
		pfd[0].fd = STDOUT_FILENO;
		pfd[0].events = 0;
		pfd[1].fd = ifd;
		pfd[1].events = POLLIN;
		if (poll(pfd, ifd >= 0 ? 2 : 1, ifd >= 0 ? 1000 : 100) == -1 &&
		    errno != EINTR)
			errwe(EXIT_FAIL, "poll", "follow");
		if (pfd[0].revents & (POLLERR | POLLHUP))
			return -1;
		if (ifd >= 0 && pfd[1].revents & POLLIN)
			while (read(ifd, ev, sizeof(ev)) > 0)
				;
		if (fstat(st->fd, &sb) == -1)
			errwe(EXIT_FAIL, st->path, "fstat");
		if (sb.st_size < off)
			errw(EXIT_FAIL, st->path, "truncated below what was "
			    "read: a log only grows");
		if (stat(st->path, &now) == 0 && (now.st_ino != sb.st_ino ||
		    now.st_dev != sb.st_dev))
			errw(EXIT_FAIL, st->path, "replaced by another file");
		if (sb.st_size == off)
			continue;
		if (store_tail(st, 0, err, sizeof(err)) == -1)
			errw(EXIT_FAIL, st->path, "%s", err);
		if (st->end > off)
			return 0;
	}
}

/*
 * Replays the log from --from (or the last -n) to --to, the events of
 * --since to --until.  Lines are copied as bytes and counted, not parsed:
 * the log was checked when it was written, and the sequence of a line is
 * one more than the line before.  The index finds where --from starts, and
 * which blocks of 256 events hold no time --since and --until ask for.
 */
static int
cat(struct opts *o, const char *path)
{
	struct store st;
	struct out out;
	char err[512], *buf, *p, *nl;
	uint64_t seq = 0, k, ilast;
	off_t off, end, next;
	ssize_t got;
	size_t len, cap;
	int known = 0, ifd = -1, timed;
	int64_t t;

	openlog(&st, path, 0);
	if (store_tail(&st, 1, err, sizeof(err)) == -1)
		errw(EXIT_FAIL, path, "%s", err);
	ilast = idx_last(&st.x);
	timed = o->since != IDX_NOTIME || o->until != IDX_NOTIME;
	if (o->last > 0)
		o->from = st.last >= o->last ? st.last - o->last + 1 : 1;
	off = 0;
	if (ilast > 0) {
		/* The index knows the sequence of a block's first line. */
		k = o->from <= ilast ? (o->from - 1) / IDX_BLOCK : 0;
		off = idx_block(&st.x, k, &t, &t);
		seq = k * IDX_BLOCK;
		known = 1;
	}
	if (o->from > 1 && o->from > ilast) {
		/* Past what the index covers: bisect; the line says. */
		off = store_seek(&st, o->from);
		known = 0;
	}
	if (o->follow) {
		ifd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
		if (ifd >= 0 && inotify_add_watch(ifd, path, IN_MODIFY |
		    IN_ATTRIB | IN_MOVE_SELF | IN_DELETE_SELF) == -1) {
			close(ifd);
			ifd = -1;
		}
	}
	out_open(&out, NULL);
	cap = 1 << 20;
	buf = xmalloc(cap);
	end = st.end;
	for (;;) {
		while (off < end && !out.closed) {
			len = end - off > (off_t)cap ? cap : (size_t)(end - off);
			k = seq / IDX_BLOCK;
			if (timed && known && (k + 1) * IDX_BLOCK <= ilast) {
				if (seq % IDX_BLOCK == 0 && skipblock(o, &st, k)) {
					/* Nothing wanted in these 256, nor
					 * perhaps in the blocks after. */
					while ((k + 2) * IDX_BLOCK <= ilast &&
					    skipblock(o, &st, k + 1))
						k++;
					off = idx_next(&st.x, k);
					seq = (k + 1) * IDX_BLOCK;
					continue;
				}
				/* Read to the block's end, then decide again. */
				if (idx_next(&st.x, k) - off < (off_t)len)
					len = (size_t)(idx_next(&st.x, k) - off);
			}
			if ((got = pread(st.fd, buf, len, off)) <= 0)
				errwe(EXIT_FAIL, path, "read");
			/* Whole lines only: cut at the last newline; a line
			 * longer than the buffer makes it grow. */
			if ((p = memrchr(buf, '\n', (size_t)got)) == NULL) {
				if (cap > LOG_MAXLINE)
					errw(EXIT_FAIL, path, "offset %lld: a "
					    "line over %d bytes", (long long)off,
					    LOG_MAXLINE);
				cap *= 2;
				buf = xrealloc(buf, cap);
				continue;
			}
			len = (size_t)(p + 1 - buf);
			next = off + (off_t)len;
			for (p = buf; p < buf + len; p = nl + 1) {
				nl = memchr(p, '\n', (size_t)(buf + len - p));
				if (!known) {
					/* The first line: learn its number. */
					if (ce_validate(&st.sc, p, (size_t)(nl -
					    p), &st.ev, err, sizeof(err)) == -1)
						errw(EXIT_FAIL, path, "offset "
						    "%lld: %s", (long long)(off +
						    (p - buf)), err);
					seq = store_seqof(&st.ev) - 1;
					known = 1;
				}
				seq++;
				if (o->to > 0 && seq > o->to)
					goto done;
				if (seq < o->from)
					continue;
				if (timed) {
					t = timeof(&st.sc, p, (size_t)(nl - p));
					if (t == IDX_NOTIME ||
					    (o->since != IDX_NOTIME &&
					    t < o->since) ||
					    (o->until != IDX_NOTIME &&
					    t >= o->until))
						continue;
				}
				out_put(&out, p, (size_t)(nl + 1 - p));
				if (o->to > 0 && seq == o->to)
					goto done;
			}
			out_end(&out);
			off = next;
		}
		if (!o->follow || out.closed)
			break;
		/*
		 * All the index covers is read: let go of it.  Kept, it would
		 * hold the disk space of an index that appenders have since
		 * grown and renamed over, for as long as this follows.
		 */
		if (ilast > 0) {
			store_unpeek(&st);
			ilast = 0;
		}
		if (out_flush(&out) == -1 || waitgrow(&st, ifd, off) == -1)
			break;
		end = st.end;
	}
done:
	out_end(&out);
	(void)out_close(&out);
	if (ifd >= 0)
		close(ifd);
	free(buf);
	store_close(&st);
	return EXIT_OK;
}

/* Checks every line.  Reports each problem with its offset. */
static int
verify(const char *path, int stats, int json)
{
	struct store st;
	struct reader r;
	struct line l;
	char err[512], t0[64] = "", t1[64] = "";
	uint64_t want = 1, seq, n = 0, first = 0;
	off_t off = 0;
	struct { char *type; uint64_t n; } *types = NULL;
	size_t ntypes = 0, i;
	int bad = 0;
	enum rd_status rs;

	openlog(&st, path, 0);
	rd_init(&r, st.fd, path, LOG_MAXLINE);
	r.tail = 1;	/* a torn last line is reported below, not read */
	while ((rs = rd_line(&r, &l)) != RD_EOF) {
		if (rs == RD_ERROR)
			errwe(EXIT_FAIL, path, "read");
		off += (off_t)l.rawlen;
		if (rs != RD_LINE || ce_validate(&st.sc, l.p, l.len, &st.ev,
		    err, sizeof(err)) == -1) {
			warnw(path, "line %llu, offset %lld: %s",
			    (unsigned long long)l.lineno,
			    (long long)(off - (off_t)l.rawlen),
			    rs == RD_LINE ? err : "not an event");
			bad = 1;
			continue;
		}
		seq = store_seqof(&st.ev);
		if (seq == 0) {
			warnw(path, "line %llu, offset %lld: no sequence",
			    (unsigned long long)l.lineno,
			    (long long)(off - (off_t)l.rawlen));
			bad = 1;
			continue;
		}
		if (seq != want) {
			warnw(path, "line %llu, offset %lld: sequence %llu, "
			    "expected %llu", (unsigned long long)l.lineno,
			    (long long)(off - (off_t)l.rawlen),
			    (unsigned long long)seq, (unsigned long long)want);
			bad = 1;
		}
		want = seq + 1;
		if (n++ == 0)
			first = seq;
		if (!stats)
			continue;
		t1[0] = '\0';
		if (st.ev.a[CE_TIME] != NULL)
			ce_string(st.ev.a[CE_TIME], t1, sizeof(t1));
		if (n == 1)
			memcpy(t0, t1, sizeof(t0));
		ce_string(st.ev.a[CE_TYPE], err, sizeof(err));
		for (i = 0; i < ntypes && strcmp(types[i].type, err) != 0; i++)
			;
		if (i == ntypes) {
			types = xrealloc(types, (ntypes + 1) * sizeof(*types));
			types[ntypes].type = xstrdup(err);
			types[ntypes++].n = 0;
		}
		types[i].n++;
	}
	{
		struct stat sb;

		if (fstat(st.fd, &sb) == 0 && sb.st_size > off) {
			warnw(path, "a torn last line of %lld bytes at offset "
			    "%lld (evlog repair cuts it)",
			    (long long)(sb.st_size - off), (long long)off);
			bad = 1;
		}
	}
	if (stats && json) {
		printf("{\"events\":%llu,\"bytes\":%lld,\"first\":%llu,"
		    "\"last\":%llu,\"firsttime\":\"%s\",\"lasttime\":\"%s\","
		    "\"types\":{", (unsigned long long)n, (long long)off,
		    (unsigned long long)first, (unsigned long long)(want - 1),
		    t0, t1);
		for (i = 0; i < ntypes; i++) {
			struct buf q = { 0 };

			buf_jsonstr(&q, types[i].type, strlen(types[i].type));
			printf("%s%.*s:%llu", i ? "," : "", (int)q.len, q.p,
			    (unsigned long long)types[i].n);
			buf_free(&q);
		}
		printf("}}\n");
	} else if (stats) {
		printf("events     %llu\nbytes      %lld\nfirst      %llu  %s\n"
		    "last       %llu  %s\n", (unsigned long long)n,
		    (long long)off, (unsigned long long)first, t0,
		    (unsigned long long)(want - 1), t1);
		for (i = 0; i < ntypes; i++) {
			/* For a terminal: no control character gets through. */
			for (char *c = types[i].type; *c != '\0'; c++)
				if ((unsigned char)*c < 0x20 || *c == 0x7f)
					*c = '?';
			printf("type       %llu  %s\n",
			    (unsigned long long)types[i].n, types[i].type);
		}
	}
	for (i = 0; i < ntypes; i++)
		free(types[i].type);
	free(types);
	rd_free(&r);
	store_close(&st);
	stdout_done();
	return bad ? EXIT_EXPECT : EXIT_OK;
}

/* Cuts a torn last line, and nothing else. */
static int
repair(const char *path)
{
	struct store st;
	char err[512];

	openlog(&st, path, 1);
	if (store_lock(&st, 1, err, sizeof(err)) == -1) {
		warnw(path, "%s; not repairing", err);
		store_close(&st);
		return EXIT_EXPECT;
	}
	/* The index too, from scratch: whatever was done to the log. */
	if (idx_rebuild(&st.x, path, st.fd, st.end, st.last, err,
	    sizeof(err)) == -1)
		errw(EXIT_FAIL, path, "%s", err);
	store_unlock(&st);
	store_close(&st);
	return EXIT_OK;
}

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

/* Adds string member m, decoded, to the set v[0..*n) when not in it. */
static void
addsrc(char ***v, size_t *n, const struct scan_member *m)
{
	char *s = xmalloc(m->vallen);
	size_t i;

	s[scan_unescape(m->val + 1, m->vallen - 2, s)] = '\0';
	for (i = 0; i < *n; i++)
		if (strcmp((*v)[i], s) == 0) {
			free(s);
			return;
		}
	*v = xrealloc(*v, (*n + 1) * sizeof(**v));
	(*v)[(*n)++] = s;
}

/*
 * Appends the compensating event of the event with id (from source, or
 * NULL for any: an event is its source and id): the same type, subject
 * and source, reverts=id, its data with every number negated.  A revert
 * of it is one with reverts=id from its source.  Finding the event is a
 * scan of the log.
 */
static int
revert(struct opts *o, const char *path, const char *id, const char *source)
{
	struct store st;
	struct reader r;
	struct line l;
	struct buf orig = { 0 }, b = { 0 }, list = { 0 };
	struct batch bt = { 0 };
	char err[512], uuid[UUID_LEN + 1], now[RFC3339_LEN + 1];
	char **srcs = NULL, **done = NULL;
	const struct scan_member *m;
	enum rd_status rs;
	size_t nsrcs = 0, ndone = 0, i;
	int64_t us;

	openlog(&st, path, 1);
	rd_init(&r, st.fd, path, LOG_MAXLINE);
	r.tail = 1;
	while ((rs = rd_line(&r, &l)) != RD_EOF) {
		if (rs == RD_ERROR)
			errwe(EXIT_FAIL, path, "read");
		if (rs != RD_LINE || ce_validate(&st.sc, l.p, l.len, &st.ev,
		    err, sizeof(err)) == -1)
			continue;
		if (source != NULL && !streq(st.ev.a[CE_SOURCE], source))
			continue;
		for (i = 0; i < st.sc.nm; i++) {
			m = &st.sc.m[i];
			if (scan_name_is(m, "reverts") && streq(m, id))
				addsrc(&done, &ndone, st.ev.a[CE_SOURCE]);
		}
		if (streq(st.ev.a[CE_ID], id)) {
			if (nsrcs == 0)
				buf_put(&orig, l.p, l.len);
			addsrc(&srcs, &nsrcs, st.ev.a[CE_SOURCE]);
		}
	}
	rd_free(&r);
	if (nsrcs == 0 && source != NULL)
		errw(EXIT_FAIL, path, "no event with id \"%s\" from source %s",
		    shown(id, strlen(id)), shown(source, strlen(source)));
	if (nsrcs == 0)
		errw(EXIT_FAIL, path, "no event with id \"%s\"", shown(id,
		    strlen(id)));
	/* One id from several sources is several events: which one? */
	if (nsrcs > 1) {
		for (i = 0; i < nsrcs && i < 8; i++) {
			buf_puts(&list, i == 0 ? "" : i == nsrcs - 1 ? " and " :
			    ", ");
			buf_puts(&list, shown(srcs[i], strlen(srcs[i])));
		}
		buf_puts(&list, i < nsrcs ? ", ..." : "");
		buf_putc(&list, '\0');
		errw(EXIT_USAGE, path, "id \"%s\" is in the log from %zu "
		    "sources, %s: name one with -s", shown(id, strlen(id)),
		    nsrcs, list.p);
	}
	for (i = 0; i < ndone; i++)
		if (strcmp(done[i], srcs[0]) == 0)
			errw(EXIT_EXPECT, path, "event \"%s\"%s%s is reverted "
			    "already", shown(id, strlen(id)), source != NULL ?
			    " from " : "", source != NULL ? shown(source,
			    strlen(source)) : "");
	for (i = 0; i < nsrcs; i++)
		free(srcs[i]);
	for (i = 0; i < ndone; i++)
		free(done[i]);
	free(srcs);
	free(done);
	scan_json(&st.sc, orig.p, orig.len);
	ce_check(&st.sc, &st.ev, 0, err, sizeof(err));
	us = now_usec();
	uuidv7(us, uuid);
	rfc3339_format(us, now);
	buf_puts(&b, "{\"specversion\":\"1.0\",\"id\":\"");
	buf_puts(&b, uuid);
	buf_puts(&b, "\",\"source\":");
	buf_put(&b, st.ev.a[CE_SOURCE]->val, st.ev.a[CE_SOURCE]->vallen);
	buf_puts(&b, ",\"type\":");
	buf_put(&b, st.ev.a[CE_TYPE]->val, st.ev.a[CE_TYPE]->vallen);
	if ((m = st.ev.a[CE_SUBJECT]) != NULL) {
		buf_puts(&b, ",\"subject\":");
		buf_put(&b, m->val, m->vallen);
	}
	buf_puts(&b, ",\"time\":\"");
	buf_puts(&b, now);
	buf_puts(&b, "\",\"reverts\":");
	buf_jsonstr(&b, id, strlen(id));
	if ((m = st.ev.a[CE_DATACONTENTTYPE]) != NULL) {
		buf_puts(&b, ",\"datacontenttype\":");
		buf_put(&b, m->val, m->vallen);
	}
	if ((m = st.ev.a[CE_DATA]) != NULL) {
		buf_puts(&b, ",\"data\":");
		negate(&b, m->val, m->vallen);
	} else if ((m = st.ev.a[CE_DATA_BASE64]) != NULL) {
		buf_puts(&b, ",\"data_base64\":");
		buf_put(&b, m->val, m->vallen);
	}
	buf_putc(&b, '}');
	/* Through the same door as every append. */
	if (ce_validate(&st.sc, b.p, b.len, &st.ev, err, sizeof(err)) == -1)
		errw(EXIT_FAIL, path, "the compensating event: %s", err);
	batch_add(&bt, &st.sc, &st.ev, 1);
	if (store_lock(&st, 1, err, sizeof(err)) == -1)
		errw(EXIT_FAIL, path, "%s", err);
	switch (store_append(&st, &bt, o->sync, -1, NULL)) {
	case -1:
		errwe(EXIT_FAIL, path, "append (nothing is stored)");
	case -3:
		errw(EXIT_FAIL, path, "full: sequence %llu is the last a log "
		    "can hold", (unsigned long long)SEQ_MAX);
	}
	store_unlock(&st);
	if (writeall(STDOUT_FILENO, bt.b.p, bt.b.len) == -1 && errno != EPIPE)
		errwe(EXIT_FAIL, "stdout", "write");
	batch_free(&bt);
	buf_free(&orig);
	buf_free(&b);
	store_close(&st);
	return EXIT_OK;
}

/* A time as every program takes one (time_parse in timefmt.h). */
static int64_t
timearg(const char *opt, const char *arg)
{
	int64_t us;

	if (time_parse(arg, now_usec(), &us) == 0)
		return us;
	warnw(opt, "%s: not %s", arg, TIME_SYNTAX);
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

/*
 * Finds the command argv[1], and from then on names it in every message
 * ("evlog cat: ...").  A log named where the command should be, another
 * word, or no command at all is a usage error that lists the commands.
 */
static size_t
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
			return i;
		}
	if (stat(argv[1], &sb) == 0)
		warnw(NULL, "\"%s\": a command is missing before the log: "
		    "evlog cat %s (or append, repair, revert, stats, verify)",
		    argv[1], argv[1]);
	else
		warnw(NULL, "\"%s\": not a command: " CMDLIST, argv[1]);
	usage(stderr, EXIT_USAGE);
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
 * The log of command cmd: its operand arg, or with -T the topic's, which
 * must exist.  "-" is refused: a log is a file that is read back, and
 * append's events come from standard input already.
 */
static char *
logpath(const struct opts *o, size_t cmd, const char *arg)
{
	struct topic t;
	struct stat sb;
	char *log;

	if (o->topic == NULL && strcmp(arg, "-") == 0) {
		warnw(NULL, "\"-\" is not a log: %s", strcmp(cmds[cmd].name,
		    "append") == 0 ? "events come from standard input; name "
		    "the log's file: evlog append LOG <events" : "name the log's "
		    "file, or a topic with -T");
		usage(stderr, EXIT_USAGE);
	}
	if (o->topic == NULL)
		return xstrdup(arg);
	if (!topic_name_ok(o->topic)) {
		warnw("-T", "\"%s\": not a topic name ([A-Za-z0-9._-])",
		    o->topic);
		usage(stderr, EXIT_USAGE);
	}
	topic_init(&t, o->topic, 0);
	if (stat(t.dir, &sb) == -1 || !S_ISDIR(sb.st_mode))
		errw(EXIT_FAIL, "-T", "no topic \"%s\": looked in %s", o->topic,
		    t.dir);
	log = xstrdup(t.log);
	topic_free(&t);
	return log;
}

int
main(int argc, char *argv[])
{
	struct opts o;
	const char *cmd;
	char *log;
	int ch, given = 0, status;
	size_t ci;

	stdfds();
	setprogname(argv[0]);
	memset(&o, 0, sizeof(o));
	common_init(&o.c, usage);
	o.sync = SYNC_BATCH;
	o.from = 1;
	o.expect = -1;
	o.since = o.until = IDX_NOTIME;
	opterr = 0;
	if (argc >= 2 && argv[1][0] == '-') {
		/* --help and --version before a command. */
		while ((ch = getopt_long(argc, argv, "h", longopts, NULL)) != -1)
			if (!common_opt(&o.c, ch, optarg))
				break;
		warnw(NULL, "%s: the command comes first: " CMDLIST, argv[1]);
		usage(stderr, EXIT_USAGE);
	}
	ci = command(argc, argv);
	cmd = cmds[ci].name;
	argc--;
	argv++;
	while ((ch = getopt_long(argc, argv, ":fhn:qs:T:", longopts,
	    NULL)) != -1) {
		given |= ch == 'f' || ch == 'n' || ch == OPT_FROM ||
		    ch == OPT_TO || ch == OPT_SINCE || ch == OPT_UNTIL ? G_CAT :
		    ch == OPT_JSON ? G_JSON : ch == OPT_SYNC ? G_SYNC :
		    ch == 'q' || ch == OPT_MAXSIZE || ch == OPT_REJECTS ||
		    ch == OPT_EXPECT ? G_APPEND : ch == 's' ? G_REVERT : 0;
		switch (ch) {
		case OPT_EXPECT:
			o.expect = (long long)seqarg("--expect", optarg, 0);
			break;
		case OPT_SINCE:
			o.since = timearg("--since", optarg);
			break;
		case OPT_UNTIL:
			o.until = timearg("--until", optarg);
			break;
		case 'f':
			o.follow = 1;
			break;
		case 'n':
			o.last = seqarg("-n", optarg, 1);
			break;
		case OPT_FROM:
			o.from = seqarg("--from", optarg, 1);
			break;
		case OPT_JSON:
			o.json = 1;
			break;
		case OPT_SYNC:
			if ((o.sync = store_syncmode(optarg)) == -1) {
				warnw("--sync", "%s: event, batch or none",
				    optarg);
				usage(stderr, EXIT_USAGE);
			}
			break;
		case OPT_TO:
			o.to = seqarg("--to", optarg, 1);
			break;
		case 's':
			o.source = optarg;
			break;
		case 'T':
			o.topic = optarg;
			break;
		case ':':
		case '?':
			badopt(ch, argv);
			break;
		default:
			if (!common_opt(&o.c, ch, optarg))
				usage(stderr, EXIT_USAGE);
		}
	}
	if (o.topic != NULL && !cmds[ci].topic) {
		warnw(NULL, "-T is for cat, repair, stats and verify: evpub -T "
		    "publishes to a topic, and its live subscribers get it");
		usage(stderr, EXIT_USAGE);
	}
	if (strcmp(cmd, "revert") == 0 && optind == argc - 2 &&
	    !(given & ~(G_SYNC | G_REVERT))) {
		log = logpath(&o, ci, argv[optind]);
		status = revert(&o, log, argv[optind + 1], o.source);
		free(log);
		return status;
	}
	if (optind != argc - (o.topic != NULL ? 0 : 1)) {
		warnw(NULL, o.topic != NULL ? "-T names the log: no other" :
		    "one log is needed");
		usage(stderr, EXIT_USAGE);
	}
	if (strcmp(cmd, "append") != 0 && given & (G_SYNC | G_APPEND)) {
		warnw(NULL, "-q, --expect, --max-size, --rejects and --sync "
		    "are for append (and --sync for revert)");
		usage(stderr, EXIT_USAGE);
	}
	if (strcmp(cmd, "cat") != 0 && given & G_CAT) {
		warnw(NULL, "-f, -n, --from, --since, --to and --until are for "
		    "cat");
		usage(stderr, EXIT_USAGE);
	}
	if (given & G_REVERT) {
		warnw(NULL, "-s is for revert");
		usage(stderr, EXIT_USAGE);
	}
	if (strcmp(cmd, "stats") != 0 && given & G_JSON) {
		warnw(NULL, "--json is for stats");
		usage(stderr, EXIT_USAGE);
	}
	if (o.last > 0 && o.from > 1) {
		warnw(NULL, "-n and --from exclude each other");
		usage(stderr, EXIT_USAGE);
	}
	/* Stamped, an event must still fit the longest line a reader takes. */
	if (o.c.maxsize > LOG_MAXLINE - 64) {
		warnw("--max-size", "%zu: too large for a log (at most %d)",
		    o.c.maxsize, LOG_MAXLINE - 64);
		usage(stderr, EXIT_USAGE);
	}
	log = logpath(&o, ci, argv[optind]);
	if (strcmp(cmd, "append") == 0) {
		common_start(&o.c);
		status = append(&o, log);
	} else if (strcmp(cmd, "cat") == 0)
		status = cat(&o, log);
	else if (strcmp(cmd, "verify") == 0)
		status = verify(log, 0, 0);
	else if (strcmp(cmd, "stats") == 0)
		status = verify(log, 1, o.json);
	else if (strcmp(cmd, "repair") == 0)
		status = repair(log);
	else {
		/* revert with other than a log and an id. */
		warnw(NULL, "a log and an id are needed");
		usage(stderr, EXIT_USAGE);
	}
	free(log);
	return status;
}
