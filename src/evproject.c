/* SPDX-License-Identifier: ISC */
/*
 * evproject - fold events into state: the read side of CQRS.
 *
 * Reads events from standard input or the files given (following them
 * with -f), folds each into the state of its key by the first rule that
 * matches its type, and prints the state at the end, or a change event
 * after each event.  With --state the state and its checkpoint live in a
 * file, saved atomically, so that a re-run skips what was applied; --get
 * and --keys answer from that file.
 */
#include <sys/utsname.h>

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "cli.h"
#include "common.h"
#include "ce.h"
#include "fold.h"
#include "id.h"
#include "input.h"
#include "out.h"
#include "timefmt.h"
#include "util.h"

enum { OPT_EMIT = OPT_FIRST_OWN, OPT_GET, OPT_KEYS, OPT_SAVEEVERY,
    OPT_SAVEINTERVAL, OPT_STATE };

enum { EMIT_STATE, EMIT_CHANGES, EMIT_NONE };

static const struct option longopts[] = {
	{ "emit", required_argument, NULL, OPT_EMIT },
	{ "follow", no_argument, NULL, 'f' },
	{ "get", required_argument, NULL, OPT_GET },
	{ "key", required_argument, NULL, 'k' },
	{ "keys", no_argument, NULL, OPT_KEYS },
	{ "rule", required_argument, NULL, 'r' },
	{ "save-every", required_argument, NULL, OPT_SAVEEVERY },
	{ "save-interval", required_argument, NULL, OPT_SAVEINTERVAL },
	{ "state", required_argument, NULL, OPT_STATE },
	{ "type", required_argument, NULL, 't' },
	COMMON_LONGOPTS,
	{ NULL, 0, NULL, 0 }
};

static void
usage(FILE *f, int status)
{
	if (f != stdout)
		tryhelp();
	fprintf(f,
"usage: evproject [-fq] [-k path] [-r rule] [-t type] [--emit what]\n"
"                 [--max-size size] [--rejects file] [--save-every n]\n"
"                 [--save-interval seconds] [--state file] [file ...]\n"
"       evproject --state file --get key\n"
"       evproject --state file --keys\n");
	if (f == stdout) {
		fprintf(f,
"\n"
"rules (repeatable; the first whose glob matches the type applies):\n"
"  GLOB=OP[:FIELD[=PATH]]   account.deposited=add:balance=data.amount\n"
"  GLOB=OP:=PATH            the entity itself: order.*=add:=data.total\n"
"  OP: merge set delete add sub count push min max ignore\n"
"  no rules: *.deleted and *.removed delete, all else merges\n"
"\n"
"  -f, --follow            follow files and FIFOs as they grow\n"
"  -k, --key PATH          what the state is keyed by (default subject)\n"
"  -q, --quiet             no message per rejected line, nor for a rule\n"
"                          that matched no event\n"
"  -r, --rule RULE         a rule (repeatable)\n"
"  -t, --type TYPE         change events: TYPE.updated, TYPE.deleted\n"
"                          (default state)\n"
"      --emit WHAT         state (at the end, the default), changes\n"
"                          (an event per change) or none\n"
"      --get KEY           print the entity of KEY from --state\n"
"      --keys              list the keys of --state\n"
"      --max-size SIZE     the longest event (default 1M)\n"
"      --rejects FILE      keep rejected lines there\n"
"      --save-every N      save --state every N events\n"
"      --save-interval S   save --state every S seconds\n"
"      --state FILE        load, skip what was applied, save atomically\n"
"  -h, --help, --version   this help; the version\n"
"\n"
"exit status: 0 ok, 1 failure, 2 usage, 3 invalid input lines or events\n"
"             that do not fit their rule, 4 --get: no such key, or the\n"
"             checkpoint's id was not in the input\n");
		stdout_done();
	}
	exit(status);
}

/* What the run keeps: global, so that the signal handler can reach stop. */
struct proj {
	struct common c;	/* the shared options */
	struct fold f;		/* the rules and the state */
	struct inputs in;	/* where events come from */
	struct out o;		/* where output goes */
	struct fold_rule *rules;	/* -r, handed to f */
	size_t nrules;		/* how many */
	const char *state;	/* --state, or NULL */
	const char *get;	/* --get, or NULL */
	int keys;		/* --keys */
	int follow;		/* -f */
	int emit;		/* --emit */
	long long every;	/* --save-every, or 0 */
	long long interval;	/* --save-interval in microseconds, or 0 */
	long long dirty;	/* events folded since the last save */
	int64_t saved;		/* when the state was last saved */
	struct buf srcj;	/* change events: the source, as JSON */
	struct buf updj;	/* their type for a change, as JSON */
	struct buf delj;	/* and for a deletion */
	struct buf ev;		/* scratch: a change event */
};

static struct proj P;
static volatile sig_atomic_t stop;	/* SIGTERM or SIGINT came */

static void
onsignal(int sig)
{
	(void)sig;
	stop = 1;
}

/* Saves the state; what was printed for it goes out first. */
static void
save(struct proj *p)
{
	char err[512];

	if (p->state == NULL)
		return;
	(void)out_flush(&p->o);
	if (fold_save(&p->f, p->state, err, sizeof(err)) == -1)
		errw(EXIT_FAIL, p->state, "%s", err);
	p->dirty = 0;
	p->saved = now_usec();
}

/*
 * Before the inputs wait: output goes out, and a signal ends the wait, by
 * making inputs_next return RD_TIMEOUT at once.
 */
static int
idle(void *arg)
{
	struct proj *p = arg;

	out_idle(&p->o);
	if (stop) {
		p->in.idle = 1;
		p->in.last = 0;
	}
	return 0;
}

/* Writes the change event of the entity that the last event changed. */
static void
emit(struct proj *p)
{
	char uuid[UUID_LEN + 1], now[RFC3339_LEN + 1];
	struct buf *b = &p->ev;
	json_t *e;
	int64_t us;

	us = now_usec();
	uuidv7(us, uuid);
	rfc3339_format(us, now);
	b->len = 0;
	buf_puts(b, "{\"specversion\":\"1.0\",\"id\":\"");
	buf_puts(b, uuid);
	buf_puts(b, "\",\"source\":");
	buf_put(b, p->srcj.p, p->srcj.len);
	buf_puts(b, ",\"type\":");
	if (p->f.deleted)
		buf_put(b, p->delj.p, p->delj.len);
	else
		buf_put(b, p->updj.p, p->updj.len);
	buf_puts(b, ",\"subject\":");
	(void)buf_jsonstr(b, p->f.k.p, p->f.k.len);
	buf_puts(b, ",\"time\":\"");
	buf_puts(b, now);
	buf_putc(b, '"');
	e = json_object_getn(p->f.state, p->f.k.p, p->f.k.len);
	if (!p->f.deleted && e != NULL) {
		buf_puts(b, ",\"datacontenttype\":\"application/json\",\"data\":");
		fold_dump(b, e);
	}
	buf_puts(b, "}\n");
	out_put(&p->o, b->p, b->len);
	out_end(&p->o);
}

/* Names the event's sequence in a message, when it has one. */
static const char *
seqof(const struct ce_event *ev, char *buf, size_t n)
{
	char s[64];

	if (ev->a[CE_SEQUENCE] == NULL)
		return "";
	snprintf(buf, n, "sequence %s: ", ce_string(ev->a[CE_SEQUENCE], s,
	    sizeof(s)));
	return buf;
}

/* Folds the inputs' events until they end, a signal comes, or the reader
 * of the output goes away. */
static void
project(struct proj *p)
{
	struct scanner sc;
	struct ce_event ev;
	struct input *from;
	struct line l;
	char err[512], sq[96];
	int st, r;

	scan_init(&sc);
	while (!stop && !p->o.closed) {
		st = inputs_next(&p->in, &l, &from);
		if (st == RD_EOF)
			break;
		if (st == RD_ERROR)
			errwe(EXIT_FAIL, p->in.errwhere, "%s", p->in.errop);
		if (st == RD_TIMEOUT) {
			/* --save-interval while nothing comes, or a signal. */
			p->in.last = now_usec();
			if (p->dirty > 0)
				save(p);
			continue;
		}
		if (reject_unread(&p->c, from->name, &l, st))
			continue;
		if (ce_validate(&sc, l.p, l.len, &ev, err, sizeof(err)) == -1) {
			reject(&p->c, from->name, &l, "%s", err);
			continue;
		}
		r = fold_event(&p->f, &sc, &ev, err, sizeof(err));
		if (r == FOLD_SKIPPED)
			continue;
		if (r == FOLD_MISFIT)
			reject(&p->c, from->name, &l, "%s%s (skipped)",
			    seqof(&ev, sq, sizeof(sq)), err);
		else if (r == FOLD_APPLIED && p->emit == EMIT_CHANGES)
			emit(p);
		p->dirty++;
		if (p->state != NULL && ((p->every > 0 && p->dirty >=
		    p->every) || (p->interval > 0 && now_usec() - p->saved >=
		    p->interval)))
			save(p);
	}
	scan_free(&sc);
}

/* --get and --keys: the query side. */
static int
query(struct proj *p)
{
	const char *get = p->get;
	struct buf b = { 0 };
	const char **keys;
	json_t *v;
	size_t i, n;
	int status = EXIT_OK;

	if (get != NULL) {
		v = json_object_get(p->f.state, get);
		if (v == NULL) {
			if (!p->c.quiet)
				warnw(p->state, "no key \"%s\"", get);
			status = EXIT_EXPECT;
		} else {
			fold_dump(&b, v);
			buf_putc(&b, '\n');
		}
	} else {
		keys = fold_keys(p->f.state, &n);
		for (i = 0; i < n; i++) {
			buf_puts(&b, keys[i]);
			buf_putc(&b, '\n');
		}
		free(keys);
	}
	/* A reader that goes away (| head) ends the query quietly. */
	signal(SIGPIPE, SIG_IGN);
	if (b.len > 0 && writeall(STDOUT_FILENO, b.p, b.len) == -1 &&
	    errno != EPIPE)
		errwe(EXIT_FAIL, "stdout", "write");
	buf_free(&b);
	return status;
}

static void
jsonopt(struct buf *b, const char *opt, const char *s, const char *suffix)
{
	struct buf t = { 0 };

	buf_puts(&t, s);
	buf_puts(&t, suffix);
	if (*s == '\0' || buf_jsonstr(b, t.p, t.len) == -1)
		badval(opt, s, "not a non-empty UTF-8 string");
	buf_free(&t);
}

/* -r: a rule, parsed now so that a bad one is a usage error. */
static void
addrule(struct proj *p, const char *text)
{
	char err[512];

	p->rules = xrealloc(p->rules, (p->nrules + 1) * sizeof(*p->rules));
	if (fold_rule_parse(&p->rules[p->nrules++], text, err,
	    sizeof(err)) == -1) {
		warnw("-r", "%s", err);
		usage(stderr, EXIT_USAGE);
	}
}

/* --emit: what is printed. */
static int
emitopt(const char *arg)
{
	if (strcmp(arg, "state") == 0)
		return EMIT_STATE;
	if (strcmp(arg, "changes") == 0)
		return EMIT_CHANGES;
	if (strcmp(arg, "none") == 0)
		return EMIT_NONE;
	badval("--emit", arg, "not state, changes or none");
	return EMIT_NONE;
}

/*
 * The options that exclude or need each other: a query reads --state
 * alone, and only --state is saved.
 */
static void
checkopts(const struct proj *p, int argc)
{
	if (p->get != NULL && p->keys) {
		warnw(NULL, "--get and --keys exclude each other");
		usage(stderr, EXIT_USAGE);
	}
	if ((p->get != NULL || p->keys) && (p->state == NULL || argc > 0 ||
	    p->nrules > 0 || p->follow)) {
		warnw(NULL, "--get and --keys take --state alone");
		usage(stderr, EXIT_USAGE);
	}
	if ((p->every > 0 || p->interval > 0) && p->state == NULL) {
		warnw(NULL, "--save-every and --save-interval are for --state");
		usage(stderr, EXIT_USAGE);
	}
}

/*
 * The parts of a change event that stay: its source (EV_SOURCE, else
 * //HOST/evproject) and its types (-t), as JSON.
 */
static void
changeopts(struct proj *p, const char *type)
{
	struct utsname u;
	const char *src;
	char host[300];

	src = getenv("EV_SOURCE");
	if (src == NULL || *src == '\0') {
		snprintf(host, sizeof(host), "//%s/evproject", uname(&u) == 0 &&
		    u.nodename[0] != '\0' ? u.nodename : "localhost");
		src = host;
	}
	jsonopt(&p->srcj, "EV_SOURCE", src, "");
	jsonopt(&p->updj, "-t", type, ".updated");
	jsonopt(&p->delj, "-t", type, ".deleted");
}

/* Reads the command line into p; the operands are left in argv. */
static void
options(struct proj *p, int *argcp, char ***argvp)
{
	const char *keypath = NULL, *type = "state", *errstr;
	char err[512];
	int ch;

	common_init(&p->c, usage);
	while ((ch = getopt_long(*argcp, *argvp, "fhk:qr:t:", longopts,
	    NULL)) != -1) {
		switch (ch) {
		case 'f':
			p->follow = 1;
			break;
		case 'k':
			keypath = optarg;
			break;
		case 'r':
			addrule(p, optarg);
			break;
		case 't':
			type = optarg;
			break;
		case OPT_EMIT:
			p->emit = emitopt(optarg);
			break;
		case OPT_GET:
			p->get = optarg;
			break;
		case OPT_KEYS:
			p->keys = 1;
			break;
		case OPT_SAVEEVERY:
			if (parsenum(optarg, 1, 1LL << 62, &p->every,
			    &errstr) == -1)
				badval("--save-every", optarg, errstr);
			break;
		case OPT_SAVEINTERVAL:
			if (parsesecs(optarg, 1e7, &p->interval, &errstr) == -1)
				badval("--save-interval", optarg, errstr);
			break;
		case OPT_STATE:
			p->state = optarg;
			break;
		default:
			if (!common_opt(&p->c, ch, optarg))
				usage(stderr, EXIT_USAGE);
		}
	}
	*argcp -= optind;
	*argvp += optind;
	if (fold_init(&p->f, keypath, p->rules, p->nrules, err,
	    sizeof(err)) == -1) {
		warnw("-k", "%s", err);
		usage(stderr, EXIT_USAGE);
	}
	checkopts(p, *argcp);
	changeopts(p, type);
}

/*
 * Names each rule that matched no event of the run, with the types seen
 * that are close to its glob: a mistyped rule would otherwise print {}
 * and pass.  A message only: the exit status stays what the events made
 * it, as a rule for events that did not come is no error.
 */
static void
unmatched(struct proj *p)
{
	char err[1024];
	size_t i;

	for (i = 0; i < p->nrules && !p->c.quiet; i++)
		if (fold_unmatched(&p->f, i, err, sizeof(err)))
			warnw("-r", "%s", err);
}

/* Folds the inputs, prints the state if asked, and saves. */
static int
run(struct proj *p, char **paths, size_t npaths)
{
	struct sigaction sa;
	int status;

	/* A signal ends the run as the end of the input does: saved. */
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = onsignal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);

	common_start(&p->c);
	out_open(&p->o, NULL);
	if (inputs_open(&p->in, &p->c, paths, npaths, p->follow) == -1)
		errwe(EXIT_FAIL, p->in.errwhere, "%s", p->in.errop);
	p->in.flush = idle;
	p->in.arg = p;
	p->in.idle = p->interval;
	p->saved = now_usec();
	project(p);
	status = p->c.status;
	unmatched(p);
	if (fold_lost(&p->f)) {
		warnw(p->state, "the checkpoint's event (id \"%s\") was not in "
		    "the input: nothing was applied", p->f.ck.id.p);
		status = EXIT_EXPECT;
	} else {
		if (p->emit == EMIT_STATE && !p->o.closed) {
			p->ev.len = 0;
			fold_dump(&p->ev, p->f.state);
			buf_putc(&p->ev, '\n');
			out_put(&p->o, p->ev.p, p->ev.len);
			out_end(&p->o);
		}
		if (p->dirty > 0)
			save(p);
	}
	(void)closeout(&p->o);
	inputs_close(&p->in);
	return status;
}

static void
proj_free(struct proj *p)
{
	fold_free(&p->f);
	free(p->rules);
	buf_free(&p->srcj);
	buf_free(&p->updj);
	buf_free(&p->delj);
	buf_free(&p->ev);
}

int
main(int argc, char *argv[])
{
	struct proj *p = &P;
	char err[512];
	int status;

	stdfds();
	setprogname(argv[0]);
	argv[0] = (char *)getprogname();	/* getopt's messages say it */
	options(p, &argc, &argv);
	/* A query of a state that was never saved answers nothing: a
	 * mistyped name, or a projection not run yet. */
	if ((p->get != NULL || p->keys) && access(p->state, F_OK) == -1 &&
	    errno == ENOENT)
		errw(EXIT_FAIL, p->state, "no such state file: a projection "
		    "saves it (evproject --state %s RULE ... < events)",
		    p->state);
	/* Queries take no lock: the file is always whole. */
	if (p->state != NULL && fold_load(&p->f, p->state, p->get == NULL &&
	    !p->keys, err, sizeof(err)) == -1)
		errw(EXIT_FAIL, p->state, "%s", err);
	if (p->get != NULL || p->keys)
		status = query(p);
	else
		status = run(p, argv, (size_t)argc);
	proj_free(p);
	return status;
}
