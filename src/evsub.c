/* SPDX-License-Identifier: ISC */
/*
 * evsub - select events and deliver them.
 *
 * Reads events from standard input or the -i inputs (following them with
 * -f), keeps those that pass every filter, and writes them out as read, or
 * thin, or their data alone, or one line for people; or runs a command per
 * event with --exec; or POSTs each to a webhook with --post.
 *
 * This file is the command line: the options, which of them go together,
 * and main, which hands the run to evsub_sub.c (reading, filtering,
 * delivery) or to evsub_admin.c (--topics, --delete-topic, --reset,
 * --delete); evsub_int.h is what they share.
 */
#include <sys/stat.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bus.h"
#include "cli.h"
#include "ce.h"
#include "timefmt.h"
#include "topiclist.h"
#include "evsub_int.h"

enum { OPT_BINARY = OPT_FIRST_OWN, OPT_BUS, OPT_CONSUMER, OPT_CREDS, OPT_DATA,
    OPT_DEADLETTER, OPT_DELETE, OPT_FORMAT, OPT_HEADERFILE, OPT_DELETETOPIC, OPT_FORCE, OPT_FROM,
    OPT_INTERVAL, OPT_JSON, OPT_LAST, OPT_NAME, OPT_ONCE, OPT_POST, OPT_PRETTY,
    OPT_RESET, OPT_RETRIES, OPT_SECRET, OPT_SECRETFILE, OPT_SINCE, OPT_THIN,
    OPT_TIMEOUT, OPT_TOPICS, OPT_WATCH };
/* --serve's (sse.c). */
enum { OPT_CORS = OPT_WATCH + 1, OPT_HEARTBEAT, OPT_MAXBUFFER, OPT_MAXCONNS,
    OPT_MAXPERADDR, OPT_SERVE, OPT_SSEEVENT, OPT_TLSCERT, OPT_TLSKEY,
    OPT_TOKENFILE };

static const struct option longopts[] = {
	{ "binary", no_argument, NULL, OPT_BINARY },
	{ "bus", required_argument, NULL, OPT_BUS },
	{ "creds", required_argument, NULL, OPT_CREDS },
	{ "consumer", required_argument, NULL, OPT_CONSUMER },
	{ "count", required_argument, NULL, 'c' },
	{ "data", no_argument, NULL, OPT_DATA },
	{ "dead-letter", required_argument, NULL, OPT_DEADLETTER },
	{ "exit-status", no_argument, NULL, 'e' },
	{ "delete", no_argument, NULL, OPT_DELETE },
	{ "delete-topic", required_argument, NULL, OPT_DELETETOPIC },
	{ "follow", no_argument, NULL, 'f' },
	{ "format", required_argument, NULL, OPT_FORMAT },
	{ "header", required_argument, NULL, 'H' },
	{ "header-file", required_argument, NULL, OPT_HEADERFILE },
	{ "force", no_argument, NULL, OPT_FORCE },
	{ "from", required_argument, NULL, OPT_FROM },
	{ "input", required_argument, NULL, 'i' },
	{ "interval", required_argument, NULL, OPT_INTERVAL },
	{ "invert", no_argument, NULL, 'v' },
	{ "json", no_argument, NULL, OPT_JSON },
	{ "last", required_argument, NULL, OPT_LAST },
	{ "name", required_argument, NULL, OPT_NAME },
	{ "once", no_argument, NULL, OPT_ONCE },
	{ "output", required_argument, NULL, 'o' },
	{ "post", required_argument, NULL, OPT_POST },
	{ "pretty", no_argument, NULL, OPT_PRETTY },
	{ "reset", required_argument, NULL, OPT_RESET },
	{ "retries", required_argument, NULL, OPT_RETRIES },
	{ "retry", required_argument, NULL, OPT_RETRIES },	/* curl's */
	{ "secret", required_argument, NULL, OPT_SECRET },
	{ "secret-file", required_argument, NULL, OPT_SECRETFILE },
	{ "since", required_argument, NULL, OPT_SINCE },
	{ "thin", no_argument, NULL, OPT_THIN },
	{ "timeout", required_argument, NULL, OPT_TIMEOUT },
	{ "topic", required_argument, NULL, 'T' },
	{ "topics", no_argument, NULL, OPT_TOPICS },
	{ "wait", required_argument, NULL, 'w' },
	{ "watch", no_argument, NULL, OPT_WATCH },
	{ "cors", required_argument, NULL, OPT_CORS },
	{ "heartbeat", required_argument, NULL, OPT_HEARTBEAT },
	{ "max-buffer", required_argument, NULL, OPT_MAXBUFFER },
	{ "max-conns", required_argument, NULL, OPT_MAXCONNS },
	{ "max-per-addr", required_argument, NULL, OPT_MAXPERADDR },
	{ "serve", required_argument, NULL, OPT_SERVE },
	{ "sse-event", no_argument, NULL, OPT_SSEEVENT },
	{ "tls-cert", required_argument, NULL, OPT_TLSCERT },
	{ "tls-key", required_argument, NULL, OPT_TLSKEY },
	{ "token-file", required_argument, NULL, OPT_TOKENFILE },
	COLOR_LONGOPT,
	COMMON_LONGOPTS,
	{ NULL, 0, NULL, 0 }
};

/* The usage line: the man page's SYNOPSIS, word for word. */
static const char synopsis[] =
"usage: evsub [-efqv] [-c count] [-H header] [-i path] [-o path]\n"
"             [-w seconds] [-T topic [--consumer name | --name name |\n"
"             --from start | --last n | --since time] [--once]]\n"
"             [--data | --format template | --pretty | --thin] [--binary]\n"
"             [--bus url] [--color when] [--creds file] [--dead-letter file]\n"
"             [--header-file file] [--max-size size] [--post url]\n"
"             [--rejects file] [--retries n]\n"
"             [--secret secret | --secret-file file] [--timeout seconds]\n"
"             [filter ...]\n"
"             [--exec command [arg ...] [;]]\n"
"       evsub --serve host:port [-fqv] [-i path] [-T topic] [--bus url]\n"
"             [--cors origin] [--creds file] [--heartbeat seconds]\n"
"             [--max-buffer size] [--max-conns n] [--max-per-addr n]\n"
"             [--max-size size] [--rejects file] [--sse-event]\n"
"             [--tls-cert file --tls-key file] [--token-file file]\n"
"             [filter ...]\n"
"       evsub -T topic --consumer name --reset seq | time [--bus url]\n"
"             [--creds file]\n"
"       evsub -T topic --consumer name --delete [--bus url] [--creds file]\n"
"       evsub --delete-topic topic [--bus url] [--creds file] [--force]\n"
"       evsub --topics [--bus url] [--creds file] [--json | --watch\n"
"             [-c count] [--color when] [--interval seconds]]\n";

/* What --help says besides. */
static const char help[] =
"\n"
"filters (all must hold):\n"
"  NAME              the attribute is set          subject\n"
"  NAME=GLOB[,GLOB]  one matches (!= none does)    type=order.*,user.*\n"
"  data.PATH OP VAL  a data field: = != > >= < <=  data.total>100\n"
"  -c, --count N          exit after N events (--watch: N refreshes)\n"
"  -e, --exit-status      exit 1 when no event passed (as grep, jq -e)\n"
"  -f, --follow           follow files and FIFOs as they grow\n"
"  -H, --header 'N: V'    with --post: send this header too (repeatable)\n"
"  -i, --input PATH       read PATH (repeatable; default stdin; - is\n"
"                         stdin, also among the filters)\n"
"  -o, --output PATH      append to a file, or write to a FIFO\n"
"  -q, --quiet            no message per rejected line\n"
"  -T, --topic NAME       listen to a topic: its events while we listen\n"
"  -v, --invert           keep the events that do not pass (grep's -v)\n"
"  -w, --wait SECONDS     exit (status 5) when nothing comes for so long\n"
"      --binary           with --post: CloudEvents binary mode\n"
"      --bus URL          where topics are: nats://HOST:PORT[,...] is NATS\n"
"                         JetStream (default $EVENTFUL_BUS, else $NATS_URL,\n"
"                         else the directory bus)\n"
"      --creds FILE       NATS: a user's credentials file (default\n"
"                         $NATS_CREDS)\n"
"      --color WHEN       --pretty and --watch: auto (on a terminal but\n"
"                         TERM=dumb, without $NO_COLOR), always or never\n"
"      --consumer NAME    -T: a durable consumer: every event of the\n"
"                         topic's log from where NAME left off\n"
"      --data             write only the data, one JSON value a line\n"
"      --delete           -T --consumer: delete the consumer, and exit\n"
"      --delete-topic NAME delete a topic (not while in use), and exit\n"
"      --force            --delete-topic: even while in use\n"
"      --format TEMPLATE  write %{path}, %j{path} (as JSON), %e (the\n"
"                         event), \\n, \\t, %% per event, as kcat -f\n"
"      --from SEQ|-N|end  -T: the log from SEQ on (-N: the last N; end:\n"
"                         only what comes), then what comes\n"
"      --header-file FILE -H for each line of FILE (secrets off argv)\n"
"      --json             --topics: one JSON object a topic\n"
"      --last N           -T: the last N events, then what comes\n"
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
"      --retry N          --retries, as curl names it\n"
"      --secret whsec_... with --post: sign as Standard Webhooks does\n"
"                         (default $EVENTFUL_WEBHOOK_SECRET); again: sign\n"
"                         with each, to rotate secrets\n"
"      --secret-file FILE --secret from FILE, one a line\n"
"      --since TIME       -T: the log from TIME on (1h, 500ms: so long\n"
"                         ago; @EPOCH, @EPOCHms), then what comes\n"
"      --timeout SECONDS  with --post: the most a request may take (15)\n"
"      --topics           list topics, live subscribers, consumers\n"
"      --watch            --topics, refreshed: on a terminal, in place\n"
"      --exec CMD [ARG..] [;]\n"
"                         run CMD per event, the event on its stdin; a\n"
"                         ';' ends CMD, as find -exec\n"
"\n"
"serving Server-Sent Events (GET /events; / is a page):\n"
"      --serve HOST:PORT  serve the events to browsers and curl -N (port\n"
"                         0: any free one); on a topic, id: is the\n"
"                         sequence and Last-Event-ID, ?from=, ?since=\n"
"                         resume; ?filter=FILTER per client\n"
"      --cors ORIGIN      let pages of ORIGIN read the stream (* any);\n"
"                         again: more\n"
"      --heartbeat S      a comment line when idle so long (15)\n"
"      --max-buffer SIZE  cut off a client that holds more unread (1M)\n"
"      --max-conns N      connections at once (10000)\n"
"      --max-per-addr N   connections from one address (100; 0: any)\n"
"      --sse-event        an event: line, the type (for addEventListener)\n"
"      --tls-cert FILE    serve HTTPS with this certificate\n"
"      --tls-key FILE     and this key\n"
"      --token-file FILE  require a bearer token of FILE (one a line):\n"
"                         Authorization: Bearer T, or ?access_token=T\n"
"  -h, --help, --version  this help; the version\n"
"\n"
"exit status: 0 ok, 1 failure (-e: nothing passed), 2 usage,\n"
"             3 invalid input lines,\n"
"             4 -T: the topic's log is damaged (evlog repair),\n"
"             5 -w: nothing came in time (or no topic was made),\n"
"             6 --post: the URL is gone (410),\n"
"             7 --consumer: running already (--delete-topic: in use),\n"
"             8 no such topic (--consumer, --from, --since, --reset,\n"
"             --delete, --delete-topic)\n";

static void
usage(FILE *f, int status)
{
	if (f != stdout)
		tryhelp();
	fputs(synopsis, f);
	if (f == stdout) {
		fputs(help, f);
		stdout_done();
	}
	exit(status);
}

/*
 * Splits "--exec CMD ARG... [;]" off the command line.  The command ends
 * at a ";" argument, as find -exec's does (\; to the shell), and what
 * follows is ours again; without one it takes the rest, so the command's
 * own options are never read as ours.  *ended tells which.
 */
static char **
splitexec(int *argc, char **argv, int *ended)
{
	char **cmd;
	int i, j, rest;

	for (i = 1; i < *argc; i++) {
		if (strcmp(argv[i], "--") == 0)
			return NULL;
		if (strcmp(argv[i], "--exec") != 0)
			continue;
		for (j = i + 1; j < *argc && strcmp(argv[j], ";") != 0; j++)
			;
		cmd = xmalloc((size_t)(j - i) * sizeof(*cmd));
		memcpy(cmd, argv + i + 1, (size_t)(j - i - 1) * sizeof(*cmd));
		cmd[j - i - 1] = NULL;
		*ended = j < *argc;
		rest = *ended ? j + 1 : *argc;
		memmove(argv + i, argv + rest, (size_t)(*argc - rest) *
		    sizeof(*argv));
		*argc = i + (*argc - rest);
		argv[*argc] = NULL;
		return cmd;
	}
	return NULL;
}

/*
 * Whether an argument of --exec's command reads as a filter of ours
 * (type=x, data.total>100, sequence>5): a command given without its ";"
 * most likely swallowed the filters meant to come after it.
 */
static int
filterlike(const char *a)
{
	struct filter f;
	char err[256];
	size_t n = strspn(a, "abcdefghijklmnopqrstuvwxyz0123456789"), i;
	int ok, known = 0;

	/* One word (a shell script given to sh -c is no filter), naming a
	 * CloudEvents attribute or data (env's A=1, curl's -d a=b are not). */
	if (n == 0 || strpbrk(a, " \t\n") != NULL)
		return 0;
	for (i = 0; i < CE_NATTR; i++)
		known |= strlen(ce_names[i]) == n && strncmp(a, ce_names[i], n)
		    == 0;
	if (!known)
		return 0;
	if (a[n] == '.')
		n += strcspn(a + n, "=<>!");
	if (a[n] == '\0' || strchr("=<>!", a[n]) == NULL)
		return 0;
	ok = filter_parse(&f, a, err, sizeof(err)) == 0;
	if (ok)
		filter_free(&f);
	return ok;
}

static void
setfmt(struct sub *sub, int fmt)
{
	if (sub->fmt != FMT_EVENT && sub->fmt != fmt) {
		warnw(NULL, "--data, --format, --pretty and --thin exclude each "
		    "other");
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
	if (sub->fmt == FMT_DATA || sub->fmt == FMT_PRETTY ||
	    sub->fmt == FMT_TEMPLATE) {
		warnw(NULL, "--post sends events: not --data, --format or "
		    "--pretty");
		usage(stderr, EXIT_USAGE);
	}
	if (secret == NULL)
		secret = getenv("EVENTFUL_WEBHOOK_SECRET");
	if (secret == NULL || *secret == '\0')
		return;
	if (whsig_addkeys(&sub->post.keys, secret, err, sizeof(err)) == -1)
		badval("--secret", "whsec_...", err);
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

/* For the hints: filter i of an extension attribute, as a data field. */
static void
asdata(struct sub *sub, size_t i)
{
	char err[256], *t;

	if (sub->f[i].attr != CE_NATTR)
		return;
	t = xmalloc(strlen(sub->f[i].name) + 6);
	sprintf(t, "data.%s", sub->f[i].name);
	if (filter_parse(&sub->asdata[i], t, err, sizeof(err)) == 0)
		sub->unseen++;
	else
		sub->seen[i] = 1;	/* no field could have that name */
	free(t);
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
	sub->asdata = xmalloc((argc ? (size_t)argc : 1) *
	    sizeof(*sub->asdata));
	sub->seen = xmalloc(argc ? (size_t)argc : 1);
	sub->indata = xmalloc(argc ? (size_t)argc : 1);
	memset(sub->asdata, 0, (argc ? (size_t)argc : 1) *
	    sizeof(*sub->asdata));
	memset(sub->seen, 0, argc ? (size_t)argc : 1);
	memset(sub->indata, 0, argc ? (size_t)argc : 1);
	for (sub->nf = 0; sub->nf < (size_t)argc; sub->nf++) {
		if (filter_parse(&sub->f[sub->nf], argv[sub->nf], err,
		    sizeof(err)) == 0) {
			asdata(sub, sub->nf);
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

/* The options of --serve (sse.c): whether ch was one. */
static int
serveopt(struct sse *s, int ch, const char *arg)
{
	const char *errstr;
	long long v;

	switch (ch) {
	case OPT_CORS:
		s->cors = xrealloc(s->cors, (s->ncors + 1) * sizeof(*s->cors));
		s->cors[s->ncors++] = arg;
		break;
	case OPT_HEARTBEAT:
		if (parsesecs(arg, 3600, &v, &errstr) == -1)
			badval("--heartbeat", arg, errstr);
		s->heartbeat = v < 1000000 ? 1 : (unsigned)(v / 1000000);
		break;
	case OPT_MAXBUFFER:
		if (parsesize(arg, 4096, 1LL << 30, &v, &errstr) == -1)
			badval("--max-buffer", arg, errstr);
		s->clientbuf = (size_t)v;
		break;
	case OPT_MAXCONNS:
		if (parsenum(arg, 1, 1000000, &v, &errstr) == -1)
			badval("--max-conns", arg, errstr);
		s->maxconn = (unsigned)v;
		break;
	case OPT_MAXPERADDR:
		if (parsenum(arg, 0, 1000000, &v, &errstr) == -1)
			badval("--max-per-addr", arg, errstr);
		s->peraddr = (unsigned)v;
		break;
	case OPT_SERVE:
		if (strchr(arg, ':') == NULL)
			badval("--serve", arg, "not HOST:PORT (127.0.0.1:8080; "
			    "port 0: any free one)");
		s->addr = arg;
		break;
	case OPT_SSEEVENT:
		s->eventname = 1;
		break;
	case OPT_TLSCERT:
		s->tlscert = arg;
		break;
	case OPT_TLSKEY:
		s->tlskey = arg;
		break;
	case OPT_TOKENFILE:
		/* Never on the command line, where ps shows it. */
		s->tokens = secret_join(s->tokens, secret_file("--token-file",
		    arg));
		break;
	default:
		return 0;
	}
	s->given = 1;
	return 1;
}

/* The options of a topic and its consumers (-T, --bus, --consumer,
 * --reset, ...) and of --topics: whether ch was one. */
static int
topicopt(struct opts *op, int ch, const char *arg)
{
	const char *errstr;
	long long v;

	switch (ch) {
	case 'T':
		op->topic = cli_topic("-T", arg);
		break;
	case OPT_BUS:
		op->bus = arg;
		break;
	case OPT_CONSUMER:
		if (!topic_name_ok(arg))
			badval("--consumer", arg, "a consumer name is as a "
			    "topic name");
		op->consumer = arg;
		break;
	case OPT_CREDS:
		op->creds = arg;
		break;
	case OPT_DELETE:
		op->del = 1;
		break;
	case OPT_DELETETOPIC:
		op->deltopic = cli_topic("--delete-topic", arg);
		break;
	case OPT_FORCE:
		op->force = 1;
		break;
	case OPT_FROM:
		if (op->fromset)
			badval("--from", arg, "--from and --last exclude "
			    "each other");
		if (parsestart(arg, &op->from, &errstr) == -1)
			badval("--from", arg, errstr);
		op->fromset = 1;
		break;
	case OPT_INTERVAL:
		if (parsesecs(arg, 3600, &op->interval, &errstr) == -1)
			badval("--interval", arg, errstr);
		if (op->interval < 100000)
			badval("--interval", arg, "too small: 0.1 is the "
			    "least");
		break;
	case OPT_JSON:
		op->json = 1;
		break;
	case OPT_LAST:
		if (op->fromset)
			badval("--last", arg, "--from and --last exclude "
			    "each other");
		if (parsenum(arg, 1, 1LL << 62, &v, &errstr) == -1)
			badval("--last", arg, errstr);
		memset(&op->from, 0, sizeof(op->from));
		op->from.last = (unsigned long long)v;
		op->fromset = 1;
		break;
	case OPT_NAME:
		if (!topic_name_ok(arg))
			badval("--name", arg, "a subscriber's name is as a "
			    "topic name: letters, digits, '.', '_' and '-', "
			    "not starting with '.' nor ending in .tmp or "
			    ".lock");
		op->subname = arg;
		break;
	case OPT_ONCE:
		op->once = 1;
		break;
	case OPT_RESET:
		resetarg(arg, &op->resetseq, &op->resettime);
		break;
	case OPT_SINCE:
		op->since = cli_time("--since", arg);
		break;
	case OPT_TOPICS:
		op->topics = 1;
		break;
	case OPT_WATCH:
		op->watch = 1;
		break;
	default:
		return 0;
	}
	return 1;
}

/* The options of --post, webhooks (deliver.c, post.c): whether ch was
 * one. */
static int
postopt(struct opts *op, struct sub *sub, int ch, const char *arg)
{
	const char *errstr;
	char err[512];
	long long v;

	switch (ch) {
	case 'H':
		if (post_header(&sub->post, arg, err, sizeof(err)) == -1)
			badval("-H", arg, err);
		break;
	case OPT_BINARY:
		sub->post.binary = 1;
		break;
	case OPT_DEADLETTER:
		sub->d.dlpath = arg;
		break;
	case OPT_HEADERFILE:
		if (post_header_file(&sub->post, arg, err, sizeof(err)) ==
		    -1) {
			warnw("--header-file", "%s", err);
			usage(stderr, EXIT_USAGE);
		}
		break;
	case OPT_POST:
		sub->post.url = arg;
		break;
	case OPT_RETRIES:
		if (parsenum(arg, 0, 100, &v, &errstr) == -1)
			badval("--retries", arg, errstr);
		sub->d.retries = (int)v;
		break;
	case OPT_SECRET:
	case OPT_SECRETFILE:
		/* Each one more: the request is signed with all. */
		op->secret = secret_join(op->secret, ch == OPT_SECRET ?
		    arg : secret_file("--secret-file", arg));
		break;
	case OPT_TIMEOUT:
		if (parsesecs(arg, 3600, &v, &errstr) == -1)
			badval("--timeout", arg, errstr);
		sub->post.timeout = v < 1000 ? 1 : (long)(v / 1000);
		break;
	default:
		return 0;
	}
	return 1;
}

/* Parses the options into op, c and sub; the filters are left in argv
 * from optind on. */
static void
parseopts(int argc, char *argv[], struct opts *op, struct common *c,
    struct sub *sub)
{
	const char *errstr;
	char err[512];
	int ch;

	while ((ch = getopt_long(argc, argv, "c:efH:hi:o:qT:vw:", longopts,
	    NULL)) != -1) {
		switch (ch) {
		case 'c':
			if (parsenum(optarg, 1, 1LL << 62, &sub->count,
			    &errstr) == -1)
				badval("-c", optarg, errstr);
			break;
		case 'e':
			sub->exitstatus = 1;
			break;
		case OPT_FORMAT:
			setfmt(sub, FMT_TEMPLATE);
			if (tmpl_parse(&sub->tmpl, optarg, err, sizeof(err)) == -1)
				badval("--format", optarg, err);
			break;
		case 'f':
			op->follow = 1;
			break;
		case 'i':
			op->paths = xrealloc(op->paths, (op->npaths + 1) *
			    sizeof(*op->paths));
			op->paths[op->npaths++] = optarg;
			break;
		case 'o':
			op->output = optarg;
			break;
		case 'v':
			sub->invert = 1;
			break;
		case 'w':
			if (parsesecs(optarg, 1e7, &op->idle, &errstr) == -1)
				badval("-w", optarg, errstr);
			break;
		case OPT_DATA:
			setfmt(sub, FMT_DATA);
			break;
		case OPT_PRETTY:
			setfmt(sub, FMT_PRETTY);
			break;
		case OPT_THIN:
			setfmt(sub, FMT_THIN);
			break;
		default:
			if (!topicopt(op, ch, optarg) &&
			    !postopt(op, sub, ch, optarg) &&
			    !serveopt(&op->serve, ch, optarg) &&
			    !common_opt(c, ch, optarg))
				usage(stderr, EXIT_USAGE);
		}
	}
}

/*
 * Takes each "-" among the filters as standard input, as cat and jq do
 * (-i -): returns how many arguments are left, moved up.
 */
static int
dashes(struct opts *op, int argc, char **argv)
{
	int i, n = 0;

	for (i = 0; i < argc; i++) {
		if (strcmp(argv[i], "-") != 0) {
			argv[n++] = argv[i];
			continue;
		}
		op->paths = xrealloc(op->paths, (op->npaths + 1) *
		    sizeof(*op->paths));
		op->paths[op->npaths++] = "-";
	}
	return n;
}

/* Refuses a usage error: one line that says why, and try --help. */
static void
refuse(int bad, const char *why)
{
	if (!bad)
		return;
	warnw(NULL, "%s", why);
	usage(stderr, EXIT_USAGE);
}

/* The usage errors of --topics: it takes no other option but --json,
 * --watch, -c and --interval. */
static void
checktopics(const struct opts *op, const struct common *c,
    const struct sub *sub, int filters)
{
	refuse(filters || op->cmd != NULL || op->topic != NULL ||
	    op->output != NULL || op->npaths > 0 || op->follow ||
	    op->subname != NULL || op->idle > 0 || sub->invert ||
	    op->deltopic != NULL || op->fromset || op->since != NOTIME ||
	    op->resetseq > 0 || op->resettime != NOTIME || op->del ||
	    op->force || c->rejects != NULL || c->quiet ||
	    sub->fmt != FMT_EVENT, "--topics takes no other option but "
	    "--json, --watch, -c and --interval");
	refuse(op->json && op->watch, "--json and --watch exclude each other");
	refuse(!op->watch && (sub->count > 0 || op->interval > 0),
	    "-c and --interval are for --watch");
}

/* The usage errors of --reset, --delete and --delete-topic. */
static void
checkadmin(const struct opts *op, const struct sub *sub, int filters)
{
	int reset = op->resetseq > 0 || op->resettime != NOTIME;
	int others = filters || op->cmd != NULL || op->output != NULL ||
	    op->npaths > 0 || op->follow || op->subname != NULL || op->once ||
	    op->idle > 0 || op->fromset || op->since != NOTIME ||
	    sub->post.url != NULL;

	refuse(op->force && op->deltopic == NULL,
	    "--force is for --delete-topic");
	refuse(op->deltopic != NULL && (others || op->topic != NULL ||
	    op->consumer != NULL || op->del || reset),
	    "--delete-topic takes no other option but --force");
	refuse((op->del || reset) && (op->topic == NULL ||
	    op->consumer == NULL || others || (op->del && reset)),
	    "--reset and --delete go with -T and --consumer alone, one at a "
	    "time");
}

/* The usage errors of --serve and its options. */
static void
checkserve(const struct opts *op, const struct common *c,
    const struct sub *sub)
{
	const struct sse *s = &op->serve;

	(void)c;
	refuse(s->given && s->addr == NULL, "--cors, --heartbeat, "
	    "--max-buffer, --max-conns, --max-per-addr, --sse-event, "
	    "--tls-cert, --tls-key and --token-file are for --serve");
	if (s->addr == NULL)
		return;
	refuse(op->cmd != NULL || op->output != NULL || sub->post.url != NULL,
	    "--serve sends the events to its clients: not with --exec, -o "
	    "or --post");
	refuse(op->consumer != NULL || op->subname != NULL || op->fromset ||
	    op->since != NOTIME || op->once, "--serve follows the topic from "
	    "its end; a client asks for the past (Last-Event-ID, ?from=, "
	    "?since=): not --consumer, --name, --from, --since or --once");
	refuse(sub->count > 0 || op->idle > 0 || sub->fmt != FMT_EVENT,
	    "--serve takes no -c, -w, --data, --pretty or --thin");
	refuse((s->tlscert == NULL) != (s->tlskey == NULL),
	    "--tls-cert and --tls-key go together");
}

/* The usage errors of options that go together, or do not, in the order
 * they are said: one line, and try --help. */
static void
checkopts(const struct opts *op, const struct common *c, struct sub *sub,
    int filters)
{
	int reading = op->fromset || op->since != NOTIME;

	refuse(op->cmd != NULL && op->cmd[0] == NULL,
	    "--exec needs a command");
	refuse(op->cmd != NULL && op->output != NULL,
	    "--exec and -o exclude each other");
	refuse(sub->d.dlpath != NULL && op->cmd == NULL &&
	    sub->post.url == NULL, "--dead-letter is for --exec and --post");
	if (sub->post.url != NULL)
		postopts(sub, op->cmd, op->output, op->secret);
	else
		refuse(sub->post.binary || op->secret != NULL ||
		    sub->post.timeout || sub->post.nhdrs > 0, "--binary, -H, "
		    "--header-file, --secret, --secret-file and --timeout are "
		    "for --post");
	if (op->topics) {
		checktopics(op, c, sub, filters);
		return;
	}
	checkserve(op, c, sub);
	checkadmin(op, sub, filters);
	refuse(op->json, "--json is for --topics");
	refuse(reading && (op->topic == NULL || op->consumer != NULL ||
	    op->subname != NULL || (op->fromset && op->since != NOTIME)),
	    "--from or --since reads a topic's log: -T, one of them, not "
	    "--consumer (--reset moves a consumer) nor --name");
	refuse(op->watch || op->interval > 0,
	    "--watch and --interval are for --topics");
	refuse(op->subname != NULL && (op->topic == NULL ||
	    op->consumer != NULL),
	    "--name names a live subscriber: -T without --consumer");
	refuse(op->topic != NULL && (op->npaths > 0 || op->follow),
	    "-T reads the topic: not with -i or -f");
	refuse(op->consumer != NULL && op->topic == NULL,
	    "--consumer is for -T");
	refuse(op->once && op->consumer == NULL && !reading,
	    "--once is for --consumer, --from and --since");
}
int
main(int argc, char *argv[])
{
	struct common c;
	struct sub sub;
	struct opts op = { .since = NOTIME, .resettime = NOTIME };
	char err[BUS_ERRMAX];
	size_t i;
	int status, ended = 0;

	stdfds();
	setprogname(argv[0]);
	argv[0] = (char *)getprogname();	/* getopt's messages say it */
	common_init(&c, usage);
	memset(&sub, 0, sizeof(sub));
	sub.d.retries = 3;
	op.cmd = splitexec(&argc, argv, &ended);
	parseopts(argc, argv, &op, &c, &sub);
	argc -= optind;
	argv += optind;
	argc = dashes(&op, argc, argv);
	for (i = 1; op.cmd != NULL && !ended && op.cmd[0] != NULL &&
	    op.cmd[i] != NULL; i++)
		if (filterlike(op.cmd[i])) {
			warnw("--exec", "\"%s\" reads as a filter, but the "
			    "command takes it: end the command with ';' (\\; "
			    "to the shell, as find -exec) and give the filters "
			    "after it, or before --exec", op.cmd[i]);
			usage(stderr, EXIT_USAGE);
		}
	checkopts(&op, &c, &sub, argc > 0);
	refuse((op.bus != NULL || op.creds != NULL) && op.topic == NULL &&
	    op.deltopic == NULL && !op.topics,
	    "--bus and --creds are for -T, --delete-topic and --topics");
	bus = cli_bus_open(op.bus, op.creds);
	if (op.topics)
		return topics_main(&c, &op, sub.count);
	if ((status = topic_admin(&op)) != -1)
		return status;
	refuse(sub.invert && argc == 0, "-v keeps the events that do not pass "
	    "the filters, and none is given (-v is grep's -v, not verbose): "
	    "evsub -v FILTER ...");
	filters(&sub, argc, argv);
	sub.d.argv = op.cmd;
	common_start(&c);
	deliver_open(&sub.d);
	if (sub.post.url != NULL && post_open(&sub.post, &sub.d, err,
	    sizeof(err)) == -1) {
		warnw("--post", "%s", err);
		usage(stderr, EXIT_USAGE);
	}
	status = run(&c, &sub, &op);
	hints(&sub);
	post_close(&sub.post);
	for (i = 0; i < sub.nf; i++) {
		filter_free(&sub.f[i]);
		filter_free(&sub.asdata[i]);
	}
	free(sub.f);
	free(sub.asdata);
	free(sub.seen);
	free(sub.indata);
	free(op.cmd);
	tmpl_free(&sub.tmpl);
	free(op.paths);
	bus_close(bus);
	return status;
}
