/*
 * evsub - select events and deliver them.
 *
 * Reads events from standard input or the -i inputs (following them with
 * -f), keeps those that pass every filter, and writes them out as read, or
 * thin, or their data alone, or one line for people; or runs a command per
 * event with --exec; or POSTs each to a webhook with --post.
 */
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
#include "util.h"

enum { OPT_BINARY = OPT_FIRST_OWN, OPT_DATA, OPT_DEADLETTER, OPT_POST,
    OPT_PRETTY, OPT_RETRIES, OPT_SECRET, OPT_THIN, OPT_TIMEOUT };

static const struct option longopts[] = {
	{ "binary", no_argument, NULL, OPT_BINARY },
	{ "count", required_argument, NULL, 'c' },
	{ "data", no_argument, NULL, OPT_DATA },
	{ "dead-letter", required_argument, NULL, OPT_DEADLETTER },
	{ "follow", no_argument, NULL, 'f' },
	{ "input", required_argument, NULL, 'i' },
	{ "invert", no_argument, NULL, 'v' },
	{ "output", required_argument, NULL, 'o' },
	{ "post", required_argument, NULL, OPT_POST },
	{ "pretty", no_argument, NULL, OPT_PRETTY },
	{ "retries", required_argument, NULL, OPT_RETRIES },
	{ "secret", required_argument, NULL, OPT_SECRET },
	{ "thin", no_argument, NULL, OPT_THIN },
	{ "timeout", required_argument, NULL, OPT_TIMEOUT },
	{ "wait", required_argument, NULL, 'w' },
	COMMON_LONGOPTS,
	{ NULL, 0, NULL, 0 }
};

static void
usage(FILE *f, int status)
{
	fprintf(f,
"usage: evsub [-fqv] [-c count] [-i path] [-o path] [-w seconds]\n"
"             [--data | --pretty | --thin] [--binary] [--dead-letter file]\n"
"             [--max-size size] [--post url] [--rejects file] [--retries n]\n"
"             [--secret secret] [--timeout seconds] [filter ...]\n"
"             [--exec command [arg ...]]\n");
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
"  -v, --invert           keep the events that do not pass\n"
"  -w, --wait SECONDS     exit (status 5) when nothing comes for so long\n"
"      --binary           with --post: CloudEvents binary mode\n"
"      --data             write only the data, one JSON value a line\n"
"      --pretty           one line for people: time type subject data\n"
"      --thin             drop data and data_base64: a notification\n"
"      --dead-letter FILE keep events --exec or --post failed to deliver\n"
"      --max-size SIZE    the longest event (default 1M)\n"
"      --post URL         POST each event to URL (a webhook)\n"
"      --rejects FILE     keep rejected lines there\n"
"      --retries N        tries of --exec or --post after the first\n"
"                         (default 3)\n"
"      --secret whsec_... with --post: sign as Standard Webhooks does\n"
"                         (default $EVENTFUL_WEBHOOK_SECRET)\n"
"      --timeout SECONDS  with --post: the most a request may take (15)\n"
"      --exec CMD [ARG..] run CMD per event, the event on its stdin\n"
"      --help, --version  this help; the version\n"
"\n"
"exit status: 0 ok, 1 failure, 2 usage, 3 invalid input lines,\n"
"             5 -w: nothing came in time, 6 --post: the URL is gone (410)\n");
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
	const char *output = NULL, *errstr, *nc, *secret = NULL;
	char **paths = NULL, err[512], **cmd;
	long long v, idle = 0;
	size_t npaths = 0, i;
	int ch, follow = 0, status;

	stdfds();
	setprogname(argv[0]);
	common_init(&c, usage);
	memset(&sub, 0, sizeof(sub));
	sub.d.retries = 3;
	cmd = splitexec(&argc, argv);
	while ((ch = getopt_long(argc, argv, "c:fi:o:qvw:", longopts, NULL)) !=
	    -1) {
		switch (ch) {
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
	inputs_open(&in, &c, paths, npaths, follow);
	in.idle = idle;
	in.flush = out_idle;
	in.arg = &o;
	status = subscribe(&c, &sub, &in, &o);
	(void)out_close(&o);
	(void)out_close(&sub.mem);
	inputs_close(&in);
	post_close(&sub.post);
	for (i = 0; i < sub.nf; i++)
		filter_free(&sub.f[i]);
	free(sub.f);
	free(paths);
	return status;
}
