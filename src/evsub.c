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
    OPT_DEADLETTER, OPT_DELETE, OPT_FORMAT, OPT_HEADERFILE, OPT_DELETETOPIC,
    OPT_FORCE, OPT_FROM, OPT_INTERVAL, OPT_JSON, OPT_LAST, OPT_NAME, OPT_ONCE,
    OPT_POST, OPT_PRETTY, OPT_RESET, OPT_RETRIES, OPT_SECRET, OPT_SECRETFILE,
    OPT_SINCE, OPT_THIN, OPT_TIMEOUT, OPT_TOPICS, OPT_WATCH };
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

/*
 * What the command line gave, one bit each, for the rules below: an
 * option, or a value of one (the filters, --exec with no command, a
 * --format of each kind).
 */
#define G_FILTERS	(1ULL << 0)	/* a filter */
#define G_EXEC		(1ULL << 1)	/* --exec */
#define G_EXECEMPTY	(1ULL << 2)	/* --exec with no command */
#define G_OUTPUT	(1ULL << 3)	/* -o */
#define G_INPUT		(1ULL << 4)	/* -i, or - among the filters */
#define G_FOLLOW	(1ULL << 5)	/* -f */
#define G_NAME		(1ULL << 6)	/* --name */
#define G_IDLE		(1ULL << 7)	/* -w */
#define G_INVERT	(1ULL << 8)	/* -v */
#define G_DELTOPIC	(1ULL << 9)	/* --delete-topic */
#define G_FROM		(1ULL << 10)	/* --from or --last */
#define G_SINCE		(1ULL << 11)	/* --since */
#define G_RESET		(1ULL << 12)	/* --reset */
#define G_DELETE	(1ULL << 13)	/* --delete */
#define G_FORCE		(1ULL << 14)	/* --force */
#define G_REJECTS	(1ULL << 15)	/* --rejects */
#define G_QUIET		(1ULL << 16)	/* -q */
#define G_DATA		(1ULL << 17)	/* --data */
#define G_PRETTY	(1ULL << 18)	/* --pretty */
#define G_TEMPLATE	(1ULL << 19)	/* --format */
#define G_THIN		(1ULL << 20)	/* --thin */
#define G_TOPIC		(1ULL << 21)	/* -T */
#define G_CONSUMER	(1ULL << 22)	/* --consumer */
#define G_ONCE		(1ULL << 23)	/* --once */
#define G_POST		(1ULL << 24)	/* --post */
#define G_POSTOPTS	(1ULL << 25)	/* --binary, -H, --secret, --timeout */
#define G_DEADLETTER	(1ULL << 26)	/* --dead-letter */
#define G_COUNT		(1ULL << 27)	/* -c */
#define G_INTERVAL	(1ULL << 28)	/* --interval */
#define G_JSON		(1ULL << 29)	/* --json */
#define G_WATCH		(1ULL << 30)	/* --watch */
#define G_SERVE		(1ULL << 31)	/* --serve */
#define G_SERVEOPTS	(1ULL << 32)	/* --serve or one of its options */
#define G_TLSCERT	(1ULL << 33)	/* --tls-cert */
#define G_TLSKEY	(1ULL << 34)	/* --tls-key */
#define G_BUS		(1ULL << 35)	/* --bus */
#define G_CREDS		(1ULL << 36)	/* --creds */

#define G_FMT		(G_DATA | G_PRETTY | G_TEMPLATE | G_THIN)
/* What reads or delivers events, which no administration takes. */
#define G_RUN		(G_FILTERS | G_EXEC | G_OUTPUT | G_INPUT | G_FOLLOW | \
			 G_NAME | G_ONCE | G_IDLE | G_FROM | G_SINCE | G_POST)

/*
 * A rule of which options go together.  It applies when all of when were
 * given, and refuses the command line with why when one of forbid was
 * given too, or one of need was not, or none of needone was.  A rule with
 * only when refuses that combination itself.
 */
struct rule {
	uint64_t when;		/* all of these given: the rule applies */
	uint64_t forbid;	/* none of these may be given */
	uint64_t need;		/* all of these must be */
	uint64_t needone;	/* one of these must be, when not 0 */
	const char *why;	/* the message */
};

/* Any run: --exec, --dead-letter and --post. */
static const struct rule anyrules[] = {
	{ G_EXECEMPTY, 0, 0, 0, "--exec needs a command" },
	{ G_EXEC, G_OUTPUT, 0, 0, "--exec and -o exclude each other" },
	{ G_DEADLETTER, 0, 0, G_EXEC | G_POST,
	    "--dead-letter is for --exec and --post" },
	{ G_POST, G_EXEC | G_OUTPUT, 0, 0,
	    "--post, --exec and -o exclude each other" },
	{ G_POST, G_DATA | G_PRETTY | G_TEMPLATE, 0, 0,
	    "--post sends events: not --data, --format or --pretty" },
	{ G_POSTOPTS, 0, G_POST, 0, "--binary, -H, --header-file, --secret, "
	    "--secret-file and --timeout are for --post" }
};

/* --topics: it takes no other option but --json, --watch, -c,
 * --interval, --bus and --creds. */
static const struct rule topicsrules[] = {
	{ 0, G_FILTERS | G_EXEC | G_TOPIC | G_OUTPUT | G_INPUT | G_FOLLOW |
	    G_NAME | G_IDLE | G_INVERT | G_DELTOPIC | G_FROM | G_SINCE |
	    G_RESET | G_DELETE | G_FORCE | G_REJECTS | G_QUIET | G_FMT |
	    G_CONSUMER | G_ONCE | G_POST | G_POSTOPTS | G_DEADLETTER |
	    G_SERVE | G_SERVEOPTS, 0, 0,
	    "--topics takes no other option but --json, --watch, -c, "
	    "--interval, --bus and --creds" },
	{ G_JSON | G_WATCH, 0, 0, 0, "--json and --watch exclude each other" },
	{ G_COUNT, 0, G_WATCH, 0, "-c and --interval are for --watch" },
	{ G_INTERVAL, 0, G_WATCH, 0, "-c and --interval are for --watch" }
};

/* The rest, in the order they are said: --serve, the administration
 * (--delete-topic, --reset, --delete), the readings of a topic. */
static const struct rule rules[] = {
	{ G_SERVEOPTS, 0, G_SERVE, 0, "--cors, --heartbeat, --max-buffer, "
	    "--max-conns, --max-per-addr, --sse-event, --tls-cert, --tls-key "
	    "and --token-file are for --serve" },
	{ G_SERVE, G_EXEC | G_OUTPUT | G_POST, 0, 0, "--serve sends the "
	    "events to its clients: not with --exec, -o or --post" },
	{ G_SERVE, G_CONSUMER | G_NAME | G_FROM | G_SINCE | G_ONCE, 0, 0,
	    "--serve follows the topic from its end; a client asks for the "
	    "past (Last-Event-ID, ?from=, ?since=): not --consumer, --name, "
	    "--from, --since or --once" },
	{ G_SERVE, G_COUNT | G_IDLE | G_FMT, 0, 0,
	    "--serve takes no -c, -w, --data, --pretty or --thin" },
	{ G_TLSCERT, 0, G_TLSKEY, 0, "--tls-cert and --tls-key go together" },
	{ G_TLSKEY, 0, G_TLSCERT, 0, "--tls-cert and --tls-key go together" },
	{ G_FORCE, 0, G_DELTOPIC, 0, "--force is for --delete-topic" },
	{ G_DELTOPIC, G_RUN | G_TOPIC | G_CONSUMER | G_DELETE | G_RESET |
	    G_INVERT | G_FMT | G_COUNT | G_REJECTS | G_QUIET | G_SERVE |
	    G_POSTOPTS | G_DEADLETTER, 0, 0,
	    "--delete-topic takes no other option but --force, --bus and "
	    "--creds" },
	{ G_DELETE, G_RUN, G_TOPIC | G_CONSUMER, 0, "--reset and --delete go "
	    "with -T and --consumer alone, one at a time" },
	{ G_RESET, G_RUN, G_TOPIC | G_CONSUMER, 0, "--reset and --delete go "
	    "with -T and --consumer alone, one at a time" },
	{ G_DELETE | G_RESET, 0, 0, 0, "--reset and --delete go with -T and "
	    "--consumer alone, one at a time" },
	{ G_JSON, 0, 0, 0, "--json is for --topics" },
	{ G_FROM, G_CONSUMER | G_NAME | G_SINCE, G_TOPIC, 0, "--from or "
	    "--since reads a topic's log: -T, one of them, not --consumer "
	    "(--reset moves a consumer) nor --name" },
	{ G_SINCE, G_CONSUMER | G_NAME | G_FROM, G_TOPIC, 0, "--from or "
	    "--since reads a topic's log: -T, one of them, not --consumer "
	    "(--reset moves a consumer) nor --name" },
	{ G_WATCH, 0, 0, 0, "--watch and --interval are for --topics" },
	{ G_INTERVAL, 0, 0, 0, "--watch and --interval are for --topics" },
	{ G_NAME, G_CONSUMER, G_TOPIC, 0,
	    "--name names a live subscriber: -T without --consumer" },
	{ G_TOPIC, G_INPUT | G_FOLLOW, 0, 0,
	    "-T reads the topic: not with -i or -f" },
	{ G_CONSUMER, 0, G_TOPIC, 0, "--consumer is for -T" },
	{ G_ONCE, 0, 0, G_CONSUMER | G_FROM | G_SINCE,
	    "--once is for --consumer, --from and --since" },
	{ G_BUS, 0, 0, G_TOPIC | G_DELTOPIC,
	    "--bus and --creds are for -T, --delete-topic and --topics" },
	{ G_CREDS, 0, 0, G_TOPIC | G_DELTOPIC,
	    "--bus and --creds are for -T, --delete-topic and --topics" }
};

#define NRULES(r) (sizeof(r) / sizeof((r)[0]))

/* What the command line gave, as the bits of the rules. */
static uint64_t
given(const struct opts *op, const struct common *c, const struct sub *sub,
    int filters)
{
	const struct sse *s = &op->serve;
	uint64_t g = 0;

	g |= filters ? G_FILTERS : 0;
	g |= op->cmd != NULL ? G_EXEC : 0;
	g |= op->cmd != NULL && op->cmd[0] == NULL ? G_EXECEMPTY : 0;
	g |= op->output != NULL ? G_OUTPUT : 0;
	g |= op->npaths > 0 ? G_INPUT : 0;
	g |= op->follow ? G_FOLLOW : 0;
	g |= op->subname != NULL ? G_NAME : 0;
	g |= op->idle > 0 ? G_IDLE : 0;
	g |= sub->invert ? G_INVERT : 0;
	g |= op->deltopic != NULL ? G_DELTOPIC : 0;
	g |= op->fromset ? G_FROM : 0;
	g |= op->since != NOTIME ? G_SINCE : 0;
	g |= op->resetseq > 0 || op->resettime != NOTIME ? G_RESET : 0;
	g |= op->del ? G_DELETE : 0;
	g |= op->force ? G_FORCE : 0;
	g |= c->rejects != NULL ? G_REJECTS : 0;
	g |= c->quiet ? G_QUIET : 0;
	g |= sub->fmt == FMT_DATA ? G_DATA : 0;
	g |= sub->fmt == FMT_PRETTY ? G_PRETTY : 0;
	g |= sub->fmt == FMT_TEMPLATE ? G_TEMPLATE : 0;
	g |= sub->fmt == FMT_THIN ? G_THIN : 0;
	g |= op->topic != NULL ? G_TOPIC : 0;
	g |= op->consumer != NULL ? G_CONSUMER : 0;
	g |= op->once ? G_ONCE : 0;
	g |= sub->post.url != NULL ? G_POST : 0;
	g |= sub->post.binary || op->secret != NULL || sub->post.timeout ||
	    sub->post.nhdrs > 0 ? G_POSTOPTS : 0;
	g |= sub->d.dlpath != NULL ? G_DEADLETTER : 0;
	g |= sub->count > 0 ? G_COUNT : 0;
	g |= op->interval > 0 ? G_INTERVAL : 0;
	g |= op->json ? G_JSON : 0;
	g |= op->watch ? G_WATCH : 0;
	g |= s->addr != NULL ? G_SERVE : 0;
	g |= s->given ? G_SERVEOPTS : 0;
	g |= s->tlscert != NULL ? G_TLSCERT : 0;
	g |= s->tlskey != NULL ? G_TLSKEY : 0;
	g |= op->bus != NULL ? G_BUS : 0;
	g |= op->creds != NULL ? G_CREDS : 0;
	return g;
}

/* Refuses the command line g at the first of the n rules r it breaks. */
static void
police(const struct rule *r, size_t n, uint64_t g)
{
	size_t i;

	for (i = 0; i < n; i++, r++) {
		if ((g & r->when) != r->when)
			continue;
		refuse((g & r->forbid) != 0 || (g & r->need) != r->need ||
		    (r->needone != 0 && (g & r->needone) == 0) ||
		    (r->forbid == 0 && r->need == 0 && r->needone == 0),
		    r->why);
	}
}

/* Takes --post's secret: --secret, --secret-file, else
 * $EVENTFUL_WEBHOOK_SECRET. */
static void
postsecret(struct sub *sub, const char *secret)
{
	char err[256];

	if (secret == NULL)
		secret = getenv("EVENTFUL_WEBHOOK_SECRET");
	if (secret == NULL || *secret == '\0')
		return;
	if (whsig_addkeys(&sub->post.keys, secret, err, sizeof(err)) == -1)
		badval("--secret", "whsec_...", err);
}

/* The usage errors of options that go together, or do not, in the order
 * they are said (the rules above): one line, and try --help. */
static void
checkopts(const struct opts *op, const struct common *c, struct sub *sub,
    int filters)
{
	uint64_t g = given(op, c, sub, filters);

	police(anyrules, NRULES(anyrules), g);
	if (sub->post.url != NULL)
		postsecret(sub, op->secret);
	if (op->topics)
		police(topicsrules, NRULES(topicsrules), g);
	else
		police(rules, NRULES(rules), g);
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
